//! PLAIN interop with an independent implementation, GNU SASL's `gsasl` command, in
//! both directions: our client against `gsasl --server -m PLAIN`, and
//! `gsasl --client -m PLAIN` against our server. Driven by `sasl_test::peers`.
//!
//! Without `gsasl` installed each test prints `SKIPPED` and passes, unless
//! `SASL_REQUIRE_PEERS=1` (CI), where it fails.
//!
//! What a `gsasl` PLAIN server can tell us: it checks the password given with `-p`
//! (after SASLprep) and nothing else. It accepts *any* authentication identity and
//! any authorization identity, so the identity tests are on our server's side.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sasl_core::{
    ClientCredentials, ClientRegistry, ClientSession, ConnectionInfo, FailureKind, Request,
    ServerRegistry, ServerSession, Store,
};
use sasl_plain::{PlainClient, PlainServer};
use sasl_test::peers::{self, PeerError, PeerRun, PeerTool};
use std::sync::Mutex;

const USER: &str = "alice";
const PASSWORD: &str = "pencil";

fn our_client(credentials: ClientCredentials) -> ClientSession {
    ClientRegistry::new()
        .with(PlainClient::factory())
        .start("PLAIN", &["PLAIN"], credentials, &ConnectionInfo::tls())
        .unwrap()
}

fn our_server() -> ServerSession {
    ServerRegistry::new()
        .with(PlainServer::factory())
        .start("PLAIN", &ConnectionInfo::tls())
        .unwrap()
}

/// Our client, as `user` with `password`, against a `gsasl` server that knows
/// `PASSWORD`.
fn client_run(gsasl: &PeerTool, credentials: ClientCredentials) -> Result<PeerRun, PeerError> {
    let peer = gsasl.server("PLAIN").password(PASSWORD).spawn()?;
    Ok(peers::run_our_client_against(peer, our_client(credentials)))
}

/// A store that knows one user and records what each request asked for.
struct Accounts {
    grant_authzid: bool,
    seen: Mutex<Vec<(String, Option<String>)>>,
}

impl Accounts {
    fn new(grant_authzid: bool) -> Self {
        Self {
            grant_authzid,
            seen: Mutex::new(Vec::new()),
        }
    }

    fn seen(&self) -> Vec<(String, Option<String>)> {
        self.seen.lock().unwrap().clone()
    }
}

impl Store for Accounts {
    fn answer(&self, request: Request) -> sasl_core::Answer {
        let Request::VerifyPassword(check) = request else {
            panic!("PLAIN asks for a password check");
        };
        self.seen.lock().unwrap().push((
            check.authcid().to_owned(),
            check.authzid().map(str::to_owned),
        ));
        if check.authcid() != USER {
            check.unknown_user()
        } else if !check.password_matches(PASSWORD) {
            check.invalid()
        } else if self.grant_authzid {
            check.valid_with_authzid()
        } else {
            check.valid()
        }
    }
}

/// A `gsasl` client against our server.
fn server_run(
    gsasl: &PeerTool,
    user: &str,
    password: &str,
    authzid: Option<&str>,
    store: &Accounts,
) -> Result<PeerRun, PeerError> {
    let mut spec = gsasl.client("PLAIN").user(user).password(password);
    if let Some(z) = authzid {
        spec = spec.authzid(z);
    }
    Ok(peers::run_peer_client_against(
        spec.spawn()?,
        our_server(),
        store,
    ))
}

// ---- our client against the gsasl server ----------------------------------------------

#[test]
fn our_client_authenticates_to_gsasl_server() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let run = client_run(&gsasl, ClientCredentials::new(USER).with_password(PASSWORD))?;
    assert!(run.both_succeeded(), "{run}");
    // One message, exactly RFC 4616's `[authzid] NUL authcid NUL passwd`; gsasl's
    // empty initial challenge and trailing line are not messages.
    assert_eq!(
        run.client_messages(),
        [b"\0alice\0pencil".as_slice()],
        "{run}"
    );
    assert!(run.server_messages().is_empty(), "{run}");
    let sasl_core::ClientOutcome::Success(success) = run.client_outcome().unwrap() else {
        panic!("{run}");
    };
    assert_eq!(success.mechanism().as_str(), "PLAIN");
    assert!(!success.server_verified(), "PLAIN cannot verify the server");
    Ok(())
}

#[test]
fn our_client_with_wrong_password_is_rejected_by_gsasl_server() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let run = client_run(
        &gsasl,
        ClientCredentials::new(USER).with_password("pencil2"),
    )?;
    assert!(run.both_failed(), "{run}");
    assert_eq!(run.peer.code, Some(1), "{run}");
    let outcome = run.client_outcome().expect("our client finished");
    let sasl_core::ClientOutcome::Failure(failure) = outcome else {
        panic!("{run}");
    };
    assert_eq!(failure.reason().kind(), FailureKind::Rejected, "{run}");
    Ok(())
}

#[test]
fn our_client_authzid_reaches_gsasl_server() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let run = client_run(
        &gsasl,
        ClientCredentials::new(USER)
            .with_password(PASSWORD)
            .with_authzid("admin"),
    )?;
    // gsasl parses the three fields (it would fail on a malformed message) and has no
    // authorization policy, so it accepts.
    assert!(run.both_succeeded(), "{run}");
    assert_eq!(run.client_messages(), [b"admin\0alice\0pencil".as_slice()]);
    Ok(())
}

