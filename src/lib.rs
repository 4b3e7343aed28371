//! chainwatch: early warning of supply cut-off in high-tech industrial chains.
//!
//! The library is the pure core: the chain map, events and their
//! normalisation into shocks, incremental propagation, assessment with
//! backups, and the alert lifecycle. It does no I/O and reads no clock; the
//! binary's commands are thin shells around it.

pub mod alert;
pub mod assess;
pub mod bench;
pub mod config;
pub mod engine;
pub mod event;
pub mod genmap;
pub mod import;
pub mod map;
pub mod monitor;
pub mod normalise;
pub mod shock;
