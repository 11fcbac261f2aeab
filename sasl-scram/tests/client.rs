//! Client behaviour: bounds on what the server controls, mandatory server signature,
//! e= mapping, key caching.
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
    ClientCredentials, ClientMechanism, ClientOutcome, ClientSession, ClientStep, ConnectionInfo,
    Error, FailureKind, Limits, ScramHash, ServerReply,
};
use sasl_scram::{ScramClient, ScramClientConfig, ScramServer, ScramVariant, UsernamePrep, derive};

const CNONCE: &str = "fyko+d2lbbFgONRv9qkxdawL";

fn client_with(config: ScramClientConfig, creds: ClientCredentials) -> ScramClient {
    ScramClient::new(
        config,
        ScramVariant::bare(ScramHash::Sha1),
        creds,
        &ConnectionInfo::tls(),
    )
    .unwrap()
    .with_client_nonce(CNONCE)
    .unwrap()
}

fn client() -> ScramClient {
    client_with(
        ScramClientConfig::new(),
        ClientCredentials::new("user").with_password("pencil"),
    )
}

/// The client nonce carries the configured number of random bytes, 18 to 48.
#[test]
fn nonce_length_is_configurable_within_bounds() {
    let nonce_len = |config: ScramClientConfig| {
        let mut c = ScramClient::new(
            config,
            ScramVariant::bare(ScramHash::Sha256),
            ClientCredentials::new("user").with_password("pencil"),
            &ConnectionInfo::tls(),
        )
        .unwrap();
        let ClientStep::Respond(first) = c.start().unwrap() else {
            panic!("client-first")
        };
        let text = String::from_utf8(first.expose().to_vec()).unwrap();
        let r = text.rsplit_once(",r=").unwrap().1.to_owned();
        r.len()
    };
    let default = nonce_len(ScramClientConfig::new());
    assert_eq!(
        nonce_len(ScramClientConfig::new().with_nonce_len(18)),
        default
    );
    let n32 = nonce_len(ScramClientConfig::new().with_nonce_len(32));
    let n48 = nonce_len(ScramClientConfig::new().with_nonce_len(48));
    assert!(default < n32 && n32 < n48, "{default} {n32} {n48}");
    assert_eq!(
        nonce_len(ScramClientConfig::new().with_nonce_len(1)),
        default
    );
    assert_eq!(
        nonce_len(ScramClientConfig::new().with_nonce_len(1000)),
        n48
    );
}

fn server_first_aborts(c: &mut ScramClient, sf: &str) -> FailureKind {
    let _ = c.start().unwrap();
    match c.step(sf.as_bytes()).unwrap() {
        ClientStep::Abort(f) => f.reason().kind(),
        other => panic!("{sf} accepted: {other:?}"),
    }
}

