//! `sasl hash` and `sasl verify`, run as the binary: round trips of every variant and
//! format, refusals, the RFC 5802 / RFC 7677 vectors, and a cross-check of the keys
//! against Python's hashlib.
// Test helpers outside #[test] functions may panic: clippy.toml only exempts the
// test functions themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sasl(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sasl"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The binary may exit before it reads stdin (a refused argument): ignore EPIPE.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("the binary ends")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn hash(args: &[&str], password: &str) -> String {
    let mut all = vec!["hash"];
    all.extend_from_slice(args);
    let out = sasl(&all, password);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        password.trim_end().is_empty() || !text.contains(password.trim_end()),
        "{text}"
    );
    text.trim().to_owned()
}

const MECHS: [&str; 3] = ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"];
const FORMATS: [&str; 3] = ["rfc5803", "dovecot", "postgres"];

#[test]
fn every_variant_and_format_round_trips() {
    for mech in MECHS {
        for format in FORMATS {
            if format == "postgres" && mech != "SCRAM-SHA-256" {
                continue;
            }
            let stored = hash(
                &["--mech", mech, "--format", format, "--iterations", "4096"],
                "pencil\n",
            );
            match format {
                "dovecot" => assert!(stored.starts_with(&format!("{{{mech}}}4096,")), "{stored}"),
                _ => assert!(stored.starts_with(&format!("{mech}$4096:")), "{stored}"),
            }
            let ok = sasl(&["verify", &stored], "pencil\n");
            assert_eq!(ok.status.code(), Some(0), "{stored}: {}", stderr(&ok));
            assert!(stdout(&ok).contains("password matches"));
            let wrong = sasl(&["verify", &stored], "pencil2\n");
            assert_eq!(wrong.status.code(), Some(1), "{stored}");
            assert!(stderr(&wrong).contains("does not match"));
        }
    }
}

#[test]
fn postgres_is_sha256_only() {
    for mech in ["SCRAM-SHA-1", "SCRAM-SHA-512"] {
        let out = sasl(&["hash", "--mech", mech, "--format", "postgres"], "pencil");
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("PostgreSQL stores only SCRAM-SHA-256"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn rfc_vectors() {
    // RFC 5802 §5 (SHA-1) and RFC 7677 §3 (SHA-256): user "user", password "pencil".
    assert_eq!(
        hash(
            &[
                "--mech",
                "SCRAM-SHA-1",
                "--salt-base64",
                "QSXCR+Q6sek8bf92",
                "--iterations",
                "4096"
            ],
            "pencil"
        ),
        "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE="
    );
    let salt = [
        "--salt-base64",
        "W22ZaJ0SNY7soEsUEjb6gQ==",
        "--iterations",
        "4096",
    ];
    let mut args = vec!["--mech", "SCRAM-SHA-256", "--format", "postgres"];
    args.extend_from_slice(&salt);
    assert_eq!(
        hash(&args, "pencil\n"),
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
    );
    let mut args = vec!["--format", "dovecot"];
    args.extend_from_slice(&salt);
    assert_eq!(
        hash(&args, "pencil"),
        "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
    );
}

#[test]
fn garbage_and_bad_arguments_are_errors() {
    for stored in [
        "garbage",
        "SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB",
        "{SCRAM-SHA-256}0,c2FsdA==,x,y",
        "SCRAM-SHA-256$4096:c2FsdA==",
    ] {
        let out = sasl(&["verify", stored], "pencil");
        assert_eq!(out.status.code(), Some(2), "{stored}");
        assert!(
            stderr(&out).contains("cannot read the stored credential"),
            "{}",
            stderr(&out)
        );
    }
    let out = sasl(&["hash", "--iterations", "0"], "pencil");
    assert_eq!(out.status.code(), Some(2));
    let out = sasl(&["hash", "--salt-base64", "not base64!"], "pencil");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--salt-base64"));
    let out = sasl(&["hash"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("empty password"));
}

#[test]
fn few_iterations_warn_but_work() {
    let out = sasl(&["hash", "--iterations", "1"], "pencil");
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("below 4096"), "{}", stderr(&out));
    let stored = stdout(&out);
    assert!(stored.starts_with("SCRAM-SHA-256$1:"), "{stored}");
    assert_eq!(
        sasl(&["verify", stored.trim()], "pencil").status.code(),
        Some(0)
    );
}

#[test]
fn files_for_password_and_stored_string() {
    let dir = std::env::temp_dir().join(format!("sasl-tool-hash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pw = dir.join("pw.txt");
    std::fs::write(&pw, "s3cret with spaces\r\n").expect("write");
    let pw_arg = pw.to_str().expect("utf-8 path");
    let stored = hash(&["--format", "dovecot", "--password-file", pw_arg], "");
    let file = dir.join("stored.txt");
    std::fs::write(&file, format!("{stored}\n")).expect("write");
    let file_arg = file.to_str().expect("utf-8 path");
    let ok = sasl(
        &["verify", "--stored-file", file_arg],
        "s3cret with spaces\n",
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let ok = sasl(
        &[
            "verify",
            "--stored-file",
            file_arg,
            "--password-file",
            pw_arg,
        ],
        "",
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    // Only one newline is stripped: a second one is part of the password.
    let no = sasl(&["verify", &stored], "s3cret with spaces\n\n");
    assert_eq!(no.status.code(), Some(1));
    let missing = sasl(
        &["verify", &stored, "--password-file", "/nonexistent/pw"],
        "",
    );
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

/// The StoredKey and ServerKey recomputed with Python's hashlib and hmac for a random
/// password and salt (skipped when python3 is missing).
#[test]
fn keys_match_python_hashlib() {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("python3 not found: cross-check skipped");
        return;
    }
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&()*+-./:;<>?@[]^_{|}~";
    for (mech, name) in [
        ("SCRAM-SHA-1", "sha1"),
        ("SCRAM-SHA-256", "sha256"),
        ("SCRAM-SHA-512", "sha512"),
    ] {
        let password: String = (0..20)
            .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
            .collect();
        let salt: Vec<u8> = (0..16).map(|_| next() as u8).collect();
        let salt_b64 = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(&salt)
        };
        let iterations = 1000 + next() % 4000;
        let stored = hash(
            &[
                "--mech",
                mech,
                "--salt-base64",
                &salt_b64,
                "--iterations",
                &iterations.to_string(),
            ],
            &password,
        );
        let script = format!(
            "import base64,hashlib,hmac,sys\n\
             pw=sys.stdin.read().encode()\n\
             salt=base64.b64decode('{salt_b64}')\n\
             sp=hashlib.pbkdf2_hmac('{name}',pw,salt,{iterations})\n\
             ck=hmac.new(sp,b'Client Key','{name}').digest()\n\
             sk=hmac.new(sp,b'Server Key','{name}').digest()\n\
             st=hashlib.new('{name}',ck).digest()\n\
             print('{mech}$%d:%s$%s:%s' % ({iterations}, base64.b64encode(salt).decode(), base64.b64encode(st).decode(), base64.b64encode(sk).decode()))\n"
        );
        let mut child = Command::new("python3")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(password.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("python3 ends");
        assert!(out.status.success());
        assert_eq!(
            stored,
            String::from_utf8_lossy(&out.stdout).trim(),
            "{mech}"
        );
    }
}
