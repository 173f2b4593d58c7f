//! Endpoints that take a token: Fitbit introspect, revoke and profile; Google tokeninfo, revoke
//! and identity. Bearer calls count against the rate limit and mark the token as used (which
//! ends Fitbit's refresh grace for the pair it came in).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::clients::{self, Dialect};
use crate::ratelimit;
use crate::respond::{fitbit_error, google_api_error, oauth_error};
use crate::state::{AccessGrant, BearerProblem, Inner, RefreshState, Shared};
use crate::token::{form_map, revoke_grant, FitbitForm};

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Checks the bearer, counts the request and marks the token used. `Err` is the answer to send.
fn authorize_bearer(
    inner: &mut Inner,
    headers: &HeaderMap,
    dialect: Dialect,
) -> Result<(AccessGrant, HeaderMap), Response> {
    let token = bearer(headers);
    let checked = match &token {
        None => Err(BearerProblem::Missing),
        Some(t) => inner.check_bearer(t, dialect).cloned(),
    };
    let grant = match checked {
        Ok(g) => g,
        Err(problem) => {
            let t = token.unwrap_or_default();
            return Err(match (dialect, problem) {
                (Dialect::Google, _) => google_api_error(
                    StatusCode::UNAUTHORIZED,
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                    "UNAUTHENTICATED",
                ),
                (Dialect::Fitbit, BearerProblem::Missing) => {
                    fitbit_error(StatusCode::UNAUTHORIZED, "invalid_token", "Authorization header required.")
                }
                (Dialect::Fitbit, BearerProblem::Expired) => {
                    fitbit_error(StatusCode::UNAUTHORIZED, "expired_token", &format!("Access token expired: {t}"))
                }
                (Dialect::Fitbit, BearerProblem::Invalid) => {
                    fitbit_error(StatusCode::UNAUTHORIZED, "invalid_token", &format!("Access token invalid: {t}"))
                }
            });
        }
    };
    let who = grant
        .user
        .clone()
        .unwrap_or_else(|| format!("client:{}", grant.client_id));
    let (headers, over) = ratelimit::count(inner, &who, &grant.client_id);
    if over {
        let mut response = ratelimit::too_many_requests();
        response.headers_mut().extend(headers);
        return Err(response);
    }
    if let Some(g) = token.as_deref().and_then(|t| inner.access.get_mut(t)) {
        g.used = true;
    }
    Ok((grant, headers))
}

/// `response` with `headers` added (the `Fitbit-Rate-Limit-*` ones).
pub(crate) fn with_headers(mut response: Response, headers: HeaderMap) -> Response {
    response.headers_mut().extend(headers);
    response
}

pub async fn fitbit_introspect(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form_map(&body);
    let mut inner = shared.lock();
    let (_, rate) = match authorize_bearer(&mut inner, &headers, Dialect::Fitbit) {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let Some(token) = form.get("token") else {
        return with_headers(
            fitbit_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing parameters: token",
            ),
            rate,
        );
    };
    let body = match inner.check_bearer(token, Dialect::Fitbit) {
        Ok(g) => {
            let scope = g
                .scopes
                .iter()
                .map(|s| format!("{}=READ_WRITE", s.to_ascii_uppercase()))
                .collect::<Vec<_>>()
                .join(", ");
            json!({
                "active": true,
                "scope": format!("{{{scope}}}"),
                "client_id": g.client_id,
                "user_id": g.user,
                "token_type": "access_token",
                "exp": g.expires_at * 1000,
                "iat": g.issued_at * 1000,
            })
        }
        Err(_) => json!({ "active": false }),
    };
    with_headers((StatusCode::OK, axum::Json(body)).into_response(), rate)
}

