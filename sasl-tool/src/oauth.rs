//! `sasl oauth`: OAuth for mail clients from the e-mail address alone, and a token
//! helper that drops into mutt's `imap_oauth_refresh_command`, aerc's `source-cred-cmd`
//! or isync's `PassCmd`.
//!
//! - `login`: [`discover`] the provider (autoconfig, the mail server's OAUTHBEARER
//!   error, the issuer's metadata), choose the [`client`] (given, registered by
//!   RFC 7591, or autoconfig's), get the user's [`consent`] once (browser with PKCE
//!   and a loopback redirect, device code, or paste), and [`store`] the tokens.
//! - `token`: print a valid access token, refreshing it (and keeping a rotated
//!   refresh token) when it expires within `--min-validity`.
//! - `test`: log into the account's IMAP and SMTP servers with OAUTHBEARER and
//!   XOAUTH2.
//! - `show`, `forget` (which revokes at the provider, RFC 7009).
//!
//! The OAuth messages themselves are sasl-oauthbearer's sans-IO
//! [`sasl_oauthbearer::authorization`] and
//! [`sasl_oauthbearer::discovery`] modules; here are the I/O ([`http`]),
//! the files and the reporting. Tokens never go to a log, to stderr or into an error.

mod client;
mod consent;
mod discover;
mod http;
mod store;

use crate::cli::{
    OAuthFlow, OAuthForgetArgs, OAuthLoginArgs, OAuthShowArgs, OAuthTestArgs, OAuthTokenArgs,
};
use crate::failure::{CommandResult, Failure};
use crate::login::{self, LoginSettings, Target};
use crate::term::{Paint, Term};
use crate::tls;
use http::Http;
use sasl_core::Secret;
use sasl_oauthbearer::authorization::{self, OAuthError, TokenResponse};
use sasl_oauthbearer::discovery::Trust;
use serde_json::json;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;
use store::{Account, Paths, Tokens};

/// How long one HTTP request may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Used when no scope is given or discovered: OpenID, the address, and a refresh token.
const DEFAULT_SCOPES: &[&str] = &["openid", "email", "offline_access"];

/// How long an access token without `expires_in` is taken to last.
const ASSUMED_LIFETIME: u64 = 3600;

