//! SASLprep (RFC 4013), the stringprep (RFC 3454) profile for user names
//! and passwords.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::ucd::in_ranges;
use super::{PrepError, PrepErrorKind, all_ascii_in, push_zeroizing, tables};

const PROFILE: &str = "SASLprep";

/// How [`saslprep`] treats code points that are unassigned in Unicode 3.2
/// (RFC 3454 table A.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaslprepMode {
    /// "Stored string" (RFC 3454 §7): unassigned code points are an error.
    /// Use it for strings that will be stored or compared later, such as a
    /// SCRAM password.
    Stored,
    /// "Query string": unassigned code points are allowed and pass through
    /// unchanged. SCRAM prepares user names this way.
    Query,
}

/// Prepares `input` with SASLprep (RFC 4013).
///
/// Steps, in order: map non-ASCII spaces (C.1.2) to U+0020 and remove
/// "commonly mapped to nothing" characters (B.1); normalize with NFKC; reject
/// prohibited output (C.1.2, C.2.1, C.2.2, C.3 to C.9); apply the RFC 3454 §6
/// bidi check; in [`SaslprepMode::Stored`], reject code points unassigned in
/// Unicode 3.2 (A.1).
///
/// U+200B is in both B.1 and C.1.2; B.1 wins and it is removed, as passlib and
/// Go's stringprep do.
///
/// NFKC uses current Unicode data except that the five code points changed by
/// normalization corrigenda since 3.2 keep their 3.2 mapping, and code points
/// unassigned in 3.2 are left untouched (as 3.2 NFKC would), so the result is
/// the Unicode 3.2 NFKC that RFC 3454 specifies.
///
/// An empty result is returned as `Ok("")`: callers such as PLAIN and SCRAM
/// must reject it themselves.
///
/// ```
/// use sasl_core::prep::{SaslprepMode, saslprep};
///
/// assert_eq!(saslprep("\u{2168}", SaslprepMode::Stored).unwrap(), "IX");
/// assert!(saslprep("\u{0221}", SaslprepMode::Stored).is_err());
/// assert_eq!(saslprep("\u{0221}", SaslprepMode::Query).unwrap(), "\u{0221}");
/// ```
pub fn saslprep(input: &str, mode: SaslprepMode) -> Result<Cow<'_, str>, PrepError> {
    // Printable ASCII is never mapped, changed by NFKC, prohibited or RTL.
    if all_ascii_in(input, 0x20) {
        return Ok(Cow::Borrowed(input));
    }

    // The input is often a password: every owned intermediate is zeroized on drop,
    // grows only through `push_zeroizing` (no reallocation leaves a copy behind), and
    // the result is moved, not copied, into the return value.

    // Step 1: mapping (RFC 4013 §2.1).
    let mut mapped = Zeroizing::new(String::with_capacity(input.len()));
    for c in input.chars() {
        if in_ranges(tables::SASL_MAP_TO_NOTHING, c) {
            continue;
        }
        if in_ranges(tables::SASL_NON_ASCII_SPACE, c) {
            push_zeroizing(&mut mapped, ' ');
        } else {
            push_zeroizing(&mut mapped, c);
        }
    }

    // Step 2: normalization (RFC 4013 §2.2).
    let mut prepared = nfkc_unicode_3_2(&mapped);
    drop(mapped);

    // Step 3: prohibited output (RFC 4013 §2.3).
    if let Some(i) = prepared
        .chars()
        .position(|c| in_ranges(tables::SASL_PROHIBITED, c))
    {
        return Err(err(PrepErrorKind::Prohibited, Some(i)));
    }

    // Step 4: bidirectional characters (RFC 4013 §2.4, RFC 3454 §6).
    check_bidi(&prepared)?;

    // Step 5: unassigned code points (RFC 4013 §2.5, RFC 3454 §7).
    if mode == SaslprepMode::Stored {
        if let Some(i) = prepared
            .chars()
            .position(|c| in_ranges(tables::SASL_UNASSIGNED, c))
        {
            return Err(err(PrepErrorKind::Unassigned, Some(i)));
        }
    }

    if *prepared == input {
        Ok(Cow::Borrowed(input))
    } else {
        Ok(Cow::Owned(core::mem::take(&mut *prepared)))
    }
}

fn err(kind: PrepErrorKind, position: Option<usize>) -> PrepError {
    PrepError::new(PROFILE, kind, position)
}

/// RFC 3454 §6: with any RandALCat character, no LCat character may occur and
/// the string must start and end with RandALCat.
fn check_bidi(s: &str) -> Result<(), PrepError> {
    let is_ral = |c: char| in_ranges(tables::SASL_RAND_AL_CAT, c);
    if !s.chars().any(is_ral) {
        return Ok(());
    }
    if let Some(i) = s.chars().position(|c| in_ranges(tables::SASL_L_CAT, c)) {
        return Err(err(PrepErrorKind::Bidi, Some(i)));
    }
    let first_ok = s.chars().next().is_some_and(is_ral);
    let last_ok = s.chars().next_back().is_some_and(is_ral);
    if !first_ok {
        return Err(err(PrepErrorKind::Bidi, Some(0)));
    }
    if !last_ok {
        return Err(err(PrepErrorKind::Bidi, s.chars().count().checked_sub(1)));
    }
    Ok(())
}

