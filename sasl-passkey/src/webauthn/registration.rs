//! Registering a credential (W3C WebAuthn §7.1, SPECS §6.5) and the stored record.

use core::fmt;
use core::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::{PasskeyCredential, UserVerification};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::assertion::VerifiedAssertion;
use super::auth_data::{AuthenticatorData, AuthenticatorDataError, MAX_CREDENTIAL_ID_LEN};
use super::client_data::{ClientData, TYPE_CREATE};
use super::cose::{CoseAlgorithm, CoseKey};
use super::rp::{OriginError, RelyingParty};
use crate::cbor::{self, Value};

/// Longest WebAuthn user handle, in bytes.
pub const MAX_USER_HANDLE_LEN: usize = 64;

/// Largest attestation object accepted, in bytes.
pub const MAX_ATTESTATION_OBJECT_LEN: usize = 32 * 1024;

fn uv_name(uv: UserVerification) -> &'static str {
    match uv {
        UserVerification::Required => "required",
        UserVerification::Preferred => "preferred",
        UserVerification::Discouraged => "discouraged",
    }
}

/// The options of a registration ceremony (`PublicKeyCredentialCreationOptions`),
/// for a web page or an app to pass to `navigator.credentials.create()` or the
/// platform's passkey API.
///
/// Offers ES256, EdDSA and RS256, asks for no attestation ("none"), and by default a
/// discoverable credential (what SASL PASSKEY's discoverable flow needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreationOptions {
    rp_id: String,
    rp_name: String,
    user_handle: Vec<u8>,
    user_name: String,
    user_display_name: String,
    challenge: Vec<u8>,
    algorithms: Vec<CoseAlgorithm>,
    exclude_credentials: Vec<Vec<u8>>,
    user_verification: UserVerification,
    timeout_ms: u32,
    discoverable: bool,
}

impl CreationOptions {
    /// Options for registering a passkey of the user with WebAuthn user handle
    /// `user_handle` (random, at most 64 bytes, no personal data) under the relying
    /// party `rp` (whose RP ID, user verification and timeout are taken), shown as
    /// `rp_name`; `challenge` must be fresh random bytes (at least 16), kept to pass
    /// to [`verify_registration`].
    pub fn new(
        rp: &RelyingParty,
        rp_name: impl Into<String>,
        user_handle: Vec<u8>,
        user_name: impl Into<String>,
        user_display_name: impl Into<String>,
        challenge: Vec<u8>,
    ) -> Self {
        CreationOptions {
            rp_id: rp.rp_id().to_owned(),
            rp_name: rp_name.into(),
            user_handle,
            user_name: user_name.into(),
            user_display_name: user_display_name.into(),
            challenge,
            algorithms: CoseAlgorithm::ALL.to_vec(),
            exclude_credentials: Vec::new(),
            user_verification: rp.user_verification(),
            timeout_ms: rp.timeout_ms(),
            discoverable: true,
        }
    }

    /// Lists credentials the user already has, so the authenticator does not create a
    /// second one (`excludeCredentials`).
    pub fn with_exclude_credentials(mut self, ids: Vec<Vec<u8>>) -> Self {
        self.exclude_credentials = ids;
        self
    }

    /// Whether to require a discoverable credential (`residentKey: "required"`,
    /// the default) or only prefer one.
    pub fn require_discoverable(mut self, required: bool) -> Self {
        self.discoverable = required;
        self
    }

    /// The challenge.
    pub fn challenge(&self) -> &[u8] {
        &self.challenge
    }

    /// The user handle.
    pub fn user_handle(&self) -> &[u8] {
        &self.user_handle
    }

    /// The options as `PublicKeyCredentialCreationOptionsJSON` (binary members in
    /// unpadded base64url), what `PublicKeyCredential.parseCreationOptionsFromJSON()`
    /// and the platform APIs take.
    pub fn to_json(&self) -> String {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let params: Vec<_> = self
            .algorithms
            .iter()
            .map(|a| json!({"type": "public-key", "alg": a.cose_id()}))
            .collect();
        let exclude: Vec<_> = self
            .exclude_credentials
            .iter()
            .map(|id| json!({"type": "public-key", "id": b64(id)}))
            .collect();
        json!({
            "rp": {"id": self.rp_id, "name": self.rp_name},
            "user": {
                "id": b64(&self.user_handle),
                "name": self.user_name,
                "displayName": self.user_display_name,
            },
            "challenge": b64(&self.challenge),
            "pubKeyCredParams": params,
            "timeout": self.timeout_ms,
            "excludeCredentials": exclude,
            "authenticatorSelection": {
                "residentKey": if self.discoverable { "required" } else { "preferred" },
                "requireResidentKey": self.discoverable,
                "userVerification": uv_name(self.user_verification),
            },
            "attestation": "none",
        })
        .to_string()
    }
}

