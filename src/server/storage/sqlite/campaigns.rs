//! Campaigns, API credentials and executions in SQLite.

use super::*;
use crate::model::campaign::{CampaignContent, CampaignStatus};
use crate::model::Channel;

/// A campaign with its activated webhook's routing settings (one read on the execution path).
const CAMPAIGN_COLUMNS: &str = "c.id, c.sandbox_id, c.name, c.channel, c.status, c.email_subject, \
     c.email_body, c.sms_text, c.campaign_version_id, c.webhook_enabled, c.webhook_id, c.created_at, \
     c.updated_at, w.enabled AS route_enabled, w.channel_email AS route_email, \
     w.channel_sms AS route_sms, w.event_filter AS route_events";
const CAMPAIGN_FROM: &str = "campaigns c LEFT JOIN feedback_webhooks w \
     ON w.id = c.webhook_id AND w.sandbox_id = c.sandbox_id";

fn campaign_from_row(row: &SqliteRow) -> StoreResult<CampaignRecord> {
    let text = |column: &str| -> StoreResult<String> { Ok(row.try_get(column)?) };
    let channel = text("channel")?;
    let status = text("status")?;
    let webhook_id = row
        .try_get::<Option<String>, _>("webhook_id")?
        .and_then(|id| Uuid::parse_str(&id).ok());
    let route_events: Option<String> = row.try_get("route_events")?;
    let webhook_route = match (webhook_id, route_events) {
        (Some(id), Some(events)) => Some(WebhookRoute {
            id,
            enabled: row.try_get("route_enabled")?,
            email: row.try_get("route_email")?,
            sms: row.try_get("route_sms")?,
            events: crate::model::feedback::FeedbackStatus::parse_list(&events),
        }),
        _ => None,
    };
    Ok(CampaignRecord {
        id: uuid_column(row, "id")?,
        sandbox_id: uuid_column(row, "sandbox_id")?,
        settings: CampaignWrite {
            name: text("name")?,
            channel: Channel::parse(&channel)
                .ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
            status: CampaignStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?,
            content: CampaignContent {
                email_subject: text("email_subject")?,
                email_body: text("email_body")?,
                sms_text: text("sms_text")?,
            },
            version_id: text("campaign_version_id")?,
            webhook_enabled: row.try_get("webhook_enabled")?,
            webhook_id,
        },
        webhook_route,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

pub(super) async fn list(
    readers: &SqlitePool,
    sandbox_id: Uuid,
) -> StoreResult<Vec<CampaignRecord>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_FROM} WHERE c.sandbox_id = ? \
         ORDER BY c.updated_at DESC, c.id"
    ))
    .bind(sandbox_id.to_string())
    .fetch_all(readers)
    .await?
    .iter()
    .map(campaign_from_row)
    .collect()
}

pub(super) async fn one(
    readers: &SqlitePool,
    sandbox_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<CampaignRecord>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_FROM} WHERE c.id = ? AND c.sandbox_id = ?"
    ))
    .bind(id.to_string())
    .bind(sandbox_id.to_string())
    .fetch_optional(readers)
    .await?
    .as_ref()
    .map(campaign_from_row)
    .transpose()
}

