//! Logfmt lines -> records. (Work in progress: detection and parsing land next.)

use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::Record;

/// Is `line` a logfmt line?
pub fn sniff(_line: &str) -> Sniff {
    Sniff::No
}

/// The logfmt parser.
#[derive(Debug, Default)]
pub struct LogfmtFormat;

impl LineFormat for LogfmtFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Logfmt
    }

    fn parse_line<'a>(&self, _line: &'a str, _out: &mut Record<'a>) -> Parsed {
        Parsed::Unparsed
    }
}
