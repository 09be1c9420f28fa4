//! The "Slowest operations" and "Slowest call chains" sections.
//!
//! Input: the [`Summary`]'s operations and chains, and how many rows to list.
//! Output: the rows with durations, slowest p99 first (ties by name, so the
//! order is stable), with where each chain's critical path spends its time;
//! rows without durations are named under the table, not ranked.

use super::cells::{lat, p99, untimed_note, NOT_LISTED};
use super::Align::{Left as L, LeftNoWrap as N, Right as R};
use super::{cell, code, para, table, Block};
use crate::analyze::summary::Summary;
use crate::units::{rate, thousands};

pub(super) fn operations(doc: &mut Vec<Block>, s: &Summary, top: usize) {
    doc.push(Block::Heading(2, "Slowest operations".into()));
    let (mut ops, untimed): (Vec<_>, Vec<_>) =
        s.operations.iter().partition(|o| o.latency_ms.is_some());
    let untimed: Vec<String> = untimed
        .iter()
        .map(|o| format!("{} {}", o.service, o.name))
        .collect();
    if ops.is_empty() {
        doc.push(para("No operation has a duration in the logs."));
        return;
    }
    let untimed = untimed_note(&untimed, NOT_LISTED, top);
    ops.sort_by(|a, b| {
        p99(&b.latency_ms)
            .total_cmp(&p99(&a.latency_ms))
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.name.cmp(&b.name))
    });
    let more = ops.len().saturating_sub(top);
    let rows = ops
        .iter()
        .take(top)
        .map(|o| {
            vec![
                cell(o.service.clone()),
                vec![code(o.name.clone())],
                cell(thousands(o.count)),
                cell(rate(o.error_rate)),
                cell(lat(&o.latency_ms, |l| l.p50)),
                cell(lat(&o.latency_ms, |l| l.p99)),
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Service", N),
            ("Operation", L),
            ("Requests", R),
            ("Error rate", R),
            ("p50 (ms)", R),
            ("p99 (ms)", R),
        ],
        rows,
    ));
    if more > 0 {
        doc.push(para(format!("… and {more} more in report.json.")));
    }
    doc.extend(untimed);
}

pub(super) fn chains(doc: &mut Vec<Block>, s: &Summary, top: usize) {
    doc.push(Block::Heading(2, "Slowest call chains".into()));
    let (mut chains, untimed): (Vec<_>, Vec<_>) =
        s.chains.iter().partition(|c| c.latency_ms.is_some());
    let untimed: Vec<String> = untimed.iter().map(|c| c.signature.clone()).collect();
    if chains.is_empty() {
        doc.push(para(
            "No call chain with durations (the logs hold no request crossing services with timings).",
        ));
        return;
    }
    chains.sort_by(|a, b| {
        p99(&b.latency_ms)
            .total_cmp(&p99(&a.latency_ms))
            .then_with(|| a.signature.cmp(&b.signature))
    });
    let rows = chains
        .iter()
        .take(top)
        .map(|c| {
            vec![
                vec![code(c.signature.clone())],
                cell(thousands(c.count)),
                cell(thousands(c.errors)),
                cell(lat(&c.latency_ms, |l| l.p50)),
                cell(lat(&c.latency_ms, |l| l.p99)),
                cell(shares(c, |x| x.p99_share)),
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Chain", L),
            ("Traces", R),
            ("Failed", R),
            ("p50 (ms)", R),
            ("p99 (ms)", R),
            ("Critical path at p99", L),
        ],
        rows,
    ));
    doc.extend(untimed_note(&untimed, NOT_LISTED, top));
}

/// `payments 62%, orders 21%, …`: the services holding most of the critical path.
fn shares(
    c: &crate::analyze::summary::Chain,
    f: impl Fn(&crate::analyze::summary::CriticalShare) -> f64,
) -> String {
    // Shares that round to 0% say nothing.
    let mut v: Vec<_> = c.critical_path.iter().filter(|x| f(x) >= 0.005).collect();
    v.sort_by(|a, b| {
        f(b).total_cmp(&f(a))
            .then_with(|| a.service.cmp(&b.service))
    });
    if v.is_empty() {
        return "-".into();
    }
    v.iter()
        .map(|x| format!("{} {:.0}%", x.service, f(x) * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::summary::{Chain, CriticalShare};

    #[test]
    fn critical_path_shares_read_largest_first() {
        let c = Chain {
            critical_path: vec![
                CriticalShare {
                    service: "edge".into(),
                    p50_share: 0.1,
                    p99_share: 0.05,
                },
                CriticalShare {
                    service: "payments".into(),
                    p50_share: 0.5,
                    p99_share: 0.8,
                },
                CriticalShare {
                    service: "auth".into(),
                    p50_share: 0.0,
                    p99_share: 0.0,
                },
            ],
            ..Default::default()
        };
        assert_eq!(shares(&c, |x| x.p99_share), "payments 80%, edge 5%");
        assert_eq!(shares(&Chain::default(), |x| x.p99_share), "-");
    }
}
