//! PRECIS enforcement cost against input length, for the contextual rules that look
//! beyond a code point's neighbours (RFC 5892 Appendix A).
//!
//! Each group enforces UsernameCaseMapped on strings of 1k, 4k and 16k code points; a
//! linear implementation takes about 4x the time for 4x the input, a quadratic one 16x.
//! - `katakana_middle_dot`: U+30FB repeated, one Katakana letter at the very end (the
//!   rule needs some Hiragana, Katakana or Han code point anywhere in the string).
//! - `arabic_indic_digits`: an Arabic letter, then ARABIC-INDIC DIGITS (which must not
//!   be mixed with the EXTENDED ARABIC-INDIC DIGITS anywhere in the string).
//! - `zwnj_joining`: BEH, FATHATAN (transparent), ZWNJ repeated, ending in BEH (each
//!   ZWNJ needs a cursive joining context around it).
//!
//! `throughput` prepares the strings a server prepares on every login: SASLprep
//! (query mode, as SCRAM prepares user names; stored mode, as it prepares passwords)
//! beside the `stringprep` crate's `saslprep` (the independent implementation other
//! Rust SASL crates use), and the three PRECIS profiles, each on
//! - `ascii_user`: `alice.smith@example.org` (the common case: nothing to map);
//! - `ascii_password`: 32 printable ASCII characters with spaces;
//! - `latin_user`: `Jörg.Müller-Ñúñez@example.org`, which NFKC/NFC leave unchanged;
//! - `mapped`: a name with a non-ASCII space, a soft hyphen (mapped to nothing by
//!   SASLprep) and a fullwidth letter (changed by NFKC and by PRECIS width mapping);
//! - `cjk_4k`: 4096 CJK ideographs (large input, all non-ASCII).
//!
//! Every prepared result is checked once against the other implementation or a
//! known answer before timing, so a fast wrong answer cannot pass.
//!
//! Run: `cargo bench -p sasl-benches --bench prep`.

// Benchmark code: a setup string that does not enforce must abort the run loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use sasl_core::prep::{PrecisProfile, SaslprepMode, saslprep};
use std::hint::black_box;
use std::time::Duration;

const LENGTHS: [usize; 3] = [1024, 4096, 16384];

/// `n` code points: U+30FB, then one KATAKANA LETTER A last.
fn katakana_middle_dots(n: usize) -> String {
    let mut s: String = std::iter::repeat_n('\u{30FB}', n - 1).collect();
    s.push('\u{30A2}');
    s
}

/// `n` code points: BEH (so the Bidi Rule sees an RTL label), then Arabic-Indic digits.
fn arabic_indic_digits(n: usize) -> String {
    std::iter::once('\u{0628}')
        .chain(('\u{0660}'..='\u{0669}').cycle().take(n - 1))
        .collect()
}

/// `n` code points (n = 3k + 1): (BEH FATHATAN ZWNJ)* BEH.
fn zwnj_joining(n: usize) -> String {
    let mut s: String = ['\u{0628}', '\u{064B}', '\u{200C}']
        .into_iter()
        .cycle()
        .take(n - 1 - (n - 1) % 3)
        .collect();
    s.push('\u{0628}');
    s
}

/// Builds an input of the given number of code points.
type Family = (&'static str, fn(usize) -> String);

fn contextual_rules(c: &mut Criterion) {
    let profile = PrecisProfile::UsernameCaseMapped;
    let families: [Family; 3] = [
        ("katakana_middle_dot", katakana_middle_dots),
        ("arabic_indic_digits", arabic_indic_digits),
        ("zwnj_joining", zwnj_joining),
    ];
    for (name, make) in families {
        let mut group = c.benchmark_group(name);
        // The quadratic baseline takes seconds per call at 16k: few, flat samples.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for n in LENGTHS {
            let input = make(n);
            let chars = input.chars().count();
            // Every input is valid: the whole string goes through the class check.
            assert!(profile.enforce(&input).is_ok(), "{name} {n} must enforce");
            group.throughput(Throughput::Elements(chars as u64));
            group.bench_with_input(BenchmarkId::from_parameter(chars), &input, |b, s| {
                b.iter(|| profile.enforce(black_box(s)).is_ok())
            });
        }
        group.finish();
    }
}

/// The inputs of the `throughput` groups.
fn throughput_inputs() -> Vec<(&'static str, String)> {
    vec![
        ("ascii_user", "alice.smith@example.org".to_owned()),
        (
            "ascii_password",
            "correct horse battery staple 42!".to_owned(),
        ),
        (
            "latin_user",
            "J\u{f6}rg.M\u{fc}ller-\u{d1}\u{fa}\u{f1}ez@example.org".to_owned(),
        ),
        ("mapped", "al\u{ad}ice\u{a0}\u{ff33}mith".to_owned()),
        ("cjk_4k", "\u{4e2d}\u{6587}\u{540d}\u{5b57}".repeat(1024)),
    ]
}

fn throughput(c: &mut Criterion) {
    for (name, input) in throughput_inputs() {
        let mut group = c.benchmark_group(format!("throughput/{name}"));
        group
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Bytes(input.len() as u64));
        // Both SASLprep implementations agree before either is timed.
        let ours_query = saslprep(&input, SaslprepMode::Query).expect("query mode prepares");
        let theirs_query = stringprep::saslprep(&input).expect("stringprep prepares");
        assert_eq!(ours_query, theirs_query, "{name}: SASLprep results differ");
        if name == "mapped" {
            assert_eq!(ours_query, "alice Smith");
        }
        group.bench_function("saslprep_query", |b| {
            b.iter(|| saslprep(black_box(&input), SaslprepMode::Query).is_ok())
        });
        group.bench_function("saslprep_stored", |b| {
            b.iter(|| saslprep(black_box(&input), SaslprepMode::Stored).is_ok())
        });
        group.bench_function("stringprep_crate_saslprep", |b| {
            b.iter(|| stringprep::saslprep(black_box(&input)).is_ok())
        });
        for profile in [
            PrecisProfile::UsernameCaseMapped,
            PrecisProfile::UsernameCasePreserved,
            PrecisProfile::OpaqueString,
        ] {
            let ok = profile.enforce(&input).is_ok();
            group.bench_function(format!("precis_{}", profile.name()), |b| {
                b.iter(|| assert_eq!(profile.enforce(black_box(&input)).is_ok(), ok))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, contextual_rules, throughput);
criterion_main!(benches);
