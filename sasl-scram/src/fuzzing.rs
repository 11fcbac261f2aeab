//! The message parsers and the base64 codec of this crate, for the fuzz targets only:
//! compiled with `--cfg fuzzing` (cargo-fuzz sets it) and never otherwise, so nothing
//! here is part of the API. Each function returns owned copies of what the private
//! parser found, so that its types stay private.

use crate::messages;

/// The channel-binding flag of a GS2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// `n`
    N,
    /// `y`
    Y,
    /// `p=<cb-name>`
    P(String),
}

/// A client-first message as the server parsed it.
#[derive(Debug, Clone)]
pub struct ClientFirst {
    /// The GS2 channel-binding flag.
    pub flag: Flag,
    /// `a=`, escapes decoded.
    pub authzid: Option<String>,
    /// The GS2 header's length, both commas included.
    pub gs2_len: usize,
    /// `n=`, escapes decoded, not prepared.
    pub username: String,
    /// `r=`.
    pub nonce: String,
    /// Where the nonce starts in the message.
    pub nonce_at: usize,
}

/// [`messages::parse_client_first`]; the error is the local reason.
pub fn parse_client_first(msg: &[u8]) -> Result<ClientFirst, &'static str> {
    let parsed = messages::parse_client_first(msg).map_err(|r| r.detail)?;
    Ok(ClientFirst {
        flag: match parsed.flag {
            messages::Flag::N => Flag::N,
            messages::Flag::Y => Flag::Y,
            messages::Flag::P(name) => Flag::P(name.to_owned()),
        },
        authzid: parsed.authzid.map(|a| a.into_owned()),
        gs2_len: parsed.gs2_len,
        username: parsed.username.into_owned(),
        // Printable ASCII, checked by the parser: the conversion is lossless.
        nonce: String::from_utf8_lossy(parsed.nonce).into_owned(),
        nonce_at: parsed.nonce_at,
    })
}

/// A client-final message as the server parsed it.
#[derive(Debug, Clone)]
pub struct ClientFinal {
    /// `client-final-message-without-proof`.
    pub without_proof: Vec<u8>,
    /// The `c=` value, still base64.
    pub channel_binding: Vec<u8>,
    /// `r=`.
    pub nonce: Vec<u8>,
    /// The decoded proof, when it is 20, 32 or 64 bytes (the SCRAM hashes' sizes).
    pub proof: Option<Vec<u8>>,
}

/// [`messages::parse_client_final`] against the nonce the server sent.
pub fn parse_client_final(msg: &[u8], expected_nonce: &[u8]) -> Result<ClientFinal, &'static str> {
    let parsed = messages::parse_client_final(msg, expected_nonce).map_err(|r| r.detail)?;
    Ok(ClientFinal {
        without_proof: parsed.without_proof.to_vec(),
        channel_binding: parsed.channel_binding.to_vec(),
        nonce: parsed.nonce.to_vec(),
        proof: [20, 32, 64]
            .into_iter()
            .find_map(|len| parsed.proof.exactly(len))
            .map(<[u8]>::to_vec),
    })
}

/// A server-first message as the client parsed it.
#[derive(Debug, Clone)]
pub struct ServerFirst {
    /// `r=`.
    pub nonce: String,
    /// `s=`, still base64.
    pub salt: Vec<u8>,
    /// `i=`.
    pub iterations: u32,
}

/// [`messages::parse_server_first`].
pub fn parse_server_first(msg: &[u8]) -> Result<ServerFirst, &'static str> {
    let parsed = messages::parse_server_first(msg).map_err(|(_, detail)| detail)?;
    Ok(ServerFirst {
        nonce: parsed.nonce.to_owned(),
        salt: parsed.salt.to_vec(),
        iterations: parsed.iterations,
    })
}

/// A server-final message as the client parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerFinal {
    /// `v=`, still base64.
    Verifier(Vec<u8>),
    /// `e=`.
    Error(String),
}

/// [`messages::parse_server_final`].
pub fn parse_server_final(msg: &[u8]) -> Result<ServerFinal, &'static str> {
    Ok(
        match messages::parse_server_final(msg).map_err(|(_, detail)| detail)? {
            messages::ServerFinal::Verifier(v) => ServerFinal::Verifier(v.to_vec()),
            messages::ServerFinal::Error(e) => ServerFinal::Error(e.to_owned()),
        },
    )
}

/// [`messages::decode_canonical_base64`] into a buffer that always fits.
pub fn decode_base64(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0; s.len()];
    let len = messages::decode_canonical_base64(s, &mut out)?;
    out.truncate(len);
    Some(out)
}

/// [`messages::append_base64`] into a new buffer.
pub fn encode_base64(data: &[u8], pad: bool) -> Vec<u8> {
    let mut out = Vec::new();
    messages::append_base64(&mut out, data, pad);
    out
}
