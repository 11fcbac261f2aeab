//! `tls-server-end-point` (RFC 5929 section 4): the hash of the server's
//! certificate, with the hash function chosen from the certificate's own
//! signature algorithm.

use core::fmt;

use sha2::Digest as _;

use super::der::{self, Reader};
use super::{ChannelBinding, ChannelBindingType};

/// Computes the `tls-server-end-point` channel binding of a DER certificate.
///
/// Following RFC 5929 section 4.1, the whole certificate (exactly the bytes
/// sent in the TLS `Certificate` message) is hashed with the hash function
/// of its outer `signatureAlgorithm`, except that MD5 and SHA-1 are replaced
/// by SHA-256:
///
/// | signature algorithm | hash used |
/// | --- | --- |
/// | md5/sha1/sha256WithRSAEncryption, ecdsa-with-SHA1/SHA256, dsa-with-sha1/sha256 | SHA-256 |
/// | sha224WithRSAEncryption, ecdsa-with-SHA224, dsa-with-sha224 | SHA-224 |
/// | sha384WithRSAEncryption, ecdsa-with-SHA384 | SHA-384 |
/// | sha512WithRSAEncryption, ecdsa-with-SHA512 | SHA-512 |
/// | RSASSA-PSS | the `hashAlgorithm` of its parameters (default SHA-1, so SHA-256) |
///
/// Only the outer `Certificate` structure and `signatureAlgorithm` are
/// decoded (strictly, as DER); the `tbsCertificate` is not interpreted and
/// the signature is not verified, which is the TLS stack's job.
///
/// # Errors
///
/// * [`EndPointErrorKind::Malformed`] when `cert_der` is not exactly one
///   well-formed DER `Certificate` (truncated, trailing bytes, bad lengths,
///   unexpected parameters, ...).
/// * [`EndPointErrorKind::NoHashAlgorithm`] for Ed25519 and Ed448, whose
///   signatures use no separate hash, so RFC 5929 defines no binding.
/// * [`EndPointErrorKind::UnknownAlgorithm`] for any other signature
///   algorithm (or PSS hash) this function does not know; the error names
///   the OID.
///
/// # Example
///
/// ```
/// use sasl_core::channel_binding::{tls_server_end_point, EndPointErrorKind};
///
/// let err = tls_server_end_point(b"not a certificate").unwrap_err();
/// assert_eq!(err.kind(), EndPointErrorKind::Malformed);
/// ```
pub fn tls_server_end_point(cert_der: &[u8]) -> Result<ChannelBinding, EndPointError> {
    let hash = end_point_hash(cert_der)?;
    let data = match hash {
        CbHash::Sha224 => sha2::Sha224::digest(cert_der).to_vec(),
        CbHash::Sha256 => sha2::Sha256::digest(cert_der).to_vec(),
        CbHash::Sha384 => sha2::Sha384::digest(cert_der).to_vec(),
        CbHash::Sha512 => sha2::Sha512::digest(cert_der).to_vec(),
    };
    Ok(ChannelBinding::new(
        ChannelBindingType::TlsServerEndPoint,
        data,
    ))
}

