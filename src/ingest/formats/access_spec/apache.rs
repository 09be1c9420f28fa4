//! Apache `LogFormat` strings -> a [`Spec`].
//!
//! Input: a `LogFormat` string (`%h %l %u %t "%r" %>s %b %D`), with its
//! conditions, modifiers and `{name}` arguments. Output: the compiled
//! [`Spec`], or an error that names the directive logtrace does not
//! understand.

use memchr::memchr;

use super::{header_var, Builder, Spec, Var};
use crate::ingest::event::IdKind;

impl Spec {
    /// Compiles Apache `LogFormat` syntax. Unknown directives are errors that name them.
    pub fn apache(format: &str) -> Result<Spec, String> {
        let b = format.as_bytes();
        let mut out = Builder::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' => {
                    let c = match b.get(i + 1) {
                        Some(b't') => b'\t',
                        Some(&c) => c,
                        None => b'\\',
                    };
                    out.lit(&[c]);
                    i += 2;
                }
                b'%' => i = apache_directive(format, i, &mut out)?,
                _ => {
                    // Copy a run of plain text (keeps multi-byte characters whole).
                    let end = b[i..]
                        .iter()
                        .position(|c| *c == b'%' || *c == b'\\')
                        .map_or(b.len(), |p| i + p);
                    out.lit(&b[i..end]);
                    i = end;
                }
            }
        }
        out.finish("LogFormat")
    }
}

/// Reads the Apache directive at `b[i] == '%'`; returns the index after it.
fn apache_directive(fmt: &str, i: usize, out: &mut Builder) -> Result<usize, String> {
    let b = fmt.as_bytes();
    let mut j = i + 1;
    if b.get(j) == Some(&b'%') {
        out.lit(b"%");
        return Ok(j + 1);
    }
    // Conditions and modifiers: `%!200,304{Referer}i`, `%>s`, `%<s`.
    while j < b.len() && (b[j].is_ascii_digit() || b"!,<>".contains(&b[j])) {
        j += 1;
    }
    let mut arg = None;
    if b.get(j) == Some(&b'{') {
        let close = memchr(b'}', &b[j + 1..])
            .ok_or_else(|| format!("`%{{` at byte {i} is never closed with `}}`"))?;
        arg = Some(&fmt[j + 1..j + 1 + close]);
        j += close + 2;
    }
    let Some(&letter) = b.get(j) else {
        return Err(format!(
            "`{}` at the end of the LogFormat has no directive letter",
            &fmt[i..]
        ));
    };
    let shown = fmt.get(i..j + 1).unwrap_or("%").to_string();
    let a = arg.unwrap_or("");
    let (var, spaces, name) = match (letter, arg) {
        (b'h' | b'a', _) => (Var::Client, 0, ""),
        (b'A' | b'l' | b'u' | b'b' | b'B' | b'v' | b'V' | b'p' | b'P', _) => (Var::Skip, 0, ""),
        (b'q', _) => (Var::Skip, 0, "q"),
        (b'H' | b'f' | b'k' | b'L' | b'X' | b'I' | b'O' | b'S' | b'R', _) => (Var::Skip, 0, ""),
        (b'r', _) => (Var::Request, 2, "request"),
        (b'm', _) => (Var::Method, 0, "method"),
        (b'U', _) => (Var::Path, 0, "path"),
        (b's', _) => (Var::Status, 0, "status"),
        (b'D', _) => (Var::Int(1_000), 0, "D"),
        (b'T', None) => (Var::Secs, 0, "T"),
        (b'T', Some("s")) => (Var::Secs, 0, "T"),
        (b'T', Some("ms")) => (Var::Int(1_000_000), 0, "T"),
        (b'T', Some("us")) => (Var::Int(1_000), 0, "T"),
        (b't', None) => {
            out.lit(b"[");
            out.var(Var::Time, 1, "t", shown)?;
            out.lit(b"]");
            return Ok(j + 1);
        }
        (b't', Some(f)) => {
            let f = f
                .strip_prefix("begin:")
                .or_else(|| f.strip_prefix("end:"))
                .unwrap_or(f);
            match f {
                "sec" => (Var::Epoch(1_000_000_000), 0, "t"),
                "msec" => (Var::Epoch(1_000_000), 0, "t"),
                "usec" => (Var::Epoch(1_000), 0, "t"),
                "msec_frac" | "usec_frac" => (Var::Skip, 0, ""),
                // strftime: read as CLF or ISO, whichever the pattern writes.
                _ => (
                    Var::Time,
                    f.bytes().filter(|c| *c == b' ').count() as u8,
                    "t",
                ),
            }
        }
        (b'i' | b'o', Some(h)) => (header_var(h), 0, h),
        (b'e' | b'n' | b'C', Some(v)) => {
            if v == "UNIQUE_ID" {
                (Var::Id(IdKind::Request), 0, v)
            } else {
                (header_var(v), 0, v)
            }
        }
        (b'T' | b'i' | b'o' | b'e' | b'n' | b'C', _) => {
            return Err(format!(
                "`{shown}`: `%{}` needs a {{name}} logtrace understands (got `{a}`)",
                letter as char
            ))
        }
        _ => return Err(format!("unknown LogFormat directive `{shown}` at byte {i}")),
    };
    out.var(var, spaces, name, shown)?;
    Ok(j + 1)
}
