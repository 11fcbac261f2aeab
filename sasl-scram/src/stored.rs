//! Stored credentials: derivation from a password, and the text formats servers keep
//! them in (Dovecot, PostgreSQL, RFC 5803 LDAP `authPassword`).

use crate::hash::Alg;
use crate::messages::parse_posit_number;
use crate::prep::{PasswordPrep, salted_password};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use core::fmt;
use sasl_core::{RandomSource, ScramCredentials, ScramHash, ScramKeys};
use zeroize::Zeroizing;

/// Largest iteration count accepted from a stored string (RFC 5803 asks servers to
/// validate stored values before use; a huge count would stall every client).
pub const MAX_STORED_ITERATIONS: u32 = 10_000_000;
/// Largest salt accepted from a stored string, in bytes.
pub const MAX_STORED_SALT_LEN: usize = 1024;
/// Salt length of [`derive_with_random_salt`] (Dovecot and PostgreSQL use 16).
pub const DEFAULT_SALT_LEN: usize = 16;

/// Why credentials could not be derived, parsed or formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredError {
    /// The string does not start with a scheme this crate knows for the format.
    ///
    /// Holds the scheme only when it looks like one (1 to 32 characters of
    /// `A-Z`, `0-9` and `-`), and is empty otherwise: a column holding something
    /// else, such as a legacy plaintext password, is never echoed into logs.
    UnknownScheme(String),
    /// A field is missing (the name says which).
    MissingField(&'static str),
    /// More fields than the format has.
    TrailingData,
    /// The iteration count is not a positive decimal number without leading zeros,
    /// or exceeds [`MAX_STORED_ITERATIONS`].
    InvalidIterations,
    /// A field is not canonical standard base64 (the name says which).
    InvalidBase64(&'static str),
    /// The salt is empty or longer than [`MAX_STORED_SALT_LEN`].
    InvalidSalt,
    /// A key does not have the hash's output length.
    WrongKeyLength {
        /// `StoredKey` or `ServerKey`.
        field: &'static str,
        /// The hash output length.
        expected: usize,
        /// The decoded length.
        found: usize,
    },
    /// The format cannot express this hash (PostgreSQL only knows SCRAM-SHA-256).
    UnsupportedHash(ScramHash),
    /// The password fails the chosen normalisation (SASLprep or OpaqueString).
    PasswordPreparation,
    /// The random source failed.
    Random,
}

impl fmt::Display for StoredError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredError::UnknownScheme(s) if s.is_empty() => {
                f.write_str("unrecognised SCRAM credential scheme")
            }
            StoredError::UnknownScheme(s) => write!(f, "unknown SCRAM credential scheme {s:?}"),
            StoredError::MissingField(field) => write!(f, "SCRAM credential: missing {field}"),
            StoredError::TrailingData => f.write_str("SCRAM credential: unexpected extra fields"),
            StoredError::InvalidIterations => write!(
                f,
                "SCRAM credential: iteration count must be a number from 1 to {MAX_STORED_ITERATIONS} without leading zeros"
            ),
            StoredError::InvalidBase64(field) => {
                write!(f, "SCRAM credential: {field} is not valid base64")
            }
            StoredError::InvalidSalt => write!(
                f,
                "SCRAM credential: salt must be 1 to {MAX_STORED_SALT_LEN} bytes"
            ),
            StoredError::WrongKeyLength {
                field,
                expected,
                found,
            } => write!(
                f,
                "SCRAM credential: {field} is {found} bytes, the hash needs {expected}"
            ),
            StoredError::UnsupportedHash(h) => {
                write!(f, "this credential format cannot store SCRAM-{}", h.name())
            }
            StoredError::PasswordPreparation => {
                f.write_str("the password fails normalisation (SASLprep/OpaqueString)")
            }
            StoredError::Random => f.write_str("the random number source failed"),
        }
    }
}

impl std::error::Error for StoredError {}

