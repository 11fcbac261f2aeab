//! The built-in JWT validator: see [`JwtValidator`] for usage and the rules.

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "sasl-oauthbearer: the `jwt` feature needs a signature backend: enable the \
     `aws-lc-rs` or the `rust-crypto` feature (or both)"
);

use std::fmt;

use jsonwebtoken::crypto::CryptoProvider;
use sasl_core::{Answer, FailureKind, TokenError, UnixTime, ValidateToken};
use serde_json::Value;

mod claims;
mod config;
mod error;
mod keys;
mod parse;

pub use claims::ValidatedToken;
pub use config::{DEFAULT_LEEWAY_SECS, JwtConfig};
pub use error::{JwtConfigError, JwtRejection};
pub use keys::KeySet;

// The longest token accepted is the mechanisms' (longer ones are
// `JwtRejection::TooLarge`): one bound for the wire and the validator.
pub(crate) use crate::message::MAX_TOKEN_LEN;
/// The largest JWKS document accepted, in bytes.
pub const MAX_JWKS_LEN: usize = 1024 * 1024;
/// The most keys a JWKS document may hold.
pub const MAX_KEYS: usize = 100;
/// The longest identity accepted, in bytes.
pub const MAX_IDENTITY_LEN: usize = 1024;

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037 for `EdDSA` on Ed25519).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwsAlgorithm {
    /// HMAC with SHA-256 (needs an `oct` key of at least 32 bytes).
    HS256,
    /// HMAC with SHA-384 (needs an `oct` key of at least 48 bytes).
    HS384,
    /// HMAC with SHA-512 (needs an `oct` key of at least 64 bytes).
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// EdDSA on Ed25519.
    EdDSA,
}

impl JwsAlgorithm {
    /// Every algorithm the validator supports.
    pub const ALL: &'static [JwsAlgorithm] = &[
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The `alg` header value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm an `alg` header value names (case-sensitive); `None` for `none` and
    /// anything unsupported.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether this is an HMAC (shared-secret) algorithm.
    pub const fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as J;
        match self {
            Self::HS256 => J::HS256,
            Self::HS384 => J::HS384,
            Self::HS512 => J::HS512,
            Self::RS256 => J::RS256,
            Self::RS384 => J::RS384,
            Self::RS512 => J::RS512,
            Self::PS256 => J::PS256,
            Self::PS384 => J::PS384,
            Self::PS512 => J::PS512,
            Self::ES256 => J::ES256,
            Self::ES384 => J::ES384,
            Self::EdDSA => J::EdDSA,
        }
    }
}

impl fmt::Display for JwsAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The signature backend a validator verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// aws-lc-rs (AWS-LC): the default, faster for RSA and ECDSA. Feature `aws-lc-rs`.
    #[cfg(feature = "aws-lc-rs")]
    AwsLc,
    /// RustCrypto (`rsa`, `p256`, `p384`, `ed25519-dalek`, `hmac`): pure Rust. Feature
    /// `rust-crypto`.
    #[cfg(feature = "rust-crypto")]
    RustCrypto,
}

impl Backend {
    /// The backends compiled in.
    pub const AVAILABLE: &'static [Backend] = &[
        #[cfg(feature = "aws-lc-rs")]
        Self::AwsLc,
        #[cfg(feature = "rust-crypto")]
        Self::RustCrypto,
    ];

    fn provider(self) -> &'static CryptoProvider {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLc => &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
            #[cfg(feature = "rust-crypto")]
            Self::RustCrypto => &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        }
    }
}

impl Default for Backend {
    /// aws-lc-rs when compiled in, else RustCrypto.
    fn default() -> Self {
        #[cfg(feature = "aws-lc-rs")]
        {
            Self::AwsLc
        }
        #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
        {
            Self::RustCrypto
        }
        #[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
        {
            // Unreachable: the compile_error above stops such a build.
            loop {}
        }
    }
}

