//! The three SCRAM hashes, HMAC on precomputed pad states, and a fast `Hi()`.
//!
//! `Hi()` is PBKDF2-HMAC with one output block. Every `U_i` after the first is
//! `HMAC(P, U_{i-1})`, a message of one hash output after the 64/128-byte key pad, so
//! both the inner and the outer hash of each iteration are exactly one compression of
//! a block whose padding and length never change. We precompute the two key-pad states
//! once, pre-build the padded block once, and run the raw compression functions of
//! `sha1`/`sha2` (which keep their run-time SHA-NI / ARMv8 detection): two
//! compressions per iteration and nothing else but a state-to-bytes copy.

use sasl_core::ScramHash;
use sha2::digest::consts::{U64, U128};
use sha2::digest::generic_array::GenericArray;
use zeroize::Zeroize;

/// Largest digest any SCRAM hash produces (SHA-512).
pub(crate) const MAX_OUT: usize = 64;

/// The hash of one SCRAM family, as an exhaustive internal enum (the public
/// [`ScramHash`] is `#[non_exhaustive]`, so it is converted once at construction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    Sha1,
    Sha256,
    Sha512,
}

impl Alg {
    /// The internal algorithm for a public hash, if this crate implements it.
    pub(crate) fn from_hash(hash: ScramHash) -> Option<Self> {
        match hash {
            ScramHash::Sha1 => Some(Alg::Sha1),
            ScramHash::Sha256 => Some(Alg::Sha256),
            ScramHash::Sha512 => Some(Alg::Sha512),
            _ => None,
        }
    }

    pub(crate) fn hash(self) -> ScramHash {
        match self {
            Alg::Sha1 => ScramHash::Sha1,
            Alg::Sha256 => ScramHash::Sha256,
            Alg::Sha512 => ScramHash::Sha512,
        }
    }

    pub(crate) fn out_len(self) -> usize {
        match self {
            Alg::Sha1 => Sha1Core::OUT,
            Alg::Sha256 => Sha256Core::OUT,
            Alg::Sha512 => Sha512Core::OUT,
        }
    }

    /// `H(parts...)`.
    pub(crate) fn digest(self, parts: &[&[u8]]) -> Digest {
        match self {
            Alg::Sha1 => hash_parts::<Sha1Core>(parts),
            Alg::Sha256 => hash_parts::<Sha256Core>(parts),
            Alg::Sha512 => hash_parts::<Sha512Core>(parts),
        }
    }

    /// Precomputes the HMAC pad states for `key`.
    pub(crate) fn mac_key(self, key: &[u8]) -> MacKey {
        match self {
            Alg::Sha1 => MacKey::Sha1(HmacKey::new(key)),
            Alg::Sha256 => MacKey::Sha256(HmacKey::new(key)),
            Alg::Sha512 => MacKey::Sha512(HmacKey::new(key)),
        }
    }

    /// `HMAC(key, parts...)`.
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Digest {
        self.mac_key(key).mac(parts)
    }

    /// `Hi(password, salt, iterations)` (PBKDF2-HMAC, one block). `iterations` of 0
    /// is treated as 1; callers validate the count first.
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Digest {
        match self {
            Alg::Sha1 => hi::<Sha1Core>(password, salt, iterations),
            Alg::Sha256 => hi::<Sha256Core>(password, salt, iterations),
            Alg::Sha512 => hi::<Sha512Core>(password, salt, iterations),
        }
    }
}

/// A digest or MAC on the stack, zeroized on drop (it is usually key material).
#[derive(Clone)]
pub(crate) struct Digest {
    buf: [u8; MAX_OUT],
    len: usize,
}

impl Digest {
    pub(crate) fn empty() -> Self {
        Self {
            buf: [0; MAX_OUT],
            len: 0,
        }
    }

