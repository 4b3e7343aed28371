//! Properties of propagation on random maps and random shock sequences:
//! incremental equals a full recomputation, ratios stay in 0..1, ending every
//! shock restores full supply, and a larger shock never raises supply nor
//! lowers any node's cut-off risk.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chainwatch::config::PropagationConfig;
use chainwatch::engine::Engine;
use chainwatch::map::{
    ChainDoc, ChainMap, ChainMapDoc, ConsumesDoc, FirmDoc, InputDoc, ItemDoc, ProducesDoc,
};
use chainwatch::shock::{Effect, ItemScope, Shock, ShockKey};
use proptest::prelude::*;

const COUNTRIES: [&str; 4] = ["CN", "NL", "JP", "US"];

/// Exactness is claimed of the algorithm, so it is checked with a tiny
/// epsilon; the shipped default is checked against it separately. At 1e-10
/// a slowly contracting cycle (one with a dead-band gain of 21.6)
/// lifted by an amended shock needs over 10 000 visits a node to settle, so
/// the cap on visits, a safety bound, is raised here (found at 3 000 cases).
fn exact() -> PropagationConfig {
    PropagationConfig {
        epsilon: 1e-10,
        max_visits: 1_000_000,
        ..PropagationConfig::default()
    }
}

/// A generated firm: country, produced items with raw share, consumed item.
type RawFirm = (usize, Vec<(usize, f64)>, Option<(usize, bool, f64)>);

#[derive(Debug, Clone)]
struct RawMap {
    items: usize,
    /// (input, user, critical-if-allowed, weight)
    recipe: Vec<(usize, usize, bool, f64)>,
    /// (country, produced items with raw share and spare, consumed item)
    firms: Vec<RawFirm>,
}

fn raw_map() -> impl Strategy<Value = RawMap> {
    (3usize..9, 2usize..10).prop_flat_map(|(items, firms)| {
        let recipe = prop::collection::vec(
            (0..items, 0..items, any::<bool>(), 0.05f64..0.5),
            0..items * 2,
        );
        let firm = (
            0..COUNTRIES.len(),
            prop::collection::vec((0..items, 0.1f64..1.0), 1..3),
            prop::option::of((0..items, any::<bool>(), 0.05f64..0.5)),
        );
        (
            Just(items),
            recipe,
            prop::collection::vec(firm, firms..=firms),
        )
            .prop_map(|(items, recipe, firms)| RawMap {
                items,
                recipe,
                firms,
            })
    })
}

/// Critical edges only run from lower to higher items; others may close
/// cycles but carry at most half the weight, so cycles contract.
fn build(raw: &RawMap) -> Arc<ChainMap> {
    let mut items: Vec<ItemDoc> = (0..raw.items)
        .map(|i| ItemDoc {
            id: format!("I{i}"),
            name: format!("item {i}"),
            family: None,
            grade: None,
            inventory_days: (i % 3) as f64 * 7.0,
            inputs: Vec::new(),
            chains: vec!["x".into()],
        })
        .collect();
    for (c, u, crit, w) in &raw.recipe {
        if c == u || items[*u].inputs.iter().any(|x| x.item == format!("I{c}")) {
            continue;
        }
        items[*u].inputs.push(InputDoc {
            item: format!("I{c}"),
            critical: *crit && c < u,
            weight: *w,
        });
    }
    // A line's non-critical weights (recipe plus own consumption) stay at or
    // under 0.5, so every cycle contracts at least by half per turn.
    for item in &mut items {
        let sum: f64 = item
            .inputs
            .iter()
            .filter(|x| !x.critical)
            .map(|x| x.weight)
            .sum();
        if sum > 0.25 {
            for x in item.inputs.iter_mut().filter(|x| !x.critical) {
                x.weight *= 0.25 / sum;
            }
        }
    }
    let mut totals = vec![0.0; raw.items];
    for (_, produces, _) in &raw.firms {
        for (i, s) in produces {
            totals[*i] += s;
        }
    }
    let firms = raw
        .firms
        .iter()
        .enumerate()
        .map(|(f, (country, produces, consumes))| {
            let mut seen = Vec::new();
            let produces: Vec<ProducesDoc> = produces
                .iter()
                .filter(|(i, _)| {
                    let fresh = !seen.contains(i);
                    seen.push(*i);
                    fresh
                })
                .map(|(i, s)| ProducesDoc {
                    item: format!("I{i}"),
                    share: s / totals[*i].max(1.0),
                    spare: 0.2,
                })
                .collect();
            let lowest = seen.iter().min().copied().unwrap_or(0);
            FirmDoc {
                id: format!("F{f}"),
                name: format!("firm {f}"),
                aliases: Vec::new(),
                external_ids: BTreeMap::new(),
                country: COUNTRIES[*country].into(),
                jurisdictions: Vec::new(),
                owners: Vec::new(),
                produces,
                consumes: consumes
                    .iter()
                    .map(|(c, crit, w)| ConsumesDoc {
                        item: format!("I{c}"),
                        inventory_days: Some(3.0),
                        critical: *crit && *c < lowest,
                        weight: w.min(0.25),
                    })
                    .collect(),
            }
        })
        .collect();
    let doc = ChainMapDoc {
        version: 1,
        home: "CN".into(),
        source: None,
        chains: vec![ChainDoc {
            id: "x".into(),
            name: "x".into(),
            key_nodes: Vec::new(),
            roster: serde_json::Value::Null,
        }],
        items,
        firms,
        substitutes: Vec::new(),
    };
    let problems = chainwatch::map::validate(&doc);
    assert!(problems.is_empty(), "generated map invalid: {problems:?}");
    Arc::new(ChainMap::compile(&doc))
}

