//! Reading channel bindings off a rustls connection (cargo feature `rustls`).
//!
//! What rustls 0.23 can provide:
//!
//! * `tls-exporter`: from `export_keying_material`, for TLS 1.3 only. RFC
//!   9266 section 4.2 allows it on TLS 1.2 only when Extended Master Secret
//!   (RFC 7627) was negotiated. rustls offers EMS but, unless configured with
//!   `require_ems`, will complete a handshake with a peer that declines it,
//!   and it does not report which happened. Without that knowledge the
//!   TLS 1.2 exporter could be the value a man in the middle can synchronise
//!   across two connections (the triple-handshake attack), so it is omitted.
//! * `tls-server-end-point`: computed from the server's leaf certificate,
//!   with any TLS version.
//! * `tls-unique`: never. It needs the first Finished message, which rustls
//!   does not expose; with TLS 1.3 the binding is not defined at all.
//!
//! # The handshake must be complete
//!
//! Neither binding exists before the handshake has finished: the exporter
//! secret is derived at the end of it, and until then the peer certificate
//! is not final. Both [`from_rustls_client`] and [`from_rustls_server`]
//! therefore check `is_handshaking()` first and, while it is true, return
//! [`RustlsBindingError::HandshakeIncomplete`] without looking at anything
//! else. That error is not fatal: finish the handshake and call again.
//!
//! The usual way to hit it is `rustls::StreamOwned` (or the borrowing
//! `rustls::Stream`). Constructing one performs no I/O; the handshake runs
//! lazily inside the first `read` or `write` on the stream. Extracting the
//! bindings right after `StreamOwned::new`, before any I/O, is therefore
//! always `HandshakeIncomplete`, even though the code looks as if it has a
//! connected TLS stream in hand. Either drive the handshake explicitly,
//!
//! ```text
//! while tls.conn.is_handshaking() {
//!     tls.conn.complete_io(&mut tls.sock)?;
//! }
//! ```
//!
//! or extract only after the first read or write has returned. The same
//! applies to a bare `ClientConnection` / `ServerConnection` pumped by hand
//! with `read_tls` / `process_new_packets` / `write_tls`. The examples on
//! [`from_rustls_client`] and [`from_rustls_server`] show both fixes.

use core::fmt;

use ::rustls::{ClientConnection, ConnectionCommon, ProtocolVersion, ServerConnection};

use super::{
    ChannelBinding, ChannelBindingType, EndPointError, TLS_EXPORTER_CONTEXT, TLS_EXPORTER_LABEL,
    TLS_EXPORTER_LENGTH, tls_server_end_point,
};

/// Why no channel binding could be read from a rustls connection.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub enum RustlsBindingError {
    /// The handshake has not completed (`is_handshaking()` is still true),
    /// so neither the exporter nor the peer's certificate is final yet.
    /// Keep pumping TLS records and try again after the handshake.
    ///
    /// This is what extraction returns straight after
    /// `rustls::StreamOwned::new` or `rustls::Stream::new`: those handshake
    /// lazily, on the first read or write. Call
    /// `conn.complete_io(&mut sock)` until `!conn.is_handshaking()` first.
    HandshakeIncomplete,
    /// rustls refused to export keying material.
    Exporter(::rustls::Error),
    /// The connection is TLS 1.2 (no usable `tls-exporter`) and
    /// `tls-server-end-point` could not be computed from the server's
    /// certificate, for example because it is an Ed25519 certificate.
    EndPoint(EndPointError),
    /// The connection is TLS 1.2 and the server presented no certificate
    /// (client side: for instance with raw public keys), so no binding type
    /// is available.
    NoServerCertificate,
}

