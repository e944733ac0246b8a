-- Automatic disabling needs to know since when a webhook has only failed; its last success is
-- kept for people too.
ALTER TABLE feedback_webhooks ADD COLUMN failing_since INTEGER;
ALTER TABLE feedback_webhooks ADD COLUMN last_success_at INTEGER;

-- A claim moves next_attempt_at to the end of its lease (the row is due again only if its worker
-- dies), so due work is found per webhook with one index: the per-webhook claim quota and the
-- "next due" time are index seeks, whatever the backlog.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_pending ON deliveries (webhook_id, next_attempt_at) WHERE state = 'pending';
