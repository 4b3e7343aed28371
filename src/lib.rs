//! chainwatch: early warning of supply cut-off in high-tech industrial chains.

pub mod config;
pub mod map;
pub mod shock;
