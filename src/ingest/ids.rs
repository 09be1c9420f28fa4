//! `[[id_pattern]]`s from the config file -> regexes that pull correlation
//! ids out of any message.
//!
//! Input: [`IdPatternSpec`]s. Output: [`IdPatterns`], compiled once per run
//! (a bad regex is a [`ConfigError`] that names the pattern), applied by the
//! chunk reader to every entry's message.

use std::borrow::Cow;

use regex::Regex;

use super::event::{IdKind, Record};
use crate::config::{ConfigError, IdPatternSpec};

/// Regexes that pull correlation ids out of any message (`[[id_pattern]]`).
#[derive(Debug, Default)]
pub struct IdPatterns {
    patterns: Vec<(IdKind, Regex, &'static str)>,
}

impl IdPatterns {
    /// Compiles the patterns; errors name the pattern and say what is wrong.
    pub fn new(specs: &[IdPatternSpec]) -> Result<IdPatterns, ConfigError> {
        let mut patterns = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let label = match &spec.name {
                Some(n) => format!("[[id_pattern]] \"{n}\""),
                None => format!("[[id_pattern]] #{} (`{}`)", i + 1, spec.regex),
            };
            let kind = id_kind(&spec.kind).ok_or_else(|| {
                ConfigError(format!(
                    "{label}: unknown kind \"{}\"; use request, trace, span or parent_span",
                    spec.kind
                ))
            })?;
            let regex = Regex::new(&spec.regex)
                .map_err(|e| ConfigError(format!("{label}: the regex does not compile:\n{e}")))?;
            if regex.captures_len() > 2 {
                return Err(ConfigError(format!(
                    "{label}: the regex has {} capture groups; use one for the id (or none for the whole match) and (?:...) for the others",
                    regex.captures_len() - 1
                )));
            }
            let name = spec
                .name
                .clone()
                .unwrap_or_else(|| spec.kind.clone() + "_id");
            patterns.push((kind, regex, &*Box::leak(name.into_boxed_str())));
        }
        Ok(IdPatterns { patterns })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Fills the ids of `out` that are still empty from what the patterns find in `msg`:
    /// the first capture group when the regex has one, else the whole match.
    pub fn apply<'a>(&self, msg: &'a str, out: &mut Record<'a>) {
        for (kind, regex, name) in &self.patterns {
            if out.id(*kind).is_none() {
                if let Some(id) = find_id(regex, msg) {
                    out.put_id(*kind, Cow::Borrowed(id), name);
                }
            }
        }
    }

    /// [`Self::apply`] for a message that does not live as long as the record
    /// (one of several records decoded from a line): the ids are copied.
    pub fn apply_copied(&self, msg: &str, out: &mut Record<'_>) {
        for (kind, regex, name) in &self.patterns {
            if out.id(*kind).is_none() {
                if let Some(id) = find_id(regex, msg) {
                    out.put_id(*kind, Cow::Owned(id.to_owned()), name);
                }
            }
        }
    }
}

/// The first capture group of `regex` in `msg` when it has one, else the whole match.
fn find_id<'m>(regex: &Regex, msg: &'m str) -> Option<&'m str> {
    let found = if regex.captures_len() > 1 {
        regex.captures(msg).and_then(|c| c.get(1))
    } else {
        regex.find(msg)
    };
    found.map(|m| m.as_str())
}

/// `request`, `trace`, `span`, `parent_span` (also `parent`, `request_id`, ...).
pub fn id_kind(s: &str) -> Option<IdKind> {
    match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "request" | "request_id" | "correlation" => Some(IdKind::Request),
        "trace" | "trace_id" => Some(IdKind::Trace),
        "span" | "span_id" => Some(IdKind::Span),
        "parent_span" | "parent_span_id" | "parent" => Some(IdKind::ParentSpan),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_patterns_find_ids_in_messages() {
        let specs = [
            IdPatternSpec {
                kind: "request".into(),
                regex: r"\[(req-[0-9a-f-]{36})".into(),
                name: None,
            },
            IdPatternSpec {
                kind: "trace".into(),
                regex: r"blk_-?\d+".into(),
                name: Some("block".into()),
            },
        ];
        let p = IdPatterns::new(&specs).unwrap();
        let msg = "[req-38101a0b-2096-447d-96ea-a692162415ae 113d] GET /v2/servers blk_-6952295868487656571 done";
        let mut r = Record::default();
        p.apply(msg, &mut r);
        assert_eq!(
            r.request_id.as_deref(),
            Some("req-38101a0b-2096-447d-96ea-a692162415ae")
        );
        assert_eq!(r.trace_id.as_deref(), Some("blk_-6952295868487656571"));
        assert_eq!(r.id_fields, vec!["request_id", "block"]);
        let mut r = Record::default();
        r.put_id(IdKind::Request, "kept".into(), "rid");
        p.apply(msg, &mut r);
        assert_eq!(r.request_id.as_deref(), Some("kept"));

        let bad = |kind: &str, regex: &str| {
            IdPatterns::new(&[IdPatternSpec {
                kind: kind.into(),
                regex: regex.into(),
                name: None,
            }])
            .unwrap_err()
            .0
        };
        assert!(bad("session", "x").contains("unknown kind \"session\""));
        assert!(bad("trace", "(x").contains("does not compile"));
        assert!(bad("trace", "(a)(b)").contains("2 capture groups"));
    }
}