/// `sasl oauth login`.
pub(crate) fn run_login(args: OAuthLoginArgs, term: &Term) -> CommandResult {
    let dir = store::directory(args.store.store.as_deref())?;
    let paths = Paths::of(&dir, &args.address)?;
    if let (Some(encrypt), Some(decrypt)) = (&args.encrypt_cmd, &args.decrypt_cmd) {
        store::check_filters(encrypt, decrypt)?;
    }
    let trust = url_trust(args.allow_http_loopback);
    let roots = args.ca_file.as_deref().map(tls::load_certs).transpose()?;
    let http = Http::new(roots.clone(), trust, HTTP_TIMEOUT)?;
    let start = discover::Start {
        address: &args.address,
        autoconfig_url: args.autoconfig_url.as_deref(),
        issuer: args.issuer.as_deref(),
        imap: args.imap.as_deref(),
        smtp: args.smtp.as_deref(),
        mail_trust: roots.map_or(tls::Trust::System, tls::Trust::Roots),
    };
    let mut found = discover::discover(&start, &http)?;
    let endpoints = client::Endpoints::resolve(&args, &mut found)?;
    let scopes = scopes(&args, &mut found);

    let previous = previous_login(&paths);
    let previous_port = previous
        .as_ref()
        .and_then(|p| p.account.redirect_uri.as_deref())
        .and_then(port_of);
    let listener = bind(args.port, previous_port)?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::error(format!("the redirect listener: {e}")))?
        .port();
    let redirect_uri = consent::redirect_uri(port);
    let client = client::choose(
        &args,
        &mut found,
        &endpoints,
        &redirect_uri,
        previous.as_ref(),
        &http,
    )?;

    let timeout = Duration::from_secs(args.timeout.max(1));
    let token = match args.flow {
        OAuthFlow::Device => {
            drop(listener);
            let device = endpoints.device.as_deref().ok_or_else(|| {
                Failure::error("the provider offers no device authorization grant")
                    .hint("use --flow browser or --flow paste, or give --device-auth-url")
            })?;
            consent::device_flow(
                device,
                &endpoints.token,
                &client.credentials,
                &scopes,
                timeout,
                &http,
            )?
        }
        OAuthFlow::Browser | OAuthFlow::Paste => {
            let authorization_endpoint = endpoints.authorization.as_deref().ok_or_else(|| {
                Failure::error("no authorization endpoint")
                    .hint("pass --auth-url, or use --flow device")
            })?;
            let grant = consent::CodeGrant {
                authorization_endpoint,
                token_endpoint: &endpoints.token,
                client: &client.credentials,
                scopes: &scopes,
                issuer: endpoints.issuer.as_deref(),
                require_iss: endpoints.iss_parameter,
                address: &args.address,
                timeout,
            };
            if args.flow == OAuthFlow::Paste {
                consent::paste_flow(&grant, listener, &redirect_uri, &http)?
            } else {
                let browser = if args.no_browser {
                    consent::Browser::PrintOnly
                } else {
                    consent::Browser::Open
                };
                consent::browser_flow(&grant, listener, &redirect_uri, browser, &http)?
            }
        }
    };

    let now = consent::now().as_secs();
    let account = Account {
        version: Account::version(),
        address: args.address.clone(),
        issuer: endpoints.issuer.clone(),
        discovery: found.report.clone(),
        allow_http_loopback: args.allow_http_loopback,
        ca_file: args.ca_file.as_deref().map(absolute),
        client_id: client.credentials.client_id().to_owned(),
        client_source: client.source.to_owned(),
        client_auth: client.credentials.auth_method().to_owned(),
        redirect_uri: client.redirect_uri.clone(),
        authorization_endpoint: endpoints.authorization.clone(),
        token_endpoint: endpoints.token.clone(),
        device_authorization_endpoint: endpoints.device.clone(),
        revocation_endpoint: endpoints.revocation.clone(),
        iss_parameter: endpoints.iss_parameter,
        scopes: scopes.clone(),
        imap: found.imap.clone(),
        smtp: found.smtp.clone(),
        encrypt_cmd: args.encrypt_cmd.clone(),
        decrypt_cmd: args.decrypt_cmd.clone(),
        obtained_at: now,
        expires_at: trusted_expiry(&token, now),
        refresh_token: token.refresh_token().is_some(),
    };
    let tokens = Tokens {
        access_token: token.access_token().to_owned(),
        refresh_token: token.refresh_token().map(str::to_owned),
        client_secret: client.credentials.secret().map(str::to_owned),
        registration_access_token: client.registration_access_token.clone(),
    };
    store::create_directory(&dir)?;
    {
        // Not while a `token` of the earlier login refreshes.
        let _lock = store::lock(&paths)?;
        store::write(&paths, &account, &tokens)?;
    }
    println!(
        "{} {} (token {}, {})",
        term.paint(Paint::Good, "logged in:"),
        args.address,
        validity(account.expires_at, now),
        if account.refresh_token {
            "refreshable"
        } else {
            "no refresh token: log in again when it expires"
        }
    );
    println!("stored in {}", paths.account.display());
    println!(
        "next: `sasl oauth token {}` prints the access token; `sasl oauth test {}` tries it",
        args.address, args.address
    );
    Ok(ExitCode::SUCCESS)
}

/// The scopes: `--scope`, else autoconfig's, else [`DEFAULT_SCOPES`].
fn scopes(args: &OAuthLoginArgs, found: &mut discover::Found) -> Vec<String> {
    let given: Vec<String> = args
        .scope
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_owned)
        .collect();
    let (scopes, source) = if !given.is_empty() {
        (given, "--scope")
    } else if let Some(autoconfig) = found.autoconfig.as_ref() {
        (autoconfig.scopes().to_vec(), "autoconfig")
    } else {
        (
            DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            "default",
        )
    };
    found.say(format!("scope {} (from {source})", scopes.join(" ")));
    scopes
}

