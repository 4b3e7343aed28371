//! Supplier events become capacity-loss shocks keyed by incident; `recovered`
//! ends them. Which incidents are open is this file's state.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Change, NormaliseError, Normalised};
use crate::event::{SupplierEvent, SupplierEventKind};
use crate::map::{ChainMap, ItemIx};
use crate::shock::{Effect, Shock, ShockKey};

/// Open incidents: the firm each was reported at, and its first report.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Incidents {
    open: BTreeMap<String, (String, DateTime<Utc>)>,
}

impl Incidents {
    pub(crate) fn observe(
        &mut self,
        map: &ChainMap,
        e: &SupplierEvent,
    ) -> Result<Normalised, NormaliseError> {
        if e.kind == SupplierEventKind::Recovered {
            let Some((firm, _)) = self.open.remove(&e.incident) else {
                return Err(NormaliseError::UnknownIncident {
                    incident: e.incident.clone(),
                });
            };
            let mut notes = Vec::new();
            if firm != e.firm {
                // The incident id is the key; a differing firm is worth a look
                // but not worth keeping a shock open for.
                notes.push(format!(
                    "incident {:?} was reported at firm {firm:?}, recovered at {:?}",
                    e.incident, e.firm
                ));
            }
            return Ok(Normalised {
                changes: vec![Change::End(ShockKey::Incident(e.incident.clone()))],
                notes,
            });
        }

        // Checks first: nothing below may fail.
        let firm = map.firm(&e.firm).ok_or_else(|| NormaliseError::UnknownId {
            path: "firm".into(),
            what: "firm",
            id: e.firm.clone(),
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
                            format!("firm {:?} does not produce {id:?}", e.firm),
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
                "firm {:?} produces nothing in the map: the {} changes no supply",
                e.firm,
                e.kind.as_str()
            ));
        }
        // `since` is this report's time: a later report restates the expected
        // recovery counted from when it was made. Stock has been drawn down
        // since the first report, whatever later reports say.
        let began = match self.open.get(&e.incident) {
            Some((_, first)) => (*first).min(e.ts),
            None => e.ts,
        };
        self.open
            .insert(e.incident.clone(), (e.firm.clone(), began));
        let shock = Shock {
            key: ShockKey::Incident(e.incident.clone()),
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
}
