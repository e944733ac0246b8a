-- The language a person chose for the interface (`en`, `fr`); none until they choose, when their
-- browser's preference decides.
ALTER TABLE users ADD COLUMN language TEXT;
