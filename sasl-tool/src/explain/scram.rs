//! SCRAM messages (RFC 5802, RFC 7677): the GS2 header, each attribute, and what is
//! missing, out of order or malformed. Across an exchange it checks that the server's
//! nonce extends the client's, that the client-final repeats it, and that `c=` carries
//! the client-first's GS2 header.

use super::mechs::Exchange;
use super::{Message, Sender, printable};
use sasl_core::ScramHash;
use sasl_core::gs2::{Gs2Flag, Gs2Header, decode_saslname};
use sasl_core::wire::decode_base64;
use sasl_scram::ServerErrorValue;

/// What a SCRAM exchange has said so far.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The client-first's GS2 header, byte for byte.
    gs2_header: Option<Vec<u8>>,
    /// The client's nonce.
    client_nonce: Option<String>,
    /// The whole nonce from the server-first.
    nonce: Option<String>,
    /// A server-final was seen.
    server_final: bool,
}

/// The four SCRAM messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    ClientFirst,
    ServerFirst,
    ClientFinal,
    ServerFinal,
}

impl Which {
    fn sender(self) -> Sender {
        match self {
            Which::ClientFirst | Which::ClientFinal => Sender::Client,
            Which::ServerFirst | Which::ServerFinal => Sender::Server,
        }
    }
}

/// One `x=value` attribute, or a piece that is not one.
struct Attr<'a> {
    name: Option<char>,
    value: &'a str,
    raw: &'a str,
}

fn attrs(text: &str) -> Vec<Attr<'_>> {
    text.split(',')
        .map(|raw| {
            let mut chars = raw.chars();
            match (chars.next(), chars.next()) {
                (Some(c), Some('=')) if c.is_ascii_alphabetic() => Attr {
                    name: Some(c),
                    value: raw.get(2..).unwrap_or_default(),
                    raw,
                },
                _ => Attr {
                    name: None,
                    value: raw,
                    raw,
                },
            }
        })
        .collect()
}

/// Decodes one SCRAM message.
pub(crate) fn explain(
    ex: &mut Exchange,
    hash: Option<ScramHash>,
    from: Option<Sender>,
    data: &[u8],
    m: &mut Message,
) {
    let plus = match &ex.mech {
        Some(super::mechs::Mech::Scram { name, .. }) if name != "SCRAM" => {
            Some(name.ends_with("-PLUS"))
        }
        _ => None,
    };
    let text = match std::str::from_utf8(data) {
        Ok(text) => text.to_owned(),
        Err(e) => {
            m.problem(format!(
                "not valid UTF-8 (at byte {}): SCRAM messages are UTF-8 text",
                e.valid_up_to()
            ));
            String::from_utf8_lossy(data).into_owned()
        }
    };
    if text.is_empty() {
        match from {
            Some(Sender::Client) if ex.scram.server_final => m.kind(
                "empty response: the client's answer to the server-final message (IMAP and SMTP carry it as a challenge)",
            ),
            Some(Sender::Server) => {
                m.kind("empty challenge: the client sends its client-first message now")
            }
            _ => m.kind("empty message"),
        }
        if from == Some(Sender::Client) && !ex.scram.server_final {
            m.problem("an empty SCRAM client message is only valid after the server-final message");
        }
        return;
    }
    let which = if text.starts_with("n,")
        || text.starts_with("y,")
        || text.starts_with("p=")
        || text.starts_with("F,")
    {
        Which::ClientFirst
    } else if text.starts_with("r=") || text.starts_with("m=") {
        Which::ServerFirst
    } else if text.starts_with("c=") {
        Which::ClientFinal
    } else if text.starts_with("v=") || text.starts_with("e=") {
        Which::ServerFinal
    } else {
        m.kind("not a SCRAM message");
        if text.starts_with("n=") {
            m.problem("starts with n= but has no GS2 header: a client-first message starts with \"n,,\", \"y,,\" or \"p=<type>,,\" (RFC 5802 §7)");
        } else {
            m.problem(format!(
                "a SCRAM message starts with a GS2 header (client-first), r= (server-first), c= (client-final) or v=/e= (server-final), not {:?}",
                printable(text.get(..text.len().min(16)).unwrap_or_default(), 16)
            ));
        }
        return;
    };
    if let Some(from) = from
        && from != which.sender()
    {
        {
            m.problem(format!(
                "this is a {} message but the {} sent it",
                which.sender().name(),
                from.name()
            ));
        }
    }
    m.from = m.from.or(Some(which.sender()));
    match which {
        Which::ClientFirst => client_first(ex, plus, &text, m),
        Which::ServerFirst => server_first(ex, &text, m),
        Which::ClientFinal => client_final(ex, hash, &text, m),
        Which::ServerFinal => server_final(ex, hash, &text, m),
    }
}

