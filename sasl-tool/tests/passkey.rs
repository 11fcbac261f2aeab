//! `sasl passkey register|list` run as a program: register then list, register twice
//! (two credentials, the key file holds both), a second account, bad configs and key
//! files (exit 2), and proof that the files work together: the record the config holds
//! and the key file log in through a PASSKEY server and client exchange in memory, in
//! both flows, with each credential.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use sasl_core::{
    ClientCredentials, ClientRegistry, ClientRequest, ConnectionInfo, MechanismData,
    PasskeyAccount, PasskeyLookupKey, Request, ServerRegistry, UnixTime,
};
use sasl_passkey::authenticator::{AssertionOptions, Authenticator};
use sasl_passkey::webauthn::{CredentialRecord, RelyingParty};
use sasl_passkey::{PasskeyClient, PasskeyServer, PasskeyServerConfig, SoftwareAuthenticator};
use sasl_test::Driver;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("passkey-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sasl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sasl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `sasl passkey register`, which must succeed; returns (stdout, stderr).
fn register(config: &Path, user: &str, key_file: &Path, alg: &str) -> (String, String) {
    let output = sasl(&[
        "passkey",
        "register",
        "--config",
        s(config),
        "--user",
        user,
        "--key-file",
        s(key_file),
        "--alg",
        alg,
    ]);
    assert!(
        output.status.success(),
        "register failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    (text(&output.stdout), text(&output.stderr))
}

fn list(config: &Path, user: Option<&str>) -> Output {
    let mut args = vec!["passkey", "list", "--config", s(config)];
    if let Some(user) = user {
        args.extend_from_slice(&["--user", user]);
    }
    sasl(&args)
}

/// The config as TOML.
fn config_toml(config: &Path) -> toml::Value {
    toml::from_str(&std::fs::read_to_string(config).unwrap()).unwrap()
}

/// The passkey records of `user` in the config, parsed.
fn records(config: &Path, user: &str) -> Vec<CredentialRecord> {
    let value = config_toml(config);
    let accounts = value["account"].as_array().unwrap();
    let account = accounts
        .iter()
        .find(|a| a["name"].as_str() == Some(user))
        .unwrap_or_else(|| panic!("no account {user}"));
    account["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| CredentialRecord::from_text(t.as_str().unwrap()).unwrap())
        .collect()
}

fn relying_party(config: &Path) -> RelyingParty {
    let value = config_toml(config);
    let section = &value["passkey"];
    let origins: Vec<String> = section["origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    RelyingParty::new(section["rp_id"].as_str().unwrap(), origins)
}

fn key_file(path: &Path) -> SoftwareAuthenticator {
    SoftwareAuthenticator::from_key_file(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Every private key in the key file, base64url as written there.
fn private_keys(path: &Path) -> Vec<String> {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["private_key_pkcs8"].as_str().unwrap().to_owned())
        .collect()
}

#[cfg(unix)]
fn assert_mode_0600(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} is private", path.display());
}

#[cfg(not(unix))]
fn assert_mode_0600(_: &Path) {}

/// One PASSKEY login in memory: the server looks `user` (or, with `None`, the
/// discoverable flow's credential id) up among the config's records of `accounts`; the
/// client signs with `authenticator`. Returns the identity the server authenticated, or
/// the failure.
fn login(
    config: &Path,
    accounts: &[&str],
    authenticator: SoftwareAuthenticator,
    user: Option<&str>,
) -> Result<(String, Vec<u8>), String> {
    let store_accounts: Vec<(String, Vec<CredentialRecord>)> = accounts
        .iter()
        .map(|name| ((*name).to_owned(), records(config, name)))
        .collect();
    let account_of = |(name, records): &(String, Vec<CredentialRecord>)| {
        PasskeyAccount::new(
            name.clone(),
            records[0].user_handle().to_vec(),
            records
                .iter()
                .map(CredentialRecord::to_credential)
                .collect(),
        )
    };
    let store = move |request: Request| match request {
        Request::PasskeyLookup(lookup) => {
            let found = match lookup.key() {
                PasskeyLookupKey::User(user) => store_accounts.iter().find(|(n, _)| n == user),
                PasskeyLookupKey::Credential { id, .. } => store_accounts
                    .iter()
                    .find(|(_, rs)| rs.iter().any(|r| r.credential_id() == id.as_slice())),
            };
            match found {
                Some(account) => lookup.found(account_of(account)),
                None => lookup.not_found(),
            }
        }
        other => other.unavailable(),
    };
    let config = PasskeyServerConfig::new(relying_party(config)).unwrap();
    let mut server = ServerRegistry::new()
        .with(PasskeyServer::factory(config))
        .start("PASSKEY", &ConnectionInfo::tls())
        .unwrap();
    server.set_now(UnixTime::from_secs(1_767_225_600));
    // No server host: the PASSKEY client refuses an RP ID without a dot when it knows
    // the host (even when they are equal), and the default RP ID is "localhost".
    let conn = ConnectionInfo::tls();
    let client = ClientRegistry::new()
        .with(PasskeyClient::factory())
        .start_best(
            &["PASSKEY"],
            ClientCredentials::new(user.unwrap_or("")).with_passkey(),
            &conn,
        )
        .unwrap();
    let mut authenticator = authenticator;
    let transcript = Driver::new(client, server, store)
        .with_client_answers(move |request| match request {
            ClientRequest::PasskeyAssertion(request) => {
                match authenticator.get_assertion(&AssertionOptions::from(&*request)) {
                    Ok(assertion) => request.provide(assertion),
                    Err(e) => {
                        eprintln!("authenticator: {e}");
                        ClientRequest::PasskeyAssertion(request).decline()
                    }
                }
            }
            other => {
                eprintln!("unexpected client request: {other:?}");
                other.decline()
            }
        })
        .run()
        .unwrap();
    match transcript.authenticated() {
        Some(success) if transcript.both_succeeded() => {
            let Some(MechanismData::Passkey(used)) = success.mechanism_data() else {
                panic!("no passkey data")
            };
            Ok((success.identity().to_owned(), used.credential_id.clone()))
        }
        _ => Err(format!(
            "{:?} / {:?}",
            transcript.server_failure(),
            transcript.client
        )),
    }
}

#[test]
fn register_then_list_then_log_in() {
    let dir = workdir("register");
    let config = dir.join("server.toml");
    let keys = dir.join("alice.passkey");
    let (stdout, stderr) = register(&config, "alice", &keys, "es256");
    assert!(stderr.contains("no [passkey] section"), "{stderr}");
    assert!(stderr.contains("rp_id = \"localhost\""), "{stderr}");
    assert!(stdout.contains("registered passkey for alice"), "{stdout}");
    assert!(stdout.contains("alg=ES256"), "{stdout}");

    let value = config_toml(&config);
    assert_eq!(value["passkey"]["rp_id"].as_str(), Some("localhost"));
    assert_eq!(
        value["passkey"]["origins"].as_array().unwrap()[0].as_str(),
        Some("https://localhost")
    );
    let stored = records(&config, "alice");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].sign_count(), 0);
    assert_eq!(stored[0].transports(), ["internal".to_owned()]);

    // The key file: private, holding the credential the config lists, never printed.
    assert_mode_0600(&keys);
    let authenticator = key_file(&keys);
    let creds = authenticator.credentials();
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].id, stored[0].credential_id());
    assert_eq!(creds[0].rp_id, "localhost");
    assert_eq!(creds[0].user_handle, stored[0].user_handle());
    assert_eq!(authenticator.origin(), "https://localhost");
    for key in private_keys(&keys) {
        assert!(!stdout.contains(&key) && !stderr.contains(&key));
    }

    let output = list(&config, None);
    assert!(output.status.success());
    let listed = text(&output.stdout);
    assert!(listed.contains("relying party localhost"), "{listed}");
    assert!(listed.contains("alice: 1 passkey\n"), "{listed}");
    assert!(
        listed.contains(&format!(
            "id={} alg=ES256 sign_count=0 backup_eligible=no backup_state=no transports=internal",
            b64(stored[0].credential_id())
        )),
        "{listed}"
    );

    // The written files work together: user-named and discoverable logins.
    assert_eq!(
        login(&config, &["alice"], key_file(&keys), Some("alice")),
        Ok(("alice".to_owned(), stored[0].credential_id().to_vec()))
    );
    assert_eq!(
        login(&config, &["alice"], key_file(&keys), None),
        Ok(("alice".to_owned(), stored[0].credential_id().to_vec()))
    );
    // Someone else's fresh passkey for the same site does not.
    let mut stranger = SoftwareAuthenticator::new("https://localhost");
    stranger
        .register(&sasl_passkey::authenticator::RegistrationOptions::new(
            "localhost",
            stored[0].user_handle().to_vec(),
            "alice",
            vec![1; 32],
        ))
        .unwrap();
    assert!(login(&config, &["alice"], stranger, Some("alice")).is_err());
}