/// The built-in JWT validator: signed JWTs (compact JWS, RFC 7515/7519) checked against
/// a JWKS key set (RFC 7517), for servers that accept OAuth access tokens as bearer
/// tokens in OAUTHBEARER or XOAUTH2.
///
/// Build a [`JwtValidator`] once from the identity provider's JWKS document and a
/// [`JwtConfig`] (algorithm allowlist, issuer, audiences, claim rules), then
/// [`validate`](JwtValidator::validate) each token against the current time, which the
/// application supplies (the library never reads a clock). A [`ValidatedToken`] turns
/// into the [`TokenGrant`](sasl_core::TokenGrant) a
/// [`ValidateToken`](sasl_core::ValidateToken) request is answered with; a
/// [`JwtRejection`] says why not, with a [`FailureKind`](sasl_core::FailureKind) for the
/// session and a log line that never contains the token.
///
/// ```
/// use sasl_core::UnixTime;
/// use sasl_oauthbearer::{JwsAlgorithm, JwtConfig, JwtRejection, JwtValidator};
///
/// // The identity provider's published keys (fetched by the application) and a token
/// // it minted; here both are test fixtures made by PyJWT.
/// let jwks = include_str!("../tests/data/jwt/jwks.json");
/// let fixtures: serde_json::Value =
///     serde_json::from_str(include_str!("../tests/data/jwt/tokens.json"))?;
/// let token = fixtures["cases"][0]["token"].as_str().ok_or("no token")?;
/// let now = UnixTime::from_secs(1_767_225_600);
///
/// let config = JwtConfig::new(
///     [JwsAlgorithm::RS256, JwsAlgorithm::ES256, JwsAlgorithm::EdDSA],
///     "https://issuer.example",
///     ["imap.example.com"],
/// );
/// let validator = JwtValidator::new(jwks, config)?;
///
/// let valid = validator.validate(token, now)?;
/// assert_eq!(valid.identity(), "alice");
/// let grant = valid.to_grant(); // answer the ValidateToken request with this
/// assert_eq!(grant.subject(), "alice");
///
/// // An hour and a minute later the token has expired.
/// let later = now.saturating_add_secs(3660);
/// let rejected = validator.validate(token, later).err().ok_or("accepted")?;
/// assert_eq!(rejected, JwtRejection::Expired);
/// assert_eq!(rejected.failure_kind(), sasl_core::FailureKind::Expired);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Checks, in order
///
/// 1. Size ([`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN)) and structure: exactly three parts of strict base64url
///    (no padding, no other characters, canonical last character), the first two not
///    empty (an empty signature fails at step 5).
/// 2. Header: a JSON object without duplicate members; `alg` a string; `kid` and `typ`
///    strings if present; any `crit` is refused (no extensions are understood).
///    `jku`, `jwk`, `x5u` and `x5c` are ignored: keys come only from the key set.
/// 3. `alg` in the allowlist (`none` never is).
/// 4. Key: the key with the token's `kid`; with no `kid`, the only key usable for the
///    algorithm. The key's type and curve must fit the algorithm, and its JWK `alg`,
///    `use` and `key_ops` must allow it ([`JwtRejection::KeyTypeMismatch`]). HMAC keys
///    come only from `oct` JWKs, so a public key is never taken as an HMAC secret.
/// 5. Signature.
/// 6. Claims: a JSON object without duplicate members.
/// 7. `exp` (required unless configured otherwise): expired if `now >= exp + leeway`.
/// 8. `nbf`: not yet valid if `now + leeway < nbf`.
/// 9. `iat`: refused if `iat > now + leeway`; with a maximum age, required and refused
///    if `now > iat + max_age + leeway`.
/// 10. `iss` exactly the configured issuer; `aud` (a string or an array of strings)
///     containing one of the configured audiences; the required claims present.
/// 11. The identity claim: a non-empty string of at most [`MAX_IDENTITY_LEN`] bytes
///     without control characters.
///
/// Numeric dates may be integers or fractions; any other JSON type is malformed.
///
/// # Backends
///
/// Signatures are verified by `jsonwebtoken`'s aws-lc-rs or RustCrypto provider,
/// chosen per validator with [`Backend`] (features `aws-lc-rs`, the default, and
/// `rust-crypto`). The validator never uses `jsonwebtoken`'s process-wide default
/// provider, so enabling both features is fine.
///
/// # Sharing and key rotation
///
/// Build it once (keys are parsed and checked then) and share it: it is `Send + Sync`
/// and [`validate`](Self::validate) takes `&self`. To follow key rotation, build a new
/// one from the new JWKS document. `Debug` shows the configuration and key ids, never
/// key material.
pub struct JwtValidator {
    keys: KeySet,
    config: JwtConfig,
    provider: &'static CryptoProvider,
}

