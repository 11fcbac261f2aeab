//! Real in-memory rustls handshakes (records moved between client and server through
//! `Vec` buffers) with per-device client certificates and a server using
//! `AcceptAnyKey`: the fixtures of `tests/data/make.sh`, and certificates rcgen
//! makes here. The server's own PKI is generated with rcgen per test.
#![cfg(feature = "rustls")]
// Test helpers outside #[test] functions are not covered by clippy.toml's
// allow-*-in-tests settings; failing loudly is what a test helper should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{
    ClientConfig, ClientConnection, OtherError, RootCertStore, ServerConfig, ServerConnection,
    SignatureAlgorithm, SignatureScheme, SupportedProtocolVersion,
};
use sasl_core::{ConnectionInfo, ServerRegistry, ServerStep};
use sasl_external::{
    AcceptAnyKey, CertificateIdentity, ExternalServer, KeyPolicy, WeakKey, client_certificate,
};
use sasl_test::tls::{HandshakeFailure, complete_handshake};

fn read(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server's side: a CA the client trusts, and a leaf for `localhost`.
struct ServerPki {
    ca: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    key: Vec<u8>,
}

impl ServerPki {
    fn generate() -> Self {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
        Self {
            ca: ca.der().clone(),
            leaf: leaf.der().clone(),
            key: leaf_key.serialize_der(),
        }
    }
}

fn server_config(pki: &ServerPki, version: &'static SupportedProtocolVersion) -> Arc<ServerConfig> {
    let provider = provider();
    let verifier = AcceptAnyKey::new(provider.clone(), KeyPolicy::default());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![pki.leaf.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone())),
        )
        .unwrap();
    Arc::new(config)
}

fn client_builder(
    pki: &ServerPki,
    version: &'static SupportedProtocolVersion,
) -> rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert> {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
}

/// A client presenting `cert` and proving possession with the PKCS #8 `key`.
fn client_with_cert(
    pki: &ServerPki,
    version: &'static SupportedProtocolVersion,
    cert: &[u8],
    key: &[u8],
) -> Arc<ClientConfig> {
    let config = client_builder(pki, version)
        .with_client_auth_cert(
            vec![CertificateDer::from(cert.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec())),
        )
        .unwrap();
    Arc::new(config)
}

/// Runs the handshake to completion (both sides done, nothing left to send) or to
/// the first error.
fn handshake(
    pki: &ServerPki,
    version: &'static SupportedProtocolVersion,
    client_config: Arc<ClientConfig>,
) -> (
    ClientConnection,
    ServerConnection,
    Result<(), HandshakeFailure>,
) {
    let name = ServerName::try_from("localhost").unwrap();
    let mut client = ClientConnection::new(client_config, name).unwrap();
    let mut server = ServerConnection::new(server_config(pki, version)).unwrap();
    assert_eq!(
        client_certificate(&server),
        None,
        "nothing before the handshake"
    );
    let result = complete_handshake(&mut client, &mut server);
    (client, server, result)
}

/// A handshake that must succeed; returns the leaf the server saw.
fn accepted(
    pki: &ServerPki,
    version: &'static SupportedProtocolVersion,
    client_config: Arc<ClientConfig>,
) -> Vec<u8> {
    let (_client, server, result) = handshake(pki, version, client_config);
    result.unwrap();
    assert_eq!(server.protocol_version(), Some(version.version));
    client_certificate(&server)
        .expect("the client presented a certificate")
        .to_vec()
}

const ACCEPTED_FIXTURES: [&str; 5] = ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-2048", "email"];

#[test]
fn tls13_fixture_certificates_are_accepted_and_readable() {
    let pki = ServerPki::generate();
    for name in ACCEPTED_FIXTURES {
        let cert = read(&format!("{name}.der"));
        let key = read(&format!("{name}.key.der"));
        let config = client_with_cert(&pki, &rustls::version::TLS13, &cert, &key);
        let leaf = accepted(&pki, &rustls::version::TLS13, config);
        assert_eq!(leaf, cert, "{name}");
        assert_eq!(
            CertificateIdentity::from_der(&leaf).unwrap().fingerprint(),
            CertificateIdentity::from_der(&cert).unwrap().fingerprint(),
            "{name}"
        );
    }
}