    /// Copies up to [`MAX_OUT`] bytes.
    pub(crate) fn from_slice(bytes: &[u8]) -> Self {
        let mut d = Self::empty();
        d.len = copy_prefix(&mut d.buf, bytes);
        d
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// XORs `other` into `self` (lengths are equal for one hash).
    pub(crate) fn xor_with(&mut self, other: &[u8]) {
        for (a, b) in self.buf.iter_mut().zip(other.iter()).take(self.len) {
            *a ^= *b;
        }
    }

    /// Constant-time equality (the length is not secret).
    pub(crate) fn ct_eq(&self, other: &[u8]) -> subtle::Choice {
        use subtle::ConstantTimeEq;
        self.as_slice().ct_eq(other)
    }
}

impl Drop for Digest {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl core::fmt::Debug for Digest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Digest(<redacted>)")
    }
}

/// Copies as much of `src` as fits into `dst`; returns the count. Never panics.
#[inline]
pub(crate) fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    let mut n = 0;
    for (d, s) in dst.iter_mut().zip(src.iter()) {
        *d = *s;
        n += 1;
    }
    n
}

/// One Merkle–Damgård hash at the level of its compression function.
pub(crate) trait Core {
    type State: Copy + Zeroize;
    type Block: Clone + Default + AsRef<[u8]> + AsMut<[u8]>;
    const OUT: usize;
    const BLOCK: usize;
    /// Bytes of the big-endian message bit length in the final block.
    const LEN_BYTES: usize;
    const IV: Self::State;
    fn compress(state: &mut Self::State, block: &Self::Block);
    /// Writes the state big-endian into the first `OUT` bytes of `out`.
    fn write(state: &Self::State, out: &mut [u8]);
    fn xor(acc: &mut Self::State, x: &Self::State);
}

pub(crate) struct Sha1Core;
pub(crate) struct Sha256Core;
pub(crate) struct Sha512Core;

impl Core for Sha1Core {
    type State = [u32; 5];
    type Block = GenericArray<u8, U64>;
    const OUT: usize = 20;
    const BLOCK: usize = 64;
    const LEN_BYTES: usize = 8;
    const IV: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    #[inline(always)]
    fn compress(state: &mut Self::State, block: &Self::Block) {
        sha1::compress(state, core::slice::from_ref(block));
    }
    #[inline(always)]
    fn write(state: &Self::State, out: &mut [u8]) {
        for (chunk, w) in out.chunks_exact_mut(4).zip(state.iter()) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
    }
    #[inline(always)]
    fn xor(acc: &mut Self::State, x: &Self::State) {
        for (a, b) in acc.iter_mut().zip(x.iter()) {
            *a ^= *b;
        }
    }
}

impl Core for Sha256Core {
    type State = [u32; 8];
    type Block = GenericArray<u8, U64>;
    const OUT: usize = 32;
    const BLOCK: usize = 64;
    const LEN_BYTES: usize = 8;
    const IV: [u32; 8] = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    #[inline(always)]
    fn compress(state: &mut Self::State, block: &Self::Block) {
        sha2::compress256(state, core::slice::from_ref(block));
    }
    #[inline(always)]
    fn write(state: &Self::State, out: &mut [u8]) {
        for (chunk, w) in out.chunks_exact_mut(4).zip(state.iter()) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
    }
    #[inline(always)]
    fn xor(acc: &mut Self::State, x: &Self::State) {
        for (a, b) in acc.iter_mut().zip(x.iter()) {
            *a ^= *b;
        }
    }
}

impl Core for Sha512Core {
    type State = [u64; 8];
    type Block = GenericArray<u8, U128>;
    const OUT: usize = 64;
    const BLOCK: usize = 128;
    const LEN_BYTES: usize = 16;
    const IV: [u64; 8] = [
        0x6a09_e667_f3bc_c908,
        0xbb67_ae85_84ca_a73b,
        0x3c6e_f372_fe94_f82b,
        0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1,
        0x9b05_688c_2b3e_6c1f,
        0x1f83_d9ab_fb41_bd6b,
        0x5be0_cd19_137e_2179,
    ];
    #[inline(always)]
    fn compress(state: &mut Self::State, block: &Self::Block) {
        sha2::compress512(state, core::slice::from_ref(block));
    }
    #[inline(always)]
    fn write(state: &Self::State, out: &mut [u8]) {
        for (chunk, w) in out.chunks_exact_mut(8).zip(state.iter()) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
    }
    #[inline(always)]
    fn xor(acc: &mut Self::State, x: &Self::State) {
        for (a, b) in acc.iter_mut().zip(x.iter()) {
            *a ^= *b;
        }
    }
}

