//! Types shared by the server and the browser: no sqlx, no tokio, no I/O.

pub mod api_reference;
pub mod audit;
pub mod campaign;
pub mod capacity;
pub mod credential;
pub mod delivery;
pub mod execution;
pub mod feedback;
pub mod history;
pub mod message;
pub mod network;
pub mod routes;
pub mod sandbox;
pub mod user;
pub mod validation;
pub mod webhook;

pub use delivery::{explain_outcome, TestEventResult};
pub use user::{
    email_problem, email_problem_or_password, password_problem, sign_in_problem, Role,
    ThrottledKey, UserView, SIGN_IN_BUSY,
};
pub use webhook::*;
