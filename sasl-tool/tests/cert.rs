//! `sasl cert` run as a program: both key types, self-signed and CA-signed, refusal to
//! overwrite, file modes, and the PKCS#12 file read back by an independent implementation
//! (the `openssl` command: certificate and key equal to PREFIX.pem/PREFIX.key, the modern
//! encryption, the printed SPKI fingerprint recomputed from `openssl x509 -pubkey`).
//!
//! Without `openssl` the cross-checks print SKIPPED, unless `SASL_REQUIRE_PEERS=1`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "corr3ct horse: battery \"staple\"";

/// A fresh directory for one test.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cert-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `sasl` with stdin from /dev/null (no terminal).
fn sasl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sasl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `sasl cert` and returns its stdout; it must succeed.
fn make_cert(dir: &Path, prefix: &str, extra: &[&str]) -> (PathBuf, String, String) {
    let out = dir.join(prefix);
    let mut args = vec!["cert", "--name", prefix, "--out", path_str(&out)];
    args.extend_from_slice(extra);
    let output = sasl(&args);
    assert!(
        output.status.success(),
        "sasl cert failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    (out, text(&output.stdout), text(&output.stderr))
}

fn with(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The SPKI fingerprint the command printed.
fn printed_spki(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("SPKI SHA-256"))
        .unwrap_or_else(|| panic!("no SPKI line in {stdout}"));
    let fingerprint = line.split_whitespace().last().unwrap().to_owned();
    assert!(
        stdout.contains(&format!("certificates = [\"{fingerprint}\"]")),
        "the config snippet carries the fingerprint: {stdout}"
    );
    fingerprint
}

/// The fingerprint computed in-process from PREFIX.pem (rustls' PEM reader and
/// sasl-external, what `sasl serve` matches).
fn spki_of_pem(pem: &Path) -> String {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_file(pem).unwrap();
    sasl_external::CertificateIdentity::from_der(&der)
        .unwrap()
        .fingerprint()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn check_files(prefix: &Path) {
    for suffix in [".pem", ".key", ".p12"] {
        assert!(with(prefix, suffix).is_file(), "{suffix} written");
    }
    let pem = std::fs::read_to_string(with(prefix, ".pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let key = std::fs::read_to_string(with(prefix, ".key")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        assert_eq!(mode(&with(prefix, ".key")), 0o600);
        assert_eq!(mode(&with(prefix, ".p12")), 0o600);
    }
}

// ---- openssl, the independent implementation ----

/// Whether `openssl` runs; else prints SKIPPED (or fails under SASL_REQUIRE_PEERS=1).
fn have_openssl(test: &str) -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("SASL_REQUIRE_PEERS").as_deref() != Ok("1"),
            "openssl is required (SASL_REQUIRE_PEERS=1) but does not run"
        );
        println!("SKIPPED {test}: openssl not found");
    }
    ok
}

/// Runs `openssl ARGS` with `stdin`; returns (success, stdout, stderr).
fn openssl_raw(args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>, String) {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    (output.status.success(), output.stdout, text(&output.stderr))
}

/// Runs `openssl ARGS`, which must succeed; returns stdout.
fn openssl(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let (ok, stdout, stderr) = openssl_raw(args, stdin);
    assert!(ok, "openssl {args:?} failed: {stderr}");
    stdout
}

