//! Operation names: what a request did, in a form that groups well.
//!
//! Input: a parsed [`Record`]. Output: `METHOD /path/{id}` with the query dropped
//! and id-like path segments (numbers, UUIDs, long hex, tokens with digits)
//! replaced by `{id}`; else the route the application logged; else the logger.

use super::event::{Record, Sym, Symbols};

/// Interns the operation of `rec`, or returns `Sym::NONE` when it names none.
pub fn operation(rec: &Record<'_>, symbols: &mut Symbols) -> Sym {
    operation_with(rec, symbols, &mut String::new())
}

/// [`operation`] with a scratch buffer the caller reuses, so the hot loop does
/// not allocate a string per event.
pub fn operation_with(rec: &Record<'_>, symbols: &mut Symbols, buf: &mut String) -> Sym {
    buf.clear();
    if let Some(path) = logged_path(rec) {
        if let Some(m) = rec.method.as_deref() {
            buf.push_str(m);
            buf.push(' ');
        }
        normalize_path(path, buf);
        return symbols.intern(buf);
    }
    if let Some(route) = rec.route.as_deref().filter(|r| !r.is_empty()) {
        if let Some(m) = rec.method.as_deref() {
            buf.push_str(m);
            buf.push(' ');
        }
        buf.push_str(route);
        return symbols.intern(buf);
    }
    symbols.intern_opt(rec.logger.as_deref())
}

/// The request an entry names, ids and all, as a number: the hash of its
/// method and its path without scheme, host and query; 0 when it names
/// none, or names a path with no id in it (`GET /health` is every health
/// check). A client that logs the call it made (`calling ledger: GET
/// /ledger/62828`, a sidecar's outbound line) and the server that logs the
/// request it served name the same request with the same ids, while the
/// operation names of both have lost them. The inference pairs the two by
/// it ([`crate::trace::infer`]).
///
/// `operation` is what [`operation_with`] left in its buffer for `rec`
/// (the normalized path shows whether it held an id).
pub fn call_key(rec: &Record<'_>, operation: &str) -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let Some(path) = logged_path(rec) else {
        return 0;
    };
    if memchr::memmem::find(operation.as_bytes(), b"{id}").is_none() {
        return 0;
    }
    let path = bare_path(path);
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(rec.method.as_deref().unwrap_or("").as_bytes());
    h.write_u8(b' ');
    h.write(path.as_bytes());
    // FxHash's high bits are its best mixed.
    ((h.finish() >> 32) as u32).max(1)
}

/// The path `rec` logged, if any (`-` is an access log's "none").
fn logged_path<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    rec.path.as_deref().filter(|p| !p.is_empty() && *p != "-")
}

/// `path` without scheme, host, query, fragment and path parameters.
fn bare_path(path: &str) -> &str {
    let mut p = path;
    // A full URL (`https://host/x`); a path's own query may hold one too.
    if !p.starts_with('/') {
        if let Some(i) = memchr::memmem::find(p.as_bytes(), b"://") {
            p = &p[i + 3..];
            p = memchr::memchr(b'/', p.as_bytes()).map_or("/", |j| &p[j..]);
        }
    }
    &p[..memchr::memchr3(b'?', b'#', b';', p.as_bytes()).unwrap_or(p.len())]
}

/// Appends `path` to `out` without scheme, host and query, ids replaced by `{id}`.
pub fn normalize_path(path: &str, out: &mut String) {
    let p = bare_path(path);
    if p.is_empty() {
        out.push('/');
        return;
    }
    // Segments are short: a plain loop finds each '/' faster than a searcher.
    let b = p.as_bytes();
    let mut start = 0;
    loop {
        let end = b[start..]
            .iter()
            .position(|&c| c == b'/')
            .map_or(b.len(), |i| start + i);
        let seg = &p[start..end];
        if is_id_segment(seg) {
            out.push_str("{id}");
        } else {
            out.push_str(seg);
        }
        if end == b.len() {
            break;
        }
        out.push('/');
        start = end + 1;
    }
}