#[test]
fn tls12_fixture_certificates_are_accepted_and_readable() {
    let pki = ServerPki::generate();
    for name in ["ecdsa-p256", "rsa-2048"] {
        let cert = read(&format!("{name}.der"));
        let key = read(&format!("{name}.key.der"));
        let config = client_with_cert(&pki, &rustls::version::TLS12, &cert, &key);
        let leaf = accepted(&pki, &rustls::version::TLS12, config);
        assert_eq!(leaf, cert, "{name}");
    }
}

#[test]
fn client_without_certificate_completes_without_one() {
    let pki = ServerPki::generate();
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let config = Arc::new(client_builder(&pki, version).with_no_client_auth());
        let (_client, server, result) = handshake(&pki, version, config);
        result.unwrap();
        assert_eq!(client_certificate(&server), None);
    }
}

/// A signing key that signs with garbage: it lets a client present a certificate
/// whose private key it does not hold (or that ring refuses to sign with).
#[derive(Debug)]
struct FakeKey {
    algorithm: SignatureAlgorithm,
    scheme: SignatureScheme,
}

#[derive(Debug)]
struct FakeSigner(SignatureScheme);

impl SigningKey for FakeKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&self.scheme)
            .then(|| Box::new(FakeSigner(self.scheme)) as Box<dyn Signer>)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }
}

impl Signer for FakeSigner {
    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        Ok(vec![0x42; 128])
    }

    fn scheme(&self) -> SignatureScheme {
        self.0
    }
}

#[derive(Debug)]
struct Always(Arc<CertifiedKey>);

impl ResolvesClientCert for Always {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

fn client_with_fake_key(
    pki: &ServerPki,
    version: &'static SupportedProtocolVersion,
    cert: &[u8],
    key: FakeKey,
) -> Arc<ClientConfig> {
    let certified = CertifiedKey::new(vec![CertificateDer::from(cert.to_vec())], Arc::new(key));
    Arc::new(
        client_builder(pki, version)
            .with_client_cert_resolver(Arc::new(Always(Arc::new(certified)))),
    )
}

#[test]
fn rsa_1024_is_refused_with_a_weak_key_error() {
    let pki = ServerPki::generate();
    let cert = read("rsa-1024.der");
    // ring will not sign with an RSA key under 2048 bits, so the client cannot use
    // it as a client key at all ...
    assert!(
        client_builder(&pki, &rustls::version::TLS13)
            .with_client_auth_cert(
                vec![CertificateDer::from(cert.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(read("rsa-1024.key.der"))),
            )
            .is_err()
    );
    // ... but a client with another implementation could. The server refuses the
    // certificate as soon as it arrives, before looking at the signature.
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let key = FakeKey {
            algorithm: SignatureAlgorithm::RSA,
            scheme: SignatureScheme::RSA_PSS_SHA256,
        };
        let config = client_with_fake_key(&pki, version, &cert, key);
        let (_client, server, result) = handshake(&pki, version, config);
        let Err(HandshakeFailure::Server(err)) = result else {
            panic!("the server accepted an RSA-1024 client key: {result:?}");
        };
        // rustls shows the inner error with `Debug`: "invalid peer certificate:
        // Other(OtherError(RsaTooShort { bits: 1024, min_bits: 2048 }))".
        let message = err.to_string();
        assert!(message.contains("RsaTooShort"), "{message}");
        assert!(message.contains("1024"), "{message}");
        let rustls::Error::InvalidCertificate(rustls::CertificateError::Other(OtherError(inner))) =
            &err
        else {
            panic!("not a certificate error: {err:?}");
        };
        assert!(inner.to_string().contains("weak client key"), "{inner}");
        assert_eq!(
            inner.downcast_ref::<WeakKey>(),
            Some(&WeakKey::RsaTooShort {
                bits: 1024,
                min_bits: 2048
            })
        );
        assert_eq!(client_certificate(&server), None);
    }
}

#[test]
fn a_certificate_without_its_private_key_is_refused() {
    // AcceptAnyKey accepts the certificate, but the handshake signature must verify.
    let pki = ServerPki::generate();
    let cert = read("ecdsa-p256.der");
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let key = FakeKey {
            algorithm: SignatureAlgorithm::ECDSA,
            scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
        };
        let config = client_with_fake_key(&pki, version, &cert, key);
        let (_client, server, result) = handshake(&pki, version, config);
        let Err(HandshakeFailure::Server(err)) = result else {
            panic!("a forged handshake signature was accepted: {result:?}");
        };
        assert!(!err.to_string().contains("weak"), "{err}");
        assert_eq!(client_certificate(&server), None);
    }
}

