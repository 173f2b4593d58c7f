//! Events the Rust side sends to the UI. Payloads never carry a secret.

/// A sign-in finished: payload `ConnectedView`.
pub const CONNECT_FINISHED: &str = "connect-finished";
/// The sign-in this window started failed: payload `ErrorReport`.
pub const CONNECT_FAILED: &str = "connect-failed";
/// A `fitauth://` link that belongs to no pending sign-in was refused: payload `ErrorReport`.
pub const LINK_REFUSED: &str = "link-refused";
/// An account changed (refresh, revoke, background timer): payload `AccountChanged`.
pub const ACCOUNTS_CHANGED: &str = "accounts-changed";
/// Show one account (the tray menu, a notification): payload its name.
pub const OPEN_ACCOUNT: &str = "open-account";
/// Reconnect one account (a "needs you" notification was clicked): payload `ReconnectRequest`.
pub const RECONNECT: &str = "reconnect-account";
/// The app registrations changed.
pub const APPS_CHANGED: &str = "apps-changed";

/// Payload of [`ACCOUNTS_CHANGED`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountChanged {
    pub account: String,
    /// Why a background refresh failed, if it did.
    pub error: Option<fitauth_core::ErrorReport>,
}

/// Payload of [`RECONNECT`]: the account, and whether the way on is the move to Google.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReconnectRequest {
    pub account: String,
    pub move_to_google: bool,
}
