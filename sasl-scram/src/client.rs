//! The SCRAM client: bounded against a hostile server, and mutual authentication is
//! mandatory.

use crate::hash::{Alg, Digest, MAX_OUT, MacMessage, StoredMac, schedules_mac};
use crate::messages::{
    MAX_MESSAGE_LEN, MAX_NONCE_LEN, ServerErrorValue, ServerFinal, append_base64,
    checked_fixed_nonce, decode_canonical_base64, escape_saslname, parse_server_final,
    parse_server_first,
};
use crate::prep::{PasswordPrep, UsernamePrep, salted_password};
use crate::session::{ScramClientFactory, ScramVariant, mechanism_for};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sasl_core::gs2::is_sendable_saslname;
use sasl_core::{
    ChannelBinding, ChannelBindingPolicy, ChannelBindingType, ClientContext, ClientCredentials,
    ClientFailure, ClientInput, ClientMechanism, ClientOutcome, ClientRequest, ClientStep,
    ClientSuccess, ConfigError, ConnectionInfo, Error, FailureKind, MechanismName, Misuse,
    PasswordPrompt, ScramKeys, Secret, ServerReply, SharedRandom, thread_random,
};
use std::sync::Arc;

const MIN_NONCE_BYTES: usize = 18;
const MAX_NONCE_BYTES: usize = 48;
/// Longest random client nonce in characters (base64 of
/// [`MAX_NONCE_BYTES`]).
const MAX_RANDOM_NONCE_CHARS: usize = MAX_NONCE_BYTES.div_ceil(3) * 4;

/// Client settings: the bounds on what the server controls, and normalisation.
///
/// Defaults: iterations 4096..=1_000_000 (4096 is the registry minimum for SHA-1 and
/// SHA-256; the SHA-512 draft asks servers for 10000, but the default window accepts
/// 4096 for every hash so that servers using one count for all families
/// interoperate — raise it with [`with_iterations`](Self::with_iterations)), salt
/// 8..=256 bytes, a server nonce part of at least 8 characters, SASLprep for the
/// password (stored mode) and user name (query mode), 18-byte client nonces from the
/// [thread-local CSPRNG](sasl_core::ThreadRandom) (see there for the fork-safety
/// note; [`with_random`](Self::with_random)`(`[`os_random`](sasl_core::os_random)`())`
/// draws every nonce from the OS instead).
#[derive(Clone)]
pub struct ScramClientConfig {
    random: SharedRandom,
    min_iterations: u32,
    max_iterations: u32,
    min_salt_len: usize,
    max_salt_len: usize,
    min_server_nonce_len: usize,
    password_prep: PasswordPrep,
    username_prep: UsernamePrep,
    nonce_len: usize,
}

impl core::fmt::Debug for ScramClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScramClientConfig")
            .field("min_iterations", &self.min_iterations)
            .field("max_iterations", &self.max_iterations)
            .field("min_salt_len", &self.min_salt_len)
            .field("max_salt_len", &self.max_salt_len)
            .field("min_server_nonce_len", &self.min_server_nonce_len)
            .field("password_prep", &self.password_prep)
            .field("username_prep", &self.username_prep)
            .field("nonce_len", &self.nonce_len)
            .finish_non_exhaustive()
    }
}

impl Default for ScramClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ScramClientConfig {
    /// The defaults described on the type.
    pub fn new() -> Self {
        Self {
            random: thread_random(),
            min_iterations: 4096,
            max_iterations: 1_000_000,
            min_salt_len: 8,
            max_salt_len: 256,
            min_server_nonce_len: 8,
            password_prep: PasswordPrep::SaslPrep,
            username_prep: UsernamePrep::SaslPrep,
            nonce_len: MIN_NONCE_BYTES,
        }
    }

    /// The accepted iteration window. A huge count from a hostile server would make
    /// the client burn CPU (RFC 5802 §9); a tiny one weakens the stored keys.
    /// Fails unless `1 <= min <= max`.
    pub fn with_iterations(mut self, min: u32, max: u32) -> Result<Self, Error> {
        if min == 0 || min > max {
            return Err(Error::config(
                "SCRAM iteration window must satisfy 1 <= min <= max",
            ));
        }
        self.min_iterations = min;
        self.max_iterations = max;
        Ok(self)
    }