/// Streaming hash from an arbitrary starting state (IV, or an HMAC pad state after
/// one block).
struct Stream<C: Core> {
    state: C::State,
    block: C::Block,
    fill: usize,
    total: u64,
}

impl<C: Core> Stream<C> {
    fn new(state: C::State, already: u64) -> Self {
        Self {
            state,
            block: C::Block::default(),
            fill: 0,
            total: already,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let space = self.block.as_mut().get_mut(self.fill..).unwrap_or_default();
            let n = copy_prefix(space, data);
            self.fill += n;
            self.total = self.total.wrapping_add(n as u64);
            data = data.get(n..).unwrap_or_default();
            if self.fill >= C::BLOCK {
                C::compress(&mut self.state, &self.block);
                self.fill = 0;
            }
        }
    }

    /// Pads and returns the final state (a copy: the caller zeroizes it; the stream's
    /// own state and block are zeroized when it drops).
    fn finish(mut self) -> C::State {
        let bits = u128::from(self.total).wrapping_mul(8);
        let fill = self.fill;
        {
            let bytes = self.block.as_mut();
            if let Some(b) = bytes.get_mut(fill) {
                *b = 0x80;
            }
        }
        let mut start = fill + 1;
        if start + C::LEN_BYTES > C::BLOCK {
            for b in self.block.as_mut().get_mut(start..).unwrap_or_default() {
                *b = 0;
            }
            C::compress(&mut self.state, &self.block);
            start = 0;
        }
        write_padding::<C>(self.block.as_mut(), start, bits);
        C::compress(&mut self.state, &self.block);
        self.state
    }
}

impl<C: Core> Drop for Stream<C> {
    fn drop(&mut self) {
        // The state is key-derived (HMAC pad states, or a hash of secret input) and
        // the block holds message bytes: neither may outlive the stream.
        self.state.zeroize();
        self.block.as_mut().zeroize();
    }
}

/// Zeroes `block[start..BLOCK-LEN_BYTES]` and writes the big-endian bit length at the end.
fn write_padding<C: Core>(block: &mut [u8], start: usize, bits: u128) {
    let len_at = C::BLOCK - C::LEN_BYTES;
    for b in block.get_mut(start..len_at).unwrap_or_default() {
        *b = 0;
    }
    let be = bits.to_be_bytes();
    copy_prefix(
        block.get_mut(len_at..).unwrap_or_default(),
        be.get(16 - C::LEN_BYTES..).unwrap_or_default(),
    );
}

fn state_digest<C: Core>(state: &C::State) -> Digest {
    let mut d = Digest::empty();
    C::write(state, &mut d.buf);
    d.len = C::OUT;
    d
}

fn hash_parts<C: Core>(parts: &[&[u8]]) -> Digest {
    let mut s = Stream::<C>::new(C::IV, 0);
    for p in parts {
        s.update(p);
    }
    let mut st = s.finish();
    let d = state_digest::<C>(&st);
    st.zeroize();
    d
}

/// HMAC with the inner and outer key-pad blocks already compressed.
pub(crate) struct HmacKey<C: Core> {
    inner: C::State,
    outer: C::State,
}

