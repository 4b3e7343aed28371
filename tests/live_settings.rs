//! Live settings in the core: layered loading (file, environment file,
//! variables) with errors naming the key and the layer; re-judging after a
//! threshold change; and previews on a replayed scenario, checked against
//! numbers derived from the map and against monitors that had the proposed
//! thresholds from the start.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use chainwatch::alert::Status;
use chainwatch::config::layers::Layers;
use chainwatch::config::tunables::{restart_keys, Tunables};
use chainwatch::config::{CoreConfig, Thresholds};
use chainwatch::event::{decode, Event};
use chainwatch::map::{load_file, ChainMap};
use chainwatch::monitor::Monitor;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn layers(file: &Path, vars: &[(&str, &str)]) -> Layers {
    Layers::new(
        Some(file.to_path_buf()),
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn layers_file_then_environment_file_then_variables() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "chainwatch.toml",
        "[thresholds]\nwarning = 0.25\ncritical = 0.7\n[price]\nspike = 0.5\n",
    );
    // File over the defaults.
    let c = layers(&f, &[]).load().unwrap();
    assert_eq!(c.thresholds.warning, 0.25);
    assert_eq!(c.thresholds.watch, 0.1, "default kept");
    assert_eq!(c.price.spike, 0.5);
    // The environment file over the file.
    write(
        dir.path(),
        "chainwatch.prod.toml",
        "[thresholds]\ncritical = 0.8\n",
    );
    let l = layers(&f, &[("CHAINWATCH_ENV", "prod")]);
    assert_eq!(l.files().len(), 2);
    let c = l.load().unwrap();
    assert_eq!((c.thresholds.warning, c.thresholds.critical), (0.25, 0.8));
    // Variables over both; an absent environment file is no error.
    let c = layers(
        &f,
        &[
            ("CHAINWATCH_ENV", "prod"),
            ("CHAINWATCH__THRESHOLDS__CRITICAL", "0.9"),
            ("CHAINWATCH__PRICE__BASELINE_WINDOW", "30"),
            ("OTHER__THRESHOLDS__CRITICAL", "0.1"),
        ],
    )
    .load()
    .unwrap();
    assert_eq!(c.thresholds.critical, 0.9);
    assert_eq!(c.price.baseline_window, 30);
    let c = layers(&f, &[("CHAINWATCH_ENV", "staging")]).load().unwrap();
    assert_eq!(c.thresholds.critical, 0.7);
}

#[test]
fn the_shipped_settings_are_the_defaults() {
    let c = layers(&root().join("config/chainwatch.toml"), &[])
        .load()
        .unwrap();
    assert_eq!(c, CoreConfig::default());
}

