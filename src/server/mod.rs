//! Everything that runs only on the server.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod backoff;
pub mod campaigns;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod delivery;
pub mod executions;
pub mod group_commit;
pub mod headers;
pub mod health;
pub mod history;
pub mod keys;
pub mod language;
pub mod metrics;
pub mod peer;
pub mod provider;
pub mod public_api;
pub mod sandboxes;
pub mod state;
pub mod storage;
pub mod supervisor;
pub mod users;
pub mod webhooks;
