//! The desktop commands through Tauri's IPC on the mock runtime (no display), against a real
//! in-process sandbox over loopback, a temporary FITAUTH_HOME and the real Secret Service
//! (`scripts/test` runs this inside a private D-Bus session with an unlocked gnome-keyring).
//!
//! The consent page is driven by `tests/support/consenting-browser`, the same scripted browser
//! the CLI tests use: it approves (or denies) on the sandbox's page and either follows a loopback
//! redirect or writes a `fitauth://callback…` redirect to a file, which the test then hands to the
//! app exactly as the OS would (`connect::handle_links`, what `on_open_url` / `get_current` call).
//! The person who signs in is chosen per sign-in by writing the sandbox user's id to
//! `user.txt` (the scripted browser's `FITAUTH_TEST_USER_FILE`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fitauth_desktop::{app_builder, connect, init_state, Browser, Config, RevealGate};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};

const BROWSER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/support/consenting-browser"
);

struct Harness {
    app: App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
    home: PathBuf,
    redirect_file: PathBuf,
}

/// The sandbox's demo people.
const SAM: &str = "SBX123";
const RILEY: &str = "SBX456";

fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "fitauth-desktop-{name}-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An app on the mock runtime with its own data directory and scripted browser.
fn harness(name: &str, scheme_redirects: bool, consent: &str) -> Harness {
    harness_with(name, scheme_redirects, consent, false)
}