/// The earlier login's account and tokens, when both can be read.
fn previous_login(paths: &Paths) -> Option<client::Previous> {
    if !paths.exists() {
        return None;
    }
    let account = store::read_account(paths).ok()?;
    let tokens = store::read_tokens(paths, &account).ok()?;
    Some(client::Previous { account, tokens })
}

fn port_of(uri: &str) -> Option<u16> {
    let rest = uri.strip_prefix("http://127.0.0.1:")?;
    rest.split('/').next()?.parse().ok()
}

/// The loopback listener: on `--port`, else the earlier registration's port if it is
/// free, else any port.
fn bind(given: Option<u16>, previous: Option<u16>) -> Result<TcpListener, Failure> {
    if let Some(port) = given {
        return TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
            Failure::error(format!(
                "listening on 127.0.0.1:{port} for the redirect: {e}"
            ))
        });
    }
    if let Some(listener) = previous.and_then(|port| TcpListener::bind(("127.0.0.1", port)).ok()) {
        return Ok(listener);
    }
    TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| Failure::error(format!("listening on 127.0.0.1 for the redirect: {e}")))
}

fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `sasl oauth token`.
pub(crate) fn run_token(args: OAuthTokenArgs) -> CommandResult {
    let paths = store::paths(&args.store, &args.address)?;
    let token = fresh_token(&paths, args.min_validity)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", token.expose())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::error(format!("writing the token: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// A token valid for at least `min_validity` more seconds: the stored one, or a
/// refreshed one (stored, with the rotated refresh token if the provider rotated it).
/// The account is locked meanwhile, so two callers never spend one refresh token.
fn fresh_token(paths: &Paths, min_validity: u64) -> Result<Secret<String>, Failure> {
    let _lock = store::lock(paths)?;
    let mut account = store::read_account(paths)?;
    let mut tokens = store::read_tokens(paths, &account)?;
    let now = consent::now().as_secs();
    let valid_until = account
        .expires_at
        .unwrap_or(account.obtained_at.saturating_add(ASSUMED_LIFETIME));
    if valid_until > now.saturating_add(min_validity) {
        return Ok(Secret::new(tokens.access_token.clone()));
    }
    let again = format!("run `sasl oauth login {}` again", account.address);
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return Err(
            Failure::refused("the access token has expired and there is no refresh token")
                .hint(again),
        );
    };
    let http = account_http(&account)?;
    let client = account.credentials(&tokens);
    let form = authorization::refresh_grant(&client, &refresh_token, None);
    let response = http.post_form(&account.token_endpoint, &form)?;
    let refreshed =
        TokenResponse::parse(response.status, &response.body, consent::now()).map_err(|e| {
            if e.needs_new_login() {
                Failure::refused(format!("the provider refused the refresh token: {e}"))
                    .hint(format!("it has expired or been revoked: {again}"))
            } else {
                Failure::error(format!(
                    "refreshing the token at {}: {e}",
                    account.token_endpoint
                ))
            }
        })?;
    tokens.access_token = refreshed.access_token().to_owned();
    if let Some(rotated) = refreshed.refresh_token() {
        tokens.refresh_token = Some(rotated.to_owned());
    }
    account.obtained_at = now;
    account.expires_at = trusted_expiry(&refreshed, now);
    account.refresh_token = tokens.refresh_token.is_some();
    store::write(paths, &account, &tokens).map_err(|failure| {
        Failure::error(format!(
            "the provider issued new tokens, but they could not be stored: {}",
            failure.message()
        ))
        .hint(format!(
            "if the provider rotated the refresh token, the stored one is spent: fix the cause, then {again}"
        ))
    })?;
    Ok(Secret::new(tokens.access_token.clone()))
}

