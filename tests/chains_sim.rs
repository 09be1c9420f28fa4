//! The call-chain inference against a simulation with known truth (issue 11).
//!
//! Many seeds, each a random service graph with skewed and stepping host
//! clocks, async hops, retries, shared span ids and mixed log styles (see
//! `tests/sim/`). The library reads the simulated logs and rebuilds the
//! traces; the test prints a table of scores per style and asserts floors.
//!
//! While working on the inference:
//! - `LOGTRACE_SIM_SEEDS=200 cargo test --test chains_sim -- --nocapture`
//!   scores more seeds (the floors are asserted for the default 32 only);
//! - `LOGTRACE_SIM_VERBOSE=1` prints a row per seed, to find one to look at;
//! - `LOGTRACE_SIM_SYNCED=1` sets every host clock right (the same worlds
//!   otherwise): what is still wrong then is not the clocks' doing (the
//!   floors are not checked);
//! - `LOGTRACE_SIM_OFFSETS=1` prints each reported offset judged wrong at
//!   confidence >= 0.9, with its host's true clock;
//! - `LOGTRACE_SIM_DIR=/tmp/sim LOGTRACE_SIM_SEED=5 cargo test --test chains_sim dump
//!   -- --ignored --nocapture` writes that seed's logs (20 traces, or
//!   `LOGTRACE_SIM_TRACES`) for the CLI and prints its world and first
//!   traces (3, or `LOGTRACE_SIM_SHOW`).

mod sim;

use sim::{Outcome, Sim};

/// Seeds and traces per seed: many small worlds rather than few large ones.
const SEEDS: u64 = 32;
const TRACES: usize = 250;

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

fn run_all(seeds: u64) -> Outcome {
    let verbose = env_flag("LOGTRACE_SIM_VERBOSE");
    let mut all = Outcome::default();
    let mut rows = sim::table::header();
    for seed in 1..=seeds {
        let dir = tempfile::tempdir().unwrap();
        let sim = Sim::new(seed, TRACES);
        let o = sim.run(dir.path());
        if verbose {
            let name = format!("seed {seed}");
            sim::table::row(&mut rows, &name, &o.score.all, &o.all_offsets());
        }
        all.merge(&o);
    }
    if verbose {
        eprintln!("{rows}");
    }
    all
}

