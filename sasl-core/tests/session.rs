//! Session-level behaviour of sasl-core, with a small test mechanism that sends
//! additional data with success (like SCRAM's `v=`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use sasl_core::wire;
use sasl_core::{
    ChannelBinding, ChannelBindingPolicy, ChannelBindingType, ChannelBindingUse, ClientContext,
    ClientCredentials, ClientMechanism, ClientMechanismFactory, ClientOutcome, ClientRegistry,
    ClientStep, ClientSuccess, ConnectionInfo, Error, FailureKind, MechanismName,
    MechanismProperties, Secret, ServerFailure, ServerMechanism, ServerMechanismFactory,
    ServerRegistry, ServerReply, ServerStep, ServerSuccess, SuccessData, Verdict,
};
use std::sync::{Arc, Mutex};

/// Server: expects one message "hello", answers success with data "proof".
struct EchoServer;

impl ServerMechanism for EchoServer {
    fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, Error> {
        match initial {
            None => Ok(ServerStep::Challenge(vec![])),
            Some(m) => self.step(m),
        }
    }
    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        Ok(if response == b"hello" {
            ServerStep::Success(
                ServerSuccess::new(MechanismName::from_static("X-ECHO"), "u")
                    .with_additional_data(b"proof".to_vec()),
            )
        } else {
            ServerStep::Failure(ServerFailure::new(
                FailureKind::InvalidCredentials,
                "not hello",
            ))
        })
    }
    fn provide(&mut self, _verdict: Verdict) -> Result<ServerStep, Error> {
        Err(Error::Misuse(sasl_core::Misuse::NoRequestPending))
    }
}

struct Factory(&'static str, ChannelBindingUse);

impl ServerMechanismFactory for Factory {
    fn mechanism(&self) -> MechanismName {
        MechanismName::new(self.0).unwrap()
    }
    fn properties(&self) -> MechanismProperties {
        MechanismProperties::protected(self.1)
    }
    fn start(&self, _c: &sasl_core::ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(EchoServer))
    }
}

struct EchoClient {
    verified: bool,
}

impl ClientMechanism for EchoClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        Ok(ClientStep::Respond(Secret::new(b"hello".to_vec())))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        if challenge == b"proof" {
            self.verified = true;
            Ok(ClientStep::Respond(Secret::new(vec![])))
        } else {
            Ok(ClientStep::Abort(sasl_core::ClientFailure::new(
                FailureKind::Protocol,
                "bad",
            )))
        }
    }
    fn finish(&mut self, outcome: ServerReply) -> Result<ClientOutcome, Error> {
        let verified = self.verified
            || matches!(&outcome, ServerReply::Success { additional_data: Some(d) } if d == b"proof");
        Ok(match outcome {
            ServerReply::Success { .. } if verified => ClientOutcome::Success(
                ClientSuccess::new(MechanismName::from_static("X-ECHO")).with_server_verified(true),
            ),
            _ => ClientOutcome::Failure(sasl_core::ClientFailure::new(
                FailureKind::ServerNotAuthenticated,
                "no proof",
            )),
        })
    }
}

impl ClientMechanismFactory for Factory {
    fn mechanism(&self) -> MechanismName {
        MechanismName::new(self.0).unwrap()
    }
    fn properties(&self) -> MechanismProperties {
        MechanismProperties::protected(self.1)
    }
    fn can_use(&self, _c: &ClientCredentials) -> bool {
        true
    }
    fn start(&self, _c: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(EchoClient { verified: false }))
    }
}

fn server() -> ServerRegistry {
    ServerRegistry::new().with(Factory("X-ECHO", ChannelBindingUse::Optional))
}

#[test]
fn success_data_goes_out_as_a_final_challenge_by_default() {
    let mut s = server().start("X-ECHO", &ConnectionInfo::tls()).unwrap();
    let step = s.start(Some(b"hello")).unwrap();
    let ServerStep::Challenge(data) = step else {
        panic!("{step:?}")
    };
    assert_eq!(data, b"proof");
    assert!(!s.is_finished());
    let ServerStep::Success(auth) = s.step(b"").unwrap() else {
        panic!()
    };
    assert_eq!(auth.additional_data(), None);
    assert!(s.is_finished());
}

