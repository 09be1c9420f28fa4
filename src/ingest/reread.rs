//! Events -> the text of their source lines, read again from the files.
//!
//! Input: the paths and discovery options a run was given, what it ingested,
//! and the [`SourceRef`]s (file index, 1-based line number) of the lines
//! wanted. Output: each line's text (cut to 400 characters, invalid UTF-8
//! replaced), read by streaming each file and decompressing it, holding only
//! the wanted lines. `trace` runs this before rendering its waterfalls.
//!
//! A file that changed since it was read, or a piped input without a copy
//! ([`IngestOptions::copy_pipes`](super::IngestOptions::copy_pipes)), gives no
//! text: the waterfall then shows places, not lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::discover::{self, DiscoverOptions};
use super::event::SourceRef;
use super::read::ChunkReader;
use super::Ingested;

/// Longest line text kept per source line (characters).
const MAX_LINE_CHARS: usize = 400;

/// The text of the `wanted` lines of the files `input` was read from.
/// Discovery is repeated to learn the real paths; it lists the same files in
/// the same order as the ingest did.
pub fn lines(
    paths: &[PathBuf],
    discover: &DiscoverOptions,
    input: &Ingested,
    wanted: &BTreeSet<SourceRef>,
) -> BTreeMap<SourceRef, String> {
    let sources = discover::discover(paths, discover)
        .map(|d| d.sources)
        .unwrap_or_default();
    let mut by_file: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for r in wanted {
        by_file.entry(r.file).or_default().push(r.line);
    }
    let copies: BTreeMap<u32, &Path> = input
        .pipe_copies
        .iter()
        .map(|(i, p)| (*i, p.as_ref()))
        .collect();
    let mut out = BTreeMap::new();
    for (file, numbers) in by_file {
        let Some(src) = sources.get(file as usize) else {
            continue;
        };
        if input.files.get(file as usize).map(|f| &f.path) != Some(&src.display) {
            continue; // the folder changed since it was read: show places, not text
        }
        // A pipe cannot be read again: its copy can.
        let path = match (src.piped, copies.get(&file)) {
            (false, _) => src.path.as_path(),
            (true, Some(copy)) => copy,
            (true, None) => continue,
        };
        for (line, text) in source_lines(path, &numbers).unwrap_or_default() {
            out.insert(SourceRef { file, line }, text);
        }
    }
    out
}

/// Reads the `wanted` lines (1-based numbers, sorted) of one file, streaming
/// it chunk by chunk so only those lines are held. Lines are cut to 400
/// characters; invalid UTF-8 is replaced.
pub fn source_lines(path: &Path, wanted: &[u32]) -> std::io::Result<Vec<(u32, String)>> {
    let mut out = Vec::with_capacity(wanted.len());
    let mut want = wanted.iter().copied().peekable();
    let mut reader = ChunkReader::open(path, 1 << 20)?;
    let mut buf = Vec::new();
    let mut line_no: u32 = 0;
    while want.peek().is_some() && reader.next_chunk(&mut buf) {
        for line in buf.split_inclusive(|&b| b == b'\n') {
            line_no += 1;
            while want.peek().is_some_and(|&w| w < line_no) {
                want.next();
            }
            if want.peek() == Some(&line_no) {
                want.next();
                let line = line.strip_suffix(b"\n").unwrap_or(line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                // Kept as logged: the row shows it through `shorten`, which
                // makes it safe for the terminal.
                let text: String = String::from_utf8_lossy(line)
                    .chars()
                    .take(MAX_LINE_CHARS)
                    .collect();
                out.push((line_no, text));
            }
            if want.peek().is_none() {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_lines_are_found_by_number_in_compressed_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.log.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 1..=5000 {
            std::io::Write::write_all(&mut gz, format!("line {i}\r\n").as_bytes()).unwrap();
        }
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let got = source_lines(&path, &[1, 2, 4999, 7000]).unwrap();
        assert_eq!(
            got,
            vec![
                (1, "line 1".into()),
                (2, "line 2".into()),
                (4999, "line 4999".into())
            ]
        );
    }
}
