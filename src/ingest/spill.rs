//! Parsed chunks -> temporary files, one per part of the correlation keys,
//! and each part back as events, for runs whose events do not fit in memory.
//!
//! Input: each chunk's events and string table as parsing makes them
//! ([`Writer::chunk`], in any order, from any thread), then the run's shared
//! names (services, operations, messages, clients, upstreams) merged from
//! the chunks' in input order. Output: per part ([`Spilled::load`]) the
//! events of every correlation key of that part, in input order, with a
//! string table layered over the shared names ([`Symbols::layered`]): names
//! have their run-wide numbers in every part, ids their own.
//!
//! An event goes to the part of its first id (the request id, else the trace
//! id: the key correlation groups by), by the hash of its text. A line that
//! names a request id and a trace id links them, and all events of linked
//! ids must meet in one part: once every chunk is written, the links are
//! joined into sets (union-find over the ids' hashes), each set's home is
//! the highest part any of its ids falls in, and [`Writer::finish`] moves
//! the events whose home is another part to that part (always a later one).
//! Events without an id have a part of their own, [`Spilled::loose`].
//!
//! A file holds blocks, one per (chunk, part) written: the chunk's sequence
//! number, the ids its events name (with their numbers in the chunk's table,
//! so that a part numbers its ids in the order the whole run would), and the
//! events (76 bytes each, and their place in the chunk). Blocks are put back
//! in chunk order when a part is loaded, so nothing depends on which thread
//! wrote first. Everything is little-endian; the files live only as long as
//! the run (the folder is removed when [`Spilled`] is dropped).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustc_hash::{FxHashMap, FxHashSet};

use super::event::{Event, Level, SourceRef, Sym, Symbols};
use super::symbols::hash_str;

/// Bytes of one event in a block: its fields (76 bytes, no padding) and its
/// place in its chunk.
const EVENT_BYTES: usize = 80;

/// Writes the parsed chunks' events into the parts' files.
pub struct Writer {
    dir: PathBuf,
    parts: u32,
    files: Vec<Mutex<BufWriter<File>>>,
    loose: Mutex<BufWriter<File>>,
    /// Pairs of ids (hashes of their text) named on one line.
    links: Mutex<FxHashSet<(u64, u64)>>,
    /// Each chunk's names, by its key.
    names: Mutex<Vec<(u64, Symbols)>>,
    /// The first write that failed: the run stops with it at [`Writer::finish`].
    failed: Mutex<Option<io::Error>>,
}

/// The run's shared names, merged from the chunks' in input order, and
/// each chunk's map into them (found by its key).
pub struct Names {
    pub symbols: Arc<Symbols>,
    keys: Vec<u64>,
    maps: Vec<Vec<Sym>>,
}

impl Names {
    fn merge(mut chunks: Vec<(u64, Symbols)>) -> Names {
        chunks.sort_unstable_by_key(|(k, _)| *k);
        let keys = chunks.iter().map(|(k, _)| *k).collect();
        let (symbols, maps) = Symbols::merge(chunks.into_iter().map(|(_, t)| t).collect());
        Names {
            symbols: Arc::new(symbols),
            keys,
            maps,
        }
    }

    fn map(&self, key: u64) -> &[Sym] {
        let at = self
            .keys
            .binary_search(&key)
            .expect("every chunk written has its names");
        &self.maps[at]
    }
}

/// The events of a run, spilled into parts.
pub struct Spilled {
    dir: PathBuf,
    parts: u32,
    /// The home part of every id (hash of its text) whose home is not the
    /// part it falls in by itself.
    homes: FxHashMap<u64, u32>,
    /// How many events each part holds once moved to their homes.
    counts: Vec<u64>,
    /// How many events were moved to their home.
    moved: u64,
}

fn part_file(dir: &Path, p: u32) -> PathBuf {
    dir.join(format!("part-{p}"))
}

fn moved_file(dir: &Path, p: u32) -> PathBuf {
    dir.join(format!("moved-{p}"))
}

fn loose_file(dir: &Path) -> PathBuf {
    dir.join("loose")
}

/// The key correlation groups an event by.
fn first_id(e: &Event) -> Sym {
    if e.request_id.is_some() {
        e.request_id
    } else {
        e.trace_id
    }
}

