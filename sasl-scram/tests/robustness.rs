//! proptest: no panic on arbitrary input at every step, both roles; tampering with any
//! byte of any message never yields success.
// Test helpers outside #[test] functions may panic: clippy.toml only exempts the
// test functions themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/helpers.rs"]
mod helpers;

use helpers::*;
use proptest::prelude::*;
use sasl_core::{
    ClientCredentials, ClientMechanism, ClientStep, ConnectionInfo, FailureKind, ScramHash,
    ServerMechanism, ServerReply, ServerStep, Verdict,
};
use sasl_scram::{
    PasswordPrep, ScramClient, ScramClientConfig, ScramServer, ScramVariant, derive,
    derive_client_keys,
};

const SALT: &[u8] = b"0123456789abcdef";
const CNONCE: &str = "clientnonce-0123456789";

fn creds() -> sasl_core::ScramCredentials {
    derive(ScramHash::Sha256, "pencil", SALT, 4096).unwrap()
}

fn keys() -> sasl_core::ScramKeys {
    derive_client_keys(
        ScramHash::Sha256,
        "pencil",
        SALT,
        4096,
        PasswordPrep::SaslPrep,
    )
    .unwrap()
}

fn server() -> ScramServer {
    ScramServer::new(
        server_config(),
        ScramVariant::bare(ScramHash::Sha256),
        &ConnectionInfo::tls(),
    )
    .unwrap()
    .with_server_nonce("servernonce-0123456789")
    .unwrap()
}

fn client() -> ScramClient {
    ScramClient::new(
        ScramClientConfig::new(),
        ScramVariant::bare(ScramHash::Sha256),
        ClientCredentials::new("user")
            .with_password("pencil")
            .with_scram_keys(keys()),
        &ConnectionInfo::tls(),
    )
    .unwrap()
    .with_client_nonce(CNONCE)
    .unwrap()
}

/// A valid message with random edits, to reach deep into the parsers.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..4).prop_map(
        move |edits| {
            let mut m = base.as_bytes().to_vec();
            for (at, byte, op) in edits {
                let i = at.index(m.len() + 1);
                match op {
                    0 if i < m.len() => m[i] = byte,
                    1 => m.insert(i, byte),
                    _ if i < m.len() => {
                        m.remove(i);
                    }
                    _ => {}
                }
            }
            m
        },
    )
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "[a-z=,0-9+/]{0,120}".prop_map(String::into_bytes),
    ]
}

const CLIENT_FIRST: &str = "n,,n=user,r=clientnonce-0123456789";
const SERVER_FIRST: &str =
    "r=clientnonce-0123456789servernonce-0123456789,s=MDEyMzQ1Njc4OWFiY2RlZg==,i=4096";

fn valid_client_final() -> &'static str {
    use std::sync::OnceLock;
    static CF: OnceLock<String> = OnceLock::new();
    CF.get_or_init(|| {
        let mut c = client();
        let _ = c.start().unwrap();
        let ClientStep::Respond(cf) = c.step(SERVER_FIRST.as_bytes()).unwrap() else {
            panic!()
        };
        String::from_utf8(cf.expose().clone()).unwrap()
    })
}

fn server_at_final() -> ScramServer {
    let mut s = server();
    let ServerStep::Request(_) = s.start(Some(CLIENT_FIRST.as_bytes())).unwrap() else {
        panic!()
    };
    let ServerStep::Challenge(sf) = s
        .provide(Verdict::ScramFound {
            credentials: creds(),
            authzid_granted: false,
        })
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(sf, SERVER_FIRST.as_bytes());
    s
}

proptest! {
    #[test]
    fn server_first_step_never_panics(m in prop_oneof![message(), mutated(CLIENT_FIRST)]) {
        let mut s = server();
        if let Ok(ServerStep::Request(_)) = s.start(Some(&m)) {
            let _ = s.provide(Verdict::Rejected(FailureKind::UnknownUser));
        }
    }

    #[test]
    fn server_final_step_never_panics(m in prop_oneof![message(), mutated(valid_client_final())]) {
        let mut s = server_at_final();
        let step = s.step(&m).unwrap();
        if m != valid_client_final().as_bytes() {
            prop_assert!(!matches!(step, ServerStep::Success(_)));
        }
    }

    #[test]
    fn client_never_panics(
        sf in prop_oneof![message(), mutated(SERVER_FIRST)],
        fin in prop_oneof![message(), mutated("v=P61v8wxOu6B9J7Uij+Sk4zewSK1e6en6f5rCFO4OUNE=")],
        as_outcome in any::<bool>(),
    ) {
        let mut c = client();
        let _ = c.start().unwrap();
        if let Ok(ClientStep::Respond(_)) = c.step(&sf) {
            let ok = if as_outcome {
                c.finish(ServerReply::Success { additional_data: Some(fin.clone()) })
                    .map(|o| o.is_authenticated())
                    .unwrap_or(false)
            } else {
                matches!(c.step(&fin), Ok(ClientStep::Respond(_)))
                    && c.finish(ServerReply::success()).unwrap().is_authenticated()
            };
            // Only the genuine server signature for the genuine server-first passes.
            if ok {
                prop_assert_eq!(&sf[..], SERVER_FIRST.as_bytes());
            }
        }
    }
}

#[test]
fn tampering_with_any_byte_never_succeeds() {
    // Reference run.
    let t = exchange(
        &mut client(),
        &mut server(),
        Store::Found(creds()),
        no_tamper,
    );
    assert!(t.server_ok() && t.client_ok());
    let lens: Vec<usize> = t.messages.iter().map(Vec::len).collect();
    let mut runs = 0;
    for (index, len) in lens.iter().enumerate() {
        for pos in 0..*len {
            for how in 0..3u8 {
                let t = exchange(
                    &mut client(),
                    &mut server(),
                    Store::Found(creds()),
                    |i, m| {
                        if i == index {
                            match how {
                                0 => m[pos] ^= 0x01,
                                1 => m[pos] = if m[pos] == b'A' { b'B' } else { b'A' },
                                _ => {
                                    m.remove(pos);
                                }
                            }
                        }
                    },
                );
                runs += 1;
                assert!(
                    !t.client_ok(),
                    "message {index} byte {pos} op {how}: client succeeded"
                );
                if index < 3 {
                    assert!(
                        !t.server_ok(),
                        "message {index} byte {pos} op {how}: server succeeded"
                    );
                }
            }
        }
    }
    assert!(runs > 600, "{runs}");
}
