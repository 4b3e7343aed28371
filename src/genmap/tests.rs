//! The generated map is valid, deterministic and shaped as promised.

use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::config::PropagationConfig;
use crate::engine::Engine;
use crate::map::{validate, ChainMap};
use crate::shock::{Effect, Shock, ShockKey};

fn compiled(firms: usize, seed: u64) -> (ChainMapDoc, ChainMap) {
    let doc = generate(&GenSpec::new(firms, seed));
    let problems = validate(&doc);
    assert!(
        problems.is_empty(),
        "{} problems, first: {:?}",
        problems.len(),
        problems.first()
    );
    let map = ChainMap::compile(&doc);
    (doc, map)
}

#[test]
fn small_and_medium_maps_validate() {
    for (firms, seed) in [(0, 1), (1, 1), (7, 2), (300, 3), (5_000, 4), (20_000, 5)] {
        let (doc, map) = compiled(firms, seed);
        assert_eq!(doc.firms.len(), firms);
        assert_eq!(map.items.len(), GenSpec::new(firms, seed).item_count());
    }
}

#[test]
fn same_seed_same_map_other_seed_other_map() {
    let a = generate(&GenSpec::new(2_000, 9));
    let b = generate(&GenSpec::new(2_000, 9));
    let c = generate(&GenSpec::new(2_000, 10));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn about_five_edges_per_firm_and_sixty_percent_at_home() {
    let (doc, map) = compiled(40_000, 1);
    let per_firm = map.dependency_edges() as f64 / doc.firms.len() as f64;
    assert!((4.5..=5.5).contains(&per_firm), "{per_firm} edges per firm");
    let home = doc.firms.iter().filter(|f| f.country == "CN").count() as f64;
    let share = home / doc.firms.len() as f64;
    assert!((0.55..=0.65).contains(&share), "{share} at home");
    let owned = doc.firms.iter().filter(|f| !f.owners.is_empty()).count() as f64;
    assert!((0.01..=0.03).contains(&(owned / doc.firms.len() as f64)));
    let subject = doc
        .firms
        .iter()
        .filter(|f| !f.jurisdictions.is_empty())
        .count();
    assert!(subject > 0);
    assert!(!doc.substitutes.is_empty());
    assert!(doc
        .substitutes
        .iter()
        .any(|s| s.grade == crate::map::SubstituteGrade::Downgraded));
    assert!(doc
        .substitutes
        .iter()
        .any(|s| s.grade == crate::map::SubstituteGrade::SameGrade));
    for chain in &doc.chains {
        assert!(
            !chain.key_nodes.is_empty(),
            "chain {} has no key node",
            chain.id
        );
    }
}

#[test]
fn producers_follow_a_heavy_tail() {
    let (_, map) = compiled(40_000, 2);
    // The most crowded item: its leader dwarfs its median producer.
    let crowded = (0..map.items.len() as u32)
        .max_by_key(|i| map.producers(*i).len())
        .unwrap_or(0);
    let mut shares: Vec<f64> = map.producers(crowded).iter().map(|l| l.share).collect();
    assert!(shares.len() > 100, "{} producers", shares.len());
    shares.sort_by(f64::total_cmp);
    let median = shares[shares.len() / 2];
    let top = shares[shares.len() - 1];
    assert!(top > 50.0 * median, "top {top} median {median}");
    let sum: f64 = shares.iter().sum();
    assert!(sum <= 1.0 + 1e-9);
}

/// Critical edges (recipe and bought inputs) run strictly up the tiers, and
/// every upward edge is non-critical and light: cycles exist and contract.
#[test]
fn critical_edges_are_acyclic_and_feedback_is_light() {
    let (doc, map) = compiled(20_000, 3);
    let tier: HashMap<&str, usize> = doc
        .items
        .iter()
        .map(|it| {
            let code = it.id.split('.').nth(1).unwrap_or("");
            let t = names::TIER_CODES.iter().position(|c| *c == code);
            (it.id.as_str(), t.unwrap_or(usize::MAX))
        })
        .collect();
    let mut feedback = 0;
    for item in &doc.items {
        let t = tier[item.id.as_str()];
        for input in &item.inputs {
            let u = tier[input.item.as_str()];
            if u >= t {
                feedback += 1;
                assert!(!input.critical && input.weight <= 0.2, "{input:?}");
            }
        }
        let light: f64 = item
            .inputs
            .iter()
            .filter(|x| !x.critical)
            .map(|x| x.weight)
            .sum();
        assert!(light <= 0.3 + 1e-9);
    }
    assert!(feedback > 0, "no feedback edge to make a cycle");
    for firm in &doc.firms {
        let made = firm.produces.iter().map(|p| tier[p.item.as_str()]).min();
        for u in firm.consumes.iter().filter(|u| u.critical) {
            assert!(Some(tier[u.item.as_str()]) < made, "{}", firm.id);
        }
    }
    let _ = map;
}

#[test]
fn propagation_settles_on_a_generated_map() {
    let (_, map) = compiled(3_000, 4);
    let map = Arc::new(map);
    let mut engine = Engine::new(Arc::clone(&map), PropagationConfig::default());
    // Knock out the biggest producer of the most used raw material.
    let raw = (0..map.items.len() as u32)
        .filter(|i| map.recipe(*i).is_empty())
        .max_by_key(|i| map.recipe_users(*i).len() + map.consumers(*i).len())
        .unwrap_or(0);
    let line = map
        .producers(raw)
        .iter()
        .max_by(|a, b| a.share.total_cmp(&b.share))
        .copied();
    let Some(line) = line else {
        panic!("raw material {raw} has no producer");
    };
    let shock = Shock {
        key: ShockKey::Incident("fire".into()),
        event_id: "e1".into(),
        also: Vec::new(),
        parts: Vec::new(),
        since: chrono::DateTime::UNIX_EPOCH,
        began: chrono::DateTime::UNIX_EPOCH,
        recovery_days: Some(30.0),
        effects: vec![Effect::CapacityLoss {
            firm: line.firm,
            items: None,
            loss: 1.0,
        }],
    };
    let out = engine.set(shock);
    assert!(!out.bounded);
    assert!(!out.items.is_empty());
    let incremental = engine.home_avail().to_vec();
    let full = engine.recompute_full();
    assert!(!full.bounded);
    for (a, b) in incremental.iter().zip(engine.home_avail()) {
        assert!((a - b).abs() < 1e-6);
    }
    engine.end(&ShockKey::Incident("fire".into()));
    // Values rise by moves over epsilon only, so full supply comes back to
    // within the error bound (an update that recomputed everything, as one
    // this large did until 29 November, came back to exactly 1); assessors
    // count a shortfall within the bound as none.
    let bound = engine.error_bound();
    assert!(bound < 0.01, "{bound}");
    for (i, v) in engine.home_avail().iter().enumerate() {
        assert!(1.0 - v <= bound, "item {i}: {v}, bound {bound}");
    }
}
