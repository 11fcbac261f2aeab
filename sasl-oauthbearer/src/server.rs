//! The OAUTHBEARER and XOAUTH2 server: one state machine, two wire formats.

use crate::BearerMechanism;
use crate::error_challenge::{XOAuth2ErrorStyle, oauthbearer_error, xoauth2_error};
use crate::message::{ClientMessage, MessageError, parse_oauthbearer, parse_xoauth2};
use sasl_core::{
    ConnectionInfo, Error, FailureKind, MechanismData, MechanismName, MechanismProperties, Misuse,
    Request, Secret, ServerContext, ServerFailure, ServerMechanism, ServerMechanismFactory,
    ServerStep, ServerSuccess, TokenError, TokenGrant, UnixTime, ValidateToken, Verdict,
};
use std::sync::Arc;

/// What a bearer-token server tells failing clients, and what it demands of them.
/// Shared by every exchange of a factory.
#[derive(Debug, Clone, Default)]
pub struct BearerServerConfig {
    scope: Option<String>,
    openid_configuration: Option<String>,
    xoauth2_style: XOAuth2ErrorStyle,
    require_authzid: bool,
}

impl BearerServerConfig {
    /// The default: no scope or discovery URL in errors, Google-style XOAUTH2 errors,
    /// authzid optional.
    pub fn new() -> Self {
        Self::default()
    }

    /// The scope a client needs, sent in every error challenge that does not name
    /// one itself (RFC 7628 §3.2.2: preferably a single scope; Gmail sends
    /// `https://mail.google.com/`, Dovecot `mail`).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The OpenID Connect discovery URL sent in OAUTHBEARER error challenges
    /// (`openid-configuration`), so that a client can find the identity provider
    /// from the mail server alone. It must be an `https` URL whose path holds
    /// `/.well-known/openid-configuration` (clients refuse anything else), without
    /// spaces, quotes or control characters.
    pub fn with_openid_configuration(mut self, url: impl Into<String>) -> Result<Self, Error> {
        let url = url.into();
        let plausible = url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            && url.contains("/.well-known/openid-configuration")
            && url
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if !plausible {
            return Err(Error::config(
                "openid-configuration must be an https URL of a /.well-known/openid-configuration document",
            ));
        }
        self.openid_configuration = Some(url);
        Ok(self)
    }

    /// The shape of XOAUTH2 error challenges.
    pub fn with_xoauth2_style(mut self, style: XOAuth2ErrorStyle) -> Self {
        self.xoauth2_style = style;
        self
    }

    /// Refuses OAUTHBEARER messages without an authzid in the GS2 header (as Dovecot
    /// does). XOAUTH2 always carries `user=`.
    pub fn require_authzid(mut self, required: bool) -> Self {
        self.require_authzid = required;
        self
    }

    /// Fills in the configured scope and discovery URL where `error` has none.
    fn complete(&self, error: TokenError) -> TokenError {
        let mut error = error;
        if error.scope().is_none()
            && let Some(scope) = &self.scope
        {
            error = error.with_scope(scope.clone());
        }
        if error.openid_configuration().is_none()
            && let Some(url) = &self.openid_configuration
        {
            error = error.with_openid_configuration(url.clone());
        }
        error
    }
}

#[derive(Debug)]
enum State {
    New,
    /// No initial response came: the empty challenge went out.
    AwaitMessage,
    /// The application validates the token; the client claimed this identity.
    Validating(Option<String>),
    /// The error challenge went out; the client's dummy response ends the exchange
    /// with this failure.
    AwaitDummy(ServerFailure),
    Done,
}

