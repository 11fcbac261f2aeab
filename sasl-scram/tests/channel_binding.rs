//! Channel binding: flag choice on the client, downgrade, mismatch, unsupported type,
//! policy, on both sides.
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
    ChannelBinding, ChannelBindingPolicy, ChannelBindingType as T, ClientCredentials,
    ClientMechanism, ClientStep, ConnectionInfo, Error, FailureKind, ScramHash, ServerMechanism,
    ServerStep,
};
use sasl_scram::{ScramClient, ScramClientConfig, ScramServer, ScramVariant, derive};

fn bound(kind: T, data: &[u8]) -> ConnectionInfo {
    ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(kind, data.to_vec()))
}

fn client(plus: bool, conn: &ConnectionInfo, offers_plus: bool) -> ScramClient {
    ScramClient::new(
        ScramClientConfig::new(),
        ScramVariant::new(ScramHash::Sha256, plus),
        ClientCredentials::new("user").with_password("pencil"),
        conn,
    )
    .map(|c| c.server_offered_plus(offers_plus))
    .unwrap()
}

fn server(plus: bool, conn: &ConnectionInfo) -> ScramServer {
    ScramServer::new(
        server_config(),
        ScramVariant::new(ScramHash::Sha256, plus),
        conn,
    )
    .unwrap()
}

fn creds() -> sasl_core::ScramCredentials {
    derive(ScramHash::Sha256, "pencil", b"0123456789abcdef", 4096).unwrap()
}

fn first(c: &mut ScramClient) -> String {
    let ClientStep::Respond(m) = c.start().unwrap() else {
        panic!()
    };
    String::from_utf8(m.expose().clone()).unwrap()
}

#[test]
fn client_flag_choice() {
    let plain = ConnectionInfo::tls();
    let cb = bound(T::TlsExporter, &[1; 32]);
    assert!(first(&mut client(false, &plain, false)).starts_with("n,,"));
    assert!(first(&mut client(false, &plain, true)).starts_with("n,,"));
    // Could bind, server offered no -PLUS: y (lets the server detect a downgrade).
    assert!(first(&mut client(false, &cb, false)).starts_with("y,,"));
    // Could bind, server offered -PLUS, but the bare mechanism was chosen: n, never y.
    assert!(first(&mut client(false, &cb, true)).starts_with("n,,"));
    assert!(first(&mut client(true, &cb, true)).starts_with("p=tls-exporter,,"));
    // The preferred (first) binding is used.
    let two = ConnectionInfo::tls()
        .with_channel_binding(ChannelBinding::new(T::TlsServerEndPoint, vec![2; 32]))
        .with_channel_binding(ChannelBinding::new(T::TlsExporter, vec![1; 32]));
    assert!(first(&mut client(true, &two, true)).starts_with("p=tls-server-end-point,,"));
    // -PLUS without binding data cannot start.
    assert!(matches!(
        ScramClient::new(
            ScramClientConfig::new(),
            ScramVariant::plus(ScramHash::Sha256),
            ClientCredentials::new("u").with_password("p"),
            &plain
        )
        .map(|c| c.server_offered_plus(true)),
        Err(Error::Config(
            sasl_core::ConfigError::MechanismNotAvailable(_)
        ))
    ));
    // Binding disabled by policy: n.
    let disabled = cb.clone().with_policy(ChannelBindingPolicy::Disabled);
    assert!(first(&mut client(false, &disabled, false)).starts_with("n,,"));
}

#[test]
fn bound_exchange_succeeds_and_is_recorded() {
    for kind in [T::TlsExporter, T::TlsServerEndPoint, T::TlsUnique] {
        let conn = bound(kind, b"some binding data of the channel");
        let mut c = client(true, &conn, true);
        assert_eq!(c.channel_binding(), Some(kind));
        assert_eq!(client(false, &conn, true).channel_binding(), None);
        let mut s = server(true, &conn);
        let t = exchange(&mut c, &mut s, Store::Found(creds()), no_tamper);
        let Some(Ok(auth)) = &t.server else {
            panic!("{t:?}")
        };
        assert_eq!(auth.channel_binding(), Some(kind));
        let Some(Ok(ok)) = &t.client else {
            panic!("{t:?}")
        };
        assert_eq!(ok.channel_binding(), Some(kind));
    }
}

