//! What a file's lines became, counted.
//!
//! Input: what the chunk sink saw, line by line and entry by entry. Output:
//! plain tallies (the lines by kind and damage, the first unparsed lines,
//! the entries per duration field and per status class, the id fields)
//! that `inspect` and `report.json` show per file. Each adds up with the
//! same tally of the chunk after it, so the totals do not depend on how the
//! file was cut.

use crate::ingest::event::{TimeUnit, UnitBasis};

/// A line that could not be read, kept as an example for the user.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BadLine {
    /// 1-based line number in the file (0-based within the chunk until merged).
    pub line: u64,
    pub reason: &'static str,
    /// The start of the line, lossily decoded, at most 200 characters.
    pub text: String,
}

/// What became of a file's lines: every line is counted exactly once, as an
/// entry line, a continuation, unparsed, a header or blank (`lines =
/// entry_lines + continuation + unparsed + headers + blank`); the rest are kinds of damage seen among
/// them. An entry line gives one event, except in formats that batch several
/// records on a line (OTLP JSON): there `events` may exceed `entry_lines`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LineCounts {
    /// Lines seen, including blank ones.
    pub lines: u64,
    pub blank: u64,
    /// Lines that start entries.
    #[serde(rename = "entry_lines")]
    pub entries: u64,
    /// Events those lines gave.
    pub events: u64,
    pub continuation: u64,
    pub unparsed: u64,
    /// Lines that describe the lines after them (W3C `#Fields:`), not entries.
    pub headers: u64,
    pub invalid_utf8: u64,
    pub long_lines: u64,
    pub binary_lines: u64,
    pub crlf: u64,
    /// Entries that are errors (5xx, level error+, exception).
    pub errors: u64,
    /// Entries without a usable time.
    pub untimed: u64,
}

impl LineCounts {
    /// Adds the counts of another part of the input.
    pub fn add(&mut self, o: &LineCounts) {
        self.lines += o.lines;
        self.blank += o.blank;
        self.entries += o.entries;
        self.events += o.events;
        self.continuation += o.continuation;
        self.unparsed += o.unparsed;
        self.headers += o.headers;
        self.invalid_utf8 += o.invalid_utf8;
        self.long_lines += o.long_lines;
        self.binary_lines += o.binary_lines;
        self.crlf += o.crlf;
        self.errors += o.errors;
        self.untimed += o.untimed;
    }
}

/// Entries with a duration, per field it came from, the unit it was in and
/// how that unit was known: what `inspect` shows about a file's durations.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DurationField {
    /// The key (`dur`, `request_time`), `message` for prose; empty for a field
    /// a layout places by position.
    pub field: String,
    pub unit: TimeUnit,
    pub basis: UnitBasis,
    pub count: u64,
}

/// Entries with an HTTP status, by class (`1xx` .. `5xx`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatusClasses {
    #[serde(rename = "1xx")]
    pub c1: u64,
    #[serde(rename = "2xx")]
    pub c2: u64,
    #[serde(rename = "3xx")]
    pub c3: u64,
    #[serde(rename = "4xx")]
    pub c4: u64,
    #[serde(rename = "5xx")]
    pub c5: u64,
}

impl StatusClasses {
    pub(super) fn count(&mut self, status: u16) {
        match status / 100 {
            1 => self.c1 += 1,
            2 => self.c2 += 1,
            3 => self.c3 += 1,
            4 => self.c4 += 1,
            5 => self.c5 += 1,
            _ => {}
        }
    }

    pub(super) fn add(&mut self, o: &StatusClasses) {
        self.c1 += o.c1;
        self.c2 += o.c2;
        self.c3 += o.c3;
        self.c4 += o.c4;
        self.c5 += o.c5;
    }

    /// Entries with a status of any class.
    pub fn total(&self) -> u64 {
        self.c1 + self.c2 + self.c3 + self.c4 + self.c5
    }
}

/// `a == b` for the short keys counted here, compared inline: these run
/// once per entry, and a call into the C library's `memcmp` for a key of a
/// dozen bytes cost `inspect` 4% of its time.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Adds `n` to the count of field `name`.
pub(super) fn count_field(fields: &mut Vec<(String, u64)>, name: &str, n: u64) {
    match fields.iter_mut().find(|(f, _)| same_text(f, name)) {
        Some((_, c)) => *c += n,
        None => fields.push((name.to_owned(), n)),
    }
}

/// Adds `n` to the count of durations from `field` in `unit` known by `basis`.
pub(super) fn count_duration(
    durations: &mut Vec<DurationField>,
    field: &str,
    unit: TimeUnit,
    basis: UnitBasis,
    n: u64,
) {
    match durations
        .iter_mut()
        .find(|d| d.unit == unit && d.basis == basis && same_text(&d.field, field))
    {
        Some(d) => d.count += n,
        None => durations.push(DurationField {
            field: field.to_owned(),
            unit,
            basis,
            count: n,
        }),
    }
}
