//! Many chunks' string tables -> the run's table, on all cores.
//!
//! Input: the [`Symbols`] each chunk built, in input order (a finished one
//! may already have its strings grouped by shard). Output: one sharded
//! table and, for each input table, the map from its symbols to the run's:
//! the same strings, numbers and maps as interning the tables one after the
//! other, whatever the thread count. Small tables are first joined into
//! runs; every table's strings are copied out by shard; the shards are
//! built in parallel; then the symbols are numbered in first-occurrence
//! order (see the parent module's doc).

use rayon::prelude::*;

use super::{shard_of, ByShard, Maps, Repr, Sym, Symbols, Table, LOCAL_BITS, SHARDS, SMALL_TABLE};

impl Symbols {
    /// Groups a finished table's strings by shard, as [`Symbols::merge`] needs
    /// them: best done by the thread that built the table, right after, while
    /// the table is still in its cache. The table keeps its numbers and strings
    /// (interning into it again makes it flat first).
    pub fn group_for_merge(&mut self) {
        if let Repr::Flat(t) = &self.0 {
            if t.spans.len() <= SMALL_TABLE {
                return;
            }
            let flat = std::mem::take(self);
            self.0 = Repr::Grouped(ByShard::new(flat));
        }
    }

    /// One table holding the strings of all `tables`, and for each of them the
    /// map from its symbols to the new table's: the same strings, numbers and
    /// maps as interning the tables one after the other into an empty table
    /// with [`Symbols::remap_from`], built on all cores.
    pub fn merge(tables: Vec<Symbols>) -> (Symbols, Maps) {
        // Runs of small tables are first interned into one table each (in
        // order, so first occurrences keep their order), with a map per table.
        let (joined, local): (Vec<Symbols>, Vec<Option<Maps>>) = batch_small(tables)
            .into_par_iter()
            .map(|mut run| {
                if run.len() == 1 {
                    return (run.pop().expect("a run is never empty"), None);
                }
                let strings = run.iter().map(Symbols::len).sum();
                let mut one = Table::with_capacity(strings, 0);
                let maps = run.iter().map(|t| one.absorb(t)).collect();
                (Symbols(Repr::Flat(one)), Some(maps))
            })
            .unzip();
        let (merged, maps) = Symbols::merge_large(joined);
        let maps = local
            .into_par_iter()
            .zip(maps)
            .flat_map_iter(|(local, map)| match local {
                None => vec![map],
                Some(local) => local
                    .iter()
                    .map(|l| l.iter().map(|s| map[s.0 as usize]).collect())
                    .collect(),
            })
            .collect();
        (merged, maps)
    }

    /// [`Symbols::merge`] for tables that are not small.
    fn merge_large(tables: Vec<Symbols>) -> (Symbols, Vec<Vec<Sym>>) {
        let mut clock = crate::timing::Clock::nested(3);
        // Each table's strings copied out in shard order, so that building a
        // shard reads one contiguous run of every table instead of jumping
        // through all of them; each table is dropped as soon as it is copied.
        let grouped: Vec<ByShard> = tables
            .into_par_iter()
            .map(|t| match t.0 {
                Repr::Grouped(g) => g,
                _ => ByShard::new(t),
            })
            .collect();
        clock.lap("group");
        let built: Vec<Shard> = (0..SHARDS)
            .into_par_iter()
            .map(|k| Shard::build(k, &grouped))
            .collect();
        clock.lap("shards");
        let (at, syms) = number(&grouped, &built);
        let maps: Vec<Vec<Sym>> = grouped
            .par_iter()
            .enumerate()
            .map(|(g, table)| {
                let mut map = vec![Sym::NONE; table.order.len() + 1];
                for (k, (shard, shard_syms)) in built.iter().zip(&syms).enumerate() {
                    let run = table.starts[k]..table.starts[k + 1];
                    for (&sym, &local) in table.order[run].iter().zip(&shard.locals[g]) {
                        map[sym as usize] = Sym(shard_syms[local as usize]);
                    }
                }
                map
            })
            .collect();
        clock.lap("number");
        let shards = built.into_iter().map(|s| s.table).collect();
        (Symbols(Repr::Sharded { shards, at, syms }), maps)
    }
}

