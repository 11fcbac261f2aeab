//! Shared pieces of the SCRAM benchmarks (the benchmarks themselves live in
//! `benches/`):
//!
//! - the fixture every library is measured with ([`USER`], [`PASSWORD`], [`SALT`],
//!   [`ITERATIONS`]);
//! - the hand-written PBKDF2-HMAC-SHA-256 floor, [`pbkdf2_two_compressions`]: HMAC
//!   inner and outer pad states computed once, then exactly two SHA-256 block
//!   compressions per iteration on pre-padded blocks (`sha2::compress256`, which uses
//!   SHA-NI when the CPU has it);
//! - [`interleaved::Interleaved`], alternating two calls for ratio targets (OAUTHBEARER
//!   and PASSKEY overhead over the raw signature check);
//! - [`Keys`], the SCRAM-SHA-256 keys derived from the fixture, and
//!   [`ScriptedClient`], a minimal client that answers a server-first message from
//!   precomputed keys. The server-side benchmarks run it outside the timed region so
//!   that only the server's work is measured, identically for every library.
#![forbid(unsafe_code)]

pub mod interleaved;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::digest::generic_array::GenericArray;
use sha2::digest::typenum::U64;

/// The authentication identity used by every benchmark.
pub const USER: &str = "user";
/// The password used by every benchmark.
pub const PASSWORD: &str = "pencil";
/// The salt used by every benchmark (16 bytes, as servers commonly generate).
pub const SALT: &[u8] = b"\x41\x25\xc2\x47\xe4\x3a\xb1\xe9\x3c\x6d\xff\x76\x61\x70\x10\x7c";
/// The PBKDF2 iteration count of the exchange benchmarks (RFC 7677's minimum).
pub const ITERATIONS: u32 = 4096;
/// The iteration count of the expensive key-derivation benchmark (OWASP 2023 advice
/// for PBKDF2-HMAC-SHA-256).
pub const HIGH_ITERATIONS: u32 = 600_000;
/// A fixed client nonce (printable, no commas), as long as common clients send.
pub const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj";

type Block = GenericArray<u8, U64>;

const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A block holding a 32-byte value in its first half, already padded as the last
/// block of a 96-byte SHA-256 message (64-byte HMAC pad block + 32-byte value):
/// `0x80`, zeros, and the bit length 768 big-endian.
const fn padded_digest_block() -> [u8; 64] {
    let mut block = [0u8; 64];
    block[32] = 0x80;
    // 96 bytes * 8 = 768 = 0x0300 bits.
    block[62] = 0x03;
    block
}

/// HMAC-SHA-256 with the key's inner and outer pad blocks already compressed.
#[derive(Clone, Copy, Debug)]
pub struct HmacPads {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacPads {
    /// Compresses the key's `ipad` and `opad` blocks (keys longer than a block are
    /// hashed first, as HMAC says).
    pub fn new(key: &[u8]) -> Self {
        let mut key_block = [0u8; 64];
        if key.len() > 64 {
            let digest = sha256_from(SHA256_IV, 0, key);
            for (k, d) in key_block.iter_mut().zip(digest) {
                *k = d;
            }
        } else {
            for (k, d) in key_block.iter_mut().zip(key) {
                *k = *d;
            }
        }
        let pad_state = |pad: u8| {
            let mut block = Block::default();
            for (b, k) in block.iter_mut().zip(key_block) {
                *b = k ^ pad;
            }
            let mut state = SHA256_IV;
            sha2::compress256(&mut state, core::slice::from_ref(&block));
            state
        };
        Self {
            inner: pad_state(0x36),
            outer: pad_state(0x5c),
        }
    }

    /// `HMAC(key, message)` (general message length; not the hot loop).
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let inner = sha256_from(self.inner, 64, message);
        sha256_from(self.outer, 64, &inner)
    }
}

/// SHA-256 of `data` (allocation-free; for the fixture and the server-side floor).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha256_from(SHA256_IV, 0, data)
}

/// Finishes a SHA-256 computation from `state`, which has already absorbed `prefix_len`
/// bytes (a multiple of 64), over `data`. No allocation.
fn sha256_from(mut state: [u32; 8], prefix_len: u64, data: &[u8]) -> [u8; 32] {
    let mut chunks = data.chunks_exact(64);
    for chunk in &mut chunks {
        sha2::compress256(&mut state, core::slice::from_ref(Block::from_slice(chunk)));
    }
    let tail = chunks.remainder();
    let mut last = [0u8; 128];
    let used = if tail.len() + 9 <= 64 { 64 } else { 128 };
    let bits = (prefix_len + data.len() as u64) * 8;
    if let Some(dst) = last.get_mut(..tail.len()) {
        dst.copy_from_slice(tail);
    }
    if let Some(marker) = last.get_mut(tail.len()) {
        *marker = 0x80;
    }
    if let Some(length) = last.get_mut(used - 8..used) {
        length.copy_from_slice(&bits.to_be_bytes());
    }
    for chunk in last.chunks_exact(64).take(used / 64) {
        sha2::compress256(&mut state, core::slice::from_ref(Block::from_slice(chunk)));
    }
    words_to_bytes(&state)
}