impl Writer {
    /// Files for `parts` parts in `dir`, a folder that exists and that the
    /// run owns.
    pub fn create(dir: &Path, parts: u32) -> io::Result<Writer> {
        let parts = parts.max(1);
        let open = |path: PathBuf| -> io::Result<Mutex<BufWriter<File>>> {
            Ok(Mutex::new(BufWriter::new(
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)?,
            )))
        };
        Ok(Writer {
            dir: dir.to_path_buf(),
            parts,
            files: (0..parts)
                .map(|p| open(part_file(dir, p)))
                .collect::<io::Result<_>>()?,
            loose: open(loose_file(dir))?,
            links: Mutex::default(),
            names: Mutex::default(),
            failed: Mutex::default(),
        })
    }

    /// Writes the events of the chunk `key` (keys ordered as the input:
    /// file, then place in the file) to their parts, and keeps its names
    /// for the run's shared table. A write that fails is kept and returned
    /// by [`Writer::finish`].
    pub fn chunk(&self, key: u64, symbols: &Symbols, events: &[Event]) {
        if let Err(e) = self.try_chunk(key, symbols, events) {
            let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            failed.get_or_insert(e);
        }
    }

    fn try_chunk(&self, seq: u64, symbols: &Symbols, events: &[Event]) -> io::Result<()> {
        // The chunk's names, numbered in the order of its table.
        let mut used = vec![false; symbols.len()];
        for &(mut e) in events {
            e.map_names(|s| {
                used[s.0 as usize] = true;
                s
            });
        }
        let mut names = Symbols::default();
        let mut name_of = vec![0u32; symbols.len()];
        for (s, _) in used.iter().enumerate().filter(|&(s, &u)| u && s != 0) {
            name_of[s] = names.intern(symbols.get(Sym(s as u32))).0;
        }
        // Each part's events and the ids they name.
        let mut by_part: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        let mut loose: Vec<u32> = Vec::new();
        let mut links: Vec<(u64, u64)> = Vec::new();
        for (k, e) in events.iter().enumerate() {
            let id = first_id(e);
            if id.is_none() {
                loose.push(k as u32);
                continue;
            }
            if e.request_id.is_some() && e.trace_id.is_some() {
                links.push((
                    symbols.text_hash(e.request_id),
                    symbols.text_hash(e.trace_id),
                ));
            }
            let p = (symbols.text_hash(id) % u64::from(self.parts)) as u32;
            by_part.entry(p).or_default().push(k as u32);
        }
        if !links.is_empty() {
            let mut all = self.links.lock().unwrap_or_else(|e| e.into_inner());
            all.extend(links);
        }
        let mut buf = Vec::new();
        let mut parts: Vec<(u32, Vec<u32>)> = by_part.into_iter().collect();
        parts.sort_unstable_by_key(|(p, _)| *p);
        for (p, at) in parts {
            buf.clear();
            block(&mut buf, seq, symbols, events, &at, &name_of);
            let mut f = self.files[p as usize]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            f.write_all(&buf)?;
        }
        if !loose.is_empty() {
            buf.clear();
            block(&mut buf, seq, symbols, events, &loose, &name_of);
            let mut f = self.loose.lock().unwrap_or_else(|e| e.into_inner());
            f.write_all(&buf)?;
        }
        let mut all = self.names.lock().unwrap_or_else(|e| e.into_inner());
        all.push((seq, names));
        Ok(())
    }

    /// Every chunk written: joins the linked ids into sets, gives each set
    /// its home and moves every event whose home is another part there;
    /// merges the chunks' names into the run's.
    pub fn finish(self) -> io::Result<(Spilled, Names)> {
        let Writer {
            dir,
            parts,
            files,
            loose,
            links,
            names,
            failed,
        } = self;
        if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(e);
        }
        for f in files.into_iter().chain([loose]) {
            f.into_inner().unwrap_or_else(|e| e.into_inner()).flush()?;
        }
        let links = links.into_inner().unwrap_or_else(|e| e.into_inner());
        let homes = homes(links, parts);
        let mut spilled = Spilled {
            dir,
            parts,
            homes,
            counts: vec![0; parts as usize],
            moved: 0,
        };
        spilled.settle()?;
        let names = Names::merge(names.into_inner().unwrap_or_else(|e| e.into_inner()));
        Ok((spilled, names))
    }
}