impl fmt::Display for RustlsBindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HandshakeIncomplete => f.write_str(
                "the TLS handshake is not complete; channel binding data is not available yet",
            ),
            Self::Exporter(e) => write!(
                f,
                "rustls could not export tls-exporter keying material: {e}"
            ),
            Self::EndPoint(e) => write!(
                f,
                "no channel binding available: TLS 1.2 offers no usable tls-exporter and \
                 tls-server-end-point failed: {e}"
            ),
            Self::NoServerCertificate => f.write_str(
                "no channel binding available: TLS 1.2 offers no usable tls-exporter and the \
                 server presented no certificate for tls-server-end-point",
            ),
        }
    }
}

impl std::error::Error for RustlsBindingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Exporter(e) => Some(e),
            Self::EndPoint(e) => Some(e),
            _ => None,
        }
    }
}

/// Returns the channel bindings available on a client connection, most
/// preferred first.
///
/// After a TLS 1.3 handshake that is `[tls-exporter, tls-server-end-point]`;
/// after TLS 1.2 it is `[tls-server-end-point]` only (see the module notes:
/// rustls does not report whether Extended Master Secret was used, which RFC
/// 9266 requires for a TLS 1.2 exporter). `tls-server-end-point` is computed
/// from the first certificate of `peer_certificates()`, the server's leaf.
/// `tls-unique` is never returned: rustls does not expose the Finished
/// messages it needs.
///
/// When `tls-server-end-point` cannot be computed (an Ed25519 or Ed448
/// certificate, an unknown signature algorithm, or a raw public key instead
/// of a certificate) it is left out of the list rather than failing the
/// call, as long as `tls-exporter` is present.
///
/// The handshake must be complete (`conn.is_handshaking()` false) before
/// this is called; otherwise it returns
/// [`RustlsBindingError::HandshakeIncomplete`] and inspects nothing else.
/// `rustls::StreamOwned` and `rustls::Stream` do not handshake when they are
/// constructed, only on the first read or write, so calling this right after
/// `StreamOwned::new` always gives that error.
///
/// # Errors
///
/// [`RustlsBindingError::HandshakeIncomplete`] before the handshake has
/// completed; [`RustlsBindingError::Exporter`] if rustls refuses the export;
/// [`RustlsBindingError::EndPoint`] or
/// [`RustlsBindingError::NoServerCertificate`] when the list would otherwise
/// be empty.
///
/// # Example
///
/// Connecting with `StreamOwned`, finishing the handshake explicitly, then
/// reading the bindings:
///
/// ```no_run
/// use std::net::TcpStream;
/// use std::sync::Arc;
///
/// use rustls::pki_types::ServerName;
/// use rustls::{ClientConfig, ClientConnection, StreamOwned};
/// use sasl_core::channel_binding::{ChannelBinding, RustlsBindingError, from_rustls_client};
///
/// fn connect(
///     config: Arc<ClientConfig>,
/// ) -> Result<(StreamOwned<ClientConnection, TcpStream>, Vec<ChannelBinding>), Box<dyn std::error::Error>>
/// {
///     let conn = ClientConnection::new(config, ServerName::try_from("mail.example.com")?)?;
///     let sock = TcpStream::connect("mail.example.com:993")?;
///     let mut tls = StreamOwned::new(conn, sock);
///
///     // The trap: `StreamOwned::new` sent nothing, the handshake has not
///     // even started, so the bindings are not available yet.
///     assert_eq!(
///         from_rustls_client(&tls.conn),
///         Err(RustlsBindingError::HandshakeIncomplete)
///     );
///
///     // The fix: drive the handshake to completion first. (Alternatively,
///     // extract after the first `tls.write(..)` / `tls.read(..)` returned.)
///     while tls.conn.is_handshaking() {
///         tls.conn.complete_io(&mut tls.sock)?;
///     }
///     let bindings = from_rustls_client(&tls.conn)?;
///     Ok((tls, bindings))
/// }
/// ```
pub fn from_rustls_client(
    conn: &ClientConnection,
) -> Result<Vec<ChannelBinding>, RustlsBindingError> {
    let leaf = conn.peer_certificates().and_then(|chain| chain.first());
    collect(conn, leaf.map(|cert| cert.as_ref()))
}

