//! Organizations, sandboxes, users and API credentials in PostgreSQL.

use super::*;

async fn credentials_where(
    pool: &PgPool,
    condition: &str,
    value: Uuid,
) -> StoreResult<Vec<CredentialRecord>> {
    sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS} FROM api_credentials c JOIN organizations o ON o.id = c.organization_id \
         WHERE {condition} ORDER BY c.created_at DESC, c.id"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?
    .iter()
    .map(credential_from_row)
    .collect()
}

async fn caller(
    pool: &PgPool,
    api_key: &str,
    sandbox_name: Option<&str>,
) -> StoreResult<Option<(CredentialRecord, Option<SandboxRef>)>> {
    let row = sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS}, s.id AS sandbox_id, s.name AS sandbox_name \
         FROM api_credentials c JOIN organizations o ON o.id = c.organization_id \
         LEFT JOIN sandboxes s ON s.organization_id = c.organization_id AND s.name = $2 \
         WHERE c.api_key = $1"
    ))
    .bind(api_key)
    .bind(sandbox_name)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let credential = credential_from_row(&row)?;
    let sandbox = match row.opt_id("sandbox_id")? {
        Some(id) => Some(SandboxRef {
            id,
            name: row.try_get("sandbox_name")?,
            organization_id: credential.organization_id,
            ims_org: credential.ims_org.clone(),
        }),
        None => None,
    };
    Ok(Some((credential, sandbox)))
}

impl PostgresStorage {
    async fn user_where<V>(&self, column: &'static str, value: V) -> StoreResult<Option<UserRecord>>
    where
        V: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
    {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.{column} = $1"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }
}

#[async_trait]
impl TenancyStore for PostgresStorage {
    async fn ensure_sandbox(&self, ims_org: &str, sandbox: &str) -> StoreResult<SandboxRef> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO organizations (id, ims_org, created_at) VALUES ($1, $2, $3) ON CONFLICT (ims_org) DO NOTHING")
            .bind(Uuid::new_v4())
            .bind(ims_org)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let organization_id: Uuid =
            sqlx::query_scalar("SELECT id FROM organizations WHERE ims_org = $1")
                .bind(ims_org)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO sandboxes (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organization_id, name) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(organization_id)
        .bind(sandbox)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let sandbox_id: Uuid =
            sqlx::query_scalar("SELECT id FROM sandboxes WHERE organization_id = $1 AND name = $2")
                .bind(organization_id)
                .bind(sandbox)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(SandboxRef {
            id: sandbox_id,
            name: sandbox.to_string(),
            organization_id,
            ims_org: ims_org.to_string(),
        })
    }

    async fn list_sandboxes(&self, organization_id: Uuid) -> StoreResult<Vec<SandboxRef>> {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, o.ims_org FROM sandboxes s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.organization_id = $1 ORDER BY s.name",
        )
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, ims_org)| SandboxRef {
                id,
                name,
                organization_id,
                ims_org,
            })
            .collect())
    }

    async fn create_sandbox(
        &self,
        organization_id: Uuid,
        name: &str,
        audit: &AuditRecord,
    ) -> StoreResult<SandboxRef> {
        let id = Uuid::new_v4();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sandboxes (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map_err(map_unique)?;
        super::audit::insert_audit(&mut tx, &audit.naming(id)).await?;
        tx.commit().await?;
        self.sandbox_by_name(organization_id, name)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn sandbox_by_name(
        &self,
        organization_id: Uuid,
        name: &str,
    ) -> StoreResult<Option<SandboxRef>> {
        let row: Option<(Uuid, String)> = sqlx::query_as(
            "SELECT s.id, o.ims_org FROM sandboxes s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.organization_id = $1 AND s.name = $2",
        )
        .bind(organization_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, ims_org)| SandboxRef {
            id,
            name: name.to_string(),
            organization_id,
            ims_org,
        }))
    }

    async fn user_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        let id = Uuid::new_v4();
        insert_user(INSERT_USER, id, &user)
            .execute(&self.pool)
            .await
            .map_err(map_unique)?;
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    async fn create_first_user(
        &self,
        user: NewUser,
        audit: &AuditRecord,
    ) -> StoreResult<Option<UserRecord>> {
        let id = Uuid::new_v4();
        // Under READ COMMITTED two transactions could both see no user; the lock makes the
        // second wait, and its statement then sees the first one's user.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FIRST_USER_LOCK)
            .execute(&mut *tx)
            .await?;
        let inserted = insert_user(INSERT_FIRST_USER, id, &user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            return Ok(None);
        }
        super::audit::insert_audit(&mut tx, &audit.naming(id)).await?;
        tx.commit().await?;
        self.user_by_id(id).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        self.user_where("email", email.trim().to_lowercase()).await
    }

    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<UserRecord>> {
        self.user_where("id", id).await
    }

    async fn create_credential(
        &self,
        organization_id: Uuid,
        credential: &CredentialWrite,
        audit: &AuditRecord,
    ) -> StoreResult<CredentialRecord> {
        let id = Uuid::new_v4();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_credentials (id, organization_id, name, api_key, token_hash, created_at, scopes, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(&credential.name)
        .bind(&credential.api_key)
        .bind(&credential.token_hash)
        .bind(now_ms())
        .bind(crate::model::credential::Scope::join(&credential.scopes))
        .bind(credential.expires_at_ms)
        .execute(&mut *tx)
        .await?;
        super::audit::insert_audit(&mut tx, &audit.naming(id)).await?;
        tx.commit().await?;
        credentials_where(&self.pool, "c.id = $1", id)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn list_credentials(&self, organization_id: Uuid) -> StoreResult<Vec<CredentialRecord>> {
        credentials_where(&self.pool, "c.organization_id = $1", organization_id).await
    }

    async fn caller(
        &self,
        api_key: &str,
        sandbox_name: Option<&str>,
    ) -> StoreResult<Option<(CredentialRecord, Option<SandboxRef>)>> {
        caller(&self.pool, api_key, sandbox_name).await
    }

    async fn revoke_credential(
        &self,
        organization_id: Uuid,
        id: Uuid,
        audit: &AuditRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "UPDATE api_credentials SET revoked_at = $1 WHERE id = $2 AND organization_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .bind(organization_id)
        .execute(&mut *tx)
        .await?;
        let revoked = result.rows_affected() > 0;
        if revoked {
            super::audit::insert_audit(&mut tx, audit).await?;
            tx.commit().await?;
        }
        Ok(revoked)
    }

    async fn touch_credential(&self, id: Uuid, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE api_credentials SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at < $1 - 60000)",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn count_login_attempt(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> StoreResult<(i64, i64)> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(DROP_OVER_LOGIN_ATTEMPTS)
            .bind(now_ms - window_ms)
            .execute(&mut *tx)
            .await?;
        let counted = sqlx::query_as(COUNT_LOGIN_ATTEMPT)
            .bind(key)
            .bind(now_ms)
            .bind(window_ms)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(counted)
    }

    async fn forgive_login_attempt(&self, key: &str) -> StoreResult<()> {
        sqlx::query(FORGIVE_LOGIN_ATTEMPT)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear_login_attempts(&self, key: &str) -> StoreResult<()> {
        sqlx::query(CLEAR_LOGIN_ATTEMPTS)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// `sql` (one of the user inserts) with its parameters bound.
fn insert_user<'q>(
    sql: &'q str,
    id: Uuid,
    user: &'q NewUser,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(sql)
        .bind(id)
        .bind(user.organization_id)
        .bind(user.email.to_lowercase())
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(now_ms())
}
