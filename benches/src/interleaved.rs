//! A measurement that alternates two calls, for benches whose target is a ratio: the
//! machine's speed drifts within a run, so two cases measured one after the other can
//! differ by more than the overhead in question; calls alternating in one loop drift
//! together.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Totals of alternating baseline and measured calls over a whole criterion run.
#[derive(Debug, Default)]
pub struct Interleaved {
    totals: Cell<(Duration, Duration, u64)>,
}

impl Interleaved {
    /// No calls yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `baseline` and `ours` alternately `iters` times and returns the time
    /// `ours` took (for criterion's `iter_custom`), keeping both totals.
    pub fn run(&self, iters: u64, mut baseline: impl FnMut(), mut ours: impl FnMut()) -> Duration {
        let (mut base, mut mine) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..iters {
            let t = Instant::now();
            baseline();
            let u = Instant::now();
            ours();
            mine += u.elapsed();
            base += u - t;
        }
        let (b, m, n) = self.totals.get();
        self.totals.set((b + base, m + mine, n + iters));
        mine
    }

    /// `ours / baseline` over all calls, and the per-call times in microseconds;
    /// `None` before any call.
    pub fn ratio(&self) -> Option<(f64, f64, f64, u64)> {
        let (base, mine, n) = self.totals.get();
        (n > 0 && !base.is_zero()).then(|| {
            let per_call = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
            (
                mine.as_secs_f64() / base.as_secs_f64(),
                per_call(mine),
                per_call(base),
                n,
            )
        })
    }

    /// Prints the ratio on stderr as `<label>: <what>, interleaved = <ratio> (...)`,
    /// if there were calls.
    pub fn report(&self, label: &str, what: &str) {
        if let Some((ratio, mine, base, n)) = self.ratio() {
            eprintln!(
                "{label}: {what}, interleaved = {ratio:.3} ({mine:.2} us vs {base:.2} us per call, {n} calls)"
            );
        }
    }
}
