//! The request kinds the coming mechanisms ask (OAUTHBEARER/XOAUTH2, EXTERNAL,
//! PASSKEY): each answer method yields the verdict its mechanism will receive, and
//! secrets stay out of `Debug`.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use sasl_core::{
    AuthorizeExternal, FailureKind, MechanismName, PasskeyAccount, PasskeyCredential,
    PasskeyLookup, PasskeyLookupKey, Request, Secret, TokenError, TokenGrant, UnixTime,
    ValidateToken, Verdict,
};

const OAUTHBEARER: MechanismName = MechanismName::from_static("OAUTHBEARER");

fn token_request() -> ValidateToken {
    ValidateToken::new(
        OAUTHBEARER,
        Secret::new("eyJhbGciOi.secret.token".to_owned()),
        Some("tim@example.org".into()),
        Some("imap.example.org".into()),
        Some(993),
        Some(UnixTime::from_secs(100)),
    )
}

#[test]
fn token_answers() {
    let r = token_request();
    assert_eq!(r.token(), "eyJhbGciOi.secret.token");
    assert_eq!(
        (r.host(), r.port(), r.now()),
        (
            Some("imap.example.org"),
            Some(993),
            Some(UnixTime::from_secs(100))
        )
    );
    assert!(!format!("{r:?}").contains("secret.token"));
    let grant = TokenGrant::new("tim@example.org")
        .with_expiry(UnixTime::from_secs(3700))
        .with_scopes(["mail"])
        .with_issuer("https://id.example.org");
    match token_request().valid(grant.clone()).into_verdict() {
        Verdict::TokenValid {
            grant: g,
            authzid_granted,
        } => {
            assert_eq!(*g, grant);
            assert!(!authzid_granted);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        token_request().valid_with_authzid(grant).into_verdict(),
        Verdict::TokenValid {
            authzid_granted: true,
            ..
        }
    ));
    let error = TokenError::insufficient_scope("mail")
        .with_openid_configuration("https://id.example.org/.well-known/openid-configuration");
    match token_request().invalid(error.clone()).into_verdict() {
        Verdict::TokenRejected { reason, error: e } => {
            assert_eq!(reason.kind(), FailureKind::InvalidCredentials);
            assert_eq!(*e, error);
            assert_eq!(e.status(), "insufficient_scope");
            assert_eq!(e.scope(), Some("mail"));
        }
        other => panic!("{other:?}"),
    }
    match token_request().expired().into_verdict() {
        Verdict::TokenRejected { reason, error } => {
            assert_eq!(reason.kind(), FailureKind::Expired);
            assert_eq!(reason.detail(), "token expired");
            assert_eq!(error.status(), "invalid_token");
        }
        other => panic!("{other:?}"),
    }
    // Whatever the kind, a request can be refused as unavailable.
    let request = Request::ValidateToken(Box::new(token_request()));
    assert_eq!(request.mechanism(), &OAUTHBEARER);
    assert!(matches!(
        request.unavailable().into_verdict(),
        Verdict::Rejected(FailureKind::Temporary)
    ));
}

#[test]
fn external_answers() {
    let external = MechanismName::from_static("EXTERNAL");
    let ask = || {
        AuthorizeExternal::new(
            external.clone(),
            "device-7".into(),
            "shared@example.org".into(),
        )
    };
    let r = ask();
    assert_eq!(
        (r.identity(), r.authzid()),
        ("device-7", "shared@example.org")
    );
    assert!(matches!(
        ask().grant().into_verdict(),
        Verdict::ExternalGranted
    ));
    assert!(matches!(
        ask().deny().into_verdict(),
        Verdict::Rejected(FailureKind::AuthorizationDenied)
    ));
}

