//! The engine's third stage: finished attempts written in batches (group commit). A batch that
//! fails is written again after a growing pause, and at the third failure record by record, so
//! one record the database refuses does not hold back the others. A record still unwritten
//! when its claim's lease ends is let go: the delivery is claimed and sent again (at least
//! once), and what the recorder holds stays bounded by what one lease can finish.

use crate::server::backoff::Backoff;
use crate::server::storage::{now_ms, AttemptRecord, StoreResult};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most attempts written by one transaction.
pub(super) const COMMIT_BATCH: usize = 512;
/// Failures of a whole batch before it is written record by record.
const ONE_BY_ONE_AFTER: u32 = 3;
/// The longest pause between two tries.
const LONGEST_PAUSE: Duration = Duration::from_secs(5);
/// How long the first finished attempt waits for others to share its transaction. A record
/// answers no one, and at everyday rates attempts finish a few milliseconds apart: written one
/// by one, each cost a transaction and its thread hand-offs.
const LINGER: Duration = Duration::from_millis(20);

/// What the sending tasks hand the recorder.
pub(super) enum Finished {
    Attempt(AttemptRecord),
    /// Answered once everything handed before it is written or let go.
    Flush(oneshot::Sender<()>),
}

/// Writes one batch of attempts in one transaction.
#[async_trait::async_trait]
pub(super) trait AttemptWriter: Send + Sync {
    async fn write(&self, batch: &[AttemptRecord]) -> StoreResult<()>;
}

/// Records what arrives until every sender is gone. `first_pause` is the pause after the
/// first failure.
pub(super) async fn record(
    finished: &mut mpsc::UnboundedReceiver<Finished>,
    writer: &dyn AttemptWriter,
    first_pause: Duration,
) {
    let mut held: Vec<AttemptRecord> = Vec::with_capacity(COMMIT_BATCH);
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let mut incoming = Vec::with_capacity(COMMIT_BATCH);
    let mut backoff = Backoff::new(first_pause, LONGEST_PAUSE);
    loop {
        if held.is_empty() {
            for flush in flushes.drain(..) {
                let _ = flush.send(());
            }
            if finished.recv_many(&mut incoming, COMMIT_BATCH).await == 0 {
                return;
            }
            linger(finished, &mut incoming).await;
        } else {
            // Retrying: whatever finished meanwhile joins without waiting.
            while incoming.len() < COMMIT_BATCH {
                match finished.try_recv() {
                    Ok(message) => incoming.push(message),
                    Err(_) => break,
                }
            }
        }
        for message in incoming.drain(..) {
            match message {
                Finished::Attempt(record) => held.push(record),
                Finished::Flush(reply) => flushes.push(reply),
            }
        }
        if !held.is_empty() {
            write_some(&mut held, writer, &mut backoff).await;
        }
    }
}

