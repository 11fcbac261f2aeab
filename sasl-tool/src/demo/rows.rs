//! The demo's logins: which protocol, mechanism and credentials, and what must come out.

use super::fixtures::{Fixtures, HOST, USER};
use crate::cli::CbType;
use crate::failure::Failure;
use crate::login::{LoginOutcome, LoginReport, LoginSettings, Target};
use crate::serve::{AttemptRecord, Outcome, Protocol};
use crate::tls::Trust;
use sasl_core::Secret;
use sasl_passkey::SoftwareAuthenticator;
use std::net::SocketAddr;
use std::time::Duration;

/// The credential a row logs in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential {
    /// The account's password.
    Password,
    /// A password that is not the account's.
    WrongPassword,
    /// A valid bearer token.
    Token,
    /// A bearer token signed by a key the server does not trust.
    ForgedToken,
    /// The client certificate.
    Certificate,
    /// The registered passkey.
    Passkey,
    /// A passkey the server never registered.
    UnknownPasskey,
}

impl Credential {
    /// What the row's "credential" column says.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Credential::Password => "password",
            Credential::WrongPassword => "wrong password",
            Credential::Token => "token",
            Credential::ForgedToken => "forged token",
            Credential::Certificate => "client certificate",
            Credential::Passkey => "passkey",
            Credential::UnknownPasskey => "unknown passkey",
        }
    }

    /// Whether the server must accept it.
    pub(crate) fn must_succeed(self) -> bool {
        matches!(
            self,
            Credential::Password
                | Credential::Token
                | Credential::Certificate
                | Credential::Passkey
        )
    }
}

/// One planned login.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The protocol and its TLS.
    pub(crate) protocol: Protocol,
    /// The mechanism asked for.
    pub(crate) mechanism: &'static str,
    /// The channel-binding type asked for (-PLUS only).
    pub(crate) cb_type: Option<CbType>,
    /// The credential.
    pub(crate) credential: Credential,
}

/// One login's result.
#[derive(Debug)]
pub(crate) struct RowResult {
    /// The plan.
    pub(crate) row: Row,
    /// What happened, as the client saw it.
    pub(crate) report: LoginReport,
    /// The server's record of the attempt (`None` if it logged none, or more than one).
    pub(crate) server_view: Option<AttemptRecord>,
}

impl RowResult {
    /// Whether the outcome is the expected one, on both sides: a login that must succeed
    /// is authenticated for the client (SCRAM: the server proved itself) and logged by the
    /// server as a success for the demo account with the mechanism asked for; one that
    /// must fail is the server's refusal (not a local error) and logged as a failure.
    pub(crate) fn as_expected(&self) -> bool {
        let Some(server) = &self.server_view else {
            return false;
        };
        let same_mechanism = server.mechanism == self.row.mechanism;
        match &self.report.outcome {
            LoginOutcome::Authenticated { identity } => {
                self.row.credential.must_succeed()
                    && same_mechanism
                    && server.outcome == Outcome::Success
                    && server.identity.as_deref() == Some(USER)
                    && (identity.is_empty() || identity == USER)
            }
            LoginOutcome::Refused { .. } => {
                !self.row.credential.must_succeed()
                    && same_mechanism
                    && server.outcome == Outcome::Failure
            }
            LoginOutcome::Error(_) => false,
        }
    }

    /// The identity the login established: the server's record of it.
    pub(crate) fn identity(&self) -> Option<&str> {
        self.server_view
            .as_ref()
            .filter(|record| record.outcome == Outcome::Success)
            .and_then(|record| record.identity.as_deref())
    }
}

/// The mechanisms every protocol runs, with the credential each uses.
const PLAN: &[(&str, Option<CbType>, Credential)] = &[
    ("PLAIN", None, Credential::Password),
    ("LOGIN", None, Credential::Password),
    ("SCRAM-SHA-1", None, Credential::Password),
    ("SCRAM-SHA-256", None, Credential::Password),
    ("SCRAM-SHA-512", None, Credential::Password),
    (
        "SCRAM-SHA-256-PLUS",
        Some(CbType::TlsExporter),
        Credential::Password,
    ),
    (
        "SCRAM-SHA-512-PLUS",
        Some(CbType::TlsServerEndPoint),
        Credential::Password,
    ),
    ("OAUTHBEARER", None, Credential::Token),
    ("XOAUTH2", None, Credential::Token),
    ("EXTERNAL", None, Credential::Certificate),
    ("PASSKEY", None, Credential::Passkey),
    (
        "SCRAM-SHA-256-PLUS",
        Some(CbType::TlsExporter),
        Credential::WrongPassword,
    ),
    ("OAUTHBEARER", None, Credential::ForgedToken),
    ("PASSKEY", None, Credential::UnknownPasskey),
];

/// The protocols the demo logs in over: IMAP upgraded with STARTTLS, SMTP submission on
/// implicit TLS.
pub(crate) const PROTOCOLS: &[Protocol] = &[Protocol::Imap, Protocol::Submissions];

/// Every row, in order.
pub(crate) fn plan() -> Vec<Row> {
    PROTOCOLS
        .iter()
        .flat_map(|protocol| {
            PLAN.iter()
                .map(move |(mechanism, cb_type, credential)| Row {
                    protocol: *protocol,
                    mechanism,
                    cb_type: *cb_type,
                    credential: *credential,
                })
        })
        .collect()
}

/// The URL scheme and whether to upgrade with STARTTLS.
fn scheme(protocol: Protocol) -> (&'static str, bool) {
    match protocol {
        Protocol::Imap => ("imap", true),
        Protocol::Imaps => ("imaps", false),
        Protocol::Smtp => ("smtp", true),
        Protocol::Submissions => ("smtps", false),
        Protocol::Pop3 => ("pop3", true),
        Protocol::Pop3s => ("pop3s", false),
    }
}

/// The login settings of `row` against the server listening on `address`.
pub(crate) fn settings(
    row: &Row,
    address: SocketAddr,
    fixtures: &Fixtures,
) -> Result<LoginSettings, Failure> {
    let (scheme, starttls) = scheme(row.protocol);
    let target = Target::parse(&format!("{scheme}://{HOST}:{}", address.port()))?;
    let mut settings = LoginSettings {
        target,
        mech: Some(row.mechanism.to_owned()),
        user: Some(USER.to_owned()),
        authzid: None,
        password: None,
        token: None,
        client_cert: None,
        passkey: None,
        trust: Trust::Roots(vec![fixtures.ca.issued().cert_der.clone()]),
        starttls,
        cb_type: row.cb_type,
        timeout: Duration::from_secs(20),
    };
    match row.credential {
        Credential::Password => settings.password = Some(fixtures.password.clone()),
        Credential::WrongPassword => settings.password = Some(fixtures.wrong_password.clone()),
        Credential::Token => settings.token = Some(fixtures.token.clone()),
        Credential::ForgedToken => settings.token = Some(fixtures.forged_token.clone()),
        Credential::Certificate => {
            settings.user = None;
            settings.client_cert = Some((fixtures.device.chain(), fixtures.device.private_key()?));
        }
        Credential::Passkey => settings.passkey = Some(authenticator(&fixtures.passkey)?),
        Credential::UnknownPasskey => {
            settings.user = None;
            settings.passkey = Some(authenticator(&fixtures.stranger)?);
        }
    }
    Ok(settings)
}

fn authenticator(key_file: &Secret<String>) -> Result<SoftwareAuthenticator, Failure> {
    SoftwareAuthenticator::from_key_file(key_file.expose())
        .map_err(|e| Failure::error(format!("the demo's passkey key file: {e}")))
}
