//! Backups for a short item: other producers with spare capacity and
//! same-grade substitutes first, then downgraded substitutes. A candidate
//! that is traced to a shock driving the shortfall shares a shocked upstream
//! node with what it would replace (a price spike on the item itself is at
//! every producer), so it is rejected, with the reason; so is one that would
//! cover under 0.1% of demand.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::engine::{Node, ProfileIx};
use crate::map::{FirmIx, ItemIx, SubstituteGrade};
use crate::shock::{Effect, ShockKey};

use super::{round6, Assessor};

/// Country code the importers give producers nobody can name.
const UNATTRIBUTED: &str = "XX";
/// Rejections listed at most, so one item with thousands of producers stays readable.
const MAX_REJECTED: usize = 20;
/// Share of demand under which a backup is not worth a call (QA: backups
/// covering 0.01% were listed beside real ones).
const MIN_COVERAGE: f64 = 1e-3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backup {
    pub grade: SubstituteGrade,
    pub node: String,
    pub node_name: String,
    /// The firm to call: the supplier itself, or the substitute's leading
    /// producer open to these buyers (none for an item made in place).
    pub firm: Option<String>,
    /// Share of the short item's demand it can cover, 0..1.
    #[serde(serialize_with = "round6")]
    pub coverage: f64,
    #[serde(serialize_with = "round6")]
    pub switch_days: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedBackup {
    pub grade: SubstituteGrade,
    pub node: String,
    pub node_name: String,
    pub firm: Option<String>,
    pub reason: String,
}

impl Assessor<'_> {
    pub(super) fn item_backups(
        &self,
        item: ItemIx,
        r: ProfileIx,
        drivers: &BTreeSet<u32>,
    ) -> (Vec<Backup>, Vec<RejectedBackup>) {
        let engine = self.engine;
        let map = engine.map();
        let limit = 1.0 - engine.error_bound();
        let mut backups = Vec::new();
        let mut rejected = Vec::new();
        let item_ref = &map.items[item as usize];

        // Other suppliers of the same item. Scarcity of the item itself (a
        // price spike on it, or on the family it belongs to) is at every
        // producer: none of them is a way around it (QA: a spike on N19
        // offered its members' makers).
        let item_wide: Vec<u32> = drivers
            .iter()
            .copied()
            .filter(|s| {
                engine.shock(*s).is_some_and(|a| {
                    a.shock
                        .effects
                        .iter()
                        .any(|e| matches!(e, Effect::Scarcity { item: i, .. } if *i == item))
                })
            })
            .collect();
        let cut: Vec<(u32, f64, Vec<u32>)> = engine.cut_lines(r, item);
        let off = map.lines_offset(item);
        for (k, line) in map.producers(item).iter().enumerate() {
            let firm = &map.firms[line.firm as usize];
            if line.spare <= 0.0 || map.country_code(firm.country) == UNATTRIBUTED {
                continue;
            }
            let l = off + k as u32;
            let coverage = (engine.producer_weight(item, line.share) * line.spare).min(1.0);
            let reason = if !item_wide.is_empty() {
                Some(format!(
                    "shares a shocked upstream node: hit by {}, which is item-wide",
                    self.describe(item_wide.iter().copied())
                ))
            } else if let Some((_, fraction, by)) = cut.iter().find(|(cl, _, _)| *cl == l) {
                // A licence policy short of denial cuts part (QA: a
                // case-by-case control read as "stopped").
                Some(if *fraction >= 1.0 - 1e-9 {
                    format!(
                        "its deliveries to these buyers are stopped by {}",
                        self.describe(by.iter().copied())
                    )
                } else {
                    format!(
                        "{:.0}% of its deliveries to these buyers are cut by {}",
                        fraction * 100.0,
                        self.describe(by.iter().copied())
                    )
                })
            } else if engine.line_output(l) < limit {
                // Its own capacity shocks are known locally; a line short only
                // through its inputs is short from the upstream already traced
                // for this item, so no trace of its own is needed.
                let own: Vec<u32> = engine
                    .local()
                    .line_drivers(map, l)
                    .into_iter()
                    .filter(|s| drivers.contains(s))
                    .collect();
                Some(if own.is_empty() {
                    format!(
                        "shares a shocked upstream node: producing at {:.0}% of capacity \
                         on inputs short from the same shocks",
                        engine.line_output(l) * 100.0
                    )
                } else {
                    // The shocked node itself (QA: it read as if it only
                    // shared one).
                    format!(
                        "is itself hit by {}: producing at {:.0}% of capacity",
                        self.describe(own.into_iter()),
                        engine.line_output(l) * 100.0
                    )
                })
            } else if coverage < MIN_COVERAGE {
                Some(too_little(coverage))
            } else {
                None
            };
            match reason {
                Some(reason) => rejected.push(RejectedBackup {
                    grade: SubstituteGrade::SameGrade,
                    node: item_ref.id.clone(),
                    node_name: item_ref.name.clone(),
                    firm: Some(firm.id.clone()),
                    reason,
                }),
                None => backups.push(Backup {
                    grade: SubstituteGrade::SameGrade,
                    node: item_ref.id.clone(),
                    node_name: item_ref.name.clone(),
                    firm: Some(firm.id.clone()),
                    coverage,
                    switch_days: self.config.backups.supplier_switch_days,
                }),
            }
        }

        // Substitute items, checked by tracing them back to the same shocks.
        for sub in map.substitutes(item) {
            let to = &map.items[sub.to as usize];
            let node = Node::Avail(r, sub.to);
            let shared: Vec<u32> = self
                .drivers(node)
                .shocks
                .into_iter()
                .filter(|s| drivers.contains(s))
                .collect();
            let firm = self.leading_producer(sub.to, r);
            let available = engine.availability(r, sub.to);
            if !shared.is_empty() {
                // Makers the shocks behind the shortfall do not reach are a
                // way around it (QA: an ASML fire rejected Canon's KrF and
                // i-line tools, whose KrF share ASML also makes, and left
                // EUV buyers with nothing). A price spike on the substitute
                // is at every one of its makers.
                let scarce = shared.iter().any(|s| {
                    engine.shock(*s).is_some_and(|a| {
                        a.shock
                            .effects
                            .iter()
                            .any(|e| matches!(e, Effect::Scarcity { item: i, .. } if *i == sub.to))
                    })
                });
                let clear = self.makers_clear_of(sub.to, r, drivers);
                if let Some(maker) = clear.leading.filter(|_| !scarce) {
                    // No more than reaches these buyers: a price spike on
                    // the substitute, not behind the shortfall, still
                    // thins it (QA).
                    let coverage = sub.coverage * clear.weight.min(available.min(1.0));
                    if coverage >= MIN_COVERAGE {
                        backups.push(Backup {
                            grade: sub.grade,
                            node: to.id.clone(),
                            node_name: to.name.clone(),
                            firm: Some(maker),
                            coverage,
                            switch_days: sub.switch_days,
                        });
                        continue;
                    }
                }
                // The item is named as hit, not `firm`: its leading producer
                // may well be untouched while others of its makers are down.
                // What keeps out the makers the shortfall's shocks miss is
                // named too (QA: a fire at the German maker read as if the
                // US control alone had shut the substitute).
                let others = if clear.others.is_empty() || scarce {
                    String::new()
                } else {
                    format!(
                        "; its makers these shocks miss are held back by {}",
                        self.describe(clear.others.into_iter())
                    )
                };
                rejected.push(RejectedBackup {
                    grade: sub.grade,
                    node: to.id.clone(),
                    node_name: to.name.clone(),
                    firm,
                    reason: format!(
                        "shares a shocked upstream node: {} is at {:.0}% of supply to these \
                         buyers, hit by {}{others}",
                        to.id,
                        available.min(1.0) * 100.0,
                        self.describe(shared.into_iter())
                    ),
                });
                continue;
            }
            if available <= engine.error_bound() {
                rejected.push(RejectedBackup {
                    grade: sub.grade,
                    node: to.id.clone(),
                    node_name: to.name.clone(),
                    firm,
                    reason: "not available to these buyers at all".into(),
                });
                continue;
            }
            let coverage = sub.coverage * available.min(1.0);
            if coverage < MIN_COVERAGE {
                rejected.push(RejectedBackup {
                    grade: sub.grade,
                    node: to.id.clone(),
                    node_name: to.name.clone(),
                    firm,
                    reason: too_little(coverage),
                });
                continue;
            }
            backups.push(Backup {
                grade: sub.grade,
                node: to.id.clone(),
                node_name: to.name.clone(),
                firm,
                coverage,
                switch_days: sub.switch_days,
            });
        }

        backups.sort_by(|a, b| {
            grade_rank(a.grade)
                .cmp(&grade_rank(b.grade))
                .then(b.coverage.total_cmp(&a.coverage))
                .then(a.switch_days.total_cmp(&b.switch_days))
                .then(a.node.cmp(&b.node))
                .then(a.firm.cmp(&b.firm))
        });
        backups.truncate(self.config.backups.max_backups);
        rejected.sort_by(|a, b| {
            grade_rank(a.grade)
                .cmp(&grade_rank(b.grade))
                .then(a.node.cmp(&b.node))
                .then(a.firm.cmp(&b.firm))
        });
        rejected.truncate(MAX_REJECTED);
        (backups, rejected)
    }

    /// What of `item` reaches profile `r` from named makers that none of
    /// `driving` reaches: neither their own capacity, nor their deliveries
    /// to these buyers, nor (as far as can be told without a trace of each)
    /// their inputs, which must be in full. A maker thinned by some other
    /// shock counts for what it still delivers (QA: a 50% fire at the only
    /// such maker rejected the substitute outright). Makers the map cannot
    /// name are left out: nobody can be called.
    fn makers_clear_of(&self, item: ItemIx, r: ProfileIx, driving: &BTreeSet<u32>) -> Clear {
        let engine = self.engine;
        let map = engine.map();
        let limit = 1.0 - engine.error_bound();
        let p = engine.profile(r);
        let off = map.lines_offset(item);
        let mut clear = Clear::default();
        let mut best: Option<(f64, FirmIx)> = None;
        for (k, line) in map.producers(item).iter().enumerate() {
            if map.country_code(map.firms[line.firm as usize].country) == UNATTRIBUTED {
                continue;
            }
            let l = off + k as u32;
            let mut by = engine.local().line_drivers(map, l);
            by.extend(p.cutting(map, line));
            if by.iter().any(|s| driving.contains(s)) {
                continue;
            }
            let kept = 1.0 - engine.line_loss(l);
            if engine.line_output(l) < kept * limit {
                continue;
            }
            let delivered =
                engine.producer_weight(item, line.share) * kept * (1.0 - p.cut(map, line));
            clear.others.extend(by);
            if delivered <= 0.0 {
                continue;
            }
            clear.weight += delivered;
            let leads =
                best.is_none_or(|(w, f)| delivered > w || (delivered == w && line.firm < f));
            if leads {
                best = Some((delivered, line.firm));
                clear.leading = Some(map.firms[line.firm as usize].id.clone());
            }
        }
        clear.weight = clear.weight.min(1.0);
        clear
    }

    /// The named producer delivering most of `item` to profile `r`.
    fn leading_producer(&self, item: ItemIx, r: ProfileIx) -> Option<String> {
        let engine = self.engine;
        let map = engine.map();
        let p = engine.profile(r);
        let off = map.lines_offset(item);
        map.producers(item)
            .iter()
            .enumerate()
            .filter(|(_, line)| {
                map.country_code(map.firms[line.firm as usize].country) != UNATTRIBUTED
            })
            .map(|(k, line)| {
                let delivered =
                    line.share * engine.line_output(off + k as u32) * (1.0 - p.cut(map, line));
                (delivered, line.firm)
            })
            .filter(|(d, _)| *d > 0.0)
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, f)| map.firms[f as usize].id.clone())
    }

    /// "measure nl-2023-duv (event e1), incident …": shocks as people know them.
    fn describe(&self, shocks: impl Iterator<Item = u32>) -> String {
        let mut parts: Vec<String> = shocks
            .filter_map(|s| self.engine.shock(s))
            .map(|a| {
                let what = match &a.shock.key {
                    ShockKey::Measure(m) => format!("measure {m}"),
                    ShockKey::Incident(i) => format!("incident {i}"),
                    ShockKey::Ownership { issuer, firm, cut } => {
                        format!("{issuer} listings at a cut of {cut} or more together on {firm} (50% rule)")
                    }
                    ShockKey::Price(i) => {
                        format!("price spike of {}", self.engine.map().items[*i as usize].id)
                    }
                };
                let mut events = vec![a.shock.event_id.as_str()];
                events.extend(a.shock.also.iter().map(String::as_str));
                if events.len() == 1 {
                    format!("{what} (event {})", events[0])
                } else {
                    format!("{what} (events {})", events.join(", "))
                }
            })
            .collect();
        parts.sort();
        parts.dedup();
        parts.join(", ")
    }
}

