//! `CertificateIdentity` against the openssl-made fixtures of `tests/data/make.sh`:
//! SPKI hashes computed by openssl alone (`expected.txt`), key types, the key
//! policy, email addresses, and strict, panic-free parsing of broken input.
// Test helpers outside #[test] functions are not covered by clippy.toml's
// allow-*-in-tests settings; failing loudly is what a test helper should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use proptest::prelude::*;
use sasl_external::{CertificateError, CertificateIdentity, KeyPolicy, KeyType, WeakKey};

fn read(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// One line of expected.txt: file, mox key type, hex SHA-256 of the SPKI.
struct Expected {
    file: String,
    key_type: String,
    spki_sha256: String,
}

fn expected() -> Vec<Expected> {
    let text = String::from_utf8(read("expected.txt")).unwrap();
    let rows: Vec<Expected> = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "bad line in expected.txt: {line}");
            Expected {
                file: fields[0].to_owned(),
                key_type: fields[1].to_owned(),
                spki_sha256: fields[2].to_owned(),
            }
        })
        .collect();
    assert_eq!(rows.len(), 9, "expected.txt lists every fixture");
    rows
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn identity(file: &str) -> CertificateIdentity {
    CertificateIdentity::from_der(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn spki_sha256_matches_openssl_for_every_fixture() {
    for row in expected() {
        let id = identity(&row.file);
        assert_eq!(hex(&id.spki_sha256()), row.spki_sha256, "{}", row.file);
        assert_eq!(id.key_type().to_string(), row.key_type, "{}", row.file);
    }
}

#[test]
fn key_types_and_rsa_bits() {
    let cases = [
        ("ecdsa-p256.der", KeyType::EcdsaP256),
        ("ecdsa-p384.der", KeyType::EcdsaP384),
        ("ecdsa-p521.der", KeyType::EcdsaP521),
        ("ed25519.der", KeyType::Ed25519),
        ("ed448.der", KeyType::Ed448),
        ("rsa-2048.der", KeyType::Rsa { bits: 2048 }),
        ("rsa-1024.der", KeyType::Rsa { bits: 1024 }),
        ("dsa.der", KeyType::Other),
        ("email.der", KeyType::EcdsaP256),
    ];
    for (file, kind) in cases {
        assert_eq!(identity(file).key_type(), kind, "{file}");
    }
}

#[test]
fn key_type_names_are_mox_names() {
    let names = [
        (KeyType::Rsa { bits: 2048 }, "rsa-2048"),
        (KeyType::Rsa { bits: 4096 }, "rsa-4096"),
        (KeyType::EcdsaP256, "ecdsa-p256"),
        (KeyType::EcdsaP384, "ecdsa-p384"),
        (KeyType::EcdsaP521, "ecdsa-p521"),
        (KeyType::Ed25519, "ed25519"),
        (KeyType::Ed448, "ed448"),
        (KeyType::Other, "other"),
    ];
    for (kind, name) in names {
        assert_eq!(kind.to_string(), name);
    }
}

#[test]
fn default_policy_refuses_rsa_1024_and_dsa_and_accepts_the_rest() {
    let policy = KeyPolicy::default();
    assert_eq!(policy, KeyPolicy::new());
    assert_eq!(policy.min_rsa_bits, 2048);
    for row in expected() {
        let verdict = identity(&row.file).check_key(&policy);
        if row.file == "rsa-1024.der" {
            let weak = verdict.unwrap_err();
            assert_eq!(
                weak,
                WeakKey::RsaTooShort {
                    bits: 1024,
                    min_bits: 2048
                }
            );
            let message = weak.to_string();
            assert!(
                message.contains("1024") && message.contains("2048"),
                "{message}"
            );
            assert!(message.contains("weak"), "{message}");
            let _: &dyn std::error::Error = &weak;
        } else if row.file == "dsa.der" {
            assert_eq!(verdict, Err(WeakKey::UnsupportedKeyType));
        } else {
            assert_eq!(verdict, Ok(()), "{}", row.file);
        }
    }
}

#[test]
fn policy_minimum_is_configurable() {
    let lenient = KeyPolicy::new().with_min_rsa_bits(1024);
    assert_eq!(identity("rsa-1024.der").check_key(&lenient), Ok(()));
    let strict = KeyPolicy::new().with_min_rsa_bits(3072);
    assert!(matches!(
        identity("rsa-2048.der").check_key(&strict),
        Err(WeakKey::RsaTooShort {
            bits: 2048,
            min_bits: 3072
        })
    ));
    assert_eq!(identity("ed25519.der").check_key(&strict), Ok(()));
    // Unknown key types are never acceptable.
    assert_eq!(
        lenient.check(KeyType::Other),
        Err(WeakKey::UnsupportedKeyType)
    );
    assert!(
        WeakKey::UnsupportedKeyType
            .to_string()
            .contains("unsupported key type")
    );
}

#[test]
fn email_addresses_san_first_then_subject() {
    assert_eq!(
        identity("email.der").email_addresses(),
        ["alice@example.org", "alice@example.net"]
    );
    assert!(identity("ecdsa-p256.der").email_addresses().is_empty());
}

#[test]
fn email_addresses_are_deduplicated() {
    // rcgen can put the same address in both places, which openssl's fixture does not.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.subject_alt_names = vec![
        rcgen::SanType::Rfc822Name("bob@example.org".try_into().unwrap()),
        rcgen::SanType::DnsName("bob.example.org".try_into().unwrap()),
        rcgen::SanType::Rfc822Name("bob@example.com".try_into().unwrap()),
    ];
    params.distinguished_name.push(
        rcgen::DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
        rcgen::DnValue::Ia5String("bob@example.org".try_into().unwrap()),
    );
    let cert = params.self_signed(&key).unwrap();
    let id = CertificateIdentity::from_der(cert.der()).unwrap();
    assert_eq!(id.email_addresses(), ["bob@example.org", "bob@example.com"]);
    assert_eq!(id.key_type(), KeyType::EcdsaP256);
}

#[test]
fn subject_email_as_utf8string_counts_and_other_string_types_do_not() {
    // PKCS #9 says IA5String; some issuers write UTF8String. A BMPString is skipped.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    let email = rcgen::DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]);
    params.distinguished_name.push(
        email.clone(),
        rcgen::DnValue::Utf8String("carol@example.org".into()),
    );
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        rcgen::DnValue::Utf8String("Carol".into()),
    );
    let cert = params.self_signed(&key).unwrap();
    let id = CertificateIdentity::from_der(cert.der()).unwrap();
    assert_eq!(id.email_addresses(), ["carol@example.org"]);

    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(
        email,
        rcgen::DnValue::BmpString("dave@example.org".try_into().unwrap()),
    );
    let cert = params.self_signed(&key).unwrap();
    let id = CertificateIdentity::from_der(cert.der()).unwrap();
    assert!(id.email_addresses().is_empty());
}

