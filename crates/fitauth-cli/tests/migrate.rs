//! `fitauth migrate` end to end: the real `fitauth` process, the real OS keyring (under
//! `scripts/test`), the sandbox's legacy Fitbit and Google sides over loopback, and the scripted
//! browser consenting as the person the test names.

mod common;

use common::Harness;
use serde_json::{json, Value};

const GH: &str = "https://www.googleapis.com/auth/googlehealth.";

/// A legacy account "fit" for Sam (SBX123) sharing activity, sleep, profile and social, and a
/// Google Health registration on the sandbox.
async fn legacy_and_google_registration(h: &Harness) {
    h.ok(&[
        "login",
        "--provider",
        "fitbit",
        "--client-id",
        "sandbox-client",
        "--scopes",
        "activity sleep profile social",
        "--account",
        "fit",
    ])
    .await;
    h.add_google_registration("google", &[]).await;
}

/// Whether the sandbox still takes `token` (Fitbit introspect, asked with the token itself).
async fn active_at_fitbit(h: &Harness, token: &str) -> bool {
    let v: Value = h
        .control
        .post(format!("{}/1.1/oauth2/introspect", h.base()))
        .bearer_auth(token)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["active"] == true
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fitbit_account_moves_to_google_and_keeps_its_name() {
    let h = Harness::start().await;
    legacy_and_google_registration(&h).await;
    let status = h.ok(&["status"]).await;
    assert!(
        status.contains("\"fit\" needs you: Fitbit turned off its old service.")
            && status.contains("Run `fitauth migrate --account fit`."),
        "{status}"
    );
    let legacy_token = h.ok(&["token", "--account", "fit"]).await.trim().to_owned();
    assert!(active_at_fitbit(&h, &legacy_token).await);
    h.clear_requests().await;

    let out = h.run(&["migrate", "--account", "fit", "--json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    // Before the browser: what happened, what to do, what stays, and the scopes asked for.
    assert!(stderr.contains("turned off its old sign-in"), "{stderr}");
    assert!(stderr.contains("keeps its name"), "{stderr}");
    assert!(
        stderr.contains("Google Health has no equivalent of: social."),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["account"], "fit", "{v}");
    assert_eq!(v["provider"], "google-health");
    assert_eq!(v["app"], "google");
    assert_eq!(v["email"], "sam.sandbox@example.com");
    assert_eq!(v["migration"]["moved"], true);
    assert_eq!(
        v["migration"]["same_account"],
        json!({"verdict": "confirmed", "fitbit_user_id": "SBX123"})
    );
    assert_eq!(v["migration"]["legacy_token"]["outcome"], "revoked");
    assert_eq!(v["migration"]["unmapped_scopes"], json!(["social"]));
    assert_eq!(v["migration"]["merged_from"], Value::Null, "{v}");

    // Google was asked for the read scopes that stand for activity, sleep and profile.
    let requests = h.requests().await;
    let authorize = requests
        .iter()
        .find(|r| r["path"] == "/o/oauth2/v2/auth")
        .expect("a Google consent");
    let query = authorize["query"].as_str().unwrap();
    let scope: String = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let mut asked: Vec<&str> = scope.split(' ').collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            "email".to_owned(),
            format!("{GH}activity_and_fitness.readonly"),
            format!("{GH}profile.readonly"),
            format!("{GH}sleep.readonly"),
            "openid".into(),
        ]
    );
    // The legacy grant was revoked at Fitbit, after the Google tokens were saved.
    let order: Vec<&str> = requests
        .iter()
        .filter_map(|r| r["path"].as_str())
        .filter(|p| ["/token", "/v4/users/me/identity", "/oauth2/revoke"].contains(p))
        .collect();
    assert_eq!(order, ["/token", "/v4/users/me/identity", "/oauth2/revoke"]);
    assert!(!active_at_fitbit(&h, &legacy_token).await);

    // The name now gives the Google token, which Google knows.
    let token = h.ok(&["token", "--account", "fit"]).await;
    assert_ne!(token.trim(), legacy_token);
    let inspected = h.ok(&["introspect", "--account", "fit", "--json"]).await;
    let inspected: Value = serde_json::from_str(&inspected).unwrap();
    assert_eq!(inspected["active"], true, "{inspected}");
    let status = h.ok(&["status", "--json"]).await;
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status.as_array().unwrap().len(), 1, "{status}");
    assert!(!h.ok(&["status"]).await.contains("fitauth migrate"));
    // Nothing is left to move.
    let line = h.fails(&["migrate"]).await;
    assert!(line.contains("no Fitbit account to move"), "{line}");
    // `fitauth token` printed access tokens on purpose; the revoked legacy refresh token must
    // appear nowhere.
    let revoked: Vec<String> = requests
        .iter()
        .filter(|r| r["path"] == "/oauth2/revoke")
        .filter_map(|r| r["form"]["token"][0].as_str().map(str::to_owned))
        .collect();
    assert_eq!(revoked.len(), 1);
    h.assert_no_secret_leaked(&revoked).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_fitbit_account_behind_the_google_sign_in_is_not_taken_for_it() {
    let h = Harness::start().await;
    legacy_and_google_registration(&h).await;
    let legacy_token = h.ok(&["token", "--account", "fit"]).await.trim().to_owned();
    h.clear_requests().await;

    // Riley (Fitbit user SBX456) signs in with Google to move Sam's account.
    let out = h
        .run_with(&["migrate", "--json"], |c| {
            c.env("FITAUTH_TEST_USER", "SBX456");
        })
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("fitauth: \"fit\" was not moved to Google Health.")
            && last.contains("another Fitbit account (Fitbit user SBX456, not SBX123)")
            && last.contains("Sign in with the Google account your Fitbit uses"),
        "{last}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["migration"]["moved"], false);
    assert_eq!(v["migration"]["same_account"]["verdict"], "different");
    assert_eq!(v["migration"]["legacy_token"]["outcome"], "kept");
    let riley = v["account"].as_str().unwrap().to_owned();
    assert_ne!(riley, "fit");
    assert_eq!(v["email"], "riley.visitor@example.com");

    // Sam's legacy account is exactly as it was: same token, still valid, not revoked.
    assert!(h
        .requests()
        .await
        .iter()
        .all(|r| r["path"] != "/oauth2/revoke"));
    assert_eq!(
        h.ok(&["token", "--account", "fit"]).await.trim(),
        legacy_token
    );
    assert!(active_at_fitbit(&h, &legacy_token).await);
    let status: Value = serde_json::from_str(&h.ok(&["status", "--json"]).await).unwrap();
    let providers: Vec<(&str, &str)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account"].as_str().unwrap(),
                a["provider"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(providers.contains(&("fit", "fitbit")), "{status}");
    assert!(
        providers.contains(&(riley.as_str(), "google-health")),
        "{status}"
    );

    // Sam connects Google here directly, as "sam-google"; moving "fit" then makes that account
    // "fit" (one account per person and registration), and says so.
    h.ok(&[
        "login",
        "--provider",
        "google-health",
        "--app",
        "google",
        "--scopes",
        &format!("{GH}sleep.readonly"),
        "--account",
        "sam-google",
    ])
    .await;
    let out = h.ok(&["migrate", "--account", "fit"]).await;
    assert!(
        out.contains(
            "This Google account was already here as \"sam-google\"; it now goes by \"fit\""
        ),
        "{out}"
    );
    let status: Value = serde_json::from_str(&h.ok(&["status", "--json"]).await).unwrap();
    let names: Vec<&str> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{status}");
    assert!(
        names.contains(&"fit") && names.contains(&riley.as_str()),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_account_moves_after_the_legacy_service_is_turned_off() {
    let h = Harness::start().await;
    h.ok(&["login", "--provider", "sandbox", "--account", "sb"])
        .await;
    h.settings(json!({ "legacy_retired": true })).await;
    let line = h.fails(&["refresh", "--account", "sb"]).await;
    assert!(
        line.contains("The legacy Fitbit API is retired")
            && line.contains("`fitauth migrate --account NAME`"),
        "{line}"
    );

    let out = h.ok(&["migrate"]).await;
    assert!(
        out.contains("Connected as sam.sandbox@example.com"),
        "{out}"
    );
    assert!(
        out.contains(
            "This is the same Fitbit account (Fitbit user SBX123): \"sb\" now uses Google."
        ),
        "{out}"
    );
    assert!(
        out.contains("The old Fitbit service no longer answers (it was turned off)"),
        "{out}"
    );
    let status: Value = serde_json::from_str(&h.ok(&["status", "--json"]).await).unwrap();
    assert_eq!(status[0]["account"], "sb", "{status}");
    assert_eq!(status[0]["provider"], "google-health");
    assert_eq!(status[0]["app"], "sandbox-cli-health");
    // The moved account refreshes at Google while Fitbit's side stays gone.
    h.ok(&["refresh", "--account", "sb"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fitbit_account_the_provider_stopped_accepting_is_told_to_move_not_to_reconnect() {
    let h = Harness::start().await;
    h.login_expiring("old").await;
    h.revoke_at_provider("old").await;
    // Connecting again on Fitbit's turned-off service cannot work: the move is the way on.
    let line = h.fails(&["token"]).await;
    assert!(
        line.contains("\"old\" needs you: Fitbit turned off its old service.")
            && line.contains("`fitauth migrate --account NAME`"),
        "{line}"
    );
    let status = h.ok(&["status"]).await;
    assert!(
        status.contains("Run `fitauth migrate --account old`.")
            && !status.contains("fitauth login"),
        "{status}"
    );
    let json: Value = serde_json::from_str(&h.ok(&["status", "--json"]).await).unwrap();
    assert_eq!(json[0]["state"], "reconnect_needed", "{json}");
}
