//! Verifying an authentication assertion (W3C WebAuthn §7.2).

use core::fmt;

use sasl_core::{
    FailureKind, FailureReason, PasskeyAccount, PasskeyAssertion, PasskeyCredential, PasskeyUse,
    UserVerification,
};
use sha2::{Digest, Sha256};

use super::auth_data::{AuthenticatorData, AuthenticatorDataError};
use super::client_data::{ClientData, TYPE_GET};
use super::rp::{OriginError, RelyingParty};

/// Why an assertion was refused; one variant per check of [`verify_assertion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssertionError {
    /// The credential is not one of the account's.
    UnknownCredential,
    /// The credential is not in the `allowCredentials` list sent.
    CredentialNotAllowed,
    /// Discoverable flow without a `userHandle`.
    UserHandleMissing,
    /// The `userHandle` is not the account's.
    UserHandleMismatch,
    /// `clientDataJSON` is not acceptable JSON.
    MalformedClientData(&'static str),
    /// `type` is not `webauthn.get`.
    WrongType,
    /// The challenge is not the one sent.
    ChallengeMismatch,
    /// The origin (or `topOrigin`) is not in the allowlist.
    OriginNotAllowed,
    /// `crossOrigin: true` or a `topOrigin`, and the relying party does not allow it.
    CrossOriginNotAllowed,
    /// Authenticator data is malformed (or has attested credential data, which an
    /// assertion must not).
    MalformedAuthenticatorData(&'static str),
    /// Bytes after the authenticator data.
    TrailingBytes,
    /// The authenticator scoped the credential to another RP ID.
    RpIdHashMismatch,
    /// UP is not set.
    UserNotPresent,
    /// User verification is required and UV is not set.
    UserNotVerified,
    /// BS without BE, or BE differs from the stored credential's.
    BackupStateInvalid,
    /// The stored public key is not a supported COSE key.
    UnsupportedKey,
    /// The signature does not verify.
    BadSignature,
    /// The signature counter did not increase (a possibly cloned authenticator).
    CounterRegression,
}

impl AssertionError {
    /// The failure kind for the session: [`Malformed`](FailureKind::Malformed) for
    /// unparseable client or authenticator data, [`Internal`](FailureKind::Internal)
    /// for a stored key this crate cannot use (a problem of the credential store, not
    /// of the peer), [`InvalidCredentials`](FailureKind::InvalidCredentials) for every
    /// other check, unknown credentials included (they must look like a wrong
    /// signature).
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            AssertionError::MalformedClientData(_)
            | AssertionError::MalformedAuthenticatorData(_)
            | AssertionError::TrailingBytes => FailureKind::Malformed,
            AssertionError::UnsupportedKey => FailureKind::Internal,
            _ => FailureKind::InvalidCredentials,
        }
    }

    /// A short static description for logs (no secrets).
    pub fn detail(&self) -> &'static str {
        match self {
            AssertionError::UnknownCredential => "credential not registered to the account",
            AssertionError::CredentialNotAllowed => "credential not in allowCredentials",
            AssertionError::UserHandleMissing => "userHandle missing in a discoverable login",
            AssertionError::UserHandleMismatch => "userHandle is not the account's",
            AssertionError::MalformedClientData(d) => d,
            AssertionError::WrongType => "clientDataJSON type is not webauthn.get",
            AssertionError::ChallengeMismatch => "challenge does not match",
            AssertionError::OriginNotAllowed => "origin not allowed",
            AssertionError::CrossOriginNotAllowed => "cross-origin use not allowed",
            AssertionError::MalformedAuthenticatorData(d) => d,
            AssertionError::TrailingBytes => "bytes after the authenticator data",
            AssertionError::RpIdHashMismatch => "rpIdHash is not the RP ID's",
            AssertionError::UserNotPresent => "user presence flag not set",
            AssertionError::UserNotVerified => "user verification required and not done",
            AssertionError::BackupStateInvalid => "backup flags invalid or changed",
            AssertionError::UnsupportedKey => "stored public key not supported",
            AssertionError::BadSignature => "signature does not verify",
            AssertionError::CounterRegression => "signature counter did not increase",
        }
    }
}

impl fmt::Display for AssertionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssertionError::MalformedClientData(d) => write!(f, "malformed clientDataJSON: {d}"),
            AssertionError::MalformedAuthenticatorData(d) => {
                write!(f, "malformed authenticator data: {d}")
            }
            other => f.write_str(other.detail()),
        }
    }
}

impl std::error::Error for AssertionError {}

impl From<AssertionError> for FailureReason {
    /// [`failure_kind`](AssertionError::failure_kind) with [`detail`](AssertionError::detail).
    fn from(e: AssertionError) -> Self {
        FailureReason::new(e.failure_kind(), e.detail())
    }
}

