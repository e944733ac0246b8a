//! What the instances sharing one database tell each other, through `LISTEN/NOTIFY`: the
//! schema's triggers notify when deliveries become due, provider outcomes are stored, or
//! something the execution API keeps in memory changes (`migrations/postgres/0002_instances.sql`;
//! a delivery handed off to the instance that wrote it wakes no other, `0006_handed_off_deliveries.sql`).
//! Each payload starts with the writer's `application_name`, one per instance, so an instance
//! skips what it told itself. When the listening connection is lost, notifications may have
//! been missed: the instance drops its kept answers and looks again at everything.

use super::PostgresStorage;
use crate::server::storage::{Cached, Wakeup};
use sqlx::postgres::{PgListener, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const CHANNELS: [&str; 3] = ["fw_deliveries", "fw_outcomes", "fw_lookups"];

/// How long to wait before listening again after the connection failed.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// What one notification asks of this instance.
#[derive(Debug, PartialEq, Eq)]
enum Told {
    Wake(Wakeup),
    DropKeptAnswers,
}

/// Reads a notification; `None` for one this instance sent itself or cannot read.
fn told(channel: &str, payload: &str, me: &str) -> Option<Told> {
    let (sender, rest) = payload.split_once(' ').unwrap_or((payload, ""));
    if sender == me {
        return None;
    }
    match channel {
        "fw_deliveries" => Some(Told::Wake(Wakeup::Deliveries)),
        "fw_lookups" => Some(Told::DropKeptAnswers),
        "fw_outcomes" => rest
            .parse()
            .ok()
            .map(|due| Told::Wake(Wakeup::OutcomeDue(due))),
        _ => None,
    }
}

/// Listens until `wakeups` is closed (the server stopped), reconnecting whenever the
/// connection is lost.
pub(super) async fn listen(
    pool: PgPool,
    me: String,
    store: Arc<Cached<PostgresStorage>>,
    wakeups: mpsc::Sender<Wakeup>,
) {
    loop {
        tokio::select! {
            _ = wakeups.closed() => return,
            Err(error) = listen_once(&pool, &me, &store, &wakeups) => {
                tracing::warn!(%error, "not listening to the other instances; trying again");
            }
        }
        tokio::select! {
            _ = wakeups.closed() => return,
            _ = tokio::time::sleep(RETRY_AFTER) => {}
        }
    }
}

/// One listening connection, until it fails.
async fn listen_once(
    pool: &PgPool,
    me: &str,
    store: &Cached<PostgresStorage>,
    wakeups: &mpsc::Sender<Wakeup>,
) -> Result<std::convert::Infallible, sqlx::Error> {
    let missed = || {
        store.changed_elsewhere();
        let _ = wakeups.try_send(Wakeup::Everything);
    };
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all(CHANNELS).await?;
    // Whatever was told while no one listened is looked at now.
    missed();
    loop {
        match listener.try_recv().await? {
            Some(notification) => match told(notification.channel(), notification.payload(), me) {
                // A full queue already holds a wake-up, so the work will be looked at.
                Some(Told::Wake(wakeup)) => {
                    let _ = wakeups.try_send(wakeup);
                }
                Some(Told::DropKeptAnswers) => store.changed_elsewhere(),
                None => {}
            },
            // Lost and connected again: what was told in between is missed.
            None => missed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_instance_told_itself_is_skipped() {
        assert_eq!(told("fw_deliveries", "fw-a", "fw-a"), None);
        assert_eq!(told("fw_outcomes", "fw-a 1700", "fw-a"), None);
        assert_eq!(told("fw_lookups", "fw-a", "fw-a"), None);
    }

    #[test]
    fn another_instance_wakes_the_workers_and_drops_kept_answers() {
        assert_eq!(
            told("fw_deliveries", "fw-b", "fw-a"),
            Some(Told::Wake(Wakeup::Deliveries))
        );
        assert_eq!(
            told("fw_outcomes", "fw-b 1700000000123", "fw-a"),
            Some(Told::Wake(Wakeup::OutcomeDue(1_700_000_000_123)))
        );
        assert_eq!(
            told("fw_lookups", "fw-b", "fw-a"),
            Some(Told::DropKeptAnswers)
        );
        // Unreadable or unknown: nothing to do (the poll finds the work anyway).
        assert_eq!(told("fw_outcomes", "fw-b soon", "fw-a"), None);
        assert_eq!(told("elsewhere", "fw-b", "fw-a"), None);
    }
}
