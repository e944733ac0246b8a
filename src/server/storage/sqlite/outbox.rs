//! The outbox in SQLite: events and deliveries written in one transaction, claims under a lease,
//! attempts recorded in batches. Batches use multi-row statements of a few fixed sizes, so the
//! prepared-statement cache keeps them all.

use super::*;
use sqlx::sqlite::SqliteArguments;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// Row counts of the multi-row statements. A batch's rows are cut into statements of at most
/// the largest count, each padded with rows of NULLs up to the next count (the row source a
/// statement reads leaves them out). A transaction's text then takes few shapes, so the
/// statement cache keeps them: preparing a statement of many rows costs more than running it.
const ROW_COUNTS: [usize; 6] = [1, 4, 16, 64, 256, 1024];

/// `(SELECT * FROM (VALUES (?,?),(?,?)) WHERE column1 IS NOT NULL)`: `rows` tuples of `columns`
/// placeholders, without the padding rows. Bare `?` only: SQLite looks up a numbered
/// parameter's name by a linear scan, so binding `?N` costs O(n²) in a statement's parameters
/// (sqlx asks each one's name). Each shape is built once and kept.
fn row_source(rows: usize, columns: usize) -> Arc<str> {
    type Shape = (usize, usize);
    static BUILT: OnceLock<Mutex<HashMap<Shape, Arc<str>>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .expect("row sources");
    built
        .entry((rows, columns))
        .or_insert_with(|| {
            let tuple = format!("({})", vec!["?"; columns].join(","));
            let tuples = vec![tuple; rows].join(",");
            format!("(SELECT * FROM (VALUES {tuples}) WHERE column1 IS NOT NULL)").into()
        })
        .clone()
}

/// The row counts of the statements writing `rows` rows: full statements of the largest
/// count, then one padded to the smallest count that holds the rest.
fn statement_sizes(rows: usize) -> Vec<usize> {
    let largest = ROW_COUNTS[ROW_COUNTS.len() - 1];
    let mut sizes = vec![largest; rows / largest];
    let rest = rows % largest;
    if rest > 0 {
        sizes.push(
            ROW_COUNTS
                .into_iter()
                .find(|count| *count >= rest)
                .unwrap_or(largest),
        );
    }
    sizes
}

/// Adds the statements writing `rows`: `sql` makes a statement's text from its row source, a
/// subquery of columns `column1`, `column2`, … without the padding rows; `leading` are the
/// parameters its text has before that source, and `bind` binds one row's `columns` values
/// (never NULL in the first column).
pub(super) fn push_rows<'q, 'r, T>(
    statements: &mut Statements<'q>,
    rows: &'r [T],
    columns: usize,
    sql: impl Fn(&str) -> String,
    leading: &[i64],
    mut bind: impl FnMut(&mut Statements<'q>, &'r T),
) {
    let mut rest = rows;
    for size in statement_sizes(rows.len()) {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        statements.push(&sql(&row_source(size, columns)));
        for value in leading {
            statements.bind(*value);
        }
        for row in chunk {
            bind(statements, row);
        }
        for _ in 0..(size - chunk.len()) * columns {
            statements.bind(None::<i64>);
        }
    }
}

struct EventRow<'a> {
    id: String,
    event: &'a NewEvent,
}

struct DeliveryRow {
    id: Uuid,
    event_index: usize,
    webhook_id: String,
    sandbox_id: String,
}

/// The fast path: every event and delivery of the batch in a few multi-row statements. A
/// delivery is only created for an enabled webhook of the event's sandbox.
pub(super) async fn enqueue_all(
    pool: &SqlitePool,
    batch: &[(NewEvent, Vec<Uuid>)],
    now: i64,
) -> StoreResult<Vec<Vec<Uuid>>> {
    let items: Vec<(&NewEvent, &[Uuid])> = batch
        .iter()
        .map(|(event, webhook_ids)| (event, webhook_ids.as_slice()))
        .collect();
    let mut statements = Statements::default();
    let planned = push_events(&mut statements, &items, now, false);
    let returned = statements.run_in_transaction(pool).await?;
    Ok(planned.created(&returned))
}

