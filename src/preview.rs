//! Previewing a threshold change: which alerts it would fire, move to
//! another severity or resolve right now, and how many alert state changes
//! it would have caused over the latest events.
//!
//! A node's cut-off risk does not depend on the thresholds (only its
//! severity does), so the monitor records, per event, the risk of every node
//! it judged — down to a low floor ([`MIN_WARNING`](crate::config::MIN_WARNING),
//! the lowest warning threshold allowed) — in a bounded window. Counting
//! severity transitions in that record under other thresholds replays the
//! alert lifecycle without propagating anything again.
//!
//! **Approximation.** The record is exact for the thresholds in force (the
//! count under them equals the changes the monitor made). Under lower
//! thresholds, a node the monitor did not re-judge (neither moved nor held an
//! open alert) keeps its last recorded risk, where a monitor with those
//! thresholds would have re-judged it at every event: a risk that falls as
//! the expected recovery nears could then resolve earlier than counted here.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;

use crate::assess::Severity;
use crate::config::Thresholds;
use crate::map::NodeRef;

/// One node judged after one event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    pub node: NodeRef,
    /// Chains the node is alerted in (each is its own alert).
    pub chains: u16,
    pub risk: f64,
}

/// The risks judged over the latest `capacity` events, and each node's risk
/// before the oldest of them.
#[derive(Debug, Clone, Default)]
pub struct RiskWindow {
    capacity: usize,
    base: BTreeMap<NodeRef, Judged>,
    events: VecDeque<Vec<Judged>>,
    latest: HashMap<NodeRef, f64>,
}

impl RiskWindow {
    /// A window of `capacity` events; 0 keeps nothing.
    pub fn new(capacity: usize) -> RiskWindow {
        RiskWindow {
            capacity,
            ..RiskWindow::default()
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Events in the window.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The last risk recorded for `node` (0 if none).
    pub fn latest(&self, node: NodeRef) -> f64 {
        self.latest.get(&node).copied().unwrap_or(0.0)
    }

    /// Records the nodes judged after one event; the oldest event beyond
    /// the capacity folds into the base.
    pub fn record(&mut self, judged: Vec<Judged>) {
        if self.capacity == 0 {
            return;
        }
        for j in &judged {
            if j.risk > 0.0 {
                self.latest.insert(j.node, j.risk);
            } else {
                self.latest.remove(&j.node);
            }
        }
        self.events.push_back(judged);
        while self.events.len() > self.capacity {
            if let Some(old) = self.events.pop_front() {
                for j in old {
                    self.base.insert(j.node, j);
                }
            }
        }
    }

    /// Alert state changes the window's events would have caused under `t`.
    pub fn changes_under(&self, t: &Thresholds) -> u64 {
        let mut state: HashMap<NodeRef, Severity> = self
            .base
            .values()
            .map(|j| (j.node, Severity::of(j.risk, t)))
            .collect();
        let mut changes = 0;
        for event in &self.events {
            for j in event {
                let old = state.get(&j.node).copied().unwrap_or(Severity::Ok);
                let new = Severity::held(Some(old), j.risk, t);
                state.insert(j.node, new);
                changes += transitions(old, new) * u64::from(j.chains);
            }
        }
        changes
    }
}

/// Alert state changes one alert makes going from `old` to `new` severity:
/// a severity change resolves the old alert and fires a new one (severity
/// is a label).
pub fn transitions(old: Severity, new: Severity) -> u64 {
    match (old.alerts(), new.alerts()) {
        (true, true) if old != new => 2,
        (true, false) | (false, true) => 1,
        _ => 0,
    }
}

/// What proposed thresholds would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The time the current alerts were judged at (the latest event's).
    pub judged_at: Option<String>,
    pub current: Thresholds,
    pub proposed: Thresholds,
    /// Alerts that would fire now.
    pub fire: Vec<NodeChange>,
    /// Open alerts that would change severity.
    pub change: Vec<NodeChange>,
    /// Open alerts that would resolve.
    pub resolve: Vec<NodeChange>,
    pub window: WindowCount,
}

/// One alert a preview would change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeChange {
    pub chain: String,
    pub node: String,
    pub node_name: String,
    pub risk: f64,
    pub from: Severity,
    pub to: Severity,
}

