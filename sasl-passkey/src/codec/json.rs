//! The WebAuthn JSON codec: `PublicKeyCredentialRequestOptionsJSON` out,
//! `AuthenticationResponseJSON` in (W3C WebAuthn Level 3 §5.1.3, §5.1.4).

use super::{CodecError, RequestOptions, uv_from_name, uv_name};
use crate::json_object::{self, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::PasskeyAssertion;
use serde::Deserialize;
use std::borrow::Cow;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str, what: &'static str) -> Result<Vec<u8>, CodecError> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| CodecError(what))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OptionsJson {
    challenge: String,
    #[serde(default)]
    timeout: Option<u32>,
    rp_id: String,
    #[serde(default)]
    allow_credentials: Vec<Object<Descriptor>>,
    #[serde(default)]
    user_verification: Option<String>,
}

pub(super) fn encode_options(options: &RequestOptions) -> Vec<u8> {
    // Written directly (one buffer); only the RP id can need JSON escapes.
    let rp_id = serde_json::Value::from(options.rp_id.as_str()).to_string();
    let mut m = String::with_capacity(160 + rp_id.len() + 48 * options.allow_credentials.len());
    m.push_str(r#"{"challenge":""#);
    URL_SAFE_NO_PAD.encode_string(&options.challenge, &mut m);
    m.push('"');
    if let Some(t) = options.timeout_ms {
        m.push_str(r#","timeout":"#);
        m.push_str(&t.to_string());
    }
    m.push_str(r#","rpId":"#);
    m.push_str(&rp_id);
    m.push_str(r#","allowCredentials":["#);
    for (i, id) in options.allow_credentials.iter().enumerate() {
        if i > 0 {
            m.push(',');
        }
        m.push_str(r#"{"type":"public-key","id":""#);
        URL_SAFE_NO_PAD.encode_string(id, &mut m);
        m.push_str(r#""}"#);
    }
    m.push_str(r#"],"userVerification":""#);
    m.push_str(uv_name(options.user_verification));
    m.push_str(r#""}"#);
    m.into_bytes()
}

pub(super) fn decode_options(message: &[u8]) -> Result<RequestOptions, CodecError> {
    let json: OptionsJson = json_object::from_slice(message)
        .map_err(|_| CodecError("request options are not valid JSON of the expected shape"))?;
    let mut allow = Vec::with_capacity(
        json.allow_credentials
            .len()
            .min(super::MAX_ALLOW_CREDENTIALS),
    );
    for Object(d) in &json.allow_credentials {
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

// Members are borrowed from the message where they have no escapes (base64url never
// has): decoding allocates only the decoded bytes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseJson<'a> {
    // WebAuthn's spelling (camelCase would give "clientDataJson").
    #[serde(rename = "clientDataJSON", borrow)]
    client_data_json: Cow<'a, str>,
    #[serde(borrow)]
    authenticator_data: Cow<'a, str>,
    #[serde(borrow)]
    signature: Cow<'a, str>,
    #[serde(default, borrow)]
    user_handle: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialJson<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    raw_id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    response: Object<ResponseJson<'a>>,
    // clientExtensionResults, authenticatorAttachment and unknown members are
    // ignored (extension outputs are not used).
}

pub(super) fn encode_assertion(a: &PasskeyAssertion) -> Vec<u8> {
    let id = b64(&a.credential_id);
    let mut m = format!(
        r#"{{"id":"{id}","rawId":"{id}","type":"public-key","response":{{"clientDataJSON":"{}","authenticatorData":"{}","signature":"{}""#,
        b64(&a.client_data_json),
        b64(&a.authenticator_data),
        b64(&a.signature),
    );
    if let Some(h) = &a.user_handle {
        m.push_str(r#","userHandle":""#);
        m.push_str(&b64(h));
        m.push('"');
    }
    m.push_str(r#"},"clientExtensionResults":{}}"#);
    m.into_bytes()
}

pub(super) fn decode_assertion(message: &[u8]) -> Result<PasskeyAssertion, CodecError> {
    // serde's derived structs refuse repeated members; unknown ones
    // (authenticatorAttachment, ...) are ignored as WebAuthn says.
    let json: CredentialJson<'_> = json_object::from_slice(message)
        .map_err(|_| CodecError("response is not valid JSON of the expected shape"))?;
    if json.kind != "public-key" {
        return Err(CodecError("credential type is not public-key"));
    }
    if json.id != json.raw_id {
        return Err(CodecError("id and rawId differ"));
    }
    let Object(r) = json.response;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip() {
        let o = RequestOptions {
            rp_id: "ex\"ample.com".into(),
            challenge: vec![9; 32],
            timeout_ms: Some(60_000),
            allow_credentials: vec![vec![1], vec![2, 3]],
            user_verification: sasl_core::UserVerification::Required,
        };
        let m = encode_options(&o);
        assert!(serde_json::from_slice::<serde_json::Value>(&m).is_ok());
        assert_eq!(decode_options(&m), Ok(o));
    }

    #[test]
    fn assertion_round_trip() {
        let a = PasskeyAssertion {
            credential_id: vec![1, 2, 3],
            authenticator_data: vec![4; 37],
            client_data_json: b"{\"type\":\"webauthn.get\"}".to_vec(),
            signature: vec![5; 64],
            user_handle: Some(vec![6]),
        };
        let m = encode_assertion(&a);
        assert_eq!(decode_assertion(&m), Ok(a));
        // A platform API's toJSON() output: members in another order, extension
        // results and attachment present, an escaped slash in a base64url-free member.
        let platform = br#"{"type":"public-key","authenticatorAttachment":"platform","clientExtensionResults":{"credProps":{"rk":true}},"rawId":"AQID","id":"AQID","response":{"signature":"BQ","userHandle":"","authenticatorData":"BA","clientDataJSON":"e30"}}"#;
        let d = decode_assertion(platform).expect("toJSON() shape");
        assert_eq!((d.credential_id, d.user_handle), (vec![1, 2, 3], None));
        // Repeated members are refused.
        let twice = br#"{"id":"AQID","rawId":"AQID","rawId":"AQQD","type":"public-key","response":{"signature":"BQ","authenticatorData":"BA","clientDataJSON":"e30"}}"#;
        assert!(decode_assertion(twice).is_err());
        // Arrays in place of the credential or its response are refused, although
        // serde's derive alone would read their members in order.
        let arrays: [&[u8]; 2] = [
            br#"["AQID","AQID","public-key",{"signature":"BQ","authenticatorData":"BA","clientDataJSON":"e30"}]"#,
            br#"{"id":"AQID","rawId":"AQID","type":"public-key","response":["e30","BA","BQ"]}"#,
        ];
        for m in arrays {
            assert_eq!(
                decode_assertion(m),
                Err(CodecError(
                    "response is not valid JSON of the expected shape"
                ))
            );
        }
    }

    #[test]
    fn options_must_be_objects() {
        let good = br#"{"challenge":"CQk","rpId":"example.com","allowCredentials":[{"type":"public-key","id":"AQ"}]}"#;
        assert_eq!(
            decode_options(good).map(|o| o.allow_credentials),
            Ok(vec![vec![1]])
        );
        let arrays: [&[u8]; 2] = [
            br#"["CQk",null,"example.com",[]]"#,
            br#"{"challenge":"CQk","rpId":"example.com","allowCredentials":[["public-key","AQ"]]}"#,
        ];
        for m in arrays {
            assert_eq!(
                decode_options(m),
                Err(CodecError(
                    "request options are not valid JSON of the expected shape"
                ))
            );
        }
    }
}
