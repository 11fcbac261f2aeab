//! The command-line parsers of `sasl serve` (IMAP tag/name/arguments, the SMTP and
//! POP3 verb, the `AUTHENTICATE`/`AUTH` arguments, IMAP mailbox arguments), compiled
//! from the tool's own source file. Beyond "no panic": every part a parser returns
//! is a piece of the line in its place (the line is rebuilt from them), a tag never
//! holds `+` or a space, a command name is an upper-case atom, and a mechanism or
//! initial response never holds a space.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../sasl-tool/src/serve/command.rs"]
mod command;

use command::{
    AuthArguments, ImapCommand, is_inbox, mailbox_name, split_list_arguments,
    starts_with_ignore_case, verb,
};

fuzz_target!(|line: &str| {
    if let Some(c) = ImapCommand::parse(line) {
        assert!(!c.tag.is_empty() && !c.tag.contains(['+', ' ']), "{line:?}");
        assert!(!c.name.is_empty(), "{line:?}");
        assert!(
            c.name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b.is_ascii_lowercase()),
            "{line:?}"
        );
        let with = format!("{} {} {}", c.tag, c.name, c.arguments);
        let without = format!("{} {}", c.tag, c.name);
        assert!(
            line.eq_ignore_ascii_case(&with)
                || (c.arguments.is_empty() && line.eq_ignore_ascii_case(&without)),
            "{line:?} is not {c:?}"
        );
    }

    let (name, rest) = verb(line);
    assert!(!name.contains(' '), "{line:?}");
    let rebuilt = if line.contains(' ') {
        format!("{name} {rest}")
    } else {
        name.clone()
    };
    assert!(line.eq_ignore_ascii_case(&rebuilt), "{line:?}");

    if let Some(a) = AuthArguments::parse(line) {
        assert!(
            !a.mechanism.is_empty() && !a.mechanism.contains(' '),
            "{line:?}"
        );
        match a.initial {
            Some(initial) => {
                assert!(!initial.contains(' '), "{line:?}");
                assert_eq!(format!("{} {initial}", a.mechanism), line);
            }
            None => assert_eq!(a.mechanism, line),
        }
    }

    assert_eq!(
        starts_with_ignore_case(line, "FROM:"),
        line.to_ascii_uppercase().starts_with("FROM:")
    );

    if let Some(mailbox) = mailbox_name(line) {
        assert!(line.contains(mailbox), "{line:?}");
        assert_eq!(is_inbox(line), mailbox.eq_ignore_ascii_case("INBOX"));
    } else {
        assert!(!is_inbox(line));
    }
    let (reference, pattern) = split_list_arguments(line);
    assert!(
        line.contains(reference) && line.contains(pattern),
        "{line:?}"
    );
});
