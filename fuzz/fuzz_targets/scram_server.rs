//! A SCRAM server session (SHA-256 or SHA-256-PLUS, with `tls-exporter` binding data
//! on the connection) fed arbitrary client messages and arbitrary lookup answers, with
//! a deterministic random source, so the server nonce is the same in every run.
//!
//! Input: a selector byte, then the client's messages split on 0xFF (a byte that never
//! occurs in SCRAM's UTF-8), so that seeds are plain transcripts. Selector bits:
//! - bit 0: the -PLUS mechanism;
//! - bits 1-2: the application's lookup answer (the credentials, not found,
//!   unavailable, another user's credentials);
//! - bit 3: the target repairs the client-final message, putting in the server's
//!   nonce and the right proof for the bytes exchanged, so the fuzzer gets past the
//!   proof check to the channel-binding check and success;
//! - bit 4: no initial response (every part answers a challenge).
//!
//! Beyond "no panic": success only with the real credentials, a nonce that is the
//! server's, a `c=` that is exactly the GS2 header (and, for -PLUS, the binding data),
//! and a proof that an independent computation (the `hmac`, `sha2` and `pbkdf2`
//! crates) finds right for the exact bytes exchanged.
#![no_main]
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sasl_core::{
    Answer, ChannelBinding, ChannelBindingType, ConnectionInfo, Request, ScramCredentials,
    ScramHash, ServerRegistry, ServerStep,
};
use sasl_fuzz::FixedRandom;
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

const PASSWORD: &str = "secret";
const SALT: &[u8] = b"fuzzing salt 16b";
const ITERATIONS: u32 = 2;
const CB_DATA: [u8; 32] = [9; 32];

fn credentials() -> &'static ScramCredentials {
    static CREDS: OnceLock<ScramCredentials> = OnceLock::new();
    // Few iterations keep the fuzzer fast; the proof check is the same.
    CREDS.get_or_init(|| {
        sasl_scram::derive(ScramHash::Sha256, PASSWORD, SALT, ITERATIONS).expect("fixture")
    })
}

