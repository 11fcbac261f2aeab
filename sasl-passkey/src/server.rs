//! The PASSKEY server: request options out, assertion in, WebAuthn verification.

use crate::PASSKEY;
use crate::codec::{Codec, OptionsRef, decode_assertion};
use crate::message::{ServerError, build_error, parse_first};
use crate::webauthn::{
    AllowList, AssertionError, RelyingParty, VerifiedAssertion, verify_assertion_from,
};
use sasl_core::{
    Error, FailureKind, MechanismData, MechanismName, MechanismProperties, Misuse, PasskeyAccount,
    PasskeyAssertion, PasskeyLookup, PasskeyLookupKey, Request, ServerContext, ServerFailure,
    ServerMechanism, ServerMechanismFactory, ServerStep, ServerSuccess, SharedRandom, UnixTime,
    Verdict, thread_random,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Length of the challenge the server generates, in bytes (WebAuthn asks for at least
/// 16).
pub const CHALLENGE_LEN: usize = 32;

/// A PASSKEY server's configuration, shared by every exchange of a factory.
#[derive(Clone)]
pub struct PasskeyServerConfig {
    relying_party: RelyingParty,
    codec: Codec,
    failure_message: String,
    secret: [u8; 32],
    random: SharedRandom,
}

impl core::fmt::Debug for PasskeyServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PasskeyServerConfig")
            .field("relying_party", &self.relying_party)
            .field("codec", &self.codec)
            .field("failure_message", &self.failure_message)
            .finish_non_exhaustive()
    }
}

impl PasskeyServerConfig {
    /// A configuration for this relying party (RP id, allowed origins, user
    /// verification, timeout), WebAuthn JSON messages, a random secret for the fake
    /// credential ids unknown users get (set one with [`with_secret`](Self::with_secret)
    /// so they stay the same across restarts), and the thread-local CSPRNG for
    /// challenges.
    pub fn new(relying_party: RelyingParty) -> Result<Self, Error> {
        let random = thread_random();
        let mut secret = [0u8; 32];
        random.fill(&mut secret)?;
        Ok(Self {
            relying_party,
            codec: Codec::Json,
            failure_message: "Passkey authentication failed".to_owned(),
            secret,
            random,
        })
    }

    /// Uses the CBOR codec of the Dovecot proof of concept instead of WebAuthn JSON.
    pub fn with_codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// The human-readable message sent with every failure (`m=`): the local reason
    /// never reaches the client. Say where to get help.
    pub fn with_failure_message(mut self, message: impl Into<String>) -> Self {
        self.failure_message = message.into();
        self
    }

    /// Keys the fake credential ids of unknown users (keep 32 random bytes in your
    /// configuration): with the same secret an unknown name always gets the same
    /// ids, as a known one does.
    pub fn with_secret(mut self, secret: [u8; 32]) -> Self {
        self.secret = secret;
        self
    }

    /// Uses another random source for challenges (tests use a deterministic one).
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = random;
        self
    }

    /// The relying party.
    pub fn relying_party(&self) -> &RelyingParty {
        &self.relying_party
    }

    /// The codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The credential id an unknown user seems to have: SHA-256 over the secret and
    /// the name, so the challenge looks like a known user's.
    fn fake_credential(&self, user: &str) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(b"sasl-passkey fake credential id\0");
        h.update(self.secret);
        h.update(user.as_bytes());
        h.finalize().to_vec()
    }
}

/// Who the assertion must be from, and so which credentials the challenge lists.
#[derive(Debug)]
enum Expected {
    /// Discoverable flow: none listed; the account is found by the credential.
    Anyone,
    /// The named account: its credentials are listed (read from the account, not
    /// copied). The flag: the application granted the authzid.
    Account(PasskeyAccount, bool),
    /// An unknown name: these fake credential ids are listed; every assertion fails.
    Unknown(Vec<Vec<u8>>),
}

impl Expected {
    /// The `allowCredentials` list the challenge sends.
    fn allow_list(&self) -> AllowList<'_> {
        match self {
            Expected::Anyone => AllowList::Ids(&[]),
            Expected::Account(account, _) => AllowList::Credentials(account.credentials()),
            Expected::Unknown(fake) => AllowList::Ids(fake),
        }
    }
}

