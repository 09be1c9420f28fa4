//! Interned strings: chunks' tables -> the run's table.
//!
//! Input: strings met while parsing (services, operations, ids, messages).
//! Output: [`Sym`] numbers that stand for them in [`Event`](super::event::Event)s,
//! and the [`Symbols`] table that gives the text back.
//!
//! Each chunk interns into its own flat table while parsing in parallel. The
//! run's table is built from all of them by [`Symbols::merge`], on all cores:
//! its strings are spread over [`SHARDS`] tables by hash, each built from the
//! chunks' strings of that shard in input order, so nothing depends on the
//! thread count. Symbol numbers then follow first occurrence in the input, as
//! if every chunk had been interned into one table one after the other: ids
//! logged close together get close numbers, which keeps per-symbol arrays of
//! later stages cache-friendly.

use rayon::prelude::*;

/// An interned string: an index into a [`Symbols`] table. `Sym::NONE` means absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

impl Sym {
    pub const NONE: Sym = Sym(0);
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
    pub fn is_some(self) -> bool {
        self.0 != 0
    }
}

/// How many shards the run's table has (a power of two, at most 256).
const SHARDS: usize = 256;
/// Tables with fewer strings than this are first interned into their
/// neighbours, one after the other, before the sharded merge: a table costs the
/// merge a few kilobytes of bookkeeping per shard, which a file of one line
/// must not pay (a million such files would need gigabytes).
const SMALL_TABLE: usize = 4096;
/// A sharded table's location of a symbol: shard in the top bits, local number below.
const LOCAL_BITS: u32 = 24;

/// The shard of a hash. Takes bits the hash tables themselves do not use (the
/// lowest pick the bucket, the highest seven are a tag), so the entries of one
/// shard still spread over its table.
fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize & (SHARDS - 1)
}

fn hash_str(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

/// The string at `(offset, length)` in `arena`.
fn text_at(arena: &str, (at, len): (u32, u32)) -> &str {
    &arena[at as usize..(at + len) as usize]
}

/// Strings back to back in one arena and a raw hash index of their local
/// numbers, so interning a new string costs a copy into the arena and no
/// allocation of its own. Local number 0 is the empty string.
#[derive(Clone)]
struct Table {
    arena: String,
    /// (offset, length) of each string in `arena`.
    spans: Vec<(u32, u32)>,
    /// Each string's hash, so growing the index and merging never hash text again.
    hashes: Vec<u64>,
    index: hashbrown::HashTable<u32>,
}

impl Table {
    fn with_capacity(strings: usize, bytes: usize) -> Table {
        let mut spans = Vec::with_capacity(strings + 1);
        spans.push((0, 0));
        let mut hashes = Vec::with_capacity(strings + 1);
        hashes.push(0);
        Table {
            arena: String::with_capacity(bytes),
            spans,
            hashes,
            index: hashbrown::HashTable::with_capacity(strings),
        }
    }

    /// The local number of `s` (hash `hash`), if it is in the table.
    fn find(&self, s: &str, hash: u64) -> Option<u32> {
        self.index
            .find(hash, |&i| text_at(&self.arena, self.spans[i as usize]) == s)
            .copied()
    }

    /// The local number of `s` (hash `hash`), and whether it is new.
    fn intern(&mut self, s: &str, hash: u64) -> (u32, bool) {
        let Table {
            arena,
            spans,
            hashes,
            index,
        } = self;
        let found = index.find(hash, |&i| text_at(arena, spans[i as usize]) == s);
        if let Some(&i) = found {
            return (i, false);
        }
        let i = spans.len() as u32;
        let at = u32::try_from(arena.len() + s.len()).expect("a string table holds at most 4 GiB");
        spans.push((at - s.len() as u32, s.len() as u32));
        hashes.push(hash);
        arena.push_str(s);
        index.insert_unique(hash, i, |&j| hashes[j as usize]);
        (i, true)
    }

    fn get(&self, local: u32) -> &str {
        text_at(&self.arena, self.spans[local as usize])
    }

    /// Interns every string of `other` and returns the map from its symbols
    /// to this table's local numbers.
    fn absorb(&mut self, other: &Symbols) -> Vec<Sym> {
        let mut map = Vec::with_capacity(other.len());
        map.push(Sym::NONE);
        for i in 1..other.len() as u32 {
            let sym = Sym(i);
            map.push(Sym(self.intern(other.get(sym), other.hash(sym)).0));
        }
        map
    }

    fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.spans.capacity() * 8
            + self.hashes.capacity() * 8
            + self.index.capacity() * 5
    }
}

