//! Command-line arguments -> plain option structs. The only module that knows clap.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use logtrace::analyze::AnalyzeOptions;
use logtrace::export::parquet::Partition;
use logtrace::export::{Format, Selection};
use logtrace::ingest::discover::DiscoverOptions;
use logtrace::render::waterfall::WaterfallOptions;
use logtrace::{
    DiffFormat, DiffOptions, ExportOptions, IngestOptions, InspectOptions, ReportOptions,
    TablesOptions, TimeBound, TraceViewOptions,
};

const EXIT_CODES: &str = "Exit codes: 0 success; 1 nothing in the input could be parsed; \
2 usage error, unreadable path or bad config.";

const REPORT_EXIT_CODES: &str = "Exit codes: 0 success; 1 nothing in the input could be parsed, \
or no event in the --since/--until window; 2 usage error, unreadable path, bad config, an \
output folder that is not empty and not an earlier report, is in use by another run or cannot be \
written.";

const TRACE_EXIT_CODES: &str = "Exit codes: 0 success; 1 nothing in the input could be parsed, \
or no trace has this id; 2 usage error, unreadable path or bad config.";

const EXPORT_EXIT_CODES: &str = "Exit codes: 0 success (also when the filters keep no trace: \
the file is then valid and empty); 1 nothing in the input could be parsed, the logs hold no \
trace, or a --trace id is not found; 2 usage error, unreadable path, bad config, or an output \
file that exists (without --force), is an input or inside an input folder, or cannot be written.";

const ALL_EXIT_CODES: &str = "Exit codes: 0 success; 1 nothing in the input could be parsed, \
a trace id not found, no trace to export, no event in the --since/--until window, or a \
`diff --fail-if` threshold crossed; 2 usage error, unreadable path, bad config, a report folder \
that is neither empty nor an earlier report or is in use, or an export file that cannot be written.";

/// `diff --help` after the options: the threshold grammar, examples, exit codes.
fn diff_help() -> String {
    format!(
        "{}\n\
         Examples:\n  \
         logtrace diff yesterday/ today/ --fail-if 'p99>+20%' --fail-if 'error_rate>+1pp'\n  \
         logtrace diff base.json new.json --fail-if 'operation:edge:POST /api/orders:p99>+50ms'\n  \
         logtrace diff base/ new/ --fail-if new_errors --markdown > diff.md\n\n\
         Exit codes: 0 no threshold crossed; 1 a threshold crossed (each is printed with the change);\n\
         2 usage error, a bad --fail-if, an unreadable report, or a report newer than this logtrace reads.",
        logtrace::diff::threshold::GRAMMAR
    )
}

const SHELL_EXIT_CODES: &str = "Exit codes: 0 success; 2 usage error.";

/// Turn a folder of logs into traces, statistics and charts, offline.
#[derive(Debug, Parser)]
#[command(name = "logtrace", version, about, after_help = ALL_EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what each file is: format, lines, events, unparsed lines, time range, services, id fields.
    #[command(after_help = EXIT_CODES)]
    Inspect(InspectArgs),
    /// Rebuild call chains, compute statistics, write DIR/report.json and print a summary.
    #[command(after_help = REPORT_EXIT_CODES)]
    Report(ReportArgs),
    /// Print one trace as a text waterfall with the log lines it came from.
    #[command(after_help = TRACE_EXIT_CODES)]
    Trace(TraceArgs),
    /// Write the rebuilt traces for tracing tools: Jaeger, OTLP, Zipkin, Perfetto, flame graphs.
    #[command(after_help = EXPORT_EXIT_CODES)]
    Export(ExportArgs),
    /// Compare two reports (BASE, NEW): what changed per service, operation and chain; thresholds for CI.
    #[command(after_help = diff_help())]
    Diff(DiffArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    #[command(after_help = SHELL_EXIT_CODES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) of logtrace or of one command, e.g. `logtrace man diff | man -l -`.
    #[command(hide = true, after_help = SHELL_EXIT_CODES)]
    Man(ManArgs),
}

