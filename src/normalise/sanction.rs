//! Sanction notices become shocks keyed by measure: an export control
//! (issuer × items × destinations), a listing (issuer × items × blocked firms,
//! with the 50% ownership rule), and capacity loss at listed firms that are
//! producers of the map. Which measures are active is this file's state.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::aggregate::{self, Listed};
use super::index::{index_for, MapIndex};
use super::widen::widen;
use super::{Change, MatchedBy, NameIndex, NormaliseError, Normalised};
use crate::config::SanctionConfig;
use crate::event::{LicensePolicy, Sanction, SanctionAction, Target, ALL_ITEMS};
use crate::map::{is_country_code, ChainMap, CountryIx, FirmIx, ItemIx, EU_MEMBERS};
use crate::shock::{Effect, ItemScope, Part, Reached, Shock, ShockKey};

/// The European Union, as an issuer and as a destination.
const EU: &str = "EU";

/// Firms blocked through ownership named one by one in the notes; past this
/// a conglomerate's listing would flood them, so the rest are counted.
const MAX_OWNERSHIP_NOTES: usize = 20;

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Measures {
    /// Active measures by id.
    active: BTreeMap<String, InForce>,
    /// Removed measures, by id, with the time of the removing notice: an
    /// older notice arriving late must not bring one back.
    removed: BTreeMap<String, DateTime<Utc>>,
    /// The shocks on each firm an issuer's listings block only together, by
    /// issuer code, firm and licence level (its cut's bits), as last set.
    aggregated: BTreeMap<(String, FirmIx, u64), Shock>,
}

/// What is known of a measure in force.
#[derive(Debug, Clone, PartialEq)]
struct InForce {
    /// When it first took effect.
    began: DateTime<Utc>,
    /// When its current form takes effect: its `effective`, or its notice's
    /// time.
    since: DateTime<Utc>,
    /// The notice its current form is from: its time and event id.
    stated: DateTime<Utc>,
    event_id: String,
    /// Expected days from `since` until it ends.
    recovery_days: Option<f64>,
    /// What its listing blocks, if it lists anyone the issuer binds.
    listed: Option<Listed>,
    /// Its reach, part by part, with when each began.
    parts: Vec<Part>,
    /// Its current form, whole, for an add that widens it.
    form: Sanction,
    /// The earlier adds its current form widened, drivers with it.
    widened: Vec<String>,
}

/// What a validated add/amend asks for, in the map's indices.
struct Checked<'s> {
    issuer_code: &'s str,
    /// `ItemScope::All` when `items` is empty or `["*"]`.
    scope: ItemScope,
    /// Whether `items` was given at all (an export control needs it).
    has_items: bool,
    cut: f64,
    /// Family items taken as their members, for the notes.
    families: Vec<String>,
}

impl Measures {
    pub(crate) fn observe(
        &mut self,
        config: &SanctionConfig,
        map: &ChainMap,
        index: &mut Option<MapIndex>,
        s: &Sanction,
    ) -> Result<Normalised, NormaliseError> {
        self.observe_form(config, map, index, s, None)
    }

