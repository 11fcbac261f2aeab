//! `sasl login` end to end: the binary against small servers on loopback.
//!
//! IMAP without TLS is `sasl_test::imap::ImapFrontEnd`. SMTP, POP3 and everything
//! over TLS are scripted servers written here: a std `TcpListener` thread that speaks
//! just enough of the protocol and drives a `sasl_core::ServerSession` (so SCRAM's
//! random nonces work), with a rustls server and an rcgen CA for TLS and channel
//! binding.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use sasl_core::wire::{decode_base64, decode_initial_response, encode_base64};
use sasl_core::{Answer, ConnectionInfo, Request, ServerRegistry, ServerStep, SuccessData};
use sasl_plain::{LoginServer, PlainServer};
use sasl_scram::{ScramServerConfig, derive, server_factories};
use sasl_test::imap::ImapFrontEnd;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

const USER: &str = "alice";
const PASSWORD: &str = "correct horse 42";

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
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.all()))
    }

    /// Neither the password nor its PLAIN encoding shows anywhere.
    fn assert_no_password(&self) {
        let all = self.all();
        assert!(!all.contains(PASSWORD), "password in the output:\n{all}");
        let plain = encode_base64(format!("\0{USER}\0{PASSWORD}").as_bytes());
        assert!(!all.contains(&plain), "PLAIN message in the output:\n{all}");
        assert!(
            !all.contains(&encode_base64(PASSWORD.as_bytes())),
            "base64 password in the output:\n{all}"
        );
    }
}

