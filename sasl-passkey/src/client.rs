//! The PASSKEY client: the first message out, the request options handed to the
//! application's authenticator, its assertion back.

use crate::PASSKEY;
use crate::codec::{Codec, RequestOptions, encode_assertion};
use crate::message::{build_first, is_valid_name, parse_error};
use sasl_core::{
    AssertionRequest, ClientContext, ClientCredentials, ClientFailure, ClientInput,
    ClientMechanism, ClientMechanismFactory, ClientOutcome, ClientRequest, ClientStep,
    ClientSuccess, ConnectionInfo, Error, FailureKind, MechanismName, MechanismProperties, Misuse,
    Secret, ServerReply,
};

#[derive(Debug)]
enum State {
    New,
    /// The first message went out; the request options are awaited.
    Sent,
    /// The application's authenticator is signing.
    Signing(Codec),
    /// The assertion went out.
    Answered,
    /// The server's error message came and the empty reply went out.
    Refused(String),
    Done,
}

/// The client side of PASSKEY.
///
/// Its first message is the user name (the credentials' authcid; empty for the
/// discoverable flow, where the authenticator picks the account) and the authzid
/// after a NUL if one is asked for. The server's request options come back as a
/// [`ClientRequest::PasskeyAssertion`]: hand them to the platform passkey API (or a
/// [`SoftwareAuthenticator`](crate::SoftwareAuthenticator)), possibly after an
/// `.await`, and [`provide`](sasl_core::ClientSession::provide) the assertion; it is
/// sent in the codec the options came in.
///
/// The relying party the server names must be the server's host or a parent domain
/// of it (WebAuthn's RP ID rule) when the connection names the server
/// ([`ConnectionInfo::with_server`]): a server may not have the user sign for
/// another site. An `e=...,m=...` error message is answered with an empty response
/// and its `m=` text kept for the user
/// ([`ClientFailure::server_error`]).
#[derive(Debug)]
pub struct PasskeyClient {
    user: Option<String>,
    authzid: Option<String>,
    server_host: Option<String>,
    state: State,
}

