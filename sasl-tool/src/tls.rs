//! TLS for the tool: certificate generation (a throwaway CA, server and per-device client
//! certificates with rcgen), PEM loading, and the rustls configs of both roles.
//!
//! Everything runs on rustls' `ring` provider, the one rcgen signs with, built once
//! ([`provider`]) and passed explicitly: the tool never installs a process-wide default.

use crate::failure::Failure;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use sasl_external::{AcceptAnyKey, KeyPolicy};
use std::path::Path;
use std::sync::Arc;

/// The crypto provider every config of the tool uses.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The key algorithms the tool generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAlgorithm {
    /// Ed25519.
    Ed25519,
    /// ECDSA P-256 with SHA-256.
    P256,
}

impl KeyAlgorithm {
    fn rcgen(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
            KeyAlgorithm::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        }
    }
}

/// A certificate and its private key, DER and PEM.
pub(crate) struct Issued {
    /// The certificate, DER.
    pub(crate) cert_der: CertificateDer<'static>,
    /// The certificate, PEM.
    pub(crate) cert_pem: String,
    /// The private key, PKCS#8 PEM (a secret: never log it).
    pub(crate) key_pem: zeroize::Zeroizing<String>,
    /// The private key, PKCS#8 DER (a secret).
    pub(crate) key_der: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl Issued {
    fn new(cert: rcgen::Certificate, key: &KeyPair) -> Self {
        Issued {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_pem: zeroize::Zeroizing::new(key.serialize_pem()),
            key_der: zeroize::Zeroizing::new(key.serialize_der()),
        }
    }

    /// The certificate chain (this certificate alone).
    pub(crate) fn chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.cert_der.clone()]
    }

    /// The private key for rustls.
    pub(crate) fn private_key(&self) -> Result<PrivateKeyDer<'static>, Failure> {
        PrivateKeyDer::try_from(self.key_der.to_vec())
            .map_err(|e| Failure::error(format!("generated key unusable: {e}")))
    }
}

