//! Which partition of the chain-events topic holds which chains. A chain
//! lives in exactly one partition (chain index modulo the partition count),
//! so the consumer group that assigns partitions decides which worker owns
//! which chains, and a chain's whole history is in one ordered log.

use std::collections::BTreeSet;

use crate::map::ChainMap;

pub fn partition_of(chain: u16, partitions: i32) -> i32 {
    i32::from(chain) % partitions.max(1)
}

/// Chains whose events go to `partition`.
pub fn chains_in(map: &ChainMap, partition: i32, partitions: i32) -> BTreeSet<u16> {
    (0..map.chains.len() as u16)
        .filter(|c| partition_of(*c, partitions) == partition)
        .collect()
}

/// Partitions that hold at least one chain: where every valid event is
/// copied, since any chain's assessment may depend on it.
pub fn partitions_in_use(map: &ChainMap, partitions: i32) -> Vec<i32> {
    let mut used: Vec<i32> = (0..map.chains.len() as u16)
        .map(|c| partition_of(c, partitions))
        .collect();
    used.sort_unstable();
    used.dedup();
    used
}

/// The id of one alert state change caused by one event: stable across
/// re-deliveries and restarts, so a worker can tell what it already sent.
pub fn change_id(event_id: &str, fingerprint: &str, status: &str) -> String {
    format!("{event_id}/{fingerprint}/{status}")
}
