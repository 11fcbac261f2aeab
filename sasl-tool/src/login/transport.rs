//! The connection: TCP (tokio), TLS (tokio-rustls) from the start or by a STARTTLS
//! upgrade in place, bounded line reads, and a timeout on every step.
//!
//! [`Link`] is what the protocol dialogs use: the [`Transport`] plus the
//! [`Transcript`] of every line that crossed it.

use super::report::Transcript;
use crate::failure::Failure;
use rustls::ClientConfig;
use rustls::client::ClientConnection;
use rustls::pki_types::ServerName;
use sasl_core::ChannelBinding;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The longest line read from a server (without CRLF): 64 KiB, far above any SASL
/// challenge the family's mechanisms send (their own limits are lower).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// What the socket is.
enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
    /// Between taking the TCP stream out for the TLS handshake and putting the TLS
    /// stream back, or after a failed handshake.
    Gone,
}

/// One connection to the server, plain or TLS.
pub(crate) struct Transport {
    stream: Stream,
    /// Bytes read but not yet returned as a line.
    buffer: Vec<u8>,
    timeout: Duration,
    peer: SocketAddr,
    local: SocketAddr,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("tls", &self.is_tls())
            .field("peer", &self.peer)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Runs `future` for at most `timeout`; `doing` names the step in the error.
async fn within<T>(
    timeout: Duration,
    doing: &str,
    future: impl Future<Output = io::Result<T>>,
) -> Result<T, TransportError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(TransportError::Io(doing.to_owned(), error)),
        Err(_) => Err(TransportError::Timeout(doing.to_owned(), timeout)),
    }
}

/// Why the transport failed, before it becomes a [`Failure`] with a hint.
#[derive(Debug)]
enum TransportError {
    Io(String, io::Error),
    Timeout(String, Duration),
}

impl TransportError {
    fn into_failure(self) -> Failure {
        match self {
            TransportError::Timeout(doing, timeout) => Failure::error(format!(
                "{doing}: no answer within {} s",
                timeout.as_secs_f64()
            ))
            .hint("is it the right port for this protocol? raise --timeout for a slow server"),
            TransportError::Io(doing, error) => io_failure(&doing, &error),
        }
    }
}

/// An I/O error with what to try next; TLS errors keep rustls' reason.
fn io_failure(doing: &str, error: &io::Error) -> Failure {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return tls_failure(doing, tls);
    }
    let failure = Failure::error(format!("{doing}: {error}"));
    match error.kind() {
        io::ErrorKind::ConnectionRefused => {
            failure.hint("is the server running, and is this its host and port?")
        }
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => failure.hint(
            "the server hung up: it may expect TLS from the start (imaps://, smtps://, pop3s://) or not at all",
        ),
        io::ErrorKind::InvalidData => failure.hint(
            "the server does not speak TLS here: for a STARTTLS port use imap://, smtp:// or pop3://",
        ),
        _ => failure,
    }
}

