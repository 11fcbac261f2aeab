//! The demo's output: a table (or JSON) of every login.

use super::rows::RowResult;
use crate::login::LoginOutcome;
use crate::term::{Paint, Term};

/// The protocol column.
fn protocol_label(result: &RowResult) -> &'static str {
    use crate::serve::Protocol;
    match result.row.protocol {
        Protocol::Imap => "IMAP+STARTTLS",
        Protocol::Imaps => "IMAPS",
        Protocol::Smtp => "SMTP+STARTTLS",
        Protocol::Submissions => "SMTPS",
        Protocol::Pop3 => "POP3+STLS",
        Protocol::Pop3s => "POP3S",
    }
}

fn outcome_label(result: &RowResult) -> String {
    match &result.report.outcome {
        LoginOutcome::Authenticated { .. } => match result.identity() {
            Some(identity) => format!("authenticated as {identity}"),
            None => "authenticated (the server logged no success)".to_owned(),
        },
        LoginOutcome::Refused { reason, .. } => match &result.report.server_reply {
            Some(reply) => format!("refused: {}", reply_code(reply)),
            None => format!("refused: {reason}"),
        },
        LoginOutcome::Error(failure) => format!("error: {}", failure.message()),
    }
}

/// The status part of a final reply: IMAP's `NO [CODE]` without the tag, SMTP's
/// `535 5.7.8`, POP3's `-ERR [AUTH]`.
fn reply_code(reply: &str) -> String {
    let words: Vec<&str> = reply.split_whitespace().collect();
    match words.as_slice() {
        [_tag, status @ ("NO" | "BAD"), code, ..] if code.starts_with('[') => {
            format!("{status} {code}")
        }
        [code, enhanced, ..] if code.len() == 3 && enhanced.contains('.') => {
            format!("{code} {enhanced}")
        }
        [status @ "-ERR", code, ..] if code.starts_with('[') => format!("{status} {code}"),
        _ => reply.to_owned(),
    }
}

/// Why the server refused, from its log (never sent to the client).
fn server_reason(result: &RowResult) -> String {
    match &result.server_view {
        Some(record) if record.outcome == crate::serve::Outcome::Failure => {
            record.reason.clone().unwrap_or_default()
        }
        Some(_) => String::new(),
        None => "(no server record)".to_owned(),
    }
}

/// Prints the table.
pub(crate) fn print_table(results: &[RowResult], term: &Term) {
    let header = [
        "protocol",
        "mechanism",
        "credential",
        "outcome",
        "binding",
        "trips",
        "ms",
        "check",
        "server's reason",
    ];
    let rows: Vec<[String; 9]> = results
        .iter()
        .map(|r| {
            [
                protocol_label(r).to_owned(),
                r.row.mechanism.to_owned(),
                r.row.credential.label().to_owned(),
                outcome_label(r),
                r.report
                    .channel_binding
                    .clone()
                    .unwrap_or_else(|| "-".to_owned()),
                r.report.round_trips.to_string(),
                format!("{:.1}", r.report.elapsed.as_secs_f64() * 1000.0),
                if r.as_expected() {
                    "ok".to_owned()
                } else {
                    "UNEXPECTED".to_owned()
                },
                server_reason(r),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths.iter())
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let header_cells: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    println!("{}", term.paint(Paint::Bold, &line(&header_cells)));
    for (row, result) in rows.iter().zip(results) {
        let text = line(row.as_slice());
        let paint = if result.as_expected() {
            Paint::Good
        } else {
            Paint::Bad
        };
        println!("{}", term.paint(paint, &text));
    }
    let unexpected = results.iter().filter(|r| !r.as_expected()).count();
    if unexpected == 0 {
        println!(
            "\n{} logins, all as expected ({} must fail and did).",
            results.len(),
            results
                .iter()
                .filter(|r| !r.row.credential.must_succeed())
                .count()
        );
    } else {
        println!(
            "\n{unexpected} of {} logins did not come out as expected.",
            results.len()
        );
    }
}

/// The results as JSON.
pub(crate) fn to_json(results: &[RowResult]) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "protocol": protocol_label(r),
                "mechanism": r.row.mechanism,
                "credential": r.row.credential.label(),
                "must_succeed": r.row.credential.must_succeed(),
                "authenticated": matches!(r.report.outcome, LoginOutcome::Authenticated { .. }),
                "outcome": outcome_label(r),
                "channel_binding": r.report.channel_binding,
                "round_trips": r.report.round_trips,
                "ms": r.report.elapsed.as_secs_f64() * 1000.0,
                "as_expected": r.as_expected(),
                "server_identity": r.identity(),
                "server_reason": server_reason(r),
            })
        })
        .collect();
    serde_json::json!({
        "all_as_expected": results.iter().all(RowResult::as_expected),
        "logins": rows,
    })
}
