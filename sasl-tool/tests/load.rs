//! A load and abuse test of `sasl serve` on loopback. Ignored by default: it opens
//! over a thousand connections at once (about 6 s on 2 cores, most of it the 5 s
//! slow-loris phase). Run it on the release build, with enough open files for the
//! test and the server (each needs one per connection):
//!
//! ```sh
//! ulimit -n 4096 && cargo test --release -p sasl-tool --test load -- --ignored --nocapture
//! ```
//!
//! It starts the binary as `sasl serve --imap 127.0.0.1:0 --account alice:...
//! --account bob:... --failure-delay 0 --max-connections 1100 --timeout 5` and runs,
//! one phase after the other:
//!
//! 1. **Login storm**: 1,000 client threads released together (a barrier), each
//!    connecting and doing one SCRAM-SHA-256 `AUTHENTICATE` with SASL-IR in plain text
//!    (SCRAM is offered before TLS), answered by a sasl-core client session: 80 %
//!    good credentials, 10 % a wrong password, 10 % an unknown user. Then a smaller
//!    batch of 100 over STARTTLS with SCRAM-SHA-256-PLUS.
//! 2. **Abuse**, all at once, while four clients keep logging in: 50 slow-loris
//!    connections sending one byte a second without a line end (half at the command
//!    prompt, half inside an exchange); 20 lines of 1 MiB without a line end (a
//!    command, an `AUTHENTICATE` initial response, a continuation); 40 connections
//!    putting garbage into `AUTHENTICATE` (non-base64 bytes, random base64, a junk
//!    initial response, a junk client-final message), four attempts each; 40
//!    connections dropped mid-exchange (before the greeting, after the
//!    `AUTHENTICATE` line, after client-first, after client-final, in half a line).
//! 3. **The end**: a normal login and a wrong password, on the same server.
//!
//! It prints logins per second, the connections the kernel dropped from a full accept
//! queue (`ListenOverflows`; each costs its client a one-second retry), the latency of
//! a login (connect to the tagged reply) at p50, p99 and max, the server's peak RSS
//! (`VmHWM` from `/proc/PID/status`) and its RSS and open files at the start and the
//! end, and how long it ran. It fails unless no connection of the storm was dropped
//! from the accept queue, every good login succeeded (the server proved itself to the
//! client too), every bad one got `NO [AUTHENTICATIONFAILED]`, no client waited past
//! its own deadline (the server's timeout + 5 s), every slow-loris connection was
//! closed with `* BYE` within the timeout + 2 s, every oversized line got `* BYE
//! [TOOBIG]`, every garbage attempt got a tagged `BAD` or `NO` (never `SERVERBUG`) and
//! the connection went on answering, the server logged no panic, closed every
//! connection (its open files back to where they started) and still runs and serves a
//! login at the end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Noise, Server, tls_config};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use sasl_core::wire;
use sasl_core::{
    ChannelBinding, ClientCredentials, ClientRegistry, ClientSession, ClientStep, ConnectionInfo,
    ServerReply,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Logins in the storm, all started together.
const LOGINS: usize = 1000;
/// Logins in the STARTTLS batch.
const TLS_LOGINS: usize = 100;
/// Slow-loris connections.
const LORIS: usize = 50;
/// Connections sending a 1 MiB line.
const OVERSIZED: usize = 20;
/// The size of such a line.
const OVERSIZED_BYTES: usize = 1024 * 1024;
/// Connections sending garbage in AUTHENTICATE.
const GARBAGE: usize = 40;
/// Garbage attempts per connection (fewer than the server's 5 failures a connection).
const GARBAGE_ROUNDS: usize = 4;
/// Connections dropped mid-exchange.
const DROPPED: usize = 40;
/// Clients logging in over and over during the abuse.
const BYSTANDERS: usize = 4;
/// The server's `--timeout`, seconds.
const SERVER_TIMEOUT: u64 = 5;
/// The server's `--max-connections`.
const MAX_CONNECTIONS: usize = 1100;
/// How long any one client waits for the server, all told: past it, the server hung.
const CLIENT_DEADLINE: Duration = Duration::from_secs(SERVER_TIMEOUT + 5);
/// How late after the timeout a slow-loris connection may be closed.
const LORIS_MARGIN: Duration = Duration::from_secs(2);
/// The stack of each client thread (a thousand of them).
const STACK: usize = 512 * 1024;
/// The accounts.
const ACCOUNTS: [(&str, &str); 2] = [("alice", "alice-load-pw"), ("bob", "bob-load-pw")];

// ---------------------------------------------------------------------------------
// A client connection with one deadline for everything it waits on.

/// Why a client gave up.
#[derive(Debug)]
enum Fail {
    /// Its deadline passed while it waited on the server.
    Hung(String),
    /// Anything else: a reset, an unexpected reply, a TLS error.
    Broken(String),
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Hung(what) => write!(f, "hung: {what}"),
            Fail::Broken(what) => write!(f, "{what}"),
        }
    }
}

