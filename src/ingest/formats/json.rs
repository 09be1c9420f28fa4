//! Json lines -> records. (Work in progress: detection and parsing land next.)

use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::Record;

/// Is `line` a json line?
pub fn sniff(_line: &str) -> Sniff {
    Sniff::No
}

/// The json parser.
#[derive(Debug, Default)]
pub struct JsonFormat;

impl LineFormat for JsonFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Json
    }

    fn parse_line<'a>(&self, _line: &'a str, _out: &mut Record<'a>) -> Parsed {
        Parsed::Unparsed
    }
}
