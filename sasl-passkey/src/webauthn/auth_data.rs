//! Authenticator data (W3C WebAuthn §6.1).

use core::fmt;

use super::cose::{CoseKey, CoseKeyError};
use crate::cbor;

/// Longest credential id WebAuthn allows, in bytes.
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// Largest authenticator data accepted, in bytes.
pub const MAX_AUTHENTICATOR_DATA_LEN: usize = 16 * 1024;

/// The flags byte of authenticator data. The reserved bits (1 and 5) are ignored, as
/// the specification says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// User present (bit 0).
    pub const UP: u8 = 0x01;
    /// User verified (bit 2).
    pub const UV: u8 = 0x04;
    /// Backup eligible (bit 3).
    pub const BE: u8 = 0x08;
    /// Backup state (bit 4).
    pub const BS: u8 = 0x10;
    /// Attested credential data included (bit 6).
    pub const AT: u8 = 0x40;
    /// Extension data included (bit 7).
    pub const ED: u8 = 0x80;

    /// The flags of a flags byte.
    pub fn from_bits(bits: u8) -> Self {
        Flags(bits)
    }

    /// The flags byte.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// UP: a user was present.
    pub fn user_present(self) -> bool {
        self.0 & Self::UP != 0
    }

    /// UV: the user was verified (PIN, biometrics).
    pub fn user_verified(self) -> bool {
        self.0 & Self::UV != 0
    }

    /// BE: the credential may be backed up (a synced passkey).
    pub fn backup_eligible(self) -> bool {
        self.0 & Self::BE != 0
    }

    /// BS: the credential is backed up.
    pub fn backup_state(self) -> bool {
        self.0 & Self::BS != 0
    }

    /// AT: attested credential data follows the counter.
    pub fn attested_credential_data(self) -> bool {
        self.0 & Self::AT != 0
    }

    /// ED: an extensions map ends the data.
    pub fn extension_data(self) -> bool {
        self.0 & Self::ED != 0
    }
}

/// Why bytes are not well-formed authenticator data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthenticatorDataError {
    /// Too short, a bad length, a bad extensions map, a malformed key.
    Malformed(&'static str),
    /// Bytes after what the flags announce.
    TrailingBytes,
    /// The attested credential public key is well formed but not supported.
    UnsupportedKey(&'static str),
}

impl AuthenticatorDataError {
    /// A short static description.
    pub fn detail(&self) -> &'static str {
        match self {
            AuthenticatorDataError::Malformed(d) | AuthenticatorDataError::UnsupportedKey(d) => d,
            AuthenticatorDataError::TrailingBytes => "bytes after the authenticator data",
        }
    }
}

impl fmt::Display for AuthenticatorDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthenticatorDataError::Malformed(d) => write!(f, "malformed authenticator data: {d}"),
            AuthenticatorDataError::TrailingBytes => {
                f.write_str("bytes after the authenticator data")
            }
            AuthenticatorDataError::UnsupportedKey(d) => {
                write!(f, "unsupported credential key: {d}")
            }
        }
    }
}

impl std::error::Error for AuthenticatorDataError {}

/// Attested credential data: what registration adds to authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredentialData {
    aaguid: [u8; 16],
    credential_id: Vec<u8>,
    public_key: CoseKey,
}

impl AttestedCredentialData {
    /// The authenticator model (all zero for "none" attestation and many passkey
    /// providers).
    pub fn aaguid(&self) -> &[u8; 16] {
        &self.aaguid
    }

    /// The new credential's id (1 to 1023 bytes).
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    /// The new credential's public key.
    pub fn public_key(&self) -> &CoseKey {
        &self.public_key
    }

    /// The public key's COSE_Key CBOR, exactly as the authenticator wrote it.
    pub fn public_key_bytes(&self) -> &[u8] {
        self.public_key.as_cbor()
    }
}

