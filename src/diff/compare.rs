//! Two summaries -> the rows of a [`Diff`]: services, operations, chains,
//! error templates and error origins, matched by name, with their changes.
//!
//! Input: BASE and NEW `Summary`s of the same schema. Output: rows sorted by
//! severity (largest first), then by name; thresholds are filled in later by
//! [`super::check`].

use std::collections::BTreeMap;

use super::model::*;
use crate::analyze::summary::{LatencyMs, Summary};

/// Severity of a new or vanished row.
const APPEARED: f64 = 2.0;

/// Compares `base` with `new`. `min_count`: rows with fewer requests in
/// either run get no relative-latency severity (too few to mean anything).
pub fn compare(base: &Summary, new: &Summary, min_count: u64) -> Diff {
    let services = |s: &Summary| -> BTreeMap<(String, String), Metrics> {
        s.services
            .iter()
            .filter(|v| v.spans > 0)
            .map(|v| {
                let m = metrics(v.spans, v.errors, &v.latency_ms);
                ((v.name.clone(), String::new()), m)
            })
            .collect()
    };
    let operations = |s: &Summary| -> BTreeMap<(String, String), Metrics> {
        s.operations
            .iter()
            .map(|o| {
                let m = metrics(o.count, o.errors, &o.latency_ms);
                ((o.service.clone(), o.name.clone()), m)
            })
            .collect()
    };
    let chains = |s: &Summary| -> BTreeMap<(String, String), Metrics> {
        s.chains
            .iter()
            .map(|c| {
                let m = metrics(c.count, c.errors, &c.latency_ms);
                ((String::new(), c.signature.clone()), m)
            })
            .collect()
    };
    Diff {
        diff_version: DIFF_VERSION,
        schema_version: new.schema_version,
        base: side(base),
        new: side(new),
        services: rows(services(base), services(new), min_count),
        operations: rows(operations(base), operations(new), min_count),
        chains: rows(chains(base), chains(new), min_count),
        error_templates: templates(base, new),
        error_origins: origins(base, new),
        thresholds: Vec::new(),
    }
}

fn side(s: &Summary) -> Side {
    Side {
        path: String::new(),
        window_start: s.window.start.clone(),
        window_end: s.window.end.clone(),
        traces: s.traces.count,
        failed_traces: s.traces.with_errors,
    }
}

fn metrics(count: u64, errors: u64, l: &Option<LatencyMs>) -> Metrics {
    let pick = |f: fn(&LatencyMs) -> f64| l.as_ref().map(f);
    Metrics {
        count,
        errors,
        error_rate: if count == 0 {
            0.0
        } else {
            errors as f64 / count as f64
        },
        p50_ms: pick(|l| l.p50),
        p90_ms: pick(|l| l.p90),
        p95_ms: pick(|l| l.p95),
        p99_ms: pick(|l| l.p99),
        max_ms: pick(|l| l.max),
        mean_ms: pick(|l| l.mean),
    }
}

/// `new` relative to `base` in percent; `None` when `base` is zero (and `new` is not).
pub fn pct(base: f64, new: f64) -> Option<f64> {
    if !(base.is_finite() && new.is_finite()) {
        return None;
    }
    if base == 0.0 {
        return (new == 0.0).then_some(0.0);
    }
    Some((new - base) / base.abs() * 100.0)
}

/// `new` relative to `base` in percent when both are known (see [`pct`]).
fn pct_of(base: Option<f64>, new: Option<f64>) -> Option<f64> {
    pct(base?, new?)
}

/// `new - base` when both are known.
fn delta(base: Option<f64>, new: Option<f64>) -> Option<f64> {
    Some(new? - base?)
}

