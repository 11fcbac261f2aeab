//! The client sessions no other target drives: PLAIN, LOGIN, EXTERNAL and PASSKEY
//! (with a software authenticator answering its requests), fed arbitrary server
//! challenges and a final reply. Input: a selector byte (bits 0-1 the mechanism, bit 2
//! the password given up front or asked for, bit 3 an authzid, bit 4 the last part
//! read as an IMAP status line rather than success data), then the challenges split
//! on 0xFF, the last part ending the exchange. Beyond "no panic": the password goes
//! out at most once (plus the RFC 4422 §5 re-send of the initial response), LOGIN
//! sends it only after the user name, PASSKEY signs only for a relying party the
//! server's host belongs to, and the client reports success only after a success
//! reply.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{
    ClientCredentials, ClientOutcome, ClientRegistry, ClientRequest, ClientSession, ClientStep,
    ConnectionInfo, ServerReply,
};
use sasl_passkey::authenticator::{AssertionOptions, Authenticator, RegistrationOptions};
use sasl_passkey::{PasskeyClient, SoftwareAuthenticator};
use std::sync::{Mutex, OnceLock};

const PASSWORD: &str = "pencil-9f1c2e";
const SERVER_HOST: &str = "imap.example.com";

/// One authenticator with one credential for `example.com`, made once.
fn authenticator() -> &'static Mutex<SoftwareAuthenticator> {
    static AUTH: OnceLock<Mutex<SoftwareAuthenticator>> = OnceLock::new();
    AUTH.get_or_init(|| {
        let mut auth = SoftwareAuthenticator::new("https://imap.example.com");
        let options =
            RegistrationOptions::new("example.com", b"alice".to_vec(), "alice", vec![7; 32]);
        assert!(
            auth.register(&options).is_ok(),
            "registration of the fixture"
        );
        Mutex::new(auth)
    })
}

/// The RP ID rule the client promises: the server's host, or a dotted suffix of it.
fn fits(rp_id: &str) -> bool {
    let rp = rp_id.to_ascii_lowercase();
    rp == SERVER_HOST
        || (rp.contains('.')
            && SERVER_HOST
                .strip_suffix(&rp)
                .is_some_and(|h| h.ends_with('.')))
}

/// Answers requests until the session says something else.
fn answer(session: &mut ClientSession, mut step: ClientStep) -> ClientStep {
    loop {
        let ClientStep::Request(request) = step else {
            return step;
        };
        let answer = match request {
            ClientRequest::Password(prompt) => prompt.provide(PASSWORD),
            ClientRequest::PasskeyAssertion(request) => {
                assert!(
                    fits(request.rp_id()),
                    "asked to sign for {:?}",
                    request.rp_id()
                );
                let options = AssertionOptions::from(&*request);
                let signed = authenticator()
                    .lock()
                    .ok()
                    .and_then(|mut auth| auth.get_assertion(&options).ok());
                match signed {
                    Some(assertion) => request.provide(assertion),
                    None => ClientRequest::PasskeyAssertion(request).decline(),
                }
            }
            other => other.decline(),
        };
        step = match session.provide(answer) {
            Ok(step) => step,
            Err(_) => panic!("the pending request's own answer was refused"),
        };
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mechanism = ["PLAIN", "LOGIN", "EXTERNAL", "PASSKEY"][usize::from(selector & 3)];
    let mut credentials = ClientCredentials::new("alice");
    if selector & 4 != 0 {
        credentials = credentials.with_password(PASSWORD);
    }
    if selector & 8 != 0 {
        credentials = credentials.with_authzid("bob");
    }
    if mechanism == "PASSKEY" {
        credentials = credentials.with_passkey();
    }
    let connection = ConnectionInfo::tls().with_server(SERVER_HOST, 993);
    let registry = ClientRegistry::new()
        .with(sasl_plain::PlainClient::factory())
        .with(sasl_plain::LoginClient::factory())
        .with(sasl_external::ExternalClient::factory())
        .with(PasskeyClient::factory());
    let Ok(mut session) = registry.start(mechanism, &[mechanism], credentials, &connection) else {
        return;
    };

    let mut parts: Vec<&[u8]> = rest.split(|&b| b == 0xff).collect();
    let last = parts.pop().unwrap_or_default();
    let Ok(step) = session.start() else {
        return;
    };
    let step = answer(&mut session, step);
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let initial = matches!(step, ClientStep::Respond(_));
    let mut user_sent = false;
    let mut ended = false;
    let note = |step: &ClientStep, sent: &mut Vec<Vec<u8>>| match step {
        ClientStep::Respond(r) => sent.push(r.expose().to_vec()),
        ClientStep::Abort(_) => {}
        ClientStep::AwaitChallenge | ClientStep::Request(_) => {}
    };
    note(&step, &mut sent);
    if matches!(step, ClientStep::Abort(_)) {
        ended = true;
    }
    let resend = initial && parts.first().is_some_and(|c| c.is_empty());
    for challenge in &parts {
        if ended {
            break;
        }
        let Ok(step) = session.step(challenge) else {
            ended = true;
            break;
        };
        let step = answer(&mut session, step);
        if let ClientStep::Respond(r) = &step {
            if mechanism == "LOGIN" && r.expose() == b"alice" {
                user_sent = true;
            }
            if mechanism == "LOGIN" && r.expose() == PASSWORD.as_bytes() {
                assert!(user_sent, "LOGIN sent the password before the user name");
            }
        }
        ended = matches!(step, ClientStep::Abort(_));
        note(&step, &mut sent);
    }

    let with_password = sent
        .iter()
        .filter(|r| r.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()))
        .count();
    assert!(
        with_password <= 1 + usize::from(resend),
        "password sent {with_password} times"
    );
    if mechanism == "EXTERNAL" || mechanism == "PASSKEY" {
        assert_eq!(with_password, 0, "{mechanism} sent the password");
    }

    if ended {
        assert!(session.finish(ServerReply::success()).is_err());
        return;
    }
    let reply = if selector & 16 != 0 {
        match std::str::from_utf8(last)
            .ok()
            .and_then(|l| ServerReply::from_imap("a1", l))
        {
            Some(reply) => reply,
            None => return,
        }
    } else {
        ServerReply::Success {
            additional_data: Some(last.to_vec()).filter(|d| !d.is_empty()),
        }
    };
    let was_success = matches!(reply, ServerReply::Success { .. });
    if let Ok(ClientOutcome::Success(_)) = session.finish(reply) {
        assert!(was_success, "success after a failure reply");
    }
});
