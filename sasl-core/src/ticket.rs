//! Tickets: which session and which of its requests an answer belongs to.

use crate::error::{Misuse, ProvideError};
use std::sync::atomic::{AtomicU64, Ordering};

/// Names one request of one session. Requests are built unstamped by mechanisms;
/// the session stamps each one as it hands it out and accepts only the answer that
/// carries the newest stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    session: u64,
    serial: u64,
}

impl Ticket {
    /// Placeholder until the session stamps the request (no session has id 0).
    pub(crate) const UNSTAMPED: Ticket = Ticket {
        session: 0,
        serial: 0,
    };
}

/// The ticket book of one session: a process-unique id and a request counter.
#[derive(Debug)]
pub(crate) struct Tickets {
    session: u64,
    serial: u64,
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

impl Tickets {
    pub(crate) fn new() -> Self {
        Self {
            session: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            serial: 0,
        }
    }

    /// The ticket for the next request.
    pub(crate) fn issue(&mut self) -> Ticket {
        self.serial += 1;
        Ticket {
            session: self.session,
            serial: self.serial,
        }
    }
}

/// Accepts an answer carrying `ticket` if it is the one the session waits for.
///
/// `expected` is the pending request's ticket, or the misuse that any answer is in the
/// session's current state (not started, finished, nothing pending). A refused answer
/// is handed back in the [`ProvideError`]; both sessions' `provide` use this.
pub(crate) fn redeem<A>(
    expected: Result<Ticket, Misuse>,
    ticket: Ticket,
    answer: A,
) -> Result<A, ProvideError<A>> {
    match expected {
        Ok(expected) if expected == ticket => Ok(answer),
        Ok(_) => Err(ProvideError::new(Misuse::ForeignAnswer, answer)),
        Err(misuse) => Err(ProvideError::new(misuse, answer)),
    }
}