#[test]
fn mismatching_binding_data_fails() {
    // A man in the middle: the two TLS connections have different binding data.
    let mut c = client(true, &bound(T::TlsExporter, &[1; 32]), true);
    let mut s = server(true, &bound(T::TlsExporter, &[2; 32]));
    let t = exchange(&mut c, &mut s, Store::Found(creds()), no_tamper);
    let f = t.server_failure();
    assert_eq!(f.message().unwrap(), b"e=channel-bindings-dont-match");
    assert_eq!(f.reason().kind(), FailureKind::ChannelBindingMismatch);
    let Some(Err(cf)) = &t.client else { panic!() };
    assert_eq!(cf.reason().kind(), FailureKind::ChannelBindingMismatch);
    assert_eq!(cf.server_error(), Some("channel-bindings-dont-match"));
}

#[test]
fn downgrade_y_is_rejected_when_the_server_can_bind() {
    // The attacker stripped -PLUS from the list: the client sends y.
    let cb = bound(T::TlsExporter, &[1; 32]);
    let mut c = client(false, &cb, false);
    let mut s = server(false, &cb);
    let t = exchange(&mut c, &mut s, Store::Found(creds()), no_tamper);
    let f = t.server_failure();
    assert_eq!(
        f.message().unwrap(),
        b"e=server-does-support-channel-binding"
    );
    assert_eq!(f.reason().kind(), FailureKind::ChannelBindingDowngrade);
    // y accepted by a server that cannot bind.
    let mut c = client(false, &cb, false);
    let mut s = server(false, &ConnectionInfo::tls());
    assert!(exchange(&mut c, &mut s, Store::Found(creds()), no_tamper).server_ok());
    // n accepted by a server that could bind (the client does not support it).
    let mut c = client(false, &ConnectionInfo::tls(), false);
    let mut s = server(false, &cb);
    assert!(exchange(&mut c, &mut s, Store::Found(creds()), no_tamper).server_ok());
}

fn first_fails(s: &mut ScramServer, msg: &str) -> (String, FailureKind) {
    match s.start(Some(msg.as_bytes())).unwrap() {
        ServerStep::Failure(f) => (
            String::from_utf8(f.message().unwrap().to_vec()).unwrap(),
            f.reason().kind(),
        ),
        other => panic!("{msg} accepted: {other:?}"),
    }
}

#[test]
fn server_flag_rules() {
    let cb = bound(T::TlsServerEndPoint, &[1; 32]);
    // -PLUS needs p=.
    for m in ["n,,n=user,r=abcdefgh", "y,,n=user,r=abcdefgh"] {
        let (wire, kind) = first_fails(&mut server(true, &cb), m);
        assert_eq!(wire, "e=other-error");
        assert_eq!(kind, FailureKind::Protocol);
    }
    // Unavailable type.
    let (wire, kind) = first_fails(&mut server(true, &cb), "p=tls-exporter,,n=user,r=abcdefgh");
    assert_eq!(wire, "e=unsupported-channel-binding-type");
    assert_eq!(kind, FailureKind::ChannelBindingUnsupported);
    let (wire, _) = first_fails(&mut server(true, &cb), "p=tls-foo,,n=user,r=abcdefgh");
    assert_eq!(wire, "e=unsupported-channel-binding-type");
    // Bare mechanism with p=: the client broke RFC 5802 §6 (p= only with -PLUS).
    // This server can bind, so `channel-binding-not-supported` would be a lie; the
    // answer is `other-error`, whether or not the connection has binding data.
    for conn in [&cb, &ConnectionInfo::tls()] {
        let (wire, kind) = first_fails(
            &mut server(false, conn),
            "p=tls-server-end-point,,n=user,r=abcdefgh",
        );
        assert_eq!(wire, "e=other-error");
        assert_eq!(kind, FailureKind::Protocol);
    }
    // Policy Required refuses unbound exchanges.
    let required = cb.clone().with_policy(ChannelBindingPolicy::Required);
    let (_, kind) = first_fails(
        &mut server(
            false,
            &ConnectionInfo::tls().with_policy(ChannelBindingPolicy::Required),
        ),
        "n,,n=user,r=abcdefgh",
    );
    assert_eq!(kind, FailureKind::ChannelBindingRequired);
    let (wire, kind) = first_fails(&mut server(false, &required), "y,,n=user,r=abcdefgh");
    assert_eq!(wire, "e=server-does-support-channel-binding");
    assert_eq!(kind, FailureKind::ChannelBindingDowngrade);
    // -PLUS server without binding data cannot start.
    assert!(matches!(
        ScramServer::new(
            server_config(),
            ScramVariant::plus(ScramHash::Sha256),
            &ConnectionInfo::tls()
        ),
        Err(Error::Config(
            sasl_core::ConfigError::MechanismNotAvailable(_)
        ))
    ));
}

