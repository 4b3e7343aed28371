//! Synthetic national-scale chain maps for benchmarks, load tests and demos.
//!
//! The shape follows a real high-tech industrial chain so that propagation
//! costs what it would on real data:
//! - five tiers (raw materials → materials → components and equipment →
//!   modules → end products), item count ≈ firms / 40 (at least 50), with
//!   Zipf-popular items in each tier and chain branch;
//! - recipes of 1–4 inputs from lower tiers, mostly critical; a few feedback
//!   inputs from higher tiers (equipment needs chips) that are always
//!   non-critical and light, so cycles exist but contract;
//! - producers with Pareto-sized capacity (a few dominant, many small),
//!   shares per item summing to 85–100%, spare capacity 0–0.3;
//! - firms located mostly at home (CN ≈ 60%), some subject to US rules, ~2%
//!   owned through holding groups (never in a majority cycle); firms from the
//!   component tier up buy 1–4 inputs with days of stock;
//! - five chains with items on branches, key nodes where supply is most
//!   concentrated, and same-grade and downgraded substitutes within families.
//!
//! At 1M firms this is about 2.5M production lines and 2.4M bought inputs
//! (≈ 5M dependency edges). Deterministic for a seed: one ChaCha8 stream,
//! no hash-order dependence.

mod firms;
mod items;
mod names;
mod sample;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::map::{ChainDoc, ChainMapDoc, SCHEMA_VERSION};

use names::{CHAINS, HOME};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenSpec {
    /// Firms in the map, holding groups included.
    pub firms: usize,
    pub seed: u64,
    /// Items; `None` derives `firms / 40`, at least 50.
    pub items: Option<usize>,
    /// Share of materials and equipment items with a feedback input from a
    /// higher tier (0 makes the map acyclic, which isolates what cycles cost).
    pub feedback: f64,
}

impl GenSpec {
    pub fn new(firms: usize, seed: u64) -> GenSpec {
        GenSpec {
            firms,
            seed,
            items: None,
            feedback: items::FEEDBACK,
        }
    }

    pub fn item_count(&self) -> usize {
        self.items.unwrap_or(self.firms / 40).max(50)
    }
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec::new(10_000, 1)
    }
}

/// Key nodes listed per chain: the most concentrated items (and the firm
/// dominating the first), a handful so per-node metrics stay bounded.
const KEY_ITEMS: usize = 3;

/// Generates the map `spec` describes; it passes `crate::map::validate`.
pub fn generate(spec: &GenSpec) -> ChainMapDoc {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let cat = items::catalogue(spec.item_count(), spec.feedback, &mut rng);
    let made = firms::firms(spec.firms, &cat, &mut rng);

    let chains = CHAINS
        .iter()
        .enumerate()
        .map(|(c, (id, name, _))| {
            // Concentration matters most where there is no home-made stand-in:
            // materials, components and equipment.
            let mut candidates: Vec<(f64, usize)> = (0..cat.items.len())
                .filter(|i| cat.chain[*i] as usize == c && (1..=3).contains(&cat.tier[*i]))
                .filter(|i| made.top[*i].0 > 0.0)
                .map(|i| (made.top[i].0, i))
                .collect();
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut key_nodes: Vec<String> = candidates
                .iter()
                .take(KEY_ITEMS)
                .map(|(_, i)| cat.items[*i].id.clone())
                .collect();
            if let Some((_, i)) = candidates.first() {
                key_nodes.push(made.firms[made.top[*i].1 as usize].id.clone());
            }
            ChainDoc {
                id: id.to_string(),
                name: name.to_string(),
                key_nodes,
                roster: serde_json::Value::Null,
            }
        })
        .collect();

    ChainMapDoc {
        version: SCHEMA_VERSION,
        home: HOME.to_string(),
        source: Some(format!(
            "synthetic map from chainwatch genmap (firms {}, seed {}); not real data",
            spec.firms, spec.seed
        )),
        chains,
        items: cat.items,
        firms: made.firms,
        substitutes: cat.substitutes,
    }
}

#[cfg(test)]
mod tests;
