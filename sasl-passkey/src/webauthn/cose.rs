//! COSE_Key public keys (RFC 9052/9053) for the three WebAuthn algorithms supported.

use core::fmt;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ED25519, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    RsaPublicKeyComponents,
};

use crate::cbor::{self, Value};

/// The COSE key labels and values used here (RFC 9052 §7.1, RFC 9053 §7).
const LABEL_KTY: i64 = 1;
const LABEL_ALG: i64 = 3;
const LABEL_CRV: i64 = -1;
const LABEL_X: i64 = -2;
const LABEL_Y: i64 = -3;
const LABEL_N: i64 = -1;
const LABEL_E: i64 = -2;
const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const KTY_RSA: i64 = 3;
const CRV_P256: i64 = 1;
const CRV_ED25519: i64 = 6;

/// Largest COSE key accepted, in bytes (an RSA-4096 key is about 530).
const MAX_KEY_LEN: usize = 2048;

/// Smallest and largest RSA modulus accepted, in bits.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;

/// A signature algorithm this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CoseAlgorithm {
    /// ECDSA on P-256 with SHA-256 (COSE -7); signatures are ASN.1 DER.
    Es256,
    /// Ed25519 (COSE -8); signatures are 64 raw bytes.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (COSE -257), 2048- to 4096-bit moduli.
    Rs256,
}

impl CoseAlgorithm {
    /// The COSE algorithm identifier.
    pub fn cose_id(self) -> i64 {
        match self {
            CoseAlgorithm::Es256 => -7,
            CoseAlgorithm::EdDsa => -8,
            CoseAlgorithm::Rs256 => -257,
        }
    }

    /// The algorithm with COSE identifier `id`, if supported.
    pub fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            -7 => Some(CoseAlgorithm::Es256),
            -8 => Some(CoseAlgorithm::EdDsa),
            -257 => Some(CoseAlgorithm::Rs256),
            _ => None,
        }
    }

    /// All supported algorithms, in the order a server offers them.
    pub const ALL: [CoseAlgorithm; 3] = [
        CoseAlgorithm::Es256,
        CoseAlgorithm::EdDsa,
        CoseAlgorithm::Rs256,
    ];
}

/// Why bytes are not a supported COSE key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoseKeyError {
    /// Not a well-formed COSE_Key (bad CBOR, missing or mistyped parameters).
    Malformed(&'static str),
    /// A well-formed key of a type, curve, algorithm or size not supported here.
    Unsupported(&'static str),
}

impl CoseKeyError {
    /// A short static description.
    pub fn detail(&self) -> &'static str {
        match self {
            CoseKeyError::Malformed(d) | CoseKeyError::Unsupported(d) => d,
        }
    }
}

impl fmt::Display for CoseKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoseKeyError::Malformed(d) => write!(f, "malformed COSE key: {d}"),
            CoseKeyError::Unsupported(d) => write!(f, "unsupported COSE key: {d}"),
        }
    }
}

impl std::error::Error for CoseKeyError {}

/// A signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureError;

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("signature does not verify")
    }
}

impl std::error::Error for SignatureError {}

/// A credential public key: ES256 (EC2, P-256), EdDSA (OKP, Ed25519) or RS256
/// (RSA, 2048 to 4096 bits), from its COSE_Key CBOR encoding.
///
/// The key is checked and parsed for aws-lc-rs once, here (the P-256 point must lie
/// on the curve); [`verify`](Self::verify) does no parsing. COSE parameters other
/// than the ones each key type needs (`kid`, `key_ops`, ...) are ignored; the CBOR
/// itself must be strict (shortest form, no duplicate labels).
#[derive(Clone)]
pub struct CoseKey {
    algorithm: CoseAlgorithm,
    cbor: Vec<u8>,
    key: ParsedPublicKey,
}

