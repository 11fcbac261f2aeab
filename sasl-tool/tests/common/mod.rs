//! Shared by the `sasl serve` tests: start the real binary and parse its banner
//! ([`Server`]), talk raw protocol lines over TCP or rustls ([`Client`]), and log in
//! with a sasl-core client session over IMAP, SMTP or POP3 ([`login`]).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod oidc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use sasl_core::wire;
use sasl_core::{
    ChannelBinding, ClientCredentials, ClientRegistry, ClientStep, ConnectionInfo, ServerReply,
};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a test client waits for one line.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `sasl serve`; killed when dropped.
pub struct Server {
    child: Child,
    /// `imap`, `smtp`, ... → the bound address.
    pub addresses: HashMap<String, SocketAddr>,
    /// The generated certificate file, if one was generated.
    pub cert: Option<PathBuf>,
    /// The banner lines.
    pub banner: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `sasl serve ARGS` and waits for its `ready` line.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sasl"))
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sasl serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut banner = Vec::new();
        let mut addresses = HashMap::new();
        let mut cert = None;
        loop {
            let mut line = String::new();
            let n = stdout.read_line(&mut line).unwrap();
            if n == 0 {
                let _ = child.wait();
                panic!(
                    "sasl serve ended before `ready`: {banner:?}\nstderr: {}",
                    stderr.lock().unwrap()
                );
            }
            let line = line.trim_end().to_owned();
            if line == "ready" {
                break;
            }
            let mut words = line.split(' ');
            match (words.next(), words.next()) {
                (Some("certificate"), Some(path)) => cert = Some(PathBuf::from(path)),
                (Some(name), Some(addr)) => {
                    if let Ok(addr) = addr.parse::<SocketAddr>() {
                        addresses.insert(name.to_owned(), addr);
                    }
                }
                _ => {}
            }
            banner.push(line);
        }
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stdout.read_to_end(&mut sink);
        });
        Server {
            child,
            addresses,
            cert,
            banner,
            stderr,
        }
    }

    /// The address of the `name` listener (`imap`, `smtps`, ...).
    pub fn addr(&self, name: &str) -> SocketAddr {
        *self
            .addresses
            .get(name)
            .unwrap_or_else(|| panic!("no {name} listener in {:?}", self.banner))
    }

    /// The generated certificate.
    pub fn cert(&self) -> &Path {
        self.cert.as_deref().expect("a generated certificate")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until the log contains `needle` (up to 5 s).
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.log();
            if log.contains(needle) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A rustls client config trusting `cert` (the server's self-signed certificate),
/// optionally presenting a client certificate.
pub fn tls_config(cert: &Path, client: Option<(&Path, &Path)>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_file(key).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    Arc::new(config)
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// A line client over TCP or TLS.
pub struct Client {
    stream: Option<Stream>,
    pending: Vec<u8>,
    /// The channel bindings of the TLS connection (empty before TLS).
    pub bindings: Vec<ChannelBinding>,
}

impl Client {
    /// Connects in plain text.
    pub fn connect(addr: SocketAddr) -> Client {
        let socket = TcpStream::connect(addr).unwrap();
        socket.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        Client {
            stream: Some(Stream::Plain(socket)),
            pending: Vec::new(),
            bindings: Vec::new(),
        }
    }

    /// Connects with implicit TLS.
    pub fn connect_tls(addr: SocketAddr, config: Arc<ClientConfig>) -> Client {
        let mut client = Client::connect(addr);
        client.upgrade(config);
        client
    }

    /// Runs the TLS handshake on the connection (after STARTTLS was accepted).
    pub fn upgrade(&mut self, config: Arc<ClientConfig>) {
        assert!(self.pending.is_empty(), "unread data before TLS");
        let Some(Stream::Plain(socket)) = self.stream.take() else {
            panic!("not a plain connection");
        };
        let conn =
            ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
        let mut tls = StreamOwned::new(conn, socket);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock).expect("TLS handshake");
        }
        self.bindings = sasl_core::channel_binding::from_rustls_client(&tls.conn).unwrap();
        self.stream = Some(Stream::Tls(Box::new(tls)));
    }

    /// The connection as a client session sees it.
    pub fn info(&self) -> ConnectionInfo {
        if self.bindings.is_empty() {
            ConnectionInfo::plaintext().allow_plaintext_passwords(true)
        } else {
            ConnectionInfo::tls().with_channel_bindings(self.bindings.clone())
        }
    }

    /// A second handle on the plain-text socket (for writing from another thread).
    pub fn stream_clone(&self) -> TcpStream {
        match self.stream.as_ref() {
            Some(Stream::Plain(s)) => s.try_clone().unwrap(),
            _ => panic!("stream_clone needs a plain-text connection"),
        }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self.stream.as_mut() {
            Some(Stream::Plain(s)) => s.write_all(data).and_then(|()| s.flush()),
            Some(Stream::Tls(s)) => s.write_all(data).and_then(|()| s.flush()),
            None => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }

    /// Sends one line and CRLF.
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes())
            .expect("send");
    }

    /// The next line without CRLF; `None` at end of input (or on a reset).
    pub fn recv(&mut self) -> Option<String> {
        loop {
            if let Some(at) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=at).collect();
                let text = String::from_utf8_lossy(&line);
                return Some(text.trim_end_matches(['\r', '\n']).to_owned());
            }
            let mut buf = [0u8; 4096];
            let n = match self.stream.as_mut() {
                Some(Stream::Plain(s)) => s.read(&mut buf),
                Some(Stream::Tls(s)) => s.read(&mut buf),
                None => return None,
            };
            match n {
                Ok(0) => return None,
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    panic!(
                        "read timed out; pending {:?}",
                        String::from_utf8_lossy(&self.pending)
                    )
                }
                Err(_) => return None,
            }
        }
    }

    /// Reads lines until one satisfies `last`; returns all of them.
    pub fn recv_until(&mut self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.recv().unwrap_or_else(|| panic!("EOF after {lines:?}"));
            let done = last(&line);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Sends a command and reads the reply: IMAP up to the tagged line, SMTP up to
    /// the last line of a multiline reply, POP3 one line (or a dot-terminated list
    /// if `multiline`).
    pub fn imap(&mut self, tag: &str, command: &str) -> Vec<String> {
        self.send(&format!("{tag} {command}"));
        let prefix = format!("{tag} ");
        self.recv_until(|l| l.starts_with(&prefix))
    }

    /// An SMTP command and its (possibly multiline) reply.
    pub fn smtp(&mut self, command: &str) -> Vec<String> {
        self.send(command);
        self.smtp_reply()
    }

    /// Reads one (possibly multiline) SMTP reply.
    pub fn smtp_reply(&mut self) -> Vec<String> {
        self.recv_until(|l| l.len() < 4 || l.as_bytes()[3] == b' ')
    }

    /// A POP3 command and its single-line reply.
    pub fn pop3(&mut self, command: &str) -> String {
        self.send(command);
        self.recv().expect("a POP3 reply")
    }

    /// A POP3 command with a multiline reply (`+OK` ... `.`), or the `-ERR` line.
    pub fn pop3_multi(&mut self, command: &str) -> Vec<String> {
        self.send(command);
        let first = self.recv().expect("a POP3 reply");
        if !first.starts_with("+OK") {
            return vec![first];
        }
        let mut lines = vec![first];
        lines.extend(self.recv_until(|l| l == "."));
        lines
    }
}

