//! Factories for the sasl-core registries.

use crate::client::{ScramClient, ScramClientConfig};
use crate::hash::Alg;
use crate::server::{ScramServer, ScramServerConfig};
use sasl_core::{
    ChannelBindingUse, ClientContext, ClientCredentials, ClientMechanism, ClientMechanismFactory,
    Error, MechanismName, MechanismProperties, ScramHash, ServerContext, ServerMechanism,
    ServerMechanismFactory,
};
use std::sync::Arc;

const SHA1: MechanismName = MechanismName::from_static("SCRAM-SHA-1");
const SHA1_PLUS: MechanismName = MechanismName::from_static("SCRAM-SHA-1-PLUS");
const SHA256: MechanismName = MechanismName::from_static("SCRAM-SHA-256");
const SHA256_PLUS: MechanismName = MechanismName::from_static("SCRAM-SHA-256-PLUS");
const SHA512: MechanismName = MechanismName::from_static("SCRAM-SHA-512");
const SHA512_PLUS: MechanismName = MechanismName::from_static("SCRAM-SHA-512-PLUS");

pub(crate) fn mechanism_for(alg: Alg, plus: bool) -> MechanismName {
    match (alg, plus) {
        (Alg::Sha1, false) => SHA1,
        (Alg::Sha1, true) => SHA1_PLUS,
        (Alg::Sha256, false) => SHA256,
        (Alg::Sha256, true) => SHA256_PLUS,
        (Alg::Sha512, false) => SHA512,
        (Alg::Sha512, true) => SHA512_PLUS,
    }
}

/// One SCRAM mechanism: a hash, bare or with channel binding (`-PLUS`).
///
/// ```
/// use sasl_core::ScramHash;
/// use sasl_scram::ScramVariant;
/// let v = ScramVariant::plus(ScramHash::Sha256);
/// assert_eq!(v.name().map(|n| n.to_string()).as_deref(), Some("SCRAM-SHA-256-PLUS"));
/// assert!(!ScramVariant::bare(ScramHash::Sha1).is_plus());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScramVariant {
    hash: ScramHash,
    plus: bool,
}

impl ScramVariant {
    /// `SCRAM-<hash>`: no channel binding.
    pub const fn bare(hash: ScramHash) -> Self {
        Self { hash, plus: false }
    }

    /// `SCRAM-<hash>-PLUS`: bound to the TLS channel.
    pub const fn plus(hash: ScramHash) -> Self {
        Self { hash, plus: true }
    }

    /// [`plus`](Self::plus) if `plus`, else [`bare`](Self::bare), for code that
    /// decides at run time.
    pub const fn new(hash: ScramHash, plus: bool) -> Self {
        Self { hash, plus }
    }

    /// The hash.
    pub const fn hash(self) -> ScramHash {
        self.hash
    }

    /// Whether this is the `-PLUS` variant.
    pub const fn is_plus(self) -> bool {
        self.plus
    }

    /// The mechanism name (`SCRAM-SHA-256-PLUS`), or `None` for a hash this crate does
    /// not implement.
    pub fn name(self) -> Option<MechanismName> {
        Alg::from_hash(self.hash).map(|alg| mechanism_for(alg, self.plus))
    }
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
        variant: ScramVariant,
    ) -> Result<Self, Error> {
        let alg = Alg::require(variant.hash())?;
        Ok(Self {
            config,
            alg,
            plus: variant.is_plus(),
        })
    }
}

impl ServerMechanismFactory for ScramServerFactory {
    fn mechanism(&self) -> MechanismName {
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
        variant: ScramVariant,
    ) -> Result<Self, Error> {
        let alg = Alg::require(variant.hash())?;
        Ok(Self {
            config,
            alg,
            plus: variant.is_plus(),
        })
    }
}

impl ClientMechanismFactory for ScramClientFactory {
    fn mechanism(&self) -> MechanismName {
        mechanism_for(self.alg, self.plus)
    }

    fn properties(&self) -> MechanismProperties {
        properties(self.plus)
    }

    fn can_use(&self, credentials: &ClientCredentials) -> bool {
        credentials.has_password_source() || credentials.has_scram_keys(self.alg.hash())
    }

    fn start(&self, context: ClientContext<'_>) -> Result<Box<dyn ClientMechanism>, Error> {
        Ok(Box::new(ScramClient::with_alg(
            Arc::clone(&self.config),
            self.alg,
            self.plus,
            context.credentials,
            context.connection,
            context.server_offers_plus,
        )?))
    }
}

/// Server factories for all six SCRAM mechanisms (SHA-1, SHA-256, SHA-512, each bare
/// and `-PLUS`), for [`ServerRegistry::with_all`](sasl_core::ServerRegistry::with_all).
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
/// [`ClientRegistry::with_all`](sasl_core::ClientRegistry::with_all):
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
