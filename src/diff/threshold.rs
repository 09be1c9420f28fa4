//! `--fail-if` expressions: text -> [`Threshold`], with errors that point at the bad part.
//!
//! Input: one expression as the user typed it. Output: a validated threshold,
//! or a [`ParseError`] holding the byte offset of the bad part and what to
//! write instead. The grammar ([`GRAMMAR`]) is shown in `--help`, the README
//! and every error message:
//!
//! ```text
//! EXPR    = KEYWORD | [SCOPE ':'] METRIC OP CHANGE
//! KEYWORD = new_errors | new_operations | vanished_operations
//! SCOPE   = service:NAME | operation:SERVICE:NAME | chain:SIGNATURE | NAME (a service)
//! METRIC  = p50 | p90 | p95 | p99 | max | mean | error_rate | count (alias requests)
//! OP      = '>' (the change is above) | '<' (the change is below)
//! CHANGE  = [+|-] NUMBER UNIT, UNIT = % | ms | s | pp | (none: count only)
//! ```
//!
//! The scope ends at the last `:`, so operation names may hold `:` themselves.

use std::fmt;

/// The grammar, for help texts and error messages.
pub const GRAMMAR: &str = "\
Thresholds (--fail-if EXPR, repeatable):
  METRIC OP CHANGE           every service and operation, e.g. 'p99>+20%'
  SCOPE:METRIC OP CHANGE     one service, operation or chain, e.g. 'edge:p99>+20%'
  new_errors                 an error message or a failing operation BASE did not have
  new_operations             an operation BASE did not have
  vanished_operations        an operation of BASE that NEW does not have
METRIC  p50 p90 p95 p99 max mean (latency), error_rate, count (requests)
OP      > (the change is above CHANGE) or < (the change is below CHANGE)
CHANGE  +20% (relative to BASE), +15ms or +1s (absolute, latency only),
        +1pp (percentage points, error_rate only), +100 (absolute, count only);
        a missing sign means +
SCOPE   service:NAME, operation:SERVICE:NAME, chain:SIGNATURE, or a bare NAME (a service);
        the scope ends at the last ':', so operation names may contain ':'
Noise: latency and error_rate thresholds skip rows with fewer than --min-count requests in
either run; relative count thresholds skip rows with fewer in BASE.
A latency threshold on a row without durations (in BASE or NEW) cannot be checked: the row is
listed as not checked, and a threshold that checked no row shows n/a, not ok.
";

/// What a threshold measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    P50,
    P90,
    P95,
    P99,
    Max,
    Mean,
    ErrorRate,
    Count,
}

impl Metric {
    pub const ALL: [(&'static str, Metric); 9] = [
        ("p50", Metric::P50),
        ("p90", Metric::P90),
        ("p95", Metric::P95),
        ("p99", Metric::P99),
        ("max", Metric::Max),
        ("mean", Metric::Mean),
        ("error_rate", Metric::ErrorRate),
        ("count", Metric::Count),
        ("requests", Metric::Count),
    ];

    pub fn name(self) -> &'static str {
        Metric::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }

    /// Latency metrics take `ms`/`s`; the others do not.
    pub fn is_latency(self) -> bool {
        !matches!(self, Metric::ErrorRate | Metric::Count)
    }
}

/// How a change is measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Change {
    /// Percent of the BASE value: `+20%` is 20.0.
    Relative(f64),
    /// Milliseconds (latency) or requests (count).
    Absolute(f64),
    /// Percentage points of error rate: `+1pp` is 1.0.
    Points(f64),
}

/// Which rows a metric threshold looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every service and every operation.
    All,
    Service(String),
    Operation {
        service: String,
        name: String,
    },
    Chain(String),
}

/// One `--fail-if`.
#[derive(Clone, Debug, PartialEq)]
pub enum Threshold {
    /// `METRIC OP CHANGE`: crossed when the change is above (`>`) or below (`<`) `change`.
    Metric {
        scope: Scope,
        metric: Metric,
        above: bool,
        change: Change,
        /// The expression as given, for messages.
        text: String,
    },
    /// An error template, or an operation with failures, that BASE did not have.
    NewErrors,
    /// An operation that BASE did not have.
    NewOperations,
    /// An operation of BASE that NEW does not have.
    VanishedOperations,
}

impl Threshold {
    /// The expression, normalised for messages.
    pub fn text(&self) -> &str {
        match self {
            Threshold::Metric { text, .. } => text,
            Threshold::NewErrors => "new_errors",
            Threshold::NewOperations => "new_operations",
            Threshold::VanishedOperations => "vanished_operations",
        }
    }
}

