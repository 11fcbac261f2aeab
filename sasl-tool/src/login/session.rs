//! One SASL exchange over any of the three protocols: drives a
//! [`ClientSession`] through the protocol's framing ([`AuthProtocol`]), answers its
//! requests ([`Answers`]) and records every message decoded and redacted.

use super::mechanisms::Answers;
use super::report::show_client_message;
use super::transport::Link;
use crate::failure::Failure;
use sasl_core::{
    ClientFailure, ClientOutcome, ClientSession, ClientStep, ClientSuccess, FailureKind,
    ServerReply, wire,
};

/// The most server lines one exchange may take (untagged chatter included): a
/// server that never ends the exchange is cut off here if the timeout does not.
const MAX_EXCHANGE_LINES: usize = 256;

/// What the server offers before authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// The SASL mechanisms advertised, uppercase, in the server's order.
    pub(crate) mechanisms: Vec<String>,
    /// Whether STARTTLS (POP3: STLS) is offered.
    pub(crate) starttls: bool,
    /// Whether an initial response may go with the command (IMAP `SASL-IR`; always in
    /// SMTP and POP3).
    pub(crate) initial_response: bool,
}

/// A server line during the exchange, as the protocol reads it.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A challenge: the base64 text after `+ ` or `334 `.
    Challenge(String),
    /// The exchange is over.
    Outcome(ServerReply),
    /// Not part of the exchange (IMAP untagged data, an SMTP multi-line reply going on).
    Other,
}

/// How one protocol frames a SASL exchange (sans-IO: the lines only).
pub(crate) trait AuthProtocol {
    /// Called once before each exchange (IMAP takes a new tag).
    fn start_exchange(&mut self) {}

    /// The command that starts the exchange, with the base64 initial response (`=` for
    /// an empty one) when `initial` is given.
    fn command(&self, mechanism: &str, initial: Option<&str>) -> String;

    /// Whether an initial response of this many base64 characters may go with the
    /// command (IMAP needs `SASL-IR`; SMTP and POP3 limit the command's length).
    fn takes_initial_response(&self, mechanism: &str, encoded_len: usize) -> bool;

    /// Reads one server line of the exchange.
    fn read(&mut self, line: &str) -> Incoming;
}

/// How the exchange ended.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Authenticated, and the mechanism is satisfied.
    Authenticated(ClientSuccess),
    /// The server's final reply was a failure.
    Refused(ClientFailure),
    /// The server said success, but the mechanism does not accept it (a SCRAM server
    /// that did not prove itself).
    NotVerified(ClientFailure),
    /// The client cancelled the exchange (a bad server message, a server error
    /// message such as SCRAM's `e=`, a request that could not be answered).
    Aborted(ClientFailure),
    /// A local problem (an authenticator or password prompt failed).
    Local(Failure),
}

/// The result of one exchange.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// How it ended.
    pub(crate) ended: Ended,
    /// Client messages sent (the command, then every response).
    pub(crate) round_trips: usize,
    /// The server's final reply line(s).
    pub(crate) server_reply: Option<String>,
    /// Whether the server sent any challenge (a refusal of the command itself has
    /// none: a retry after STARTTLS is then safe).
    pub(crate) challenged: bool,
}

/// What the driver does after a client step.
enum Next {
    /// Send this response.
    Send(sasl_core::Secret<Vec<u8>>),
    /// Send nothing yet (only before the command: a server-first mechanism).
    Wait,
    /// Cancel with `*`, for this reason.
    Cancel(Ended),
}

/// Answers requests until the session says what to send.
async fn settle(
    session: &mut ClientSession,
    mut step: ClientStep,
    answers: &mut Answers,
) -> Result<Next, Failure> {
    loop {
        step = match step {
            ClientStep::Respond(data) => return Ok(Next::Send(data)),
            ClientStep::AwaitChallenge => return Ok(Next::Wait),
            ClientStep::Abort(failure) => return Ok(Next::Cancel(Ended::Aborted(failure))),
            ClientStep::Request(request) => match answers.answer(request).await {
                Ok(answer) => session.provide(answer).map_err(|e| {
                    Failure::error(format!("the SASL session refused an answer: {e:?}"))
                })?,
                Err(failure) => return Ok(Next::Cancel(Ended::Local(failure))),
            },
        };
    }
}

fn session_error(error: &sasl_core::Error) -> Failure {
    Failure::error(format!("the SASL session: {error:?}"))
}