/// Every validation rule, with the key and the layer named.
#[test]
fn every_error_names_the_key_and_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("[thresholds]\nwarnin = 0.2\n", "thresholds.warnin: unknown key (known in [thresholds]: critical, resolve_margin, warning, watch)"),
        ("[threshold]\nwarning = 0.2\n", "threshold.warning: unknown key (sections: backups, preview, price, propagation, sanctions, thresholds)"),
        ("[thresholds]\nwarning = \"high\"\n", "thresholds.warning: expected a number, got \"high\""),
        ("[thresholds]\nwatch = -0.1\n", "thresholds.watch: -0.1 is outside 0..1"),
        ("[thresholds]\ncritical = 1.5\n", "thresholds.critical: 1.5 is outside 0..1"),
        ("[thresholds]\nwatch = 0.01\nwarning = 0.04\n", "thresholds.warning: must be at least 0.05, got 0.04"),
        ("[thresholds]\nwatch = 0.35\n", "thresholds.warning: must be above thresholds.watch (0.3 ≤ 0.35); thresholds.warning is at its default"),
        ("[thresholds]\nwarning = 0.7\n", "thresholds.critical: must be above thresholds.warning (0.6 ≤ 0.7); thresholds.critical is at its default"),
        ("[thresholds]\nresolve_margin = 0.1\n", "thresholds.resolve_margin: must be at least 0 and below thresholds.watch (0.1), got 0.1"),
        ("[sanctions]\ncase_by_case = 2\n", "sanctions.case_by_case: 2 is outside 0..1"),
        // QA round 11: a case-by-case cut over the denial's was taken.
        ("[sanctions]\ndenial = 0.5\ncase_by_case = 0.9\n", "sanctions.case_by_case: must not cut more than sanctions.denial (0.9 > 0.5)"),
        ("[sanctions]\napproval = 0.6\n", "sanctions.approval: must not cut more than sanctions.case_by_case (0.6 > 0.5)"),
        ("[price]\nspike = 0\n", "price.spike: must be above 0, got 0"),
        ("[price]\nbaseline_window = 0\nmin_samples = 0\n", "price.baseline_window: must be at least 1"),
        ("[price]\nmin_samples = 25\n", "price.min_samples: must be between 1 and price.baseline_window (20), got 25"),
        ("[price]\nassumed_recovery_days = -1\n", "price.assumed_recovery_days: must be zero or more, got -1"),
        ("[propagation]\nepsilon = 0.5\n", "propagation.epsilon: must be in (0, 0.01), got 0.5"),
        ("[propagation]\nmax_visits = 0\n", "propagation.max_visits: must be at least 1"),
        ("[propagation]\nsweep_threads = 0\n", "propagation.sweep_threads: must be in 1..=64, got 0"),
        ("[backups]\nsupplier_switch_days = -3\n", "backups.supplier_switch_days: must be zero or more, got -3"),
        ("[preview]\nwindow_events = 2000000\n", "preview.window_events: must be at most 1000000 (0 keeps none), got 2000000"),
        ("[backups]\nmax_backups = 0\n", "backups.max_backups: must be at least 1, got 0"),
        // QA: a file's wrong types were coerced.
        ("[thresholds]\nwarning = true\n", "thresholds.warning: expected a number, got true"),
        ("[thresholds]\nwarning = \"0.2\"\n", "thresholds.warning: expected a number, got \"0.2\""),
        ("[backups]\nmax_backups = 2.5\n", "backups.max_backups: expected a whole number, 0 or more, got 2.5"),
        ("[backups]\nmax_backups = -2\n", "backups.max_backups: expected a whole number, 0 or more, got -2"),
        ("[backups]\nsupplier_switch_days = 1e9\n", "backups.supplier_switch_days: must be at most 36525 (100 years), got 1000000000"),
    ];
    for (k, (text, want)) in cases.iter().enumerate() {
        let f = write(dir.path(), &format!("c{k}.toml"), text);
        let e = layers(&f, &[]).load().unwrap_err().to_string();
        let expected = format!("config {}: {want}", f.display());
        assert_eq!(e, expected, "case {k}");
    }
    // A syntax error names the file.
    let f = write(dir.path(), "broken.toml", "[thresholds\n");
    let e = layers(&f, &[]).load().unwrap_err().to_string();
    assert!(e.starts_with(&format!("config {}: ", f.display())), "{e}");
    // A missing file is named.
    let e = layers(&dir.path().join("none.toml"), &[])
        .load()
        .unwrap_err()
        .to_string();
    assert!(e.contains("none.toml") && e.contains("no such file"), "{e}");
    // A value from a variable names the variable; an ordering broken by a
    // variable against a file value names the variable too.
    let ok = write(dir.path(), "ok.toml", "[thresholds]\nwarning = 0.3\n");
    let e = layers(&ok, &[("CHAINWATCH__THRESHOLDS__CRITICAL", "0.2")])
        .load()
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "config environment variable CHAINWATCH__THRESHOLDS__CRITICAL: thresholds.critical: must be above thresholds.warning (0.2 ≤ 0.3); thresholds.warning is set in {}",
            ok.display()
        )
    );
    let e = layers(&ok, &[("CHAINWATCH__THRESHOLDS__SEVERE", "0.9")])
        .load()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("config environment variable CHAINWATCH__THRESHOLDS__SEVERE: thresholds.severe: unknown key"),
        "{e}"
    );
    // A rule broken by the environment file names it.
    write(dir.path(), "ok.prod.toml", "[thresholds]\nwatch = 0.4\n");
    let e = layers(&ok, &[("CHAINWATCH_ENV", "prod")])
        .load()
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "config {}: thresholds.warning: must be above thresholds.watch (0.3 ≤ 0.4); thresholds.watch is set in {}",
            ok.display(),
            dir.path().join("ok.prod.toml").display()
        )
    );
}

#[test]
fn restart_keys_are_told_apart_from_live_ones() {
    let a = CoreConfig::default();
    let mut b = a.clone();
    b.thresholds.warning = 0.2;
    b.price.spike = 0.4;
    assert!(restart_keys(&a, &b).is_empty());
    b.sanctions.case_by_case = 0.7;
    b.propagation.epsilon = 1e-5;
    assert_eq!(
        restart_keys(&a, &b),
        vec!["propagation.epsilon", "sanctions.case_by_case"]
    );
}

// ---- re-judging and previews on the streaming scenario ----

fn scenario() -> (Arc<ChainMap>, Vec<Event>) {
    let (_, map) = load_file(&root().join("config/maps/cset-ic.json")).unwrap();
    let text = std::fs::read_to_string(root().join("tests/data/streaming/events.ndjson")).unwrap();
    let events = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| decode(l.as_bytes()).unwrap())
        .collect();
    (Arc::new(map), events)
}

fn with(t: (f64, f64, f64)) -> CoreConfig {
    CoreConfig {
        thresholds: Thresholds {
            watch: t.0,
            warning: t.1,
            critical: t.2,
            ..Thresholds::default()
        },
        ..CoreConfig::default()
    }
}

/// Runs `events` through a monitor; returns it and the changes it made.
fn run(map: &Arc<ChainMap>, config: CoreConfig, events: &[Event]) -> (Monitor, usize) {
    let mut m = Monitor::new(Arc::clone(map), config);
    let mut n = 0;
    for e in events {
        n += m.apply(e, e.ts()).unwrap().changes.len();
    }
    (m, n)
}