#[test]
fn register_twice_and_a_second_account() {
    let dir = workdir("twice");
    let config = dir.join("server.toml");
    // An existing config with a [passkey] section and other content, which must stay.
    std::fs::write(
        &config,
        "hostname = \"mail.example.test\"\n\n[passkey]\nrp_id = \"example.test\"\n\
         origins = [\"https://mail.example.test\", \"https://example.test\"]\n\n\
         [[account]]\nname = \"alice\"\ncertificates = [\"AAAA\"]\n",
    )
    .unwrap();
    let keys = dir.join("alice.passkey");
    let (_, stderr) = register(&config, "alice", &keys, "es256");
    assert!(!stderr.contains("no [passkey] section"), "{stderr}");
    let (stdout, _) = register(&config, "alice", &keys, "ed25519");
    assert!(stdout.contains("(2 credentials"), "{stdout}");
    assert!(stdout.contains("alice has 2 passkeys"), "{stdout}");

    let alice = records(&config, "alice");
    assert_eq!(alice.len(), 2);
    assert_ne!(alice[0].credential_id(), alice[1].credential_id());
    assert_eq!(
        alice[0].user_handle(),
        alice[1].user_handle(),
        "one user handle per account"
    );
    let value = config_toml(&config);
    assert_eq!(value["hostname"].as_str(), Some("mail.example.test"));
    assert_eq!(value["passkey"]["rp_id"].as_str(), Some("example.test"));
    assert_eq!(
        value["account"][0]["certificates"][0].as_str(),
        Some("AAAA")
    );

    let authenticator = key_file(&keys);
    assert_eq!(authenticator.origin(), "https://mail.example.test");
    let ids: Vec<Vec<u8>> = authenticator
        .credentials()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids,
        vec![
            alice[0].credential_id().to_vec(),
            alice[1].credential_id().to_vec()
        ],
        "the key file holds both"
    );
    assert_mode_0600(&keys);

    // A second account, its own key file.
    let bob_keys = dir.join("bob.passkey");
    register(&config, "bob", &bob_keys, "ed25519");
    let bob = records(&config, "bob");
    assert_eq!(bob.len(), 1);
    assert_ne!(bob[0].user_handle(), alice[0].user_handle());
    assert_eq!(key_file(&bob_keys).credentials().len(), 1);

    let listed = text(&list(&config, None).stdout);
    assert!(listed.contains("alice: 2 passkeys"), "{listed}");
    assert!(listed.contains("bob: 1 passkey"), "{listed}");
    assert_eq!(listed.matches("alg=ES256").count(), 1, "{listed}");
    assert_eq!(listed.matches("alg=EdDSA").count(), 2, "{listed}");
    for record in alice.iter().chain(&bob) {
        assert!(listed.contains(&format!("id={}", b64(record.credential_id()))));
    }
    let only_bob = text(&list(&config, Some("bob")).stdout);
    assert!(
        only_bob.contains("bob: 1 passkey") && !only_bob.contains("alice"),
        "{only_bob}"
    );
    let output = list(&config, Some("carol"));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no account \"carol\""));

    // Each credential logs in: the first by default, the second when preferred, bob's
    // as bob, in both flows.
    let both = ["alice", "bob"];
    for user in [Some("alice"), None] {
        assert_eq!(
            login(&config, &both, key_file(&keys), user),
            Ok(("alice".to_owned(), alice[0].credential_id().to_vec()))
        );
        let mut second = key_file(&keys);
        second.prefer(alice[1].credential_id()).unwrap();
        assert_eq!(
            login(&config, &both, second, user),
            Ok(("alice".to_owned(), alice[1].credential_id().to_vec()))
        );
    }
    for user in [Some("bob"), None] {
        assert_eq!(
            login(&config, &both, key_file(&bob_keys), user),
            Ok(("bob".to_owned(), bob[0].credential_id().to_vec()))
        );
    }
    // Bob's key file is not alice's.
    assert!(login(&config, &both, key_file(&bob_keys), Some("alice")).is_err());
}

