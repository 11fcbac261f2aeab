//! Stored-credential strings (Dovecot, PostgreSQL, RFC 5803): parsing never panics,
//! and whatever parses formats back to a string that parses to the same credentials.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_scram::{StoredFormat, format_stored, parse_stored};

fuzz_target!(|text: &str| {
    if let Ok(creds) = parse_stored(text) {
        for format in [
            StoredFormat::Dovecot,
            StoredFormat::PostgreSql,
            StoredFormat::Rfc5803,
        ] {
            if let Ok(again) = format_stored(&creds, format) {
                let back = parse_stored(&again).expect("formatted credentials parse");
                assert_eq!(back.salt(), creds.salt());
                assert_eq!(back.iterations(), creds.iterations());
                assert_eq!(back.stored_key(), creds.stored_key());
                assert_eq!(back.server_key(), creds.server_key());
            }
        }
    }
});