fn sasl_with_password(args: &[&str], password: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sasl"));
    command
        .arg("login")
        .args(args)
        .args(["--timeout", "10"])
        .env_remove("SASL_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    if let Some(password) = password {
        command.env("SASL_PASSWORD", password);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn sasl(args: &[&str]) -> Run {
    sasl_with_password(args, Some(PASSWORD))
}

// ---------------------------------------------------------------------------------------
// Credentials and server-side mechanisms
// ---------------------------------------------------------------------------------------

fn answer(request: Request) -> Answer {
    match request {
        Request::VerifyPassword(check)
            if check.authcid() == USER && check.password_matches(PASSWORD) =>
        {
            check.valid()
        }
        Request::VerifyPassword(check) => check.invalid(),
        Request::ScramLookup(lookup) if lookup.authcid() == USER => {
            let credentials = derive(lookup.hash(), PASSWORD, b"alice-salt-01234", 4096).unwrap();
            lookup.found(credentials)
        }
        Request::ScramLookup(lookup) => lookup.not_found(),
        other => other.unavailable(),
    }
}

fn registry() -> ServerRegistry {
    ServerRegistry::new()
        .with_all(server_factories(
            ScramServerConfig::new(vec![7u8; 32]).unwrap(),
        ))
        .with(PlainServer::factory())
        .with(LoginServer::factory())
}

fn front_end() -> ImapFrontEnd {
    ImapFrontEnd::new(
        registry(),
        ConnectionInfo::plaintext().allow_plaintext_passwords(true),
    )
    .with_answers(answer)
    .with_timeout(Duration::from_secs(10))
}

// ---------------------------------------------------------------------------------------
// IMAP against the front end
// ---------------------------------------------------------------------------------------

#[test]
fn imap_plain_logs_in_and_redacts_the_password() {
    let server = front_end().spawn().unwrap();
    let url = server.url();
    let run = sasl(&[&url, "--user", USER, "--mech", "PLAIN"]);
    let log = server.finish();
    assert_eq!(run.status, 0, "{}\n{log}", run.all());
    assert!(
        run.stdout.contains("AUTHENTICATE PLAIN ***"),
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("\\0alice\\0***"), "{}", run.all());
    assert!(
        run.stdout.contains("authenticated as alice with PLAIN"),
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("LOGOUT"), "{}", run.all());
    run.assert_no_password();
    let auth = log.last_authentication().unwrap();
    assert_eq!(auth.success().map(|s| s.identity()), Some(USER), "{log}");
}

#[test]
fn imap_default_is_the_strongest_scram_and_the_server_proves_itself() {
    let server = front_end().spawn().unwrap();
    let url = server.url();
    let run = sasl(&[&url, "--user", USER, "--json"]);
    let _ = server.finish();
    assert_eq!(run.status, 0, "{}", run.all());
    let json = run.json();
    assert_eq!(json["authenticated"], true);
    assert_eq!(json["mechanism"], "SCRAM-SHA-512");
    assert_eq!(json["identity"], USER);
    assert_eq!(json["server_verified"], true);
    assert_eq!(json["channel_binding"], serde_json::Value::Null);
    assert_eq!(json["round_trips"], 3);
    assert_eq!(json["failure"], serde_json::Value::Null);
    assert!(json["server_reply"].as_str().unwrap().contains("OK"));
    let transcript = json["transcript"].as_array().unwrap();
    assert!(transcript.iter().any(|l| {
        l["from"] == "client"
            && l["decoded"]
                .as_str()
                .is_some_and(|d| d.starts_with("n,,n=alice,r="))
    }));
    assert!(transcript.iter().any(
        |l| l["from"] == "server" && l["decoded"].as_str().is_some_and(|d| d.starts_with("v="))
    ));
    run.assert_no_password();
}

#[test]
fn imap_scram_sha_256_from_a_password_file() {
    let dir = TempDir::new("pwfile");
    let file = dir.write("pw", &format!("{PASSWORD}\n"));
    let server = front_end().spawn().unwrap();
    let url = server.url();
    let run = sasl_with_password(
        &[
            &url,
            "--user",
            USER,
            "--mech",
            "scram-sha-256",
            "--password-file",
            file.to_str().unwrap(),
        ],
        None,
    );
    let _ = server.finish();
    assert_eq!(run.status, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("authenticated as alice with SCRAM-SHA-256 ("),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("the server proved it knows"),
        "{}",
        run.all()
    );
    run.assert_no_password();
}

#[test]
fn imap_login_without_sasl_ir() {
    let server = front_end().without_sasl_ir().spawn().unwrap();
    let url = server.url();
    let run = sasl(&[&url, "--user", USER, "--mech", "LOGIN"]);
    let log = server.finish();
    assert_eq!(run.status, 0, "{}\n{log}", run.all());
    assert!(run.stdout.contains("AUTHENTICATE LOGIN\n"), "{}", run.all());
    run.assert_no_password();
    // And PLAIN answers the empty challenge with its message.
    let server = front_end().without_sasl_ir().spawn().unwrap();
    let url = server.url();
    let run = sasl(&[&url, "--user", USER, "--mech", "PLAIN"]);
    let _ = server.finish();
    assert_eq!(run.status, 0, "{}", run.all());
    assert!(run.stdout.contains("C: ***"), "{}", run.all());
    run.assert_no_password();
}

#[test]
fn imap_wrong_password_is_refused_with_a_hint() {
    for mech in ["PLAIN", "SCRAM-SHA-256"] {
        let server = front_end().spawn().unwrap();
        let url = server.url();
        let run = sasl_with_password(&[&url, "--user", USER, "--mech", mech], Some("wrong one"));
        let _ = server.finish();
        assert_eq!(run.status, 1, "{mech}: {}", run.all());
        assert!(run.stderr.contains("error:"), "{}", run.all());
        assert!(run.stderr.contains("hint:"), "{}", run.all());
        assert!(run.stderr.contains("password"), "{}", run.all());
        assert!(!run.all().contains("wrong one"), "{}", run.all());
    }
}

#[test]
fn unknown_or_unoffered_mechanisms_are_usage_errors_with_the_offer() {
    let server = front_end().spawn().unwrap();
    let url = server.url();
    let run = sasl(&[&url, "--user", USER, "--mech", "CRAM-MD5"]);
    let _ = server.finish();
    assert_eq!(run.status, 2, "{}", run.all());
    assert!(run.stderr.contains("unknown mechanism"), "{}", run.all());
    assert!(run.stderr.contains("SCRAM-SHA-256"), "{}", run.all());

    let server = front_end().spawn().unwrap();
    let url = server.url();
    let run = sasl(&[&url, "--user", USER, "--mech", "XOAUTH2", "--json"]);
    let _ = server.finish();
    assert_eq!(run.status, 2, "{}", run.all());
    let json = run.json();
    assert_eq!(json["authenticated"], false);
    assert!(
        json["failure"]
            .as_str()
            .unwrap()
            .contains("does not offer XOAUTH2")
    );
    assert!(
        json["hint"]
            .as_str()
            .unwrap()
            .contains("SCRAM-SHA-512 SCRAM-SHA-256")
    );
}

#[test]
fn no_password_and_no_terminal_says_how_to_give_one() {
    let server = front_end().spawn().unwrap();
    let url = server.url();
    let run = sasl_with_password(&[&url, "--user", USER], None);
    let _ = server.finish();
    assert_eq!(run.status, 2, "{}", run.all());
    assert!(run.stderr.contains("SASL_PASSWORD"), "{}", run.all());
}

#[test]
fn connection_refused_and_bad_urls_are_errors() {
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.local_addr().unwrap().port()
    };
    let run = sasl(&[&format!("imap://127.0.0.1:{port}"), "--user", USER]);
    assert_eq!(run.status, 2, "{}", run.all());
    assert!(run.stderr.contains("hint:"), "{}", run.all());
    let run = sasl(&["http://example.com", "--user", USER]);
    assert_eq!(run.status, 2, "{}", run.all());
    assert!(run.stderr.contains("imap|imaps"), "{}", run.all());
}

// ---------------------------------------------------------------------------------------
// Scripted servers: a line connection, plain or TLS
// ---------------------------------------------------------------------------------------

enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    Gone,
}

