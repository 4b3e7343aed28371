//! Price history and spike detection: prices become item-wide scarcity shocks.
//!
//! Per series — one item in one currency and unit (mass and volume in kg
//! and l, so USD/t continues USD/kg), since 10 USD/kg and
//! 70 CNY/kg cannot share a mean — the baseline is the mean of the last
//! `baseline_window` prices that were not spikes. Until a series has
//! `min_samples` of them a price only joins the baseline. A price above
//! `baseline × (1 + spike)` is a spike: it stays out of the baseline (a
//! lasting rise must not become the new normal while it is the alarm).
//!
//! The shock is per item (`ShockKey::Price`): it is active while any series
//! of the item is spiking, starts at the first spike of the episode, and ends
//! when the last spiking series sees a normal price again, or has had none
//! while another series of the item, quoted since before the spike, had three
//! normal ones (the feed moved to another currency or unit). History is kept by
//! item id, not index, so it survives a map reload. Prices are taken in
//! arrival order (the partition's), not sorted by `ts`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::{Change, NormaliseError, Normalised};
use crate::config::PriceConfig;
use crate::event::Price;
use crate::map::{ChainMap, ItemIx};
use crate::shock::{Effect, Shock, ShockKey};

/// Currency and unit of a series of one item.
type Quote = (String, String);

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct PriceBook {
    /// Recent non-spike prices per item and quote, oldest first.
    history: HashMap<String, BTreeMap<Quote, VecDeque<f64>>>,
    /// Items in a spike episode.
    episodes: HashMap<String, Episode>,
    /// Time of the latest price per item and quote: an older one arriving
    /// late is stale (QA: a March spike quote arriving in September reopened
    /// an episode the September price had ended).
    latest: HashMap<(String, Quote), DateTime<Utc>>,
    /// Time of the first price per item and quote: a series that began
    /// during a spike says nothing of the level before it.
    first: HashMap<(String, Quote), DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Episode {
    since: DateTime<Utc>,
    /// Series spiking now, with their latest loss and event.
    spiking: BTreeMap<Quote, (f64, String)>,
    /// Per spiking series, the normal prices other series of the item have
    /// had since its own last price.
    quiet: BTreeMap<Quote, usize>,
}

/// Normal prices of an item in other series, with none in a spiking one,
/// after which that series' spike is taken as over: a feed that moved to
/// another currency or unit would otherwise hold its last spike for good
/// (QA: USD/kg spiked, then months of normal USD/t prices changed nothing).
const SUPERSEDED_AFTER: usize = 3;

/// A unit of mass or volume as its base unit (kg, l) and how many of the
/// base unit it is; any other unit as it is.
fn base_unit(unit: &str) -> (String, f64) {
    let per_base = match unit.trim().to_ascii_lowercase().as_str() {
        "mg" => Some(("kg", 1e-6)),
        "g" => Some(("kg", 1e-3)),
        "kg" => Some(("kg", 1.0)),
        "t" | "tonne" | "tonnes" | "mt" | "metric ton" => Some(("kg", 1e3)),
        "lb" => Some(("kg", 0.453_592_37)),
        "ml" => Some(("l", 1e-3)),
        "l" => Some(("l", 1.0)),
        "m3" | "m³" => Some(("l", 1e3)),
        _ => None,
    };
    match per_base {
        Some((base, n)) => (base.to_string(), n),
        None => (unit.to_string(), 1.0),
    }
}

/// A price as people write it: in full, or in scientific notation past what
/// anyone quotes (QA: 1e300 printed as 301 digits).
fn shown(p: f64) -> String {
    if p == 0.0 || (1e-6..1e15).contains(&p.abs()) {
        format!("{p}")
    } else {
        format!("{p:e}")
    }
}

/// Share of the market that no longer clears at price `p` over `baseline`.
///
/// Price elasticity of demand is taken as -1 (spending constant): at price
/// `p` buyers take `baseline / p` of what they took, so the missing supply is
/// `1 - baseline / p` — at double the price the market clears half.
fn scarcity(baseline: f64, p: f64) -> f64 {
    (1.0 - baseline / p).clamp(0.0, 1.0)
}

impl PriceBook {
    pub(crate) fn observe(
        &mut self,
        config: &PriceConfig,
        map: &ChainMap,
        price: &Price,
    ) -> Result<Normalised, NormaliseError> {
        // Checks first.
        let item = map
            .item(&price.item)
            .ok_or_else(|| NormaliseError::UnknownId {
                path: "item".into(),
                what: "item",
                id: price.item.clone(),
            })?;
        if !(price.price.is_finite() && price.price > 0.0) {
            return Err(NormaliseError::invalid(
                "price",
                format!("must be above 0, got {}", price.price),
            ));
        }

        // Units of one quantity share a series, in its base unit (QA: a
        // feed moving from USD/kg to USD/t started a series of its own and
        // left the USD/kg spike open).
        let given_unit = price.unit.clone().unwrap_or_default();
        let (unit, per_base) = base_unit(&given_unit);
        let p = price.price / per_base;
        // ISO 4217 codes are upper case; "usd" is USD (QA17 F7: a feed in
        // lower case started a series of its own and missed a spike).
        let currency = price.currency.as_deref().unwrap_or_default();
        let quote: Quote = (currency.trim().to_ascii_uppercase(), unit);
        let label = match (&price.currency, &price.unit) {
            (None, None) => price.item.clone(),
            _ if quote.1 != given_unit => format!(
                "{} {}/{} (given per {given_unit})",
                price.item, quote.0, quote.1
            ),
            _ => format!("{} {}/{}", price.item, quote.0, quote.1),
        };
        let series_key = (price.item.clone(), quote.clone());
        if let Some(&latest) = self.latest.get(&series_key) {
            if price.ts < latest {
                return Err(NormaliseError::stale(
                    price.ts,
                    format_args!("the latest price of {label}"),
                    latest,
                ));
            }
        }
        // Nothing below may fail.
        self.latest.insert(series_key.clone(), price.ts);
        let first_seen = *self.first.entry(series_key).or_insert(price.ts);
        let window = self
            .history
            .get(&price.item)
            .and_then(|h| h.get(&quote))
            .map(|w| {
                let n = w.len().min(config.baseline_window);
                w.iter().skip(w.len() - n).copied().collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut notes = Vec::new();
        let baseline = if window.len() >= config.min_samples && !window.is_empty() {
            // Each over n before adding: prices near f64::MAX would overflow a
            // plain sum (QA: three of 1e308 and a spike went unseen).
            let n = window.len() as f64;
            Some(window.iter().map(|p| p / n).sum::<f64>())
        } else if window.is_empty() {
            notes.push(format!("{label}: first price seen, it starts the baseline"));
            None
        } else {
            notes.push(format!(
                "{label}: baseline has {} of the {} prices needed before spikes are judged",
                window.len(),
                config.min_samples
            ));
            None
        };
        let spike = baseline.filter(|b| p / b > 1.0 + config.spike);

        if let Some(base) = spike {
            let loss = scarcity(base, p);
            let episode = self
                .episodes
                .entry(price.item.clone())
                .or_insert_with(|| Episode {
                    since: price.ts,
                    spiking: BTreeMap::new(),
                    quiet: BTreeMap::new(),
                });
            episode.quiet.insert(quote.clone(), 0);
            episode.spiking.insert(quote, (loss, price.id.clone()));
            let over = (p / base - 1.0) * 100.0;
            // A wild quote (1e300) would print hundreds of digits (QA).
            let over = if over < 1e6 {
                format!("{over:.1}")
            } else if over.is_finite() {
                format!("{over:.3e}")
            } else {
                "more than 1e308".to_string()
            };
            notes.push(format!(
                "{label}: {} is {over}% over the baseline {} of {} prices: scarcity {:.1}%",
                shown(p),
                shown(base),
                window.len(),
                loss * 100.0
            ));
            let scarce = map.made_members(item);
            if scarce != [item] {
                notes.push(super::stands_for_note(
                    map,
                    &price.item,
                    item,
                    |p| format!("the scarcity acts on {p}, where its stock is"),
                    &scarce,
                ));
            }
            let change = Change::Set(shock(config, item, &scarce, episode));
            return Ok(Normalised {
                changes: vec![change],
                notes,
            });
        }

        let series = self
            .history
            .entry(price.item.clone())
            .or_default()
            .entry(quote.clone())
            .or_default();
        series.push_back(p);
        while series.len() > config.baseline_window {
            series.pop_front();
        }
        let mut changes = Vec::new();
        if let Some(episode) = self.episodes.get_mut(&price.item) {
            let mut ended = Vec::new();
            if episode.spiking.remove(&quote).is_some() {
                episode.quiet.remove(&quote);
                notes.push(format!(
                    "{label}: {} is back within the spike threshold",
                    shown(p)
                ));
                ended.push(quote.clone());
            }
            // Only a judged price says the item is at its normal level, and
            // only in a series quoted before the spike began: one that
            // started during it has the spiked level as its normal (QA: a
            // feed that moved to USD/t at the spiked price ended the spike).
            if baseline.is_some() && first_seen < episode.since {
                for (other, count) in episode.quiet.iter_mut() {
                    *count += 1;
                    if *count >= SUPERSEDED_AFTER {
                        let series = if other.0.is_empty() && other.1.is_empty() {
                            format!("{} (no currency or unit)", price.item)
                        } else {
                            format!("{} {}/{}", price.item, other.0, other.1)
                        };
                        notes.push(format!(
                            "{series}: no price since its spike, while {label} has had \
                             {SUPERSEDED_AFTER} normal prices: its spike is taken as over"
                        ));
                        ended.push(other.clone());
                    }
                }
                for q in &ended {
                    episode.spiking.remove(q);
                    episode.quiet.remove(q);
                }
            }
            if !ended.is_empty() {
                if episode.spiking.is_empty() {
                    self.episodes.remove(&price.item);
                    changes.push(Change::End(ShockKey::Price(item)));
                } else {
                    let scarce = map.made_members(item);
                    changes.push(Change::Set(shock(config, item, &scarce, episode)));
                }
            }
        }
        Ok(Normalised { changes, notes })
    }
}

/// The item's shock: the worst series spiking now, since the episode
/// began, on the items it makes scarce.
fn shock(config: &PriceConfig, item: ItemIx, scarce: &[ItemIx], episode: &Episode) -> Shock {
    let (loss, event_id) =
        episode
            .spiking
            .values()
            .fold((0.0, String::new()), |worst, (loss, id)| {
                if *loss > worst.0 || worst.1.is_empty() {
                    (*loss, id.clone())
                } else {
                    worst
                }
            });
    Shock {
        key: ShockKey::Price(item),
        event_id,
        also: Vec::new(),
        parts: Vec::new(),
        since: episode.since,
        began: episode.since,
        recovery_days: Some(config.assumed_recovery_days),
        effects: scarce
            .iter()
            .map(|&item| Effect::Scarcity { item, loss })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::map::parse_str;

    const MAP: &str = r#"{"version": 1, "home": "CN", "chains": [],
        "items": [{"id": "N1", "name": "neon"}], "firms": []}"#;

    fn price(id: &str, day: u32, p: f64, currency: &str) -> Price {
        Price {
            id: id.into(),
            ts: Utc.with_ymd_and_hms(2024, 1, day, 0, 0, 0).unwrap(),
            item: "N1".into(),
            price: p,
            currency: Some(currency.into()),
            unit: Some("kg".into()),
            source: Some("test".into()),
        }
    }

    fn scarcity_of(n: &Normalised) -> (f64, &str, u32) {
        match &n.changes[..] {
            [Change::Set(s)] => match s.effects[..] {
                [Effect::Scarcity { loss, .. }] => {
                    (loss, s.event_id.as_str(), chrono::Datelike::day(&s.since))
                }
                _ => panic!("not a scarcity: {s:?}"),
            },
            other => panic!("not one Set: {other:?}"),
        }
    }

    #[test]
    fn baseline_spike_and_end() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default(); // spike 0.25, window 20, min 1
        let mut book = PriceBook::default();
        for (day, p) in [(1, 10.0), (2, 10.0), (3, 10.0)] {
            let n = book
                .observe(&config, &map, &price("p", day, p, "USD"))
                .unwrap();
            assert!(n.changes.is_empty());
        }
        // Baseline 10; threshold 10 × 1.25 = 12.5; 14 > 12.5 → loss 1 - 10/14 = 0.2857…
        let n = book
            .observe(&config, &map, &price("p4", 4, 14.0, "USD"))
            .unwrap();
        let (loss, id, since) = scarcity_of(&n);
        assert!((loss - 0.285_714_285_7).abs() < 1e-9, "{loss}");
        assert_eq!((id, since), ("p4", 4));
        // Still a spike against the unchanged baseline 10 (14 stayed out):
        // 20 → 1 - 10/20 = 0.5, episode still since day 4.
        let n = book
            .observe(&config, &map, &price("p5", 5, 20.0, "USD"))
            .unwrap();
        assert_eq!(scarcity_of(&n), (0.5, "p5", 4));
        // 11 ≤ 12.5: not a spike → End, and 11 joins: baseline (10+10+10+11)/4 = 10.25.
        let n = book
            .observe(&config, &map, &price("p6", 6, 11.0, "USD"))
            .unwrap();
        let item = map.item("N1").unwrap();
        assert_eq!(n.changes, vec![Change::End(ShockKey::Price(item))]);
        // 12.9 ≤ 10.25 × 1.25 = 12.8125? No: 12.9 > 12.8125 → spike, new episode.
        let n = book
            .observe(&config, &map, &price("p7", 7, 12.9, "USD"))
            .unwrap();
        let (loss, _, since) = scarcity_of(&n);
        assert!((loss - (1.0 - 10.25 / 12.9)).abs() < 1e-12);
        assert_eq!(since, 7);
    }

    /// QA17 F7: a currency in lower case is the same series.
    #[test]
    fn a_currency_in_lower_case_is_the_same_series() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        book.observe(&config, &map, &price("p1", 1, 10.0, "USD"))
            .unwrap();
        let n = book
            .observe(&config, &map, &price("p2", 2, 20.0, " usd"))
            .unwrap();
        assert_eq!(scarcity_of(&n), (0.5, "p2", 2));
    }

    /// A feed that gives no currency or unit is a series of its own: its
    /// prices spike against each other, never against a quoted series.
    #[test]
    fn prices_without_currency_or_unit_are_one_series() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        let bare = |id: &str, day: u32, p: f64| Price {
            currency: None,
            unit: None,
            source: None,
            ..price(id, day, p, "USD")
        };
        for (day, p) in [(1, 1.0), (2, 1.0), (3, 1.0)] {
            book.observe(&config, &map, &price("q", day, p, "USD"))
                .unwrap();
        }
        for (day, p) in [(4, 10.0), (5, 10.0), (6, 10.0)] {
            let n = book.observe(&config, &map, &bare("b", day, p)).unwrap();
            assert!(n.changes.is_empty(), "10 is its own series, not 10× USD 1");
        }
        // Baseline 10 → 20 is a loss of 1 − 10/20.
        let n = book.observe(&config, &map, &bare("b7", 7, 20.0)).unwrap();
        assert_eq!(scarcity_of(&n), (0.5, "b7", 7));
    }

    /// By default the only price known is a baseline: 10 then 15 is a
    /// spike of 1 − 10/15, and the first price of all judges nothing.
    #[test]
    fn one_price_is_a_baseline_by_default() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        let first = book
            .observe(&config, &map, &price("p1", 1, 10.0, "USD"))
            .unwrap();
        assert!(first.changes.is_empty());
        let n = book
            .observe(&config, &map, &price("p2", 2, 15.0, "USD"))
            .unwrap();
        let (loss, id, _) = scarcity_of(&n);
        assert!((loss - 1.0 / 3.0).abs() < 1e-12, "{loss}");
        assert_eq!(id, "p2");
    }

    /// QA16 F3. An item nobody makes that keeps no stock and is made of
    /// made items or families ("fabrication materials") stands for them; a
    /// process step, reading the step before it, stands for itself, and so
    /// does an item made in place that keeps stock (a finished chip).
    #[test]
    fn an_aggregate_stands_for_what_it_is_made_of_and_a_step_for_itself() {
        let (_, map) = parse_str(
            r#"{"version": 1, "home": "CN", "chains": [],
            "items": [
              {"id": "W", "name": "wafer", "inventory_days": 60},
              {"id": "G", "name": "gas", "inventory_days": 45},
              {"id": "F", "name": "specific materials"},
              {"id": "F1", "name": "resist", "family": "F", "inventory_days": 45},
              {"id": "A", "name": "fabrication materials",
               "inputs": [{"item": "W"}, {"item": "G"}, {"item": "F"}]},
              {"id": "S1", "name": "lithography", "inputs": [{"item": "A"}]},
              {"id": "S2", "name": "etch", "inputs": [{"item": "S1"}, {"item": "G"}]},
              {"id": "C", "name": "chip", "inventory_days": 30, "inputs": [{"item": "S2"}]}],
            "firms": [
              {"id": "P", "name": "One", "country": "JP",
               "produces": [{"item": "W", "share": 1.0}, {"item": "G", "share": 1.0},
                            {"item": "F1", "share": 1.0}]}]}"#,
            "t",
        )
        .unwrap();
        let ix = |id: &str| map.item(id).unwrap();
        let sorted = |ids: &[&str]| {
            let mut v: Vec<_> = ids.iter().map(|i| ix(i)).collect();
            v.sort_unstable();
            v
        };
        assert!(map.is_aggregate(ix("A")));
        assert_eq!(map.made_members(ix("A")), sorted(&["W", "G", "F1"]));
        // The steps read items made in place (the aggregate, the step
        // before): a control or price naming one does not reach upstream.
        assert_eq!(map.made_members(ix("S1")), vec![ix("S1")]);
        assert_eq!(map.made_members(ix("S2")), vec![ix("S2")]);
        assert!(!map.is_aggregate(ix("S2")));
        assert_eq!(map.made_members(ix("C")), vec![ix("C")]);
    }

    /// A price of a family nobody makes acts on its members that are made,
    /// through a family of families; a made item keeps its own shock.
    #[test]
    fn a_family_price_acts_on_its_members() {
        let (_, map) = parse_str(
            r#"{"version": 1, "home": "CN", "chains": [],
            "items": [
              {"id": "T", "name": "tools"},
              {"id": "E", "name": "euv", "family": "T", "grade": 1},
              {"id": "M", "name": "maskless", "family": "T", "grade": 2},
              {"id": "M1", "name": "e-beam", "family": "M", "grade": 1},
              {"id": "X", "name": "other"}],
            "firms": [
              {"id": "F1", "name": "One", "country": "NL",
               "produces": [{"item": "E", "share": 1.0}, {"item": "M1", "share": 1.0},
                            {"item": "X", "share": 1.0}]}]}"#,
            "t",
        )
        .unwrap();
        let ix = |id: &str| map.item(id).unwrap();
        assert_eq!(map.made_members(ix("T")), {
            let mut v = vec![ix("E"), ix("M1")];
            v.sort_unstable();
            v
        });
        assert_eq!(map.made_members(ix("E")), vec![ix("E")]);
        assert_eq!(map.made_members(ix("X")), vec![ix("X")]);

        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        let at = |id: &str, day: u32, p: f64| Price {
            item: "T".into(),
            ..price(id, day, p, "USD")
        };
        book.observe(&config, &map, &at("t1", 1, 10.0)).unwrap();
        let n = book.observe(&config, &map, &at("t2", 2, 20.0)).unwrap();
        let [Change::Set(s)] = &n.changes[..] else {
            panic!("{n:?}")
        };
        assert_eq!(s.key, ShockKey::Price(ix("T")));
        let scarce: Vec<ItemIx> = s
            .effects
            .iter()
            .map(|e| match e {
                Effect::Scarcity { item, loss } => {
                    assert_eq!(*loss, 0.5);
                    *item
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(scarce, map.made_members(ix("T")));
        assert!(
            n.notes.iter().any(|t| t.contains("acts on its members")),
            "{n:?}"
        );
    }

    /// QA: a March spike quote arriving after September's normal price
    /// reopened the episode. A series is taken in time order.
    #[test]
    fn a_late_price_is_stale() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        book.observe(&config, &map, &price("p1", 1, 10.0, "USD"))
            .unwrap();
        book.observe(&config, &map, &price("p3", 3, 10.5, "USD"))
            .unwrap();
        let before = book.clone();
        let err = book
            .observe(&config, &map, &price("p2", 2, 100.0, "USD"))
            .unwrap_err();
        assert_eq!(err.reason(), "stale");
        assert!(
            err.to_string()
                .contains("older than the latest price of N1 USD/kg"),
            "{err}"
        );
        assert_eq!(book, before);
        // Another series keeps its own time.
        book.observe(&config, &map, &price("q2", 2, 7.0, "EUR"))
            .unwrap();
    }

    /// QA: three prices of 1e308 overflowed the baseline's sum, and a 70%
    /// spike over them went unseen.
    #[test]
    fn huge_prices_keep_their_baseline() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        for day in 1..=3 {
            book.observe(&config, &map, &price("p", day, 1e308, "USD"))
                .unwrap();
        }
        let n = book
            .observe(&config, &map, &price("p4", 4, 1.7e308, "USD"))
            .unwrap();
        let (loss, _, _) = scarcity_of(&n);
        assert!((loss - (1.0 - 1.0 / 1.7)).abs() < 1e-12, "{loss}");
    }

    #[test]
    fn too_few_samples_only_join_the_baseline() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig {
            min_samples: 3,
            ..PriceConfig::default()
        };
        let mut book = PriceBook::default();
        // Two prices, then 100: only 2 of 3 samples, so 100 joins the baseline.
        for (day, p) in [(1, 10.0), (2, 10.0), (3, 100.0)] {
            let n = book
                .observe(&config, &map, &price("p", day, p, "USD"))
                .unwrap();
            assert!(n.changes.is_empty());
        }
        // Baseline (10 + 10 + 100) / 3 = 40; 49 ≤ 50 is no spike.
        let n = book
            .observe(&config, &map, &price("p", 4, 49.0, "USD"))
            .unwrap();
        assert!(n.changes.is_empty());
    }

    #[test]
    fn the_window_keeps_the_last_prices() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig {
            baseline_window: 2,
            min_samples: 2,
            ..PriceConfig::default()
        };
        let mut book = PriceBook::default();
        for (day, p) in [(1, 100.0), (2, 10.0), (3, 10.0)] {
            book.observe(&config, &map, &price("p", day, p, "USD"))
                .unwrap();
        }
        // Window is now [10, 10] (100 dropped): 13 > 12.5 is a spike.
        let n = book
            .observe(&config, &map, &price("p", 4, 13.0, "USD"))
            .unwrap();
        assert_eq!(n.changes.len(), 1);
    }

    #[test]
    fn currencies_keep_separate_baselines_and_share_the_item_shock() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        for day in 1..=3 {
            book.observe(&config, &map, &price("u", day, 10.0, "USD"))
                .unwrap();
            book.observe(&config, &map, &price("c", day, 70.0, "CNY"))
                .unwrap();
        }
        // 70 CNY is no spike against 10 USD: separate baselines.
        let n = book
            .observe(&config, &map, &price("c4", 4, 70.0, "CNY"))
            .unwrap();
        assert!(n.changes.is_empty());
        // USD spikes (loss 1 - 10/20 = 0.5), then CNY too (1 - 70/100 = 0.3).
        let n = book
            .observe(&config, &map, &price("u5", 5, 20.0, "USD"))
            .unwrap();
        assert_eq!(scarcity_of(&n), (0.5, "u5", 5));
        let n = book
            .observe(&config, &map, &price("c6", 6, 100.0, "CNY"))
            .unwrap();
        // The item's shock is the worst series: still USD's 0.5, since day 5.
        assert_eq!(scarcity_of(&n), (0.5, "u5", 5));
        // USD normal again: CNY still spiking, the shock stays with its 0.3.
        let n = book
            .observe(&config, &map, &price("u7", 7, 10.0, "USD"))
            .unwrap();
        let (loss, id, since) = scarcity_of(&n);
        assert!((loss - 0.3).abs() < 1e-12);
        assert_eq!((id, since), ("c6", 5));
        let n = book
            .observe(&config, &map, &price("c8", 8, 70.0, "CNY"))
            .unwrap();
        assert!(matches!(n.changes[..], [Change::End(_)]));
    }

    /// QA round 11, F3: neon quoted in USD and EUR; USD spikes to 20 over
    /// 10, then the feed quotes EUR only. Three judged normal EUR prices
    /// end the USD spike, with a note; a USD price in between (a spike
    /// again) restarts the count. A series first quoted during the spike
    /// (GBP) vouches for nothing: its normal is the spiked level (QA round
    /// 12: a feed that moved to another unit at the spiked price ended it).
    #[test]
    fn a_spike_in_a_series_that_went_quiet_ends_after_normal_prices_in_another() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        for (id, p, currency) in [("u1", 10.0, "USD"), ("e1", 9.0, "EUR")] {
            book.observe(&config, &map, &price(id, 1, p, currency))
                .unwrap();
        }
        let spike = book
            .observe(&config, &map, &price("u2", 2, 20.0, "USD"))
            .unwrap();
        assert_eq!(scarcity_of(&spike), (0.5, "u2", 2));
        let item = map.item("N1").unwrap();
        let mut quiet = Vec::new();
        for day in 3..=6 {
            if day == 5 {
                let again = book
                    .observe(&config, &map, &price("u5", 5, 21.0, "USD"))
                    .unwrap();
                assert!(!again.changes.is_empty());
            }
            for (id, currency) in [("e", "EUR"), ("g", "GBP")] {
                let n = book
                    .observe(
                        &config,
                        &map,
                        &price(&format!("{id}{day}"), day, 9.0, currency),
                    )
                    .unwrap();
                quiet.push((day, n.changes.clone()));
            }
        }
        // e3, e4 count 2; u5 starts over; e5, e6 count 2: not yet over.
        assert!(quiet.iter().all(|(_, c)| c.is_empty()), "{quiet:?}");
        let n = book
            .observe(&config, &map, &price("e7", 7, 9.0, "EUR"))
            .unwrap();
        assert_eq!(n.changes, vec![Change::End(ShockKey::Price(item))]);
        assert!(
            n.notes.join("; ").contains(
                "N1 USD/kg: no price since its spike, while N1 EUR/kg has had 3 normal \
                 prices: its spike is taken as over"
            ),
            "{:?}",
            n.notes
        );
    }

    /// 100 USD/kg, then 200000 USD/t: one series, in USD/kg, at 200, a
    /// spike; 100000 USD/t ends it.
    #[test]
    fn units_of_one_quantity_are_one_series() {
        let (_, map) = parse_str(MAP, "t").unwrap();
        let config = PriceConfig::default();
        let mut book = PriceBook::default();
        let mut per = |id: &str, day: u32, p: f64, unit: &str| {
            let mut q = price(id, day, p, "USD");
            q.unit = Some(unit.into());
            book.observe(&config, &map, &q).unwrap()
        };
        per("a", 1, 100.0, "kg");
        let spike = per("b", 2, 200_000.0, "t");
        assert_eq!(scarcity_of(&spike), (0.5, "b", 2));
        assert!(spike.notes[0].starts_with("N1 USD/kg (given per t): 200 is 100.0% over"));
        let back = per("c", 3, 0.1, "g");
        assert!(!back.changes.is_empty(), "0.1 USD/g is 100 USD/kg: normal");
        let back = per("d", 4, 100_000.0, "tonne");
        assert!(back.changes.is_empty());
    }
}