/// Gathers what else finishes within `LINGER` of the first, unless a batch is full or a flush
/// waits.
async fn linger(finished: &mut mpsc::UnboundedReceiver<Finished>, incoming: &mut Vec<Finished>) {
    let deadline = tokio::time::Instant::now() + LINGER;
    let flush_waits =
        |incoming: &[Finished]| incoming.iter().any(|m| matches!(m, Finished::Flush(_)));
    while incoming.len() < COMMIT_BATCH && !flush_waits(incoming) {
        let room = COMMIT_BATCH - incoming.len();
        match tokio::time::timeout_at(deadline, finished.recv_many(incoming, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Writes the first batch of `held`, or keeps it for the next try after a pause.
async fn write_some(
    held: &mut Vec<AttemptRecord>,
    writer: &dyn AttemptWriter,
    backoff: &mut Backoff,
) {
    let count = held.len().min(COMMIT_BATCH);
    let error = match writer.write(&held[..count]).await {
        Ok(()) => {
            held.drain(..count);
            backoff.succeeded();
            return;
        }
        Err(error) => error,
    };
    if backoff.failures() + 1 == ONE_BY_ONE_AFTER && count > 1 {
        tracing::warn!(%error, attempts = count, "recording attempts keeps failing; recording them one by one");
        let mut kept = Vec::new();
        for record in held.drain(..count) {
            if writer.write(std::slice::from_ref(&record)).await.is_err() {
                kept.push(record);
            }
        }
        let progressed = kept.len() < count;
        held.splice(0..0, kept);
        if progressed {
            backoff.succeeded();
            return;
        }
    }
    let now = now_ms();
    let before = held.len();
    held.retain(|record| record.claim > now);
    if held.len() < before {
        tracing::error!(
            attempts = before - held.len(),
            "attempts could not be recorded before their leases ended; their deliveries will be sent again"
        );
    }
    let pause = backoff.failed();
    tracing::error!(%error, attempts = count, retry_in_ms = pause.as_millis() as u64, "recording attempts failed");
    tokio::time::sleep(pause).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::{NextStep, StoreError};
    use std::sync::Mutex;
    use uuid::Uuid;

    /// Whether the database refuses the write with this number (from 1) of this batch.
    type Refusal = Box<dyn Fn(usize, &[AttemptRecord]) -> bool + Send + Sync>;

    /// A database that refuses the writes `refuse` condemns, and keeps the rest.
    struct Scripted {
        refuse: Refusal,
        calls: Mutex<Vec<usize>>,
        stored: Mutex<Vec<Uuid>>,
    }

    impl Scripted {
        fn new(refuse: impl Fn(usize, &[AttemptRecord]) -> bool + Send + Sync + 'static) -> Self {
            Scripted {
                refuse: Box::new(refuse),
                calls: Mutex::default(),
                stored: Mutex::default(),
            }
        }
    }

    #[async_trait::async_trait]
    impl AttemptWriter for Scripted {
        async fn write(&self, batch: &[AttemptRecord]) -> StoreResult<()> {
            let call = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(batch.len());
                calls.len()
            };
            if (self.refuse)(call, batch) {
                return Err(StoreError::Batch("injected failure".into()));
            }
            let mut stored = self.stored.lock().unwrap();
            stored.extend(batch.iter().map(|record| record.delivery_id));
            Ok(())
        }
    }

    fn attempt(claim: i64) -> AttemptRecord {
        AttemptRecord {
            delivery_id: Uuid::new_v4(),
            webhook_id: Uuid::new_v4(),
            claim,
            attempt: 1,
            started_at_ms: 0,
            duration_ms: 1,
            status: Some(200),
            error_code: None,
            request_headers: Vec::new(),
            response_headers: Vec::new(),
            body_excerpt: String::new(),
            next: NextStep::Succeeded,
        }
    }

    /// Hands `records` to a recorder over `writer` and waits until it has written or let go
    /// of all of them.
    async fn record_all(writer: &Scripted, records: Vec<AttemptRecord>) {
        let (sender, mut receiver) = mpsc::unbounded_channel();
        for record in records {
            sender.send(Finished::Attempt(record)).unwrap();
        }
        let (flushed, done) = oneshot::channel();
        sender.send(Finished::Flush(flushed)).unwrap();
        let recording = record(&mut receiver, writer, Duration::from_millis(1));
        tokio::select! {
            _ = recording => panic!("the recorder stopped while its senders live"),
            answer = tokio::time::timeout(Duration::from_secs(10), done) => {
                answer.expect("flushed in time").unwrap()
            }
        }
    }

    #[tokio::test]
    async fn attempts_finishing_moments_apart_share_one_write() {
        let writer = Scripted::new(|_, _| false);
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let feeding = async {
            for _ in 0..3 {
                sender.send(Finished::Attempt(attempt(i64::MAX))).unwrap();
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            let (flushed, done) = oneshot::channel();
            sender.send(Finished::Flush(flushed)).unwrap();
            done.await.unwrap();
        };
        tokio::select! {
            _ = record(&mut receiver, &writer, Duration::from_millis(1)) => panic!("stopped"),
            _ = feeding => {}
        }
        let calls = writer.calls.lock().unwrap().clone();
        // Three apart by 3 ms within the 20 ms a first one waits: one write (two, should
        // the machine be slow enough to stretch a 3 ms pause past it).
        assert!(
            calls.len() <= 2 && calls.iter().sum::<usize>() == 3,
            "{calls:?}"
        );
    }

    #[tokio::test]
    async fn a_failed_batch_is_written_again_after_a_pause() {
        let writer = Scripted::new(|call, _| call <= 2);
        let records: Vec<_> = (0..3).map(|_| attempt(i64::MAX)).collect();
        let ids: Vec<Uuid> = records.iter().map(|r| r.delivery_id).collect();
        record_all(&writer, records).await;
        assert_eq!(*writer.calls.lock().unwrap(), [3, 3, 3]);
        assert_eq!(*writer.stored.lock().unwrap(), ids, "each written once");
    }

    #[tokio::test]
    async fn a_record_the_database_refuses_is_let_go_at_its_lease_end_and_not_the_others() {
        let poisoned = attempt(now_ms() + 100);
        let bad = poisoned.delivery_id;
        let writer = Scripted::new(move |_, batch| batch.iter().any(|r| r.delivery_id == bad));
        let good: Vec<_> = (0..4).map(|_| attempt(i64::MAX)).collect();
        let mut ids: Vec<Uuid> = good.iter().map(|r| r.delivery_id).collect();
        let mut records = good;
        records.insert(2, poisoned);
        let started = std::time::Instant::now();
        record_all(&writer, records).await;
        let mut stored = writer.stored.lock().unwrap().clone();
        stored.sort();
        ids.sort();
        assert_eq!(stored, ids, "the four others written, each once");
        let calls = writer.calls.lock().unwrap().clone();
        // Three tries of the whole batch, then one by one.
        assert_eq!(calls[..8], [5, 5, 5, 1, 1, 1, 1, 1], "{calls:?}");
        assert!(
            started.elapsed() >= Duration::from_millis(90),
            "kept until its lease ended"
        );
    }

    #[tokio::test]
    async fn while_the_database_refuses_everything_the_pauses_grow() {
        let writer = Scripted::new(|call, _| call <= 9);
        let started = std::time::Instant::now();
        // Two records, so the one-by-one pass (two more refused calls) comes at the third.
        record_all(&writer, vec![attempt(i64::MAX), attempt(i64::MAX)]).await;
        let calls = writer.calls.lock().unwrap().clone();
        assert_eq!(calls, [2, 2, 2, 1, 1, 2, 2, 2, 2, 2], "{calls:?}");
        // Pauses of 1, 2, 4, 8, 16, 32, 64 ms: 127 ms at least.
        assert!(started.elapsed() >= Duration::from_millis(127));
        assert_eq!(writer.stored.lock().unwrap().len(), 2);
    }
}
