//! nginx `log_format` strings -> a [`Spec`].
//!
//! Input: a `log_format` string, as written or as pasted from nginx.conf in
//! its `'...' '...'` pieces. Output: the compiled [`Spec`]: each `$variable`
//! a typed field (unknown ones read and skipped), the text between them
//! literals.

use memchr::memchr;

use super::{header_var, Builder, Spec, Var};
use crate::ingest::event::IdKind;

impl Spec {
    /// Compiles nginx `log_format` syntax. Unknown variables are read and skipped.
    /// A string pasted from nginx.conf with its `'...' '...'` pieces is joined first.
    pub fn nginx(format: &str) -> Result<Spec, String> {
        let joined = join_nginx_pieces(format);
        let fmt = joined.as_deref().unwrap_or(format);
        let b = fmt.as_bytes();
        let mut out = Builder::new();
        let mut i = 0;
        while i < b.len() {
            let Some(d) = memchr(b'$', &b[i..]) else {
                out.lit(&b[i..]);
                break;
            };
            out.lit(&b[i..i + d]);
            i += d;
            let (name, next) = if b.get(i + 1) == Some(&b'{') {
                let close = memchr(b'}', &b[i + 2..])
                    .ok_or_else(|| format!("`${{` at byte {i} is never closed with `}}`"))?;
                (&fmt[i + 2..i + 2 + close], i + 3 + close)
            } else {
                let n = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (&fmt[i + 1..i + 1 + n], i + 1 + n)
            };
            if name.is_empty() {
                return Err(format!(
                    "`$` at byte {i} is not followed by a variable name (write `$name` or `${{name}}`)"
                ));
            }
            let (var, spaces) = nginx_var(name);
            out.var(var, spaces, name, format!("${name}"))?;
            i = next;
        }
        out.finish("log_format")
    }
}

/// An nginx variable's meaning and the spaces its value holds.
fn nginx_var(name: &str) -> (Var, u8) {
    let var = match name {
        "time_local" => return (Var::Time, 1),
        "request" => return (Var::Request, 2),
        "time_iso8601" => Var::Time,
        "msec" => Var::Epoch(1_000_000_000),
        "request_method" => Var::Method,
        "request_uri" | "uri" | "document_uri" => Var::Path,
        "status" => Var::Status,
        "request_time" => Var::Secs,
        "upstream_response_time" => Var::UpstreamTime,
        "remote_addr" | "realip_remote_addr" | "http_x_forwarded_for" => Var::Client,
        "upstream_addr" | "proxy_upstream_name" => Var::Upstream,
        "request_id" | "req_id" => Var::Id(IdKind::Request),
        _ => {
            let header = ["http_", "sent_http_", "upstream_http_"]
                .iter()
                .find_map(|p| name.strip_prefix(p));
            match header {
                Some(h) => header_var(h),
                None => Var::Skip,
            }
        }
    };
    (var, 0)
}

/// Joins `'$remote_addr - ' '"$request" $status';` (as pasted from nginx.conf) into one string.
fn join_nginx_pieces(format: &str) -> Option<String> {
    let t = format.trim().trim_end_matches(';').trim_end();
    if !(t.starts_with('\'') && t.ends_with('\'') && t.len() >= 2) {
        return None;
    }
    let mut joined = String::new();
    let mut inside = false;
    for c in t.chars() {
        match c {
            '\'' => inside = !inside,
            c if inside => joined.push(c),
            _ => {}
        }
    }
    Some(joined)
}
