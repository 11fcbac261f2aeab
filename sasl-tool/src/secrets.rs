//! Reading secrets: passwords and tokens from a file, the environment, stdin or a no-echo
//! prompt. Everything comes back as a [`Secret`] (zeroized on drop, redacted in `Debug`).

use crate::failure::Failure;
use sasl_core::Secret;
use std::io::{IsTerminal, Read};
use std::path::Path;

/// The largest secret file read (64 KiB; a JWT is far smaller).
pub(crate) const MAX_SECRET_LEN: u64 = 64 * 1024;

/// Reads a secret file: its content without one trailing newline (CRLF or LF).
pub(crate) fn read_file(path: &Path, what: &str) -> Result<Secret<String>, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::error(format!("reading the {what} file {}: {e}", path.display())))?;
    let mut text = zeroize::Zeroizing::new(String::new());
    file.take(MAX_SECRET_LEN + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            Failure::error(format!("reading the {what} file {}: {e}", path.display()))
                .hint("the file must be UTF-8")
        })?;
    if text.len() as u64 > MAX_SECRET_LEN {
        return Err(Failure::error(format!(
            "the {what} file {} is larger than {MAX_SECRET_LEN} bytes",
            path.display()
        )));
    }
    Ok(Secret::new(strip_newline(&text).to_owned()))
}

/// Reads a secret from stdin when it is not a terminal, else from a no-echo prompt.
pub(crate) fn read_stdin_or_prompt(prompt: &str) -> Result<Secret<String>, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return prompt_secret(prompt);
    }
    let mut text = zeroize::Zeroizing::new(String::new());
    stdin
        .lock()
        .take(MAX_SECRET_LEN + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            Failure::error(format!("reading stdin: {e}")).hint("the password must be UTF-8")
        })?;
    if text.len() as u64 > MAX_SECRET_LEN {
        return Err(Failure::error(format!(
            "stdin holds more than {MAX_SECRET_LEN} bytes"
        )));
    }
    Ok(Secret::new(strip_newline(&text).to_owned()))
}

/// Asks on the terminal without echo.
pub(crate) fn prompt_secret(prompt: &str) -> Result<Secret<String>, Failure> {
    rpassword::prompt_password(prompt)
        .map(Secret::new)
        .map_err(|e| {
            Failure::error(format!("reading the password from the terminal: {e}"))
                .hint("pass --password-file FILE or set SASL_PASSWORD")
        })
}

/// A password for `login`: `--password-file`, else `SASL_PASSWORD`, else a prompt (only on
/// a terminal).
pub(crate) fn login_password(file: Option<&Path>, user: &str) -> Result<Secret<String>, Failure> {
    if let Some(path) = file {
        return read_file(path, "password");
    }
    if let Some(value) = std::env::var_os("SASL_PASSWORD") {
        return value
            .into_string()
            .map(Secret::new)
            .map_err(|_| Failure::error("SASL_PASSWORD is not UTF-8"));
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            Failure::error("a password is needed and there is no terminal to ask on")
                .hint("pass --password-file FILE or set SASL_PASSWORD"),
        );
    }
    prompt_secret(&format!("Password for {user}: "))
}

fn strip_newline(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::strip_newline;

    #[test]
    fn one_trailing_newline_goes() {
        assert_eq!(strip_newline("pw\n"), "pw");
        assert_eq!(strip_newline("pw\r\n"), "pw");
        assert_eq!(strip_newline("pw\n\n"), "pw\n");
        assert_eq!(strip_newline(" pw "), " pw ");
    }
}
