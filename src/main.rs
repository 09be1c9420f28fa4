//! The `logtrace` binary: parse arguments, call the library, print, exit.

#![forbid(unsafe_code)]

mod cli;

use clap::Parser;
use logtrace::output::{export_file, report_dir::ReportDir, table_dir::TableDir, OutputError};
use logtrace::render::terminal;
use logtrace::safe;

// Parsing and trace building allocate many small buffers on every core at
// once; glibc's allocator serialises them on its arena locks.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    ignore_file_size_signal();
    let cli = cli::Cli::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err((code, msg)) => {
            // Messages quote paths, ids and names from the input.
            for (i, line) in msg.lines().enumerate() {
                let lead = if i == 0 { "logtrace: " } else { "" };
                eprintln!("{lead}{}", safe::terminal(line));
            }
            code
        }
    };
    std::process::exit(code);
}

fn run(cli: cli::Cli) -> Result<(), (i32, String)> {
    match cli.command {
        cli::Command::Inspect(args) => {
            let opts = args.to_options().map_err(|m| (2, m))?;
            threads(args.input.threads)?;
            let found = with_progress(opts.ingest.progress.clone(), || {
                logtrace::inspect(&args.input.paths, &opts)
            })
            .map_err(fail)?;
            print(&found.output)?;
            found.nothing_parsed.map_or(Ok(()), |e| Err(fail(e)))
        }
        cli::Command::Report(args) => {
            let started = std::time::Instant::now();
            let mut opts = args.to_options(color()).map_err(|m| (2, m))?;
            threads(args.input.threads)?;
            // The folder is checked and locked before any input is read: a
            // folder of other files, or one another run is writing, is
            // refused before any time is spent on the analysis.
            let out = ReportDir::prepare(&args.out, args.force, &args.input.paths)
                .map_err(output_fail)?;
            notes(out.notes());
            opts.ingest.discover.skip_dirs.push(out.id());
            let done = with_progress(opts.ingest.progress.clone(), || {
                logtrace::report(&args.input.paths, &opts)
            })
            .map_err(fail)?;
            notes(&out.write(&done.files).map_err(output_fail)?);
            for w in &done.summary.input.config_warnings {
                eprintln!("logtrace: warning: {}", safe::terminal(w));
            }
            // A path named but unreadable: the report covers the rest, and
            // the exit code says it is not whole.
            let unread = done.unread.as_ref().map(|e| Err(fail_ref(e)));
            if args.json {
                print(done.json())?;
                return unread.unwrap_or(Ok(()));
            }
            let secs = started.elapsed().as_secs_f64();
            print(&done.terminal)?;
            print(&format!(
                "\nreport written to {}: report.json, summary.md, index.html, charts/ ({} files)\n{}",
                safe::terminal(&args.out.display().to_string()),
                done.files.len(),
                terminal::throughput(done.files_read, done.bytes_read, secs)
            ))?;
            unread.unwrap_or(Ok(()))
        }
        cli::Command::Trace(args) => {
            let opts = args.to_options(color()).map_err(|m| (2, m))?;
            threads(args.input.threads)?;
            let done = with_progress(opts.ingest.progress.clone(), || {
                logtrace::trace(&args.id, &args.input.paths, &opts)
            })
            .map_err(fail)?;
            print(&done.text)?;
            done.unread.map_or(Ok(()), |e| Err(fail(e)))
        }
        cli::Command::Export(args) if args.to_tables() => export_tables(&args),
        cli::Command::Export(args) => {
            let opts = args.to_options().map_err(|m| (2, m))?;
            threads(args.input.threads)?;
            // Checked before any input is read: never an input, never an
            // existing file without --force.
            let target = match args.to_stdout() {
                true => None,
                false => Some(
                    export_file::check(&args.out, args.force, &args.input.paths)
                        .map_err(output_fail)?,
                ),
            };
            let done = with_progress(opts.ingest.progress.clone(), || {
                logtrace::export(&args.input.paths, &opts)
            })
            .map_err(fail)?;
            match &target {
                None => print_bytes(&done.bytes)?,
                Some(t) => t.write(&done.bytes).map_err(output_fail)?,
            }
            let place = if args.to_stdout() {
                "stdout".to_string()
            } else {
                safe::terminal(&args.out.display().to_string()).into_owned()
            };
            eprintln!(
                "exported {} of {} traces ({} spans) to {place}",
                done.traces, done.available, done.spans
            );
            done.unread.map_or(Ok(()), |e| Err(fail(e)))
        }
        cli::Command::Diff(args) => {
            let opts = args.to_options(color()).map_err(|m| (2, m))?;
            let done = logtrace::diff(&args.base, &args.new, &opts).map_err(fail)?;
            print(&done.output)?;
            match done.crossed {
                0 => Ok(()),
                n => Err((
                    1,
                    format!("{n} of {} thresholds crossed", opts.thresholds.len()),
                )),
            }
        }
        cli::Command::Completions(args) => {
            print(&String::from_utf8_lossy(&cli::completions(args.shell)))
        }
        cli::Command::Man(args) => {
            let page = cli::man(args.command.as_deref()).map_err(|m| (2, m))?;
            print(&String::from_utf8_lossy(&page))
        }
    }
}

