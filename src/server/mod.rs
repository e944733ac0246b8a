//! Everything that runs only on the server.

pub mod auth;
pub mod config;
pub mod crypto;
pub mod delivery;
pub mod http;
pub mod state;
pub mod storage;
pub mod webhooks;
