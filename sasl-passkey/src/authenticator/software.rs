//! [`SoftwareAuthenticator`]: passkeys held in software.

use super::{AssertionOptions, Authenticator, AuthenticatorError, flags, push_json_string};
use crate::cbor::{self, Value};
use crate::webauthn::{CoseAlgorithm, CoseKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::{PasskeyAssertion, PasskeyCredential, UserVerification};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

/// The longest user handle WebAuthn allows.
pub(super) const MAX_USER_HANDLE: usize = 64;
/// The longest credential id WebAuthn allows.
pub(super) const MAX_CREDENTIAL_ID: usize = 1023;

/// The algorithms the software authenticator creates credentials for, in its order
/// of preference.
const SUPPORTED_ALGORITHMS: [CoseAlgorithm; 2] = [CoseAlgorithm::Es256, CoseAlgorithm::EdDsa];

/// The algorithm for a COSE identifier, if the software authenticator supports it
/// (`-7` ES256, `-8` EdDSA; not RS256).
pub(super) fn supported_algorithm(id: i64) -> Option<CoseAlgorithm> {
    CoseAlgorithm::from_cose_id(id).filter(|alg| SUPPORTED_ALGORITHMS.contains(alg))
}

/// Which attestation statement a new credential comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Attestation {
    /// `fmt: "none"`, empty `attStmt` (what passkey providers send).
    #[default]
    None,
    /// `fmt: "packed"` self attestation: `attStmt {alg, sig}`, signed with the new
    /// credential's own key over `authData || SHA-256(clientDataJSON)`.
    PackedSelf,
}

/// The options for creating a credential (a subset of WebAuthn
/// `PublicKeyCredentialCreationOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationOptions {
    /// The relying party id the credential is bound to.
    pub rp_id: String,
    /// The user handle (`user.id`): 1 to 64 bytes, returned with every assertion.
    pub user_handle: Vec<u8>,
    /// The user name (`user.name`), for display only.
    pub user_name: String,
    /// The server's challenge.
    pub challenge: Vec<u8>,
    /// COSE algorithm ids in order of preference (`pubKeyCredParams`); the first
    /// supported one (`-7` ES256, `-8` EdDSA) is used. Empty means `[-7, -8]`.
    pub algorithms: Vec<i64>,
    /// The attestation statement to produce.
    pub attestation: Attestation,
    /// The user verification the server asks for.
    pub user_verification: UserVerification,
    /// The origin for this registration's `clientDataJSON`; `None` uses the
    /// authenticator's origin. Later assertions always use the authenticator's.
    pub origin: Option<String>,
}

impl RegistrationOptions {
    /// Options with algorithms `[-7, -8]`, no attestation, user verification
    /// preferred and the authenticator's origin.
    pub fn new(
        rp_id: impl Into<String>,
        user_handle: impl Into<Vec<u8>>,
        user_name: impl Into<String>,
        challenge: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            rp_id: rp_id.into(),
            user_handle: user_handle.into(),
            user_name: user_name.into(),
            challenge: challenge.into(),
            algorithms: SUPPORTED_ALGORITHMS.map(CoseAlgorithm::cose_id).to_vec(),
            attestation: Attestation::None,
            user_verification: UserVerification::Preferred,
            origin: None,
        }
    }

    /// Sets the algorithm preference (COSE ids).
    pub fn with_algorithms(mut self, algorithms: Vec<i64>) -> Self {
        self.algorithms = algorithms;
        self
    }

    /// Sets the attestation statement to produce.
    pub fn with_attestation(mut self, attestation: Attestation) -> Self {
        self.attestation = attestation;
        self
    }

    /// Sets the user verification requirement.
    pub fn with_user_verification(mut self, user_verification: UserVerification) -> Self {
        self.user_verification = user_verification;
        self
    }

    /// Sets the origin for this registration's `clientDataJSON`.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }
}

/// A new credential, as the server receives it (WebAuthn
/// `AuthenticatorAttestationResponse` plus the id), with the parts a server stores
/// already taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationResponse {
    /// The new credential's id.
    pub credential_id: Vec<u8>,
    /// `clientDataJSON` (`type` `webauthn.create`).
    pub client_data_json: Vec<u8>,
    /// The CBOR attestation object `{fmt, attStmt, authData}`.
    pub attestation_object: Vec<u8>,
    /// The `authData` inside the attestation object (with attested credential data).
    pub authenticator_data: Vec<u8>,
    /// The credential public key, a COSE_Key as it appears in `authData`.
    pub public_key_cose: Vec<u8>,
    /// The credential's algorithm.
    pub algorithm: CoseAlgorithm,
    /// The signature counter in `authData`.
    pub sign_count: u32,
    /// The BE flag.
    pub backup_eligible: bool,
    /// The BS flag.
    pub backup_state: bool,
    /// The transports (`["internal"]`).
    pub transports: Vec<String>,
}

impl RegistrationResponse {
    /// The record a server stores for the credential.
    pub fn to_passkey_credential(&self) -> PasskeyCredential {
        PasskeyCredential::new(
            self.credential_id.clone(),
            self.public_key_cose.clone(),
            self.sign_count,
        )
        .with_backup(self.backup_eligible, self.backup_state)
    }
}

