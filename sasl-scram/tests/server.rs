//! Server behaviour: strict parsing with precise reasons and RFC wire errors, unknown
//! users indistinguishable from wrong passwords, authzid, misuse.
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
    ClientCredentials, ConnectionInfo, Error, FailureKind, Request, ScramHash, ServerMechanism,
    ServerStep, Verdict,
};
use sasl_scram::{ScramClient, ScramClientConfig, ScramServer, ScramVariant, UsernamePrep, derive};

fn server() -> ScramServer {
    ScramServer::new(
        server_config(),
        ScramVariant::bare(ScramHash::Sha256),
        &ConnectionInfo::tls(),
    )
    .unwrap()
}

fn client(user: &str, password: &str) -> ScramClient {
    ScramClient::new(
        ScramClientConfig::new(),
        ScramVariant::bare(ScramHash::Sha256),
        ClientCredentials::new(user).with_password(password),
        &ConnectionInfo::tls(),
    )
    .unwrap()
}

fn creds() -> sasl_core::ScramCredentials {
    derive(ScramHash::Sha256, "pencil", b"0123456789abcdef", 4096).unwrap()
}

/// Sends a client-first message and returns the failure (wire message, kind).
fn first_fails(msg: &[u8]) -> (Vec<u8>, FailureKind) {
    let mut s = server();
    match s.start(Some(msg)).unwrap() {
        ServerStep::Failure(f) => (f.message().unwrap().to_vec(), f.reason().kind()),
        other => panic!("{:?} accepted: {other:?}", String::from_utf8_lossy(msg)),
    }
}

#[test]
fn client_first_must_reject_list() {
    use FailureKind as K;
    let cases: &[(&[u8], &str, FailureKind)] = &[
        (b"", "e=invalid-encoding", K::Malformed),
        (b"x,,n=user,r=abc", "e=invalid-encoding", K::Malformed),
        (b"F,n,,n=user,r=abc", "e=invalid-encoding", K::Malformed),
        (
            b"p=tls_unique,,n=user,r=abc",
            "e=invalid-encoding",
            K::Malformed,
        ),
        (b"p=,,n=user,r=abc", "e=invalid-encoding", K::Malformed),
        (b"n", "e=invalid-encoding", K::Malformed),
        (b"n,", "e=invalid-encoding", K::Malformed),
        (b"n,,", "e=invalid-encoding", K::Malformed),
        (b"n,a=,n=user,r=abc", "e=invalid-encoding", K::Malformed),
        (
            b"n,a=ad=2min,n=user,r=abc",
            "e=invalid-encoding",
            K::Malformed,
        ),
        (
            b"n,b=admin,n=user,r=abc",
            "e=invalid-encoding",
            K::Malformed,
        ),
        (
            b"n,,n=us=er,r=abc",
            "e=invalid-username-encoding",
            K::Malformed,
        ),
        (
            b"n,,n=us=2c,r=abc",
            "e=invalid-username-encoding",
            K::Malformed,
        ),
        (b"n,,n=,r=abc", "e=invalid-username-encoding", K::Malformed),
        (
            b"n,,n=u\xffser,r=abc",
            "e=invalid-username-encoding",
            K::Malformed,
        ),
        (
            b"n,,n=u\x00ser,r=abc",
            "e=invalid-username-encoding",
            K::Malformed,
        ),
        (
            b"n,,n=user\x07,r=abc",
            "e=invalid-username-encoding",
            K::Malformed,
        ),
        (
            b"n,,m=ext,n=user,r=abc",
            "e=extensions-not-supported",
            K::Protocol,
        ),
        (b"n,,r=abc,n=user", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user,r=", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user,r=a b", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user,r=ab\x7f", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user,r=abc,r=def", "e=invalid-encoding", K::Malformed),
        (
            b"n,,n=user,r=abc,x=1,x=2",
            "e=invalid-encoding",
            K::Malformed,
        ),
        (b"n,,n=user,r=abc,m=1", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user,r=abc,", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user,r=abc,xy=1", "e=invalid-encoding", K::Malformed),
        (b"n,,n=user,r=abc,x=", "e=invalid-encoding", K::Malformed),
        // A bare mechanism with p=: a protocol error (RFC 5802 §6), not a claim
        // about what the server supports.
        (
            b"p=tls-exporter,,n=user,r=abc",
            "e=other-error",
            K::Protocol,
        ),
    ];
    for (msg, wire, kind) in cases {
        let (got_wire, got_kind) = first_fails(msg);
        assert_eq!(
            String::from_utf8_lossy(&got_wire),
            *wire,
            "{:?}",
            String::from_utf8_lossy(msg)
        );
        assert_eq!(got_kind, *kind, "{:?}", String::from_utf8_lossy(msg));
    }
    // Limits on lengths.
    let long_name = format!("n,,n={},r=abc", "u".repeat(2000));
    assert_eq!(
        first_fails(long_name.as_bytes()).0,
        b"e=invalid-username-encoding"
    );
    let long_nonce = format!("n,,n=user,r={}", "a".repeat(600));
    assert_eq!(first_fails(long_nonce.as_bytes()).0, b"e=invalid-encoding");
    let huge = vec![b'a'; 10_000];
    assert_eq!(first_fails(&huge).1, FailureKind::MessageTooLarge);
}

