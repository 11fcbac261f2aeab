//! `sasl hash` and `sasl verify`: stored SCRAM credentials from a password, and the
//! check of a password against them.
//!
//! The password comes from `--password-file`, else from stdin when stdin is not a
//! terminal (one trailing newline stripped), else from a prompt without echo. It lives
//! in a zeroizing buffer and is never printed.
//!
//! Each format derives the keys the way the system that reads it does: RFC 5803 with
//! SASLprep (RFC 5802), Dovecot without normalisation (as `doveadm pw` does), PostgreSQL
//! with SASLprep falling back to the raw password (as PostgreSQL does). `verify` uses the
//! same rule for the format it finds (`$` strings: SASLprep, else raw, which covers both
//! RFC 5803 and PostgreSQL).

use crate::cli::{HashArgs, HashMech, StoredFormatArg, VerifyArgs};
use crate::failure::{CommandResult, Failure, file_error};
use crate::secrets;
use crate::term::{Paint, Term};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sasl_core::{OsRandom, RandomSource, ScramHash};
use sasl_scram::{
    DEFAULT_SALT_LEN, MAX_STORED_ITERATIONS, MAX_STORED_SALT_LEN, PasswordPrep, StoredError,
    StoredFormat,
};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use zeroize::Zeroizing;

/// The iteration count `hash` uses by default, and below which it warns (RFC 7677 §4:
/// at least 4096 for SCRAM-SHA-256; RFC 5802 says the same for SHA-1).
pub(crate) const DEFAULT_ITERATIONS: u32 = 4096;

/// The longest password read from a file or stdin, in bytes.
const MAX_PASSWORD_LEN: usize = 4096;

/// The longest stored-credential file read, in bytes.
const MAX_STORED_FILE_LEN: u64 = 64 * 1024;

/// A password read from the user: zeroized when dropped.
type Password = sasl_core::Secret<String>;

