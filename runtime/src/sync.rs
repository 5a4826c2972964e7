//! Small synchronization helpers.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, recovering the data if a panicking holder poisoned it: the state guarded
/// here stays consistent between statements, so a panic elsewhere must not wedge the worker.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
