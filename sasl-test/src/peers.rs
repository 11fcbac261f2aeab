//! Interop harness: runs our sessions against *independent* SASL implementations, GNU
//! SASL's `gsasl` command and Python's `scramp`, as child processes over stdin/stdout.
//!
//! # Pieces
//!
//! - Finding a peer: [`require_gsasl`] / [`require_scramp`] (the test policy below),
//!   or [`PeerTool::locate`], [`gsasl_available`] and [`scramp_python`].
//! - Describing and starting one: [`PeerTool::client`] / [`PeerTool::server`] give a
//!   [`PeerSpec`] builder (user, password, authzid, channel binding, SCRAM iterations,
//!   salt and nonce); [`PeerSpec::spawn`] starts a [`Peer`].
//! - Running an exchange: [`run_our_client_against`] (our [`ClientSession`] against a
//!   peer server), [`run_peer_client_against`] (a peer client against our
//!   [`ServerSession`]) and [`relay`] (a peer against a peer, to check what two
//!   independent implementations agree on). Each returns a report ([`PeerRun`],
//!   [`RelayRun`]) with both sides' outcomes, the messages, and the peers' stderr.
//! - IMAP clients for [`crate::imap`]: [`require_curl`] and [`require_imaplib`] (the
//!   same policy; the latter runs [`imaplib_script`]), run with [`run_to_exit`].
//!
//! # Availability policy
//!
//! A test starts with
//!
//! ```no_run
//! # fn test() -> Result<(), sasl_test::peers::PeerError> {
//! let Some(gsasl) = sasl_test::peers::require_gsasl()? else { return Ok(()) };
//! # Ok(()) }
//! ```
//!
//! A missing peer prints `SKIPPED: gsasl not installed ...` to the terminal (past the
//! test harness's output capture) and the test returns early, *unless*
//! `SASL_REQUIRE_PEERS=1` is set (CI sets it): then the missing peer is an `Err`, and
//! the test fails.
//!
//! # The normalized peer protocol
//!
//! A [`Peer`] exchanges whole SASL messages (raw bytes; the wire carries one padded
//! base64 line per message) and hides the peers' quirks:
//!
//! - `gsasl` first prints the mechanism name: checked and dropped.
//! - `gsasl` asks for channel-binding data with a prompt on stdout that has no newline
//!   (`Enter base64 encoded tls-exporter channel binding: `, then the `tls-unique`
//!   one); the peer answers it with the configured binding when the type matches and
//!   with an empty line otherwise. Without a binding the harness passes `--no-cb`.
//! - A `gsasl` server starts with an empty challenge (an empty line): dropped, so the
//!   client's first message is its initial response.
//! - A `gsasl` server that finishes with no output (PLAIN) prints one more empty line
//!   and reads one more line: the peer answers it itself and then reports the end of
//!   the server's messages (`recv` gives `None`); the exit status is the verdict.
//! - A client peer answers the server's final message (SCRAM `v=`) with an empty line,
//!   as IMAP and SMTP clients do; a server peer accepts that empty line (for `gsasl`
//!   it is the extra line it reads after the last step).
//! - A `gsasl` client reads one more line after its last step and exits 1 at end of
//!   input: [`Peer::finish_client`] writes that line only when our side accepted,
//!   which is how a `gsasl` client learns the server's verdict (PLAIN has no other way).
//! - `gsasl` runs with `-d`, which (a gengetopt flag, default on) turns off its
//!   application-data phase, so it exits right after authentication.
//!
//! Every read has a deadline ([`DEFAULT_TIMEOUT`] from the spawn unless changed with
//! [`PeerSpec::timeout`]); a peer that overruns it is killed, and dropping a [`Peer`]
//! kills a child that is still running. No test can hang on a peer.
//!
//! # Peer facts worth knowing
//!
//! - A `gsasl` server takes `--password` for *any* authentication identity and ignores
//!   the authorization identity: [`PeerSpec::user`] is not passed to it.
//! - `gsasl` (libgsasl) does PLAIN, SCRAM-SHA-1 and SCRAM-SHA-256 (each with `-PLUS`);
//!   a non-PLUS SCRAM `gsasl` client given binding data fails locally (2.2.0), so it
//!   never sends the `y` flag.
//! - `scramp` does SCRAM-SHA-1/256/512 (with `-PLUS`), no PLAIN; it refuses the
//!   `tls-exporter` name by policy (lifted by our driver script unless
//!   [`PeerSpec::strict_scramp`]), refuses salts under 12 bytes and iteration counts
//!   under 4096, and rejects a non-empty authzid (so [`PeerSpec::authzid`] is refused
//!   for it). Given binding data with a non-PLUS mechanism, a `scramp` client sends `y`
//!   and a `scramp` server rejects `y`.

use crate::{ClientEnd, Direction, Message, ServerEnd};
use sasl_core::wire::{decode_base64, encode_base64};
use sasl_core::{
    ChannelBinding, ClientOutcome, ClientSession, ClientStep, ServerFailure, ServerReply,
    ServerSession, ServerStep, ServerSuccess, Store,
};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long a peer may take, from its spawn to its exit, before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Environment variable: `1` makes a missing peer a test failure instead of a skip.
pub const REQUIRE_PEERS_ENV: &str = "SASL_REQUIRE_PEERS";

/// Environment variable: the Python venv holding `scramp` (its `bin/python` is used).
pub const PEERS_VENV_ENV: &str = "SASL_PEERS_VENV";

/// Environment variable: the `gsasl` program to run (default `gsasl` on `PATH`).
pub const GSASL_ENV: &str = "SASL_GSASL";

/// Environment variable: the `curl` program to run (default `curl` on `PATH`).
pub const CURL_ENV: &str = "SASL_CURL";

/// Environment variable: the Python for the `imaplib` client (default `python3`).
pub const PYTHON3_ENV: &str = "SASL_PYTHON3";

/// The most messages one exchange may carry before the harness gives up.
const MAX_MESSAGES: usize = 32;

/// The prompt text around a channel-binding type name, as `gsasl` prints it.
const PROMPT_START: &str = "Enter base64 encoded ";
const PROMPT_END: &str = " channel binding: ";

/// Which independent implementation a peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerKind {
    /// GNU SASL's `gsasl` command (libgsasl): PLAIN, SCRAM-SHA-1/256 (and `-PLUS`).
    Gsasl,
    /// Python `scramp` through `sasl-test/peers/scramp_peer.py`: SCRAM-SHA-1/256/512
    /// (and `-PLUS`).
    Scramp,
}

impl PeerKind {
    /// The peer's name as used in messages: `gsasl` or `scramp`.
    pub fn name(self) -> &'static str {
        match self {
            PeerKind::Gsasl => "gsasl",
            PeerKind::Scramp => "scramp",
        }
    }

    fn install_hint(self) -> &'static str {
        match self {
            PeerKind::Gsasl => "apt-get install gsasl, or set SASL_GSASL",
            PeerKind::Scramp => {
                "python3 -m venv .peers-venv && .peers-venv/bin/pip install 'scramp==1.5.*', \
                 or set SASL_PEERS_VENV"
            }
        }
    }
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which side of the exchange a peer plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerRole {
    /// The peer authenticates (it plays against our server).
    Client,
    /// The peer verifies (it plays against our client).
    Server,
}

impl PeerRole {
    fn name(self) -> &'static str {
        match self {
            PeerRole::Client => "client",
            PeerRole::Server => "server",
        }
    }
}

