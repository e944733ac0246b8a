-- A feedback event no webhook receives has no payload and no deliveries: only its message's
-- timeline shows it. Its message keeps it, as `type@ms;` entries in its own row, instead of a
-- row of its own with four index entries.
ALTER TABLE message_executions ADD COLUMN unrouted_events TEXT NOT NULL DEFAULT '';

UPDATE message_executions SET unrouted_events = (
    SELECT group_concat(e.event_type || '@' || e.created_at || ';', '' ORDER BY e.created_at, e.id)
    FROM feedback_events e
    WHERE e.message_execution_id = message_executions.id AND e.payload = ''
)
WHERE id IN (SELECT message_execution_id FROM feedback_events WHERE payload = '');

DELETE FROM feedback_events
WHERE payload = '' AND message_execution_id IN (SELECT id FROM message_executions);

-- Old executions are pruned campaign by campaign, through executions_by_campaign, which
-- covers created_at: no index of their own by age.
DROP INDEX executions_by_age;