#[derive(Debug, Clone)]
enum Op {
    Set(usize, RawEffect),
    End(usize),
}

#[derive(Debug, Clone)]
enum RawEffect {
    Loss(usize, f64),
    Scarcity(usize, f64),
    Control(usize, Vec<usize>, Vec<usize>, f64),
    Listing(usize, Vec<usize>, f64),
}

fn op() -> impl Strategy<Value = Op> {
    let effect = prop_oneof![
        (0usize..16, 0.0f64..=1.0).prop_map(|(f, l)| RawEffect::Loss(f, l)),
        (0usize..16, 0.0f64..=1.0).prop_map(|(i, l)| RawEffect::Scarcity(i, l)),
        (
            0..COUNTRIES.len(),
            prop::collection::vec(0usize..16, 0..3),
            prop::collection::vec(0..COUNTRIES.len(), 1..3),
            0.0f64..=1.0
        )
            .prop_map(|(c, i, d, cut)| RawEffect::Control(c, i, d, cut)),
        (
            0..COUNTRIES.len(),
            prop::collection::vec(0usize..16, 1..3),
            0.0f64..=1.0
        )
            .prop_map(|(c, b, cut)| RawEffect::Listing(c, b, cut)),
    ];
    prop_oneof![
        3 => (0usize..4, effect).prop_map(|(k, e)| Op::Set(k, e)),
        1 => (0usize..4).prop_map(Op::End),
    ]
}

fn to_shock(map: &ChainMap, key: usize, raw: &RawEffect) -> Shock {
    let firm = |f: usize| (f % map.firms.len()) as u32;
    let item = |i: usize| (i % map.items.len()) as u32;
    let country = |c: usize| map.country(COUNTRIES[c]);
    let effect = match raw {
        RawEffect::Loss(f, l) => Effect::CapacityLoss {
            firm: firm(*f),
            items: None,
            loss: *l,
        },
        RawEffect::Scarcity(i, l) => Effect::Scarcity {
            item: item(*i),
            loss: *l,
        },
        RawEffect::Control(c, items, dest, cut) => {
            let mut only: Vec<u32> = items.iter().map(|i| item(*i)).collect();
            only.sort_unstable();
            only.dedup();
            Effect::ExportControl {
                issuer: country(*c).unwrap_or(0),
                items: if only.is_empty() {
                    ItemScope::All
                } else {
                    ItemScope::Only(only)
                },
                destinations: dest.iter().filter_map(|d| country(*d)).collect(),
                cut: *cut,
            }
        }
        RawEffect::Listing(c, blocked, cut) => {
            let mut b: Vec<u32> = blocked.iter().map(|f| firm(*f)).collect();
            b.sort_unstable();
            b.dedup();
            Effect::Listing {
                issuer: country(*c).unwrap_or(0),
                items: ItemScope::All,
                blocked: b,
                cut: *cut,
            }
        }
    };
    common::shock(
        ShockKey::Incident(format!("k{key}")),
        &format!("e{key}"),
        Some(10.0),
        vec![effect],
    )
}

/// Applies one operation, keeping `active` as the shocks in force.
fn apply(
    engine: &mut Engine,
    map: &ChainMap,
    active: &mut BTreeMap<usize, Shock>,
    op: &Op,
) -> chainwatch::engine::Outcome {
    match op {
        Op::Set(k, e) => {
            let s = to_shock(map, *k, e);
            active.insert(*k, s.clone());
            engine.set(s)
        }
        Op::End(k) => {
            active.remove(k);
            engine.end(&ShockKey::Incident(format!("k{k}")))
        }
    }
}

