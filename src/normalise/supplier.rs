//! Supplier events become capacity-loss shocks keyed by incident; `recovered`
//! ends them. Which incidents are open is this file's state.
//!
//! One incident can hit several firms (an earthquake, a regional power
//! cut): each firm reported under it is its own part and its own shock, so
//! a report at a second firm adds to the first instead of replacing it, and
//! a `recovered` ends the part at its firm. A report at a firm already hit
//! restates that part.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Change, NormaliseError, Normalised};
use crate::event::{SupplierEvent, SupplierEventKind};
use crate::map::{ChainMap, ItemIx};
use crate::shock::{Effect, Shock, ShockKey};

/// Open incidents: per incident, the firms it was reported at, each with its
/// shock's key and when the part began.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Incidents {
    open: BTreeMap<String, BTreeMap<String, Part>>,
    /// Parts recovered, by (incident, firm), with the time of the
    /// recovery: an older report arriving late must not reopen one.
    closed: BTreeMap<(String, String), DateTime<Utc>>,
    /// Incidents recovered as a whole (a `recovered` naming no firm), with
    /// its time: the same, at every firm.
    ended: BTreeMap<String, DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Part {
    /// The incident id for the part reported while no other was open (so a
    /// one-firm incident's shock is named as reported), "`id` at `firm`"
    /// for the others.
    key: String,
    began: DateTime<Utc>,
    /// Time of the latest report: an older one arriving late is stale.
    stated: DateTime<Utc>,
}

impl Incidents {
    pub(crate) fn observe(
        &mut self,
        map: &ChainMap,
        e: &SupplierEvent,
    ) -> Result<Normalised, NormaliseError> {
        if e.kind == SupplierEventKind::Recovered {
            return self.recover(e);
        }

        // Checks first: nothing below may fail.
        let firm_id = e.firm.as_deref().ok_or_else(|| {
            NormaliseError::invalid("firm", "required unless kind is \"recovered\"")
        })?;
        let firm = map.firm(firm_id).ok_or_else(|| NormaliseError::UnknownId {
            path: "firm".into(),
            what: "firm",
            id: firm_id.to_string(),
        })?;
        self.check_fresh(e, firm_id)?;
        let loss = match e.capacity_loss {
            Some(l) if (0.0..=1.0).contains(&l) => l,
            Some(l) => {
                return Err(NormaliseError::invalid(
                    "capacity_loss",
                    format!("must be from 0 to 1, got {l}"),
                ))
            }
            None => {
                return Err(NormaliseError::invalid(
                    "capacity_loss",
                    "required unless kind is \"recovered\"",
                ))
            }
        };
        if let Some(d) = e.expected_recovery_days {
            if !(d.is_finite() && d >= 0.0) {
                return Err(NormaliseError::invalid(
                    "expected_recovery_days",
                    format!("days must be zero or more, got {d}"),
                ));
            }
        }
        let produced: Vec<ItemIx> = map
            .lines_of_firm(firm)
            .iter()
            .map(|&l| map.line(l).item)
            .collect();
        let mut notes = Vec::new();
        let items = match &e.items {
            None => None,
            Some(ids) => {
                let mut items = Vec::with_capacity(ids.len());
                for (k, id) in ids.iter().enumerate() {
                    let path = format!("items[{k}]");
                    let item = map.item(id).ok_or_else(|| NormaliseError::UnknownId {
                        path: path.clone(),
                        what: "item",
                        id: id.clone(),
                    })?;
                    // A family or aggregate nobody makes stands for its
                    // parts, as in sanctions and prices (QA16 F5: "ASML fire
                    // on lithography tools, N19" was refused whole).
                    let members = map.made_members(item);
                    let hit: Vec<ItemIx> = members
                        .iter()
                        .copied()
                        .filter(|m| produced.contains(m))
                        .collect();
                    if hit.is_empty() {
                        let family = if members == [item] {
                            ""
                        } else {
                            " or anything it stands for"
                        };
                        return Err(NormaliseError::invalid(
                            path,
                            format!("firm {firm_id:?} does not produce {id:?}{family}"),
                        ));
                    }
                    if members != [item] {
                        notes.push(super::stands_for_note(
                            map,
                            &format!("items[{k}] {id}"),
                            item,
                            |p| {
                                format!(
                                    "the {} covers those of {p} that {firm_id} makes",
                                    e.kind.as_str()
                                )
                            },
                            &hit,
                        ));
                    }
                    items.extend(hit);
                }
                items.sort_unstable();
                items.dedup();
                Some(items)
            }
        };

        if produced.is_empty() {
            notes.push(format!(
                "firm {firm_id:?} produces nothing in the map: the {} changes no supply",
                e.kind.as_str()
            ));
        }
        // `since` is this report's time: a later report restates the expected
        // recovery counted from when it was made. Stock has been drawn down
        // since the first report, whatever later reports say.
        // A part began when its incident was first reported anywhere: the
        // disaster struck then, whichever firm was named first.
        let parts = self.open.get(&e.incident);
        let began = parts
            .into_iter()
            .flat_map(|p| p.values().map(|part| part.began))
            .fold(e.ts, DateTime::min);
        let key = match parts.and_then(|p| p.get(firm_id)) {
            Some(part) => part.key.clone(),
            None if parts.is_none() => e.incident.clone(),
            None => format!("{} at {firm_id}", e.incident),
        };
        if self.key_taken(&key, &e.incident, firm_id) {
            return Err(NormaliseError::invalid(
                "incident",
                format!("{key:?} is already the key of another incident's shock"),
            ));
        }
        self.closed
            .remove(&(e.incident.clone(), firm_id.to_string()));
        self.open.entry(e.incident.clone()).or_default().insert(
            firm_id.to_string(),
            Part {
                key: key.clone(),
                began,
                stated: e.ts,
            },
        );
        let shock = Shock {
            key: ShockKey::Incident(key),
            event_id: e.id.clone(),
            also: Vec::new(),
            since: e.ts,
            began,
            recovery_days: e.expected_recovery_days,
            effects: vec![Effect::CapacityLoss { firm, items, loss }],
            parts: Vec::new(),
        };
        Ok(Normalised {
            changes: vec![Change::Set(shock)],
            notes,
        })
    }

