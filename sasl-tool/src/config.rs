//! The server config file of `sasl serve` (TOML): accounts with stored credentials and
//! public data only, never a plain password.
//!
//! ```toml
//! hostname = "mail.example.test"        # optional; --hostname overrides
//!
//! [passkey]                              # optional: offer PASSKEY
//! rp_id = "mail.example.test"
//! origins = ["https://mail.example.test"]
//!
//! [oauth]                                # optional: offer OAUTHBEARER and XOAUTH2
//! jwks = "jwks.json"                     # relative to this file
//! issuer = "https://issuer.example.test"
//! audience = ["imap"]
//! openid_configuration = "https://issuer.example.test/.well-known/openid-configuration"  # optional
//!
//! [[account]]
//! name = "alice"
//! scram = ["SCRAM-SHA-256$4096:...$...:..."]  # any format `sasl hash` writes
//! certificates = ["-TnjALeuZz__A0CMLwNB7zqH..."]  # SPKI SHA-256, base64url (`sasl cert`), for EXTERNAL
//! passkeys = ["passkey-v1:..."]               # `sasl passkey register` adds these
//! ```
//!
//! [`ServerConfigFile`] is the file as written (kept for `passkey register` to rewrite);
//! [`Accounts`] is what the server looks up, parsed and checked once at start.

use crate::failure::Failure;
use sasl_core::{ScramCredentials, ScramHash};
use sasl_passkey::webauthn::CredentialRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The largest config file read (1 MiB).
pub(crate) const MAX_CONFIG_LEN: u64 = 1024 * 1024;

/// The config file as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerConfigFile {
    /// The host name the server calls itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hostname: Option<String>,
    /// PASSKEY's relying party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) passkey: Option<PasskeySection>,
    /// Bearer-token validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) oauth: Option<OAuthSection>,
    /// The accounts.
    #[serde(default, rename = "account", skip_serializing_if = "Vec::is_empty")]
    pub(crate) accounts: Vec<AccountEntry>,
}

/// `[passkey]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeySection {
    /// The RP ID (a domain).
    pub(crate) rp_id: String,
    /// The origins accepted in client data.
    pub(crate) origins: Vec<String>,
}

/// `[oauth]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct OAuthSection {
    /// The JWKS file, relative to the config file.
    pub(crate) jwks: PathBuf,
    /// The issuer to require.
    pub(crate) issuer: String,
    /// The audiences to accept (any one).
    pub(crate) audience: Vec<String>,
    /// The OpenID configuration URL to send in OAUTHBEARER failures (RFC 7628 §3.2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) openid_configuration: Option<String>,
}

/// `[[account]]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountEntry {
    /// The account name (the SASL identity).
    pub(crate) name: String,
    /// Stored SCRAM credentials, at most one per hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) scram: Vec<String>,
    /// SPKI SHA-256 fingerprints of the account's client certificates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) certificates: Vec<String>,
    /// Passkey credential records (`passkey-v1:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) passkeys: Vec<String>,
}

impl ServerConfigFile {
    /// Reads and parses `path` (not yet checked: see [`Accounts::from_file`]).
    pub(crate) fn load(path: &Path) -> Result<Self, Failure> {
        let text = read_bounded(path)?;
        toml::from_str(&text).map_err(|e| {
            Failure::error(format!(
                "reading the config {}: {}",
                path.display(),
                e.message()
            ))
            .hint("see `sasl serve --help` and the sasl-tool README for the format")
        })
    }

    /// Reads `path`, or an empty config when it does not exist.
    pub(crate) fn load_or_default(path: &Path) -> Result<Self, Failure> {
        if path.exists() {
            Self::load(path)
        } else {
            Ok(Self::default())
        }
    }

