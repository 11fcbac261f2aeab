//! The WebAuthn JSON codec: `PublicKeyCredentialRequestOptionsJSON` out,
//! `AuthenticationResponseJSON` in (W3C WebAuthn Level 3 §5.1.3, §5.1.4).

use super::{CodecError, RequestOptions, uv_from_name, uv_name};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::PasskeyAssertion;
use serde::{Deserialize, Serialize};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str, what: &'static str) -> Result<Vec<u8>, CodecError> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| CodecError(what))
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OptionsJson {
    challenge: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    timeout: Option<u32>,
    rp_id: String,
    #[serde(default)]
    allow_credentials: Vec<Descriptor>,
    #[serde(default)]
    user_verification: Option<String>,
}

pub(super) fn encode_options(options: &RequestOptions) -> Vec<u8> {
    let json = OptionsJson {
        challenge: b64(&options.challenge),
        timeout: options.timeout_ms,
        rp_id: options.rp_id.clone(),
        allow_credentials: options
            .allow_credentials
            .iter()
            .map(|id| Descriptor {
                kind: "public-key".into(),
                id: b64(id),
            })
            .collect(),
        user_verification: Some(uv_name(options.user_verification).into()),
    };
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_vec(&json).unwrap_or_default()
}

pub(super) fn decode_options(message: &[u8]) -> Result<RequestOptions, CodecError> {
    let json: OptionsJson = serde_json::from_slice(message)
        .map_err(|_| CodecError("request options are not valid JSON of the expected shape"))?;
    let mut allow = Vec::with_capacity(
        json.allow_credentials
            .len()
            .min(super::MAX_ALLOW_CREDENTIALS),
    );
    for d in &json.allow_credentials {
        // WebAuthn: descriptors of unknown types are ignored.
        if d.kind == "public-key" {
            allow.push(unb64(&d.id, "allowCredentials id is not base64url")?);
        }
    }
    Ok(RequestOptions {
        rp_id: json.rp_id,
        challenge: unb64(&json.challenge, "challenge is not base64url")?,
        timeout_ms: json.timeout,
        allow_credentials: allow,
        user_verification: uv_from_name(json.user_verification.as_deref().unwrap_or("preferred")),
    })
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseJson {
    client_data_json: String,
    authenticator_data: String,
    signature: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    user_handle: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialJson {
    id: String,
    raw_id: String,
    #[serde(rename = "type")]
    kind: String,
    response: ResponseJson,
    #[serde(default)]
    client_extension_results: serde_json::Map<String, serde_json::Value>,
}

pub(super) fn encode_assertion(a: &PasskeyAssertion) -> Vec<u8> {
    let json = CredentialJson {
        id: b64(&a.credential_id),
        raw_id: b64(&a.credential_id),
        kind: "public-key".into(),
        response: ResponseJson {
            client_data_json: b64(&a.client_data_json),
            authenticator_data: b64(&a.authenticator_data),
            signature: b64(&a.signature),
            user_handle: a.user_handle.as_deref().map(b64),
        },
        client_extension_results: serde_json::Map::new(),
    };
    serde_json::to_vec(&json).unwrap_or_default()
}

pub(super) fn decode_assertion(message: &[u8]) -> Result<PasskeyAssertion, CodecError> {
    // serde's derived structs refuse repeated members; unknown ones
    // (authenticatorAttachment, ...) are ignored as WebAuthn says.
    let json: CredentialJson = serde_json::from_slice(message)
        .map_err(|_| CodecError("response is not valid JSON of the expected shape"))?;
    if json.kind != "public-key" {
        return Err(CodecError("credential type is not public-key"));
    }
    if json.id != json.raw_id {
        return Err(CodecError("id and rawId differ"));
    }
    let r = json.response;
    Ok(PasskeyAssertion {
        credential_id: unb64(&json.raw_id, "rawId is not base64url")?,
        authenticator_data: unb64(&r.authenticator_data, "authenticatorData is not base64url")?,
        client_data_json: unb64(&r.client_data_json, "clientDataJSON is not base64url")?,
        signature: unb64(&r.signature, "signature is not base64url")?,
        user_handle: match r.user_handle.as_deref() {
            // An empty userHandle is the same as none (WebAuthn: user handles are 1 to 64 bytes).
            None | Some("") => None,
            Some(h) => Some(unb64(h, "userHandle is not base64url")?),
        },
    })
}