fn client_first(ex: &mut Exchange, plus: Option<bool>, text: &str, m: &mut Message) {
    m.kind("SCRAM client-first message");
    let bare = match Gs2Header::parse(text.as_bytes()) {
        Ok((header, rest)) => {
            let raw = text.get(..header.len()).unwrap_or_default();
            m.field("GS2 header", raw);
            describe_flag(header.flag(), plus, m);
            m.field(
                "authzid (a=)",
                header
                    .authzid()
                    .map(|a| printable(a, 200))
                    .unwrap_or_else(|| "none: act as the user named below".into()),
            );
            ex.scram.gs2_header = Some(raw.as_bytes().to_vec());
            String::from_utf8_lossy(rest).into_owned()
        }
        Err(detail) => {
            m.problem(format!("GS2 header: {detail}"));
            // Lenient: the bare message after the second comma, if any.
            text.splitn(3, ',').nth(2).unwrap_or_default().to_owned()
        }
    };
    let list = attrs(&bare);
    check_order(&list, &['n', 'r'], true, m);
    for attr in &list {
        match attr.name {
            Some('m') => mandatory_extension(m),
            Some('n') => match decode_saslname(attr.value.as_bytes()) {
                Ok(user) => m.field("user (n=)", printable(&user, 200)),
                Err(detail) => m.problem(format!("n= (user name): {detail}")),
            },
            Some('r') => {
                if check_nonce("r= (client nonce)", attr.value, m) {
                    m.field(
                        "client nonce (r=)",
                        format!("{} ({} characters)", attr.value, attr.value.len()),
                    );
                }
                ex.scram.client_nonce = Some(attr.value.to_owned());
            }
            _ => other_attr(attr, m),
        }
    }
}

fn server_first(ex: &mut Exchange, text: &str, m: &mut Message) {
    m.kind("SCRAM server-first message");
    let list = attrs(text);
    check_order(&list, &['r', 's', 'i'], true, m);
    for attr in &list {
        match attr.name {
            Some('m') => mandatory_extension(m),
            Some('r') => {
                check_nonce("r= (nonce)", attr.value, m);
                match &ex.scram.client_nonce {
                    Some(client) => match attr.value.strip_prefix(client.as_str()) {
                        Some("") => m.problem("r=: the server added no nonce of its own"),
                        Some(server) => m.field(
                            "nonce (r=)",
                            format!(
                                "client's {} + server's {server} ({} characters)",
                                client,
                                server.len()
                            ),
                        ),
                        None => {
                            m.field("nonce (r=)", attr.value);
                            m.problem(
                                "r=: the nonce does not start with the client's nonce: the client must fail",
                            );
                        }
                    },
                    None => m.field(
                        "nonce (r=)",
                        format!(
                            "{} ({} characters: the client's nonce followed by the server's)",
                            attr.value,
                            attr.value.len()
                        ),
                    ),
                }
                ex.scram.nonce = Some(attr.value.to_owned());
            }
            Some('s') => match decode_base64(attr.value.as_bytes()) {
                Ok(salt) if salt.is_empty() => m.problem("s=: the salt is empty"),
                Ok(salt) => m.field("salt (s=)", format!("{} bytes", salt.len())),
                Err(e) => m.problem(format!("s= (salt): {}", e.detail())),
            },
            Some('i') => iterations(attr.value, m),
            _ => other_attr(attr, m),
        }
    }
}

fn client_final(ex: &mut Exchange, hash: Option<ScramHash>, text: &str, m: &mut Message) {
    m.kind("SCRAM client-final message");
    let list = attrs(text);
    check_order(&list, &['c', 'r'], false, m);
    let proof_last = list.last().is_some_and(|a| a.name == Some('p'));
    if !proof_last {
        if list.iter().any(|a| a.name == Some('p')) {
            m.problem("p= (the proof) must be the last attribute");
        } else {
            m.problem("missing p= (the client proof)");
        }
    }
    for attr in &list {
        match attr.name {
            Some('c') => channel_binding(ex, attr.value, m),
            Some('r') => {
                check_nonce("r= (nonce)", attr.value, m);
                m.field(
                    "nonce (r=)",
                    format!("{} ({} characters)", attr.value, attr.value.len()),
                );
                match &ex.scram.nonce {
                    Some(nonce) if nonce == attr.value => {
                        m.note("the nonce repeats the server-first's, as it must")
                    }
                    Some(_) => m.problem(
                        "r=: not the nonce of the server-first message: the server must fail",
                    ),
                    None => {}
                }
            }
            Some('p') => digest_size("client proof (p=)", hash, attr.value, m),
            _ => other_attr(attr, m),
        }
    }
}

