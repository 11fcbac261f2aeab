//! `sasl decode` and `sasl explain`: what SASL messages mean, field by field, with
//! what is wrong where they are malformed.
//!
//! - [`mod@line`] recognises the shape of a protocol line (`+ ...`, `334 ...`,
//!   `A1 AUTHENTICATE ...`, `AUTH ...`, final replies, bare base64) and the `C:`/`S:`/`>`/`<`
//!   prefixes of pasted transcripts;
//! - [`mechs`] decodes one message for a mechanism (given, or guessed from the content),
//!   with one file per mechanism family: [`scram`], [`bearer`], [`simple`] (PLAIN, LOGIN,
//!   EXTERNAL), [`passkey`];
//! - [`transcript`] walks a whole IMAP, SMTP or POP3 transcript, tracking which
//!   mechanism each exchange started, and explains the final replies.
//!
//! The decoders are lenient on purpose: they describe broken input instead of refusing
//! it. Secrets are never shown: PLAIN and LOGIN passwords are masked, bearer tokens
//! redacted (a JWT's header and claims are shown, never its signature), and lines are
//! echoed with their base64 payload elided.
//!
//! Exit status of both commands: 0 when every message is well-formed, 1 when some
//! message decodes but is malformed, 2 when input cannot be decoded at all (`decode`:
//! bad base64 or a line of no known shape) or read (`explain`: a missing file, more than
//! [`MAX_TRANSCRIPT_LEN`] bytes).

mod bearer;
mod line;
mod mechs;
mod passkey;
mod scram;
mod simple;
mod transcript;

use crate::cli::{DecodeArgs, ExplainArgs, Side};
use crate::failure::{CommandResult, EXIT_REFUSED, Failure, file_error};
use crate::term::{Paint, Term};
use serde::Serialize;
use std::io::Read;
use std::process::ExitCode;

/// The largest transcript `explain` reads, in bytes.
pub(crate) const MAX_TRANSCRIPT_LEN: usize = 1024 * 1024;

/// The longest line `decode` takes, in bytes (a SASL message is at most a few KiB).
const MAX_DECODE_LEN: usize = 256 * 1024;

/// Who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Sender {
    /// The client.
    Client,
    /// The server.
    Server,
}

impl Sender {
    fn name(self) -> &'static str {
        match self {
            Sender::Client => "client",
            Sender::Server => "server",
        }
    }
}

impl From<Side> for Sender {
    fn from(side: Side) -> Self {
        match side {
            Side::Client => Sender::Client,
            Side::Server => Sender::Server,
        }
    }
}

/// One named piece of a message.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Field {
    /// What the piece is.
    pub(crate) name: String,
    /// What it says (secrets masked).
    pub(crate) value: String,
}

/// One explained message (or protocol line).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Message {
    /// The line number in the transcript (1-based), when from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<usize>,
    /// The line as received, base64 payload elided (it may carry a password).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) text: String,
    /// Who sent it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from: Option<Sender>,
    /// The mechanism, when known or guessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mechanism: Option<String>,
    /// Whether the mechanism was guessed from the content.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) mechanism_guessed: bool,
    /// How the message travelled (`IMAP continuation`, `SMTP AUTH initial response`...).
    pub(crate) shape: String,
    /// What the message is (`SCRAM client-first message`...).
    pub(crate) kind: String,
    /// Its fields, in order.
    pub(crate) fields: Vec<Field>,
    /// What is wrong with it.
    pub(crate) problems: Vec<String>,
    /// Remarks that are not problems.
    pub(crate) notes: Vec<String>,
    /// Whether the payload could not be decoded at all (bad base64, unknown line).
    #[serde(skip)]
    pub(crate) undecodable: bool,
}

impl Message {
    /// Adds a field.
    pub(crate) fn field(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields.push(Field {
            name: name.into(),
            value: value.into(),
        });
    }

    /// Adds a problem.
    pub(crate) fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }

    /// Adds a note.
    pub(crate) fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// Sets what the message is.
    pub(crate) fn kind(&mut self, kind: impl Into<String>) {
        self.kind = kind.into();
    }
}

/// Text from a peer made safe to print: control characters (ANSI escapes, CR, LF, NUL)
/// shown escaped, and at most `max` characters.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count >= max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Bytes from a peer made safe to print: UTF-8 where valid, `\xNN` where not.
pub(crate) fn printable_bytes(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&printable(chunk.valid(), max));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
        if out.chars().count() >= max {
            break;
        }
    }
    out
}

