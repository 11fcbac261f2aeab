//! A loopback IMAP front end for interop tests: independent IMAP clients (`curl`,
//! Python's `imaplib`, ...) log into a server built on this library.
//!
//! [`ImapFrontEnd`] drives [`ServerSession`]s generically over a small IMAP subset
//! (RFC 9051 / RFC 3501, SASL-IR RFC 4959), so every mechanism crate's interop tests
//! use the same server: give it a [`ServerRegistry`], the [`ConnectionInfo`] to
//! advertise and start sessions with, and an answerer for the sessions' [`Request`]s;
//! [`spawn`](ImapFrontEnd::spawn) it on `127.0.0.1:0`, point the client at
//! [`RunningServer::port`], then [`RunningServer::finish`] returns a [`FrontEndLog`]:
//! per `AUTHENTICATE`, the mechanism, whether an initial response was used, the decoded
//! messages both ways and the outcome, plus every raw IMAP line (its `Display` is the
//! transcript, for assertion messages).
//!
//! # The IMAP subset
//!
//! - Greeting `* OK [CAPABILITY IMAP4rev1 SASL-IR LOGINDISABLED AUTH=...] ready`,
//!   with [`ServerRegistry::advertise`] for the connection (`SASL-IR` unless
//!   [`without_sasl_ir`](ImapFrontEnd::without_sasl_ir)). `CAPABILITY`, `NOOP`,
//!   `LOGOUT` (`* BYE`, tagged `OK`, close) in any state; `LOGIN` is refused with `NO`
//!   (the capability says `LOGINDISABLED`).
//! - `AUTHENTICATE <mechanism> [<initial response>]`: `=` is an empty initial
//!   response; challenges go out as `+ <base64>` (`+ ` when empty); the client's `*`
//!   cancels (tagged `BAD`, RFC 9051 §6.2.2); a line that is not base64 is a tagged
//!   `BAD`. Success is `<tag> OK [CAPABILITY IMAP4rev1] Logged in`; failure is the
//!   reply of [`ServerFailure::imap`] (`<tag> NO [AUTHENTICATIONFAILED] ...`, RFC 5530
//!   codes). SCRAM's server-final message goes out as a last challenge (the session's
//!   [`SuccessData::AsChallenge`](sasl_core::SuccessData), IMAP's way).
//! - Once authenticated: `LIST`/`LSUB` answer `<tag> OK LIST completed` (no mailboxes;
//!   `curl imap://host/` lists), `SELECT`/`EXAMINE` a minimal empty mailbox.
//!   Anything else is `<tag> BAD unknown command`.
//!
//! Connections are served one after another, up to
//! [`with_connections`](ImapFrontEnd::with_connections) (default 1). Everything is
//! bounded: lines ([`MAX_LINE`], a longer one closes the connection), commands per
//! connection, and time: no read waits longer than the timeout
//! ([`DEFAULT_TIMEOUT`]), and a connection is closed once it has lasted that long, so a
//! misbehaving client never hangs a test. Bad input never panics: it gets a `BAD`.
//!
//! # Example
//!
//! ```no_run
//! use sasl_core::{ConnectionInfo, Request, ServerRegistry};
//! use sasl_test::imap::ImapFrontEnd;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = ServerRegistry::new(); // .with(sasl_plain::PlainServer::factory())
//! let connection = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
//! let server = ImapFrontEnd::new(registry, connection)
//!     .with_answers(|request| match request {
//!         Request::VerifyPassword(check)
//!             if check.authcid() == "alice" && check.password_matches("secret") =>
//!         {
//!             check.valid()
//!         }
//!         Request::VerifyPassword(check) => check.invalid(),
//!         other => other.unavailable(),
//!     })
//!     .spawn()?;
//! let status = std::process::Command::new("curl")
//!     .args(["--silent", "--max-time", "20", "--user", "alice:secret"])
//!     .args(["--login-options", "AUTH=PLAIN"])
//!     .arg(server.url())
//!     .status()?;
//! let log = server.finish();
//! let auth = log.last_authentication().ok_or("no AUTHENTICATE")?;
//! assert!(status.success(), "{log}");
//! assert_eq!(auth.success().map(|s| s.identity()), Some("alice"), "{log}");
//! # Ok(()) }
//! ```