/// The hash functions `tls-server-end-point` can end up using; MD5 and SHA-1
/// are absent because RFC 5929 upgrades both to SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CbHash {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// OID content octets (without tag and length), compared byte-for-byte.
/// DER makes the encoding of an OID unique, so byte equality is OID equality.
mod oid {
    // PKCS #1 (1.2.840.113549.1.1.x)
    pub(super) const MD5_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x04];
    pub(super) const SHA1_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05];
    pub(super) const RSASSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
    pub(super) const SHA256_WITH_RSA: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
    pub(super) const SHA384_WITH_RSA: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C];
    pub(super) const SHA512_WITH_RSA: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D];
    pub(super) const SHA224_WITH_RSA: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0E];
    // ANSI X9.62 (1.2.840.10045.4.x)
    pub(super) const ECDSA_WITH_SHA1: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];
    pub(super) const ECDSA_WITH_SHA224: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x01];
    pub(super) const ECDSA_WITH_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
    pub(super) const ECDSA_WITH_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
    pub(super) const ECDSA_WITH_SHA512: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04];
    // DSA: X9.57 (1.2.840.10040.4.3) and NIST (2.16.840.1.101.3.4.3.x)
    pub(super) const DSA_WITH_SHA1: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x03];
    pub(super) const DSA_WITH_SHA224: &[u8] =
        &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x01];
    pub(super) const DSA_WITH_SHA256: &[u8] =
        &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02];
    // RFC 8410 (1.3.101.x)
    pub(super) const ED25519: &[u8] = &[0x2B, 0x65, 0x70];
    pub(super) const ED448: &[u8] = &[0x2B, 0x65, 0x71];
    // Hash functions, for RSASSA-PSS parameters.
    pub(super) const SHA1: &[u8] = &[0x2B, 0x0E, 0x03, 0x02, 0x1A];
    pub(super) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub(super) const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    pub(super) const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
    pub(super) const SHA224: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04];
}

/// Decodes `cert_der` far enough to pick the hash RFC 5929 prescribes.
pub(crate) fn end_point_hash(cert_der: &[u8]) -> Result<CbHash, EndPointError> {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    let mut outer = Reader::new(cert_der);
    let cert = outer
        .read(der::TAG_SEQUENCE, "certificate is not a DER SEQUENCE")
        .map_err(EndPointError::malformed)?;
    // The binding hashes the caller's bytes, so they must be exactly the
    // certificate: hashing a certificate plus junk would silently produce a
    // value the peer can never match.
    outer
        .finish("trailing bytes after the certificate")
        .map_err(EndPointError::malformed)?;

    let mut fields = Reader::new(cert);
    fields
        .read(der::TAG_SEQUENCE, "tbsCertificate is not a SEQUENCE")
        .map_err(EndPointError::malformed)?;
    let sig_alg = fields
        .read(der::TAG_SEQUENCE, "signatureAlgorithm is not a SEQUENCE")
        .map_err(EndPointError::malformed)?;
    let sig_value = fields
        .read(der::TAG_BIT_STRING, "signatureValue is not a BIT STRING")
        .map_err(EndPointError::malformed)?;
    if sig_value.is_empty() {
        // A BIT STRING always has at least its unused-bits octet.
        return Err(EndPointError::malformed("signatureValue is empty"));
    }
    fields
        .finish("unexpected fields after signatureValue")
        .map_err(EndPointError::malformed)?;

    let (alg, params) = algorithm_identifier(sig_alg)?;
    signature_hash(alg, params)
}

/// Splits an `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`
/// (given its content octets) into the OID and the raw parameters element,
/// if any.
fn algorithm_identifier(content: &[u8]) -> Result<(&[u8], Option<der::Tlv<'_>>), EndPointError> {
    let mut r = Reader::new(content);
    let alg = r
        .read(
            der::TAG_OID,
            "AlgorithmIdentifier does not start with an OID",
        )
        .map_err(EndPointError::malformed)?;
    der::check_oid(alg).map_err(EndPointError::malformed)?;
    let params = if r.is_empty() {
        None
    } else {
        Some(r.read_any().map_err(EndPointError::malformed)?)
    };
    r.finish("unexpected fields in AlgorithmIdentifier")
        .map_err(EndPointError::malformed)?;
    Ok((alg, params))
}

/// Requires parameters to be absent or NULL.
///
/// The RFCs pin this per algorithm (NULL for PKCS #1 v1.5, absent for ECDSA,
/// DSA and EdDSA), but encoders have historically mixed the two up and the
/// choice cannot change which hash applies, so both are accepted. Anything
/// else means the OID is being used in a way this code does not understand.
fn no_params(params: Option<der::Tlv<'_>>) -> Result<(), EndPointError> {
    match params {
        None => Ok(()),
        Some(der::Tlv {
            tag: der::TAG_NULL,
            value: [],
        }) => Ok(()),
        Some(_) => Err(EndPointError::malformed(
            "signature algorithm has unexpected parameters",
        )),
    }
}

