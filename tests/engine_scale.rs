//! On a generated map large enough for updates to turn to an ordered sweep
//! when they touch much of it, the engine still ends where a fresh full
//! recomputation under the same shocks ends; and the many nodes such shocks
//! leave short are judged alike on one thread or several.

use std::collections::BTreeMap;
use std::sync::Arc;

use chainwatch::assess::{risks_on, Assessor};
use chainwatch::bench::{prepare, EventStream, Step};
use chainwatch::config::{CoreConfig, PropagationConfig};
use chainwatch::engine::Engine;
use chainwatch::genmap::GenSpec;
use chainwatch::map::NodeRef;
use chainwatch::shock::{Shock, ShockKey};

#[test]
fn updates_on_a_generated_map_match_a_fresh_full_recomputation() {
    // Updates here stay under the budget a map this size gets, so it is
    // forced lower to take both paths.
    check(Some(2_000));
    check(None);
}

fn check(sweep_after: Option<u64>) {
    let (map, _) = prepare(&GenSpec::new(2_000, 7)).expect("generated map is valid");
    let cfg = PropagationConfig::default();
    let mut engine = Engine::new(Arc::clone(&map), cfg.clone());
    engine.set_sweep_after(sweep_after);
    let mut active: BTreeMap<ShockKey, Shock> = BTreeMap::new();
    let mut stream = EventStream::new(Arc::clone(&map), 7, 10);
    let mut evaluations = Vec::new();
    for _ in 0..60 {
        let out = match stream.next_step() {
            Step::Set(_, shock) => {
                active.insert(shock.key.clone(), shock.clone());
                engine.set(shock)
            }
            Step::End(_, key) => {
                active.remove(&key);
                engine.end(&key)
            }
        };
        assert!(!out.bounded);
        evaluations.push(out.evaluations);
    }
    let mut fresh = Engine::new(Arc::clone(&map), cfg);
    for s in active.values() {
        fresh.set(s.clone());
    }
    fresh.recompute_full();
    for (i, (a, b)) in engine
        .home_avail()
        .iter()
        .zip(fresh.home_avail())
        .enumerate()
    {
        assert!((a - b).abs() < 1e-4, "item {i}: {a} vs {b}");
    }
    for l in 0..map.line_count() as u32 {
        let (a, b) = (engine.line_output(l), fresh.line_output(l));
        assert!((a - b).abs() < 1e-4, "line {l}: {a} vs {b}");
    }
    // With the budget forced low, both paths were taken: some updates
    // stayed within it, node by node; some went well past it, which only
    // an update that turned to sweeping does.
    if let Some(after) = sweep_after {
        assert!(evaluations.iter().any(|e| *e <= after), "{evaluations:?}");
        assert!(
            evaluations.iter().any(|e| *e > 2 * after),
            "{evaluations:?}"
        );
    }
}

/// After a burst of national-scale shocks the monitor judges hundreds of
/// nodes at once, spread over the cores (`assess::risks`): each must get
/// exactly the risk it gets alone, whatever the number of threads.
#[test]
fn risks_judged_side_by_side_equal_risks_judged_one_by_one() {
    let (map, _) = prepare(&GenSpec::new(2_000, 7)).expect("generated map is valid");
    let config = CoreConfig::default();
    let mut engine = Engine::new(Arc::clone(&map), config.propagation.clone());
    let mut stream = EventStream::new(Arc::clone(&map), 7, 10);
    for _ in 0..40 {
        match stream.next_step() {
            Step::Set(_, shock) => engine.set(shock),
            Step::End(_, key) => engine.end(&key),
        };
    }
    let short: Vec<NodeRef> = (0..map.items.len() as u32)
        .map(NodeRef::Item)
        .chain((0..map.firms.len() as u32).map(NodeRef::Firm))
        .filter(|n| match *n {
            NodeRef::Item(i) => engine.home_avail()[i as usize] < 0.95,
            NodeRef::Firm(f) => engine.firm_supply(f) < 0.95,
        })
        .collect();
    assert!(short.len() >= 100, "only {} nodes short", short.len());
    let now = stream.now();
    let alone = Assessor::new(&engine, &config, now);
    let one_by_one: Vec<f64> = short.iter().map(|n| alone.risk(*n)).collect();
    assert!(one_by_one.iter().any(|r| *r > 0.0));
    for threads in [1, 2, 3] {
        let side_by_side = risks_on(threads, &engine, &config, now, &short);
        assert_eq!(side_by_side, one_by_one, "on {threads} threads");
    }
}

/// The sweep settles a wave's lines on several cores (`engine::waves`):
/// items of one wave neither read nor feed each other, so the values, and
/// what each update reports moved, are exactly those of one core.
#[test]
fn a_sweep_split_over_cores_leaves_exactly_what_one_core_leaves() {
    let (map, _) = prepare(&GenSpec::new(2_000, 11)).expect("generated map is valid");
    let engine_on = |threads: usize| {
        let cfg = PropagationConfig {
            sweep_threads: threads,
            // Split every wave that has two stale lines, to split often.
            sweep_split_from: 2,
            ..PropagationConfig::default()
        };
        let mut engine = Engine::new(Arc::clone(&map), cfg);
        engine.set_sweep_after(Some(500));
        engine
    };
    let mut one = engine_on(1);
    let mut many = engine_on(3);
    let mut stream = EventStream::new(Arc::clone(&map), 11, 10);
    let mut swept = 0;
    for _ in 0..60 {
        let step = stream.next_step();
        let (a, b) = match step {
            Step::Set(_, shock) => (one.set(shock.clone()), many.set(shock)),
            Step::End(_, key) => (one.end(&key), many.end(&key)),
        };
        assert_eq!(
            (&a.items, &a.firms, a.evaluations, a.swept),
            (&b.items, &b.firms, b.evaluations, b.swept)
        );
        swept += usize::from(a.evaluations > 1_000);
    }
    assert!(swept >= 5, "only {swept} updates turned to a sweep");
    for l in 0..map.line_count() as u32 {
        assert_eq!(
            one.line_output(l).to_bits(),
            many.line_output(l).to_bits(),
            "line {l}"
        );
    }
    assert_eq!(one.home_avail(), many.home_avail());
    one.recompute_full();
    many.recompute_full();
    for l in 0..map.line_count() as u32 {
        assert_eq!(
            one.line_output(l).to_bits(),
            many.line_output(l).to_bits(),
            "line {l}"
        );
    }
}