/// Alert state changes over the recent events, under both sets of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct WindowCount {
    pub events: usize,
    pub current_changes: u64,
    pub proposed_changes: u64,
}

impl Preview {
    /// Joins the previews of monitors that own different chains (all of
    /// them see every event, so the window is the longest of theirs).
    pub fn merge(mut self, other: Preview) -> Preview {
        self.fire.extend(other.fire);
        self.change.extend(other.change);
        self.resolve.extend(other.resolve);
        self.window.events = self.window.events.max(other.window.events);
        self.window.current_changes += other.window.current_changes;
        self.window.proposed_changes += other.window.proposed_changes;
        self.judged_at = self.judged_at.max(other.judged_at);
        for list in [&mut self.fire, &mut self.change, &mut self.resolve] {
            list.sort_by(|a, b| (&a.chain, &a.node).cmp(&(&b.chain, &b.node)));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(watch: f64, warning: f64, critical: f64) -> Thresholds {
        Thresholds {
            watch,
            warning,
            critical,
            resolve_margin: 0.0,
        }
    }

    fn j(node: u32, risk: f64) -> Judged {
        Judged {
            node: NodeRef::Item(node),
            chains: 1,
            risk,
        }
    }

    #[test]
    fn counts_transitions_under_any_thresholds() {
        let mut w = RiskWindow::new(10);
        // Node 1 rises 0.25 → 0.5 → 0.7, then clears.
        for r in [0.25, 0.5, 0.7, 0.0] {
            w.record(vec![j(1, r)]);
        }
        // Defaults 0.3/0.6: fire warning (1), warning→critical (2), resolve (1).
        assert_eq!(w.changes_under(&t(0.1, 0.3, 0.6)), 4);
        // Warning 0.2: fire at 0.25 (1), 0.5 same warning (0), critical (2), resolve (1).
        assert_eq!(w.changes_under(&t(0.1, 0.2, 0.6)), 4);
        // Critical 0.8: fire at 0.5 (1), 0.7 still warning (0), resolve (1).
        assert_eq!(w.changes_under(&t(0.1, 0.3, 0.8)), 2);
    }

    /// With a resolve margin an open alert holds while its risk is within
    /// the margin under its threshold, as the monitor judges it.
    #[test]
    fn counts_transitions_with_the_resolve_margin() {
        let mut w = RiskWindow::new(10);
        // Fires at 0.31, holds at 0.29 and 0.31, resolves at 0.27 (under
        // 0.3 − 0.02); fires again at 0.3.
        for r in [0.31, 0.29, 0.31, 0.27, 0.3] {
            w.record(vec![j(1, r)]);
        }
        let held = Thresholds {
            resolve_margin: 0.02,
            ..t(0.1, 0.3, 0.6)
        };
        assert_eq!(w.changes_under(&held), 3);
        // Without it: fire, resolve, fire, resolve, fire.
        assert_eq!(w.changes_under(&t(0.1, 0.3, 0.6)), 5);
        // A margin of 0.04 also holds through 0.27: one fire. (At 0.03 the
        // risk is exactly the margin under, which lets go.)
        let wide = Thresholds {
            resolve_margin: 0.04,
            ..t(0.1, 0.3, 0.6)
        };
        assert_eq!(w.changes_under(&wide), 1);
    }

    #[test]
    fn evicted_events_become_the_base() {
        let mut w = RiskWindow::new(2);
        w.record(vec![j(1, 0.5)]);
        w.record(vec![j(2, 0.1)]);
        w.record(vec![j(1, 0.7)]);
        assert_eq!(w.len(), 2);
        // Node 1 starts as warning (from the evicted event): only warning→critical counts.
        assert_eq!(w.changes_under(&t(0.1, 0.3, 0.6)), 2);
        assert_eq!(w.latest(NodeRef::Item(1)), 0.7);
    }
}
