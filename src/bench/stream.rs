//! A deterministic stream of realistic shocks for benchmarks: supplier
//! incidents weighted towards big producers, their recoveries, price spikes,
//! and now and then an export control or an entity listing on a few items.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::map::{ChainMap, CountryIx, FirmIx, ItemIx};
use crate::shock::{Effect, ItemScope, Shock, ShockKey};

/// What a step of the stream does, for per-kind statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    CapacityLoss,
    Price,
    ExportControl,
    Listing,
    EndIncident,
    EndPrice,
    EndMeasure,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::CapacityLoss,
        Kind::Price,
        Kind::ExportControl,
        Kind::Listing,
        Kind::EndIncident,
        Kind::EndPrice,
        Kind::EndMeasure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CapacityLoss => "capacity_loss",
            Kind::Price => "price",
            Kind::ExportControl => "export_control",
            Kind::Listing => "listing",
            Kind::EndIncident => "end_incident",
            Kind::EndPrice => "end_price",
            Kind::EndMeasure => "end_measure",
        }
    }

    fn ending(key: &ShockKey) -> Kind {
        match key {
            ShockKey::Incident(_) => Kind::EndIncident,
            ShockKey::Price(_) => Kind::EndPrice,
            ShockKey::Measure(_) | ShockKey::Ownership { .. } => Kind::EndMeasure,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Step {
    Set(Kind, Shock),
    End(Kind, ShockKey),
}

impl Step {
    pub fn kind(&self) -> Kind {
        match self {
            Step::Set(k, _) | Step::End(k, _) => *k,
        }
    }
}

/// Issuers of export controls and listings, in order of preference.
const ISSUERS: [&str; 3] = ["US", "NL", "JP"];

/// Event time of the first step: 2024-01-01T00:00:00Z.
const START_SECS: i64 = 1_704_067_200;

/// Makes single random shocks on a map. Capacity losses pick a producing
/// firm uniformly half the time and by its summed market share otherwise,
/// so that big producers, whose incidents matter and travel far, are hit
/// far more often than their number suggests.
pub struct ShockMaker {
    map: Arc<ChainMap>,
    rng: ChaCha8Rng,
    producers: Vec<FirmIx>,
    by_size: Option<WeightedIndex<f64>>,
    home_producers: Vec<FirmIx>,
    home_by_size: Option<WeightedIndex<f64>>,
    issuers: Vec<CountryIx>,
    made: u64,
}

fn sized(map: &ChainMap, firms: &[FirmIx]) -> Option<WeightedIndex<f64>> {
    let weights: Vec<f64> = firms
        .iter()
        .map(|f| {
            map.lines_of_firm(*f)
                .iter()
                .map(|l| map.line(*l).share)
                .sum()
        })
        .collect();
    WeightedIndex::new(&weights).ok()
}

impl ShockMaker {
    pub fn new(map: Arc<ChainMap>, seed: u64) -> ShockMaker {
        let producers: Vec<FirmIx> = (0..map.firms.len() as FirmIx)
            .filter(|f| !map.lines_of_firm(*f).is_empty())
            .collect();
        let home_producers: Vec<FirmIx> = producers
            .iter()
            .copied()
            .filter(|f| map.firms[*f as usize].country == map.home)
            .collect();
        ShockMaker {
            by_size: sized(&map, &producers),
            home_by_size: sized(&map, &home_producers),
            issuers: ISSUERS.iter().filter_map(|c| map.country(c)).collect(),
            producers,
            home_producers,
            rng: ChaCha8Rng::seed_from_u64(seed),
            made: 0,
            map,
        }
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// Event time of the most recent shock made (one hour per shock).
    pub fn now(&self) -> DateTime<Utc> {
        let start = DateTime::<Utc>::from_timestamp(START_SECS, 0).unwrap_or(DateTime::UNIX_EPOCH);
        start + Duration::hours(self.made as i64)
    }

    fn shock(&mut self, key: ShockKey, recovery: Option<f64>, effects: Vec<Effect>) -> Shock {
        self.made += 1;
        Shock {
            key,
            event_id: format!("bench-{}", self.made),
            also: Vec::new(),
            since: self.now(),
            began: self.now(),
            recovery_days: recovery,
            effects,
            parts: Vec::new(),
        }
    }

    fn firm(&mut self, home_only: bool) -> Option<FirmIx> {
        let (all, by_size) = if home_only {
            (&self.home_producers, &self.home_by_size)
        } else {
            (&self.producers, &self.by_size)
        };
        if all.is_empty() {
            return None;
        }
        match by_size {
            Some(d) if self.rng.gen_bool(0.5) => Some(all[d.sample(&mut self.rng)]),
            _ => Some(all[self.rng.gen_range(0..all.len())]),
        }
    }

    /// A supplier incident: a fire or a cut, often total, on all the firm's
    /// lines or on one of them.
    pub fn capacity_loss(&mut self) -> Option<Shock> {
        let firm = self.firm(false)?;
        let lines = self.map.lines_of_firm(firm);
        let items = if lines.len() > 1 && self.rng.gen_bool(0.2) {
            let l = lines[self.rng.gen_range(0..lines.len())];
            Some(vec![self.map.line(l).item])
        } else {
            None
        };
        let loss = if self.rng.gen_bool(0.3) {
            1.0
        } else {
            self.rng.gen_range(0.1..0.9)
        };
        let recovery = (!self.rng.gen_bool(0.1)).then(|| self.rng.gen_range(7..180) as f64);
        let key = ShockKey::Incident(format!("bench-incident-{}", self.made + 1));
        Some(self.shock(
            key,
            recovery,
            vec![Effect::CapacityLoss { firm, items, loss }],
        ))
    }

    /// Price-driven scarcity of an item somebody makes.
    pub fn scarcity(&mut self) -> Option<Shock> {
        let firm = self.firm(false)?;
        let lines = self.map.lines_of_firm(firm);
        let item = self
            .map
            .line(lines[self.rng.gen_range(0..lines.len())])
            .item;
        let loss = self.rng.gen_range(0.05..0.5);
        Some(self.shock(
            ShockKey::Price(item),
            Some(90.0),
            vec![Effect::Scarcity { item, loss }],
        ))
    }

    /// 1..=`most` items made by firms subject to `issuer`, sorted.
    fn controlled_items(&mut self, issuer: CountryIx, most: usize) -> Vec<ItemIx> {
        let want = self.rng.gen_range(1..=most);
        let mut items = Vec::new();
        let lines = self.map.line_count() as u32;
        for _ in 0..want * 200 {
            if items.len() == want || lines == 0 {
                break;
            }
            let line = self.map.line(self.rng.gen_range(0..lines));
            if self.map.firms[line.firm as usize]
                .subject_to
                .contains(&issuer)
            {
                items.push(line.item);
            }
        }
        items.sort_unstable();
        items.dedup();
        items
    }

    /// An export control by a foreign issuer on a few items, to home buyers.
    pub fn export_control(&mut self) -> Option<Shock> {
        let issuer = *self
            .issuers
            .get(self.rng.gen_range(0..self.issuers.len().max(1)))?;
        let items = self.controlled_items(issuer, 5);
        if items.is_empty() {
            return None;
        }
        let cut = if self.rng.gen_bool(0.7) { 1.0 } else { 0.5 };
        let key = ShockKey::Measure(format!("bench-control-{}", self.made + 1));
        let effect = Effect::ExportControl {
            issuer,
            items: ItemScope::Only(items),
            destinations: vec![self.map.home],
            cut,
        };
        Some(self.shock(key, None, vec![effect]))
    }

    /// An entity listing of a few home firms by a foreign issuer.
    pub fn listing(&mut self) -> Option<Shock> {
        let issuer = *self.issuers.first()?;
        let count = self.rng.gen_range(1..=8);
        let mut blocked: Vec<FirmIx> = (0..count).filter_map(|_| self.firm(true)).collect();
        blocked.sort_unstable();
        blocked.dedup();
        if blocked.is_empty() {
            return None;
        }
        let items = if self.rng.gen_bool(0.5) {
            ItemScope::All
        } else {
            let only = self.controlled_items(issuer, 3);
            if only.is_empty() {
                ItemScope::All
            } else {
                ItemScope::Only(only)
            }
        };
        let key = ShockKey::Measure(format!("bench-listing-{}", self.made + 1));
        let effect = Effect::Listing {
            issuer,
            items,
            blocked,
            cut: 1.0,
        };
        Some(self.shock(key, None, vec![effect]))
    }
}

/// Relative frequency of new shocks; ends weigh as much as all of them
/// together times (shocks in force / target), so the number in force
/// hovers around the target.
const MIX: [(Kind, f64); 4] = [
    (Kind::CapacityLoss, 50.0),
    (Kind::Price, 10.0),
    (Kind::ExportControl, 2.0),
    (Kind::Listing, 3.0),
];

/// Steps to apply to an engine, keeping track of the shocks in force.
pub struct EventStream {
    maker: ShockMaker,
    active: Vec<ShockKey>,
    target_active: usize,
    measures: bool,
}

impl EventStream {
    pub fn new(map: Arc<ChainMap>, seed: u64, target_active: usize) -> EventStream {
        EventStream {
            maker: ShockMaker::new(map, seed),
            active: Vec::new(),
            target_active: target_active.max(1),
            measures: true,
        }
    }

    /// Whether export controls and listings are issued (on by default).
    pub fn set_measures(&mut self, on: bool) {
        self.measures = on;
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.maker.now()
    }

    pub fn active(&self) -> usize {
        self.active.len()
    }

    pub fn next_step(&mut self) -> Step {
        let pressure = (self.active.len() as f64 / self.target_active as f64).min(3.0);
        let mut weights: Vec<f64> = MIX
            .iter()
            .map(|(k, w)| match k {
                Kind::ExportControl | Kind::Listing if !self.measures => 0.0,
                _ => *w,
            })
            .collect();
        let new: f64 = weights.iter().sum();
        weights.push(new * pressure);
        let total: f64 = weights.iter().sum();
        let mut x = self.maker.rng().gen::<f64>() * total;
        let mut pick = weights.len() - 1;
        for (k, w) in weights.iter().enumerate() {
            if x < *w {
                pick = k;
                break;
            }
            x -= w;
        }
        if pick == MIX.len() && !self.active.is_empty() {
            let at = self.maker.rng().gen_range(0..self.active.len());
            let key = self.active.swap_remove(at);
            return Step::End(Kind::ending(&key), key);
        }
        let kind = MIX.get(pick).map_or(Kind::CapacityLoss, |(k, _)| *k);
        let made = match kind {
            Kind::Price => self.maker.scarcity(),
            Kind::ExportControl => self.maker.export_control(),
            Kind::Listing => self.maker.listing(),
            _ => None,
        };
        // A map without issuers or prices falls back to an incident; a map
        // without producers yields an empty incident that changes nothing.
        let (kind, shock) = match made {
            Some(s) => (kind, s),
            None => match self.maker.capacity_loss() {
                Some(s) => (Kind::CapacityLoss, s),
                None => {
                    let key = ShockKey::Incident("bench-nothing".into());
                    (Kind::CapacityLoss, self.maker.shock(key, None, Vec::new()))
                }
            },
        };
        if !self.active.contains(&shock.key) {
            self.active.push(shock.key.clone());
        }
        Step::Set(kind, shock)
    }
}
