//! The CBOR codec of the Dovecot proof of concept: request options and assertion as
//! CBOR maps with text keys, binary members as byte strings.

use super::{CodecError, OptionsRef, RequestOptions, uv_from_name, uv_name};
use crate::cbor::{Value, decode, encode};
use sasl_core::PasskeyAssertion;

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn get<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
        .map(|(_, v)| v)
}

fn bytes(map: &[(Value, Value)], key: &str, what: &'static str) -> Result<Vec<u8>, CodecError> {
    match get(map, key) {
        Some(Value::Bytes(b)) => Ok(b.clone()),
        _ => Err(CodecError(what)),
    }
}

fn as_map(value: Value, what: &'static str) -> Result<Vec<(Value, Value)>, CodecError> {
    match value {
        Value::Map(m) => Ok(m),
        _ => Err(CodecError(what)),
    }
}

pub(super) fn encode_options(o: OptionsRef<'_>) -> Vec<u8> {
    let mut map = vec![
        (text("rpId"), text(o.rp_id)),
        (text("challenge"), Value::Bytes(o.challenge.to_vec())),
    ];
    if let Some(t) = o.timeout_ms {
        map.push((text("timeout"), Value::Uint(u64::from(t))));
    }
    map.push((
        text("allowCredentials"),
        Value::Array(
            o.allow_credentials
                .ids()
                .map(|id| {
                    Value::Map(vec![
                        (text("id"), Value::Bytes(id.to_vec())),
                        (text("type"), text("public-key")),
                    ])
                })
                .collect(),
        ),
    ));
    map.push((text("userVerification"), text(uv_name(o.user_verification))));
    encode(&Value::Map(map))
}

pub(super) fn decode_options(message: &[u8]) -> Result<RequestOptions, CodecError> {
    let map = as_map(
        decode(message).map_err(|_| CodecError("request options are not valid CBOR"))?,
        "request options are not a CBOR map",
    )?;
    let rp_id = match get(&map, "rpId") {
        Some(Value::Text(t)) => t.clone(),
        _ => return Err(CodecError("rpId missing or not text")),
    };
    let timeout_ms = match get(&map, "timeout") {
        None => None,
        Some(Value::Uint(t)) => Some(u32::try_from(*t).unwrap_or(u32::MAX)),
        Some(_) => return Err(CodecError("timeout is not an unsigned integer")),
    };
    let mut allow_credentials = Vec::new();
    match get(&map, "allowCredentials") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Map(d) = item else {
                    return Err(CodecError("allowCredentials entry is not a map"));
                };
                if matches!(get(d, "type"), Some(Value::Text(t)) if t == "public-key") {
                    allow_credentials.push(bytes(d, "id", "allowCredentials id is not bytes")?);
                }
            }
        }
        Some(_) => return Err(CodecError("allowCredentials is not an array")),
    }
    let user_verification = match get(&map, "userVerification") {
        None => uv_from_name("preferred"),
        Some(Value::Text(t)) => uv_from_name(t),
        Some(_) => return Err(CodecError("userVerification is not text")),
    };
    Ok(RequestOptions {
        rp_id,
        challenge: bytes(&map, "challenge", "challenge missing or not bytes")?,
        timeout_ms,
        allow_credentials,
        user_verification,
    })
}

pub(super) fn encode_assertion(a: &PasskeyAssertion) -> Vec<u8> {
    let mut map = vec![
        (text("credentialId"), Value::Bytes(a.credential_id.clone())),
        (
            text("clientDataJSON"),
            Value::Bytes(a.client_data_json.clone()),
        ),
        (
            text("authenticatorData"),
            Value::Bytes(a.authenticator_data.clone()),
        ),
        (text("signature"), Value::Bytes(a.signature.clone())),
    ];
    if let Some(h) = &a.user_handle {
        map.push((text("userHandle"), Value::Bytes(h.clone())));
    }
    encode(&Value::Map(map))
}

pub(super) fn decode_assertion(message: &[u8]) -> Result<PasskeyAssertion, CodecError> {
    let map = as_map(
        decode(message).map_err(|_| CodecError("response is not valid CBOR"))?,
        "response is not a CBOR map",
    )?;
    let user_handle = match get(&map, "userHandle") {
        None | Some(Value::Null) => None,
        Some(Value::Bytes(h)) if h.is_empty() => None,
        Some(Value::Bytes(h)) => Some(h.clone()),
        Some(_) => return Err(CodecError("userHandle is not bytes")),
    };
    Ok(PasskeyAssertion {
        credential_id: bytes(&map, "credentialId", "credentialId missing or not bytes")?,
        client_data_json: bytes(
            &map,
            "clientDataJSON",
            "clientDataJSON missing or not bytes",
        )?,
        authenticator_data: bytes(
            &map,
            "authenticatorData",
            "authenticatorData missing or not bytes",
        )?,
        signature: bytes(&map, "signature", "signature missing or not bytes")?,
        user_handle,
    })
}
