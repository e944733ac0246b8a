//! The delivery history in SQLite: filtered lists, one delivery, resends, health, executions and
//! retention.

use super::batch::{push_rows, Statements};
use super::*;
use crate::model::history::{AttemptCounts, DeliveryState, ResendOutcome};
use crate::server::storage::plan::{self, EventDeliveryRow, HealthChanges, MessageRow};
use sqlx::{QueryBuilder, Sqlite};

/// Index entries a filter on event or channel may look through for one page.
const SCAN_BUDGET: i64 = 20_000;
/// Rows a filter on a state other than failed may look through for one page: each is read
/// from the table, not the index.
const ROW_SCAN_BUDGET: i64 = 5_000;

/// One page, newest first. The sandbox, webhook, state and time range are served by the index
/// walked (a unary `+` keeps SQLite from choosing a less selective one); a search is driven by
/// its own indexes; other filters are checked on at most `SCAN_BUDGET` rows of the walk (event
/// and channel from the index itself), after which the page ends with where to resume.
async fn list_deliveries(
    readers: &SqlitePool,
    sandbox_id: Uuid,
    filter: &DeliveryFilter,
) -> StoreResult<DeliveryList> {
    let searching = filter.search.is_some();
    let reads_rows = filter
        .state
        .is_some_and(|state| state != DeliveryState::Failed);
    let budget = match (filter.scan_budget, reads_rows) {
        (budget, _) if budget > 0 => budget,
        (_, true) => ROW_SCAN_BUDGET,
        (_, false) => SCAN_BUDGET,
    };
    // Only failed deliveries have an index of their own; other states are checked on the walk.
    let residual = !searching
        && (filter.event_type.is_some()
            || filter.channel.is_some()
            || filter
                .state
                .is_some_and(|state| state != DeliveryState::Failed));
    // With such a filter, the walk first finds how far `budget` rows reach (an index-only walk),
    // then looks for matches only within that reach.
    let reach: Option<(i64, Uuid)> = if residual {
        let mut sql: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT d.created_at, d.id FROM deliveries d WHERE ");
        push_indexed(&mut sql, sandbox_id, filter, false);
        sql.push(" ORDER BY d.created_at DESC, d.id DESC LIMIT 1 OFFSET ")
            .push_bind(budget - 1);
        match sql.build().fetch_optional(readers).await? {
            Some(row) => Some((row.try_get("created_at")?, uuid_column(&row, "id")?)),
            None => None,
        }
    } else {
        None
    };
    let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN feedback_events e ON e.id = d.event_id WHERE "
    ));
    push_indexed(&mut sql, sandbox_id, filter, searching);
    if let Some((at, id)) = reach {
        sql.push(" AND (d.created_at, d.id) >= (")
            .push_bind(at)
            .push(", ")
            .push_bind(id.to_string())
            .push(")");
    }
    // `+`: the engine's partial index of pending deliveries is ordered by due time, not by
    // creation; walking it would mean sorting every pending delivery.
    match filter.state {
        Some(DeliveryState::Pending) => {
            sql.push(" AND +d.state = 'pending' AND d.attempts = 0");
        }
        Some(DeliveryState::Retrying) => {
            sql.push(" AND +d.state = 'pending' AND d.attempts > 0");
        }
        Some(DeliveryState::Succeeded) => {
            sql.push(" AND +d.state = 'succeeded'");
        }
        Some(DeliveryState::Failed) | None => {}
    }
    if let Some(event_type) = &filter.event_type {
        sql.push(" AND d.event_type = ")
            .push_bind(event_type.clone());
    }
    if let Some(channel) = &filter.channel {
        sql.push(" AND d.channel = ").push_bind(channel.clone());
    }
    if let Some(search) = &filter.search {
        sql.push(" AND d.event_id IN (SELECT id FROM feedback_events WHERE sandbox_id = ")
            .push_bind(sandbox_id.to_string())
            .push(" AND request_id = ")
            .push_bind(search.clone())
            // The index holds only events with a payload: the ones that have deliveries.
            .push(" AND payload <> ''")
            .push(" UNION ALL SELECT id FROM feedback_events WHERE message_execution_id = ")
            .push_bind(search.clone())
            .push(
                " UNION ALL SELECT f.id FROM message_executions m JOIN feedback_events f \
                 ON f.message_execution_id = m.id WHERE m.address = ",
            )
            .push_bind(search.clone())
            .push(")");
    }
    sql.push(" ORDER BY d.created_at DESC, d.id DESC LIMIT ")
        .push_bind(filter.limit);
    let records = sql
        .build()
        .fetch_all(readers)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    // A short page ended at the reach: older matches may lie beyond it.
    let resume_before = reach.filter(|_| (records.len() as i64) < filter.limit);
    Ok(DeliveryList {
        records,
        resume_before,
    })
}

