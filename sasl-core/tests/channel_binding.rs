//! Tests of the public channel-binding API against real certificates made by
//! `tests/data/certs/make.sh` (openssl), whose expected hashes were computed
//! by `openssl dgst`, not by this crate.

// Test helpers outside #[test] functions are not covered by clippy.toml's
// allow-*-in-tests settings; failing loudly is what a test helper should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sasl_core::channel_binding::{
    ChannelBinding, ChannelBindingType, EndPointErrorKind, TLS_EXPORTER_CONTEXT,
    TLS_EXPORTER_LABEL, TLS_EXPORTER_LENGTH, tls_server_end_point,
};

fn certs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/certs")
}

fn read_cert(name: &str) -> Vec<u8> {
    std::fs::read(certs_dir().join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd-length hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `(file, hash name, hex)` lines from expected.txt.
fn expectations() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(certs_dir().join("expected.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "bad expected.txt line: {l}");
            (
                parts[0].to_owned(),
                parts[1].to_owned(),
                parts[2].to_owned(),
            )
        })
        .collect()
}

fn all_cert_files() -> Vec<Vec<u8>> {
    expectations()
        .iter()
        .map(|(f, _, _)| read_cert(f))
        .collect()
}

#[test]
fn fixtures_cover_every_algorithm_family() {
    let files: Vec<String> = expectations().into_iter().map(|(f, _, _)| f).collect();
    for wanted in [
        "rsa-sha256.der",
        "rsa-sha384.der",
        "rsa-sha512.der",
        "rsa-sha224.der",
        "rsa-sha1.der",
        "rsa-md5.der",
        "rsa-pss-sha256.der",
        "rsa-pss-sha384.der",
        "rsa-pss-default.der",
        "ecdsa-p256-sha256.der",
        "ecdsa-p384-sha384.der",
        "ecdsa-p521-sha512.der",
        "ecdsa-p256-sha224.der",
        "ecdsa-p256-sha1.der",
        "dsa-sha256.der",
        "dsa-sha1.der",
        "ed25519.der",
        "ed448.der",
        "tls-leaf.der",
        "tls-ed25519-leaf.der",
    ] {
        assert!(
            files.iter().any(|f| f == wanted),
            "expected.txt lacks {wanted}"
        );
    }
}

#[test]
fn real_certificates_match_openssl_dgst() {
    for (file, hash, expected_hex) in expectations() {
        let der = read_cert(&file);
        let result = tls_server_end_point(&der);
        if hash == "none" {
            let err = result.expect_err(&file);
            assert_eq!(
                err.kind(),
                EndPointErrorKind::NoHashAlgorithm,
                "{file}: {err}"
            );
            continue;
        }
        let cb = result.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(cb.kind(), ChannelBindingType::TlsServerEndPoint);
        let expected_len = match hash.as_str() {
            "sha224" => 28,
            "sha256" => 32,
            "sha384" => 48,
            "sha512" => 64,
            other => panic!("unexpected hash {other} in expected.txt"),
        };
        assert_eq!(cb.data().len(), expected_len, "{file}: wrong hash length");
        assert_eq!(hex(cb.data()), expected_hex, "{file}");
    }
}

#[test]
fn eddsa_errors_name_the_algorithm() {
    for (file, oid, name) in [
        ("ed25519.der", "1.3.101.112", "Ed25519"),
        ("ed448.der", "1.3.101.113", "Ed448"),
    ] {
        let err = tls_server_end_point(&read_cert(file)).unwrap_err();
        assert_eq!(err.kind(), EndPointErrorKind::NoHashAlgorithm);
        assert_eq!(err.algorithm_oid(), Some(oid));
        let msg = err.to_string();
        assert!(msg.contains(oid) && msg.contains(name), "{msg}");
        let _: &dyn std::error::Error = &err;
    }
}

/// Rewrites the last byte of the outer signatureAlgorithm OID of a real
/// certificate to make an algorithm this crate does not know.
#[test]
fn unknown_signature_algorithm_names_its_oid() {
    let mut der = read_cert("rsa-sha256.der");
    let sha256_with_rsa = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B,
    ];
    // The outer signatureAlgorithm is the last occurrence (the first is the
    // copy inside tbsCertificate).
    let pos = der
        .windows(sha256_with_rsa.len())
        .rposition(|w| w == sha256_with_rsa)
        .unwrap();
    der[pos + sha256_with_rsa.len() - 1] = 0x0F; // 1.2.840.113549.1.1.15
    let err = tls_server_end_point(&der).unwrap_err();
    assert_eq!(err.kind(), EndPointErrorKind::UnknownAlgorithm);
    assert_eq!(err.algorithm_oid(), Some("1.2.840.113549.1.1.15"));
    assert!(err.to_string().contains("1.2.840.113549.1.1.15"), "{err}");
}

