//! The three tables, column by column: name, kind, and how a batch of rows
//! fills it. The order here is the order in the files and in README.md.
//!
//! Input: a [`Ctx`] and row indexes (events: event index; spans: traced
//! spans in trace order, then untraced requests; traces: trace index).
//! Output: one Arrow array per column.

use std::fmt::Display;

use arrow_array::builder::StringBuilder;
use arrow_array::ArrayRef;

use super::columns::{self as col, append_display, Hex128, Hex64, Kind};
use super::{Ctx, SpanRow, NO_SPAN};
use crate::ingest::event::{flags, Event, Level, SpanId};
use crate::trace::{Link, SpanKind, Trace};

/// One column of a table.
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// False when every row has a value.
    pub nullable: bool,
    pub build: fn(&Ctx, &[u32]) -> ArrayRef,
}

/// One table: its columns, how many rows it has, and the time a row is
/// filed under when the table is partitioned by hour.
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub rows: fn(&Ctx) -> usize,
    pub time_ns: fn(&Ctx, u32) -> Option<i64>,
}

pub const TABLES: [Table; 3] = [
    Table {
        name: "events",
        columns: EVENTS,
        rows: |cx| cx.events.len(),
        time_ns: |cx, r| ev(cx, r).time(),
    },
    Table {
        name: "spans",
        columns: SPANS,
        rows: |cx| cx.span_rows(),
        time_ns: |cx, r| Some(cx.span(cx.span_row(r)).start_ns),
    },
    Table {
        name: "traces",
        columns: TRACES,
        rows: |cx| cx.traces.len(),
        time_ns: |cx, r| Some(tr(cx, r).start_ns),
    },
];

const fn c(
    name: &'static str,
    kind: Kind,
    nullable: bool,
    build: fn(&Ctx, &[u32]) -> ArrayRef,
) -> Column {
    Column {
        name,
        kind,
        nullable,
        build,
    }
}

const NULL: bool = true;
const SET: bool = false;

fn ev<'a>(cx: &Ctx<'a>, r: u32) -> &'a Event {
    &cx.events[r as usize]
}

fn tr<'a>(cx: &Ctx<'a>, r: u32) -> &'a Trace {
    &cx.traces[r as usize]
}

/// A logged id: a 16-hex-digit span id kept as a number, or text.
enum Id<'a> {
    Hex(u64),
    Text(&'a str),
}

impl Display for Id<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Hex(v) => write!(f, "{v:016x}"),
            Id::Text(s) => f.write_str(s),
        }
    }
}

fn logged<'a>(cx: &Ctx<'a>, id: SpanId) -> Option<Id<'a>> {
    match id {
        SpanId::None => None,
        SpanId::Hex(v) => Some(Id::Hex(v)),
        SpanId::Text(s) => Some(Id::Text(cx.symbols.get(s))),
    }
}

fn level(l: Level) -> Option<&'static str> {
    Some(match l {
        Level::Unknown => return None,
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
        Level::Fatal => "fatal",
    })
}

/// An HTTP status, `None` when none was logged (0).
fn status(s: u16) -> Option<i32> {
    (s != 0).then_some(i32::from(s))
}

/// The file an event came from.
fn file<'a>(cx: &Ctx<'a>, e: &Event) -> Option<&'a crate::ingest::FileReport> {
    cx.files.get(e.source.file as usize)
}

/// `path:line` of an event.
struct Line<'a>(&'a str, u32);

impl Display for Line<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.0, self.1)
    }
}

/// A service or operation name for a list: the name, or null.
fn push_name(cx: &Ctx, b: &mut StringBuilder, s: crate::ingest::event::Sym) {
    b.append_option(cx.text(s));
}