    /// The accepted salt length window in bytes. Fails unless `1 <= min <= max <= 4096`.
    pub fn with_salt_len(mut self, min: usize, max: usize) -> Result<Self, Error> {
        if min == 0 || min > max || max > 4096 {
            return Err(Error::config(
                "SCRAM salt window must satisfy 1 <= min <= max <= 4096",
            ));
        }
        self.min_salt_len = min;
        self.max_salt_len = max;
        Ok(self)
    }

    /// The least number of characters the server must add to the client nonce
    /// (1 to 448: the combined nonce is at most 512 bytes, and the longest random
    /// client nonce takes 64 of them).
    pub fn with_min_server_nonce_len(mut self, len: usize) -> Self {
        // Past 448 no server-first could be accepted with a random client nonce.
        self.min_server_nonce_len = len.clamp(1, MAX_NONCE_LEN - MAX_RANDOM_NONCE_CHARS);
        self
    }

    /// How the password is normalised before key derivation.
    pub fn with_password_prep(mut self, prep: PasswordPrep) -> Self {
        self.password_prep = prep;
        self
    }

    /// How the user name is prepared before it is sent.
    pub fn with_username_prep(mut self, prep: UsernamePrep) -> Self {
        self.username_prep = prep;
        self
    }

    /// Random bytes per client nonce (18 to 48; default 18).
    pub fn with_nonce_len(mut self, bytes: usize) -> Self {
        self.nonce_len = bytes.clamp(MIN_NONCE_BYTES, MAX_NONCE_BYTES);
        self
    }

    /// Uses another random source (tests use a deterministic one).
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = random;
        self
    }

    /// The accepted iteration window.
    pub fn iterations(&self) -> (u32, u32) {
        (self.min_iterations, self.max_iterations)
    }

    /// The password normalisation.
    pub fn password_prep(&self) -> PasswordPrep {
        self.password_prep
    }
}

/// The GS2 flag the client sends, decided from the mechanism and the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CbChoice {
    /// `n`: no binding (none available, or the server offered `-PLUS` but the
    /// application chose the bare mechanism).
    None,
    /// `y`: could bind, but the server did not advertise `-PLUS`.
    Unused,
    /// `p=<type>`.
    Bound(ChannelBinding),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    AwaitServerFirst,
    /// The server-first message needs a password the credentials did not hold; it
    /// is kept until the application supplies one.
    AwaitPassword,
    AwaitServerFinal,
    Verified,
    Done,
}

/// One SCRAM client exchange, as a typed state machine.
///
/// It implements [`ClientMechanism`]: drive it directly (`start`, `step`, `finish`) or
/// wrap it in a [`ClientSession`](sasl_core::ClientSession). Usually made by a factory
/// ([`ScramClient::factory`], [`client_factories`](crate::client_factories)).
///
/// Channel-binding flag (RFC 5802 §6, RFC 5801 §5): a `-PLUS` mechanism sends
/// `p=<type>` with the connection's [preferred binding](ConnectionInfo::preferred_binding);
/// a bare mechanism sends `y` when the client could bind but the server did not
/// advertise `-PLUS` (so a server that can bind detects the downgrade), and `n`
/// otherwise. In particular a bare mechanism started while the server *did* offer
/// `-PLUS` sends `n`: the application chose not to bind, and `y` would be a false
/// downgrade alarm that a correct server must reject. Registries pick `-PLUS` first.
pub struct ScramClient {
    config: Arc<ScramClientConfig>,
    alg: Alg,
    mechanism: MechanismName,
    credentials: ClientCredentials,
    cb: CbChoice,
    can_bind: bool,
    server_first_message: Vec<u8>,
    fixed_nonce: Option<String>,
    state: State,
    client_first: String,
    gs2_len: usize,
    /// Where the client nonce starts in `client_first` (it runs to the end).
    nonce_at: usize,
    server_signature: Digest,
    new_keys: Option<ScramKeys>,
}