fn broken(what: impl std::fmt::Display) -> Fail {
    Fail::Broken(what.to_string())
}

enum Link {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// What a bounded read found.
enum Got {
    /// A line, without its line end.
    Line(String),
    /// The server closed the connection (or reset it).
    Closed,
    /// Nothing within the wait asked for (the deadline has not passed).
    Quiet,
}

/// A line client whose every wait ends at one deadline.
struct Conn {
    link: Link,
    pending: Vec<u8>,
    deadline: Instant,
    bindings: Vec<ChannelBinding>,
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

impl Conn {
    /// Connects in plain text; everything must be over by `deadline`.
    fn connect(addr: SocketAddr, deadline: Instant) -> Result<Conn, Fail> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Fail::Hung("before connecting".into()));
        }
        let socket = TcpStream::connect_timeout(&addr, left).map_err(|e| {
            if is_timeout(&e) {
                Fail::Hung(format!("connecting: {e}"))
            } else {
                broken(format!("connecting: {e}"))
            }
        })?;
        let _ = socket.set_nodelay(true);
        Ok(Conn {
            link: Link::Plain(socket),
            pending: Vec::new(),
            deadline,
            bindings: Vec::new(),
        })
    }

    fn socket(&self) -> &TcpStream {
        match &self.link {
            Link::Plain(s) => s,
            Link::Tls(s) => &s.sock,
        }
    }

    /// Bounds the socket's next waits by `until` (and the deadline).
    fn arm(&self, until: Instant, doing: &str) -> Result<(), Fail> {
        let left = until
            .min(self.deadline)
            .saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Fail::Hung(doing.to_owned()));
        }
        let socket = self.socket();
        socket.set_read_timeout(Some(left)).map_err(broken)?;
        socket.set_write_timeout(Some(left)).map_err(broken)?;
        Ok(())
    }

    /// Sends raw bytes.
    fn send_raw(&mut self, data: &[u8]) -> Result<(), Fail> {
        self.arm(self.deadline, "sending")?;
        let result = match &mut self.link {
            Link::Plain(s) => s.write_all(data).and_then(|()| s.flush()),
            Link::Tls(s) => s.write_all(data).and_then(|()| s.flush()),
        };
        result.map_err(|e| {
            if is_timeout(&e) {
                Fail::Hung(format!("sending: {e}"))
            } else {
                broken(format!("sending: {e}"))
            }
        })
    }

    /// Sends one line and CRLF.
    fn send(&mut self, line: &str) -> Result<(), Fail> {
        self.send_raw(format!("{line}\r\n").as_bytes())
    }

    /// The next line, if one comes within `wait`.
    fn poll(&mut self, wait: Duration) -> Result<Got, Fail> {
        let until = Instant::now() + wait;
        loop {
            if let Some(at) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=at).collect();
                let text = String::from_utf8_lossy(&line);
                return Ok(Got::Line(text.trim_end_matches(['\r', '\n']).to_owned()));
            }
            if Instant::now() >= until && until < self.deadline {
                return Ok(Got::Quiet);
            }
            self.arm(until, "waiting for a line")?;
            let mut buffer = [0u8; 16 * 1024];
            let n = match &mut self.link {
                Link::Plain(s) => s.read(&mut buffer),
                Link::Tls(s) => s.read(&mut buffer),
            };
            match n {
                Ok(0) => return Ok(Got::Closed),
                Ok(n) => self.pending.extend_from_slice(&buffer[..n]),
                Err(e) if is_timeout(&e) => {
                    if until < self.deadline {
                        return Ok(Got::Quiet);
                    }
                    return Err(Fail::Hung(format!(
                        "waiting for a line; got {:?}",
                        String::from_utf8_lossy(&self.pending)
                    )));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Ok(Got::Closed),
            }
        }
    }

    /// The next line; `None` when the server closed the connection.
    fn recv(&mut self) -> Result<Option<String>, Fail> {
        match self.poll(CLIENT_DEADLINE)? {
            Got::Line(line) => Ok(Some(line)),
            Got::Closed => Ok(None),
            Got::Quiet => Err(Fail::Hung("waiting for a line".into())),
        }
    }

    /// The next line; the connection closing is an error.
    fn line(&mut self) -> Result<String, Fail> {
        self.recv()?
            .ok_or_else(|| broken("the server closed the connection"))
    }

    /// Reads up to the line tagged `tag`.
    fn tagged(&mut self, tag: &str) -> Result<String, Fail> {
        let prefix = format!("{tag} ");
        loop {
            let line = self.line()?;
            if line.starts_with(&prefix) {
                return Ok(line);
            }
        }
    }

    /// `STARTTLS` and the handshake; returns the mechanisms advertised over TLS.
    fn starttls(&mut self, config: Arc<ClientConfig>) -> Result<Vec<String>, Fail> {
        self.send("s1 STARTTLS")?;
        let reply = self.tagged("s1")?;
        if !reply.starts_with("s1 OK") {
            return Err(broken(format!("STARTTLS refused: {reply}")));
        }
        let socket = match &self.link {
            Link::Plain(s) => s.try_clone().map_err(broken)?,
            Link::Tls(_) => return Err(broken("TLS twice")),
        };
        let conn = ClientConnection::new(config, ServerName::try_from("localhost").unwrap())
            .map_err(broken)?;
        let mut tls = StreamOwned::new(conn, socket);
        self.arm(self.deadline, "TLS handshake")?;
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock).map_err(|e| {
                if is_timeout(&e) {
                    Fail::Hung(format!("TLS handshake: {e}"))
                } else {
                    broken(format!("TLS handshake: {e}"))
                }
            })?;
        }
        self.bindings =
            sasl_core::channel_binding::from_rustls_client(&tls.conn).map_err(broken)?;
        self.link = Link::Tls(Box::new(tls));
        self.send("c1 CAPABILITY")?;
        let mut advertised = Vec::new();
        loop {
            let line = self.line()?;
            if line.starts_with("* CAPABILITY ") {
                advertised = auth_mechanisms(&line);
            }
            if line.starts_with("c1 ") {
                return Ok(advertised);
            }
        }
    }

    /// The connection as a client session sees it.
    fn info(&self) -> ConnectionInfo {
        if self.bindings.is_empty() {
            ConnectionInfo::plaintext()
        } else {
            ConnectionInfo::tls().with_channel_bindings(self.bindings.clone())
        }
    }

    /// A second handle on the socket (plain text only), for a writer thread.
    fn writer(&self) -> TcpStream {
        match &self.link {
            Link::Plain(s) => s.try_clone().unwrap(),
            Link::Tls(_) => panic!("a writer on a TLS connection"),
        }
    }
}

