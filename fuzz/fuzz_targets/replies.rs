//! The server-reply parsers a client reads its outcome with (IMAP RFC 5530, SMTP
//! RFC 3463, POP3 RFC 3206): never panic, and a line with CR, LF or NUL inside is never
//! read as a reply (so server text cannot smuggle a second line in).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::ServerReply;

fuzz_target!(|line: &str| {
    let body = line
        .strip_suffix("\r\n")
        .or_else(|| line.strip_suffix('\n'))
        .unwrap_or(line);
    let smuggled = body.contains(['\r', '\0']) || body.contains('\n');
    let imap = ServerReply::from_imap("A1", line);
    let pop3 = ServerReply::from_pop3(line);
    if smuggled {
        assert!(imap.is_none(), "{line:?}");
        assert!(pop3.is_none(), "{line:?}");
    }
    // SMTP replies may span lines; only their shape is checked by the parser.
    let _ = ServerReply::from_smtp(line);
});
