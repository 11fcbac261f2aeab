//! One SCRAM-SHA-256 exchange per library, written as a server author would use each
//! API. Included (with `#[path]`) by the timing bench, the allocation-count bench and
//! the allocation test, so all three measure exactly the same code.
//!
//! Server-side work is wrapped in [`Meter::server`], in exactly two segments per
//! exchange for every library (everything up to the server-first message, and
//! everything from the client-final message on), so that timer overhead is the same
//! for all. The application's credential lookup is also wrapped in [`Meter::lookup`]
//! inside the first segment, so that the allocation report can show it apart. The
//! client side runs outside both. The timing bench times what the meter wraps, the
//! allocation counter counts it.

use sasl_benches::{ITERATIONS, Keys, PASSWORD, SALT, ScriptedClient, USER};
use sasl_core::{
    ClientCredentials, ClientMechanism, ClientRegistry, ClientStep, ConnectionInfo, Request,
    ScramCredentials, ScramHash, ScramKeys, ServerMechanism, ServerRegistry, ServerReply,
    ServerStep, Verdict,
};
use std::sync::Arc;

/// Wraps the parts of an exchange that a benchmark measures.
pub trait Meter {
    /// Server-side work (sessions, parsing, lookup, proof checks, message building).
    fn server<R>(&self, work: impl FnOnce() -> R) -> R;
    /// The application's credential lookup, always inside a [`Meter::server`]
    /// segment (counted apart by the allocation meter; not timed apart).
    fn lookup<R>(&self, work: impl FnOnce() -> R) -> R;
    /// Client-side work, in the client benches (whose server runs unmeasured):
    /// measured exactly like [`Meter::server`] work.
    fn client<R>(&self, work: impl FnOnce() -> R) -> R {
        self.server(work)
    }
}

/// Measures nothing: for the full-exchange benchmarks, timed as a whole.
pub struct NoMeter;

impl Meter for NoMeter {
    fn server<R>(&self, work: impl FnOnce() -> R) -> R {
        work()
    }
    fn lookup<R>(&self, work: impl FnOnce() -> R) -> R {
        work()
    }
}

/// The stored credentials, as each library wants them.
pub struct Fixture {
    pub connection: ConnectionInfo,
    // Ours.
    pub ours_credentials: ScramCredentials,
    pub ours_server_config: Arc<sasl_scram::ScramServerConfig>,
    pub ours_client_config: Arc<sasl_scram::ScramClientConfig>,
    pub ours_server_mechs: ServerRegistry,
    pub ours_client_mechs: ClientRegistry,
    pub ours_advertised: Vec<sasl_core::MechanismName>,
    // rsasl.
    pub rsasl_server_config: Arc<rsasl::prelude::SASLConfig>,
    pub rsasl_client_config: Arc<rsasl::prelude::SASLConfig>,
    /// Ours: the client's cached keys (what a successful login hands back).
    pub ours_client_keys: ScramKeys,
    /// rsasl: a client configuration whose callback serves the cached keys
    /// (`ScramCachedPassword`).
    pub rsasl_cached_client_config: Arc<rsasl::prelude::SASLConfig>,
    // scram 0.6.
    pub scram_server: scram::ScramServer<ScramCrateStore>,
}

