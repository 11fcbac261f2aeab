//! `sasl passkey register|list` (being built).

use crate::cli::{PasskeyListArgs, PasskeyRegisterArgs};
use crate::failure::{CommandResult, Failure};
use crate::term::Term;

/// Runs `sasl passkey register`.
pub(crate) fn run_register(_args: PasskeyRegisterArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl passkey register is not built yet"))
}

/// Runs `sasl passkey list`.
pub(crate) fn run_list(_args: PasskeyListArgs, _term: &Term) -> CommandResult {
    Err(Failure::error("sasl passkey list is not built yet"))
}