#[test]
fn bad_config_and_key_files_exit_2() {
    let dir = workdir("bad");
    let keys = dir.join("k.passkey");

    // Not TOML.
    let config = dir.join("broken.toml");
    std::fs::write(&config, "this is [not toml\n").unwrap();
    for args in [
        vec![
            "passkey",
            "register",
            "--config",
            s(&config),
            "--user",
            "a",
            "--key-file",
            s(&keys),
        ],
        vec!["passkey", "list", "--config", s(&config)],
    ] {
        let output = sasl(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("error: reading the config"), "{stderr}");
        assert!(stderr.contains("broken.toml"), "{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "this is [not toml\n"
    );
    assert!(!keys.exists(), "no key file written");

    // TOML, but an unknown field and a malformed record.
    for (name, content, expected) in [
        (
            "unknown.toml",
            "[[account]]\nname = \"a\"\npassword = \"x\"\n",
            "unknown field",
        ),
        (
            "record.toml",
            "[[account]]\nname = \"a\"\npasskeys = [\"passkey-v1:!!\"]\n",
            "a passkey record",
        ),
        (
            "empty-rp.toml",
            "[passkey]\nrp_id = \"\"\norigins = [\"https://x\"]\n",
            "rp_id is empty",
        ),
    ] {
        let config = dir.join(name);
        std::fs::write(&config, content).unwrap();
        let output = sasl(&[
            "passkey",
            "register",
            "--config",
            s(&config),
            "--user",
            "a",
            "--key-file",
            s(&keys),
        ]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            content,
            "{name} untouched"
        );
        assert!(!keys.exists());
    }

    // list needs an existing config.
    let output = sasl(&["passkey", "list", "--config", s(&dir.join("missing.toml"))]);
    assert_eq!(output.status.code(), Some(2));

    // A key file that is not one, and one for an origin the config does not allow.
    let config = dir.join("good.toml");
    std::fs::write(&keys, "{\"not\": \"a key file\"}").unwrap();
    let output = sasl(&[
        "passkey",
        "register",
        "--config",
        s(&config),
        "--user",
        "a",
        "--key-file",
        s(&keys),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("reading the key file"));
    assert!(!config.exists(), "no config written on failure");
    let elsewhere = SoftwareAuthenticator::new("https://elsewhere.example");
    std::fs::write(&keys, elsewhere.to_key_file().expose()).unwrap();
    let output = sasl(&[
        "passkey",
        "register",
        "--config",
        s(&config),
        "--user",
        "a",
        "--key-file",
        s(&keys),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("https://elsewhere.example"));
    assert!(!config.exists());
}
