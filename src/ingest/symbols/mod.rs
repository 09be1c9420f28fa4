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
//!
//! Here: the symbol, the three forms a table takes (a chunk's flat table, a
//! finished one grouped by shard, the run's sharded table) and interning and
//! lookup in each; [`merge`] builds the run's table from the chunks'.

mod merge;

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

/// The hash every table keeps of a string (FxHash of the `str`, see
/// [`Symbols::text_hash`]).
pub(crate) fn hash_str(s: &str) -> u64 {
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
            map.push(Sym(self.intern(other.get(sym), other.text_hash(sym)).0));
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
    /// A part's table over the run's ([`Symbols::layered`]): the base's
    /// symbols keep their numbers, the part's own strings follow them.
    Layered {
        base: std::sync::Arc<Symbols>,
        /// The part's own strings: local number `n` is symbol `base.len() - 1 + n`.
        local: Table,
    },
    /// The run's table (see the module doc).
    Sharded {
        shards: Vec<Table>,
        /// Each symbol's shard and local number (see [`LOCAL_BITS`]).
        at: Vec<u32>,
        /// Each shard's symbol numbers, by local number.
        syms: Vec<Vec<u32>>,
    },
}

impl Symbols {
    /// Bytes the table holds (its strings, their places and hashes, its index).
    pub fn held_bytes(&self) -> usize {
        let table = |t: &Table| {
            t.arena.capacity()
                + t.spans.capacity() * std::mem::size_of::<(u32, u32)>()
                + t.hashes.capacity() * std::mem::size_of::<u64>()
                + t.index.capacity() * (std::mem::size_of::<u32>() + 1)
        };
        match &self.0 {
            Repr::Flat(t) => table(t),
            // A chunk's finished table, held only until the run's is merged
            // from it: the run's table is what is measured.
            Repr::Grouped(_) => 0,
            // The base is shared by every part: counted once, by its owner.
            Repr::Layered { local, .. } => table(local),
            Repr::Sharded { shards, at, syms } => {
                shards.iter().map(table).sum::<usize>()
                    + at.capacity() * 4
                    + syms.iter().map(|s| s.capacity() * 4).sum::<usize>()
            }
        }
    }
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
    /// A table that holds every symbol of `base` under the same number, and
    /// interns what `base` does not hold after them: one part's strings
    /// (its ids) over the run's shared ones (services, operations), so that
    /// the shared symbols mean the same in every part.
    pub fn layered(base: std::sync::Arc<Symbols>) -> Symbols {
        Symbols(Repr::Layered {
            base,
            local: Table::with_capacity(0, 0),
        })
    }

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
            Repr::Layered { base, local } => {
                if let Some(sym) = base.lookup(s) {
                    return sym;
                }
                Sym(base.len() as u32 - 1 + local.intern(s, hash).0)
            }
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
            Repr::Layered { base, local } => base.lookup(s).or_else(|| {
                let n = local.find(s, hash)?;
                Some(Sym(base.len() as u32 - 1 + n))
            }),
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
            Repr::Layered { base, local } => match layer(base, sym) {
                Ok(sym) => base.get(sym),
                Err(n) => local.get(n),
            },
            Repr::Sharded { shards, at, .. } => {
                let a = at[sym.0 as usize];
                shards[(a >> LOCAL_BITS) as usize].get(a & ((1 << LOCAL_BITS) - 1))
            }
        }
    }

    /// The hash of a symbol's text, kept from when it was interned: the
    /// same for the same text whatever the run's thread count or file
    /// order (FxHash of the `str`), without reading the text again.
    pub fn text_hash(&self, sym: Sym) -> u64 {
        match &self.0 {
            Repr::Flat(t) => t.hashes[sym.0 as usize],
            Repr::Grouped(_) if sym.is_none() => 0,
            Repr::Grouped(g) => g.hashes[g.pos[sym.0 as usize] as usize],
            Repr::Layered { base, local } => match layer(base, sym) {
                Ok(sym) => base.text_hash(sym),
                Err(n) => local.hashes[n as usize],
            },
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
            Repr::Layered { base, local } => base.len() + local.spans.len() - 1,
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
            Repr::Layered { local, .. } => local.heap_bytes(),
            Repr::Sharded { shards, at, syms } => {
                shards.iter().map(Table::heap_bytes).sum::<usize>()
                    + at.capacity() * 4
                    + syms.iter().map(|s| s.capacity() * 4).sum::<usize>()
            }
        }
    }

    /// Interns every string of `other` into `self` and returns the table that
    /// maps `other`'s symbols to `self`'s.
    pub fn remap_from(&mut self, other: &Symbols) -> Vec<Sym> {
        (0..other.len())
            .map(|i| self.intern(other.get(Sym(i as u32))))
            .collect()
    }
}

/// Where a layered table's symbol lives: `Ok` the base's symbol, `Err` the
/// local number.
fn layer(base: &Symbols, sym: Sym) -> Result<Sym, u32> {
    let n = base.len() as u32;
    if sym.0 < n {
        Ok(sym)
    } else {
        Err(sym.0 - n + 1)
    }
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
            .map(|i| shard_of(t.text_hash(Sym(i as u32))) as u8)
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
        let hashes = order.iter().map(|&i| t.text_hash(Sym(i))).collect();
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_kept_hash_is_the_hash_of_the_text() {
        use std::hash::BuildHasher;
        let mut t = Symbols::default();
        let syms: Vec<Sym> = ["a", "req-1", "4bf92f3577b34da6a3ce929d0e0e4736"]
            .iter()
            .map(|s| t.intern(s))
            .collect();
        for s in syms {
            assert_eq!(t.text_hash(s), rustc_hash::FxBuildHasher.hash_one(t.get(s)));
        }
    }

    use super::*;

    #[test]
    fn a_layered_table_keeps_its_base_numbers_and_adds_its_own_after_them() {
        let mut run = Symbols::default();
        let (svc, op) = (run.intern("orders"), run.intern("GET /o"));
        let base = std::sync::Arc::new(run);
        let mut part = Symbols::layered(base.clone());
        assert_eq!(part.len(), base.len());
        assert_eq!(part.intern("orders"), svc);
        let id = part.intern("req-1");
        assert_eq!(id, Sym(base.len() as u32));
        assert_eq!(part.intern("req-2"), Sym(id.0 + 1));
        assert_eq!(part.intern("req-1"), id);
        assert_eq!(part.len(), base.len() + 2);
        assert_eq!(
            (part.get(op), part.get(id), part.get(Sym::NONE)),
            ("GET /o", "req-1", "")
        );
        assert_eq!(part.lookup("req-2"), Some(Sym(id.0 + 1)));
        assert_eq!(part.lookup("GET /o"), Some(op));
        assert_eq!(part.lookup("req-3"), None);
        assert_eq!(part.text_hash(id), hash_str("req-1"));
        assert_eq!(part.text_hash(svc), base.text_hash(svc));
        assert_eq!(part.intern(""), Sym::NONE);
        // Another part over the same base numbers its own strings alike.
        let mut other = Symbols::layered(base.clone());
        assert_eq!(other.intern("req-9"), id);
    }

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
}
