//! Alert delivery, the pure part: chiefs' rosters and who is on duty, the
//! duty desk that plans every webhook (new, escalation, hand-over,
//! resolved) with stable ids, the payloads receivers get, Standard Webhooks
//! signatures, retry timing, and which addresses may be called. No I/O and
//! no clock: the notifier role in `service::notify` is the shell.

pub mod address;
pub mod desk;
pub mod payload;
pub mod retry;
pub mod roster;
pub mod sign;
#[cfg(test)]
mod tests;

pub use desk::{Ack, Delivery, Desk, DeskConfig, DeskError};
pub use payload::Purpose;
pub use roster::{Roster, RosterError};
