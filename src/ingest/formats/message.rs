//! What hides in free text -> record fields.
//!
//! Input: a message (the free-text part of an entry, from any format). Output:
//! the fields of the [`Record`] it reveals, filled only when still empty:
//! `key=value` / `key="quoted"` pairs with known names (bracketed MDC such as
//! `[requestId=abc]` included), `TraceID: abc` style pairs, an embedded
//! `METHOD /path ... STATUS`, and durations (`in 120 ms`, `took 1.2s`,
//! `12.3ms`, `time: 0.247`, `duration=12ms`).
//!
//! Names mean what [`fields::classify`] says, so a message agrees with JSON and
//! logfmt. The scan walks the message once, token by token (tokens end at ASCII
//! whitespace, so every slice is on a char boundary), and looks closer only at
//! tokens whose shape can matter: with `=`, ending in `:`, starting with a
//! digit or an upper-case HTTP verb. A message with none of these costs one pass
//! over its bytes and allocates nothing.

use std::borrow::Cow;

use super::fields::{self, Field, Unit};
use crate::ingest::event::{DurationSource, Record, TimeUnit, UnitBasis};

/// Fills the fields of `out` that `msg` reveals and that are still empty.
pub fn scan<'a>(msg: &'a str, out: &mut Record<'a>) {
    let b = msg.as_bytes();
    // A duration that stands alone (`12ms`) is used only when no named one
    // (`took 12ms`, `duration=12ms`) is found.
    let mut loose_duration: Option<(u64, TimeUnit)> = None;
    let mut prev: &str = "";
    let mut i = 0;
    while let Some((start, end, eq, colon)) = next_token(b, i) {
        i = end;
        let tok = &msg[start..end];
        let first = b[start];
        if let Some(eq) = eq {
            i = key_value(msg, start, eq, end, out);
        } else if let Some(colon) = colon {
            if colon + 1 == end {
                i = key_colon(msg, &msg[start..colon], end, out);
            } else {
                // `trace_id:abc` in one token: only ids, so URLs and times are left alone.
                let key = trim_key(&msg[start..colon]);
                if let Some(Field::Id(kind)) = fields::classify(key) {
                    let v = trim_value(&msg[colon + 1..end]);
                    out.put_id(kind, Cow::Borrowed(v), key);
                }
            }
        } else if first.is_ascii_digit() || first == b'(' {
            i = duration_token(msg, tok, end, prev, &mut loose_duration, out);
        } else if first.is_ascii_uppercase() || first == b'"' || first == b'[' {
            i = http_request(msg, tok, end, out);
        }
        prev = tok;
    }
    if let Some((ns, unit)) = loose_duration {
        out.set_duration(ns, prose(unit));
    }
}

/// The source of a duration written in prose, with its unit (`took 12 ms`).
fn prose(unit: TimeUnit) -> DurationSource<'static> {
    DurationSource {
        field: "message",
        unit,
        basis: UnitBasis::Value,
    }
}

/// Byte classes for the tokenizer: one table lookup per byte, not a chain of
/// comparisons (messages are scanned on every line of text logs).
const SPACE: u8 = 1;
const EQ: u8 = 2;
const COLON: u8 = 4;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[b'=' as usize] = EQ;
    t[b':' as usize] = COLON;
    t
};

#[inline]
fn is_space(c: u8) -> bool {
    CLASS[c as usize] == SPACE
}

/// The next whitespace-delimited token at or after `i`: (start, end, first `=`, last `:`).
#[inline]
fn next_token(b: &[u8], mut i: usize) -> Option<(usize, usize, Option<usize>, Option<usize>)> {
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if i >= b.len() {
        return None;
    }
    let start = i;
    let (mut eq, mut colon) = (None, None);
    while i < b.len() {
        match CLASS[b[i] as usize] {
            0 => {}
            SPACE => break,
            EQ if eq.is_none() => eq = Some(i),
            COLON => colon = Some(i),
            _ => {}
        }
        i += 1;
    }
    Some((start, i, eq, colon))
}

/// Strips what surrounds a key in prose: `[requestId`, `(status`, `,trace_id`.
fn trim_key(k: &str) -> &str {
    k.trim_start_matches(['[', '(', '{', ',', ';', '"', '\''])
        .trim_end_matches(['"', '\''])
}