pub const EVENTS: &[Column] = &[
    c("time", Kind::Time, NULL, |cx, rows| {
        col::times(rows, |r| ev(cx, r).time())
    }),
    c("service", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(ev(cx, r).service))
    }),
    c("operation", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(ev(cx, r).operation))
    }),
    c("level", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| level(ev(cx, r).level))
    }),
    c("status", Kind::Int32, NULL, |cx, rows| {
        col::int32s(rows, |r| status(ev(cx, r).status))
    }),
    c("duration_ms", Kind::Ms, NULL, |cx, rows| {
        col::millis(rows, |r| {
            ev(cx, r)
                .duration()
                .map(|d| i64::try_from(d).unwrap_or(i64::MAX))
        })
    }),
    c("request_id", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(ev(cx, r).request_id))
    }),
    c("trace_id", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(ev(cx, r).trace_id))
    }),
    c("span_id", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| logged(cx, ev(cx, r).span_id()))
    }),
    c("parent_span_id", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| logged(cx, ev(cx, r).parent_span_id()))
    }),
    c("trace_hex", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| match cx.event_span[r as usize] {
            NO_SPAN => None,
            flat => match cx.span_row(flat) {
                SpanRow::Traced { trace, .. } => Some(Hex128(cx.trace_hex[trace as usize])),
                SpanRow::Untraced(_) => None,
            },
        })
    }),
    c("span_hex", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| match cx.event_span[r as usize] {
            NO_SPAN => None,
            flat => Some(Hex64(cx.span_hex[flat as usize])),
        })
    }),
    c("message", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(ev(cx, r).message))
    }),
    c("exception", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| Some(ev(cx, r).flags & flags::EXCEPTION != 0))
    }),
    c("client", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(ev(cx, r).client))
    }),
    c("upstream", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(ev(cx, r).upstream))
    }),
    c("file", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| file(cx, ev(cx, r)).map(|f| f.path.as_str()))
    }),
    c("line", Kind::Int64, SET, |cx, rows| {
        col::int64s(rows, |r| Some(i64::from(ev(cx, r).source.line)))
    }),
    c("format", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| file(cx, ev(cx, r)).map(|f| f.format.as_str()))
    }),
];

/// The trace of a spans-table row, if traced.
fn row_trace<'a>(cx: &Ctx<'a>, r: u32) -> Option<(u32, &'a Trace, u32)> {
    match cx.span_row(r) {
        SpanRow::Traced { trace, span } => Some((trace, tr(cx, trace), span)),
        SpanRow::Untraced(_) => None,
    }
}

