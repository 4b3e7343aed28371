//! Why an event could not become shocks against the current map. The text
//! starts with the field at fault (`items[1]: unknown item "N999"`);
//! [`NormaliseError::reason`] is a short stable label for metrics and headers.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NormaliseError {
    /// An id the map does not know (`what` is "item" or "firm").
    #[error("{path}: unknown {what} {id:?}")]
    UnknownId {
        path: String,
        what: &'static str,
        id: String,
    },
    /// An id already applied, now on an event that says something else: a
    /// feed that reuses ids would otherwise lose the second event unseen.
    #[error("id: event id {id:?} was applied before with different content; this one is not applied (give it an id of its own)")]
    ReusedId { id: String },
    /// Older than what is already known of the same measure, incident or
    /// price series: applied, a late copy would undo a later fact.
    #[error("ts: {message}; not applied")]
    Stale { message: String },
    /// A value decoding would have refused (events can be built in code too),
    /// or one that contradicts the map (a firm reported on a line it lacks).
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl NormaliseError {
    /// Every label [`NormaliseError::reason`] can return.
    pub const REASONS: &'static [&'static str] = &["unknown_id", "invalid", "reused_id", "stale"];

    pub fn reason(&self) -> &'static str {
        match self {
            NormaliseError::UnknownId { .. } => "unknown_id",
            NormaliseError::Invalid { .. } => "invalid",
            NormaliseError::ReusedId { .. } => "reused_id",
            NormaliseError::Stale { .. } => "stale",
        }
    }

    /// Path of the field at fault within the event.
    pub fn path(&self) -> &str {
        match self {
            NormaliseError::UnknownId { path, .. } | NormaliseError::Invalid { path, .. } => path,
            NormaliseError::ReusedId { .. } => "id",
            NormaliseError::Stale { .. } => "ts",
        }
    }

    /// `ts` of an event older than `known`, the `what` it would change.
    pub(crate) fn stale(
        ts: DateTime<Utc>,
        what: impl std::fmt::Display,
        known: DateTime<Utc>,
    ) -> Self {
        NormaliseError::Stale {
            message: format!(
                "{} is older than {what} ({}): a late copy must not undo a later fact",
                ts.to_rfc3339(),
                known.to_rfc3339()
            ),
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        NormaliseError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}
