//! The three SCRAM hashes, HMAC on precomputed pad states, and a fast `Hi()`.
//!
//! `Hi()` is PBKDF2-HMAC with one output block. Every `U_i` after the first is
//! `HMAC(P, U_{i-1})`, a message of one hash output after the 64/128-byte key pad, so
//! both the inner and the outer hash of each iteration are exactly one compression of
//! a block whose padding and length never change. We precompute the two key-pad states
//! once, pre-build the padded block once, and run the raw compression functions of
//! `sha1`/`sha2` (which keep their run-time SHA-NI / ARMv8 detection): two
//! compressions per iteration and nothing else but a state-to-bytes copy.

use sasl_core::hmac::{HmacPads, HmacSchedules};
use sasl_core::{ScramCredentials, ScramHash};
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
    /// The algorithm for `hash`, or a configuration error for a hash this crate does
    /// not implement (`ScramHash` is non-exhaustive).
    pub(crate) fn require(hash: ScramHash) -> Result<Self, sasl_core::Error> {
        Self::from_hash(hash).ok_or_else(|| sasl_core::Error::config("unsupported SCRAM hash"))
    }

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
            Alg::Sha1 => MacKey::Sha1(Sha1Core::pads(key)),
            Alg::Sha256 => MacKey::Sha256(Sha256Core::pads(key)),
            Alg::Sha512 => MacKey::Sha512(Sha512Core::pads(key)),
        }
    }

    /// `HMAC(key, parts...)` (the exchanges use precomputed key schedules; this is
    /// for the tests).
    #[cfg(test)]
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
        ct_eq(self.as_slice(), other)
    }
}

impl Drop for Digest {
    fn drop(&mut self) {
        // Bytes past `len` are never written.
        if let Some(used) = self.buf.get_mut(..self.len) {
            used.zeroize();
        }
    }
}

impl core::fmt::Debug for Digest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Digest(<redacted>)")
    }
}

/// [`sasl_core::ct_eq`] as a `subtle::Choice`, to combine with other conditions
/// without a branch.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> subtle::Choice {
    subtle::Choice::from(u8::from(sasl_core::ct_eq(a, b)))
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

/// A state word of one of the hashes (`u32` for SHA-1/256, `u64` for SHA-512).
pub(crate) trait Word: Copy + core::ops::BitXorAssign + Zeroize {
    /// Bytes per word.
    const SIZE: usize;
    /// Writes the word big-endian into the first `SIZE` bytes of `out`.
    fn put_be(self, out: &mut [u8]);
}

impl Word for u32 {
    const SIZE: usize = 4;
    #[inline(always)]
    fn put_be(self, out: &mut [u8]) {
        out.copy_from_slice(&self.to_be_bytes());
    }
}

impl Word for u64 {
    const SIZE: usize = 8;
    #[inline(always)]
    fn put_be(self, out: &mut [u8]) {
        out.copy_from_slice(&self.to_be_bytes());
    }
}

/// One Merkle–Damgård hash at the level of its compression function.
pub(crate) trait Core {
    type Word: Word;
    type State: Copy + Zeroize + AsRef<[Self::Word]> + AsMut<[Self::Word]>;
    type Block: Clone + Default + AsRef<[u8]> + AsMut<[u8]>;
    const OUT: usize;
    const BLOCK: usize;
    /// Bytes of the big-endian message bit length in the final block.
    const LEN_BYTES: usize;
    const IV: Self::State;
    #[inline(always)]
    fn compress(state: &mut Self::State, block: &Self::Block) {
        Self::compress_blocks(state, core::slice::from_ref(block));
    }
    /// Compresses consecutive blocks in one call (the SHA-NI code loads and stores
    /// the state once per call, not per block).
    fn compress_blocks(state: &mut Self::State, blocks: &[Self::Block]);
    /// Compresses one block given as a slice of exactly `BLOCK` bytes.
    fn compress_slice(state: &mut Self::State, block: &[u8]);
    /// The HMAC key schedule (pad states) of `key`: computed by `sasl-core`, which
    /// also computes the schedules of every `ScramCredentials`, so that there is one
    /// implementation of it.
    fn pads(key: &[u8]) -> HmacPads<Self::State>;

