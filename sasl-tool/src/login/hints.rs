//! What went wrong and what to try next, in words: the failures of an exchange
//! (from [`ClientFailure`]'s kind and [`action`](ClientFailure::action)) and of
//! starting one (no common mechanism, a mechanism not offered, missing credentials).

use super::mechanisms::known_mechanisms;
use crate::failure::Failure;
use sasl_core::{ClientAction, ClientFailure, ConfigError, Error, FailureKind};

/// What the hints need to know about the login.
#[derive(Debug)]
pub(crate) struct HintContext<'a> {
    /// The mechanism used or asked for.
    pub(crate) mechanism: &'a str,
    /// What the server offers.
    pub(crate) offered: &'a [String],
    /// Whether the connection is TLS.
    pub(crate) tls: bool,
    /// The channel-binding type the exchange used or would use.
    pub(crate) channel_binding: Option<&'a str>,
    /// Whether `--authzid` was given.
    pub(crate) authzid: bool,
    /// Whether `--user` was given.
    pub(crate) user: bool,
    /// Whether a password was given or can be asked for.
    pub(crate) password: bool,
    /// Whether a token was given.
    pub(crate) token: bool,
}

impl HintContext<'_> {
    fn offered_list(&self) -> String {
        if self.offered.is_empty() {
            "nothing".to_owned()
        } else {
            self.offered.join(" ")
        }
    }

    fn is_bearer(&self) -> bool {
        matches!(self.mechanism, "OAUTHBEARER" | "XOAUTH2")
    }
}

/// The failure in a sentence: what the mechanism found and what the server said (its
/// final reply line, `server_line`, when the failure is that reply).
pub(crate) fn reason(failure: &ClientFailure, server_line: Option<&str>) -> String {
    let kind = failure.reason().kind();
    let mut text = match kind {
        FailureKind::InvalidCredentials | FailureKind::UnknownUser => {
            "authentication failed".to_owned()
        }
        FailureKind::AuthorizationDenied => "not authorized to act as that identity".to_owned(),
        FailureKind::Expired => "the credentials have expired".to_owned(),
        FailureKind::AccountDisabled => "the account is disabled".to_owned(),
        FailureKind::ChannelBindingMismatch => "the channel bindings do not match".to_owned(),
        FailureKind::ChannelBindingDowngrade => {
            "channel binding was stripped (a possible man in the middle)".to_owned()
        }
        FailureKind::ChannelBindingRequired => "the server requires channel binding".to_owned(),
        FailureKind::ChannelBindingUnsupported => {
            "the server does not support this channel binding".to_owned()
        }
        FailureKind::EncryptionRequired => "the server requires TLS first".to_owned(),
        FailureKind::MechanismTooWeak => "the mechanism is too weak for the server".to_owned(),
        FailureKind::Temporary => "temporary server failure".to_owned(),
        FailureKind::ServerNotAuthenticated => {
            "the server did not prove it knows the credentials".to_owned()
        }
        FailureKind::UnknownMechanism => "the server does not know the mechanism".to_owned(),
        FailureKind::Cancelled => "the exchange was cancelled".to_owned(),
        _ => failure.reason().detail().to_owned(),
    };
    let detail = failure.reason().detail();
    if let Some(line) = server_line {
        text.push_str(&format!(": the server said {line:?}"));
    } else if let Some(server) = failure.server_error().filter(|s| !s.is_empty()) {
        text.push_str(&format!(": the server said {server:?}"));
    } else if !detail.is_empty() && !text.contains(detail) {
        text.push_str(&format!(" ({detail})"));
    }
    if let Some(token) = failure.token_error() {
        text.push_str(&format!(" [token status {:?}", token.status()));
        if let Some(scope) = token.scope() {
            text.push_str(&format!(", scope needed {scope:?}"));
        }
        text.push(']');
    }
    text
}

