-- Events are found by requestId only to search deliveries, and only an event some webhook
-- receives has deliveries (and a payload). An event no webhook receives (most `sent` events)
-- no longer adds an entry to this index.
DROP INDEX feedback_events_by_request;
CREATE INDEX feedback_events_by_request ON feedback_events (sandbox_id, request_id) WHERE payload <> '';