use crate::Direction;
use sasl_core::wire::{self, Response};
use sasl_core::{
    Answer, ConnectionInfo, FailureKind, ImapStatus, Request, ServerFailure, ServerRegistry,
    ServerSession, ServerStep, ServerSuccess, Store, UnixTime,
};
use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How long one read may wait, and how long one connection may last, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The longest line (without CRLF) the front end reads: 64 KiB.
pub const MAX_LINE: usize = 64 * 1024;

/// The most commands (and `AUTHENTICATE` continuation lines) one connection may send.
const MAX_COMMANDS: usize = 512;

/// The most connections a front end may be asked to serve.
const MAX_CONNECTIONS: usize = 64;

/// How often the accept loop looks for a new client or the stop flag.
const ACCEPT_POLL: Duration = Duration::from_millis(5);

/// The capability list after authentication.
const AUTHENTICATED_CAPABILITIES: &str = "IMAP4rev1";

/// Answers the sessions' requests (see [`ImapFrontEnd::with_answers`]).
pub type Answerer = Box<dyn FnMut(Request) -> Answer + Send>;

/// A loopback IMAP server for interop tests; see the [module docs](self).
pub struct ImapFrontEnd {
    registry: ServerRegistry,
    connection: ConnectionInfo,
    answers: Answerer,
    now: Option<UnixTime>,
    connections: usize,
    timeout: Duration,
    sasl_ir: bool,
    server_name: Option<String>,
}

