//! The first thing the UI asks for: accounts, registrations, the sign-in being waited for, and
//! where things are kept.

use fitauth_core::ErrorReport;
use serde::Serialize;
use tauri::State;

use crate::accounts::AccountView;
use crate::apps::AppView;
use crate::connect::{self, Waiting};
use crate::error::CommandResult;
use crate::migrate::MoveNotice;
use crate::sandbox;
use crate::state::{lock, Desktop};

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub accounts: Vec<AccountView>,
    pub apps: Vec<AppView>,
    pub waiting: Option<Waiting>,
    pub sandbox_url: Option<String>,
    pub secrets_location: String,
    pub keyring_error: Option<ErrorReport>,
    pub data_dir: String,
    pub log_file: Option<String>,
    /// Whether `fitauth://callback` links reach this app (else Fitbit uses loopback).
    pub scheme_redirects: bool,
    /// The banner's sentences for accounts still on the legacy Fitbit API.
    pub move_notice: MoveNotice,
    /// The accounts the banner offers to move to Google Health.
    pub needs_move: Vec<String>,
}

#[tauri::command]
pub async fn app_overview(desktop: State<'_, Desktop>) -> CommandResult<Overview> {
    let meta = desktop.app.snapshot().await?;
    Ok(Overview {
        accounts: meta
            .accounts
            .iter()
            .map(AccountView::from_account)
            .collect(),
        apps: meta.apps.iter().map(AppView::from_registration).collect(),
        waiting: connect::waiting(&desktop),
        sandbox_url: sandbox::url(&desktop).await,
        secrets_location: desktop.app.secrets_location(),
        keyring_error: desktop.keyring_error.clone(),
        data_dir: desktop.app.home().display().to_string(),
        log_file: lock(&desktop.log_file)
            .as_ref()
            .map(|p| p.display().to_string()),
        scheme_redirects: desktop.config.scheme_redirects,
        move_notice: crate::migrate::NOTICE,
        needs_move: meta
            .accounts
            .iter()
            .filter(|a| desktop.app.needs_move(a))
            .map(|a| a.name.clone())
            .collect(),
    })
}
