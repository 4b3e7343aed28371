//! The core as one value: a chain map, the shocks in force, and the open
//! alerts. Events go in with the time to judge them at; alert state changes
//! come out. No I/O and no clock of its own, so replay, simulation and the
//! service all run the same code.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::alert::{rfc3339, AlertBook, AlertChange};
use crate::assess::{exposures, reaches, risks, Assessment, Assessor, Exposure, Severity};
use crate::config::tunables::Tunables;
use crate::config::{CoreConfig, Thresholds, MIN_WARNING};
use crate::engine::{Engine, Influence, Outcome};
use crate::event::Event;
use crate::map::{ChainMap, NodeRef};
use crate::normalise::{Change, NormaliseError, Normaliser};
use crate::preview::{Judged, NodeChange, Preview, RiskWindow, WindowCount};

/// What applying one event did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The event id was applied before: nothing changed.
    pub duplicate: bool,
    pub changes: Vec<AlertChange>,
    /// Matching and normalisation remarks (unmatched targets and the like).
    pub notes: Vec<String>,
    pub evaluations: u64,
    pub bounded: bool,
    /// Open alerts judged from their kept drivers and day of impact,
    /// because the event cannot have changed their traces.
    pub judged_from_kept: usize,
}

/// Below this many kept traces, tracing them again costs less than bounding
/// what an event can have reached: at 1M firms the bound takes 15 ms mean
/// (0.8 ms p50, 205 ms at most) per update, a trace 0.35 ms.
const KEPT_WORTH_BOUNDING: usize = 64;

pub struct Monitor {
    map: Arc<ChainMap>,
    config: CoreConfig,
    normaliser: Normaliser,
    engine: Engine,
    book: AlertBook,
    /// Ids applied, each with a digest of what its event said, so that a
    /// replay is a duplicate and a reused id an error.
    seen: HashMap<String, u64>,
    /// Chains this monitor alerts in; `None` for all. A worker of the
    /// streaming service owns some chains and must not alert in the others.
    scope: Option<BTreeSet<u16>>,
    /// The latest instant an event was judged at: the monitor's idea of now,
    /// for readers (the metrics wall) that look at it between events, and
    /// what a re-judging after a threshold change and a preview judge at.
    latest: Option<DateTime<Utc>>,
    /// Risks judged over the latest events, for previews.
    window: RiskWindow,
    /// Drivers and day of impact of each open alert's node, and of each
    /// node that can alert, as last traced.
    /// An event that cannot have changed a node's trace (see
    /// [`Influence`]) judges it from these: only the clock moves (time to
    /// impact and recovery age with it).
    kept: HashMap<NodeRef, Exposure>,
    /// Off: every open alert is traced afresh after every event (tests
    /// compare the two).
    keep_traces: bool,
    /// Nodes this monitor alerts in that are short by at least the warning
    /// threshold: the only ones that can alert. They are judged after every
    /// event, moved or not, since their risk rises as their time to impact
    /// runs down and a slipped recovery turns unknown.
    alertable: BTreeSet<NodeRef>,
}

impl Monitor {
    pub fn new(map: Arc<ChainMap>, config: CoreConfig) -> Monitor {
        Monitor {
            engine: Engine::new(Arc::clone(&map), config.propagation.clone()),
            normaliser: Normaliser::new(&config),
            book: AlertBook::default(),
            seen: HashMap::new(),
            scope: None,
            latest: None,
            window: RiskWindow::new(config.preview.window_events),
            kept: HashMap::new(),
            keep_traces: true,
            alertable: BTreeSet::new(),
            config,
            map,
        }
    }

    /// A monitor that alerts only in `chains` (map chain indices). It still
    /// applies every event to the whole map: a chain's assessments (drivers,
    /// backups through substitutes and other producers) depend on shocks far
    /// outside the chain's own nodes. Its alert state changes are exactly
    /// those of an unscoped monitor restricted to `chains`.
    pub fn scoped(map: Arc<ChainMap>, config: CoreConfig, chains: BTreeSet<u16>) -> Monitor {
        Monitor {
            scope: Some(chains),
            ..Monitor::new(map, config)
        }
    }

