//! PRECIS (RFC 8264) enforcement for the RFC 8265 profiles.

use std::borrow::Cow;

use unicode_normalization::{UnicodeNormalization, is_nfc};
use zeroize::Zeroizing;

use super::ucd::{self, Bidi, JoinType, Prop};
use super::{PrepError, PrepErrorKind, all_ascii_in, push_zeroizing};

/// A PRECIS profile from RFC 8265.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrecisProfile {
    /// User names compared case-insensitively (RFC 8265 §3.3):
    /// IdentifierClass, width mapping, lowercasing, NFC, Bidi Rule.
    UsernameCaseMapped,
    /// User names compared case-sensitively (RFC 8265 §3.4): as
    /// [`UsernameCaseMapped`](Self::UsernameCaseMapped) without lowercasing.
    UsernameCasePreserved,
    /// Passwords and other opaque strings (RFC 8265 §4.2): FreeformClass,
    /// non-ASCII spaces mapped to U+0020, NFC.
    OpaqueString,
}

/// Applications of the profile rules beyond the first before giving up
/// (RFC 8264 §7 suggests three).
const EXTRA_PASSES: usize = 3;

impl PrecisProfile {
    /// The profile's name as registered with IANA, e.g.
    /// `"UsernameCaseMapped"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::UsernameCaseMapped => "UsernameCaseMapped",
            Self::UsernameCasePreserved => "UsernameCasePreserved",
            Self::OpaqueString => "OpaqueString",
        }
    }

    /// Enforces the profile on `input` (RFC 8264 §7 rule order).
    ///
    /// The mapping rules, normalization and directionality rule are applied
    /// and re-applied until the result is stable; the result must not be
    /// empty; finally every code point must be valid in the profile's string
    /// class (checked on the mapped and normalized result, as RFC 8264 orders
    /// it). For the username profiles the input is a single *userpart*: a
    /// space is disallowed.
    ///
    /// Returns the input borrowed when it is already in enforced form.
    ///
    /// ```
    /// use sasl_core::prep::PrecisProfile;
    ///
    /// let p = PrecisProfile::UsernameCaseMapped;
    /// assert_eq!(p.enforce("\u{212A}evin").unwrap(), "kevin");
    /// assert_eq!(p.enforce("\u{03A3}\u{03A3}").unwrap(), "\u{03C3}\u{03C2}");
    /// assert!(p.enforce("henry\u{2163}").is_err());
    /// assert_eq!(
    ///     PrecisProfile::OpaqueString.enforce("foo\u{1680}bar").unwrap(),
    ///     "foo bar"
    /// );
    /// ```
    pub fn enforce<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, PrepError> {
        if input.is_empty() {
            return Err(self.err(PrepErrorKind::Empty, None));
        }
        // Printable ASCII needs no mapping (bar ASCII lowercasing), is NFC,
        // has no RTL characters, and is valid in both classes; only SPACE is
        // outside IdentifierClass.
        let ascii_floor = match self {
            Self::OpaqueString => 0x20,
            Self::UsernameCaseMapped | Self::UsernameCasePreserved => 0x21,
        };
        if all_ascii_in(input, ascii_floor) {
            return Ok(match self {
                Self::UsernameCaseMapped if input.bytes().any(|b| b.is_ascii_uppercase()) => {
                    Cow::Owned(input.to_ascii_lowercase())
                }
                _ => Cow::Borrowed(input),
            });
        }

        // A code point unassigned in our Unicode version is left alone by
        // every rule and so always fails the final class check. Rejecting it
        // up front keeps the newer case-mapping and normalization data of
        // the standard library and `unicode-normalization` from turning it
        // into an assigned character.
        if let Some(i) = input
            .chars()
            .position(|c| ucd::precis_property(c) == Prop::Unassigned)
        {
            return Err(self.err(PrepErrorKind::Unassigned, Some(i)));
        }

        // The input may be a password (OpaqueString): every owned intermediate
        // is zeroized on drop, including on the error paths, and the result is
        // moved, not copied, into the return value.
        let mut value: Option<Zeroizing<String>> = None;
        let mut stable = false;
        for _ in 0..=EXTRA_PASSES {
            match self.apply_rules(value.as_deref().map_or(input, String::as_str))? {
                None => {
                    stable = true;
                    break;
                }
                Some(next) => value = Some(next),
            }
        }
        if !stable {
            return Err(self.err(PrepErrorKind::NotStable, None));
        }
        let current = value.as_deref().map_or(input, String::as_str);
        if current.is_empty() {
            return Err(self.err(PrepErrorKind::Empty, None));
        }
        self.check_class(current)?;
        Ok(match value {
            None => Cow::Borrowed(input),
            Some(mut owned) => Cow::Owned(core::mem::take(&mut *owned)),
        })
    }

    fn err(&self, kind: PrepErrorKind, position: Option<usize>) -> PrepError {
        PrepError::new(self.name(), kind, position)
    }

    fn is_username(&self) -> bool {
        matches!(self, Self::UsernameCaseMapped | Self::UsernameCasePreserved)
    }

    /// Applies rules 1-5 of RFC 8264 §7 once; `None` means `s` is unchanged.
    ///
    /// Every intermediate string is zeroized when replaced or dropped.
    fn apply_rules(&self, s: &str) -> Result<Option<Zeroizing<String>>, PrepError> {
        // `None`: still `s` itself.
        let mut owned: Option<Zeroizing<String>> = None;
        macro_rules! cur {
            () => {
                owned.as_deref().map_or(s, String::as_str)
            };
        }

        // 1. Width mapping: to the <wide>/<narrow> decomposition mapping, as
        // RFC 8265 words it. (precis_i18n uses NFKC instead, which differs
        // only for halfwidth Hangul jamo: it yields conjoining jamo, we yield
        // compatibility jamo, which IdentifierClass disallows.)
        if self.is_username() && cur!().chars().any(|c| ucd::width_map(c).is_some()) {
            owned = Some(map_chars(cur!(), |c| ucd::width_map(c).unwrap_or(c)));
        }
        // 2. Additional mapping.
        if *self == Self::OpaqueString && cur!().chars().any(ucd::is_precis_non_ascii_space) {
            owned = Some(map_chars(cur!(), |c| {
                if ucd::is_precis_non_ascii_space(c) {
                    ' '
                } else {
                    c
                }
            }));
        }
        // 3. Case mapping: Unicode toLowerCase, Final_Sigma included. (Username
        // profiles only: std's `to_lowercase` may reallocate its buffer when the
        // lowercase form is longer, which a user name can afford.)
        if *self == Self::UsernameCaseMapped {
            let lower = Zeroizing::new(cur!().to_lowercase());
            if *lower != cur!() {
                owned = Some(lower);
            }
        }
        // 4. Normalization.
        if !is_nfc(cur!()) {
            let mut nfc = Zeroizing::new(String::with_capacity(cur!().len()));
            for c in cur!().nfc() {
                push_zeroizing(&mut nfc, c);
            }
            owned = Some(nfc);
        }
        // 5. Directionality: the Bidi Rule, only for strings with RTL
        // characters.
        if self.is_username() && has_rtl(cur!()) && !bidi_rule(cur!()) {
            return Err(self.err(PrepErrorKind::Bidi, None));
        }

        Ok(owned.filter(|next| next.as_str() != s))
    }

    /// Rule 6: every code point must be valid in the string class.
    fn check_class(&self, s: &str) -> Result<(), PrepError> {
        // A copy of the (possibly secret) string: sized up front, zeroized on drop.
        let mut chars = Zeroizing::new(Vec::with_capacity(s.chars().count()));
        chars.extend(s.chars());
        let mut rules = ContextRules::new(&chars);
        for (i, &c) in chars.iter().enumerate() {
            match ucd::precis_property(c) {
                Prop::Pvalid => {}
                Prop::FreePval if *self == Self::OpaqueString => {}
                Prop::ContextJ | Prop::ContextO => {
                    if !rules.holds(i) {
                        return Err(self.err(PrepErrorKind::ContextRule, Some(i)));
                    }
                }
                Prop::Unassigned => return Err(self.err(PrepErrorKind::Unassigned, Some(i))),
                Prop::FreePval | Prop::Disallowed => {
                    return Err(self.err(PrepErrorKind::Disallowed, Some(i)));
                }
            }
        }
        Ok(())
    }
}

