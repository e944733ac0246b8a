-- The outbox: a feedback event and its deliveries are written in one transaction; workers claim
-- due deliveries under a lease (claimed_until) so a crash at any moment loses nothing.

CREATE TABLE feedback_events (
    id                   TEXT PRIMARY KEY,
    sandbox_id           TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    -- sent, delivered, bounce or error
    event_type           TEXT NOT NULL,
    channel              TEXT NOT NULL,
    request_id           TEXT NOT NULL,
    message_execution_id TEXT NOT NULL,
    -- the exact JSON body every delivery of this event sends
    payload              TEXT NOT NULL,
    created_at           INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES feedback_events (id) ON DELETE CASCADE,
    webhook_id      TEXT NOT NULL REFERENCES feedback_webhooks (id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- while in the future, a worker owns this delivery; an expired lease is claimed again
    claimed_until   INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, created_at);

CREATE TABLE delivery_attempts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    status           INTEGER,
    error_code       TEXT,
    -- JSON array of [name, value] pairs
    response_headers TEXT NOT NULL,
    body_excerpt     TEXT NOT NULL
);

CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, attempt);
