//! The WebAuthn structures a PASSKEY server parses outside a session, and the strict
//! CBOR codec under them (through `sasl_passkey::fuzzing`, built only under `--cfg
//! fuzzing`). Input: a selector byte (authenticatorData, COSE key, clientDataJSON,
//! stored credential record, CBOR), then the bytes. Beyond "no panic": whatever
//! parses is kept byte for byte. Authenticator data keeps its input and a credential
//! key that parses again to itself, a COSE key re-encodes to its input and verifies no
//! signature the fuzzer wrote, a credential record's text form is canonical (parse
//! then print gives the input), strict CBOR round-trips both ways, and clientDataJSON
//! reads as serde_json reads it (the crate's own JSON reader against serde_json).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_passkey::fuzzing::{decode, encode};
use sasl_passkey::webauthn::{
    AuthenticatorData, ClientData, CoseKey, CredentialRecord, MAX_AUTHENTICATOR_DATA_LEN,
    MAX_CLIENT_DATA_LEN, MAX_CREDENTIAL_ID_LEN,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => {
            let Ok(auth) = AuthenticatorData::parse(body) else {
                return;
            };
            assert!(body.len() <= MAX_AUTHENTICATOR_DATA_LEN);
            assert_eq!(auth.as_bytes(), body);
            assert_eq!(&body[..32], auth.rp_id_hash());
            assert_eq!(body[32], auth.flags().bits());
            assert_eq!(
                auth.attested_credential_data().is_some(),
                auth.flags().attested_credential_data()
            );
            assert_eq!(auth.extensions().is_some(), auth.flags().extension_data());
            if let Some(attested) = auth.attested_credential_data() {
                let id = attested.credential_id();
                assert!(!id.is_empty() && id.len() <= MAX_CREDENTIAL_ID_LEN);
                let key = attested.public_key();
                assert_eq!(key.as_cbor(), attested.public_key_bytes());
                assert_eq!(CoseKey::from_cbor(key.as_cbor()).ok().as_ref(), Some(key));
            }
        }
        1 => {
            let Ok(key) = CoseKey::from_cbor(body) else {
                return;
            };
            assert_eq!(key.as_cbor(), body);
            assert_eq!(CoseKey::from_cbor(&key.to_cbor()).ok().as_ref(), Some(&key));
            assert!(
                key.verify(b"message", body).is_err(),
                "the key's own bytes verified as a signature"
            );
            assert!(key.verify(body, &[0; 64]).is_err());
        }
        2 => {
            let ours = ClientData::parse(body);
            if ours.is_ok() {
                assert!(body.len() <= MAX_CLIENT_DATA_LEN);
            }
            same_as_serde_json(body, ours.ok());
        }
        3 => {
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            let Ok(record) = CredentialRecord::from_text(text) else {
                return;
            };
            assert_eq!(
                record.to_text(),
                text,
                "a record's text form is not canonical"
            );
            assert_eq!(
                CredentialRecord::from_text(&record.to_text()).ok().as_ref(),
                Some(&record)
            );
        }
        _ => {
            let Ok(item) = decode(body) else {
                return;
            };
            let encoded = encode(&item);
            assert_eq!(
                encoded, body,
                "strict CBOR decoded from a non-canonical form"
            );
            assert_eq!(decode(&encoded).ok().as_ref(), Some(&item));
        }
    }
});

/// The crate's JSON reader against serde_json on the same clientDataJSON: the same
/// verdict and the same members, but for what serde_json's `Value` reads differently
/// on purpose (an unpaired surrogate escape in a member nobody reads, which the
/// reader lets through as serde_json's own skipping does; a member read twice, which
/// `Value` keeps the last of).
fn same_as_serde_json(body: &[u8], ours: Option<ClientData<'_>>) {
    use serde_json::Value;
    let text = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let value: Option<Value> = serde_json::from_slice(text).ok();
    let read = ["type", "challenge", "origin", "crossOrigin", "topOrigin"];
    let once = |k: &str| {
        let key = format!("\"{k}\"");
        text.windows(key.len()).filter(|w| *w == key.as_bytes()).count() <= 1
    };
    let plain = !text.windows(2).any(|w| w == b"\\u") && read.iter().all(|k| once(k));
    let theirs = value.as_ref().and_then(|v| {
        let m = v.as_object()?;
        let string = |k: &str| match m.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => None,
        };
        let cross = match m.get("crossOrigin") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return None,
        };
        let challenge = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            string("challenge")??,
        )
        .ok()?;
        Some((string("type")??, challenge, string("origin")??, cross, string("topOrigin")?))
    });
    let ours = ours.map(|c| {
        (
            c.ty().to_owned(),
            c.challenge().to_vec(),
            c.origin().to_owned(),
            c.cross_origin(),
            c.top_origin().map(str::to_owned),
        )
    });
    if plain && body.len() <= MAX_CLIENT_DATA_LEN {
        assert_eq!(ours, theirs, "clientDataJSON read unlike serde_json");
    } else if let (Some(ours), Some(theirs)) = (&ours, &theirs) {
        if read.iter().all(|k| once(k)) {
            assert_eq!(ours, theirs);
        }
    }
}