/// What [`SoftwareAuthenticator::credentials`] tells about one credential (no key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    /// The credential id.
    pub id: Vec<u8>,
    /// The relying party id.
    pub rp_id: String,
    /// The user handle.
    pub user_handle: Vec<u8>,
    /// The user name.
    pub user_name: String,
    /// The algorithm.
    pub algorithm: CoseAlgorithm,
    /// The public key as a COSE_Key.
    pub public_key_cose: Vec<u8>,
    /// The signature counter (the value of the last assertion).
    pub sign_count: u32,
    /// Whether the counter advances with each assertion (else it stays as it is,
    /// typically 0, as synced passkeys do).
    pub counter: bool,
    /// The BE flag.
    pub backup_eligible: bool,
    /// The BS flag.
    pub backup_state: bool,
}

/// One stored credential.
pub(super) struct Credential {
    pub(super) id: Vec<u8>,
    pub(super) rp_id: String,
    pub(super) user_handle: Vec<u8>,
    pub(super) user_name: String,
    pub(super) alg: CoseAlgorithm,
    /// The private key, PKCS#8 DER (v1 for P-256, v2 for Ed25519 as aws-lc-rs
    /// generates them).
    pub(super) pkcs8: Zeroizing<Vec<u8>>,
    pub(super) public_key_cose: Vec<u8>,
    pub(super) sign_count: u32,
    pub(super) counter: bool,
    pub(super) backup_eligible: bool,
    pub(super) backup_state: bool,
}

impl Credential {
    /// A credential from its parts, the public key derived from the private one; a
    /// key that is not a valid key of `alg` is refused.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        id: Vec<u8>,
        rp_id: String,
        user_handle: Vec<u8>,
        user_name: String,
        alg: CoseAlgorithm,
        pkcs8: Zeroizing<Vec<u8>>,
        sign_count: u32,
        counter: bool,
        backup_eligible: bool,
        backup_state: bool,
    ) -> Result<Self, AuthenticatorError> {
        let public_key_cose = public_key_cose(alg, &pkcs8)?;
        Ok(Self {
            id,
            rp_id,
            user_handle,
            user_name,
            alg,
            pkcs8,
            public_key_cose,
            sign_count,
            counter,
            backup_eligible,
            backup_state,
        })
    }

    fn info(&self) -> CredentialInfo {
        CredentialInfo {
            id: self.id.clone(),
            rp_id: self.rp_id.clone(),
            user_handle: self.user_handle.clone(),
            user_name: self.user_name.clone(),
            algorithm: self.alg,
            public_key_cose: self.public_key_cose.clone(),
            sign_count: self.sign_count,
            counter: self.counter,
            backup_eligible: self.backup_eligible,
            backup_state: self.backup_state,
        }
    }

    fn backup_flags(&self) -> u8 {
        let mut f = 0;
        if self.backup_eligible {
            f |= flags::BE;
        }
        if self.backup_state {
            f |= flags::BS;
        }
        f
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("id", &URL_SAFE_NO_PAD.encode(&self.id))
            .field("rp_id", &self.rp_id)
            .field("user_handle", &URL_SAFE_NO_PAD.encode(&self.user_handle))
            .field("user_name", &self.user_name)
            .field("alg", &self.alg)
            .field("private_key", &"<redacted>")
            .field("sign_count", &self.sign_count)
            .field("counter", &self.counter)
            .field("backup_eligible", &self.backup_eligible)
            .field("backup_state", &self.backup_state)
            .finish()
    }
}

/// A software passkey authenticator: ES256 (P-256) and Ed25519 credentials whose
/// keys are generated and used with aws-lc-rs, for tests and for places without a
/// platform authenticator.
///
/// - [`register`](Self::register) creates a discoverable credential (attestation
///   `none` or `packed` self attestation); registering again for the same RP id and
///   user handle replaces the old credential, as platform authenticators do.
/// - [`get_assertion`](Authenticator::get_assertion) signs with the first stored
///   credential for the RP id that is in `allowCredentials` (any, when that is
///   empty: the first registered, or the one [`prefer`](Self::prefer) put first).
///   The user handle is always returned.
/// - `clientDataJSON` is `{"type":…,"challenge":…,"origin":…,"crossOrigin":false}`
///   with the authenticator's origin (`https://imap.example.com`, or a native-app
///   origin such as `android:apk-key-hash:…`).
/// - User presence is always asserted (UP) unless
///   [`with_user_present(false)`](Self::with_user_present) (a test knob: servers
///   must refuse). User verification is simulated by
///   [`with_user_verified`](Self::with_user_verified) (default `true`): UV is set
///   when the flag is on and the request's user verification is `required` or
///   `preferred`; `required` with the flag off fails with
///   [`AuthenticatorError::UserVerificationUnavailable`]; `discouraged` never sets
///   UV.
/// - The signature counter advances with each assertion (saturating at `u32::MAX`)
///   unless the credential's counter is off (then it stays 0, as synced passkeys
///   report); see [`with_sign_counter`](Self::with_sign_counter). The registration
///   reports the counter's current value (0 for a new credential).
/// - The backup flags BE and BS of new credentials come from
///   [`with_backup`](Self::with_backup) (default both clear); any combination is
///   allowed, including the invalid BS-without-BE, for testing servers.
///
/// # Keys
///
/// Private keys are held as PKCS#8 DER in [`Zeroizing`] buffers; an aws-lc-rs key
/// pair is built from them for each signature and dropped right after (AWS-LC
/// clears freed key memory). `Debug` never shows a key. They persist in a
/// [key file](Self::to_key_file).
pub struct SoftwareAuthenticator {
    pub(super) origin: String,
    pub(super) credentials: Vec<Credential>,
    user_verified: bool,
    user_present: bool,
    new_counter: bool,
    new_backup_eligible: bool,
    new_backup_state: bool,
}