/// A bad expression: where, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub expr: String,
    /// Byte offset of the bad part in `expr`.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    /// The expression, a caret under the bad part, the reason and the grammar.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let col = self.expr[..self.at.min(self.expr.len())].chars().count();
        write!(
            f,
            "bad --fail-if expression: {}\n  {}\n  {}^\n{}",
            self.message,
            self.expr,
            " ".repeat(col),
            GRAMMAR.trim_end()
        )
    }
}

impl std::error::Error for ParseError {}

/// Reads one `--fail-if` expression.
pub fn parse(expr: &str) -> Result<Threshold, ParseError> {
    let err = |at: usize, message: String| ParseError {
        expr: expr.to_owned(),
        at,
        message,
    };
    let trimmed_start = expr.len() - expr.trim_start().len();
    let body = expr.trim();
    if body.is_empty() {
        return Err(err(0, "the expression is empty".into()));
    }
    match body {
        "new_errors" => return Ok(Threshold::NewErrors),
        "new_operations" => return Ok(Threshold::NewOperations),
        "vanished_operations" => return Ok(Threshold::VanishedOperations),
        _ => {}
    }
    let (scope, rest, rest_at) = match body.rfind(':') {
        Some(i) => (
            parse_scope(&body[..i]).map_err(|m| err(trimmed_start, m))?,
            &body[i + 1..],
            trimmed_start + i + 1,
        ),
        None => (Scope::All, body, trimmed_start),
    };
    if matches!(
        rest.trim(),
        "new_errors" | "new_operations" | "vanished_operations"
    ) {
        return Err(err(
            rest_at,
            format!("{} takes no scope; write it alone", rest.trim()),
        ));
    }
    let Some(op_at) = rest.find(['>', '<']) else {
        return Err(err(
            rest_at + rest.len(),
            "no comparison: expected > or < after the metric, e.g. p99>+20%".into(),
        ));
    };
    let metric_text = rest[..op_at].trim();
    let metric = Metric::ALL
        .iter()
        .find(|(n, _)| *n == metric_text)
        .map(|(_, m)| *m)
        .ok_or_else(|| {
            err(
                rest_at,
                format!(
                    "unknown metric {metric_text:?}: use p50, p90, p95, p99, max, mean, error_rate or count"
                ),
            )
        })?;
    let above = &rest[op_at..op_at + 1] == ">";
    let mut change_text = &rest[op_at + 1..];
    let mut change_at = rest_at + op_at + 1;
    if change_text.starts_with('=') {
        return Err(err(
            change_at,
            "use > or < alone: a change exactly at the limit does not cross it".into(),
        ));
    }
    let lead = change_text.len() - change_text.trim_start().len();
    change_text = change_text.trim();
    change_at += lead;
    let change = parse_change(metric, change_text).map_err(|(off, m)| err(change_at + off, m))?;
    Ok(Threshold::Metric {
        scope,
        metric,
        above,
        change,
        text: body.to_owned(),
    })
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    let nonempty = |v: &str, what: &str| {
        if v.trim().is_empty() {
            Err(format!("the scope names no {what}"))
        } else {
            Ok(v.trim().to_owned())
        }
    };
    if let Some(rest) = s.strip_prefix("service:") {
        return Ok(Scope::Service(nonempty(rest, "service")?));
    }
    if let Some(rest) = s.strip_prefix("operation:") {
        let Some((svc, name)) = rest.split_once(':') else {
            return Err(
                "operation scope needs a service and a name: operation:SERVICE:NAME".into(),
            );
        };
        return Ok(Scope::Operation {
            service: nonempty(svc, "service")?,
            name: nonempty(name, "operation")?,
        });
    }
    if let Some(rest) = s.strip_prefix("chain:") {
        return Ok(Scope::Chain(nonempty(rest, "chain")?));
    }
    Ok(Scope::Service(nonempty(s, "service")?))
}