/// Strips what follows a value in prose: `abc,`, `abc]`, `abc)`, `abc.`.
fn trim_value(v: &str) -> &str {
    v.trim_end_matches([',', ';', ')', ']', '}', '"', '\'', '.'])
        .trim_start_matches(['"', '\'', '(', '['])
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 40
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'@'))
}

/// Fields a message may fill; its own time, text and logger come from the line's layout.
fn wanted(f: Field) -> bool {
    !matches!(f, Field::Time | Field::Message | Field::Logger)
}

/// `key=value` or `key="quoted value"` at `msg[start..end]` with `=` at `eq`.
/// Returns where scanning goes on.
fn key_value<'a>(msg: &'a str, start: usize, eq: usize, end: usize, out: &mut Record<'a>) -> usize {
    let key = trim_key(&msg[start..eq]);
    let b = msg.as_bytes();
    let (value, next) = if b.get(eq + 1) == Some(&b'"') {
        match closing_quote(b, eq + 2) {
            Some(q) => (&msg[eq + 2..q], q + 1),
            None => (trim_value(&msg[eq + 1..end]), end),
        }
    } else {
        (trim_value(&msg[eq + 1..end]), end)
    };
    if is_key(key) && !value.is_empty() {
        if let Some(f) = fields::classify(key) {
            if wanted(f) {
                fields::apply(f, key, Cow::Borrowed(value), out);
            }
        }
    }
    next
}

/// The index of the `"` that closes a string starting at `from`, skipping `\"`.
fn closing_quote(b: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let q = from + memchr::memchr(b'"', b.get(from..)?)?;
        if q > 0 && b[q - 1] == b'\\' {
            from = q + 1;
            continue;
        }
        return Some(q);
    }
}

/// `Name: value` where `Name:` ended the token at `end`: ids, durations, status.
fn key_colon<'a>(msg: &'a str, raw_key: &'a str, end: usize, out: &mut Record<'a>) -> usize {
    let key = trim_key(raw_key);
    if !is_key(key) {
        return end;
    }
    let Some(f) = fields::classify(key) else {
        return end;
    };
    let Some((vs, ve, _, _)) = next_token(msg.as_bytes(), end) else {
        return end;
    };
    let value = trim_value(&msg[vs..ve]);
    match f {
        Field::Id(kind) => out.put_id(kind, Cow::Borrowed(value), key),
        Field::Duration(_) => {
            fields::apply(f, key, Cow::Borrowed(value), out);
        }
        // `time: 0.247` is how long something took (a date would not parse as a duration).
        Field::Time if key.eq_ignore_ascii_case("time") => {
            if value.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                if let Some((ns, unit, basis)) = fields::read_duration(value, Unit::S) {
                    let basis = match basis {
                        UnitBasis::Key => UnitBasis::Assumed,
                        b => b,
                    };
                    let source = DurationSource {
                        field: key,
                        unit,
                        basis,
                    };
                    out.set_duration(ns, source);
                }
            }
        }
        Field::Status => {
            fields::apply(f, key, Cow::Borrowed(value), out);
        }
        _ => return end,
    }
    ve
}

/// Words after which a number with a unit is the duration of the logged work.
fn names_duration(prev: &str) -> bool {
    let p = prev.trim_end_matches(':');
    [
        "in", "after", "took", "took:", "elapsed", "duration", "latency", "time", "taking",
        "within",
    ]
    .iter()
    .any(|w| p.eq_ignore_ascii_case(w))
}

/// A number with a unit (`12.3ms`, `(0.2ms)`) or a number followed by a unit word
/// (`120 ms`, `5 seconds`). Returns where scanning goes on.
fn duration_token<'a>(
    msg: &'a str,
    tok: &str,
    end: usize,
    prev: &str,
    loose: &mut Option<(u64, TimeUnit)>,
    out: &mut Record<'a>,
) -> usize {
    if out.duration_ns.is_some() {
        return end;
    }
    let t = trim_value(tok.trim_start_matches('('));
    let num_len = t
        .bytes()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .count();
    if num_len == 0 || !t.as_bytes()[0].is_ascii_digit() {
        return end;
    }
    let (num, unit) = t.split_at(num_len);
    let mut next = end;
    let scale = if unit.is_empty() {
        // `120 ms`: the unit is the next word.
        match next_token(msg.as_bytes(), end) {
            // `45 ms:` ends a clause; the colon is not part of the unit.
            Some((us, ue, _, _)) => {
                match unit_scale(trim_value(&msg[us..ue]).trim_end_matches(':')) {
                    Some(s) => {
                        next = ue;
                        s
                    }
                    None => return end,
                }
            }
            None => return end,
        }
    } else {
        match unit_scale(unit) {
            Some(s) => s,
            None => return end,
        }
    };
    let Ok(n) = num.parse::<f64>() else {
        return end;
    };
    let ns = n * fields::ns_per(scale);
    if !(0.0..1.8e19).contains(&ns) {
        return end;
    }
    let ns = ns.round() as u64;
    if names_duration(prev) {
        out.set_duration(ns, prose(scale));
    } else if loose.is_none() {
        *loose = Some((ns, scale));
    }
    next
}

