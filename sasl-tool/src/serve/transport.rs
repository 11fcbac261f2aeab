//! One connection's bytes: CRLF lines read and written over TCP or TLS
//! (tokio-rustls), with the STARTTLS upgrade done in place.
//!
//! Every read and write is bounded in time (the server's `--timeout`: a whole line must
//! arrive within it, so a client trickling bytes without a line end is cut off like
//! an idle one), every line in length (the caller's cap; a longer line is [`LinkError::TooLong`] and the caller
//! closes the connection). Plain-text bytes a client sent after its STARTTLS command
//! but before the handshake are thrown away, never read as if they came over TLS
//! (the STARTTLS command-injection attack, CVE-2011-0411).

use sasl_core::ChannelBinding;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 8 * 1024;

/// How long input is drained after the server closes its side.
const LINGER: Duration = Duration::from_millis(500);

/// The most input drained after the server closes its side.
const LINGER_BYTES: usize = 1024 * 1024;

/// Why a line could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LinkError {
    /// The client closed the connection.
    Closed,
    /// A read or write waited longer than the timeout.
    Timeout,
    /// A line was longer than the cap.
    TooLong,
    /// The connection sent more commands than one connection may.
    TooManyCommands,
    /// A socket or TLS error.
    Io(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Closed => f.write_str("closed by the client"),
            LinkError::Timeout => f.write_str("timed out"),
            LinkError::TooLong => f.write_str("line too long"),
            LinkError::TooManyCommands => f.write_str("too many commands"),
            LinkError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

/// What the TLS layer established, for the connection's `ConnectionInfo`.
#[derive(Debug, Clone, Default)]
pub(super) struct TlsFacts {
    /// Channel bindings, most preferred first (`tls-exporter` on TLS 1.3, then
    /// `tls-server-end-point`).
    pub(super) bindings: Vec<ChannelBinding>,
    /// The client's leaf certificate, DER, if it sent one.
    pub(super) client_cert: Option<Vec<u8>>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// After a failed upgrade: nothing left to talk to.
    Gone,
}

/// A line-oriented connection.
pub(super) struct Transport {
    stream: Stream,
    pending: Vec<u8>,
    timeout: Duration,
    tls: Option<TlsFacts>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("tls", &self.tls.is_some())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A plain-text connection.
    pub(super) fn plain(socket: TcpStream, timeout: Duration) -> Self {
        let _ = socket.set_nodelay(true);
        Transport {
            stream: Stream::Plain(socket),
            pending: Vec::new(),
            timeout,
            tls: None,
        }
    }

    /// Whether the connection is TLS now.
    pub(super) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// What TLS established, once it has.
    pub(super) fn tls_facts(&self) -> Option<&TlsFacts> {
        self.tls.as_ref()
    }

    /// Runs the TLS handshake (implicit TLS at once, or after STARTTLS/STLS was
    /// accepted) and reads the channel bindings; `leaf_der` is the certificate served.
    /// On failure the connection is unusable.
    pub(super) async fn start_tls(
        &mut self,
        acceptor: &TlsAcceptor,
        leaf_der: &[u8],
    ) -> Result<(), LinkError> {
        // Anything pipelined after the command arrived in plain text: drop it.
        self.pending.clear();
        let socket = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(socket) => socket,
            other => {
                self.stream = other;
                return Err(LinkError::Io("TLS is already active".to_owned()));
            }
        };
        let stream = match tokio::time::timeout(self.timeout, acceptor.accept(socket)).await {
            Err(_) => return Err(LinkError::Timeout),
            Ok(Err(e)) => return Err(LinkError::Io(format!("TLS handshake: {e}"))),
            Ok(Ok(stream)) => stream,
        };
        let connection = stream.get_ref().1;
        let bindings = sasl_core::channel_binding::from_rustls_server(connection, leaf_der)
            .unwrap_or_default();
        let client_cert = sasl_external::client_certificate(connection).map(<[u8]>::to_vec);
        self.tls = Some(TlsFacts {
            bindings,
            client_cert,
        });
        self.stream = Stream::Tls(Box::new(stream));
        Ok(())
    }

    async fn read_some(
        &mut self,
        buffer: &mut [u8],
        deadline: Option<tokio::time::Instant>,
    ) -> Result<usize, LinkError> {
        let read = async {
            match &mut self.stream {
                Stream::Plain(s) => s.read(buffer).await,
                Stream::Tls(s) => s.read(buffer).await,
                Stream::Gone => Ok(0),
            }
        };
        let bounded = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, read),
            // A timeout too large for a deadline: per read, as good as none.
            None => tokio::time::timeout(self.timeout, read),
        };
        match bounded.await {
            Err(_) => Err(LinkError::Timeout),
            Ok(Err(e)) => Err(LinkError::Io(e.to_string())),
            Ok(Ok(n)) => Ok(n),
        }
    }

    /// The next line without its line end (CRLF or a bare LF), at most `max` bytes,
    /// all of it within the timeout (not just each read: slow-loris).
    pub(super) async fn read_line(&mut self, max: usize) -> Result<Vec<u8>, LinkError> {
        let deadline = tokio::time::Instant::now().checked_add(self.timeout);
        loop {
            if let Some(at) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=at).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > max {
                    return Err(LinkError::TooLong);
                }
                return Ok(line);
            }
            if self.pending.len() > max.saturating_add(1) {
                return Err(LinkError::TooLong);
            }
            let mut chunk = [0u8; READ_CHUNK];
            let n = self.read_some(&mut chunk, deadline).await?;
            if n == 0 {
                return Err(LinkError::Closed);
            }
            self.pending
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }

    /// Writes `lines`, each followed by CRLF, and flushes.
    pub(super) async fn write_lines(&mut self, lines: &[&str]) -> Result<(), LinkError> {
        let mut data = Vec::new();
        for line in lines {
            data.extend_from_slice(line.as_bytes());
            data.extend_from_slice(b"\r\n");
        }
        let write = async {
            match &mut self.stream {
                Stream::Plain(s) => {
                    s.write_all(&data).await?;
                    s.flush().await
                }
                Stream::Tls(s) => {
                    s.write_all(&data).await?;
                    s.flush().await
                }
                Stream::Gone => Err(std::io::Error::from(std::io::ErrorKind::NotConnected)),
            }
        };
        match tokio::time::timeout(self.timeout, write).await {
            Err(_) => Err(LinkError::Timeout),
            Ok(Err(e)) => Err(LinkError::Io(e.to_string())),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Writes one line and CRLF.
    pub(super) async fn write_line(&mut self, line: &str) -> Result<(), LinkError> {
        self.write_lines(&[line]).await
    }

    /// Closes the connection (TLS `close_notify` first), ignoring errors.
    ///
    /// The write side closes first and what the client still sends is read and
    /// dropped for a moment: closing a socket with unread input makes the kernel
    /// send a reset, which can destroy the goodbye line before the client reads it.
    pub(super) async fn close(&mut self) {
        let close = async {
            match &mut self.stream {
                Stream::Plain(s) => {
                    let _ = s.shutdown().await;
                }
                Stream::Tls(s) => {
                    let _ = s.shutdown().await;
                }
                Stream::Gone => {}
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
        let drain = async {
            let mut sink = [0u8; READ_CHUNK];
            let mut total: usize = 0;
            while total < LINGER_BYTES {
                let n = match &mut self.stream {
                    Stream::Plain(s) => s.read(&mut sink).await,
                    Stream::Tls(s) => s.read(&mut sink).await,
                    Stream::Gone => Ok(0),
                };
                match n {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total = total.saturating_add(n),
                }
            }
        };
        let _ = tokio::time::timeout(LINGER, drain).await;
        self.stream = Stream::Gone;
    }
}
