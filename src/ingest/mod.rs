//! Paths -> events: everything between a folder of logs and the events of the analysis.
//!
//! Stages, each in its own module: [`discover`] finds files and rotation sets,
//! [`read`] decompresses and cuts newline-aligned chunks, [`detect`] picks each
//! file's format from its first lines, [`formats`] parse lines into
//! [`event::Record`]s, [`chunk`] turns records into compact [`event::Event`]s and
//! counts what could not be read.

pub mod chunk;
pub mod discover;
pub mod event;
pub mod formats;
pub mod message;
pub mod operation;
pub mod read;
pub mod service;
pub mod time;
