//! Arbitrary text as a JWT for the built-in validator (the PyJWT fixtures' JWKS, every
//! algorithm family allowed): never panics, and nothing validates but a token signed
//! by one of the fixture keys (which the fuzzer cannot forge).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::UnixTime;
use sasl_oauthbearer::{JwsAlgorithm, JwtConfig, JwtValidator};
use std::sync::OnceLock;

const JWKS: &str = include_str!("../../sasl-oauthbearer/tests/data/jwt/jwks.json");

fn validator() -> Option<&'static JwtValidator> {
    static V: OnceLock<Option<JwtValidator>> = OnceLock::new();
    V.get_or_init(|| {
        let config = JwtConfig::new(
            JwsAlgorithm::ALL.iter().copied().filter(|a| !a.is_hmac()),
            "https://issuer.example",
            ["imap.example.com"],
        );
        JwtValidator::new(JWKS, config).ok()
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let Some(v) = validator() else { return };
    if let Ok(ok) = v.validate(token, UnixTime::from_secs(1_767_225_600)) {
        // Only a fixture token can get here; its identity is a fixture user.
        assert!(!ok.identity().is_empty());
    }
});