#[test]
fn unknown_optional_extensions_are_ignored() {
    let mut s = server();
    let step = s
        .start(Some(b"n,,n=user,r=abcdefgh,x=whatever=1,Z=2"))
        .unwrap();
    assert!(matches!(step, ServerStep::Request(_)));
}

fn to_final(s: &mut ScramServer, first: &[u8]) -> String {
    let ServerStep::Request(_) = s.start(Some(first)).unwrap() else {
        panic!()
    };
    let ServerStep::Challenge(sf) = s
        .provide(Verdict::ScramFound {
            credentials: creds(),
            authzid_granted: false,
        })
        .unwrap()
    else {
        panic!()
    };
    String::from_utf8(sf).unwrap()
}

#[test]
fn client_final_must_reject_list() {
    let proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    let cases: Vec<(String, &str, FailureKind)> = {
        let mut s = server();
        let sf = to_final(&mut s, b"n,,n=user,r=abcdefgh");
        let r = sf.split(',').next().unwrap().to_owned();
        vec![
            (
                format!("{r},c=biws,{proof}"),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=biws,{r}"),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=biws,{proof},{r}"),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=biws,{r},{proof},x=1"),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=biws,{r},r=x,{proof}"),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=biw,{r},{proof}"),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=biws,{r},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVR="),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=biws,{r},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndV"),
                "e=invalid-encoding",
                FailureKind::Malformed,
            ),
            (
                format!("c=eSws,{r},{proof}"),
                "e=channel-bindings-dont-match",
                FailureKind::ChannelBindingMismatch,
            ),
            (
                format!("c=biws,r=abcdefgh,{proof}"),
                "e=other-error",
                FailureKind::Protocol,
            ),
            (
                format!("c=biws,{r}x,{proof}"),
                "e=other-error",
                FailureKind::Protocol,
            ),
            (
                format!("c=biws,{r},p=AAAA"),
                "e=invalid-proof",
                FailureKind::Malformed,
            ),
            (
                format!("c=biws,{r},{proof}"),
                "e=invalid-proof",
                FailureKind::InvalidCredentials,
            ),
            (
                format!("c=biws,{r},e=1,{proof}"),
                "e=invalid-proof",
                FailureKind::InvalidCredentials,
            ),
        ]
    };
    for (msg, wire, kind) in cases {
        let mut s = server();
        to_final(&mut s, b"n,,n=user,r=abcdefgh");
        let ServerStep::Failure(f) = s.step(msg.as_bytes()).unwrap() else {
            panic!("{msg} accepted")
        };
        assert_eq!(f.message().unwrap(), wire.as_bytes(), "{msg}");
        assert_eq!(f.reason().kind(), kind, "{msg}");
        // Terminal.
        assert_eq!(
            s.step(b"x").unwrap_err(),
            Error::Misuse(sasl_core::Misuse::Finished)
        );
    }
}

