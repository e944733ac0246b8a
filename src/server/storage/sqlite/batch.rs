//! The batch machinery of the SQLite store: multi-row statements of a few fixed sizes (so the
//! prepared-statement cache keeps them all), sent with their transaction as one query.

use super::*;
use sqlx::sqlite::SqliteArguments;
use std::collections::HashMap;
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
    /// the task again, so under load three of them cost more than the statements. The rows
    /// their `RETURNING` clauses gave (see [`Returned`]).
    pub(super) async fn run_in_transaction(self, pool: &SqlitePool) -> StoreResult<Returned> {
        self.run(pool, Durability::Synced).await
    }

    /// [`Self::run_in_transaction`] for bookkeeping that acknowledges no one (recorded
    /// attempts): its commit is not synced itself, but by the next synced commit, which syncs
    /// the whole log. A power cut before that loses it, and the delivery is sent again: at
    /// least once, as promised. The pragmas travel in the same round trip.
    pub(super) async fn run_in_unsynced_transaction(
        self,
        pool: &SqlitePool,
    ) -> StoreResult<Returned> {
        self.run(pool, Durability::Unsynced).await
    }

    /// [`Self::run_in_unsynced_transaction`], answering every row the statements return.
    pub(super) async fn fetch_in_unsynced_transaction(
        self,
        pool: &SqlitePool,
    ) -> StoreResult<Vec<sqlx::sqlite::SqliteRow>> {
        self.fetch(pool, Durability::Unsynced).await
    }

    async fn run(self, pool: &SqlitePool, durability: Durability) -> StoreResult<Returned> {
        let rows = self.fetch(pool, durability).await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let id = row.try_get::<String, _>(0).ok()?;
                let number = row.try_get::<Option<i64>, _>(1).ok().flatten();
                Some((id, number))
            })
            .collect())
    }

    async fn fetch(
        self,
        pool: &SqlitePool,
        durability: Durability,
    ) -> StoreResult<Vec<sqlx::sqlite::SqliteRow>> {
        if self.sql.is_empty() {
            return Ok(Vec::new());
        }
        let Statements { sql, args } = self;
        let sql = match durability {
            Durability::Synced => format!("BEGIN IMMEDIATE;\n{sql}COMMIT;"),
            Durability::Unsynced => {
                format!("{UNSYNCED}\nBEGIN IMMEDIATE;\n{sql}COMMIT;\n{SYNCED}")
            }
        };
        let mut connection = WritingConnection(Some(pool.acquire().await?));
        let result = sqlx::query_with(&sql, args)
            .fetch_all(connection.get())
            .await;
        match result {
            Ok(rows) => {
                connection.release();
                Ok(rows)
            }
            Err(error) => {
                // A failed statement leaves the transaction open (and the commits unsynced).
                // Should ROLLBACK or the pragma fail too (the BEGIN itself failed, or the
                // connection broke), the connection is closed.
                let rolled_back = sqlx::query("ROLLBACK").execute(connection.get()).await;
                let synced = sqlx::query(SYNCED).execute(connection.get()).await;
                if rolled_back.is_ok() && synced.is_ok() {
                    connection.release();
                }
                Err(error.into())
            }
        }
    }
}

/// What the `RETURNING` clauses of a transaction's statements gave: each row's id (its first
/// column), with its second column when that is a number (a handed-off delivery's webhook
/// version).
pub(super) type Returned = HashMap<String, Option<i64>>;

/// Whether a transaction's commit is synced to disk before it returns.
#[derive(Clone, Copy)]
enum Durability {
    Synced,
    Unsynced,
}

/// The writing connection's setting (see `SqliteStorage::open`): each commit synced.
const SYNCED: &str = "PRAGMA synchronous = FULL;";
const UNSYNCED: &str = "PRAGMA synchronous = NORMAL;";

/// The writing connection while a transaction begun by `run_in_transaction` may be open (or its
/// commits are unsynced). Unless released, it is closed on drop rather than returned to the pool
/// (SQLite rolls back what it had begun), so an interrupted query never leaves its transaction
/// (or its setting) to the next writer.
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