/// The PKCS#12 file read by openssl: certificate and key are PREFIX.pem/PREFIX.key,
/// the encryption is the modern one, a wrong password fails the MAC, and the SPKI
/// fingerprint from `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256`
/// is the printed one. With `ca`, the CA certificate is in the file too and verifies
/// PREFIX.pem.
fn openssl_cross_check(prefix: &Path, password: &str, printed: &str, ca: Option<&Path>) {
    let p12 = with(prefix, ".p12");
    let pem = with(prefix, ".pem");
    let key = with(prefix, ".key");
    let pass = format!("pass:{password}");
    let p12s = path_str(&p12);

    // The brief's command as is: a certificate and an unencrypted key come out.
    let all = text(&openssl(
        &["pkcs12", "-in", p12s, "-passin", &pass, "-nodes"],
        b"",
    ));
    assert!(all.contains("-----BEGIN CERTIFICATE-----"), "{all}");
    assert!(all.contains("-----BEGIN PRIVATE KEY-----"), "{all}");

    // The certificate: the client one, byte for byte PREFIX.pem.
    let leaf = openssl(
        &[
            "pkcs12", "-in", p12s, "-passin", &pass, "-nodes", "-nokeys", "-clcerts",
        ],
        b"",
    );
    let leaf_der = openssl(&["x509", "-outform", "DER"], &leaf);
    let pem_der = openssl(&["x509", "-in", path_str(&pem), "-outform", "DER"], b"");
    assert_eq!(leaf_der, pem_der, "the PKCS#12 certificate is PREFIX.pem");

    // The key: the same key pair as PREFIX.key and the certificate's public key.
    let p12_key = openssl(
        &[
            "pkcs12", "-in", p12s, "-passin", &pass, "-nodes", "-nocerts",
        ],
        b"",
    );
    let p12_pub = openssl(&["pkey", "-pubout"], &p12_key);
    let key_pub = openssl(&["pkey", "-in", path_str(&key), "-pubout"], b"");
    let cert_pub = openssl(&["x509", "-in", path_str(&pem), "-noout", "-pubkey"], b"");
    assert_eq!(p12_pub, key_pub, "the PKCS#12 key is PREFIX.key");
    assert_eq!(key_pub, cert_pub, "PREFIX.key belongs to PREFIX.pem");
    let p12_priv = openssl(&["pkey", "-outform", "DER"], &p12_key);
    let key_priv = openssl(&["pkey", "-in", path_str(&key), "-outform", "DER"], b"");
    assert_eq!(p12_priv, key_priv, "the same private key");

    // Modern protection, as OpenSSL 3 writes by default.
    let (ok, _, info) = openssl_raw(
        &["pkcs12", "-in", p12s, "-passin", &pass, "-info", "-noout"],
        b"",
    );
    assert!(ok, "{info}");
    assert!(info.contains("MAC: sha256"), "HMAC-SHA256 MAC: {info}");
    assert!(
        info.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"),
        "key encrypted with AES-256-CBC: {info}"
    );
    assert!(info.contains("PRF hmacWithSHA256"), "PBKDF2-SHA256: {info}");
    assert!(!info.contains("RC2") && !info.contains("3DES"), "{info}");

    // A wrong password: the MAC does not verify.
    let (ok, _, _) = openssl_raw(
        &["pkcs12", "-in", p12s, "-passin", "pass:wrong", "-nodes"],
        b"",
    );
    assert!(!ok, "a wrong password is refused");

    // The SPKI fingerprint, recomputed: SHA-256 of the DER SubjectPublicKeyInfo, in
    // sasl-external's format (unpadded base64url).
    let spki_der = openssl(&["pkey", "-pubin", "-outform", "DER"], &cert_pub);
    let digest = openssl(&["dgst", "-sha256", "-binary"], &spki_der);
    assert_eq!(digest.len(), 32);
    assert_eq!(
        URL_SAFE_NO_PAD.encode(&digest),
        printed,
        "the printed SPKI fingerprint"
    );

    if let Some(ca) = ca {
        let cas = openssl(
            &[
                "pkcs12", "-in", p12s, "-passin", &pass, "-nodes", "-nokeys", "-cacerts",
            ],
            b"",
        );
        let ca_der = openssl(&["x509", "-outform", "DER"], &cas);
        let ca_file_der = openssl(&["x509", "-in", path_str(ca), "-outform", "DER"], b"");
        assert_eq!(
            ca_der, ca_file_der,
            "the CA certificate is in the PKCS#12 file"
        );
        let verified = text(&openssl(
            &[
                "verify",
                "-CAfile",
                path_str(ca),
                "-purpose",
                "sslclient",
                path_str(&pem),
            ],
            b"",
        ));
        assert!(verified.contains(": OK"), "{verified}");
    }
}

// ---- the tests ----

#[test]
fn self_signed_both_key_types() {
    let dir = workdir("self-signed");
    let password_file = dir.join("pw.txt");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    for key_type in ["p256", "ed25519"] {
        let prefix = format!("device-{key_type}");
        let (out, stdout, stderr) = make_cert(
            &dir,
            &prefix,
            &[
                "--key-type",
                key_type,
                "--email",
                "alice@example.com",
                "--p12-password-file",
                path_str(&password_file),
            ],
        );
        check_files(&out);
        assert!(stdout.contains("self-signed"), "{stdout}");
        assert!(stderr.contains("PKCS#12 password: from"), "{stderr}");
        let printed = printed_spki(&stdout);
        assert_eq!(printed.len(), 43);
        assert_eq!(printed, spki_of_pem(&with(&out, ".pem")));
        assert_eq!(
            stdout.contains("Ed25519 is in the PKCS#12 file"),
            key_type == "ed25519"
        );
        // The secrets are not printed.
        let key = std::fs::read_to_string(with(&out, ".key")).unwrap();
        let key_body = key.lines().nth(1).unwrap();
        assert!(!stdout.contains(key_body) && !stderr.contains(key_body));
        assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
        if have_openssl("self_signed_both_key_types") {
            openssl_cross_check(&out, PASSWORD, &printed, None);
            let subject = text(&openssl(
                &[
                    "x509",
                    "-in",
                    path_str(&with(&out, ".pem")),
                    "-noout",
                    "-subject",
                    "-ext",
                    "subjectAltName,extendedKeyUsage",
                ],
                b"",
            ));
            assert!(subject.contains(&prefix), "{subject}");
            assert!(subject.contains("email:alice@example.com"), "{subject}");
            assert!(
                subject.contains("TLS Web Client Authentication"),
                "{subject}"
            );
        }
    }
}

