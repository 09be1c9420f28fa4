//! A simulation with known truth for the call-chain inference.
//!
//! From a seed: a service graph ([`world`]), traces over it with every span's
//! true times, parent and outcome ([`truth`]), the log files the services
//! would write in their own styles with skewed host clocks ([`render`]); then
//! the library reads the folder and rebuilds the traces, its answer is mapped
//! back to the truth through each event's source line ([`rebuilt`]) and
//! scored ([`score`], [`clocks`]). [`table`] prints the scores.
//!
//! Shared by the test files that `mod sim;` it; not every file uses every part.
#![allow(dead_code)]

pub mod clocks;
pub mod rebuilt;
pub mod render;
pub mod rng;
pub mod score;
pub mod table;
pub mod truth;
pub mod world;

use std::collections::BTreeMap;
use std::path::Path;

use logtrace::ingest::{ingest, IngestOptions};
use logtrace::trace::{build, TraceOptions};

use clocks::OffsetCounts;
use render::Rendered;
use score::Score;
use truth::TruthTrace;
use world::{Style, World};

/// One seed's simulation: the world, its traces and their logs.
pub struct Sim {
    pub seed: u64,
    pub world: World,
    pub truth: Vec<TruthTrace>,
    pub rendered: Rendered,
}

impl Sim {
    pub fn new(seed: u64, traces: usize) -> Sim {
        let world = World::new(seed);
        let truth = truth::traces(&world, seed, traces);
        let rendered = render::render(&world, &truth);
        Sim {
            seed,
            world,
            truth,
            rendered,
        }
    }

    /// Writes the logs under `dir`, runs the library on them and scores its answer.
    pub fn run(&self, dir: &Path) -> Outcome {
        self.score(&rebuild(&self.rendered, dir))
    }

    /// Scores an answer against this seed's truth.
    pub fn score(&self, answer: &rebuilt::Rebuilt) -> Outcome {
        outcome(&self.world, &self.truth, &self.rendered, answer)
    }
}

/// Writes `rendered` under `dir`, runs the library on it (ingest, then trace
/// build with default options) and maps its answer back to the truth.
pub fn rebuild(rendered: &Rendered, dir: &Path) -> rebuilt::Rebuilt {
    rebuild_with(rendered, dir, &TraceOptions::default())
}

/// [`rebuild`] with trace options of the caller's.
pub fn rebuild_with(rendered: &Rendered, dir: &Path, opts: &TraceOptions) -> rebuilt::Rebuilt {
    rendered.write(dir).expect("write the simulated logs");
    let ing = ingest(
        &[dir.to_path_buf()],
        &IngestOptions {
            keep_events: true,
            ..Default::default()
        },
    )
    .expect("ingest the simulated logs");
    let built = build(&ing.events, &ing.symbols, opts);
    rebuilt::from_library(&ing, &built, rendered)
}

/// Scores an answer against a truth.
pub fn outcome(
    world: &World,
    truth: &[TruthTrace],
    rendered: &Rendered,
    answer: &rebuilt::Rebuilt,
) -> Outcome {
    Outcome {
        score: score::score(world, truth, rendered, answer),
        offsets: clocks::judge(world, truth, rendered, &answer.offsets),
        untraced_lines: answer.untraced_lines,
    }
}

/// The scores of one seed or many.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub score: Score,
    pub offsets: BTreeMap<Style, OffsetCounts>,
    pub untraced_lines: u64,
}

impl Outcome {
    pub fn merge(&mut self, o: &Outcome) {
        self.score.merge(&o.score);
        for (s, c) in &o.offsets {
            self.offsets.entry(*s).or_default().merge(c);
        }
        self.untraced_lines += o.untraced_lines;
    }

    /// Offset counts over all styles.
    pub fn all_offsets(&self) -> OffsetCounts {
        let mut all = OffsetCounts::default();
        for c in self.offsets.values() {
            all.merge(c);
        }
        all
    }
}
