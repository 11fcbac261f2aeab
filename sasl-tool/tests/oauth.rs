//! `sasl oauth` end to end against a real OpenID provider (the Node.js `oidc-provider`
//! package, tests/oidc/), on loopback only: an autoconfig file served by the test,
//! `sasl serve` checking the provider's JWT access tokens with its JWKS, headless
//! Chromium clicking through the provider's login and consent pages, and the device
//! flow approved the same way.
//!
//! discovery → registration → consent → token → IMAP/SMTP login → refresh → login
//! again, for the browser, device and paste flows; and the refusals: wrong `state`,
//! a code from another session (PKCE), a forged `iss`, an issuer mismatch between
//! discovery and metadata, expired and revoked refresh tokens, a provider without
//! registration, and a token file others can read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::oidc::{OidcProvider, ProviderOptions, browser_code_flow, browser_device_flow};
use common::{Server, scratch_dir};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const ADDRESS: &str = "alice@example.test";

/// The provider, a `sasl serve` trusting its tokens, and an autoconfig server.
struct World {
    provider: OidcProvider,
    serve: Server,
    autoconfig: AutoconfigServer,
    cert: PathBuf,
    dir: PathBuf,
}

impl World {
    /// `None` when the provider cannot run here (and SASL_REQUIRE_PEERS is not set).
    fn start(name: &str, options: &ProviderOptions, oauth_block: OAuthBlock) -> Option<World> {
        let dir = scratch_dir(&format!("oauth-{name}"));
        // One loopback certificate for the provider (https, as the openid-configuration
        // a mail server names must be) and `sasl serve`; the tool trusts it by --ca-file.
        let (cert, key) = loopback_certificate(&dir);
        let options = ProviderOptions {
            tls: Some((cert.clone(), key.clone())),
            ..options.clone()
        };
        let provider = OidcProvider::start(&options)?;
        assert!(provider.issuer().starts_with("https://127.0.0.1:"));
        let jwks = provider.jwks_path().to_str().unwrap().to_owned();
        let openid = format!("{}/.well-known/openid-configuration", provider.issuer());
        let serve = Server::start(&[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--imaps",
            "127.0.0.1:0",
            "--submissions",
            "127.0.0.1:0",
            "--failure-delay",
            "0",
            // The name clients connect to (OAUTHBEARER's host= is checked against it).
            "--hostname",
            "127.0.0.1",
            "--jwks",
            &jwks,
            "--issuer",
            provider.issuer(),
            "--audience",
            &options.audience,
            "--openid-configuration",
            &openid,
        ]);
        let oauth = match oauth_block {
            OAuthBlock::Absent => String::new(),
            OAuthBlock::Issuer => format!(
                "<oAuth2><issuer>{}</issuer><scope>{}</scope></oAuth2>",
                provider.issuer(),
                provider.scope()
            ),
            OAuthBlock::IssuerAndClientId(id) => format!(
                "<oAuth2><issuer>{}</issuer><scope>{}</scope><clientID>{id}</clientID></oAuth2>",
                provider.issuer(),
                provider.scope()
            ),
        };
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example test mail</displayName>
    <incomingServer type="imap">
      <hostname>127.0.0.1</hostname>
      <port>{}</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>127.0.0.1</hostname>
      <port>{}</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
    </outgoingServer>
  </emailProvider>
  {oauth}
</clientConfig>
"#,
            serve.addr("imaps").port(),
            serve.addr("submissions").port(),
        );
        let autoconfig = AutoconfigServer::start(xml);
        Some(World {
            provider,
            serve,
            autoconfig,
            cert,
            dir,
        })
    }

    fn store(&self) -> String {
        self.dir.join("store").to_str().unwrap().to_owned()
    }

    /// `sasl oauth login ADDRESS` with the world's discovery settings and `extra`.
    fn login(&self, extra: &[&str]) -> Running {
        let mut args = vec![
            "oauth".to_owned(),
            "login".to_owned(),
            ADDRESS.to_owned(),
            "--store".to_owned(),
            self.store(),
            "--autoconfig-url".to_owned(),
            self.autoconfig.url(),
            "--allow-http-loopback".to_owned(),
            "--ca-file".to_owned(),
            self.cert.to_str().unwrap().to_owned(),
            "--no-browser".to_owned(),
            "--timeout".to_owned(),
            "60".to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        Running::start(&args)
    }

    /// `sasl oauth VERB ADDRESS --store ... EXTRA`, run to the end.
    fn oauth(&self, verb: &str, extra: &[&str]) -> Done {
        let mut args = vec![
            "oauth".to_owned(),
            verb.to_owned(),
            ADDRESS.to_owned(),
            "--store".to_owned(),
            self.store(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        Running::start(&args).finish()
    }

    fn tokens_path(&self) -> PathBuf {
        self.dir.join("store").join(format!("{ADDRESS}.tokens"))
    }

    fn account_path(&self) -> PathBuf {
        self.dir.join("store").join(format!("{ADDRESS}.json"))
    }

    fn tokens(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.tokens_path()).unwrap()).unwrap()
    }

    /// A browser-flow login, driven to the end by Chromium.
    fn browser_login(&self, extra: &[&str]) -> Done {
        let mut running = self.login(extra);
        let url = running.url_after("Open this address");
        let landed = browser_code_flow(&url, ADDRESS, "http://127.0.0.1:", false)
            .unwrap_or_else(|e| panic!("browser: {e}\n{}", running.stderr_so_far()));
        assert!(landed.contains("code="), "{landed}");
        running.finish()
    }
}

