//! Questions a client session asks the application, as owned values answered by
//! consuming methods: the mirror of the server's [`Request`](crate::Request).
//!
//! | variant | asked by | answer with |
//! |---|---|---|
//! | [`ClientRequest::Password`] | PLAIN, LOGIN, SCRAM without a password given up front | `provide(password)` |
//! | [`ClientRequest::Token`] | OAUTHBEARER, XOAUTH2 without a token given up front | `provide(token)` |
//! | [`ClientRequest::PasskeyAssertion`] | PASSKEY | `provide(assertion)` from an authenticator |
//! | [`ClientRequest::Extension`] | mechanisms outside this family | their own typed wrapper |
//!
//! Every request can also be [`decline`](ClientRequest::decline)d (the user
//! cancelled): the exchange then aborts. Answers are ticketed as on the server side.

use crate::mechanism::MechanismName;
use crate::request::{ExtensionAnswer, Payload};
use crate::secret::Secret;
use crate::ticket::Ticket;
use core::any::Any;
use core::fmt;

/// Something a client session needs the application (or the user, or an
/// authenticator) to supply.
#[derive(Debug)]
#[must_use = "a request must be answered and the answer provided to the session"]
pub enum ClientRequest {
    /// The user's password, asked for only when the mechanism needs it.
    Password(PasswordPrompt),
    /// A bearer token (fetch or refresh one from the identity provider).
    Token(TokenPrompt),
    /// A WebAuthn assertion over the server's challenge, from an authenticator.
    PasskeyAssertion(Box<AssertionRequest>),
    /// A question of a mechanism from outside this crate family.
    Extension(ClientExtensionRequest),
}

impl ClientRequest {
    /// The mechanism asking.
    pub fn mechanism(&self) -> &MechanismName {
        match self {
            ClientRequest::Password(r) => &r.mechanism,
            ClientRequest::Token(r) => &r.mechanism,
            ClientRequest::PasskeyAssertion(r) => &r.mechanism,
            ClientRequest::Extension(r) => &r.mechanism,
        }
    }

    /// The user (or authenticator) declined: the exchange aborts as cancelled.
    pub fn decline(self) -> ClientAnswer {
        let ticket = match &self {
            ClientRequest::Password(r) => r.ticket,
            ClientRequest::Token(r) => r.ticket,
            ClientRequest::PasskeyAssertion(r) => r.ticket,
            ClientRequest::Extension(r) => r.ticket,
        };
        ClientAnswer::new(ticket, ClientInput::Declined)
    }

    pub(crate) fn stamp(&mut self, ticket: Ticket) {
        match self {
            ClientRequest::Password(r) => r.ticket = ticket,
            ClientRequest::Token(r) => r.ticket = ticket,
            ClientRequest::PasskeyAssertion(r) => r.ticket = ticket,
            ClientRequest::Extension(r) => r.ticket = ticket,
        }
    }
}

/// The application's answer to a [`ClientRequest`], for
/// [`ClientSession::provide`](crate::ClientSession::provide).
#[derive(Debug)]
#[must_use = "give the answer to the session with provide()"]
pub struct ClientAnswer {
    ticket: Ticket,
    input: ClientInput,
}

impl ClientAnswer {
    fn new(ticket: Ticket, input: ClientInput) -> Self {
        Self { ticket, input }
    }

    /// Takes the input out, for driving a mechanism directly without a session.
    pub fn into_input(self) -> ClientInput {
        self.input
    }

    pub(crate) fn ticket(&self) -> Ticket {
        self.ticket
    }
}

/// The content of a [`ClientAnswer`], as a client mechanism receives it.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientInput {
    /// The password.
    Password(Secret<String>),
    /// The bearer token.
    Token(Secret<String>),
    /// The authenticator's assertion.
    Assertion(PasskeyAssertion),
    /// The answer to a [`ClientExtensionRequest`].
    Extension(ExtensionAnswer),
    /// The user declined.
    Declined,
}

/// A request for the user's password.
#[derive(Debug)]
pub struct PasswordPrompt {
    ticket: Ticket,
    mechanism: MechanismName,
    authcid: String,
}

impl PasswordPrompt {
    /// Builds the request (for mechanism implementations).
    pub fn new(mechanism: MechanismName, authcid: impl Into<String>) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            authcid: authcid.into(),
        }
    }

    /// Whose password is asked for.
    pub fn authcid(&self) -> &str {
        &self.authcid
    }

    /// Supplies the password.
    pub fn provide(self, password: impl Into<String>) -> ClientAnswer {
        ClientAnswer::new(
            self.ticket,
            ClientInput::Password(Secret::new(password.into())),
        )
    }
}

