//! `sasl serve` against independent clients: GNU SASL's `gsasl --imap/--smtp` (every
//! mechanism it has, with and without channel binding, over STARTTLS; EXTERNAL with
//! a client certificate) and `curl` (IMAP, SMTP and POP3 with PLAIN, over STARTTLS
//! and implicit TLS). A missing peer prints SKIPPED and passes, unless `SASL_REQUIRE_PEERS=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::Server;
use sasl_test::peers::{self, PeerExit};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn run(command: &mut Command) -> PeerExit {
    peers::run_to_exit(command, Duration::from_secs(30)).expect("run the peer")
}

fn gsasl() -> Option<PathBuf> {
    peers::require_gsasl()
        .expect("gsasl is required (SASL_REQUIRE_PEERS)")
        .map(|_| peers::gsasl_program())
}

fn curl() -> Option<PathBuf> {
    peers::require_curl().expect("curl is required (SASL_REQUIRE_PEERS)")
}

fn server() -> Server {
    Server::start(&[
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
        "--account",
        "alice:pencil",
        "--failure-delay",
        "0",
    ])
}

/// `gsasl --imap|--smtp localhost PORT --starttls`.
fn gsasl_login(
    gsasl: &Path,
    server: &Server,
    protocol: &str,
    listener: &str,
    mechanism: &str,
    password: &str,
    extra: &[&str],
) -> PeerExit {
    let port = server.addr(listener).port().to_string();
    let mut command = Command::new(gsasl);
    command
        .arg(format!("--{protocol}"))
        .args(["localhost", &port])
        .args(["--x509-ca-file", server.cert().to_str().unwrap()])
        .args(["-m", mechanism])
        .args(extra);
    command.arg("--starttls");
    if !mechanism.ends_with("-PLUS") {
        // gsasl 2.2 fails a bare SCRAM over TLS locally unless told not to bind.
        command.arg("--no-cb");
    }
    if mechanism != "EXTERNAL" {
        command.args(["-a", "alice", "-p", password]);
    }
    run(&mut command)
}

#[test]
fn gsasl_logs_in_with_every_mechanism() {
    let Some(gsasl) = gsasl() else { return };
    let server = server();
    // gsasl speaks STARTTLS only (it has no implicit-TLS option); curl covers
    // the implicit-TLS listeners below.
    for (protocol, listener) in [("imap", "imap"), ("smtp", "smtp")] {
        for mechanism in [
            "PLAIN",
            "LOGIN",
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-256-PLUS",
        ] {
            let exit = gsasl_login(
                &gsasl,
                &server,
                protocol,
                listener,
                mechanism,
                "pencil",
                &[],
            );
            assert!(
                exit.success(),
                "gsasl --{protocol} ({listener}) {mechanism}: {exit:?}\n{}",
                server.log()
            );
        }
        let exit = gsasl_login(
            &gsasl,
            &server,
            protocol,
            listener,
            "SCRAM-SHA-256",
            "wrong",
            &[],
        );
        assert!(!exit.success(), "a wrong password must fail: {exit:?}");
    }
    let log = server.wait_for_log("SCRAM-SHA-256-PLUS");
    assert!(log.contains("channel binding tls-exporter"), "{log}");
}

/// A self-signed client certificate and key (PEM files in `dir`), and its SPKI
/// fingerprint.
fn client_certificate(dir: &Path) -> (PathBuf, PathBuf, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "alice-laptop");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key).unwrap();
    let fingerprint = sasl_external::CertificateIdentity::from_der(cert.der())
        .unwrap()
        .fingerprint();
    let cert_path = dir.join("client.pem");
    let key_path = dir.join("client.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path, fingerprint)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sasl-serve-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn gsasl_external_with_a_client_certificate() {
    let Some(gsasl) = gsasl() else { return };
    let dir = temp_dir("external");
    let (cert, key, fingerprint) = client_certificate(&dir);
    let config = dir.join("server.toml");
    std::fs::write(
        &config,
        format!("[[account]]\nname = \"carol\"\ncertificates = [\"{fingerprint}\"]\n"),
    )
    .unwrap();
    let server = Server::start(&[
        "--imap",
        "127.0.0.1:0",
        "--imaps",
        "127.0.0.1:0",
        "--smtp",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
        "--failure-delay",
        "0",
    ]);
    let tls_files = [
        "--x509-cert-file",
        cert.to_str().unwrap(),
        "--x509-key-file",
        key.to_str().unwrap(),
    ];
    for (protocol, listener) in [("imap", "imap"), ("smtp", "smtp")] {
        let exit = gsasl_login(
            &gsasl, &server, protocol, listener, "EXTERNAL", "", &tls_files,
        );
        assert!(
            exit.success(),
            "gsasl --{protocol} ({listener}) EXTERNAL: {exit:?}\n{}",
            server.log()
        );
    }
    let log = server.wait_for_log("identity=\"carol\"");
    assert!(
        log.contains("mechanism=\"EXTERNAL\" outcome=success identity=\"carol\""),
        "{log}"
    );
    // Without the certificate EXTERNAL is not offered, so gsasl cannot log in.
    let exit = gsasl_login(&gsasl, &server, "imap", "imap", "EXTERNAL", "", &[]);
    assert!(!exit.success(), "{exit:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn curl_plain_over_imap_smtp_and_pop3() {
    let Some(curl) = curl() else { return };
    let server = server();
    let cert = server.cert().to_str().unwrap().to_owned();
    let dir = temp_dir("curl");
    let mail = dir.join("mail.txt");
    std::fs::write(&mail, "Subject: test\r\n\r\nhello\r\n").unwrap();
    let base = |password: &str| {
        let mut command = Command::new(&curl);
        command
            .args(["--silent", "--show-error", "--max-time", "20", "--ssl-reqd"])
            .args(["--cacert", &cert])
            .args(["--user", &format!("alice:{password}")])
            .args(["--login-options", "AUTH=PLAIN"]);
        command
    };
    let imap = format!("imap://localhost:{}/", server.addr("imap").port());
    let imaps = format!("imaps://localhost:{}/INBOX", server.addr("imaps").port());
    let pop3 = format!("pop3://localhost:{}/", server.addr("pop3").port());
    let smtp = format!("smtp://localhost:{}/", server.addr("smtp").port());
    let smtps = format!("smtps://localhost:{}/", server.addr("submissions").port());
    for url in [&imap, &imaps, &pop3] {
        let exit = run(base("pencil").arg(url));
        assert!(exit.success(), "curl {url}: {exit:?}\n{}", server.log());
    }
    for url in [&smtp, &smtps] {
        let exit = run(base("pencil")
            .args([
                "--mail-from",
                "alice@example.org",
                "--mail-rcpt",
                "bob@example.org",
            ])
            .arg("--upload-file")
            .arg(&mail)
            .arg(url));
        assert!(exit.success(), "curl {url}: {exit:?}\n{}", server.log());
    }
    // A wrong password: curl reports the refusal (67: login denied).
    let exit = run(base("wrong").arg(&imap));
    assert!(!exit.success(), "{exit:?}");
    let exit = run(base("wrong").arg(&pop3));
    assert!(!exit.success(), "{exit:?}");
    let _ = std::fs::remove_dir_all(dir);
}
