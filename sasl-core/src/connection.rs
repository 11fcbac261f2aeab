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
    /// [`Authenticated::additional_data`](crate::Authenticated::additional_data) with it.
    InOutcome,
}

/// Facts about one connection: TLS, channel-binding data and policy, plaintext rules.
///
/// Build one per connection (for example right after the TLS handshake) and pass it
/// when asking what to advertise and when starting a session.
#[derive(Debug, Clone, Default)]
pub struct ConnectionInfo {
    tls: bool,
    bindings: Vec<ChannelBinding>,
    policy: ChannelBindingPolicy,
    allow_plaintext_passwords: bool,
    success_data: SuccessData,
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
    /// a client uses (put `tls-exporter` first on TLS 1.3).
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
