//! The OAUTHBEARER and XOAUTH2 message parsers and builders, for the fuzz targets only:
//! compiled with `--cfg fuzzing` (cargo-fuzz sets it) and never otherwise, so nothing
//! here is part of the API. The parsed message is returned as an owned copy.

use crate::message;

/// A client message as the server parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// OAUTHBEARER's GS2 authzid, XOAUTH2's `user=`.
    pub authzid: Option<String>,
    /// The bearer token.
    pub token: String,
    /// OAUTHBEARER `host=`.
    pub host: Option<String>,
    /// OAUTHBEARER `port=`.
    pub port: Option<u16>,
}

impl From<message::ClientMessage<'_>> for Message {
    fn from(m: message::ClientMessage<'_>) -> Self {
        Self {
            authzid: m.authzid.map(|a| a.into_owned()),
            token: m.token.to_owned(),
            host: m.host.map(str::to_owned),
            port: m.port,
        }
    }
}

/// [`message::parse_oauthbearer`]; the error is the local reason.
pub fn parse_oauthbearer(msg: &[u8]) -> Result<Message, &'static str> {
    message::parse_oauthbearer(msg)
        .map(Message::from)
        .map_err(|e| e.detail)
}

/// [`message::parse_xoauth2`]; the error is the local reason.
pub fn parse_xoauth2(msg: &[u8]) -> Result<Message, &'static str> {
    message::parse_xoauth2(msg)
        .map(Message::from)
        .map_err(|e| e.detail)
}

/// [`message::build_oauthbearer`] of a message, without extra pairs.
pub fn build_oauthbearer(m: &Message) -> Vec<u8> {
    message::build_oauthbearer(
        m.authzid.as_deref(),
        m.host.as_deref(),
        m.port,
        &[],
        &m.token,
    )
}

/// [`message::build_xoauth2`].
pub fn build_xoauth2(user: &str, token: &str) -> Vec<u8> {
    message::build_xoauth2(user, token)
}

/// Whether the client would send this XOAUTH2 `user=`.
pub fn is_valid_user(user: &str) -> bool {
    message::is_valid_user(user)
}

/// Whether the client would send this OAUTHBEARER authzid.
pub fn is_valid_authzid(authzid: &str) -> bool {
    message::is_valid_authzid(authzid)
}

/// Whether the client would send this `host=` value.
pub fn is_valid_host(host: &str) -> bool {
    message::is_valid_host(host)
}
