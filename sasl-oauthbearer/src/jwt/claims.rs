//! The claim rules, and what a valid token yields.

use sasl_core::{TokenGrant, UnixTime};
use serde_json::{Map, Value};

use super::config::JwtConfig;
use super::error::JwtRejection;
use super::{JwsAlgorithm, MAX_IDENTITY_LEN};

/// A token that passed every check: its identity, issuer, expiry, scopes and claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedToken {
    identity: String,
    issuer: String,
    expires_at: Option<UnixTime>,
    scopes: Vec<String>,
    claims: Map<String, Value>,
    algorithm: JwsAlgorithm,
    key_id: Option<String>,
}

impl ValidatedToken {
    /// The identity the token proves: the value of the configured identity claim
    /// (`sub` unless configured otherwise).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The token's issuer (`iss`, equal to the configured one).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// When the token expires (`exp`, rounded down to whole seconds; negative values
    /// become the epoch), if it has an `exp`.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.expires_at
    }

    /// The scopes: `scope` split at spaces (RFC 8693 §4.2, RFC 9068), or else `scp` as
    /// an array of strings or a space-separated string. Values of other types are
    /// ignored, leaving no scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// All claims, as the token carried them.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The algorithm the token was signed with.
    pub fn algorithm(&self) -> JwsAlgorithm {
        self.algorithm
    }

    /// The `kid` of the key that verified the signature (`None` if that key has none).
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// The grant to answer a [`ValidateToken`](sasl_core::ValidateToken) request with:
    /// the identity as subject, with expiry, scopes and issuer.
    pub fn to_grant(&self) -> TokenGrant {
        let grant = TokenGrant::new(self.identity.clone())
            .with_scopes(self.scopes.iter().cloned())
            .with_issuer(self.issuer.clone());
        match self.expires_at {
            Some(at) => grant.with_expiry(at),
            None => grant,
        }
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number, integer or not. Absent is `None`; any
/// other JSON type (including `null`) is malformed.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
    not_a_number: &'static str,
) -> Result<Option<f64>, JwtRejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(Some)
            .ok_or(JwtRejection::Malformed(not_a_number)),
        Some(_) => Err(JwtRejection::Malformed(not_a_number)),
    }
}

fn present(claims: &Map<String, Value>, name: &str) -> bool {
    claims.get(name).is_some_and(|v| !v.is_null())
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn scopes_of(claims: &Map<String, Value>) -> Vec<String> {
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => split_scopes(s),
        (_, Some(Value::String(s))) => split_scopes(s),
        (_, Some(Value::Array(list))) => list
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the claims of a token whose signature verified, in the documented order.
pub(crate) fn check_claims(
    claims: Map<String, Value>,
    config: &JwtConfig,
    now: UnixTime,
    algorithm: JwsAlgorithm,
    key_id: Option<String>,
) -> Result<ValidatedToken, JwtRejection> {
    // f64 holds every whole second up to 2^53 exactly, far beyond any real date.
    let now = now.as_secs() as f64;
    let leeway = config.leeway_secs as f64;

    let exp = numeric_date(&claims, "exp", "exp is not a number")?;
    match exp {
        None if config.require_exp => return Err(JwtRejection::MissingClaim("exp".to_owned())),
        Some(exp) if now >= exp + leeway => return Err(JwtRejection::Expired),
        _ => {}
    }
    match numeric_date(&claims, "nbf", "nbf is not a number")? {
        Some(nbf) if now + leeway < nbf => return Err(JwtRejection::NotYetValid),
        _ => {}
    }
    let iat = numeric_date(&claims, "iat", "iat is not a number")?;
    match iat {
        Some(iat) if iat > now + leeway => return Err(JwtRejection::IssuedInFuture),
        _ => {}
    }
    if let Some(max_age) = config.max_age_secs {
        let Some(iat) = iat else {
            return Err(JwtRejection::MissingClaim("iat".to_owned()));
        };
        if now > iat + max_age as f64 + leeway {
            return Err(JwtRejection::TooOld);
        }
    }

    let issuer = match claims.get("iss") {
        None | Some(Value::Null) => return Err(JwtRejection::MissingClaim("iss".to_owned())),
        Some(Value::String(iss)) if *iss == config.issuer => iss.clone(),
        Some(_) => return Err(JwtRejection::WrongIssuer),
    };

    let ours = |aud: &str| config.audiences.iter().any(|a| a == aud);
    let audience_ok = match claims.get("aud") {
        None | Some(Value::Null) => return Err(JwtRejection::MissingClaim("aud".to_owned())),
        Some(Value::String(aud)) => ours(aud),
        Some(Value::Array(list)) => {
            let mut found = false;
            for aud in list {
                let Value::String(aud) = aud else {
                    return Err(JwtRejection::Malformed(
                        "aud is not a string or string array",
                    ));
                };
                found |= ours(aud);
            }
            found
        }
        Some(_) => {
            return Err(JwtRejection::Malformed(
                "aud is not a string or string array",
            ));
        }
    };
    if !audience_ok {
        return Err(JwtRejection::WrongAudience);
    }

    if let Some(name) = config
        .required_claims
        .iter()
        .find(|name| !present(&claims, name))
    {
        return Err(JwtRejection::MissingClaim(name.clone()));
    }

    let identity = match claims.get(&config.identity_claim) {
        Some(Value::String(id))
            if !id.is_empty()
                && id.len() <= MAX_IDENTITY_LEN
                && !id.chars().any(char::is_control) =>
        {
            id.clone()
        }
        _ => return Err(JwtRejection::MissingIdentity),
    };

    let expires_at = exp.map(|exp| {
        // `as` saturates: negative becomes 0, huge becomes u64::MAX.
        UnixTime::from_secs(exp.floor() as u64)
    });
    let scopes = scopes_of(&claims);
    Ok(ValidatedToken {
        identity,
        issuer,
        expires_at,
        scopes,
        claims,
        algorithm,
        key_id,
    })
}