impl<C: Core> Drop for HmacKey<C> {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

impl<C: Core> HmacKey<C> {
    fn new(key: &[u8]) -> Self {
        let mut pad = C::Block::default();
        if key.len() > C::BLOCK {
            let d = hash_parts::<C>(&[key]);
            copy_prefix(pad.as_mut(), d.as_slice());
        } else {
            copy_prefix(pad.as_mut(), key);
        }
        for b in pad.as_mut() {
            *b ^= 0x36;
        }
        let mut inner = C::IV;
        C::compress(&mut inner, &pad);
        // 0x36 ^ 0x5c turns the inner pad into the outer pad without keeping the key.
        for b in pad.as_mut() {
            *b ^= 0x36 ^ 0x5c;
        }
        let mut outer = C::IV;
        C::compress(&mut outer, &pad);
        pad.as_mut().zeroize();
        Self { inner, outer }
    }

    fn mac_state(&self, parts: &[&[u8]]) -> C::State {
        let mut s = Stream::<C>::new(self.inner, C::BLOCK as u64);
        for p in parts {
            s.update(p);
        }
        let mut inner = s.finish();
        let mut buf = [0u8; MAX_OUT];
        C::write(&inner, &mut buf);
        let mut o = Stream::<C>::new(self.outer, C::BLOCK as u64);
        o.update(buf.get(..C::OUT).unwrap_or_default());
        buf.zeroize();
        inner.zeroize();
        o.finish()
    }
}

/// A precomputed HMAC key for one of the three hashes.
pub(crate) enum MacKey {
    Sha1(HmacKey<Sha1Core>),
    Sha256(HmacKey<Sha256Core>),
    Sha512(HmacKey<Sha512Core>),
}

impl MacKey {
    /// `HMAC(key, parts...)`: the parts are hashed as one message, so callers never
    /// need to concatenate (AuthMessage is streamed from its three pieces).
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> Digest {
        match self {
            MacKey::Sha1(k) => finish_mac::<Sha1Core>(k, parts),
            MacKey::Sha256(k) => finish_mac::<Sha256Core>(k, parts),
            MacKey::Sha512(k) => finish_mac::<Sha512Core>(k, parts),
        }
    }
}

fn finish_mac<C: Core>(key: &HmacKey<C>, parts: &[&[u8]]) -> Digest {
    let mut st = key.mac_state(parts);
    let d = state_digest::<C>(&st);
    st.zeroize();
    d
}

// Kept out of line so each hash gets its own tight loop.
#[inline(never)]
fn hi<C: Core>(password: &[u8], salt: &[u8], iterations: u32) -> Digest {
    let key = HmacKey::<C>::new(password);
    let mut u = key.mac_state(&[salt, &1u32.to_be_bytes()]);
    let mut acc = u;
    // The one block every later inner and outer hash uses: OUT message bytes, then
    // 0x80, zeros, and the bit length of (key pad + OUT bytes). Only the first OUT
    // bytes change per iteration.
    let mut block = C::Block::default();
    {
        let bytes = block.as_mut();
        if let Some(b) = bytes.get_mut(C::OUT) {
            *b = 0x80;
        }
        write_padding::<C>(bytes, C::OUT + 1, ((C::BLOCK + C::OUT) as u128) * 8);
    }
    // The inner-hash state copy lives outside the loop so that the last one can be
    // zeroized (it is derived from the password's pad state).
    let mut s = key.inner;
    for _ in 1..iterations {
        C::write(&u, block.as_mut());
        s = key.inner;
        C::compress(&mut s, &block);
        C::write(&s, block.as_mut());
        u = key.outer;
        C::compress(&mut u, &block);
        C::xor(&mut acc, &u);
    }
    let d = state_digest::<C>(&acc);
    s.zeroize();
    acc.zeroize();
    u.zeroize();
    block.as_mut().zeroize();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    #[test]
    fn digest_matches_sha_crates() {
        for len in [0usize, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 300] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(
                Alg::Sha1.digest(&[&data]).as_slice(),
                sha1::Sha1::digest(&data).as_slice()
            );
            assert_eq!(
                Alg::Sha256.digest(&[&data]).as_slice(),
                sha2::Sha256::digest(&data).as_slice()
            );
            let (a, b) = data.split_at(len / 3);
            assert_eq!(
                Alg::Sha512.digest(&[a, b]).as_slice(),
                sha2::Sha512::digest(&data).as_slice()
            );
        }
    }
}
