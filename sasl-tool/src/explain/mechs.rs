//! One decoded SASL message, for the mechanism given or guessed from the content: the
//! mechanism names, the per-exchange state the decoders share (SCRAM nonces, which LOGIN
//! field comes next, whether an error challenge was sent) and the dispatch to the
//! per-mechanism decoders.

use super::{Message, Sender, bearer, passkey, printable, printable_bytes, scram, simple};
use sasl_core::ScramHash;

/// A mechanism, by what the tool knows how to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mech {
    /// SCRAM-SHA-* (the hash when known) and whether it is -PLUS.
    Scram {
        /// The hash, when the name is one the family knows.
        hash: Option<ScramHash>,
        /// The mechanism name as given (upper case).
        name: String,
    },
    /// PLAIN (RFC 4616).
    Plain,
    /// LOGIN (draft-murchison-sasl-login).
    Login,
    /// OAUTHBEARER (RFC 7628).
    OAuthBearer,
    /// XOAUTH2 (Google, Microsoft).
    XOAuth2,
    /// EXTERNAL (RFC 4422 appendix A).
    External,
    /// PASSKEY (draft-bucksch-sasl-passkey).
    Passkey,
    /// Anything else, by name.
    Other(String),
}

impl Mech {
    /// The mechanism for a name (case-insensitive, IMAP quotes removed).
    pub(crate) fn from_name(name: &str) -> Mech {
        let upper = name.trim_matches('"').to_ascii_uppercase();
        match upper.as_str() {
            "PLAIN" => Mech::Plain,
            "LOGIN" => Mech::Login,
            "OAUTHBEARER" => Mech::OAuthBearer,
            "XOAUTH2" => Mech::XOAuth2,
            "EXTERNAL" => Mech::External,
            "PASSKEY" => Mech::Passkey,
            s if s.starts_with("SCRAM-") => {
                let base = s.strip_suffix("-PLUS").unwrap_or(s);
                let hash = match base {
                    "SCRAM-SHA-1" => Some(ScramHash::Sha1),
                    "SCRAM-SHA-256" => Some(ScramHash::Sha256),
                    "SCRAM-SHA-512" => Some(ScramHash::Sha512),
                    _ => None,
                };
                Mech::Scram { hash, name: upper }
            }
            _ => Mech::Other(printable(&upper, 64)),
        }
    }

    /// The name to show.
    pub(crate) fn name(&self) -> String {
        match self {
            Mech::Scram { name, .. } => name.clone(),
            Mech::Plain => "PLAIN".into(),
            Mech::Login => "LOGIN".into(),
            Mech::OAuthBearer => "OAUTHBEARER".into(),
            Mech::XOAuth2 => "XOAUTH2".into(),
            Mech::External => "EXTERNAL".into(),
            Mech::Passkey => "PASSKEY".into(),
            Mech::Other(name) => name.clone(),
        }
    }
}

/// What the decoders remember across one exchange.
#[derive(Debug, Default)]
pub(crate) struct Exchange {
    /// The mechanism, once known (named by the command or guessed).
    pub(crate) mech: Option<Mech>,
    /// Client messages seen so far (the initial response counts).
    pub(crate) client_count: usize,
    /// Server challenges seen so far.
    pub(crate) server_count: usize,
    /// SCRAM's nonces and GS2 header.
    pub(crate) scram: scram::State,
    /// Which field a LOGIN response carries next.
    pub(crate) login_next: Option<simple::LoginField>,
    /// The server sent an error challenge (OAUTHBEARER, XOAUTH2, PASSKEY, SCRAM `e=`):
    /// the client's next message is the dummy answer.
    pub(crate) error_challenge: bool,
    /// The exchange began with an `AUTHENTICATE`/`AUTH` command (so a client message
    /// before any challenge is the initial response).
    pub(crate) started_by_command: bool,
}

impl Exchange {
    /// A new exchange of `mech` (when known).
    pub(crate) fn new(mech: Option<Mech>) -> Self {
        Exchange {
            mech,
            ..Exchange::default()
        }
    }
}

/// Decodes one message of the exchange into `m`: `from` is who sent it when the line
/// says so (else it is guessed from the content).
pub(crate) fn explain_payload(
    ex: &mut Exchange,
    from: Option<Sender>,
    data: &[u8],
    m: &mut Message,
) {
    let mech = match &ex.mech {
        Some(mech) => Some(mech.clone()),
        None => {
            let guessed = guess(data, from);
            if guessed.is_some() {
                m.mechanism_guessed = true;
                ex.mech.clone_from(&guessed);
            }
            guessed
        }
    };
    let from = from.or_else(|| mech.as_ref().and_then(|mech| guess_sender(mech, data)));
    m.from = from;
    m.mechanism = mech.as_ref().map(Mech::name);
    match (&mech, from) {
        (Some(Mech::Scram { hash, .. }), _) => scram::explain(ex, *hash, from, data, m),
        (Some(Mech::Plain), _) => simple::explain_plain(from, data, m),
        (Some(Mech::Login), _) => simple::explain_login(ex, from, data, m),
        (Some(Mech::External), _) => simple::explain_external(from, data, m),
        (Some(Mech::OAuthBearer), _) => bearer::explain(ex, false, from, data, m),
        (Some(Mech::XOAuth2), _) => bearer::explain(ex, true, from, data, m),
        (Some(Mech::Passkey), _) => passkey::explain(ex, from, data, m),
        (Some(Mech::Other(_)) | None, _) => explain_unknown(from, data, m),
    }
    match from {
        Some(Sender::Client) => ex.client_count += 1,
        Some(Sender::Server) => ex.server_count += 1,
        None => {}
    }
}