    /// Writes the state big-endian into the first `OUT` bytes of `out`.
    #[inline(always)]
    fn write(state: &Self::State, out: &mut [u8]) {
        for (chunk, w) in out
            .chunks_exact_mut(<Self::Word as Word>::SIZE)
            .zip(state.as_ref())
        {
            w.put_be(chunk);
        }
    }

    /// `acc ^= x`, word by word.
    #[inline(always)]
    fn xor(acc: &mut Self::State, x: &Self::State) {
        for (a, b) in acc.as_mut().iter_mut().zip(x.as_ref()) {
            *a ^= *b;
        }
    }
}

pub(crate) struct Sha1Core;
pub(crate) struct Sha256Core;
pub(crate) struct Sha512Core;

impl Core for Sha1Core {
    type Word = u32;
    type State = [u32; 5];
    type Block = GenericArray<u8, U64>;
    const OUT: usize = 20;
    const BLOCK: usize = 64;
    const LEN_BYTES: usize = 8;
    const IV: [u32; 5] = sasl_core::hmac::SHA1_IV;
    #[inline(always)]
    fn compress_blocks(state: &mut Self::State, blocks: &[Self::Block]) {
        sha1::compress(state, blocks);
    }
    #[inline(always)]
    fn compress_slice(state: &mut Self::State, block: &[u8]) {
        // `from_slice` only panics on a length mismatch; callers pass exact chunks.
        sha1::compress(
            state,
            core::slice::from_ref(GenericArray::from_slice(block)),
        );
    }
    fn pads(key: &[u8]) -> HmacPads<Self::State> {
        sasl_core::hmac::hmac_pads_sha1(key)
    }
}

impl Core for Sha256Core {
    type Word = u32;
    type State = [u32; 8];
    type Block = GenericArray<u8, U64>;
    const OUT: usize = 32;
    const BLOCK: usize = 64;
    const LEN_BYTES: usize = 8;
    const IV: [u32; 8] = sasl_core::hmac::SHA256_IV;
    #[inline(always)]
    fn compress_blocks(state: &mut Self::State, blocks: &[Self::Block]) {
        sha2::compress256(state, blocks);
    }
    #[inline(always)]
    fn compress_slice(state: &mut Self::State, block: &[u8]) {
        sha2::compress256(
            state,
            core::slice::from_ref(GenericArray::from_slice(block)),
        );
    }
    fn pads(key: &[u8]) -> HmacPads<Self::State> {
        sasl_core::hmac::hmac_pads_sha256(key)
    }
}

impl Core for Sha512Core {
    type Word = u64;
    type State = [u64; 8];
    type Block = GenericArray<u8, U128>;
    const OUT: usize = 64;
    const BLOCK: usize = 128;
    const LEN_BYTES: usize = 16;
    const IV: [u64; 8] = sasl_core::hmac::SHA512_IV;
    #[inline(always)]
    fn compress_blocks(state: &mut Self::State, blocks: &[Self::Block]) {
        sha2::compress512(state, blocks);
    }
    #[inline(always)]
    fn compress_slice(state: &mut Self::State, block: &[u8]) {
        sha2::compress512(
            state,
            core::slice::from_ref(GenericArray::from_slice(block)),
        );
    }
    fn pads(key: &[u8]) -> HmacPads<Self::State> {
        sasl_core::hmac::hmac_pads_sha512(key)
    }
}

/// Streaming hash from an arbitrary starting state (IV, or an HMAC pad state after
/// one block).
struct Stream<C: Core> {
    state: C::State,
    block: C::Block,
    fill: usize,
    /// How many leading bytes of `block` may hold message bytes (zeroized on drop;
    /// the rest is zeros or padding constants). Zeroizing is volatile byte by byte,
    /// so it is kept to the bytes that matter.
    dirty: usize,
    /// Whether the message is secret (a hash of a key); HMAC messages in SCRAM are
    /// public (AuthMessage, labels, salts) and are not zeroized.
    secret_message: bool,
    total: u64,
}

