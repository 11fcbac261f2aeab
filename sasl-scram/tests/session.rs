//! The SCRAM factories under the sasl-core session API and registries.
// Test helpers outside #[test] functions may panic: clippy.toml only exempts the
// test functions themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/helpers.rs"]
mod helpers;

use helpers::*;
use sasl_core::{
    ChannelBinding, ChannelBindingType, ClientCredentials, ClientRegistry, ClientOutcome,
    ClientStep, ConnectionInfo, FailureKind, Request, ScramHash, ServerRegistry, ServerReply,
    ServerStep, SuccessData,
};
use sasl_scram::{
    ScramClient, ScramClientConfig, ScramServer, client_factories, derive, mechanism_name,
    server_factories,
};

fn store(request: Request) -> sasl_core::Answer {
    match request {
        Request::ScramLookup(l) if l.authcid() == "user" => {
            let creds = derive(l.hash(), "pencil", b"0123456789abcdef", 4096).unwrap();
            l.found(creds)
        }
        Request::ScramLookup(l) => l.not_found(),
        other => other.reject(FailureKind::Other),
    }
}

/// Runs a whole exchange through the sessions; returns (mechanism, server ok, client ok).
fn run(conn: &ConnectionInfo, password: &str) -> (String, bool, bool) {
    let server_mechs = ServerRegistry::new().with_all(server_factories(server_config()));
    let client_mechs = ClientRegistry::new().with_all(client_factories(ScramClientConfig::new()));
    let advertised = server_mechs.advertise(conn);
    let creds = ClientCredentials::new("user").with_password(password);
    let mut client = client_mechs.start_best(&advertised, creds, conn).unwrap();
    let name = client.mechanism().to_string();
    let mut server = server_mechs.start(&name, conn).unwrap();
    let ClientStep::Respond(first) = client.start().unwrap() else {
        panic!()
    };
    let mut step = server.start_with(Some(&first), &store).unwrap();
    loop {
        match step {
            ServerStep::Challenge(c) => match client.step(&c).unwrap() {
                ClientStep::Respond(r) => step = server.step_with(&r, &store).unwrap(),
                ClientStep::Abort(_) => return (name, false, false),
                other => panic!("{other:?}"),
            },
            ServerStep::Success(auth) => {
                let out = client
                    .finish(ServerReply::Success {
                        additional_data: auth.additional_data().map(<[u8]>::to_vec),
                    })
                    .unwrap();
                return (name, true, out.is_authenticated());
            }
            ServerStep::Failure(_) => {
                let out = client.finish(ServerReply::failure()).unwrap();
                return (name, false, out.is_authenticated());
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn registry_picks_plus_first_and_completes() {
    let cb = ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsExporter,
        vec![5; 32],
    ));
    assert_eq!(
        run(&cb, "pencil"),
        ("SCRAM-SHA-512-PLUS".into(), true, true)
    );
    assert_eq!(
        run(&ConnectionInfo::tls(), "pencil"),
        ("SCRAM-SHA-512".into(), true, true)
    );
    assert_eq!(
        run(&ConnectionInfo::tls(), "wrong"),
        ("SCRAM-SHA-512".into(), false, false)
    );
    let xmpp = ConnectionInfo::tls().with_success_data(SuccessData::InOutcome);
    assert_eq!(run(&xmpp, "pencil"), ("SCRAM-SHA-512".into(), true, true));
}

#[test]
fn advertised_names() {
    let server_mechs = ServerRegistry::new().with_all(server_factories(server_config()));
    let names = |c: &ConnectionInfo| -> Vec<String> {
        let mut v: Vec<String> = server_mechs
            .advertise(c)
            .iter()
            .map(|m| m.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names(&ConnectionInfo::tls()),
        ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"]
    );
    let cb = ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsExporter,
        vec![5; 32],
    ));
    assert_eq!(names(&cb).len(), 6);
    let order: Vec<String> = client_factories(ScramClientConfig::new())
        .iter()
        .map(|f| f.mechanism().to_string())
        .collect();
    assert_eq!(
        order,
        [
            "SCRAM-SHA-512-PLUS",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-512",
            "SCRAM-SHA-256",
            "SCRAM-SHA-1"
        ]
    );
    assert_eq!(
        mechanism_name(ScramHash::Sha256, true).unwrap().as_str(),
        "SCRAM-SHA-256-PLUS"
    );
}

#[test]
fn single_factories_and_client_sessions() {
    let server_mechs = ServerRegistry::new()
        .with(ScramServer::factory(server_config(), ScramVariant::bare(ScramHash::Sha256)).unwrap());
    let client_mechs = ClientRegistry::new()
        .with(ScramClient::factory(ScramClientConfig::new(), ScramVariant::bare(ScramHash::Sha256)).unwrap());
    let conn = ConnectionInfo::tls();
    let advertised = server_mechs.advertise(&conn);
    assert_eq!(advertised.len(), 1);
    // Cannot use without password or keys.
    assert!(
        client_mechs
            .select(&advertised, &ClientCredentials::new("user"), &conn)
            .is_none()
    );
    let mut client = client_mechs
        .start_best(
            &advertised,
            ClientCredentials::new("user").with_password("pencil"),
            &conn,
        )
        .unwrap();
    let mut server = server_mechs.start("scram-sha-256", &conn).unwrap();
    // No initial response: the server asks with an empty challenge.
    let ServerStep::Challenge(empty) = server.start(None).unwrap() else {
        panic!()
    };
    assert!(empty.is_empty());
    let _ = client.start().unwrap();
    let ClientStep::Respond(first) = client.step(&empty).unwrap() else {
        panic!()
    };
    let ServerStep::Challenge(sf) = server.step_with(&first, &store).unwrap() else {
        panic!()
    };
    let ClientStep::Respond(cf) = client.step(&sf).unwrap() else {
        panic!()
    };
    let ServerStep::Challenge(v) = server.step(&cf).unwrap() else {
        panic!()
    };
    assert!(v.starts_with(b"v="));
    let ClientStep::Respond(ack) = client.step(&v).unwrap() else {
        panic!()
    };
    let ServerStep::Success(auth) = server.step(&ack).unwrap() else {
        panic!()
    };
    assert_eq!(auth.identity(), "user");
    let ClientOutcome::Success(ok) = client.finish(ServerReply::success()).unwrap() else {
        panic!()
    };
    assert!(ok.server_verified());
    assert!(ok.scram_keys().is_some());
}
