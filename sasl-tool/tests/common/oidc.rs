//! A real OpenID provider for the `sasl oauth` tests: `tests/oidc/provider.mjs` (the
//! certified Node.js `oidc-provider` package on 127.0.0.1, see `tests/oidc/README.md`)
//! started by [`OidcProvider::start`], and the user at the browser, headless Chromium
//! through ChromeDriver (`tests/oidc/browser.mjs`), run by [`browser_code_flow`] and
//! [`browser_device_flow`].
//!
//! Missing pieces (node, the npm modules, chromium, chromedriver) make
//! [`OidcProvider::start`] skip the test with a loud `SKIPPED` line, unless
//! `SASL_REQUIRE_PEERS=1` (CI), where it panics with how to install them.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the provider may take to print its ready line.
pub const PROVIDER_START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one `browser.mjs` run may take (it gives up by itself after 60 s).
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(75);

/// Environment variable: the `node` program (default `node` on `PATH`).
pub const NODE_ENV: &str = "SASL_NODE";
/// Environment variable: the Chromium binary (default `/usr/bin/chromium`), read by
/// `browser.mjs` too.
pub const CHROMIUM_ENV: &str = "SASL_CHROMIUM";
/// Environment variable: the ChromeDriver binary (default `/usr/bin/chromedriver`),
/// read by `browser.mjs` too.
pub const CHROMEDRIVER_ENV: &str = "SASL_CHROMEDRIVER";

/// What [`OidcProvider::start`] configures (`provider.mjs` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderOptions {
    /// The `aud` of the JWT access tokens (`--audience`).
    pub audience: String,
    /// Access token lifetime in seconds (`--access-ttl`).
    pub access_ttl: u64,
    /// Refresh token lifetime in seconds, restarted by each rotation (`--refresh-ttl`).
    pub refresh_ttl: u64,
    /// Whether dynamic client registration (RFC 7591) is open (else `--no-registration`).
    pub registration: bool,
    /// Serve https with this certificate chain and key (PEM files; `--tls-cert`,
    /// `--tls-key`); plain http when `None`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// A public native client known in advance (`--static-client`), with the loopback
    /// redirect `http://127.0.0.1/oauth/callback` on any port.
    pub static_client: Option<String>,
    /// Registration needs this initial access token (`--registration-token`): clients
    /// without it are refused.
    pub registration_token: Option<String>,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        Self {
            audience: "sasl-serve".to_owned(),
            access_ttl: 300,
            refresh_ttl: 86400,
            registration: true,
            tls: None,
            static_client: None,
            registration_token: None,
        }
    }
}

/// A running `provider.mjs`; killed when dropped (it also exits when its stdin closes,
/// so a test that dies never leaves it behind).
pub struct OidcProvider {
    child: Child,
    stdin: Option<ChildStdin>,
    issuer: String,
    port: u16,
    scope: String,
    jwks_path: PathBuf,
    dir: PathBuf,
    stderr: Arc<Mutex<String>>,
}

/// `sasl-tool/tests/oidc`.
pub fn oidc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("oidc")
}

fn node_program() -> PathBuf {
    std::env::var_os(NODE_ENV).map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

fn program_from(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// What is missing to run the provider and the browser, with how to install it.
fn missing_pieces() -> Vec<String> {
    let mut missing = Vec::new();
    let node = node_program();
    let node_ok = Command::new(&node)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !node_ok {
        missing.push(format!(
            "{} (Node.js 20.18 or later: apt-get install nodejs npm, or set {NODE_ENV})",
            node.display()
        ));
    }
    let modules = oidc_dir().join("node_modules").join("oidc-provider");
    if !modules.join("package.json").is_file() {
        missing.push(format!(
            "the npm modules in {} (cd sasl-tool/tests/oidc && npm ci)",
            oidc_dir().join("node_modules").display()
        ));
    }
    let chromium = program_from(CHROMIUM_ENV, "/usr/bin/chromium");
    if !chromium.is_file() {
        missing.push(format!(
            "{} (apt-get install --no-install-recommends chromium, or set {CHROMIUM_ENV})",
            chromium.display()
        ));
    }
    let chromedriver = program_from(CHROMEDRIVER_ENV, "/usr/bin/chromedriver");
    if !chromedriver.is_file() {
        missing.push(format!(
            "{} (apt-get install --no-install-recommends chromium-driver, or set {CHROMEDRIVER_ENV})",
            chromedriver.display()
        ));
    }
    missing
}

/// A fresh private temporary directory.
fn temp_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "sasl-oidc-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// Collects a child's pipe into a shared string.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        let mut buf = [0_u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let (Ok(mut s), Some(chunk)) = (sink.lock(), buf.get(..n)) {
                s.push_str(&String::from_utf8_lossy(chunk));
            }
        }
    });
    text
}

fn text_of(shared: &Arc<Mutex<String>>) -> String {
    shared.lock().map(|s| s.clone()).unwrap_or_default()
}