#[test]
fn chains_against_simulated_truth() {
    let t = std::time::Instant::now();
    let seeds = std::env::var("LOGTRACE_SIM_SEEDS").map_or(SEEDS, |s| s.parse().unwrap());
    let all = run_all(seeds);
    eprintln!(
        "{seeds} seeds x {TRACES} traces in {:.1} s\n{}",
        t.elapsed().as_secs_f64(),
        sim::table::render(&all)
    );
    if seeds != SEEDS || env_flag("LOGTRACE_SIM_SYNCED") {
        eprintln!("floors not checked: they hold for {SEEDS} seeds with skewed clocks");
        return;
    }
    let c = &all.score.all;
    let off = all.all_offsets();
    // Floors at what the inference achieves today (a ratchet: raise them as
    // it improves); the issue's targets are in the comments. Since Sleuth's
    // `[app,traceId,spanId]` is read, its 20656 spans take part (they were
    // all lost before): recall up, and more traces and offsets to get wrong.
    // Since a client's line that names the request a server logged (ids
    // and all) makes it that server's caller: dependencies 0.617/0.490 ->
    // 0.644/0.544, trees 0.696 -> 0.735; service edges 0.504/0.857 ->
    // 0.496/0.853, calls marked async 1675 -> 1564 (json-b3: offsets moved
    // by the new pairs), two more traces reported failed (a changed
    // offset makes a failed call of an async job's trace its root). On
    // 200 seeds every one of these improved but async (10253 -> 10177)
    // and service-edge recall (0.856 -> 0.852): dependencies 0.615/0.497
    // -> 0.638/0.539, trees 0.680 -> 0.710, service edges precision 0.505
    // -> 0.513, waited-for calls marked async 4665 -> 4144, failed traces
    // right 2014 -> 2018 of 2096. Since a placeholder (a parent id only
    // its child logged) takes the client that named its child's request:
    // dependencies 0.644/0.544 -> 0.650/0.549 (json-otel's 0.588 ->
    // 0.611), trees 0.735 -> 0.737; on 200 seeds 0.638/0.540 ->
    // 0.643/0.546, trees 0.710 -> 0.712, no more wrong confident offsets.
    assert!(c.dep_precision() >= 0.645, "{}", c.dep_precision()); // target: 0.99 (issue 11)
    assert!(c.dep_recall() >= 0.545, "{}", c.dep_recall()); // target: 0.97 (issue 11)
    assert!(c.graph_precision() >= 0.49, "{}", c.graph_precision()); // target: 0.99 (issue 11)
                                                                     // 0.86 before the entry's whole-second span became the root: four seeds
                                                                     // each lost one rare edge (3 calls or fewer) that only wrong trees had
                                                                     // found; on 200 seeds 0.839 -> 0.838, precision 0.447 -> 0.453.
    assert!(c.graph_recall() >= 0.85, "{}", c.graph_recall()); // target: 0.97 (issue 11)
    assert!(c.tree_accuracy() >= 0.73, "{}", c.tree_accuracy()); // target: 0.98 (issue 11)
                                                                 // target: every determined offset within 5 ms (issue 11)
    assert!(
        off.determined_within as f64 >= 0.82 * off.determined as f64,
        "{off:?}"
    );
    // target: every async link found and marked follows-from (issue 11)
    // 0.087 -> 0.096 once a callee that lasted longer than its caller
    // waited counted as not waited for, whatever the clocks. 0.090 ->
    // 0.087 once chance pairs count only where they are more than a few of
    // the spans two clocks met on: seed 29 lost 53 async links that a clock
    // offset wrong by 1.9 s (at confidence 0.82, from 4 pairs of 521
    // chances) had marked async by luck; on 200 seeds 10194 -> 10160, with
    // fewer wrong offsets (1107 -> 1094) and more within 5 ms (1631 -> 1632).
    assert!(
        c.async_found as f64 >= 0.086 * c.async_links as f64,
        "{c:?}"
    );
    // Calls that were waited for but are marked async: after a clock offset
    // estimated wrong by seconds within its interval (target: 0). 638
    // before callers were learned by timing: only spans whose parent is
    // right count here, and the learned rates now find the right caller of
    // more spans that such an offset pushed out of it (a follows-from
    // candidate), where a wrong but closer span won before.
    // 928 -> 942 once a node present in a trace but unable to call a span
    // lost that chance in the learned rates: more spans get their right
    // caller, some of them on a wrong offset (on 200 seeds 4168 -> 4111).
    assert!(c.async_false <= 945, "{c:?}");
    assert!(c.async_reversed <= 310, "{c:?}"); // target: 0 (issue 11)
    assert_eq!(off.wrong_confident, 0, "{off:?}"); // the issue's target
                                                   // target: reported == truth, every one right (issue 11)
    assert!(c.failed_reported <= 319, "{c:?}");
    // Two failed Sleuth traces are missed: their root is not the request
    // the user saw. Target: none (issue 11).
    assert!(
        c.failed_matched + 2 >= c.failed_truth,
        "failed traces missed: {c:?}"
    );
    assert_eq!(c.traces_grouped, c.traces, "request grouping");
    assert_eq!(c.inferred_confident_wrong, 0, "{c:?}"); // the issue's target

    // A parent's confidence says how often such a guess is right: in every
    // tenth with enough guesses, the share right is near the tenth's floor
    // or above (measured: within 0.01 of its middle or above, 0.80-0.84 at 0.8+).
    calibrated("parents", &c.by_confidence, 500, 0.05);
    // The same for the report's service edges (dependencies[].confidence),
    // fewer and so looser: measured 0.30-0.38 true under 0.4, 0.50 at 0.4
    // and 0.5, 0.63 at 0.6, 0.76 at 0.7, 0.83 at 0.8, 0.99 at 0.9 and above
    // (200 seeds: 0.75 at 0.8, 0.99 at 0.9).
    calibrated("service edges", &c.edges_by_confidence, 40, 0.1);
    // target: every trace's extent and root latency (issue 11)
    assert!(
        c.extent_right >= 3_400 && c.root_latency_right >= 6_850,
        "{c:?}"
    );
}

