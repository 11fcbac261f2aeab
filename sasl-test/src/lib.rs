//! Test support for the `sasl` crate family (not published).
//!
//! - [`Driver`]: runs a [`ClientSession`] against a [`ServerSession`] in memory,
//!   answering server requests from a [`Store`], recording a [`Transcript`].
//! - Tamper hooks ([`tamper`]): change any message in flight (flip a bit, swap a
//!   nonce, strip channel binding, truncate) to prove that no tampering yields success.
//! - Step-sequence assertions ([`Transcript::shape`]).
//! - [`DeterministicRandom`]: a seeded, reproducible [`RandomSource`] for fixed nonces.
//! - [`peers`]: independent SASL implementations (`gsasl`, `scramp`) as child processes,
//!   and the IMAP clients `curl` and Python `imaplib`.
//! - [`imap`]: a loopback IMAP front end on a [`ServerRegistry`](sasl_core::ServerRegistry),
//!   for real IMAP clients to log into.
#![forbid(unsafe_code)]

use sasl_core::{
    ClientAnswer, ClientOutcome, ClientRequest, ClientSession, ClientStep, Error, Misuse,
    RandomSource, ServerFailure, ServerReply, ServerSession, ServerStep, ServerSuccess, Store,
};
use std::sync::Mutex;

pub mod imap;
pub mod peers;
pub mod tamper;
#[cfg(feature = "rustls")]
pub mod tls;

/// Which way a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server (initial response or response).
    ClientToServer,
    /// Server to client (challenge).
    ServerToClient,
}

/// One message as it crossed the (simulated) wire, after tampering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Which way it went.
    pub direction: Direction,
    /// Its index among the messages in that direction (0-based).
    pub index: usize,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// A hook that may replace a message in flight: return `Some(bytes)` to replace it.
pub type TamperHook = Box<dyn FnMut(&Message) -> Option<Vec<u8>>>;

/// How the server side ended.
#[derive(Debug, Clone)]
pub enum ServerEnd {
    /// Success.
    Success(ServerSuccess),
    /// Failure.
    Failure(ServerFailure),
}

/// How the client side ended.
#[derive(Debug, Clone)]
pub enum ClientEnd {
    /// The client finished with this outcome.
    Outcome(ClientOutcome),
    /// The client aborted (sent `*`).
    Aborted(sasl_core::ClientFailure),
}

/// Everything that happened in one run.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The messages in order.
    pub messages: Vec<Message>,
    /// Whether the client sent an initial response.
    pub initial_response: bool,
    /// How the server ended.
    pub server: ServerEnd,
    /// How the client ended.
    pub client: ClientEnd,
}

impl Transcript {
    /// Whether the server reported success.
    pub fn server_succeeded(&self) -> bool {
        matches!(self.server, ServerEnd::Success(_))
    }

    /// Whether the client ended authenticated.
    pub fn client_succeeded(&self) -> bool {
        matches!(&self.client, ClientEnd::Outcome(o) if o.is_authenticated())
    }

    /// Whether both sides agree the login succeeded.
    pub fn both_succeeded(&self) -> bool {
        self.server_succeeded() && self.client_succeeded()
    }

    /// The server's success, if any.
    pub fn authenticated(&self) -> Option<&ServerSuccess> {
        match &self.server {
            ServerEnd::Success(a) => Some(a),
            ServerEnd::Failure(_) => None,
        }
    }

    /// The server's failure, if any.
    pub fn server_failure(&self) -> Option<&ServerFailure> {
        match &self.server {
            ServerEnd::Failure(f) => Some(f),
            ServerEnd::Success(_) => None,
        }
    }

    /// The client's messages, in order.
    pub fn client_messages(&self) -> Vec<&[u8]> {
        self.messages_in(Direction::ClientToServer)
    }

    /// The server's messages, in order.
    pub fn server_messages(&self) -> Vec<&[u8]> {
        self.messages_in(Direction::ServerToClient)
    }

    fn messages_in(&self, direction: Direction) -> Vec<&[u8]> {
        self.messages
            .iter()
            .filter(|m| m.direction == direction)
            .map(|m| m.data.as_slice())
            .collect()
    }

