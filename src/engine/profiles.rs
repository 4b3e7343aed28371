//! Buyer profiles. A sanction cuts supply to some buyers only (those in an
//! export control's destinations, or blocked firms), so availability of an
//! item depends on who buys. Buyers that face the same rules share a profile;
//! profile 0 faces none. Profiles exist only while a measure needs them, so an
//! unsanctioned world costs one availability array.

use std::collections::BTreeMap;

use crate::map::{ChainMap, CountryIx, FirmIx, ItemIx, Line};
use crate::shock::{Effect, ItemScope};

/// Who a profile stands for: buyers in a country, or one blocked firm (which
/// also faces its country's export controls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProfileKey {
    Open,
    Country(CountryIx),
    Firm(FirmIx),
}

impl ProfileKey {
    /// Whether a profile under this key keeps every item's availability (a
    /// blocked firm's keeps only what the firm reads, see [`Owned`]).
    pub fn keeps_every_item(self) -> bool {
        !matches!(self, ProfileKey::Firm(_))
    }
}

/// A rule that stops a fraction of deliveries from producers subject to
/// `issuer`, for the items in scope, to the buyers of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub shock: u32,
    pub issuer: CountryIx,
    pub items: ItemScope,
    pub cut: f64,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub key: ProfileKey,
    pub rules: Vec<Rule>,
    /// Availability by item; for a sparse profile only the entries of
    /// owned items are kept up to date.
    pub avail: Vec<f64>,
    /// The cuts `rules` make, by item: evaluation reads them instead of
    /// matching every producer against every rule on every visit.
    pub cuts: Cuts,
    /// For a blocked firm's profile, the items the engine keeps for it (see
    /// [`Owned`]); `None` for a profile kept over every item.
    pub own: Option<Owned>,
}

/// The items a blocked firm's profile keeps: what the firm reads (its lines'
/// recipes and its own `consumes`) and, through items made in place, what
/// those read in turn. Only the firm buys under the profile, so no other
/// value in it is read by propagation; keeping the whole item array would
/// re-evaluate every item for every producer change, once per listed firm.
/// Values outside the set are computed when asked for ([`Engine::availability`]).
///
/// [`Engine::availability`]: super::Engine::availability
#[derive(Debug, Clone)]
pub struct Owned {
    bits: Vec<u64>,
    pub items: Vec<ItemIx>,
}

impl Owned {
    pub fn of_firm(map: &ChainMap, firm: FirmIx) -> Owned {
        let mut bits = vec![0u64; map.items.len().div_ceil(64)];
        let mut items = Vec::new();
        let mut stack: Vec<ItemIx> = map
            .lines_of_firm(firm)
            .iter()
            .flat_map(|l| map.recipe(map.line(*l).item))
            .chain(map.consumes(firm))
            .map(|u| u.item)
            .collect();
        while let Some(i) = stack.pop() {
            let (w, b) = (i as usize / 64, i % 64);
            if bits[w] >> b & 1 == 1 {
                continue;
            }
            bits[w] |= 1 << b;
            items.push(i);
            if map.is_assembled(i) {
                stack.extend(map.recipe(i).iter().map(|u| u.item));
            }
        }
        items.sort_unstable();
        Owned { bits, items }
    }

    pub fn contains(&self, item: ItemIx) -> bool {
        self.bits
            .get(item as usize / 64)
            .is_some_and(|w| w >> (item % 64) & 1 == 1)
    }

    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8 + self.items.capacity() * 4
    }
}

/// Per item, the producers (by position among the item's producers) that a
/// profile's rules cut, with the fraction cut. Empty for a profile without
/// rules, which is most of the time.
#[derive(Debug, Clone, Default)]
pub struct Cuts {
    start: Vec<u32>,
    entries: Vec<(u32, f64)>,
}

impl Cuts {
    /// The cuts of `rules`, at the items `own` keeps (every item if `None`):
    /// a blocked firm's profile never reads the others, and a listing
    /// covers every item of a national map.
    pub fn build(map: &ChainMap, rules: &[Rule], own: Option<&Owned>) -> Cuts {
        if rules.is_empty() {
            return Cuts::default();
        }
        let probe = Profile {
            key: ProfileKey::Open,
            rules: rules.to_vec(),
            avail: Vec::new(),
            cuts: Cuts::default(),
            own: None,
        };
        let n = map.items.len();
        let mut start = Vec::with_capacity(n + 1);
        let mut entries = Vec::new();
        start.push(0);
        for i in 0..n as ItemIx {
            let kept = own.is_none_or(|o| o.contains(i));
            if kept && rules.iter().any(|r| r.items.covers(i)) {
                for (k, line) in map.producers(i).iter().enumerate() {
                    let cut = probe.cut(map, line);
                    if cut != 0.0 {
                        entries.push((k as u32, cut));
                    }
                }
            }
            start.push(entries.len() as u32);
        }
        Cuts { start, entries }
    }