/// The protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// IMAP.
    Imap,
    /// SMTP.
    Smtp,
    /// POP3.
    Pop3,
}

/// Reads the greeting and gets to the point where AUTH may be sent: for SMTP, EHLO;
/// with `starttls`, the upgrade (and EHLO again). Returns the mechanisms advertised.
pub fn prepare(
    client: &mut Client,
    proto: Proto,
    starttls: Option<Arc<ClientConfig>>,
) -> Vec<String> {
    let greeting = client.recv().expect("greeting");
    match proto {
        Proto::Imap => assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}"),
        Proto::Smtp => assert!(greeting.starts_with("220 "), "{greeting}"),
        Proto::Pop3 => assert!(greeting.starts_with("+OK"), "{greeting}"),
    }
    if proto == Proto::Smtp {
        client.smtp("EHLO test.example");
    }
    if let Some(config) = starttls {
        match proto {
            Proto::Imap => {
                let reply = client.imap("s1", "STARTTLS");
                assert!(reply.last().unwrap().starts_with("s1 OK"), "{reply:?}");
            }
            Proto::Smtp => {
                let reply = client.smtp("STARTTLS");
                assert!(reply[0].starts_with("220 "), "{reply:?}");
            }
            Proto::Pop3 => {
                let reply = client.pop3("STLS");
                assert!(reply.starts_with("+OK"), "{reply}");
            }
        }
        client.upgrade(config);
        if proto == Proto::Smtp {
            client.smtp("EHLO test.example");
        }
    }
    mechanisms(client, proto)
}

