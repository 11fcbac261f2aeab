//! A SCRAM client fed arbitrary server messages and outcomes: never panics, and never
//! reports success, since the fuzzer cannot forge the server signature.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{
    ClientCredentials, ClientRegistry, ClientStep, ConnectionInfo, Error, RandomSource, ServerReply,
};
use std::sync::Arc;

/// All-zero "randomness": the client nonce is then fixed (24 `A`s), so fuzzed
/// server-first messages can extend it and reach the proof and signature code.
struct Zeros;

impl RandomSource for Zeros {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        buf.fill(0);
        Ok(())
    }
}

// Input: one byte choosing the hash, then the server's messages separated by 0xFF; the
// last one is delivered as additional data with success.
fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut challenges: Vec<&[u8]> = rest.split(|&b| b == 0xFF).collect();
    let success_data = challenges.pop().map(<[u8]>::to_vec);
    let names = ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"];
    let name = names[usize::from(which) % names.len()];
    // A low iteration floor lets fuzzed server-first messages reach the proof code fast.
    let config = sasl_scram::ScramClientConfig::new()
        .with_iterations(1, 64)
        .unwrap()
        .with_random(Arc::new(Zeros));
    let mechs = ClientRegistry::new().with_all(sasl_scram::client_factories(config));
    let creds = ClientCredentials::new("user").with_password("pencil");
    let Ok(mut session) = mechs.start(name, &[name], creds, &ConnectionInfo::tls()) else {
        return;
    };
    if session.start().is_err() {
        return;
    }
    for challenge in &challenges {
        match session.step(challenge) {
            Ok(ClientStep::Respond(_)) => {}
            _ => return,
        }
    }
    if let Ok(outcome) = session.finish(ServerReply::Success {
        additional_data: success_data,
    }) {
        assert!(
            !outcome.is_authenticated(),
            "client accepted a server it cannot have verified"
        );
    }
});
