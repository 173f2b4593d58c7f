//! Fitauth's desktop shell: thin Tauri commands over `fitauth-core`'s use-case layer
//! (`fitauth_core::service`), one module per domain. A command gets the managed [`Desktop`],
//! calls the layer and emits what changed; it never touches the store or the OAuth client.
//!
//! | module | what |
//! |---|---|
//! | `connect` | start a sign-in, receive the redirect (loopback, deep link, paste), cancel |
//! | `deeplink` | `fitauth://` delivery: on_open_url + get_current, scheme registration |
//! | `accounts` | list, inspect, refresh, introspect, revoke, reveal |
//! | `confirm` | the native dialog Reveal waits for |
//! | `apps` | app registrations |
//! | `migrate` | the move of a legacy Fitbit account to Google Health |
//! | `tray` | the system tray: closing the window keeps Fitauth running |
//! | `notify` | "needs you" notifications, once per cause |
//! | `settings` | the desktop's preferences (`settings.json`) |
//! | `sandbox` | the built-in offline provider |
//! | `refresh` | the background refresh timer |
//! | `overview` | what the UI loads first |
//! | `logfile` | the log file in the app's data directory |
//! | `navigation` | the window never leaves the app's own page |
//! | `state`, `error`, `events` | managed state, errors as `ErrorReport` with this app's next steps, event names |

pub mod accounts;
pub mod apps;
pub mod confirm;
pub mod connect;
mod deeplink;
pub mod error;
pub mod events;
pub mod import;
mod logfile;
pub mod migrate;
pub mod navigation;
pub mod notify;
pub mod overview;
mod refresh;
pub mod request;
pub mod sandbox;
pub mod settings;
pub mod state;
pub mod tray;

use tauri::{AppHandle, Builder, Manager, Runtime};

pub use confirm::RevealGate;
pub use fitauth_core::Browser;
pub use state::{Config, Desktop};

/// The plugins and commands shared by the real app and the tests (which use the mock runtime).
pub fn app_builder<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        .plugin(navigation::guard())
        // The browser is opened from Rust; the webview gets no opener permission, and links in
        // the page are not intercepted.
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .invoke_handler(tauri::generate_handler![
            overview::app_overview,
            connect::scope_catalog,
            connect::start_connect,
            connect::get_app_token,
            connect::cancel_connect,
            connect::paste_redirect,
            accounts::list_accounts,
            accounts::inspect_account,
            accounts::refresh_account,
            accounts::introspect_account,
            accounts::revoke_account,
            request::send_request,
            import::import_token,
            accounts::remove_account,
            accounts::rename_account,
            accounts::reveal_secret,
            apps::list_apps,
            apps::save_app,
            apps::remove_app,
            sandbox::start_sandbox,
            migrate::migration_plan,
            migrate::start_migration,
            settings::get_preferences,
            settings::set_preferences,
        ])
}

/// Opens the store and puts the managed state in place; starts the refresh timer.
pub fn init_state<R: Runtime>(
    app: &AppHandle<R>,
    config: Config,
) -> Result<(), fitauth_core::Error> {
    let background = config.background_refresh;
    let desktop = Desktop::open(config)?;
    let fitauth = desktop.app.clone();
    let had_sandbox = tauri::async_runtime::block_on(async {
        // Registrations compiled into this build (fitauth_core::defaults), so Connect works with
        // no setup; a locked keyring only means they are offered once it is unlocked.
        for outcome in fitauth.install_builtins().await {
            match outcome {
                Ok(app) => tracing::info!(app = %app.name, "built-in app registration available"),
                Err(e) => tracing::warn!(
                    kind = e.kind(),
                    "could not set up a built-in app registration"
                ),
            }
        }
        // The sandbox keeps its state in memory: if it was used before, start a fresh one now,
        // so its registration points at a live server (old sandbox accounts then say
        // "reconnect").
        fitauth
            .registrations()
            .await
            .map(|apps| apps.iter().any(|a| a.name == sandbox::SANDBOX_APP))
            .unwrap_or(false)
    });
    app.manage(desktop);
    if had_sandbox {
        let handle = app.clone();
        tauri::async_runtime::spawn(async move {
            let desktop = handle.state::<Desktop>();
            if let Err(e) = sandbox::ensure(&desktop).await {
                tracing::warn!(kind = e.kind(), "could not restart the built-in sandbox");
            }
        });
    }
    if background {
        refresh::spawn(app.clone());
    }
    Ok(())
}