/// Maps a signature algorithm to the RFC 5929 hash.
fn signature_hash(alg: &[u8], params: Option<der::Tlv<'_>>) -> Result<CbHash, EndPointError> {
    let hash = match alg {
        oid::MD5_WITH_RSA
        | oid::SHA1_WITH_RSA
        | oid::SHA256_WITH_RSA
        | oid::ECDSA_WITH_SHA1
        | oid::ECDSA_WITH_SHA256
        | oid::DSA_WITH_SHA1
        | oid::DSA_WITH_SHA256 => CbHash::Sha256,
        oid::SHA224_WITH_RSA | oid::ECDSA_WITH_SHA224 | oid::DSA_WITH_SHA224 => CbHash::Sha224,
        oid::SHA384_WITH_RSA | oid::ECDSA_WITH_SHA384 => CbHash::Sha384,
        oid::SHA512_WITH_RSA | oid::ECDSA_WITH_SHA512 => CbHash::Sha512,
        oid::RSASSA_PSS => return pss_hash(params),
        oid::ED25519 => return Err(EndPointError::no_hash("Ed25519", alg)),
        oid::ED448 => return Err(EndPointError::no_hash("Ed448", alg)),
        _ => {
            return Err(EndPointError::unknown(
                "certificate signature algorithm",
                alg,
            ));
        }
    };
    no_params(params)?;
    Ok(hash)
}

/// Reads the hash from `RSASSA-PSS-params` (RFC 4055 section 3.1):
///
/// ```text
/// RSASSA-PSS-params ::= SEQUENCE {
///     hashAlgorithm      [0] HashAlgorithm    DEFAULT sha1,
///     maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
///     saltLength         [2] INTEGER          DEFAULT 20,
///     trailerField       [3] TrailerField     DEFAULT trailerFieldBC }
/// ```
fn pss_hash(params: Option<der::Tlv<'_>>) -> Result<CbHash, EndPointError> {
    // RFC 4055 requires the parameters whenever PSS identifies a signature
    // (only a public key may omit them), so their absence is malformed.
    let params = match params {
        Some(der::Tlv {
            tag: der::TAG_SEQUENCE,
            value,
        }) => value,
        Some(_) => {
            return Err(EndPointError::malformed(
                "RSASSA-PSS parameters are not a SEQUENCE",
            ));
        }
        None => {
            return Err(EndPointError::malformed(
                "RSASSA-PSS signature algorithm lacks its parameters",
            ));
        }
    };
    let mut r = Reader::new(params);
    let mut hash_alg = None;
    // The fields are optional but, being a SEQUENCE, strictly ordered; track
    // the next allowed tag so duplicates and reordering are rejected.
    let mut next_allowed = 0u8;
    while !r.is_empty() {
        let field = r.read_any().map_err(EndPointError::malformed)?;
        let index = match field.tag {
            t if t == der::tag_context(0) => 0,
            t if t == der::tag_context(1) => 1,
            t if t == der::tag_context(2) => 2,
            t if t == der::tag_context(3) => 3,
            _ => {
                return Err(EndPointError::malformed(
                    "unexpected field in RSASSA-PSS parameters",
                ));
            }
        };
        if index < next_allowed {
            return Err(EndPointError::malformed(
                "RSASSA-PSS parameters are out of order or repeated",
            ));
        }
        next_allowed = index + 1;
        if index == 0 {
            // Explicit tag: [0] wraps exactly one AlgorithmIdentifier.
            let mut inner = Reader::new(field.value);
            let alg_id = inner
                .read(
                    der::TAG_SEQUENCE,
                    "RSASSA-PSS hashAlgorithm is not a SEQUENCE",
                )
                .map_err(EndPointError::malformed)?;
            inner
                .finish("unexpected data after RSASSA-PSS hashAlgorithm")
                .map_err(EndPointError::malformed)?;
            hash_alg = Some(alg_id);
        }
        // The mask generation function, salt length and trailer do not affect
        // which hash the binding uses, so they are only checked for framing.
    }

    let Some(alg_id) = hash_alg else {
        // Default hashAlgorithm is SHA-1, which RFC 5929 upgrades.
        return Ok(CbHash::Sha256);
    };
    let (hash, hash_params) = algorithm_identifier(alg_id)?;
    // Hash AlgorithmIdentifiers carry NULL or no parameters (RFC 4055 and
    // RFC 5754 disagree on which; both are seen in practice).
    no_params(hash_params)?;
    match hash {
        oid::SHA1 | oid::SHA256 => Ok(CbHash::Sha256),
        oid::SHA224 => Ok(CbHash::Sha224),
        oid::SHA384 => Ok(CbHash::Sha384),
        oid::SHA512 => Ok(CbHash::Sha512),
        _ => Err(EndPointError::unknown("RSASSA-PSS hash algorithm", hash)),
    }
}

