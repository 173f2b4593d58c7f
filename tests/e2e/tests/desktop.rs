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

fn text_button(text: &str) -> String {
    format!("//button[normalize-space()='{text}']")
}

#[tokio::test]
#[ignore = "needs tauri-driver, WebKitWebDriver, a display and a keyring: run scripts/e2e"]
async fn connect_inspect_refresh_introspect_revoke_and_refuse_a_stray_link() {
    let app = app_binary();
    assert!(app.exists(), "build the app first: {}", app.display());
    let work = std::env::temp_dir().join(format!("fitauth-e2e-{}", std::process::id()));
    std::fs::create_dir_all(work.join("data")).unwrap();
    std::fs::create_dir_all(work.join("xdg")).unwrap();

    // Everything the app (started by WebKitWebDriver) and its second copy inherit.
    let envs: Vec<(&str, String)> = vec![
        ("FITAUTH_HOME", work.join("data").display().to_string()),
        ("XDG_DATA_HOME", work.join("xdg").display().to_string()),
        ("FITAUTH_REDIRECT", "scheme".into()),
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
    ];
    let tauri_driver = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
    let _driver = Driver(
        Command::new(&tauri_driver)
            .args(["--port", &DRIVER_PORT.to_string()])
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver is installed (cargo install tauri-driver --locked)"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", DRIVER_PORT)).is_err() {
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
        .connect(&format!("http://127.0.0.1:{DRIVER_PORT}"))
        .await
        .expect("a WebDriver session with the app");

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