#[derive(Debug)]
struct Challenge {
    bytes: [u8; CHALLENGE_LEN],
    issued: UnixTime,
}

#[derive(Debug)]
enum State {
    New,
    AwaitFirst,
    /// The account of the named user is being looked up.
    LookingUpUser {
        user: String,
        authzid: Option<String>,
    },
    /// The options went out; the assertion is awaited.
    AwaitAssertion {
        challenge: Challenge,
        expected: Expected,
        authzid: Option<String>,
    },
    /// Discoverable flow: the account of the credential is being looked up.
    LookingUpCredential {
        challenge: Challenge,
        assertion: Box<PasskeyAssertion>,
        authzid: Option<String>,
    },
    /// The error message went out; the client's reply ends in this failure.
    AwaitAck(ServerFailure),
    Done,
}

/// The server side of PASSKEY.
///
/// 1. The client's first message: empty for the discoverable flow, or a user name
///    (then [`Request::PasskeyLookup`] by [`PasskeyLookupKey::User`] lists that
///    user's credentials), optionally followed by NUL and an authzid (see
///    [`message`](crate::message)).
/// 2. The challenge: the request options (RP id, a fresh random challenge of
///    [`CHALLENGE_LEN`] bytes, timeout, allowCredentials, userVerification) in the
///    configured [`Codec`]. An unknown user gets fake credential ids derived from the
///    configured secret, so the challenge does not tell who has an account.
/// 3. The assertion: decoded, then (discoverable flow) its account looked up by
///    [`PasskeyLookupKey::Credential`], then verified as WebAuthn §7.2 says
///    ([`verify_assertion`](crate::webauthn::verify_assertion)) against the
///    challenge, which is single-use (one per session) and expires after the
///    relying party's timeout, measured with the time
///    given to [`ServerSession::set_now`](sasl_core::ServerSession::set_now) (no time:
///    the exchange fails closed).
/// 4. Success as the account (or the authzid the application granted with
///    [`PasskeyLookup::found_with_authzid`]), with
///    [`MechanismData::Passkey`] carrying the new sign counter and backup state to
///    store. Failure: `e=other-error,m=<configured message>` (or `invalid-encoding`)
///    as a challenge, the client's reply, then the failure with its precise local
///    reason (unknown credential, wrong origin, bad signature, ...).
#[derive(Debug)]
pub struct PasskeyServer {
    config: Arc<PasskeyServerConfig>,
    now: Option<UnixTime>,
    state: State,
}

impl PasskeyServer {
    /// One exchange.
    pub fn new(config: impl Into<Arc<PasskeyServerConfig>>) -> Self {
        Self {
            config: config.into(),
            now: None,
            state: State::New,
        }
    }

    /// The factory to register with [`ServerRegistry`](sasl_core::ServerRegistry).
    pub fn factory(config: PasskeyServerConfig) -> PasskeyServerFactory {
        PasskeyServerFactory {
            config: Arc::new(config),
        }
    }

    fn fail_now(&mut self, kind: FailureKind, detail: &'static str) -> ServerStep {
        self.state = State::Done;
        ServerStep::Failure(ServerFailure::new(kind, detail))
    }

    /// Sends the error message; the client's reply ends in `failure`.
    fn refuse(&mut self, error: ServerError, failure: ServerFailure) -> ServerStep {
        let message = build_error(&error, &self.config.failure_message);
        self.state = State::AwaitAck(failure);
        ServerStep::Challenge(message)
    }

    /// Sends the application's own message (why, and what to do).
    fn refuse_with(&mut self, kind: FailureKind, message: &str) -> ServerStep {
        let text = build_error(&ServerError::OtherError, message);
        self.state = State::AwaitAck(ServerFailure::new(kind, "login refused by the application"));
        ServerStep::Challenge(text)
    }

    fn first(&mut self, message: &[u8]) -> ServerStep {
        let first = match parse_first(message) {
            Ok(f) => f,
            Err(detail) => {
                return self.refuse(
                    ServerError::InvalidUsernameEncoding,
                    ServerFailure::new(FailureKind::Malformed, detail),
                );
            }
        };
        match first.user {
            None => self.challenge(Expected::Anyone, first.authzid),
            Some(user) => {
                self.state = State::LookingUpUser {
                    user: user.clone(),
                    authzid: first.authzid.clone(),
                };
                ServerStep::Request(Request::PasskeyLookup(
                    PasskeyLookup::new(PASSKEY, PasskeyLookupKey::User(user))
                        .with_authzid(first.authzid),
                ))
            }
        }
    }