#[test]
fn stripped_or_swapped_binding_in_client_final_fails() {
    // A client-final claiming `n,,` in c= after p= in the header.
    let cb = bound(T::TlsExporter, &[9; 32]);
    let from = "c=cD10bHMtZXhwb3J0ZXIsLAkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ";
    let mut c = client(true, &cb, true);
    let mut s = server(true, &cb);
    let t = exchange(&mut c, &mut s, Store::Found(creds()), |i, m| {
        if i == 2 {
            let text = String::from_utf8(m.clone()).unwrap();
            assert!(text.starts_with(from), "{text}");
            *m = text.replacen(from, "c=biws", 1).into_bytes();
        }
    });
    assert_eq!(
        t.server_failure().reason().kind(),
        FailureKind::ChannelBindingMismatch
    );
}

/// RFC 5801 §5: `y` is a downgrade only if the server offered `-PLUS`. A server that
/// registers only bare SCRAM on a connection with binding data must accept `y`.
#[test]
fn y_is_accepted_when_the_server_offers_no_plus() {
    use sasl_core::{ClientRegistry, ServerRegistry};
    let cb = bound(T::TlsExporter, &[5; 32]);
    let bare_only = ServerRegistry::new().with(
        ScramServer::factory(
            std::sync::Arc::new(server_config()),
            ScramVariant::bare(ScramHash::Sha256),
        )
        .unwrap(),
    );
    let advertised = bare_only.advertise(&cb);
    assert_eq!(advertised.len(), 1);
    let clients =
        ClientRegistry::new().with_all(sasl_scram::client_factories(ScramClientConfig::new()));
    let store = |r: sasl_core::Request| match r {
        sasl_core::Request::ScramLookup(l) => l.found(creds()),
        other => other.unavailable(),
    };
    let run = |servers: &ServerRegistry| {
        let client = clients
            .start(
                "SCRAM-SHA-256",
                &advertised,
                ClientCredentials::new("user").with_password("pencil"),
                &cb,
            )
            .unwrap();
        let server = servers.start("SCRAM-SHA-256", &cb).unwrap();
        sasl_test::Driver::new(client, server, store).run().unwrap()
    };
    let t = run(&bare_only);
    assert!(t.client_messages()[0].starts_with(b"y,,"));
    assert!(t.both_succeeded(), "{}", t.shape());
    assert!(!t.authenticated().unwrap().channel_bound());

    // The same client against a server that does offer -PLUS here: a downgrade.
    let with_plus = ServerRegistry::new().with_all(sasl_scram::server_factories(server_config()));
    let t = run(&with_plus);
    let failure = t.server_failure().expect("y must be rejected");
    assert_eq!(
        failure.reason().kind(),
        FailureKind::ChannelBindingDowngrade
    );
    assert_eq!(
        failure.message(),
        Some(&b"e=server-does-support-channel-binding"[..])
    );
}

/// Empty binding data is no binding: it cannot make an exchange look bound.
#[test]
fn empty_binding_data_is_ignored() {
    let conn = bound(T::TlsExporter, &[]);
    assert!(!conn.can_bind());
    assert!(conn.bindings().is_empty());
    assert!(matches!(
        ScramServer::new(
            server_config(),
            ScramVariant::plus(ScramHash::Sha256),
            &conn
        ),
        Err(Error::Config(
            sasl_core::ConfigError::MechanismNotAvailable(_)
        ))
    ));
}

