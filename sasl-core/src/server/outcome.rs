//! How a server-side exchange ended: [`ServerSuccess`] or [`ServerFailure`].

use crate::Error;
use crate::channel_binding::ChannelBindingType;
use crate::failure::{FailureKind, FailureReason, ImapResponse, SmtpReply};
use crate::mechanism::MechanismName;
use crate::request::TokenGrant;
use core::any::Any;
use core::fmt;
use std::borrow::Cow;
use std::sync::Arc;

/// A successful authentication.
#[derive(Debug, Clone)]
pub struct ServerSuccess {
    mechanism: MechanismName,
    authcid: String,
    authzid: Option<String>,
    channel_binding: Option<ChannelBindingType>,
    additional_data: Option<Vec<u8>>,
    // Boxed: rare, and large next to the rest; every step carries this struct.
    mechanism_data: Option<Box<MechanismData>>,
}

impl ServerSuccess {
    /// Builds a result (for mechanism implementations).
    pub fn new(mechanism: MechanismName, authcid: impl Into<String>) -> Self {
        Self {
            mechanism,
            authcid: authcid.into(),
            authzid: None,
            channel_binding: None,
            additional_data: None,
            mechanism_data: None,
        }
    }

    /// Records a granted authorization identity (empty means none).
    pub fn with_authzid(mut self, authzid: Option<String>) -> Self {
        self.authzid = authzid.filter(|z| !z.is_empty());
        self
    }

    /// Records that the exchange was bound to the channel with this type.
    pub fn with_channel_binding(mut self, kind: Option<ChannelBindingType>) -> Self {
        self.channel_binding = kind;
        self
    }

    /// Attaches additional data to deliver with success.
    pub fn with_additional_data(mut self, data: Vec<u8>) -> Self {
        self.additional_data = Some(data);
        self
    }

    /// Attaches what the mechanism learned that the application must store or act on.
    pub fn with_mechanism_data(mut self, data: MechanismData) -> Self {
        self.mechanism_data = Some(Box::new(data));
        self
    }

    /// The mechanism used.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    /// The authenticated identity (whose credentials were checked).
    pub fn authcid(&self) -> &str {
        &self.authcid
    }

    /// The granted authorization identity, if the client asked for one.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The identity the session acts as: the authzid if granted, else the authcid.
    pub fn identity(&self) -> &str {
        self.authzid.as_deref().unwrap_or(&self.authcid)
    }

    /// Whether the exchange was bound to the TLS channel.
    pub fn channel_bound(&self) -> bool {
        self.channel_binding.is_some()
    }

    /// The channel-binding type used, if any.
    pub fn channel_binding(&self) -> Option<ChannelBindingType> {
        self.channel_binding
    }

    /// Data the application must send with the success outcome. With
    /// [`SuccessData::AsChallenge`](crate::SuccessData::AsChallenge) (the default) the
    /// session already sent it as a challenge and this is `None`.
    pub fn additional_data(&self) -> Option<&[u8]> {
        self.additional_data.as_deref()
    }

    pub(crate) fn take_additional_data(&mut self) -> Option<Vec<u8>> {
        self.additional_data.take()
    }

    /// What the mechanism learned that the application must store or act on (a
    /// passkey's new sign counter, a token's expiry), if anything.
    pub fn mechanism_data(&self) -> Option<&MechanismData> {
        self.mechanism_data.as_deref()
    }
}

/// What a mechanism learned during a successful exchange that the application must
/// store or act on.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MechanismData {
    /// The bearer token's grant (subject, expiry, scopes): a server may end the
    /// session when the token expires.
    Token(TokenGrant),
    /// The passkey used: store its new sign counter and backup state.
    Passkey(PasskeyUse),
    /// Data of a mechanism from outside this crate family.
    Extension(ExtensionData),
}

/// What a PASSKEY login tells the server to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyUse {
    /// The credential that signed.
    pub credential_id: Vec<u8>,
    /// The authenticator's new signature counter (store it).
    pub sign_count: u32,
    /// The backup state (BS) the authenticator reported (store it).
    pub backup_state: bool,
    /// The counter did not increase although the stored one is not zero: the
    /// credential may have been cloned (WebAuthn §7.2 step 22). Only reported when
    /// the server's policy lets such a login succeed (by default it fails); act on
    /// it by policy.
    pub possible_clone: bool,
}

/// Success data of a mechanism from outside this crate family.
#[derive(Clone)]
pub struct ExtensionData {
    value: Arc<dyn Any + Send + Sync>,
    type_name: &'static str,
}

impl ExtensionData {
    /// Wraps a value of the mechanism's own type.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self {
            value: Arc::new(value),
            type_name: core::any::type_name::<T>(),
        }
    }

    /// The value, if it is of type `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref::<T>()
    }
}

impl fmt::Debug for ExtensionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtensionData")
            .field("type", &self.type_name)
            .finish_non_exhaustive()
    }
}

/// A failed authentication: what to send, and why (for logs only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFailure {
    reason: FailureReason,
    message: Option<Vec<u8>>,
    local_error: Option<Box<Error>>,
}

impl ServerFailure {
    /// A failure with nothing more to send than the protocol's failure reply.
    pub fn new(kind: FailureKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason: FailureReason::new(kind, detail),
            message: None,
            local_error: None,
        }
    }

    /// A failure caused by a local problem (a mechanism that could not start: bad
    /// configuration, a failing random source). The client is told to try later.
    pub(crate) fn local(error: Error) -> Self {
        Self {
            reason: FailureReason::new(FailureKind::Internal, error.to_string()),
            message: None,
            local_error: Some(Box::new(error)),
        }
    }

    /// Attaches mechanism data for the client (e.g. SCRAM `e=invalid-proof`). Where the
    /// protocol has no way to carry data with a failure (IMAP, SMTP) it may be dropped.
    pub fn with_message(mut self, message: Vec<u8>) -> Self {
        self.message = Some(message);
        self
    }

    /// The local reason. Never send it to the peer.
    pub fn reason(&self) -> &FailureReason {
        &self.reason
    }

    /// The local error behind a [`FailureKind::Internal`] failure, for logs.
    pub fn local_error(&self) -> Option<&Error> {
        self.local_error.as_deref()
    }

    /// Mechanism data for the client, if any.
    pub fn message(&self) -> Option<&[u8]> {
        self.message.as_deref()
    }

    /// The IMAP reply for this failure.
    pub fn imap(&self) -> ImapResponse {
        self.reason.imap()
    }

    /// The SMTP reply for this failure.
    pub fn smtp(&self) -> SmtpReply {
        self.reason.smtp()
    }
}
