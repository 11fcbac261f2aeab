//! The user's consent, once, by one of three grant flows:
//!
//! - **browser**: the authorization-code grant with PKCE (RFC 7636) and a redirect to
//!   a listener on 127.0.0.1 (RFC 8252 §7.3); the URL is printed and, when a desktop
//!   is there, opened;
//! - **device**: the device authorization grant (RFC 8628) for headless machines: a
//!   code to enter on another device, then polling;
//! - **paste**: the code grant for a browser on another machine: the user pastes the
//!   address the browser ended on (the redirect, which failed there).
//!
//! `state` and PKCE are checked for the code grants, and the issuer too (RFC 9207
//! `iss`, required when the metadata says the provider sends it).

use super::http::Http;
use crate::failure::Failure;
use crate::secrets;
use sasl_core::UnixTime;
use sasl_oauthbearer::authorization::{
    self, AuthorizationError, AuthorizationParams, ClientCredentials, DeviceAuthorization,
    DevicePolling, PkceVerifier, PollOutcome, RedirectCheck, TokenResponse,
};
use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The path of the loopback redirect URI.
pub(crate) const REDIRECT_PATH: &str = "/oauth/callback";

/// The redirect URI for a listener on `port`.
pub(crate) fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{REDIRECT_PATH}")
}

/// Everything a code grant needs to know about the provider and the client.
pub(crate) struct CodeGrant<'a> {
    /// The authorization endpoint.
    pub(crate) authorization_endpoint: &'a str,
    /// The token endpoint.
    pub(crate) token_endpoint: &'a str,
    /// The client.
    pub(crate) client: &'a ClientCredentials,
    /// The scopes asked for.
    pub(crate) scopes: &'a [String],
    /// The issuer whose metadata was verified, if any.
    pub(crate) issuer: Option<&'a str>,
    /// Whether the provider sends `iss` in authorization responses.
    pub(crate) require_iss: bool,
    /// The account's address (sent as `login_hint`).
    pub(crate) address: &'a str,
    /// How long to wait for the user.
    pub(crate) timeout: Duration,
}

/// How the user is sent to the provider.
pub(crate) enum Browser {
    /// Print the URL and try to open a browser.
    Open,
    /// Print the URL only.
    PrintOnly,
}

/// The browser flow: listen on `listener`, send the user to the provider, take the
/// redirect, exchange the code.
pub(crate) fn browser_flow(
    grant: &CodeGrant<'_>,
    listener: TcpListener,
    redirect_uri: &str,
    browser: Browser,
    http: &Http,
) -> Result<TokenResponse, Failure> {
    let session = Session::new(grant, redirect_uri, http)?;
    eprintln!(
        "Open this address in a browser to sign in and allow access:\n\n  {}\n",
        session.url
    );
    if matches!(browser, Browser::Open) {
        open_browser(&session.url);
    }
    eprintln!("Waiting for the browser at {redirect_uri} ...");
    let deadline = Instant::now() + grant.timeout;
    loop {
        let (target, mut stream) = wait_for_redirect(&listener, deadline)?;
        match session.check(&target, grant) {
            Ok(code) => {
                respond(
                    &mut stream,
                    "200 OK",
                    "Signed in. You can close this window and go back to the terminal.",
                );
                return session.exchange(&code, grant, http);
            }
            // The provider answered this session (the state matched) with an error:
            // that is the answer.
            Err((failure, true)) => {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "Sign-in failed. The terminal says why.",
                );
                return Err(failure);
            }
            // Anything else that reaches the port (another local program, a stale
            // tab) is not this session's answer: refuse it and keep waiting.
            Err((failure, false)) => {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "This is not the answer sasl is waiting for.",
                );
                eprintln!("ignored a request to {redirect_uri}: {}", failure.message());
            }
        }
    }
}

