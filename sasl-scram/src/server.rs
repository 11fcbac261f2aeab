//! The SCRAM server: works from stored credentials only.

use crate::hash::{Alg, MAX_OUT, MacMessage, Prf, StoredMac, credentials_mac};
use crate::messages::{
    self, Flag, MAX_MESSAGE_LEN, MAX_NONCE_LEN, Reject, ServerErrorValue, append_base64,
    checked_fixed_nonce, parse_client_final, parse_client_first,
};
use crate::prep::UsernamePrep;
use crate::session::{ScramServerFactory, ScramVariant, mechanism_for};
use sasl_core::{
    ChannelBindingPolicy, ChannelBindingType, ConnectionInfo, Error, FailureKind, MechanismName,
    Request, ScramCredentials, ScramLookup, Secret, ServerFailure, ServerMechanism, ServerStep,
    ServerSuccess, SharedRandom, Verdict, thread_random,
};
use std::sync::Arc;

/// Smallest server nonce, in random bytes (RFC 5802 asks for a fresh, unpredictable one;
/// 18 bytes give 24 base64 characters).
const MIN_NONCE_BYTES: usize = 18;
const MAX_NONCE_BYTES: usize = 48;
/// Default salt length for unknown users; match what your store uses.
const DEFAULT_FAKE_SALT_LEN: usize = 16;
/// Longest fake salt (four blocks of the truncated PRF).
const MAX_FAKE_SALT_LEN: usize = 64;
/// Shortest accepted server secret.
const MIN_SECRET_LEN: usize = 16;

/// Server settings shared by every exchange (hold it in an [`Arc`]).
///
/// The server secret keys the fake salts and keys given to unknown users: keep it
/// stable (a restart must not change the salt an unknown name gets, or an observer
/// could tell it from a real account) and secret. The configuration keeps only
/// HMAC-SHA-256 pad states of it (computed once here) and the fake keys derived from
/// it, not the secret itself.
#[derive(Clone)]
pub struct ScramServerConfig {
    random: SharedRandom,
    /// HMAC-SHA-256 keyed with the server secret, pad states precomputed: the fake
    /// salt of an unknown user is its truncated inner hash, one SHA-256 compression
    /// (for names up to 22 bytes) per 16 bytes of salt.
    secret_prf: Prf,
    /// Fake credentials per hash (SHA-1, SHA-256, SHA-512): StoredKey and ServerKey
    /// fixed per secret and derived here once, with their HMAC key schedules computed
    /// once like those of any [`ScramCredentials`]. They need not differ per user:
    /// they are never revealed (no `v=` is sent on the fake path, and the proof check
    /// is forced to fail), and they only exist so that the proof check does the same
    /// work as for a real account. Their salt and iteration count are placeholders,
    /// never used (unknown users get the derived fake salt and the configured count).
    fake_credentials: [ScramCredentials; 3],
    unknown_user_iterations: u32,
    fake_salt_len: usize,
    username_prep: UsernamePrep,
    nonce_len: usize,
}

impl core::fmt::Debug for ScramServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScramServerConfig")
            .field("unknown_user_iterations", &self.unknown_user_iterations)
            .field("fake_salt_len", &self.fake_salt_len)
            .field("username_prep", &self.username_prep)
            .field("nonce_len", &self.nonce_len)
            .finish_non_exhaustive()
    }
}