fn rcgen_error(doing: &str) -> impl Fn(rcgen::Error) -> Failure + '_ {
    move |e| Failure::error(format!("{doing}: {e}"))
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = time_now();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(i64::from(days));
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// A throwaway certificate authority.
pub(crate) struct Ca {
    issued: Issued,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl Ca {
    /// Generates a CA named `name`, valid for `days`.
    pub(crate) fn generate(name: &str, days: u32) -> Result<Self, Failure> {
        let key = KeyPair::generate_for(KeyAlgorithm::P256.rcgen())
            .map_err(rcgen_error("generating the CA key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut params, days);
        let cert = params
            .self_signed(&key)
            .map_err(rcgen_error("signing the CA certificate"))?;
        let issued = Issued::new(cert, &key);
        Ok(Ca {
            issued,
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a CA from its certificate and key PEM files.
    pub(crate) fn load(cert: &Path, key: &Path) -> Result<Self, Failure> {
        let cert_pem = read_text(cert, "the CA certificate")?;
        let key_pem = zeroize::Zeroizing::new(read_text(key, "the CA key")?);
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| Failure::error(format!("reading the CA key {}: {e}", key.display())))?;
        let key_der = zeroize::Zeroizing::new(key.serialize_der());
        let issued_cert = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| Failure::error(format!("reading {}: {e}", cert.display())))?;
        let issuer = Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| {
            Failure::error(format!(
                "reading the CA certificate {}: {e}",
                cert.display()
            ))
        })?;
        Ok(Ca {
            issued: Issued {
                cert_der: issued_cert,
                cert_pem,
                key_pem,
                key_der,
            },
            issuer,
        })
    }

    /// The CA's own certificate and key.
    pub(crate) fn issued(&self) -> &Issued {
        &self.issued
    }

    /// Issues a TLS server certificate for `hosts` (DNS names or IP addresses).
    pub(crate) fn issue_server(&self, hosts: &[&str], days: u32) -> Result<Issued, Failure> {
        let key = KeyPair::generate_for(KeyAlgorithm::P256.rcgen())
            .map_err(rcgen_error("generating the server key"))?;
        let params = server_params(hosts, days)?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(rcgen_error("signing the server certificate"))?;
        Ok(Issued::new(cert, &key))
    }

    /// Issues a per-device TLS client certificate.
    pub(crate) fn issue_client(&self, device: &ClientCertRequest<'_>) -> Result<Issued, Failure> {
        let key = KeyPair::generate_for(device.algorithm.rcgen())
            .map_err(rcgen_error("generating the client key"))?;
        let params = client_params(device)?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(rcgen_error("signing the client certificate"))?;
        Ok(Issued::new(cert, &key))
    }
}

/// What goes into a client certificate.
#[derive(Debug, Clone)]
pub(crate) struct ClientCertRequest<'a> {
    /// The common name (a device name).
    pub(crate) name: &'a str,
    /// An e-mail address for the subjectAltName.
    pub(crate) email: Option<&'a str>,
    /// The key type.
    pub(crate) algorithm: KeyAlgorithm,
    /// Days of validity.
    pub(crate) days: u32,
}

fn server_params(hosts: &[&str], days: u32) -> Result<CertificateParams, Failure> {
    let names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
    let mut params =
        CertificateParams::new(names).map_err(rcgen_error("building the server certificate"))?;
    params.distinguished_name.push(
        DnType::CommonName,
        hosts.first().copied().unwrap_or("localhost"),
    );
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut params, days);
    Ok(params)
}

fn client_params(device: &ClientCertRequest<'_>) -> Result<CertificateParams, Failure> {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, device.name);
    if let Some(email) = device.email {
        let address = email
            .try_into()
            .map_err(|e| Failure::error(format!("the e-mail address {email:?}: {e}")))?;
        params.subject_alt_names = vec![SanType::Rfc822Name(address)];
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut params, device.days);
    Ok(params)
}

/// A self-signed TLS server certificate for `hosts`.
pub(crate) fn self_signed_server(hosts: &[&str], days: u32) -> Result<Issued, Failure> {
    let key = KeyPair::generate_for(KeyAlgorithm::P256.rcgen())
        .map_err(rcgen_error("generating the server key"))?;
    let cert = server_params(hosts, days)?
        .self_signed(&key)
        .map_err(rcgen_error("signing the server certificate"))?;
    Ok(Issued::new(cert, &key))
}

/// A self-signed per-device client certificate.
pub(crate) fn self_signed_client(device: &ClientCertRequest<'_>) -> Result<Issued, Failure> {
    let key = KeyPair::generate_for(device.algorithm.rcgen())
        .map_err(rcgen_error("generating the client key"))?;
    let cert = client_params(device)?
        .self_signed(&key)
        .map_err(rcgen_error("signing the client certificate"))?;
    Ok(Issued::new(cert, &key))
}

/// The SHA-256 fingerprint of a DER certificate, lowercase hex with colons (as
/// `openssl x509 -fingerprint -sha256` prints it, lowercased).
pub(crate) fn cert_fingerprint(cert_der: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(cert_der);
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The SPKI SHA-256 fingerprint EXTERNAL maps accounts by (sasl-external's format).
pub(crate) fn spki_fingerprint(cert_der: &[u8]) -> Result<String, Failure> {
    sasl_external::CertificateIdentity::from_der(cert_der)
        .map(|identity| identity.fingerprint())
        .map_err(|e| Failure::error(format!("reading the certificate: {e}")))
}

fn read_text(path: &Path, what: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::error(format!("reading {what} {}: {e}", path.display())))
}

/// Reads a PEM certificate chain.
pub(crate) fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let text = read_text(path, "certificates")?;
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Failure::error(format!("reading certificates from {}: {e}", path.display()))
        })?;
    if certs.is_empty() {
        return Err(
            Failure::error(format!("no certificate in {}", path.display()))
                .hint("the file should hold -----BEGIN CERTIFICATE----- blocks"),
        );
    }
    Ok(certs)
}