/// NFKC as of Unicode 3.2, computed with a current normalizer.
///
/// Normalization is stable for assigned characters apart from the
/// corrigenda listed in `SASL_NFKC_CORRIGENDA`, which are replaced by their
/// 3.2 result first. A code point unassigned in 3.2 behaves there as a starter
/// with no mapping, so it splits the string into independently normalized
/// segments and is copied unchanged.
fn nfkc_unicode_3_2(s: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    // Corrigenda never lengthen a character, so the segment never outgrows `s`.
    let mut segment = Zeroizing::new(String::with_capacity(s.len()));
    for c in s.chars() {
        if in_ranges(tables::SASL_UNASSIGNED, c) {
            for n in segment.nfkc() {
                push_zeroizing(&mut out, n);
            }
            segment.clear();
            push_zeroizing(&mut out, c);
        } else {
            push_zeroizing(&mut segment, corrigendum_3_2(c).unwrap_or(c));
        }
    }
    for n in segment.nfkc() {
        push_zeroizing(&mut out, n);
    }
    out
}

fn corrigendum_3_2(c: char) -> Option<char> {
    let cp = u32::from(c);
    tables::SASL_NFKC_CORRIGENDA
        .binary_search_by_key(&cp, |&(from, _)| from)
        .ok()
        .and_then(|i| tables::SASL_NFKC_CORRIGENDA.get(i))
        .and_then(|&(_, to)| char::from_u32(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str, mode: SaslprepMode) -> String {
        saslprep(s, mode).unwrap().into_owned()
    }

    fn kind(s: &str, mode: SaslprepMode) -> PrepErrorKind {
        saslprep(s, mode).unwrap_err().kind()
    }

    /// RFC 4013 §3 examples.
    #[test]
    fn rfc4013_examples() {
        use SaslprepMode::*;
        for mode in [Stored, Query] {
            assert_eq!(ok("I\u{00AD}X", mode), "IX");
            assert_eq!(ok("user", mode), "user");
            assert_eq!(ok("USER", mode), "USER");
            assert_eq!(ok("\u{00AA}", mode), "a");
            assert_eq!(ok("\u{2168}", mode), "IX");
            assert_eq!(kind("\u{0007}", mode), PrepErrorKind::Prohibited);
            assert_eq!(kind("\u{0627}\u{0031}", mode), PrepErrorKind::Bidi);
        }
    }

    #[test]
    fn borrowed_when_unchanged() {
        assert!(matches!(
            saslprep("pencil", SaslprepMode::Stored),
            Ok(Cow::Borrowed("pencil"))
        ));
        assert!(matches!(
            saslprep("ram\u{00F3}n", SaslprepMode::Stored),
            Ok(Cow::Borrowed(_))
        ));
        assert!(matches!(
            saslprep("ramo\u{0301}n", SaslprepMode::Stored),
            Ok(Cow::Owned(_))
        ));
    }

    #[test]
    fn push_zeroizing_grows_without_losing_content() {
        let mut s = Zeroizing::new(String::with_capacity(1));
        for c in "a\u{00E9}\u{20AC}\u{1F600}xyz".chars() {
            push_zeroizing(&mut s, c);
        }
        assert_eq!(s.as_str(), "a\u{00E9}\u{20AC}\u{1F600}xyz");
        let mut empty = Zeroizing::new(String::new());
        push_zeroizing(&mut empty, '\u{10FFFF}');
        assert_eq!(empty.as_str(), "\u{10FFFF}");
    }

    #[test]
    fn expanding_normalization_matches_plain_nfkc() {
        // NFKC of U+FDFA is 18 characters: the output outgrows the input buffer,
        // which must be regrown (and the old buffer zeroized) without changing it.
        let expected: String = "\u{FDFA}".nfkc().collect();
        assert_eq!(ok("\u{FDFA}", SaslprepMode::Stored), expected);
        let long = "\u{FDFA}\u{0221}\u{FDFA}";
        let expected: String = "\u{FDFA}"
            .nfkc()
            .chain(['\u{0221}'])
            .chain("\u{FDFA}".nfkc())
            .collect();
        assert_eq!(ok(long, SaslprepMode::Query), expected);
    }

    #[test]
    fn zero_width_space_is_removed() {
        assert_eq!(ok("a\u{200B}b", SaslprepMode::Stored), "ab");
    }

    #[test]
    fn unicode_3_2_nfkc() {
        // Corrigendum: U+2F868 mapped to U+2136A in Unicode 3.2.
        assert_eq!(ok("\u{2F868}", SaslprepMode::Stored), "\u{2136A}");
        // U+1F100 DIGIT ZERO FULL STOP was unassigned in 3.2: kept as is.
        assert_eq!(ok("\u{1F100}", SaslprepMode::Query), "\u{1F100}");
        assert_eq!(
            kind("\u{1F100}", SaslprepMode::Stored),
            PrepErrorKind::Unassigned
        );
        // U+1DCA (ccc 220, unassigned in 3.2) blocks composition there,
        // though a current normalizer would compose e + U+0301 across it.
        assert_eq!(
            ok("e\u{1DCA}\u{0301}", SaslprepMode::Query),
            "e\u{1DCA}\u{0301}"
        );
        assert_eq!(
            ok("e\u{0301}\u{0221}", SaslprepMode::Query),
            "\u{00E9}\u{0221}"
        );
    }

    #[test]
    fn bidi_positions() {
        let e = saslprep("\u{0627}a\u{0628}", SaslprepMode::Query).unwrap_err();
        assert_eq!((e.kind(), e.position()), (PrepErrorKind::Bidi, Some(1)));
        assert_eq!(
            ok("\u{0627}\u{0031}\u{0628}", SaslprepMode::Stored),
            "\u{0627}1\u{0628}"
        );
    }
}