fn words_to_bytes(words: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn write_words(block: &mut Block, words: &[u32; 8]) {
    for (chunk, word) in block.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
}

/// PBKDF2-HMAC-SHA-256 with a 32-byte output (SCRAM's `Hi()`), written as the floor
/// any implementation can reach on this CPU: the pad states are computed once, and
/// each iteration after the first costs exactly two SHA-256 block compressions (inner
/// and outer) on pre-padded blocks, plus the XOR into the result.
pub fn pbkdf2_two_compressions(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let pads = HmacPads::new(password);
    let mut first = Vec::with_capacity(salt.len() + 4);
    first.extend_from_slice(salt);
    first.extend_from_slice(&1u32.to_be_bytes());
    let u1 = pads.mac(&first);

    let mut u = [0u32; 8];
    for (word, chunk) in u.iter_mut().zip(u1.chunks_exact(4)) {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(chunk);
        *word = u32::from_be_bytes(bytes);
    }
    let mut result = u;
    let mut inner_block = Block::from(padded_digest_block());
    let mut outer_block = Block::from(padded_digest_block());
    for _ in 1..iterations {
        write_words(&mut inner_block, &u);
        let mut inner = pads.inner;
        sha2::compress256(&mut inner, core::slice::from_ref(&inner_block));
        write_words(&mut outer_block, &inner);
        u = pads.outer;
        sha2::compress256(&mut u, core::slice::from_ref(&outer_block));
        for (r, x) in result.iter_mut().zip(u) {
            *r ^= x;
        }
    }
    words_to_bytes(&result)
}

/// The SCRAM-SHA-256 keys for one password, salt and iteration count.
#[derive(Clone, Copy, Debug)]
pub struct Keys {
    /// `SaltedPassword = Hi(password, salt, i)`.
    pub salted_password: [u8; 32],
    /// `ClientKey = HMAC(SaltedPassword, "Client Key")`.
    pub client_key: [u8; 32],
    /// `StoredKey = H(ClientKey)`.
    pub stored_key: [u8; 32],
    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; 32],
}

impl Keys {
    /// Derives the keys (with [`pbkdf2_two_compressions`]).
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let salted_password = pbkdf2_two_compressions(password.as_bytes(), salt, iterations);
        let pads = HmacPads::new(&salted_password);
        let client_key = pads.mac(b"Client Key");
        Self {
            salted_password,
            client_key,
            stored_key: sha256(&client_key),
            server_key: pads.mac(b"Server Key"),
        }
    }

    /// The keys of the shared fixture ([`PASSWORD`], [`SALT`], [`ITERATIONS`]).
    pub fn fixture() -> Self {
        Self::derive(PASSWORD, SALT, ITERATIONS)
    }
}

/// The client's final message and the server-final message a correct server answers.
#[derive(Clone, Debug)]
pub struct ClientFinal {
    /// `c=biws,r=<nonce>,p=<proof>`.
    pub message: Vec<u8>,
    /// `v=<server signature>`.
    pub expected_server_final: Vec<u8>,
}

/// A minimal SCRAM-SHA-256 client (no channel binding, no authzid) that proves itself
/// from precomputed keys. It does no PBKDF2, so that server-side benchmarks can run it
/// outside the timed region at negligible cost.
#[derive(Clone, Debug)]
pub struct ScriptedClient {
    client_first_bare: String,
    client_key: [u8; 32],
    stored_key: HmacPads,
    server_key: HmacPads,
}

impl ScriptedClient {
    /// A client for `user` (no `,` or `=` in it) with a fixed nonce and derived keys.
    pub fn new(user: &str, nonce: &str, keys: &Keys) -> Self {
        Self {
            client_first_bare: format!("n={user},r={nonce}"),
            client_key: keys.client_key,
            stored_key: HmacPads::new(&keys.stored_key),
            server_key: HmacPads::new(&keys.server_key),
        }
    }

    /// The fixture's client ([`USER`], [`CLIENT_NONCE`], [`Keys::fixture`]).
    pub fn fixture() -> Self {
        Self::new(USER, CLIENT_NONCE, &Keys::fixture())
    }

    /// The client-first message, `n,,n=<user>,r=<nonce>`.
    pub fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// Answers a server-first message; `None` if it has no nonce or is not UTF-8.
    pub fn client_final(&self, server_first: &[u8]) -> Option<ClientFinal> {
        let server_first = core::str::from_utf8(server_first).ok()?;
        let nonce = server_first
            .split(',')
            .find_map(|attribute| attribute.strip_prefix("r="))?;
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = self.stored_key.mac(auth_message.as_bytes());
        let mut proof = self.client_key;
        for (p, s) in proof.iter_mut().zip(signature) {
            *p ^= s;
        }
        let server_signature = self.server_key.mac(auth_message.as_bytes());
        Some(ClientFinal {
            message: format!("{without_proof},p={}", BASE64.encode(proof)).into_bytes(),
            expected_server_final: format!("v={}", BASE64.encode(server_signature)).into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_matches_known_digests() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // 56 bytes: the padding spills into a second block.
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn floor_matches_rfc7914_pbkdf2_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256(P="passwd", S="salt", c=1, dkLen=64),
        // first 32 bytes.
        assert_eq!(
            hex(&pbkdf2_two_compressions(b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn keys_match_rfc7677_example() {
        // RFC 7677 section 3: user "user", password "pencil", 4096 iterations.
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let keys = Keys::derive("pencil", &salt, 4096);
        let client = ScriptedClient::new("user", "rOprNGfwEbeRWgbNEkqO", &keys);
        assert_eq!(client.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let answer = client.client_final(server_first).unwrap();
        assert_eq!(
            answer.message,
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            answer.expected_server_final,
            b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }
}
