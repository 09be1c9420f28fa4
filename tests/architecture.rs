//! The module graph points one way and has no cycles.
//!
//! Reads every file under `src/` (the library; `main.rs` and `cli.rs` are the
//! binary), finds the module paths it names (`crate::a::b`, `super::x`,
//! `use crate::{a, b::c}`, a child module's name in a `mod.rs`), and checks:
//!
//! - top-level modules depend only on modules of a lower layer ([`LAYERS`]):
//!   leaves (anyone may use them) <- ingest <- trace <- analyze <-
//!   render/export <- diff <- the crate root (`lib.rs`) <- cli/main;
//! - inside every module, its child modules (files, or folders counted as a
//!   whole) have no cycle between them. A `mod.rs` is its module's front and
//!   is left out of that check: children use its types, it calls them.
//!
//! Comments, strings and `#[cfg(test)]` items are skipped: tests may reach
//! anything. The checker's own tests plant cycles and wrong-way edges and
//! see it fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level modules and their layer: a module may use only modules of a
/// lower layer. Layer 0 is the leaves: small modules that use no other
/// module and that anyone may use.
const LAYERS: &[(&str, u8)] = &[
    ("concat", 0),
    ("config", 0),
    ("error", 0),
    ("safe", 0),
    ("timing", 0),
    ("units", 0),
    ("ingest", 1),
    ("trace", 2),
    ("window", 2),
    ("analyze", 3),
    ("export", 4),
    ("output", 4),
    ("render", 4),
    ("generate", 4),
    ("diff", 5),
    // The crate root: the report pipeline that calls every stage.
    ("lib", 6),
];

/// A module path: `["ingest", "formats", "json"]`; the crate root is `[]`.
type ModPath = Vec<String>;

/// One source file: its module path and its text with comments, strings and
/// test-only items removed.
struct Source {
    module: ModPath,
    code: String,
}

fn read_sources(src: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    walk(src, src, &mut out);
    out.sort_by(|a, b| a.module.cmp(&b.module));
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
            continue;
        }
        if path.extension().map_or(true, |e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap();
        let mut module: ModPath = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        match module.last().map(String::as_str) {
            // The binary is not part of the library's graph.
            Some("main" | "cli") if module.len() == 1 => continue,
            Some("lib") if module.len() == 1 => {
                module.pop();
            }
            Some("mod") => {
                module.pop();
            }
            _ => {}
        }
        let text = std::fs::read_to_string(&path).unwrap();
        out.push(Source {
            module,
            code: strip_tests(&strip(&text)),
        });
    }
}

