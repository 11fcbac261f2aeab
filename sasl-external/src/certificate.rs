//! What a TLS client certificate says about its holder: the public-key fingerprint
//! mox pins accounts to, the key type, and the email addresses it names.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{Ia5StringRef, ObjectIdentifier, UintRef, Utf8StringRef};
use x509_cert::der::{Decode, ErrorKind, Reader, SliceReader, Tag, Tagged};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// The largest certificate accepted, in bytes. A TLS handshake message cannot be
/// longer than 64 KiB, so no certificate a client presents over TLS is larger.
const MAX_CERTIFICATE_LEN: usize = 64 * 1024;

/// The largest RSA modulus accepted, in bits (larger keys are a denial-of-service
/// risk for signature verification, and nobody issues them).
const MAX_RSA_BITS: usize = 16384;

/// Most e-mail addresses collected from one certificate. A 64 KiB certificate can name
/// thousands; no device certificate needs more than a few, and collecting stays cheap.
const MAX_EMAILS: usize = 32;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
/// PKCS #9 `emailAddress`, the legacy way to put an address in a subject name.
const EMAIL_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// Why bytes are not a usable X.509 certificate.
///
/// Messages state short facts (a length, a DER error kind and position), never the
/// certificate's content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// No bytes at all.
    Empty,
    /// Longer than any certificate a TLS peer can send.
    TooLarge {
        /// The length given.
        len: usize,
        /// The largest length accepted.
        max: usize,
    },
    /// Not valid DER: a truncated or overlong element, an indefinite or non-minimal
    /// length, a non-canonical encoding.
    Malformed {
        /// What the DER decoder found, and where.
        detail: String,
    },
    /// A complete DER element followed by more bytes.
    TrailingData {
        /// How many bytes follow the certificate.
        extra: usize,
    },
    /// Valid DER, but not the structure of an X.509 certificate.
    NotACertificate {
        /// What did not fit.
        detail: String,
    },
    /// The public key has a known algorithm but its encoding is wrong (an RSA key
    /// that is not an `RSAPublicKey`, an EC key without a named curve, an Ed25519
    /// key of the wrong length).
    InvalidKey {
        /// What is wrong with it.
        detail: &'static str,
    },
    /// The subjectAltName extension cannot be decoded, or appears twice.
    InvalidExtension {
        /// What is wrong with it.
        detail: String,
    },
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the certificate is empty"),
            Self::TooLarge { len, max } => {
                write!(f, "the certificate is {len} bytes long, more than {max}")
            }
            Self::Malformed { detail } => write!(f, "the certificate is not valid DER: {detail}"),
            Self::TrailingData { extra } => {
                write!(f, "{extra} bytes follow the certificate's DER encoding")
            }
            Self::NotACertificate { detail } => {
                write!(f, "the DER data is not an X.509 certificate: {detail}")
            }
            Self::InvalidKey { detail } => {
                write!(f, "the certificate's public key does not decode: {detail}")
            }
            Self::InvalidExtension { detail } => {
                write!(f, "the certificate's subjectAltName is invalid: {detail}")
            }
        }
    }
}

impl std::error::Error for CertificateError {}

/// Classifies a DER decoding error: broken encoding, or a well-formed encoding of
/// something other than what was expected.
fn der_error(err: x509_cert::der::Error) -> CertificateError {
    let detail = err.to_string();
    match err.kind() {
        ErrorKind::Incomplete { .. }
        | ErrorKind::IndefiniteLength
        | ErrorKind::Length { .. }
        | ErrorKind::Noncanonical { .. }
        | ErrorKind::Overflow
        | ErrorKind::Overlength
        | ErrorKind::TrailingData { .. }
        | ErrorKind::TagNumberInvalid
        | ErrorKind::NestingDepth => CertificateError::Malformed { detail },
        _ => CertificateError::NotACertificate { detail },
    }
}

