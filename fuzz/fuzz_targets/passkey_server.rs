//! The PASSKEY server session fed arbitrary messages (first message, then responses
//! split on 0xFF), in either codec: never panics, and never authenticates (no
//! assertion the fuzzer writes carries a valid signature of the stored key). The
//! random source is deterministic, so every run issues the same challenge and the
//! fuzzer (its dictionary holds the challenge) gets past the challenge check to the
//! origin, RP ID, flag, counter and signature checks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{
    Answer, ConnectionInfo, PasskeyAccount, PasskeyCredential, Request, ServerRegistry, ServerStep,
    UnixTime,
};
use sasl_fuzz::FixedRandom;
use sasl_passkey::webauthn::RelyingParty;
use sasl_passkey::{Codec, PasskeyServer, PasskeyServerConfig};

// The W3C ES256 test vector's public key (COSE) and credential id.
const COSE: &str = "a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| {
            s.get(2 * i..2 * i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

fn store(request: Request) -> Answer {
    match request {
        Request::PasskeyLookup(r) => {
            let cred =
                PasskeyCredential::new(b"cred".to_vec(), hex(COSE), 0).with_backup(true, true);
            r.found(PasskeyAccount::new("alice", b"alice".to_vec(), vec![cred]))
        }
        other => other.unavailable(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let codec = if selector & 1 == 0 {
        Codec::Json
    } else {
        Codec::Cbor
    };
    let rp = RelyingParty::new("example.org", ["https://example.org"]);
    let Ok(config) = PasskeyServerConfig::new(rp) else {
        return;
    };
    let mechs = ServerRegistry::new().with(PasskeyServer::factory(
        config
            .with_codec(codec)
            .with_random(std::sync::Arc::new(FixedRandom)),
    ));
    let Ok(mut session) = mechs.start("PASSKEY", &ConnectionInfo::tls()) else {
        return;
    };
    session.set_now(UnixTime::from_secs(1_767_225_600));
    let mut messages = rest.split(|&b| b == 0xFF);
    let first = messages.next().unwrap_or_default();
    let Ok(mut step) = session.start_with(Some(first), &store) else {
        return;
    };
    for response in messages {
        match step {
            ServerStep::Challenge(_) => match session.step_with(response, &store) {
                Ok(next) => step = next,
                Err(_) => return,
            },
            _ => break,
        }
    }
    assert!(!matches!(step, ServerStep::Success(_)));
});
