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
    ChannelBinding, ChannelBindingType, ClientCredentials, ClientOutcome, ClientRegistry,
    ClientRequest, ClientStep, ConnectionInfo, FailureKind, Request, ScramHash, ServerRegistry,
    ServerReply, ServerStep, SuccessData,
};
use sasl_scram::{
    PasswordPrep, ScramClient, ScramClientConfig, ScramServer, ScramVariant, client_factories,
    derive, derive_client_keys, server_factories,
};
use sasl_test::ClientEnd;
use std::cell::Cell;
use std::rc::Rc;

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
    let mut step = server.start_with(Some(first.expose()), &store).unwrap();
    loop {
        match step {
            ServerStep::Challenge(c) => match client.step(&c).unwrap() {
                ClientStep::Respond(r) => step = server.step_with(r.expose(), &store).unwrap(),
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
        ScramVariant::new(ScramHash::Sha256, true)
            .name()
            .unwrap()
            .as_str(),
        "SCRAM-SHA-256-PLUS"
    );
}

#[test]
fn single_factories_and_client_sessions() {
    let server_mechs = ServerRegistry::new().with(
        ScramServer::factory(server_config(), ScramVariant::bare(ScramHash::Sha256)).unwrap(),
    );
    let client_mechs = ClientRegistry::new().with(
        ScramClient::factory(
            ScramClientConfig::new(),
            ScramVariant::bare(ScramHash::Sha256),
        )
        .unwrap(),
    );
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
    let ServerStep::Challenge(sf) = server.step_with(first.expose(), &store).unwrap() else {
        panic!()
    };
    let ClientStep::Respond(cf) = client.step(&sf).unwrap() else {
        panic!()
    };
    let ServerStep::Challenge(v) = server.step(cf.expose()).unwrap() else {
        panic!()
    };
    assert!(v.starts_with(b"v="));
    let ClientStep::Respond(ack) = client.step(&v).unwrap() else {
        panic!()
    };
    let ServerStep::Success(auth) = server.step(ack.expose()).unwrap() else {
        panic!()
    };
    assert_eq!(auth.identity(), "user");
    let ClientOutcome::Success(ok) = client.finish(ServerReply::success()).unwrap() else {
        panic!()
    };
    assert!(ok.server_verified());
    assert!(ok.scram_keys().is_some());
}

/// A client session for one SCRAM variant and a server session with all SCRAM
/// factories, started on the same connection (the server's view `server_conn`).
fn sessions(
    variant: ScramVariant,
    credentials: ClientCredentials,
    client_conn: &ConnectionInfo,
    server_conn: &ConnectionInfo,
) -> (sasl_core::ClientSession, sasl_core::ServerSession) {
    let servers = ServerRegistry::new().with_all(server_factories(server_config()));
    let clients = ClientRegistry::new()
        .with(ScramClient::factory(ScramClientConfig::new(), variant).unwrap());
    let name = variant.name().unwrap();
    let advertised = servers.advertise(server_conn);
    let client = clients
        .start(name.as_str(), &advertised, credentials, client_conn)
        .unwrap();
    let server = servers.start(name.as_str(), server_conn).unwrap();
    (client, server)
}

#[test]
fn password_on_demand_is_asked_only_when_no_cached_keys_fit() {
    let conn = ConnectionInfo::tls();
    let variant = ScramVariant::bare(ScramHash::Sha256);
    let asked = Rc::new(Cell::new(0u32));
    let run = |credentials: ClientCredentials| {
        let (client, server) = sessions(variant, credentials, &conn, &conn);
        let asked = Rc::clone(&asked);
        sasl_test::Driver::new(client, server, store)
            .with_client_answers(move |request| {
                asked.set(asked.get() + 1);
                match request {
                    ClientRequest::Password(p) => {
                        assert_eq!(p.authcid(), "user");
                        p.provide("pencil")
                    }
                    other => panic!("unexpected request {other:?}"),
                }
            })
            .run()
            .unwrap()
    };

    // No password and no keys: asked once, at the server-first; the exchange has the
    // usual shape (the client-first went out as the initial response).
    let t = run(ClientCredentials::new("user").with_password_on_demand());
    assert!(t.both_succeeded(), "{}", t.shape());
    assert!(t.initial_response);
    assert_eq!(t.shape(), "C S C S C ok ok");
    assert_eq!(asked.get(), 1);
    let ClientEnd::Outcome(ClientOutcome::Success(ok)) = &t.client else {
        panic!("{:?}", t.client)
    };
    assert!(ok.server_verified());
    // The keys derived from the supplied password come back for caching.
    let keys = ok.scram_keys().expect("fresh keys handed back").clone();

    // Cached keys that fit the server's salt and iterations: never asked.
    asked.set(0);
    let t = run(ClientCredentials::new("user")
        .with_password_on_demand()
        .with_scram_keys(keys));
    assert!(t.both_succeeded(), "{}", t.shape());
    assert_eq!(
        asked.get(),
        0,
        "the password was asked for despite fitting keys"
    );
    let ClientEnd::Outcome(ClientOutcome::Success(ok)) = &t.client else {
        panic!("{:?}", t.client)
    };
    assert!(
        ok.scram_keys().is_none(),
        "cached keys used, nothing derived"
    );

    // Cached keys for another salt: they do not fit, so the password is asked for.
    asked.set(0);
    let other = derive_client_keys(
        ScramHash::Sha256,
        "pencil",
        b"another salt 123",
        4096,
        PasswordPrep::SaslPrep,
    )
    .unwrap();
    let t = run(ClientCredentials::new("user")
        .with_password_on_demand()
        .with_scram_keys(other));
    assert!(t.both_succeeded(), "{}", t.shape());
    assert_eq!(asked.get(), 1);

    // Declining the request aborts the exchange as cancelled; the server never
    // authenticates.
    let (client, server) = sessions(
        variant,
        ClientCredentials::new("user").with_password_on_demand(),
        &conn,
        &conn,
    );
    let t = sasl_test::Driver::new(client, server, store).run().unwrap();
    let ClientEnd::Aborted(f) = &t.client else {
        panic!("{}", t.shape())
    };
    assert_eq!(f.reason().kind(), FailureKind::Cancelled);
    assert!(!t.server_succeeded());
}

#[test]
fn every_variant_succeeds_without_an_initial_response() {
    let conn = ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsExporter,
        vec![5; 32],
    ));
    for hash in [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512] {
        for plus in [false, true] {
            let variant = ScramVariant::new(hash, plus);
            let name = variant.name().unwrap().to_string();
            let (client, server) = sessions(
                variant,
                ClientCredentials::new("user").with_password("pencil"),
                &conn,
                &conn,
            );
            let t = sasl_test::Driver::new(client, server, store)
                .without_initial_response()
                .run()
                .unwrap();
            assert!(t.both_succeeded(), "{name}: {}", t.shape());
            assert!(!t.initial_response, "{name}");
            // The server asks with an empty challenge; the session answers it with
            // the client-first.
            assert_eq!(t.shape(), "S C S C S C ok ok", "{name}");
            assert!(t.server_messages()[0].is_empty(), "{name}");
            let gs2: &[u8] = if plus { b"p=tls-exporter,," } else { b"n,," };
            assert!(t.client_messages()[0].starts_with(gs2), "{name}");
            let auth = t.authenticated().unwrap();
            assert_eq!(auth.mechanism().as_str(), name);
            assert_eq!(auth.identity(), "user");
            assert_eq!(auth.channel_bound(), plus, "{name}");
        }
    }
}

