//! Exactly-once delivery of source records (Kafka Connect's KIP-618): what a source connector
//! declares about it, and how a task ends its transactions when it defines their boundaries.
//!
//! With exactly-once on, the runtime writes a task's records and the source offsets they reach
//! in one Kafka transaction. A connector supports it when its offsets say exactly which records
//! were read: a task restarted from a committed offset then reads nothing twice and skips
//! nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Whether a source connector, with a given config, can deliver exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExactlyOnceSupport {
    /// Its offsets identify each record: restarting from one re-reads nothing.
    Supported,
    /// It cannot, with this config.
    Unsupported,
}

/// Whether a source connector, with a given config, can say where its transactions end
/// (`transaction.boundary=connector`), through its tasks' [`TransactionContext`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionBoundaries {
    /// Its tasks end transactions themselves.
    Supported,
    /// It cannot.
    Unsupported,
}

/// What a task asked of the current transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionRequest {
    /// Commit it, with the batch the task returns from its current (or next) poll.
    Commit,
    /// Abort it, with that batch: its records and their offsets are discarded.
    Abort,
}

/// How a task whose connector defines transaction boundaries ends a transaction. The runtime
/// acts on a request after the batch the task returns from its current poll (or from its next
/// one, when asked between polls); an abort asked after a commit replaces it, as in Kafka
/// Connect.
#[derive(Clone, Debug, Default)]
pub struct TransactionContext {
    request: Arc<AtomicU8>,
}

const NONE: u8 = 0;
const COMMIT: u8 = 1;
const ABORT: u8 = 2;

impl TransactionContext {
    /// Asks for the current transaction to be committed.
    pub fn commit_transaction(&self) {
        let _ = self
            .request
            .compare_exchange(NONE, COMMIT, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Asks for the current transaction to be aborted.
    pub fn abort_transaction(&self) {
        self.request.store(ABORT, Ordering::Release);
    }

    /// Takes the pending request, if any (for the runtime).
    pub fn take_request(&self) -> Option<TransactionRequest> {
        match self.request.swap(NONE, Ordering::AcqRel) {
            COMMIT => Some(TransactionRequest::Commit),
            ABORT => Some(TransactionRequest::Abort),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_taken_once() {
        let context = TransactionContext::default();
        assert_eq!(context.take_request(), None);
        context.commit_transaction();
        assert_eq!(context.take_request(), Some(TransactionRequest::Commit));
        assert_eq!(context.take_request(), None);
    }

    #[test]
    fn an_abort_wins_over_a_commit_whichever_came_first() {
        let context = TransactionContext::default();
        context.commit_transaction();
        context.abort_transaction();
        assert_eq!(context.take_request(), Some(TransactionRequest::Abort));
        context.abort_transaction();
        context.commit_transaction();
        assert_eq!(context.take_request(), Some(TransactionRequest::Abort));
    }
}
