//! The key set: a JWKS document (RFC 7517) parsed once into verification keys.

use std::fmt;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::crypto::CryptoProvider;
use serde_json::{Map, Value};

use super::error::JwtConfigError;
use super::parse::{b64_decode, parse_object};
use super::{JwsAlgorithm, MAX_JWKS_LEN, MAX_KEYS};

/// RSA moduli outside this range are refused: smaller ones are weak, and the RustCrypto
/// backend does not verify with larger ones (aws-lc-rs would), so the two backends agree.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;
/// RFC 7518 §3.2: an HMAC key at least as long as the hash output; HS256 is the floor.
const HMAC_MIN_LEN: usize = 32;
const HMAC_MAX_LEN: usize = 1024;

/// What kind of key a JWK is, as far as choosing algorithms goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
    /// An HMAC secret of this many bytes.
    Oct(usize),
}

impl KeyKind {
    fn name(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::EcP256 => "EC P-256",
            Self::EcP384 => "EC P-384",
            Self::Ed25519 => "OKP Ed25519",
            Self::Oct(_) => "oct",
        }
    }

    /// Whether a key of this kind can verify `alg` at all.
    fn fits(self, alg: JwsAlgorithm) -> bool {
        use JwsAlgorithm as A;
        match (self, alg) {
            (Self::Rsa, A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512) => true,
            (Self::EcP256, A::ES256) | (Self::EcP384, A::ES384) | (Self::Ed25519, A::EdDSA) => true,
            (Self::Oct(len), A::HS256) => len >= 32,
            (Self::Oct(len), A::HS384) => len >= 48,
            (Self::Oct(len), A::HS512) => len >= 64,
            _ => false,
        }
    }

    /// One algorithm this kind serves, to let the backend look at the key once.
    fn probe_algorithm(self) -> JwsAlgorithm {
        match self {
            Self::Rsa => JwsAlgorithm::RS256,
            Self::EcP256 => JwsAlgorithm::ES256,
            Self::EcP384 => JwsAlgorithm::ES384,
            Self::Ed25519 => JwsAlgorithm::EdDSA,
            Self::Oct(_) => JwsAlgorithm::HS256,
        }
    }
}

/// One usable key of the set.
pub(crate) struct Key {
    pub(crate) kid: Option<String>,
    pub(crate) kind: KeyKind,
    /// The JWK's `alg`, if it had one: the only algorithm the key may be used with.
    alg: Option<String>,
    /// The JWK's `use` is absent or `sig`.
    use_ok: bool,
    /// The JWK's `key_ops` is absent or contains `verify`.
    ops_ok: bool,
    pub(crate) decoding: DecodingKey,
}

impl Key {
    /// Whether this key may verify a token signed with `alg`.
    pub(crate) fn fits(&self, alg: JwsAlgorithm) -> bool {
        self.use_ok
            && self.ops_ok
            && self.kind.fits(alg)
            && self.alg.as_deref().is_none_or(|a| a == alg.name())
    }
}

/// A set of verification keys, parsed from a JWKS document (RFC 7517 §5) once.
///
/// Supported key types: `RSA` (2048 to 4096 bits), `EC` on P-256 and P-384, `OKP`
/// Ed25519, and `oct` (HMAC secrets of at least 32 bytes, usable only by a validator
/// whose allowlist contains an `HS*` algorithm). Keys of other types or curves
/// (P-521, X25519, Ed448, ...) are skipped and counted in
/// [`skipped`](Self::skipped), so a provider's document that also lists encryption keys
/// still loads. A key of a supported type that is malformed, or an `RSA`/`EC`/`OKP`
/// key carrying private material (`d`), fails the whole set.
///
/// A JWK's `alg`, `use` and `key_ops` restrict it: with `alg` it verifies only that
/// algorithm, with `use` only if it is `sig`, with `key_ops` only if they contain
/// `verify`. Header members that point elsewhere for keys (`jku`, `jwk`, `x5u`, `x5c`)
/// are never followed: only this set is trusted.
///
/// `Debug` lists key ids and types, never key material.
pub struct KeySet {
    keys: Vec<Key>,
    skipped: usize,
}