/// Options shared by every command that reads logs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files or folders (read recursively; gzip, zstd and bzip2 are decompressed);
    /// `-` reads standard input, e.g. `kubectl logs POD | logtrace report -`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only read files matching this glob (repeatable), e.g. '*.log'.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Follow symlinks that lead out of the folders named (never into /proc, /sys, /dev).
    #[arg(long)]
    pub follow: bool,
    /// Config file with custom formats, format overrides and id patterns (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Time zone for timestamps written without one, e.g. 'Europe/Berlin' or '+08:00' (default UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Year for timestamps without one (syslog); default: each file's modification year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// No progress bar on stderr (it is shown only on a terminal anyway).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Which part of the logs to analyse.
#[derive(Debug, Args)]
pub struct WindowArgs {
    /// Only events at or after this time: 2024-03-01T12:30:00Z (RFC 3339, with a zone);
    /// 2024-03-01 12:30 or 2024-03-01T12:30:00 (in --tz, else UTC); 2024-03-01 (its midnight);
    /// 12:30 or 12:30:15 (on the day the logs end, in --tz, else UTC); -2h, -30m, -1d, -1h30m
    /// (before the end of the logs); +10m (after their start).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only events before this time; same forms as --since.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Folder to write report.json into; created if missing (not `-`: see --json).
    #[arg(
        short = 'o',
        long = "out",
        value_name = "DIR",
        default_value = "logtrace-report"
    )]
    pub out: PathBuf,
    /// Write into DIR even when it holds other files (yours are kept; files named like a
    /// report's are replaced).
    #[arg(long)]
    pub force: bool,
    /// How many slowest traces, failed traces, services, operations... to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Timeline bucket width, e.g. 30s, 5m, 1h (default: a round width giving 60-300 buckets).
    #[arg(long, value_name = "DURATION")]
    pub bucket: Option<String>,
    /// Print report.json to stdout instead of the summary (the folder is still written).
    #[arg(long)]
    pub json: bool,
    /// Also write each chart as DIR/charts/<name>.png, for tools that do not take SVG.
    #[arg(long)]
    pub png: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// A request id, trace id or span id (a unique prefix of 6+ characters will do).
    #[arg(value_name = "ID", allow_hyphen_values = true)]
    pub id: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// Log lines shown under each span; the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub lines: usize,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Only traces that start in this window.
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output format: jaeger (Jaeger UI upload), otlp (OTLP/JSON), zipkin (Zipkin v2 JSON),
    /// chrome (Perfetto, chrome://tracing), folded (flame graph stacks, self time in µs),
    /// parquet (a folder of events, spans and traces tables, for DuckDB, pandas, Spark).
    #[arg(long = "to", value_name = "FORMAT")]
    pub to: ExportFormat,
    /// File to write (a folder with --to parquet); `-` for stdout. Never an input, nor
    /// inside an input folder.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "FILE",
        allow_hyphen_values = true
    )]
    pub out: PathBuf,
    /// Replace FILE when it exists.
    #[arg(long)]
    pub force: bool,
    /// Only the trace carrying this request, trace or span id (repeatable; a unique
    /// prefix of 6+ characters will do).
    #[arg(long = "trace", value_name = "ID", allow_hyphen_values = true)]
    pub trace: Vec<String>,
    /// Only the N slowest traces (of those the other filters keep).
    #[arg(long, value_name = "N")]
    pub slowest: Option<usize>,
    /// Only failed traces.
    #[arg(long)]
    pub failed: bool,
    /// With --to parquet: one file per table and UTC hour, in date=YYYY-MM-DD/hour=HH/ folders.
    #[arg(long, value_name = "BY")]
    pub partition: Option<PartitionBy>,
}

/// The `--to` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jaeger,
    Otlp,
    Zipkin,
    Chrome,
    Folded,
    Parquet,
}

/// The `--partition` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PartitionBy {
    Hour,
}

impl ExportFormat {
    /// The trace format, for all but parquet.
    fn trace_format(self) -> Option<Format> {
        Some(match self {
            ExportFormat::Jaeger => Format::Jaeger,
            ExportFormat::Otlp => Format::Otlp,
            ExportFormat::Zipkin => Format::Zipkin,
            ExportFormat::Chrome => Format::Chrome,
            ExportFormat::Folded => Format::Folded,
            ExportFormat::Parquet => return None,
        })
    }
}

impl ExportArgs {
    /// True when the output goes to stdout.
    pub fn to_stdout(&self) -> bool {
        self.out.as_os_str() == "-"
    }

    /// True for `--to parquet`: see [`ExportArgs::to_table_options`].
    pub fn to_tables(&self) -> bool {
        self.to == ExportFormat::Parquet
    }

