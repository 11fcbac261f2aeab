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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_000_000;

    fn config() -> JwtConfig {
        JwtConfig::new(
            [JwsAlgorithm::RS256],
            "https://issuer.example",
            ["imap.example.com", "smtp.example.com"],
        )
        .with_leeway(60)
    }

    /// Valid claims at `NOW`, with `extra` members added or replaced.
    fn claims(extra: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://issuer.example",
            "aud": "imap.example.com",
            "sub": "alice",
            "exp": NOW + 3600,
            "iat": NOW - 10,
        });
        if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
            base.extend(extra);
        }
        match base {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn check(
        claims: Map<String, Value>,
        config: &JwtConfig,
    ) -> Result<ValidatedToken, JwtRejection> {
        check_claims(
            claims,
            config,
            UnixTime::from_secs(NOW),
            JwsAlgorithm::RS256,
            Some("k1".to_owned()),
        )
    }

    fn without(name: &str) -> Map<String, Value> {
        let mut c = claims(json!({}));
        c.remove(name);
        c
    }

    #[test]
    fn valid_claims_yield_the_token() {
        let valid = check(claims(json!({})), &config()).expect("valid");
        assert_eq!(valid.identity(), "alice");
        assert_eq!(valid.issuer(), "https://issuer.example");
        assert_eq!(valid.expires_at(), Some(UnixTime::from_secs(NOW + 3600)));
        assert_eq!(valid.key_id(), Some("k1"));
        assert_eq!(valid.algorithm(), JwsAlgorithm::RS256);
    }

    #[test]
    fn exp_edges_with_and_without_leeway() {
        let c = config();
        // Expired from exp + leeway on; valid one second before.
        let at = |exp: f64| claims(json!({ "exp": exp, "iat": 0 }));
        assert_eq!(check(at((NOW - 60) as f64), &c), Err(JwtRejection::Expired));
        assert!(check(at((NOW - 59) as f64), &c).is_ok());
        let strict = config().with_leeway(0);
        assert_eq!(check(at(NOW as f64), &strict), Err(JwtRejection::Expired));
        assert!(check(at((NOW + 1) as f64), &strict).is_ok());
        assert_eq!(
            check(without("exp"), &c),
            Err(JwtRejection::MissingClaim("exp".to_owned()))
        );
        let lax = config().with_require_exp(false);
        assert_eq!(
            check(without("exp"), &lax).map(|v| v.expires_at()),
            Ok(None)
        );
        // exp: null is not a number.
        assert_eq!(
            check(claims(json!({ "exp": null })), &lax),
            Err(JwtRejection::Malformed("exp is not a number"))
        );
    }

    /// A time claim that may not lie in the future: fine up to the leeway (60 s by
    /// default, 0 when strict), refused one second later.
    fn assert_future_edges(claim: &str, refused: JwtRejection) {
        let at = |t: u64| claims(json!({ claim: t }));
        let c = config();
        assert!(check(at(NOW + 60), &c).is_ok());
        assert_eq!(check(at(NOW + 61), &c), Err(refused.clone()));
        let strict = config().with_leeway(0);
        assert!(check(at(NOW), &strict).is_ok());
        assert_eq!(check(at(NOW + 1), &strict), Err(refused));
    }

    #[test]
    fn nbf_edges_with_and_without_leeway() {
        assert_future_edges("nbf", JwtRejection::NotYetValid);
        assert_eq!(
            check(claims(json!({ "nbf": "0" })), &config()),
            Err(JwtRejection::Malformed("nbf is not a number"))
        );
    }

    #[test]
    fn iat_edges_and_max_age() {
        assert_future_edges("iat", JwtRejection::IssuedInFuture);
        let c = config();
        let at = |iat: u64| claims(json!({ "iat": iat }));
        assert_eq!(
            check(claims(json!({ "iat": [] })), &c),
            Err(JwtRejection::Malformed("iat is not a number"))
        );
        // max age 300 + leeway 60: issued 360 s ago is fine, 361 s ago too old.
        let aged = config().with_max_age(300);
        assert!(check(at(NOW - 360), &aged).is_ok());
        assert_eq!(check(at(NOW - 361), &aged), Err(JwtRejection::TooOld));
        let aged_strict = config().with_leeway(0).with_max_age(300);
        assert!(check(at(NOW - 300), &aged_strict).is_ok());
        assert_eq!(
            check(at(NOW - 301), &aged_strict),
            Err(JwtRejection::TooOld)
        );
        assert_eq!(
            check(without("iat"), &aged),
            Err(JwtRejection::MissingClaim("iat".to_owned()))
        );
        // Without a maximum age, iat is optional and age does not matter.
        assert!(check(without("iat"), &c).is_ok());
        assert!(check(at(0), &c).is_ok());
    }

    #[test]
    fn issuer_must_match_exactly() {
        let c = config();
        for iss in [
            json!("https://issuer.example/"),
            json!("https://ISSUER.example"),
            json!(1),
        ] {
            assert_eq!(
                check(claims(json!({ "iss": iss })), &c),
                Err(JwtRejection::WrongIssuer),
                "{iss}"
            );
        }
        for missing in [without("iss"), claims(json!({ "iss": null }))] {
            assert_eq!(
                check(missing, &c),
                Err(JwtRejection::MissingClaim("iss".to_owned()))
            );
        }
    }

    #[test]
    fn audience_string_or_array() {
        let c = config();
        let aud = |aud: Value| check(claims(json!({ "aud": aud })), &c);
        assert!(aud(json!("smtp.example.com")).is_ok());
        assert_eq!(
            aud(json!("other.example")),
            Err(JwtRejection::WrongAudience)
        );
        assert!(aud(json!(["other.example", "imap.example.com"])).is_ok());
        assert!(aud(json!(["imap.example.com", "other.example"])).is_ok());
        // Two of ours, or the same one twice: still ours.
        assert!(aud(json!(["imap.example.com", "smtp.example.com"])).is_ok());
        assert!(aud(json!(["imap.example.com", "imap.example.com"])).is_ok());
        assert_eq!(aud(json!([])), Err(JwtRejection::WrongAudience));
        assert_eq!(aud(json!(["a", "b"])), Err(JwtRejection::WrongAudience));
        let malformed = Err(JwtRejection::Malformed(
            "aud is not a string or string array",
        ));
        assert_eq!(aud(json!(["imap.example.com", 1])), malformed);
        assert_eq!(aud(json!(7)), malformed);
        assert_eq!(
            aud(json!(null)),
            Err(JwtRejection::MissingClaim("aud".to_owned()))
        );
    }

    #[test]
    fn required_claims_must_be_present_and_not_null() {
        let c = config().with_required_claims(["jti", "sid"]);
        assert!(check(claims(json!({ "jti": "x", "sid": 0 })), &c).is_ok());
        assert_eq!(
            check(claims(json!({ "jti": "x" })), &c),
            Err(JwtRejection::MissingClaim("sid".to_owned()))
        );
        assert_eq!(
            check(claims(json!({ "jti": null, "sid": 1 })), &c),
            Err(JwtRejection::MissingClaim("jti".to_owned()))
        );
    }

    #[test]
    fn identity_claim_rules() {
        let c = config();
        let sub =
            |sub: Value| check(claims(json!({ "sub": sub })), &c).map(|v| v.identity().to_owned());
        let longest = "a".repeat(MAX_IDENTITY_LEN);
        assert_eq!(sub(json!(longest)), Ok(longest.clone()));
        for bad in [
            json!(""),
            json!(format!("{longest}a")),
            json!("al\nice"),
            json!("alice\u{7f}"),
            json!("\u{85}alice"),
            json!(1),
            json!(null),
        ] {
            assert_eq!(
                sub(bad.clone()),
                Err(JwtRejection::MissingIdentity),
                "{bad}"
            );
        }
        assert_eq!(
            check(without("sub"), &c),
            Err(JwtRejection::MissingIdentity)
        );
        let email = config().with_identity_claim("email");
        assert_eq!(
            check(claims(json!({ "email": "a@example.com" })), &email)
                .map(|v| v.identity().to_owned()),
            Ok("a@example.com".to_owned())
        );
    }

    #[test]
    fn expiry_is_rounded_down_and_saturates() {
        let lax = config().with_require_exp(false);
        let exp = |exp: Value| {
            check(claims(json!({ "exp": exp, "iat": 0 })), &lax).map(|v| v.expires_at())
        };
        assert_eq!(
            exp(json!((NOW + 10) as f64 + 0.9)),
            Ok(Some(UnixTime::from_secs(NOW + 10)))
        );
        assert_eq!(exp(json!(1e300)), Ok(Some(UnixTime::from_secs(u64::MAX))));
    }

    #[test]
    fn scopes_from_scope_or_scp() {
        let c = config();
        let scopes = |extra: Value| check(claims(extra), &c).map(|v| v.scopes().to_vec());
        assert_eq!(
            scopes(json!({ "scope": " mail.read  mail.send ", "scp": ["x"] })),
            Ok(vec!["mail.read".to_owned(), "mail.send".to_owned()])
        );
        assert_eq!(
            scopes(json!({ "scp": "a b" })),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            scopes(json!({ "scp": ["a", "", 1, "b"] })),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            scopes(json!({ "scope": 1, "scp": ["a"] })),
            Ok(vec!["a".to_owned()])
        );
        assert_eq!(scopes(json!({ "scope": ["a"] })), Ok(Vec::new()));
        let grant = check(claims(json!({ "scope": "a" })), &c)
            .expect("valid")
            .to_grant();
        assert_eq!(grant.subject(), "alice");
        assert_eq!(grant.scopes(), ["a"]);
        assert_eq!(grant.issuer(), Some("https://issuer.example"));
        assert_eq!(grant.expires_at(), Some(UnixTime::from_secs(NOW + 3600)));
    }
}
