//! The `fitauth` command end to end: real processes, the real OS keyring (run under
//! `scripts/test`, which provides a throwaway gnome-keyring), the sandbox over loopback, and a
//! scripted browser as `$BROWSER` that approves consent and follows the redirect.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{find, status_json, Harness};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

const GOOGLE_SLEEP: &str = "https://www.googleapis.com/auth/googlehealth.sleep.readonly";

#[tokio::test(flavor = "multi_thread")]
async fn login_for_every_provider_and_app_type_then_use_the_tokens() {
    let h = Harness::start().await;
    h.login_fitbit("fb-client").await;
    let out = h
        .ok(&[
            "login",
            "--provider",
            "fitbit",
            "--client-id",
            "sandbox-server",
            "--client-secret",
            "sandbox-secret",
            "--app-type",
            "server",
            "--scopes",
            "activity profile",
            "--account",
            "fb-server",
        ])
        .await;
    assert!(out.contains("Connected as Sam Sandbox"), "{out}");
    h.ok(&[
        "login",
        "--provider",
        "fitbit",
        "--client-id",
        "sandbox-personal",
        "--app-type",
        "personal",
        "--scopes",
        "sleep profile",
        "--account",
        "fb-personal",
    ])
    .await;
    let out = h
        .ok(&[
            "login",
            "--provider",
            "google-health",
            "--client-id",
            "sandbox-google",
            "--client-secret",
            "sandbox-google-secret",
            "--scopes",
            GOOGLE_SLEEP,
            "--account",
            "google",
        ])
        .await;
    // Google is asked for `openid email` too: the account says whose it is.
    assert!(
        out.contains("Connected as sam.sandbox@example.com (sandbox-user-0001)."),
        "{out}"
    );
    assert!(out.contains("Saved as account \"google\"."), "{out}");
    let out = h
        .ok(&["login", "--provider", "sandbox", "--account", "sb"])
        .await;
    assert!(out.contains("access renews automatically"), "{out}");
    // Partial consent: another person (the same one through the same registration would update
    // "fb-client") unticks everything but sleep.
    let out = h
        .run_with(&common::logins::fitbit_public_client("partial"), |c| {
            c.env("FITAUTH_TEST_SCOPES", "sleep")
                .env("FITAUTH_TEST_USER", "SBX456");
        })
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Not shared: activity, profile."));

    // What the sandbox received, per app type.
    let tokens: Vec<Value> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/oauth2/token")
        .collect();
    let by_client = |id: &str| {
        tokens
            .iter()
            .find(|r| {
                r["form"]["client_id"][0] == id
                    || r["headers"]["authorization"]
                        .as_str()
                        .is_some_and(|a| a.starts_with("Basic ") && id == "sandbox-server")
            })
            .cloned()
    };
    assert!(
        by_client("sandbox-server").unwrap()["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(by_client("sandbox-client").unwrap()["form"]["code_verifier"][0].is_string());
    let google = h
        .requests()
        .await
        .into_iter()
        .find(|r| r["path"] == "/token")
        .unwrap();
    assert_eq!(google["form"]["client_secret"][0], "sandbox-google-secret");

    let accounts = status_json(&h.ok(&["status", "--json"]).await);
    assert_eq!(accounts.len(), 6);
    for a in &accounts {
        for field in [
            "account",
            "provider",
            "user_id",
            "scopes_granted",
            "scopes_requested",
            "expires_at",
            "state",
        ] {
            assert!(!a[field].is_null(), "{field} missing in {a}");
        }
        assert_eq!(a["state"], "active");
        assert!(
            chrono_like(a["expires_at"].as_str().unwrap()),
            "{}",
            a["expires_at"]
        );
    }
    assert_eq!(find(&accounts, "google")["provider"], "google-health");
    let google = find(&accounts, "google");
    let granted: Vec<&str> = google["scopes_granted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(granted.contains(&GOOGLE_SLEEP), "{granted:?}");
    assert!(
        granted.contains(&"openid") && granted.contains(&"email"),
        "{granted:?}"
    );
    assert_eq!(google["email"], "sam.sandbox@example.com");
    assert_eq!(google["scopes_denied"], json!([]));
    assert_eq!(find(&accounts, "fb-client")["user_id"], "SBX123");
    assert_eq!(
        find(&accounts, "partial")["scopes_granted"],
        json!(["sleep"])
    );
    assert_eq!(
        find(&accounts, "partial")["scopes_requested"],
        json!(["activity", "profile", "sleep"])
    );

    let table = h.ok(&["status"]).await;
    assert!(
        table.contains("ACCOUNT") && (table.contains("in 7h 59m") || table.contains("in 8h 0m")),
        "{table}"
    );
    assert!(table.contains("Secret Service"), "{table}");
    let one = status_json(&h.ok(&["accounts", "--json", "--account", "google"]).await);
    assert_eq!(one.len(), 1);

    // token, introspect, decode on real accounts.
    let token = h
        .ok(&["token", "--account", "fb-client"])
        .await
        .trim()
        .to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT-shaped sandbox token");
    let introspection: Value = serde_json::from_str(
        &h.ok(&["introspect", "--json", "--account", "fb-client"])
            .await,
    )
    .unwrap();
    assert_eq!(introspection["active"], true);
    assert_eq!(
        introspection["scopes"],
        json!(["activity", "profile", "sleep"])
    );
    for field in ["exp", "iat", "client_id", "user_id"] {
        assert!(!introspection[field].is_null(), "{field}");
    }
    // Every field the provider said, as it said it.
    for field in [
        "active",
        "scope",
        "client_id",
        "user_id",
        "token_type",
        "exp",
        "iat",
    ] {
        assert!(
            introspection["fields"][field].is_string(),
            "{field}: {introspection}"
        );
    }
    let google_info: Value =
        serde_json::from_str(&h.ok(&["introspect", "--json", "--account", "google"]).await)
            .unwrap();
    assert_eq!(google_info["source"], "tokeninfo");
    assert!(google_info["fields"]["azp"].is_string(), "{google_info}");
    let decoded = h.ok(&["decode", &token]).await;
    assert!(
        decoded.contains("decoded, not verified") && decoded.contains("SBX123"),
        "{decoded}"
    );
    assert!(h
        .fails(&["decode", "not-a-jwt"])
        .await
        .contains("not a JWT"));
    assert!(
        h.fails(&["token"]).await.contains("--account"),
        "several accounts: say which"
    );

    let refreshed = h.ok(&["refresh", "--account", "fb-server"]).await;
    assert!(
        refreshed.starts_with("Refreshed. Access expires in ") && refreshed.contains("h "),
        "{refreshed}"
    );
    let listed = h.ok(&["apps", "list"]).await;
    assert!(
        listed.contains("sandbox-server") && listed.contains("secret in keyring"),
        "{listed}"
    );
    assert!(!listed.contains("sandbox-secret"));

    h.assert_no_secret_leaked(&[]).await;
}

fn chrono_like(s: &str) -> bool {
    s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fitauth_link_can_be_pasted_and_a_wrong_state_is_refused() {
    let h = Harness::start().await;
    let redirect_file = h.scratch.join("redirect.txt");
    let mut child = h
        .command(&[
            "login",
            "--provider",
            "fitbit",
            "--client-id",
            "sandbox-client",
            "--scopes",
            "sleep",
            "--redirect",
            "scheme",
            "--account",
            "pasted",
        ])
        .env("FITAUTH_TEST_REDIRECT_FILE", &redirect_file)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let link = wait_for_file(&redirect_file).await;
    assert!(
        link.starts_with("fitauth://callback?code=") && link.ends_with("#_=_"),
        "{link}"
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{link}\n").as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    h.record(&out);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Connected as SBX123."),
        "without the profile scope the user id is shown: {stdout}"
    );

    // A forged link with someone else's state changes nothing.
    let before = std::fs::read_to_string(h.home.join("fitauth.json")).unwrap();
    let mut child = h
        .command(&[
            "login",
            "--provider",
            "fitbit",
            "--client-id",
            "sandbox-client",
            "--scopes",
            "sleep",
            "--redirect",
            "scheme",
            "--account",
            "pasted",
            "--no-browser",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"fitauth://callback?code=stolen&state=forged#_=_\n")
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    h.record(&out);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("security check did not match"), "{stderr}");
    assert!(
        stderr.contains("Open this address in your browser"),
        "--no-browser prints the URL: {stderr}"
    );
    let after = std::fs::read_to_string(h.home.join("fitauth.json")).unwrap();
    assert_eq!(before, after, "a refused link changes nothing");
    h.assert_no_secret_leaked(&[]).await;
}

async fn wait_for_file(path: &Path) -> String {
    for _ in 0..200 {
        if let Ok(s) = std::fs::read_to_string(path) {
            if !s.is_empty() {
                return s;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never appeared", path.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_consent_and_personal_app_for_another_user() {
    let h = Harness::start().await;
    let out = h
        .run_with(
            &[
                "login",
                "--provider",
                "fitbit",
                "--client-id",
                "sandbox-client",
                "--scopes",
                "sleep",
            ],
            |c| {
                c.env("FITAUTH_TEST_CONSENT", "deny");
            },
        )
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("You chose not to share access"), "{stderr}");
    assert!(
        status_json(&h.ok(&["status", "--json"]).await).is_empty(),
        "nothing stored"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_concurrent_token_commands_make_exactly_one_refresh() {
    let h = Harness::start().await;
    h.login_expiring("shared").await;
    let old = h.stored_refresh_token("shared").unwrap();

    let mut children = vec![];
    for _ in 0..8 {
        children.push(h.command(&["token"]).spawn().unwrap());
    }
    let mut printed = vec![];
    for child in children {
        let out = child.wait_with_output().await.unwrap();
        h.record(&out);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.push(String::from_utf8(out.stdout).unwrap());
    }
    assert!(
        printed.iter().all(|t| t == &printed[0]),
        "all print the same token"
    );
    let refreshes = h.refresh_requests().await;
    assert_eq!(refreshes.len(), 1, "exactly one refresh request");
    assert_eq!(refreshes[0]["form"]["refresh_token"][0], old.as_str());
    assert_ne!(
        h.stored_refresh_token("shared").unwrap(),
        old,
        "the rotated token was stored"
    );
    // And the token printed is the fresh one the sandbox accepts.
    h.ok(&["introspect"]).await;
    h.assert_no_secret_leaked(&[old]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_killed_mid_flight_is_recovered_without_reconnecting() {
    let h = Harness::start().await;
    h.login_expiring("k").await;
    let r1 = h.stored_refresh_token("k").unwrap();
    // The sandbox rotates, then holds the answer for a long time.
    h.fault(json!({ "kind": "slow", "delay_ms": 30000, "path": "/oauth2/token", "times": 1 }))
        .await;
    let mut child = h
        .command(&["refresh"])
        .env("FITAUTH_TIMEOUT", "60")
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if !h.refresh_requests().await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        h.refresh_requests().await.len(),
        1,
        "the refresh reached the sandbox"
    );
    child.start_kill().unwrap(); // SIGKILL
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    assert_eq!(
        h.stored_refresh_token("k").unwrap(),
        r1,
        "nothing half-written"
    );

    h.clear_faults().await;
    let token = h.ok(&["token"]).await;
    assert_eq!(token.trim().split('.').count(), 3);
    let accounts = status_json(&h.ok(&["status", "--json"]).await);
    assert_eq!(accounts[0]["state"], "active");
    assert_ne!(
        h.stored_refresh_token("k").unwrap(),
        r1,
        "recovered through the grace interval"
    );
    h.ok(&["introspect"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_leaves_tokens_intact_with_the_promised_message() {
    let h = Harness::start().await;
    h.login_expiring("f").await;
    let stored = h.stored_refresh_token("f").unwrap();
    let cases = [
        ("server_error", "The provider is having trouble (HTTP 503)."),
        ("html", "an HTML page"),
        ("malformed_json", "malformed JSON"),
        ("slow", "did not answer in time"),
        ("rate_limited", "Rate-limited until "),
        // `token` says what the account needs, as `status` and the desktop's notification do.
        (
            "gone",
            "\"f\" needs you: Fitbit turned off its old service.",
        ),
        ("conflict", "The provider reported a conflict"),
    ];
    for (kind, message) in cases {
        h.fault(json!({ "kind": kind, "path": "/oauth2/token", "delay_ms": 4000 }))
            .await;
        let line = h.fails(&["token"]).await;
        assert!(line.contains(message), "{kind}: {line}");
        if kind == "gone" {
            assert!(line.contains("`fitauth migrate --account NAME`"), "{line}");
        }
        h.clear_faults().await;
        assert_eq!(
            h.stored_refresh_token("f").unwrap(),
            stored,
            "{kind} left the stored token alone"
        );
        let state = &status_json(&h.ok(&["status", "--json"]).await)[0]["state"];
        assert_ne!(
            state, "reconnect_needed",
            "{kind} must not mark the account dead"
        );
    }
    // After all that, the same stored refresh token still works.
    h.ok(&["token"]).await;
    h.assert_no_secret_leaked(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_refresh_token_asks_to_reconnect_and_revoke_removes_secrets() {
    let h = Harness::start().await;
    // Sandbox accounts: on a legacy side that still answers, connecting again is the way on (on
    // Fitbit's own, turned-off service the move to Google is said instead: tests/migrate.rs).
    h.settings(json!({ "access_token_ttl_secs": 60 })).await;
    h.ok(&["login", "--provider", "sandbox", "--account", "dead"])
        .await;
    h.settings(json!({ "access_token_ttl_secs": 28800 })).await;
    h.clear_requests().await;
    h.revoke_at_provider("dead").await;
    let line = h.fails(&["token"]).await;
    assert!(
        line.contains("\"dead\" needs you: the provider no longer accepts its sign-in.")
            && line.contains("Run `fitauth login` again"),
        "{line}"
    );
    // `status` says the same.
    let status = h.ok(&["status"]).await;
    assert!(
        status.contains("\"dead\" needs you: the provider no longer accepts its sign-in."),
        "{status}"
    );
    assert_eq!(
        status_json(&h.ok(&["status", "--json"]).await)[0]["state"],
        "reconnect_needed"
    );

    // Another person (one account per person and registration).
    let login = h
        .run_with(
            &["login", "--provider", "sandbox", "--account", "live"],
            |c| {
                c.env("FITAUTH_TEST_USER", "SBX456");
            },
        )
        .await;
    assert!(login.status.success(), "{login:?}");
    let out = h.ok(&["logout", "--account", "live"]).await;
    assert!(out.contains("Revoked \"live\""), "{out}");
    let live = status_json(&h.ok(&["status", "--json", "--account", "live"]).await);
    assert_eq!(live[0]["state"], "revoked");
    assert_eq!(
        h.stored_refresh_token("live"),
        None,
        "secrets removed from the keyring"
    );
    assert!(h
        .fails(&["token", "--account", "live"])
        .await
        .contains("was revoked"));
    // The dead account's access token, which the provider no longer knows either: Fitbit's
    // 404 is said plainly and the tokens still leave this machine.
    let out = h
        .ok(&["revoke", "--account", "dead", "--token", "access"])
        .await;
    assert!(
        out.contains("The provider no longer knows the token of \"dead\" (HTTP 404"),
        "{out}"
    );
    assert_eq!(h.stored_refresh_token("dead"), None);
    let revokes: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/oauth2/revoke")
        .collect();
    // The access token no longer counted (404), so the refresh token was sent too (404 as well:
    // the grant was revoked at the provider).
    assert_eq!(revokes.len(), 4);
    assert_eq!(revokes[2]["status"], 404, "{:?}", revokes[2]);
    assert_eq!(revokes[3]["status"], 404, "{:?}", revokes[3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_that_fails_keeps_the_local_tokens() {
    let h = Harness::start().await;
    h.login_fitbit("keep").await;
    let before = h.stored_refresh_token("keep").unwrap();
    h.fault(json!({ "kind": "server_error", "path": "/oauth2/revoke" }))
        .await;
    assert!(h.fails(&["revoke"]).await.contains("having trouble"));
    assert_eq!(h.stored_refresh_token("keep").unwrap(), before);
    assert_eq!(
        status_json(&h.ok(&["status", "--json"]).await)[0]["state"],
        "active"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_are_one_plain_line() {
    let h = Harness::start().await;
    assert!(h
        .fails(&["token"])
        .await
        .contains("No account is connected yet"));
    let line = h
        .fails(&["login", "--provider", "fitbit", "--scopes", "sleep"])
        .await;
    assert!(
        line.contains("needs a Fitbit app registration") && line.contains("--client-id"),
        "{line}"
    );
    assert!(h
        .fails(&[
            "login",
            "--provider",
            "nope",
            "--client-id",
            "x",
            "--scopes",
            "sleep"
        ])
        .await
        .contains("unknown provider"));
    let line = h
        .fails(&[
            "login",
            "--provider",
            "fitbit",
            "--client-id",
            "sandbox-server",
            "--app-type",
            "server",
            "--scopes",
            "sleep",
        ])
        .await;
    assert!(line.contains("needs its client secret"), "{line}");
    assert!(h
        .fails(&["apps", "remove", "nothing"])
        .await
        .contains("no app registration"));
    // A busy port is a busy port, not "check the app registration".
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let line = h
        .fails(&[
            "login",
            "--provider",
            "fitbit",
            "--client-id",
            "sandbox-client",
            "--scopes",
            "sleep",
            "--port",
            &port,
        ])
        .await;
    assert!(
        line.contains(&format!("could not listen on 127.0.0.1:{port}")) && line.contains("--port"),
        "{line}"
    );
    assert!(!line.contains("registration"), "{line}");
    // A browser that cannot start says so, and the address is still printed to open by hand.
    let mut child = h
        .command(&[
            "login",
            "--provider",
            "fitbit",
            "--client-id",
            "sandbox-client",
            "--scopes",
            "sleep",
        ])
        .env("BROWSER", "/nonexistent/browser")
        .spawn()
        .unwrap();
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        use tokio::io::AsyncBufReadExt;
        let mut line = String::new();
        while stderr.read_line(&mut line).await.unwrap_or(0) > 0 {
            seen.push_str(&line);
            if line.contains("/oauth2/authorize?") {
                return true;
            }
            line.clear();
        }
        false
    })
    .await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    assert_eq!(found.ok(), Some(true), "{seen}");
    assert!(
        seen.contains("The web browser could not be opened (could not start /nonexistent/browser")
            && seen.contains("Open this address yourself"),
        "{seen}"
    );
}

/// `fitauth login --provider sandbox` as `user`, without a name; returns stdout.
async fn login_sandbox_as(h: &Harness, user: &str, account: Option<&str>) -> Output {
    let mut args = vec!["login", "--provider", "sandbox"];
    if let Some(name) = account {
        args.extend(["--account", name]);
    }
    h.run_with(&args, |c| {
        c.env("FITAUTH_TEST_USER", user);
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn two_people_through_one_registration_and_reconnecting_updates_in_place() {
    let h = Harness::start().await;
    let sam = login_sandbox_as(&h, "SBX123", None).await;
    let out = String::from_utf8_lossy(&sam.stdout);
    assert!(
        sam.status.success(),
        "{}",
        String::from_utf8_lossy(&sam.stderr)
    );
    assert!(out.contains("Connected as Sam Sandbox (SBX123)."), "{out}");
    assert!(out.contains("Saved as account \"sam-sandbox\"."), "{out}");
    let sam_refresh = h.stored_refresh_token("sam-sandbox").unwrap();

    let riley = login_sandbox_as(&h, "SBX456", None).await;
    let out = String::from_utf8_lossy(&riley.stdout);
    assert!(
        out.contains("Connected as Riley Visitor (SBX456)."),
        "{out}"
    );
    assert!(out.contains("Saved as account \"riley-visitor\"."), "{out}");
    assert_eq!(
        h.stored_refresh_token("sam-sandbox").unwrap(),
        sam_refresh,
        "Riley's sign-in leaves Sam's tokens alone"
    );

    // Each has a working refresh of their own.
    for name in ["sam-sandbox", "riley-visitor"] {
        let before = h.stored_refresh_token(name).unwrap();
        h.ok(&["refresh", "--account", name]).await;
        assert_ne!(h.stored_refresh_token(name).unwrap(), before, "{name}");
        let verdict: Value =
            serde_json::from_str(&h.ok(&["introspect", "--json", "--account", name]).await)
                .unwrap();
        assert_eq!(verdict["active"], true, "{name}");
    }
    let accounts = status_json(&h.ok(&["status", "--json"]).await);
    assert_eq!(find(&accounts, "sam-sandbox")["user_id"], "SBX123");
    assert_eq!(find(&accounts, "riley-visitor")["user_id"], "SBX456");

    // Sam again: the same account, updated in place.
    let again = login_sandbox_as(&h, "SBX123", None).await;
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(
        out.contains("Updated the existing account \"sam-sandbox\"."),
        "{out}"
    );
    assert_eq!(status_json(&h.ok(&["status", "--json"]).await).len(), 2);
    h.ok(&["token", "--account", "sam-sandbox"]).await;

    // Riley asking for Sam's account name is refused, and nothing changes.
    let before = std::fs::read_to_string(h.home.join("fitauth.json")).unwrap();
    let sam_refresh = h.stored_refresh_token("sam-sandbox").unwrap();
    let taken = login_sandbox_as(&h, "SBX456", Some("sam-sandbox")).await;
    h.record(&taken);
    assert!(!taken.status.success());
    let stderr = String::from_utf8_lossy(&taken.stderr);
    assert!(stderr.contains("belongs to Sam Sandbox"), "{stderr}");
    assert!(
        stderr.contains("--account"),
        "the CLI's own next step: {stderr}"
    );
    assert_eq!(h.stored_refresh_token("sam-sandbox").unwrap(), sam_refresh);
    let after: Value =
        serde_json::from_str(&std::fs::read_to_string(h.home.join("fitauth.json")).unwrap())
            .unwrap();
    let before: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(after["accounts"], before["accounts"]);

    // Names are editable.
    let out = h.ok(&["rename", "riley-visitor", "riley"]).await;
    assert!(out.contains("Renamed to \"riley\"."), "{out}");
    h.ok(&["token", "--account", "riley"]).await;
    h.assert_no_secret_leaked(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fitbit_registration_is_told_the_exact_redirect_that_login_uses() {
    let h = Harness::start().await;
    // On the real Fitbit hosts: the fixed port, exactly as Fitbit compares it.
    let out = h
        .run_with(
            &[
                "apps",
                "add",
                "--provider",
                "fitbit",
                "--client-id",
                "23ABCD",
                "--redirect",
                "loopback",
            ],
            |c| {
                c.env_remove("FITAUTH_FITBIT_BASE_URL");
            },
        )
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "Register this redirect URL with the provider: http://127.0.0.1:47813/callback"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("any port"), "{stdout}");
    let out = h
        .run_with(
            &[
                "apps",
                "add",
                "--provider",
                "fitbit",
                "--client-id",
                "23ABCD",
                "--redirect",
                "scheme",
                "--name",
                "with-link",
            ],
            |c| {
                c.env_remove("FITAUTH_FITBIT_BASE_URL");
            },
        )
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("  fitauth://callback\n  http://127.0.0.1:47813/callback"),
        "{stdout}"
    );
    // The names Fitauth keeps for itself are refused, as in the desktop's Apps form.
    let line = h
        .fails(&[
            "apps",
            "add",
            "--provider",
            "fitbit",
            "--client-id",
            "x",
            "--name",
            " sandbox ",
        ])
        .await;
    assert!(
        line.contains("kept for a registration Fitauth makes itself"),
        "{line}"
    );
    // Google registrations are loopback desktop clients whatever the flags say.
    let json: Value = serde_json::from_str(
        &h.ok(&[
            "apps",
            "add",
            "--json",
            "--provider",
            "google-health",
            "--client-id",
            " 1.apps.googleusercontent.com ",
            "--client-secret",
            "s3cret-value",
            "--redirect",
            "scheme",
        ])
        .await,
    )
    .unwrap();
    assert_eq!(json["redirect"], "loopback");
    assert_eq!(json["client_id"], "1.apps.googleusercontent.com");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_that_never_gets_an_answer_is_retried_then_reported() {
    let h = Harness::start().await;
    h.login_expiring("slow").await;
    let stored = h.stored_refresh_token("slow").unwrap();
    // The provider never answers in time.
    h.fault(json!({ "kind": "slow", "path": "/oauth2/token", "delay_ms": 20000 }))
        .await;
    let started = std::time::Instant::now();
    let out = h
        .run_with(&["refresh"], |c| {
            c.env("FITAUTH_TIMEOUT", "3");
        })
        .await;
    let seconds = started.elapsed().as_secs_f64();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not answer in time"), "{stderr}");
    // The timeout is a deadline for the whole command, retries included (plus the process's
    // start and its store and keyring work, which no timeout cuts short).
    assert!(
        seconds <= 3.0 + 2.0,
        "fitauth refresh --timeout 3 took {seconds:.1} s"
    );
    let tries = h.refresh_requests().await;
    assert!(
        tries.len() >= 2,
        "a lost answer is still retried: {}",
        tries.len()
    );
    assert!(tries
        .iter()
        .all(|r| r["form"]["refresh_token"][0] == stored.as_str()));
    h.clear_faults().await;
    assert_eq!(h.stored_refresh_token("slow").unwrap(), stored);
    h.ok(&["token"]).await;
}

/// A Google client whose consent screen is in Testing gets refresh tokens that end after seven
/// days; the registration says so, and the account knows when its access ends.
#[tokio::test(flavor = "multi_thread")]
async fn a_testing_google_client_knows_its_access_ends_in_seven_days() {
    let h = Harness::start().await;
    h.add_google_registration("testing-google", &["--testing"])
        .await;
    h.ok(&[
        "login",
        "--provider",
        "google-health",
        "--app",
        "testing-google",
        "--scopes",
        GOOGLE_SLEEP,
        "--account",
        "g",
    ])
    .await;
    let a = &status_json(&h.ok(&["status", "--json"]).await)[0];
    let issued = chrono_secs(a["issued_at"].as_str().unwrap());
    let ends = chrono_secs(a["refresh_token_expires_at"].as_str().unwrap());
    assert_eq!(ends - issued, 7 * 24 * 3600, "{a}");
    // Far from the end: nothing needs the person yet.
    assert!(!h.ok(&["status"]).await.contains("needs you"));
}

/// Seconds since the epoch of an RFC 3339 UTC time as `status --json` prints it
/// (`2026-11-30T23:59:59Z`).
fn chrono_secs(s: &str) -> i64 {
    let (date, time) = s.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let t: Vec<i64> = time
        .split(':')
        .map(|x| x.split('.').next().unwrap().parse().unwrap())
        .collect();
    // Days from civil (Howard Hinnant's algorithm), valid for the Gregorian calendar.
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]
}

/// `fitauth api`, like `gh api`: the account's token to the provider's API only, the answer
/// printed (pretty JSON; `-i` adds the status and headers), a 401 refreshed once and asked again.
#[tokio::test(flavor = "multi_thread")]
async fn api_sends_the_token_to_the_provider_api_and_retries_once_after_a_401() {
    let h = Harness::start().await;
    h.ok(&["login", "--provider", "sandbox", "--account", "sb"])
        .await;
    let out = h.ok(&["api", "/1/user/-/profile.json"]).await;
    let profile: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(profile["user"]["displayName"], "Sam Sandbox", "{out}");
    let out = h.ok(&["api", "-i", "/1/user/-/profile.json"]).await;
    assert!(out.starts_with("HTTP 200 ("), "{out}");
    assert!(
        out.to_lowercase().contains("fitbit-rate-limit-remaining: "),
        "{out}"
    );

    // Anywhere but the provider's API is refused before a request (the token stays home).
    h.clear_requests().await;
    for elsewhere in ["https://evil.example/x", "//evil.example/x", "profile.json"] {
        let line = h.fails(&["api", elsewhere]).await;
        assert!(
            line.contains("is not a path under the provider's API"),
            "{line}"
        );
    }
    let out = h
        .run(&["api", "-X", "TRACE", "/1/user/-/profile.json"])
        .await;
    assert!(!out.status.success());
    assert!(h.requests().await.is_empty());

    // A non-2xx answer is shown, then fails.
    let out = h.run(&["api", "/1/user/-/no-such-thing.json"]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("answered GET /1/user/-/no-such-thing.json with HTTP 404"),
        "{stderr}"
    );
    assert!(!out.stdout.is_empty(), "the answer's body is printed");

    // The provider ends the token before this machine expects (its clock runs ahead): a 401,
    // one refresh, the same request again.
    h.clear_requests().await;
    h.control(
        reqwest::Method::POST,
        "clock",
        Some(json!({ "advance_secs": 9 * 3600 })),
    )
    .await;
    let out = h.run(&["api", "/1/user/-/profile.json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("(HTTP 401); Fitauth refreshed it and asked again"),
        "{stderr}"
    );
    let paths: Vec<String> = h
        .requests()
        .await
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/1/user/-/profile.json",
            "/oauth2/token",
            "/1/user/-/profile.json"
        ],
        "{paths:?}"
    );
    h.assert_no_secret_leaked(&[]).await;
}

/// `fitauth import`, like `gh auth login --with-token`: tokens made elsewhere (here, by a
/// Fitauth with another home) become an account once the provider says they are active.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_from_elsewhere_is_imported_once_the_provider_says_it_is_active() {
    let h = Harness::start().await;
    let elsewhere = common::temp_dir("fitauth-elsewhere");
    let there = |c: &mut tokio::process::Command| {
        c.env("FITAUTH_HOME", &elsewhere);
    };
    let login = h
        .run_with(
            &["login", "--provider", "sandbox", "--account", "there"],
            there,
        )
        .await;
    assert!(login.status.success(), "{login:?}");
    let access = h.run_with(&["token"], there).await;
    let access = String::from_utf8(access.stdout).unwrap().trim().to_owned();
    let store = fitauth_core::Store::open(
        elsewhere.clone(),
        std::sync::Arc::new(fitauth_core::keyring::OsKeyring::open().unwrap()),
    )
    .unwrap();
    let theirs = store.resolve_account(Some("there")).unwrap();
    let refresh = store.refresh_token(&theirs).unwrap().unwrap();

    let out = h
        .run_with_stdin(
            &["import", "--provider", "sandbox", "--account", "mine"],
            &format!("{access}\n{}\n", refresh.secret()),
        )
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("Connected as Sam Sandbox (SBX123).")
            && stdout.contains("Saved as account \"mine\"."),
        "{stdout}"
    );
    let mine = &status_json(&h.ok(&["status", "--json", "--account", "mine"]).await)[0];
    assert_eq!(mine["state"], "active", "{mine}");
    assert_eq!(mine["user_id"], "SBX123", "{mine}");
    // An account like any other: it renews itself.
    h.ok(&["refresh", "--account", "mine"]).await;
    assert_ne!(h.stored_refresh_token("mine").unwrap(), refresh.secret());

    // Only an access token for the same person: the account is updated and keeps renewing.
    let fresh = h.run_with(&["token", "--account", "there"], there).await;
    let fresh = String::from_utf8(fresh.stdout).unwrap();
    let out = h
        .run_with_stdin(&["import", "--provider", "sandbox"], fresh.trim())
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Updated the existing account \"mine\"."),
        "{out:?}"
    );
    let mine = &status_json(&h.ok(&["status", "--json", "--account", "mine"]).await)[0];
    assert_eq!(mine["has_refresh_token"], true, "kept: {mine}");

    // A token issued to another client is refused, naming both.
    h.ok(&[
        "login",
        "--provider",
        "fitbit",
        "--client-id",
        "sandbox-server",
        "--client-secret",
        "sandbox-secret",
        "--app-type",
        "server",
        "--grant",
        "client-credentials",
        "--account",
        "app",
    ])
    .await;
    let out = h
        .run_with_stdin(
            &["import", "--provider", "fitbit", "--app", "sandbox-server"],
            fresh.trim(),
        )
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr
                .contains("issued to the client \"sandbox-client\", not to \"sandbox-server\""),
        "{stderr}"
    );

    // A token the provider no longer takes is refused, and nothing is stored.
    h.revoke_at_provider("mine").await;
    let dead = h.ok(&["token", "--account", "mine"]).await;
    let out = h
        .run_with_stdin(
            &["import", "--provider", "sandbox", "--account", "dead"],
            dead.trim(),
        )
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not active"), "{stderr}");
    assert_eq!(
        status_json(&h.ok(&["status", "--json"]).await).len(),
        2,
        "mine and the app token; nothing imported"
    );
    // Nothing on standard input: said.
    let out = h
        .run_with_stdin(&["import", "--provider", "sandbox"], "")
        .await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token on standard input"));
    // The refresh token went in on stdin only (`fitauth token` printed access tokens on purpose).
    h.assert_no_secret_leaked(&[refresh.secret().to_owned()])
        .await;
}

/// Every grant Fitbit's docs allow, and the combinations they forbid refused with the reason
/// before any request.
#[tokio::test(flavor = "multi_thread")]
async fn every_grant_the_docs_allow_and_the_forbidden_ones_refused_before_any_request() {
    let h = Harness::start().await;
    let server = [
        "login",
        "--provider",
        "fitbit",
        "--client-id",
        "sandbox-server",
        "--client-secret",
        "sandbox-secret",
        "--app-type",
        "server",
    ];
    let client = [
        "login",
        "--provider",
        "fitbit",
        "--client-id",
        "sandbox-client",
        "--scopes",
        "sleep",
    ];
    let with = |base: &[&'static str], more: &[&'static str]| -> Vec<&'static str> {
        base.iter().chain(more).copied().collect()
    };
    h.clear_requests().await;
    for (args, reason) in [
        (with(&client, &["--no-pkce"]), "must use PKCE"),
        (
            with(&server, &["--scopes", "sleep", "--grant", "implicit"]),
            "server apps cannot use the implicit grant",
        ),
        (
            with(&client, &["--grant", "client-credentials"]),
            "the client-credentials grant is for Fitbit server apps",
        ),
        (
            with(&server, &["--scopes", "sleep", "--grant", "client-credentials"]),
            "--grant client-credentials asks for an app token without a browser or a person; leave out --scopes",
        ),
        (
            vec![
                "login",
                "--provider",
                "fitbit",
                "--client-id",
                "sandbox-client",
                "--grant",
                "client-credentials",
            ],
            "client-credentials grant is for Fitbit server apps",
        ),
        (
            with(&client, &["--grant", "implicit", "--lifetime", "172800"]),
            "Fitbit gives implicit tokens a lifetime of 86400",
        ),
        (
            with(&client, &["--grant", "implicit", "--redirect", "loopback"]),
            "a loopback listener never receives",
        ),
        (
            with(&client, &["--lifetime", "1d"]),
            "Fitbit gives tokens from the code grant a lifetime of 28800 seconds (8 hours) or 3600",
        ),
    ] {
        let line = h.fails(&args).await;
        assert!(line.contains(reason), "{args:?}: {line}");
    }
    assert!(h.requests().await.is_empty(), "refused before any request");

    // Implicit: the token comes in the fitauth:// link's fragment (pasted here), a week long,
    // with no refresh token.
    let redirect_file = h.scratch.join("implicit.txt");
    let mut child = h
        .command(&with(
            &client,
            &[
                "--grant",
                "implicit",
                "--lifetime",
                "1w",
                "--account",
                "week",
            ],
        ))
        .env("FITAUTH_TEST_REDIRECT_FILE", &redirect_file)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let link = wait_for_file(&redirect_file).await;
    assert!(link.starts_with("fitauth://callback#"), "{link}");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{link}\n").as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    h.record(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("It has no refresh token: connect again when it expires."),
        "{stdout}"
    );
    let week = &status_json(&h.ok(&["status", "--json", "--account", "week"]).await)[0];
    assert_eq!(week["has_refresh_token"], false, "{week}");
    let left = week["expires_in_seconds"].as_i64().unwrap();
    assert!((604_000..=604_800).contains(&left), "{week}");
    let authorize = h
        .requests()
        .await
        .into_iter()
        .find(|r| r["path"] == "/oauth2/authorize")
        .unwrap();
    let query = authorize["query"].as_str().unwrap();
    assert!(
        query.contains("response_type=token") && query.contains("expires_in=604800"),
        "{query}"
    );

    // Client credentials: an app token with no user and no refresh token, an hour long.
    let out = h
        .ok(&with(
            &server,
            &[
                "--grant",
                "client-credentials",
                "--lifetime",
                "1h",
                "--account",
                "app",
            ],
        ))
        .await;
    assert!(out.contains("App token of sandbox-server"), "{out}");
    let app = &status_json(&h.ok(&["status", "--json", "--account", "app"]).await)[0];
    assert_eq!(app["user_id"], Value::Null, "{app}");
    assert_eq!(app["has_refresh_token"], false, "{app}");
    let left = app["expires_in_seconds"].as_i64().unwrap();
    assert!((3_500..=3_600).contains(&left), "{app}");
    // A new app token under the same name renews it; a name that is a person's is refused
    // before Fitbit issues anything.
    let again = h
        .ok(&with(
            &server,
            &["--grant", "client-credentials", "--account", "app"],
        ))
        .await;
    assert!(
        again.contains("Updated the existing account \"app\""),
        "{again}"
    );
    h.clear_requests().await;
    let line = h
        .fails(&with(
            &server,
            &["--grant", "client-credentials", "--account", "week"],
        ))
        .await;
    assert!(line.contains("\"week\""), "{line}");
    assert!(h.requests().await.is_empty(), "refused before any request");
    // Server apps may leave PKCE out.
    let out = h
        .ok(&with(
            &server,
            &["--scopes", "sleep", "--no-pkce", "--account", "nopkce"],
        ))
        .await;
    assert!(out.contains("Saved as account \"nopkce\""), "{out}");

    // The code grant asks for a one-hour token; its refreshes keep asking for one hour.
    h.ok(&with(&client, &["--lifetime", "1h", "--account", "hour"]))
        .await;
    for step in ["login", "refresh"] {
        if step == "refresh" {
            h.clear_requests().await;
            h.ok(&["refresh", "--account", "hour"]).await;
            let sent = h
                .requests()
                .await
                .into_iter()
                .find(|r| r["path"] == "/oauth2/token")
                .unwrap();
            assert_eq!(sent["form"]["grant_type"][0], "refresh_token", "{sent}");
            assert_eq!(sent["form"]["expires_in"][0], "3600", "{sent}");
        }
        let hour = &status_json(&h.ok(&["status", "--json", "--account", "hour"]).await)[0];
        assert_eq!(hour["has_refresh_token"], true, "{step}: {hour}");
        let left = hour["expires_in_seconds"].as_i64().unwrap();
        assert!((3_500..=3_600).contains(&left), "{step}: {hour}");
    }
    // Google sets its own lifetimes: refused before any request.
    h.clear_requests().await;
    let line = h
        .fails(&[
            "login",
            "--provider",
            "google-health",
            "--client-id",
            "sandbox-google",
            "--client-secret",
            "sandbox-google-secret",
            "--scopes",
            GOOGLE_SLEEP,
            "--lifetime",
            "1h",
        ])
        .await;
    assert!(
        line.contains("Google sets the lifetime of its tokens itself"),
        "{line}"
    );
    assert!(h.requests().await.is_empty());

    // Ask for more (`gh auth refresh --scopes`): "hour" signs in again through its own
    // registration, asking for what it had plus heart rate; the account keeps its name.
    let out = h
        .ok(&[
            "reconnect",
            "--account",
            "hour",
            "--add-scopes",
            "heartrate",
        ])
        .await;
    assert!(
        out.contains("Updated the existing account \"hour\"."),
        "{out}"
    );
    let hour = &status_json(&h.ok(&["status", "--json", "--account", "hour"]).await)[0];
    let granted: Vec<&str> = hour["scopes_granted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        granted.contains(&"sleep") && granted.contains(&"heartrate"),
        "{hour}"
    );
    let authorize = h
        .requests()
        .await
        .into_iter()
        .rev()
        .find(|r| r["path"] == "/oauth2/authorize")
        .unwrap();
    assert!(
        authorize["query"]
            .as_str()
            .unwrap()
            .contains("scope=sleep+heartrate"),
        "{authorize}"
    );
    // Its tokens were one hour long, and stay so.
    let exchange = h
        .requests()
        .await
        .into_iter()
        .rev()
        .find(|r| r["path"] == "/oauth2/token")
        .unwrap();
    assert_eq!(exchange["form"]["grant_type"][0], "authorization_code");
    assert_eq!(exchange["form"]["expires_in"][0], "3600", "{exchange}");
    // Revoke by sending the access token: it ends the grant at once, one call.
    h.clear_requests().await;
    let out = h
        .ok(&["revoke", "--account", "hour", "--token", "access"])
        .await;
    assert!(out.contains("Revoked \"hour\""), "{out}");
    let revokes: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/oauth2/revoke")
        .collect();
    assert_eq!(revokes.len(), 1, "{revokes:?}");
    assert_eq!(revokes[0]["status"], 200);
    let hour = &status_json(&h.ok(&["status", "--json", "--account", "hour"]).await)[0];
    assert_eq!(hour["state"], "revoked", "{hour}");
    // An app token has nobody to sign in again.
    h.clear_requests().await;
    let line = h.fails(&["reconnect", "--account", "app"]).await;
    assert!(line.contains("\"app\" is an app token"), "{line}");
    assert!(h.requests().await.is_empty());
}