impl fmt::Debug for ImapFrontEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapFrontEnd")
            .field("registry", &self.registry)
            .field("connection", &self.connection)
            .field("now", &self.now)
            .field("connections", &self.connections)
            .field("timeout", &self.timeout)
            .field("sasl_ir", &self.sasl_ir)
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl ImapFrontEnd {
    /// A front end offering `registry`'s mechanisms on connections described by
    /// `connection` (the loopback socket has no TLS: to offer PLAIN, use
    /// `ConnectionInfo::plaintext().allow_plaintext_passwords(true)` or claim TLS).
    /// Until [`with_answers`](Self::with_answers), every request is answered
    /// "temporarily unavailable".
    pub fn new(registry: ServerRegistry, connection: ConnectionInfo) -> Self {
        Self {
            registry,
            connection,
            answers: Box::new(Request::unavailable),
            now: None,
            connections: 1,
            timeout: DEFAULT_TIMEOUT,
            sasl_ir: true,
            server_name: None,
        }
    }

    /// Tells the sessions which server the client should have connected to:
    /// `host` and the port bound by [`spawn`](Self::spawn)
    /// ([`ConnectionInfo::with_server`]), so mechanisms that check where the client
    /// meant to go (OAUTHBEARER's `host=`/`port=`) check it.
    pub fn with_server_name(mut self, host: impl Into<String>) -> Self {
        self.server_name = Some(host.into());
        self
    }

    /// Answers the sessions' requests with `answer` (called on the server thread).
    pub fn with_answers(mut self, answer: impl FnMut(Request) -> Answer + Send + 'static) -> Self {
        self.answers = Box::new(answer);
        self
    }

    /// Answers the sessions' requests from a [`Store`] (a shared credential store, or
    /// any `Fn(Request) -> Answer`).
    pub fn with_store(self, store: impl Store + Send + 'static) -> Self {
        self.with_answers(move |request| store.answer(request))
    }

    /// Gives every session this time ([`ServerSession::set_now`]) before each call.
    pub fn with_now(mut self, now: UnixTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Serves up to `count` connections, one after another (default 1; at most 64).
    pub fn with_connections(mut self, count: usize) -> Self {
        self.connections = count.clamp(1, MAX_CONNECTIONS);
        self
    }

    /// The longest one read may wait, and one connection may last (default
    /// [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Does not advertise `SASL-IR`, and answers an `AUTHENTICATE` with an initial
    /// response with `BAD`: clients must send the command alone and answer the empty
    /// challenge.
    pub fn without_sasl_ir(mut self) -> Self {
        self.sasl_ir = false;
        self
    }

    /// The capability list before authentication, e.g.
    /// `IMAP4rev1 SASL-IR LOGINDISABLED AUTH=PLAIN`.
    pub fn capabilities(&self) -> String {
        let mut words = vec!["IMAP4rev1".to_owned()];
        if self.sasl_ir {
            words.push("SASL-IR".to_owned());
        }
        words.push("LOGINDISABLED".to_owned());
        for mechanism in self.registry.advertise(&self.connection) {
            words.push(format!("AUTH={mechanism}"));
        }
        words.join(" ")
    }

    /// Binds `127.0.0.1:0` and serves on one thread until the connection count is
    /// reached, [`RunningServer::finish`] is called, or no client has come for the
    /// timeout.
    pub fn spawn(mut self) -> io::Result<RunningServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        if let Some(host) = self.server_name.take() {
            self.connection = self.connection.with_server(host, address.port());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel();
        let wait_limit = self
            .timeout
            .saturating_mul(u32::try_from(self.connections).unwrap_or(u32::MAX))
            .saturating_add(self.timeout)
            .saturating_add(Duration::from_secs(5));
        let thread_stop = Arc::clone(&stop);
        thread::Builder::new()
            .name(format!("imap-front-end-{}", address.port()))
            .spawn(move || {
                let log = self.serve(&listener, &thread_stop);
                let _ = sender.send(log);
            })?;
        Ok(RunningServer {
            address,
            stop,
            receiver,
            wait_limit,
        })
    }

    fn serve(mut self, listener: &TcpListener, stop: &AtomicBool) -> FrontEndLog {
        let mut log = FrontEndLog::default();
        let mut idle_since = Instant::now();
        while log.connections.len() < self.connections {
            match listener.accept() {
                Ok((stream, _)) => {
                    let connection = self.serve_connection(stream);
                    log.connections.push(connection);
                    idle_since = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // After a stop, clients already queued are still served.
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if idle_since.elapsed() >= self.timeout {
                        log.errors
                            .push(format!("no client connected within {:?}", self.timeout));
                        break;
                    }
                    thread::sleep(ACCEPT_POLL);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log.errors.push(format!("accept: {e}"));
                    break;
                }
            }
        }
        log
    }

    fn serve_connection(&mut self, stream: TcpStream) -> ConnectionLog {
        let mut log = ConnectionLog {
            lines: Vec::new(),
            authentications: Vec::new(),
            end: ConnectionEnd::Closed,
        };
        let deadline = Instant::now()
            .checked_add(self.timeout)
            .unwrap_or_else(Instant::now);
        let mut conn = match Connection::new(stream, deadline) {
            Ok(conn) => conn,
            Err(e) => {
                log.end = ConnectionEnd::Error(format!("socket setup: {e}"));
                return log;
            }
        };
        log.end = match self.session_loop(&mut conn, &mut log) {
            Ok(end) | Err(end) => end,
        };
        log.lines = conn.lines;
        log
    }

    /// Runs the command loop of one connection; `Err` carries an abnormal end.
    fn session_loop(
        &mut self,
        conn: &mut Connection,
        log: &mut ConnectionLog,
    ) -> Result<ConnectionEnd, ConnectionEnd> {
        let capabilities = self.capabilities();
        conn.send(&format!("* OK [CAPABILITY {capabilities}] ready"))?;
        let mut state = State::NotAuthenticated;
        loop {
            let Some(line) = conn.recv()? else {
                return Ok(ConnectionEnd::Closed);
            };
            let Some(command) = Command::parse(&line) else {
                conn.send("* BAD malformed command")?;
                continue;
            };
            let tag = command.tag;
            match command.name.to_ascii_uppercase().as_str() {
                "CAPABILITY" if command.arguments.is_empty() => {
                    let list = match state {
                        State::NotAuthenticated => capabilities.as_str(),
                        _ => AUTHENTICATED_CAPABILITIES,
                    };
                    conn.send(&format!("* CAPABILITY {list}"))?;
                    conn.send(&format!("{tag} OK CAPABILITY completed"))?;
                }
                "NOOP" if command.arguments.is_empty() => {
                    conn.send(&format!("{tag} OK NOOP completed"))?;
                }
                "LOGOUT" if command.arguments.is_empty() => {
                    conn.send("* BYE logging out")?;
                    conn.send(&format!("{tag} OK LOGOUT completed"))?;
                    return Ok(ConnectionEnd::Logout);
                }
                "LOGIN" if state == State::NotAuthenticated => {
                    conn.send(&format!("{tag} NO LOGIN is disabled, use AUTHENTICATE"))?;
                }
                "AUTHENTICATE" if state == State::NotAuthenticated => {
                    let mut words = command.arguments.split(' ');
                    let mechanism = words.next().unwrap_or("");
                    let initial = words.next();
                    if mechanism.is_empty() || words.next().is_some() {
                        conn.send(&format!("{tag} BAD AUTHENTICATE takes a mechanism and an optional initial response"))?;
                        continue;
                    }
                    let auth = self.authenticate(conn, tag, mechanism, initial);
                    let done = auth.succeeded();
                    log.authentications.push(auth);
                    // The client left mid-exchange: the connection is over.
                    if let Some(end) = conn.ended.take() {
                        return Err(end);
                    }
                    if done {
                        state = State::Authenticated;
                    }
                }
                "AUTHENTICATE" | "LOGIN" => {
                    conn.send(&format!("{tag} BAD already authenticated"))?;
                }
                "LIST" | "LSUB" if state != State::NotAuthenticated => {
                    conn.send(&format!("{tag} OK LIST completed"))?;
                }
                name @ ("SELECT" | "EXAMINE")
                    if state != State::NotAuthenticated && !command.arguments.is_empty() =>
                {
                    for untagged in [
                        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                        "* 0 EXISTS",
                        "* 0 RECENT",
                        "* OK [UIDVALIDITY 1] UIDs valid",
                        "* OK [UIDNEXT 1] Predicted next UID",
                    ] {
                        conn.send(untagged)?;
                    }
                    let access = if name == "SELECT" {
                        "READ-WRITE"
                    } else {
                        "READ-ONLY"
                    };
                    conn.send(&format!("{tag} OK [{access}] {name} completed"))?;
                    state = State::Selected;
                }
                "LIST" | "LSUB" | "SELECT" | "EXAMINE" if state == State::NotAuthenticated => {
                    conn.send(&format!("{tag} BAD not authenticated"))?;
                }
                _ => conn.send(&format!("{tag} BAD unknown command"))?,
            }
        }
    }

    /// One `AUTHENTICATE` command. A connection problem is left in `conn.ended`.
    fn authenticate(
        &mut self,
        conn: &mut Connection,
        tag: &str,
        mechanism: &str,
        initial: Option<&str>,
    ) -> Authentication {
        let mut auth = Authentication {
            tag: tag.to_owned(),
            mechanism: mechanism.to_owned(),
            initial_response: initial.is_some(),
            client_messages: Vec::new(),
            server_challenges: Vec::new(),
            outcome: AuthOutcome::Incomplete(String::new()),
            reply: None,
        };
        auth.outcome = self.exchange(conn, &mut auth, initial);
        auth
    }

    fn exchange(
        &mut self,
        conn: &mut Connection,
        auth: &mut Authentication,
        initial: Option<&str>,
    ) -> AuthOutcome {
        let tag = auth.tag.clone();
        let reply = |conn: &mut Connection, auth: &mut Authentication, line: String| {
            let _ = conn.send(&line);
            auth.reply = Some(line);
        };
        if initial.is_some() && !self.sasl_ir {
            let detail = "initial response without SASL-IR";
            reply(conn, auth, format!("{tag} BAD {detail}"));
            return AuthOutcome::Bad(detail.to_owned());
        }
        let initial = match wire::decode_initial_response(initial.map(str::as_bytes)) {
            Ok(initial) => initial,
            Err(e) => {
                reply(conn, auth, format!("{tag} BAD malformed initial response"));
                return AuthOutcome::Bad(format!("initial response: {e}"));
            }
        };
        if let Some(data) = &initial {
            auth.client_messages.push(data.clone());
        }
        let mut session = match self.registry.start(&auth.mechanism, &self.connection) {
            Ok(session) => session,
            Err(refused) => {
                reply(conn, auth, failure_line(&tag, &refused));
                return AuthOutcome::Failure(refused);
            }
        };
        self.set_now(&mut session);
        let mut step = match session.start(initial.as_deref()) {
            Ok(step) => step,
            Err(e) => return self.session_error(conn, auth, &e),
        };
        loop {
            step = match step {
                ServerStep::Challenge(challenge) => {
                    let line = format!("+ {}", wire::encode_challenge(&challenge));
                    auth.server_challenges.push(challenge);
                    if let Err(end) = conn.send(&line) {
                        return incomplete(conn, end);
                    }
                    let line = match conn.recv() {
                        Ok(Some(line)) => line,
                        Ok(None) => return incomplete(conn, ConnectionEnd::Closed),
                        Err(end) => return incomplete(conn, end),
                    };
                    self.set_now(&mut session);
                    let next = match wire::decode_response(line.as_bytes()) {
                        Ok(Response::Data(data)) => {
                            auth.client_messages.push(data.expose().clone());
                            session.step(data.expose())
                        }
                        Ok(Response::Cancel) => session.cancel(),
                        Err(e) => {
                            reply(conn, auth, format!("{tag} BAD malformed response"));
                            return AuthOutcome::Bad(format!("response: {e}"));
                        }
                    };
                    match next {
                        Ok(step) => step,
                        Err(e) => return self.session_error(conn, auth, &e),
                    }
                }
                ServerStep::Request(request) => {
                    let answer = (self.answers)(request);
                    self.set_now(&mut session);
                    match session.provide(answer) {
                        Ok(step) => step,
                        Err(e) => {
                            return self.session_error(conn, auth, &e.into());
                        }
                    }
                }
                ServerStep::Success(success) => {
                    reply(
                        conn,
                        auth,
                        format!("{tag} OK [CAPABILITY {AUTHENTICATED_CAPABILITIES}] Logged in"),
                    );
                    return AuthOutcome::Success(success);
                }
                ServerStep::Failure(failure) => {
                    reply(conn, auth, failure_line(&tag, &failure));
                    return AuthOutcome::Failure(failure);
                }
            };
        }
    }

    fn set_now(&self, session: &mut ServerSession) {
        if let Some(now) = self.now {
            session.set_now(now);
        }
    }

    fn session_error(
        &self,
        conn: &mut Connection,
        auth: &mut Authentication,
        error: &sasl_core::Error,
    ) -> AuthOutcome {
        let line = format!("{} NO [SERVERBUG] session error", auth.tag);
        let _ = conn.send(&line);
        auth.reply = Some(line);
        AuthOutcome::Error(error.to_string())
    }
}

/// Records why the connection ended mid-exchange, for the command loop to see.
fn incomplete(conn: &mut Connection, end: ConnectionEnd) -> AuthOutcome {
    let detail = end.to_string();
    conn.ended = Some(end);
    AuthOutcome::Incomplete(detail)
}

/// The tagged reply for a failure: its IMAP status and RFC 5530 code, with a text.
fn failure_line(tag: &str, failure: &ServerFailure) -> String {
    let response = failure.imap();
    let text = match (response.status, failure.reason().kind()) {
        (_, FailureKind::Cancelled) => "authentication cancelled",
        (_, FailureKind::UnknownMechanism) => "unsupported mechanism",
        (ImapStatus::Bad, _) => "authentication exchange failed",
        (ImapStatus::No, _) => "authentication failed",
    };
    response.line(tag, text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotAuthenticated,
    Authenticated,
    Selected,
}

/// One command line split into its tag, name and the rest.
struct Command<'a> {
    tag: &'a str,
    name: &'a str,
    arguments: &'a str,
}

impl<'a> Command<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let (tag, rest) = line.split_once(' ')?;
        // tag = 1*<any ASTRING-CHAR except "+">; a command name is an atom.
        if tag.is_empty() || !tag.bytes().all(|b| b == b']' || is_atom_char(b)) || tag.contains('+')
        {
            return None;
        }
        let (name, arguments) = rest.split_once(' ').unwrap_or((rest, ""));
        if name.is_empty() || !name.bytes().all(is_atom_char) {
            return None;
        }
        Some(Self {
            tag,
            name,
            arguments,
        })
    }
}