/// `src` with `f` applied to every character, in a zeroize-on-drop string.
fn map_chars(src: &str, f: impl Fn(char) -> char) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(src.len()));
    for c in src.chars() {
        push_zeroizing(&mut out, f(c));
    }
    out
}

/// The contextual rules of RFC 5892 Appendix A over one string, in time linear
/// in its length.
///
/// Three rules depend on the whole string (KATAKANA MIDDLE DOT and the two
/// sets of Arabic-Indic digits): their facts are gathered in one pass, the
/// first time one of them is needed, rather than rescanned for every such code
/// point, which made a string full of them quadratic to check. The ZWNJ rule
/// looks past transparent code points on both sides; both of its scans resume
/// where the previous query left them, so when positions are asked in
/// increasing order (as [`PrecisProfile::check_class`] does) every code point
/// is visited a bounded number of times, whatever the joining types. Every
/// other rule looks only at the code point's neighbours.
struct ContextRules<'a> {
    chars: &'a [char],
    /// Computed on first use: most strings have no code point that needs it.
    whole: Option<WholeString>,
    /// `chars[..left_end]` have been folded into `left_join`.
    left_end: usize,
    /// Joining type of the last non-transparent code point in
    /// `chars[..left_end]`; `None` if there is none or it joins neither way.
    left_join: Option<JoinType>,
    /// The last rightward scan: it started at `start` and found every code
    /// point of `chars[start..found]` transparent, and `chars[found]` (if any)
    /// not, with joining type `join`.
    right: Option<RightScan>,
}

