//! Stored credential formats (SPECS §2.9 examples), derivation, malformed strings.
// Test helpers outside #[test] functions may panic: clippy.toml only exempts the
// test functions themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/helpers.rs"]
mod helpers;

use helpers::*;
use sasl_core::ScramHash;
use sasl_scram::{
    MAX_STORED_ITERATIONS, MAX_STORED_SALT_LEN, PasswordPrep, StoredError, StoredFormat, derive,
    derive_client_keys, derive_with, derive_with_random_salt, format_stored, parse_stored,
    parse_stored_as, verify_password,
};

const DOVECOT_256: &str = "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
const PG_256: &str = "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
const RFC5803_1: &str =
    "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=";

#[test]
fn spec_examples_round_trip() {
    let rfc7677 = derive(
        ScramHash::Sha256,
        "pencil",
        &b64("W22ZaJ0SNY7soEsUEjb6gQ=="),
        4096,
    )
    .unwrap();
    assert_eq!(
        format_stored(&rfc7677, StoredFormat::Dovecot).unwrap(),
        DOVECOT_256
    );
    assert_eq!(
        format_stored(&rfc7677, StoredFormat::PostgreSql).unwrap(),
        PG_256
    );
    let rfc5802 = derive(ScramHash::Sha1, "pencil", &b64("QSXCR+Q6sek8bf92"), 4096).unwrap();
    assert_eq!(
        format_stored(&rfc5802, StoredFormat::Rfc5803).unwrap(),
        RFC5803_1
    );

    for (text, format, hash) in [
        (DOVECOT_256, StoredFormat::Dovecot, ScramHash::Sha256),
        (PG_256, StoredFormat::PostgreSql, ScramHash::Sha256),
        (RFC5803_1, StoredFormat::Rfc5803, ScramHash::Sha1),
    ] {
        let parsed = parse_stored_as(text, format).unwrap();
        assert_eq!(parsed.hash(), hash);
        assert_eq!(parsed.iterations(), 4096);
        assert_eq!(format_stored(&parsed, format).unwrap(), text);
        let auto = parse_stored(text).unwrap();
        assert_eq!(auto.stored_key(), parsed.stored_key());
        assert_eq!(auto.server_key(), parsed.server_key());
        assert_eq!(auto.salt(), parsed.salt());
    }
    let parsed = parse_stored(DOVECOT_256).unwrap();
    assert_eq!(parsed.stored_key(), rfc7677.stored_key());
    assert_eq!(parsed.server_key(), rfc7677.server_key());
}

#[test]
fn every_hash_round_trips_in_dovecot_and_rfc5803() {
    for hash in [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512] {
        let creds = derive(hash, "secret", b"saltsaltsalt", 16).unwrap();
        for format in [StoredFormat::Dovecot, StoredFormat::Rfc5803] {
            let text = format_stored(&creds, format).unwrap();
            let back = parse_stored_as(&text, format).unwrap();
            assert_eq!(back.hash(), hash);
            assert_eq!(back.stored_key(), creds.stored_key());
            assert_eq!(format_stored(&back, format).unwrap(), text);
        }
    }
    let sha1 = derive(ScramHash::Sha1, "secret", b"saltsaltsalt", 16).unwrap();
    assert_eq!(
        format_stored(&sha1, StoredFormat::PostgreSql),
        Err(StoredError::UnsupportedHash(ScramHash::Sha1))
    );
    assert!(matches!(
        parse_stored_as(RFC5803_1, StoredFormat::PostgreSql),
        Err(StoredError::UnsupportedHash(ScramHash::Sha1))
    ));
}

#[test]
fn rfc5803_accepts_rfc3112_spaces() {
    let spaced = "SCRAM-SHA-1 $ 4096:QSXCR+Q6sek8bf92 $ 6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=";
    assert!(parse_stored_as(spaced, StoredFormat::Rfc5803).is_ok());
    assert!(parse_stored_as(spaced, StoredFormat::PostgreSql).is_err());
}

