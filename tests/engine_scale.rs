//! On a generated map large enough for updates to fall back to a full sweep
//! when they touch most of it, the engine still ends where a fresh full
//! recomputation under the same shocks ends.

use std::collections::BTreeMap;
use std::sync::Arc;

use chainwatch::bench::{prepare, EventStream, Step};
use chainwatch::config::PropagationConfig;
use chainwatch::engine::Engine;
use chainwatch::genmap::GenSpec;
use chainwatch::shock::{Shock, ShockKey};

#[test]
fn updates_on_a_generated_map_match_a_fresh_full_recomputation() {
    // Updates here stay under the node count, so the fallback is forced
    // lower to take both paths.
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
    // With the fallback forced low, both paths were taken: some updates
    // stayed local, some swept (a sweep evaluates every line at least once).
    if let Some(after) = sweep_after {
        let nodes = map.line_count() as u64;
        assert!(evaluations.iter().any(|e| *e <= after), "{evaluations:?}");
        assert!(evaluations.iter().any(|e| *e >= nodes), "{evaluations:?}");
    }
}
