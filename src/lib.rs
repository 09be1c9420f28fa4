//! logtrace: turn a folder of logs into traces, statistics and charts, offline.
//!
//! The pipeline, stage by stage:
//!
//! 1. [`ingest`]: paths -> files (discovered, decompressed, format detected) ->
//!    compact [`ingest::event::Event`]s, with every unreadable line counted per file.
//! 2. [`trace`]: events -> traces, each request's call chain across services.
//! 3. [`analyze`]: traces -> the report's statistics ([`analyze::summary::Summary`]).
//! 4. [`render`]: results -> text and JSON for people and machines;
//!    [`output`] is the one place that writes files.
//! 5. [`export`]: traces -> the files tracing tools read (Jaeger, OTLP,
//!    Zipkin, Chrome trace events, folded stacks).
//!
//! [`window`] keeps the events of `--since/--until`; [`diff`] compares two
//! `report.json` files for nightly jobs and CI. `generate` writes incident
//! folders with known ground truth for the fixtures, tests and benchmarks; it
//! is not part of the API (the `generator` feature, which only tests, the
//! `gen` example and the benches turn on).
//!
//! Leaves any module may use, which use no other module: [`units`] (numbers as
//! people read them), [`safe`] (text from logs made safe for a terminal),
//! [`error`], [`config`] (the config file as plain specs), [`timing`] and
//! [`concat`]. Modules depend one way only, down this list;
//! `tests/architecture.rs` fails on a cycle or a wrong-way import.
//!
//! The binary (`src/main.rs`, `src/cli.rs`) only turns arguments into the plain
//! option structs below, prints what these functions return and writes the
//! report folder.

#![forbid(unsafe_code)]

pub mod analyze;
pub mod concat;
pub mod config;
pub mod diff;
pub mod error;
pub mod export;
#[cfg(feature = "generator")]
#[doc(hidden)]
pub mod generate;
pub mod ingest;
pub mod output;
pub mod render;
pub mod safe;
pub mod timing;
pub mod trace;
pub mod units;
pub mod window;

use std::path::PathBuf;

pub use error::Error;
pub use ingest::{IngestError, IngestOptions, Ingested};
pub use window::{parse_duration, TimeBound};

use trace::find::{find_traces, not_found};
use window::keep_window;

impl From<IngestError> for Error {
    fn from(e: IngestError) -> Self {
        Error::Usage(e.to_string())
    }
}

/// Options of `logtrace inspect`.
#[derive(Clone, Debug, Default)]
pub struct InspectOptions {
    pub ingest: IngestOptions,
    /// JSON instead of text.
    pub json: bool,
}

/// What `inspect` found.
#[derive(Debug)]
pub struct Inspection {
    /// The rendered report (text or JSON).
    pub output: String,
    /// Set when no file gave a single event, or a path named could not be
    /// read at all: why, and what to do.
    pub nothing_parsed: Option<Error>,
}

/// `logtrace inspect`: what each file is and how much of it could be read.
pub fn inspect(paths: &[PathBuf], opts: &InspectOptions) -> Result<Inspection, Error> {
    let mut ingest_opts = opts.ingest.clone();
    ingest_opts.keep_events = false;
    let input = ingest::ingest(paths, &ingest_opts)?;
    let output = if opts.json {
        render::inspect::json(&input)
    } else {
        render::inspect::text(&input)
    };
    Ok(Inspection {
        output,
        nothing_parsed: unread(&input)
            .or_else(|| nothing_parsed(&input, paths).map(Error::NothingParsed)),
    })
}

/// The paths the user named that could not be read at all, as an error
/// (exit code 2), if there are any.
fn unread(input: &Ingested) -> Option<Error> {
    let unread = input.unread_named();
    (!unread.is_empty()).then(|| {
        Error::Usage(format!(
            "could not read {}; everything else was read",
            unread.join(", ")
        ))
    })
}

/// The explanation to give when the input held no event at all.
fn nothing_parsed(input: &Ingested, paths: &[PathBuf]) -> Option<String> {
    let events: u64 = input.files.iter().map(|f| f.counts.events).sum();
    if events > 0 {
        return None;
    }
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Some(if input.files.is_empty() {
        format!(
            "no log files under {} (after --include/--exclude); point logtrace at a folder or file of logs",
            shown.join(", ")
        )
    } else {
        let lines: u64 = input.files.iter().map(|f| f.counts.lines).sum();
        format!(
            "no log entries could be parsed in {} files ({lines} lines); if they are in a format \
             logtrace does not know, describe it with a [[format]] regex in a config file \
             (see README, \"Config file\") and pass --config",
            input.files.len()
        )
    })
}