    fn challenge(&mut self, expected: Expected, authzid: Option<String>) -> ServerStep {
        let Some(issued) = self.now else {
            return self.fail_now(
                FailureKind::Internal,
                "no time given to the session (ServerSession::set_now): challenges cannot expire",
            );
        };
        let mut bytes = [0u8; CHALLENGE_LEN];
        if self.config.random.fill(&mut bytes).is_err() {
            return self.fail_now(FailureKind::Internal, "random source failed");
        }
        let rp = &self.config.relying_party;
        let encoded = OptionsRef {
            rp_id: rp.rp_id(),
            challenge: &bytes,
            timeout_ms: Some(rp.timeout_ms()),
            allow_credentials: expected.allow_list(),
            user_verification: rp.user_verification(),
        }
        .encode(self.config.codec);
        self.state = State::AwaitAssertion {
            challenge: Challenge { bytes, issued },
            expected,
            authzid,
        };
        ServerStep::Challenge(encoded)
    }

    fn assertion(
        &mut self,
        challenge: Challenge,
        expected: Expected,
        authzid: Option<String>,
        response: &[u8],
    ) -> ServerStep {
        let timeout_secs = u64::from(self.config.relying_party.timeout_ms()).div_ceil(1000);
        let expired = self
            .now
            .is_none_or(|now| now > challenge.issued.saturating_add_secs(timeout_secs));
        if expired {
            return self.refuse(
                ServerError::OtherError,
                ServerFailure::new(FailureKind::Expired, "challenge expired"),
            );
        }
        let assertion = match decode_assertion(self.config.codec, response) {
            Ok(a) => a,
            Err(e) => {
                return self.refuse(
                    ServerError::InvalidEncoding,
                    ServerFailure::new(FailureKind::Malformed, e.detail()),
                );
            }
        };
        match expected {
            Expected::Account(account, granted) => {
                let allowed = AllowList::Credentials(account.credentials());
                let verified = verify_assertion_from(
                    &self.config.relying_party,
                    &challenge.bytes,
                    allowed,
                    &account,
                    &assertion,
                );
                self.verified(verified, account, granted, authzid)
            }
            Expected::Unknown(_) => self.refuse(
                ServerError::OtherError,
                ServerFailure::new(FailureKind::UnknownUser, "no such user"),
            ),
            Expected::Anyone => {
                let key = PasskeyLookupKey::Credential {
                    id: assertion.credential_id.clone(),
                    user_handle: assertion.user_handle.clone(),
                };
                self.state = State::LookingUpCredential {
                    challenge,
                    assertion: Box::new(assertion),
                    authzid: authzid.clone(),
                };
                ServerStep::Request(Request::PasskeyLookup(
                    PasskeyLookup::new(PASSKEY, key).with_authzid(authzid),
                ))
            }
        }
    }

    /// Success as `account` for a verified assertion (if the authzid is allowed), or
    /// the refusal.
    fn verified(
        &mut self,
        verified: Result<VerifiedAssertion, AssertionError>,
        account: PasskeyAccount,
        granted: bool,
        authzid: Option<String>,
    ) -> ServerStep {
        let verified = match verified {
            Ok(v) => v,
            Err(e) => {
                return self.refuse(
                    ServerError::OtherError,
                    ServerFailure::new(e.failure_kind(), e.detail()),
                );
            }
        };
        let authzid = match authzid {
            Some(z) if z == account.name() => None,
            Some(z) if granted => Some(z),
            Some(_) => {
                return self.refuse(
                    ServerError::OtherError,
                    ServerFailure::new(
                        FailureKind::AuthorizationDenied,
                        "the account may not act as the requested authzid",
                    ),
                );
            }
            None => None,
        };
        self.state = State::Done;
        ServerStep::Success(
            ServerSuccess::new(PASSKEY, account.into_name())
                .with_authzid(authzid)
                .with_mechanism_data(MechanismData::Passkey(verified.into_passkey_use())),
        )
    }
}

