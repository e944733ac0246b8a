//! The outbox in SQLite: events and deliveries written in one transaction, claims under a lease,
//! attempts recorded in batches, each batch one round trip (see `batch`).

use super::batch::{push_rows, Returned, Statements};
use super::*;
use crate::server::storage::plan::{self, EventsPlan, Streak};
use std::collections::HashMap;

/// The fast path: every event and delivery of the batch in a few multi-row statements.
async fn enqueue_all(
    pool: &SqlitePool,
    batch: &[(NewEvent, Vec<Uuid>)],
    handoff: &Handoff,
    now: i64,
) -> StoreResult<Written<Vec<Vec<Uuid>>>> {
    let items: Vec<(&NewEvent, &[Uuid])> = batch
        .iter()
        .map(|(event, webhook_ids)| (event, webhook_ids.as_slice()))
        .collect();
    let plan = EventsPlan::new(&items, handoff);
    let mut statements = Statements::default();
    push_events(&mut statements, &plan, now, false);
    let returned = statements.run_in_transaction(pool).await?;
    Ok(Written {
        answer: plan.created(|id| returned.contains_key(&id.to_string())),
        handed_off: handed_off(&plan, &returned),
    })
}

/// The planned deliveries written claimed, from what the statements of [`push_events`] returned.
pub(super) fn handed_off(plan: &EventsPlan<'_>, returned: &Returned) -> Vec<ClaimedDelivery> {
    plan.handed_off(|id| returned.get(&id.to_string()).copied().flatten())
}

/// Adds the statements writing the planned events and their deliveries. A delivery is only
/// created for an enabled webhook of the event's sandbox; with `of_stored_messages`, an event is
/// only written if its message execution is (a replayed execution stores none). The deliveries'
/// ids are the ids the statements return, each handed-off one with its webhook's version.
pub(super) fn push_events<'q>(
    statements: &mut Statements<'q>,
    plan: &EventsPlan<'q>,
    now: i64,
    of_stored_messages: bool,
) {
    let condition = if of_stored_messages {
        " WHERE EXISTS (SELECT 1 FROM message_executions m WHERE m.id = v.column6)"
    } else {
        ""
    };
    push_rows(
        statements,
        &plan.events,
        7,
        |source| {
            format!(
            "INSERT INTO feedback_events (id, sandbox_id, event_type, channel, request_id, message_execution_id, payload, created_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, ? FROM {source} AS v{condition}"
        )
        },
        &[now],
        |statements, row| {
            statements.bind(row.id.to_string());
            statements.bind(row.event.sandbox_id.to_string());
            statements.bind(row.event.event_type.as_str());
            statements.bind(row.event.channel.as_str());
            statements.bind(row.event.request_id.as_str());
            statements.bind(row.event.message_execution_id.as_str());
            statements.bind(row.event.payload.as_str());
        },
    );
    push_rows(
        statements,
        &plan.deliveries,
        7,
        |source| {
            format!(
            "INSERT INTO deliveries (id, event_id, webhook_id, sandbox_id, event_type, channel, state, attempts, next_attempt_at, claimed_until, created_at, updated_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, 'pending', 0, COALESCE(v.column7, ?), v.column7, ?, ? FROM {source} AS v \
             WHERE EXISTS (SELECT 1 FROM feedback_webhooks w WHERE w.id = v.column3 AND w.sandbox_id = v.column4 AND w.enabled = TRUE) \
             AND EXISTS (SELECT 1 FROM feedback_events e WHERE e.id = v.column2) \
             RETURNING id, CASE WHEN claimed_until IS NOT NULL THEN \
                 (SELECT w.updated_at FROM feedback_webhooks w WHERE w.id = deliveries.webhook_id) END"
        )
        },
        &[now, now, now],
        |statements, row| {
            let event = plan.event_of(row);
            statements.bind(row.id.to_string());
            statements.bind(event.id.to_string());
            statements.bind(row.webhook_id.to_string());
            statements.bind(event.event.sandbox_id.to_string());
            statements.bind(event.event.event_type.as_str());
            statements.bind(event.event.channel.as_str());
            statements.bind(row.claimed_until);
        },
    );
}

