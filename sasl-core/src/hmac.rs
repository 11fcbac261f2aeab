//! HMAC key schedules (the inner and outer key-pad states, RFC 2104 §4) for the
//! SCRAM hashes: the precomputed form in which [`ScramCredentials`](crate::ScramCredentials)
//! carries its keys.
//!
//! `HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m))`. The two pad blocks depend only
//! on the key, so the hash states after compressing them can be computed once per key
//! and every HMAC with that key starts from them: two compressions fewer per MAC.
//! [`ScramCredentials::new`](crate::ScramCredentials::new) computes the schedules of
//! StoredKey and ServerKey once, so an in-memory credential store answers every SCRAM
//! lookup with a cheap clone and the server's proof check starts from the schedules
//! (`sasl-scram` does; any SCRAM implementation can).
//!
//! This module is a supported API (covered by semver): the states are FIPS 180-4
//! hash states (words, not bytes), to continue with the raw compression functions of
//! the `sha1`/`sha2` crates (`compress`, `compress256`, `compress512`). They are key
//! material: zeroized on drop and redacted in `Debug`.
//!
//! ```
//! use sasl_core::hmac::{SHA256_IV, hmac_pads_sha256};
//! let pads = hmac_pads_sha256(b"key");
//! assert_ne!(pads.inner, SHA256_IV); // one block (key ^ ipad) compressed
//! assert_ne!(pads.inner, pads.outer);
//! ```

use sha2::digest::consts::{U64, U128};
use sha2::digest::generic_array::{ArrayLength, GenericArray};
use zeroize::Zeroize;

/// SHA-1 initial state (FIPS 180-4, 5.3.1).
pub const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// SHA-256 initial state (FIPS 180-4, 5.3.3).
pub const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// SHA-512 initial state (FIPS 180-4, 5.3.5).
pub const SHA512_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The HMAC key schedule of one key: the hash states after compressing the inner
/// (`key ^ 0x36..`) and the outer (`key ^ 0x5c..`) pad block. `HMAC(key, m)` is then
/// the hash of `m` continued from `inner`, whose digest is hashed continued from
/// `outer`. Both states are key material: zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct HmacPads<S: Zeroize> {
    /// State after the inner pad block.
    pub inner: S,
    /// State after the outer pad block.
    pub outer: S,
}

impl<S: Zeroize> Drop for HmacPads<S> {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

impl<S: Zeroize> core::fmt::Debug for HmacPads<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HmacPads(<redacted>)")
    }
}

/// The HMAC key schedules of the StoredKey and the ServerKey of one
/// [`ScramCredentials`](crate::ScramCredentials) value, in the state words of its hash.
/// Computed once when the credentials are made (so every credentials value, however
/// it was built, carries them: no per-exchange or first-use cost), zeroized when the
/// last clone drops.
#[derive(Debug)]
#[non_exhaustive]
pub enum HmacSchedules {
    /// SCRAM-SHA-1.
    Sha1 {
        /// Schedule of StoredKey (for ClientSignature).
        stored: HmacPads<[u32; 5]>,
        /// Schedule of ServerKey (for ServerSignature).
        server: HmacPads<[u32; 5]>,
    },
    /// SCRAM-SHA-256.
    Sha256 {
        /// Schedule of StoredKey (for ClientSignature).
        stored: HmacPads<[u32; 8]>,
        /// Schedule of ServerKey (for ServerSignature).
        server: HmacPads<[u32; 8]>,
    },
    /// SCRAM-SHA-512.
    Sha512 {
        /// Schedule of StoredKey (for ClientSignature).
        stored: HmacPads<[u64; 8]>,
        /// Schedule of ServerKey (for ServerSignature).
        server: HmacPads<[u64; 8]>,
    },
}

/// The HMAC-SHA-1 key schedule of `key` (any length; longer than 64 bytes is hashed
/// first, as HMAC says).
pub fn hmac_pads_sha1(key: &[u8]) -> HmacPads<[u32; 5]> {
    pads::<sha1::Sha1, _, U64>(key, SHA1_IV, |s, b| {
        sha1::compress(s, core::slice::from_ref(b));
    })
}

