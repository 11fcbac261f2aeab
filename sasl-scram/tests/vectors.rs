//! Every vector in `shared/specs/scram_vectors.json` (RFC 5802 §5, RFC 7677 §3, the
//! SCRAM-SHA-512 draft examples, xdg-go/scram SASLprep cases, self-computed PLUS,
//! `y`, authzid and escaping cases), byte for byte, on both sides.
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
use sasl_core::{
    ChannelBinding, ChannelBindingType, ClientCredentials, ClientMechanism, ClientOutcome,
    ClientStep, ConnectionInfo, FailureKind, Request, ServerMechanism, ServerReply, ServerStep,
    Verdict,
};
use sasl_scram::{
    PasswordPrep, ScramClient, ScramClientConfig, ScramServer, ScramVariant, UsernamePrep,
    derive_with,
};
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("missing {k}"))
}

fn connection(v: &Value) -> ConnectionInfo {
    let gs2 = s(v, "gs2_header");
    let data = hex(s(v, "cbind_data_hex"));
    if let Some(name) = gs2.strip_prefix("p=") {
        let kind = ChannelBindingType::from_name(name.split(',').next().unwrap()).unwrap();
        ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(kind, data))
    } else if gs2.starts_with('y') {
        // The client can bind, the server did not advertise -PLUS (and cannot bind).
        ConnectionInfo::tls().with_channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsExporter,
            vec![7; 32],
        ))
    } else {
        ConnectionInfo::tls()
    }
}

fn preps(v: &Value) -> (UsernamePrep, PasswordPrep) {
    if v["saslprep_applied"].as_bool().unwrap() {
        (UsernamePrep::SaslPrep, PasswordPrep::SaslPrep)
    } else {
        (UsernamePrep::None, PasswordPrep::None)
    }
}

fn client_for(v: &Value) -> ScramClient {
    let (hash, plus) = hash_of(s(v, "mechanism"));
    let (up, pp) = preps(v);
    let config = ScramClientConfig::new()
        .with_username_prep(up)
        .with_password_prep(pp);
    let mut creds = ClientCredentials::new(s(v, "username")).with_password(s(v, "password"));
    if let Some(z) = s(v, "gs2_header").strip_prefix("n,a=") {
        creds = creds.with_authzid(z.trim_end_matches(','));
    }
    ScramClient::new(config, ScramVariant::new(hash, plus), creds, &connection(v))
        .unwrap()
        .with_client_nonce(s(v, "client_nonce"))
        .unwrap()
}

