//! The notifier's clock: wall time that moves with tokio's clock, so that
//! tests pause and advance it (`tokio::time::pause`, `advance`) instead of
//! sleeping, and production gets real time.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: DateTime<Utc>,
    at: Instant,
}

impl Clock {
    pub fn starting_at(base: DateTime<Utc>) -> Clock {
        Clock {
            base,
            at: Instant::now(),
        }
    }

    pub fn system() -> Clock {
        Clock::starting_at(Utc::now())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.base + chrono::Duration::from_std(self.at.elapsed()).unwrap_or_default()
    }

    /// The tokio instant at which wall time `t` comes (now if past).
    pub fn instant_of(&self, t: DateTime<Utc>) -> Instant {
        let ahead = (t - self.now()).to_std().unwrap_or_default();
        Instant::now() + ahead
    }
}