#[test]
fn trailing_data_and_empty_input_are_malformed() {
    let mut der = read_cert("ecdsa-p256-sha256.der");
    der.push(0);
    let err = tls_server_end_point(&der).unwrap_err();
    assert_eq!(err.kind(), EndPointErrorKind::Malformed);
    assert!(err.to_string().contains("trailing"), "{err}");
    assert_eq!(
        tls_server_end_point(&[]).unwrap_err().kind(),
        EndPointErrorKind::Malformed
    );
    assert_eq!(err.algorithm_oid(), None);
}

#[test]
fn scram_vector_certificate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs/scram_vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for case in json["positive"].as_array().unwrap() {
        let (Some(cert_hex), Some(cb_hex)) = (
            case["certificate_der_hex"].as_str(),
            case["cbind_data_hex"].as_str(),
        ) else {
            continue;
        };
        assert_eq!(
            case["gs2_header"].as_str(),
            Some("p=tls-server-end-point,,")
        );
        let cb = tls_server_end_point(&unhex(cert_hex)).unwrap();
        assert_eq!(hex(cb.data()), cb_hex, "{}", case["label"]);
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no tls-server-end-point certificate vector found"
    );
    // The value the task statement quotes, to catch the JSON changing under us.
    let quoted = "68ff927708f5d229252ffe4a1c6842c11998d1e1fa2b46138bb5642eff9b161b";
    assert!(text.contains(quoted));
}

#[test]
fn type_names_round_trip() {
    let all = [
        (ChannelBindingType::TlsUnique, "tls-unique"),
        (
            ChannelBindingType::TlsServerEndPoint,
            "tls-server-end-point",
        ),
        (ChannelBindingType::TlsExporter, "tls-exporter"),
    ];
    for (kind, name) in all {
        assert_eq!(kind.name(), name);
        assert_eq!(kind.to_string(), name);
        assert_eq!(ChannelBindingType::from_name(name), Some(kind));
    }
    for bad in [
        "",
        "tls-Unique",
        "TLS-EXPORTER",
        "tls-exporter ",
        "tls-server-end-point\0",
    ] {
        assert_eq!(ChannelBindingType::from_name(bad), None, "{bad:?}");
    }
}

#[test]
fn binding_accessors_and_debug_hide_data() {
    let cb = ChannelBinding::new(ChannelBindingType::TlsExporter, vec![0xAB; 32]);
    assert_eq!(cb.kind(), ChannelBindingType::TlsExporter);
    assert_eq!(cb.data(), &[0xAB; 32]);
    let dbg = format!("{cb:?}");
    assert!(dbg.contains("TlsExporter") && dbg.contains("32"), "{dbg}");
    assert!(
        !dbg.contains("171") && !dbg.to_lowercase().contains("ab, "),
        "{dbg}"
    );
    assert_eq!(cb.clone(), cb);
    assert_ne!(
        cb,
        ChannelBinding::new(ChannelBindingType::TlsServerEndPoint, vec![0xAB; 32])
    );
    assert_eq!(cb.into_data(), vec![0xAB; 32]);
}

#[test]
fn exporter_constants_follow_rfc_9266() {
    assert_eq!(TLS_EXPORTER_LABEL, b"EXPORTER-Channel-Binding");
    assert!(TLS_EXPORTER_CONTEXT.is_empty());
    assert_eq!(TLS_EXPORTER_LENGTH, 32);
}

#[test]
fn every_truncation_of_every_real_certificate_is_malformed() {
    for der in all_cert_files() {
        for len in 0..der.len() {
            let err = tls_server_end_point(&der[..len]).unwrap_err();
            assert_eq!(
                err.kind(),
                EndPointErrorKind::Malformed,
                "prefix of {len} bytes"
            );
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = tls_server_end_point(&bytes);
    }

    /// Small DER-ish inputs reach deeper than uniform noise: start with a
    /// SEQUENCE header and a plausible length.
    #[test]
    fn der_shaped_bytes_never_panic(
        len in 0u8..0x84,
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut input = vec![0x30, len];
        input.extend(body);
        let _ = tls_server_end_point(&input);
    }

    #[test]
    fn mutated_real_certificates_never_panic(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let certs = all_cert_files();
        let mut der = certs[which.index(certs.len())].clone();
        for (at, byte) in edits {
            let i = at.index(der.len());
            der[i] = byte;
        }
        let _ = tls_server_end_point(&der);
        let keep = cut.index(der.len() + 1);
        let _ = tls_server_end_point(&der[..keep]);
    }
}