impl ScramServerConfig {
    /// A configuration with the server secret for unknown-user salts (at least 16
    /// bytes, e.g. 32 random bytes kept in your configuration), the
    /// [thread-local CSPRNG](sasl_core::ThreadRandom) for nonces (see there for the
    /// fork-safety note; [`with_random`](Self::with_random)`(`[`os_random`](sasl_core::os_random)`())`
    /// draws every nonce from the OS instead), 4096 iterations for unknown users,
    /// 16-byte fake salts, SASLprep for user names and 18-byte server nonces.
    pub fn new(server_secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let secret = Secret::new(server_secret.into());
        if secret.expose().len() < MIN_SECRET_LEN {
            return Err(Error::config(format!(
                "SCRAM server secret must be at least {MIN_SECRET_LEN} bytes"
            )));
        }
        let secret_prf = Prf::new(secret.expose());
        let fake = |alg: Alg| {
            let name = alg.hash().name().as_bytes();
            let len = alg.out_len();
            let mut stored = Secret::new(vec![0u8; len]);
            let mut server = Secret::new(vec![0u8; len]);
            secret_prf.expand(b"sasl-scram fake StoredKey", name, b"", stored.expose_mut());
            secret_prf.expand(b"sasl-scram fake ServerKey", name, b"", server.expose_mut());
            ScramCredentials::from_slices(alg.hash(), 1, &[0], stored.expose(), server.expose())
        };
        let fake_credentials = [fake(Alg::Sha1)?, fake(Alg::Sha256)?, fake(Alg::Sha512)?];
        Ok(Self {
            random: thread_random(),
            secret_prf,
            fake_credentials,
            unknown_user_iterations: 4096,
            fake_salt_len: DEFAULT_FAKE_SALT_LEN,
            username_prep: UsernamePrep::SaslPrep,
            nonce_len: MIN_NONCE_BYTES,
        })
    }

    /// Uses another random source (tests use a deterministic one).
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = random;
        self
    }

    /// The iteration count unknown users get: set it to what real accounts use, or
    /// the difference shows. At least 1.
    pub fn with_unknown_user_iterations(mut self, iterations: u32) -> Self {
        self.unknown_user_iterations = iterations.max(1);
        self
    }

    /// The salt length unknown users get (8 to 64 bytes): set it to what real
    /// accounts use. Default 16 (Dovecot, PostgreSQL).
    pub fn with_unknown_user_salt_len(mut self, len: usize) -> Self {
        self.fake_salt_len = len.clamp(8, MAX_FAKE_SALT_LEN);
        self
    }

    /// How user names are prepared before the lookup (default SASLprep, RFC 5802).
    pub fn with_username_prep(mut self, prep: UsernamePrep) -> Self {
        self.username_prep = prep;
        self
    }

    /// Random bytes per server nonce (18 to 48; default 18).
    pub fn with_nonce_len(mut self, bytes: usize) -> Self {
        self.nonce_len = bytes.clamp(MIN_NONCE_BYTES, MAX_NONCE_BYTES);
        self
    }

    /// The iteration count for unknown users.
    pub fn unknown_user_iterations(&self) -> u32 {
        self.unknown_user_iterations
    }

    /// The user-name preparation.
    pub fn username_prep(&self) -> UsernamePrep {
        self.username_prep
    }
}

/// Channel-binding data copied from the connection, inline when small (the common
/// case: 32 to 64 bytes) so that a `-PLUS` exchange does not allocate for it.
#[derive(Clone)]
enum CbData {
    Inline { len: usize, buf: [u8; 64] },
    Heap(Vec<u8>),
}

impl CbData {
    fn new(data: &[u8]) -> Self {
        let mut buf = [0u8; 64];
        if data.len() <= buf.len() {
            let len = crate::hash::copy_prefix(&mut buf, data);
            CbData::Inline { len, buf }
        } else {
            CbData::Heap(data.to_vec())
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            CbData::Inline { len, buf } => buf.get(..*len).unwrap_or_default(),
            CbData::Heap(v) => v,
        }
    }
}

const CB_KINDS: [ChannelBindingType; 3] = [
    ChannelBindingType::TlsUnique,
    ChannelBindingType::TlsServerEndPoint,
    ChannelBindingType::TlsExporter,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    AwaitClientFirst,
    AwaitLookup,
    AwaitClientFinal,
    Done,
}