/// The conditions an index serves: sandbox, webhook, stored state, time range, keyset cursor.
/// While searching, the search's own indexes drive and these only filter.
fn push_indexed(
    sql: &mut QueryBuilder<Sqlite>,
    sandbox_id: Uuid,
    filter: &DeliveryFilter,
    searching: bool,
) {
    let plus = |indexed: bool| if indexed { "" } else { "+" };
    sql.push(plus(!searching && filter.webhook_id.is_none()))
        .push("d.sandbox_id = ")
        .push_bind(sandbox_id.to_string());
    if let Some(webhook_id) = filter.webhook_id {
        sql.push(" AND ")
            .push(plus(!searching))
            .push("d.webhook_id = ")
            .push_bind(webhook_id.to_string());
    }
    // A literal, so that SQLite can use the partial index of failed deliveries.
    if filter.state == Some(DeliveryState::Failed) {
        sql.push(" AND d.state = 'failed'");
    }
    if let Some(since) = filter.since_ms {
        sql.push(" AND d.created_at >= ").push_bind(since);
    }
    if let Some(until) = filter.until_ms {
        sql.push(" AND d.created_at < ").push_bind(until);
    }
    if let Some((at, id)) = filter.before {
        sql.push(" AND (d.created_at, d.id) < (")
            .push_bind(at)
            .push(", ")
            .push_bind(id.to_string())
            .push(")");
    }
}