/// Runs `sasl decode`.
pub(crate) fn run_decode(args: DecodeArgs, term: &Term) -> CommandResult {
    let total: usize = args.line.iter().map(|l| l.len() + 1).sum();
    if total > MAX_DECODE_LEN {
        return Err(Failure::error(format!(
            "the input is {total} bytes; decode takes at most {MAX_DECODE_LEN}"
        ))
        .hint("for a whole transcript use `sasl explain FILE`"));
    }
    let lines = line::decode_arguments(&args.line);
    let messages =
        transcript::decode_lines(&lines, args.mech.as_deref(), args.from.map(Sender::from));
    if messages.is_empty() {
        return Err(Failure::error("nothing to decode"));
    }
    print_messages(&messages, args.json, term)?;
    Ok(exit_status(&messages, true))
}

/// Runs `sasl explain`.
pub(crate) fn run_explain(args: ExplainArgs, term: &Term) -> CommandResult {
    let (bytes, source) = match &args.file {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| file_error(path, "reading", e))?;
            (
                read_bounded(file).map_err(|e| file_error(path, "reading", e))?,
                path.display().to_string(),
            )
        }
        None => (
            read_bounded(std::io::stdin().lock())
                .map_err(|e| Failure::error(format!("reading stdin: {e}")))?,
            "stdin".to_owned(),
        ),
    };
    if bytes.len() > MAX_TRANSCRIPT_LEN {
        return Err(Failure::error(format!(
            "{source} is larger than {MAX_TRANSCRIPT_LEN} bytes (1 MiB): too large for a transcript"
        ))
        .hint("cut the transcript down to the login"));
    }
    let text = String::from_utf8_lossy(&bytes);
    let messages = transcript::explain_transcript(&text);
    if messages.is_empty() && !args.json {
        println!("no SASL exchange found in {source} (no AUTHENTICATE or AUTH command)");
        return Ok(ExitCode::SUCCESS);
    }
    print_messages(&messages, args.json, term)?;
    Ok(exit_status(&messages, false))
}

fn read_bounded(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_TRANSCRIPT_LEN as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn exit_status(messages: &[Message], undecodable_is_error: bool) -> ExitCode {
    if undecodable_is_error && messages.iter().any(|m| m.undecodable) {
        ExitCode::from(crate::failure::EXIT_ERROR)
    } else if messages
        .iter()
        .any(|m| !m.problems.is_empty() || m.undecodable)
    {
        ExitCode::from(EXIT_REFUSED)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_messages(messages: &[Message], json: bool, term: &Term) -> Result<(), Failure> {
    if json {
        let text = serde_json::to_string_pretty(messages)
            .map_err(|e| Failure::error(format!("cannot write JSON: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", render(message, term));
    }
    Ok(())
}

/// The text form of one message.
fn render(m: &Message, term: &Term) -> String {
    let mut out = String::new();
    let mut head = Vec::new();
    if let Some(line) = m.line {
        head.push(format!("line {line}"));
    }
    if let Some(from) = m.from {
        head.push(from.name().to_owned());
    }
    if let Some(mech) = &m.mechanism {
        head.push(if m.mechanism_guessed {
            format!("{mech} (guessed)")
        } else {
            mech.clone()
        });
    }
    if !m.shape.is_empty() {
        head.push(m.shape.clone());
    }
    out.push_str(&term.paint(Paint::Dim, &head.join(" · ")));
    out.push('\n');
    if !m.text.is_empty() {
        out.push_str(&format!("  {}\n", term.paint(Paint::Dim, &m.text)));
    }
    if !m.kind.is_empty() {
        out.push_str(&format!("  {}\n", term.paint(Paint::Bold, &m.kind)));
    }
    let width = m
        .fields
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0);
    for f in &m.fields {
        let pad = width.saturating_sub(f.name.chars().count());
        out.push_str(&format!("    {}:{} {}\n", f.name, " ".repeat(pad), f.value));
    }
    for p in &m.problems {
        out.push_str(&format!("  {} {p}\n", term.paint(Paint::Bad, "problem:")));
    }
    for n in &m.notes {
        out.push_str(&format!("  {} {n}\n", term.paint(Paint::Dim, "note:")));
    }
    out
}
