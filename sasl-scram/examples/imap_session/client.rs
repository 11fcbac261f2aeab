//! The client role: a mail client that reads the server's capabilities, picks a
//! mechanism and logs in. This file is everything a client author writes around
//! `sasl-core`.

use crate::transport::{Wire, show};
use sasl_core::{
    ClientCredentials, ClientOutcome, ClientRegistry, ClientRequest, ClientStep, ConnectionInfo,
    ServerReply, wire,
};

/// Asks the server for its capabilities; returns the mechanisms it offers.
pub(crate) fn capabilities(wire: &Wire, tag: &str) -> Vec<String> {
    wire.send(format!("{tag} CAPABILITY"));
    let mut mechanisms = Vec::new();
    while let Some(line) = wire.recv() {
        if line.starts_with(tag) {
            break;
        }
        mechanisms.extend(
            line.split(' ')
                .filter_map(|w| w.strip_prefix("AUTH="))
                .map(str::to_owned),
        );
    }
    mechanisms
}

/// How the client logs in.
pub(crate) struct Login<'a> {
    /// The mechanism to use, or `None` for the strongest both sides support.
    pub(crate) mechanism: Option<&'a str>,
    /// Whether to send the initial response with the command (SASL-IR, RFC 4959).
    pub(crate) initial_response: bool,
    /// What the user types when the mechanism asks for the password.
    pub(crate) typed_password: &'a str,
}

/// One `AUTHENTICATE` exchange.
pub(crate) fn login(
    wire: &Wire,
    registry: &ClientRegistry,
    connection: &ConnectionInfo,
    advertised: &[String],
    credentials: ClientCredentials,
    how: Login<'_>,
    tag: &str,
) -> ClientOutcome {
    let session = match how.mechanism {
        Some(name) => registry.start(name, advertised, credentials, connection),
        None => registry.start_best(advertised, credentials, connection),
    };
    let mut session = session.expect("the server offers a mechanism these credentials fit");
    let mechanism = session.mechanism().to_string();
    let mut step = session.start().expect("a new session starts");
    loop {
        step = match step {
            ClientStep::Respond(data) => {
                // The first response is the initial response: with the command, or (no
                // SASL-IR) after the server's empty challenge, which the session answers
                // with it (RFC 4422 §5).
                if how.initial_response {
                    let ir = wire::encode_initial_response(data.expose());
                    wire.send(format!("{tag} AUTHENTICATE {mechanism} {ir}"));
                    show(data.expose());
                } else {
                    wire.send(format!("{tag} AUTHENTICATE {mechanism}"));
                }
                break;
            }
            ClientStep::AwaitChallenge => {
                wire.send(format!("{tag} AUTHENTICATE {mechanism}"));
                break;
            }
            ClientStep::Request(ClientRequest::Password(prompt)) => {
                println!(
                    "   (the client asks the user for {}'s password)",
                    prompt.authcid()
                );
                session
                    .provide(prompt.provide(how.typed_password))
                    .expect("the answer belongs to this session")
            }
            ClientStep::Request(other) => session
                .provide(other.decline())
                .expect("the answer belongs to this session"),
            ClientStep::Abort(failure) => return ClientOutcome::Failure(failure),
        };
    }
    let mut aborted = None;
    while let Some(line) = wire.recv() {
        if let Some(challenge) = line.strip_prefix("+") {
            let step = match wire::decode_challenge(challenge.trim_start().as_bytes()) {
                Ok(challenge) => session.step(&challenge).expect("the session is running"),
                Err(_) => {
                    wire.send(wire::CANCEL);
                    continue;
                }
            };
            match step {
                ClientStep::Respond(data) => {
                    wire.send(wire::encode_response(data.expose()));
                    show(data.expose());
                }
                ClientStep::Abort(failure) => {
                    println!("   client gives up: {}", failure.reason());
                    wire.send(wire::CANCEL);
                    aborted = Some(failure);
                }
                ClientStep::AwaitChallenge | ClientStep::Request(_) => {
                    wire.send(wire::CANCEL);
                }
            }
        } else if let Some(failure) = aborted.take().filter(|_| line.starts_with(tag)) {
            return ClientOutcome::Failure(failure);
        } else if line.starts_with(tag) {
            // The tagged reply, read back into a failure kind the client can act on.
            let reply = ServerReply::from_imap(tag, &line).unwrap_or_else(ServerReply::failure);
            return session
                .finish(reply)
                .expect("the exchange is waiting for its outcome");
        }
    }
    ClientOutcome::Failure(sasl_core::ClientFailure::new(
        sasl_core::FailureKind::Protocol,
        "the server hung up",
    ))
}
