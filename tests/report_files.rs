//! The report folder's summary files: `summary.md`, `index.html` and the
//! charts as PNG (`--png`), for the generated incident and for hostile log
//! text that must stay text.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

mod common;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

/// `logtrace report <input> -o <out> <extra>`; the folder it wrote.
fn report(input: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    logtrace()
        .arg("report")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(extra)
        .assert()
        .success();
    out.to_path_buf()
}

fn fixture() -> Option<PathBuf> {
    let p = common::root().join("fixtures/incident");
    if p.is_dir() {
        Some(p)
    } else {
        common::missing("fixtures/incident");
        None
    }
}

/// The chart SVGs a report folder holds, by file name.
fn svg_files(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect()
}

/// Every `](target)` link target in Markdown (an escaped `\](` is no link).
fn md_links(md: &str) -> Vec<String> {
    md.match_indices("](")
        .filter(|(i, _)| !md[..*i].ends_with('\\'))
        .filter_map(|(i, _)| {
            let rest = &md[i + 2..];
            rest.find(')').map(|e| rest[..e].to_owned())
        })
        .collect()
}

/// Reads a page as XML; panics with the parser's message if it is not well formed.
fn parse(html: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, opts)
        .unwrap_or_else(|e| panic!("index.html is not well-formed XHTML: {e}"))
}

/// Fails on anything in the page that would fetch or run something.
fn assert_self_contained(doc: &roxmltree::Document<'_>) {
    for n in doc.descendants().filter(|n| n.is_element()) {
        let tag = n.tag_name().name().to_ascii_lowercase();
        assert!(
            !matches!(
                tag.as_str(),
                "script" | "iframe" | "object" | "embed" | "link" | "img" | "foreignobject"
            ),
            "the page holds a <{tag}>"
        );
        for a in n.attributes() {
            let name = a.name().to_ascii_lowercase();
            let v = a.value().trim().to_ascii_lowercase();
            assert!(
                !name.starts_with("on"),
                "<{tag} {name}=...>: an event handler"
            );
            if matches!(
                name.as_str(),
                "src" | "href" | "action" | "srcset" | "poster"
            ) {
                assert!(
                    !(v.starts_with("http:")
                        || v.starts_with("https:")
                        || v.starts_with("//")
                        || v.starts_with("javascript:")),
                    "<{tag} {name}={v:?}> would fetch or run something"
                );
            }
            assert!(
                !v.contains("url(http") && !v.contains("url(//"),
                "<{tag} {name}={v:?}> loads a remote resource"
            );
        }
        if tag == "style" {
            let css = n.text().unwrap_or("");
            assert!(!css.contains("@import") && !css.contains("url("), "{css}");
        }
    }
}

#[test]
fn the_incident_report_has_every_section_and_its_charts() {
    let Some(fixture) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = report(&fixture, &tmp.path().join("r"), &[]);
    let svgs = svg_files(&dir);
    assert!(svgs.len() >= 9, "{svgs:?}");

    let md = fs::read_to_string(dir.join("summary.md")).unwrap();
    for section in [
        "## Overview",
        "## Incidents",
        "### Incident 1: 2024-03-01T12:25",
        "What got worse",
        "Failures started in: **inventory**",
        "## Where failed traces started",
        "## Services",
        "## Slowest operations",
        "## Slowest call chains",
        "## Top error messages",
        "## Slowest and failed traces",
        "### Slowest traces",
        "### Failed traces",
        "## Data quality",
        "Clock offsets applied",
        "| payments | payments/payments.log | whole run | +2",
        "Unparsed lines per file",
        "misc/hosts.csv",
    ] {
        assert!(md.contains(section), "summary.md lacks {section:?}");
    }
    assert!(md.contains("```sh\nlogtrace report "), "no command");
    // The worst operations table: baseline and incident p99 and error rates.
    assert!(md.contains("| p99 before (ms) | p99 during (ms) |"));
    assert!(md.contains("| inventory | `POST /stock/{id}/reserve` | "));

    // Each chart is linked once, by a relative path that resolves.
    let links = md_links(&md);
    let linked: BTreeSet<String> = links
        .iter()
        .filter_map(|l| l.strip_prefix("charts/"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        linked, svgs,
        "summary.md links other charts than were written"
    );
    assert_eq!(links.len(), svgs.len(), "a chart is linked twice");
    for l in &links {
        assert!(dir.join(l).is_file(), "{l} does not resolve");
    }
    assert!(md.contains("![Traffic"), "charts are not shown as images");

    // The page: well formed, self-contained, each chart inline.
    let html = fs::read_to_string(dir.join("index.html")).unwrap();
    let doc = parse(&html);
    assert_self_contained(&doc);
    let inline = doc
        .descendants()
        .filter(|n| {
            n.tag_name().name() == "svg"
                && n.parent_element().map(|p| p.tag_name().name()) == Some("figure")
        })
        .count();
    assert_eq!(inline, svgs.len(), "not every chart is inlined");
    assert!(
        !html.contains("<?xml"),
        "an XML declaration inside the page"
    );
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "ids collide in the page");
    for n in doc.descendants().filter(|n| n.tag_name().name() == "a") {
        if let Some(h) = n.attribute("href").and_then(|h| h.strip_prefix('#')) {
            assert!(unique.contains(h), "link to a missing #{h}");
        }
    }
    // The same content as summary.md: the same section headings in the same order.
    let h2_md: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let h2_html: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "h2")
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect();
    assert_eq!(h2_md, h2_html);
    for id in [
        "917b734a773baac9bfd5dd0ef11e51bc",
        "5c293e314de3c95a7b5fc070a4c545fa",
    ] {
        assert!(md.contains(id) && html.contains(id), "trace {id} missing");
    }
}