/// Where the keys for the proof check come from: the store's credentials (shared,
/// not copied), or the configuration's fake keys, which make an unknown or rejected
/// user go through exactly the same work and fail the same way.
enum KeySource {
    Found(ScramCredentials),
    /// Fake keys; the exchange fails with this local reason (kind and detail)
    /// whatever the proof.
    Fake(FailureKind, &'static str),
}

struct Keys {
    source: KeySource,
    authzid_granted: bool,
}

/// The exchange's channel-binding data (`-PLUS` only), boxed so that the bare
/// mechanisms do not carry (and move) it.
type Bindings = [Option<CbData>; 3];

/// One SCRAM server exchange, as a typed state machine.
///
/// It implements [`ServerMechanism`]: drive it directly (`start`, `step`, `provide`)
/// or wrap it in a [`ServerSession`](sasl_core::ServerSession). Usually it is made by
/// a factory ([`ScramServer::factory`], [`server_factories`](crate::server_factories)).
///
/// The exchange: the client-first message yields a
/// [`Request::ScramLookup`]; the answer yields the server-first challenge; the
/// client-final yields [`ServerStep::Success`] whose additional data is the
/// server-final `v=` message, or a [`ServerStep::Failure`] carrying `e=...`.
///
/// # Authorization identity
///
/// The authzid (`a=` in the GS2 header) reaches the application — in
/// [`ScramLookup::authzid`] and [`ServerSuccess::authzid`] — **as received**: after
/// `=2C`/`=3D` unescaping and UTF-8 validation (NUL and over-long names are refused),
/// but *without* SASLprep or PRECIS preparation, whatever [`UsernamePrep`] says for
/// the authcid. Prepare or compare it yourself before granting it
/// (`authzid_granted` in [`Verdict::ScramFound`]).
///
/// An authzid equal to the authcid is granted without asking: the comparison is
/// byte-for-byte against the *prepared* authcid (the name the lookup saw). It fails
/// closed: an authzid that only matches after preparation (other case, other
/// normalisation form) is not equal, and is then granted only if the application
/// said so.
///
/// # Unknown users
///
/// An unknown or rejected user gets a salt and keys derived from the server secret
/// and the user name, and goes through the same steps as a real account, failing
/// with `e=invalid-proof` like a wrong password. So does a lookup answered with
/// credentials of another hash (a store holding one scheme per user): the local
/// reason is then [`FailureKind::UnknownUser`] with a detail naming the hash
/// mismatch, not an error before the server-first, which would reveal the name.
/// The fake salt is derived for every lookup answer, known user included, so that
/// [`provide`](ServerMechanism::provide) costs the same either way, and the proof
/// check runs the same HMAC, hash and constant-time compare with fixed fake keys.
pub struct ScramServer {
    config: Arc<ScramServerConfig>,
    alg: Alg,
    mechanism: MechanismName,
    plus: bool,
    can_bind: bool,
    /// Whether this server offers any SCRAM `-PLUS` mechanism on this connection:
    /// only then is a `y` flag a downgrade.
    plus_offered: bool,
    policy: ChannelBindingPolicy,
    bindings: Option<Box<Bindings>>,
    fixed_nonce: Option<String>,
    state: State,
    /// `prepared-authcid client-first-message "," server-first-message`: one buffer
    /// for everything the server must remember. At success it becomes the
    /// [`ServerSuccess`](sasl_core::ServerSuccess) authcid (truncated to the name), so the name costs no
    /// allocation of its own.
    transcript: Vec<u8>,
    /// The prepared authcid is `transcript[..authcid_len]`; the client-first message
    /// follows it.
    authcid_len: usize,
    /// End of the GS2 header in `transcript` (the client-first-bare starts here).
    gs2_end: usize,
    /// Where the server-first message starts in `transcript`.
    server_first_at: usize,
    /// Where the full nonce (client part + server part) sits in `transcript`.
    nonce_start: usize,
    nonce_end: usize,
    authzid: Option<String>,
    cb_used: Option<ChannelBindingType>,
    cb_data: Option<usize>,
    keys: Option<Keys>,
}

impl core::fmt::Debug for ScramServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScramServer")
            .field("mechanism", &self.mechanism)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ScramServer {
    /// Starts one exchange of `SCRAM-<hash>[-PLUS]` on `connection`.
    ///
    /// Fails with
    /// [`ConfigError::MechanismNotAvailable`](sasl_core::ConfigError::MechanismNotAvailable)
    /// for `-PLUS` on a connection without channel-binding data, and [`Error::Config`]
    /// for a hash this crate does not know.
    pub fn new(
        config: impl Into<Arc<ScramServerConfig>>,
        variant: ScramVariant,
        connection: &ConnectionInfo,
    ) -> Result<Self, Error> {
        let alg = Alg::require(variant.hash())?;
        Self::with_alg(config.into(), alg, variant.is_plus(), connection)
    }

    pub(crate) fn with_alg(
        config: Arc<ScramServerConfig>,
        alg: Alg,
        plus: bool,
        connection: &ConnectionInfo,
    ) -> Result<Self, Error> {
        let mechanism = mechanism_for(alg, plus);
        if plus && !connection.can_bind() {
            return Err(Error::Config(
                sasl_core::ConfigError::MechanismNotAvailable(mechanism.to_string()),
            ));
        }
        let bindings = plus.then(|| {
            Box::new(CB_KINDS.map(|kind| connection.binding(kind).map(|b| CbData::new(b.data()))))
        });
        Ok(Self {
            config,
            alg,
            mechanism,
            plus,
            can_bind: connection.can_bind(),
            plus_offered: connection.can_bind(),
            policy: connection.policy(),
            bindings,
            fixed_nonce: None,
            state: State::New,
            transcript: Vec::new(),
            authcid_len: 0,
            gs2_end: 0,
            server_first_at: 0,
            nonce_start: 0,
            nonce_end: 0,
            authzid: None,
            cb_used: None,
            cb_data: None,
            keys: None,
        })
    }

    /// A factory for the session registry
    /// ([`ServerRegistry::with`](sasl_core::ServerRegistry::with)).
    pub fn factory(
        config: impl Into<Arc<ScramServerConfig>>,
        variant: ScramVariant,
    ) -> Result<ScramServerFactory, Error> {
        ScramServerFactory::new(config.into(), variant)
    }

    /// Uses a fixed server nonce part instead of a random one. **Only for
    /// reproducing published test vectors**: a predictable nonce breaks SCRAM's
    /// replay protection. Fails if the nonce is empty or not printable.
    pub fn with_server_nonce(mut self, nonce: &str) -> Result<Self, Error> {
        self.fixed_nonce = Some(checked_fixed_nonce(nonce)?);
        Ok(self)
    }

    /// Says whether this server advertised **any** SCRAM `-PLUS` mechanism on this
    /// connection, of this hash or another. Only then is a client's `y` flag a
    /// downgrade and rejected; a client that can bind but was offered no `-PLUS` at
    /// all rightly sends `y`. The whole-connection view is what RFC 5802 §6 asks for
    /// ("if the server supports channel binding", the attack being removal of "the
    /// -PLUS suffixed SCRAM mechanism name(s)"): a server offering
    /// SCRAM-SHA-256-PLUS must refuse `y` on SCRAM-SHA-1 even without
    /// SCRAM-SHA-1-PLUS. The default assumes `-PLUS` is offered whenever the
    /// connection has binding data (the safe choice). The session registry sets it
    /// from [`ServerContext::offers_plus`](sasl_core::ServerContext), which is this
    /// whole-SCRAM view.
    pub fn offering_plus(mut self, offered: bool) -> Self {
        self.plus_offered = offered;
        self
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    fn fail(&mut self, reject: Reject) -> ServerStep {
        self.state = State::Done;
        ServerStep::Failure(
            ServerFailure::new(reject.kind, reject.detail).with_message(reject.wire.to_message()),
        )
    }

    fn client_first(&mut self, msg: &[u8]) -> Result<ServerStep, Error> {
        match self.client_first_inner(msg) {
            Ok(step) => Ok(step),
            Err(reject) => Ok(self.fail(reject)),
        }
    }

    #[inline]
    fn client_first_inner(&mut self, msg: &[u8]) -> Result<ServerStep, Reject> {
        use ServerErrorValue as E;
        let parsed = parse_client_first(msg)?;
        // MAX_NONCE_LEN bounds the combined nonce, which the client-final must echo:
        // a client part that leaves no room for the server part would be accepted
        // here and then always refused there, so refuse it now.
        if parsed.nonce.len() > MAX_NONCE_LEN.saturating_sub(self.server_nonce_part_len()) {
            return Err(Reject::malformed(
                "client nonce leaves no room for the server nonce part",
            ));
        }
        // Channel-binding negotiation (RFC 5802 §6, RFC 5801 §5).
        match parsed.flag {
            Flag::P(name) => {
                if !self.plus {
                    // A client must only send `p=` with the `-PLUS` mechanism (RFC 5802
                    // §6, RFC 5801 §5): this is a protocol error, not a statement about
                    // what the server supports, so the honest answer is `other-error`.
                    // (`channel-binding-not-supported` would mislead a client when this
                    // server can bind and offers `-PLUS`.)
                    return Err(Reject::new(
                        E::OtherError,
                        FailureKind::Protocol,
                        "channel binding (p=) sent with a mechanism without -PLUS",
                    ));
                }
                if !self.can_bind {
                    return Err(Reject::new(
                        E::ChannelBindingNotSupported,
                        FailureKind::ChannelBindingUnsupported,
                        "client asked for channel binding; the connection has none",
                    ));
                }
                let found = ChannelBindingType::from_name(name).and_then(|kind| {
                    CB_KINDS
                        .iter()
                        .position(|k| *k == kind)
                        .filter(|i| {
                            self.bindings
                                .as_deref()
                                .and_then(|b| b.get(*i))
                                .is_some_and(Option::is_some)
                        })
                        .map(|i| (kind, i))
                });
                let Some((kind, index)) = found else {
                    return Err(Reject::new(
                        E::UnsupportedChannelBindingType,
                        FailureKind::ChannelBindingUnsupported,
                        "client asked for a channel-binding type this connection does not have",
                    ));
                };
                self.cb_used = Some(kind);
                self.cb_data = Some(index);
            }
            Flag::Y | Flag::N if self.plus => {
                return Err(Reject::new(
                    E::OtherError,
                    FailureKind::Protocol,
                    "-PLUS mechanism used without channel binding (flag n or y)",
                ));
            }
            Flag::Y if self.plus_offered => {
                return Err(Reject::new(
                    E::ServerDoesSupportChannelBinding,
                    FailureKind::ChannelBindingDowngrade,
                    "client sent y although this server offers -PLUS: possible downgrade",
                ));
            }
            Flag::Y | Flag::N => {
                if self.policy == ChannelBindingPolicy::Required {
                    return Err(Reject::new(
                        E::OtherError,
                        FailureKind::ChannelBindingRequired,
                        "channel binding is required on this connection",
                    ));
                }
            }
        }
        let Some(prepared) = self.config.username_prep.apply(&parsed.username) else {
            return Err(Reject::new(
                E::InvalidUsernameEncoding,
                FailureKind::Malformed,
                "user name fails preparation or is empty",
            ));
        };
        let authzid = parsed.authzid.map(|z| z.into_owned());
        let nonce_len = parsed.nonce.len();
        let nonce_at = parsed.nonce_at;

        // One allocation holds everything the rest of the exchange needs: the
        // prepared name, the client-first message and (later) the server-first; the
        // capacity covers the server-first message for salts up to 64 bytes.
        let mut transcript = Vec::with_capacity(
            prepared.len()
                + msg.len()
                + 32
                + nonce_len
                + 2 * MAX_NONCE_BYTES
                + 88
                + self.final_without_proof_len(parsed.gs2_len, nonce_len),
        );
        transcript.extend_from_slice(prepared.as_bytes());
        self.authcid_len = transcript.len();
        self.gs2_end = self.authcid_len + parsed.gs2_len;
        let msg_at = self.authcid_len;
        transcript.extend_from_slice(msg);
        transcript.push(b',');
        self.server_first_at = transcript.len();
        transcript.extend_from_slice(b"r=");
        self.nonce_start = transcript.len();
        transcript.extend_from_within(msg_at + nonce_at..msg_at + nonce_at + nonce_len);
        self.nonce_end = transcript.len();
        self.transcript = transcript;
        let lookup = ScramLookup::copying_name(
            self.mechanism.clone(),
            &prepared,
            authzid.clone(),
            self.alg.hash(),
        );
        self.authzid = authzid;
        self.state = State::AwaitLookup;
        Ok(ServerStep::Request(Request::ScramLookup(lookup)))
    }

    /// Room for `"," client-final-without-proof` as a client sends it (`c=` with the
    /// GS2 header and this exchange's binding data, then the combined nonce), which
    /// the transcript receives at the end so that AuthMessage is one slice. A client
    /// sending more (extensions) only makes the buffer grow.
    fn final_without_proof_len(&self, gs2_len: usize, client_nonce_len: usize) -> usize {
        let cb_len = self.bound_data().len();
        // ",c=" base64(gs2 cb) ",r=" nonce
        3 + (gs2_len + cb_len).div_ceil(3) * 4 + 3 + client_nonce_len + self.server_nonce_part_len()
    }

    /// The channel-binding data the client chose (`p=`), empty without binding.
    fn bound_data(&self) -> &[u8] {
        self.cb_data
            .and_then(|i| self.bindings.as_deref()?.get(i))
            .and_then(Option::as_ref)
            .map(CbData::as_slice)
            .unwrap_or_default()
    }

    /// Length of the server nonce part [`server_first`](Self::server_first) appends:
    /// the fixed nonce, or unpadded base64 of the configured random bytes.
    fn server_nonce_part_len(&self) -> usize {
        match &self.fixed_nonce {
            Some(n) => n.len(),
            None => (self.config.nonce_len * 4).div_ceil(3),
        }
    }

    /// The prepared authcid (the name the lookup saw).
    fn authcid(&self) -> &[u8] {
        self.transcript.get(..self.authcid_len).unwrap_or_default()
    }

    /// Derives the fake salt for this user name into `salt`; returns its length.
    ///
    /// Called on **every** lookup answer, found or not (see
    /// [`lookup_answered`](Self::lookup_answered)), so that answering costs the same
    /// work either way: an observer timing `provide()` cannot tell an unknown user
    /// from a known one. It is deterministic per (secret, hash, user): the same
    /// unknown name always gets the same salt, as a real account would, and as long
    /// as real salts (the configured length). One SHA-256 compression per 16 bytes of
    /// salt (the truncated inner hash of HMAC-SHA-256 on the precomputed pads; see
    /// decision 0018), on the stack.
    #[inline]
    fn fake_salt(&self, salt: &mut [u8; MAX_FAKE_SALT_LEN]) -> usize {
        let len = self.config.fake_salt_len.min(MAX_FAKE_SALT_LEN);
        let out = salt.get_mut(..len).unwrap_or_default();
        self.config.secret_prf.expand_truncated(
            b"sasl-scram fake salt",
            self.alg.hash().name().as_bytes(),
            self.authcid(),
            out,
        );
        len
    }

    #[inline]
    fn lookup_answered(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        // Same work on both paths: the fake salt is derived before looking at the
        // verdict and only then used (unknown or rejected user) or discarded (found).
        // Do not move this into the `Rejected` arm.
        let mut fake_salt = [0u8; MAX_FAKE_SALT_LEN];
        let fake_salt_len = self.fake_salt(&mut fake_salt);
        // Keep the optimiser from dropping the derivation on the found path.
        core::hint::black_box(&fake_salt);
        let step = match verdict {
            Verdict::ScramFound {
                credentials,
                authzid_granted,
            } => {
                if credentials.hash() == self.alg.hash() {
                    let step = self.server_first(credentials.salt(), credentials.iterations());
                    self.keys = Some(Keys {
                        source: KeySource::Found(credentials),
                        authzid_granted,
                    });
                    step
                } else {
                    // Credentials of another hash cannot verify this exchange. Failing
                    // here (no server-first) would tell the client the name exists
                    // when a store keeps one scheme per user; go on exactly as for an
                    // unknown user instead, and say why only in the local reason.
                    drop(credentials);
                    self.keys = Some(Keys {
                        source: KeySource::Fake(
                            FailureKind::UnknownUser,
                            "stored credentials are for another SCRAM hash (fake credentials used)",
                        ),
                        authzid_granted: false,
                    });
                    let salt = fake_salt.get(..fake_salt_len).unwrap_or_default();
                    self.server_first(salt, self.config.unknown_user_iterations)
                }
            }
            Verdict::Rejected(kind) => {
                self.keys = Some(Keys {
                    source: KeySource::Fake(
                        kind,
                        "unknown or rejected user (fake credentials used)",
                    ),
                    authzid_granted: false,
                });
                let salt = fake_salt.get(..fake_salt_len).unwrap_or_default();
                self.server_first(salt, self.config.unknown_user_iterations)
            }
            _ => {
                self.state = State::Done;
                Err(Error::Misuse(sasl_core::Misuse::AnswerMismatch))
            }
        };
        zeroize::Zeroize::zeroize(&mut fake_salt);
        step
    }

    /// Appends `<server nonce>,s=<salt>,i=<iterations>` after the `r=<client nonce>`
    /// already in the transcript, and returns the server-first challenge.
    #[inline]
    fn server_first(&mut self, salt: &[u8], iterations: u32) -> Result<ServerStep, Error> {
        let t = &mut self.transcript;
        match &self.fixed_nonce {
            Some(n) => t.extend_from_slice(n.as_bytes()),
            None => {
                let mut raw = [0u8; MAX_NONCE_BYTES];
                let raw = raw.get_mut(..self.config.nonce_len).unwrap_or_default();
                if let Err(e) = self.config.random.fill(raw) {
                    self.state = State::Done;
                    return Err(e);
                }
                // Base64 without padding: printable and never a ','.
                append_base64(t, raw, false);
            }
        }
        self.nonce_end = t.len();
        t.extend_from_slice(b",s=");
        append_base64(t, salt, true);
        t.extend_from_slice(b",i=");
        append_decimal(t, iterations);
        let challenge = t.get(self.server_first_at..).unwrap_or_default().to_vec();
        self.state = State::AwaitClientFinal;
        Ok(ServerStep::Challenge(challenge))
    }

    fn client_final(&mut self, msg: &[u8]) -> ServerStep {
        match self.client_final_inner(msg) {
            Ok(step) => {
                self.state = State::Done;
                step
            }
            Err(reject) => self.fail(reject),
        }
    }

    #[inline]
    fn client_final_inner(&mut self, msg: &[u8]) -> Result<ServerStep, Reject> {
        use ServerErrorValue as E;
        let parsed = parse_client_final(
            msg,
            self.transcript
                .get(self.nonce_start..self.nonce_end)
                .unwrap_or_default(),
        )?;
        let gs2 = self
            .transcript
            .get(self.authcid_len..self.gs2_end)
            .unwrap_or_default();
        let cb_data = self.bound_data();
        if !messages::base64_matches(parsed.channel_binding, &[gs2, cb_data]) {
            return Err(Reject::new(
                E::ChannelBindingsDontMatch,
                FailureKind::ChannelBindingMismatch,
                "c= does not match the GS2 header and this connection's binding data",
            ));
        }
        let nonce = self
            .transcript
            .get(self.nonce_start..self.nonce_end)
            .unwrap_or_default();
        if parsed.nonce != nonce {
            return Err(Reject::new(
                E::OtherError,
                FailureKind::Protocol,
                "client-final nonce does not match the server-first nonce",
            ));
        }
        let Some(proof) = parsed.proof.exactly(self.alg.out_len()) else {
            return Err(Reject::new(
                E::InvalidProof,
                FailureKind::Malformed,
                "client proof has the wrong length",
            ));
        };
        let Some(keys) = self.keys.as_ref() else {
            return Err(Reject::new(E::OtherError, FailureKind::Other, "no keys"));
        };
        // The same work on both paths: the credentials are only looked up in
        // different places (the store's, or the configuration's fixed fake ones for
        // this hash); both carry HMAC key schedules computed when they were made.
        let (credentials, fake) = match &keys.source {
            KeySource::Found(c) => (c, None),
            KeySource::Fake(kind, detail) => {
                let [sha1, sha256, sha512] = &self.config.fake_credentials;
                let c = match self.alg {
                    Alg::Sha1 => sha1,
                    Alg::Sha256 => sha256,
                    Alg::Sha512 => sha512,
                };
                (c, Some((*kind, *detail)))
            }
        };
        let stored_key = credentials.stored_key();
        // AuthMessage = client-first-bare "," server-first "," client-final-without-proof:
        // the transcript holds the first two and gets "," and the third, so that both
        // HMACs run over one slice laid out once.
        self.transcript.push(b',');
        self.transcript.extend_from_slice(parsed.without_proof);
        let auth_message = [self.transcript.get(self.gs2_end..).unwrap_or_default()];
        let auth_message = MacMessage::new(self.alg, &auth_message);
        let mut client_key = credentials_mac(credentials, StoredMac::StoredKey, &auth_message);
        client_key.xor_with(proof);
        let stored = self.alg.digest(&[client_key.as_slice()]);
        drop(client_key);
        // On the fake path the check fails whatever the proof: a proof computed
        // from the (never revealed) fake keys would still be refused here.
        let proof_ok = stored.ct_eq(stored_key) & subtle::Choice::from(u8::from(fake.is_none()));
        if !bool::from(proof_ok) {
            return Err(match fake {
                Some((kind, detail)) => Reject::new(E::InvalidProof, kind, detail),
                None => Reject::new(
                    E::InvalidProof,
                    FailureKind::InvalidCredentials,
                    "client proof does not verify",
                ),
            });
        }
        let authzid = match self.authzid.take() {
            Some(z) if z.as_bytes() == self.authcid() || keys.authzid_granted => Some(z),
            Some(_) => {
                return Err(Reject::new(
                    E::OtherError,
                    FailureKind::AuthorizationDenied,
                    "authorization identity not granted",
                ));
            }
            None => None,
        };
        let signature = credentials_mac(credentials, StoredMac::ServerKey, &auth_message);
        let mut verifier = Vec::with_capacity(2 + MAX_OUT.div_ceil(3) * 4);
        verifier.extend_from_slice(b"v=");
        append_base64(&mut verifier, signature.as_slice(), true);
        self.keys = None;
        // The transcript is no longer needed: its first bytes are the prepared name,
        // which came from a `str`, so it turns into the authcid without a copy. Its
        // spare capacity (the public AuthMessage, a few hundred bytes) goes with it:
        // shrinking would cost a reallocation per login.
        let mut transcript = core::mem::take(&mut self.transcript);
        transcript.truncate(self.authcid_len);
        let authcid = String::from_utf8(transcript).unwrap_or_default();
        Ok(ServerStep::Success(
            ServerSuccess::new(self.mechanism.clone(), authcid)
                .with_authzid(authzid)
                .with_channel_binding(self.cb_used)
                .with_additional_data(verifier),
        ))
    }
}

/// Appends `n` in decimal (without the formatting machinery).
fn append_decimal(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

impl ServerMechanism for ScramServer {
    fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if self.state != State::New {
            return Err(Error::Misuse(sasl_core::Misuse::AlreadyStarted));
        }
        match initial_response {
            // Client-first mechanism without an initial response: ask for it with an
            // empty challenge.
            None => {
                self.state = State::AwaitClientFirst;
                Ok(ServerStep::Challenge(Vec::new()))
            }
            Some(msg) => self.client_first(msg),
        }
    }

    fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        match self.state {
            State::New => Err(Error::Misuse(sasl_core::Misuse::NotStarted)),
            State::AwaitClientFirst => self.client_first(response),
            State::AwaitLookup => Err(Error::Misuse(sasl_core::Misuse::RequestPending)),
            State::AwaitClientFinal => {
                if response.len() > MAX_MESSAGE_LEN {
                    return Ok(self.fail(Reject::new(
                        ServerErrorValue::InvalidEncoding,
                        FailureKind::MessageTooLarge,
                        "client-final message too long",
                    )));
                }
                Ok(self.client_final(response))
            }
            State::Done => Err(Error::Misuse(sasl_core::Misuse::Finished)),
        }
    }

    fn provide(&mut self, verdict: Verdict) -> Result<ServerStep, Error> {
        match self.state {
            State::AwaitLookup => self.lookup_answered(verdict),
            State::Done => Err(Error::Misuse(sasl_core::Misuse::Finished)),
            State::New => Err(Error::Misuse(sasl_core::Misuse::NotStarted)),
            State::AwaitClientFirst | State::AwaitClientFinal => {
                Err(Error::Misuse(sasl_core::Misuse::NoRequestPending))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::append_decimal;

    #[test]
    fn decimal() {
        for n in [0u32, 1, 9, 10, 4096, 600_000, 1_000_000_000, u32::MAX] {
            let mut out = b"i=".to_vec();
            append_decimal(&mut out, n);
            assert_eq!(out, format!("i={n}").into_bytes());
        }
    }
}