/// Options of `logtrace report`.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    pub ingest: IngestOptions,
    /// Only events at or after this time.
    pub since: Option<TimeBound>,
    /// Only events before this time.
    pub until: Option<TimeBound>,
    pub trace: trace::TraceOptions,
    pub analyze: analyze::AnalyzeOptions,
    /// ANSI colour in the terminal summary.
    pub color: bool,
    /// Also draw each chart as `charts/<name>.png`.
    pub png: bool,
    /// The command line that produced the report, shown in `summary.md` and `index.html`.
    pub command: String,
}

/// What `report` produced. Nothing is written yet: [`render::files`] does that.
#[derive(Debug)]
pub struct ReportOutcome {
    pub summary: analyze::summary::Summary,
    /// The report folder's files (relative path, bytes): `report.json`, `charts/*.svg`,
    /// `charts/*.png` (with `png`), `summary.md`, `index.html`.
    pub files: Vec<(String, Vec<u8>)>,
    /// The terminal summary.
    pub terminal: String,
    /// Files read and their decompressed bytes, for the throughput line.
    pub files_read: usize,
    pub bytes_read: u64,
    /// A path named that could not be read at all: the report covers the
    /// rest, and the run ends with this error (exit code 2).
    pub unread: Option<Error>,
}

impl ReportOutcome {
    /// `report.json` as text.
    pub fn json(&self) -> &str {
        self.files
            .iter()
            .find(|(p, _)| p == "report.json")
            .and_then(|(_, b)| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// `logtrace report`: read, keep the --since/--until window, rebuild traces, summarise.
pub fn report(paths: &[PathBuf], opts: &ReportOptions) -> Result<ReportOutcome, Error> {
    let mut clock = timing::Clock::new();
    let mut input = read_events(paths, &opts.ingest)?;
    clock.lap("read");
    keep_window(&mut input.events, opts.since.as_ref(), opts.until.as_ref())?;
    let traces = trace::build(&input.events, &input.symbols, &opts.trace);
    clock.lap("traces");
    if timing::enabled() {
        let events = input.events.capacity() * std::mem::size_of::<ingest::event::Event>();
        let mut parts = vec![("events", events), ("strings", input.symbols.held_bytes())];
        parts.extend(traces.held_bytes());
        timing::held("traces", &parts);
    }
    let summary = analyze::summarize(&input, &traces, &opts.analyze);
    clock.lap("analysis");
    let view = render::view::View::new(&summary, &traces, &input.symbols);
    let charts = render::charts::all(&view);
    clock.lap("charts");
    let mut files = render::files::contents(&summary, &charts);
    if opts.png {
        files.extend(render::png::charts(&charts).map_err(Error::Usage)?);
    }
    let top = opts.analyze.top;
    files.push((
        "summary.md".into(),
        render::markdown::summary(&view, &charts, &opts.command, top).into_bytes(),
    ));
    files.push((
        "index.html".into(),
        render::html::page(&view, &charts, &opts.command, top).into_bytes(),
    ));
    let terminal = render::terminal::summary(&view, opts.analyze.top, opts.color);
    let unread = unread(&input);
    let files_read = input.files.len();
    let bytes_read = input.files.iter().map(|f| f.bytes).sum();
    drop_aside((input, traces));
    Ok(ReportOutcome {
        files,
        terminal,
        files_read,
        bytes_read,
        unread,
        summary,
    })
}

/// Frees `big` on a thread of its own. The events and traces of a large run
/// are millions of small allocations; freeing them took a tenth of a second
/// on the caller's path, between the analysis and writing the report.
fn drop_aside<T: Send + 'static>(big: T) {
    // Should the thread not start, the closure and `big` are dropped here.
    let _ = std::thread::Builder::new()
        .name("logtrace-free".into())
        .spawn(move || drop(big));
}

/// Options of `logtrace trace`.
#[derive(Clone, Debug, Default)]
pub struct TraceViewOptions {
    pub ingest: IngestOptions,
    pub trace: trace::TraceOptions,
    pub waterfall: render::waterfall::WaterfallOptions,
}

/// `logtrace trace`: the waterfall of every trace that carries `id` (a request
/// id, a trace id or a span id; a unique prefix of at least 6 characters will do).
/// A piped input (standard input) is copied to a temporary file while it is
/// read, so its lines can be shown too; the copy is removed when this returns.
pub fn trace(id: &str, paths: &[PathBuf], opts: &TraceViewOptions) -> Result<TraceOutcome, Error> {
    let ingest_opts = IngestOptions {
        copy_pipes: true,
        ..opts.ingest.clone()
    };
    let input = read_events(paths, &ingest_opts)?;
    let traces = trace::build(&input.events, &input.symbols, &opts.trace);
    let found = find_traces(&traces, &input.symbols, id);
    if found.is_empty() {
        return Err(Error::NotFound(not_found(
            &traces,
            &input.symbols,
            id,
            paths,
        )));
    }
    // The lines to show are read before rendering: the renderer gets text.
    let names: Vec<String> = input.files.iter().map(|f| f.path.clone()).collect();
    let wanted: std::collections::BTreeSet<ingest::event::SourceRef> = found
        .iter()
        .flat_map(|&t| {
            render::waterfall::wanted_lines(
                &traces.traces[t],
                &input.events,
                opts.waterfall.lines_per_span,
            )
        })
        .collect();
    let lines = ingest::reread::lines(paths, &opts.ingest.discover, &input, &wanted);
    let cx = render::waterfall::Context {
        events: &input.events,
        symbols: &input.symbols,
        files: &names,
        lines: &lines,
    };
    let mut out = String::new();
    if found.len() > 1 {
        out.push_str(&format!(
            "{} names {} traces (an id reused far apart in time); showing each\n\n",
            safe::terminal(id),
            found.len()
        ));
    }
    for (n, &t) in found.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str(&render::waterfall::render(
            &traces.traces[t],
            &cx,
            &opts.waterfall,
        ));
    }
    Ok(TraceOutcome {
        text: out,
        unread: unread(&input),
    })
}

/// What `trace` produced.
#[derive(Debug)]
pub struct TraceOutcome {
    /// The waterfalls.
    pub text: String,
    /// A path named that could not be read at all (exit code 2 once shown).
    pub unread: Option<Error>,
}

/// Options of `logtrace export`.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    pub ingest: IngestOptions,
    pub trace: trace::TraceOptions,
    /// Which traces to write.
    pub select: export::Selection,
    /// The format to write them in.
    pub format: export::Format,
}

