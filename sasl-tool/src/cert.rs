//! `sasl cert`: a per-device TLS client certificate for SASL EXTERNAL.
//!
//! Writes three files next to each other:
//!
//! - `PREFIX.pem`: the certificate (PEM);
//! - `PREFIX.key`: its private key (PKCS#8 PEM, mode 0600 on unix);
//! - `PREFIX.p12`: both in a PKCS#12 file, what Thunderbird, Apple Mail, Outlook and the
//!   phone mail apps import. It is protected the way OpenSSL 3 does by default: the key
//!   and the certificates encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), the file
//!   authenticated with an HMAC-SHA256 MAC. Its password comes from `--p12-password-file`,
//!   else a no-echo prompt when stdin is a terminal, else it is empty (stderr says which).
//!   Old readers that only know the legacy RC2/3DES format (macOS before 14, Windows
//!   before Server 2019) cannot open it; `openssl pkcs12 -legacy` converts.
//!
//! The certificate is self-signed, or signed by `--ca-cert`/`--ca-key`. The command prints
//! the SPKI fingerprint the server maps to an account (sasl-external's
//! [`CertificateIdentity::fingerprint`](sasl_external::CertificateIdentity::fingerprint):
//! unpadded base64url of SHA-256 over the SubjectPublicKeyInfo, what `sasl serve` matches
//! against an account's `certificates = [...]`) and a snippet for the server config.
//!
//! Ed25519 keys go into PKCS#12 like any other key (p12-keystore stores any PKCS#8 key),
//! and OpenSSL 3 reads them, but many mail clients (Apple Mail, Outlook) cannot use an
//! Ed25519 client certificate: P-256, the default, works everywhere. Ed25519 keys are
//! written in the RFC 8410 PKCS#8 v1 form, both in `PREFIX.key` and in the PKCS#12 file:
//! the v2 form ring generates (with the public key) is refused by OpenSSL 3.0.

use crate::cli::{CertArgs, CertKeyType};
use crate::failure::{CommandResult, Failure};
use crate::secrets;
use crate::term::{Paint, Term};
use crate::tls::{self, Ca, ClientCertRequest, Issued, KeyAlgorithm};
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
    PrivateKeyChain,
};
use rustls_pki_types::CertificateDer;
use sasl_core::Secret;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The most days a certificate may be valid (100 years; X.509 dates end in 9999 and the
/// clock arithmetic must not overflow).
pub(crate) const MAX_DAYS: u32 = 36_500;

/// PBKDF2 iterations for the PKCS#12 encryption and the MAC key (OpenSSL 3 uses 2048;
/// more costs an importer milliseconds and an attacker guessing the password far more).
pub(crate) const P12_ITERATIONS: u32 = 100_000;

/// Where the password of the PKCS#12 file came from (said on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordSource {
    /// `--p12-password-file`.
    File,
    /// Typed at the prompt.
    Prompt,
    /// No file and no terminal: empty.
    Empty,
}

/// The three output files.
#[derive(Debug, Clone)]
struct OutputPaths {
    cert: PathBuf,
    key: PathBuf,
    p12: PathBuf,
}

impl OutputPaths {
    /// `PREFIX.pem`, `PREFIX.key`, `PREFIX.p12` (the suffix is appended, never replacing
    /// a dot already in the prefix).
    fn new(prefix: &Path) -> Self {
        let with = |suffix: &str| {
            let mut name = OsString::from(prefix.as_os_str());
            name.push(suffix);
            PathBuf::from(name)
        };
        OutputPaths {
            cert: with(".pem"),
            key: with(".key"),
            p12: with(".p12"),
        }
    }

    fn all(&self) -> [&Path; 3] {
        [&self.cert, &self.key, &self.p12]
    }
}