/// A message of a mechanism the tool does not know, or could not guess.
fn explain_unknown(from: Option<Sender>, data: &[u8], m: &mut Message) {
    if data.is_empty() {
        m.kind(match from {
            Some(Sender::Server) => {
                "empty challenge: the server waits for the client's first message"
            }
            Some(Sender::Client) => "empty response",
            None => "empty message",
        });
        return;
    }
    let text = std::str::from_utf8(data).ok();
    m.field("length", format!("{} bytes", data.len()));
    match (text, from) {
        (Some(_), Some(Sender::Client) | None) => {
            m.kind("text (not shown: it may be a password)");
            m.note("mechanism unknown: name it with --mech (e.g. --mech LOGIN) to decode it");
        }
        (Some(text), Some(Sender::Server)) => {
            m.kind("text");
            m.field("text", printable(text, 200));
        }
        (None, _) => {
            m.kind("binary data (not UTF-8)");
            if from == Some(Sender::Server) {
                m.field("bytes", printable_bytes(data.get(..64).unwrap_or(data), 64));
            }
            m.note("mechanism unknown: name it with --mech to decode it");
        }
    }
}

/// Guesses the mechanism from a message's content.
pub(crate) fn guess(data: &[u8], from: Option<Sender>) -> Option<Mech> {
    let scram = || Mech::Scram {
        hash: None,
        name: "SCRAM".into(),
    };
    if data.is_empty() {
        return None;
    }
    if data == b"\x01" {
        return Some(Mech::OAuthBearer);
    }
    if simple::login_prompt(data).is_some() && from != Some(Sender::Client) {
        return Some(Mech::Login);
    }
    if (matches!(data.first(), Some(b'n' | b'y')) && data.get(1) == Some(&b','))
        || data.starts_with(b"p=")
    {
        // After the GS2 header: SOH for OAUTHBEARER, n= or m= for SCRAM.
        let mut commas = data.iter().enumerate().filter(|(_, b)| **b == b',');
        if let (Some(_), Some((second, _))) = (commas.next(), commas.next()) {
            let rest = data.get(second + 1..).unwrap_or_default();
            if rest.first() == Some(&0x01) {
                return Some(Mech::OAuthBearer);
            }
            if rest.starts_with(b"n=") || rest.starts_with(b"m=") {
                return Some(scram());
            }
            // RFC 7628's SMTP example sends "n,user=...," (not RFC 5801).
            if data.contains(&0x01) {
                return Some(Mech::OAuthBearer);
            }
        }
        return Some(scram());
    }
    if data.starts_with(b"r=") || data.starts_with(b"c=") || data.starts_with(b"v=") {
        return Some(scram());
    }
    if data.starts_with(b"e=") {
        return Some(if data.windows(3).any(|w| w == b",m=") {
            Mech::Passkey
        } else {
            scram()
        });
    }
    if data.starts_with(b"user=") || (data.starts_with(b"auth=") && data.contains(&0x01)) {
        return Some(Mech::XOAuth2);
    }
    if data.first() == Some(&b'{') {
        if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(data) {
            if let Some(status) = object.get("status") {
                let numeric = match status {
                    serde_json::Value::Number(_) => true,
                    serde_json::Value::String(s) => {
                        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
                    }
                    _ => false,
                };
                return Some(if numeric {
                    Mech::XOAuth2
                } else {
                    Mech::OAuthBearer
                });
            }
            if ["challenge", "rawId", "response", "rpId"]
                .iter()
                .any(|k| object.contains_key(*k))
            {
                return Some(Mech::Passkey);
            }
        }
        return None;
    }
    if matches!(data.first(), Some(0xa0..=0xbf)) && passkey::looks_like_cbor(data) {
        return Some(Mech::Passkey);
    }
    if data.iter().filter(|b| **b == 0).count() == 2 && from != Some(Sender::Server) {
        return Some(Mech::Plain);
    }
    None
}

/// Guesses who sent a message of `mech` from its content.
fn guess_sender(mech: &Mech, data: &[u8]) -> Option<Sender> {
    match mech {
        Mech::Scram { .. } => {
            if data.starts_with(b"r=") || data.starts_with(b"v=") || data.starts_with(b"e=") {
                Some(Sender::Server)
            } else if data.is_empty() {
                None
            } else {
                Some(Sender::Client)
            }
        }
        Mech::Plain | Mech::External => Some(Sender::Client),
        Mech::Login => simple::login_prompt(data).map(|_| Sender::Server),
        Mech::OAuthBearer | Mech::XOAuth2 => match data.first() {
            Some(b'{') => Some(Sender::Server),
            Some(_) => Some(Sender::Client),
            None => None,
        },
        Mech::Passkey => passkey::guess_sender(data),
        Mech::Other(_) => None,
    }
}
