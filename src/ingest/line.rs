//! What a format's parser says about one line ([`Parsed`]) and what it may
//! know about the file it reads ([`FormatContext`]). Shared by the parsers
//! ([`super::formats`]) and the chunk reader ([`super::chunk`]) that calls them.

/// What one line was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The line starts a new entry; the record holds what it says.
    Entry,
    /// The line belongs to the entry before it (stack trace, wrapped text).
    /// The record's `exception` flag may be set when the line shows one.
    Continuation,
    /// The line could not be read as this format.
    Unparsed,
    /// The line describes the lines after it (a W3C `#Fields:` directive).
    Header,
}

/// What a parser may know about the file it reads.
#[derive(Clone, Debug, Default)]
pub struct FormatContext {
    /// The zone of times written without one (`--tz`); `None` means UTC.
    pub tz: Option<jiff::tz::TimeZone>,
    /// The year for formats that omit it (syslog RFC 3164), from `--year` or the file's time.
    pub year: i32,
}

impl FormatContext {
    /// Converts a wall-clock time read as if it were UTC into real UTC using `--tz`.
    pub fn local_to_utc(&self, wall_ns: i64) -> i64 {
        let Some(tz) = &self.tz else { return wall_ns };
        let secs = wall_ns.div_euclid(1_000_000_000);
        let Ok(ts) = jiff::Timestamp::from_second(secs) else {
            return wall_ns;
        };
        // The offset in force at that wall time; close enough around DST changes.
        let off = tz.to_offset(ts).seconds() as i64;
        wall_ns - off * 1_000_000_000
    }
}
