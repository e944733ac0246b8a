-- The whole schema for PostgreSQL, with native types: uuid ids, booleans, bytea for sealed
-- secrets, bigint milliseconds since the Unix epoch (UTC) for every time, so that both backends
-- hand the same records up. Constraint names are those of the SQLite schema: a unique violation
-- is mapped to a field error by its constraint's name.

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    ims_org    text NOT NULL CONSTRAINT organizations_ims_org_unique UNIQUE,
    created_at bigint NOT NULL
);

CREATE TABLE sandboxes (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL,
    created_at      bigint NOT NULL,
    CONSTRAINT sandboxes_name_unique UNIQUE (organization_id, name)
);

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL,
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at      bigint NOT NULL,
    CONSTRAINT users_email_unique UNIQUE (email)
);

CREATE TABLE feedback_webhooks (
    id                                 uuid PRIMARY KEY,
    sandbox_id                         uuid NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    name                               text NOT NULL,
    -- the lower-cased name: names are unique per sandbox regardless of case
    name_key                           text NOT NULL,
    channel_email                      boolean NOT NULL,
    channel_sms                        boolean NOT NULL,
    url                                text NOT NULL,
    enabled                            boolean NOT NULL,
    disabled_reason                    text,
    -- which feedback events it receives, comma-separated
    event_filter                       text NOT NULL DEFAULT 'sent,delivered,bounce,error',
    -- NULL: no authentication
    jwt_algorithm                      text,
    jwt_key_kind                       text,
    jwt_secret_sealed                  bytea,
    jwt_secret_fingerprint             text,
    jwt_key_id                         text,
    jwt_issuer                         text,
    jwt_subject                        text,
    jwt_audience                       text,
    jwt_extra_claims                   text,
    jwt_lifetime_secs                  bigint NOT NULL DEFAULT 300,
    signing_secret_sealed              bytea,
    signing_secret_fingerprint         text,
    previous_signing_secret_sealed     bytea,
    previous_signing_secret_expires_at bigint,
    -- since when every attempt failed (automatic disabling), and the last success
    failing_since                      bigint,
    last_success_at                    bigint,
    last_error                         text,
    last_error_at                      bigint,
    created_at                         bigint NOT NULL,
    updated_at                         bigint NOT NULL,
    CONSTRAINT feedback_webhooks_name_unique UNIQUE (sandbox_id, name_key)
);

CREATE TABLE webhook_headers (
    id                uuid PRIMARY KEY,
    webhook_id        uuid NOT NULL REFERENCES feedback_webhooks (id) ON DELETE CASCADE,
    position          bigint NOT NULL,
    name              text NOT NULL,
    -- plain rows keep `value`; secret rows keep only the sealed value and its fingerprint
    value             text,
    value_sealed      bytea,
    value_fingerprint text,
    value_len         bigint NOT NULL
);

CREATE INDEX webhook_headers_by_webhook ON webhook_headers (webhook_id, position);

CREATE TABLE campaigns (
    id                  uuid PRIMARY KEY,
    sandbox_id          uuid NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    name                text NOT NULL,
    name_key            text NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('email', 'sms')),
    status              text NOT NULL CHECK (status IN ('draft', 'live', 'stopped')),
    email_subject       text NOT NULL DEFAULT '',
    email_body          text NOT NULL DEFAULT '',
    sms_text            text NOT NULL DEFAULT '',
    campaign_version_id text NOT NULL,
    webhook_enabled     boolean NOT NULL DEFAULT FALSE,
    webhook_id          uuid REFERENCES feedback_webhooks (id) ON DELETE SET NULL,
    created_at          bigint NOT NULL,
    updated_at          bigint NOT NULL,
    CONSTRAINT campaigns_name_unique UNIQUE (sandbox_id, name_key)
);

CREATE TABLE api_credentials (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text NOT NULL,
    api_key         text NOT NULL CONSTRAINT api_credentials_api_key_unique UNIQUE,
    token_hash      text NOT NULL,
    created_at      bigint NOT NULL,
    last_used_at    bigint,
    revoked_at      bigint
);

CREATE TABLE executions (
    id          uuid PRIMARY KEY,
    sandbox_id  uuid NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    request_id  text NOT NULL,
    created_by  text NOT NULL,
    -- the exact 202 body, answered again on a replay
    response    text NOT NULL,
    created_at  bigint NOT NULL,
    CONSTRAINT executions_request_unique UNIQUE (campaign_id, request_id)
);