/// Statements sent to SQLite as one query: one round trip to sqlx's worker thread for all of
/// them, where each statement would cost one (two thread wake-ups). Bare `?` placeholders take
/// the arguments in order across the statements.
#[derive(Default)]
pub(super) struct Statements<'q> {
    sql: String,
    args: SqliteArguments<'q>,
}

impl<'q> Statements<'q> {
    pub(super) fn push(&mut self, statement: &str) {
        self.sql.push_str(statement);
        self.sql.push_str(";\n");
    }

    pub(super) fn bind<T>(&mut self, value: T)
    where
        T: sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + 'q,
    {
        // Encoding into SQLite's argument list cannot fail for the types bound here.
        let _ = sqlx::Arguments::add(&mut self.args, value);
    }

    /// Runs the statements as one transaction, in one round trip: BEGIN and COMMIT travel with
    /// them. Each round trip holds the only writing connection until a busy Tokio worker polls
    /// the task again, so under load three of them cost more than the statements. The `id`s
    /// their `RETURNING` clauses gave.
    pub(super) async fn run_in_transaction(
        self,
        pool: &SqlitePool,
    ) -> StoreResult<HashSet<String>> {
        if self.sql.is_empty() {
            return Ok(HashSet::new());
        }
        let Statements { sql, args } = self;
        let sql = format!("BEGIN IMMEDIATE;\n{sql}COMMIT;");
        let mut connection = WritingConnection(Some(pool.acquire().await?));
        let result = sqlx::query_scalar_with::<_, String, _>(&sql, args)
            .fetch_all(connection.get())
            .await;
        match result {
            Ok(ids) => {
                connection.release();
                Ok(ids.into_iter().collect())
            }
            Err(error) => {
                // A failed statement leaves the transaction open. Should ROLLBACK fail too (the
                // BEGIN itself failed, or the connection broke), the connection is closed.
                if sqlx::query("ROLLBACK")
                    .execute(connection.get())
                    .await
                    .is_ok()
                {
                    connection.release();
                }
                Err(error.into())
            }
        }
    }
}

/// The writing connection while a transaction begun by `run_in_transaction` may be open. Unless
/// released, it is closed on drop rather than returned to the pool (SQLite rolls back what it
/// had begun), so an interrupted query never leaves its transaction to the next writer.
struct WritingConnection(Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>);

impl WritingConnection {
    fn get(&mut self) -> &mut sqlx::SqliteConnection {
        self.0.as_mut().expect("connection held until released")
    }

    /// The transaction has ended: the connection goes back to the pool.
    fn release(mut self) {
        self.0.take();
    }
}

impl Drop for WritingConnection {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            drop(connection.detach());
        }
    }
}

/// The deliveries `push_events` asked for, to be matched with the ids the statements returned.
pub(super) struct PlannedDeliveries {
    events: usize,
    rows: Vec<(Uuid, usize)>,
}

impl PlannedDeliveries {
    /// The ids of the deliveries created, per event.
    pub(super) fn created(self, returned: &HashSet<String>) -> Vec<Vec<Uuid>> {
        let mut ids = vec![Vec::new(); self.events];
        for (id, event_index) in self.rows {
            if returned.contains(&id.to_string()) {
                ids[event_index].push(id);
            }
        }
        ids
    }
}