/// The longest lifetime taken at face value when a refresh token can renew the access
/// token: a provider's absurd `expires_in` must not make `token` hand out a dead token
/// forever.
const MAX_TRUSTED_LIFETIME: u64 = 24 * 3600;

/// When to consider the token expired (Unix seconds).
fn trusted_expiry(token: &TokenResponse, now: u64) -> Option<u64> {
    let at = token.expires_at().map(sasl_core::UnixTime::as_secs)?;
    if token.refresh_token().is_some() {
        Some(at.min(now.saturating_add(MAX_TRUSTED_LIFETIME)))
    } else {
        Some(at)
    }
}

/// The HTTP client for an account's provider.
fn account_http(account: &Account) -> Result<Http, Failure> {
    let roots = account
        .ca_file
        .as_deref()
        .map(tls::load_certs)
        .transpose()?;
    Http::new(roots, url_trust(account.allow_http_loopback), HTTP_TIMEOUT)
}

/// The URL policy: https only, or also http to loopback (`--allow-http-loopback`).
fn url_trust(allow_http_loopback: bool) -> Trust {
    if allow_http_loopback {
        Trust::AllowHttpLoopback
    } else {
        Trust::HttpsOnly
    }
}

/// `sasl oauth test`.
pub(crate) fn run_test(args: OAuthTestArgs, term: &Term) -> CommandResult {
    let paths = store::paths(&args.store, &args.address)?;
    let account = store::read_account(&paths)?;
    let servers: Vec<(&str, String)> = [
        ("IMAP", args.imap.clone().or_else(|| account.imap.clone())),
        ("SMTP", args.smtp.clone().or_else(|| account.smtp.clone())),
    ]
    .into_iter()
    .filter_map(|(name, url)| url.map(|u| (name, u)))
    .collect();
    if servers.is_empty() {
        return Err(
            Failure::error("no IMAP or SMTP server is known for this account")
                .hint("pass --imap URL and --smtp URL"),
        );
    }
    let token = fresh_token(&paths, 60)?;
    let ca_file = args.ca_file.as_deref().or(account.ca_file.as_deref());
    let trust = match ca_file {
        Some(path) => tls::Trust::Roots(tls::load_certs(path)?),
        None => tls::Trust::System,
    };
    let runtime = login::runtime()?;
    let mut rows = Vec::new();
    for (name, url) in &servers {
        for mech in ["OAUTHBEARER", "XOAUTH2"] {
            let settings = LoginSettings::bearer(
                Target::parse(url)?,
                mech,
                &account.address,
                Secret::new(token.expose().clone()),
                trust.clone(),
            );
            let report = runtime.block_on(login::login(settings));
            let failure = report.failure().map(|f| f.to_string());
            rows.push((*name, url.clone(), mech, report.authenticated(), failure));
        }
    }
    let all = rows.iter().all(|(_, _, _, ok, _)| *ok);
    if args.json {
        let rows: Vec<_> = rows
            .iter()
            .map(|(name, url, mech, ok, failure)| {
                json!({"protocol": name, "server": url, "mechanism": mech, "authenticated": ok, "failure": failure})
            })
            .collect();
        let text =
            serde_json::to_string_pretty(&json!({"address": account.address, "logins": rows}))
                .map_err(|e| Failure::error(format!("writing JSON: {e}")))?;
        println!("{text}");
    } else {
        for (name, url, mech, ok, failure) in &rows {
            let outcome = if *ok {
                term.paint(Paint::Good, "ok")
            } else {
                term.paint(Paint::Bad, "refused")
            };
            match failure {
                Some(why) => println!("{name:<4} {url:<32} {mech:<11} {outcome}: {why}"),
                None => println!("{name:<4} {url:<32} {mech:<11} {outcome}"),
            }
        }
    }
    Ok(ExitCode::from(if all {
        0
    } else {
        crate::failure::EXIT_REFUSED
    }))
}