/// A verified assertion: what to store after the login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    credential_id: Vec<u8>,
    sign_count: u32,
    reported_sign_count: u32,
    backup_eligible: bool,
    backup_state: bool,
    user_verified: bool,
    counter_regressed: bool,
}

impl VerifiedAssertion {
    /// The credential that signed.
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    /// The counter to store: the authenticator's new one, or the stored one if the
    /// counter regressed (so that a stored counter never goes down).
    pub fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// The counter the authenticator reported.
    pub fn reported_sign_count(&self) -> u32 {
        self.reported_sign_count
    }

    /// BE as reported (equal to the stored one).
    pub fn backup_eligible(&self) -> bool {
        self.backup_eligible
    }

    /// BS as reported (store it).
    pub fn backup_state(&self) -> bool {
        self.backup_state
    }

    /// UV as reported.
    pub fn user_verified(&self) -> bool {
        self.user_verified
    }

    /// The counter did not increase and the relying party accepts that
    /// ([`RelyingParty::allow_counter_regression`]): the credential may be cloned.
    pub fn counter_regressed(&self) -> bool {
        self.counter_regressed
    }

    /// What the mechanism reports to the application on success.
    pub fn to_passkey_use(&self) -> PasskeyUse {
        self.clone().into_passkey_use()
    }

    /// [`to_passkey_use`](Self::to_passkey_use), moving the credential id.
    pub fn into_passkey_use(self) -> PasskeyUse {
        PasskeyUse {
            credential_id: self.credential_id,
            sign_count: self.sign_count,
            backup_state: self.backup_state,
            possible_clone: self.counter_regressed,
        }
    }
}

/// Verifies an assertion, in the order of W3C WebAuthn §7.2 (SPECS §6.4):
///
/// 1. with a non-empty `allowed` list (the user named beforehand), the credential
///    must be in it ([`CredentialNotAllowed`](AssertionError::CredentialNotAllowed));
///    an empty list is the discoverable flow, where `userHandle` must be present
///    ([`UserHandleMissing`](AssertionError::UserHandleMissing));
/// 2. the credential must be one of `account`'s
///    ([`UnknownCredential`](AssertionError::UnknownCredential)) and a `userHandle`,
///    if present, the account's ([`UserHandleMismatch`](AssertionError::UserHandleMismatch));
/// 3. `clientDataJSON` parses ([`ClientData::parse`]);
/// 4. its `type` is `webauthn.get`;
/// 5. its challenge is `challenge` (compared in constant time);
/// 6. its origin is allowed;
/// 7. `crossOrigin`/`topOrigin` follow the relying party's policy;
/// 8. authenticator data parses, has no attested credential data and carries
///    SHA-256 of the RP ID (compared in constant time);
/// 9. UP is set;
/// 10. UV is set if the relying party requires user verification;
/// 11. BS is not set without BE, and BE equals the stored credential's;
/// 12. and 13. the signature over `authenticatorData || SHA-256(clientDataJSON)`
///     verifies with the stored COSE key;
/// 14. if the stored or the new counter is non-zero, the new one must be greater
///     ([`CounterRegression`](AssertionError::CounterRegression), or reported in
///     [`VerifiedAssertion::counter_regressed`] if the relying party allows it).
///
/// Extension outputs are ignored. `challenge` must be the fresh, single-use
/// challenge this server sent for this exchange; expiring it is the caller's job.
pub fn verify_assertion(
    rp: &RelyingParty,
    challenge: &[u8],
    allowed: &[Vec<u8>],
    account: &PasskeyAccount,
    assertion: &PasskeyAssertion,
) -> Result<VerifiedAssertion, AssertionError> {
    verify_assertion_from(rp, challenge, AllowList::Ids(allowed), account, assertion)
}

/// The `allowCredentials` list a challenge sent: ids held for it, or the ids of the
/// named account's credentials (the server's usual case, which then keeps no copy).
#[derive(Debug, Clone, Copy)]
pub(crate) enum AllowList<'a> {
    /// These ids (empty: the discoverable flow).
    Ids(&'a [Vec<u8>]),
    /// The ids of these credentials.
    Credentials(&'a [PasskeyCredential]),
}

impl<'a> AllowList<'a> {
    /// How many ids the list holds.
    pub(crate) fn len(self) -> usize {
        match self {
            AllowList::Ids(ids) => ids.len(),
            AllowList::Credentials(credentials) => credentials.len(),
        }
    }

    /// The ids, in order.
    pub(crate) fn ids(self) -> impl Iterator<Item = &'a [u8]> {
        let (ids, credentials): (&[Vec<u8>], &[PasskeyCredential]) = match self {
            AllowList::Ids(ids) => (ids, &[]),
            AllowList::Credentials(credentials) => (&[], credentials),
        };
        ids.iter()
            .map(Vec::as_slice)
            .chain(credentials.iter().map(PasskeyCredential::id))
    }
}

