//! `sasl login`: authenticate against a real IMAP, SMTP or POP3 server with any
//! mechanism of the family and print the exchange decoded, secrets redacted.
//!
//! The steps, the same for the three protocols ([`dialog`]): connect ([`transport`];
//! TLS from the start for `imaps`, `smtps`, `pop3s`), read the greeting and
//! capabilities, upgrade with STARTTLS/STLS when asked (`--starttls`) or when the
//! server wants it (nothing usable before TLS, or a refusal
//! saying TLS is required, such as SMTP's `530 5.7.0`), pick the mechanism
//! ([`mechanisms`]: `--mech`, else the strongest both sides support with the
//! credentials given), run the exchange ([`session`] over the protocol's framing in
//! [`imap`], [`smtp`], [`pop3`]), and log out. [`report`] turns it into the
//! transcript, the `--json` document and the exit status; [`hints`] says what to try
//! next.
//!
//! Exit status: 0 authenticated (for SCRAM: and the server proved itself), 1 the
//! server refused, 2 usage, network, TLS or protocol errors.
//!
//! [`login`] is the in-process entry `sasl demo` uses; [`run`] is the command.

mod dialog;
mod hints;
mod imap;
mod mechanisms;
mod pop3;
mod report;
mod session;
mod smtp;
mod target;
mod transport;

pub(crate) use report::{LoginOutcome, LoginReport};
pub(crate) use target::Target;

use crate::cli::{CbType, LoginArgs};
use crate::failure::{CommandResult, Failure};
use crate::secrets;
use crate::term::{Paint, Term};
use crate::tls::{self, Trust};
use dialog::{Dialog, Greeted};
use hints::HintContext;
use mechanisms::Answers;
use report::Transcript;
use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sasl_core::{ClientSession, ConnectionInfo, FailureKind, Secret};
use session::{Capabilities, Ended, Exchange};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use transport::{Link, Transport};

/// Everything one login needs (built from the command line by [`run`], or directly by
/// `sasl demo`).
pub(crate) struct LoginSettings {
    /// The server.
    pub(crate) target: Target,
    /// The mechanism to use; `None`: the strongest both sides support.
    pub(crate) mech: Option<String>,
    /// The user name (authentication identity).
    pub(crate) user: Option<String>,
    /// The identity to act as, when not the user's own.
    pub(crate) authzid: Option<String>,
    /// The password, for PLAIN, LOGIN and SCRAM.
    pub(crate) password: Option<Secret<String>>,
    /// The bearer token, for OAUTHBEARER and XOAUTH2.
    pub(crate) token: Option<Secret<String>>,
    /// The TLS client certificate chain and key, for EXTERNAL.
    pub(crate) client_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    /// The software authenticator, for PASSKEY.
    pub(crate) passkey: Option<sasl_passkey::SoftwareAuthenticator>,
    /// Whom to trust for the server's certificate.
    pub(crate) trust: Trust,
    /// Upgrade a plain connection with STARTTLS/STLS even if the server does not ask.
    pub(crate) starttls: bool,
    /// The channel-binding type for -PLUS mechanisms (`None`: the connection's best).
    pub(crate) cb_type: Option<CbType>,
    /// How long each step may wait for the server.
    pub(crate) timeout: Duration,
}

impl LoginSettings {
    /// A bearer-token login (`mech` OAUTHBEARER or XOAUTH2) as `user`, with STARTTLS
    /// on plain connections: a token never goes out before TLS.
    pub(crate) fn bearer(
        target: Target,
        mech: &str,
        user: &str,
        token: Secret<String>,
        trust: Trust,
    ) -> Self {
        LoginSettings {
            target,
            mech: Some(mech.to_owned()),
            user: Some(user.to_owned()),
            authzid: None,
            password: None,
            token: Some(token),
            client_cert: None,
            passkey: None,
            trust,
            starttls: true,
            cb_type: None,
            timeout: Duration::from_secs(30),
        }
    }
}

impl std::fmt::Debug for LoginSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginSettings")
            .field("target", &self.target)
            .field("mech", &self.mech)
            .field("user", &self.user)
            .field("authzid", &self.authzid)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field(
                "client_cert",
                &self.client_cert.as_ref().map(|(c, _)| c.len()),
            )
            .field("passkey", &self.passkey.is_some())
            .field("trust", &self.trust)
            .field("starttls", &self.starttls)
            .field("cb_type", &self.cb_type)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Runs `sasl login`: reads the options and secrets, logs in, prints the transcript