/// The server side of OAUTHBEARER (RFC 7628) and XOAUTH2.
///
/// The client's one message is parsed strictly (see [`BearerMechanism`] for the
/// formats); its token goes to the application as a
/// [`Request::ValidateToken`], answered by the application's own logic
/// (introspection, opaque tokens) or by the built-in JWT validator
/// (`JwtValidator::answer`, feature `jwt`). The time given with
/// [`ServerSession::set_now`](sasl_core::ServerSession::set_now) travels with the
/// request.
///
/// The identity that logs in is the token's subject. A claimed identity (the GS2
/// authzid, XOAUTH2's `user=`) must equal it unless the application answers with
/// [`ValidateToken::valid_with_authzid`]; with no claim the token alone decides.
///
/// Failure follows each mechanism's protocol: an error challenge (RFC 7628 §3.2.2
/// JSON, or XOAUTH2's in the configured [`XOAuth2ErrorStyle`]), then, after the
/// client's dummy response (`\x01`, an empty line, or `*`), the failure with its
/// precise local reason. Temporary problems (the application's
/// [`FailureKind::Temporary`] or [`FailureKind::Internal`]) fail at once.
///
/// If the [`ConnectionInfo`] names the server's host and port
/// ([`ConnectionInfo::with_server`]), a client's `host=`/`port=` must match them
/// (RFC 7628 §3.2: a client that connected elsewhere is being relayed).
#[derive(Debug)]
pub struct BearerServer {
    mechanism: BearerMechanism,
    config: Arc<BearerServerConfig>,
    server_host: Option<String>,
    server_port: Option<u16>,
    now: Option<UnixTime>,
    state: State,
}

impl BearerServer {
    /// One exchange of `mechanism` on `connection`.
    pub fn new(
        mechanism: BearerMechanism,
        config: impl Into<Arc<BearerServerConfig>>,
        connection: &ConnectionInfo,
    ) -> Self {
        Self {
            mechanism,
            config: config.into(),
            server_host: connection.server_host().map(str::to_owned),
            server_port: connection.server_port(),
            now: None,
            state: State::New,
        }
    }

    /// The factory to register with [`ServerRegistry`](sasl_core::ServerRegistry).
    pub fn factory(mechanism: BearerMechanism, config: BearerServerConfig) -> BearerServerFactory {
        BearerServerFactory {
            mechanism,
            config: Arc::new(config),
        }
    }

    fn name(&self) -> MechanismName {
        self.mechanism.name()
    }

    /// Sends the error challenge; the dummy response then ends in `failure`.
    fn error_challenge(&mut self, error: TokenError, failure: ServerFailure) -> ServerStep {
        let error = self.config.complete(error);
        let challenge = match self.mechanism {
            BearerMechanism::OAuthBearer => oauthbearer_error(&error),
            BearerMechanism::XOAuth2 => xoauth2_error(&error, self.config.xoauth2_style),
        };
        self.state = State::AwaitDummy(failure);
        ServerStep::Challenge(challenge)
    }

    fn refuse_message(&mut self, error: MessageError) -> ServerStep {
        let kind = if error.status == "invalid_token" {
            FailureKind::InvalidCredentials
        } else {
            FailureKind::Malformed
        };
        self.error_challenge(
            TokenError::new(error.status),
            ServerFailure::new(kind, error.detail),
        )
    }

    fn message(&mut self, message: &[u8]) -> ServerStep {
        let parsed = match self.mechanism {
            BearerMechanism::OAuthBearer => parse_oauthbearer(message),
            BearerMechanism::XOAuth2 => parse_xoauth2(message),
        };
        let ClientMessage {
            authzid,
            token,
            host,
            port,
        } = match parsed {
            Ok(m) => m,
            Err(error) => return self.refuse_message(error),
        };
        if let (Some(ours), Some(theirs)) = (&self.server_host, host)
            && !same_host(ours, theirs)
        {
            return self.refuse_message(MessageError {
                status: "invalid_request",
                detail: "host= names another server",
            });
        }
        if let (Some(ours), Some(theirs)) = (self.server_port, port)
            && ours != theirs
        {
            return self.refuse_message(MessageError {
                status: "invalid_request",
                detail: "port= names another port",
            });
        }
        if authzid.is_none() && self.config.require_authzid {
            return self.refuse_message(MessageError {
                status: "invalid_request",
                detail: "no authzid in the GS2 header, and this server requires one",
            });
        }
        let authzid = authzid.map(|z| z.into_owned());
        self.state = State::Validating(authzid.clone());
        ServerStep::Request(Request::ValidateToken(Box::new(ValidateToken::new(
            self.name(),
            Secret::new(token.to_owned()),
            authzid,
            host.map(str::to_owned),
            port,
            self.now,
        ))))
    }

