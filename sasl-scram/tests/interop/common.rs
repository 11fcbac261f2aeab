//! What the gsasl and scramp interop tests share: the account, our client and server,
//! the peer specs, and the checks that read the same whichever peer plays.
//!
//! Every check names its case (peer, mechanism, binding) in each assertion message,
//! followed by the run's transcript.

use sasl_core::wire::encode_base64;
use sasl_core::{
    ChannelBinding, ChannelBindingType, ClientCredentials, ClientOutcome, ClientRegistry,
    ClientSession, ClientSuccess, ConnectionInfo, FailureKind, Request, ScramCredentials,
    ScramHash, ScramKeys, ServerRegistry, ServerSession, Store, SuccessData,
};
use sasl_scram::{ScramClientConfig, ScramServerConfig, client_factories, server_factories};
use sasl_test::peers::{self, FinalMessage, PeerError, PeerKind, PeerRun, PeerSpec, PeerTool};
use std::fmt;
use std::sync::Mutex;

pub(crate) const USER: &str = "alice";
pub(crate) const PASSWORD: &str = "pencil";
/// 16 bytes: scramp refuses salts under 12.
pub(crate) const SALT: &[u8; 16] = b"interop-salt-16b";
pub(crate) const ITERATIONS: u32 = 4096;
const SECRET: &[u8; 32] = b"interop test server secret, 32b!";

// ---- names and binding data -------------------------------------------------------------

pub(crate) fn hash_of(mech: &str) -> ScramHash {
    match mech.trim_end_matches("-PLUS") {
        "SCRAM-SHA-1" => ScramHash::Sha1,
        "SCRAM-SHA-256" => ScramHash::Sha256,
        "SCRAM-SHA-512" => ScramHash::Sha512,
        other => panic!("not a SCRAM mechanism: {other}"),
    }
}

/// `base` or `base-PLUS`.
fn mech_name(base: &str, cb: Option<ChannelBindingType>) -> String {
    match cb {
        Some(_) => format!("{base}-PLUS"),
        None => base.to_owned(),
    }
}

/// Binding data of a realistic length (tls-unique: a 12-byte Finished message;
/// tls-server-end-point: a SHA-384 certificate hash; tls-exporter: 32 bytes),
/// different for each `seed`.
pub(crate) fn binding(kind: ChannelBindingType, seed: u8) -> ChannelBinding {
    let len = match kind {
        ChannelBindingType::TlsUnique => 12,
        ChannelBindingType::TlsServerEndPoint => 48,
        _ => 32,
    };
    let data = (0..len)
        .map(|i: u8| seed.wrapping_mul(31).wrapping_add(i.wrapping_mul(7)) ^ 0x5a)
        .collect();
    ChannelBinding::new(kind, data)
}

pub(crate) fn connection(cb: Option<&ChannelBinding>) -> ConnectionInfo {
    match cb {
        Some(b) => ConnectionInfo::tls().with_channel_binding(b.clone()),
        None => ConnectionInfo::tls(),
    }
}

/// The GS2 header a client sends for `cb` (no authzid).
fn gs2_header(cb: Option<ChannelBindingType>) -> String {
    match cb {
        Some(kind) => format!("p={kind},,"),
        None => "n,,".to_owned(),
    }
}

/// `c=` of the client-final message: base64 of the GS2 header and the binding data.
pub(crate) fn expected_cbind(gs2: &str, cb: Option<&ChannelBinding>) -> String {
    let mut input = gs2.as_bytes().to_vec();
    if let Some(b) = cb {
        input.extend_from_slice(b.data());
    }
    format!("c={},", encode_base64(&input))
}

pub(crate) fn text(data: &[u8]) -> &str {
    std::str::from_utf8(data).unwrap()
}

/// `(nonce, salt, iterations)` of a server-first message.
fn server_first_fields(msg: &[u8]) -> (String, String, String) {
    let fields: Vec<&str> = text(msg).split(',').collect();
    assert_eq!(fields.len(), 3, "server-first {fields:?}");
    let get = |i: usize, p: &str| fields[i].strip_prefix(p).unwrap().to_owned();
    (get(0, "r="), get(1, "s="), get(2, "i="))
}

