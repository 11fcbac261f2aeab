//! Where `sasl oauth` keeps an account: two files per e-mail address in the store
//! directory, both mode 0600 and refused when group or others may read them.
//!
//! - `<address>.json`: what was discovered and registered (issuer, endpoints, client
//!   id, scopes, servers, expiry); no secret, so `show` needs no decryption.
//! - `<address>.tokens`: the secrets (access and refresh token, a client secret or
//!   registration access token if the provider issued one), as JSON, or as whatever
//!   the account's `--encrypt-cmd` made of that JSON (gpg, age, ...).
//!
//! A lock on `<address>.lock` serialises refreshes: two mail clients asking at once
//! must not both spend a rotating refresh token.

use crate::cli::OAuthStoreArgs;
use crate::failure::{Failure, file_error};
use crate::secrets;
use sasl_oauthbearer::authorization::ClientCredentials;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The format version of the account file.
const VERSION: u32 = 1;

/// The largest account or token file read (and encryption command output): 1 MiB.
const MAX_FILE: u64 = 1024 * 1024;

/// The non-secret part of an account (`<address>.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Account {
    /// Format version.
    pub(crate) version: u32,
    /// The e-mail address.
    pub(crate) address: String,
    /// The issuer whose metadata was verified, if discovery found one.
    pub(crate) issuer: Option<String>,
    /// How each piece was found (the discovery report), for `show`.
    pub(crate) discovery: Vec<String>,
    /// Whether `http://` to loopback is allowed (a local test provider).
    pub(crate) allow_http_loopback: bool,
    /// The CA file trusted for the provider's https endpoints, if not the system's.
    pub(crate) ca_file: Option<PathBuf>,
    /// The client id.
    pub(crate) client_id: String,
    /// Where the client id came from: `registered`, `autoconfig` or `command line`.
    pub(crate) client_source: String,
    /// The token endpoint authentication method (`none`, `client_secret_post`,
    /// `client_secret_basic`).
    pub(crate) client_auth: String,
    /// The redirect URI registered (dynamic registration only).
    pub(crate) redirect_uri: Option<String>,
    /// The authorization endpoint.
    pub(crate) authorization_endpoint: Option<String>,
    /// The token endpoint.
    pub(crate) token_endpoint: String,
    /// The device authorization endpoint (RFC 8628).
    pub(crate) device_authorization_endpoint: Option<String>,
    /// The revocation endpoint (RFC 7009).
    pub(crate) revocation_endpoint: Option<String>,
    /// Whether the provider sends `iss` in authorization responses (RFC 9207).
    pub(crate) iss_parameter: bool,
    /// The scopes asked for.
    pub(crate) scopes: Vec<String>,
    /// The IMAP server (`imaps://host:port` or `imap://host:port` with STARTTLS).
    pub(crate) imap: Option<String>,
    /// The SMTP submission server (`smtps://` or `smtp://` with STARTTLS).
    pub(crate) smtp: Option<String>,
    /// The command that encrypts the token file (stdin to stdout), if any.
    pub(crate) encrypt_cmd: Option<String>,
    /// The command that decrypts it.
    pub(crate) decrypt_cmd: Option<String>,
    /// When the access token was obtained (Unix seconds).
    pub(crate) obtained_at: u64,
    /// When it expires (Unix seconds), if the provider said.
    pub(crate) expires_at: Option<u64>,
    /// Whether the token file holds a refresh token.
    pub(crate) refresh_token: bool,
}

impl Account {
    /// The format version this program writes.
    pub(crate) fn version() -> u32 {
        VERSION
    }

    /// The client credentials for the token endpoint: the recorded method, with the
    /// secret from the token file.
    pub(crate) fn credentials(&self, tokens: &Tokens) -> ClientCredentials {
        let id = self.client_id.clone();
        match (self.client_auth.as_str(), &tokens.client_secret) {
            ("client_secret_basic", Some(secret)) => {
                ClientCredentials::secret_basic(id, secret.clone())
            }
            ("client_secret_post", Some(secret)) => {
                ClientCredentials::secret_post(id, secret.clone())
            }
            _ => ClientCredentials::public(id),
        }
    }
}