#[test]
fn bare_client_refuses_a_connection_that_requires_binding() {
    use sasl_core::{ClientContext, ClientMechanismFactory, ClientRegistry};
    let required = bound(T::TlsExporter, &[7; 32]).with_policy(ChannelBindingPolicy::Required);
    let no_data = ConnectionInfo::tls().with_policy(ChannelBindingPolicy::Required);
    let creds = || ClientCredentials::new("user").with_password("pencil");
    // Typed: a bare mechanism cannot bind, so it must not start (it used to send
    // `y`/`n` and report an unbound success), whatever the server offered.
    for conn in [&required, &no_data] {
        for offers_plus in [false, true] {
            let r = ScramClient::new(
                ScramClientConfig::new(),
                ScramVariant::bare(ScramHash::Sha256),
                creds(),
                conn,
            )
            .map(|c| c.server_offered_plus(offers_plus));
            assert!(matches!(r, Err(Error::Config(_))), "{r:?}");
        }
    }
    // Through the factory trait, as any registry calls it.
    let factory = ScramClient::factory(
        ScramClientConfig::new(),
        ScramVariant::bare(ScramHash::Sha256),
    )
    .unwrap();
    let r = factory.start(ClientContext::new(creds(), &required, true));
    assert!(matches!(r, Err(Error::Config(_))));
    // Through sasl_core::ClientRegistry: naming the bare mechanism fails, and
    // choosing picks -PLUS.
    let clients =
        ClientRegistry::new().with_all(sasl_scram::client_factories(ScramClientConfig::new()));
    let advertised = ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"];
    assert!(
        clients
            .start("SCRAM-SHA-256", &advertised, creds(), &required)
            .is_err()
    );
    assert!(
        clients
            .start_best(&["SCRAM-SHA-256"], creds(), &required)
            .is_err()
    );
    let session = clients.start_best(&advertised, creds(), &required).unwrap();
    assert_eq!(session.mechanism().as_str(), "SCRAM-SHA-256-PLUS");
}

#[test]
fn plus_client_under_required_only_succeeds_bound() {
    use sasl_core::{ClientRegistry, ServerRegistry};
    let required = bound(T::TlsExporter, &[7; 32]).with_policy(ChannelBindingPolicy::Required);
    // Typed: it always sends p= and its success says which binding it used.
    let mut c = client(true, &required, true);
    assert!(first(&mut client(true, &required, true)).starts_with("p=tls-exporter,,"));
    let mut s = server(true, &required);
    let t = exchange(&mut c, &mut s, Store::Found(creds()), no_tamper);
    assert!(t.server_ok());
    let Some(Ok(success)) = &t.client else {
        panic!("{:?}", t.client)
    };
    assert_eq!(success.channel_binding(), Some(T::TlsExporter));
    // Other binding data on the server side: no unbound success.
    let mut c = client(true, &required, true);
    let mut s = server(true, &bound(T::TlsExporter, &[8; 32]));
    let t = exchange(&mut c, &mut s, Store::Found(creds()), no_tamper);
    assert!(!t.server_ok() && !t.client_ok());
    // Without binding data -PLUS cannot start at all.
    let no_data = ConnectionInfo::tls().with_policy(ChannelBindingPolicy::Required);
    let r = ScramClient::new(
        ScramClientConfig::new(),
        ScramVariant::plus(ScramHash::Sha256),
        ClientCredentials::new("user").with_password("pencil"),
        &no_data,
    )
    .map(|c| c.server_offered_plus(true));
    assert!(matches!(
        r,
        Err(Error::Config(
            sasl_core::ConfigError::MechanismNotAvailable(_)
        ))
    ));
    // Through the registries.
    let servers = ServerRegistry::new().with_all(sasl_scram::server_factories(server_config()));
    let clients =
        ClientRegistry::new().with_all(sasl_scram::client_factories(ScramClientConfig::new()));
    let advertised = servers.advertise(&required);
    assert!(advertised.iter().all(|m| m.as_str().ends_with("-PLUS")));
    let client = clients
        .start_best(
            &advertised,
            ClientCredentials::new("user").with_password("pencil"),
            &required,
        )
        .unwrap();
    let server = servers
        .start(client.mechanism().as_str(), &required)
        .unwrap();
    let store = |r: sasl_core::Request| match r {
        sasl_core::Request::ScramLookup(l) => {
            let creds = derive(l.hash(), "pencil", b"0123456789abcdef", 4096).unwrap();
            l.found(creds)
        }
        other => other.unavailable(),
    };
    let t = sasl_test::Driver::new(client, server, store).run().unwrap();
    assert!(t.both_succeeded(), "{}", t.shape());
    assert!(t.authenticated().unwrap().channel_bound());
}

