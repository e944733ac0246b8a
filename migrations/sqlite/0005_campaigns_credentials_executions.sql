-- Which feedback events a webhook receives (comma-separated: sent, delivered, bounce, error).
ALTER TABLE feedback_webhooks ADD COLUMN event_filter TEXT NOT NULL DEFAULT 'sent,delivered,bounce,error';

-- API-triggered transactional campaigns. campaign_version_id changes whenever the content does.
CREATE TABLE campaigns (
    id                  TEXT PRIMARY KEY,
    sandbox_id          TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    name_key            TEXT NOT NULL,
    channel             TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    status              TEXT NOT NULL CHECK (status IN ('draft', 'live', 'stopped')),
    email_subject       TEXT NOT NULL DEFAULT '',
    email_body          TEXT NOT NULL DEFAULT '',
    sms_text            TEXT NOT NULL DEFAULT '',
    campaign_version_id TEXT NOT NULL,
    webhook_enabled     INTEGER NOT NULL DEFAULT 0,
    -- kept when the webhook is deleted only as NULL: the campaign then shows the switch on with no webhook
    webhook_id          TEXT REFERENCES feedback_webhooks (id) ON DELETE SET NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    CONSTRAINT campaigns_name_unique UNIQUE (sandbox_id, name_key)
);

-- Credentials of the execution and REST APIs: the API key is public, the secret token is kept
-- only as a SHA-256 hash (it is 256 random bits, so a fast hash is enough).
CREATE TABLE api_credentials (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    api_key         TEXT NOT NULL UNIQUE,
    token_hash      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    revoked_at      INTEGER
);

-- One accepted POST /im/executions/unitary; a replayed requestId of the same campaign returns it.
CREATE TABLE executions (
    id          TEXT PRIMARY KEY,
    sandbox_id  TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    request_id  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    -- the exact 202 body, answered again on a replay
    response    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CONSTRAINT executions_request_unique UNIQUE (campaign_id, request_id)
);

CREATE TABLE message_executions (
    id                  TEXT PRIMARY KEY,
    execution_id        TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    recipient_type      TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    namespace           TEXT NOT NULL,
    address             TEXT NOT NULL,
    campaign_version_id TEXT NOT NULL,
    -- the rendered message (subject and body, or SMS text) as JSON
    content             TEXT NOT NULL
);

-- What the channel provider reported or will report for a message, emitted as feedback events
-- by the outcome dispatcher once due (at-least-once: marked emitted after the events are stored).
CREATE TABLE provider_outcomes (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    message_execution_id TEXT NOT NULL REFERENCES message_executions (id) ON DELETE CASCADE,
    status               TEXT NOT NULL CHECK (status IN ('sent', 'delivered', 'bounce', 'error')),
    -- the payload's messageFailure as JSON, or NULL
    failure              TEXT,
    retry_count          INTEGER NOT NULL DEFAULT 0,
    due_at               INTEGER NOT NULL,
    emitted_at           INTEGER
);

CREATE INDEX provider_outcomes_due ON provider_outcomes (due_at) WHERE emitted_at IS NULL;
CREATE INDEX feedback_events_by_request ON feedback_events (sandbox_id, request_id);
