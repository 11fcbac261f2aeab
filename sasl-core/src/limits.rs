//! Limits on what a peer can make a session do.

/// Limits enforced by every session, whatever the mechanism.
///
/// A message over `max_message_len` or an exchange beyond `max_round_trips` ends the
/// session with a failure step ([`crate::FailureKind::MessageTooLarge`] or
/// [`crate::FailureKind::TooManyRoundTrips`]); it is never an error or a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest message (decoded bytes) accepted from the peer. Default 20 KiB: PLAIN
    /// needs 3 x 255, SCRAM well under 1 KiB, an OAUTHBEARER/XOAUTH2 message carries a
    /// token of up to 16 KiB (JWTs with many claims reach 8 KiB). Mechanisms keep
    /// tighter bounds of their own (SCRAM 8 KiB).
    pub max_message_len: usize,
    /// Most messages accepted from the peer in one exchange. Default 8; no mechanism
    /// in this family needs more than 3.
    pub max_round_trips: u32,
}

impl Limits {
    /// The defaults described on each field.
    pub const DEFAULT: Limits = Limits {
        max_message_len: 20 * 1024,
        max_round_trips: 8,
    };

    /// Sets the largest accepted message.
    pub fn with_max_message_len(mut self, len: usize) -> Self {
        self.max_message_len = len;
        self
    }

    /// Sets the largest number of peer messages.
    pub fn with_max_round_trips(mut self, n: u32) -> Self {
        self.max_round_trips = n;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
