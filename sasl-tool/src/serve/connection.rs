//! One client's connection as the protocols see it: the transport, what the server
//! knows about the connection (its [`ConnectionInfo`]: TLS, channel bindings, the
//! client certificate's account), and the per-connection limits (failed
//! authentications, commands).

use super::Protocol;
use super::setup::{MAX_FAILURES_PER_CONNECTION, Shared};
use super::transport::{LinkError, Transport};
use sasl_core::{ConnectionInfo, MechanismName};
use sasl_external::CertificateLogin;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// The longest line read inside an authentication exchange or with an `AUTH`
/// command (64 KiB: a bearer token with SASL-IR fits with room to spare).
pub(super) const MAX_AUTH_LINE: usize = 64 * 1024;

/// The longest other command line (RFC 5321 allows 512 octets for SMTP; IMAP
/// clients send longer ones, such as `UID FETCH` sequence sets).
pub(super) const MAX_COMMAND_LINE: usize = 8 * 1024;

/// The most command lines one connection may send.
const MAX_COMMANDS: u32 = 10_000;

/// One client connection.
#[derive(Debug)]
pub(super) struct Connection {
    /// The bytes.
    pub(super) transport: Transport,
    /// What all connections share.
    pub(super) shared: Arc<Shared>,
    /// The listener's protocol.
    pub(super) protocol: Protocol,
    /// The client's address.
    pub(super) peer: SocketAddr,
    /// The address it connected to.
    pub(super) local: SocketAddr,
    info: ConnectionInfo,
    failures: u32,
    commands: u32,
}

impl Connection {
    /// A plain-text connection (implicit TLS is started by the caller).
    pub(super) fn new(
        transport: Transport,
        shared: Arc<Shared>,
        protocol: Protocol,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Self {
        let mut conn = Connection {
            transport,
            shared,
            protocol,
            peer,
            local,
            info: ConnectionInfo::plaintext(),
            failures: 0,
            commands: 0,
        };
        conn.info = conn.describe();
        conn
    }

    /// Builds the connection's `ConnectionInfo` from what the transport established.
    fn describe(&self) -> ConnectionInfo {
        let base = match self.transport.tls_facts() {
            Some(facts) => ConnectionInfo::tls().with_channel_bindings(facts.bindings.clone()),
            None => ConnectionInfo::plaintext(),
        };
        let mut info = base
            .allow_plaintext_passwords(self.shared.allow_plaintext)
            .with_server(self.shared.hostname.clone(), self.local.port());
        if let Some(cert) = self
            .transport
            .tls_facts()
            .and_then(|f| f.client_cert.clone())
        {
            if let Some(account) = self.shared.store.account_for_certificate(&cert) {
                info = CertificateLogin::new(account).connection(info);
            }
            info = info.with_peer_certificates([cert]);
        }
        info
    }

    /// What sessions on this connection start with.
    pub(super) fn info(&self) -> &ConnectionInfo {
        &self.info
    }

    /// The mechanisms to advertise on this connection now.
    pub(super) fn advertise(&self) -> Vec<MechanismName> {
        self.shared.registry.advertise(&self.info)
    }

    /// The advertised names, each prefixed with `prefix` (`AUTH=` for IMAP).
    pub(super) fn mechanism_list(&self, prefix: &str) -> Vec<String> {
        self.advertise()
            .iter()
            .map(|m| format!("{prefix}{}", m.as_str()))
            .collect()
    }

    /// Whether the connection is TLS now.
    pub(super) fn is_tls(&self) -> bool {
        self.transport.is_tls()
    }

    /// Upgrades to TLS in place and re-describes the connection.
    pub(super) async fn start_tls(&mut self) -> Result<(), LinkError> {
        let acceptor = TlsAcceptor::from(Arc::clone(&self.shared.tls));
        let leaf = self.shared.leaf_der.clone();
        let result = self.transport.start_tls(&acceptor, &leaf).await;
        if let Err(e) = &result {
            self.event(&format!("TLS handshake failed: {e}"));
        }
        self.info = self.describe();
        result
    }

    /// Sends one line.
    pub(super) async fn send(&mut self, line: &str) -> Result<(), LinkError> {
        self.transport.write_line(line).await
    }

    /// Sends several lines at once.
    pub(super) async fn send_lines(&mut self, lines: &[&str]) -> Result<(), LinkError> {
        self.transport.write_lines(lines).await
    }

    /// The next command line, lossily decoded: at most [`MAX_AUTH_LINE`] bytes, and
    /// at most [`MAX_COMMAND_LINE`] unless it starts with an authentication command
    /// (`auth_words`, case-insensitive, matched against the first or second word).
    pub(super) async fn command(&mut self, auth_words: &[&str]) -> Result<String, LinkError> {
        self.commands = self.commands.saturating_add(1);
        if self.commands > MAX_COMMANDS {
            return Err(LinkError::TooManyCommands);
        }
        let line = self.transport.read_line(MAX_AUTH_LINE).await?;
        let text = String::from_utf8_lossy(&line).into_owned();
        if text.len() > MAX_COMMAND_LINE {
            let mut words = text.split(' ').take(2);
            let is_auth = words.any(|w| auth_words.iter().any(|a| w.eq_ignore_ascii_case(a)));
            if !is_auth {
                return Err(LinkError::TooLong);
            }
        }
        Ok(text)
    }

    /// A line inside an authentication exchange (raw bytes).
    pub(super) async fn auth_line(&mut self) -> Result<Vec<u8>, LinkError> {
        self.commands = self.commands.saturating_add(1);
        self.transport.read_line(MAX_AUTH_LINE).await
    }

    /// Counts a failed authentication.
    pub(super) fn count_failure(&mut self) {
        self.failures = self.failures.saturating_add(1);
    }

    /// Whether the connection has failed to authenticate too often.
    pub(super) fn too_many_failures(&self) -> bool {
        self.failures >= MAX_FAILURES_PER_CONNECTION
    }

    /// Logs a connection event.
    pub(super) fn event(&self, what: &str) {
        self.shared.log.event(self.peer, self.protocol, what);
    }

    /// Closes the connection.
    pub(super) async fn close(&mut self) {
        self.transport.close().await;
    }
}

/// What a protocol command did to the connection.
pub(super) enum Next {
    /// Read the next command.
    Continue,
    /// Close the connection.
    Close,
}

/// One protocol's command handling, for [`run_commands`].
pub(super) trait Commands {
    /// The command words whose lines may be as long as an AUTH line.
    const AUTH_WORDS: &'static [&'static str];

    /// Handles one command line.
    async fn command(&mut self, conn: &mut Connection, line: &str) -> Result<Next, LinkError>;

    /// The line to send before closing a link that broke with `error` (`None`: close
    /// without a word, the link is gone or the reason is private).
    fn goodbye(&self, error: &LinkError, hostname: &str) -> Option<String>;
}

/// Reads and handles commands until one closes the connection or the link breaks (then
/// the protocol's last words are sent, and the reason logged as an event).
pub(super) async fn run_commands<P: Commands>(conn: &mut Connection, protocol: &mut P) {
    loop {
        let result = match conn.command(P::AUTH_WORDS).await {
            Ok(line) => protocol.command(conn, &line).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(Next::Continue) => {}
            Ok(Next::Close) => return,
            Err(error) => {
                if let Some(line) = protocol.goodbye(&error, &conn.shared.hostname) {
                    conn.event(&error.to_string());
                    let _ = conn.send(&line).await;
                }
                return;
            }
        }
    }
}
