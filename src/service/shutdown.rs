//! One shutdown signal shared by every task of the service: set once (by
//! SIGTERM, SIGINT or a test), observed by loops between messages and by
//! waits, so that no task is cut off halfway through an event.

use std::time::Duration;

use tokio::sync::watch;

/// Sets the signal; dropping it does not.
#[derive(Debug, Clone)]
pub struct Trigger(watch::Sender<bool>);

#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the signal is set.
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        // An error means every trigger is gone: nobody can ask any more, so
        // wait for ever rather than stop a healthy service.
        if rx.wait_for(|set| *set).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Sleeps for `d`; true if the signal came first.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.wait() => true,
            _ = tokio::time::sleep(d) => self.is_set(),
        }
    }
}
