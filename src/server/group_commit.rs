//! Group commit: concurrent writers hand their items to one task, which writes whatever is
//! waiting in one transaction and answers each writer once it committed. A lone item is written
//! at once; under load, batches grow by themselves and the database sees few transactions.

use crate::server::storage::{StoreError, StoreResult};
use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

/// Most items written by one transaction.
const BATCH: usize = 512;

type Waiting<T, R> = (T, oneshot::Sender<StoreResult<R>>);

pub struct GroupCommit<T, R> {
    sender: mpsc::Sender<Waiting<T, R>>,
}

impl<T, R> Clone for GroupCommit<T, R> {
    fn clone(&self) -> Self {
        GroupCommit {
            sender: self.sender.clone(),
        }
    }
}

impl<T: Send + Sync + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// Starts the writer task (within the Tokio runtime). `write` stores a batch in one
    /// transaction, with one answer per item.
    ///
    /// A batch that fails for any reason but an unavailable database is written again item by
    /// item, so one item the database refuses fails alone, never its neighbours.
    pub fn start<W>(write: W) -> Self
    where
        W: for<'a> Fn(&'a [T]) -> BoxFuture<'a, StoreResult<Vec<StoreResult<R>>>> + Send + 'static,
    {
        let (sender, mut receiver) = mpsc::channel::<Waiting<T, R>>(4 * BATCH);
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(BATCH);
            while receiver.recv_many(&mut waiting, BATCH).await > 0 {
                let (items, replies): (Vec<T>, Vec<_>) = waiting.drain(..).unzip();
                let count = items.len();
                match write(&items).await {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            let _ = reply.send(result);
                        }
                    }
                    Err(error) if error.is_unavailable() || count == 1 => {
                        tracing::error!(%error, items = count, "a group commit failed");
                        for reply in replies {
                            let _ = reply.send(Err(error.for_a_waiter()));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, items = count, "a group commit failed; writing its items one by one");
                        for (item, reply) in items.iter().zip(replies) {
                            let alone = match write(std::slice::from_ref(item)).await {
                                Ok(mut results) => {
                                    results.pop().unwrap_or(Err(StoreError::NotFound))
                                }
                                Err(error) => {
                                    tracing::error!(%error, "an item of a group commit failed");
                                    Err(error.for_a_waiter())
                                }
                            };
                            let _ = reply.send(alone);
                        }
                    }
                }
            }
        });
        GroupCommit { sender }
    }

    /// Returns once the item's transaction committed (or failed).
    pub async fn submit(&self, item: T) -> StoreResult<R> {
        let stopped = || StoreError::Batch("the writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((item, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A writer that refuses every batch holding a negative number, as a database refuses a
    /// transaction with one bad row, and counts its transactions.
    fn refusing_negatives(
        error: fn() -> StoreError,
        transactions: Arc<AtomicUsize>,
    ) -> GroupCommit<i64, i64> {
        GroupCommit::start(move |batch: &[i64]| {
            let transactions = transactions.clone();
            Box::pin(async move {
                transactions.fetch_add(1, Ordering::SeqCst);
                // Let the other writers queue up behind this transaction.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                if batch.iter().any(|n| *n < 0) {
                    return Err(error());
                }
                Ok(batch.iter().map(|n| Ok(n * 10)).collect())
            })
        })
    }

    async fn submit_all(commit: &GroupCommit<i64, i64>, items: &[i64]) -> Vec<StoreResult<i64>> {
        let tasks: Vec<_> = items
            .iter()
            .map(|&n| {
                let commit = commit.clone();
                tokio::spawn(async move { commit.submit(n).await })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        answers
    }

    #[tokio::test]
    async fn one_refused_item_fails_alone_and_its_batch_neighbours_are_stored() {
        let transactions = Arc::new(AtomicUsize::new(0));
        let commit = refusing_negatives(
            || StoreError::Batch("a row was refused".into()),
            transactions.clone(),
        );
        // While a first item is written alone, the others queue and form one batch.
        let blocker = {
            let commit = commit.clone();
            tokio::spawn(async move { commit.submit(0).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let answers = submit_all(&commit, &[1, 2, -3, 4]).await;
        assert_eq!(blocker.await.unwrap().ok(), Some(0));
        assert_eq!(answers[0].as_ref().ok(), Some(&10));
        assert_eq!(answers[1].as_ref().ok(), Some(&20));
        assert!(matches!(answers[2], Err(StoreError::Batch(_))));
        assert_eq!(answers[3].as_ref().ok(), Some(&40));
        // The blocker's, the failed batch's, and one for each of its four items.
        assert_eq!(transactions.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn an_unavailable_database_fails_the_batch_without_trying_each_item() {
        let transactions = Arc::new(AtomicUsize::new(0));
        let commit = refusing_negatives(
            || StoreError::Unavailable("the database is down".into()),
            transactions.clone(),
        );
        let blocker = {
            let commit = commit.clone();
            tokio::spawn(async move { commit.submit(0).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let answers = submit_all(&commit, &[1, -2, 3]).await;
        assert!(blocker.await.unwrap().is_ok());
        assert!(answers
            .iter()
            .all(|answer| matches!(answer, Err(StoreError::Unavailable(_)))));
        // The blocker's transaction and the failed batch's: none item by item.
        assert_eq!(transactions.load(Ordering::SeqCst), 2);
    }
}
