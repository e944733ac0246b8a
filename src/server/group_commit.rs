//! Group commit: concurrent writers hand their items to one task, which writes whatever is
//! waiting in one transaction and answers each writer once it committed. A lone item is written
//! at once; under load, batches grow by themselves and the database sees few transactions.

use crate::server::storage::{StoreError, StoreResult};
use std::future::Future;
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

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// Starts the writer task (within the Tokio runtime). `write` stores a batch in one
    /// transaction, with one answer per item.
    pub fn start<W, F>(write: W) -> Self
    where
        W: Fn(Vec<T>) -> F + Send + 'static,
        F: Future<Output = StoreResult<Vec<StoreResult<R>>>> + Send,
    {
        let (sender, mut receiver) = mpsc::channel::<Waiting<T, R>>(4 * BATCH);
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(BATCH);
            while receiver.recv_many(&mut waiting, BATCH).await > 0 {
                let (items, replies): (Vec<T>, Vec<_>) = waiting.drain(..).unzip();
                let count = items.len();
                match write(items).await {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            let _ = reply.send(result);
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, items = count, "a group commit failed");
                        for reply in replies {
                            let _ = reply.send(Err(error.for_a_waiter()));
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
