//! When to try a failed delivery again: the schedule is configuration data, the arithmetic is pure.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// Delays before each retry: the first entry follows the first failed attempt. A delivery gets
/// `1 + steps.len()` attempts in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    steps: Vec<Duration>,
}

/// The share of a step that jitter may add or remove (±20 %), so retries of many deliveries that
/// failed together do not arrive together.
pub const JITTER: f64 = 0.2;

impl RetrySchedule {
    pub fn new(steps: Vec<Duration>) -> Self {
        RetrySchedule { steps }
    }

    pub fn steps(&self) -> &[Duration] {
        &self.steps
    }

    pub fn max_attempts(&self) -> u32 {
        self.steps.len() as u32 + 1
    }

    /// The wait before the next attempt after `attempts_made` attempts failed, or `None` when the
    /// schedule is exhausted. `jitter` is drawn uniformly from [-1, 1] by the caller. A
    /// `Retry-After` from the endpoint is honoured, clamped to [step, 2 × step].
    pub fn next_delay(
        &self,
        attempts_made: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        let step = *self.steps.get(attempts_made.checked_sub(1)? as usize)?;
        Some(match retry_after {
            Some(asked) => asked.clamp(step, step * 2),
            None => step.mul_f64(1.0 + JITTER * jitter.clamp(-1.0, 1.0)),
        })
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        "5s,5m,30m,2h,5h,10h,10h"
            .parse()
            .expect("the default schedule parses")
    }
}

impl FromStr for RetrySchedule {
    type Err = String;

    /// `5s,5m,30m,2h,5h,10h,10h`; units `ms`, `s`, `m`, `h`, `d`.
    fn from_str(text: &str) -> Result<Self, String> {
        let steps = text
            .split(',')
            .map(str::trim)
            .filter(|step| !step.is_empty())
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RetrySchedule { steps })
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .steps
            .iter()
            .map(|d| format!("{}ms", d.as_millis()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 5s, 30m or 2h"))?;
    let millis = match unit {
        "ms" => value,
        "s" => value * 1_000,
        "m" => value * 60_000,
        "h" => value * 3_600_000,
        "d" => value * 86_400_000,
        _ => return Err(format!("`{text}`: use ms, s, m, h or d")),
    };
    Ok(Duration::from_millis(millis))
}

/// `Retry-After` as seconds or an HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_default_schedule_is_the_documented_one() {
        let schedule = RetrySchedule::default();
        assert_eq!(
            schedule.steps(),
            [
                5 * S,
                300 * S,
                1800 * S,
                7200 * S,
                18000 * S,
                36000 * S,
                36000 * S
            ]
        );
        assert_eq!(schedule.max_attempts(), 8);
    }

    #[test]
    fn schedules_parse_units_and_refuse_garbage() {
        let schedule: RetrySchedule = "10ms, 2s,1m,1h,1d".parse().unwrap();
        assert_eq!(
            schedule.steps(),
            [
                Duration::from_millis(10),
                2 * S,
                60 * S,
                3600 * S,
                86400 * S
            ]
        );
        assert!("5x".parse::<RetrySchedule>().is_err());
        assert!("s".parse::<RetrySchedule>().is_err());
        assert_eq!("".parse::<RetrySchedule>().unwrap().max_attempts(), 1);
    }

    #[test]
    fn delays_follow_the_schedule_with_bounded_jitter_and_end() {
        let schedule: RetrySchedule = "10s,100s".parse().unwrap();
        assert_eq!(schedule.next_delay(0, None, 0.0), None);
        assert_eq!(schedule.next_delay(1, None, 0.0), Some(10 * S));
        assert_eq!(schedule.next_delay(1, None, 1.0), Some(12 * S));
        assert_eq!(schedule.next_delay(1, None, -1.0), Some(8 * S));
        assert_eq!(
            schedule.next_delay(1, None, 7.0),
            Some(12 * S),
            "jitter is clamped"
        );
        assert_eq!(schedule.next_delay(2, None, 0.5), Some(110 * S));
        assert_eq!(schedule.next_delay(3, None, 0.0), None, "exhausted");
    }

    #[test]
    fn retry_after_is_honoured_within_one_to_two_steps() {
        let schedule: RetrySchedule = "10s".parse().unwrap();
        assert_eq!(schedule.next_delay(1, Some(15 * S), 1.0), Some(15 * S));
        assert_eq!(schedule.next_delay(1, Some(S), 1.0), Some(10 * S));
        assert_eq!(schedule.next_delay(1, Some(3600 * S), 0.0), Some(20 * S));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("120", now), Some(120 * S));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(60 * S)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:48:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