fn other_credentials() -> &'static ScramCredentials {
    static CREDS: OnceLock<ScramCredentials> = OnceLock::new();
    CREDS.get_or_init(|| {
        sasl_scram::derive(ScramHash::Sha256, "other password", SALT, ITERATIONS).expect("fixture")
    })
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// ClientProof for `auth_message`, computed from the password (RFC 5802 §3).
fn expected_proof(auth_message: &[u8]) -> [u8; 32] {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(PASSWORD.as_bytes(), SALT, ITERATIONS, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key: [u8; 32] = Sha256::digest(client_key).into();
    let signature = hmac(&stored_key, auth_message);
    let mut proof = client_key;
    for (p, s) in proof.iter_mut().zip(signature) {
        *p ^= s;
    }
    proof
}

/// `r=` of a server-first message.
fn server_nonce(server_first: &[u8]) -> Option<&[u8]> {
    server_first
        .split(|&b| b == b',')
        .next()?
        .strip_prefix(b"r=")
}

/// Splits client-final into the message without proof and the `p=` value.
fn split_proof(last: &[u8]) -> (&[u8], Option<&[u8]>) {
    let at = last.windows(3).rposition(|w| w == b",p=");
    match at {
        Some(i) => (&last[..i], last.get(i + 3..)),
        None => (last, None),
    }
}

/// The GS2 header (up to and including the second comma) and the bare message.
fn split_gs2(first: &[u8]) -> Option<(&[u8], &[u8])> {
    let one = first.iter().position(|&b| b == b',')?;
    let two = one + 1 + first.get(one + 1..)?.iter().position(|&b| b == b',')?;
    Some((first.get(..=two)?, first.get(two + 1..)?))
}

fn auth_message(bare: &[u8], server_first: &[u8], without_proof: &[u8]) -> Vec<u8> {
    [bare, server_first, without_proof].join(&b","[..])
}

/// Client-final with the server's nonce in every `r=` and the right proof appended.
fn repair(last: &[u8], bare: &[u8], server_first: &[u8]) -> Option<Vec<u8>> {
    let nonce = server_nonce(server_first)?;
    let (without_proof, _) = split_proof(last);
    let fields: Vec<Vec<u8>> = without_proof
        .split(|&b| b == b',')
        .map(|f| {
            if f.starts_with(b"r=") {
                [b"r=", nonce].concat()
            } else {
                f.to_vec()
            }
        })
        .collect();
    let without_proof = fields.join(&b","[..]);
    let proof = expected_proof(&auth_message(bare, server_first, &without_proof));
    let mut out = without_proof;
    out.extend_from_slice(b",p=");
    out.extend_from_slice(B64.encode(proof).as_bytes());
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let plus = selector & 1 == 1;
    let lookup = (selector >> 1) & 3;
    let repairing = selector & 8 != 0;
    let store = |request: Request| -> Answer {
        match request {
            Request::ScramLookup(l) => match lookup {
                0 if l.authcid() == "user" => l.found(credentials().clone()),
                0 | 1 => l.not_found(),
                2 => Request::ScramLookup(l).unavailable(),
                _ => l.found(other_credentials().clone()),
            },
            other => other.unavailable(),
        }
    };
    let mut messages = rest.split(|&b| b == 0xFF);
    let initial = if selector & 16 == 0 {
        messages.next()
    } else {
        None
    };
    let steps: Vec<&[u8]> = messages.collect();
    let config = sasl_scram::ScramServerConfig::new(*b"fuzz server secret, 32 bytes!!!!")
        .expect("fixture")
        .with_unknown_user_iterations(2)
        .with_random(Arc::new(FixedRandom));
    let mechs = ServerRegistry::new().with_all(sasl_scram::server_factories(config));
    let conn = ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsExporter,
        CB_DATA.to_vec(),
    ));
    let name = if plus {
        "SCRAM-SHA-256-PLUS"
    } else {
        "SCRAM-SHA-256"
    };
    let Ok(mut session) = mechs.start(name, &conn) else {
        return;
    };
    let Ok(mut step) = session.start_with(initial, &store) else {
        return;
    };
    // The exchange as the server saw it: client-first, server-first, client-final.
    let mut first: Option<Vec<u8>> = initial.map(<[u8]>::to_vec);
    let mut server_first: Option<Vec<u8>> = None;
    let mut last: Option<Vec<u8>> = None;
    for response in &steps {
        let ServerStep::Challenge(challenge) = &step else {
            break;
        };
        let mut response = response.to_vec();
        if first.is_none() {
            first = Some(response.clone());
        } else if server_first.is_none() {
            server_first = Some(challenge.clone());
            let bare = first.as_deref().and_then(split_gs2).map(|(_, bare)| bare);
            if let (true, Some(bare)) = (repairing, bare) {
                response = repair(&response, bare, challenge).unwrap_or(response);
            }
            last = Some(response.clone());
        }
        match session.step_with(&response, &store) {
            Ok(next) => step = next,
            Err(_) => return,
        }
    }
    if !matches!(step, ServerStep::Success(_)) {
        return;
    }
    // The server said yes: check everything independently.
    assert_eq!(lookup, 0, "success without the user's credentials");
    let (first, server_first, last) = (
        first.expect("success needs client-first"),
        server_first.expect("success needs server-first"),
        last.expect("success needs client-final"),
    );
    let (gs2, bare) = split_gs2(&first).expect("client-first has a GS2 header");
    let (without_proof, proof) = split_proof(&last);
    let proof = B64
        .decode(proof.expect("client-final has a proof"))
        .expect("proof is base64");
    assert_eq!(
        proof,
        expected_proof(&auth_message(bare, &server_first, without_proof)),
        "wrong proof accepted"
    );
    let nonce = server_nonce(&server_first).expect("server-first has a nonce");
    let fields: Vec<&[u8]> = without_proof.split(|&b| b == b',').collect();
    assert_eq!(
        fields.get(1).copied(),
        Some(&[b"r=", nonce].concat()[..]),
        "nonce not the server's"
    );
    let mut cbind = gs2.to_vec();
    if gs2.starts_with(b"p=") {
        assert!(plus, "channel binding accepted on the non-PLUS mechanism");
        cbind.extend_from_slice(&CB_DATA);
    }
    assert_eq!(
        fields.first().copied(),
        Some(format!("c={}", B64.encode(&cbind)).as_bytes()),
        "c= accepted"
    );
});
