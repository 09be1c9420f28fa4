//! The error that ends a run, with the exit code it maps to. A leaf: any
//! module may return it; `main` prints it and exits with its code.

/// A run-ending failure, with what the user can do about it.
#[derive(Debug)]
pub enum Error {
    /// The input or the options cannot be used (exit code 2).
    Usage(String),
    /// The input was read but nothing in it could be parsed (exit code 1).
    NothingParsed(String),
    /// What was asked for is not in the input: a trace id, events in a time window (exit code 1).
    NotFound(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(m) | Error::NothingParsed(m) | Error::NotFound(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::NothingParsed(_) | Error::NotFound(_) => 1,
        }
    }
}