pub const SPANS: &[Column] = &[
    c("trace_id", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| {
            row_trace(cx, r).and_then(|(_, t, _)| cx.text(t.id))
        })
    }),
    c("trace_hex", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| {
            row_trace(cx, r).map(|(t, _, _)| Hex128(cx.trace_hex[t as usize]))
        })
    }),
    c("span_id", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| logged(cx, cx.span(cx.span_row(r)).span_id))
    }),
    c("span_hex", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| {
            row_trace(cx, r).map(|(t, _, s)| Hex64(cx.span_id(t, s)))
        })
    }),
    c("parent_span_id", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| {
            let (_, t, s) = row_trace(cx, r)?;
            let p = t.spans[s as usize].parent?;
            logged(cx, t.spans[p as usize].span_id)
        })
    }),
    c("parent_span_hex", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| {
            let (ti, t, s) = row_trace(cx, r)?;
            let p = t.spans[s as usize].parent?;
            Some(Hex64(cx.span_id(ti, p)))
        })
    }),
    c("service", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(cx.span(cx.span_row(r)).service))
    }),
    c("operation", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(cx.span(cx.span_row(r)).operation))
    }),
    c("start", Kind::Time, SET, |cx, rows| {
        col::times(rows, |r| Some(cx.span(cx.span_row(r)).start_ns))
    }),
    c("end", Kind::Time, SET, |cx, rows| {
        col::times(rows, |r| Some(cx.span(cx.span_row(r)).end_ns))
    }),
    c("duration_ms", Kind::Ms, NULL, |cx, rows| {
        col::millis(rows, |r| {
            let s = cx.span(cx.span_row(r));
            s.timed.then(|| s.duration_ns())
        })
    }),
    c("status", Kind::Int32, NULL, |cx, rows| {
        col::int32s(rows, |r| status(cx.span(cx.span_row(r)).status))
    }),
    c("error", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| Some(cx.span(cx.span_row(r)).error))
    }),
    c("entry", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| {
            Some(match row_trace(cx, r) {
                Some((_, t, s)) => t.root == s,
                None => true,
            })
        })
    }),
    c("kind", Kind::Str, SET, |cx, rows| {
        col::strs(rows, |r| {
            Some(match cx.span(cx.span_row(r)).kind {
                SpanKind::Logged => "logged",
                SpanKind::Placeholder => "placeholder",
                SpanKind::SharedServer => "shared_server",
            })
        })
    }),
    c("depth", Kind::Int32, SET, |cx, rows| {
        col::int32s(rows, |r| Some(i32::from(cx.span(cx.span_row(r)).depth)))
    }),
    c("parent_inferred", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| Some(cx.span(cx.span_row(r)).inferred_parent))
    }),
    c("parent_confidence", Kind::Float, NULL, |cx, rows| {
        col::floats(rows, |r| {
            let s = cx.span(cx.span_row(r));
            s.parent.map(|_| f64::from(s.parent_confidence))
        })
    }),
    c("async_link", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| {
            Some(cx.span(cx.span_row(r)).link == Link::FollowsFrom)
        })
    }),
    c("error_origin", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| {
            Some(row_trace(cx, r).is_some_and(|(_, t, s)| t.error_origin == Some(s)))
        })
    }),
    c("critical_path", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| {
            Some(row_trace(cx, r).is_some_and(|(_, t, s)| t.critical_path.contains(&s)))
        })
    }),
    c("lines", Kind::StrList, SET, |cx, rows| {
        col::str_lists(rows, |r, b| {
            for &e in cx.span(cx.span_row(r)).events.iter() {
                let e = ev(cx, e);
                let path = file(cx, e).map_or("", |f| f.path.as_str());
                append_display(b, Line(path, e.source.line));
            }
        })
    }),
];

pub const TRACES: &[Column] = &[
    c("trace_id", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| cx.text(tr(cx, r).id))
    }),
    c("trace_hex", Kind::Str, SET, |cx, rows| {
        col::formatted(rows, |r| Some(Hex128(cx.trace_hex[r as usize])))
    }),
    c("ids", Kind::StrList, SET, |cx, rows| {
        col::str_lists(rows, |r, b| {
            for &id in &tr(cx, r).ids {
                push_name(cx, b, id);
            }
        })
    }),
    c("start", Kind::Time, SET, |cx, rows| {
        col::times(rows, |r| Some(tr(cx, r).start_ns))
    }),
    c("end", Kind::Time, SET, |cx, rows| {
        col::times(rows, |r| Some(tr(cx, r).end_ns))
    }),
    c("duration_ms", Kind::Ms, NULL, |cx, rows| {
        col::millis(rows, |r| crate::analyze::trace_duration_ns(tr(cx, r)))
    }),
    c("root_service", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| root(cx, r).and_then(|s| cx.text(s.service)))
    }),
    c("root_operation", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| root(cx, r).and_then(|s| cx.text(s.operation)))
    }),
    c("root_status", Kind::Int32, NULL, |cx, rows| {
        col::int32s(rows, |r| root(cx, r).and_then(|s| status(s.status)))
    }),
    c("root_latency_ms", Kind::Ms, NULL, |cx, rows| {
        col::millis(rows, |r| tr(cx, r).root_latency_ns)
    }),
    c("failed", Kind::Bool, SET, |cx, rows| {
        col::bools(rows, |r| Some(tr(cx, r).failed()))
    }),
    c("error_origin_service", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| {
            origin(cx, r).and_then(|(_, s)| cx.text(s.service))
        })
    }),
    c("error_origin_operation", Kind::Str, NULL, |cx, rows| {
        col::strs(rows, |r| {
            origin(cx, r).and_then(|(_, s)| cx.text(s.operation))
        })
    }),
    c("error_origin_span_hex", Kind::Str, NULL, |cx, rows| {
        col::formatted(rows, |r| {
            origin(cx, r).map(|(i, _)| Hex64(cx.span_id(r, i)))
        })
    }),
    c("services", Kind::StrList, SET, |cx, rows| {
        col::str_lists(rows, |r, b| {
            let mut names: Vec<&str> = tr(cx, r)
                .spans
                .iter()
                .filter_map(|s| cx.text(s.service))
                .collect();
            names.sort_unstable();
            names.dedup();
            for n in names {
                b.append_value(n);
            }
        })
    }),
    c("span_count", Kind::Int32, SET, |cx, rows| {
        col::int32s(rows, |r| {
            Some(i32::try_from(tr(cx, r).spans.len()).unwrap_or(i32::MAX))
        })
    }),
    c("critical_path_services", Kind::StrList, SET, |cx, rows| {
        col::str_lists(rows, |r, b| {
            let t = tr(cx, r);
            for &i in &t.critical_path {
                push_name(cx, b, t.spans[i as usize].service);
            }
        })
    }),
];