    fn granted(
        &mut self,
        claimed: Option<String>,
        grant: TokenGrant,
        authzid_granted: bool,
    ) -> ServerStep {
        let subject = grant.subject().to_owned();
        if subject.is_empty() {
            self.state = State::Done;
            return ServerStep::Failure(ServerFailure::new(
                FailureKind::Internal,
                "the application granted a token for an empty identity",
            ));
        }
        let authzid = match claimed {
            Some(z) if z == subject => None,
            Some(z) if authzid_granted => Some(z),
            Some(_) => {
                return self.error_challenge(
                    TokenError::new("invalid_request"),
                    ServerFailure::new(
                        FailureKind::AuthorizationDenied,
                        "the claimed identity is not the token's and the application did not allow it",
                    ),
                );
            }
            None => None,
        };
        self.state = State::Done;
        ServerStep::Success(
            ServerSuccess::new(self.name(), subject)
                .with_authzid(authzid)
                .with_mechanism_data(MechanismData::Token(grant)),
        )
    }
}

/// Host names compared as DNS does: case-insensitively, a final dot ignored.
fn same_host(a: &str, b: &str) -> bool {
    fn strip(h: &str) -> &str {
        h.strip_suffix('.').unwrap_or(h)
    }
    strip(a).eq_ignore_ascii_case(strip(b))
}

impl ServerMechanism for BearerServer {
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if !matches!(self.state, State::New) {
            return Err(Misuse::AlreadyStarted.into());
        }
        Ok(match initial_response {
            Some(message) => self.message(message),
            // RFC 4422 §5: a client-first mechanism without an initial response gets
            // an empty challenge.
            None => {
                self.state = State::AwaitMessage;
                ServerStep::Challenge(Vec::new())
            }
        })
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::AwaitMessage => Ok(self.message(response)),
            // The client's dummy response (`\x01`, or an empty line for XOAUTH2).
            // Whatever it sent, the exchange fails with the reason already decided.
            State::AwaitDummy(failure) => Ok(ServerStep::Failure(failure)),
            State::New => {
                self.state = State::New;
                Err(Misuse::NotStarted.into())
            }
            State::Validating(z) => {
                self.state = State::Validating(z);
                Err(Misuse::RequestPending.into())
            }
            State::Done => Err(Misuse::Finished.into()),
        }
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        let claimed = match core::mem::replace(&mut self.state, State::Done) {
            State::Validating(claimed) => claimed,
            other => {
                self.state = other;
                return Err(Misuse::NoRequestPending.into());
            }
        };
        Ok(match verdict {
            Verdict::TokenValid {
                grant,
                authzid_granted,
            } => self.granted(claimed, *grant, authzid_granted),
            Verdict::TokenRejected { reason, error } => self.error_challenge(
                *error,
                ServerFailure::new(reason.kind(), reason.detail().to_owned()),
            ),
            Verdict::Rejected(kind @ (FailureKind::Temporary | FailureKind::Internal)) => {
                ServerStep::Failure(ServerFailure::new(kind, "token could not be validated now"))
            }
            Verdict::Rejected(kind) => self.error_challenge(
                TokenError::invalid_token(),
                ServerFailure::new(kind, "token rejected by the application"),
            ),
            _ => return Err(Misuse::AnswerMismatch.into()),
        })
    }

    fn set_now(&mut self, now: UnixTime) {
        self.now = Some(now);
    }

    fn cancelled(&mut self) -> Option<ServerFailure> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::AwaitDummy(failure) => Some(failure),
            _ => None,
        }
    }
}

/// Makes [`BearerServer`] instances for a registry.
#[derive(Debug, Clone)]
pub struct BearerServerFactory {
    mechanism: BearerMechanism,
    config: Arc<BearerServerConfig>,
}

impl ServerMechanismFactory for BearerServerFactory {
    fn mechanism(&self) -> MechanismName {
        self.mechanism.name()
    }

    fn properties(&self) -> MechanismProperties {
        // A bearer token is replayable by whoever reads it: like a password, it is
        // offered only over TLS (RFC 7628 §5: TLS MUST be used).
        MechanismProperties::PLAINTEXT
    }

    fn start(&self, context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        Ok(Box::new(BearerServer::new(
            self.mechanism,
            Arc::clone(&self.config),
            context.connection,
        )))
    }
}