/// A text format for stored SCRAM credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredFormat {
    /// Dovecot passdb: `{SCRAM-SHA-256}<iter>,<salt>,<StoredKey>,<ServerKey>`
    /// (also `{SCRAM-SHA-1}` and `{SCRAM-SHA-512}`).
    Dovecot,
    /// PostgreSQL `pg_authid.rolpassword`:
    /// `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>` (SHA-256 only).
    /// Derive such verifiers with [`PasswordPrep::SaslPrepOrRaw`] to match what
    /// PostgreSQL itself stores for passwords SASLprep refuses.
    PostgreSql,
    /// RFC 5803 LDAP `authPassword`: `SCRAM-SHA-1$<iter>:<salt>$<StoredKey>:<ServerKey>`
    /// (any hash; optional spaces around `$` are accepted when parsing, RFC 3112).
    Rfc5803,
}

fn invalid_hash(hash: ScramHash) -> StoredError {
    StoredError::UnsupportedHash(hash)
}

fn alg_of(hash: ScramHash) -> Result<Alg, StoredError> {
    Alg::from_hash(hash).ok_or_else(|| invalid_hash(hash))
}

/// Derives stored credentials from a password, normalised with SASLprep (stored
/// mode) as RFC 5802 specifies.
pub fn derive(
    hash: ScramHash,
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<ScramCredentials, StoredError> {
    derive_with(hash, password, salt, iterations, PasswordPrep::SaslPrep)
}

/// Derives stored credentials with a 16-byte salt from `random`.
pub fn derive_with_random_salt(
    hash: ScramHash,
    password: &str,
    iterations: u32,
    random: &dyn RandomSource,
) -> Result<ScramCredentials, StoredError> {
    let mut salt = [0u8; DEFAULT_SALT_LEN];
    random.fill(&mut salt).map_err(|_| StoredError::Random)?;
    derive(hash, password, &salt, iterations)
}

/// Derives stored credentials with the given password normalisation (use
/// [`PasswordPrep::None`] to match Dovecot, which does not normalise, and
/// [`PasswordPrep::SaslPrepOrRaw`] to match PostgreSQL).
pub fn derive_with(
    hash: ScramHash,
    password: &str,
    salt: &[u8],
    iterations: u32,
    prep: PasswordPrep,
) -> Result<ScramCredentials, StoredError> {
    let (alg, ck, sk) = client_and_server_keys(hash, password, salt, iterations, prep)?;
    let stored = alg.digest(&[ck.as_slice()]);
    ScramCredentials::from_slices(hash, iterations, salt, stored.as_slice(), sk.as_slice())
        .map_err(|_| StoredError::InvalidSalt)
}

/// Checks a presented password (PLAIN, LOGIN) against stored SCRAM credentials in
/// constant time, for servers that store only SCRAM verifiers but still offer PLAIN
/// over TLS: the password is run through PBKDF2 with the stored salt and iteration
/// count (prepared with `prep`, as when the credentials were derived) and the
/// resulting StoredKey is compared with the stored one.
///
/// A password that fails preparation, or credentials of a hash this crate does not
/// implement, do not match. The cost is one PBKDF2, as for a SCRAM client.
///
/// ```
/// use sasl_core::ScramHash;
/// use sasl_scram::{PasswordPrep, derive, verify_password};
/// let stored = derive(ScramHash::Sha256, "pencil", b"some salt bytes!", 4096)?;
/// assert!(verify_password(&stored, "pencil", PasswordPrep::SaslPrep));
/// assert!(!verify_password(&stored, "pencil ", PasswordPrep::SaslPrep));
/// # Ok::<(), sasl_scram::StoredError>(())
/// ```
pub fn verify_password(credentials: &ScramCredentials, password: &str, prep: PasswordPrep) -> bool {
    let Ok((alg, ck, _sk)) = client_and_server_keys(
        credentials.hash(),
        password,
        credentials.salt(),
        credentials.iterations(),
        prep,
    ) else {
        return false;
    };
    let stored = alg.digest(&[ck.as_slice()]);
    crate::hash::ct_eq(stored.as_slice(), credentials.stored_key()).into()
}

/// Derives the client's keys (ClientKey, ServerKey) for caching, as a client login
/// would: pass the result in
/// [`ClientCredentials::with_scram_keys`](sasl_core::ClientCredentials::with_scram_keys).
pub fn derive_client_keys(
    hash: ScramHash,
    password: &str,
    salt: &[u8],
    iterations: u32,
    prep: PasswordPrep,
) -> Result<ScramKeys, StoredError> {
    let (_, ck, sk) = client_and_server_keys(hash, password, salt, iterations, prep)?;
    ScramKeys::new(
        hash,
        iterations,
        salt.to_vec(),
        ck.as_slice().to_vec(),
        sk.as_slice().to_vec(),
    )
    .map_err(|_| StoredError::InvalidSalt)
}

fn client_and_server_keys(
    hash: ScramHash,
    password: &str,
    salt: &[u8],
    iterations: u32,
    prep: PasswordPrep,
) -> Result<(Alg, crate::hash::Digest, crate::hash::Digest), StoredError> {
    let alg = alg_of(hash)?;
    if iterations == 0 || iterations > MAX_STORED_ITERATIONS {
        return Err(StoredError::InvalidIterations);
    }
    if salt.is_empty() || salt.len() > MAX_STORED_SALT_LEN {
        return Err(StoredError::InvalidSalt);
    }
    let salted = salted_password(alg, prep, password, salt, iterations)
        .ok_or(StoredError::PasswordPreparation)?;
    let key = alg.mac_key(salted.as_slice());
    Ok((alg, key.mac(&[b"Client Key"]), key.mac(&[b"Server Key"])))
}

fn scheme_hash(scheme: &str) -> Option<ScramHash> {
    match scheme {
        "SCRAM-SHA-1" => Some(ScramHash::Sha1),
        "SCRAM-SHA-256" => Some(ScramHash::Sha256),
        "SCRAM-SHA-512" => Some(ScramHash::Sha512),
        _ => None,
    }
}

/// An unknown-scheme error that names the scheme only if it looks like one
/// (`[A-Z0-9-]{1,32}`): anything else may be a secret (a plaintext password in the
/// wrong column, or salt and key text) and is left out.
fn unknown(scheme: &str) -> StoredError {
    let looks_like_scheme = (1..=32).contains(&scheme.len())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    StoredError::UnknownScheme(if looks_like_scheme {
        scheme.to_owned()
    } else {
        String::new()
    })
}

/// Formats credentials in a stored format.
pub fn format_stored(
    credentials: &ScramCredentials,
    format: StoredFormat,
) -> Result<String, StoredError> {
    let hash = credentials.hash();
    alg_of(hash)?;
    let scheme = match hash {
        ScramHash::Sha1 => "SCRAM-SHA-1",
        ScramHash::Sha256 => "SCRAM-SHA-256",
        ScramHash::Sha512 => "SCRAM-SHA-512",
        other => return Err(invalid_hash(other)),
    };
    let salt = STANDARD.encode(credentials.salt());
    let stored = STANDARD.encode(credentials.stored_key());
    let server = STANDARD.encode(credentials.server_key());
    let iterations = credentials.iterations();
    Ok(match format {
        StoredFormat::Dovecot => format!("{{{scheme}}}{iterations},{salt},{stored},{server}"),
        StoredFormat::PostgreSql if hash != ScramHash::Sha256 => return Err(invalid_hash(hash)),
        StoredFormat::PostgreSql | StoredFormat::Rfc5803 => {
            format!("{scheme}${iterations}:{salt}${stored}:{server}")
        }
    })
}

/// Parses credentials in a known format.
pub fn parse_stored_as(text: &str, format: StoredFormat) -> Result<ScramCredentials, StoredError> {
    match format {
        StoredFormat::Dovecot => parse_dovecot(text),
        StoredFormat::PostgreSql => {
            let creds = parse_dollar(text, false)?;
            if creds.hash() != ScramHash::Sha256 {
                return Err(invalid_hash(creds.hash()));
            }
            Ok(creds)
        }
        StoredFormat::Rfc5803 => parse_dollar(text, true),
    }
}

/// Parses credentials in any of the formats: `{...}` is Dovecot, `SCRAM-...$` is
/// PostgreSQL / RFC 5803 (the same syntax). Leading whitespace is ignored.
///
/// Errors never contain salt, key or other text from `text`, except a scheme name
/// that looks like one (see [`StoredError::UnknownScheme`]).
pub fn parse_stored(text: &str) -> Result<ScramCredentials, StoredError> {
    let text = text.trim_start();
    if text.starts_with('{') {
        parse_dovecot(text)
    } else {
        parse_dollar(text, true)
    }
}

fn parse_dovecot(text: &str) -> Result<ScramCredentials, StoredError> {
    // Leading whitespace is ignored here too, so that `parse_stored` and
    // `parse_stored_as(.., Dovecot)` agree.
    let rest = text
        .trim_start()
        .strip_prefix('{')
        .ok_or(StoredError::UnknownScheme(String::new()))?;
    let (scheme, fields) = rest
        .split_once('}')
        .ok_or(StoredError::MissingField("closing '}' of the scheme"))?;
    let hash = scheme_hash(scheme).ok_or_else(|| unknown(scheme))?;
    let mut it = fields.split(',');
    let iterations = it
        .next()
        .filter(|s| !s.is_empty())
        .ok_or(StoredError::MissingField("iteration count"))?;
    let salt = it.next().ok_or(StoredError::MissingField("salt"))?;
    let stored = it.next().ok_or(StoredError::MissingField("StoredKey"))?;
    let server = it.next().ok_or(StoredError::MissingField("ServerKey"))?;
    if it.next().is_some() {
        return Err(StoredError::TrailingData);
    }
    build(hash, iterations, salt, stored, server)
}

fn parse_dollar(text: &str, allow_spaces: bool) -> Result<ScramCredentials, StoredError> {
    let mut parts = text.split('$');
    let mut next = |what| {
        let p = parts.next().ok_or(StoredError::MissingField(what))?;
        Ok::<&str, StoredError>(if allow_spaces { p.trim_matches(' ') } else { p })
    };
    let scheme = next("scheme")?;
    let hash = scheme_hash(scheme).ok_or_else(|| unknown(scheme))?;
    let info = next("iteration count and salt")?;
    let value = next("StoredKey and ServerKey")?;
    if parts.next().is_some() {
        return Err(StoredError::TrailingData);
    }
    let (iterations, salt) = info
        .split_once(':')
        .ok_or(StoredError::MissingField("salt"))?;
    let (stored, server) = value
        .split_once(':')
        .ok_or(StoredError::MissingField("ServerKey"))?;
    if server.contains(':') || salt.contains(':') {
        return Err(StoredError::TrailingData);
    }
    build(hash, iterations, salt, stored, server)
}

/// Decodes canonical base64 into a buffer that is zeroized on drop (keys are secret),
/// sized up front so that decoding never reallocates and leaves a copy behind.
fn decode(field: &'static str, text: &str) -> Result<Zeroizing<Vec<u8>>, StoredError> {
    if !crate::messages::is_canonical_base64(text.as_bytes()) {
        return Err(StoredError::InvalidBase64(field));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(base64::decoded_len_estimate(text.len())));
    STANDARD
        .decode_vec(text, &mut out)
        .map_err(|_| StoredError::InvalidBase64(field))?;
    Ok(out)
}

fn build(
    hash: ScramHash,
    iterations: &str,
    salt: &str,
    stored: &str,
    server: &str,
) -> Result<ScramCredentials, StoredError> {
    let iterations = parse_posit_number(iterations.as_bytes())
        .filter(|n| *n <= MAX_STORED_ITERATIONS)
        .ok_or(StoredError::InvalidIterations)?;
    // Empty or longer than the longest salt's base64: a salt error, not a base64 one
    // (and no decoding of an oversized field). Canonical base64 that is not empty
    // decodes to at least one byte.
    if salt.is_empty() || salt.len() > MAX_STORED_SALT_LEN.div_ceil(3) * 4 {
        return Err(StoredError::InvalidSalt);
    }
    let salt = decode("salt", salt)?;
    if salt.len() > MAX_STORED_SALT_LEN {
        return Err(StoredError::InvalidSalt);
    }
    let expected = hash.output_len();
    // Zeroized on every early return (a wrong length, or the second key failing).
    let mut keys = [Zeroizing::new(Vec::new()), Zeroizing::new(Vec::new())];
    for ((slot, field), text) in keys
        .iter_mut()
        .zip(["StoredKey", "ServerKey"])
        .zip([stored, server])
    {
        if text.len() > 4 * 64 {
            return Err(StoredError::InvalidBase64(field));
        }
        let key = decode(field, text)?;
        if key.len() != expected {
            return Err(StoredError::WrongKeyLength {
                field,
                expected,
                found: key.len(),
            });
        }
        *slot = key;
    }
    let [stored, server] = &keys;
    // Copied into the credentials' secret storage; these vectors zeroize on drop.
    ScramCredentials::from_slices(hash, iterations, &salt, stored, server)
        .map_err(|_| StoredError::InvalidSalt)
}