/// What to try after a failed exchange.
pub(crate) fn after_failure(failure: &ClientFailure, context: &HintContext<'_>) -> Option<String> {
    let kind = failure.reason().kind();
    let by_kind = match kind {
        FailureKind::ChannelBindingMismatch | FailureKind::ChannelBindingUnsupported => {
            return Some(format!(
                "the server does not accept {} binding: try --cb-type tls-server-end-point or --cb-type tls-exporter, or --cb-type none",
                context.channel_binding.unwrap_or("this")
            ));
        }
        FailureKind::ChannelBindingRequired => Some(
            "use TLS (imaps://, smtps://, pop3s:// or --starttls) and a -PLUS mechanism".to_owned(),
        ),
        FailureKind::ChannelBindingDowngrade => Some(
            "someone may be removing -PLUS mechanisms from the server's list: do not trust this connection".to_owned(),
        ),
        FailureKind::EncryptionRequired => Some(
            "use --starttls, or the TLS scheme (imaps://, smtps://, pop3s://)".to_owned(),
        ),
        FailureKind::MechanismTooWeak => Some(format!(
            "pick a stronger mechanism with --mech; the server offers: {}",
            context.offered_list()
        )),
        FailureKind::UnknownMechanism => Some(format!(
            "the server offers: {}",
            context.offered_list()
        )),
        FailureKind::ServerNotAuthenticated => Some(
            "it may be an impostor: check the address, the certificate (--ca-file), and do not trust this server".to_owned(),
        ),
        FailureKind::AuthorizationDenied if context.authzid => {
            Some("this user may not act as the --authzid given; leave --authzid out".to_owned())
        }
        FailureKind::AccountDisabled => {
            Some("the account is disabled or locked: ask the server's administrator".to_owned())
        }
        _ => None,
    };
    if by_kind.is_some() {
        return by_kind;
    }
    match failure.action() {
        ClientAction::RefreshCredentials if context.is_bearer() => Some(
            "the token has expired: fetch a fresh access token and pass it with --token-file"
                .to_owned(),
        ),
        ClientAction::RefreshCredentials => {
            Some("the credentials have expired: renew them (change the password)".to_owned())
        }
        ClientAction::Retry => Some("a temporary problem of the server: try again later".to_owned()),
        ClientAction::AskUser => Some(match context.mechanism {
            "OAUTHBEARER" | "XOAUTH2" => {
                "the token was not accepted: is it for this server and user, and not expired? fetch a fresh one (--token-file)".to_owned()
            }
            "EXTERNAL" => {
                "the server does not map this client certificate to an account (or to the --authzid)".to_owned()
            }
            "PASSKEY" => "is this passkey registered for this user on this server?".to_owned(),
            _ => "wrong user name or password? check --user and the password (--password-file, SASL_PASSWORD or the prompt)".to_owned(),
        }),
        ClientAction::GiveUp => match kind {
            FailureKind::Cancelled => None,
            _ => Some("see the transcript for what the server sent".to_owned()),
        },
        _ => None,
    }
}

/// What could not start a session, with what to try next. Exit status 2: it is a
/// question of options, not the server's refusal.
pub(crate) fn start_failure(error: &Error, context: &HintContext<'_>) -> Failure {
    let offered = context.offered_list();
    match error {
        Error::Config(ConfigError::NoCommonMechanism) => no_common_mechanism(context),
        Error::Config(ConfigError::UnknownMechanism(name)) => Failure::error(format!(
            "unknown mechanism {name:?}"
        ))
        .hint(format!("this tool speaks: {}", known_mechanisms())),
        Error::Config(ConfigError::NotAdvertised(name)) => Failure::error(format!(
            "the server does not offer {name}"
        ))
        .hint(if context.tls {
            format!("it offers: {offered}; leave --mech out to pick the strongest")
        } else {
            format!(
                "it offers: {offered}; more may be offered after TLS (--starttls, or imaps://, smtps://, pop3s://)"
            )
        }),
        Error::Config(ConfigError::MechanismNotAvailable(name)) => {
            let failure = Failure::error(format!("{name} cannot be used on this connection"));
            if name.ends_with("-PLUS") {
                failure.hint(
                    "-PLUS needs TLS with channel-binding data (and not --cb-type none); use imaps://, smtps://, pop3s:// or --starttls",
                )
            } else if name == "EXTERNAL" {
                failure.hint("EXTERNAL needs TLS and a client certificate: --cert FILE --key FILE")
            } else {
                failure.hint(
                    "it sends the password in the clear: use TLS (--starttls, or imaps://, smtps://, pop3s://)",
                )
            }
        }
        Error::Config(ConfigError::MissingCredentials(what)) => Failure::error(format!(
            "{} needs {what}",
            context.mechanism
        ))
        .hint(credential_hint(context.mechanism)),
        other => Failure::error(format!("cannot start {}: {other:?}", context.mechanism)),
    }
}

fn credential_hint(mechanism: &str) -> &'static str {
    match mechanism {
        "OAUTHBEARER" | "XOAUTH2" => "pass --token-file FILE (and --user for XOAUTH2)",
        "PASSKEY" => "pass --passkey FILE (and --user, unless the passkey is discoverable)",
        "EXTERNAL" => "pass --cert FILE --key FILE and use TLS",
        _ => "pass --user NAME and --password-file FILE (or set SASL_PASSWORD)",
    }
}

