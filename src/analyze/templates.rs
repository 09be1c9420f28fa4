//! Error events -> message templates with counts. (Work in progress.)

use super::summary::ErrorTemplate;
use crate::ingest::event::{Event, Symbols};

/// Groups the messages of error events by template (ids and numbers masked).
pub fn group(events: &[Event], symbols: &Symbols) -> Vec<ErrorTemplate> {
    let _ = (events, symbols);
    Vec::new()
}
