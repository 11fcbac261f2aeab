//! OAUTHBEARER and XOAUTH2 client messages, parser against builder (through
//! `sasl_oauthbearer::fuzzing`, built only under `--cfg fuzzing`). Input: a selector
//! byte (bit 0: XOAUTH2; bit 1: build first), then either a message to parse or the
//! fields to build one from (authzid, token, host, port, split on 0xFF). Parse first:
//! what parses, rebuilt, parses to the same message. Build first: whatever the client
//! would send from valid fields, the server parses back to exactly those fields, with
//! the authzid's `,` and `=` escaped and unescaped on the way.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_oauthbearer::fuzzing::{
    Message, build_oauthbearer, build_xoauth2, is_valid_authzid, is_valid_host, is_valid_user,
    parse_oauthbearer, parse_xoauth2,
};
use sasl_oauthbearer::{MAX_MESSAGE_LEN, MAX_TOKEN_LEN, is_b64token};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let xoauth2 = selector & 1 != 0;
    let parse = |msg: &[u8]| {
        if xoauth2 {
            parse_xoauth2(msg)
        } else {
            parse_oauthbearer(msg)
        }
    };
    let build = |m: &Message| {
        if xoauth2 {
            build_xoauth2(m.authzid.as_deref().unwrap_or_default(), &m.token)
        } else {
            build_oauthbearer(m)
        }
    };
    if selector & 2 == 0 {
        let Ok(message) = parse(body) else {
            return;
        };
        assert!(is_b64token(&message.token) && message.token.len() <= MAX_TOKEN_LEN);
        if xoauth2 {
            assert!(message.host.is_none() && message.port.is_none());
        }
        let rebuilt = build(&message);
        assert_eq!(
            parse(&rebuilt).as_ref(),
            Ok(&message),
            "rebuilt {rebuilt:?}"
        );
        return;
    }
    let mut fields = body.split(|&b| b == 0xff);
    let text = |f: Option<&[u8]>| {
        f.and_then(|f| std::str::from_utf8(f).ok())
            .map(str::to_owned)
    };
    let authzid = text(fields.next()).filter(|a| !a.is_empty());
    let Some(token) = text(fields.next()) else {
        return;
    };
    let host = text(fields.next()).filter(|h| !h.is_empty());
    let port = fields
        .next()
        .and_then(|p| p.get(..2))
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .filter(|&p| p != 0);
    let message = if xoauth2 {
        Message {
            authzid: Some(authzid.unwrap_or_default()),
            token,
            host: None,
            port: None,
        }
    } else {
        Message {
            authzid,
            token,
            host,
            port,
        }
    };
    // The checks `BearerClient::new` makes before it sends anything.
    let user_ok = message.authzid.as_deref().is_none_or(|u| {
        if xoauth2 {
            is_valid_user(u)
        } else {
            is_valid_authzid(u) && !u.contains('\0')
        }
    });
    let host_ok = message.host.as_deref().is_none_or(is_valid_host);
    if !(user_ok && host_ok && is_b64token(&message.token) && message.token.len() <= MAX_TOKEN_LEN)
    {
        return;
    }
    let built = build(&message);
    if built.len() > MAX_MESSAGE_LEN {
        return;
    }
    assert_eq!(parse(&built).as_ref(), Ok(&message), "built {built:?}");
});
