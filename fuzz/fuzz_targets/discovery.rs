//! Discovery documents a mail client fetches before it has any token: Mozilla
//! autoconfig XML, RFC 8414 / OpenID Connect metadata checked against the issuer asked
//! for, the `openid-configuration` URL of an OAUTHBEARER failure, and issuer strings.
//! Input: a selector byte (bits 0-1 pick the parser, bits 2-3 the `Trust`), then the
//! document or string. Beyond "no panic": whatever is accepted obeys the trust it was
//! read with. Every endpoint, token and authorization URL passes `check_endpoint`
//! under that trust, metadata names exactly the expected issuer, an issuer parses back
//! to itself, and an `oauth_servers` entry always uses TLS.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_oauthbearer::discovery::{
    Autoconfig, DiscoveryTarget, Issuer, OAuth2Issuer, Trust, check_endpoint,
};

const EXPECTED_ISSUER: &str = "https://idp.example.org/tenant";

fn endpoint_ok(url: &str, trust: Trust) {
    assert!(
        check_endpoint(url, "fuzz", trust).is_ok(),
        "{url:?} accepted under {trust:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let trust = match (selector >> 2) & 3 {
        0 => Trust::HttpsOnly,
        1 => Trust::AllowHttpLoopback,
        _ => Trust::AllowHttp,
    };
    match selector & 3 {
        0 => {
            let Ok(config) = Autoconfig::parse_with(body, "alice@example.org", trust) else {
                return;
            };
            for server in config.servers() {
                assert!(!server.hostname().is_empty());
            }
            for server in config.oauth_servers() {
                assert!(server.socket_type().is_tls() && server.supports_oauth2());
            }
            if let Some(oauth) = config.oauth2() {
                if let OAuth2Issuer::Url(issuer) = oauth.issuer() {
                    assert_eq!(oauth.issuer_url(), Some(issuer));
                    let again = Issuer::parse_with(issuer.as_str(), trust);
                    assert_eq!(again.as_ref().ok(), Some(issuer));
                }
                for url in [oauth.auth_url(), oauth.token_url()].into_iter().flatten() {
                    endpoint_ok(url, trust);
                }
            }
        }
        1 => {
            let Ok(target) = DiscoveryTarget::from_issuer_with(EXPECTED_ISSUER, trust) else {
                panic!("the fixed issuer is valid");
            };
            let Ok(metadata) = target.verify(body) else {
                return;
            };
            assert_eq!(metadata.issuer(), EXPECTED_ISSUER);
            let endpoints = [
                metadata.authorization_endpoint(),
                metadata.token_endpoint(),
                metadata.registration_endpoint(),
                metadata.jwks_uri(),
                metadata.revocation_endpoint(),
                metadata.userinfo_endpoint(),
                metadata.device_authorization_endpoint(),
            ];
            for url in endpoints.into_iter().flatten() {
                endpoint_ok(url, trust);
            }
        }
        2 => {
            let Ok(url) = std::str::from_utf8(body) else {
                return;
            };
            let Ok(target) = DiscoveryTarget::from_openid_configuration_with(url, trust) else {
                return;
            };
            assert_eq!(target.urls(), [url.to_owned()]);
            endpoint_ok(target.url(), trust);
            // The URL is the issuer's in one of the two forms (OIDC's suffix, RFC 8414's
            // infix). RFC 8414 drops an issuer's terminating `/`s before the infix, so the
            // URL's terminating `/`s are the issuer's.
            let issuer = target.issuer();
            let infix = issuer.well_known_url("openid-configuration");
            let slashes = |s: &str| s.len() - s.trim_end_matches('/').len();
            assert!(
                url == issuer.oidc_url()
                    || (url.trim_end_matches('/') == infix.trim_end_matches('/')
                        && slashes(url) == slashes(issuer.as_str())),
                "{url:?} is no openid-configuration URL of {issuer:?}"
            );
            let again = Issuer::parse_with(target.expected_issuer(), trust);
            assert_eq!(again.as_ref().ok(), Some(target.issuer()));
        }
        _ => {
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            let Ok(issuer) = Issuer::parse_with(text, trust) else {
                return;
            };
            assert_eq!(issuer.as_str(), text);
            for url in issuer.metadata_urls() {
                endpoint_ok(&url, trust);
            }
        }
    }
});