pub(super) async fn write(
    pool: &SqlitePool,
    sandbox_id: Uuid,
    id: Uuid,
    campaign: &CampaignWrite,
    create: bool,
) -> StoreResult<()> {
    let now = now_ms();
    let sql = if create {
        "INSERT INTO campaigns (name, name_key, channel, status, email_subject, email_body, sms_text, \
         campaign_version_id, webhook_enabled, webhook_id, updated_at, id, sandbox_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?11)"
    } else {
        "UPDATE campaigns SET name = ?1, name_key = ?2, channel = ?3, status = ?4, email_subject = ?5, \
         email_body = ?6, sms_text = ?7, campaign_version_id = ?8, webhook_enabled = ?9, webhook_id = ?10, \
         updated_at = ?11 WHERE id = ?12 AND sandbox_id = ?13"
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
        .execute(pool)
        .await
        .map_err(map_unique)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

const CREDENTIAL_COLUMNS: &str =
    "c.id, c.organization_id, o.ims_org, c.name, c.api_key, c.token_hash, \
     c.created_at, c.last_used_at, c.revoked_at";

fn credential_from_row(row: &SqliteRow) -> StoreResult<CredentialRecord> {
    Ok(CredentialRecord {
        id: uuid_column(row, "id")?,
        organization_id: uuid_column(row, "organization_id")?,
        ims_org: row.try_get("ims_org")?,
        name: row.try_get("name")?,
        api_key: row.try_get("api_key")?,
        token_hash: row.try_get("token_hash")?,
        created_at_ms: row.try_get("created_at")?,
        last_used_at_ms: row.try_get("last_used_at")?,
        revoked_at_ms: row.try_get("revoked_at")?,
    })
}

pub(super) async fn credentials_where(
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

pub(super) async fn caller(
    readers: &SqlitePool,
    api_key: &str,
    sandbox_name: Option<&str>,
) -> StoreResult<Option<(CredentialRecord, Option<SandboxRef>)>> {
    let row = sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS}, s.id AS sandbox_id, s.name AS sandbox_name \
         FROM api_credentials c JOIN organizations o ON o.id = c.organization_id \
         LEFT JOIN sandboxes s ON s.organization_id = c.organization_id AND s.name = ?2 \
         WHERE c.api_key = ?1"
    ))
    .bind(api_key)
    .bind(sandbox_name)
    .fetch_optional(readers)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let credential = credential_from_row(&row)?;
    let sandbox = match row.try_get::<Option<String>, _>("sandbox_id")? {
        Some(_) => Some(SandboxRef {
            id: uuid_column(&row, "sandbox_id")?,
            name: row.try_get("sandbox_name")?,
            organization_id: credential.organization_id,
            ims_org: credential.ims_org.clone(),
        }),
        None => None,
    };
    Ok(Some((credential, sandbox)))
}