/// What `export` produced. Nothing is written yet: the caller decides where the bytes go.
#[derive(Debug)]
pub struct ExportOutcome {
    /// The file's contents.
    pub bytes: Vec<u8>,
    /// Traces and spans written.
    pub traces: usize,
    pub spans: usize,
    /// Traces the logs held before the filters.
    pub available: usize,
    /// A path named that could not be read at all (exit code 2 once written).
    pub unread: Option<Error>,
}

/// `logtrace export`: read, rebuild traces, keep the selected ones, write
/// them in a tracing tool's format.
pub fn export(paths: &[PathBuf], opts: &ExportOptions) -> Result<ExportOutcome, Error> {
    let input = read_events(paths, &opts.ingest)?;
    let traces = trace::build(&input.events, &input.symbols, &opts.trace);
    if traces.traces.is_empty() {
        return Err(Error::NotFound(format!(
            "no traces to export: none of the {} events carries a request or trace id \
             ({} requests were logged without one); `logtrace inspect` shows which id fields were found",
            input.events.len(),
            traces.untraced.len()
        )));
    }
    let mut named = std::collections::BTreeSet::new();
    for id in &opts.select.ids {
        let found = find_traces(&traces, &input.symbols, id);
        if found.is_empty() {
            return Err(Error::NotFound(not_found(
                &traces,
                &input.symbols,
                id,
                paths,
            )));
        }
        named.extend(found);
    }
    let view = export::Input {
        traces: &traces,
        events: &input.events,
        symbols: &input.symbols,
    };
    let chosen = export::select(view, &opts.select, &named)?;
    let x = export::Export::new(view, &chosen);
    Ok(ExportOutcome {
        bytes: export::render(opts.format, &x),
        traces: x.traces.len(),
        spans: x.span_count(),
        available: traces.traces.len(),
        unread: unread(&input),
    })
}