    /// Writes the config to `path` (through a temporary file, then a rename). The
    /// file keeps the permissions it had (it holds stored SCRAM keys: a config made
    /// private stays private); a new one is private (0600 on unix).
    pub(crate) fn save(&self, path: &Path) -> Result<(), Failure> {
        use std::io::Write;
        let text = toml::to_string_pretty(self)
            .map_err(|e| Failure::error(format!("writing the config: {e}")))?;
        let tmp = path.with_extension("toml.tmp");
        let kept = std::fs::metadata(path).ok().map(|m| m.permissions());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let write = || -> std::io::Result<()> {
            let mut file = options.open(&tmp)?;
            #[cfg(unix)]
            let private = {
                use std::os::unix::fs::PermissionsExt;
                std::fs::Permissions::from_mode(0o600)
            };
            #[cfg(not(unix))]
            let private = file.metadata()?.permissions();
            // Before any byte is written: a leftover temporary file may be readable.
            file.set_permissions(kept.clone().unwrap_or(private))?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| Failure::error(format!("writing {}: {e}", path.display())))
    }

    /// The account named `name`, created when missing.
    #[allow(
        clippy::indexing_slicing,
        reason = "the index was found or pushed just above"
    )]
    pub(crate) fn account_mut(&mut self, name: &str) -> &mut AccountEntry {
        let index = match self.accounts.iter().position(|a| a.name == name) {
            Some(index) => index,
            None => {
                self.accounts.push(AccountEntry {
                    name: name.to_owned(),
                    ..AccountEntry::default()
                });
                self.accounts.len() - 1
            }
        };
        // `index` is in bounds: found above or just pushed.
        &mut self.accounts[index]
    }
}

fn read_bounded(path: &Path) -> Result<String, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::error(format!("reading {}: {e}", path.display())))?;
    if meta.len() > MAX_CONFIG_LEN {
        return Err(Failure::error(format!(
            "{} is larger than {MAX_CONFIG_LEN} bytes",
            path.display()
        )));
    }
    std::fs::read_to_string(path)
        .map_err(|e| Failure::error(format!("reading {}: {e}", path.display())))
}

/// One account, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Account {
    /// The name.
    pub(crate) name: String,
    /// Stored SCRAM credentials by hash.
    pub(crate) scram: BTreeMap<ScramHashKey, ScramCredentials>,
    /// Passkey credentials.
    pub(crate) passkeys: Vec<CredentialRecord>,
}

/// [`ScramHash`] as a map key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ScramHashKey {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl ScramHashKey {
    /// The key of `hash` (`None` for a hash this tool does not know).
    pub(crate) fn of(hash: ScramHash) -> Option<Self> {
        match hash {
            ScramHash::Sha1 => Some(ScramHashKey::Sha1),
            ScramHash::Sha256 => Some(ScramHashKey::Sha256),
            ScramHash::Sha512 => Some(ScramHashKey::Sha512),
            _ => None,
        }
    }
}

/// The accounts the server looks up, parsed and checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accounts {
    accounts: BTreeMap<String, Account>,
    /// SPKI fingerprint → account name.
    certificates: BTreeMap<String, String>,
    /// Passkey credential id → account name.
    credential_ids: BTreeMap<Vec<u8>, String>,
}

impl Accounts {
    /// Parses and checks every account of `file`: each stored string must parse, at most
    /// one per hash, fingerprints and credential ids unique across accounts.
    pub(crate) fn from_file(file: &ServerConfigFile) -> Result<Self, Failure> {
        let mut accounts = Accounts::default();
        for entry in &file.accounts {
            accounts.add_entry(entry)?;
        }
        Ok(accounts)
    }

