//! The harness on a small generated map, and (ignored) the measurements at
//! national scale: `CHAINWATCH_BENCH_FIRMS=1000000 cargo test --release --lib
//! bench::tests::measure -- --ignored --nocapture`.

use super::*;

#[test]
fn runs_every_kind_and_reports_consistently() {
    let (map, prep) = match prepare(&GenSpec::new(800, 1)) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    let mut spec = BenchSpec::new(400, 2);
    spec.assessed_events = 4;
    spec.max_assessed_nodes = 10;
    spec.target_active = 20;
    let mut report = run(map, &spec);
    report.preparation = Some(prep);
    let counted: usize = report.by_kind.iter().map(|k| k.latency.count).sum();
    assert_eq!(counted, 400);
    assert_eq!(report.overall.latency.count, 400);
    for kind in ["capacity_loss", "price", "end_incident"] {
        assert!(
            report.by_kind.iter().any(|k| k.kind == kind),
            "no {kind} step in {:?}",
            report.by_kind.iter().map(|k| &k.kind).collect::<Vec<_>>()
        );
    }
    assert_eq!(report.bounded_updates, 0);
    assert!(!report.full_recompute.bounded);
    assert_eq!(report.full_recompute.runs, 3);
    assert_eq!(report.assessment.events, 4);
    assert!(report.assessment.per_node.count <= 40);
    assert!(report.state_bytes > 0 && report.map.adjacency_bytes > 0);
    let text = report.to_string();
    assert!(text.contains("full recomputation"), "{text}");
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["overall"]["latency"]["count"], 400);
}

/// The end-to-end harness applies every generated event (none refused, so
/// no refusal can pass for speed), times each, and sees alerts open.
#[test]
fn the_monitor_harness_applies_every_event_and_times_each() {
    let (map, _) = match prepare(&GenSpec::new(400, 11)) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    let history = incident_events(&map, 11, 30);
    assert_eq!(history, incident_events(&map, 11, 30), "deterministic");
    let stats = run_monitor(map, &CoreConfig::default(), 11, 30);
    assert_eq!(stats.latency.count, 30);
    assert_eq!(stats.rejected, 0);
    assert!(
        stats.alert_changes > 0 && stats.most_open_alerts > 0,
        "{stats:?}"
    );
}

#[test]
fn the_stream_is_deterministic() {
    let (map, _) = match prepare(&GenSpec::new(1_000, 3)) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    let steps = |seed| {
        let mut s = EventStream::new(Arc::clone(&map), seed, 10);
        (0..200)
            .map(|_| format!("{:?}", s.next_step()))
            .collect::<Vec<_>>()
    };
    assert_eq!(steps(5), steps(5));
    assert_ne!(steps(5), steps(6));
}

/// Peak resident set size of this process, from /proc (Linux only).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "measurement, run by hand in release mode"]
fn measure() {
    let firms = env("CHAINWATCH_BENCH_FIRMS", 100_000);
    let events = env("CHAINWATCH_BENCH_EVENTS", 1_000);
    let mut gen = GenSpec::new(firms, 1);
    if let Some(f) = std::env::var("CHAINWATCH_BENCH_FEEDBACK")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        gen.feedback = f;
    }
    let (map, prep) = match prepare(&gen) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    let mut spec = BenchSpec::new(events, 1);
    spec.measures = std::env::var_os("CHAINWATCH_BENCH_NO_MEASURES").is_none();
    if let Some(e) = std::env::var("CHAINWATCH_BENCH_EPSILON")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        spec.config.propagation.epsilon = e;
    }
    spec.assessed_events = env("CHAINWATCH_BENCH_ASSESSED", 20);
    spec.max_assessed_nodes = env("CHAINWATCH_BENCH_ASSESSED_NODES", 50);
    spec.assess_budget = Duration::from_secs(env("CHAINWATCH_BENCH_ASSESS_SECS", 120) as u64);
    let mut report = run(map, &spec);
    report.preparation = Some(prep);
    report.peak_rss_bytes = peak_rss();
    println!("{report}");
    if std::env::var_os("CHAINWATCH_BENCH_JSON").is_some() {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    }
}