#[test]
fn passkey_answers() {
    let passkey = MechanismName::from_static("PASSKEY");
    let by_id = PasskeyLookupKey::Credential {
        id: vec![1, 2, 3],
        user_handle: Some(vec![9]),
    };
    let r = PasskeyLookup::new(passkey.clone(), by_id.clone());
    assert_eq!(r.key(), &by_id);
    let credential = PasskeyCredential::new(vec![1, 2, 3], vec![0xa5], 41).with_backup(true, false);
    assert_eq!(
        (
            credential.sign_count(),
            credential.backup_eligible(),
            credential.backup_state()
        ),
        (41, true, false)
    );
    let account = PasskeyAccount::new("tim", vec![9], vec![credential]);
    match r.found(account.clone()).into_verdict() {
        Verdict::PasskeyFound {
            account: found,
            authzid_granted,
        } => {
            assert_eq!(found, account);
            assert_eq!(found.credentials().len(), 1);
            assert!(!authzid_granted);
        }
        other => panic!("{other:?}"),
    }
    let asking = PasskeyLookup::new(MechanismName::from_static("PASSKEY"), by_id.clone())
        .with_authzid(Some("shared".into()));
    assert_eq!(asking.authzid(), Some("shared"));
    assert!(matches!(
        asking.found_with_authzid(account.clone()).into_verdict(),
        Verdict::PasskeyFound {
            authzid_granted: true,
            ..
        }
    ));
    let by_user = PasskeyLookup::new(passkey, PasskeyLookupKey::User("tim".into()));
    assert!(matches!(
        by_user.not_found().into_verdict(),
        Verdict::Rejected(FailureKind::UnknownUser)
    ));
}

/// The client requests hand the application exactly what the mechanism put in: the
/// RP ID an authenticator signs for, the challenge and the allowed credentials.
#[test]
fn client_requests_carry_what_the_mechanism_put_in() {
    use sasl_core::{AssertionRequest, TokenPrompt, UserVerification};
    let prompt = TokenPrompt::new(OAUTHBEARER, Some("tim@example.org".into()));
    assert_eq!(prompt.user(), Some("tim@example.org"));
    assert_eq!(TokenPrompt::new(OAUTHBEARER, None).user(), None);
    for uv in [UserVerification::Required, UserVerification::Discouraged] {
        let r = AssertionRequest::new(
            MechanismName::from_static("PASSKEY"),
            "example.org",
            vec![4, 2],
            vec![vec![7], vec![8, 9]],
            uv,
            Some(30_000),
        );
        assert_eq!(r.rp_id(), "example.org");
        assert_eq!(r.challenge(), [4, 2]);
        assert_eq!(r.allow_credentials(), [vec![7], vec![8, 9]]);
        assert_eq!(r.user_verification(), uv);
        assert_eq!(r.timeout_ms(), Some(30_000));
    }
}

/// A passkey account's clones share its fields (an in-memory store answers with a
/// clone for free), compare and print as the account, and give the name back whether
/// shared or not.
#[test]
fn passkey_account_clones_share_their_fields() {
    let credential = PasskeyCredential::new(vec![1, 2], vec![0xa4], 5);
    let account = PasskeyAccount::new("tim", vec![9], vec![credential]);
    let clone = account.clone();
    assert_eq!(clone, account);
    assert!(core::ptr::eq(clone.credentials(), account.credentials()));
    assert!(core::ptr::eq(clone.name(), account.name()));
    assert_eq!(format!("{clone:?}"), format!("{account:?}"));
    assert!(
        format!("{account:?}")
            .starts_with("PasskeyAccount { name: \"tim\", user_handle: [9], credentials: [")
    );
    assert_ne!(account, PasskeyAccount::new("tim", vec![8], vec![]));
    // Shared: the name is copied out; the last one: moved out.
    assert_eq!(clone.into_name(), "tim");
    assert_eq!(account.into_name(), "tim");
}

#[test]
fn scram_lookup_names_read_back_inline_or_not() {
    use sasl_core::{ScramHash, ScramLookup};
    const SCRAM: MechanismName = MechanismName::from_static("SCRAM-SHA-256");
    // Around the inline limit (22 bytes), multi-byte characters included.
    for name in [
        "",
        "u",
        "user",
        "ünïcödé-ユーザー",
        "twenty-two-bytes-long!",
        "twenty-three-bytes-long",
        "a.rather.long.name@mail.example.org",
    ] {
        let copied = ScramLookup::copying_name(SCRAM, name, None, ScramHash::Sha256);
        let owned = ScramLookup::new(SCRAM, name.to_owned(), None, ScramHash::Sha256);
        assert_eq!(copied.authcid(), name);
        assert_eq!(owned.authcid(), name);
        assert_eq!(format!("{copied:?}"), format!("{owned:?}"));
        assert!(format!("{copied:?}").contains(&format!("{name:?}")));
    }
}