impl<C: Core> Stream<C> {
    fn new(state: C::State, already: u64, secret_message: bool) -> Self {
        Self {
            state,
            block: C::Block::default(),
            fill: 0,
            dirty: 0,
            secret_message,
            total: already,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            // Whole blocks at a block boundary are compressed where they lie (most of
            // AuthMessage), without copying them into `block` first.
            if self.fill == 0 && data.len() >= C::BLOCK {
                let whole = data.len() / C::BLOCK * C::BLOCK;
                let (blocks, rest) = data.split_at(whole);
                for block in blocks.chunks_exact(C::BLOCK) {
                    C::compress_slice(&mut self.state, block);
                }
                data = rest;
                continue;
            }
            let space = self.block.as_mut().get_mut(self.fill..).unwrap_or_default();
            let n = space.len().min(data.len());
            let (head, rest) = data.split_at(n);
            // `copy_from_slice` (a memcpy) rather than a byte loop: AuthMessage is a
            // few hundred bytes and is hashed twice per exchange.
            if let Some(dst) = space.get_mut(..n) {
                dst.copy_from_slice(head);
            }
            self.fill += n;
            self.dirty = self.dirty.max(self.fill);
            data = rest;
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
            // The padding block below overwrites every message byte.
            self.dirty = 0;
        } else {
            // Only the message tail before the 0x80 is left; padding covers the rest.
            self.dirty = fill;
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
        if self.secret_message {
            if let Some(used) = self.block.as_mut().get_mut(..self.dirty) {
                used.zeroize();
            }
        }
    }
}

/// The last block of an HMAC hash over one digest after the key pad: `OUT` zero
/// bytes (for the digest), 0x80, zeros, and the bit length of (key pad + `OUT`).
#[inline(always)]
fn padded_digest_block<C: Core>() -> C::Block {
    let mut block = C::Block::default();
    let bytes = block.as_mut();
    if let Some(b) = bytes.get_mut(C::OUT) {
        *b = 0x80;
    }
    write_length::<C>(bytes, ((C::BLOCK + C::OUT) as u128) * 8);
    block
}

/// Zeroes `block[start..BLOCK-LEN_BYTES]` and writes the big-endian bit length at the end.
fn write_padding<C: Core>(block: &mut [u8], start: usize, bits: u128) {
    let len_at = C::BLOCK - C::LEN_BYTES;
    for b in block.get_mut(start..len_at).unwrap_or_default() {
        *b = 0;
    }
    write_length::<C>(block, bits);
}

/// Writes the big-endian bit length at the end of a block whose padding bytes are
/// already zero (a fresh `Block::default()`), without zeroing them again.
#[inline(always)]
fn write_length<C: Core>(block: &mut [u8], bits: u128) {
    let len_at = C::BLOCK - C::LEN_BYTES;
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
    // A short message (H(ClientKey) in every proof check): a single padded block.
    if let Some((mut block, _)) = lay::<C, 1>(parts, 0) {
        let mut st = C::IV;
        C::compress_blocks(&mut st, &block);
        let n: usize = parts.iter().map(|p| p.len()).sum();
        if let Some(message) = block.get_mut(0).and_then(|b| b.as_mut().get_mut(..n)) {
            message.zeroize();
        }
        let d = state_digest::<C>(&st);
        st.zeroize();
        return d;
    }
    // The message may be secret (ClientKey, an over-long HMAC key).
    let mut s = Stream::<C>::new(C::IV, 0, true);
    for p in parts {
        s.update(p);
    }
    let mut st = s.finish();
    let d = state_digest::<C>(&st);
    st.zeroize();
    d
}

/// HMAC with the inner and outer key-pad blocks already compressed (the schedule
/// from `sasl-core`, zeroized on drop).
pub(crate) type HmacKey<C> = HmacPads<<C as Core>::State>;

/// HMAC on a precomputed key schedule; returns the final state.
fn mac_state<C: Core>(key: &HmacKey<C>, parts: &[&[u8]]) -> C::State {
    // HMAC messages are public in SCRAM (AuthMessage, "Client Key", salts, PRF
    // labels and user names); the key-derived states are zeroized.
    let mut s = Stream::<C>::new(key.inner, C::BLOCK as u64, false);
    for p in parts {
        s.update(p);
    }
    outer_mac::<C>(key, &mut s.finish())
}

/// The outer hash of an HMAC from the final inner state: one compression of the
/// inner digest, pre-padded (as in `hi`). Zeroizes the inner state and the block.
#[inline(always)]
fn outer_mac<C: Core>(key: &HmacKey<C>, inner: &mut C::State) -> C::State {
    let mut block = padded_digest_block::<C>();
    C::write(inner, block.as_mut());
    inner.zeroize();
    let mut outer = key.outer;
    C::compress(&mut outer, &block);
    if let Some(digest) = block.as_mut().get_mut(..C::OUT) {
        digest.zeroize();
    }
    outer
}

/// Blocks a [`MacMessage`] holds: AuthMessage with its padding is four or five
/// SHA-256 blocks (230 bytes in the benchmark, more with channel binding), so 512
/// bytes cover it for every hash.
const LAID_NARROW: usize = 8;
const LAID_WIDE: usize = 4;

/// A public message (the server's AuthMessage) laid out once, with the HMAC padding,
/// in the blocks of one block size, for HMACs under several keys whose pad states are
/// precomputed: each HMAC's inner hash is then one call of the compression function
/// over all blocks, where a stream per key copied, padded and compressed block by
/// block. A longer message, or an HMAC of another block size, is streamed from
/// `message` instead.
pub(crate) struct MacMessage<'a> {
    /// The message, as the parts it is the concatenation of.
    parts: &'a [&'a [u8]],
    laid: Laid,
}