/// Returns the channel bindings available on a server connection, most
/// preferred first.
///
/// rustls does not hand a server its own certificate back from the
/// connection (the certificate resolver may pick one per client), so the
/// caller passes the DER of the leaf certificate it served, the first entry
/// of the chain given to rustls.
///
/// The result, the ordering and the omission rules are exactly as for
/// [`from_rustls_client`], so both ends of one connection obtain the same
/// list.
///
/// As on the client, the handshake must be complete first, or the result is
/// [`RustlsBindingError::HandshakeIncomplete`]; a `rustls::StreamOwned` /
/// `rustls::Stream` just constructed around an accepted socket has not
/// handshaken yet (see [`from_rustls_client`] and the module notes).
///
/// # Errors
///
/// As for [`from_rustls_client`]; [`RustlsBindingError::NoServerCertificate`]
/// cannot occur.
///
/// # Example
///
/// Serving one connection with the borrowing `rustls::Stream`, letting the
/// first read complete the handshake, then reading the bindings:
///
/// ```no_run
/// use std::io::Read;
/// use std::net::TcpStream;
/// use std::sync::Arc;
///
/// use rustls::{ServerConfig, ServerConnection, Stream};
/// use sasl_core::channel_binding::{ChannelBinding, from_rustls_server};
///
/// /// `leaf_der` is the first certificate of the chain given to rustls in
/// /// `config`.
/// fn accept(
///     config: Arc<ServerConfig>,
///     leaf_der: &[u8],
///     mut sock: TcpStream,
/// ) -> Result<Vec<ChannelBinding>, Box<dyn std::error::Error>> {
///     let mut conn = ServerConnection::new(config)?;
///
///     // Reading from the stream runs the whole handshake before any
///     // application data can arrive. Calling `from_rustls_server` before
///     // this read would give `HandshakeIncomplete`.
///     let mut first = [0u8; 512];
///     let n = Stream::new(&mut conn, &mut sock).read(&mut first)?;
///     let _first_request = first.get(..n);
///
///     // Equivalent without a read:
///     // while conn.is_handshaking() { conn.complete_io(&mut sock)?; }
///
///     Ok(from_rustls_server(&conn, leaf_der)?)
/// }
/// ```
pub fn from_rustls_server(
    conn: &ServerConnection,
    own_leaf_cert_der: &[u8],
) -> Result<Vec<ChannelBinding>, RustlsBindingError> {
    collect(conn, Some(own_leaf_cert_der))
}

/// The shared logic: both connection types deref to `ConnectionCommon`.
fn collect<D>(
    conn: &ConnectionCommon<D>,
    server_cert_der: Option<&[u8]>,
) -> Result<Vec<ChannelBinding>, RustlsBindingError> {
    // Checking first gives a clear error instead of whatever the exporter
    // would say, and guarantees the peer certificate is the final one.
    if conn.is_handshaking() {
        return Err(RustlsBindingError::HandshakeIncomplete);
    }

    let mut out = Vec::with_capacity(2);
    if conn.protocol_version() == Some(ProtocolVersion::TLSv1_3) {
        let data = conn
            .export_keying_material(
                vec![0u8; TLS_EXPORTER_LENGTH],
                TLS_EXPORTER_LABEL,
                // Present-but-empty, as RFC 9266 specifies (identical to
                // "absent" in TLS 1.3, but explicit is clearer).
                Some(TLS_EXPORTER_CONTEXT),
            )
            .map_err(RustlsBindingError::Exporter)?;
        out.push(ChannelBinding::new(ChannelBindingType::TlsExporter, data));
    }

    match server_cert_der.map(tls_server_end_point) {
        Some(Ok(binding)) => out.push(binding),
        // tls-server-end-point is simply unavailable for this certificate;
        // the exporter still gives the caller a (better) binding.
        Some(Err(_)) | None if !out.is_empty() => {}
        Some(Err(e)) => return Err(RustlsBindingError::EndPoint(e)),
        None => return Err(RustlsBindingError::NoServerCertificate),
    }
    Ok(out)
}
