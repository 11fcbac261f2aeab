//! The device authorization grant (RFC 8628): the device authorization response and
//! the polling of the token endpoint.

use std::fmt;
use std::time::Duration;

use sasl_core::UnixTime;
use zeroize::Zeroizing;

use super::token::{
    ClientCredentials, FormRequest, OAuthError, OAuthErrorCode, TokenEndpointError, TokenResponse,
    success_members,
};
use super::wire::{Members, is_vschar};
use crate::discovery::{DiscoveryError, Trust, UrlKind, check_url};

/// The `grant_type` of the device access token request (RFC 8628 §3.4).
pub(super) const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The polling interval when the server gives none (RFC 8628 §3.2).
const DEFAULT_INTERVAL_SECS: u64 = 5;
/// How much `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_SECS: u64 = 5;
/// The longest interval honoured: a server asking for more (or growing it past this
/// with `slow_down`) gets polled every 5 minutes, so no answer can make a client sleep
/// for years.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(300);

/// A device authorization response (RFC 8628 §3.2): show the user
/// [`user_code`](Self::user_code) and [`verification_uri`](Self::verification_uri)
/// (or a QR code of [`verification_uri_complete`](Self::verification_uri_complete)),
/// then poll with [`device_grant`](super::device_grant) and [`DevicePolling`].
///
/// The device code is zeroized on drop and `Debug` does not show it.
pub struct DeviceAuthorization {
    device_code: Zeroizing<String>,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_at: UnixTime,
    interval: Duration,
}

impl DeviceAuthorization {
    /// Parses the device authorization endpoint's answer (RFC 8628 §3.2), which arrived
    /// at `now`: `device_code`, `user_code`, `verification_uri` and `expires_in` are
    /// required, `verification_uri_complete` and `interval` (default 5 seconds)
    /// optional. An error answer is a [`TokenEndpointError`].
    ///
    /// The status is handled as in [`TokenResponse::parse`] (200 is the answer; 400
    /// and 401 OAuth errors; others [`TokenEndpointError::Status`]). `device_code`
    /// and `user_code` must be non-empty RFC 6749 VSCHAR text; both URIs must pass
    /// the discovery rules for endpoints (absolute, `https` unless `trust` allows
    /// `http`, no userinfo, no fragment). Google's device endpoint names the URI
    /// `verification_url`, which is accepted when `verification_uri` is absent.
    /// `expires_in` and `interval` are non-negative integers (strings of digits
    /// tolerated); an `interval` of 0 is taken as 1 second, so a client never polls in
    /// a busy loop.
    pub fn parse(
        status: u16,
        body: &[u8],
        now: UnixTime,
        trust: Trust,
    ) -> Result<Self, TokenEndpointError> {
        let mut members = success_members(status, body, "device_code")?;
        Self::from_members(&mut members, now, trust).map_err(TokenEndpointError::Malformed)
    }

    fn from_members(members: &mut Members, now: UnixTime, trust: Trust) -> Result<Self, String> {
        let device_code = members.required_secret("device_code")?;
        let user_code = members
            .string("user_code")?
            .filter(|c| is_vschar(c))
            .ok_or_else(|| "no user_code, or one outside RFC 6749 VSCHAR".to_owned())?;
        let verification_uri = match members.string("verification_uri")? {
            Some(uri) => uri,
            None => members
                .string("verification_url")?
                .ok_or_else(|| "no verification_uri".to_owned())?,
        };
        check_uri(&verification_uri, "verification_uri", trust)?;
        let verification_uri_complete = members.string("verification_uri_complete")?;
        if let Some(uri) = &verification_uri_complete {
            check_uri(uri, "verification_uri_complete", trust)?;
        }
        let expires_in = members
            .seconds("expires_in")?
            .ok_or_else(|| "no expires_in".to_owned())?;
        let interval = members
            .seconds("interval")?
            .unwrap_or(DEFAULT_INTERVAL_SECS)
            .clamp(1, MAX_POLL_INTERVAL.as_secs());
        Ok(Self {
            device_code,
            user_code,
            verification_uri,
            verification_uri_complete,
            expires_at: now.saturating_add_secs(expires_in),
            interval: Duration::from_secs(interval),
        })
    }

    /// The device code, for [`device_grant`](super::device_grant).
    fn device_code(&self) -> &str {
        &self.device_code
    }

    /// The code the user types at the verification URI.
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// Where the user goes to enter the code.
    pub fn verification_uri(&self) -> &str {
        &self.verification_uri
    }

    /// The verification URI with the code in it, if the server gave one (for a QR
    /// code or a link). Still show [`user_code`](Self::user_code), so the user can
    /// check it.
    pub fn verification_uri_complete(&self) -> Option<&str> {
        self.verification_uri_complete.as_deref()
    }

