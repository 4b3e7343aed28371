//! Backtests: documented historical disruptions replayed on the chain map
//! imported from the CSET ETO Chip Explorer data (config/maps/cset-ic.json),
//! with the alerts and backups a chain chief should have seen.
//!
//! Expected supply ratios are derived in each test from the map's own
//! producer shares, independently of the engine.

use std::path::PathBuf;
use std::sync::Arc;

use chainwatch::alert::{AlertChange, Status};
use chainwatch::config::CoreConfig;
use chainwatch::event::decode;
use chainwatch::map::{load_file, ChainMap, ChainMapDoc};
use chainwatch::monitor::Monitor;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn cset() -> (ChainMapDoc, Arc<ChainMap>) {
    let (doc, map) = load_file(&repo("config/maps/cset-ic.json")).expect("the CSET map loads");
    (doc, Arc::new(map))
}

/// Applies NDJSON lines in order, each at its own time; returns all changes.
fn replay(monitor: &mut Monitor, lines: &[&str]) -> Vec<AlertChange> {
    let mut out = Vec::new();
    for line in lines {
        let event = decode(line.as_bytes()).expect("backtest events decode");
        let ts = event.ts();
        out.extend(
            monitor
                .apply(&event, ts)
                .expect("backtest events apply")
                .changes,
        );
    }
    out
}

fn find<'a>(changes: &'a [AlertChange], node: &str, status: Status) -> &'a AlertChange {
    changes
        .iter()
        .find(|c| c.labels["node"] == node && c.status == status)
        .unwrap_or_else(|| panic!("no {status:?} change for {node}"))
}

/// Share of `item`'s supply from producers NOT subject to `issuer`, from the document.
fn share_outside(doc: &ChainMapDoc, item: &str, issuer: &str) -> f64 {
    let (mut open, mut total) = (0.0, 0.0);
    for f in &doc.firms {
        for p in f.produces.iter().filter(|p| p.item == item) {
            total += p.share;
            if f.country != issuer && !f.jurisdictions.iter().any(|j| j == issuer) {
                open += p.share;
            }
        }
    }
    open / total
}

const ASML_FIRE: &str = r#"{"id":"asml-berlin-fire-2022-01-03","type":"supplier_event","ts":"2022-01-03T09:00:00Z","incident":"asml-berlin-2022","firm":"P88","kind":"fire","capacity_loss":0.3,"expected_recovery_days":90,"items":["N20"]}"#;
const ASML_RECOVERED: &str = r#"{"id":"asml-berlin-recovered-2022-03-31","type":"supplier_event","ts":"2022-03-31T00:00:00Z","incident":"asml-berlin-2022","firm":"P88","kind":"recovered"}"#;
const NL_2023: &str = r#"{"id":"nl-2023-06-30","type":"sanction","ts":"2023-06-30T12:00:00Z","measure":"nl-2023-advanced-semiconductor-equipment","action":"add","authority":"NL-MFA","issuer_jurisdiction":"NL","items":["N20","N22"],"destinations":["CN"],"license_policy":"denial","effective":"2023-09-01T00:00:00Z","expected_duration_days":null}"#;
const JP_2023: &str = r#"{"id":"jp-2023-07-23","type":"sanction","ts":"2023-07-23T00:00:00Z","measure":"jp-meti-2023-23-items","action":"add","authority":"JP-METI","issuer_jurisdiction":"JP","items":["N22","N32","N41","N49","N50","N51"],"destinations":["CN"],"license_policy":"case_by_case"}"#;

/// The demo scenario file is the same history as these constants.
#[test]
fn the_demo_scenario_file_is_this_history() {
    let text = std::fs::read_to_string(repo("config/scenarios/lithography-2022-2023.ndjson"))
        .expect("scenario file");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let ids: Vec<String> = lines
        .iter()
        .map(|l| decode(l.as_bytes()).unwrap().id().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "asml-berlin-fire-2022-01-03",
            "asml-berlin-recovered-2022-03-31",
            "nl-2023-06-30",
            "jp-2023-07-23"
        ]
    );
}