fn server_final(ex: &mut Exchange, hash: Option<ScramHash>, text: &str, m: &mut Message) {
    ex.scram.server_final = true;
    let list = attrs(text);
    match list.first().and_then(|a| a.name) {
        Some('v') => m.kind("SCRAM server-final message: success, with the server's proof"),
        _ => m.kind("SCRAM server-final message: an error"),
    }
    for (i, attr) in list.iter().enumerate() {
        match attr.name {
            Some('v') if i == 0 => {
                digest_size("server signature (v=)", hash, attr.value, m);
                m.note("the client must check it before it trusts the success");
            }
            Some('e') if i == 0 => {
                ex.error_challenge = true;
                let value = ServerErrorValue::from_wire(attr.value);
                m.field("error (e=)", printable(attr.value, 100));
                m.field("meaning", error_meaning(value));
                if value == ServerErrorValue::OtherError && attr.value != "other-error" {
                    m.note("not a value RFC 5802 defines: clients treat it as other-error");
                }
            }
            Some('v' | 'e') => m.problem(format!(
                "{}= must be the first attribute",
                attr.name.unwrap_or('?')
            )),
            _ => other_attr(attr, m),
        }
    }
}

fn describe_flag(flag: Gs2Flag<'_>, plus: Option<bool>, m: &mut Message) {
    let (text, binds) = match flag {
        Gs2Flag::No => (
            "n: the client does not support channel binding".to_owned(),
            false,
        ),
        Gs2Flag::Yes => (
            "y: the client supports channel binding but thinks the server does not (a server that could bind must fail: possible downgrade)".to_owned(),
            false,
        ),
        Gs2Flag::Binding(name) => (
            format!("p={name}: the client binds to the {name} channel"),
            true,
        ),
    };
    m.field("channel binding", text);
    match plus {
        Some(true) if !binds => {
            m.problem("a -PLUS mechanism requires channel binding: the flag must be p=<type>")
        }
        Some(false) if binds => {
            m.problem("p= (channel binding) is only valid with the -PLUS variant of the mechanism")
        }
        _ => {}
    }
}

fn channel_binding(ex: &Exchange, value: &str, m: &mut Message) {
    let input = match decode_base64(value.as_bytes()) {
        Ok(input) => input,
        Err(e) => {
            m.problem(format!("c= (channel binding): {}", e.detail()));
            return;
        }
    };
    match Gs2Header::parse(&input) {
        Ok((header, cb_data)) => {
            let raw = String::from_utf8_lossy(input.get(..header.len()).unwrap_or_default());
            m.field(
                "channel binding (c=)",
                format!(
                    "GS2 header {raw:?} + {} bytes of channel-binding data",
                    cb_data.len()
                ),
            );
            match header.flag() {
                Gs2Flag::Binding(_) if cb_data.is_empty() => {
                    m.problem("c=: the flag is p= but no channel-binding data follows")
                }
                Gs2Flag::No | Gs2Flag::Yes if !cb_data.is_empty() => {
                    m.problem("c=: channel-binding data must be absent when the flag is n or y")
                }
                _ => {}
            }
            if let Some(first) = &ex.scram.gs2_header {
                if input.get(..header.len()) == Some(first.as_slice()) {
                    m.note("c= repeats the client-first's GS2 header, as it must");
                } else {
                    m.problem(
                        "c=: the GS2 header differs from the client-first's: the server must fail",
                    );
                }
            }
        }
        Err(detail) => m.problem(format!("c= does not start with a GS2 header: {detail}")),
    }
}

fn digest_size(name: &str, hash: Option<ScramHash>, value: &str, m: &mut Message) {
    match decode_base64(value.as_bytes()) {
        Ok(bytes) => {
            let fits = match bytes.len() {
                20 => " (SHA-1 size)",
                32 => " (SHA-256 size)",
                64 => " (SHA-512 size)",
                _ => "",
            };
            m.field(name, format!("{} bytes{fits}", bytes.len()));
            if let Some(hash) = hash {
                if bytes.len() != hash.output_len() {
                    m.problem(format!(
                        "{name}: {} bytes, but SCRAM-{} needs {}",
                        bytes.len(),
                        hash.name(),
                        hash.output_len()
                    ));
                }
            } else if fits.is_empty() {
                m.problem(format!(
                    "{name}: {} bytes is no SCRAM hash's size (20, 32 or 64)",
                    bytes.len()
                ));
            }
        }
        Err(e) => m.problem(format!("{name}: {}", e.detail())),
    }
}