/// ATOM-CHAR (RFC 9051): printable ASCII except the atom-specials.
fn is_atom_char(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// One accepted socket: bounded line reads with deadlines, and the line log.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    deadline: Instant,
    lines: Vec<ImapLine>,
    commands: usize,
    /// Set when the connection broke inside an `AUTHENTICATE` exchange.
    ended: Option<ConnectionEnd>,
}

impl Connection {
    fn new(stream: TcpStream, deadline: Instant) -> io::Result<Self> {
        stream.set_nonblocking(false)?;
        stream.set_nodelay(true)?;
        let writer = stream.try_clone()?;
        Ok(Self {
            reader: BufReader::new(stream),
            writer,
            deadline,
            lines: Vec::new(),
            commands: 0,
            ended: None,
        })
    }

    fn remaining(&self) -> Result<Duration, ConnectionEnd> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(ConnectionEnd::Timeout)
        } else {
            Ok(left)
        }
    }

    fn send(&mut self, line: &str) -> Result<(), ConnectionEnd> {
        self.lines.push(ImapLine {
            direction: Direction::ServerToClient,
            text: line.to_owned(),
        });
        let left = self.remaining()?;
        let result = self
            .writer
            .set_write_timeout(Some(left))
            .and_then(|()| self.writer.write_all(format!("{line}\r\n").as_bytes()))
            .and_then(|()| self.writer.flush());
        result.map_err(|e| io_end(&e))
    }

    /// The next line without its CRLF; `None` at end of input.
    fn recv(&mut self) -> Result<Option<String>, ConnectionEnd> {
        self.commands = self.commands.saturating_add(1);
        if self.commands > MAX_COMMANDS {
            let _ = self.send("* BYE too many commands");
            return Err(ConnectionEnd::TooManyCommands);
        }
        let mut line: Vec<u8> = Vec::new();
        loop {
            let left = self.remaining()?;
            self.reader
                .get_ref()
                .set_read_timeout(Some(left))
                .map_err(|e| io_end(&e))?;
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_end(&e)),
            };
            if buffer.is_empty() {
                if !line.is_empty() {
                    self.log_client(&line);
                }
                return Ok(None);
            }
            let (taken, complete) = match buffer.iter().position(|&b| b == b'\n') {
                Some(at) => (buffer.get(..at).unwrap_or_default(), Some(at)),
                None => (buffer, None),
            };
            if line.len().saturating_add(taken.len()) > MAX_LINE.saturating_add(1) {
                let _ = self.send("* BYE line too long");
                return Err(ConnectionEnd::LineTooLong);
            }
            line.extend_from_slice(taken);
            let consumed = complete.map_or(taken.len(), |at| at.saturating_add(1));
            self.reader.consume(consumed);
            if complete.is_some() {
                break;
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > MAX_LINE {
            let _ = self.send("* BYE line too long");
            return Err(ConnectionEnd::LineTooLong);
        }
        self.log_client(&line);
        Ok(Some(String::from_utf8_lossy(&line).into_owned()))
    }

    fn log_client(&mut self, line: &[u8]) {
        self.lines.push(ImapLine {
            direction: Direction::ClientToServer,
            text: String::from_utf8_lossy(line).into_owned(),
        });
    }
}