/// The `AUTH=` mechanisms of a greeting or CAPABILITY line.
fn auth_mechanisms(line: &str) -> Vec<String> {
    line.split(' ')
        .filter_map(|w| w.strip_prefix("AUTH="))
        .map(|m| m.trim_end_matches(']').to_owned())
        .collect()
}

/// Connects and reads the greeting; returns the mechanisms it advertises.
fn greeted(addr: SocketAddr, deadline: Instant) -> Result<(Conn, Vec<String>), Fail> {
    let mut conn = Conn::connect(addr, deadline)?;
    let greeting = conn.line()?;
    if !greeting.starts_with("* OK [CAPABILITY ") {
        return Err(broken(format!("greeting: {greeting}")));
    }
    let advertised = auth_mechanisms(&greeting);
    Ok((conn, advertised))
}

// ---------------------------------------------------------------------------------
// Logins.

fn client_registry() -> ClientRegistry {
    ClientRegistry::new().with_all(sasl_scram::client_factories(
        sasl_scram::ScramClientConfig::new(),
    ))
}

/// A SCRAM client session, and the `AUTHENTICATE` line with its initial response.
fn start_scram(
    conn: &Conn,
    tag: &str,
    mechanism: &str,
    advertised: &[String],
    user: &str,
    password: &str,
) -> Result<(ClientSession, String), Fail> {
    let credentials = ClientCredentials::new(user).with_password(password);
    let mut session = client_registry()
        .start(mechanism, advertised, credentials, &conn.info())
        .map_err(|e| broken(format!("starting {mechanism} against {advertised:?}: {e}")))?;
    match session.start().map_err(broken)? {
        ClientStep::Respond(data) => {
            let ir = wire::encode_initial_response(data.expose());
            Ok((session, format!("{tag} AUTHENTICATE {mechanism} {ir}")))
        }
        other => Err(broken(format!("unexpected first step {other:?}"))),
    }
}

/// How one login ended.
#[derive(Debug)]
struct Login {
    /// The client session is satisfied: the server said OK and proved itself.
    authenticated: bool,
    /// The tagged reply.
    reply: String,
}