/// The HMAC-SHA-256 key schedule of `key` (any length).
pub fn hmac_pads_sha256(key: &[u8]) -> HmacPads<[u32; 8]> {
    pads::<sha2::Sha256, _, U64>(key, SHA256_IV, |s, b| {
        sha2::compress256(s, core::slice::from_ref(b));
    })
}

/// The HMAC-SHA-512 key schedule of `key` (any length; longer than 128 bytes is
/// hashed first).
pub fn hmac_pads_sha512(key: &[u8]) -> HmacPads<[u64; 8]> {
    pads::<sha2::Sha512, _, U128>(key, SHA512_IV, |s, b| {
        sha2::compress512(s, core::slice::from_ref(b));
    })
}

/// One pad computation for all three hashes: `D` hashes an over-long key, `compress`
/// is the raw compression function on blocks of `N` bytes.
#[inline]
fn pads<D, S, N>(key: &[u8], iv: S, compress: impl Fn(&mut S, &GenericArray<u8, N>)) -> HmacPads<S>
where
    D: sha2::Digest,
    S: Copy + Zeroize,
    N: ArrayLength<u8>,
{
    let mut pad = GenericArray::<u8, N>::default();
    // Bytes past the key are 0x36/0x5c constants: only the key bytes need zeroizing.
    let key_len = if key.len() > N::USIZE {
        let mut hashed = D::digest(key);
        let n = copy_prefix(&mut pad, &hashed);
        hashed.as_mut_slice().zeroize();
        n
    } else {
        copy_prefix(&mut pad, key)
    };
    for b in pad.iter_mut() {
        *b ^= 0x36;
    }
    let mut inner = iv;
    compress(&mut inner, &pad);
    // 0x36 ^ 0x5c turns the inner pad into the outer pad without keeping the key.
    for b in pad.iter_mut() {
        *b ^= 0x36 ^ 0x5c;
    }
    let mut outer = iv;
    compress(&mut outer, &pad);
    if let Some(keyed) = pad.get_mut(..key_len) {
        keyed.zeroize();
    }
    HmacPads { inner, outer }
}

fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

