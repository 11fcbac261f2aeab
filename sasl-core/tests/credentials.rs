//! Stored SCRAM credentials: both constructors check the same rules and hold the same
//! values, whatever the salt length, and the keys stay out of `Debug`.

#![allow(clippy::unwrap_used, missing_docs)]

use sasl_core::{ScramCredentials, ScramHash};

#[test]
fn from_slices_and_new_agree() {
    for (hash, len) in [
        (ScramHash::Sha1, 20),
        (ScramHash::Sha256, 32),
        (ScramHash::Sha512, 64),
    ] {
        let stored: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let server: Vec<u8> = (0..len).map(|i| 0xff - i as u8).collect();
        // Inline salts and one past the inline limit.
        for salt_len in [1usize, 16, 64, 65, 300] {
            let salt = vec![0x5a; salt_len];
            let a = ScramCredentials::from_slices(hash, 4096, &salt, &stored, &server).unwrap();
            let b = ScramCredentials::new(hash, 4096, salt.clone(), stored.clone(), server.clone())
                .unwrap();
            for c in [&a, &b] {
                assert_eq!(c.hash(), hash);
                assert_eq!(c.iterations(), 4096);
                assert_eq!(c.salt(), salt.as_slice());
                assert_eq!(c.stored_key(), stored.as_slice());
                assert_eq!(c.server_key(), server.as_slice());
            }
            let shown = format!("{a:?}");
            assert!(shown.contains(&format!("{:?}", salt.as_slice())), "{shown}");
            assert!(
                !shown.contains(&format!("{:?}", stored.as_slice())),
                "{shown}"
            );
        }
        // The same refusals from both.
        let bad = |salt: &[u8], stored: &[u8], server: &[u8], iterations| {
            let a = ScramCredentials::from_slices(hash, iterations, salt, stored, server);
            let b = ScramCredentials::new(
                hash,
                iterations,
                salt.to_vec(),
                stored.to_vec(),
                server.to_vec(),
            );
            assert!(a.is_err() && b.is_err());
            assert_eq!(a.unwrap_err().to_string(), b.unwrap_err().to_string());
        };
        bad(b"salt", &stored, &server, 0);
        bad(b"", &stored, &server, 1);
        bad(b"salt", &stored[1..], &server, 1);
        bad(b"salt", &stored, &[0; 65], 1);
        bad(b"salt", &[0; 128], &[0; 128], 1);
    }
}