/// What went wrong with a peer or with driving it.
#[derive(Debug)]
#[non_exhaustive]
pub enum PeerError {
    /// The peer is not installed (the test should skip).
    Unavailable(String),
    /// The peer is not installed but `SASL_REQUIRE_PEERS=1` demands it (the test fails).
    Required(String),
    /// The peer cannot do what the spec asks (e.g. an authzid with `scramp`).
    Unsupported(String),
    /// Starting or talking to the child process failed.
    Io(String),
    /// The peer did not answer in time; it has been killed.
    Timeout(String),
    /// The peer printed something the harness did not expect (not base64, wrong
    /// mechanism line, too many messages).
    Protocol(String),
    /// Our session reported local misuse.
    Session(sasl_core::Error),
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::Unavailable(s) => write!(f, "peer not available: {s}"),
            PeerError::Required(s) => write!(f, "peer required ({REQUIRE_PEERS_ENV}=1): {s}"),
            PeerError::Unsupported(s) => write!(f, "peer cannot do this: {s}"),
            PeerError::Io(s) => write!(f, "peer I/O: {s}"),
            PeerError::Timeout(s) => write!(f, "peer timed out: {s}"),
            PeerError::Protocol(s) => write!(f, "peer protocol: {s}"),
            PeerError::Session(e) => write!(f, "our session: {e}"),
        }
    }
}

impl std::error::Error for PeerError {}

impl From<sasl_core::Error> for PeerError {
    fn from(e: sasl_core::Error) -> Self {
        PeerError::Session(e)
    }
}

// ---------------------------------------------------------------------------------------
// Finding peers
// ---------------------------------------------------------------------------------------

/// The workspace root (the parent of the `sasl-test` crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The `scramp` driver script shipped with this crate (`sasl-test/peers/scramp_peer.py`).
pub fn scramp_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join("scramp_peer.py")
}

/// The `gsasl` program: `$SASL_GSASL` if set, else `gsasl` (looked up on `PATH`).
pub fn gsasl_program() -> PathBuf {
    std::env::var_os(GSASL_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("gsasl"))
}

/// Whether `gsasl --version` runs (checked once per process).
pub fn gsasl_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| runs_ok(Command::new(gsasl_program()).arg("--version")))
}

/// The peers venv's Python if it can run `import <modules>` (e.g. `"scramp"`,
/// `"fido2.server, cryptography"`): `$SASL_PEERS_VENV/bin/python`, else
/// `<workspace>/.peers-venv/bin/python`.
pub fn venv_python(modules: &str) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(venv) = std::env::var_os(PEERS_VENV_ENV).filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(venv).join("bin").join("python"));
    }
    candidates.push(
        workspace_root()
            .join(".peers-venv")
            .join("bin")
            .join("python"),
    );
    let import = format!("import {modules}");
    candidates
        .into_iter()
        .find(|python| python.is_file() && runs_ok(Command::new(python).args(["-c", &import])))
}

/// A Python interpreter that can `import scramp` ([`venv_python`]; checked once per
/// process).
pub fn scramp_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| venv_python("scramp").filter(|_| scramp_script().is_file()))
        .clone()
}

fn runs_ok(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `SASL_REQUIRE_PEERS` demands the peers (any value but empty or `0`).
pub fn peers_required() -> bool {
    std::env::var(REQUIRE_PEERS_ENV).is_ok_and(|v| required_value(&v))
}

fn required_value(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && value != "0" && !value.eq_ignore_ascii_case("false")
}

/// The test policy for one peer: `Ok(Some(tool))` when installed; when missing,
/// `Ok(None)` after printing a loud `SKIPPED` line, or `Err(PeerError::Required)` if
/// `SASL_REQUIRE_PEERS=1`.
pub fn require(kind: PeerKind) -> Result<Option<PeerTool>, PeerError> {
    match PeerTool::locate(kind) {
        Some(tool) => Ok(Some(tool)),
        None => missing(&format!("{kind} not installed ({})", kind.install_hint())),
    }
}

/// The policy for a missing peer (`what`: which, and how to install it): `Ok(None)`
/// after a loud `SKIPPED` line, or `Err(PeerError::Required)` if
/// `SASL_REQUIRE_PEERS=1`. For peers this module does not drive itself (Dovecot,
/// python-fido2, the OpenID provider).
pub fn missing<T>(what: &str) -> Result<Option<T>, PeerError> {
    if peers_required() {
        return Err(PeerError::Required(what.to_owned()));
    }
    // Written to the real stderr, not through `eprintln!`, so that the test harness's
    // output capture does not hide it.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: {what}; test {test} did not run (set {REQUIRE_PEERS_ENV}=1 to fail instead) ***"
    );
    Ok(None)
}

/// [`require`] for `gsasl`.
pub fn require_gsasl() -> Result<Option<PeerTool>, PeerError> {
    require(PeerKind::Gsasl)
}

/// [`require`] for `scramp`.
pub fn require_scramp() -> Result<Option<PeerTool>, PeerError> {
    require(PeerKind::Scramp)
}

/// The `curl` program: `$SASL_CURL` if set, else `curl` (looked up on `PATH`).
pub fn curl_program() -> PathBuf {
    std::env::var_os(CURL_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("curl"))
}

/// Whether `curl --version` runs and lists `imap` among its protocols (checked once
/// per process).
pub fn curl_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new(curl_program())
            .arg("--version")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|out| {
                out.status.success()
                    && String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .any(|l| l.starts_with("Protocols:") && l.split(' ').any(|p| p == "imap"))
            })
    })
}

/// [`require`]'s policy for `curl` (an IMAP client for [`crate::imap`]): the program
/// to run, or `None` after a skip.
pub fn require_curl() -> Result<Option<PathBuf>, PeerError> {
    if curl_available() {
        return Ok(Some(curl_program()));
    }
    missing("curl with IMAP not installed (apt-get install curl, or set SASL_CURL)")
}

/// The `imaplib` client script shipped with this crate
/// (`sasl-test/peers/imaplib_client.py`; run it with `--help` for its options).
pub fn imaplib_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join("imaplib_client.py")
}

/// The Python for the `imaplib` client: `$SASL_PYTHON3` if set, else `python3`.
pub fn python3_program() -> PathBuf {
    std::env::var_os(PYTHON3_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Whether [`python3_program`] can `import imaplib` and the script is there (checked
/// once per process).
pub fn imaplib_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        imaplib_script().is_file()
            && runs_ok(Command::new(python3_program()).args(["-c", "import imaplib"]))
    })
}

/// [`require`]'s policy for Python `imaplib` (stdlib; an IMAP client for
/// [`crate::imap`]): the Python to run [`imaplib_script`] with, or `None` after a skip.
pub fn require_imaplib() -> Result<Option<PathBuf>, PeerError> {
    if imaplib_available() {
        return Ok(Some(python3_program()));
    }
    missing("python3 with imaplib not installed (apt-get install python3, or set SASL_PYTHON3)")
}

/// Runs the `imaplib` client script ([`imaplib_script`]) with `python` against a
/// loopback server on `port`, with the script's arguments (`--mech`, `--response`,
/// ...), for at most 30 s.
pub fn run_imaplib(python: &Path, port: u16, args: &[&str]) -> Result<PeerExit, PeerError> {
    run_to_exit(
        Command::new(python)
            .arg(imaplib_script())
            .args(["--port", &port.to_string()])
            .args(args),
        Duration::from_secs(30),
    )
}

/// Runs a client program to its end with stdin closed, collecting its output; it is
/// killed if it runs longer than `timeout` (then [`PeerExit::timed_out`]). For IMAP
/// clients (`curl`, the `imaplib` script) against [`crate::imap::ImapFrontEnd`].
pub fn run_to_exit(command: &mut Command, timeout: Duration) -> Result<PeerExit, PeerError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| PeerError::Io(format!("spawning {command:?}: {e}")))?;
    let stdout = child.stdout.take().map(read_all_in_background);
    let stderr = child.stderr.take().map(read_all_in_background);
    let deadline = Instant::now().checked_add(timeout);
    let mut timed_out = false;
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if deadline.is_none_or(|d| Instant::now() >= d) => {
                timed_out = true;
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PeerError::Io(format!("waiting for {command:?}: {e}")));
            }
        }
    };
    let collect = |rx: Option<Receiver<String>>| {
        rx.and_then(|rx| rx.recv_timeout(Duration::from_secs(2)).ok())
            .unwrap_or_default()
    };
    Ok(PeerExit {
        code,
        timed_out,
        stderr: collect(stderr),
        stdout: collect(stdout).lines().map(str::to_owned).collect(),
    })
}

