//! Inspect's request panel: a request to the provider's API with the account's token, the
//! use-case layer's [`fitauth_core::Fitauth::api`] (as `fitauth api` sends it), and the same
//! request as a `curl` command that leaves the token to `fitauth token`.

use fitauth_core::api::{curl_command, ApiAnswer, ApiCall};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::accounts::changed;
use crate::error::CommandResult;
use crate::state::Desktop;

/// What came back, redacted, and how to send it again from a shell.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub answer: ApiAnswer,
    /// The body, pretty when it is JSON.
    pub pretty_body: String,
    pub curl: String,
}

/// Sends `method path` (with `body`) to the provider's API with the account's token, refreshed
/// first when due and once more after a `401`.
#[tauri::command]
pub async fn send_request<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    name: String,
    method: String,
    path: String,
    body: Option<String>,
) -> CommandResult<RequestView> {
    let call = ApiCall { method, path, body };
    let (account, answer) = desktop.app.api(Some(&name), &call).await?;
    // A refresh may have happened on the way, and the rate limit moved: the views catch up.
    changed(&app, &account.name, None);
    Ok(RequestView {
        pretty_body: answer.pretty_body(),
        curl: curl_command(
            &answer.method,
            &answer.url,
            &account.name,
            call.body.as_deref(),
        ),
        answer,
    })
}
