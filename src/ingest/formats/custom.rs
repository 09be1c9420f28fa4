//! User-defined regex formats from the config file -> records. (Work in progress.)

use super::{FormatKind, LineFormat, Parsed};
use crate::ingest::event::Record;

/// A named-capture regex format.
#[derive(Debug)]
pub struct CustomFormat {
    pub name: String,
}

impl LineFormat for CustomFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Custom(self.name.clone())
    }

    fn parse_line<'a>(&self, _line: &'a str, _out: &mut Record<'a>) -> Parsed {
        Parsed::Unparsed
    }
}
