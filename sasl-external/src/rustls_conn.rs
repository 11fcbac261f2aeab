//! rustls glue: request a client certificate, accept any acceptable key, read the
//! certificate back after the handshake.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, OtherError, SignatureScheme};

use crate::certificate::{CertificateIdentity, KeyPolicy};

/// The client's certificate (the leaf of its chain, DER) on a rustls server
/// connection whose handshake is complete; `None` while handshaking or when the
/// client sent none.
///
/// Give it to [`CertificateIdentity::from_der`] to get the fingerprint to look the
/// account up by, and to
/// [`ConnectionInfo::with_peer_certificates`](sasl_core::ConnectionInfo::with_peer_certificates).
/// After TLS session resumption rustls reports the certificate of the original
/// handshake without running the verifier again, so rerun the lookup (as mox does)
/// and [`CertificateIdentity::check_key`] too: a policy tightened since the original
/// handshake applies only then.
pub fn client_certificate(conn: &rustls::ServerConnection) -> Option<&[u8]> {
    if conn.is_handshaking() {
        return None;
    }
    conn.peer_certificates()?.first().map(|leaf| leaf.as_ref())
}

/// A rustls client-certificate verifier for per-device certificates: it requests a
/// certificate but does not require one, and accepts any certificate whose public
/// key passes a [`KeyPolicy`], self-signed or not.
///
/// This is mox's `tls.RequestClientCert`: no chain is built, and expiry, names,
/// issuer and key usage are ignored, because the application maps the key (its
/// [`fingerprint`](CertificateIdentity::fingerprint)) to an account and unknown
/// keys simply authenticate nobody. The handshake signature is still verified with
/// the crypto provider's algorithms, so the client proves it holds the private key.
///
/// Weak keys (RSA below the policy's minimum, unknown key types) fail the handshake
/// with [`rustls::CertificateError::Other`] wrapping a [`WeakKey`](crate::WeakKey);
/// unparsable certificates with [`rustls::CertificateError::BadEncoding`].
///
/// The policy accepts Ed448 and P-521 keys, but a handshake with one completes only if
/// the crypto provider verifies those signatures (ring does not; aws-lc-rs does
/// P-521): otherwise it fails closed at the signature check. So do X.509 v1
/// certificates, which rustls's signature check refuses.
///
/// ```
/// # use std::sync::Arc;
/// # fn config(provider: Arc<rustls::crypto::CryptoProvider>) -> Result<(), rustls::Error> {
/// use sasl_external::{AcceptAnyKey, KeyPolicy};
/// let verifier = AcceptAnyKey::new(provider.clone(), KeyPolicy::default());
/// let builder = rustls::ServerConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_client_cert_verifier(Arc::new(verifier));
/// # let _ = builder;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AcceptAnyKey {
    provider: Arc<CryptoProvider>,
    policy: KeyPolicy,
}

impl AcceptAnyKey {
    /// A verifier that checks handshake signatures with `provider`'s algorithms and
    /// key strength with `policy`.
    pub fn new(provider: Arc<CryptoProvider>, policy: KeyPolicy) -> Self {
        Self { provider, policy }
    }

    /// The key policy in force.
    pub fn policy(&self) -> &KeyPolicy {
        &self.policy
    }
}

impl ClientCertVerifier for AcceptAnyKey {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let identity = CertificateIdentity::from_der(end_entity.as_ref()).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        identity.check_key(&self.policy).map_err(|weak| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(OtherError(
                Arc::new(weak),
            )))
        })?;
        Ok(ClientCertVerified::assertion())
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
