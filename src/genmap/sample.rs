//! Small samplers the generator needs beyond `rand` 0.8's uniform ones: a
//! Zipf-weighted pick, a Pareto size and a pick from a short weighted table.
//! Kept here so the generator reads as a description of the map's shape.

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Items of one (tier, chain) group with Zipf popularity: the item at
/// popularity rank `k` (1-based) is drawn with weight `k^-exponent`. The
/// ranks are a random permutation, so popularity is unrelated to the index.
pub struct Group {
    pub items: Vec<u32>,
    dist: Option<WeightedIndex<f64>>,
}

impl Group {
    pub fn new(items: Vec<u32>, exponent: f64, rng: &mut ChaCha8Rng) -> Group {
        let mut ranks: Vec<usize> = (1..=items.len()).collect();
        shuffle(&mut ranks, rng);
        let weights: Vec<f64> = ranks.iter().map(|k| (*k as f64).powf(-exponent)).collect();
        // An empty group has no distribution; callers fall back to another group.
        let dist = WeightedIndex::new(&weights).ok();
        Group { items, dist }
    }

    /// A popularity-weighted item, or `None` for an empty group.
    pub fn pick(&self, rng: &mut ChaCha8Rng) -> Option<u32> {
        self.dist.as_ref().map(|d| self.items[d.sample(rng)])
    }
}

/// Fisher–Yates, written out so the sequence depends on nothing but the rng.
pub fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.gen_range(0..=i);
        v.swap(i, j);
    }
}

/// A Pareto(1, alpha) draw capped at `cap`: firm sizes, where alpha ≈ 1.16 is
/// the 80/20 rule. The cap keeps one freak draw from owning every market.
pub fn pareto(rng: &mut ChaCha8Rng, alpha: f64, cap: f64) -> f64 {
    // 1 - gen() lies in (0, 1], so the power is finite.
    let u: f64 = 1.0 - rng.gen::<f64>();
    u.powf(-1.0 / alpha).min(cap)
}

/// Index into a short table of weights (they need not sum to 1).
pub fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// Uniform in `lo..hi`, rounded to `step` so the written map stays short.
pub fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64, step: f64) -> f64 {
    let v = lo + rng.gen::<f64>() * (hi - lo);
    ((v / step).round() * step).clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn zipf_prefers_its_top_rank() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let g = Group::new((0..100).collect(), 1.0, &mut rng);
        let mut count = [0u32; 100];
        for _ in 0..20_000 {
            if let Some(i) = g.pick(&mut rng) {
                count[i as usize] += 1;
            }
        }
        let max = *count.iter().max().unwrap_or(&0);
        let min = *count.iter().min().unwrap_or(&0);
        assert!(max > 20 * min.max(1), "max {max} min {min}");
    }

    #[test]
    fn empty_group_picks_nothing() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let g = Group::new(Vec::new(), 1.0, &mut rng);
        assert_eq!(g.pick(&mut rng), None);
    }

    #[test]
    fn pareto_is_at_least_one_and_capped() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..10_000 {
            let v = pareto(&mut rng, 1.16, 1e4);
            assert!((1.0..=1e4).contains(&v));
        }
    }
}