    /// The step sequence as short words, for asserting the shape of an exchange:
    /// `C` client message, `S` server challenge, then `ok`/`fail` for the server end
    /// and `ok`/`fail`/`abort` for the client end, e.g. `"C S C S C ok ok"`.
    pub fn shape(&self) -> String {
        let mut words: Vec<&str> = self
            .messages
            .iter()
            .map(|m| match m.direction {
                Direction::ClientToServer => "C",
                Direction::ServerToClient => "S",
            })
            .collect();
        words.push(if self.server_succeeded() {
            "ok"
        } else {
            "fail"
        });
        words.push(match &self.client {
            ClientEnd::Outcome(o) if o.is_authenticated() => "ok",
            ClientEnd::Outcome(_) => "fail",
            ClientEnd::Aborted(_) => "abort",
        });
        words.join(" ")
    }
}

/// Answers client-side requests in tests (a password asked for lazily, a token).
pub type ClientAnswerer = Box<dyn FnMut(ClientRequest) -> ClientAnswer>;

/// Runs a client session against a server session in memory.
pub struct Driver<S: Store> {
    client: ClientSession,
    server: ServerSession,
    store: S,
    tamper: Option<TamperHook>,
    client_answers: Option<ClientAnswerer>,
    use_initial_response: bool,
    max_messages: usize,
}

impl<S: Store> Driver<S> {
    /// A driver; server requests are answered from `store`.
    pub fn new(client: ClientSession, server: ServerSession, store: S) -> Self {
        Self {
            client,
            server,
            store,
            tamper: None,
            client_answers: None,
            use_initial_response: true,
            max_messages: 32,
        }
    }

    /// Installs a tamper hook (see [`tamper`]).
    pub fn with_tamper(mut self, hook: impl FnMut(&Message) -> Option<Vec<u8>> + 'static) -> Self {
        self.tamper = Some(Box::new(hook));
        self
    }

    /// Answers the client's requests with `answer` (without it, a client request is
    /// declined, which aborts the exchange).
    pub fn with_client_answers(
        mut self,
        answer: impl FnMut(ClientRequest) -> ClientAnswer + 'static,
    ) -> Self {
        self.client_answers = Some(Box::new(answer));
        self
    }

    /// Simulates a protocol without initial responses: the server is started with
    /// `None`, must send an empty challenge, and the client session answers it with
    /// its initial response (RFC 4422 §5, handled by the session).
    pub fn without_initial_response(mut self) -> Self {
        self.use_initial_response = false;
        self
    }

    /// Resolves client requests until the client has something to send or ends.
    fn client_next(&mut self, mut step: ClientStep) -> Result<ClientStep, Error> {
        while let ClientStep::Request(request) = step {
            let answer = match self.client_answers.as_mut() {
                Some(answer) => answer(request),
                None => request.decline(),
            };
            step = self.client.provide(answer)?;
        }
        Ok(step)
    }

    /// Runs to the end. `Err` only for local misuse reported by a session.
    pub fn run(mut self) -> Result<Transcript, Error> {
        let mut messages: Vec<Message> = Vec::new();
        let mut sent = [0usize; 2];
        let mut initial_response = false;
        let first = self.client.start()?;
        let first = self.client_next(first)?;
        let mut server_step = match first {
            ClientStep::Respond(data) if self.use_initial_response => {
                initial_response = true;
                let data = self.transmit(
                    Direction::ClientToServer,
                    data.expose().clone(),
                    &mut sent,
                    &mut messages,
                );
                self.server.start_with(Some(&data), &self.store)?
            }
            // Without SASL-IR the response is not sent now: the server asks for it.
            ClientStep::Respond(_) | ClientStep::AwaitChallenge => {
                self.server.start_with(None, &self.store)?
            }
            ClientStep::Abort(f) => {
                let end = self.server.cancel()?;
                return Ok(Transcript {
                    messages,
                    initial_response,
                    server: server_end(end)?,
                    client: ClientEnd::Aborted(f),
                });
            }
            ClientStep::Request(_) => {
                return Err(Misuse::WrongState("client request left unanswered").into());
            }
        };
        loop {
            if messages.len() > self.max_messages {
                return Err(Misuse::WrongState("exchange did not terminate").into());
            }
            match server_step {
                ServerStep::Challenge(c) => {
                    let c = self.transmit(Direction::ServerToClient, c, &mut sent, &mut messages);
                    let step = self.client.step(&c)?;
                    match self.client_next(step)? {
                        ClientStep::Respond(r) => {
                            let r = self.transmit(
                                Direction::ClientToServer,
                                r.expose().clone(),
                                &mut sent,
                                &mut messages,
                            );
                            server_step = self.server.step_with(&r, &self.store)?;
                        }
                        ClientStep::Abort(f) => {
                            let end = self.server.cancel()?;
                            return Ok(Transcript {
                                messages,
                                initial_response,
                                server: server_end(end)?,
                                client: ClientEnd::Aborted(f),
                            });
                        }
                        ClientStep::AwaitChallenge => {
                            return Err(Misuse::WrongState(
                                "client awaits a challenge mid-exchange",
                            )
                            .into());
                        }
                        ClientStep::Request(_) => {
                            return Err(Misuse::WrongState("client request left unanswered").into());
                        }
                    }
                }
                ServerStep::Success(auth) => {
                    let outcome = ServerReply::Success {
                        additional_data: auth.additional_data().map(<[u8]>::to_vec),
                    };
                    let client = self.client.finish(outcome)?;
                    return Ok(Transcript {
                        messages,
                        initial_response,
                        server: ServerEnd::Success(auth),
                        client: ClientEnd::Outcome(client),
                    });
                }
                ServerStep::Failure(f) => {
                    // What the client sees is the server's IMAP reply, parsed back.
                    let line = f.imap().line("A1", "authentication failed");
                    let reply =
                        ServerReply::from_imap("A1", &line).unwrap_or_else(ServerReply::failure);
                    let client = self.client.finish(reply)?;
                    return Ok(Transcript {
                        messages,
                        initial_response,
                        server: ServerEnd::Failure(f),
                        client: ClientEnd::Outcome(client),
                    });
                }
                ServerStep::Request(_) => {
                    return Err(Misuse::WrongState("request left unanswered by step_with").into());
                }
            }
        }
    }