/// A request for a bearer token.
#[derive(Debug)]
pub struct TokenPrompt {
    ticket: Ticket,
    mechanism: MechanismName,
    user: Option<String>,
}

impl TokenPrompt {
    /// Builds the request (for mechanism implementations).
    pub fn new(mechanism: MechanismName, user: Option<String>) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            user,
        }
    }

    /// The user the token is for, if known.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Supplies the token.
    pub fn provide(self, token: impl Into<String>) -> ClientAnswer {
        ClientAnswer::new(self.ticket, ClientInput::Token(Secret::new(token.into())))
    }
}

/// How much user verification the server asks the authenticator for (WebAuthn
/// `userVerification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserVerification {
    /// The authenticator must verify the user (PIN, biometrics).
    Required,
    /// Verify if possible. The WebAuthn default.
    #[default]
    Preferred,
    /// Do not verify.
    Discouraged,
}

/// A request to have an authenticator sign the server's challenge (WebAuthn
/// `navigator.credentials.get()` in a browser; a platform passkey API or a software
/// authenticator in a mail client).
#[derive(Debug)]
pub struct AssertionRequest {
    ticket: Ticket,
    mechanism: MechanismName,
    rp_id: String,
    challenge: Vec<u8>,
    allow_credentials: Vec<Vec<u8>>,
    user_verification: UserVerification,
    timeout_ms: Option<u32>,
}

impl AssertionRequest {
    /// Builds the request (for mechanism implementations) from the server's request
    /// options.
    pub fn new(
        mechanism: MechanismName,
        rp_id: impl Into<String>,
        challenge: Vec<u8>,
        allow_credentials: Vec<Vec<u8>>,
        user_verification: UserVerification,
        timeout_ms: Option<u32>,
    ) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            rp_id: rp_id.into(),
            challenge,
            allow_credentials,
            user_verification,
            timeout_ms,
        }
    }

    /// The relying party id (the mail provider's domain).
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The challenge to sign.
    pub fn challenge(&self) -> &[u8] {
        &self.challenge
    }

    /// The credential ids the server accepts; empty for the discoverable flow.
    pub fn allow_credentials(&self) -> &[Vec<u8>] {
        &self.allow_credentials
    }

    /// The user verification the server asks for.
    pub fn user_verification(&self) -> UserVerification {
        self.user_verification
    }

    /// How long the server waits, in milliseconds, if it said.
    pub fn timeout_ms(&self) -> Option<u32> {
        self.timeout_ms
    }

    /// Supplies the authenticator's assertion.
    pub fn provide(self, assertion: PasskeyAssertion) -> ClientAnswer {
        ClientAnswer::new(self.ticket, ClientInput::Assertion(assertion))
    }
}

/// A WebAuthn assertion (`AuthenticatorAssertionResponse` plus the credential id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyAssertion {
    /// The credential that signed.
    pub credential_id: Vec<u8>,
    /// `authenticatorData`.
    pub authenticator_data: Vec<u8>,
    /// `clientDataJSON`, as the bytes that were hashed.
    pub client_data_json: Vec<u8>,
    /// The signature over `authenticatorData || SHA-256(clientDataJSON)`.
    pub signature: Vec<u8>,
    /// The `userHandle`, if the authenticator returned one.
    pub user_handle: Option<Vec<u8>>,
}

/// A client-side question of a mechanism from outside this crate family; see
/// [`ExtensionRequest`](crate::ExtensionRequest) for the typed-wrapper pattern.
pub struct ClientExtensionRequest {
    ticket: Ticket,
    mechanism: MechanismName,
    question: Payload,
}

impl ClientExtensionRequest {
    /// Builds the request (for mechanism implementations).
    pub fn new<Q: Any + Send>(mechanism: MechanismName, question: Q) -> Self {
        Self {
            ticket: Ticket::UNSTAMPED,
            mechanism,
            question: Payload::new(question),
        }
    }

    /// The question, if it is of type `Q`.
    pub fn question<Q: Any>(&self) -> Option<&Q> {
        self.question.get::<Q>()
    }

    /// Answers with a value of the mechanism's answer type.
    pub fn answer<A: Any + Send>(self, answer: A) -> ClientAnswer {
        ClientAnswer::new(
            self.ticket,
            ClientInput::Extension(ExtensionAnswer(Payload::new(answer))),
        )
    }
}

impl fmt::Debug for ClientExtensionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientExtensionRequest")
            .field("mechanism", &self.mechanism)
            .field("question", &self.question.type_name)
            .finish_non_exhaustive()
    }
}