impl Fixture {
    pub fn new() -> Self {
        let keys = Keys::fixture();
        let connection = ConnectionInfo::tls();
        let ours_credentials = sasl_scram::derive(ScramHash::Sha256, PASSWORD, SALT, ITERATIONS)
            .expect("derive stored credentials");
        assert_eq!(ours_credentials.stored_key(), keys.stored_key);
        assert_eq!(ours_credentials.server_key(), keys.server_key);
        let ours_server_config = Arc::new(
            sasl_scram::ScramServerConfig::new(*b"benchmark server secret, 32 byte")
                .expect("config"),
        );
        let ours_client_config = Arc::new(sasl_scram::ScramClientConfig::new());
        let ours_server_mechs = ServerRegistry::new().with(
            sasl_scram::ScramServer::factory(
                Arc::clone(&ours_server_config),
                sasl_scram::ScramVariant::bare(ScramHash::Sha256),
            )
            .expect("server factory"),
        );
        let ours_client_mechs = ClientRegistry::new().with(
            sasl_scram::ScramClient::factory(
                Arc::clone(&ours_client_config),
                sasl_scram::ScramVariant::bare(ScramHash::Sha256),
            )
            .expect("client factory"),
        );
        let ours_advertised = ours_server_mechs.advertise(&connection);

        let rsasl_server_config = rsasl::prelude::SASLConfig::builder()
            .with_default_mechanisms()
            .with_callback(RsaslStore { keys })
            .expect("rsasl server config");
        let rsasl_client_config = rsasl::prelude::SASLConfig::with_credentials(
            None,
            USER.to_owned(),
            PASSWORD.to_owned(),
        )
        .expect("rsasl client config");

        let ours_client_keys = sasl_scram::derive_client_keys(
            ScramHash::Sha256,
            PASSWORD,
            SALT,
            ITERATIONS,
            sasl_scram::PasswordPrep::SaslPrep,
        )
        .expect("derive client keys");
        assert_eq!(ours_client_keys.client_key(), keys.client_key);
        assert_eq!(ours_client_keys.server_key(), keys.server_key);
        let rsasl_cached_client_config = rsasl::prelude::SASLConfig::builder()
            .with_default_mechanisms()
            .with_callback(RsaslCachedKeys { keys })
            .expect("rsasl cached-keys client config");

        let scram_server = scram::ScramServer::new(ScramCrateStore {
            salted_password: keys.salted_password.to_vec(),
        });

        Self {
            connection,
            ours_credentials,
            ours_server_config,
            ours_client_config,
            ours_server_mechs,
            ours_client_mechs,
            ours_advertised,
            rsasl_server_config,
            rsasl_client_config,
            ours_client_keys,
            rsasl_cached_client_config,
            scram_server,
        }
    }

    fn ours_client_credentials() -> ClientCredentials {
        ClientCredentials::new(USER).with_password(PASSWORD)
    }

    // ----- Ours: typed state machines --------------------------------------------------

    /// Server work of one exchange with [`sasl_scram::ScramServer`] driven directly.
    /// Returns whether it authenticated and sent the right server-final message.
    pub fn ours_typed_server(&self, client: &ScriptedClient, meter: &impl Meter) -> bool {
        let client_first = client.client_first();
        // Segment 1: start, client-first, the application's lookup, server-first.
        let (mut server, step) = meter.server(|| {
            let mut server = sasl_scram::ScramServer::new(
                Arc::clone(&self.ours_server_config),
                sasl_scram::ScramVariant::bare(ScramHash::Sha256),
                &self.connection,
            )
            .expect("start server");
            let step = match server.start(Some(client_first.as_bytes())) {
                Ok(ServerStep::Request(Request::ScramLookup(lookup))) => {
                    let credentials = meter.lookup(|| {
                        (lookup.authcid() == USER).then(|| self.ours_credentials.clone())
                    });
                    credentials.map(|credentials| {
                        server.provide(Verdict::ScramFound {
                            credentials,
                            authzid_granted: false,
                        })
                    })
                }
                _ => None,
            };
            (server, step)
        });
        let Some(Ok(ServerStep::Challenge(server_first))) = step else {
            return false;
        };
        let Some(answer) = client.client_final(&server_first) else {
            return false;
        };
        // Segment 2: client-final, proof check, server-final.
        let step = meter.server(|| server.step(&answer.message));
        matches!(step, Ok(ServerStep::Success(auth))
            if auth.identity() == USER
                && auth.additional_data() == Some(answer.expected_server_final.as_slice()))
    }