    pub fn map(&self) -> &Arc<ChainMap> {
        &self.map
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// Applies an event judged at `now`, or at the latest time judged at if
    /// that is later: the clock never runs back (an event older than one
    /// applied would end alerts before they started). An event that fails
    /// normalisation changes nothing and is not remembered, so a corrected
    /// map can take it.
    pub fn apply(&mut self, event: &Event, now: DateTime<Utc>) -> Result<Applied, NormaliseError> {
        let digest = event.digest();
        if let Some(&before) = self.seen.get(event.id()) {
            if before != digest {
                return Err(NormaliseError::ReusedId {
                    id: event.id().to_string(),
                });
            }
            return Ok(Applied {
                duplicate: true,
                ..Applied::default()
            });
        }
        let normalised = self.normaliser.normalise(&self.map, event)?;
        self.seen.insert(event.id().to_string(), digest);
        let now = self.latest.map_or(now, |l| l.max(now));
        self.latest = Some(now);
        let mut moved: BTreeSet<NodeRef> = BTreeSet::new();
        let mut applied = Applied {
            notes: normalised.notes,
            ..Applied::default()
        };
        let mut touched = Vec::new();
        let mut swept = false;
        for change in normalised.changes {
            let outcome: Outcome = match change {
                Change::Set(shock) => self.engine.set(shock),
                Change::End(key) => self.engine.end(&key),
            };
            applied.evaluations += outcome.evaluations;
            applied.bounded |= outcome.bounded;
            moved.extend(outcome.nodes());
            touched.extend(outcome.touched);
            swept |= outcome.swept;
        }
        let influence = if self.kept.len() < KEPT_WORTH_BOUNDING || !self.keep_traces {
            Influence::everything()
        } else {
            self.engine.influence(touched.iter(), swept)
        };
        let (changes, from_kept) = self.review(moved, &influence, now);
        applied.changes = changes;
        applied.judged_from_kept = from_kept;
        Ok(applied)
    }

    /// Re-judges nodes that moved plus every open alert (whose time to
    /// impact and recovery age with the clock), and updates the alert book.
    /// Moved nodes short by at least [`MIN_WARNING`] have their risk
    /// recorded for previews even when they cannot alert under the
    /// thresholds in force. An open alert that did not move and that
    /// `influence` cannot reach is judged from its kept drivers and day of
    /// impact instead of a new trace.
    fn review(
        &mut self,
        moved: BTreeSet<NodeRef>,
        influence: &Influence,
        now: DateTime<Utc>,
    ) -> (Vec<AlertChange>, usize) {
        // Risk never exceeds the shortfall, so a node short by less than the
        // warning threshold cannot alert: only open alerts need it judged.
        let warning = self.config.thresholds.warning;
        let recording = self.window.capacity() > 0;
        let floor = if recording { MIN_WARNING } else { warning };
        let open = self.book.open_nodes();
        for n in &moved {
            if reaches(1.0 - self.supply(*n), warning) && !self.chains_of(*n).is_empty() {
                self.alertable.insert(*n);
            } else {
                self.alertable.remove(n);
            }
        }
        let mut nodes: BTreeSet<NodeRef> = moved
            .iter()
            .copied()
            .filter(|n| {
                let short = 1.0 - self.supply(*n);
                // A node recorded at risk that recovers is recorded at 0.
                reaches(short, floor) || (recording && self.window.latest(*n) > 0.0)
            })
            .filter(|n| !self.chains_of(*n).is_empty())
            .collect();
        nodes.extend(open.iter().copied());
        nodes.extend(self.alertable.iter().copied());
        // Open alerts and nodes short enough to alert are judged; nodes short
        // enough for a preview's lowest threshold only have their risk
        // recorded; the rest (recorded before, recovered since) record 0.
        let classes: Vec<(NodeRef, Option<bool>)> = nodes
            .into_iter()
            .map(|n| {
                let short = 1.0 - self.supply(n);
                let judge = open.contains(&n) || reaches(short, warning);
                (n, (judge || reaches(short, MIN_WARNING)).then_some(judge))
            })
            .collect();
        let assessor = Assessor::new(&self.engine, &self.config, now);
        let mut risk_of: HashMap<NodeRef, f64> = HashMap::new();
        let mut ranked: Vec<NodeRef> = Vec::new();
        for (n, class) in &classes {
            if class.is_none() {
                continue;
            }
            match self.kept.get(n).filter(|_| self.keep_traces) {
                Some(kept) if self.still_holds(*n, kept, &moved, influence) => {
                    risk_of.insert(*n, assessor.risk_with(*n, kept));
                }
                _ => ranked.push(*n),
            }
        }
        let from_kept = risk_of.len();
        let traced = exposures(&self.engine, &self.config, now, &ranked);
        let mut fresh: HashMap<NodeRef, Exposure> = HashMap::new();
        for (n, (risk, exposure)) in ranked.into_iter().zip(traced) {
            risk_of.insert(n, risk);
            fresh.insert(n, exposure);
        }
        let judging = Judging::new(&self.map, &self.config.thresholds, &assessor, now);
        let mut changes = Vec::new();
        let mut judged = Vec::new();
        for (node, class) in classes {
            let chains = self.chains_of(node);
            let risk = match class {
                Some(judge) => {
                    let risk = risk_of[&node];
                    if judge {
                        judging.node(&mut self.book, node, &chains, risk, &mut changes);
                    }
                    risk
                }
                None => 0.0,
            };
            judged.push(Judged {
                node,
                chains: chains.len() as u16,
                risk,
            });
        }
        self.window.record(judged);
        let open = self.book.open_nodes();
        let keep = |n: &NodeRef| open.contains(n) || self.alertable.contains(n);
        self.kept.retain(|n, _| keep(n));
        for (n, exposure) in fresh {
            if keep(&n) {
                self.kept.insert(n, exposure);
            }
        }
        (changes, from_kept)
    }

    /// Whether open alerts nothing reached are judged from their kept traces
    /// (the default) or traced afresh after every event.
    pub fn set_keep_traces(&mut self, keep: bool) {
        self.keep_traces = keep;
    }

    /// Whether an open alert's kept exposure still stands: the node did not
    /// move, no change since can have reached its trace, and every driver
    /// it names is still in force (an amended shock is a new one).
    fn still_holds(
        &self,
        node: NodeRef,
        kept: &Exposure,
        moved: &BTreeSet<NodeRef>,
        influence: &Influence,
    ) -> bool {
        !moved.contains(&node)
            && !influence.reaches(&self.engine, node)
            && kept
                .drivers
                .shocks
                .iter()
                .all(|s| self.engine.shock(*s).is_some())
    }

    /// Nodes this monitor alerts in that are short by at least `floor`: the
    /// only ones that can alert under a warning threshold of `floor`.
    fn short_nodes(&self, floor: f64) -> BTreeSet<NodeRef> {
        let items = (0..self.map.items.len() as u32).map(NodeRef::Item);
        let firms = (0..self.map.firms.len() as u32)
            .filter(|f| self.map.firms[*f as usize].country == self.map.home)
            .map(NodeRef::Firm);
        items
            .chain(firms)
            .filter(|n| reaches(1.0 - self.supply(*n), floor))
            .filter(|n| !self.chains_of(*n).is_empty())
            .collect()
    }

    /// Takes new live settings and re-judges at once, at the latest event's
    /// time: every open alert, and every node short enough to alert under
    /// the new warning threshold (a lower one finds nodes no event moved
    /// since). Returns the alert state changes, as an event would. New
    /// thresholds judge without the resolve margin: it keeps a hovering risk
    /// from flapping, not an alert the operator has just put under its
    /// threshold.
    pub fn retune(&mut self, tunables: &Tunables) -> Vec<AlertChange> {
        let moved_thresholds = moved_levels(&self.config.thresholds, &tunables.thresholds);
        self.config = tunables.apply_to(&self.config);
        // New settings may change what a trace finds; trace afresh.
        self.kept.clear();
        self.normaliser.set_config(&self.config);
        let Some(now) = self.latest else {
            return Vec::new();
        };
        self.alertable = self.short_nodes(self.config.thresholds.warning);
        let mut nodes = self.alertable.clone();
        nodes.extend(self.book.open_nodes());
        let nodes: Vec<NodeRef> = nodes.into_iter().collect();
        let found = risks(&self.engine, &self.config, now, &nodes);
        let assessor = Assessor::new(&self.engine, &self.config, now);
        let mut changes = Vec::new();
        let thresholds = judged_under(&self.config.thresholds, moved_thresholds);
        let judging = Judging::new(&self.map, &thresholds, &assessor, now);
        for (node, risk) in nodes.into_iter().zip(found) {
            let chains = self.chains_of(node);
            judging.node(&mut self.book, node, &chains, risk, &mut changes);
        }
        changes
    }

    /// What `proposed` thresholds would do now and over the recent events;
    /// changes nothing.
    pub fn preview(&self, proposed: &Thresholds) -> Preview {
        let mut out = Preview {
            judged_at: self.latest.map(rfc3339),
            current: self.config.thresholds.clone(),
            proposed: proposed.clone(),
            fire: Vec::new(),
            change: Vec::new(),
            resolve: Vec::new(),
            window: WindowCount {
                events: self.window.len(),
                current_changes: self.window.changes_under(&self.config.thresholds),
                proposed_changes: self.window.changes_under(proposed),
            },
        };
        let Some(now) = self.latest else {
            return out;
        };
        let mut nodes = self.short_nodes(proposed.warning);
        nodes.extend(self.book.open_nodes());
        let nodes: Vec<NodeRef> = nodes.into_iter().collect();
        let found = risks(&self.engine, &self.config, now, &nodes);
        // As `retune` would judge them.
        let judged = judged_under(proposed, moved_levels(&self.config.thresholds, proposed));
        for (node, risk) in nodes.into_iter().zip(found) {
            for chain in self.chains_of(node) {
                let from = self.book.severity(chain, node);
                let to = Severity::held(from, risk, &judged);
                let change = |from: Severity| NodeChange {
                    chain: self.map.chains[chain as usize].id.clone(),
                    node: self.map.node_id(node).to_string(),
                    node_name: self.map.node_name(node).to_string(),
                    risk: (risk * 1e6).round() / 1e6,
                    from,
                    to,
                };
                match from {
                    None if to.alerts() => out
                        .fire
                        .push(change(Severity::of(risk, &self.config.thresholds))),
                    Some(f) if !to.alerts() => out.resolve.push(change(f)),
                    Some(f) if f != to => out.change.push(change(f)),
                    _ => {}
                }
            }
        }
        out
    }

    fn supply(&self, node: NodeRef) -> f64 {
        self.engine.supply(node)
    }

    /// Chains a node is alerted in by this monitor: [`Monitor::map_chains_of`]
    /// within the monitor's scope.
    pub fn chains_of(&self, node: NodeRef) -> Vec<u16> {
        let mut chains = self.map_chains_of(node);
        if let Some(scope) = &self.scope {
            chains.retain(|c| scope.contains(c));
        }
        chains
    }

    /// Chains a node is alerted in, whatever the scope (see
    /// [`ChainMap::alert_chains`]).
    pub fn map_chains_of(&self, node: NodeRef) -> Vec<u16> {
        self.map.alert_chains(node)
    }

    /// Every item short for home buyers and every home firm short of supply,
    /// most at risk first.
    pub fn assessments(&self, now: DateTime<Utc>) -> Vec<Assessment> {
        let limit = 1.0 - self.engine.error_bound();
        let mut nodes: Vec<NodeRef> = self
            .engine
            .home_avail()
            .iter()
            .enumerate()
            .filter(|(_, a)| **a < limit)
            .map(|(i, _)| NodeRef::Item(i as u32))
            .collect();
        nodes.extend(
            (0..self.map.firms.len() as u32)
                .filter(|f| self.map.firms[*f as usize].country == self.map.home)
                .filter(|f| self.engine.firm_supply(*f) < limit)
                .map(NodeRef::Firm),
        );
        let assessor = Assessor::new(&self.engine, &self.config, now);
        let mut out: Vec<Assessment> = nodes.into_iter().map(|n| assessor.assess(n)).collect();
        out.sort_by(|a, b| {
            b.cutoff_risk
                .total_cmp(&a.cutoff_risk)
                .then(a.node_id.cmp(&b.node_id))
        });
        out
    }

    pub fn open_alerts(&self) -> usize {
        self.book.open_count()
    }

    /// Open alerts by (chain index, severity).
    pub fn open_alerts_by_chain(
        &self,
    ) -> std::collections::BTreeMap<(u16, crate::assess::Severity), usize> {
        self.book.open_by_chain()
    }

    /// The latest instant an applied event was judged at; none before the first.
    pub fn latest(&self) -> Option<DateTime<Utc>> {
        self.latest
    }
}

/// Whether a severity level moved (a new margin alone keeps holding: a wider
/// one must not resolve what it now holds).
fn moved_levels(old: &Thresholds, new: &Thresholds) -> bool {
    (old.watch, old.warning, old.critical) != (new.watch, new.warning, new.critical)
}

/// The thresholds a re-judging under `t` goes by: without the resolve
/// margin when its levels are new.
fn judged_under(t: &Thresholds, new: bool) -> Thresholds {
    Thresholds {
        resolve_margin: if new { 0.0 } else { t.resolve_margin },
        ..t.clone()
    }
}

/// What judging a node needs besides the alert book.
struct Judging<'a> {
    map: &'a ChainMap,
    thresholds: &'a Thresholds,
    assessor: &'a Assessor<'a>,
    now: DateTime<Utc>,
}

impl<'a> Judging<'a> {
    fn new(
        map: &'a ChainMap,
        thresholds: &'a Thresholds,
        assessor: &'a Assessor<'a>,
        now: DateTime<Utc>,
    ) -> Self {
        Judging {
            map,
            thresholds,
            assessor,
            now,
        }
    }

    /// Judges `node` in `chains` by its `risk` (see [`risks`]), and makes
    /// the full assessment (backups included) only when an alert changes,
    /// since only a change carries one. Most judged nodes keep their
    /// severity; the backup search is about a tenth of an assessment (the
    /// drivers trace, which the risk needs too, is the rest).
    fn node(
        &self,
        book: &mut AlertBook,
        node: NodeRef,
        chains: &[u16],
        risk: f64,
        out: &mut Vec<AlertChange>,
    ) {
        let changes = chains.iter().any(|c| {
            let open = book.severity(*c, node);
            let held = Severity::held(open, risk, self.thresholds);
            match open {
                Some(open) => open != held,
                None => held.alerts(),
            }
        });
        if changes {
            let assessment = self.assessor.assess(node);
            out.extend(book.update(self.map, chains, &assessment, self.thresholds, self.now));
        }
    }
}
