//! The outbox in PostgreSQL: events and deliveries written in one transaction (one statement
//! per table over `UNNEST` arrays), claims with `FOR UPDATE SKIP LOCKED` in short transactions
//! so that instances never claim the same delivery, attempts recorded in one transaction.

use super::*;
use crate::server::storage::plan::{self, EventsPlan, Streak};
use sqlx::{PgConnection, Postgres, Transaction};

/// The deliveries inserted, each handed-off one with its webhook's version.
pub(super) type Inserted = std::collections::HashMap<Uuid, Option<i64>>;

/// Inserts the planned events and their deliveries; a delivery only for an enabled webhook of
/// the event's sandbox.
pub(super) async fn insert_events(
    tx: &mut PgConnection,
    plan: &EventsPlan<'_>,
    now: i64,
) -> StoreResult<Inserted> {
    if plan.events.is_empty() {
        return Ok(Inserted::new());
    }
    let events = &plan.events;
    sqlx::query(
        "INSERT INTO feedback_events (id, sandbox_id, event_type, channel, request_id, message_execution_id, payload, created_at) \
         SELECT v.*, $8 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS v",
    )
    .bind(events.iter().map(|e| e.id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event.sandbox_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event.event_type.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event.channel.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event.request_id.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event.message_execution_id.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event.payload.as_str()).collect::<Vec<_>>())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if plan.deliveries.is_empty() {
        return Ok(Inserted::new());
    }
    let deliveries = &plan.deliveries;
    let event = |d| plan.event_of(d);
    let inserted: Vec<(Uuid, Option<i64>)> = sqlx::query_as(
        "INSERT INTO deliveries (id, event_id, webhook_id, sandbox_id, event_type, channel, state, attempts, next_attempt_at, claimed_until, created_at, updated_at) \
         SELECT v.id, v.event_id, v.webhook_id, v.sandbox_id, v.event_type, v.channel, 'pending', 0, COALESCE(v.claimed_until, $7), v.claimed_until, $7, $7 \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $8::bigint[]) \
             AS v (id, event_id, webhook_id, sandbox_id, event_type, channel, claimed_until) \
         WHERE EXISTS (SELECT 1 FROM feedback_webhooks w WHERE w.id = v.webhook_id AND w.sandbox_id = v.sandbox_id AND w.enabled) \
         RETURNING id, CASE WHEN claimed_until IS NOT NULL THEN \
             (SELECT w.updated_at FROM feedback_webhooks w WHERE w.id = deliveries.webhook_id) END",
    )
    .bind(deliveries.iter().map(|d| d.id).collect::<Vec<_>>())
    .bind(deliveries.iter().map(|d| event(d).id).collect::<Vec<_>>())
    .bind(deliveries.iter().map(|d| d.webhook_id).collect::<Vec<_>>())
    .bind(deliveries.iter().map(|d| event(d).event.sandbox_id).collect::<Vec<_>>())
    .bind(deliveries.iter().map(|d| event(d).event.event_type.as_str()).collect::<Vec<_>>())
    .bind(deliveries.iter().map(|d| event(d).event.channel.as_str()).collect::<Vec<_>>())
    .bind(now)
    .bind(deliveries.iter().map(|d| d.claimed_until).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    Ok(inserted.into_iter().collect())
}

/// The planned deliveries written claimed, from what [`insert_events`] inserted.
pub(super) fn handed_off(plan: &EventsPlan<'_>, inserted: &Inserted) -> Vec<ClaimedDelivery> {
    plan.handed_off(|id| inserted.get(id).copied().flatten())
}

async fn enqueue(
    pool: &PgPool,
    batch: &[(NewEvent, Vec<Uuid>)],
    handoff: &Handoff,
    now: i64,
) -> StoreResult<Written<Vec<Vec<Uuid>>>> {
    let items: Vec<(&NewEvent, &[Uuid])> = batch
        .iter()
        .map(|(event, webhook_ids)| (event, webhook_ids.as_slice()))
        .collect();
    let plan = EventsPlan::new(&items, handoff);
    let mut tx = pool.begin().await?;
    let inserted = insert_events(&mut tx, &plan, now).await?;
    tx.commit().await?;
    Ok(Written {
        answer: plan.created(|id| inserted.contains_key(id)),
        handed_off: handed_off(&plan, &inserted),
    })
}

/// Leases due deliveries of enabled webhooks, at most `per_webhook` of each, oldest first. Each
/// webhook's claim is one short transaction: the rows are locked with `SKIP LOCKED` (another
/// instance's claim in progress is passed over, not waited for), and the update checks again
/// that they are pending and due.
async fn claim_due(
    pool: &PgPool,
    now: i64,
    lease_until: i64,
    limit: i64,
    per_webhook: i64,
    skip: &ClaimSkip,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let due: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT w.id, w.updated_at FROM feedback_webhooks w \
         CROSS JOIN LATERAL (SELECT MIN(d.next_attempt_at) AS due FROM deliveries d \
             WHERE d.webhook_id = w.id AND d.state = 'pending') AS next \
         WHERE w.enabled AND next.due <= $1 AND w.id <> ALL($2) AND w.sandbox_id <> ALL($3) \
         ORDER BY next.due",
    )
    .bind(now)
    .bind(&skip.webhooks)
    .bind(&skip.sandboxes)
    .fetch_all(pool)
    .await?;
    let mut claimed = Vec::new();
    for (webhook_id, version) in due {
        let room = limit - claimed.len() as i64;
        if room <= 0 {
            break;
        }
        let rows = sqlx::query(
            "WITH due AS (SELECT id FROM deliveries WHERE webhook_id = $3 AND state = 'pending' AND next_attempt_at <= $2 \
                 ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             UPDATE deliveries d SET next_attempt_at = $1, claimed_until = $1, updated_at = $2 FROM due \
             WHERE d.id = due.id AND d.state = 'pending' AND d.next_attempt_at <= $2 \
             RETURNING d.id, d.event_id, d.webhook_id, d.sandbox_id, d.attempts, \
                 (SELECT payload FROM feedback_events e WHERE e.id = d.event_id) AS payload",
        )
        .bind(lease_until)
        .bind(now)
        .bind(webhook_id)
        .bind(per_webhook.min(room))
        .fetch_all(pool)
        .await?;
        for row in &rows {
            claimed.push(ClaimedDelivery {
                id: row.try_get("id")?,
                event_id: row.try_get("event_id")?,
                webhook_id: row.try_get("webhook_id")?,
                sandbox_id: row.try_get("sandbox_id")?,
                webhook_version: version,
                claim: lease_until,
                attempts: row.try_get("attempts")?,
                payload: row.try_get("payload")?,
            });
        }
    }
    Ok(claimed)
}