/// Replaces comments, string and char literals with spaces.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(b.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let mut depth = 0;
            while i < b.len() {
                if text[i..].starts_with("/*") {
                    depth += 1;
                    i += 2;
                } else if text[i..].starts_with("*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(hashes) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            let body = i + 2 + hashes + usize::from(b[i] == b'b');
            i = text[body..]
                .find(&close)
                .map_or(b.len(), |n| body + n + close.len());
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' {
            // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
            let lit = if rest[1..].starts_with('\\') {
                rest[2..].find('\'').map(|n| n + 3)
            } else {
                rest[1..]
                    .char_indices()
                    .nth(1)
                    .filter(|&(_, c)| c == '\'')
                    .map(|(n, _)| n + 2)
            };
            match lit {
                Some(len) => {
                    i += len;
                    out.push_str("' '");
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `r"`, `r#"`, `br"`...: the number of `#`s, if a raw string starts here.
fn raw_string_start(s: &str) -> Option<usize> {
    let s = s.strip_prefix('b').unwrap_or(s);
    let s = s.strip_prefix('r')?;
    let hashes = s.bytes().take_while(|&c| c == b'#').count();
    (s.as_bytes().get(hashes) == Some(&b'"')).then_some(hashes)
}

/// Removes every item marked `#[cfg(test)]`: up to its `;` or its closing
/// brace, whichever the item has.
fn strip_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let semi = item.find(';').unwrap_or(item.len());
        let open = item.find('{').unwrap_or(item.len());
        let end = if semi < open {
            semi + 1
        } else {
            let mut depth = 0;
            let mut end = item.len();
            for (n, c) in item.char_indices().skip(open) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = n + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path in `code` that starts with one of `roots` (`crate`, `super`,
/// `self`, a child module's name), with `{a, b::c}` groups expanded.
fn paths(code: &str, roots: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == ':');
        if starts_word && is_ident(chars[i]) {
            let mut j = i;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            if roots.contains(&word) && chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':')
            {
                let mut prefix = vec![word];
                let end = path_tail(&chars, j + 2, &mut prefix, &mut out);
                i = end;
                continue;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Reads the rest of a path after `prefix::`, pushing every full path.
fn path_tail(
    chars: &[char],
    mut i: usize,
    prefix: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if chars.get(i) == Some(&'{') {
        i += 1;
        loop {
            skip_ws(&mut i);
            match chars.get(i) {
                None => return i,
                Some('}') => return i + 1,
                Some(',') => i += 1,
                _ => {
                    let mut inner = prefix.clone();
                    let before = i;
                    i = path_segments(chars, i, &mut inner, out);
                    if i == before {
                        i += 1;
                    }
                }
            }
        }
    }
    path_segments(chars, i, prefix, out)
}

fn path_segments(
    chars: &[char],
    mut i: usize,
    path: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if i == start {
            if chars.get(i) == Some(&'{') {
                return path_tail(chars, i, path, out);
            }
            out.push(path.clone());
            return i;
        }
        path.push(chars[start..i].iter().collect());
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            out.push(path.clone());
            return i;
        }
    }
}

/// Module-to-module edges between files, each path resolved to the longest
/// known module it names.
fn edges(sources: &[Source]) -> BTreeSet<(ModPath, ModPath)> {
    let modules: BTreeSet<ModPath> = sources.iter().map(|s| s.module.clone()).collect();
    let mut out = BTreeSet::new();
    for s in sources {
        let children: BTreeSet<String> = modules
            .iter()
            .filter(|m| m.len() == s.module.len() + 1 && m.starts_with(&s.module))
            .map(|m| m.last().unwrap().clone())
            .collect();
        let mut roots = children.clone();
        roots.extend(["crate", "super", "self"].map(String::from));
        for path in paths(&s.code, &roots) {
            let mut base: ModPath = Vec::new();
            let mut rest = &path[..];
            match path[0].as_str() {
                "crate" => rest = &path[1..],
                "self" => {
                    base = s.module.clone();
                    rest = &path[1..];
                }
                "super" => {
                    base = s.module.clone();
                    while rest.first().is_some_and(|p| p == "super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                }
                _ => base = s.module.clone(),
            }
            let mut target = base;
            for seg in rest {
                let mut next = target.clone();
                next.push(seg.clone());
                if !modules.contains(&next) {
                    break;
                }
                target = next;
            }
            if target != s.module {
                out.insert((s.module.clone(), target));
            }
        }
    }
    out
}

/// Edges between the children of `parent` (each child standing for its
/// whole subtree); edges from or to `parent`'s own file are left out.
fn child_edges(
    all: &BTreeSet<(ModPath, ModPath)>,
    parent: &[String],
) -> BTreeSet<(String, String)> {
    let child = |m: &ModPath| -> Option<String> {
        (m.len() > parent.len() && m.starts_with(parent)).then(|| m[parent.len()].clone())
    };
    all.iter()
        .filter_map(|(a, b)| Some((child(a)?, child(b)?)))
        .filter(|(a, b)| a != b)
        .collect()
}

/// A cycle in the graph, as the nodes along it, if there is one.
fn find_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    // 0 = not seen, 1 = on the current path, 2 = done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        n: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(n, 1);
        path.push(n);
        for &m in next.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                1 => {
                    let from = path.iter().position(|&p| p == m).unwrap();
                    let mut cycle: Vec<String> =
                        path[from..].iter().map(|s| s.to_string()).collect();
                    cycle.push(m.to_owned());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, next, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(n, 2);
        None
    }
    for &n in next.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, &next, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// Every problem with the graph: wrong-way edges between top-level modules,
/// modules missing from [`LAYERS`], and cycles inside any module.
fn problems(sources: &[Source], layers: &[(&str, u8)]) -> Vec<String> {
    let all = edges(sources);
    let mut out = Vec::new();
    let top = |m: &ModPath| m.first().cloned().unwrap_or_else(|| "lib".to_owned());
    let layer = |name: &str| layers.iter().find(|(n, _)| *n == name).map(|&(_, l)| l);
    let tops: BTreeSet<String> = sources.iter().map(|s| top(&s.module)).collect();
    for t in &tops {
        if layer(t).is_none() {
            out.push(format!(
                "top-level module `{t}` has no layer: add it to LAYERS"
            ));
        }
    }
    let mut top_edges = BTreeSet::new();
    for (a, b) in &all {
        let (ta, tb) = (top(a), top(b));
        if ta != tb {
            top_edges.insert((ta, tb, a.join("::"), b.join("::")));
        }
    }
    for (ta, tb, a, b) in &top_edges {
        if let (Some(la), Some(lb)) = (layer(ta), layer(tb)) {
            if lb >= la {
                out.push(format!(
                    "`{ta}` (layer {la}) uses `{tb}` (layer {lb}): crate::{a} -> crate::{b}"
                ));
            }
        }
    }
    let pairs: BTreeSet<(String, String)> = top_edges
        .iter()
        .map(|(a, b, _, _)| (a.clone(), b.clone()))
        .collect();
    if let Some(c) = find_cycle(&pairs) {
        out.push(format!(
            "cycle between top-level modules: {}",
            c.join(" -> ")
        ));
    }
    let parents: BTreeSet<ModPath> = sources
        .iter()
        .map(|s| s.module.clone())
        .filter(|m| !m.is_empty())
        .collect();
    for p in &parents {
        if let Some(c) = find_cycle(&child_edges(&all, p)) {
            out.push(format!(
                "cycle inside `{}`: {}",
                p.join("::"),
                c.join(" -> ")
            ));
        }
    }
    out
}

#[test]
fn modules_depend_one_way_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_sources(&src);
    assert!(
        sources.len() > 50,
        "read only {} files under src/",
        sources.len()
    );
    let found = problems(&sources, LAYERS);
    assert!(
        found.is_empty(),
        "the module graph has problems:\n{}",
        found.join("\n")
    );
}

/// The stages after ingest work on data in memory: only `ingest` reads
/// files, only `output` (and `main`) write them.
const NO_FILE_IO: &[&str] = &["trace", "analyze", "render", "export"];

/// Names that open, read or write files, in code (not comments or strings).
fn file_io(code: &str) -> Vec<&'static str> {
    [
        "std::fs",
        "fs::",
        "File::",
        "OpenOptions",
        "ChunkReader",
        "read_to_string",
    ]
    .into_iter()
    .filter(|n| code.contains(n))
    .collect()
}

#[test]
fn renderers_and_analysis_touch_no_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found: Vec<String> = read_sources(&src)
        .iter()
        .filter(|s| {
            s.module
                .first()
                .is_some_and(|m| NO_FILE_IO.contains(&m.as_str()))
        })
        .filter_map(|s| {
            let io = file_io(&s.code);
            (!io.is_empty()).then(|| format!("crate::{} uses {io:?}", s.module.join("::")))
        })
        .collect();
    assert!(
        found.is_empty(),
        "file I/O outside ingest and output:\n{}",
        found.join("\n")
    );
    assert_eq!(
        file_io(&strip("let r = ChunkReader::open(p)?; // std::fs")),
        ["ChunkReader"]
    );
}

/// A crate made of (file module path, text) pairs, as `read_sources` reads it.
fn planted(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(m, text)| Source {
            module: m
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            code: strip_tests(&strip(text)),
        })
        .collect()
}

const PLANT_LAYERS: &[(&str, u8)] = &[("units", 0), ("ingest", 1), ("render", 4), ("lib", 6)];

#[test]
fn a_clean_graph_passes() {
    let s = planted(&[
        ("", "pub mod ingest; pub mod render; use render::page;"),
        ("units", "pub fn bytes() {}"),
        ("ingest", "use crate::units::bytes; mod read; mod chunk;"),
        ("ingest::read", "use super::chunk::Chunk;"),
        ("ingest::chunk", "pub struct Chunk; use crate::units;"),
        (
            "render",
            "use crate::ingest::{read, chunk::Chunk}; use crate::units::bytes;",
        ),
    ]);
    assert_eq!(problems(&s, PLANT_LAYERS), Vec::<String>::new());
}

#[test]
fn a_wrong_way_edge_and_a_cycle_between_top_level_modules_fail() {
    let s = planted(&[
        ("", ""),
        ("units", ""),
        ("ingest", "fn f() { crate::render::bytes(1); }"),
        ("render", "use crate::ingest::Event;"),
    ]);
    let p = problems(&s, PLANT_LAYERS);
    assert!(
        p.iter()
            .any(|m| m.starts_with("`ingest` (layer 1) uses `render` (layer 4)")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("cycle between top-level modules")),
        "{p:?}"
    );
}

#[test]
fn a_cycle_between_files_of_a_module_fails() {
    // formats/container -> chunk -> formats, as grouped imports.
    let s = planted(&[
        ("", ""),
        ("ingest", "mod chunk; mod formats;"),
        (
            "ingest::chunk",
            "use crate::ingest::{formats::LineFormat, read};",
        ),
        ("ingest::formats", "pub trait LineFormat {}"),
        (
            "ingest::formats::container",
            "use super::super::chunk::Sink;",
        ),
    ]);
    let p = problems(&s, PLANT_LAYERS);
    assert_eq!(
        p,
        vec!["cycle inside `ingest`: chunk -> formats -> chunk".to_owned()]
    );
}

#[test]
fn a_leaf_that_uses_a_stage_fails_and_an_unknown_module_is_named() {
    let s = planted(&[
        ("", ""),
        ("units", "use crate::ingest::x;"),
        ("ingest", ""),
        ("extra", ""),
    ]);
    let p = problems(&s, PLANT_LAYERS);
    assert!(
        p.iter()
            .any(|m| m.starts_with("`units` (layer 0) uses `ingest`")),
        "{p:?}"
    );
    assert!(
        p.iter().any(|m| m.contains("`extra` has no layer")),
        "{p:?}"
    );
}

#[test]
fn comments_strings_and_tests_are_not_dependencies() {
    let s = planted(&[
        ("", ""),
        (
            "ingest",
            r##"
            //! See [`crate::render::x`].
            /* crate::render::y */
            const S: &str = "crate::render::z";
            const R: &str = r#"crate::render::w"#;
            fn f<'a>(c: char) -> bool { c == '{' }
            #[cfg(test)]
            mod tests { use crate::render::v; }
            "##,
        ),
        ("render", "use crate::ingest::Event;"),
    ]);
    assert_eq!(problems(&s, PLANT_LAYERS), Vec::<String>::new());
}
