//! The connection between the two roles: IMAP lines over in-memory channels, printed
//! as they cross (`C:` client, `S:` server). SASL is lock-step, so printing at send
//! time keeps the transcript in order.

use std::sync::mpsc::{Receiver, Sender, channel};

/// One end of the connection.
pub(crate) struct Wire {
    who: &'static str,
    tx: Sender<String>,
    rx: Receiver<String>,
}

impl Wire {
    /// A connected pair: (client end, server end).
    pub(crate) fn pair() -> (Wire, Wire) {
        let (to_server, from_client) = channel();
        let (to_client, from_server) = channel();
        (
            Wire {
                who: "C",
                tx: to_server,
                rx: from_server,
            },
            Wire {
                who: "S",
                tx: to_client,
                rx: from_client,
            },
        )
    }

    /// Sends one line (without CRLF) and prints it.
    pub(crate) fn send(&self, line: impl Into<String>) {
        let line = line.into();
        println!("{}: {line}", self.who);
        // The other end only hangs up after LOGOUT, when nothing more is sent.
        let _ = self.tx.send(line);
    }

    /// The next line from the other end, or `None` when it hung up.
    pub(crate) fn recv(&self) -> Option<String> {
        self.rx.recv().ok()
    }
}

/// Prints what a decoded SASL message says when it is text (SCRAM), hiding PLAIN's
/// password.
pub(crate) fn show(data: &[u8]) {
    if data.contains(&0) {
        println!(
            "   ({} bytes: authzid NUL authcid NUL password)",
            data.len()
        );
    } else if let Ok(text) = std::str::from_utf8(data) {
        if !text.is_empty() {
            println!("   = {text}");
        }
    }
}
