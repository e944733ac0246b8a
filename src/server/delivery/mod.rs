//! Getting feedback events to customer endpoints.

pub mod signing;