impl OidcProvider {
    /// Starts `provider.mjs` with `options` and waits (at most
    /// [`PROVIDER_START_TIMEOUT`]) for its ready line. `None` (after a `SKIPPED` line)
    /// when node, the npm modules, chromium or chromedriver are missing, unless
    /// `SASL_REQUIRE_PEERS=1`: then it panics saying what is missing.
    pub fn start(options: &ProviderOptions) -> Option<OidcProvider> {
        let missing = missing_pieces();
        if !missing.is_empty() {
            let what = format!("the OpenID provider peer needs {}", missing.join(", "));
            return sasl_test::peers::missing(&what).unwrap_or_else(|e| panic!("{e}"));
        }

        let dir = temp_dir();
        let jwks_path = dir.join("jwks.json");
        let mut command = Command::new(node_program());
        command
            .current_dir(oidc_dir())
            .arg("provider.mjs")
            .args(["--port", "0", "--audience", &options.audience])
            .args(["--access-ttl", &options.access_ttl.to_string()])
            .args(["--refresh-ttl", &options.refresh_ttl.to_string()])
            .arg("--jwks-out")
            .arg(&jwks_path);
        if !options.registration {
            command.arg("--no-registration");
        }
        if let Some(id) = &options.static_client {
            command.args(["--static-client", id]);
        }
        if let Some(token) = &options.registration_token {
            command.args(["--registration-token", token]);
        }
        if let Some((cert, key)) = &options.tls {
            command
                .arg("--tls-cert")
                .arg(cert)
                .arg("--tls-key")
                .arg(key);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node provider.mjs");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("provider stdout");
        let stderr = collect(child.stderr.take().expect("provider stderr"));

        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = tx.send(reader.read_line(&mut line).map(|_| line));
            // Keep draining so the provider never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let fail = |child: &mut Child, why: &str| -> ! {
            let _ = child.kill();
            let _ = child.wait();
            // Let the stderr reader catch up with what the dead process wrote.
            std::thread::sleep(Duration::from_millis(100));
            panic!("provider.mjs {why}; its stderr:\n{}", text_of(&stderr));
        };
        let line = match rx.recv_timeout(PROVIDER_START_TIMEOUT) {
            Ok(Ok(line)) if !line.trim().is_empty() => line,
            Ok(Ok(_)) => fail(&mut child, "exited without a ready line"),
            Ok(Err(e)) => fail(&mut child, &format!("stdout unreadable: {e}")),
            Err(_) => fail(
                &mut child,
                &format!(
                    "printed no ready line in {} s",
                    PROVIDER_START_TIMEOUT.as_secs()
                ),
            ),
        };
        let ready: serde_json::Value = match serde_json::from_str(line.trim()) {
            Ok(v) => v,
            Err(e) => fail(&mut child, &format!("ready line is not JSON ({e}): {line}")),
        };
        let issuer = ready["issuer"].as_str().map(str::to_owned);
        let port = ready["port"].as_u64().and_then(|p| u16::try_from(p).ok());
        let scope = ready["scope"].as_str().map(str::to_owned);
        let (Some(issuer), Some(port), Some(scope)) = (issuer, port, scope) else {
            fail(
                &mut child,
                &format!("ready line lacks issuer/port/scope: {line}"),
            )
        };
        if !jwks_path.is_file() {
            fail(&mut child, "wrote no JWKS file");
        }
        Some(OidcProvider {
            child,
            stdin,
            issuer,
            port,
            scope,
            jwks_path,
            dir,
            stderr,
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with [`ProviderOptions::tls`]).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The scope a client requests: JWT access tokens for the audience and a refresh
    /// token (`openid email offline_access mail`).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The provider's public JWKS (the ES256 key that signs the access tokens).
    pub fn jwks_path(&self) -> &Path {
        &self.jwks_path
    }

    /// What the provider wrote to stderr so far (warnings, `grant.error` lines).
    pub fn stderr(&self) -> String {
        text_of(&self.stderr)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `node browser.mjs ARGS`, bounded by [`BROWSER_TIMEOUT`]: stdout on success,
/// else stderr (with the exit status).
fn run_browser(args: &[&str]) -> Result<String, String> {
    let mut child = Command::new(node_program())
        .current_dir(oidc_dir())
        .arg("browser.mjs")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start node browser.mjs: {e}"))?;
    let stdout = collect(child.stdout.take().expect("browser stdout"));
    let stderr = collect(child.stderr.take().expect("browser stderr"));
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "browser.mjs did not finish in {} s; stderr:\n{}",
                    BROWSER_TIMEOUT.as_secs(),
                    text_of(&stderr)
                ));
            }
            Err(e) => return Err(format!("waiting for browser.mjs: {e}")),
        }
    };
    // The readers finish once the pipes close; give them a moment.
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until && Arc::strong_count(&stdout) > 1 {
        std::thread::sleep(Duration::from_millis(10));
    }
    while Instant::now() < until && Arc::strong_count(&stderr) > 1 {
        std::thread::sleep(Duration::from_millis(10));
    }
    if status.success() {
        Ok(text_of(&stdout).trim().to_owned())
    } else {
        Err(format!("browser.mjs {status}:\n{}", text_of(&stderr)))
    }
}

/// Runs `browser.mjs code`: opens the authorization `url`, logs in as `login` (any
/// password), grants (or with `deny` cancels) consent, and returns the URL the browser
/// ends at, the first starting with `until` (the redirect URI); `Err(stderr text)` if
/// a step fails. Works whether or not anything listens at `until`.
pub fn browser_code_flow(
    url: &str,
    login: &str,
    until: &str,
    deny: bool,
) -> Result<String, String> {
    let mut args = vec![
        "code",
        "--url",
        url,
        "--login",
        login,
        "--password",
        "x",
        "--until",
        until,
    ];
    if deny {
        args.push("--deny");
    }
    run_browser(&args)
}

/// Runs `browser.mjs device`: opens `verification_uri_complete`, confirms the user
/// code, logs in as `login`, consents and waits for the success page.
pub fn browser_device_flow(verification_uri_complete: &str, login: &str) -> Result<(), String> {
    let out = run_browser(&[
        "device",
        "--url",
        verification_uri_complete,
        "--login",
        login,
        "--password",
        "x",
    ])?;
    if out == "approved" {
        Ok(())
    } else {
        Err(format!(
            "browser.mjs device printed {out:?}, not \"approved\""
        ))
    }
}
