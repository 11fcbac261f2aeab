//! Mechanism names (RFC 4422 §3.1).

use crate::error::{ConfigError, Error};
use core::fmt;
use std::borrow::Cow;

/// A validated SASL mechanism name: 1 to 20 characters of `A-Z 0-9 - _`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MechanismName(Cow<'static, str>);

impl MechanismName {
    /// Validates a name. Lowercase is rejected: the wire form is uppercase and
    /// comparing is exact.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Result<Self, Error> {
        let name = name.into();
        if is_valid_name(&name) {
            Ok(Self(name))
        } else {
            Err(ConfigError::InvalidMechanismName.into())
        }
    }

    /// Validates a name given at compile time; usable in `const` items.
    ///
    /// A name that is not valid fails the build when used in a `const`, and panics
    /// otherwise, so use it only for literal names.
    pub const fn from_static(name: &'static str) -> Self {
        if !is_valid_name(name) {
            #[allow(clippy::panic)]
            {
                panic!("invalid SASL mechanism name");
            }
        }
        Self(Cow::Borrowed(name))
    }

    /// Parses a name as received from a peer, accepting lowercase input by
    /// upper-casing it (IMAP and SMTP treat mechanism names case-insensitively).
    pub fn parse(name: &str) -> Result<Self, Error> {
        let upper = name.to_ascii_uppercase();
        Self::new(upper)
    }

    /// The name as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a channel-binding (`-PLUS`) variant.
    pub fn is_plus(&self) -> bool {
        self.0.ends_with("-PLUS")
    }
}

// `const` rules out iterators; the loop bound keeps the index in range.
#[allow(clippy::indexing_slicing)]
const fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() || b.len() > 20 {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-' || c == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MechanismName({})", self.0)
    }
}

impl AsRef<str> for MechanismName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Whether `name` is a `-PLUS` mechanism of the same family as `mechanism`, ignoring
/// case (peers may send lowercase names).
///
/// A family is the name up to its first `-` (`SCRAM` for every SCRAM hash): a client
/// that sends SCRAM's `y` flag while the server offers any SCRAM `-PLUS` had a bound
/// option whatever the hash, so the downgrade check is per family, not per hash
/// (RFC 5802 §6; docs/decisions/0005). Both registries decide `offers_plus` with this.
pub(crate) fn is_plus_of_family(name: &str, mechanism: &str) -> bool {
    fn family(name: &str) -> &str {
        name.split_once('-').map_or(name, |(family, _)| family)
    }
    let plus = name
        .len()
        .checked_sub(5)
        .and_then(|at| name.get(at..))
        .is_some_and(|suffix| suffix.eq_ignore_ascii_case("-PLUS"));
    plus && family(name).eq_ignore_ascii_case(family(mechanism))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4422_names() {
        for ok in [
            "PLAIN",
            "SCRAM-SHA-256-PLUS",
            "X_1",
            "A",
            "ABCDEFGHIJKLMNOPQRST",
        ] {
            assert!(MechanismName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "SCRAM SHA",
            "ABCDEFGHIJKLMNOPQRSTU",
            "A.B",
            "É",
        ] {
            assert_eq!(
                MechanismName::new(bad),
                Err(ConfigError::InvalidMechanismName.into()),
                "{bad}"
            );
        }
        assert_eq!(
            MechanismName::parse("scram-sha-1").unwrap().as_str(),
            "SCRAM-SHA-1"
        );
        assert!(MechanismName::from_static("SCRAM-SHA-1-PLUS").is_plus());
        assert!(!MechanismName::from_static("PLAIN").is_plus());
    }

    #[test]
    fn plus_of_family_is_per_family_and_case_insensitive() {
        assert!(is_plus_of_family("SCRAM-SHA-256-PLUS", "SCRAM-SHA-1"));
        assert!(is_plus_of_family(
            "scram-sha-512-plus",
            "SCRAM-SHA-256-PLUS"
        ));
        assert!(!is_plus_of_family("SCRAM-SHA-256", "SCRAM-SHA-256"));
        assert!(!is_plus_of_family("GS2-KRB5-PLUS", "SCRAM-SHA-1"));
        assert!(!is_plus_of_family("PLUS", "PLAIN"));
        assert!(!is_plus_of_family("-PLUS", "PLAIN"));
    }
}
