//! `sasl login` (being built).

use crate::cli::LoginArgs;
use crate::failure::{CommandResult, Failure};
use crate::term::Term;

/// Runs `sasl login`.
pub(crate) fn run(_args: LoginArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl login is not built yet"))
}