    /// The options of `--to parquet`, which writes everything: the trace
    /// filters are refused rather than half applied.
    pub fn to_table_options(&self) -> Result<TablesOptions, String> {
        let filters = !self.trace.is_empty()
            || self.slowest.is_some()
            || self.failed
            || self.window.since.is_some()
            || self.window.until.is_some();
        if filters {
            return Err(
                "--to parquet writes every event, span and trace; --trace, --since, \
                        --until, --failed and --slowest are for the trace formats: filter the \
                        tables in the query instead (e.g. WHERE failed)"
                    .into(),
            );
        }
        if self.to_stdout() {
            return Err("--to parquet writes a folder of tables; give -o DIR".into());
        }
        Ok(TablesOptions {
            ingest: self.input.to_options()?,
            trace: Default::default(),
            partition: match self.partition {
                None => Partition::None,
                Some(PartitionBy::Hour) => Partition::Hour,
            },
        })
    }

    pub fn to_options(&self) -> Result<ExportOptions, String> {
        let Some(format) = self.to.trace_format() else {
            return Err("--to parquet writes tables: see to_table_options".into());
        };
        if self.partition.is_some() {
            return Err("--partition is for --to parquet".into());
        }
        if self.slowest == Some(0) {
            return Err("--slowest must be at least 1".into());
        }
        let ingest = self.input.to_options()?;
        let (since, until) = self.window.bounds(ingest.tz.as_ref())?;
        Ok(ExportOptions {
            ingest,
            trace: Default::default(),
            select: Selection {
                ids: self.trace.clone(),
                since,
                until,
                failed: self.failed,
                slowest: self.slowest,
            },
            format,
        })
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report: a report.json or a folder written by `logtrace report`.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The later report, same forms.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Exit 1 when this threshold is crossed (repeatable); grammar below, e.g. 'p99>+20%'.
    #[arg(long = "fail-if", value_name = "EXPR", allow_hyphen_values = true)]
    pub fail_if: Vec<String>,
    /// Rows with fewer requests are not checked by latency and error_rate thresholds.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub min_count: u64,
    /// Print Markdown tables (for a pull request or a wiki).
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Print JSON (every row; structure in README, "diff").
    #[arg(long)]
    pub json: bool,
    /// Rows per section in the table and Markdown output.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command to print the page of (default: logtrace itself).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

impl DiffArgs {
    pub fn to_options(&self, color: bool) -> Result<DiffOptions, String> {
        if self.top == 0 {
            return Err("--top must be at least 1".into());
        }
        let thresholds = self
            .fail_if
            .iter()
            .map(|e| logtrace::diff::threshold::parse(e).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DiffOptions {
            thresholds,
            min_count: self.min_count,
            format: if self.json {
                DiffFormat::Json
            } else if self.markdown {
                DiffFormat::Markdown
            } else {
                DiffFormat::Terminal
            },
            top: self.top,
            color: color && !self.json && !self.markdown,
        })
    }
}

/// The completion script for `shell`, from the same definition the parser uses.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "logtrace", &mut out);
    out
}

/// The man page (roff) of logtrace, or of one of its commands.
pub fn man(command: Option<&str>) -> Result<Vec<u8>, String> {
    use clap::CommandFactory;
    let root = Cli::command();
    let cmd = match command {
        None => root,
        Some(name) => {
            let sub = root
                .get_subcommands()
                .find(|c| c.get_name() == name && !c.is_hide_set())
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = root
                        .get_subcommands()
                        .filter(|c| !c.is_hide_set())
                        .map(|c| c.get_name())
                        .collect();
                    format!("no command {name:?}; commands: {}", names.join(", "))
                })?;
            // The page is named `logtrace-diff(1)`, as git and cargo name theirs.
            let full = format!("logtrace-{}", sub.get_name());
            sub.name(full)
                .version(root.get_version().unwrap_or_default().to_owned())
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    Ok(out)
}

impl InputArgs {
    /// Validates the arguments into the library's ingest options.
    pub fn to_options(&self) -> Result<IngestOptions, String> {
        let config = match &self.config {
            Some(p) => logtrace::ingest::detect::load_config(p).map_err(|e| e.to_string())?,
            None => Default::default(),
        };
        let tz = match &self.tz {
            None => None,
            Some(z) => Some(parse_tz(z)?),
        };
        if let Some(0) = self.threads {
            return Err("--threads must be at least 1".into());
        }
        Ok(IngestOptions {
            discover: DiscoverOptions {
                include: self.include.clone(),
                exclude: self.exclude.clone(),
                follow: self.follow,
                ..Default::default()
            },
            config,
            tz,
            year: self.year,
            keep_events: false,
            chunk_size: 0,
            // A progress bar only where someone watches: stderr is a terminal.
            progress: (!self.quiet && std::io::stderr().is_terminal())
                .then(|| std::sync::Arc::new(Default::default())),
            copy_pipes: false,
            spill: None,
        })
    }
}

impl InspectArgs {
    pub fn to_options(&self) -> Result<InspectOptions, String> {
        Ok(InspectOptions {
            ingest: self.input.to_options()?,
            json: self.json,
        })
    }
}

impl ReportArgs {
    pub fn to_options(&self, color: bool) -> Result<ReportOptions, String> {
        let bucket_seconds = match &self.bucket {
            None => None,
            Some(b) => Some(parse_bucket(b)?),
        };
        if self.top == 0 {
            return Err("--top must be at least 1".into());
        }
        if self.out == std::path::Path::new("-") {
            return Err(
                "-o -: a report is a folder (report.json, charts, summary.md, index.html) and \
                 cannot be written to standard output; use --json to print report.json to stdout \
                 (the folder is still written, to -o DIR or ./logtrace-report)"
                    .into(),
            );
        }
        let ingest = self.input.to_options()?;
        let (since, until) = self.window.bounds(ingest.tz.as_ref())?;
        Ok(ReportOptions {
            ingest,
            since,
            until,
            trace: Default::default(),
            analyze: AnalyzeOptions {
                top: self.top,
                bucket_seconds,
                ..Default::default()
            },
            color,
            png: self.png,
            command: command_line(std::env::args_os().skip(1)),
        })
    }
}

/// The command line as a shell would take it back, for the report to say
/// how it was made. `--threads` is left out: it never changes a result, and
/// the report stays byte-identical whatever the thread count.
fn command_line(args: impl Iterator<Item = std::ffi::OsString>) -> String {
    let mut out = vec!["logtrace".to_owned()];
    let mut skip_next = false;
    for a in args {
        let a = a.to_string_lossy().into_owned();
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if a == "--threads" {
            skip_next = true;
            continue;
        }
        if a.starts_with("--threads=") {
            continue;
        }
        out.push(shell_quote(&a));
    }
    out.join(" ")
}

/// `a b` -> `'a b'`; plain words stay as they are.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

impl TraceArgs {
    pub fn to_options(&self, color: bool) -> Result<TraceViewOptions, String> {
        Ok(TraceViewOptions {
            ingest: self.input.to_options()?,
            trace: Default::default(),
            waterfall: WaterfallOptions {
                color,
                lines_per_span: self.lines,
            },
        })
    }
}

impl WindowArgs {
    /// `--since` and `--until`; `tz` (from `--tz`) places dates and times
    /// written without a zone.
    fn bounds(
        &self,
        tz: Option<&jiff::tz::TimeZone>,
    ) -> Result<(Option<TimeBound>, Option<TimeBound>), String> {
        let parse = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|s| TimeBound::parse(s, tz).map_err(|e| format!("{flag}: {e}")))
                .transpose()
        };
        Ok((
            parse("--since", &self.since)?,
            parse("--until", &self.until)?,
        ))
    }
}