/// The secret part (`<address>.tokens`). Zeroized on drop; `Debug` shows no secret.
#[derive(Clone, Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tokens {
    /// The access token.
    pub(crate) access_token: String,
    /// The refresh token.
    pub(crate) refresh_token: Option<String>,
    /// The client secret, for a confidential client.
    pub(crate) client_secret: Option<String>,
    /// The registration access token (RFC 7592), if the provider issued one.
    pub(crate) registration_access_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// The store directory: `--store`, else `SASL_OAUTH_DIR`, else
/// `$XDG_DATA_HOME/sasl/oauth`, else `~/.local/share/sasl/oauth`.
pub(crate) fn directory(given: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os("SASL_OAUTH_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(data).join("sasl").join("oauth"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home)
            .join(".local")
            .join("share")
            .join("sasl")
            .join("oauth")),
        None => Err(Failure::error("no place for the token files")
            .hint("pass --store DIR or set SASL_OAUTH_DIR")),
    }
}

/// The files of `address` in the store that `--store` (or the environment) names.
pub(crate) fn paths(store: &OAuthStoreArgs, address: &str) -> Result<Paths, Failure> {
    Paths::of(&directory(store.store.as_deref())?, address)
}

/// An account's files in the store.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    /// `<address>.json`.
    pub(crate) account: PathBuf,
    /// `<address>.tokens`.
    pub(crate) tokens: PathBuf,
    /// `<address>.lock`.
    lock: PathBuf,
}

impl Paths {
    /// The files of `address` in `dir`. The address is checked (one `@`, a domain)
    /// and every character outside `A-Z a-z 0-9 @ . _ + -` is percent-encoded in the
    /// file name, so no address can name a path outside the directory.
    pub(crate) fn of(dir: &Path, address: &str) -> Result<Self, Failure> {
        let (local, domain) = address
            .rsplit_once('@')
            .filter(|(l, d)| !l.is_empty() && !d.is_empty())
            .ok_or_else(|| {
                Failure::error(format!("not an e-mail address: {address:?}"))
                    .hint("give the account's full address, such as alice@example.org")
            })?;
        if address.len() > 320 || local.chars().chain(domain.chars()).any(char::is_control) {
            return Err(Failure::error(format!(
                "not an e-mail address: {address:?}"
            )));
        }
        let mut stem = String::new();
        for byte in address.bytes() {
            if byte.is_ascii_alphanumeric() || b"@_+-".contains(&byte) || byte == b'.' {
                stem.push(char::from(byte));
            } else {
                stem.push_str(&format!("%{byte:02X}"));
            }
        }
        // "." and ".." cannot come out of an address with an `@`; a leading dot would
        // only hide the file.
        if stem.starts_with('.') {
            stem.replace_range(0..1, "%2E");
        }
        Ok(Paths {
            account: dir.join(format!("{stem}.json")),
            tokens: dir.join(format!("{stem}.tokens")),
            lock: dir.join(format!("{stem}.lock")),
        })
    }

    /// Whether the account exists.
    pub(crate) fn exists(&self) -> bool {
        self.account.exists()
    }
}