impl Conn {
    fn read_line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            let n = match self {
                Conn::Plain(s) => s.read(&mut byte),
                Conn::Tls(s) => s.read(&mut byte),
                Conn::Gone => return None,
            }
            .ok()?;
            if n == 0 {
                return None;
            }
            if byte[0] == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(String::from_utf8(line).unwrap());
            }
            line.push(byte[0]);
        }
    }

    fn send(&mut self, line: &str) {
        let data = format!("{line}\r\n");
        let _ = match self {
            Conn::Plain(s) => s.write_all(data.as_bytes()),
            Conn::Tls(s) => s.write_all(data.as_bytes()).and_then(|()| s.flush()),
            Conn::Gone => Ok(()),
        };
    }

    /// Runs the TLS handshake; returns the channel bindings.
    fn start_tls(&mut self, tls: &Tls) -> ConnectionInfo {
        let Conn::Plain(tcp) = std::mem::replace(self, Conn::Gone) else {
            panic!("TLS twice")
        };
        let mut conn = ServerConnection::new(tls.config.clone()).unwrap();
        let mut tcp = tcp;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).unwrap();
        }
        let bindings =
            sasl_core::channel_binding::from_rustls_server(&conn, &tls.leaf_der).unwrap();
        *self = Conn::Tls(Box::new(StreamOwned::new(conn, tcp)));
        ConnectionInfo::tls().with_channel_bindings(bindings)
    }
}

/// How a protocol frames the exchange on the server side.
struct Framing {
    challenge: &'static str,
    success: String,
    failure: String,
    cancelled: String,
    /// Send success data with the success line (`235 2.7.0 <base64>`).
    data_in_success: bool,
    /// Replace the success data with a server signature that does not verify.
    forge_success_data: bool,
}