#[test]
fn client_side_byte_for_byte() {
    let mut failures = Vec::new();
    for v in positive() {
        let label = s(&v, "label");
        let m = &v["messages"];
        let mut client = client_for(&v);
        let ClientStep::Respond(first) = client.start().unwrap() else {
            panic!("{label}")
        };
        if first.expose().as_slice() != s(m, "client_first").as_bytes() {
            failures.push(format!(
                "{label}: client_first {:?}",
                String::from_utf8_lossy(first.expose())
            ));
            continue;
        }
        let ClientStep::Respond(fin) = client.step(s(m, "server_first").as_bytes()).unwrap() else {
            panic!("{label}: client refused server-first")
        };
        if fin.expose().as_slice() != s(m, "client_final").as_bytes() {
            failures.push(format!(
                "{label}: client_final {:?}",
                String::from_utf8_lossy(fin.expose())
            ));
            continue;
        }
        // XMPP-style: the server-final arrives with the success outcome.
        let outcome = client
            .finish(ServerReply::Success {
                additional_data: Some(s(m, "server_final").as_bytes().to_vec()),
            })
            .unwrap();
        match outcome {
            ClientOutcome::Success(ok) => {
                assert!(ok.server_verified(), "{label}");
                let keys = ok.scram_keys().expect("fresh keys handed back");
                if let Some(ck) = v["intermediate"]["ClientKey"].as_str() {
                    assert_eq!(keys.client_key(), hex(ck), "{label}");
                    assert_eq!(
                        keys.server_key(),
                        hex(s(&v["intermediate"], "ServerKey")),
                        "{label}"
                    );
                }
                assert_eq!(keys.iterations() as u64, v["iterations"].as_u64().unwrap());
            }
            ClientOutcome::Failure(f) => failures.push(format!("{label}: {f:?}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn server_side_byte_for_byte() {
    let mut failures = Vec::new();
    for v in positive() {
        let label = s(&v, "label");
        let m = &v["messages"];
        let (hash, plus) = hash_of(s(&v, "mechanism"));
        let (up, pp) = preps(&v);
        let salt = b64(s(&v, "salt_b64"));
        let iterations = v["iterations"].as_u64().unwrap() as u32;
        let creds = derive_with(hash, s(&v, "password"), &salt, iterations, pp).unwrap();
        if let Some(sk) = v["intermediate"]["StoredKey"].as_str() {
            assert_eq!(creds.stored_key(), hex(sk), "{label}: StoredKey");
            assert_eq!(
                creds.server_key(),
                hex(s(&v["intermediate"], "ServerKey")),
                "{label}: ServerKey"
            );
        }
        // The `y` vector: a server that cannot bind accepts it.
        let conn = if s(&v, "gs2_header").starts_with('y') {
            ConnectionInfo::tls()
        } else {
            connection(&v)
        };
        let mut server = ScramServer::new(
            server_config().with_username_prep(up),
            ScramVariant::new(hash, plus),
            &conn,
        )
        .unwrap()
        .with_server_nonce(s(&v, "server_nonce_part"))
        .unwrap();
        let ServerStep::Request(Request::ScramLookup(lookup)) =
            server.start(Some(s(m, "client_first").as_bytes())).unwrap()
        else {
            panic!("{label}: no lookup")
        };
        let has_authzid = lookup.authzid().is_some();
        let ServerStep::Challenge(sf) = server
            .provide(Verdict::ScramFound {
                credentials: creds,
                authzid_granted: has_authzid,
            })
            .unwrap()
        else {
            panic!("{label}: no server-first")
        };
        if sf != s(m, "server_first").as_bytes() {
            failures.push(format!(
                "{label}: server_first {:?}",
                String::from_utf8_lossy(&sf)
            ));
            continue;
        }
        match server.step(s(m, "client_final").as_bytes()).unwrap() {
            ServerStep::Success(auth) => {
                assert_eq!(
                    auth.additional_data().unwrap(),
                    s(m, "server_final").as_bytes(),
                    "{label}"
                );
                assert_eq!(auth.channel_bound(), plus, "{label}");
                if has_authzid {
                    assert_eq!(auth.authzid(), Some("admin"));
                    assert_eq!(auth.identity(), "admin");
                }
            }
            other => failures.push(format!("{label}: {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn escaped_username_reaches_the_lookup_decoded() {
    let v = positive()
        .into_iter()
        .find(|v| s(v, "label").starts_with("username needing escaping"))
        .unwrap();
    let mut server = ScramServer::new(
        server_config(),
        ScramVariant::bare(sasl_core::ScramHash::Sha256),
        &ConnectionInfo::tls(),
    )
    .unwrap();
    let ServerStep::Request(Request::ScramLookup(req)) = server
        .start(Some(s(&v["messages"], "client_first").as_bytes()))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(req.authcid(), "us,er=x");
}

#[test]
fn negative_bad_proofs_get_invalid_proof() {
    for v in negative() {
        let steps: Vec<&str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        let label = s(&v, "label");
        if !label.starts_with("bad proof") {
            continue;
        }
        let (hash, first_vec) = if label.contains("SHA-1") {
            (sasl_core::ScramHash::Sha1, &positive()[0])
        } else {
            (sasl_core::ScramHash::Sha256, &positive()[1])
        };
        let creds = derive_with(
            hash,
            "pencil",
            &b64(s(first_vec, "salt_b64")),
            4096,
            PasswordPrep::SaslPrep,
        )
        .unwrap();
        let mut server = ScramServer::new(
            server_config(),
            ScramVariant::bare(hash),
            &ConnectionInfo::tls(),
        )
        .unwrap()
        .with_server_nonce(s(first_vec, "server_nonce_part"))
        .unwrap();
        let ServerStep::Request(_) = server.start(Some(steps[0].as_bytes())).unwrap() else {
            panic!()
        };
        let ServerStep::Challenge(sf) = server
            .provide(Verdict::ScramFound {
                credentials: creds,
                authzid_granted: false,
            })
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(sf, steps[1].as_bytes(), "{label}");
        let ServerStep::Failure(f) = server.step(steps[2].as_bytes()).unwrap() else {
            panic!("{label}: bad proof accepted")
        };
        assert_eq!(f.message().unwrap(), steps[3].as_bytes(), "{label}");
        assert_eq!(f.reason().kind(), FailureKind::InvalidCredentials);
    }
}

#[test]
fn negative_unknown_user_fails_with_invalid_proof_not_unknown_user() {
    // The vector's server answers e=unknown-user at once; RFC 5802 allows the
    // enumeration-resistant alternative this crate implements: a fake server-first,
    // then e=invalid-proof, exactly as for a wrong password.
    let v = negative()
        .into_iter()
        .find(|v| s(v, "label") == "unknown user")
        .unwrap();
    let first = v["steps"][0].as_str().unwrap();
    let mut server = ScramServer::new(
        server_config(),
        ScramVariant::bare(sasl_core::ScramHash::Sha1),
        &ConnectionInfo::tls(),
    )
    .unwrap();
    let ServerStep::Request(Request::ScramLookup(req)) =
        server.start(Some(first.as_bytes())).unwrap()
    else {
        panic!()
    };
    assert_eq!(req.authcid(), "doesntexist");
    let ServerStep::Challenge(sf) = server
        .provide(Verdict::Rejected(FailureKind::UnknownUser))
        .unwrap()
    else {
        panic!()
    };
    let sf = String::from_utf8(sf).unwrap();
    assert!(sf.starts_with("r=fyko+d2lbbFgONRv9qkxdawL"), "{sf}");
    assert!(sf.ends_with(",i=4096"), "{sf}");
    let nonce = sf.split(',').next().unwrap();
    let fin = format!("c=biws,{nonce},p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    let ServerStep::Failure(f) = server.step(fin.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(f.message().unwrap(), b"e=invalid-proof");
    assert_eq!(f.reason().kind(), FailureKind::UnknownUser);
}

#[test]
fn negative_bad_server_signature_fails_the_client() {
    let v = negative()
        .into_iter()
        .find(|v| s(v, "label").starts_with("server signature mismatch"))
        .unwrap();
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    let make = || {
        ScramClient::new(
            ScramClientConfig::new(),
            ScramVariant::bare(sasl_core::ScramHash::Sha1),
            ClientCredentials::new("user").with_password("pencil"),
            &ConnectionInfo::tls(),
        )
        .unwrap()
        .with_client_nonce("fyko+d2lbbFgONRv9qkxdawL")
        .unwrap()
    };
    // As a final challenge (IMAP/SMTP).
    let mut client = make();
    let ClientStep::Respond(first) = client.start().unwrap() else {
        panic!()
    };
    assert_eq!(first.expose().as_slice(), steps[0].as_bytes());
    let ClientStep::Respond(fin) = client.step(steps[1].as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(fin.expose().as_slice(), steps[2].as_bytes());
    let ClientStep::Abort(f) = client.step(steps[3].as_bytes()).unwrap() else {
        panic!("client accepted a bad server signature")
    };
    assert_eq!(f.reason().kind(), FailureKind::ServerNotAuthenticated);
    // As additional data with success (XMPP).
    let mut client = make();
    let _ = client.start().unwrap();
    let _ = client.step(steps[1].as_bytes()).unwrap();
    let out = client
        .finish(ServerReply::Success {
            additional_data: Some(steps[3].as_bytes().to_vec()),
        })
        .unwrap();
    let ClientOutcome::Failure(f) = out else {
        panic!("accepted")
    };
    assert_eq!(f.reason().kind(), FailureKind::ServerNotAuthenticated);
}