/// Runs `sasl hash`.
pub(crate) fn run_hash(args: HashArgs, term: &Term) -> CommandResult {
    let hash = scram_hash(args.mech);
    let format = stored_format(args.format);
    if format == StoredFormat::PostgreSql && hash != ScramHash::Sha256 {
        return Err(Failure::error(format!(
            "PostgreSQL stores only SCRAM-SHA-256 verifiers, not SCRAM-{}",
            hash.name()
        ))
        .hint("use --mech SCRAM-SHA-256 with --format postgres, or --format rfc5803/dovecot"));
    }
    let iterations = args.iterations.unwrap_or(DEFAULT_ITERATIONS);
    check_iterations(iterations)?;
    if iterations < DEFAULT_ITERATIONS {
        eprintln!(
            "{} {iterations} iterations is below {DEFAULT_ITERATIONS}, the minimum RFC 5802 and RFC 7677 recommend",
            term.paint_err(Paint::Bad, "warning:")
        );
    }
    let salt = match &args.salt_base64 {
        Some(text) => decode_salt(text)?,
        None => random_salt()?,
    };
    if salt.len() < DEFAULT_SALT_LEN {
        eprintln!(
            "{} the salt is {} bytes; {DEFAULT_SALT_LEN} random bytes are usual",
            term.paint_err(Paint::Dim, "note:"),
            salt.len()
        );
    }
    let password = read_password(args.password_file.as_deref(), true)?;
    let prep = prep_for(format);
    let credentials = sasl_scram::derive_with(hash, password.expose(), &salt, iterations, prep)
        .map_err(|e| stored_failure(e, format))?;
    let text =
        sasl_scram::format_stored(&credentials, format).map_err(|e| stored_failure(e, format))?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Runs `sasl verify`.
pub(crate) fn run_verify(args: VerifyArgs, term: &Term) -> CommandResult {
    let stored = match (&args.stored, &args.stored_file) {
        (_, Some(path)) => read_stored_file(path)?,
        (Some(text), None) => Zeroizing::new(text.clone()),
        (None, None) => {
            return Err(Failure::error("no stored credential string given")
                .hint("pass it as an argument or with --stored-file"));
        }
    };
    let stored_text = stored.trim();
    let credentials = sasl_scram::parse_stored(stored_text).map_err(|e| {
        Failure::error(format!("cannot read the stored credential: {e}"))
            .hint("expected {SCRAM-SHA-256}iter,salt,stored,server or SCRAM-SHA-256$iter:salt$stored:server")
    })?;
    let dovecot = stored_text.starts_with('{');
    let prep = if dovecot {
        PasswordPrep::None
    } else {
        PasswordPrep::SaslPrepOrRaw
    };
    let password = read_password(args.password_file.as_deref(), false)?;
    if sasl_scram::verify_password(&credentials, password.expose(), prep) {
        println!(
            "{} (SCRAM-{}, {} iterations)",
            term.paint(Paint::Good, "password matches"),
            credentials.hash().name(),
            credentials.iterations()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut failure = Failure::refused("password does not match");
    // Normalisation only changes non-ASCII or control characters: only then can a
    // different one match.
    if !password
        .expose()
        .bytes()
        .all(|b| b.is_ascii_graphic() || b == b' ')
    {
        let others = [
            (PasswordPrep::SaslPrep, "with SASLprep"),
            (PasswordPrep::OpaqueString, "with PRECIS OpaqueString"),
            (PasswordPrep::None, "without normalisation"),
        ];
        if let Some((_, how)) = others
            .iter()
            .filter(|(p, _)| *p != prep)
            .find(|(p, _)| sasl_scram::verify_password(&credentials, password.expose(), *p))
        {
            failure = failure.hint(format!(
                "it does match when the password is prepared {how}: the credential was made by software that normalises differently"
            ));
        }
    }
    Err(failure)
}

fn scram_hash(mech: HashMech) -> ScramHash {
    match mech {
        HashMech::ScramSha1 => ScramHash::Sha1,
        HashMech::ScramSha256 => ScramHash::Sha256,
        HashMech::ScramSha512 => ScramHash::Sha512,
    }
}

fn stored_format(format: StoredFormatArg) -> StoredFormat {
    match format {
        StoredFormatArg::Rfc5803 => StoredFormat::Rfc5803,
        StoredFormatArg::Dovecot => StoredFormat::Dovecot,
        StoredFormatArg::Postgres => StoredFormat::PostgreSql,
    }
}

/// The password normalisation of the system that reads `format`.
fn prep_for(format: StoredFormat) -> PasswordPrep {
    match format {
        StoredFormat::Dovecot => PasswordPrep::None,
        StoredFormat::PostgreSql => PasswordPrep::SaslPrepOrRaw,
        _ => PasswordPrep::SaslPrep,
    }
}

fn check_iterations(iterations: u32) -> Result<(), Failure> {
    if iterations == 0 {
        return Err(
            Failure::error("the iteration count must be at least 1").hint(format!(
                "the default, {DEFAULT_ITERATIONS}, is the usual minimum"
            )),
        );
    }
    if iterations > MAX_STORED_ITERATIONS {
        return Err(Failure::error(format!(
            "{iterations} iterations is more than {MAX_STORED_ITERATIONS}, which servers of this family refuse to load"
        )));
    }
    Ok(())
}

fn decode_salt(text: &str) -> Result<Vec<u8>, Failure> {
    let salt = STANDARD.decode(text.trim()).map_err(|e| {
        Failure::error(format!("--salt-base64 is not valid base64: {e}"))
            .hint("standard base64 with padding, e.g. c2FsdHNhbHRzYWx0")
    })?;
    if salt.is_empty() || salt.len() > MAX_STORED_SALT_LEN {
        return Err(Failure::error(format!(
            "the salt must be 1 to {MAX_STORED_SALT_LEN} bytes, not {}",
            salt.len()
        )));
    }
    Ok(salt)
}

fn random_salt() -> Result<Vec<u8>, Failure> {
    let mut salt = vec![0u8; DEFAULT_SALT_LEN];
    OsRandom
        .fill(&mut salt)
        .map_err(|e| Failure::error(format!("the system random number source failed: {e}")))?;
    Ok(salt)
}

fn stored_failure(error: StoredError, format: StoredFormat) -> Failure {
    let failure = Failure::error(error.to_string());
    match error {
        StoredError::PasswordPreparation if format == StoredFormat::Rfc5803 => failure.hint(
            "SASLprep refuses this password (control or unassigned characters, mixed directions); PostgreSQL and Dovecot formats store it anyway",
        ),
        _ => failure,
    }
}

/// Reads the password: from `file`, else stdin when it is not a terminal, else a
/// prompt (asked twice when `confirm`). At most [`MAX_PASSWORD_LEN`] bytes, not empty.
fn read_password(file: Option<&Path>, confirm: bool) -> Result<Password, Failure> {
    let password = match file {
        Some(path) => secrets::read_file(path, "password")?,
        None => secrets::read_stdin_or_prompt("Password: ", confirm)?,
    };
    if password.expose().is_empty() {
        return Err(Failure::error("empty password"));
    }
    if password.expose().len() > MAX_PASSWORD_LEN {
        return Err(Failure::error(format!(
            "the password is longer than {MAX_PASSWORD_LEN} bytes"
        )));
    }
    Ok(password)
}

/// Reads a stored-credential file (bounded; it holds keys, so it is zeroized too).
fn read_stored_file(path: &Path) -> Result<Zeroizing<String>, Failure> {
    let file = std::fs::File::open(path).map_err(|e| file_error(path, "reading", e))?;
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_STORED_FILE_LEN + 1)
        .read_to_string(&mut text)
        .map_err(|e| file_error(path, "reading", e))?;
    if text.len() as u64 > MAX_STORED_FILE_LEN {
        return Err(Failure::error(format!(
            "{} is larger than {MAX_STORED_FILE_LEN} bytes: not a stored credential",
            path.display()
        )));
    }
    Ok(text)
}