/// Creates the store directory (mode 0700) if needed, and refuses one that others
/// may write to (they could replace the files, or plant links where they are written).
pub(crate) fn create_directory(dir: &Path) -> Result<(), Failure> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| file_error(dir, "creating the token directory", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(|e| file_error(dir, "reading", e))?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(Failure::error(format!(
                "the token directory {} may be written by others (mode {:o})",
                dir.display(),
                mode & 0o777
            ))
            .hint(format!(
                "`chmod 700 {}`, or choose another --store",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// An exclusive lock on the account, held until dropped.
pub(crate) struct Lock(#[allow(dead_code)] std::fs::File);

/// Waits for the account's lock.
pub(crate) fn lock(paths: &Paths) -> Result<Lock, Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&paths.lock)
        .map_err(|e| file_error(&paths.lock, "opening the lock file", e))?;
    file.lock()
        .map_err(|e| file_error(&paths.lock, "locking", e))?;
    Ok(Lock(file))
}

/// Reads a store file: refused when group or others have any access to it.
fn read_private(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    let file = std::fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Failure::error(format!("no {what} at {}", path.display()))
                .hint("run `sasl oauth login ADDRESS` first")
        } else {
            file_error(path, "reading", e)
        }
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(|e| file_error(path, "reading", e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Failure::error(format!(
                "{} is readable by others (mode {:o}): refusing to use it",
                path.display(),
                mode & 0o777
            ))
            .hint(format!(
                "if nobody else could have read it, `chmod 600 {}`; else revoke the tokens and log in again",
                path.display()
            )));
        }
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error(path, "reading", e))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(Failure::error(format!("{} is too large", path.display())));
    }
    Ok(bytes)
}

/// Reads the account file.
pub(crate) fn read_account(paths: &Paths) -> Result<Account, Failure> {
    let bytes = read_private(&paths.account, "account")?;
    let account: Account = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::error(format!(
            "{} is not an account file: {e}",
            paths.account.display()
        ))
    })?;
    if account.version != VERSION {
        return Err(Failure::error(format!(
            "{} has format version {}, this sasl reads {VERSION}",
            paths.account.display(),
            account.version
        )));
    }
    Ok(account)
}

/// Reads the token file, decrypting it with the account's command.
pub(crate) fn read_tokens(paths: &Paths, account: &Account) -> Result<Tokens, Failure> {
    let mut bytes = read_private(&paths.tokens, "token file")?;
    if let Some(command) = &account.decrypt_cmd {
        let plain = run_filter(command, &bytes, "--decrypt-cmd");
        bytes.zeroize();
        bytes = plain?;
    }
    let tokens = serde_json::from_slice::<Tokens>(&bytes).map_err(|_| {
        // serde's message may quote the text: never show it.
        Failure::error(format!(
            "{} is not a token file (or was not decrypted)",
            paths.tokens.display()
        ))
    });
    bytes.zeroize();
    tokens
}

/// Writes both files (the tokens first, encrypted with the account's command).
pub(crate) fn write(paths: &Paths, account: &Account, tokens: &Tokens) -> Result<(), Failure> {
    let mut json = serde_json::to_vec(tokens)
        .map_err(|e| Failure::error(format!("writing the token file: {e}")))?;
    let data = match &account.encrypt_cmd {
        Some(command) => {
            let sealed = run_filter(command, &json, "--encrypt-cmd");
            json.zeroize();
            sealed?
        }
        None => json,
    };
    let written = secrets::write_file(&paths.tokens, &data, true, true);
    let mut data = data;
    data.zeroize();
    written?;
    let text = serde_json::to_string_pretty(account)
        .map_err(|e| Failure::error(format!("writing the account file: {e}")))?;
    secrets::write_file(&paths.account, format!("{text}\n").as_bytes(), true, true)
}

/// Checks, before anything is asked of the user, that `decrypt` undoes `encrypt`
/// (gpg without a key, a typo): else the tokens of the login would be lost.
pub(crate) fn check_filters(encrypt: &str, decrypt: &str) -> Result<(), Failure> {
    let probe = b"{\"sasl-oauth\":\"encryption round trip\"}";
    let sealed = run_filter(encrypt, probe, "--encrypt-cmd")?;
    let opened = run_filter(decrypt, &sealed, "--decrypt-cmd")?;
    if opened != probe {
        return Err(Failure::error(
            "--decrypt-cmd does not give back what --encrypt-cmd was given",
        )
        .hint("try both commands by hand: echo test | ENCRYPT | DECRYPT"));
    }
    Ok(())
}