fn io_end(error: &io::Error) -> ConnectionEnd {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ConnectionEnd::Timeout,
        _ => ConnectionEnd::Error(error.to_string()),
    }
}

/// A front end serving on a loopback port; [`finish`](Self::finish) it for the log.
/// Dropping it stops the front end accepting further clients.
#[derive(Debug)]
pub struct RunningServer {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    receiver: mpsc::Receiver<FrontEndLog>,
    wait_limit: Duration,
}

impl RunningServer {
    /// The port on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address, `127.0.0.1:<port>`.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `imap://127.0.0.1:<port>/`, for `curl`.
    pub fn url(&self) -> String {
        format!("imap://{}/", self.address)
    }

    /// Stops accepting new clients (those already connected are served), waits for the
    /// server thread and returns what happened. The wait is bounded by the timeouts; a
    /// thread that overran them anyway is left behind and reported in
    /// [`FrontEndLog::errors`].
    pub fn finish(self) -> FrontEndLog {
        self.stop.store(true, Ordering::SeqCst);
        match self.receiver.recv_timeout(self.wait_limit) {
            Ok(log) => log,
            Err(RecvTimeoutError::Timeout) => FrontEndLog {
                connections: Vec::new(),
                errors: vec![format!(
                    "front end did not finish within {:?}",
                    self.wait_limit
                )],
            },
            Err(RecvTimeoutError::Disconnected) => FrontEndLog {
                connections: Vec::new(),
                errors: vec!["front end thread ended without a log".to_owned()],
            },
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Everything a front end saw, from [`RunningServer::finish`]. `Display` shows the
/// transcript of every connection, for assertion messages.
#[derive(Debug, Default)]
pub struct FrontEndLog {
    /// The connections, in order.
    pub connections: Vec<ConnectionLog>,
    /// Problems of the front end itself (no client came, accept failed).
    pub errors: Vec<String>,
}

impl FrontEndLog {
    /// Every `AUTHENTICATE`, over all connections, in order.
    pub fn authentications(&self) -> impl Iterator<Item = &Authentication> {
        self.connections
            .iter()
            .flat_map(|c| c.authentications.iter())
    }

    /// The last `AUTHENTICATE`, if any.
    pub fn last_authentication(&self) -> Option<&Authentication> {
        self.authentications().last()
    }

    /// The successful logins' results, in order.
    pub fn successes(&self) -> Vec<&ServerSuccess> {
        self.authentications()
            .filter_map(Authentication::success)
            .collect()
    }
}

impl fmt::Display for FrontEndLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.errors {
            writeln!(f, "front end: {error}")?;
        }
        for (n, connection) in self.connections.iter().enumerate() {
            writeln!(f, "-- connection {n} ({}):", connection.end)?;
            for line in &connection.lines {
                let arrow = match line.direction {
                    Direction::ClientToServer => "C:",
                    Direction::ServerToClient => "S:",
                };
                writeln!(f, "  {arrow} {}", line.text.escape_debug())?;
            }
            for auth in &connection.authentications {
                writeln!(f, "  {auth}")?;
            }
        }
        Ok(())
    }
}

/// One connection's record.
#[derive(Debug)]
pub struct ConnectionLog {
    /// Every IMAP line exchanged, without CRLF (client lines lossily decoded).
    pub lines: Vec<ImapLine>,
    /// Its `AUTHENTICATE` commands, in order.
    pub authentications: Vec<Authentication>,
    /// How it ended.
    pub end: ConnectionEnd,
}

/// One raw IMAP line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapLine {
    /// Who sent it.
    pub direction: Direction,
    /// The line without CRLF.
    pub text: String,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEnd {
    /// After `LOGOUT`.
    Logout,
    /// The client closed the connection without `LOGOUT`.
    Closed,
    /// A read waited too long, or the connection lasted longer than the timeout.
    Timeout,
    /// A line was longer than [`MAX_LINE`].
    LineTooLong,
    /// The client sent too many commands.
    TooManyCommands,
    /// A socket error.
    Error(String),
}

impl fmt::Display for ConnectionEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionEnd::Logout => f.write_str("logged out"),
            ConnectionEnd::Closed => f.write_str("closed by the client"),
            ConnectionEnd::Timeout => f.write_str("timed out"),
            ConnectionEnd::LineTooLong => f.write_str("line too long"),
            ConnectionEnd::TooManyCommands => f.write_str("too many commands"),
            ConnectionEnd::Error(e) => write!(f, "socket error: {e}"),
        }
    }
}