impl fmt::Debug for SoftwareAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareAuthenticator")
            .field("origin", &self.origin)
            .field("credentials", &self.credentials)
            .field("user_verified", &self.user_verified)
            .field("user_present", &self.user_present)
            .finish_non_exhaustive()
    }
}

impl SoftwareAuthenticator {
    /// An authenticator without credentials whose `clientDataJSON` carries `origin`.
    pub fn new(origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            credentials: Vec::new(),
            user_verified: true,
            user_present: true,
            new_counter: true,
            new_backup_eligible: false,
            new_backup_state: false,
        }
    }

    pub(super) fn with_credentials(origin: String, credentials: Vec<Credential>) -> Self {
        let mut this = Self::new(origin);
        this.credentials = credentials;
        this
    }

    /// Whether the simulated user verification succeeds (default `true`).
    pub fn with_user_verified(mut self, verified: bool) -> Self {
        self.user_verified = verified;
        self
    }

    /// [`with_user_verified`](Self::with_user_verified) in place.
    pub fn set_user_verified(&mut self, verified: bool) {
        self.user_verified = verified;
    }

    /// Test knob: whether the UP flag is set (default `true`). Servers must refuse
    /// data without it.
    pub fn with_user_present(mut self, present: bool) -> Self {
        self.user_present = present;
        self
    }

    /// Whether credentials registered from now on count signatures (default `true`;
    /// `false` keeps their counter at 0).
    pub fn with_sign_counter(mut self, counter: bool) -> Self {
        self.new_counter = counter;
        self
    }

    /// The BE and BS flags of credentials registered from now on (default both
    /// `false`).
    pub fn with_backup(mut self, eligible: bool, state: bool) -> Self {
        self.new_backup_eligible = eligible;
        self.new_backup_state = state;
        self
    }

    /// The origin put into `clientDataJSON`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Changes the origin.
    pub fn set_origin(&mut self, origin: impl Into<String>) {
        self.origin = origin.into();
    }

    /// The stored credentials, in the order they are tried.
    pub fn credentials(&self) -> Vec<CredentialInfo> {
        self.credentials.iter().map(Credential::info).collect()
    }

    fn find_mut(&mut self, id: &[u8]) -> Result<&mut Credential, AuthenticatorError> {
        self.credentials
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or(AuthenticatorError::NoCredential)
    }

    /// Moves a credential to the front, making it the one the discoverable flow
    /// picks for its RP id.
    ///
    /// # Errors
    ///
    /// [`AuthenticatorError::NoCredential`] if there is no credential with that id.
    pub fn prefer(&mut self, credential_id: &[u8]) -> Result<(), AuthenticatorError> {
        let index = self
            .credentials
            .iter()
            .position(|c| c.id == credential_id)
            .ok_or(AuthenticatorError::NoCredential)?;
        let credential = self.credentials.remove(index);
        self.credentials.insert(0, credential);
        Ok(())
    }

    /// Sets a credential's signature counter.
    ///
    /// # Errors
    ///
    /// [`AuthenticatorError::NoCredential`] if there is no credential with that id.
    pub fn set_sign_count(
        &mut self,
        credential_id: &[u8],
        sign_count: u32,
    ) -> Result<(), AuthenticatorError> {
        self.find_mut(credential_id)?.sign_count = sign_count;
        Ok(())
    }

    /// Turns a credential's counter on or off (off: it no longer changes).
    ///
    /// # Errors
    ///
    /// [`AuthenticatorError::NoCredential`] if there is no credential with that id.
    pub fn set_counter(
        &mut self,
        credential_id: &[u8],
        counter: bool,
    ) -> Result<(), AuthenticatorError> {
        self.find_mut(credential_id)?.counter = counter;
        Ok(())
    }

    /// Sets a credential's BE and BS flags.
    ///
    /// # Errors
    ///
    /// [`AuthenticatorError::NoCredential`] if there is no credential with that id.
    pub fn set_backup(
        &mut self,
        credential_id: &[u8],
        eligible: bool,
        state: bool,
    ) -> Result<(), AuthenticatorError> {
        let credential = self.find_mut(credential_id)?;
        credential.backup_eligible = eligible;
        credential.backup_state = state;
        Ok(())
    }

    /// Moves every credential of `other` (made by another authenticator, or read from
    /// another key file) to the end of this one's list, keys and counters as they
    /// are; this authenticator's origin and knobs stay. Unlike
    /// [`register`](Self::register), a credential for an RP id and user handle this
    /// one already has does not replace it: both are kept (a key file holding several
    /// passkeys of one account).
    ///
    /// # Errors
    ///
    /// [`AuthenticatorError::KeyFile`] if a credential id is already here; nothing is
    /// moved then.
    pub fn add_credentials_from(
        &mut self,
        other: SoftwareAuthenticator,
    ) -> Result<(), AuthenticatorError> {
        if other
            .credentials
            .iter()
            .any(|new| self.credentials.iter().any(|old| old.id == new.id))
        {
            return Err(AuthenticatorError::KeyFile("duplicate credential id"));
        }
        self.credentials.extend(other.credentials);
        Ok(())
    }

    /// Deletes a credential; whether it existed.
    pub fn remove(&mut self, credential_id: &[u8]) -> bool {
        let before = self.credentials.len();
        self.credentials.retain(|c| c.id != credential_id);
        self.credentials.len() != before
    }

    /// The UV bit for a request, or the error when verification is required and
    /// unavailable.
    fn uv_flag(&self, requirement: UserVerification) -> Result<u8, AuthenticatorError> {
        match (requirement, self.user_verified) {
            (UserVerification::Required, false) => {
                Err(AuthenticatorError::UserVerificationUnavailable)
            }
            (UserVerification::Required | UserVerification::Preferred, true) => Ok(flags::UV),
            _ => Ok(0),
        }
    }

    fn up_flag(&self) -> u8 {
        if self.user_present { flags::UP } else { 0 }
    }

    /// Creates a discoverable credential (WebAuthn `navigator.credentials.create()`).
    ///
    /// # Errors
    ///
    /// - [`AuthenticatorError::InvalidRequest`]: an empty RP id, or a user handle that
    ///   is empty or over 64 bytes.
    /// - [`AuthenticatorError::UnsupportedAlgorithm`]: neither `-7` nor `-8` offered.
    /// - [`AuthenticatorError::UserVerificationUnavailable`]: verification required
    ///   and [`with_user_verified(false)`](Self::with_user_verified).
    /// - [`AuthenticatorError::Crypto`]: key generation or signing failed.
    pub fn register(
        &mut self,
        options: &RegistrationOptions,
    ) -> Result<RegistrationResponse, AuthenticatorError> {
        if options.rp_id.is_empty() {
            return Err(AuthenticatorError::InvalidRequest("empty RP id"));
        }
        if options.user_handle.is_empty() || options.user_handle.len() > MAX_USER_HANDLE {
            return Err(AuthenticatorError::InvalidRequest(
                "the user handle must be 1 to 64 bytes",
            ));
        }
        let alg = if options.algorithms.is_empty() {
            CoseAlgorithm::Es256
        } else {
            options
                .algorithms
                .iter()
                .find_map(|&id| supported_algorithm(id))
                .ok_or(AuthenticatorError::UnsupportedAlgorithm)?
        };
        let uv = self.uv_flag(options.user_verification)?;
        let origin = options.origin.as_deref().unwrap_or(&self.origin);
        let client_data_json = client_data_json("webauthn.create", &options.challenge, origin)?;

        let credential = Credential::new(
            new_credential_id()?,
            options.rp_id.clone(),
            options.user_handle.clone(),
            options.user_name.clone(),
            alg,
            generate_pkcs8(alg)?,
            0,
            self.new_counter,
            self.new_backup_eligible,
            self.new_backup_state,
        )?;

        let id_len = u16::try_from(credential.id.len()).map_err(|_| AuthenticatorError::Crypto)?;
        let mut auth_data = authenticator_data_head(
            &credential.rp_id,
            self.up_flag() | uv | credential.backup_flags() | flags::AT,
            credential.sign_count,
        );
        auth_data.extend_from_slice(&[0u8; 16]); // aaguid: none
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&credential.id);
        auth_data.extend_from_slice(&credential.public_key_cose);

        let (fmt, statement) = match options.attestation {
            Attestation::None => ("none", Value::Map(Vec::new())),
            Attestation::PackedSelf => {
                let signature = sign(
                    credential.alg,
                    &credential.pkcs8,
                    &signed_data(&auth_data, &client_data_json),
                )?;
                (
                    "packed",
                    Value::Map(vec![
                        (Value::text("alg"), Value::int(alg.cose_id())),
                        (Value::text("sig"), Value::Bytes(signature)),
                    ]),
                )
            }
        };
        let attestation_object = cbor::encode(&Value::Map(vec![
            (Value::text("fmt"), Value::text(fmt)),
            (Value::text("attStmt"), statement),
            (Value::text("authData"), Value::Bytes(auth_data.clone())),
        ]));

        let response = RegistrationResponse {
            credential_id: credential.id.clone(),
            client_data_json,
            attestation_object,
            authenticator_data: auth_data,
            public_key_cose: credential.public_key_cose.clone(),
            algorithm: alg,
            sign_count: credential.sign_count,
            backup_eligible: credential.backup_eligible,
            backup_state: credential.backup_state,
            transports: vec!["internal".to_owned()],
        };
        match self
            .credentials
            .iter_mut()
            .find(|c| c.rp_id == credential.rp_id && c.user_handle == credential.user_handle)
        {
            Some(old) => *old = credential,
            None => self.credentials.push(credential),
        }
        Ok(response)
    }
}

