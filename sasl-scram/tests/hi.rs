//! The hand-rolled Hi() (precomputed HMAC states on raw compression functions)
//! against the `pbkdf2` crate, for all hashes and awkward key/salt lengths.
// Test helpers outside #[test] functions may panic: clippy.toml only exempts the
// test functions themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hmac::Hmac;
use sasl_core::ScramHash;
use sasl_scram::{PasswordPrep, derive_client_keys};

fn client_key(hash: ScramHash, salted: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    match hash {
        ScramHash::Sha1 => {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(salted).unwrap();
            m.update(b"Client Key");
            m.finalize().into_bytes().to_vec()
        }
        ScramHash::Sha256 => {
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(salted).unwrap();
            m.update(b"Client Key");
            m.finalize().into_bytes().to_vec()
        }
        _ => {
            let mut m = Hmac::<sha2::Sha512>::new_from_slice(salted).unwrap();
            m.update(b"Client Key");
            m.finalize().into_bytes().to_vec()
        }
    }
}

#[test]
fn matches_pbkdf2_crate() {
    // Passwords around and beyond the block sizes (64 and 128 bytes) exercise the
    // hashed-key path; salts around the block boundary exercise the streaming path.
    for pw_len in [0usize, 1, 6, 63, 64, 65, 127, 128, 129, 300] {
        let password: String = (0..pw_len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        for salt_len in [1usize, 12, 16, 51, 52, 55, 56, 64, 119, 120, 200] {
            let salt: Vec<u8> = (0..salt_len).map(|i| (i * 31 + 7) as u8).collect();
            for iterations in [1u32, 2, 3, 17] {
                for hash in [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512] {
                    let mut salted = vec![0u8; hash.output_len()];
                    match hash {
                        ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
                            password.as_bytes(),
                            &salt,
                            iterations,
                            &mut salted,
                        ),
                        ScramHash::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                            password.as_bytes(),
                            &salt,
                            iterations,
                            &mut salted,
                        ),
                        _ => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                            password.as_bytes(),
                            &salt,
                            iterations,
                            &mut salted,
                        ),
                    }
                    if password.is_empty() {
                        continue; // SASLprep and the key API need a password
                    }
                    let keys =
                        derive_client_keys(hash, &password, &salt, iterations, PasswordPrep::None)
                            .unwrap();
                    assert_eq!(
                        keys.client_key(),
                        client_key(hash, &salted),
                        "{hash:?} pw {pw_len} salt {salt_len} i {iterations}"
                    );
                }
            }
        }
    }
}

#[test]
fn matches_pbkdf2_crate_at_4096() {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pencil", b"saltSALTsalt", 4096, &mut salted);
    let keys = derive_client_keys(
        ScramHash::Sha256,
        "pencil",
        b"saltSALTsalt",
        4096,
        PasswordPrep::None,
    )
    .unwrap();
    assert_eq!(keys.client_key(), client_key(ScramHash::Sha256, &salted));
}
