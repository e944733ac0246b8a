//! The integration tests, one binary: real servers on loopback over a temporary database, real
//! HTTP receivers, and the server binary itself where a test kills and restarts it.
#![cfg(feature = "ssr")]

mod api_contract;
mod audit;
mod crash_recovery;
mod delivery;
mod delivery_client;
mod executions;
mod history;
mod hostile_input;
mod instances;
mod language;
mod operations;
mod outbox;
mod rest;
mod roles;
mod secrets_at_rest;
mod security_headers;
mod support;
mod tenancy;
mod users;
mod webhooks;