#[test]
fn unknown_user_is_indistinguishable_from_wrong_password() {
    // Same iteration count and salt length as the real account.
    let mut wrong = client("user", "not the password")
        .with_client_nonce("fixedclientnonce0123")
        .unwrap();
    let mut srv = server().with_server_nonce("fixedservernonce0123").unwrap();
    let a = exchange(&mut wrong, &mut srv, Store::Found(creds()), no_tamper);

    let mut ghost = client("anon", "whatever")
        .with_client_nonce("fixedclientnonce0123")
        .unwrap();
    let mut srv = server().with_server_nonce("fixedservernonce0123").unwrap();
    let b = exchange(
        &mut ghost,
        &mut srv,
        Store::Rejected(FailureKind::UnknownUser),
        no_tamper,
    );

    assert_eq!(a.shape(), b.shape(), "{a:?}\n{b:?}");
    // Same structure: only the salt (and the user name and proof) differ.
    let sf_a = String::from_utf8(a.messages[1].clone()).unwrap();
    let sf_b = String::from_utf8(b.messages[1].clone()).unwrap();
    let strip_salt = |s: &str| {
        s.split(',')
            .map(|f| if f.starts_with("s=") { "s=" } else { f })
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(strip_salt(&sf_a), strip_salt(&sf_b));
    assert_eq!(a.messages[3], b"e=invalid-proof");
    assert_eq!(b.messages[3], b"e=invalid-proof");
    assert_eq!(a.server_failure().smtp(), b.server_failure().smtp());
    assert_eq!(a.server_failure().imap(), b.server_failure().imap());
    assert_eq!(
        a.server_failure().reason().kind(),
        FailureKind::InvalidCredentials
    );
    assert_eq!(b.server_failure().reason().kind(), FailureKind::UnknownUser);
    assert!(!a.client_ok() && !b.client_ok());

    // The fake salt is deterministic per user and differs between users.
    let salt_of = |user: &str| {
        let mut s = server();
        let first = format!("n,,n={user},r=abcdefgh");
        let ServerStep::Request(_) = s.start(Some(first.as_bytes())).unwrap() else {
            panic!()
        };
        let ServerStep::Challenge(sf) = s
            .provide(Verdict::Rejected(FailureKind::UnknownUser))
            .unwrap()
        else {
            panic!()
        };
        let sf = String::from_utf8(sf).unwrap();
        sf.split(',')
            .find(|f| f.starts_with("s="))
            .unwrap()
            .to_owned()
    };
    assert_eq!(salt_of("ghost"), salt_of("ghost"));
    assert_ne!(salt_of("ghost"), salt_of("phantom"));
    assert_eq!(b64(&salt_of("ghost")[2..]).len(), 16);
}

/// A server waiting for the lookup answer for `user`.
fn awaiting_lookup(user: &str) -> ScramServer {
    let mut s = server().with_server_nonce("fixedservernonce0123").unwrap();
    let first = format!("n,,n={user},r=fixedclientnonce0123");
    let ServerStep::Request(_) = s.start(Some(first.as_bytes())).unwrap() else {
        panic!()
    };
    s
}

#[test]
fn found_user_server_first_is_unchanged_by_the_fake_derivation() {
    // The server derives the fake salt and keys for a found user too (and discards
    // them): the transcript must still carry the real salt and iteration count.
    let ServerStep::Challenge(sf) = awaiting_lookup("user")
        .provide(Verdict::ScramFound {
            credentials: creds(),
            authzid_granted: false,
        })
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        String::from_utf8(sf).unwrap(),
        "r=fixedclientnonce0123fixedservernonce0123,s=MDEyMzQ1Njc4OWFiY2RlZg==,i=4096"
    );
    // And a found user still authenticates; the same name, unknown, gets the fake
    // salt of the same length and the configured iteration count.
    let mut c = client("user", "pencil");
    let t = exchange(&mut c, &mut server(), Store::Found(creds()), no_tamper);
    assert!(t.client_ok() && t.server_ok());
    let ServerStep::Challenge(sf) = awaiting_lookup("user")
        .provide(Verdict::Rejected(FailureKind::UnknownUser))
        .unwrap()
    else {
        panic!()
    };
    let sf = String::from_utf8(sf).unwrap();
    let fields: Vec<&str> = sf.split(',').collect();
    assert_eq!(fields[0], "r=fixedclientnonce0123fixedservernonce0123");
    assert_eq!(b64(&fields[1][2..]).len(), 16);
    assert_ne!(fields[1], "s=MDEyMzQ1Njc4OWFiY2RlZg==");
    assert_eq!(fields[2], "i=4096");
}

