//! The command lines of `sasl serve`'s three protocols, parsed without I/O or state:
//! IMAP's tag, name and arguments (RFC 9051 §2.2.1), the SMTP and POP3 verb, the
//! `AUTHENTICATE`/`AUTH` arguments all three share, and IMAP's mailbox arguments. The
//! protocol modules match on what these return.
//!
//! The fuzz target `serve_commands` compiles this file on its own, so it uses nothing
//! but `std`.

/// An IMAP command line split into its tag, name and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ImapCommand<'a> {
    /// The tag: one or more ASTRING-CHAR except `+`.
    pub(super) tag: &'a str,
    /// The command name, an atom, upper-cased.
    pub(super) name: String,
    /// What follows the name and one space; empty when nothing does.
    pub(super) arguments: &'a str,
}

impl<'a> ImapCommand<'a> {
    /// The command in `line`, or `None` when the tag or the name is malformed (the
    /// server answers `* BAD`).
    pub(super) fn parse(line: &'a str) -> Option<Self> {
        let (tag, rest) = line.split_once(' ')?;
        if tag.is_empty() || tag.contains('+') || !tag.bytes().all(|b| b == b']' || is_atom_char(b))
        {
            return None;
        }
        let (name, arguments) = rest.split_once(' ').unwrap_or((rest, ""));
        if name.is_empty() || !name.bytes().all(is_atom_char) {
            return None;
        }
        Some(Self {
            tag,
            name: name.to_ascii_uppercase(),
            arguments,
        })
    }
}

/// ATOM-CHAR (RFC 9051): printable ASCII except the atom-specials.
fn is_atom_char(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// An SMTP or POP3 command line as its verb, upper-cased, and what follows the verb
/// and one space.
pub(super) fn verb(line: &str) -> (String, &str) {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    (verb.to_ascii_uppercase(), rest)
}

/// The arguments of IMAP `AUTHENTICATE`, SMTP `AUTH` and POP3 `AUTH`: a mechanism
/// name and an optional initial response (`=` for an empty one), one space apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AuthArguments<'a> {
    /// The mechanism name as the client wrote it (the registry matches it).
    pub(super) mechanism: &'a str,
    /// The initial response, still base64.
    pub(super) initial: Option<&'a str>,
}

impl<'a> AuthArguments<'a> {
    /// The arguments, or `None` when the mechanism is missing or more than two words
    /// were given (a syntax error in every protocol).
    pub(super) fn parse(arguments: &'a str) -> Option<Self> {
        let mut words = arguments.split(' ');
        let mechanism = words.next().unwrap_or("");
        let initial = words.next();
        if mechanism.is_empty() || words.next().is_some() {
            return None;
        }
        Some(Self { mechanism, initial })
    }
}

/// Whether `text` starts with `prefix`, ASCII case-insensitively (SMTP's `FROM:` and
/// `TO:`).
pub(super) fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The mailbox name argument: an atom or a quoted string (no literals).
pub(super) fn mailbox_name(argument: &str) -> Option<&str> {
    let argument = argument.trim();
    if let Some(quoted) = argument.strip_prefix('"') {
        return quoted.split_once('"').map(|(inner, _)| inner);
    }
    argument.split(' ').next()
}

/// Whether the first argument names INBOX (any case, RFC 9051 §5.1).
pub(super) fn is_inbox(argument: &str) -> bool {
    mailbox_name(argument).is_some_and(|m| m.eq_ignore_ascii_case("INBOX"))
}

/// `LIST reference pattern` as two strings without their quotes.
pub(super) fn split_list_arguments(args: &str) -> (&str, &str) {
    let mut parts = [""; 2];
    let mut rest = args.trim();
    for part in &mut parts {
        if rest.is_empty() {
            break;
        }
        let (word, after) = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').unwrap_or((quoted, "")),
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        *part = word;
        rest = after.trim_start();
    }
    let [reference, pattern] = parts;
    (reference, pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_commands() {
        let c = ImapCommand::parse("a1 authenticate PLAIN =").unwrap();
        assert_eq!(
            (c.tag, c.name.as_str(), c.arguments),
            ("a1", "AUTHENTICATE", "PLAIN =")
        );
        let c = ImapCommand::parse("x] NOOP").unwrap();
        assert_eq!((c.tag, c.name.as_str(), c.arguments), ("x]", "NOOP", ""));
        assert!(ImapCommand::parse("").is_none());
        assert!(ImapCommand::parse("NOOP").is_none());
        assert!(ImapCommand::parse("+ x").is_none());
        assert!(ImapCommand::parse("a+1 NOOP").is_none());
        assert!(ImapCommand::parse("A1  NOOP").is_none());
        assert!(ImapCommand::parse("a(1 NOOP").is_none());
        assert!(ImapCommand::parse("a1 NO{OP").is_none());
        assert!(ImapCommand::parse("a1 NO]OP").is_none());
        assert!(ImapCommand::parse("a\u{e9} NOOP").is_none());
    }

    #[test]
    fn verbs() {
        assert_eq!(
            verb("ehlo client.example"),
            ("EHLO".to_owned(), "client.example")
        );
        assert_eq!(verb("QUIT"), ("QUIT".to_owned(), ""));
        assert_eq!(verb("AUTH  PLAIN"), ("AUTH".to_owned(), " PLAIN"));
    }

    #[test]
    fn auth_arguments() {
        let a = AuthArguments::parse("PLAIN AGFsaWNlAHNlY3JldA==").unwrap();
        assert_eq!(
            (a.mechanism, a.initial),
            ("PLAIN", Some("AGFsaWNlAHNlY3JldA=="))
        );
        let a = AuthArguments::parse("SCRAM-SHA-256").unwrap();
        assert_eq!((a.mechanism, a.initial), ("SCRAM-SHA-256", None));
        assert_eq!(AuthArguments::parse("PLAIN =").unwrap().initial, Some("="));
        assert!(AuthArguments::parse("").is_none());
        assert!(AuthArguments::parse(" PLAIN").is_none());
        assert!(AuthArguments::parse("PLAIN a b").is_none());
    }

    #[test]
    fn smtp_prefixes() {
        assert!(starts_with_ignore_case("from:<a@example.org>", "FROM:"));
        assert!(starts_with_ignore_case("FROM:", "FROM:"));
        assert!(!starts_with_ignore_case("FROM", "FROM:"));
        assert!(!starts_with_ignore_case("TO:<a@example.org>", "FROM:"));
        // A multi-byte character across the prefix's end is no panic, and no match.
        assert!(!starts_with_ignore_case("FRO\u{e9}", "FROM:"));
    }

    #[test]
    fn mailbox_arguments() {
        assert_eq!(split_list_arguments("\"\" \"*\""), ("", "*"));
        assert_eq!(split_list_arguments("\"\" %"), ("", "%"));
        assert_eq!(split_list_arguments("ref \"a b\" extra"), ("ref", "a b"));
        assert_eq!(split_list_arguments("\"open"), ("open", ""));
        assert_eq!(split_list_arguments(""), ("", ""));
        assert!(is_inbox("\"INBOX\" (MESSAGES)"));
        assert!(is_inbox("inbox"));
        assert!(!is_inbox("Sent"));
        assert!(!is_inbox("\"INBOX"));
        assert_eq!(mailbox_name("\"in box\""), Some("in box"));
    }
}
