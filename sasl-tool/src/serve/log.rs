//! The attempt log: one [`AttemptRecord`] per authentication attempt (peer, protocol,
//! mechanism, identity, outcome, the local failure reason), and connection events
//! (refused when busy, timed out, line too long, TLS handshake failed).
//!
//! Records go to stderr, as text (`auth peer=... outcome=failure reason="..."`) or,
//! with `--log-json`, one JSON object per line; stdout carries only the start-up
//! banner. Nothing secret is ever in a record: no password, proof, token or
//! assertion, only names and the library's local reason (which never contains
//! secrets). Client-supplied text is bounded and, in text form, escaped.
//! The last [`MAX_KEPT`] records are also kept in memory for
//! [`RunningServer::attempts`](super::RunningServer::attempts).

use super::Protocol;
use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Records kept in memory.
pub(super) const MAX_KEPT: usize = 10_000;

/// The longest client-supplied name (mechanism, identity) logged, in characters.
const MAX_LOGGED_NAME: usize = 256;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Authenticated.
    Success,
    /// Not authenticated (wrong credentials, cancelled, malformed, cut off).
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// One authentication attempt, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttemptRecord {
    /// Seconds since the Unix epoch when it ended.
    pub(crate) time: u64,
    /// The client's address.
    pub(crate) peer: SocketAddr,
    /// The listener it came in on.
    pub(crate) protocol: Protocol,
    /// Whether the connection was TLS at the time.
    pub(crate) tls: bool,
    /// The mechanism as the client named it (upper-cased, bounded).
    pub(crate) mechanism: String,
    /// On success the identity logged in as; on failure the user name tried, when the
    /// mechanism got that far.
    pub(crate) identity: Option<String>,
    /// Success or failure.
    pub(crate) outcome: Outcome,
    /// The local reason of a failure (kind and detail; never sent to the client), or
    /// for a success the channel binding used, if any.
    pub(crate) reason: Option<String>,
}

/// Where records go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LogFormat {
    /// Text lines on stderr.
    Text,
    /// JSON lines on stderr.
    Json,
    /// Nowhere (kept in memory only): the in-process server of `sasl demo`.
    Silent,
}

/// The log of a running server.
#[derive(Debug)]
pub(super) struct Log {
    format: LogFormat,
    kept: Mutex<VecDeque<AttemptRecord>>,
}

/// Seconds since the Unix epoch.
pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `text` cut to [`MAX_LOGGED_NAME`] characters.
pub(super) fn bounded(text: &str) -> String {
    text.chars().take(MAX_LOGGED_NAME).collect()
}

impl Log {
    /// A log in `format`.
    pub(super) fn new(format: LogFormat) -> Self {
        Log {
            format,
            kept: Mutex::new(VecDeque::new()),
        }
    }

    /// Logs and keeps one attempt.
    pub(super) fn attempt(&self, record: AttemptRecord) {
        match self.format {
            LogFormat::Text => {
                let mut line = format!(
                    "auth peer={} protocol={} tls={} mechanism={:?} outcome={}",
                    record.peer,
                    record.protocol.name(),
                    record.tls,
                    record.mechanism,
                    record.outcome.as_str()
                );
                if let Some(identity) = &record.identity {
                    line.push_str(&format!(" identity={identity:?}"));
                }
                if let Some(reason) = &record.reason {
                    line.push_str(&format!(" reason={reason:?}"));
                }
                emit(&line);
            }
            LogFormat::Json => {
                let value = serde_json::json!({
                    "event": "auth",
                    "time": record.time,
                    "peer": record.peer.to_string(),
                    "protocol": record.protocol.name(),
                    "tls": record.tls,
                    "mechanism": record.mechanism,
                    "identity": record.identity,
                    "outcome": record.outcome.as_str(),
                    "reason": record.reason,
                });
                emit(&value.to_string());
            }
            LogFormat::Silent => {}
        }
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= MAX_KEPT {
            kept.pop_front();
        }
        kept.push_back(record);
    }

    /// Logs a connection event (not kept).
    pub(super) fn event(&self, peer: SocketAddr, protocol: Protocol, what: &str) {
        match self.format {
            LogFormat::Text => emit(&format!(
                "conn peer={peer} protocol={} {what}",
                protocol.name()
            )),
            LogFormat::Json => emit(
                &serde_json::json!({
                    "event": "connection",
                    "time": now_secs(),
                    "peer": peer.to_string(),
                    "protocol": protocol.name(),
                    "what": what,
                })
                .to_string(),
            ),
            LogFormat::Silent => {}
        }
    }

    /// The kept records, oldest first.
    pub(super) fn attempts(&self) -> Vec<AttemptRecord> {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

fn emit(line: &str) {
    // A closed stderr must not take the server down.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
