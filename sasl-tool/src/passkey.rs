//! `sasl passkey register|list`: software-authenticator passkeys for the accounts of the
//! server config.
//!
//! `register` runs a real WebAuthn registration in one process, both sides kept apart:
//!
//! 1. the server side makes the creation options for the account (its `[passkey]` relying
//!    party, a fresh random challenge, the account's user handle: the one its passkeys
//!    already have, else 32 new random bytes) as `PublicKeyCredentialCreationOptionsJSON`;
//! 2. the authenticator side reads only that JSON and creates a credential with a
//!    [`SoftwareAuthenticator`] at the relying party's first origin (or the origin of the
//!    existing key file);
//! 3. the server side verifies the response exactly as a server would
//!    ([`verify_registration`]: challenge, origin, RP ID hash, flags, key) and checks
//!    that the credential id is not registered to anyone yet;
//! 4. the key file is written (mode 0600, through a temporary file; an existing key file
//!    keeps its credentials and gains the new one), then the record's text form is added
//!    to the account's `passkeys` in the config.
//!
//! A config without `[passkey]` gets `rp_id = "localhost"`, `origins =
//! ["https://localhost"]` (said on stderr). Passkeys are bound to the RP ID: set the real
//! one before registering passkeys a real server should accept.
//!
//! Registering again for the same account adds another passkey with the same user handle
//! (the key file then holds both, the config lists both); no `excludeCredentials` is sent,
//! on purpose.
//!
//! `list` prints every account's passkeys from their stored records: id (base64url),
//! algorithm, sign count, backup flags, transports.

use crate::cli::{PasskeyAlg, PasskeyListArgs, PasskeyRegisterArgs};
use crate::config::{Accounts, PasskeySection, ServerConfigFile};
use crate::failure::{CommandResult, Failure};
use crate::secrets;
use crate::term::{Paint, Term};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::{Secret, UserVerification};
use sasl_passkey::SoftwareAuthenticator;
use sasl_passkey::authenticator::RegistrationOptions;
use sasl_passkey::webauthn::{
    CoseAlgorithm, CoseKey, CreationOptions, CredentialRecord, RelyingParty, verify_registration,
};
use std::path::Path;
use std::process::ExitCode;

/// The RP ID a config without `[passkey]` gets.
pub(crate) const DEFAULT_RP_ID: &str = "localhost";
/// The origin a config without `[passkey]` gets.
pub(crate) const DEFAULT_ORIGIN: &str = "https://localhost";
/// Bytes of a new account's WebAuthn user handle.
const USER_HANDLE_LEN: usize = 32;
/// Bytes of the registration challenge.
const CHALLENGE_LEN: usize = 32;

