//! PLAIN and LOGIN servers.

use crate::fields::{FieldError, FieldKind, FieldLimits, Preparation, prepare_field};
use crate::{LOGIN, PLAIN};
use sasl_core::{
    Error, FailureKind, MechanismName, MechanismProperties, Request, Secret, ServerContext,
    ServerFailure, ServerMechanism, ServerMechanismFactory, ServerStep, ServerSuccess, Verdict,
    VerifyPassword,
};

/// PLAIN server settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlainServerConfig {
    /// How fields are prepared (default SASLprep).
    pub preparation: Preparation,
    /// Field size bounds.
    pub limits: FieldLimits,
}

/// LOGIN server settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginServerConfig {
    /// How fields are prepared (default SASLprep).
    pub preparation: Preparation,
    /// Field size bounds.
    pub limits: FieldLimits,
    /// Take an initial response as the user name (`AUTH LOGIN <base64 user>`), which
    /// some SMTP clients send although the LOGIN draft forbids it. Default `false`:
    /// an initial response fails the exchange.
    pub accept_initial_username: bool,
    /// The two challenges. Default `Username:` and `Password:`, which deployed clients
    /// expect (the draft's `User Name` and `Password` are also allowed).
    pub prompts: (&'static str, &'static str),
}

impl PlainServerConfig {
    /// Sets the preparation profile.
    pub fn with_preparation(mut self, preparation: Preparation) -> Self {
        self.preparation = preparation;
        self
    }

    /// Sets the field size bounds.
    pub fn with_limits(mut self, limits: FieldLimits) -> Self {
        self.limits = limits;
        self
    }
}

impl LoginServerConfig {
    /// Sets the preparation profile.
    pub fn with_preparation(mut self, preparation: Preparation) -> Self {
        self.preparation = preparation;
        self
    }