#[test]
fn gsasl_server_checks_only_the_password() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    // A peer quirk pinned down, so that nobody reads more into a gsasl server's
    // success: `-p` is accepted for every user name.
    let run = client_run(
        &gsasl,
        ClientCredentials::new("mallory").with_password(PASSWORD),
    )?;
    assert!(run.both_succeeded(), "{run}");
    Ok(())
}

#[test]
fn gsasl_server_applies_saslprep_to_our_password() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    // SOFT HYPHEN is "mapped to nothing" by SASLprep (RFC 4013), so "pen\u{AD}cil"
    // and "pencil" are the same password to a preparing server.
    let run = client_run(
        &gsasl,
        ClientCredentials::new(USER).with_password("pen\u{AD}cil"),
    )?;
    assert!(run.both_succeeded(), "{run}");
    Ok(())
}

// ---- the gsasl client against our server ----------------------------------------------

#[test]
fn gsasl_client_authenticates_to_our_server() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let store = Accounts::new(false);
    let run = server_run(&gsasl, USER, PASSWORD, None, &store)?;
    assert!(run.both_succeeded(), "{run}");
    assert_eq!(
        run.client_messages(),
        [b"\0alice\0pencil".as_slice()],
        "{run}"
    );
    let auth = run.authenticated().unwrap();
    assert_eq!(auth.mechanism().as_str(), "PLAIN");
    assert_eq!(auth.authcid(), USER);
    assert_eq!(auth.authzid(), None);
    assert_eq!(auth.identity(), USER);
    assert_eq!(store.seen(), [(USER.to_owned(), None)]);
    Ok(())
}

#[test]
fn gsasl_client_with_wrong_password_fails_on_both_sides() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let store = Accounts::new(false);
    let run = server_run(&gsasl, USER, "pencil2", None, &store)?;
    // Our server fails; the gsasl client learns it from the end of its input (PLAIN has
    // no server message) and exits non-zero.
    assert!(run.both_failed(), "{run}");
    assert_eq!(
        run.server_failure().unwrap().reason().kind(),
        FailureKind::InvalidCredentials
    );
    Ok(())
}

#[test]
fn gsasl_client_unknown_user_fails_on_both_sides() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let store = Accounts::new(false);
    let run = server_run(&gsasl, "bob", PASSWORD, None, &store)?;
    assert!(run.both_failed(), "{run}");
    assert_eq!(
        run.server_failure().unwrap().reason().kind(),
        FailureKind::UnknownUser
    );
    assert_eq!(store.seen(), [("bob".to_owned(), None)]);
    Ok(())
}

#[test]
fn gsasl_client_authzid_granted_by_our_server() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let store = Accounts::new(true);
    let run = server_run(&gsasl, USER, PASSWORD, Some("admin"), &store)?;
    assert!(run.both_succeeded(), "{run}");
    assert_eq!(run.client_messages(), [b"admin\0alice\0pencil".as_slice()]);
    // The request carried gsasl's `-z` as the authzid.
    assert_eq!(store.seen(), [(USER.to_owned(), Some("admin".to_owned()))]);
    let auth = run.authenticated().unwrap();
    assert_eq!(auth.authcid(), USER);
    assert_eq!(auth.authzid(), Some("admin"));
    assert_eq!(auth.identity(), "admin");
    Ok(())
}

#[test]
fn gsasl_client_authzid_denied_by_our_server() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let store = Accounts::new(false);
    let run = server_run(&gsasl, USER, PASSWORD, Some("admin"), &store)?;
    assert!(run.both_failed(), "{run}");
    assert_eq!(store.seen(), [(USER.to_owned(), Some("admin".to_owned()))]);
    assert_eq!(
        run.server_failure().unwrap().reason().kind(),
        FailureKind::AuthorizationDenied
    );
    Ok(())
}

#[test]
fn gsasl_client_authzid_equal_to_authcid_needs_no_grant() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    let store = Accounts::new(false);
    let run = server_run(&gsasl, USER, PASSWORD, Some(USER), &store)?;
    assert!(run.both_succeeded(), "{run}");
    assert_eq!(run.client_messages(), [b"alice\0alice\0pencil".as_slice()]);
    assert_eq!(run.authenticated().unwrap().identity(), USER);
    Ok(())
}

#[test]
fn gsasl_client_utf8_and_unprepared_password_reach_our_server() -> Result<(), PeerError> {
    let Some(gsasl) = peers::require_gsasl()? else {
        return Ok(());
    };
    // The gsasl PLAIN client sends the password as given (no SASLprep); our server
    // prepares it (RFC 4616), so SOFT HYPHEN disappears and the password matches.
    let store = Accounts::new(false);
    let run = server_run(&gsasl, USER, "pen\u{AD}cil", None, &store)?;
    assert!(run.both_succeeded(), "{run}");
    assert_eq!(
        run.client_messages(),
        ["\0alice\0pen\u{AD}cil".as_bytes()],
        "gsasl sends the raw UTF-8"
    );
    Ok(())
}