impl core::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScramClient")
            .field("mechanism", &self.mechanism)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// Starts one exchange of `SCRAM-<hash>[-PLUS]`.
    ///
    /// Whether the server advertised any SCRAM `-PLUS` mechanism, of this hash or
    /// another, is set afterwards with [`server_offered_plus`](Self::server_offered_plus)
    /// (it decides between `y` and `n`: a server that offers any `-PLUS` supports
    /// channel binding and rejects `y`, RFC 5802 §6). Fails with
    /// [`ConfigError::MechanismNotAvailable`] for `-PLUS` without channel-binding data,
    /// [`Error::Config`] for a bare mechanism on a connection whose policy is
    /// [`ChannelBindingPolicy::Required`] (a bare mechanism cannot bind),
    /// [`ConfigError::MissingCredentials`] without a password source or cached keys
    /// for this hash, [`Error::Config`] for an unknown hash.
    pub fn new(
        config: impl Into<Arc<ScramClientConfig>>,
        variant: ScramVariant,
        credentials: ClientCredentials,
        connection: &ConnectionInfo,
    ) -> Result<Self, Error> {
        let alg = Alg::require(variant.hash())?;
        Self::with_alg(
            config.into(),
            alg,
            variant.is_plus(),
            credentials,
            connection,
            false,
        )
    }

    /// Says whether the server advertised any SCRAM `-PLUS` mechanism, of this hash or
    /// another (the registry does this from the server's list). A bare client that can
    /// bind sends `y` when none was offered (the default) and `n` when one was.
    pub fn server_offered_plus(mut self, offered: bool) -> Self {
        if let CbChoice::Unused | CbChoice::None = self.cb {
            self.cb = if self.can_bind && !offered {
                CbChoice::Unused
            } else {
                CbChoice::None
            };
        }
        self
    }

    /// Starts one exchange from a registry's [`ClientContext`].
    pub fn from_context(
        config: impl Into<Arc<ScramClientConfig>>,
        variant: ScramVariant,
        context: &ClientContext<'_>,
    ) -> Result<Self, Error> {
        Self::new(
            config,
            variant,
            context.credentials.clone(),
            context.connection,
        )
        .map(|c| c.server_offered_plus(context.server_offers_plus))
    }

    pub(crate) fn with_alg(
        config: Arc<ScramClientConfig>,
        alg: Alg,
        plus: bool,
        credentials: ClientCredentials,
        connection: &ConnectionInfo,
        server_offers_plus: bool,
    ) -> Result<Self, Error> {
        let mechanism = mechanism_for(alg, plus);
        // A bare mechanism never binds (it sends `n` or `y`), so it cannot satisfy a
        // connection that requires binding: refuse to start rather than report an
        // unbound success. (`-PLUS` always binds, or fails below without data.)
        if !plus && connection.policy() == ChannelBindingPolicy::Required {
            return Err(Error::config(format!(
                "{mechanism} cannot be used: the connection requires channel binding (use the -PLUS variant)"
            )));
        }
        let cb = if plus {
            match connection.preferred_binding() {
                Some(b) => CbChoice::Bound(b.clone()),
                None => {
                    return Err(ConfigError::MechanismNotAvailable(mechanism.to_string()).into());
                }
            }
        } else if connection.can_bind() && !server_offers_plus {
            CbChoice::Unused
        } else {
            CbChoice::None
        };
        if !credentials.has_password_source() && !credentials.has_scram_keys(alg.hash()) {
            return Err(ConfigError::MissingCredentials(
                "SCRAM needs a password or cached keys for this hash",
            )
            .into());
        }
        Ok(Self {
            config,
            alg,
            mechanism,
            credentials,
            cb,
            can_bind: connection.can_bind(),
            server_first_message: Vec::new(),
            fixed_nonce: None,
            state: State::New,
            client_first: String::new(),
            gs2_len: 0,
            nonce_at: 0,
            server_signature: Digest::empty(),
            new_keys: None,
        })
    }

    /// A factory for the client registry
    /// ([`ClientRegistry::with`](sasl_core::ClientRegistry::with)).
    pub fn factory(
        config: impl Into<Arc<ScramClientConfig>>,
        variant: ScramVariant,
    ) -> Result<ScramClientFactory, Error> {
        ScramClientFactory::new(config.into(), variant)
    }

    /// Uses a fixed client nonce instead of a random one. **Only for reproducing
    /// published test vectors**: a predictable nonce breaks SCRAM's replay
    /// protection. Fails if the nonce is empty or not printable, or so long that the
    /// server part the configuration requires
    /// ([`with_min_server_nonce_len`](ScramClientConfig::with_min_server_nonce_len))
    /// cannot fit within the 512-byte combined nonce.
    pub fn with_client_nonce(mut self, nonce: &str) -> Result<Self, Error> {
        // Such a nonce would make every server-first fail the combined bound.
        if nonce.len() > MAX_NONCE_LEN.saturating_sub(self.config.min_server_nonce_len) {
            return Err(Error::config(format!(
                "SCRAM client nonce must leave room for the server nonce part: at most {} characters",
                MAX_NONCE_LEN.saturating_sub(self.config.min_server_nonce_len)
            )));
        }
        self.fixed_nonce = Some(checked_fixed_nonce(nonce)?);
        Ok(self)
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    fn abort(&mut self, kind: FailureKind, detail: &'static str) -> ClientStep {
        self.state = State::Done;
        ClientStep::Abort(ClientFailure::new(kind, detail))
    }

    fn client_first_message(&mut self) -> Result<ClientStep, Error> {
        let Some(user) = self.config.username_prep.apply(self.credentials.authcid()) else {
            return Ok(self.abort(
                FailureKind::InvalidCredentials,
                "the user name fails preparation or is empty",
            ));
        };
        // SASLprep and PRECIS refuse NUL, but `UsernamePrep::None` passes names as
        // given; a server must refuse a NUL in a saslname (RFC 5802 §5.1), and one
        // built on sasl-core refuses names over `MAX_SASLNAME_LEN` escaped, so send
        // neither. (`,` and `=` themselves are fine: `escape_saslname` encodes them.)
        if !is_sendable_saslname(&user) {
            return Ok(self.abort(
                FailureKind::InvalidCredentials,
                "the user name contains NUL or is over 1024 bytes escaped",
            ));
        }
        // The authzid is sent as given (no preparation), escaped like the user name.
        if self
            .credentials
            .authzid()
            .is_some_and(|z| !is_sendable_saslname(z))
        {
            return Ok(self.abort(
                FailureKind::InvalidCredentials,
                "the authorization identity contains NUL or is over 1024 bytes escaped",
            ));
        }
        let mut m = String::with_capacity(64 + user.len());
        match &self.cb {
            CbChoice::None => m.push_str("n,"),
            CbChoice::Unused => m.push_str("y,"),
            CbChoice::Bound(b) => {
                m.push_str("p=");
                m.push_str(b.kind().name());
                m.push(',');
            }
        }
        if let Some(z) = self.credentials.authzid() {
            m.push_str("a=");
            escape_saslname(z, &mut m);
        }
        m.push(',');
        self.gs2_len = m.len();
        m.push_str("n=");
        escape_saslname(&user, &mut m);
        m.push_str(",r=");
        self.nonce_at = m.len();
        match &self.fixed_nonce {
            Some(n) => m.push_str(n),
            None => {
                let mut raw = [0u8; MAX_NONCE_BYTES];
                let raw = raw.get_mut(..self.config.nonce_len).unwrap_or_default();
                if let Err(e) = self.config.random.fill(raw) {
                    self.state = State::Done;
                    return Err(e);
                }
                // Unpadded base64 (ASCII, never a ','), with the small encoder the
                // server uses rather than the general engine.
                let mut bytes = m.into_bytes();
                append_base64(&mut bytes, raw, false);
                m = String::from_utf8(bytes).unwrap_or_default();
            }
        }
        self.client_first = m;
        self.state = State::AwaitServerFirst;
        Ok(ClientStep::Respond(Secret::new(
            self.client_first.as_bytes().to_vec(),
        )))
    }

    fn bare(&self) -> &str {
        self.client_first.get(self.gs2_len..).unwrap_or_default()
    }

    fn client_nonce(&self) -> &str {
        // The bare message ends with "r=<nonce>" (the client sends no extensions).
        self.client_first.get(self.nonce_at..).unwrap_or_default()
    }

    fn server_first(&mut self, msg: &[u8]) -> ClientStep {
        // RFC 5802 has no error at this step, but deployed servers (scramp, for example)
        // send `e=...` in place of the server-first; keep their reason for the caller.
        if msg.starts_with(b"e=") {
            self.state = State::Done;
            return ClientStep::Abort(match parse_server_final(msg) {
                Ok(ServerFinal::Error(value)) => failure_for_server_error(value),
                _ => ClientFailure::new(FailureKind::Protocol, "malformed server error"),
            });
        }
        match self.server_first_inner(msg) {
            Ok(reply) => {
                self.state = State::AwaitServerFinal;
                ClientStep::Respond(Secret::new(reply))
            }
            Err(Unanswerable::NeedPassword) => {
                // Only now is it known that no cached key fits: ask for the password.
                self.state = State::AwaitPassword;
                self.server_first_message = msg.to_vec();
                ClientStep::Request(ClientRequest::Password(PasswordPrompt::new(
                    self.mechanism.clone(),
                    self.credentials.authcid(),
                )))
            }
            Err(Unanswerable::Fail(kind, detail)) => self.abort(kind, detail),
        }
    }

    fn server_first_inner(&mut self, msg: &[u8]) -> Result<Vec<u8>, Unanswerable> {
        const P: FailureKind = FailureKind::Protocol;
        let parsed = parse_server_first(msg).map_err(|(k, d)| Unanswerable::Fail(k, d))?;
        let cnonce = self.client_nonce();
        let Some(extension) = parsed.nonce.strip_prefix(cnonce) else {
            return Err(Unanswerable::Fail(
                P,
                "server nonce does not start with the client nonce",
            ));
        };
        if extension.len() < self.config.min_server_nonce_len {
            return Err(Unanswerable::Fail(P, "server nonce part is too short"));
        }
        let max_salt_b64 = self.config.max_salt_len.div_ceil(3) * 4;
        if parsed.salt.len() > max_salt_b64 {
            return Err(Unanswerable::Fail(P, "salt is too long"));
        }
        // Decoded on the stack when it fits (salts are 16 to 64 bytes in practice),
        // with the canonical decoder, which accepts exactly what the strict engine
        // does except the empty string (an empty salt fails the length window below).
        let mut salt_buf = [0u8; 96];
        let heap_salt;
        let salt: &[u8] = if parsed.salt.is_empty() {
            &[]
        } else {
            match decode_canonical_base64(parsed.salt, &mut salt_buf) {
                Some(n) if n <= salt_buf.len() => salt_buf.get(..n).unwrap_or_default(),
                Some(_) => {
                    heap_salt = STANDARD
                        .decode(parsed.salt)
                        .map_err(|_| Unanswerable::Fail(P, "salt is not valid base64"))?;
                    &heap_salt
                }
                None => return Err(Unanswerable::Fail(P, "salt is not valid base64")),
            }
        };
        if salt.len() < self.config.min_salt_len || salt.len() > self.config.max_salt_len {
            return Err(Unanswerable::Fail(
                P,
                "salt length is outside the accepted window",
            ));
        }
        let iterations = parsed.iterations;
        if iterations < self.config.min_iterations || iterations > self.config.max_iterations {
            return Err(Unanswerable::Fail(
                P,
                "iteration count is outside the accepted window",
            ));
        }
        let hash = self.alg.hash();
        // The keys with StoredKey and the HMAC key schedules computed once when they
        // were made: cached keys (shared, not copied), or keys derived now (and handed
        // back at success for the application to cache).
        let keys = if let Some(keys) = self.credentials.scram_keys_for(hash, salt, iterations) {
            // Cached keys for exactly this (hash, salt, iterations): skip PBKDF2.
            keys.clone()
        } else {
            let Some(password) = self.credentials.password() else {
                return Err(if self.credentials.has_password_source() {
                    Unanswerable::NeedPassword
                } else {
                    Unanswerable::Fail(
                        FailureKind::InvalidCredentials,
                        "no password, and no cached keys for the server's salt and iterations",
                    )
                });
            };
            let Some(salted) = salted_password(
                self.alg,
                self.config.password_prep,
                password,
                salt,
                iterations,
            ) else {
                return Err(Unanswerable::Fail(
                    FailureKind::InvalidCredentials,
                    "the password fails normalisation",
                ));
            };
            let key = self.alg.mac_key(salted.as_slice());
            let ck = key.mac(&[b"Client Key"]);
            let sk = key.mac(&[b"Server Key"]);
            let Ok(keys) = ScramKeys::new(
                hash,
                iterations,
                salt.to_vec(),
                ck.as_slice().to_vec(),
                sk.as_slice().to_vec(),
            ) else {
                return Err(Unanswerable::Fail(
                    FailureKind::Internal,
                    "derived keys do not fit the hash",
                ));
            };
            self.new_keys = Some(keys.clone());
            keys
        };

        // client-final-message-without-proof = "c=" base64(gs2-header [cb-data]) ",r=" nonce
        let gs2 = self.client_first.get(..self.gs2_len).unwrap_or_default();
        let cb_data = match &self.cb {
            CbChoice::Bound(b) => b.data(),
            _ => &[],
        };
        let mut reply = Vec::with_capacity(
            parsed.nonce.len() + (gs2.len() + cb_data.len()) * 2 + 2 * MAX_OUT + 16,
        );
        reply.extend_from_slice(b"c=");
        if cb_data.is_empty() {
            append_base64(&mut reply, gs2.as_bytes(), true);
        } else {
            let mut cbind = Vec::with_capacity(gs2.len() + cb_data.len());
            cbind.extend_from_slice(gs2.as_bytes());
            cbind.extend_from_slice(cb_data);
            append_base64(&mut reply, &cbind, true);
        }
        reply.extend_from_slice(b",r=");
        reply.extend_from_slice(parsed.nonce.as_bytes());

        let auth_message: [&[u8]; 5] = [self.bare().as_bytes(), b",", msg, b",", &reply];
        let auth_message = MacMessage::new(self.alg, &auth_message);
        let schedules = keys.hmac_schedules();
        let mut proof = schedules_mac(schedules, StoredMac::StoredKey, &auth_message);
        proof.xor_with(keys.client_key());
        self.server_signature = schedules_mac(schedules, StoredMac::ServerKey, &auth_message);
        reply.extend_from_slice(b",p=");
        append_base64(&mut reply, proof.as_slice(), true);
        Ok(reply)
    }

    /// Checks a server-final message; `Ok` only for a `v=` that matches.
    fn verify_server_final(&self, msg: &[u8]) -> Result<(), ClientFailure> {
        match parse_server_final(msg) {
            Err((kind, detail)) => Err(ClientFailure::new(kind, detail)),
            Ok(ServerFinal::Error(value)) => Err(failure_for_server_error(value)),
            Ok(ServerFinal::Verifier(v)) => {
                let mut buf = [0u8; MAX_OUT + 3];
                // Not canonical base64, or longer than any digest: nothing matches.
                let n = decode_canonical_base64(v, &mut buf).unwrap_or(0);
                let got = buf.get(..n).unwrap_or_default();
                let expected = self.server_signature.as_slice();
                let ok = !expected.is_empty()
                    && got.len() == expected.len()
                    && bool::from(self.server_signature.ct_eq(got));
                if ok {
                    Ok(())
                } else {
                    Err(ClientFailure::new(
                        FailureKind::ServerNotAuthenticated,
                        "server signature does not verify",
                    ))
                }
            }
        }
    }

    fn success(&mut self) -> ClientOutcome {
        let kind = match &self.cb {
            CbChoice::Bound(b) => Some(b.kind()),
            _ => None,
        };
        ClientOutcome::Success(
            ClientSuccess::new(self.mechanism.clone())
                .with_server_verified(true)
                .with_channel_binding(kind)
                .with_scram_keys(self.new_keys.take()),
        )
    }

    /// The channel-binding type this exchange binds with, if any.
    pub fn channel_binding(&self) -> Option<ChannelBindingType> {
        match &self.cb {
            CbChoice::Bound(b) => Some(b.kind()),
            _ => None,
        }
    }
}