/// One `AUTHENTICATE` command and how it went.
#[derive(Debug)]
pub struct Authentication {
    /// The command's tag.
    pub tag: String,
    /// The mechanism as the client named it.
    pub mechanism: String,
    /// Whether the client sent an initial response with the command (SASL-IR).
    pub initial_response: bool,
    /// The decoded client messages: the initial response (if sent), then each
    /// response to a challenge (a cancel `*` is not one).
    pub client_messages: Vec<Vec<u8>>,
    /// The decoded challenges sent.
    pub server_challenges: Vec<Vec<u8>>,
    /// How it ended.
    pub outcome: AuthOutcome,
    /// The tagged reply sent, if one was.
    pub reply: Option<String>,
}

impl Authentication {
    /// Whether the login succeeded.
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, AuthOutcome::Success(_))
    }

    /// The session's success, if any.
    pub fn success(&self) -> Option<&ServerSuccess> {
        match &self.outcome {
            AuthOutcome::Success(success) => Some(success),
            _ => None,
        }
    }

    /// The session's failure, if any.
    pub fn failure(&self) -> Option<&ServerFailure> {
        match &self.outcome {
            AuthOutcome::Failure(failure) => Some(failure),
            _ => None,
        }
    }

    /// The failure's kind, if the session failed.
    pub fn failure_kind(&self) -> Option<FailureKind> {
        self.failure().map(|f| f.reason().kind())
    }
}

