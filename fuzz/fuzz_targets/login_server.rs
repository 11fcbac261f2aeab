//! A LOGIN server session fed arbitrary messages: never panics, and never succeeds
//! without the one valid password.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{Answer, ConnectionInfo, Request, ServerMechanisms, ServerStep};

fn store(request: Request) -> Answer {
    match request {
        Request::VerifyPassword(r) if r.authcid() == "tim" && r.password_matches("secret") => r.valid(),
        Request::VerifyPassword(r) => r.invalid(),
        other => other.unavailable(),
    }
}

fuzz_target!(|input: (Option<Vec<u8>>, Vec<Vec<u8>>)| {
    let (initial, steps) = input;
    let mechs = ServerMechanisms::new().with(sasl_plain::LoginServer::factory());
    let Ok(mut session) = mechs.start("LOGIN", &ConnectionInfo::tls()) else { return };
    let Ok(mut step) = session.start_with(initial.as_deref(), &store) else { return };
    for response in &steps {
        match step {
            ServerStep::Challenge(_) => match session.step_with(response, &store) {
                Ok(next) => step = next,
                Err(_) => return,
            },
            _ => break,
        }
    }
    if let ServerStep::Success(auth) = step {
        assert_eq!(auth.authcid(), "tim");
    }
});