/// One exchange; returns whether it succeeded.
fn serve_sasl(
    conn: &mut Conn,
    info: &ConnectionInfo,
    mechanism: &str,
    initial: Option<&str>,
    framing: &Framing,
) -> bool {
    let info = if framing.data_in_success {
        info.clone().with_success_data(SuccessData::InOutcome)
    } else {
        info.clone()
    };
    let registry = registry();
    let Ok(mut session) = registry.start(mechanism, &info) else {
        conn.send(&framing.failure);
        return false;
    };
    let initial = decode_initial_response(initial.map(str::as_bytes)).unwrap();
    let mut step = session.start_with(initial.as_deref(), &answer).unwrap();
    loop {
        match step {
            ServerStep::Challenge(challenge) => {
                conn.send(&format!(
                    "{}{}",
                    framing.challenge,
                    encode_base64(&challenge)
                ));
                let Some(line) = conn.read_line() else {
                    return false;
                };
                if line == "*" {
                    conn.send(&framing.cancelled);
                    return false;
                }
                step = session
                    .step_with(&decode_base64(line.as_bytes()).unwrap(), &answer)
                    .unwrap();
            }
            ServerStep::Success(_) if framing.forge_success_data => {
                let forged = format!("v={}", encode_base64(&[0u8; 32]));
                conn.send(&format!(
                    "{} {}",
                    framing.success,
                    encode_base64(forged.as_bytes())
                ));
                return true;
            }
            ServerStep::Success(success) => {
                match success
                    .additional_data()
                    .filter(|_| framing.data_in_success)
                {
                    Some(data) => {
                        conn.send(&format!("{} {}", framing.success, encode_base64(data)))
                    }
                    None => conn.send(&format!("{} done", framing.success)),
                }
                return true;
            }
            ServerStep::Failure(_) => {
                conn.send(&framing.failure);
                return false;
            }
            ServerStep::Request(_) => panic!("requests are answered by the store"),
        }
    }
}

/// A server thread for one connection; it returns the lines it read.
fn spawn_server(
    serve: impl FnOnce(Conn, &mut Vec<String>) + Send + 'static,
) -> (u16, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut seen = Vec::new();
        serve(Conn::Plain(stream), &mut seen);
        seen
    });
    (port, handle)
}

// ---------------------------------------------------------------------------------------
// TLS material
// ---------------------------------------------------------------------------------------

struct Tls {
    config: Arc<ServerConfig>,
    leaf_der: Vec<u8>,
    ca_pem: String,
}

fn tls() -> Tls {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "sasl login test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let leaf_der = leaf.der().to_vec();
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(leaf_der.clone())], key)
            .unwrap();
    Tls {
        config: Arc::new(config),
        leaf_der,
        ca_pem: ca_cert.pem(),
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sasl-login-test-{name}-{}-{:?}",
            std::process::id(),
            thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------
// IMAPS with SCRAM-SHA-256-PLUS
// ---------------------------------------------------------------------------------------

/// An IMAPS server for one connection: SCRAM-SHA-256(-PLUS) with the connection's
/// channel bindings.
fn imaps_server(tls: Tls) -> (u16, JoinHandle<Vec<String>>) {
    spawn_server(move |mut conn, seen| {
        let info = conn.start_tls(&tls);
        conn.send(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256 AUTH=SCRAM-SHA-256-PLUS] hi",
        );
        while let Some(line) = conn.read_line() {
            seen.push(line.clone());
            let words: Vec<&str> = line.split(' ').collect();
            let tag = words[0];
            match words.get(1).map(|w| w.to_ascii_uppercase()).as_deref() {
                Some("AUTHENTICATE") => {
                    let framing = Framing {
                        challenge: "+ ",
                        success: format!("{tag} OK"),
                        failure: format!("{tag} NO [AUTHENTICATIONFAILED] failed"),
                        cancelled: format!("{tag} BAD cancelled"),
                        data_in_success: false,
                        forge_success_data: false,
                    };
                    let ok =
                        serve_sasl(&mut conn, &info, words[2], words.get(3).copied(), &framing);
                    seen.push(format!("success={ok}"));
                }
                Some("LOGOUT") => {
                    conn.send("* BYE bye");
                    conn.send(&format!("{tag} OK LOGOUT done"));
                    return;
                }
                _ => conn.send(&format!("{tag} BAD what")),
            }
        }
    })
}

#[test]
fn imaps_scram_plus_binds_with_each_channel_binding_type() {
    for (cb, expected) in [
        (None, "tls-exporter"),
        (Some("tls-exporter"), "tls-exporter"),
        (Some("tls-server-end-point"), "tls-server-end-point"),
    ] {
        let tls = tls();
        let dir = TempDir::new("imaps");
        let ca = dir.write("ca.pem", &tls.ca_pem);
        let (port, server) = imaps_server(tls);
        let url = format!("imaps://127.0.0.1:{port}");
        let mut args = vec![
            url.as_str(),
            "--user",
            USER,
            "--ca-file",
            ca.to_str().unwrap(),
            "--json",
        ];
        if let Some(cb) = cb {
            args.extend(["--cb-type", cb]);
        }
        let run = sasl(&args);
        let seen = server.join().unwrap();
        assert_eq!(run.status, 0, "{cb:?}: {}\n{seen:?}", run.all());
        let json = run.json();
        assert_eq!(json["mechanism"], "SCRAM-SHA-256-PLUS", "{}", run.all());
        assert_eq!(json["channel_binding"], expected, "{}", run.all());
        assert_eq!(json["server_verified"], true);
        assert!(seen.contains(&"success=true".to_owned()), "{seen:?}");
        run.assert_no_password();
    }
}