/// Options of `logtrace export --to parquet`.
#[derive(Clone, Debug, Default)]
pub struct TablesOptions {
    pub ingest: IngestOptions,
    pub trace: trace::TraceOptions,
    pub partition: export::parquet::Partition,
}

/// What `export --to parquet` wrote.
#[derive(Debug)]
pub struct TablesOutcome {
    pub written: export::parquet::Written,
    /// Files read and their decompressed bytes, for the throughput line.
    pub files_read: usize,
    pub bytes_read: u64,
    /// A path named that could not be read at all (exit code 2 once written).
    pub unread: Option<Error>,
}

/// `logtrace export --to parquet`: read, rebuild traces, write the events,
/// spans and traces tables through `create` (which makes each file).
pub fn export_tables(
    paths: &[PathBuf],
    opts: &TablesOptions,
    create: export::parquet::Create,
) -> Result<TablesOutcome, Error> {
    let input = read_events(paths, &opts.ingest)?;
    let traces = trace::build(&input.events, &input.symbols, &opts.trace);
    let src = export::parquet::Source {
        events: &input.events,
        symbols: &input.symbols,
        files: &input.files,
        traces: &traces,
    };
    let written = export::parquet::write(&src, opts.partition, create).map_err(|e| {
        Error::Usage(format!(
            "writing the tables failed: {}",
            output::describe(&e)
        ))
    })?;
    let outcome = TablesOutcome {
        written,
        files_read: input.files.len(),
        bytes_read: input.files.iter().map(|f| f.bytes).sum(),
        unread: unread(&input),
    };
    drop_aside((input, traces));
    Ok(outcome)
}

/// How `logtrace diff` prints its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiffFormat {
    /// A table of at most 100 columns.
    #[default]
    Terminal,
    Markdown,
    Json,
}

/// Options of `logtrace diff`.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// `--fail-if` thresholds, already parsed.
    pub thresholds: Vec<diff::threshold::Threshold>,
    /// Rows with fewer requests are left out of latency and error-rate thresholds.
    pub min_count: u64,
    pub format: DiffFormat,
    /// Rows per section in the terminal and Markdown output.
    pub top: usize,
    /// ANSI colour in the terminal table.
    pub color: bool,
}

/// What `diff` found.
#[derive(Debug)]
pub struct DiffOutcome {
    pub diff: diff::model::Diff,
    /// The rendered output in the asked format.
    pub output: String,
    /// How many thresholds were crossed (exit code 1 when any).
    pub crossed: usize,
}

/// `logtrace diff`: compare two reports (each a `report.json` or a report
/// folder) and check the thresholds. Unreadable reports, reports of a schema
/// this logtrace does not read (older ones are upgraded) and thresholds naming
/// nothing in either report are usage errors.
pub fn diff(
    base: &std::path::Path,
    new: &std::path::Path,
    opts: &DiffOptions,
) -> Result<DiffOutcome, Error> {
    let b = diff::load(base, "BASE").map_err(Error::Usage)?;
    let n = diff::load(new, "NEW").map_err(Error::Usage)?;
    let mut d = diff::compare::compare(&b, &n, opts.min_count);
    d.base.path = base.display().to_string();
    d.new.path = new.display().to_string();
    d.thresholds =
        diff::check::check(&d, &opts.thresholds, opts.min_count).map_err(Error::Usage)?;
    let top = opts.top.max(1);
    let output = match opts.format {
        DiffFormat::Terminal => diff::render::terminal(&d, top, opts.min_count, opts.color),
        DiffFormat::Markdown => diff::render::markdown(&d, top),
        DiffFormat::Json => diff::render::json(&d),
    };
    Ok(DiffOutcome {
        crossed: d.thresholds.iter().filter(|t| t.crossed).count(),
        output,
        diff: d,
    })
}

/// Ingests with events kept; an input without a single event is an error.
fn read_events(paths: &[PathBuf], opts: &IngestOptions) -> Result<Ingested, Error> {
    let mut ingest_opts = opts.clone();
    ingest_opts.keep_events = true;
    let input = ingest::ingest(paths, &ingest_opts)?;
    match nothing_parsed(&input, paths) {
        // Nothing to show, and a path named was unreadable: that is why.
        Some(msg) => Err(unread(&input).unwrap_or(Error::NothingParsed(msg))),
        None => Ok(input),
    }
}