impl JwtValidator {
    /// Builds a validator from a JWKS document (see [`KeySet::from_json`]).
    pub fn new(jwks_json: &str, config: JwtConfig) -> Result<Self, JwtConfigError> {
        Self::from_key_set(KeySet::from_json(jwks_json)?, config)
    }

    /// Builds a validator from a parsed key set.
    ///
    /// Fails if the configuration is incomplete (no algorithm, empty issuer, no
    /// audience, empty identity claim name), if no key can verify any allowed algorithm,
    /// or if the backend refuses one of the keys.
    pub fn from_key_set(keys: KeySet, config: JwtConfig) -> Result<Self, JwtConfigError> {
        if config.algorithms.is_empty() {
            return Err(JwtConfigError::NoAlgorithms);
        }
        if config.issuer.is_empty() {
            return Err(JwtConfigError::EmptyIssuer);
        }
        if config.audiences.is_empty() {
            return Err(JwtConfigError::NoAudience);
        }
        if config.identity_claim.is_empty() {
            return Err(JwtConfigError::EmptyIdentityClaim);
        }
        let usable = keys
            .keys()
            .iter()
            .any(|k| config.algorithms.iter().any(|&alg| k.fits(alg)));
        if !usable {
            return Err(JwtConfigError::NoUsableKeys);
        }
        let provider = config.backend.provider();
        keys.check_with(provider)?;
        Ok(Self {
            keys,
            config,
            provider,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// The key set.
    pub fn key_set(&self) -> &KeySet {
        &self.keys
    }

    /// Answers a session's token-validation request: the token is checked at the time
    /// the application gave the session
    /// ([`ServerSession::set_now`](sasl_core::ServerSession::set_now); without one the
    /// exchange fails as [`FailureKind::Internal`], never with an unchecked expiry). A
    /// valid token grants its identity claim ([`ValidatedToken::to_grant`]); the
    /// mechanism then refuses a claimed authzid other than that identity. A rejected
    /// token fails with the rejection's kind and detail ("token expired", "bad
    /// signature", ...) and the client is told `invalid_token`.
    ///
    /// To allow authzids, or to add checks of your own (scopes, revocation), call
    /// [`validate`](Self::validate) and answer yourself.
    pub fn answer(&self, request: ValidateToken) -> Answer {
        let Some(now) = request.now() else {
            return request.reject(FailureKind::Internal);
        };
        match self.validate(request.token(), now) {
            Ok(token) => request.valid(token.to_grant()),
            Err(rejection) => request.reject_token(
                rejection.failure_kind(),
                rejection.detail(),
                TokenError::invalid_token(),
            ),
        }
    }

    /// Validates `token` at time `now` (see [the checks](Self#checks-in-order) for
    /// their order). Never panics, whatever the input.
    pub fn validate(&self, token: &str, now: UnixTime) -> Result<ValidatedToken, JwtRejection> {
        let compact = parse::split_compact(token)?;
        let header = &compact.header;

        let alg_name = match header.get("alg") {
            Some(Value::String(alg)) => alg.as_str(),
            Some(_) => return Err(JwtRejection::Malformed("alg is not a string")),
            None => return Err(JwtRejection::Malformed("header has no alg")),
        };
        if header.contains_key("crit") {
            return Err(JwtRejection::Malformed("crit header not supported"));
        }
        let kid = match header.get("kid") {
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(JwtRejection::Malformed("kid is not a string")),
            None => None,
        };
        if header.get("typ").is_some_and(|typ| !typ.is_string()) {
            return Err(JwtRejection::Malformed("typ is not a string"));
        }

        let alg = JwsAlgorithm::from_name(alg_name)
            .filter(|alg| self.config.algorithms.contains(alg))
            .ok_or(JwtRejection::AlgorithmNotAllowed)?;

        let key = self.verify_signature(&compact, kid, alg)?;

        let claims = parse::parse_object(&compact.payload)
            .map_err(|_| JwtRejection::Malformed("claims not a JSON object"))?;
        claims::check_claims(claims, &self.config, now, alg, key.kid.clone())
    }

    /// Finds the key (step 4) and checks the signature with it (step 5).
    fn verify_signature(
        &self,
        compact: &parse::Compact<'_>,
        kid: Option<&str>,
        alg: JwsAlgorithm,
    ) -> Result<&keys::Key, JwtRejection> {
        let all = self.keys.keys();
        let key = match kid {
            Some(kid) => {
                let mut named = all
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Err(JwtRejection::UnknownKey);
                }
                let mut fitting = named.filter(|k| k.fits(alg)).peekable();
                if fitting.peek().is_none() {
                    return Err(JwtRejection::KeyTypeMismatch);
                }
                // Several fitting keys under one kid (rare, but seen during rotations):
                // any of them may verify.
                return fitting
                    .find(|k| self.verifies(k, alg, compact))
                    .ok_or(JwtRejection::BadSignature);
            }
            None => {
                let mut fitting = all.iter().filter(|k| k.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(only), None) => only,
                    _ => return Err(JwtRejection::UnknownKey),
                }
            }
        };
        if self.verifies(key, alg, compact) {
            Ok(key)
        } else {
            Err(JwtRejection::BadSignature)
        }
    }

    fn verifies(&self, key: &keys::Key, alg: JwsAlgorithm, compact: &parse::Compact<'_>) -> bool {
        if compact.signature.is_empty() {
            return false;
        }
        match (self.provider.verifier_factory)(&alg.to_jsonwebtoken(), &key.decoding) {
            Ok(verifier) => verifier
                .verify(compact.signing_input, &compact.signature)
                .is_ok(),
            Err(_) => false,
        }
    }
}

impl fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtValidator")
            .field("config", &self.config)
            .field("keys", &self.keys)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<JwtValidator>();
        check::<KeySet>();
        check::<ValidatedToken>();
        check::<JwtRejection>();
    }

    #[test]
    fn algorithm_names_round_trip() {
        for &alg in JwsAlgorithm::ALL {
            assert_eq!(JwsAlgorithm::from_name(alg.name()), Some(alg));
        }
        assert_eq!(JwsAlgorithm::from_name("none"), None);
        assert_eq!(JwsAlgorithm::from_name("rs256"), None);
    }

    #[test]
    fn only_hs_algorithms_are_hmac() {
        let hmac: Vec<_> = JwsAlgorithm::ALL
            .iter()
            .copied()
            .filter(|a| a.is_hmac())
            .collect();
        assert_eq!(
            hmac,
            [
                JwsAlgorithm::HS256,
                JwsAlgorithm::HS384,
                JwsAlgorithm::HS512
            ]
        );
        assert_eq!(JwsAlgorithm::EdDSA.to_string(), "EdDSA");
    }

    #[test]
    fn rejection_failure_kinds() {
        assert_eq!(
            JwtRejection::Expired.failure_kind(),
            sasl_core::FailureKind::Expired
        );
        assert_eq!(
            JwtRejection::BadSignature.failure_kind(),
            sasl_core::FailureKind::InvalidCredentials
        );
        assert_eq!(JwtRejection::Expired.detail(), "token expired");
        assert_eq!(
            JwtRejection::MissingClaim("jti".into()).to_string(),
            "required claim missing: jti"
        );
    }
}