/// Reads a child's pipe to its end (at most 64 KiB kept) on a thread.
fn read_all_in_background(mut pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = (64 * 1024usize).saturating_sub(kept.len());
                    kept.extend(buffer.iter().take(n.min(room)));
                }
            }
        }
        let _ = sender.send(String::from_utf8_lossy(&kept).into_owned());
    });
    receiver
}

/// An installed peer implementation: the entry point for describing peers to spawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTool {
    kind: PeerKind,
    program: PathBuf,
    script: Option<PathBuf>,
}

impl PeerTool {
    /// Finds an installed peer, or `None`.
    pub fn locate(kind: PeerKind) -> Option<PeerTool> {
        match kind {
            PeerKind::Gsasl => gsasl_available().then(|| PeerTool {
                kind,
                program: gsasl_program(),
                script: None,
            }),
            PeerKind::Scramp => scramp_python().map(|python| PeerTool {
                kind,
                program: python,
                script: Some(scramp_script()),
            }),
        }
    }

    /// Which implementation this is.
    pub fn kind(&self) -> PeerKind {
        self.kind
    }

    /// The program run (`gsasl`, or the venv's Python for `scramp`).
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// A spec for a client peer of this implementation for `mechanism`.
    pub fn client(&self, mechanism: &str) -> PeerSpec {
        PeerSpec::new(self.clone(), PeerRole::Client, mechanism)
    }

    /// A spec for a server peer of this implementation for `mechanism`.
    pub fn server(&self, mechanism: &str) -> PeerSpec {
        PeerSpec::new(self.clone(), PeerRole::Server, mechanism)
    }
}

// ---------------------------------------------------------------------------------------
// Describing and spawning a peer
// ---------------------------------------------------------------------------------------

/// Everything needed to start one peer process; build with [`PeerTool::client`] or
/// [`PeerTool::server`], then [`spawn`](Self::spawn).
///
/// ```no_run
/// # fn f(gsasl: sasl_test::peers::PeerTool) -> Result<(), sasl_test::peers::PeerError> {
/// let peer = gsasl.server("PLAIN").password("pencil").spawn()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PeerSpec {
    tool: PeerTool,
    role: PeerRole,
    mechanism: String,
    user: Option<String>,
    password: Option<String>,
    authzid: Option<String>,
    channel_binding: Option<ChannelBinding>,
    iterations: Option<u32>,
    salt: Option<Vec<u8>>,
    nonce: Option<String>,
    strict_scramp: bool,
    extra_args: Vec<String>,
    timeout: Duration,
}

impl PeerSpec {
    /// A spec with no credentials yet.
    pub fn new(tool: PeerTool, role: PeerRole, mechanism: &str) -> Self {
        Self {
            tool,
            role,
            mechanism: mechanism.to_owned(),
            user: None,
            password: None,
            authzid: None,
            channel_binding: None,
            iterations: None,
            salt: None,
            nonce: None,
            strict_scramp: false,
            extra_args: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The authentication identity: a client's user name; for a `scramp` server the
    /// only user it knows. A `gsasl` server ignores it (it accepts any user).
    pub fn user(mut self, user: &str) -> Self {
        self.user = Some(user.to_owned());
        self
    }

    /// The password (a client's, or the one a server checks against).
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// The authorization identity a client requests (`gsasl -z`). `scramp` cannot send
    /// one: spawning fails with [`PeerError::Unsupported`]. Ignored for servers.
    pub fn authzid(mut self, authzid: &str) -> Self {
        self.authzid = Some(authzid.to_owned());
        self
    }

    /// Channel-binding type and data. With a `-PLUS` mechanism the exchange is bound
    /// to it; with a bare SCRAM mechanism it means "binding available but not used"
    /// (the `y` flag). Without it, `gsasl` runs with `--no-cb`.
    pub fn channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_binding = Some(binding);
        self
    }

    /// The SCRAM iteration count of a server (`gsasl` default 65536, `scramp` 4096).
    pub fn iterations(mut self, iterations: u32) -> Self {
        self.iterations = Some(iterations);
        self
    }

    /// The SCRAM salt of a server (`scramp` needs at least 12 bytes).
    pub fn salt(mut self, salt: &[u8]) -> Self {
        self.salt = Some(salt.to_vec());
        self
    }

    /// A fixed nonce part (`scramp` only; printable ASCII without `,`).
    pub fn nonce(mut self, nonce: &str) -> Self {
        self.nonce = Some(nonce.to_owned());
        self
    }

    /// Keep `scramp`'s own refusal of the `tls-exporter` type name.
    pub fn strict_scramp(mut self, strict: bool) -> Self {
        self.strict_scramp = strict;
        self
    }

    /// One more raw command-line argument for the peer program.
    pub fn arg(mut self, arg: &str) -> Self {
        self.extra_args.push(arg.to_owned());
        self
    }

    /// How long the peer may run before it is killed (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The peer's implementation.
    pub fn kind(&self) -> PeerKind {
        self.tool.kind
    }

    /// The peer's role.
    pub fn role(&self) -> PeerRole {
        self.role
    }

    /// The mechanism name.
    pub fn mechanism(&self) -> &str {
        &self.mechanism
    }

    /// The arguments the program will get (after the program itself).
    pub fn args(&self) -> Result<Vec<String>, PeerError> {
        match self.tool.kind {
            PeerKind::Gsasl => Ok(self.gsasl_args()),
            PeerKind::Scramp => self.scramp_args(),
        }
    }

    fn gsasl_args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--{}", self.role.name()),
            "-m".to_owned(),
            self.mechanism.clone(),
            // A gengetopt flag whose default is on: giving it turns the
            // application-data phase off, so gsasl exits after authentication.
            "-d".to_owned(),
        ];
        if let Some(password) = &self.password {
            args.extend(["-p".to_owned(), password.clone()]);
        }
        match self.role {
            PeerRole::Client => {
                if let Some(user) = &self.user {
                    args.extend(["-a".to_owned(), user.clone()]);
                }
                if let Some(authzid) = &self.authzid {
                    args.extend(["-z".to_owned(), authzid.clone()]);
                }
            }
            PeerRole::Server => {
                if let Some(iterations) = self.iterations {
                    args.extend(["--iteration-count".to_owned(), iterations.to_string()]);
                }
                if let Some(salt) = &self.salt {
                    args.extend(["--salt".to_owned(), encode_base64(salt)]);
                }
            }
        }
        if self.channel_binding.is_none() {
            args.push("--no-cb".to_owned());
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }

    fn scramp_args(&self) -> Result<Vec<String>, PeerError> {
        if self.authzid.is_some() && self.role == PeerRole::Client {
            return Err(PeerError::Unsupported(
                "scramp cannot send an authorization identity".to_owned(),
            ));
        }
        let script = self
            .tool
            .script
            .clone()
            .unwrap_or_else(scramp_script)
            .to_string_lossy()
            .into_owned();
        let mut args = vec![
            script,
            self.role.name().to_owned(),
            "--mech".to_owned(),
            self.mechanism.clone(),
        ];
        if let Some(user) = &self.user {
            args.extend(["--user".to_owned(), user.clone()]);
        }
        if let Some(password) = &self.password {
            args.extend(["--password".to_owned(), password.clone()]);
        }
        if let Some(binding) = &self.channel_binding {
            args.extend([
                "--cb-type".to_owned(),
                binding.kind().name().to_owned(),
                "--cb-hex".to_owned(),
                hex(binding.data()),
            ]);
        }
        if let Some(iterations) = self.iterations {
            args.extend(["--iterations".to_owned(), iterations.to_string()]);
        }
        if let Some(salt) = &self.salt {
            args.extend(["--salt-b64".to_owned(), encode_base64(salt)]);
        }
        if let Some(nonce) = &self.nonce {
            args.extend(["--nonce".to_owned(), nonce.clone()]);
        }
        if self.strict_scramp {
            args.push("--strict".to_owned());
        }
        args.extend(self.extra_args.iter().cloned());
        Ok(args)
    }

    /// Starts the peer process.
    pub fn spawn(self) -> Result<Peer, PeerError> {
        let args = self.args()?;
        let command_line = std::iter::once(self.tool.program.to_string_lossy().into_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = Command::new(&self.tool.program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| PeerError::Io(format!("cannot start {command_line}: {e}")))?;
        let started = Instant::now();
        let deadline = started.checked_add(self.timeout).unwrap_or(started);
        let stdin = child.stdin.take();
        let events = match child.stdout.take() {
            Some(stdout) => spawn_stdout_reader(stdout),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PeerError::Io("child has no stdout".to_owned()));
            }
        };
        let stderr = child.stderr.take().map(spawn_stderr_reader);
        Ok(Peer {
            spec: self,
            command_line,
            child,
            stdin,
            events,
            stderr,
            deadline,
            saw_mechanism: false,
            lines: 0,
            stdout_log: Vec::new(),
            stdout_closed: false,
            reaped: false,
        })
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// A running peer
// ---------------------------------------------------------------------------------------

/// What the stdout reader thread saw.
#[derive(Debug)]
enum OutEvent {
    /// A complete line, without its newline.
    Line(String),
    /// A channel-binding prompt (no newline) for this type name.
    Prompt(String),
    /// End of stdout.
    Eof,
    /// Reading failed.
    ServerFailure(String),
}

fn spawn_stdout_reader(mut stdout: std::process::ChildStdout) -> Receiver<OutEvent> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut pending: Vec<u8> = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = match stdout.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.send(OutEvent::ServerFailure(e.to_string()));
                    return;
                }
            };
            pending.extend(chunk.iter().take(n));
            while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
                let rest = pending.split_off(pos.saturating_add(1));
                let mut line = std::mem::replace(&mut pending, rest);
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let _ = tx.send(OutEvent::Line(String::from_utf8_lossy(&line).into_owned()));
            }
            if let Some(kind) = prompt_type(&String::from_utf8_lossy(&pending)) {
                pending.clear();
                let _ = tx.send(OutEvent::Prompt(kind));
            }
        }
        if !pending.is_empty() {
            let _ = tx.send(OutEvent::Line(
                String::from_utf8_lossy(&pending).into_owned(),
            ));
        }
        let _ = tx.send(OutEvent::Eof);
    });
    rx
}

fn spawn_stderr_reader(mut stderr: std::process::ChildStderr) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match stderr.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    // Keep at most 64 KiB: enough for a diagnosis.
                    if all.len() < 65_536 {
                        all.extend(chunk.iter().take(n));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&all).into_owned());
    });
    rx
}

/// The binding type a complete `gsasl` prompt asks for, if `text` is exactly one.
fn prompt_type(text: &str) -> Option<String> {
    let kind = text.strip_prefix(PROMPT_START)?.strip_suffix(PROMPT_END)?;
    (!kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| kind.to_owned())
}

/// Removes prompts glued to the front of a line (defensive: the reader normally
/// reports them separately).
fn strip_prompts(mut line: &str) -> &str {
    while let Some(rest) = line.strip_prefix(PROMPT_START) {
        match rest.find(PROMPT_END) {
            Some(end) => {
                line = rest
                    .get(end.saturating_add(PROMPT_END.len())..)
                    .unwrap_or("");
            }
            None => break,
        }
    }
    line
}

/// How a peer process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerExit {
    /// The exit code (`None` if killed by a signal, or still running when given up on).
    pub code: Option<i32>,
    /// Whether the harness killed it for overrunning its deadline.
    pub timed_out: bool,
    /// Everything it wrote to stderr (at most 64 KiB).
    pub stderr: String,
    /// Every raw stdout line it wrote (prompts shown as `<prompt ...>`).
    pub stdout: Vec<String>,
}

impl PeerExit {
    /// Exit status 0: the peer reports success (a client also verified the server
    /// where the mechanism can).
    pub fn success(&self) -> bool {
        !self.timed_out && self.code == Some(0)
    }
}

/// A running peer process speaking whole SASL messages (see the module docs for how
/// its quirks are hidden). Dropping it kills the child if it still runs.
pub struct Peer {
    spec: PeerSpec,
    command_line: String,
    child: Child,
    stdin: Option<ChildStdin>,
    events: Receiver<OutEvent>,
    stderr: Option<Receiver<String>>,
    deadline: Instant,
    saw_mechanism: bool,
    lines: usize,
    stdout_log: Vec<String>,
    stdout_closed: bool,
    reaped: bool,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("command_line", &self.command_line)
            .field("lines", &self.lines)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// The peer's implementation.
    pub fn kind(&self) -> PeerKind {
        self.spec.kind()
    }

    /// The peer's role.
    pub fn role(&self) -> PeerRole {
        self.spec.role
    }

    /// The mechanism name it was started with.
    pub fn mechanism(&self) -> &str {
        &self.spec.mechanism
    }

    /// The command line it was started with (for diagnostics).
    pub fn command_line(&self) -> &str {
        &self.command_line
    }

    /// Sends one message (written as a base64 line). A peer that already exited is not
    /// an error here: its exit status tells the story.
    pub fn send(&mut self, message: &[u8]) -> Result<(), PeerError> {
        self.write_line(&encode_base64(message))
    }