    fn add_entry(&mut self, entry: &AccountEntry) -> Result<(), Failure> {
        let name = entry.name.as_str();
        if name.is_empty() {
            return Err(Failure::error("an [[account]] has an empty name"));
        }
        if self.accounts.contains_key(name) {
            return Err(Failure::error(format!("account {name:?} is listed twice")));
        }
        let mut account = Account {
            name: name.to_owned(),
            ..Account::default()
        };
        for stored in &entry.scram {
            let credentials = sasl_scram::parse_stored(stored).map_err(|e| {
                Failure::error(format!("account {name:?}: a stored SCRAM credential: {e}"))
                    .hint("make one with `sasl hash`")
            })?;
            let key = ScramHashKey::of(credentials.hash()).ok_or_else(|| {
                Failure::error(format!(
                    "account {name:?}: a SCRAM hash this tool does not know"
                ))
            })?;
            if account.scram.insert(key, credentials).is_some() {
                return Err(Failure::error(format!(
                    "account {name:?} has two SCRAM credentials for the same hash"
                )));
            }
        }
        for fingerprint in &entry.certificates {
            let fingerprint = fingerprint.trim().to_owned();
            if let Some(other) = self
                .certificates
                .insert(fingerprint.clone(), name.to_owned())
            {
                return Err(Failure::error(format!(
                    "certificate {fingerprint} is mapped to both {other:?} and {name:?}"
                )));
            }
        }
        for text in &entry.passkeys {
            let record = CredentialRecord::from_text(text.trim()).map_err(|e| {
                Failure::error(format!("account {name:?}: a passkey record: {e}"))
                    .hint("records come from `sasl passkey register`")
            })?;
            let id = record.credential_id().to_vec();
            if let Some(other) = self.credential_ids.insert(id, name.to_owned()) {
                return Err(Failure::error(format!(
                    "a passkey credential id is registered to both {other:?} and {name:?}"
                )));
            }
            account.passkeys.push(record);
        }
        self.accounts.insert(name.to_owned(), account);
        Ok(())
    }

    /// Adds a quick-test account (`--account NAME:PASSWORD`): SCRAM credentials for every
    /// hash derived in memory; the password itself is not kept.
    pub(crate) fn add_password_account(&mut self, spec: &str) -> Result<(), Failure> {
        let (name, password) = spec.split_once(':').ok_or_else(|| {
            Failure::error("--account takes NAME:PASSWORD")
                .hint("for example --account alice:secret")
        })?;
        if name.is_empty() {
            return Err(Failure::error("--account has an empty name"));
        }
        let account = self
            .accounts
            .entry(name.to_owned())
            .or_insert_with(|| Account {
                name: name.to_owned(),
                ..Account::default()
            });
        for (hash, key) in [
            (ScramHash::Sha1, ScramHashKey::Sha1),
            (ScramHash::Sha256, ScramHashKey::Sha256),
            (ScramHash::Sha512, ScramHashKey::Sha512),
        ] {
            let credentials =
                sasl_scram::derive_with_random_salt(hash, password, 4096, &sasl_core::OsRandom)
                    .map_err(|e| Failure::error(format!("--account {name}: {e}")))?;
            // The password replaces what the config stored for this account.
            account.scram.insert(key, credentials);
        }
        Ok(())
    }

    /// The account named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Account> {
        self.accounts.get(name)
    }

    /// Mutable access, to record a passkey's new counter.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut Account> {
        self.accounts.get_mut(name)
    }

    /// The account a client certificate's SPKI fingerprint maps to.
    pub(crate) fn by_certificate(&self, fingerprint: &str) -> Option<&str> {
        self.certificates.get(fingerprint).map(String::as_str)
    }

    /// The account owning a passkey credential id.
    pub(crate) fn by_credential_id(&self, id: &[u8]) -> Option<&Account> {
        self.credential_ids
            .get(id)
            .and_then(|name| self.accounts.get(name))
    }

    /// Every account, by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// The number of accounts.
    pub(crate) fn len(&self) -> usize {
        self.accounts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn saving_keeps_a_private_config_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sasl-config-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("server.toml");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let config = ServerConfigFile {
            hostname: Some("mail.example.test".to_owned()),
            ..ServerConfigFile::default()
        };
        // A new file is private.
        config.save(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        // A file's own permissions are kept, wider or narrower.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        config.save(&path).unwrap();
        assert_eq!(mode(&path), 0o640);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        config.save(&path).unwrap();
        assert_eq!(mode(&path), 0o400);
        assert_eq!(ServerConfigFile::load(&path).unwrap(), config);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
