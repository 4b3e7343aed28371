//! The firms of a generated map: holding groups that own others, and
//! operating firms that make 1–3 items (a tail up to 6) of one tier with
//! Pareto-sized capacity, so each item has a few dominant producers and many
//! small ones. Firms above the component tier also buy inputs with stock.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::map::{ConsumesDoc, FirmDoc, OwnerDoc, ProducesDoc};

use super::items::{Catalogue, CHAIN_WEIGHTS, TIERS};
use super::names::{ABROAD, HOME, HOME_SHARE, ITEM_WORDS};
use super::sample::{pareto, pick_weighted, uniform};

/// Share of operating firms per primary tier.
const FIRM_SHARE: [f64; TIERS] = [0.05, 0.12, 0.33, 0.30, 0.20];
/// Items a firm makes: 1..=6, mostly 1–3.
const PRODUCES_LEN: [f64; 6] = [0.20, 0.27, 0.25, 0.15, 0.08, 0.05];
/// Items a firm at the component tier or above buys: 1..=4.
const CONSUMES_LEN: [f64; 4] = [0.15, 0.30, 0.30, 0.25];
/// One firm in this many is a holding group that makes nothing.
const HOLDING_EVERY: usize = 250;
/// Share of operating firms with owners in the map.
const OWNED: f64 = 0.02;
/// Share of firms outside the US subject to US export rules too (US
/// technology or US-origin content above de minimis).
const SUBJECT_TO_US: f64 = 0.05;
/// Pareto exponent of firm size (the 80/20 rule) and its cap.
const SIZE_ALPHA: f64 = 1.16;
const SIZE_CAP: f64 = 1e5;
/// Non-critical consumption together weighs at most this much.
const NON_CRITICAL_BUDGET: f64 = 0.2;

pub struct Firms {
    pub firms: Vec<FirmDoc>,
    /// Per item: the largest producer share and that producer's index.
    pub top: Vec<(f64, u32)>,
}

fn country(rng: &mut ChaCha8Rng, tier: usize) -> &'static str {
    if rng.gen_bool(HOME_SHARE[tier]) {
        return HOME;
    }
    let weights: [f64; ABROAD.len()] = std::array::from_fn(|k| ABROAD[k].1);
    ABROAD[pick_weighted(rng, &weights)].0
}

fn jurisdictions(rng: &mut ChaCha8Rng, country: &str) -> Vec<String> {
    if country != "US" && rng.gen_bool(SUBJECT_TO_US) {
        vec!["US".to_string()]
    } else {
        Vec::new()
    }
}

fn firm(id: usize, name: String, country: &str, rng: &mut ChaCha8Rng) -> FirmDoc {
    FirmDoc {
        id: format!("F{id}"),
        name,
        aliases: Vec::new(),
        external_ids: Default::default(),
        jurisdictions: jurisdictions(rng, country),
        country: country.to_string(),
        owners: Vec::new(),
        produces: Vec::new(),
        consumes: Vec::new(),
    }
}

/// Owners for firm `f`: always firms of a lower index, so majority holdings
/// can never close a cycle. Holdings (the lowest indices) own most.
fn owners(f: usize, holdings: usize, rng: &mut ChaCha8Rng) -> Vec<OwnerDoc> {
    if f == 0 {
        return Vec::new();
    }
    let pick = |rng: &mut ChaCha8Rng| -> usize {
        if holdings > 0 && (f <= holdings || rng.gen_bool(0.7)) {
            rng.gen_range(0..holdings.min(f))
        } else {
            rng.gen_range(holdings.min(f - 1)..f)
        }
    };
    let first = pick(rng);
    let share = uniform(rng, 0.3, 1.0, 0.01);
    let mut out = vec![OwnerDoc {
        firm: format!("F{first}"),
        share,
    }];
    if share <= 0.9 && rng.gen_bool(0.1) {
        let second = pick(rng);
        if second != first {
            out.push(OwnerDoc {
                firm: format!("F{second}"),
                share: uniform(rng, 0.05, 1.0 - share, 0.01),
            });
        }
    }
    out
}

