//! PASSKEY (draft-bucksch-sasl-passkey, this family's reading): the client's first
//! message `[user][NUL authzid]`, the server's WebAuthn request options and the
//! client's assertion (JSON or CBOR, decoded with sasl-passkey's public codec), and the
//! server's `e=...,m=...` error.

use super::mechs::Exchange;
use super::{Message, Sender, printable};
use sasl_core::UserVerification;
use sasl_passkey::codec::{Codec, RequestOptions, decode_assertion};

/// Whether `data` decodes as one of sasl-passkey's CBOR messages.
pub(crate) fn looks_like_cbor(data: &[u8]) -> bool {
    RequestOptions::decode(data).is_ok() || decode_assertion(Codec::Cbor, data).is_ok()
}

/// Who sent a PASSKEY message, from its content.
pub(crate) fn guess_sender(data: &[u8]) -> Option<Sender> {
    if data.starts_with(b"e=") || RequestOptions::decode(data).is_ok() {
        return Some(Sender::Server);
    }
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(data)
        && (object.contains_key("challenge") || object.contains_key("rpId"))
    {
        return Some(Sender::Server);
    }
    Some(Sender::Client)
}

/// Decodes one PASSKEY message.
pub(crate) fn explain(ex: &mut Exchange, from: Option<Sender>, data: &[u8], m: &mut Message) {
    match from {
        Some(Sender::Server) => server(ex, data, m),
        _ => {
            if let Some(codec) = Codec::detect(data) {
                assertion(codec, data, m);
            } else if ex.error_challenge && data.is_empty() {
                m.kind("the client's empty answer to the error message: the server now fails");
            } else {
                first_message(data, m);
            }
        }
    }
}

fn first_message(data: &[u8], m: &mut Message) {
    m.kind("PASSKEY first message");
    if data.is_empty() {
        m.field(
            "user",
            "none: the discoverable flow (the authenticator picks the account)",
        );
        return;
    }
    let mut parts = data.splitn(2, |b| *b == 0);
    let user = parts.next().unwrap_or_default();
    let authzid = parts.next();
    name_field("user", user, m);
    match authzid {
        Some([]) => m.problem("a NUL with no authzid after it"),
        Some(z) => name_field("authzid", z, m),
        None => {}
    }
    if user.is_empty() && authzid.is_some() {
        m.note("no user: the discoverable flow, acting as the authzid");
    }
}

