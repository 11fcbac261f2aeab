//! Terminal output: colour only on a terminal (and never with `NO_COLOR`), failures on
//! stderr with their hint.

use crate::cli::ColourChoice;
use crate::failure::Failure;
use std::io::IsTerminal;

/// Where the output goes and whether it may be coloured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Term {
    colour_out: bool,
    colour_err: bool,
}

/// The colours the tool uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paint {
    /// Success.
    Good,
    /// Failure.
    Bad,
    /// Less important text.
    Dim,
    /// Headings.
    Bold,
}

impl Term {
    /// Decides colour for stdout and stderr.
    pub(crate) fn new(choice: ColourChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |is_terminal: bool| match choice {
            ColourChoice::Always => true,
            ColourChoice::Never => false,
            ColourChoice::Auto => is_terminal && !no_color,
        };
        Term {
            colour_out: decide(std::io::stdout().is_terminal()),
            colour_err: decide(std::io::stderr().is_terminal()),
        }
    }

    /// `text` painted for stdout.
    pub(crate) fn paint(&self, paint: Paint, text: &str) -> String {
        paint_if(self.colour_out, paint, text)
    }

    /// `text` painted for stderr.
    pub(crate) fn paint_err(&self, paint: Paint, text: &str) -> String {
        paint_if(self.colour_err, paint, text)
    }

    /// Prints a failure and its hint on stderr.
    pub(crate) fn print_failure(&self, failure: &Failure) {
        eprintln!(
            "{} {}",
            self.paint_err(Paint::Bad, "error:"),
            failure.message()
        );
        if let Some(hint) = failure.hint_text() {
            eprintln!("{} {hint}", self.paint_err(Paint::Dim, "hint:"));
        }
    }
}

fn paint_if(colour: bool, paint: Paint, text: &str) -> String {
    if !colour {
        return text.to_owned();
    }
    let code = match paint {
        Paint::Good => "32",
        Paint::Bad => "31",
        Paint::Dim => "2",
        Paint::Bold => "1",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