fn tls_failure(doing: &str, error: &rustls::Error) -> Failure {
    let failure = Failure::error(format!("{doing}: TLS: {error}"));
    match error {
        rustls::Error::InvalidCertificate(_) => failure.hint(
            "the server's certificate is not trusted: pass its CA with --ca-file FILE, or --insecure for a test server",
        ),
        rustls::Error::NoCertificatesPresented | rustls::Error::AlertReceived(_) => failure.hint(
            "the server refused the handshake: it may want a client certificate (--cert/--key) or other TLS versions",
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => failure
            .hint("the server does not speak TLS here: for a STARTTLS port use imap://, smtp:// or pop3://"),
        _ => failure,
    }
}

impl Transport {
    /// Connects over TCP.
    pub(crate) async fn connect(host: &str, port: u16, timeout: Duration) -> Result<Self, Failure> {
        let doing = format!("connecting to {host} port {port}");
        let tcp = within(timeout, &doing, TcpStream::connect((host, port)))
            .await
            .map_err(TransportError::into_failure)?;
        // Lines are small and lock-step: do not wait to fill packets.
        let _ = tcp.set_nodelay(true);
        let peer = tcp
            .peer_addr()
            .map_err(|e| io_failure("reading the peer address", &e))?;
        let local = tcp
            .local_addr()
            .map_err(|e| io_failure("reading the local address", &e))?;
        Ok(Transport {
            stream: Stream::Plain(tcp),
            buffer: Vec::new(),
            timeout,
            peer,
            local,
        })
    }

    /// The server's address.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// This side's address.
    pub(crate) fn local(&self) -> SocketAddr {
        self.local
    }

    /// Whether the connection is TLS now.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// The rustls connection, once TLS is up.
    pub(crate) fn tls_connection(&self) -> Option<&ClientConnection> {
        match &self.stream {
            Stream::Tls(tls) => Some(tls.get_ref().1),
            _ => None,
        }
    }

    /// Runs the TLS handshake on the TCP connection (right after connecting, or after
    /// the server accepted STARTTLS). Bytes the server sent after its STARTTLS reply
    /// and before the handshake would be plain text an attacker could have injected
    /// (CVE-2011-0411 and kin): they are refused.
    pub(crate) async fn start_tls(
        &mut self,
        config: Arc<ClientConfig>,
        host: &str,
    ) -> Result<(), Failure> {
        if !self.buffer.is_empty() {
            return Err(Failure::error(
                "the server sent data after its STARTTLS reply, before the TLS handshake (a possible injection attack)",
            )
            .hint("do not trust this connection; use implicit TLS (imaps://, smtps://, pop3s://) if the server offers it"));
        }
        let name = ServerName::try_from(host.to_owned()).map_err(|e| {
            Failure::error(format!(
                "{host:?} cannot be checked against a certificate: {e}"
            ))
        })?;
        let tcp = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(tcp) => tcp,
            other => {
                self.stream = other;
                return Err(Failure::error(
                    "TLS is already on (or the connection is gone)",
                ));
            }
        };
        let connector = TlsConnector::from(config);
        let tls = within(
            self.timeout,
            "the TLS handshake",
            connector.connect(name, tcp),
        )
        .await
        .map_err(TransportError::into_failure)?;
        self.stream = Stream::Tls(Box::new(tls));
        Ok(())
    }

    /// The channel bindings of the TLS connection, most preferred first (empty on
    /// plain TCP). An extraction error is returned as text for the transcript.
    pub(crate) fn channel_bindings(&self) -> Result<Vec<ChannelBinding>, String> {
        match self.tls_connection() {
            None => Ok(Vec::new()),
            Some(conn) => {
                sasl_core::channel_binding::from_rustls_client(conn).map_err(|e| e.to_string())
            }
        }
    }

    /// The server's certificate chain (DER, leaf first); empty on plain TCP.
    pub(crate) fn peer_certificates(&self) -> Vec<Vec<u8>> {
        self.tls_connection()
            .and_then(|conn| conn.peer_certificates())
            .map(|chain| chain.iter().map(|c| c.as_ref().to_vec()).collect())
            .unwrap_or_default()
    }

    /// Reads one line, without its CRLF (or bare LF). Lines are bounded by
    /// [`MAX_LINE`], and the whole line must arrive within the timeout (a server
    /// trickling bytes is cut off too); bytes that are not UTF-8 are replaced.
    pub(crate) async fn read_line(&mut self) -> Result<String, Failure> {
        let started = tokio::time::Instant::now();
        let full = self.timeout;
        loop {
            if let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buffer.len() > MAX_LINE {
                return Err(Failure::error(format!(
                    "the server sent a line longer than {MAX_LINE} bytes"
                )));
            }
            let mut chunk = [0u8; 4096];
            let timeout = full.saturating_sub(started.elapsed());
            let read = match &mut self.stream {
                Stream::Plain(tcp) => {
                    within(
                        timeout,
                        "waiting for the server",
                        read_some(tcp, &mut chunk),
                    )
                    .await
                }
                Stream::Tls(tls) => {
                    within(
                        timeout,
                        "waiting for the server",
                        read_some(tls.as_mut(), &mut chunk),
                    )
                    .await
                }
                Stream::Gone => return Err(Failure::error("the connection is gone")),
            }
            .map_err(|e| match e {
                TransportError::Timeout(doing, _) => TransportError::Timeout(doing, full),
                other => other,
            })
            .map_err(TransportError::into_failure)?;
            if read == 0 {
                return Err(Failure::error("the server closed the connection")
                    .hint("see the transcript for the server's last words"));
            }
            self.buffer
                .extend_from_slice(chunk.get(..read).unwrap_or_default());
        }
    }

    /// Writes one line and its CRLF.
    pub(crate) async fn write_line(&mut self, line: &str) -> Result<(), Failure> {
        let mut bytes = Vec::with_capacity(line.len().saturating_add(2));
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        let timeout = self.timeout;
        match &mut self.stream {
            Stream::Plain(tcp) => {
                within(timeout, "sending to the server", write_all(tcp, &bytes)).await
            }
            Stream::Tls(tls) => {
                within(
                    timeout,
                    "sending to the server",
                    write_all(tls.as_mut(), &bytes),
                )
                .await
            }
            Stream::Gone => return Err(Failure::error("the connection is gone")),
        }
        .map_err(TransportError::into_failure)
    }

    /// Closes the connection (TLS close_notify first), ignoring errors: the login is
    /// decided by then.
    pub(crate) async fn shutdown(&mut self) {
        let timeout = self.timeout.min(Duration::from_secs(2));
        match &mut self.stream {
            Stream::Plain(tcp) => {
                let _ = tokio::time::timeout(timeout, tcp.shutdown()).await;
            }
            Stream::Tls(tls) => {
                let _ = tokio::time::timeout(timeout, tls.shutdown()).await;
            }
            Stream::Gone => {}
        }
    }
}

