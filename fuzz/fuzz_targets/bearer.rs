//! The OAUTHBEARER and XOAUTH2 server sessions and clients fed arbitrary messages:
//! never panic; the server authenticates only the one valid token's subject, the
//! client never succeeds after an error challenge.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{
    Answer, ClientCredentials, ClientRegistry, ClientStep, ConnectionInfo, Request, ServerRegistry,
    ServerReply, ServerStep, TokenGrant,
};
use sasl_oauthbearer::{BearerClient, BearerMechanism, BearerServer, BearerServerConfig};

fn store(request: Request) -> Answer {
    match request {
        Request::ValidateToken(r) if r.token() == "good" => r.valid(TokenGrant::new("tim")),
        Request::ValidateToken(r) => r.expired(),
        other => other.unavailable(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mech = if selector & 2 == 0 {
        BearerMechanism::OAuthBearer
    } else {
        BearerMechanism::XOAuth2
    };
    let name = mech.name();
    let conn = ConnectionInfo::tls().with_server("imap.example.org", 993);
    if selector & 4 == 0 {
        let mut messages = rest.split(|&b| b == 0xFF);
        let initial = if selector & 1 == 0 {
            None
        } else {
            messages.next()
        };
        let config = BearerServerConfig::new().with_scope("mail");
        let mechs = ServerRegistry::new().with(BearerServer::factory(mech, config));
        let Ok(mut session) = mechs.start(name.as_str(), &conn) else {
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
    } else {
        let clients = ClientRegistry::new().with(BearerClient::factory(mech));
        let creds = ClientCredentials::new("tim").with_bearer_token("good");
        let Ok(mut session) = clients.start(name.as_str(), &[name.as_str()], creds, &conn) else {
            return;
        };
        if session.start().is_err() {
            return;
        }
        let mut challenged = false;
        for challenge in rest.split(|&b| b == 0xFF) {
            match session.step(challenge) {
                Ok(ClientStep::Respond(_)) => challenged |= !challenge.is_empty(),
                _ => return,
            }
        }
        if let Ok(outcome) = session.finish(ServerReply::success()) {
            assert!(!(challenged && outcome.is_authenticated()));
        }
    }
});
