//! Thresholds against a diff -> which were crossed, where, and by how much.
//!
//! Input: the compared [`Diff`] and the parsed `--fail-if` thresholds.
//! Output: one [`ThresholdResult`] per threshold, in the order given.
//!
//! Noise rule: with few requests a percentile or an error rate moves by
//! chance, so latency and error-rate thresholds skip rows with fewer than
//! `min_count` requests in either run, and relative `count` thresholds skip
//! rows with fewer than `min_count` in BASE. Absolute `count` thresholds and
//! the keywords check every row. A scope that names nothing in either run is
//! an error (a typo must not pass silently).
//!
//! A latency threshold on a row without durations in BASE or NEW cannot be
//! checked: such rows are listed as skipped with the run that lacks them
//! (one line per row for a scoped threshold, one line naming a few for an
//! unscoped one), never passed silently. A threshold that checked no row at
//! all has `checked` 0 and is shown as `n/a`, not `ok`.

use super::compare::pct;
use super::model::*;
use super::threshold::{Change, Metric, Scope, Threshold};
use crate::render::{ms, thousands};

/// Checks every threshold; `Err` when a scope names nothing in either report.
pub fn check(
    diff: &Diff,
    thresholds: &[Threshold],
    min_count: u64,
) -> Result<Vec<ThresholdResult>, String> {
    thresholds
        .iter()
        .map(|t| {
            let mut r = ThresholdResult {
                expr: t.text().to_owned(),
                ..Default::default()
            };
            match t {
                Threshold::Metric {
                    scope,
                    metric,
                    above,
                    change,
                    ..
                } => {
                    let rows = scoped(diff, scope)?;
                    let mut few = 0;
                    let mut untimed: Vec<String> = Vec::new();
                    for (what, row) in rows {
                        match judge(row, *metric, *above, *change, min_count) {
                            Verdict::Pass => r.checked += 1,
                            Verdict::Crossed(how) => {
                                r.checked += 1;
                                r.breaches.push(format!("{what}: {how}"))
                            }
                            Verdict::Skip(why) | Verdict::Unknown(why)
                                if *scope != Scope::All =>
                            {
                                r.skipped.push(format!("{what}: {why}"))
                            }
                            Verdict::Skip(_) => few += 1,
                            Verdict::Unknown(_) => untimed.push(what),
                        }
                    }
                    if few > 0 {
                        r.skipped.push(format!(
                            "{few} {} (in one run only, fewer than {min_count} requests, or 0 in BASE)",
                            if few == 1 { "row" } else { "rows" }
                        ));
                    }
                    if !untimed.is_empty() {
                        r.skipped.push(format!(
                            "{} {} without durations in BASE or NEW, {} cannot be checked: {}",
                            untimed.len(),
                            if untimed.len() == 1 { "row" } else { "rows" },
                            metric.name(),
                            first_few(&untimed, 5)
                        ));
                    }
                }
                Threshold::NewErrors => {
                    r.checked = (diff.error_templates.len() + diff.operations.len()) as u64;
                    for t in &diff.error_templates {
                        if t.presence == Presence::New {
                            r.breaches.push(format!(
                                "new error template {:?} ({} times, in {})",
                                t.template,
                                thousands(t.new_count),
                                t.services.join(", ")
                            ));
                        }
                    }
                    for row in &diff.operations {
                        let n = row.new.as_ref().map_or(0, |m| m.errors);
                        let b = row.base.as_ref().map_or(0, |m| m.errors);
                        if n > 0 && b == 0 {
                            r.breaches.push(format!(
                                "operation {} {} now fails: {} of {} requests (none in BASE)",
                                row.service,
                                row.name,
                                thousands(n),
                                thousands(row.new.as_ref().map_or(0, |m| m.count))
                            ));
                        }
                    }
                }
                Threshold::NewOperations | Threshold::VanishedOperations => {
                    let (want, word) = if *t == Threshold::NewOperations {
                        (Presence::New, "new operation")
                    } else {
                        (Presence::Vanished, "vanished operation")
                    };
                    r.checked = diff.operations.len() as u64;
                    for row in diff.operations.iter().filter(|r| r.presence == want) {
                        let m = row.new.as_ref().or(row.base.as_ref());
                        r.breaches.push(format!(
                            "{word} {} {} ({} requests{})",
                            row.service,
                            row.name,
                            thousands(m.map_or(0, |m| m.count)),
                            if want == Presence::New { "" } else { " in BASE" }
                        ));
                    }
                }
            }
            r.crossed = !r.breaches.is_empty();
            Ok(r)
        })
        .collect()
}

