//! `sasl serve` and `sasl login`, both real binaries, every mechanism over IMAP, SMTP and
//! POP3, with and without TLS, including the logins that must fail.
//!
//! The server's config is made with the tool itself, as a user would: `sasl hash` for the
//! SCRAM credentials, `sasl cert` for the device certificate, `sasl passkey register` for
//! the passkey. The bearer tokens come from this test's own ES256 signer (ring), not from
//! the tool's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Server, sasl_with_env, scratch_dir};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

const ISSUER: &str = "https://issuer.e2e.test";
const AUDIENCE: &str = "mail.e2e.test";
const PASSWORD: &str = "correct horse battery staple";

/// An ES256 key pair of the test's identity provider.
struct Signer {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    fn new() -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Signer { pair, rng }
    }

    fn jwks(&self) -> String {
        let point = self.pair.public_key().as_ref();
        assert_eq!(point.len(), 65);
        serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "e2e", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        }]})
        .to_string()
    }

    /// A JWT for `sub` whose `exp` is `exp_offset` seconds from now.
    fn token(&self, sub: &str, exp_offset: i64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let header = r#"{"alg":"ES256","typ":"JWT","kid":"e2e"}"#;
        let claims = serde_json::json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": sub,
            "iat": now - 7200, "exp": now + exp_offset,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.pair.sign(&self.rng, signing_input.as_bytes()).unwrap();
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

/// Runs `sasl ARGS` with `stdin` piped in.
fn sasl_stdin(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sasl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(output: &std::process::Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what}: {:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// What the server knows and what the clients hold.
struct Setup {
    dir: PathBuf,
    config: PathBuf,
    jwks: PathBuf,
    device_cert: PathBuf,
    device_key: PathBuf,
    stranger_cert: PathBuf,
    stranger_key: PathBuf,
    passkey: PathBuf,
    stranger_passkey: PathBuf,
    signer: Signer,
    forger: Signer,
}

fn setup(name: &str) -> Setup {
    let dir = scratch_dir(name);
    let config = dir.join("server.toml");

    // SCRAM credentials from `sasl hash`, the password on stdin.
    let mut scram = Vec::new();
    for mech in ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let out = ok(
            &sasl_stdin(&["hash", "--mech", mech], PASSWORD),
            "sasl hash",
        );
        scram.push(out.trim().to_owned());
    }
    assert!(scram.iter().all(|line| !line.contains(PASSWORD)));

    // Alice's device certificate from `sasl cert`, and a stranger's.
    let cert = |device: &str| {
        let prefix = dir.join(device);
        let out = ok(
            &sasl_with_env(
                &[
                    "cert",
                    "--name",
                    device,
                    "--out",
                    s(&prefix),
                    "--p12-password-file",
                    "/dev/null",
                ],
                &[],
            ),
            "sasl cert",
        );
        let fingerprint = out
            .lines()
            .find_map(|line| line.trim().strip_prefix("certificates = [\""))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no fingerprint line in {out}"))
            .to_owned();
        (
            prefix.with_extension("pem"),
            prefix.with_extension("key"),
            fingerprint,
        )
    };
    let (device_cert, device_key, fingerprint) = cert("alice-laptop");
    let (stranger_cert, stranger_key, _) = cert("stranger");

    let toml = format!(
        "[[account]]\nname = \"alice\"\nscram = {scram:?}\ncertificates = [\"{fingerprint}\"]\n"
    );
    std::fs::write(&config, toml).unwrap();

    // Alice's passkey from `sasl passkey register`; the stranger's goes to another config.
    let passkey = dir.join("alice.passkey");
    ok(
        &sasl_with_env(
            &[
                "passkey",
                "register",
                "--config",
                s(&config),
                "--user",
                "alice",
                "--key-file",
                s(&passkey),
            ],
            &[],
        ),
        "sasl passkey register",
    );
    let stranger_passkey = dir.join("stranger.passkey");
    let elsewhere = dir.join("elsewhere.toml");
    ok(
        &sasl_with_env(
            &[
                "passkey",
                "register",
                "--config",
                s(&elsewhere),
                "--user",
                "alice",
                "--key-file",
                s(&stranger_passkey),
                "--alg",
                "ed25519",
            ],
            &[],
        ),
        "sasl passkey register (stranger)",
    );

    let signer = Signer::new();
    let jwks = dir.join("jwks.json");
    std::fs::write(&jwks, signer.jwks()).unwrap();
    Setup {
        dir,
        config,
        jwks,
        device_cert,
        device_key,
        stranger_cert,
        stranger_key,
        passkey,
        stranger_passkey,
        signer,
        forger: Signer::new(),
    }
}

fn start(setup: &Setup, extra: &[&str]) -> Server {
    let mut args = vec![
        "--imap",
        "127.0.0.1:0",
        "--imaps",
        "127.0.0.1:0",
        "--smtp",
        "127.0.0.1:0",
        "--submissions",
        "127.0.0.1:0",
        "--pop3",
        "127.0.0.1:0",
        "--pop3s",
        "127.0.0.1:0",
        "--config",
        s(&setup.config),
        "--jwks",
        s(&setup.jwks),
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
        "--failure-delay",
        "0",
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// The credential a login uses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cred {
    Password,
    WrongPassword,
    Token,
    ExpiredToken,
    ForgedToken,
    Certificate,
    StrangerCertificate,
    Passkey,
    StrangerPasskey,
}

impl Cred {
    fn must_succeed(self) -> bool {
        matches!(
            self,
            Cred::Password | Cred::Token | Cred::Certificate | Cred::Passkey
        )
    }
}

/// Runs one `sasl login`; returns (exit status, JSON result, stderr).
fn login(
    setup: &Setup,
    server: &Server,
    listener: &str,
    mech: &str,
    cred: Cred,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let (scheme, starttls) = match listener {
        "submissions" => ("smtps", false),
        "imaps" | "pop3s" => (listener, false),
        other => (other, !extra.contains(&"--no-tls")),
    };
    let url = format!("{scheme}://localhost:{}", server.addr(listener).port());
    let ca = server.cert().to_str().unwrap().to_owned();
    let mut args: Vec<String> = ["login", &url, "--mech", mech, "--ca-file", &ca, "--json"]
        .map(String::from)
        .to_vec();
    if starttls {
        args.push("--starttls".into());
    }
    args.extend(
        extra
            .iter()
            .filter(|a| **a != "--no-tls")
            .map(|a| (*a).to_owned()),
    );
    let token_file = setup.dir.join(format!("token-{listener}-{mech}-{cred:?}"));
    let mut env: Vec<(&str, &str)> = Vec::new();
    let add =
        |args: &mut Vec<String>, more: &[&str]| args.extend(more.iter().map(|a| (*a).to_owned()));
    match cred {
        Cred::Password => {
            add(&mut args, &["--user", "alice"]);
            env.push(("SASL_PASSWORD", PASSWORD));
        }
        Cred::WrongPassword => {
            add(&mut args, &["--user", "alice"]);
            env.push(("SASL_PASSWORD", "incorrect horse"));
        }
        Cred::Token | Cred::ExpiredToken | Cred::ForgedToken => {
            let token = match cred {
                Cred::Token => setup.signer.token("alice", 3600),
                Cred::ExpiredToken => setup.signer.token("alice", -3600),
                _ => setup.forger.token("alice", 3600),
            };
            std::fs::write(&token_file, token).unwrap();
            add(
                &mut args,
                &["--user", "alice", "--token-file", s(&token_file)],
            );
        }
        Cred::Certificate => add(
            &mut args,
            &[
                "--cert",
                s(&setup.device_cert),
                "--key",
                s(&setup.device_key),
            ],
        ),
        Cred::StrangerCertificate => add(
            &mut args,
            &[
                "--cert",
                s(&setup.stranger_cert),
                "--key",
                s(&setup.stranger_key),
            ],
        ),
        Cred::Passkey => add(
            &mut args,
            &["--user", "alice", "--passkey", s(&setup.passkey)],
        ),
        Cred::StrangerPasskey => add(&mut args, &["--passkey", s(&setup.stranger_passkey)]),
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = sasl_with_env(&argv, &env);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "password shown: {stdout}{stderr}"
    );
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (output.status.code().unwrap_or(-1), json, stderr)
}

const MECHANISMS: &[(&str, Cred)] = &[
    ("PLAIN", Cred::Password),
    ("LOGIN", Cred::Password),
    ("SCRAM-SHA-1", Cred::Password),
    ("SCRAM-SHA-256", Cred::Password),
    ("SCRAM-SHA-512", Cred::Password),
    ("SCRAM-SHA-1-PLUS", Cred::Password),
    ("SCRAM-SHA-256-PLUS", Cred::Password),
    ("SCRAM-SHA-512-PLUS", Cred::Password),
    ("OAUTHBEARER", Cred::Token),
    ("XOAUTH2", Cred::Token),
    ("EXTERNAL", Cred::Certificate),
    ("PASSKEY", Cred::Passkey),
    ("PLAIN", Cred::WrongPassword),
    ("SCRAM-SHA-256-PLUS", Cred::WrongPassword),
    ("OAUTHBEARER", Cred::ExpiredToken),
    ("XOAUTH2", Cred::ForgedToken),
    ("EXTERNAL", Cred::StrangerCertificate),
    ("PASSKEY", Cred::StrangerPasskey),
];

#[test]
fn every_mechanism_over_every_protocol_with_tls() {
    let setup = setup("e2e-tls");
    let server = start(&setup, &[]);
    let mut wrong = Vec::new();
    let mut ran = 0;
    for listener in ["imap", "imaps", "smtp", "submissions", "pop3", "pop3s"] {
        for (mech, cred) in MECHANISMS {
            let (status, json, stderr) = login(&setup, &server, listener, mech, *cred, &[]);
            ran += 1;
            // A certificate that maps to no account: the server does not offer EXTERNAL
            // at all on that connection, which the client reports as a usage error.
            let fine = if *cred == Cred::StrangerCertificate {
                status == 2
                    && json["failure"]
                        .as_str()
                        .is_some_and(|f| f.contains("does not offer EXTERNAL"))
            } else {
                let expected = if cred.must_succeed() { 0 } else { 1 };
                status == expected
                    && json["authenticated"] == serde_json::Value::Bool(cred.must_succeed())
                    && json["mechanism"] == *mech
            };
            let bound = mech.ends_with("-PLUS") && cred.must_succeed();
            let binding_fine = !bound
                || json["channel_binding"]
                    .as_str()
                    .is_some_and(|cb| cb.starts_with("tls-"));
            let verified = !mech.starts_with("SCRAM")
                || !cred.must_succeed()
                || json["server_verified"] == true;
            if !(fine && binding_fine && verified) {
                wrong.push(format!(
                    "{listener} {mech} {cred:?}: exit {status}\n{json:#}\n{stderr}"
                ));
            }
        }
    }
    let log = server.log();
    assert!(
        wrong.is_empty(),
        "{} of {ran} logins wrong:\n{}\nserver log:\n{log}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(!log.contains(PASSWORD), "the server logged the password");
    // The server logged every attempt with its outcome.
    assert!(
        log.lines().filter(|l| l.contains("success")).count() >= 6 * 12,
        "{log}"
    );
}

/// Whether the client sent STARTTLS or STLS.
fn upgraded(json: &serde_json::Value) -> bool {
    json["transcript"].as_array().unwrap().iter().any(|line| {
        line["from"] == "client"
            && line["line"].as_str().is_some_and(|l| {
                let l = l.to_ascii_uppercase();
                l.ends_with("STARTTLS") || l == "STLS"
            })
    })
}

#[test]
fn without_tls_only_what_is_safe_in_the_clear() {
    let setup = setup("e2e-plain");
    let server = start(&setup, &[]);
    for listener in ["imap", "smtp", "pop3"] {
        // SCRAM works in the clear (the password never crosses), without STARTTLS.
        let (status, json, stderr) = login(
            &setup,
            &server,
            listener,
            "SCRAM-SHA-256",
            Cred::Password,
            &["--no-tls"],
        );
        assert_eq!(status, 0, "{listener}: {json:#}\n{stderr}");
        assert!(!upgraded(&json), "{listener} upgraded: {json:#}");
        assert_eq!(json["channel_binding"], serde_json::Value::Null);
        // A wrong password is refused in the clear too.
        let (status, _, _) = login(
            &setup,
            &server,
            listener,
            "SCRAM-SHA-1",
            Cred::WrongPassword,
            &["--no-tls"],
        );
        assert_eq!(status, 1, "{listener}");
    }
    drop(server);

    // With --allow-plaintext the server offers PLAIN before TLS; the client still sends a
    // password in the clear only to loopback, which this is.
    let server = start(&setup, &["--allow-plaintext"]);
    for listener in ["imap", "smtp", "pop3"] {
        let (status, json, stderr) = login(
            &setup,
            &server,
            listener,
            "PLAIN",
            Cred::Password,
            &["--no-tls"],
        );
        assert_eq!(status, 0, "{listener}: {json:#}\n{stderr}");
        assert!(!upgraded(&json), "{listener} upgraded: {json:#}");
    }
}