    /// Ends the part of an incident at the event's firm, or, naming none,
    /// the whole incident. A `recovered` where nothing is open ends nothing
    /// and says so, and is kept: a report older than it, delivered later,
    /// is then stale, whichever order the two came in.
    fn recover(&mut self, e: &SupplierEvent) -> Result<Normalised, NormaliseError> {
        if let Some(firm) = e.firm.as_deref() {
            self.check_fresh(e, firm)?;
        }
        let Some(parts) = self.open.get_mut(&e.incident) else {
            // Nothing open: never reported, or recovered already. The
            // recovery is kept, so an older report arriving later is
            // refused as stale (QA: a fire delivered after its recovery
            // stayed open for good).
            let where_ = match e.firm.as_deref() {
                Some(firm) => {
                    self.closed
                        .insert((e.incident.clone(), firm.to_string()), e.ts);
                    format!(" at {firm:?}")
                }
                None => {
                    self.ended.insert(e.incident.clone(), e.ts);
                    String::new()
                }
            };
            return Ok(Normalised {
                changes: Vec::new(),
                notes: vec![format!(
                    "incident {:?} is not open{where_}: nothing to end; its recovery is kept, \
                     so an older report of it arriving later is refused as stale",
                    e.incident
                )],
            });
        };
        let Some(firm) = e.firm.as_deref() else {
            if let Some(latest) = parts.values().map(|p| p.stated).max() {
                if e.ts < latest {
                    return Err(NormaliseError::stale(
                        e.ts,
                        format_args!("the latest report of incident {:?}", e.incident),
                        latest,
                    ));
                }
            }
            let ended = self.open.remove(&e.incident).unwrap_or_default();
            self.ended.insert(e.incident.clone(), e.ts);
            let mut changes = Vec::new();
            for (firm, part) in ended {
                self.closed.insert((e.incident.clone(), firm), e.ts);
                changes.push(Change::End(ShockKey::Incident(part.key)));
            }
            return Ok(Normalised {
                changes,
                notes: Vec::new(),
            });
        };
        let Some(part) = parts.remove(firm) else {
            // Ending another firm's part on it would clear a live shortage
            // unseen (QA); kept as this firm's recovery, it ends nothing.
            let at: Vec<&str> = parts.keys().map(String::as_str).collect();
            let note = format!(
                "incident {:?} is open at {} {}, not at {:?}: nothing ends; its recovery \
                 there is kept, so an older report of it at {:?} arriving later is refused \
                 as stale",
                e.incident,
                if at.len() == 1 { "firm" } else { "firms" },
                at.join(", "),
                firm,
                firm
            );
            self.closed
                .insert((e.incident.clone(), firm.to_string()), e.ts);
            return Ok(Normalised {
                changes: Vec::new(),
                notes: vec![note],
            });
        };
        if parts.is_empty() {
            self.open.remove(&e.incident);
        }
        self.closed
            .insert((e.incident.clone(), firm.to_string()), e.ts);
        Ok(Normalised {
            changes: vec![Change::End(ShockKey::Incident(part.key))],
            notes: Vec::new(),
        })
    }

    /// Refuses a report at `firm` older than what is known of that part:
    /// its latest report, or its recovery (QA: a late January report
    /// undid a September one; a late `recovered` ended a newer outage).
    fn check_fresh(&self, e: &SupplierEvent, firm: &str) -> Result<(), NormaliseError> {
        let part = self.open.get(&e.incident).and_then(|p| p.get(firm));
        if let Some(part) = part {
            if e.ts < part.stated {
                return Err(NormaliseError::stale(
                    e.ts,
                    format_args!("the latest report of incident {:?} at {firm}", e.incident),
                    part.stated,
                ));
            }
        } else {
            if let Some(&closed) = self.closed.get(&(e.incident.clone(), firm.to_string())) {
                if e.ts < closed {
                    return Err(NormaliseError::stale(
                        e.ts,
                        format_args!("the recovery of incident {:?} at {firm}", e.incident),
                        closed,
                    ));
                }
            }
            if let Some(&ended) = self.ended.get(&e.incident) {
                if e.ts < ended {
                    return Err(NormaliseError::stale(
                        e.ts,
                        format_args!("the recovery of incident {:?}", e.incident),
                        ended,
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether `key` names an open part other than `incident` at `firm`.
    fn key_taken(&self, key: &str, incident: &str, firm: &str) -> bool {
        self.open.iter().any(|(i, parts)| {
            parts
                .iter()
                .any(|(f, part)| part.key == key && (i != incident || f != firm))
        })
    }
}
