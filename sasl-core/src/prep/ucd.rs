//! Typed lookups over the generated Unicode tables in `tables.rs`.
//!
//! Every table is sorted, so each lookup is a binary search.

use core::cmp::Ordering;

use super::tables;

/// PRECIS derived property of a code point (RFC 8264 §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prop {
    /// Valid in every string class.
    Pvalid,
    /// Valid in FreeformClass only ("ID_DIS or FREE_PVAL").
    FreePval,
    /// Join control; valid only where its contextual rule holds.
    ContextJ,
    /// Valid only where its contextual rule holds.
    ContextO,
    /// Never valid.
    Disallowed,
    /// Not assigned in the Unicode version of the tables.
    Unassigned,
}

/// Bidi_Class values that the Bidi Rule (RFC 5893 §2) tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bidi {
    L,
    R,
    Al,
    An,
    En,
    Es,
    Cs,
    Et,
    On,
    Bn,
    Nsm,
    /// Any class the Bidi Rule never allows (B, S, WS, LRE, ...).
    Other,
}

/// Joining_Type values used by the ZERO WIDTH NON-JOINER rule (RFC 5892 A.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JoinType {
    Left,
    Right,
    Dual,
    Transparent,
}

/// Whether `c` lies in one of the sorted inclusive `ranges`.
pub(crate) fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                Ordering::Less
            } else if lo > cp {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// Value of the run containing `cp` in a `(first code point, value)` table.
fn run_value<T: Copy>(runs: &[(u32, T)], cp: u32, fallback: T) -> T {
    let after = runs.partition_point(|&(start, _)| start <= cp);
    after
        .checked_sub(1)
        .and_then(|i| runs.get(i))
        .map_or(fallback, |&(_, v)| v)
}

/// PRECIS derived property (Unicode 14.0 data).
pub(crate) fn precis_property(c: char) -> Prop {
    run_value(tables::PRECIS_PROPERTY, u32::from(c), Prop::Disallowed)
}

/// Bidi class (Unicode 14.0 data; meaningless for unassigned code points).
pub(crate) fn bidi_class(c: char) -> Bidi {
    run_value(tables::BIDI_CLASS, u32::from(c), Bidi::Other)
}

/// Target of the PRECIS width mapping rule, if `c` is a fullwidth or
/// halfwidth character.
pub(crate) fn width_map(c: char) -> Option<char> {
    let cp = u32::from(c);
    tables::WIDTH_MAP
        .binary_search_by_key(&cp, |&(from, _)| from)
        .ok()
        .and_then(|i| tables::WIDTH_MAP.get(i))
        .and_then(|&(_, to)| char::from_u32(to))
}

/// Joining_Type of `c`, or `None` for the types the ZWNJ rule ignores
/// (U, C).
pub(crate) fn join_type(c: char) -> Option<JoinType> {
    let cp = u32::from(c);
    tables::JOINING_TYPE
        .binary_search_by(|&(lo, hi, _)| {
            if hi < cp {
                Ordering::Less
            } else if lo > cp {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .ok()
        .and_then(|i| tables::JOINING_TYPE.get(i))
        .map(|&(_, _, t)| t)
}

/// Canonical_Combining_Class is Virama (9).
pub(crate) fn is_virama(c: char) -> bool {
    in_ranges(tables::VIRAMA, c)
}

/// Script is Greek.
pub(crate) fn is_greek(c: char) -> bool {
    in_ranges(tables::SCRIPT_GREEK, c)
}

/// Script is Hebrew.
pub(crate) fn is_hebrew(c: char) -> bool {
    in_ranges(tables::SCRIPT_HEBREW, c)
}

/// Script is Hiragana, Katakana or Han.
pub(crate) fn is_hiragana_katakana_han(c: char) -> bool {
    in_ranges(tables::SCRIPT_HIRAGANA_KATAKANA_HAN, c)
}

/// General_Category Zs other than U+0020 (OpaqueString additional mapping).
pub(crate) fn is_precis_non_ascii_space(c: char) -> bool {
    in_ranges(tables::PRECIS_NON_ASCII_SPACE, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_disjoint() {
        let range_tables: [&[(u32, u32)]; 11] = [
            tables::SASL_UNASSIGNED,
            tables::SASL_MAP_TO_NOTHING,
            tables::SASL_NON_ASCII_SPACE,
            tables::SASL_PROHIBITED,
            tables::SASL_RAND_AL_CAT,
            tables::SASL_L_CAT,
            tables::PRECIS_NON_ASCII_SPACE,
            tables::VIRAMA,
            tables::SCRIPT_GREEK,
            tables::SCRIPT_HEBREW,
            tables::SCRIPT_HIRAGANA_KATAKANA_HAN,
        ];
        for t in range_tables {
            assert!(!t.is_empty());
            for &(lo, hi) in t {
                assert!(lo <= hi);
            }
            for w in t.windows(2) {
                assert!(w[0].1 < w[1].0, "{w:x?}");
            }
        }
        for pairs in [tables::SASL_NFKC_CORRIGENDA, tables::WIDTH_MAP] {
            for w in pairs.windows(2) {
                assert!(w[0].0 < w[1].0);
            }
        }
        for w in tables::PRECIS_PROPERTY.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 != w[1].1);
        }
        for w in tables::BIDI_CLASS.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 != w[1].1);
        }
        for w in tables::JOINING_TYPE.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0);
        }
        assert_eq!(tables::PRECIS_PROPERTY[0].0, 0);
        assert_eq!(tables::BIDI_CLASS[0].0, 0);
    }

    #[test]
    fn spot_checks() {
        assert_eq!(precis_property('a'), Prop::Pvalid);
        assert_eq!(precis_property(' '), Prop::FreePval);
        assert_eq!(precis_property('\u{00B7}'), Prop::ContextO);
        assert_eq!(precis_property('\u{200D}'), Prop::ContextJ);
        assert_eq!(precis_property('\u{0640}'), Prop::Disallowed);
        assert_eq!(precis_property('\u{0378}'), Prop::Unassigned);
        assert_eq!(precis_property('\u{FFFF}'), Prop::Disallowed);
        assert_eq!(precis_property('\u{10FFFF}'), Prop::Disallowed);
        assert_eq!(bidi_class('a'), Bidi::L);
        assert_eq!(bidi_class('1'), Bidi::En);
        assert_eq!(bidi_class('\u{05D0}'), Bidi::R);
        assert_eq!(bidi_class('\u{0627}'), Bidi::Al);
        assert_eq!(bidi_class('\u{0660}'), Bidi::An);
        assert_eq!(bidi_class('\u{0301}'), Bidi::Nsm);
        assert_eq!(bidi_class(' '), Bidi::Other);
        assert_eq!(width_map('\u{FF21}'), Some('A'));
        assert_eq!(width_map('A'), None);
        assert_eq!(join_type('\u{0628}'), Some(JoinType::Dual));
        assert_eq!(join_type('\u{0627}'), Some(JoinType::Right));
        assert_eq!(join_type('a'), None);
        assert!(is_virama('\u{094D}'));
        assert!(is_greek('\u{03B1}'));
        assert!(is_hebrew('\u{05D0}'));
        assert!(is_hiragana_katakana_han('\u{4E00}'));
        assert!(is_precis_non_ascii_space('\u{3000}'));
        assert!(!is_precis_non_ascii_space(' '));
    }
}