/// Maps a server `e=` value to a local failure, keeping the value (unknown ones
/// become `other-error`, as RFC 5802 says).
fn failure_for_server_error(value: &str) -> ClientFailure {
    use ServerErrorValue as E;
    let parsed = E::from_wire(value);
    let kind = match parsed {
        E::InvalidProof => FailureKind::InvalidCredentials,
        E::UnknownUser => FailureKind::UnknownUser,
        E::ChannelBindingsDontMatch => FailureKind::ChannelBindingMismatch,
        E::ServerDoesSupportChannelBinding => FailureKind::ChannelBindingDowngrade,
        E::ChannelBindingNotSupported | E::UnsupportedChannelBindingType => {
            FailureKind::ChannelBindingUnsupported
        }
        E::InvalidEncoding | E::ExtensionsNotSupported | E::InvalidUsernameEncoding => {
            FailureKind::Protocol
        }
        E::NoResources => FailureKind::Temporary,
        E::OtherError => FailureKind::Rejected,
    };
    ClientFailure::new(kind, "server sent a SCRAM error").with_server_error(parsed.as_str())
}

/// Why a server-first message cannot be answered: a failure, or (only with a password
/// on demand) the password the credentials did not hold.
enum Unanswerable {
    Fail(FailureKind, &'static str),
    NeedPassword,
}

impl ClientMechanism for ScramClient {
    fn start(&mut self) -> Result<ClientStep, Error> {
        if self.state != State::New {
            return Err(Error::Misuse(sasl_core::Misuse::AlreadyStarted));
        }
        self.client_first_message()
    }

    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        if challenge.len() > MAX_MESSAGE_LEN {
            return Ok(self.abort(FailureKind::MessageTooLarge, "server message too long"));
        }
        Ok(match self.state {
            State::New => return Err(Error::Misuse(sasl_core::Misuse::NotStarted)),
            State::Done => return Err(Error::Misuse(sasl_core::Misuse::Finished)),
            State::AwaitPassword => return Err(Misuse::RequestPending.into()),
            State::AwaitServerFirst => self.server_first(challenge),
            State::AwaitServerFinal => match self.verify_server_final(challenge) {
                Ok(()) => {
                    // The server-final arrived as a challenge (IMAP, SMTP): answer with an
                    // empty response and wait for the outcome.
                    self.state = State::Verified;
                    ClientStep::Respond(Secret::new(Vec::new()))
                }
                Err(failure) => {
                    self.state = State::Done;
                    ClientStep::Abort(failure)
                }
            },
            State::Verified => self.abort(
                FailureKind::Protocol,
                "unexpected challenge after the server-final message",
            ),
        })
    }