/// Numbers, UUIDs, hex of 8+ chars, and long tokens mixing letters and digits.
pub fn is_id_segment(seg: &str) -> bool {
    let b = seg.as_bytes();
    if b.is_empty() {
        return false;
    }
    // One pass: digits, and whether every byte is hex-or-dash / token-like.
    let (mut digits, mut hexish, mut tokenish) = (0usize, true, true);
    for &c in b {
        if c.is_ascii_digit() {
            digits += 1;
        } else {
            hexish &= c.is_ascii_hexdigit() || c == b'-';
            tokenish &= c.is_ascii_alphanumeric() || b"-_=.".contains(&c);
        }
    }
    if digits == b.len() {
        return true;
    }
    if hexish && b.len() >= 8 && digits > 0 {
        return true;
    }
    // Opaque tokens: long, with digits, no obvious word shape (e.g. `a1b2c3d4e5f6g7`, `usr_8Hf3kd93`).
    b.len() >= 16 && digits >= 3 && tokenish
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(p: &str) -> String {
        let mut s = String::new();
        normalize_path(p, &mut s);
        s
    }

    #[test]
    fn ids_become_placeholders() {
        assert_eq!(norm("/products/42"), "/products/{id}");
        assert_eq!(
            norm("/u/550e8400-e29b-41d4-a716-446655440000/cart?x=1"),
            "/u/{id}/cart"
        );
        assert_eq!(norm("/v2/orders/deadbeef01/items"), "/v2/orders/{id}/items");
        assert_eq!(
            norm("https://api.example.com/users/7?full=1"),
            "/users/{id}"
        );
        assert_eq!(norm("/api/v1/health"), "/api/v1/health");
        assert_eq!(norm("/static/app.css"), "/static/app.css");
        assert_eq!(norm("?q=1"), "/");
        assert_eq!(norm("/go?to=https://x.example/a/1"), "/go");
        assert_eq!(norm("http://host"), "/");
        assert_eq!(norm("/a;jsessionid=1/b"), "/a");
        assert_eq!(norm("/pay/ab12cd34ef56gh78ij/x"), "/pay/{id}/x");
    }

    #[test]
    fn a_call_and_the_request_it_reached_have_one_key() {
        let key = |m: Option<&str>, p: &str| {
            let rec = Record {
                method: m.map(Into::into),
                path: Some(p.to_owned().into()),
                ..Default::default()
            };
            let mut op = String::new();
            operation_with(&rec, &mut Symbols::default(), &mut op);
            call_key(&rec, &op)
        };
        let served = key(Some("GET"), "/ledger/62828");
        assert_ne!(served, 0);
        // The client's URL and query do not matter; the ids and the method do.
        assert_eq!(
            key(Some("GET"), "http://ledger:8080/ledger/62828?x=1"),
            served
        );
        assert_ne!(key(Some("GET"), "/ledger/62829"), served);
        assert_ne!(key(Some("POST"), "/ledger/62828"), served);
        assert_eq!(key(Some("GET"), "-"), 0);
        // Every call of a path without ids names it alike: no key.
        assert_eq!(key(Some("GET"), "/ledger"), 0);
        assert_eq!(call_key(&Record::default(), ""), 0);
    }

    #[test]
    fn operation_prefers_path_then_route_then_logger() {
        let mut s = Symbols::default();
        let mut r = Record {
            method: Some("GET".into()),
            path: Some("/a/1".into()),
            ..Default::default()
        };
        let op = operation(&r, &mut s);
        assert_eq!(s.get(op), "GET /a/{id}");
        r.path = None;
        r.route = Some("/a/:id".into());
        let op = operation(&r, &mut s);
        assert_eq!(s.get(op), "GET /a/:id");
        let r = Record {
            logger: Some("c.c.Ctl".into()),
            ..Default::default()
        };
        let op = operation(&r, &mut s);
        assert_eq!(s.get(op), "c.c.Ctl");
    }
}
