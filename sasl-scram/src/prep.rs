//! How user names and passwords are normalised before use.

use sasl_core::prep::{PrecisProfile, SaslprepMode, saslprep};
use std::borrow::Cow;

/// How a user name is prepared (server: before the credential lookup; client: before
/// it is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsernamePrep {
    /// SASLprep (RFC 4013) in query mode, as RFC 5802 specifies. The default.
    #[default]
    SaslPrep,
    /// PRECIS UsernameCaseMapped (RFC 8265): also folds case, for stores keyed that way.
    PrecisCaseMapped,
    /// Used as received (still UTF-8 and non-empty). For stores that compare names
    /// in their own way.
    None,
}

/// How a password is normalised before key derivation (client and [`derive()`](crate::derive())).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordPrep {
    /// SASLprep (RFC 4013) in stored mode, as RFC 5802 specifies. The default.
    #[default]
    SaslPrep,
    /// PRECIS OpaqueString (RFC 8265), as some implementations (mox, pgx) use.
    OpaqueString,
    /// The password bytes as given (Dovecot does not normalise).
    None,
    /// SASLprep (stored mode) when the password passes it, and the password bytes
    /// as given when SASLprep refuses it (a control character such as TAB, mixed
    /// right-to-left and left-to-right text such as `שלום-hello`, an unassigned
    /// code point). This is what PostgreSQL does: its server (10 and later) when it
    /// hashes a password into a `SCRAM-SHA-256$` verifier, and libpq when it logs
    /// in (`pg_saslprep` in PostgreSQL's `src/common/saslprep.c`; on failure the
    /// caller uses the password as is). Use it on the client against PostgreSQL
    /// servers and when deriving PostgreSQL verifiers ([`derive_with`](crate::derive_with),
    /// then [`StoredFormat::PostgreSql`](crate::StoredFormat::PostgreSql)): with
    /// plain [`SaslPrep`](Self::SaslPrep) such passwords cannot log in or be
    /// derived at all. It never fails. (PostgreSQL's own SASLprep checks prohibited
    /// and bidirectional characters before normalising rather than after, so a rare
    /// password that normalisation changes may still be prepared differently.)
    SaslPrepOrRaw,
}

impl UsernamePrep {
    /// Prepares a name; `None` when it fails or comes out empty.
    pub(crate) fn apply<'a>(self, name: &'a str) -> Option<Cow<'a, str>> {
        let out = match self {
            UsernamePrep::SaslPrep => saslprep(name, SaslprepMode::Query).ok()?,
            UsernamePrep::PrecisCaseMapped => {
                PrecisProfile::UsernameCaseMapped.enforce(name).ok()?
            }
            UsernamePrep::None => Cow::Borrowed(name),
        };
        if out.is_empty() { None } else { Some(out) }
    }
}

impl PasswordPrep {
    /// Prepares a password; `None` when the profile refuses it. An owned result is
    /// secret: callers zeroize it.
    pub(crate) fn apply(self, password: &str) -> Option<Cow<'_, str>> {
        match self {
            PasswordPrep::SaslPrep => saslprep(password, SaslprepMode::Stored).ok(),
            PasswordPrep::OpaqueString => PrecisProfile::OpaqueString.enforce(password).ok(),
            PasswordPrep::None => Some(Cow::Borrowed(password)),
            // The fallback is what PostgreSQL interoperability needs (see the
            // variant); the raw bytes are a `str`, so always valid UTF-8 here.
            PasswordPrep::SaslPrepOrRaw => {
                Some(saslprep(password, SaslprepMode::Stored).unwrap_or(Cow::Borrowed(password)))
            }
        }
    }
}

/// Derives `SaltedPassword` with the prepared password, zeroizing any normalised copy.
pub(crate) fn salted_password(
    alg: crate::hash::Alg,
    prep: PasswordPrep,
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Option<crate::hash::Digest> {
    use zeroize::Zeroize;
    let prepared = prep.apply(password)?;
    let out = alg.hi(prepared.as_bytes(), salt, iterations);
    if let Cow::Owned(mut s) = prepared {
        s.zeroize();
    }
    Some(out)
}