/// Facts about the whole string that some contextual rules consult.
#[derive(Clone, Copy)]
struct WholeString {
    /// Some code point is Hiragana, Katakana or Han (for U+30FB).
    hiragana_katakana_han: bool,
    /// Some code point is in ARABIC-INDIC DIGITS U+0660..U+0669.
    arabic_indic: bool,
    /// Some code point is in EXTENDED ARABIC-INDIC DIGITS U+06F0..U+06F9.
    extended_arabic_indic: bool,
}

/// See [`ContextRules::right`].
#[derive(Clone, Copy)]
struct RightScan {
    start: usize,
    found: usize,
    join: Option<JoinType>,
}

const ARABIC_INDIC_DIGITS: core::ops::RangeInclusive<char> = '\u{0660}'..='\u{0669}';
const EXTENDED_ARABIC_INDIC_DIGITS: core::ops::RangeInclusive<char> = '\u{06F0}'..='\u{06F9}';

impl WholeString {
    fn of(chars: &[char]) -> Self {
        let mut facts = Self {
            hiragana_katakana_han: false,
            arabic_indic: false,
            extended_arabic_indic: false,
        };
        for &c in chars {
            // The script lookup is a binary search; the digit tests are not.
            facts.arabic_indic |= ARABIC_INDIC_DIGITS.contains(&c);
            facts.extended_arabic_indic |= EXTENDED_ARABIC_INDIC_DIGITS.contains(&c);
            if !facts.hiragana_katakana_han {
                facts.hiragana_katakana_han = ucd::is_hiragana_katakana_han(c);
            }
        }
        facts
    }
}

/// Joining_Type T: skipped when looking for a ZWNJ's joining neighbours.
fn is_transparent(c: char) -> bool {
    ucd::join_type(c) == Some(JoinType::Transparent)
}

impl<'a> ContextRules<'a> {
    fn new(chars: &'a [char]) -> Self {
        Self {
            chars,
            whole: None,
            left_end: 0,
            left_join: None,
            right: None,
        }
    }

    fn whole(&mut self) -> WholeString {
        *self
            .whole
            .get_or_insert_with(|| WholeString::of(self.chars))
    }

    /// Whether the rule for `chars[i]` holds. A rule that needs a neighbour
    /// which does not exist fails; a code point without a rule never holds.
    fn holds(&mut self, i: usize) -> bool {
        let chars = self.chars;
        let Some(&c) = chars.get(i) else {
            return false;
        };
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        match c {
            // ZERO WIDTH NON-JOINER: after a virama, or inside a cursive joining
            // context (L|D) T* ZWNJ T* (R|D).
            '\u{200C}' => before.is_some_and(ucd::is_virama) || self.in_joining_context(i),
            // ZERO WIDTH JOINER: after a virama.
            '\u{200D}' => before.is_some_and(ucd::is_virama),
            // MIDDLE DOT: only between two 'l' (Catalan ela geminada).
            '\u{00B7}' => before == Some('l') && after == Some('l'),
            // GREEK LOWER NUMERAL SIGN: followed by a Greek character.
            '\u{0375}' => after.is_some_and(ucd::is_greek),
            // HEBREW PUNCTUATION GERESH and GERSHAYIM: preceded by Hebrew.
            '\u{05F3}' | '\u{05F4}' => before.is_some_and(ucd::is_hebrew),
            // KATAKANA MIDDLE DOT: the string has some Hiragana, Katakana or Han.
            '\u{30FB}' => self.whole().hiragana_katakana_han,
            // The two sets of Arabic-Indic digits must not be mixed.
            '\u{0660}'..='\u{0669}' => !self.whole().extended_arabic_indic,
            '\u{06F0}'..='\u{06F9}' => !self.whole().arabic_indic,
            // A contextual code point without a rule is never valid.
            _ => false,
        }
    }