#[test]
fn imaps_cb_type_none_uses_bare_scram() {
    let tls = tls();
    let dir = TempDir::new("imaps-none");
    let ca = dir.write("ca.pem", &tls.ca_pem);
    let (port, server) = imaps_server(tls);
    let url = format!("imaps://127.0.0.1:{port}");
    let run = sasl(&[
        &url,
        "--user",
        USER,
        "--ca-file",
        ca.to_str().unwrap(),
        "--cb-type",
        "none",
    ]);
    let _ = server.join();
    assert_eq!(run.status, 0, "{}", run.all());
    assert!(run.stdout.contains("with SCRAM-SHA-256 ("), "{}", run.all());
}

#[test]
fn an_untrusted_certificate_is_an_error_with_a_hint() {
    let tls = tls();
    let other = self::tls();
    let dir = TempDir::new("untrusted");
    let ca = dir.write("ca.pem", &other.ca_pem);
    let (port, server) = spawn_server(move |mut conn, _| {
        // The handshake fails on the client's side; the server just sees it end.
        let Conn::Plain(tcp) = std::mem::replace(&mut conn, Conn::Gone) else {
            return;
        };
        let mut tcp = tcp;
        let mut server = ServerConnection::new(tls.config.clone()).unwrap();
        while server.is_handshaking() {
            if server.complete_io(&mut tcp).is_err() {
                return;
            }
        }
    });
    let url = format!("imaps://127.0.0.1:{port}");
    let run = sasl(&[&url, "--user", USER, "--ca-file", ca.to_str().unwrap()]);
    let _ = server.join();
    assert_eq!(run.status, 2, "{}", run.all());
    assert!(run.stderr.contains("--ca-file"), "{}", run.all());
    assert!(run.stderr.contains("--insecure"), "{}", run.all());
}

// ---------------------------------------------------------------------------------------
// SMTP
// ---------------------------------------------------------------------------------------

struct SmtpScript {
    /// Send SCRAM's server-final with the 235 instead of as a 334 challenge.
    data_in_235: bool,
    /// Offer STARTTLS, and answer AUTH before TLS with 530 5.7.0.
    tls: Option<Tls>,
    /// Send a SCRAM server signature that does not verify (with the 235).
    forge: bool,
}

const GOOD_TOKEN: &str = "ya29.good-token-0123456789";

