//! The JWT validator against fixtures minted by PyJWT (tests/data/jwt/make.py), on every
//! signature backend compiled in, plus configuration errors and a no-panic proptest.
#![cfg(feature = "jwt")]
// Test helpers outside `#[test]` functions report bad fixtures by panicking.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use sasl_core::{FailureKind, UnixTime};
use sasl_oauthbearer::{
    Backend, JwsAlgorithm, JwtConfig, JwtConfigError, JwtRejection, JwtValidator, KeySet,
    MAX_JWKS_LEN, MAX_KEYS,
};
use serde_json::Value;

const TOKENS: &str = include_str!("data/jwt/tokens.json");
const JWKS: &str = include_str!("data/jwt/jwks.json");
const JWKS_HMAC: &str = include_str!("data/jwt/jwks_hmac.json");

fn fixtures() -> Value {
    serde_json::from_str(TOKENS).expect("tokens.json")
}

fn now() -> UnixTime {
    UnixTime::from_secs(fixtures()["now"].as_u64().expect("now"))
}

fn jwks_named(name: &str) -> &'static str {
    match name {
        "jwks.json" => JWKS,
        "jwks_hmac.json" => JWKS_HMAC,
        other => panic!("unknown JWKS fixture {other}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The validators tokens.json describes, built for one backend.
fn validators(backend: Backend) -> BTreeMap<String, JwtValidator> {
    let mut out = BTreeMap::new();
    for spec in fixtures()["validators"].as_array().expect("validators") {
        let algs = strings(&spec["algorithms"])
            .iter()
            .map(|a| JwsAlgorithm::from_name(a).expect("known algorithm"))
            .collect::<Vec<_>>();
        let mut config = JwtConfig::new(
            algs,
            spec["issuer"].as_str().expect("issuer"),
            strings(&spec["audiences"]),
        )
        .with_leeway(spec["leeway"].as_u64().expect("leeway"))
        .with_required_claims(strings(&spec["required_claims"]))
        .with_backend(backend);
        if let Some(claim) = spec["identity_claim"].as_str() {
            config = config.with_identity_claim(claim);
        }
        if let Some(age) = spec["max_age"].as_u64() {
            config = config.with_max_age(age);
        }
        let jwks = jwks_named(spec["jwks"].as_str().expect("jwks"));
        let validator = JwtValidator::new(jwks, config).expect("validator builds");
        out.insert(spec["name"].as_str().expect("name").to_owned(), validator);
    }
    out
}

fn rejection_name(r: &JwtRejection) -> &'static str {
    match r {
        JwtRejection::Malformed(_) => "Malformed",
        JwtRejection::TooLarge => "TooLarge",
        JwtRejection::AlgorithmNotAllowed => "AlgorithmNotAllowed",
        JwtRejection::UnknownKey => "UnknownKey",
        JwtRejection::KeyTypeMismatch => "KeyTypeMismatch",
        JwtRejection::BadSignature => "BadSignature",
        JwtRejection::Expired => "Expired",
        JwtRejection::NotYetValid => "NotYetValid",
        JwtRejection::IssuedInFuture => "IssuedInFuture",
        JwtRejection::TooOld => "TooOld",
        JwtRejection::WrongIssuer => "WrongIssuer",
        JwtRejection::WrongAudience => "WrongAudience",
        JwtRejection::MissingClaim(_) => "MissingClaim",
        JwtRejection::MissingIdentity => "MissingIdentity",
        _ => "unknown variant",
    }
}

#[test]
fn pyjwt_fixture_matrix_on_every_backend() {
    let fixtures = fixtures();
    let cases = fixtures["cases"].as_array().expect("cases");
    assert!(cases.len() >= 90, "fixture set shrank: {}", cases.len());
    let now = now();
    let mut failures = Vec::new();
    let mut checked = 0;
    for &backend in Backend::AVAILABLE {
        let validators = validators(backend);
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let token = case["token"].as_str().expect("token");
            let expect = case["expect"].as_str().expect("expect");
            let validator = &validators[case["validator"].as_str().expect("validator")];
            let result = validator.validate(token, now);
            checked += 1;
            match (&result, expect) {
                (Ok(valid), "ok") => {
                    let identity = case["identity"].as_str().expect("identity");
                    if valid.identity() != identity {
                        failures.push(format!("{backend:?} {name}: identity {}", valid.identity()));
                    }
                    if case["alg"].as_str() != Some(valid.algorithm().name()) {
                        failures.push(format!("{backend:?} {name}: algorithm"));
                    }
                    if case.get("scopes").is_some() && valid.scopes() != strings(&case["scopes"]) {
                        failures.push(format!("{backend:?} {name}: scopes {:?}", valid.scopes()));
                    }
                    let grant = valid.to_grant();
                    assert_eq!(grant.subject(), identity);
                    assert_eq!(grant.issuer(), Some(valid.issuer()));
                    assert_eq!(grant.expires_at(), valid.expires_at());
                    assert_eq!(grant.scopes(), valid.scopes());
                    assert!(valid.expires_at().is_some());
                }
                (Err(rejection), want) if rejection_name(rejection) == want => {
                    let claim = match rejection {
                        JwtRejection::MissingClaim(claim) => Some(claim.as_str()),
                        _ => None,
                    };
                    if case["claim"].as_str() != claim {
                        failures.push(format!("{backend:?} {name}: claim {claim:?}"));
                    }
                    // Never any token content in what gets logged.
                    let shown = format!("{rejection} {rejection:?} {}", rejection.detail());
                    for part in token.split('.').filter(|p| p.len() > 3) {
                        assert!(!shown.contains(part), "{name}: token in error text");
                    }
                }
                (got, want) => failures.push(format!(
                    "{backend:?} {name}: expected {want}, got {:?}",
                    got.as_ref().map(|v| v.identity()).map_err(rejection_name)
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, cases.len() * Backend::AVAILABLE.len());
}

#[test]
fn both_backends_are_exercised_with_all_features() {
    #[cfg(all(feature = "aws-lc-rs", feature = "rust-crypto"))]
    assert_eq!(Backend::AVAILABLE, &[Backend::AwsLc, Backend::RustCrypto]);
    assert!(!Backend::AVAILABLE.is_empty());
    #[cfg(feature = "aws-lc-rs")]
    assert_eq!(Backend::default(), Backend::AwsLc);
}

fn case_token(name: &str) -> String {
    fixtures()["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["token"].as_str())
        .unwrap_or_else(|| panic!("no case {name}"))
        .to_owned()
}

fn default_config() -> JwtConfig {
    JwtConfig::new(
        [
            JwsAlgorithm::RS256,
            JwsAlgorithm::PS256,
            JwsAlgorithm::ES256,
            JwsAlgorithm::ES384,
            JwsAlgorithm::EdDSA,
        ],
        "https://issuer.example",
        ["imap.example.com"],
    )
}

#[test]
fn validated_token_accessors() {
    let validator = JwtValidator::new(JWKS, default_config()).expect("validator");
    let valid = validator
        .validate(&case_token("rs256"), now())
        .expect("valid");
    assert_eq!(valid.identity(), "alice");
    assert_eq!(valid.issuer(), "https://issuer.example");
    assert_eq!(valid.algorithm(), JwsAlgorithm::RS256);
    assert_eq!(valid.key_id(), Some("rsa1"));
    assert_eq!(valid.expires_at(), Some(now().saturating_add_secs(3600)));
    assert_eq!(valid.scopes(), ["mail.read", "mail.send"]);
    assert_eq!(valid.claims()["sub"], "alice");
    // Without a kid in the token, the key found is reported.
    let valid = validator
        .validate(&case_token("rs256-no-kid"), now())
        .expect("valid");
    assert_eq!(valid.key_id(), Some("rsa1"));
    // A fractional exp is rounded down.
    let valid = validator
        .validate(&case_token("float-dates"), now())
        .expect("valid");
    assert_eq!(
        valid.expires_at(),
        Some(UnixTime::from_secs(now().as_secs() - 59))
    );
}

#[test]
fn rejection_kinds_and_details() {
    assert_eq!(JwtRejection::Expired.failure_kind(), FailureKind::Expired);
    assert_eq!(JwtRejection::Expired.detail(), "token expired");
    assert_eq!(JwtRejection::BadSignature.detail(), "bad signature");
    for r in [
        JwtRejection::Malformed("x"),
        JwtRejection::BadSignature,
        JwtRejection::UnknownKey,
        JwtRejection::WrongAudience,
        JwtRejection::MissingIdentity,
    ] {
        assert_eq!(r.failure_kind(), FailureKind::InvalidCredentials);
    }
    let err: Box<dyn std::error::Error> = Box::new(JwtRejection::TooOld);
    assert_eq!(err.to_string(), "token too old");
}

#[test]
fn leeway_and_exp_options() {
    // With leeway 0 the leeway-edge token that was valid is now expired.
    let strict = JwtValidator::new(JWKS, default_config().with_leeway(0)).expect("validator");
    assert_eq!(
        strict.validate(&case_token("exp-edge-valid"), now()),
        Err(JwtRejection::Expired)
    );
    assert_eq!(
        strict.validate(&case_token("nbf-edge-valid"), now()),
        Err(JwtRejection::NotYetValid)
    );
    assert_eq!(
        strict.validate(&case_token("iat-edge-valid"), now()),
        Err(JwtRejection::IssuedInFuture)
    );
    // exp made optional: the token without exp passes and has no expiry.
    let lax = JwtValidator::new(JWKS, default_config().with_require_exp(false)).expect("v");
    let valid = lax
        .validate(&case_token("missing-exp"), now())
        .expect("valid");
    assert_eq!(valid.expires_at(), None);
    assert_eq!(valid.to_grant().expires_at(), None);
    // The same token is fine an hour earlier and expired an hour later.
    let validator = JwtValidator::new(JWKS, default_config()).expect("validator");
    let token = case_token("rs256");
    assert!(validator.validate(&token, now()).is_ok());
    assert_eq!(
        validator.validate(&token, now().saturating_add_secs(3600 + 60)),
        Err(JwtRejection::Expired)
    );
    assert!(
        validator
            .validate(&token, now().saturating_add_secs(3600 + 59))
            .is_ok()
    );
}

#[test]
fn configuration_errors() {
    let empty = JwtConfig::new([], "https://issuer.example", ["a"]);
    assert_eq!(
        JwtValidator::new(JWKS, empty).err(),
        Some(JwtConfigError::NoAlgorithms)
    );
    let no_aud = JwtConfig::new([JwsAlgorithm::RS256], "https://issuer.example", [""; 0]);
    assert_eq!(
        JwtValidator::new(JWKS, no_aud).err(),
        Some(JwtConfigError::NoAudience)
    );
    let no_iss = JwtConfig::new([JwsAlgorithm::RS256], "", ["a"]);
    assert_eq!(
        JwtValidator::new(JWKS, no_iss).err(),
        Some(JwtConfigError::EmptyIssuer)
    );
    let no_id = default_config().with_identity_claim("");
    assert_eq!(
        JwtValidator::new(JWKS, no_id).err(),
        Some(JwtConfigError::EmptyIdentityClaim)
    );
    // HS256 allowed, but the public JWKS holds no oct key.
    let hs = JwtConfig::new([JwsAlgorithm::HS256], "https://issuer.example", ["a"]);
    assert_eq!(
        JwtValidator::new(JWKS, hs).err(),
        Some(JwtConfigError::NoUsableKeys)
    );
    assert!(
        JwtConfigError::NoUsableKeys
            .to_string()
            .contains("no key usable")
    );
}

fn key_error(jwks: &str) -> Option<JwtConfigError> {
    KeySet::from_json(jwks).err()
}

#[test]
fn key_set_parsing() {
    let keys = KeySet::from_json(JWKS).expect("jwks");
    assert_eq!(keys.len(), 7);
    assert_eq!(keys.skipped(), 1, "the X25519 key");
    assert!(keys.key_ids().any(|k| k == Some("ec384")));
    assert!(!keys.is_empty());

    assert!(matches!(
        key_error("not json"),
        Some(JwtConfigError::InvalidJwks(_))
    ));
    assert!(matches!(
        key_error("[]"),
        Some(JwtConfigError::InvalidJwks(_))
    ));
    assert!(matches!(
        key_error(r#"{"keys":{}}"#),
        Some(JwtConfigError::InvalidJwks(_))
    ));
    assert!(matches!(
        key_error(r#"{"keys":[1]}"#),
        Some(JwtConfigError::InvalidKey { .. })
    ));
    assert!(matches!(
        key_error(r#"{"keys":[],"keys":[]}"#),
        Some(JwtConfigError::InvalidJwks(_))
    ));
    // Unknown key types are skipped.
    let skipped = KeySet::from_json(
        r#"{"keys":[{"kty":"EC","crv":"P-521","x":"AA","y":"AA"},
        {"kty":"OKP","crv":"Ed448","x":"AA"},{"kty":"foo"}]}"#,
    )
    .expect("skips");
    assert_eq!((skipped.len(), skipped.skipped()), (0, 3));
    // Malformed keys of supported types fail the set.
    let bad = [
        r#"{"keys":[{"kid":"x"}]}"#,
        r#"{"keys":[{"kty":"oct","k":"c2hvcnQ"}]}"#,
        r#"{"keys":[{"kty":"oct","k":"not base64!"}]}"#,
        r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}"#,
        r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}"#,
        r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#,
        r#"{"keys":[{"kty":"RSA","e":"AQAB"}]}"#,
        r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","d":"AAAA"}]}"#,
        r#"{"keys":[{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","key_ops":"verify"}]}"#,
        r#"{"keys":[{"kty":"oct","kid":7,"k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#,
    ];
    for jwks in bad {
        assert!(
            matches!(
                key_error(jwks),
                Some(JwtConfigError::InvalidKey { index: 0, .. })
            ),
            "{jwks}: {:?}",
            key_error(jwks)
        );
    }
    // A 1024-bit RSA key is refused.
    let n1024 = format!(
        r#"{{"keys":[{{"kty":"RSA","n":"{}","e":"AQAB"}}]}}"#,
        "_".repeat(170) + "w"
    );
    assert!(matches!(
        key_error(&n1024),
        Some(JwtConfigError::InvalidKey { .. })
    ));
    // Too many keys.
    let many = format!(r#"{{"keys":[{}{{}}]}}"#, "{},".repeat(100));
    assert_eq!(key_error(&many), Some(JwtConfigError::JwksTooLarge));
}

#[test]
fn backends_check_points_when_building() {
    // A P-256 "point" that is not on the curve: 32-byte coordinates of all ones. aws-lc-rs
    // parses keys only when verifying (every token then fails as BadSignature); RustCrypto
    // parses them when the validator is built, which refuses the key.
    let ones = "_".repeat(42) + "8";
    let jwks = format!(
        r#"{{"keys":[{{"kty":"EC","crv":"P-256","kid":"bad","x":"{ones}","y":"{ones}"}}]}}"#
    );
    let keys_ok = KeySet::from_json(&jwks).is_ok();
    assert!(keys_ok);
    for &backend in Backend::AVAILABLE {
        let config = JwtConfig::new([JwsAlgorithm::ES256], "i", ["a"]).with_backend(backend);
        let built = JwtValidator::new(&jwks, config);
        let refused = built.is_err();
        #[cfg(feature = "aws-lc-rs")]
        if backend == Backend::AwsLc {
            assert!(!refused, "aws-lc-rs parses the point only when verifying");
        }
        #[cfg(feature = "rust-crypto")]
        if backend == Backend::RustCrypto {
            assert!(
                refused,
                "RustCrypto parses the point when the validator is built"
            );
        }
        match built {
            Ok(validator) => {
                let token = case_token("es256");
                // The token's kid is ec256, not in this set; with no kid the only key
                // is the bad one.
                assert_eq!(
                    validator.validate(&token, now()),
                    Err(JwtRejection::UnknownKey)
                );
                let no_kid = case_token("es384-no-kid");
                assert_eq!(
                    validator.validate(&no_kid, now()),
                    Err(JwtRejection::AlgorithmNotAllowed)
                );
            }
            Err(e) => assert!(
                matches!(e, JwtConfigError::InvalidKey { index: 0, .. }),
                "{e}"
            ),
        }
    }
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWKS document holding the one JWK `jwk`.
fn one_key(jwk: &str) -> String {
    format!(r#"{{"keys":[{jwk}]}}"#)
}

/// An `oct` JWK of `len` bytes with `extra` members (`,"alg":"HS256"` ...).
fn oct(len: usize, extra: &str) -> String {
    one_key(&format!(
        r#"{{"kty":"oct","kid":"k","k":"{}"{extra}}}"#,
        b64url(&vec![0x5a; len])
    ))
}

/// Builds a validator for `algs` over `jwks`: `Ok(())`, or the configuration error.
fn build(jwks: &str, algs: &[JwsAlgorithm]) -> Result<(), JwtConfigError> {
    let config = JwtConfig::new(algs.iter().copied(), "https://issuer.example", ["a"]);
    JwtValidator::new(jwks, config).map(|_| ())
}

fn invalid_key(jwks: &str) -> Option<&'static str> {
    match KeySet::from_json(jwks) {
        Err(JwtConfigError::InvalidKey { index: 0, detail }) => Some(detail),
        Err(other) => panic!("{jwks}: {other:?}"),
        Ok(_) => None,
    }
}

#[test]
fn hmac_keys_fit_only_algorithms_their_length_allows() {
    use JwsAlgorithm::{HS256, HS384, HS512};
    let unusable = Err(JwtConfigError::NoUsableKeys);
    // RFC 7518 §3.2: at least as long as the hash.
    for (len, fits) in [
        (32, [true, false, false]),
        (47, [true, false, false]),
        (48, [true, true, false]),
        (63, [true, true, false]),
        (64, [true, true, true]),
    ] {
        for (alg, fits) in [HS256, HS384, HS512].into_iter().zip(fits) {
            let want = if fits { Ok(()) } else { unusable.clone() };
            assert_eq!(build(&oct(len, ""), &[alg]), want, "{len} bytes, {alg}");
        }
    }
    // An HMAC key never serves a public-key algorithm, nor the reverse.
    assert_eq!(build(&oct(64, ""), &[JwsAlgorithm::RS256]), unusable);
    assert_eq!(build(JWKS, &[HS256]), unusable);
}

#[test]
fn jwk_alg_use_and_key_ops_restrict_a_key() {
    use JwsAlgorithm::{HS256, HS512};
    let unusable = Err(JwtConfigError::NoUsableKeys);
    // `alg` pins the one algorithm.
    assert_eq!(build(&oct(64, r#","alg":"HS256""#), &[HS512]), unusable);
    assert_eq!(build(&oct(64, r#","alg":"HS256""#), &[HS256]), Ok(()));
    // `use` must be `sig` if present.
    assert_eq!(build(&oct(32, r#","use":"enc""#), &[HS256]), unusable);
    assert_eq!(build(&oct(32, r#","use":"sig""#), &[HS256]), Ok(()));
    // `key_ops` must contain `verify` if present.
    for ops in [r#"[]"#, r#"["sign"]"#, r#"["encrypt","decrypt"]"#] {
        let jwks = oct(32, &format!(r#","key_ops":{ops}"#));
        assert_eq!(build(&jwks, &[HS256]), unusable, "{ops}");
    }
    for ops in [r#"["verify"]"#, r#"["sign","verify"]"#] {
        let jwks = oct(32, &format!(r#","key_ops":{ops}"#));
        assert_eq!(build(&jwks, &[HS256]), Ok(()), "{ops}");
    }
    assert_eq!(
        invalid_key(&oct(32, r#","key_ops":["verify",1]"#)),
        Some("key_ops is not an array of strings")
    );
    assert_eq!(
        invalid_key(&oct(32, r#","use":1"#)),
        Some("a member is not a string")
    );
    // All three restrictions at once on a key that fits: usable only if each allows.
    assert_eq!(
        build(
            &oct(32, r#","alg":"HS256","use":"sig","key_ops":["verify"]"#),
            &[HS256]
        ),
        Ok(())
    );
    assert_eq!(
        build(
            &oct(32, r#","alg":"HS256","use":"enc","key_ops":["verify"]"#),
            &[HS256]
        ),
        unusable
    );
    assert_eq!(
        build(
            &oct(32, r#","alg":"HS256","use":"sig","key_ops":["sign"]"#),
            &[HS256]
        ),
        unusable
    );
}

#[test]
fn public_keys_fit_only_their_algorithms() {
    use JwsAlgorithm as A;
    let unusable = Err(JwtConfigError::NoUsableKeys);
    let jwks: Value = serde_json::from_str(JWKS).expect("jwks");
    let key = |kid: &str| {
        let jwk = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"] == kid)
            .expect("kid");
        one_key(&jwk.to_string())
    };
    let fits = [
        (
            "rsa1",
            &[A::RS256, A::RS384, A::RS512, A::PS256, A::PS384, A::PS512][..],
        ),
        ("ec256b", &[A::ES256][..]),
        ("ec384", &[A::ES384][..]),
        ("ed1", &[A::EdDSA][..]),
    ];
    for (kid, algs) in fits {
        let jwks = key(kid);
        for &alg in JwsAlgorithm::ALL {
            let want = if algs.contains(&alg) {
                Ok(())
            } else {
                unusable.clone()
            };
            assert_eq!(build(&jwks, &[alg]), want, "{kid} {alg}");
        }
    }
}

#[test]
fn rsa_key_rules() {
    let rsa = |n: &[u8], e: &[u8]| {
        one_key(&format!(
            r#"{{"kty":"RSA","n":"{}","e":"{}"}}"#,
            b64url(n),
            b64url(e)
        ))
    };
    let modulus = |top: u8, rest: usize| {
        let mut n = vec![top];
        n.extend(std::iter::repeat_n(0xff, rest));
        n
    };
    let f4 = [1, 0, 1];
    let bits = Some("RSA modulus not between 2048 and 4096 bits");
    // 2048 and 4096 bits are the bounds; leading zero bytes do not count.
    assert_eq!(invalid_key(&rsa(&modulus(0xff, 255), &f4)), None);
    assert_eq!(invalid_key(&rsa(&modulus(0x80, 255), &f4)), None);
    assert_eq!(invalid_key(&rsa(&modulus(0xff, 511), &f4)), None);
    assert_eq!(
        invalid_key(&rsa(&[&[0, 0][..], &modulus(0x80, 255)].concat(), &f4)),
        None
    );
    assert_eq!(
        invalid_key(&rsa(&modulus(0x7f, 255), &f4)),
        bits,
        "2047 bits"
    );
    assert_eq!(
        invalid_key(&rsa(&modulus(0x01, 255), &f4)),
        bits,
        "2041 bits"
    );
    assert_eq!(
        invalid_key(&rsa(&[&[0][..], &modulus(0x7f, 255)].concat(), &f4)),
        bits
    );
    assert_eq!(
        invalid_key(&rsa(&modulus(0x01, 512), &f4)),
        bits,
        "4097 bits"
    );
    assert_eq!(invalid_key(&rsa(&[0; 300], &f4)), bits, "zero");
    // The exponent: odd, at least 3, at most 32 bits.
    let n = modulus(0xff, 255);
    let exponent = Some("unacceptable RSA exponent");
    for good in [
        &[3][..],
        &[0, 1, 0, 1],
        &[1, 0, 0, 1],
        &[0xff, 0xff, 0xff, 0xff],
    ] {
        assert_eq!(invalid_key(&rsa(&n, good)), None, "{good:?}");
    }
    for bad in [
        &[][..],
        &[0],
        &[1],
        &[0, 1],
        &[2],
        &[1, 0, 0],
        &[1, 0, 0, 0, 1],
        &[0xff, 0xff, 0xff, 0xfe],
    ] {
        assert_eq!(invalid_key(&rsa(&n, bad)), exponent, "{bad:?}");
    }
    assert_eq!(
        invalid_key(&one_key(r#"{"kty":"RSA","n":"AQAB","e":1}"#)),
        Some("a key member is not a string")
    );
}

#[test]
fn ec_okp_and_oct_key_rules() {
    let c32 = b64url(&[7; 32]);
    let c31 = b64url(&[7; 31]);
    let c48 = b64url(&[7; 48]);
    let ec = |crv: &str, x: &str, y: &str| {
        one_key(&format!(
            r#"{{"kty":"EC","crv":"{crv}","x":"{x}","y":"{y}"}}"#
        ))
    };
    let wrong = Some("EC coordinate of the wrong length");
    assert_eq!(invalid_key(&ec("P-256", &c32, &c32)), None);
    assert_eq!(invalid_key(&ec("P-256", &c32, &c31)), wrong);
    assert_eq!(invalid_key(&ec("P-256", &c31, &c32)), wrong);
    assert_eq!(invalid_key(&ec("P-256", &c48, &c48)), wrong);
    assert_eq!(invalid_key(&ec("P-384", &c48, &c48)), None);
    assert_eq!(invalid_key(&ec("P-384", &c48, &c32)), wrong);
    assert_eq!(invalid_key(&ec("P-384", &c32, &c48)), wrong);
    assert_eq!(
        invalid_key(&one_key(&format!(
            r#"{{"kty":"EC","x":"{c32}","y":"{c32}"}}"#
        ))),
        Some("EC key without crv")
    );
    let okp = |x: &str| one_key(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#));
    assert_eq!(invalid_key(&okp(&c32)), None);
    assert_eq!(
        invalid_key(&okp(&c31)),
        Some("Ed25519 key of the wrong length")
    );
    assert_eq!(
        invalid_key(&okp(&b64url(&[7; 33]))),
        Some("Ed25519 key of the wrong length")
    );
    assert_eq!(
        invalid_key(&one_key(&format!(r#"{{"kty":"OKP","x":"{c32}"}}"#))),
        Some("OKP key without crv")
    );
    // HMAC secrets from 32 to 1024 bytes.
    assert_eq!(
        invalid_key(&oct(31, "")),
        Some("HMAC key shorter than 32 bytes")
    );
    assert_eq!(invalid_key(&oct(32, "")), None);
    assert_eq!(invalid_key(&oct(1024, "")), None);
    assert_eq!(
        invalid_key(&oct(1025, "")),
        Some("HMAC key longer than 1024 bytes")
    );
    // Private material: refused in public keys, meaningless (and allowed) in oct.
    assert_eq!(
        invalid_key(&one_key(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{c32}","d":"{c32}"}}"#
        ))),
        Some("private key material (d) in the key set")
    );
    assert_eq!(invalid_key(&oct(32, &format!(r#","d":"{c32}""#))), None);
    assert_eq!(
        invalid_key(&one_key(r#"{"kty":7}"#)),
        Some("a member is not a string")
    );
    assert_eq!(invalid_key(&one_key(r#"{"k":"AA"}"#)), Some("no kty"));
}

#[test]
fn key_set_size_limits_are_inclusive() {
    let empty = r#"{"keys":[]}"#;
    let padded = format!("{empty}{}", " ".repeat(MAX_JWKS_LEN - empty.len()));
    assert_eq!(padded.len(), MAX_JWKS_LEN);
    assert!(KeySet::from_json(&padded).is_ok());
    assert_eq!(
        KeySet::from_json(&format!("{padded} ")).err(),
        Some(JwtConfigError::JwksTooLarge)
    );
    let unknown = vec![r#"{"kty":"foo"}"#; MAX_KEYS].join(",");
    let most = KeySet::from_json(&format!(r#"{{"keys":[{unknown}]}}"#)).expect("at the limit");
    assert_eq!((most.len(), most.skipped()), (0, MAX_KEYS));
    assert!(most.is_empty());
    let too_many = KeySet::from_json(&format!(r#"{{"keys":[{unknown},{{"kty":"foo"}}]}}"#));
    assert_eq!(too_many.err(), Some(JwtConfigError::JwksTooLarge));
    // Usable and skipped keys are counted apart, and key ids kept in order.
    let keys = KeySet::from_json(JWKS).expect("jwks");
    assert_eq!(
        keys.key_ids().collect::<Vec<_>>(),
        [
            Some("rsa1"),
            Some("rsa-pss"),
            Some("rsa-enc"),
            Some("ec256"),
            Some("ec256b"),
            Some("ec384"),
            Some("ed1")
        ]
    );
}

#[test]
fn debug_output_has_no_key_material() {
    let hmac = JwtValidator::new(
        JWKS_HMAC,
        JwtConfig::new([JwsAlgorithm::HS256], "https://issuer.example", ["a"]),
    )
    .expect("validator");
    let shown = format!("{hmac:?}");
    let jwks: Value = serde_json::from_str(JWKS_HMAC).expect("json");
    for key in jwks["keys"].as_array().expect("keys") {
        for member in ["k", "n", "x", "y"] {
            if let Some(material) = key[member].as_str() {
                assert!(!shown.contains(material), "{member} in Debug");
                assert!(!shown.contains(&material[..16]), "{member} in Debug");
            }
        }
    }
    assert!(shown.contains("hs1") && shown.contains("rsa1"), "{shown}");
    // Key types are named.
    assert!(
        shown.contains(r#"kty: "oct""#) && shown.contains(r#"kty: "RSA""#),
        "{shown}"
    );
    let public = format!("{:?}", KeySet::from_json(JWKS).expect("jwks"));
    for kty in ["EC P-256", "EC P-384", "OKP Ed25519"] {
        assert!(public.contains(&format!(r#"kty: "{kty}""#)), "{public}");
    }
}

#[test]
fn validator_is_shared_across_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let validator = JwtValidator::new(JWKS, default_config()).expect("validator");
    send_sync(&validator);
    let token = case_token("es256");
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| assert!(validator.validate(&token, now()).is_ok()));
        }
    });
}

fn proptest_validators() -> Vec<JwtValidator> {
    Backend::AVAILABLE
        .iter()
        .flat_map(|&backend| {
            [
                JwtValidator::new(JWKS, default_config().with_backend(backend)),
                JwtValidator::new(
                    JWKS_HMAC,
                    JwtConfig::new(
                        [JwsAlgorithm::HS256, JwsAlgorithm::RS256],
                        "https://issuer.example",
                        ["imap.example.com"],
                    )
                    .with_backend(backend),
                ),
            ]
        })
        .map(|v| v.expect("validator"))
        .collect()
}

const VALID: [&str; 6] = ["rs256", "ps256", "es256", "es384", "eddsa", "hs256-allowed"];

#[test]
fn mutation_seeds_validate_unchanged() {
    let validators = proptest_validators();
    for name in VALID {
        let token = case_token(name);
        let accepted = validators
            .iter()
            .filter(|v| v.validate(&token, now()).is_ok())
            .count();
        // Each seed is accepted by at least one of the configurations on every backend.
        assert!(accepted >= Backend::AVAILABLE.len(), "{name}");
    }
}

/// Characters a mutation may write: the base64url alphabet and its neighbours.
fn mutation_char() -> impl Strategy<Value = char> {
    prop::sample::select("AZaz09-_+/=.!{} \"\u{e9}".chars().collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_validate(s in ".{0,600}") {
        for v in proptest_validators() {
            prop_assert!(v.validate(&s, now()).is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_never_validate(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let s = String::from_utf8_lossy(&bytes);
        for v in proptest_validators() {
            prop_assert!(v.validate(&s, now()).is_err());
        }
    }

    #[test]
    fn three_part_junk_never_validates(
        h in "[A-Za-z0-9_-]{0,80}", p in "[A-Za-z0-9_-]{0,80}", s in "[A-Za-z0-9_-]{0,400}",
    ) {
        let token = format!("{h}.{p}.{s}");
        for v in proptest_validators() {
            prop_assert!(v.validate(&token, now()).is_err());
        }
    }

    #[test]
    fn mutated_tokens_never_validate(
        which in 0..VALID.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, mutation_char()), 1..4),
    ) {
        let original = case_token(VALID[which]);
        let mut chars: Vec<char> = original.chars().collect();
        for (at, op, c) in edits {
            match op {
                0 if !chars.is_empty() => { let i = at.index(chars.len()); chars[i] = c; }
                1 => { let i = at.index(chars.len() + 1); chars.insert(i, c); }
                _ if !chars.is_empty() => { let i = at.index(chars.len()); chars.remove(i); }
                _ => {}
            }
        }
        let mutated: String = chars.into_iter().collect();
        for v in proptest_validators() {
            let result = v.validate(&mutated, now());
            if mutated == original {
                continue;
            }
            prop_assert!(result.is_err(), "mutation of {} validated", VALID[which]);
        }
    }

    #[test]
    fn truncated_tokens_never_validate(which in 0..VALID.len(), cut in any::<prop::sample::Index>()) {
        let original = case_token(VALID[which]);
        let at = cut.index(original.len());
        let truncated = &original[..at];
        for v in proptest_validators() {
            prop_assert!(v.validate(truncated, now()).is_err());
        }
    }
}
