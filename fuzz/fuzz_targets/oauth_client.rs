//! The OAuth client's parsers fed arbitrary answers: token, error, device
//! authorization, registration and device-polling bodies under a chosen HTTP status,
//! and redirects. Never panic; what parses keeps the documented guarantees, and a
//! redirect never yields a code for another state.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::UnixTime;
use sasl_oauthbearer::authorization::{
    ClientRegistration, DeviceAuthorization, DevicePolling, MAX_POLL_INTERVAL, OAuthError,
    PollOutcome, RedirectCheck, RegistrationRequest, TokenResponse, parse_redirect,
};
use sasl_oauthbearer::discovery::Trust;

const NOW: UnixTime = UnixTime::from_secs(1_767_225_600);
const DEVICE: &[u8] = br#"{"device_code":"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","expires_in":1800}"#;

fn check_token(t: &TokenResponse) {
    assert!(!t.access_token().is_empty());
    assert!(t.access_token().bytes().all(|b| (0x20..=0x7e).contains(&b)));
    assert!(t.token_type().eq_ignore_ascii_case("bearer"));
    assert!(t.expires_at().is_none_or(|at| at >= NOW));
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let status = [200u16, 201, 400, 401, 500, 302][usize::from(selector >> 5) % 6];
    match selector & 7 {
        0 => {
            if let Ok(t) = TokenResponse::parse(status, rest, NOW) {
                assert_eq!(status, 200);
                check_token(&t);
            }
        }
        1 => {
            if let Ok(e) = OAuthError::parse(rest) {
                assert!(!e.code().as_str().is_empty());
                assert!(e.description().is_none_or(|d| {
                    d.len() <= 203 && d.bytes().all(|b| (0x20..=0x7e).contains(&b))
                }));
            }
        }
        2 => {
            if let Ok(d) = DeviceAuthorization::parse(status, rest, NOW, Trust::HttpsOnly) {
                assert!(
                    d.verification_uri()
                        .get(..8)
                        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
                );
                assert!(d.interval().as_secs() >= 1);
                assert!(d.expires_at() >= NOW);
            }
        }
        3 => {
            let request = RegistrationRequest::native_public(
                "fuzz",
                vec!["http://127.0.0.1/callback".to_owned()],
            );
            if let Ok(r) = ClientRegistration::parse(status, rest, &request) {
                assert!(status == 200 || status == 201);
                assert!(!r.client_id().is_empty());
                let method = r.token_endpoint_auth_method();
                assert!(method == "none" || r.client_secret().is_some());
                assert_eq!(r.credentials().auth_method(), method);
            }
        }
        4 => {
            let Ok(device) = DeviceAuthorization::parse(200, DEVICE, NOW, Trust::HttpsOnly) else {
                panic!("the RFC 8628 example must parse");
            };
            let mut polling = DevicePolling::new(&device);
            let before = polling.interval();
            match polling.on_response(status, rest, NOW) {
                Ok(PollOutcome::Token(t)) => check_token(&t),
                Ok(PollOutcome::Wait(d)) => {
                    assert!(d == before || d == before + std::time::Duration::from_secs(5));
                    assert!(d <= MAX_POLL_INTERVAL);
                }
                Err(_) => {}
            }
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let check = RedirectCheck {
                state: "st4te",
                issuer: Some("https://as.example"),
                require_iss: selector & 8 != 0,
            };
            if let Ok(code) = parse_redirect(&text, &check) {
                assert!(!code.as_str().is_empty());
                // The same redirect never passes for another state.
                let other = RedirectCheck {
                    state: "0ther",
                    ..check
                };
                assert!(parse_redirect(&text, &other).is_err());
            }
        }
    }
});
