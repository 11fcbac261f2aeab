//! Reading secrets: passwords and tokens from a file, the environment, stdin or a no-echo
//! prompt. Everything comes back as a [`Secret`] (zeroized on drop, redacted in `Debug`),
//! read into a buffer allocated once, so no reallocation leaves a copy behind.

use crate::failure::{Failure, file_error};
use sasl_core::Secret;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// The largest secret read (64 KiB; a JWT is far smaller).
pub(crate) const MAX_SECRET_LEN: usize = 64 * 1024;

/// Reads a secret file: its content without one trailing newline (CRLF or LF).
pub(crate) fn read_file(path: &Path, what: &str) -> Result<Secret<String>, Failure> {
    let file = std::fs::File::open(path).map_err(|e| file_error(path, "reading", e))?;
    read_bounded(file, &format!("the {what} file {}", path.display()))
}

/// Reads a secret from stdin when it is not a terminal, else from a no-echo prompt
/// (asked twice, and the two compared, when `confirm`).
pub(crate) fn read_stdin_or_prompt(prompt: &str, confirm: bool) -> Result<Secret<String>, Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return read_bounded(stdin.lock(), "stdin");
    }
    if confirm {
        prompt_confirmed(prompt, "Again: ")
    } else {
        prompt_secret(prompt)
    }
}

/// Asks on the terminal without echo.
pub(crate) fn prompt_secret(prompt: &str) -> Result<Secret<String>, Failure> {
    rpassword::prompt_password(prompt)
        .map(Secret::new)
        .map_err(|e| {
            Failure::error(format!("reading the password from the terminal: {e}"))
                .hint("pass --password-file FILE instead")
        })
}

/// Asks twice without echo; the two answers must be equal.
pub(crate) fn prompt_confirmed(prompt: &str, again: &str) -> Result<Secret<String>, Failure> {
    let first = prompt_secret(prompt)?;
    let second = prompt_secret(again)?;
    if first.expose().as_bytes() != second.expose().as_bytes() {
        return Err(Failure::error("the two passwords differ"));
    }
    Ok(first)
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

/// Reads at most [`MAX_SECRET_LEN`] bytes into a buffer allocated once, strips one
/// trailing newline, checks UTF-8.
pub(crate) fn read_bounded(reader: impl Read, what: &str) -> Result<Secret<String>, Failure> {
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(MAX_SECRET_LEN + 2));
    reader
        .take(MAX_SECRET_LEN as u64 + 2)
        .read_to_end(&mut buf)
        .map_err(|e| Failure::error(format!("reading {what}: {e}")))?;
    let newline = if buf.ends_with(b"\r\n") {
        2
    } else {
        usize::from(buf.ends_with(b"\n"))
    };
    let len = buf.len().saturating_sub(newline);
    buf.truncate(len);
    if buf.len() > MAX_SECRET_LEN {
        return Err(Failure::error(format!(
            "{what} holds more than {MAX_SECRET_LEN} bytes"
        )));
    }
    // Moved, not copied: the String takes over the zeroizing buffer's allocation.
    let bytes = std::mem::take(&mut *buf);
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Secret::new(text)),
        Err(e) => {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Err(Failure::error(format!("{what} is not valid UTF-8")))
        }
    }
}

/// `N` bytes from the system's random source (nonces, challenges, PKCE verifiers,
/// temporary-file names).
pub(crate) fn random<const N: usize>() -> Result<[u8; N], Failure> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Failure::error("the system's random source failed"))?;
    Ok(bytes)
}

/// Writes `data` to `path`: a new file unless `overwrite`, and then through a new
/// temporary file beside it (a random name, created exclusively, so a planted file or
/// link there is never followed) and a rename (a failed write leaves the old file
/// whole); `secret` ones get mode 0600 on unix (also when an existing file had wider
/// permissions).
pub(crate) fn write_file(
    path: &Path,
    data: &[u8],
    secret: bool,
    overwrite: bool,
) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    let target = if overwrite {
        options.create_new(true);
        let mut tmp = PathBuf::from(path.as_os_str());
        tmp.as_mut_os_string()
            .push(format!(".{:016x}.tmp", u64::from_le_bytes(random()?)));
        tmp
    } else {
        options.create_new(true);
        path.to_path_buf()
    };
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let doing = |e: std::io::Error| file_error(path, "writing", e);
    let mut file = options.open(&target).map_err(doing)?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(doing)?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    let written = file.write_all(data).and_then(|()| file.sync_all());
    drop(file);
    let done = written.and_then(|()| {
        if overwrite {
            std::fs::rename(&target, path)
        } else {
            Ok(())
        }
    });
    if done.is_err() && overwrite {
        // Leave no half-written temporary file behind.
        let _ = std::fs::remove_file(&target);
    }
    done.map_err(doing)
}

#[cfg(test)]
mod tests {
    use super::read_bounded;

    fn read(bytes: &[u8]) -> Result<String, String> {
        read_bounded(bytes, "test")
            .map(|s| s.expose().clone())
            .map_err(|f| f.to_string())
    }

    #[test]
    fn one_trailing_newline_goes_and_bad_input_is_refused() {
        assert_eq!(read(b"pw\n"), Ok("pw".to_owned()));
        assert_eq!(read(b"pw\r\n"), Ok("pw".to_owned()));
        assert_eq!(read(b"pw\n\n"), Ok("pw\n".to_owned()));
        assert_eq!(read(b" pw "), Ok(" pw ".to_owned()));
        assert!(read(b"\xff\xfe").is_err_and(|e| e.contains("UTF-8")));
        assert!(
            read(&vec![b'a'; super::MAX_SECRET_LEN + 1]).is_err_and(|e| e.contains("more than"))
        );
    }
}
