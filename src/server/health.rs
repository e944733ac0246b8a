//! Whether this instance can do its work: for load balancers and service managers.

use crate::server::state::AppState;
use std::time::Duration;

/// A database that takes longer than this to answer counts as away.
const DATABASE_WAIT: Duration = Duration::from_secs(2);

/// What keeps the instance from being ready, if anything: the database not answering (the
/// schema is migrated before the server starts listening, so an answer means it is current),
/// or a background task (claims, recorder, outcome dispatch, maintenance, wake-ups) down.
pub async fn unready_because(state: &AppState) -> Vec<String> {
    let mut problems = Vec::new();
    match tokio::time::timeout(DATABASE_WAIT, state.store.next_due_ms()).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database did not answer");
            problems.push("database unavailable".to_string());
        }
        Err(_) => problems.push("database too slow to answer".to_string()),
    }
    for task in state.background.down() {
        problems.push(format!("background task down: {task}"));
    }
    problems
}