/// The paste flow: the user signs in anywhere and pastes the address the browser
/// ended on.
///
/// The listener stays bound meanwhile, so no other local program can take the port and
/// show the browser a page of its own; if the browser does reach it (same machine), it
/// gets a page saying to paste the address.
pub(crate) fn paste_flow(
    grant: &CodeGrant<'_>,
    listener: TcpListener,
    redirect_uri: &str,
    http: &Http,
) -> Result<TokenResponse, Failure> {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if read_request_target(&mut stream, Instant::now() + REQUEST_BUDGET).is_ok() {
                respond(
                    &mut stream,
                    "200 OK",
                    "Copy the address of this page into the terminal where sasl is waiting.",
                );
            }
        }
    });
    let session = Session::new(grant, redirect_uri, http)?;
    eprintln!(
        "Open this address in a browser (on any machine) to sign in and allow access:\n\n  {}\n",
        session.url
    );
    eprintln!(
        "The browser then ends on an address starting with {redirect_uri} that does not load.\nPaste that whole address here and press Enter:"
    );
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(16 * 1024)
        .read_line(&mut line)
        .map_err(|e| Failure::error(format!("reading the pasted address: {e}")))?;
    let pasted = line.trim();
    if pasted.is_empty() {
        return Err(Failure::error("nothing was pasted"));
    }
    let code = session
        .check(pasted, grant)
        .map_err(|(failure, _)| failure)?;
    session.exchange(&code, grant, http)
}

/// One code grant: PKCE verifier, state, and the authorization URL.
struct Session {
    verifier: PkceVerifier,
    state: String,
    url: String,
    redirect_uri: String,
}

impl Session {
    fn new(grant: &CodeGrant<'_>, redirect_uri: &str, http: &Http) -> Result<Self, Failure> {
        let verifier = PkceVerifier::from_random(secrets::random()?);
        let state = authorization::state_from_random(secrets::random()?);
        let challenge = verifier.challenge();
        let extra = [("login_hint", grant.address)];
        let params = AuthorizationParams {
            client_id: grant.client.client_id(),
            redirect_uri,
            scopes: grant.scopes,
            state: &state,
            code_challenge: &challenge,
            extra: &extra,
        };
        let url =
            authorization::authorization_url(grant.authorization_endpoint, &params, http.trust())
                .map_err(|e| Failure::error(format!("the authorization endpoint: {e}")))?;
        Ok(Session {
            verifier,
            state,
            url,
            redirect_uri: redirect_uri.to_owned(),
        })
    }

    /// Checks an authorization response; on failure also says whether it carried this
    /// session's `state` (so it is this session's answer, not a stray request).
    fn check(
        &self,
        redirect: &str,
        grant: &CodeGrant<'_>,
    ) -> Result<authorization::AuthorizationCode, (Failure, bool)> {
        let check = RedirectCheck {
            state: &self.state,
            issuer: grant.issuer,
            require_iss: grant.require_iss,
        };
        authorization::parse_redirect(redirect, &check).map_err(|e| {
            let ours = matches!(
                e,
                AuthorizationError::Provider(_)
                    | AuthorizationError::CodeMissing
                    | AuthorizationError::IssuerMismatch { .. }
                    | AuthorizationError::IssuerMissing
            ) && carries_state(redirect, &self.state);
            (
                Failure::refused(format!("the authorization response was refused: {e}")),
                ours,
            )
        })
    }

    fn exchange(
        &self,
        code: &authorization::AuthorizationCode,
        grant: &CodeGrant<'_>,
        http: &Http,
    ) -> Result<TokenResponse, Failure> {
        let form =
            authorization::code_grant(grant.client, code, &self.redirect_uri, &self.verifier);
        let response = http.post_form(grant.token_endpoint, &form)?;
        TokenResponse::parse(response.status, &response.body, now())
            .map_err(|e| Failure::refused(format!("the token endpoint refused the code: {e}")))
    }
}

