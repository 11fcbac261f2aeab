//! `sasl cert` (being built).

use crate::cli::CertArgs;
use crate::failure::{CommandResult, Failure};
use crate::term::Term;

/// Runs `sasl cert`.
pub(crate) fn run(_args: CertArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl cert is not built yet"))
}
