//! Organizations, sandboxes, users and API credentials in SQLite.

use super::*;

async fn credentials_where(
    readers: &SqlitePool,
    condition: &str,
    value: String,
) -> StoreResult<Vec<CredentialRecord>> {
    sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS} FROM api_credentials c JOIN organizations o ON o.id = c.organization_id \
         WHERE {condition} ORDER BY c.created_at DESC, c.id"
    ))
    .bind(value)
    .fetch_all(readers)
    .await?
    .iter()
    .map(credential_from_row)
    .collect()
}

async fn caller(
    readers: &SqlitePool,
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
    .fetch_optional(readers)
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

impl SqliteStorage {
    async fn user_where(
        &self,
        column: &'static str,
        value: String,
    ) -> StoreResult<Option<UserRecord>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.{column} = $1"
        ))
        .bind(value)
        .fetch_optional(&self.readers)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }
}

#[async_trait]
impl TenancyStore for SqliteStorage {
    async fn ensure_sandbox(&self, ims_org: &str, sandbox: &str) -> StoreResult<SandboxRef> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO organizations (id, ims_org, created_at) VALUES ($1, $2, $3) ON CONFLICT (ims_org) DO NOTHING")
            .bind(Uuid::new_v4().to_string())
            .bind(ims_org)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let organization_id: String =
            sqlx::query_scalar("SELECT id FROM organizations WHERE ims_org = $1")
                .bind(ims_org)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO sandboxes (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organization_id, name) DO NOTHING",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&organization_id)
        .bind(sandbox)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let sandbox_id: String =
            sqlx::query_scalar("SELECT id FROM sandboxes WHERE organization_id = $1 AND name = $2")
                .bind(&organization_id)
                .bind(sandbox)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        let parse =
            |text: &str| Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(text.to_string()));
        Ok(SandboxRef {
            id: parse(&sandbox_id)?,
            name: sandbox.to_string(),
            organization_id: parse(&organization_id)?,
            ims_org: ims_org.to_string(),
        })
    }

    async fn list_sandboxes(&self, organization_id: Uuid) -> StoreResult<Vec<SandboxRef>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, o.ims_org FROM sandboxes s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.organization_id = $1 ORDER BY s.name",
        )
        .bind(organization_id.to_string())
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|(id, name, ims_org)| {
                Ok(SandboxRef {
                    id: Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(id.clone()))?,
                    name,
                    organization_id,
                    ims_org,
                })
            })
            .collect()
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
        .bind(id.to_string())
        .bind(organization_id.to_string())
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
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT s.id, o.ims_org FROM sandboxes s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.organization_id = $1 AND s.name = $2",
        )
        .bind(organization_id.to_string())
        .bind(name)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|(id, ims_org)| {
            Ok(SandboxRef {
                id: Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(id.clone()))?,
                name: name.to_string(),
                organization_id,
                ims_org,
            })
        })
        .transpose()
    }

    async fn user_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.readers)
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
        let mut tx = self.pool.begin().await?;
        // One statement: SQLite runs it under the database's one write lock, so no other
        // writer (of this process or another) inserts between its check and its insert.
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
        self.user_where("id", id.to_string()).await
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
        .bind(id.to_string())
        .bind(organization_id.to_string())
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
        credentials_where(&self.readers, "c.id = $1", id.to_string())
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn list_credentials(&self, organization_id: Uuid) -> StoreResult<Vec<CredentialRecord>> {
        credentials_where(
            &self.readers,
            "c.organization_id = $1",
            organization_id.to_string(),
        )
        .await
    }

    async fn caller(
        &self,
        api_key: &str,
        sandbox_name: Option<&str>,
    ) -> StoreResult<Option<(CredentialRecord, Option<SandboxRef>)>> {
        caller(&self.readers, api_key, sandbox_name).await
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
        .bind(id.to_string())
        .bind(organization_id.to_string())
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
        .bind(id.to_string())
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
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    sqlx::query(sql)
        .bind(id.to_string())
        .bind(user.organization_id.to_string())
        .bind(user.email.to_lowercase())
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(now_ms())
}
