//! One exchange per mechanism (PLAIN, LOGIN, EXTERNAL, OAUTHBEARER, XOAUTH2) and per
//! library (ours through `sasl-core`'s registries and sessions, rsasl 2.3), written as a
//! server author would use each API. Included (with `#[path]`) by the `mechanisms`
//! timing bench, the allocation-count bench and the allocation test, so all three run
//! exactly the same code. Needs `drivers.rs` included beside it (for [`Meter`]).
//!
//! Two kinds of driver per mechanism and library:
//! - `*_full`: our (or rsasl's) client session and server session in memory, the client
//!   building its credentials per exchange, both ends checked: the server authenticated
//!   the right user and the client accepted the outcome.
//! - `*_server`: the server's work alone, the client scripted (its messages are
//!   constants, the same bytes for both libraries, since none of these clients' messages
//!   depends on a server challenge). The whole server side is one [`Meter::server`]
//!   segment (nothing of the client's runs in between); our application's answer is
//!   also wrapped in [`Meter::lookup`]. rsasl's answers run inside its `step`, so they
//!   count as library work (as in `drivers.rs`).
//!
//! The application's answers: PLAIN and LOGIN compare the password in constant time
//! (`Secret::ct_eq` through `password_matches` for ours, `subtle` for rsasl); the
//! bearer mechanisms accept exactly one token string for one user (a trivial check, so
//! that only the protocol work is measured); EXTERNAL's identity is on our
//! `ConnectionInfo` (as a TLS acceptor would put it there), and rsasl's validate
//! callback holds it (rsasl has no connection information).
//!
//! Every driver returns whether the exchange authenticated as the right user, and the
//! benches and tests assert it in every iteration.

use crate::drivers::Meter;
use sasl_benches::{PASSWORD, USER};
use sasl_core::{
    Answer, ClientCredentials, ClientRegistry, ClientSession, ClientStep, ConnectionInfo,
    FailureKind, Request, ServerRegistry, ServerReply, ServerSession, ServerStep, Store,
    TokenGrant,
};
use sasl_oauthbearer::{BearerClient, BearerMechanism, BearerServer, BearerServerConfig};
use std::sync::Arc;

/// The bearer token's owner (what the application's token check returns).
pub const BEARER_USER: &str = "user@example.org";
/// The one token the application accepts (an opaque access token of a common length).
pub const TOKEN: &str = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

/// Scripted client messages (both libraries' clients send exactly these; checked in
/// [`MechFixture::new`]).
pub const PLAIN_MESSAGE: &[u8] = b"\0user\0pencil";
pub const OAUTHBEARER_MESSAGE: &[u8] =
    b"n,a=user@example.org,\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01";
pub const XOAUTH2_MESSAGE: &[u8] =
    b"user=user@example.org\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01";

/// The mechanisms of this suite, by name.
pub const MECHANISMS: [&str; 5] = ["PLAIN", "LOGIN", "EXTERNAL", "OAUTHBEARER", "XOAUTH2"];

/// Everything built once: registries, connections, rsasl configurations.
pub struct MechFixture {
    /// A TLS connection (PLAIN, LOGIN, the bearer mechanisms).
    pub tls: ConnectionInfo,
    /// A TLS connection whose client certificate maps to [`USER`] (EXTERNAL).
    pub cert: ConnectionInfo,
    pub servers: ServerRegistry,
    pub clients: ClientRegistry,
    pub advertised_tls: Vec<sasl_core::MechanismName>,
    pub advertised_cert: Vec<sasl_core::MechanismName>,
    /// rsasl: one server configuration per mechanism family, each with its callback.
    pub rsasl_password_server: Arc<rsasl::prelude::SASLConfig>,
    pub rsasl_external_server: Arc<rsasl::prelude::SASLConfig>,
    pub rsasl_bearer_server: Arc<rsasl::prelude::SASLConfig>,
    /// rsasl clients: user and password; nothing (EXTERNAL); user, authzid and token.
    pub rsasl_password_client: Arc<rsasl::prelude::SASLConfig>,
    pub rsasl_external_client: Arc<rsasl::prelude::SASLConfig>,
    pub rsasl_bearer_client: Arc<rsasl::prelude::SASLConfig>,
}

impl Default for MechFixture {
    fn default() -> Self {
        Self::new()
    }
}

