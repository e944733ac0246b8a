//! The tasks an instance runs beside its requests for as long as it lives (the claim loop, the
//! recorder, the outcome dispatcher, maintenance, wake-ups): each is started again after a
//! growing pause when it panics or ends, and one that stays down makes the instance unready.

use crate::server::backoff::Backoff;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The pause before the first restart; each next one doubles, up to the ceiling.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);
/// A task that ran this long before failing failed once, not again and again: its next
/// restart comes after the shortest pause.
const HEALTHY_RUN: Duration = Duration::from_secs(60);
/// A task not running for longer than this is down (a restart takes less).
const DOWN_AFTER: Duration = Duration::from_secs(1);
/// A task that failed this many times within `HEALTHY_RUN` is down even while it runs: it
/// keeps failing.
const FAILING_AGAIN_AND_AGAIN: usize = 3;

/// The supervised tasks of one instance, and whether each is up.
#[derive(Debug)]
pub struct BackgroundTasks {
    first_pause: Duration,
    tasks: Mutex<Vec<Arc<TaskHealth>>>,
}

impl Default for BackgroundTasks {
    fn default() -> Self {
        BackgroundTasks::with_first_pause(FIRST_PAUSE)
    }
}

#[derive(Debug)]
struct TaskHealth {
    name: &'static str,
    state: Mutex<TaskState>,
}

#[derive(Debug, Default)]
struct TaskState {
    /// Since when it has not been running, if it is not.
    down_since: Option<Instant>,
    /// When it failed, within the last `HEALTHY_RUN`.
    failures: VecDeque<Instant>,
}

impl TaskHealth {
    fn state(&self) -> std::sync::MutexGuard<'_, TaskState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Aborts the task it holds when dropped: aborting a supervisor aborts what it supervises.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl BackgroundTasks {
    pub fn with_first_pause(first_pause: Duration) -> BackgroundTasks {
        BackgroundTasks {
            first_pause,
            tasks: Mutex::default(),
        }
    }

    /// Runs `make()`'s task for as long as the returned handle is not aborted: if it panics
    /// or ends, it is logged and started again after a pause that grows while it keeps
    /// failing. Call within the Tokio runtime.
    pub fn supervise<F, Fut>(&self, name: &'static str, make: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let health = Arc::new(TaskHealth {
            name,
            state: Mutex::default(),
        });
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(health.clone());
        let mut backoff = Backoff::new(self.first_pause, LONGEST_PAUSE);
        tokio::spawn(async move {
            loop {
                health.state().down_since = None;
                let started = Instant::now();
                let mut running = AbortOnDrop(tokio::spawn(make()));
                let ended = (&mut running.0).await;
                let now = Instant::now();
                {
                    let mut state = health.state();
                    state.down_since = Some(now);
                    state.failures.push_back(now);
                    while state
                        .failures
                        .front()
                        .is_some_and(|at| now.duration_since(*at) > HEALTHY_RUN)
                    {
                        state.failures.pop_front();
                    }
                }
                if started.elapsed() >= HEALTHY_RUN {
                    backoff.succeeded();
                }
                let pause = backoff.failed();
                match ended {
                    Err(error) if error.is_panic() => tracing::error!(
                        task = name,
                        restart_in_ms = pause.as_millis() as u64,
                        "a background task panicked; restarting it"
                    ),
                    _ => tracing::error!(
                        task = name,
                        restart_in_ms = pause.as_millis() as u64,
                        "a background task ended; restarting it"
                    ),
                }
                tokio::time::sleep(pause).await;
            }
        })
    }

    /// The tasks that are down: not running for longer than a restart takes, or failing
    /// again and again.
    pub fn down(&self) -> Vec<&'static str> {
        let now = Instant::now();
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|task| {
                let state = task.state();
                let stopped = state
                    .down_since
                    .is_some_and(|since| now.duration_since(since) > DOWN_AFTER);
                let recent = state
                    .failures
                    .iter()
                    .filter(|at| now.duration_since(**at) <= HEALTHY_RUN)
                    .count();
                stopped || recent >= FAILING_AGAIN_AND_AGAIN
            })
            .map(|task| task.name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_task_that_panics_is_started_again() {
        let tasks = BackgroundTasks::with_first_pause(Duration::from_millis(1));
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let supervisor = tasks.supervise("flaky", move || {
            let runs = counted.clone();
            async move {
                if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("injected fault");
                }
                std::future::pending::<()>().await
            }
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while runs.load(Ordering::SeqCst) < 2 {
            assert!(Instant::now() < deadline, "never started again");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // One failure, then running: up.
        assert!(tasks.down().is_empty(), "{:?}", tasks.down());
        supervisor.abort();
    }

    #[tokio::test]
    async fn a_task_that_keeps_failing_is_down_and_its_pauses_grow() {
        let tasks = BackgroundTasks::with_first_pause(Duration::from_millis(20));
        let starts = Arc::new(Mutex::new(Vec::new()));
        let recorded = starts.clone();
        let supervisor = tasks.supervise("failing", move || {
            recorded.lock().unwrap().push(Instant::now());
            async {}
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while starts.lock().unwrap().len() < 4 {
            assert!(Instant::now() < deadline, "not restarted");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(tasks.down(), ["failing"]);
        let starts = starts.lock().unwrap().clone();
        let gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        // 20, 40, 80 ms: each pause at least its planned length, and growing.
        for (gap, planned) in gaps.iter().zip([20, 40, 80]) {
            assert!(*gap >= Duration::from_millis(planned), "{gaps:?}");
        }
        assert!(gaps[2] > gaps[0], "{gaps:?}");
        supervisor.abort();
    }

    #[tokio::test]
    async fn aborting_the_supervisor_stops_the_task() {
        let tasks = BackgroundTasks::default();
        let alive = Arc::new(());
        let held = alive.clone();
        let supervisor = tasks.supervise("long", move || {
            let held = held.clone();
            async move {
                let _held = held;
                std::future::pending::<()>().await
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(Arc::strong_count(&alive), 3, "the task holds its copy");
        supervisor.abort();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&alive) > 1 {
            assert!(
                Instant::now() < deadline,
                "the task outlived its supervisor"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