/// Why a registration was refused; one variant per check of [`verify_registration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationError {
    /// `clientDataJSON` is not acceptable JSON.
    MalformedClientData(&'static str),
    /// `type` is not `webauthn.create`.
    WrongType,
    /// The challenge is not the one sent.
    ChallengeMismatch,
    /// The origin (or `topOrigin`) is not in the allowlist.
    OriginNotAllowed,
    /// `crossOrigin: true` or a `topOrigin`, and the relying party does not allow it.
    CrossOriginNotAllowed,
    /// The attestation object is not a CBOR map `{fmt, attStmt, authData}`, or the
    /// statement is malformed.
    MalformedAttestation(&'static str),
    /// Authenticator data is malformed.
    MalformedAuthenticatorData(&'static str),
    /// Bytes after the authenticator data.
    TrailingBytes,
    /// The authenticator scoped the credential to another RP ID.
    RpIdHashMismatch,
    /// UP is not set.
    UserNotPresent,
    /// User verification is required and UV is not set.
    UserNotVerified,
    /// BS without BE.
    BackupStateInvalid,
    /// AT is not set: no credential to register.
    MissingCredentialData,
    /// The credential key is not ES256, EdDSA or RS256 (or an unsupported variant).
    UnsupportedKey,
    /// An attestation format other than `none` and self-attested `packed`.
    UnsupportedAttestation,
    /// The `packed` statement's `alg` is not the credential key's.
    AttestationAlgorithmMismatch,
    /// The `packed` self-attestation signature does not verify.
    BadAttestationSignature,
    /// The user handle given is empty or longer than 64 bytes.
    InvalidUserHandle,
}

impl RegistrationError {
    /// A short static description for logs.
    pub fn detail(&self) -> &'static str {
        match self {
            RegistrationError::MalformedClientData(d)
            | RegistrationError::MalformedAttestation(d)
            | RegistrationError::MalformedAuthenticatorData(d) => d,
            RegistrationError::WrongType => "clientDataJSON type is not webauthn.create",
            RegistrationError::ChallengeMismatch => "challenge does not match",
            RegistrationError::OriginNotAllowed => "origin not allowed",
            RegistrationError::CrossOriginNotAllowed => "cross-origin use not allowed",
            RegistrationError::TrailingBytes => "bytes after the authenticator data",
            RegistrationError::RpIdHashMismatch => "rpIdHash is not the RP ID's",
            RegistrationError::UserNotPresent => "user presence flag not set",
            RegistrationError::UserNotVerified => "user verification required and not done",
            RegistrationError::BackupStateInvalid => "backup state set without eligibility",
            RegistrationError::MissingCredentialData => "no attested credential data",
            RegistrationError::UnsupportedKey => "credential key not supported",
            RegistrationError::UnsupportedAttestation => "attestation format not supported",
            RegistrationError::AttestationAlgorithmMismatch => {
                "attestation alg is not the credential key's"
            }
            RegistrationError::BadAttestationSignature => "attestation signature does not verify",
            RegistrationError::InvalidUserHandle => "user handle empty or longer than 64 bytes",
        }
    }
}

impl fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistrationError::MalformedClientData(d) => write!(f, "malformed clientDataJSON: {d}"),
            RegistrationError::MalformedAttestation(d) => {
                write!(f, "malformed attestation object: {d}")
            }
            RegistrationError::MalformedAuthenticatorData(d) => {
                write!(f, "malformed authenticator data: {d}")
            }
            other => f.write_str(other.detail()),
        }
    }
}

impl std::error::Error for RegistrationError {}

