//! Text lines -> records. (Work in progress: detection and parsing land next.)

use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::Record;

/// Is `line` a text line?
pub fn sniff(_line: &str) -> Sniff {
    Sniff::No
}

/// The text parser.
#[derive(Debug, Default)]
pub struct TextFormat;

impl LineFormat for TextFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Text
    }

    fn parse_line<'a>(&self, _line: &'a str, _out: &mut Record<'a>) -> Parsed {
        Parsed::Unparsed
    }
}
