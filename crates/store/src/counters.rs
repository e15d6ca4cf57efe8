//! The statement and transaction counters behind [`crate::Stats`], shared
//! by every connection of a catalogue.

use std::sync::atomic::{AtomicU64, Ordering};

/// Statements and transactions run, for [`crate::Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) statements: AtomicU64,
    pub(crate) transactions: AtomicU64,
}

impl Counters {
    pub(crate) fn statement(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn transaction(&self) {
        self.transactions.fetch_add(1, Ordering::Relaxed);
    }
}
