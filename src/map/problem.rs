//! A problem found in a chain map, named by its place in the document.

use std::fmt;

/// One thing wrong with a map, e.g. `firms[12].produces[0].item: unknown item "N999"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Everything that stopped a map from loading; never just the first problem.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    // The cause follows through `source` (printed once, after a colon).
    #[error("cannot read chain map {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("chain map {origin} is not valid JSON for schema version 1 at {at}: {message}")]
    Syntax {
        origin: String,
        at: String,
        message: String,
    },
    #[error("chain map {origin} has {} problem(s):\n{}", problems.len(), list(problems))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
}

/// Problems one per line, indented, for error messages.
pub fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