#[test]
fn non_empty_answer_to_final_challenge_fails() {
    let mut s = server().start("X-ECHO", &ConnectionInfo::tls()).unwrap();
    let _ = s.start(Some(b"hello")).unwrap();
    let ServerStep::Failure(f) = s.step(b"junk").unwrap() else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::Protocol);
}

#[test]
fn success_data_in_outcome_when_protocol_carries_it() {
    let conn = ConnectionInfo::tls().with_success_data(SuccessData::InOutcome);
    let mut s = server().start("X-ECHO", &conn).unwrap();
    let ServerStep::Success(auth) = s.start(Some(b"hello")).unwrap() else {
        panic!()
    };
    assert_eq!(auth.additional_data(), Some(&b"proof"[..]));

    let clients = ClientRegistry::new().with(Factory("X-ECHO", ChannelBindingUse::Optional));
    let mut c = clients
        .start("X-ECHO", &["X-ECHO"], ClientCredentials::new("u"), &conn)
        .unwrap();
    let _ = c.start().unwrap();
    let out = c
        .finish(ServerReply::Success {
            additional_data: Some(b"proof".to_vec()),
        })
        .unwrap();
    assert!(out.is_authenticated());
}

#[test]
fn client_session_state_errors() {
    let clients = ClientRegistry::new().with(Factory("X-ECHO", ChannelBindingUse::Optional));
    let conn = ConnectionInfo::tls();
    let mut c = clients
        .start("X-ECHO", &["X-ECHO"], ClientCredentials::new("u"), &conn)
        .unwrap();
    assert_eq!(
        c.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NotStarted)
    );
    assert_eq!(
        c.finish(ServerReply::failure()).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NotStarted)
    );
    let _ = c.start().unwrap();
    assert_eq!(
        c.start().unwrap_err(),
        Error::Misuse(sasl_core::Misuse::AlreadyStarted)
    );
    let out = c.finish(ServerReply::success()).unwrap();
    let ClientOutcome::Failure(f) = out else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::ServerNotAuthenticated);
    assert_eq!(f.action(), sasl_core::ClientAction::GiveUp);
    assert_eq!(
        c.finish(ServerReply::success()).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );
}

#[test]
fn client_limits_abort() {
    let clients = ClientRegistry::new()
        .with(Factory("X-ECHO", ChannelBindingUse::Optional))
        .with_limits(sasl_core::Limits::default().with_max_message_len(3));
    let conn = ConnectionInfo::tls();
    let mut c = clients
        .start("X-ECHO", &["X-ECHO"], ClientCredentials::new("u"), &conn)
        .unwrap();
    let _ = c.start().unwrap();
    let ClientStep::Abort(f) = c.step(b"proof").unwrap() else {
        panic!()
    };
    assert_eq!(f.reason().kind(), FailureKind::MessageTooLarge);
    assert!(c.is_finished());
}

fn cb() -> ChannelBinding {
    ChannelBinding::new(ChannelBindingType::TlsExporter, vec![7; 32])
}

fn names(m: &ServerRegistry, conn: &ConnectionInfo) -> Vec<String> {
    m.advertise(conn).iter().map(|m| m.to_string()).collect()
}

#[test]
fn plus_advertised_only_with_binding_data_and_policy() {
    let m = ServerRegistry::new()
        .with(Factory("X-ECHO-PLUS", ChannelBindingUse::Required))
        .with(Factory("X-ECHO", ChannelBindingUse::Optional));
    assert_eq!(names(&m, &ConnectionInfo::tls()), ["X-ECHO"]);
    assert_eq!(
        names(&m, &ConnectionInfo::tls().with_channel_binding(cb())),
        ["X-ECHO-PLUS", "X-ECHO"]
    );
    let required = ConnectionInfo::tls()
        .with_channel_binding(cb())
        .with_policy(ChannelBindingPolicy::Required);
    assert_eq!(names(&m, &required), ["X-ECHO-PLUS"]);
    let f = m.start("X-ECHO", &required).unwrap_err();
    assert_eq!(f.reason().kind(), FailureKind::UnknownMechanism);
    assert_eq!(
        f.smtp().line(),
        "504 5.5.4 Unrecognized authentication type"
    );
    let disabled = ConnectionInfo::tls()
        .with_channel_binding(cb())
        .with_policy(ChannelBindingPolicy::Disabled);
    assert_eq!(names(&m, &disabled), ["X-ECHO"]);
    assert!(!disabled.can_bind());
    let f = m.start("X-ECHO-PLUS", &ConnectionInfo::tls()).unwrap_err();
    assert_eq!(f.reason().kind(), FailureKind::UnknownMechanism);
    assert_eq!(
        f.smtp().line(),
        "504 5.5.4 Unrecognized authentication type"
    );
}

