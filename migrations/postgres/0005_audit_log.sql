-- The audit log: who changed what, when, from where, and how (a field-level diff, secrets only
-- said to have changed). Entries are appended in the transaction of the change they describe;
-- nothing in the product edits or deletes them but retention.
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at              bigint NOT NULL,
    actor_kind      text NOT NULL CHECK (actor_kind IN ('user', 'credential', 'system', 'anonymous')),
    actor_id        text,
    actor_name      text NOT NULL,
    address         text,
    action          text NOT NULL,
    object_kind     text NOT NULL,
    object_id       text,
    object_name     text NOT NULL,
    changes         text NOT NULL
);
CREATE INDEX audit_log_by_organization ON audit_log (organization_id, id);
CREATE INDEX audit_log_by_time ON audit_log (at);