/// (or `--json`) on stdout and the reason for a failure on stderr.
pub(crate) fn run(args: LoginArgs, term: &Term) -> CommandResult {
    let json = args.json;
    let passkey_path = args.passkey.clone();
    let (settings, prompt) = settings_from_args(args)?;
    if matches!(settings.trust, Trust::Insecure) {
        eprintln!(
            "{} {INSECURE_WARNING}",
            term.paint_err(Paint::Bad, "warning:")
        );
    }
    let runtime = runtime()?;
    let mut report = runtime.block_on(drive(settings, prompt));
    // A passkey that signed has a new counter: keep it, or the server's counter check
    // refuses the next login with this key file.
    if let (Some(authenticator), Some(path)) = (report.passkey.take(), &passkey_path) {
        crate::passkey::write_secret_file(path, &authenticator.to_key_file())?;
    }
    if json {
        let text = serde_json::to_string_pretty(&report.to_json())
            .map_err(|e| Failure::error(format!("writing JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", report.render(term));
    }
    if let Some(failure) = report.failure() {
        term.print_failure(&failure);
    }
    Ok(ExitCode::from(report.exit_status()))
}

/// The settings of the command line. The password is read now from a file or
/// `SASL_PASSWORD`; otherwise (the `bool`) it may be asked for on the terminal, but
/// only once a mechanism needs it.
fn settings_from_args(args: LoginArgs) -> Result<(LoginSettings, bool), Failure> {
    let target = Target::parse(&args.url)?;
    let user = args.user.filter(|u| !u.is_empty());
    let prompt_user = user.clone().unwrap_or_default();
    let password = if args.password_file.is_some() || std::env::var_os("SASL_PASSWORD").is_some() {
        Some(secrets::login_password(
            args.password_file.as_deref(),
            &prompt_user,
        )?)
    } else {
        None
    };
    let prompt = password.is_none() && std::io::stdin().is_terminal();
    let token = args
        .token_file
        .as_deref()
        .map(|path| secrets::read_file(path, "token"))
        .transpose()?;
    let client_cert = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some((tls::load_certs(cert)?, tls::load_key(key)?)),
        (None, None) => None,
        _ => {
            return Err(Failure::error("--cert and --key go together"));
        }
    };
    let passkey = args
        .passkey
        .as_deref()
        .map(crate::passkey::read_key_file)
        .transpose()?;
    let trust = match (&args.ca_file, args.insecure) {
        (Some(path), _) => Trust::Roots(tls::load_certs(path)?),
        (None, true) => Trust::Insecure,
        (None, false) => Trust::System,
    };
    let settings = LoginSettings {
        target,
        mech: args.mech.map(|m| m.to_ascii_uppercase()),
        user,
        authzid: args.authzid.filter(|z| !z.is_empty()),
        password,
        token,
        client_cert,
        passkey,
        trust,
        starttls: args.starttls,
        cb_type: args.cb_type,
        timeout: Duration::from_secs(args.timeout.max(1)),
    };
    Ok((settings, prompt))
}

/// The single-threaded runtime a command drives its logins on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::error(format!("starting the async runtime: {e}")))
}

/// Logs in with `settings` (never asking on the terminal) and reports what happened.
pub(crate) async fn login(settings: LoginSettings) -> LoginReport {
    drive(settings, false).await
}

/// What the report records as the login goes.
#[derive(Debug, Default)]
struct Progress {
    mechanism: Option<String>,
    channel_binding: Option<String>,
    round_trips: usize,
    server_reply: Option<String>,
    server_verified: bool,
    openid_configuration: Option<String>,
}

/// Logs in; `prompt` allows asking for a password on the terminal.
async fn drive(mut settings: LoginSettings, prompt: bool) -> LoginReport {
    let started = Instant::now();
    let mut transcript = Transcript::default();
    let mut progress = Progress::default();
    let mut answers = Answers::new(
        settings.user.take(),
        settings.authzid.take(),
        settings.password.take(),
        prompt,
        settings.token.take(),
        settings.passkey.take(),
        settings.client_cert.is_some(),
    );
    let outcome = match attempt(&settings, &mut answers, &mut transcript, &mut progress).await {
        Ok(outcome) => outcome,
        Err(failure) => LoginOutcome::Error(failure),
    };
    let transcript = transcript.finish(&answers.secrets());
    let passkey = answers.take_signed_passkey();
    LoginReport {
        outcome,
        mechanism: progress.mechanism,
        channel_binding: progress.channel_binding,
        round_trips: progress.round_trips,
        transcript,
        elapsed: started.elapsed(),
        server_verified: progress.server_verified,
        server_reply: progress.server_reply,
        openid_configuration: progress.openid_configuration,
        passkey,
    }
}

/// The rustls config: trust, and the client certificate for EXTERNAL.
fn tls_config(settings: &LoginSettings) -> Result<Arc<ClientConfig>, Failure> {
    let client_cert = settings
        .client_cert
        .as_ref()
        .map(|(chain, key)| (chain.clone(), key.clone_key()));
    tls::client_config(&settings.trust, client_cert)
}

