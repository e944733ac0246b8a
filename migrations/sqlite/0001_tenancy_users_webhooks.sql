-- Timestamps are milliseconds since the Unix epoch (UTC); ids are UUIDs as text.

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    ims_org    TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE sandboxes (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    CONSTRAINT sandboxes_name_unique UNIQUE (organization_id, name)
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at      INTEGER NOT NULL,
    CONSTRAINT users_email_unique UNIQUE (email)
);

CREATE TABLE feedback_webhooks (
    id                     TEXT PRIMARY KEY,
    sandbox_id             TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL,
    -- the lower-cased name: names are unique per sandbox regardless of case
    name_key               TEXT NOT NULL,
    channel_email          INTEGER NOT NULL,
    channel_sms            INTEGER NOT NULL,
    url                    TEXT NOT NULL,
    enabled                INTEGER NOT NULL,
    disabled_reason        TEXT,
    -- NULL: no authentication
    jwt_algorithm          TEXT,
    jwt_key_kind           TEXT,
    jwt_secret_sealed      BLOB,
    jwt_secret_fingerprint TEXT,
    jwt_key_id             TEXT,
    jwt_issuer             TEXT,
    jwt_subject            TEXT,
    jwt_audience           TEXT,
    jwt_extra_claims       TEXT,
    jwt_lifetime_secs      INTEGER NOT NULL DEFAULT 300,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    CONSTRAINT feedback_webhooks_name_unique UNIQUE (sandbox_id, name_key)
);

CREATE TABLE webhook_headers (
    id                TEXT PRIMARY KEY,
    webhook_id        TEXT NOT NULL REFERENCES feedback_webhooks (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    name              TEXT NOT NULL,
    -- plain rows keep `value`; secret rows keep only the sealed value and its fingerprint
    value             TEXT,
    value_sealed      BLOB,
    value_fingerprint TEXT,
    value_len         INTEGER NOT NULL
);

CREATE INDEX webhook_headers_by_webhook ON webhook_headers (webhook_id, position);
