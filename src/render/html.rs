//! The report -> `index.html`, one self-contained page.
//!
//! Input: the [`Summary`], the rendered [`Chart`]s, the command line and how
//! many rows a section lists. Output: a page with the same content as
//! `summary.md`, the charts' SVG inlined and the CSS in a `<style>`: it
//! fetches nothing and runs no script, so it opens offline, from a mail
//! attachment or a ticket, and prints (a chart is never split across pages).
//! The page is well-formed XHTML as well as HTML, so tests read it with an
//! XML parser. Everything from logs is escaped; the SVGs come escaped from
//! the chart code, and their ids are prefixed per chart so two charts never
//! share one.

use super::charts::Chart;
use super::document::{self, Align, Block, Inline};
use super::view::View;

/// `index.html` for a report.
pub fn page(v: &View<'_>, charts: &[Chart], command: &str, top: usize) -> String {
    let doc = document::build(v, charts, command, top);
    let title = document::title(v.summary);
    let mut out =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>());
    out.push_str("<!DOCTYPE html>\n");
    out.push_str("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"utf-8\"/>\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    out.push_str("<meta name=\"generator\" content=\"logtrace\"/>\n");
    out.push_str(&format!("<title>{}</title>\n", escape(&title)));
    out.push_str("<style>\n");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<main>\n");
    body(&mut out, &doc, charts);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Readable on a laptop (a column as wide as the widest chart, tables that
/// scroll sideways instead of squeezing), and printable.
const CSS: &str = "\
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #1e1e1e;
  font: 15px/1.45 \"DejaVu Sans\", \"Segoe UI\", Helvetica, Arial, sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 16px 20px 40px; background: #fff; }
h1 { font-size: 1.6em; margin: 0.4em 0 0.6em; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid #d0d4da; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
nav ul { margin: 0 0 1em; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav a, figcaption a { color: #2c5aa0; }
pre { background: #f0f2f5; padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
code { font-family: \"DejaVu Sans Mono\", Menlo, Consolas, monospace; font-size: 0.9em; }
.scroll { overflow-x: auto; margin: 0.5em 0 1em; }
table { border-collapse: collapse; font-size: 0.92em; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
th { background: #f0f2f5; white-space: nowrap; }
td { overflow-wrap: break-word; }
.n { white-space: nowrap; }
.r { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.kv th { display: none; }
figure { margin: 1em 0 1.6em; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; margin-top: 4px; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  .scroll { overflow: visible; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  figure, tr, pre { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
";

fn body(out: &mut String, doc: &[Block], charts: &[Chart]) {
    // A contents line after the title: one link per section.
    let sections: Vec<&str> = doc
        .iter()
        .filter_map(|b| match b {
            Block::Heading(2, t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    for (n, b) in doc.iter().enumerate() {
        match b {
            Block::Heading(level, t) => {
                let level = (*level).clamp(1, 6);
                if level == 2 {
                    out.push_str(&format!("<h2 id=\"{}\">{}</h2>\n", anchor(t), escape(t)));
                } else {
                    out.push_str(&format!("<h{level}>{}</h{level}>\n", escape(t)));
                }
                if level == 1 && n == 0 && !sections.is_empty() {
                    out.push_str("<nav><ul>");
                    for s in &sections {
                        out.push_str(&format!(
                            "<li><a href=\"#{}\">{}</a></li>",
                            anchor(s),
                            escape(s)
                        ));
                    }
                    out.push_str("</ul></nav>\n");
                }
            }
            Block::Paragraph(line) => {
                out.push_str(&format!("<p>{}</p>\n", inlines(line)));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for i in items {
                    out.push_str(&format!("<li>{}</li>\n", inlines(i)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { head, rows } => table(out, head, rows),
            Block::Command(c) => {
                out.push_str(&format!("<pre><code>{}</code></pre>\n", escape(c)));
            }
            Block::Chart(i) => {
                if let Some(c) = charts.get(*i) {
                    figure(out, *i, c);
                }
            }
        }
    }
}

fn table(out: &mut String, head: &[(String, Align)], rows: &[Vec<Vec<Inline>>]) {
    let kv = head.iter().all(|(h, _)| h.is_empty());
    let class = |a: Align| match a {
        Align::Left => "",
        Align::LeftNoWrap => " class=\"n\"",
        Align::Right => " class=\"r\"",
    };
    out.push_str(if kv {
        "<div class=\"scroll\"><table class=\"kv\">\n<thead><tr>"
    } else {
        "<div class=\"scroll\"><table>\n<thead><tr>"
    });
    for (h, a) in head {
        out.push_str(&format!("<th{}>{}</th>", class(*a), escape(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (k, (_, a)) in head.iter().enumerate() {
            let c = row.get(k).map(|c| inlines(c)).unwrap_or_default();
            out.push_str(&format!("<td{}>{c}</td>", class(*a)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn figure(out: &mut String, index: usize, c: &Chart) {
    let stem = c.file.trim_end_matches(".svg");
    out.push_str(&format!(
        "<figure id=\"chart-{}\" aria-label=\"{}\">\n",
        anchor(stem),
        escape(&c.title)
    ));
    out.push_str(&inline_svg(&c.svg, &format!("c{}-", index + 1)));
    // The title is drawn in the chart; the caption names its file.
    out.push_str(&format!(
        "\n<figcaption><a href=\"charts/{}\">charts/{}</a></figcaption>\n</figure>\n",
        escape(&c.file),
        escape(&c.file)
    ));
}

/// An SVG document as markup inside the page: no XML declaration or
/// doctype, and every id (and each reference to it) prefixed with `prefix`.
pub fn inline_svg(svg: &str, prefix: &str) -> String {
    let mut s = svg.trim();
    for start in ["<?xml", "<!DOCTYPE"] {
        if s.starts_with(start) {
            s = s.find('>').map_or("", |e| s[e + 1..].trim_start());
        }
    }
    s.replace(" id=\"", &format!(" id=\"{prefix}"))
        .replace("url(#", &format!("url(#{prefix}"))
        .replace(" href=\"#", &format!(" href=\"#{prefix}"))
        .replace(":href=\"#", &format!(":href=\"#{prefix}"))
}

fn inlines(line: &[Inline]) -> String {
    let mut out = String::new();
    for i in line {
        match i {
            Inline::Text(t) => out.push_str(&escape(t)),
            Inline::Code(t) => out.push_str(&format!("<code>{}</code>", escape(t))),
            Inline::Strong(t) => out.push_str(&format!("<strong>{}</strong>", escape(t))),
        }
    }
    out
}

/// Escapes text for HTML and XML, content and attribute values alike.
/// Control characters other than tab and newline (not allowed in XML) become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A fragment id from a heading: lower-case letters, digits and dashes.
fn anchor(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("/<script>alert('1')</script> & \"x\""),
            "/&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c"), "a b c");
    }

    #[test]
    fn svg_ids_are_made_unique_and_declarations_dropped() {
        let svg = "<?xml version=\"1.0\"?>\n<svg><defs><marker id=\"arrow\"/></defs>\
                   <path marker-end=\"url(#arrow)\"/><use href=\"#arrow\"/>\
                   <use xlink:href=\"#arrow\"/></svg>";
        assert_eq!(
            inline_svg(svg, "c2-"),
            "<svg><defs><marker id=\"c2-arrow\"/></defs><path marker-end=\"url(#c2-arrow)\"/>\
             <use href=\"#c2-arrow\"/><use xlink:href=\"#c2-arrow\"/></svg>"
        );
        assert_eq!(inline_svg("<svg/>", "c1-"), "<svg/>");
    }

    #[test]
    fn anchors_are_plain() {
        assert_eq!(
            anchor("Slowest and failed traces"),
            "slowest-and-failed-traces"
        );
        assert_eq!(
            anchor("Where failed traces started"),
            "where-failed-traces-started"
        );
    }

    #[test]
    fn the_page_is_well_formed_and_self_contained() {
        let charts = vec![Chart {
            file: "map.svg".into(),
            title: "Map <b>".into(),
            svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"><g id=\"a\"/></svg>".into(),
        }];
        let s = crate::analyze::summary::Summary {
            services: vec![crate::analyze::summary::ServiceStats {
                name: "/<script>alert(1)</script>".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let v = View::of_summary(&s);
        let html = page(&v, &charts, "logtrace report 'a b'", 5);
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<g id=\"c1-a\"/>"));
        // The same content as summary.md: every section, in the same order.
        let md = super::super::markdown::summary(&v, &charts, "logtrace report 'a b'", 5);
        let h2_md: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
        let h2_html: Vec<&str> = html
            .lines()
            .filter_map(|l| l.strip_prefix("<h2 id=\""))
            .filter_map(|l| l.split('>').nth(1))
            .filter_map(|l| l.strip_suffix("</h2"))
            .collect();
        assert_eq!(h2_md, h2_html);
        assert!(h2_md.len() >= 8, "{h2_md:?}");
    }
}