fn harness_with(
    name: &str,
    scheme_redirects: bool,
    consent: &str,
    background_refresh: bool,
) -> Harness {
    let home = temp_dir(name);
    let redirect_file = home.join("redirect.txt");
    let config = Config {
        home: Some(home.join("data")),
        browser: Browser::command(
            vec!["python3".into(), BROWSER.into()],
            vec![
                (
                    "FITAUTH_TEST_REDIRECT_FILE".into(),
                    redirect_file.display().to_string(),
                ),
                (
                    "FITAUTH_TEST_BROWSER_LOG".into(),
                    home.join("browser.log").display().to_string(),
                ),
                ("FITAUTH_TEST_CONSENT".into(), consent.into()),
                ("FITAUTH_TEST_USER".into(), SAM.into()),
                (
                    "FITAUTH_TEST_USER_FILE".into(),
                    home.join("user.txt").display().to_string(),
                ),
            ],
        ),
        scheme_redirects,
        background_refresh,
        // The mock runtime has no display for the native dialog; the E2E answers the real one.
        reveal_gate: RevealGate::ApproveWithoutAsking,
    };
    let app = app_builder(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("the app builds on the mock runtime");
    // `setup` only runs inside `App::run`; the real app calls the same function from there.
    init_state(app.handle(), config).expect("the store opens");
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Harness {
        app,
        main,
        home,
        redirect_file,
    }
}

impl Harness {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_on(&self.main, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// Collects the payloads of one event.
    fn events(&self, name: &str) -> mpsc::Receiver<Value> {
        let (tx, rx) = mpsc::channel();
        self.app.listen_any(name.to_owned(), move |e| {
            let _ = tx.send(serde_json::from_str(e.payload()).unwrap_or(Value::Null));
        });
        rx
    }

    /// The fitauth:// address the scripted browser was sent to.
    fn wait_for_redirect(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.redirect_file) {
                if !text.is_empty() {
                    let _ = std::fs::remove_file(&self.redirect_file);
                    return text;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the browser never reached the redirect; its log: {:?}",
                std::fs::read_to_string(self.home.join("browser.log"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Who the scripted browser signs in as from now on.
    fn sign_in_as(&self, user: &str) {
        std::fs::write(self.home.join("user.txt"), user).unwrap();
    }

    /// Signs `user` in through the sandbox by deep link and returns the connect-finished payload.
    fn connect_sandbox_user(&self, user: &str, account: Option<&str>) -> Value {
        self.sign_in_as(user);
        let finished = self.events("connect-finished");
        let waiting = self.ok(
            "start_connect",
            json!({"request": {"choice": "sandbox", "scopes": ["activity", "profile", "sleep"],
                               "account": account}}),
        );
        assert_eq!(waiting["redirect"], "scheme");
        self.deliver_link(&self.wait_for_redirect());
        recv(&finished, "connect-finished")
    }

    fn reveal(&self, account: &str, which: &str) -> String {
        self.ok("reveal_secret", json!({"name": account, "which": which}))
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn metadata(&self) -> String {
        std::fs::read_to_string(self.home.join("data/fitauth.json")).unwrap_or_default()
    }

    fn deliver_link(&self, link: &str) {
        connect::handle_links(self.app.handle(), vec![url::Url::parse(link).unwrap()]);
    }
}

fn invoke_on(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

fn recv(rx: &mpsc::Receiver<Value>, what: &str) -> Value {
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("no {what} event"))
}

fn start_sandbox_sign_in(h: &Harness, scopes: &[&str]) -> Value {
    h.ok(
        "start_connect",
        json!({"request": {"choice": "sandbox", "scopes": scopes}}),
    )
}

#[test]
fn sandbox_sign_in_by_deep_link_then_refresh_introspect_revoke() {
    let h = harness("deeplink", true, "allow");
    let finished = h.events("connect-finished");
    let refused = h.events("link-refused");

    let waiting = start_sandbox_sign_in(&h, &["activity", "profile", "sleep"]);
    assert_eq!(waiting["redirect"], "scheme");
    assert_eq!(waiting["redirect_uri"], "fitauth://callback");
    assert!(
        waiting["account"].is_null(),
        "no name asked for: the account is named after the person"
    );
    // The pending sign-in is on disk (it survives a restart), its verifier is not.
    let pending_file = h.metadata();
    assert!(pending_file.contains("\"pending\"") && pending_file.contains("fitauth://callback"));
    assert!(!pending_file.contains("code_verifier"));

    let link = h.wait_for_redirect();
    assert!(link.starts_with("fitauth://callback?"), "{link}");
    // The same link twice (single-instance forward and get_current): handled once.
    h.deliver_link(&link);
    h.deliver_link(&link);
    let done = recv(&finished, "connect-finished");
    assert_eq!(done["label"], "Sam Sandbox");
    assert_eq!(done["account"]["name"], "sam-sandbox");
    assert_eq!(done["updated"], false);
    assert_eq!(done["account"]["state"], "active");
    assert!(
        finished.recv_timeout(Duration::from_millis(700)).is_err(),
        "a repeated link must not connect twice"
    );
    assert!(refused.try_recv().is_err(), "a repeat is not a refusal");

    let accounts = h.ok("list_accounts", json!({}));
    assert_eq!(accounts.as_array().unwrap().len(), 1);
    let overview = h.ok("app_overview", json!({}));
    assert!(overview["waiting"].is_null());
    assert!(overview["secrets_location"]
        .as_str()
        .unwrap()
        .starts_with("Secret Service"));

    // Inspect: masked values, decoded claims, redacted exchanges, no raw secret anywhere.
    let access = h
        .ok(
            "reveal_secret",
            json!({"name": "sam-sandbox", "which": "access_token"}),
        )
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = h
        .ok(
            "reveal_secret",
            json!({"name": "sam-sandbox", "which": "refresh_token"}),
        )
        .as_str()
        .unwrap()
        .to_owned();
    assert!(access.len() > 16 && refresh.len() > 16);
    let detail = h.ok("inspect_account", json!({"name": "sam-sandbox"}));
    let detail_text = detail.to_string();
    assert!(!detail_text.contains(&access) && !detail_text.contains(&refresh));
    assert_eq!(
        detail["access_token"]["masked"],
        format!("{}…{}", &access[..4], &access[access.len() - 4..])
    );
    let exchanges = detail["exchanges"].as_array().unwrap();
    assert!(exchanges
        .iter()
        .any(|x| x["operation"] == "code_exchange" && x["status"] == 200));
    assert!(detail_text.contains("[redacted]"));
    assert!(detail["jwt"].is_object() || detail["jwt_note"].is_string());
    assert_eq!(detail["app"]["client_id"], "sandbox-client");
    let metadata = h.metadata();
    assert!(!metadata.contains(&access) && !metadata.contains(&refresh));

    // Refresh: a new pair, saved.
    let refreshed = h.ok("refresh_account", json!({"name": "sam-sandbox"}));
    assert_eq!(refreshed["account"]["state"], "active");
    let access2 = h
        .ok(
            "reveal_secret",
            json!({"name": "sam-sandbox", "which": "access_token"}),
        )
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(access, access2, "refresh must hand out a new access token");

    // Introspect: the provider's verdict.
    let verdict = h.ok("introspect_account", json!({"name": "sam-sandbox"}));
    assert_eq!(verdict["active"], true);
    assert_eq!(verdict["source"], "introspect");

    // Revoke: the grant ends at the provider, the local secrets go.
    let revoked = h.ok("revoke_account", json!({"name": "sam-sandbox"}));
    assert_eq!(revoked["account"]["state"], "revoked");
    assert_eq!(revoked["outcome"], "revoked");
    assert_eq!(
        revoked["said"],
        "Revoked \"sam-sandbox\" and removed its tokens from this machine."
    );
    let err = h
        .invoke(
            "reveal_secret",
            json!({"name": "sam-sandbox", "which": "access_token"}),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "secret_missing");
    let err = h
        .invoke("introspect_account", json!({"name": "sam-sandbox"}))
        .unwrap_err();
    assert_eq!(err["kind"], "revoked");
    assert!(err["message"].as_str().unwrap().contains("was revoked"));
    assert!(err["hint"].as_str().unwrap().len() > 5);
}

#[test]
fn the_workbench_sends_requests_and_imports_tokens_without_showing_them() {
    let h = harness("workbench", true, "allow");
    let finished = h.events("connect-finished");
    start_sandbox_sign_in(&h, &["activity", "profile"]);
    h.deliver_link(&h.wait_for_redirect());
    let done = recv(&finished, "connect-finished");
    let name = done["account"]["name"].as_str().unwrap().to_owned();
    let access = h
        .ok(
            "reveal_secret",
            json!({"name": name, "which": "access_token"}),
        )
        .as_str()
        .unwrap()
        .to_owned();

    // Try a request: the provider's answer, the token nowhere in what the window gets.
    let sent = h.ok(
        "send_request",
        json!({"name": name, "method": "GET", "path": "/1/user/-/profile.json", "body": null}),
    );
    assert_eq!(sent["answer"]["status"], 200, "{sent}");
    assert!(
        sent["pretty_body"].as_str().unwrap().contains("Sam"),
        "{sent}"
    );
    let curl = sent["curl"].as_str().unwrap();
    assert!(
        curl.contains(&format!("$(fitauth token --account '{name}')")),
        "{curl}"
    );
    assert!(
        !sent.to_string().contains(&access),
        "the token leaked: {sent}"
    );
    // A path off the provider's API, or a method HTTP has no use for here: refused, not sent.
    let sandbox = h.ok("app_overview", json!({}))["sandbox_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked = || {
        sandbox_get(&sandbox, "/_sandbox/requests")
            .as_array()
            .unwrap()
            .len()
    };
    let before = asked();
    for (method, path) in [
        ("GET", "https://example.com/steal"),
        ("FETCH", "/1/user/-/profile.json"),
    ] {
        let err = h
            .invoke(
                "send_request",
                json!({"name": name, "method": method, "path": path, "body": null}),
            )
            .unwrap_err();
        assert_eq!(err["kind"], "validation", "{err}");
    }
    assert_eq!(asked(), before, "nothing reached the provider");

    // Import: nothing pasted is refused; the same person's token updates their account, which
    // keeps its refresh token; the metadata file never holds the token.
    let err = h
        .invoke(
            "import_token",
            json!({"request": {"app": "sandbox", "access_token": "  ", "refresh_token": null, "account": null}}),
        )
        .unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("paste the access token"),
        "{err}"
    );
    let imported = h.ok(
        "import_token",
        json!({"request": {"app": "sandbox", "access_token": access, "refresh_token": null, "account": null}}),
    );
    assert_eq!(imported["updated"], true, "{imported}");
    assert_eq!(imported["account"]["name"], name.as_str());
    assert_eq!(imported["account"]["has_refresh_token"], true, "{imported}");
    assert!(!imported.to_string().contains(&access));
    assert!(!h.metadata().contains(&access));
    // A token the provider does not know: refused, and nothing is added.
    let err = h
        .invoke(
            "import_token",
            json!({"request": {"app": "sandbox", "access_token": "not-a-token-the-sandbox-issued", "refresh_token": null, "account": "ghost"}}),
        )
        .unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("the provider says this access token is not active"),
        "{err}"
    );
    let accounts = h.ok("list_accounts", json!({}));
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
}

#[test]
fn advanced_connect_offers_every_grant_the_docs_allow() {
    let h = harness("advanced", true, "allow");
    let finished = h.events("connect-finished");

    // Implicit, a week long, with `prompt`: the token arrives in the fitauth:// link's fragment.
    let waiting = h.ok(
        "start_connect",
        json!({"request": {"choice": "sandbox", "scopes": ["profile", "sleep"], "grant": "implicit",
                           "pkce": false, "prompt": "login consent", "lifetime": 604800, "account": "week"}}),
    );
    assert_eq!(waiting["grant"], "implicit");
    assert_eq!(waiting["browser_opened"], true);
    let url = url::Url::parse(waiting["authorize_url"].as_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "token", "{url}");
    assert_eq!(query["expires_in"], "604800", "{url}");
    assert_eq!(query["prompt"], "login consent", "{url}");
    assert!(!query.contains_key("code_challenge"), "{url}");
    let link = h.wait_for_redirect();
    assert!(link.starts_with("fitauth://callback#"), "{link}");
    h.deliver_link(&link);
    let done = recv(&finished, "connect-finished");
    assert_eq!(done["account"]["name"], "week");
    assert_eq!(done["account"]["has_refresh_token"], false, "{done}");
    let left = done["account"]["expires_at"].as_i64().unwrap()
        - SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!((604_000..=604_800).contains(&left), "{done}");

    // A one-hour code grant, its address shown instead of opening the browser.
    std::fs::remove_file(&h.redirect_file).ok();
    let waiting = h.ok(
        "start_connect",
        json!({"request": {"choice": "sandbox", "scopes": ["profile"], "lifetime": 3600,
                           "no_browser": true, "account": "hour"}}),
    );
    assert_eq!(waiting["browser_opened"], false);
    assert!(waiting["authorize_url"]
        .as_str()
        .unwrap()
        .contains("code_challenge="));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !h.redirect_file.exists(),
        "the browser must not have been opened"
    );
    h.ok("cancel_connect", json!({}));

    // Forbidden combinations are refused before anything starts.
    for (request, reason) in [
        (
            json!({"choice": "sandbox", "scopes": ["profile"], "pkce": false}),
            "must use PKCE",
        ),
        (
            json!({"choice": "sandbox", "scopes": ["profile"], "grant": "implicit", "lifetime": 3600}),
            "implicit tokens a lifetime of 86400",
        ),
        (
            json!({"choice": "sandbox", "scopes": ["profile"], "grant": "client_credentials"}),
            "needs no browser",
        ),
    ] {
        let err = h
            .invoke("start_connect", json!({ "request": request }))
            .unwrap_err();
        assert!(
            err["message"].as_str().unwrap().contains(reason),
            "{request}: {err}"
        );
    }
    assert!(h.ok("app_overview", json!({}))["waiting"].is_null());

    // Client credentials: a server registration (the sandbox's own server app) gets an app token.
    let sandbox = h.ok("start_sandbox", json!({}));
    let base = sandbox["base_url"].as_str().unwrap();
    h.ok(
        "save_app",
        json!({"input": {"name": "server", "provider": "fitbit", "client_id": "sandbox-server",
                          "app_type": "server", "client_secret": "sandbox-secret", "base_url": base}}),
    );
    let err = h
        .invoke(
            "get_app_token",
            json!({"registration": "sandbox", "lifetime": null, "account": null}),
        )
        .unwrap_err();
    assert!(
        err["message"].as_str().unwrap().contains("server apps"),
        "{err}"
    );
    let token = h.ok(
        "get_app_token",
        json!({"registration": "server", "lifetime": 3600, "account": null}),
    );
    assert_eq!(token["account"]["name"], "server-app-token", "{token}");
    assert_eq!(token["account"]["has_refresh_token"], false);
    assert!(token["account"]["user_id"].is_null(), "{token}");
}

#[test]
fn a_link_whose_state_matches_nothing_is_refused_and_changes_nothing() {
    let h = harness("refused", true, "allow");
    let finished = h.events("connect-finished");
    let refused = h.events("link-refused");
    start_sandbox_sign_in(&h, &["profile"]);
    let genuine = h.wait_for_redirect();
    let before = h.metadata();

    h.deliver_link("fitauth://callback?code=stolen-code&state=not-the-state-we-sent");
    let report = recv(&refused, "link-refused");
    assert_eq!(report["kind"], "state_mismatch");
    assert!(report["message"]
        .as_str()
        .unwrap()
        .contains("does not belong"));
    assert!(report["hint"]
        .as_str()
        .unwrap()
        .starts_with("Nothing was changed"));
    assert_eq!(h.metadata(), before, "a refused link changes nothing");
    assert!(finished.try_recv().is_err());

    // A pasted address with a foreign state is refused the same way, as a command error.
    let err = h
        .invoke(
            "paste_redirect",
            json!({"address": "fitauth://callback?code=x&state=someone-else"}),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "state_mismatch");
    let err = h
        .invoke("paste_redirect", json!({"address": "hello"}))
        .unwrap_err();
    assert_eq!(err["kind"], "malformed_redirect");

    // The genuine one still works afterwards, here pasted by hand.
    let view = h.ok("paste_redirect", json!({"address": genuine}));
    assert_eq!(view["label"], "Sam Sandbox");
    // Pasting it again is harmless and says so.
    let err = h
        .invoke("paste_redirect", json!({"address": genuine}))
        .unwrap_err();
    assert_eq!(err["kind"], "already_handled");
}

#[test]
fn loopback_when_links_do_not_reach_the_app_and_denied_consent_is_explained() {
    let h = harness("loopback", false, "allow");
    let finished = h.events("connect-finished");
    let waiting = start_sandbox_sign_in(&h, &["activity", "profile"]);
    assert_eq!(waiting["redirect"], "loopback");
    assert!(waiting["redirect_uri"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    // The scripted browser follows the redirect to the app's loopback listener.
    let done = recv(&finished, "connect-finished");
    assert_eq!(done["label"], "Sam Sandbox");
    let scopes = done["account"]["scopes"].as_array().unwrap();
    assert!(scopes
        .iter()
        .any(|s| s["scope"] == "activity" && s["granted"] == true));

    let denied = harness("denied", true, "deny");
    let failed = denied.events("connect-failed");
    start_sandbox_sign_in(&denied, &["profile"]);
    denied.deliver_link(&denied.wait_for_redirect());
    let report = recv(&failed, "connect-failed");
    assert_eq!(report["kind"], "access_denied");
    assert_eq!(
        report["message"],
        "You chose not to share access, so nothing was connected."
    );
    assert_eq!(
        denied.ok("list_accounts", json!({})),
        json!([]),
        "nothing was connected"
    );
}

#[test]
fn cancel_forgets_the_pending_sign_in() {
    let h = harness("cancel", true, "allow");
    let refused = h.events("link-refused");
    start_sandbox_sign_in(&h, &["profile"]);
    let link = h.wait_for_redirect();
    h.ok("cancel_connect", json!({}));
    let meta: Value = serde_json::from_str(&h.metadata()).unwrap();
    assert_eq!(meta["pending"], json!([]));
    // The late redirect of the cancelled sign-in is refused.
    h.deliver_link(&link);
    assert_eq!(recv(&refused, "link-refused")["kind"], "state_mismatch");
    assert!(h.ok("app_overview", json!({}))["waiting"].is_null());
}

#[test]
fn app_registrations_keep_secrets_in_the_keyring() {
    let h = harness("apps", true, "allow");
    let err = h
        .invoke(
            "save_app",
            json!({"input": {"name": "g", "provider": "google-health", "client_id": "1.apps.googleusercontent.com"}}),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "validation");
    assert!(err["message"].as_str().unwrap().contains("client secret"));

    let saved = h.ok(
        "save_app",
        json!({"input": {"name": "g", "provider": "google-health", "client_id": "1.apps.googleusercontent.com",
                          "client_secret": "very-secret-value"}}),
    );
    assert_eq!(saved["has_client_secret"], true);
    assert_eq!(saved["redirect"], "loopback");
    assert!(!saved.to_string().contains("very-secret-value"));
    assert!(!h.metadata().contains("very-secret-value"));

    // A Google sign-in through it goes to loopback and reaches the (sandboxed) Google endpoints.
    let sandbox = h.ok("start_sandbox", json!({}));
    let base = sandbox["base_url"].as_str().unwrap();
    h.ok(
        "save_app",
        json!({"input": {"name": "g", "provider": "google-health", "client_id": "sandbox-google",
                          "client_secret": "sandbox-google-secret", "base_url": base}}),
    );
    let apps = h.ok("list_apps", json!({}));
    assert_eq!(apps.as_array().unwrap().len(), 2);
    let catalog = h.ok("scope_catalog", json!({"provider": "google-health"}));
    let scope = catalog[0]["scope"].as_str().unwrap().to_owned();
    let finished = h.events("connect-finished");
    let waiting = h.ok(
        "start_connect",
        json!({"request": {"choice": "google-health", "scopes": [scope]}}),
    );
    assert_eq!(waiting["redirect"], "loopback");
    let done = recv(&finished, "connect-finished");
    assert_eq!(done["account"]["provider"], "google-health");
    // Google is asked who the person is (`openid email`), and the account says so.
    assert_eq!(done["label"], "sam.sandbox@example.com");
    assert_eq!(done["account"]["email"], "sam.sandbox@example.com");
    assert_eq!(done["account"]["user_id"], "sandbox-user-0001");
    let requested: Vec<&str> = done["account"]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["requested"] == true)
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert!(
        requested.contains(&"openid") && requested.contains(&"email"),
        "{requested:?}"
    );
    let name = done["account"]["name"].as_str().unwrap().to_owned();
    let verdict = h.ok("introspect_account", json!({ "name": name }));
    assert_eq!(verdict["source"], "tokeninfo");
    assert_eq!(verdict["active"], true);

    let err = h.invoke("remove_app", json!({"name": "g"})).unwrap_err();
    assert_eq!(err["kind"], "validation", "an app in use is not removed");
    assert!(err["message"].as_str().unwrap().contains(&name), "{err}");
}

#[test]
fn only_the_main_window_may_call_commands_and_it_gets_no_opener() {
    let app = app_builder(mock_builder())
        .build(tauri::generate_context!())
        .unwrap();
    init_state(
        app.handle(),
        Config {
            home: Some(temp_dir("acl")),
            background_refresh: false,
            ..Default::default()
        },
    )
    .unwrap();
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .unwrap();
    assert!(invoke_on(&main, "list_accounts", json!({})).is_ok());
    let denied = invoke_on(&other, "list_accounts", json!({})).unwrap_err();
    assert!(denied.to_string().contains("not allowed"), "{denied}");
    let opener = invoke_on(
        &main,
        "plugin:opener|open_url",
        json!({"url": "https://example.com"}),
    )
    .unwrap_err();
    assert!(opener.to_string().contains("not allowed"), "{opener}");
}

/// POSTs JSON to the sandbox's control API (`/_sandbox/…`).
fn sandbox_control(base: &str, path: &str, body: &str) {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn the_background_timer_refreshes_before_expiry_and_tells_the_ui() {
    let h = harness_with("timer", true, "allow", true);
    let sandbox = h.ok("start_sandbox", json!({}));
    // Tokens that expire in 302 s: due for refresh (5 minutes before expiry) almost at once.
    sandbox_control(
        sandbox["base_url"].as_str().unwrap(),
        "/_sandbox/settings",
        r#"{"access_token_ttl_secs":302}"#,
    );
    let changed = h.events("accounts-changed");
    let finished = h.events("connect-finished");
    start_sandbox_sign_in(&h, &["profile"]);
    h.deliver_link(&h.wait_for_redirect());
    let connected = recv(&finished, "connect-finished");
    let first_expiry = connected["account"]["expires_at"].as_i64().unwrap();
    let before = h.ok(
        "reveal_secret",
        json!({"name": "sam-sandbox", "which": "access_token"}),
    );

    let event = recv(&changed, "accounts-changed");
    assert_eq!(event["account"], "sam-sandbox");
    assert!(event["error"].is_null(), "{event}");
    let after = h.ok(
        "reveal_secret",
        json!({"name": "sam-sandbox", "which": "access_token"}),
    );
    assert_ne!(before, after, "the timer refreshed the token");
    let account = &h.ok("list_accounts", json!({}))[0];
    assert!(account["expires_at"].as_i64().unwrap() >= first_expiry);
    assert_eq!(account["state"], "active");
}

#[test]
fn two_people_through_one_registration_get_their_own_accounts_and_logs() {
    let h = harness("two-people", true, "allow");
    let sam = h.connect_sandbox_user(SAM, None);
    assert_eq!(sam["account"]["name"], "sam-sandbox");
    assert_eq!(sam["updated"], false);
    let sam_refresh = h.reveal("sam-sandbox", "refresh_token");

    // "Connect another account" as Riley through the same registration.
    let riley = h.connect_sandbox_user(RILEY, None);
    assert_eq!(riley["label"], "Riley Visitor");
    assert_eq!(riley["account"]["name"], "riley-visitor");
    assert_eq!(riley["updated"], false);
    let accounts = h.ok("list_accounts", json!({}));
    let names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sam-sandbox", "riley-visitor"]);
    assert_eq!(
        h.reveal("sam-sandbox", "refresh_token"),
        sam_refresh,
        "Sam's tokens are untouched by Riley's sign-in"
    );

    // Each has a working refresh of their own.
    for name in ["sam-sandbox", "riley-visitor"] {
        let before = h.reveal(name, "access_token");
        let refreshed = h.ok("refresh_account", json!({ "name": name }));
        assert_eq!(refreshed["account"]["state"], "active");
        assert_ne!(h.reveal(name, "access_token"), before);
        let verdict = h.ok("introspect_account", json!({ "name": name }));
        assert_eq!(verdict["active"], true);
    }
    assert_ne!(
        h.reveal("sam-sandbox", "access_token"),
        h.reveal("riley-visitor", "access_token")
    );

    // Each account's activity log is its own: one code exchange each.
    for name in ["sam-sandbox", "riley-visitor"] {
        let detail = h.ok("inspect_account", json!({ "name": name }));
        let exchanges = detail["exchanges"].as_array().unwrap();
        let count = |op: &str| exchanges.iter().filter(|x| x["operation"] == op).count();
        assert_eq!(count("code_exchange"), 1, "{name}: {exchanges:?}");
        assert_eq!(count("refresh"), 1, "{name}");
        assert_eq!(count("introspect"), 1, "{name}");
    }

    // Sam reconnects: the same account, updated in place.
    let again = h.connect_sandbox_user(SAM, None);
    assert_eq!(again["account"]["name"], "sam-sandbox");
    assert_eq!(again["updated"], true);
    assert_eq!(
        h.ok("list_accounts", json!({})).as_array().unwrap().len(),
        2
    );
    assert_ne!(h.reveal("sam-sandbox", "refresh_token"), sam_refresh);

    // A name that belongs to Sam is refused for Riley; nothing changes.
    let before = h.metadata();
    let failed = h.events("connect-failed");
    h.sign_in_as(RILEY);
    h.ok(
        "start_connect",
        json!({"request": {"choice": "sandbox", "scopes": ["profile"], "account": "sam-sandbox"}}),
    );
    h.deliver_link(&h.wait_for_redirect());
    let report = recv(&failed, "connect-failed");
    assert_eq!(report["kind"], "account_taken");
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .contains("belongs to Sam Sandbox"),
        "{report}"
    );
    assert!(!report["hint"].as_str().unwrap().contains("--account"));
    let after: Value = serde_json::from_str(&h.metadata()).unwrap();
    let before: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(after["accounts"], before["accounts"], "no account changed");

    // Names are editable and stay unique.
    let renamed = h.ok(
        "rename_account",
        json!({"name": "riley-visitor", "newName": "Riley at work"}),
    );
    assert_eq!(renamed["name"], "Riley at work");
    let err = h
        .invoke(
            "rename_account",
            json!({"name": "Riley at work", "newName": "sam-sandbox"}),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "validation");
    assert!(h.reveal("Riley at work", "refresh_token").len() > 16);
}

/// The `fitauth` binary of this workspace (built on demand when only this package was built).
fn fitauth_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("fitauth");
    if !bin.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "fitauth-cli", "--bin", "fitauth"])
            .status()
            .unwrap();
        assert!(status.success(), "cargo build -p fitauth-cli");
    }
    bin
}

/// GETs JSON from the sandbox's control API.
fn sandbox_get(base: &str, path: &str) -> Value {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // The control API answers with a fixed length or chunked; find the JSON either way.
    let start = body.find(['[', '{']).unwrap_or(0);
    let end = body.rfind([']', '}']).map(|i| i + 1).unwrap_or(body.len());
    serde_json::from_str(&body[start..end]).unwrap_or(Value::Null)
}

#[test]
fn a_link_that_reaches_both_the_app_and_fitauth_login_is_exchanged_once() {
    use std::io::Write;
    let h = harness("app-and-cli", true, "allow");
    let sandbox = h.ok("start_sandbox", json!({}));
    let base = sandbox["base_url"].as_str().unwrap().to_owned();

    // `fitauth login --redirect scheme` in its own process, on the app's data directory.
    let mut cli = std::process::Command::new(fitauth_bin())
        .args([
            "login",
            "--provider",
            "fitbit",
            "--client-id",
            "sandbox-client",
            "--scopes",
            "activity profile",
            "--redirect",
            "scheme",
            "--account",
            "cli-account",
            "--base-url",
            &base,
        ])
        .env("FITAUTH_HOME", h.home.join("data"))
        .env("BROWSER", format!("python3 {BROWSER}"))
        .env("FITAUTH_TEST_REDIRECT_FILE", &h.redirect_file)
        .env("FITAUTH_TEST_USER", SAM)
        .env_remove("FITAUTH_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let link = h.wait_for_redirect();
    assert!(link.starts_with("fitauth://callback?code="), "{link}");

    // The person pastes it into the terminal while it also reaches the app (here as a paste into
    // the app, which answers synchronously: the same path as a delivered link).
    let mut stdin = cli.stdin.take().unwrap();
    writeln!(stdin, "{link}").unwrap();
    drop(stdin);
    let in_app = h.invoke("paste_redirect", json!({ "address": link }));
    let out = cli.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Connected as Sam Sandbox (SBX123)."),
        "{stdout}"
    );
    // The app either finished it or found it taken; it never tried a second exchange (which
    // would have failed as a spent code).
    match in_app {
        Ok(view) => assert_eq!(view["account"]["name"], "cli-account"),
        Err(e) => assert_eq!(e["kind"], "already_handled", "{e}"),
    }

    // Exactly one code exchange reached the provider: no replay (which would revoke the tokens).
    let requests = sandbox_get(&base, "/_sandbox/requests");
    let exchanges = requests
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["path"] == "/oauth2/token" && r["form"]["grant_type"][0] == "authorization_code"
        })
        .count();
    assert_eq!(exchanges, 1, "{requests}");

    // One account, whoever finished it, with tokens the provider accepts.
    let accounts = h.ok("list_accounts", json!({}));
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    assert_eq!(accounts[0]["name"], "cli-account");
    let verdict = h.ok("introspect_account", json!({"name": "cli-account"}));
    assert_eq!(verdict["active"], true);
    let meta: Value = serde_json::from_str(&h.metadata()).unwrap();
    assert_eq!(
        meta["pending"],
        json!([]),
        "the finished sign-in is forgotten"
    );
}