/// One `AUTHENTICATE` exchange with SASL-IR, continuations answered by the session.
fn login(
    conn: &mut Conn,
    mechanism: &str,
    advertised: &[String],
    user: &str,
    password: &str,
) -> Result<Login, Fail> {
    let (mut session, command) = start_scram(conn, "a1", mechanism, advertised, user, password)?;
    conn.send(&command)?;
    loop {
        let line = conn.line()?;
        let continuation = line
            .strip_prefix("+ ")
            .or(if line == "+" { Some("") } else { None });
        if let Some(data) = continuation {
            let challenge = wire::decode_challenge(data.as_bytes()).map_err(broken)?;
            match session.step(&challenge).map_err(broken)? {
                ClientStep::Respond(data) => conn.send(&wire::encode_response(data.expose()))?,
                ClientStep::Abort(failure) => {
                    conn.send("*")?;
                    let _ = failure;
                }
                other => return Err(broken(format!("unexpected step {other:?}"))),
            }
            continue;
        }
        if !line.starts_with("a1 ") {
            continue;
        }
        let reply = ServerReply::from_imap("a1", &line).unwrap_or_else(ServerReply::failure);
        let outcome = session.finish(reply).map_err(broken)?;
        return Ok(Login {
            authenticated: outcome.is_authenticated(),
            reply: line,
        });
    }
}

/// What credentials a login uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Good,
    WrongPassword,
    UnknownUser,
}

/// Login `i`'s credentials: 80 % good, 10 % a wrong password, 10 % an unknown user.
fn credentials(i: usize) -> (Kind, String, String) {
    let (user, password) = ACCOUNTS[i % 2];
    match i % 10 {
        3 => (
            Kind::WrongPassword,
            user.to_owned(),
            format!("{password}-wrong"),
        ),
        8 => (
            Kind::UnknownUser,
            format!("mallory{i}"),
            password.to_owned(),
        ),
        _ => (Kind::Good, user.to_owned(), password.to_owned()),
    }
}

/// One timed login.
struct Attempt {
    kind: Kind,
    latency: Duration,
    result: Result<Login, Fail>,
}

impl Attempt {
    /// Whether it ended as its credentials say it must.
    fn as_expected(&self) -> bool {
        match (&self.result, self.kind) {
            (Ok(login), Kind::Good) => login.authenticated && login.reply.starts_with("a1 OK"),
            (Ok(login), _) => {
                !login.authenticated && login.reply.starts_with("a1 NO [AUTHENTICATIONFAILED]")
            }
            (Err(_), _) => false,
        }
    }

    fn hung(&self) -> bool {
        matches!(self.result, Err(Fail::Hung(_)))
    }

    fn describe(&self) -> String {
        match &self.result {
            Ok(login) => format!("{:?}: {}", self.kind, login.reply),
            Err(e) => format!("{:?}: {e}", self.kind),
        }
    }
}

/// Connects, (with `tls`, upgrades and uses SCRAM-SHA-256-PLUS), logs in, and times it
/// from the connect to the tagged reply.
fn timed_login(
    addr: SocketAddr,
    kind: Kind,
    user: &str,
    password: &str,
    tls: Option<Arc<ClientConfig>>,
) -> Attempt {
    let started = Instant::now();
    let result = (|| {
        let (mut conn, mut advertised) = greeted(addr, started + CLIENT_DEADLINE)?;
        let mechanism = match tls {
            Some(config) => {
                advertised = conn.starttls(config)?;
                "SCRAM-SHA-256-PLUS"
            }
            None => "SCRAM-SHA-256",
        };
        login(&mut conn, mechanism, &advertised, user, password)
    })();
    Attempt {
        kind,
        latency: started.elapsed(),
        result,
    }
}

/// `count` logins started together; returns them and the wall time from the release.
fn storm(
    addr: SocketAddr,
    count: usize,
    tls: Option<Arc<ClientConfig>>,
) -> (Vec<Attempt>, Duration) {
    let barrier = Arc::new(Barrier::new(count + 1));
    let threads: Vec<JoinHandle<Attempt>> = (0..count)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let tls = tls.clone();
            std::thread::Builder::new()
                .name(format!("login-{i}"))
                .stack_size(STACK)
                .spawn(move || {
                    let (kind, user, password) = credentials(i);
                    barrier.wait();
                    timed_login(addr, kind, &user, &password, tls)
                })
                .expect("a client thread")
        })
        .collect();
    barrier.wait();
    let released = Instant::now();
    let attempts: Vec<Attempt> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    (attempts, released.elapsed())
}