/// The padded blocks of a [`MacMessage`].
enum Laid {
    /// SHA-1 and SHA-256 (64-byte blocks, 8-byte length).
    Narrow {
        blocks: [GenericArray<u8, U64>; LAID_NARROW],
        count: usize,
    },
    /// SHA-512 (128-byte blocks, 16-byte length).
    Wide {
        blocks: [GenericArray<u8, U128>; LAID_WIDE],
        count: usize,
    },
    /// Too long to lay out here.
    Streamed,
}

impl<'a> MacMessage<'a> {
    /// Lays the concatenation of `parts` out for HMACs of `alg`.
    pub(crate) fn new(alg: Alg, parts: &'a [&'a [u8]]) -> Self {
        let laid = match alg {
            // SHA-1 and SHA-256 share the block size and the length field.
            Alg::Sha1 | Alg::Sha256 => lay::<Sha256Core, LAID_NARROW>(parts, Sha256Core::BLOCK)
                .map_or(Laid::Streamed, |(blocks, count)| Laid::Narrow {
                    blocks,
                    count,
                }),
            Alg::Sha512 => lay::<Sha512Core, LAID_WIDE>(parts, Sha512Core::BLOCK).map_or(
                Laid::Streamed,
                |(blocks, count)| Laid::Wide { blocks, count },
            ),
        };
        Self { parts, laid }
    }

    /// The padded 64-byte blocks (SHA-1, SHA-256), if laid out for them.
    fn narrow(&self) -> Option<&[GenericArray<u8, U64>]> {
        match &self.laid {
            Laid::Narrow { blocks, count } => blocks.get(..*count),
            _ => None,
        }
    }

    /// The padded 128-byte blocks (SHA-512), if laid out for them.
    fn wide(&self) -> Option<&[GenericArray<u8, U128>]> {
        match &self.laid {
            Laid::Wide { blocks, count } => blocks.get(..*count),
            _ => None,
        }
    }
}

