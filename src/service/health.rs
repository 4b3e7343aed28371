//! Liveness and readiness. The process is live while it runs; it is ready
//! when every role it runs has rebuilt its state for the partitions it holds
//! and is consuming. A rebalance takes readiness away until the rebuild ends.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::config::Role;

#[derive(Debug, Clone, Default)]
pub struct Health {
    roles: Arc<BTreeMap<Role, AtomicBool>>,
}

impl Health {
    pub fn new(roles: &[Role]) -> Health {
        Health {
            roles: Arc::new(roles.iter().map(|r| (*r, AtomicBool::new(false))).collect()),
        }
    }

    pub fn set_ready(&self, role: Role, ready: bool) {
        if let Some(flag) = self.roles.get(&role) {
            flag.store(ready, Ordering::SeqCst);
        }
    }

    /// Roles not ready yet; empty when the process is ready.
    pub fn waiting(&self) -> Vec<Role> {
        self.roles
            .iter()
            .filter(|(_, f)| !f.load(Ordering::SeqCst))
            .map(|(r, _)| *r)
            .collect()
    }
}