/// The device flow.
/// Polling ends at the device code's expiry or after `timeout`, whichever is first.
pub(crate) fn device_flow(
    device_endpoint: &str,
    token_endpoint: &str,
    client: &ClientCredentials,
    scopes: &[String],
    timeout: Duration,
    http: &Http,
) -> Result<TokenResponse, Failure> {
    let form = authorization::device_authorization_request(client, scopes);
    let response = http.post_form(device_endpoint, &form)?;
    let device =
        DeviceAuthorization::parse(response.status, &response.body, now(), http.trust())
            .map_err(|e| Failure::refused(format!("the device authorization endpoint: {e}")))?;
    match device.verification_uri_complete() {
        Some(complete) => eprintln!(
            "On any device, open\n\n  {complete}\n\nor open {} and enter the code {}",
            device.verification_uri(),
            device.user_code()
        ),
        None => eprintln!(
            "On any device, open\n\n  {}\n\nand enter the code {}",
            device.verification_uri(),
            device.user_code()
        ),
    }
    eprintln!("Waiting for the approval ...");
    let expires_in = device
        .expires_at()
        .as_secs()
        .saturating_sub(now().as_secs());
    let deadline = Instant::now() + timeout.min(Duration::from_secs(expires_in));
    let mut polling = DevicePolling::new(&device);
    let mut wait = polling.interval();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(
                Failure::refused("the device sign-in was not approved in time")
                    .hint("run the command again, or raise --timeout"),
            );
        }
        std::thread::sleep(wait.min(left));
        let form = authorization::device_grant(client, &device);
        let response = http.post_form(token_endpoint, &form)?;
        match polling.on_response(response.status, &response.body, now()) {
            Ok(PollOutcome::Token(token)) => return Ok(token),
            Ok(PollOutcome::Wait(next)) => wait = next,
            Err(e) => {
                return Err(Failure::refused(format!("the device sign-in ended: {e}")));
            }
        }
    }
}

/// Waits for the browser's request to [`REDIRECT_PATH`]; other requests (a favicon)
/// get a 404. Returns the request target and the connection to answer on.
fn wait_for_redirect(
    listener: &TcpListener,
    deadline: Instant,
) -> Result<(String, TcpStream), Failure> {
    listener
        .set_nonblocking(true)
        .map_err(|e| Failure::error(format!("the redirect listener: {e}")))?;
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                // A connection gets a few seconds for its request line and headers in
                // all (not per read), and never beyond the overall deadline.
                let budget = deadline
                    .saturating_duration_since(Instant::now())
                    .min(REQUEST_BUDGET);
                let Ok(target) = read_request_target(&mut stream, Instant::now() + budget) else {
                    continue;
                };
                let path = target.split('?').next().unwrap_or_default();
                if path == REDIRECT_PATH {
                    return Ok((target, stream));
                }
                respond(&mut stream, "404 Not Found", "Not here.");
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(Failure::refused(
                        "no answer from the browser in time",
                    )
                    .hint("run the command again; without a browser here, use --flow device or --flow paste"));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(Failure::error(format!("the redirect listener: {e}"))),
        }
    }
}

/// How long one connection to the redirect listener may take to send its request.
const REQUEST_BUDGET: Duration = Duration::from_secs(3);

/// The request target of an HTTP/1.x GET (at most 16 KiB of head, by `until`).
fn read_request_target(stream: &mut TcpStream, until: Instant) -> Result<String, ()> {
    stream.set_nonblocking(false).map_err(drop)?;
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(());
        }
        stream.set_read_timeout(Some(left)).map_err(drop)?;
        let n = stream.read(&mut buf).map_err(drop)?;
        if n == 0 || head.len() + n > 16 * 1024 {
            return Err(());
        }
        head.extend_from_slice(buf.get(..n).ok_or(())?);
    }
    let text = std::str::from_utf8(&head).map_err(drop)?;
    let line = text.lines().next().ok_or(())?;
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("GET"), Some(target), Some(version)) if version.starts_with("HTTP/1.") => {
            Ok(target.to_owned())
        }
        _ => Err(()),
    }
}

fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>sasl oauth</title></head><body><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The user sees the terminal either way.
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

/// Opens `url` in the user's browser when there is a desktop: `$BROWSER`, else
/// `xdg-open` (or `open` on macOS). Failing to is fine: the URL is printed.
fn open_browser(url: &str) {
    let desktop = cfg!(target_os = "macos")
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !desktop {
        return;
    }
    let program = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| {
            if cfg!(target_os = "macos") {
                "open".to_owned()
            } else {
                "xdg-open".to_owned()
            }
        });
    let _ = std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// Whether the redirect's query has `state` equal to ours (for telling this session's
/// answers from stray requests; the constant-time check is the library's).
fn carries_state(redirect: &str, state: &str) -> bool {
    let query = redirect.split_once('?').map_or(redirect, |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .any(|pair| pair.strip_prefix("state=") == Some(state))
}

/// The current time (the epoch if the clock is before it).
pub(crate) fn now() -> UnixTime {
    UnixTime::from_system_time(std::time::SystemTime::now()).unwrap_or(UnixTime::from_secs(0))
}
