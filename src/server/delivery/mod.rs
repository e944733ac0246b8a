//! Getting feedback events to customer endpoints.

pub mod retry;
pub mod signing;
