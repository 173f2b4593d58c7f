//! Holding off interruption while new tokens exist only in memory.
//!
//! A refresh makes the provider retire the refresh token it was sent (Fitbit rotates on every
//! refresh; RFC 9700 §4.14.2 recommends rotation for public clients:
//! <https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2>). From the moment the request leaves
//! until the new pair is in the keyring, stopping the program would leave the account on a
//! retired token. The refresh holds a [`Shield`] for that span; the faces ask [`is_held`] when
//! the person presses Ctrl-C (the CLI) or quits (the desktop app), and wait for [`released`]
//! before they stop. SIGKILL cannot be held off: the provider's duplicate-request grace and the
//! retry with the same refresh token cover that case.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Notify;

static HELD: AtomicUsize = AtomicUsize::new(0);

fn released_signal() -> &'static Notify {
    static SIGNAL: OnceLock<Notify> = OnceLock::new();
    SIGNAL.get_or_init(Notify::new)
}

/// While alive, the process should not stop of its own accord (see the module docs).
#[must_use = "the shield protects only while it is held"]
#[derive(Debug)]
pub struct Shield(());

/// Raises the shield until the returned guard is dropped.
pub fn hold() -> Shield {
    HELD.fetch_add(1, Ordering::SeqCst);
    Shield(())
}

impl Drop for Shield {
    fn drop(&mut self) {
        if HELD.fetch_sub(1, Ordering::SeqCst) == 1 {
            released_signal().notify_waiters();
        }
    }
}

/// True while some refresh in this process has new tokens not yet saved.
pub fn is_held() -> bool {
    HELD.load(Ordering::SeqCst) > 0
}

/// Waits until no shield is held, but never longer than `at_most` (a stuck keyring must not
/// keep a program from stopping forever). True when the shields were all dropped.
pub async fn released(at_most: Duration) -> bool {
    let wait = async {
        loop {
            let notified = released_signal().notified();
            tokio::pin!(notified);
            // Register before checking, so a drop between the check and the wait is not missed.
            notified.as_mut().enable();
            if !is_held() {
                return;
            }
            notified.await;
        }
    };
    tokio::time::timeout(at_most, wait).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test: the count is process-wide, so two tests holding shields would see each other.
    #[tokio::test]
    async fn waits_for_the_last_shield_but_not_forever() {
        let a = hold();
        let b = hold();
        assert!(is_held());
        assert!(
            !released(Duration::from_millis(10)).await,
            "gave up while held"
        );
        let waiter = tokio::spawn(released(Duration::from_secs(60)));
        drop(a);
        assert!(is_held(), "one shield is still up");
        drop(b);
        assert!(waiter.await.unwrap(), "released once both were dropped");
    }
}
