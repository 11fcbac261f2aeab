//! Golden vectors for SASLprep and the RFC 8265 PRECIS profiles, plus
//! property tests.
//!
//! The vector files live in `shared/specs/` beside the repository; set
//! `SASL_SPECS_DIR` to read them from elsewhere.

// Test helpers outside `#[test]` functions report bad fixtures by panicking.
#![allow(clippy::panic)]

use std::borrow::Cow;
use std::path::PathBuf;

use proptest::prelude::*;
use sasl_core::prep::{
    PrecisProfile, PrepError, PrepErrorKind, SaslprepMode, UNICODE_VERSION, saslprep,
};
use serde::Deserialize;

fn specs_dir() -> PathBuf {
    match std::env::var_os("SASL_SPECS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs"),
    }
}

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let path = specs_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

#[derive(Deserialize)]
struct SaslprepFile {
    cases: Vec<SaslprepCase>,
}

#[derive(Deserialize)]
struct SaslprepCase {
    input: String,
    note: String,
    stored: Expected,
    query: Expected,
}

#[derive(Deserialize)]
struct Expected {
    output: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct PrecisFile {
    cases: Vec<PrecisCase>,
}

#[derive(Deserialize)]
struct PrecisCase {
    profile: String,
    input: String,
    output: Option<String>,
    error: Option<String>,
    unicode_version: Option<f64>,
}

/// Maps the reference implementation's informative error label to our kind.
fn saslprep_kind(label: &str) -> PrepErrorKind {
    if label.starts_with("prohibited") {
        PrepErrorKind::Prohibited
    } else if label.starts_with("bidi") {
        PrepErrorKind::Bidi
    } else if label.starts_with("unassigned") {
        PrepErrorKind::Unassigned
    } else {
        panic!("unknown SASLprep error label {label:?}")
    }
}

fn precis_kind(label: &str) -> PrepErrorKind {
    match label.strip_prefix("DISALLOWED/").unwrap_or(label) {
        "empty" => PrepErrorKind::Empty,
        "bidi_rule" => PrepErrorKind::Bidi,
        "unassigned" => PrepErrorKind::Unassigned,
        "not_idempotent" => PrepErrorKind::NotStable,
        "zero_width_nonjoiner"
        | "zero_width_joiner"
        | "middle_dot"
        | "greek_keraia"
        | "hebrew_punctuation"
        | "katakana_middle_dot"
        | "arabic_indic"
        | "extended_arabic_indic" => PrepErrorKind::ContextRule,
        _ => PrepErrorKind::Disallowed,
    }
}

fn check(
    what: &str,
    input: &str,
    got: Result<Cow<'_, str>, PrepError>,
    output: Option<&str>,
    error: Option<PrepErrorKind>,
) -> Result<(), String> {
    match (got, output, error) {
        (Ok(out), Some(want), None) if out == want => {
            // A borrowed result must be the unchanged input.
            if matches!(out, Cow::Borrowed(_)) && out != input {
                return Err(format!("{what} {input:?}: borrowed result differs"));
            }
            Ok(())
        }
        (Err(e), None, Some(kind)) if e.kind() == kind => Ok(()),
        (got, _, _) => Err(format!(
            "{what} {input:?}: got {got:?}, want output {output:?} / error {error:?}"
        )),
    }
}

#[test]
fn saslprep_vectors() {
    let file: SaslprepFile = load("saslprep_vectors.json");
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &file.cases {
        for (mode, want) in [
            (SaslprepMode::Stored, &case.stored),
            (SaslprepMode::Query, &case.query),
        ] {
            let what = format!("SASLprep {mode:?} [{}]", case.note);
            let result = check(
                &what,
                &case.input,
                saslprep(&case.input, mode),
                want.output.as_deref(),
                want.error.as_deref().map(saslprep_kind),
            );
            match result {
                Ok(()) => passed += 1,
                Err(msg) => failures.push(msg),
            }
        }
    }
    println!(
        "SASLprep vectors: {} cases, {passed} checks passed, {} failed",
        file.cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(passed >= 60, "suspiciously few SASLprep checks: {passed}");
}

fn profile(name: &str) -> PrecisProfile {
    match name {
        "UsernameCaseMapped" => PrecisProfile::UsernameCaseMapped,
        "UsernameCasePreserved" => PrecisProfile::UsernameCasePreserved,
        "OpaqueString" => PrecisProfile::OpaqueString,
        _ => panic!("unknown profile {name:?}"),
    }
}

#[test]
fn precis_vectors() {
    let file: PrecisFile = load("precis_cases.json");
    let ours = f64::from(UNICODE_VERSION.0) + f64::from(UNICODE_VERSION.1) / 10.0;
    let (mut passed, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for case in &file.cases {
        if case.unicode_version.is_some_and(|v| v > ours) {
            skipped += 1;
            continue;
        }
        let p = profile(&case.profile);
        assert_eq!(p.name(), case.profile);
        let result = check(
            p.name(),
            &case.input,
            p.enforce(&case.input),
            case.output.as_deref(),
            case.error.as_deref().map(precis_kind),
        );
        match result {
            Ok(()) => passed += 1,
            Err(msg) => failures.push(msg),
        }
    }
    println!(
        "PRECIS vectors: {} cases, {passed} passed, {} failed, {skipped} skipped \
         (need Unicode newer than {}.{}.{})",
        file.cases.len(),
        failures.len(),
        UNICODE_VERSION.0,
        UNICODE_VERSION.1,
        UNICODE_VERSION.2
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(passed >= 400, "suspiciously few PRECIS cases: {passed}");
}

const PROFILES: [PrecisProfile; 3] = [
    PrecisProfile::UsernameCaseMapped,
    PrecisProfile::UsernameCasePreserved,
    PrecisProfile::OpaqueString,
];

/// Characters that exercise the interesting paths: ASCII, case pairs,
/// combining marks, compatibility and width forms, spaces, joiners, RTL text,
/// digits of both Arabic sets, contextual punctuation and unassigned code
/// points.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        2 => proptest::char::range('\u{00A0}', '\u{024F}'),
        2 => proptest::char::range('\u{0300}', '\u{036F}'),
        1 => proptest::char::range('\u{0370}', '\u{03FF}'),
        1 => proptest::char::range('\u{0590}', '\u{06FF}'),
        1 => proptest::char::range('\u{0900}', '\u{097F}'),
        1 => proptest::char::range('\u{1100}', '\u{11FF}'),
        1 => proptest::char::range('\u{2000}', '\u{206F}'),
        1 => proptest::char::range('\u{2100}', '\u{218F}'),
        1 => proptest::char::range('\u{3000}', '\u{30FF}'),
        1 => proptest::char::range('\u{AC00}', '\u{AC40}'),
        1 => proptest::char::range('\u{FB00}', '\u{FB4F}'),
        1 => proptest::char::range('\u{FE00}', '\u{FFFF}'),
        1 => proptest::sample::select(vec![
            '\u{00B7}', '\u{0375}', '\u{05F3}', '\u{30FB}', '\u{200C}', '\u{200D}',
            '\u{03A3}', '\u{0130}', '\u{1E9E}', '\u{212A}', '\u{2F868}', '\u{1F100}',
            '\u{E0001}', '\u{10FFFF}', '\u{0221}', '\u{1DCA}', '\u{A7DC}',
        ]),
        1 => any::<char>(),
    ]
}

fn interesting_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(interesting_char(), 0..12).prop_map(|v| v.into_iter().collect())
}

/// A borrowed result must be the input itself; an owned one must differ.
fn check_cow(input: &str, result: &Result<Cow<'_, str>, PrepError>) -> Result<(), TestCaseError> {
    if let Ok(out) = result {
        let borrowed = matches!(out, Cow::Borrowed(_));
        prop_assert_eq!(borrowed, out.as_ref() == input, "{:?} -> {:?}", input, out);
    }
    Ok(())
}

proptest! {
    // No regression files: integration tests have no src/ to keep them in.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn precis_is_idempotent(s in interesting_string()) {
        for p in PROFILES {
            let result = p.enforce(&s);
            check_cow(&s, &result)?;
            if let Ok(once) = result {
                let twice = p.enforce(&once);
                prop_assert!(twice.is_ok(), "{}: {:?} -> {:?} -> {:?}", p.name(), s, once, twice);
                prop_assert_eq!(twice.unwrap(), once.clone());
            }
        }
    }

