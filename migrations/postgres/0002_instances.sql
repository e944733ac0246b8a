-- What several instances sharing this database need of it: failed sign-ins counted once for
-- all of them, and notifications telling the others what a write changed. Each notification's
-- payload starts with the writer's application_name (an id per instance), so an instance
-- skips what it told itself.

CREATE TABLE login_failures (
    -- the lower-cased email that was tried
    email_key         text PRIMARY KEY,
    failures          bigint NOT NULL,
    window_started_at bigint NOT NULL
);

CREATE INDEX login_failures_by_window ON login_failures (window_started_at);

-- `fw_deliveries`: deliveries became due (wakes the delivery workers).
-- `fw_lookups`: something the execution API keeps in memory changed (drops the kept answers).
CREATE FUNCTION fw_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], current_setting('application_name'));
    RETURN NULL;
END $$;

-- Identical notifications of one transaction are sent once, so a row trigger costs one message
-- per transaction, not one per row.
CREATE FUNCTION fw_notify_if_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify(TG_ARGV[0], current_setting('application_name'));
    END IF;
    RETURN NULL;
END $$;

-- `fw_outcomes`: provider outcomes to emit were stored; the payload carries the earliest due
-- time, so a dispatcher sleeping past it wakes in time.
CREATE FUNCTION fw_notify_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    due bigint;
BEGIN
    SELECT min(due_at) INTO due FROM inserted WHERE emitted_at IS NULL;
    IF due IS NOT NULL THEN
        PERFORM pg_notify('fw_outcomes', current_setting('application_name') || ' ' || due);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER deliveries_inserted AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION fw_notify_if_inserted('fw_deliveries');

-- A resend puts a finished delivery back; a claim or a retry keeps it pending and wakes no one.
CREATE TRIGGER deliveries_requeued AFTER UPDATE OF state ON deliveries
    FOR EACH ROW WHEN (OLD.state <> 'pending' AND NEW.state = 'pending')
    EXECUTE FUNCTION fw_notify('fw_deliveries');

CREATE TRIGGER webhooks_enabled AFTER UPDATE OF enabled ON feedback_webhooks
    FOR EACH ROW WHEN (NEW.enabled AND NOT OLD.enabled)
    EXECUTE FUNCTION fw_notify('fw_deliveries');

CREATE TRIGGER provider_outcomes_inserted AFTER INSERT ON provider_outcomes
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION fw_notify_outcomes();

-- The kept answers: callers (credentials of an organization, its sandboxes) and campaigns with
-- their webhook's routing. A credential's last use and a webhook's failing streak change
-- nothing kept, so they are left out: they are written on every call or attempt.
CREATE TRIGGER credentials_changed
    AFTER INSERT OR DELETE OR UPDATE OF organization_id, name, api_key, token_hash, revoked_at
    ON api_credentials
    FOR EACH STATEMENT EXECUTE FUNCTION fw_notify('fw_lookups');

CREATE TRIGGER sandboxes_changed AFTER INSERT OR DELETE OR UPDATE ON sandboxes
    FOR EACH STATEMENT EXECUTE FUNCTION fw_notify('fw_lookups');

CREATE TRIGGER campaigns_changed AFTER INSERT OR DELETE OR UPDATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION fw_notify('fw_lookups');

CREATE TRIGGER webhooks_changed
    AFTER INSERT OR DELETE OR UPDATE OF sandbox_id, enabled, channel_email, channel_sms, event_filter
    ON feedback_webhooks
    FOR EACH STATEMENT EXECUTE FUNCTION fw_notify('fw_lookups');
