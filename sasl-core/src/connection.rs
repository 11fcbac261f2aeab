//! What the application knows about the connection a session runs on.

use crate::channel_binding::{ChannelBinding, ChannelBindingType};
use crate::mechanism_api::{ChannelBindingUse, MechanismProperties};

/// How a connection treats channel binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelBindingPolicy {
    /// Never bind, even if binding data is known. `-PLUS` mechanisms are not offered.
    Disabled,
    /// Bind when both sides can; the default. A server offers `-PLUS` mechanisms when
    /// it has binding data and also their bare variants.
    #[default]
    Preferred,
    /// Every exchange must be channel-bound: only `-PLUS` mechanisms are offered or
    /// used, and unbound exchanges fail.
    Required,
}

/// How a server delivers "additional data with success" (the SCRAM `v=` message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuccessData {
    /// The protocol cannot carry data in its success message (IMAP, SMTP, POP3): the
    /// session sends the data as one more challenge, expects an empty response, and
    /// only then reports success. The default.
    #[default]
    AsChallenge,
    /// The protocol carries data with success (XMPP `<success>`, LDAP): the session
    /// reports success at once, and the application sends
    /// [`ServerSuccess::additional_data`](crate::ServerSuccess::additional_data) with it.
    InOutcome,
}

/// Facts about one connection: TLS, channel-binding data and policy, plaintext rules.
///
/// Build one per connection (for example right after the TLS handshake) and pass it
/// when asking what to advertise and when starting a session.
#[derive(Clone, Default)]
pub struct ConnectionInfo {
    tls: bool,
    bindings: Vec<ChannelBinding>,
    policy: ChannelBindingPolicy,
    allow_plaintext_passwords: bool,
    success_data: SuccessData,
    external_identity: Option<String>,
    peer_certificates: Vec<Vec<u8>>,
    server_host: Option<String>,
    server_port: Option<u16>,
}

impl core::fmt::Debug for ConnectionInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Certificates are long and binding data is connection-specific: show what
        // is there, not the bytes.
        let bindings: Vec<&str> = self.bindings.iter().map(|b| b.kind().name()).collect();
        f.debug_struct("ConnectionInfo")
            .field("tls", &self.tls)
            .field("bindings", &bindings)
            .field("policy", &self.policy)
            .field("allow_plaintext_passwords", &self.allow_plaintext_passwords)
            .field("success_data", &self.success_data)
            .field("external_identity", &self.external_identity)
            .field("peer_certificates", &self.peer_certificates.len())
            .field("server_host", &self.server_host)
            .field("server_port", &self.server_port)
            .finish()
    }
}

impl ConnectionInfo {
    /// A connection without TLS: no channel binding, and mechanisms that send the
    /// password in the clear (PLAIN, LOGIN) are not offered unless
    /// [`allow_plaintext_passwords`](Self::allow_plaintext_passwords) is set.
    pub fn plaintext() -> Self {
        Self::default()
    }

    /// A TLS-protected connection, as yet without channel-binding data.
    pub fn tls() -> Self {
        Self {
            tls: true,
            ..Self::default()
        }
    }