    /// A full in-memory exchange with the typed client and server (client PBKDF2).
    pub fn ours_typed_full(&self) -> bool {
        let mut client = sasl_scram::ScramClient::new(
            Arc::clone(&self.ours_client_config),
            sasl_scram::ScramVariant::bare(ScramHash::Sha256),
            Self::ours_client_credentials(),
            &self.connection,
        )
        .expect("start client");
        let mut server = sasl_scram::ScramServer::new(
            Arc::clone(&self.ours_server_config),
            sasl_scram::ScramVariant::bare(ScramHash::Sha256),
            &self.connection,
        )
        .expect("start server");
        let Ok(ClientStep::Respond(client_first)) = client.start() else {
            return false;
        };
        let Ok(ServerStep::Request(Request::ScramLookup(lookup))) =
            server.start(Some(client_first.expose()))
        else {
            return false;
        };
        if lookup.authcid() != USER {
            return false;
        }
        let Ok(ServerStep::Challenge(server_first)) = server.provide(Verdict::ScramFound {
            credentials: self.ours_credentials.clone(),
            authzid_granted: false,
        }) else {
            return false;
        };
        let Ok(ClientStep::Respond(client_final)) = client.step(&server_first) else {
            return false;
        };
        let Ok(ServerStep::Success(auth)) = server.step(client_final.expose()) else {
            return false;
        };
        let outcome = client.finish(ServerReply::Success {
            additional_data: auth.additional_data().map(<[u8]>::to_vec),
        });
        matches!(outcome, Ok(o) if o.is_authenticated())
    }

    // ----- Ours: sasl-core sessions ----------------------------------------------------