    /// `widening`: `s` is the whole form an add widened the measure to,
    /// and what it newly reaches takes effect then.
    fn observe_form(
        &mut self,
        config: &SanctionConfig,
        map: &ChainMap,
        index: &mut Option<MapIndex>,
        s: &Sanction,
        widening: Option<DateTime<Utc>>,
    ) -> Result<Normalised, NormaliseError> {
        // A late copy of an earlier notice must not undo a later one (QA:
        // an add arriving after its amend replaced it; a 2024 remove
        // arriving after the 2025 re-add lifted it).
        if let Some(current) = self.active.get(&s.measure) {
            if s.ts < current.stated {
                return Err(NormaliseError::stale(
                    s.ts,
                    format_args!(
                        "the form of measure {:?} in force (event {:?})",
                        s.measure, current.event_id
                    ),
                    current.stated,
                ));
            }
        } else if let Some(&removed) = self.removed.get(&s.measure) {
            if s.ts < removed {
                return Err(NormaliseError::stale(
                    s.ts,
                    format_args!("the removal of measure {:?}", s.measure),
                    removed,
                ));
            }
        }
        if s.action == SanctionAction::Add {
            if let Some(current) = self.active.get(&s.measure) {
                let buys = |code: &str| code == EU || map.country(code).is_some();
                let (whole, note) = widen(&current.form, current.since, s, buys)?;
                let stands_on: Vec<String> = std::iter::once(current.event_id.clone())
                    .chain(current.widened.iter().cloned())
                    .filter(|id| *id != s.id)
                    .collect();
                let from = s.effective.unwrap_or(s.ts);
                // The targets in force come first in the whole form and were
                // matched, and noted, when they were listed.
                let listed_before: Vec<String> = (0..current.form.targets.len())
                    .map(|k| format!("targets[{k}] "))
                    .collect();
                let mut out = self.observe_form(config, map, index, &whole, Some(from))?;
                out.notes
                    .retain(|n| !listed_before.iter().any(|t| n.starts_with(t.as_str())));
                out.notes.insert(0, note);
                let key = ShockKey::Measure(s.measure.clone());
                for change in &mut out.changes {
                    if let Change::Set(shock) = change {
                        if shock.key == key {
                            shock.also.clone_from(&stands_on);
                        }
                    }
                }
                if let Some(m) = self.active.get_mut(&s.measure) {
                    m.widened = stands_on;
                }
                return Ok(out);
            }
        }
        if s.action == SanctionAction::Remove {
            let Some(gone) = self.active.remove(&s.measure) else {
                // Not in force: never seen, or removed already. Its removal
                // is kept, so a notice of it older than this one, arriving
                // later, is refused as stale and the outcome does not hang
                // on delivery order (QA: an add delivered after its remove
                // stayed in force for good).
                let again = self.removed.insert(s.measure.clone(), s.ts).is_some();
                return Ok(Normalised {
                    changes: Vec::new(),
                    notes: vec![format!(
                        "measure {:?} is not in force ({}): nothing to end; its removal is \
                         kept, so an older notice of it arriving later is refused as stale",
                        s.measure,
                        if again {
                            "removed already"
                        } else {
                            "never seen"
                        }
                    )],
                });
            };
            self.removed.insert(s.measure.clone(), s.ts);
            let mut changes = vec![Change::End(ShockKey::Measure(s.measure.clone()))];
            let mut notes = Vec::new();
            if let Some(listed) = gone.listed {
                let index = index_for(index, map);
                self.reaggregate(
                    map,
                    index,
                    &listed.issuer_code,
                    &s.id,
                    &mut changes,
                    &mut notes,
                );
            }
            return Ok(Normalised { changes, notes });
        }
        let in_force = self.active.get(&s.measure);
        let checked = check(config, map, s)?;
        // Nothing below may fail.
        let mut notes = Vec::new();
        if s.action == SanctionAction::Amend && in_force.is_none() {
            // Lists are often first seen through an amendment (the feed
            // started late, or the add was lost upstream): taking it as the
            // measure's full current form beats dropping it.
            notes.push(format!(
                "amend of unknown measure {:?}: taken as an add",
                s.measure
            ));
        }
        notes.extend(checked.families.iter().cloned());
        let issuer = map.country(checked.issuer_code);
        let mut effects = Vec::new();
        if checked.has_items && !s.destinations.is_empty() {
            export_control(map, s, &checked, issuer, &mut effects, &mut notes);
        }
        let listed = if s.targets.is_empty() {
            None
        } else {
            let index = index_for(index, map);
            listing(map, index, s, &checked, issuer, &mut effects, &mut notes)
        };
        if effects.is_empty() {
            notes.push(format!(
                "measure {:?} has no effect on this map; it is tracked so that a later \
                 amend or remove applies",
                s.measure
            ));
        } else if checked.cut <= 0.0 {
            // Licences granted as a rule stop nothing (QA: silent).
            notes.push(format!(
                "measure {:?}: its licence policy {:?} cuts no deliveries (sanctions.{} = 0); \
                 it is tracked so that a later amend or remove applies",
                s.measure,
                s.license_policy.as_str(),
                s.license_policy.as_str()
            ));
        }
        // An amend that gives no `effective` keeps the one in force (QA: one
        // made before that date moved the start to the amend's own time).
        let since = match (s.effective, in_force) {
            // In force already, an amend restates the measure: its expected
            // duration still runs from when it took effect (two QA passes
            // expected so; an amend two months on with its own date counted
            // recovery from that date while time to impact kept the first).
            (Some(effective), Some(current))
                if current.since <= s.ts && effective != current.since =>
            {
                notes.push(format!(
                    "measure {:?} has been in force since {}: the amend restates it, and \
                     its effective date {} is not a new start",
                    s.measure,
                    current.since.to_rfc3339(),
                    effective.to_rfc3339()
                ));
                current.since
            }
            (Some(effective), _) => effective,
            (None, Some(current)) if s.action == SanctionAction::Amend => current.since,
            (None, _) => s.ts,
        };
        // An amend restates the measure; what it already cut has been short
        // since it first took effect. One made before that, with a date of
        // its own, moves the start: nothing was cut yet (a postponement).
        let began = match in_force.map(|m| m.began) {
            Some(first) if first > s.ts && s.effective.is_some() => since,
            Some(first) => first.min(since),
            None => since,
        };
        // What the amend newly brings under the measure began when the amend
        // takes effect; what it restates keeps its own start.
        let parts = parts_after(
            in_force.map(|m| m.parts.as_slice()),
            reach_of(&effects),
            began,
            widening.unwrap_or(s.effective.unwrap_or(s.ts)),
        );
        let shock_parts = if parts.iter().all(|p| p.began == began) {
            Vec::new()
        } else {
            parts.clone()
        };
        self.removed.remove(&s.measure);
        // An amend may move a listing to another issuer: both are re-read.
        let mut issuers: Vec<String> = in_force
            .and_then(|m| m.listed.as_ref())
            .map(|l| l.issuer_code.clone())
            .into_iter()
            .collect();
        issuers.extend(listed.as_ref().map(|l| l.issuer_code.clone()));
        issuers.dedup();
        self.active.insert(
            s.measure.clone(),
            InForce {
                began,
                since,
                stated: s.ts,
                event_id: s.id.clone(),
                recovery_days: s.expected_duration_days,
                listed,
                parts,
                form: s.clone(),
                widened: Vec::new(),
            },
        );
        let shock = Shock {
            key: ShockKey::Measure(s.measure.clone()),
            event_id: s.id.clone(),
            also: Vec::new(),
            since,
            began,
            recovery_days: s.expected_duration_days,
            effects,
            parts: shock_parts,
        };
        let mut changes = vec![Change::Set(shock)];
        if !issuers.is_empty() {
            let index = index_for(index, map);
            for issuer in &issuers {
                self.reaggregate(map, index, issuer, &s.id, &mut changes, &mut notes);
            }
        }
        Ok(Normalised { changes, notes })
    }
}