/// Verifies a registration response (W3C WebAuthn §7.1) and returns the credential
/// record to store for the user with handle `user_handle`.
///
/// Checks, in order: `clientDataJSON` parses, its `type` is `webauthn.create`, its
/// challenge is `challenge` (constant time), its origin and cross-origin use are
/// allowed; the attestation object is a strict CBOR map with text keys `fmt`,
/// `attStmt` and `authData` (others refused); authenticator data parses, carries
/// SHA-256 of the RP ID, UP, UV if required, no BS without BE, and attested
/// credential data with an ES256, EdDSA or RS256 key; the attestation statement is
/// `none` (an empty map) or `packed` self-attestation (`{alg, sig}` without `x5c`,
/// `alg` the key's, `sig` by the credential key over `authData ||
/// SHA-256(clientDataJSON)`). Attestation with certificates (`packed` with `x5c`,
/// `tpm`, `android-key`, `apple`, `fido-u2f`, ...) is refused as
/// [`UnsupportedAttestation`](RegistrationError::UnsupportedAttestation): without a
/// trust store it would prove nothing; ask for `attestation: "none"`.
///
/// Not checked here, left to the caller: that the credential id is not registered yet
/// (to any user), and that `challenge` is fresh and single-use.
pub fn verify_registration(
    rp: &RelyingParty,
    challenge: &[u8],
    user_handle: &[u8],
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<CredentialRecord, RegistrationError> {
    use RegistrationError as E;
    if user_handle.is_empty() || user_handle.len() > MAX_USER_HANDLE_LEN {
        return Err(E::InvalidUserHandle);
    }
    let client_data =
        ClientData::parse(client_data_json).map_err(|e| E::MalformedClientData(e.detail()))?;
    if client_data.ty() != TYPE_CREATE {
        return Err(E::WrongType);
    }
    if !sasl_core::ct_eq(client_data.challenge(), challenge) {
        return Err(E::ChallengeMismatch);
    }
    rp.check_origins(
        client_data.origin(),
        client_data.cross_origin(),
        client_data.top_origin(),
    )
    .map_err(|e| match e {
        OriginError::NotAllowed => E::OriginNotAllowed,
        OriginError::CrossOrigin => E::CrossOriginNotAllowed,
    })?;

    if attestation_object.len() > MAX_ATTESTATION_OBJECT_LEN {
        return Err(E::MalformedAttestation("attestation object too large"));
    }
    let object =
        cbor::decode(attestation_object).map_err(|e| E::MalformedAttestation(e.detail()))?;
    let pairs = object
        .as_map()
        .ok_or(E::MalformedAttestation("not a CBOR map"))?;
    if pairs.len() != 3 {
        return Err(E::MalformedAttestation(
            "not exactly fmt, attStmt and authData",
        ));
    }
    let fmt = object
        .map_get_text("fmt")
        .and_then(Value::as_text)
        .ok_or(E::MalformedAttestation("fmt missing or not text"))?;
    let statement = object
        .map_get_text("attStmt")
        .and_then(Value::as_map)
        .ok_or(E::MalformedAttestation("attStmt missing or not a map"))?;
    let auth_bytes = object
        .map_get_text("authData")
        .and_then(Value::as_bytes)
        .ok_or(E::MalformedAttestation("authData missing or not bytes"))?;

    let auth_data = AuthenticatorData::parse(auth_bytes).map_err(|e| match e {
        AuthenticatorDataError::TrailingBytes => E::TrailingBytes,
        AuthenticatorDataError::UnsupportedKey(_) => E::UnsupportedKey,
        other => E::MalformedAuthenticatorData(other.detail()),
    })?;
    if !sasl_core::ct_eq(auth_data.rp_id_hash(), rp.rp_id_hash()) {
        return Err(E::RpIdHashMismatch);
    }
    let flags = auth_data.flags();
    if !flags.user_present() {
        return Err(E::UserNotPresent);
    }
    if rp.user_verification() == UserVerification::Required && !flags.user_verified() {
        return Err(E::UserNotVerified);
    }
    if flags.backup_state() && !flags.backup_eligible() {
        return Err(E::BackupStateInvalid);
    }
    let attested = auth_data
        .attested_credential_data()
        .ok_or(E::MissingCredentialData)?;
    let key = attested.public_key();

    match fmt {
        "none" => {
            if !statement.is_empty() {
                return Err(E::MalformedAttestation("none attestation with a statement"));
            }
        }
        "packed" => {
            let stmt = Value::Map(statement.to_vec());
            if stmt.map_get_text("x5c").is_some() {
                return Err(E::UnsupportedAttestation);
            }
            if statement.len() != 2 {
                return Err(E::MalformedAttestation("packed statement not {alg, sig}"));
            }
            let alg =
                stmt.map_get_text("alg")
                    .and_then(Value::as_int)
                    .ok_or(E::MalformedAttestation(
                        "packed alg missing or not an integer",
                    ))?;
            let sig = stmt
                .map_get_text("sig")
                .and_then(Value::as_bytes)
                .ok_or(E::MalformedAttestation("packed sig missing or not bytes"))?;
            if alg != key.algorithm().cose_id() {
                return Err(E::AttestationAlgorithmMismatch);
            }
            let mut signed = Vec::with_capacity(auth_bytes.len().saturating_add(32));
            signed.extend_from_slice(auth_bytes);
            signed.extend_from_slice(&Sha256::digest(client_data_json));
            key.verify(&signed, sig)
                .map_err(|_| E::BadAttestationSignature)?;
        }
        _ => return Err(E::UnsupportedAttestation),
    }

    Ok(CredentialRecord {
        credential_id: attested.credential_id().to_vec(),
        public_key: attested.public_key_bytes().to_vec(),
        sign_count: auth_data.sign_count(),
        user_handle: user_handle.to_vec(),
        backup_eligible: flags.backup_eligible(),
        backup_state: flags.backup_state(),
        transports: Vec::new(),
        aaguid: *attested.aaguid(),
    })
}

/// Why a stored credential record does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordError(&'static str);

impl RecordError {
    /// A short static description.
    pub fn detail(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid passkey credential record: {}", self.0)
    }
}

impl std::error::Error for RecordError {}

/// The prefix of a version-1 record's text form.
pub const RECORD_PREFIX_V1: &str = "passkey-v1:";

/// Largest record text accepted, in bytes.
const MAX_RECORD_TEXT_LEN: usize = 8 * 1024;

/// Most transports a record holds, and the longest transport name.
const MAX_TRANSPORTS: usize = 16;
const MAX_TRANSPORT_LEN: usize = 32;

/// A registered credential, as the server stores it.
///
/// # Text form
///
/// [`to_text`](Self::to_text) writes, and [`from_text`](Self::from_text) (or
/// [`str::parse`]) reads, a single line:
///
/// ```text
/// passkey-v1:<base64url without padding of a CBOR map>
/// ```
///
/// where the CBOR map (strict: shortest-form, definite lengths) has exactly these
/// integer keys, in this order:
///
/// | key | value |
/// |---|---|
/// | 1 | credential id (bytes, 1 to 1023) |
/// | 2 | public key, COSE_Key (bytes; must parse as an ES256, EdDSA or RS256 key) |
/// | 3 | signature counter (unsigned, at most 2^32 - 1) |
/// | 4 | user handle (bytes, 1 to 64) |
/// | 5 | backup eligible, BE (bool) |
/// | 6 | backup state, BS (bool) |
/// | 7 | transports (array of text, e.g. `"internal"`, `"hybrid"`; at most 16) |
/// | 8 | AAGUID (bytes, 16) |
///
/// Anything else (another prefix, padding, unknown or missing keys, another order)
/// is refused: a later version gets a new prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    credential_id: Vec<u8>,
    public_key: Vec<u8>,
    sign_count: u32,
    user_handle: Vec<u8>,
    backup_eligible: bool,
    backup_state: bool,
    transports: Vec<String>,
    aaguid: [u8; 16],
}

