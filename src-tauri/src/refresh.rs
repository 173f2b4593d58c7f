//! Background refresh: a timer that wakes five minutes before the earliest expiry and refreshes
//! what is due through the use-case layer (`Fitauth::refresh_due`: the same single flight and
//! lock file the `fitauth` command uses), telling the UI when an account changes.

use std::time::Duration;

use fitauth_core::clock::now_unix;
use fitauth_core::session::MIN_VALIDITY_SECS;
use tauri::{AppHandle, Manager, Runtime};

use crate::accounts::changed;
use crate::state::Desktop;

/// Never sleep longer than this: the CLI may have connected an account meanwhile.
const MAX_SLEEP_SECS: i64 = 15 * 60;
const MIN_SLEEP_SECS: i64 = 5;

pub fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut failures: u32 = 0;
        loop {
            let desktop = app.state::<Desktop>();
            let now = now_unix();
            let mut wait = match desktop.app.next_refresh_at().await {
                Some(at) => (at - now).clamp(MIN_SLEEP_SECS, MAX_SLEEP_SECS),
                None => MAX_SLEEP_SECS,
            };
            if failures > 0 {
                // Offline or a provider outage: back off (30 s, 1 min, … 15 min).
                wait = wait.max((30_i64 << failures.min(5)).min(MAX_SLEEP_SECS));
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(wait as u64)) => {}
                _ = desktop.refresh_wakeup.notified() => { continue; }
            }
            let outcomes = desktop.app.refresh_due(MIN_VALIDITY_SECS).await;
            let mut failed = false;
            for outcome in outcomes {
                match &outcome.result {
                    Ok(_) => {
                        tracing::info!(account = %outcome.account, "background refresh: new tokens saved");
                        changed(&app, &outcome.account, None);
                    }
                    Err(e) => {
                        tracing::warn!(account = %outcome.account, kind = e.kind(), "background refresh failed");
                        failed |= e.is_transient();
                        changed(
                            &app,
                            &outcome.account,
                            Some(crate::error::desktop_report(e)),
                        );
                    }
                }
            }
            failures = if failed { failures + 1 } else { 0 };
        }
    });
}
