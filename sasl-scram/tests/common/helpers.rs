//! Shared test helpers: vectors, a fixed random source, and an in-memory driver for
//! the typed state machines.
#![allow(dead_code, unreachable_pub)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_core::{
    ClientFailure, ClientMechanism, ClientOutcome, ClientStep, Error, FailureKind, RandomSource,
    Request, ScramCredentials, ScramHash, ScramLookup, ServerFailure, ServerMechanism, ServerReply,
    ServerStep, ServerSuccess, Verdict,
};
use sasl_scram::{ScramClient, ScramServer, ScramServerConfig};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

pub const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/specs/scram_vectors.json"
));

pub fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors parse")
}

pub fn positive() -> Vec<Value> {
    vectors()["positive"].as_array().unwrap().clone()
}

pub fn negative() -> Vec<Value> {
    vectors()["negative"].as_array().unwrap().clone()
}

/// A deterministic random source: a counter pattern.
#[derive(Debug, Default)]
pub struct CountingRandom(AtomicU8);

impl RandomSource for CountingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// A random source that always fails.
#[derive(Debug, Default)]
pub struct FailingRandom;

impl RandomSource for FailingRandom {
    fn fill(&self, _buf: &mut [u8]) -> Result<(), Error> {
        Err(Error::Random)
    }
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn b64(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn hash_of(mechanism: &str) -> (ScramHash, bool) {
    let plus = mechanism.ends_with("-PLUS");
    let base = mechanism.trim_end_matches("-PLUS");
    let hash = match base {
        "SCRAM-SHA-1" => ScramHash::Sha1,
        "SCRAM-SHA-256" => ScramHash::Sha256,
        "SCRAM-SHA-512" => ScramHash::Sha512,
        other => panic!("unknown mechanism {other}"),
    };
    (hash, plus)
}

pub const SECRET: &[u8; 32] = b"test server secret, 32 bytes...!";

pub fn server_config() -> ScramServerConfig {
    ScramServerConfig::new(*SECRET)
        .unwrap()
        .with_random(Arc::new(CountingRandom::default()))
}

/// How the server's lookup is answered in [`exchange`].
pub enum Store {
    Found(ScramCredentials),
    FoundWithAuthzid(ScramCredentials),
    Rejected(FailureKind),
}

impl Store {
    pub fn verdict(self, _lookup: &ScramLookup) -> Verdict {
        match self {
            Store::Found(credentials) => Verdict::ScramFound {
                credentials,
                authzid_granted: false,
            },
            Store::FoundWithAuthzid(credentials) => Verdict::ScramFound {
                credentials,
                authzid_granted: true,
            },
            Store::Rejected(kind) => Verdict::Rejected(kind),
        }
    }
}

/// What happened in one in-memory exchange.
#[derive(Debug)]
pub struct Transcript {
    /// Messages in order: client-first, server-first, client-final, server-final.
    pub messages: Vec<Vec<u8>>,
    pub lookup_authcid: Option<String>,
    pub server: Option<Result<ServerSuccess, ServerFailure>>,
    pub client: Option<Result<sasl_core::ClientSuccess, ClientFailure>>,
}

impl Transcript {
    pub fn server_ok(&self) -> bool {
        matches!(self.server, Some(Ok(_)))
    }
    pub fn client_ok(&self) -> bool {
        matches!(self.client, Some(Ok(_)))
    }
    pub fn server_failure(&self) -> &ServerFailure {
        match &self.server {
            Some(Err(f)) => f,
            other => panic!("server did not fail: {other:?}"),
        }
    }
    pub fn shape(&self) -> Vec<usize> {
        self.messages.iter().map(Vec::len).collect()
    }
}

/// Runs a typed exchange; `tamper(index, message)` may rewrite any message in flight.
pub fn exchange(
    client: &mut ScramClient,
    server: &mut ScramServer,
    store: Store,
    mut tamper: impl FnMut(usize, &mut Vec<u8>),
) -> Transcript {
    let mut t = Transcript {
        messages: Vec::new(),
        lookup_authcid: None,
        server: None,
        client: None,
    };
    let ClientStep::Respond(m) = client.start().unwrap() else {
        panic!("client did not start")
    };
    let mut m = m.expose().clone();
    tamper(0, &mut m);
    t.messages.push(m.clone());
    let step = server.start(Some(&m)).unwrap();
    let step = match step {
        ServerStep::Request(Request::ScramLookup(lookup)) => {
            t.lookup_authcid = Some(lookup.authcid().to_owned());
            let v = store.verdict(&lookup);
            server.provide(v).unwrap()
        }
        ServerStep::Failure(f) => {
            t.server = Some(Err(f));
            return t;
        }
        other => panic!("unexpected {other:?}"),
    };
    let ServerStep::Challenge(mut sf) = step else {
        panic!("expected server-first, got {step:?}")
    };
    tamper(1, &mut sf);
    t.messages.push(sf.clone());
    let mut cf = match client.step(&sf).unwrap() {
        ClientStep::Respond(cf) => cf.expose().clone(),
        ClientStep::Abort(f) => {
            t.client = Some(Err(f));
            return t;
        }
        other => panic!("unexpected {other:?}"),
    };
    tamper(2, &mut cf);
    t.messages.push(cf.clone());
    match server.step(&cf).unwrap() {
        ServerStep::Success(auth) => {
            let mut v = auth.additional_data().unwrap().to_vec();
            tamper(3, &mut v);
            t.messages.push(v.clone());
            t.server = Some(Ok(auth));
            match client.step(&v).unwrap() {
                ClientStep::Respond(empty) => {
                    assert!(empty.expose().is_empty());
                    t.client = Some(match client.finish(ServerReply::success()).unwrap() {
                        ClientOutcome::Success(s) => Ok(s),
                        ClientOutcome::Failure(f) => Err(f),
                    });
                }
                ClientStep::Abort(f) => t.client = Some(Err(f)),
                other => panic!("unexpected {other:?}"),
            }
        }
        ServerStep::Failure(f) => {
            if let Some(m) = f.message() {
                let mut m = m.to_vec();
                tamper(3, &mut m);
                t.messages.push(m.clone());
                t.client = Some(match client.step(&m).unwrap() {
                    ClientStep::Abort(f) => Err(f),
                    other => panic!("client accepted an error message: {other:?}"),
                });
            }
            t.server = Some(Err(f));
        }
        other => panic!("unexpected {other:?}"),
    }
    t
}

pub fn no_tamper(_: usize, _: &mut Vec<u8>) {}