/// Runs one exchange on `link`: the command (with the initial response where the
/// protocol and server allow), challenges and responses, the final reply.
/// `Err` is a network failure; everything the server says is in the [`Exchange`].
pub(crate) async fn authenticate<P: AuthProtocol>(
    link: &mut Link<'_>,
    protocol: &mut P,
    mut session: ClientSession,
    answers: &mut Answers,
) -> Result<Exchange, Failure> {
    let mechanism = session.mechanism().to_string();
    let mut exchange = Exchange {
        ended: Ended::Local(Failure::error("the exchange did not end")),
        round_trips: 0,
        server_reply: None,
        challenged: false,
    };
    protocol.start_exchange();
    let first = session.start().map_err(|e| session_error(&e))?;
    let mut sent_messages = 0usize;
    match settle(&mut session, first, answers).await? {
        Next::Cancel(ended) => {
            // Nothing went out yet: there is nothing to cancel on the wire.
            exchange.ended = ended;
            return Ok(exchange);
        }
        Next::Send(data) => {
            let encoded = wire::encode_initial_response(data.expose());
            if protocol.takes_initial_response(&mechanism, encoded.len()) {
                let shown = show_client_message(&mechanism, 0, data.expose(), &answers.secrets());
                let line = protocol.command(&mechanism, Some(&encoded));
                let shown_line =
                    protocol.command(&mechanism, Some(shown.wire.as_deref().unwrap_or(&encoded)));
                link.send_shown(&line, &shown_line).await?;
                link.log.decoded(shown.decoded);
                sent_messages = 1;
            } else {
                // The session answers the server's empty challenge with this message.
                let line = protocol.command(&mechanism, None);
                link.send(&line).await?;
            }
        }
        Next::Wait => {
            let line = protocol.command(&mechanism, None);
            link.send(&line).await?;
        }
    }
    exchange.round_trips = 1;
    let mut cancelled: Option<Ended> = None;
    for _ in 0..MAX_EXCHANGE_LINES {
        let line = link.recv().await?;
        match protocol.read(&line) {
            Incoming::Other => {}
            Incoming::Outcome(reply) => {
                exchange.server_reply = Some(line);
                exchange.ended = match cancelled.take() {
                    Some(ended) => ended,
                    None => finish(&mut session, reply)?,
                };
                return Ok(exchange);
            }
            Incoming::Challenge(_) if cancelled.is_some() => {
                // Cancelled already: keep saying so until the server ends it.
                link.send(wire::CANCEL).await?;
            }
            Incoming::Challenge(text) => {
                exchange.challenged = true;
                let challenge = match wire::decode_challenge(text.trim().as_bytes()) {
                    Ok(challenge) => challenge,
                    Err(e) => {
                        link.send(wire::CANCEL).await?;
                        cancelled = Some(Ended::Aborted(ClientFailure::new(
                            FailureKind::Protocol,
                            format!("the server's challenge is not base64 ({e})"),
                        )));
                        continue;
                    }
                };
                link.log.decoded(super::report::printable(&challenge));
                let step = session.step(&challenge).map_err(|e| session_error(&e))?;
                match settle(&mut session, step, answers).await? {
                    Next::Send(data) => {
                        let shown = show_client_message(
                            &mechanism,
                            sent_messages,
                            data.expose(),
                            &answers.secrets(),
                        );
                        let encoded = wire::encode_response(data.expose());
                        let shown_line = shown.wire.clone().unwrap_or_else(|| encoded.clone());
                        link.send_shown(&encoded, &shown_line).await?;
                        if !data.expose().is_empty() {
                            link.log.decoded(shown.decoded);
                        }
                        sent_messages = sent_messages.saturating_add(1);
                        exchange.round_trips = exchange.round_trips.saturating_add(1);
                    }
                    Next::Wait => {
                        link.send(wire::CANCEL).await?;
                        cancelled = Some(Ended::Aborted(ClientFailure::new(
                            FailureKind::Protocol,
                            "the mechanism had nothing to answer the challenge with",
                        )));
                    }
                    Next::Cancel(ended) => {
                        link.send(wire::CANCEL).await?;
                        cancelled = Some(ended);
                    }
                }
            }
        }
    }
    Err(Failure::error(format!(
        "the server did not end the exchange within {MAX_EXCHANGE_LINES} lines"
    )))
}

/// Hands the final reply to the session: only a satisfied mechanism authenticates.
fn finish(session: &mut ClientSession, reply: ServerReply) -> Result<Ended, Failure> {
    let server_failed = matches!(reply, ServerReply::Failure(_));
    Ok(
        match session.finish(reply).map_err(|e| session_error(&e))? {
            ClientOutcome::Success(success) => Ended::Authenticated(success),
            ClientOutcome::Failure(failure) if server_failed => Ended::Refused(failure),
            ClientOutcome::Failure(failure) => Ended::NotVerified(failure),
        },
    )
}

/// SMTP's and POP3's `AUTH <mechanism> [<initial response>]` command.
pub(crate) fn auth_command(mechanism: &str, initial: Option<&str>) -> String {
    match initial {
        Some(initial) => format!("AUTH {mechanism} {initial}"),
        None => format!("AUTH {mechanism}"),
    }
}

/// Whether `AUTH <mechanism> <response>` plus CRLF fits a command line of `max` octets
/// (RFC 4954 §4, RFC 5034 §4: else the response goes after the empty challenge).
pub(crate) fn auth_line_fits(mechanism: &str, encoded_len: usize, max: usize) -> bool {
    let len = 5usize
        .saturating_add(mechanism.len())
        .saturating_add(1)
        .saturating_add(encoded_len)
        .saturating_add(2);
    len <= max
}