    /// (L|D) T* at `i` T* (R|D).
    fn in_joining_context(&mut self, i: usize) -> bool {
        matches!(self.join_left_of(i), Some(JoinType::Left | JoinType::Dual))
            && matches!(
                self.join_right_of(i),
                Some(JoinType::Right | JoinType::Dual)
            )
    }

    /// Joining type of the nearest non-transparent code point before `i`.
    fn join_left_of(&mut self, i: usize) -> Option<JoinType> {
        if i < self.left_end {
            // Asked out of order: fold again from the start (correct, not linear).
            self.left_end = 0;
            self.left_join = None;
        }
        for &c in self.chars.get(self.left_end..i).into_iter().flatten() {
            let join = ucd::join_type(c);
            if join != Some(JoinType::Transparent) {
                self.left_join = join;
            }
        }
        self.left_end = i;
        self.left_join
    }

    /// Joining type of the nearest non-transparent code point after `i`.
    fn join_right_of(&mut self, i: usize) -> Option<JoinType> {
        let from = i + 1;
        // The previous scan answers for any `from` in `start..=found`: only
        // transparent code points lie between `from` and `found`.
        if let Some(scan) = self.right.filter(|r| r.start <= from && from <= r.found) {
            return scan.join;
        }
        let tail = self.chars.get(from..).unwrap_or_default();
        let offset = tail
            .iter()
            .position(|&c| !is_transparent(c))
            .unwrap_or(tail.len());
        let scan = RightScan {
            start: from,
            found: from + offset,
            join: tail.get(offset).copied().and_then(ucd::join_type),
        };
        self.right = Some(scan);
        scan.join
    }
}

/// Whether the string has a character of Bidi class R, AL or AN, which makes
/// the Bidi Rule apply (RFC 8265 §3.3.5 via RFC 5893).
fn has_rtl(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(ucd::bidi_class(c), Bidi::R | Bidi::Al | Bidi::An))
}