/// The tables in runs to merge as one: a table with [`SMALL_TABLE`] strings
/// or more alone, consecutive smaller ones together until a run holds that many.
fn batch_small(tables: Vec<Symbols>) -> Vec<Vec<Symbols>> {
    let mut runs: Vec<Vec<Symbols>> = Vec::new();
    // Strings in the last run, if it is a run of small tables that has room.
    let mut open: Option<usize> = None;
    for t in tables {
        let n = t.len() - 1;
        match (open, runs.last_mut()) {
            _ if n >= SMALL_TABLE => {
                runs.push(vec![t]);
                open = None;
            }
            (Some(held), Some(run)) if held < SMALL_TABLE => {
                run.push(t);
                open = Some(held + n);
            }
            _ => {
                runs.push(vec![t]);
                open = Some(n);
            }
        }
    }
    runs
}

/// Numbers the shards' strings in first-occurrence order: table after table,
/// and within a table in its own symbol order. Gives each symbol's location
/// (`at`) and each shard's symbols by local number (`syms`).
fn number(grouped: &[ByShard], built: &[Shard]) -> (Vec<u32>, Vec<Vec<u32>>) {
    let tables = grouped.len();
    // How many strings table g brought first to shard k.
    let brought = |g: usize, k: usize| (built[k].firsts[g + 1] - built[k].firsts[g]) as usize;
    // Table g gives the numbers from start[g] on.
    let mut start = Vec::with_capacity(tables + 1);
    start.push(1usize);
    for g in 0..tables {
        start.push(start[g] + (0..SHARDS).map(|k| brought(g, k)).sum::<usize>());
    }
    let mut at = vec![0u32; start[tables]];
    let blocks = crate::concat::split_mut(&mut at[1..], start.windows(2).map(|w| w[1] - w[0]));
    // For each table, the numbers it gave, shard after shard in local order
    // (shard k's from offset[k]).
    let given: Vec<(Vec<u32>, Vec<usize>)> = blocks
        .into_par_iter()
        .zip(grouped)
        .enumerate()
        .map(|(g, (block, table))| {
            let mut offset = vec![0usize; SHARDS + 1];
            for k in 0..SHARDS {
                offset[k + 1] = offset[k] + brought(g, k);
            }
            let mut given = vec![0u32; offset[SHARDS]];
            let mut n = 0;
            // Symbol after symbol: where each sits among its shard's strings.
            for &p in &table.pos[1..] {
                let p = p as usize;
                let k = shard_of(table.hashes[p]);
                let shard = &built[k];
                let local = shard.locals[g][p - table.starts[k]];
                let first = shard.firsts[g];
                if local >= first {
                    block[n] = (k as u32) << LOCAL_BITS | local;
                    given[offset[k] + (local - first) as usize] = (start[g] + n) as u32;
                    n += 1;
                }
            }
            (given, offset)
        })
        .collect();
    let syms = (0..SHARDS)
        .into_par_iter()
        .map(|k| {
            let mut syms = Vec::with_capacity(built[k].table.spans.len());
            syms.push(0);
            for (given, offset) in &given {
                syms.extend_from_slice(&given[offset[k]..offset[k + 1]]);
            }
            syms
        })
        .collect();
    (at, syms)
}

/// One shard of the run's table, built from every table's strings of that
/// shard in order.
struct Shard {
    table: Table,
    /// Each table's local numbers for its strings of this shard.
    locals: Vec<Vec<u32>>,
    /// The table's size before each table was added, and at the end: the
    /// strings table g brought first are local numbers `firsts[g]..firsts[g + 1]`.
    firsts: Vec<u32>,
}

