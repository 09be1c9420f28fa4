//! W3C extended log files -> records.
//!
//! Input: a file in the W3C extended log format
//! (<https://www.w3.org/TR/WD-logfile.html>) as IIS writes it
//! (<https://learn.microsoft.com/en-us/windows/win32/http/w3c-logging>), as
//! CloudFront writes its standard logs
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html#BasicDistributionFileFormat>),
//! and as other servers do. `#` directive lines describe the data lines after
//! them: `#Fields:` names their columns, and may change inside a file (IIS
//! writes a new header block when it restarts or its settings change);
//! `#Software:` and `#Date:` say who wrote them and on which day. Output: a
//! [`Record`] per data line, read through a [`columns`](super::columns) table
//! built from the header in force; directive lines are header lines.
//!
//! Columns: `date`, `time` (UTC; `date-local`/`time-local` are local time),
//! `c-ip`, `cs-method`, `cs-uri-stem` / `cs-uri`, `sc-status`, `time-taken`,
//! `x-edge-request-id` (CloudFront), and custom fields that name a request or
//! trace id (`x-request-id`, `cs(X-Request-ID)`). Data lines are space-separated
//! (IIS), or tab-separated (CloudFront). `time-taken` is in milliseconds when
//! IIS wrote the file (`#Software: Microsoft ...`), in seconds otherwise, as
//! CloudFront and the W3C draft write it; IIS Advanced Logging's `TimeTakenMS`
//! is milliseconds.
//!
//! A chunk of a large file is parsed under the header in force at its start:
//! [`LineFormat::header_after`] hands the directive lines from chunk to chunk
//! in file order before the chunks are parsed in parallel.

use super::columns::{Col, Sep, Table};
use super::fields::{self, Field, Unit};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::chunk::ChunkSink;
use crate::ingest::event::{IdKind, Record};

/// Is `line` a W3C directive? Data lines are judged against the header
/// (see [`detect`]), so they answer `Maybe`.
pub fn sniff(line: &str) -> Sniff {
    if is_directive(line) {
        Sniff::Yes
    } else {
        Sniff::Maybe
    }
}

/// The share of `lines` that read as W3C: directives, and data lines under a
/// `#Fields:` header. `None` when no `#Fields:` header is among them.
pub fn detect(lines: &[String]) -> Option<f64> {
    let mut header = Header::default();
    let mut read = 0;
    let mut seen_fields = false;
    for line in lines {
        if is_directive(line) {
            header.directive(line);
            seen_fields |= header.table.is_some();
            read += 1;
        } else if header.parse(line, &mut Record::default()) == Parsed::Entry {
            read += 1;
        }
    }
    (seen_fields && !lines.is_empty()).then(|| read as f64 / lines.len() as f64)
}

fn is_directive(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('#') else {
        return false;
    };
    let name = rest.split(':').next().unwrap_or("");
    matches!(
        name,
        "Fields" | "Software" | "Version" | "Date" | "Start-Date" | "End-Date" | "Remark"
    ) || rest.starts_with("GMT-Offset:")
}

/// The W3C extended log parser.
#[derive(Debug, Default)]
pub struct W3cFormat;

impl LineFormat for W3cFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::W3c
    }

    /// A line alone: directives are header lines; a data line cannot be read
    /// without the header before it.
    fn parse_line<'a>(&self, line: &'a str, _out: &mut Record<'a>) -> Parsed {
        if is_directive(line) {
            Parsed::Header
        } else {
            Parsed::Unparsed
        }
    }

    fn parse_chunk(&self, chunk: &[u8], sink: &mut ChunkSink) {
        self.parse_chunk_under(&[], chunk, sink);
    }

    fn header_after(&self, chunk: &[u8], before: &[u8]) -> Option<Vec<u8>> {
        let mut found = false;
        let mut header = before.to_vec();
        for line in directive_lines(chunk) {
            found = true;
            header.extend_from_slice(line);
            header.push(b'\n');
        }
        found.then(|| keep_last_block(&header))
    }

    fn parse_chunk_under(&self, header_lines: &[u8], chunk: &[u8], sink: &mut ChunkSink) {
        let mut header = Header::default();
        for line in String::from_utf8_lossy(header_lines).lines() {
            header.directive(line);
        }
        sink.run_lines(chunk, |line, rec| {
            if is_directive(line) {
                header.directive(line);
                Parsed::Header
            } else {
                header.parse(line, rec)
            }
        });
    }
}

