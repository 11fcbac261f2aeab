//! `sasl demo`, the README's main job: every row as expected, every mechanism family
//! present on both protocols, failures refused by the server, exit status 0.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

fn demo(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sasl"))
        .arg("demo")
        .args(args)
        .output()
        .expect("run sasl demo");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_row_as_expected_in_json() {
    let (status, stdout, stderr) = demo(&["--json"]);
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["all_as_expected"], true, "{json:#}");
    let logins = json["logins"].as_array().unwrap();
    for protocol in ["IMAP+STARTTLS", "SMTPS"] {
        let rows: Vec<_> = logins
            .iter()
            .filter(|r| r["protocol"] == protocol)
            .collect();
        for mechanism in [
            "PLAIN",
            "LOGIN",
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "SCRAM-SHA-512",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-512-PLUS",
            "OAUTHBEARER",
            "XOAUTH2",
            "EXTERNAL",
            "PASSKEY",
        ] {
            let row = rows
                .iter()
                .find(|r| r["mechanism"] == mechanism && r["must_succeed"] == true)
                .unwrap_or_else(|| panic!("no {protocol} {mechanism} login: {json:#}"));
            assert_eq!(row["authenticated"], true, "{row:#}");
            assert_eq!(row["server_identity"], "alice", "{row:#}");
        }
        // -PLUS rows name the binding they used.
        for row in rows
            .iter()
            .filter(|r| r["mechanism"].as_str().unwrap().ends_with("-PLUS"))
        {
            assert!(
                row["channel_binding"].as_str().unwrap().starts_with("tls-"),
                "{row:#}"
            );
        }
        // The three logins that must fail did, refused by the server (with its reason).
        for credential in ["wrong password", "forged token", "unknown passkey"] {
            let row = rows.iter().find(|r| r["credential"] == credential).unwrap();
            assert_eq!(row["authenticated"], false, "{row:#}");
            assert!(
                row["outcome"].as_str().unwrap().starts_with("refused"),
                "{row:#}"
            );
            assert!(
                !row["server_reason"].as_str().unwrap().is_empty(),
                "{row:#}"
            );
        }
    }
    assert_eq!(logins.len(), 28);
}

#[test]
fn the_table_says_all_as_expected() {
    let (status, stdout, stderr) = demo(&["--colour", "never"]);
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("28 logins, all as expected (6 must fail and did)."),
        "{stdout}"
    );
    assert!(!stdout.contains("UNEXPECTED"), "{stdout}");
    assert!(
        !stdout.contains('\x1b'),
        "colour when not on a terminal: {stdout}"
    );
}
