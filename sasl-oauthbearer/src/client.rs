//! The OAUTHBEARER and XOAUTH2 client: one state machine, two wire formats.

use crate::BearerMechanism;
use crate::error_challenge::{ParsedError, parse_error};
use crate::message::{
    build_oauthbearer, build_xoauth2, is_b64token, is_valid_authzid, is_valid_host, is_valid_pair,
    is_valid_user,
};
use sasl_core::{
    ClientContext, ClientCredentials, ClientFailure, ClientInput, ClientMechanism,
    ClientMechanismFactory, ClientOutcome, ClientRequest, ClientStep, ClientSuccess,
    ConnectionInfo, Error, FailureKind, MechanismName, MechanismProperties, Misuse, Secret,
    ServerReply, TokenPrompt,
};

#[derive(Debug)]
enum State {
    New,
    /// The token was asked of the application.
    AwaitToken,
    /// The message went out.
    Sent,
    /// The server's error challenge came and the dummy response went out.
    Refused(ParsedError),
    Done,
}

/// The client side of OAUTHBEARER (RFC 7628) and XOAUTH2.
///
/// It sends one message with the bearer token (from
/// [`ClientCredentials::with_bearer_token`], or asked for with a
/// [`ClientRequest::Token`] when the credentials say
/// [`with_token_on_demand`](ClientCredentials::with_token_on_demand)):
/// - OAUTHBEARER: `n,a=<authzid>,^Ahost=<host>^Aport=<port>^Aauth=Bearer <token>^A^A`,
///   the authzid being the credentials' authzid or else their user, host and port
///   those of [`ConnectionInfo::with_server`] (left out if unknown);
/// - XOAUTH2: `user=<user>^Aauth=Bearer <token>^A^A`.
///
/// If the server answers with an error challenge, the client reads it leniently
/// (JSON in any of the shapes real servers send, or plain text), answers with the
/// dummy response the mechanism requires (`\x01` for OAUTHBEARER, empty for
/// XOAUTH2) and keeps the error for the failure:
/// [`ClientFailure::token_error`], which [`TokenFailure`](crate::TokenFailure)
/// turns into what to do next. OAuth servers never prove anything to the client,
/// so a success never reports [`server_verified`](ClientSuccess::server_verified).
#[derive(Debug)]
pub struct BearerClient {
    mechanism: BearerMechanism,
    user: String,
    authzid: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    extra: Vec<(String, String)>,
    /// The token given up front; `None`: asked for on demand (`new` checked that the
    /// credentials have one source or the other).
    token: Option<Secret<String>>,
    state: State,
}

impl BearerClient {
    /// A client for `mechanism` with these credentials, on a connection to the server
    /// `connection` names. Fails if the credentials have no token source, or the
    /// user or token cannot be sent.
    pub fn new(
        mechanism: BearerMechanism,
        credentials: &ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Result<Self, Error> {
        if !credentials.has_token_source() {
            return Err(Error::config(
                "OAUTHBEARER and XOAUTH2 need a bearer token (with_bearer_token or with_token_on_demand)",
            ));
        }
        let user = credentials
            .authzid()
            .unwrap_or(credentials.authcid())
            .to_owned();
        if mechanism == BearerMechanism::XOAuth2 && !is_valid_user(&user) {
            return Err(Error::config(
                "XOAUTH2 needs a user without control characters",
            ));
        }
        if !is_valid_authzid(&user) {
            return Err(Error::config(
                "OAUTHBEARER needs a user without control characters, at most 1024 bytes escaped",
            ));
        }
        let host = connection
            .server_host()
            .filter(|h| is_valid_host(h))
            .map(str::to_owned);
        let token = credentials
            .bearer_token()
            .map(|t| Secret::new(t.to_owned()));
        if let Some(token) = &token {
            check_token(token.expose())?;
        }
        Ok(Self {
            mechanism,
            authzid: (!user.is_empty()).then(|| user.clone()),
            user,
            host,
            // The server refuses `port=0` (RFC 7628 §3.1: a port number); say nothing.
            port: connection.server_port().filter(|&p| p != 0),
            extra: Vec::new(),
            token,
            state: State::New,
        })
    }

    /// Adds a key/value pair to the OAUTHBEARER message (RFC 7628 §3.1 lets clients
    /// send more; servers ignore keys they do not know). The key must be letters and
    /// not `auth`, `host` or `port`; the value VCHAR, space, tab, CR or LF. XOAUTH2
    /// ignores extra pairs.
    pub fn with_pair(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, Error> {
        let (key, value) = (key.into(), value.into());
        if !is_valid_pair(&key, &value) {
            return Err(Error::config("invalid OAUTHBEARER key/value pair"));
        }
        self.extra.push((key, value));
        Ok(self)
    }

    /// Leaves `host=` and `port=` out of the OAUTHBEARER message.
    pub fn without_host_port(mut self) -> Self {
        self.host = None;
        self.port = None;
        self
    }

    /// The factory to register with [`ClientRegistry`](sasl_core::ClientRegistry).
    pub fn factory(mechanism: BearerMechanism) -> BearerClientFactory {
        BearerClientFactory { mechanism }
    }

    fn message(&mut self, token: &str) -> ClientStep {
        let message = match self.mechanism {
            BearerMechanism::OAuthBearer => build_oauthbearer(
                self.authzid.as_deref(),
                self.host.as_deref(),
                self.port,
                &self.extra,
                token,
            ),
            BearerMechanism::XOAuth2 => build_xoauth2(&self.user, token),
        };
        self.state = State::Sent;
        ClientStep::Respond(Secret::new(message))
    }
}

fn check_token(token: &str) -> Result<(), Error> {
    if is_b64token(token) {
        Ok(())
    } else {
        Err(Error::config(
            "the bearer token is not an RFC 6750 b64token (or is too long)",
        ))
    }
}

impl ClientMechanism for BearerClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        if !matches!(self.state, State::New) {
            return Err(Misuse::AlreadyStarted.into());
        }
        if let Some(token) = self.token.take() {
            return Ok(self.message(token.expose()));
        }
        self.state = State::AwaitToken;
        Ok(ClientStep::Request(ClientRequest::Token(TokenPrompt::new(
            self.mechanism.name(),
            Some(self.user.clone()).filter(|u| !u.is_empty()),
        ))))
    }