/// Leases due deliveries of enabled webhooks, at most `per_webhook` of each, oldest first, by
/// moving their `next_attempt_at` to the end of the lease. Each webhook's claim is one atomic
/// statement, so two workers never claim the same row.
async fn claim_due(
    readers: &SqlitePool,
    pool: &SqlitePool,
    now: i64,
    lease_until: i64,
    limit: i64,
    per_webhook: i64,
    skip: &ClaimSkip,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let due: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, sandbox_id, updated_at FROM ( \
             SELECT w.id, w.sandbox_id, w.updated_at, (SELECT MIN(d.next_attempt_at) FROM deliveries d \
                 WHERE d.webhook_id = w.id AND d.state = 'pending') AS due \
             FROM feedback_webhooks w WHERE w.enabled = TRUE) \
         WHERE due <= $1 ORDER BY due",
    )
    .bind(now)
    .fetch_all(readers)
    .await?;
    let skipped = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
    let (skip_webhooks, skip_sandboxes) = (skipped(&skip.webhooks), skipped(&skip.sandboxes));
    let due: Vec<(String, i64)> = due
        .into_iter()
        .filter(|(webhook, sandbox, _)| {
            !skip_webhooks.contains(webhook) && !skip_sandboxes.contains(sandbox)
        })
        .map(|(webhook, _, version)| (webhook, version))
        .collect();
    if due.is_empty() {
        return Ok(Vec::new());
    }
    // A claim acknowledges no one: lost to a power cut, its deliveries are claimed again.
    let versions: HashMap<String, i64> = due.iter().cloned().collect();
    let claims = claim_statements(&due, (now, lease_until), limit, per_webhook);
    let rows = claims.fetch_in_unsynced_transaction(pool).await?;
    rows.iter()
        .map(|row| {
            let webhook_id: String = row.try_get("webhook_id")?;
            Ok(ClaimedDelivery {
                id: uuid_column(row, "id")?,
                event_id: uuid_column(row, "event_id")?,
                webhook_id: uuid_column(row, "webhook_id")?,
                sandbox_id: uuid_column(row, "sandbox_id")?,
                webhook_version: versions.get(&webhook_id).copied().unwrap_or_default(),
                claim: lease_until,
                attempts: row.try_get("attempts")?,
                payload: row.try_get("payload")?,
            })
        })
        .collect()
}

/// The claims of [`claim_due`], one statement per webhook, sent together in one transaction
/// (one round trip to the writer, where a statement each cost one each at low rates). Each
/// webhook takes an equal share of `limit`, at most `per_webhook` (`plan::claim_share`): the
/// batch is shared, and a share left unused is taken by the next claim, which follows at once.
fn claim_statements<'q>(
    due: &'q [(String, i64)],
    (now, lease_until): (i64, i64),
    limit: i64,
    per_webhook: i64,
) -> Statements<'q> {
    let webhooks = due.len().min(limit.max(1) as usize);
    let share = plan::claim_share(limit, webhooks, per_webhook);
    let mut statements = Statements::default();
    for (webhook_id, _) in &due[..webhooks] {
        statements.push(
            "UPDATE deliveries SET next_attempt_at = ?, claimed_until = ?, updated_at = ? WHERE id IN ( \
                 SELECT id FROM deliveries WHERE webhook_id = ? AND state = 'pending' AND next_attempt_at <= ? \
                 ORDER BY next_attempt_at LIMIT ?) \
             RETURNING id, event_id, webhook_id, sandbox_id, attempts, \
                 (SELECT payload FROM feedback_events e WHERE e.id = deliveries.event_id) AS payload",
        );
        statements.bind(lease_until);
        statements.bind(lease_until);
        statements.bind(now);
        statements.bind(webhook_id.as_str());
        statements.bind(now);
        statements.bind(share);
    }
    statements
}

/// When the next delivery of an enabled webhook falls due (a claimed one: when its lease ends).
async fn next_due(pool: &SqlitePool) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN((SELECT MIN(d.next_attempt_at) FROM deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending')) \
         FROM feedback_webhooks w WHERE w.enabled = TRUE",
    )
    .fetch_one(pool)
    .await?)
}