/// The argument the start-at-login entry passes: start in the tray, window hidden.
const IN_TRAY: &str = "--in-tray";

/// The desktop app.
pub fn run() {
    let mut builder = tauri::Builder::default();
    #[cfg(desktop)]
    {
        // First plugin: a second copy started by a fitauth:// link hands its arguments to this
        // one and exits; with the `deep-link` feature the link is emitted here as a deep link.
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }));
    }
    builder = builder
        .plugin(tauri_plugin_deep_link::init())
        // Start at login (off until the person says yes), straight into the tray.
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([IN_TRAY])
                .app_name("Fitauth")
                .build(),
        );
    // The native confirmation before a token is shown (confirm.rs); no command of it is allowed
    // to the webview.
    #[cfg(any(target_os = "macos", windows))]
    {
        builder = builder
            .plugin(tauri_plugin_dialog::init())
            .plugin(tauri_plugin_notification::init());
    }
    app_builder(builder)
        .setup(|app| {
            let log_file = app
                .path()
                .app_data_dir()
                .ok()
                .and_then(|dir| logfile::init(&dir));
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                "Fitauth desktop starting"
            );
            let config = Config {
                home: None,
                browser: Browser::from_env(),
                scheme_redirects: deeplink::scheme_redirects(app),
                background_refresh: true,
                reveal_gate: RevealGate::Ask,
            };
            init_state(app.handle(), config)?;
            quit_on_signals(app.handle().clone());
            let desktop = app.state::<Desktop>();
            *state::lock(&desktop.log_file) = log_file;
            if let Some(path) = settings::path(app.handle()) {
                *state::lock(&desktop.settings) = settings::Settings::load(&path);
                *state::lock(&desktop.settings_path) = Some(path);
            }
            if let Err(e) = tray::install(app.handle()) {
                tracing::warn!(error = %e, "no system tray here: closing the window quits");
            }
            // Started at login: straight into the tray, where there is one.
            if std::env::args().any(|a| a == IN_TRAY) && tray::keeps_running(&desktop) {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.hide();
                    tracing::info!("started at login: in the tray");
                }
            }
            notify::spawn_check(app.handle());
            deeplink::listen(app);
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if tray::keeps_running(&window.state::<Desktop>()) {
                    api.prevent_close();
                    let _ = window.hide();
                    tracing::info!("window closed; Fitauth keeps running in the tray");
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("error while building the Fitauth desktop app")
        .run(hold_exit_while_saving);
}

/// SIGTERM (a logout, `kill`) and SIGINT (Ctrl-C in a terminal) quit the app the orderly way,
/// so they wait for new tokens being saved like any other quit.
fn quit_on_signals<R: Runtime>(app: AppHandle<R>) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("asked to stop by a signal");
        app.exit(0);
    });
    #[cfg(not(unix))]
    let _ = app;
}

/// Quitting waits while a refresh holds new tokens not yet in the keyring
/// (`fitauth_core::shield`): the app stays until they are saved (at most ten seconds), then goes.
fn hold_exit_while_saving<R: Runtime>(app: &AppHandle<R>, event: tauri::RunEvent) {
    static WAITED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if let tauri::RunEvent::ExitRequested { api, code, .. } = event {
        if fitauth_core::shield::is_held()
            && !WAITED.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            tracing::info!("saving new tokens before quitting");
            api.prevent_exit();
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                fitauth_core::shield::released(std::time::Duration::from_secs(10)).await;
                app.exit(code.unwrap_or(0));
            });
        }
    }
}
