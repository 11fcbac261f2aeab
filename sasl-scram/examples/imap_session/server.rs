//! The server role: a minimal IMAP server that answers CAPABILITY, AUTHENTICATE and
//! LOGOUT, with its account store. This file is everything a server author writes
//! around `sasl-core`.

use crate::transport::{Wire, show};
use sasl_core::{
    Answer, ConnectionInfo, Request, ScramCredentials, ScramHash, ServerRegistry, ServerStep, wire,
};
use sasl_scram::PasswordPrep;
use std::collections::HashMap;

/// The account database: SCRAM credentials per hash, never a password.
pub(crate) struct Accounts {
    scram: HashMap<(String, ScramHash), ScramCredentials>,
}

impl Accounts {
    /// One account, `alice@example.org`, with the password `correct horse`.
    pub(crate) fn new() -> Self {
        let mut scram = HashMap::new();
        for hash in [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512] {
            let creds = sasl_scram::derive_with_random_salt(
                hash,
                "correct horse",
                4096,
                &sasl_core::OsRandom,
            )
            .expect("derive stored credentials");
            scram.insert(("alice@example.org".to_owned(), hash), creds);
        }
        Self { scram }
    }

    /// Answers the session's requests, as an async server would after an `.await`.
    fn answer(&self, request: Request) -> Answer {
        match request {
            Request::ScramLookup(lookup) => {
                match self
                    .scram
                    .get(&(lookup.authcid().to_owned(), lookup.hash()))
                {
                    Some(creds) => lookup.found(creds.clone()),
                    None => lookup.not_found(),
                }
            }
            Request::VerifyPassword(check) => {
                // PLAIN: checked against the stored SCRAM verifier in constant time.
                let stored = self
                    .scram
                    .get(&(check.authcid().to_owned(), ScramHash::Sha256));
                let ok = stored.is_some_and(|s| {
                    sasl_scram::verify_password(s, check.password(), PasswordPrep::SaslPrep)
                });
                if ok { check.valid() } else { check.invalid() }
            }
            // Tokens, EXTERNAL and passkeys are not configured on this server.
            other => other.unavailable(),
        }
    }
}

/// Serves one connection until the client logs out.
pub(crate) fn serve(
    wire: Wire,
    registry: ServerRegistry,
    connection: ConnectionInfo,
    accounts: Accounts,
) {
    while let Some(line) = wire.recv() {
        let mut words = line.splitn(4, ' ');
        let (tag, command) = (words.next().unwrap_or("*"), words.next().unwrap_or(""));
        match command.to_ascii_uppercase().as_str() {
            "CAPABILITY" => {
                let mechanisms: Vec<String> = registry
                    .advertise(&connection)
                    .iter()
                    .map(|m| format!("AUTH={m}"))
                    .collect();
                wire.send(format!(
                    "* CAPABILITY IMAP4rev2 SASL-IR {}",
                    mechanisms.join(" ")
                ));
                wire.send(format!("{tag} OK CAPABILITY completed"));
            }
            "AUTHENTICATE" => {
                let mechanism = words.next().unwrap_or("");
                let initial_response = words.next();
                authenticate(
                    &wire,
                    &registry,
                    &connection,
                    &accounts,
                    tag,
                    mechanism,
                    initial_response,
                );
            }
            "LOGOUT" => {
                wire.send("* BYE logging out");
                wire.send(format!("{tag} OK LOGOUT completed"));
                return;
            }
            _ => wire.send(format!("{tag} BAD unknown command")),
        }
    }
}

/// One `AUTHENTICATE` command (RFC 9051 §6.2.2, SASL-IR RFC 4959).
fn authenticate(
    wire: &Wire,
    registry: &ServerRegistry,
    connection: &ConnectionInfo,
    accounts: &Accounts,
    tag: &str,
    mechanism: &str,
    initial_response: Option<&str>,
) {
    // `=` is an empty initial response; no argument is none at all.
    let Ok(initial_response) = wire::decode_initial_response(initial_response.map(str::as_bytes))
    else {
        return wire.send(format!("{tag} BAD malformed initial response"));
    };
    // A mechanism not offered here is the client's doing: a failure reply, no error.
    let mut session = match registry.start(mechanism, connection) {
        Ok(session) => session,
        Err(refused) => return wire.send(refused.imap().line(tag, "unsupported mechanism")),
    };
    let mut step = session
        .start(initial_response.as_deref())
        .expect("a new session starts");
    loop {
        step = match step {
            ServerStep::Challenge(challenge) => {
                wire.send(format!("+ {}", wire::encode_challenge(&challenge)));
                show(&challenge);
                let Some(line) = wire.recv() else { return };
                match wire::decode_response(line.as_bytes()) {
                    Ok(wire::Response::Data(data)) => session.step(data.expose()),
                    Ok(wire::Response::Cancel) => session.cancel(),
                    Err(_) => return wire.send(format!("{tag} BAD malformed response")),
                }
                .expect("the session is running")
            }
            ServerStep::Request(request) => session
                .provide(accounts.answer(request))
                .expect("the answer belongs to this session"),
            ServerStep::Success(success) => {
                wire.send(format!("{tag} OK {mechanism} authentication successful"));
                println!(
                    "   server: {} logged in (channel binding: {:?})",
                    success.identity(),
                    success.channel_binding().map(|c| c.name())
                );
                return;
            }
            ServerStep::Failure(failure) => {
                wire.send(failure.imap().line(tag, "authentication failed"));
                println!(
                    "   server log: {}   (SMTP would reply: {})",
                    failure.reason(),
                    failure.smtp().line()
                );
                return;
            }
        };
    }
}
