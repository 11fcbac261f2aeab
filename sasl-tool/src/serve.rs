//! `sasl serve` (being built).

use crate::cli::ServeArgs;
use crate::failure::{CommandResult, Failure};
use crate::term::Term;

/// Runs `sasl serve`.
pub(crate) fn run(_args: ServeArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl serve is not built yet"))
}