fn settled(map: &Arc<ChainMap>, active: &BTreeMap<usize, Shock>) -> Engine {
    let mut e = Engine::new(Arc::clone(map), exact());
    for s in active.values() {
        e.set(s.clone());
    }
    e.recompute_full();
    e
}

fn assert_same(a: &Engine, b: &Engine, map: &ChainMap, tol: f64) -> Result<(), TestCaseError> {
    for (i, (x, y)) in a.home_avail().iter().zip(b.home_avail()).enumerate() {
        prop_assert!(
            (x - y).abs() < tol,
            "home avail of I{i}: {x} vs {y} (tolerance {tol})"
        );
    }
    for l in 0..map.line_count() as u32 {
        let (x, y) = (a.line_output(l), b.line_output(l));
        prop_assert!((x - y).abs() < tol, "line {l}: {x} vs {y}");
    }
    for i in 0..map.items.len() as u32 {
        let (x, y) = (a.availability(0, i), b.availability(0, i));
        prop_assert!((x - y).abs() < tol, "open avail of I{i}: {x} vs {y}");
    }
    // Every firm's view, blocked firms' sparse profiles included.
    for f in 0..map.firms.len() as u32 {
        let (ra, rb) = (a.firm_profile(f), b.firm_profile(f));
        prop_assert_eq!(a.profile(ra).key, b.profile(rb).key);
        for i in 0..map.items.len() as u32 {
            let (x, y) = (a.availability(ra, i), b.availability(rb, i));
            prop_assert!((x - y).abs() < tol, "avail of I{i} to F{f}: {x} vs {y}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn incremental_equals_full_recomputation(raw in raw_map(), ops in prop::collection::vec(op(), 1..12)) {
        let map = build(&raw);
        let mut engine = Engine::new(Arc::clone(&map), exact());
        let mut active: BTreeMap<usize, Shock> = BTreeMap::new();
        for op in &ops {
            let out = apply(&mut engine, &map, &mut active, op);
            prop_assert!(!out.bounded);
            for v in engine.home_avail() {
                prop_assert!((0.0..=1.0).contains(v));
            }
            assert_same(&engine, &settled(&map, &active), &map, 1e-7)?;
        }
    }

    /// National shocks on large maps turn part way from the queue to an
    /// ordered sweep of what is stale (forced here by a small budget, down
    /// to sweeping from the start): the update still ends where a full
    /// recomputation ends, and still reports every item and firm that
    /// moved, which is what the monitor re-judges.
    #[test]
    fn an_update_that_turns_to_a_sweep_equals_full_recomputation(
        raw in raw_map(),
        ops in prop::collection::vec(op(), 1..12),
        after in 0u64..40,
    ) {
        let map = build(&raw);
        let mut engine = Engine::new(Arc::clone(&map), exact());
        engine.set_sweep_after(Some(after));
        let mut active: BTreeMap<usize, Shock> = BTreeMap::new();
        let firms = map.firms.len() as u32;
        for op in &ops {
            let items_before = engine.home_avail().to_vec();
            let firms_before: Vec<f64> = (0..firms).map(|f| engine.firm_supply(f)).collect();
            let out = apply(&mut engine, &map, &mut active, op);
            prop_assert!(!out.bounded);
            assert_same(&engine, &settled(&map, &active), &map, 1e-7)?;
            for (i, before) in items_before.iter().enumerate() {
                if (engine.home_avail()[i] - before).abs() > 1e-9 {
                    prop_assert!(out.items.contains(&(i as u32)), "I{i} moved unreported: {out:?}");
                }
            }
            // A change of measures can move a firm to another profile
            // without moving a node; it is reported as `swept`.
            if !out.swept {
                for (f, before) in firms_before.iter().enumerate() {
                    if (engine.firm_supply(f as u32) - before).abs() > 1e-9 {
                        prop_assert!(out.firms.contains(&(f as u32)), "F{f} moved unreported: {out:?}");
                    }
                }
            }
        }
    }

    /// Epsilon trades exactness for speed: a move within it is neither
    /// stored nor passed on. Whatever the epsilon, incremental updates and
    /// full recomputations alike stay within the engine's error bound
    /// (epsilon times the map's dead-band gain) of the exact values.
    #[test]
    fn a_coarse_epsilon_stays_within_the_error_bound(
        raw in raw_map(),
        ops in prop::collection::vec(op(), 1..12),
        epsilon in prop::sample::select(vec![1e-2 - 1e-9, 1e-3, 1e-4, PropagationConfig::default().epsilon]),
    ) {
        let map = build(&raw);
        let cfg = PropagationConfig { epsilon, ..PropagationConfig::default() };
        let mut coarse = Engine::new(Arc::clone(&map), cfg.clone());
        let mut active: BTreeMap<usize, Shock> = BTreeMap::new();
        for op in &ops {
            apply(&mut coarse, &map, &mut active, op);
        }
        // The bound covers what no uncertified cycle feeds (there values are
        // only known to lie in 0..1), so the property is about maps that
        // contract: a generated critical loop (item 0 needing 2, which
        // needs 0 through its makers' and a consumer's inputs) is none.
        prop_assume!(coarse.uncertified_items().is_empty());
        let bound = coarse.error_bound();
        prop_assert!(bound < 1.0, "these maps contract, so the bound is finite");
        let exact = settled(&map, &active);
        assert_same(&coarse, &exact, &map, bound + 1e-9)?;
        let mut swept = Engine::new(Arc::clone(&map), cfg);
        for s in active.values() {
            swept.set(s.clone());
        }
        swept.recompute_full();
        assert_same(&swept, &exact, &map, bound + 1e-9)?;
    }

    #[test]
    fn ending_every_shock_restores_full_supply(raw in raw_map(), ops in prop::collection::vec(op(), 1..10)) {
        let map = build(&raw);
        let mut engine = Engine::new(Arc::clone(&map), exact());
        for op in &ops {
            if let Op::Set(k, e) = op {
                engine.set(to_shock(&map, *k, e));
            }
        }
        for k in 0..4 {
            engine.end(&ShockKey::Incident(format!("k{k}")));
        }
        // Values rise back by moves of more than epsilon only, so they end
        // within the error bound of full supply, not always exactly on it.
        let bound = engine.error_bound();
        for v in engine.home_avail() {
            prop_assert!((v - 1.0).abs() <= bound, "{v} outside {bound}");
        }
        for l in 0..map.line_count() as u32 {
            let v = engine.line_output(l);
            prop_assert!((v - 1.0).abs() <= bound, "line {l} at {v} outside {bound}");
        }
        prop_assert_eq!(engine.home_profile(), 0);
    }

    #[test]
    fn a_larger_loss_never_raises_supply(raw in raw_map(), firm in 0usize..16, a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
        let map = build(&raw);
        let (small, large) = if a <= b { (a, b) } else { (b, a) };
        let mut e_small = Engine::new(Arc::clone(&map), exact());
        e_small.set(to_shock(&map, 0, &RawEffect::Loss(firm, small)));
        let mut e_large = Engine::new(Arc::clone(&map), exact());
        e_large.set(to_shock(&map, 0, &RawEffect::Loss(firm, large)));
        for (s, l) in e_small.home_avail().iter().zip(e_large.home_avail()) {
            prop_assert!(*l <= *s + 1e-9, "larger loss gave {l} > {s}");
        }
    }

    /// The same shock, larger, never lowers any node's cut-off risk: its
    /// shortfall only grows, and its time to impact only shrinks (more of
    /// the map is short enough to carry it, by the same or shorter paths).
    #[test]
    fn a_larger_shock_never_lowers_risk(
        raw in raw_map(),
        effect in 0usize..2,
        target in 0usize..16,
        a in 0.0f64..=1.0,
        b in 0.0f64..=1.0,
        days in 0i64..400,
    ) {
        use chainwatch::assess::Assessor;
        use chainwatch::config::CoreConfig;
        use chainwatch::map::NodeRef;
        let map = build(&raw);
        let (small, large) = if a <= b { (a, b) } else { (b, a) };
        let shocked = |loss: f64| {
            let raw = match effect {
                0 => RawEffect::Loss(target, loss),
                _ => RawEffect::Scarcity(target, loss),
            };
            let mut e = Engine::new(Arc::clone(&map), exact());
            e.set(to_shock(&map, 0, &raw));
            e
        };
        let (e_small, e_large) = (shocked(small), shocked(large));
        let config = CoreConfig::default();
        let now = common::t0() + chrono::Duration::days(days);
        let (judge_small, judge_large) =
            (Assessor::new(&e_small, &config, now), Assessor::new(&e_large, &config, now));
        let nodes = (0..map.items.len() as u32)
            .map(NodeRef::Item)
            .chain((0..map.firms.len() as u32).map(NodeRef::Firm));
        for node in nodes {
            let (rs, rl) = (judge_small.risk(node), judge_large.risk(node));
            prop_assert!(rl >= rs - 1e-9, "{node:?}: risk {rl} under loss {large} < {rs} under {small}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// A node's overlap is the propagation rules over what its drivers
    /// trace found, so with every part in force it makes the node's
    /// shortfall, and with one shock's parts alone the shortfall that shock
    /// makes on its own, cycles included (QA round 15, H1: reads closing a
    /// cycle were left out, so the overlap fell short and the gap was spread
    /// over every part). Only what the trace leaves out can part them: nodes
    /// under the attribution floor, and critical inputs that do not bind now
    /// and are short by less than 5%, which bind once the binding input's
    /// shock is out of force.
    #[test]
    fn the_overlap_makes_what_the_engine_makes(raw in raw_map(), ops in prop::collection::vec(op(), 1..5)) {
        use chainwatch::engine::Node;
        let map = build(&raw);
        let mut shocks: BTreeMap<usize, Shock> = BTreeMap::new();
        for op in &ops {
            if let Op::Set(k, e) = op {
                shocks.insert(*k, to_shock(&map, *k, e));
            }
        }
        let engine = settled(&map, &shocks);
        prop_assume!(engine.uncertified_items().is_empty());
        let alone: BTreeMap<String, Engine> = shocks
            .iter()
            .map(|(k, s)| (s.event_id.clone(), settled(&map, &BTreeMap::from([(*k, s.clone())]))))
            .collect();
        for i in 0..map.items.len() as u32 {
            let trace = engine.drivers_overlapped(Node::Avail(engine.home_profile(), i));
            let Some(overlap) = trace.overlap else { continue };
            let mut values = Vec::new();
            let all = overlap.shortfall(&vec![true; overlap.parts.len()], &mut values);
            let shortfall = 1.0 - engine.home_avail()[i as usize];
            prop_assert!((all - shortfall).abs() < 0.01, "I{i}: overlap {all}, engine {shortfall}");
            for (id, e) in &alone {
                let active: Vec<bool> = overlap
                    .parts
                    .iter()
                    .map(|p| engine.shock(p.shock).is_some_and(|a| &a.shock.event_id == id))
                    .collect();
                let part = overlap.shortfall(&active, &mut values);
                let made = 1.0 - e.home_avail()[i as usize];
                prop_assert!((part - made).abs() < 0.051, "I{i} with {id} alone: overlap {part}, engine {made}");
            }
        }
    }
}

/// Found by `ending_every_shock_restores_full_supply` when it asked for
/// 1e-9: a capacity loss replaced by a price shock under the same key, then
/// ended, leaves a line 1.4e-9 under full supply. That is within the error
/// bound (1.2e-8 here: this map's cycles have a dead-band gain of 121), which
/// is all the engine claims, and what the property now checks.
#[test]
fn a_replaced_then_ended_shock_leaves_nothing_behind() {
    let raw = RawMap {
        items: 7,
        recipe: vec![
            (2, 3, true, 0.05),
            (3, 2, false, 0.417_424_122_875_526),
            (3, 5, true, 0.05),
            (2, 0, false, 0.05),
            (5, 3, false, 0.336_857_439_009_672_2),
        ],
        // Found with 0.1 for every share, when shares were scaled to their
        // item's sum; written out as the weights that gave, now that shares
        // under 1 leave the rest to unrecorded makers.
        firms: vec![
            (0, vec![(2, 1.0)], Some((1, true, 0.05))),
            (0, vec![(0, 1.0 / 3.0)], None),
            (0, vec![(3, 0.25)], None),
            (0, vec![(3, 0.25)], None),
            (0, vec![(0, 1.0 / 3.0)], None),
            (0, vec![(0, 1.0 / 3.0)], None),
            (
                0,
                vec![(1, 1.0), (5, 1.0)],
                Some((5, false, 0.485_800_498_244_962_5)),
            ),
            (0, vec![(3, 0.25)], None),
            (0, vec![(3, 0.25)], None),
        ],
    };
    let map = build(&raw);
    let mut engine = Engine::new(Arc::clone(&map), exact());
    engine.set(to_shock(
        &map,
        1,
        &RawEffect::Loss(9, 0.646_259_389_772_973_8),
    ));
    engine.set(to_shock(
        &map,
        1,
        &RawEffect::Scarcity(0, 0.332_079_192_292_212_17),
    ));
    engine.end(&ShockKey::Incident("k1".into()));
    let bound = engine.error_bound();
    assert!(bound < 2e-8, "gain {}", engine.deadband_gain());
    let lowest = (0..map.line_count() as u32)
        .map(|l| engine.line_output(l))
        .fold(1.0, f64::min);
    assert!(
        lowest < 1.0 - 1e-9,
        "the case still exercises the dead band"
    );
    assert!(1.0 - lowest <= bound, "{lowest} outside {bound}");
}