fn iterations(value: &str, m: &mut Message) {
    let valid =
        !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) && !value.starts_with('0');
    match value.parse::<u64>() {
        Ok(n) if valid => {
            m.field("iterations (i=)", n.to_string());
            if n < 4096 {
                m.note(format!(
                    "{n} iterations is below 4096, the least RFC 5802 and RFC 7677 recommend"
                ));
            }
            if n > u64::from(sasl_scram::MAX_STORED_ITERATIONS) {
                m.note(format!(
                    "{n} iterations: clients bound the count (this family refuses more than {})",
                    sasl_scram::MAX_STORED_ITERATIONS
                ));
            }
        }
        _ => m.problem(format!(
            "i= must be a positive number without leading zeros, not {:?}",
            printable(value, 20)
        )),
    }
}

/// Checks `printable = %x21-2B / %x2D-7E`; true when valid.
fn check_nonce(name: &str, value: &str, m: &mut Message) -> bool {
    if value.is_empty() {
        m.problem(format!("{name}: empty nonce"));
        return false;
    }
    if let Some(bad) = value.chars().find(|c| !matches!(c, '\x21'..='\x7e')) {
        m.problem(format!(
            "{name}: {:?} is not allowed in a nonce (printable ASCII only)",
            bad
        ));
        return false;
    }
    true
}

fn mandatory_extension(m: &mut Message) {
    m.problem("m= (a mandatory extension) is present: the other side must fail (e=extensions-not-supported)");
}

fn other_attr(attr: &Attr<'_>, m: &mut Message) {
    match attr.name {
        Some(c) => m.field(
            format!("extension {c}="),
            format!(
                "{} (unknown attributes are ignored, but hashed into the AuthMessage)",
                printable(attr.value, 80)
            ),
        ),
        None if attr.raw.is_empty() => {
            m.problem("an empty attribute (two commas in a row, or a trailing comma)")
        }
        None => m.problem(format!(
            "{:?} is not an attribute (a letter, '=', a value)",
            printable(attr.raw, 40)
        )),
    }
}

/// Checks that `required` come first (after an optional `m=`), in order, once each.
fn check_order(list: &[Attr<'_>], required: &[char], m_allowed: bool, m: &mut Message) {
    let names: Vec<char> = list.iter().map(|a| a.name.unwrap_or('?')).collect();
    let start = usize::from(m_allowed && names.first() == Some(&'m'));
    for want in required {
        let count = names.iter().filter(|c| *c == want).count();
        if count == 0 {
            m.problem(format!("missing {want}= ({})", attr_name(*want)));
        } else if count > 1 {
            m.problem(format!("{want}= appears {count} times"));
        }
    }
    let got: Vec<char> = names
        .iter()
        .skip(start)
        .take(required.len())
        .copied()
        .collect();
    let all_present = required.iter().all(|c| names.contains(c));
    if all_present && got != required {
        let show = |cs: &[char]| {
            cs.iter()
                .map(|c| format!("{c}="))
                .collect::<Vec<_>>()
                .join(", ")
        };
        m.problem(format!(
            "attributes out of order: expected {} first, got {}",
            show(required),
            show(&got)
        ));
    }
}

fn attr_name(c: char) -> &'static str {
    match c {
        'n' => "the user name",
        'r' => "the nonce",
        's' => "the salt",
        'i' => "the iteration count",
        'c' => "the channel binding",
        'p' => "the client proof",
        _ => "an attribute",
    }
}

fn error_meaning(value: ServerErrorValue) -> &'static str {
    match value {
        ServerErrorValue::InvalidEncoding => "a message did not follow the SCRAM syntax",
        ServerErrorValue::ExtensionsNotSupported => {
            "the client sent a mandatory extension (m=) the server does not know"
        }
        ServerErrorValue::InvalidProof => {
            "the client proof is wrong: wrong password (or unknown user)"
        }
        ServerErrorValue::ChannelBindingsDontMatch => {
            "the channel-binding data differs from the server's: possibly a man in the middle"
        }
        ServerErrorValue::ServerDoesSupportChannelBinding => {
            "the client said y (no binding, server can't) but this server can bind: possible downgrade"
        }
        ServerErrorValue::ChannelBindingNotSupported => {
            "the client asked for channel binding and the server has none"
        }
        ServerErrorValue::UnsupportedChannelBindingType => {
            "the server does not offer the p= channel-binding type"
        }
        ServerErrorValue::UnknownUser => "no such user",
        ServerErrorValue::InvalidUsernameEncoding => {
            "the user name is badly escaped, not UTF-8, or fails SASLprep"
        }
        ServerErrorValue::NoResources => "the server lacks resources (try later)",
        _ => "some other error (servers may hide the real reason)",
    }
}