    fn ours_store(&self) -> impl Fn(Request) -> sasl_core::Answer + '_ {
        move |request| match request {
            Request::ScramLookup(lookup) if lookup.authcid() == USER => {
                lookup.found(self.ours_credentials.clone())
            }
            other => other.reject(sasl_core::FailureKind::UnknownUser),
        }
    }

    /// Server work of one exchange through [`sasl_core::ServerSession`] (registry
    /// start, synchronous store, `v=` delivered as a final challenge as in IMAP/SMTP).
    pub fn ours_session_server(&self, client: &ScriptedClient, meter: &impl Meter) -> bool {
        self.session_server_with(client, meter, self.ours_store())
    }

    /// As [`ours_session_server`](Self::ours_session_server), with a store that builds
    /// `ScramCredentials` per lookup from its stored fields (as a database-backed
    /// server does: `ScramCredentials::from_slices` from a row's salt and keys, which
    /// copies them into one allocation and computes the HMAC key schedules). The lookup is timed as server work, as for
    /// every driver.
    pub fn ours_session_server_per_lookup(
        &self,
        client: &ScriptedClient,
        meter: &impl Meter,
    ) -> bool {
        let row = &self.ours_credentials;
        let store = move |request: Request| match request {
            Request::ScramLookup(lookup) if lookup.authcid() == USER => {
                match sasl_core::ScramCredentials::from_slices(
                    ScramHash::Sha256,
                    row.iterations(),
                    row.salt(),
                    row.stored_key(),
                    row.server_key(),
                ) {
                    Ok(credentials) => lookup.found(credentials),
                    Err(_) => lookup.not_found(),
                }
            }
            other => other.reject(sasl_core::FailureKind::UnknownUser),
        };
        self.session_server_with(client, meter, store)
    }

    fn session_server_with(
        &self,
        client: &ScriptedClient,
        meter: &impl Meter,
        store: impl Fn(Request) -> sasl_core::Answer,
    ) -> bool {
        let client_first = client.client_first();
        // Segment 1: registry start, client-first, the application's lookup,
        // server-first.
        let (mut session, step) = meter.server(|| {
            let mut session = self
                .ours_server_mechs
                .start("SCRAM-SHA-256", &self.connection)
                .expect("start session");
            let step = match session.start(Some(client_first.as_bytes())) {
                Ok(ServerStep::Request(request)) => {
                    let answer = meter.lookup(|| store(request));
                    session.provide(answer).map_err(sasl_core::Error::from)
                }
                other => other,
            };
            (session, step)
        });
        let Ok(ServerStep::Challenge(server_first)) = step else {
            return false;
        };
        let Some(answer) = client.client_final(&server_first) else {
            return false;
        };
        // Segment 2: client-final, proof check, `v=` as a challenge, and the client's
        // empty acknowledgement (a constant, so it needs no client round trip here).
        let (server_final, step) = meter.server(|| match session.step(&answer.message) {
            Ok(ServerStep::Challenge(server_final)) => {
                let step = session.step(b"");
                (server_final, step)
            }
            other => (Vec::new(), other),
        });
        server_final == answer.expected_server_final
            && matches!(step, Ok(ServerStep::Success(auth)) if auth.identity() == USER)
    }

    /// A full in-memory exchange through the registries and sessions.
    pub fn ours_session_full(&self) -> bool {
        let Ok(mut client) = self.ours_client_mechs.start_best(
            &self.ours_advertised,
            Self::ours_client_credentials(),
            &self.connection,
        ) else {
            return false;
        };
        let store = self.ours_store();
        let Ok(ClientStep::Respond(client_first)) = client.start() else {
            return false;
        };
        let Ok(mut server) = self
            .ours_server_mechs
            .start(client.mechanism().as_str(), &self.connection)
        else {
            return false;
        };
        let Ok(ServerStep::Challenge(server_first)) =
            server.start_with(Some(client_first.expose()), &store)
        else {
            return false;
        };
        let Ok(ClientStep::Respond(client_final)) = client.step(&server_first) else {
            return false;
        };
        let Ok(ServerStep::Challenge(server_final)) =
            server.step_with(client_final.expose(), &store)
        else {
            return false;
        };
        let Ok(ClientStep::Respond(ack)) = client.step(&server_final) else {
            return false;
        };
        let Ok(ServerStep::Success(_)) = server.step(ack.expose()) else {
            return false;
        };
        matches!(client.finish(ServerReply::success()), Ok(o) if o.is_authenticated())
    }

    // ----- rsasl 2.3 -------------------------------------------------------------------

    fn rsasl_mechanism() -> &'static rsasl::prelude::Mechname {
        rsasl::prelude::Mechname::parse(b"SCRAM-SHA-256").expect("mechanism name")
    }

    /// Server work of one exchange with rsasl's `SASLServer` and a callback serving
    /// `ScramStoredPassword` (rsasl's lookup happens inside its step, so it is counted
    /// as server work).
    pub fn rsasl_server(&self, client: &ScriptedClient, meter: &impl Meter) -> bool {
        use rsasl::prelude::SASLServer;
        let client_first = client.client_first();
        let (mut session, server_first) = meter.server(|| {
            let mut session =
                SASLServer::<RsaslAuthenticated>::new(Arc::clone(&self.rsasl_server_config))
                    .start_suggested(Self::rsasl_mechanism())
                    .expect("start rsasl session");
            let mut server_first = Vec::new();
            let state = session.step(Some(client_first.as_bytes()), &mut server_first);
            (session, state.ok().map(|_| server_first))
        });
        let Some(server_first) = server_first else {
            return false;
        };
        let Some(answer) = client.client_final(&server_first) else {
            return false;
        };
        let (server_final, user) = meter.server(|| {
            let mut server_final = Vec::new();
            let state = session.step(Some(&answer.message), &mut server_final);
            (state.ok().map(|_| server_final), session.validation())
        });
        server_final.as_deref() == Some(answer.expected_server_final.as_slice())
            && user.as_deref() == Some(USER)
    }

    /// A full in-memory exchange with rsasl's client and server.
    pub fn rsasl_full(&self) -> bool {
        use rsasl::prelude::{SASLClient, SASLServer};
        let mechanism = Self::rsasl_mechanism();
        let Ok(mut client) =
            SASLClient::new(Arc::clone(&self.rsasl_client_config)).start_suggested(&[mechanism])
        else {
            return false;
        };
        let Ok(mut server) =
            SASLServer::<RsaslAuthenticated>::new(Arc::clone(&self.rsasl_server_config))
                .start_suggested(mechanism)
        else {
            return false;
        };
        let mut client_first = Vec::new();
        let mut server_first = Vec::new();
        let mut client_final = Vec::new();
        let mut server_final = Vec::new();
        let mut nothing = Vec::new();
        let ok = client.step(None, &mut client_first).is_ok()
            && server.step(Some(&client_first), &mut server_first).is_ok()
            && client.step(Some(&server_first), &mut client_final).is_ok()
            && server.step(Some(&client_final), &mut server_final).is_ok()
            && matches!(
                client.step(Some(&server_final), &mut nothing),
                Ok(state) if state.is_finished()
            );
        ok && server.validation().as_deref() == Some(USER)
    }

    // ----- Client work with cached keys (no PBKDF2) -------------------------------------

    /// The unmeasured server of the client benches: our typed server with the stored
    /// credentials. Its work runs outside every [`Meter`] segment.
    fn untimed_server(&self) -> UntimedServer {
        UntimedServer(
            sasl_scram::ScramServer::new(
                Arc::clone(&self.ours_server_config),
                sasl_scram::ScramVariant::bare(ScramHash::Sha256),
                &self.connection,
            )
            .expect("start server"),
            self.ours_credentials.clone(),
        )
    }

    /// Client work of one exchange with [`sasl_scram::ScramClient`] driven directly,
    /// from cached keys (`ClientCredentials::with_scram_keys`, built per exchange as an
    /// application would): client-first, client-final, and the check of `v=` delivered
    /// with the success (three measured segments).
    pub fn ours_typed_client(&self, meter: &impl Meter) -> bool {
        let mut server = self.untimed_server();
        let (mut client, first) = meter.client(|| {
            let credentials =
                ClientCredentials::new(USER).with_scram_keys(self.ours_client_keys.clone());
            let mut client = sasl_scram::ScramClient::new(
                Arc::clone(&self.ours_client_config),
                sasl_scram::ScramVariant::bare(ScramHash::Sha256),
                credentials,
                &self.connection,
            )
            .expect("start client");
            let first = client.start();
            (client, first)
        });
        let Ok(ClientStep::Respond(first)) = first else {
            return false;
        };
        let Some(server_first) = server.first(first.expose()) else {
            return false;
        };
        let last = meter.client(|| client.step(&server_first));
        let Ok(ClientStep::Respond(last)) = last else {
            return false;
        };
        let Some(server_final) = server.last(last.expose()) else {
            return false;
        };
        let reply = ServerReply::Success {
            additional_data: Some(server_final),
        };
        let outcome = meter.client(|| client.finish(reply));
        matches!(outcome, Ok(o) if o.is_authenticated())
    }

    /// Client work of one exchange through [`sasl_core::ClientSession`]
    /// (`ClientRegistry::start_best` over the server's list, cached keys built per
    /// exchange, `v=` as a final challenge answered with an empty response, then the
    /// server's OK, as in IMAP/SMTP).
    pub fn ours_session_client(&self, meter: &impl Meter) -> bool {
        let mut server = self.untimed_server();
        let (mut session, first) = meter.client(|| {
            let credentials =
                ClientCredentials::new(USER).with_scram_keys(self.ours_client_keys.clone());
            let mut session = self
                .ours_client_mechs
                .start_best(&self.ours_advertised, credentials, &self.connection)
                .expect("start client session");
            let first = session.start();
            (session, first)
        });
        let Ok(ClientStep::Respond(first)) = first else {
            return false;
        };
        let Some(server_first) = server.first(first.expose()) else {
            return false;
        };
        let last = meter.client(|| session.step(&server_first));
        let Ok(ClientStep::Respond(last)) = last else {
            return false;
        };
        let Some(server_final) = server.last(last.expose()) else {
            return false;
        };
        meter.client(|| match session.step(&server_final) {
            Ok(ClientStep::Respond(ack)) if ack.expose().is_empty() => {
                matches!(session.finish(ServerReply::success()), Ok(o) if o.is_authenticated())
            }
            _ => false,
        })
    }

    /// Client work of one exchange with rsasl's `SASLClient`, its callback serving
    /// the cached `SaltedPassword` (and the user name): see [`RsaslCachedKeys`] for
    /// why not `ScramCachedPassword`.
    pub fn rsasl_client(&self, meter: &impl Meter) -> bool {
        use rsasl::prelude::SASLClient;
        let mut server = self.untimed_server();
        let (mut session, first) = meter.client(|| {
            let mut session = SASLClient::new(Arc::clone(&self.rsasl_cached_client_config))
                .start_suggested(&[Self::rsasl_mechanism()])
                .expect("start rsasl client");
            let mut first = Vec::new();
            let state = session.step(None, &mut first);
            (session, state.ok().map(|_| first))
        });
        let Some(first) = first else {
            return false;
        };
        let Some(server_first) = server.first(&first) else {
            return false;
        };
        let last = meter.client(|| {
            let mut last = Vec::new();
            let state = session.step(Some(&server_first), &mut last);
            state.ok().map(|_| last)
        });
        let Some(last) = last else {
            return false;
        };
        let Some(server_final) = server.last(&last) else {
            return false;
        };
        meter.client(|| {
            let mut nothing = Vec::new();
            matches!(
                session.step(Some(&server_final), &mut nothing),
                Ok(state) if state.is_finished()
            )
        })
    }

    // ----- scram 0.6 -------------------------------------------------------------------

    /// Server work of one exchange with the `scram` crate's typed server (its provider
    /// returns the salted password; the crate derives StoredKey and ServerKey per
    /// exchange, and gets its nonce from `OsRng`).
    pub fn scram_crate_server(&self, client: &ScriptedClient, meter: &impl Meter) -> bool {
        let client_first = client.client_first();
        let first = meter.server(|| {
            self.scram_server
                .handle_client_first(&client_first)
                .map(scram::server::ServerFirst::server_first)
        });
        let Ok((client_final_state, server_first)) = first else {
            return false;
        };
        let Some(answer) = client.client_final(server_first.as_bytes()) else {
            return false;
        };
        let Ok(message) = std::str::from_utf8(&answer.message) else {
            return false;
        };
        let last = meter.server(|| {
            client_final_state
                .handle_client_final(message)
                .map(scram::server::ServerFinal::server_final)
        });
        matches!(last, Ok((scram::AuthenticationStatus::Authenticated, server_final))
            if server_final.as_bytes() == answer.expected_server_final)
    }

    /// A full in-memory exchange with the `scram` crate's client and server.
    pub fn scram_crate_full(&self) -> bool {
        let client = scram::ScramClient::new(USER, PASSWORD, None);
        let (client, client_first) = client.client_first();
        let Ok(server) = self.scram_server.handle_client_first(&client_first) else {
            return false;
        };
        let (server, server_first) = server.server_first();
        let Ok(client) = client.handle_server_first(&server_first) else {
            return false;
        };
        let (client, client_final) = client.client_final();
        let Ok(server) = server.handle_client_final(&client_final) else {
            return false;
        };
        let (status, server_final) = server.server_final();
        status == scram::AuthenticationStatus::Authenticated
            && client.handle_server_final(&server_final).is_ok()
    }
}

