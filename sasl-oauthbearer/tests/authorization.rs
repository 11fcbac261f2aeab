//! The sans-IO OAuth 2 client (`sasl_oauthbearer::authorization`) against the
//! examples of RFC 6749, RFC 6750, RFC 7636, RFC 7591, RFC 8628 and RFC 9207, and
//! against hostile input. Fixtures in `tests/data/authorization/`: the RFC 8628 §3.2
//! and RFC 7591 §3.2.1 / §3.2.2 examples as printed, and two Microsoft-shaped
//! documents (`token-microsoft.json`, `error-microsoft-invalid-grant.json`) written
//! for these tests after the member names Microsoft's identity platform documents
//! for its token and error responses (`ext_expires_in`, `error_codes`, `trace_id`,
//! CR LF inside `error_description`); their values are invented.
#![cfg(feature = "discovery")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use proptest::prelude::*;
use sasl_core::UnixTime;
use sasl_oauthbearer::authorization::{
    AuthorizationError, AuthorizationParams, ClientCredentials, ClientRegistration,
    DeviceAuthorization, DevicePolling, FormRequest, MAX_REDIRECT_LEN, OAuthError, OAuthErrorCode,
    PkceVerifier, PollOutcome, RedirectCheck, RegistrationError, RegistrationRequest,
    TokenEndpointError, TokenResponse, authorization_url, code_grant, device_authorization_request,
    device_grant, parse_redirect, refresh_grant, revocation_request, state_from_random,
};
use sasl_oauthbearer::discovery::{DiscoveryError, MAX_DOCUMENT_SIZE, Trust};

const NOW: UnixTime = UnixTime::from_secs(1_767_225_600);
/// A secret distinctive enough that finding it in output cannot be a coincidence.
const SECRET: &str = "S3CR3T-zq9Xw7-do-not-print";

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "data",
        "authorization",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes a form body or query with an independent decoder (the `url` crate's).
fn pairs(form: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect()
}

fn query_of(url: &str) -> Vec<(String, String)> {
    pairs(url::Url::parse(url).unwrap().query().unwrap())
}

fn check(state: &str) -> RedirectCheck<'_> {
    RedirectCheck {
        state,
        issuer: None,
        require_iss: false,
    }
}

fn code(redirect: &str, state: &str) -> String {
    parse_redirect(redirect, &check(state))
        .unwrap()
        .as_str()
        .to_owned()
}

// ---------------------------------------------------------------- PKCE (RFC 7636)

#[test]
fn rfc7636_appendix_b_vector() {
    // RFC 7636 Appendix B: these 32 octets encode to the verifier
    // "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", whose S256 challenge is
    // "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".
    let octets = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    let verifier = PkceVerifier::from_random(octets);
    assert_eq!(
        verifier.as_str(),
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    assert_eq!(
        verifier.challenge(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(PkceVerifier::METHOD, "S256");
    let parsed = PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    assert_eq!(parsed.challenge(), verifier.challenge());
    // One character off gives an unrelated challenge.
    let other = PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl").unwrap();
    assert_ne!(other.challenge(), verifier.challenge());
}

#[test]
fn verifier_length_and_charset_limits() {
    let ok = |s: &str| PkceVerifier::parse(s).is_ok();
    assert!(!ok(&"a".repeat(42)));
    assert!(ok(&"a".repeat(43)));
    assert!(ok(&"a".repeat(128)));
    assert!(!ok(&"a".repeat(129)));
    assert!(!ok(""));
    assert!(ok(&format!("{}-._~AZaz09", "x".repeat(33))));
    for bad in ['+', '/', '=', ' ', '%', 'é', '\n'] {
        let text = format!("{}{bad}", "a".repeat(43));
        assert_eq!(
            PkceVerifier::parse(&text).unwrap_err(),
            AuthorizationError::InvalidVerifier,
            "{bad:?}"
        );
    }
}

#[test]
fn random_verifiers_and_states_have_the_documented_shape() {
    let verifier = PkceVerifier::from_random([0xff; 32]);
    assert_eq!(verifier.as_str().len(), 43);
    assert!(PkceVerifier::parse(verifier.as_str()).is_ok());
    assert_eq!(verifier.challenge().len(), 43);
    let state = state_from_random([0xfb; 16]);
    assert_eq!(state.len(), 22);
    assert!(
        state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(state_from_random([1; 16]), state_from_random([2; 16]));
}

// ------------------------------------------------ authorization request (§4.1.1)

fn params<'a>(
    scopes: &'a [String],
    challenge: &'a str,
    extra: &'a [(&'a str, &'a str)],
) -> AuthorizationParams<'a> {
    AuthorizationParams {
        client_id: "s6BhdRkqt3",
        redirect_uri: "https://client.example.com/cb",
        scopes,
        state: "xyz",
        code_challenge: challenge,
        extra,
    }
}

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn rfc6749_authorization_request_shape() {
    // RFC 6749 §4.1.1: GET /authorize?response_type=code&client_id=s6BhdRkqt3&state=xyz
    //   &redirect_uri=https%3A%2F%2Fclient%2Eexample%2Ecom%2Fcb, plus PKCE (RFC 7636 §4.3).
    let url = authorization_url(
        "https://server.example.com/authorize",
        &params(&[], CHALLENGE, &[]),
        Trust::HttpsOnly,
    )
    .unwrap();
    assert_eq!(
        url,
        "https://server.example.com/authorize?response_type=code&client_id=s6BhdRkqt3\
         &redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb&state=xyz\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let query = query_of(&url);
    assert_eq!(
        query[2],
        (
            "redirect_uri".into(),
            "https://client.example.com/cb".into()
        )
    );
    assert!(!query.iter().any(|(n, _)| n == "scope"), "no empty scope");
}

#[test]
fn authorization_url_scopes_extras_and_existing_query() {
    let scopes = vec![
        "https://mail.google.com/".to_owned(),
        "offline_access".to_owned(),
    ];
    let extra = [("login_hint", "tim+tag@example.org"), ("prompt", "consent")];
    let url = authorization_url(
        "https://login.example.com/oauth2/authorize?tenant=common",
        &params(&scopes, CHALLENGE, &extra),
        Trust::HttpsOnly,
    )
    .unwrap();
    assert!(url.starts_with(
        "https://login.example.com/oauth2/authorize?tenant=common&response_type=code&"
    ));
    assert!(url.contains("&scope=https%3A%2F%2Fmail.google.com%2F+offline_access&"));
    assert!(url.ends_with("&login_hint=tim%2Btag%40example.org&prompt=consent"));
    let query = query_of(&url);
    let names: Vec<&str> = query.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "tenant",
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
            "login_hint",
            "prompt"
        ]
    );
    assert_eq!(query[4].1, "https://mail.google.com/ offline_access");
    assert_eq!(query[8].1, "tim+tag@example.org");
    // An endpoint ending in `?` gets no extra separator.
    let url = authorization_url(
        "https://login.example.com/authorize?",
        &params(&[], CHALLENGE, &[]),
        Trust::HttpsOnly,
    )
    .unwrap();
    assert!(url.starts_with("https://login.example.com/authorize?response_type=code&"));
}

#[test]
fn authorization_url_refusals() {
    let go = |endpoint: &str, p: &AuthorizationParams<'_>| {
        authorization_url(endpoint, p, Trust::HttpsOnly).unwrap_err()
    };
    let ep = "https://server.example.com/authorize";
    assert!(matches!(
        go(
            "http://server.example.com/authorize",
            &params(&[], CHALLENGE, &[])
        ),
        AuthorizationError::BadEndpoint(DiscoveryError::NotHttps { .. })
    ));
    assert!(matches!(
        go(
            "https://server.example.com/authorize#frag",
            &params(&[], CHALLENGE, &[])
        ),
        AuthorizationError::BadEndpoint(DiscoveryError::BadUrl { .. })
    ));
    assert!(matches!(
        go(
            "https://user@server.example.com/authorize",
            &params(&[], CHALLENGE, &[])
        ),
        AuthorizationError::BadEndpoint(DiscoveryError::BadUrl { .. })
    ));
    // http on loopback only with the matching trust.
    assert!(
        authorization_url(
            "http://127.0.0.1:8080/authorize",
            &params(&[], CHALLENGE, &[]),
            Trust::AllowHttpLoopback
        )
        .is_ok()
    );
    for name in [
        "state",
        "client_id",
        "scope",
        "code_challenge_method",
        "response_type",
    ] {
        assert_eq!(
            go(ep, &params(&[], CHALLENGE, &[(name, "x")])),
            AuthorizationError::ReservedParameter(name.to_owned())
        );
    }
    assert_eq!(
        go(
            ep,
            &params(
                &[],
                CHALLENGE,
                &[("prompt", "login"), ("prompt", "consent")]
            )
        ),
        AuthorizationError::DuplicateParameter("prompt".to_owned())
    );
    assert_eq!(
        go(
            "https://server.example.com/authorize?prompt=login",
            &params(&[], CHALLENGE, &[("prompt", "consent")])
        ),
        AuthorizationError::DuplicateParameter("prompt".to_owned())
    );
    assert_eq!(
        go(
            "https://server.example.com/authorize?client_id=other",
            &params(&[], CHALLENGE, &[])
        ),
        AuthorizationError::DuplicateParameter("client_id".to_owned())
    );
    assert!(matches!(
        go(ep, &params(&[], "too-short", &[])),
        AuthorizationError::Malformed(_)
    ));
    assert!(matches!(
        go(ep, &params(&["two words".to_owned()], CHALLENGE, &[])),
        AuthorizationError::Malformed(_)
    ));
    assert!(matches!(
        go(ep, &params(&[], CHALLENGE, &[("", "x")])),
        AuthorizationError::Malformed(_)
    ));
    let mut p = params(&[], CHALLENGE, &[]);
    p.state = "";
    assert!(matches!(go(ep, &p), AuthorizationError::Malformed(_)));
    let mut p = params(&[], CHALLENGE, &[]);
    p.redirect_uri = "http://127.0.0.1:9/cb#x";
    assert!(matches!(go(ep, &p), AuthorizationError::Malformed(_)));
}

