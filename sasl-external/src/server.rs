//! The EXTERNAL server.

use crate::EXTERNAL;
use sasl_core::{
    AuthorizeExternal, ConnectionInfo, Error, FailureKind, MechanismName, MechanismProperties,
    Misuse, Request, ServerContext, ServerFailure, ServerMechanism, ServerMechanismFactory,
    ServerStep, ServerSuccess, Verdict,
};

/// Longest authorization identity accepted, in bytes. RFC 4422 sets none; mail
/// addresses are at most 254 octets (RFC 5321 §4.5.3.1.3), and anything much longer is
/// not an identity but an attack on logs and stores.
pub const MAX_AUTHZID_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    New,
    /// No initial response came: the empty challenge went out.
    AwaitResponse,
    /// The application decides whether `identity` may act as this authzid.
    Authorizing(String),
    Done,
}

/// The EXTERNAL server (RFC 4422 Appendix A): authenticates the client as the
/// identity the application established outside SASL
/// ([`ConnectionInfo::with_external_identity`]: the account a TLS client certificate
/// maps to, a Unix socket peer).
///
/// The client's one message is an authorization identity. Empty, or equal to the
/// external identity, it logs in as that identity at once; any other is asked of the
/// application with a [`Request::AuthorizeExternal`]. The message must be UTF-8
/// without NUL and at most [`MAX_AUTHZID_LEN`] bytes; it is taken as received (no
/// normalisation), as SCRAM's authzid is.
///
/// Without an external identity the exchange fails
/// ([`FailureKind::InvalidCredentials`], IMAP `[AUTHENTICATIONFAILED]`); a registry
/// does not even offer EXTERNAL then.
#[derive(Debug)]
pub struct ExternalServer {
    identity: Option<String>,
    state: State,
}

impl ExternalServer {
    /// One exchange on `connection`, taking its external identity.
    pub fn new(connection: &ConnectionInfo) -> Self {
        Self {
            identity: connection.external_identity().map(str::to_owned),
            state: State::New,
        }
    }

    /// The factory to register with [`ServerRegistry`](sasl_core::ServerRegistry).
    pub fn factory() -> ExternalServerFactory {
        ExternalServerFactory
    }

    fn fail(&mut self, kind: FailureKind, detail: &'static str) -> ServerStep {
        self.state = State::Done;
        ServerStep::Failure(ServerFailure::new(kind, detail))
    }

    fn succeed(&mut self, identity: String, authzid: Option<String>) -> ServerStep {
        self.state = State::Done;
        ServerStep::Success(ServerSuccess::new(EXTERNAL, identity).with_authzid(authzid))
    }

    /// The client's one message: the authorization identity.
    fn message(&mut self, message: &[u8]) -> ServerStep {
        if message.len() > MAX_AUTHZID_LEN {
            return self.fail(FailureKind::Malformed, "authorization identity too long");
        }
        let Ok(authzid) = core::str::from_utf8(message) else {
            return self.fail(
                FailureKind::Malformed,
                "authorization identity is not UTF-8",
            );
        };
        if authzid.contains('\0') {
            return self.fail(
                FailureKind::Malformed,
                "authorization identity contains NUL",
            );
        }
        let Some(identity) = self.identity.take() else {
            return self.fail(
                FailureKind::InvalidCredentials,
                "no identity was established outside SASL on this connection \
                 (no client certificate, or one that maps to no account)",
            );
        };
        if authzid.is_empty() || authzid == identity {
            return self.succeed(identity, None);
        }
        // Kept for the success once the application grants the authzid.
        self.identity = Some(identity.clone());
        self.state = State::Authorizing(authzid.to_owned());
        ServerStep::Request(Request::AuthorizeExternal(AuthorizeExternal::new(
            EXTERNAL,
            identity,
            authzid.to_owned(),
        )))
    }
}

impl ServerMechanism for ExternalServer {
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if self.state != State::New {
            return Err(Misuse::AlreadyStarted.into());
        }
        Ok(match initial_response {
            Some(message) => self.message(message),
            // RFC 4422 §5 and Appendix A: ask for the message with an empty challenge.
            None => {
                self.state = State::AwaitResponse;
                ServerStep::Challenge(Vec::new())
            }
        })
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        match self.state {
            State::AwaitResponse => Ok(self.message(response)),
            State::New => Err(Misuse::NotStarted.into()),
            State::Authorizing(_) => Err(Misuse::RequestPending.into()),
            State::Done => Err(Misuse::Finished.into()),
        }
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        let State::Authorizing(authzid) = core::mem::replace(&mut self.state, State::Done) else {
            return Err(Misuse::NoRequestPending.into());
        };
        Ok(match verdict {
            Verdict::ExternalGranted => match self.identity.take() {
                Some(identity) => self.succeed(identity, Some(authzid)),
                None => self.fail(FailureKind::Internal, "external identity missing"),
            },
            Verdict::Rejected(kind) => self.fail(kind, "authorization refused by the application"),
            _ => return Err(Misuse::AnswerMismatch.into()),
        })
    }
}

/// Makes [`ExternalServer`] instances for a registry. Available only on connections
/// with an external identity.
#[derive(Debug, Clone, Copy)]
pub struct ExternalServerFactory;

impl ServerMechanismFactory for ExternalServerFactory {
    fn mechanism(&self) -> MechanismName {
        EXTERNAL
    }

    fn properties(&self) -> MechanismProperties {
        // Nothing secret crosses the wire; whether the outside identity is adequate
        // (TLS client certificate, Unix peer) is the application's call.
        MechanismProperties::protected(sasl_core::ChannelBindingUse::Never)
    }

    fn is_available(&self, connection: &ConnectionInfo) -> bool {
        connection.external_identity().is_some()
    }

    fn start(&self, context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(ExternalServer::new(context.connection)))
    }
}