/// 2023: the Netherlands (30 June, in force 1 September) and Japan (23 July)
/// restrict advanced lithography and other fab tools to China.
#[test]
fn lithography_controls_of_2023() {
    let (doc, map) = cset();
    let mut monitor = Monitor::new(Arc::clone(&map), CoreConfig::default());

    // ASML Berlin fire, 3 Jan 2022: 30% of EUV output for an expected 90
    // days against 180 days of installed tools: risk 0.3 × 90/270 = 0.1 —
    // watched, not alerted, and gone on recovery.
    let fire = replay(&mut monitor, &[ASML_FIRE, ASML_RECOVERED]);
    assert!(
        fire.is_empty(),
        "the Berlin fire should not alert: {fire:?}"
    );

    let nl = replay(&mut monitor, &[NL_2023]);
    // EUV: ASML is the only producer, all Dutch: nothing reaches Chinese buyers.
    let euv = find(&nl, "N20", Status::Firing);
    assert_eq!(euv.labels["severity"], "critical");
    assert_eq!(euv.assessment.supply_ratio, 0.0);
    assert_eq!(euv.assessment.drivers, ["nl-2023-06-30"]);
    assert_eq!(euv.assessment.recovery_days, None);
    // ArF dry tools are not controlled: the downgraded backup, from ASML itself.
    let b = &euv.assessment.backups[0];
    assert_eq!((b.grade.as_str(), b.node.as_str()), ("downgraded", "N21"));
    assert_eq!(b.firm.as_deref(), Some("P88"));
    // ArF immersion shares the shocked node (the same measure): rejected.
    let rejected = euv
        .assessment
        .rejected_backups
        .iter()
        .find(|r| r.node == "N22")
        .expect("N22 rejected");
    assert!(rejected
        .reason
        .contains("nl-2023-advanced-semiconductor-equipment"));
    assert!(!euv.assessment.backups.iter().any(|b| b.node == "N22"));

    // ArF immersion: only what is not Dutch reaches China.
    let arfi = find(&nl, "N22", Status::Firing);
    let expected = share_outside(&doc, "N22", "NL");
    assert!((arfi.assessment.supply_ratio - expected).abs() < 1e-9);
    assert!(expected < 0.01, "ASML holds over 99% of immersion tools");

    // Down the chain to the finished chip. Announced 30 June 12:00, in force
    // 1 September: 62.5 days before any delivery stops, then 180 days of
    // tools and 30 of chips: 272.5 days.
    let chip = find(&nl, "N99", Status::Firing);
    assert_eq!(chip.labels["severity"], "critical");
    assert_eq!(chip.assessment.time_to_impact_days, Some(272.5));
    assert!(chip.assessment.shortfall > 0.8);
    // Made in place: its backups are those of the input binding it hardest,
    // followed down to EUV tools.
    assert_eq!(chip.assessment.backups[0].node, "N21");
    assert!(chip
        .assessment
        .rejected_backups
        .iter()
        .any(|r| r.node == "N22"));

    let jp = replay(&mut monitor, &[JP_2023]);
    // Judged on 23 July, the EUV shortage has come closer: the Dutch control
    // takes effect 40 days later, then 180 days of tools.
    let july = decode(JP_2023.as_bytes()).unwrap().ts();
    let euv_now = monitor
        .assessments(july)
        .into_iter()
        .find(|a| a.node_id == "N20")
        .unwrap();
    assert_eq!(euv_now.time_to_impact_days, Some(40.0 + 180.0));
    // Resist processing: Tokyo Electron and Screen are Japanese; case by case
    // stops half of their deliveries.
    let resist = find(&jp, "N32", Status::Firing);
    let japanese = 1.0 - share_outside(&doc, "N32", "JP");
    assert!((resist.assessment.supply_ratio - (1.0 - 0.5 * japanese)).abs() < 1e-9);
    assert_eq!(resist.labels["severity"], "warning");
    let tel = resist
        .assessment
        .rejected_backups
        .iter()
        .find(|r| r.firm.as_deref() == Some("P105"))
        .expect("Tokyo Electron rejected");
    assert!(tel.reason.contains("jp-meti-2023-23-items"));
    assert!(resist
        .assessment
        .backups
        .iter()
        .all(|b| b.firm.as_deref() != Some("P105") && b.firm.as_deref() != Some("P106")));
}

/// A total outage at the dominant lithography maker: every ASML-made grade
/// is short, so no grade backs up another through ASML; the other grades'
/// makers ASML does not reach (Nikon, Canon and others) can (QA: they were
/// rejected with the whole item, leaving EUV buyers with nothing).
#[test]
fn total_outage_at_the_dominant_tool_maker() {
    let (doc, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"asml-outage","type":"supplier_event","ts":"2024-01-01T00:00:00Z","incident":"asml-outage","firm":"P88","kind":"earthquake","capacity_loss":1.0,"expected_recovery_days":null}"#,
        ],
    );
    for node in ["N20", "N21", "N22", "N105"] {
        let c = find(&changes, node, Status::Firing);
        let expected = share_outside(&doc, node, "NL");
        assert!(
            (c.assessment.supply_ratio - expected).abs() < 1e-9,
            "{node}: {} vs {expected}",
            c.assessment.supply_ratio
        );
        assert_eq!(c.assessment.drivers, ["asml-outage"]);
    }
    // EUV → a lower grade covers (the overlay's coverage) × the share of
    // that grade from named makers ASML does not reach, named by the
    // largest of them:
    //   i-line 0.0375 × (Canon .5365 + Veeco .0519 + SMEE .0420 + Nikon .0330
    //          + Onto .0250) = 0.0375 × 0.6883 = 0.02581, Canon;
    //   KrF    0.075 × (Canon .31 + Nikon .03) = 0.0255, Canon;
    //   ArF dry 0.15 × Nikon .056 = 0.0084, Nikon.
    let euv = find(&changes, "N20", Status::Firing);
    let got: Vec<(&str, Option<&str>, f64)> = euv
        .assessment
        .backups
        .iter()
        .map(|b| (b.node.as_str(), b.firm.as_deref(), b.coverage))
        .collect();
    // Neither ASML's (NL) nor the unattributed remainder's (XX).
    let untouched =
        |item: &str| share_outside(&doc, item, "NL") + share_outside(&doc, item, "XX") - 1.0;
    let want = [
        ("N106", Some("P159"), 0.0375 * untouched("N106")),
        ("N105", Some("P159"), 0.075 * untouched("N105")),
        ("N21", Some("P89"), 0.15 * untouched("N21")),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.0, g.1), (w.0, w.1), "{got:?}");
        assert!((g.2 - w.2).abs() < 1e-6, "{got:?} vs {want:?}");
    }
    assert!((want[0].2 - 0.02581).abs() < 1e-5, "{want:?}");
    // ArF immersion: besides ASML only makers nobody can name (0.7%).
    let immersion = euv
        .assessment
        .rejected_backups
        .iter()
        .find(|r| r.node == "N22")
        .expect("N22 should be rejected");
    assert!(
        immersion.reason.contains("incident asml-outage")
            && immersion
                .reason
                .contains("N22 is at 1% of supply to these buyers"),
        "{}",
        immersion.reason
    );
    // KrF: Canon (31%) and Nikon (3%) are unaffected and have spare capacity.
    let krf = find(&changes, "N105", Status::Firing);
    let firms: Vec<&str> = krf
        .assessment
        .backups
        .iter()
        .filter(|b| b.node == "N105")
        .filter_map(|b| b.firm.as_deref())
        .collect();
    assert_eq!(firms, ["P159", "P89"], "Canon before Nikon by coverage");
}

