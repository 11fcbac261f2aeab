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
use sasl_core::prep::PrecisProfile;
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

criterion_group!(benches, contextual_rules);
criterion_main!(benches);