pub(super) async fn store_executions(
    pool: &SqlitePool,
    executions: &[NewExecution],
) -> StoreResult<Vec<ExecutionStored>> {
    use super::outbox::{push_events, push_rows, Statements};
    let now = now_ms();
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
    let messages: Vec<(&NewExecution, usize, &NewMessageExecution)> = executions
        .iter()
        .flat_map(|e| e.messages.iter().enumerate().map(move |(i, m)| (e, i, m)))
        .collect();
    push_rows(
        &mut statements,
        &messages,
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
        |statements, (execution, position, message)| {
            statements.bind(message.id.as_str());
            statements.bind(execution.id.to_string());
            statements.bind(*position as i64);
            statements.bind(message.recipient_type.as_str());
            statements.bind(message.user_id.as_str());
            statements.bind(message.namespace.as_str());
            statements.bind(message.address.as_str());
            statements.bind(message.campaign_version_id.as_str());
            statements.bind(message.content.as_str());
            let unrouted = message
                .outcomes
                .iter()
                .filter_map(|outcome| outcome.emit_now.as_ref())
                .filter(|(_, webhook_ids)| webhook_ids.is_empty())
                .map(|(event, _)| unrouted_entry(&event.event_type, now))
                .collect::<String>();
            statements.bind(unrouted);
        },
    );
    // Only outcomes still to emit wait in provider_outcomes; the others are events already.
    let later: Vec<(&String, &NewOutcome)> = messages
        .iter()
        .flat_map(|(_, _, m)| m.outcomes.iter().map(move |o| (&m.id, o)))
        .filter(|(_, outcome)| outcome.emit_now.is_none())
        .collect();
    push_rows(
        &mut statements,
        &later,
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
            statements.bind(message_id.as_str());
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
    // The message row keeps the events no webhook receives.
    let emitted: Vec<(&NewEvent, &[Uuid])> = messages
        .iter()
        .flat_map(|(_, _, m)| &m.outcomes)
        .filter_map(|outcome| outcome.emit_now.as_ref())
        .filter(|(_, webhook_ids)| !webhook_ids.is_empty())
        .map(|(event, webhook_ids)| (event, webhook_ids.as_slice()))
        .collect();
    push_events(&mut statements, &emitted, now, true);

    let created = statements.run_in_transaction(pool).await?;
    let mut stored = Vec::with_capacity(executions.len());
    for execution in executions {
        if created.contains(&execution.id.to_string()) {
            stored.push(ExecutionStored::Created);
            continue;
        }
        // A replay: the answer given to the first call, committed by now.
        let response: String = sqlx::query_scalar(
            "SELECT response FROM executions WHERE campaign_id = ?1 AND request_id = ?2",
        )
        .bind(execution.campaign_id.to_string())
        .bind(&execution.request_id)
        .fetch_one(pool)
        .await?;
        stored.push(ExecutionStored::Replayed { response });
    }
    Ok(stored)
}

pub(super) async fn due_outcomes(
    readers: &SqlitePool,
    now: i64,
    limit: i64,
) -> StoreResult<Vec<DueOutcome>> {
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
         WHERE p.emitted_at IS NULL AND p.due_at <= ?1 ORDER BY p.due_at, p.id LIMIT ?2",
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

/// One event of a message's `unrouted_events`: `sent@1732800000000;`.
pub(super) fn unrouted_entry(event_type: &str, at_ms: i64) -> String {
    format!("{event_type}@{at_ms};")
}

/// The events of a message's `unrouted_events`, oldest first; a malformed entry is skipped.
pub(super) fn unrouted_events(text: &str) -> Vec<(String, i64)> {
    text.split(';')
        .filter_map(|entry| {
            let (event_type, at) = entry.split_once('@')?;
            Some((event_type.to_string(), at.parse().ok()?))
        })
        .collect()
}

pub(super) async fn emit_outcomes(
    pool: &SqlitePool,
    events: &[(i64, NewEvent, Vec<Uuid>)],
    set_aside: &[i64],
    now: i64,
) -> StoreResult<()> {
    if events.is_empty() && set_aside.is_empty() {
        return Ok(());
    }
    let items: Vec<(&NewEvent, &[Uuid])> = events
        .iter()
        .filter(|(_, _, webhook_ids)| !webhook_ids.is_empty())
        .map(|(_, event, webhook_ids)| (event, webhook_ids.as_slice()))
        .collect();
    // An event no webhook receives joins its message's timeline, all of a message's in one row.
    let mut by_message: std::collections::HashMap<&str, String> = Default::default();
    for (_, event, _) in events.iter().filter(|(_, _, ids)| ids.is_empty()) {
        by_message
            .entry(&event.message_execution_id)
            .or_default()
            .push_str(&unrouted_entry(&event.event_type, now));
    }
    let unrouted: Vec<(&str, String)> = by_message.into_iter().collect();
    let ids: Vec<i64> = events
        .iter()
        .map(|(id, _, _)| *id)
        .chain(set_aside.iter().copied())
        .collect();
    let mut statements = super::outbox::Statements::default();
    super::outbox::push_events(&mut statements, &items, now, false);
    super::outbox::push_rows(
        &mut statements,
        &unrouted,
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
    statements.bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()));
    statements.run_in_transaction(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrouted_events_read_back_in_order() {
        let text = [
            ("sent", 1_732_800_000_000),
            ("delivered", 1_732_800_000_500),
        ]
        .map(|(event, at)| unrouted_entry(event, at))
        .concat();
        assert_eq!(text, "sent@1732800000000;delivered@1732800000500;");
        assert_eq!(
            unrouted_events(&text),
            [
                ("sent".to_string(), 1_732_800_000_000),
                ("delivered".to_string(), 1_732_800_000_500)
            ]
        );
        assert!(unrouted_events("").is_empty());
        assert_eq!(
            unrouted_events("sent@x;bounce@7;"),
            [("bounce".to_string(), 7)]
        );
    }

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
            unrouted_events(&unrouted),
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