impl HmacSchedules {
    /// The schedules of `stored_key` and `server_key` for `hash`.
    pub(crate) fn new(hash: crate::ScramHash, stored_key: &[u8], server_key: &[u8]) -> Self {
        use super::ScramHash;
        match hash {
            ScramHash::Sha1 => HmacSchedules::Sha1 {
                stored: hmac_pads_sha1(stored_key),
                server: hmac_pads_sha1(server_key),
            },
            ScramHash::Sha256 => HmacSchedules::Sha256 {
                stored: hmac_pads_sha256(stored_key),
                server: hmac_pads_sha256(server_key),
            },
            ScramHash::Sha512 => HmacSchedules::Sha512 {
                stored: hmac_pads_sha512(stored_key),
                server: hmac_pads_sha512(server_key),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::digest::generic_array::sequence::GenericSequence;

    /// Finishes HMAC from a schedule with the ordinary streaming API of the hash
    /// crates: run the message through `compress` from `inner` with plain SHA padding
    /// (length counted from the pad block on), then the same for the digest from
    /// `outer`. Deliberately naive: one padded buffer, compressed block by block.
    fn finish<S: Copy, N: ArrayLength<u8>>(
        state: S,
        block_len: usize,
        len_bytes: usize,
        message: &[u8],
        compress: &dyn Fn(&mut S, &GenericArray<u8, N>),
    ) -> S {
        let mut buf = message.to_vec();
        buf.push(0x80);
        while (buf.len() + len_bytes) % block_len != 0 {
            buf.push(0);
        }
        let bits = ((block_len + message.len()) as u128) * 8;
        buf.extend_from_slice(&bits.to_be_bytes()[16 - len_bytes..]);
        let mut s = state;
        for chunk in buf.chunks(block_len) {
            let block = GenericArray::<u8, N>::generate(|i| chunk[i]);
            compress(&mut s, &block);
        }
        s
    }

    fn be32(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    fn be64(words: &[u64]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    /// Straightforward HMAC (RFC 2104) with the `Digest` API.
    fn reference<D: sha2::Digest>(block_len: usize, key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut k = if key.len() > block_len {
            D::digest(key).to_vec()
        } else {
            key.to_vec()
        };
        k.resize(block_len, 0);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let mut h = D::new();
        h.update(&ipad);
        h.update(message);
        let inner = h.finalize();
        let mut h = D::new();
        h.update(&opad);
        h.update(&inner);
        h.finalize().to_vec()
    }

    #[test]
    fn schedules_give_ordinary_hmac() {
        let c1 = |s: &mut [u32; 5], b: &GenericArray<u8, U64>| {
            sha1::compress(s, core::slice::from_ref(b))
        };
        let c256 = |s: &mut [u32; 8], b: &GenericArray<u8, U64>| {
            sha2::compress256(s, core::slice::from_ref(b))
        };
        let c512 = |s: &mut [u64; 8], b: &GenericArray<u8, U128>| {
            sha2::compress512(s, core::slice::from_ref(b))
        };
        for key_len in [0usize, 1, 20, 32, 64, 65, 128, 129, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 31 + 7) as u8).collect();
            for msg_len in [0usize, 1, 18, 55, 56, 64, 111, 112, 128, 230, 400] {
                let msg: Vec<u8> = (0..msg_len).map(|i| (i * 11 + 3) as u8).collect();

                let p = hmac_pads_sha1(&key);
                let inner = finish(p.inner, 64, 8, &msg, &c1);
                let out = finish(p.outer, 64, 8, &be32(&inner), &c1);
                assert_eq!(be32(&out), reference::<sha1::Sha1>(64, &key, &msg));

                let p = hmac_pads_sha256(&key);
                let inner = finish(p.inner, 64, 8, &msg, &c256);
                let out = finish(p.outer, 64, 8, &be32(&inner), &c256);
                assert_eq!(be32(&out), reference::<sha2::Sha256>(64, &key, &msg));

                let p = hmac_pads_sha512(&key);
                let inner = finish(p.inner, 128, 16, &msg, &c512);
                let out = finish(p.outer, 128, 16, &be64(&inner), &c512);
                assert_eq!(be64(&out), reference::<sha2::Sha512>(128, &key, &msg));
            }
        }
    }

    #[test]
    fn credentials_carry_the_schedules_of_their_keys() {
        use super::super::{ScramCredentials, ScramHash};
        let stored = vec![0x11u8; 32];
        let server = vec![0x22u8; 32];
        let c =
            ScramCredentials::new(ScramHash::Sha256, 4096, vec![1; 16], stored, server).unwrap();
        let HmacSchedules::Sha256 {
            stored: s,
            server: v,
        } = c.hmac_schedules()
        else {
            panic!("wrong variant");
        };
        assert_eq!(s.inner, hmac_pads_sha256(&[0x11; 32]).inner);
        assert_eq!(s.outer, hmac_pads_sha256(&[0x11; 32]).outer);
        assert_eq!(v.inner, hmac_pads_sha256(&[0x22; 32]).inner);
        assert_eq!(v.outer, hmac_pads_sha256(&[0x22; 32]).outer);
        // Clones share them (no recomputation, no allocation).
        let d = c.clone();
        assert!(core::ptr::eq(c.hmac_schedules(), d.hmac_schedules()));
        for (hash, len) in [(ScramHash::Sha1, 20), (ScramHash::Sha512, 64)] {
            let c = ScramCredentials::new(hash, 1, vec![1], vec![3; len], vec![4; len]).unwrap();
            match (hash, c.hmac_schedules()) {
                (ScramHash::Sha1, HmacSchedules::Sha1 { stored, .. }) => {
                    assert_eq!(stored.inner, hmac_pads_sha1(&vec![3; len]).inner);
                }
                (ScramHash::Sha512, HmacSchedules::Sha512 { server, .. }) => {
                    assert_eq!(server.outer, hmac_pads_sha512(&vec![4; len]).outer);
                }
                _ => panic!("wrong variant"),
            }
        }
    }
}
