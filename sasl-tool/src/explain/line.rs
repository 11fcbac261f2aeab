//! The shapes of protocol lines: who sent a line (`C:`/`S:`/`>`/`<` prefixes of pasted
//! transcripts), and whether it starts an exchange (`A1 AUTHENTICATE MECH [IR]`,
//! `AUTH MECH [IR]`), carries a challenge (`+ ...`, `334 ...`), a response (bare base64,
//! `*`), or ends it (tagged `OK`/`NO`/`BAD`, SMTP and POP3 replies).

use super::Sender;

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape<'a> {
    /// `tag AUTHENTICATE mech [initial-response]` (IMAP).
    ImapAuthenticate {
        /// The command's tag.
        tag: &'a str,
        /// The mechanism name.
        mech: &'a str,
        /// The initial response (SASL-IR), base64 or `=`.
        initial: Option<&'a str>,
    },
    /// `AUTH mech [initial-response]` (SMTP, POP3).
    Auth {
        /// The mechanism name.
        mech: &'a str,
        /// The initial response, base64 or `=`.
        initial: Option<&'a str>,
    },
    /// `+ payload` or `+` (IMAP, POP3 continuation).
    Continuation(&'a str),
    /// `334 payload` (SMTP).
    SmtpChallenge(&'a str),
    /// `*`: the client cancels.
    Cancel,
    /// `tag OK|NO|BAD ...`, or `* BYE ...`.
    ImapStatus {
        /// The tag (`*` for BYE).
        tag: &'a str,
    },
    /// `NNN text` or `NNN-text` (SMTP reply line other than 334).
    SmtpReply {
        /// Whether it is the last line (`NNN ` rather than `NNN-`).
        last: bool,
    },
    /// `+OK ...` or `-ERR ...` (POP3).
    Pop3Reply,
    /// Base64 (or an empty line): a client response, or a bare message.
    Bare(&'a str),
    /// Anything else (other commands, untagged data, greetings).
    Other,
}

/// Removes a transcript prefix: `C:`, `S:`, `>`, `<` (curl's `> ` sent, `< `
/// received), returning who it names.
pub(crate) fn strip_sender(line: &str) -> (Option<Sender>, &str) {
    let line = line.trim_end_matches(['\r', '\n']);
    let trimmed = line.trim_start();
    for (prefix, sender) in [
        ("C:", Sender::Client),
        ("c:", Sender::Client),
        ("S:", Sender::Server),
        ("s:", Sender::Server),
        (">", Sender::Client),
        ("<", Sender::Server),
    ] {
        if let Some(rest) = trimmed.strip_prefix(prefix) {
            return (
                Some(sender),
                rest.strip_prefix(' ').unwrap_or(rest).trim_end(),
            );
        }
    }
    (None, trimmed.trim_end())
}

/// Recognises a line (prefix already removed).
pub(crate) fn classify(line: &str) -> Shape<'_> {
    if line == "*" {
        return Shape::Cancel;
    }
    if line == "+" {
        return Shape::Continuation("");
    }
    if let Some(rest) = line.strip_prefix("+ ") {
        return Shape::Continuation(rest.trim());
    }
    if starts_with_ignore_case(line, "+OK") || starts_with_ignore_case(line, "-ERR") {
        return Shape::Pop3Reply;
    }
    if line == "334" {
        return Shape::SmtpChallenge("");
    }
    if let Some(rest) = line.strip_prefix("334 ") {
        return Shape::SmtpChallenge(rest.trim());
    }
    let bytes = line.as_bytes();
    if bytes.len() >= 3
        && bytes.iter().take(3).all(u8::is_ascii_digit)
        && matches!(bytes.get(3), None | Some(b' ' | b'-'))
    {
        return Shape::SmtpReply {
            last: bytes.get(3) != Some(&b'-'),
        };
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [auth, mech, rest @ ..] if auth.eq_ignore_ascii_case("AUTH") && rest.len() <= 1 => {
            return Shape::Auth {
                mech,
                initial: rest.first().copied(),
            };
        }
        [tag, cmd, mech, rest @ ..]
            if cmd.eq_ignore_ascii_case("AUTHENTICATE") && rest.len() <= 1 =>
        {
            return Shape::ImapAuthenticate {
                tag,
                mech,
                initial: rest.first().copied(),
            };
        }
        [tag, status, ..]
            if *tag != "*"
                && ["OK", "NO", "BAD"]
                    .iter()
                    .any(|s| status.eq_ignore_ascii_case(s)) =>
        {
            return Shape::ImapStatus { tag };
        }
        [star, bye, ..] if *star == "*" && bye.eq_ignore_ascii_case("BYE") => {
            return Shape::ImapStatus { tag: "*" };
        }
        [] => return Shape::Bare(""),
        _ => {}
    }
    if words.len() == 1 {
        return Shape::Bare(line);
    }
    Shape::Other
}

fn starts_with_ignore_case(line: &str, prefix: &str) -> bool {
    line.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        && line
            .get(prefix.len()..)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// The lines `sasl decode` was given: several words that form one line (`+ x`,
/// `334 x`, `AUTH MECH x`, `A1 AUTHENTICATE MECH x`, `C: ...`) are joined; otherwise
/// each argument is a line of its own (a sequence of messages of one exchange).
pub(crate) fn decode_arguments(args: &[String]) -> Vec<String> {
    let joins = |first: &str, second: Option<&String>| {
        matches!(first, "+" | "334" | "C:" | "S:" | ">" | "<")
            || first.eq_ignore_ascii_case("AUTH")
            || second.is_some_and(|s| s.eq_ignore_ascii_case("AUTHENTICATE"))
    };
    match args {
        [first, rest @ ..] if !rest.is_empty() && joins(first, rest.first()) => {
            vec![args.join(" ")]
        }
        _ => args
            .iter()
            .flat_map(|a| a.lines().map(str::to_owned).collect::<Vec<_>>())
            .collect(),
    }
}

/// A line as shown: the base64 `payload` (which may hold a password or token; the
/// decoded fields show what is safe to show) replaced by its length.
pub(crate) fn elide(line: &str, payload: Option<&str>) -> String {
    match payload {
        Some(payload) if payload.len() > 1 => match line.rfind(payload) {
            Some(at) => format!(
                "{}<{} base64 characters>{}",
                super::printable(line.get(..at).unwrap_or_default(), 80),
                payload.len(),
                super::printable(line.get(at + payload.len()..).unwrap_or_default(), 80)
            ),
            None => super::printable(line, 200),
        },
        _ => super::printable(line, 200),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(classify("+ YQ=="), Shape::Continuation("YQ=="));
        assert_eq!(classify("+"), Shape::Continuation(""));
        assert_eq!(classify("+OK Maildrop ready"), Shape::Pop3Reply);
        assert_eq!(
            classify("334 VXNlcm5hbWU6"),
            Shape::SmtpChallenge("VXNlcm5hbWU6")
        );
        assert_eq!(
            classify("a1 AUTHENTICATE \"PLAIN\""),
            Shape::ImapAuthenticate {
                tag: "a1",
                mech: "\"PLAIN\"",
                initial: None
            }
        );
        assert_eq!(
            classify("AUTH PLAIN AHRpbQB0"),
            Shape::Auth {
                mech: "PLAIN",
                initial: Some("AHRpbQB0")
            }
        );
        assert_eq!(
            classify("a1 NO [AUTHENTICATIONFAILED] x"),
            Shape::ImapStatus { tag: "a1" }
        );
        assert_eq!(classify("535 5.7.8 no"), Shape::SmtpReply { last: true });
        assert_eq!(classify("535-5.7.8 no"), Shape::SmtpReply { last: false });
        assert_eq!(classify("dGlt"), Shape::Bare("dGlt"));
        assert_eq!(classify(""), Shape::Bare(""));
        assert_eq!(classify("* CAPABILITY IMAP4rev1"), Shape::Other);
        assert_eq!(strip_sender("S: + abc"), (Some(Sender::Server), "+ abc"));
        assert_eq!(
            strip_sender("> AUTH PLAIN"),
            (Some(Sender::Client), "AUTH PLAIN")
        );
    }
}
