//! Credential types shared between the session API and the mechanisms.

use crate::small_bytes::SmallBytes;
use crate::{Error, Secret};
use std::sync::Arc;

use crate::hmac::HmacSchedules;

/// The hash function of a SCRAM mechanism family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramHash {
    /// SHA-1 (SCRAM-SHA-1, RFC 5802).
    Sha1,
    /// SHA-256 (SCRAM-SHA-256, RFC 7677).
    Sha256,
    /// SHA-512 (SCRAM-SHA-512, draft-melnikov-scram-sha-512).
    Sha512,
}

impl ScramHash {
    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            ScramHash::Sha1 => 20,
            ScramHash::Sha256 => 32,
            ScramHash::Sha512 => 64,
        }
    }

    /// The IANA hash name as used in the mechanism name (`SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            ScramHash::Sha1 => "SHA-1",
            ScramHash::Sha256 => "SHA-256",
            ScramHash::Sha512 => "SHA-512",
        }
    }
}

/// What a SCRAM server stores per user and hash: never the password.
///
/// Cloning is cheap and does not allocate: the fields live once behind an [`Arc`],
/// so an in-memory store can answer a lookup with `credentials.clone()` for free.
/// The keys are zeroized when the last clone is dropped.
///
/// Construction also computes the HMAC key schedules of both keys (four hash
/// compressions for SHA-256), once: every exchange that uses these credentials, or a
/// clone, starts its two HMACs from them, and so does the server's fake path for
/// unknown users, so both paths do the same work.
#[derive(Clone, Debug)]
pub struct ScramCredentials {
    inner: Arc<ScramCredentialsInner>,
}

/// The shared content of [`ScramCredentials`]: everything in the one allocation of
/// the `Arc` (a salt of up to [`INLINE_SALT`] bytes included), so that credentials
/// built per lookup from a row cost one allocation. The keys are a [`Secret`] and the
/// schedules zeroize themselves: all are zeroized when the last clone drops this
/// value.
#[derive(Debug)]
struct ScramCredentialsInner {
    hash: ScramHash,
    iterations: u32,
    salt: SmallBytes<INLINE_SALT>,
    /// StoredKey in the first `hash.output_len()` bytes, ServerKey in as many from
    /// byte [`MAX_KEY`].
    keys: Secret<[u8; 2 * MAX_KEY]>,
    schedules: HmacSchedules,
}

/// The longest key of any SCRAM hash (SHA-512).
const MAX_KEY: usize = 64;

/// The longest salt kept inside the credentials' allocation (real salts are 16 to 32
/// bytes).
const INLINE_SALT: usize = 64;