impl CoseKey {
    /// Parses a COSE_Key; the bytes must hold exactly one CBOR map.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CoseKeyError> {
        if bytes.len() > MAX_KEY_LEN {
            return Err(CoseKeyError::Malformed("key too large"));
        }
        let value = cbor::decode(bytes).map_err(|e| CoseKeyError::Malformed(e.detail()))?;
        Self::from_value(&value, bytes)
    }

    /// Parses the COSE_Key at the start of `bytes` (attested credential data, where
    /// more may follow) and returns it with the number of bytes it took.
    pub(crate) fn from_cbor_prefix(bytes: &[u8]) -> Result<(Self, usize), CoseKeyError> {
        let (value, used) =
            cbor::decode_prefix(bytes).map_err(|e| CoseKeyError::Malformed(e.detail()))?;
        let raw = bytes.get(..used).unwrap_or_default();
        if raw.len() > MAX_KEY_LEN {
            return Err(CoseKeyError::Malformed("key too large"));
        }
        Ok((Self::from_value(&value, raw)?, used))
    }

    fn from_value(value: &Value, raw: &[u8]) -> Result<Self, CoseKeyError> {
        if value.as_map().is_none() {
            return Err(CoseKeyError::Malformed("not a CBOR map"));
        }
        let int = |label: i64, what: &'static str| {
            value
                .map_get_int(label)
                .ok_or(CoseKeyError::Malformed(what))?
                .as_int()
                .ok_or(CoseKeyError::Malformed(what))
        };
        let bytes = |label: i64, what: &'static str| {
            value
                .map_get_int(label)
                .ok_or(CoseKeyError::Malformed(what))?
                .as_bytes()
                .ok_or(CoseKeyError::Malformed(what))
        };
        let kty = int(LABEL_KTY, "kty missing or not an integer")?;
        let alg = int(LABEL_ALG, "alg missing or not an integer")?;
        let algorithm = CoseAlgorithm::from_cose_id(alg).ok_or(CoseKeyError::Unsupported(
            "algorithm not ES256, EdDSA or RS256",
        ))?;
        let key = match algorithm {
            CoseAlgorithm::Es256 => {
                if kty != KTY_EC2 {
                    return Err(CoseKeyError::Malformed("ES256 key not of type EC2"));
                }
                if int(LABEL_CRV, "crv missing or not an integer")? != CRV_P256 {
                    return Err(CoseKeyError::Unsupported("ES256 key not on P-256"));
                }
                let x = bytes(LABEL_X, "x missing or not bytes")?;
                // A boolean y is point compression, which WebAuthn does not allow.
                let y = bytes(LABEL_Y, "y missing or not bytes (compressed point)")?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(CoseKeyError::Malformed("P-256 coordinate not 32 bytes"));
                }
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
                    .map_err(|_| CoseKeyError::Malformed("P-256 point not on the curve"))?
            }
            CoseAlgorithm::EdDsa => {
                if kty != KTY_OKP {
                    return Err(CoseKeyError::Malformed("EdDSA key not of type OKP"));
                }
                if int(LABEL_CRV, "crv missing or not an integer")? != CRV_ED25519 {
                    return Err(CoseKeyError::Unsupported("EdDSA key not Ed25519"));
                }
                let x = bytes(LABEL_X, "x missing or not bytes")?;
                if x.len() != 32 {
                    return Err(CoseKeyError::Malformed("Ed25519 key not 32 bytes"));
                }
                ParsedPublicKey::new(&ED25519, x)
                    .map_err(|_| CoseKeyError::Malformed("invalid Ed25519 key"))?
            }
            CoseAlgorithm::Rs256 => {
                if kty != KTY_RSA {
                    return Err(CoseKeyError::Malformed("RS256 key not of type RSA"));
                }
                let n = bytes(LABEL_N, "n missing or not bytes")?;
                let e = bytes(LABEL_E, "e missing or not bytes")?;
                if n.first().is_none_or(|b| *b == 0) || e.first().is_none_or(|b| *b == 0) {
                    return Err(CoseKeyError::Malformed(
                        "RSA component empty or zero-padded",
                    ));
                }
                let bits = n
                    .len()
                    .saturating_mul(8)
                    .saturating_sub(n.first().map_or(8, |b| b.leading_zeros() as usize));
                if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
                    return Err(CoseKeyError::Unsupported(
                        "RSA modulus not 2048 to 4096 bits",
                    ));
                }
                if e.len() > 4 {
                    return Err(CoseKeyError::Unsupported(
                        "RSA exponent larger than 32 bits",
                    ));
                }
                RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                    .map_err(|_| CoseKeyError::Malformed("invalid RSA key"))?
            }
        };
        Ok(CoseKey {
            algorithm,
            cbor: raw.to_vec(),
            key,
        })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> CoseAlgorithm {
        self.algorithm
    }

    /// The COSE_Key CBOR, exactly as parsed (what to store).
    pub fn as_cbor(&self) -> &[u8] {
        &self.cbor
    }

    /// The COSE_Key CBOR, exactly as parsed, as an owned copy.
    pub fn to_cbor(&self) -> Vec<u8> {
        self.cbor.clone()
    }

    /// Verifies `signature` over `message` (for WebAuthn, `authenticatorData ||
    /// SHA-256(clientDataJSON)`) in the encoding of the key's algorithm: ASN.1 DER
    /// for ES256, 64 raw bytes for EdDSA, a raw PKCS#1 v1.5 block for RS256.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        self.key
            .verify_sig(message, signature)
            .map_err(|_| SignatureError)
    }
}

impl PartialEq for CoseKey {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm == other.algorithm && self.cbor == other.cbor
    }
}

impl Eq for CoseKey {}

impl fmt::Debug for CoseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoseKey")
            .field("algorithm", &self.algorithm)
            .field("cbor_len", &self.cbor.len())
            .finish_non_exhaustive()
    }
}
