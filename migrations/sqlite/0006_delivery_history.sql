-- The delivery history filters deliveries by sandbox, event and channel without joining their
-- events, so those are copied onto each delivery when it is created.
ALTER TABLE deliveries ADD COLUMN sandbox_id TEXT;
ALTER TABLE deliveries ADD COLUMN event_type TEXT;
ALTER TABLE deliveries ADD COLUMN channel TEXT;
ALTER TABLE deliveries ADD COLUMN last_attempt_at INTEGER;
UPDATE deliveries SET
    sandbox_id = (SELECT e.sandbox_id FROM feedback_events e WHERE e.id = deliveries.event_id),
    event_type = (SELECT e.event_type FROM feedback_events e WHERE e.id = deliveries.event_id),
    channel = (SELECT e.channel FROM feedback_events e WHERE e.id = deliveries.event_id),
    last_attempt_at = (SELECT MAX(a.started_at) FROM delivery_attempts a WHERE a.delivery_id = deliveries.id);

-- Newest first, per webhook or per sandbox: each list is an index walk that stops after one
-- page, and a keyset page starts with a seek. Event and channel (never changed after insert)
-- ride along, so filtering on them reads the index, not the rows. Failed deliveries, rare and
-- the ones people look for, have their own partial indexes, which a delivery that succeeds
-- never touches.
DROP INDEX deliveries_by_webhook;
CREATE INDEX deliveries_history_by_webhook ON deliveries (webhook_id, created_at, id, event_type, channel);
CREATE INDEX deliveries_history_by_sandbox ON deliveries (sandbox_id, created_at, id, event_type, channel);
CREATE INDEX deliveries_failed_by_webhook ON deliveries (webhook_id, created_at, id, event_type, channel) WHERE state = 'failed';
CREATE INDEX deliveries_failed_by_sandbox ON deliveries (sandbox_id, created_at, id, event_type, channel) WHERE state = 'failed';
-- Search by requestId, messageExecutionID or recipient goes through the event.
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX feedback_events_by_message ON feedback_events (message_execution_id);
CREATE INDEX message_executions_by_address ON message_executions (address);
CREATE INDEX message_executions_by_execution ON message_executions (execution_id, position);
CREATE INDEX executions_by_campaign ON executions (campaign_id, created_at, id);
-- Retention prunes the oldest events (their deliveries and attempts go with them) and executions.
CREATE INDEX feedback_events_by_age ON feedback_events (created_at);
CREATE INDEX executions_by_age ON executions (created_at);
-- Removing an execution removes its messages' outcomes through this.
CREATE INDEX provider_outcomes_by_message ON provider_outcomes (message_execution_id);

-- The request headers of each attempt as sent, secret values masked: JSON [[name, value], ...].
ALTER TABLE delivery_attempts ADD COLUMN request_headers TEXT NOT NULL DEFAULT '[]';

-- The last failure of a webhook, for its health.
ALTER TABLE feedback_webhooks ADD COLUMN last_error TEXT;
ALTER TABLE feedback_webhooks ADD COLUMN last_error_at INTEGER;

-- Webhook health: attempts per hour, by how they ended and by latency bucket, written with the
-- attempts. A day of health is at most 24 hours x a few dozen buckets, whatever the traffic.
CREATE TABLE webhook_hourly_stats (
    webhook_id TEXT NOT NULL REFERENCES feedback_webhooks (id) ON DELETE CASCADE,
    -- start of the hour, ms since the epoch
    hour       INTEGER NOT NULL,
    -- index into the latency bucket bounds (see model::health)
    bucket     INTEGER NOT NULL,
    succeeded  INTEGER NOT NULL DEFAULT 0,
    -- failed attempts that will be retried
    retried    INTEGER NOT NULL DEFAULT 0,
    -- failed attempts that ended their delivery
    failed     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (webhook_id, hour, bucket)
) WITHOUT ROWID;