/// STARTTLS, the handshake, and the capabilities again.
async fn upgrade(
    dialog: &mut Dialog,
    link: &mut Link<'_>,
    settings: &LoginSettings,
) -> Result<Capabilities, Failure> {
    let config = tls_config(settings)?;
    dialog.starttls(link).await?;
    link.start_tls(config, &settings.target.host).await?;
    note_unchecked_certificate(link, settings);
    dialog.capabilities(link).await
}

/// With `--insecure`, says in the transcript (stdout and `--json`) that TLS is up but
/// the server is unauthenticated: a password sent now goes to whoever answered.
fn note_unchecked_certificate(link: &mut Link<'_>, settings: &LoginSettings) {
    if matches!(settings.trust, Trust::Insecure) {
        link.log.note(INSECURE_WARNING);
    }
}

/// What `--insecure` means, said on stderr at the start and in the transcript.
const INSECURE_WARNING: &str = "WARNING: the server's certificate is NOT checked (--insecure): \
     anyone on the path can pose as this server and read what is sent; use --ca-file";

/// The mechanisms to pass to the registry: the server's list, or with `--mech` and a
/// server that lists none (POP3 without CAPA), the one asked for.
fn advertised(settings: &LoginSettings, capabilities: &Capabilities) -> Vec<String> {
    match &settings.mech {
        Some(mech) if capabilities.mechanisms.is_empty() => vec![mech.clone()],
        _ => capabilities.mechanisms.clone(),
    }
}

/// Whether a mechanism can be started on the plain connection as it is.
fn usable_in_clear(
    settings: &LoginSettings,
    answers: &Answers,
    capabilities: &Capabilities,
    info: &ConnectionInfo,
) -> bool {
    let credentials = answers.credentials(settings.mech.as_deref());
    let registry = mechanisms::registry();
    let offered = advertised(settings, capabilities);
    match &settings.mech {
        Some(mech) => {
            offered.iter().any(|m| m.eq_ignore_ascii_case(mech))
                && registry
                    .select(std::slice::from_ref(mech), &credentials, info)
                    .is_some()
        }
        None => registry.select(&offered, &credentials, info).is_some(),
    }
}