/// Stores the attempts, moves their deliveries on, keeps each webhook's failing streak, and
/// disables the webhooks failing since before the policy's cutoff. One transaction, one round
/// trip.
async fn record_attempts(
    pool: &SqlitePool,
    attempts: &[AttemptRecord],
    policy: &AutoDisable,
    now: i64,
) -> StoreResult<Vec<Uuid>> {
    let json = |headers: &[(String, String)]| {
        serde_json::to_string(headers).unwrap_or_else(|_| "[]".into())
    };
    let mut statements = Statements::default();
    // Only attempts made under their delivery's current claim count: the insert reads the
    // claims before the update below clears them. A delivery deleted meanwhile (with its
    // webhook) has nothing left to record; the others of the batch must not fail with it.
    push_rows(
        &mut statements,
        attempts,
        10,
        |source| {
            format!(
            "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, error_code, response_headers, body_excerpt, request_headers) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9 FROM {source} AS v \
             WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = v.column1 AND d.state = 'pending' AND d.claimed_until = v.column10)"
        )
        },
        &[],
        |statements, attempt| {
            statements.bind(attempt.delivery_id.to_string());
            statements.bind(attempt.attempt);
            statements.bind(attempt.started_at_ms);
            statements.bind(attempt.duration_ms);
            statements.bind(attempt.status.map(i64::from));
            statements.bind(attempt.error_code.as_deref());
            statements.bind(json(&attempt.response_headers));
            statements.bind(attempt.body_excerpt.as_str());
            statements.bind(json(&attempt.request_headers));
            statements.bind(attempt.claim);
        },
    );
    push_rows(
        &mut statements,
        attempts,
        8,
        |source| {
            format!(
            "UPDATE deliveries SET state = v.column2, attempts = v.column3, next_attempt_at = v.column4, \
             claimed_until = NULL, last_status = v.column5, last_error = v.column6, last_attempt_at = v.column7, updated_at = ? \
             FROM {source} AS v WHERE deliveries.id = v.column1 AND deliveries.state = 'pending' AND deliveries.claimed_until = v.column8"
        )
        },
        &[now],
        |statements, attempt| {
            let (state, next_at) = plan::after_attempt(&attempt.next, now);
            statements.bind(attempt.delivery_id.to_string());
            statements.bind(state);
            statements.bind(attempt.attempt);
            statements.bind(next_at);
            statements.bind(attempt.status.map(i64::from));
            statements.bind(attempt.error_code.as_deref());
            statements.bind(attempt.started_at_ms);
            statements.bind(attempt.claim);
        },
    );
    super::history::push_health(&mut statements, &plan::health_changes(attempts));

    let streaks = plan::failing_streaks(attempts);
    for (webhook_id, streak) in &streaks {
        let id = webhook_id.to_string();
        let Streak::Failing { first_failure_ms } = streak else {
            statements.push(
                "UPDATE feedback_webhooks SET failing_since = NULL, last_success_at = ? WHERE id = ?",
            );
            statements.bind(now);
            statements.bind(id);
            continue;
        };
        statements.push(
            "UPDATE feedback_webhooks SET failing_since = COALESCE(failing_since, ?) WHERE id = ?",
        );
        statements.bind(*first_failure_ms);
        statements.bind(id.clone());
        // Its audit entry first, under the condition of the update that follows it.
        statements.push(
            "INSERT INTO audit_log (organization_id, at, actor_kind, actor_id, actor_name, address, \
             action, object_kind, object_id, object_name, changes) \
             SELECT s.organization_id, ?, ?, ?, ?, ?, ?, 'webhook', w.id, w.name, ? \
             FROM feedback_webhooks w JOIN sandboxes s ON s.id = w.sandbox_id \
             WHERE w.id = ? AND w.enabled = TRUE AND w.failing_since <= ?",
        );
        let audit = &policy.audit;
        statements.bind(audit.at_ms);
        statements.bind(audit.actor_kind.as_str());
        statements.bind(audit.actor_id.as_deref());
        statements.bind(audit.actor_name.as_str());
        statements.bind(audit.address.as_deref());
        statements.bind(audit.action.as_str());
        statements.bind(audit.changes.as_str());
        statements.bind(id.clone());
        statements.bind(policy.failing_since_before_ms);
        // The only RETURNING of these statements: the ids returned are the webhooks disabled.
        statements.push(
            "UPDATE feedback_webhooks SET enabled = FALSE, disabled_reason = ?, updated_at = ? \
             WHERE id = ? AND enabled = TRUE AND failing_since <= ? RETURNING id",
        );
        statements.bind(policy.reason.as_str());
        statements.bind(now);
        statements.bind(id);
        statements.bind(policy.failing_since_before_ms);
    }
    let disabled = statements.run_in_unsynced_transaction(pool).await?;
    Ok(streaks
        .into_iter()
        .map(|(webhook_id, _)| webhook_id)
        .filter(|webhook_id| disabled.contains_key(&webhook_id.to_string()))
        .collect())
}