pub(crate) fn changes(b: &Metrics, n: &Metrics) -> Changes {
    Changes {
        count: (n.count as i128 - b.count as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64,
        count_pct: pct(b.count as f64, n.count as f64),
        error_rate_pp: (n.error_rate - b.error_rate) * 100.0,
        p50_ms: delta(b.p50_ms, n.p50_ms),
        p50_pct: pct_of(b.p50_ms, n.p50_ms),
        p99_ms: delta(b.p99_ms, n.p99_ms),
        p99_pct: pct_of(b.p99_ms, n.p99_ms),
    }
}

fn severity(b: &Metrics, n: &Metrics, c: &Changes, min_count: u64) -> f64 {
    let mut s = (c.error_rate_pp / 1.0).abs();
    s = s.max(c.count_pct.map_or(0.0, |p| p.abs() / 50.0));
    if b.count.min(n.count) >= min_count {
        s = s.max(c.p99_pct.map_or(0.0, |p| p.abs() / 20.0));
        s = s.max(c.p50_pct.map_or(0.0, |p| p.abs() / 20.0));
    }
    if s.is_finite() {
        s
    } else {
        0.0
    }
}

fn rows(
    base: BTreeMap<(String, String), Metrics>,
    mut new: BTreeMap<(String, String), Metrics>,
    min_count: u64,
) -> Vec<Row> {
    let mut out = Vec::with_capacity(base.len().max(new.len()));
    for ((service, name), b) in base {
        let row = match new.remove(&(service.clone(), name.clone())) {
            Some(n) => {
                let c = changes(&b, &n);
                Row {
                    severity: severity(&b, &n, &c, min_count),
                    service,
                    name,
                    presence: Presence::Both,
                    base: Some(b),
                    new: Some(n),
                    change: Some(c),
                }
            }
            None => Row {
                service,
                name,
                presence: Presence::Vanished,
                base: Some(b),
                new: None,
                change: None,
                severity: APPEARED,
            },
        };
        out.push(row);
    }
    for ((service, name), n) in new {
        out.push(Row {
            service,
            name,
            presence: Presence::New,
            base: None,
            new: Some(n),
            change: None,
            severity: APPEARED,
        });
    }
    out.sort_by(|a, b| {
        b.severity
            .total_cmp(&a.severity)
            .then_with(|| (&a.service, &a.name).cmp(&(&b.service, &b.name)))
    });
    out
}

/// Templates in one run only first, then those whose count changed most.
fn templates(base: &Summary, new: &Summary) -> Vec<TemplateChange> {
    let mut all: BTreeMap<&str, TemplateChange> = BTreeMap::new();
    for (t, is_new) in base
        .error_templates
        .iter()
        .map(|t| (t, false))
        .chain(new.error_templates.iter().map(|t| (t, true)))
    {
        let e = all
            .entry(t.template.as_str())
            .or_insert_with(|| TemplateChange {
                template: t.template.clone(),
                ..Default::default()
            });
        if is_new {
            e.new_count += t.count;
        } else {
            e.base_count += t.count;
        }
        e.services.extend(t.services.iter().cloned());
    }
    let mut out: Vec<TemplateChange> = all
        .into_values()
        .map(|mut t| {
            t.services.sort();
            t.services.dedup();
            t.presence = match (t.base_count, t.new_count) {
                (0, _) => Presence::New,
                (_, 0) => Presence::Vanished,
                _ => Presence::Both,
            };
            t
        })
        .collect();
    out.sort_by(|a, b| {
        let moved = |t: &TemplateChange| t.new_count.abs_diff(t.base_count);
        (a.presence == Presence::Both, moved(b), &a.template).cmp(&(
            b.presence == Presence::Both,
            moved(a),
            &b.template,
        ))
    });
    out
}

/// Each origin service's share of its run's failed traces; the largest move first.
fn origins(base: &Summary, new: &Summary) -> Vec<OriginChange> {
    let total = |s: &Summary| {
        let sum: u64 = s.error_origins.iter().map(|o| o.traces).sum();
        s.traces.with_errors.max(sum)
    };
    let (tb, tn) = (total(base), total(new));
    let share = |n: u64, t: u64| if t == 0 { 0.0 } else { n as f64 / t as f64 };
    let mut all: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for o in &base.error_origins {
        all.entry(&o.service).or_default().0 += o.traces;
    }
    for o in &new.error_origins {
        all.entry(&o.service).or_default().1 += o.traces;
    }
    let mut out: Vec<OriginChange> = all
        .into_iter()
        .map(|(service, (b, n))| {
            let (base_share, new_share) = (share(b, tb), share(n, tn));
            OriginChange {
                service: service.to_owned(),
                presence: match (b, n) {
                    (0, _) => Presence::New,
                    (_, 0) => Presence::Vanished,
                    _ => Presence::Both,
                },
                base_traces: b,
                new_traces: n,
                base_share,
                new_share,
                share_pp: (new_share - base_share) * 100.0,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.share_pp
            .abs()
            .total_cmp(&a.share_pp.abs())
            .then_with(|| a.service.cmp(&b.service))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::summary::{ErrorTemplate, OperationStats, OriginCount, TraceStats};

    fn op(
        service: &str,
        name: &str,
        count: u64,
        errors: u64,
        p50: f64,
        p99: f64,
    ) -> OperationStats {
        OperationStats {
            service: service.into(),
            name: name.into(),
            count,
            errors,
            error_rate: errors as f64 / count as f64,
            latency_ms: Some(LatencyMs {
                count,
                p50,
                p99,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn rows_match_by_name_and_sort_by_severity() {
        let base = Summary {
            operations: vec![
                op("edge", "GET /a", 100, 1, 10.0, 100.0),
                op("edge", "GET /b", 100, 0, 10.0, 100.0),
                op("edge", "GET /gone", 50, 0, 1.0, 2.0),
            ],
            ..Default::default()
        };
        let mut new = base.clone();
        new.operations[0] = op("edge", "GET /a", 100, 1, 10.0, 150.0); // p99 +50%
        new.operations[1] = op("edge", "GET /b", 110, 5, 10.0, 100.0); // +4pp errors
        new.operations[2] = op("orders", "POST /new", 30, 0, 1.0, 2.0);
        let d = compare(&base, &new, 20);
        let names: Vec<(&str, Presence, f64)> = d
            .operations
            .iter()
            .map(|r| (r.name.as_str(), r.presence, r.severity))
            .collect();
        assert_eq!(
            names,
            vec![
                ("GET /b", Presence::Both, 500.0 / 110.0),
                ("GET /a", Presence::Both, 2.5),
                ("GET /gone", Presence::Vanished, 2.0),
                ("POST /new", Presence::New, 2.0),
            ]
        );
        let c = d.operations[1].change.as_ref().unwrap();
        assert_eq!((c.p99_ms, c.p99_pct, c.count), (Some(50.0), Some(50.0), 0));
        let c = d.operations[0].change.as_ref().unwrap();
        assert_eq!((c.count, c.count_pct), (10, Some(10.0)));
    }

    #[test]
    fn few_requests_give_no_latency_severity() {
        let base = Summary {
            operations: vec![op("a", "x", 3, 0, 10.0, 10.0)],
            ..Default::default()
        };
        let mut new = base.clone();
        new.operations[0].latency_ms.as_mut().unwrap().p99 = 100.0;
        assert_eq!(compare(&base, &new, 20).operations[0].severity, 0.0);
        assert_eq!(compare(&base, &new, 1).operations[0].severity, 45.0);
    }

    #[test]
    fn templates_and_origins() {
        let t = |s: &str, n: u64| ErrorTemplate {
            template: s.into(),
            count: n,
            services: vec!["inventory".into()],
            ..Default::default()
        };
        let o = |s: &str, n: u64| OriginCount {
            service: s.into(),
            traces: n,
        };
        let failed = TraceStats {
            with_errors: 10,
            ..Default::default()
        };
        let base = Summary {
            error_templates: vec![t("db timeout", 10), t("old", 1)],
            error_origins: vec![o("inventory", 8), o("payments", 2)],
            traces: failed.clone(),
            ..Default::default()
        };
        let new = Summary {
            error_templates: vec![t("db timeout", 12), t("card declined <NUM>", 3)],
            error_origins: vec![o("inventory", 2), o("payments", 4), o("cart", 4)],
            traces: failed,
            ..Default::default()
        };
        let d = compare(&base, &new, 20);
        let ts: Vec<(&str, Presence)> = d
            .error_templates
            .iter()
            .map(|t| (t.template.as_str(), t.presence))
            .collect();
        assert_eq!(
            ts,
            vec![
                ("card declined <NUM>", Presence::New),
                ("old", Presence::Vanished),
                ("db timeout", Presence::Both)
            ]
        );
        let os: Vec<(&str, Presence, i64)> = d
            .error_origins
            .iter()
            .map(|o| (o.service.as_str(), o.presence, o.share_pp.round() as i64))
            .collect();
        assert_eq!(
            os,
            vec![
                ("inventory", Presence::Both, -60),
                ("cart", Presence::New, 40),
                ("payments", Presence::Both, 20)
            ]
        );
    }

    #[test]
    fn zero_bases_have_no_relative_change() {
        assert_eq!(pct(0.0, 0.0), Some(0.0));
        assert_eq!(pct(0.0, 5.0), None);
        assert_eq!(pct(4.0, 5.0), Some(25.0));
        assert_eq!(pct(f64::NAN, 5.0), None);
    }
}