impl ScramCredentials {
    /// Checks and wraps stored credentials: the keys must be as long as the hash
    /// output, the salt non-empty and the iteration count at least 1.
    ///
    /// The keys are copied and the vectors zeroized. A store that reads rows of
    /// bytes can skip the vectors with [`from_slices`](Self::from_slices).
    pub fn new(
        hash: ScramHash,
        iterations: u32,
        salt: Vec<u8>,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, Error> {
        let stored_key = Secret::new(stored_key);
        let server_key = Secret::new(server_key);
        Self::from_slices(
            hash,
            iterations,
            &salt,
            stored_key.expose(),
            server_key.expose(),
        )
    }

    /// As [`new`](Self::new), copying from borrowed bytes (a database row): one
    /// allocation in all for salts of up to 64 bytes. The caller's copies of the
    /// keys stay the caller's to zeroize.
    ///
    /// Building credentials costs their key schedules, which an unknown user's
    /// lookup does not: a store that builds them per lookup and wants known and
    /// unknown names to cost it the same should cache what it builds, or build from
    /// a placeholder row on a miss (the SCRAM server itself does equal work for both).
    pub fn from_slices(
        hash: ScramHash,
        iterations: u32,
        salt: &[u8],
        stored_key: &[u8],
        server_key: &[u8],
    ) -> Result<Self, Error> {
        if iterations == 0 {
            return Err(Error::config("SCRAM iteration count must be at least 1"));
        }
        if salt.is_empty() {
            return Err(Error::config("SCRAM salt must not be empty"));
        }
        let len = hash.output_len();
        let mut keys = Secret::new([0u8; 2 * MAX_KEY]);
        let (stored, server) = keys.expose_mut().split_at_mut(MAX_KEY);
        match (
            stored.get_mut(..len),
            server.get_mut(..len),
            stored_key.len() == len && server_key.len() == len,
        ) {
            (Some(stored), Some(server), true) => {
                stored.copy_from_slice(stored_key);
                server.copy_from_slice(server_key);
            }
            _ => {
                return Err(Error::config(format!(
                    "SCRAM-{} keys must be {} bytes",
                    hash.name(),
                    len
                )));
            }
        }
        let schedules = HmacSchedules::new(hash, stored_key, server_key);
        Ok(Self {
            inner: Arc::new(ScramCredentialsInner {
                hash,
                iterations,
                salt: SmallBytes::copy(salt),
                keys,
                schedules,
            }),
        })
    }

    /// The hash these credentials were derived with.
    pub fn hash(&self) -> ScramHash {
        self.inner.hash
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.inner.iterations
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        self.inner.salt.as_slice()
    }

    /// `StoredKey = H(ClientKey)`.
    pub fn stored_key(&self) -> &[u8] {
        let len = self.inner.hash.output_len();
        self.inner.keys.expose().get(..len).unwrap_or_default()
    }

    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub fn server_key(&self) -> &[u8] {
        let len = self.inner.hash.output_len();
        self.inner
            .keys
            .expose()
            .get(MAX_KEY..MAX_KEY + len)
            .unwrap_or_default()
    }

    /// The HMAC key schedules (inner and outer pad states) of StoredKey and
    /// ServerKey, computed once in [`new`](Self::new).
    ///
    /// A SCRAM server computes `ClientSignature = HMAC(StoredKey, AuthMessage)` and
    /// `ServerSignature = HMAC(ServerKey, AuthMessage)` from them without re-deriving
    /// the key pads per exchange (see the [`hmac`](crate::hmac) module). Treat the
    /// result like the keys.
    pub fn hmac_schedules(&self) -> &HmacSchedules {
        &self.inner.schedules
    }
}

/// Keys a SCRAM client derived from the password for one (hash, salt, iterations),
/// cached by the application so that later logins skip PBKDF2.
///
/// A successful SCRAM login hands these back (see
/// [`ClientSuccess::scram_keys`](crate::ClientSuccess::scram_keys)); pass them in
/// [`ClientCredentials::with_scram_keys`] next time. Treat them like the password.
///
/// Like [`ScramCredentials`], cloning is cheap and does not allocate (the fields live
/// once behind an [`Arc`], zeroized when the last clone drops), and construction
/// computes, once, what every exchange with these keys needs besides the keys:
/// `StoredKey = H(ClientKey)` and the HMAC key schedules of StoredKey and ServerKey
/// (five hash compressions for SHA-256), so that a login from cached keys starts its
/// HMACs from them.
#[derive(Clone, Debug)]
pub struct ScramKeys {
    inner: Arc<ScramKeysInner>,
}

/// The shared content of [`ScramKeys`]; keys are [`Secret`]s, the schedules zeroize
/// themselves.
#[derive(Debug)]
struct ScramKeysInner {
    hash: ScramHash,
    iterations: u32,
    salt: Vec<u8>,
    client_key: Secret<Vec<u8>>,
    server_key: Secret<Vec<u8>>,
    stored_key: Secret<Vec<u8>>,
    schedules: HmacSchedules,
}

/// `H(data)` for a SCRAM hash (empty for a hash this crate does not know).
fn scram_digest(hash: ScramHash, data: &[u8]) -> Secret<Vec<u8>> {
    use sha2::Digest as _;
    Secret::new(match hash {
        ScramHash::Sha1 => sha1::Sha1::digest(data).to_vec(),
        ScramHash::Sha256 => sha2::Sha256::digest(data).to_vec(),
        ScramHash::Sha512 => sha2::Sha512::digest(data).to_vec(),
    })
}

impl ScramKeys {
    /// Wraps derived keys. Fails if the key lengths do not fit the hash.
    pub fn new(
        hash: ScramHash,
        iterations: u32,
        salt: Vec<u8>,
        client_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, Error> {
        let client_key = Secret::new(client_key);
        let server_key = Secret::new(server_key);
        if client_key.expose().len() != hash.output_len()
            || server_key.expose().len() != hash.output_len()
        {
            return Err(Error::config("SCRAM key length does not fit the hash"));
        }
        let stored_key = scram_digest(hash, client_key.expose());
        let schedules = HmacSchedules::new(hash, stored_key.expose(), server_key.expose());
        Ok(Self {
            inner: Arc::new(ScramKeysInner {
                hash,
                iterations,
                salt,
                client_key,
                server_key,
                stored_key,
                schedules,
            }),
        })
    }

    /// Whether these keys were derived for exactly these parameters.
    pub fn matches(&self, hash: ScramHash, salt: &[u8], iterations: u32) -> bool {
        self.inner.hash == hash && self.inner.iterations == iterations && self.inner.salt == salt
    }

    /// The hash.
    pub fn hash(&self) -> ScramHash {
        self.inner.hash
    }

    /// The iteration count.
    pub fn iterations(&self) -> u32 {
        self.inner.iterations
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.inner.salt
    }

    /// `ClientKey = HMAC(SaltedPassword, "Client Key")`.
    pub fn client_key(&self) -> &[u8] {
        self.inner.client_key.expose()
    }

    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub fn server_key(&self) -> &[u8] {
        self.inner.server_key.expose()
    }

    /// `StoredKey = H(ClientKey)`, computed once in [`new`](Self::new).
    pub fn stored_key(&self) -> &[u8] {
        self.inner.stored_key.expose()
    }

    /// The HMAC key schedules of StoredKey and ServerKey (see
    /// [`ScramCredentials::hmac_schedules`]), computed once in [`new`](Self::new):
    /// the client's `ClientSignature` and expected `ServerSignature` start from them
    /// (see the [`hmac`](crate::hmac) module). Treat the result like the keys.
    pub fn hmac_schedules(&self) -> &HmacSchedules {
        &self.inner.schedules
    }
}

/// What a client authenticates with.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ClientCredentials {
    authcid: String,
    authzid: Option<String>,
    password: Option<Secret<String>>,
    password_on_demand: bool,
    bearer_token: Option<Secret<String>>,
    token_on_demand: bool,
    passkey: bool,
    scram_keys: Vec<ScramKeys>,
}

impl ClientCredentials {
    /// Credentials for the authentication identity (user name) `authcid`.
    pub fn new(authcid: impl Into<String>) -> Self {
        Self {
            authcid: authcid.into(),
            ..Self::default()
        }
    }

