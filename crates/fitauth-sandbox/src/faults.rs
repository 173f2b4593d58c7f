//! Switchable faults, so tests can see what a client does when the provider misbehaves.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::respond::fitbit_error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A 5xx (503 unless `status` says otherwise).
    ServerError,
    /// 200 with an HTML maintenance page where JSON was due.
    Html,
    /// 200 `application/json` with a truncated body.
    MalformedJson,
    /// The request is processed normally (state changes committed), then the answer is held
    /// for `delay_ms`: a lost answer, a client timeout, a client killed mid-request.
    Slow,
    /// 429 with Fitbit's body and rate-limit headers.
    RateLimited,
    /// 410 Gone: the legacy platform is retired.
    Gone,
    /// 409: concurrent refreshes of the same token.
    Conflict,
    /// The connection is cut before any answer: a proxy or load balancer resetting it, the
    /// server dying mid-request. Not a byte of the response is sent (see [`Reset`]).
    Reset,
}

/// One fault: which requests it hits and how often.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaultSpec {
    pub kind: FaultKind,
    /// Exact request path; `None` hits every non-control path.
    #[serde(default)]
    pub path: Option<String>,
    /// How many requests it hits; `None` until cleared.
    #[serde(default)]
    pub times: Option<u32>,
    /// For `slow` (default 5000).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// For `server_error` (default 503).
    #[serde(default)]
    pub status: Option<u16>,
}

impl FaultSpec {
    pub fn matches(&self, path: &str) -> bool {
        self.path.as_deref().is_none_or(|p| p == path)
    }

    pub fn delay(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.delay_ms.unwrap_or(5000))
    }

    /// The answer a fault gives instead of the real one (not used for `slow`).
    pub fn response(&self) -> Response {
        match self.kind {
            FaultKind::ServerError => {
                let status = self
                    .status
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .filter(|s| s.is_server_error())
                    .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                fitbit_error(status, "system", "Service Unavailable")
            }
            FaultKind::Html => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!DOCTYPE html><html><head><title>Scheduled maintenance</title></head>\
                 <body><h1>We'll be right back</h1><p>The service is undergoing maintenance.</p></body></html>",
            )
                .into_response(),
            FaultKind::MalformedJson => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"access_token\": \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi",
            )
                .into_response(),
            FaultKind::RateLimited => {
                let mut response = crate::ratelimit::too_many_requests();
                let headers = response.headers_mut();
                for (name, value) in [
                    ("fitbit-rate-limit-limit", "150"),
                    ("fitbit-rate-limit-remaining", "0"),
                    ("fitbit-rate-limit-reset", "1800"),
                    ("retry-after", "1800"),
                ] {
                    headers.insert(name, HeaderValue::from_static(value));
                }
                response
            }
            FaultKind::Gone => (StatusCode::GONE, [(header::CONTENT_TYPE, "text/plain")], "Gone").into_response(),
            FaultKind::Conflict => fitbit_error(
                StatusCode::CONFLICT,
                "request",
                "Request conflict due to multiple clients attempting to refresh the same access token.",
            ),
            FaultKind::Reset => Response::new(Body::new(Reset)),
            FaultKind::Slow => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }

    /// The status the request log records for this fault's answer: 0 when no answer was sent.
    pub fn recorded_status(&self, response: &Response) -> u16 {
        match self.kind {
            FaultKind::Reset => 0,
            _ => response.status().as_u16(),
        }
    }
}

/// A response body that fails before its first byte. hyper has only buffered the status line
/// and headers when it asks the body for data, so on this error it drops the connection without
/// sending them: the client sees the connection closed with no answer at all, as after a reset
/// (hyper's HTTP/1 dispatcher ends the connection on a body error,
/// <https://docs.rs/hyper/1/hyper/server/conn/http1/struct.Connection.html>).
struct Reset;

impl axum::body::HttpBody for Reset {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: connection reset",
        ))))
    }
}
