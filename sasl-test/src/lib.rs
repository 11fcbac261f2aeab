//! test support (in progress)
#![forbid(unsafe_code)]