pub fn firms(n: usize, cat: &Catalogue, rng: &mut ChaCha8Rng) -> Firms {
    let holdings = n / HOLDING_EVERY;
    let mut firms = Vec::with_capacity(n);
    for h in 0..holdings {
        let c = country(rng, 0);
        let mut doc = firm(h, format!("Holding Group {h}"), c, rng);
        if h > 0 && rng.gen_bool(0.2) {
            doc.owners = owners(h, h, rng);
        }
        firms.push(doc);
    }

    // First pass: lines carry the producer's size in `share`.
    let mut total = vec![0.0f64; cat.items.len()];
    // Item of every line in document order, so the second pass need not
    // look ids up again.
    let mut line_items: Vec<u32> = Vec::with_capacity(n * 3);
    for f in holdings..n {
        let t = pick_weighted(rng, &FIRM_SHARE);
        let c = pick_weighted(rng, &CHAIN_WEIGHTS);
        let Some(primary) = cat.pick(t, c, rng) else {
            continue;
        };
        let words = ITEM_WORDS[c][t];
        let name = format!("{} Co. {f}", words[f % words.len()]);
        let home = country(rng, t);
        let mut doc = firm(f, name, home, rng);
        if rng.gen_bool(OWNED) {
            doc.owners = owners(f, holdings, rng);
        }

        let size = pareto(rng, SIZE_ALPHA, SIZE_CAP);
        let len = pick_weighted(rng, &PRODUCES_LEN) + 1;
        let mut made: Vec<u32> = Vec::with_capacity(len);
        made.push(primary);
        for _ in 0..len * 3 {
            if made.len() == len {
                break;
            }
            // Related products: the same tier, mostly the same branch.
            let branch = Catalogue::branch(c, 0.7, rng);
            if let Some(i) = cat.pick(t, branch, rng) {
                if !made.contains(&i) {
                    made.push(i);
                }
            }
        }
        doc.produces = made
            .iter()
            .map(|&i| {
                // A firm's lines differ in size around the firm's own.
                let line = size * uniform(rng, 0.5, 2.0, 0.01);
                total[i as usize] += line;
                line_items.push(i);
                ProducesDoc {
                    item: cat.items[i as usize].id.clone(),
                    share: line,
                    spare: if rng.gen_bool(0.4) {
                        0.0
                    } else {
                        uniform(rng, 0.01, 0.3, 0.01)
                    },
                }
            })
            .collect();

        // Inputs bought from strictly lower tiers keep critical edges acyclic.
        let wants = match t {
            0 => 0,
            1 => usize::from(rng.gen_bool(0.5)),
            _ => pick_weighted(rng, &CONSUMES_LEN) + 1,
        };
        let mut light = 0.0;
        let mut bought: Vec<u32> = Vec::with_capacity(wants);
        let mut consumes = Vec::with_capacity(wants);
        for _ in 0..wants * 3 {
            if bought.len() == wants {
                break;
            }
            let from = Catalogue::lower_tier(t, rng);
            let branch = Catalogue::branch(c, 0.7, rng);
            let Some(i) = cat.pick(from, branch, rng) else {
                continue;
            };
            if bought.contains(&i) {
                continue;
            }
            bought.push(i);
            let weight = uniform(rng, 0.05, 0.1, 0.01);
            let critical = rng.gen_bool(0.8) || light + weight > NON_CRITICAL_BUDGET;
            if !critical {
                light += weight;
            }
            consumes.push(ConsumesDoc {
                item: cat.items[i as usize].id.clone(),
                inventory_days: Some(uniform(rng, 0.0, 60.0, 1.0)),
                critical,
                weight: if critical { 1.0 } else { weight },
            });
        }
        doc.consumes = consumes;
        firms.push(doc);
    }

    // Second pass: sizes become shares of the item's world supply. The map
    // covers 85–100% of each item; the rest is made by firms it does not know.
    let coverage: Vec<f64> = (0..cat.items.len())
        .map(|_| uniform(rng, 0.85, 1.0, 0.01))
        .collect();
    let mut top = vec![(0.0f64, 0u32); cat.items.len()];
    let mut next = line_items.iter();
    for (f, doc) in firms.iter_mut().enumerate() {
        for p in &mut doc.produces {
            let Some(&i) = next.next() else {
                break;
            };
            let i = i as usize;
            p.share = if total[i] > 0.0 {
                p.share / total[i] * coverage[i]
            } else {
                0.0
            };
            if p.share > top[i].0 {
                top[i] = (p.share, f as u32);
            }
        }
    }
    Firms { firms, top }
}