/// Runs `sasl cert`.
pub(crate) fn run(args: CertArgs, term: &Term) -> CommandResult {
    if args.name.trim().is_empty() {
        return Err(
            Failure::error("--name is empty").hint("name the device, e.g. --name alice-laptop")
        );
    }
    if args.days == 0 || args.days > MAX_DAYS {
        return Err(Failure::error(format!(
            "--days must be 1 to {MAX_DAYS}, not {}",
            args.days
        )));
    }
    let paths = OutputPaths::new(&args.out);
    if !args.force
        && let Some(existing) = paths.all().into_iter().find(|p| p.exists())
    {
        return Err(
            Failure::error(format!("{} already exists", existing.display()))
                .hint("pass --force to overwrite it, or choose another --out"),
        );
    }
    let (password, source) = p12_password(args.p12_password_file.as_deref())?;

    let algorithm = match args.key_type {
        CertKeyType::Ed25519 => KeyAlgorithm::Ed25519,
        CertKeyType::P256 => KeyAlgorithm::P256,
    };
    let request = ClientCertRequest {
        name: &args.name,
        email: args.email.as_deref(),
        algorithm,
        days: args.days,
    };
    let (issued, ca_cert) = match (&args.ca_cert, &args.ca_key) {
        (Some(cert), Some(key)) => {
            let ca = Ca::load(cert, key)?;
            let issued = ca.issue_client(&request)?;
            (issued, Some(ca.issued().cert_der.clone()))
        }
        _ => (tls::self_signed_client(&request)?, None),
    };
    let converted = portable_pkcs8(&issued.key_der)?;
    let (key_der, key_pem): (&[u8], _) = match &converted {
        Some(v1) => (v1.as_slice(), pem_private_key(v1)),
        None => (issued.key_der.as_slice(), issued.key_pem.clone()),
    };
    let p12 = pkcs12(
        &issued,
        key_der,
        ca_cert.as_ref(),
        &args.name,
        password.expose(),
    )?;
    let spki = tls::spki_fingerprint(&issued.cert_der)?;
    let cert_sha256 = tls::cert_fingerprint(&issued.cert_der);

    secrets::write_file(&paths.cert, issued.cert_pem.as_bytes(), false, args.force)?;
    secrets::write_file(&paths.key, key_pem.as_bytes(), true, args.force)?;
    secrets::write_file(&paths.p12, &p12, true, args.force)?;

    match source {
        PasswordSource::File => {
            if let Some(path) = &args.p12_password_file {
                eprintln!("PKCS#12 password: from {}", path.display());
            }
        }
        PasswordSource::Prompt => eprintln!("PKCS#12 password: as typed"),
        PasswordSource::Empty => eprintln!(
            "{} PKCS#12 password: empty (no --p12-password-file and no terminal to ask on); \
             the key in {} is protected by file permissions only",
            term.paint_err(Paint::Bad, "note:"),
            paths.p12.display()
        ),
    }

    let issuer = match &args.ca_cert {
        Some(ca) => format!("signed by the CA {}", ca.display()),
        None => "self-signed".to_owned(),
    };
    let key_name = match algorithm {
        KeyAlgorithm::Ed25519 => "Ed25519",
        KeyAlgorithm::P256 => "ECDSA P-256",
    };
    println!("{}", term.paint(Paint::Bold, "client certificate"));
    println!("  subject      CN={}", printable(&args.name));
    if let Some(email) = &args.email {
        println!("  e-mail       {}", printable(email));
    }
    println!("  key          {key_name}");
    println!("  issuer       {issuer}");
    println!("  valid for    {} days", args.days);
    println!("  SHA-256      {cert_sha256}");
    println!("  SPKI SHA-256 {spki}");
    println!("{}", term.paint(Paint::Bold, "files"));
    println!("  {}  certificate (PEM)", paths.cert.display());
    println!(
        "  {}  private key (PKCS#8 PEM, keep it secret)",
        paths.key.display()
    );
    println!(
        "  {}  PKCS#12 for mail clients (AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256 MAC)",
        paths.p12.display()
    );
    if algorithm == KeyAlgorithm::Ed25519 {
        println!(
            "{} Ed25519 is in the PKCS#12 file and OpenSSL reads it, but many mail clients \
             (Apple Mail, Outlook) cannot use Ed25519 client certificates: use --key-type p256 \
             for those",
            term.paint(Paint::Dim, "note:")
        );
    }
    println!(
        "{}",
        term.paint(
            Paint::Bold,
            "server config (sasl serve --config FILE): add the fingerprint to the account"
        )
    );
    println!("[[account]]");
    println!("name = \"ACCOUNT\"  # the account this device logs into");
    println!(
        "certificates = [{}]  # {}",
        toml_string(&spki),
        printable(&args.name)
    );
    Ok(ExitCode::SUCCESS)
}

/// The PKCS#12 password: `--p12-password-file`, else a prompt (typed twice) when stdin is a
/// terminal, else empty.
fn p12_password(file: Option<&Path>) -> Result<(Secret<String>, PasswordSource), Failure> {
    if let Some(path) = file {
        return Ok((
            secrets::read_file(path, "PKCS#12 password")?,
            PasswordSource::File,
        ));
    }
    if !std::io::stdin().is_terminal() {
        return Ok((Secret::new(String::new()), PasswordSource::Empty));
    }
    let password = secrets::prompt_confirmed(
        "Password for the PKCS#12 file (empty for none): ",
        "The same password again: ",
    )?;
    Ok((password, PasswordSource::Prompt))
}

/// The PKCS#12 file: the key and `issued`'s certificate (then the CA's), the friendly name
/// `alias`, in the modern encryption.
fn pkcs12(
    issued: &Issued,
    key_der: &[u8],
    ca_cert: Option<&CertificateDer<'static>>,
    alias: &str,
    password: &str,
) -> Result<Vec<u8>, Failure> {
    let p12_error =
        |e: p12_keystore::error::Error| Failure::error(format!("building the PKCS#12 file: {e}"));
    let key = PrivateKey::from_der(key_der).map_err(p12_error)?;
    let mut certs = vec![Certificate::from_der(&issued.cert_der).map_err(p12_error)?];
    if let Some(ca) = ca_cert {
        certs.push(Certificate::from_der(ca).map_err(p12_error)?);
    }
    let local_key_id = {
        use sha2::Digest;
        sha2::Sha256::digest(issued.cert_der.as_ref()).to_vec()
    };
    let mut store = KeyStore::new();
    store.add_entry(
        alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certs)),
    );
    store
        .writer(password)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(P12_ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(P12_ITERATIONS)
        .write()
        .map_err(p12_error)
}