#[test]
fn rejected_lookup_fails_at_the_end_with_its_reason() {
    for kind in [
        FailureKind::AccountDisabled,
        FailureKind::Temporary,
        FailureKind::Expired,
    ] {
        let mut c = client("user", "pencil");
        let mut s = server();
        let t = exchange(&mut c, &mut s, Store::Rejected(kind), no_tamper);
        assert_eq!(t.messages.len(), 4);
        assert_eq!(t.messages[3], b"e=invalid-proof");
        assert_eq!(t.server_failure().reason().kind(), kind);
    }
}

#[test]
fn correct_password_even_for_a_rejected_lookup_fails() {
    // Fake credentials never verify, whatever the client sends.
    let mut c = client("user", "pencil");
    let mut s = server();
    let t = exchange(
        &mut c,
        &mut s,
        Store::Rejected(FailureKind::UnknownUser),
        no_tamper,
    );
    assert!(!t.server_ok());
}

#[test]
fn authzid_needs_the_applications_grant() {
    let make = || {
        ScramClient::new(
            ScramClientConfig::new(),
            ScramVariant::bare(ScramHash::Sha256),
            ClientCredentials::new("user")
                .with_password("pencil")
                .with_authzid("admin"),
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    let mut s = server();
    let t = exchange(&mut make(), &mut s, Store::Found(creds()), no_tamper);
    let f = t.server_failure();
    assert_eq!(f.reason().kind(), FailureKind::AuthorizationDenied);
    assert_eq!(f.message().unwrap(), b"e=other-error");
    assert_eq!(t.lookup_authcid.as_deref(), Some("user"));

    let mut s = server();
    let t = exchange(
        &mut make(),
        &mut s,
        Store::FoundWithAuthzid(creds()),
        no_tamper,
    );
    let Some(Ok(auth)) = &t.server else {
        panic!("{t:?}")
    };
    assert_eq!(auth.authzid(), Some("admin"));
    assert_eq!(auth.authcid(), "user");
    assert!(t.client_ok());

    // authzid equal to the authcid needs no grant.
    let mut c = ScramClient::new(
        ScramClientConfig::new(),
        ScramVariant::bare(ScramHash::Sha256),
        ClientCredentials::new("user")
            .with_password("pencil")
            .with_authzid("user"),
        &ConnectionInfo::tls(),
    )
    .unwrap();
    let mut s = server();
    let t = exchange(&mut c, &mut s, Store::Found(creds()), no_tamper);
    assert!(t.server_ok());
}

#[test]
fn username_profiles() {
    let lookup_name = |prep: UsernamePrep, first: &str| -> Option<String> {
        let mut s = ScramServer::new(
            server_config().with_username_prep(prep),
            ScramVariant::bare(ScramHash::Sha256),
            &ConnectionInfo::tls(),
        )
        .unwrap();
        match s.start(Some(first.as_bytes())).unwrap() {
            ServerStep::Request(Request::ScramLookup(l)) => Some(l.authcid().to_owned()),
            _ => None,
        }
    };
    assert_eq!(
        lookup_name(UsernamePrep::SaslPrep, "n,,n=ramo\u{301}n,r=abc").as_deref(),
        Some("ram\u{f3}n")
    );
    assert_eq!(
        lookup_name(UsernamePrep::None, "n,,n=ramo\u{301}n,r=abc").as_deref(),
        Some("ramo\u{301}n")
    );
    assert_eq!(
        lookup_name(UsernamePrep::PrecisCaseMapped, "n,,n=UsEr,r=abc").as_deref(),
        Some("user")
    );
    assert_eq!(
        lookup_name(UsernamePrep::SaslPrep, "n,,n=UsEr,r=abc").as_deref(),
        Some("UsEr")
    );
}

#[test]
fn misuse_is_an_error_not_a_panic() {
    let mut s = server();
    assert_eq!(
        s.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NotStarted)
    );
    assert_eq!(
        s.provide(Verdict::Rejected(FailureKind::UnknownUser))
            .unwrap_err(),
        Error::Misuse(sasl_core::Misuse::NotStarted)
    );
    // No initial response: an empty challenge asks for it.
    let ServerStep::Challenge(c) = s.start(None).unwrap() else {
        panic!()
    };
    assert!(c.is_empty());
    assert_eq!(
        s.start(None).unwrap_err(),
        Error::Misuse(sasl_core::Misuse::AlreadyStarted)
    );
    let ServerStep::Request(_) = s.step(b"n,,n=user,r=abcdefgh").unwrap() else {
        panic!()
    };
    assert_eq!(
        s.step(b"x").unwrap_err(),
        Error::Misuse(sasl_core::Misuse::RequestPending)
    );
    // A password verdict for a SCRAM lookup, or credentials of another hash.
    assert_eq!(
        s.provide(Verdict::PasswordValid {
            authzid_granted: false
        })
        .unwrap_err(),
        Error::Misuse(sasl_core::Misuse::AnswerMismatch)
    );
    let mut s = server();
    let ServerStep::Request(_) = s.start(Some(b"n,,n=user,r=abcdefgh")).unwrap() else {
        panic!()
    };
    // Credentials of another hash are not a misuse error: they continue like an
    // unknown user (see lookup_with_credentials_of_another_hash_is_an_unknown_user).
    let sha1 = derive(ScramHash::Sha1, "pencil", b"0123456789abcdef", 16).unwrap();
    assert!(matches!(
        s.provide(Verdict::ScramFound {
            credentials: sha1,
            authzid_granted: false
        }),
        Ok(ServerStep::Challenge(_))
    ));
    // A failing random source is a local error.
    let mut s = ScramServer::new(
        server_config().with_random(std::sync::Arc::new(FailingRandom)),
        ScramVariant::bare(ScramHash::Sha256),
        &ConnectionInfo::tls(),
    )
    .unwrap();
    let ServerStep::Request(_) = s.start(Some(b"n,,n=user,r=abcdefgh")).unwrap() else {
        panic!()
    };
    assert_eq!(
        s.provide(Verdict::ScramFound {
            credentials: creds(),
            authzid_granted: false
        })
        .unwrap_err(),
        Error::Random
    );
    // Short server secrets are refused.
    assert!(matches!(
        sasl_scram::ScramServerConfig::new(*b"short"),
        Err(Error::Config(_))
    ));
    assert!(matches!(s.with_server_nonce("a,b"), Err(Error::Config(_))));
}

#[test]
fn server_nonce_is_random_base64_of_18_bytes() {
    let mut s = server();
    let sf = to_final(&mut s, b"n,,n=user,r=abcdefgh");
    let r = sf.split(',').next().unwrap();
    let server_part = r.strip_prefix("r=abcdefgh").unwrap();
    assert_eq!(server_part.len(), 24);
    assert!(!server_part.contains(','));
}

#[test]
fn lookup_with_credentials_of_another_hash_is_an_unknown_user() {
    // A store keeping one scheme per user answers a SHA-256 lookup with SHA-1
    // credentials. The server-first must be exactly the one an unknown name gets
    // (same fake salt, same iteration count): an error at this point would tell the
    // client that the name exists.
    let sha1 = derive(ScramHash::Sha1, "pencil", b"0123456789abcdef", 4096).unwrap();
    let ServerStep::Challenge(other_hash) = awaiting_lookup("user")
        .provide(Verdict::ScramFound {
            credentials: sha1.clone(),
            authzid_granted: false,
        })
        .unwrap()
    else {
        panic!()
    };
    let ServerStep::Challenge(unknown) = awaiting_lookup("user")
        .provide(Verdict::Rejected(FailureKind::UnknownUser))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(other_hash, unknown);
    let sf = String::from_utf8(other_hash).unwrap();
    let fields: Vec<&str> = sf.split(',').collect();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0], "r=fixedclientnonce0123fixedservernonce0123");
    assert_eq!(b64(&fields[1][2..]).len(), 16);
    assert_ne!(fields[1], "s=MDEyMzQ1Njc4OWFiY2RlZg==");
    assert_eq!(fields[2], "i=4096");

    // The whole exchange: same shape as for an unknown user, `e=invalid-proof` at
    // the end (even with the right password), and a local reason naming the cause.
    let mut c = client("user", "pencil")
        .with_client_nonce("fixedclientnonce0123")
        .unwrap();
    let mut srv = server().with_server_nonce("fixedservernonce0123").unwrap();
    let a = exchange(&mut c, &mut srv, Store::Found(sha1), no_tamper);
    let mut c = client("user", "pencil")
        .with_client_nonce("fixedclientnonce0123")
        .unwrap();
    let mut srv = server().with_server_nonce("fixedservernonce0123").unwrap();
    let b = exchange(
        &mut c,
        &mut srv,
        Store::Rejected(FailureKind::UnknownUser),
        no_tamper,
    );
    assert_eq!(a.shape(), b.shape(), "{a:?}\n{b:?}");
    assert_eq!(a.messages[1], b.messages[1]);
    assert_eq!(a.messages[3], b"e=invalid-proof");
    assert!(!a.client_ok());
    let reason = a.server_failure().reason();
    assert_eq!(reason.kind(), FailureKind::UnknownUser);
    assert!(reason.detail().contains("another SCRAM hash"), "{reason:?}");
    assert_eq!(a.server_failure().smtp(), b.server_failure().smtp());
    assert_eq!(a.server_failure().imap(), b.server_failure().imap());
}