/// Makes the claimed deliveries due at `now` again, each while its claim is current.
async fn release_claims(pool: &SqlitePool, claims: &[(Uuid, i64)], now: i64) -> StoreResult<u64> {
    if claims.is_empty() {
        return Ok(0);
    }
    let mut statements = Statements::default();
    push_rows(
        &mut statements,
        claims,
        2,
        |source| {
            format!(
                "UPDATE deliveries SET next_attempt_at = ?, claimed_until = NULL, updated_at = ? \
                 FROM {source} AS v WHERE deliveries.id = v.column1 AND deliveries.state = 'pending' \
                 AND deliveries.claimed_until = v.column2 RETURNING deliveries.id"
            )
        },
        &[now, now],
        |statements, (id, claim)| {
            statements.bind(id.to_string());
            statements.bind(*claim);
        },
    );
    Ok(statements.run_in_transaction(pool).await?.len() as u64)
}

/// Marks failed (`E_EXPIRED`) up to `limit` deliveries that have waited for a disabled webhook
/// since before `due_before`. Small batches: the write lock is held only briefly.
async fn expire_waiting(
    pool: &SqlitePool,
    due_before: i64,
    limit: i64,
    now: i64,
) -> StoreResult<u64> {
    let result = sqlx::query(
        "UPDATE deliveries SET state = 'failed', last_error = 'E_EXPIRED', claimed_until = NULL, updated_at = $1 \
         WHERE id IN (SELECT d.id FROM feedback_webhooks w JOIN deliveries d ON d.webhook_id = w.id \
             AND d.state = 'pending' AND d.next_attempt_at <= $2 WHERE w.enabled = FALSE LIMIT $3)",
    )
    .bind(now)
    .bind(due_before)
    .bind(limit)
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

#[async_trait]
impl OutboxStore for SqliteStorage {
    async fn enqueue_events(
        &self,
        batch: &[(NewEvent, Vec<Uuid>)],
        handoff: &Handoff,
    ) -> StoreResult<Written<Vec<StoreResult<Vec<Uuid>>>>> {
        let now = now_ms();
        let pool = &self.pool;
        enqueue_batch_or_each(batch, handoff, |events, handoff| async move {
            enqueue_all(pool, events, &handoff, now).await
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
        claim_due(
            &self.readers,
            &self.pool,
            now,
            lease_until,
            limit,
            per_webhook,
            skip,
        )
        .await
    }

    async fn record_attempts(
        &self,
        attempts: &[AttemptRecord],
        policy: &AutoDisable,
    ) -> StoreResult<Vec<Uuid>> {
        record_attempts(&self.pool, attempts, policy, now_ms()).await
    }

    async fn release_claims(&self, claims: &[(Uuid, i64)], now_ms: i64) -> StoreResult<u64> {
        release_claims(&self.pool, claims, now_ms).await
    }

    async fn next_due_ms(&self) -> StoreResult<Option<i64>> {
        next_due(&self.readers).await
    }

    async fn expire_waiting(&self, due_before_ms: i64, limit: i64) -> StoreResult<u64> {
        expire_waiting(&self.pool, due_before_ms, limit, now_ms()).await
    }
}