/// The directive lines of `chunk` (`#` at the start of a line).
fn directive_lines(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    chunk
        .split(|&b| b == b'\n')
        .filter(|l| l.first() == Some(&b'#'))
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| std::str::from_utf8(l).is_ok_and(is_directive))
}

/// The directives that still matter: the last of each kind [`Header`]
/// reads, which give the same state as reading them all in order; so the
/// carried text stays short however many blocks a file has.
fn keep_last_block(header: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = header.split(|&b| b == b'\n').collect();
    let last = |kinds: &[&[u8]]| {
        lines
            .iter()
            .rev()
            .find(|l| kinds.iter().any(|k| l.starts_with(k)))
    };
    let mut out = Vec::new();
    for kinds in [
        &[&b"#Software:"[..]][..],
        &[b"#Date:", b"#Start-Date:"],
        &[b"#Fields:"],
    ] {
        if let Some(l) = last(kinds) {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
    }
    out
}

/// The directives in force and the table they give.
#[derive(Debug, Default)]
struct Header {
    /// `#Software:` names IIS.
    iis: bool,
    /// The day of `#Date:`, for data lines without a `date` column.
    day: Option<i64>,
    fields: String,
    table: Option<Table>,
}

impl Header {
    fn directive(&mut self, line: &str) {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        match name {
            "#Software" => {
                self.iis = value.contains("Microsoft");
                self.rebuild();
            }
            "#Date" | "#Start-Date" => {
                self.day = value.get(..10).and_then(super::columns::date);
                self.rebuild();
            }
            "#Fields" => {
                self.fields = value.to_owned();
                self.rebuild();
            }
            _ => {}
        }
    }

    fn rebuild(&mut self) {
        if self.fields.is_empty() {
            return;
        }
        let names: Vec<&str> = self.fields.split_whitespace().collect();
        let taken = if self.iis { Unit::Ms } else { Unit::S };
        let cols: Vec<Col> = names.iter().map(|n| column(n, taken)).collect();
        let mut t = Table::new(cols, Sep::Auto);
        t.local = names.iter().any(|n| n.ends_with("-local"));
        // Rows may be cut short or carry more than the header names (lnav's
        // samples have both); the columns that are there are read.
        t.min_columns = 1;
        t.default_day = self.day;
        self.table = Some(t);
    }

    fn parse<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        match &self.table {
            Some(t) => t.parse(line, out),
            None => Parsed::Unparsed,
        }
    }
}

/// What the W3C field `name` holds.
fn column(name: &str, time_taken: Unit) -> Col {
    match name.to_ascii_lowercase().as_str() {
        "date" | "date-local" => Col::Date,
        "time" | "time-local" => Col::TimeOfDay,
        "c-ip" => Col::Client,
        "cs-method" => Col::Method,
        "cs-uri-stem" | "cs-uri" => Col::Path,
        "sc-status" => Col::Status,
        "time-taken" => Col::Duration(time_taken, "time-taken"),
        "timetakenms" | "time-taken-ms" => Col::Duration(Unit::Ms, "TimeTakenMS"),
        "x-edge-request-id" => Col::Id(IdKind::Request, "x-edge-request-id"),
        lower => custom(name, lower),
    }
}