fn name_field(what: &str, raw: &[u8], m: &mut Message) {
    if raw.is_empty() {
        m.field(what, "none");
        return;
    }
    match std::str::from_utf8(raw) {
        Ok(name) => {
            m.field(what, printable(name, 200));
            if name.chars().any(char::is_control) {
                m.problem(format!(
                    "the {what} contains control characters (a trailing newline?)"
                ));
            }
            if raw.len() > sasl_passkey::message::MAX_NAME_LEN {
                m.problem(format!(
                    "the {what} is longer than {} bytes",
                    sasl_passkey::message::MAX_NAME_LEN
                ));
            }
        }
        Err(e) => m.problem(format!(
            "the {what} is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        )),
    }
}

fn server(ex: &mut Exchange, data: &[u8], m: &mut Message) {
    if data.is_empty() {
        m.kind("empty challenge: the client sends its first message now");
        return;
    }
    if let Some(rest) = data.strip_prefix(b"e=") {
        ex.error_challenge = true;
        m.kind("PASSKEY error message");
        let text = String::from_utf8_lossy(rest);
        let (value, message) = match text.split_once(",m=") {
            Some((v, msg)) => (v, Some(msg)),
            None => (text.as_ref(), None),
        };
        m.field("error (e=)", printable(value, 80));
        m.field(
            "meaning",
            match value {
                "invalid-encoding" => "the response could not be decoded",
                "unknown-user" => "no such user",
                "invalid-username-encoding" => "the first message is not a valid name",
                "other-error" => "some other error (servers may hide the real reason)",
                _ => "an extension value: treated as other-error",
            },
        );
        match message {
            Some(msg) => m.field("message (m=)", printable(msg, 300)),
            None => m.problem("missing ,m= (the human-readable message)"),
        }
        return;
    }
    match RequestOptions::decode(data) {
        Ok((codec, options)) => {
            m.kind("PASSKEY challenge: WebAuthn request options");
            m.field("encoding", codec_name(codec));
            m.field("rpId", printable(&options.rp_id, 200));
            m.field("challenge", format!("{} bytes", options.challenge.len()));
            if let Some(ms) = options.timeout_ms {
                m.field("timeout", format!("{ms} ms"));
            }
            m.field(
                "allowCredentials",
                if options.allow_credentials.is_empty() {
                    "none: any discoverable credential for the rpId".to_owned()
                } else {
                    format!("{} credential ids", options.allow_credentials.len())
                },
            );
            m.field(
                "userVerification",
                match options.user_verification {
                    UserVerification::Required => "required",
                    UserVerification::Preferred => "preferred",
                    UserVerification::Discouraged => "discouraged",
                },
            );
        }
        Err(e) => {
            m.kind("PASSKEY challenge");
            m.problem(format!("the request options do not decode: {}", e.detail()));
        }
    }
}

fn codec_name(codec: Codec) -> &'static str {
    match codec {
        Codec::Json => "WebAuthn JSON",
        Codec::Cbor => "CBOR (the Dovecot proof of concept's)",
    }
}

fn assertion(codec: Codec, data: &[u8], m: &mut Message) {
    m.kind("PASSKEY response: a WebAuthn assertion");
    m.field("encoding", codec_name(codec));
    let assertion = match decode_assertion(codec, data) {
        Ok(a) => a,
        Err(e) => {
            m.problem(format!("the assertion does not decode: {}", e.detail()));
            return;
        }
    };
    m.field(
        "credential id",
        format!("{} bytes", assertion.credential_id.len()),
    );
    let auth = &assertion.authenticator_data;
    match (auth.get(32), auth.get(33..37)) {
        (Some(flags), Some(count)) => {
            let mut names = Vec::new();
            for (bit, name) in [
                (0x01, "UP (user present)"),
                (0x04, "UV (user verified)"),
                (0x08, "BE (backup eligible)"),
                (0x10, "BS (backed up)"),
                (0x40, "AT (attested data)"),
                (0x80, "ED (extensions)"),
            ] {
                if flags & bit != 0 {
                    names.push(name);
                }
            }
            let count = count.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            m.field(
                "authenticatorData",
                format!(
                    "{} bytes: rpIdHash, flags {}, signCount {count}",
                    auth.len(),
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            );
            if flags & 0x01 == 0 {
                m.problem("the UP flag is not set: servers require user presence");
            }
        }
        _ => m.problem(format!(
            "authenticatorData is {} bytes, shorter than the 37 it must have",
            auth.len()
        )),
    }
    match serde_json::from_slice::<serde_json::Value>(&assertion.client_data_json) {
        Ok(serde_json::Value::Object(client)) => {
            for key in ["type", "origin", "crossOrigin"] {
                if let Some(v) = client.get(key) {
                    m.field(format!("clientData {key}"), printable(&v.to_string(), 200));
                }
            }
            if let Some(serde_json::Value::String(c)) = client.get("challenge") {
                m.field(
                    "clientData challenge",
                    format!("{} base64url characters", c.len()),
                );
            }
            if client.get("type").and_then(|t| t.as_str()) != Some("webauthn.get") {
                m.problem("clientData type must be \"webauthn.get\"");
            }
        }
        _ => m.problem("clientDataJSON is not a JSON object"),
    }
    m.field("signature", format!("{} bytes", assertion.signature.len()));
    m.field(
        "userHandle",
        match &assertion.user_handle {
            Some(h) => format!("{} bytes", h.len()),
            None => "none (the server finds the account by the credential id)".to_owned(),
        },
    );
}
