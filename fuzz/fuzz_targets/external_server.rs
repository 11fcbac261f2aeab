//! The EXTERNAL server session fed arbitrary messages, with or without an initial
//! response: never panics, and authenticates only as the external identity or as the
//! one authzid the application grants.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{Answer, ConnectionInfo, Request, ServerRegistry, ServerStep};

fn store(request: Request) -> Answer {
    match request {
        Request::AuthorizeExternal(r) if r.authzid() == "shared" => r.grant(),
        Request::AuthorizeExternal(r) => r.deny(),
        other => other.unavailable(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut messages = rest.split(|&b| b == 0xFF);
    let initial = if selector & 1 == 0 {
        None
    } else {
        messages.next()
    };
    let conn = ConnectionInfo::tls().with_external_identity("alice");
    let mechs = ServerRegistry::new().with(sasl_external::ExternalServer::factory());
    let Ok(mut session) = mechs.start("EXTERNAL", &conn) else {
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
        assert_eq!(auth.authcid(), "alice");
        assert!(auth.identity() == "alice" || auth.identity() == "shared");
    }
});
