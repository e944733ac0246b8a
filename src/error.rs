//! The one error type of server functions: what went wrong, in words a person can act on
//! (a [`Message`] where the refusal has its own, written in the reader's language).

use crate::model::message::{Message, Thing};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("That email and password do not match an account.")]
    InvalidCredentials,
    #[error("{0}")]
    TooManyAttempts(Message),
    #[error("Your role does not allow this.")]
    Forbidden,
    #[error("This account is disabled. Ask an administrator of your organization.")]
    AccountDisabled,
    #[error("{0}")]
    NotFound(Message),
    #[error("{0}")]
    BadRequest(Message),
    #[error("Something went wrong on our side; it has been logged.")]
    Internal,
    /// The database is away or its disk full: nothing was stored; trying later may work.
    #[error("{0}")]
    Unavailable(Message),
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// A request for a `thing` that is not there (or not the caller's to see).
    pub fn no_such(thing: Thing) -> AppError {
        AppError::NotFound(Message::NoSuch { thing })
    }

    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::TooManyAttempts(_) => 429,
            AppError::Forbidden | AppError::AccountDisabled => 403,
            AppError::NotFound(_) => 404,
            AppError::BadRequest(_) => 400,
            AppError::Unavailable(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                AppError::BadRequest(Message::RequestUnreadable { detail: message })
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
