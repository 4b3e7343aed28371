//! What the active shocks do to single nodes, before propagation: each line's
//! own capacity loss and each item's price-driven scarcity, with the shocks
//! responsible, so both can be recomputed exactly when a shock changes.

use std::collections::HashMap;

use crate::map::{ChainMap, FirmIx, ItemIx, LineIx};
use crate::shock::Effect;

/// One capacity loss on a firm: (shock number, the items it covers or all, loss).
pub type FirmLoss = (u32, Option<Vec<ItemIx>>, f64);

#[derive(Debug, Clone, Default)]
pub struct LocalLosses {
    pub firm_losses: HashMap<FirmIx, Vec<FirmLoss>>,
    /// Scarcity per item: (shock number, loss).
    pub scarcity: HashMap<ItemIx, Vec<(u32, f64)>>,
}

impl LocalLosses {
    /// Registers a shock's local effects; returns the firms and items touched.
    pub fn add(&mut self, shock: u32, effects: &[Effect]) -> (Vec<FirmIx>, Vec<ItemIx>) {
        let mut firms = Vec::new();
        let mut items = Vec::new();
        for effect in effects {
            match effect {
                Effect::CapacityLoss {
                    firm,
                    items: only,
                    loss,
                } => {
                    self.firm_losses
                        .entry(*firm)
                        .or_default()
                        .push((shock, only.clone(), *loss));
                    firms.push(*firm);
                }
                Effect::Scarcity { item, loss } => {
                    self.scarcity.entry(*item).or_default().push((shock, *loss));
                    items.push(*item);
                }
                Effect::ExportControl { .. } | Effect::Listing { .. } => {}
            }
        }
        (firms, items)
    }

    /// Forgets a shock's local effects; returns the firms and items touched.
    pub fn remove(&mut self, shock: u32, effects: &[Effect]) -> (Vec<FirmIx>, Vec<ItemIx>) {
        let mut firms = Vec::new();
        let mut items = Vec::new();
        for effect in effects {
            match effect {
                Effect::CapacityLoss { firm, .. } => {
                    if let Some(list) = self.firm_losses.get_mut(firm) {
                        list.retain(|(s, _, _)| *s != shock);
                        if list.is_empty() {
                            self.firm_losses.remove(firm);
                        }
                    }
                    firms.push(*firm);
                }
                Effect::Scarcity { item, .. } => {
                    if let Some(list) = self.scarcity.get_mut(item) {
                        list.retain(|(s, _)| *s != shock);
                        if list.is_empty() {
                            self.scarcity.remove(item);
                        }
                    }
                    items.push(*item);
                }
                Effect::ExportControl { .. } | Effect::Listing { .. } => {}
            }
        }
        (firms, items)
    }

    /// Combined own loss of a line: independent losses compound.
    pub fn line_loss(&self, map: &ChainMap, line: LineIx) -> f64 {
        let l = map.line(line);
        let Some(list) = self.firm_losses.get(&l.firm) else {
            return 0.0;
        };
        let mut kept = 1.0;
        for (_, only, loss) in list {
            let covers = only
                .as_ref()
                .is_none_or(|items| items.binary_search(&l.item).is_ok());
            if covers {
                kept *= 1.0 - loss;
            }
        }
        1.0 - kept
    }

    /// Shocks that take capacity from a line directly.
    pub fn line_drivers(&self, map: &ChainMap, line: LineIx) -> Vec<u32> {
        let l = map.line(line);
        self.firm_losses
            .get(&l.firm)
            .map(|list| {
                list.iter()
                    .filter(|(_, only, loss)| {
                        *loss > 0.0
                            && only
                                .as_ref()
                                .is_none_or(|items| items.binary_search(&l.item).is_ok())
                    })
                    .map(|(s, _, _)| *s)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Share of an item's deliveries that remains after price-driven scarcity.
    pub fn item_factor(&self, item: ItemIx) -> f64 {
        self.scarcity
            .get(&item)
            .map(|list| list.iter().map(|(_, loss)| 1.0 - loss).product())
            .unwrap_or(1.0)
    }

    pub fn item_drivers(&self, item: ItemIx) -> Vec<u32> {
        self.scarcity
            .get(&item)
            .map(|list| {
                list.iter()
                    .filter(|(_, l)| *l > 0.0)
                    .map(|(s, _)| *s)
                    .collect()
            })
            .unwrap_or_default()
    }
}