#[test]
fn summary_files_are_byte_identical_across_runs_and_threads() {
    let Some(fixture) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let read = |dir: &Path| -> Vec<Vec<u8>> {
        ["summary.md", "index.html"]
            .iter()
            .map(|f| fs::read(dir.join(f)).unwrap())
            .collect()
    };
    // The same folder, so the command lines differ only in --threads, which is left out.
    let one = read(&report(&fixture, &out, &["--threads", "1"]));
    let all = read(&report(&fixture, &out, &[]));
    let again = read(&report(&fixture, &out, &["--threads=2"]));
    assert!(
        one == all,
        "summary files differ between --threads 1 and the default"
    );
    assert!(all == again, "summary files differ between runs");
}

/// A tiny log folder whose request path, message and service name are hostile.
fn hostile(dir: &Path) {
    fs::create_dir_all(dir.join("web")).unwrap();
    let mut access = String::new();
    for (s, status, t) in [(0, 500, "0.120"), (1, 200, "0.020"), (2, 200, "0.010")] {
        access.push_str(&format!(
            "10.0.0.1 - - [01/Mar/2024:12:00:0{s} +0000] \"GET /<script>alert(1)</script> HTTP/1.1\" \
             {status} 12 \"-\" \"curl/8\" {t}\n"
        ));
    }
    fs::write(dir.join("web/access.log"), access).unwrap();
    let mut app = String::new();
    for (s, id) in [(0, "r1"), (1, "r2")] {
        app.push_str(&format!(
            "{{\"time\":\"2024-03-01T12:00:0{s}.100Z\",\"level\":\"error\",\"service\":\"app\",\
             \"message\":\"bad `rm -rf` | pipe *bold* _u_ [x](http://evil.example/) <img src=x> \\\\ end\",\
             \"request_id\":\"{id}\"}}\n"
        ));
    }
    fs::write(dir.join("web/app.log"), app).unwrap();
}

#[test]
fn hostile_log_text_stays_text() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("logs");
    hostile(&input);
    let dir = report(&input, &tmp.path().join("r"), &[]);

    let md = fs::read_to_string(dir.join("summary.md")).unwrap();
    // Every `<` is escaped, so no tag can open.
    for (i, _) in md.match_indices('<') {
        assert!(
            md[..i].ends_with('\\'),
            "raw markup in summary.md: {}",
            &md[i.saturating_sub(20)..(i + 20).min(md.len())]
        );
    }
    assert!(
        md.contains("GET /\\<script\\>alert(1)\\</script\\>"),
        "the path is not shown escaped:\n{md}"
    );
    assert!(
        md.contains("bad \\`rm -rf\\` \\| pipe \\*bold\\* \\_u\\_ \\[x\\](http://evil.example/) \\<img src=x\\> \\\\ end"),
        "the message is not shown escaped:\n{md}"
    );
    // No cell is split: every table row has as many unescaped pipes as its header.
    let mut cols = 0;
    for line in md.lines() {
        if !line.starts_with('|') {
            cols = 0;
            continue;
        }
        let pipes = line
            .replace("\\\\", "")
            .replace("\\|", "")
            .matches('|')
            .count();
        if cols == 0 {
            cols = pipes;
        }
        assert_eq!(pipes, cols, "a row with a different column count: {line}");
    }
    assert!(
        !md_links(&md).iter().any(|l| l.contains("evil")),
        "a link was made"
    );

    let html = fs::read_to_string(dir.join("index.html")).unwrap();
    let doc = parse(&html);
    assert_self_contained(&doc);
    let text: String = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert!(
        text.contains("/<script>alert(1)</script>"),
        "the path is not shown as text"
    );
    assert!(
        text.contains("bad `rm -rf` | pipe *bold*"),
        "the message is not shown as text"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The inlined charts show the path as text too, never as an element.
    for svg in svg_files(&dir) {
        let s = fs::read_to_string(dir.join("charts").join(&svg)).unwrap();
        assert!(!s.contains("<script"), "{svg} holds a script");
    }
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 33, "too short for a PNG");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// The `width`/`height` attributes of an SVG's root element.
fn svg_size(svg: &str) -> (f64, f64) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let root = doc.root_element();
    let num = |a: &str| {
        root.attribute(a)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap()
    };
    (num("width"), num("height"))
}

#[test]
fn png_writes_one_image_per_chart_the_same_each_run() {
    let Some(fixture) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let plain = report(&fixture, &tmp.path().join("plain"), &[]);
    assert!(
        !fs::read_dir(plain.join("charts")).unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "png")),
        "PNGs written without --png"
    );
    let a = report(&fixture, &tmp.path().join("a"), &["--png"]);
    let b = report(
        &fixture,
        &tmp.path().join("b"),
        &["--png", "--threads", "1"],
    );
    let svgs = svg_files(&a);
    for svg in &svgs {
        let png_name = svg.replace(".svg", ".png");
        let png =
            fs::read(a.join("charts").join(&png_name)).unwrap_or_else(|_| panic!("no {png_name}"));
        let (w, h) = png_size(&png);
        let (sw, sh) = svg_size(&fs::read_to_string(a.join("charts").join(svg)).unwrap());
        // Twice the SVG's size (a chart taller than 4096 is drawn smaller).
        if sh * 2.0 <= 8192.0 {
            assert_eq!(
                (w, h),
                ((sw * 2.0).ceil() as u32, (sh * 2.0).ceil() as u32),
                "{png_name}"
            );
        } else {
            assert_eq!(h, 8192, "{png_name}");
        }
        assert!(
            fs::read(b.join("charts").join(&png_name)).unwrap() == png,
            "{png_name} differs between runs"
        );
    }
}