/// Why [`tls_server_end_point`] could not compute a binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndPointError {
    kind: EndPointErrorKind,
    /// What went wrong or which algorithm was involved, for the message.
    detail: &'static str,
    /// Dotted-decimal OID of the offending algorithm, when there is one.
    oid: Option<String>,
}

/// The category of an [`EndPointError`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndPointErrorKind {
    /// The input is not exactly one well-formed DER X.509 `Certificate`
    /// (truncated, trailing data, non-DER lengths, unexpected parameters...).
    Malformed,
    /// The signature algorithm has no separate hash function (Ed25519,
    /// Ed448), so RFC 5929 leaves `tls-server-end-point` undefined for the
    /// certificate.
    NoHashAlgorithm,
    /// The signature algorithm, or the hash inside RSASSA-PSS parameters, is
    /// not one this crate knows how to map to a hash function.
    UnknownAlgorithm,
}

impl EndPointError {
    fn malformed(detail: &'static str) -> Self {
        Self {
            kind: EndPointErrorKind::Malformed,
            detail,
            oid: None,
        }
    }

    fn no_hash(name: &'static str, oid: &[u8]) -> Self {
        Self {
            kind: EndPointErrorKind::NoHashAlgorithm,
            detail: name,
            oid: der::oid_to_dotted(oid),
        }
    }

    fn unknown(what: &'static str, oid: &[u8]) -> Self {
        Self {
            kind: EndPointErrorKind::UnknownAlgorithm,
            detail: what,
            oid: der::oid_to_dotted(oid),
        }
    }

    /// The category of the failure.
    pub fn kind(&self) -> EndPointErrorKind {
        self.kind
    }

    /// The dotted-decimal OID of the algorithm that could not be used, for
    /// [`EndPointErrorKind::NoHashAlgorithm`] and
    /// [`EndPointErrorKind::UnknownAlgorithm`]; `None` for malformed input.
    pub fn algorithm_oid(&self) -> Option<&str> {
        self.oid.as_deref()
    }
}

impl fmt::Display for EndPointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // OIDs reaching the constructors have passed `check_oid`, so the
        // fallback text only guards against future misuse.
        let oid = self.oid.as_deref().unwrap_or("(unrenderable OID)");
        match self.kind {
            EndPointErrorKind::Malformed => {
                write!(f, "malformed DER certificate: {}", self.detail)
            }
            EndPointErrorKind::NoHashAlgorithm => write!(
                f,
                "tls-server-end-point is undefined for {} certificates (signature algorithm \
                 OID {oid}): the algorithm uses no separate hash function (RFC 5929 section 4.1)",
                self.detail
            ),
            EndPointErrorKind::UnknownAlgorithm => write!(
                f,
                "unsupported {} OID {oid}: cannot choose a hash for tls-server-end-point",
                self.detail
            ),
        }
    }
}