/// July 2019: Japan tightens exports of photoresists and hydrogen fluoride to
/// South Korea. Buyers in China are not among the destinations.
#[test]
fn a_control_on_another_country_raises_nothing_at_home() {
    let (_, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"jp-kr-2019","type":"sanction","ts":"2019-07-04T00:00:00Z","measure":"jp-kr-2019","action":"add","authority":"JP-METI","issuer_jurisdiction":"JP","items":["N31","N91"],"destinations":["KR"],"license_policy":"case_by_case"}"#,
        ],
    );
    assert!(changes.is_empty(), "{changes:?}");
    assert!(monitor.assessments(chrono::Utc::now()).is_empty());
}

/// October 2022: US controls on advanced computing chips to China.
#[test]
fn us_advanced_computing_controls_of_2022() {
    let (doc, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"us-2022-10-07","type":"sanction","ts":"2022-10-07T00:00:00Z","measure":"us-bis-2022-10-07","action":"add","authority":"US-BIS","issuer_jurisdiction":"US","items":["N2","N4"],"destinations":["CN"],"license_policy":"denial"}"#,
        ],
    );
    for node in ["N2", "N4"] {
        let expected = share_outside(&doc, node, "US");
        let got = monitor
            .assessments(chrono::Utc::now())
            .into_iter()
            .find(|a| a.node_id == node)
            .map(|a| a.supply_ratio)
            .unwrap_or(1.0);
        assert!((got - expected).abs() < 1e-9, "{node}: {got} vs {expected}");
    }
    // CSET names three GPU designers without shares (Nvidia, AMD, Jingjia
    // Micro); the import splits 100% equally, so Jingjia's third remains.
    assert!((share_outside(&doc, "N2", "US") - 1.0 / 3.0).abs() < 1e-9);
    let gpu = find(&changes, "N2", Status::Firing);
    assert_eq!(gpu.labels["severity"], "critical");
    // No suggested backup may come from a firm the control binds.
    for b in &gpu.assessment.backups {
        if let Some(firm) = &b.firm {
            let f = doc.firms.iter().find(|f| &f.id == firm).unwrap();
            assert_ne!(f.country, "US", "backup {firm} is bound by the control");
        }
    }
}