/// For each of several tables, the map from its symbols to another table's.
type Maps = Vec<Vec<Sym>>;

/// A string table. Symbol 0 is the empty string and stands for "absent".
#[derive(Clone)]
pub struct Symbols(Repr);

#[derive(Clone)]
enum Repr {
    /// A chunk's table: a symbol is its local number.
    Flat(Table),
    /// A chunk's finished table, its strings already grouped by shard for
    /// [`Symbols::merge`] (see [`Symbols::group_for_merge`]).
    Grouped(ByShard),
    /// The run's table (see the module doc).
    Sharded {
        shards: Vec<Table>,
        /// Each symbol's shard and local number (see [`LOCAL_BITS`]).
        at: Vec<u32>,
        /// Each shard's symbol numbers, by local number.
        syms: Vec<Vec<u32>>,
    },
}

impl Default for Symbols {
    fn default() -> Self {
        Symbols(Repr::Flat(Table::with_capacity(0, 0)))
    }
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbols").field("len", &self.len()).finish()
    }
}

impl Symbols {
    /// An empty table with room for `strings` strings of `bytes` bytes in all.
    pub fn with_capacity(strings: usize, bytes: usize) -> Symbols {
        Symbols(Repr::Flat(Table::with_capacity(strings, bytes)))
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        if s.is_empty() {
            return Sym::NONE;
        }
        let hash = hash_str(s);
        if let Repr::Grouped(g) = &self.0 {
            // Rare: a grouped table is finished. Back to a flat one, same numbers.
            let mut t = Table::with_capacity(g.order.len(), g.arena.len());
            for sym in 1..=g.order.len() {
                let p = g.pos[sym] as usize;
                t.intern(g.text(p), g.hashes[p]);
            }
            self.0 = Repr::Flat(t);
        }
        match &mut self.0 {
            Repr::Flat(t) => Sym(t.intern(s, hash).0),
            Repr::Grouped(_) => unreachable!("made flat above"),
            Repr::Sharded { shards, at, syms } => {
                let k = shard_of(hash);
                let (local, new) = shards[k].intern(s, hash);
                if new {
                    assert!(local < 1 << LOCAL_BITS, "too many strings in one shard");
                    syms[k].push(at.len() as u32);
                    at.push((k as u32) << LOCAL_BITS | local);
                }
                Sym(syms[k][local as usize])
            }
        }
    }

