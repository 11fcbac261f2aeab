//! Factories for the sasl-core registries.

use crate::client::{ScramClient, ScramClientConfig};
use crate::hash::Alg;
use crate::server::{ScramServer, ScramServerConfig};
use sasl_core::{
    ChannelBindingUse, ClientContext, ClientCredentials, ClientMechanism, ClientMechanismFactory,
    Error, Mechanism, MechanismProperties, ScramHash, ServerContext, ServerMechanism,
    ServerMechanismFactory,
};
use std::sync::Arc;

const SHA1: Mechanism = Mechanism::from_static("SCRAM-SHA-1");
const SHA1_PLUS: Mechanism = Mechanism::from_static("SCRAM-SHA-1-PLUS");
const SHA256: Mechanism = Mechanism::from_static("SCRAM-SHA-256");
const SHA256_PLUS: Mechanism = Mechanism::from_static("SCRAM-SHA-256-PLUS");
const SHA512: Mechanism = Mechanism::from_static("SCRAM-SHA-512");
const SHA512_PLUS: Mechanism = Mechanism::from_static("SCRAM-SHA-512-PLUS");

pub(crate) fn mechanism_for(alg: Alg, plus: bool) -> Mechanism {
    match (alg, plus) {
        (Alg::Sha1, false) => SHA1,
        (Alg::Sha1, true) => SHA1_PLUS,
        (Alg::Sha256, false) => SHA256,
        (Alg::Sha256, true) => SHA256_PLUS,
        (Alg::Sha512, false) => SHA512,
        (Alg::Sha512, true) => SHA512_PLUS,
    }
}

/// The mechanism name for a hash and channel-binding choice (`SCRAM-SHA-256-PLUS`),
/// or `None` for a hash this crate does not implement.
pub fn mechanism_name(hash: ScramHash, plus: bool) -> Option<Mechanism> {
    Alg::from_hash(hash).map(|alg| mechanism_for(alg, plus))
}

fn properties(plus: bool) -> MechanismProperties {
    MechanismProperties::protected(if plus {
        ChannelBindingUse::Required
    } else {
        ChannelBindingUse::Optional
    })
}

/// Preference order of the client factories: channel binding first (it is what
/// defeats a man in the middle holding a trusted certificate), then the stronger hash.
const CLIENT_ORDER: [(Alg, bool); 6] = [
    (Alg::Sha512, true),
    (Alg::Sha256, true),
    (Alg::Sha1, true),
    (Alg::Sha512, false),
    (Alg::Sha256, false),
    (Alg::Sha1, false),
];

/// Makes [`ScramServer`] exchanges for one mechanism name.
#[derive(Debug, Clone)]
pub struct ScramServerFactory {
    config: Arc<ScramServerConfig>,
    alg: Alg,
    plus: bool,
}

impl ScramServerFactory {
    pub(crate) fn new(
        config: Arc<ScramServerConfig>,
        hash: ScramHash,
        plus: bool,
    ) -> Result<Self, Error> {
        let alg = Alg::require(hash)?;
        Ok(Self { config, alg, plus })
    }
}

impl ServerMechanismFactory for ScramServerFactory {
    fn mechanism(&self) -> Mechanism {
        mechanism_for(self.alg, self.plus)
    }

    fn properties(&self) -> MechanismProperties {
        properties(self.plus)
    }

    fn start(&self, context: &ServerContext<'_>) -> Result<Box<dyn ServerMechanism>, Error> {
        let server = ScramServer::with_alg(
            Arc::clone(&self.config),
            self.alg,
            self.plus,
            context.connection,
        )?;
        Ok(Box::new(server.offering_plus(context.offers_plus)))
    }
}

/// Makes [`ScramClient`] exchanges for one mechanism name.
#[derive(Debug, Clone)]
pub struct ScramClientFactory {
    config: Arc<ScramClientConfig>,
    alg: Alg,
    plus: bool,
}

impl ScramClientFactory {
    pub(crate) fn new(
        config: Arc<ScramClientConfig>,
        hash: ScramHash,
        plus: bool,
    ) -> Result<Self, Error> {
        let alg = Alg::require(hash)?;
        Ok(Self { config, alg, plus })
    }
}

impl ClientMechanismFactory for ScramClientFactory {
    fn mechanism(&self) -> Mechanism {
        mechanism_for(self.alg, self.plus)
    }

    fn properties(&self) -> MechanismProperties {
        properties(self.plus)
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.password().is_some() || credentials.has_scram_keys(self.alg.hash())
    }

    fn start(&self, context: &ClientContext) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(ScramClient::with_alg(
            Arc::clone(&self.config),
            self.alg,
            self.plus,
            context.credentials.clone(),
            &context.connection,
            context.server_offers_plus,
        )?))
    }
}

/// Server factories for all six SCRAM mechanisms (SHA-1, SHA-256, SHA-512, each bare
/// and `-PLUS`), for [`ServerMechanisms::with_all`](sasl_core::ServerMechanisms::with_all).
/// The registry advertises `-PLUS` only where the connection has binding data.
///
/// Register only the hashes you hold credentials for: a lookup for another hash can
/// only be answered with `not_found`.
pub fn server_factories(
    config: impl Into<Arc<ScramServerConfig>>,
) -> Vec<Arc<dyn ServerMechanismFactory>> {
    let config = config.into();
    CLIENT_ORDER
        .iter()
        .map(|(alg, plus)| {
            Arc::new(ScramServerFactory {
                config: Arc::clone(&config),
                alg: *alg,
                plus: *plus,
            }) as Arc<dyn ServerMechanismFactory>
        })
        .collect()
}

/// Client factories for all six SCRAM mechanisms in preference order, for
/// [`ClientMechanisms::with_all`](sasl_core::ClientMechanisms::with_all):
/// SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-512,
/// SCRAM-SHA-256, SCRAM-SHA-1. Channel binding comes before hash strength: it is what
/// stops a man in the middle, and every SCRAM hash is sound inside HMAC.
pub fn client_factories(
    config: impl Into<Arc<ScramClientConfig>>,
) -> Vec<Arc<dyn ClientMechanismFactory>> {
    let config = config.into();
    CLIENT_ORDER
        .iter()
        .map(|(alg, plus)| {
            Arc::new(ScramClientFactory {
                config: Arc::clone(&config),
                alg: *alg,
                plus: *plus,
            }) as Arc<dyn ClientMechanismFactory>
        })
        .collect()
}
