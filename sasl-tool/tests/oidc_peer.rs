//! Self-test of the OpenID provider peer (`tests/common/oidc.rs`, `tests/oidc/`): the
//! real `oidc-provider` on loopback, discovered and checked with sasl-oauthbearer, a
//! public native client registered dynamically, the authorization-code flow with PKCE
//! and a loopback redirect driven in headless Chromium, the JWT access token checked
//! with `JwtValidator`, refresh-token rotation, revocation, and the device flow.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::oidc::{OidcProvider, ProviderOptions, browser_code_flow, browser_device_flow};
use sasl_core::UnixTime;
use sasl_oauthbearer::discovery::{DiscoveryTarget, Trust};
use sasl_oauthbearer::{JwsAlgorithm, JwtConfig, JwtValidator};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LOGIN: &str = "alice@example.test";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One HTTP/1.1 request over a plain TcpStream (`Connection: close`): status and body.
fn http(method: &str, url: &str, content_type: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
    let (status, _, body) = request(method, url, content_type, body);
    (status, body)
}

/// [`http`], with the response head too.
fn request(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAccept: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let mut body = response[split + 4..].to_vec();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn header(response_head: &str, name: &str) -> Option<String> {
    response_head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// A GET without following redirects: status and the `Location` header.
fn get_location(url: &str) -> (u16, Option<String>) {
    let (status, head, _) = request("GET", url, None, b"");
    (status, header(&head, "location"))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = String::from_utf8_lossy(&body[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

fn json_of(status_body: (u16, Vec<u8>)) -> (u16, Value) {
    let (status, body) = status_body;
    let value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "HTTP {status}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, value)
}

fn post_json(url: &str, body: &Value) -> (u16, Value) {
    json_of(http(
        "POST",
        url,
        Some("application/json"),
        body.to_string().as_bytes(),
    ))
}

fn post_form(url: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    json_of(http(
        "POST",
        url,
        Some("application/x-www-form-urlencoded"),
        form(fields).as_bytes(),
    ))
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The decoded query parameters of `url`.
fn query(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map_or("", |(_, q)| q);
    let q = q.split('#').next().unwrap_or_default();
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn now() -> UnixTime {
    UnixTime::from_secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

/// The decoded JWS header and claims of a compact JWT.
fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut part = || -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap()
    };
    let header = part();
    let claims = part();
    (header, claims)
}

/// A loopback redirect receiver: answers every request with a small HTML page and
/// records the request targets, until dropped.
struct Redirects {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Redirects {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stop2.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut byte = [0_u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 16384 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                if let Some(target) = head.split(' ').nth(1) {
                    seen2.lock().unwrap().push(target.to_owned());
                }
                let page =
                    "<!DOCTYPE html><title>Signed in</title><p>You can close this window.</p>";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
            }
        });
        Self { port, seen, stop }
    }
}

impl Drop for Redirects {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn pkce_pair() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0_u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).unwrap();
    bytes
}

fn authorization_url(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    state: &str,
    challenge: &str,
) -> String {
    format!(
        "{endpoint}?{}",
        form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
    )
}

#[test]
fn provider_discovery_registration_code_refresh_device() {
    let options = ProviderOptions::default();
    let Some(provider) = OidcProvider::start(&options) else {
        return;
    };
    let issuer = provider.issuer().to_owned();
    assert_eq!(issuer, format!("http://127.0.0.1:{}", provider.port()));

    // Discovery, checked by sasl-oauthbearer.
    let target = DiscoveryTarget::from_issuer_with(&issuer, Trust::AllowHttpLoopback).unwrap();
    let (status, document) = http(
        "GET",
        &format!("{issuer}/.well-known/openid-configuration"),
        None,
        b"",
    );
    assert_eq!(status, 200);
    let metadata = target.verify(&document).unwrap();
    assert_eq!(metadata.issuer(), issuer);
    let registration = metadata
        .registration_endpoint()
        .expect("registration_endpoint")
        .to_owned();
    let device_endpoint = metadata
        .device_authorization_endpoint()
        .expect("device_authorization_endpoint")
        .to_owned();
    let revocation = metadata
        .revocation_endpoint()
        .expect("revocation_endpoint")
        .to_owned();
    let authorize = metadata.authorization_endpoint().unwrap().to_owned();
    let token_endpoint = metadata.token_endpoint().unwrap().to_owned();
    assert!(metadata.supports_pkce_s256());
    assert!(metadata.supports_grant_type("refresh_token"));
    assert!(metadata.supports_grant_type(DEVICE_GRANT));
    assert!(metadata.supports_token_endpoint_auth_method("none"));
    let document: Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );

    // The JWKS file is a usable key set for the access tokens.
    let jwks = std::fs::read_to_string(provider.jwks_path()).unwrap();
    let validator = JwtValidator::new(
        &jwks,
        JwtConfig::new(
            [JwsAlgorithm::ES256],
            issuer.clone(),
            [options.audience.clone()],
        ),
    )
    .unwrap();

    // Dynamic registration of a public native client with a loopback redirect.
    let redirects = Redirects::start();
    let redirect_uri = format!("http://127.0.0.1:{}/cb", redirects.port);
    let (status, client) = post_json(
        &registration,
        &json!({
            "application_type": "native",
            "client_name": "sasl oauth self-test",
            "token_endpoint_auth_method": "none",
            "redirect_uris": [redirect_uri],
            "response_types": ["code"],
            "grant_types": ["authorization_code", "refresh_token", DEVICE_GRANT],
        }),
    );
    assert_eq!(status, 201, "{client}");
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    assert!(client.get("client_secret").is_none(), "{client}");

    // The authorization-code flow with PKCE, in the browser.
    let (verifier, challenge) = pkce_pair();
    let state = URL_SAFE_NO_PAD.encode(&rand_bytes()[..12]);
    let url = authorization_url(
        &authorize,
        &client_id,
        &redirect_uri,
        provider.scope(),
        &state,
        &challenge,
    );
    let until = format!("http://127.0.0.1:{}/", redirects.port);
    let final_url = browser_code_flow(&url, LOGIN, &until, false)
        .unwrap_or_else(|e| panic!("{e}\nprovider stderr:\n{}", provider.stderr()));
    assert!(final_url.starts_with(&redirect_uri), "{final_url}");
    let params = query(&final_url);
    assert_eq!(param(&params, "state"), Some(state.as_str()), "{final_url}");
    assert_eq!(param(&params, "iss"), Some(issuer.as_str()), "{final_url}");
    let code = param(&params, "code").expect("a code").to_owned();
    let seen = redirects.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|t| t.starts_with("/cb?") && t.contains("code=")),
        "{seen:?}"
    );

    // The code for tokens: a JWT access token for the audience and a refresh token.
    let (status, tokens) = post_form(
        &token_endpoint,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", &client_id),
            ("code_verifier", &verifier),
        ],
    );
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], options.access_ttl);
    let access = tokens["access_token"].as_str().unwrap();
    let valid = validator.validate(access, now()).unwrap();
    assert_eq!(valid.identity(), LOGIN);
    assert_eq!(valid.issuer(), issuer);
    assert_eq!(valid.scopes(), ["mail"]);
    let (header, claims) = jwt_parts(access);
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert_eq!(header["alg"], "ES256", "{header}");
    assert_eq!(claims["aud"], options.audience.as_str(), "{claims}");
    assert_eq!(claims["client_id"], client_id.as_str(), "{claims}");
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(lifetime, options.access_ttl);
    let (_, id_claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_claims["email"], LOGIN);
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();

    // Refresh: a new access token, the refresh token rotated, the old one refused.
    let refresh_with = |token: &str| {
        post_form(
            &token_endpoint,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", token),
                ("client_id", &client_id),
            ],
        )
    };
    let (status, refreshed) = refresh_with(&refresh);
    assert_eq!(status, 200, "{refreshed}");
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        validator.validate(new_access, now()).unwrap().identity(),
        LOGIN
    );
    let new_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh, "refresh token not rotated");
    let (status, refused) = refresh_with(&refresh);
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "invalid_grant", "{refused}");

    // The device flow, then revocation (RFC 7009) of its refresh token.
    let (status, device) = post_form(
        &device_endpoint,
        &[("client_id", &client_id), ("scope", provider.scope())],
    );
    assert_eq!(status, 200, "{device}");
    let device_code = device["device_code"].as_str().unwrap();
    let complete = device["verification_uri_complete"].as_str().unwrap();
    let poll = || {
        post_form(
            &token_endpoint,
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", device_code),
                ("client_id", &client_id),
            ],
        )
    };
    let (status, pending) = poll();
    assert_eq!(status, 400, "{pending}");
    assert_eq!(pending["error"], "authorization_pending", "{pending}");
    browser_device_flow(complete, LOGIN)
        .unwrap_or_else(|e| panic!("{e}\nprovider stderr:\n{}", provider.stderr()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let device_tokens = loop {
        let (status, answer) = poll();
        if status == 200 {
            break answer;
        }
        assert!(
            matches!(
                answer["error"].as_str(),
                Some("authorization_pending" | "slow_down")
            ),
            "{answer}"
        );
        assert!(
            Instant::now() < deadline,
            "device flow not approved: {answer}"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    let device_access = device_tokens["access_token"].as_str().unwrap();
    assert_eq!(
        validator.validate(device_access, now()).unwrap().identity(),
        LOGIN
    );
    let device_refresh = device_tokens["refresh_token"]
        .as_str()
        .expect("a refresh token from the device flow");
    let (status, _) = http(
        "POST",
        &revocation,
        Some("application/x-www-form-urlencoded"),
        form(&[
            ("token", device_refresh),
            ("token_type_hint", "refresh_token"),
            ("client_id", &client_id),
        ])
        .as_bytes(),
    );
    assert_eq!(status, 200);
    let (status, revoked) = refresh_with(device_refresh);
    assert_eq!(status, 400, "{revoked}");
    assert_eq!(revoked["error"], "invalid_grant", "{revoked}");
}

/// Facts `sasl oauth` may rely on, without a browser: a native client's loopback
/// redirect URI matches any port (RFC 8252 section 7.3), also when registered without
/// one; PKCE is required; and `--no-registration` closes registration.
#[test]
fn provider_loopback_redirects_any_port_and_requires_pkce() {
    let Some(provider) = OidcProvider::start(&ProviderOptions::default()) else {
        return;
    };
    let issuer = provider.issuer();
    let (_, document) = json_of(http(
        "GET",
        &format!("{issuer}/.well-known/openid-configuration"),
        None,
        b"",
    ));
    let registration = document["registration_endpoint"].as_str().unwrap();
    let authorize = document["authorization_endpoint"].as_str().unwrap();
    let register = |redirect: &str| -> String {
        let (status, client) = post_json(
            registration,
            &json!({
                "application_type": "native",
                "token_endpoint_auth_method": "none",
                "redirect_uris": [redirect],
                "response_types": ["code"],
                "grant_types": ["authorization_code", "refresh_token"],
            }),
        );
        assert_eq!(status, 201, "{redirect}: {client}");
        client["client_id"].as_str().unwrap().to_owned()
    };
    let (_, challenge) = pkce_pair();
    // 303 to the login interaction: the redirect URI was accepted.
    let accepted = |client_id: &str, redirect: &str| {
        let url = authorization_url(authorize, client_id, redirect, "openid", "s", &challenge);
        let (status, location) = get_location(&url);
        status == 303 && location.is_some_and(|l| l.starts_with("/interaction/"))
    };
    let with_port = register("http://127.0.0.1:4711/cb");
    assert!(accepted(&with_port, "http://127.0.0.1:4711/cb"));
    assert!(accepted(&with_port, "http://127.0.0.1:4712/cb"));
    assert!(!accepted(&with_port, "http://127.0.0.1:4711/other"));
    let without_port = register("http://127.0.0.1/cb");
    assert!(accepted(&without_port, "http://127.0.0.1:5555/cb"));
    assert!(accepted(&without_port, "http://127.0.0.1/cb"));

    // No PKCE: the error goes back to the (valid) redirect URI.
    let url = format!(
        "{authorize}?{}",
        form(&[
            ("response_type", "code"),
            ("client_id", &without_port),
            ("redirect_uri", "http://127.0.0.1:5555/cb"),
            ("scope", "openid"),
            ("state", "s"),
        ])
    );
    let (status, location) = get_location(&url);
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert_eq!(
        param(&query(&location), "error"),
        Some("invalid_request"),
        "{location}"
    );

    drop(provider);
    let closed = OidcProvider::start(&ProviderOptions {
        registration: false,
        ..ProviderOptions::default()
    })
    .unwrap();
    let (_, document) = json_of(http(
        "GET",
        &format!("{}/.well-known/openid-configuration", closed.issuer()),
        None,
        b"",
    ));
    assert!(
        document.get("registration_endpoint").is_none(),
        "{document}"
    );
}
