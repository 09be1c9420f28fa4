//! A trace id as the user typed it -> the traces it names.
//!
//! Input: the id (a request id, a trace id, a span id, or a unique prefix of
//! at least 6 characters) and the traces. Output: the indexes of the traces it
//! names, or a message with close matches when it names none.

use std::path::PathBuf;

use super::{Trace, Traces};
use crate::ingest::event::Symbols;

/// Indexes of the traces `id` names: exactly (any linked id, or a span id),
/// else as the unique prefix (at least 6 characters) of one trace's ids.
pub fn find_traces(traces: &Traces, symbols: &Symbols, id: &str) -> Vec<usize> {
    let exact: Vec<usize> = traces
        .traces
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            id_strs(t, symbols).any(|s| s == id)
                || t.spans.iter().any(|s| s.span_id.is(id, symbols))
        })
        .map(|(i, _)| i)
        .collect();
    if !exact.is_empty() || id.chars().count() < 6 {
        return exact;
    }
    let prefixed: Vec<usize> = traces
        .traces
        .iter()
        .enumerate()
        .filter(|(_, t)| id_strs(t, symbols).any(|s| s.starts_with(id)))
        .map(|(i, _)| i)
        .collect();
    let distinct: std::collections::BTreeSet<&str> = prefixed
        .iter()
        .map(|&i| symbols.get(traces.traces[i].id))
        .collect();
    if distinct.len() == 1 {
        prefixed
    } else {
        Vec::new()
    }
}

/// What to tell the user when no trace carries `id`.
pub fn not_found(traces: &Traces, symbols: &Symbols, id: &str, paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut msg = format!(
        "no trace with id {id:?} in {} ({} traces)",
        shown.join(" "),
        traces.traces.len()
    );
    // The ids sharing the longest prefix with the one asked for (typos, cut-off copies).
    let common = |s: &str| {
        s.chars()
            .zip(id.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let best = traces
        .traces
        .iter()
        .flat_map(|t| id_strs(t, symbols))
        .map(common)
        .max()
        .unwrap_or(0);
    if best >= 3 || (best > 0 && best * 2 >= id.chars().count()) {
        let close: std::collections::BTreeSet<&str> = traces
            .traces
            .iter()
            .flat_map(|t| id_strs(t, symbols))
            .filter(|s| common(s) == best)
            .collect();
        let list: Vec<&str> = close.iter().take(5).copied().collect();
        msg.push_str(&format!("; close matches: {}", list.join(", ")));
        if close.len() > 5 {
            msg.push_str(&format!(" and {} more", close.len() - 5));
        }
    }
    msg.push_str(&format!(
        "; `logtrace report {}` lists the slowest and failed trace ids",
        shown.join(" ")
    ));
    msg
}

/// A trace's ids as text.
pub fn id_strs<'a>(t: &'a Trace, symbols: &'a Symbols) -> impl Iterator<Item = &'a str> + 'a {
    std::iter::once(t.id)
        .chain(t.ids.iter().copied())
        .filter(|s| s.is_some())
        .map(|s| symbols.get(s))
}
