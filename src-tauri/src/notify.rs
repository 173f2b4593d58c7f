//! "Needs you": a desktop notification, once per cause, when an account needs its person — the
//! provider stopped accepting its sign-in (`invalid_grant` after the store was re-read), Fitbit's
//! turned-off service answered `410 Gone`, or a refresh token will end within a day. Clicking it
//! opens that account's reconnect (or the move to Google). The causes and their sentences are the
//! use-case layer's (`fitauth_core::attention`), which `fitauth status` prints too.
//!
//! On Linux the notification goes straight through `notify-rust` (the library the official
//! notification plugin uses on desktops) because the plugin's desktop API drops the notification
//! handle, and with it the click; elsewhere the official plugin shows it.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use fitauth_core::attention::Attention;
use fitauth_core::clock::now_unix;
use fitauth_core::{Account, AccountState};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::events::{self, ReconnectRequest};
use crate::settings;
use crate::state::{lock, Desktop};
use crate::tray;

/// The causes to say now: `(account, cause)` not said before. Updates `notified` to the causes
/// that still hold, so a cause that ends and comes back is said again. The person's own revoke
/// is not news to them: it is shown, never notified.
pub fn to_say(
    accounts: &[Account],
    needs_move: impl Fn(&Account) -> bool,
    notified: &mut BTreeSet<String>,
    now: i64,
) -> Vec<(Account, Attention)> {
    let mut live = BTreeSet::new();
    let mut say = vec![];
    for a in accounts {
        // The person's own revoke is not news to them, whatever the account needs next.
        if a.state == AccountState::Revoked {
            continue;
        }
        let Some(attention) = Attention::of(a, needs_move(a), now) else {
            continue;
        };
        let key = attention.key(a);
        match Attention::already_said(notified.iter(), &key) {
            // Kept as first said, so an end time that drifts never drifts away from it.
            Some(said) => live.insert(said.clone()),
            None => {
                say.push((a.clone(), attention));
                live.insert(key)
            }
        };
    }
    *notified = live;
    say
}

/// Looks at every account and notifies what is new; then brings the tray menu up to date. One
/// check at a time: a check that read the accounts earlier never overrules a later one.
pub async fn check<R: Runtime>(app: &AppHandle<R>) {
    let desktop = app.state::<Desktop>();
    let turn = desktop.checking.lock().await;
    let mut newly_said = 0;
    if let Ok(accounts) = desktop.app.accounts().await {
        let now = now_unix();
        let (say, changed) = {
            let mut settings = lock(&desktop.settings);
            let before = settings.notified.clone();
            let say = to_say(
                &accounts,
                |a| desktop.app.needs_move(a),
                &mut settings.notified,
                now,
            );
            (say, settings.notified != before)
        };
        if changed {
            settings::persist(&desktop);
        }
        newly_said = say.len();
        for (account, attention) in say {
            send(app, &account, &attention, now);
        }
    }
    // "3 of 3": every check asked for so far is done (the E2E waits for that before it counts
    // the notifications).
    let done = CHECKS_DONE.fetch_add(1, Ordering::SeqCst) + 1;
    tracing::info!(
        "needs-you check {done} of {}: {newly_said} newly said",
        CHECKS_ASKED.load(Ordering::SeqCst)
    );
    drop(turn);
    tray::update(app).await;
}

static CHECKS_ASKED: AtomicU64 = AtomicU64::new(0);
static CHECKS_DONE: AtomicU64 = AtomicU64::new(0);

/// [`check`] in the background.
pub fn spawn_check<R: Runtime>(app: &AppHandle<R>) {
    CHECKS_ASKED.fetch_add(1, Ordering::SeqCst);
    let app = app.clone();
    tauri::async_runtime::spawn(async move { check(&app).await });
}

const SUMMARY: &str = "A Fitauth account needs you";

fn send<R: Runtime>(app: &AppHandle<R>, account: &Account, attention: &Attention, now: i64) {
    let body = attention.sentence(account, now);
    let request = ReconnectRequest {
        account: account.name.clone(),
        move_to_google: *attention == Attention::MoveToGoogle,
    };
    tracing::info!(account = %account.name, cause = ?attention, "notifying: the account needs its person");
    #[cfg(target_os = "linux")]
    {
        let app = app.clone();
        let action = if request.move_to_google {
            "Move to Google"
        } else {
            "Reconnect"
        };
        // `wait_for_action` blocks until the notification is clicked or closed: a thread each.
        std::thread::spawn(move || {
            let shown = notify_rust::Notification::new()
                .appname("Fitauth")
                .summary(SUMMARY)
                .body(&body)
                .action("default", action)
                .show();
            match shown {
                Ok(handle) => handle.wait_for_action(|clicked| {
                    if clicked == "default" {
                        open_reconnect(&app, request);
                    }
                }),
                Err(e) => tracing::warn!(error = %e, "could not show a notification"),
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    {
        use tauri_plugin_notification::NotificationExt;
        let _ = request;
        if let Err(e) = app
            .notification()
            .builder()
            .title(SUMMARY)
            .body(&body)
            .show()
        {
            tracing::warn!(error = %e, "could not show a notification");
        }
    }
}

/// The notification was clicked: the window comes back at the account's reconnect.
fn open_reconnect<R: Runtime>(app: &AppHandle<R>, request: ReconnectRequest) {
    tracing::info!(account = %request.account, "notification clicked: opening the reconnect");
    tray::show(app, None);
    let _ = app.emit(events::RECONNECT, request);
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitauth_core::ProviderKind;

    fn account(id: &str, state: AccountState) -> Account {
        Account::example(id, ProviderKind::Fitbit, state)
    }

    #[test]
    fn each_cause_is_said_once_and_again_only_after_it_ended() {
        let mut said = BTreeSet::new();
        let dead = account("a", AccountState::ReconnectNeeded);
        let fine = account("b", AccountState::Active);
        let mine = account("c", AccountState::Revoked);
        let all = [dead.clone(), fine.clone(), mine];
        let first = to_say(&all, |_| false, &mut said, 0);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].0.name, "a");
        assert!(to_say(&all, |_| false, &mut said, 0).is_empty(), "once");
        // Reconnected: the cause ends; when it comes back, it is said again.
        let healed = [account("a", AccountState::Active), fine.clone()];
        assert!(to_say(&healed, |_| false, &mut said, 0).is_empty());
        assert!(said.is_empty());
        assert_eq!(to_say(&[dead], |_| false, &mut said, 0).len(), 1);
        // The move to Google is a cause of its own.
        let moved = to_say(std::slice::from_ref(&fine), |_| true, &mut said, 0);
        assert_eq!(moved[0].1, Attention::MoveToGoogle);
        // A Fitbit account the person revoked is not news, though it would need the move.
        let mut said = BTreeSet::new();
        let revoked = account("d", AccountState::Revoked);
        assert!(to_say(&[revoked], |_| true, &mut said, 0).is_empty());
        // An end that moves by seconds on each refresh is said once.
        let mut ending = fine;
        ending.refresh_token_expires_at = Some(3_600);
        assert_eq!(to_say(&[ending.clone()], |_| false, &mut said, 0).len(), 1);
        ending.refresh_token_expires_at = Some(3_602);
        assert!(to_say(&[ending.clone()], |_| false, &mut said, 1).is_empty());
        // A new grant that ends days later (and is again within a day) is said again.
        ending.refresh_token_expires_at = Some(3 * 86_400);
        assert_eq!(
            to_say(&[ending], |_| false, &mut said, 2 * 86_400 + 100).len(),
            1
        );
    }
}
