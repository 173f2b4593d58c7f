//! Fitauth in the system tray (a StatusNotifierItem through libayatana-appindicator on Linux):
//! closing the window keeps the app, and its background refresh, running here unless the person
//! chose otherwise. The menu: open Fitauth, each account with how it stands ("renews at 17:10",
//! "needs you"), quit.

use fitauth_core::attention::{short_state, Attention};
use fitauth_core::clock::now_unix;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::events;
use crate::state::{lock, Desktop};

pub const TRAY_ID: &str = "fitauth";
const OPEN: &str = "open";
const QUIT: &str = "quit";
const ACCOUNT: &str = "account:";

/// One account's line in the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub account: String,
    pub text: String,
}

/// The account lines, from the use-case layer.
pub async fn lines(desktop: &Desktop) -> Vec<Line> {
    let now = now_unix();
    let accounts = desktop.app.accounts().await.unwrap_or_default();
    accounts
        .iter()
        .map(|a| {
            let attention = Attention::of(a, desktop.app.needs_move(a), now);
            Line {
                account: a.name.clone(),
                text: format!("{} — {}", a.name, short_state(a, attention.as_ref(), now)),
            }
        })
        .collect()
}

fn menu<R: Runtime>(app: &AppHandle<R>, lines: &[Line]) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        OPEN,
        "Open Fitauth",
        true,
        None::<&str>,
    )?)?;
    if !lines.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for line in lines {
            let id = format!("{ACCOUNT}{}", line.account);
            menu.append(&MenuItem::with_id(app, id, &line.text, true, None::<&str>)?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        QUIT,
        "Quit Fitauth",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

/// Puts Fitauth in the tray. Fails where the desktop offers no tray (then closing the window
/// quits, as it always did).
pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Fitauth")
        .menu(&menu(app, &[])?)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| {
            let id = event.id().as_ref();
            match id {
                OPEN => show(app, None),
                QUIT => {
                    tracing::info!("quit from the tray");
                    app.exit(0);
                }
                _ => {
                    if let Some(account) = id.strip_prefix(ACCOUNT) {
                        show(app, Some(account));
                    }
                }
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    *lock(&app.state::<Desktop>().tray) = true;
    tracing::info!("in the system tray");
    let handle = app.clone();
    tauri::async_runtime::spawn(async move { update(&handle).await });
    Ok(())
}

/// Rebuilds the menu's account lines (after a refresh, a sign-in, a revoke).
pub async fn update<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let lines = lines(&app.state::<Desktop>()).await;
    match menu(app, &lines) {
        Ok(menu) => {
            if let Err(e) = tray.set_menu(Some(menu)) {
                tracing::warn!(error = %e, "could not update the tray menu");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not build the tray menu"),
    }
}

/// Brings the window back; with `account`, the UI opens that account.
pub fn show<R: Runtime>(app: &AppHandle<R>, account: Option<&str>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
    if let Some(account) = account {
        let _ = app.emit(events::OPEN_ACCOUNT, account);
    }
}

/// Whether closing the window should keep Fitauth in the tray: the person did not choose to
/// quit instead, and a tray shows its icon — else the window could not be brought back from it.
pub fn keeps_running(desktop: &Desktop) -> bool {
    *lock(&desktop.tray) && lock(&desktop.settings).preferences.close_to_tray && host_present()
}

/// Whether the desktop shows tray icons. On Linux that is a StatusNotifierWatcher on the
/// session bus (KDE, most desktops; GNOME only with the AppIndicator extension:
/// <https://www.freedesktop.org/wiki/Specifications/StatusNotifierItem/StatusNotifierWatcher/>).
#[cfg(target_os = "linux")]
fn host_present() -> bool {
    let Ok(bus) = zbus::blocking::Connection::session() else {
        return false;
    };
    let Ok(dbus) = zbus::blocking::fdo::DBusProxy::new(&bus) else {
        return false;
    };
    let watcher = zbus::names::BusName::from_static_str("org.kde.StatusNotifierWatcher");
    watcher
        .ok()
        .and_then(|name| dbus.name_has_owner(name).ok())
        .unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn host_present() -> bool {
    true
}