    fn write_line(&mut self, line: &str) -> Result<(), PeerError> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Ok(());
        };
        let result = stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush());
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.stdin = None;
                Ok(())
            }
            Err(e) => Err(PeerError::Io(format!("writing to {}: {e}", self.kind()))),
        }
    }

    /// Closes the peer's stdin (it then sees end of input).
    pub fn close_input(&mut self) {
        self.stdin = None;
    }

    /// The next message from the peer, or `None` when it has nothing more to say (its
    /// stdout ended). Answers channel-binding prompts on the way.
    pub fn recv(&mut self) -> Result<Option<Vec<u8>>, PeerError> {
        loop {
            if self.stdout_closed {
                return Ok(None);
            }
            let event = self.next_event()?;
            let text = match event {
                OutEvent::Eof => {
                    self.stdout_closed = true;
                    return Ok(None);
                }
                OutEvent::ServerFailure(e) => {
                    self.stdout_closed = true;
                    return Err(PeerError::Io(format!("reading from {}: {e}", self.kind())));
                }
                OutEvent::Prompt(kind) => {
                    self.stdout_log.push(format!("<prompt {kind}>"));
                    let answer = match &self.spec.channel_binding {
                        Some(b) if b.kind().name() == kind => encode_base64(b.data()),
                        _ => String::new(),
                    };
                    self.write_line(&answer)?;
                    continue;
                }
                OutEvent::Line(line) => {
                    self.stdout_log.push(line.clone());
                    strip_prompts(&line).to_owned()
                }
            };
            if self.kind() == PeerKind::Gsasl {
                if !self.saw_mechanism {
                    self.saw_mechanism = true;
                    if !text.eq_ignore_ascii_case(&self.spec.mechanism) {
                        return Err(PeerError::Protocol(format!(
                            "gsasl announced mechanism {text:?}, expected {:?}",
                            self.spec.mechanism
                        )));
                    }
                    continue;
                }
                let index = self.lines;
                self.lines = self.lines.saturating_add(1);
                if self.role() == PeerRole::Server && text.is_empty() {
                    if index == 0 {
                        // The empty initial challenge: the client sends its first
                        // message next.
                        continue;
                    }
                    // The last step succeeded without output; gsasl reads one more
                    // line before it exits 0.
                    self.write_line("")?;
                    self.close_input();
                    continue;
                }
            } else {
                self.lines = self.lines.saturating_add(1);
            }
            return decode_base64(text.as_bytes()).map(Some).map_err(|e| {
                PeerError::Protocol(format!("{} printed {text:?}: {e}", self.kind()))
            });
        }
    }

    fn next_event(&mut self) -> Result<OutEvent, PeerError> {
        let now = Instant::now();
        let wait = self.deadline.saturating_duration_since(now);
        match self.events.recv_timeout(wait) {
            Ok(event) => Ok(event),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(PeerError::Timeout(format!(
                    "no output from `{}` within its deadline",
                    self.command_line
                )))
            }
            Err(RecvTimeoutError::Disconnected) => Ok(OutEvent::Eof),
        }
    }

    /// Tells a client peer the server's verdict and waits for it to exit. A `gsasl`
    /// client reads one more line after its last step and exits 1 at end of input, so
    /// it gets that line only when `server_accepted`.
    pub fn finish_client(mut self, server_accepted: bool) -> PeerExit {
        if server_accepted && self.kind() == PeerKind::Gsasl {
            let _ = self.write_line("");
        }
        self.finish()
    }

    /// Closes the peer's input and waits for it to exit (killing it at its deadline,
    /// or two seconds from now if that is later).
    pub fn finish(mut self) -> PeerExit {
        self.close_input();
        let grace = Instant::now()
            .checked_add(Duration::from_secs(2))
            .unwrap_or(self.deadline);
        let deadline = self.deadline.max(grace);
        let mut timed_out = false;
        let code = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status.code(),
                Ok(None) if Instant::now() >= deadline => {
                    timed_out = true;
                    self.kill();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => {
                    self.kill();
                    break None;
                }
            }
        };
        self.reaped = true;
        // Whatever stdout still holds, for the record.
        while let Ok(event) = self.events.recv_timeout(Duration::from_millis(200)) {
            match event {
                OutEvent::Line(line) => self.stdout_log.push(line),
                OutEvent::Prompt(kind) => self.stdout_log.push(format!("<prompt {kind}>")),
                OutEvent::Eof | OutEvent::ServerFailure(_) => break,
            }
        }
        let stderr = self
            .stderr
            .take()
            .and_then(|rx| rx.recv_timeout(Duration::from_secs(1)).ok())
            .unwrap_or_default();
        PeerExit {
            code,
            timed_out,
            stderr,
            stdout: std::mem::take(&mut self.stdout_log),
        }
    }

    fn kill(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reaped = true;
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Drivers and reports
// ---------------------------------------------------------------------------------------

/// How our side of a [`PeerRun`] ended.
#[derive(Debug)]
pub enum OurEnd {
    /// Our client's end.
    Client(ClientEnd),
    /// Our server's end.
    Server(ServerEnd),
    /// The harness could not complete the exchange (timeout, unexpected output, local
    /// misuse). Always a test failure unless the test expects exactly that.
    Error(PeerError),
}

/// Everything that happened when one of our sessions ran against a peer.
#[derive(Debug)]
pub struct PeerRun {
    /// The peer's implementation.
    pub kind: PeerKind,
    /// The peer's role.
    pub role: PeerRole,
    /// The peer's command line.
    pub command_line: String,
    /// The messages, decoded, in order.
    pub messages: Vec<Message>,
    /// How the peer process ended (its exit status is its verdict).
    pub peer: PeerExit,
    /// How our side ended.
    pub ours: OurEnd,
}

impl PeerRun {
    /// Whether the peer exited 0.
    pub fn peer_succeeded(&self) -> bool {
        self.peer.success()
    }

    /// Whether our side succeeded (our client authenticated, or our server reported
    /// success).
    pub fn ours_succeeded(&self) -> bool {
        match &self.ours {
            OurEnd::Client(ClientEnd::Outcome(o)) => o.is_authenticated(),
            OurEnd::Server(ServerEnd::Success(_)) => true,
            _ => false,
        }
    }

    /// Both sides succeeded.
    pub fn both_succeeded(&self) -> bool {
        self.peer_succeeded() && self.ours_succeeded()
    }

    /// Both sides failed, and the harness itself had no trouble.
    pub fn both_failed(&self) -> bool {
        !self.peer_succeeded()
            && !self.peer.timed_out
            && !self.ours_succeeded()
            && self.harness_error().is_none()
    }

    /// The harness error, if the exchange could not be completed.
    pub fn harness_error(&self) -> Option<&PeerError> {
        match &self.ours {
            OurEnd::Error(e) => Some(e),
            _ => None,
        }
    }

    /// Our server's success, if any.
    pub fn authenticated(&self) -> Option<&ServerSuccess> {
        match &self.ours {
            OurEnd::Server(ServerEnd::Success(a)) => Some(a),
            _ => None,
        }
    }

    /// Our server's failure, if any.
    pub fn server_failure(&self) -> Option<&ServerFailure> {
        match &self.ours {
            OurEnd::Server(ServerEnd::Failure(f)) => Some(f),
            _ => None,
        }
    }

    /// Our client's end, if our side was the client.
    pub fn client_end(&self) -> Option<&ClientEnd> {
        match &self.ours {
            OurEnd::Client(end) => Some(end),
            _ => None,
        }
    }

    /// Our client's outcome, if it finished (rather than aborting).
    pub fn client_outcome(&self) -> Option<&ClientOutcome> {
        match &self.ours {
            OurEnd::Client(ClientEnd::Outcome(o)) => Some(o),
            _ => None,
        }
    }

    /// The client's messages, in order.
    pub fn client_messages(&self) -> Vec<&[u8]> {
        messages_in(&self.messages, Direction::ClientToServer)
    }

    /// The server's messages, in order.
    pub fn server_messages(&self) -> Vec<&[u8]> {
        messages_in(&self.messages, Direction::ServerToClient)
    }
}

impl fmt::Display for PeerRun {
    /// A multi-line report for assertion messages: transcript, both ends, peer output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "peer {} {}: {}",
            self.kind,
            self.role.name(),
            self.command_line
        )?;
        write_transcript(f, &self.messages)?;
        writeln!(f, "ours: {:?}", self.ours)?;
        write_exit(f, self.kind, &self.peer)
    }
}

fn messages_in(messages: &[Message], direction: Direction) -> Vec<&[u8]> {
    messages
        .iter()
        .filter(|m| m.direction == direction)
        .map(|m| m.data.as_slice())
        .collect()
}

fn write_transcript(f: &mut fmt::Formatter<'_>, messages: &[Message]) -> fmt::Result {
    for m in messages {
        let arrow = match m.direction {
            Direction::ClientToServer => "C->S",
            Direction::ServerToClient => "S->C",
        };
        writeln!(f, "  {arrow} {}", printable(&m.data))?;
    }
    Ok(())
}

fn write_exit(f: &mut fmt::Formatter<'_>, kind: PeerKind, exit: &PeerExit) -> fmt::Result {
    writeln!(
        f,
        "{kind} exit: {:?}{}",
        exit.code,
        if exit.timed_out { " (timed out)" } else { "" }
    )?;
    writeln!(f, "{kind} stdout: {:?}", exit.stdout)?;
    for line in exit.stderr.lines() {
        writeln!(f, "{kind} stderr: {line}")?;
    }
    Ok(())
}