/// `export --to parquet`: the folder is checked before any input is read,
/// the tables are written beside it and renamed into place when complete.
fn export_tables(args: &cli::ExportArgs) -> Result<(), (i32, String)> {
    let started = std::time::Instant::now();
    let opts = args.to_table_options().map_err(|m| (2, m))?;
    threads(args.input.threads)?;
    let dir = TableDir::prepare(&args.out, args.force, &args.input.paths).map_err(output_fail)?;
    notes(dir.notes());
    let create = |rel: &str| dir.create(rel);
    let done = with_progress(opts.ingest.progress.clone(), || {
        logtrace::export_tables(&args.input.paths, &opts, &create)
    })
    .map_err(fail)?;
    notes(&dir.commit().map_err(output_fail)?);
    let w = &done.written;
    eprintln!(
        "wrote {} events, {} spans, {} traces ({} files) to {}\n{}",
        w.events,
        w.spans,
        w.traces,
        w.files.len(),
        safe::terminal(&args.out.display().to_string()),
        terminal::throughput(
            done.files_read,
            done.bytes_read,
            started.elapsed().as_secs_f64()
        )
    );
    done.unread.map_or(Ok(()), |e| Err(fail(e)))
}

/// Colour only for a terminal, and never when `NO_COLOR` is set (no-color.org).
fn color() -> bool {
    use std::io::IsTerminal;
    !std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) && std::io::stdout().is_terminal()
}

fn fail(e: logtrace::Error) -> (i32, String) {
    fail_ref(&e)
}

fn fail_ref(e: &logtrace::Error) -> (i32, String) {
    (e.exit_code(), e.to_string())
}

fn output_fail(e: OutputError) -> (i32, String) {
    (2, e.to_string())
}

/// What the user should know about the output folder, on stderr.
fn notes(notes: &[String]) {
    for n in notes {
        eprintln!("logtrace: note: {}", safe::terminal(n));
    }
}

/// Passing the file-size limit (`ulimit -f`) kills a process with SIGXFSZ
/// by default, with no word and a half-written file. Caught, the write
/// fails with EFBIG instead: logtrace says so and removes what it wrote.
fn ignore_file_size_signal() {
    #[cfg(unix)]
    {
        let caught = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Failing to install the handler leaves the default: no worse than before.
        let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, caught);
    }
}

/// Runs `work` while a thread redraws the progress line on stderr (only when
/// `progress` is set, i.e. stderr is a terminal and `--quiet` was not given),
/// then clears the line.
fn with_progress<R>(
    progress: Option<std::sync::Arc<logtrace::ingest::progress::Progress>>,
    work: impl FnOnce() -> R,
) -> R {
    let Some(progress) = progress else {
        return work();
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            use std::io::Write;
            let started = std::time::Instant::now();
            let mut shown = false;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(200));
                let snap = progress.snapshot();
                if snap.done_files < snap.total_files {
                    let line = snap.line(started.elapsed().as_secs_f64());
                    let _ = write!(std::io::stderr(), "\r{line}\x1b[K");
                    shown = true;
                } else if shown {
                    let _ = write!(std::io::stderr(), "\r\x1b[K");
                    shown = false;
                }
            }
            if shown {
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            }
        });
        let out = work();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        out
    })
}

/// Sizes the worker pool once, before any parallel work.
fn threads(n: Option<usize>) -> Result<(), (i32, String)> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| (2, format!("cannot start {n} threads: {e}")))?;
    }
    Ok(())
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
fn print(s: &str) -> Result<(), (i32, String)> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err((2, format!("cannot write output: {e}"))),
    }
}

/// Writes bytes to stdout, as [`print`] does text.
fn print_bytes(b: &[u8]) -> Result<(), (i32, String)> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(b).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err((2, format!("cannot write output: {e}"))),
    }
}
