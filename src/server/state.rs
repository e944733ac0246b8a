//! What every handler and server function reaches: configuration, storage, keys.

use crate::server::config::Config;
use crate::server::crypto::SecretBox;
use crate::server::delivery::worker::DeliveryEngine;
use crate::server::group_commit::GroupCommit;
use crate::server::provider::{ChannelProvider, OutcomeDispatcher};
use crate::server::storage::{ExecutionStored, NewExecution, SandboxRef, Store};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::{Arc, Mutex};

/// Cloned for every request (axum hands each handler its own), so it is one shared pointer.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// Leptos's handlers read their options from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

pub struct SharedState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub secrets: SecretBox,
    /// The sandbox people work in until sandbox switching exists.
    pub default_sandbox: Arc<SandboxRef>,
    /// The one-time token of the first-run setup link, while no user exists.
    pub setup_token: Arc<Mutex<Option<String>>>,
    pub delivery: DeliveryEngine,
    /// Decides what each executed message reports.
    pub provider: Arc<dyn ChannelProvider>,
    /// Turns due provider outcomes into feedback events.
    pub outcomes: Arc<OutcomeDispatcher>,
    /// Accepted executions, written by group commit.
    pub executions: GroupCommit<NewExecution, ExecutionStored>,
    /// The tasks this instance runs beside its requests, for readiness.
    pub background: Arc<BackgroundTasks>,
}

/// Whether the tasks that deliver, dispatch and listen are still running.
#[derive(Debug, Default)]
pub struct BackgroundTasks {
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl BackgroundTasks {
    pub fn watch(&self, tasks: impl IntoIterator<Item = tokio::task::AbortHandle>) {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(tasks);
    }

    /// How many of them have stopped (each runs for the life of the server).
    pub fn stopped(&self) -> usize {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|task| task.is_finished())
            .count()
    }
}

impl AppState {
    /// The state of the current request, inside a server function or a page render.
    pub fn current() -> Result<AppState, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            crate::error::AppError::Internal
        })
    }

    /// Compares in constant time so the token cannot be guessed byte by byte.
    pub fn setup_token_matches(&self, candidate: &str) -> bool {
        let guard = self.setup_token.lock().expect("setup token lock");
        let Some(token) = guard.as_deref() else {
            return false;
        };
        crate::server::crypto::same_secret(token.as_bytes(), candidate.as_bytes())
    }
}
