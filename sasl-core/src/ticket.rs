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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_of_a_session_gets_its_own_ticket() {
        // The public API cannot hold an answer to an earlier request of a session
        // while a later one waits (requests and answers are consumed, refused answers
        // are handed back), so the serial is checked here.
        let mut book = Tickets::new();
        let first = book.issue();
        let second = book.issue();
        assert_ne!(first, second);
        assert_ne!(first, Ticket::UNSTAMPED);
        assert_eq!(redeem(Ok(second), second, "answer").ok(), Some("answer"));
        let stale = redeem(Ok(second), first, "answer").unwrap_err();
        assert_eq!(stale.misuse(), Misuse::ForeignAnswer);
        // Another session's first ticket is not this one's.
        let other = Tickets::new().issue();
        assert_ne!(other, first);
        assert_eq!(
            redeem(Ok(first), other, ()).unwrap_err().misuse(),
            Misuse::ForeignAnswer
        );
        assert_eq!(
            redeem(Err(Misuse::Finished), first, ())
                .unwrap_err()
                .misuse(),
            Misuse::Finished
        );
    }
}
