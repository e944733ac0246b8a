//! Growing pauses between tries of something that keeps failing (a database away, a full disk,
//! a task that keeps stopping): the first pause is short, each next one twice as long, up to a
//! ceiling; a success starts again from the shortest.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Backoff {
    first: Duration,
    ceiling: Duration,
    /// Failures since the last success.
    failures: u32,
}

impl Backoff {
    /// The pauses of a loop whose database could not be read or written (away, its disk
    /// full): growing, so a long outage costs a log line every few seconds, not ten a second.
    pub const AFTER_DATABASE_ERROR: Backoff =
        Backoff::new(Duration::from_millis(100), Duration::from_secs(5));

    pub const fn new(first: Duration, ceiling: Duration) -> Backoff {
        Backoff {
            first,
            ceiling,
            failures: 0,
        }
    }

    /// The pause after one more failure.
    pub fn failed(&mut self) -> Duration {
        let pause = self
            .first
            .saturating_mul(2u32.saturating_pow(self.failures.min(30)))
            .min(self.ceiling);
        self.failures = self.failures.saturating_add(1);
        pause
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_ceiling_and_a_success_starts_again() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let pauses: Vec<u128> = (0..6).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.failures(), 6);
        backoff.succeeded();
        assert_eq!(backoff.failures(), 0);
        assert_eq!(backoff.failed(), Duration::from_millis(100));
    }

    #[test]
    fn endless_failures_stay_at_the_ceiling() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        for _ in 0..1_000 {
            backoff.failed();
        }
        assert_eq!(backoff.failed(), Duration::from_secs(5));
    }
}
