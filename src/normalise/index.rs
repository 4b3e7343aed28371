//! What the normaliser precomputes from a chain map to match sanction targets:
//! the name index and the owner → owned index. Built once per map (seconds on
//! a million firms), never per event.

use super::names::NameIndex;
use super::ownership::OwnedBy;
use crate::map::ChainMap;

#[derive(Debug, Clone)]
pub struct MapIndex {
    /// Address and length of the map's firm table when built: a cheap guard
    /// that catches a caller who reloads the map and forgets `set_map`. Not
    /// a proof of identity (a new map could reuse the allocation), which is
    /// why `Normaliser::set_map` is the contract.
    built_for: (usize, usize),
    pub names: NameIndex,
    pub owned_by: OwnedBy,
}

impl MapIndex {
    pub fn build(map: &ChainMap) -> MapIndex {
        MapIndex {
            built_for: fingerprint(map),
            names: NameIndex::build(map),
            owned_by: OwnedBy::build(map),
        }
    }

    pub fn fits(&self, map: &ChainMap) -> bool {
        self.built_for == fingerprint(map)
    }
}

fn fingerprint(map: &ChainMap) -> (usize, usize) {
    (map.firms.as_ptr() as usize, map.firms.len())
}

/// The index in `slot`, (re)built first if it is missing or was built for
/// another map.
pub(crate) fn index_for<'a>(slot: &'a mut Option<MapIndex>, map: &ChainMap) -> &'a MapIndex {
    match slot {
        Some(index) if index.fits(map) => {}
        _ => *slot = Some(MapIndex::build(map)),
    }
    slot.get_or_insert_with(|| MapIndex::build(map))
}