impl PasskeyClient {
    /// A client for these credentials on a connection to the server `connection`
    /// names.
    pub fn new(
        credentials: &ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Result<Self, Error> {
        let user = Some(credentials.authcid()).filter(|u| !u.is_empty());
        for name in [user, credentials.authzid()].into_iter().flatten() {
            if !is_valid_name(name) {
                return Err(Error::config(
                    "PASSKEY names must be UTF-8 without control characters, at most 1024 bytes",
                ));
            }
        }
        Ok(Self {
            user: user.map(str::to_owned),
            authzid: credentials.authzid().map(str::to_owned),
            server_host: connection.server_host().map(|h| h.to_ascii_lowercase()),
            state: State::New,
        })
    }

    /// The factory to register with [`ClientRegistry`](sasl_core::ClientRegistry).
    pub fn factory() -> PasskeyClientFactory {
        PasskeyClientFactory
    }

    /// WebAuthn: the RP ID must be the origin's effective domain or a registrable
    /// suffix of it; here the server's host stands for the origin. The host itself
    /// always fits, even a single label such as `localhost` (browsers accept that RP
    /// ID too); a proper suffix must contain a dot, so no server can claim a top-level
    /// label such as `com`.
    fn rp_id_fits(&self, rp_id: &str) -> bool {
        let Some(host) = &self.server_host else {
            return true;
        };
        let rp = rp_id.to_ascii_lowercase();
        !rp.is_empty()
            && (*host == rp
                || (rp.contains('.')
                    && host
                        .strip_suffix(&rp)
                        .is_some_and(|head| head.ends_with('.'))))
    }

    fn abort(&mut self, kind: FailureKind, detail: &'static str) -> ClientStep {
        self.state = State::Done;
        ClientStep::Abort(ClientFailure::new(kind, detail))
    }
}

impl ClientMechanism for PasskeyClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        if !matches!(self.state, State::New) {
            return Err(Misuse::AlreadyStarted.into());
        }
        self.state = State::Sent;
        Ok(ClientStep::Respond(Secret::new(build_first(
            self.user.as_deref(),
            self.authzid.as_deref(),
        ))))
    }

    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::Sent | State::Answered => {
                if let Some((_, message)) = parse_error(challenge) {
                    self.state = State::Refused(message);
                    return Ok(ClientStep::Respond(Secret::new(Vec::new())));
                }
                if !challenge.is_empty() && Codec::detect(challenge).is_none() {
                    return Ok(self.abort(
                        FailureKind::Protocol,
                        "server sent neither request options nor an error message",
                    ));
                }
                let Ok((codec, options)) = RequestOptions::decode(challenge) else {
                    return Ok(self.abort(
                        FailureKind::Protocol,
                        "server's request options could not be decoded",
                    ));
                };
                if !self.rp_id_fits(&options.rp_id) {
                    return Ok(self.abort(
                        FailureKind::Protocol,
                        "server asked for a passkey of a relying party it is not part of",
                    ));
                }
                self.state = State::Signing(codec);
                Ok(ClientStep::Request(ClientRequest::PasskeyAssertion(
                    Box::new(AssertionRequest::new(
                        PASSKEY,
                        options.rp_id,
                        options.challenge,
                        options.allow_credentials,
                        options.user_verification,
                        options.timeout_ms,
                    )),
                )))
            }
            State::Refused(_) => Ok(self.abort(
                FailureKind::Protocol,
                "server sent another challenge after its error message",
            )),
            State::New => {
                self.state = State::New;
                Err(Misuse::NotStarted.into())
            }
            State::Signing(c) => {
                self.state = State::Signing(c);
                Err(Misuse::RequestPending.into())
            }
            State::Done => Err(Misuse::Finished.into()),
        }
    }

    fn provide(&mut self, input: ClientInput) -> Result<ClientStep, Error> {
        let State::Signing(codec) = self.state else {
            return Err(Misuse::NoRequestPending.into());
        };
        let ClientInput::Assertion(assertion) = input else {
            return Ok(self.abort(
                FailureKind::Internal,
                "the answer to an assertion request was not an assertion",
            ));
        };
        self.state = State::Answered;
        Ok(ClientStep::Respond(Secret::new(encode_assertion(
            codec, &assertion,
        ))))
    }

    fn finish(&mut self, reply: ServerReply) -> Result<ClientOutcome, Error> {
        let state = core::mem::replace(&mut self.state, State::Done);
        Ok(match (state, reply) {
            (State::Answered, ServerReply::Success { additional_data })
                if additional_data.as_ref().is_none_or(|d| d.is_empty()) =>
            {
                ClientOutcome::Success(ClientSuccess::new(PASSKEY))
            }
            (_, ServerReply::Success { .. }) => ClientOutcome::Failure(ClientFailure::new(
                FailureKind::Protocol,
                "server reported success without a verified assertion, or with data",
            )),
            (State::Refused(message), ServerReply::Failure(reply)) => {
                let failure = ClientFailure::from_reply(&reply);
                ClientOutcome::Failure(if message.is_empty() {
                    failure
                } else {
                    failure.with_server_error(message)
                })
            }
            (_, ServerReply::Failure(reply)) => {
                ClientOutcome::Failure(ClientFailure::from_reply(&reply))
            }
        })
    }
}

/// Makes [`PasskeyClient`] instances for a registry; usable with credentials that
/// say [`with_passkey`](ClientCredentials::with_passkey).
#[derive(Debug, Clone, Copy)]
pub struct PasskeyClientFactory;

impl ClientMechanismFactory for PasskeyClientFactory {
    fn mechanism(&self) -> MechanismName {
        PASSKEY
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::protected(sasl_core::ChannelBindingUse::Never)
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.has_passkey()
    }

    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(PasskeyClient::new(
            &context.credentials,
            context.connection,
        )?))
    }
}