/// A custom field that names a correlation id: `x-request-id`,
/// `cs(X-Request-ID)`, `sc(traceparent)`.
fn custom(name: &str, lower: &str) -> Col {
    let inner = ["cs(", "sc(", "s(", "c("]
        .iter()
        .find_map(|p| lower.strip_prefix(p).and_then(|r| r.strip_suffix(')')))
        .unwrap_or(lower);
    match fields::classify(inner) {
        Some(Field::Id(kind)) => Col::Id(kind, super::access_spec::static_name(name)),
        _ => Col::Skip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::chunk::FileInfo;
    use crate::ingest::event::Event;

    /// IIS's default fields, as in Microsoft's W3C logging documentation; the
    /// server restarts at 00:01 with a custom `X-Request-ID` field added.
    const IIS: &str = "#Software: Microsoft Internet Information Services 10.0\n\
#Version: 1.0\n\
#Date: 2021-03-01 00:00:01\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n\
2021-03-01 00:00:01 10.0.0.4 GET /api/orders/42 - 443 - 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 15\n\
2021-03-01 00:00:02 10.0.0.4 POST /api/orders - 443 - 203.0.113.8 curl/8.4.0 - 503 0 64 30012\n\
#Software: Microsoft Internet Information Services 10.0\n\
#Version: 1.0\n\
#Date: 2021-03-01 00:01:00\n\
#Fields: date time cs-method cs-uri-stem sc-status time-taken c-ip X-Request-ID\n\
2021-03-01 00:01:05 GET /health 200 1 10.0.0.9 4c7d2079-340e-4683-b3c7-d0dfff00b904\n\
2021-03-01 00:01:06 GET /api/orders/43 404 7 10.0.0.9 -\n";

    /// CloudFront's standard log example (tab-separated, `time-taken` in seconds).
    const CLOUDFRONT: &str = "#Version: 1.0\n\
#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n\
2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-\n";

    /// Parses `chunks` as consecutive parts of one file, handing the header
    /// along as the reader does; returns the sink of the whole.
    fn run(chunks: &[&[u8]]) -> ChunkSink {
        let info = FileInfo {
            keep_events: true,
            default_service: "web".into(),
            ..Default::default()
        };
        let mut total = ChunkSink::new(info.clone());
        let mut header = Vec::new();
        for c in chunks {
            let mut s = ChunkSink::new(info.clone());
            W3cFormat.parse_chunk_under(&header, c, &mut s);
            if let Some(h) = W3cFormat.header_after(c, &header) {
                header = h;
            }
            total.merge(s);
        }
        total.finish();
        total.flatten();
        total
    }

    fn ms(e: &Event) -> Option<u64> {
        e.duration().map(|d| d / 1_000_000)
    }

    #[test]
    fn iis_blocks_with_different_fields() {
        let s = run(&[IIS.as_bytes()]);
        assert_eq!((s.counts.entries, s.counts.headers), (4, 8));
        let e = &s.events;
        assert_eq!(
            e.iter().map(|e| e.status).collect::<Vec<_>>(),
            [200, 503, 200, 404]
        );
        assert_eq!(
            e.iter().map(ms).collect::<Vec<_>>(),
            [Some(15), Some(30_012), Some(1), Some(7)]
        );
        assert_eq!(e[0].time_ns, 1_614_556_801_000_000_000);
        assert_eq!(s.symbols.get(e[0].operation), "GET /api/orders/{id}");
        assert_eq!(s.symbols.get(e[0].client), "203.0.113.7");
        assert_eq!(s.symbols.get(e[2].client), "10.0.0.9");
        assert_eq!(
            s.symbols.get(e[2].request_id),
            "4c7d2079-340e-4683-b3c7-d0dfff00b904"
        );
        assert_eq!(s.id_fields, vec![("X-Request-ID".to_string(), 1)]);
    }

    #[test]
    fn cloudfront_standard_log() {
        let s = run(&[CLOUDFRONT.as_bytes()]);
        assert_eq!((s.counts.entries, s.counts.headers), (1, 2));
        let e = &s.events[0];
        assert_eq!((e.status, ms(e)), (200, Some(1)));
        assert_eq!(
            s.symbols.get(e.request_id),
            "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ=="
        );
        assert_eq!(s.symbols.get(e.operation), "GET /index.html");
        assert_eq!(s.symbols.get(e.client), "192.0.2.100");
        let lines: Vec<String> = CLOUDFRONT.lines().map(str::to_owned).collect();
        assert_eq!(detect(&lines), Some(1.0));
    }

    #[test]
    fn every_cut_gives_what_one_pass_gives() {
        let text = IIS.as_bytes();
        let whole = run(&[text]);
        let ends: Vec<usize> = (0..text.len())
            .filter(|&i| text[i] == b'\n')
            .map(|i| i + 1)
            .collect();
        for (k, &a) in ends.iter().enumerate() {
            for &b in &ends[k..] {
                let cut = run(&[&text[..a], &text[a..b], &text[b..]]);
                assert_eq!(cut.events, whole.events, "cut at {a} and {b}");
                assert_eq!(cut.counts, whole.counts, "cut at {a} and {b}");
            }
        }
    }

    #[test]
    fn data_before_any_header_is_unparsed() {
        let s = run(&[b"2021-03-01 00:00:01 GET / 200 1\n#Fields: date time cs-method cs-uri-stem sc-status time-taken\n2021-03-01 00:00:01 GET / 200 1\n"]);
        assert_eq!(
            (s.counts.unparsed, s.counts.headers, s.counts.entries),
            (1, 1, 1)
        );
        assert_eq!(detect(&["#Remark: no fields".to_string()]), None);
        assert_eq!(sniff("#Fields: date time"), Sniff::Yes);
        assert_eq!(sniff("#include <stdio.h>"), Sniff::Maybe);
    }
}
