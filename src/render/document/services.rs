//! The "Services" section: requests, errors and latency per service, and the
//! calls between services.
//!
//! Input: the [`Summary`]'s services and dependencies. Output: a table of the
//! services that served requests (those that only log are named under it),
//! a table of calls between services with the share inferred by timing, and
//! notes naming the rows without durations.

use super::cells::{lat, untimed_note, NA, NA_FOR};
use super::Align::{LeftNoWrap as N, Right as R};
use super::{cell, para, table, Block};
use crate::analyze::summary::Summary;
use crate::render::confidence;
use crate::units::{percent, rate, thousands};

pub(super) fn services(doc: &mut Vec<Block>, s: &Summary) {
    doc.push(Block::Heading(2, "Services".into()));
    if s.services.is_empty() {
        doc.push(para("No service was found in the logs."));
        return;
    }
    // Sources that log but serve no request (cron, kernel, sshd) would fill
    // the table with zeros: they are named below it instead.
    let (serving, idle): (Vec<_>, Vec<_>) = s.services.iter().partition(|x| x.spans > 0);
    let rows = serving
        .iter()
        .map(|x| {
            vec![
                cell(x.name.clone()),
                cell(thousands(x.spans)),
                cell(thousands(x.errors)),
                cell(x.error_rate.map_or_else(|| NA.into(), rate)),
                cell(thousands(x.client_errors)),
                cell(lat(&x.latency_ms, |l| l.p50)),
                cell(lat(&x.latency_ms, |l| l.p95)),
                cell(lat(&x.latency_ms, |l| l.p99)),
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Service", N),
            ("Requests", R),
            ("Errors", R),
            ("Error rate", R),
            ("4xx", R),
            ("p50 (ms)", R),
            ("p95 (ms)", R),
            ("p99 (ms)", R),
        ],
        rows,
    ));
    let untimed: Vec<String> = serving
        .iter()
        .filter(|x| x.latency_ms.is_none())
        .map(|x| x.name.clone())
        .collect();
    doc.extend(untimed_note(&untimed, NA_FOR, 10));
    if let Some(note) = confidence::recovered_note(s) {
        doc.push(para(format!("{note}.")));
    }
    if !idle.is_empty() {
        let names: Vec<&str> = idle.iter().map(|x| x.name.as_str()).collect();
        doc.push(para(format!(
            "Also in the logs, without requests: {}.",
            names.join(", ")
        )));
    }
    if !s.dependencies.is_empty() {
        doc.push(para("Calls between services:"));
        let rows = s
            .dependencies
            .iter()
            .map(|d| {
                vec![
                    cell(d.caller.clone()),
                    cell(d.callee.clone()),
                    cell(thousands(d.calls)),
                    cell(confidence::inferred_share(d.calls_inferred, d.calls)),
                    cell(confidence::edge_confidence(d.confidence)),
                    cell(percent(d.errors, d.calls)),
                    cell(lat(&d.latency_ms, |l| l.p99)),
                ]
            })
            .collect();
        doc.push(table(
            &[
                ("Caller", N),
                ("Callee", N),
                ("Calls", R),
                ("Inferred", R),
                ("Confidence", R),
                ("Error rate", R),
                ("p99 (ms)", R),
            ],
            rows,
        ));
        if s.dependencies.iter().any(|d| d.calls_inferred > 0) {
            doc.push(para(
                "Inferred: the share of calls whose caller was found by timing alone, not \
                 named by logged ids. A call that is inferred only may be wrong; the service \
                 map draws it dashed. Confidence: how sure the calls' links are on average \
                 (100% where ids name every caller); an edge under 50% is more likely wrong \
                 than right, and the service map draws it faint.",
            ));
        }
        let untimed: Vec<String> = s
            .dependencies
            .iter()
            .filter(|d| d.latency_ms.is_none())
            .map(|d| format!("{} → {}", d.caller, d.callee))
            .collect();
        doc.extend(untimed_note(&untimed, &format!("{NA_FOR}calls "), 10));
    }
}