    /// Sets the field size bounds.
    pub fn with_limits(mut self, limits: FieldLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Accepts an initial response as the user name (see the field's docs).
    pub fn with_initial_username(mut self, accept: bool) -> Self {
        self.accept_initial_username = accept;
        self
    }

    /// Sets the two challenge texts.
    pub fn with_prompts(mut self, username: &'static str, password: &'static str) -> Self {
        self.prompts = (username, password);
        self
    }
}

impl Default for LoginServerConfig {
    fn default() -> Self {
        Self {
            preparation: Preparation::default(),
            limits: FieldLimits::default(),
            accept_initial_username: false,
            prompts: ("Username:", "Password:"),
        }
    }
}

#[derive(Debug)]
enum PlainState {
    Start,
    AwaitMessage,
    Pending {
        authcid: String,
        authzid: Option<String>,
    },
    Done,
}

/// The PLAIN server state machine (RFC 4616). Usable directly as a
/// [`ServerMechanism`] or through [`PlainServer::factory`].
#[derive(Debug)]
pub struct PlainServer {
    config: PlainServerConfig,
    state: PlainState,
}

impl PlainServer {
    /// A server with default settings.
    pub fn new() -> Self {
        Self::with_config(PlainServerConfig::default())
    }

    /// A server with the given settings.
    pub fn with_config(config: PlainServerConfig) -> Self {
        Self {
            config,
            state: PlainState::Start,
        }
    }

    /// The factory to register with [`ServerRegistry`](sasl_core::ServerRegistry).
    pub fn factory() -> PlainServerFactory {
        PlainServerFactory(PlainServerConfig::default())
    }

    /// A factory with the given settings.
    pub fn factory_with(config: PlainServerConfig) -> PlainServerFactory {
        PlainServerFactory(config)
    }

    fn parse(&mut self, message: &[u8]) -> ServerStep {
        self.state = PlainState::Done;
        let mut parts = message.split(|&b| b == 0);
        let (Some(authzid), Some(authcid), Some(password), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return fail(
                FailureKind::Malformed,
                "PLAIN message must have exactly two NUL separators",
            );
        };
        let prep = self.config.preparation;
        let limits = &self.config.limits;
        let authzid = if authzid.is_empty() {
            None
        } else {
            match prepare_field(authzid, FieldKind::Identity, prep, limits, false) {
                Ok(z) => Some(z),
                Err(e) => return field_failure(e, "authzid"),
            }
        };
        let authcid = match prepare_field(authcid, FieldKind::Identity, prep, limits, false) {
            Ok(c) => c,
            Err(e) => return field_failure(e, "authcid"),
        };
        let password = match prepare_field(password, FieldKind::Password, prep, limits, false) {
            Ok(p) => Secret::new(p),
            Err(e) => return field_failure(e, "password"),
        };
        self.state = PlainState::Pending {
            authcid: authcid.clone(),
            authzid: authzid.clone(),
        };
        ServerStep::Request(Request::VerifyPassword(VerifyPassword::new(
            PLAIN, authcid, authzid, password,
        )))
    }
}

impl Default for PlainServer {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerMechanism for PlainServer {
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if !matches!(self.state, PlainState::Start) {
            return Err(Error::Misuse(sasl_core::Misuse::AlreadyStarted));
        }
        Ok(match initial_response {
            // Client-first: without an initial response, ask with an empty challenge.
            None => {
                self.state = PlainState::AwaitMessage;
                ServerStep::Challenge(Vec::new())
            }
            Some(message) => self.parse(message),
        })
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        match self.state {
            PlainState::AwaitMessage => Ok(self.parse(response)),
            PlainState::Start => Err(Error::Misuse(sasl_core::Misuse::NotStarted)),
            PlainState::Pending { .. } => Err(Error::Misuse(sasl_core::Misuse::RequestPending)),
            PlainState::Done => Err(Error::Misuse(sasl_core::Misuse::Finished)),
        }
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        let PlainState::Pending { authcid, authzid } =
            std::mem::replace(&mut self.state, PlainState::Done)
        else {
            return Err(Error::Misuse(sasl_core::Misuse::NoRequestPending));
        };
        password_outcome(PLAIN, authcid, authzid, verdict)
    }
}

fn password_outcome(
    mechanism: MechanismName,
    authcid: String,
    authzid: Option<String>,
    verdict: Verdict,
) -> Result<ServerStep, Error> {
    match verdict {
        Verdict::PasswordValid { authzid_granted } => {
            let acting_as_other = authzid.as_deref().is_some_and(|z| z != authcid);
            if acting_as_other && !authzid_granted {
                return Ok(fail(
                    FailureKind::AuthorizationDenied,
                    "requested authorization identity not granted",
                ));
            }
            Ok(ServerStep::Success(
                ServerSuccess::new(mechanism, authcid).with_authzid(authzid),
            ))
        }
        Verdict::Rejected(kind) => Ok(fail(kind, "rejected by the application")),
        _ => Err(Error::Misuse(sasl_core::Misuse::AnswerMismatch)),
    }
}

fn fail(kind: FailureKind, detail: &'static str) -> ServerStep {
    ServerStep::Failure(ServerFailure::new(kind, detail))
}

fn field_failure(error: FieldError, field: &'static str) -> ServerStep {
    let kind = match error {
        // A password that cannot be prepared cannot match: same as a wrong password.
        FieldError::Preparation => FailureKind::InvalidCredentials,
        _ => FailureKind::Malformed,
    };
    ServerStep::Failure(ServerFailure::new(kind, error.detail(field)))
}

/// Makes [`PlainServer`] instances for a registry.
#[derive(Debug, Clone, Copy)]
pub struct PlainServerFactory(PlainServerConfig);

impl ServerMechanismFactory for PlainServerFactory {
    fn mechanism(&self) -> MechanismName {
        PLAIN
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn start(&self, _context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(PlainServer::with_config(self.0)))
    }
}

#[derive(Debug)]
enum LoginState {
    Start,
    AwaitUsername,
    AwaitPassword { authcid: String },
    Pending { authcid: String },
    Done,
}

/// The LOGIN server state machine (draft-murchison-sasl-login): server-first, asks for
/// the user name, then the password.
#[derive(Debug)]
pub struct LoginServer {
    config: LoginServerConfig,
    state: LoginState,
}

impl LoginServer {
    /// A server with default settings.
    pub fn new() -> Self {
        Self::with_config(LoginServerConfig::default())
    }

    /// A server with the given settings.
    pub fn with_config(config: LoginServerConfig) -> Self {
        Self {
            config,
            state: LoginState::Start,
        }
    }

    /// The factory to register with [`ServerRegistry`](sasl_core::ServerRegistry).
    pub fn factory() -> LoginServerFactory {
        LoginServerFactory(LoginServerConfig::default())
    }

    /// A factory with the given settings.
    pub fn factory_with(config: LoginServerConfig) -> LoginServerFactory {
        LoginServerFactory(config)
    }

    fn take_username(&mut self, raw: &[u8]) -> ServerStep {
        match prepare_field(
            raw,
            FieldKind::Identity,
            self.config.preparation,
            &self.config.limits,
            true,
        ) {
            Ok(authcid) => {
                self.state = LoginState::AwaitPassword { authcid };
                ServerStep::Challenge(self.config.prompts.1.as_bytes().to_vec())
            }
            Err(e) => {
                self.state = LoginState::Done;
                field_failure(e, "user name")
            }
        }
    }
}

impl Default for LoginServer {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerMechanism for LoginServer {
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if !matches!(self.state, LoginState::Start) {
            return Err(Error::Misuse(sasl_core::Misuse::AlreadyStarted));
        }
        Ok(match initial_response {
            None => {
                self.state = LoginState::AwaitUsername;
                ServerStep::Challenge(self.config.prompts.0.as_bytes().to_vec())
            }
            Some(name) if self.config.accept_initial_username && !name.is_empty() => {
                self.take_username(name)
            }
            Some(_) => {
                self.state = LoginState::Done;
                fail(
                    FailureKind::Protocol,
                    "LOGIN is server-first: no initial response allowed",
                )
            }
        })
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        match std::mem::replace(&mut self.state, LoginState::Done) {
            LoginState::AwaitUsername => Ok(self.take_username(response)),
            LoginState::AwaitPassword { authcid } => {
                match prepare_field(
                    response,
                    FieldKind::Password,
                    self.config.preparation,
                    &self.config.limits,
                    true,
                ) {
                    Ok(password) => {
                        self.state = LoginState::Pending {
                            authcid: authcid.clone(),
                        };
                        Ok(ServerStep::Request(Request::VerifyPassword(
                            VerifyPassword::new(LOGIN, authcid, None, Secret::new(password)),
                        )))
                    }
                    Err(e) => Ok(field_failure(e, "password")),
                }
            }
            other @ LoginState::Start => {
                self.state = other;
                Err(Error::Misuse(sasl_core::Misuse::NotStarted))
            }
            other @ LoginState::Pending { .. } => {
                self.state = other;
                Err(Error::Misuse(sasl_core::Misuse::RequestPending))
            }
            LoginState::Done => Err(Error::Misuse(sasl_core::Misuse::Finished)),
        }
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        let LoginState::Pending { authcid } = std::mem::replace(&mut self.state, LoginState::Done)
        else {
            return Err(Error::Misuse(sasl_core::Misuse::NoRequestPending));
        };
        password_outcome(LOGIN, authcid, None, verdict)
    }
}

/// Makes [`LoginServer`] instances for a registry.
#[derive(Debug, Clone, Copy)]
pub struct LoginServerFactory(LoginServerConfig);

impl ServerMechanismFactory for LoginServerFactory {
    fn mechanism(&self) -> MechanismName {
        LOGIN
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn start(&self, _context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(LoginServer::with_config(self.0)))
    }
}