/// Runs `sasl passkey register`.
pub(crate) fn run_register(args: PasskeyRegisterArgs, term: &Term) -> CommandResult {
    let user = args.user.as_str();
    if user.is_empty() {
        return Err(Failure::error("--user is empty"));
    }
    let mut config = ServerConfigFile::load_or_default(&args.config)?;
    // The whole config must be sound before it is rewritten.
    let accounts = Accounts::from_file(&config)?;
    let section = match &config.passkey {
        Some(section) => section.clone(),
        None => {
            let section = PasskeySection {
                rp_id: DEFAULT_RP_ID.to_owned(),
                origins: vec![DEFAULT_ORIGIN.to_owned()],
            };
            eprintln!(
                "{} {} had no [passkey] section: added rp_id = \"{DEFAULT_RP_ID}\", origins = \
                 [\"{DEFAULT_ORIGIN}\"]. Passkeys are bound to the RP ID: for a real server, \
                 set its domain there before registering.",
                term.paint_err(Paint::Dim, "note:"),
                args.config.display()
            );
            config.passkey = Some(section.clone());
            section
        }
    };
    let rp = relying_party(&section)?;

    let existing = match std::fs::exists(&args.key_file) {
        Ok(true) => Some(read_key_file(&args.key_file)?),
        Ok(false) => None,
        Err(e) => return Err(crate::failure::file_error(&args.key_file, "reading", e)),
    };
    let origin = match &existing {
        Some(authenticator) => {
            let origin = authenticator.origin().to_owned();
            if !rp.is_origin_allowed(&origin) {
                return Err(Failure::error(format!(
                    "the key file {} signs for the origin {origin:?}, which the config's \
                     [passkey] origins do not list",
                    args.key_file.display()
                ))
                .hint("add the origin to [passkey] origins, or use another --key-file"));
            }
            origin
        }
        // `relying_party` checked that there is one.
        None => section.origins.first().cloned().unwrap_or_default(),
    };

    let user_handle = match accounts
        .get(user)
        .and_then(|account| account.passkeys.first())
    {
        Some(record) => record.user_handle().to_vec(),
        None => secrets::random::<USER_HANDLE_LEN>()?.to_vec(),
    };
    let rp_name = config
        .hostname
        .clone()
        .unwrap_or_else(|| section.rp_id.clone());
    let Enrolled {
        record,
        authenticator: fresh,
    } = enroll(&rp, &rp_name, user, user_handle, origin, args.alg)?;
    if accounts.by_credential_id(record.credential_id()).is_some() {
        return Err(Failure::error(
            "the new credential id is already registered (run the command again)",
        ));
    }

    // 4. Key file first (a credential the config does not list is harmless), then config.
    let mut authenticator = existing.unwrap_or_else(|| SoftwareAuthenticator::new(fresh.origin()));
    authenticator
        .add_credentials_from(fresh)
        .map_err(|e| Failure::error(format!("adding to the key file: {e}")))?;
    let key_file = authenticator.to_key_file();
    write_secret_file(&args.key_file, &key_file)?;
    let in_key_file = authenticator.credentials().len();
    let account = config.account_mut(user);
    account.passkeys.push(record.to_text());
    let in_account = account.passkeys.len();
    Accounts::from_file(&config)?;
    config.save(&args.config)?;

    println!(
        "{} passkey for {} at the relying party {}",
        term.paint(Paint::Good, "registered"),
        printable(user),
        printable(rp.rp_id())
    );
    print_record(&record);
    println!(
        "  key file   {} ({in_key_file} credential{}, mode 0600: keep it secret)",
        args.key_file.display(),
        plural(in_key_file)
    );
    println!(
        "  config     {} ({} has {in_account} passkey{})",
        args.config.display(),
        printable(user),
        plural(in_account)
    );
    println!(
        "log in with: sasl login imaps://HOST --mech PASSKEY --user {} --passkey {}",
        printable(user),
        args.key_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A passkey just registered: what the server stores and the authenticator holding the key.
pub(crate) struct Enrolled {
    /// The verified credential record (its text form goes into the config).
    pub(crate) record: CredentialRecord,
    /// A software authenticator holding only the new credential.
    pub(crate) authenticator: SoftwareAuthenticator,
}

/// One WebAuthn registration, both sides kept apart (steps 1 to 3 of the module docs):
/// the server side's creation options for `user` with `user_handle`, a new
/// [`SoftwareAuthenticator`] at `origin` answering from that JSON alone, and the server
/// side's [`verify_registration`] of the answer. `sasl demo` enrolls its passkeys here too.
pub(crate) fn enroll(
    rp: &RelyingParty,
    rp_name: &str,
    user: &str,
    user_handle: Vec<u8>,
    origin: String,
    alg: PasskeyAlg,
) -> Result<Enrolled, Failure> {
    // 1. The server side: creation options for the account.
    let challenge = secrets::random::<CHALLENGE_LEN>()?.to_vec();
    let creation = CreationOptions::new(
        rp,
        rp_name,
        user_handle.clone(),
        user,
        user,
        challenge.clone(),
    );
    let options_json = creation.to_json();

    // 2. The authenticator side: only what the server sent.
    let options = authenticator_options(&options_json, alg)?;
    let mut authenticator = SoftwareAuthenticator::new(origin);
    let response = authenticator
        .register(&options)
        .map_err(|e| Failure::error(format!("the software authenticator: {e}")))?;

    // 3. The server side verifies as a server would.
    let record = verify_registration(
        rp,
        &challenge,
        &user_handle,
        &response.client_data_json,
        &response.attestation_object,
    )
    .map_err(|e| Failure::error(format!("the registration does not verify: {e}")))?
    .with_transports(response.transports.clone());
    Ok(Enrolled {
        record,
        authenticator,
    })
}

/// Runs `sasl passkey list`.
pub(crate) fn run_list(args: PasskeyListArgs, term: &Term) -> CommandResult {
    let config = ServerConfigFile::load(&args.config)?;
    match &config.passkey {
        Some(section) => println!(
            "relying party {} (origins {})",
            printable(&section.rp_id),
            printable(&section.origins.join(", "))
        ),
        None => println!("relying party: none ([passkey] missing: `sasl serve` offers no PASSKEY)"),
    }
    if let Some(user) = &args.user
        && !config.accounts.iter().any(|a| &a.name == user)
    {
        return Err(Failure::error(format!(
            "{} has no account {:?}",
            args.config.display(),
            user
        )));
    }
    for account in &config.accounts {
        if args.user.as_ref().is_some_and(|u| u != &account.name) {
            continue;
        }
        let records = account
            .passkeys
            .iter()
            .map(|text| {
                CredentialRecord::from_text(text.trim()).map_err(|e| {
                    Failure::error(format!("account {:?}: a passkey record: {e}", account.name))
                        .hint("records come from `sasl passkey register`")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        println!(
            "{}: {} passkey{}",
            term.paint(Paint::Bold, &printable(&account.name)),
            records.len(),
            plural(records.len())
        );
        for record in &records {
            print_record(record);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per record: `id=… alg=… sign_count=… backup_eligible=… backup_state=…
/// transports=…`.
fn print_record(record: &CredentialRecord) {
    let alg = CoseKey::from_cbor(record.public_key())
        .map(|key| alg_name(key.algorithm()))
        .unwrap_or_else(|_| "unknown".to_owned());
    let transports = if record.transports().is_empty() {
        "-".to_owned()
    } else {
        printable(&record.transports().join(","))
    };
    println!(
        "  id={} alg={alg} sign_count={} backup_eligible={} backup_state={} transports={transports}",
        URL_SAFE_NO_PAD.encode(record.credential_id()),
        record.sign_count(),
        yes_no(record.backup_eligible()),
        yes_no(record.backup_state()),
    );
}

fn alg_name(alg: CoseAlgorithm) -> String {
    match alg {
        CoseAlgorithm::Es256 => "ES256".to_owned(),
        CoseAlgorithm::EdDsa => "EdDSA".to_owned(),
        CoseAlgorithm::Rs256 => "RS256".to_owned(),
        other => format!("COSE{}", other.cose_id()),
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `text` with control characters replaced, for one line of output.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The relying party of a `[passkey]` section.
pub(crate) fn relying_party(section: &PasskeySection) -> Result<RelyingParty, Failure> {
    if section.rp_id.trim().is_empty() {
        return Err(Failure::error("[passkey] rp_id is empty").hint("set the server's domain"));
    }
    if section.origins.is_empty() || section.origins.iter().any(|o| o.trim().is_empty()) {
        return Err(
            Failure::error("[passkey] origins is empty or lists an empty origin")
                .hint("for example origins = [\"https://mail.example.com\"]"),
        );
    }
    Ok(RelyingParty::new(
        section.rp_id.clone(),
        section.origins.clone(),
    ))
}

/// The authenticator's options, read from the server's creation options JSON alone, with
/// the algorithm the user asked for (which the server must offer).
fn authenticator_options(json: &str, alg: PasskeyAlg) -> Result<RegistrationOptions, Failure> {
    let bad = |what: &str| Failure::error(format!("the creation options: {what}"));
    let value: serde_json::Value = serde_json::from_str(json).map_err(|_| bad("not JSON"))?;
    let text = |pointer: &str| {
        value
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad(&format!("{pointer} missing")))
    };
    let bytes = |pointer: &str| {
        text(pointer).and_then(|t| {
            URL_SAFE_NO_PAD
                .decode(t)
                .map_err(|_| bad(&format!("{pointer} not base64url")))
        })
    };
    let wanted = match alg {
        PasskeyAlg::Es256 => CoseAlgorithm::Es256,
        PasskeyAlg::Ed25519 => CoseAlgorithm::EdDsa,
    }
    .cose_id();
    let offered = value
        .pointer("/pubKeyCredParams")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| bad("/pubKeyCredParams missing"))?
        .iter()
        .filter_map(|p| p.get("alg").and_then(serde_json::Value::as_i64))
        .any(|id| id == wanted);
    if !offered {
        return Err(bad("the server does not offer the algorithm asked for"));
    }
    let user_verification = match text("/authenticatorSelection/userVerification")? {
        "required" => UserVerification::Required,
        "discouraged" => UserVerification::Discouraged,
        _ => UserVerification::Preferred,
    };
    Ok(RegistrationOptions::new(
        text("/rp/id")?,
        bytes("/user/id")?,
        text("/user/name")?,
        bytes("/challenge")?,
    )
    .with_algorithms(vec![wanted])
    .with_user_verification(user_verification))
}

/// Reads an existing key file.
pub(crate) fn read_key_file(path: &Path) -> Result<SoftwareAuthenticator, Failure> {
    let text = secrets::read_file(path, "passkey key")?;
    SoftwareAuthenticator::from_key_file(text.expose()).map_err(|e| {
        Failure::error(format!("reading the key file {}: {e}", path.display()))
            .hint("key files come from `sasl passkey register`")
    })
}

/// Writes a secret file (a key file: its text and a newline): mode 0600 on unix,
/// through a temporary file beside it and a rename, so that a failure leaves the old file
/// as it was.
pub(crate) fn write_secret_file(path: &Path, text: &Secret<String>) -> Result<(), Failure> {
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(text.expose().len() + 1));
    bytes.extend_from_slice(text.expose().as_bytes());
    bytes.push(b'\n');
    secrets::write_file(path, &bytes, true, true)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn options_from_the_servers_json() {
        let rp = RelyingParty::new("example.com", ["https://example.com"])
            .with_user_verification(UserVerification::Required);
        let creation =
            CreationOptions::new(&rp, "Example", vec![1, 2, 3], "alice", "alice", vec![7; 32]);
        let options = authenticator_options(&creation.to_json(), PasskeyAlg::Ed25519)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(options.rp_id, "example.com");
        assert_eq!(options.user_handle, vec![1, 2, 3]);
        assert_eq!(options.user_name, "alice");
        assert_eq!(options.challenge, vec![7; 32]);
        assert_eq!(options.algorithms, vec![-8]);
        assert_eq!(options.user_verification, UserVerification::Required);
        assert!(authenticator_options("{}", PasskeyAlg::Es256).is_err());
        assert!(authenticator_options("not json", PasskeyAlg::Es256).is_err());
    }
}