/// The concatenation of `parts`, 0x80, zeros and the bit length of (`already` bytes
/// hashed before them + the message), in whole blocks of `C`, and how many blocks
/// that is; `None` if more than `N` blocks.
fn lay<C: Core, const N: usize>(parts: &[&[u8]], already: usize) -> Option<([C::Block; N], usize)> {
    let end: usize = parts.iter().map(|p| p.len()).sum();
    let count = (end + 1 + C::LEN_BYTES).div_ceil(C::BLOCK);
    if count > N {
        return None;
    }
    let mut blocks: [C::Block; N] = core::array::from_fn(|_| C::Block::default());
    let mut at = 0;
    for part in parts {
        let mut rest: &[u8] = part;
        while let Some(block) = blocks.get_mut(at / C::BLOCK) {
            if rest.is_empty() {
                break;
            }
            let n = copy_prefix(
                block.as_mut().get_mut(at % C::BLOCK..).unwrap_or_default(),
                rest,
            );
            at += n;
            rest = rest.get(n..).unwrap_or_default();
        }
    }
    if let Some(b) = blocks
        .get_mut(end / C::BLOCK)
        .and_then(|block| block.as_mut().get_mut(end % C::BLOCK))
    {
        *b = 0x80;
    }
    let bits = ((already + end) as u128).wrapping_mul(8);
    if let Some(last) = blocks.get_mut(count - 1) {
        write_length::<C>(last.as_mut(), bits);
    }
    Some((blocks, count))
}

/// HMAC of a message on a precomputed key schedule from its laid-out blocks, or
/// streamed from its parts when it has none for this block size; returns the final
/// state.
fn prepared_mac_state<C: Core>(
    key: &HmacKey<C>,
    blocks: Option<&[C::Block]>,
    parts: &[&[u8]],
) -> C::State {
    let Some(blocks) = blocks else {
        return mac_state::<C>(key, parts);
    };
    let mut inner = key.inner;
    C::compress_blocks(&mut inner, blocks);
    outer_mac::<C>(key, &mut inner)
}

/// The final state of an HMAC's inner hash, `H(K ^ ipad || parts...)` from the
/// precomputed inner pad state, padding included. A message that fits in one block
/// with its padding (the PRF's inputs for user names of up to 22 bytes) is built in
/// place, without the streaming machinery. The message is public.
#[inline]
fn inner_state<C: Core>(key: &HmacKey<C>, parts: &[&[u8]]) -> C::State {
    let mut inner = key.inner;
    match lay::<C, 1>(parts, C::BLOCK) {
        Some((block, _)) => C::compress_blocks(&mut inner, &block),
        None => {
            let mut s = Stream::<C>::new(key.inner, C::BLOCK as u64, false);
            for p in parts {
                s.update(p);
            }
            inner = s.finish();
        }
    }
    inner
}

/// A precomputed HMAC key for one of the three hashes.
pub(crate) enum MacKey {
    Sha1(HmacKey<Sha1Core>),
    Sha256(HmacKey<Sha256Core>),
    Sha512(HmacKey<Sha512Core>),
}

impl MacKey {
    /// `HMAC(key, parts...)`: the parts are hashed as one message, so callers never
    /// need to concatenate (AuthMessage is streamed from its three pieces). The
    /// message is treated as public (copies of it are not zeroized); the key-derived
    /// states and the result are.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> Digest {
        match self {
            MacKey::Sha1(k) => finish_mac::<Sha1Core>(k, parts),
            MacKey::Sha256(k) => finish_mac::<Sha256Core>(k, parts),
            MacKey::Sha512(k) => finish_mac::<Sha512Core>(k, parts),
        }
    }
}

/// HMAC-SHA-256 with its pad states computed once: the PRF the server derives
/// unknown-user material from (SHA-NI where the CPU has it, whatever the mechanism's
/// hash). Two compressions per output block for short inputs.
#[derive(Clone)]
pub(crate) struct Prf(HmacKey<Sha256Core>);

impl Prf {
    pub(crate) fn new(key: &[u8]) -> Self {
        Self(Sha256Core::pads(key))
    }

    /// Fills `out` with `HMAC(key, label || 0 || context || 0 || name || counter)` for
    /// counter = 1, 2, ... (big-endian `u32`), 32 bytes per block, the last one cut.
    pub(crate) fn expand(&self, label: &[u8], context: &[u8], name: &[u8], out: &mut [u8]) {
        self.counter_mode(label, context, name, out, Sha256Core::OUT, true);
    }