// ------------------------------------------------ redirect (§4.1.2, RFC 9207)

#[test]
fn rfc6749_authorization_response_forms() {
    // RFC 6749 §4.1.2: Location: https://client.example.com/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz
    let want = "SplxlOBeZQQYbYS6WxSbIA";
    for redirect in [
        "https://client.example.com/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        "http://127.0.0.1:49152/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        "com.example.app:/oauth2redirect?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        "/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        "?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        "code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        "state=xyz&code=SplxlOBeZQQYbYS6WxSbIA",
        "  https://client.example.com/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz\n",
        "https://client.example.com/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz#_=_",
        "/cb?code=SplxlOBeZQQYbYS6WxSbIA&&state=xyz&",
    ] {
        assert_eq!(code(redirect, "xyz"), want, "{redirect:?}");
    }
}

#[test]
fn redirect_percent_encoding() {
    // Codes are decoded; `+` is a space in form encoding.
    assert_eq!(code("?code=a%2Fb%3D%3D&state=x%20y", "x y"), "a/b==");
    assert_eq!(code("?code=a+b&state=x+y", "x y"), "a b");
    assert_eq!(
        code("?code=4%2F0AVG7fiQ&state=%C3%A9t%C3%A9", "été"),
        "4/0AVG7fiQ"
    );
    for bad in [
        "?code=a%2&state=x",
        "?code=a%zz&state=x",
        "?code=%FF&state=x",
        "?code=a&state=%",
    ] {
        assert!(
            matches!(
                parse_redirect(bad, &check("x")),
                Err(AuthorizationError::Malformed(_))
            ),
            "{bad}"
        );
    }
    // A decoded control character or non-VSCHAR code is refused.
    assert!(matches!(
        parse_redirect("?code=a%0Ab&state=x", &check("x")),
        Err(AuthorizationError::Malformed(_))
    ));
    assert!(matches!(
        parse_redirect("?code=a\tb&state=x", &check("x")),
        Err(AuthorizationError::Malformed(_))
    ));
}

#[test]
fn redirect_duplicates_and_missing_parts() {
    let err = |r: &str| parse_redirect(r, &check("xyz")).unwrap_err();
    assert_eq!(
        err("?code=a&code=b&state=xyz"),
        AuthorizationError::DuplicateParameter("code".to_owned())
    );
    assert_eq!(
        err("?code=a&state=xyz&state=xyz"),
        AuthorizationError::DuplicateParameter("state".to_owned())
    );
    // The same name written two ways is still a duplicate.
    assert_eq!(
        err("?code=a&%63ode=b&state=xyz"),
        AuthorizationError::DuplicateParameter("code".to_owned())
    );
    assert_eq!(err("?code=a"), AuthorizationError::StateMissing);
    assert_eq!(
        err("https://client.example.com/cb"),
        AuthorizationError::StateMissing
    );
    assert_eq!(err("?code=a&state=xyZ"), AuthorizationError::StateMismatch);
    assert_eq!(err("?code=a&state="), AuthorizationError::StateMismatch);
    assert_eq!(err("?code=a&state=xyzz"), AuthorizationError::StateMismatch);
    assert_eq!(err("?state=xyz"), AuthorizationError::CodeMissing);
    assert_eq!(err("?code=&state=xyz"), AuthorizationError::CodeMissing);
    assert_eq!(err("?code&state=xyz"), AuthorizationError::CodeMissing);
    // An empty expected state is a caller bug, never a match.
    assert!(matches!(
        parse_redirect("?code=a&state=", &check("")),
        Err(AuthorizationError::Malformed(_))
    ));
    let long = format!("?code=a&state=xyz&pad={}", "p".repeat(MAX_REDIRECT_LEN));
    assert!(matches!(err(&long), AuthorizationError::Malformed(_)));
    // The limit is exactly MAX_REDIRECT_LEN bytes (64 KiB): a redirect of that length
    // (and a merely long one) is read, one byte more is not.
    let head = "?code=a&state=xyz&pad=";
    for length in [2000, MAX_REDIRECT_LEN] {
        let exact = format!("{head}{}", "p".repeat(length - head.len()));
        assert_eq!(exact.len(), length);
        assert!(parse_redirect(&exact, &check("xyz")).is_ok(), "{length}");
    }
    let over = format!("{head}{}", "p".repeat(MAX_REDIRECT_LEN + 1 - head.len()));
    assert!(matches!(err(&over), AuthorizationError::Malformed(_)));
}

#[test]
fn a_bare_query_with_a_colon_is_not_taken_for_a_url() {
    // "code=a:b" is no scheme (a scheme has no '='), so this is a bare query.
    let code = parse_redirect("code=a:b&state=xyz", &check("xyz")).unwrap();
    assert_eq!(code.as_str(), "a:b");
    let code = parse_redirect("state=xyz&code=http://x", &check("xyz")).unwrap();
    assert_eq!(code.as_str(), "http://x");
    // A real URL still is one.
    let code = parse_redirect("app.sasl+x-y:/cb?code=c&state=xyz", &check("xyz")).unwrap();
    assert_eq!(code.as_str(), "c");
}