#[test]
fn server_first_must_reject_list() {
    let good_nonce = format!("r={CNONCE}3rfcNHYJY1ZVvWVs7j");
    let cases = [
        format!("m=x,{good_nonce},s=QSXCR+Q6sek8bf92,i=4096"),
        "r=other3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096".to_string(),
        format!("r={CNONCE},s=QSXCR+Q6sek8bf92,i=4096"),
        format!("r={CNONCE}abc,s=QSXCR+Q6sek8bf92,i=4096"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf9,i=4096"),
        format!("{good_nonce},s=,i=4096"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=04096"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=0"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=-1"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=4095"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=1000001"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=99999999999999"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92"),
        format!("{good_nonce},i=4096,s=QSXCR+Q6sek8bf92"),
        format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=4096,i=4096"),
        format!("{good_nonce},s=QSXCR+Q6,i=4096"),
        format!("{good_nonce},s={},i=4096", "A".repeat(400)),
        format!("{good_nonce} x,s=QSXCR+Q6sek8bf92,i=4096"),
    ];
    for sf in cases {
        let kind = server_first_aborts(&mut client(), &sf);
        assert!(
            matches!(kind, FailureKind::Protocol | FailureKind::MessageTooLarge),
            "{sf}: {kind:?}"
        );
    }
    // An error in place of the server-first ends the exchange and keeps the value.
    for (sf, kind, value) in [
        ("e=other-error", FailureKind::Rejected, "other-error"),
        (
            "e=server-does-support-channel-binding",
            FailureKind::ChannelBindingDowngrade,
            "server-does-support-channel-binding",
        ),
        ("e=no-resources", FailureKind::Temporary, "no-resources"),
    ] {
        let mut c = client();
        let _ = c.start().unwrap();
        let ClientStep::Abort(f) = c.step(sf.as_bytes()).unwrap() else {
            panic!("{sf}")
        };
        assert_eq!(f.reason().kind(), kind, "{sf}");
        assert_eq!(f.server_error(), Some(value), "{sf}");
        assert!(c.step(b"r=x").is_err(), "{sf}: the exchange is over");
    }
    assert_eq!(
        server_first_aborts(&mut client(), "e="),
        FailureKind::Protocol
    );
    // Unknown extensions after i= are ignored.
    let mut c = client();
    let _ = c.start().unwrap();
    let sf = format!("{good_nonce},s=QSXCR+Q6sek8bf92,i=4096,x=ext");
    assert!(matches!(
        c.step(sf.as_bytes()).unwrap(),
        ClientStep::Respond(_)
    ));
}

#[test]
fn iteration_and_salt_windows_are_configurable() {
    let sf = format!("r={CNONCE}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    let strict = ScramClientConfig::new()
        .with_iterations(10_000, 20_000)
        .unwrap();
    let mut c = client_with(
        strict,
        ClientCredentials::new("user").with_password("pencil"),
    );
    assert_eq!(server_first_aborts(&mut c, &sf), FailureKind::Protocol);
    let big_salt = ScramClientConfig::new().with_salt_len(16, 64).unwrap();
    let mut c = client_with(
        big_salt,
        ClientCredentials::new("user").with_password("pencil"),
    );
    assert_eq!(server_first_aborts(&mut c, &sf), FailureKind::Protocol);
    let long_nonce = ScramClientConfig::new().with_min_server_nonce_len(20);
    let mut c = client_with(
        long_nonce,
        ClientCredentials::new("user").with_password("pencil"),
    );
    assert_eq!(server_first_aborts(&mut c, &sf), FailureKind::Protocol);
    assert!(ScramClientConfig::new().with_iterations(0, 1).is_err());
    assert!(ScramClientConfig::new().with_iterations(5, 4).is_err());
    assert!(ScramClientConfig::new().with_salt_len(0, 4).is_err());
}

const SF: &str = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
const V: &str = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";

#[test]
fn success_needs_a_valid_server_signature() {
    // Success before any server-final.
    let mut c = client();
    let _ = c.start().unwrap();
    let _ = c.step(SF.as_bytes()).unwrap();
    let ClientOutcome::Failure(f) = c.finish(ServerReply::success()).unwrap() else {
        panic!("accepted success without v=")
    };
    assert_eq!(f.reason().kind(), FailureKind::ServerNotAuthenticated);
    // Success right after the client-first.
    let mut c = client();
    let _ = c.start().unwrap();
    let out = c.finish(ServerReply::success()).unwrap();
    assert!(!out.is_authenticated());
    // Valid v= then success.
    let mut c = client();
    let _ = c.start().unwrap();
    let _ = c.step(SF.as_bytes()).unwrap();
    let ClientStep::Respond(ack) = c.step(V.as_bytes()).unwrap() else {
        panic!("valid v= not acknowledged")
    };
    assert!(ack.expose().is_empty());
    assert!(c.finish(ServerReply::success()).unwrap().is_authenticated());
    // Valid v= but the server then says failure.
    let mut c = client();
    let _ = c.start().unwrap();
    let _ = c.step(SF.as_bytes()).unwrap();
    let _ = c.step(V.as_bytes()).unwrap();
    assert!(!c.finish(ServerReply::failure()).unwrap().is_authenticated());
    assert_eq!(
        c.finish(ServerReply::failure()).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );
    // Malformed or truncated v=.
    for bad in [
        "v=",
        "v=rmF9pqV8S7suAoZWja4dJRkFsKQ",
        "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=,v=x",
        "x=1",
        "v=AAAA",
    ] {
        let mut c = client();
        let _ = c.start().unwrap();
        let _ = c.step(SF.as_bytes()).unwrap();
        let ClientStep::Abort(_) = c.step(bad.as_bytes()).unwrap() else {
            panic!("{bad}")
        };
    }
    // A challenge after verification.
    let mut c = client();
    let _ = c.start().unwrap();
    let _ = c.step(SF.as_bytes()).unwrap();
    let _ = c.step(V.as_bytes()).unwrap();
    assert!(matches!(c.step(b"more").unwrap(), ClientStep::Abort(_)));
}

#[test]
fn server_errors_are_mapped() {
    let cases = [
        (
            "e=invalid-proof",
            FailureKind::InvalidCredentials,
            "invalid-proof",
        ),
        ("e=unknown-user", FailureKind::UnknownUser, "unknown-user"),
        (
            "e=channel-bindings-dont-match",
            FailureKind::ChannelBindingMismatch,
            "channel-bindings-dont-match",
        ),
        (
            "e=server-does-support-channel-binding",
            FailureKind::ChannelBindingDowngrade,
            "server-does-support-channel-binding",
        ),
        ("e=no-resources", FailureKind::Temporary, "no-resources"),
        ("e=something-new", FailureKind::Rejected, "other-error"),
        ("e=other-error,x=1", FailureKind::Rejected, "other-error"),
    ];
    for (msg, kind, value) in cases {
        let mut c = client();
        let _ = c.start().unwrap();
        let _ = c.step(SF.as_bytes()).unwrap();
        let ClientStep::Abort(f) = c.step(msg.as_bytes()).unwrap() else {
            panic!("{msg}")
        };
        assert_eq!(f.reason().kind(), kind, "{msg}");
        assert_eq!(f.server_error(), Some(value), "{msg}");
    }
}

#[test]
fn cached_keys_skip_pbkdf2() {
    let creds = derive(ScramHash::Sha256, "pencil", b"0123456789abcdef", 4096).unwrap();
    let new_client = |c: ClientCredentials| {
        ScramClient::new(
            ScramClientConfig::new(),
            ScramVariant::bare(ScramHash::Sha256),
            c,
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    let server = || {
        ScramServer::new(
            server_config(),
            ScramVariant::bare(ScramHash::Sha256),
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    // First login derives and hands the keys back.
    let t = exchange(
        &mut new_client(ClientCredentials::new("user").with_password("pencil")),
        &mut server(),
        Store::Found(creds.clone()),
        no_tamper,
    );
    let Some(Ok(ok)) = t.client else { panic!() };
    let keys = ok.scram_keys().unwrap().clone();
    assert_eq!(keys.iterations(), 4096);
    // Second login with the cached keys and a WRONG password still succeeds: the
    // password was never used, so PBKDF2 did not run. No keys come back.
    let t = exchange(
        &mut new_client(
            ClientCredentials::new("user")
                .with_password("wrong")
                .with_scram_keys(keys.clone()),
        ),
        &mut server(),
        Store::Found(creds.clone()),
        no_tamper,
    );
    let Some(Ok(ok)) = &t.client else {
        panic!("{t:?}")
    };
    assert!(ok.scram_keys().is_none());
    assert!(t.server_ok());
    // Keys alone, no password.
    let t = exchange(
        &mut new_client(ClientCredentials::new("user").with_scram_keys(keys.clone())),
        &mut server(),
        Store::Found(creds),
        no_tamper,
    );
    assert!(t.client_ok() && t.server_ok());
    // Keys for another salt and no password: the client gives up cleanly.
    let other = derive(ScramHash::Sha256, "pencil", b"another salt 123", 4096).unwrap();
    let t = exchange(
        &mut new_client(ClientCredentials::new("user").with_scram_keys(keys)),
        &mut server(),
        Store::Found(other),
        no_tamper,
    );
    let Some(Err(f)) = &t.client else {
        panic!("{t:?}")
    };
    assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
    // Neither password nor keys: cannot start.
    assert!(matches!(
        ScramClient::new(
            ScramClientConfig::new(),
            ScramVariant::bare(ScramHash::Sha256),
            ClientCredentials::new("u"),
            &ConnectionInfo::tls()
        ),
        Err(Error::Config(sasl_core::ConfigError::MissingCredentials(_)))
    ));
}

#[test]
fn client_first_format_and_misuse() {
    let new_client = || {
        ScramClient::new(
            ScramClientConfig::new().with_random(std::sync::Arc::new(CountingRandom::default())),
            ScramVariant::bare(ScramHash::Sha256),
            ClientCredentials::new("us,er=x")
                .with_password("p")
                .with_authzid("ad,min"),
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    let mut c = new_client();
    assert_eq!(
        c.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NotStarted)
    );
    let ClientStep::Respond(m) = c.start().unwrap() else {
        panic!()
    };
    let m = String::from_utf8(m.expose().clone()).unwrap();
    assert_eq!(m, "n,a=ad=2Cmin,n=us=2Cer=3Dx,r=AAECAwQFBgcICQoLDA0ODxAR");
    assert_eq!(
        c.start().unwrap_err(),
        Error::Misuse(sasl_core::Misuse::AlreadyStarted)
    );
    // The typed machine takes an empty challenge as a (malformed) server-first: the
    // resend of the client-first is the session's job (RFC 4422 §5).
    assert!(matches!(c.step(b"").unwrap(), ClientStep::Abort(_)));
    assert_eq!(
        c.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );
    // Under a session, an empty first challenge asks for the client-first again (no
    // initial response), once.
    let mut session = ClientSession::new(
        ScramVariant::bare(ScramHash::Sha256).name().unwrap(),
        Box::new(new_client()),
        Limits::default(),
    );
    let ClientStep::Respond(first) = session.start().unwrap() else {
        panic!()
    };
    assert_eq!(first.expose().as_slice(), m.as_bytes());
    let ClientStep::Respond(again) = session.step(b"").unwrap() else {
        panic!("empty challenge did not get the client-first again")
    };
    assert_eq!(again.expose().as_slice(), m.as_bytes());
    assert!(matches!(session.step(b"").unwrap(), ClientStep::Abort(_)));
    assert_eq!(
        session.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::Finished)
    );
    // A user name SASLprep refuses.
    let mut c = ScramClient::new(
        ScramClientConfig::new(),
        ScramVariant::bare(ScramHash::Sha256),
        ClientCredentials::new("bad\u{7}").with_password("p"),
        &ConnectionInfo::tls(),
    )
    .unwrap();
    assert!(matches!(c.start().unwrap(), ClientStep::Abort(_)));
    // A failing random source is a local error.
    let mut c = ScramClient::new(
        ScramClientConfig::new().with_random(std::sync::Arc::new(FailingRandom)),
        ScramVariant::bare(ScramHash::Sha256),
        ClientCredentials::new("u").with_password("p"),
        &ConnectionInfo::tls(),
    )
    .unwrap();
    assert_eq!(c.start().unwrap_err(), Error::Random);
}

#[test]
fn nul_in_names_is_refused_locally() {
    let start = |prep: UsernamePrep, creds: ClientCredentials| {
        let mut c = ScramClient::new(
            ScramClientConfig::new().with_username_prep(prep),
            ScramVariant::bare(ScramHash::Sha256),
            creds.with_password("p"),
            &ConnectionInfo::tls(),
        )
        .unwrap();
        let step = c.start().unwrap();
        // Terminal either way once aborted.
        (step, c)
    };
    for prep in [
        UsernamePrep::None,
        UsernamePrep::SaslPrep,
        UsernamePrep::PrecisCaseMapped,
    ] {
        // NUL in the user name: never sent, whatever the preparation.
        let (step, mut c) = start(prep, ClientCredentials::new("us\0er"));
        let ClientStep::Abort(f) = step else {
            panic!("{prep:?}: {step:?}")
        };
        assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
        assert_eq!(
            c.step(b"x").unwrap_err(),
            Error::Misuse(sasl_core::Misuse::Finished)
        );
        // NUL in the authzid.
        let (step, _) = start(prep, ClientCredentials::new("user").with_authzid("ad\0min"));
        let ClientStep::Abort(f) = step else {
            panic!("{prep:?}: {step:?}")
        };
        assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
        assert!(f.reason().detail().contains("authorization identity"));
    }
    // `,` and `=` are escaped in both names, also without preparation.
    let (step, _) = start(
        UsernamePrep::None,
        ClientCredentials::new("a=b,c").with_authzid("=x,y="),
    );
    let ClientStep::Respond(m) = step else {
        panic!("{step:?}")
    };
    let m = String::from_utf8(m.expose().clone()).unwrap();
    assert!(m.starts_with("n,a==3Dx=2Cy=3D,n=a=3Db=2Cc,r="), "{m}");
}

/// Found by the fuzz target `scram_messages` (client against server parser): a name
/// over 1024 bytes once `,` and `=` are escaped went out, and a server built on
/// sasl-core refuses it as an invalid encoding. The client now refuses it locally;
/// a name exactly at the limit goes out and the server parses it.
#[test]
fn names_over_the_saslname_limit_are_refused_locally() {
    let start = |creds: ClientCredentials| {
        let mut c = ScramClient::new(
            ScramClientConfig::new().with_username_prep(UsernamePrep::None),
            ScramVariant::bare(ScramHash::Sha256),
            creds.with_password("p"),
            &ConnectionInfo::tls(),
        )
        .unwrap();
        c.start().unwrap()
    };
    // 340 commas escape to 1020 bytes: four more bytes reach the limit, five pass it.
    let at_limit = format!("{}abcd", ",".repeat(340));
    let over_limit = format!("{}abcde", ",".repeat(340));
    for creds in [
        ClientCredentials::new(over_limit.as_str()),
        ClientCredentials::new("user").with_authzid(over_limit.as_str()),
    ] {
        let step = start(creds);
        let ClientStep::Abort(f) = step else {
            panic!("{step:?}")
        };
        assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
        assert!(f.reason().detail().contains("1024 bytes escaped"), "{f:?}");
    }
    for creds in [
        ClientCredentials::new(at_limit.as_str()),
        ClientCredentials::new("user").with_authzid(at_limit.as_str()),
    ] {
        let ClientStep::Respond(first) = start(creds) else {
            panic!("the name at the limit is refused")
        };
        let mut server = ScramServer::new(
            server_config(),
            ScramVariant::bare(ScramHash::Sha256),
            &ConnectionInfo::tls(),
        )
        .unwrap();
        let step = sasl_core::ServerMechanism::start(&mut server, Some(first.expose())).unwrap();
        assert!(
            matches!(step, sasl_core::ServerStep::Request(_)),
            "our server refused what our client sent: {step:?}"
        );
    }
}

#[test]
fn client_nonce_leaves_room_for_the_server_part() {
    // The combined nonce is at most 512 bytes; a fixed client nonce that leaves less
    // room than the required server part could never see a server-first accepted.
    let with_nonce = |config: ScramClientConfig, nonce: &str| {
        ScramClient::new(
            config,
            ScramVariant::bare(ScramHash::Sha256),
            ClientCredentials::new("user").with_password("pencil"),
            &ConnectionInfo::tls(),
        )
        .unwrap()
        .with_client_nonce(nonce)
    };
    assert!(with_nonce(ScramClientConfig::new(), &"x".repeat(504)).is_ok());
    let r = with_nonce(ScramClientConfig::new(), &"x".repeat(505));
    assert!(matches!(r, Err(Error::Config(_))), "{r:?}");
    let strict = || ScramClientConfig::new().with_min_server_nonce_len(100);
    assert!(with_nonce(strict(), &"x".repeat(412)).is_ok());
    assert!(matches!(
        with_nonce(strict(), &"x".repeat(413)),
        Err(Error::Config(_))
    ));

    // A minimum server part past what can fit next to a random client nonce is
    // clamped (to 448), so an exchange stays possible.
    let server_part = "s".repeat(448);
    let mut c = ScramClient::new(
        ScramClientConfig::new().with_min_server_nonce_len(10_000),
        ScramVariant::bare(ScramHash::Sha256),
        ClientCredentials::new("user").with_password("pencil"),
        &ConnectionInfo::tls(),
    )
    .unwrap();
    let mut s = ScramServer::new(
        server_config(),
        ScramVariant::bare(ScramHash::Sha256),
        &ConnectionInfo::tls(),
    )
    .unwrap()
    .with_server_nonce(&server_part)
    .unwrap();
    let creds = derive(ScramHash::Sha256, "pencil", b"0123456789abcdef", 4096).unwrap();
    let t = exchange(&mut c, &mut s, Store::Found(creds), no_tamper);
    assert!(t.server_ok() && t.client_ok(), "{:?}", t.client);

    // A server-first whose combined nonce exceeds 512 bytes is refused.
    let mut c = client_with(
        ScramClientConfig::new(),
        ClientCredentials::new("user").with_password("pencil"),
    );
    let long = format!(
        "r={CNONCE}{},s=QSXCR+Q6sek8bf92,i=4096",
        "s".repeat(513 - CNONCE.len())
    );
    assert_eq!(server_first_aborts(&mut c, &long), FailureKind::Protocol);
}

/// Whether a fresh [`client`] (or one with `config`) answers `sf` with a client-final.
fn answers(config: ScramClientConfig, sf: &str) -> Result<(), FailureKind> {
    let mut c = client_with(
        config,
        ClientCredentials::new("user").with_password("pencil"),
    );
    let _ = c.start().unwrap();
    match c.step(sf.as_bytes()).unwrap() {
        ClientStep::Respond(_) => Ok(()),
        ClientStep::Abort(f) => Err(f.reason().kind()),
        other => panic!("{sf}: {other:?}"),
    }
}

fn b64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[test]
fn server_first_windows_are_inclusive() {
    let sf = |server_part: &str, salt: &[u8], iterations: u32| {
        format!(
            "r={CNONCE}{server_part},s={},i={iterations}",
            b64_encode(salt)
        )
    };
    let salt16 = b"0123456789abcdef";
    let d = ScramClientConfig::new;
    // The server nonce part: at least 8 characters by default.
    assert_eq!(answers(d(), &sf("12345678", salt16, 4096)), Ok(()));
    assert_eq!(
        answers(d(), &sf("1234567", salt16, 4096)),
        Err(FailureKind::Protocol)
    );
    // Salt: 8 to 256 bytes by default, both ends included (256 bytes is the longest
    // base64 the length gate lets through).
    assert_eq!(answers(d(), &sf("12345678", &[7u8; 8], 4096)), Ok(()));
    assert_eq!(
        answers(d(), &sf("12345678", &[7u8; 7], 4096)),
        Err(FailureKind::Protocol)
    );
    assert_eq!(answers(d(), &sf("12345678", &[7u8; 256], 4096)), Ok(()));
    assert_eq!(
        answers(d(), &sf("12345678", &[7u8; 257], 4096)),
        Err(FailureKind::Protocol)
    );
    assert_eq!(answers(d(), &sf("12345678", &[7u8; 200], 4096)), Ok(()));
    // Iterations: both ends of a configured window are accepted.
    let exact = || {
        ScramClientConfig::new()
            .with_iterations(4096, 4096)
            .unwrap()
    };
    assert_eq!(answers(exact(), &sf("12345678", salt16, 4096)), Ok(()));
    assert_eq!(
        answers(exact(), &sf("12345678", salt16, 4097)),
        Err(FailureKind::Protocol)
    );
    assert_eq!(
        answers(exact(), &sf("12345678", salt16, 4095)),
        Err(FailureKind::Protocol)
    );
    // Windows may be a single value.
    assert!(ScramClientConfig::new().with_iterations(5, 5).is_ok());
    assert!(ScramClientConfig::new().with_salt_len(5, 5).is_ok());
    assert!(ScramClientConfig::new().with_salt_len(1, 4096).is_ok());
    assert!(ScramClientConfig::new().with_salt_len(1, 4097).is_err());
    assert!(ScramClientConfig::new().with_salt_len(6, 5).is_err());
}

#[test]
fn long_salts_decoded_off_the_stack_authenticate() {
    // Salts longer than the client's stack buffer (96 bytes) are decoded on the heap:
    // the keys must come from the whole salt, so the exchange succeeds end to end.
    for len in [96usize, 97, 200, 256] {
        let salt: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
        let creds = derive(ScramHash::Sha1, "pencil", &salt, 4096).unwrap();
        let mut s = ScramServer::new(
            server_config(),
            ScramVariant::bare(ScramHash::Sha1),
            &ConnectionInfo::tls(),
        )
        .unwrap();
        let t = exchange(&mut client(), &mut s, Store::Found(creds), no_tamper);
        assert!(t.server_ok() && t.client_ok(), "{len}: {t:?}");
        let Some(Ok(ok)) = &t.client else { panic!() };
        assert_eq!(ok.scram_keys().unwrap().salt(), &salt[..], "{len}");
    }
}

#[test]
fn messages_of_exactly_the_size_limit_are_read() {
    const MAX: usize = 8192;
    let padded = |msg: &str, len: usize| {
        let mut m = format!("{msg},x=");
        m.push_str(&"y".repeat(len - m.len()));
        m
    };
    // Server-first.
    assert_eq!(answers(ScramClientConfig::new(), &padded(SF, MAX)), Ok(()));
    assert_eq!(
        answers(ScramClientConfig::new(), &padded(SF, MAX + 1)),
        Err(FailureKind::MessageTooLarge)
    );
    // Server-final: the extension is ignored, the signature still verifies.
    for (len, ok) in [(MAX, true), (MAX + 1, false)] {
        let mut c = client();
        let _ = c.start().unwrap();
        let _ = c.step(SF.as_bytes()).unwrap();
        match c.step(padded(V, len).as_bytes()).unwrap() {
            ClientStep::Respond(ack) => {
                assert!(ok && ack.expose().is_empty(), "{len}");
                assert!(c.finish(ServerReply::success()).unwrap().is_authenticated());
            }
            ClientStep::Abort(f) => {
                assert!(!ok, "{len}: {f:?}");
                assert_eq!(f.reason().kind(), FailureKind::MessageTooLarge);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn config_accessors_report_the_settings() {
    use sasl_scram::PasswordPrep;
    let c = ScramClientConfig::new()
        .with_iterations(10_000, 20_000)
        .unwrap()
        .with_password_prep(PasswordPrep::OpaqueString);
    assert_eq!(c.iterations(), (10_000, 20_000));
    assert_eq!(c.password_prep(), PasswordPrep::OpaqueString);
    assert_eq!(ScramClientConfig::new().iterations(), (4096, 1_000_000));
    let debug = format!("{c:?}");
    assert!(debug.starts_with("ScramClientConfig"), "{debug}");
    assert!(debug.contains("min_iterations: 10000"), "{debug}");
}
