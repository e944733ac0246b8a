//! Campaigns, their executions and the provider outcomes waiting to be emitted, in PostgreSQL.

use super::outbox::{handed_off, insert_events};
use super::*;
use crate::server::storage::plan::{
    self, EmissionPlan, EventsPlan, ExecutionsPlan, PlannedMessage,
};

async fn list(pool: &PgPool, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_FROM} WHERE c.sandbox_id = $1 \
         ORDER BY c.updated_at DESC, c.id"
    ))
    .bind(sandbox_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(campaign_from_row)
    .collect()
}

async fn one(pool: &PgPool, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<CampaignRecord>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_FROM} WHERE c.id = $1 AND c.sandbox_id = $2"
    ))
    .bind(id)
    .bind(sandbox_id)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(campaign_from_row)
    .transpose()
}

async fn write(
    pool: &PgPool,
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
        .bind(campaign.webhook_id)
        .bind(now)
        .bind(id)
        .bind(sandbox_id)
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
    pool: &PgPool,
    executions: &[NewExecution],
    handoff: &Handoff,
) -> StoreResult<Written<Vec<ExecutionStored>>> {
    let now = now_ms();
    let plan = ExecutionsPlan::new(executions, now);
    // One statement per table in one transaction. A replayed requestId inserts no execution,
    // so nothing else of it is stored: each row below requires its parent row.
    let mut tx = pool.begin().await?;
    let created: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO executions (id, sandbox_id, campaign_id, request_id, created_by, response, created_at) \
         SELECT v.*, $7 FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[]) AS v \
         ON CONFLICT (campaign_id, request_id) DO NOTHING RETURNING id",
    )
    .bind(executions.iter().map(|e| e.id).collect::<Vec<_>>())
    .bind(executions.iter().map(|e| e.sandbox_id).collect::<Vec<_>>())
    .bind(executions.iter().map(|e| e.campaign_id).collect::<Vec<_>>())
    .bind(executions.iter().map(|e| e.request_id.as_str()).collect::<Vec<_>>())
    .bind(executions.iter().map(|e| e.created_by.as_str()).collect::<Vec<_>>())
    .bind(executions.iter().map(|e| e.response.as_str()).collect::<Vec<_>>())
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let stored_messages: Vec<&PlannedMessage> = plan
        .messages
        .iter()
        .filter(|m| created.contains(&m.execution.id))
        .collect();
    if !stored_messages.is_empty() {
        let m = &stored_messages;
        sqlx::query(
            "INSERT INTO message_executions (id, execution_id, position, recipient_type, user_id, namespace, \
             address, campaign_version_id, content, unrouted_events) \
             SELECT * FROM UNNEST($1::text[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::text[])",
        )
        .bind(m.iter().map(|r| r.message.id.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.execution.id).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.position as i64).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.message.recipient_type.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.message.user_id.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.message.namespace.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.message.address.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.message.campaign_version_id.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.message.content.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|r| r.unrouted.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let stored: std::collections::HashSet<&str> = stored_messages
        .iter()
        .map(|m| m.message.id.as_str())
        .collect();
    let later: Vec<&(&str, &NewOutcome)> = plan
        .later
        .iter()
        .filter(|(message_id, _)| stored.contains(message_id))
        .collect();
    if !later.is_empty() {
        sqlx::query(
            "INSERT INTO provider_outcomes (message_execution_id, status, failure, retry_count, due_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])",
        )
        .bind(later.iter().map(|(m, _)| *m).collect::<Vec<_>>())
        .bind(later.iter().map(|(_, o)| o.status.as_str()).collect::<Vec<_>>())
        .bind(
            later
                .iter()
                .map(|(_, o)| {
                    o.failure
                        .as_ref()
                        .and_then(|failure| serde_json::to_string(failure).ok())
                })
                .collect::<Vec<_>>(),
        )
        .bind(later.iter().map(|(_, o)| o.retry_count as i64).collect::<Vec<_>>())
        .bind(later.iter().map(|(_, o)| o.due_at_ms).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let routed: Vec<(&NewEvent, &[Uuid])> = plan
        .routed
        .iter()
        .copied()
        .filter(|(event, _)| stored.contains(event.message_execution_id.as_str()))
        .collect();
    let events = EventsPlan::new(&routed, handoff);
    let inserted = insert_events(&mut tx, &events, now).await?;
    tx.commit().await?;
    let handed_off = handed_off(&events, &inserted);

    let mut answers = Vec::with_capacity(executions.len());
    for execution in executions {
        if created.contains(&execution.id) {
            answers.push(ExecutionStored::Created);
            continue;
        }
        // A replay: the answer given to the first call, committed by now.
        let response: String = sqlx::query_scalar(
            "SELECT response FROM executions WHERE campaign_id = $1 AND request_id = $2",
        )
        .bind(execution.campaign_id)
        .bind(&execution.request_id)
        .fetch_one(pool)
        .await?;
        answers.push(ExecutionStored::Replayed { response });
    }
    Ok(Written {
        answer: answers,
        handed_off,
    })
}

async fn due_outcomes(pool: &PgPool, now: i64, limit: i64) -> StoreResult<Vec<DueOutcome>> {
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
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
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
                webhook_id: row.try_get("webhook_id")?,
            })
        })
        .collect()
}

