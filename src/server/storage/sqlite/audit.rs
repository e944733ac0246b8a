//! The audit log in SQLite: entries appended alone or inside the transaction of their change,
//! read newest first under filters with a keyset cursor.

use super::*;

type QueryDb = sqlx::Sqlite;
type QueryArgs<'q> = sqlx::sqlite::SqliteArguments<'q>;

/// Appends `entry` on `connection`, inside whatever transaction it is in.
pub(super) async fn insert_audit(
    connection: &mut sqlx::SqliteConnection,
    entry: &AuditRecord,
) -> StoreResult<()> {
    bind_audit(
        sqlx::query(INSERT_AUDIT).bind(entry.organization_id.to_string()),
        entry,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Appends `entry` to the log of the organization of webhook `webhook_id`.
pub(super) async fn insert_audit_of_webhook(
    connection: &mut sqlx::SqliteConnection,
    webhook_id: String,
    entry: &AuditRecord,
) -> StoreResult<()> {
    bind_audit(sqlx::query(INSERT_AUDIT_OF_WEBHOOK).bind(webhook_id), entry)
        .execute(connection)
        .await?;
    Ok(())
}

/// Binds `entry`'s fields after the first parameter (its organization, or what names it).
fn bind_audit<'q>(
    query: sqlx::query::Query<'q, QueryDb, QueryArgs<'q>>,
    entry: &'q AuditRecord,
) -> sqlx::query::Query<'q, QueryDb, QueryArgs<'q>> {
    query
        .bind(entry.at_ms)
        .bind(&entry.actor_kind)
        .bind(&entry.actor_id)
        .bind(&entry.actor_name)
        .bind(&entry.address)
        .bind(&entry.action)
        .bind(&entry.object_kind)
        .bind(&entry.object_id)
        .bind(&entry.object_name)
        .bind(&entry.changes)
}

#[async_trait]
impl AuditStore for SqliteStorage {
    async fn append_audit(&self, entry: &AuditRecord) -> StoreResult<()> {
        let mut connection = self.pool.acquire().await?;
        insert_audit(&mut connection, entry).await
    }

    async fn list_audit(
        &self,
        organization_id: Uuid,
        filter: &AuditFilter,
        limit: i64,
    ) -> StoreResult<Vec<StoredAudit>> {
        sqlx::query(LIST_AUDIT)
            .bind(organization_id.to_string())
            .bind(&filter.actor_name)
            .bind(&filter.object_kind)
            .bind(&filter.object_id)
            .bind(&filter.action)
            .bind(filter.from_ms)
            .bind(filter.to_ms)
            .bind(filter.before_id)
            .bind(limit)
            .fetch_all(&self.readers)
            .await?
            .iter()
            .map(audit_from_row)
            .collect()
    }

    async fn delete_old_audit(&self, cutoff_ms: i64, limit: i64) -> StoreResult<u64> {
        Ok(sqlx::query(DELETE_OLD_AUDIT)
            .bind(cutoff_ms)
            .bind(limit)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