/// [`verify_assertion`] with the list sent in either form.
pub(crate) fn verify_assertion_from(
    rp: &RelyingParty,
    challenge: &[u8],
    allowed: AllowList<'_>,
    account: &PasskeyAccount,
    assertion: &PasskeyAssertion,
) -> Result<VerifiedAssertion, AssertionError> {
    // Step 1.
    if allowed.len() == 0 {
        if assertion.user_handle.is_none() {
            return Err(AssertionError::UserHandleMissing);
        }
    } else if !allowed
        .ids()
        .any(|id| id == assertion.credential_id.as_slice())
    {
        return Err(AssertionError::CredentialNotAllowed);
    }
    // Step 2.
    let credential = account
        .credentials()
        .iter()
        .find(|c| c.id() == assertion.credential_id.as_slice())
        .ok_or(AssertionError::UnknownCredential)?;
    if let Some(handle) = &assertion.user_handle {
        if !sasl_core::ct_eq(handle.as_slice(), account.user_handle()) {
            return Err(AssertionError::UserHandleMismatch);
        }
    }
    // Steps 3 to 7.
    let client_data = ClientData::parse(&assertion.client_data_json)
        .map_err(|e| AssertionError::MalformedClientData(e.detail()))?;
    if client_data.ty() != TYPE_GET {
        return Err(AssertionError::WrongType);
    }
    if !sasl_core::ct_eq(client_data.challenge(), challenge) {
        return Err(AssertionError::ChallengeMismatch);
    }
    rp.check_origins(
        client_data.origin(),
        client_data.cross_origin(),
        client_data.top_origin(),
    )
    .map_err(|e| match e {
        OriginError::NotAllowed => AssertionError::OriginNotAllowed,
        OriginError::CrossOrigin => AssertionError::CrossOriginNotAllowed,
    })?;
    // Step 8.
    let auth_data =
        AuthenticatorData::parse(&assertion.authenticator_data).map_err(|e| match e {
            AuthenticatorDataError::TrailingBytes => AssertionError::TrailingBytes,
            other => AssertionError::MalformedAuthenticatorData(other.detail()),
        })?;
    let flags = auth_data.flags();
    if flags.attested_credential_data() {
        return Err(AssertionError::MalformedAuthenticatorData(
            "attested credential data in an assertion",
        ));
    }
    if !sasl_core::ct_eq(auth_data.rp_id_hash(), rp.rp_id_hash()) {
        return Err(AssertionError::RpIdHashMismatch);
    }
    // Steps 9 to 11.
    if !flags.user_present() {
        return Err(AssertionError::UserNotPresent);
    }
    if rp.user_verification() == UserVerification::Required && !flags.user_verified() {
        return Err(AssertionError::UserNotVerified);
    }
    if (flags.backup_state() && !flags.backup_eligible())
        || flags.backup_eligible() != credential.backup_eligible()
    {
        return Err(AssertionError::BackupStateInvalid);
    }
    // Steps 12 and 13.
    let key = rp
        .key(credential.public_key())
        .map_err(|_| AssertionError::UnsupportedKey)?;
    let auth_data_bytes = assertion.authenticator_data.as_slice();
    let client_data_hash = Sha256::digest(&assertion.client_data_json);
    // Usual authenticator data (37 bytes, more with extensions) is signed from the stack.
    let mut small = [0u8; 128];
    let large: Vec<u8>;
    let signed = match small.get_mut(..auth_data_bytes.len() + client_data_hash.len()) {
        Some(buf) => {
            let (head, tail) = buf.split_at_mut(auth_data_bytes.len());
            head.copy_from_slice(auth_data_bytes);
            tail.copy_from_slice(&client_data_hash);
            &*buf
        }
        None => {
            large = [auth_data_bytes, client_data_hash.as_slice()].concat();
            &large
        }
    };
    key.verify(signed, &assertion.signature)
        .map_err(|_| AssertionError::BadSignature)?;
    // Step 14.
    let stored = credential.sign_count();
    let reported = auth_data.sign_count();
    let regressed = (stored != 0 || reported != 0) && reported <= stored;
    if regressed && !rp.counter_regression_allowed() {
        return Err(AssertionError::CounterRegression);
    }
    Ok(VerifiedAssertion {
        credential_id: assertion.credential_id.clone(),
        sign_count: if regressed { stored } else { reported },
        reported_sign_count: reported,
        backup_eligible: flags.backup_eligible(),
        backup_state: flags.backup_state(),
        user_verified: flags.user_verified(),
        counter_regressed: regressed,
    })
}
