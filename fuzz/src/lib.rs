//! What several fuzz targets share.
#![forbid(unsafe_code)]

use sasl_core::{Error, RandomSource};

/// A random source that gives the same bytes on every call, so that server nonces and
/// challenges are the same in every run: the fuzzer can echo them (the dictionaries
/// hold them) and a crash reproduces exactly.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedRandom;

impl RandomSource for FixedRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        Ok(())
    }
}
