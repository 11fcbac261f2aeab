//! `sasl demo`: the whole family in one command.
//!
//! It generates throwaway credentials ([`fixtures`]), starts `sasl serve`'s server on
//! loopback ports in this process, logs into it with every mechanism over IMAP (STARTTLS)
//! and SMTP submission (implicit TLS) with `sasl login`'s client ([`rows`]), including a
//! wrong password, a forged token and an unknown passkey that must fail, and prints the
//! outcome of each ([`table`]). Exit status 1 if any row is not as expected.

mod fixtures;
mod rows;
mod table;
mod token;

use crate::cli::DemoArgs;
use crate::config::Accounts;
use crate::failure::{CommandResult, EXIT_REFUSED, Failure};
use crate::serve::{self, DemoServerParts, OAuthSettings, ServerSetup};
use crate::term::{Paint, Term};
use fixtures::{AUDIENCE, Fixtures, HOST, ISSUER};
use rows::RowResult;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Runs `sasl demo`.
pub(crate) fn run(args: DemoArgs, term: &Term) -> CommandResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::error(format!("starting the async runtime: {e}")))?;
    let results = runtime.block_on(run_rows())?;
    if args.json {
        println!("{:#}", table::to_json(&results));
    } else {
        if args.verbose {
            for result in &results {
                println!(
                    "{}",
                    term.paint(
                        Paint::Bold,
                        &format!(
                            "== {:?} {} ({})",
                            result.row.protocol,
                            result.row.mechanism,
                            result.row.credential.label()
                        )
                    )
                );
                print!("{}", result.report.render(term));
            }
            println!();
        }
        table::print_table(&results, term);
    }
    if results.iter().all(RowResult::as_expected) {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_REFUSED))
    }
}

async fn run_rows() -> Result<Vec<RowResult>, Failure> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Failure::error("the system clock is before 1970"))?
        .as_secs();
    let mut fixtures = Fixtures::generate(now)?;
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let parts = DemoServerParts {
        accounts: Accounts::from_file(&fixtures.config)?,
        tls_chain: fixtures.server.chain(),
        tls_key: fixtures.server.private_key()?,
        client_auth: crate::tls::ClientAuth::Roots(vec![fixtures.ca.issued().cert_der.clone()]),
        oauth: Some(OAuthSettings {
            jwks_json: fixtures.jwks.clone(),
            issuer: ISSUER.to_owned(),
            audiences: vec![AUDIENCE.to_owned()],
            openid_configuration: None,
        }),
        passkey: fixtures.config.passkey.clone(),
        hostname: HOST.to_owned(),
        listeners: rows::PROTOCOLS.iter().map(|p| (*p, loopback)).collect(),
        failure_delay: Duration::ZERO,
    };
    let server = serve::spawn(ServerSetup::from_parts(parts)?).await?;
    let mut results = Vec::new();
    for row in rows::plan() {
        let address = server
            .addresses()
            .iter()
            .find(|(protocol, _)| *protocol == row.protocol)
            .map(|(_, address)| *address)
            .ok_or_else(|| {
                Failure::error(format!(
                    "the demo server has no {:?} listener",
                    row.protocol
                ))
            })?;
        let settings = rows::settings(&row, address, &fixtures)?;
        let seen = server.attempts().len();
        let mut report = crate::login::login(settings).await;
        // Alice's passkey counts its signatures, as a real one does; keep its key file.
        if let (Some(authenticator), rows::Credential::Passkey) =
            (report.passkey.take(), row.credential)
        {
            fixtures.passkey = authenticator.to_key_file();
        }
        // The server's own verdict on this login: every row is one attempt.
        let attempts = server.attempts();
        let server_view = match attempts.get(seen..) {
            Some([attempt]) => Some(attempt.clone()),
            _ => None,
        };
        results.push(RowResult {
            row,
            report,
            server_view,
        });
    }
    server.shutdown().await;
    Ok(results)
}
