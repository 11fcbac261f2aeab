//! The WebAuthn JSON codec: `PublicKeyCredentialRequestOptionsJSON` out,
//! `AuthenticationResponseJSON` in (W3C WebAuthn Level 3 §5.1.3, §5.1.4).

use super::{CodecError, OptionsRef, RequestOptions, uv_from_name, uv_name};
use crate::base64url;
use crate::json_object::{self, Object};
use crate::json_reader::{Reader, once};
use sasl_core::PasskeyAssertion;
use serde::Deserialize;

fn unb64(text: &str, what: &'static str) -> Result<Vec<u8>, CodecError> {
    base64url::decode(text.as_bytes()).ok_or(CodecError(what))
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

pub(super) fn encode_options(options: OptionsRef<'_>) -> Vec<u8> {
    // Written directly into one buffer; only the RP id can need JSON escapes.
    let mut m = Vec::with_capacity(
        160 + options.rp_id.len()
            + options.challenge.len() * 4 / 3
            + 48 * options.allow_credentials.len(),
    );
    m.extend_from_slice(br#"{"challenge":""#);
    base64url::append(&mut m, options.challenge);
    m.push(b'"');
    if let Some(t) = options.timeout_ms {
        m.extend_from_slice(br#","timeout":"#);
        append_decimal(&mut m, t);
    }
    m.extend_from_slice(br#","rpId":"#);
    if options
        .rp_id
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || b < 0x20)
    {
        m.extend_from_slice(
            serde_json::Value::from(options.rp_id)
                .to_string()
                .as_bytes(),
        );
    } else {
        m.push(b'"');
        m.extend_from_slice(options.rp_id.as_bytes());
        m.push(b'"');
    }
    m.extend_from_slice(br#","allowCredentials":["#);
    for (i, id) in options.allow_credentials.ids().enumerate() {
        if i > 0 {
            m.push(b',');
        }
        m.extend_from_slice(br#"{"type":"public-key","id":""#);
        base64url::append(&mut m, id);
        m.extend_from_slice(br#""}"#);
    }
    m.extend_from_slice(br#"],"userVerification":""#);
    m.extend_from_slice(uv_name(options.user_verification).as_bytes());
    m.extend_from_slice(br#""}"#);
    m
}

/// Appends `n` in decimal (`write!` showed in the server's profile).
fn append_decimal(out: &mut Vec<u8>, n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = n;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        at -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
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

pub(super) fn encode_assertion(a: &PasskeyAssertion) -> Vec<u8> {
    let mut m = Vec::with_capacity(
        160 + (2 * a.credential_id.len()
            + a.client_data_json.len()
            + a.authenticator_data.len()
            + a.signature.len())
            * 4
            / 3,
    );
    let member = |m: &mut Vec<u8>, name: &[u8], value: &[u8]| {
        m.extend_from_slice(name);
        base64url::append(m, value);
        m.push(b'"');
    };
    member(&mut m, br#"{"id":""#, &a.credential_id);
    member(&mut m, br#","rawId":""#, &a.credential_id);
    m.extend_from_slice(br#","type":"public-key""#);
    member(
        &mut m,
        br#","response":{"clientDataJSON":""#,
        &a.client_data_json,
    );
    member(&mut m, br#","authenticatorData":""#, &a.authenticator_data);
    member(&mut m, br#","signature":""#, &a.signature);
    if let Some(h) = &a.user_handle {
        member(&mut m, br#","userHandle":""#, h);
    }
    m.extend_from_slice(br#"},"clientExtensionResults":{}}"#);
    m
}

/// Reads `AuthenticationResponseJSON` with the strict [`Reader`]: `id`, `rawId`,
/// `type` and `response` (with `clientDataJSON`, `authenticatorData`, `signature`
/// and an optional `userHandle`) each once; unknown members (`authenticatorAttachment`,
/// `clientExtensionResults`, ...) are checked as JSON and ignored, as WebAuthn says.
pub(super) fn decode_assertion(message: &[u8]) -> Result<PasskeyAssertion, CodecError> {
    const SHAPE: CodecError = CodecError("response is not valid JSON of the expected shape");
    let (mut id, mut raw_id, mut kind, mut response) = (None, None, None, None);
    Reader::new(message)
        .and_then(|reader| {
            reader.document(|name, r| match name {
                "id" => once(&mut id, r.string()?),
                "rawId" => once(&mut raw_id, r.base64url_with_text()?),
                "type" => once(&mut kind, r.string()?),
                "response" => {
                    let mut fields = ResponseFields::default();
                    r.object(|name, r| match name {
                        "clientDataJSON" => once(&mut fields.client_data_json, r.base64url()?),
                        "authenticatorData" => once(&mut fields.authenticator_data, r.base64url()?),
                        "signature" => once(&mut fields.signature, r.base64url()?),
                        "userHandle" => once(&mut fields.user_handle, r.base64url_or_null()?),
                        _ => r.skip(),
                    })?;
                    once(&mut response, fields)
                }
                _ => r.skip(),
            })
        })
        .map_err(|_| SHAPE)?;
    let (Some(id), Some(raw_id), Some(kind), Some(r)) = (id, raw_id, kind, response) else {
        return Err(SHAPE);
    };
    let (Some(client_data_json), Some(authenticator_data), Some(signature)) =
        (r.client_data_json, r.authenticator_data, r.signature)
    else {
        return Err(SHAPE);
    };
    if kind != "public-key" {
        return Err(CodecError("credential type is not public-key"));
    }
    let (credential_id, raw_id) = raw_id;
    let credential_id = credential_id.ok_or(CodecError("rawId is not base64url"))?;
    // Canonical base64url has one spelling per value, so `id` holds the same bytes
    // exactly when it is the same text (and is decoded only as `rawId`).
    if id != raw_id {
        return Err(CodecError("id and rawId differ"));
    }
    let user_handle = match r.user_handle.flatten() {
        // An empty userHandle is the same as none (WebAuthn: user handles are 1 to 64 bytes).
        None => None,
        Some(Some(h)) if h.is_empty() => None,
        Some(h) => Some(h.ok_or(CodecError("userHandle is not base64url"))?),
    };
    Ok(PasskeyAssertion {
        credential_id,
        authenticator_data: authenticator_data
            .ok_or(CodecError("authenticatorData is not base64url"))?,
        client_data_json: client_data_json.ok_or(CodecError("clientDataJSON is not base64url"))?,
        signature: signature.ok_or(CodecError("signature is not base64url"))?,
        user_handle,
    })
}

/// The members of `response` read (decoded, `None` if not base64url), each `Some`
/// once seen.
#[derive(Default)]
struct ResponseFields {
    client_data_json: Option<Option<Vec<u8>>>,
    authenticator_data: Option<Option<Vec<u8>>>,
    signature: Option<Option<Vec<u8>>>,
    user_handle: Option<Option<Option<Vec<u8>>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 99, 60_000, 1_000_000_000, u32::MAX] {
            let mut out = b"x".to_vec();
            append_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}").as_bytes());
        }
    }

    #[test]
    fn options_round_trip() {
        let o = RequestOptions {
            rp_id: "ex\"ample.com".into(),
            challenge: vec![9; 32],
            timeout_ms: Some(60_000),
            allow_credentials: vec![vec![1], vec![2, 3]],
            user_verification: sasl_core::UserVerification::Required,
        };
        let m = o.encode(super::super::Codec::Json);
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

    /// serde_json's reading of an assertion, as this codec read it before it had its
    /// own reader: the oracle for the property below.
    fn serde_reading(message: &[u8]) -> Option<PasskeyAssertion> {
        use serde_json::{Map, Value};
        fn once(text: &str, key: &str) -> bool {
            // serde's derives refuse a member they read twice; `Value` keeps the last.
            text.matches(&format!("\"{key}\"")).count() <= 1
        }
        let text = core::str::from_utf8(message).ok()?;
        let v: Value = serde_json::from_str(text).ok()?;
        let top: &Map<String, Value> = v.as_object()?;
        let response = top.get("response")?.as_object()?;
        for key in [
            "id",
            "rawId",
            "type",
            "response",
            "clientDataJSON",
            "authenticatorData",
            "signature",
            "userHandle",
        ] {
            if !once(text, key) {
                return None;
            }
        }
        let string = |m: &Map<String, Value>, k: &str| m.get(k)?.as_str().map(str::to_owned);
        let (id, raw_id, kind) = (
            string(top, "id")?,
            string(top, "rawId")?,
            string(top, "type")?,
        );
        if kind != "public-key" || id != raw_id {
            return None;
        }
        let b64 = |t: &str| URL_SAFE_NO_PAD.decode(t).ok();
        let user_handle = match response.get("userHandle") {
            None | Some(Value::Null) => None,
            Some(Value::String(h)) if h.is_empty() => None,
            Some(Value::String(h)) => Some(b64(h)?),
            Some(_) => return None,
        };
        Some(PasskeyAssertion {
            credential_id: b64(&raw_id)?,
            authenticator_data: b64(&string(response, "authenticatorData")?)?,
            client_data_json: b64(&string(response, "clientDataJSON")?)?,
            signature: b64(&string(response, "signature")?)?,
            user_handle,
        })
    }

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;

    /// A member value: good base64url, bad base64url, escaped, null, a number, an object.
    fn member_value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[A-Za-z0-9_-]{0,12}".prop_map(|v| format!("\"{v}\"")),
            1 => "[A-Za-z0-9_=+/-]{0,6}".prop_map(|v| format!("\"{v}\"")),
            1 => Just("\"A\\u0051ID\"".to_owned()),
            1 => Just("\"AQ\\\"\"".to_owned()),
            1 => Just("null".to_owned()),
            1 => Just("7".to_owned()),
            1 => Just("{\"x\":[1,\"\\ud83d\\ude00\",{}]}".to_owned()),
            1 => Just("\"public-key\"".to_owned()),
        ]
    }

    fn members(names: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop::collection::vec((prop::sample::select(names), member_value()), 0..7).prop_map(|m| {
            m.into_iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The reader decodes exactly what serde_json did, on assertion-shaped JSON
        /// with members missing, repeated, null, escaped, of the wrong type or bad
        /// base64url.
        #[test]
        fn reads_as_serde_json_did(
            top in members(&["id", "rawId", "type", "extra"]),
            response in members(&["clientDataJSON", "authenticatorData", "signature", "userHandle", "other"]),
            base in prop::sample::select(vec![0usize, 1, 2]),
        ) {
            // Mostly start from a good assertion and add the generated members to it.
            let good = r#""id":"AQID","rawId":"AQID","type":"public-key""#;
            let good_response = r#""clientDataJSON":"e30","authenticatorData":"BA","signature":"BQ""#;
            let join = |a: &str, b: &str| [a, b].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(",");
            let (t, r) = match base {
                0 => (join(good, &top), response.clone()),
                1 => (good.to_owned(), join(good_response, &response)),
                _ => (top.clone(), response.clone()),
            };
            let message = format!(r#"{{{t},"response":{{{r}}}}}"#);
            prop_assert_eq!(decode_assertion(message.as_bytes()).ok(), serde_reading(message.as_bytes()), "{}", message);
        }
    }
}