async fn delivery(
    readers: &SqlitePool,
    sandbox_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<(DeliveryRecord, String, Vec<AttemptRow>)>> {
    // The delivery and its attempts from one snapshot: read apart, a recorder committing in
    // between would show the new attempt beside the old state.
    let mut tx = readers.begin().await?;
    let Some(row) = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS}, e.payload FROM deliveries d JOIN feedback_events e ON e.id = d.event_id \
         WHERE d.id = $1 AND d.sandbox_id = $2"
    ))
    .bind(id.to_string())
    .bind(sandbox_id.to_string())
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let record = delivery_from_row(&row)?;
    let payload: String = row.try_get("payload")?;
    let attempts = sqlx::query(
        "SELECT attempt, started_at, duration_ms, status, error_code, request_headers, response_headers, body_excerpt \
         FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt DESC, id DESC LIMIT $2",
    )
    .bind(id.to_string())
    .bind(ATTEMPTS_LISTED)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .rev()
    .map(|row| {
        Ok(AttemptRow {
            attempt: row.try_get("attempt")?,
            started_at_ms: row.try_get("started_at")?,
            duration_ms: row.try_get("duration_ms")?,
            status: row.try_get("status")?,
            error_code: row.try_get("error_code")?,
            request_headers: headers_column(row, "request_headers")?,
            response_headers: headers_column(row, "response_headers")?,
            body_excerpt: row.try_get("body_excerpt")?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some((record, payload, attempts)))
}

async fn resend_delivery(
    pool: &SqlitePool,
    sandbox_id: Uuid,
    id: Uuid,
    now: i64,
    audit: &AuditRecord,
) -> StoreResult<Option<ResendOutcome>> {
    let mut tx = pool.begin().await?;
    let Some(enabled) = sqlx::query_scalar::<_, bool>(
        "SELECT w.enabled FROM deliveries d JOIN feedback_webhooks w ON w.id = d.webhook_id \
         WHERE d.id = $1 AND d.sandbox_id = $2",
    )
    .bind(id.to_string())
    .bind(sandbox_id.to_string())
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    if !enabled {
        return Ok(Some(ResendOutcome::WebhookDisabled));
    }
    // A delivery in flight (claimed, lease running) is being attempted already: left alone, so
    // it is never sent twice at once.
    sqlx::query(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, claimed_until = NULL, updated_at = $1 \
         WHERE id = $2 AND NOT (state = 'pending' AND claimed_until IS NOT NULL AND claimed_until > $1)",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    super::audit::insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(Some(ResendOutcome::Queued))
}

async fn count_failed_since(
    readers: &SqlitePool,
    sandbox_id: Uuid,
    webhook_id: Uuid,
    since: i64,
) -> StoreResult<u64> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE webhook_id = $1 AND state = 'failed' AND created_at >= $2 \
         AND +sandbox_id = $3",
    )
    .bind(webhook_id.to_string())
    .bind(since)
    .bind(sandbox_id.to_string())
    .fetch_one(readers)
    .await?;
    Ok(count as u64)
}

async fn resend_failed_since(
    pool: &SqlitePool,
    sandbox_id: Uuid,
    webhook_id: Uuid,
    since: i64,
    limit: i64,
    now: i64,
    audit: &AuditRecord,
) -> StoreResult<u64> {
    let mut tx = pool.begin().await?;
    let result = sqlx::query(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, claimed_until = NULL, updated_at = $1 \
         WHERE id IN (SELECT id FROM deliveries WHERE webhook_id = $2 AND state = 'failed' AND created_at >= $3 \
             AND +sandbox_id = $4 LIMIT $5)",
    )
    .bind(now)
    .bind(webhook_id.to_string())
    .bind(since)
    .bind(sandbox_id.to_string())
    .bind(limit)
    .execute(&mut *tx)
    .await?;
    let queued = result.rows_affected();
    if queued > 0 {
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
    }
    Ok(queued)
}

async fn health_data(
    readers: &SqlitePool,
    sandbox_id: Uuid,
    webhook_id: Option<Uuid>,
    from_hour: i64,
) -> StoreResult<HealthData> {
    let webhook = webhook_id.map(|id| id.to_string());
    let cells = sqlx::query(
        "SELECT s.webhook_id, s.hour, s.bucket, s.succeeded, s.retried, s.failed \
         FROM feedback_webhooks w JOIN webhook_hourly_stats s ON s.webhook_id = w.id AND s.hour >= $1 \
         WHERE w.sandbox_id = $2 AND ($3 IS NULL OR w.id = $3)",
    )
    .bind(from_hour)
    .bind(sandbox_id.to_string())
    .bind(&webhook)
    .fetch_all(readers)
    .await?
    .iter()
    .map(|row| {
        let bucket: i64 = row.try_get("bucket")?;
        Ok((
            uuid_column(row, "webhook_id")?,
            (
                row.try_get("hour")?,
                bucket as usize,
                AttemptCounts {
                    succeeded: row.try_get("succeeded")?,
                    retried: row.try_get("retried")?,
                    failed: row.try_get("failed")?,
                },
            ),
        ))
    })
    .collect::<StoreResult<Vec<_>>>()?;
    let last_errors = sqlx::query(
        "SELECT id, last_error, last_error_at FROM feedback_webhooks \
         WHERE sandbox_id = $1 AND ($2 IS NULL OR id = $2) AND last_error IS NOT NULL",
    )
    .bind(sandbox_id.to_string())
    .bind(&webhook)
    .fetch_all(readers)
    .await?
    .iter()
    .map(|row| {
        Ok((
            uuid_column(row, "id")?,
            row.try_get("last_error")?,
            row.try_get("last_error_at")?,
        ))
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(HealthData { cells, last_errors })
}

/// `$1,$2,…` for an `IN` list of `count` values starting at `first`.
fn in_list(count: usize, first: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(",")
}

async fn list_executions(
    readers: &SqlitePool,
    sandbox_id: Uuid,
    campaign_id: Uuid,
    before: Option<(i64, Uuid)>,
    limit: i64,
) -> StoreResult<Vec<ExecutionRecord>> {
    let (before_at, before_id) = before
        .map(|(at, id)| (at, id.to_string()))
        .unwrap_or((i64::MAX, String::new()));
    let executions: Vec<ExecutionRecord> = sqlx::query(
        "SELECT id, request_id, created_at FROM executions \
         WHERE campaign_id = $1 AND +sandbox_id = $2 AND (created_at, id) < ($3, $4) \
         ORDER BY created_at DESC, id DESC LIMIT $5",
    )
    .bind(campaign_id.to_string())
    .bind(sandbox_id.to_string())
    .bind(before_at)
    .bind(before_id)
    .bind(limit)
    .fetch_all(readers)
    .await?
    .iter()
    .map(|row| {
        Ok(ExecutionRecord {
            id: uuid_column(row, "id")?,
            request_id: row.try_get("request_id")?,
            created_at_ms: row.try_get("created_at")?,
            messages: Vec::new(),
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    if executions.is_empty() {
        return Ok(executions);
    }
    let sql = format!(
        "SELECT id, execution_id, namespace, address, unrouted_events FROM message_executions \
         WHERE execution_id IN ({}) ORDER BY execution_id, position",
        in_list(executions.len(), 1)
    );
    let mut query = sqlx::query(&sql);
    for execution in &executions {
        query = query.bind(execution.id.to_string());
    }
    let messages = query
        .fetch_all(readers)
        .await?
        .iter()
        .map(|row| {
            Ok(MessageRow {
                execution_id: uuid_column(row, "execution_id")?,
                id: row.try_get("id")?,
                namespace: row.try_get("namespace")?,
                address: row.try_get("address")?,
                unrouted_events: row.try_get("unrouted_events")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let mut events = Vec::new();
    if !messages.is_empty() {
        let sql = format!(
            "SELECT e.id AS event_id, e.message_execution_id, e.event_type, e.created_at, d.id AS delivery_id, d.state, d.attempts \
             FROM feedback_events e LEFT JOIN deliveries d ON d.event_id = e.id \
             WHERE e.message_execution_id IN ({}) AND e.sandbox_id = $1 ORDER BY e.created_at, e.id",
            in_list(messages.len(), 2)
        );
        let mut query = sqlx::query(&sql).bind(sandbox_id.to_string());
        for message in &messages {
            query = query.bind(&message.id);
        }
        for row in query.fetch_all(readers).await? {
            let delivery = match row.try_get::<Option<String>, _>("delivery_id")? {
                Some(_) => Some((
                    uuid_column(&row, "delivery_id")?,
                    row.try_get("state")?,
                    row.try_get("attempts")?,
                )),
                None => None,
            };
            events.push(EventDeliveryRow {
                event_id: uuid_column(&row, "event_id")?,
                message_execution_id: row.try_get("message_execution_id")?,
                event_type: row.try_get("event_type")?,
                created_at_ms: row.try_get("created_at")?,
                delivery,
            });
        }
    }
    Ok(plan::execution_tree(executions, messages, events))
}

/// The queue of one sandbox or of all, in one statement: each count walks the pending
/// deliveries' index (webhook, due time), at most `cap` rows.
async fn queue_state(
    readers: &SqlitePool,
    sandbox_id: Option<Uuid>,
    now: i64,
    cap: i64,
) -> StoreResult<QueueState> {
    let counts: (i64, Option<i64>, i64, i64) = sqlx::query_as(
        "WITH hooks AS (SELECT id FROM feedback_webhooks WHERE enabled = TRUE AND ($1 IS NULL OR sandbox_id = $1)), \
         due AS (SELECT 1 FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $2 \
             AND webhook_id IN (SELECT id FROM hooks) LIMIT $3), \
         later AS (SELECT claimed_until FROM deliveries WHERE state = 'pending' AND next_attempt_at > $2 \
             AND webhook_id IN (SELECT id FROM hooks) LIMIT $3) \
         SELECT (SELECT COUNT(*) FROM due), \
             (SELECT MIN((SELECT MIN(d.next_attempt_at) FROM deliveries d WHERE d.webhook_id = h.id AND d.state = 'pending')) FROM hooks h), \
             COALESCE(SUM(claimed_until IS NOT NULL), 0), COALESCE(SUM(claimed_until IS NULL), 0) \
         FROM later",
    )
    .bind(sandbox_id.map(|id| id.to_string()))
    .bind(now)
    .bind(cap)
    .fetch_one(readers)
    .await?;
    Ok(queue_state_from_counts(counts, now))
}

async fn prune(pool: &SqlitePool, before: i64, limit: i64) -> StoreResult<Pruned> {
    // Deliveries and attempts go with their event (ON DELETE CASCADE).
    let events = sqlx::query(
        "DELETE FROM feedback_events WHERE id IN (SELECT e.id FROM feedback_events e WHERE e.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending') \
             ORDER BY e.created_at LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(pool)
    .await?
    .rows_affected();
    // Messages and outcomes go with their execution; one with outcomes still to emit stays.
    // Campaign by campaign, through executions_by_campaign (campaigns are few).
    let executions = sqlx::query(
        "DELETE FROM executions WHERE id IN (SELECT x.id FROM campaigns c CROSS JOIN executions x \
             WHERE x.campaign_id = c.id AND x.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM message_executions m JOIN provider_outcomes o ON o.message_execution_id = m.id \
                 WHERE m.execution_id = x.id AND o.emitted_at IS NULL) \
             LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query(
        "DELETE FROM webhook_hourly_stats WHERE webhook_id IN (SELECT id FROM feedback_webhooks) AND hour < $1",
    )
    .bind(before)
    .execute(pool)
    .await?;
    Ok(Pruned { events, executions })
}

/// Adds the statements that add a batch of attempts to the hourly statistics and keep each
/// webhook's last error.
pub(super) fn push_health(statements: &mut Statements<'_>, changes: &HealthChanges) {
    push_rows(
        statements,
        &changes.cells,
        6,
        |source| {
            format!(
            "INSERT INTO webhook_hourly_stats (webhook_id, hour, bucket, succeeded, retried, failed) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6 FROM {source} AS v \
             WHERE EXISTS (SELECT 1 FROM feedback_webhooks w WHERE w.id = v.column1) \
             ON CONFLICT (webhook_id, hour, bucket) DO UPDATE SET succeeded = webhook_hourly_stats.succeeded + excluded.succeeded, \
             retried = webhook_hourly_stats.retried + excluded.retried, failed = webhook_hourly_stats.failed + excluded.failed"
        )
        },
        &[],
        |statements, cell| {
            statements.bind(cell.webhook_id.to_string());
            statements.bind(cell.hour_ms);
            statements.bind(cell.bucket);
            statements.bind(cell.counts.succeeded);
            statements.bind(cell.counts.retried);
            statements.bind(cell.counts.failed);
        },
    );
    for (webhook_id, error, at) in &changes.last_errors {
        statements
            .push("UPDATE feedback_webhooks SET last_error = ?, last_error_at = ? WHERE id = ?");
        statements.bind(error.clone());
        statements.bind(*at);
        statements.bind(webhook_id.to_string());
    }
}

#[async_trait]
impl HistoryStore for SqliteStorage {
    async fn list_deliveries(
        &self,
        sandbox_id: Uuid,
        filter: &DeliveryFilter,
    ) -> StoreResult<DeliveryList> {
        list_deliveries(&self.readers, sandbox_id, filter).await
    }

    async fn delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<(DeliveryRecord, String, Vec<AttemptRow>)>> {
        delivery(&self.readers, sandbox_id, id).await
    }

    async fn resend_delivery(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<Option<ResendOutcome>> {
        resend_delivery(&self.pool, sandbox_id, id, now_ms, audit).await
    }

    async fn count_failed_since(
        &self,
        sandbox_id: Uuid,
        webhook_id: Uuid,
        since_ms: i64,
    ) -> StoreResult<u64> {
        count_failed_since(&self.readers, sandbox_id, webhook_id, since_ms).await
    }

    async fn resend_failed_since(
        &self,
        sandbox_id: Uuid,
        webhook_id: Uuid,
        since_ms: i64,
        limit: i64,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<u64> {
        resend_failed_since(
            &self.pool, sandbox_id, webhook_id, since_ms, limit, now_ms, audit,
        )
        .await
    }

    async fn health_data(
        &self,
        sandbox_id: Uuid,
        webhook_id: Option<Uuid>,
        from_hour_ms: i64,
    ) -> StoreResult<HealthData> {
        health_data(&self.readers, sandbox_id, webhook_id, from_hour_ms).await
    }

    async fn list_executions(
        &self,
        sandbox_id: Uuid,
        campaign_id: Uuid,
        before: Option<(i64, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<ExecutionRecord>> {
        list_executions(&self.readers, sandbox_id, campaign_id, before, limit).await
    }

    async fn prune(&self, before_ms: i64, limit: i64) -> StoreResult<Pruned> {
        prune(&self.pool, before_ms, limit).await
    }

    async fn queue_state(
        &self,
        sandbox_id: Option<Uuid>,
        now_ms: i64,
        cap: i64,
    ) -> StoreResult<QueueState> {
        queue_state(&self.readers, sandbox_id, now_ms, cap).await
    }

    async fn disabled_webhook_count(&self) -> StoreResult<u64> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM feedback_webhooks WHERE enabled = FALSE")
                .fetch_one(&self.readers)
                .await?;
        Ok(count as u64)
    }
}
