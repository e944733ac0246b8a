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
    /// The first-run setup link, while no user exists and until it is used.
    pub setup_link: Arc<Mutex<Option<SetupToken>>>,
    pub delivery: DeliveryEngine,
    /// Decides what each executed message reports.
    pub provider: Arc<dyn ChannelProvider>,
    /// Turns due provider outcomes into feedback events.
    pub outcomes: Arc<OutcomeDispatcher>,
    /// Accepted executions, written by group commit.
    pub executions: GroupCommit<NewExecution, ExecutionStored>,
    /// Bounds how many password hashes run at once.
    pub password_hashing: crate::server::auth::HashingGate,
    /// What `/metrics` shows.
    pub metrics: Arc<crate::server::metrics::Metrics>,
    /// The tasks this instance runs beside its requests, for readiness.
    pub background: Arc<crate::server::supervisor::BackgroundTasks>,
}

impl AppState {
    /// The state of the current request, inside a server function or a page render.
    pub fn current() -> Result<AppState, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            crate::error::AppError::Internal
        })
    }

    /// Whether `candidate` is the setup link's token, and still good.
    pub fn check_setup_link(&self, candidate: &str) -> SetupLinkCheck {
        match &*self.setup_link.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(link) => link.check(candidate, crate::server::storage::now_ms()),
            None => SetupLinkCheck::Invalid,
        }
    }

    /// Takes the setup link if `candidate` is its token and still good: of several callers
    /// with the right token, one gets it.
    pub fn take_setup_link(&self, candidate: &str) -> Option<SetupToken> {
        let mut link = self.setup_link.lock().unwrap_or_else(|e| e.into_inner());
        let now = crate::server::storage::now_ms();
        link.as_ref()
            .is_some_and(|link| link.check(candidate, now) == SetupLinkCheck::Valid)
            .then(|| link.take())
            .flatten()
    }

    /// Puts back a link taken for a setup that could not finish.
    pub fn restore_setup_link(&self, link: SetupToken) {
        *self.setup_link.lock().unwrap_or_else(|e| e.into_inner()) = Some(link);
    }
}

/// The token of the first-run setup link: printed once at start, good until it expires.
#[derive(Clone, Debug)]
pub struct SetupToken {
    pub token: String,
    pub expires_at_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupLinkCheck {
    Valid,
    Expired,
    Invalid,
}

impl SetupToken {
    /// Compares in constant time so the token cannot be guessed byte by byte.
    pub fn check(&self, candidate: &str, now_ms: i64) -> SetupLinkCheck {
        if !crate::server::crypto::same_secret(self.token.as_bytes(), candidate.as_bytes()) {
            SetupLinkCheck::Invalid
        } else if now_ms >= self.expires_at_ms {
            SetupLinkCheck::Expired
        } else {
            SetupLinkCheck::Valid
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_token_is_good_until_it_expires_and_only_for_itself() {
        let link = SetupToken {
            token: "a1b2c3".into(),
            expires_at_ms: 1_000,
        };
        assert_eq!(link.check("a1b2c3", 999), SetupLinkCheck::Valid);
        assert_eq!(link.check("a1b2c3", 1_000), SetupLinkCheck::Expired);
        assert_eq!(link.check("a1b2c4", 999), SetupLinkCheck::Invalid);
        assert_eq!(link.check("", 999), SetupLinkCheck::Invalid);
    }
}