// ---- one case of a matrix -----------------------------------------------------------------

/// A mechanism with its binding, as played against one peer: what each assertion
/// message names.
pub(crate) struct Case {
    pub(crate) peer: &'static str,
    pub(crate) mech: String,
    pub(crate) kind: Option<ChannelBindingType>,
    /// Binding data for `kind` (the data both sides hold, unless a test says otherwise).
    pub(crate) cb: Option<ChannelBinding>,
}

impl Case {
    /// `base` (or `base-PLUS` when bound) against `tool`, binding data from `seed`.
    pub(crate) fn new(
        tool: &PeerTool,
        base: &str,
        kind: Option<ChannelBindingType>,
        seed: u8,
    ) -> Self {
        Self {
            peer: tool.kind().name(),
            mech: mech_name(base, kind),
            kind,
            cb: kind.map(|k| binding(k, seed)),
        }
    }

    /// Every mechanism of `bases` with every binding of `cb_cases`; the binding data
    /// is seeded by the binding's position (1, 2, ...), the same for each mechanism.
    pub(crate) fn matrix(
        tool: &PeerTool,
        bases: &[&str],
        cb_cases: &[Option<ChannelBindingType>],
    ) -> Vec<Self> {
        bases
            .iter()
            .flat_map(|base| {
                (1u8..)
                    .zip(cb_cases)
                    .map(move |(seed, kind)| Self::new(tool, base, *kind, seed))
            })
            .collect()
    }

    pub(crate) fn cb(&self) -> Option<&ChannelBinding> {
        self.cb.as_ref()
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(kind) => write!(f, "[{} {} {kind}]", self.peer, self.mech),
            None => write!(f, "[{} {} unbound]", self.peer, self.mech),
        }
    }
}

// ---- running a check against a peer ------------------------------------------------------

/// Runs `check` against the peer `kind` if it is installed; if not, passes after the
/// `SKIPPED` line, or fails under `SASL_REQUIRE_PEERS=1` (see `peers::require`).
pub(crate) fn with_peer(
    kind: PeerKind,
    check: impl FnOnce(&PeerTool) -> Result<(), PeerError>,
) -> Result<(), PeerError> {
    match peers::require(kind)? {
        Some(tool) => check(&tool),
        None => Ok(()),
    }
}

/// Runs `check` on every mechanism of `bases` (bare names) against the peer `kind`.
pub(crate) fn each_mech(
    kind: PeerKind,
    bases: &[&str],
    check: impl Fn(&PeerTool, &str) -> Result<(), PeerError>,
) -> Result<(), PeerError> {
    with_peer(kind, |tool| {
        bases.iter().try_for_each(|base| check(tool, base))
    })
}

/// Runs `check` on every case of [`Case::matrix`] against the peer `kind`.
pub(crate) fn each_case(
    kind: PeerKind,
    bases: &[&str],
    cb_cases: &[Option<ChannelBindingType>],
    check: impl Fn(&PeerTool, &Case) -> Result<(), PeerError>,
) -> Result<(), PeerError> {
    with_peer(kind, |tool| {
        Case::matrix(tool, bases, cb_cases)
            .iter()
            .try_for_each(|case| check(tool, case))
    })
}

// ---- our sessions and the account ---------------------------------------------------------

/// Our client session for `mech`, given the server's advertised list.
pub(crate) fn our_client(
    mech: &str,
    advertised: &[&str],
    credentials: ClientCredentials,
    connection: &ConnectionInfo,
) -> ClientSession {
    ClientRegistry::new()
        .with_all(client_factories(ScramClientConfig::new()))
        .start(mech, advertised, credentials, connection)
        .unwrap()
}

fn our_server(mech: &str, connection: &ConnectionInfo) -> ServerSession {
    let config = ScramServerConfig::new(*SECRET).unwrap();
    ServerRegistry::new()
        .with_all(server_factories(config))
        .start(mech, connection)
        .unwrap()
}

