//! SCRAM (in progress).
#![forbid(unsafe_code)]