impl CredentialRecord {
    /// The credential id.
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    /// The public key (COSE_Key CBOR).
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// The stored signature counter.
    pub fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// The user handle it was registered for.
    pub fn user_handle(&self) -> &[u8] {
        &self.user_handle
    }

    /// BE: whether the credential may be backed up (fixed at registration).
    pub fn backup_eligible(&self) -> bool {
        self.backup_eligible
    }

    /// BS: whether it was backed up at the last ceremony.
    pub fn backup_state(&self) -> bool {
        self.backup_state
    }

    /// The transports the client reported (`getTransports()`), if any.
    pub fn transports(&self) -> &[String] {
        &self.transports
    }

    /// The authenticator's AAGUID.
    pub fn aaguid(&self) -> &[u8; 16] {
        &self.aaguid
    }

    /// Records the transports the client reported with the registration
    /// (`AuthenticatorAttestationResponse.getTransports()`, outside the attestation
    /// object).
    pub fn with_transports(mut self, transports: Vec<String>) -> Self {
        self.transports = transports;
        self
    }

    /// Updates the counter and backup state after a verified login with this
    /// credential (no change if the assertion was made with another credential).
    pub fn apply(&mut self, verified: &VerifiedAssertion) {
        if verified.credential_id() == self.credential_id.as_slice() {
            self.sign_count = verified.sign_count();
            self.backup_state = verified.backup_state();
        }
    }

    /// Updates the counter and backup state from what a PASSKEY login reported
    /// ([`MechanismData::Passkey`](sasl_core::MechanismData::Passkey)); no change if
    /// it names another credential.
    pub fn apply_use(&mut self, used: &sasl_core::PasskeyUse) {
        if used.credential_id == self.credential_id {
            self.sign_count = used.sign_count;
            self.backup_state = used.backup_state;
        }
    }

