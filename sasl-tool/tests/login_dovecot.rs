//! `sasl login` against an independent server: Dovecot (tested with Debian 12's 2.3.19),
//! started by each test from a generated config in a scratch directory, on free
//! loopback ports, killed at the end of the test.
//!
//! Dovecot serves IMAP (STARTTLS and implicit TLS), POP3 (STLS and implicit TLS) and
//! submission (STARTTLS and implicit TLS) with PLAIN, LOGIN, SCRAM-SHA-1 and
//! SCRAM-SHA-256 (Dovecot 2.3 has no `-PLUS`) and EXTERNAL (a client certificate from
//! `sasl cert`, signed by the test's CA). Its accounts: `alice` stored as `{PLAIN}` (Dovecot
//! derives SCRAM from it), `bob` and `carl` stored as `{SCRAM-SHA-256}` and
//! `{SCRAM-SHA-1}` strings made by `sasl hash --format dovecot`, so Dovecot also checks
//! our stored format. Submission needs a relay to talk to after the login: a small
//! SMTP stub thread here.
//!
//! A missing `dovecot` prints SKIPPED and passes, unless `SASL_REQUIRE_PEERS=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse 42";

/// Environment variable: the `dovecot` program to run (default: `dovecot` on `PATH`,
/// then `/usr/sbin/dovecot`).
const DOVECOT_ENV: &str = "SASL_DOVECOT";

/// The listeners: name, URL scheme, whether the login needs `--starttls`.
const LISTENERS: [(&str, &str, bool); 6] = [
    ("imap", "imap", true),
    ("imaps", "imaps", false),
    ("pop3", "pop3", true),
    ("pop3s", "pop3s", false),
    ("submission", "smtp", true),
    ("submissions", "smtps", false),
];

/// What Dovecot offers, in its order (the same before and after TLS on loopback, which
/// Dovecot counts as secured).
const OFFERED: &str = "PLAIN LOGIN SCRAM-SHA-1 SCRAM-SHA-256 EXTERNAL";

// ---------------------------------------------------------------------------------------
// Finding Dovecot
// ---------------------------------------------------------------------------------------

fn runs(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The `dovecot` program, or `None` after a loud SKIPPED line (a panic with
/// `SASL_REQUIRE_PEERS=1`).
fn dovecot() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os(DOVECOT_ENV).filter(|v| !v.is_empty()) {
        Some(program) => vec![PathBuf::from(program)],
        None => vec![
            PathBuf::from("dovecot"),
            PathBuf::from("/usr/sbin/dovecot"),
            PathBuf::from("/usr/local/sbin/dovecot"),
        ],
    };
    if let Some(found) = candidates.into_iter().find(|p| runs(p)) {
        return Some(found);
    }
    let what = "dovecot not installed (apt-get install dovecot-imapd dovecot-pop3d dovecot-submissiond, or set SASL_DOVECOT)";
    sasl_test::peers::missing(what).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------
// System users: Dovecot refuses to run its login processes as root
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct User {
    name: String,
    uid: u32,
    gid: u32,
}

fn passwd() -> Vec<User> {
    std::fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            Some(User {
                name: (*fields.first()?).to_owned(),
                uid: fields.get(2)?.parse().ok()?,
                gid: fields.get(3)?.parse().ok()?,
            })
        })
        .collect()
}

/// Who runs Dovecot's internal and login processes, and whose uid the mailboxes get.
struct Users {
    internal: User,
    login: User,
    mail: User,
}

/// As root: Debian's `dovecot` and `dovenull` system users (made by the package), else
/// `nobody`; the mailboxes belong to `nobody`. Otherwise everything runs as the
/// current user (Dovecot cannot switch users then).
fn users(dir: &Path) -> Users {
    let probe = dir.join("uid-probe");
    std::fs::write(&probe, b"").unwrap();
    let meta = std::fs::metadata(&probe).unwrap();
    let all = passwd();
    let by_name = |name: &str| all.iter().find(|u| u.name == name).cloned();
    if meta.uid() != 0 {
        let me = all
            .iter()
            .find(|u| u.uid == meta.uid())
            .cloned()
            .unwrap_or_else(|| panic!("uid {} is not in /etc/passwd", meta.uid()));
        return Users {
            internal: me.clone(),
            login: me.clone(),
            mail: me,
        };
    }
    let nobody = by_name("nobody").unwrap_or(User {
        name: "nobody".to_owned(),
        uid: 65534,
        gid: 65534,
    });
    Users {
        internal: by_name("dovecot").unwrap_or_else(|| nobody.clone()),
        login: by_name("dovenull").unwrap_or_else(|| nobody.clone()),
        mail: nobody,
    }
}

