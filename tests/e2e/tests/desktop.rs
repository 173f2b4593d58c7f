//! The desktop app end to end: a real window (WebKitGTK under Xvfb) driven through tauri-driver,
//! the built-in sandbox, the real Secret Service, and the OS-style delivery of `fitauth://` links
//! by launching the app binary a second time. Run with `scripts/e2e`, which sets up the display,
//! the D-Bus session and the keyring; screenshots land in `tests/e2e/screenshots/`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

const DRIVER_PORT: u16 = 4444;

/// Connect's primary button (the nav has a "Connect" button too).
const CONNECT_BUTTON: &str = "//button[contains(@class,'primary') and normalize-space()='Connect']";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The debug build `scripts/e2e` made (in `CARGO_TARGET_DIR` when that is set), or
/// `FITAUTH_E2E_APP`.
fn app_binary() -> PathBuf {
    if let Some(app) = std::env::var_os("FITAUTH_E2E_APP") {
        return PathBuf::from(app);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root().join(dir)) // an absolute dir replaces the root
        .unwrap_or_else(|| root().join("target"));
    target.join("debug/fitauth-desktop")
}

/// tauri-driver in a process group of its own, with the WebKitWebDriver it starts and the app
/// that one starts: all of them end with it, even when a test fails before closing its session
/// (a leftover app would take the next test's launch as a second copy and swallow it).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls for an element (tolerating the page still loading) for up to 30 s.
async fn wait_for(client: &Client, xpath: &str) -> fantoccini::elements::Element {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.find(Locator::XPath(xpath)).await {
            Ok(element) => return element,
            Err(e) if Instant::now() > deadline => {
                let body = client.source().await.unwrap_or_default();
                panic!("never found {xpath}: {e}\npage: {body}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(150)).await,
        }
    }
}

async fn click(client: &Client, xpath: &str) {
    wait_for(client, xpath).await.click().await.unwrap();
}

async fn screenshot(client: &Client, name: &str) {
    // Let the last paint settle: Xvfb screenshots can lag the DOM.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let dir = root().join("tests/e2e/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// Starts tauri-driver (its WebKitWebDriver on `native_port`) with `envs`, which the app it
/// launches inherits, and opens a WebDriver session with the app.
async fn launch(
    app: &Path,
    envs: &[(&str, String)],
    port: u16,
    native_port: u16,
) -> (Driver, Client) {
    let tauri_driver = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
    let driver = Driver(
        Command::new(&tauri_driver)
            .process_group(0)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver is installed (cargo install tauri-driver --locked)"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tauri-driver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app.display().to_string() }),
    );
    // A session that never starts (an app that exits at once) must not hang the suite.
    let url = format!("http://127.0.0.1:{port}");
    let mut builder = ClientBuilder::native();
    let session = builder.capabilities(caps).connect(&url);
    let client = tokio::time::timeout(Duration::from_secs(90), session)
        .await
        .expect("a WebDriver session within 90 s")
        .expect("a WebDriver session with the app");
    (driver, client)
}

/// The app to drive, a fresh work folder, and the environment every test's app gets: its own
/// store and data directory, and fitauth:// links taken as reaching it.
fn prepare(name: &str) -> (PathBuf, PathBuf, Vec<(&'static str, String)>) {
    let app = app_binary();
    assert!(app.exists(), "build the app first: {}", app.display());
    let work = std::env::temp_dir().join(format!("fitauth-e2e-{name}-{}", std::process::id()));
    std::fs::create_dir_all(work.join("data")).unwrap();
    std::fs::create_dir_all(work.join("xdg")).unwrap();
    let envs = vec![
        ("FITAUTH_HOME", work.join("data").display().to_string()),
        ("XDG_DATA_HOME", work.join("xdg").display().to_string()),
        ("FITAUTH_REDIRECT", "scheme".into()),
    ];
    (app, work, envs)
}

/// What the app (started by WebKitWebDriver) and its second copy inherit for a sign-in: the
/// scripted browser that consents as SBX123 and hands the link to a second launch of `app`.
fn consenting_browser(app: &Path, work: &Path) -> [(&'static str, String); 4] {
    [
        (
            "BROWSER",
            root()
                .join("tests/e2e/second-launch-browser")
                .display()
                .to_string(),
        ),
        ("FITAUTH_E2E_WORK", work.display().to_string()),
        ("FITAUTH_E2E_APP", app.display().to_string()),
        ("FITAUTH_TEST_USER", "SBX123".into()),
    ]
}

/// A view's tab in the top bar.
fn nav(view: &str) -> String {
    format!("//nav[@aria-label='Views']//button[starts-with(normalize-space(),'{view}')]")
}

/// An account in Inspect's list, by the person's name.
fn account_in_list(label: &str) -> String {
    format!("//nav[@aria-label='Accounts']//button[.//span[normalize-space()='{label}']]")
}

/// From Connect's success screen: "Connect another account", everything shared, consented as
/// `user` (the scripted browser reads who from `user.txt`); then "Connected as `label`" and the
/// line that says where it was saved.
async fn connect_again(client: &Client, work: &Path, user: &str, label: &str, saved: &str) {
    std::fs::write(work.join("user.txt"), user).unwrap();
    click(client, &nav("Connect")).await;
    click(client, &text_button("Connect another account")).await;
    click(client, &text_button("Select all")).await;
    click(client, CONNECT_BUTTON).await;
    wait_for(
        client,
        &format!("//h1[normalize-space()='Connected as {label}']"),
    )
    .await;
    wait_for(client, &format!("//*[normalize-space()='{saved}']")).await;
}

/// Inspect's Refresh: the masked access token changes and the view says the new pair is saved.
async fn refresh_gives_a_new_token(client: &Client, whose: &str) {
    let masked = || async {
        wait_for(client, "//*[@data-testid='secret-access_token']")
            .await
            .text()
            .await
            .unwrap()
    };
    let before = masked().await;
    click(client, &text_button("Refresh")).await;
    wait_for(
        client,
        "//*[normalize-space()='New tokens received and saved.']",
    )
    .await;
    assert_ne!(before, masked().await, "{whose}'s refresh gave a new token");
}

/// Answers the native dialog whose title matches `title` (a regex) by keyboard, as a person
/// would: XTEST key presses into the focused dialog (xdotool), not anything the page could send.
fn answer_dialog(title: &str, keys: &str) {
    let found = Command::new("timeout")
        .args([
            "30",
            "xdotool",
            "search",
            "--sync",
            "--onlyvisible",
            "--name",
            title,
        ])
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no native dialog titled {title:?} opened"));
    let pressed = Command::new("xdotool")
        .args([
            "windowfocus",
            "--sync",
            &id,
            "key",
            "--clearmodifiers",
            keys,
        ])
        .status()
        .unwrap();
    assert!(pressed.success(), "xdotool pressed {keys}");
}

/// Runs `script` (an async function body that may `await`; it gets `invoke`) in the page and
/// returns what it returns.
async fn in_page(client: &Client, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
    let wrapped = format!(
        "const done = arguments[arguments.length - 1];
         const invoke = window.__TAURI_INTERNALS__.invoke;
         (async (...args) => {{ {script} }})(...Array.from(arguments).slice(0, -1))
           .then(done, e => done({{ thrown: String(e && e.message || e) }}));"
    );
    client.execute_async(&wrapped, args).await.unwrap()
}

/// Reveal and Copy hand a token to the page only after the person says so in a native dialog;
/// a script that calls the command itself meets the same dialog; nothing lands in web storage.
async fn reveal_only_after_the_person_confirms(client: &Client) {
    let masked = || async {
        wait_for(client, "//*[@data-testid='secret-access_token']")
            .await
            .text()
            .await
            .unwrap()
    };
    let hidden = masked().await;
    let reveal = "(//*[@data-testid='secret-access_token']/ancestor::dd//button[normalize-space()='Reveal'])[1]";
    click(client, reveal).await;
    answer_dialog("^Show the access token", "Escape");
    wait_for(client, "//*[contains(normalize-space(),'stays hidden')]").await;
    assert_eq!(masked().await, hidden, "declined: still masked");

    // A script in the page calling the command directly: the same dialog, declined by default.
    let name = in_page(
        client,
        "return (await invoke('list_accounts'))[0].name;",
        vec![],
    )
    .await;
    let script = "try { await invoke('reveal_secret', { name: args[0], which: 'refresh_token' }); \
                  return 'revealed'; } catch (e) { return e.kind; }";
    let (answer, _) = tokio::join!(
        in_page(client, script, vec![name]),
        tokio::task::spawn_blocking(|| answer_dialog("^Show the refresh token", "Return")),
    );
    assert_eq!(
        answer, "reveal_declined",
        "Return keeps the default, Cancel"
    );

    // Confirmed with the "Show" button's key: the token is shown.
    click(client, reveal).await;
    answer_dialog("^Show the access token", "alt+s");
    let deadline = Instant::now() + Duration::from_secs(30);
    let token = loop {
        let now = masked().await;
        if now != hidden {
            break now;
        }
        assert!(Instant::now() < deadline, "the token was never shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(token.len() > 20 && !token.contains('•'), "{token}");
    let storage = in_page(
        client,
        "const token = args[0];
         const dump = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })
           + document.cookie;
         const dbs = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
         const cached = typeof caches === 'undefined' ? [] : await caches.keys();
         return { leaked: dump.includes(token), dbs, cached };",
        vec![token.clone().into()],
    )
    .await;
    assert_eq!(
        storage,
        serde_json::json!({ "leaked": false, "dbs": [], "cached": [] }),
        "no token in localStorage, sessionStorage, cookies, IndexedDB or Cache Storage"
    );
    click(client, "//button[normalize-space()='Hide']").await;
    wait_for(client, reveal).await;
    assert!(
        !client.source().await.unwrap().contains(&token),
        "hidden again: the token is gone from the page"
    );
}

/// The page cannot reach beyond the app: the CSP refuses remote requests, inline script and
/// eval; the window may call only Fitauth's own commands; it never navigates to another page.
async fn the_page_is_fenced_in(client: &Client, work: &Path) {
    let csp = in_page(
        client,
        "const seen = [];
         document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));
         let fetched = 'loaded';
         try { await fetch('https://example.com/'); } catch (e) { fetched = 'refused'; }
         const s = document.createElement('script');
         s.textContent = 'window.__inlineRan = true;';
         document.head.append(s);
         let evaluated = 'ran';
         try { eval('1 + 1'); } catch (e) { evaluated = 'refused'; }
         await new Promise(r => setTimeout(r, 200));
         return { fetched, inline: window.__inlineRan === true, evaluated, seen: [...new Set(seen)].sort() };",
        vec![],
    )
    .await;
    assert_eq!(csp["fetched"], "refused", "{csp}");
    assert_eq!(csp["inline"], false, "{csp}");
    assert_eq!(csp["evaluated"], "refused", "{csp}");
    let seen = csp["seen"].to_string();
    assert!(
        seen.contains("connect-src") && seen.contains("script-src"),
        "the CSP, not the network, refused them: {csp}"
    );

    let acl = in_page(
        client,
        "const tryCall = async (cmd, a) => { try { await invoke(cmd, a); return 'allowed'; }
                                             catch (e) { return String(e); } };
         return {
           opener: await tryCall('plugin:opener|open_url', { url: 'https://example.com/' }),
           deepLink: await tryCall('plugin:deep-link|get_current', {}),
           unknown: await tryCall('plugin:shell|execute', { program: 'sh' }),
           own: await tryCall('list_accounts', {}),
         };",
        vec![],
    )
    .await;
    for plugin in ["opener", "deepLink", "unknown"] {
        assert_ne!(acl[plugin], "allowed", "{plugin}: {acl}");
    }
    assert_eq!(acl["own"], "allowed", "{acl}");

    let origin = in_page(client, "return location.origin;", vec![]).await;
    in_page(
        client,
        "location.href = 'https://example.com/?code=from-a-page'; return null;",
        vec![],
    )
    .await;
    let log = work.join("xdg/com.fitauth.desktop/fitauth-desktop.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("refused to load a page that is not Fitauth's own") {
            assert!(
                !text.contains("from-a-page"),
                "the log names the origin only"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no refusal in {}", log.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        in_page(client, "return location.origin;", vec![]).await,
        origin
    );
    wait_for(client, &nav("Inspect")).await;
}

fn text_button(text: &str) -> String {
    format!("//button[normalize-space()='{text}']")
}

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn connect_inspect_refresh_introspect_revoke_and_refuse_a_stray_link() {
    let (app, work, mut envs) = prepare("main");
    envs.extend(consenting_browser(&app, &work));
    envs.extend([
        // Who consents next, switched by the test between sign-ins.
        (
            "FITAUTH_TEST_USER_FILE",
            work.join("user.txt").display().to_string(),
        ),
    ]);
    let (_driver, client) = launch(&app, &envs, DRIVER_PORT, DRIVER_PORT + 1).await;

    // Connect: a new user is offered the sandbox.
    wait_for(
        &client,
        "//h1[normalize-space()='Connect your Fitbit account']",
    )
    .await;
    let sandbox = wait_for(&client, "//input[@type='radio' and @value='sandbox']").await;
    assert_eq!(
        sandbox.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    wait_for(&client, "//label[contains(@class,'scope')]").await;
    // The Connect view fits the default 960×720 window without scrolling.
    let overflow = client
        .execute(
            "return document.documentElement.scrollHeight - window.innerHeight;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "Connect scrolls by {overflow}px"
    );
    screenshot(&client, "connect.png").await;
    // A system that does not ask for dark gets the light theme.
    let light = theme(&client).await;
    assert_light_or_dark(&light, false);

    click(&client, &text_button("Select all")).await;
    click(&client, CONNECT_BUTTON).await;
    // The scripted browser consents, then launches the app a second time with the link.
    wait_for(
        &client,
        "//h1[normalize-space()='Connected as Sam Sandbox']",
    )
    .await;
    wait_for(
        &client,
        "//*[contains(text(),'Access renews automatically')]",
    )
    .await;
    let status = std::fs::read_to_string(work.join("second-copy.status")).unwrap_or_default();
    assert_eq!(
        status.trim(),
        "0",
        "the second copy forwards the link and exits 0 (single instance); log: {:?}",
        std::fs::read_to_string(work.join("second-copy.log"))
    );

    // Inspect.
    click(&client, &text_button("See the details")).await;
    wait_for(&client, "//h1[normalize-space()='Sam Sandbox']").await;
    wait_for(
        &client,
        "//span[@data-testid='status-pill' and normalize-space()='Active']",
    )
    .await;
    wait_for(&client, "//*[normalize-space()='decoded, not verified']").await;
    let countdown = wait_for(&client, "//*[@data-testid='countdown']").await;
    assert!(countdown.text().await.unwrap().starts_with("Expires in "));
    screenshot(&client, "inspect.png").await;
    // Inspect, with its tokens and claims, at 200% zoom.
    zoom(&client, Some(2)).await;
    fits_sideways(&client, "Inspect", "zoom200-inspect.png").await;
    zoom(&client, None).await;

    refresh_gives_a_new_token(&client, "Sam Sandbox").await;

    click(&client, &text_button("Introspect")).await;
    wait_for(
        &client,
        "//p[@data-testid='verdict' and starts-with(normalize-space(),'Active')]",
    )
    .await;

    // Try a request: the profile preset, sent by Rust with the account's token; the answer
    // pretty, the token nowhere on the page.
    click(
        &client,
        "//form[@aria-label='Try a request']//button[normalize-space()='Send']",
    )
    .await;
    let result = wait_for(&client, "//*[@data-testid='request-result']").await;
    let text = result.text().await.unwrap();
    assert!(text.contains("HTTP 200"), "{text}");
    let body = wait_for(&client, "//*[@data-testid='request-body']")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("\"displayName\": \"Sam Sandbox\""), "{body}");
    result
        .find(Locator::XPath(
            ".//button[normalize-space()='Copy as curl']",
        ))
        .await
        .unwrap();
    client
        .execute(
            "document.querySelector('[data-testid=request-result]').scrollIntoView({block: 'end'});",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "request-panel.png").await;

    reveal_only_after_the_person_confirms(&client).await;
    the_page_is_fenced_in(&client, &work).await;

    // A stray link (wrong state) delivered the OS way is refused with a message.
    let stray = Command::new(&app)
        .arg("fitauth://callback?code=forged&state=not-ours")
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .unwrap();
    assert!(stray.success(), "the second copy forwards and exits 0");
    wait_for(
        &client,
        "//*[normalize-space()='A sign-in link was refused']",
    )
    .await;
    wait_for(&client, "//*[contains(text(),'Nothing was changed')]").await;
    screenshot(&client, "error-link-refused.png").await;
    click(&client, &text_button("Dismiss")).await;

    // "Connect another account": Riley, through the same sandbox registration.
    connect_again(
        &client,
        &work,
        "SBX456",
        "Riley Visitor",
        "Saved as “riley-visitor”.",
    )
    .await;

    // Inspect lists both people, each with a refresh of their own.
    click(&client, &nav("Inspect")).await;
    for (label, name) in [
        ("Riley Visitor", "riley-visitor"),
        ("Sam Sandbox", "sam-sandbox"),
    ] {
        click(&client, &account_in_list(label)).await;
        wait_for(&client, &format!("//h1[normalize-space()='{label}']")).await;
        wait_for(
            &client,
            &format!("//p[contains(normalize-space(),'Account “{name}”')]"),
        )
        .await;
        refresh_gives_a_new_token(&client, label).await;
    }
    screenshot(&client, "inspect-two-accounts.png").await;

    // Sam reconnects: the same account, updated in place; still two accounts.
    connect_again(
        &client,
        &work,
        "SBX123",
        "Sam Sandbox",
        "Updated the existing account “sam-sandbox”.",
    )
    .await;
    click(&client, &nav("Inspect")).await;
    let listed = client
        .find_all(Locator::XPath("//nav[@aria-label='Accounts']//li"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "reconnecting adds no account");
    click(&client, &account_in_list("Sam Sandbox")).await;
    wait_for(&client, "//h1[normalize-space()='Sam Sandbox']").await;

    // Revoke, by sending the access token (either ends the grant).
    click(&client, &text_button("Revoke")).await;
    click(
        &client,
        "//select[@aria-label='Token to revoke']/option[@value='access']",
    )
    .await;
    click(&client, &text_button("Yes, revoke")).await;
    wait_for(
        &client,
        "//*[normalize-space()='Revoked \"sam-sandbox\" and removed its tokens from this machine.']",
    )
    .await;
    wait_for(
        &client,
        "//header//span[@data-testid='status-pill' and normalize-space()='Revoked']",
    )
    .await;

    // Import a token made elsewhere: Riley's, from a `fitauth` with a home of its own on this
    // sandbox. The provider vouches for it, and it is an account like any other.
    let overview = in_page(&client, "return await invoke('app_overview');", vec![]).await;
    let sandbox = overview["sandbox_url"].as_str().unwrap().to_owned();
    let elsewhere = work.join("elsewhere");
    let fitauth_elsewhere = |args: &[&str]| {
        let out = Command::new(app.with_file_name("fitauth"))
            .args(args)
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env("FITAUTH_HOME", &elsewhere)
            .env("FITAUTH_SANDBOX_URL", &sandbox)
            .env("BROWSER", root().join("tests/support/consenting-browser"))
            .env("FITAUTH_TEST_USER", "SBX456")
            .env_remove("FITAUTH_TEST_USER_FILE")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    fitauth_elsewhere(&["login", "--provider", "sandbox", "--account", "riley"]);
    let riley_token = fitauth_elsewhere(&["token", "--account", "riley"]);
    click(&client, &nav("Inspect")).await;
    click(
        &client,
        "//summary[normalize-space()='Already have a token? Import it']",
    )
    .await;
    let field = wait_for(
        &client,
        "//form[@aria-label='Import a token']//label[.//span[normalize-space()='Access token']]//input",
    )
    .await;
    field.send_keys(riley_token.trim()).await.unwrap();
    screenshot(&client, "import.png").await;
    click(
        &client,
        "//form[@aria-label='Import a token']//button[normalize-space()='Import']",
    )
    .await;
    wait_for(&client, "//h1[normalize-space()='Riley Visitor']").await;
    wait_for(
        &client,
        // Riley connected earlier in this test: the same person's account is updated in place.
        "//*[normalize-space()='Imported: updated the existing account “riley-visitor”.']",
    )
    .await;
    screenshot(&client, "imported.png").await;
    let kept = in_page(
        &client,
        "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.body.innerHTML;",
        vec![],
    )
    .await;
    assert!(
        !kept.as_str().unwrap().contains(riley_token.trim()),
        "the token left the page"
    );

    // The log file recorded each step, and no secret.
    let log = std::fs::read_to_string(work.join("xdg/com.fitauth.desktop/fitauth-desktop.log"))
        .unwrap_or_default();
    for step in [
        "link received",
        "state checked",
        "exchanging the authorization code",
        "refresh",
        "introspect",
        "revoke",
    ] {
        assert!(log.contains(step), "log has \"{step}\": {log}");
    }
    assert!(!log.contains("code=") && !log.contains("access_token="));

    client.close().await.unwrap();
}

/// What has the keyboard focus, and whether it is visibly marked: the browser treats it as
/// keyboard focus (`:focus-visible`) and it paints a ring of its own (an outline or a box-shadow).
async fn focused(client: &Client) -> serde_json::Value {
    client
        .execute(
            "const e = document.activeElement; const st = getComputedStyle(e);
             const ring = (st.boxShadow && st.boxShadow !== 'none') ||
                          (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0);
             return { tag: e.tagName, type: e.type || '', value: e.value || '',
                      text: (e.innerText || '').trim(), checked: !!e.checked,
                      visible: e.matches(':focus-visible') && ring,
                      ring: st.boxShadow + ' / ' + st.outlineStyle + ' ' + st.outlineWidth };",
            vec![],
        )
        .await
        .unwrap()
}

/// Sends `keys` to whatever has the focus, as a keyboard would.
async fn keys(client: &Client, keys: &[fantoccini::key::Key]) {
    let keys: String = keys.iter().map(|&k| char::from(k)).collect();
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&keys)
        .await
        .unwrap();
}

async fn press(client: &Client, key: fantoccini::key::Key) {
    keys(client, &[key]).await;
}

/// Presses Tab (or Shift+Tab when `back`) until `pick` accepts the focused element (at most
/// 40 times); every element on the way must show where the focus is.
async fn tab_until(
    client: &Client,
    back: bool,
    what: &str,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    use fantoccini::key::Key;
    for _ in 0..40 {
        if back {
            keys(client, &[Key::Shift, Key::Tab]).await;
        } else {
            press(client, Key::Tab).await;
        }
        let now = focused(client).await;
        if now["tag"] != "BODY" {
            assert_eq!(now["visible"], true, "no visible focus on {now}");
        }
        if pick(&now) {
            return now;
        }
    }
    panic!(
        "{} never reached {what}",
        if back { "Shift+Tab" } else { "Tab" }
    );
}

async fn tab_to(
    client: &Client,
    what: &str,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    tab_until(client, false, what, pick).await
}

fn is_button(text: &'static str) -> impl Fn(&serde_json::Value) -> bool {
    move |f| f["tag"] == "BUTTON" && f["text"] == text
}

/// Polls until the element is on screen (views the app is not showing stay in the page, hidden).
async fn shown(client: &Client, xpath: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !wait_for(client, xpath).await.is_displayed().await.unwrap() {
        assert!(Instant::now() < deadline, "{xpath} never shown");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Whether the page's colour scheme is dark; the relative luminance (WCAG: 0 black, 1 white)
/// of the page's background (the body's, or the root's behind a transparent body) and text; and
/// their contrast ratio.
async fn theme(client: &Client) -> serde_json::Value {
    client
        .execute(
            "const rgba = (c) => c.match(/\\d+(\\.\\d+)?/g).map(Number);
             const paint = (e) => { const c = rgba(getComputedStyle(e).backgroundColor);
                                    return c.length > 3 && c[3] === 0 ? null : c.slice(0, 3); };
             const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
             const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
             const bg = paint(document.body) || paint(document.documentElement);
             const background = bg ? lum(bg) : -1;
             const text = lum(rgba(getComputedStyle(document.body).color).slice(0, 3));
             const [hi, lo] = [Math.max(background, text), Math.min(background, text)];
             return { dark: matchMedia('(prefers-color-scheme: dark)').matches, background, text,
                      contrast: (hi + 0.05) / (lo + 0.05) };",
            vec![],
        )
        .await
        .unwrap()
}

/// The page follows the system's light or dark preference, with a light or dark background
/// and text that contrasts with it (WCAG AAA, 7:1).
fn assert_light_or_dark(theme: &serde_json::Value, dark: bool) {
    assert_eq!(
        theme["dark"], dark,
        "prefers-color-scheme: dark is {dark}: {theme}"
    );
    let background = theme["background"].as_f64().unwrap();
    let text = theme["text"].as_f64().unwrap();
    assert!(background >= 0.0, "the page paints a background: {theme}");
    if dark {
        assert!(
            background < 0.05 && text > 0.6,
            "light text on dark: {theme}"
        );
    } else {
        assert!(
            background > 0.8 && text < 0.1,
            "dark text on light: {theme}"
        );
    }
    assert!(
        theme["contrast"].as_f64().unwrap() >= 7.0,
        "contrast: {theme}"
    );
}

/// Zooms the page to 200% (CSS `zoom` on the root; WebDriver has no page zoom, and the app's
/// capabilities do not allow the webview zoom command) or back to 100% (`None`).
async fn zoom(client: &Client, factor: Option<u32>) {
    let value = factor.map(|f| f.to_string()).unwrap_or_default();
    client
        .execute(
            "document.documentElement.style.zoom = arguments[0];",
            vec![value.clone().into()],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let now = client
        .execute(
            "return getComputedStyle(document.documentElement).zoom;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(now, factor.unwrap_or(1).to_string().as_str(), "page zoom");
}

/// How far the page scrolls sideways (0: it fits).
async fn sideways_overflow(client: &Client) -> i64 {
    client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap_or(i64::MAX)
}

/// At the current zoom, `view` does not scroll sideways and its headings, buttons and form
/// fields lie within the window's width; saves `shot` first. (WebKit gives element boxes in
/// unzoomed CSS pixels, so the window is `innerWidth / zoom` of them wide.)
async fn fits_sideways(client: &Client, view: &str, shot: &str) {
    screenshot(client, shot).await;
    let found = client
        .execute(
            "const zoom = parseFloat(getComputedStyle(document.documentElement).zoom) || 1;
             const width = window.innerWidth / zoom;
             const shown = (e) => e.getClientRects().length > 0;
             const past = (e) => { const r = e.getBoundingClientRect(); return r.left < -1 || r.right > width + 1; };
             const name = (e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                                 + ' \"' + (e.innerText || e.name || e.value || '').trim().slice(0, 30) + '\" right '
                                 + Math.round(e.getBoundingClientRect().right);
             const all = [...document.querySelectorAll('h1, h2, h3, button, input, select, textarea')].filter(shown);
             const widest = [...document.body.querySelectorAll('*')].filter((e) => shown(e) && past(e)
                              && ![...e.children].some((c) => shown(c) && past(c)));
             return { checked: all.length, primary: all.filter((e) => e.matches('h1, button.primary')).length,
                      outside: all.filter(past).map(name), widest: widest.slice(0, 8).map(name) };",
            vec![],
        )
        .await
        .unwrap();
    let overflow = sideways_overflow(client).await;
    assert!(
        overflow <= 1,
        "{view} scrolls sideways by {overflow}px; the widest: {}",
        found["widest"]
    );
    assert!(
        found["checked"].as_u64().unwrap() >= 5 && found["primary"].as_u64().unwrap() >= 1,
        "{view} has headings and buttons to check: {found}"
    );
    assert_eq!(
        found["outside"],
        serde_json::json!([]),
        "{view}: these run past the window's right edge at this zoom"
    );
}

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn keyboard_only_200_percent_zoom_and_the_system_dark_theme() {
    use fantoccini::key::Key;
    let (app, _work, mut envs) = prepare("a11y");
    envs.extend([
        // A browser that opens nothing: this test only waits and cancels.
        ("BROWSER", "true".into()),
        // The system asks for dark: GTK's theme variant, which WebKitGTK reports to the page as
        // prefers-color-scheme. tauri-driver hands its environment to WebKitWebDriver, which
        // hands it to the app.
        ("GTK_THEME", "Adwaita:dark".into()),
    ]);
    let (_driver, client) = launch(&app, &envs, DRIVER_PORT + 2, DRIVER_PORT + 3).await;
    let connect_title = "//h1[normalize-space()='Connect your Fitbit account']";
    shown(&client, connect_title).await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;

    // Dark theme, following the system.
    let dark = theme(&client).await;
    assert_light_or_dark(&dark, true);
    screenshot(&client, "connect-dark.png").await;

    // Keyboard only, from the top: the views in order, Enter opens one, Shift+Tab goes back.
    let first = tab_to(&client, "a first stop", |f| f["tag"] != "BODY").await;
    assert!(
        is_button("Connect")(&first),
        "the first stop is the Connect view: {first}"
    );
    tab_to(&client, "the Inspect view", is_button("Inspect")).await;
    tab_to(&client, "the Apps view", is_button("Apps")).await;
    press(&client, Key::Enter).await;
    shown(&client, "//h1[normalize-space()='Apps']").await;
    tab_until(&client, true, "the Connect view", is_button("Connect")).await;
    press(&client, Key::Enter).await;
    shown(&client, connect_title).await;

    // Pick the sandbox: Tab lands on the chosen option, the arrow keys move the choice.
    let sandbox = tab_to(&client, "the sandbox choice", |f| f["type"] == "radio").await;
    assert_eq!(
        sandbox["value"], "sandbox",
        "a new user starts on the sandbox"
    );
    press(&client, Key::Left).await;
    let other = focused(&client).await;
    assert!(
        other["value"] == "fitbit" && other["checked"] == true,
        "the arrow key moves the choice: {other}"
    );
    shown(&client, &text_button("Try the sandbox instead")).await;
    press(&client, Key::Right).await;
    press(&client, Key::Space).await;
    let picked = focused(&client).await;
    assert!(
        picked["value"] == "sandbox" && picked["checked"] == true,
        "the sandbox is picked: {picked}"
    );
    assert_eq!(picked["visible"], true, "no visible focus on {picked}");
    shown(&client, "//label[contains(@class,'scope')]").await;

    // Tick and untick a scope with Space.
    let scope = tab_to(&client, "a scope", |f| f["type"] == "checkbox").await;
    press(&client, Key::Space).await;
    let ticked = focused(&client).await;
    assert_ne!(scope["checked"], ticked["checked"], "Space ticks a scope");
    press(&client, Key::Space).await;
    assert_eq!(
        focused(&client).await["checked"],
        scope["checked"],
        "Space unticks it"
    );

    // Connect, back to the last scope and forward again, then start and cancel.
    tab_to(&client, "the Connect button", is_button("Connect")).await;
    tab_until(&client, true, "the last scope", |f| f["type"] == "checkbox").await;
    tab_to(&client, "the Connect button", is_button("Connect")).await;
    press(&client, Key::Enter).await;
    shown(&client, "//h1[normalize-space()='Finish in your browser…']").await;
    tab_to(&client, "Cancel", is_button("Cancel")).await;
    press(&client, Key::Enter).await;
    shown(&client, connect_title).await;

    // 200% zoom in the default 960×720 window: nothing runs off to the side. First make sure
    // the measure sees something that does.
    zoom(&client, Some(2)).await;
    client
        .execute(
            "const d = document.createElement('div'); d.id = 'too-wide';
             d.style.width = '600px'; d.style.height = '1px'; document.body.append(d);",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        sideways_overflow(&client).await > 100,
        "a 600px box overflows a 960px window at 200%"
    );
    client
        .execute("document.getElementById('too-wide').remove();", vec![])
        .await
        .unwrap();
    fits_sideways(&client, "Connect", "zoom200-connect.png").await;
    // (WebDriver's pointer does not account for CSS zoom; the keyboard does not care.)
    client
        .execute("document.activeElement.blur();", vec![])
        .await
        .unwrap();
    tab_to(&client, "the Apps view", is_button("Apps")).await;
    press(&client, Key::Enter).await;
    shown(&client, "//h1[normalize-space()='Apps']").await;
    fits_sideways(&client, "Apps", "zoom200-apps.png").await;

    client.close().await.unwrap();
}

/// For `scripts/bench`: Inspect's Refresh and Introspect as the buttons call them (the
/// `refresh_account` and `introspect_account` commands through Tauri's IPC), timed in the page
/// with `performance.now()`, and the bare Tauri app's `ping` (benches/bare-tauri), the IPC floor.
/// Writes `{refresh_ms, introspect_ms, ping_ms}` to `FITAUTH_BENCH_IPC_OUT`; `scripts/e2e` skips
/// it.
#[tokio::test]
#[ignore = "scripts/bench runs it: tauri-driver, WebKitWebDriver, a display and a keyring"]
async fn ipc_round_trips() {
    let calls: usize = std::env::var("FITAUTH_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let (app, work, mut envs) = prepare("ipc");
    envs.extend(consenting_browser(&app, &work));
    let (driver, client) = launch(&app, &envs, DRIVER_PORT, DRIVER_PORT + 1).await;
    // The built-in sandbox, also when the build has a default registration of its own.
    click(&client, "//input[@type='radio' and @value='sandbox']").await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;
    click(&client, &text_button("Select all")).await;
    click(&client, CONNECT_BUTTON).await;
    wait_for(
        &client,
        "//h1[normalize-space()='Connected as Sam Sandbox']",
    )
    .await;
    let timed = "const name = (await invoke('list_accounts'))[0].name;
        const out = { refresh_ms: [], introspect_ms: [] };
        for (let i = 0; i < args[0]; i++) {
          let t = performance.now();
          await invoke('refresh_account', { name });
          out.refresh_ms.push(performance.now() - t);
          t = performance.now();
          await invoke('introspect_account', { name });
          out.introspect_ms.push(performance.now() - t);
        }
        return out;";
    let mut out = in_page(&client, timed, vec![calls.into()]).await;
    assert!(out.get("thrown").is_none(), "{out}");
    client.close().await.unwrap();
    drop(driver);

    let bare = std::env::var_os("FITAUTH_BENCH_BARE")
        .map(PathBuf::from)
        .unwrap_or_else(|| app.with_file_name("bare-tauri"));
    let (driver, client) = launch(&bare, &[], DRIVER_PORT, DRIVER_PORT + 1).await;
    wait_for(&client, "//h1[normalize-space()='Bare Tauri']").await;
    let ping = "const out = [];
        for (let i = 0; i < args[0]; i++) {
          const t = performance.now();
          if (await invoke('ping', { n: i }) !== i) throw new Error('ping answered wrong');
          out.push(performance.now() - t);
        }
        return out;";
    let pings = in_page(&client, ping, vec![calls.into()]).await;
    assert!(pings.get("thrown").is_none(), "{pings}");
    client.close().await.unwrap();
    drop(driver);

    out["ping_ms"] = pings;
    for key in ["refresh_ms", "introspect_ms", "ping_ms"] {
        assert_eq!(
            out[key].as_array().map(Vec::len),
            Some(calls),
            "{key}: {out}"
        );
    }
    if let Some(path) = std::env::var_os("FITAUTH_BENCH_IPC_OUT") {
        std::fs::write(path, out.to_string()).unwrap();
    }
}

/// POSTs `body` to the sandbox at `path` (plain HTTP/1.1 on loopback); expects a 200.
fn sandbox_post(base: &str, path: &str, content_type: &str, body: &str) {
    use std::io::{Read, Write};
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(hostport).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// The banner's "Move … to Google", the plan, the Google sign-in, and how it ended.
async fn move_to_google(client: &Client, work: &Path, account: &str, user: &str) {
    std::fs::write(work.join("user.txt"), user).unwrap();
    click(client, &text_button(&format!("Move “{account}” to Google"))).await;
    wait_for(
        client,
        &format!("//h1[normalize-space()='Move “{account}” to Google']"),
    )
    .await;
    click(client, &text_button("Sign in with Google")).await;
}

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn the_move_to_google_after_fitbit_turned_its_service_off() {
    let (app, work, mut envs) = prepare("move");
    envs.extend(consenting_browser(&app, &work));
    envs.push((
        "FITAUTH_TEST_USER_FILE",
        work.join("user.txt").display().to_string(),
    ));
    let (_driver, client) = launch(&app, &envs, DRIVER_PORT, DRIVER_PORT + 1).await;

    // Two people on the sandbox's legacy Fitbit side, sharing everything.
    click(&client, "//input[@type='radio' and @value='sandbox']").await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;
    click(&client, &text_button("Select all")).await;
    click(&client, CONNECT_BUTTON).await;
    wait_for(
        &client,
        "//h1[normalize-space()='Connected as Sam Sandbox']",
    )
    .await;
    connect_again(
        &client,
        &work,
        "SBX456",
        "Riley Visitor",
        "Saved as “riley-visitor”.",
    )
    .await;
    // A working sandbox account is not nagged.
    assert!(client
        .find(Locator::XPath("//*[@data-testid='move-banner']"))
        .await
        .is_err());

    // Fitbit turns its service off: every legacy endpoint answers 410 Gone.
    let overview = in_page(&client, "return await invoke('app_overview');", vec![]).await;
    let sandbox = overview["sandbox_url"].as_str().unwrap().to_owned();
    sandbox_post(
        &sandbox,
        "/_sandbox/settings",
        "application/json",
        r#"{"legacy_retired":true}"#,
    );
    click(&client, &nav("Inspect")).await;
    click(&client, &account_in_list("Riley Visitor")).await;
    wait_for(&client, "//h1[normalize-space()='Riley Visitor']").await;
    click(&client, &text_button("Refresh")).await;
    wait_for(
        &client,
        "//*[contains(normalize-space(),'The legacy Fitbit API is retired')]",
    )
    .await;
    let banner = wait_for(&client, "//*[@data-testid='move-banner']").await;
    let text = banner.text().await.unwrap();
    assert!(
        text.contains("Fitbit accounts now connect through Google")
            && text.contains("turned off its old sign-in")
            && text.contains("keeps its name"),
        "{text}"
    );
    screenshot(&client, "move-banner.png").await;

    // Riley's account, but Sam signs in with Google: another Fitbit account, so nothing moves.
    move_to_google(&client, &work, "riley-visitor", "SBX123").await;
    let warning = wait_for(&client, "//*[@data-testid='move-result' and @role='alert']").await;
    let text = warning.text().await.unwrap();
    assert!(
        text.contains("“riley-visitor” was not moved")
            && text.contains("another Fitbit account (Fitbit user SBX123, not SBX456)"),
        "{text}"
    );
    screenshot(&client, "move-mismatch.png").await;
    click(&client, &text_button("Done")).await;

    // Sam's own account: the plan names what has no Google equivalent; the move confirms the
    // Fitbit user and says the old service no longer answers.
    click(&client, &nav("Inspect")).await;
    click(&client, &account_in_list("Sam Sandbox")).await;
    wait_for(&client, "//h1[normalize-space()='Sam Sandbox']").await;
    click(&client, &text_button("Refresh")).await;
    wait_for(&client, &text_button("Move “sam-sandbox” to Google")).await;
    click(&client, &text_button("Move “sam-sandbox” to Google")).await;
    let plan = wait_for(&client, "//*[@data-testid='move-plan']").await;
    let text = plan.text().await.unwrap();
    assert!(
        text.contains("Sleep") && text.contains("Google Health has no equivalent of: social."),
        "{text}"
    );
    screenshot(&client, "move-plan.png").await;
    std::fs::write(work.join("user.txt"), "SBX123").unwrap();
    click(&client, &text_button("Sign in with Google")).await;
    wait_for(
        &client,
        "//h1[normalize-space()='Connected as sam.sandbox@example.com']",
    )
    .await;
    let result = wait_for(&client, "//*[@data-testid='move-result']").await;
    let text = result.text().await.unwrap();
    assert!(
        text.contains("This is the same Fitbit account (Fitbit user SBX123): \"sam-sandbox\" now uses Google.")
            && text.contains("The old Fitbit service no longer answers"),
        "{text}"
    );
    // Sam's Google account saved during the mismatch is the one that took the name: said.
    assert!(
        text.contains("This Google account was already here as")
            && text.contains("it now goes by \"sam-sandbox\""),
        "{text}"
    );
    screenshot(&client, "move-done.png").await;

    // The name stays, now on Google Health; Riley's legacy account is still there to move.
    let accounts = in_page(&client, "return await invoke('list_accounts');", vec![]).await;
    let accounts = accounts.as_array().unwrap();
    let sam = accounts
        .iter()
        .find(|a| a["name"] == "sam-sandbox")
        .unwrap();
    assert_eq!(sam["provider"], "google-health", "{accounts:?}");
    let riley = accounts
        .iter()
        .find(|a| a["name"] == "riley-visitor")
        .unwrap();
    assert_eq!(riley["provider"], "fitbit");
    assert_eq!(
        accounts.len(),
        2,
        "Sam's Google account took the legacy name: {accounts:?}"
    );
    let banner = wait_for(&client, "//*[@data-testid='move-banner']").await;
    assert!(!banner.text().await.unwrap().contains("sam-sandbox"));

    // Inspect fits the 960 px window with Google's long scopes, and at 200 %.
    click(&client, &nav("Inspect")).await;
    click(&client, &account_in_list("sam.sandbox@example.com")).await;
    wait_for(&client, "//h1[normalize-space()='sam.sandbox@example.com']").await;
    fits_sideways(
        &client,
        "Inspect with Google's scopes",
        "inspect-google.png",
    )
    .await;
    zoom(&client, Some(2)).await;
    fits_sideways(
        &client,
        "Inspect with Google's scopes at 200%",
        "zoom200-inspect-google.png",
    )
    .await;
    zoom(&client, None).await;

    // Revoked, the moved account reconnects from Inspect on the sandbox's Google side, under
    // its name, with what it shared ticked.
    click(&client, &text_button("Revoke")).await;
    click(&client, &text_button("Yes, revoke")).await;
    click(&client, &text_button("Reconnect")).await;
    wait_for(
        &client,
        "//*[@data-testid='reconnecting' and contains(normalize-space(),'Connect “sam-sandbox” again')]",
    )
    .await;
    click(&client, CONNECT_BUTTON).await;
    wait_for(
        &client,
        "//*[@data-testid='saved-as' and normalize-space()='Updated the existing account “sam-sandbox”.']",
    )
    .await;
    let accounts = in_page(&client, "return await invoke('list_accounts');", vec![]).await;
    let sam = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "sam-sandbox")
        .unwrap();
    assert_eq!(sam["app"], "sandbox-health", "{sam}");
    assert_eq!(sam["state"], "active", "{sam}");

    client.close().await.unwrap();
}

/// The desktop's side of the tray and of notifications, served on the test's private session
/// bus: an `org.freedesktop.Notifications` server that records every `Notify` call and can
/// click one (`ActionInvoked`), and an `org.kde.StatusNotifierWatcher` that records the tray
/// items that register (the two specifications:
/// <https://specifications.freedesktop.org/notification-spec/latest/> and
/// <https://www.freedesktop.org/wiki/Specifications/StatusNotifierItem/>).
mod desktop_bus {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use zbus::message::Header;
    use zbus::object_server::SignalEmitter;
    use zbus::zvariant::OwnedValue;

    /// One `Notify` call.
    #[derive(Debug, Clone)]
    pub struct Note {
        pub id: u32,
        pub app_name: String,
        pub summary: String,
        pub body: String,
        pub actions: Vec<String>,
    }

    #[derive(Debug, Clone, Default)]
    pub struct Seen {
        pub notes: Arc<Mutex<Vec<Note>>>,
        /// (sender's unique name, the service argument) of each tray item that registered.
        pub items: Arc<Mutex<Vec<(String, String)>>>,
    }

    pub struct Notifications {
        seen: Seen,
    }

    #[zbus::interface(name = "org.freedesktop.Notifications")]
    impl Notifications {
        async fn get_capabilities(&self) -> Vec<String> {
            vec!["actions".into(), "body".into()]
        }

        #[allow(clippy::too_many_arguments)]
        async fn notify(
            &self,
            app_name: String,
            _replaces_id: u32,
            _app_icon: String,
            summary: String,
            body: String,
            actions: Vec<String>,
            _hints: HashMap<String, OwnedValue>,
            _expire_timeout: i32,
        ) -> u32 {
            let mut notes = self.seen.notes.lock().unwrap();
            let id = notes.len() as u32 + 1;
            notes.push(Note {
                id,
                app_name,
                summary,
                body,
                actions,
            });
            id
        }

        async fn close_notification(&self, _id: u32) {}

        async fn get_server_information(&self) -> (String, String, String, String) {
            (
                "fitauth-e2e".into(),
                "fitauth".into(),
                "1".into(),
                "1.2".into(),
            )
        }

        #[zbus(signal)]
        pub async fn action_invoked(
            emitter: &SignalEmitter<'_>,
            id: u32,
            action_key: &str,
        ) -> zbus::Result<()>;
    }

    pub struct Watcher {
        seen: Seen,
    }

    #[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
    impl Watcher {
        async fn register_status_notifier_item(
            &self,
            service: String,
            #[zbus(header)] header: Header<'_>,
        ) {
            let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
            self.seen.items.lock().unwrap().push((sender, service));
        }

        async fn register_status_notifier_host(&self, _service: String) {}

        #[zbus(property)]
        async fn registered_status_notifier_items(&self) -> Vec<String> {
            let items = self.seen.items.lock().unwrap();
            items.iter().map(|(s, p)| format!("{s}{p}")).collect()
        }

        #[zbus(property)]
        async fn is_status_notifier_host_registered(&self) -> bool {
            true
        }

        #[zbus(property)]
        async fn protocol_version(&self) -> i32 {
            0
        }
    }

    /// Serves both on the session bus; keep the connection as long as the test runs.
    pub async fn serve() -> (zbus::Connection, Seen) {
        let seen = Seen::default();
        let conn = zbus::connection::Builder::session()
            .unwrap()
            .name("org.freedesktop.Notifications")
            .unwrap()
            .name("org.kde.StatusNotifierWatcher")
            .unwrap()
            .serve_at(
                "/org/freedesktop/Notifications",
                Notifications { seen: seen.clone() },
            )
            .unwrap()
            .serve_at("/StatusNotifierWatcher", Watcher { seen: seen.clone() })
            .unwrap()
            .build()
            .await
            .expect("the test's session bus (run scripts/e2e)");
        (conn, seen)
    }

    /// The person clicks notification `id`.
    pub async fn click(conn: &zbus::Connection, id: u32) {
        let iface = conn
            .object_server()
            .interface::<_, Notifications>("/org/freedesktop/Notifications")
            .await
            .unwrap();
        Notifications::action_invoked(iface.signal_emitter(), id, "default")
            .await
            .unwrap();
    }

    /// A property of the tray item `service` registered by `sender`.
    pub async fn item_property(
        conn: &zbus::Connection,
        sender: &str,
        service: &str,
        name: &str,
    ) -> String {
        let (dest, path) = if service.starts_with('/') {
            (sender.to_owned(), service.to_owned())
        } else {
            (service.to_owned(), "/StatusNotifierItem".to_owned())
        };
        let proxy = zbus::Proxy::new(conn, dest, path, "org.kde.StatusNotifierItem")
            .await
            .unwrap();
        proxy.get_property::<String>(name).await.unwrap()
    }

    /// Whether `name` is still on the bus, and the pid behind it.
    pub async fn owner_pid(conn: &zbus::Connection, name: &str) -> Option<u32> {
        let dbus = zbus::fdo::DBusProxy::new(conn).await.unwrap();
        let name = zbus::names::BusName::try_from(name).unwrap();
        dbus.get_connection_unix_process_id(name).await.ok()
    }
}

/// What a window manager does when the person clicks the window's ×: a `WM_DELETE_WINDOW`
/// client message to each top-level window titled `title` (ICCCM §4.2.8.1,
/// <https://tronche.com/gui/x/icccm/sec-4.html#s-4.2.8.1>). Returns how many got it.
fn close_like_a_window_manager(title: &str) -> usize {
    use std::ffi::CStr;
    use x11_dl::xlib;
    let x = xlib::Xlib::open().expect("libX11");
    // SAFETY: plain Xlib calls on a display opened and closed here; every pointer Xlib returns
    // is checked and freed with XFree.
    unsafe {
        let display = (x.XOpenDisplay)(std::ptr::null());
        assert!(!display.is_null(), "no X display");
        let root = (x.XDefaultRootWindow)(display);
        let protocols = (x.XInternAtom)(display, c"WM_PROTOCOLS".as_ptr(), 0);
        let delete = (x.XInternAtom)(display, c"WM_DELETE_WINDOW".as_ptr(), 0);
        let (mut root_ret, mut parent) = (0, 0);
        let mut children: *mut xlib::Window = std::ptr::null_mut();
        let mut count = 0u32;
        (x.XQueryTree)(
            display,
            root,
            &mut root_ret,
            &mut parent,
            &mut children,
            &mut count,
        );
        let mut sent = 0;
        if !children.is_null() {
            for &window in std::slice::from_raw_parts(children, count as usize) {
                let mut name: *mut std::os::raw::c_char = std::ptr::null_mut();
                if (x.XFetchName)(display, window, &mut name) == 0 || name.is_null() {
                    continue;
                }
                let matches = CStr::from_ptr(name).to_string_lossy() == title;
                (x.XFree)(name.cast());
                if !matches {
                    continue;
                }
                let mut data = xlib::ClientMessageData::new();
                data.as_longs_mut()[0] = delete as std::os::raw::c_long;
                data.as_longs_mut()[1] = 0; // CurrentTime
                let mut event = xlib::XEvent {
                    client_message: xlib::XClientMessageEvent {
                        type_: xlib::ClientMessage,
                        serial: 0,
                        send_event: 1,
                        display,
                        window,
                        message_type: protocols,
                        format: 32,
                        data,
                    },
                };
                (x.XSendEvent)(display, window, 0, xlib::NoEventMask, &mut event);
                sent += 1;
            }
            (x.XFree)(children.cast());
        }
        (x.XFlush)(display);
        (x.XCloseDisplay)(display);
        sent
    }
}

/// Polls `check` for up to 30 s.
async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn closed_to_the_tray_and_told_once_when_an_account_needs_the_person() {
    let (bus, seen) = desktop_bus::serve().await;
    let (app, work, mut envs) = prepare("tray");
    envs.extend(consenting_browser(&app, &work));
    // Start at login writes an XDG autostart entry under $HOME/.config: this test's own.
    envs.push(("HOME", work.display().to_string()));
    let (_driver, client) = launch(&app, &envs, DRIVER_PORT, DRIVER_PORT + 1).await;

    // The tray item registers with the desktop's watcher and answers as Fitauth.
    let (sender, service) = eventually("a tray item registered", || {
        seen.items.lock().unwrap().first().cloned()
    })
    .await;
    let title = desktop_bus::item_property(&bus, &sender, &service, "Title").await;
    let id = desktop_bus::item_property(&bus, &sender, &service, "Id").await;
    assert!(
        title.contains("Fitauth") || id.contains("fitauth") || id.contains("tray"),
        "title {title:?}, id {id:?}"
    );
    let pid = desktop_bus::owner_pid(&bus, &sender)
        .await
        .expect("the app is on the bus");

    // Connect Sam on the sandbox.
    click(&client, "//input[@type='radio' and @value='sandbox']").await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;
    click(&client, &text_button("Select all")).await;
    click(&client, CONNECT_BUTTON).await;
    wait_for(
        &client,
        "//h1[normalize-space()='Connected as Sam Sandbox']",
    )
    .await;
    // Asked once after the first connection: start at login? Yes writes the autostart entry,
    // which starts Fitauth in the tray.
    wait_for(&client, "//*[@data-testid='start-at-login']").await;
    screenshot(&client, "tray-connected.png").await;
    click(&client, &text_button("Start at login")).await;
    let entry = work.join(".config/autostart/Fitauth.desktop");
    let entry = eventually("the autostart entry", || {
        std::fs::read_to_string(&entry).ok()
    })
    .await;
    assert!(
        entry.contains(&format!(
            "Exec={} --in-tray",
            app.canonicalize().unwrap().display()
        )),
        "{entry}"
    );
    let prefs = in_page(&client, "return await invoke('get_preferences');", vec![]).await;
    assert_eq!(prefs["start_at_login"], true, "{prefs}");
    assert_eq!(prefs["asked_start_at_login"], true, "{prefs}");

    // The person closes the window: Fitauth stays, in the tray.
    assert_eq!(
        close_like_a_window_manager("Fitauth"),
        1,
        "one Fitauth window"
    );
    let log = work.join("xdg/com.fitauth.desktop/fitauth-desktop.log");
    eventually("the window hidden", || {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        log.contains("window closed; Fitauth keeps running in the tray")
            .then_some(())
    })
    .await;
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the process is still running"
    );
    assert_eq!(
        desktop_bus::owner_pid(&bus, &sender).await,
        Some(pid),
        "its tray item is still on the bus"
    );
    assert!(seen.notes.lock().unwrap().is_empty(), "nothing to say yet");

    // Sam's grant is revoked at the provider (as on fitbit.com), then a refresh finds out.
    let overview = in_page(&client, "return await invoke('app_overview');", vec![]).await;
    let sandbox = overview["sandbox_url"].as_str().unwrap().to_owned();
    let fitauth = app.with_file_name("fitauth");
    let token = Command::new(&fitauth)
        .args(["token", "--account", "sam-sandbox"])
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(token.status.success(), "{token:?}");
    let token = String::from_utf8(token.stdout).unwrap();
    sandbox_post(
        &sandbox,
        "/oauth2/revoke",
        "application/x-www-form-urlencoded",
        &format!("token={}&client_id=sandbox-client", token.trim()),
    );
    // Refreshing "sam-sandbox" from the page: the provider no longer accepts it.
    let refresh_fails = || async {
        let outcome = in_page(
            &client,
            "try { await invoke('refresh_account', { name: 'sam-sandbox' }); return 'refreshed'; } \
             catch (e) { return e.kind; }",
            vec![],
        )
        .await;
        assert_eq!(outcome, "reconnect_needed");
    };
    refresh_fails().await;
    refresh_fails().await;

    // Exactly one notification, with the plain sentence and a Reconnect action.
    let note = eventually("a notification", || {
        seen.notes.lock().unwrap().first().cloned()
    })
    .await;
    // Once per cause: another refresh that fails the same way makes another check. Every check
    // logs "needs-you check DONE of ASKED: K newly said"; once the checks asked for after that
    // refresh are all done, none said anything new.
    let checks_from = |from: usize| -> (usize, Vec<(u64, u64, String)>) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let checks = text[from.min(text.len())..]
            .lines()
            .filter_map(|l| {
                let (_, c) = l.split_once("needs-you check ")?;
                let (done, rest) = c.split_once(" of ")?;
                let (asked, said) = rest.split_once(": ")?;
                Some((done.parse().ok()?, asked.parse().ok()?, said.to_owned()))
            })
            .collect();
        (text.len(), checks)
    };
    let settled = |checks: &[(u64, u64, String)]| {
        checks
            .last()
            .filter(|(done, asked, _)| done == asked)
            .map(|c| c.1)
    };
    let (before, asked_before) =
        eventually("the check that said it, and every other, done", || {
            let (len, checks) = checks_from(0);
            let said = checks.iter().any(|(_, _, s)| s == "1 newly said");
            settled(&checks).filter(|_| said).map(|asked| (len, asked))
        })
        .await;
    refresh_fails().await;
    let checks = eventually("the checks asked for after the refresh, done", || {
        let (_, checks) = checks_from(before);
        settled(&checks)
            .is_some_and(|asked| asked > asked_before)
            .then_some(checks)
    })
    .await;
    assert!(
        checks.iter().all(|(_, _, said)| said == "0 newly said"),
        "{checks:?}"
    );
    let notes = seen.notes.lock().unwrap().clone();
    assert_eq!(notes.len(), 1, "once per cause: {notes:?}");
    assert_eq!(note.app_name, "Fitauth");
    assert_eq!(note.summary, "A Fitauth account needs you");
    assert_eq!(
        note.body,
        "\"sam-sandbox\" needs you: the provider no longer accepts its sign-in. Connect it again \
         to keep getting data."
    );
    assert!(note.actions.contains(&"default".to_owned()), "{note:?}");

    // Clicking it brings the window back at the account's reconnect.
    desktop_bus::click(&bus, note.id).await;
    wait_for(
        &client,
        "//*[@data-testid='reconnecting' and contains(normalize-space(),'Connect “sam-sandbox” again')]",
    )
    .await;
    let visible = in_page(&client, "return document.visibilityState;", vec![]).await;
    assert_eq!(visible, "visible");
    screenshot(&client, "tray-reconnect.png").await;

    client.close().await.unwrap();
}

/// The sandbox's record of the requests it answered (`GET /_sandbox/requests`).
fn sandbox_requests(base: &str) -> Vec<serde_json::Value> {
    use std::io::{Read, Write};
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(hostport).unwrap();
    write!(
        stream,
        "GET /_sandbox/requests HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str::<Vec<serde_json::Value>>(body).unwrap()
}

/// The query of the last authorize request the sandbox saw whose query contains `needle`.
fn last_authorize(base: &str, needle: &str) -> String {
    sandbox_requests(base)
        .into_iter()
        .rev()
        .filter(|r| r["path"] == "/oauth2/authorize")
        .filter_map(|r| r["query"].as_str().map(str::to_owned))
        .find(|q| q.contains(needle))
        .unwrap_or_else(|| panic!("no authorize request with {needle}"))
}

/// How many pages the scripted browser opened.
fn pages_opened(work: &Path) -> usize {
    std::fs::read_to_string(work.join("browser.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("open "))
        .count()
}

/// An account in Inspect's list, by its name (the same person may have several).
fn account_named(name: &str) -> String {
    format!(
        "//nav[@aria-label='Accounts']//button[.//span[starts-with(normalize-space(),'{name} ·')]]"
    )
}

/// Picks `option` (its text) in the select labelled `label`.
async fn choose(client: &Client, label: &str, option: &str) {
    click(
        client,
        &format!("//label[.//span[normalize-space()='{label}']]//select/option[normalize-space()='{option}']"),
    )
    .await;
}

/// Types `text` into Connect's account name.
async fn name_the_account(client: &Client, text: &str) {
    let field = wait_for(
        client,
        "//label[.//span[normalize-space()='Account name']]//input",
    )
    .await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// The account's lifetime as stored: expires_at − issued_at, from the app's own list.
async fn lifetime_of(client: &Client, name: &str) -> i64 {
    let list = in_page(client, "return await invoke('list_accounts');", vec![]).await;
    let account = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no account {name}: {list}"))
        .clone();
    account["expires_at"].as_i64().unwrap() - account["issued_at"].as_i64().unwrap()
}

/// Selects `name` in Inspect's list and waits until its details are the ones shown (the
/// previous account's buttons must not take the next click).
async fn select_account(client: &Client, name: &str) {
    click(client, &account_named(name)).await;
    wait_for(
        client,
        &format!("//*[starts-with(normalize-space(),'Account “{name}”')]"),
    )
    .await;
}

/// Inspect's Revoke with `which` token (the option's value), then the plain sentence.
async fn revoke_in_inspect(client: &Client, name: &str, which: &str, shot: &str) {
    click(client, &nav("Inspect")).await;
    select_account(client, name).await;
    click(
        client,
        "//button[normalize-space()='Revoke' and not(@disabled)]",
    )
    .await;
    click(
        client,
        &format!("//select[@aria-label='Token to revoke']/option[@value='{which}']"),
    )
    .await;
    screenshot(client, &format!("{shot}-confirm.png")).await;
    click(client, &text_button("Yes, revoke")).await;
    wait_for(
        client,
        &format!(
            "//*[normalize-space()='Revoked \"{name}\" and removed its tokens from this machine.']"
        ),
    )
    .await;
    screenshot(client, &format!("{shot}.png")).await;
}

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn every_grant_from_connects_advanced_part_ask_for_more_and_both_revokes() {
    let (app, work, mut envs) = prepare("grants");
    envs.extend(consenting_browser(&app, &work));
    envs.push((
        "FITAUTH_TEST_USER_FILE",
        work.join("user.txt").display().to_string(),
    ));
    std::fs::write(work.join("user.txt"), "SBX123").unwrap();
    let (_driver, client) = launch(&app, &envs, DRIVER_PORT, DRIVER_PORT + 1).await;
    click(&client, "//input[@type='radio' and @value='sandbox']").await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;

    // Implicit, a week long, consent asked again: the token arrives in the fitauth:// link.
    let advanced = "//details[@data-testid='advanced']";
    click(&client, &format!("{advanced}/summary")).await;
    choose(&client, "Grant", "Implicit").await;
    choose(&client, "Token lifetime", "1 week").await;
    choose(&client, "Prompt", "consent").await;
    name_the_account(&client, "week").await;
    client
        .execute(
            "document.querySelector('[data-testid=advanced]').scrollIntoView({block: 'end'});",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "grant-implicit.png").await;
    click(&client, CONNECT_BUTTON).await;
    wait_for(
        &client,
        "//h1[normalize-space()='Connected as Sam Sandbox']",
    )
    .await;
    wait_for(&client, "//*[normalize-space()='Saved as “week”.']").await;
    wait_for(
        &client,
        "//*[contains(normalize-space(),'This token does not renew')]",
    )
    .await;
    screenshot(&client, "grant-implicit-connected.png").await;
    assert_eq!(lifetime_of(&client, "week").await, 604_800);
    let overview = in_page(&client, "return await invoke('app_overview');", vec![]).await;
    let sandbox = overview["sandbox_url"].as_str().unwrap().to_owned();
    let implicit = last_authorize(&sandbox, "response_type=token");
    assert!(
        implicit.contains("prompt=consent") && implicit.contains("expires_in=604800"),
        "{implicit}"
    );
    click(&client, &text_button("See the details")).await;
    wait_for(
        &client,
        "//*[@data-testid='no-refresh' and contains(normalize-space(),'connect again when it expires')]",
    )
    .await;

    // The code grant for one hour, its address shown instead of the browser: the person opens
    // it in another browser (here the same scripted one, started by the test). Riley this time:
    // the same person signing in again would update "week" (one account per person and app).
    std::fs::write(work.join("user.txt"), "SBX456").unwrap();
    click(&client, &nav("Connect")).await;
    click(&client, &text_button("Connect another account")).await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;
    click(&client, &format!("{advanced}/summary")).await;
    let grant = wait_for(
        &client,
        "//label[.//span[normalize-space()='Grant']]//select",
    )
    .await;
    assert_eq!(
        grant.prop("value").await.unwrap().as_deref(),
        Some("code"),
        "another connection starts from the code grant"
    );
    choose(&client, "Token lifetime", "1 hour").await;
    click(
        &client,
        "//label[contains(normalize-space(),'Show the sign-in address instead')]//input",
    )
    .await;
    name_the_account(&client, "hour").await;
    let opened_before = pages_opened(&work);
    click(&client, CONNECT_BUTTON).await;
    let address = wait_for(&client, "//input[@id='authorize-url']")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        address.contains("code_challenge=") && address.contains("response_type=code"),
        "{address}"
    );
    wait_for(
        &client,
        "//*[@data-testid='authorize-url']//button[normalize-space()='Copy']",
    )
    .await;
    screenshot(&client, "grant-address.png").await;
    assert_eq!(
        pages_opened(&work),
        opened_before,
        "the browser was not opened"
    );
    let opened = Command::new(root().join("tests/e2e/second-launch-browser"))
        .arg(&address)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .unwrap();
    assert!(opened.success());
    wait_for(
        &client,
        "//h1[normalize-space()='Connected as Riley Visitor']",
    )
    .await;
    wait_for(&client, "//*[normalize-space()='Saved as “hour”.']").await;
    assert_eq!(lifetime_of(&client, "hour").await, 3_600);

    // Ask for more: "hour" signs in again with what it has ticked, plus Sleep.
    click(&client, &nav("Inspect")).await;
    select_account(&client, "hour").await;
    // Far down the page: brought to the middle first, so nothing sticky covers it.
    let more = wait_for(&client, &text_button("Ask for more")).await;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&more).unwrap()],
        )
        .await
        .unwrap();
    more.click().await.unwrap();
    wait_for(
        &client,
        "//*[@data-testid='reconnecting' and contains(normalize-space(),'Connect “hour” again')]",
    )
    .await;
    let sleep = wait_for(
        &client,
        "//label[contains(@class,'scope')][.//span[normalize-space()='Sleep']]//input",
    )
    .await;
    assert_eq!(
        sleep.prop("checked").await.unwrap().as_deref(),
        Some("false")
    );
    sleep.click().await.unwrap();
    screenshot(&client, "ask-for-more.png").await;
    click(&client, CONNECT_BUTTON).await;
    wait_for(
        &client,
        "//*[normalize-space()='Updated the existing account “hour”.']",
    )
    .await;
    let list = in_page(&client, "return await invoke('list_accounts');", vec![]).await;
    let hour = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "hour")
        .unwrap()
        .clone();
    assert!(
        hour["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["scope"] == "sleep" && s["granted"] == true),
        "{hour}"
    );

    // Both revokes: the refresh token of "hour", the access token of "week" (its only one).
    revoke_in_inspect(&client, "hour", "refresh", "revoke-refresh").await;
    revoke_in_inspect(&client, "week", "access", "revoke-access").await;

    // Client credentials: a server registration gets an app token, no browser, no user.
    let saved = in_page(
        &client,
        "return await invoke('save_app', { input: { name: 'server', provider: 'fitbit', \
         client_id: 'sandbox-server', app_type: 'server', client_secret: 'sandbox-secret', \
         base_url: arguments[0] } });",
        vec![serde_json::Value::String(sandbox.clone())],
    )
    .await;
    assert_eq!(saved["has_client_secret"], true, "{saved}");
    click(&client, &nav("Connect")).await;
    click(&client, &text_button("Connect another account")).await;
    click(&client, "//input[@type='radio' and @value='fitbit']").await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;
    click(&client, &format!("{advanced}/summary")).await;
    choose(&client, "Grant", "Client credentials").await;
    choose(&client, "Token lifetime", "1 hour").await;
    screenshot(&client, "grant-client-credentials.png").await;
    click(&client, &text_button("Get app token")).await;
    wait_for(
        &client,
        "//*[normalize-space()='Saved as “server-app-token”.']",
    )
    .await;
    wait_for(
        &client,
        "//*[contains(normalize-space(),'An app token: it reads no one’s data')]",
    )
    .await;
    assert_eq!(lifetime_of(&client, "server-app-token").await, 3_600);
    click(&client, &text_button("See the details")).await;
    wait_for(
        &client,
        "//*[@data-testid='no-refresh' and contains(normalize-space(),'An app token (client credentials)')]",
    )
    .await;
    // An app token has no person to sign in again: no Ask for more.
    assert!(client
        .find(Locator::XPath(&text_button("Ask for more")))
        .await
        .is_err());
    // An app token has no person to move to Google: no banner for it.
    assert!(client
        .find(Locator::XPath("//*[@data-testid='move-banner']"))
        .await
        .is_err());
    screenshot(&client, "grant-client-credentials-inspect.png").await;

    // The same server app by the code grant without PKCE (it sends its secret instead).
    std::fs::write(work.join("user.txt"), "SBX123").unwrap();
    click(&client, &nav("Connect")).await;
    click(&client, &text_button("Connect another account")).await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;
    click(&client, &format!("{advanced}/summary")).await;
    click(
        &client,
        "//label[contains(normalize-space(),'PKCE')]//input",
    )
    .await;
    name_the_account(&client, "no-pkce").await;
    screenshot(&client, "grant-no-pkce.png").await;
    click(&client, CONNECT_BUTTON).await;
    wait_for(&client, "//*[normalize-space()='Saved as “no-pkce”.']").await;
    let no_pkce = last_authorize(&sandbox, "client_id=sandbox-server");
    assert!(!no_pkce.contains("code_challenge"), "{no_pkce}");

    client.close().await.unwrap();
}
