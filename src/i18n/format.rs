//! Dates, times and numbers written the way each language writes them, always in UTC.
//!
//! Written out here rather than through ICU: the two languages need twelve month names and a
//! decimal separator each, where ICU's formatters bring their locale data into the browser's
//! bundle.

use super::Locale;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// A date and a time of day, both already in their language's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateAndTime {
    /// `Dec 1, 2026` or `1 déc. 2026`.
    pub date: String,
    /// `2:05 PM UTC` or `14:05 UTC`.
    pub time: String,
}

impl DateAndTime {
    /// `Dec 1, 2026, 2:05 PM UTC` or `1 déc. 2026, 14:05 UTC`.
    pub fn joined(&self) -> String {
        format!("{}, {}", self.date, self.time)
    }
}

/// An RFC 3339 UTC time (`2026-12-01T14:05:09Z`) in `locale`'s words; `None` when it is not one.
pub fn date_and_time(rfc3339: &str, locale: Locale) -> Option<DateAndTime> {
    let number = |range: std::ops::Range<usize>| rfc3339.get(range)?.parse::<u32>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute) = (number(11..13)?, number(14..16)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let month_index = month as usize - 1;
    Some(match locale {
        Locale::en => {
            let (hour12, half) = match hour {
                0 => (12, "AM"),
                1..=11 => (hour, "AM"),
                12 => (12, "PM"),
                _ => (hour - 12, "PM"),
            };
            DateAndTime {
                date: format!("{} {day}, {year}", MONTHS_EN[month_index]),
                time: format!("{hour12}:{minute:02} {half} UTC"),
            }
        }
        Locale::fr => DateAndTime {
            date: format!("{day} {} {year}", MONTHS_FR[month_index]),
            time: format!("{hour:02}:{minute:02} UTC"),
        },
    })
}

/// `value` with `decimals` digits after the separator: `99.2` or `99,2`.
pub fn decimal(value: f64, decimals: usize, locale: Locale) -> String {
    let written = format!("{value:.decimals$}");
    match locale {
        Locale::en => written,
        Locale::fr => written.replace('.', ","),
    }
}