/// The start of an Ed25519 key in PKCS#8 v2 (RFC 5958 `OneAsymmetricKey` with the public
/// key), as ring generates it: SEQUENCE, version 1, the Ed25519 algorithm, the 32-byte
/// seed in an OCTET STRING in an OCTET STRING; `[1]` and the public key follow.
const ED25519_V2_HEAD: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// What follows the seed in v2: `[1] IMPLICIT BIT STRING`, 33 bytes, no unused bits.
const ED25519_V2_PUBLIC: [u8; 3] = [0x81, 0x21, 0x00];
/// The same key in PKCS#8 v1 (RFC 8410 §7): version 0, no public key.
const ED25519_V1_HEAD: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The private key as PKCS#8 that every reader takes: an Ed25519 key in v2 form (which
/// OpenSSL 3.0 refuses, in a PEM file as in PKCS#12) becomes the RFC 8410 v1 form,
/// checked to load back as the same key; `None` for anything else (fine as it is).
fn portable_pkcs8(der: &[u8]) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, Failure> {
    let v2 = der
        .strip_prefix(&ED25519_V2_HEAD[..])
        .and_then(|rest| rest.split_at_checked(32))
        .and_then(|(seed, rest)| {
            rest.strip_prefix(&ED25519_V2_PUBLIC[..])
                .filter(|public| public.len() == 32)
                .map(|public| (seed, public))
        });
    let Some((seed, public)) = v2 else {
        return Ok(None);
    };
    let mut v1 = zeroize::Zeroizing::new(Vec::with_capacity(48));
    v1.extend_from_slice(&ED25519_V1_HEAD);
    v1.extend_from_slice(seed);
    let reloaded = rcgen::KeyPair::try_from(v1.as_slice())
        .map_err(|e| Failure::error(format!("re-encoding the Ed25519 key: {e}")))?;
    if reloaded.public_key_raw() != public {
        return Err(Failure::error(
            "re-encoding the Ed25519 key gave another key",
        ));
    }
    Ok(Some(v1))
}

/// A PKCS#8 key as PEM (`PRIVATE KEY`, 64 columns), in a buffer zeroized on drop.
fn pem_private_key(der: &[u8]) -> zeroize::Zeroizing<String> {
    use base64::Engine as _;
    let encoded = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut pem = zeroize::Zeroizing::new(String::with_capacity(encoded.len() + 128));
    pem.push_str("-----BEGIN PRIVATE KEY-----\n");
    for line in encoded.as_bytes().chunks(64) {
        // Base64 is ASCII: every chunk is UTF-8.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// `text` with control characters replaced, for one line of output.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `text` as a TOML basic string (quotes included).
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn overwriting_a_key_is_atomic_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sasl-cert-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let key = dir.join("device.key");
        let link = dir.join("old.key");
        std::fs::write(&key, b"old key").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::hard_link(&key, &link).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            secrets::write_file(&key, b"new key", true, false).is_err(),
            "no --force"
        );
        secrets::write_file(&key, b"new key", true, true).unwrap_or_else(|e| panic!("{e}"));
        let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(&key), b"new key");
        // Replaced by a rename, not truncated in place: the old inode is untouched.
        assert_eq!(read(&link), b"old key");
        let mode = std::fs::metadata(&key)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!dir.join("device.key.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn suffixes_are_appended() {
        let paths = OutputPaths::new(Path::new("dir/alice.laptop"));
        assert_eq!(paths.cert, PathBuf::from("dir/alice.laptop.pem"));
        assert_eq!(paths.key, PathBuf::from("dir/alice.laptop.key"));
        assert_eq!(paths.p12, PathBuf::from("dir/alice.laptop.p12"));
    }

    #[test]
    fn ed25519_keys_become_pkcs8_v1() {
        let key =
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap_or_else(|e| panic!("{e}"));
        let v2 = key.serialize_der();
        assert!(v2.starts_with(&ED25519_V2_HEAD), "ring writes v2");
        let v1 = portable_pkcs8(&v2)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("converted"));
        assert_eq!(v1.len(), 48);
        assert!(v1.starts_with(&ED25519_V1_HEAD));
        // A P-256 key is left alone.
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .unwrap_or_else(|e| panic!("{e}"))
            .serialize_der();
        assert!(
            portable_pkcs8(&p256)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        // PEM that rustls reads back to the same bytes.
        use rustls_pki_types::pem::PemObject;
        let pem = pem_private_key(&v1);
        let parsed = rustls_pki_types::PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.secret_der(), v1.as_slice());
    }

    #[test]
    fn output_helpers() {
        assert_eq!(printable("a\nb"), "a?b");
        assert_eq!(toml_string("ab-_9"), "\"ab-_9\"");
    }
}
