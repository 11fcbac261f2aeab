//! PLACEHOLDER: replaced by the channel-binding module under construction.
use core::fmt;
/// Channel-binding type.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelBindingType {
    /// tls-unique
    TlsUnique,
    /// tls-server-end-point
    TlsServerEndPoint,
    /// tls-exporter
    TlsExporter,
}
impl ChannelBindingType {
    /// name
    pub fn name(self) -> &'static str {
        match self {
            Self::TlsUnique => "tls-unique",
            Self::TlsServerEndPoint => "tls-server-end-point",
            Self::TlsExporter => "tls-exporter",
        }
    }
    /// from name
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "tls-unique" => Some(Self::TlsUnique),
            "tls-server-end-point" => Some(Self::TlsServerEndPoint),
            "tls-exporter" => Some(Self::TlsExporter),
            _ => None,
        }
    }
}
impl fmt::Display for ChannelBindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
/// binding
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ChannelBinding {
    kind: ChannelBindingType,
    data: Vec<u8>,
}
impl ChannelBinding {
    /// new
    pub fn new(kind: ChannelBindingType, data: Vec<u8>) -> Self {
        Self { kind, data }
    }
    /// kind
    pub fn kind(&self) -> ChannelBindingType {
        self.kind
    }
    /// data
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}
