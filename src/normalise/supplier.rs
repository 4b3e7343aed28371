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
}

#[derive(Debug, Clone, PartialEq)]
struct Part {
    /// The incident id for the part reported while no other was open (so a
    /// one-firm incident's shock is named as reported), "`id` at `firm`"
    /// for the others.
    key: String,
    began: DateTime<Utc>,
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
                    if !produced.contains(&item) {
                        return Err(NormaliseError::invalid(
                            path,
                            format!("firm {firm_id:?} does not produce {id:?}"),
                        ));
                    }
                    items.push(item);
                }
                items.sort_unstable();
                items.dedup();
                Some(items)
            }
        };

        let mut notes = Vec::new();
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
        self.open.entry(e.incident.clone()).or_default().insert(
            firm_id.to_string(),
            Part {
                key: key.clone(),
                began,
            },
        );
        let shock = Shock {
            key: ShockKey::Incident(key),
            event_id: e.id.clone(),
            since: e.ts,
            began,
            recovery_days: e.expected_recovery_days,
            effects: vec![Effect::CapacityLoss { firm, items, loss }],
        };
        Ok(Normalised {
            changes: vec![Change::Set(shock)],
            notes,
        })
    }

    /// Ends the part of an incident at the event's firm, or, naming none,
    /// the whole incident. A `recovered` at a firm the incident is not open
    /// at is refused, naming where it is open: ending another firm's outage
    /// on it would clear a live shortage unseen (QA), while refused it is
    /// dead-lettered and counted.
    fn recover(&mut self, e: &SupplierEvent) -> Result<Normalised, NormaliseError> {
        let Some(parts) = self.open.get_mut(&e.incident) else {
            return Err(NormaliseError::UnknownIncident {
                incident: e.incident.clone(),
            });
        };
        let Some(firm) = e.firm.as_deref() else {
            let ended = self.open.remove(&e.incident).unwrap_or_default();
            return Ok(Normalised {
                changes: ended
                    .into_values()
                    .map(|part| Change::End(ShockKey::Incident(part.key)))
                    .collect(),
                notes: Vec::new(),
            });
        };
        let Some(part) = parts.remove(firm) else {
            let at: Vec<&str> = parts.keys().map(String::as_str).collect();
            return Err(NormaliseError::invalid(
                "firm",
                format!(
                    "incident {:?} is open at {} {}, not at {:?}",
                    e.incident,
                    if at.len() == 1 { "firm" } else { "firms" },
                    at.join(", "),
                    firm
                ),
            ));
        };
        if parts.is_empty() {
            self.open.remove(&e.incident);
        }
        Ok(Normalised {
            changes: vec![Change::End(ShockKey::Incident(part.key))],
            notes: Vec::new(),
        })
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