/// The mechanisms the server advertises now (CAPABILITY / EHLO / CAPA).
pub fn mechanisms(client: &mut Client, proto: Proto) -> Vec<String> {
    match proto {
        Proto::Imap => client
            .imap("c1", "CAPABILITY")
            .iter()
            .filter(|l| l.starts_with("* CAPABILITY "))
            .flat_map(|l| {
                l.split(' ')
                    .filter_map(|w| w.strip_prefix("AUTH="))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect(),
        Proto::Smtp => client
            .smtp("EHLO test.example")
            .iter()
            .filter_map(|l| l.get(4..).and_then(|rest| rest.strip_prefix("AUTH ")))
            .flat_map(|rest| rest.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .collect(),
        Proto::Pop3 => client
            .pop3_multi("CAPA")
            .iter()
            .filter_map(|l| l.strip_prefix("SASL "))
            .flat_map(|rest| rest.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .collect(),
    }
}

/// How a login went.
#[derive(Debug)]
pub struct LoginResult {
    /// The client session is satisfied (for SCRAM: the server proved itself).
    pub authenticated: bool,
    /// The server's final reply line.
    pub reply: String,
    /// How many continuations the server sent.
    pub challenges: usize,
}

fn client_registry() -> ClientRegistry {
    ClientRegistry::new()
        .with(sasl_plain::PlainClient::factory())
        .with(sasl_plain::LoginClient::factory())
        .with_all(sasl_scram::client_factories(
            sasl_scram::ScramClientConfig::new(),
        ))
}

/// Logs in with `mechanism` as `user`/`password` (AUTH with SASL-IR when the
/// mechanism has an initial response), answering continuations with a sasl-core
/// client session.
pub fn login(
    client: &mut Client,
    proto: Proto,
    advertised: &[String],
    mechanism: &str,
    user: &str,
    password: &str,
) -> LoginResult {
    let credentials = ClientCredentials::new(user).with_password(password);
    let mut session = client_registry()
        .start(mechanism, advertised, credentials, &client.info())
        .unwrap_or_else(|e| panic!("starting {mechanism} against {advertised:?}: {e}"));
    let initial = match session.start().unwrap() {
        ClientStep::Respond(data) => Some(wire::encode_initial_response(data.expose())),
        ClientStep::AwaitChallenge => None,
        other => panic!("unexpected first step {other:?}"),
    };
    let command = match (proto, &initial) {
        (Proto::Imap, Some(ir)) => format!("a1 AUTHENTICATE {mechanism} {ir}"),
        (Proto::Imap, None) => format!("a1 AUTHENTICATE {mechanism}"),
        (_, Some(ir)) => format!("AUTH {mechanism} {ir}"),
        (_, None) => format!("AUTH {mechanism}"),
    };
    client.send(&command);
    let mut challenges = 0;
    loop {
        let line = client.recv().expect("a reply during AUTH");
        let continuation = match proto {
            Proto::Imap | Proto::Pop3 => {
                line.strip_prefix("+ ")
                    .or(if line == "+" { Some("") } else { None })
            }
            Proto::Smtp => {
                line.strip_prefix("334 ")
                    .or(if line == "334" { Some("") } else { None })
            }
        };
        // POP3's "+OK" is not a continuation.
        let continuation = continuation.filter(|_| !line.starts_with("+OK"));
        if let Some(data) = continuation {
            challenges += 1;
            let challenge = wire::decode_challenge(data.as_bytes()).expect("base64 challenge");
            match session.step(&challenge).unwrap() {
                ClientStep::Respond(data) => client.send(&wire::encode_response(data.expose())),
                ClientStep::Abort(failure) => {
                    client.send("*");
                    let _ = failure;
                }
                other => panic!("unexpected step {other:?}"),
            }
            continue;
        }
        let reply = match proto {
            Proto::Imap => ServerReply::from_imap("a1", &line),
            Proto::Smtp => ServerReply::from_smtp(&line),
            Proto::Pop3 => ServerReply::from_pop3(&line),
        }
        .unwrap_or_else(ServerReply::failure);
        let outcome = session.finish(reply).unwrap();
        return LoginResult {
            authenticated: outcome.is_authenticated(),
            reply: line,
            challenges,
        };
    }
}

/// The arguments every test server gets: an account, no failure delay.
pub const BASE_ARGS: [&str; 4] = ["--account", "alice:secret", "--failure-delay", "0"];

/// Runs `sasl ARGS` with `env` added, stdin empty.
pub fn sasl_with_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sasl"));
    command
        .args(args)
        .stdin(Stdio::null())
        .env_remove("SASL_PASSWORD");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run sasl")
}

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
pub struct Noise(pub u64);

impl Noise {
    /// The next 64 bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// `len` random bytes, never CR or LF.
    pub fn line_bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| match self.next() as u8 {
                b'\r' | b'\n' => b'?',
                b => b,
            })
            .collect()
    }

    /// `len` random printable characters without a space.
    pub fn printable(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'!' + (self.next() % 94) as u8))
            .collect()
    }
}

/// A fresh scratch directory for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sasl-tool-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
