//! The one-message mechanisms: PLAIN (RFC 4616) with the password masked, LOGIN's
//! prompts and answers (the password masked), and EXTERNAL's authzid (RFC 4422
//! appendix A).

use super::mechs::Exchange;
use super::{Message, Sender, printable};

/// What replaces a password in the output.
pub(crate) const MASK: &str = "********";

/// The field a LOGIN response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginField {
    /// The user name.
    User,
    /// The password.
    Password,
}

/// Reads a LOGIN prompt: `User Name`, `Username:`, `Password:`, `Password\0`...
pub(crate) fn login_prompt(data: &[u8]) -> Option<LoginField> {
    let text = std::str::from_utf8(data).ok()?;
    let word: String = text
        .trim_end_matches(['\0', ':', ' '])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    match word.as_str() {
        "username" | "user" | "login" => Some(LoginField::User),
        "password" => Some(LoginField::Password),
        _ => None,
    }
}

/// PLAIN: `[authzid] NUL authcid NUL passwd`.
pub(crate) fn explain_plain(from: Option<Sender>, data: &[u8], m: &mut Message) {
    if from == Some(Sender::Server) {
        if data.is_empty() {
            m.kind("empty challenge: the client sends its PLAIN message now");
        } else {
            m.kind("PLAIN challenge");
            m.problem("PLAIN has no server challenges but the empty one asking for the message");
        }
        return;
    }
    m.kind("PLAIN message");
    if data.is_empty() {
        m.problem("empty: a PLAIN message is authzid NUL authcid NUL password");
        return;
    }
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let [authzid, authcid, password] = parts.as_slice() else {
        m.field("length", format!("{} bytes", data.len()));
        m.problem(format!(
            "{} NUL separators: PLAIN has exactly two (authzid NUL authcid NUL password); contents not shown, they may hold the password",
            parts.len().saturating_sub(1)
        ));
        return;
    };
    match std::str::from_utf8(authzid) {
        Ok("") => m.field(
            "authzid",
            "none: act as the authentication identity".to_owned(),
        ),
        Ok(z) => m.field("authzid", printable(z, 200)),
        Err(_) => m.problem("the authzid is not valid UTF-8"),
    }
    match std::str::from_utf8(authcid) {
        Ok("") => m.problem("the authentication identity (user name) is empty"),
        Ok(c) => m.field("authcid (user)", printable(c, 200)),
        Err(_) => m.problem("the authentication identity is not valid UTF-8"),
    }
    m.field("password", MASK);
    if password.is_empty() {
        m.problem("the password is empty");
    } else if std::str::from_utf8(password).is_err() {
        m.problem("the password is not valid UTF-8");
    }
    m.note("PLAIN sends the password itself: use it only over TLS");
}

/// LOGIN: the server's prompts, the client's user name and (masked) password.
pub(crate) fn explain_login(ex: &mut Exchange, from: Option<Sender>, data: &[u8], m: &mut Message) {
    match from {
        Some(Sender::Server) => {
            let prompt = login_prompt(data);
            ex.login_next = prompt.or(match ex.login_next {
                None => Some(LoginField::User),
                Some(_) => Some(LoginField::Password),
            });
            let text = printable(&String::from_utf8_lossy(data), 80);
            match prompt {
                Some(LoginField::User) => m.kind("LOGIN prompt for the user name"),
                Some(LoginField::Password) => m.kind("LOGIN prompt for the password"),
                None if data.is_empty() => {
                    m.kind("LOGIN prompt (empty): clients ignore the text and answer in order")
                }
                None => {
                    m.kind("LOGIN prompt (unusual text: clients ignore it and answer in order)")
                }
            }
            if !data.is_empty() {
                m.field("prompt", text);
            }
        }
        _ => {
            let field = if ex.started_by_command && ex.client_count == 0 && ex.server_count == 0 {
                // The initial response (SMTP AUTH LOGIN <user>) is the user name.
                Some(LoginField::User)
            } else {
                ex.login_next.take()
            };
            match field {
                Some(LoginField::User) => {
                    m.kind("LOGIN response: the user name");
                    match std::str::from_utf8(data) {
                        Ok("") => m.problem("the user name is empty"),
                        Ok(user) => m.field("user", printable(user, 200)),
                        Err(_) => m.problem("the user name is not valid UTF-8"),
                    }
                    ex.login_next = Some(LoginField::Password);
                }
                Some(LoginField::Password) => {
                    m.kind("LOGIN response: the password");
                    m.field("password", MASK);
                    if data.is_empty() {
                        m.problem("the password is empty");
                    }
                    m.note("LOGIN sends the password itself: use it only over TLS");
                }
                None => {
                    m.kind("LOGIN response (user name or password: not shown)");
                    m.field("value", MASK);
                }
            }
        }
    }
}

/// EXTERNAL: the client's authzid (empty: the identity of the external credentials).
pub(crate) fn explain_external(from: Option<Sender>, data: &[u8], m: &mut Message) {
    if from == Some(Sender::Server) {
        if data.is_empty() {
            m.kind("empty challenge: the client sends its authzid (or an empty response) now");
        } else {
            m.kind("EXTERNAL challenge");
            m.problem("EXTERNAL has no challenges but the empty one");
        }
        return;
    }
    m.kind("EXTERNAL message: the authorization identity");
    match std::str::from_utf8(data) {
        Ok("") => m.field(
            "authzid",
            "empty: act as the identity of the TLS client certificate (or other external credentials)",
        ),
        Ok(z) if z.contains('\0') => m.problem("the authzid contains a NUL"),
        Ok(z) => m.field("authzid", printable(z, 200)),
        Err(e) => m.problem(format!(
            "the authzid is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        )),
    }
}
