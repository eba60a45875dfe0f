//! State shared between a muxer and its writer thread, with a wake-up for the one waiting on it.
//!
//! The block pool and the hand-off queue both keep a little state under a lock and wake the
//! other side only when it is waiting and the state is worth waking for; this is that pairing,
//! once.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A value under a lock, with a condition variable for the thread waiting on it.
#[derive(Default)]
pub(crate) struct Watched<S> {
    state: Mutex<S>,
    changed: Condvar,
}

impl<S> Watched<S> {
    pub(crate) fn new(state: S) -> Watched<S> {
        Watched {
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    /// The state. A panic on the other side cannot leave it half-changed (every change is a
    /// single push, pop or flag), so a poisoned lock is taken as it is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, S> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits, releasing the lock, while `waiting` says so; `waiting` also records that this
    /// side is asleep, for the other to know it must call [`Watched::wake`].
    pub(crate) fn wait_while<'a>(
        &self,
        guard: MutexGuard<'a, S>,
        waiting: impl FnMut(&mut S) -> bool,
    ) -> MutexGuard<'a, S> {
        self.changed
            .wait_while(guard, waiting)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the waiting side.
    pub(crate) fn wake(&self) {
        self.changed.notify_one();
    }
}
