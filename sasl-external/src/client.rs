//! The EXTERNAL client.

use crate::EXTERNAL;
use sasl_core::{
    ClientContext, ClientCredentials, ClientFailure, ClientMechanism, ClientMechanismFactory,
    ClientOutcome, ClientStep, ClientSuccess, ConnectionInfo, Error, FailureKind, MechanismName,
    MechanismProperties, Misuse, Secret, ServerReply,
};

/// The EXTERNAL client: sends the authorization identity (empty to act as whatever
/// identity the server derives from the external credentials, such as the TLS client
/// certificate) and waits for the outcome.
///
/// An empty message is still an initial response (`=` in IMAP and SMTP); where the
/// protocol cannot carry one, the session answers the server's empty challenge with
/// it. The server cannot prove anything to the client in EXTERNAL, so a success never
/// reports [`server_verified`](ClientSuccess::server_verified).
#[derive(Debug)]
pub struct ExternalClient {
    authzid: String,
    sent: bool,
}

impl ExternalClient {
    /// A client asking to act as `credentials.authzid()` (none: the derived identity).
    /// An authzid with NUL cannot be sent.
    pub fn new(credentials: &ClientCredentials) -> Result<Self, Error> {
        let authzid = credentials.authzid().unwrap_or_default();
        if authzid.contains('\0') {
            return Err(Error::config("authorization identity contains NUL"));
        }
        Ok(Self {
            authzid: authzid.to_owned(),
            sent: false,
        })
    }

    /// The factory to register with [`ClientRegistry`](sasl_core::ClientRegistry).
    pub fn factory() -> ExternalClientFactory {
        ExternalClientFactory
    }
}

impl ClientMechanism for ExternalClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        if self.sent {
            return Err(Misuse::AlreadyStarted.into());
        }
        self.sent = true;
        Ok(ClientStep::Respond(Secret::new(
            self.authzid.as_bytes().to_vec(),
        )))
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, Error> {
        Ok(ClientStep::Abort(ClientFailure::new(
            FailureKind::Protocol,
            "EXTERNAL server sent a challenge after the client's message",
        )))
    }

    fn finish(&mut self, reply: ServerReply) -> Result<ClientOutcome, Error> {
        Ok(match reply {
            ServerReply::Success { additional_data }
                if additional_data.as_ref().is_some_and(|d| !d.is_empty()) =>
            {
                ClientOutcome::Failure(ClientFailure::new(
                    FailureKind::Protocol,
                    "server sent additional data with success; EXTERNAL has none",
                ))
            }
            ServerReply::Success { .. } => ClientOutcome::Success(ClientSuccess::new(EXTERNAL)),
            ServerReply::Failure(reply) => {
                ClientOutcome::Failure(ClientFailure::from_reply(&reply))
            }
        })
    }
}

/// Makes [`ExternalClient`] instances for a registry.
///
/// Available only where the client's side of the connection carries external
/// credentials: say so with
/// [`ConnectionInfo::with_external_identity`] on the client's `ConnectionInfo` (for
/// example with the fingerprint of the client certificate the TLS layer presented).
/// Otherwise a client that prefers EXTERNAL would pick it on every server that offers
/// it, and fail.
#[derive(Debug, Clone, Copy)]
pub struct ExternalClientFactory;

impl ClientMechanismFactory for ExternalClientFactory {
    fn mechanism(&self) -> MechanismName {
        EXTERNAL
    }

    fn properties(&self) -> MechanismProperties {
        MechanismProperties::protected(sasl_core::ChannelBindingUse::Never)
    }

    fn can_use(&self, _credentials: &ClientCredentials) -> bool {
        true
    }

    fn is_available(&self, connection: &ConnectionInfo) -> bool {
        connection.external_identity().is_some()
    }

    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(ExternalClient::new(&context.credentials)?))
    }
}
