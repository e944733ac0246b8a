-- A team: users are invited (no password until they set one through their link), may be
-- disabled, and their sessions are kept in a table that knows whose they are, so that they can
-- be listed and ended. The sessions kept before are dropped: everyone signs in once more.
ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active'
    CHECK (status IN ('invited', 'active', 'disabled'));
ALTER TABLE users ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN last_sign_in_at bigint;

-- One-time links that set a password: an invitation or a reset. Only the token's hash is kept;
-- a link is deleted as it is used.
CREATE TABLE user_links (
    token_hash text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX user_links_by_user ON user_links (user_id);

CREATE TABLE sessions (
    id           text PRIMARY KEY,
    -- Names the session in lists without giving its id (the cookie's value) away.
    handle       text NOT NULL,
    user_id      uuid REFERENCES users (id) ON DELETE CASCADE,
    data         bytea NOT NULL,
    expires_at   bigint NOT NULL,
    signed_in_at bigint,
    seen_at      bigint,
    address      text,
    agent        text
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
DROP SCHEMA IF EXISTS tower_sessions CASCADE;