impl Shard {
    fn build(k: usize, grouped: &[ByShard]) -> Shard {
        // Sized for each string met twice (ids mostly are, once per service
        // that logs them): room for all would reserve memory most runs never use.
        let (mut strings, mut bytes) = (0, 0);
        for g in grouped {
            let run = g.starts[k]..g.starts[k + 1];
            strings += run.len();
            bytes += g.spans[run]
                .iter()
                .map(|&(_, len)| len as usize)
                .sum::<usize>();
        }
        let mut table = Table::with_capacity(strings / 2, bytes / 2);
        let mut firsts = Vec::with_capacity(grouped.len() + 1);
        let locals = grouped
            .iter()
            .map(|g| {
                firsts.push(table.spans.len() as u32);
                (g.starts[k]..g.starts[k + 1])
                    .map(|p| table.intern(g.text(p), g.hashes[p]).0)
                    .collect()
            })
            .collect();
        firsts.push(table.spans.len() as u32);
        Shard {
            table,
            locals,
            firsts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(words: &[String]) -> Symbols {
        let mut t = Symbols::default();
        for w in words {
            t.intern(w);
        }
        t
    }

    fn all(t: &Symbols) -> Vec<String> {
        (0..t.len())
            .map(|i| t.get(Sym(i as u32)).to_owned())
            .collect()
    }

    #[test]
    fn merge_gives_what_interning_one_after_the_other_gives() {
        let words: Vec<String> = (0..20_000)
            .map(|i| format!("id-{:x}", (i * 7919) % 6_007))
            .collect();
        let pieces: Vec<Symbols> = words.chunks(1_500).map(table).collect();
        let mut one = Symbols::default();
        let expected: Vec<Vec<Sym>> = pieces.iter().map(|p| one.remap_from(p)).collect();
        let (merged, maps) = Symbols::merge(pieces);
        assert_eq!(all(&merged), all(&one));
        assert_eq!(maps, expected);
        assert_eq!(merged.len(), 6_008);
    }

    #[test]
    fn small_and_large_tables_merge_as_if_interned_in_order() {
        // Tables of one string (a file of one line), runs of them, and tables
        // large enough to go to the sharded merge alone, interleaved.
        let sizes = [1, 1, 5_000, 1, 3, 4_095, 4_096, 2, 1, 9_000, 1];
        let mut n = 0;
        let pieces: Vec<Symbols> = sizes
            .iter()
            .map(|&k| {
                let words: Vec<String> = (n..n + k).map(|i| format!("s{}", i % 7_000)).collect();
                n += k;
                table(&words)
            })
            .collect();
        let mut one = Symbols::default();
        let expected: Vec<Vec<Sym>> = pieces.iter().map(|p| one.remap_from(p)).collect();
        let runs: Vec<usize> = batch_small(pieces.clone()).iter().map(Vec::len).collect();
        assert_eq!(runs, [2, 1, 3, 1, 2, 1, 1]);
        let (merged, maps) = Symbols::merge(pieces);
        assert_eq!(all(&merged), all(&one));
        assert_eq!(maps, expected);
    }

    #[test]
    fn a_merged_table_still_interns_and_finds() {
        let (mut m, maps) = Symbols::merge(vec![
            table(&["edge".into(), "x1".into()]),
            table(&["x1".into(), "orders".into()]),
        ]);
        assert_eq!(maps[1], vec![Sym::NONE, Sym(2), Sym(3)]);
        assert_eq!(m.intern("orders"), Sym(3));
        let new = m.intern("payments");
        assert_eq!((new, m.get(new), m.len()), (Sym(4), "payments", 5));
        assert_eq!(m.intern("payments"), new);
        assert_eq!(m.get(Sym::NONE), "");
        assert_eq!(m.lookup("x1"), Some(Sym(2)));
        assert_eq!((m.lookup("nope"), m.lookup("")), (None, Some(Sym::NONE)));
        assert!(m.heap_bytes() > 0);
    }

    #[test]
    fn a_grouped_table_gives_back_its_strings_and_merges_the_same() {
        let words: Vec<String> = (0..3_000).map(|i| format!("w{}", i % 1_777)).collect();
        let flat: Vec<Symbols> = words.chunks(700).map(table).collect();
        let mut grouped = flat.clone();
        for t in &mut grouped {
            t.group_for_merge();
        }
        for (f, g) in flat.iter().zip(&grouped) {
            assert_eq!(all(f), all(g));
            assert_eq!(f.len(), g.len());
            for w in ["w0", "w699", "w1776", "nope", ""] {
                assert_eq!(f.lookup(w), g.lookup(w), "{w}");
            }
        }
        assert_eq!(Symbols::merge(flat).1, Symbols::merge(grouped.clone()).1);
        // Interning again makes it flat, numbers kept.
        let mut g = grouped.swap_remove(0);
        let before = all(&g);
        let w5 = g.lookup("w5").unwrap();
        assert_eq!(g.intern("w5"), w5);
        let new = g.intern("fresh");
        assert_eq!((new.0 as usize, g.get(new)), (before.len(), "fresh"));
        assert_eq!(all(&g)[..before.len()], before[..]);
    }

    #[test]
    fn merging_nothing_gives_an_empty_table() {
        let (m, maps) = Symbols::merge(Vec::new());
        assert!(m.is_empty() && maps.is_empty());
        let (m, maps) = Symbols::merge(vec![Symbols::default()]);
        assert!(m.is_empty());
        assert_eq!(maps, vec![vec![Sym::NONE]]);
    }
}