impl MechFixture {
    pub fn new() -> Self {
        let tls = ConnectionInfo::tls();
        let cert = sasl_external::CertificateLogin::new(USER).connection(ConnectionInfo::tls());
        let servers = ServerRegistry::new()
            .with(sasl_plain::PlainServer::factory())
            .with(sasl_plain::LoginServer::factory())
            .with(sasl_external::ExternalServer::factory())
            .with(BearerServer::factory(
                BearerMechanism::OAuthBearer,
                BearerServerConfig::new(),
            ))
            .with(BearerServer::factory(
                BearerMechanism::XOAuth2,
                BearerServerConfig::new(),
            ));
        let clients = ClientRegistry::new()
            .with(sasl_plain::PlainClient::factory())
            .with(sasl_plain::LoginClient::factory())
            .with(sasl_external::ExternalClient::factory())
            .with(BearerClient::factory(BearerMechanism::OAuthBearer))
            .with(BearerClient::factory(BearerMechanism::XOAuth2));
        let advertised_tls = servers.advertise(&tls);
        let advertised_cert = servers.advertise(&cert);

        let fixture = Self {
            rsasl_password_server: rsasl_config(RsaslPasswordStore),
            rsasl_external_server: rsasl_config(RsaslExternalStore {
                identity: USER.to_owned(),
            }),
            rsasl_bearer_server: rsasl_config(RsaslBearerStore),
            rsasl_password_client: rsasl::prelude::SASLConfig::with_credentials(
                None,
                USER.to_owned(),
                PASSWORD.to_owned(),
            )
            .expect("rsasl password client config"),
            rsasl_external_client: rsasl_config(RsaslNothing),
            rsasl_bearer_client: rsasl_config(RsaslBearerClient),
            tls,
            cert,
            servers,
            clients,
            advertised_tls,
            advertised_cert,
        };
        fixture.check_scripts();
        fixture
    }

    /// The scripted messages are what both libraries' clients really send.
    fn check_scripts(&self) {
        for (mech, expected) in [
            ("PLAIN", PLAIN_MESSAGE),
            ("OAUTHBEARER", OAUTHBEARER_MESSAGE),
            ("XOAUTH2", XOAUTH2_MESSAGE),
            ("EXTERNAL", b"".as_slice()),
        ] {
            let mut ours = self.ours_client(mech).expect("our client starts");
            let Ok(ClientStep::Respond(message)) = ours.start() else {
                panic!("{mech}: our client sends an initial response")
            };
            assert_eq!(message.expose().as_slice(), expected, "{mech}: ours");
            let mut theirs = rsasl::prelude::SASLClient::new(self.rsasl_client_config(mech))
                .start_suggested(&[rsasl_mechname(mech)])
                .expect("rsasl client starts");
            let mut out = Vec::new();
            theirs.step(None, &mut out).expect("rsasl client step");
            assert_eq!(out.as_slice(), expected, "{mech}: rsasl");
        }
    }

    // ----- Ours ------------------------------------------------------------------------

    fn ours_credentials(mech: &str) -> ClientCredentials {
        match mech {
            "PLAIN" | "LOGIN" => ClientCredentials::new(USER).with_password(PASSWORD),
            "OAUTHBEARER" | "XOAUTH2" => {
                ClientCredentials::new(BEARER_USER).with_bearer_token(TOKEN)
            }
            _ => ClientCredentials::new(""),
        }
    }

    fn connection(&self, mech: &str) -> &ConnectionInfo {
        if mech == "EXTERNAL" {
            &self.cert
        } else {
            &self.tls
        }
    }

    fn ours_client(&self, mech: &str) -> Option<ClientSession> {
        let advertised = if mech == "EXTERNAL" {
            &self.advertised_cert
        } else {
            &self.advertised_tls
        };
        self.clients
            .start(
                mech,
                advertised,
                Self::ours_credentials(mech),
                self.connection(mech),
            )
            .ok()
    }

    fn ours_server_session(&self, mech: &str) -> Option<ServerSession> {
        self.servers.start(mech, self.connection(mech)).ok()
    }

    /// A full in-memory exchange of `mech`, our client and our server: the server's
    /// identity is checked, and the client's outcome must be authenticated.
    pub fn ours_full(&self, mech: &str) -> bool {
        let (Some(mut client), Some(mut server)) =
            (self.ours_client(mech), self.ours_server_session(mech))
        else {
            return false;
        };
        let store = |request: Request| answer(request);
        let first = match client.start() {
            Ok(ClientStep::Respond(message)) => server.start_with(Some(message.expose()), &store),
            Ok(ClientStep::AwaitChallenge) => server.start_with(None, &store),
            _ => return false,
        };
        let Ok(mut step) = first else {
            return false;
        };
        // PLAIN, EXTERNAL and the bearer mechanisms need one message, LOGIN three.
        for _ in 0..4 {
            step = match step {
                ServerStep::Challenge(challenge) => match client.step(&challenge) {
                    Ok(ClientStep::Respond(response)) => {
                        match server.step_with(response.expose(), &store) {
                            Ok(next) => next,
                            Err(_) => return false,
                        }
                    }
                    _ => return false,
                },
                ServerStep::Success(auth) => {
                    let reply = ServerReply::Success {
                        additional_data: auth.additional_data().map(<[u8]>::to_vec),
                    };
                    return auth.identity() == expected_identity(mech)
                        && matches!(client.finish(reply), Ok(o) if o.is_authenticated());
                }
                _ => return false,
            };
        }
        false
    }