/// Stores the attempts, moves their deliveries on, keeps each webhook's failing streak, and
/// disables the webhooks failing since before the policy's cutoff, in one transaction.
async fn record_attempts(
    pool: &PgPool,
    attempts: &[AttemptRecord],
    policy: &AutoDisable,
    now: i64,
) -> StoreResult<Vec<Uuid>> {
    if attempts.is_empty() {
        return Ok(Vec::new());
    }
    let json = |headers: &[(String, String)]| {
        serde_json::to_string(headers).unwrap_or_else(|_| "[]".into())
    };
    let mut tx: Transaction<'_, Postgres> = pool.begin().await?;
    let delivery_ids: Vec<Uuid> = attempts.iter().map(|a| a.delivery_id).collect();
    let claims: Vec<i64> = attempts.iter().map(|a| a.claim).collect();
    // Only attempts made under their delivery's current claim count: the insert reads the
    // claims before the update below clears them. A delivery deleted meanwhile (with its
    // webhook) has nothing left to record; the others of the batch must not fail with it.
    sqlx::query(
        "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, error_code, response_headers, body_excerpt, request_headers) \
         SELECT v.delivery_id, v.attempt, v.started_at, v.duration_ms, v.status, v.error_code, v.response_headers, v.body_excerpt, v.request_headers \
         FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[]) \
             AS v (delivery_id, attempt, started_at, duration_ms, status, error_code, response_headers, body_excerpt, request_headers, claim) \
         WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = v.delivery_id AND d.state = 'pending' AND d.claimed_until = v.claim)",
    )
    .bind(&delivery_ids)
    .bind(attempts.iter().map(|a| a.attempt).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.started_at_ms).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.duration_ms).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.status.map(i64::from)).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.error_code.as_deref()).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| json(&a.response_headers)).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.body_excerpt.as_str()).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| json(&a.request_headers)).collect::<Vec<_>>())
    .bind(&claims)
    .execute(&mut *tx)
    .await?;
    let moves: Vec<(&str, i64)> = attempts
        .iter()
        .map(|a| plan::after_attempt(&a.next, now))
        .collect();
    sqlx::query(
        "UPDATE deliveries d SET state = v.state, attempts = v.attempts, next_attempt_at = v.next_at, \
         claimed_until = NULL, last_status = v.status, last_error = v.error, last_attempt_at = v.at, updated_at = $8 \
         FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $9::bigint[]) \
             AS v (id, state, attempts, next_at, status, error, at, claim) \
         WHERE d.id = v.id AND d.state = 'pending' AND d.claimed_until = v.claim",
    )
    .bind(&delivery_ids)
    .bind(moves.iter().map(|(state, _)| *state).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.attempt).collect::<Vec<_>>())
    .bind(moves.iter().map(|(_, at)| *at).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.status.map(i64::from)).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.error_code.as_deref()).collect::<Vec<_>>())
    .bind(attempts.iter().map(|a| a.started_at_ms).collect::<Vec<_>>())
    .bind(now)
    .bind(&claims)
    .execute(&mut *tx)
    .await?;
    super::history::write_health(&mut tx, &plan::health_changes(attempts)).await?;

    let streaks = plan::failing_streaks(attempts);
    let ended: Vec<Uuid> = streaks
        .iter()
        .filter(|(_, streak)| *streak == Streak::Ended)
        .map(|(id, _)| *id)
        .collect();
    let failing: Vec<(Uuid, i64)> = streaks
        .iter()
        .filter_map(|(id, streak)| match streak {
            Streak::Failing { first_failure_ms } => Some((*id, *first_failure_ms)),
            Streak::Ended => None,
        })
        .collect();
    if !ended.is_empty() {
        sqlx::query(
            "UPDATE feedback_webhooks SET failing_since = NULL, last_success_at = $1 WHERE id = ANY($2)",
        )
        .bind(now)
        .bind(&ended)
        .execute(&mut *tx)
        .await?;
    }
    let mut disabled = Vec::new();
    if !failing.is_empty() {
        let ids: Vec<Uuid> = failing.iter().map(|(id, _)| *id).collect();
        sqlx::query(
            "UPDATE feedback_webhooks w SET failing_since = COALESCE(w.failing_since, v.first_failure) \
             FROM UNNEST($1::uuid[], $2::bigint[]) AS v (id, first_failure) WHERE w.id = v.id",
        )
        .bind(&ids)
        .bind(failing.iter().map(|(_, at)| *at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        disabled = sqlx::query_scalar(
            "UPDATE feedback_webhooks SET enabled = FALSE, disabled_reason = $1, updated_at = $2 \
             WHERE id = ANY($3) AND enabled AND failing_since <= $4 RETURNING id",
        )
        .bind(policy.reason.as_str())
        .bind(now)
        .bind(&ids)
        .bind(policy.failing_since_before_ms)
        .fetch_all(&mut *tx)
        .await?;
        for webhook in &disabled {
            super::audit::insert_audit_of_webhook(&mut tx, *webhook, &policy.audit).await?;
        }
    }
    tx.commit().await?;
    Ok(disabled)
}

#[async_trait]
impl OutboxStore for PostgresStorage {
    /// One transaction for the batch; should it fail, each event is written alone so that one
    /// bad event (an unknown sandbox) fails alone.
    async fn enqueue_events(
        &self,
        batch: &[(NewEvent, Vec<Uuid>)],
        handoff: &Handoff,
    ) -> StoreResult<Written<Vec<StoreResult<Vec<Uuid>>>>> {
        let now = now_ms();
        let pool = &self.pool;
        enqueue_batch_or_each(batch, handoff, |events, handoff| async move {
            enqueue(pool, events, &handoff, now).await
        })
        .await
    }

    async fn claim_due(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
        per_webhook: i64,
        skip: &ClaimSkip,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        claim_due(&self.pool, now, lease_until, limit, per_webhook, skip).await
    }

    async fn record_attempts(
        &self,
        attempts: &[AttemptRecord],
        policy: &AutoDisable,
    ) -> StoreResult<Vec<Uuid>> {
        record_attempts(&self.pool, attempts, policy, now_ms()).await
    }

    async fn release_claims(&self, claims: &[(Uuid, i64)], now_ms: i64) -> StoreResult<u64> {
        if claims.is_empty() {
            return Ok(0);
        }
        let result = sqlx::query(
            "UPDATE deliveries d SET next_attempt_at = $3, claimed_until = NULL, updated_at = $3 \
             FROM UNNEST($1::uuid[], $2::bigint[]) AS v (id, claim) \
             WHERE d.id = v.id AND d.state = 'pending' AND d.claimed_until = v.claim",
        )
        .bind(claims.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(claims.iter().map(|(_, claim)| *claim).collect::<Vec<_>>())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    /// When the next delivery of an enabled webhook falls due (a claimed one: when its lease ends).
    async fn next_due_ms(&self) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(d.next_attempt_at) FROM feedback_webhooks w \
             JOIN deliveries d ON d.webhook_id = w.id AND d.state = 'pending' WHERE w.enabled",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn expire_waiting(&self, due_before_ms: i64, limit: i64) -> StoreResult<u64> {
        let result = sqlx::query(
            "UPDATE deliveries SET state = 'failed', last_error = 'E_EXPIRED', claimed_until = NULL, updated_at = $1 \
             WHERE id IN (SELECT d.id FROM feedback_webhooks w JOIN deliveries d ON d.webhook_id = w.id \
                 AND d.state = 'pending' AND d.next_attempt_at <= $2 WHERE NOT w.enabled LIMIT $3)",
        )
        .bind(now_ms())
        .bind(due_before_ms)
        .bind(limit)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }
}
