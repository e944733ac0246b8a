//! The team in PostgreSQL: users, their one-time links and their sessions. Each change is one
//! transaction; the last-administrator rule is checked under a transaction lock, since two
//! statements at once under READ COMMITTED would each see the other administrator still there.

use super::*;

/// A session's parameters in [`INSERT_SESSION`] order.
fn bind_session<'q>(
    sql: &'q str,
    row: &'q SessionRow,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(sql)
        .bind(&row.id)
        .bind(&row.handle)
        .bind(row.user_id)
        .bind(&row.data)
        .bind(row.expires_at_ms)
        .bind(row.signed_in_at_ms)
        .bind(row.seen_at_ms)
        .bind(&row.address)
        .bind(&row.agent)
}

/// The transaction lock under which administrators' roles and states change ("fw-team").
const TEAM_LOCK: i64 = 0x66_772d_7465_616d;

#[async_trait]
impl UserStore for PostgresStorage {
    async fn list_users(&self, organization_id: Uuid) -> StoreResult<Vec<UserListing>> {
        sqlx::query(LIST_USERS)
            .bind(organization_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_listing_from_row)
            .collect()
    }

    async fn invite_user(
        &self,
        invitation: &NewInvitation,
        audit: &AuditRecord,
    ) -> StoreResult<UserRecord> {
        let id = invitation.id;
        let mut tx = self.pool.begin().await?;
        sqlx::query(INSERT_INVITED_USER)
            .bind(id)
            .bind(invitation.organization_id)
            .bind(invitation.email.trim().to_lowercase())
            .bind(&invitation.role)
            .bind(invitation.link.created_at_ms)
            .bind(invitation.created_by)
            .execute(&mut *tx)
            .await
            .map_err(map_unique)?;
        insert_link(&mut tx, id, &invitation.link).await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    async fn replace_user_link(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
        link: &NewLink,
        audit: &AuditRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let theirs: i64 = sqlx::query_scalar(USER_IN_ORGANIZATION)
            .bind(user_id)
            .bind(organization_id)
            .fetch_one(&mut *tx)
            .await?;
        if theirs == 0 {
            return Ok(false);
        }
        sqlx::query(DELETE_LINKS_OF)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        insert_link(&mut tx, user_id, link).await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn user_link(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<(String, UserRecord)>> {
        let row = sqlx::query(FIND_USER_LINK)
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get("purpose")?, user_from_row(&row)?)))
            .transpose()
    }

    async fn use_user_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<Option<UserRecord>> {
        let mut tx = self.pool.begin().await?;
        let user_id: Option<Uuid> = sqlx::query_scalar(TAKE_USER_LINK)
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        let set = sqlx::query(SET_PASSWORD_BY_LINK)
            .bind(user_id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        if set.rows_affected() == 0 {
            return Ok(None);
        }
        for sql in [DELETE_LINKS_OF, DELETE_SESSIONS_OF] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.user_by_id(user_id).await
    }

    async fn change_user(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
        change: UserChange,
        audit: &AuditRecord,
    ) -> StoreResult<UserChanged> {
        let (sql, role) = user_change_statement(change);
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(TEAM_LOCK)
            .execute(&mut *tx)
            .await?;
        let mut statement = sqlx::query(&sql).bind(user_id).bind(organization_id);
        if let Some(role) = role {
            statement = statement.bind(role);
        }
        if statement.execute(&mut *tx).await?.rows_affected() == 0 {
            let theirs: i64 = sqlx::query_scalar(USER_IN_ORGANIZATION)
                .bind(user_id)
                .bind(organization_id)
                .fetch_one(&mut *tx)
                .await?;
            return Ok(if theirs == 0 {
                UserChanged::NotFound
            } else {
                UserChanged::LastAdmin
            });
        }
        if ends_sessions(change) {
            sqlx::query(DELETE_SESSIONS_OF)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(UserChanged::Done)
    }

    async fn set_password(
        &self,
        user_id: Uuid,
        password_hash: &str,
        keep: Option<&str>,
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(SET_PASSWORD)
            .bind(user_id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(DELETE_LINKS_OF)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(DELETE_SESSIONS_OF_BUT)
            .bind(user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_language(
        &self,
        user_id: Uuid,
        language: Option<&str>,
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(SET_LANGUAGE)
            .bind(user_id)
            .bind(language)
            .execute(&mut *tx)
            .await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn note_sign_in(
        &self,
        user_id: Uuid,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(NOTE_SIGN_IN)
            .bind(user_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_session(&self, row: &SessionRow) -> StoreResult<bool> {
        let inserted = bind_session(INSERT_SESSION, row)
            .execute(&self.pool)
            .await?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn update_session(&self, row: &SessionRow) -> StoreResult<()> {
        bind_session(UPDATE_SESSION, row)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn load_session(&self, id: &str, now_ms: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar(LOAD_SESSION)
            .bind(id)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn delete_session(&self, id: &str) -> StoreResult<()> {
        sqlx::query(DELETE_SESSION)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query(DELETE_EXPIRED_SESSIONS)
            .bind(now_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn sessions_of(&self, user_id: Uuid, now_ms: i64) -> StoreResult<Vec<SessionSummary>> {
        sqlx::query(SESSIONS_OF)
            .bind(user_id)
            .bind(now_ms)
            .bind(SESSIONS_LISTED)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(session_summary_from_row)
            .collect()
    }

    async fn end_session_of(&self, user_id: Uuid, handle: &str) -> StoreResult<bool> {
        let ended = sqlx::query(DELETE_SESSION_OF)
            .bind(user_id)
            .bind(handle)
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected() > 0)
    }

    async fn end_sessions_of(&self, user_id: Uuid, keep: Option<&str>) -> StoreResult<u64> {
        Ok(sqlx::query(DELETE_SESSIONS_OF_BUT)
            .bind(user_id)
            .bind(keep)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

async fn insert_link(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    link: &NewLink,
) -> StoreResult<()> {
    sqlx::query(INSERT_USER_LINK)
        .bind(&link.token_hash)
        .bind(user_id)
        .bind(&link.purpose)
        .bind(link.created_at_ms)
        .bind(link.expires_at_ms)
        .execute(tx)
        .await?;
    Ok(())
}