/// Appends the block of the events `at` of chunk `seq` to `buf`: names as
/// the chunk's name numbers, ids as numbers in the block's id list, which
/// is in the order of the chunk's table.
fn block(
    buf: &mut Vec<u8>,
    seq: u64,
    symbols: &Symbols,
    events: &[Event],
    at: &[u32],
    name_of: &[u32],
) {
    let mut ids: Vec<u32> = Vec::new();
    for &k in at {
        let mut e = events[k as usize];
        e.map_ids(|s| {
            if s.is_some() {
                ids.push(s.0);
            }
            s
        });
    }
    ids.sort_unstable();
    ids.dedup();
    let id_of = |s: Sym| -> Sym {
        match ids.binary_search(&s.0) {
            Ok(i) if s.is_some() => Sym(i as u32 + 1),
            _ => Sym::NONE,
        }
    };
    let listed: Vec<(u32, &str)> = ids.iter().map(|&s| (s, symbols.get(Sym(s)))).collect();
    let name = |s: Sym| Sym(name_of[s.0 as usize]);
    let encoded = at.iter().map(|&k| {
        let mut e = events[k as usize];
        e.map_names(name);
        e.map_ids(id_of);
        (k, e)
    });
    write_block(buf, seq, &listed, encoded);
}

/// Appends a block: chunk `seq`, its ids (number in the chunk's table,
/// text) and its events, encoded (names as the chunk's name numbers, ids
/// as numbers in `ids` from 1), each with its place in the chunk.
fn write_block<'a, S: AsRef<str> + 'a>(
    buf: &mut Vec<u8>,
    seq: u64,
    ids: &[(u32, S)],
    events: impl ExactSizeIterator<Item = (u32, Event)>,
) {
    let text_bytes: usize = ids.iter().map(|(_, t)| t.as_ref().len()).sum();
    put64(buf, seq);
    put32(buf, events.len() as u32);
    put32(buf, ids.len() as u32);
    put32(buf, text_bytes as u32);
    for (sym, text) in ids {
        put32(buf, *sym);
        put32(buf, text.as_ref().len() as u32);
    }
    for (_, text) in ids {
        buf.extend_from_slice(text.as_ref().as_bytes());
    }
    for (k, e) in events {
        put64(buf, e.time_ns as u64);
        put64(buf, e.duration_ns);
        put32(buf, e.source.file);
        put32(buf, e.source.line);
        put32(buf, e.service.0);
        put32(buf, e.operation.0);
        put32(buf, e.request_id.0);
        put32(buf, e.trace_id.0);
        put64(buf, e.span_bits);
        put64(buf, e.parent_bits);
        put32(buf, e.message.0);
        put32(buf, e.client.0);
        put32(buf, e.upstream.0);
        put32(buf, e.call);
        buf.extend_from_slice(&e.status.to_le_bytes());
        buf.push(e.level as u8);
        buf.push(e.flags);
        put32(buf, k);
    }
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// One block read back: its chunk, its ids (number in the chunk's table,
/// text) and its events with their place in the chunk. The events' names
/// are still the chunk's name numbers, their ids numbers in `ids` (from 1).
struct Block {
    seq: u64,
    ids: Vec<(u32, String)>,
    events: Vec<(u32, Event)>,
}

/// Reads the next block of `r`; `None` at the end of the file.
fn read_block(r: &mut impl Read) -> io::Result<Option<Block>> {
    let mut head = [0u8; 20];
    match r.read_exact(&mut head[..4]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    r.read_exact(&mut head[4..])?;
    let word = |b: &[u8], k: usize| u32::from_le_bytes(b[4 * k..4 * k + 4].try_into().unwrap());
    let seq = u64::from(word(&head, 0)) | u64::from(word(&head, 1)) << 32;
    let (n_events, n_ids, text_bytes) = (
        word(&head, 2) as usize,
        word(&head, 3) as usize,
        word(&head, 4) as usize,
    );
    let mut list = vec![0u8; 8 * n_ids];
    r.read_exact(&mut list)?;
    let mut text = vec![0u8; text_bytes];
    r.read_exact(&mut text)?;
    let text =
        String::from_utf8(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let mut ids = Vec::with_capacity(n_ids);
    let mut at = 0;
    for k in 0..n_ids {
        let (sym, len) = (word(&list, 2 * k), word(&list, 2 * k + 1) as usize);
        let s = text.get(at..at + len).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "spilled id out of its block")
        })?;
        ids.push((sym, s.to_owned()));
        at += len;
    }
    let mut raw = vec![0u8; EVENT_BYTES * n_events];
    r.read_exact(&mut raw)?;
    let events = raw
        .chunks_exact(EVENT_BYTES)
        .map(|b| {
            let w = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
            let d = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
            let e = Event {
                time_ns: d(0) as i64,
                duration_ns: d(8),
                source: SourceRef {
                    file: w(16),
                    line: w(20),
                },
                service: Sym(w(24)),
                operation: Sym(w(28)),
                request_id: Sym(w(32)),
                trace_id: Sym(w(36)),
                span_bits: d(40),
                parent_bits: d(48),
                message: Sym(w(56)),
                client: Sym(w(60)),
                upstream: Sym(w(64)),
                call: w(68),
                status: u16::from_le_bytes([b[72], b[73]]),
                level: level_of(b[74]),
                flags: b[75],
            };
            (w(76), e)
        })
        .collect();
    Ok(Some(Block { seq, ids, events }))
}