/// The type of a certificate's public key, named as mox names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// RSA (`rsaEncryption`), with the bit length of its modulus.
    Rsa {
        /// The bit length of the modulus (2048 for a 2048-bit key).
        bits: usize,
    },
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
    /// ECDSA on NIST P-521 (secp521r1).
    EcdsaP521,
    /// Ed25519 (RFC 8410).
    Ed25519,
    /// Ed448 (RFC 8410).
    Ed448,
    /// Any other algorithm or curve (RSASSA-PSS-only keys, DSA, brainpool curves,
    /// post-quantum keys, ...).
    Other,
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "rsa-{bits}"),
            Self::EcdsaP256 => f.write_str("ecdsa-p256"),
            Self::EcdsaP384 => f.write_str("ecdsa-p384"),
            Self::EcdsaP521 => f.write_str("ecdsa-p521"),
            Self::Ed25519 => f.write_str("ed25519"),
            Self::Ed448 => f.write_str("ed448"),
            Self::Other => f.write_str("other"),
        }
    }
}

/// Which client keys are strong enough to identify an account.
///
/// The default accepts RSA keys of at least 2048 bits (as mox does), ECDSA on P-256,
/// P-384 and P-521, Ed25519 and Ed448, and refuses every other key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPolicy {
    /// The smallest RSA modulus accepted, in bits.
    pub min_rsa_bits: usize,
}

impl KeyPolicy {
    /// The default policy: RSA keys need at least 2048 bits.
    pub const fn new() -> Self {
        Self { min_rsa_bits: 2048 }
    }

    /// Sets the smallest RSA modulus accepted, in bits.
    pub const fn with_min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits;
        self
    }

    /// Whether a key of this type is acceptable.
    ///
    /// # Errors
    ///
    /// [`WeakKey`] says why not.
    pub fn check(&self, key: KeyType) -> Result<(), WeakKey> {
        match key {
            KeyType::Rsa { bits } if bits < self.min_rsa_bits => Err(WeakKey::RsaTooShort {
                bits,
                min_bits: self.min_rsa_bits,
            }),
            KeyType::Rsa { .. }
            | KeyType::EcdsaP256
            | KeyType::EcdsaP384
            | KeyType::EcdsaP521
            | KeyType::Ed25519
            | KeyType::Ed448 => Ok(()),
            KeyType::Other => Err(WeakKey::UnsupportedKeyType),
        }
    }
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a certificate's key is refused by a [`KeyPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WeakKey {
    /// An RSA key with a modulus shorter than the policy's minimum.
    RsaTooShort {
        /// The key's modulus length in bits.
        bits: usize,
        /// The policy's minimum.
        min_bits: usize,
    },
    /// A key type the policy does not know ([`KeyType::Other`]).
    UnsupportedKeyType,
}

impl fmt::Display for WeakKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RsaTooShort { bits, min_bits } => write!(
                f,
                "weak client key: RSA with {bits} bits, at least {min_bits} are required"
            ),
            Self::UnsupportedKeyType => f.write_str(
                "weak client key: unsupported key type (RSA, ECDSA P-256/P-384/P-521, \
                 Ed25519 and Ed448 are accepted)",
            ),
        }
    }
}

impl std::error::Error for WeakKey {}

/// The identity facts of one X.509 certificate (typically a TLS client's leaf).
///
/// mox pins an account to the certificate's public key: the SHA-256 of its DER
/// SubjectPublicKeyInfo, shown as [`fingerprint`](Self::fingerprint). Expiry, names
/// and issuer do not matter for that; other deployments map the
/// [`email_addresses`](Self::email_addresses) instead.
///
/// ```
/// use sasl_external::{CertificateError, CertificateIdentity};
/// assert_eq!(CertificateIdentity::from_der(b""), Err(CertificateError::Empty));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    spki_sha256: [u8; 32],
    key_type: KeyType,
    emails: Vec<String>,
}