/// Marks the outcomes emitted first, and writes the events of only those it marked: an outcome
/// another instance emitted meanwhile is left out, so each is emitted once across instances.
async fn emit_outcomes(
    pool: &PgPool,
    events: &[(i64, NewEvent, Vec<Uuid>)],
    set_aside: &[i64],
    handoff: &Handoff,
    now: i64,
) -> StoreResult<Vec<ClaimedDelivery>> {
    if events.is_empty() && set_aside.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    let ids = plan::emitted_outcomes(events, set_aside);
    let marked: std::collections::HashSet<i64> = sqlx::query_scalar(
        "UPDATE provider_outcomes SET emitted_at = $1 WHERE id = ANY($2) AND emitted_at IS NULL RETURNING id",
    )
    .bind(now)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let events: Vec<(i64, NewEvent, Vec<Uuid>)> = events
        .iter()
        .filter(|(id, _, _)| marked.contains(id))
        .cloned()
        .collect();
    let emission = EmissionPlan::new(&events, set_aside, now);
    let routed = EventsPlan::new(&emission.routed, handoff);
    let inserted = insert_events(&mut tx, &routed, now).await?;
    if !emission.unrouted.is_empty() {
        sqlx::query(
            "UPDATE message_executions m SET unrouted_events = m.unrouted_events || v.entries \
             FROM UNNEST($1::text[], $2::text[]) AS v (id, entries) WHERE m.id = v.id",
        )
        .bind(
            emission
                .unrouted
                .iter()
                .map(|(m, _)| *m)
                .collect::<Vec<_>>(),
        )
        .bind(
            emission
                .unrouted
                .iter()
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(handed_off(&routed, &inserted))
}

#[async_trait]
impl CampaignStore for PostgresStorage {
    async fn list_campaigns(&self, sandbox_id: Uuid) -> StoreResult<Vec<CampaignRecord>> {
        list(&self.pool, sandbox_id).await
    }

    async fn campaign(&self, sandbox_id: Uuid, id: Uuid) -> StoreResult<Option<CampaignRecord>> {
        one(&self.pool, sandbox_id, id).await
    }

    async fn create_campaign(
        &self,
        sandbox_id: Uuid,
        id: Uuid,
        campaign: &CampaignWrite,
        audit: &AuditRecord,
    ) -> StoreResult<CampaignRecord> {
        write(&self.pool, sandbox_id, id, campaign, true, audit).await?;
        one(&self.pool, sandbox_id, id)
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
        one(&self.pool, sandbox_id, id)
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
        due_outcomes(&self.pool, now, limit).await
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
            .fetch_one(&self.pool)
            .await?,
        )
    }
}