/// A bucket width in whole seconds, at least one.
fn parse_bucket(s: &str) -> Result<u64, String> {
    let ns = logtrace::parse_duration(s).map_err(|e| format!("--bucket: {e}"))?;
    if ns < 1_000_000_000 || ns % 1_000_000_000 != 0 {
        return Err(format!(
            "--bucket: {s:?} is not a whole number of seconds (at least 1s)"
        ));
    }
    Ok((ns / 1_000_000_000) as u64)
}

/// A zone name from the tz database, `UTC`, or a fixed offset like `+08:00` / `-0500`.
fn parse_tz(z: &str) -> Result<jiff::tz::TimeZone, String> {
    if let Some((off, 0)) =
        logtrace::ingest::time::zone(z.as_bytes(), 0).map(|(o, n)| (o, z.len() - n))
    {
        let offset = jiff::tz::Offset::from_seconds(off).map_err(|e| e.to_string())?;
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    jiff::tz::TimeZone::get(z).map_err(|_| {
        format!("unknown time zone {z:?}: use a name like 'Europe/Berlin' or 'UTC', or an offset like '+08:00'")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("logtrace").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_quoted_and_leaves_out_threads() {
        let args = [
            "report",
            "my logs",
            "--threads",
            "4",
            "-o",
            "out",
            "--threads=2",
            "it's",
        ];
        assert_eq!(
            command_line(args.iter().map(std::ffi::OsString::from)),
            "logtrace report 'my logs' -o out 'it'\\''s'"
        );
        let Command::Report(r) = parse(&["report", "x", "--png"]).unwrap().command else {
            panic!("not report");
        };
        assert!(r.png);
    }

    #[test]
    fn report_defaults() {
        let Command::Report(r) = parse(&["report", "logs"]).unwrap().command else {
            panic!("not report");
        };
        assert_eq!(r.out, PathBuf::from("logtrace-report"));
        let o = r.to_options(false).unwrap();
        assert_eq!((o.analyze.top, o.analyze.bucket_seconds), (10, None));
        assert_eq!((o.since, o.until), (None, None));
    }

    #[test]
    fn relative_times_are_not_taken_for_flags() {
        let Command::Report(r) = parse(&[
            "report",
            "logs",
            "--since",
            "-2h",
            "--until=+90m",
            "--bucket",
            "5m",
        ])
        .unwrap()
        .command
        else {
            panic!("not report");
        };
        let o = r.to_options(false).unwrap();
        let h = 3_600_000_000_000;
        assert_eq!(o.since, Some(TimeBound::BeforeEnd(2 * h)));
        assert_eq!(o.until, Some(TimeBound::AfterStart(h * 3 / 2)));
        assert_eq!(o.analyze.bucket_seconds, Some(300));
    }

    #[test]
    fn bad_values_say_which_flag() {
        let Command::Report(r) = parse(&["report", "x", "--since", "yesterday"])
            .unwrap()
            .command
        else {
            panic!("not report");
        };
        assert!(r.to_options(false).unwrap_err().starts_with("--since: "));
        let Command::Report(r) = parse(&["report", "x", "--bucket", "250ms"])
            .unwrap()
            .command
        else {
            panic!("not report");
        };
        assert!(r
            .to_options(false)
            .unwrap_err()
            .contains("whole number of seconds"));
    }

    #[test]
    fn export_reads_its_filters() {
        let Command::Export(e) = parse(&[
            "export",
            "logs",
            "--to",
            "zipkin",
            "-o",
            "-",
            "--trace",
            "-r1",
            "--trace",
            "abc",
            "--slowest",
            "3",
            "--failed",
            "--since",
            "-1h",
        ])
        .unwrap()
        .command
        else {
            panic!("not export");
        };
        assert!(e.to_stdout());
        let o = e.to_options().unwrap();
        assert_eq!(o.format, Format::Zipkin);
        assert_eq!(o.select.ids, vec!["-r1", "abc"]);
        assert_eq!((o.select.slowest, o.select.failed), (Some(3), true));
        assert_eq!(
            o.select.since,
            Some(TimeBound::BeforeEnd(3_600_000_000_000))
        );
        // The format and the output are required; a bad format names the good ones.
        assert!(parse(&["export", "logs", "-o", "x.json"]).is_err());
        assert!(parse(&["export", "logs", "--to", "jaeger"]).is_err());
        let err = parse(&["export", "logs", "--to", "tempo", "-o", "-"]).unwrap_err();
        assert!(err.to_string().contains("jaeger"), "{err}");
        let Command::Export(e) =
            parse(&["export", "x", "--to", "otlp", "-o", "-", "--slowest", "0"])
                .unwrap()
                .command
        else {
            panic!("not export");
        };
        assert!(e.to_options().unwrap_err().contains("--slowest"));
    }

    #[test]
    fn trace_takes_an_id_then_paths() {
        let Command::Trace(t) = parse(&["trace", "-abc", "a", "b"]).unwrap().command else {
            panic!("not trace");
        };
        assert_eq!(t.id, "-abc");
        assert_eq!(t.input.paths.len(), 2);
        assert!(parse(&["trace", "only-an-id"]).is_err());
    }
}
