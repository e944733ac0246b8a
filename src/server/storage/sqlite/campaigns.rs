//! Campaigns, their executions and the provider outcomes waiting to be emitted, in SQLite.

use super::batch::{push_rows, Statements};
use super::outbox::{handed_off, push_events};
use super::*;
use crate::server::storage::plan::{EmissionPlan, EventsPlan, ExecutionsPlan};

async fn list(readers: &SqlitePool, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_FROM} WHERE c.sandbox_id = $1 \
         ORDER BY c.updated_at DESC, c.id"
    ))
    .bind(sandbox_id.to_string())
    .fetch_all(readers)
    .await?
    .iter()
    .map(campaign_from_row)
    .collect()
}

async fn one(
    readers: &SqlitePool,
    sandbox_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<CampaignRecord>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_FROM} WHERE c.id = $1 AND c.sandbox_id = $2"
    ))
    .bind(id.to_string())
    .bind(sandbox_id.to_string())
    .fetch_optional(readers)
    .await?
    .as_ref()
    .map(campaign_from_row)
    .transpose()
}

async fn write(
    pool: &SqlitePool,
    sandbox_id: Uuid,
    id: Uuid,
    campaign: &CampaignWrite,
    create: bool,
    audit: &AuditRecord,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let now = now_ms();
    let sql = if create {
        "INSERT INTO campaigns (name, name_key, channel, status, email_subject, email_body, sms_text, \
         campaign_version_id, webhook_enabled, webhook_id, updated_at, id, sandbox_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $11)"
    } else {
        "UPDATE campaigns SET name = $1, name_key = $2, channel = $3, status = $4, email_subject = $5, \
         email_body = $6, sms_text = $7, campaign_version_id = $8, webhook_enabled = $9, webhook_id = $10, \
         updated_at = $11 WHERE id = $12 AND sandbox_id = $13"
    };
    let result = sqlx::query(sql)
        .bind(&campaign.name)
        .bind(name_key(&campaign.name))
        .bind(campaign.channel.as_str())
        .bind(campaign.status.as_str())
        .bind(&campaign.content.email_subject)
        .bind(&campaign.content.email_body)
        .bind(&campaign.content.sms_text)
        .bind(&campaign.version_id)
        .bind(campaign.webhook_enabled)
        .bind(campaign.webhook_id.map(|id| id.to_string()))
        .bind(now)
        .bind(id.to_string())
        .bind(sandbox_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_unique)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    super::audit::insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

async fn store_executions(
    pool: &SqlitePool,
    executions: &[NewExecution],
    handoff: &Handoff,
) -> StoreResult<Written<Vec<ExecutionStored>>> {
    let now = now_ms();
    let plan = ExecutionsPlan::new(executions, now);
    // One query for the whole batch. A replayed requestId (even twice in this batch) inserts no
    // execution, so nothing else of it is stored: each row below requires its parent row.
    let mut statements = Statements::default();
    push_rows(
        &mut statements,
        executions,
        6,
        // `WHERE true`: after a SELECT, SQLite's parser needs a WHERE before ON CONFLICT.
        |source| {
            format!(
            "INSERT INTO executions (id, sandbox_id, campaign_id, request_id, created_by, response, created_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, ? FROM {source} AS v \
             WHERE true ON CONFLICT (campaign_id, request_id) DO NOTHING RETURNING id"
        )
        },
        &[now],
        |statements, execution| {
            statements.bind(execution.id.to_string());
            statements.bind(execution.sandbox_id.to_string());
            statements.bind(execution.campaign_id.to_string());
            statements.bind(execution.request_id.as_str());
            statements.bind(execution.created_by.as_str());
            statements.bind(execution.response.as_str());
        },
    );
    push_rows(
        &mut statements,
        &plan.messages,
        10,
        |source| {
            format!(
            "INSERT INTO message_executions (id, execution_id, position, recipient_type, user_id, namespace, \
             address, campaign_version_id, content, unrouted_events) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, \
             v.column9, v.column10 FROM {source} AS v \
             WHERE EXISTS (SELECT 1 FROM executions e WHERE e.id = v.column2)"
        )
        },
        &[],
        |statements, row| {
            let message = row.message;
            statements.bind(message.id.as_str());
            statements.bind(row.execution.id.to_string());
            statements.bind(row.position as i64);
            statements.bind(message.recipient_type.as_str());
            statements.bind(message.user_id.as_str());
            statements.bind(message.namespace.as_str());
            statements.bind(message.address.as_str());
            statements.bind(message.campaign_version_id.as_str());
            statements.bind(message.content.as_str());
            statements.bind(row.unrouted.as_str());
        },
    );
    push_rows(
        &mut statements,
        &plan.later,
        5,
        |source| {
            format!(
            "INSERT INTO provider_outcomes (message_execution_id, status, failure, retry_count, due_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5 FROM {source} AS v \
             WHERE EXISTS (SELECT 1 FROM message_executions m WHERE m.id = v.column1)"
        )
        },
        &[],
        |statements, (message_id, outcome)| {
            statements.bind(*message_id);
            statements.bind(outcome.status.as_str());
            statements.bind(
                outcome
                    .failure
                    .as_ref()
                    .and_then(|failure| serde_json::to_string(failure).ok()),
            );
            statements.bind(outcome.retry_count as i64);
            statements.bind(outcome.due_at_ms);
        },
    );
    let events = EventsPlan::new(&plan.routed, handoff);
    push_events(&mut statements, &events, now, true);

    let created = statements.run_in_transaction(pool).await?;
    let handed_off = handed_off(&events, &created);
    let mut stored = Vec::with_capacity(executions.len());
    for execution in executions {
        if created.contains_key(&execution.id.to_string()) {
            stored.push(ExecutionStored::Created);
            continue;
        }
        // A replay: the answer given to the first call, committed by now.
        let response: String = sqlx::query_scalar(
            "SELECT response FROM executions WHERE campaign_id = $1 AND request_id = $2",
        )
        .bind(execution.campaign_id.to_string())
        .bind(&execution.request_id)
        .fetch_one(pool)
        .await?;
        stored.push(ExecutionStored::Replayed { response });
    }
    Ok(Written {
        answer: stored,
        handed_off,
    })
}

async fn due_outcomes(readers: &SqlitePool, now: i64, limit: i64) -> StoreResult<Vec<DueOutcome>> {
    let rows = sqlx::query(
        "SELECT p.id, p.status, p.failure, p.retry_count, m.id AS message_execution_id, m.address, \
             m.campaign_version_id, e.request_id, e.campaign_id, c.channel, s.id AS sandbox_id, \
             s.name AS sandbox_name, o.ims_org, c.webhook_enabled, c.webhook_id \
         FROM provider_outcomes p \
         JOIN message_executions m ON m.id = p.message_execution_id \
         JOIN executions e ON e.id = m.execution_id \
         JOIN campaigns c ON c.id = e.campaign_id \
         JOIN sandboxes s ON s.id = e.sandbox_id \
         JOIN organizations o ON o.id = s.organization_id \
         WHERE p.emitted_at IS NULL AND p.due_at <= $1 ORDER BY p.due_at, p.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(readers)
    .await?;
    rows.iter()
        .map(|row| {
            let webhook_id: Option<String> = row.try_get("webhook_id")?;
            Ok(DueOutcome {
                id: row.try_get("id")?,
                status: row.try_get("status")?,
                failure: row.try_get("failure")?,
                retry_count: row.try_get("retry_count")?,
                message_execution_id: row.try_get("message_execution_id")?,
                address: row.try_get("address")?,
                campaign_version_id: row.try_get("campaign_version_id")?,
                request_id: row.try_get("request_id")?,
                campaign_id: uuid_column(row, "campaign_id")?,
                channel: row.try_get("channel")?,
                sandbox_id: uuid_column(row, "sandbox_id")?,
                sandbox_name: row.try_get("sandbox_name")?,
                ims_org: row.try_get("ims_org")?,
                webhook_enabled: row.try_get("webhook_enabled")?,
                webhook_id: webhook_id.and_then(|id| Uuid::parse_str(&id).ok()),
            })
        })
        .collect()
}

async fn emit_outcomes(
    pool: &SqlitePool,
    events: &[(i64, NewEvent, Vec<Uuid>)],
    set_aside: &[i64],
    handoff: &Handoff,
    now: i64,
) -> StoreResult<Vec<ClaimedDelivery>> {
    if events.is_empty() && set_aside.is_empty() {
        return Ok(Vec::new());
    }
    let emission = EmissionPlan::new(events, set_aside, now);
    let routed = EventsPlan::new(&emission.routed, handoff);
    let mut statements = Statements::default();
    push_events(&mut statements, &routed, now, false);
    push_rows(
        &mut statements,
        &emission.unrouted,
        2,
        |source| {
            format!(
                "UPDATE message_executions SET unrouted_events = unrouted_events || v.column2 \
                 FROM {source} AS v WHERE message_executions.id = v.column1"
            )
        },
        &[],
        |statements, (message, entries)| {
            statements.bind(*message);
            statements.bind(entries.as_str());
        },
    );
    // The ids as one JSON array: one statement text whatever their number.
    statements.push(
        "UPDATE provider_outcomes SET emitted_at = ? WHERE id IN (SELECT value FROM json_each(?))",
    );
    statements.bind(now);
    statements.bind(serde_json::to_string(&emission.emitted).unwrap_or_else(|_| "[]".into()));
    let returned = statements.run_in_transaction(pool).await?;
    Ok(handed_off(&routed, &returned))
}

#[async_trait]
impl CampaignStore for SqliteStorage {
    async fn list_campaigns(&self, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>> {
        list(&self.readers, sandbox_id).await
    }

    async fn campaign(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<CampaignRecord>> {
        one(&self.readers, sandbox_id, id).await
    }

    async fn create_campaign(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        campaign: &CampaignWrite,
        audit: &AuditRecord,
    ) -> StoreResult<CampaignRecord> {
        write(&self.pool, sandbox_id, id, campaign, true, audit).await?;
        one(&self.readers, sandbox_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn update_campaign(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        campaign: &CampaignWrite,
        audit: &AuditRecord,
    ) -> StoreResult<CampaignRecord> {
        write(&self.pool, sandbox_id, id, campaign, false, audit).await?;
        one(&self.readers, sandbox_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn store_executions(
        &self,
        executions: &[NewExecution],
        handoff: &Handoff,
    ) -> StoreResult<Written<Vec<ExecutionStored>>> {
        store_executions(&self.pool, executions, handoff).await
    }

    async fn due_outcomes(&self, now: i64, limit: i64) -> StoreResult<Vec<DueOutcome>> {
        due_outcomes(&self.readers, now, limit).await
    }

    async fn emit_outcomes(
        &self,
        events: &[(i64, NewEvent, Vec<Uuid>)],
        set_aside: &[i64],
        handoff: &Handoff,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        emit_outcomes(&self.pool, events, set_aside, handoff, now_ms()).await
    }

    async fn next_outcome_due_ms(&self) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar(
                "SELECT MIN(due_at) FROM provider_outcomes WHERE emitted_at IS NULL",
            )
            .fetch_one(&self.readers)
            .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    /// Before 0008, an event no webhook received was a row of its own, without payload.
    #[tokio::test]
    async fn the_migration_moves_unrouted_events_onto_their_message() {
        // One connection: each would have its own in-memory database.
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        let all = migrator.migrations.to_vec();
        let before = all.iter().position(|m| m.version == 8).unwrap();
        migrator.migrations = std::borrow::Cow::Owned(all[..before].to_vec());
        migrator.run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO organizations VALUES ('o', 'ORG@AdobeOrg', 0); \
             INSERT INTO sandboxes VALUES ('s', 'o', 'prod', 0); \
             INSERT INTO campaigns (id, sandbox_id, name, name_key, channel, status, campaign_version_id, created_at, updated_at) \
                 VALUES ('c', 's', 'C', 'c', 'email', 'live', 'v', 0, 0); \
             INSERT INTO executions VALUES ('x', 's', 'c', 'r', 'k', '{}', 0); \
             INSERT INTO message_executions (id, execution_id, position, recipient_type, user_id, namespace, address, campaign_version_id, content) \
                 VALUES ('m', 'x', 0, 'aep', 'u', 'email', 'a@b.c', 'v', '{}'); \
             INSERT INTO feedback_events VALUES ('e2', 's', 'delivered', 'email', 'r', 'm', '', 20); \
             INSERT INTO feedback_events VALUES ('e1', 's', 'sent', 'email', 'r', 'm', '', 10); \
             INSERT INTO feedback_events VALUES ('e3', 's', 'bounce', 'email', 'r', 'm', '{\"routed\":true}', 30); \
             INSERT INTO feedback_events VALUES ('e4', 's', 'sent', 'email', 'r2', 'not-a-message', '', 40);",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .unwrap();

        let unrouted: String =
            sqlx::query_scalar("SELECT unrouted_events FROM message_executions WHERE id = 'm'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            crate::server::storage::plan::unrouted_events(&unrouted),
            [("sent".to_string(), 10), ("delivered".to_string(), 20)]
        );
        let kept: Vec<String> = sqlx::query_scalar("SELECT id FROM feedback_events ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(
            kept,
            ["e3", "e4"],
            "routed events, and events of no message, keep their rows"
        );
    }
}