impl CertificateIdentity {
    /// Parses a DER-encoded X.509 certificate, strictly: DER only (no BER, no PEM),
    /// nothing after the certificate, a public key that decodes for its algorithm.
    /// The work done is linear in the length, which is bounded (64 KiB).
    ///
    /// The signature is not checked and validity dates, issuer and extensions other
    /// than subjectAltName are not interpreted: the TLS handshake proves possession
    /// of the key, and the application decides what the key means.
    ///
    /// # Errors
    ///
    /// A [`CertificateError`] saying what is wrong.
    pub fn from_der(cert: &[u8]) -> Result<Self, CertificateError> {
        if cert.is_empty() {
            return Err(CertificateError::Empty);
        }
        if cert.len() > MAX_CERTIFICATE_LEN {
            return Err(CertificateError::TooLarge {
                len: cert.len(),
                max: MAX_CERTIFICATE_LEN,
            });
        }
        // One complete DER element, nothing after it, and a SEQUENCE.
        let mut outer = SliceReader::new(cert).map_err(der_error)?;
        let tlv = outer.tlv_bytes().map_err(der_error)?;
        let extra = cert.len().saturating_sub(tlv.len());
        if extra != 0 {
            return Err(CertificateError::TrailingData { extra });
        }
        if tlv.first() != Some(&0x30) {
            return Err(CertificateError::NotACertificate {
                detail: "the outer element is not a SEQUENCE".into(),
            });
        }

        let parsed = Certificate::from_der(cert).map_err(der_error)?;
        let tbs = parsed.tbs_certificate();
        let spki_der = raw_spki(cert).map_err(der_error)?;
        let key_type = key_type(tbs.subject_public_key_info())?;

        // At most MAX_EMAILS distinct addresses, so the duplicate check stays bounded
        // whatever the certificate holds (it is parsed before the client has proven it
        // holds the key).
        let mut emails: Vec<String> = Vec::new();
        let mut add = |email: &str| {
            if emails.len() < MAX_EMAILS && !emails.iter().any(|e| e == email) {
                emails.push(email.to_owned());
            }
        };
        let san = tbs.get_extension::<SubjectAltName>().map_err(|err| {
            CertificateError::InvalidExtension {
                detail: err.to_string(),
            }
        })?;
        if let Some((_critical, SubjectAltName(names))) = &san {
            for name in names {
                if let GeneralName::Rfc822Name(email) = name {
                    add(email.as_str());
                }
            }
        }
        for attribute in tbs.subject().iter() {
            if attribute.oid != EMAIL_ADDRESS {
                continue;
            }
            // PKCS #9 says IA5String; some issuers use UTF8String.
            let value = &attribute.value;
            let text = match value.tag() {
                Tag::Ia5String => value.decode_as::<Ia5StringRef<'_>>().map(|s| s.as_str()),
                Tag::Utf8String => value.decode_as::<Utf8StringRef<'_>>().map(|s| s.as_str()),
                _ => continue,
            };
            add(text.map_err(der_error)?);
        }

        Ok(Self {
            spki_sha256: Sha256::digest(spki_der).into(),
            key_type,
            emails,
        })
    }

    /// The SHA-256 of the certificate's DER SubjectPublicKeyInfo (what mox pins an
    /// account to).
    pub fn spki_sha256(&self) -> [u8; 32] {
        self.spki_sha256
    }

    /// [`spki_sha256`](Self::spki_sha256) as base64url without padding (43
    /// characters): mox's `TLSPublicKey` fingerprint, and Go's
    /// `base64.RawURLEncoding.EncodeToString(sha256.Sum256(cert.RawSubjectPublicKeyInfo))`.
    pub fn fingerprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.spki_sha256)
    }

    /// The type of the certificate's public key.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The email addresses the certificate names: the rfc822Name entries of its
    /// subjectAltName extension, then the PKCS #9 emailAddress attributes of its
    /// subject, in that order, without exact duplicates, at most 32. They are as the certificate
    /// spells them (not normalized); whether one may be trusted is the
    /// application's policy (a self-signed certificate can name anyone).
    pub fn email_addresses(&self) -> &[String] {
        &self.emails
    }

    /// Whether the key is strong enough under `policy`.
    ///
    /// # Errors
    ///
    /// [`WeakKey`] says why not.
    pub fn check_key(&self, policy: &KeyPolicy) -> Result<(), WeakKey> {
        policy.check(self.key_type)
    }
}