/// `+20%`, `-15ms`, `1s`, `+1pp`, `+100`; errors carry an offset into `s`.
fn parse_change(metric: Metric, s: &str) -> Result<Change, (usize, String)> {
    if s.is_empty() {
        return Err((
            0,
            "no change after the comparison: e.g. +20%, +15ms or +1pp".into(),
        ));
    }
    let (sign, body, off) = match s.as_bytes()[0] {
        b'+' => (1.0, &s[1..], 1),
        b'-' => (-1.0, &s[1..], 1),
        _ => (1.0, s, 0),
    };
    let digits = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let number: f64 = body[..digits]
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| (off, format!("expected a number, found {:?}", &body)))?;
    let v = sign * number;
    let unit = body[digits..].trim();
    let unit_at = off + digits;
    let name = metric.name();
    match unit {
        "%" if metric == Metric::ErrorRate => Err((
            unit_at,
            "error_rate changes are in percentage points: write pp (e.g. +1pp), not %".into(),
        )),
        "%" => Ok(Change::Relative(v)),
        "pp" if metric == Metric::ErrorRate => Ok(Change::Points(v)),
        "pp" => Err((
            unit_at,
            format!("pp (percentage points) is for error_rate only; {name} takes % or an absolute change"),
        )),
        "ms" | "s" if metric.is_latency() => {
            Ok(Change::Absolute(if unit == "s" { v * 1000.0 } else { v }))
        }
        "ms" | "s" => Err((
            unit_at,
            format!(
                "{unit} is for latency metrics only; {name} takes {}",
                if metric == Metric::Count { "% or a plain number" } else { "pp or %" }
            ),
        )),
        "" if metric == Metric::Count => Ok(Change::Absolute(v)),
        "" => Err((
            unit_at,
            format!(
                "the change needs a unit: {}",
                if metric == Metric::ErrorRate {
                    "pp (e.g. +1pp)"
                } else {
                    "% (e.g. +20%), ms or s (e.g. +15ms)"
                }
            ),
        )),
        other => Err((
            unit_at,
            format!("unknown unit {other:?}: use % (relative), ms or s (latency), pp (error_rate)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(s: &str) -> (Scope, Metric, bool, Change) {
        match parse(s).unwrap() {
            Threshold::Metric {
                scope,
                metric,
                above,
                change,
                ..
            } => (scope, metric, above, change),
            t => panic!("not a metric threshold: {t:?}"),
        }
    }

    #[test]
    fn every_change_form() {
        assert_eq!(
            metric("p99>+20%"),
            (Scope::All, Metric::P99, true, Change::Relative(20.0))
        );
        assert_eq!(metric("p50 > 15ms").3, Change::Absolute(15.0));
        assert_eq!(metric("max>+1.5s").3, Change::Absolute(1500.0));
        assert_eq!(metric("error_rate>+1pp").3, Change::Points(1.0));
        assert_eq!(
            metric("count<-50%"),
            (Scope::All, Metric::Count, false, Change::Relative(-50.0))
        );
        assert_eq!(metric("requests>+1000").3, Change::Absolute(1000.0));
        assert_eq!(metric("mean>0.5ms").3, Change::Absolute(0.5));
    }

    #[test]
    fn scopes_end_at_the_last_colon() {
        assert_eq!(metric("edge:p99>+20%").0, Scope::Service("edge".into()));
        assert_eq!(
            metric("service:service:p95>+5%").0,
            Scope::Service("service".into())
        );
        assert_eq!(
            metric("operation:edge:GET /a:b/{id}:p99>+20%").0,
            Scope::Operation {
                service: "edge".into(),
                name: "GET /a:b/{id}".into()
            }
        );
        assert_eq!(
            metric("chain:edge > auth, orders:error_rate>+2pp").0,
            Scope::Chain("edge > auth, orders".into())
        );
    }

    #[test]
    fn keywords() {
        assert_eq!(parse(" new_errors ").unwrap(), Threshold::NewErrors);
        assert_eq!(parse("new_operations").unwrap(), Threshold::NewOperations);
        assert_eq!(
            parse("vanished_operations").unwrap(),
            Threshold::VanishedOperations
        );
    }

    #[test]
    fn errors_point_at_the_bad_part() {
        let e = parse("p99>+20x").unwrap_err();
        assert_eq!((e.at, e.message.contains("unknown unit")), (7, true));
        let e = parse("edge:p98>+20%").unwrap_err();
        assert_eq!(e.at, 5);
        assert!(e.message.contains("unknown metric \"p98\""));
        let e = parse("error_rate>+1%").unwrap_err();
        assert!(e.message.contains("write pp"), "{}", e.message);
        assert_eq!(e.at, 13);
        assert!(parse("p99>+1pp")
            .unwrap_err()
            .message
            .contains("error_rate only"));
        assert!(parse("count>+5ms").unwrap_err().message.contains("latency"));
        assert!(parse("p99+20%")
            .unwrap_err()
            .message
            .contains("no comparison"));
        assert!(parse("p99>=20%").unwrap_err().message.contains("alone"));
        assert!(parse("p99>abc")
            .unwrap_err()
            .message
            .contains("expected a number"));
        assert!(parse("p99>20")
            .unwrap_err()
            .message
            .contains("needs a unit"));
        assert!(parse("operation:edge:p99>1%")
            .unwrap_err()
            .message
            .contains("SERVICE:NAME"));
        assert!(parse("edge:new_errors")
            .unwrap_err()
            .message
            .contains("no scope"));
        assert!(parse("").is_err());
        let shown = parse("p99>+20x").unwrap_err().to_string();
        assert!(shown.contains("  p99>+20x\n         ^\n"), "{shown}");
        assert!(shown.contains("METRIC"));
    }
}
