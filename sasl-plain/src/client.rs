//! PLAIN and LOGIN clients.

use crate::{LOGIN, PLAIN};
use sasl_core::{
    ClientContext, ClientCredentials, ClientFailure, ClientMechanism, ClientMechanismFactory,
    ClientOutcome, ClientStep, ClientSuccess, Error, FailureKind, Mechanism, MechanismProperties,
    Secret, ServerOutcome,
};

fn check_field(value: &str, what: &'static str, allow_empty: bool) -> Result<(), Error> {
    if value.contains('\0') {
        return Err(Error::Config(format!("{what} contains NUL")));
    }
    if !allow_empty && value.is_empty() {
        return Err(Error::MissingCredentials(what));
    }
    Ok(())
}

fn outcome(mechanism: Mechanism, sent_everything: bool, outcome: ServerOutcome) -> ClientOutcome {
    match outcome {
        ServerOutcome::Success { additional_data } => {
            if additional_data.is_some_and(|d| !d.is_empty()) {
                ClientOutcome::Failed(ClientFailure::new(
                    FailureKind::Protocol,
                    "server sent additional data with success; this mechanism has none",
                ))
            } else if !sent_everything {
                ClientOutcome::Failed(ClientFailure::new(
                    FailureKind::Protocol,
                    "server reported success before the client sent its credentials",
                ))
            } else {
                ClientOutcome::Authenticated(ClientSuccess::new(mechanism))
            }
        }
        ServerOutcome::Failure => ClientOutcome::Failed(ClientFailure::new(
            FailureKind::Rejected,
            "server rejected the credentials",
        )),
    }
}

/// The PLAIN client: one message, `[authzid] NUL authcid NUL password`.
#[derive(Debug)]
pub struct PlainClient {
    message: Option<Secret<Vec<u8>>>,
    sent: bool,
}

impl PlainClient {
    /// A client for these credentials (password required; NUL is refused).
    pub fn new(credentials: &ClientCredentials) -> Result<Self, Error> {
        let password = credentials
            .password()
            .ok_or(Error::MissingCredentials("password"))?;
        check_field(credentials.authcid(), "authcid", false)?;
        check_field(password, "password", false)?;
        let authzid = credentials.authzid().unwrap_or("");
        check_field(authzid, "authzid", true)?;
        let mut message =
            Vec::with_capacity(authzid.len() + credentials.authcid().len() + password.len() + 2);
        message.extend_from_slice(authzid.as_bytes());
        message.push(0);
        message.extend_from_slice(credentials.authcid().as_bytes());
        message.push(0);
        message.extend_from_slice(password.as_bytes());
        Ok(Self {
            message: Some(Secret::new(message)),
            sent: false,
        })
    }

    /// The factory to register with [`ClientMechanisms`](sasl_core::ClientMechanisms).
    pub fn factory() -> PlainClientFactory {
        PlainClientFactory
    }
}

impl ClientMechanism for PlainClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        let message = self.message.take().ok_or(Error::AlreadyStarted)?;
        self.sent = true;
        Ok(ClientStep::Respond(message.expose().clone()))
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, Error> {
        Ok(ClientStep::Abort(ClientFailure::new(
            FailureKind::Protocol,
            "PLAIN server sent a challenge after the client message",
        )))
    }

    fn finish(&mut self, server: ServerOutcome) -> Result<ClientOutcome, Error> {
        Ok(outcome(PLAIN, self.sent, server))
    }
}

/// Makes [`PlainClient`] instances for a registry.
#[derive(Debug, Clone, Copy)]
pub struct PlainClientFactory;

impl ClientMechanismFactory for PlainClientFactory {
    fn mechanism(&self) -> Mechanism {
        PLAIN
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.password().is_some()
    }

    fn start(&self, context: &ClientContext) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(PlainClient::new(&context.credentials)?))
    }
}

/// The LOGIN client: waits for the server, answers the first challenge with the user
/// name and the second with the password, ignoring the challenge text.
#[derive(Debug)]
pub struct LoginClient {
    username: Vec<u8>,
    password: Secret<Vec<u8>>,
    answered: u8,
}

impl LoginClient {
    /// A client for these credentials. LOGIN cannot carry an authzid, and the user
    /// name and password may not contain NUL, CR or LF.
    pub fn new(credentials: &ClientCredentials) -> Result<Self, Error> {
        let password = credentials
            .password()
            .ok_or(Error::MissingCredentials("password"))?;
        if credentials
            .authzid()
            .is_some_and(|z| z != credentials.authcid())
        {
            return Err(Error::Config(
                "LOGIN cannot carry an authorization identity".into(),
            ));
        }
        for (value, what) in [(credentials.authcid(), "user name"), (password, "password")] {
            check_field(value, what, false)?;
            if value.contains(['\r', '\n']) {
                return Err(Error::Config(format!("{what} contains CR or LF")));
            }
        }
        Ok(Self {
            username: credentials.authcid().as_bytes().to_vec(),
            password: Secret::new(password.as_bytes().to_vec()),
            answered: 0,
        })
    }

    /// The factory to register with [`ClientMechanisms`](sasl_core::ClientMechanisms).
    pub fn factory() -> LoginClientFactory {
        LoginClientFactory
    }
}

impl ClientMechanism for LoginClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        Ok(ClientStep::AwaitChallenge)
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, Error> {
        self.answered = self.answered.saturating_add(1);
        Ok(match self.answered {
            1 => ClientStep::Respond(self.username.clone()),
            2 => ClientStep::Respond(self.password.expose().clone()),
            _ => ClientStep::Abort(ClientFailure::new(
                FailureKind::Protocol,
                "LOGIN server sent more than two challenges",
            )),
        })
    }

    fn finish(&mut self, server: ServerOutcome) -> Result<ClientOutcome, Error> {
        Ok(outcome(LOGIN, self.answered == 2, server))
    }
}

/// Makes [`LoginClient`] instances for a registry.
#[derive(Debug, Clone, Copy)]
pub struct LoginClientFactory;

impl ClientMechanismFactory for LoginClientFactory {
    fn mechanism(&self) -> Mechanism {
        LOGIN
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.password().is_some()
            && credentials
                .authzid()
                .is_none_or(|z| z == credentials.authcid())
    }

    fn start(&self, context: &ClientContext) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(LoginClient::new(&context.credentials)?))
    }
}