/// Adds the statements writing the events and their deliveries. With `of_stored_messages`, an
/// event is only written if its message execution is (a replayed execution stores none).
pub(super) fn push_events<'q>(
    statements: &mut Statements<'q>,
    batch: &[(&'q NewEvent, &'q [Uuid])],
    now: i64,
    of_stored_messages: bool,
) -> PlannedDeliveries {
    let events: Vec<EventRow> = batch
        .iter()
        // Time-ordered ids (v7): new rows land at the end of each index on them, so a commit
        // rewrites a few index pages rather than one page per row.
        .map(|&(event, _)| EventRow {
            id: Uuid::now_v7().to_string(),
            event,
        })
        .collect();
    let deliveries: Vec<DeliveryRow> = batch
        .iter()
        .enumerate()
        .flat_map(|(event_index, (event, webhook_ids))| {
            webhook_ids.iter().map(move |webhook_id| DeliveryRow {
                id: Uuid::now_v7(),
                event_index,
                webhook_id: webhook_id.to_string(),
                sandbox_id: event.sandbox_id.to_string(),
            })
        })
        .collect();
    let condition = if of_stored_messages {
        " WHERE EXISTS (SELECT 1 FROM message_executions m WHERE m.id = v.column6)"
    } else {
        ""
    };
    push_rows(
        statements,
        &events,
        7,
        |source| {
            format!(
            "INSERT INTO feedback_events (id, sandbox_id, event_type, channel, request_id, message_execution_id, payload, created_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, ? FROM {source} AS v{condition}"
        )
        },
        &[now],
        |statements, row| {
            statements.bind(row.id.clone());
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
        &deliveries,
        6,
        |source| {
            format!(
            "INSERT INTO deliveries (id, event_id, webhook_id, sandbox_id, event_type, channel, state, attempts, next_attempt_at, created_at, updated_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, 'pending', 0, ?, ?, ? FROM {source} AS v \
             WHERE EXISTS (SELECT 1 FROM feedback_webhooks w WHERE w.id = v.column3 AND w.sandbox_id = v.column4 AND w.enabled = 1) \
             AND EXISTS (SELECT 1 FROM feedback_events e WHERE e.id = v.column2) \
             RETURNING id"
        )
        },
        &[now, now, now],
        |statements, row| {
            let event = &events[row.event_index];
            statements.bind(row.id.to_string());
            statements.bind(event.id.clone());
            statements.bind(row.webhook_id.clone());
            statements.bind(row.sandbox_id.clone());
            statements.bind(event.event.event_type.as_str());
            statements.bind(event.event.channel.as_str());
        },
    );
    PlannedDeliveries {
        events: batch.len(),
        rows: deliveries
            .into_iter()
            .map(|row| (row.id, row.event_index))
            .collect(),
    }
}

/// The slow path after a failed batch: each event in its own transaction, so one bad event
/// (an unknown sandbox) fails alone.
pub(super) async fn enqueue_each(
    pool: &SqlitePool,
    batch: &[(NewEvent, Vec<Uuid>)],
    now: i64,
) -> Vec<StoreResult<Vec<Uuid>>> {
    let mut results = Vec::with_capacity(batch.len());
    for item in batch {
        let one = std::slice::from_ref(item);
        results.push(
            enqueue_all(pool, one, now)
                .await
                .map(|mut ids| ids.pop().unwrap_or_default()),
        );
    }
    results
}

/// Leases due deliveries of enabled webhooks, at most `per_webhook` of each, oldest first, by
/// moving their `next_attempt_at` to the end of the lease. Each webhook's claim is one atomic
/// statement, so two workers never claim the same row.
pub(super) async fn claim_due(
    readers: &SqlitePool,
    pool: &SqlitePool,
    now: i64,
    lease_until: i64,
    limit: i64,
    per_webhook: i64,
    skip: &[Uuid],
) -> StoreResult<Vec<ClaimedDelivery>> {
    let due: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, updated_at FROM ( \
             SELECT w.id, w.updated_at, (SELECT MIN(d.next_attempt_at) FROM deliveries d \
                 WHERE d.webhook_id = w.id AND d.state = 'pending') AS due \
             FROM feedback_webhooks w WHERE w.enabled = 1) \
         WHERE due <= ?1 ORDER BY due",
    )
    .bind(now)
    .fetch_all(readers)
    .await?;
    let skip: Vec<String> = skip.iter().map(Uuid::to_string).collect();
    let mut claimed = Vec::new();
    for (webhook_id, version) in due {
        let room = limit - claimed.len() as i64;
        if room <= 0 {
            break;
        }
        if skip.contains(&webhook_id) {
            continue;
        }
        let rows = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = ?1, claimed_until = ?1, updated_at = ?2 WHERE id IN ( \
                 SELECT id FROM deliveries WHERE webhook_id = ?3 AND state = 'pending' AND next_attempt_at <= ?2 \
                 ORDER BY next_attempt_at LIMIT ?4) \
             RETURNING id, event_id, webhook_id, attempts, \
                 (SELECT payload FROM feedback_events e WHERE e.id = deliveries.event_id) AS payload",
        )
        .bind(lease_until)
        .bind(now)
        .bind(&webhook_id)
        .bind(per_webhook.min(room))
        .fetch_all(pool)
        .await?;
        for row in &rows {
            claimed.push(ClaimedDelivery {
                id: uuid_column(row, "id")?,
                event_id: uuid_column(row, "event_id")?,
                webhook_id: uuid_column(row, "webhook_id")?,
                webhook_version: version,
                attempts: row.try_get("attempts")?,
                payload: row.try_get("payload")?,
            });
        }
    }
    Ok(claimed)
}