#[test]
fn binding_order_picks_tls_server_end_point_over_tls_exporter() {
    let both = ConnectionInfo::tls()
        .with_channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsExporter,
            vec![1; 32],
        ))
        .with_channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsServerEndPoint,
            vec![2; 32],
        ));
    let variant = ScramVariant::plus(ScramHash::Sha256);
    let run = |client_conn: &ConnectionInfo| {
        let (client, server) = sessions(
            variant,
            ClientCredentials::new("user").with_password("pencil"),
            client_conn,
            &both,
        );
        sasl_test::Driver::new(client, server, store).run().unwrap()
    };

    // Without an order the first binding added (tls-exporter) is used.
    let t = run(&both);
    assert!(t.both_succeeded(), "{}", t.shape());
    assert!(t.client_messages()[0].starts_with(b"p=tls-exporter,,"));
    assert_eq!(
        t.authenticated().unwrap().channel_binding(),
        Some(ChannelBindingType::TlsExporter)
    );

    // Ordered: tls-server-end-point, on the wire and in both successes.
    let ordered = both
        .clone()
        .with_binding_order(&[ChannelBindingType::TlsServerEndPoint]);
    let t = run(&ordered);
    assert!(t.both_succeeded(), "{}", t.shape());
    let first = t.client_messages()[0];
    assert!(
        first.starts_with(b"p=tls-server-end-point,,"),
        "{}",
        String::from_utf8_lossy(first)
    );
    let auth = t.authenticated().unwrap();
    assert!(auth.channel_bound());
    assert_eq!(
        auth.channel_binding(),
        Some(ChannelBindingType::TlsServerEndPoint)
    );
    let ClientEnd::Outcome(ClientOutcome::Success(ok)) = &t.client else {
        panic!("{:?}", t.client)
    };
    assert_eq!(
        ok.channel_binding(),
        Some(ChannelBindingType::TlsServerEndPoint)
    );
}
