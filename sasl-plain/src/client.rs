//! PLAIN and LOGIN clients.

use crate::{LOGIN, PLAIN};
use sasl_core::{
    ClientContext, ClientCredentials, ClientFailure, ClientInput, ClientMechanism,
    ClientMechanismFactory, ClientOutcome, ClientRequest, ClientStep, ClientSuccess, ConfigError,
    Error, FailureKind, MechanismName, MechanismProperties, Misuse, PasswordPrompt, Secret,
    ServerReply,
};

/// Why a field cannot be sent, if it cannot.
fn field_problem(value: &str, allow_empty: bool, line_based: bool) -> Option<&'static str> {
    if value.contains('\0') {
        Some("contains NUL")
    } else if line_based && value.contains(['\r', '\n']) {
        Some("contains CR or LF")
    } else if !allow_empty && value.is_empty() {
        Some("is empty")
    } else {
        None
    }
}

fn check_field(
    value: &str,
    what: &'static str,
    allow_empty: bool,
    line_based: bool,
) -> Result<(), Error> {
    match field_problem(value, allow_empty, line_based) {
        None => Ok(()),
        Some(_) if value.is_empty() => Err(ConfigError::MissingCredentials(what).into()),
        Some(problem) => Err(Error::config(format!("{what} {problem}"))),
    }
}

/// The password given up front, or `None` to ask for it; an error if neither.
fn password_source(credentials: &ClientCredentials) -> Result<Option<Secret<String>>, Error> {
    match credentials.password() {
        Some(p) => Ok(Some(Secret::new(p.to_owned()))),
        None if credentials.has_password_source() => Ok(None),
        None => Err(ConfigError::MissingCredentials("password").into()),
    }
}

/// The password the application supplied for a [`ClientRequest::Password`], or the
/// failure to abort with when it cannot be sent.
fn supplied_password(
    input: ClientInput,
    line_based: bool,
) -> Result<Secret<String>, ClientFailure> {
    match input {
        ClientInput::Password(p) => match field_problem(p.expose(), false, line_based) {
            None => Ok(p),
            Some(problem) => Err(ClientFailure::new(
                FailureKind::Malformed,
                format!("the supplied password {problem}"),
            )),
        },
        _ => Err(ClientFailure::new(
            FailureKind::Internal,
            "the answer to a password request was not a password",
        )),
    }
}

fn outcome(mechanism: MechanismName, sent_everything: bool, outcome: ServerReply) -> ClientOutcome {
    match outcome {
        ServerReply::Success { additional_data } => {
            if additional_data.is_some_and(|d| !d.is_empty()) {
                ClientOutcome::Failure(ClientFailure::new(
                    FailureKind::Protocol,
                    "server sent additional data with success; this mechanism has none",
                ))
            } else if !sent_everything {
                ClientOutcome::Failure(ClientFailure::new(
                    FailureKind::Protocol,
                    "server reported success before the client sent its credentials",
                ))
            } else {
                ClientOutcome::Success(ClientSuccess::new(mechanism))
            }
        }
        ServerReply::Failure(reply) => ClientOutcome::Failure(ClientFailure::from_reply(&reply)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlainState {
    New,
    AskedPassword,
    Sent,
}

/// The PLAIN client: one message, `[authzid] NUL authcid NUL password`.
///
/// With [`ClientCredentials::with_password_on_demand`] it asks for the password with
/// a [`ClientRequest::Password`] before sending.
#[derive(Debug)]
pub struct PlainClient {
    authcid: String,
    authzid: String,
    password: Option<Secret<String>>,
    state: PlainState,
}

impl PlainClient {
    /// A client for these credentials (a password or a password on demand required;
    /// NUL is refused).
    pub fn new(credentials: &ClientCredentials) -> Result<Self, Error> {
        let password = password_source(credentials)?;
        check_field(credentials.authcid(), "authcid", false, false)?;
        if let Some(p) = &password {
            check_field(p.expose(), "password", false, false)?;
        }
        let authzid = credentials.authzid().unwrap_or("");
        check_field(authzid, "authzid", true, false)?;
        Ok(Self {
            authcid: credentials.authcid().to_owned(),
            authzid: authzid.to_owned(),
            password,
            state: PlainState::New,
        })
    }

    /// The factory to register with [`ClientRegistry`](sasl_core::ClientRegistry).
    pub fn factory() -> PlainClientFactory {
        PlainClientFactory
    }

    fn message(&mut self, password: &Secret<String>) -> ClientStep {
        let password = password.expose();
        let mut message =
            Vec::with_capacity(self.authzid.len() + self.authcid.len() + password.len() + 2);
        message.extend_from_slice(self.authzid.as_bytes());
        message.push(0);
        message.extend_from_slice(self.authcid.as_bytes());
        message.push(0);
        message.extend_from_slice(password.as_bytes());
        self.state = PlainState::Sent;
        ClientStep::Respond(Secret::new(message))
    }
}

impl ClientMechanism for PlainClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        if self.state != PlainState::New {
            return Err(Misuse::AlreadyStarted.into());
        }
        match self.password.take() {
            Some(password) => Ok(self.message(&password)),
            None => {
                self.state = PlainState::AskedPassword;
                Ok(ClientStep::Request(ClientRequest::Password(
                    PasswordPrompt::new(PLAIN, self.authcid.clone()),
                )))
            }
        }
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, Error> {
        Ok(ClientStep::Abort(ClientFailure::new(
            FailureKind::Protocol,
            "PLAIN server sent a challenge after the client message",
        )))
    }

    fn provide(&mut self, input: ClientInput) -> Result<ClientStep, Error> {
        if self.state != PlainState::AskedPassword {
            return Err(Misuse::NoRequestPending.into());
        }
        Ok(match supplied_password(input, false) {
            Ok(password) => self.message(&password),
            Err(failure) => ClientStep::Abort(failure),
        })
    }

    fn finish(&mut self, server: ServerReply) -> Result<ClientOutcome, Error> {
        Ok(outcome(PLAIN, self.state == PlainState::Sent, server))
    }
}

/// Makes [`PlainClient`] instances for a registry.
#[derive(Debug, Clone, Copy)]
pub struct PlainClientFactory;

impl ClientMechanismFactory for PlainClientFactory {
    fn mechanism(&self) -> MechanismName {
        PLAIN
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.has_password_source()
    }

    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(PlainClient::new(&context.credentials)?))
    }
}