/// A listing by name: the target is one of our producers and stops supplying.
#[test]
fn a_listed_producer_stops_supplying() {
    let (doc, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let event = decode(
        br#"{"id":"us-entity-hisilicon","type":"sanction","ts":"2019-05-16T00:00:00Z","measure":"us-entity-list-huawei","action":"add","authority":"US-BIS","issuer_jurisdiction":"US","targets":[{"name":"HiSilicon Co., Ltd.","country":"CN"}],"items":["*"],"license_policy":"denial"}"#,
    )
    .unwrap();
    let ts = event.ts();
    let applied = monitor.apply(&event, ts).unwrap();
    assert!(
        applied.notes.iter().any(|n| n.contains("P17")),
        "the note names the matched firm: {:?}",
        applied.notes
    );
    let hisilicon_share: f64 = doc
        .firms
        .iter()
        .find(|f| f.id == "P17")
        .map(|f| {
            f.produces
                .iter()
                .filter(|p| p.item == "N4")
                .map(|p| p.share)
                .sum()
        })
        .unwrap();
    let n4 = monitor
        .assessments(ts)
        .into_iter()
        .find(|a| a.node_id == "N4")
        .expect("AI ASICs short");
    assert!((n4.supply_ratio - (1.0 - hisilicon_share)).abs() < 1e-9);
}

/// Entity-list spellings of CSET's short names (QA: "HiSilicon Technologies
/// Co., Ltd." and "Hi-Silicon" matched nothing): legal names from the
/// import's aliases, word breaks, and an acronym in parentheses.
#[test]
fn entity_list_spellings_match_the_cset_firms() {
    let (_, map) = cset();
    for (name, firm) in [
        ("HiSilicon Technologies Co., Ltd.", "P17"),
        ("Hi-Silicon", "P17"),
        (
            "Semiconductor Manufacturing International Corporation (SMIC)",
            "P37",
        ),
        (
            "Shanghai Micro Electronics Equipment (Group) Co., Ltd.",
            "P70",
        ),
        ("NAURA Technology Group Co., Ltd.", "P115"),
        // QA: the December 2024 additions' spellings went unmatched.
        ("Shenyang Piotech Co., Ltd.", "P113"),
        ("Advanced Micro-Fabrication Equipment Inc.", "P123"),
        ("Hwatsing Technology Co., Ltd.", "P129"),
        ("Empyrean Technology Co., Ltd.", "P191"),
    ] {
        let mut monitor = Monitor::new(map.clone(), CoreConfig::default());
        let event = serde_json::json!({"id": "e1", "type": "sanction", "ts": "2020-12-18T00:00:00Z",
            "measure": "us-entity-list", "action": "add", "authority": "US-BIS",
            "issuer_jurisdiction": "US", "targets": [{"name": name, "country": "CN"}],
            "items": ["*"], "license_policy": "denial"});
        let event = decode(event.to_string().as_bytes()).unwrap();
        let applied = monitor.apply(&event, event.ts()).unwrap();
        let matched = format!("matched firm \"{firm}\"");
        assert!(
            applied.notes.iter().any(|n| n.contains(&matched)),
            "{name}: {:?}",
            applied.notes
        );
    }
}

/// Ending a measure resolves its alerts under the same fingerprints, and a
/// replayed event id changes nothing.
#[test]
fn removal_resolves_and_replays_are_idempotent() {
    let (_, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let fired = replay(&mut monitor, &[NL_2023]);
    assert!(!fired.is_empty());
    assert!(replay(&mut monitor, &[NL_2023]).is_empty(), "same id twice");
    let resolved = replay(
        &mut monitor,
        &[
            r#"{"id":"nl-2023-lifted","type":"sanction","ts":"2024-06-30T00:00:00Z","measure":"nl-2023-advanced-semiconductor-equipment","action":"remove","authority":"NL-MFA"}"#,
        ],
    );
    assert_eq!(resolved.len(), fired.len());
    for f in &fired {
        let r = resolved
            .iter()
            .find(|r| r.fingerprint == f.fingerprint)
            .expect("every fired alert resolves");
        assert_eq!(r.status, Status::Resolved);
        assert_eq!(r.ends_at, "2024-06-30T00:00:00Z");
    }
    assert_eq!(monitor.open_alerts(), 0);
    assert!(monitor.assessments(chrono::Utc::now()).is_empty());
}

/// Supply of `item` left when each listed producer loses the given part of
/// its capacity, from the document's shares.
fn supply_after(doc: &ChainMapDoc, item: &str, losses: &[(&str, f64)]) -> f64 {
    let (mut lost, mut total) = (0.0, 0.0);
    for f in &doc.firms {
        for p in f.produces.iter().filter(|p| p.item == item) {
            total += p.share;
            if let Some((_, loss)) = losses.iter().find(|(id, _)| *id == f.id) {
                lost += p.share * loss;
            }
        }
    }
    1.0 - lost / total
}

fn stock(doc: &ChainMapDoc, item: &str) -> f64 {
    doc.items
        .iter()
        .find(|i| i.id == item)
        .map(|i| i.inventory_days)
        .unwrap()
}

/// May 2025: the US orders EDA vendors to stop selling to China; lifted in
/// July. Six US vendors hold all but 6% of EDA software in the CSET data.
#[test]
fn us_eda_controls_of_2025_and_their_lifting() {
    let (doc, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let fired = replay(
        &mut monitor,
        &[
            r#"{"id":"us-eda-2025-05-23","type":"sanction","ts":"2025-05-23T00:00:00Z","measure":"us-bis-eda-2025","action":"add","authority":"US-BIS","issuer_jurisdiction":"US","items":["N84"],"destinations":["CN"],"license_policy":"denial"}"#,
        ],
    );
    // 7 Chinese vendors at 0.14% each, British and Israeli remainders at
    // 0.98% each, the Japanese at 2.94%: 5.88% reaches China.
    let expected = share_outside(&doc, "N84", "US");
    assert!((expected - 0.0588).abs() < 1e-3, "{expected}");
    let eda = find(&fired, "N84", Status::Firing);
    assert!((eda.assessment.supply_ratio - expected).abs() < 1e-9);
    // No expected end: the whole shortfall is the risk.
    assert_eq!(eda.labels["severity"], "critical");
    assert!((eda.assessment.cutoff_risk - (1.0 - expected)).abs() < 1e-9);
    // EDA licences last: 180 days before design stops, 30 more of chips.
    assert_eq!(eda.assessment.time_to_impact_days, Some(stock(&doc, "N84")));
    let chip = find(&fired, "N99", Status::Firing);
    assert_eq!(
        chip.assessment.time_to_impact_days,
        Some(stock(&doc, "N84") + stock(&doc, "N99"))
    );
    // Design itself (EDA and core IP, chip design) is cut the same.
    for node in ["N7", "N0"] {
        assert_eq!(
            find(&fired, node, Status::Firing).labels["severity"],
            "critical"
        );
    }
    // Backups are the vendors the control does not bind; the US vendors are
    // rejected, naming the measure.
    assert!(!eda.assessment.backups.is_empty());
    for b in &eda.assessment.backups {
        let firm = b.firm.as_deref().expect("a producer");
        let f = doc.firms.iter().find(|f| f.id == firm).unwrap();
        assert_ne!(f.country, "US", "backup {firm} is bound by the control");
    }
    for vendor in ["P185", "P186"] {
        let r = eda
            .assessment
            .rejected_backups
            .iter()
            .find(|r| r.firm.as_deref() == Some(vendor))
            .unwrap_or_else(|| panic!("{vendor} rejected"));
        assert!(r.reason.contains("us-bis-eda-2025"), "{}", r.reason);
    }

    let lifted = replay(
        &mut monitor,
        &[
            r#"{"id":"us-eda-2025-07-03","type":"sanction","ts":"2025-07-03T00:00:00Z","measure":"us-bis-eda-2025","action":"remove","authority":"US-BIS"}"#,
        ],
    );
    assert_eq!(lifted.len(), fired.len());
    assert!(lifted
        .iter()
        .all(|c| c.status == Status::Resolved && c.ends_at == "2025-07-03T00:00:00Z"));
    assert_eq!(monitor.open_alerts(), 0);
}

/// 2022: neon and other electronic gas prices rise about tenfold after the
/// invasion of Ukraine; they are back by the autumn.
#[test]
fn electronic_gas_price_spike_of_2022() {
    let (doc, map) = cset();
    let config = CoreConfig::default();
    let recovery = config.price.assumed_recovery_days;
    let mut monitor = Monitor::new(map, config);
    let prices: Vec<f64> = (1..=20).map(|d| f64::from(100 + d % 3)).collect();
    let quiet: Vec<String> = prices
        .iter()
        .enumerate()
        .map(|(k, p)| {
            format!(
                r#"{{"id":"gas-{k}","type":"price","ts":"2022-01-{:02}T00:00:00Z","item":"N91","price":{p},"currency":"USD","unit":"kg","source":"index"}}"#,
                k + 1
            )
        })
        .collect();
    let quiet: Vec<&str> = quiet.iter().map(String::as_str).collect();
    assert!(replay(&mut monitor, &quiet).is_empty(), "a steady price");

    let spike = replay(
        &mut monitor,
        &[
            r#"{"id":"gas-spike","type":"price","ts":"2022-03-01T00:00:00Z","item":"N91","price":1000,"currency":"USD","unit":"kg","source":"index"}"#,
        ],
    );
    // Scarcity 1 − baseline/price with the baseline the mean of the 20
    // prices (101.05): supply 10.1%. Gases are held 45 days and a price
    // shock is assumed over in 90: risk 0.899 × 90/135 = 0.599, a warning
    // just short of critical.
    let baseline = prices.iter().sum::<f64>() / prices.len() as f64;
    let supply = baseline / 1000.0;
    let gases = find(&spike, "N91", Status::Firing);
    assert!((gases.assessment.supply_ratio - supply).abs() < 1e-9);
    let t = stock(&doc, "N91");
    assert_eq!(gases.assessment.time_to_impact_days, Some(t));
    let risk = (1.0 - supply) * recovery / (recovery + t);
    assert!((gases.assessment.cutoff_risk - risk).abs() < 1e-9);
    assert_eq!(gases.labels["severity"], "warning");
    assert_eq!(gases.assessment.drivers, ["gas-spike"]);
    // The spike is scarcity at every gas maker: none of them is a backup
    // (QA: five were offered, each covering under 1%).
    assert!(
        gases.assessment.backups.iter().all(|b| b.node != "N91"),
        "{:?}",
        gases.assessment.backups
    );
    let gas_maker = gases
        .assessment
        .rejected_backups
        .iter()
        .find(|r| r.node == "N91")
        .expect("the gas makers rejected");
    assert!(
        gas_maker
            .reason
            .contains("price spike of N91 (event gas-spike), which is item-wide"),
        "{}",
        gas_maker.reason
    );
    // Every fab step needs fabrication materials, which need the gases.
    for node in ["N117", "N35", "N46", "N99"] {
        let c = find(&spike, node, Status::Firing);
        assert!((c.assessment.supply_ratio - supply).abs() < 1e-9, "{node}");
    }

    let back = replay(
        &mut monitor,
        &[
            r#"{"id":"gas-back","type":"price","ts":"2022-09-01T00:00:00Z","item":"N91","price":105,"currency":"USD","unit":"kg","source":"index"}"#,
        ],
    );
    assert_eq!(back.len(), spike.len());
    assert!(back.iter().all(|c| c.status == Status::Resolved));
}

/// March 2011: the Tohoku earthquake stops Shin-Etsu's Shirakawa wafer plant
/// and damages SUMCO's; estimates of the time (not measured outcomes): half
/// of Shin-Etsu's and a fifth of SUMCO's wafer output, for 120 and 60 days.
/// Two months of wafer stock cover most of it: watched, not alerted.
#[test]
fn tohoku_earthquake_of_2011_is_watched_not_alerted() {
    let (doc, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"tohoku-shin-etsu","type":"supplier_event","ts":"2011-03-11T06:00:00Z","incident":"tohoku-shin-etsu","firm":"P208","kind":"earthquake","capacity_loss":0.5,"expected_recovery_days":120,"items":["N26"]}"#,
            r#"{"id":"tohoku-sumco","type":"supplier_event","ts":"2011-03-11T06:00:00Z","incident":"tohoku-sumco","firm":"P225","kind":"earthquake","capacity_loss":0.2,"expected_recovery_days":60}"#,
        ],
    );
    assert!(changes.is_empty(), "{changes:?}");
    // Shin-Etsu and SUMCO hold 28% of wafers each: 1 − 0.14 − 0.056 = 0.804.
    let supply = supply_after(&doc, "N26", &[("P208", 0.5), ("P225", 0.2)]);
    assert!((supply - 0.804).abs() < 1e-9, "{supply}");
    let ts = chrono::DateTime::parse_from_rfc3339("2011-03-11T06:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let wafer = monitor
        .assessments(ts)
        .into_iter()
        .find(|a| a.node_id == "N26")
        .expect("wafers are short");
    assert!((wafer.supply_ratio - supply).abs() < 1e-9);
    // Shin-Etsu's part (0.14, 120 days) holds most of it: recovery 120.
    // Each part races 60 days of wafer stock on its own:
    // risk 0.14 × 120/180 + 0.056 × 60/120 = 0.121, watch (0.1) but not
    // warning (0.3).
    let t = stock(&doc, "N26");
    assert_eq!(wafer.time_to_impact_days, Some(t));
    assert_eq!(wafer.recovery_days, Some(120.0));
    let shin_etsu = 1.0 - supply_after(&doc, "N26", &[("P208", 0.5)]);
    let sumco = 1.0 - supply_after(&doc, "N26", &[("P225", 0.2)]);
    assert!((shin_etsu + sumco - (1.0 - supply)).abs() < 1e-9);
    let risk = shin_etsu * 120.0 / (120.0 + t) + sumco * 60.0 / (60.0 + t);
    assert!(
        (wafer.cutoff_risk - risk).abs() < 1e-9,
        "{} vs {risk}",
        wafer.cutoff_risk
    );
    assert_eq!(wafer.severity.as_str(), "watch");
    assert_eq!(wafer.drivers, ["tohoku-shin-etsu", "tohoku-sumco"]);
}

/// An EU control binds the firms of every member state (the dual-use
/// regulation), and a control naming a family nobody makes (N19,
/// lithography tools) covers its members (QA: both cut nothing, silently).
/// A control whose issuer makes none of its items says so.
#[test]
fn an_eu_control_on_the_lithography_family_binds_member_states() {
    use chainwatch::map::EU_MEMBERS;
    let (doc, map) = cset();
    let mut monitor = Monitor::new(Arc::clone(&map), CoreConfig::default());
    let event = |line: &str| decode(line.as_bytes()).unwrap();
    let eu = event(
        r#"{"id":"eu-2024","type":"sanction","ts":"2024-09-01T00:00:00Z","measure":"eu-dual-use","action":"add","authority":"EU-Council","issuer_jurisdiction":"EU","items":["N19"],"destinations":["CN"]}"#,
    );
    let done = monitor.apply(&eu, eu.ts()).unwrap();
    assert!(
        done.notes.iter().any(|n| n
            .starts_with("items[0] N19: a family with no makers of its own")
            && n.contains("N20")
            && n.contains("N22")),
        "{:?}",
        done.notes
    );
    // What is left of each tool to Chinese buyers is what firms outside
    // the EU make: ASML (NL) is bound.
    let outside_eu = |item: &str| {
        let (mut open, mut total) = (0.0, 0.0);
        for f in &doc.firms {
            for p in f.produces.iter().filter(|p| p.item == item) {
                total += p.share;
                if !EU_MEMBERS.contains(&f.country.as_str()) {
                    open += p.share;
                }
            }
        }
        open / total
    };
    let home = monitor.engine().home_profile();
    for tool in ["N20", "N22", "N21"] {
        let i = map.item(tool).unwrap();
        let supply = monitor.engine().availability(home, i);
        assert!((supply - outside_eu(tool)).abs() < 1e-3, "{tool}: {supply}");
    }
    assert_eq!(
        find(&done.changes, "N20", Status::Firing).labels["severity"],
        "critical"
    );
    assert_eq!(
        find(&done.changes, "N22", Status::Firing).labels["severity"],
        "critical"
    );
    let kr = event(
        r#"{"id":"kr-2024","type":"sanction","ts":"2024-09-02T00:00:00Z","measure":"kr","action":"add","authority":"KR-MOTIE","items":["N20"],"destinations":["CN"]}"#,
    );
    let done = monitor.apply(&kr, kr.ts()).unwrap();
    assert!(done.changes.is_empty());
    assert_eq!(
        done.notes,
        vec!["no producer of the items is subject to KR: the export control cuts nothing on this map"]
    );
}

/// The weight of `member` in the recipe of `item`, from the document.
fn weight(doc: &ChainMapDoc, item: &str, member: &str) -> f64 {
    let item = doc.items.iter().find(|i| i.id == item).unwrap();
    item.inputs
        .iter()
        .find(|i| i.item == member)
        .unwrap()
        .weight
}

/// The supply of `node` at the end of a replay (full if not assessed).
fn supply_of(monitor: &Monitor, node: &str) -> f64 {
    monitor
        .assessments(chrono::Utc::now())
        .into_iter()
        .find(|a| a.node_id == node)
        .map_or(1.0, |a| a.supply_ratio)
}

/// QA16 F2. CSET files dry and wet etching tools (N48, N49) as going into
/// etch and clean tools (N55), their sum, and gave N55 makers of its own:
/// a Lam cut was counted twice (N55 at 0.648, seven false warnings down to
/// the finished chip), and a US control on etch tools never reached the
/// fab. N55 is now made of its parts, with no makers or stock of its own.
#[test]
fn etch_tool_controls_reach_the_fab_and_a_lam_cut_counts_once() {
    let (doc, map) = cset();
    // Lam Research loses half its output. Dry etching tools are a family:
    // N103 (itself conductor N50 and insulator N51 etch), N102, N52, N53,
    // each weighing its market; wet tools N49 are made by their makers.
    let mut monitor = Monitor::new(map.clone(), CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"lam-cut","type":"supplier_event","ts":"2021-10-20T00:00:00Z","incident":"lam","firm":"P111","kind":"capacity_cut","capacity_loss":0.5,"expected_recovery_days":null}"#,
        ],
    );
    let lam = |item: &str| 1.0 - supply_after(&doc, item, &[("P111", 0.5)]);
    let n103 =
        1.0 - weight(&doc, "N103", "N50") * lam("N50") - weight(&doc, "N103", "N51") * lam("N51");
    let n48 = 1.0
        - weight(&doc, "N48", "N103") * (1.0 - n103)
        - ["N102", "N52", "N53"]
            .iter()
            .map(|m| weight(&doc, "N48", m) * lam(m))
            .sum::<f64>();
    let n49 = 1.0 - lam("N49");
    let expected = n48.min(n49);
    // 0.79: a watch, where counting Lam's 36.7% of N55 again gave 0.648.
    assert!((expected - 0.793).abs() < 1e-3, "{expected}");
    let n55 = supply_of(&monitor, "N55");
    assert!((n55 - expected).abs() < 1e-9, "{n55} vs {expected}");
    for node in ["N55", "N46", "N99"] {
        assert!(
            !changes.iter().any(|c| c.labels["node"] == node),
            "{node} alerted: {changes:?}"
        );
    }

    // October 2022: the US denies conductor and insulator etch tools to
    // China. Buyers there lose the US makers' part of N50 and N51, and the
    // fab's etch step (N46), which needs etch and clean tools, with them.
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"us-etch-2022-10-07","type":"sanction","ts":"2022-10-07T00:00:00Z","measure":"us-bis-etch","action":"add","authority":"US-BIS","issuer_jurisdiction":"US","items":["N50","N51"],"destinations":["CN"],"license_policy":"denial"}"#,
        ],
    );
    let cut = |item: &str| 1.0 - share_outside(&doc, item, "US");
    let n103 =
        1.0 - weight(&doc, "N103", "N50") * cut("N50") - weight(&doc, "N103", "N51") * cut("N51");
    let expected = 1.0 - weight(&doc, "N48", "N103") * (1.0 - n103);
    assert!((expected - 0.430).abs() < 1e-3, "{expected}");
    for node in ["N55", "N46"] {
        let firing = find(&changes, node, Status::Firing);
        let supply = firing.assessment.supply_ratio;
        assert!(
            (supply - expected).abs() < 1e-9,
            "{node}: {supply} vs {expected}"
        );
        // The tools' stock, counted once (it was 180 + 180).
        let days = firing.assessment.time_to_impact_days;
        assert_eq!(days, Some(stock(&doc, "N50")), "{node}");
        assert_eq!(firing.labels["severity"], "warning");
    }
}