    fn provide(&mut self, input: ClientInput) -> Result<ClientStep, Error> {
        if self.state != State::AwaitPassword {
            return Err(Misuse::NoRequestPending.into());
        }
        let ClientInput::Password(password) = input else {
            return Ok(self.abort(
                FailureKind::Internal,
                "the answer to a password request was not a password",
            ));
        };
        self.credentials = self
            .credentials
            .clone()
            .with_password(password.expose().as_str());
        let server_first = core::mem::take(&mut self.server_first_message);
        self.state = State::AwaitServerFirst;
        Ok(self.server_first(&server_first))
    }

    fn finish(&mut self, outcome: ServerReply) -> Result<ClientOutcome, Error> {
        let state = self.state;
        if state == State::Done {
            return Err(Error::Misuse(sasl_core::Misuse::Finished));
        }
        if state == State::New {
            return Err(Error::Misuse(sasl_core::Misuse::NotStarted));
        }
        self.state = State::Done;
        Ok(match outcome {
            ServerReply::Failure(reply) => {
                ClientOutcome::Failure(ClientFailure::from_reply(&reply))
            }
            ServerReply::Success { additional_data } => {
                match (state, additional_data) {
                    // Data with success (XMPP, LDAP) must be a valid server-final, even
                    // if one already arrived as a challenge.
                    (State::AwaitServerFinal | State::Verified, Some(data)) => {
                        match self.verify_server_final(&data) {
                            Ok(()) => self.success(),
                            Err(f) => ClientOutcome::Failure(f),
                        }
                    }
                    (State::Verified, None) => self.success(),
                    _ => ClientOutcome::Failure(ClientFailure::new(
                        FailureKind::ServerNotAuthenticated,
                        "server reported success without proving itself (no valid v=)",
                    )),
                }
            }
        })
    }
}
