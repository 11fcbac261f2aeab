//! The software authenticator's key file.

use super::AuthenticatorError;
use super::push_json_string;
use super::software::{
    Credential, MAX_CREDENTIAL_ID, MAX_USER_HANDLE, SoftwareAuthenticator, supported_algorithm,
};
use crate::json_object::{self, Object};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::Secret;
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// The key file version this crate writes and reads.
const VERSION: u64 = 1;

const MALFORMED: AuthenticatorError =
    AuthenticatorError::KeyFile("malformed (not JSON, or a field missing, unknown or mistyped)");

impl SoftwareAuthenticator {
    /// The authenticator's origin and credentials, private keys included, as a key
    /// file (JSON, format version 1):
    ///
    /// ```json
    /// {"version":1,"origin":"https://imap.example.com","credentials":[
    ///   {"id":"<base64url>","rp_id":"example.com","user_handle":"<base64url>",
    ///    "user_name":"alice","alg":-7,"private_key_pkcs8":"<base64url>",
    ///    "sign_count":0,"counter":true,"backup_eligible":false,"backup_state":false}]}
    /// ```
    ///
    /// - `version`: `1`. Readers refuse other versions.
    /// - `origin`: the origin for `clientDataJSON`.
    /// - `credentials`, in the order they are tried: `id` (1 to 1023 bytes) and
    ///   `user_handle` (1 to 64 bytes) base64url without padding; `alg` the COSE
    ///   algorithm, `-7` (ES256) or `-8` (EdDSA, Ed25519); `private_key_pkcs8` the
    ///   private key, PKCS#8 DER, base64url without padding; `sign_count` the last
    ///   counter value; `counter` whether it advances; `backup_eligible` and
    ///   `backup_state` the BE and BS flags.
    ///
    /// All fields are required and no others are allowed. The user verification and
    /// presence knobs are not part of the file.
    ///
    /// The text is a [`Secret`]: written into one exactly sized buffer (no copy left
    /// behind by a reallocation) and zeroized on drop. Protect the file like a
    /// private key.
    pub fn to_key_file(&self) -> Secret<String> {
        let mut counter = Counter(0);
        // Writing to a counter or to a `String` cannot fail.
        let _ = self.write_key_file(&mut counter);
        let mut text = Secret::new(String::with_capacity(counter.0));
        let _ = self.write_key_file(text.expose_mut());
        text
    }

    fn write_key_file(&self, out: &mut impl fmt::Write) -> fmt::Result {
        write!(out, "{{\"version\":{VERSION},\"origin\":")?;
        push_json_string(out, &self.origin)?;
        out.write_str(",\"credentials\":[")?;
        for (i, c) in self.credentials.iter().enumerate() {
            if i > 0 {
                out.write_char(',')?;
            }
            write!(
                out,
                "{{\"id\":\"{}\",\"rp_id\":",
                URL_SAFE_NO_PAD.encode(&c.id)
            )?;
            push_json_string(out, &c.rp_id)?;
            write!(
                out,
                ",\"user_handle\":\"{}\",\"user_name\":",
                URL_SAFE_NO_PAD.encode(&c.user_handle)
            )?;
            push_json_string(out, &c.user_name)?;
            let key = Zeroizing::new(URL_SAFE_NO_PAD.encode(c.pkcs8.as_slice()));
            write!(
                out,
                ",\"alg\":{},\"private_key_pkcs8\":\"{}\",\"sign_count\":{},\"counter\":{},\
                 \"backup_eligible\":{},\"backup_state\":{}}}",
                c.alg.cose_id(),
                key.as_str(),
                c.sign_count,
                c.counter,
                c.backup_eligible,
                c.backup_state
            )?;
        }
        out.write_str("]}")
    }

