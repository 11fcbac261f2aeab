//! Where mechanisms get randomness (nonces, challenges).

use crate::Error;
use std::sync::Arc;

/// A source of cryptographically secure random bytes.
///
/// Mechanisms take one so that tests can be deterministic (`sasl-test` has a seeded
/// source) and embedders can use their own. Production code uses [`OsRandom`].
pub trait RandomSource: Send + Sync {
    /// Fills `buf` with random bytes, or fails; a failure is a local [`Error::Random`].
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's random source (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        use rand_core::RngCore;
        rand_core::OsRng
            .try_fill_bytes(buf)
            .map_err(|_| Error::Random)
    }
}

/// A shared random source, as mechanism configurations hold it.
pub type SharedRandom = Arc<dyn RandomSource>;

/// The default shared source: [`OsRandom`].
pub fn os_random() -> SharedRandom {
    Arc::new(OsRandom)
}