/// Open alerts as (node, severity), from the firing and resolved changes.
fn open_after(
    map: &Arc<ChainMap>,
    config: CoreConfig,
    events: &[Event],
) -> BTreeSet<(String, String)> {
    let mut m = Monitor::new(Arc::clone(map), config);
    let mut open = BTreeSet::new();
    for e in events {
        for c in m.apply(e, e.ts()).unwrap().changes {
            let key = (c.labels["node"].clone(), c.labels["severity"].clone());
            match c.status {
                Status::Firing => open.insert(key),
                Status::Resolved => open.remove(&key),
            };
        }
    }
    open
}

#[test]
fn preview_on_the_asml_outage_matches_the_map() {
    let (map, events) = scenario();
    // s-01 (ASML fire, 100% of EUV for 180 days) … s-04 (three prices).
    let prefix = &events[..4];
    let (m, _) = run(&map, CoreConfig::default(), prefix);

    // By hand: ASML (P88) makes all of N20 (share 1.0), so N20's supply is
    // 0 and its shortfall 1. The driver is the fire itself (0 days away);
    // N20's own stock is 180 days. Judged at s-04, three days after the
    // fire, both have aged: 177 days of stock and 177 of the 180 days of
    // recovery remain: risk = 1 × 177 / (177 + 177) = 0.5 → warning at 0.3/0.6.
    let n20 = map.items.iter().find(|i| i.id == "N20").unwrap();
    assert_eq!(n20.inventory_days, 180.0);
    let risk = 177.0 / (177.0 + 177.0);

    // Critical at 0.45: N20 goes from warning to critical.
    let p = m.preview(&with((0.1, 0.3, 0.45)).thresholds);
    let n = p
        .change
        .iter()
        .find(|c| c.node == "N20")
        .expect("N20 changes");
    assert!((n.risk - risk).abs() < 1e-6, "{}", n.risk);
    assert_eq!((n.from.as_str(), n.to.as_str()), ("warning", "critical"));
    assert!(p.fire.is_empty() && p.resolve.is_empty());

    // Warning at 0.55: N20 (0.5) drops below it and resolves.
    let p = m.preview(&with((0.1, 0.55, 0.6)).thresholds);
    assert!(p
        .resolve
        .iter()
        .any(|c| c.node == "N20" && c.to.as_str() == "watch"));

    // The same thresholds change nothing, now or over the window.
    let p = m.preview(&CoreConfig::default().thresholds);
    assert!(p.fire.is_empty() && p.change.is_empty() && p.resolve.is_empty());
    assert_eq!(p.window.current_changes, p.window.proposed_changes);
}

#[test]
fn preview_agrees_with_retuning_and_with_monitors_that_had_the_values_from_the_start() {
    let (map, events) = scenario();
    for cut in [1, 4, 6, 7, 8, 10] {
        let prefix = &events[..cut];
        let (m, actual) = run(&map, CoreConfig::default(), prefix);
        for proposed in [
            (0.1, 0.2, 0.6),
            (0.1, 0.3, 0.45),
            (0.2, 0.5, 0.9),
            (0.05, 0.1, 0.3),
        ] {
            let p = m.preview(&with(proposed).thresholds);
            // Under the thresholds in force the window is exact.
            assert_eq!(p.window.current_changes, actual as u64, "cut {cut}");
            assert_eq!(p.window.events, cut);
            // Retuning makes exactly the changes previewed: a fire per
            // newly firing alert, a resolve per resolving one, both for a
            // severity change.
            let mut retuned = run(&map, CoreConfig::default(), prefix).0;
            let changes = retuned.retune(&Tunables::of(&with(proposed)));
            let fired = changes
                .iter()
                .filter(|c| c.status == Status::Firing)
                .count();
            let resolved = changes.len() - fired;
            assert_eq!(
                fired,
                p.fire.len() + p.change.len(),
                "cut {cut} {proposed:?}"
            );
            assert_eq!(
                resolved,
                p.resolve.len() + p.change.len(),
                "cut {cut} {proposed:?}"
            );
            // … and leaves the alerts a monitor with those values from the
            // start has open.
            let mut reopened = open_after(&map, CoreConfig::default(), prefix);
            for c in &changes {
                let key = (c.labels["node"].clone(), c.labels["severity"].clone());
                match c.status {
                    Status::Firing => reopened.insert(key),
                    Status::Resolved => reopened.remove(&key),
                };
            }
            assert_eq!(
                reopened,
                open_after(&map, with(proposed), prefix),
                "cut {cut} {proposed:?}"
            );
            // The window count is what that monitor did (exact here: the
            // approximation only concerns nodes left un-judged).
            let (_, from_start) = run(&map, with(proposed), prefix);
            assert_eq!(
                p.window.proposed_changes, from_start as u64,
                "cut {cut} {proposed:?}"
            );
        }
    }
}