/// A client-first message with a client nonce of `len` characters.
fn first_with_nonce(len: usize) -> Vec<u8> {
    format!("n,,n=user,r={}", "x".repeat(len)).into_bytes()
}

#[test]
fn client_nonce_must_leave_room_for_the_server_part() {
    // The 512-byte bound is on the combined nonce, which the client-final echoes. A
    // client part the server cannot extend within it must be refused at once, not
    // accepted here and then refused in the client-final.
    let refused = |s: &mut ScramServer, len: usize| match s.start(Some(&first_with_nonce(len))) {
        Ok(ServerStep::Failure(f)) => {
            assert_eq!(f.message().unwrap(), b"e=invalid-encoding");
            assert_eq!(f.reason().kind(), FailureKind::Malformed);
            true
        }
        Ok(ServerStep::Request(_)) => false,
        other => panic!("{other:?}"),
    };
    // Default: 18 random bytes, 24 characters of server part.
    assert!(!refused(&mut server(), 488));
    for len in [489, 500, 512] {
        assert!(refused(&mut server(), len), "{len}");
    }
    // 48 random bytes: 64 characters.
    let wide = || {
        ScramServer::new(
            server_config().with_nonce_len(48),
            ScramVariant::bare(ScramHash::Sha256),
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    assert!(!refused(&mut wide(), 448));
    assert!(refused(&mut wide(), 449));
    // 19 random bytes: 26 characters (unpadded base64).
    let odd = || {
        ScramServer::new(
            server_config().with_nonce_len(19),
            ScramVariant::bare(ScramHash::Sha256),
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    assert!(!refused(&mut odd(), 486));
    assert!(refused(&mut odd(), 487));
    // A fixed server nonce counts with its own length.
    let fixed = || server().with_server_nonce("fixedservernonce0123").unwrap();
    assert!(!refused(&mut fixed(), 492));
    assert!(refused(&mut fixed(), 493));

    // The longest client nonce that fits goes through to success; one more
    // character fails in the client-first, never in the client-final.
    let mut c = client("user", "pencil")
        .with_client_nonce(&"x".repeat(488))
        .unwrap();
    let t = exchange(&mut c, &mut server(), Store::Found(creds()), no_tamper);
    assert!(t.server_ok() && t.client_ok(), "{:?}", t.server);
    assert_eq!(
        t.messages[1].len() - "r=,s=MDEyMzQ1Njc4OWFiY2RlZg==,i=4096".len(),
        512
    );
    let mut c = client("user", "pencil")
        .with_client_nonce(&"x".repeat(489))
        .unwrap();
    let t = exchange(&mut c, &mut server(), Store::Found(creds()), no_tamper);
    assert_eq!(t.messages.len(), 1);
    assert_eq!(t.server_failure().message().unwrap(), b"e=invalid-encoding");
}

#[test]
fn messages_of_exactly_the_size_limit_are_read() {
    const MAX: usize = 8192;
    let padded = |msg: &str, len: usize| {
        let mut m = format!("{msg},x=");
        m.push_str(&"y".repeat(len - m.len()));
        m
    };
    // Client-first: 8192 bytes are parsed (and the lookup asked), one more is too large.
    let mut s = server();
    let first = padded("n,,n=user,r=abcdefgh", MAX);
    assert!(matches!(
        s.start(Some(first.as_bytes())).unwrap(),
        ServerStep::Request(Request::ScramLookup(_))
    ));
    let too_long = padded("n,,n=user,r=abcdefgh", MAX + 1);
    let (wire, kind) = first_fails(too_long.as_bytes());
    assert_eq!(wire, b"e=invalid-encoding");
    assert_eq!(kind, FailureKind::MessageTooLarge);
    // Client-final: at 8192 bytes the message is parsed and the proof checked (and
    // refused: the padding is in AuthMessage); one more byte is too large.
    let proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    for (len, wire, kind) in [
        (MAX, "e=invalid-proof", FailureKind::InvalidCredentials),
        (MAX + 1, "e=invalid-encoding", FailureKind::MessageTooLarge),
    ] {
        let mut s = server();
        let sf = to_final(&mut s, b"n,,n=user,r=abcdefgh");
        let r = sf.split(',').next().unwrap();
        let mut msg = padded(&format!("c=biws,{r}"), len - proof.len() - 1);
        msg.push(',');
        msg.push_str(proof);
        assert_eq!(msg.len(), len);
        let ServerStep::Failure(f) = s.step(msg.as_bytes()).unwrap() else {
            panic!("{len} accepted")
        };
        assert_eq!(f.message().unwrap(), wire.as_bytes(), "{len}");
        assert_eq!(f.reason().kind(), kind, "{len}");
    }
}

#[test]
fn client_final_nonce_must_be_printable() {
    // A nonce that is not the server-first's gets the full printable check: a space
    // or DEL in it is malformed (invalid-encoding), not merely a nonce mismatch.
    let proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    for bad in ["abc def", "abc\u{7f}", "\u{e9}t\u{e9}"] {
        let mut s = server();
        to_final(&mut s, b"n,,n=user,r=abcdefgh");
        let msg = format!("c=biws,r={bad},{proof}");
        let ServerStep::Failure(f) = s.step(msg.as_bytes()).unwrap() else {
            panic!("{msg} accepted")
        };
        assert_eq!(f.message().unwrap(), b"e=invalid-encoding", "{msg}");
        assert_eq!(f.reason().kind(), FailureKind::Malformed, "{msg}");
    }
}

#[test]
fn config_accessors_report_the_settings() {
    let c = server_config()
        .with_unknown_user_iterations(10_000)
        .with_username_prep(UsernamePrep::PrecisCaseMapped);
    assert_eq!(c.unknown_user_iterations(), 10_000);
    assert_eq!(c.username_prep(), UsernamePrep::PrecisCaseMapped);
    assert_eq!(server_config().unknown_user_iterations(), 4096);
    assert_eq!(
        server_config()
            .with_unknown_user_iterations(0)
            .unknown_user_iterations(),
        1
    );
    // Debug shows the settings, never the secret.
    let debug = format!("{c:?}");
    assert!(debug.starts_with("ScramServerConfig"), "{debug}");
    assert!(debug.contains("unknown_user_iterations: 10000"), "{debug}");
    assert!(!debug.contains("test server secret"), "{debug}");
    let debug = format!("{:?}", server());
    assert!(debug.starts_with("ScramServer"), "{debug}");
    assert!(debug.contains("SCRAM-SHA-256"), "{debug}");
    assert!(debug.contains("New"), "{debug}");
}
