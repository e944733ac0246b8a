-- A delivery written already claimed (handed off to the instance that wrote it, which sends it
-- at once) is due for no other instance: only deliveries written due now wake the others.
CREATE FUNCTION fw_notify_if_due_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted WHERE claimed_until IS NULL) THEN
        PERFORM pg_notify(TG_ARGV[0], current_setting('application_name'));
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER deliveries_inserted ON deliveries;

CREATE TRIGGER deliveries_inserted AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION fw_notify_if_due_inserted('fw_deliveries');