impl Authenticator for SoftwareAuthenticator {
    fn get_assertion(
        &mut self,
        request: &AssertionOptions,
    ) -> Result<PasskeyAssertion, AuthenticatorError> {
        if request.rp_id.is_empty() {
            return Err(AuthenticatorError::InvalidRequest("empty RP id"));
        }
        let uv = self.uv_flag(request.user_verification)?;
        let up = self.up_flag();
        let client_data_json = client_data_json("webauthn.get", &request.challenge, &self.origin)?;
        let credential = self
            .credentials
            .iter_mut()
            .find(|c| {
                c.rp_id == request.rp_id
                    && (request.allow_credentials.is_empty()
                        || request.allow_credentials.contains(&c.id))
            })
            .ok_or(AuthenticatorError::NoCredential)?;
        let sign_count = if credential.counter {
            credential.sign_count.saturating_add(1)
        } else {
            credential.sign_count
        };
        let authenticator_data = authenticator_data_head(
            &credential.rp_id,
            up | uv | credential.backup_flags(),
            sign_count,
        );
        let signature = sign(
            credential.alg,
            &credential.pkcs8,
            &signed_data(&authenticator_data, &client_data_json),
        )?;
        credential.sign_count = sign_count;
        Ok(PasskeyAssertion {
            credential_id: credential.id.clone(),
            authenticator_data,
            client_data_json,
            signature,
            user_handle: Some(credential.user_handle.clone()),
        })
    }
}