/// The Bidi Rule of RFC 5893 §2, with the whole string as the "label".
fn bidi_rule(s: &str) -> bool {
    use Bidi::*;
    let rtl = match s.chars().next().map(ucd::bidi_class) {
        Some(L) => false,
        Some(R | Al) => true,
        _ => return false,
    };
    // Conditions 2 and 5: allowed classes.
    let allowed = |b: Bidi| {
        if rtl {
            matches!(b, R | Al | An | En | Es | Cs | Et | On | Bn | Nsm)
        } else {
            matches!(b, L | En | Es | Cs | Et | On | Bn | Nsm)
        }
    };
    if !s.chars().all(|c| allowed(ucd::bidi_class(c))) {
        return false;
    }
    // Conditions 3 and 6: the last non-NSM character.
    let end_ok = s
        .chars()
        .rev()
        .map(ucd::bidi_class)
        .find(|&b| b != Nsm)
        .is_some_and(|b| {
            if rtl {
                matches!(b, R | Al | En | An)
            } else {
                matches!(b, L | En)
            }
        });
    if !end_ok {
        return false;
    }
    // Condition 4: EN and AN not both present in an RTL string.
    if rtl {
        let has = |want: Bidi| s.chars().any(|c| ucd::bidi_class(c) == want);
        if has(En) && has(An) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    use PrecisProfile::*;

    fn ok(p: PrecisProfile, s: &str) -> String {
        p.enforce(s).unwrap().into_owned()
    }

    fn kind(p: PrecisProfile, s: &str) -> PrepErrorKind {
        p.enforce(s).unwrap_err().kind()
    }

    /// RFC 8265 §3.5 Table 1 (valid userparts) and Table 2 (invalid).
    #[test]
    fn rfc8265_username_examples() {
        for p in [UsernameCaseMapped, UsernameCasePreserved] {
            assert_eq!(ok(p, "juliet@example.com"), "juliet@example.com");
            assert_eq!(ok(p, "fussball"), "fussball");
            assert_eq!(ok(p, "fu\u{00DF}ball"), "fu\u{00DF}ball");
            assert_eq!(ok(p, "\u{03C0}"), "\u{03C0}");
            assert_eq!(ok(p, "\u{03C3}"), "\u{03C3}");
            assert_eq!(ok(p, "\u{03C2}"), "\u{03C2}");
            assert_eq!(kind(p, "foo bar"), PrepErrorKind::Disallowed);
            assert_eq!(kind(p, ""), PrepErrorKind::Empty);
            assert_eq!(kind(p, "henry\u{2163}"), PrepErrorKind::Disallowed);
            assert_eq!(kind(p, "\u{221E}"), PrepErrorKind::Disallowed);
        }
        // #5: capital sigma is lowercased by the case-mapped profile only.
        assert_eq!(ok(UsernameCaseMapped, "\u{03A3}"), "\u{03C3}");
        assert_eq!(ok(UsernameCasePreserved, "\u{03A3}"), "\u{03A3}");
        let e = UsernameCaseMapped.enforce("henry\u{2163}").unwrap_err();
        assert_eq!(e.position(), Some(5));
    }

    /// RFC 8265 §4.4 Table 3 (valid passwords) and Table 4 (invalid).
    #[test]
    fn rfc8265_password_examples() {
        let p = OpaqueString;
        assert_eq!(
            ok(p, "correct horse battery staple"),
            "correct horse battery staple"
        );
        assert_eq!(
            ok(p, "Correct Horse Battery Staple"),
            "Correct Horse Battery Staple"
        );
        assert_eq!(
            ok(p, "\u{03C0}\u{00DF}\u{00E5}"),
            "\u{03C0}\u{00DF}\u{00E5}"
        );
        assert_eq!(ok(p, "Jack of \u{2666}s"), "Jack of \u{2666}s");
        assert_eq!(ok(p, "foo\u{1680}bar"), "foo bar");
        assert_eq!(kind(p, ""), PrepErrorKind::Empty);
        assert_eq!(kind(p, "my cat is a \u{0009}by"), PrepErrorKind::Disallowed);
    }

    #[test]
    fn ascii_fast_path_borrows() {
        assert!(matches!(
            UsernameCaseMapped.enforce("juliet"),
            Ok(Cow::Borrowed("juliet"))
        ));
        assert!(matches!(
            UsernameCaseMapped.enforce("Juliet"),
            Ok(Cow::Owned(s)) if s == "juliet"
        ));
        assert!(matches!(
            OpaqueString.enforce("pass word"),
            Ok(Cow::Borrowed(_))
        ));
        assert!(matches!(
            UsernameCasePreserved.enforce("\u{00E9}t\u{00E9}"),
            Ok(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn owned_results_are_unchanged_by_zeroizing_intermediates() {
        // Several rules firing in one pass, and a result built over several owned
        // intermediates (width map, case map, NFC).
        assert_eq!(ok(UsernameCaseMapped, "\u{FF2A}ULIET"), "juliet");
        assert_eq!(
            ok(UsernameCaseMapped, "A\u{030A}ngstr\u{00F6}m"),
            "\u{00E5}ngstr\u{00F6}m"
        );
        assert_eq!(ok(OpaqueString, "e\u{0301}\u{3000}x"), "\u{00E9} x");
        assert!(matches!(
            OpaqueString.enforce("\u{00E9}t\u{00E9}"),
            Ok(Cow::Borrowed(_))
        ));
        // An uppercase letter with a longer lowercase form (U+0130) maps as std
        // lowercasing plus NFC does.
        let reference: String = "x\u{0130}".to_lowercase().nfc().collect();
        assert_eq!(reference, "xi\u{0307}");
        assert_eq!(ok(UsernameCaseMapped, "x\u{0130}"), reference);
    }

    #[test]
    fn contextual_rules() {
        let p = UsernameCasePreserved;
        assert_eq!(ok(p, "l\u{00B7}l"), "l\u{00B7}l");
        assert_eq!(kind(p, "a\u{00B7}l"), PrepErrorKind::ContextRule);
        assert_eq!(kind(p, "\u{00B7}"), PrepErrorKind::ContextRule);
        assert_eq!(ok(UsernameCaseMapped, "L\u{00B7}L"), "l\u{00B7}l");
        assert_eq!(ok(p, "\u{0375}\u{03B1}"), "\u{0375}\u{03B1}");
        assert_eq!(kind(p, "\u{0375}a"), PrepErrorKind::ContextRule);
        assert_eq!(ok(p, "\u{05D0}\u{05F3}"), "\u{05D0}\u{05F3}");
        assert_eq!(kind(OpaqueString, "a\u{05F3}"), PrepErrorKind::ContextRule);
        assert_eq!(ok(p, "\u{30A2}\u{30FB}"), "\u{30A2}\u{30FB}");
        assert_eq!(kind(p, "a\u{30FB}"), PrepErrorKind::ContextRule);
        assert_eq!(
            ok(p, "\u{0915}\u{094D}\u{200D}"),
            "\u{0915}\u{094D}\u{200D}"
        );
        assert_eq!(kind(p, "a\u{200D}"), PrepErrorKind::ContextRule);
        // BEH, ZWNJ, BEH: dual-joining on both sides.
        assert_eq!(
            ok(p, "\u{0628}\u{200C}\u{0628}"),
            "\u{0628}\u{200C}\u{0628}"
        );
        // ALEF is right-joining, so it cannot precede the ZWNJ.
        assert_eq!(
            kind(p, "\u{0627}\u{200C}\u{0628}"),
            PrepErrorKind::ContextRule
        );
        assert_eq!(ok(OpaqueString, "\u{0660}\u{0661}"), "\u{0660}\u{0661}");
        assert_eq!(
            kind(OpaqueString, "\u{0660}\u{06F1}"),
            PrepErrorKind::ContextRule
        );
    }

    /// Long strings for the contextual rules that look past a code point's
    /// neighbours. The results are those of the per-code-point implementation
    /// that rescanned the whole string (kept as `oracle` below).
    #[test]
    fn contextual_rules_on_long_inputs() {
        let p = UsernameCasePreserved;
        let n = 5000;
        let repeat = |c: char, k: usize| -> String { std::iter::repeat_n(c, k).collect() };
        let err = |p: PrecisProfile, s: &str| {
            let e = p.enforce(s).unwrap_err();
            (e.kind(), e.position())
        };
        let context = |i: usize| (PrepErrorKind::ContextRule, Some(i));

        // KATAKANA MIDDLE DOTs with a single Katakana letter at the far end.
        let dots_kana = repeat('\u{30FB}', n) + "\u{30A2}";
        assert_eq!(ok(p, &dots_kana), dots_kana);
        let kana_dots = String::from("\u{30A2}") + &repeat('\u{30FB}', n);
        assert_eq!(ok(UsernameCaseMapped, &kana_dots), kana_dots);
        // No Hiragana, Katakana or Han anywhere: the first dot fails.
        assert_eq!(err(p, &(repeat('\u{30FB}', n) + "a")), context(0));
        assert_eq!(
            err(p, &(String::from("x") + &repeat('\u{30FB}', n))),
            context(1)
        );

        // Arabic-Indic digits (after a letter, for the Bidi Rule of the user names).
        let digits: String = ('\u{0660}'..='\u{0669}').cycle().take(n).collect();
        let beh_digits = String::from("\u{0628}") + &digits;
        assert_eq!(ok(UsernameCaseMapped, &beh_digits), beh_digits);
        let extended: String = ('\u{06F0}'..='\u{06F9}').cycle().take(n).collect();
        assert_eq!(ok(OpaqueString, &extended), extended);
        // One digit of the other set at the far end spoils the first digit.
        assert_eq!(
            err(OpaqueString, &(digits.clone() + "\u{06F5}")),
            context(0)
        );
        assert_eq!(
            err(OpaqueString, &(extended.clone() + "\u{0665}")),
            context(0)
        );
        assert_eq!(
            err(OpaqueString, &(String::from("ab") + &digits + "\u{06F0}")),
            context(2)
        );
        // For a user name the mix is already an EN/AN mix for the Bidi Rule.
        assert_eq!(
            err(UsernameCaseMapped, &(beh_digits.clone() + "\u{06F0}")),
            (PrepErrorKind::Bidi, None)
        );

        // ZWNJ in a cursive joining context: (BEH FATHATAN ZWNJ)* BEH.
        let blocks = |k: usize| -> String { "\u{0628}\u{064B}\u{200C}".repeat(k) };
        let joined = blocks(n) + "\u{0628}";
        assert_eq!(ok(p, &joined), joined);
        // An ALEF (right-joining) before the ZWNJ of block 1000 breaks that ZWNJ only.
        let alef = blocks(1000) + "\u{0627}\u{064B}\u{200C}" + &blocks(n) + "\u{0628}";
        assert_eq!(err(p, &alef), context(3 * 1000 + 2));
        // The string ends in transparent code points after the last ZWNJ (a
        // password: for a user name the Bidi Rule rejects the trailing ZWNJ first).
        let trailing = blocks(n) + "\u{064B}";
        assert_eq!(err(OpaqueString, &trailing), context(3 * n - 1));
        assert_eq!(err(p, &trailing), (PrepErrorKind::Bidi, None));
        // Long transparent runs on both sides of a single ZWNJ.
        let runs = String::from("\u{0628}")
            + &repeat('\u{064B}', n)
            + "\u{200C}"
            + &repeat('\u{064B}', n)
            + "\u{0628}";
        assert_eq!(ok(p, &runs), runs);
        // ZWNJs separated only by transparent code points: the second ZWNJ (not
        // transparent) is the right neighbour of the first.
        let zwnj_runs = String::from("\u{0628}") + &"\u{200C}\u{064B}".repeat(n) + "\u{0628}";
        assert_eq!(err(p, &zwnj_runs), context(1));
        // After a virama, ZWNJ and ZWJ need no joining context.
        let virama = "\u{0915}\u{094D}\u{200C}\u{0915}\u{094D}\u{200D}".repeat(n);
        assert_eq!(ok(UsernameCaseMapped, &virama), virama);
    }

    /// The contextual rules as first written: one rule per call, rescanning the
    /// string as the rule says (quadratic over a whole string). Kept as the
    /// reference that [`ContextRules`] must agree with.
    mod oracle {
        use super::super::ucd::{self, JoinType, Prop};

        pub(super) fn context_rule_holds(chars: &[char], i: usize) -> bool {
            let Some(&c) = chars.get(i) else {
                return false;
            };
            let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let after = chars.get(i + 1).copied();
            match c {
                '\u{200C}' => before.is_some_and(ucd::is_virama) || in_joining_context(chars, i),
                '\u{200D}' => before.is_some_and(ucd::is_virama),
                '\u{00B7}' => before == Some('l') && after == Some('l'),
                '\u{0375}' => after.is_some_and(ucd::is_greek),
                '\u{05F3}' | '\u{05F4}' => before.is_some_and(ucd::is_hebrew),
                '\u{30FB}' => chars.iter().any(|&x| ucd::is_hiragana_katakana_han(x)),
                '\u{0660}'..='\u{0669}' => {
                    !chars.iter().any(|x| ('\u{06F0}'..='\u{06F9}').contains(x))
                }
                '\u{06F0}'..='\u{06F9}' => {
                    !chars.iter().any(|x| ('\u{0660}'..='\u{0669}').contains(x))
                }
                _ => false,
            }
        }

        fn in_joining_context(chars: &[char], i: usize) -> bool {
            let not_transparent = |c: &&char| ucd::join_type(**c) != Some(JoinType::Transparent);
            let before_ok = chars.get(..i).is_some_and(|head| {
                head.iter().rev().find(not_transparent).is_some_and(|&c| {
                    matches!(ucd::join_type(c), Some(JoinType::Left | JoinType::Dual))
                })
            });
            let after_ok = chars.get(i + 1..).is_some_and(|tail| {
                tail.iter().find(not_transparent).is_some_and(|&c| {
                    matches!(ucd::join_type(c), Some(JoinType::Right | JoinType::Dual))
                })
            });
            before_ok && after_ok
        }

        /// `check_class` with these rules: the first code point that is not
        /// valid, with the reason.
        pub(super) fn check_class(
            p: super::PrecisProfile,
            chars: &[char],
        ) -> Result<(), (super::PrepErrorKind, usize)> {
            use super::PrepErrorKind::*;
            for (i, &c) in chars.iter().enumerate() {
                let kind = match ucd::precis_property(c) {
                    Prop::Pvalid => continue,
                    Prop::FreePval if p == super::OpaqueString => continue,
                    Prop::ContextJ | Prop::ContextO if context_rule_holds(chars, i) => continue,
                    Prop::ContextJ | Prop::ContextO => ContextRule,
                    Prop::Unassigned => Unassigned,
                    Prop::FreePval | Prop::Disallowed => Disallowed,
                };
                return Err((kind, i));
            }
            Ok(())
        }
    }

    /// Code points the contextual rules look at or look for, and their
    /// neighbours of every joining type.
    const CONTEXT_ALPHABET: &[char] = &[
        '\u{30FB}', // KATAKANA MIDDLE DOT
        '\u{3041}', // Hiragana
        '\u{30A2}', // Katakana
        '\u{4E00}', // Han
        '\u{0660}', // ARABIC-INDIC DIGIT ZERO
        '\u{0669}', '\u{06F0}', // EXTENDED ARABIC-INDIC DIGIT ZERO
        '\u{06F9}', '\u{200C}', // ZWNJ
        '\u{200D}', // ZWJ
        '\u{0915}', // DEVANAGARI KA
        '\u{094D}', // DEVANAGARI VIRAMA
        '\u{0628}', // BEH: dual-joining
        '\u{0627}', // ALEF: right-joining
        '\u{A872}', // PHAGS-PA SUPERFIXED RA: left-joining
        '\u{0640}', // TATWEEL: join-causing (and disallowed)
        ' ',        // valid in FreeformClass only
        '\u{064B}', // FATHATAN: transparent
        '\u{00B7}', // MIDDLE DOT
        'l', '\u{0375}', // GREEK LOWER NUMERAL SIGN
        '\u{0391}', // Greek
        '\u{05F3}', // GERESH
        '\u{05F4}', // GERSHAYIM
        '\u{05D0}', // Hebrew
        'a', 'Z',
    ];

    /// The part of [`CONTEXT_ALPHABET`] the ZWNJ and ZWJ rules tell apart, so
    /// that joining contexts (and their near misses) are common.
    const JOINING_ALPHABET: &[char] = &[
        '\u{200C}', '\u{200C}', '\u{200D}', '\u{0915}', '\u{094D}', '\u{0628}', '\u{0627}',
        '\u{A872}', '\u{0640}', '\u{064B}', '\u{064B}', 'a',
    ];

    /// The part of [`CONTEXT_ALPHABET`] that the whole-string rules look at.
    const WHOLE_STRING_ALPHABET: &[char] = &[
        '\u{30FB}', '\u{30FB}', '\u{3041}', '\u{30A2}', '\u{4E00}', '\u{0660}', '\u{0669}',
        '\u{06F0}', '\u{06F9}', 'a',
    ];

    fn context_strings() -> impl Strategy<Value = Vec<char>> {
        let from = |alphabet: &'static [char]| {
            prop::collection::vec(prop::sample::select(alphabet), 0..48)
        };
        prop_oneof![
            from(CONTEXT_ALPHABET),
            from(JOINING_ALPHABET),
            from(WHOLE_STRING_ALPHABET),
        ]
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Every position (and one past the end) in increasing order, as
        /// `check_class` asks, then in decreasing order on a fresh instance
        /// (the scans restart instead of resuming).
        #[test]
        fn context_rules_match_reference(chars in context_strings()) {
            let mut rules = ContextRules::new(&chars);
            for i in 0..=chars.len() {
                prop_assert_eq!(rules.holds(i), oracle::context_rule_holds(&chars, i), "at {}", i);
            }
            let mut rules = ContextRules::new(&chars);
            for i in (0..=chars.len()).rev() {
                prop_assert_eq!(rules.holds(i), oracle::context_rule_holds(&chars, i), "at {}", i);
            }
        }

        /// The class check reports the same first failure as the reference
        /// rules would, in every profile.
        #[test]
        fn check_class_matches_reference(chars in context_strings()) {
            let s: String = chars.iter().collect();
            for p in [UsernameCaseMapped, UsernameCasePreserved, OpaqueString] {
                let expected = oracle::check_class(p, &chars)
                    .map_err(|(kind, i)| p.err(kind, Some(i)));
                prop_assert_eq!(p.check_class(&s), expected);
            }
        }
    }

    #[test]
    fn bidi_rule_cases() {
        let p = UsernameCaseMapped;
        assert_eq!(ok(p, "\u{0627}\u{0031}"), "\u{0627}1");
        assert_eq!(kind(p, "\u{0627}a"), PrepErrorKind::Bidi);
        assert_eq!(kind(p, "1\u{0627}"), PrepErrorKind::Bidi);
        assert_eq!(kind(p, "\u{0627}1\u{0661}"), PrepErrorKind::Bidi);
        // No directionality rule for passwords.
        assert_eq!(ok(OpaqueString, "\u{0627}a"), "\u{0627}a");
    }

    #[test]
    fn unassigned_is_rejected_early() {
        // U+A7DC was assigned in Unicode 16 and lowercases to U+019B there.
        assert_eq!(
            kind(UsernameCaseMapped, "\u{A7DC}"),
            PrepErrorKind::Unassigned
        );
        assert_eq!(kind(OpaqueString, "a\u{0378}"), PrepErrorKind::Unassigned);
    }

    #[test]
    fn names() {
        assert_eq!(UsernameCaseMapped.name(), "UsernameCaseMapped");
        assert_eq!(UsernameCasePreserved.name(), "UsernameCasePreserved");
        assert_eq!(OpaqueString.name(), "OpaqueString");
    }
}
