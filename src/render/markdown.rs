//! The report -> `summary.md`, a postmortem-ready summary in GitHub-flavoured Markdown.
//!
//! Input: a [`View`] of the report, the rendered [`Chart`]s, the command line that
//! produced them and how many rows a section lists. Output: Markdown text
//! with tables, and the charts as images linked by relative path
//! (`charts/traffic.svg`), so the file reads well beside its `charts/` folder
//! in a repository, a wiki or a mail. Text from logs is escaped: it shows as
//! text and never breaks a table or becomes markup or HTML.

use super::charts::Chart;
use super::document::{self, Align, Block, Inline};
use super::view::View;

/// `summary.md` for a report.
pub fn summary(v: &View<'_>, charts: &[Chart], command: &str, top: usize) -> String {
    render(&document::build(v, charts, command, top), charts)
}

/// Markdown for a document.
pub fn render(doc: &[Block], charts: &[Chart]) -> String {
    let mut out = String::new();
    for b in doc {
        match b {
            Block::Heading(level, t) => {
                let hashes = "#".repeat(usize::from((*level).clamp(1, 6)));
                out.push_str(&format!("{hashes} {}\n", escape(t)));
            }
            Block::Paragraph(line) => {
                out.push_str(&block_start(&inlines(line)));
                out.push('\n');
            }
            Block::List(items) => {
                for item in items {
                    out.push_str("- ");
                    out.push_str(&block_start(&inlines(item)));
                    out.push('\n');
                }
            }
            Block::Table { head, rows } => table(&mut out, head, rows),
            Block::Command(c) => {
                let fence = "`".repeat(longest_run(c, '`').max(2) + 1);
                out.push_str(&format!("{fence}sh\n{}\n{fence}\n", one_line(c)));
            }
            Block::Chart(i) => {
                if let Some(c) = charts.get(*i) {
                    out.push_str(&format!(
                        "![{}](charts/{})\n",
                        escape(&c.title),
                        url_path(&c.file)
                    ));
                }
            }
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn table(out: &mut String, head: &[(String, Align)], rows: &[Vec<Vec<Inline>>]) {
    out.push('|');
    for (h, _) in head {
        out.push_str(&format!(" {} |", escape(h)));
    }
    out.push_str("\n|");
    for (_, a) in head {
        out.push_str(match a {
            Align::Left | Align::LeftNoWrap => " --- |",
            Align::Right => " ---: |",
        });
    }
    out.push('\n');
    for row in rows {
        out.push('|');
        for c in row.iter().take(head.len()) {
            out.push_str(&format!(" {} |", inlines(c)));
        }
        for _ in row.len()..head.len() {
            out.push_str("  |");
        }
        out.push('\n');
    }
}

fn inlines(line: &[Inline]) -> String {
    let mut out = String::new();
    for i in line {
        match i {
            Inline::Text(t) => out.push_str(&escape(t)),
            Inline::Strong(t) if !t.is_empty() => {
                out.push_str(&format!("**{}**", escape(t)));
            }
            Inline::Strong(_) => {}
            Inline::Code(t) => out.push_str(&code_span(t)),
        }
    }
    out
}

/// Backslash-escapes every character Markdown (and the HTML it may hold)
/// could read as markup, and puts line breaks on one line.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in one_line(s).chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '|'
                | '#'
                | '!'
                | '~'
                | '&'
                | '{'
                | '}'
                | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text that starts a paragraph or list item must not start a list, a
/// quote or a heading of its own: `- x`, `+ x`, `1. x`, `= x`.
fn block_start(s: &str) -> String {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    match s.as_bytes().get(digits) {
        Some(b'.' | b')') if digits > 0 => format!("{}\\{}", &s[..digits], &s[digits..]),
        Some(b'-' | b'+' | b'=') if digits == 0 => format!("\\{s}"),
        _ => s.to_owned(),
    }
}

/// Monospace text: a code span when `s` holds nothing a renderer could
/// misread, else escaped plain text. Code spans are literal in CommonMark,
/// but not every Markdown reader in mail and chat tools honours that, so
/// text with `<`, `>`, `&`, `|`, backticks or backslashes is shown as
/// escaped text instead.
fn code_span(s: &str) -> String {
    let s = one_line(s);
    if s.is_empty() {
        return String::new();
    }
    if s.contains(['<', '>', '&', '\\', '|', '`']) {
        return escape(&s);
    }
    // A span that starts and ends with a space loses one of each.
    let pad = if s.starts_with(' ') && s.ends_with(' ') {
        " "
    } else {
        ""
    };
    format!("`{pad}{s}{pad}`")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Line breaks and other control characters shown as their escapes
/// (`\u000a`), as on a terminal ([`crate::safe::terminal`]).
fn one_line(s: &str) -> String {
    crate::safe::terminal(s).into_owned()
}

/// A relative path for a link: characters outside a safe set percent-encoded.
fn url_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_become_markup() {
        assert_eq!(
            escape("/<script>alert(1)</script>"),
            "/\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(
            escape("a|b *c* `d` [e](f)"),
            "a\\|b \\*c\\* \\`d\\` \\[e\\](f)"
        );
        // Control characters show as their escapes, as on a terminal.
        assert_eq!(
            escape("back\\slash\nnext\u{1b}[2J"),
            "back\\\\slash\\\\u000anext\\\\u001b\\[2J"
        );
        assert_eq!(block_start("- not a list"), "\\- not a list");
        assert_eq!(block_start("2024. not a list"), "2024\\. not a list");
        assert_eq!(block_start("12 ms"), "12 ms");
    }

    #[test]
    fn code_spans_hold_only_plain_text() {
        assert_eq!(code_span("GET /a/{id}"), "`GET /a/{id}`");
        assert_eq!(code_span(" x "), "`  x  `");
        assert_eq!(code_span("a ``b`` c"), "a \\`\\`b\\`\\` c");
        assert_eq!(
            code_span("GET <*> HTTP/<NUM>"),
            "GET \\<\\*\\> HTTP/\\<NUM\\>"
        );
        assert_eq!(code_span("a|b"), "a\\|b");
        assert_eq!(code_span(""), "");
    }

    #[test]
    fn tables_keep_their_columns() {
        let doc = vec![Block::Table {
            head: vec![("Op".into(), Align::Left), ("ms".into(), Align::Right)],
            rows: vec![vec![
                vec![Inline::Code("GET /x|y `z`".into())],
                vec![Inline::Text("1|2".into())],
            ]],
        }];
        let md = render(&doc, &[]);
        assert_eq!(
            md,
            "| Op | ms |\n| --- | ---: |\n| GET /x\\|y \\`z\\` | 1\\|2 |\n"
        );
        // Unescaped pipes split cells: every row has as many as the header.
        for line in md.lines() {
            let cells = line.replace("\\|", "").matches('|').count();
            assert_eq!(cells, 3, "{line}");
        }
    }

    #[test]
    fn charts_are_linked_by_relative_path() {
        let charts = vec![Chart {
            file: "traffic.svg".into(),
            title: "Traffic: requests [and] errors".into(),
            svg: String::new(),
        }];
        let md = render(&[Block::Chart(0), Block::Chart(7)], &charts);
        assert_eq!(
            md,
            "![Traffic: requests \\[and\\] errors](charts/traffic.svg)\n"
        );
        assert_eq!(url_path("a b/c.svg"), "a%20b/c.svg");
    }

    #[test]
    fn the_command_is_fenced() {
        let md = render(&[Block::Command("logtrace report `x`".into())], &[]);
        assert_eq!(md, "```sh\nlogtrace report `x`\n```\n");
    }
}