async fn read_some<S: AsyncRead + Unpin + ?Sized>(
    stream: &mut S,
    chunk: &mut [u8],
) -> io::Result<usize> {
    stream.read(chunk).await
}

async fn write_all<S: AsyncWrite + Unpin + ?Sized>(stream: &mut S, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// The connection as the dialogs use it: every line sent and received goes into the
/// transcript (client lines that carry secrets with [`send_shown`](Self::send_shown)).
#[derive(Debug)]
pub(crate) struct Link<'a> {
    /// The connection.
    pub(crate) io: Transport,
    /// What crossed it.
    pub(crate) log: &'a mut Transcript,
}

impl Link<'_> {
    /// Sends a line and records it as sent.
    pub(crate) async fn send(&mut self, line: &str) -> Result<(), Failure> {
        self.log.client(line);
        self.io.write_line(line).await
    }

    /// Sends `line` but records `shown` (the line with its secrets replaced).
    pub(crate) async fn send_shown(&mut self, line: &str, shown: &str) -> Result<(), Failure> {
        self.log.client(shown);
        self.io.write_line(line).await
    }

    /// Receives a line and records it.
    pub(crate) async fn recv(&mut self) -> Result<String, Failure> {
        let line = self.io.read_line().await?;
        self.log.server(&line);
        Ok(line)
    }

    /// Upgrades to TLS and records the result (version, cipher suite).
    pub(crate) async fn start_tls(
        &mut self,
        config: Arc<ClientConfig>,
        host: &str,
    ) -> Result<(), Failure> {
        self.io.start_tls(config, host).await?;
        if let Some(conn) = self.io.tls_connection() {
            let version = conn
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_else(|| "TLS".to_owned());
            let suite = conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default();
            self.log.note(
                format!("TLS is up: {version} {suite}")
                    .trim_end()
                    .to_owned(),
            );
        }
        Ok(())
    }
}
