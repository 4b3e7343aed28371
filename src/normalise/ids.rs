//! The checks of an event against the map that need no history: every item
//! and firm it names exists. The ingest role runs them before routing an
//! event, so a message naming unknown ids is dead-lettered at the door
//! instead of in every chain's worker; the stateful checks (unknown measure,
//! unknown incident) stay with the normaliser that holds the state.

use super::NormaliseError;
use crate::event::{Event, SupplierEventKind, ALL_ITEMS};
use crate::map::ChainMap;

/// The first id in `event` that `map` does not know, with its field path.
pub fn check_ids(map: &ChainMap, event: &Event) -> Result<(), NormaliseError> {
    let unknown = |path: String, what: &'static str, id: &str| NormaliseError::UnknownId {
        path,
        what,
        id: id.to_string(),
    };
    match event {
        Event::Sanction(s) => {
            for (k, id) in s.items.iter().enumerate() {
                if id != ALL_ITEMS && map.item(id).is_none() {
                    return Err(unknown(format!("items[{k}]"), "item", id));
                }
            }
        }
        Event::Price(p) => {
            if map.item(&p.item).is_none() {
                return Err(unknown("item".into(), "item", &p.item));
            }
        }
        // A recovery is matched by incident id; its firm is only cross-checked.
        Event::SupplierEvent(e) if e.kind == SupplierEventKind::Recovered => {}
        Event::SupplierEvent(e) => {
            if let Some(firm) = e.firm.as_deref().filter(|f| map.firm(f).is_none()) {
                return Err(unknown("firm".into(), "firm", firm));
            }
            for (k, id) in e.items.iter().flatten().enumerate() {
                if map.item(id).is_none() {
                    return Err(unknown(format!("items[{k}]"), "item", id));
                }
            }
        }
    }
    Ok(())
}