/// A store that knows `alice` (all three hashes) and records each lookup.
pub(crate) struct Accounts {
    grant_authzid: bool,
    credentials: Vec<ScramCredentials>,
    seen: Mutex<Vec<(String, Option<String>)>>,
}

impl Accounts {
    pub(crate) fn new(grant_authzid: bool) -> Self {
        let credentials = [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512]
            .into_iter()
            .map(|hash| sasl_scram::derive(hash, PASSWORD, SALT, ITERATIONS).unwrap())
            .collect();
        Self {
            grant_authzid,
            credentials,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// The same accounts, but with a ServerKey that does not belong to the password:
    /// proofs still verify, the server signature `v=` does not.
    pub(crate) fn with_forged_server_key() -> Self {
        let mut accounts = Self::new(false);
        accounts.credentials = accounts
            .credentials
            .iter()
            .map(|c| {
                let other =
                    sasl_scram::derive(c.hash(), "not the password", SALT, ITERATIONS).unwrap();
                ScramCredentials::new(
                    c.hash(),
                    c.iterations(),
                    c.salt().to_vec(),
                    c.stored_key().to_vec(),
                    other.server_key().to_vec(),
                )
                .unwrap()
            })
            .collect();
        accounts
    }

    pub(crate) fn seen(&self) -> Vec<(String, Option<String>)> {
        self.seen.lock().unwrap().clone()
    }
}

impl Store for Accounts {
    fn answer(&self, request: Request) -> sasl_core::Answer {
        let Request::ScramLookup(lookup) = request else {
            panic!("SCRAM asks for a SCRAM lookup, got {request:?}");
        };
        self.seen.lock().unwrap().push((
            lookup.authcid().to_owned(),
            lookup.authzid().map(str::to_owned),
        ));
        let found = self
            .credentials
            .iter()
            .find(|c| c.hash() == lookup.hash())
            .cloned();
        match found {
            Some(creds) if lookup.authcid() == USER => {
                if self.grant_authzid {
                    lookup.found_with_authzid(creds)
                } else {
                    lookup.found(creds)
                }
            }
            _ => lookup.not_found(),
        }
    }
}

// ---- peers and runs -------------------------------------------------------------------------

/// A peer server knowing `alice` with `PASSWORD`, our fixed salt and 4096 iterations
/// (a gsasl server takes no user name: it accepts its password for any).
fn peer_server(tool: &PeerTool, mech: &str, cb: Option<&ChannelBinding>) -> PeerSpec {
    let spec = tool
        .server(mech)
        .user(USER)
        .password(PASSWORD)
        .iterations(ITERATIONS)
        .salt(SALT);
    match cb {
        Some(b) => spec.channel_binding(b.clone()),
        None => spec,
    }
}

pub(crate) fn peer_client(
    tool: &PeerTool,
    mech: &str,
    user: &str,
    password: &str,
    cb: Option<&ChannelBinding>,
) -> PeerSpec {
    let spec = tool.client(mech).user(user).password(password);
    match cb {
        Some(b) => spec.channel_binding(b.clone()),
        None => spec,
    }
}

/// Our client with `credentials` against a peer server.
pub(crate) fn client_run(
    tool: &PeerTool,
    mech: &str,
    credentials: ClientCredentials,
    ours: Option<&ChannelBinding>,
    theirs: Option<&ChannelBinding>,
) -> Result<PeerRun, PeerError> {
    let peer = peer_server(tool, mech, theirs).spawn()?;
    let client = our_client(mech, &[mech], credentials, &connection(ours));
    Ok(peers::run_our_client_against(peer, client))
}

/// A peer client against our server on a connection with `ours`.
pub(crate) fn server_run(
    spec: PeerSpec,
    mech: &str,
    ours: Option<&ChannelBinding>,
    store: &Accounts,
) -> Result<PeerRun, PeerError> {
    let server = our_server(mech, &connection(ours));
    Ok(peers::run_peer_client_against(spec.spawn()?, server, store))
}

fn success(run: &PeerRun) -> &ClientSuccess {
    match run.client_outcome() {
        Some(ClientOutcome::Success(s)) => s,
        _ => panic!("our client did not authenticate\n{run}"),
    }
}

/// Our client's local failure, whether it aborted or finished failed.
pub(crate) fn client_failure(run: &PeerRun) -> &sasl_core::ClientFailure {
    match run.client_end() {
        Some(sasl_test::ClientEnd::Aborted(f))
        | Some(sasl_test::ClientEnd::Outcome(ClientOutcome::Failure(f))) => f,
        _ => panic!("our client did not fail\n{run}"),
    }
}

// ---- our client against a peer server -------------------------------------------------------

/// Our client authenticates to the peer server in `case`, with the full message shape.
pub(crate) fn our_client_authenticates(tool: &PeerTool, case: &Case) -> Result<(), PeerError> {
    let (mech, kind) = (case.mech.as_str(), case.kind);
    let run = client_run(
        tool,
        mech,
        ClientCredentials::new(USER).with_password(PASSWORD),
        case.cb(),
        case.cb(),
    )?;
    assert!(run.both_succeeded(), "{case}\n{run}");
    let client = run.client_messages();
    let server = run.server_messages();
    // client-first, client-final, and the empty answer to the final challenge.
    assert_eq!(client.len(), 3, "{case}\n{run}");
    assert_eq!(server.len(), 2, "{case}\n{run}");
    let gs2 = gs2_header(kind);
    assert!(
        text(client[0]).starts_with(&format!("{gs2}n={USER},r=")),
        "{case}\n{run}"
    );
    let client_nonce = text(client[0]).rsplit_once(",r=").unwrap().1;
    let (nonce, salt, iterations) = server_first_fields(server[0]);
    assert!(nonce.starts_with(client_nonce), "{case}\n{run}");
    assert!(nonce.len() > client_nonce.len(), "{case}\n{run}");
    assert_eq!(salt, encode_base64(SALT), "{case}\n{run}");
    assert_eq!(iterations, ITERATIONS.to_string(), "{case}\n{run}");
    assert!(
        text(client[1]).starts_with(&expected_cbind(&gs2, case.cb())),
        "{case}\n{run}"
    );
    assert!(
        text(client[1]).contains(&format!(",r={nonce},p=")),
        "{case}\n{run}"
    );
    assert!(server[1].starts_with(b"v="), "{case}\n{run}");
    assert!(client[2].is_empty(), "{case}\n{run}");
    let ok = success(&run);
    assert_eq!(ok.mechanism().as_str(), mech, "{case}");
    assert!(ok.server_verified(), "{case}\n{run}");
    assert_eq!(ok.channel_binding(), kind, "{case}\n{run}");
    assert!(
        ok.scram_keys().is_some(),
        "{case}: fresh keys are handed back"
    );
    Ok(())
}

/// XMPP/LDAP style: `v=` is held back and given to `finish` with the success.
pub(crate) fn our_client_gets_v_in_the_outcome(
    tool: &PeerTool,
    case: &Case,
) -> Result<(), PeerError> {
    let peer = peer_server(tool, &case.mech, case.cb()).spawn()?;
    let client = our_client(
        &case.mech,
        &[&case.mech],
        ClientCredentials::new(USER).with_password(PASSWORD),
        &connection(case.cb()),
    );
    let run =
        peers::run_our_client_against_with(peer, client, FinalMessage::InOutcome(b"v=".to_vec()));
    assert!(run.both_succeeded(), "{case}\n{run}");
    assert!(run.server_messages()[1].starts_with(b"v="), "{case}\n{run}");
    let ok = success(&run);
    assert!(ok.server_verified(), "{case}");
    assert_eq!(ok.channel_binding(), case.kind, "{case}");
    Ok(())
}

/// Our client derives keys once against the peer server for `mech` (unbound), then
/// authenticates again from those keys alone, without a password; the keys come back
/// for the peer-specific checks.
pub(crate) fn our_client_with_cached_keys(
    tool: &PeerTool,
    mech: &str,
) -> Result<ScramKeys, PeerError> {
    let case = Case::new(tool, mech, None, 0);
    let first = client_run(
        tool,
        mech,
        ClientCredentials::new(USER).with_password(PASSWORD),
        None,
        None,
    )?;
    assert!(first.both_succeeded(), "{case}\n{first}");
    let keys = success(&first).scram_keys().cloned().unwrap();
    assert_eq!(keys.hash(), hash_of(mech), "{case}");
    assert_eq!(keys.salt(), SALT, "{case}");
    assert_eq!(keys.iterations(), ITERATIONS, "{case}");
    // No password at all: only the cached keys can produce the proof and check the
    // server signature.
    let second = client_run(
        tool,
        mech,
        ClientCredentials::new(USER).with_scram_keys(keys.clone()),
        None,
        None,
    )?;
    assert!(second.both_succeeded(), "{case} with cached keys\n{second}");
    let ok = success(&second);
    assert!(ok.server_verified(), "{case}");
    assert!(
        ok.scram_keys().is_none(),
        "{case}: no new keys were derived"
    );
    Ok(keys)
}

/// Our client with the wrong password fails against the peer server in `case`; the
/// run comes back for the peer-specific checks of how it ends.
pub(crate) fn our_client_with_wrong_password(
    tool: &PeerTool,
    case: &Case,
) -> Result<PeerRun, PeerError> {
    let run = client_run(
        tool,
        &case.mech,
        ClientCredentials::new(USER).with_password("pencil2"),
        case.cb(),
        case.cb(),
    )?;
    assert!(run.both_failed(), "{case}\n{run}");
    Ok(run)
}

/// A man in the middle: two TLS connections, two sets of binding data (ours from seed
/// 1, the peer server's from seed 2) for `base-PLUS` with `kind`. Our client binds to
/// its own data; the run comes back for the peer-specific checks of how it ends.
pub(crate) fn our_client_with_other_binding_data(
    tool: &PeerTool,
    base: &str,
    kind: ChannelBindingType,
) -> Result<(Case, PeerRun), PeerError> {
    let case = Case::new(tool, base, Some(kind), 1);
    let run = client_run(
        tool,
        &case.mech,
        ClientCredentials::new(USER).with_password(PASSWORD),
        case.cb(),
        Some(&binding(kind, 2)),
    )?;
    assert!(run.both_failed(), "{case}\n{run}");
    let gs2 = gs2_header(Some(kind));
    assert!(
        text(run.client_messages()[0]).starts_with(&gs2),
        "{case}\n{run}"
    );
    assert!(
        text(run.client_messages()[1]).starts_with(&expected_cbind(&gs2, case.cb())),
        "{case}\n{run}"
    );
    Ok((case, run))
}

/// Our connection can bind (tls-exporter) but the server advertised only `advertised`
/// (no `-PLUS`): our client uses the bare `base` and sends `y` ("I could bind, you seem
/// unable to"). The peer server binds too when `server_binds`. Checks the `y` header;
/// the run comes back for the checks of how it ends.
pub(crate) fn our_client_sends_y(
    tool: &PeerTool,
    base: &str,
    advertised: &[&str],
    server_binds: bool,
) -> Result<(String, PeerRun), PeerError> {
    let cb = binding(ChannelBindingType::TlsExporter, 3);
    let case = format!(
        "[{} {base}, our connection binds, the server {}]",
        tool.kind().name(),
        if server_binds { "too" } else { "not" }
    );
    let peer = peer_server(tool, base, server_binds.then_some(&cb)).spawn()?;
    let client = our_client(
        base,
        advertised,
        ClientCredentials::new(USER).with_password(PASSWORD),
        &connection(Some(&cb)),
    );
    let run = peers::run_our_client_against(peer, client);
    assert!(
        text(run.client_messages()[0]).starts_with(&format!("y,,n={USER},r=")),
        "{case}\n{run}"
    );
    Ok((case, run))
}

/// Control for the `y` flag: to a peer server that cannot bind, `y` is honest and
/// the exchange succeeds unbound.
pub(crate) fn our_client_y_flag_to_server_that_cannot_bind(
    tool: &PeerTool,
    base: &str,
    advertised: &[&str],
) -> Result<(), PeerError> {
    let (case, run) = our_client_sends_y(tool, base, advertised, false)?;
    assert!(
        text(run.client_messages()[1]).starts_with(&expected_cbind("y,,", None)),
        "{case}\n{run}"
    );
    assert!(run.both_succeeded(), "{case}\n{run}");
    assert_eq!(success(&run).channel_binding(), None, "{case}");
    Ok(())
}

// ---- a peer client against our server -------------------------------------------------------

/// The peer client authenticates to our server in `case`, with the full message shape.
pub(crate) fn peer_client_authenticates(tool: &PeerTool, case: &Case) -> Result<(), PeerError> {
    let (mech, kind) = (case.mech.as_str(), case.kind);
    let store = Accounts::new(false);
    let spec = peer_client(tool, mech, USER, PASSWORD, case.cb());
    let run = server_run(spec, mech, case.cb(), &store)?;
    assert!(run.both_succeeded(), "{case}\n{run}");
    let client = run.client_messages();
    let server = run.server_messages();
    // client-first, client-final, the empty answer to `v=`.
    assert_eq!(client.len(), 3, "{case}\n{run}");
    assert_eq!(server.len(), 2, "{case}\n{run}");
    let gs2 = gs2_header(kind);
    assert!(
        text(client[0]).starts_with(&format!("{gs2}n={USER},r=")),
        "{case}\n{run}"
    );
    let (_, salt, iterations) = server_first_fields(server[0]);
    assert_eq!(salt, encode_base64(SALT), "{case}");
    assert_eq!(iterations, "4096", "{case}");
    assert!(
        text(client[1]).starts_with(&expected_cbind(&gs2, case.cb())),
        "{case}\n{run}"
    );
    assert!(server[1].starts_with(b"v="), "{case}\n{run}");
    assert!(client[2].is_empty(), "{case}\n{run}");
    let auth = run.authenticated().unwrap();
    assert_eq!(auth.mechanism().as_str(), mech, "{case}");
    assert_eq!(auth.authcid(), USER, "{case}");
    assert_eq!(auth.authzid(), None, "{case}");
    assert_eq!(auth.channel_binding(), kind, "{case}\n{run}");
    assert_eq!(store.seen(), [(USER.to_owned(), None)], "{case}");
    Ok(())
}

/// Our server holds `v=` back and hands it over with the outcome.
pub(crate) fn peer_client_gets_v_in_the_outcome(
    tool: &PeerTool,
    case: &Case,
) -> Result<(), PeerError> {
    let store = Accounts::new(false);
    let connection = connection(case.cb()).with_success_data(SuccessData::InOutcome);
    let server = our_server(&case.mech, &connection);
    let peer = peer_client(tool, &case.mech, USER, PASSWORD, case.cb()).spawn()?;
    let run = peers::run_peer_client_against(peer, server, &store);
    assert!(run.both_succeeded(), "{case}\n{run}");
    let auth = run.authenticated().unwrap();
    assert!(
        auth.additional_data().unwrap().starts_with(b"v="),
        "{case}\n{run}"
    );
    assert_eq!(
        run.server_messages()[1],
        auth.additional_data().unwrap(),
        "{case}\n{run}"
    );
    Ok(())
}

/// The peer client with the wrong password fails at our server with `e=invalid-proof`.
pub(crate) fn peer_client_with_wrong_password(
    tool: &PeerTool,
    case: &Case,
) -> Result<(), PeerError> {
    let store = Accounts::new(false);
    let spec = peer_client(tool, &case.mech, USER, "pencil2", case.cb());
    let run = server_run(spec, &case.mech, case.cb(), &store)?;
    assert!(run.both_failed(), "{case}\n{run}");
    let failure = run.server_failure().unwrap();
    assert_eq!(
        failure.reason().kind(),
        FailureKind::InvalidCredentials,
        "{case}\n{run}"
    );
    assert_eq!(
        failure.message(),
        Some(b"e=invalid-proof".as_slice()),
        "{case}"
    );
    assert_eq!(
        run.server_messages()[1],
        b"e=invalid-proof",
        "{case}\n{run}"
    );
    Ok(())
}

/// An unknown user and a wrong password fail differently at our server but look the
/// same on the wire.
pub(crate) fn peer_client_unknown_user_fails_like_wrong_password(
    tool: &PeerTool,
    mech: &str,
) -> Result<(), PeerError> {
    let case = Case::new(tool, mech, None, 0);
    let store = Accounts::new(false);
    let spec = peer_client(tool, mech, "bob", PASSWORD, None);
    let unknown = server_run(spec, mech, None, &store)?;
    assert!(unknown.both_failed(), "{case}\n{unknown}");
    assert_eq!(store.seen(), [("bob".to_owned(), None)], "{case}");
    assert_eq!(
        unknown.server_failure().unwrap().reason().kind(),
        FailureKind::UnknownUser,
        "{case}"
    );

    let store = Accounts::new(false);
    let spec = peer_client(tool, mech, USER, "pencil2", None);
    let wrong = server_run(spec, mech, None, &store)?;
    assert!(wrong.both_failed(), "{case}\n{wrong}");
    assert_eq!(
        wrong.server_failure().unwrap().reason().kind(),
        FailureKind::InvalidCredentials,
        "{case}"
    );

    // On the wire the two are the same: a server-first of the same shape (16-byte
    // salt, 4096 iterations, same nonce length) and `e=invalid-proof`.
    let (u, w) = (unknown.server_messages(), wrong.server_messages());
    assert_eq!(u.len(), 2, "{case}\n{unknown}");
    assert_eq!(w.len(), 2, "{case}\n{wrong}");
    let (u_nonce, u_salt, u_iter) = server_first_fields(u[0]);
    let (w_nonce, w_salt, w_iter) = server_first_fields(w[0]);
    assert_eq!(u_nonce.len(), w_nonce.len(), "{case}");
    assert_eq!(u_salt.len(), w_salt.len(), "{case}");
    assert_ne!(u_salt, w_salt, "{case}: the fake salt is not the real one");
    assert_eq!(u_iter, w_iter, "{case}");
    assert_eq!(u[1], b"e=invalid-proof", "{case}");
    assert_eq!(u[1], w[1], "{case}");
    Ok(())
}

/// The peer client binds to other data (seed 1) than our server holds (seed 2) for
/// `base-PLUS` with `kind`: a binding mismatch.
pub(crate) fn peer_client_with_other_binding_data(
    tool: &PeerTool,
    base: &str,
    kind: ChannelBindingType,
) -> Result<(), PeerError> {
    let case = Case::new(tool, base, Some(kind), 1);
    let store = Accounts::new(false);
    let spec = peer_client(tool, &case.mech, USER, PASSWORD, case.cb());
    let run = server_run(spec, &case.mech, Some(&binding(kind, 2)), &store)?;
    assert!(run.both_failed(), "{case}\n{run}");
    assert!(
        text(run.client_messages()[0]).starts_with(&gs2_header(Some(kind))),
        "{case}\n{run}"
    );
    assert_eq!(
        run.server_failure().unwrap().reason().kind(),
        FailureKind::ChannelBindingMismatch,
        "{case}\n{run}"
    );
    assert_eq!(
        run.server_messages()[1],
        b"e=channel-bindings-dont-match",
        "{case}\n{run}"
    );
    Ok(())
}

/// The peer's success in the other tests includes checking our `v=`: with a ServerKey
/// that does not match, the proof still verifies at our server but the peer refuses
/// the signature and never acknowledges it, so our server (which waits for that
/// acknowledgement, IMAP style) does not report success either.
pub(crate) fn peer_client_checks_our_server_signature(
    tool: &PeerTool,
    mech: &str,
) -> Result<(), PeerError> {
    let case = Case::new(tool, mech, None, 0);
    let store = Accounts::with_forged_server_key();
    let spec = peer_client(tool, mech, USER, PASSWORD, None);
    let run = server_run(spec, mech, None, &store)?;
    assert!(run.both_failed(), "{case}\n{run}");
    assert_eq!(run.server_messages().len(), 2, "{case}\n{run}");
    assert!(run.server_messages()[1].starts_with(b"v="), "{case}\n{run}");
    assert_eq!(
        run.client_messages().len(),
        2,
        "{case}: no acknowledgement\n{run}"
    );
    Ok(())
}