    #[test]
    fn saslprep_is_idempotent(s in interesting_string()) {
        for mode in [SaslprepMode::Stored, SaslprepMode::Query] {
            let result = saslprep(&s, mode);
            check_cow(&s, &result)?;
            if let Ok(once) = result {
                let twice = saslprep(&once, mode);
                prop_assert!(twice.is_ok(), "{:?}: {:?} -> {:?} -> {:?}", mode, s, once, twice);
                prop_assert_eq!(twice.unwrap(), once.clone());
            }
        }
    }

    #[test]
    fn no_panic_on_arbitrary_strings(s in any::<String>()) {
        for p in PROFILES {
            let _ = p.enforce(&s);
        }
        let _ = saslprep(&s, SaslprepMode::Stored);
        let _ = saslprep(&s, SaslprepMode::Query);
    }

    #[test]
    fn printable_ascii_is_borrowed_or_lowercased(s in "[ -~]{1,24}") {
        prop_assert!(matches!(saslprep(&s, SaslprepMode::Stored), Ok(Cow::Borrowed(_))));
        prop_assert!(matches!(PrecisProfile::OpaqueString.enforce(&s), Ok(Cow::Borrowed(_))));
        let mapped = PrecisProfile::UsernameCaseMapped.enforce(&s);
        if s.contains(' ') {
            prop_assert_eq!(mapped.unwrap_err().kind(), PrepErrorKind::Disallowed);
        } else {
            prop_assert_eq!(mapped.unwrap(), s.to_ascii_lowercase());
        }
    }
}
