//! Everything the demo generates before it starts: a throwaway CA with a server and a
//! client certificate, a token signing key with its JWKS and tokens (one forged), a demo
//! account with a random password (SCRAM credentials only on the server side), and a
//! registered passkey plus a stranger's that is not registered.

use super::token::{Claims, SigningKey};
use crate::cli::PasskeyAlg;
use crate::config::{AccountEntry, PasskeySection, ServerConfigFile};
use crate::failure::Failure;
use crate::passkey::Enrolled;
use crate::tls::{Ca, ClientCertRequest, Issued, KeyAlgorithm};
use rand::Rng as _;
use sasl_core::{ScramHash, Secret};

/// The demo account's name.
pub(crate) const USER: &str = "alice";
/// The host the demo server calls itself and the clients connect to.
pub(crate) const HOST: &str = "localhost";
/// The demo's token issuer.
pub(crate) const ISSUER: &str = "https://issuer.demo.test";
/// The demo's token audience.
pub(crate) const AUDIENCE: &str = "mail.demo.test";
/// The PASSKEY relying party's origin.
pub(crate) const ORIGIN: &str = "https://localhost";
/// SCRAM iterations of the demo account.
const ITERATIONS: u32 = 4096;

/// What the demo generated.
pub(crate) struct Fixtures {
    /// The CA every certificate chains to.
    pub(crate) ca: Ca,
    /// The server's certificate.
    pub(crate) server: Issued,
    /// Alice's per-device client certificate (EXTERNAL).
    pub(crate) device: Issued,
    /// The account's password (a secret: only the client side has it).
    pub(crate) password: Secret<String>,
    /// A wrong password.
    pub(crate) wrong_password: Secret<String>,
    /// The JWKS of the token signing key.
    pub(crate) jwks: String,
    /// A valid token for alice.
    pub(crate) token: Secret<String>,
    /// A token for alice signed by another key with the same `kid`.
    pub(crate) forged_token: Secret<String>,
    /// Alice's software authenticator (its key file), its passkey registered.
    pub(crate) passkey: Secret<String>,
    /// The key file of an authenticator whose passkey the server has never seen.
    pub(crate) stranger: Secret<String>,
    /// The server config: stored credentials and public data only.
    pub(crate) config: ServerConfigFile,
}

impl std::fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixtures").finish_non_exhaustive()
    }
}

fn random_password() -> String {
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(rng.gen_range(b'a'..=b'z')))
        .collect()
}

impl Fixtures {
    /// Generates everything; `now` is the time tokens are issued at.
    pub(crate) fn generate(now: u64) -> Result<Self, Failure> {
        let ca = Ca::generate("sasl demo CA", 1)?;
        let server = ca.issue_server(&[HOST, "127.0.0.1", "::1"], 1)?;
        let device = ca.issue_client(&ClientCertRequest {
            name: "alice-laptop",
            email: Some("alice@localhost"),
            algorithm: KeyAlgorithm::P256,
            days: 1,
        })?;

        let password = Secret::new(random_password());
        let wrong_password = Secret::new(random_password());
        let mut scram = Vec::new();
        for hash in [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512] {
            let credentials = sasl_scram::derive_with_random_salt(
                hash,
                password.expose(),
                ITERATIONS,
                &sasl_core::OsRandom,
            )
            .map_err(|e| Failure::error(format!("deriving SCRAM credentials: {e}")))?;
            scram.push(
                sasl_scram::format_stored(&credentials, sasl_scram::StoredFormat::Rfc5803)
                    .map_err(|e| Failure::error(format!("formatting SCRAM credentials: {e}")))?,
            );
        }

        let key = SigningKey::generate("demo-key")?;
        let forger = SigningKey::generate("demo-key")?;
        let claims = Claims {
            issuer: ISSUER,
            audience: AUDIENCE,
            subject: USER,
            issued_at: now,
        };
        let token = Secret::new(key.mint(&claims)?);
        let forged_token = Secret::new(forger.mint(&claims)?);

        let passkey_section = PasskeySection {
            rp_id: HOST.to_owned(),
            origins: vec![ORIGIN.to_owned()],
        };
        let rp = crate::passkey::relying_party(&passkey_section)?;
        let enroll = |alg| {
            let handle = crate::secrets::random::<32>()?.to_vec();
            crate::passkey::enroll(&rp, HOST, USER, handle, ORIGIN.to_owned(), alg)
        };
        let Enrolled {
            record,
            authenticator: passkey,
        } = enroll(PasskeyAlg::Es256)?;
        // Registered the same way, but the record goes nowhere: the server must not find it.
        let Enrolled {
            authenticator: stranger,
            ..
        } = enroll(PasskeyAlg::Ed25519)?;

        let config = ServerConfigFile {
            hostname: Some(HOST.to_owned()),
            passkey: Some(passkey_section),
            oauth: None,
            accounts: vec![AccountEntry {
                name: USER.to_owned(),
                scram,
                certificates: vec![crate::tls::spki_fingerprint(&device.cert_der)?],
                passkeys: vec![record.to_text()],
            }],
        };
        Ok(Fixtures {
            ca,
            server,
            device,
            password,
            wrong_password,
            jwks: key.jwks()?,
            token,
            forged_token,
            passkey: passkey.to_key_file(),
            stranger: stranger.to_key_file(),
            config,
        })
    }
}
