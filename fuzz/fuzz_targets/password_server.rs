//! PLAIN and LOGIN server sessions fed arbitrary messages: never panic, and never
//! succeed without the one valid password. Input: one byte choosing the mechanism
//! (and whether there is an initial response), then messages split on 0xFF.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{Answer, ConnectionInfo, Request, ServerRegistry, ServerStep};

fn store(request: Request) -> Answer {
    match request {
        Request::VerifyPassword(r) if r.authcid() == "tim" && r.password_matches("secret") => {
            r.valid()
        }
        Request::VerifyPassword(r) => r.invalid(),
        other => other.unavailable(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let name = if selector & 1 == 0 { "PLAIN" } else { "LOGIN" };
    let mut messages = rest.split(|&b| b == 0xFF);
    let initial = if selector & 2 == 0 {
        None
    } else {
        messages.next()
    };
    let mechs = ServerRegistry::new()
        .with(sasl_plain::PlainServer::factory())
        .with(sasl_plain::LoginServer::factory());
    let Ok(mut session) = mechs.start(name, &ConnectionInfo::tls()) else {
        return;
    };
    let Ok(mut step) = session.start_with(initial, &store) else {
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
    if let ServerStep::Success(auth) = step {
        assert_eq!(auth.authcid(), "tim");
    }
});