/// A server factory that records the `offers_plus` its context carried.
struct Probe(&'static str, ChannelBindingUse, Arc<Mutex<Option<bool>>>);

impl ServerMechanismFactory for Probe {
    fn mechanism(&self) -> MechanismName {
        MechanismName::new(self.0).unwrap()
    }
    fn properties(&self) -> MechanismProperties {
        MechanismProperties::protected(self.1)
    }
    fn start(&self, c: &sasl_core::ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        *self.2.lock().unwrap() = Some(c.offers_plus);
        Ok(Box::new(EchoServer))
    }
}

/// `offers_plus` (what a SCRAM server's downgrade check rests on) is true exactly when
/// a `-PLUS` mechanism of the same family is registered and usable on the connection.
#[test]
fn offers_plus_follows_the_family_and_the_connection() {
    let seen = Arc::new(Mutex::new(None));
    let offered = |m: &ServerRegistry, name: &str, conn: &ConnectionInfo| {
        *seen.lock().unwrap() = None;
        m.start(name, conn).unwrap();
        seen.lock().unwrap().take().unwrap()
    };
    let bound = ConnectionInfo::tls().with_channel_binding(cb());
    let family = ServerRegistry::new()
        .with(Factory("X-ECHO-PLUS", ChannelBindingUse::Required))
        .with(Probe("X-ECHO", ChannelBindingUse::Optional, seen.clone()));
    assert!(offered(&family, "X-ECHO", &bound));
    // Registered but not usable: no binding data, or binding disabled by policy.
    assert!(!offered(&family, "X-ECHO", &ConnectionInfo::tls()));
    let disabled = bound.clone().with_policy(ChannelBindingPolicy::Disabled);
    assert!(!offered(&family, "X-ECHO", &disabled));
    // No -PLUS of this family registered: another family's does not count.
    let alone =
        ServerRegistry::new().with(Probe("X-ECHO", ChannelBindingUse::Optional, seen.clone()));
    assert!(!offered(&alone, "X-ECHO", &bound));
    let other = ServerRegistry::new()
        .with(Factory("Y-ECHO-PLUS", ChannelBindingUse::Required))
        .with(Probe("X-ECHO", ChannelBindingUse::Optional, seen.clone()));
    assert!(!offered(&other, "X-ECHO", &bound));
    // Another hash of the family does count (SCRAM-SHA-1 beside SCRAM-SHA-256-PLUS).
    let hashes = ServerRegistry::new()
        .with(Factory("X-OTHER-PLUS", ChannelBindingUse::Required))
        .with(Probe("X-ECHO", ChannelBindingUse::Optional, seen.clone()));
    assert!(offered(&hashes, "X-ECHO", &bound));

    // A -PLUS mechanism asked for without TLS is not offered there, which is not a
    // question of encryption alone: it is an unknown mechanism, as over TLS without
    // binding data. PLAIN without TLS is the encryption case.
    let f = family
        .start("X-ECHO-PLUS", &ConnectionInfo::plaintext())
        .unwrap_err();
    assert_eq!(f.reason().kind(), FailureKind::UnknownMechanism);
}

#[test]
fn client_prefers_its_own_order_and_skips_unusable_plus() {
    let c = ClientRegistry::new()
        .with(Factory("X-ECHO-PLUS", ChannelBindingUse::Required))
        .with(Factory("X-ECHO", ChannelBindingUse::Optional))
        .with(Factory("X-OTHER", ChannelBindingUse::Optional));
    let creds = ClientCredentials::new("u");
    let both = ["X-OTHER", "X-ECHO", "X-ECHO-PLUS"];
    let bound = ConnectionInfo::tls().with_channel_binding(cb());
    assert_eq!(
        c.select(&both, &creds, &bound).unwrap().as_str(),
        "X-ECHO-PLUS"
    );
    assert_eq!(
        c.select(&both, &creds, &ConnectionInfo::tls())
            .unwrap()
            .as_str(),
        "X-ECHO"
    );
    assert_eq!(
        c.select(&["X-OTHER"], &creds, &bound).unwrap().as_str(),
        "X-OTHER"
    );
    assert_eq!(c.select(&["NOPE"], &creds, &bound), None);
    assert_eq!(
        c.start_best(&["NOPE"], creds, &bound).unwrap_err(),
        Error::Config(sasl_core::ConfigError::NoCommonMechanism)
    );
    // with_all appends in order, after what is there.
    let all: Vec<Arc<dyn ClientMechanismFactory>> = vec![
        Arc::new(Factory("X-ECHO", ChannelBindingUse::Optional)),
        Arc::new(Factory("X-ECHO-PLUS", ChannelBindingUse::Required)),
    ];
    let c = ClientRegistry::new()
        .with(Factory("X-OTHER", ChannelBindingUse::Optional))
        .with_all(all);
    let creds = ClientCredentials::new("u");
    assert_eq!(c.select(&both, &creds, &bound).unwrap().as_str(), "X-OTHER");
    assert_eq!(
        c.select(&["X-ECHO-PLUS", "X-ECHO"], &creds, &bound)
            .unwrap()
            .as_str(),
        "X-ECHO"
    );
}

#[test]
fn client_start_refuses_a_mechanism_the_server_did_not_advertise() {
    let c = ClientRegistry::new()
        .with(Factory("X-ECHO", ChannelBindingUse::Optional))
        .with(sasl_plain::PlainClient::factory());
    let conn = ConnectionInfo::tls();
    let creds = || ClientCredentials::new("tim").with_password("tanstaaftanstaaf");
    assert_eq!(
        c.start("X-ECHO", &["X-OTHER"], creds(), &conn).unwrap_err(),
        Error::Config(sasl_core::ConfigError::NotAdvertised("X-ECHO".into()))
    );
    assert_eq!(
        c.start("PLAIN", &["SCRAM-SHA-256", "LOGIN"], creds(), &conn)
            .unwrap_err(),
        Error::Config(sasl_core::ConfigError::NotAdvertised("PLAIN".into()))
    );
    let empty: [&str; 0] = [];
    assert_eq!(
        c.start("PLAIN", &empty, creds(), &conn).unwrap_err(),
        Error::Config(sasl_core::ConfigError::NotAdvertised("PLAIN".into()))
    );
    // Advertised (case-insensitively): it starts.
    assert!(c.start("PLAIN", &["plain"], creds(), &conn).is_ok());
    // Not registered at all is still UnknownMechanism, not NotAdvertised.
    assert!(matches!(
        c.start("LOGIN", &["LOGIN"], creds(), &conn),
        Err(Error::Config(sasl_core::ConfigError::UnknownMechanism(_)))
    ));
}

#[test]
fn plain_initial_response_hides_the_password_in_debug() {
    let clients = ClientRegistry::new().with(sasl_plain::PlainClient::factory());
    let conn = ConnectionInfo::tls();
    let creds = ClientCredentials::new("tim").with_password("tanstaaftanstaaf");
    let mut c = clients.start("PLAIN", &["PLAIN"], creds, &conn).unwrap();
    let step = c.start().unwrap();
    let ClientStep::Respond(ir) = &step else {
        panic!("{step:?}")
    };
    // The step really holds the password...
    assert_eq!(ir.expose().as_slice(), b"\0tim\0tanstaaftanstaaf");
    // ...but Debug shows neither the text nor its bytes.
    let shown = format!("{step:?} {step:#?} {ir:?}");
    assert!(!shown.contains("tanstaaf"), "{shown}");
    assert!(!shown.contains("116, 97, 110"), "{shown}");
    assert!(!shown.contains("116,"), "{shown}");

    // The server side: the same message decoded off the wire.
    let line = wire::encode_response(ir.expose());
    let decoded = wire::decode_response(line.as_bytes()).unwrap();
    assert!(matches!(&decoded, wire::Response::Data(d) if d.expose() == ir.expose()));
    let shown = format!("{decoded:?} {decoded:#?}");
    assert!(!shown.contains("tanstaaf"), "{shown}");
    assert!(!shown.contains("116, 97, 110"), "{shown}");
    assert!(!shown.contains("116,"), "{shown}");
}

#[test]
fn unknown_or_unavailable_mechanism_is_a_server_failure() {
    let m = ServerRegistry::new()
        .with(sasl_plain::PlainServer::factory())
        .with(Factory("X-ECHO", ChannelBindingUse::Optional));

    // A name nobody registered.
    let f = m.start("X-NOPE", &ConnectionInfo::tls()).unwrap_err();
    assert_eq!(f.reason().kind(), FailureKind::UnknownMechanism);
    assert_eq!(f.smtp().code, 504);
    assert_eq!(f.smtp().enhanced, "5.5.4");
    assert!(
        f.smtp().line().starts_with("504 5.5.4 "),
        "{}",
        f.smtp().line()
    );
    assert_eq!(f.imap().status, sasl_core::ImapStatus::No);
    assert_eq!(f.imap().code, None);
    assert!(
        f.imap().line("A1", "x").starts_with("A1 NO "),
        "{}",
        f.imap().line("A1", "x")
    );
    assert!(f.local_error().is_none());
    // Also for names that are not even valid mechanism names.
    for bad in ["", "plain plain", "ÉCHO", "A-NAME-LONGER-THAN-TWENTY"] {
        let f = m.start(bad, &ConnectionInfo::tls()).unwrap_err();
        assert_eq!(f.reason().kind(), FailureKind::UnknownMechanism, "{bad:?}");
        assert_eq!(
            f.smtp().line(),
            "504 5.5.4 Unrecognized authentication type"
        );
    }

    // PLAIN without TLS: the client must encrypt first.
    let f = m.start("PLAIN", &ConnectionInfo::plaintext()).unwrap_err();
    assert_eq!(f.reason().kind(), FailureKind::EncryptionRequired);
    assert_eq!(f.smtp().code, 538);
    assert_eq!(f.smtp().enhanced, "5.7.11");
    assert!(
        f.smtp().line().starts_with("538 5.7.11 "),
        "{}",
        f.smtp().line()
    );
    assert_eq!(f.imap().status, sasl_core::ImapStatus::No);
    assert_eq!(f.imap().code, Some(sasl_core::ImapCode::PrivacyRequired));
    assert_eq!(f.imap().line("A1", "x"), "A1 NO [PRIVACYREQUIRED] x");
    // Lowercase from the client is accepted on TLS.
    assert!(m.start("plain", &ConnectionInfo::tls()).is_ok());
    assert!(
        m.start(
            "PLAIN",
            &ConnectionInfo::plaintext().allow_plaintext_passwords(true)
        )
        .is_ok()
    );
}

/// Runs a PLAIN client to the server's reply and returns the failure it ends with.
fn plain_client_failure(reply: ServerReply) -> sasl_core::ClientFailure {
    let clients = ClientRegistry::new().with(sasl_plain::PlainClient::factory());
    let conn = ConnectionInfo::tls();
    let creds = ClientCredentials::new("tim").with_password("tanstaaftanstaaf");
    let mut c = clients.start("PLAIN", &["PLAIN"], creds, &conn).unwrap();
    assert!(matches!(c.start().unwrap(), ClientStep::Respond(_)));
    match c.finish(reply).unwrap() {
        ClientOutcome::Failure(f) => f,
        ClientOutcome::Success(s) => panic!("unexpected success {s:?}"),
    }
}

#[test]
fn pop3_and_imap_replies_are_strict() {
    assert_eq!(
        ServerReply::from_pop3("+OK\r\n"),
        Some(ServerReply::success())
    );
    assert_eq!(
        ServerReply::from_pop3("+OK welcome"),
        Some(ServerReply::success())
    );
    assert_eq!(ServerReply::from_pop3("+OKAY"), None);
    assert_eq!(ServerReply::from_pop3("+OK a\rb"), None);
    // Another command's OK is not the login's.
    assert_eq!(ServerReply::from_imap("A2", "A1 OK done"), None);
    assert!(matches!(
        ServerReply::from_imap("A2", "* BYE shutting down"),
        Some(ServerReply::Failure(_))
    ));
}

#[test]
fn server_replies_drive_the_client_action() {
    use sasl_core::ClientAction;
    let cases: [(Option<ServerReply>, FailureKind, ClientAction); 4] = [
        (
            ServerReply::from_imap("A1", "A1 NO [UNAVAILABLE] x"),
            FailureKind::Temporary,
            ClientAction::Retry,
        ),
        (
            ServerReply::from_imap("A1", "A1 NO [AUTHENTICATIONFAILED] x"),
            FailureKind::InvalidCredentials,
            ClientAction::AskUser,
        ),
        (
            ServerReply::from_smtp("535 5.7.8 x"),
            FailureKind::InvalidCredentials,
            ClientAction::AskUser,
        ),
        (
            ServerReply::from_smtp("454 4.7.0 x"),
            FailureKind::Temporary,
            ClientAction::Retry,
        ),
    ];
    for (reply, kind, action) in cases {
        let reply = reply.expect("a parsable reply");
        let ServerReply::Failure(failure) = &reply else {
            panic!("{reply:?}")
        };
        assert_eq!(failure.kind(), kind, "{reply:?}");
        assert_eq!(failure.text(), "x", "{reply:?}");
        let f = plain_client_failure(reply.clone());
        assert_eq!(f.reason().kind(), kind, "{reply:?}");
        assert_eq!(f.action(), action, "{reply:?}");
        assert_eq!(f.server_error(), Some("x"), "{reply:?}");
    }
    // Success replies parse as success and authenticate a PLAIN client.
    for reply in [
        ServerReply::from_imap("A1", "A1 OK done"),
        ServerReply::from_smtp("235 2.7.0 Authentication successful"),
    ] {
        let reply = reply.expect("a parsable reply");
        assert_eq!(reply, ServerReply::success());
    }
}

#[test]
fn secrets_do_not_leak_through_debug() {
    let creds = ClientCredentials::new("u").with_password("hunter2-secret");
    assert!(!format!("{creds:?}").contains("hunter2"));
    let check = sasl_core::VerifyPassword::new(
        MechanismName::from_static("PLAIN"),
        "u".into(),
        None,
        "hunter2-secret".into(),
    );
    assert!(!format!("{check:?}").contains("hunter2"));
    let keys = sasl_core::ScramKeys::new(
        sasl_core::ScramHash::Sha1,
        4096,
        vec![1],
        vec![0xAB; 20],
        vec![0xCD; 20],
    )
    .unwrap();
    let shown = format!("{keys:?}");
    assert!(
        !shown.contains("171") && !shown.contains("AB") && !shown.contains("ab, "),
        "{shown}"
    );
}

#[test]
fn scram_credentials_validate_lengths() {
    use sasl_core::{ScramCredentials, ScramHash};
    assert!(
        ScramCredentials::new(
            ScramHash::Sha256,
            4096,
            vec![1; 16],
            vec![0; 32],
            vec![0; 32]
        )
        .is_ok()
    );
    assert!(
        ScramCredentials::new(
            ScramHash::Sha256,
            4096,
            vec![1; 16],
            vec![0; 20],
            vec![0; 32]
        )
        .is_err()
    );
    assert!(
        ScramCredentials::new(ScramHash::Sha1, 0, vec![1; 16], vec![0; 20], vec![0; 20]).is_err()
    );
    assert!(ScramCredentials::new(ScramHash::Sha1, 1, vec![], vec![0; 20], vec![0; 20]).is_err());
}

proptest! {
    #[test]
    fn wire_round_trip(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let line = wire::encode_response(&data);
        let decoded = wire::decode_response(line.as_bytes()).unwrap();
        prop_assert!(matches!(&decoded, wire::Response::Data(d) if *d.expose() == data), "{:?}", decoded);
        let ir = wire::encode_initial_response(&data);
        prop_assert_eq!(wire::decode_initial_response(Some(ir.as_bytes())).unwrap(), Some(data));
    }

    #[test]
    fn wire_decode_never_panics(line in prop::collection::vec(any::<u8>(), 0..100)) {
        let _ = wire::decode_response(&line);
        let _ = wire::decode_initial_response(Some(&line));
    }

    #[test]
    fn mechanism_names_follow_rfc4422(name in "[A-Za-z0-9_.\\- ]{0,24}") {
        let valid = !name.is_empty() && name.len() <= 20
            && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        prop_assert_eq!(MechanismName::new(name.clone()).is_ok(), valid);
    }
}