async fn attempt(
    settings: &LoginSettings,
    answers: &mut Answers,
    transcript: &mut Transcript,
    progress: &mut Progress,
) -> Result<LoginOutcome, Failure> {
    let target = &settings.target;
    transcript.note(format!("connecting to {target}"));
    let io = Transport::connect(&target.host, target.port, settings.timeout).await?;
    let mut link = Link {
        io,
        log: transcript,
    };
    link.log.note(format!(
        "connected to {} ({})",
        link.io.peer(),
        target.scheme.protocol().name()
    ));
    if target.scheme.implicit_tls() {
        link.start_tls(tls_config(settings)?, &target.host).await?;
        note_unchecked_certificate(&mut link, settings);
        if settings.starttls {
            link.log
                .note("TLS from the start: --starttls is not needed".to_owned());
        }
    }
    let mut dialog = Dialog::new(target.scheme.protocol(), link.io.local());
    let mut capabilities = match dialog.greet(&mut link).await? {
        Greeted::Ready(capabilities) => capabilities,
        Greeted::Preauth if settings.starttls && !link.io.is_tls() => {
            // PREAUTH ends the not-authenticated state, so STARTTLS is no longer
            // possible: an attacker on the path can send it to keep the connection in
            // plain text (CVE-2020-12398, the "PREAUTH" STARTTLS stripping).
            return Err(Failure::error(
                "the server sent PREAUTH in plain text, so STARTTLS cannot be done (a possible STARTTLS stripping attack)",
            )
            .hint("do not trust this connection; use imaps:// if the server offers it"));
        }
        Greeted::Preauth => {
            link.log
                .note("the server authenticated the connection before any SASL exchange (PREAUTH)");
            dialog.quit(&mut link).await;
            link.io.shutdown().await;
            return Ok(LoginOutcome::Authenticated {
                identity: answers.identity(),
            });
        }
    };
    if !link.io.is_tls() {
        let (info, _) = mechanisms::connection_info(
            target,
            &link.io,
            settings.cb_type,
            settings.client_cert.is_some(),
        )?;
        let required = capabilities.mechanisms.is_empty()
            || !usable_in_clear(settings, answers, &capabilities, &info);
        if settings.starttls || (required && capabilities.starttls) {
            if !capabilities.starttls {
                return Err(Failure::error(format!(
                    "the server does not offer {}",
                    target.scheme.protocol().starttls_command()
                ))
                .hint(
                    "try the TLS scheme (imaps://, smtps://, pop3s://) or leave --starttls out",
                ));
            }
            if !settings.starttls {
                link.log.note("the server wants TLS first: upgrading");
            }
            capabilities = upgrade(&mut dialog, &mut link, settings).await?;
        }
    }
    let mut retried = false;
    loop {
        let (info, notes) = mechanisms::connection_info(
            target,
            &link.io,
            settings.cb_type,
            settings.client_cert.is_some(),
        )?;
        for note in notes {
            link.log.note(note);
        }
        let offered = advertised(settings, &capabilities);
        if capabilities.mechanisms.is_empty() && settings.mech.is_some() {
            link.log
                .note("the server lists no mechanisms: trying --mech anyway");
        }
        let context = HintContext {
            mechanism: settings.mech.as_deref().unwrap_or_default(),
            offered: &capabilities.mechanisms,
            tls: link.io.is_tls(),
            channel_binding: None,
            authzid: answers.has_authzid(),
            user: answers.user().is_some(),
            password: answers.has_password_source(),
            token: answers.has_token(),
        };
        let credentials = answers.credentials(settings.mech.as_deref());
        let registry = mechanisms::registry();
        let started = match &settings.mech {
            Some(mech) => registry.start(mech, &offered, credentials, &info),
            None => registry.start_best(&offered, credentials, &info),
        };
        let client: ClientSession = started.map_err(|e| hints::start_failure(&e, &context))?;
        let mechanism = client.mechanism().to_string();
        link.log.note(format!(
            "mechanism {mechanism} ({})",
            if settings.mech.is_some() {
                "as asked"
            } else {
                "the strongest both sides support with the credentials given"
            }
        ));
        progress.mechanism = Some(mechanism.clone());
        progress.channel_binding = if mechanism.ends_with("-PLUS") {
            info.preferred_binding().map(|b| b.kind().name().to_owned())
        } else {
            None
        };
        let exchange = dialog
            .authenticate(&mut link, &capabilities, client, answers)
            .await?;
        progress.round_trips = exchange.round_trips;
        progress.server_reply.clone_from(&exchange.server_reply);
        let wants_tls = matches!(
            &exchange.ended,
            Ended::Refused(f) if f.reason().kind() == FailureKind::EncryptionRequired
        );
        if wants_tls
            && !exchange.challenged
            && !retried
            && !link.io.is_tls()
            && capabilities.starttls
        {
            retried = true;
            link.log
                .note("the server wants TLS first: upgrading and trying again");
            capabilities = upgrade(&mut dialog, &mut link, settings).await?;
            continue;
        }
        let binding = progress.channel_binding.clone();
        let context = HintContext {
            mechanism: &mechanism,
            channel_binding: binding.as_deref(),
            ..context
        };
        let outcome = conclude(exchange, answers, progress, &context);
        dialog.quit(&mut link).await;
        link.io.shutdown().await;
        return Ok(outcome);
    }
}

/// The outcome of the exchange, with the reason and hint for a failure.
fn conclude(
    exchange: Exchange,
    answers: &Answers,
    progress: &mut Progress,
    context: &HintContext<'_>,
) -> LoginOutcome {
    let line = exchange.server_reply.as_deref();
    if let Ended::Refused(failure) | Ended::Aborted(failure) = &exchange.ended {
        progress.openid_configuration = failure
            .token_error()
            .and_then(|token| token.openid_configuration())
            .map(str::to_owned);
    }
    match exchange.ended {
        Ended::Authenticated(success) => {
            progress.channel_binding = success.channel_binding().map(|b| b.name().to_owned());
            progress.server_verified = success.server_verified();
            LoginOutcome::Authenticated {
                identity: answers.identity(),
            }
        }
        Ended::Refused(failure) => LoginOutcome::Refused {
            reason: hints::reason(&failure, line),
            hint: hints::after_failure(&failure, context),
        },
        Ended::NotVerified(failure) => {
            let error = Failure::error(format!(
                "the server said yes, but {}",
                hints::reason(&failure, None)
            ));
            LoginOutcome::Error(match hints::after_failure(&failure, context) {
                Some(hint) => error.hint(hint),
                None => error,
            })
        }
        Ended::Aborted(failure)
            if failure.server_error().is_some()
                && failure.reason().kind() != FailureKind::ChannelBindingDowngrade =>
        {
            LoginOutcome::Refused {
                reason: hints::reason(&failure, None),
                hint: hints::after_failure(&failure, context),
            }
        }
        Ended::Aborted(failure) => {
            let error = Failure::error(format!(
                "the client gave up: {}",
                hints::reason(&failure, None)
            ));
            LoginOutcome::Error(match hints::after_failure(&failure, context) {
                Some(hint) => error.hint(hint),
                None => error,
            })
        }
        Ended::Local(failure) => LoginOutcome::Error(failure),
    }
}