    /// Reads a key file written by [`to_key_file`](Self::to_key_file). Strict: an
    /// unknown version, unknown or missing fields, bad base64url, ids or user handles
    /// out of range, duplicate credential ids, an unsupported `alg` and a private key
    /// that is not a key of its `alg` are refused. The authenticator starts with the
    /// default knobs (user verified, user present, counting, no backup flags for new
    /// credentials).
    ///
    /// # Errors
    ///
    /// [`AuthenticatorError::KeyFile`] saying what is wrong.
    pub fn from_key_file(text: &str) -> Result<Self, AuthenticatorError> {
        #[derive(Deserialize)]
        struct Probe {
            version: serde_json::Value,
        }
        let probe: Probe = json_object::from_slice(text.as_bytes()).map_err(|_| MALFORMED)?;
        if probe.version.as_u64() != Some(VERSION) {
            return Err(AuthenticatorError::KeyFile("unsupported version"));
        }
        let file: FileV1 = json_object::from_slice(text.as_bytes()).map_err(|_| MALFORMED)?;
        if file.origin.is_empty() {
            return Err(AuthenticatorError::KeyFile("empty origin"));
        }
        let mut credentials: Vec<Credential> = Vec::with_capacity(file.credentials.len());
        for Object(c) in file.credentials {
            let id = decode(&c.id, "id is not base64url")?;
            if id.is_empty() || id.len() > MAX_CREDENTIAL_ID {
                return Err(AuthenticatorError::KeyFile("id must be 1 to 1023 bytes"));
            }
            if credentials.iter().any(|other| other.id == id) {
                return Err(AuthenticatorError::KeyFile("duplicate credential id"));
            }
            if c.rp_id.is_empty() {
                return Err(AuthenticatorError::KeyFile("empty rp_id"));
            }
            let user_handle = decode(&c.user_handle, "user_handle is not base64url")?;
            if user_handle.is_empty() || user_handle.len() > MAX_USER_HANDLE {
                return Err(AuthenticatorError::KeyFile(
                    "user_handle must be 1 to 64 bytes",
                ));
            }
            let alg =
                supported_algorithm(c.alg).ok_or(AuthenticatorError::KeyFile("unsupported alg"))?;
            let pkcs8 = c.private_key_pkcs8.0.ok_or(AuthenticatorError::KeyFile(
                "private_key_pkcs8 is not base64url",
            ))?;
            credentials.push(Credential::new(
                id,
                c.rp_id,
                user_handle,
                c.user_name,
                alg,
                pkcs8,
                c.sign_count,
                c.counter,
                c.backup_eligible,
                c.backup_state,
            )?);
        }
        Ok(SoftwareAuthenticator::with_credentials(
            file.origin,
            credentials,
        ))
    }
}

fn decode(text: &str, error: &'static str) -> Result<Vec<u8>, AuthenticatorError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| AuthenticatorError::KeyFile(error))
}

/// Counts the bytes written.
struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    #[allow(dead_code)]
    version: u64,
    origin: String,
    credentials: Vec<Object<CredentialV1>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialV1 {
    id: String,
    rp_id: String,
    user_handle: String,
    user_name: String,
    alg: i64,
    private_key_pkcs8: Pkcs8Field,
    sign_count: u32,
    counter: bool,
    backup_eligible: bool,
    backup_state: bool,
}

/// The private key, decoded straight from the JSON text into a zeroized buffer
/// (`None`: not base64url). A key written with JSON escapes passes through
/// serde_json's scratch buffer, which is not zeroized; [`to_key_file`] never writes
/// escapes there.
///
/// [`to_key_file`]: SoftwareAuthenticator::to_key_file
struct Pkcs8Field(Option<Zeroizing<Vec<u8>>>);

impl<'de> Deserialize<'de> for Pkcs8Field {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Pkcs8Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64url string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Pkcs8Field, E> {
                let mut key = Zeroizing::new(vec![0u8; v.len()]);
                Ok(Pkcs8Field(
                    match URL_SAFE_NO_PAD.decode_slice(v, &mut key[..]) {
                        Ok(len) => {
                            key.truncate(len);
                            Some(key)
                        }
                        Err(_) => None,
                    },
                ))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AssertionOptions, Attestation, Authenticator, RegistrationOptions};
    use super::*;
    use proptest::prelude::*;

    fn sample() -> SoftwareAuthenticator {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com").with_backup(true, true);
        a.register(&RegistrationOptions::new(
            "example.com",
            b"user-1".to_vec(),
            "alice",
            [1; 32],
        ))
        .unwrap();
        a.register(
            &RegistrationOptions::new("example.com", b"user-2".to_vec(), "bob \"b\"", [2; 32])
                .with_algorithms(vec![-8])
                .with_attestation(Attestation::PackedSelf),
        )
        .unwrap();
        a
    }

    #[test]
    fn round_trip() {
        let mut a = sample();
        a.get_assertion(&AssertionOptions::new("example.com", [3; 32]))
            .unwrap();
        let text = a.to_key_file();
        assert_eq!(text.expose().len(), text.expose().capacity());
        let mut b = SoftwareAuthenticator::from_key_file(text.expose()).unwrap();
        assert_eq!(a.credentials(), b.credentials());
        assert_eq!(b.origin(), "https://imap.example.com");
        assert_eq!(b.credentials()[0].sign_count, 1);
        assert_eq!(b.credentials()[1].user_name, "bob \"b\"");
        // The keys survived: the same public keys, and the counter goes on.
        let assertion = b
            .get_assertion(&AssertionOptions::new("example.com", [4; 32]))
            .unwrap();
        assert_eq!(&assertion.authenticator_data[33..37], &[0, 0, 0, 2]);
        assert_eq!(b.to_key_file().expose().len(), text.expose().len());
    }