/// What the autoconfig file's `<oAuth2>` block says.
#[derive(Clone, Copy)]
enum OAuthBlock {
    /// No block: discovery must ask the mail server.
    Absent,
    /// The issuer and scope.
    Issuer,
    /// The issuer, scope and a client id.
    IssuerAndClientId(&'static str),
}

/// A process of `sasl` whose stderr is read line by line as it comes.
struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stdout: std::thread::JoinHandle<String>,
}

/// A finished `sasl`.
struct Done {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Done {
    fn assert_status(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Running {
    fn start(args: &[String]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sasl"))
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sasl");
        let (send, lines) = channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdout = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
            stdout,
        }
    }

    /// The first `http` line after a line containing `heading` (bounded wait).
    fn url_after(&mut self, heading: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut after = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(heading) {
                        after = true;
                    } else if after && line.trim_start().starts_with("http") {
                        return line.trim().to_owned();
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    let _ = self.child.kill();
                    panic!(
                        "no URL after {heading:?} from sasl:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    fn stderr_so_far(&self) -> String {
        self.seen.join("\n")
    }

    /// Writes a line to its stdin.
    fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the end (at most 90 s).
    fn finish(mut self) -> Done {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("sasl did not finish:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        Done {
            status,
            stdout: self.stdout.join().unwrap(),
            stderr: self.seen.join("\n"),
        }
    }
}

/// Serves one autoconfig document over plain HTTP on loopback.
struct AutoconfigServer {
    port: u16,
}

impl AutoconfigServer {
    fn start(xml: String) -> AutoconfigServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let found = String::from_utf8_lossy(&head).starts_with("GET /mail/config-v1.1.xml");
                let (status, body) = if found {
                    ("200 OK", xml.as_str())
                } else {
                    ("404 Not Found", "")
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        AutoconfigServer { port }
    }

    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/mail/config-v1.1.xml?emailaddress={}",
            self.port,
            ADDRESS.replace('@', "%40")
        )
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost: `(cert.pem, key.pem)`.
fn loopback_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert_path = dir.join("loopback-cert.pem");
    let key_path = dir.join("loopback-key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The four logins of `sasl oauth test` all succeeded.
fn assert_test_logins(world: &World) {
    let test = world.oauth("test", &["--json"]);
    test.assert_status(0);
    let report: serde_json::Value = serde_json::from_str(&test.stdout).unwrap();
    let logins = report["logins"].as_array().unwrap();
    assert_eq!(logins.len(), 4, "{}", test.stdout);
    for login in logins {
        assert_eq!(login["authenticated"], true, "{login}");
    }
    let mechanisms: Vec<_> = logins
        .iter()
        .map(|l| l["mechanism"].as_str().unwrap())
        .collect();
    assert_eq!(
        mechanisms,
        ["OAUTHBEARER", "XOAUTH2", "OAUTHBEARER", "XOAUTH2"]
    );
}

#[test]
fn browser_flow_discovery_registration_consent_token_login_refresh() {
    let Some(world) = World::start("browser", &ProviderOptions::default(), OAuthBlock::Issuer)
    else {
        return;
    };
    let done = world.browser_login(&[]);
    done.assert_status(0);
    // Every discovery step is reported, with its source.
    assert!(
        done.stderr.contains("autoconfig http://127.0.0.1:"),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("(from autoconfig)"), "{}", done.stderr);
    assert!(
        done.stderr
            .contains("verified, dynamic registration, device flow"),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("registered at"), "{}", done.stderr);
    assert!(
        done.stdout.contains("logged in: alice@example.test"),
        "{}",
        done.stdout
    );

    // Both files are private; the account file holds no token.
    assert_eq!(mode(&world.tokens_path()), 0o600);
    assert_eq!(mode(&world.account_path()), 0o600);
    let tokens = world.tokens();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let account = std::fs::read_to_string(world.account_path()).unwrap();
    assert!(!account.contains(&access) && !account.contains(&refresh));
    assert!(!done.stderr.contains(&access) && !done.stdout.contains(&access));

    // `token` prints exactly the stored token, and nothing else.
    let token = world.oauth("token", &[]);
    token.assert_status(0);
    assert_eq!(token.stdout, format!("{access}\n"));
    assert_eq!(token.stderr, "");
    assert_eq!(access.split('.').count(), 3, "a JWT access token");

    // The token logs into IMAP and SMTP with both mechanisms, checked by `sasl serve`
    // against the provider's JWKS.
    assert_test_logins(&world);
    // The server's log is read from its stderr by a thread: wait for the line rather
    // than race that thread (this failed once on a loaded machine).
    let log = world.serve.wait_for_log("alice@example.test");
    assert!(log.contains("alice@example.test"), "{log}");

    // A refresh: a new access token and a rotated refresh token, and logins again.
    let refreshed = world.oauth("token", &["--min-validity", "1000000"]);
    refreshed.assert_status(0);
    let new_access = refreshed.stdout.trim().to_owned();
    assert_ne!(new_access, access);
    let tokens = world.tokens();
    assert_eq!(tokens["access_token"].as_str().unwrap(), new_access);
    assert_ne!(
        tokens["refresh_token"].as_str().unwrap(),
        refresh,
        "rotated"
    );
    assert_test_logins(&world);

    // Two mail clients refreshing at once must take turns (with rotation, presenting a
    // rotated-away refresh token makes the provider revoke the whole grant): while
    // someone holds the account's lock, `token` waits, and then goes on.
    let lock_path = world.dir.join("store").join(format!("{ADDRESS}.lock"));
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .unwrap();
    lock.lock().unwrap();
    let mut waiting = Running::start(&[
        "oauth".to_owned(),
        "token".to_owned(),
        ADDRESS.to_owned(),
        "--store".to_owned(),
        world.store(),
        "--min-validity".to_owned(),
        "1000000".to_owned(),
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        waiting.child.try_wait().unwrap().is_none(),
        "token did not wait for the lock"
    );
    let before = world.tokens();
    lock.unlock().unwrap();
    waiting.finish().assert_status(0);
    assert_ne!(world.tokens()["refresh_token"], before["refresh_token"]);
    world
        .oauth("token", &["--min-validity", "1000000"])
        .assert_status(0);
    assert_test_logins(&world);

    // A second login at the same provider keeps the registration.
    let again = world.browser_login(&[]);
    again.assert_status(0);
    assert!(
        again.stderr.contains("registered by the earlier login"),
        "{}",
        again.stderr
    );

    // `show` says what is stored, never a token.
    let show = world.oauth("show", &[]);
    show.assert_status(0);
    assert!(
        show.stdout.contains(world.provider.issuer()),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("refresh token:  yes"),
        "{}",
        show.stdout
    );
    let tokens = world.tokens();
    assert!(
        !show
            .stdout
            .contains(tokens["access_token"].as_str().unwrap())
    );
}

#[test]
fn device_flow_with_issuer_from_the_mail_servers_oauthbearer_failure() {
    let Some(world) = World::start("device", &ProviderOptions::default(), OAuthBlock::Absent)
    else {
        return;
    };
    let scope = world.provider.scope().to_owned();
    let mut running = world.login(&["--flow", "device", "--scope", &scope]);
    let url = running.url_after("On any device, open");
    assert!(url.contains("user_code="), "{url}");
    browser_device_flow(&url, ADDRESS)
        .unwrap_or_else(|e| panic!("device approval: {e}\n{}", running.stderr_so_far()));
    let done = running.finish();
    done.assert_status(0);
    assert!(
        done.stderr.contains("autoconfig has no <oAuth2> block"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains("OAUTHBEARER with an invalid token names"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains(&format!("scope {scope} (from --scope)")),
        "{}",
        done.stderr
    );
    assert_test_logins(&world);
}

#[test]
fn paste_flow_and_the_refusals_of_the_authorization_response() {
    let Some(world) = World::start("paste", &ProviderOptions::default(), OAuthBlock::Issuer) else {
        return;
    };
    // The paste flow: the browser ends on a redirect nobody listens to.
    let mut running = world.login(&["--flow", "paste"]);
    let url = running.url_after("Open this address");
    let landed = browser_code_flow(&url, ADDRESS, "http://127.0.0.1:", false).unwrap();
    running.type_line(&landed);
    running.finish().assert_status(0);
    assert_test_logins(&world);

    // A wrong state is refused before anything is exchanged.
    let mut running = world.login(&["--flow", "paste"]);
    let url = running.url_after("Open this address");
    let landed = browser_code_flow(&url, ADDRESS, "http://127.0.0.1:", false).unwrap();
    running.type_line(&replace_param(&landed, "state", "forged-state-value"));
    let done = running.finish();
    done.assert_status(1);
    assert!(done.stderr.contains("state"), "{}", done.stderr);

    // A forged iss (RFC 9207) is refused.
    let mut running = world.login(&["--flow", "paste"]);
    let url = running.url_after("Open this address");
    let landed = browser_code_flow(&url, ADDRESS, "http://127.0.0.1:", false).unwrap();
    if landed.contains("iss=") {
        running.type_line(&replace_param(&landed, "iss", "http%3A%2F%2Fevil.example"));
        let done = running.finish();
        done.assert_status(1);
        assert!(
            done.stderr.to_lowercase().contains("iss"),
            "{}",
            done.stderr
        );
    } else {
        panic!("the provider sends no iss: {landed}");
    }

    // A code from another session, given with this session's state: PKCE makes the
    // provider refuse it (the verifier is this session's, the challenge was the other's).
    let mut first = world.login(&["--flow", "paste"]);
    let first_url = first.url_after("Open this address");
    let mut second = world.login(&["--flow", "paste"]);
    let second_url = second.url_after("Open this address");
    let landed = browser_code_flow(&first_url, ADDRESS, "http://127.0.0.1:", false).unwrap();
    let second_state = param(&second_url, "state").unwrap();
    let stolen = replace_param(&landed, "state", &second_state);
    second.type_line(&stolen);
    let done = second.finish();
    done.assert_status(1);
    assert!(done.stderr.contains("refused the code"), "{}", done.stderr);
    drop(first);
}

#[test]
fn refresh_tokens_expired_or_revoked_say_log_in_again() {
    let options = ProviderOptions {
        refresh_ttl: 3,
        ..ProviderOptions::default()
    };
    let Some(world) = World::start("expired", &options, OAuthBlock::Issuer) else {
        return;
    };
    world.browser_login(&[]).assert_status(0);
    std::thread::sleep(Duration::from_secs(5));
    let done = world.oauth("token", &["--min-validity", "1000000"]);
    done.assert_status(1);
    assert!(
        done.stderr.contains("sasl oauth login alice@example.test"),
        "{}",
        done.stderr
    );
    assert_eq!(done.stdout, "");

    let Some(world) = World::start("revoked", &ProviderOptions::default(), OAuthBlock::Issuer)
    else {
        return;
    };
    world.browser_login(&[]).assert_status(0);
    let saved_tokens = std::fs::read(world.tokens_path()).unwrap();
    let saved_account = std::fs::read(world.account_path()).unwrap();
    let forget = world.oauth("forget", &[]);
    forget.assert_status(0);
    assert!(
        forget.stderr.contains("revoked the refresh token"),
        "{}",
        forget.stderr
    );
    assert!(!world.tokens_path().exists() && !world.account_path().exists());
    // The files come back (a backup, another machine): the provider still says no.
    write_private(&world.tokens_path(), &saved_tokens);
    write_private(&world.account_path(), &saved_account);
    let done = world.oauth("token", &["--min-validity", "1000000"]);
    done.assert_status(1);
    assert!(
        done.stderr.contains("expired or been revoked"),
        "{}",
        done.stderr
    );
}

#[test]
fn discovery_refusals_issuer_mismatch_no_registration_loose_permissions() {
    let Some(world) = World::start("mismatch", &ProviderOptions::default(), OAuthBlock::Issuer)
    else {
        return;
    };
    // The issuer given and the metadata's differ (localhost is not 127.0.0.1): the
    // metadata is not used.
    let other = world.provider.issuer().replace("127.0.0.1", "localhost");
    let done = world.login(&["--issuer", &other]).finish();
    done.assert_status(2);
    assert!(done.stderr.contains("cannot be used"), "{}", done.stderr);
    assert!(!world.account_path().exists());

    // A token file others can read is refused.
    world.browser_login(&[]).assert_status(0);
    std::fs::set_permissions(
        world.tokens_path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let done = world.oauth("token", &[]);
    done.assert_status(2);
    assert!(
        done.stderr.contains("readable by others"),
        "{}",
        done.stderr
    );
    assert_eq!(done.stdout, "");

    // A provider without dynamic registration, and no client id anywhere: explained.
    let options = ProviderOptions {
        registration: false,
        ..ProviderOptions::default()
    };
    let Some(closed) = World::start("closed", &options, OAuthBlock::Issuer) else {
        return;
    };
    let done = closed.login(&[]).finish();
    done.assert_status(2);
    assert!(
        done.stderr.contains("offers no dynamic registration"),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("--client-id"), "{}", done.stderr);
}

#[test]
fn encrypted_token_file() {
    let Some(world) = World::start("encrypted", &ProviderOptions::default(), OAuthBlock::Issuer)
    else {
        return;
    };
    // A reversible filter stands in for gpg: the file must not hold the token as is.
    let done = world.browser_login(&[
        "--encrypt-cmd",
        "base64 -w0 | rev",
        "--decrypt-cmd",
        "rev | base64 -d",
    ]);
    done.assert_status(0);
    let sealed = std::fs::read_to_string(world.tokens_path()).unwrap();
    assert!(!sealed.contains("access_token"), "{sealed}");
    let token = world.oauth("token", &[]);
    token.assert_status(0);
    assert_eq!(token.stdout.trim().split('.').count(), 3);
    assert!(!sealed.contains(token.stdout.trim()));
    assert_test_logins(&world);
}

fn write_private(path: &Path, data: &[u8]) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(data).unwrap();
}

fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

fn replace_param(url: &str, name: &str, value: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key == name => format!("{key}={value}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

#[test]
fn refused_registration_falls_back_to_autoconfig_client_id_and_client_id_overrides() {
    // Registration needs an initial access token the tool does not have: refused.
    let options = ProviderOptions {
        static_client: Some("sasl-static-client".to_owned()),
        registration_token: Some("initial-access-token-the-tool-lacks".to_owned()),
        ..ProviderOptions::default()
    };
    let Some(world) = World::start(
        "fallback",
        &options,
        OAuthBlock::IssuerAndClientId("sasl-static-client"),
    ) else {
        return;
    };
    let done = world.browser_login(&[]);
    done.assert_status(0);
    assert!(done.stderr.contains("failed ("), "{}", done.stderr);
    assert!(
        done.stderr.contains("using autoconfig's client id"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains("client id sasl-static-client (from autoconfig)"),
        "{}",
        done.stderr
    );
    assert_test_logins(&world);

    // A client id on the command line wins over discovery (known providers).
    let done = world.browser_login(&["--client-id", "sasl-static-client"]);
    done.assert_status(0);
    assert!(
        done.stderr
            .contains("client id sasl-static-client (from --client-id)"),
        "{}",
        done.stderr
    );
    let show = world.oauth("show", &["--json"]);
    let account: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(account["client_source"], "command line");
    assert_eq!(account["client_auth"], "none");
}

#[test]
fn stray_requests_to_the_redirect_listener_do_not_end_the_login() {
    let Some(world) = World::start("stray", &ProviderOptions::default(), OAuthBlock::Issuer) else {
        return;
    };
    let mut running = world.login(&[]);
    let url = running.url_after("Open this address");
    let redirect = param(&url, "redirect_uri")
        .unwrap()
        .replace("%3A", ":")
        .replace("%2F", "/");
    let authority = redirect
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // Another local program: one connection that never sends anything, one with a
    // forged state, one with no state at all.
    let idle = std::net::TcpStream::connect(&authority).unwrap();
    for query in ["code=stolen&state=forged", "error=access_denied"] {
        let mut stray = std::net::TcpStream::connect(&authority).unwrap();
        write!(
            stray,
            "GET /oauth/callback?{query} HTTP/1.1\r\nHost: {authority}\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stray.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
    // The real answer still gets through.
    let landed = browser_code_flow(&url, ADDRESS, "http://127.0.0.1:", false).unwrap();
    assert!(landed.contains("code="));
    let done = running.finish();
    done.assert_status(0);
    assert!(
        done.stderr.contains("ignored a request to"),
        "{}",
        done.stderr
    );
    drop(idle);
    assert_test_logins(&world);
}