impl std::error::Error for EndPointError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_constants_match_their_dotted_names() {
        let table: &[(&[u8], &str)] = &[
            (oid::MD5_WITH_RSA, "1.2.840.113549.1.1.4"),
            (oid::SHA1_WITH_RSA, "1.2.840.113549.1.1.5"),
            (oid::RSASSA_PSS, "1.2.840.113549.1.1.10"),
            (oid::SHA256_WITH_RSA, "1.2.840.113549.1.1.11"),
            (oid::SHA384_WITH_RSA, "1.2.840.113549.1.1.12"),
            (oid::SHA512_WITH_RSA, "1.2.840.113549.1.1.13"),
            (oid::SHA224_WITH_RSA, "1.2.840.113549.1.1.14"),
            (oid::ECDSA_WITH_SHA1, "1.2.840.10045.4.1"),
            (oid::ECDSA_WITH_SHA224, "1.2.840.10045.4.3.1"),
            (oid::ECDSA_WITH_SHA256, "1.2.840.10045.4.3.2"),
            (oid::ECDSA_WITH_SHA384, "1.2.840.10045.4.3.3"),
            (oid::ECDSA_WITH_SHA512, "1.2.840.10045.4.3.4"),
            (oid::DSA_WITH_SHA1, "1.2.840.10040.4.3"),
            (oid::DSA_WITH_SHA224, "2.16.840.1.101.3.4.3.1"),
            (oid::DSA_WITH_SHA256, "2.16.840.1.101.3.4.3.2"),
            (oid::ED25519, "1.3.101.112"),
            (oid::ED448, "1.3.101.113"),
            (oid::SHA1, "1.3.14.3.2.26"),
            (oid::SHA224, "2.16.840.1.101.3.4.2.4"),
            (oid::SHA256, "2.16.840.1.101.3.4.2.1"),
            (oid::SHA384, "2.16.840.1.101.3.4.2.2"),
            (oid::SHA512, "2.16.840.1.101.3.4.2.3"),
        ];
        for (bytes, dotted) in table {
            assert_eq!(der::oid_to_dotted(bytes).as_deref(), Some(*dotted));
        }
    }

    /// Wraps content octets in a tag and (short or long form) length.
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match value.len() {
            n @ 0..0x80 => out.push(n as u8),
            n @ 0x80..0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(value);
        out
    }

    fn cert_with_sig_alg(sig_alg_content: &[u8]) -> Vec<u8> {
        let mut body = tlv(der::TAG_SEQUENCE, &tlv(0x02, &[1]));
        body.extend(tlv(der::TAG_SEQUENCE, sig_alg_content));
        body.extend(tlv(der::TAG_BIT_STRING, &[0, 1, 2, 3]));
        tlv(der::TAG_SEQUENCE, &body)
    }

    fn alg(oid: &[u8], params: &[u8]) -> Vec<u8> {
        let mut v = tlv(der::TAG_OID, oid);
        v.extend_from_slice(params);
        v
    }

    fn pss(fields: &[u8]) -> Vec<u8> {
        alg(oid::RSASSA_PSS, &tlv(der::TAG_SEQUENCE, fields))
    }

    fn hash_field(hash_oid: &[u8], params: &[u8]) -> Vec<u8> {
        tlv(
            der::tag_context(0),
            &tlv(der::TAG_SEQUENCE, &alg(hash_oid, params)),
        )
    }

    const NULL: &[u8] = &[0x05, 0x00];

    #[test]
    fn synthetic_algorithms() {
        let hash = |a: Vec<u8>| end_point_hash(&cert_with_sig_alg(&a));
        assert_eq!(hash(alg(oid::SHA256_WITH_RSA, NULL)), Ok(CbHash::Sha256));
        assert_eq!(hash(alg(oid::SHA256_WITH_RSA, &[])), Ok(CbHash::Sha256));
        assert_eq!(hash(alg(oid::ECDSA_WITH_SHA384, &[])), Ok(CbHash::Sha384));
        assert_eq!(hash(alg(oid::DSA_WITH_SHA224, &[])), Ok(CbHash::Sha224));
        let bad = hash(alg(oid::ECDSA_WITH_SHA256, &tlv(0x02, &[0]))).unwrap_err();
        assert_eq!(bad.kind(), EndPointErrorKind::Malformed);
    }

    #[test]
    fn pss_parameters() {
        let hash = |a: Vec<u8>| end_point_hash(&cert_with_sig_alg(&a));
        assert_eq!(hash(pss(&[])), Ok(CbHash::Sha256), "all defaults");
        assert_eq!(hash(pss(&hash_field(oid::SHA1, NULL))), Ok(CbHash::Sha256));
        assert_eq!(
            hash(pss(&hash_field(oid::SHA224, NULL))),
            Ok(CbHash::Sha224)
        );
        assert_eq!(hash(pss(&hash_field(oid::SHA512, &[]))), Ok(CbHash::Sha512));
        // Salt length only: hash still defaults to SHA-1 -> SHA-256.
        assert_eq!(
            hash(pss(&tlv(der::tag_context(2), &tlv(0x02, &[32])))),
            Ok(CbHash::Sha256)
        );
        // Missing or non-SEQUENCE parameters.
        let err = hash(alg(oid::RSASSA_PSS, &[])).unwrap_err();
        assert_eq!(err.kind(), EndPointErrorKind::Malformed);
        let err = hash(alg(oid::RSASSA_PSS, NULL)).unwrap_err();
        assert_eq!(err.kind(), EndPointErrorKind::Malformed);
        // Out-of-order and repeated fields.
        let mut fields = tlv(der::tag_context(2), &tlv(0x02, &[32]));
        fields.extend(hash_field(oid::SHA384, NULL));
        assert_eq!(
            hash(pss(&fields)).unwrap_err().kind(),
            EndPointErrorKind::Malformed
        );
        let mut fields = hash_field(oid::SHA384, NULL);
        fields.extend(hash_field(oid::SHA384, NULL));
        assert_eq!(
            hash(pss(&fields)).unwrap_err().kind(),
            EndPointErrorKind::Malformed
        );
        // Unknown hash (SHA3-256, 2.16.840.1.101.3.4.2.8) names its OID.
        let sha3 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08];
        let err = hash(pss(&hash_field(&sha3, NULL))).unwrap_err();
        assert_eq!(err.kind(), EndPointErrorKind::UnknownAlgorithm);
        assert_eq!(err.algorithm_oid(), Some("2.16.840.1.101.3.4.2.8"));
        assert!(
            err.to_string()
                .contains("RSASSA-PSS hash algorithm OID 2.16.840.1.101.3.4.2.8")
        );
    }

    #[test]
    fn structural_errors() {
        let good = cert_with_sig_alg(&alg(oid::SHA256_WITH_RSA, NULL));
        assert!(end_point_hash(&good).is_ok());
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            end_point_hash(&trailing).unwrap_err().kind(),
            EndPointErrorKind::Malformed
        );
        // Empty BIT STRING.
        let mut body = tlv(der::TAG_SEQUENCE, &[]);
        body.extend(tlv(der::TAG_SEQUENCE, &alg(oid::SHA256_WITH_RSA, NULL)));
        body.extend(tlv(der::TAG_BIT_STRING, &[]));
        let cert = tlv(der::TAG_SEQUENCE, &body);
        assert_eq!(
            end_point_hash(&cert).unwrap_err().kind(),
            EndPointErrorKind::Malformed
        );
        // Extra field after the signature.
        let mut body2 = body.clone();
        body2.truncate(body.len() - 2);
        body2.extend(tlv(der::TAG_BIT_STRING, &[0]));
        body2.extend(tlv(der::TAG_NULL, &[]));
        let cert = tlv(der::TAG_SEQUENCE, &body2);
        assert_eq!(
            end_point_hash(&cert).unwrap_err().kind(),
            EndPointErrorKind::Malformed
        );
        // Bad OID encoding inside the AlgorithmIdentifier.
        let cert = cert_with_sig_alg(&alg(&[0x2A, 0x80, 0x01], &[]));
        assert_eq!(
            end_point_hash(&cert).unwrap_err().kind(),
            EndPointErrorKind::Malformed
        );
    }
}
