//! `sasl hash` and `sasl verify` (being built).

use crate::cli::{HashArgs, VerifyArgs};
use crate::failure::{CommandResult, Failure};
use crate::term::Term;

/// Runs `sasl hash`.
pub(crate) fn run_hash(_args: HashArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl hash is not built yet"))
}

/// Runs `sasl verify`.
pub(crate) fn run_verify(_args: VerifyArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl verify is not built yet"))
}