fn smtp_server(script: SmtpScript) -> (u16, JoinHandle<Vec<String>>) {
    spawn_server(move |mut conn, seen| {
        let mut info = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
        let mut secure = false;
        conn.send("220 fake.example ESMTP");
        while let Some(line) = conn.read_line() {
            seen.push(line.clone());
            let words: Vec<&str> = line.split(' ').collect();
            match words[0].to_ascii_uppercase().as_str() {
                "EHLO" => {
                    conn.send("250-fake.example");
                    if secure {
                        conn.send("250-AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN");
                    } else {
                        conn.send("250-AUTH SCRAM-SHA-256 PLAIN XOAUTH2 OAUTHBEARER");
                    }
                    if script.tls.is_some() && !secure {
                        conn.send("250-STARTTLS");
                    }
                    conn.send("250 8BITMIME");
                }
                "STARTTLS" => {
                    let Some(tls) = &script.tls else {
                        conn.send("502 no");
                        continue;
                    };
                    conn.send("220 go ahead");
                    info = conn.start_tls(tls);
                    secure = true;
                }
                "AUTH" if script.tls.is_some() && !secure => {
                    conn.send("530 5.7.0 Must issue a STARTTLS command first");
                }
                "AUTH" if words[1] == "XOAUTH2" || words[1] == "OAUTHBEARER" => {
                    let message = decode_base64(words[2].as_bytes()).unwrap();
                    let good = format!("auth=Bearer {GOOD_TOKEN}\x01");
                    if message.windows(good.len()).any(|w| w == good.as_bytes()) {
                        conn.send("235 2.7.0 Accepted");
                        seen.push("success=true".to_owned());
                    } else {
                        let error = br#"{"status":"401","schemes":"Bearer","scope":"mail"}"#;
                        conn.send(&format!("334 {}", encode_base64(error)));
                        let _ = conn.read_line();
                        conn.send("535 5.7.8 Username and Password not accepted");
                    }
                }
                "AUTH" => {
                    let framing = Framing {
                        challenge: "334 ",
                        success: "235 2.7.0".to_owned(),
                        failure: "535 5.7.8 Authentication credentials invalid".to_owned(),
                        cancelled: "501 5.7.0 cancelled".to_owned(),
                        data_in_success: script.data_in_235 || script.forge,
                        forge_success_data: script.forge,
                    };
                    let ok =
                        serve_sasl(&mut conn, &info, words[1], words.get(2).copied(), &framing);
                    seen.push(format!("success={ok}"));
                }
                "QUIT" => {
                    conn.send("221 2.0.0 bye");
                    return;
                }
                _ => conn.send("502 5.5.1 unknown"),
            }
        }
    })
}

#[test]
fn smtp_scram_server_final_as_334_or_with_235() {
    for data_in_235 in [false, true] {
        let (port, server) = smtp_server(SmtpScript {
            data_in_235,
            tls: None,
            forge: false,
        });
        let url = format!("smtp://127.0.0.1:{port}");
        let run = sasl(&[&url, "--user", USER, "--json"]);
        let seen = server.join().unwrap();
        assert_eq!(
            run.status,
            0,
            "235 data {data_in_235}: {}\n{seen:?}",
            run.all()
        );
        let json = run.json();
        assert_eq!(json["mechanism"], "SCRAM-SHA-256");
        assert_eq!(json["server_verified"], true);
        let reply = json["server_reply"].as_str().unwrap();
        assert_eq!(reply.len() > "235 2.7.0 done".len(), data_in_235, "{reply}");
        assert_eq!(json["round_trips"], if data_in_235 { 2 } else { 3 });
        assert!(
            seen.first().unwrap().starts_with("EHLO [127.0.0.1]"),
            "{seen:?}"
        );
        assert_eq!(seen.last().map(String::as_str), Some("QUIT"));
        run.assert_no_password();
    }
}

#[test]
fn smtp_plain_wrong_password_is_refused() {
    let (port, server) = smtp_server(SmtpScript {
        data_in_235: false,
        tls: None,
        forge: false,
    });
    let url = format!("smtp://127.0.0.1:{port}");
    let run = sasl_with_password(
        &[&url, "--user", USER, "--mech", "PLAIN"],
        Some("nope nope"),
    );
    let _ = server.join();
    assert_eq!(run.status, 1, "{}", run.all());
    assert!(run.stdout.contains("AUTH PLAIN ***"), "{}", run.all());
    assert!(run.stderr.contains("535"), "{}", run.all());
}

#[test]
fn smtp_starttls_when_the_server_demands_it_then_scram_plus() {
    let tls = tls();
    let dir = TempDir::new("smtp-starttls");
    let ca = dir.write("ca.pem", &tls.ca_pem);
    let (port, server) = smtp_server(SmtpScript {
        data_in_235: false,
        tls: Some(tls),
        forge: false,
    });
    let url = format!("smtp://127.0.0.1:{port}");
    let run = sasl(&[
        &url,
        "--user",
        USER,
        "--ca-file",
        ca.to_str().unwrap(),
        "--json",
    ]);
    let seen = server.join().unwrap();
    assert_eq!(run.status, 0, "{}\n{seen:?}", run.all());
    let json = run.json();
    assert_eq!(json["mechanism"], "SCRAM-SHA-256-PLUS", "{}", run.all());
    assert_eq!(json["channel_binding"], "tls-exporter");
    assert!(seen.iter().any(|l| l == "STARTTLS"), "{seen:?}");
    // EHLO again after TLS.
    assert_eq!(
        seen.iter().filter(|l| l.starts_with("EHLO")).count(),
        2,
        "{seen:?}"
    );
}