/// The DER bytes of the subjectPublicKeyInfo field, as they appear in `cert` (which
/// has already been parsed as a certificate). Hashing the original bytes, not a
/// re-encoding, is what mox (Go's `RawSubjectPublicKeyInfo`) does.
fn raw_spki(cert: &[u8]) -> x509_cert::der::Result<&[u8]> {
    let mut reader = SliceReader::new(cert)?;
    let spki = reader.sequence(|certificate| {
        let spki = certificate.sequence(|tbs| {
            // [0] EXPLICIT version, when not v1.
            if tbs.peek_byte() == Some(0xa0) {
                tbs.tlv_bytes()?;
            }
            // serialNumber, signature, issuer, validity, subject.
            for _ in 0..5 {
                tbs.tlv_bytes()?;
            }
            let spki = tbs.tlv_bytes()?;
            while !tbs.is_finished() {
                tbs.tlv_bytes()?;
            }
            Ok::<_, x509_cert::der::Error>(spki)
        })?;
        while !certificate.is_finished() {
            certificate.tlv_bytes()?;
        }
        Ok::<_, x509_cert::der::Error>(spki)
    })?;
    reader.finish()?;
    Ok(spki)
}

fn invalid_key(detail: &'static str) -> CertificateError {
    CertificateError::InvalidKey { detail }
}

