//! A SCRAM server session (SHA-256 or SHA-256-PLUS, with channel-binding data on the
//! connection) fed arbitrary client messages: never panics, and never succeeds, since
//! the fuzzer cannot produce a valid proof for the stored credentials.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{
    Answer, ChannelBinding, ChannelBindingType, ConnectionInfo, Request, ScramCredentials,
    ScramHash, ServerRegistry, ServerStep,
};
use std::sync::OnceLock;

fn credentials() -> &'static ScramCredentials {
    static CREDS: OnceLock<ScramCredentials> = OnceLock::new();
    // Few iterations keep the fuzzer fast; the proof check is the same.
    CREDS.get_or_init(|| {
        sasl_scram::derive(ScramHash::Sha256, "secret", b"fuzzing salt 16b", 2).unwrap()
    })
}

fn store(request: Request) -> Answer {
    match request {
        Request::ScramLookup(l) if l.authcid() == "user" => l.found(credentials().clone()),
        Request::ScramLookup(l) => l.not_found(),
        other => other.unavailable(),
    }
}

// Input: one byte choosing the mechanism, then the client's messages separated by 0xFF
// (a byte that never occurs in SCRAM's UTF-8), so that seeds are plain transcripts.
fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let plus = selector & 1 == 1;
    let mut messages = rest.split(|&b| b == 0xFF);
    let initial = messages.next();
    let steps: Vec<&[u8]> = messages.collect();
    let config = sasl_scram::ScramServerConfig::new(*b"fuzz server secret, 32 bytes!!!!")
        .unwrap()
        .with_unknown_user_iterations(2);
    let mechs = ServerRegistry::new().with_all(sasl_scram::server_factories(config));
    let conn = ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsExporter,
        vec![9; 32],
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
    for response in &steps {
        match step {
            ServerStep::Challenge(_) => match session.step_with(response, &store) {
                Ok(next) => step = next,
                Err(_) => return,
            },
            _ => break,
        }
    }
    assert!(
        !matches!(step, ServerStep::Success(_)),
        "forged SCRAM proof accepted"
    );
});