#[test]
fn email_collection_is_bounded() {
    // A certificate is parsed before its sender proves it holds the key: thousands of
    // names must not cost more than a few (the first 32 distinct ones are kept).
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.subject_alt_names = (0..3000)
        .map(|i| rcgen::SanType::Rfc822Name(format!("u{i}@x").try_into().unwrap()))
        .collect();
    let cert = params.self_signed(&key).unwrap();
    let id = CertificateIdentity::from_der(cert.der()).unwrap();
    assert_eq!(id.email_addresses().len(), 32);
    assert_eq!(
        id.email_addresses().first().map(String::as_str),
        Some("u0@x")
    );
    assert_eq!(
        id.email_addresses().last().map(String::as_str),
        Some("u31@x")
    );
}

#[test]
fn fingerprint_is_base64url_without_padding_of_the_spki_hash() {
    use base64::Engine as _;
    for row in expected() {
        let id = identity(&row.file);
        let fingerprint = id.fingerprint();
        assert_eq!(fingerprint.len(), 43, "{}", row.file);
        assert!(
            fingerprint
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{fingerprint}"
        );
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&fingerprint)
            .unwrap();
        assert_eq!(hex(&decoded), row.spki_sha256);
    }
}

#[test]
fn empty_input_is_refused() {
    assert_eq!(
        CertificateIdentity::from_der(&[]),
        Err(CertificateError::Empty)
    );
}