impl fmt::Display for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AUTHENTICATE {} (tag {}, initial response: {}): ",
            self.mechanism, self.tag, self.initial_response
        )?;
        match &self.outcome {
            AuthOutcome::Success(s) => {
                write!(f, "success as {} (authzid {:?})", s.identity(), s.authzid())?
            }
            AuthOutcome::Failure(e) => write!(f, "failure {}", e.reason())?,
            AuthOutcome::Bad(e) => write!(f, "BAD {e}")?,
            AuthOutcome::Incomplete(e) => write!(f, "incomplete: {e}")?,
            AuthOutcome::Error(e) => write!(f, "session error: {e}")?,
        }
        write!(
            f,
            "; {} client message(s), {} challenge(s)",
            self.client_messages.len(),
            self.server_challenges.len()
        )
    }
}

/// How one `AUTHENTICATE` ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// The session succeeded.
    Success(ServerSuccess),
    /// The session failed, the client was told so (including a cancel, a mechanism the
    /// registry refused, and the session's limits).
    Failure(ServerFailure),
    /// Refused at the IMAP level with `BAD` before the session ended (a line that is
    /// not base64, an initial response without SASL-IR).
    Bad(String),
    /// The connection broke off mid-exchange (end of input, timeout).
    Incomplete(String),
    /// A session reported local misuse (a bug in the front end or the mechanism); the
    /// client was told `NO [SERVERBUG]`.
    Error(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_parsing() {
        let c = Command::parse("a1 AUTHENTICATE PLAIN =").unwrap();
        assert_eq!(
            (c.tag, c.name, c.arguments),
            ("a1", "AUTHENTICATE", "PLAIN =")
        );
        let c = Command::parse("A2 noop").unwrap();
        assert_eq!((c.tag, c.name, c.arguments), ("A2", "noop", ""));
        assert!(Command::parse("").is_none());
        assert!(Command::parse("A1").is_none());
        assert!(Command::parse("+ x").is_none());
        assert!(Command::parse("* NOOP").is_none());
        assert!(Command::parse("A1  NOOP").is_none());
        assert!(Command::parse("A1 (x").is_none());
        assert!(Command::parse("a+b NOOP").is_none());
        let c = Command::parse("a]1 X-FOO").unwrap();
        assert_eq!((c.tag, c.name), ("a]1", "X-FOO"));
    }

    #[test]
    fn failure_lines() {
        let f = ServerFailure::new(FailureKind::UnknownUser, "x");
        assert_eq!(
            failure_line("A1", &f),
            "A1 NO [AUTHENTICATIONFAILED] authentication failed"
        );
        let f = ServerFailure::new(FailureKind::Cancelled, "x");
        assert_eq!(failure_line("A1", &f), "A1 BAD authentication cancelled");
    }
}
