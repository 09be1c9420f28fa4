//! Access lines -> records. (Work in progress: detection and parsing land next.)

use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::Record;

/// Is `line` a access line?
pub fn sniff(_line: &str) -> Sniff {
    Sniff::No
}

/// The access parser.
#[derive(Debug, Default)]
pub struct AccessFormat;

impl LineFormat for AccessFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Access
    }

    fn parse_line<'a>(&self, _line: &'a str, _out: &mut Record<'a>) -> Parsed {
        Parsed::Unparsed
    }
}