/// On a big run the clock pass reads a sample of the traces (a few
/// thousand per clock). Forced down to a few dozen per clock on these small
/// worlds, it still finds the offsets the data determines, is never wrong
/// and sure, and the trees stay as good.
#[test]
fn a_sampled_clock_pass_scores_like_the_full_one() {
    let (mut full, mut sampled) = (Outcome::default(), Outcome::default());
    let opts = logtrace::trace::TraceOptions {
        clock_sample: 40,
        ..Default::default()
    };
    for seed in 1..=8 {
        let sim = Sim::new(seed, TRACES);
        let dir = tempfile::tempdir().unwrap();
        full.merge(&sim.run(dir.path()));
        let dir = tempfile::tempdir().unwrap();
        sampled.merge(&sim.score(&sim::rebuild_with(&sim.rendered, dir.path(), &opts)));
    }
    eprintln!(
        "full:\n{}\nsampled:\n{}",
        sim::table::render(&full),
        sim::table::render(&sampled)
    );
    let (f, s) = (full.all_offsets(), sampled.all_offsets());
    assert_eq!(s.wrong_confident, 0, "{s:?}");
    assert!(
        s.determined_within as f64 >= 0.9 * f.determined_within as f64,
        "{s:?} {f:?}"
    );
    let (ft, st) = (
        full.score.all.tree_accuracy(),
        sampled.score.all.tree_accuracy(),
    );
    assert!(st >= ft - 0.02, "tree accuracy {st} sampled, {ft} in full");
    let (fp, sp) = (
        full.score.all.dep_precision(),
        sampled.score.all.dep_precision(),
    );
    assert!(
        sp >= fp - 0.02,
        "dependency precision {sp} sampled, {fp} in full"
    );
}

// ---- The harness itself: its truth is consistent and its scores can fail. ----

#[test]
fn generated_traces_are_trees_in_true_time() {
    for seed in 1..=8 {
        let sim = Sim::new(seed, 100);
        for (k, t) in sim.truth.iter().enumerate() {
            if let Err(e) = sim::truth::check_tree(t) {
                panic!("seed {seed} trace {k}: {e}");
            }
        }
    }
}

#[test]
fn perfect_answer_scores_one() {
    for seed in [3, 17] {
        let sim = Sim::new(seed, 120);
        let o = sim.score(&sim::rebuilt::oracle(&sim.world, &sim.truth, &sim.rendered));
        let c = &o.score.all;
        eprintln!("{}", sim::table::render(&o));
        assert!(c.spans_logged > 500 && c.calls_expected > 200, "{c:?}");
        assert_eq!(c.dep_precision(), 1.0);
        assert_eq!(c.dep_recall(), 1.0);
        assert_eq!(c.graph_precision(), 1.0);
        assert_eq!(c.graph_recall(), 1.0);
        assert_eq!(c.tree_accuracy(), 1.0);
        assert_eq!((c.spans_lost, c.fragments, c.async_reversed), (0, 0, 0));
        assert_eq!(c.async_found, c.async_links);
        assert_eq!(c.traces_grouped, c.traces);
        assert_eq!(
            (c.failed_reported, c.failed_matched),
            (c.failed_truth, c.failed_truth)
        );
        assert_eq!(c.extent_right, c.traces);
        assert!(c.root_latencies > 50 && c.root_latency_right == c.root_latencies);
        let off = o.all_offsets();
        assert!(off.determined > 0 && off.reported > 0, "{off:?}");
        assert_eq!(off.determined_within, off.determined, "{off:?}");
        assert_eq!(off.wrong_confident, 0, "{off:?}");
    }
}

