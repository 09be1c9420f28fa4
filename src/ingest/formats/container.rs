//! Container runtime envelopes -> records. (Work in progress.)
//!
//! Docker json-file lines (`{"log":…,"stream":…,"time":…}`) and CRI lines
//! (`<RFC3339Nano> stdout F msg`): the envelope gives the time; the inner
//! message is detected and parsed like any other line.

use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::Record;

/// Is `line` a Docker json-file line?
pub fn sniff_docker(_line: &str) -> Sniff {
    Sniff::No
}

/// Is `line` a CRI line?
pub fn sniff_cri(_line: &str) -> Sniff {
    Sniff::No
}

/// The container envelope parser.
#[derive(Debug)]
pub struct ContainerFormat {
    pub cri: bool,
}

impl LineFormat for ContainerFormat {
    fn kind(&self) -> FormatKind {
        if self.cri {
            FormatKind::Cri
        } else {
            FormatKind::Docker
        }
    }

    fn parse_line<'a>(&self, _line: &'a str, _out: &mut Record<'a>) -> Parsed {
        Parsed::Unparsed
    }
}