    /// Adds channel-binding data for this connection. The first one added is the one
    /// a client uses (see [`with_binding_order`](Self::with_binding_order)).
    ///
    /// Empty data is not a binding (RFC 5802 requires at least one octet): it is
    /// ignored, so a failed extraction that produced nothing can never make an
    /// exchange look channel-bound.
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        if !binding.data().is_empty() {
            self.bindings.push(binding);
        }
        self
    }

    /// Puts the binding types in this order of preference (types not named keep their
    /// order, after the named ones). A SCRAM client binds with the first type the
    /// connection has: TLS 1.3 extraction lists `tls-exporter` first (RFC 9266), but a
    /// server that only implements `tls-server-end-point` (PostgreSQL before 16, many
    /// deployed servers) rejects it, and SCRAM cannot negotiate the type, so state
    /// the order per connection when you know the server.
    ///
    /// ```
    /// use sasl_core::{ChannelBinding, ChannelBindingType, ConnectionInfo};
    /// let conn = ConnectionInfo::tls()
    ///     .with_channel_binding(ChannelBinding::new(ChannelBindingType::TlsExporter, vec![1; 32]))
    ///     .with_channel_binding(ChannelBinding::new(ChannelBindingType::TlsServerEndPoint, vec![2; 32]))
    ///     .with_binding_order(&[ChannelBindingType::TlsServerEndPoint]);
    /// assert_eq!(conn.preferred_binding().map(|b| b.kind()), Some(ChannelBindingType::TlsServerEndPoint));
    /// ```
    pub fn with_binding_order(mut self, order: &[ChannelBindingType]) -> Self {
        // A stable sort keeps the relative order of equal keys.
        self.bindings.sort_by_key(|b| {
            order
                .iter()
                .position(|k| *k == b.kind())
                .unwrap_or(order.len())
        });
        self
    }

    /// Records the identity the application established outside SASL: from the TLS
    /// client certificate (mapped to an account by the application), a Unix socket
    /// peer, or another trusted source. EXTERNAL authenticates as this identity and is
    /// offered only when one is set.
    pub fn with_external_identity(mut self, identity: impl Into<String>) -> Self {
        self.external_identity = Some(identity.into());
        self
    }

    /// Records the TLS peer's certificate chain, DER-encoded, leaf first (the client's
    /// certificates on a server, the server's on a client).
    pub fn with_peer_certificates(mut self, chain: impl IntoIterator<Item = Vec<u8>>) -> Self {
        self.peer_certificates = chain.into_iter().collect();
        self
    }

    /// Records the server's host name and port as the client connected to them
    /// (OAUTHBEARER sends them in `host=` and `port=`).
    pub fn with_server(mut self, host: impl Into<String>, port: u16) -> Self {
        self.server_host = Some(host.into());
        self.server_port = Some(port);
        self
    }

    /// Adds several bindings, in order of preference (empty ones are ignored, as in
    /// [`with_channel_binding`](Self::with_channel_binding)).
    pub fn with_channel_bindings(
        mut self,
        bindings: impl IntoIterator<Item = ChannelBinding>,
    ) -> Self {
        self.bindings
            .extend(bindings.into_iter().filter(|b| !b.data().is_empty()));
        self
    }

    /// Sets the channel-binding policy.
    pub fn with_policy(mut self, policy: ChannelBindingPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Allows PLAIN and LOGIN without TLS (for tests, or a loopback/Unix socket the
    /// application trusts).
    pub fn allow_plaintext_passwords(mut self, allow: bool) -> Self {
        self.allow_plaintext_passwords = allow;
        self
    }

    /// Sets how a server delivers additional data with success.
    pub fn with_success_data(mut self, mode: SuccessData) -> Self {
        self.success_data = mode;
        self
    }

    /// The identity established outside SASL, if any.
    pub fn external_identity(&self) -> Option<&str> {
        self.external_identity.as_deref()
    }

    /// The TLS peer's certificate chain (DER, leaf first); empty if none was recorded.
    pub fn peer_certificates(&self) -> &[Vec<u8>] {
        &self.peer_certificates
    }

    /// The server's host name, if recorded.
    pub fn server_host(&self) -> Option<&str> {
        self.server_host.as_deref()
    }

    /// The server's port, if recorded.
    pub fn server_port(&self) -> Option<u16> {
        self.server_port
    }

    /// Whether the connection is protected by TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The channel-binding policy.
    pub fn policy(&self) -> ChannelBindingPolicy {
        self.policy
    }

    /// How additional data with success is delivered.
    pub fn success_data(&self) -> SuccessData {
        self.success_data
    }

    /// All binding data known for this connection, in order of preference; empty when
    /// the policy is [`ChannelBindingPolicy::Disabled`].
    pub fn bindings(&self) -> &[ChannelBinding] {
        if self.policy == ChannelBindingPolicy::Disabled {
            &[]
        } else {
            &self.bindings
        }
    }

    /// The binding data of one type, if known and binding is not disabled.
    pub fn binding(&self, kind: ChannelBindingType) -> Option<&ChannelBinding> {
        self.bindings().iter().find(|b| b.kind() == kind)
    }

    /// The binding a client uses: the first one added.
    pub fn preferred_binding(&self) -> Option<&ChannelBinding> {
        self.bindings().first()
    }

    /// Whether this side can bind on this connection (data known, policy not
    /// disabled). A server that can bind offers `-PLUS` mechanisms and must reject
    /// the SCRAM `y` flag.
    pub fn can_bind(&self) -> bool {
        !self.bindings().is_empty()
    }

    /// Whether a mechanism with these properties may be offered or used here.
    pub fn permits(&self, properties: &MechanismProperties) -> bool {
        if properties.plaintext_password && !self.tls && !self.allow_plaintext_passwords {
            return false;
        }
        match properties.channel_binding {
            ChannelBindingUse::Required => self.can_bind(),
            ChannelBindingUse::Optional | ChannelBindingUse::Never => {
                self.policy != ChannelBindingPolicy::Required
            }
        }
    }
}