// ---------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.all()))
    }
}

fn sasl(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sasl"));
    command
        .args(args)
        .env_remove("SASL_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("run sasl");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A stored credential for Dovecot's passwd-file, made by `sasl hash --format dovecot`.
fn dovecot_hash(mech: &str, password: &str) -> String {
    let run = sasl(
        &["hash", "--mech", mech, "--format", "dovecot"],
        Some(password),
        &[],
    );
    assert_eq!(run.status, 0, "sasl hash: {}", run.all());
    let stored = run.stdout.trim().to_owned();
    assert!(
        stored.starts_with(&format!("{{{mech}}}")),
        "not a Dovecot scheme string: {stored}"
    );
    stored
}

// ---------------------------------------------------------------------------------------
// TLS material: a test CA, the server's certificate, a client certificate from `sasl cert`
// ---------------------------------------------------------------------------------------

struct Pki {
    ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    /// `carol`'s certificate and key, by `sasl cert --ca-cert --ca-key`.
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "sasl login Dovecot test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let ca_cert = dir.join("ca.pem");
    let ca_key_path = dir.join("ca.key");
    std::fs::write(&ca_cert, ca.pem()).unwrap();
    std::fs::write(&ca_key_path, ca_key.serialize_pem()).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_params.signed_by(&server_key, &issuer).unwrap();
    let server_cert = dir.join("server.pem");
    let server_key_path = dir.join("server.key");
    std::fs::write(&server_cert, server.pem()).unwrap();
    std::fs::write(&server_key_path, server_key.serialize_pem()).unwrap();

    let prefix = dir.join("carol");
    let run = sasl(
        &[
            "cert",
            "--name",
            "carol",
            "--ca-cert",
            ca_cert.to_str().unwrap(),
            "--ca-key",
            ca_key_path.to_str().unwrap(),
            "--out",
            prefix.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(run.status, 0, "sasl cert: {}", run.all());
    Pki {
        ca_cert,
        server_cert,
        server_key: server_key_path,
        client_cert: dir.join("carol.pem"),
        client_key: dir.join("carol.key"),
    }
}

// ---------------------------------------------------------------------------------------
// The relay stub submission talks to after a login
// ---------------------------------------------------------------------------------------

/// An SMTP server that greets, says 250 to everything and 221 to `QUIT`. Its threads
/// end with their connections (Dovecot closes them when it stops).
fn relay_stub() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                if stream.write_all(b"220 relay.test ESMTP stub\r\n").is_err() {
                    return;
                }
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    let command = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-relay.test\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("QUIT") {
                        let _ = stream.write_all(b"221 bye\r\n");
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if stream.write_all(reply).is_err() {
                        return;
                    }
                    line.clear();
                }
            });
        }
    });
    port
}

// ---------------------------------------------------------------------------------------
// Dovecot itself
// ---------------------------------------------------------------------------------------

/// A running Dovecot; stopped (and its processes with it) when dropped.
struct Dovecot {
    program: PathBuf,
    child: Child,
    dir: PathBuf,
    config: PathBuf,
    ports: HashMap<&'static str, u16>,
    pki: Pki,
}

/// Free loopback ports: bound to port 0, then released for Dovecot to bind.
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