/// `sasl oauth show`.
pub(crate) fn run_show(args: OAuthShowArgs) -> CommandResult {
    let paths = store::paths(&args.store, &args.address)?;
    let account = store::read_account(&paths)?;
    let now = consent::now().as_secs();
    if args.json {
        let mut value = serde_json::to_value(&account)
            .map_err(|e| Failure::error(format!("writing JSON: {e}")))?;
        if let Some(map) = value.as_object_mut() {
            map.insert("account_file".into(), json!(paths.account));
            map.insert("token_file".into(), json!(paths.tokens));
        }
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| Failure::error(format!("writing JSON: {e}")))?;
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let none = || "-".to_owned();
    println!("address:        {}", account.address);
    println!(
        "issuer:         {}",
        account.issuer.clone().unwrap_or_else(none)
    );
    println!(
        "client id:      {} ({}, {})",
        account.client_id, account.client_source, account.client_auth
    );
    println!("scopes:         {}", account.scopes.join(" "));
    println!("token endpoint: {}", account.token_endpoint);
    println!(
        "IMAP:           {}",
        account.imap.clone().unwrap_or_else(none)
    );
    println!(
        "SMTP:           {}",
        account.smtp.clone().unwrap_or_else(none)
    );
    println!("access token:   {}", validity(account.expires_at, now));
    println!(
        "refresh token:  {}",
        if account.refresh_token { "yes" } else { "no" }
    );
    println!(
        "token file:     {}{}",
        paths.tokens.display(),
        if account.encrypt_cmd.is_some() {
            " (encrypted)"
        } else {
            ""
        }
    );
    println!("discovery:");
    for line in &account.discovery {
        println!("  {line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `sasl oauth forget`.
pub(crate) fn run_forget(args: OAuthForgetArgs) -> CommandResult {
    let paths = store::paths(&args.store, &args.address)?;
    // Locked throughout, so a concurrent refresh cannot write the files back.
    let _lock = store::lock(&paths)?;
    if !args.no_revoke {
        revoke(&paths)?;
    }
    if store::remove(&paths)? {
        println!("forgot {}", args.address);
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure::error(format!(
            "nothing is stored for {}",
            args.address
        )))
    }
}

/// Revokes the refresh token, or the access token when there is none (RFC 7009), when
/// the provider has a revocation endpoint.
fn revoke(paths: &Paths) -> Result<(), Failure> {
    let account = store::read_account(paths)?;
    let Some(endpoint) = account.revocation_endpoint.as_deref() else {
        eprintln!(
            "the provider has no revocation endpoint: the tokens stay valid until they expire"
        );
        return Ok(());
    };
    let tokens = store::read_tokens(paths, &account)?;
    let http = account_http(&account)?;
    let client = account.credentials(&tokens);
    // Revoking the refresh token ends the grant and, at providers that can, the access
    // tokens issued from it (RFC 7009 §2.1); JWT access tokens often cannot be revoked
    // at all, and then expire on their own.
    let (token, hint) = match tokens.refresh_token.as_deref() {
        Some(refresh) => (refresh, "refresh_token"),
        None => (tokens.access_token.as_str(), "access_token"),
    };
    let what = hint.replace('_', " ");
    let form = authorization::revocation_request(&client, token, Some(hint));
    let response = http.post_form(endpoint, &form)?;
    if response.status == 200 {
        eprintln!("revoked the {what} at {endpoint}");
        return Ok(());
    }
    let why = OAuthError::parse(&response.body)
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    Err(Failure::error(format!(
        "the revocation endpoint {endpoint} refused to revoke the {what} (HTTP {}){why}",
        response.status
    ))
    .hint("pass --no-revoke to delete the files anyway"))
}

/// "valid until 2026-12-01 17:00:00 UTC (59 min)" or "expired".
fn validity(expires_at: Option<u64>, now: u64) -> String {
    let Some(at) = expires_at else {
        return "of unknown lifetime".to_owned();
    };
    let when = i64::try_from(at)
        .ok()
        .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string());
    if at <= now {
        format!("expired at {when}")
    } else {
        format!("valid until {when} ({} min)", (at - now) / 60)
    }
}
