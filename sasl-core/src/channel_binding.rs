//! Channel binding: tying a SASL authentication to the TLS connection it runs
//! over, so that a man in the middle who terminates TLS cannot relay it.
//!
//! RFC 5056 defines the framework: a *channel binding type* names how both
//! ends derive the same bytes (the *channel binding data*) from their view of
//! the secure channel, and mechanisms such as SCRAM-*-PLUS mix those bytes
//! into the authentication. This module provides:
//!
//! * [`ChannelBindingType`]: the three TLS binding types in use,
//!   `tls-unique` (RFC 5929), `tls-server-end-point` (RFC 5929) and
//!   `tls-exporter` (RFC 9266).
//! * [`ChannelBinding`]: a type together with its data for one connection.
//! * [`tls_server_end_point`]: computes `tls-server-end-point` from the
//!   server's DER certificate, which is all that binding needs.
//! * [`TLS_EXPORTER_LABEL`], [`TLS_EXPORTER_CONTEXT`] and
//!   [`TLS_EXPORTER_LENGTH`]: the RFC 9266 exporter inputs, for use with any
//!   TLS library's keying-material exporter.
//! * With the `rustls` cargo feature, `from_rustls_client` and
//!   `from_rustls_server`, which read the available bindings off a finished
//!   rustls handshake. Before the handshake is complete they return
//!   `RustlsBindingError::HandshakeIncomplete`; note that `rustls::StreamOwned`
//!   and `rustls::Stream` only handshake on their first read or write (see
//!   the functions' documentation).
//!
//! `tls-unique` is named for completeness (peers may advertise it) but no
//! helper produces it: RFC 9266 section 3 leaves it undefined for TLS 1.3,
//! and for older versions it needs the first Finished message, which rustls
//! does not expose.

use core::fmt;

mod der;
mod end_point;
#[cfg(feature = "rustls")]
mod rustls_conn;

pub use end_point::{EndPointError, EndPointErrorKind, tls_server_end_point};
#[cfg(feature = "rustls")]
pub use rustls_conn::{RustlsBindingError, from_rustls_client, from_rustls_server};

/// The exporter label of the `tls-exporter` binding (RFC 9266 section 2).
pub const TLS_EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// The exporter context of `tls-exporter`: RFC 9266 section 2 specifies a
/// zero-length context.
///
/// With a TLS 1.2 (RFC 5705) exporter, "zero-length context" and "no
/// context" produce different values, so pass this as a present, empty
/// context (`Some(TLS_EXPORTER_CONTEXT)` in rustls). In TLS 1.3 the two are
/// identical.
pub const TLS_EXPORTER_CONTEXT: &[u8] = b"";

/// The number of bytes `tls-exporter` exports (RFC 9266 section 2).
pub const TLS_EXPORTER_LENGTH: usize = 32;

/// A TLS channel binding type, as registered with IANA and named on the wire
/// (for example in SCRAM's `p=` GS2 header).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelBindingType {
    /// `tls-unique` (RFC 5929 section 3): the first Finished message of the
    /// most recent handshake. Only sound for TLS 1.2 and below, and there
    /// only with Extended Master Secret (RFC 7627); undefined for TLS 1.3.
    TlsUnique,
    /// `tls-server-end-point` (RFC 5929 section 4): a hash of the server's
    /// certificate. Works with every TLS version but binds only to the
    /// server's identity, not to the individual connection.
    TlsServerEndPoint,
    /// `tls-exporter` (RFC 9266): 32 bytes from the TLS keying-material
    /// exporter. Unique per connection; the preferred type for TLS 1.3.
    TlsExporter,
}

impl ChannelBindingType {
    /// The registered name: `"tls-unique"`, `"tls-server-end-point"` or
    /// `"tls-exporter"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::TlsUnique => "tls-unique",
            Self::TlsServerEndPoint => "tls-server-end-point",
            Self::TlsExporter => "tls-exporter",
        }
    }

    /// Parses a registered name, as produced by [`name`](Self::name).
    ///
    /// Matching is exact and case-sensitive, because the names are protocol
    /// tokens compared byte-for-byte by peers (a SCRAM server must echo the
    /// very name the client sent). Unknown names give `None`.
    ///
    /// ```
    /// use sasl_core::channel_binding::ChannelBindingType;
    ///
    /// assert_eq!(
    ///     ChannelBindingType::from_name("tls-exporter"),
    ///     Some(ChannelBindingType::TlsExporter)
    /// );
    /// assert_eq!(ChannelBindingType::from_name("TLS-EXPORTER"), None);
    /// ```
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
    /// Writes the registered name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The channel binding of one connection: a [`ChannelBindingType`] and the
/// data both ends derive for it.
///
/// The data is not a secret in itself (SCRAM sends it base64-encoded inside
/// the exchange), but it is connection-specific; the [`Debug`] output shows
/// only the type and the length, so logs do not fill with it.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    kind: ChannelBindingType,
    data: Vec<u8>,
}

impl ChannelBinding {
    /// Pairs a binding type with its data, as obtained from the TLS library.
    ///
    /// The data is not checked against the type (for example
    /// `tls-exporter` data is normally [`TLS_EXPORTER_LENGTH`] bytes), so
    /// that bindings computed elsewhere can be carried unchanged.
    pub fn new(kind: ChannelBindingType, data: Vec<u8>) -> Self {
        Self { kind, data }
    }

    /// The binding type.
    pub fn kind(&self) -> ChannelBindingType {
        self.kind
    }

    /// The channel binding data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Consumes the binding, returning its data.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

impl fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("kind", &self.kind)
            .field("len", &self.data.len())
            .finish()
    }
}
