//! Types shared by the server and the browser: no sqlx, no tokio, no I/O.

pub mod network;
pub mod routes;
pub mod user;
pub mod validation;
pub mod webhook;

pub use user::{email_problem, email_problem_or_password, password_problem, Role, UserView};
pub use webhook::*;
