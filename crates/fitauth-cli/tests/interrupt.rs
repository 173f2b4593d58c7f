//! Ctrl-C (SIGINT) or SIGTERM while `fitauth refresh` waits for the provider's answer: by then the
//! provider has retired the refresh token that was sent, so `fitauth` finishes saving the new
//! pair before it stops, and says so. Real process, real keyring, the sandbox over loopback.

mod common;

use std::time::Duration;

use common::Harness;
use serde_json::json;

async fn interrupt_mid_refresh(signal: &str) {
    let h = Harness::start().await;
    h.login_fitbit("me").await;
    let before = h.stored_refresh_token("me").unwrap();
    h.clear_requests().await;
    // The provider rotates the pair as it receives the request, then holds its answer.
    h.fault(json!({ "kind": "slow", "path": "/oauth2/token", "delay_ms": 8000, "times": 1 }))
        .await;
    let child = h
        .command(&["refresh", "--account", "me"])
        // Each try gets a third of the timeout: well past the held answer, so no retry, and the
        // signal lands inside the hold even on a loaded machine.
        .env("FITAUTH_TIMEOUT", "45")
        .spawn()
        .unwrap();
    let pid = child.id().unwrap().to_string();
    tokio::time::timeout(Duration::from_secs(30), async {
        while h.refresh_requests().await.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the refresh reached the provider");
    let sent = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("fitauth stopped")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 130/143 when the signal's handler ended it, 0 when the refresh's own end came first.
    let expected = if signal == "-INT" { 130 } else { 143 };
    assert!(
        matches!(out.status.code(), Some(c) if c == expected || c == 0),
        "{:?}: {stderr}",
        out.status
    );
    assert!(
        stderr.contains("saving the new tokens first"),
        "says why it does not stop at once: {stderr}"
    );
    let after = h.stored_refresh_token("me").unwrap();
    assert_ne!(after, before, "the rotated pair was saved before stopping");
    h.ok(&["refresh", "--account", "me"]).await;
    let stats = h.refresh_stats();
    assert_eq!(
        stats.stale, 0,
        "the provider never saw a retired refresh token"
    );
    assert_eq!(
        stats.within_grace, 0,
        "nor needed its grace: the next refresh sent the saved pair's token"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_refresh_waits_until_the_new_tokens_are_saved() {
    interrupt_mid_refresh("-INT").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_refresh_waits_until_the_new_tokens_are_saved() {
    interrupt_mid_refresh("-TERM").await;
}