impl Measures {
    /// Re-reads the 50% rule across the listings of `issuer` in force, and
    /// sets, replaces or ends the shocks on the firms they block only
    /// together, where that changed.
    fn reaggregate(
        &mut self,
        map: &ChainMap,
        index: &MapIndex,
        issuer: &str,
        event_id: &str,
        changes: &mut Vec<Change>,
        notes: &mut Vec<String>,
    ) {
        let forms: Vec<aggregate::Form<'_>> = self
            .active
            .iter()
            .filter_map(|(measure, m)| {
                let listed = m.listed.as_ref().filter(|l| l.issuer_code == issuer)?;
                Some(aggregate::Form {
                    measure,
                    event_id: &m.event_id,
                    since: m.since,
                    began: m.began,
                    recovery_days: m.recovery_days,
                    listed,
                    parts: &m.parts,
                })
            })
            .collect();
        let mut now = aggregate::across(map, &index.owned_by, &forms, event_id);
        let whole = (issuer.to_string(), 0, 0)..=(issuer.to_string(), FirmIx::MAX, u64::MAX);
        let was: Vec<(FirmIx, u64)> = self
            .aggregated
            .range(whole)
            .map(|((_, f, level), _)| (*f, *level))
            .collect();
        let mut freed = BTreeSet::new();
        let mut eased = BTreeSet::new();
        for (firm, level) in was {
            if !now.contains_key(&(firm, level)) {
                if let Some(gone) = self.aggregated.remove(&(issuer.to_string(), firm, level)) {
                    changes.push(Change::End(gone.key));
                    let id = map.firms[firm as usize].id.clone();
                    if now.range((firm, 0)..=(firm, u64::MAX)).next().is_some() {
                        eased.insert(id);
                    } else {
                        freed.insert(id);
                    }
                }
            }
        }
        if !freed.is_empty() {
            notes.push(format!(
                "no longer blocked by the {issuer} listings together: {}",
                freed.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if !eased.is_empty() {
            notes.push(format!(
                "blocked by the {issuer} listings together at a looser licence level only: {}",
                eased.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        let mut named = 0;
        for ((firm, level), together) in std::mem::take(&mut now) {
            let key = (issuer.to_string(), firm, level);
            if self
                .aggregated
                .get(&key)
                .is_some_and(|old| aggregate::same_cut(old, &together.shock))
            {
                continue;
            }
            if named < MAX_OWNERSHIP_NOTES {
                notes.push(together.note);
            }
            named += 1;
            self.aggregated.insert(key, together.shock.clone());
            changes.push(Change::Set(together.shock));
        }
        if named > MAX_OWNERSHIP_NOTES {
            notes.push(format!(
                "… and {} more firms blocked through ownership in aggregate",
                named - MAX_OWNERSHIP_NOTES
            ));
        }
    }
}

fn country_code(path: String, code: &str) -> Result<(), NormaliseError> {
    if is_country_code(code) {
        Ok(())
    } else {
        Err(NormaliseError::invalid(
            path,
            format!("{code:?} is not an ISO 3166-1 alpha-2 code (two capital letters)"),
        ))
    }
}

/// Every rule an add/amend must pass against the map, before any state moves.
fn check<'s>(
    config: &SanctionConfig,
    map: &ChainMap,
    s: &'s Sanction,
) -> Result<Checked<'s>, NormaliseError> {
    let issuer_code = s.issuer_jurisdiction.as_deref().ok_or_else(|| {
        NormaliseError::invalid("issuer_jurisdiction", "required to add or amend a measure")
    })?;
    country_code("issuer_jurisdiction".into(), issuer_code)?;
    for (k, code) in s.destinations.iter().enumerate() {
        country_code(format!("destinations[{k}]"), code)?;
    }
    for (i, t) in s.targets.iter().enumerate() {
        if t.id.is_none() && t.name.is_none() {
            return Err(NormaliseError::invalid(
                format!("targets[{i}]"),
                "a target needs an id or a name",
            ));
        }
        if let Some(code) = &t.country {
            country_code(format!("targets[{i}].country"), code)?;
        }
    }
    if let Some(d) = s.expected_duration_days {
        if !(d.is_finite() && d >= 0.0) {
            return Err(NormaliseError::invalid(
                "expected_duration_days",
                format!("days must be zero or more, got {d}"),
            ));
        }
    }
    let mut families = Vec::new();
    let scope = if s.items.is_empty() || s.items == [ALL_ITEMS] {
        ItemScope::All
    } else {
        let mut items: Vec<ItemIx> = Vec::with_capacity(s.items.len());
        for (k, id) in s.items.iter().enumerate() {
            if id == ALL_ITEMS {
                return Err(NormaliseError::invalid(
                    format!("items[{k}]"),
                    "\"*\" (every item) must be the only entry",
                ));
            }
            let item = map.item(id).ok_or_else(|| NormaliseError::UnknownId {
                path: format!("items[{k}]"),
                what: "item",
                id: id.clone(),
            })?;
            // A family nobody makes is traded as its members (QA: a
            // control on N19 lithography tools cut nothing, silently).
            let made = map.made_members(item);
            if made != [item] {
                families.push(super::stands_for_note(
                    map,
                    &format!("items[{k}] {id}"),
                    item,
                    |p| format!("the measure covers {p}"),
                    &made,
                ));
            }
            items.extend(made);
        }
        items.sort_unstable();
        items.dedup();
        ItemScope::Only(items)
    };
    let cut = match s.license_policy {
        LicensePolicy::Denial => config.denial,
        LicensePolicy::CaseByCase => config.case_by_case,
        LicensePolicy::Approval => config.approval,
    };
    Ok(Checked {
        issuer_code,
        scope,
        has_items: !s.items.is_empty(),
        cut,
        families,
    })
}

fn export_control(
    map: &ChainMap,
    s: &Sanction,
    checked: &Checked,
    issuer: Option<CountryIx>,
    effects: &mut Vec<Effect>,
    notes: &mut Vec<String>,
) {
    let Some(issuer) = issuer else {
        notes.push(format!(
            "issuer {} is no firm's country or jurisdiction in the map: the export \
             control binds no producer",
            checked.issuer_code
        ));
        return;
    };
    let mut destinations = Vec::new();
    // The EU is one territory for its own export rules: sales between
    // member states are no exports (QA: an EU control to ["CN", "DE"] cut
    // German buyers from a Dutch maker).
    let inside = |code: &str| {
        code == checked.issuer_code
            || (checked.issuer_code == EU && (code == EU || EU_MEMBERS.contains(&code)))
    };
    for (k, code) in s.destinations.iter().enumerate() {
        if code == EU {
            // A destination of "EU" is every member state (QA: a control
            // to ["EU"] cut no buyer, as map firms are in member states).
            let members: Vec<&str> = EU_MEMBERS
                .iter()
                .copied()
                .filter(|m| map.country(m).is_some() && !inside(m))
                .collect();
            if members.is_empty() {
                notes.push(format!(
                    "destinations[{k}] EU: no firm of the map is in a member state outside \
                     the issuer's own territory; dropped"
                ));
            } else {
                notes.push(format!(
                    "destinations[{k}] EU: taken as the member states on the map: {}",
                    members.join(", ")
                ));
            }
            // Firms a source places in "EU" itself (CSET's EUR rows) too.
            let union = map
                .country(EU)
                .filter(|_| !inside(EU) && !members.is_empty());
            destinations.extend(members.iter().filter_map(|m| map.country(m)).chain(union));
            continue;
        }
        match map.country(code) {
            // Sales inside the issuer's own country are no exports: a
            // control naming it would cut the issuer's producers from its
            // own buyers, which no export control does.
            Some(_) if inside(code) => notes.push(format!(
                "destinations[{k}] {code}: {}; an export control does not govern sales \
                 at home; dropped",
                if code == checked.issuer_code {
                    "the issuer's own country"
                } else {
                    "a member state of the issuing EU"
                }
            )),
            Some(c) => destinations.push(c),
            None => notes.push(format!(
                "destinations[{k}] {code}: no firm of the map is there; dropped"
            )),
        }
    }
    destinations.sort_unstable();
    destinations.dedup();
    if destinations.is_empty() {
        notes.push("the export control has no destination in the map".to_string());
        return;
    }
    let bound = |f: FirmIx| map.firms[f as usize].subject_to.contains(&issuer);
    let binds = match &checked.scope {
        ItemScope::All => {
            (0..map.firms.len() as FirmIx).any(|f| bound(f) && !map.lines_of_firm(f).is_empty())
        }
        ItemScope::Only(items) => items
            .iter()
            .any(|i| map.producers(*i).iter().any(|l| bound(l.firm))),
    };
    // Items nobody makes (a process step named as itself) are not for want
    // of a maker the issuer binds (QA17: a control on "Etch and clean" said
    // the issuer bound nobody).
    let unmade: Vec<&str> = match &checked.scope {
        ItemScope::All => Vec::new(),
        ItemScope::Only(items) => items
            .iter()
            .filter(|i| map.is_assembled(**i))
            .map(|i| map.items[*i as usize].id.as_str())
            .collect(),
    };
    if !unmade.is_empty() {
        notes.push(format!(
            "{}: made in place by its buyers, nobody makes it, so a control on it cuts \
             nothing; name the tools, materials or designs it is made from",
            unmade.join(", ")
        ));
    }
    if !binds {
        notes.push(format!(
            "no producer of the items is subject to {}: the export control cuts nothing \
             on this map",
            checked.issuer_code
        ));
    }
    effects.push(Effect::ExportControl {
        issuer,
        items: checked.scope.clone(),
        destinations,
        cut: checked.cut,
    });
}

/// Whom a measure's effects reach, item by item (`None`: every item).
fn reach_of(effects: &[Effect]) -> Vec<(Reached, Option<ItemIx>)> {
    fn items(scope: &ItemScope) -> Vec<Option<ItemIx>> {
        match scope {
            ItemScope::All => vec![None],
            ItemScope::Only(items) => items.iter().copied().map(Some).collect(),
        }
    }
    let mut reach = Vec::new();
    for e in effects {
        let (scope, reached): (&ItemScope, Vec<Reached>) = match e {
            Effect::ExportControl {
                items,
                destinations,
                ..
            } => (
                items,
                destinations.iter().map(|d| Reached::Country(*d)).collect(),
            ),
            Effect::Listing { items, blocked, .. } => {
                (items, blocked.iter().map(|f| Reached::Firm(*f)).collect())
            }
            // A listed producer's lost capacity is on items its listing
            // covers, for a firm it blocks: reached through that.
            Effect::CapacityLoss { .. } | Effect::Scarcity { .. } => continue,
        };
        let items = items(scope);
        for r in reached {
            reach.extend(items.iter().map(|i| (r, *i)));
        }
    }
    reach.sort_unstable();
    reach.dedup();
    reach
}

/// The parts of a measure's new `reach`, each with when it began: what the
/// measure in force (`old`) already reached keeps its start, what is new
/// starts at `widened`; none before the measure's own start `began`. A part
/// over every item keeps beside it the older parts of single items it spans,
/// whose cut began earlier.
fn parts_after(
    old: Option<&[Part]>,
    reach: Vec<(Reached, Option<ItemIx>)>,
    began: DateTime<Utc>,
    widened: DateTime<Utc>,
) -> Vec<Part> {
    let Some(old) = old else {
        return reach
            .into_iter()
            .map(|(reached, item)| Part {
                item,
                reached,
                began,
            })
            .collect();
    };
    let before: BTreeMap<(Reached, Option<ItemIx>), DateTime<Utc>> =
        old.iter().map(|p| ((p.reached, p.item), p.began)).collect();
    let mut parts = Vec::with_capacity(reach.len());
    for (reached, item) in reach {
        let known = [before.get(&(reached, item)), before.get(&(reached, None))];
        let start = known
            .into_iter()
            .flatten()
            .min()
            .copied()
            .unwrap_or(widened)
            .max(began);
        if item.is_none() {
            parts.extend(
                before
                    .range((reached, Some(0))..=(reached, Some(ItemIx::MAX)))
                    .filter(|(_, b)| **b < start)
                    .map(|((reached, item), b)| Part {
                        item: *item,
                        reached: *reached,
                        began: (*b).max(began),
                    }),
            );
        }
        parts.push(Part {
            item,
            reached,
            began: start,
        });
    }
    parts
}

fn firm_label(map: &ChainMap, firm: FirmIx) -> String {
    let f = &map.firms[firm as usize];
    format!("{:?} ({:?})", f.id, f.name)
}

fn target_label(t: &Target) -> String {
    match (&t.name, &t.id) {
        (Some(name), Some(id)) => format!("{name:?} (id {id:?})"),
        (Some(name), None) => format!("{name:?}"),
        (None, Some(id)) => format!("id {id:?}"),
        (None, None) => "(unnamed)".to_string(),
    }
}

fn listing(
    map: &ChainMap,
    index: &MapIndex,
    s: &Sanction,
    checked: &Checked,
    issuer: Option<CountryIx>,
    effects: &mut Vec<Effect>,
    notes: &mut Vec<String>,
) -> Option<Listed> {
    let mut direct: Vec<FirmIx> = Vec::new();
    for (i, t) in s.targets.iter().enumerate() {
        let matches = index.names.lookup(map, t);
        if matches.is_empty() {
            let why = match &t.country {
                Some(code) if map.country(code).is_none() => {
                    format!(" (no firm of the map is in {code})")
                }
                _ => String::new(),
            };
            notes.push(format!(
                "targets[{i}] {} matched no firm of the map{why}",
                target_label(t)
            ));
        }
        for m in matches {
            let by_id = matches!(m.by, MatchedBy::Id | MatchedBy::ExternalId { .. });
            let contradicted = if by_id && !NameIndex::names_fit(map, t, m.firm) {
                " (none of the target's names is one of this firm's: check the list and \
                 the map; firms its names match are listed too)"
            } else {
                ""
            };
            // Names must agree on country to match; an id need not, but a
            // disagreement is worth a look (QA: it passed in silence).
            let elsewhere = match &t.country {
                Some(code)
                    if by_id && map.country_code(map.firms[m.firm as usize].country) != code =>
                {
                    format!(
                        " (the target is in {code}, the firm in {}: check the list and the map)",
                        map.country_code(map.firms[m.firm as usize].country)
                    )
                }
                _ => String::new(),
            };
            notes.push(format!(
                "targets[{i}] {} matched firm {} {}{contradicted}{elsewhere}",
                target_label(t),
                firm_label(map, m.firm),
                m.by
            ));
            direct.push(m.firm);
        }
    }
    direct.sort_unstable();
    direct.dedup();
    if direct.is_empty() {
        return None;
    }
    // A listed firm the map has neither selling nor buying changes no
    // supply (QA: SMIC's listing matched and said nothing more).
    for &f in &direct {
        if map.lines_of_firm(f).is_empty() && map.consumes(f).is_empty() {
            notes.push(format!(
                "firm {} neither makes nor buys anything in the map: listing it changes \
                 no supply unless it owns firms that do",
                firm_label(map, f)
            ));
        }
    }
    let spread = index.owned_by.spread(&direct);
    for c in spread.controlled.iter().take(MAX_OWNERSHIP_NOTES) {
        let holders: Vec<String> = c
            .holders
            .iter()
            .map(|(f, share)| format!("{:?} {:.1}%", map.firms[*f as usize].id, share * 100.0))
            .collect();
        notes.push(format!(
            "firm {} blocked through ownership: {:.1}% held by blocked {}",
            firm_label(map, c.firm),
            c.share * 100.0,
            holders.join(", ")
        ));
    }
    if spread.controlled.len() > MAX_OWNERSHIP_NOTES {
        notes.push(format!(
            "… and {} more firms blocked through ownership",
            spread.controlled.len() - MAX_OWNERSHIP_NOTES
        ));
    }
    let listed = match issuer {
        Some(issuer) => {
            effects.push(Effect::Listing {
                issuer,
                items: checked.scope.clone(),
                blocked: spread.blocked.clone(),
                cut: checked.cut,
            });
            Some(Listed {
                issuer,
                issuer_code: checked.issuer_code.to_string(),
                direct: direct.clone(),
                blocked: spread.blocked,
                scope: checked.scope.clone(),
                cut: checked.cut,
            })
        }
        None => {
            notes.push(format!(
                "issuer {} is no firm's country or jurisdiction in the map: the listing \
                 binds no supplier",
                checked.issuer_code
            ));
            None
        }
    };
    // A listed firm that is itself one of our producers stops supplying: it
    // loses the inputs, finance and buyers the measure denies it. Modelled as
    // losing `cut` of its capacity on the covered lines, whoever the issuer
    // is. Firms blocked only through ownership are left to the listing
    // effect: a subsidiary is rarely named on purpose.
    for firm in direct {
        let produced: Vec<ItemIx> = map
            .lines_of_firm(firm)
            .iter()
            .map(|&l| map.line(l).item)
            .collect();
        if produced.is_empty() {
            continue;
        }
        let items = match &checked.scope {
            ItemScope::All => None,
            ItemScope::Only(listed) => {
                let mut hit: Vec<ItemIx> = produced
                    .iter()
                    .copied()
                    .filter(|i| listed.binary_search(i).is_ok())
                    .collect();
                if hit.is_empty() {
                    // QA16 F4: said nothing, as if the listing had stopped it.
                    let mut made: Vec<&str> = produced
                        .iter()
                        .map(|&i| map.items[i as usize].id.as_str())
                        .collect();
                    made.sort_unstable();
                    made.dedup();
                    notes.push(format!(
                        "firm {} is listed for items it does not make: its own lines \
                         ({}) keep supplying; a listing for them, or for \"*\", stops them",
                        firm_label(map, firm),
                        made.join(", ")
                    ));
                    continue;
                }
                hit.sort_unstable();
                hit.dedup();
                Some(hit)
            }
        };
        effects.push(Effect::CapacityLoss {
            firm,
            items,
            loss: checked.cut,
        });
    }
    listed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> DateTime<Utc> {
        format!("{d}T00:00:00Z").parse().unwrap()
    }

    /// A control on item 3 to China since January, widened in July to every
    /// item: item 3 keeps January beside the July part over every item;
    /// narrowed back in October to item 3, it still began in January.
    #[test]
    fn a_widened_measure_keeps_the_start_of_what_it_already_reached() {
        let cn = Reached::Country(0);
        let first = parts_after(
            None,
            vec![(cn, Some(3))],
            day("2024-01-01"),
            day("2024-01-01"),
        );
        let wide = parts_after(
            Some(&first),
            vec![(cn, None)],
            day("2024-01-01"),
            day("2024-07-01"),
        );
        let summary = |parts: &[Part]| -> Vec<(Option<ItemIx>, String)> {
            parts
                .iter()
                .map(|p| (p.item, p.began.date_naive().to_string()))
                .collect()
        };
        assert_eq!(
            summary(&wide),
            [
                (Some(3), "2024-01-01".to_string()),
                (None, "2024-07-01".to_string())
            ]
        );
        let narrow = parts_after(
            Some(&wide),
            vec![(cn, Some(3)), (cn, Some(4))],
            day("2024-01-01"),
            day("2024-10-01"),
        );
        assert_eq!(
            summary(&narrow),
            [
                (Some(3), "2024-01-01".to_string()),
                (Some(4), "2024-07-01".to_string())
            ]
        );
    }
}