    /// Server work of one exchange of `mech` (client scripted), through
    /// `ServerRegistry::start` and `ServerSession` with the synchronous store.
    pub fn ours_server(&self, mech: &str, meter: &impl Meter) -> bool {
        let store = |request: Request| meter.lookup(|| answer(request));
        let step = meter.server(|| {
            let mut session = self.ours_server_session(mech)?;
            match mech {
                "PLAIN" => session.start_with(Some(PLAIN_MESSAGE), &store).ok(),
                "EXTERNAL" => session.start_with(Some(b""), &store).ok(),
                "OAUTHBEARER" => session.start_with(Some(OAUTHBEARER_MESSAGE), &store).ok(),
                "XOAUTH2" => session.start_with(Some(XOAUTH2_MESSAGE), &store).ok(),
                "LOGIN" => ours_login_steps(&mut session, &store),
                _ => None,
            }
        });
        matches!(step, Some(ServerStep::Success(auth)) if auth.identity() == expected_identity(mech))
    }

    // ----- rsasl 2.3 -------------------------------------------------------------------

    fn rsasl_server_config(&self, mech: &str) -> Arc<rsasl::prelude::SASLConfig> {
        Arc::clone(match mech {
            "PLAIN" | "LOGIN" => &self.rsasl_password_server,
            "EXTERNAL" => &self.rsasl_external_server,
            _ => &self.rsasl_bearer_server,
        })
    }

    fn rsasl_client_config(&self, mech: &str) -> Arc<rsasl::prelude::SASLConfig> {
        Arc::clone(match mech {
            "PLAIN" | "LOGIN" => &self.rsasl_password_client,
            "EXTERNAL" => &self.rsasl_external_client,
            _ => &self.rsasl_bearer_client,
        })
    }

    /// A full in-memory exchange of `mech` with rsasl's client and server (a
    /// `SASLClient` and a `SASLServer` per exchange on the shared configurations).
    pub fn rsasl_full(&self, mech: &str) -> bool {
        use rsasl::prelude::{SASLClient, SASLServer};
        let name = rsasl_mechname(mech);
        let Ok(mut client) =
            SASLClient::new(self.rsasl_client_config(mech)).start_suggested(&[name])
        else {
            return false;
        };
        let Ok(mut server) = SASLServer::<RsaslAuthenticated>::new(self.rsasl_server_config(mech))
            .start_suggested(name)
        else {
            return false;
        };
        let mut to_server = Vec::new();
        let mut to_client = Vec::new();
        let mut input = if client.are_we_first() {
            if client.step(None, &mut to_server).is_err() {
                return false;
            }
            Some(to_server.as_slice())
        } else {
            None
        };
        let mut server_done = false;
        for _ in 0..4 {
            to_client.clear();
            match server.step(input, &mut to_client) {
                Ok(state) if state.is_finished() => {
                    server_done = true;
                    break;
                }
                Ok(_) => {}
                Err(_) => return false,
            }
            to_server.clear();
            match client.step(Some(&to_client), &mut to_server) {
                Ok(_) => input = Some(to_server.as_slice()),
                Err(_) => return false,
            }
        }
        // The outcome reaches the client (the bearer clients wait for it; PLAIN,
        // LOGIN and EXTERNAL are finished after their last message).
        let client_ok = match client.step(None, &mut Vec::new()) {
            Ok(state) => state.is_finished(),
            Err(rsasl::prelude::SessionError::MechanismDone) => true,
            Err(_) => false,
        };
        server_done && client_ok && server.validation().as_deref() == Some(expected_identity(mech))
    }