    fn provide(&mut self, input: ClientInput) -> Result<ClientStep, Error> {
        if !matches!(self.state, State::AwaitToken) {
            return Err(Misuse::NoRequestPending.into());
        }
        let ClientInput::Token(token) = input else {
            self.state = State::Done;
            return Ok(ClientStep::Abort(ClientFailure::new(
                FailureKind::Internal,
                "the answer to a token request was not a token",
            )));
        };
        if check_token(token.expose()).is_err() {
            self.state = State::Done;
            return Ok(ClientStep::Abort(ClientFailure::new(
                FailureKind::Malformed,
                "the supplied token is not an RFC 6750 b64token (or is too long)",
            )));
        }
        Ok(self.message(token.expose()))
    }

    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::Sent => {
                self.state = State::Refused(parse_error(challenge));
                // RFC 7628 §3.2.3: the dummy response; XOAUTH2 clients send an empty
                // line.
                Ok(ClientStep::Respond(Secret::new(match self.mechanism {
                    BearerMechanism::OAuthBearer => vec![0x01],
                    BearerMechanism::XOAuth2 => Vec::new(),
                })))
            }
            State::Refused(_) => Ok(ClientStep::Abort(ClientFailure::new(
                FailureKind::Protocol,
                "server sent a second challenge after its error challenge",
            ))),
            State::New => {
                self.state = State::New;
                Err(Misuse::NotStarted.into())
            }
            State::AwaitToken => {
                self.state = State::AwaitToken;
                Err(Misuse::RequestPending.into())
            }
            State::Done => Err(Misuse::Finished.into()),
        }
    }

    fn finish(&mut self, reply: ServerReply) -> Result<ClientOutcome, Error> {
        let state = core::mem::replace(&mut self.state, State::Done);
        Ok(match (state, reply) {
            (State::Sent, ServerReply::Success { additional_data })
                if additional_data.as_ref().is_none_or(|d| d.is_empty()) =>
            {
                ClientOutcome::Success(ClientSuccess::new(self.mechanism.name()))
            }
            (State::Sent, ServerReply::Success { .. }) => {
                ClientOutcome::Failure(ClientFailure::new(
                    FailureKind::Protocol,
                    "server sent additional data with success; bearer mechanisms have none",
                ))
            }
            (State::Refused(_), ServerReply::Success { .. }) => {
                ClientOutcome::Failure(ClientFailure::new(
                    FailureKind::Protocol,
                    "server reported success after its error challenge",
                ))
            }
            (State::Refused(parsed), ServerReply::Failure(reply)) => {
                let mut failure = ClientFailure::from_reply(&reply).with_token_error(parsed.error);
                if let Some(text) = parsed.text {
                    failure = failure.with_server_error(text);
                }
                ClientOutcome::Failure(failure)
            }
            (_, ServerReply::Failure(reply)) => {
                ClientOutcome::Failure(ClientFailure::from_reply(&reply))
            }
            (_, ServerReply::Success { .. }) => ClientOutcome::Failure(ClientFailure::new(
                FailureKind::Protocol,
                "server reported success before the client sent its token",
            )),
        })
    }
}

/// Makes [`BearerClient`] instances for a registry. Usable with credentials that
/// have a bearer token (given or on demand).
#[derive(Debug, Clone, Copy)]
pub struct BearerClientFactory {
    mechanism: BearerMechanism,
}

impl ClientMechanismFactory for BearerClientFactory {
    fn mechanism(&self) -> MechanismName {
        self.mechanism.name()
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::PLAINTEXT
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.has_token_source()
    }

    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(BearerClient::new(
            self.mechanism,
            &context.credentials,
            context.connection,
        )?))
    }
}