    /// The cut producers of `item`, in producer order.
    pub fn of(&self, item: ItemIx) -> &[(u32, f64)] {
        match self.start.get(item as usize..item as usize + 2) {
            Some(&[a, b]) => &self.entries[a as usize..b as usize],
            _ => &[],
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.start.capacity() * 4 + self.entries.capacity() * 16
    }
}

impl Profile {
    pub fn new(map: &ChainMap, key: ProfileKey, rules: Vec<Rule>, avail: Vec<f64>) -> Profile {
        let own = match key {
            ProfileKey::Firm(f) => Some(Owned::of_firm(map, f)),
            ProfileKey::Open | ProfileKey::Country(_) => None,
        };
        let cuts = Cuts::build(map, &rules, own.as_ref());
        Profile {
            key,
            rules,
            avail,
            cuts,
            own,
        }
    }

    /// Whether the engine keeps this profile's availability of `item`.
    pub fn owns(&self, item: ItemIx) -> bool {
        self.own.as_ref().is_none_or(|o| o.contains(item))
    }

    /// Replaces the rules, and the cuts derived from them.
    pub fn set_rules(&mut self, map: &ChainMap, rules: Vec<Rule>) -> Vec<Rule> {
        self.cuts = Cuts::build(map, &rules, self.own.as_ref());
        std::mem::replace(&mut self.rules, rules)
    }

    /// Fraction of `line`'s deliveries to this profile that the rules stop.
    pub fn cut(&self, map: &ChainMap, line: &Line) -> f64 {
        if self.rules.is_empty() {
            return 0.0;
        }
        let subject = &map.firms[line.firm as usize].subject_to;
        let mut kept = 1.0;
        for rule in &self.rules {
            if rule.items.covers(line.item) && subject.contains(&rule.issuer) {
                kept *= 1.0 - rule.cut;
            }
        }
        1.0 - kept
    }

    /// Measures (by shock number) that cut `line` for this profile.
    pub fn cutting<'s>(&'s self, map: &'s ChainMap, line: &Line) -> impl Iterator<Item = u32> + 's {
        let subject: &'s [CountryIx] = &map.firms[line.firm as usize].subject_to;
        let item: ItemIx = line.item;
        self.rules
            .iter()
            .filter(move |r| r.cut > 0.0 && r.items.covers(item) && subject.contains(&r.issuer))
            .map(|r| r.shock)
    }
}

/// The rules each profile key faces under the active measures.
pub fn rules_by_key<'a>(
    map: &ChainMap,
    measures: impl Iterator<Item = (u32, &'a Effect)>,
) -> BTreeMap<ProfileKey, Vec<Rule>> {
    let mut country_rules: BTreeMap<CountryIx, Vec<Rule>> = BTreeMap::new();
    let mut firm_rules: BTreeMap<FirmIx, Vec<Rule>> = BTreeMap::new();
    for (shock, effect) in measures {
        match effect {
            Effect::ExportControl {
                issuer,
                items,
                destinations,
                cut,
            } => {
                for d in destinations {
                    country_rules.entry(*d).or_default().push(Rule {
                        shock,
                        issuer: *issuer,
                        items: items.clone(),
                        cut: *cut,
                    });
                }
            }
            Effect::Listing {
                issuer,
                items,
                blocked,
                cut,
            } => {
                for f in blocked {
                    firm_rules.entry(*f).or_default().push(Rule {
                        shock,
                        issuer: *issuer,
                        items: items.clone(),
                        cut: *cut,
                    });
                }
            }
            Effect::CapacityLoss { .. } | Effect::Scarcity { .. } => {}
        }
    }
    let mut out = BTreeMap::new();
    out.insert(ProfileKey::Open, Vec::new());
    for (firm, mut rules) in firm_rules {
        let country = map.firms[firm as usize].country;
        if let Some(more) = country_rules.get(&country) {
            rules.extend(more.iter().cloned());
        }
        out.insert(ProfileKey::Firm(firm), rules);
    }
    for (country, rules) in country_rules {
        out.insert(ProfileKey::Country(country), rules);
    }
    out
}