    /// Server work of one exchange of `mech` with rsasl's `SASLServer` (client
    /// scripted with the same messages as ours).
    pub fn rsasl_server(&self, mech: &str, meter: &impl Meter) -> bool {
        use rsasl::prelude::SASLServer;
        let user = meter.server(|| {
            let mut session = SASLServer::<RsaslAuthenticated>::new(self.rsasl_server_config(mech))
                .start_suggested(rsasl_mechname(mech))
                .ok()?;
            let mut out = Vec::new();
            let finished = match mech {
                "PLAIN" => session.step(Some(PLAIN_MESSAGE), &mut out),
                "EXTERNAL" => session.step(Some(b""), &mut out),
                "OAUTHBEARER" => session.step(Some(OAUTHBEARER_MESSAGE), &mut out),
                "XOAUTH2" => session.step(Some(XOAUTH2_MESSAGE), &mut out),
                // Server first: "User Name\0", the user, "Password\0", the password.
                _ => session
                    .step(None, &mut out)
                    .and_then(|_| session.step(Some(USER.as_bytes()), &mut out))
                    .and_then(|_| session.step(Some(PASSWORD.as_bytes()), &mut out)),
            }
            .ok()?
            .is_finished();
            finished.then(|| session.validation()).flatten()
        });
        user.as_deref() == Some(expected_identity(mech))
    }
}

fn rsasl_config(
    callback: impl rsasl::callback::SessionCallback + 'static,
) -> Arc<rsasl::prelude::SASLConfig> {
    rsasl::prelude::SASLConfig::builder()
        .with_default_mechanisms()
        .with_callback(callback)
        .expect("rsasl config")
}

/// LOGIN's server side with a scripted client: `Username:`, the user, `Password:`, the
/// password (checked by the store).
fn ours_login_steps(session: &mut ServerSession, store: &impl Store) -> Option<ServerStep> {
    let Ok(ServerStep::Challenge(_)) = session.start_with(None, store) else {
        return None;
    };
    let Ok(ServerStep::Challenge(_)) = session.step_with(USER.as_bytes(), store) else {
        return None;
    };
    session.step_with(PASSWORD.as_bytes(), store).ok()
}

/// Who each mechanism's exchange must authenticate.
pub fn expected_identity(mech: &str) -> &'static str {
    match mech {
        "OAUTHBEARER" | "XOAUTH2" => BEARER_USER,
        _ => USER,
    }
}

fn rsasl_mechname(mech: &str) -> &'static rsasl::prelude::Mechname {
    let name: &'static [u8] = match mech {
        "PLAIN" => b"PLAIN",
        "LOGIN" => b"LOGIN",
        "EXTERNAL" => b"EXTERNAL",
        "OAUTHBEARER" => b"OAUTHBEARER",
        _ => b"XOAUTH2",
    };
    rsasl::prelude::Mechname::parse(name).expect("mechanism name")
}

/// Our application's answers (the same function for every mechanism): the password in
/// constant time for [`USER`], the one token for [`BEARER_USER`]. EXTERNAL with an
/// empty authzid asks nothing (the certificate's identity is the login).
pub fn answer(request: Request) -> Answer {
    match request {
        Request::VerifyPassword(check) => {
            if check.authcid() == USER && check.password_matches(PASSWORD) {
                check.valid()
            } else {
                check.invalid()
            }
        }
        Request::ValidateToken(ask) if ask.token() == TOKEN => {
            ask.valid(TokenGrant::new(BEARER_USER))
        }
        Request::ValidateToken(ask) => ask.reject(FailureKind::InvalidCredentials),
        other => other.reject(FailureKind::Other),
    }
}

/// rsasl's validation result: the authenticated user.
pub struct RsaslAuthenticated;