/// The `p` quantile (0..=1) of sorted durations.
fn quantile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Summarizes a batch of logins into the report, and its problems into `problems`.
fn summarize(
    name: &str,
    attempts: &[Attempt],
    wall: Duration,
    report: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let mut latencies: Vec<Duration> = attempts.iter().map(|a| a.latency).collect();
    latencies.sort();
    let good = attempts.iter().filter(|a| a.kind == Kind::Good).count();
    let good_ok = attempts
        .iter()
        .filter(|a| a.kind == Kind::Good && a.as_expected())
        .count();
    let bad = attempts.len() - good;
    let bad_ok = attempts
        .iter()
        .filter(|a| a.kind != Kind::Good && a.as_expected())
        .count();
    let hung = attempts.iter().filter(|a| a.hung()).count();
    report.push(format!(
        "{name}: {} logins in {:.2} s = {:.0} logins/s; latency p50 {} p99 {} max {}",
        attempts.len(),
        wall.as_secs_f64(),
        attempts.len() as f64 / wall.as_secs_f64(),
        ms(quantile(&latencies, 0.5)),
        ms(quantile(&latencies, 0.99)),
        ms(quantile(&latencies, 1.0)),
    ));
    report.push(format!(
        "  good {good_ok}/{good} authenticated; bad {bad_ok}/{bad} NO [AUTHENTICATIONFAILED]; hung {hung}"
    ));
    let wrong: Vec<String> = attempts
        .iter()
        .filter(|a| !a.as_expected())
        .map(Attempt::describe)
        .collect();
    if !wrong.is_empty() {
        problems.push(format!(
            "{name}: {} logins not as expected, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        ));
    }
}

// ---------------------------------------------------------------------------------
// Abuse.

/// A slow-loris connection: one byte a second, never a line end, at the command
/// prompt or (with `inside`) inside an exchange. Returns how long after its last
/// complete line the server closed it, and its last words.
fn slow_loris(addr: SocketAddr, inside: bool) -> Result<(Duration, Option<String>), Fail> {
    let (mut conn, _) = greeted(addr, Instant::now() + CLIENT_DEADLINE)?;
    if inside {
        conn.send("l1 AUTHENTICATE SCRAM-SHA-256")?;
        let line = conn.line()?;
        if line.trim_end() != "+" {
            return Err(broken(format!("expected an empty continuation: {line}")));
        }
    }
    let waiting = Instant::now();
    let mut last = None;
    loop {
        // The server may close while a byte is on its way: not an error here.
        let _ = conn.send_raw(b"x");
        match conn.poll(Duration::from_secs(1))? {
            Got::Line(line) => last = Some(line),
            Got::Closed => return Ok((waiting.elapsed(), last)),
            Got::Quiet => {}
        }
    }
}

/// A 1 MiB line without a line end: a command (`kind` 0), an AUTHENTICATE initial
/// response (1) or a continuation (2). Returns the lines the server sent before
/// closing, and how much of the line got out before it closed.
fn oversized(addr: SocketAddr, kind: usize) -> Result<(Vec<String>, usize), Fail> {
    let (mut conn, _) = greeted(addr, Instant::now() + CLIENT_DEADLINE)?;
    let prefix: &[u8] = match kind {
        0 => b"o1 NOOP ",
        1 => b"o1 AUTHENTICATE SCRAM-SHA-256 ",
        _ => {
            conn.send("o1 AUTHENTICATE SCRAM-SHA-256")?;
            conn.line()?;
            b""
        }
    };
    let mut writer = conn.writer();
    writer.set_write_timeout(Some(CLIENT_DEADLINE)).unwrap();
    let line: Vec<u8> = prefix
        .iter()
        .copied()
        .chain(std::iter::repeat(b'A'))
        .take(OVERSIZED_BYTES)
        .collect();
    let sender = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let mut sent = 0;
            for chunk in line.chunks(64 * 1024) {
                if writer.write_all(chunk).is_err() {
                    break;
                }
                sent += chunk.len();
            }
            sent
        })
        .unwrap();
    let mut lines = Vec::new();
    while let Some(line) = conn.recv()? {
        lines.push(line);
    }
    Ok((lines, sender.join().unwrap()))
}

/// Garbage in `AUTHENTICATE`, four attempts on one connection, then a NOOP that must
/// still be answered. Returns the tagged replies (without the tags).
fn garbage(addr: SocketAddr, seed: u64) -> Result<Vec<String>, Fail> {
    let mut noise = Noise(seed);
    let (mut conn, advertised) = greeted(addr, Instant::now() + CLIENT_DEADLINE)?;
    let mut replies = Vec::new();
    for round in 0..GARBAGE_ROUNDS {
        let tag = format!("g{round}");
        let len = 1 + (noise.next() % 600) as usize;
        match (seed as usize + round) % 4 {
            // Not base64 as client-first.
            0 | 1 => {
                conn.send(&format!("{tag} AUTHENTICATE SCRAM-SHA-256"))?;
                let line = conn.line()?;
                if !line.starts_with('+') {
                    return Err(broken(format!("expected a continuation: {line}")));
                }
                let mut junk = if round % 2 == 0 {
                    let mut bytes = noise.line_bytes(len);
                    bytes[0] = b'!';
                    bytes
                } else {
                    // Random bytes in good base64.
                    wire::encode_response(&noise.line_bytes(len)).into_bytes()
                };
                junk.extend_from_slice(b"\r\n");
                conn.send_raw(&junk)?;
            }
            // A junk initial response.
            2 => conn.send(&format!(
                "{tag} AUTHENTICATE SCRAM-SHA-256 !{}",
                noise.printable(len)
            ))?,
            // A real client-first, then a junk client-final.
            _ => {
                let (_session, command) = start_scram(
                    &conn,
                    &tag,
                    "SCRAM-SHA-256",
                    &advertised,
                    "alice",
                    "whatever",
                )?;
                conn.send(&command)?;
                let line = conn.line()?;
                if !line.starts_with("+ ") {
                    return Err(broken(format!("expected server-first: {line}")));
                }
                conn.send(&wire::encode_response(&noise.line_bytes(len)))?;
            }
        }
        // Should the server ask for more, cancel.
        let prefix = format!("{tag} ");
        loop {
            let line = conn.line()?;
            if let Some(reply) = line.strip_prefix(&prefix) {
                replies.push(reply.to_owned());
                break;
            }
            if line.starts_with('+') {
                conn.send("*")?;
            }
        }
    }
    conn.send("gz NOOP")?;
    let reply = conn.tagged("gz")?;
    if !reply.starts_with("gz OK") {
        return Err(broken(format!("NOOP after the garbage: {reply}")));
    }
    Ok(replies)
}