fn root<'a>(cx: &Ctx<'a>, r: u32) -> Option<&'a crate::trace::Span> {
    let t = tr(cx, r);
    t.spans.get(t.root as usize)
}

fn origin<'a>(cx: &Ctx<'a>, r: u32) -> Option<(u32, &'a crate::trace::Span)> {
    let t = tr(cx, r);
    let i = t.error_origin?;
    Some((i, t.spans.get(i as usize)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::parquet::Source;
    use crate::export::testing::fixture;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int32Type};
    use arrow_array::Array;

    fn column<'a>(table: &'a Table, name: &str) -> &'a Column {
        table.columns.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn what_the_logs_did_not_give_is_null() {
        let f = fixture();
        let cx = Ctx::new(&Source {
            events: &f.events,
            symbols: &f.symbols,
            files: &[],
            traces: &f.traces,
        });
        let spans = &TABLES[1];
        let rows: Vec<u32> = (0..(spans.rows)(&cx) as u32).collect();
        assert_eq!(rows.len(), 4);
        let build = |name| (column(spans, name).build)(&cx, &rows);
        // The db span logged no duration and no status; only it is the origin.
        let d = build("duration_ms");
        let d = d.as_primitive::<Float64Type>();
        assert_eq!((d.value(0), d.is_null(2)), (100.0, true));
        let s = build("status");
        let s = s.as_primitive::<Int32Type>();
        assert_eq!((s.value(0), s.is_null(2)), (502, true));
        let o = build("error_origin");
        let o: Vec<bool> = o.as_boolean().iter().map(Option::unwrap).collect();
        assert_eq!(o, [false, false, true, false]);
        // Parents: the root has none; children point at the root's exported id.
        let hex = build("span_hex");
        let parent = build("parent_span_hex");
        let (hex, parent) = (hex.as_string::<i32>(), parent.as_string::<i32>());
        assert!(parent.is_null(0) && parent.is_null(3));
        assert_eq!(
            (parent.value(1), parent.value(2)),
            (hex.value(0), hex.value(0))
        );
        // A logged 16-hex span id is kept as it is.
        assert_eq!(hex.value(1), "00f067aa0ba902b7");
        let conf = build("parent_confidence");
        assert!(conf.as_primitive::<Float64Type>().is_null(0));
        // The event of the db span carries its trace's and span's exported ids.
        let events = &TABLES[0];
        let e = (column(events, "span_hex").build)(&cx, &[0, 1]);
        assert_eq!(e.as_string::<i32>().value(0), hex.value(2));
        let t = (column(&TABLES[2], "trace_hex").build)(&cx, &[1]);
        assert_eq!(
            t.as_string::<i32>().value(0),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }
}
