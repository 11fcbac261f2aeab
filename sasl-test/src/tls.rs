//! In-memory TLS between a rustls client and server (feature `rustls`): the record
//! pump the channel-binding and client-certificate tests share.

use rustls::{ClientConnection, ConnectionCommon, ServerConnection};
use std::ops::DerefMut;

/// Which side failed to process the other's records, with its error.
#[derive(Debug)]
pub enum HandshakeFailure {
    /// The client refused what the server sent.
    Client(rustls::Error),
    /// The server refused what the client sent.
    Server(rustls::Error),
}

/// Moves every record `from` has pending to `to` and lets `to` process them.
/// Returns whether anything moved, or `to`'s error.
pub fn transfer<A, B, DA, DB>(from: &mut A, to: &mut B) -> Result<bool, rustls::Error>
where
    A: DerefMut<Target = ConnectionCommon<DA>>,
    B: DerefMut<Target = ConnectionCommon<DB>>,
{
    let mut buf = Vec::new();
    while from.wants_write() {
        // Writing into a Vec cannot fail.
        if from.write_tls(&mut buf).is_err() {
            break;
        }
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        if to.read_tls(&mut rest).is_err() {
            break;
        }
        to.process_new_packets()?;
    }
    Ok(!buf.is_empty())
}

/// Runs the handshake until both sides are done and nothing is left to send, or the
/// first side refuses the other. Gives up after a bounded number of flights.
pub fn complete_handshake(
    client: &mut ClientConnection,
    server: &mut ServerConnection,
) -> Result<(), HandshakeFailure> {
    for _ in 0..32 {
        transfer(client, server).map_err(HandshakeFailure::Server)?;
        transfer(server, client).map_err(HandshakeFailure::Client)?;
        if !client.is_handshaking()
            && !server.is_handshaking()
            && !client.wants_write()
            && !server.wants_write()
        {
            return Ok(());
        }
    }
    Err(HandshakeFailure::Client(rustls::Error::General(
        "the handshake did not finish".into(),
    )))
}