/// A connection dropped: before the greeting (`kind` 0), after the AUTHENTICATE line
/// (1), after client-first (2), after client-final without reading the outcome (3),
/// in the middle of a line (4).
fn dropped(addr: SocketAddr, kind: usize) -> Result<(), Fail> {
    let deadline = Instant::now() + CLIENT_DEADLINE;
    if kind == 0 {
        drop(Conn::connect(addr, deadline)?);
        return Ok(());
    }
    let (mut conn, advertised) = greeted(addr, deadline)?;
    match kind {
        1 => {
            conn.send("d1 AUTHENTICATE SCRAM-SHA-256")?;
            conn.line()?;
        }
        2 | 3 => {
            let (mut session, command) = start_scram(
                &conn,
                "d1",
                "SCRAM-SHA-256",
                &advertised,
                "bob",
                "bob-load-pw",
            )?;
            conn.send(&command)?;
            let line = conn.line()?;
            if kind == 3 {
                let data = line.strip_prefix("+ ").ok_or_else(|| broken(&line))?;
                let challenge = wire::decode_challenge(data.as_bytes()).map_err(broken)?;
                if let ClientStep::Respond(data) = session.step(&challenge).map_err(broken)? {
                    conn.send(&wire::encode_response(data.expose()))?;
                }
            }
        }
        _ => conn.send_raw(b"d1 AUTHENT")?,
    }
    drop(conn);
    Ok(())
}

fn spawn<T: Send + 'static>(name: String, f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    std::thread::Builder::new()
        .name(name)
        .stack_size(STACK)
        .spawn(f)
        .expect("a client thread")
}

// ---------------------------------------------------------------------------------
// The server process, from /proc.

/// A `kB` field of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// How many files the process has open.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(Iterator::count)
        .unwrap_or(0)
}

/// The kernel's count of connections dropped because a listen queue was full
/// (`TcpExt: ListenOverflows` in `/proc/net/netstat`, all sockets of the machine).
fn listen_overflows() -> u64 {
    let netstat = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let lines: Vec<&str> = netstat
        .lines()
        .filter(|l| l.starts_with("TcpExt:"))
        .collect();
    let [names, values, ..] = lines.as_slice() else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == "ListenOverflows")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
}

/// This process's soft open-file limit (`None` where `/proc` does not say).
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        return Some(u64::MAX);
    }
    soft.parse().ok()
}

// ---------------------------------------------------------------------------------

