//! Criterion benchmarks of incremental propagation on generated maps of 10k
//! and 100k firms, and of 1M firms when `CHAINWATCH_BENCH_1M=1`:
//! - a capacity loss on a random producer (big ones more often), set then
//!   ended, as a pair and each half timed on its own;
//! - a price scarcity on a random item, set then ended;
//! - a full recomputation.
//!
//! Every map carries 20 background incidents so that updates meet a state
//! with shocks in force, as in service. The `chainwatch bench` command and
//! `chainwatch::bench::run` give latency percentiles over a mixed stream.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chainwatch::bench::{prepare, ShockMaker};
use chainwatch::config::PropagationConfig;
use chainwatch::engine::Engine;
use chainwatch::genmap::GenSpec;
use chainwatch::shock::Shock;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};

const BACKGROUND: usize = 20;

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var("CHAINWATCH_BENCH_1M").is_ok_and(|v| v == "1") {
        sizes.push(1_000_000);
    }
    sizes
}

/// Times `set` (or `end`, with `time_end`) of capacity losses, the other
/// half running untimed so the engine returns to the background state.
fn halves(engine: &mut Engine, maker: &mut ShockMaker, iters: u64, time_end: bool) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let Some(shock) = maker.capacity_loss() else {
            continue;
        };
        let key = shock.key.clone();
        let t = Instant::now();
        black_box(engine.set(shock));
        if !time_end {
            total += t.elapsed();
        }
        let t = Instant::now();
        black_box(engine.end(&key));
        if time_end {
            total += t.elapsed();
        }
    }
    total
}

fn set_then_end(engine: &mut Engine, shock: Option<Shock>) {
    if let Some(shock) = shock {
        let key = shock.key.clone();
        black_box(engine.set(shock));
        black_box(engine.end(&key));
    }
}

fn propagation(c: &mut Criterion) {
    for firms in sizes() {
        let map = match prepare(&GenSpec::new(firms, 1)) {
            Ok((map, _)) => map,
            Err(e) => panic!("cannot benchmark on {firms} firms: {e}"),
        };
        let mut engine = Engine::new(Arc::clone(&map), PropagationConfig::default());
        let mut maker = ShockMaker::new(Arc::clone(&map), 7);
        for _ in 0..BACKGROUND {
            if let Some(shock) = maker.capacity_loss() {
                engine.set(shock);
            }
        }

        let mut group = c.benchmark_group(format!("propagation/{firms}_firms"));
        // Big maps: few flat samples, so one size stays within a minute or two.
        if firms >= 100_000 {
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(if firms >= 1_000_000 { 20 } else { 5 }));
        } else {
            group
                .sample_size(30)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(3));
        }

        group.bench_function("capacity_loss_set_end", |b| {
            b.iter_batched(
                || maker.capacity_loss(),
                |shock| set_then_end(&mut engine, shock),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("capacity_loss_set", |b| {
            b.iter_custom(|iters| halves(&mut engine, &mut maker, iters, false))
        });
        group.bench_function("capacity_loss_end", |b| {
            b.iter_custom(|iters| halves(&mut engine, &mut maker, iters, true))
        });
        group.bench_function("price_scarcity_set_end", |b| {
            b.iter_batched(
                || maker.scarcity(),
                |shock| set_then_end(&mut engine, shock),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("recompute_full", |b| {
            b.iter(|| black_box(engine.recompute_full()))
        });
        group.finish();
    }
}

criterion_group!(benches, propagation);
criterion_main!(benches);