/// A whole number with its thousands grouped: `12,345` or `12 345` (a narrow no-break space,
/// as French typography wants).
pub fn integer(value: i64, locale: Locale) -> String {
    let digits = value.unsigned_abs().to_string();
    let separator = match locale {
        Locale::en => ",",
        Locale::fr => "\u{202f}",
    };
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 1);
    if value < 0 {
        grouped.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push_str(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// A percentage: `99.2 %` in English as in French, with the language's decimal separator and a
/// no-break space before the sign; whole when it rounds to 0 or 100.
pub fn percent(rate: f64, locale: Locale) -> String {
    let decimals = if rate >= 99.95 || rate == 0.0 { 0 } else { 1 };
    format!("{}\u{a0}%", decimal(rate, decimals, locale))
}

/// A count read up to a cap: `10,000+` (or `10 000+`) means "at least".
pub fn count(value: u64, capped: bool, locale: Locale) -> String {
    let plus = if capped { "+" } else { "" };
    format!("{}{plus}", integer(value as i64, locale))
}

/// A wait in its two largest units: `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h` (`2 j 4 h` in
/// French).
pub fn wait(secs: u64, locale: Locale) -> String {
    let day = match locale {
        Locale::en => "d",
        Locale::fr => "j",
    };
    match secs {
        0..60 => format!("{secs}\u{a0}s"),
        60..3_600 => format!("{}\u{a0}min", secs / 60),
        3_600..86_400 => match (secs % 3_600) / 60 {
            0 => format!("{}\u{a0}h", secs / 3_600),
            minutes => format!("{}\u{a0}h {minutes}\u{a0}min", secs / 3_600),
        },
        _ => match (secs % 86_400) / 3_600 {
            0 => format!("{}\u{a0}{day}", secs / 86_400),
            hours => format!("{}\u{a0}{day} {hours}\u{a0}h", secs / 86_400),
        },
    }
}

/// Whether `count` takes the singular: one in English; zero or one in French.
pub fn is_one(locale: Locale, count: u64) -> bool {
    match locale {
        Locale::en => count == 1,
        Locale::fr => count <= 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let at = "2026-12-01T14:05:09Z";
        assert_eq!(
            date_and_time(at, Locale::en).unwrap().joined(),
            "Dec 1, 2026, 2:05 PM UTC"
        );
        assert_eq!(
            date_and_time(at, Locale::fr).unwrap().joined(),
            "1 déc. 2026, 14:05 UTC"
        );
    }

    #[test]
    fn midnight_and_noon_are_twelve_in_english() {
        let midnight = date_and_time("2026-08-15T00:07:00Z", Locale::en).unwrap();
        assert_eq!(midnight.time, "12:07 AM UTC");
        assert_eq!(midnight.date, "Aug 15, 2026");
        let noon = date_and_time("2026-08-15T12:30:00.123Z", Locale::en).unwrap();
        assert_eq!(noon.time, "12:30 PM UTC");
        assert_eq!(
            date_and_time("2026-08-15T00:07:00Z", Locale::fr).unwrap(),
            DateAndTime {
                date: "15 août 2026".into(),
                time: "00:07 UTC".into()
            }
        );
    }

    #[test]
    fn what_is_not_a_time_is_not_formatted() {
        assert_eq!(date_and_time("", Locale::en), None);
        assert_eq!(date_and_time("2026-13-01T10:00:00Z", Locale::fr), None);
        assert_eq!(date_and_time("yesterday", Locale::en), None);
        assert_eq!(date_and_time("2026-12-01T24:00:00Z", Locale::en), None);
    }

    #[test]
    fn a_wait_reads_in_its_two_largest_units() {
        let nb = |text: &str| text.replace(' ', "\u{a0}");
        assert_eq!(wait(45, Locale::en), nb("45 s"));
        assert_eq!(wait(12 * 60 + 5, Locale::en), nb("12 min"));
        assert_eq!(
            wait(3 * 3_600 + 20 * 60, Locale::fr),
            "3\u{a0}h 20\u{a0}min"
        );
        assert_eq!(wait(7_200, Locale::en), nb("2 h"));
        assert_eq!(
            wait(2 * 86_400 + 4 * 3_600, Locale::en),
            "2\u{a0}d 4\u{a0}h"
        );
        assert_eq!(
            wait(2 * 86_400 + 4 * 3_600, Locale::fr),
            "2\u{a0}j 4\u{a0}h"
        );
        assert_eq!(count(10_000, true, Locale::en), "10,000+");
        assert_eq!(count(1_234, false, Locale::fr), "1\u{202f}234");
    }

    #[test]
    fn zero_is_singular_in_french_only() {
        assert!(is_one(Locale::en, 1) && is_one(Locale::fr, 1));
        assert!(!is_one(Locale::en, 0) && is_one(Locale::fr, 0));
        assert!(!is_one(Locale::en, 2) && !is_one(Locale::fr, 2));
    }

    #[test]
    fn french_numbers_have_a_decimal_comma_and_spaced_thousands() {
        assert_eq!(decimal(12.345, 2, Locale::en), "12.35");
        assert_eq!(decimal(12.345, 2, Locale::fr), "12,35");
        assert_eq!(percent(99.24, Locale::fr), "99,2\u{a0}%");
        assert_eq!(percent(99.24, Locale::en), "99.2\u{a0}%");
        assert_eq!(percent(99.97, Locale::fr), "100\u{a0}%");
        assert_eq!(percent(0.0, Locale::en), "0\u{a0}%");
        assert_eq!(integer(1_234_567, Locale::en), "1,234,567");
        assert_eq!(integer(1_234_567, Locale::fr), "1\u{202f}234\u{202f}567");
        assert_eq!(integer(-12_000, Locale::en), "-12,000");
        assert_eq!(integer(999, Locale::fr), "999");
        assert_eq!(integer(0, Locale::fr), "0");
    }
}
