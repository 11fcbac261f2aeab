//! SCRAM's message parsers and base64 on their own (through `sasl_scram::fuzzing`,
//! built only under `--cfg fuzzing`). Input: a selector byte (client-first,
//! client-final, server-first, server-final, base64), then the message. Beyond "no
//! panic": each parse agrees with the bytes it came from. The nonce's offset points
//! at the nonce (the server builds AuthMessage from it), the re-escaped user name is
//! the `n=` field, client-final is `without_proof,p=<base64 of the proof>`, and
//! server-first is exactly `r=,s=,i=` followed only by extensions. Base64 round-trips
//! both ways and only canonical text decodes. Selector 5 builds first: whatever
//! client-first our SCRAM client sends for a user name and authzid it accepts, our
//! server's parser accepts, with the authzid intact.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::{ClientCredentials, ClientRegistry, ClientStep, ConnectionInfo};
use sasl_fuzz::FixedRandom;
use sasl_scram::fuzzing::{
    Flag, ServerFinal, decode_base64, encode_base64, parse_client_final, parse_client_first,
    parse_server_final, parse_server_first,
};
use std::sync::Arc;

const SERVER_NONCE: &[u8] = b"rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

/// RFC 5802 §5.1 saslname escaping.
fn escape(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, msg)) = data.split_first() else {
        return;
    };
    match selector % 6 {
        0 => {
            let Ok(first) = parse_client_first(msg) else {
                return;
            };
            let header = msg
                .get(..first.gs2_len)
                .expect("gs2 header inside the message");
            let flag_part = match &first.flag {
                Flag::N => "n".to_owned(),
                Flag::Y => "y".to_owned(),
                Flag::P(name) => format!("p={name}"),
            };
            let authzid = first
                .authzid
                .as_deref()
                .map(|a| format!("a={}", escape(a)))
                .unwrap_or_default();
            assert_eq!(header, format!("{flag_part},{authzid},").as_bytes());
            let nonce_end = first.nonce_at + first.nonce.len();
            assert_eq!(
                msg.get(first.nonce_at..nonce_end),
                Some(first.nonce.as_bytes())
            );
            assert!(
                first
                    .nonce
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b',')
            );
            let bare = format!("n={},r={}", escape(&first.username), first.nonce);
            assert_eq!(msg.get(first.gs2_len..nonce_end), Some(bare.as_bytes()));
            // What follows the nonce is only extensions.
            let tail = msg.get(nonce_end..).unwrap_or_default();
            assert!(tail.is_empty() || tail.starts_with(b","), "{tail:?}");
        }
        1 => {
            let Ok(last) = parse_client_final(msg, SERVER_NONCE) else {
                return;
            };
            assert!(msg.starts_with(&last.without_proof));
            let mut prefix = b"c=".to_vec();
            prefix.extend_from_slice(&last.channel_binding);
            prefix.extend_from_slice(b",r=");
            prefix.extend_from_slice(&last.nonce);
            assert!(last.without_proof.starts_with(&prefix));
            assert!(decode_base64(&last.channel_binding).is_some());
            if let Some(proof) = &last.proof {
                let mut rebuilt = last.without_proof.clone();
                rebuilt.extend_from_slice(b",p=");
                rebuilt.extend_from_slice(&encode_base64(proof, true));
                assert_eq!(rebuilt, msg, "client-final is not without_proof,p=proof");
            }
        }
        2 => {
            let Ok(first) = parse_server_first(msg) else {
                return;
            };
            assert!(first.iterations >= 1);
            assert!(decode_base64(&first.salt).is_some_and(|s| !s.is_empty()));
            let mut start = format!("r={},s=", first.nonce).into_bytes();
            start.extend_from_slice(&first.salt);
            start.extend_from_slice(format!(",i={}", first.iterations).as_bytes());
            assert!(msg.starts_with(&start), "server-first fields out of place");
            let tail = msg.get(start.len()..).unwrap_or_default();
            assert!(tail.is_empty() || tail.starts_with(b","), "{tail:?}");
        }
        3 => match parse_server_final(msg) {
            Ok(ServerFinal::Verifier(v)) => {
                assert!(msg.starts_with(b"v=") && msg.get(2..2 + v.len()) == Some(&v[..]));
                let decoded = decode_base64(&v).expect("v= is canonical base64");
                assert_eq!(encode_base64(&decoded, true), v);
            }
            Ok(ServerFinal::Error(e)) => {
                assert!(msg.starts_with(b"e=") && !e.is_empty() && !e.contains(','));
            }
            Err(_) => {}
        },
        5 => {
            let mut fields = msg.split(|&b| b == 0xff);
            let mut text = || fields.next().and_then(|f| std::str::from_utf8(f).ok());
            let (Some(user), authzid) = (text(), text()) else {
                return;
            };
            let mut creds = ClientCredentials::new(user).with_password("pencil");
            if let Some(authzid) = authzid.filter(|a| !a.is_empty()) {
                creds = creds.with_authzid(authzid);
            }
            let config = sasl_scram::ScramClientConfig::new().with_random(Arc::new(FixedRandom));
            let registry = ClientRegistry::new().with_all(sasl_scram::client_factories(config));
            let name = "SCRAM-SHA-256";
            let Ok(mut session) = registry.start(name, &[name], creds, &ConnectionInfo::tls())
            else {
                return;
            };
            let Ok(ClientStep::Respond(first)) = session.start() else {
                return;
            };
            let parsed = parse_client_first(first.expose());
            let Ok(parsed) = parsed else {
                panic!(
                    "our client sent {:?}, our server refuses it: {parsed:?}",
                    first.expose()
                );
            };
            assert_eq!(parsed.authzid.as_deref(), authzid.filter(|a| !a.is_empty()));
        }
        _ => {
            if let Some(decoded) = decode_base64(msg) {
                assert_eq!(
                    encode_base64(&decoded, true),
                    msg,
                    "non-canonical base64 decoded"
                );
            }
            let encoded = encode_base64(msg, true);
            assert_eq!(
                decode_base64(&encoded).as_deref(),
                (!msg.is_empty()).then_some(msg)
            );
            let unpadded = encode_base64(msg, false);
            assert!(encoded.starts_with(&unpadded));
            assert!(encoded[unpadded.len()..].iter().all(|&b| b == b'='));
        }
    }
});
