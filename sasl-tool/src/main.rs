//! `sasl`: the command-line program of the sasl crate family.
//!
//! One module per command (`demo`, `serve`, `login`, `hash`, `cert`, `passkey`, `oauth`,
//! `explain`), over shared pieces: [`cli`] (the arguments), [`failure`] (errors with exit
//! status and a hint), [`term`] (colour), [`tls`] (certificates and rustls configs),
//! [`config`] (the server's account file), [`secrets`] (reading passwords and tokens).
#![forbid(unsafe_code)]

mod cert;
mod cli;
mod config;
mod demo;
mod explain;
mod failure;
mod hash;
mod login;
mod oauth;
mod passkey;
mod secrets;
mod serve;
mod term;
mod tls;

use clap::Parser;
use cli::{Cli, Command, OAuthCommand, PasskeyCommand};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let term = term::Term::new(cli.colour);
    let result = match cli.command {
        Command::Demo(args) => demo::run(args, &term),
        Command::Serve(args) => serve::run(args, &term),
        Command::Login(args) => login::run(args, &term),
        Command::Hash(args) => hash::run_hash(args, &term),
        Command::Verify(args) => hash::run_verify(args, &term),
        Command::Cert(args) => cert::run(args, &term),
        Command::Passkey(PasskeyCommand::Register(args)) => passkey::run_register(args, &term),
        Command::Passkey(PasskeyCommand::List(args)) => passkey::run_list(args, &term),
        Command::Oauth(OAuthCommand::Login(args)) => oauth::run_login(*args, &term),
        Command::Oauth(OAuthCommand::Token(args)) => oauth::run_token(args),
        Command::Oauth(OAuthCommand::Test(args)) => oauth::run_test(args, &term),
        Command::Oauth(OAuthCommand::Show(args)) => oauth::run_show(args),
        Command::Oauth(OAuthCommand::Forget(args)) => oauth::run_forget(args),
        Command::Decode(args) => explain::run_decode(args, &term),
        Command::Explain(args) => explain::run_explain(args, &term),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            term.print_failure(&failure);
            failure.exit_code()
        }
    }
}
