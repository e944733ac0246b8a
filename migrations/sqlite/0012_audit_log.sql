-- The audit log: who changed what, when, from where, and how (a field-level diff, secrets only
-- said to have changed). Entries are appended in the transaction of the change they describe;
-- nothing in the product edits or deletes them but retention.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    actor_kind      TEXT NOT NULL CHECK (actor_kind IN ('user', 'credential', 'system', 'anonymous')),
    actor_id        TEXT,
    actor_name      TEXT NOT NULL,
    address         TEXT,
    action          TEXT NOT NULL,
    object_kind     TEXT NOT NULL,
    object_id       TEXT,
    object_name     TEXT NOT NULL,
    changes         TEXT NOT NULL
);
CREATE INDEX audit_log_by_organization ON audit_log (organization_id, id);
CREATE INDEX audit_log_by_time ON audit_log (at);