/// The LOGIN client: waits for the server, answers the first challenge with the user
/// name and the second with the password, ignoring the challenge text.
///
/// With [`ClientCredentials::with_password_on_demand`] it asks for the password with
/// a [`ClientRequest::Password`] when the second challenge arrives.
#[derive(Debug)]
pub struct LoginClient {
    username: Vec<u8>,
    password: Option<Secret<String>>,
    answered: u8,
    asked: bool,
}

impl LoginClient {
    /// A client for these credentials. LOGIN cannot carry an authzid, and the user
    /// name and password may not contain NUL, CR or LF.
    pub fn new(credentials: &ClientCredentials) -> Result<Self, Error> {
        let password = password_source(credentials)?;
        if credentials
            .authzid()
            .is_some_and(|z| z != credentials.authcid())
        {
            return Err(Error::config(
                "LOGIN cannot carry an authorization identity",
            ));
        }
        check_field(credentials.authcid(), "user name", false, true)?;
        if let Some(p) = &password {
            check_field(p.expose(), "password", false, true)?;
        }
        Ok(Self {
            username: credentials.authcid().as_bytes().to_vec(),
            password,
            answered: 0,
            asked: false,
        })
    }

    /// The factory to register with [`ClientRegistry`](sasl_core::ClientRegistry).
    pub fn factory() -> LoginClientFactory {
        LoginClientFactory
    }
}

fn password_response(password: &Secret<String>) -> ClientStep {
    ClientStep::Respond(Secret::new(password.expose().as_bytes().to_vec()))
}

impl ClientMechanism for LoginClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        Ok(ClientStep::AwaitChallenge)
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, Error> {
        self.answered = self.answered.saturating_add(1);
        Ok(match (self.answered, &self.password) {
            (1, _) => ClientStep::Respond(Secret::new(self.username.clone())),
            (2, Some(password)) => password_response(password),
            (2, None) => {
                self.asked = true;
                ClientStep::Request(ClientRequest::Password(PasswordPrompt::new(
                    LOGIN,
                    String::from_utf8_lossy(&self.username).into_owned(),
                )))
            }
            _ => ClientStep::Abort(ClientFailure::new(
                FailureKind::Protocol,
                "LOGIN server sent more than two challenges",
            )),
        })
    }

    fn provide(&mut self, input: ClientInput) -> Result<ClientStep, Error> {
        if !self.asked || self.password.is_some() {
            return Err(Misuse::NoRequestPending.into());
        }
        Ok(match supplied_password(input, true) {
            Ok(password) => {
                let step = password_response(&password);
                self.password = Some(password);
                step
            }
            Err(failure) => ClientStep::Abort(failure),
        })
    }

    fn finish(&mut self, server: ServerReply) -> Result<ClientOutcome, Error> {
        let sent = self.answered == 2 && self.password.is_some();
        Ok(outcome(LOGIN, sent, server))
    }
}

/// Makes [`LoginClient`] instances for a registry.
#[derive(Debug, Clone, Copy)]
pub struct LoginClientFactory;

impl ClientMechanismFactory for LoginClientFactory {
    fn mechanism(&self) -> MechanismName {
        LOGIN
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.has_password_source()
            && credentials
                .authzid()
                .is_none_or(|z| z == credentials.authcid())
    }

    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(LoginClient::new(&context.credentials)?))
    }
}
