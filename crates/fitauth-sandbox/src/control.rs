//! The `/_sandbox/…` control API: faults, settings, the clock and the request log. Control calls
//! are neither recorded, rate limited nor faulted.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultSpec;
use crate::state::{Settings, SettingsPatch, Shared};

/// The control API answers only requests addressed to this computer by name or address
/// (`Host: 127.0.0.1:…`, `localhost:…`, `[::1]:…`): a web page that rebinds its own name to
/// 127.0.0.1 cannot read the request log (it holds codes and verifiers) or set faults.
pub async fn local_only(request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_sandbox/") {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        };
        if !matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({ "error": "the control API answers only requests to 127.0.0.1, [::1] or localhost" })),
            )
                .into_response();
        }
    }
    next.run(request).await
}

pub async fn health() -> Response {
    Json(json!({ "ok": true })).into_response()
}

pub async fn requests(State(shared): State<Shared>) -> Response {
    Json(shared.lock().requests.clone()).into_response()
}

pub async fn clear_requests(State(shared): State<Shared>) -> Response {
    shared.lock().requests.clear();
    Json(json!({ "ok": true })).into_response()
}

/// What the refresh requests presented so far ([`crate::stats::RefreshStats`]).
pub async fn refresh_stats(State(shared): State<Shared>) -> Response {
    Json(shared.lock().refresh_stats).into_response()
}

pub async fn clear_refresh_stats(State(shared): State<Shared>) -> Response {
    shared.lock().refresh_stats = Default::default();
    Json(json!({ "ok": true })).into_response()
}

pub async fn add_fault(State(shared): State<Shared>, Json(spec): Json<FaultSpec>) -> Response {
    shared.lock().faults.push(spec);
    Json(json!({ "ok": true })).into_response()
}

pub async fn clear_faults(State(shared): State<Shared>) -> Response {
    shared.lock().faults.clear();
    Json(json!({ "ok": true })).into_response()
}

pub fn apply(settings: &mut Settings, patch: SettingsPatch) {
    if let Some(v) = patch.auto_approve {
        settings.auto_approve = v;
    }
    if let Some(v) = patch.access_token_ttl_secs {
        settings.access_token_ttl_secs = Some(v);
    }
    if let Some(v) = patch.rate_limit {
        settings.rate_limit = v;
    }
    if let Some(v) = patch.grace_secs {
        settings.grace_secs = v;
    }
    if let Some(v) = patch.legacy_retired {
        settings.legacy_retired = v;
    }
}

pub async fn settings(State(shared): State<Shared>, Json(patch): Json<SettingsPatch>) -> Response {
    let mut inner = shared.lock();
    apply(&mut inner.settings, patch);
    Json(inner.settings.clone()).into_response()
}

#[derive(Deserialize)]
pub struct ClockChange {
    advance_secs: i64,
}

pub async fn clock(State(shared): State<Shared>, Json(change): Json<ClockChange>) -> Response {
    let mut inner = shared.lock();
    inner.clock_offset = inner.clock_offset.saturating_add(change.advance_secs);
    Json(json!({ "now": inner.now() })).into_response()
}

pub async fn index() -> Response {
    let rows = crate::clients::APPS
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{:?}</td><td><code>{}</code></td><td>{:?}</td><td>{}</td></tr>",
                a.dialect,
                a.client_id,
                a.kind,
                a.secret
                    .map(|s| format!("<code>{s}</code>"))
                    .unwrap_or_else(|| "—".into())
            )
        })
        .collect::<String>();
    crate::respond::page(
        StatusCode::OK,
        "Sandbox",
        &format!(
            "<h1>An offline Fitbit and Google OAuth provider</h1>\
             <p>Fitbit: <code>/oauth2/authorize</code>, <code>/oauth2/token</code>, <code>/1.1/oauth2/introspect</code>, \
             <code>/oauth2/revoke</code>, <code>/1/user/-/profile.json</code>.<br>Google: <code>/o/oauth2/v2/auth</code>, \
             <code>/token</code>, <code>/tokeninfo</code>, <code>/revoke</code>, <code>/v4/users/me/identity</code>.</p>\
             <table><tr><th>provider</th><th>client id</th><th>type</th><th>secret</th></tr>{rows}</table>\
             <p>Control: <code>/_sandbox/requests</code>, <code>/_sandbox/faults</code>, <code>/_sandbox/settings</code>, <code>/_sandbox/clock</code>, <code>/_sandbox/refresh-stats</code>.</p>"
        ),
    )
}