#[test]
fn smtp_explicit_starttls() {
    let tls = tls();
    let dir = TempDir::new("smtp-explicit");
    let ca = dir.write("ca.pem", &tls.ca_pem);
    let (port, server) = smtp_server(SmtpScript {
        data_in_235: false,
        tls: Some(tls),
        forge: false,
    });
    let url = format!("smtp://127.0.0.1:{port}");
    let run = sasl(&[
        &url,
        "--user",
        USER,
        "--mech",
        "PLAIN",
        "--starttls",
        "--ca-file",
        ca.to_str().unwrap(),
    ]);
    let seen = server.join().unwrap();
    assert_eq!(run.status, 0, "{}\n{seen:?}", run.all());
    // No AUTH went out before TLS.
    let starttls = seen.iter().position(|l| l == "STARTTLS").unwrap();
    let auth = seen.iter().position(|l| l.starts_with("AUTH")).unwrap();
    assert!(starttls < auth, "{seen:?}");
    assert!(run.stdout.contains("TLS is up"), "{}", run.all());
    run.assert_no_password();
}

#[test]
fn smtp_scram_server_that_does_not_prove_itself_is_an_error() {
    let (port, server) = smtp_server(SmtpScript {
        data_in_235: true,
        tls: None,
        forge: true,
    });
    let url = format!("smtp://127.0.0.1:{port}");
    let run = sasl(&[&url, "--user", USER, "--json"]);
    let _ = server.join();
    assert_eq!(run.status, 2, "{}", run.all());
    let json = run.json();
    assert_eq!(json["authenticated"], false);
    assert!(
        json["failure"].as_str().unwrap().contains("did not prove"),
        "{}",
        run.all()
    );
    assert!(
        json["hint"].as_str().unwrap().contains("impostor"),
        "{}",
        run.all()
    );
}

#[test]
fn smtp_bearer_tokens_are_redacted_and_a_refused_token_has_a_hint() {
    let dir = TempDir::new("tokens");
    let good = dir.write("good", &format!("{GOOD_TOKEN}\n"));
    let bad = dir.write("bad", "ya29.expired-token-987654321");
    let (port, server) = smtp_server(SmtpScript {
        data_in_235: false,
        tls: None,
        forge: false,
    });
    let url = format!("smtp://127.0.0.1:{port}");
    let run = sasl_with_password(
        &[&url, "--user", USER, "--token-file", good.to_str().unwrap()],
        None,
    );
    let seen = server.join().unwrap();
    assert_eq!(run.status, 0, "{}\n{seen:?}", run.all());
    assert!(run.stdout.contains("with OAUTHBEARER"), "{}", run.all());
    assert!(run.stdout.contains("auth=Bearer ***"), "{}", run.all());
    assert!(!run.all().contains(GOOD_TOKEN), "{}", run.all());

    let (port, server) = smtp_server(SmtpScript {
        data_in_235: false,
        tls: None,
        forge: false,
    });
    let url = format!("smtp://127.0.0.1:{port}");
    let run = sasl_with_password(
        &[
            &url,
            "--user",
            USER,
            "--mech",
            "XOAUTH2",
            "--token-file",
            bad.to_str().unwrap(),
        ],
        None,
    );
    let _ = server.join();
    assert_eq!(run.status, 1, "{}", run.all());
    assert!(run.stderr.contains("token"), "{}", run.all());
    assert!(!run.all().contains("expired-token"), "{}", run.all());
}

// ---------------------------------------------------------------------------------------
// POP3
// ---------------------------------------------------------------------------------------

