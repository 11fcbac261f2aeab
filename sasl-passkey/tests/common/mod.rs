//! Building WebAuthn responses by hand for the tests: keys generated with aws-lc-rs,
//! authenticator data and clientDataJSON assembled byte by byte, signed.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sasl_core::{PasskeyAccount, PasskeyAssertion, PasskeyCredential};
use sasl_passkey::webauthn::RelyingParty;
use sha2::{Digest, Sha256};

pub const RP_ID: &str = "example.com";
pub const ORIGIN: &str = "https://example.com";
pub const UP: u8 = 0x01;
pub const UV: u8 = 0x04;
pub const BE: u8 = 0x08;
pub const BS: u8 = 0x10;
pub const AT: u8 = 0x40;
pub const ED: u8 = 0x80;

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// A CBOR head.
pub fn head(major: u8, n: usize) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
    }
}

pub fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut v = head(2, b.len());
    v.extend_from_slice(b);
    v
}

pub fn cbor_text(s: &str) -> Vec<u8> {
    let mut v = head(3, s.len());
    v.extend_from_slice(s.as_bytes());
    v
}

/// A test authenticator key.
pub enum Signer {
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    pub fn es256() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        Signer::Es256(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap(),
        )
    }

    pub fn ed25519() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        Signer::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
    }

    pub fn alg(&self) -> i64 {
        match self {
            Signer::Es256(_) => -7,
            Signer::Ed25519(_) => -8,
        }
    }

    /// The public key as a COSE_Key.
    pub fn cose(&self) -> Vec<u8> {
        match self {
            Signer::Es256(k) => {
                let point = k.public_key().as_ref();
                assert_eq!(point.len(), 65);
                let mut v = hex("a5010203262001");
                v.extend_from_slice(&hex("215820"));
                v.extend_from_slice(&point[1..33]);
                v.extend_from_slice(&hex("225820"));
                v.extend_from_slice(&point[33..65]);
                v
            }
            Signer::Ed25519(k) => {
                let mut v = hex("a4010103272006215820");
                v.extend_from_slice(k.public_key().as_ref());
                v
            }
        }
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Signer::Es256(k) => k
                .sign(&SystemRandom::new(), message)
                .unwrap()
                .as_ref()
                .to_vec(),
            Signer::Ed25519(k) => k.sign(message).as_ref().to_vec(),
        }
    }

    /// Signs `authenticatorData || SHA-256(clientDataJSON)`.
    pub fn sign_webauthn(&self, auth_data: &[u8], client_data: &[u8]) -> Vec<u8> {
        let mut m = auth_data.to_vec();
        m.extend_from_slice(&Sha256::digest(client_data));
        self.sign(&m)
    }
}

/// `rpIdHash || flags || signCount || rest`.
pub fn auth_data(rp_id: &str, flags: u8, count: u32, rest: &[u8]) -> Vec<u8> {
    let mut v = Sha256::digest(rp_id.as_bytes()).to_vec();
    v.push(flags);
    v.extend_from_slice(&count.to_be_bytes());
    v.extend_from_slice(rest);
    v
}

/// Attested credential data: `aaguid || len || id || key`.
pub fn attested(aaguid: [u8; 16], id: &[u8], cose: &[u8]) -> Vec<u8> {
    let mut v = aaguid.to_vec();
    v.extend_from_slice(&(id.len() as u16).to_be_bytes());
    v.extend_from_slice(id);
    v.extend_from_slice(cose);
    v
}

/// clientDataJSON in the browsers' serialization, `extra` appended inside the object.
pub fn client_data(ty: &str, challenge: &[u8], origin: &str, extra: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"{ty}","challenge":"{}","origin":"{origin}","crossOrigin":false{extra}}}"#,
        b64(challenge)
    )
    .into_bytes()
}

/// A valid login, ready to be tampered with.
pub struct Login {
    pub signer: Signer,
    pub rp: RelyingParty,
    pub challenge: Vec<u8>,
    pub allowed: Vec<Vec<u8>>,
    pub account: PasskeyAccount,
    pub assertion: PasskeyAssertion,
}

pub const CRED_ID: &[u8] = b"credential-0001";
pub const USER_HANDLE: &[u8] = b"user-handle-alice";

impl Login {
    /// Alice logs in with an ES256 credential (stored counter 7, new counter 8, UP and
    /// UV set, not backup eligible), non-discoverable flow.
    pub fn new() -> Self {
        Self::with_signer(Signer::es256())
    }

    pub fn with_signer(signer: Signer) -> Self {
        let rp = RelyingParty::new(RP_ID, [ORIGIN, "android:apk-key-hash:abc"]);
        let challenge = vec![0x42; 32];
        let credential = PasskeyCredential::new(CRED_ID.to_vec(), signer.cose(), 7);
        let account = PasskeyAccount::new("alice", USER_HANDLE.to_vec(), vec![credential]);
        let ad = auth_data(RP_ID, UP | UV, 8, &[]);
        let cd = client_data("webauthn.get", &challenge, ORIGIN, "");
        let signature = signer.sign_webauthn(&ad, &cd);
        Login {
            signer,
            rp,
            challenge,
            allowed: vec![CRED_ID.to_vec()],
            account,
            assertion: PasskeyAssertion {
                credential_id: CRED_ID.to_vec(),
                authenticator_data: ad,
                client_data_json: cd,
                signature,
                user_handle: Some(USER_HANDLE.to_vec()),
            },
        }
    }

    /// Replaces authenticator data and client data, and signs them.
    pub fn resign(&mut self, auth_data: Vec<u8>, client_data: Vec<u8>) {
        self.assertion.signature = self.signer.sign_webauthn(&auth_data, &client_data);
        self.assertion.authenticator_data = auth_data;
        self.assertion.client_data_json = client_data;
    }

    pub fn verify(
        &self,
    ) -> Result<sasl_passkey::webauthn::VerifiedAssertion, sasl_passkey::webauthn::AssertionError>
    {
        sasl_passkey::webauthn::verify_assertion(
            &self.rp,
            &self.challenge,
            &self.allowed,
            &self.account,
            &self.assertion,
        )
    }
}

/// An attestation object `{fmt, attStmt, authData}` with `att_stmt` already encoded.
pub fn attestation_object(fmt: &str, att_stmt: &[u8], auth_data: &[u8]) -> Vec<u8> {
    let mut v = vec![0xa3];
    v.extend_from_slice(&cbor_text("fmt"));
    v.extend_from_slice(&cbor_text(fmt));
    v.extend_from_slice(&cbor_text("attStmt"));
    v.extend_from_slice(att_stmt);
    v.extend_from_slice(&cbor_text("authData"));
    v.extend_from_slice(&cbor_bytes(auth_data));
    v
}

/// A packed self-attestation statement `{alg, sig}`.
pub fn packed_statement(alg: i64, sig: &[u8]) -> Vec<u8> {
    let mut v = vec![0xa2];
    v.extend_from_slice(&cbor_text("alg"));
    if alg >= 0 {
        v.extend_from_slice(&head(0, alg as usize));
    } else {
        v.extend_from_slice(&head(1, (-1 - alg) as usize));
    }
    v.extend_from_slice(&cbor_text("sig"));
    v.extend_from_slice(&cbor_bytes(sig));
    v
}