pub async fn fitbit_profile(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let mut inner = shared.lock();
    let (grant, rate) = match authorize_bearer(&mut inner, &headers, Dialect::Fitbit) {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let user = grant.user.as_deref().and_then(clients::user);
    let Some(user) = user.filter(|_| grant.scopes.iter().any(|s| s == "profile")) else {
        return with_headers(
            fitbit_error(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "This application does not have permission to access profile data.",
            ),
            rate,
        );
    };
    let body = json!({ "user": {
        "encodedId": user.fitbit_id,
        "displayName": user.display_name,
        "fullName": format!("{} {}", user.first_name, user.last_name),
        "firstName": user.first_name,
        "lastName": user.last_name,
        "avatar": "https://static0.fitbit.com/images/profile/defaultProfile_100.png",
        "avatar150": "https://static0.fitbit.com/images/profile/defaultProfile_150.png",
        "memberSince": "2019-04-01",
        "timezone": "Europe/Berlin",
        "offsetFromUTCMillis": 3_600_000,
        "locale": "en_US",
    }});
    with_headers((StatusCode::OK, axum::Json(body)).into_response(), rate)
}

pub async fn google_identity(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let mut inner = shared.lock();
    let (grant, rate) = match authorize_bearer(&mut inner, &headers, Dialect::Google) {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let Some(user) = grant.user.as_deref().and_then(clients::user) else {
        return google_api_error(
            StatusCode::FORBIDDEN,
            "The caller does not have permission",
            "PERMISSION_DENIED",
        );
    };
    let body = json!({ "name": "users/me/identity", "legacyUserId": user.fitbit_id, "healthUserId": user.health_id });
    with_headers((StatusCode::OK, axum::Json(body)).into_response(), rate)
}

pub async fn google_tokeninfo(
    State(shared): State<Shared>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let token = form_map(query.unwrap_or_default().as_bytes())
        .remove("access_token")
        .or_else(|| form_map(&body).remove("access_token"))
        .unwrap_or_default();
    let inner = shared.lock();
    let now = inner.now();
    match inner.check_bearer(&token, Dialect::Google) {
        Ok(g) => {
            let user = g.user.as_deref().and_then(clients::user);
            let mut body = json!({
                "azp": g.client_id, "aud": g.client_id,
                "sub": user.map(|u| u.health_id),
                "scope": g.scopes.join(" "),
                "exp": g.expires_at.to_string(),
                "expires_in": g.expires_at.saturating_sub(now).to_string(),
                "access_type": "offline",
            });
            // Like Google's, the address comes only with the `email` scope, and as strings.
            if let Some(user) = user.filter(|_| g.scopes.iter().any(|s| s == "email")) {
                body["email"] = json!(user.email);
                body["email_verified"] = json!("true");
            }
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(_) => oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "Invalid Value"),
    }
}

/// The (user, client) a token belongs to, if it is known on this provider and still alive.
fn grant_of(inner: &Inner, dialect: Dialect, token: &str) -> Option<(String, String)> {
    if let Some(g) = inner
        .access
        .get(token)
        .filter(|g| g.dialect == dialect && !g.revoked)
    {
        return g.user.clone().map(|u| (u, g.client_id.clone()));
    }
    inner
        .refresh
        .get(token)
        .filter(|g| g.dialect == dialect && !matches!(g.state, RefreshState::Revoked))
        .map(|g| (g.user.clone(), g.client_id.clone()))
}

pub async fn fitbit_revoke(
    State(shared): State<Shared>,
    FitbitForm { form, client }: FitbitForm,
) -> Response {
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return fitbit_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameters: token",
        );
    };
    let mut inner = shared.lock();
    let app_token = inner
        .access
        .get(token.as_str())
        .is_some_and(|g| g.dialect == Dialect::Fitbit && !g.revoked && g.user.is_none());
    let client_id = client.app.client_id;
    // The rate-limit headers of the person the token belongs to, else the client's own.
    let client_bucket = format!("client:{client_id}");
    match grant_of(&inner, Dialect::Fitbit, token) {
        Some((user, grant_client)) => {
            if grant_client == client_id {
                revoke_grant(&mut inner, Dialect::Fitbit, &grant_client, &user);
            }
            let rate = ratelimit::peek(&mut inner, &user, client_id);
            with_headers(
                (StatusCode::OK, axum::Json(json!({}))).into_response(),
                rate,
            )
        }
        // A client-credentials token has no user's grant to end.
        None if app_token => {
            let rate = ratelimit::peek(&mut inner, &client_bucket, client_id);
            with_headers(
                (StatusCode::OK, axum::Json(json!({}))).into_response(),
                rate,
            )
        }
        // Fitbit answers 404 for a token it does not know, or no longer knows (revoked,
        // replaced): <https://dev.fitbit.com/build/reference/web-api/authorization/revoke-token/>.
        None => {
            let rate = ratelimit::peek(&mut inner, &client_bucket, client_id);
            with_headers(
                fitbit_error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "The token is unknown: it was never issued, or was revoked or replaced.",
                ),
                rate,
            )
        }
    }
}

pub async fn google_revoke(
    State(shared): State<Shared>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let token = form_map(&body)
        .remove("token")
        .or_else(|| form_map(query.unwrap_or_default().as_bytes()).remove("token"))
        .unwrap_or_default();
    let mut inner = shared.lock();
    match grant_of(&inner, Dialect::Google, &token) {
        Some((user, client_id)) => {
            revoke_grant(&mut inner, Dialect::Google, &client_id, &user);
            (StatusCode::OK, axum::Json(json!({}))).into_response()
        }
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        ),
    }
}