/// Writes one seed's logs to `LOGTRACE_SIM_DIR` for a look with the CLI
/// (`LOGTRACE_SIM_DIR=/tmp/sim LOGTRACE_SIM_SEED=5 cargo test --test chains_sim dump -- --ignored`).
#[test]
#[ignore]
fn dump() {
    let dir = std::env::var("LOGTRACE_SIM_DIR").expect("LOGTRACE_SIM_DIR");
    let seed = std::env::var("LOGTRACE_SIM_SEED").map_or(1, |s| s.parse().unwrap());
    let traces = std::env::var("LOGTRACE_SIM_TRACES").map_or(20, |s| s.parse().unwrap());
    let sim = Sim::new(seed, traces);
    sim.rendered.write(std::path::Path::new(&dir)).unwrap();
    for s in &sim.world.services {
        eprintln!(
            "{} {:?} {:?} client_lines {} hosts {:?}",
            s.name,
            s.style,
            s.mode,
            s.client_lines,
            s.hosts
                .iter()
                .map(|&h| (
                    &sim.world.hosts[h].name,
                    sim.world.hosts[h].clock,
                    sim.world.hosts[h].missing
                ))
                .collect::<Vec<_>>()
        );
    }
    let shown = std::env::var("LOGTRACE_SIM_SHOW").map_or(3, |s| s.parse().unwrap());
    for (k, t) in sim.truth.iter().enumerate().take(shown) {
        eprintln!("trace {k} {} {}", t.trace_id, t.request_id);
        for (i, s) in t.spans.iter().enumerate() {
            eprintln!(
                "  {i} {:?} {} parent {:?} {:?} {} {} {:.3} ms status {} logged {}",
                s.kind,
                sim.world.services[s.service].name,
                s.parent,
                s.link,
                s.span_id,
                s.path,
                (s.end_ns - s.start_ns) as f64 / 1e6,
                s.status,
                sim.rendered.lines_of[k][i]
            );
        }
    }
}

#[test]
fn stamps_are_true_times_shifted_by_their_host_clock() {
    use logtrace::ingest::time::parse_iso;
    let sim = Sim::new(11, 150);
    let (mut checked, mut skewed, mut stepped) = (0, 0, 0);
    for f in &sim.rendered.files {
        let clock = sim.world.hosts[f.host].clock;
        for (line, (span, t)) in f.text.lines().zip(f.lines.iter().zip(&f.true_ns)) {
            let (Some((ti, si)), Some(t)) = (span, t) else {
                continue;
            };
            let s = &sim.truth[*ti as usize].spans[*si as usize];
            assert!(s.start_ns <= *t && *t <= s.end_ns, "{line}");
            // JSON lines stamp microseconds: compare exactly (to the microsecond).
            let Some(ts) = line.strip_prefix(r#"{"ts":""#) else {
                continue;
            };
            let shown = parse_iso(&ts.as_bytes()[..27]).unwrap().ns;
            assert_eq!(
                shown / 1000,
                (t + clock.offset_at(*t)).div_euclid(1000),
                "{line}"
            );
            checked += 1;
            skewed += usize::from(clock.offset_at(*t).abs() > 10_000_000);
            stepped += usize::from(clock.step.is_some_and(|(at, _)| *t >= at));
        }
    }
    assert!(
        checked > 500 && skewed > 100 && stepped > 10,
        "{checked} {skewed} {stepped}"
    );
}

#[test]
fn wrong_answers_score_lower() {
    let sim = Sim::new(7, 120);
    let perfect = sim::rebuilt::oracle(&sim.world, &sim.truth, &sim.rendered);
    // Every span hung under its trace's first span; every trace failed; offsets 50 ms off.
    let mut flat = perfect.clone();
    for t in &mut flat.traces {
        for (k, s) in t.spans.iter_mut().enumerate() {
            s.parent = (k > 0).then_some(0);
        }
        t.failed = true;
    }
    for o in &mut flat.offsets {
        o.offset_ns += 50_000_000;
    }
    let o = sim.score(&flat);
    let c = &o.score.all;
    assert!(c.tree_accuracy() < 0.8, "{}", c.tree_accuracy());
    assert!(c.dep_precision() < 0.9 && c.dep_recall() < 0.9, "{c:?}");
    assert!(c.failed_reported > c.failed_truth);
    let off = o.all_offsets();
    // A uniform shift is only a change of reference clock: not an error...
    assert_eq!(off.determined_within, off.determined, "{off:?}");
    // ...but shifting some hosts and not others is.
    for o in flat.offsets.iter_mut().step_by(2) {
        o.offset_ns += 50_000_000;
    }
    let off = sim.score(&flat).all_offsets();
    assert!(off.determined_within < off.determined, "{off:?}");
    assert!(off.wrong_confident > 0, "{off:?}");
}

