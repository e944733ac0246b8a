//! A server call's refusal in the page's language, where a page shows one.

use crate::error::AppError;
use crate::i18n::messages::{error_text, text};
use crate::i18n::{use_locale, Locale};
use crate::model::message::Message;

/// `error` in the language of the page it is shown on (English where no page is at hand).
pub fn problem(error: &AppError) -> String {
    error_text(error, use_locale())
}

/// What a form posted without JavaScript came back with: its first problem, which the server
/// put in the page's `?error=` as a [`Message`], in `locale`; nothing for anything else.
pub fn plain_post_problem(error: Option<String>, locale: Locale) -> Option<String> {
    error
        .and_then(|value| Message::from_query(&value))
        .map(|message| text(&message, locale))
}