    /// The symbol of `s` if it was interned (the empty string is `Sym::NONE`).
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        if s.is_empty() {
            return Some(Sym::NONE);
        }
        let hash = hash_str(s);
        match &self.0 {
            Repr::Flat(t) => t.find(s, hash).map(Sym),
            Repr::Grouped(g) => {
                let k = shard_of(hash);
                (g.starts[k]..g.starts[k + 1])
                    .find(|&p| g.hashes[p] == hash && g.text(p) == s)
                    .map(|p| Sym(g.order[p]))
            }
            Repr::Sharded { shards, syms, .. } => {
                let k = shard_of(hash);
                shards[k]
                    .find(s, hash)
                    .map(|local| Sym(syms[k][local as usize]))
            }
        }
    }

    pub fn intern_opt(&mut self, s: Option<&str>) -> Sym {
        s.map_or(Sym::NONE, |s| self.intern(s))
    }

    pub fn get(&self, sym: Sym) -> &str {
        match &self.0 {
            Repr::Flat(t) => t.get(sym.0),
            Repr::Grouped(_) if sym.is_none() => "",
            Repr::Grouped(g) => g.text(g.pos[sym.0 as usize] as usize),
            Repr::Sharded { shards, at, .. } => {
                let a = at[sym.0 as usize];
                shards[(a >> LOCAL_BITS) as usize].get(a & ((1 << LOCAL_BITS) - 1))
            }
        }
    }

    /// The hash of a symbol's text.
    fn hash(&self, sym: Sym) -> u64 {
        match &self.0 {
            Repr::Flat(t) => t.hashes[sym.0 as usize],
            Repr::Grouped(_) if sym.is_none() => 0,
            Repr::Grouped(g) => g.hashes[g.pos[sym.0 as usize] as usize],
            Repr::Sharded { shards, at, .. } => {
                let a = at[sym.0 as usize];
                shards[(a >> LOCAL_BITS) as usize].hashes[(a & ((1 << LOCAL_BITS) - 1)) as usize]
            }
        }
    }

    /// How many symbols, counting the empty one.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Flat(t) => t.spans.len(),
            Repr::Grouped(g) => g.order.len() + 1,
            Repr::Sharded { at, .. } => at.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    /// Bytes held by the table, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Flat(t) => t.heap_bytes(),
            Repr::Grouped(g) => g.heap_bytes(),
            Repr::Sharded { shards, at, syms } => {
                shards.iter().map(Table::heap_bytes).sum::<usize>()
                    + at.capacity() * 4
                    + syms.iter().map(|s| s.capacity() * 4).sum::<usize>()
            }
        }
    }

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

    /// Interns every string of `other` into `self` and returns the table that
    /// maps `other`'s symbols to `self`'s.
    pub fn remap_from(&mut self, other: &Symbols) -> Vec<Sym> {
        (0..other.len())
            .map(|i| self.intern(other.get(Sym(i as u32))))
            .collect()
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

/// One table's strings (symbols from 1) copied out grouped by shard: shard
/// k's are positions `starts[k]..starts[k + 1]`, in ascending symbol order.
#[derive(Clone)]
struct ByShard {
    starts: Vec<usize>,
    /// The symbol at each position.
    order: Vec<u32>,
    hashes: Vec<u64>,
    /// (offset, length) in `arena` at each position.
    spans: Vec<(u32, u32)>,
    arena: String,
    /// The position of each symbol (index 0 unused).
    pos: Vec<u32>,
}

impl ByShard {
    fn new(t: Symbols) -> ByShard {
        let n = t.len() - 1;
        let shard_at: Vec<u8> = (1..=n)
            .map(|i| shard_of(t.hash(Sym(i as u32))) as u8)
            .collect();
        let mut starts = vec![0usize; SHARDS + 1];
        for &k in &shard_at {
            starts[k as usize + 1] += 1;
        }
        for k in 0..SHARDS {
            starts[k + 1] += starts[k];
        }
        let mut fill = starts.clone();
        let mut order = vec![0u32; n];
        let mut pos = vec![0u32; n + 1];
        for (i, &k) in shard_at.iter().enumerate() {
            order[fill[k as usize]] = i as u32 + 1;
            pos[i + 1] = fill[k as usize] as u32;
            fill[k as usize] += 1;
        }
        let hashes = order.iter().map(|&i| t.hash(Sym(i))).collect();
        let bytes = (1..=n).map(|i| t.get(Sym(i as u32)).len()).sum();
        let mut arena = String::with_capacity(bytes);
        let spans = order
            .iter()
            .map(|&i| {
                let text = t.get(Sym(i));
                let at = arena.len() as u32;
                arena.push_str(text);
                (at, text.len() as u32)
            })
            .collect();
        ByShard {
            starts,
            order,
            hashes,
            spans,
            arena,
            pos,
        }
    }

    /// The string at position `p`.
    fn text(&self, p: usize) -> &str {
        text_at(&self.arena, self.spans[p])
    }

    fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.starts.capacity() * 8
            + (self.order.capacity() + self.pos.capacity()) * 4
            + (self.hashes.capacity() + self.spans.capacity()) * 8
    }
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

    #[test]
    fn symbols_remap_in_order() {
        let mut a = Symbols::default();
        let x = a.intern("x");
        let mut b = Symbols::default();
        b.intern("y");
        let map = b.remap_from(&a);
        assert_eq!(b.get(map[x.0 as usize]), "x");
        assert_eq!(b.lookup("x"), Some(map[x.0 as usize]));
        assert_eq!(b.lookup("z"), None);
        assert_eq!(map[0], Sym::NONE);
    }

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