#[test]
fn y_is_a_downgrade_when_any_scram_plus_is_offered() {
    // RFC 5802 §6: "If the flag is set to "y" and the server supports channel
    // binding, the server MUST fail authentication"; the attack it names removes
    // "the -PLUS suffixed SCRAM mechanism name(s)". A server offering
    // SCRAM-SHA-256-PLUS supports channel binding, so `y` on SCRAM-SHA-1 (no
    // SCRAM-SHA-1-PLUS offered) is a downgrade too. The typed server's
    // `offering_plus` flag carries that whole-connection view.
    let cb = bound(T::TlsExporter, &[1; 32]);
    let sha1 =
        || ScramServer::new(server_config(), ScramVariant::bare(ScramHash::Sha1), &cb).unwrap();
    let sha1_creds = derive(ScramHash::Sha1, "pencil", b"0123456789abcdef", 4096).unwrap();
    let sha1_client = |offers_plus: bool| {
        ScramClient::new(
            ScramClientConfig::new(),
            ScramVariant::bare(ScramHash::Sha1),
            ClientCredentials::new("user").with_password("pencil"),
            &cb,
        )
        .map(|c| c.server_offered_plus(offers_plus))
        .unwrap()
    };
    // Default (binding data present): y refused.
    let (wire, kind) = first_fails(&mut sha1(), "y,,n=user,r=abcdefgh");
    assert_eq!(wire, "e=server-does-support-channel-binding");
    assert_eq!(kind, FailureKind::ChannelBindingDowngrade);
    // Told that some -PLUS (of another hash) is offered: still refused.
    let (wire, kind) = first_fails(&mut sha1().offering_plus(true), "y,,n=user,r=abcdefgh");
    assert_eq!(wire, "e=server-does-support-channel-binding");
    assert_eq!(kind, FailureKind::ChannelBindingDowngrade);
    // Told that no -PLUS at all is offered: y is right and accepted.
    let t = exchange(
        &mut sha1_client(false),
        &mut sha1().offering_plus(false),
        Store::Found(sha1_creds.clone()),
        no_tamper,
    );
    assert!(t.messages[0].starts_with(b"y,,"));
    assert!(t.server_ok() && t.client_ok());
    // A client told that some -PLUS is offered sends n on the bare mechanism (the
    // application chose not to bind), which such a server accepts.
    let t = exchange(
        &mut sha1_client(true),
        &mut sha1().offering_plus(true),
        Store::Found(sha1_creds),
        no_tamper,
    );
    assert!(t.messages[0].starts_with(b"n,,"));
    assert!(t.server_ok() && t.client_ok());
}

#[test]
fn registries_treat_y_as_a_downgrade_when_another_family_offers_plus() {
    use sasl_core::{ClientRegistry, ServerRegistry};
    // Uneven registration: SCRAM-SHA-256-PLUS and bare SCRAM-SHA-1, nothing else.
    let cb = bound(T::TlsExporter, &[5; 32]);
    let config = std::sync::Arc::new(server_config());
    let servers = ServerRegistry::new()
        .with(ScramServer::factory(config.clone(), ScramVariant::plus(ScramHash::Sha256)).unwrap())
        .with(ScramServer::factory(config, ScramVariant::bare(ScramHash::Sha1)).unwrap());
    let advertised = servers.advertise(&cb);
    assert_eq!(advertised.len(), 2);
    let store = |r: sasl_core::Request| match r {
        sasl_core::Request::ScramLookup(l) => {
            let creds = derive(l.hash(), "pencil", b"0123456789abcdef", 4096).unwrap();
            l.found(creds)
        }
        other => other.unavailable(),
    };
    // A client (another implementation, per-family view) sends y on SCRAM-SHA-1.
    let server = servers.start("SCRAM-SHA-1", &cb).unwrap();
    let mut server = server;
    let step = server
        .start_with(Some(b"y,,n=user,r=abcdefghijklmnop"), &store)
        .unwrap();
    let ServerStep::Failure(f) = step else {
        panic!("y accepted although SCRAM-SHA-256-PLUS is offered: {step:?}")
    };
    assert_eq!(f.reason().kind(), FailureKind::ChannelBindingDowngrade);
    // Our client, made to use SCRAM-SHA-1, must send n (not y) here.
    let clients =
        ClientRegistry::new().with_all(sasl_scram::client_factories(ScramClientConfig::new()));
    let mut client = clients
        .start(
            "SCRAM-SHA-1",
            &advertised,
            ClientCredentials::new("user").with_password("pencil"),
            &cb,
        )
        .unwrap();
    let ClientStep::Respond(first) = client.start().unwrap() else {
        panic!()
    };
    assert!(first.expose().starts_with(b"n,,"));
}