fn level_of(b: u8) -> Level {
    const ALL: [Level; 7] = [
        Level::Unknown,
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];
    ALL.get(b as usize).copied().unwrap_or(Level::Unknown)
}

/// Reads every block of the file at `path` (none when it does not exist).
fn blocks(path: &Path) -> io::Result<Vec<Block>> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut out = Vec::new();
    while let Some(b) = read_block(&mut r)? {
        out.push(b);
    }
    Ok(out)
}

/// The home of every linked id that is not its own part: each set of
/// linked ids goes to the highest part one of them falls in.
fn homes(links: FxHashSet<(u64, u64)>, parts: u32) -> FxHashMap<u64, u32> {
    let mut links: Vec<(u64, u64)> = links.into_iter().collect();
    links.sort_unstable();
    let mut index: FxHashMap<u64, u32> = FxHashMap::default();
    let mut hashes: Vec<u64> = Vec::new();
    let mut of = |h: u64, hashes: &mut Vec<u64>| {
        *index.entry(h).or_insert_with(|| {
            hashes.push(h);
            hashes.len() as u32 - 1
        })
    };
    let pairs: Vec<(u32, u32)> = links
        .iter()
        .map(|&(a, b)| (of(a, &mut hashes), of(b, &mut hashes)))
        .collect();
    let mut parent: Vec<u32> = (0..hashes.len() as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for (a, b) in pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    let own = |h: u64| (h % u64::from(parts)) as u32;
    let mut home = vec![0u32; hashes.len()];
    for (k, &h) in hashes.iter().enumerate() {
        let r = root(&mut parent, k as u32) as usize;
        home[r] = home[r].max(own(h));
    }
    hashes
        .iter()
        .enumerate()
        .filter_map(|(k, &h)| {
            let r = root(&mut parent, k as u32) as usize;
            (home[r] != own(h)).then_some((h, home[r]))
        })
        .collect()
}

impl Spilled {
    pub fn parts(&self) -> u32 {
        self.parts
    }

    /// How many events were written to one part and moved to another, to
    /// meet the events of the ids they are linked to.
    pub fn moved(&self) -> u64 {
        self.moved
    }

    /// How many events part `p` holds.
    pub fn count(&self, p: u32) -> u64 {
        self.counts[p as usize]
    }

    /// The part the events of an id (the hash of its text) belong in, given
    /// the part it falls in by itself.
    fn home(&self, hash: u64) -> u32 {
        self.homes
            .get(&hash)
            .copied()
            .unwrap_or((hash % u64::from(self.parts)) as u32)
    }

    /// The home of each of a block's ids, by its number in the block (from
    /// 1): each id hashed once, not once per event that names it.
    fn id_homes(&self, b: &Block) -> Vec<u32> {
        std::iter::once(0)
            .chain(b.ids.iter().map(|(_, text)| self.home(hash_str(text))))
            .collect()
    }

    /// Moves the events whose home is a later part into that part's
    /// `moved` file, block by block, and counts each part's events.
    fn settle(&mut self) -> io::Result<()> {
        let mut moved: Vec<Option<BufWriter<File>>> = (0..self.parts).map(|_| None).collect();
        for p in 0..self.parts {
            for b in blocks(&part_file(&self.dir, p))? {
                let mut away: FxHashMap<u32, Vec<(u32, Event)>> = FxHashMap::default();
                let homes = self.id_homes(&b);
                for &(k, e) in &b.events {
                    let home = homes[first_id(&e).0 as usize];
                    if home == p {
                        self.counts[p as usize] += 1;
                    } else {
                        away.entry(home).or_default().push((k, e));
                    }
                }
                let mut homes: Vec<_> = away.into_iter().collect();
                homes.sort_unstable_by_key(|(h, _)| *h);
                for (home, events) in homes {
                    self.counts[home as usize] += events.len() as u64;
                    self.moved += events.len() as u64;
                    let f = match &mut moved[home as usize] {
                        Some(f) => f,
                        slot => slot.insert(BufWriter::new(
                            std::fs::OpenOptions::new()
                                .append(true)
                                .create(true)
                                .open(moved_file(&self.dir, home))?,
                        )),
                    };
                    let mut buf = Vec::new();
                    write_block(&mut buf, b.seq, &b.ids, events.into_iter());
                    f.write_all(&buf)?;
                }
            }
        }
        for f in moved.into_iter().flatten() {
            f.into_inner().map_err(|e| e.into_error())?.sync_data()?;
        }
        Ok(())
    }

    /// The events of part `p`, in input order, with their table over the
    /// run's shared names.
    pub fn load(&self, p: u32, names: &Names) -> io::Result<(Vec<Event>, Symbols)> {
        let mut all = blocks(&part_file(&self.dir, p))?;
        for b in &mut all {
            let homes = self.id_homes(b);
            b.events.retain(|(_, e)| homes[first_id(e).0 as usize] == p);
        }
        all.extend(blocks(&moved_file(&self.dir, p))?);
        Ok(assemble(all, names))
    }

    /// The events that carry no correlation id, in input order (see [`Spilled::load`]).
    pub fn loose(&self, names: &Names) -> io::Result<(Vec<Event>, Symbols)> {
        Ok(assemble(blocks(&loose_file(&self.dir))?, names))
    }
}

impl Drop for Spilled {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The blocks of one part -> its events in input order, ids interned in
/// the order the whole run's table would number them (chunk by chunk, in
/// each chunk's order), names mapped to the run's shared numbers.
fn assemble(mut all: Vec<Block>, names: &Names) -> (Vec<Event>, Symbols) {
    all.sort_by_key(|b| b.seq);
    let mut symbols = Symbols::layered(names.symbols.clone());
    let mut events = Vec::with_capacity(all.iter().map(|b| b.events.len()).sum());
    for chunk in all.chunk_by(|a, b| a.seq == b.seq) {
        let map = names.map(chunk[0].seq);
        // The ids the chunk's events name, in the chunk table's order.
        let mut used: Vec<(u32, &str)> = Vec::new();
        for b in chunk {
            for &(_, mut e) in &b.events {
                e.map_ids(|s| {
                    if s.is_some() {
                        used.push((b.ids[s.0 as usize - 1].0, &b.ids[s.0 as usize - 1].1));
                    }
                    s
                });
            }
        }
        used.sort_unstable();
        used.dedup();
        for (_, text) in &used {
            symbols.intern(text);
        }
        let mut placed: Vec<(u32, Event)> = Vec::new();
        for b in chunk {
            // Each of the block's ids looked up once, not once per event
            // (those only events moved away named are not in the table).
            let local: Vec<Sym> = std::iter::once(Sym::NONE)
                .chain(
                    b.ids
                        .iter()
                        .map(|(_, text)| symbols.lookup(text).unwrap_or(Sym::NONE)),
                )
                .collect();
            for &(k, mut e) in &b.events {
                e.map_names(|s| map[s.0 as usize]);
                e.map_ids(|s| local[s.0 as usize]);
                placed.push((k, e));
            }
        }
        placed.sort_unstable_by_key(|&(k, _)| k);
        events.extend(placed.into_iter().map(|(_, e)| e));
    }
    (events, symbols)
}
