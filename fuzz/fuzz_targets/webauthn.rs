//! The WebAuthn structures a PASSKEY server parses outside a session, and the strict
//! CBOR codec under them (through `sasl_passkey::fuzzing`, built only under `--cfg
//! fuzzing`). Input: a selector byte (authenticatorData, COSE key, clientDataJSON,
//! stored credential record, CBOR), then the bytes. Beyond "no panic": whatever
//! parses is kept byte for byte. Authenticator data keeps its input and a credential
//! key that parses again to itself, a COSE key re-encodes to its input and verifies no
//! signature the fuzzer wrote, a credential record's text form is canonical (parse
//! then print gives the input), and strict CBOR round-trips both ways.
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
            let Ok(client) = ClientData::parse(body) else {
                return;
            };
            assert!(body.len() <= MAX_CLIENT_DATA_LEN);
            let _ = (
                client.ty(),
                client.challenge(),
                client.origin(),
                client.cross_origin(),
                client.top_origin(),
            );
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