#[test]
#[ignore = "a load test: over a thousand connections at once; see the module docs"]
fn load_and_abuse() {
    let began = Instant::now();
    // Each side holds one file per connection, the server up to its cap.
    let needed = (MAX_CONNECTIONS + 200) as u64;
    let limit = open_file_limit().unwrap_or(u64::MAX);
    assert!(
        limit >= needed,
        "the open-file limit is {limit}, this test needs at least {needed}: run it as \
         `ulimit -n 4096 && cargo test --release -p sasl-tool --test load -- --ignored --nocapture`"
    );
    if cfg!(debug_assertions) {
        println!(
            "note: a debug build; the figures mean little and clients may miss their deadlines (use --release)"
        );
    }

    let account_args: Vec<String> = ACCOUNTS.iter().map(|(u, p)| format!("{u}:{p}")).collect();
    let max_connections = MAX_CONNECTIONS.to_string();
    let timeout = SERVER_TIMEOUT.to_string();
    let mut args = vec!["--imap", "127.0.0.1:0"];
    for account in &account_args {
        args.extend(["--account", account.as_str()]);
    }
    args.extend([
        "--failure-delay",
        "0",
        "--max-connections",
        &max_connections,
        "--timeout",
        &timeout,
    ]);
    let mut server = Server::start(&args);
    let addr = server.addr("imap");
    let pid = server.pid();
    let tls = tls_config(server.cert(), None);
    let rss_start = status_kib(pid, "VmRSS:");
    let files_start = open_files(pid);
    let mut report = Vec::new();
    let mut problems = Vec::new();

    // 1. The login storm, then the TLS batch.
    let overflows_before = listen_overflows();
    let (attempts, wall) = storm(addr, LOGINS, None);
    let overflows = listen_overflows().saturating_sub(overflows_before);
    summarize(
        "login storm (plain text, SCRAM-SHA-256)",
        &attempts,
        wall,
        &mut report,
        &mut problems,
    );
    // A dropped SYN costs its client a second (the retry): the server's accept queue
    // must hold the whole burst (up to net.core.somaxconn).
    report.push(format!(
        "  connections dropped by a full accept queue during the storm: {overflows}"
    ));
    if overflows > 0 {
        problems.push(format!(
            "{overflows} connections of the storm were dropped by a full accept queue \
             (net.core.somaxconn is {})",
            std::fs::read_to_string("/proc/sys/net/core/somaxconn")
                .unwrap_or_default()
                .trim()
        ));
    }
    let hwm_storm = status_kib(pid, "VmHWM:");
    let (attempts, wall) = storm(addr, TLS_LOGINS, Some(Arc::clone(&tls)));
    summarize(
        "TLS batch (STARTTLS, SCRAM-SHA-256-PLUS)",
        &attempts,
        wall,
        &mut report,
        &mut problems,
    );

    // 2. Abuse, all at once, with logins going on beside it.
    let abuse_began = Instant::now();
    let loris: Vec<_> = (0..LORIS)
        .map(|i| spawn(format!("loris-{i}"), move || slow_loris(addr, i % 2 == 1)))
        .collect();
    let big: Vec<_> = (0..OVERSIZED)
        .map(|i| spawn(format!("oversized-{i}"), move || oversized(addr, i % 3)))
        .collect();
    let junk: Vec<_> = (0..GARBAGE)
        .map(|i| {
            let seed = 0x5eed_0000_0000_0001 + i as u64;
            spawn(format!("garbage-{i}"), move || garbage(addr, seed))
        })
        .collect();
    let drops: Vec<_> = (0..DROPPED)
        .map(|i| spawn(format!("dropped-{i}"), move || dropped(addr, i % 5)))
        .collect();
    let abusing = Arc::new(AtomicBool::new(true));
    let bystanders: Vec<_> = (0..BYSTANDERS)
        .map(|b| {
            let abusing = Arc::clone(&abusing);
            spawn(format!("bystander-{b}"), move || {
                let mut attempts = Vec::new();
                while abusing.load(Ordering::Relaxed) || attempts.len() < 5 {
                    let (user, password) = ACCOUNTS[b % 2];
                    attempts.push(timed_login(addr, Kind::Good, user, password, None));
                    std::thread::sleep(Duration::from_millis(50));
                }
                attempts
            })
        })
        .collect();

    let drops: Vec<Result<(), Fail>> = drops.into_iter().map(|t| t.join().unwrap()).collect();
    let junk: Vec<Result<Vec<String>, Fail>> =
        junk.into_iter().map(|t| t.join().unwrap()).collect();
    let big: Vec<Result<(Vec<String>, usize), Fail>> =
        big.into_iter().map(|t| t.join().unwrap()).collect();
    let loris: Vec<Result<(Duration, Option<String>), Fail>> =
        loris.into_iter().map(|t| t.join().unwrap()).collect();
    abusing.store(false, Ordering::Relaxed);
    let bystanders: Vec<Attempt> = bystanders
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let abuse_took = abuse_began.elapsed();

    // Slow-loris: closed with a BYE, after the timeout and not much later.
    let timeout = Duration::from_secs(SERVER_TIMEOUT);
    let mut closed_after: Vec<Duration> = Vec::new();
    let mut loris_wrong = Vec::new();
    for (i, result) in loris.iter().enumerate() {
        match result {
            Ok((after, last)) => {
                closed_after.push(*after);
                let bye = last.as_deref().is_some_and(|l| l.starts_with("* BYE"));
                if !bye || *after > timeout + LORIS_MARGIN || *after + LORIS_MARGIN < timeout {
                    loris_wrong.push(format!("#{i}: closed after {after:?}, last {last:?}"));
                }
            }
            Err(e) => loris_wrong.push(format!("#{i}: {e}")),
        }
    }
    closed_after.sort();
    report.push(format!(
        "slow-loris: {}/{LORIS} closed with * BYE, {} to {} after their last line (timeout {SERVER_TIMEOUT} s)",
        LORIS - loris_wrong.len(),
        ms(quantile(&closed_after, 0.0)),
        ms(quantile(&closed_after, 1.0)),
    ));
    if !loris_wrong.is_empty() {
        problems.push(format!("slow-loris: {loris_wrong:?}"));
    }

    // Oversized lines: * BYE [TOOBIG].
    let mut big_wrong = Vec::new();
    let mut taken = Vec::new();
    for (i, result) in big.iter().enumerate() {
        match result {
            Ok((lines, sent)) => {
                taken.push(*sent);
                if !lines.iter().any(|l| l.starts_with("* BYE [TOOBIG]")) {
                    big_wrong.push(format!("#{i} (kind {}): {lines:?}", i % 3));
                }
            }
            Err(e) => big_wrong.push(format!("#{i} (kind {}): {e}", i % 3)),
        }
    }
    report.push(format!(
        "oversized lines: {}/{OVERSIZED} got * BYE [TOOBIG] and were closed ({} to {} KiB of each 1 MiB sent before the close)",
        OVERSIZED - big_wrong.len(),
        taken.iter().min().copied().unwrap_or(0) / 1024,
        taken.iter().max().copied().unwrap_or(0) / 1024,
    ));
    if !big_wrong.is_empty() {
        problems.push(format!("oversized: {big_wrong:?}"));
    }

    // Garbage: tagged BAD or NO, never an internal error; the connection goes on.
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    let mut junk_wrong = Vec::new();
    for (i, result) in junk.iter().enumerate() {
        match result {
            Ok(replies) => {
                for reply in replies {
                    let words: Vec<&str> = reply.split(' ').take(2).collect();
                    let kind = if reply.starts_with("NO [") {
                        words.join(" ")
                    } else {
                        words[0].to_owned()
                    };
                    let fine = reply.starts_with("BAD ")
                        || (reply.starts_with("NO ") && !reply.contains("SERVERBUG"));
                    if !fine {
                        junk_wrong.push(format!("#{i}: {reply}"));
                    }
                    *kinds.entry(kind).or_default() += 1;
                }
            }
            Err(e) => junk_wrong.push(format!("#{i}: {e}")),
        }
    }
    report.push(format!(
        "garbage: {GARBAGE} connections x {GARBAGE_ROUNDS} attempts, replies {kinds:?}; {}/{GARBAGE} still answered NOOP",
        junk.iter().filter(|r| r.is_ok()).count()
    ));
    if !junk_wrong.is_empty() {
        problems.push(format!("garbage: {junk_wrong:?}"));
    }

    // Dropped connections: nothing to see on the client side but no error.
    let drops_wrong: Vec<String> = drops
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("#{i}: {e}")))
        .collect();
    report.push(format!(
        "dropped mid-exchange: {}/{DROPPED} as planned",
        DROPPED - drops_wrong.len()
    ));
    if !drops_wrong.is_empty() {
        problems.push(format!("dropped: {drops_wrong:?}"));
    }
    summarize(
        &format!(
            "logins during the abuse ({:.1} s)",
            abuse_took.as_secs_f64()
        ),
        &bystanders,
        abuse_took,
        &mut report,
        &mut problems,
    );

    // 3. The server after all that.
    let running = server.is_running();
    let end_good = timed_login(addr, Kind::Good, "alice", ACCOUNTS[0].1, None);
    let end_bad = timed_login(addr, Kind::WrongPassword, "bob", "not-bobs", None);
    for (what, attempt) in [
        ("a last good login", &end_good),
        ("a last bad login", &end_bad),
    ] {
        if !attempt.as_expected() {
            problems.push(format!("{what}: {}", attempt.describe()));
        }
    }
    if !running {
        problems.push("the server is not running".to_owned());
    }
    // Every connection closed: the server's open files back to where they started
    // (a closing connection lingers up to half a second).
    let settle = Instant::now() + Duration::from_secs(5);
    let mut files_end = open_files(pid);
    while files_end > files_start && Instant::now() < settle {
        std::thread::sleep(Duration::from_millis(100));
        files_end = open_files(pid);
    }
    if files_end > files_start {
        problems.push(format!(
            "the server holds {files_end} files, {files_start} at the start"
        ));
    }
    let log = server.log();
    if log.contains("panicked") {
        problems.push("the server logged a panic".to_owned());
    }
    let hwm = status_kib(pid, "VmHWM:");
    let rss_end = status_kib(pid, "VmRSS:");
    report.push(format!(
        "server: peak RSS (VmHWM) {} ({} after the storm); RSS {} at the start, {} at the end; \
         open files {files_start} at the start, {files_end} at the end; {}; the last logins: {}, {}",
        mib(hwm),
        mib(hwm_storm),
        mib(rss_start),
        mib(rss_end),
        if running { "running" } else { "NOT RUNNING" },
        end_good.describe(),
        end_bad.describe(),
    ));
    report.push(format!(
        "ran {:.1} s on {} CPUs",
        began.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    ));
    println!("\n{}\n", report.join("\n"));
    server.stop();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