/// Reads a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, Failure> {
    let text = zeroize::Zeroizing::new(read_text(path, "the private key")?);
    PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| {
        Failure::error(format!("reading the private key {}: {e}", path.display()))
            .hint("the file should hold one -----BEGIN PRIVATE KEY----- block")
    })
}

/// How a server treats client certificates.
#[derive(Debug, Clone)]
pub(crate) enum ClientAuth {
    /// Asks for one, accepts any (mapped by SPKI fingerprint), none is fine too.
    AnyKey,
    /// Asks for one that chains to these roots; none is fine too.
    Roots(Vec<CertificateDer<'static>>),
}

/// A rustls server config with `chain`/`key`.
pub(crate) fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_auth: &ClientAuth,
) -> Result<Arc<ServerConfig>, Failure> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::error(format!("TLS setup: {e}")))?;
    let builder = match client_auth {
        ClientAuth::AnyKey => builder
            .with_client_cert_verifier(Arc::new(AcceptAnyKey::new(provider, KeyPolicy::default()))),
        ClientAuth::Roots(roots) => {
            let mut store = RootCertStore::empty();
            for root in roots {
                store
                    .add(root.clone())
                    .map_err(|e| Failure::error(format!("client CA certificate: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| Failure::error(format!("client CA certificates: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|e| Failure::error(format!("the server certificate and key: {e}")))?;
    Ok(Arc::new(config))
}

/// Whom a client trusts.
#[derive(Debug, Clone)]
pub(crate) enum Trust {
    /// These roots (`--ca-file`).
    Roots(Vec<CertificateDer<'static>>),
    /// The system's roots, read from the usual PEM bundle paths.
    System,
    /// Anyone (`--insecure`).
    Insecure,
}

/// A rustls client config.
pub(crate) fn client_config(
    trust: &Trust,
    client_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<Arc<ClientConfig>, Failure> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::error(format!("TLS setup: {e}")))?;
    let builder = match trust {
        Trust::Roots(roots) => {
            let mut store = RootCertStore::empty();
            for root in roots {
                store
                    .add(root.clone())
                    .map_err(|e| Failure::error(format!("CA certificate: {e}")))?;
            }
            builder.with_root_certificates(store)
        }
        Trust::System => builder.with_root_certificates(system_roots()?),
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider))),
    };
    let config = match client_cert {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| Failure::error(format!("the client certificate and key: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Where Linux distributions and macOS keep the system's CA bundle.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

fn system_roots() -> Result<RootCertStore, Failure> {
    let mut store = RootCertStore::empty();
    for cert in system_root_certs()? {
        // A bundle may hold certificates webpki cannot use; skip those.
        let _ = store.add(cert);
    }
    if store.is_empty() {
        return Err(no_system_roots());
    }
    Ok(store)
}

/// The system's CA certificates: the first bundle found (`SSL_CERT_FILE`, else the
/// usual paths) that holds any.
pub(crate) fn system_root_certs() -> Result<Vec<CertificateDer<'static>>, Failure> {
    let paths = std::env::var_os("SSL_CERT_FILE")
        .map(|p| vec![std::path::PathBuf::from(p)])
        .unwrap_or_else(|| {
            SYSTEM_BUNDLES
                .iter()
                .map(std::path::PathBuf::from)
                .collect()
        });
    for path in paths {
        let Ok(text) = std::fs::read(&path) else {
            continue;
        };
        let certs: Vec<_> = CertificateDer::pem_slice_iter(&text).flatten().collect();
        if !certs.is_empty() {
            return Ok(certs);
        }
    }
    Err(no_system_roots())
}

fn no_system_roots() -> Failure {
    Failure::error("no system CA certificates found")
        .hint("pass --ca-file FILE, set SSL_CERT_FILE, or --insecure for a test server")
}

/// `--insecure`: accepts any server certificate, still checks the handshake signatures.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
