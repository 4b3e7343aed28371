//! The alert lifecycle per chain and node: firing when severity reaches
//! warning or critical, a new state change when severity changes, resolved
//! when it clears. Labels include severity, as they do for Alertmanager, so a
//! severity change resolves the alert under the old severity and fires one
//! under the new: both delivery paths then agree on what is open.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::assess::{Assessment, Severity};
use crate::config::Thresholds;
use crate::map::{ChainMap, NodeRef};

use super::fingerprint::fingerprint_hex;

pub const ALERT_NAME: &str = "ChainCutoffRisk";
/// What Alertmanager's webhook payload carries as `endsAt` of a firing alert.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Firing,
    Resolved,
}

/// One alert state change, as an Alertmanager alert object plus the
/// assessment behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertChange {
    pub status: Status,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    pub fingerprint: String,
    pub assessment: Assessment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Open {
    severity: Severity,
    starts_at: DateTime<Utc>,
}

/// Open alerts by (chain index, node).
#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    open: BTreeMap<(u16, NodeRef), Open>,
}

impl AlertBook {
    /// Nodes with an open alert in any chain.
    pub fn open_nodes(&self) -> BTreeSet<NodeRef> {
        self.open.keys().map(|(_, n)| *n).collect()
    }

    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Open alerts counted by (chain index, severity): what a wall shows.
    pub fn open_by_chain(&self) -> BTreeMap<(u16, Severity), usize> {
        let mut out = BTreeMap::new();
        for ((chain, _), open) in &self.open {
            *out.entry((*chain, open.severity)).or_insert(0) += 1;
        }
        out
    }

    /// The severity of the open alert of `node` in `chain`, if any.
    pub fn severity(&self, chain: u16, node: NodeRef) -> Option<Severity> {
        self.open.get(&(chain, node)).map(|o| o.severity)
    }

    /// Applies a fresh assessment of a node in each of its chains, judged
    /// under `thresholds` with the open alert's hysteresis
    /// ([`Severity::held`]).
    pub fn update(
        &mut self,
        map: &ChainMap,
        chains: &[u16],
        assessment: &Assessment,
        thresholds: &Thresholds,
        now: DateTime<Utc>,
    ) -> Vec<AlertChange> {
        let mut out = Vec::new();
        for &chain in chains {
            let key = (chain, assessment.node);
            let current = self.open.get(&key).cloned();
            let wanted = Severity::held(
                current.as_ref().map(|o| o.severity),
                assessment.cutoff_risk,
                thresholds,
            );
            match current {
                Some(open) if wanted == open.severity => {}
                Some(open) => {
                    out.push(change(
                        map,
                        chain,
                        assessment,
                        Status::Resolved,
                        open.severity,
                        open.starts_at,
                        Some(now),
                    ));
                    self.open.remove(&key);
                    if wanted.alerts() {
                        self.fire(map, chain, assessment, wanted, now, &mut out);
                    }
                }
                None if wanted.alerts() => self.fire(map, chain, assessment, wanted, now, &mut out),
                None => {}
            }
        }
        out
    }

    fn fire(
        &mut self,
        map: &ChainMap,
        chain: u16,
        assessment: &Assessment,
        severity: Severity,
        now: DateTime<Utc>,
        out: &mut Vec<AlertChange>,
    ) {
        self.open.insert(
            (chain, assessment.node),
            Open {
                severity,
                starts_at: now,
            },
        );
        out.push(change(
            map,
            chain,
            assessment,
            Status::Firing,
            severity,
            now,
            None,
        ));
    }
}

pub fn labels(chain: &str, node: &str, severity: Severity) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("alertname".to_string(), ALERT_NAME.to_string()),
        ("chain".to_string(), chain.to_string()),
        ("node".to_string(), node.to_string()),
        ("severity".to_string(), severity.as_str().to_string()),
    ])
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn change(
    map: &ChainMap,
    chain: u16,
    a: &Assessment,
    status: Status,
    severity: Severity,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
) -> AlertChange {
    let labels = labels(&map.chains[chain as usize].id, &a.node_id, severity);
    AlertChange {
        status,
        fingerprint: fingerprint_hex(&labels),
        labels,
        annotations: super::annotations::annotations(a),
        starts_at: rfc3339(starts_at),
        ends_at: ends_at.map_or_else(|| ZERO_TIME.to_string(), rfc3339),
        assessment: a.clone(),
    }
}
