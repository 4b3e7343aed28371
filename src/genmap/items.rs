//! The item catalogue of a generated map: five tiers from raw materials to
//! end products, each item in one chain's branch, with recipes drawn from
//! lower tiers, a few non-critical feedback inputs from higher tiers (tools
//! need chips), families with grades, and substitutes within a family.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::map::{InputDoc, ItemDoc, SubstituteDoc, SubstituteGrade};

use super::names::{CHAINS, ITEM_WORDS, TIER_CODES};
use super::sample::{pick_weighted, shuffle, uniform, Group};

pub const TIERS: usize = 5;

/// Share of items per tier: components and equipment are the most varied.
const ITEM_SHARE: [f64; TIERS] = [0.08, 0.15, 0.30, 0.27, 0.20];
/// Days of stock buyers hold, per tier: raw materials are stockpiled, end
/// products ship to order.
const STOCK_DAYS: [(f64, f64); TIERS] = [
    (30.0, 90.0),
    (20.0, 60.0),
    (10.0, 45.0),
    (5.0, 30.0),
    (0.0, 20.0),
];
/// Recipe length 1..=4, most recipes two or three inputs.
const RECIPE_LEN: [f64; 4] = [0.20, 0.35, 0.30, 0.15];
/// Zipf exponent of item popularity within a group, for producers, recipe
/// inputs and consumption alike: a few commodity items are used everywhere.
pub const POPULARITY: f64 = 0.8;
/// Non-critical recipe inputs together carry at most this weight, so that
/// every cycle (which must pass a non-critical edge) contracts.
const NON_CRITICAL_BUDGET: f64 = 0.3;
/// Share of tier-1 and tier-2 items (materials, equipment) with a feedback
/// input, by default.
pub const FEEDBACK: f64 = 0.04;
/// Share of tier-1..=3 items that start a family.
const FAMILY: f64 = 0.08;

pub struct Catalogue {
    pub items: Vec<ItemDoc>,
    pub substitutes: Vec<SubstituteDoc>,
    pub tier: Vec<u8>,
    /// The chain whose branch the item is on (its first listed chain).
    pub chain: Vec<u8>,
    /// `groups[tier][chain]`: items by popularity.
    groups: Vec<Vec<Group>>,
}

impl Catalogue {
    /// A popularity-weighted item of `tier` on `chain`'s branch, falling back
    /// to the other branches of the tier when that one is empty.
    pub fn pick(&self, tier: usize, chain: usize, rng: &mut ChaCha8Rng) -> Option<u32> {
        let row = self.groups.get(tier)?;
        (0..row.len())
            .map(|k| (chain + k) % row.len())
            .find_map(|c| row[c].pick(rng))
    }

    /// A chain's branch: the same one mostly, sometimes another by weight.
    pub fn branch(same: usize, stay: f64, rng: &mut ChaCha8Rng) -> usize {
        if rng.gen_bool(stay) {
            same
        } else {
            pick_weighted(rng, &CHAIN_WEIGHTS)
        }
    }

    /// A tier below `tier` (which must be at least 1): the one just below
    /// mostly, any lower one otherwise.
    pub fn lower_tier(tier: usize, rng: &mut ChaCha8Rng) -> usize {
        if tier == 1 || rng.gen_bool(0.6) {
            tier - 1
        } else {
            rng.gen_range(0..tier)
        }
    }
}

pub const CHAIN_WEIGHTS: [f64; 5] = [
    CHAINS[0].2,
    CHAINS[1].2,
    CHAINS[2].2,
    CHAINS[3].2,
    CHAINS[4].2,
];

/// Items per tier for `n` items: at least one per chain in every tier.
fn tier_counts(n: usize) -> [usize; TIERS] {
    let min = CHAINS.len();
    let mut counts = [0usize; TIERS];
    for t in 0..TIERS {
        counts[t] = ((n as f64 * ITEM_SHARE[t]) as usize).max(min);
    }
    // The components tier takes the rounding so the total is `n`.
    let others: usize = counts
        .iter()
        .enumerate()
        .filter(|(t, _)| *t != 2)
        .map(|(_, c)| c)
        .sum();
    counts[2] = n.saturating_sub(others).max(min);
    counts
}

pub fn catalogue(n: usize, feedback: f64, rng: &mut ChaCha8Rng) -> Catalogue {
    let counts = tier_counts(n);
    let total: usize = counts.iter().sum();
    let mut items = Vec::with_capacity(total);
    let mut tier = Vec::with_capacity(total);
    let mut chain = Vec::with_capacity(total);
    let mut members: Vec<Vec<Vec<u32>>> = vec![vec![Vec::new(); CHAINS.len()]; TIERS];
    for (t, count) in counts.iter().enumerate() {
        for k in 0..*count {
            // The first items of a tier visit every chain, so no branch is empty.
            let c = if k < CHAINS.len() {
                k
            } else {
                pick_weighted(rng, &CHAIN_WEIGHTS)
            };
            let ix = items.len() as u32;
            let nth = members[t][c].len();
            members[t][c].push(ix);
            let words = ITEM_WORDS[c][t];
            let word = words[nth % words.len()];
            let name = match nth / words.len() {
                0 => word.to_string(),
                round => format!("{word} #{}", round + 1),
            };
            let (lo, hi) = STOCK_DAYS[t];
            items.push(ItemDoc {
                id: format!("{}.{}.{nth}", CHAINS[c].0, TIER_CODES[t]),
                name,
                family: None,
                grade: None,
                inventory_days: uniform(rng, lo, hi, 1.0),
                inputs: Vec::new(),
                chains: Vec::new(),
            });
            tier.push(t as u8);
            chain.push(c as u8);
        }
    }
    let groups: Vec<Vec<Group>> = members
        .iter()
        .map(|row| {
            row.iter()
                .map(|m| Group::new(m.clone(), POPULARITY, rng))
                .collect()
        })
        .collect();
    let mut cat = Catalogue {
        items,
        substitutes: Vec::new(),
        tier,
        chain,
        groups,
    };
    let feedback = if feedback.is_finite() {
        feedback.clamp(0.0, 1.0)
    } else {
        0.0
    };
    recipes(&mut cat, feedback, rng);
    chain_membership(&mut cat);
    families(&mut cat, &members, rng);
    cat
}