/// No mechanism fits: say what the server offers and which credential is missing.
fn no_common_mechanism(context: &HintContext<'_>) -> Failure {
    let offered = context.offered_list();
    let failure = Failure::error(format!(
        "no mechanism both sides support fits the credentials given (the server offers: {offered})"
    ));
    let password_mechanisms = context
        .offered
        .iter()
        .any(|m| super::mechanisms::uses_password(m));
    if context.offered.is_empty() {
        return failure.hint(if context.tls {
            "the server offers no SASL mechanism here; with --mech NAME the tool tries it anyway"
        } else {
            "the server offers no mechanism before TLS: try --starttls, or imaps://, smtps://, pop3s://"
        });
    }
    if password_mechanisms && !context.user {
        return failure.hint("pass --user NAME (and the password)");
    }
    if password_mechanisms && !context.password {
        return failure.hint(
            "pass --password-file FILE or set SASL_PASSWORD (no terminal to ask for the password on)",
        );
    }
    if !context.tls && context.offered.iter().any(|m| m == "PLAIN" || m == "LOGIN") {
        return failure.hint(
            "PLAIN and LOGIN send the password in the clear: use TLS (--starttls, or imaps://, smtps://, pop3s://)",
        );
    }
    if context
        .offered
        .iter()
        .any(|m| m == "OAUTHBEARER" || m == "XOAUTH2")
        && !context.token
    {
        return failure.hint("pass --token-file FILE for OAUTHBEARER/XOAUTH2");
    }
    failure.hint(format!(
        "pick one with --mech and give its credentials; this tool speaks: {}",
        known_mechanisms()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sasl_core::{FailureReply, TokenError};

    fn context<'a>(mechanism: &'a str, offered: &'a [String]) -> HintContext<'a> {
        HintContext {
            mechanism,
            offered,
            tls: true,
            channel_binding: Some("tls-exporter"),
            authzid: false,
            user: true,
            password: true,
            token: false,
        }
    }

    #[test]
    fn wrong_password_and_expired_token() {
        let offered = vec!["PLAIN".to_owned()];
        let wrong = ClientFailure::from_reply(&FailureReply::new(
            FailureKind::InvalidCredentials,
            "Authentication failed.",
        ));
        assert!(reason(&wrong, None).contains("Authentication failed."));
        assert!(reason(&wrong, Some("a1 NO [AUTHENTICATIONFAILED] x")).contains("a1 NO"));
        assert!(
            after_failure(&wrong, &context("PLAIN", &offered))
                .unwrap()
                .contains("password")
        );
        let expired = ClientFailure::new(FailureKind::Expired, "x")
            .with_token_error(TokenError::invalid_token());
        let hint = after_failure(&expired, &context("OAUTHBEARER", &offered)).unwrap();
        assert!(hint.contains("--token-file"), "{hint}");
        assert!(reason(&expired, None).contains("invalid_token"));
    }

    #[test]
    fn channel_binding_and_tls_hints() {
        let offered = vec![];
        let cb = ClientFailure::new(FailureKind::ChannelBindingMismatch, "e=");
        assert!(
            after_failure(&cb, &context("SCRAM-SHA-256-PLUS", &offered))
                .unwrap()
                .contains("--cb-type")
        );
        let tls = ClientFailure::new(FailureKind::EncryptionRequired, "530");
        assert!(
            after_failure(&tls, &context("PLAIN", &offered))
                .unwrap()
                .contains("--starttls")
        );
    }

    #[test]
    fn start_failures_name_the_offer() {
        let offered = vec!["SCRAM-SHA-256".to_owned(), "PLAIN".to_owned()];
        let ctx = context("CRAM-MD5", &offered);
        let unknown = start_failure(
            &Error::Config(ConfigError::UnknownMechanism("CRAM-MD5".to_owned())),
            &ctx,
        );
        assert_eq!(unknown.status(), crate::failure::EXIT_ERROR);
        assert!(unknown.hint_text().unwrap().contains("SCRAM-SHA-256"));
        let missing = start_failure(
            &Error::Config(ConfigError::NotAdvertised("XOAUTH2".to_owned())),
            &ctx,
        );
        assert!(missing.hint_text().unwrap().contains("SCRAM-SHA-256 PLAIN"));
    }
}
