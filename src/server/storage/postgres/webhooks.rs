//! Feedback webhooks in PostgreSQL: settings with their headers, signing secrets, on and off.

use super::*;

impl PostgresStorage {
    async fn headers_of(&self, webhook_ids: &[Uuid]) -> StoreResult<Vec<(Uuid, StoredHeader)>> {
        if webhook_ids.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query(
            "SELECT id, webhook_id, name, value, value_sealed, value_fingerprint, value_len FROM webhook_headers \
             WHERE webhook_id = ANY($1) ORDER BY webhook_id, position",
        )
        .bind(webhook_ids)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(header_from_row)
        .collect()
    }

    async fn write_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
        create: bool,
        audit: &AuditRecord,
    ) -> StoreResult<WebhookRecord> {
        let now = now_ms();
        let jwt = webhook.jwt.as_ref();
        let mut tx = self.pool.begin().await?;
        // Both statements take the same binds in the same order; the update ignores `created_at`.
        let sql = if create {
            "INSERT INTO feedback_webhooks (name, name_key, channel_email, channel_sms, url, enabled, disabled_reason, event_filter, \
             jwt_algorithm, jwt_key_kind, jwt_secret_sealed, jwt_secret_fingerprint, jwt_key_id, jwt_issuer, jwt_subject, \
             jwt_audience, jwt_extra_claims, jwt_lifetime_secs, updated_at, id, sandbox_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        } else {
            "UPDATE feedback_webhooks SET name = $1, name_key = $2, channel_email = $3, channel_sms = $4, url = $5, \
             enabled = $6, disabled_reason = $7, event_filter = $8, jwt_algorithm = $9, jwt_key_kind = $10, jwt_secret_sealed = $11, \
             jwt_secret_fingerprint = $12, jwt_key_id = $13, jwt_issuer = $14, jwt_subject = $15, jwt_audience = $16, \
             jwt_extra_claims = $17, jwt_lifetime_secs = $18, updated_at = $19, \
             failing_since = CASE WHEN enabled = FALSE THEN NULL ELSE failing_since END \
             WHERE id = $20 AND sandbox_id = $21 AND $22 IS NOT NULL"
        };
        let result = sqlx::query(sql)
            .bind(&webhook.name)
            .bind(name_key(&webhook.name))
            .bind(webhook.email)
            .bind(webhook.sms)
            .bind(&webhook.url)
            .bind(webhook.enabled)
            .bind(&webhook.disabled_reason)
            .bind(crate::model::feedback::FeedbackStatus::join(
                &webhook.events,
            ))
            .bind(jwt.map(|j| j.algorithm.clone()))
            .bind(jwt.map(|j| j.key_kind.clone()))
            .bind(jwt.map(|j| j.secret_sealed.clone()))
            .bind(jwt.map(|j| j.secret_fingerprint.clone()))
            .bind(jwt.and_then(|j| j.key_id.clone()))
            .bind(jwt.and_then(|j| j.issuer.clone()))
            .bind(jwt.and_then(|j| j.subject.clone()))
            .bind(jwt.and_then(|j| j.audience.clone()))
            .bind(jwt.and_then(|j| j.extra_claims.clone()))
            .bind(jwt.map(|j| j.lifetime_secs).unwrap_or(300))
            .bind(now)
            .bind(id)
            .bind(sandbox_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_unique)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM webhook_headers WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (position, header) in webhook.headers.iter().enumerate() {
            let (plain, sealed, fingerprint, len) = match &header.value {
                StoredHeaderValue::Plain(value) => (Some(value.clone()), None, None, value.len()),
                StoredHeaderValue::Sealed {
                    sealed,
                    fingerprint,
                    len,
                } => (None, Some(sealed.clone()), Some(fingerprint.clone()), *len),
            };
            sqlx::query(
                "INSERT INTO webhook_headers (id, webhook_id, position, name, value, value_sealed, value_fingerprint, value_len) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(header.id)
            .bind(id)
            .bind(position as i64)
            .bind(&header.name)
            .bind(plain)
            .bind(sealed)
            .bind(fingerprint)
            .bind(len as i64)
            .execute(&mut *tx)
            .await?;
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.webhook(sandbox_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl WebhookStore for PostgresStorage {
    async fn list_webhooks(&self, sandbox_id: Uuid) -> StoreResult<Vec<WebhookRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM feedback_webhooks WHERE sandbox_id = $1 ORDER BY updated_at DESC, id"
        ))
        .bind(sandbox_id)
        .fetch_all(&self.pool)
        .await?;
        let ids = rows
            .iter()
            .map(|row| uuid_column(row, "id"))
            .collect::<StoreResult<Vec<_>>>()?;
        // Headers come ordered by position; grouping keeps that order per webhook.
        let mut headers: std::collections::HashMap<Uuid, Vec<StoredHeader>> =
            std::collections::HashMap::new();
        for (owner, header) in self.headers_of(&ids).await? {
            headers.entry(owner).or_default().push(header);
        }
        rows.iter()
            .zip(ids)
            .map(|(row, id)| webhook_from_row(row, headers.remove(&id).unwrap_or_default()))
            .collect()
    }

    async fn webhook(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM feedback_webhooks WHERE id = $1 AND sandbox_id = $2"
        ))
        .bind(id)
        .bind(sandbox_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let headers = self
                    .headers_of(&[id])
                    .await?
                    .into_iter()
                    .map(|(_, header)| header)
                    .collect();
                webhook_from_row(&row, headers).map(Some)
            }
        }
    }

    async fn sealed_values(&self) -> StoreResult<Vec<SealedValue>> {
        let webhooks = sqlx::query(SEALED_WEBHOOK_VALUES)
            .fetch_all(&self.pool)
            .await?;
        let headers = sqlx::query(SEALED_HEADER_VALUES)
            .fetch_all(&self.pool)
            .await?;
        sealed_values_from(&webhooks, &headers)
    }

    async fn reseal(&self, values: &[Resealed]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for value in values {
            let (sql, row_id) = reseal_statement(value);
            sqlx::query(sql)
                .bind(&value.sealed)
                .bind(&value.fingerprint)
                .bind(row_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
        audit: &AuditRecord,
    ) -> StoreResult<WebhookRecord> {
        self.write_webhook(sandbox_id, id, webhook, true, audit)
            .await
    }

    async fn update_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        webhook: &WebhookWrite,
        audit: &AuditRecord,
    ) -> StoreResult<WebhookRecord> {
        self.write_webhook(sandbox_id, id, webhook, false, audit)
            .await
    }

    async fn delete_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        audit: &AuditRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query("DELETE FROM feedback_webhooks WHERE id = $1 AND sandbox_id = $2")
            .bind(id)
            .bind(sandbox_id)
            .execute(&mut *tx)
            .await?;
        let changed = result.rows_affected() > 0;
        if changed {
            super::audit::insert_audit(&mut tx, audit).await?;
            tx.commit().await?;
        }
        Ok(changed)
    }

    async fn set_signing_secret(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        signing: Option<&StoredSigning>,
        audit: &AuditRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let previous = signing.and_then(|s| s.previous.clone());
        let result = sqlx::query(
            "UPDATE feedback_webhooks SET signing_secret_sealed = $1, signing_secret_fingerprint = $2, \
             previous_signing_secret_sealed = $3, previous_signing_secret_expires_at = $4, updated_at = $5 \
             WHERE id = $6 AND sandbox_id = $7",
        )
        .bind(signing.map(|s| s.secret_sealed.clone()))
        .bind(signing.map(|s| s.fingerprint.clone()))
        .bind(previous.as_ref().map(|(sealed, _)| sealed.clone()))
        .bind(previous.map(|(_, until)| until))
        .bind(now_ms())
        .bind(id)
        .bind(sandbox_id)
        .execute(&mut *tx)
        .await?;
        let changed = result.rows_affected() > 0;
        if changed {
            super::audit::insert_audit(&mut tx, audit).await?;
            tx.commit().await?;
        }
        Ok(changed)
    }

    async fn disable_webhook(
        &self,
        id: Uuid,
        reason: &str,
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE feedback_webhooks SET enabled = FALSE, disabled_reason = $1, updated_at = $2 WHERE id = $3")
            .bind(reason)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        super::audit::insert_audit_of_webhook(&mut tx, id, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn enable_webhook(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        audit: &AuditRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "UPDATE feedback_webhooks SET enabled = TRUE, disabled_reason = NULL, failing_since = NULL, updated_at = $1 \
             WHERE id = $2 AND sandbox_id = $3",
        )
        .bind(now_ms())
        .bind(id)
        .bind(sandbox_id)
        .execute(&mut *tx)
        .await?;
        let changed = result.rows_affected() > 0;
        if changed {
            super::audit::insert_audit(&mut tx, audit).await?;
            tx.commit().await?;
        }
        Ok(changed)
    }

    async fn webhook_by_id(&self, id: Uuid) -> StoreResult<Option<WebhookRecord>> {
        let sandbox: Option<Uuid> =
            sqlx::query_scalar("SELECT sandbox_id FROM feedback_webhooks WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match sandbox {
            Some(sandbox_id) => self.webhook(sandbox_id, id).await,
            None => Ok(None),
        }
    }

    async fn webhook_route(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRoute>> {
        let row: Option<(bool, bool, bool, String)> = sqlx::query_as(
            "SELECT enabled, channel_email, channel_sms, event_filter FROM feedback_webhooks \
             WHERE id = $1 AND sandbox_id = $2",
        )
        .bind(id)
        .bind(sandbox_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(enabled, email, sms, events)| WebhookRoute {
            id,
            enabled,
            email,
            sms,
            events: crate::model::feedback::FeedbackStatus::parse_list(&events),
        }))
    }
}