/// QA16 F1. A feed keeps one measure id for the Entity List and files each
/// year's entries as an add. The 2022 add of SMEE used to restate the
/// measure and delist HiSilicon (its critical alert resolved, silently);
/// it now widens the list, and the list's removal ends both.
#[test]
fn entity_list_entries_added_under_one_measure_stay_listed() {
    let (_, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let added = replay(
        &mut monitor,
        &[
            r#"{"id":"el-2019-05-16-hisilicon","type":"sanction","ts":"2019-05-16T00:00:00Z","measure":"us-entity-list","action":"add","authority":"US-BIS","issuer_jurisdiction":"US","targets":[{"name":"HiSilicon Technologies Co., Ltd.","aliases":["Hisilicon"],"country":"CN"}],"items":["*"],"license_policy":"denial"}"#,
            r#"{"id":"el-2022-12-15-smee","type":"sanction","ts":"2022-12-15T00:00:00Z","measure":"us-entity-list","action":"add","authority":"US-BIS","issuer_jurisdiction":"US","targets":[{"name":"Shanghai Micro Electronics Equipment (Group) Co., Ltd.","aliases":["SMEE"],"country":"CN"}],"items":["*"],"license_policy":"denial"}"#,
        ],
    );
    // HiSilicon (P17) and SMEE (P70) are producers: listed, they stop.
    for firm in ["P17", "P70"] {
        assert_eq!(
            find(&added, firm, Status::Firing).labels["severity"],
            "critical"
        );
    }
    assert!(
        !added.iter().any(|c| c.status == Status::Resolved),
        "{added:?}"
    );
    let hisilicon = monitor
        .assessments(chrono::Utc::now())
        .into_iter()
        .find(|a| a.node_id == "P17")
        .expect("HiSilicon stays listed");
    assert_eq!(hisilicon.supply_ratio, 0.0);
    // The list now stands on both notices.
    for id in ["el-2019-05-16-hisilicon", "el-2022-12-15-smee"] {
        assert!(
            hisilicon.drivers.iter().any(|d| d == id),
            "{:?}",
            hisilicon.drivers
        );
    }
    let ended = replay(
        &mut monitor,
        &[
            r#"{"id":"el-2025-remove","type":"sanction","ts":"2025-01-01T00:00:00Z","measure":"us-entity-list","action":"remove"}"#,
        ],
    );
    for firm in ["P17", "P70"] {
        find(&ended, firm, Status::Resolved);
    }
}

/// QA16 F5. "A fire at ASML's lithography tools" names the family, N19,
/// which nobody makes: sanctions and prices take it as its members, and an
/// incident now does too, on the members the firm makes, where it was
/// refused whole. A firm making no member is still refused, by name.
#[test]
fn an_incident_on_a_family_covers_the_members_the_firm_makes() {
    let (doc, map) = cset();
    let fire = |items: &str| {
        format!(
            r#"{{"id":"asml-fire","type":"supplier_event","ts":"2024-01-01T00:00:00Z","incident":"asml","firm":"P88","kind":"fire","capacity_loss":0.3,"expected_recovery_days":90,"items":{items}}}"#
        )
    };
    let family_of = |id: &str| doc.items.iter().find(|i| i.id == id)?.family.clone();
    let members: Vec<String> = doc
        .firms
        .iter()
        .find(|f| f.id == "P88")
        .unwrap()
        .produces
        .iter()
        .map(|p| p.item.clone())
        .filter(|i| {
            let parent = family_of(i);
            parent.as_deref() == Some("N19")
                || parent.and_then(|p| family_of(&p)).as_deref() == Some("N19")
        })
        .collect();
    assert!(members.len() >= 2, "{members:?}");
    let supply = |items: String| {
        let mut monitor = Monitor::new(map.clone(), CoreConfig::default());
        let event = decode(fire(&items).as_bytes()).unwrap();
        let applied = monitor.apply(&event, event.ts()).expect("the fire applies");
        let n19 = supply_of(&monitor, "N19");
        (n19, applied.notes)
    };
    let (by_family, notes) = supply("[\"N19\"]".to_string());
    let (by_members, _) = supply(serde_json::to_string(&members).unwrap());
    assert!(by_family < 1.0);
    assert_eq!(by_family, by_members);
    assert!(
        notes.iter().any(|n| n.contains(&format!(
            "covers those of its members that P88 makes: {}",
            members.join(", ")
        ))),
        "{notes:?}"
    );
    // TSMC (P34) makes no lithography tool.
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let event = decode(fire("[\"N19\"]").replace("P88", "P34").as_bytes()).unwrap();
    let err = monitor.apply(&event, event.ts()).unwrap_err();
    assert_eq!(err.path(), "items[0]");
    assert!(
        err.to_string()
            .contains("does not produce \"N19\" or anything it stands for"),
        "{err}"
    );
}

/// QA16 F3. Fabrication materials (N117: wafers, gases, chemicals and the
/// process-specific ones) and etch and clean tools (N55: dry and wet tools)
/// have no makers or stock of their own. A price naming N117 used to act on
/// N117 itself, with no stock: time to impact 0 and critical. It acts on
/// what N117 is made of now, whose stock is 45 days or more; and a control
/// naming N55 covers the tools it is made of, where it cut nothing.
#[test]
fn a_price_or_control_naming_an_aggregate_acts_on_what_it_is_made_of() {
    let (doc, map) = cset();
    let mut monitor = Monitor::new(map.clone(), CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"fm-1","type":"price","ts":"2022-01-01T00:00:00Z","item":"N117","price":10,"currency":"USD","unit":"kg"}"#,
            r#"{"id":"fm-2","type":"price","ts":"2022-03-01T00:00:00Z","item":"N117","price":40,"currency":"USD","unit":"kg"}"#,
        ],
    );
    // 40 against a baseline of 10: 75% scarcity on each part, so N117 is at
    // 0.25, timed by the shortest stock among its parts (gases, 45 days).
    let n117 = find(&changes, "N117", Status::Firing);
    assert!((n117.assessment.supply_ratio - 0.25).abs() < 1e-9);
    assert_eq!(
        n117.assessment.time_to_impact_days,
        Some(stock(&doc, "N91"))
    );
    assert_eq!(n117.labels["severity"], "warning");
    // Wafers are short on their own now, with their own 60 days.
    let wafer = find(&changes, "N26", Status::Firing);
    assert_eq!(
        wafer.assessment.time_to_impact_days,
        Some(stock(&doc, "N26"))
    );

    let mut monitor = Monitor::new(map, CoreConfig::default());
    let changes = replay(
        &mut monitor,
        &[
            r#"{"id":"us-n55","type":"sanction","ts":"2022-10-07T00:00:00Z","measure":"us-n55","action":"add","issuer_jurisdiction":"US","items":["N55"],"destinations":["CN"],"license_policy":"denial"}"#,
        ],
    );
    // Dry tools lose their US makers' part (Lam, Applied Materials), wet
    // tools too; N55 is the tighter of the two, and the fab step reads it.
    let n55 = find(&changes, "N55", Status::Firing);
    let n46 = find(&changes, "N46", Status::Firing);
    assert!(n55.assessment.supply_ratio < 0.5, "{:?}", n55.assessment);
    assert_eq!(n46.assessment.supply_ratio, n55.assessment.supply_ratio);
    let n49 = supply_of(&monitor, "N49");
    assert!((n49 - share_outside(&doc, "N49", "US")).abs() < 1e-9);
}