    /// When the device code expires: `now` at parsing plus `expires_in`.
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// How long to wait between polls, at first.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

fn check_uri(uri: &str, field: &'static str, trust: Trust) -> Result<(), String> {
    check_url(uri, field, trust, UrlKind::Endpoint)
        .map(|_| ())
        .map_err(|e| match e {
            DiscoveryError::NotHttps { .. } => format!("{field} is not https"),
            DiscoveryError::BadUrl { problem, .. } => format!("{field}: {problem}"),
            _ => format!("{field} is not an acceptable URL"),
        })
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &"<redacted>")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .finish()
    }
}

/// The polling state of a device authorization (RFC 8628 §3.4, §3.5): the current
/// interval and the deadline.
///
/// Wait [`interval`](Self::interval), send [`device_grant`](super::device_grant),
/// pass the answer to [`on_response`](Self::on_response), and repeat while it says
/// [`PollOutcome::Wait`].
#[derive(Debug, Clone)]
pub struct DevicePolling {
    interval: Duration,
    expires_at: UnixTime,
}

/// What to do after one poll of the token endpoint.
#[derive(Debug)]
#[must_use]
pub enum PollOutcome {
    /// The user approved: here are the tokens. Stop polling.
    Token(TokenResponse),
    /// Not yet: wait this long, then poll again.
    Wait(Duration),
}

impl DevicePolling {
    /// Starts polling for `authorization`, at its interval.
    pub fn new(authorization: &DeviceAuthorization) -> Self {
        Self {
            interval: authorization.interval,
            expires_at: authorization.expires_at,
        }
    }

    /// The current interval (grown by each `slow_down`).
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Reads one token-endpoint answer to [`device_grant`](super::device_grant) (RFC
    /// 8628 §3.5): tokens are [`PollOutcome::Token`]; `authorization_pending` is
    /// [`PollOutcome::Wait`] with the current interval; `slow_down` adds 5 seconds to
    /// the interval (for this and every later poll) and waits that; `access_denied`,
    /// `expired_token`, any other error, and a pending answer past the deadline are
    /// errors that end polling.
    ///
    /// `now` is when the answer arrived. A token is accepted even after the deadline
    /// (the server issued it); a pending or slow-down answer at or after
    /// [`DeviceAuthorization::expires_at`] ends polling with an `expired_token`
    /// [`TokenEndpointError::OAuth`] made locally. The error codes are honoured
    /// whatever the HTTP status.
    pub fn on_response(
        &mut self,
        status: u16,
        body: &[u8],
        now: UnixTime,
    ) -> Result<PollOutcome, TokenEndpointError> {
        let error = match TokenResponse::parse(status, body, now) {
            Ok(token) => return Ok(PollOutcome::Token(token)),
            Err(error) => error,
        };
        match error.oauth_error().map(OAuthError::code) {
            Some(OAuthErrorCode::AuthorizationPending) => {}
            Some(OAuthErrorCode::SlowDown) => {
                self.interval = self
                    .interval
                    .saturating_add(Duration::from_secs(SLOW_DOWN_SECS))
                    .min(MAX_POLL_INTERVAL);
            }
            _ => return Err(error),
        }
        if now >= self.expires_at {
            return Err(TokenEndpointError::OAuth(OAuthError::local(
                OAuthErrorCode::ExpiredToken,
                "the device code expired before the user approved",
            )));
        }
        // Never past the deadline: the last poll happens when the code expires.
        let left = Duration::from_secs(self.expires_at.as_secs().saturating_sub(now.as_secs()));
        Ok(PollOutcome::Wait(self.interval.min(left)))
    }
}

/// The device authorization request (RFC 8628 §3.1): `scope` if `scopes` is not
/// empty, and the client's authentication. Its answer is a
/// [`DeviceAuthorization`].
pub fn device_authorization_request(client: &ClientCredentials, scopes: &[String]) -> FormRequest {
    let scope = scopes.join(" ");
    let mut pairs = Vec::new();
    if !scope.is_empty() {
        pairs.push(("scope", scope.as_str()));
    }
    client.request(pairs)
}

/// The device access token request (RFC 8628 §3.4):
/// `grant_type=urn:ietf:params:oauth:grant-type:device_code` and the `device_code`.
/// Send it every [`DevicePolling::interval`](super::DevicePolling::interval) and feed
/// each answer to [`DevicePolling::on_response`](super::DevicePolling::on_response).
pub fn device_grant(client: &ClientCredentials, device_code: &DeviceAuthorization) -> FormRequest {
    client.request(vec![
        ("grant_type", DEVICE_CODE_GRANT_TYPE),
        ("device_code", device_code.device_code()),
    ])
}
