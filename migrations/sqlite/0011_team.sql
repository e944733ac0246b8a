-- A team: users are invited (no password until they set one through their link), may be
-- disabled, and their sessions are kept in a table that knows whose they are, so that they can
-- be listed and ended. The sessions kept before are dropped: everyone signs in once more.
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('invited', 'active', 'disabled'));
ALTER TABLE users ADD COLUMN created_by TEXT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;

-- One-time links that set a password: an invitation or a reset. Only the token's hash is kept;
-- a link is deleted as it is used.
CREATE TABLE user_links (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX user_links_by_user ON user_links (user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    -- Names the session in lists without giving its id (the cookie's value) away.
    handle       TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    data         BLOB NOT NULL,
    expires_at   INTEGER NOT NULL,
    signed_in_at INTEGER,
    seen_at      INTEGER,
    address      TEXT,
    agent        TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
DROP TABLE IF EXISTS tower_sessions;
