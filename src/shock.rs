//! Shocks: the normalised effect of an event on the chain map, the only thing
//! propagation reads. Events of every kind become shocks; a shock is keyed by
//! what it stands for (a sanction measure, a supplier incident, an item's price)
//! so that a later event amends or ends it instead of piling up.

use chrono::{DateTime, Utc};

use crate::map::{CountryIx, FirmIx, ItemIx};

/// What a shock stands for; a new shock with the same key replaces the old one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ShockKey {
    /// A sanction measure by its stable id (`measure` in the notice).
    Measure(String),
    /// A supplier incident by its stable id (`incident` in the event).
    Incident(String),
    /// Price-driven scarcity of one item.
    Price(ItemIx),
    /// A firm that an issuer's listings block only together, under the 50%
    /// rule in aggregate: the issuer's country code, the firm's id, and the
    /// licence level: the listings cutting this much or more (as written by
    /// `f64`'s `Display`) block it.
    Ownership {
        issuer: String,
        firm: String,
        cut: String,
    },
}

/// Items a measure covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemScope {
    All,
    /// Sorted, without duplicates.
    Only(Vec<ItemIx>),
}

impl ItemScope {
    pub fn covers(&self, item: ItemIx) -> bool {
        match self {
            ItemScope::All => true,
            ItemScope::Only(items) => items.binary_search(&item).is_ok(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A firm loses part of its capacity: on all its lines, or only on `items`.
    CapacityLoss {
        firm: FirmIx,
        /// Sorted; `None` means every item the firm makes.
        items: Option<Vec<ItemIx>>,
        loss: f64,
    },
    /// Item-wide scarcity read from a price spike: every buyer gets `1 - loss`
    /// of what producers would otherwise deliver.
    Scarcity { item: ItemIx, loss: f64 },
    /// Export control: producers subject to `issuer` may not deliver `items`
    /// to buyers located in `destinations` (fraction `cut` of such deliveries
    /// stops, from the licence policy).
    ExportControl {
        issuer: CountryIx,
        items: ItemScope,
        destinations: Vec<CountryIx>,
        cut: f64,
    },
    /// Listing: producers subject to `issuer` may not deliver `items` to the
    /// `blocked` firms (targets and what they own under the 50% rule).
    Listing {
        issuer: CountryIx,
        items: ItemScope,
        /// Sorted, without duplicates.
        blocked: Vec<FirmIx>,
        cut: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shock {
    pub key: ShockKey,
    /// Id of the event that set the shock's current form (a driver in alerts).
    pub event_id: String,
    /// Other events the current form stands on, also drivers in alerts: the
    /// listings whose targets together block a firm under the 50% rule.
    pub also: Vec<String>,
    /// When the shock's current form took effect: what its expected
    /// recovery is counted from.
    pub since: DateTime<Utc>,
    /// When the disruption began to draw down stock: an incident's first
    /// report, a measure's first effective date (an amend keeps it), a price
    /// episode's first spike. Time to impact counts from here, so it shrinks
    /// while the shock lasts and includes the wait for a future effective date.
    pub began: DateTime<Utc>,
    /// Expected days from `since` until it ends; `None` when nobody knows.
    pub recovery_days: Option<f64>,
    pub effects: Vec<Effect>,
    /// A measure's reach, part by part, with when each began to draw down
    /// stock; empty when all of it began at `began`. An amend that widens
    /// a measure (more items, destinations or targets) starts the new parts
    /// then (QA: an amend adding a tool with 100 days of stock read
    /// "impact in 0 days", as if cut since the measure's first day).
    pub parts: Vec<Part>,
}

/// Whom a measure's cut reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reached {
    /// Buyers in a country (an export control's destination).
    Country(CountryIx),
    /// A blocked firm: cut as a buyer, and stopped as a producer when
    /// listed itself.
    Firm(FirmIx),
}

/// One part of a measure's reach: an item (`None`: every item) to whom it
/// reaches, and when its cut began.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub item: Option<ItemIx>,
    pub reached: Reached,
    pub began: DateTime<Utc>,
}

impl Shock {
    /// When the part of the shock acting on `item` for any of `reached`
    /// began: the earliest such part, or `began` if it has none.
    pub fn began_for(&self, item: ItemIx, reached: &[Reached]) -> DateTime<Utc> {
        self.parts
            .iter()
            .filter(|p| p.item.is_none_or(|i| i == item) && reached.contains(&p.reached))
            .map(|p| p.began)
            .min()
            .unwrap_or(self.began)
    }
}
