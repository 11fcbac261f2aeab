//! One PASSKEY server exchange per W3C WebAuthn vector (ES256, EdDSA, RS256), written
//! as a server author would use the sessions: first message naming the user, the
//! lookup answered with the account, the request options sent, the assertion decoded
//! from WebAuthn JSON, verified, success. Included (with `#[path]`) by the `passkey`
//! timing bench and the allocation test, so both run exactly the same exchange.
//!
//! The session's random source returns the vector's challenge, so the vector's
//! signed assertion answers it.

use sasl_core::{
    Answer, ConnectionInfo, PasskeyAccount, PasskeyAssertion, PasskeyCredential, Request,
    ServerRegistry, ServerStep, ServerSuccess, Store, UnixTime,
};
use sasl_passkey::codec::encode_assertion;
use sasl_passkey::webauthn::RelyingParty;
use sasl_passkey::{Codec, PasskeyServer, PasskeyServerConfig};
use serde_json::Value;
use std::sync::Arc;

/// The vectors, as the specification digest ships them.
const VECTORS: &str = include_str!("../../shared/specs/webauthn_vectors.json");

/// When the exchanges run (inside every vector's challenge lifetime).
const NOW: u64 = 1_767_225_600;

/// Lowercase hex as the vectors spell it.
pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// One vector's account, assertion and registry.
pub struct PasskeyFixture {
    /// `es256`, `eddsa` or `rs256`.
    pub case: &'static str,
    /// The credential's COSE public key.
    pub cose_key: Vec<u8>,
    /// The challenge the assertion signed.
    pub challenge: Vec<u8>,
    /// The stored account (user `alice`, the vector's one credential).
    pub account: PasskeyAccount,
    /// The vector's assertion.
    pub assertion: PasskeyAssertion,
    /// The relying party (the vector's RP ID and origin).
    pub rp: RelyingParty,
    /// The assertion in WebAuthn JSON, as the client sends it.
    pub response: Vec<u8>,
    mechs: ServerRegistry,
    conn: ConnectionInfo,
}

impl PasskeyFixture {
    /// One fixture per vector, in the vectors' order.
    pub fn all() -> Vec<Self> {
        let json: Value = serde_json::from_str(VECTORS).unwrap();
        json["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(Self::new)
            .collect()
    }

    fn new(v: &Value) -> Self {
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        let a = &v["assertion"];
        let sa = |k: &str| hex(a[k].as_str().unwrap());
        let case = match v["alg"].as_i64().unwrap() {
            -7 => "es256",
            -8 => "eddsa",
            _ => "rs256",
        };
        let cose_key = hex(&s("credential_public_key_cose_hex"));
        let credential_id = hex(&s("credential_id_hex"));
        let challenge = sa("challenge_hex");
        let account = PasskeyAccount::new(
            "alice",
            b"alice".to_vec(),
            vec![
                PasskeyCredential::new(credential_id.clone(), cose_key.clone(), 0)
                    .with_backup(a["BE"] == true, a["BS"] == true),
            ],
        );
        let assertion = PasskeyAssertion {
            credential_id,
            authenticator_data: sa("authenticatorData_hex"),
            client_data_json: sa("clientDataJSON_hex"),
            signature: sa("signature_hex"),
            user_handle: None,
        };
        let rp = RelyingParty::new(s("rpId"), [s("expected_origin")]);
        let config = PasskeyServerConfig::new(rp.clone())
            .unwrap()
            .with_random(Arc::new(sasl_test::FixedRandom(challenge.clone())));
        let response = encode_assertion(Codec::Json, &assertion);
        Self {
            case,
            cose_key,
            challenge,
            account,
            assertion,
            rp,
            response,
            mechs: ServerRegistry::new().with(PasskeyServer::factory(config)),
            conn: ConnectionInfo::tls(),
        }
    }

    /// The application's answer: the account for its lookup, nothing else.
    pub fn answer(&self, request: Request) -> Answer {
        match request {
            Request::PasskeyLookup(q) => q.found(self.account.clone()),
            other => other.unavailable(),
        }
    }

    /// A session started up to its challenge (the request options), the lookup
    /// answered by `store`; whether the challenge came.
    pub fn first_step(&self, store: &impl Store) -> bool {
        let mut session = self.mechs.start("PASSKEY", &self.conn).unwrap();
        session.set_now(UnixTime::from_secs(NOW));
        matches!(
            session.start_with(Some(b"alice"), store),
            Ok(ServerStep::Challenge(_))
        )
    }

    /// The whole exchange, the lookup answered by `store`; panics unless it succeeds.
    pub fn exchange(&self, store: &impl Store) -> ServerSuccess {
        let mut session = self.mechs.start("PASSKEY", &self.conn).unwrap();
        session.set_now(UnixTime::from_secs(NOW));
        let Ok(ServerStep::Challenge(_)) = session.start_with(Some(b"alice"), store) else {
            panic!("options expected")
        };
        match session.step_with(&self.response, store) {
            Ok(ServerStep::Success(ok)) => ok,
            other => panic!("{other:?}"),
        }
    }
}
