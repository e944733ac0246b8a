//! Getting feedback events to customer endpoints.

pub mod client;
pub mod outcome;
mod recorder;
pub mod retry;
pub mod signing;
pub mod worker;