/// Deletes the account's files; says whether any existed. The lock file stays: a
/// process waiting on it, and one that would create a new one, must not both hold "the
/// lock".
pub(crate) fn remove(paths: &Paths) -> Result<bool, Failure> {
    let mut any = false;
    for path in [&paths.tokens, &paths.account] {
        match std::fs::remove_file(path) {
            Ok(()) => any = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(file_error(path, "removing", e)),
        }
    }
    Ok(any)
}

/// Runs `sh -c command` with `input` on stdin and returns its stdout (bounded).
fn run_filter(command: &str, input: &[u8], flag: &str) -> Result<Vec<u8>, Failure> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Failure::error(format!("starting the {flag} command: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Failure::error(format!("the {flag} command has no stdin")))?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let mut input = input;
        let result = stdin.write_all(&input);
        input.zeroize();
        result
    });
    let mut output = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let read = stdout.take(MAX_FILE + 1).read_to_end(&mut output);
        if read.is_err() || output.len() as u64 > MAX_FILE {
            // Stop it rather than wait on a full pipe.
            let _ = child.kill();
        }
        read.map_err(|e| Failure::error(format!("reading the {flag} command's output: {e}")))?;
    }
    let status = child
        .wait()
        .map_err(|e| Failure::error(format!("waiting for the {flag} command: {e}")))?;
    let wrote = writer.join().ok().and_then(Result::ok).is_some();
    if !status.success() || !wrote {
        output.zeroize();
        return Err(Failure::error(format!(
            "the {flag} command failed ({status})"
        )));
    }
    if output.len() as u64 > MAX_FILE || output.is_empty() {
        output.zeroize();
        return Err(Failure::error(format!(
            "the {flag} command gave no output, or too much"
        )));
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_leave_the_directory() {
        let dir = Path::new("/store");
        let paths = Paths::of(dir, "alice@example.org").expect("plain address");
        assert_eq!(paths.account, Path::new("/store/alice@example.org.json"));
        let paths = Paths::of(dir, "../../etc/x@y/../z").expect("encoded");
        assert_eq!(paths.account.parent(), Some(dir));
        assert!(
            paths
                .tokens
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.contains('/') && n.starts_with("%2E"))
        );
        assert!(Paths::of(dir, "no-at-sign").is_err());
        assert!(Paths::of(dir, "@example.org").is_err());
        assert!(Paths::of(dir, "alice@").is_err());
        assert!(Paths::of(dir, "a\n@b").is_err());
    }

    #[test]
    fn tokens_debug_shows_no_secret() {
        let tokens = Tokens {
            access_token: "access-SECRET".into(),
            refresh_token: Some("refresh-SECRET".into()),
            client_secret: Some("client-SECRET".into()),
            registration_access_token: None,
        };
        assert!(!format!("{tokens:?}").contains("SECRET"));
    }

    #[test]
    fn filters_round_trip_and_fail_cleanly() {
        let sealed = run_filter("tr a-z n-za-m", b"hello", "--encrypt-cmd").expect("tr runs");
        assert_eq!(sealed, b"uryyb");
        assert!(run_filter("exit 3", b"x", "--decrypt-cmd").is_err());
        assert!(run_filter("cat >/dev/null", b"x", "--decrypt-cmd").is_err());
        // Endless output is cut off, not waited on.
        assert!(run_filter("yes", b"x", "--decrypt-cmd").is_err());
        assert!(check_filters("rev", "rev").is_ok());
        assert!(check_filters("rev", "cat").is_err());
    }

    #[test]
    fn a_directory_others_may_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sasl-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        create_directory(&dir).expect("a new private directory");
        assert_eq!(
            std::fs::metadata(&dir)
                .expect("exists")
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(create_directory(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
