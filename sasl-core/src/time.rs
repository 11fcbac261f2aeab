//! Time as the application gives it: the library never reads a clock.

use std::time::{Duration, SystemTime};

/// A point in time, in whole seconds since the Unix epoch, supplied by the
/// application (JWT `exp`/`nbf`/`iat`, passkey challenge lifetimes).
///
/// ```
/// use sasl_core::UnixTime;
/// let now = UnixTime::from_system_time(std::time::SystemTime::now());
/// assert!(now.is_some());
/// assert_eq!(UnixTime::from_secs(10).saturating_add_secs(5), UnixTime::from_secs(15));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The time `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Converts a [`SystemTime`] the application read; `None` before the epoch.
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        time.duration_since(SystemTime::UNIX_EPOCH)
            .ok()
            .map(|d| Self(d.as_secs()))
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// This time plus `secs` seconds, saturating.
    pub const fn saturating_add_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// How long after `earlier` this is (zero if it is not later).
    pub fn saturating_since(self, earlier: UnixTime) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }
}