/// The rows a scope covers, with a label for messages.
fn scoped<'a>(diff: &'a Diff, scope: &Scope) -> Result<Vec<(String, &'a Row)>, String> {
    let label = |r: &Row, kind: &str| match kind {
        "service" => format!("service {}", r.service),
        "operation" => format!("operation {} {}", r.service, r.name),
        _ => format!("chain {}", r.name),
    };
    let pick = |rows: &'a [Row], kind: &str, f: &dyn Fn(&Row) -> bool| {
        rows.iter()
            .filter(|r| f(r))
            .map(|r| (label(r, kind), r))
            .collect::<Vec<_>>()
    };
    let found = match scope {
        Scope::All => {
            let mut v = pick(&diff.services, "service", &|_| true);
            v.extend(pick(&diff.operations, "operation", &|_| true));
            return Ok(v);
        }
        Scope::Service(s) => pick(&diff.services, "service", &|r| &r.service == s),
        Scope::Operation { service, name } => pick(&diff.operations, "operation", &|r| {
            &r.service == service && &r.name == name
        }),
        Scope::Chain(sig) => pick(&diff.chains, "chain", &|r| &r.name == sig),
    };
    if !found.is_empty() {
        return Ok(found);
    }
    let (what, known): (String, Vec<String>) = match scope {
        Scope::Service(s) => (
            format!("no service named {s:?}"),
            diff.services.iter().map(|r| r.service.clone()).collect(),
        ),
        Scope::Operation { service, name } => (
            format!("no operation {name:?} in service {service:?}"),
            diff.operations
                .iter()
                .filter(|r| &r.service == service)
                .map(|r| format!("operation:{}:{}", r.service, r.name))
                .collect(),
        ),
        Scope::Chain(sig) => (
            format!("no chain {sig:?}"),
            diff.chains.iter().map(|r| r.name.clone()).collect(),
        ),
        Scope::All => unreachable!("handled above"),
    };
    let mut known = known;
    known.sort();
    known.dedup();
    let list = if known.is_empty() {
        "none".to_owned()
    } else {
        let mut l = known
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if known.len() > 10 {
            l.push_str(&format!(" and {} more", known.len() - 10));
        }
        l
    };
    Err(format!("--fail-if: {what} in either report; known: {list}"))
}

enum Verdict {
    Pass,
    Crossed(String),
    /// Left out by the noise rule or for being in one run only.
    Skip(String),
    /// The value is not in the reports (a latency of a row without durations).
    Unknown(String),
}

/// `a, b, c and 4 more`.
fn first_few(names: &[String], n: usize) -> String {
    let mut s = names.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > n {
        s.push_str(&format!(" and {} more", names.len() - n));
    }
    s
}

/// The metric's value in one run; `None` for a latency the run has no durations for.
fn value(m: &Metrics, metric: Metric) -> Option<f64> {
    match metric {
        Metric::P50 => m.p50_ms,
        Metric::P90 => m.p90_ms,
        Metric::P95 => m.p95_ms,
        Metric::P99 => m.p99_ms,
        Metric::Max => m.max_ms,
        Metric::Mean => m.mean_ms,
        Metric::ErrorRate => Some(m.error_rate),
        Metric::Count => Some(m.count as f64),
    }
}

fn judge(row: &Row, metric: Metric, above: bool, limit: Change, min_count: u64) -> Verdict {
    let (Some(b), Some(n)) = (&row.base, &row.new) else {
        return Verdict::Skip(format!(
            "only in {} (see new_operations / vanished_operations)",
            if row.base.is_some() { "BASE" } else { "NEW" }
        ));
    };
    let (bv, nv) = match (value(b, metric), value(n, metric)) {
        (Some(bv), Some(nv)) => (bv, nv),
        (bv, nv) => {
            let runs = match (bv, nv) {
                (None, None) => "either run",
                (None, _) => "BASE",
                _ => "NEW",
            };
            return Verdict::Unknown(format!(
                "{} cannot be checked, no durations in {runs}",
                metric.name()
            ));
        }
    };
    let counted = match (metric, limit) {
        (Metric::Count, Change::Absolute(_)) => true,
        (Metric::Count, _) => b.count >= min_count,
        _ => b.count.min(n.count) >= min_count,
    };
    if !counted {
        return Verdict::Skip(format!(
            "{} -> {} requests, fewer than --min-count {min_count}",
            thousands(b.count),
            thousands(n.count)
        ));
    }
    let (delta, lim, unit) = match limit {
        Change::Relative(p) => match pct(bv, nv) {
            Some(d) => (d, p, "%"),
            None => return Verdict::Skip(format!("{} is 0 in BASE", metric.name())),
        },
        Change::Absolute(a) => (nv - bv, a, if metric == Metric::Count { "" } else { " ms" }),
        Change::Points(p) => ((nv - bv) * 100.0, p, "pp"),
    };
    let crossed = if above { delta > lim } else { delta < lim };
    if !crossed {
        return Verdict::Pass;
    }
    let show = |v: f64| match metric {
        Metric::ErrorRate => format!("{:.2}%", v * 100.0),
        Metric::Count => thousands(v as u64),
        _ => format!("{} ms", ms(v)),
    };
    let absolute = match metric {
        Metric::ErrorRate => format!("{:+.2}pp", (nv - bv) * 100.0),
        Metric::Count => format!("{:+}", nv as i64 - bv as i64),
        _ => format!("{} ms", signed_ms(nv - bv)),
    };
    let relative = pct(bv, nv).map_or(String::new(), |p| format!(", {p:+.1}%"));
    Verdict::Crossed(format!(
        "{} {} -> {} ({absolute}{relative}); limit {}{}{}",
        metric.name(),
        show(bv),
        show(nv),
        if above { ">" } else { "<" },
        signed(lim),
        unit
    ))
}