    fn transmit(
        &mut self,
        direction: Direction,
        data: Vec<u8>,
        sent: &mut [usize; 2],
        messages: &mut Vec<Message>,
    ) -> Vec<u8> {
        let slot = match direction {
            Direction::ClientToServer => &mut sent[0],
            Direction::ServerToClient => &mut sent[1],
        };
        let mut message = Message {
            direction,
            index: *slot,
            data,
        };
        *slot += 1;
        if let Some(hook) = self.tamper.as_mut() {
            if let Some(replacement) = hook(&message) {
                message.data = replacement;
            }
        }
        let data = message.data.clone();
        messages.push(message);
        data
    }
}

fn server_end(step: ServerStep) -> Result<ServerEnd, Error> {
    match step {
        ServerStep::Failure(f) => Ok(ServerEnd::Failure(f)),
        ServerStep::Success(a) => Ok(ServerEnd::Success(a)),
        _ => Err(Misuse::WrongState("server did not end after cancel").into()),
    }
}

/// A reproducible random source for tests (SplitMix64). NOT cryptographically
/// secure: never use it outside tests.
#[derive(Debug)]
pub struct DeterministicRandom {
    state: Mutex<u64>,
}

impl DeterministicRandom {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        Self {
            state: Mutex::new(seed),
        }
    }
}

impl RandomSource for DeterministicRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        let mut state = self.state.lock().map_err(|_| Error::Random)?;
        for chunk in buf.chunks_mut(8) {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let bytes = z.to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(bytes.iter()) {
                *dst = *src;
            }
        }
        Ok(())
    }
}

/// A random source that returns fixed bytes, repeating them as needed (for
/// reproducing published vectors with a fixed nonce).
#[derive(Debug, Clone)]
pub struct FixedRandom(pub Vec<u8>);

impl RandomSource for FixedRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        if self.0.is_empty() {
            return Err(Error::Random);
        }
        for (dst, src) in buf.iter_mut().zip(self.0.iter().cycle()) {
            *dst = *src;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_random_repeats_per_seed() {
        let (a, b, c) = (
            DeterministicRandom::new(7),
            DeterministicRandom::new(7),
            DeterministicRandom::new(8),
        );
        let (mut x, mut y, mut z) = ([0u8; 20], [0u8; 20], [0u8; 20]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        c.fill(&mut z).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, z);
        let mut again = [0u8; 20];
        a.fill(&mut again).unwrap();
        assert_ne!(x, again, "successive draws differ");
    }

    #[test]
    fn fixed_random_cycles() {
        let mut buf = [0u8; 5];
        FixedRandom(vec![1, 2]).fill(&mut buf).unwrap();
        assert_eq!(buf, [1, 2, 1, 2, 1]);
        assert!(FixedRandom(vec![]).fill(&mut buf).is_err());
    }
}
