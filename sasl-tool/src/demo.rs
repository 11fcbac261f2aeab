//! `sasl demo` (being built).

use crate::cli::DemoArgs;
use crate::failure::{CommandResult, Failure};
use crate::term::Term;

/// Runs `sasl demo`.
pub(crate) fn run(_args: DemoArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl demo is not built yet"))
}
