//! chainwatch: early warning of supply cut-off in high-tech industrial chains.
//!
//! The library is the pure core: the chain map, events and their
//! normalisation into shocks, incremental propagation, assessment with
//! backups, and the alert lifecycle. None of those modules does I/O or reads
//! a clock. [`service`] is the one shell kept in the library (so that tests
//! can run it in process): Kafka clients and the admin HTTP listener.

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
pub mod notify;
pub mod preview;
pub mod service;
pub mod shock;
