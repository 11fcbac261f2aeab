//! The PyJWT fixtures (tests/data/jwt, made by make.py) as the session and interop
//! tests read them.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use sasl_core::UnixTime;
use serde_json::Value;

pub(crate) const TOKENS: &str = include_str!("../data/jwt/tokens.json");
pub(crate) const JWKS: &str = include_str!("../data/jwt/jwks.json");

pub(crate) fn fixtures() -> Value {
    serde_json::from_str(TOKENS).unwrap()
}

/// The token of the case named `name`.
pub(crate) fn token(name: &str) -> String {
    fixtures()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["token"].as_str())
        .unwrap_or_else(|| panic!("no case {name}"))
        .to_owned()
}

/// The fixed time the tokens were minted for.
pub(crate) fn now() -> UnixTime {
    UnixTime::from_secs(fixtures()["now"].as_u64().unwrap())
}
