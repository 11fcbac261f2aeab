//! `sasl serve`: an IMAP, SMTP submission and POP3 AUTH test server (tokio + rustls)
//! on the sasl crates, enough for real clients (curl, Thunderbird, gsasl) to log in
//! with every mechanism and end their session cleanly.
//!
//! The parts, one job each:
//! - [`setup`]: what the server is made of (TLS, mechanisms, accounts, limits), from
//!   the flags ([`ServerSetup::from_args`]) or from `sasl demo` ([`ServerSetup::from_parts`]);
//! - `listener`: accept loops, the connection cap, one task per connection, shutdown;
//! - `transport`: CRLF lines over TCP or TLS, STARTTLS in place, length and time caps;
//! - `connection`: one client's connection facts (`ConnectionInfo`) and limits;
//! - `session`: one SASL exchange over any of the three protocols, logged;
//! - `imap`, `smtp`, `pop3`: the protocols;
//! - `store`: answers the sessions' requests from the accounts;
//! - `log`: one record per attempt, never a secret.
//!
//! In-process use (`sasl demo`): build a [`ServerSetup`], [`spawn`] it inside a tokio
//! runtime (it binds and returns at once), read [`RunningServer::addresses`], and
//! end with [`RunningServer::shutdown`]; [`RunningServer::attempts`] has the log.
//!
//! What `sasl serve` prints on stdout at start, one item a line, then `ready`:
//!
//! ```text
//! certificate /tmp/sasl-serve-1234-abcdef/cert.pem (generated, self-signed)
//! fingerprint SHA256 ab:cd:...
//! imap 127.0.0.1:1143 (STARTTLS)
//! imaps 127.0.0.1:1993 (TLS)
//! mechanisms before TLS: SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1
//! mechanisms over TLS: ...
//! ready
//! ```
//!
//! (`certificate` is printed only for a generated certificate.) Attempts are logged on
//! stderr.

mod command;
mod connection;
mod imap;
mod listener;
mod log;
mod pop3;
mod session;
mod setup;
mod smtp;
mod store;
mod transport;

pub(crate) use log::{AttemptRecord, Outcome};
pub(crate) use setup::{DemoServerParts, OAuthSettings, ServerSetup};

use crate::cli::ServeArgs;
use crate::failure::{CommandResult, Failure};
use crate::term::Term;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The kinds of listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Protocol {
    /// IMAP, plain text with STARTTLS.
    Imap,
    /// IMAP over implicit TLS.
    Imaps,
    /// SMTP submission, plain text with STARTTLS.
    Smtp,
    /// SMTP submission over implicit TLS.
    Submissions,
    /// POP3, plain text with STLS.
    Pop3,
    /// POP3 over implicit TLS.
    Pop3s,
}

impl Protocol {
    /// The name printed and logged: `imap`, `imaps`, `smtp`, `submissions`, `pop3`,
    /// `pop3s`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Imaps => "imaps",
            Protocol::Smtp => "smtp",
            Protocol::Submissions => "submissions",
            Protocol::Pop3 => "pop3",
            Protocol::Pop3s => "pop3s",
        }
    }

    /// Whether TLS starts at once.
    pub(crate) fn implicit_tls(self) -> bool {
        matches!(
            self,
            Protocol::Imaps | Protocol::Submissions | Protocol::Pop3s
        )
    }

    /// How the listener gets to TLS: `TLS`, `STARTTLS` or `STLS`.
    pub(crate) fn tls_label(self) -> &'static str {
        match self {
            Protocol::Imap | Protocol::Smtp => "STARTTLS",
            Protocol::Pop3 => "STLS",
            Protocol::Imaps | Protocol::Submissions | Protocol::Pop3s => "TLS",
        }
    }
}

/// A server that is listening; end it with [`shutdown`](Self::shutdown) (dropping it
/// also stops the accept loops, without waiting for them).
#[derive(Debug)]
pub(crate) struct RunningServer {
    addresses: Vec<(Protocol, SocketAddr)>,
    shared: Arc<setup::Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound addresses (real ports where port 0 was asked for), in the order given.
    pub(crate) fn addresses(&self) -> &[(Protocol, SocketAddr)] {
        &self.addresses
    }

    /// Every authentication attempt so far (the last 10 000), oldest first.
    pub(crate) fn attempts(&self) -> Vec<AttemptRecord> {
        self.shared.log.attempts()
    }