#[test]
fn malformed_strings_give_clear_errors() {
    use StoredError as E;
    type Check = fn(&E) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| matches!(e, E::UnknownScheme(_))),
        ("{SCRAM-MD5}1,a,b,c", |e| matches!(e, E::UnknownScheme(_))),
        (
            "{SCRAM-SHA-256-PLUS}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::UnknownScheme(_)),
        ),
        ("{SCRAM-SHA-256", |e| matches!(e, E::MissingField(_))),
        ("{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==", |e| {
            matches!(e, E::MissingField("StoredKey"))
        }),
        (
            "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
            |e| matches!(e, E::MissingField("ServerKey")),
        ),
        (
            "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=,x",
            |e| matches!(e, E::TrailingData),
        ),
        (
            "{SCRAM-SHA-256}04096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::InvalidIterations),
        ),
        (
            "{SCRAM-SHA-256}0,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::InvalidIterations),
        ),
        (
            "{SCRAM-SHA-256}99999999999,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::InvalidIterations),
        ),
        (
            "{SCRAM-SHA-256}20000000,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::InvalidIterations),
        ),
        (
            "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ=,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::InvalidBase64("salt")),
        ),
        (
            "{SCRAM-SHA-256}4096,,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::InvalidSalt),
        ),
        (
            "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,6dlGYMOdZcOPutkcNY8U2g7vK9Y=,wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| {
                matches!(
                    e,
                    E::WrongKeyLength {
                        field: "StoredKey",
                        expected: 32,
                        found: 20
                    }
                )
            },
        ),
        (
            "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,wfPLwcE6nTWhTAmQ 7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::InvalidBase64("ServerKey")),
        ),
        ("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==", |e| {
            matches!(e, E::MissingField(_))
        }),
        (
            "SCRAM-SHA-256$4096$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::MissingField("salt")),
        ),
        (
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
            |e| matches!(e, E::MissingField("ServerKey")),
        ),
        (
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=$",
            |e| matches!(e, E::TrailingData),
        ),
        (
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==:x$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
            |e| matches!(e, E::TrailingData),
        ),
        ("MD5$4096:W22ZaJ0SNY7soEsUEjb6gQ==$a:b", |e| {
            matches!(e, E::UnknownScheme(_))
        }),
    ];
    for (text, check) in cases {
        let err = parse_stored(text).expect_err(text);
        assert!(check(&err), "{text}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

/// PLAIN against stored SCRAM credentials: the published verifiers (RFC 7677's and
/// RFC 5802's examples as Dovecot and RFC 5803 store them) accept "pencil" and
/// nothing else.
#[test]
fn verify_password_against_published_verifiers() {
    for text in [DOVECOT_256, PG_256, RFC5803_1] {
        let stored = parse_stored(text).unwrap();
        for prep in [PasswordPrep::SaslPrep, PasswordPrep::None] {
            assert!(verify_password(&stored, "pencil", prep), "{text}");
            for wrong in ["pencil ", "Pencil", "", "penci"] {
                assert!(!verify_password(&stored, wrong, prep), "{text} {wrong:?}");
            }
        }
        // SASLprep prohibits NUL. Unprepared, "pencil\0" matches: HMAC pads a short key
        // with zeros, so PBKDF2 cannot tell trailing NULs apart (RFC 2104 §2). PLAIN and
        // LOGIN refuse NUL in a password before it gets here.
        assert!(!verify_password(
            &stored,
            "pencil\u{0}",
            PasswordPrep::SaslPrep
        ));
        assert!(verify_password(&stored, "pencil\u{0}", PasswordPrep::None));
    }
    // Preparation: SASLprep maps U+212B to U+00C5, PasswordPrep::None does not; a
    // password SASLprep prohibits never matches.
    let salt = b64("W22ZaJ0SNY7soEsUEjb6gQ==");
    let stored = derive(ScramHash::Sha256, "p\u{00C5}ssword", &salt, 64).unwrap();
    assert!(verify_password(
        &stored,
        "p\u{212B}ssword",
        PasswordPrep::SaslPrep
    ));
    assert!(!verify_password(
        &stored,
        "p\u{212B}ssword",
        PasswordPrep::None
    ));
    assert!(!verify_password(
        &stored,
        "bad\u{0007}",
        PasswordPrep::SaslPrep
    ));
}

/// A stored salt may be 1024 bytes (1368 base64 characters); a longer salt text is
/// refused as a salt before it is decoded.
#[test]
fn stored_salt_text_bounds() {
    use base64::Engine as _;
    let (sk, svk) = (
        "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
    );
    let with_salt = |salt: &str| parse_stored(&format!("{{SCRAM-SHA-256}}4096,{salt},{sk},{svk}"));
    let encoded = |len: usize| base64::engine::general_purpose::STANDARD.encode(vec![9u8; len]);
    let max = encoded(MAX_STORED_SALT_LEN);
    assert_eq!(max.len(), 1368);
    assert_eq!(with_salt(&max).unwrap().salt().len(), MAX_STORED_SALT_LEN);
    assert_eq!(
        with_salt(&encoded(MAX_STORED_SALT_LEN + 1)).unwrap_err(),
        StoredError::InvalidSalt
    );
    assert_eq!(with_salt("").unwrap_err(), StoredError::InvalidSalt);
    // A key's text is decoded up to 256 characters (enough for SHA-512's 64 bytes)
    // and refused unread beyond.
    let salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    let with_key = |key: &str| parse_stored(&format!("{{SCRAM-SHA-256}}4096,{salt},{key},{svk}"));
    assert_eq!(
        with_key(&encoded(192)).unwrap_err(),
        StoredError::WrongKeyLength {
            field: "StoredKey",
            expected: 32,
            found: 192
        }
    );
    assert_eq!(
        with_key(&encoded(195)).unwrap_err(),
        StoredError::InvalidBase64("StoredKey")
    );
    // One character more than the longest salt text: refused by length, not as base64.
    assert_eq!(
        with_salt(&"A".repeat(1369)).unwrap_err(),
        StoredError::InvalidSalt
    );
}

/// The client-key derivation takes the same bounds as stored credentials: salts of
/// 1 to 1024 bytes, 1 to 10,000,000 iterations (the last one derived once, with
/// SHA-1, the cheapest).
#[test]
fn client_keys_take_the_stored_bounds() {
    let keys = |salt: &[u8], iterations: u32| {
        derive_client_keys(
            ScramHash::Sha1,
            "pencil",
            salt,
            iterations,
            PasswordPrep::SaslPrep,
        )
        .map(|k| k.iterations())
    };
    assert_eq!(keys(&[7; MAX_STORED_SALT_LEN], 1), Ok(1));
    for salt in [&[][..], &[7; MAX_STORED_SALT_LEN + 1][..]] {
        assert_eq!(keys(salt, 1), Err(StoredError::InvalidSalt));
    }
    assert_eq!(keys(b"salt", 0), Err(StoredError::InvalidIterations));
    assert_eq!(
        keys(b"salt", MAX_STORED_ITERATIONS + 1),
        Err(StoredError::InvalidIterations)
    );
    assert_eq!(
        keys(b"salt", MAX_STORED_ITERATIONS),
        Ok(MAX_STORED_ITERATIONS)
    );
}

#[test]
fn derive_variants() {
    let salt = b64("W22ZaJ0SNY7soEsUEjb6gQ==");
    // SASLprep by default; PasswordPrep::None keeps the bytes (Dovecot).
    let prepped = derive(ScramHash::Sha256, "p\u{212B}ssword", &salt, 64).unwrap();
    let normal = derive_with(
        ScramHash::Sha256,
        "p\u{00C5}ssword",
        &salt,
        64,
        PasswordPrep::None,
    )
    .unwrap();
    let raw = derive_with(
        ScramHash::Sha256,
        "p\u{212B}ssword",
        &salt,
        64,
        PasswordPrep::None,
    )
    .unwrap();
    assert_eq!(prepped.stored_key(), normal.stored_key());
    assert_ne!(raw.stored_key(), normal.stored_key());
    // A password SASLprep prohibits.
    assert_eq!(
        derive(ScramHash::Sha256, "bad\u{0007}", &salt, 64).unwrap_err(),
        StoredError::PasswordPreparation
    );
    for iterations in [0, MAX_STORED_ITERATIONS + 1, u32::MAX] {
        assert_eq!(
            derive(ScramHash::Sha256, "x", &salt, iterations).unwrap_err(),
            StoredError::InvalidIterations
        );
    }
    assert_eq!(
        derive(ScramHash::Sha256, "x", b"", 1).unwrap_err(),
        StoredError::InvalidSalt
    );
    let random = CountingRandom::default();
    let a = derive_with_random_salt(ScramHash::Sha512, "x", 16, &random).unwrap();
    let b = derive_with_random_salt(ScramHash::Sha512, "x", 16, &random).unwrap();
    assert_eq!(a.salt().len(), 16);
    assert_ne!(a.salt(), b.salt());
    assert_eq!(
        derive_with_random_salt(ScramHash::Sha1, "x", 16, &FailingRandom).unwrap_err(),
        StoredError::Random
    );
    let keys = derive_client_keys(
        ScramHash::Sha256,
        "pencil",
        &salt,
        4096,
        PasswordPrep::SaslPrep,
    )
    .unwrap();
    assert_eq!(
        keys.client_key(),
        hex("a60fc923d67e8644a92d16b96eda5ef4656b0c725c484374be25535576996e8b")
    );
}

#[test]
fn errors_never_echo_secrets() {
    // A legacy plaintext password in the credential column.
    for text in [
        "hunter2-correct-horse",
        "Hunter2",
        "pass word$x",
        "{hunter2}",
    ] {
        let err = parse_stored(text).unwrap_err();
        assert_eq!(err, StoredError::UnknownScheme(String::new()), "{text}");
        let shown = format!("{err} {err:?}");
        for secret in ["hunter2", "Hunter2", "pass word"] {
            assert!(!shown.contains(secret), "{text}: {shown}");
        }
        assert_eq!(err.to_string(), "unrecognised SCRAM credential scheme");
    }
    // Something that looks like a scheme name is still named.
    let err = parse_stored("SCRAM-MD5$1:a$b:c").unwrap_err();
    assert_eq!(err, StoredError::UnknownScheme("SCRAM-MD5".into()));
    assert!(err.to_string().contains("SCRAM-MD5"));
    // Too long to be a scheme: not echoed, even in the right alphabet.
    let long = "A".repeat(33);
    assert_eq!(
        parse_stored(&long).unwrap_err(),
        StoredError::UnknownScheme(String::new())
    );

    // Salt and key text never appears in any error, whatever is wrong.
    let salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    let stored = "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=";
    let server = "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
    let sha1_key = "6dlGYMOdZcOPutkcNY8U2g7vK9Y=";
    let broken = [
        format!("{{SCRAM-MD5}}4096,{salt},{stored},{server}"),
        format!("{{{salt}}}4096,{stored},{server}"),
        format!("{{SCRAM-SHA-256}}4096,{salt},{sha1_key},{server}"),
        format!("{{SCRAM-SHA-256}}4096,{salt},{stored},{sha1_key}"),
        format!("{{SCRAM-SHA-256}}4096,{salt},{stored}x,{server}"),
        format!("{{SCRAM-SHA-256}}0,{salt},{stored},{server}"),
        format!("{{SCRAM-SHA-256 4096,{salt},{stored},{server}"),
        format!("{salt}${stored}:{server}"),
        format!("SCRAM-SHA-256${salt}${stored}:{server}"),
        format!("SCRAM-SHA-256$4096:{salt}${sha1_key}:{server}"),
        stored.to_string(),
    ];
    for text in &broken {
        for err in [
            parse_stored(text).unwrap_err(),
            parse_stored_as(text, StoredFormat::Dovecot).unwrap_err(),
            parse_stored_as(text, StoredFormat::PostgreSql).unwrap_err(),
        ] {
            let shown = format!("{err} {err:?}");
            for secret in [salt, stored, server, sha1_key, &salt[..8], &stored[..8]] {
                assert!(!shown.contains(secret), "{text}: {shown}");
            }
        }
    }
}

#[test]
fn leading_whitespace_is_ignored_consistently() {
    for text in [
        format!(" {DOVECOT_256}"),
        format!("\t {DOVECOT_256}"),
        format!("\n{DOVECOT_256}"),
    ] {
        let auto = parse_stored(&text).unwrap();
        let dovecot = parse_stored_as(&text, StoredFormat::Dovecot).unwrap();
        assert_eq!(auto.stored_key(), dovecot.stored_key());
        assert_eq!(
            format_stored(&auto, StoredFormat::Dovecot).unwrap(),
            DOVECOT_256
        );
    }
    assert!(parse_stored(&format!("  {RFC5803_1}")).is_ok());
}

/// A PostgreSQL `rolpassword` verifier for `password` with the given preparation.
fn pg_verifier(password: &str, prep: PasswordPrep) -> Result<String, StoredError> {
    let salt = b64("W22ZaJ0SNY7soEsUEjb6gQ==");
    let creds = derive_with(ScramHash::Sha256, password, &salt, 4096, prep)?;
    format_stored(&creds, StoredFormat::PostgreSql)
}

/// The same verifier computed independently (pbkdf2, hmac and sha2 crates) from the
/// raw password bytes, as PostgreSQL does when SASLprep refuses a password.
fn pg_verifier_of_raw_bytes(password: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    use sha2::Digest as _;
    let salt = b64("W22ZaJ0SNY7soEsUEjb6gQ==");
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &salt, 4096, &mut salted);
    let mac = |label: &[u8]| {
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(&salted).unwrap();
        m.update(label);
        m.finalize().into_bytes()
    };
    let stored = sha2::Sha256::digest(mac(b"Client Key"));
    let e = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    format!(
        "SCRAM-SHA-256$4096:{}${}:{}",
        e(&salt),
        e(&stored),
        e(&mac(b"Server Key"))
    )
}

#[test]
fn saslprep_or_raw_matches_postgresql_verifiers() {
    // Passwords SASLprep refuses: a TAB (ASCII control), and right-to-left text
    // mixed with Latin (bidi rule). PostgreSQL hashes their raw bytes.
    for password in ["pass\tword", "שלום-hello"] {
        assert_eq!(
            pg_verifier(password, PasswordPrep::SaslPrep).unwrap_err(),
            StoredError::PasswordPreparation
        );
        let ours = pg_verifier(password, PasswordPrep::SaslPrepOrRaw).unwrap();
        assert_eq!(ours, pg_verifier(password, PasswordPrep::None).unwrap());
        assert_eq!(ours, pg_verifier_of_raw_bytes(password.as_bytes()));
    }
    // A password SASLprep accepts and changes (non-ASCII spaces become U+0020): the
    // SASLprep result, not the raw bytes.
    let spaced = "pass\u{00A0}word\u{3000}!";
    let ours = pg_verifier(spaced, PasswordPrep::SaslPrepOrRaw).unwrap();
    assert_eq!(ours, pg_verifier(spaced, PasswordPrep::SaslPrep).unwrap());
    assert_eq!(ours, pg_verifier_of_raw_bytes(b"pass word !"));
    assert_ne!(ours, pg_verifier(spaced, PasswordPrep::None).unwrap());
    // Plain ASCII: all three agree (PostgreSQL skips SASLprep for ASCII).
    assert_eq!(
        pg_verifier("pencil", PasswordPrep::SaslPrepOrRaw).unwrap(),
        PG_256
    );
    // The client-key cache derivation takes the same preparation.
    let salt = b64("W22ZaJ0SNY7soEsUEjb6gQ==");
    let a = derive_client_keys(
        ScramHash::Sha256,
        "pass\tword",
        &salt,
        4096,
        PasswordPrep::SaslPrepOrRaw,
    )
    .unwrap();
    let b = derive_client_keys(
        ScramHash::Sha256,
        "pass\tword",
        &salt,
        4096,
        PasswordPrep::None,
    )
    .unwrap();
    assert_eq!(a.client_key(), b.client_key());
}

#[test]
fn saslprep_or_raw_client_logs_in_against_a_postgresql_verifier() {
    use sasl_core::{ClientCredentials, ConnectionInfo};
    use sasl_scram::{ScramClient, ScramClientConfig, ScramServer, ScramVariant};
    let client = |password: &str, prep: PasswordPrep| {
        ScramClient::new(
            ScramClientConfig::new().with_password_prep(prep),
            ScramVariant::bare(ScramHash::Sha256),
            ClientCredentials::new("user").with_password(password),
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    let server = || {
        ScramServer::new(
            server_config(),
            ScramVariant::bare(ScramHash::Sha256),
            &ConnectionInfo::tls(),
        )
        .unwrap()
    };
    for password in ["pass\tword", "שלום-hello", "pass\u{00A0}word"] {
        let text = pg_verifier(password, PasswordPrep::SaslPrepOrRaw).unwrap();
        let stored = parse_stored_as(&text, StoredFormat::PostgreSql).unwrap();
        let mut c = client(password, PasswordPrep::SaslPrepOrRaw);
        let t = exchange(&mut c, &mut server(), Store::Found(stored), no_tamper);
        assert!(
            t.server_ok() && t.client_ok(),
            "{password:?}: {:?}",
            t.client
        );
    }
    // With plain SASLprep the client cannot even derive its keys for such a password.
    let text = pg_verifier("pass\tword", PasswordPrep::SaslPrepOrRaw).unwrap();
    let stored = parse_stored_as(&text, StoredFormat::PostgreSql).unwrap();
    let mut c = client("pass\tword", PasswordPrep::SaslPrep);
    let t = exchange(&mut c, &mut server(), Store::Found(stored), no_tamper);
    assert!(!t.client_ok());
}