#[test]
fn unparsable_client_certificate_is_a_bad_encoding() {
    let pki = ServerPki::generate();
    let mut cert = read("ecdsa-p256.der");
    cert.push(0);
    let key = FakeKey {
        algorithm: SignatureAlgorithm::ECDSA,
        scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
    };
    let config = client_with_fake_key(&pki, &rustls::version::TLS13, &cert, key);
    let (_client, _server, result) = handshake(&pki, &rustls::version::TLS13, config);
    assert!(
        matches!(
            result,
            Err(HandshakeFailure::Server(rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding
            )))
        ),
        "{result:?}"
    );
}

/// A per-device P-256 certificate made by rcgen in the test, self-signed.
fn rcgen_device_certificate() -> (Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "alice's tablet");
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

#[test]
fn rcgen_certificate_generated_in_the_test_is_accepted() {
    let pki = ServerPki::generate();
    let (cert, key) = rcgen_device_certificate();
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let config = client_with_cert(&pki, version, &cert, &key);
        let leaf = accepted(&pki, version, config);
        assert_eq!(leaf, cert);
        let id = CertificateIdentity::from_der(&leaf).unwrap();
        assert_eq!(id.key_type(), sasl_external::KeyType::EcdsaP256);
    }
}

#[test]
fn fingerprint_maps_to_an_account_and_external_logs_in() {
    let pki = ServerPki::generate();
    let (rcgen_cert, rcgen_key) = rcgen_device_certificate();
    // The application's store: fingerprint -> account, one entry per device.
    let devices = [
        (read("ecdsa-p256.der"), read("ecdsa-p256.key.der"), "alice"),
        (read("ed25519.der"), read("ed25519.key.der"), "bob"),
        (read("rsa-2048.der"), read("rsa-2048.key.der"), "carol"),
        (rcgen_cert, rcgen_key, "alice"),
    ];
    let accounts: HashMap<String, &str> = devices
        .iter()
        .map(|(cert, _, account)| {
            let id = CertificateIdentity::from_der(cert).unwrap();
            (id.fingerprint(), *account)
        })
        .collect();
    let mechanisms = ServerRegistry::new().with(ExternalServer::factory());

    for (cert, key, expected_account) in &devices {
        let config = client_with_cert(&pki, &rustls::version::TLS13, cert, key);
        let leaf = accepted(&pki, &rustls::version::TLS13, config);
        let fingerprint = CertificateIdentity::from_der(&leaf).unwrap().fingerprint();
        let account = accounts[&fingerprint];
        assert_eq!(account, *expected_account);

        let conn = ConnectionInfo::tls()
            .with_external_identity(account)
            .with_peer_certificates(vec![leaf.clone()]);
        let mut session = mechanisms
            .start("EXTERNAL", &conn)
            .unwrap_or_else(|refused| panic!("EXTERNAL refused: {}", refused.reason()));
        let step = session.start(Some(b"")).unwrap();
        let ServerStep::Success(success) = step else {
            panic!("EXTERNAL with an empty authzid did not succeed: {step:?}");
        };
        assert_eq!(success.identity(), account);
    }

    // A device the store does not know authenticates nobody: no identity, so
    // EXTERNAL is not even offered.
    let config = client_with_cert(
        &pki,
        &rustls::version::TLS13,
        &read("ecdsa-p384.der"),
        &read("ecdsa-p384.key.der"),
    );
    let leaf = accepted(&pki, &rustls::version::TLS13, config);
    let fingerprint = CertificateIdentity::from_der(&leaf).unwrap().fingerprint();
    assert!(!accounts.contains_key(&fingerprint));
    let conn = ConnectionInfo::tls().with_peer_certificates(vec![leaf]);
    assert!(mechanisms.advertise(&conn).is_empty());
}