/// Milliseconds with a sign: `+30.0`, `-1,200`.
pub fn signed_ms(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v > 0.0 {
        format!("+{}", ms(v))
    } else {
        ms(v)
    }
}

/// `20` -> `+20`, `-1.5` -> `-1.5`.
fn signed(v: f64) -> String {
    let s = format!("{v}");
    if v >= 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::super::threshold::parse;
    use super::*;

    fn row(service: &str, name: &str, b: (u64, u64, f64), n: (u64, u64, f64)) -> Row {
        let m = |(count, errors, p99): (u64, u64, f64)| Metrics {
            count,
            errors,
            error_rate: errors as f64 / count as f64,
            p99_ms: Some(p99),
            ..Default::default()
        };
        Row {
            service: service.into(),
            name: name.into(),
            base: Some(m(b)),
            new: Some(m(n)),
            ..Default::default()
        }
    }

    fn diff() -> Diff {
        Diff {
            services: vec![row("edge", "", (1000, 10, 100.0), (1000, 30, 130.0))],
            operations: vec![
                row("edge", "GET /a", (900, 10, 100.0), (900, 30, 130.0)),
                row("edge", "GET /rare", (5, 0, 10.0), (5, 0, 100.0)),
                Row {
                    service: "orders".into(),
                    name: "POST /new".into(),
                    presence: Presence::New,
                    new: Some(Metrics {
                        count: 40,
                        errors: 2,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    fn run(exprs: &[&str], min: u64) -> Vec<ThresholdResult> {
        let ts: Vec<Threshold> = exprs.iter().map(|e| parse(e).unwrap()).collect();
        check(&diff(), &ts, min).unwrap()
    }

    #[test]
    fn each_form_crosses_or_not() {
        let r = run(
            &[
                "p99>+20%",
                "p99>+30%",
                "p99>+29ms",
                "error_rate>+1pp",
                "error_rate>+3pp",
            ],
            20,
        );
        let crossed: Vec<bool> = r.iter().map(|r| r.crossed).collect();
        assert_eq!(crossed, vec![true, false, true, true, false]);
        assert_eq!(
            r[0].breaches[0],
            "service edge: p99 100 ms -> 130 ms (+30.0 ms, +30.0%); limit >+20%"
        );
        assert_eq!(
            r[3].breaches[1],
            "operation edge GET /a: error_rate 1.11% -> 3.33% (+2.22pp, +200.0%); limit >+1pp"
        );
        // The 5-request operation moved +900% but is below --min-count, and said so.
        assert_eq!(r[0].breaches.len(), 2);
        assert!(r[0].skipped[0].starts_with("2 rows (in one run only"));
        assert_eq!(run(&["p99>+20%"], 5)[0].breaches.len(), 3);
    }

    #[test]
    fn scopes_and_keywords() {
        let r = run(
            &[
                "edge:p99>+20%",
                "operation:edge:GET /rare:p99>+20%",
                "count<-10%",
                "new_operations",
                "vanished_operations",
                "new_errors",
            ],
            20,
        );
        assert_eq!(r[0].breaches.len(), 1);
        assert!(!r[1].crossed);
        assert_eq!(
            r[1].skipped,
            vec!["operation edge GET /rare: 5 -> 5 requests, fewer than --min-count 20"]
        );
        assert!(!r[2].crossed);
        assert_eq!(
            r[3].breaches,
            vec!["new operation orders POST /new (40 requests)"]
        );
        assert!(!r[4].crossed);
        assert_eq!(
            r[5].breaches,
            vec!["operation orders POST /new now fails: 2 of 40 requests (none in BASE)"]
        );
    }

    #[test]
    fn an_unknown_scope_is_an_error() {
        let ts = [parse("edg:p99>+20%").unwrap()];
        let e = check(&diff(), &ts, 20).unwrap_err();
        assert_eq!(
            e,
            "--fail-if: no service named \"edg\" in either report; known: edge"
        );
    }
}
