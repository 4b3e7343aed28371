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

#[test]
#[ignore = "temporary trace"]
fn trace_tmp() {
    let firms = env("CHAINWATCH_BENCH_FIRMS", 10_000);
    let (map, _) = match prepare(&GenSpec::new(firms, 1)) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    let mut engine = Engine::new(Arc::clone(&map), Default::default());
    let mut stream = EventStream::new(Arc::clone(&map), 1, 50);
    for n in 0..env("CHAINWATCH_BENCH_EVENTS", 200) {
        let step = stream.next_step();
        let desc = format!("{:?}", step).chars().take(160).collect::<String>();
        let t = Instant::now();
        let out = match step {
            Step::Set(_, s) => engine.set(s),
            Step::End(_, k) => engine.end(&k),
        };
        eprintln!(
            "{n} {:.3}ms evals {} items {} firms {} bounded {} :: {desc}",
            ms(t.elapsed()),
            out.evaluations,
            out.items.len(),
            out.firms.len(),
            out.bounded
        );
    }
}

#[test]
#[ignore = "temporary scc"]
fn scc_tmp() {
    let firms = env("CHAINWATCH_BENCH_FIRMS", 100_000);
    let (map, _) = match prepare(&GenSpec::new(firms, 1)) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    let n = map.items.len();
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut crit: Vec<Vec<u32>> = vec![Vec::new(); n];
    for i in 0..n as u32 {
        for u in map.recipe(i) {
            adj[u.item as usize].push(i);
            if u.critical { crit[u.item as usize].push(i); }
        }
        for l in map.producers(i) {
            for u in map.consumes(l.firm) {
                adj[u.item as usize].push(i);
                if u.critical { crit[u.item as usize].push(i); }
            }
        }
    }
    for a in adj.iter_mut().chain(crit.iter_mut()) { a.sort_unstable(); a.dedup(); }
    // Kosaraju
    fn order(adj: &[Vec<u32>]) -> Vec<u32> {
        let n = adj.len(); let mut seen = vec![false; n]; let mut out = Vec::new();
        for s in 0..n { if seen[s] { continue; } seen[s] = true; let mut st = vec![(s, 0usize)];
            while let Some((v, k)) = st.last_mut() { if let Some(&w) = adj[*v].get(*k) { *k += 1; if !seen[w as usize] { seen[w as usize] = true; st.push((w as usize, 0)); } } else { out.push(*v as u32); st.pop(); } } }
        out
    }
    let sccs = |adj: &[Vec<u32>]| -> Vec<u32> {
        let n = adj.len();
        let mut radj: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (v, ws) in adj.iter().enumerate() { for w in ws { radj[*w as usize].push(v as u32); } }
        let ord = order(adj);
        let mut comp = vec![u32::MAX; n]; let mut c = 0;
        for &s in ord.iter().rev() { if comp[s as usize] != u32::MAX { continue; } let mut st = vec![s]; comp[s as usize] = c;
            while let Some(v) = st.pop() { for &w in &radj[v as usize] { if comp[w as usize] == u32::MAX { comp[w as usize] = c; st.push(w); } } } c += 1; }
        comp
    };
    for (name, g) in [("all", &adj), ("critical", &crit)] {
        let comp = sccs(g);
        let mut size = std::collections::HashMap::new();
        for c in &comp { *size.entry(*c).or_insert(0usize) += 1; }
        let mut big: Vec<usize> = size.values().copied().filter(|s| *s > 1).collect();
        big.sort_unstable_by(|a, b| b.cmp(a));
        let cyclic_items: Vec<u32> = (0..n as u32).filter(|i| size[&comp[*i as usize]] > 1).collect();
        let lines: usize = cyclic_items.iter().map(|i| map.producers(*i).len()).sum();
        eprintln!("{name}: {} non-trivial SCCs, sizes {:?}, items in cycles {} of {n}, their lines {} of {}", big.len(), &big[..big.len().min(10)], cyclic_items.len(), lines, map.line_count());
    }
}