impl KeySet {
    /// Parses a JWKS document: a JSON object whose `keys` member is an array of JWKs.
    pub fn from_json(jwks_json: &str) -> Result<Self, JwtConfigError> {
        if jwks_json.len() > MAX_JWKS_LEN {
            return Err(JwtConfigError::JwksTooLarge);
        }
        let doc = parse_object(jwks_json.as_bytes())
            .map_err(|_| JwtConfigError::InvalidJwks("not a JSON object"))?;
        let Some(Value::Array(list)) = doc.get("keys") else {
            return Err(JwtConfigError::InvalidJwks("no keys array"));
        };
        if list.len() > MAX_KEYS {
            return Err(JwtConfigError::JwksTooLarge);
        }
        let mut keys = Vec::with_capacity(list.len());
        let mut skipped = 0;
        for (index, jwk) in list.iter().enumerate() {
            let Value::Object(jwk) = jwk else {
                return Err(JwtConfigError::InvalidKey {
                    index,
                    detail: "not a JSON object",
                });
            };
            match parse_jwk(jwk).map_err(|detail| JwtConfigError::InvalidKey { index, detail })? {
                Some(key) => keys.push(key),
                None => skipped += 1,
            }
        }
        Ok(Self { keys, skipped })
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys of unsupported types or curves were skipped.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The key ids of the usable keys, in document order (`None` for a key without one).
    pub fn key_ids(&self) -> impl Iterator<Item = Option<&str>> {
        self.keys.iter().map(|k| k.kid.as_deref())
    }

    pub(crate) fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Lets the backend parse every key once, so a key it cannot use (an EC point off
    /// the curve, for RustCrypto) is a configuration error rather than a failed login.
    pub(crate) fn check_with(&self, provider: &CryptoProvider) -> Result<(), JwtConfigError> {
        for (index, key) in self.keys.iter().enumerate() {
            let alg = key.kind.probe_algorithm().to_jsonwebtoken();
            if (provider.verifier_factory)(&alg, &key.decoding).is_err() {
                return Err(JwtConfigError::InvalidKey {
                    index,
                    detail: "the signature backend refuses the key",
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Entry<'a>(&'a Key);
        impl fmt::Debug for Entry<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Key")
                    .field("kid", &self.0.kid)
                    .field("kty", &self.0.kind.name())
                    .field("alg", &self.0.alg)
                    .finish()
            }
        }
        f.debug_struct("KeySet")
            .field("keys", &self.keys.iter().map(Entry).collect::<Vec<_>>())
            .field("skipped", &self.skipped)
            .finish()
    }
}

fn opt_string<'a>(
    jwk: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, &'static str> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err("a member is not a string"),
    }
}

fn member_b64(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, &'static str> {
    match jwk.get(name) {
        Some(Value::String(s)) => b64_decode(s).map_err(|_| "a key member is not base64url"),
        Some(_) => Err("a key member is not a string"),
        None => Err("a key member is missing"),
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// One JWK: `Ok(None)` for a key type this validator does not support.
fn parse_jwk(jwk: &Map<String, Value>) -> Result<Option<Key>, &'static str> {
    let kty = opt_string(jwk, "kty")?.ok_or("no kty")?;
    let kid = opt_string(jwk, "kid")?.map(str::to_owned);
    let alg = opt_string(jwk, "alg")?.map(str::to_owned);
    let use_ok = opt_string(jwk, "use")?.is_none_or(|u| u == "sig");
    let ops_ok = match jwk.get("key_ops") {
        None => true,
        Some(Value::Array(ops)) => {
            if ops.iter().any(|op| !op.is_string()) {
                return Err("key_ops is not an array of strings");
            }
            ops.iter().any(|op| op.as_str() == Some("verify"))
        }
        Some(_) => return Err("key_ops is not an array"),
    };
    if kty != "oct" && jwk.contains_key("d") {
        return Err("private key material (d) in the key set");
    }
    let (kind, decoding) = match kty {
        "RSA" => {
            let n = member_b64(jwk, "n")?;
            let e = member_b64(jwk, "e")?;
            let n = strip_leading_zeros(&n);
            let e = strip_leading_zeros(&e);
            let bits = match n.first() {
                Some(first) => n.len() * 8 - first.leading_zeros() as usize,
                None => 0,
            };
            if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
                return Err("RSA modulus not between 2048 and 4096 bits");
            }
            // An odd exponent of at least 3 and at most 32 bits (65537 in practice).
            let odd = e.last().is_some_and(|b| b & 1 == 1);
            if e.is_empty() || e.len() > 4 || !odd || e == [1] {
                return Err("unacceptable RSA exponent");
            }
            (KeyKind::Rsa, DecodingKey::from_rsa_raw_components(n, e))
        }
        "EC" => {
            let (kind, len) = match opt_string(jwk, "crv")? {
                Some("P-256") => (KeyKind::EcP256, 32),
                Some("P-384") => (KeyKind::EcP384, 48),
                Some(_) => return Ok(None),
                None => return Err("EC key without crv"),
            };
            let x = member_b64(jwk, "x")?;
            let y = member_b64(jwk, "y")?;
            if x.len() != len || y.len() != len {
                return Err("EC coordinate of the wrong length");
            }
            // The SEC1 uncompressed point, what both backends take.
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (kind, DecodingKey::from_ec_der(&point))
        }
        "OKP" => {
            match opt_string(jwk, "crv")? {
                Some("Ed25519") => {}
                Some(_) => return Ok(None),
                None => return Err("OKP key without crv"),
            }
            let x = member_b64(jwk, "x")?;
            // Exactly 32 bytes: the RustCrypto backend slices `[..32]` and would panic on
            // a shorter key.
            if x.len() != 32 {
                return Err("Ed25519 key of the wrong length");
            }
            (KeyKind::Ed25519, DecodingKey::from_ed_der(&x))
        }
        "oct" => {
            let k = member_b64(jwk, "k")?;
            if k.len() < HMAC_MIN_LEN {
                return Err("HMAC key shorter than 32 bytes");
            }
            if k.len() > HMAC_MAX_LEN {
                return Err("HMAC key longer than 1024 bytes");
            }
            let decoding = DecodingKey::from_secret(&k).map_err(|_| "unusable HMAC key")?;
            (KeyKind::Oct(k.len()), decoding)
        }
        _ => return Ok(None),
    };
    Ok(Some(Key {
        kid,
        kind,
        alg,
        use_ok,
        ops_ok,
        decoding,
    }))
}