/// Parsed authenticator data: `rpIdHash (32) || flags (1) || signCount (4, big
/// endian) || [attestedCredentialData] || [extensions]`.
///
/// Parsing checks the structure only: attested credential data exactly when AT is
/// set, an extensions map exactly when ED is set, nothing after that. Extensions are
/// kept as raw CBOR (a well-formed map, contents not interpreted: unknown extensions
/// are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData<'a> {
    raw: &'a [u8],
    rp_id_hash: [u8; 32],
    flags: Flags,
    sign_count: u32,
    attested: Option<AttestedCredentialData>,
    extensions: Option<&'a [u8]>,
}

impl<'a> AuthenticatorData<'a> {
    /// Parses authenticator data (at most [`MAX_AUTHENTICATOR_DATA_LEN`] bytes).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, AuthenticatorDataError> {
        use AuthenticatorDataError::{Malformed, TrailingBytes};
        if bytes.len() > MAX_AUTHENTICATOR_DATA_LEN {
            return Err(Malformed("authenticator data too large"));
        }
        let (rp_id_hash, rest) = bytes
            .split_first_chunk::<32>()
            .ok_or(Malformed("shorter than 37 bytes"))?;
        let (&flags, rest) = rest
            .split_first()
            .ok_or(Malformed("shorter than 37 bytes"))?;
        let flags = Flags(flags);
        let (count, mut rest) = rest
            .split_first_chunk::<4>()
            .ok_or(Malformed("shorter than 37 bytes"))?;
        let sign_count = u32::from_be_bytes(*count);

        let attested = if flags.attested_credential_data() {
            let (aaguid, after) = rest
                .split_first_chunk::<16>()
                .ok_or(Malformed("attested credential data truncated"))?;
            let (len, after) = after
                .split_first_chunk::<2>()
                .ok_or(Malformed("attested credential data truncated"))?;
            let len = usize::from(u16::from_be_bytes(*len));
            if len == 0 || len > MAX_CREDENTIAL_ID_LEN {
                return Err(Malformed("credential id length not 1 to 1023"));
            }
            let credential_id = after
                .get(..len)
                .ok_or(Malformed("credential id truncated"))?
                .to_vec();
            let after = after.get(len..).unwrap_or_default();
            let (public_key, used) = CoseKey::from_cbor_prefix(after).map_err(|e| match e {
                CoseKeyError::Malformed(d) => Malformed(d),
                CoseKeyError::Unsupported(d) => AuthenticatorDataError::UnsupportedKey(d),
            })?;
            rest = after.get(used..).unwrap_or_default();
            Some(AttestedCredentialData {
                aaguid: *aaguid,
                credential_id,
                public_key,
            })
        } else {
            None
        };

        let extensions = if flags.extension_data() {
            let (value, used) = cbor::decode_prefix(rest).map_err(|e| {
                Malformed(match e {
                    cbor::CborError::UnexpectedEnd => "extensions truncated",
                    _ => "extensions not strict CBOR",
                })
            })?;
            if value.as_map().is_none() {
                return Err(Malformed("extensions not a CBOR map"));
            }
            let (ext, after) = rest.split_at_checked(used).unwrap_or((rest, &[]));
            rest = after;
            Some(ext)
        } else {
            None
        };

        if !rest.is_empty() {
            return Err(TrailingBytes);
        }
        Ok(AuthenticatorData {
            raw: bytes,
            rp_id_hash: *rp_id_hash,
            flags,
            sign_count,
            attested,
            extensions,
        })
    }

    /// The bytes parsed.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    pub fn rp_id_hash(&self) -> &[u8; 32] {
        &self.rp_id_hash
    }

    /// The flags.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// The signature counter (0 for most synced passkeys).
    pub fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// The attested credential data (registration only).
    pub fn attested_credential_data(&self) -> Option<&AttestedCredentialData> {
        self.attested.as_ref()
    }

    /// The extensions map, as raw CBOR.
    pub fn extensions(&self) -> Option<&'a [u8]> {
        self.extensions
    }
}