    /// The credential as the PASSKEY mechanism takes it (in a
    /// [`PasskeyAccount`](sasl_core::PasskeyAccount)).
    pub fn to_credential(&self) -> PasskeyCredential {
        PasskeyCredential::new(
            self.credential_id.clone(),
            self.public_key.clone(),
            self.sign_count,
        )
        .with_backup(self.backup_eligible, self.backup_state)
    }

    /// The versioned text form (see the type's documentation).
    pub fn to_text(&self) -> String {
        let map = Value::Map(vec![
            (Value::Uint(1), Value::Bytes(self.credential_id.clone())),
            (Value::Uint(2), Value::Bytes(self.public_key.clone())),
            (Value::Uint(3), Value::Uint(u64::from(self.sign_count))),
            (Value::Uint(4), Value::Bytes(self.user_handle.clone())),
            (Value::Uint(5), Value::Bool(self.backup_eligible)),
            (Value::Uint(6), Value::Bool(self.backup_state)),
            (
                Value::Uint(7),
                Value::Array(self.transports.iter().cloned().map(Value::Text).collect()),
            ),
            (Value::Uint(8), Value::Bytes(self.aaguid.to_vec())),
        ]);
        let mut out = String::from(RECORD_PREFIX_V1);
        URL_SAFE_NO_PAD.encode_string(cbor::encode(&map), &mut out);
        out
    }

    /// Parses the text form, strictly (see the type's documentation).
    pub fn from_text(text: &str) -> Result<Self, RecordError> {
        if text.len() > MAX_RECORD_TEXT_LEN {
            return Err(RecordError("too long"));
        }
        let body = text
            .strip_prefix(RECORD_PREFIX_V1)
            .ok_or(RecordError("not a passkey-v1 record"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| RecordError("not unpadded base64url"))?;
        let value = cbor::decode(&bytes).map_err(|e| RecordError(e.detail()))?;
        let pairs = value.as_map().ok_or(RecordError("not a CBOR map"))?;
        if pairs.len() != 8 {
            return Err(RecordError("not exactly keys 1 to 8"));
        }
        let mut fields = Vec::with_capacity(8);
        for (expected, (key, v)) in (1u64..=8).zip(pairs) {
            if key.as_uint() != Some(expected) {
                return Err(RecordError("keys not 1 to 8 in order"));
            }
            fields.push(v);
        }
        let [id, pk, count, handle, be, bs, transports, aaguid] = fields.as_slice() else {
            return Err(RecordError("not exactly keys 1 to 8"));
        };
        let credential_id = id
            .as_bytes()
            .filter(|b| !b.is_empty() && b.len() <= MAX_CREDENTIAL_ID_LEN)
            .ok_or(RecordError("credential id not 1 to 1023 bytes"))?
            .to_vec();
        let public_key = pk
            .as_bytes()
            .ok_or(RecordError("public key not bytes"))?
            .to_vec();
        CoseKey::from_cbor(&public_key).map_err(|_| RecordError("public key not supported"))?;
        let sign_count = count
            .as_uint()
            .and_then(|c| u32::try_from(c).ok())
            .ok_or(RecordError("counter not a 32-bit unsigned integer"))?;
        let user_handle = handle
            .as_bytes()
            .filter(|b| !b.is_empty() && b.len() <= MAX_USER_HANDLE_LEN)
            .ok_or(RecordError("user handle not 1 to 64 bytes"))?
            .to_vec();
        let backup_eligible = be.as_bool().ok_or(RecordError("BE not a boolean"))?;
        let backup_state = bs.as_bool().ok_or(RecordError("BS not a boolean"))?;
        if backup_state && !backup_eligible {
            return Err(RecordError("BS without BE"));
        }
        let transports = transports
            .as_array()
            .filter(|t| t.len() <= MAX_TRANSPORTS)
            .ok_or(RecordError("transports not an array of at most 16"))?
            .iter()
            .map(|t| {
                t.as_text()
                    .filter(|s| !s.is_empty() && s.len() <= MAX_TRANSPORT_LEN)
                    .map(str::to_owned)
                    .ok_or(RecordError("transport not a short text"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let aaguid = aaguid
            .as_bytes()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .ok_or(RecordError("AAGUID not 16 bytes"))?;
        Ok(CredentialRecord {
            credential_id,
            public_key,
            sign_count,
            user_handle,
            backup_eligible,
            backup_state,
            transports,
            aaguid,
        })
    }
}

impl FromStr for CredentialRecord {
    type Err = RecordError;

    fn from_str(s: &str) -> Result<Self, RecordError> {
        CredentialRecord::from_text(s)
    }
}

impl fmt::Display for CredentialRecord {
    /// The text form, as [`to_text`](Self::to_text).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}