/// Traces counted a batch at a time (as a run that builds them a part at a
/// time counts them) give the same summary, on worlds whose calls rest on
/// timing too (inferred and async links, placeholders, retries).
#[test]
fn the_summary_does_not_depend_on_the_batches_traces_are_counted_in() {
    use logtrace::analyze::{summarize, AnalyzeOptions};
    let mut inferred = 0;
    for seed in 1..=3 {
        let dir = tempfile::tempdir().unwrap();
        let sim = Sim::new(seed, 120);
        sim.rendered.write(dir.path()).unwrap();
        let opts = logtrace::ingest::IngestOptions {
            keep_events: true,
            ..Default::default()
        };
        let ing = logtrace::ingest::ingest(&[dir.path().to_path_buf()], &opts).unwrap();
        let built = logtrace::trace::build(&ing.events, &ing.symbols, &Default::default());
        let json = |per_batch| {
            let opts = AnalyzeOptions {
                traces_per_batch: per_batch,
                ..Default::default()
            };
            serde_json::to_string(&summarize(&ing, &built, &opts)).unwrap()
        };
        let whole = json(0);
        let sum: logtrace::analyze::summary::Summary = serde_json::from_str(&whole).unwrap();
        inferred += sum
            .dependencies
            .iter()
            .map(|d| d.calls_inferred)
            .sum::<u64>();
        assert!(sum.data_quality.async_links > 0 && sum.data_quality.placeholder_parents > 0);
        for per_batch in [1, 7, 50] {
            assert!(
                json(per_batch) == whole,
                "seed {seed}, {per_batch} per batch"
            );
        }
    }
    assert!(inferred > 0);
}

/// Traces built a part of the correlation groups at a time are the traces
/// built all at once: the clock pass and the learning read the same samples
/// (picked before any span is built), and each trace is finished with the
/// same model. Clocks sampled down to a few dozen traces per clock, so that
/// what the first sweep keeps matters.
#[test]
fn traces_do_not_depend_on_the_parts_they_are_built_in() {
    let mut compared = 0;
    for seed in 1..=4 {
        let dir = tempfile::tempdir().unwrap();
        let sim = Sim::new(seed, 150);
        sim.rendered.write(dir.path()).unwrap();
        let opts = logtrace::ingest::IngestOptions {
            keep_events: true,
            ..Default::default()
        };
        let ing = logtrace::ingest::ingest(&[dir.path().to_path_buf()], &opts).unwrap();
        let build = |groups_per_part| {
            let opts = logtrace::trace::TraceOptions {
                clock_sample: 40,
                groups_per_part,
                ..Default::default()
            };
            logtrace::trace::build(&ing.events, &ing.symbols, &opts)
        };
        let whole = build(0);
        assert!(whole.clock_offsets.iter().any(|o| o.applied), "seed {seed}");
        for per_part in [1, 7, 64] {
            let parts = build(per_part);
            assert!(
                parts.traces == whole.traces,
                "seed {seed}, {per_part} groups per part"
            );
            assert_eq!(parts.clock_offsets, whole.clock_offsets);
            assert_eq!(parts.untraced, whole.untraced);
            compared += parts.traces.len();
        }
    }
    assert!(compared > 1000, "{compared}");
}

/// Checks that in every tenth of confidence holding `min` or more guesses,
/// the share right is at least the tenth's floor less `slack`.
fn calibrated(what: &str, bins: &[(u64, u64); 10], min: u64, slack: f64) {
    for (k, &(n, right)) in bins.iter().enumerate().filter(|(_, b)| b.0 >= min) {
        let floor = k as f64 / 10.0 - slack;
        assert!(
            right as f64 >= floor * n as f64,
            "{what} at confidence {:.1}+: {right} of {n} right",
            k as f64 / 10.0
        );
    }
}
