//! Middleware around every provider endpoint: records the request, applies faults.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::faults::{FaultKind, FaultSpec};
use crate::record::{parse_form, RecordedRequest};
use crate::state::{wall_clock_ms, Shared};

const MAX_BODY: usize = 1 << 20;

pub async fn observe(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_sandbox") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let is_form = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut record = RecordedRequest {
        seq: 0,
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        form: if is_form {
            parse_form(&bytes)
        } else {
            Default::default()
        },
        body: String::from_utf8_lossy(&bytes).into_owned(),
        received_at_ms: wall_clock_ms(),
        status: 0,
    };

    let fault = {
        let mut inner = shared.lock();
        let found = inner.faults.iter().position(|f| f.matches(&path));
        let retired = found.is_none() && inner.settings.legacy_retired && is_legacy(&path);
        found
            .map(|i| {
                let spec = inner.faults[i].clone();
                if let Some(times) = inner.faults[i].times.as_mut() {
                    *times = times.saturating_sub(1);
                    if *times == 0 {
                        inner.faults.remove(i);
                    }
                }
                spec
            })
            .or_else(|| {
                retired.then_some(FaultSpec {
                    kind: FaultKind::Gone,
                    path: None,
                    times: None,
                    delay_ms: None,
                    status: None,
                })
            })
    };

    let request = Request::from_parts(parts, Body::from(bytes));
    match fault {
        Some(spec) if spec.kind != FaultKind::Slow => {
            let response = spec.response();
            record.status = spec.recorded_status(&response);
            push(&shared, record);
            response
        }
        Some(spec) => {
            // Processed for real (a rotation is committed), recorded, and only then held.
            let response = next.run(request).await;
            record.status = response.status().as_u16();
            push(&shared, record);
            tokio::time::sleep(spec.delay()).await;
            response
        }
        None => {
            let response = next.run(request).await;
            record.status = response.status().as_u16();
            push(&shared, record);
            response
        }
    }
}

/// The legacy Fitbit Web API's paths (its OAuth endpoints and its `/1/`, `/1.1/`, `/1.2/`
/// resources); Google's live at `/o/oauth2/`, `/token`, `/tokeninfo`, `/revoke` and `/v4/`.
fn is_legacy(path: &str) -> bool {
    ["/oauth2/", "/1/", "/1.1/", "/1.2/"]
        .iter()
        .any(|p| path.starts_with(p))
}

fn push(shared: &Shared, mut record: RecordedRequest) {
    let mut inner = shared.lock();
    record.seq = inner.next_seq;
    inner.next_seq += 1;
    tracing::debug!(method = %record.method, path = %record.path, status = record.status, "request");
    inner.requests.push(record);
    // Bounded: a long-running sandbox keeps the latest requests only.
    if inner.requests.len() > MAX_RECORDED {
        let excess = inner.requests.len() - MAX_RECORDED;
        inner.requests.drain(..excess);
    }
}

/// How many requests the log keeps.
pub const MAX_RECORDED: usize = 2000;