    /// Fills `out` with the first 16 bytes of the *inner* hash of the HMAC above,
    /// `SHA-256(K ^ ipad || label || 0 || context || 0 || name || counter)`, per 16
    /// bytes: one compression per 16 bytes for short inputs where the HMAC takes two
    /// per 32. For the public fake salts only (see decision 0018): keyed by a secret
    /// first block and cut to half the state, which leaves nothing to extend, it is a
    /// PRF under the same assumption on the compression function as HMAC's own proof;
    /// values that must stay secret (the fake keys) come from [`expand`](Self::expand).
    pub(crate) fn expand_truncated(
        &self,
        label: &[u8],
        context: &[u8],
        name: &[u8],
        out: &mut [u8],
    ) {
        self.counter_mode(label, context, name, out, 16, false);
    }

    /// The counter-mode loop of both: `cut` bytes per block, of the HMAC (`full`) or
    /// of its inner hash.
    fn counter_mode(
        &self,
        label: &[u8],
        context: &[u8],
        name: &[u8],
        out: &mut [u8],
        cut: usize,
        full: bool,
    ) {
        let mut counter = 0u32;
        for chunk in out.chunks_mut(cut) {
            counter = counter.wrapping_add(1);
            let parts: [&[u8]; 6] = [label, &[0], context, &[0], name, &counter.to_be_bytes()];
            let mut st = inner_state::<Sha256Core>(&self.0, &parts);
            if full {
                st = outer_mac::<Sha256Core>(&self.0, &mut st);
            }
            let mut block = [0u8; Sha256Core::OUT];
            Sha256Core::write(&st, &mut block);
            copy_prefix(chunk, block.get(..cut).unwrap_or_default());
            block.zeroize();
            st.zeroize();
        }
    }
}

/// Which of the two keys of stored credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StoredMac {
    /// `HMAC(StoredKey, ..)`: ClientSignature.
    StoredKey,
    /// `HMAC(ServerKey, ..)`: ServerSignature.
    ServerKey,
}

/// `HMAC(StoredKey or ServerKey, message)` from the key schedules that `credentials`
/// computed when it was made: the key pads cost nothing per exchange, for real and
/// fake credentials alike. A schedule of a hash this crate does not know (a future
/// `ScramHash`) gives an empty digest, which no proof matches.
pub(crate) fn credentials_mac(
    credentials: &ScramCredentials,
    which: StoredMac,
    message: &MacMessage<'_>,
) -> Digest {
    schedules_mac(credentials.hmac_schedules(), which, message)
}

/// `HMAC(StoredKey or ServerKey, message)` from precomputed key schedules (of stored
/// credentials on the server, of cached [`ScramKeys`](sasl_core::ScramKeys) on the
/// client).
pub(crate) fn schedules_mac(
    schedules: &HmacSchedules,
    which: StoredMac,
    message: &MacMessage<'_>,
) -> Digest {
    fn pick<T>(which: StoredMac, stored: T, server: T) -> T {
        match which {
            StoredMac::StoredKey => stored,
            StoredMac::ServerKey => server,
        }
    }
    match schedules {
        HmacSchedules::Sha1 { stored, server } => {
            laid_mac::<Sha1Core>(pick(which, stored, server), message.narrow(), message)
        }
        HmacSchedules::Sha256 { stored, server } => {
            laid_mac::<Sha256Core>(pick(which, stored, server), message.narrow(), message)
        }
        HmacSchedules::Sha512 { stored, server } => {
            laid_mac::<Sha512Core>(pick(which, stored, server), message.wide(), message)
        }
        _ => Digest::empty(),
    }
}

fn finish_mac<C: Core>(key: &HmacKey<C>, parts: &[&[u8]]) -> Digest {
    let mut st = mac_state::<C>(key, parts);
    let d = state_digest::<C>(&st);
    st.zeroize();
    d
}

fn laid_mac<C: Core>(
    key: &HmacKey<C>,
    blocks: Option<&[C::Block]>,
    message: &MacMessage<'_>,
) -> Digest {
    let mut st = prepared_mac_state::<C>(key, blocks, message.parts);
    let d = state_digest::<C>(&st);
    st.zeroize();
    d
}

