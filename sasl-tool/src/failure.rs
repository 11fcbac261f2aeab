//! Errors of the commands: what went wrong, what to try next, and the exit status.

use std::fmt;
use std::process::ExitCode;

/// Exit status 1: the server (or the check) said no.
pub(crate) const EXIT_REFUSED: u8 = 1;
/// Exit status 2: usage, network, TLS or file errors.
pub(crate) const EXIT_ERROR: u8 = 2;

/// A command's failure: a message, an optional hint, and the exit status.
#[derive(Debug)]
pub(crate) struct Failure {
    message: String,
    hint: Option<String>,
    status: u8,
}

impl Failure {
    /// A usage, network, TLS or file error (exit status 2).
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hint: None,
            status: EXIT_ERROR,
        }
    }

    /// A refusal: the server or the check said no (exit status 1).
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hint: None,
            status: EXIT_REFUSED,
        }
    }

    /// Adds what to try next.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The message.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// What to try next, if known.
    pub(crate) fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The exit status.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.status)
    }

    /// The exit status as a number.
    pub(crate) fn status(&self) -> u8 {
        self.status
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Adds a context to I/O errors: `io(path, "reading")`.
pub(crate) fn file_error(path: &std::path::Path, doing: &str, error: std::io::Error) -> Failure {
    Failure::error(format!("{doing} {}: {error}", path.display()))
}

/// The result of a command: the exit status to end with, or a failure.
pub(crate) type CommandResult = Result<ExitCode, Failure>;
