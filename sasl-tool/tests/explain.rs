//! `sasl decode` and `sasl explain`, run as the binary: the RFC example messages,
//! secrets kept out of the output, malformed input named, whole transcripts, and no
//! panic on arbitrary input.
// Test helpers outside #[test] functions may panic: clippy.toml only exempts the
// test functions themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sasl(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sasl"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The binary may exit before reading everything (e.g. too large): ignore EPIPE.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("the binary ends")
}

fn decode(args: &[&str]) -> (i32, String) {
    let mut all = vec!["decode"];
    all.extend_from_slice(args);
    let out = sasl(&all, b"");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

#[test]
fn rfc5802_exchange() {
    let msgs = [
        b64(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"),
        b64(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
        b64(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
        b64(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
    ];
    let mut args = vec!["--mech", "SCRAM-SHA-1"];
    args.extend(msgs.iter().map(String::as_str));
    let (code, out) = decode(&args);
    assert_eq!(code, 0, "{out}");
    for expected in [
        "SCRAM client-first message",
        "n: the client does not support channel binding",
        "user (n=):",
        "client nonce (r=): fyko+d2lbbFgONRv9qkxdawL (24 characters)",
        "SCRAM server-first message",
        "server's 3rfcNHYJY1ZVvWVs7j",
        "salt (s=):",
        "12 bytes",
        "iterations (i=): 4096",
        "SCRAM client-final message",
        "GS2 header \"n,,\" + 0 bytes of channel-binding data",
        "c= repeats the client-first's GS2 header",
        "the nonce repeats the server-first's",
        "client proof (p=):",
        "20 bytes (SHA-1 size)",
        "server signature (v=): 20 bytes",
    ] {
        assert!(out.contains(expected), "{expected:?} missing in\n{out}");
    }
    assert!(!out.contains("problem:"), "{out}");
}

#[test]
fn rfc7677_messages_one_by_one() {
    let (code, out) = decode(&[&format!(
        "+ {}",
        b64(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    )]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("server") && out.contains("SCRAM (guessed)"),
        "{out}"
    );
    assert!(
        out.contains("salt (s=):") && out.contains("16 bytes"),
        "{out}"
    );
    let (code, out) = decode(&[
        "--mech",
        "SCRAM-SHA-256",
        &b64(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("32 bytes (SHA-256 size)"), "{out}");
    // A SHA-1-sized proof under SCRAM-SHA-256 is wrong.
    let (code, out) = decode(&[
        "--mech",
        "SCRAM-SHA-256",
        &b64(b"c=biws,r=abc,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("20 bytes, but SCRAM-SHA-256 needs 32"),
        "{out}"
    );
    // Channel binding and an authzid in the GS2 header.
    let (code, out) = decode(&[&format!(
        "C: A1 AUTHENTICATE SCRAM-SHA-256-PLUS {}",
        b64(b"p=tls-exporter,a=admin,n=user,r=abcdefgh")
    )]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("p=tls-exporter: the client binds"), "{out}");
    assert!(
        out.contains("authzid (a=):") && out.contains("admin"),
        "{out}"
    );
    let (code, out) = decode(&[&b64(b"e=invalid-proof")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("wrong password"), "{out}");
}

#[test]
fn rfc7628_oauthbearer() {
    let line = "t1 AUTHENTICATE OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
    let (code, out) = decode(&[line]);
    assert_eq!(code, 0, "{out}");
    for expected in [
        "OAUTHBEARER client message",
        "user@example.com",
        "host:",
        "server.example.com",
        "port:",
        "143",
        "<token redacted, 42 characters>",
    ] {
        assert!(out.contains(expected), "{expected:?} missing in\n{out}");
    }
    assert!(!out.contains("vF9dft4q"), "the token leaked:\n{out}");
    let (code, out) = decode(&[
        "+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("invalid_token") && out.contains("example_scope"),
        "{out}"
    );
    assert!(
        out.contains("https://example.com/.well-known/openid-configuration"),
        "{out}"
    );
    // RFC 7628's SMTP example has a GS2 header that RFC 5801 does not allow.
    let (code, out) = decode(&[
        "AUTH",
        "OAUTHBEARER",
        "bix1c2VyPXNvbWV1c2VyQGV4YW1wbGUuY29tLAFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhSaGRtbHpkR0V1WTI5dENnPT0BAQ==",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("GS2 header"), "{out}");
}

#[test]
fn xoauth2_and_jwt() {
    let (code, out) = decode(&[
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("XOAUTH2 (guessed)") && out.contains("someuser@example.com"),
        "{out}"
    );
    assert!(!out.contains("ya29"), "{out}");
    let b64url = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!(
        "{}.{}.{}",
        b64url(r#"{"alg":"RS256","kid":"k1"}"#),
        b64url(r#"{"iss":"https://issuer.example","sub":"alice","exp":1767225600}"#),
        b64url("SIGNATURE-BYTES-SECRET")
    );
    let msg = format!("user=alice\x01auth=Bearer {jwt}\x01\x01");
    let (code, out) = decode(&["--mech", "XOAUTH2", &b64(msg.as_bytes())]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("RS256") && out.contains("https://issuer.example"),
        "{out}"
    );
    assert!(out.contains("2026-01-01 00:00:00 UTC"), "{out}");
    assert!(!out.contains(&b64url("SIGNATURE-BYTES-SECRET")), "{out}");
    let (code, out) = decode(&[
        "--mech",
        "XOAUTH2",
        "--from",
        "server",
        "eyJzdGF0dXMiOiI0MDAifQ==",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("status:") && out.contains("400"), "{out}");
}

#[test]
fn plain_password_is_masked() {
    let (code, out) = decode(&[
        "A1",
        "AUTHENTICATE",
        "PLAIN",
        "AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("tim") && out.contains("********"), "{out}");
    assert!(
        !out.contains("tanstaaf") && !out.contains("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
        "{out}"
    );
    let (code, out) = decode(&["--json", "AUTH", "PLAIN", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("tanstaaf"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json[0]["mechanism"], "PLAIN");
    assert_eq!(json[0]["from"], "client");
    // One NUL only: contents are not shown at all.
    let (code, out) = decode(&["--mech", "PLAIN", &b64(b"tim\0hunter2")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("1 NUL separators") && !out.contains("hunter2"),
        "{out}"
    );
}

#[test]
fn other_mechanisms() {
    let (code, out) = decode(&["334 VXNlciBOYW1lAA=="]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("LOGIN prompt for the user name"), "{out}");
    let (code, out) = decode(&[
        "--mech",
        "LOGIN",
        "--from",
        "client",
        "dGFuc3RhYWZ0YW5zdGFhZg==",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("tanstaaf"), "{out}");
    let (code, out) = decode(&["a1 AUTHENTICATE EXTERNAL ="]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("act as the identity of the TLS client certificate"),
        "{out}"
    );
    let (code, out) = decode(&["--mech", "EXTERNAL", &b64(b"fred@example.com")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("fred@example.com"), "{out}");
    let (code, out) = decode(&["23 AUTHENTICATE PASSKEY eW91QGV4YW1wbGUuY29tCg=="]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("you@example.com") && out.contains("control characters"),
        "{out}"
    );
    let options = br#"{"challenge":"3q2-796tvu_erb7v3q2-796tvu_erb7v3q2-796tvu8","timeout":60000,"rpId":"example.com","allowCredentials":[],"userVerification":"required"}"#;
    let (code, out) = decode(&[&format!("+ {}", b64(options))]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASSKEY (guessed)") && out.contains("example.com"),
        "{out}"
    );
    assert!(
        out.contains("60000 ms") && out.contains("required"),
        "{out}"
    );
    let (code, out) = decode(&[
        "--mech",
        "PASSKEY",
        &b64(b"e=other-error,m=Your account is locked"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Your account is locked"), "{out}");
}

#[test]
fn malformed_input_is_named() {
    let (code, out) = decode(&["+ AAA!"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("'!' is not a base64 character"), "{out}");
    let (code, out) = decode(&["YQ"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not a multiple of 4"), "{out}");
    let (code, out) = decode(&[
        "--mech",
        "SCRAM-SHA-1",
        &b64(b"s=QSXCR+Q6sek8bf92,r=abc,i=4096"),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not a SCRAM message") || out.contains("out of order"),
        "{out}"
    );
    let (code, out) = decode(&[
        "--mech",
        "SCRAM-SHA-1",
        &b64(b"r=abc,i=4096,s=QSXCR+Q6sek8bf92"),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("attributes out of order: expected r=, s=, i= first, got r=, i=, s="),
        "{out}"
    );
    let (code, out) = decode(&["--mech", "SCRAM-SHA-1", &b64(b"r=abc,s=QSXCR+Q6sek8bf92")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing i= (the iteration count)"), "{out}");
    let (code, out) = decode(&[
        "--mech",
        "SCRAM-SHA-1",
        &b64(b"r=abc,s=QSXCR+Q6sek8bf92,i=04096"),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("without leading zeros"), "{out}");
    let (code, out) = decode(&["--mech", "SCRAM-SHA-256", &b64(b"n=user,r=abc")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has no GS2 header"), "{out}");
    let (code, out) = decode(&["--mech", "SCRAM-SHA-256", &b64(b"n,,n=us\xffer,r=abc")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not valid UTF-8"), "{out}");
    let (code, out) = decode(&["--mech", "SCRAM-SHA-256", &b64(b"x,,n=user,r=abc")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("GS2 header"), "{out}");
    let (code, out) = decode(&["--mech", "OAUTHBEARER", &b64(b"n,,\x01host=x\x01")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("missing auth=") || out.contains("0x01 0x01"),
        "{out}"
    );
    let (code, out) = decode(&["hello there friend"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not a SASL line"), "{out}");
}

const TRANSCRIPT: &str = "\
S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256 AUTH=PLAIN] ready
C: a1 AUTHENTICATE SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
S: + cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=
C: Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==
S: + dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
C:
S: a1 OK [CAPABILITY IMAP4rev1] done
C: a2 AUTHENTICATE PLAIN
S: +
C: AHRpbQB0YW5zdGFhZnRhbnN0YWFm
S: a2 NO [AUTHENTICATIONFAILED] Invalid credentials
220 smtp.example.org ESMTP
EHLO client
250-smtp.example.org
250 AUTH PLAIN LOGIN
AUTH LOGIN
334 VXNlcm5hbWU6
dGlt
334 UGFzc3dvcmQ6
dGFuc3RhYWZ0YW5zdGFhZg==
535 5.7.8 Authentication credentials invalid
> AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
< 235 2.7.0 Authentication successful
";

#[test]
fn whole_transcript() {
    let out = sasl(&["explain"], TRANSCRIPT.as_bytes());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for expected in [
        "line 1 · server · capabilities",
        "SCRAM-SHA-256 PLAIN",
        "line 2 · client · SCRAM-SHA-256 · IMAP AUTHENTICATE, initial response",
        "SCRAM server-first message",
        "SCRAM client-final message",
        "SCRAM server-final message: success",
        "empty response: the client's answer to the server-final message",
        "line 7 · server · SCRAM-SHA-256 · IMAP tagged reply",
        "authentication succeeded",
        "starts a PLAIN exchange without an initial response",
        "empty challenge: the client sends its PLAIN message now",
        "AUTHENTICATIONFAILED",
        "wrong credentials, or unknown user (RFC 5530)",
        "LOGIN prompt for the user name",
        "LOGIN response: the password",
        "5.7.8",
        "the credentials are invalid (RFC 4954)",
        "2.7.0",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    assert!(!text.contains("tanstaaf"), "a password leaked:\n{text}");
    assert!(!text.contains("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), "{text}");

    let out = sasl(&["explain", "--json"], TRANSCRIPT.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let messages = json.as_array().expect("an array");
    assert!(messages.len() >= 18, "{json}");
    assert_eq!(messages[1]["mechanism"], "SCRAM-SHA-256");
    assert_eq!(messages[1]["line"], 2);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("tanstaaf"));
}

#[test]
fn transcript_from_a_file_and_problems() {
    let dir = std::env::temp_dir().join(format!("sasl-tool-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("t.txt");
    std::fs::write(
        &file,
        "C: a1 AUTHENTICATE PLAIN !!!\nS: a1 BAD invalid base64\n",
    )
    .expect("write");
    let out = sasl(&["explain", file.to_str().expect("path")], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("not valid base64"), "{text}");
    let out = sasl(&["explain", "/nonexistent/transcript"], b"");
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
    // An exchange without a final reply is noted.
    let out = sasl(&["explain"], b"A1 AUTHENTICATE PLAIN\n+ \n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no final reply"), "{text}");
    let out = sasl(&["explain"], b"nothing to see here\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no SASL exchange"));
}

#[test]
fn oversized_transcript_is_refused() {
    let big = vec![b'A'; 1024 * 1024 + 10];
    let out = sasl(&["explain"], &big);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("larger than"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Arbitrary bytes, base64-encoded after every prefix and mechanism, never crash it.
#[test]
fn no_panic_on_arbitrary_input() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces: [&[u8]; 12] = [
        b"n,,",
        b"p=tls-exporter,",
        b"r=",
        b",s=",
        b",i=",
        b"c=",
        b"\x01",
        b"\0",
        b"{\"status\":",
        b"=",
        b"\xff",
        b"e=",
    ];
    let mechs = [
        "SCRAM-SHA-256",
        "PLAIN",
        "LOGIN",
        "OAUTHBEARER",
        "XOAUTH2",
        "EXTERNAL",
        "PASSKEY",
        "CRAM-MD5",
    ];
    let mut transcript = String::new();
    for round in 0..48 {
        let mut data = Vec::new();
        for _ in 0..(next() % 8) {
            if next() % 2 == 0 {
                data.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            } else {
                data.extend((0..next() % 6).map(|_| next() as u8));
            }
        }
        let mech = mechs[round % mechs.len()];
        let line = b64(&data);
        let out = sasl(&["decode", "--mech", mech, &line], b"");
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{mech} {line}: {out:?}"
        );
        transcript.push_str(&format!(
            "A{round} AUTHENTICATE {mech} {line}\n+ {line}\n{line}\n*\nA{round} NO x\n"
        ));
        transcript.push_str(&format!(
            "AUTH {mech}\n334 {line}\n{line}\n535-5.7.8 a\n535 x\n"
        ));
    }
    let out = sasl(&["explain"], transcript.as_bytes());
    assert!(matches!(out.status.code(), Some(0..=2)), "{out:?}");
    let out = sasl(&["explain", "--json"], transcript.as_bytes());
    assert!(matches!(out.status.code(), Some(0..=2)));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON");
}