/// Recipes: 1–4 inputs from lower tiers, mostly critical; non-critical ones
/// light. Then feedback inputs from higher tiers, always non-critical.
fn recipes(cat: &mut Catalogue, feedback: f64, rng: &mut ChaCha8Rng) {
    for i in 0..cat.items.len() {
        let t = cat.tier[i] as usize;
        let c = cat.chain[i] as usize;
        let mut inputs: Vec<InputDoc> = Vec::new();
        let mut light = 0.0;
        if t > 0 {
            let len = pick_weighted(rng, &RECIPE_LEN) + 1;
            for _ in 0..len * 3 {
                if inputs.len() == len {
                    break;
                }
                let from = Catalogue::lower_tier(t, rng);
                let branch = Catalogue::branch(c, 0.7, rng);
                let Some(input) = cat.pick(from, branch, rng) else {
                    continue;
                };
                let id = &cat.items[input as usize].id;
                if inputs.iter().any(|x| &x.item == id) {
                    continue;
                }
                let weight = uniform(rng, 0.05, 0.15, 0.01);
                let critical = rng.gen_bool(0.85) || light + weight > NON_CRITICAL_BUDGET;
                if !critical {
                    light += weight;
                }
                inputs.push(InputDoc {
                    item: id.clone(),
                    critical,
                    weight: if critical { 1.0 } else { weight },
                });
            }
        }
        if (1..=2).contains(&t) && rng.gen_bool(feedback) {
            // Equipment and materials that need chips or modules from above.
            let from = rng.gen_range(3..TIERS);
            let weight = uniform(rng, 0.05, 0.2, 0.01).min(NON_CRITICAL_BUDGET - light);
            if weight >= 0.05 {
                if let Some(input) = cat.pick(from, c, rng) {
                    let id = cat.items[input as usize].id.clone();
                    if !inputs.iter().any(|x| x.item == id) {
                        inputs.push(InputDoc {
                            item: id,
                            critical: false,
                            weight,
                        });
                    }
                }
            }
        }
        cat.items[i].inputs = inputs;
    }
}

/// An item belongs to its own branch's chain and to every chain that uses it
/// through a recipe (gallium is in the IC, PV and NEV chains). Feedback
/// inputs do not pull chips into the equipment's chains.
fn chain_membership(cat: &mut Catalogue) {
    let index: std::collections::HashMap<&str, usize> = cat
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id.as_str(), i))
        .collect();
    let mut mask: Vec<u8> = cat.chain.iter().map(|c| 1u8 << c).collect();
    // Items are laid out tier by tier, so walking backwards visits users
    // before their (lower-tier) inputs.
    for i in (0..cat.items.len()).rev() {
        let t = cat.tier[i];
        for input in &cat.items[i].inputs {
            if let Some(&k) = index.get(input.item.as_str()) {
                if cat.tier[k] < t {
                    mask[k] |= mask[i];
                }
            }
        }
    }
    for (i, item) in cat.items.iter_mut().enumerate() {
        item.chains = (0..CHAINS.len())
            .filter(|c| mask[i] & (1 << c) != 0)
            .map(|c| CHAINS[c].0.to_string())
            .collect();
    }
}

/// Families of 2–4 items of one branch and tier: the first is the family
/// item (grade 1), the others are types of it with grades 1–3. A member may
/// stand in for another of equal grade (same grade) or of a better grade
/// (downgraded).
fn families(cat: &mut Catalogue, members: &[Vec<Vec<u32>>], rng: &mut ChaCha8Rng) {
    for row in members.iter().take(4).skip(1) {
        for group in row {
            let mut order = group.clone();
            shuffle(&mut order, rng);
            let mut k = 0;
            while k < order.len() {
                if !rng.gen_bool(FAMILY) {
                    k += 1;
                    continue;
                }
                let size = rng.gen_range(2..=4).min(order.len() - k);
                if size < 2 {
                    break;
                }
                let family = &order[k..k + size];
                k += size;
                let head = family[0] as usize;
                let head_id = cat.items[head].id.clone();
                cat.items[head].grade = Some(1);
                for &m in &family[1..] {
                    let item = &mut cat.items[m as usize];
                    item.family = Some(head_id.clone());
                    item.grade = Some(rng.gen_range(1..=3));
                }
                for &a in family {
                    for &b in family {
                        let (ga, gb) = (cat.items[a as usize].grade, cat.items[b as usize].grade);
                        if a == b || gb < ga || !rng.gen_bool(0.5) {
                            continue;
                        }
                        let (grade, switch, coverage) = if gb == ga {
                            (SubstituteGrade::SameGrade, (30.0, 120.0), (0.3, 0.9))
                        } else {
                            (SubstituteGrade::Downgraded, (7.0, 45.0), (0.5, 1.0))
                        };
                        cat.substitutes.push(SubstituteDoc {
                            from: cat.items[a as usize].id.clone(),
                            to: cat.items[b as usize].id.clone(),
                            grade,
                            switch_days: uniform(rng, switch.0, switch.1, 1.0),
                            coverage: uniform(rng, coverage.0, coverage.1, 0.05),
                        });
                    }
                }
            }
        }
    }
}
