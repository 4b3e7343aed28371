//! The audit trail on Kafka: every notification (delivered or
//! dead-lettered, with its purpose: escalations included) and every
//! acknowledgement, as one JSON record each, keyed by fingerprint. It is
//! also the notifier's memory: what was delivered and who acknowledged is
//! read back from here after a restart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::notify::Purpose;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditRecord {
    Notification {
        /// The webhook-id.
        id: String,
        fingerprint: String,
        chain: String,
        receiver: String,
        purpose: Purpose,
        outcome: Outcome,
        attempts: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        at: DateTime<Utc>,
    },
    Acknowledgement {
        fingerprint: String,
        /// Start of the alert acknowledged (an alert that fires again later
        /// is a new one).
        starts_at: DateTime<Utc>,
        chain: String,
        by: String,
        post: Option<String>,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    DeadLettered,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::DeadLettered => "dead_lettered",
        }
    }
}

impl AuditRecord {
    pub fn fingerprint(&self) -> &str {
        match self {
            AuditRecord::Notification { fingerprint, .. }
            | AuditRecord::Acknowledgement { fingerprint, .. } => fingerprint,
        }
    }
}