    #[test]
    fn strict() {
        let text = sample().to_key_file();
        let good = text.expose();
        let v: serde_json::Value = serde_json::from_str(good).unwrap();
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = v.clone();
            f(&mut v);
            SoftwareAuthenticator::from_key_file(&v.to_string()).unwrap_err()
        };
        assert_eq!(
            with(&|v| v["version"] = 2.into()),
            AuthenticatorError::KeyFile("unsupported version")
        );
        assert_eq!(
            with(&|v| v["version"] = "1".into()),
            AuthenticatorError::KeyFile("unsupported version")
        );
        assert_eq!(with(&|v| v["extra"] = 1.into()), MALFORMED);
        assert_eq!(
            with(&|v| v["credentials"][0]["extra"] = 1.into()),
            MALFORMED
        );
        assert_eq!(
            with(&|v| {
                v["credentials"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("counter");
            }),
            MALFORMED
        );
        // An ES256 key labelled EdDSA, and the other way round.
        let mismatch = AuthenticatorError::KeyFile("the private key is not a key of its alg");
        assert_eq!(
            with(&|v| v["credentials"][0]["alg"] = (-8).into()),
            mismatch
        );
        assert_eq!(
            with(&|v| v["credentials"][1]["alg"] = (-7).into()),
            mismatch
        );
        assert_eq!(
            with(&|v| v["credentials"][0]["alg"] = (-257).into()),
            AuthenticatorError::KeyFile("unsupported alg")
        );
        assert_eq!(
            with(&|v| v["credentials"][0]["private_key_pkcs8"] = "AAAA".into()),
            mismatch
        );
        assert_eq!(
            with(&|v| v["credentials"][0]["private_key_pkcs8"] = "a+b/".into()),
            AuthenticatorError::KeyFile("private_key_pkcs8 is not base64url")
        );
        assert_eq!(
            with(&|v| v["credentials"][0]["id"] = "AAA=".into()),
            AuthenticatorError::KeyFile("id is not base64url")
        );
        assert_eq!(
            with(&|v| v["credentials"][1]["id"] = v["credentials"][0]["id"].clone()),
            AuthenticatorError::KeyFile("duplicate credential id")
        );
        assert_eq!(
            with(&|v| v["credentials"][0]["user_handle"] = "".into()),
            AuthenticatorError::KeyFile("user_handle must be 1 to 64 bytes")
        );
        assert_eq!(
            with(&|v| v["credentials"][0]["sign_count"] = (1u64 << 32).into()),
            MALFORMED
        );
        assert_eq!(
            with(&|v| v["origin"] = "".into()),
            AuthenticatorError::KeyFile("empty origin")
        );
        assert_eq!(
            SoftwareAuthenticator::from_key_file("").unwrap_err(),
            MALFORMED
        );
        // Empty credential list is fine.
        let empty = SoftwareAuthenticator::from_key_file(
            r#"{"version":1,"origin":"https://x.example","credentials":[]}"#,
        )
        .unwrap();
        assert!(empty.credentials().is_empty());
        // The same members in an array (which serde's derive alone would read).
        assert_eq!(
            SoftwareAuthenticator::from_key_file(r#"[1,"https://x.example",[]]"#).unwrap_err(),
            MALFORMED
        );
    }

    #[test]
    fn debug_redacts_keys() {
        let a = sample();
        let text = a.to_key_file();
        let v: serde_json::Value = serde_json::from_str(text.expose()).unwrap();
        let debug = format!("{a:?}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(debug.contains("alice"), "{debug}");
        for c in v["credentials"].as_array().unwrap() {
            let key = c["private_key_pkcs8"].as_str().unwrap();
            assert!(!debug.contains(key));
            // Not even a hex or base64 fragment of the key.
            let raw = URL_SAFE_NO_PAD.decode(key).unwrap();
            let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            assert!(!debug.contains(&hex[hex.len() - 32..]));
            assert!(!debug.contains(&key[key.len() - 20..]));
        }
        assert!(!format!("{text:?}").contains("private_key_pkcs8"));
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in ".*") {
            let _ = SoftwareAuthenticator::from_key_file(&s);
        }

        #[test]
        fn mutated_file_never_panics(pos in 0usize..2000, byte in any::<u8>()) {
            thread_local! {
                static GOOD: String = sample().to_key_file().expose().clone();
            }
            let mut bytes = GOOD.with(|g| g.as_bytes().to_vec());
            let len = bytes.len();
            bytes[pos % len] = byte;
            if let Ok(s) = std::str::from_utf8(&bytes) {
                let _ = SoftwareAuthenticator::from_key_file(s);
            }
        }
    }
}
