//! Where mechanisms get randomness (nonces, challenges).

use crate::Error;
use std::sync::Arc;

/// A source of cryptographically secure random bytes.
///
/// Mechanisms take one so that tests can be deterministic (`sasl-test` has a seeded
/// source) and embedders can use their own. Production code uses [`ThreadRandom`]
/// (the default of the SCRAM configurations, see [`thread_random`]) or [`OsRandom`].
pub trait RandomSource: Send + Sync {
    /// Fills `buf` with random bytes, or fails; a failure is a local [`Error::Random`].
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's random source (`getrandom`): one system call per fill.
///
/// Choose it over [`ThreadRandom`] in a process that forks after drawing random
/// bytes (see there), or when policy requires every nonce straight from the kernel.
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

/// A per-thread user-space CSPRNG seeded from the operating system: `rand`'s
/// [`ThreadRng`](rand::rngs::ThreadRng) (ChaCha12, 0.8 series).
///
/// It is a cryptographically secure generator, seeded from [`OsRandom`] on first use
/// in each thread and reseeded from the OS after every 64 KiB of output, so a nonce
/// costs a few dozen nanoseconds instead of a `getrandom` system call. This is what
/// the SCRAM configurations use by default (nonces are its only use there).
///
/// **Fork safety.** On Unix, `rand` registers a `pthread_atfork` handler so that
/// parent and child reseed after a `fork`, but "soon", not immediately: up to 60
/// bytes already generated into the thread's buffer before the fork can be handed out
/// in both processes (see `rand::rngs::adapter::ReseedingRng`). A server that draws
/// nonces and then forks workers (pre-fork models) could repeat a nonce between
/// parent and child: use [`OsRandom`] there (`with_random(os_random())`), or fork
/// before any nonce is drawn. Threads are unaffected (each has its own generator).
///
/// If the OS source fails when a thread's generator is first seeded, `rand` panics;
/// later reseeding failures are handled inside `rand` without panicking.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadRandom;

impl RandomSource for ThreadRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        use rand::RngCore;
        rand::thread_rng()
            .try_fill_bytes(buf)
            .map_err(|_| Error::Random)
    }
}

/// A shared random source, as mechanism configurations hold it.
pub type SharedRandom = Arc<dyn RandomSource>;

/// A shared [`OsRandom`]: a `getrandom` system call per fill.
pub fn os_random() -> SharedRandom {
    Arc::new(OsRandom)
}

/// A shared [`ThreadRandom`], the default of the SCRAM configurations: a per-thread
/// ChaCha CSPRNG seeded and periodically reseeded from the OS (see [`ThreadRandom`]
/// for the fork-safety note).
pub fn thread_random() -> SharedRandom {
    Arc::new(ThreadRandom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_random_fills() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        ThreadRandom.fill(&mut a).unwrap();
        ThreadRandom.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
