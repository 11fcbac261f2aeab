//! PLACEHOLDER until the real module lands.
use std::borrow::Cow;
/// mode
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslprepMode {
    /// stored
    Stored,
    /// query
    Query,
}
/// err
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepError;
impl core::fmt::Display for PrepError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("prep error")
    }
}
impl std::error::Error for PrepError {}
/// saslprep
pub fn saslprep(input: &str, _mode: SaslprepMode) -> Result<Cow<'_, str>, PrepError> {
    if input.is_empty() {
        Err(PrepError)
    } else {
        Ok(Cow::Borrowed(input))
    }
}
/// profile
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrecisProfile {
    /// a
    UsernameCaseMapped,
    /// b
    UsernameCasePreserved,
    /// c
    OpaqueString,
}
impl PrecisProfile {
    /// enforce
    pub fn enforce<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, PrepError> {
        Ok(Cow::Borrowed(input))
    }
}