/// Shows bytes as text with NUL as `\0` and other controls escaped.
fn printable(data: &[u8]) -> String {
    String::from_utf8_lossy(data)
        .chars()
        .map(|c| match c {
            '\0' => "\\0".to_owned(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

struct Recorder {
    messages: Vec<Message>,
    sent: [usize; 2],
}

impl Recorder {
    fn new() -> Self {
        Self {
            messages: Vec::new(),
            sent: [0, 0],
        }
    }

    fn record(&mut self, direction: Direction, data: &[u8]) -> Result<(), PeerError> {
        if self.messages.len() >= MAX_MESSAGES {
            return Err(PeerError::Protocol(format!(
                "exchange did not end within {MAX_MESSAGES} messages"
            )));
        }
        let slot = match direction {
            Direction::ClientToServer => &mut self.sent[0],
            Direction::ServerToClient => &mut self.sent[1],
        };
        self.messages.push(Message {
            direction,
            index: *slot,
            data: data.to_vec(),
        });
        *slot = slot.saturating_add(1);
        Ok(())
    }
}

/// How our client is given the server's final message (SCRAM `v=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FinalMessage {
    /// As a challenge to [`ClientSession::step`], answered with an empty response:
    /// how IMAP and SMTP carry it. The default.
    #[default]
    AsChallenge,
    /// A server message starting with this prefix (e.g. `b"v="`) is held back and
    /// given to [`ClientSession::finish`] as additional data with success once the
    /// peer exits 0 (as XMPP or LDAP carry it).
    InOutcome(Vec<u8>),
}

enum ClientPump {
    Aborted(sasl_core::ClientFailure),
    PeerDone(Option<Vec<u8>>),
}

/// Runs our client against a server peer, giving it the server's final message as a
/// challenge. See [`run_our_client_against_with`].
pub fn run_our_client_against(peer: Peer, client: ClientSession) -> PeerRun {
    run_our_client_against_with(peer, client, FinalMessage::AsChallenge)
}

/// Runs our client against a server peer until the peer stops talking, then finishes
/// our client with the peer's verdict (exit 0: success, else failure).
///
/// If our client aborts, the peer's input is closed and our end is
/// [`ClientEnd::Aborted`]. Our client must have an initial response (PLAIN and SCRAM
/// do); `gsasl`'s empty initial challenge is dropped for it.
pub fn run_our_client_against_with(
    mut peer: Peer,
    mut client: ClientSession,
    final_message: FinalMessage,
) -> PeerRun {
    let mut recorder = Recorder::new();
    let pumped = pump_our_client(&mut peer, &mut client, &mut recorder, &final_message);
    let (kind, role, command_line) = (peer.kind(), peer.role(), peer.command_line.clone());
    let exit = peer.finish();
    let ours = match pumped {
        Ok(ClientPump::Aborted(failure)) => OurEnd::Client(ClientEnd::Aborted(failure)),
        Ok(ClientPump::PeerDone(data)) => {
            let outcome = if exit.success() {
                ServerReply::Success {
                    additional_data: data,
                }
            } else {
                ServerReply::failure()
            };
            match client.finish(outcome) {
                Ok(o) => OurEnd::Client(ClientEnd::Outcome(o)),
                Err(e) => OurEnd::Error(PeerError::Session(e)),
            }
        }
        Err(e) => OurEnd::Error(e),
    };
    PeerRun {
        kind,
        role,
        command_line,
        messages: recorder.messages,
        peer: exit,
        ours,
    }
}

fn pump_our_client(
    peer: &mut Peer,
    client: &mut ClientSession,
    recorder: &mut Recorder,
    final_message: &FinalMessage,
) -> Result<ClientPump, PeerError> {
    let mut held: Option<Vec<u8>> = None;
    match client.start()? {
        ClientStep::Respond(data) => {
            recorder.record(Direction::ClientToServer, data.expose())?;
            peer.send(data.expose())?;
        }
        ClientStep::AwaitChallenge => {}
        ClientStep::Abort(failure) => return Ok(ClientPump::Aborted(failure)),
        ClientStep::Request(_) => {
            return Err(PeerError::Protocol(
                "our client asked for input the test did not give".to_owned(),
            ));
        }
    }
    while let Some(challenge) = peer.recv()? {
        recorder.record(Direction::ServerToClient, &challenge)?;
        if let FinalMessage::InOutcome(prefix) = final_message {
            if challenge.starts_with(prefix) {
                held = Some(challenge);
                // The empty answer a server peer waits for after its final message.
                peer.send(b"")?;
                continue;
            }
        }
        match client.step(&challenge)? {
            ClientStep::Respond(data) => {
                recorder.record(Direction::ClientToServer, data.expose())?;
                peer.send(data.expose())?;
            }
            ClientStep::Abort(failure) => return Ok(ClientPump::Aborted(failure)),
            ClientStep::AwaitChallenge => {
                return Err(PeerError::Protocol(
                    "our client awaits a challenge mid-exchange".to_owned(),
                ));
            }
            ClientStep::Request(_) => {
                return Err(PeerError::Protocol(
                    "our client asked for input the test did not give".to_owned(),
                ));
            }
        }
    }
    Ok(ClientPump::PeerDone(held))
}

/// Runs a client peer against our server, answering our server's requests from
/// `store`, then tells the peer the verdict (see [`Peer::finish_client`]).
///
/// The peer's first message is the initial response. Success data is sent the way our
/// session chose: with [`SuccessData::AsChallenge`](sasl_core::SuccessData) (the
/// default) it is one more challenge that the peer answers with an empty line; with
/// `InOutcome` the harness sends [`ServerSuccess::additional_data`](sasl_core::ServerSuccess::additional_data) as a line and reads
/// the peer's empty answer. A failure's message (SCRAM `e=`) is sent to the peer. If
/// the peer stops before the end, our server is cancelled.
pub fn run_peer_client_against(peer: Peer, server: ServerSession, store: &impl Store) -> PeerRun {
    run_peer_client(peer, server, store, true)
}

/// As [`run_peer_client_against`], for a protocol without initial responses: our server
/// is started with none, so it sends its empty challenge first and the peer's first
/// message answers it (start the peer client with `--no-client-first`).
pub fn run_peer_client_against_without_initial_response(
    peer: Peer,
    server: ServerSession,
    store: &impl Store,
) -> PeerRun {
    run_peer_client(peer, server, store, false)
}

fn run_peer_client(
    mut peer: Peer,
    mut server: ServerSession,
    store: &impl Store,
    initial_response: bool,
) -> PeerRun {
    let mut recorder = Recorder::new();
    let pumped = pump_our_server(
        &mut peer,
        &mut server,
        store,
        &mut recorder,
        initial_response,
    );
    let (kind, role, command_line) = (peer.kind(), peer.role(), peer.command_line.clone());
    let accepted = matches!(pumped, Ok(ServerEnd::Success(_)));
    let exit = peer.finish_client(accepted);
    let ours = match pumped {
        Ok(end) => OurEnd::Server(end),
        Err(e) => OurEnd::Error(e),
    };
    PeerRun {
        kind,
        role,
        command_line,
        messages: recorder.messages,
        peer: exit,
        ours,
    }
}

fn pump_our_server(
    peer: &mut Peer,
    server: &mut ServerSession,
    store: &impl Store,
    recorder: &mut Recorder,
    initial_response: bool,
) -> Result<ServerEnd, PeerError> {
    let mut step = if initial_response {
        let Some(first) = peer.recv()? else {
            return end_of(server.cancel()?);
        };
        recorder.record(Direction::ClientToServer, &first)?;
        server.start_with(Some(&first), store)?
    } else {
        server.start_with(None, store)?
    };
    loop {
        match step {
            ServerStep::Challenge(challenge) => {
                recorder.record(Direction::ServerToClient, &challenge)?;
                peer.send(&challenge)?;
                match peer.recv()? {
                    Some(response) => {
                        recorder.record(Direction::ClientToServer, &response)?;
                        step = server.step_with(&response, store)?;
                    }
                    None => return end_of(server.cancel()?),
                }
            }
            ServerStep::Success(auth) => {
                if let Some(data) = auth.additional_data() {
                    recorder.record(Direction::ServerToClient, data)?;
                    peer.send(data)?;
                    if let Some(answer) = peer.recv()? {
                        recorder.record(Direction::ClientToServer, &answer)?;
                    }
                }
                return Ok(ServerEnd::Success(auth));
            }
            ServerStep::Failure(failed) => {
                if let Some(message) = failed.message() {
                    recorder.record(Direction::ServerToClient, message)?;
                    peer.send(message)?;
                }
                return Ok(ServerEnd::Failure(failed));
            }
            ServerStep::Request(_) => {
                return Err(PeerError::Protocol(
                    "request left unanswered by step_with".to_owned(),
                ));
            }
        }
    }
}

fn end_of(step: ServerStep) -> Result<ServerEnd, PeerError> {
    match step {
        ServerStep::Success(a) => Ok(ServerEnd::Success(a)),
        ServerStep::Failure(f) => Ok(ServerEnd::Failure(f)),
        _ => Err(PeerError::Protocol(
            "server did not end after cancel".to_owned(),
        )),
    }
}

/// A peer-against-peer run (see [`relay`]).
#[derive(Debug)]
pub struct RelayRun {
    /// The client peer's implementation.
    pub client_kind: PeerKind,
    /// The server peer's implementation.
    pub server_kind: PeerKind,
    /// The messages, decoded, in order.
    pub messages: Vec<Message>,
    /// How the client peer ended.
    pub client: PeerExit,
    /// How the server peer ended.
    pub server: PeerExit,
    /// A harness error, if the exchange could not be completed.
    pub error: Option<PeerError>,
}

impl RelayRun {
    /// Both peers exited 0 and the harness had no trouble.
    pub fn both_succeeded(&self) -> bool {
        self.error.is_none() && self.client.success() && self.server.success()
    }

    /// Neither peer exited 0, and the harness had no trouble.
    pub fn both_failed(&self) -> bool {
        self.error.is_none()
            && !self.client.success()
            && !self.server.success()
            && !self.client.timed_out
            && !self.server.timed_out
    }
}

impl fmt::Display for RelayRun {
    /// A multi-line report for assertion messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_transcript(f, &self.messages)?;
        if let Some(e) = &self.error {
            writeln!(f, "harness error: {e}")?;
        }
        writeln!(f, "-- client:")?;
        write_exit(f, self.client_kind, &self.client)?;
        writeln!(f, "-- server:")?;
        write_exit(f, self.server_kind, &self.server)
    }
}

/// Runs a client peer against a server peer, passing messages both ways, to learn
/// what two independent implementations agree on (e.g. before asserting that ours
/// behaves the same).
pub fn relay(mut client: Peer, mut server: Peer) -> RelayRun {
    let mut recorder = Recorder::new();
    let (client_kind, server_kind) = (client.kind(), server.kind());
    let result = pump_relay(&mut client, &mut server, &mut recorder);
    let server_exit = server.finish();
    let client_exit = client.finish_client(result.is_ok() && server_exit.success());
    RelayRun {
        client_kind,
        server_kind,
        messages: recorder.messages,
        client: client_exit,
        server: server_exit,
        error: result.err(),
    }
}

fn pump_relay(
    client: &mut Peer,
    server: &mut Peer,
    recorder: &mut Recorder,
) -> Result<(), PeerError> {
    loop {
        let Some(message) = client.recv()? else {
            return Ok(());
        };
        recorder.record(Direction::ClientToServer, &message)?;
        server.send(&message)?;
        let Some(reply) = server.recv()? else {
            return Ok(());
        };
        recorder.record(Direction::ServerToClient, &reply)?;
        client.send(&reply)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sasl_core::ChannelBindingType;

    #[test]
    fn prompt_parsing() {
        assert_eq!(
            prompt_type("Enter base64 encoded tls-exporter channel binding: ").as_deref(),
            Some("tls-exporter")
        );
        assert_eq!(prompt_type("Enter base64 encoded tls-exp"), None);
        assert_eq!(prompt_type("cj1hYmM="), None);
        assert_eq!(
            strip_prompts(
                "Enter base64 encoded tls-exporter channel binding: \
                 Enter base64 encoded tls-unique channel binding: cj1h"
            ),
            "cj1h"
        );
        assert_eq!(strip_prompts("cj1h"), "cj1h");
    }

    #[test]
    fn require_value_parsing() {
        assert!(required_value("1"));
        assert!(required_value("yes"));
        assert!(!required_value(""));
        assert!(!required_value("0"));
        assert!(!required_value("false"));
    }

    #[test]
    fn printable_escapes_controls() {
        assert_eq!(printable(b"a\0b\n"), "a\\0b\\n");
    }

    #[test]
    fn gsasl_arguments() {
        let tool = PeerTool {
            kind: PeerKind::Gsasl,
            program: PathBuf::from("gsasl"),
            script: None,
        };
        let args = tool
            .client("PLAIN")
            .user("alice")
            .password("pencil")
            .authzid("admin")
            .args()
            .unwrap();
        assert_eq!(
            args,
            [
                "--client", "-m", "PLAIN", "-d", "-p", "pencil", "-a", "alice", "-z", "admin",
                "--no-cb"
            ]
        );
        let args = tool
            .server("SCRAM-SHA-256-PLUS")
            .password("pencil")
            .iterations(4096)
            .salt(b"0123456789ab")
            .channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsExporter,
                vec![1, 2],
            ))
            .args()
            .unwrap();
        assert!(args.contains(&"--iteration-count".to_owned()));
        assert!(args.contains(&encode_base64(b"0123456789ab")));
        assert!(!args.contains(&"--no-cb".to_owned()));
    }

    #[test]
    fn scramp_refuses_authzid() {
        let tool = PeerTool {
            kind: PeerKind::Scramp,
            program: PathBuf::from("python3"),
            script: Some(scramp_script()),
        };
        assert!(matches!(
            tool.client("SCRAM-SHA-256").authzid("admin").args(),
            Err(PeerError::Unsupported(_))
        ));
        let args = tool
            .server("SCRAM-SHA-1-PLUS")
            .user("u")
            .channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsUnique,
                vec![0xab],
            ))
            .args()
            .unwrap();
        assert!(args.windows(2).any(|w| w[0] == "--cb-hex" && w[1] == "ab"));
        assert!(
            args.windows(2)
                .any(|w| w[0] == "--cb-type" && w[1] == "tls-unique")
        );
    }

    fn cb(kind: ChannelBindingType, fill: u8) -> ChannelBinding {
        ChannelBinding::new(kind, vec![fill; 32])
    }

    /// Both peers for one test, or `None` after a skip.
    fn both() -> Result<Option<(PeerTool, PeerTool)>, PeerError> {
        let gsasl = require_gsasl()?;
        let scramp = require_scramp()?;
        Ok(gsasl.zip(scramp))
    }

    #[test]
    fn gsasl_plain_against_itself() -> Result<(), PeerError> {
        let Some(gsasl) = require_gsasl()? else {
            return Ok(());
        };
        let ok = relay(
            gsasl
                .client("PLAIN")
                .user("alice")
                .password("pencil")
                .spawn()?,
            gsasl.server("PLAIN").password("pencil").spawn()?,
        );
        assert!(ok.both_succeeded(), "{ok}");
        assert_eq!(ok.messages.len(), 1, "{ok}");
        let bad = relay(
            gsasl
                .client("PLAIN")
                .user("alice")
                .password("wrong")
                .spawn()?,
            gsasl.server("PLAIN").password("pencil").spawn()?,
        );
        assert!(bad.both_failed(), "{bad}");
        // SCRAM: the server's `v=` is a message, the client's empty answer is gsasl's
        // extra line.
        let scram = relay(
            gsasl
                .client("SCRAM-SHA-256")
                .user("alice")
                .password("pencil")
                .spawn()?,
            gsasl
                .server("SCRAM-SHA-256")
                .password("pencil")
                .iterations(4096)
                .spawn()?,
        );
        assert!(scram.both_succeeded(), "{scram}");
        assert_eq!(scram.messages.len(), 5, "{scram}");
        assert!(scram.messages[3].data.starts_with(b"v="), "{scram}");
        Ok(())
    }

    #[test]
    fn scramp_against_itself() -> Result<(), PeerError> {
        let Some(scramp) = require_scramp()? else {
            return Ok(());
        };
        for mech in ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
            let run = relay(
                scramp
                    .client(mech)
                    .user("user")
                    .password("pencil")
                    .spawn()?,
                scramp
                    .server(mech)
                    .user("user")
                    .password("pencil")
                    .spawn()?,
            );
            assert!(run.both_succeeded(), "{mech}\n{run}");
            assert_eq!(run.messages.len(), 5, "{run}");
        }
        let bad = relay(
            scramp
                .client("SCRAM-SHA-256")
                .user("user")
                .password("wrong")
                .spawn()?,
            scramp
                .server("SCRAM-SHA-256")
                .user("user")
                .password("pencil")
                .spawn()?,
        );
        assert!(bad.both_failed(), "{bad}");
        let last = bad.messages.last().map(|m| m.data.clone()).unwrap();
        assert!(last.starts_with(b"e="), "{bad}");
        Ok(())
    }

    #[test]
    fn scramp_nonce_and_salt_are_fixed() -> Result<(), PeerError> {
        let Some(scramp) = require_scramp()? else {
            return Ok(());
        };
        let run = relay(
            scramp
                .client("SCRAM-SHA-256")
                .user("user")
                .password("pencil")
                .nonce("rOprNGfwEbeRWgbNEkqO")
                .spawn()?,
            scramp
                .server("SCRAM-SHA-256")
                .user("user")
                .password("pencil")
                .nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
                .salt(b"0123456789abcdef")
                .iterations(4096)
                .spawn()?,
        );
        assert!(run.both_succeeded(), "{run}");
        assert_eq!(
            run.messages[0].data,
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO".to_vec()
        );
        let server_first = String::from_utf8(run.messages[1].data.clone()).unwrap();
        assert_eq!(
            server_first,
            format!(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s={},i=4096",
                encode_base64(b"0123456789abcdef")
            )
        );
        Ok(())
    }

    #[test]
    fn gsasl_client_against_scramp_server() -> Result<(), PeerError> {
        let Some((gsasl, scramp)) = both()? else {
            return Ok(());
        };
        for mech in ["SCRAM-SHA-1", "SCRAM-SHA-256"] {
            let run = relay(
                gsasl.client(mech).user("user").password("pencil").spawn()?,
                scramp
                    .server(mech)
                    .user("user")
                    .password("pencil")
                    .spawn()?,
            );
            assert!(run.both_succeeded(), "{mech}\n{run}");
        }
        let bad = relay(
            gsasl
                .client("SCRAM-SHA-256")
                .user("user")
                .password("wrong")
                .spawn()?,
            scramp
                .server("SCRAM-SHA-256")
                .user("user")
                .password("pencil")
                .spawn()?,
        );
        assert!(bad.both_failed(), "{bad}");
        Ok(())
    }

    #[test]
    fn scramp_client_against_gsasl_server() -> Result<(), PeerError> {
        let Some((gsasl, scramp)) = both()? else {
            return Ok(());
        };
        let run = relay(
            scramp
                .client("SCRAM-SHA-256")
                .user("user")
                .password("pencil")
                .spawn()?,
            gsasl
                .server("SCRAM-SHA-256")
                .password("pencil")
                .iterations(4096)
                .salt(b"0123456789abcdef")
                .spawn()?,
        );
        assert!(run.both_succeeded(), "{run}");
        let server_first = String::from_utf8(run.messages[1].data.clone()).unwrap();
        assert!(
            server_first.ends_with(&format!(",s={},i=4096", encode_base64(b"0123456789abcdef"))),
            "{run}"
        );
        Ok(())
    }

    #[test]
    fn channel_binding_prompts_are_answered() -> Result<(), PeerError> {
        let Some((gsasl, scramp)) = both()? else {
            return Ok(());
        };
        for kind in [
            ChannelBindingType::TlsExporter,
            ChannelBindingType::TlsUnique,
        ] {
            // gsasl client (prompted before client-first) against a scramp server.
            let run = relay(
                gsasl
                    .client("SCRAM-SHA-256-PLUS")
                    .user("user")
                    .password("pencil")
                    .channel_binding(cb(kind, 7))
                    .spawn()?,
                scramp
                    .server("SCRAM-SHA-256-PLUS")
                    .user("user")
                    .password("pencil")
                    .channel_binding(cb(kind, 7))
                    .spawn()?,
            );
            assert!(run.both_succeeded(), "{kind}\n{run}");
            let first = String::from_utf8(run.messages[0].data.clone()).unwrap();
            assert!(first.starts_with(&format!("p={kind},,")), "{run}");
            // scramp client against a gsasl server (prompted after client-first).
            let run = relay(
                scramp
                    .client("SCRAM-SHA-256-PLUS")
                    .user("user")
                    .password("pencil")
                    .channel_binding(cb(kind, 9))
                    .spawn()?,
                gsasl
                    .server("SCRAM-SHA-256-PLUS")
                    .password("pencil")
                    .channel_binding(cb(kind, 9))
                    .spawn()?,
            );
            assert!(run.both_succeeded(), "{kind}\n{run}");
            // Different binding data on the two ends fails.
            let run = relay(
                gsasl
                    .client("SCRAM-SHA-256-PLUS")
                    .user("user")
                    .password("pencil")
                    .channel_binding(cb(kind, 1))
                    .spawn()?,
                scramp
                    .server("SCRAM-SHA-256-PLUS")
                    .user("user")
                    .password("pencil")
                    .channel_binding(cb(kind, 2))
                    .spawn()?,
            );
            assert!(run.both_failed(), "{kind}\n{run}");
        }
        Ok(())
    }

    #[test]
    fn scramp_strict_refuses_tls_exporter() -> Result<(), PeerError> {
        let Some(scramp) = require_scramp()? else {
            return Ok(());
        };
        let exit = scramp
            .client("SCRAM-SHA-256-PLUS")
            .user("user")
            .password("pencil")
            .channel_binding(cb(ChannelBindingType::TlsExporter, 3))
            .strict_scramp(true)
            .spawn()?
            .finish();
        assert!(!exit.success(), "{exit:?}");
        assert!(exit.stderr.contains("tls-exporter"), "{exit:?}");
        Ok(())
    }

    #[test]
    fn silent_peer_times_out() -> Result<(), PeerError> {
        let Some(gsasl) = require_gsasl()? else {
            return Ok(());
        };
        // A server waits for the client's first message forever; a short deadline
        // must end the wait and kill it.
        let mut peer = gsasl
            .server("PLAIN")
            .password("pencil")
            .timeout(Duration::from_millis(300))
            .spawn()?;
        let started = Instant::now();
        assert!(matches!(peer.recv(), Err(PeerError::Timeout(_))));
        assert!(started.elapsed() < Duration::from_secs(5));
        let exit = peer.finish();
        assert!(!exit.success());
        Ok(())
    }
}
