//! The move to Google Health (the migration assistant) in the window: what the move will ask
//! for, and starting it. The sign-in then runs like any Connect (`connect.rs` waits for it and
//! announces it); its [`MigrationView`] says how the move ended. The rules are the use-case
//! layer's (`fitauth_core::service::migrate`), which `fitauth migrate` runs too.

use fitauth_core::migration::{WHAT_HAPPENED, WHAT_STAYS, WHAT_TO_DO};
use fitauth_core::scopes;
use fitauth_core::service::apps::SANDBOX_APP;
use fitauth_core::service::migrate::{Migrated, MigrationPlan};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::connect::{self, Waiting};
use crate::error::CommandResult;
use crate::sandbox;
use crate::state::Desktop;

/// The three sentences of the banner: what happened, what to do, what stays the same.
#[derive(Debug, Clone, Serialize)]
pub struct MoveNotice {
    pub what_happened: &'static str,
    pub what_to_do: &'static str,
    pub what_stays: &'static str,
}

pub const NOTICE: MoveNotice = MoveNotice {
    what_happened: WHAT_HAPPENED,
    what_to_do: WHAT_TO_DO,
    what_stays: WHAT_STAYS,
};

/// A Google scope the move will ask for, for people.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedScope {
    pub scope: String,
    pub label: String,
    pub description: String,
}

/// What the move of one account will do, before it starts.
#[derive(Debug, Clone, Serialize)]
pub struct MovePlanView {
    pub account: String,
    /// The Google Health registration it signs in through.
    pub app: String,
    pub scopes: Vec<PlannedScope>,
    /// Legacy scopes with no Google Health equivalent.
    pub unmapped: Vec<String>,
}

impl From<&MigrationPlan> for MovePlanView {
    fn from(plan: &MigrationPlan) -> Self {
        MovePlanView {
            account: plan.account.name.clone(),
            app: plan.target.name.clone(),
            scopes: plan
                .scopes
                .google
                .iter()
                .map(|s| PlannedScope {
                    scope: s.clone(),
                    label: scopes::lookup(s)
                        .map(|i| i.label.to_owned())
                        .unwrap_or_else(|| s.clone()),
                    description: scopes::describe(s),
                })
                .collect(),
            unmapped: plan.scopes.unmapped.clone(),
        }
    }
}

/// How a move ended, in sentences.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationView {
    /// The legacy account's name.
    pub from: String,
    /// The legacy account now is the Google account (same name).
    pub moved: bool,
    /// Whether it is the same Fitbit account, or why that cannot be said.
    pub same_account: String,
    /// What became of the legacy token.
    pub legacy_token: String,
    pub unmapped: Vec<String>,
    /// The Google account was already here under another name, which it no longer has.
    pub merged: Option<String>,
}

impl From<&Migrated> for MigrationView {
    fn from(m: &Migrated) -> Self {
        MigrationView {
            from: m.legacy.name.clone(),
            moved: m.moved(),
            same_account: m.same_account.sentence(&m.legacy.name),
            legacy_token: m.legacy_token.sentence(),
            unmapped: m.unmapped.clone(),
            merged: m.merged_sentence(),
        }
    }
}

async fn plan(desktop: &Desktop, account: &str) -> CommandResult<MigrationPlan> {
    let legacy = desktop.app.legacy_account(Some(account)).await?;
    // A sandbox account moves on the sandbox, which is started if it is not running.
    let sandbox_base = if legacy.app == SANDBOX_APP {
        sandbox::ensure(desktop).await?.base_url
    } else {
        None
    };
    Ok(desktop
        .app
        .migration_plan(Some(account), None, sandbox_base.as_deref())
        .await?)
}

/// What moving `account` to Google Health will ask for.
#[tauri::command]
pub async fn migration_plan(
    desktop: State<'_, Desktop>,
    account: String,
) -> CommandResult<MovePlanView> {
    Ok(MovePlanView::from(&plan(&desktop, &account).await?))
}

/// Starts the move: the Google sign-in opens in the system browser; the window waits as for
/// any Connect.
#[tauri::command]
pub async fn start_migration<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    account: String,
) -> CommandResult<Waiting> {
    connect::cancel_active(&desktop).await;
    let plan = plan(&desktop, &account).await?;
    let (sign_in, loopback) = desktop.app.begin_migration(&plan, None).await?;
    connect::wait_for(
        &app,
        &desktop,
        sign_in,
        loopback,
        connect::Grant::Code,
        true,
    )
    .await
}