/// The server side of the client benches (ours typed, stored credentials), run
/// outside the measured segments.
struct UntimedServer(sasl_scram::ScramServer, ScramCredentials);

impl UntimedServer {
    /// Client-first in, server-first out.
    fn first(&mut self, client_first: &[u8]) -> Option<Vec<u8>> {
        let Ok(ServerStep::Request(Request::ScramLookup(lookup))) =
            self.0.start(Some(client_first))
        else {
            return None;
        };
        if lookup.authcid() != USER {
            return None;
        }
        match self.0.provide(Verdict::ScramFound {
            credentials: self.1.clone(),
            authzid_granted: false,
        }) {
            Ok(ServerStep::Challenge(server_first)) => Some(server_first),
            _ => None,
        }
    }

    /// Client-final in, server-final (`v=`) out; `None` unless authenticated.
    fn last(&mut self, client_final: &[u8]) -> Option<Vec<u8>> {
        match self.0.step(client_final) {
            Ok(ServerStep::Success(auth)) if auth.identity() == USER => {
                auth.additional_data().map(<[u8]>::to_vec)
            }
            _ => None,
        }
    }
}

/// rsasl's client callback for cached keys: the user name, and the cached
/// `SaltedPassword` when the server's salt and iteration count are the ones it was
/// derived for (as ours checks before using cached keys).
///
/// rsasl 2.3.1 asks first for `ScramCachedPassword { client_key, server_key }`, but
/// that struct is `#[non_exhaustive]` without a constructor, so no application can
/// build one to satisfy the request; its next choice, `SaltedPassword`, is the
/// cheapest cache an rsasl client can use. From it rsasl computes ClientKey and
/// ServerKey (`tools::derive_keys`, two HMACs) per exchange; the bench group times
/// that step alone too (`rsasl_derive_keys_alone`), so that it can be subtracted.
pub struct RsaslCachedKeys {
    keys: Keys,
}