/// When the next delivery of an enabled webhook falls due (a claimed one: when its lease ends).
pub(super) async fn next_due(pool: &SqlitePool) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN((SELECT MIN(d.next_attempt_at) FROM deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending')) \
         FROM feedback_webhooks w WHERE w.enabled = 1",
    )
    .fetch_one(pool)
    .await?)
}

/// Stores the attempts, moves their deliveries on, keeps each webhook's failing streak, and
/// disables the webhooks failing since before the policy's cutoff. One transaction, one round
/// trip.
pub(super) async fn record_attempts(
    pool: &SqlitePool,
    attempts: &[AttemptRecord],
    policy: &AutoDisable,
    now: i64,
) -> StoreResult<Vec<Uuid>> {
    let json = |headers: &[(String, String)]| {
        serde_json::to_string(headers).unwrap_or_else(|_| "[]".into())
    };
    let mut statements = Statements::default();
    push_rows(
        &mut statements,
        attempts,
        9,
        // A delivery deleted meanwhile (with its webhook) has nothing left to record; the
        // others of the batch must not fail with it.
        |source| {
            format!(
            "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, error_code, response_headers, body_excerpt, request_headers) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9 FROM {source} AS v \
             WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = v.column1)"
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
        },
    );
    push_rows(
        &mut statements,
        attempts,
        7,
        |source| {
            format!(
            "UPDATE deliveries SET state = v.column2, attempts = v.column3, next_attempt_at = v.column4, \
             claimed_until = NULL, last_status = v.column5, last_error = v.column6, last_attempt_at = v.column7, updated_at = ? \
             FROM {source} AS v WHERE deliveries.id = v.column1"
        )
        },
        &[now],
        |statements, attempt| {
            let (state, next_at) = match attempt.next {
                NextStep::Succeeded => ("succeeded", now),
                NextStep::RetryAt(at) => ("pending", at),
                NextStep::Failed => ("failed", now),
            };
            statements.bind(attempt.delivery_id.to_string());
            statements.bind(state);
            statements.bind(attempt.attempt);
            statements.bind(next_at);
            statements.bind(attempt.status.map(i64::from));
            statements.bind(attempt.error_code.as_deref());
            statements.bind(attempt.started_at_ms);
        },
    );
    super::history::push_health(&mut statements, attempts);

    // Per webhook: a success ends the failing streak; otherwise the streak starts (or goes on).
    let mut streaks: HashMap<Uuid, (bool, i64)> = HashMap::new();
    for attempt in attempts {
        let entry = streaks
            .entry(attempt.webhook_id)
            .or_insert((false, attempt.started_at_ms));
        entry.0 |= attempt.next == NextStep::Succeeded;
        entry.1 = entry.1.min(attempt.started_at_ms);
    }
    for (webhook_id, (succeeded, first_failure)) in &streaks {
        let id = webhook_id.to_string();
        if *succeeded {
            statements.push(
                "UPDATE feedback_webhooks SET failing_since = NULL, last_success_at = ? WHERE id = ?",
            );
            statements.bind(now);
            statements.bind(id);
            continue;
        }
        statements.push(
            "UPDATE feedback_webhooks SET failing_since = COALESCE(failing_since, ?) WHERE id = ?",
        );
        statements.bind(*first_failure);
        statements.bind(id.clone());
        // The only RETURNING of these statements: the ids returned are the webhooks disabled.
        statements.push(
            "UPDATE feedback_webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? \
             WHERE id = ? AND enabled = 1 AND failing_since <= ? RETURNING id",
        );
        statements.bind(policy.reason.as_str());
        statements.bind(now);
        statements.bind(id);
        statements.bind(policy.failing_since_before_ms);
    }
    let disabled = statements.run_in_transaction(pool).await?;
    Ok(streaks
        .into_keys()
        .filter(|webhook_id| disabled.contains(&webhook_id.to_string()))
        .collect())
}

/// Marks failed (`E_EXPIRED`) up to `limit` deliveries that have waited for a disabled webhook
/// since before `due_before`. Small batches: the write lock is held only briefly.
pub(super) async fn expire_waiting(
    pool: &SqlitePool,
    due_before: i64,
    limit: i64,
    now: i64,
) -> StoreResult<u64> {
    let result = sqlx::query(
        "UPDATE deliveries SET state = 'failed', last_error = 'E_EXPIRED', claimed_until = NULL, updated_at = ?1 \
         WHERE id IN (SELECT d.id FROM feedback_webhooks w JOIN deliveries d ON d.webhook_id = w.id \
             AND d.state = 'pending' AND d.next_attempt_at <= ?2 WHERE w.enabled = 0 LIMIT ?3)",
    )
    .bind(now)
    .bind(due_before)
    .bind(limit)
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_into_padded_statements_of_the_fixed_sizes() {
        assert!(statement_sizes(0).is_empty());
        assert_eq!(statement_sizes(1), [1]);
        assert_eq!(statement_sizes(3), [4]);
        assert_eq!(statement_sizes(17), [64]);
        assert_eq!(statement_sizes(1024), [1024]);
        assert_eq!(statement_sizes(1030), [1024, 16]);
        assert_eq!(
            &*row_source(2, 3),
            "(SELECT * FROM (VALUES (?,?,?),(?,?,?)) WHERE column1 IS NOT NULL)"
        );
    }

    #[tokio::test]
    async fn padding_rows_are_never_written() {
        // One connection: each would have its own in-memory database.
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id TEXT NOT NULL, n INTEGER, at INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        let rows: Vec<(String, Option<i64>)> = (0..19)
            .map(|i| (format!("r{i}"), (i % 2 == 0).then_some(i)))
            .collect();
        let mut statements = Statements::default();
        push_rows(
            &mut statements,
            &rows,
            2,
            |source| {
                format!(
                    "INSERT INTO t (id, n, at) SELECT v.column1, v.column2, ? FROM {source} AS v RETURNING id"
                )
            },
            &[7],
            |statements, (id, n)| {
                statements.bind(id.clone());
                statements.bind(*n);
            },
        );
        let returned = statements.run_in_transaction(&pool).await.unwrap();
        assert_eq!(returned.len(), 19);
        let stored: Vec<(String, Option<i64>, i64)> =
            sqlx::query_as("SELECT id, n, at FROM t ORDER BY rowid")
                .fetch_all(&pool)
                .await
                .unwrap();
        let expected: Vec<(String, Option<i64>, i64)> =
            rows.into_iter().map(|(id, n)| (id, n, 7)).collect();
        assert_eq!(stored, expected);
    }

    #[tokio::test]
    async fn a_connection_dropped_inside_its_transaction_never_returns_to_the_pool() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        let dir = tempfile::tempdir().unwrap();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(dir.path().join("writer.db"))
                    .create_if_missing(true),
            )
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        let mut connection = WritingConnection(Some(pool.acquire().await.unwrap()));
        sqlx::query("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")
            .execute(connection.get())
            .await
            .unwrap();
        // Interrupted: neither committed nor released.
        drop(connection);
        // The next writer starts its own transaction, and the interrupted insert is gone.
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let kept: Vec<i64> = sqlx::query_scalar("SELECT x FROM t")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(kept, vec![2]);
    }
}
