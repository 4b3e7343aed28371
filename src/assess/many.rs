//! The risk of many nodes against one snapshot of the engine, spread over
//! the machine's cores. After a national-scale event the monitor judges
//! hundreds of nodes, each by a trace of its own upstream; the traces only
//! read the engine, so they run side by side, each thread with an assessor
//! (and its memo of traces) of its own. Results do not depend on the split.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use chrono::{DateTime, Utc};

use crate::config::CoreConfig;
use crate::engine::Engine;
use crate::map::NodeRef;

use super::{Assessor, Exposure};

/// Nodes per thread below which a thread costs more than it saves (a trace
/// takes from microseconds on a quiet map to milliseconds on a damaged one).
const NODES_PER_THREAD: usize = 16;

/// The cut-off risk of each of `nodes`, in order, on up to one thread per
/// core.
pub fn risks(
    engine: &Engine,
    config: &CoreConfig,
    now: DateTime<Utc>,
    nodes: &[NodeRef],
) -> Vec<f64> {
    risks_on(cores(), engine, config, now, nodes)
}

/// [`risks`] on at most `threads` threads (fewer when there are too few
/// nodes to share).
pub fn risks_on(
    threads: usize,
    engine: &Engine,
    config: &CoreConfig,
    now: DateTime<Utc>,
    nodes: &[NodeRef],
) -> Vec<f64> {
    judge_on(threads, engine, config, now, nodes, |a, n| a.risk(n))
}

/// The risk and the exposure (to keep) of each of `nodes`, in order, on up
/// to one thread per core.
pub fn exposures(
    engine: &Engine,
    config: &CoreConfig,
    now: DateTime<Utc>,
    nodes: &[NodeRef],
) -> Vec<(f64, Exposure)> {
    judge_on(cores(), engine, config, now, nodes, |a, n| {
        let exposure = a.exposure_of(n);
        (a.risk_with(n, &exposure), exposure)
    })
}

fn cores() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `judge` of each of `nodes`, in order, on at most `threads` threads.
fn judge_on<T: Send>(
    threads: usize,
    engine: &Engine,
    config: &CoreConfig,
    now: DateTime<Utc>,
    nodes: &[NodeRef],
    judge: impl Fn(&Assessor, NodeRef) -> T + Sync,
) -> Vec<T> {
    let threads = threads.min(nodes.len() / NODES_PER_THREAD).max(1);
    if threads == 1 {
        let assessor = Assessor::new(engine, config, now);
        return nodes.iter().map(|n| judge(&assessor, *n)).collect();
    }
    // Nodes are taken one at a time from a shared counter: their costs
    // differ by orders of magnitude, so fixed shares would leave a core idle.
    let next = AtomicUsize::new(0);
    let work = || {
        let assessor = Assessor::new(engine, config, now);
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(node) = nodes.get(k) else {
                return done;
            };
            done.push((k, judge(&assessor, *node)));
        }
    };
    let mut judged: Vec<Option<T>> = (0..nodes.len()).map(|_| None).collect();
    thread::scope(|s| {
        // A helper the OS refuses leaves its share to the others: this
        // thread takes nodes from the counter too, so none is left over.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        let mut parts = vec![work()];
        for h in helpers {
            // A trace only reads the engine; a panic in one is a bug worth
            // seeing as one, on the caller's thread.
            parts.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        for (k, t) in parts.into_iter().flatten() {
            judged[k] = Some(t);
        }
    });
    judged
        .into_iter()
        .map(|t| t.expect("every node is taken once"))
        .collect()
}
