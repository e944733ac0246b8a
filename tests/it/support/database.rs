//! The database a test runs on: a temporary SQLite file by default or, when `TEST_DATABASE_URL`
//! names a PostgreSQL server, a fresh database of its own there. Those are named with the run's
//! prefix (`TEST_DATABASE_PREFIX`, default `fw_it_`), so that the test command drops them all
//! once the run ends, after a failure too.

use sqlx::Connection;
use std::path::Path;

/// The same URL for the same folder: a test that restarts its server finds its data again.
pub fn database_url(dir: &Path) -> String {
    let remembered = dir.join("database-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return url;
    }
    let url = match server_url() {
        Some(server) => fresh_postgres_database(&server),
        None => format!("sqlite://{}/test.db", dir.display()),
    };
    std::fs::write(&remembered, &url).expect("the test folder is writable");
    url
}

/// The PostgreSQL server the suite runs against, if any.
fn server_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
}

pub fn is_postgres() -> bool {
    server_url().is_some()
}

/// A PostgreSQL instance keeps no key file beside its database: every server of a test gets
/// this one (32 bytes, base64).
pub const ENCRYPTION_KEY: &str = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=";

fn fresh_postgres_database(server: &str) -> String {
    let prefix = std::env::var("TEST_DATABASE_PREFIX").unwrap_or_else(|_| "fw_it_".into());
    let name = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
    let (admin, create) = (server.to_string(), format!("CREATE DATABASE \"{name}\""));
    // On a thread of its own: the callers are inside a runtime already.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(async {
                let mut connection = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("TEST_DATABASE_URL answers");
                sqlx::query(&create)
                    .execute(&mut connection)
                    .await
                    .expect("the test database is created");
            })
    })
    .join()
    .expect("the database set-up thread");
    let mut url = url::Url::parse(server).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// A count no store read shows (rows kept that nothing lists), by the same SQL on either
/// backend.
pub async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .fetch_one(&mut connection)
            .await
            .unwrap()
    } else {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .fetch_one(&mut connection)
            .await
            .unwrap()
    }
}

/// Everything the database holds of webhooks, as bytes to search: the SQLite file and its WAL,
/// or every PostgreSQL row of the webhook tables as text (bytea as hex).
pub async fn stored_webhook_bytes(url: &str) -> Vec<Vec<u8>> {
    if url.starts_with("postgres") {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT t::text FROM feedback_webhooks t UNION ALL SELECT h::text FROM webhook_headers h",
        )
        .fetch_all(&mut connection)
        .await
        .unwrap();
        assert!(!rows.is_empty(), "the webhook is stored");
        rows.into_iter().map(String::into_bytes).collect()
    } else {
        let file = url.trim_start_matches("sqlite://");
        let raw = std::fs::read(file).unwrap();
        let wal = std::fs::read(format!("{file}-wal")).unwrap_or_default();
        vec![raw, wal]
    }
}

/// Runs one statement as someone with write access to the database would, by the same SQL on
/// either backend.
pub async fn execute(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    } else {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    }
}

/// How many stored sessions hold `text` in clear.
pub async fn sessions_holding(url: &str, text: &str) -> i64 {
    let sql = if url.starts_with("postgres") {
        format!(
            "SELECT count(*) FROM sessions WHERE position(convert_to('{text}', 'UTF8') in data) > 0"
        )
    } else {
        format!("SELECT count(*) FROM sessions WHERE instr(data, CAST('{text}' AS BLOB)) > 0")
    };
    count(url, &sql).await
}