// Kept out of line so each hash gets its own tight loop.
#[inline(never)]
fn hi<C: Core>(password: &[u8], salt: &[u8], iterations: u32) -> Digest {
    let key = C::pads(password);
    let mut u = mac_state::<C>(&key, &[salt, &1u32.to_be_bytes()]);
    let mut acc = u;
    // Every later inner and outer hash is one compression of a block holding OUT
    // message bytes, then 0x80, zeros, and the bit length of (key pad + OUT bytes).
    // Two such blocks, pre-padded once (the inner one receives U_{i-1}, the outer
    // one the inner digest): only their first OUT bytes change per iteration.
    let mut inner_block = padded_digest_block::<C>();
    let mut outer_block = inner_block.clone();
    // The loop has exactly the shape of the benchmark floor: the inner state is a
    // fresh local copy per iteration and the accumulator lives in registers.
    // Zeroizing either of them after the loop (volatile writes through a reference)
    // forces it into memory *inside* the loop: hoisting `s` for that cost 1.5 % per
    // iteration, and `acc.zeroize()` cost 1.6 % (8 extra stores per iteration;
    // both measured against the floor). So neither is zeroized: the last `s` is also
    // in `outer_block`, which is zeroized below, and `acc` becomes the returned
    // `Digest`, which zeroizes itself on drop. What stays behind are register
    // contents and compiler-made stack copies (spills), which safe Rust cannot
    // zeroize reliably anyway: zeroizing protects the values we own, not every
    // register or stack slot they passed through.
    for _ in 1..iterations {
        C::write(&u, inner_block.as_mut());
        let mut s = key.inner;
        C::compress(&mut s, &inner_block);
        C::write(&s, outer_block.as_mut());
        u = key.outer;
        C::compress(&mut u, &outer_block);
        C::xor(&mut acc, &u);
    }
    let d = state_digest::<C>(&acc);
    // `u` is in memory anyway (the compression takes it by reference).
    u.zeroize();
    inner_block.as_mut().zeroize();
    outer_block.as_mut().zeroize();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    #[test]
    fn prf_is_counter_mode_hmac_sha256() {
        use hmac::Mac as _;
        let key = b"a server secret of some length..";
        let prf = Prf::new(key);
        for len in [8usize, 16, 31, 32, 33, 64] {
            let mut out = vec![0u8; len];
            prf.expand(b"label", b"SHA-256", b"user", &mut out);
            let mut expected = Vec::new();
            for counter in 1u32..=2 {
                let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
                m.update(b"label\0SHA-256\0user");
                m.update(&counter.to_be_bytes());
                expected.extend_from_slice(&m.finalize().into_bytes());
            }
            assert_eq!(out, expected[..len]);
        }
    }

    #[test]
    fn truncated_prf_is_the_cut_inner_hash() {
        use sha2::Digest as _;
        let key = b"a server secret of some length..";
        let prf = Prf::new(key);
        let mut padded = [0u8; 64];
        padded[..key.len()].copy_from_slice(key);
        for name_len in [0usize, 4, 18, 40, 200] {
            let name = vec![b'n'; name_len];
            for len in [8usize, 16, 17, 32, 64] {
                let mut out = vec![0u8; len];
                prf.expand_truncated(b"label", b"SHA-256", &name, &mut out);
                let mut expected = Vec::new();
                for counter in 1u32..=4 {
                    let mut h = sha2::Sha256::new();
                    h.update(padded.map(|b| b ^ 0x36));
                    h.update(b"label\0SHA-256\0");
                    h.update(&name);
                    h.update(counter.to_be_bytes());
                    expected.extend_from_slice(&h.finalize()[..16]);
                }
                assert_eq!(out, expected[..len], "{name_len} {len}");
            }
        }
    }

    #[test]
    fn hmac_matches_hmac_crate() {
        use hmac::Mac as _;
        for key_len in [0usize, 20, 32, 64, 65, 128, 129, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 13 + 1) as u8).collect();
            for msg_len in [0usize, 10, 55, 56, 64, 119, 120, 230, 300] {
                let msg: Vec<u8> = (0..msg_len).map(|i| (i * 5 + 7) as u8).collect();
                let (a, b) = msg.split_at(msg_len / 2);
                let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
                m.update(&msg);
                assert_eq!(
                    Alg::Sha256.hmac(&key, &[a, b]).as_slice(),
                    m.finalize().into_bytes().as_slice()
                );
                let mut m = hmac::Hmac::<sha2::Sha512>::new_from_slice(&key).unwrap();
                m.update(&msg);
                assert_eq!(
                    Alg::Sha512.hmac(&key, &[a, b]).as_slice(),
                    m.finalize().into_bytes().as_slice()
                );
                let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
                m.update(&msg);
                assert_eq!(
                    Alg::Sha1.hmac(&key, &[a, b]).as_slice(),
                    m.finalize().into_bytes().as_slice()
                );
            }
        }
    }

    #[test]
    fn laid_out_message_macs_match_the_hmac_crate() {
        use hmac::Mac as _;
        let key = [0x5au8; 32];
        let schedules =
            ScramCredentials::new(ScramHash::Sha256, 1, vec![0], key.to_vec(), vec![1; 32])
                .unwrap();
        let pads1 = Sha1Core::pads(&key);
        let pads512 = Sha512Core::pads(&key);
        // Every tail length around one and two padded blocks of both block sizes, and
        // around the longest messages laid out (503 and 495 bytes; longer ones stream).
        for len in (0..=300usize).chain([495, 496, 503, 504, 1000]) {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            // In three parts, split so that parts cross block boundaries.
            let (a, rest) = msg.split_at(len / 3);
            let (b, c) = rest.split_at(rest.len() / 2);
            let parts: [&[u8]; 3] = [a, b, c];
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
            m.update(&msg);
            let laid = MacMessage::new(Alg::Sha256, &parts);
            assert_eq!(
                credentials_mac(&schedules, StoredMac::StoredKey, &laid).as_slice(),
                m.finalize().into_bytes().as_slice(),
                "SHA-256, {len} bytes"
            );
            let laid = MacMessage::new(Alg::Sha1, &parts);
            let mut st = prepared_mac_state::<Sha1Core>(&pads1, laid.narrow(), laid.parts);
            let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
            m.update(&msg);
            assert_eq!(
                state_digest::<Sha1Core>(&st).as_slice(),
                m.finalize().into_bytes().as_slice()
            );
            let laid = MacMessage::new(Alg::Sha512, &parts);
            let mut m = hmac::Hmac::<sha2::Sha512>::new_from_slice(&key).unwrap();
            m.update(&msg);
            let expected = m.finalize().into_bytes();
            st.zeroize();
            let st = prepared_mac_state::<Sha512Core>(&pads512, laid.wide(), laid.parts);
            assert_eq!(
                state_digest::<Sha512Core>(&st).as_slice(),
                expected.as_slice()
            );
            // A layout for another block size falls back to streaming, same result.
            let other = MacMessage::new(Alg::Sha256, &parts);
            let st = prepared_mac_state::<Sha512Core>(&pads512, other.wide(), other.parts);
            assert_eq!(
                state_digest::<Sha512Core>(&st).as_slice(),
                expected.as_slice()
            );
        }
    }

    #[test]
    fn short_inner_hash_matches_streaming() {
        let key = Sha256Core::pads(b"some key");
        for len in 0..80usize {
            let msg: Vec<u8> = (0..len).map(|i| (i * 3 + 1) as u8).collect();
            let (a, b) = msg.split_at(len / 2);
            let mut stream = Stream::<Sha256Core>::new(key.inner, 64, false);
            stream.update(&msg);
            assert_eq!(
                inner_state::<Sha256Core>(&key, &[a, b]),
                stream.finish(),
                "{len}"
            );
        }
    }

    #[test]
    fn ct_eq_compares() {
        assert!(bool::from(ct_eq(b"abc", b"abc")));
        assert!(!bool::from(ct_eq(b"abc", b"abd")));
        assert!(!bool::from(ct_eq(b"abc", b"ab")));
        assert!(bool::from(ct_eq(b"", b"")));
    }

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