/// Classifies the public key, checking that a key of a known type decodes.
fn key_type(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyType, CertificateError> {
    let algorithm = &spki.algorithm;
    let Some(key) = spki.subject_public_key.as_bytes() else {
        return Err(invalid_key("the key's BIT STRING has unused bits"));
    };
    let no_parameters = algorithm.parameters.is_none();
    match algorithm.oid {
        RSA_ENCRYPTION => {
            // RFC 3279: the parameters are NULL (absent is tolerated, as by Go).
            let null_or_absent = algorithm
                .parameters
                .as_ref()
                .is_none_or(|p| p.tag() == Tag::Null && p.value().is_empty());
            if !null_or_absent {
                return Err(invalid_key("RSA key parameters are not NULL"));
            }
            Ok(KeyType::Rsa {
                bits: rsa_modulus_bits(key)?,
            })
        }
        EC_PUBLIC_KEY => {
            let Some(parameters) = &algorithm.parameters else {
                return Err(invalid_key("EC key without a named curve"));
            };
            if parameters.tag() != Tag::ObjectIdentifier {
                // Explicit curve parameters (RFC 5480 forbids them).
                return Err(invalid_key("EC key without a named curve"));
            }
            let curve = parameters
                .decode_as::<ObjectIdentifier>()
                .map_err(|_| invalid_key("EC key with a malformed curve identifier"))?;
            let (kind, field_len) = match curve {
                SECP256R1 => (KeyType::EcdsaP256, 32),
                SECP384R1 => (KeyType::EcdsaP384, 48),
                SECP521R1 => (KeyType::EcdsaP521, 66),
                _ => return Ok(KeyType::Other),
            };
            // SEC 1 point: 04 || X || Y, or 02/03 || X (compressed).
            let valid = match key.first() {
                Some(0x04) => key.len() == 1 + 2 * field_len,
                Some(0x02 | 0x03) => key.len() == 1 + field_len,
                _ => false,
            };
            if valid {
                Ok(kind)
            } else {
                Err(invalid_key(
                    "EC point of the wrong form or length for its curve",
                ))
            }
        }
        ED25519 if no_parameters && key.len() == 32 => Ok(KeyType::Ed25519),
        ED25519 => Err(invalid_key(
            "Ed25519 key with parameters or not 32 bytes long",
        )),
        ED448 if no_parameters && key.len() == 57 => Ok(KeyType::Ed448),
        ED448 => Err(invalid_key(
            "Ed448 key with parameters or not 57 bytes long",
        )),
        _ => Ok(KeyType::Other),
    }
}

/// The bit length of the modulus of a DER `RSAPublicKey` (RFC 8017 A.1.1):
/// `SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn rsa_modulus_bits(key: &[u8]) -> Result<usize, CertificateError> {
    let decode = || -> x509_cert::der::Result<(&[u8], &[u8])> {
        let mut reader = SliceReader::new(key)?;
        let (modulus, exponent) = reader.sequence(|seq| {
            let modulus = UintRef::decode(seq)?;
            let exponent = UintRef::decode(seq)?;
            Ok::<_, x509_cert::der::Error>((modulus.as_bytes(), exponent.as_bytes()))
        })?;
        reader.finish()?;
        Ok((modulus, exponent))
    };
    let (modulus, exponent) = decode().map_err(|_| invalid_key("not a DER RSAPublicKey"))?;
    // `UintRef` has removed the sign byte, so the first byte is the most significant
    // non-zero byte (or the only byte of zero).
    let first = match modulus.first() {
        Some(&first) if first != 0 => first,
        _ => return Err(invalid_key("RSA modulus of zero")),
    };
    let bits = (modulus.len() - 1) * 8 + (8 - first.leading_zeros() as usize);
    if bits > MAX_RSA_BITS {
        return Err(invalid_key("RSA modulus longer than 16384 bits"));
    }
    // The exponent is odd and at least 3.
    let odd = exponent.last().is_some_and(|last| last & 1 == 1);
    if !odd || exponent == [1] {
        return Err(invalid_key(
            "RSA public exponent is not an odd number above 1",
        ));
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::der::asn1::{Any, BitString};
    use x509_cert::spki::AlgorithmIdentifierOwned;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        match u8::try_from(len) {
            Ok(short) if short < 0x80 => out.push(short),
            _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    /// A DER `RSAPublicKey` with these unsigned big-endian values.
    fn rsa_key(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
        let uint = |value: &[u8]| {
            let mut content = Vec::new();
            if value.first().is_some_and(|b| b & 0x80 != 0) {
                content.push(0);
            }
            content.extend_from_slice(value);
            tlv(0x02, &content)
        };
        let mut body = uint(modulus);
        body.extend(uint(exponent));
        tlv(0x30, &body)
    }

    fn spki(
        oid: ObjectIdentifier,
        parameters: Option<Any>,
        key: &[u8],
    ) -> SubjectPublicKeyInfoOwned {
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned { oid, parameters },
            subject_public_key: BitString::from_bytes(key).unwrap(),
        }
    }

    fn null() -> Option<Any> {
        Some(Any::new(Tag::Null, Vec::new()).unwrap())
    }

    fn named_curve(curve: ObjectIdentifier) -> Option<Any> {
        Some(Any::new(Tag::ObjectIdentifier, curve.as_bytes()).unwrap())
    }

    #[test]
    fn rsa_modulus_length_is_counted_in_bits_and_bounded() {
        let e = [0x01, 0x00, 0x01];
        assert_eq!(rsa_modulus_bits(&rsa_key(&[0xff; 2048], &e)), Ok(16384));
        let mut over = vec![0x01];
        over.extend([0; 2048]);
        assert_eq!(
            rsa_modulus_bits(&rsa_key(&over, &e)),
            Err(invalid_key("RSA modulus longer than 16384 bits"))
        );
        let mut short_top = vec![0x7f];
        short_top.extend([0xff; 255]);
        assert_eq!(rsa_modulus_bits(&rsa_key(&short_top, &e)), Ok(2047));
        assert_eq!(rsa_modulus_bits(&rsa_key(&[0x05], &e)), Ok(3));
        assert_eq!(
            rsa_modulus_bits(&rsa_key(&[0], &e)),
            Err(invalid_key("RSA modulus of zero"))
        );
    }

    #[test]
    fn rsa_exponent_must_be_odd_and_above_one() {
        let modulus = [0xc5; 256];
        for good in [&[3][..], &[0x01, 0x00, 0x01], &[0x01, 0x01]] {
            assert_eq!(
                rsa_modulus_bits(&rsa_key(&modulus, good)),
                Ok(2048),
                "{good:?}"
            );
        }
        let refused = Err(invalid_key(
            "RSA public exponent is not an odd number above 1",
        ));
        for bad in [&[1][..], &[2], &[0], &[0x01, 0x00, 0x00]] {
            assert_eq!(
                rsa_modulus_bits(&rsa_key(&modulus, bad)),
                refused,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rsa_parameters_must_be_null_or_absent() {
        let key = rsa_key(&[0xc5; 256], &[0x01, 0x00, 0x01]);
        let rsa = KeyType::Rsa { bits: 2048 };
        assert_eq!(key_type(&spki(RSA_ENCRYPTION, None, &key)), Ok(rsa));
        assert_eq!(key_type(&spki(RSA_ENCRYPTION, null(), &key)), Ok(rsa));
        let not_null = Err(invalid_key("RSA key parameters are not NULL"));
        let curve = named_curve(SECP256R1);
        assert_eq!(key_type(&spki(RSA_ENCRYPTION, curve, &key)), not_null);
        // A NULL with content is not NULL either.
        let fat_null = Some(Any::new(Tag::Null, vec![0]).unwrap());
        assert_eq!(key_type(&spki(RSA_ENCRYPTION, fat_null, &key)), not_null);
    }

    #[test]
    fn ec_points_must_fit_their_curve() {
        for (curve, kind, field) in [
            (SECP256R1, KeyType::EcdsaP256, 32),
            (SECP384R1, KeyType::EcdsaP384, 48),
            (SECP521R1, KeyType::EcdsaP521, 66),
        ] {
            let ec = |point: &[u8]| key_type(&spki(EC_PUBLIC_KEY, named_curve(curve), point));
            let point = |form: u8, len: usize| {
                let mut p = vec![form];
                p.extend(vec![0x11; len]);
                p
            };
            let wrong = Err(invalid_key(
                "EC point of the wrong form or length for its curve",
            ));
            assert_eq!(ec(&point(0x04, 2 * field)), Ok(kind), "{kind}");
            assert_eq!(ec(&point(0x02, field)), Ok(kind), "{kind}");
            assert_eq!(ec(&point(0x03, field)), Ok(kind), "{kind}");
            assert_eq!(ec(&point(0x04, 2 * field - 1)), wrong, "{kind}");
            assert_eq!(ec(&point(0x04, 2 * field + 1)), wrong, "{kind}");
            assert_eq!(ec(&point(0x04, field)), wrong, "{kind}");
            assert_eq!(ec(&point(0x02, field + 1)), wrong, "{kind}");
            assert_eq!(ec(&point(0x03, field - 1)), wrong, "{kind}");
            assert_eq!(ec(&point(0x02, 2 * field)), wrong, "{kind}");
            assert_eq!(ec(&point(0x05, field)), wrong, "{kind}");
            assert_eq!(ec(&[]), wrong, "{kind}");
        }
        let point = [0x04; 65];
        let no_curve = Err(invalid_key("EC key without a named curve"));
        assert_eq!(key_type(&spki(EC_PUBLIC_KEY, None, &point)), no_curve);
        assert_eq!(key_type(&spki(EC_PUBLIC_KEY, null(), &point)), no_curve);
        // Another named curve (brainpoolP256r1) is a key type the policy does not know.
        let brainpool = ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7");
        assert_eq!(
            key_type(&spki(EC_PUBLIC_KEY, named_curve(brainpool), &point)),
            Ok(KeyType::Other)
        );
    }

    #[test]
    fn edwards_keys_have_no_parameters_and_a_fixed_length() {
        assert_eq!(
            key_type(&spki(ED25519, None, &[7; 32])),
            Ok(KeyType::Ed25519)
        );
        assert_eq!(key_type(&spki(ED448, None, &[7; 57])), Ok(KeyType::Ed448));
        let bad25519 = Err(invalid_key(
            "Ed25519 key with parameters or not 32 bytes long",
        ));
        let bad448 = Err(invalid_key(
            "Ed448 key with parameters or not 57 bytes long",
        ));
        assert_eq!(key_type(&spki(ED25519, null(), &[7; 32])), bad25519);
        assert_eq!(key_type(&spki(ED25519, None, &[7; 31])), bad25519);
        assert_eq!(key_type(&spki(ED25519, None, &[7; 33])), bad25519);
        assert_eq!(key_type(&spki(ED448, null(), &[7; 57])), bad448);
        assert_eq!(key_type(&spki(ED448, None, &[7; 56])), bad448);
        assert_eq!(key_type(&spki(ED448, None, &[7; 58])), bad448);
    }
}
