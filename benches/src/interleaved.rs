//! A measurement that alternates two calls, for benches whose target is a ratio: the
//! machine's speed drifts within a run, so two cases measured one after the other can
//! differ by more than the overhead in question; calls alternating in one loop drift
//! together. Besides the ratio of the totals, the median of the per-batch ratios is
//! kept: on a shared machine a stall of a few milliseconds lands in one batch and
//! moves the totals, not the median. And the fastest batch of each side is kept
//! (per call): a host whose other tenants slow everything for seconds at a time
//! moves the median too, and the least disturbed batches are then the closest
//! measure of the work itself (the "minimum of rounds" of `timeit`).

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// Totals of alternating baseline and measured calls over a whole criterion run.
#[derive(Debug, Default)]
pub struct Interleaved {
    totals: Cell<(Duration, Duration, u64)>,
    batches: RefCell<Vec<f64>>,
    /// The fastest per-call times of a batch so far, baseline and ours, in seconds.
    fastest: Cell<Option<(f64, f64)>>,
}

impl Interleaved {
    /// No calls yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `baseline` and `ours` alternately `iters` times and returns the time
    /// `ours` took (for criterion's `iter_custom`), keeping both totals.
    pub fn run(&self, iters: u64, mut baseline: impl FnMut(), mut ours: impl FnMut()) -> Duration {
        let timed = |call: &mut dyn FnMut()| {
            let t = Instant::now();
            call();
            t.elapsed()
        };
        self.run_timed(iters, || timed(&mut baseline), || timed(&mut ours))
    }

    /// As [`run`](Self::run), for calls that time themselves and return the time
    /// that counts (a server's segments, with the scripted client between them
    /// untimed).
    pub fn run_timed(
        &self,
        iters: u64,
        mut baseline: impl FnMut() -> Duration,
        mut ours: impl FnMut() -> Duration,
    ) -> Duration {
        let (mut base, mut mine) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..iters {
            base += baseline();
            mine += ours();
        }
        let (b, m, n) = self.totals.get();
        self.totals.set((b + base, m + mine, n + iters));
        if !base.is_zero() {
            self.batches
                .borrow_mut()
                .push(mine.as_secs_f64() / base.as_secs_f64());
            let per_call = |d: Duration| d.as_secs_f64() / iters as f64;
            let (b, m) = (per_call(base), per_call(mine));
            self.fastest.set(Some(match self.fastest.get() {
                Some((fb, fm)) => (fb.min(b), fm.min(m)),
                None => (b, m),
            }));
        }
        mine
    }

    /// `ours / baseline` of each side's fastest batch (per call), and both per-call
    /// times in microseconds; `None` before any batch.
    pub fn fastest_ratio(&self) -> Option<(f64, f64, f64)> {
        let (base, mine) = self.fastest.get()?;
        (base > 0.0).then(|| (mine / base, mine * 1e6, base * 1e6))
    }

    /// The median of the per-batch `ours / baseline` ratios and the number of
    /// batches; `None` before any.
    pub fn median_ratio(&self) -> Option<(f64, usize)> {
        let mut ratios = self.batches.borrow().clone();
        Some((median(&mut ratios)?, ratios.len()))
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

    /// Prints the ratio on stderr as `<label>: <what>, interleaved = <ratio> (...),
    /// batch median = <median> (<batches> batches)`, if there were calls.
    pub fn report(&self, label: &str, what: &str) {
        if let Some((ratio, mine, base, n)) = self.ratio() {
            let (median, batches) = self.median_ratio().unwrap_or((ratio, 0));
            let (fastest, fast_mine, fast_base) =
                self.fastest_ratio().unwrap_or((ratio, mine, base));
            eprintln!(
                "{label}: {what}, interleaved = {ratio:.3} ({mine:.2} us vs {base:.2} us per call, {n} calls), batch median = {median:.3} ({batches} batches), fastest batches = {fastest:.3} ({fast_mine:.2} us vs {fast_base:.2} us)"
            );
        }
    }
}

/// The median of `values` (sorted in place); `None` for none.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => values.get(n / 2).copied(),
        _ => Some((values.get(n / 2 - 1)? + values.get(n / 2)?) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_ignore_outliers() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [1.04]), Some(1.04));
        assert_eq!(median(&mut [9.0, 1.03, 1.05]), Some(1.05));
        assert_eq!(median(&mut [1.0, 3.0, 2.0, 100.0]), Some(2.5));
    }

    #[test]
    fn batches_are_recorded() {
        let i = Interleaved::new();
        assert!(i.ratio().is_none() && i.median_ratio().is_none());
        let spin = |n: u64| (0..n).fold(0u64, |a, x| std::hint::black_box(a ^ x));
        for _ in 0..3 {
            i.run(
                50,
                || {
                    spin(2_000);
                },
                || {
                    spin(2_000);
                },
            );
        }
        let (ratio, mine, base, calls) = i.ratio().unwrap();
        let (median, batches) = i.median_ratio().unwrap();
        assert_eq!((calls, batches), (150, 3));
        assert!(ratio > 0.0 && median > 0.0);
        // Each side's fastest batch is no slower than its average call.
        let (fastest, fast_mine, fast_base) = i.fastest_ratio().unwrap();
        assert!(
            fast_mine <= mine && fast_base <= base,
            "{fast_mine} {mine} {fast_base} {base}"
        );
        assert!((fastest - fast_mine / fast_base).abs() < 1e-9);
    }

    #[test]
    fn the_fastest_batch_of_each_side_is_kept() {
        let i = Interleaved::new();
        assert!(i.fastest_ratio().is_none());
        let spin = |n: u64| (0..n).fold(0u64, |a, x| std::hint::black_box(a ^ x));
        // One batch where ours is a hundred times slower: the fastest batches ignore it.
        i.run(
            20,
            || {
                spin(20_000);
            },
            || {
                spin(2_000_000);
            },
        );
        i.run(
            20,
            || {
                spin(20_000);
            },
            || {
                spin(20_000);
            },
        );
        let (fastest, _, _) = i.fastest_ratio().unwrap();
        let (ratio, ..) = i.ratio().unwrap();
        assert!(
            fastest < 5.0 && ratio > 20.0,
            "fastest {fastest}, totals {ratio}"
        );
    }
}