impl Dovecot {
    fn start(program: PathBuf, name: &str) -> Dovecot {
        let dir = std::env::temp_dir().join(format!("sasl-dovecot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let users = users(&dir);
        let pki = pki(&dir);

        // The accounts: alice's password as {PLAIN} (every mechanism), bob's and carl's
        // as our own `sasl hash --format dovecot` strings, carol by her certificate.
        let mut passwd_file = String::new();
        for (user, stored, extra) in [
            ("alice", format!("{{PLAIN}}{PASSWORD}"), ""),
            ("bob", dovecot_hash("SCRAM-SHA-256", PASSWORD), ""),
            ("carl", dovecot_hash("SCRAM-SHA-1", PASSWORD), ""),
            ("carol", String::new(), "nopassword"),
        ] {
            let home = dir.join("home").join(user);
            std::fs::create_dir_all(&home).unwrap();
            std::os::unix::fs::chown(&home, Some(users.mail.uid), Some(users.mail.gid)).unwrap();
            passwd_file.push_str(&format!(
                "{user}:{stored}:{}:{}::{}::{extra}\n",
                users.mail.uid,
                users.mail.gid,
                home.display()
            ));
        }
        let passwd_path = dir.join("users");
        std::fs::write(&passwd_path, passwd_file).unwrap();

        let names: Vec<&'static str> = LISTENERS.iter().map(|(n, _, _)| *n).collect();
        let ports: HashMap<&'static str, u16> =
            names.iter().copied().zip(free_ports(names.len())).collect();
        let relay = relay_stub();
        let listener = |name: &str| {
            let ssl = if name.ends_with('s') {
                "    ssl = yes\n"
            } else {
                ""
            };
            format!(
                "  inet_listener {name} {{\n    address = 127.0.0.1\n    port = {}\n{ssl}  }}\n",
                ports[name]
            )
        };
        let d = dir.display();
        let config_text = format!(
            r#"# Generated by sasl-tool/tests/login_dovecot.rs
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = sasl-test-{name}
protocols = imap pop3 submission
listen = 127.0.0.1
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
hostname = localhost
ssl = yes
ssl_cert = <{server_cert}
ssl_key = <{server_key}
ssl_ca = <{ca}
ssl_verify_client_cert = yes
ssl_require_crl = no
ssl_cert_username_field = commonName
auth_ssl_username_from_cert = yes
disable_plaintext_auth = yes
auth_mechanisms = plain login scram-sha-1 scram-sha-256 external
auth_failure_delay = 0
mail_location = maildir:~/Maildir
submission_relay_host = 127.0.0.1
submission_relay_port = {relay}
submission_relay_ssl = no
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service imap-login {{
{imap}{imaps}}}
service pop3-login {{
{pop3}{pop3s}}}
service submission-login {{
{submission}{submissions}}}
# No anvil penalty socket: Dovecot then does not slow down a client (by IP) after a
# failed login, which would stretch every login after a wrong-password test.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"#,
            internal = users.internal.name,
            internal_group = group_name(users.internal.gid).unwrap_or(users.internal.name.clone()),
            login = users.login.name,
            server_cert = pki.server_cert.display(),
            server_key = pki.server_key.display(),
            ca = pki.ca_cert.display(),
            passwd = passwd_path.display(),
            imap = listener("imap"),
            imaps = listener("imaps"),
            pop3 = listener("pop3"),
            pop3s = listener("pop3s"),
            submission = listener("submission"),
            submissions = listener("submissions"),
        );
        let config = dir.join("dovecot.conf");
        std::fs::write(&config, config_text).unwrap();

        let child = Command::new(&program)
            .arg("-F")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let mut dovecot = Dovecot {
            program,
            child,
            dir,
            config,
            ports,
            pki,
        };
        dovecot.wait_until_listening();
        dovecot
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in self.ports.values().copied().collect::<Vec<_>>() {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    panic!("dovecot ended at start ({status}):\n{}", self.log());
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "dovecot does not listen on {addr}:\n{}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(25));
            }
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    /// The log once `done` holds for it, or after 10 s: Dovecot's login processes
    /// write through its log process, so a login's line can trail the login itself.
    fn log_when(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if done(&log) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self, listener: &str, scheme: &str) -> String {
        format!("{scheme}://localhost:{}", self.ports[listener])
    }

    /// `sasl login URL --ca-file CA --json ARGS`, the password in `SASL_PASSWORD`.
    fn login(&self, listener: &str, args: &[&str], password: Option<&str>) -> Run {
        let (_, scheme, starttls) = LISTENERS
            .iter()
            .find(|(n, _, _)| *n == listener)
            .copied()
            .unwrap();
        let url = self.url(listener, scheme);
        let mut all = vec![
            "login",
            url.as_str(),
            "--ca-file",
            self.pki.ca_cert.to_str().unwrap(),
            "--json",
            "--timeout",
            "10",
        ];
        if starttls {
            all.push("--starttls");
        }
        all.extend_from_slice(args);
        let env: Vec<(&str, &str)> = password.map(|p| ("SASL_PASSWORD", p)).into_iter().collect();
        sasl(&all, None, &env)
    }
}

fn group_name(gid: u32) -> Option<String> {
    std::fs::read_to_string("/etc/group")
        .ok()?
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            let name = fields.first()?;
            (fields.get(2)?.parse::<u32>().ok()? == gid).then(|| (*name).to_owned())
        })
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // `dovecot stop` signals the master (SIGTERM), which stops every process it
        // started; SIGKILL only if it lingers.
        let _ = Command::new(&self.program)
            .arg("-c")
            .arg(&self.config)
            .arg("stop")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                let _ = std::fs::remove_dir_all(&self.dir);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

fn assert_authenticated(dovecot: &Dovecot, run: &Run, user: &str, mechanism: &str, what: &str) {
    assert_eq!(run.status, 0, "{what}: {}\n{}", run.all(), dovecot.log());
    let json = run.json();
    assert_eq!(json["authenticated"], true, "{what}: {json}");
    assert_eq!(json["mechanism"], mechanism, "{what}: {json}");
    assert_eq!(json["identity"], user, "{what}: {json}");
    assert_eq!(json["exit_status"], 0, "{what}: {json}");
    // SCRAM's server-final message proves Dovecot knows the credentials.
    assert_eq!(
        json["server_verified"],
        mechanism.starts_with("SCRAM-"),
        "{what}: {json}"
    );
    // Dovecot 2.3 has no -PLUS mechanisms: nothing is bound.
    assert_eq!(json["channel_binding"], serde_json::Value::Null, "{what}");
    let transcript = json["transcript"].to_string();
    assert!(
        transcript.contains("TLS is up"),
        "{what}: no TLS in {transcript}"
    );
    assert!(
        !run.all().contains(PASSWORD),
        "{what}: the password shows:\n{}",
        run.all()
    );
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[test]
fn every_mechanism_over_every_protocol_and_tls_mode() {
    let Some(program) = dovecot() else { return };
    let dovecot = Dovecot::start(program, "mechanisms");
    for (listener, _, _) in LISTENERS {
        for mechanism in ["PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256"] {
            let run = dovecot.login(
                listener,
                &["--user", "alice", "--mech", mechanism],
                Some(PASSWORD),
            );
            assert_authenticated(
                &dovecot,
                &run,
                "alice",
                mechanism,
                &format!("{listener} {mechanism}"),
            );
        }
    }
    // Dovecot's own record of each login.
    let logged = |log: &str, service: &str, method: &str| {
        let needle = format!("method={method},");
        log.lines().any(|l| {
            l.contains(service) && l.contains("Login: user=<alice>") && l.contains(&needle)
        })
    };
    const METHODS: [&str; 4] = ["PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256"];
    const SERVICES: [&str; 3] = ["imap-login", "pop3-login", "submission-login"];
    let log = dovecot.log_when(|log| {
        METHODS
            .iter()
            .all(|m| SERVICES.iter().all(|s| logged(log, s, m)))
    });
    for method in METHODS {
        for service in SERVICES {
            assert!(
                logged(&log, service, method),
                "{service} {method} not in the log:\n{log}"
            );
        }
    }
}

#[test]
fn the_default_mechanism_is_scram_sha_256_and_failures_are_reported() {
    let Some(program) = dovecot() else { return };
    let dovecot = Dovecot::start(program, "choice");
    for (listener, _, starttls) in LISTENERS {
        // No --mech: the strongest both sides have.
        let run = dovecot.login(listener, &["--user", "alice"], Some(PASSWORD));
        assert_authenticated(
            &dovecot,
            &run,
            "alice",
            "SCRAM-SHA-256",
            &format!("{listener} default"),
        );

        // A wrong password: Dovecot refuses, exit 1. (Dovecot delays each refusal by
        // half a second, so one per listener.)
        let mechanism = if starttls { "SCRAM-SHA-256" } else { "PLAIN" };
        let run = dovecot.login(
            listener,
            &["--user", "alice", "--mech", mechanism],
            Some("wrong password"),
        );
        assert_eq!(run.status, 1, "{listener} {mechanism} wrong: {}", run.all());
        let json = run.json();
        assert_eq!(json["authenticated"], false, "{json}");
        assert_eq!(json["server_verified"], false, "{json}");
        assert_eq!(json["mechanism"], mechanism, "{json}");
        assert!(
            json["failure"]
                .as_str()
                .unwrap_or_default()
                .starts_with("authentication failed"),
            "{json}"
        );
        assert!(
            json["hint"]
                .as_str()
                .unwrap_or_default()
                .contains("wrong user name or password"),
            "{json}"
        );

        // Mechanisms Dovecot 2.3 does not offer: exit 2 before any exchange, with
        // what it does offer.
        for mechanism in ["SCRAM-SHA-512", "SCRAM-SHA-256-PLUS"] {
            let run = dovecot.login(
                listener,
                &["--user", "alice", "--mech", mechanism],
                Some(PASSWORD),
            );
            assert_eq!(run.status, 2, "{listener} {mechanism}: {}", run.all());
            let json = run.json();
            assert_eq!(json["authenticated"], false, "{json}");
            assert_eq!(
                json["failure"].as_str().unwrap_or_default(),
                format!("the server does not offer {mechanism}"),
                "{json}"
            );
            let hint = json["hint"].as_str().unwrap_or_default();
            assert!(
                hint.starts_with(&format!("it offers: {OFFERED};")),
                "{listener} {mechanism}: {hint}"
            );
            assert_eq!(json["round_trips"], 0, "{json}");
        }
    }
    let failed = |log: &str| {
        log.contains("auth failed")
            || log.contains("Authentication failed")
            || log.contains("Aborted login")
    };
    let log = dovecot.log_when(failed);
    assert!(failed(&log), "no failed login in Dovecot's log:\n{log}");
}

#[test]
fn dovecot_accepts_credentials_stored_by_sasl_hash() {
    let Some(program) = dovecot() else { return };
    let dovecot = Dovecot::start(program, "stored");
    for listener in ["imap", "pop3s", "submission"] {
        // bob: {SCRAM-SHA-256} from `sasl hash`; carl: {SCRAM-SHA-1}. Dovecot checks
        // PLAIN and LOGIN against them too.
        for (user, scram) in [("bob", "SCRAM-SHA-256"), ("carl", "SCRAM-SHA-1")] {
            for mechanism in [scram, "PLAIN", "LOGIN"] {
                let run = dovecot.login(
                    listener,
                    &["--user", user, "--mech", mechanism],
                    Some(PASSWORD),
                );
                assert_authenticated(
                    &dovecot,
                    &run,
                    user,
                    mechanism,
                    &format!("{listener} {user} {mechanism}"),
                );
            }
        }
    }
    // Refusals (half a second each in Dovecot) on one listener: a wrong password
    // against our stored credentials, and a SCRAM-SHA-256 credential asked for
    // SCRAM-SHA-1, which Dovecot cannot serve from it.
    for (user, mechanism, password) in [
        ("bob", "SCRAM-SHA-256", "wrong password"),
        ("carl", "SCRAM-SHA-1", "wrong password"),
        ("bob", "SCRAM-SHA-1", PASSWORD),
    ] {
        let run = dovecot.login(
            "imaps",
            &["--user", user, "--mech", mechanism],
            Some(password),
        );
        assert_eq!(run.status, 1, "{user} {mechanism}: {}", run.all());
        assert_eq!(run.json()["authenticated"], false);
    }
    // The password from a file instead of the environment.
    let password_file = dovecot.dir.join("password.txt");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let run = dovecot.login(
        "imaps",
        &[
            "--user",
            "bob",
            "--password-file",
            password_file.to_str().unwrap(),
        ],
        None,
    );
    assert_authenticated(&dovecot, &run, "bob", "SCRAM-SHA-256", "--password-file");
}

#[test]
fn external_with_a_client_certificate_from_sasl_cert() {
    let Some(program) = dovecot() else { return };
    let dovecot = Dovecot::start(program, "external");
    let cert = dovecot.pki.client_cert.to_str().unwrap().to_owned();
    let key = dovecot.pki.client_key.to_str().unwrap().to_owned();
    for (listener, _, _) in LISTENERS {
        let run = dovecot.login(
            listener,
            &["--mech", "EXTERNAL", "--cert", &cert, "--key", &key],
            None,
        );
        assert_eq!(
            run.status,
            0,
            "{listener} EXTERNAL: {}\n{}",
            run.all(),
            dovecot.log()
        );
        let json = run.json();
        assert_eq!(json["authenticated"], true, "{json}");
        assert_eq!(json["mechanism"], "EXTERNAL", "{json}");
    }
    let carol = |log: &str| {
        log.lines()
            .any(|l| l.contains("Login: user=<carol>") && l.contains("method=EXTERNAL"))
    };
    let log = dovecot.log_when(carol);
    assert!(carol(&log), "{log}");
}