/// `rpIdHash || flags || signCount`.
fn authenticator_data_head(rp_id: &str, flags: u8, sign_count: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity(37);
    data.extend_from_slice(&Sha256::digest(rp_id.as_bytes()));
    data.push(flags);
    data.extend_from_slice(&sign_count.to_be_bytes());
    data
}

/// `authData || SHA-256(clientDataJSON)`, what both signatures cover.
fn signed_data(auth_data: &[u8], client_data_json: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(auth_data.len() + 32);
    data.extend_from_slice(auth_data);
    data.extend_from_slice(&Sha256::digest(client_data_json));
    data
}

/// `{"type":…,"challenge":…,"origin":…,"crossOrigin":false}`.
fn client_data_json(
    kind: &str,
    challenge: &[u8],
    origin: &str,
) -> Result<Vec<u8>, AuthenticatorError> {
    let mut json = String::with_capacity(80 + challenge.len() * 2 + origin.len());
    let mut write = || -> fmt::Result {
        json.push_str("{\"type\":");
        push_json_string(&mut json, kind)?;
        json.push_str(",\"challenge\":");
        push_json_string(&mut json, &URL_SAFE_NO_PAD.encode(challenge))?;
        json.push_str(",\"origin\":");
        push_json_string(&mut json, origin)?;
        json.push_str(",\"crossOrigin\":false}");
        Ok(())
    };
    write().map_err(|_| AuthenticatorError::Crypto)?;
    Ok(json.into_bytes())
}

/// A random credential id of 16 to 32 bytes.
fn new_credential_id() -> Result<Vec<u8>, AuthenticatorError> {
    let mut len = [0u8; 1];
    aws_lc_rs::rand::fill(&mut len).map_err(|_| AuthenticatorError::Crypto)?;
    let mut id = vec![0u8; 16 + usize::from(len[0] % 17)];
    aws_lc_rs::rand::fill(&mut id).map_err(|_| AuthenticatorError::Crypto)?;
    Ok(id)
}

/// A new private key, PKCS#8 DER.
fn generate_pkcs8(alg: CoseAlgorithm) -> Result<Zeroizing<Vec<u8>>, AuthenticatorError> {
    let rng = SystemRandom::new();
    let document = match alg {
        CoseAlgorithm::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng),
        CoseAlgorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng),
        _ => return Err(AuthenticatorError::UnsupportedAlgorithm),
    }
    .map_err(|_| AuthenticatorError::Crypto)?;
    Ok(Zeroizing::new(document.as_ref().to_vec()))
}

