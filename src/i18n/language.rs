//! Which language a page is shown in: the signed-in person's saved choice, else the one this
//! browser chose (a cookie), else the first the browser accepts that we have, else English.

use super::Locale;
use leptos_i18n::Locale as _;

/// The language a page is rendered in, as the server chose it for the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLanguage(pub Locale);

/// The cookie that keeps a browser's choice of language, signed in or not.
pub const LANGUAGE_COOKIE: &str = "fw_lang";

/// An `Accept-Language` header is looked at up to this length, and up to this many of its
/// entries: a browser sends a handful, and no header can make a request do unbounded work.
pub const ACCEPT_LANGUAGE_MAX_BYTES: usize = 1024;
pub const ACCEPT_LANGUAGE_MAX_ENTRIES: usize = 32;

/// The language of a page, in order of who decides it.
pub fn choose(saved: Option<Locale>, cookie: Option<Locale>, accept_language: &str) -> Locale {
    saved
        .or(cookie)
        .or_else(|| from_accept_language(accept_language))
        .unwrap_or(Locale::en)
}

/// A language we have, from a tag such as `fr`, `fr-CA` or `en_GB` (any case).
pub fn parse_tag(tag: &str) -> Option<Locale> {
    let primary = tag
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    Locale::get_all()
        .iter()
        .copied()
        .find(|locale| locale.as_str() == primary)
}

/// The language the browser prefers most among those we have: entries by their `q` weight
/// (1 when absent), the first listed among equals; `q=0` means "not this one".
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let header = match header.char_indices().nth(ACCEPT_LANGUAGE_MAX_BYTES) {
        Some((cut, _)) => &header[..cut],
        None => header,
    };
    let mut best: Option<(u16, Locale)> = None;
    for entry in header.split(',').take(ACCEPT_LANGUAGE_MAX_ENTRIES) {
        let mut parts = entry.split(';');
        let Some(locale) = parts.next().and_then(parse_tag) else {
            continue;
        };
        let weight = parts
            .filter_map(|param| param.trim().strip_prefix("q="))
            .next()
            .map_or(Some(1000), quality)
            .unwrap_or(0);
        if weight > 0 && best.is_none_or(|(top, _)| weight > top) {
            best = Some((weight, locale));
        }
    }
    best.map(|(_, locale)| locale)
}

/// A `q` value in thousandths (`0.8` → 800); `None` when it is not one.
fn quality(value: &str) -> Option<u16> {
    let value: f32 = value.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

/// A language's own name, as the switcher offers it (never translated: a person looks for
/// the name of their language in that language).
pub fn own_name(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "English",
        Locale::fr => "Français",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_choice_comes_before_the_cookie_and_the_cookie_before_the_browser() {
        assert_eq!(choose(Some(Locale::fr), Some(Locale::en), "en"), Locale::fr);
        assert_eq!(choose(None, Some(Locale::fr), "en"), Locale::fr);
        assert_eq!(choose(None, None, "fr-FR,fr;q=0.9"), Locale::fr);
        assert_eq!(choose(None, None, "de-DE,es"), Locale::en);
        assert_eq!(choose(None, None, ""), Locale::en);
    }

    #[test]
    fn the_browser_preference_follows_its_weights() {
        assert_eq!(from_accept_language("en;q=0.5, fr;q=0.8"), Some(Locale::fr));
        assert_eq!(from_accept_language("fr-CA, en;q=0.9"), Some(Locale::fr));
        assert_eq!(
            from_accept_language("de, en-GB;q=0.7, fr;q=0.3"),
            Some(Locale::en)
        );
        // Among equals, the first listed.
        assert_eq!(from_accept_language("en, fr"), Some(Locale::en));
        // q=0 refuses a language; a weight that is no number is no weight.
        assert_eq!(from_accept_language("fr;q=0, en;q=0.1"), Some(Locale::en));
        assert_eq!(from_accept_language("fr;q=high"), None);
        assert_eq!(from_accept_language("*"), None);
    }

    #[test]
    fn tags_are_read_whatever_their_case_and_separator() {
        assert_eq!(parse_tag("FR_be"), Some(Locale::fr));
        assert_eq!(parse_tag(" en-US "), Some(Locale::en));
        assert_eq!(parse_tag("french"), None);
        assert_eq!(parse_tag(""), None);
    }

    #[test]
    fn a_huge_header_is_read_only_up_to_its_bound() {
        let header = format!("{}fr", "x-unknown,".repeat(10_000));
        assert_eq!(from_accept_language(&header), None);
        let header = format!("{}fr", "de,".repeat(ACCEPT_LANGUAGE_MAX_ENTRIES - 1));
        assert_eq!(from_accept_language(&header), Some(Locale::fr));
    }
}
