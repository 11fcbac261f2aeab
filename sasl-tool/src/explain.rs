//! `sasl decode` and `sasl explain` (being built).

use crate::cli::{DecodeArgs, ExplainArgs};
use crate::failure::{CommandResult, Failure};
use crate::term::Term;

/// Runs `sasl decode`.
pub(crate) fn run_decode(_args: DecodeArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl decode is not built yet"))
}

/// Runs `sasl explain`.
pub(crate) fn run_explain(_args: ExplainArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl explain is not built yet"))
}
