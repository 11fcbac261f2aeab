//! Bearer tokens for the demo: an ES256 signing key, its JWKS, and JWTs minted with it.
//!
//! The demo's identity provider in a few lines: ring signs, the server's
//! `sasl_oauthbearer::jwt::JwtValidator` checks (an implementation that shares no code
//! with this one).

use crate::failure::Failure;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

/// An ES256 signing key with its key id.
pub(crate) struct SigningKey {
    pair: EcdsaKeyPair,
    kid: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// What a minted token claims.
#[derive(Debug, Clone)]
pub(crate) struct Claims<'a> {
    /// `iss`.
    pub(crate) issuer: &'a str,
    /// `aud`.
    pub(crate) audience: &'a str,
    /// `sub`, the identity.
    pub(crate) subject: &'a str,
    /// `iat` (seconds since the epoch); `exp` is an hour later.
    pub(crate) issued_at: u64,
}

impl SigningKey {
    /// A fresh P-256 key named `kid`.
    pub(crate) fn generate(kid: &str) -> Result<Self, Failure> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| Failure::error("generating the token signing key failed"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| Failure::error("loading the token signing key failed"))?;
        Ok(SigningKey {
            pair,
            kid: kid.to_owned(),
            rng,
        })
    }

    /// The public key as a JWKS document (RFC 7517, one `EC` key).
    pub(crate) fn jwks(&self) -> Result<String, Failure> {
        // An uncompressed P-256 point: 0x04, then 32 bytes of x and 32 of y.
        let point = self.pair.public_key().as_ref();
        let (x, y) = match point {
            [0x04, rest @ ..] if rest.len() == 64 => rest.split_at(32),
            _ => return Err(Failure::error("unexpected P-256 public key encoding")),
        };
        let jwks = serde_json::json!({
            "keys": [{
                "kty": "EC",
                "crv": "P-256",
                "use": "sig",
                "alg": "ES256",
                "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(x),
                "y": URL_SAFE_NO_PAD.encode(y),
            }]
        });
        Ok(jwks.to_string())
    }

    /// A signed JWT (RFC 7519, JWS compact serialization) with `claims`.
    pub(crate) fn mint(&self, claims: &Claims<'_>) -> Result<String, Failure> {
        let header = serde_json::json!({ "alg": "ES256", "typ": "JWT", "kid": self.kid });
        let payload = serde_json::json!({
            "iss": claims.issuer,
            "aud": claims.audience,
            "sub": claims.subject,
            "iat": claims.issued_at,
            "nbf": claims.issued_at,
            "exp": claims.issued_at.saturating_add(3600),
        });
        let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload.to_string(), &mut token);
        let signature = self
            .pair
            .sign(&self.rng, token.as_bytes())
            .map_err(|_| Failure::error("signing the token failed"))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::{Claims, SigningKey};
    use sasl_core::UnixTime;
    use sasl_oauthbearer::{JwsAlgorithm, JwtConfig, JwtValidator};

    #[test]
    fn minted_tokens_pass_the_validator_and_other_keys_do_not()
    -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::generate("demo").map_err(|f| f.to_string())?;
        let forger = SigningKey::generate("demo").map_err(|f| f.to_string())?;
        let claims = Claims {
            issuer: "https://issuer.test",
            audience: "mail",
            subject: "alice",
            issued_at: 1_700_000_000,
        };
        let config = JwtConfig::new([JwsAlgorithm::ES256], "https://issuer.test", ["mail"]);
        let validator = JwtValidator::new(&key.jwks().map_err(|f| f.to_string())?, config)?;
        let now = UnixTime::from_secs(1_700_000_100);
        let valid = validator.validate(&key.mint(&claims).map_err(|f| f.to_string())?, now)?;
        assert_eq!(valid.identity(), "alice");
        let forged = forger.mint(&claims).map_err(|f| f.to_string())?;
        assert!(
            validator.validate(&forged, now).is_err(),
            "a token from another key passed"
        );
        Ok(())
    }
}