#[test]
fn code_challenge_must_be_43_base64url_characters() {
    let scopes = ["openid".to_owned()];
    // '-' and '_' are base64url; '+', '/' and '=' are not.
    let url_safe = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw_cM";
    assert!(
        authorization_url(
            "https://as.example/authorize",
            &params(&scopes, url_safe, &[]),
            Trust::HttpsOnly
        )
        .is_ok()
    );
    for bad in [
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw/cM",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstwcM=",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
    ] {
        assert!(
            matches!(
                authorization_url(
                    "https://as.example/authorize",
                    &params(&scopes, bad, &[]),
                    Trust::HttpsOnly
                ),
                Err(AuthorizationError::Malformed(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn rfc6749_error_response() {
    // RFC 6749 §4.1.2.1: Location: https://client.example.com/cb?error=access_denied&state=xyz
    let err = parse_redirect(
        "https://client.example.com/cb?error=access_denied&state=xyz",
        &check("xyz"),
    )
    .unwrap_err();
    let AuthorizationError::Provider(error) = err else {
        panic!("{err:?}")
    };
    assert_eq!(error.code(), &OAuthErrorCode::AccessDenied);
    assert_eq!(error.description(), None);
    let err = parse_redirect(
        "?error=invalid_scope&error_description=The+scope+%22x%22+is+unknown%0D%0A&error_uri=https%3A%2F%2Fas.example%2Fe&state=xyz",
        &check("xyz"),
    )
    .unwrap_err();
    let AuthorizationError::Provider(error) = err else {
        panic!("{err:?}")
    };
    assert_eq!(error.code(), &OAuthErrorCode::InvalidScope);
    assert_eq!(error.description(), Some("The scope \"x\" is unknown"));
    assert_eq!(error.uri(), Some("https://as.example/e"));
    assert_eq!(
        error.to_string(),
        "invalid_scope: The scope \"x\" is unknown"
    );
}

fn iss_check<'a>(issuer: Option<&'a str>, require_iss: bool) -> RedirectCheck<'a> {
    RedirectCheck {
        state: "ZWVlNDBlYzA1NjdkMDNhYjg3ZjUxZjAyNGQzMTM2NzI",
        issuer,
        require_iss,
    }
}

#[test]
fn rfc9207_iss_checks() {
    // RFC 9207 §2.1 example response.
    let response = "https://client.example/cb?code=x1848ZT64p4IirMPT0R-X3141MFPTuBX-VFL_cvaplMH58\
                    &state=ZWVlNDBlYzA1NjdkMDNhYjg3ZjUxZjAyNGQzMTM2NzI&iss=https%3A%2F%2Fhonest.as.example";
    let no_iss = "https://client.example/cb?code=x1848ZT64p4IirMPT0R-X3141MFPTuBX-VFL_cvaplMH58\
                  &state=ZWVlNDBlYzA1NjdkMDNhYjg3ZjUxZjAyNGQzMTM2NzI";
    let honest = Some("https://honest.as.example");
    // Equal.
    let code = parse_redirect(response, &iss_check(honest, true)).unwrap();
    assert_eq!(
        code.as_str(),
        "x1848ZT64p4IirMPT0R-X3141MFPTuBX-VFL_cvaplMH58"
    );
    // Different (and no normalisation: a trailing slash is different).
    for expected in ["https://attacker.example", "https://honest.as.example/"] {
        assert_eq!(
            parse_redirect(response, &iss_check(Some(expected), false)).unwrap_err(),
            AuthorizationError::IssuerMismatch {
                expected: expected.to_owned(),
                found: "https://honest.as.example".to_owned()
            }
        );
    }
    // Missing but required.
    assert_eq!(
        parse_redirect(no_iss, &iss_check(honest, true)).unwrap_err(),
        AuthorizationError::IssuerMissing
    );
    // Missing, not required.
    assert!(parse_redirect(no_iss, &iss_check(honest, false)).is_ok());
    // No issuer known: iss cannot be compared and is ignored, unless required.
    assert!(parse_redirect(response, &iss_check(None, false)).is_ok());
    assert_eq!(
        parse_redirect(no_iss, &iss_check(None, true)).unwrap_err(),
        AuthorizationError::IssuerMissing
    );
}

#[test]
fn order_of_redirect_checks() {
    let strict = RedirectCheck {
        state: "good",
        issuer: Some("https://as.example"),
        require_iss: true,
    };
    let err = |r: &str| parse_redirect(r, &strict).unwrap_err();
    // An injected error with the wrong state is a state error, not the provider's word.
    assert_eq!(
        err("?error=access_denied&state=bad&iss=https%3A%2F%2Fas.example"),
        AuthorizationError::StateMismatch
    );
    assert_eq!(
        err("?error=access_denied&iss=https%3A%2F%2Fas.example"),
        AuthorizationError::StateMissing
    );
    // iss is checked before state.
    assert!(matches!(
        err("?code=c&state=bad&iss=https%3A%2F%2Fevil.example"),
        AuthorizationError::IssuerMismatch { .. }
    ));
    assert_eq!(err("?code=c&state=bad"), AuthorizationError::IssuerMissing);
    // Duplicates before everything.
    assert_eq!(
        err("?code=c&state=bad&iss=x&iss=y"),
        AuthorizationError::DuplicateParameter("iss".to_owned())
    );
    // error before code: a response with both is the error.
    assert!(matches!(
        err("?code=c&error=server_error&state=good&iss=https%3A%2F%2Fas.example"),
        AuthorizationError::Provider(_)
    ));
    assert!(matches!(
        err("?state=good&iss=https%3A%2F%2Fas.example"),
        AuthorizationError::CodeMissing
    ));
}

// ------------------------------------------------ client authentication (§2.3)

#[test]
fn rfc6749_basic_authentication_encoding() {
    // RFC 6749 §2.3.1 example header.
    let client = ClientCredentials::secret_basic("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw");
    let request = revocation_request(&client, "45ghiukldjahdnhzdauz", Some("refresh_token"));
    assert_eq!(
        request.authorization(),
        Some("Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3")
    );
    // RFC 7009 §2.1 example body; nothing about the client in it.
    assert_eq!(
        request.body(),
        "token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token"
    );
    // Reserved characters are form-encoded before base64 (a `:` in the id must not
    // split it).
    let client = ClientCredentials::secret_basic("my client:1", "p@ss w%rd/+é");
    let header = revocation_request(&client, "t", None)
        .authorization()
        .unwrap()
        .to_owned();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(header.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "my+client%3A1:p%40ss+w%25rd%2F%2B%C3%A9"
    );
    assert_eq!(client.auth_method(), "client_secret_basic");
    assert_eq!(client.client_id(), "my client:1");
    assert_eq!(client.secret(), Some("p@ss w%rd/+é"));
}

#[test]
fn client_methods_put_credentials_in_the_right_place() {
    let public = ClientCredentials::public("mail-app");
    assert_eq!((public.auth_method(), public.secret()), ("none", None));
    let post = ClientCredentials::secret_post("mail-app", "sh&h=");
    assert_eq!(post.auth_method(), "client_secret_post");
    let req = revocation_request(&public, "tok", None);
    assert_eq!(req.body(), "token=tok&client_id=mail-app");
    assert_eq!(req.authorization(), None);
    let req = revocation_request(&post, "tok", None);
    assert_eq!(
        pairs(req.body()),
        [
            ("token".into(), "tok".into()),
            ("client_id".into(), "mail-app".into()),
            ("client_secret".into(), "sh&h=".into())
        ]
    );
    assert_eq!(req.authorization(), None);
    assert_eq!(
        FormRequest::CONTENT_TYPE,
        "application/x-www-form-urlencoded"
    );
}

// ------------------------------------------------ token requests (§4.1.3, §6)

#[test]
fn rfc6749_code_grant_request() {
    // RFC 6749 §4.1.3, with the RFC 7636 §4.5 code_verifier.
    let redirect = parse_redirect(
        "https://client.example.com/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        &check("xyz"),
    )
    .unwrap();
    let verifier = PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let client = ClientCredentials::secret_basic("s6BhdRkqt3", "gX1fBat3bV");
    let request = code_grant(
        &client,
        &redirect,
        "https://client.example.com/cb",
        &verifier,
    );
    assert_eq!(
        request.authorization(),
        Some("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    );
    assert_eq!(
        request.body(),
        "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA\
         &redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb\
         &code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    // A public client sends its id in the body (§4.1.3 "client_id REQUIRED, if the
    // client is not authenticating").
    let public = ClientCredentials::public("s6BhdRkqt3");
    let body = code_grant(
        &public,
        &redirect,
        "https://client.example.com/cb",
        &verifier,
    );
    assert_eq!(
        pairs(body.body()).last().unwrap(),
        &("client_id".to_owned(), "s6BhdRkqt3".to_owned())
    );
}

#[test]
fn rfc6749_refresh_request() {
    // RFC 6749 §6.
    let client = ClientCredentials::secret_basic("s6BhdRkqt3", "gX1fBat3bV");
    let request = refresh_grant(&client, "tGzv3JOkF0XG5Qx2TlKWIA", None);
    assert_eq!(
        request.body(),
        "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA"
    );
    assert_eq!(
        request.authorization(),
        Some("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    );
    let scopes = ["mail".to_owned(), "offline_access".to_owned()];
    let request = refresh_grant(&client, "tGzv3JOkF0XG5Qx2TlKWIA", Some(&scopes));
    assert!(request.body().ends_with("&scope=mail+offline_access"));
    let request = refresh_grant(&client, "tGzv3JOkF0XG5Qx2TlKWIA", Some(&[]));
    assert!(!request.body().contains("scope="));
    // Reserved characters in a refresh token survive the round trip.
    let request = refresh_grant(&ClientCredentials::public("c"), "a+b/c=&d", None);
    assert_eq!(pairs(request.body())[1].1, "a+b/c=&d");
}

// ------------------------------------------------ token responses (§5.1, §5.2)

#[test]
fn rfc6749_token_response_example() {
    // RFC 6749 §5.1, as printed: token_type "example" is not a bearer token.
    let printed = br#"{
       "access_token":"2YotnFZFEjr1zCsicMWpAA",
       "token_type":"example",
       "expires_in":3600,
       "refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA",
       "example_parameter":"example_value"
     }"#;
    assert!(matches!(
        TokenResponse::parse(200, printed, NOW),
        Err(TokenEndpointError::Malformed(m)) if m.contains("Bearer")
    ));
    // RFC 6750 §4: the same with a bearer token.
    let bearer = br#"{"access_token":"mF_9.B5f-4.1JqM","token_type":"Bearer",
                      "expires_in":3600,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA"}"#;
    let t = TokenResponse::parse(200, bearer, NOW).unwrap();
    assert_eq!(t.access_token(), "mF_9.B5f-4.1JqM");
    assert_eq!(t.token_type(), "Bearer");
    assert_eq!(
        t.expires_at(),
        Some(UnixTime::from_secs(NOW.as_secs() + 3600))
    );
    assert_eq!(t.refresh_token(), Some("tGzv3JOkF0XG5Qx2TlKWIA"));
    assert_eq!(t.scopes(), None);
    assert_eq!(t.id_token(), None);
}

#[test]
fn token_response_members() {
    let parse = |json: &str| TokenResponse::parse(200, json.as_bytes(), NOW);
    // Microsoft-shaped: scope list, extra members.
    let t = TokenResponse::parse(200, &fixture("token-microsoft.json"), NOW).unwrap();
    assert_eq!(
        t.scopes().unwrap(),
        [
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send"
        ]
    );
    assert_eq!(
        t.expires_at(),
        Some(UnixTime::from_secs(NOW.as_secs() + 4185))
    );
    // Case-insensitive bearer, expires_in as a string of digits, id_token, null.
    let t = parse(r#"{"access_token":"a","token_type":"bearer","expires_in":"3599","id_token":"e.y.J","refresh_token":null}"#).unwrap();
    assert_eq!(t.token_type(), "bearer");
    assert_eq!(
        t.expires_at(),
        Some(UnixTime::from_secs(NOW.as_secs() + 3599))
    );
    assert_eq!(t.id_token(), Some("e.y.J"));
    assert_eq!(t.refresh_token(), None);
    // Without expires_in.
    assert_eq!(
        parse(r#"{"access_token":"a","token_type":"Bearer"}"#)
            .unwrap()
            .expires_at(),
        None
    );
    for bad in [
        r#"{"token_type":"Bearer"}"#,
        r#"{"access_token":"","token_type":"Bearer"}"#,
        r#"{"access_token":"a\u0000b","token_type":"Bearer"}"#,
        r#"{"access_token":"a\u00e9","token_type":"Bearer"}"#,
        r#"{"access_token":42,"token_type":"Bearer"}"#,
        r#"{"access_token":"a"}"#,
        r#"{"access_token":"a","token_type":"mac"}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":1.5}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"1h"}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"-5"}"#,
        r#"{"access_token":"a","token_type":"Bearer","refresh_token":""}"#,
        r#"{"access_token":"a","token_type":"Bearer","scope":"a \"b\""}"#,
        r#"{"access_token":"a","token_type":"Bearer","scope":["mail"]}"#,
        r#"{"access_token":"a","token_type":"Bearer","access_token":"b"}"#,
        r#"["access_token"]"#,
        r#"{"access_token":"a","token_type":"Bearer""#,
        "",
    ] {
        assert!(
            matches!(parse(bad), Err(TokenEndpointError::Malformed(_))),
            "{bad}"
        );
    }
    let huge = format!(
        r#"{{"access_token":"a","token_type":"Bearer","pad":"{}"}}"#,
        "x".repeat(MAX_DOCUMENT_SIZE)
    );
    assert!(matches!(parse(&huge), Err(TokenEndpointError::Malformed(m)) if m.contains("limit")));
    // A huge expires_in saturates instead of overflowing.
    let t =
        parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":18446744073709551615}"#)
            .unwrap();
    assert_eq!(t.expires_at(), Some(UnixTime::from_secs(u64::MAX)));
}

#[test]
fn rfc6749_error_response_example() {
    // RFC 6749 §5.2.
    let body = br#"{
       "error":"invalid_request"
     }"#;
    let err = TokenResponse::parse(400, body, NOW).unwrap_err();
    let TokenEndpointError::OAuth(error) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error.code(), &OAuthErrorCode::InvalidRequest);
    assert!(!err.needs_new_login());
    assert_eq!(OAuthError::parse(body).unwrap(), *error);
}

#[test]
fn token_error_statuses_and_invalid_grant() {
    let ms = fixture("error-microsoft-invalid-grant.json");
    let err = TokenResponse::parse(400, &ms, NOW).unwrap_err();
    assert!(err.needs_new_login());
    let error = err.oauth_error().unwrap();
    assert_eq!(error.code(), &OAuthErrorCode::InvalidGrant);
    let description = error.description().unwrap();
    assert!(
        description
            .starts_with("AADSTS70000: The provided value for the 'refresh_token' is not valid.")
    );
    assert!(!description.contains('\r') && !description.contains('\n'));
    assert!(description.len() <= 203);
    assert_eq!(
        error.uri(),
        Some("https://login.microsoftonline.com/error?code=70000")
    );
    // 401 invalid_client.
    let err = TokenResponse::parse(401, br#"{"error":"invalid_client"}"#, NOW).unwrap_err();
    assert!(
        matches!(&err, TokenEndpointError::OAuth(e) if *e.code() == OAuthErrorCode::InvalidClient)
    );
    // 400 without an error object.
    assert_eq!(
        TokenResponse::parse(400, b"<html>Bad Request</html>", NOW).unwrap_err(),
        TokenEndpointError::Status {
            status: 400,
            error: None
        }
    );
    // Other statuses, with and without an error object.
    let err =
        TokenResponse::parse(503, br#"{"error":"temporarily_unavailable"}"#, NOW).unwrap_err();
    assert!(matches!(
        &err,
        TokenEndpointError::Status { status: 503, error: Some(e) } if *e.code() == OAuthErrorCode::TemporarilyUnavailable
    ));
    let err = TokenResponse::parse(500, br#"{"error":"invalid_grant"}"#, NOW).unwrap_err();
    assert!(err.needs_new_login());
    assert_eq!(
        TokenResponse::parse(302, b"", NOW).unwrap_err(),
        TokenEndpointError::Status {
            status: 302,
            error: None
        }
    );
    // 200 with an error body (GitHub's habit).
    let err = TokenResponse::parse(200, br#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#, NOW).unwrap_err();
    assert!(
        matches!(&err, TokenEndpointError::OAuth(e) if e.code().as_str() == "bad_verification_code")
    );
    // A bad error code is malformed.
    for bad in [
        r#"{"error":""}"#,
        r#"{"error":"a\"b"}"#,
        r#"{"error":7}"#,
        r#"{"error_description":"no code"}"#,
    ] {
        assert!(
            matches!(
                OAuthError::parse(bad.as_bytes()),
                Err(TokenEndpointError::Malformed(_))
            ),
            "{bad}"
        );
    }
    // A bad error_uri is dropped, not fatal.
    let e = OAuthError::parse(br#"{"error":"server_error","error_uri":"javascript:alert(1) x"}"#)
        .unwrap();
    assert_eq!(e.uri(), None);
}

#[test]
fn error_codes_round_trip() {
    for code in [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "access_denied",
        "unsupported_response_type",
        "server_error",
        "temporarily_unavailable",
        "authorization_pending",
        "slow_down",
        "expired_token",
        "invalid_redirect_uri",
        "invalid_client_metadata",
        "invalid_software_statement",
        "unapproved_software_statement",
        "interaction_required",
    ] {
        let parsed = OAuthErrorCode::parse(code);
        assert_eq!(parsed.as_str(), code);
        assert_eq!(
            matches!(parsed, OAuthErrorCode::Other(_)),
            code == "interaction_required"
        );
    }
    assert_eq!(
        OAuthErrorCode::parse("Invalid_Grant"),
        OAuthErrorCode::Other("Invalid_Grant".to_owned())
    );
}

// ------------------------------------------------ device grant (RFC 8628)

#[test]
fn rfc8628_device_authorization() {
    // §3.1 request.
    let client = ClientCredentials::public("1406020730");
    let request = device_authorization_request(&client, &["example_scope".to_owned()]);
    let mut sent = pairs(request.body());
    sent.sort();
    assert_eq!(
        sent,
        [
            ("client_id".into(), "1406020730".into()),
            ("scope".into(), "example_scope".into())
        ]
    );
    assert_eq!(
        device_authorization_request(&client, &[]).body(),
        "client_id=1406020730"
    );
    // §3.2 response.
    let device =
        DeviceAuthorization::parse(200, &fixture("device-rfc8628.json"), NOW, Trust::HttpsOnly)
            .unwrap();
    assert_eq!(device.user_code(), "WDJB-MJHT");
    assert_eq!(device.verification_uri(), "https://example.com/device");
    assert_eq!(
        device.verification_uri_complete(),
        Some("https://example.com/device?user_code=WDJB-MJHT")
    );
    assert_eq!(
        device.expires_at(),
        UnixTime::from_secs(NOW.as_secs() + 1800)
    );
    assert_eq!(device.interval(), Duration::from_secs(5));
    // §3.4 request.
    assert_eq!(
        device_grant(&client, &device).body(),
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code\
         &device_code=GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS&client_id=1406020730"
    );
}

#[test]
fn device_authorization_variants_and_refusals() {
    let parse =
        |json: &str| DeviceAuthorization::parse(200, json.as_bytes(), NOW, Trust::HttpsOnly);
    // Google's spelling, default interval, string numbers.
    let d = parse(r#"{"device_code":"AH-1Ng","user_code":"GQVQ-JKEC","verification_url":"https://www.google.com/device","expires_in":"1800"}"#).unwrap();
    assert_eq!(d.verification_uri(), "https://www.google.com/device");
    assert_eq!(d.interval(), Duration::from_secs(5));
    assert_eq!(d.verification_uri_complete(), None);
    // interval 0 is raised to 1 s.
    let d = parse(r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d","expires_in":60,"interval":0}"#).unwrap();
    assert_eq!(d.interval(), Duration::from_secs(1));
    for bad in [
        r#"{"user_code":"u","verification_uri":"https://e.example/d","expires_in":60}"#,
        r#"{"device_code":"d","verification_uri":"https://e.example/d","expires_in":60}"#,
        r#"{"device_code":"d","user_code":"u","expires_in":60}"#,
        r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d"}"#,
        r#"{"device_code":"d","user_code":"u","verification_uri":"http://e.example/d","expires_in":60}"#,
        r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d#x","expires_in":60}"#,
        r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d","verification_uri_complete":"javascript:x","expires_in":60}"#,
        r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d","expires_in":-60}"#,
    ] {
        assert!(
            matches!(parse(bad), Err(TokenEndpointError::Malformed(_))),
            "{bad}"
        );
    }
    // The reasons say which rule the URI broke.
    let reason = |json: &str| match parse(json) {
        Err(TokenEndpointError::Malformed(reason)) => reason,
        other => panic!("{json}: {other:?}"),
    };
    assert!(reason(r#"{"device_code":"d","user_code":"u","verification_uri":"http://e.example/d","expires_in":60}"#).contains("is not https"));
    assert!(reason(r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d#x","expires_in":60}"#).contains("fragment"));
    // http only with trust.
    let local = r#"{"device_code":"d","user_code":"u","verification_uri":"http://127.0.0.1:8080/d","expires_in":60}"#;
    assert!(parse(local).is_err());
    assert!(
        DeviceAuthorization::parse(200, local.as_bytes(), NOW, Trust::AllowHttpLoopback).is_ok()
    );
    // Error answers.
    let err =
        DeviceAuthorization::parse(400, br#"{"error":"invalid_client"}"#, NOW, Trust::HttpsOnly)
            .unwrap_err();
    assert!(
        matches!(err, TokenEndpointError::OAuth(e) if *e.code() == OAuthErrorCode::InvalidClient)
    );
}

fn device() -> DeviceAuthorization {
    DeviceAuthorization::parse(200, &fixture("device-rfc8628.json"), NOW, Trust::HttpsOnly).unwrap()
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(NOW.as_secs() + secs)
}

#[test]
fn rfc8628_polling_pending_slow_down_and_success() {
    let mut polling = DevicePolling::new(&device());
    assert_eq!(polling.interval(), Duration::from_secs(5));
    let pending = br#"{"error":"authorization_pending"}"#;
    let slow = br#"{"error":"slow_down"}"#;
    assert!(matches!(
        polling.on_response(400, pending, at(5)).unwrap(),
        PollOutcome::Wait(d) if d == Duration::from_secs(5)
    ));
    assert!(matches!(
        polling.on_response(400, slow, at(10)).unwrap(),
        PollOutcome::Wait(d) if d == Duration::from_secs(10)
    ));
    assert_eq!(polling.interval(), Duration::from_secs(10));
    assert!(matches!(
        polling.on_response(400, slow, at(20)).unwrap(),
        PollOutcome::Wait(d) if d == Duration::from_secs(15)
    ));
    // The increase persists for later pending answers.
    assert!(matches!(
        polling.on_response(400, pending, at(35)).unwrap(),
        PollOutcome::Wait(d) if d == Duration::from_secs(15)
    ));
    let token =
        br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}"#;
    match polling.on_response(200, token, at(50)).unwrap() {
        PollOutcome::Token(t) => {
            assert_eq!(t.access_token(), "2YotnFZFEjr1zCsicMWpAA");
            assert_eq!(t.expires_at(), Some(at(3650)));
        }
        PollOutcome::Wait(d) => panic!("waited {d:?}"),
    }
}

#[test]
fn device_polling_never_sleeps_past_the_cap_or_the_deadline() {
    use sasl_oauthbearer::authorization::MAX_POLL_INTERVAL;
    // A server asking for an absurd interval is polled at the cap.
    let huge = r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d","expires_in":18446744073709551615,"interval":18446744073709551615}"#;
    let device = DeviceAuthorization::parse(200, huge.as_bytes(), NOW, Trust::HttpsOnly).unwrap();
    assert_eq!(device.interval(), MAX_POLL_INTERVAL);
    let mut polling = DevicePolling::new(&device);
    let slow = br#"{"error":"slow_down"}"#;
    for i in 0..100 {
        match polling.on_response(400, slow, at(i)).unwrap() {
            PollOutcome::Wait(d) => assert!(d <= MAX_POLL_INTERVAL, "{d:?}"),
            PollOutcome::Token(_) => panic!("a token from slow_down"),
        }
    }
    // Close to the deadline, the wait ends at the deadline.
    let short = r#"{"device_code":"d","user_code":"u","verification_uri":"https://e.example/d","expires_in":60,"interval":30}"#;
    let device = DeviceAuthorization::parse(200, short.as_bytes(), NOW, Trust::HttpsOnly).unwrap();
    let mut polling = DevicePolling::new(&device);
    let pending = br#"{"error":"authorization_pending"}"#;
    assert!(matches!(
        polling.on_response(400, pending, at(50)).unwrap(),
        PollOutcome::Wait(d) if d == Duration::from_secs(10)
    ));
    assert!(polling.on_response(400, pending, at(60)).is_err());
}

#[test]
fn rfc8628_polling_denied_expired_and_deadline() {
    let mut polling = DevicePolling::new(&device());
    let err = polling
        .on_response(400, br#"{"error":"access_denied"}"#, at(5))
        .unwrap_err();
    assert!(
        matches!(&err, TokenEndpointError::OAuth(e) if *e.code() == OAuthErrorCode::AccessDenied)
    );
    let err = polling
        .on_response(400, br#"{"error":"expired_token"}"#, at(5))
        .unwrap_err();
    assert!(
        matches!(&err, TokenEndpointError::OAuth(e) if *e.code() == OAuthErrorCode::ExpiredToken)
    );
    let err = polling
        .on_response(400, br#"{"error":"invalid_grant"}"#, at(5))
        .unwrap_err();
    assert!(err.needs_new_login());
    assert!(polling.on_response(500, b"oops", at(5)).is_err());
    // Past the deadline, pending answers end polling (expires_in was 1800).
    let pending = br#"{"error":"authorization_pending"}"#;
    assert!(polling.on_response(400, pending, at(1799)).is_ok());
    let err = polling.on_response(400, pending, at(1800)).unwrap_err();
    assert!(
        matches!(&err, TokenEndpointError::OAuth(e) if *e.code() == OAuthErrorCode::ExpiredToken)
    );
    assert!(
        polling
            .on_response(400, br#"{"error":"slow_down"}"#, at(4000))
            .is_err()
    );
}

// ------------------------------------------------ registration (RFC 7591)

fn registration_request() -> RegistrationRequest {
    RegistrationRequest::native_public(
        "Mail Client",
        vec![
            "http://127.0.0.1/callback".to_owned(),
            "com.example.mail:/oauth2redirect".to_owned(),
        ],
    )
}

#[test]
fn native_public_registration_request_fields() {
    let json = registration_request()
        .with_scope(&["mail".to_owned(), "offline_access".to_owned()])
        .with_software("4NRB1-0XZABZI9E6-5SM3R", "2.1")
        .to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let object = value.as_object().unwrap();
    assert_eq!(object["client_name"], "Mail Client");
    assert_eq!(
        object["redirect_uris"],
        serde_json::json!([
            "http://127.0.0.1/callback",
            "com.example.mail:/oauth2redirect"
        ])
    );
    assert_eq!(object["application_type"], "native");
    assert_eq!(object["token_endpoint_auth_method"], "none");
    assert_eq!(
        object["grant_types"],
        serde_json::json!([
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    assert_eq!(object["response_types"], serde_json::json!(["code"]));
    assert_eq!(object["scope"], "mail offline_access");
    assert_eq!(object["software_id"], "4NRB1-0XZABZI9E6-5SM3R");
    assert_eq!(object["software_version"], "2.1");
    assert_eq!(object.len(), 9);
    // Without the optional members, and with other grant types.
    let plain = registration_request()
        .with_grant_types(vec!["authorization_code".to_owned()])
        .with_scope(&[]);
    let value: serde_json::Value = serde_json::from_str(&plain.to_json()).unwrap();
    assert_eq!(
        value["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    assert!(value.get("scope").is_none() && value.get("software_id").is_none());
    assert_eq!(plain.redirect_uris().len(), 2);
}

#[test]
fn rfc7591_client_information_response() {
    let reg = ClientRegistration::parse(
        201,
        &fixture("registration-rfc7591.json"),
        &registration_request(),
    )
    .unwrap();
    assert_eq!(reg.client_id(), "s6BhdRkqt3");
    assert_eq!(reg.client_secret(), Some("cf136dc3c1fc93f31185e5885805d"));
    assert_eq!(reg.client_secret_expires_at(), Some(2_893_276_800));
    assert_eq!(reg.client_id_issued_at(), Some(2_893_256_800));
    assert_eq!(reg.token_endpoint_auth_method(), "client_secret_basic");
    assert_eq!(
        reg.redirect_uris(),
        [
            "https://client.example.org/callback",
            "https://client.example.org/callback2"
        ]
    );
    assert_eq!(reg.registration_client_uri(), None);
    let creds = reg.credentials();
    assert_eq!(creds.auth_method(), "client_secret_basic");
    assert_eq!(creds.secret(), Some("cf136dc3c1fc93f31185e5885805d"));
    // 200 is accepted too.
    assert!(
        ClientRegistration::parse(
            200,
            &fixture("registration-rfc7591.json"),
            &registration_request()
        )
        .is_ok()
    );
}

#[test]
fn registration_defaults_and_refusals() {
    let request = registration_request();
    let parse = |json: &str| ClientRegistration::parse(201, json.as_bytes(), &request);
    // A public client: method none, redirect URIs from the request.
    let reg = parse(r#"{"client_id":"abc","token_endpoint_auth_method":"none","registration_client_uri":"https://as.example/register/abc","registration_access_token":"reg-23410913-abewfq.123483"}"#).unwrap();
    assert_eq!(reg.token_endpoint_auth_method(), "none");
    assert_eq!(reg.redirect_uris(), request.redirect_uris());
    assert_eq!(reg.client_secret(), None);
    assert_eq!(
        reg.registration_client_uri(),
        Some("https://as.example/register/abc")
    );
    assert_eq!(
        reg.registration_access_token(),
        Some("reg-23410913-abewfq.123483")
    );
    assert_eq!(reg.credentials().auth_method(), "none");
    // No method and no secret: none. No method with a secret: client_secret_basic.
    assert_eq!(
        parse(r#"{"client_id":"abc"}"#)
            .unwrap()
            .token_endpoint_auth_method(),
        "none"
    );
    let reg =
        parse(r#"{"client_id":"abc","client_secret":"s","client_secret_expires_at":0}"#).unwrap();
    assert_eq!(reg.token_endpoint_auth_method(), "client_secret_basic");
    assert_eq!(reg.client_secret_expires_at(), Some(0));
    let reg = parse(r#"{"client_id":"abc","client_secret":"s","token_endpoint_auth_method":"client_secret_post"}"#).unwrap();
    assert_eq!(reg.credentials().auth_method(), "client_secret_post");
    // A confidential method without a secret.
    assert!(matches!(
        parse(r#"{"client_id":"abc","token_endpoint_auth_method":"client_secret_post"}"#),
        Err(RegistrationError::Malformed(_))
    ));
    assert_eq!(
        parse(r#"{"client_id":"abc","token_endpoint_auth_method":"private_key_jwt"}"#).unwrap_err(),
        RegistrationError::UnsupportedAuthMethod("private_key_jwt".to_owned())
    );
    for bad in [
        r#"{"client_secret":"s"}"#,
        r#"{"client_id":""}"#,
        r#"{"client_id":5}"#,
        r#"{"client_id":"a","redirect_uris":"https://x.example/cb"}"#,
        r#"{"client_id":"a","client_id":"b"}"#,
        "not json",
    ] {
        assert!(
            matches!(parse(bad), Err(RegistrationError::Malformed(_))),
            "{bad}"
        );
    }
    // Statuses.
    assert_eq!(
        ClientRegistration::parse(500, b"{}", &request).unwrap_err(),
        RegistrationError::Status(500)
    );
    assert_eq!(
        ClientRegistration::parse(400, b"<html/>", &request).unwrap_err(),
        RegistrationError::Status(400)
    );
}

#[test]
fn rfc7591_error_responses() {
    let request = registration_request();
    let err = ClientRegistration::parse(400, &fixture("registration-error-rfc7591.json"), &request)
        .unwrap_err();
    let RegistrationError::Refused(error) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error.code(), &OAuthErrorCode::InvalidRedirectUri);
    assert_eq!(
        error.description(),
        Some("The redirection URI http://sketchy.example.com is not allowed by this server.")
    );
    // RFC 7591 §3.2.2, second example.
    let body = br#"{
      "error": "invalid_client_metadata",
      "error_description": "The grant type 'authorization_code' must be registered along with the response type 'code' but found only 'implicit' instead."
     }"#;
    let err = ClientRegistration::parse(400, body, &request).unwrap_err();
    assert!(
        matches!(err, RegistrationError::Refused(e) if *e.code() == OAuthErrorCode::InvalidClientMetadata)
    );
}

// ------------------------------------------------ secrets stay out of output

#[test]
fn debug_output_never_shows_secrets() {
    let verifier = PkceVerifier::parse(&format!("{SECRET}{}", "v".repeat(20))).unwrap();
    let state = "st";
    let code = parse_redirect(&format!("?code={SECRET}&state={state}"), &check(state)).unwrap();
    let client = ClientCredentials::secret_basic("visible-client-id", SECRET);
    let post = ClientCredentials::secret_post("visible-client-id", SECRET);
    let request = code_grant(&client, &code, "http://127.0.0.1/cb", &verifier);
    let post_request = refresh_grant(&post, SECRET, None);
    let tokens = TokenResponse::parse(
        200,
        format!(
            r#"{{"access_token":"{SECRET}","token_type":"Bearer","refresh_token":"{SECRET}","id_token":"{SECRET}"}}"#
        )
        .as_bytes(),
        NOW,
    )
    .unwrap();
    let device = DeviceAuthorization::parse(
        200,
        format!(
            r#"{{"device_code":"{SECRET}","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","expires_in":60}}"#
        )
        .as_bytes(),
        NOW,
        Trust::HttpsOnly,
    )
    .unwrap();
    let registration = ClientRegistration::parse(
        201,
        format!(
            r#"{{"client_id":"visible-client-id","client_secret":"{SECRET}","registration_access_token":"{SECRET}"}}"#
        )
        .as_bytes(),
        &registration_request(),
    )
    .unwrap();
    let outputs = [
        format!("{verifier:?}"),
        format!("{code:?}"),
        format!("{client:?}"),
        format!("{post:?}"),
        format!("{request:?}"),
        format!("{post_request:?}"),
        format!("{tokens:?}"),
        format!("{device:?}"),
        format!("{:?}", DevicePolling::new(&device)),
        format!("{registration:?}"),
        format!("{:?}", registration.credentials()),
        format!("{:?}", PollOutcome::Token(tokens)),
    ];
    for output in &outputs {
        assert!(!output.contains(SECRET), "{output}");
        assert!(!output.contains("S3CR3T"), "{output}");
    }
    // What Debug does show: the type, with the secret redacted.
    assert!(outputs[0].starts_with("PkceVerifier"), "{}", outputs[0]);
    assert!(
        outputs[1].starts_with("AuthorizationCode"),
        "{}",
        outputs[1]
    );
    assert!(outputs[4].starts_with("FormRequest"), "{}", outputs[4]);
    assert!(outputs[6].starts_with("TokenResponse"), "{}", outputs[6]);
    assert!(outputs[2].contains("visible-client-id") && outputs[2].contains("client_secret_basic"));
    assert!(outputs[7].contains("WDJB-MJHT"));
    // The secrets are still there for their use.
    assert!(request.body().contains(SECRET));
    assert!(request.authorization().is_some());
}

#[test]
fn errors_never_show_secrets_or_bodies() {
    let bodies = [
        format!(r#""{SECRET}""#),
        format!(r#"{{"access_token":"{SECRET}"}}"#),
        format!(r#"{{"access_token":"{SECRET}","token_type":"mac"}}"#),
        format!(r#"{{"access_token":"{SECRET}\u0001","token_type":"Bearer"}}"#),
        format!(r#"{{"access_token":"{SECRET}","token_type":"Bearer","expires_in":"{SECRET}"}}"#),
        format!(r#"{{"access_token":"{SECRET}","token_type":"Bearer","refresh_token":7}}"#),
        format!(r#"{{"access_token":"{SECRET}","access_token":"{SECRET}"}}"#),
        format!(r#"{{"access_token":"{SECRET}" "#),
        format!("<html>{SECRET}</html>"),
        format!(
            r#"{{"device_code":"{SECRET}","user_code":"u","verification_uri":"http://x.example/{SECRET}","expires_in":1}}"#
        ),
        format!(r#"{{"client_id":"a","registration_access_token":"{SECRET}\u0000"}}"#),
        format!(r#"{{"client_secret":"{SECRET}"}}"#),
    ];
    let request = registration_request();
    for body in &bodies {
        for status in [200, 201, 400, 401, 500] {
            let mut messages = Vec::new();
            if let Err(e) = TokenResponse::parse(status, body.as_bytes(), NOW) {
                messages.push(format!("{e} {e:?}"));
            }
            if let Err(e) =
                DeviceAuthorization::parse(status, body.as_bytes(), NOW, Trust::HttpsOnly)
            {
                messages.push(format!("{e} {e:?}"));
            }
            if let Err(e) = ClientRegistration::parse(status, body.as_bytes(), &request) {
                messages.push(format!("{e} {e:?}"));
            }
            if let Err(e) = OAuthError::parse(body.as_bytes()) {
                messages.push(format!("{e} {e:?}"));
            }
            if let Err(e) = DevicePolling::new(&device()).on_response(status, body.as_bytes(), NOW)
            {
                messages.push(format!("{e} {e:?}"));
            }
            assert!(!messages.is_empty() || status == 200 || status == 201);
            for message in messages {
                assert!(!message.contains("S3CR3T"), "{body} / {status}: {message}");
            }
        }
    }
    // Redirect errors never show the code.
    let redirects = [
        format!("?code={SECRET}&state=wrong"),
        format!("?code={SECRET}"),
        format!("?code={SECRET}%0A&state=st"),
        format!("?code={SECRET}%ZZ&state=st"),
        format!("?code={SECRET}&code={SECRET}&state=st"),
        format!("?code={SECRET}&state=st&iss=https%3A%2F%2Fevil.example"),
        format!("?code={SECRET}\u{7}&state=st"),
    ];
    let check = RedirectCheck {
        state: "st",
        issuer: Some("https://as.example"),
        require_iss: false,
    };
    for redirect in &redirects {
        let e = parse_redirect(redirect, &check).unwrap_err();
        let message = format!("{e} {e:?}");
        assert!(!message.contains("S3CR3T"), "{redirect}: {message}");
    }
    // A bad verifier's error does not echo it.
    let e = PkceVerifier::parse(&format!("{SECRET}!")).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("S3CR3T"));
}

#[test]
fn error_display() {
    assert_eq!(
        AuthorizationError::StateMismatch.to_string(),
        "the authorization response's state is not the one sent"
    );
    let e = TokenResponse::parse(
        400,
        br#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the authorization server refused: invalid_grant: Token has been expired or revoked."
    );
    assert_eq!(
        RegistrationError::Status(503).to_string(),
        "HTTP status 503 from the registration endpoint"
    );
    let e: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
    assert!(e.source().is_some());
}

// ------------------------------------------------ no panics

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic_on_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..1024),
        status in prop_oneof![Just(200u16), Just(201), Just(400), Just(401), any::<u16>()],
    ) {
        let _ = TokenResponse::parse(status, &bytes, NOW);
        let _ = OAuthError::parse(&bytes);
        let _ = DeviceAuthorization::parse(status, &bytes, NOW, Trust::AllowHttp);
        let _ = ClientRegistration::parse(status, &bytes, &registration_request());
        let _ = DevicePolling::new(&device()).on_response(status, &bytes, NOW);
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_redirect(&text, &check("s"));
        let _ = PkceVerifier::parse(&text);
    }

    #[test]
    fn parsers_never_panic_on_json_objects(
        members in proptest::collection::vec(
            (
                prop_oneof![
                    Just("access_token"), Just("token_type"), Just("expires_in"),
                    Just("refresh_token"), Just("scope"), Just("error"),
                    Just("device_code"), Just("user_code"), Just("verification_uri"),
                    Just("interval"), Just("client_id"), Just("client_secret"),
                    Just("token_endpoint_auth_method"), Just("redirect_uris"),
                ],
                prop_oneof![
                    Just("\"Bearer\"".to_owned()), Just("-1".to_owned()), Just("null".to_owned()),
                    Just("[]".to_owned()), Just("\"https://e.example/x\"".to_owned()),
                    Just("1e400".to_owned()), Just("\"authorization_pending\"".to_owned()),
                    "\"[ -~]{0,12}\"", "[0-9]{1,22}",
                ],
            ),
            0..8,
        ),
        status in prop_oneof![Just(200u16), Just(201), Just(400)],
    ) {
        let body = format!(
            "{{{}}}",
            members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")
        );
        let body = body.as_bytes();
        if let Ok(t) = TokenResponse::parse(status, body, NOW) {
            prop_assert!(!t.access_token().is_empty());
            prop_assert!(t.token_type().eq_ignore_ascii_case("bearer"));
        }
        let _ = DeviceAuthorization::parse(status, body, NOW, Trust::HttpsOnly);
        if let Ok(r) = ClientRegistration::parse(status, body, &registration_request()) {
            prop_assert!(!r.client_id().is_empty());
            prop_assert!(r.token_endpoint_auth_method() == "none" || r.client_secret().is_some());
        }
    }

    #[test]
    fn redirect_never_yields_a_code_for_another_state(
        query in "[a-z=&%0-9+]{0,64}",
        state in "[a-z]{1,8}",
    ) {
        let redirect = format!("?{query}");
        if let Ok(code) = parse_redirect(&redirect, &check(&state)) {
            let decoded = pairs(query.as_str());
            prop_assert!(decoded.iter().any(|(n, v)| n == "state" && *v == state));
            prop_assert!(!code.as_str().is_empty());
        }
    }

    #[test]
    fn form_bodies_round_trip(token in "\\PC{0,40}", id in "\\PC{1,20}") {
        let client = ClientCredentials::public(id.clone());
        let request = refresh_grant(&client, &token, None);
        prop_assert_eq!(
            pairs(request.body()),
            vec![
                ("grant_type".to_owned(), "refresh_token".to_owned()),
                ("refresh_token".to_owned(), token.clone()),
                ("client_id".to_owned(), id.clone()),
            ]
        );
    }
}

#[test]
fn error_codes_display_and_length_bound() {
    assert_eq!(OAuthErrorCode::InvalidGrant.to_string(), "invalid_grant");
    assert_eq!(OAuthErrorCode::parse("slow_down").to_string(), "slow_down");
    // An error code of up to 128 characters is read; a longer one is not an error
    // response at all.
    let at_limit = "e".repeat(128);
    let error = OAuthError::parse(format!(r#"{{"error":"{at_limit}"}}"#).as_bytes()).unwrap();
    assert_eq!(error.code().as_str(), at_limit);
    let over = "e".repeat(129);
    assert!(OAuthError::parse(format!(r#"{{"error":"{over}"}}"#).as_bytes()).is_err());
}

#[test]
fn a_200_with_a_token_is_a_success_even_with_an_error_member() {
    let both = br#"{"access_token":"a","token_type":"Bearer","error":"server_error"}"#;
    assert_eq!(
        TokenResponse::parse(200, both, NOW).unwrap().access_token(),
        "a"
    );
    // Without a token, the error member is the answer.
    let error_only = br#"{"error":"invalid_grant"}"#;
    assert!(matches!(
        TokenResponse::parse(200, error_only, NOW),
        Err(TokenEndpointError::OAuth(e)) if *e.code() == OAuthErrorCode::InvalidGrant
    ));
}
