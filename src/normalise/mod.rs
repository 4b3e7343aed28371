//! Normalisation: decoded events become shock changes against a chain map.
//!
//! [`Normaliser`] is pure (no I/O, no clock: times come from events) and holds
//! only what events need to be read in context: price history, the active
//! sanction measures and the open supplier incidents. On error it leaves that
//! state exactly as it was (every check runs before anything moves), so a
//! refused event can go to the dead-letter topic and the next one proceeds.
//! Deduplication by event id is the caller's.
//!
//! State is kept by ids (item ids, measure ids, incident ids), not by map
//! indices, so it survives a map reload; the shocks it emits are in the
//! indices of the map passed to [`Normaliser::normalise`].

mod aggregate;
mod error;
mod ids;
mod index;
mod names;
mod ownership;
mod price_baseline;
mod sanction;
mod supplier;
#[cfg(test)]
mod tests;
mod widen;

pub use error::NormaliseError;
pub use ids::check_ids;
pub use index::MapIndex;
pub use names::{name_keys, normalise_name, MatchedBy, NameIndex, TargetMatch};
pub use ownership::{Controlled, OwnedBy, Spread, CONTROL_SHARE};

use crate::config::{CoreConfig, PriceConfig, SanctionConfig};
use crate::event::Event;
use crate::map::ChainMap;
use crate::shock::{Shock, ShockKey};

/// One change to the set of active shocks.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Adds the shock, or replaces the one with the same key.
    Set(Shock),
    /// Ends the shock with this key.
    End(ShockKey),
}

/// What one event did: the changes, and notes for operators and audit (which
/// firm each sanction target matched and how, targets that matched nothing,
/// firms blocked through ownership, effects skipped and why).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Normalised {
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
}

/// Context kept between events; compared whole in tests of "error changes
/// nothing".
#[derive(Debug, Clone, PartialEq, Default)]
struct State {
    prices: price_baseline::PriceBook,
    measures: sanction::Measures,
    incidents: supplier::Incidents,
}

#[derive(Debug, Clone)]
pub struct Normaliser {
    price: PriceConfig,
    sanctions: SanctionConfig,
    state: State,
    /// Name and ownership indices of the current map; built on the first
    /// sanction with targets, or by [`Normaliser::set_map`].
    index: Option<MapIndex>,
}

impl Normaliser {
    pub fn new(config: &CoreConfig) -> Self {
        Normaliser {
            price: config.price.clone(),
            sanctions: config.sanctions.clone(),
            state: State::default(),
            index: None,
        }
    }

    /// Takes new settings for the events that follow; history and active
    /// shocks are kept. A smaller `baseline_window` applies at once (only the
    /// latest prices are averaged); an open price spike ends at the first
    /// price that the new threshold does not call a spike.
    pub fn set_config(&mut self, config: &CoreConfig) {
        self.price = config.price.clone();
        self.sanctions = config.sanctions.clone();
    }

    /// Builds the map's name and ownership indices now (else the first
    /// sanction with targets does). Call it at start and after every map
    /// reload: `normalise` rebuilds on its own only when it notices that the
    /// firm table moved or changed length.
    pub fn set_map(&mut self, map: &ChainMap) {
        self.index = Some(MapIndex::build(map));
    }

    /// Reads one event against `map`. On error the state is unchanged.
    pub fn normalise(
        &mut self,
        map: &ChainMap,
        event: &Event,
    ) -> Result<Normalised, NormaliseError> {
        match event {
            Event::Price(p) => self.state.prices.observe(&self.price, map, p),
            Event::SupplierEvent(e) => self.state.incidents.observe(map, e),
            Event::Sanction(s) => {
                self.state
                    .measures
                    .observe(&self.sanctions, map, &mut self.index, s)
            }
        }
    }
}

/// The note for an item an event names that nobody makes and that stands
/// for others (see [`ChainMap::made_members`]): "items[0] N19: a family
/// with no makers of its own; the measure covers its members: N20, N22",
/// where `what` says what the event does to "its members" or "what it is
/// made of".
pub(crate) fn stands_for_note(
    map: &ChainMap,
    named: &str,
    item: crate::map::ItemIx,
    what: impl Fn(&str) -> String,
    made: &[crate::map::ItemIx],
) -> String {
    let (kind, parts) = if map.is_family(item) {
        ("a family with no makers of its own", "its members")
    } else {
        (
            "an aggregate with no makers or stock of its own",
            "what it is made of",
        )
    };
    format!(
        "{named}: {kind}; {}: {}",
        what(parts),
        made.iter()
            .map(|m| map.items[*m as usize].id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}
