//! The desktop app end to end: a real window (WebKitGTK under Xvfb) driven through tauri-driver,
//! the built-in sandbox, the real Secret Service, and the OS-style delivery of `fitauth://` links
//! by launching the app binary a second time. Run with `scripts/e2e`, which sets up the display,
//! the D-Bus session and the keyring; screenshots land in `tests/e2e/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

const DRIVER_PORT: u16 = 4444;

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

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
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
    // Let the last paint settle: Xvfb screenshots can lag the DOM (tauri.md §4.3).
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
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
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

fn text_button(text: &str) -> String {
    format!("//button[normalize-space()='{text}']")
}

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn connect_inspect_refresh_introspect_revoke_and_refuse_a_stray_link() {
    let (app, work, mut envs) = prepare("main");
    // Everything the app (started by WebKitWebDriver) and its second copy inherit.
    envs.extend([
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

    click(&client, &text_button("Select all")).await;
    click(
        &client,
        "//button[contains(@class,'primary') and normalize-space()='Connect']",
    )
    .await;
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

    let masked_before = wait_for(&client, "//*[@data-testid='secret-access_token']")
        .await
        .text()
        .await
        .unwrap();
    click(&client, &text_button("Refresh")).await;
    wait_for(
        &client,
        "//*[normalize-space()='New tokens received and saved.']",
    )
    .await;
    let masked_after = wait_for(&client, "//*[@data-testid='secret-access_token']")
        .await
        .text()
        .await
        .unwrap();
    assert_ne!(masked_before, masked_after, "the refreshed token differs");

    click(&client, &text_button("Introspect")).await;
    wait_for(
        &client,
        "//p[@data-testid='verdict' and starts-with(normalize-space(),'Active')]",
    )
    .await;

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

    // Revoke.
    click(&client, &text_button("Revoke")).await;
    click(&client, &text_button("Yes, revoke")).await;
    wait_for(
        &client,
        "//*[starts-with(normalize-space(),'Access revoked at the provider')]",
    )
    .await;
    wait_for(
        &client,
        "//header//span[@data-testid='status-pill' and normalize-space()='Revoked']",
    )
    .await;

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

/// What has the keyboard focus, and whether it is visibly marked.
async fn focused(client: &Client) -> serde_json::Value {
    client
        .execute(
            "const e = document.activeElement; const st = getComputedStyle(e);
             const wrap = e.closest('.choice, label');
             const ring = (s) => (s.boxShadow && s.boxShadow !== 'none') ||
                                 (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0);
             return { tag: e.tagName, type: e.type || '', value: e.value || '',
                      text: (e.innerText || '').trim(), checked: !!e.checked,
                      visible: ring(st) || (wrap !== null && ring(getComputedStyle(wrap))),
                      focus_visible: e.matches(':focus-visible'), shadow: st.boxShadow,
                      outline: st.outlineStyle + ' ' + st.outlineWidth };",
            vec![],
        )
        .await
        .unwrap()
}

/// Presses Tab until `pick` accepts the focused element (at most 40 times); every element on
/// the way must show where the focus is.
async fn tab_to(
    client: &Client,
    what: &str,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let tab = char::from(fantoccini::key::Key::Tab).to_string();
    for _ in 0..40 {
        client
            .active_element()
            .await
            .unwrap()
            .send_keys(&tab)
            .await
            .unwrap();
        let now = focused(client).await;
        if now["tag"] != "BODY" {
            assert_eq!(now["visible"], true, "no visible focus on {now}");
        }
        if pick(&now) {
            return now;
        }
    }
    panic!("Tab never reached {what}");
}

async fn press(client: &Client, key: fantoccini::key::Key) {
    let key = char::from(key).to_string();
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&key)
        .await
        .unwrap();
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

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn keyboard_only_200_percent_zoom_and_the_system_dark_theme() {
    use fantoccini::key::Key;
    let (app, _work, mut envs) = prepare("a11y");
    envs.extend([
        // A browser that opens nothing: this test only waits and cancels.
        ("BROWSER", "true".into()),
        // The system asks for dark: GTK's theme variant, which WebKitGTK reports to the page.
        ("GTK_THEME", "Adwaita:dark".into()),
    ]);
    let (_driver, client) = launch(&app, &envs, DRIVER_PORT + 2, DRIVER_PORT + 3).await;
    wait_for(
        &client,
        "//h1[normalize-space()='Connect your Fitbit account']",
    )
    .await;
    wait_for(&client, "//label[contains(@class,'scope')]").await;

    // Dark theme, following the system.
    let theme = client
        .execute(
            "const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
             const lum = ([r, g, b]) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
             const body = getComputedStyle(document.body);
             return { dark: matchMedia('(prefers-color-scheme: dark)').matches,
                      background: lum(rgb(body.backgroundColor)), text: lum(rgb(body.color)) };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        theme["dark"], true,
        "the page sees the system's dark preference: {theme}"
    );
    assert!(
        theme["background"].as_f64().unwrap() < 0.25,
        "a dark background: {theme}"
    );
    assert!(theme["text"].as_f64().unwrap() > 0.7, "light text: {theme}");
    screenshot(&client, "connect-dark.png").await;

    // Keyboard only: the views, a choice, a scope, Connect, then Cancel.
    tab_to(&client, "the Apps tab", |f| {
        f["tag"] == "BUTTON" && f["text"] == "Apps"
    })
    .await;
    tab_to(&client, "the sandbox choice", |f| {
        f["type"] == "radio" && f["value"] == "sandbox"
    })
    .await;
    let scope = tab_to(&client, "a scope", |f| f["type"] == "checkbox").await;
    press(&client, Key::Space).await;
    let toggled = focused(&client).await;
    assert_ne!(
        scope["checked"], toggled["checked"],
        "Space ticks or unticks a scope"
    );
    if toggled["checked"] == false {
        press(&client, Key::Space).await; // Connect needs at least one scope
    }
    tab_to(&client, "the Connect button", |f| {
        f["tag"] == "BUTTON" && f["text"] == "Connect"
    })
    .await;
    press(&client, Key::Enter).await;
    wait_for(&client, "//h1[normalize-space()='Finish in your browser…']").await;
    tab_to(&client, "Cancel", |f| {
        f["tag"] == "BUTTON" && f["text"] == "Cancel"
    })
    .await;
    press(&client, Key::Enter).await;
    wait_for(
        &client,
        "//h1[normalize-space()='Connect your Fitbit account']",
    )
    .await;

    // 200% zoom in the default 960×720 window: nothing runs off to the side.
    client
        .execute("document.documentElement.style.zoom = '2';", vec![])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let zoom = client
        .execute(
            "return getComputedStyle(document.documentElement).zoom;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(zoom, "2", "the page is zoomed");
    assert!(
        sideways_overflow(&client).await <= 1,
        "Connect fits sideways at 200%"
    );
    screenshot(&client, "zoom200-connect.png").await;
    // (WebDriver's pointer does not account for CSS zoom; the keyboard does not care.)
    client
        .execute(
            "[...document.querySelectorAll('nav button')].find((b) => b.innerText.trim() === 'Apps').focus();",
            vec![],
        )
        .await
        .unwrap();
    press(&client, Key::Enter).await;
    wait_for(&client, "//h1[normalize-space()='Apps']").await;
    assert!(
        sideways_overflow(&client).await <= 1,
        "Apps fits sideways at 200%"
    );
    screenshot(&client, "zoom200-apps.png").await;

    client.close().await.unwrap();
}