impl rsasl::callback::SessionCallback for RsaslCachedKeys {
    fn callback(
        &self,
        _session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
        request: &mut rsasl::callback::Request<'_>,
    ) -> Result<(), rsasl::prelude::SessionError> {
        use rsasl::mechanisms::scram::properties::{Iterations, Salt, SaltedPassword};
        request.satisfy::<rsasl::property::AuthId>(USER)?;
        if context.get_ref::<Salt>() == Some(SALT)
            && context.get_ref::<Iterations>() == Some(&ITERATIONS)
        {
            request.satisfy::<SaltedPassword>(&self.keys.salted_password)?;
        }
        Ok(())
    }
}

/// rsasl's validation result: the authenticated user.
pub struct RsaslAuthenticated;

impl rsasl::validate::Validation for RsaslAuthenticated {
    type Value = String;
}

/// rsasl's credential callback: serves `ScramStoredPassword` for [`USER`] (borrowed
/// from the fixture, no copies) and validates any authenticated exchange.
pub struct RsaslStore {
    keys: Keys,
}

impl rsasl::callback::SessionCallback for RsaslStore {
    fn callback(
        &self,
        _session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
        request: &mut rsasl::callback::Request<'_>,
    ) -> Result<(), rsasl::prelude::SessionError> {
        use rsasl::mechanisms::scram::properties::ScramStoredPassword;
        if context.get_ref::<rsasl::property::AuthId>() == Some(USER) {
            request.satisfy::<ScramStoredPassword<'static>>(&ScramStoredPassword::new(
                ITERATIONS,
                SALT,
                &self.keys.stored_key,
                &self.keys.server_key,
            ))?;
        }
        Ok(())
    }

    fn validate(
        &self,
        _session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
        validate: &mut rsasl::validate::Validate<'_>,
    ) -> Result<(), rsasl::validate::ValidationError> {
        let user = context
            .get_ref::<rsasl::property::AuthId>()
            .unwrap_or_default()
            .to_owned();
        validate.with::<RsaslAuthenticated, _>(|| Ok(user))?;
        Ok(())
    }
}

/// The `scram` crate's provider: it stores the salted password (not StoredKey).
pub struct ScramCrateStore {
    salted_password: Vec<u8>,
}

impl scram::AuthenticationProvider for ScramCrateStore {
    fn get_password_for(&self, username: &str) -> Option<scram::PasswordInfo> {
        (username == USER).then(|| {
            scram::PasswordInfo::new(
                self.salted_password.clone(),
                // The crate's iteration count is a u16.
                u16::try_from(ITERATIONS).unwrap_or(u16::MAX),
                SALT.to_vec(),
            )
        })
    }
}