    /// Adds the password.
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Secret::new(password.into()));
        self
    }

    /// Gives no password now: mechanisms that need one ask for it with a
    /// [`ClientRequest::Password`](crate::ClientRequest::Password) when they get there
    /// (SCRAM only if no cached key fits the server's salt and iteration count), so a
    /// client can prompt the user lazily or fetch the password from a keyring only
    /// when needed.
    pub fn with_password_on_demand(mut self) -> Self {
        self.password_on_demand = true;
        self
    }

    /// Whether a password-based mechanism can get a password: given, or on demand.
    pub fn has_password_source(&self) -> bool {
        self.password.is_some() || self.password_on_demand
    }

    /// Adds an OAuth 2.0 bearer token (OAUTHBEARER, XOAUTH2). The authcid is then the
    /// user the token is for (XOAUTH2's `user=`, OAUTHBEARER's authzid when no other
    /// is asked for).
    pub fn with_bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(Secret::new(token.into()));
        self
    }

    /// Gives no token now: OAUTHBEARER and XOAUTH2 ask for one with a
    /// [`ClientRequest::Token`](crate::ClientRequest::Token) when they start, so a
    /// client fetches or refreshes its access token only for a mechanism that uses it.
    pub fn with_token_on_demand(mut self) -> Self {
        self.token_on_demand = true;
        self
    }

    /// Whether a token-based mechanism can get a bearer token: given, or on demand.
    pub fn has_token_source(&self) -> bool {
        self.bearer_token.is_some() || self.token_on_demand
    }

    /// The bearer token, if given.
    pub fn bearer_token(&self) -> Option<&str> {
        self.bearer_token.as_ref().map(|t| t.expose().as_str())
    }

    /// Says the application can answer passkey assertion requests
    /// ([`ClientRequest::PasskeyAssertion`](crate::ClientRequest::PasskeyAssertion):
    /// a platform passkey API or a software authenticator), so PASSKEY may be chosen.
    /// An empty authcid then means the discoverable flow (the authenticator picks the
    /// account).
    pub fn with_passkey(mut self) -> Self {
        self.passkey = true;
        self
    }

    /// Whether the application can answer passkey assertion requests.
    pub fn has_passkey(&self) -> bool {
        self.passkey
    }

    /// Asks to act as another identity (authzid). An empty string means none.
    pub fn with_authzid(mut self, authzid: impl Into<String>) -> Self {
        let z = authzid.into();
        self.authzid = if z.is_empty() { None } else { Some(z) };
        self
    }

    /// Adds cached SCRAM keys from an earlier login (several may be given, e.g. one
    /// per hash).
    pub fn with_scram_keys(mut self, keys: ScramKeys) -> Self {
        self.scram_keys.push(keys);
        self
    }

    /// The authentication identity.
    pub fn authcid(&self) -> &str {
        &self.authcid
    }

    /// The requested authorization identity, if any.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The password, if given.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.expose().as_str())
    }

    /// Cached SCRAM keys matching these parameters, if any.
    pub fn scram_keys_for(
        &self,
        hash: ScramHash,
        salt: &[u8],
        iterations: u32,
    ) -> Option<&ScramKeys> {
        self.scram_keys
            .iter()
            .find(|k| k.matches(hash, salt, iterations))
    }

    /// Whether any SCRAM keys for this hash are cached.
    pub fn has_scram_keys(&self, hash: ScramHash) -> bool {
        self.scram_keys.iter().any(|k| k.hash() == hash)
    }
}
