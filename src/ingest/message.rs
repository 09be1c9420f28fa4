//! What hides in free text -> record fields. (Work in progress.)
//!
//! Input: a message (the free-text part of an entry). Output: fields of the
//! [`Record`] it fills when they are not already set: `key=value` pairs with
//! known names, bracketed MDC (`[requestId=abc]`), `TraceID: abc` pairs, an
//! embedded `METHOD /path ... STATUS`, and durations (`in 120 ms`, `took 1.2s`).

use super::event::Record;

/// Fills the fields of `out` that `msg` reveals and that are still empty.
pub fn scan<'a>(_msg: &'a str, _out: &mut Record<'a>) {}