    /// Stops accepting, ends every connection and waits for the tasks.
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds every listener of `setup` and starts serving in the current tokio runtime;
/// returns as soon as all are bound.
pub(crate) async fn spawn(setup: ServerSetup) -> Result<RunningServer, Failure> {
    let caps = listener::Caps::new(setup.shared.max_connections);
    let (stop, stopped) = watch::channel(false);
    let mut bound = Vec::new();
    for (protocol, address) in &setup.listeners {
        let listener = listener::bind(*address).map_err(|e| {
            Failure::error(format!("listening on {address} ({}): {e}", protocol.name()))
                .hint("pick another port, or 0 for any free one")
        })?;
        let real = listener
            .local_addr()
            .map_err(|e| Failure::error(format!("the address of {address}: {e}")))?;
        bound.push((*protocol, real, listener));
    }
    let mut addresses = Vec::new();
    let mut tasks = Vec::new();
    for (protocol, real, listener) in bound {
        addresses.push((protocol, real));
        tasks.push(tokio::spawn(listener::accept_loop(
            listener,
            protocol,
            Arc::clone(&setup.shared),
            caps.clone(),
            stopped.clone(),
        )));
    }
    Ok(RunningServer {
        addresses,
        shared: Arc::clone(&setup.shared),
        stop,
        tasks,
    })
}

/// Runs `sasl serve` until Ctrl-C.
pub(crate) fn run(args: ServeArgs, _term: &Term) -> CommandResult {
    let setup = ServerSetup::from_args(&args)?;
    let generated_dir = setup.generated.as_ref().map(|g| g.dir.clone());
    let result = run_setup(setup);
    if let Some(dir) = generated_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

fn run_setup(setup: ServerSetup) -> CommandResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::error(format!("starting the runtime: {e}")))?;
    runtime.block_on(async move {
        let mut banner = Vec::new();
        if let Some(path) = setup.generated_cert_path() {
            banner.push(format!(
                "certificate {} (generated, self-signed)",
                path.display()
            ));
        }
        banner.push(format!("fingerprint SHA256 {}", setup.fingerprint));
        let summary = setup.summary.clone();
        let server = spawn(setup).await?;
        for (protocol, address) in server.addresses() {
            banner.push(format!(
                "{} {address} ({})",
                protocol.name(),
                protocol.tls_label()
            ));
        }
        banner.extend(summary);
        banner.push("ready".to_owned());
        let mut out = std::io::stdout().lock();
        for line in &banner {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        drop(out);
        let signal = tokio::signal::ctrl_c().await;
        server.shutdown().await;
        signal.map_err(|e| Failure::error(format!("waiting for Ctrl-C: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Accounts;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    /// The in-process API `sasl demo` uses: build from parts, spawn, talk, read the
    /// attempts, shut down.
    #[tokio::test]
    async fn in_process_server_from_parts() {
        let mut accounts = Accounts::default();
        accounts.add_password_account("alice:secret").unwrap();
        let issued = crate::tls::self_signed_server(&["localhost", "127.0.0.1"], 1).unwrap();
        let parts = DemoServerParts {
            accounts,
            tls_chain: issued.chain(),
            tls_key: issued.private_key().unwrap(),
            client_auth: crate::tls::ClientAuth::AnyKey,
            oauth: None,
            passkey: None,
            hostname: "localhost".to_owned(),
            listeners: vec![(Protocol::Imap, SocketAddr::from(([127, 0, 0, 1], 0)))],
            failure_delay: std::time::Duration::ZERO,
        };
        let server = spawn(ServerSetup::from_parts(parts).unwrap())
            .await
            .unwrap();
        let [(Protocol::Imap, address)] = server.addresses() else {
            panic!("one IMAP listener: {:?}", server.addresses());
        };
        assert_ne!(address.port(), 0);
        let socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let greeting = lines.next_line().await.unwrap().unwrap();
        assert!(greeting.contains("AUTH=SCRAM-SHA-256"), "{greeting}");
        assert!(!greeting.contains("AUTH=PLAIN"), "{greeting}");
        write
            .write_all(b"a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n")
            .await
            .unwrap();
        let reply = lines.next_line().await.unwrap().unwrap();
        assert!(reply.starts_with("a1 NO [PRIVACYREQUIRED]"), "{reply}");
        let attempts = server.attempts();
        let [attempt] = attempts.as_slice() else {
            panic!("one attempt: {attempts:?}");
        };
        assert_eq!(attempt.protocol, Protocol::Imap);
        assert_eq!(attempt.mechanism, "PLAIN");
        assert_eq!(attempt.outcome, Outcome::Failure);
        assert!(
            attempt
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("EncryptionRequired")
        );
        assert_eq!(attempt.identity, None);
        server.shutdown().await;
    }
}