fn pop3_server() -> (u16, JoinHandle<Vec<String>>) {
    spawn_server(|mut conn, seen| {
        let info = ConnectionInfo::plaintext().allow_plaintext_passwords(true);
        conn.send("+OK POP3 ready");
        while let Some(line) = conn.read_line() {
            seen.push(line.clone());
            let words: Vec<&str> = line.split(' ').collect();
            match words[0].to_ascii_uppercase().as_str() {
                "CAPA" => {
                    for l in ["+OK", "USER", "SASL PLAIN SCRAM-SHA-256", "."] {
                        conn.send(l);
                    }
                }
                "AUTH" => {
                    let framing = Framing {
                        challenge: "+ ",
                        success: "+OK".to_owned(),
                        failure: "-ERR [AUTH] invalid".to_owned(),
                        cancelled: "-ERR cancelled".to_owned(),
                        data_in_success: false,
                        forge_success_data: false,
                    };
                    let ok =
                        serve_sasl(&mut conn, &info, words[1], words.get(2).copied(), &framing);
                    seen.push(format!("success={ok}"));
                }
                "QUIT" => {
                    conn.send("+OK bye");
                    return;
                }
                _ => conn.send("-ERR unknown"),
            }
        }
    })
}

#[test]
fn pop3_auth_plain_with_initial_response() {
    let (port, server) = pop3_server();
    let url = format!("pop3://127.0.0.1:{port}");
    let run = sasl(&[&url, "--user", USER, "--mech", "PLAIN"]);
    let seen = server.join().unwrap();
    assert_eq!(run.status, 0, "{}\n{seen:?}", run.all());
    assert!(run.stdout.contains("C: AUTH PLAIN ***"), "{}", run.all());
    assert!(
        seen.iter().any(|l| l.starts_with("AUTH PLAIN ")),
        "{seen:?}"
    );
    assert!(seen.contains(&"success=true".to_owned()), "{seen:?}");
    run.assert_no_password();
}

#[test]
fn pop3_scram_and_a_refusal() {
    let (port, server) = pop3_server();
    let url = format!("pop3://127.0.0.1:{port}");
    let run = sasl(&[&url, "--user", USER]);
    let _ = server.join();
    assert_eq!(run.status, 0, "{}", run.all());
    assert!(run.stdout.contains("with SCRAM-SHA-256 ("), "{}", run.all());

    let (port, server) = pop3_server();
    let url = format!("pop3://127.0.0.1:{port}");
    let run = sasl_with_password(&[&url, "--user", USER, "--mech", "PLAIN"], Some("bad bad"));
    let _ = server.join();
    assert_eq!(run.status, 1, "{}", run.all());
    assert!(
        run.stderr.contains("[AUTH]") || run.stderr.contains("invalid"),
        "{}",
        run.all()
    );
}

// ---------------------------------------------------------------------------------------
// Downgrades and unchecked certificates
// ---------------------------------------------------------------------------------------

#[test]
fn preauth_in_plain_text_with_starttls_asked_is_an_error() {
    // A man in the middle answers for the server with PREAUTH: STARTTLS is then
    // impossible, and the login must not be reported as done.
    let (port, server) = spawn_server(|mut conn, seen| {
        conn.send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome");
        while let Some(line) = conn.read_line() {
            seen.push(line.clone());
            let tag = line.split(' ').next().unwrap_or_default().to_owned();
            conn.send(&format!("{tag} OK done"));
        }
    });
    let url = format!("imap://127.0.0.1:{port}");
    let run = sasl(&[
        &url,
        "--user",
        USER,
        "--starttls",
        "--mech",
        "SCRAM-SHA-256",
    ]);
    let _ = server.join();
    assert_eq!(run.status, 2, "{}", run.all());
    assert!(run.stderr.contains("PREAUTH"), "{}", run.all());
    assert!(!run.stdout.contains("authenticated"), "{}", run.all());
}

#[test]
fn insecure_says_so_on_stderr_and_in_the_transcript() {
    let (port, server) = imaps_server(tls());
    let url = format!("imaps://127.0.0.1:{port}");
    let run = sasl(&[&url, "--user", USER, "--insecure", "--json"]);
    let _ = server.join();
    assert_eq!(run.status, 0, "{}", run.all());
    assert!(
        run.stderr.contains("NOT checked (--insecure)"),
        "{}",
        run.all()
    );
    let json = run.json();
    let noted = json["transcript"].as_array().unwrap().iter().any(|l| {
        l["from"] == "note"
            && l["line"]
                .as_str()
                .unwrap_or_default()
                .contains("--insecure")
    });
    assert!(noted, "{}", run.all());
}