#[test]
fn every_truncation_is_refused() {
    let cert = read("rsa-2048.der");
    for len in 1..cert.len() {
        let err = CertificateIdentity::from_der(&cert[..len]).unwrap_err();
        assert!(
            matches!(err, CertificateError::Malformed { .. }),
            "truncated to {len}: {err:?}"
        );
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut cert = read("ed25519.der");
    cert.extend_from_slice(b"\0\0garbage");
    assert_eq!(
        CertificateIdentity::from_der(&cert),
        Err(CertificateError::TrailingData { extra: 9 })
    );
    // Even a second, complete certificate.
    let mut two = read("ed25519.der");
    two.extend_from_slice(&read("ed448.der"));
    assert!(matches!(
        CertificateIdentity::from_der(&two),
        Err(CertificateError::TrailingData { .. })
    ));
}

#[test]
fn der_that_is_not_a_certificate_is_refused() {
    // SEQUENCE { INTEGER 1, INTEGER 2 }
    let err = CertificateIdentity::from_der(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02])
        .unwrap_err();
    assert!(
        matches!(err, CertificateError::NotACertificate { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("not an X.509 certificate"),
        "{err}"
    );
    // An INTEGER alone.
    assert!(matches!(
        CertificateIdentity::from_der(&[0x02, 0x01, 0x05]),
        Err(CertificateError::NotACertificate { .. })
    ));
    // A private key is a SEQUENCE too.
    assert!(matches!(
        CertificateIdentity::from_der(&read("ecdsa-p256.key.der")),
        Err(CertificateError::NotACertificate { .. })
    ));
    // PEM is not DER.
    assert!(CertificateIdentity::from_der(b"-----BEGIN CERTIFICATE-----\n").is_err());
}

#[test]
fn ber_encodings_are_refused() {
    // The outer SEQUENCE with an indefinite length (BER), content unchanged.
    let cert = read("ecdsa-p256.der");
    assert_eq!(cert[1], 0x82, "fixture has a two-byte length");
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(&cert[4..]);
    ber.extend_from_slice(&[0, 0]);
    assert!(matches!(
        CertificateIdentity::from_der(&ber),
        Err(CertificateError::Malformed { .. })
    ));
    // The same length in a non-minimal form (0x83 00 LL LL).
    let mut long = vec![0x30, 0x83, 0x00, cert[2], cert[3]];
    long.extend_from_slice(&cert[4..]);
    assert!(matches!(
        CertificateIdentity::from_der(&long),
        Err(CertificateError::Malformed { .. })
    ));
}

#[test]
fn oversized_input_is_refused_without_parsing() {
    // Exactly 64 KiB is parsed: a 50-byte SEQUENCE (30 30 ...) and trailing bytes.
    // One byte more is refused before parsing.
    assert_eq!(
        CertificateIdentity::from_der(&vec![0x30; 64 * 1024]),
        Err(CertificateError::TrailingData {
            extra: 64 * 1024 - 50
        })
    );
    let big = vec![0x30; 64 * 1024 + 1];
    assert_eq!(
        CertificateIdentity::from_der(&big),
        Err(CertificateError::TooLarge {
            len: 64 * 1024 + 1,
            max: 64 * 1024
        })
    );
}

#[test]
fn error_messages_do_not_echo_the_input() {
    let mut cert = read("email.der");
    let at = cert.len() / 2;
    cert[at] ^= 0xff;
    if let Err(err) = CertificateIdentity::from_der(&cert) {
        let message = err.to_string();
        assert!(!message.contains("alice"), "{message}");
        assert!(message.len() < 200, "{message}");
    }
}

/// `cert` with the one occurrence of `from` replaced by `to` (same length, so the
/// DER stays well-formed; the signature is not checked by the parser).
fn patched(cert: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at: Vec<usize> = cert
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "pattern occurs once");
    let mut out = cert.to_vec();
    out[at[0]..at[0] + to.len()].copy_from_slice(to);
    out
}

#[test]
fn undecodable_keys_are_refused() {
    let invalid = |cert: &[u8]| match CertificateIdentity::from_der(cert) {
        Err(CertificateError::InvalidKey { detail }) => detail,
        other => panic!("not an invalid key: {other:?}"),
    };
    // RSA public exponent 65536 (even) instead of 65537.
    let rsa = read("rsa-2048.der");
    let even = patched(
        &rsa,
        &[0x02, 0x03, 0x01, 0x00, 0x01],
        &[0x02, 0x03, 0x01, 0x00, 0x00],
    );
    assert!(invalid(&even).contains("exponent"));
    // RSA modulus as a negative INTEGER (its sign byte dropped is not possible at the
    // same length; flip the sign byte instead): not a DER RSAPublicKey.
    let negative = patched(
        &rsa,
        &[0x02, 0x82, 0x01, 0x01, 0x00],
        &[0x02, 0x82, 0x01, 0x01, 0xff],
    );
    assert!(invalid(&negative).contains("RSAPublicKey"));
    // P-256 point with an unknown form byte.
    let p256 = read("ecdsa-p256.der");
    let bad_point = patched(&p256, &[0x03, 0x42, 0x00, 0x04], &[0x03, 0x42, 0x00, 0x05]);
    assert!(invalid(&bad_point).contains("EC point"));
    // A BIT STRING with unused bits.
    let unused = patched(&p256, &[0x03, 0x42, 0x00, 0x04], &[0x03, 0x42, 0x01, 0x04]);
    assert!(invalid(&unused).contains("unused bits"));
    // Ed25519 OID on a key of the wrong length: relabel the Ed448 key as Ed25519.
    let ed448 = read("ed448.der");
    let relabeled = patched(
        &ed448,
        &[0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71],
        &[0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70],
    );
    assert!(invalid(&relabeled).contains("Ed25519"));
    assert!(
        CertificateError::InvalidKey { detail: "x" }
            .to_string()
            .starts_with("the certificate's public key does not decode")
    );
}

fn fixtures() -> Vec<Vec<u8>> {
    expected().iter().map(|row| read(&row.file)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = CertificateIdentity::from_der(&bytes);
    }

    #[test]
    fn arbitrary_bytes_in_a_sequence_never_panic(body in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut bytes = vec![0x30, body.len() as u8];
        bytes.extend_from_slice(&body);
        let _ = CertificateIdentity::from_der(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..9,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut cert = fixtures().swap_remove(which);
        for (index, byte, op) in edits {
            if cert.is_empty() {
                break;
            }
            let at = index.index(cert.len());
            match op {
                0 => cert[at] = byte,
                1 => { cert.remove(at); }
                _ => cert.insert(at, byte),
            }
        }
        if let Ok(id) = CertificateIdentity::from_der(&cert) {
            // Whatever parses gives consistent answers.
            prop_assert_eq!(id.fingerprint().len(), 43);
            let _ = id.check_key(&KeyPolicy::default());
        }
    }
}