impl rsasl::validate::Validation for RsaslAuthenticated {
    type Value = String;
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// rsasl PLAIN/LOGIN server: the password checked in constant time in `validate`
/// (PLAIN also hands over the authzid, which must be empty or the user).
struct RsaslPasswordStore;

impl rsasl::callback::SessionCallback for RsaslPasswordStore {
    fn validate(
        &self,
        _session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
        validate: &mut rsasl::validate::Validate<'_>,
    ) -> Result<(), rsasl::validate::ValidationError> {
        use rsasl::property::{AuthId, AuthzId, Password};
        let authcid = context.get_ref::<AuthId>();
        let password = context.get_ref::<Password>().unwrap_or_default();
        let authzid = context.get_ref::<AuthzId>().unwrap_or_default();
        if authcid == Some(USER)
            && constant_time_eq(password, PASSWORD.as_bytes())
            && (authzid.is_empty() || authzid == USER)
        {
            validate.with::<RsaslAuthenticated, _>(|| Ok(USER.to_owned()))?;
        }
        Ok(())
    }
}

/// rsasl EXTERNAL server: the application knows the connection's certificate identity
/// (rsasl has no connection information) and logs it in for an empty authzid or its
/// own name.
struct RsaslExternalStore {
    identity: String,
}

impl rsasl::callback::SessionCallback for RsaslExternalStore {
    fn validate(
        &self,
        _session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
        validate: &mut rsasl::validate::Validate<'_>,
    ) -> Result<(), rsasl::validate::ValidationError> {
        let authzid = context
            .get_ref::<rsasl::property::AuthzId>()
            .unwrap_or_default();
        if authzid.is_empty() || authzid == self.identity {
            validate.with::<RsaslAuthenticated, _>(|| Ok(self.identity.clone()))?;
        }
        Ok(())
    }
}

/// rsasl OAUTHBEARER/XOAUTH2 server: the one token is valid for [`BEARER_USER`]; the
/// mechanism's validate request is answered in `callback`, the user in `validate`
/// (OAUTHBEARER's authzid or XOAUTH2's `user=` must be that user).
struct RsaslBearerStore;

impl RsaslBearerStore {
    fn identity(
        session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
    ) -> Option<&'static str> {
        use rsasl::property::{AuthId, AuthzId, OAuthBearerToken};
        let value = context.get_ref::<OAuthBearerToken>()?;
        // rsasl hands over OAUTHBEARER's whole `auth=` value ("Bearer <token>", RFC
        // 7628 section 3.1), but XOAUTH2's token alone.
        let token = if session.mechanism().mechanism.as_str() == "OAUTHBEARER" {
            value.strip_prefix("Bearer ")?
        } else {
            value
        };
        let claimed = context
            .get_ref::<AuthzId>()
            .or_else(|| context.get_ref::<AuthId>());
        (token == TOKEN && claimed.is_none_or(|c| c == BEARER_USER)).then_some(BEARER_USER)
    }
}

impl rsasl::callback::SessionCallback for RsaslBearerStore {
    fn callback(
        &self,
        session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
        request: &mut rsasl::callback::Request<'_>,
    ) -> Result<(), rsasl::prelude::SessionError> {
        use rsasl::mechanisms::oauthbearer::properties::{OAuthBearerError, OAuthBearerValidate};
        use rsasl::mechanisms::xoauth2::properties::XOAuth2Validate;
        let valid = Self::identity(session, context).is_some();
        if request.is::<OAuthBearerValidate>() {
            let result = if valid {
                Ok(())
            } else {
                Err(OAuthBearerError::new("invalid_token", None, None))
            };
            request.satisfy::<OAuthBearerValidate>(&result)?;
        } else if request.is::<XOAuth2Validate>() {
            let result = if valid {
                Ok(())
            } else {
                Err(r#"{"status":"401"}"#)
            };
            request.satisfy::<XOAuth2Validate>(&result)?;
        }
        Ok(())
    }

    fn validate(
        &self,
        session: &rsasl::callback::SessionData,
        context: &rsasl::callback::Context<'_>,
        validate: &mut rsasl::validate::Validate<'_>,
    ) -> Result<(), rsasl::validate::ValidationError> {
        if let Some(user) = Self::identity(session, context) {
            validate.with::<RsaslAuthenticated, _>(|| Ok(user.to_owned()))?;
        }
        Ok(())
    }
}

/// rsasl EXTERNAL client: no authzid.
struct RsaslNothing;

impl rsasl::callback::SessionCallback for RsaslNothing {
    fn callback(
        &self,
        _session: &rsasl::callback::SessionData,
        _context: &rsasl::callback::Context<'_>,
        _request: &mut rsasl::callback::Request<'_>,
    ) -> Result<(), rsasl::prelude::SessionError> {
        Ok(())
    }
}

/// rsasl OAUTHBEARER/XOAUTH2 client: the user (XOAUTH2's `user=`), the same user as
/// authzid (OAUTHBEARER's `a=`, as our client sends it) and the token.
struct RsaslBearerClient;

impl rsasl::callback::SessionCallback for RsaslBearerClient {
    fn callback(
        &self,
        _session: &rsasl::callback::SessionData,
        _context: &rsasl::callback::Context<'_>,
        request: &mut rsasl::callback::Request<'_>,
    ) -> Result<(), rsasl::prelude::SessionError> {
        use rsasl::property::{AuthId, AuthzId, OAuthBearerToken};
        request
            .satisfy::<AuthId>(BEARER_USER)?
            .satisfy::<AuthzId>(BEARER_USER)?
            .satisfy::<OAuthBearerToken>(TOKEN)?;
        Ok(())
    }
}