#[test]
fn ca_signed_both_key_types() {
    let dir = workdir("ca-signed");
    // The CA, made with rcgen (not with the tool): an Ed25519 one, to show the CA's key
    // type is independent of the device's.
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Test device CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_cert = params.self_signed(&ca_key).unwrap();
    let ca_pem = dir.join("ca.pem");
    let ca_key_pem = dir.join("ca.key");
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
    std::fs::write(&ca_key_pem, ca_key.serialize_pem()).unwrap();
    let password_file = dir.join("pw.txt");
    std::fs::write(&password_file, PASSWORD).unwrap();

    for key_type in ["p256", "ed25519"] {
        let prefix = format!("signed-{key_type}");
        let (out, stdout, _) = make_cert(
            &dir,
            &prefix,
            &[
                "--key-type",
                key_type,
                "--ca-cert",
                path_str(&ca_pem),
                "--ca-key",
                path_str(&ca_key_pem),
                "--p12-password-file",
                path_str(&password_file),
                "--days",
                "30",
            ],
        );
        check_files(&out);
        assert!(stdout.contains("signed by the CA"), "{stdout}");
        let printed = printed_spki(&stdout);
        assert_eq!(printed, spki_of_pem(&with(&out, ".pem")));
        if have_openssl("ca_signed_both_key_types") {
            openssl_cross_check(&out, PASSWORD, &printed, Some(&ca_pem));
        }
    }
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = workdir("overwrite");
    let (out, _, _) = make_cert(&dir, "phone", &[]);
    let before = std::fs::read(with(&out, ".pem")).unwrap();
    let output = sasl(&["cert", "--name", "phone", "--out", path_str(&out)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read(with(&out, ".pem")).unwrap(),
        before,
        "untouched"
    );

    // One file of the three is enough to refuse, and nothing is written then.
    let lone = dir.join("lone");
    std::fs::write(with(&lone, ".p12"), b"keep me").unwrap();
    let output = sasl(&["cert", "--name", "lone", "--out", path_str(&lone)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!with(&lone, ".pem").exists() && !with(&lone, ".key").exists());
    assert_eq!(std::fs::read(with(&lone, ".p12")).unwrap(), b"keep me");

    // --force replaces all three, the secret ones still 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(with(&out, ".key"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    let (_, _, _) = make_cert(&dir, "phone", &["--force"]);
    assert_ne!(
        std::fs::read(with(&out, ".pem")).unwrap(),
        before,
        "replaced"
    );
    check_files(&out);
}

#[test]
fn empty_password_without_a_terminal() {
    let dir = workdir("empty-password");
    let (out, stdout, stderr) = make_cert(&dir, "laptop", &[]);
    assert!(stderr.contains("PKCS#12 password: empty"), "{stderr}");
    let printed = printed_spki(&stdout);
    if have_openssl("empty_password_without_a_terminal") {
        openssl_cross_check(&out, "", &printed, None);
    }
}

#[test]
fn bad_arguments_exit_2() {
    let dir = workdir("bad-args");
    let out = dir.join("x");
    for args in [
        vec![
            "cert",
            "--name",
            "x",
            "--out",
            path_str(&out),
            "--days",
            "0",
        ],
        vec![
            "cert",
            "--name",
            "x",
            "--out",
            path_str(&out),
            "--days",
            "4000000000",
        ],
        vec!["cert", "--name", "", "--out", path_str(&out)],
        vec![
            "cert",
            "--name",
            "x",
            "--out",
            path_str(&out),
            "--p12-password-file",
            "/nonexistent/pw",
        ],
        vec![
            "cert",
            "--name",
            "x",
            "--out",
            path_str(&out),
            "--ca-cert",
            "/nonexistent/ca.pem",
            "--ca-key",
            "/nonexistent/ca.key",
        ],
        vec![
            "cert",
            "--name",
            "x",
            "--out",
            path_str(&out),
            "--email",
            "alicé@example.com",
        ],
    ] {
        let output = sasl(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(text(&output.stderr).contains("error:"), "{args:?}");
        assert!(!with(&out, ".key").exists(), "{args:?} wrote nothing");
    }
}