/// The COSE_Key of the private key's public half (refused unless `pkcs8` is a
/// valid key of `alg`), map entries in CTAP2 canonical order. The result is parsed
/// back with [`CoseKey::from_cbor`], the verifier's parser, as a self-check.
pub(super) fn public_key_cose(
    alg: CoseAlgorithm,
    pkcs8: &[u8],
) -> Result<Vec<u8>, AuthenticatorError> {
    const MISMATCH: AuthenticatorError =
        AuthenticatorError::KeyFile("the private key is not a key of its alg");
    let entries = match alg {
        CoseAlgorithm::Es256 => {
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8)
                .map_err(|_| MISMATCH)?;
            // Uncompressed SEC1 point: 0x04 || x || y.
            let point = pair.public_key().as_ref();
            let (Some(x), Some(y)) = (point.get(1..33), point.get(33..65)) else {
                return Err(AuthenticatorError::Crypto);
            };
            vec![
                (Value::int(1), Value::int(2)),             // kty: EC2
                (Value::int(3), Value::int(alg.cose_id())), // alg: ES256
                (Value::int(-1), Value::int(1)),            // crv: P-256
                (Value::int(-2), Value::Bytes(x.to_vec())), // x
                (Value::int(-3), Value::Bytes(y.to_vec())), // y
            ]
        }
        CoseAlgorithm::EdDsa => {
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| MISMATCH)?;
            vec![
                (Value::int(1), Value::int(1)),             // kty: OKP
                (Value::int(3), Value::int(alg.cose_id())), // alg: EdDSA
                (Value::int(-1), Value::int(6)),            // crv: Ed25519
                (
                    Value::int(-2),
                    Value::Bytes(pair.public_key().as_ref().to_vec()),
                ), // x
            ]
        }
        _ => return Err(AuthenticatorError::UnsupportedAlgorithm),
    };
    let key = CoseKey::from_cbor(&cbor::encode(&Value::Map(entries)))
        .map_err(|_| AuthenticatorError::Crypto)?;
    if key.algorithm() != alg {
        return Err(AuthenticatorError::Crypto);
    }
    Ok(key.to_cbor())
}