/// The unit words logs write.
fn unit_scale(u: &str) -> Option<TimeUnit> {
    Some(match u {
        "ns" | "nanoseconds" => TimeUnit::Ns,
        "us" | "µs" | "μs" | "microseconds" => TimeUnit::Us,
        "ms" | "msec" | "msecs" | "millis" | "milliseconds" => TimeUnit::Ms,
        "s" | "sec" | "secs" | "second" | "seconds" => TimeUnit::S,
        "min" | "mins" | "minutes" => TimeUnit::Min,
        _ => return None,
    })
}

/// `GET /path ... 200`: a verb, then a path or URL, then maybe a status within a
/// few tokens (`HTTP/1.1" 200`, `-> 503`, `returned 404`).
fn http_request<'a>(msg: &'a str, tok: &'a str, end: usize, out: &mut Record<'a>) -> usize {
    let verb = tok.trim_start_matches(['"', '[', '(']);
    if verb.len() < 3 || verb.len() > 7 || !fields::is_http_method(verb) {
        return end;
    }
    let b = msg.as_bytes();
    let Some((ps, pe, _, _)) = next_token(b, end) else {
        return end;
    };
    let path = msg[ps..pe].trim_end_matches(['"', ']', ')', ',', ';']);
    if !(path.starts_with('/') || path.starts_with("http://") || path.starts_with("https://")) {
        return end;
    }
    if out.method.is_some() || out.path.is_some() {
        return pe;
    }
    out.method = Some(Cow::Borrowed(verb));
    out.path = Some(Cow::Borrowed(path));
    let mut i = pe;
    for _ in 0..4 {
        let Some((s, e, _, _)) = next_token(b, i) else {
            break;
        };
        i = e;
        let t = msg[s..e].trim_matches(['"', '(', ')', '[', ']', ',', ':']);
        if t.len() == 3 && t.bytes().all(|c| c.is_ascii_digit()) {
            if let Ok(code) = t.parse::<u16>() {
                if (100..600).contains(&code) && out.status.is_none() {
                    out.status = Some(code);
                }
            }
            break;
        }
        let skip = t.is_empty()
            || t.starts_with("HTTP/")
            || matches!(
                t,
                "->" | "=>" | "-" | "returned" | "responded" | "with" | "status"
            )
            || t.eq_ignore_ascii_case("status")
            || t.eq_ignore_ascii_case("code");
        if !skip {
            break;
        }
    }
    pe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned(msg: &str) -> Record<'_> {
        let mut r = Record::default();
        scan(msg, &mut r);
        r
    }

    #[test]
    fn k8s_trace_and_span_pairs() {
        let r = scanned(
            "TraceID: 2bbb4d7b7d41b8652c4c5b23a10cd5f7 SpanID: ec9efc5b00b2d37a [GetQuote] received request",
        );
        assert_eq!(
            r.trace_id.as_deref(),
            Some("2bbb4d7b7d41b8652c4c5b23a10cd5f7")
        );
        assert_eq!(r.span_id.as_deref(), Some("ec9efc5b00b2d37a"));
        assert_eq!(r.id_fields, vec!["TraceID", "SpanID"]);
        let r = scanned("trace_id: abc123 span_id: def456 ok");
        assert_eq!(r.trace_id.as_deref(), Some("abc123"));
        assert_eq!(r.span_id.as_deref(), Some("def456"));
        let r = scanned("TraceID: e107c4d252a8f4810ed9ae6b5ebd5267 SpanID: 818a84133ef9cf86 [retrieve][Retrieve config][configName: X]");
        assert_eq!(r.span_id.as_deref(), Some("818a84133ef9cf86"));
        assert!(r.method.is_none() && r.duration_ns.is_none());
    }

    #[test]
    fn key_value_pairs_with_known_names() {
        let r =
            scanned(r#"done request_id=abc-1 status=503 duration=12ms user="a b" trace_id="t 1""#);
        assert_eq!(r.request_id.as_deref(), Some("abc-1"));
        assert_eq!(r.status, Some(503));
        assert_eq!(r.duration_ns, Some(12_000_000));
        assert_eq!(r.trace_id.as_deref(), Some("t 1"));
        let r = scanned("[requestId=abc] [traceId=t1, spanId=s1] handled");
        assert_eq!(r.request_id.as_deref(), Some("abc"));
        assert_eq!(r.trace_id.as_deref(), Some("t1"));
        assert_eq!(r.span_id.as_deref(), Some("s1"));
        // names that mean nothing to logtrace, and the message's own time, are left alone
        let r = scanned("userId=fbd160cc name=x time=2024-01-01T00:00:00Z");
        assert!(r.request_id.is_none() && r.logger.is_none() && r.time_ns.is_none());
        let r = scanned("trace_id:abc123 go");
        assert_eq!(r.trace_id.as_deref(), Some("abc123"));
    }

    #[test]
    fn a_duration_ending_a_clause_keeps_its_unit() {
        let r = scanned("POST /charge 500 failed after 45 ms: gateway read timeout");
        assert_eq!(r.duration_ns, Some(45_000_000));
        assert_eq!(r.status, Some(500));
    }

    #[test]
    fn fields_already_set_are_kept() {
        let mut r = Record {
            status: Some(200),
            ..Default::default()
        };
        r.put_id(crate::ingest::event::IdKind::Request, "first".into(), "rid");
        scan("status=500 request_id=second", &mut r);
        assert_eq!(r.status, Some(200));
        assert_eq!(r.request_id.as_deref(), Some("first"));
    }

    #[test]
    fn embedded_http_requests() {
        let r = scanned(r#"10.0.0.1 "GET /api/orders/42 HTTP/1.1" 200 512"#);
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/api/orders/42"));
        assert_eq!(r.status, Some(200));
        let r = scanned("proxy GET /x -> 503");
        assert_eq!((r.path.as_deref(), r.status), (Some("/x"), Some(503)));
        let r = scanned(r#""POST /x?a=1" 201 12ms"#);
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.path.as_deref(), Some("/x?a=1"));
        assert_eq!(r.status, Some(201));
        assert_eq!(r.duration_ns, Some(12_000_000));
        let r = scanned("cache: [GET /] miss");
        assert_eq!((r.method.as_deref(), r.status), (Some("GET"), None));
        // a number later in prose is not a status
        let r = scanned("GET /x took 123 ms");
        assert_eq!(r.status, None);
        assert_eq!(r.duration_ns, Some(123_000_000));
        // a verb without a path is a word
        let r = scanned("GET requests are cached");
        assert!(r.method.is_none());
    }

    #[test]
    fn durations_in_prose() {
        let d = |m: &str| scanned(m).duration_ns;
        assert_eq!(d("finished in 120 ms"), Some(120_000_000));
        assert_eq!(d("gave up after 5000 ms"), Some(5_000_000_000));
        assert_eq!(d("query took 1.2s"), Some(1_200_000_000));
        assert_eq!(d("Rendered shared/_analytics (0.2ms)"), Some(200_000));
        assert_eq!(d("upstream time: 0.247"), Some(247_000_000));
        assert_eq!(d("completed in 45ms."), Some(45_000_000));
        assert_eq!(d("elapsed: 250ms"), Some(250_000_000));
        assert_eq!(
            d("Completed in 207ms (View: 0, DB: 258) | 200 OK"),
            Some(207_000_000)
        );
        // a named duration wins over a loose one before it
        assert_eq!(d("cache 3ms, total took 40ms"), Some(40_000_000));
        assert_eq!(d("retries=3 for 2 apples"), None);
        assert_eq!(d("version 1.2.3 build 42"), None);
        assert_eq!(d("ts: 1700000000 done"), None);
    }

    #[test]
    fn plain_messages_stay_empty() {
        let r = scanned("Server listening on 0.0.0.0 port 22.");
        assert!(r.duration_ns.is_none() && r.status.is_none() && r.id_fields.is_empty());
        let r = scanned("");
        assert!(r.method.is_none());
        let r = scanned("= : =: :=\"");
        assert!(r.id_fields.is_empty());
    }
}
