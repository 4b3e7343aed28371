//! Why a message could not be decoded. The text names the field path first
//! (`targets[2].country: expected …`) so that a dead letter explains itself;
//! [`DecodeError::reason`] is a short stable label for metrics and headers.

use super::MAX_EVENT_BYTES;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message is {size} bytes, over the limit of {limit} bytes", limit = MAX_EVENT_BYTES)]
    TooLarge { size: usize },
    #[error("message is not UTF-8: invalid byte at offset {valid_up_to}")]
    NotUtf8 { valid_up_to: usize },
    #[error("message is not JSON: {message}")]
    NotJson { message: String },
    #[error("message is not a JSON object, got {got}")]
    NotObject { got: String },
    /// `parent` is empty at the top level; `note` says when the field is needed
    /// if that depends on other fields (e.g. `capacity_loss`).
    #[error("{}missing field \"{field}\"{}", prefix(.parent), suffix(.note))]
    MissingField {
        parent: String,
        field: String,
        note: Option<&'static str>,
    },
    #[error("{}{message}", prefix(.path))]
    BadField { path: String, message: String },
    #[error("type: unknown message type {got}, accepted: {}", super::TYPES.join(", "))]
    UnknownType { got: String },
    /// Well-formed but asks for nothing (e.g. a sanction with no target and no
    /// item × destination pair).
    #[error("{message}")]
    NoEffect { message: String },
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

fn suffix(note: &Option<&'static str>) -> String {
    note.map(|n| format!(" ({n})")).unwrap_or_default()
}

impl DecodeError {
    /// Every label [`DecodeError::reason`] can return, for metrics that are
    /// registered before the first failure.
    pub const REASONS: &'static [&'static str] = &[
        "too_large",
        "not_utf8",
        "not_json",
        "not_object",
        "missing_field",
        "bad_field",
        "unknown_type",
        "no_effect",
    ];

    /// Short stable label: a metrics label value and a dead-letter header.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::NotUtf8 { .. } => "not_utf8",
            DecodeError::NotJson { .. } => "not_json",
            DecodeError::NotObject { .. } => "not_object",
            DecodeError::MissingField { .. } => "missing_field",
            DecodeError::BadField { .. } => "bad_field",
            DecodeError::UnknownType { .. } => "unknown_type",
            DecodeError::NoEffect { .. } => "no_effect",
        }
    }

    /// Path of the field at fault (`targets[2].country`, or `measure` for a
    /// missing one), when one field is.
    pub fn path(&self) -> Option<String> {
        match self {
            DecodeError::MissingField { parent, field, .. } if parent.is_empty() => {
                Some(field.clone())
            }
            DecodeError::MissingField { parent, field, .. } => Some(format!("{parent}.{field}")),
            DecodeError::BadField { path, .. } if !path.is_empty() => Some(path.clone()),
            DecodeError::UnknownType { .. } => Some("type".to_string()),
            _ => None,
        }
    }

    /// Reads a failure of `serde_path_to_error` over our field readers: serde's
    /// own "missing field `x`" is the one message not written by us.
    pub(crate) fn from_serde(e: serde_path_to_error::Error<serde_json::Error>) -> DecodeError {
        let path = match e.path().to_string() {
            p if p == "." => String::new(),
            p => p,
        };
        let message = e.inner().to_string();
        match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            Some(field) => DecodeError::MissingField {
                parent: path,
                field: field.to_string(),
                note: None,
            },
            None => DecodeError::BadField { path, message },
        }
    }
}