/// Signs `message`: ES256 as ASN.1 DER, Ed25519 raw.
fn sign(alg: CoseAlgorithm, pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, AuthenticatorError> {
    match alg {
        CoseAlgorithm::Es256 => {
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8)
                .map_err(|_| AuthenticatorError::Crypto)?;
            let signature = pair
                .sign(&SystemRandom::new(), message)
                .map_err(|_| AuthenticatorError::Crypto)?;
            Ok(signature.as_ref().to_vec())
        }
        CoseAlgorithm::EdDsa => {
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| AuthenticatorError::Crypto)?;
            Ok(pair.sign(message).as_ref().to_vec())
        }
        _ => Err(AuthenticatorError::UnsupportedAlgorithm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ED25519, UnparsedPublicKey};

    const RP: &str = "example.com";

    fn options(challenge: u8) -> AssertionOptions {
        AssertionOptions::new(RP, vec![challenge; 32])
    }

    fn registration(user: &[u8]) -> RegistrationOptions {
        RegistrationOptions::new(RP, user.to_vec(), "alice", vec![9; 32])
    }

    /// Checks the signature with the public key taken out of the COSE key.
    fn verify(info: &CredentialInfo, assertion: &PasskeyAssertion) {
        let cose = &info.public_key_cose;
        let message = signed_data(&assertion.authenticator_data, &assertion.client_data_json);
        match info.algorithm {
            CoseAlgorithm::Es256 => {
                let mut point = vec![4u8];
                point.extend_from_slice(&cose[10..42]);
                point.extend_from_slice(&cose[45..77]);
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &point)
                    .verify(&message, &assertion.signature)
                    .unwrap();
            }
            CoseAlgorithm::EdDsa => {
                UnparsedPublicKey::new(&ED25519, &cose[10..42])
                    .verify(&message, &assertion.signature)
                    .unwrap();
            }
            other => panic!("unexpected algorithm {other:?}"),
        }
        // The verifier's own parser agrees.
        CoseKey::from_cbor(cose)
            .unwrap()
            .verify(&message, &assertion.signature)
            .unwrap();
    }

    #[test]
    fn cose_key_layout() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com");
        let es = a.register(&registration(b"u1")).unwrap();
        assert_eq!(es.algorithm, CoseAlgorithm::Es256);
        assert_eq!(es.public_key_cose.len(), 77);
        assert_eq!(
            &es.public_key_cose[..10],
            &[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]
        );
        assert_eq!(&es.public_key_cose[42..45], &[0x22, 0x58, 0x20]);
        let ed = a
            .register(&registration(b"u2").with_algorithms(vec![-257, -8, -7]))
            .unwrap();
        assert_eq!(ed.algorithm, CoseAlgorithm::EdDsa);
        assert_eq!(ed.public_key_cose.len(), 42);
        assert_eq!(
            &ed.public_key_cose[..10],
            &[0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20]
        );
        assert_eq!(
            a.register(&registration(b"u3").with_algorithms(vec![-257, -35])),
            Err(AuthenticatorError::UnsupportedAlgorithm)
        );
        // RS256 is verified by the crate but not created here.
        assert_eq!(
            a.register(&registration(b"u4").with_algorithms(vec![-257])),
            Err(AuthenticatorError::UnsupportedAlgorithm)
        );
        for info in a.credentials() {
            let key = CoseKey::from_cbor(&info.public_key_cose).unwrap();
            assert_eq!(key.algorithm(), info.algorithm);
        }
    }

    #[test]
    fn registration_layout() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com").with_backup(true, false);
        let r = a.register(&registration(b"u1")).unwrap();
        assert!((16..=32).contains(&r.credential_id.len()));
        let d = &r.authenticator_data;
        assert_eq!(&d[..32], Sha256::digest(RP.as_bytes()).as_slice());
        assert_eq!(d[32], flags::UP | flags::UV | flags::BE | flags::AT);
        assert_eq!(&d[33..37], &[0, 0, 0, 0]);
        assert_eq!(&d[37..53], &[0; 16]);
        let n = usize::from(u16::from_be_bytes([d[53], d[54]]));
        assert_eq!(&d[55..55 + n], r.credential_id.as_slice());
        assert_eq!(&d[55 + n..], r.public_key_cose.as_slice());
        assert_eq!(
            String::from_utf8(r.client_data_json.clone()).unwrap(),
            format!(
                "{{\"type\":\"webauthn.create\",\"challenge\":\"{}\",\"origin\":\"https://imap.example.com\",\"crossOrigin\":false}}",
                URL_SAFE_NO_PAD.encode([9; 32])
            )
        );
        // {"fmt": "none", "attStmt": {}, "authData": h'..'}
        let mut head = vec![0xa3, 0x63];
        head.extend_from_slice(b"fmt");
        head.push(0x64);
        head.extend_from_slice(b"none");
        head.push(0x67);
        head.extend_from_slice(b"attStmt");
        head.push(0xa0);
        head.push(0x68);
        head.extend_from_slice(b"authData");
        head.extend_from_slice(&[0x58, d.len() as u8]);
        assert_eq!(&r.attestation_object[..head.len()], head.as_slice());
        assert_eq!(&r.attestation_object[head.len()..], d.as_slice());
        assert_eq!(r.transports, vec!["internal".to_owned()]);
        let stored = r.to_passkey_credential();
        assert_eq!(stored.id(), r.credential_id.as_slice());
    }

    #[test]
    fn packed_self_attestation_signs() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com");
        for alg in [-7, -8] {
            let r = a
                .register(
                    &registration(&[alg as u8])
                        .with_algorithms(vec![alg])
                        .with_attestation(Attestation::PackedSelf),
                )
                .unwrap();
            let pos = r
                .attestation_object
                .windows(3)
                .position(|w| w == b"sig")
                .unwrap();
            let sig_head = &r.attestation_object[pos + 3..];
            let (len, start) = match sig_head[0] {
                0x58 => (usize::from(sig_head[1]), 2),
                b => (usize::from(b - 0x40), 1),
            };
            let info = a
                .credentials()
                .into_iter()
                .find(|c| c.id == r.credential_id)
                .unwrap();
            verify(
                &info,
                &PasskeyAssertion {
                    credential_id: r.credential_id.clone(),
                    authenticator_data: r.authenticator_data.clone(),
                    client_data_json: r.client_data_json.clone(),
                    signature: sig_head[start..start + len].to_vec(),
                    user_handle: None,
                },
            );
        }
    }

    #[test]
    fn assertion_layout_and_counter() {
        let mut a = SoftwareAuthenticator::new("android:apk-key-hash:abc");
        let r = a.register(&registration(b"u1")).unwrap();
        for expected in 1..=3u32 {
            let s = a.get_assertion(&options(expected as u8)).unwrap();
            assert_eq!(s.authenticator_data.len(), 37);
            assert_eq!(s.authenticator_data[32], flags::UP | flags::UV);
            assert_eq!(&s.authenticator_data[33..], &expected.to_be_bytes());
            assert_eq!(s.credential_id, r.credential_id);
            assert_eq!(s.user_handle.as_deref(), Some(&b"u1"[..]));
            let cd: serde_json::Value = serde_json::from_slice(&s.client_data_json).unwrap();
            assert_eq!(cd["type"], "webauthn.get");
            assert_eq!(cd["origin"], "android:apk-key-hash:abc");
            assert_eq!(cd["crossOrigin"], false);
            assert_eq!(
                cd["challenge"],
                URL_SAFE_NO_PAD.encode([expected as u8; 32])
            );
            verify(&a.credentials()[0], &s);
        }
        assert_eq!(a.credentials()[0].sign_count, 3);
        a.set_sign_count(&r.credential_id, u32::MAX).unwrap();
        let s = a.get_assertion(&options(0)).unwrap();
        assert_eq!(&s.authenticator_data[33..], &u32::MAX.to_be_bytes());
    }

    #[test]
    fn zero_counter() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com")
            .with_sign_counter(false)
            .with_backup(true, true);
        a.register(&registration(b"u1").with_algorithms(vec![-8]))
            .unwrap();
        for _ in 0..3 {
            let s = a.get_assertion(&options(1)).unwrap();
            assert_eq!(&s.authenticator_data[32..], &[0x1d, 0, 0, 0, 0]);
            verify(&a.credentials()[0], &s);
        }
        let id = a.credentials()[0].id.clone();
        a.set_counter(&id, true).unwrap();
        let s = a.get_assertion(&options(1)).unwrap();
        assert_eq!(&s.authenticator_data[33..], &[0, 0, 0, 1]);
    }

    #[test]
    fn user_verification() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com");
        a.register(&registration(b"u1")).unwrap();
        let flag = |a: &mut SoftwareAuthenticator, uv| {
            a.get_assertion(&options(1).with_user_verification(uv))
                .map(|s| s.authenticator_data[32])
        };
        assert_eq!(flag(&mut a, UserVerification::Required), Ok(0x05));
        assert_eq!(flag(&mut a, UserVerification::Preferred), Ok(0x05));
        assert_eq!(flag(&mut a, UserVerification::Discouraged), Ok(0x01));
        a.set_user_verified(false);
        assert_eq!(
            flag(&mut a, UserVerification::Required),
            Err(AuthenticatorError::UserVerificationUnavailable)
        );
        // The failed request did not count.
        assert_eq!(a.credentials()[0].sign_count, 3);
        assert_eq!(flag(&mut a, UserVerification::Preferred), Ok(0x01));
        assert_eq!(flag(&mut a, UserVerification::Discouraged), Ok(0x01));
        assert_eq!(
            a.register(&registration(b"u2").with_user_verification(UserVerification::Required)),
            Err(AuthenticatorError::UserVerificationUnavailable)
        );
        let mut a = a.with_user_present(false).with_user_verified(true);
        assert_eq!(flag(&mut a, UserVerification::Preferred), Ok(0x04));
    }

    #[test]
    fn credential_selection() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com");
        let first = a.register(&registration(b"u1")).unwrap().credential_id;
        let second = a
            .register(&registration(b"u2").with_algorithms(vec![-8]))
            .unwrap()
            .credential_id;
        let other = a
            .register(&RegistrationOptions::new(
                "other.example",
                b"u1".to_vec(),
                "a",
                [0; 16],
            ))
            .unwrap()
            .credential_id;
        assert_eq!(a.get_assertion(&options(1)).unwrap().credential_id, first);
        let s = a
            .get_assertion(&options(1).with_allow_credentials(vec![vec![0; 16], second.clone()]))
            .unwrap();
        assert_eq!(s.credential_id, second);
        assert_eq!(s.user_handle.as_deref(), Some(&b"u2"[..]));
        // A credential of another RP is not used even when listed.
        assert_eq!(
            a.get_assertion(&options(1).with_allow_credentials(vec![other.clone()])),
            Err(AuthenticatorError::NoCredential)
        );
        assert_eq!(
            a.get_assertion(&AssertionOptions::new("nothing.example", [0; 32])),
            Err(AuthenticatorError::NoCredential)
        );
        a.prefer(&second).unwrap();
        assert_eq!(a.get_assertion(&options(1)).unwrap().credential_id, second);
        assert_eq!(a.prefer(&[1, 2, 3]), Err(AuthenticatorError::NoCredential));
        // Registering again for the same user replaces the credential.
        let replaced = a.register(&registration(b"u2")).unwrap().credential_id;
        assert_eq!(a.credentials().len(), 3);
        assert_eq!(
            a.get_assertion(&options(1)).unwrap().credential_id,
            replaced
        );
        assert!(a.remove(&replaced));
        assert!(!a.remove(&replaced));
        assert_eq!(a.get_assertion(&options(1)).unwrap().credential_id, first);
    }

    #[test]
    fn invalid_requests() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com");
        assert!(matches!(
            a.register(&RegistrationOptions::new("", b"u".to_vec(), "a", [0; 16])),
            Err(AuthenticatorError::InvalidRequest(_))
        ));
        assert!(matches!(
            a.register(&registration(&[0; 65])),
            Err(AuthenticatorError::InvalidRequest(_))
        ));
        assert!(matches!(
            a.register(&registration(b"")),
            Err(AuthenticatorError::InvalidRequest(_))
        ));
        assert!(a.register(&registration(&[0; 64])).is_ok());
        assert!(matches!(
            a.get_assertion(&AssertionOptions::new("", [0; 16])),
            Err(AuthenticatorError::InvalidRequest(_))
        ));
        // Errors display.
        assert_eq!(AuthenticatorError::KeyFile("x").to_string(), "key file: x");
    }

    #[test]
    fn registration_origin_override() {
        let mut a = SoftwareAuthenticator::new("https://imap.example.com");
        let r = a
            .register(&registration(b"u1").with_origin("https://example.com"))
            .unwrap();
        let cd: serde_json::Value = serde_json::from_slice(&r.client_data_json).unwrap();
        assert_eq!(cd["origin"], "https://example.com");
        let s = a.get_assertion(&options(1)).unwrap();
        let cd: serde_json::Value = serde_json::from_slice(&s.client_data_json).unwrap();
        assert_eq!(cd["origin"], "https://imap.example.com");
    }

    #[test]
    fn algorithm_ids() {
        assert_eq!(supported_algorithm(-7), Some(CoseAlgorithm::Es256));
        assert_eq!(supported_algorithm(-8), Some(CoseAlgorithm::EdDsa));
        assert_eq!(supported_algorithm(-257), None);
        assert_eq!(supported_algorithm(-35), None);
        assert_eq!(
            RegistrationOptions::new(RP, b"u".to_vec(), "a", [0; 16]).algorithms,
            vec![-7, -8]
        );
        assert_eq!(
            generate_pkcs8(CoseAlgorithm::Rs256).err(),
            Some(AuthenticatorError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn is_send() {
        fn send<T: Send>() {}
        send::<SoftwareAuthenticator>();
        let _: Box<dyn Authenticator> = Box::new(SoftwareAuthenticator::new("https://x"));
    }
}
