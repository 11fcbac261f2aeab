//! The three protocol dialogs behind one face, so the login runs the same steps for
//! each: greet, upgrade to TLS, read the capabilities again, authenticate, quit.

use super::imap::{Greeting, Imap};
use super::mechanisms::Answers;
use super::pop3::Pop3;
use super::session::{self, Capabilities, Exchange};
use super::smtp::Smtp;
use super::target::Protocol;
use super::transport::Link;
use crate::failure::Failure;
use sasl_core::ClientSession;
use std::net::SocketAddr;

/// How the greeting left the connection.
#[derive(Debug)]
pub(crate) enum Greeted {
    /// Ready to authenticate, offering this.
    Ready(Capabilities),
    /// Authenticated already (IMAP `PREAUTH`).
    Preauth,
}

/// One connection's protocol dialog.
#[derive(Debug)]
pub(crate) enum Dialog {
    /// IMAP.
    Imap(Imap),
    /// SMTP submission.
    Smtp(Smtp),
    /// POP3.
    Pop3(Pop3),
}

impl Dialog {
    /// The dialog for `protocol`; `local` is this side's address (SMTP's `EHLO`).
    pub(crate) fn new(protocol: Protocol, local: SocketAddr) -> Self {
        match protocol {
            Protocol::Imap => Dialog::Imap(Imap::new()),
            Protocol::Smtp => Dialog::Smtp(Smtp::new(local)),
            Protocol::Pop3 => Dialog::Pop3(Pop3::new()),
        }
    }

    /// Reads the greeting and the capabilities.
    pub(crate) async fn greet(&mut self, link: &mut Link<'_>) -> Result<Greeted, Failure> {
        match self {
            Dialog::Imap(imap) => Ok(match imap.greet(link).await? {
                Greeting::Ready(capabilities) => Greeted::Ready(capabilities),
                Greeting::Preauth => Greeted::Preauth,
            }),
            Dialog::Smtp(smtp) => smtp.greet(link).await.map(Greeted::Ready),
            Dialog::Pop3(pop3) => pop3.greet(link).await.map(Greeted::Ready),
        }
    }

    /// Asks the server to start TLS (the caller runs the handshake).
    pub(crate) async fn starttls(&mut self, link: &mut Link<'_>) -> Result<(), Failure> {
        match self {
            Dialog::Imap(imap) => imap.starttls(link).await,
            Dialog::Smtp(smtp) => smtp.starttls(link).await,
            Dialog::Pop3(pop3) => pop3.starttls(link).await,
        }
    }

    /// Reads the capabilities again, as every protocol requires after TLS starts.
    pub(crate) async fn capabilities(
        &mut self,
        link: &mut Link<'_>,
    ) -> Result<Capabilities, Failure> {
        match self {
            Dialog::Imap(imap) => imap.capabilities(link).await,
            Dialog::Smtp(smtp) => smtp.ehlo(link).await,
            Dialog::Pop3(pop3) => pop3.capabilities(link).await,
        }
    }

    /// Runs one SASL exchange with the session.
    pub(crate) async fn authenticate(
        &mut self,
        link: &mut Link<'_>,
        capabilities: &Capabilities,
        client: ClientSession,
        answers: &mut Answers,
    ) -> Result<Exchange, Failure> {
        match self {
            Dialog::Imap(imap) => {
                imap.set_sasl_ir(capabilities.initial_response);
                session::authenticate(link, imap, client, answers).await
            }
            Dialog::Smtp(smtp) => session::authenticate(link, smtp, client, answers).await,
            Dialog::Pop3(pop3) => session::authenticate(link, pop3, client, answers).await,
        }
    }

    /// Ends the session politely (`LOGOUT`, `QUIT`); errors are ignored.
    pub(crate) async fn quit(&mut self, link: &mut Link<'_>) {
        match self {
            Dialog::Imap(imap) => imap.logout(link).await,
            Dialog::Smtp(smtp) => smtp.quit(link).await,
            Dialog::Pop3(pop3) => pop3.quit(link).await,
        }
    }
}