/// Makers of a substitute that the shocks behind a shortfall do not reach.
#[derive(Default)]
struct Clear {
    /// Share of the substitute's supply they still deliver to the buyers.
    weight: f64,
    /// The one delivering most; on a tie, the first firm of the map.
    leading: Option<String>,
    /// Other shocks thinning them or keeping them out.
    others: BTreeSet<u32>,
}

fn too_little(coverage: f64) -> String {
    // Just under the floor, three decimals round up to it (QA: "0.100%,
    // under the 0.1%"): show as many as it takes to be under.
    let pct = coverage * 100.0;
    let floor = MIN_COVERAGE * 100.0;
    let shown = (3..=9)
        .map(|d| format!("{pct:.d$}", d = d))
        .find(|t| t.parse::<f64>().is_ok_and(|v| v < floor))
        .unwrap_or_else(|| format!("{pct:e}"));
    format!("would cover {shown}% of demand, under the {floor:.1}% worth a switch")
}

fn grade_rank(g: SubstituteGrade) -> u8 {
    match g {
        SubstituteGrade::SameGrade => 0,
        SubstituteGrade::Downgraded => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_just_under_the_floor_shows_under_it() {
        assert_eq!(
            too_little(0.000_999_96),
            "would cover 0.099996% of demand, under the 0.1% worth a switch"
        );
        assert_eq!(
            too_little(0.000_8),
            "would cover 0.080% of demand, under the 0.1% worth a switch"
        );
    }
}