/// QA17 F1, F2. A control on conductor etch tools (N50) to China, effective
/// 17 November 2023 with no end given, widened on 25 October by insulator
/// etch tools (N51) effective 4 April 2024 for 30 days: N50 keeps its own
/// start (it was postponed to April) and no end (it was given the 30 days).
#[test]
fn a_widening_add_neither_postpones_nor_ends_what_is_in_force() {
    let (doc, map) = cset();
    let first = r#"{"id":"us-2023-10-17-etch","type":"sanction","ts":"2023-10-17T00:00:00Z","effective":"2023-11-17T00:00:00Z","measure":"us-2023-10-17","action":"add","issuer_jurisdiction":"US","items":["N50"],"destinations":["CN"],"license_policy":"denial"}"#;
    let more = r#"{"id":"us-2023-10-25-more","type":"sanction","ts":"2023-10-25T00:00:00Z","effective":"2024-04-04T00:00:00Z","measure":"us-2023-10-17","action":"add","issuer_jurisdiction":"US","items":["N51"],"destinations":["CN"],"license_policy":"denial","expected_duration_days":30}"#;
    let at = chrono::DateTime::parse_from_rfc3339("2023-12-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let n50 = |lines: &[&str]| {
        let mut monitor = Monitor::new(map.clone(), CoreConfig::default());
        replay(&mut monitor, lines);
        monitor
            .assessments(at)
            .into_iter()
            .find(|a| a.node_id == "N50")
            .expect("N50 is short")
    };
    let alone = n50(&[first]);
    let widened = n50(&[first, more]);
    // 180 days of stock from 17 November, read on 1 December: 166.
    assert_eq!(alone.time_to_impact_days, Some(stock(&doc, "N50") - 14.0));
    assert_eq!(widened.time_to_impact_days, alone.time_to_impact_days);
    assert_eq!(widened.recovery_days, None);
    assert_eq!(widened.supply_ratio, alone.supply_ratio);
    assert_eq!(widened.severity, alone.severity);
}

/// QA17 F8: a control naming a process step (N46, etch and clean), which
/// nobody makes, says so rather than that the issuer binds no maker.
#[test]
fn a_control_on_a_process_step_says_nobody_makes_it() {
    let (_, map) = cset();
    let mut monitor = Monitor::new(map, CoreConfig::default());
    let event = decode(
        br#"{"id":"us-n46","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"us-n46","action":"add","issuer_jurisdiction":"US","items":["N46"],"destinations":["CN"],"license_policy":"denial"}"#,
    )
    .unwrap();
    let applied = monitor.apply(&event, event.ts()).unwrap();
    assert!(applied.changes.is_empty());
    assert!(
        applied
            .notes
            .iter()
            .any(|n| n.starts_with("N46: made in place by its buyers, nobody makes it")),
        "{:?}",
        applied.notes
    );
}
