//! Getting feedback events to customer endpoints.

pub mod client;
pub mod outcome;
pub mod retry;
pub mod signing;
pub mod worker;
