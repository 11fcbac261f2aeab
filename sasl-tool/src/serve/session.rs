//! One authentication exchange, the same for IMAP, SMTP and POP3: start a
//! [`ServerSession`] for the named mechanism on the connection, send its challenges as
//! continuation lines (`+ <base64>` / `334 <base64>`), feed it the client's decoded
//! responses (`*` cancels), answer its requests from the store, and report how it
//! ended. The protocol only turns the [`AuthEnd`] into its reply.
//!
//! [`authenticate`] also does what every protocol must around an attempt: the
//! attempt log record, the failure delay before a failed-authentication reply, the
//! failure count, and the passkey counter update after a success. SCRAM's
//! server-final message goes out as one more challenge (the sessions' default
//! `SuccessData::AsChallenge`: IMAP, SMTP and POP3 cannot carry data with success).

use super::connection::Connection;
use super::log::{AttemptRecord, Outcome, bounded, now_secs};
use super::store::Store;
use super::transport::LinkError;
use sasl_core::wire::{self, Response};
use sasl_core::{MechanismData, ServerFailure, ServerSession, ServerStep, ServerSuccess, UnixTime};

/// How an exchange ended, for the protocol to reply to.
#[derive(Debug)]
pub(super) enum AuthEnd {
    /// Authenticated: reply with success.
    Success(ServerSuccess),
    /// Not authenticated (including cancel, a mechanism not offered here, and the
    /// session's limits): reply with the failure's protocol mapping.
    Failure(ServerFailure),
    /// The client's line was not base64 (or the initial response was not): reply
    /// with a syntax error (IMAP `BAD`, SMTP `501`, POP3 `-ERR`).
    Malformed(&'static str),
    /// The connection broke off mid-exchange: close it (after a protocol goodbye
    /// for a timeout or an overlong line).
    Broken(LinkError),
    /// A local problem (a bug): reply with a temporary failure.
    Local(String),
}

/// Runs one exchange for `mechanism` with the raw initial-response argument
/// `initial` (`None`: the client sent none; `=`: empty), sending challenges with the
/// continuation `prefix`. Logs it, waits the failure delay before returning a
/// failure, and counts it.
pub(super) async fn authenticate(
    conn: &mut Connection,
    mechanism: &str,
    initial: Option<&str>,
    prefix: &str,
) -> AuthEnd {
    let mut tried: Option<String> = None;
    let end = exchange(conn, mechanism, initial, prefix, &mut tried).await;
    let (outcome, identity, reason) = match &end {
        AuthEnd::Success(success) => {
            if let Some(MechanismData::Passkey(used)) = success.mechanism_data() {
                conn.shared
                    .store
                    .record_passkey_use(success.authcid(), used);
            }
            let bound = success
                .channel_binding()
                .map(|kind| format!("channel binding {}", kind.name()));
            (Outcome::Success, Some(success.identity().to_owned()), bound)
        }
        AuthEnd::Failure(failure) => (Outcome::Failure, tried, Some(failure.reason().to_string())),
        AuthEnd::Malformed(what) => (Outcome::Failure, tried, Some((*what).to_owned())),
        AuthEnd::Broken(e) => (
            Outcome::Failure,
            tried,
            Some(format!("connection {e} during the exchange")),
        ),
        AuthEnd::Local(e) => (Outcome::Failure, tried, Some(format!("local error: {e}"))),
    };
    conn.shared.log.attempt(AttemptRecord {
        time: now_secs(),
        peer: conn.peer,
        protocol: conn.protocol,
        tls: conn.is_tls(),
        mechanism: bounded(&mechanism.to_ascii_uppercase()),
        identity: identity.map(|i| bounded(&i)),
        outcome,
        reason: reason.map(|r| bounded(&r)),
    });
    if outcome == Outcome::Failure && !matches!(end, AuthEnd::Broken(_)) {
        conn.count_failure();
        let delay = conn.shared.failure_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    end
}

fn now() -> Option<UnixTime> {
    UnixTime::from_system_time(std::time::SystemTime::now())
}

fn set_now(session: &mut ServerSession) {
    if let Some(now) = now() {
        session.set_now(now);
    }
}

async fn exchange(
    conn: &mut Connection,
    mechanism: &str,
    initial: Option<&str>,
    prefix: &str,
    tried: &mut Option<String>,
) -> AuthEnd {
    let Ok(initial) = wire::decode_initial_response(initial.map(str::as_bytes)) else {
        return AuthEnd::Malformed("the initial response is not base64");
    };
    let mut session = match conn.shared.registry.start(mechanism, conn.info()) {
        Ok(session) => session,
        Err(refused) => return AuthEnd::Failure(refused),
    };
    set_now(&mut session);
    let mut step = match session.start(initial.as_deref()) {
        Ok(step) => step,
        Err(e) => return AuthEnd::Local(e.to_string()),
    };
    loop {
        step = match step {
            ServerStep::Challenge(challenge) => {
                let line = format!("{prefix}{}", wire::encode_challenge(&challenge));
                if let Err(e) = conn.send(&line).await {
                    return AuthEnd::Broken(e);
                }
                let reply = match conn.auth_line().await {
                    Ok(reply) => reply,
                    Err(e) => return AuthEnd::Broken(e),
                };
                set_now(&mut session);
                let next = match wire::decode_response(&reply) {
                    Ok(Response::Data(data)) => session.step(data.expose()),
                    Ok(Response::Cancel) => session.cancel(),
                    Err(_) => return AuthEnd::Malformed("a response is not base64"),
                };
                match next {
                    Ok(step) => step,
                    Err(e) => return AuthEnd::Local(e.to_string()),
                }
            }
            ServerStep::Request(request) => {
                if let Some(name) = Store::identity_of(&request) {
                    *tried = Some(name);
                }
                let answer = conn.shared.store.answer(request);
                set_now(&mut session);
                match session.provide(answer) {
                    Ok(step) => step,
                    Err(e) => return AuthEnd::Local(format!("answer refused: {:?}", e.misuse())),
                }
            }
            ServerStep::Success(success) => return AuthEnd::Success(success),
            ServerStep::Failure(failure) => return AuthEnd::Failure(failure),
        };
    }
}