CREATE INDEX executions_by_campaign ON executions (campaign_id, created_at, id);

CREATE TABLE message_executions (
    id                  text PRIMARY KEY,
    execution_id        uuid NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    position            bigint NOT NULL,
    recipient_type      text NOT NULL,
    user_id             text NOT NULL,
    namespace           text NOT NULL,
    address             text NOT NULL,
    campaign_version_id text NOT NULL,
    content             text NOT NULL,
    -- feedback events no webhook receives, as `type@ms;` entries
    unrouted_events     text NOT NULL DEFAULT ''
);

CREATE INDEX message_executions_by_address ON message_executions (address);
CREATE INDEX message_executions_by_execution ON message_executions (execution_id, position);

CREATE TABLE provider_outcomes (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_execution_id text NOT NULL REFERENCES message_executions (id) ON DELETE CASCADE,
    status               text NOT NULL CHECK (status IN ('sent', 'delivered', 'bounce', 'error')),
    failure              text,
    retry_count          bigint NOT NULL DEFAULT 0,
    due_at               bigint NOT NULL,
    emitted_at           bigint
);

CREATE INDEX provider_outcomes_due ON provider_outcomes (due_at) WHERE emitted_at IS NULL;
CREATE INDEX provider_outcomes_by_message ON provider_outcomes (message_execution_id);

-- The outbox: a feedback event and its deliveries are written in one transaction; workers claim
-- due deliveries under a lease (claimed_until) so a crash at any moment loses nothing.
CREATE TABLE feedback_events (
    id                   uuid PRIMARY KEY,
    sandbox_id           uuid NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
    event_type           text NOT NULL,
    channel              text NOT NULL,
    request_id           text NOT NULL,
    message_execution_id text NOT NULL,
    -- the exact JSON body every delivery of this event sends
    payload              text NOT NULL,
    created_at           bigint NOT NULL
);

CREATE INDEX feedback_events_by_request ON feedback_events (sandbox_id, request_id) WHERE payload <> '';
CREATE INDEX feedback_events_by_message ON feedback_events (message_execution_id);
CREATE INDEX feedback_events_by_age ON feedback_events (created_at);

CREATE TABLE deliveries (
    id              uuid PRIMARY KEY,
    event_id        uuid NOT NULL REFERENCES feedback_events (id) ON DELETE CASCADE,
    webhook_id      uuid NOT NULL REFERENCES feedback_webhooks (id) ON DELETE CASCADE,
    sandbox_id      uuid NOT NULL,
    event_type      text NOT NULL,
    channel         text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts        bigint NOT NULL DEFAULT 0,
    -- a claim moves it to the end of its lease: the row is due again only if its worker dies
    next_attempt_at bigint NOT NULL,
    claimed_until   bigint,
    last_status     bigint,
    last_error      text,
    last_attempt_at bigint,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL
);

CREATE INDEX deliveries_pending ON deliveries (webhook_id, next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_history_by_webhook ON deliveries (webhook_id, created_at, id, event_type, channel);
CREATE INDEX deliveries_history_by_sandbox ON deliveries (sandbox_id, created_at, id, event_type, channel);
CREATE INDEX deliveries_failed_by_webhook ON deliveries (webhook_id, created_at, id, event_type, channel) WHERE state = 'failed';
CREATE INDEX deliveries_failed_by_sandbox ON deliveries (sandbox_id, created_at, id, event_type, channel) WHERE state = 'failed';
CREATE INDEX deliveries_by_event ON deliveries (event_id);

CREATE TABLE delivery_attempts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id      uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt          bigint NOT NULL,
    started_at       bigint NOT NULL,
    duration_ms      bigint NOT NULL,
    status           bigint,
    error_code       text,
    -- JSON arrays of [name, value] pairs; request headers with secret values masked
    request_headers  text NOT NULL DEFAULT '[]',
    response_headers text NOT NULL,
    body_excerpt     text NOT NULL
);

CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, attempt);

-- Webhook health: attempts per hour, by how they ended and by latency bucket.
CREATE TABLE webhook_hourly_stats (
    webhook_id uuid NOT NULL REFERENCES feedback_webhooks (id) ON DELETE CASCADE,
    hour       bigint NOT NULL,
    bucket     bigint NOT NULL,
    succeeded  bigint NOT NULL DEFAULT 0,
    retried    bigint NOT NULL DEFAULT 0,
    failed     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (webhook_id, hour, bucket)
);
