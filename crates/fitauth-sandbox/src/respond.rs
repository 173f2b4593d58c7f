//! The three error shapes the emulated providers answer with, and HTML pages.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Fitbit: `{"errors":[{"errorType","message"}],"success":false}`.
pub fn fitbit_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "errorType": error_type, "message": message }], "success": false });
    (status, axum::Json(body)).into_response()
}

/// RFC 6749 §5.2, as Google's token endpoint answers: `{"error","error_description"}`.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// Google APIs: `{"error":{"code","message","status"}}`.
pub fn google_api_error(status: StatusCode, message: &str, api_status: &str) -> Response {
    let body =
        json!({ "error": { "code": status.as_u16(), "message": message, "status": api_status } });
    (status, axum::Json(body)).into_response()
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f4f7f7;color:#1d2b2c;margin:0}\
main{max-width:30rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 2px 12px rgba(0,0,0,.08)}\
h1{font-size:1.3rem;margin:0 0 .5rem}p{line-height:1.5}.brand{color:#00838a;font-weight:600;letter-spacing:.02em}\
label{display:flex;gap:.6rem;align-items:flex-start;padding:.45rem 0;border-bottom:1px solid #e6eeee}\
label small{display:block;color:#5b6b6c}select{font:inherit;padding:.3rem;margin:.3rem 0 1rem}\
.actions{display:flex;gap:.8rem;margin-top:1.4rem}button{font:inherit;padding:.6rem 1.4rem;border-radius:8px;border:1px solid #00838a;cursor:pointer}\
#allow{background:#00838a;color:#fff}#deny{background:#fff;color:#00838a}button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #4fd1d8;outline-offset:2px}\
.error{border-left:4px solid #b3261e;padding-left:1rem}code{background:#eef3f3;padding:.1rem .3rem;border-radius:4px}\
@media(prefers-color-scheme:dark){body{background:#0f1718;color:#e6f0f0}main{background:#182223}label{border-color:#263334}label small{color:#9fb2b3}#deny{background:#182223;color:#4fd1d8}code{background:#263334}}";

/// A complete HTML page.
pub fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Fitauth sandbox</title><style>{STYLE}</style></head><body><main><p class=\"brand\">Fitauth sandbox</p>{body_html}</main></body></html>",
        escape(title)
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// The authorization error page: providers show it instead of redirecting (no phishing help).
pub fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Something went wrong",
        &format!(
            "<div class=\"error\"><h1>The app you're trying to connect did not provide valid information.</h1>\
             <p>Developer information: <code>{}</code></p></div>",
            escape(message)
        ),
    )
}