impl ServerMechanism for PasskeyServer {
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if !matches!(self.state, State::New) {
            return Err(Misuse::AlreadyStarted.into());
        }
        Ok(match initial_response {
            Some(message) => self.first(message),
            None => {
                self.state = State::AwaitFirst;
                ServerStep::Challenge(Vec::new())
            }
        })
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::AwaitFirst => Ok(self.first(response)),
            State::AwaitAssertion {
                challenge,
                expected,
                authzid,
            } => Ok(self.assertion(challenge, expected, authzid, response)),
            State::AwaitAck(failure) => Ok(ServerStep::Failure(failure)),
            State::New => {
                self.state = State::New;
                Err(Misuse::NotStarted.into())
            }
            pending @ (State::LookingUpUser { .. } | State::LookingUpCredential { .. }) => {
                self.state = pending;
                Err(Misuse::RequestPending.into())
            }
            State::Done => Err(Misuse::Finished.into()),
        }
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::LookingUpUser { user, authzid } => Ok(match verdict {
                Verdict::PasskeyFound {
                    account,
                    authzid_granted,
                } => self.challenge(Expected::Account(account, authzid_granted), authzid),
                Verdict::Rejected(FailureKind::UnknownUser) => {
                    // Looks like a known user's challenge: one stable credential id.
                    let fake = vec![self.config.fake_credential(&user)];
                    self.challenge(Expected::Unknown(fake), authzid)
                }
                Verdict::Rejected(kind @ (FailureKind::Temporary | FailureKind::Internal)) => {
                    self.fail_now(kind, "passkey store unavailable")
                }
                Verdict::Rejected(kind) => self.refuse(
                    ServerError::OtherError,
                    ServerFailure::new(kind, "login refused by the application"),
                ),
                Verdict::RejectedWithMessage { kind, message } => self.refuse_with(kind, &message),
                _ => return Err(Misuse::AnswerMismatch.into()),
            }),
            State::LookingUpCredential {
                challenge,
                assertion,
                authzid,
            } => Ok(match verdict {
                Verdict::PasskeyFound {
                    account,
                    authzid_granted,
                } => {
                    // The discoverable flow listed no credentials.
                    let verified = verify_assertion_from(
                        &self.config.relying_party,
                        &challenge.bytes,
                        AllowList::Ids(&[]),
                        &account,
                        &assertion,
                    );
                    self.verified(verified, account, authzid_granted, authzid)
                }
                Verdict::Rejected(kind @ (FailureKind::Temporary | FailureKind::Internal)) => {
                    self.fail_now(kind, "passkey store unavailable")
                }
                Verdict::Rejected(FailureKind::UnknownUser) => self.refuse(
                    ServerError::OtherError,
                    ServerFailure::new(FailureKind::UnknownUser, "unknown credential"),
                ),
                Verdict::Rejected(kind) => self.refuse(
                    ServerError::OtherError,
                    ServerFailure::new(kind, "login refused by the application"),
                ),
                Verdict::RejectedWithMessage { kind, message } => self.refuse_with(kind, &message),
                _ => return Err(Misuse::AnswerMismatch.into()),
            }),
            other => {
                self.state = other;
                Err(Misuse::NoRequestPending.into())
            }
        }
    }

    fn set_now(&mut self, now: UnixTime) {
        self.now = Some(now);
    }

    fn cancelled(&mut self) -> Option<ServerFailure> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::AwaitAck(failure) => Some(failure),
            _ => None,
        }
    }
}

/// Makes [`PasskeyServer`] instances for a registry.
#[derive(Debug, Clone)]
pub struct PasskeyServerFactory {
    config: Arc<PasskeyServerConfig>,
}

impl ServerMechanismFactory for PasskeyServerFactory {
    fn mechanism(&self) -> MechanismName {
        PASSKEY
    }

    fn properties(&self) -> MechanismProperties {
        // Nothing replayable crosses the wire: the assertion signs a fresh challenge
        // and the origin/RP id. TLS is still what keeps the mail private.
        MechanismProperties::protected(sasl_core::ChannelBindingUse::Never)
    }

    fn start(&self, _context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(PasskeyServer::new(Arc::clone(&self.config))))
    }
}
