//! What a validator accepts.

use super::{Backend, JwsAlgorithm};

/// The default clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// What a [`JwtValidator`](super::JwtValidator) accepts: the algorithms, the issuer,
/// the audiences and the claim rules.
///
/// There is no default allowlist: the caller names the algorithms its identity provider
/// signs with. Defaults for the rest: leeway [`DEFAULT_LEEWAY_SECS`], identity claim
/// `sub`, `exp` required, no maximum age, no extra required claims, the
/// [default backend](Backend::default).
///
/// ```
/// use sasl_oauthbearer::{JwsAlgorithm, JwtConfig};
/// let config = JwtConfig::new(
///     [JwsAlgorithm::RS256, JwsAlgorithm::ES256],
///     "https://login.example.com",
///     ["imap.example.com"],
/// )
/// .with_identity_claim("email")
/// .with_required_claims(["jti"])
/// .with_max_age(3600);
/// assert_eq!(config.identity_claim(), "email");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConfig {
    pub(crate) algorithms: Vec<JwsAlgorithm>,
    pub(crate) issuer: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway_secs: u64,
    pub(crate) required_claims: Vec<String>,
    pub(crate) identity_claim: String,
    pub(crate) max_age_secs: Option<u64>,
    pub(crate) require_exp: bool,
    pub(crate) backend: Backend,
}

impl JwtConfig {
    /// Accepts tokens signed with one of `algorithms`, whose `iss` is exactly `issuer`
    /// and whose `aud` contains one of `audiences`.
    ///
    /// An empty algorithm list, an empty issuer or no audience is refused when the
    /// validator is built ([`JwtConfigError`](super::JwtConfigError)).
    pub fn new(
        algorithms: impl IntoIterator<Item = JwsAlgorithm>,
        issuer: impl Into<String>,
        audiences: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let mut algs: Vec<JwsAlgorithm> = Vec::new();
        for alg in algorithms {
            if !algs.contains(&alg) {
                algs.push(alg);
            }
        }
        Self {
            algorithms: algs,
            issuer: issuer.into(),
            audiences: audiences.into_iter().map(Into::into).collect(),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            required_claims: Vec::new(),
            identity_claim: "sub".to_owned(),
            max_age_secs: None,
            require_exp: true,
            backend: Backend::default(),
        }
    }

    /// Allows `secs` seconds of clock skew on `exp`, `nbf` and `iat`.
    pub fn with_leeway(mut self, secs: u64) -> Self {
        self.leeway_secs = secs;
        self
    }

    /// Claims that must be present (and not `null`), whatever their value.
    pub fn with_required_claims(
        mut self,
        names: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.required_claims = names.into_iter().map(Into::into).collect();
        self
    }

    /// The claim naming the identity the token proves (default `sub`; e.g. `email` or
    /// `preferred_username`). It must be a non-empty string without control characters
    /// of at most [`MAX_IDENTITY_LEN`](super::MAX_IDENTITY_LEN) bytes.
    pub fn with_identity_claim(mut self, name: impl Into<String>) -> Self {
        self.identity_claim = name.into();
        self
    }

    /// Refuses tokens issued more than `secs` seconds (plus the leeway) ago; `iat`
    /// becomes required.
    pub fn with_max_age(mut self, secs: u64) -> Self {
        self.max_age_secs = Some(secs);
        self
    }

    /// Whether `exp` must be present (default `true`).
    pub fn with_require_exp(mut self, require: bool) -> Self {
        self.require_exp = require;
        self
    }

    /// Which signature backend verifies signatures.
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The allowed algorithms.
    pub fn algorithms(&self) -> &[JwsAlgorithm] {
        &self.algorithms
    }

    /// The issuer `iss` must equal.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audiences one of which `aud` must contain.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The clock skew allowed, in seconds.
    pub fn leeway_secs(&self) -> u64 {
        self.leeway_secs
    }

    /// The claims that must be present.
    pub fn required_claims(&self) -> &[String] {
        &self.required_claims
    }

    /// The claim holding the identity.
    pub fn identity_claim(&self) -> &str {
        &self.identity_claim
    }

    /// The maximum age after `iat`, in seconds, if any.
    pub fn max_age_secs(&self) -> Option<u64> {
        self.max_age_secs
    }

    /// Whether `exp` is required.
    pub fn requires_exp(&self) -> bool {
        self.require_exp
    }

    /// The signature backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}
