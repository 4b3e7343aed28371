//! Alerts: the lifecycle of an alert per chain and node, its Alertmanager
//! fingerprint, and the annotations that carry the assessment.

mod annotations;
mod book;
mod fingerprint;

pub use annotations::annotations;
pub use book::{labels, rfc3339, AlertBook, AlertChange, Status, ALERT_NAME};
pub use fingerprint::{fingerprint, fingerprint_hex};
