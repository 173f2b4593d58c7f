//! The token endpoints: Fitbit's `/oauth2/token` (client auth by app type, rotation with the
//! duplicate-request grace, client credentials) and Google's `/token` (secret required,
//! non-rotating refresh, an `id_token` when `openid` was granted).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::clients::{self, App, AppKind, Dialect};
use crate::jwt;
use crate::pkce;
use crate::ratelimit;
use crate::resources::with_headers;
use crate::respond::{fitbit_error, oauth_error};
use crate::state::{
    random_token, AccessGrant, Inner, RefreshGrant, RefreshState, Shared, CODE_LIFETIME,
    FITBIT_ACCESS_LIFETIME, GOOGLE_ACCESS_LIFETIME,
};
use crate::stats::Presented;

const CLIENT_CREDENTIALS_LIFETIMES: [i64; 6] =
    [3600, 28_800, 86_400, 604_800, 2_592_000, 31_536_000];

pub fn form_map(body: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

fn secret_matches(app: &App, given: &str) -> bool {
    app.secret
        .is_some_and(|s| s.as_bytes().ct_eq(given.as_bytes()).into())
}

/// `Authorization: Basic base64(id:secret)` → (id, secret); `Err` when present but malformed.
fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get("authorization") else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let encoded = value.strip_prefix("Basic ").ok_or(())?;
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

/// How the Fitbit client authenticated.
pub struct FitbitClient {
    pub app: &'static App,
    pub used_basic: bool,
}

/// Fitbit client authentication: server apps must use Basic, client apps send `client_id` in
/// the body, personal apps may do either.
pub fn fitbit_client(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<FitbitClient, Response> {
    let unauthorized = |m: &str| fitbit_error(StatusCode::UNAUTHORIZED, "invalid_client", m);
    match basic(headers) {
        Err(()) => Err(unauthorized("Invalid authorization header format.")),
        Ok(Some((id, secret))) => {
            let app = clients::app(Dialect::Fitbit, &id)
                .ok_or_else(|| unauthorized("Client id invalid."))?;
            if !secret_matches(app, &secret) {
                return Err(unauthorized(
                    "Invalid authorization header. Client secret invalid.",
                ));
            }
            Ok(FitbitClient {
                app,
                used_basic: true,
            })
        }
        Ok(None) => {
            let id = form
                .get("client_id")
                .ok_or_else(|| unauthorized("Invalid authorization header format."))?;
            let app = clients::app(Dialect::Fitbit, id)
                .ok_or_else(|| unauthorized("Client id invalid."))?;
            if app.kind == AppKind::Server {
                return Err(unauthorized("Invalid authorization header format."));
            }
            Ok(FitbitClient {
                app,
                used_basic: false,
            })
        }
    }
}

/// A Fitbit endpoint's form body with its client authenticated as [`fitbit_client`] requires;
/// a request that fails is answered by the extractor itself (Fitbit's error shape).
pub struct FitbitForm {
    pub form: HashMap<String, String>,
    pub client: FitbitClient,
}

impl<S: Send + Sync> FromRequest<S> for FitbitForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = form_map(&body);
        let client = fitbit_client(&headers, &form)?;
        Ok(FitbitForm { form, client })
    }
}

/// Issues an access token and remembers it.
pub fn mint_access(
    inner: &mut Inner,
    dialect: Dialect,
    client_id: &str,
    user: Option<&str>,
    scopes: &[String],
    lifetime: i64,
) -> String {
    let now = inner.now();
    let claims = jwt::access_claims(
        dialect,
        client_id,
        user.and_then(clients::user),
        scopes,
        now,
        now.saturating_add(lifetime),
    );
    let token = jwt::sign(&inner.jwt_key, &claims);
    inner.access.insert(
        token.clone(),
        AccessGrant {
            dialect,
            client_id: client_id.to_owned(),
            user: user.map(str::to_owned),
            scopes: scopes.to_vec(),
            issued_at: now,
            expires_at: now.saturating_add(lifetime),
            revoked: false,
            used: false,
        },
    );
    token
}

/// A signed Google ID token for the grant, if it carries `openid` (see [`jwt::id_token_claims`]).
fn google_id_token(
    inner: &Inner,
    client_id: &str,
    user: &str,
    scopes: &[String],
) -> Option<String> {
    let claims = jwt::id_token_claims(client_id, clients::user(user)?, scopes, inner.now())?;
    Some(jwt::sign(&inner.jwt_key, &claims))
}

fn mint_refresh(
    inner: &mut Inner,
    dialect: Dialect,
    client_id: &str,
    user: &str,
    scopes: &[String],
) -> String {
    let token = match dialect {
        Dialect::Fitbit => random_token(32),
        Dialect::Google => format!("1//{}", random_token(32)),
    };
    inner.refresh.insert(
        token.clone(),
        RefreshGrant {
            dialect,
            client_id: client_id.to_owned(),
            user: user.to_owned(),
            scopes: scopes.to_vec(),
            state: RefreshState::Active,
        },
    );
    token
}

/// Revokes every token of (user, client) on one provider.
pub fn revoke_grant(inner: &mut Inner, dialect: Dialect, client_id: &str, user: &str) {
    for grant in inner.access.values_mut() {
        if grant.dialect == dialect
            && grant.client_id == client_id
            && grant.user.as_deref() == Some(user)
        {
            grant.revoked = true;
        }
    }
    for grant in inner.refresh.values_mut() {
        if grant.dialect == dialect && grant.client_id == client_id && grant.user == user {
            grant.state = RefreshState::Revoked;
        }
    }
}

pub async fn fitbit_token(
    State(shared): State<Shared>,
    FitbitForm { form, client }: FitbitForm,
) -> Response {
    let mut inner = shared.lock();
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => fitbit_code(&mut inner, client.app, &form),
        Some("refresh_token") => fitbit_refresh(&mut inner, client.app, &form),
        Some("client_credentials") => fitbit_client_credentials(&mut inner, &client, &form),
        None => fitbit_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameters: grant_type",
        ),
        Some(other) => fitbit_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("The grant_type value is invalid: {other}"),
        ),
    }
}

/// Why a code cannot be exchanged, in provider-neutral terms.
enum CodeProblem {
    Missing,
    Invalid,
    RedirectMissing,
    RedirectMismatch(String),
    VerifierMissing,
    VerifierInvalid,
}

/// Checks and consumes a code; returns (user, scopes).
fn redeem(
    inner: &mut Inner,
    dialect: Dialect,
    app: &App,
    form: &HashMap<String, String>,
) -> Result<(String, Vec<String>), CodeProblem> {
    let code = form
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or(CodeProblem::Missing)?;
    let now = inner.now();
    let grant = inner
        .codes
        .get(code)
        .filter(|g| g.dialect == dialect)
        .cloned()
        .ok_or(CodeProblem::Invalid)?;
    if grant.used {
        // A replayed code: revoke what it produced (RFC 6749 §4.1.2).
        for token in &grant.minted {
            if let Some(a) = inner.access.get_mut(token) {
                a.revoked = true;
            }
            if let Some(r) = inner.refresh.get_mut(token) {
                r.state = RefreshState::Revoked;
            }
        }
        return Err(CodeProblem::Invalid);
    }
    if grant.client_id != app.client_id || now.saturating_sub(grant.issued_at) > CODE_LIFETIME {
        return Err(CodeProblem::Invalid);
    }
    if let Some(expected) = &grant.redirect_uri {
        match form.get("redirect_uri") {
            None => return Err(CodeProblem::RedirectMissing),
            Some(given) if given != expected => {
                return Err(CodeProblem::RedirectMismatch(given.clone()))
            }
            Some(_) => {}
        }
    }
    match &grant.challenge {
        Some((challenge, method)) => {
            let verifier = form
                .get("code_verifier")
                .ok_or(CodeProblem::VerifierMissing)?;
            if !pkce::verify(method, challenge, verifier) {
                return Err(CodeProblem::VerifierInvalid);
            }
        }
        // A verifier for a code issued without a challenge is refused (RFC 9700 §2.1.1,
        // PKCE downgrade): it would hide a client that lost its challenge.
        None if form.contains_key("code_verifier") => return Err(CodeProblem::VerifierInvalid),
        None => {}
    }
    if let Some(g) = inner.codes.get_mut(code) {
        g.used = true;
    }
    Ok((grant.user, grant.scopes))
}

fn fitbit_code(inner: &mut Inner, app: &App, form: &HashMap<String, String>) -> Response {
    let bad = |t: &str, m: String| fitbit_error(StatusCode::BAD_REQUEST, t, &m);
    let code = form.get("code").cloned().unwrap_or_default();
    let lifetime = match pair_lifetime(form) {
        Ok(l) => l,
        Err(e) => return bad("invalid_request", e),
    };
    let (user, scopes) = match redeem(inner, Dialect::Fitbit, app, form) {
        Ok(ok) => ok,
        Err(CodeProblem::Missing) => {
            return bad("invalid_request", "Missing parameters: code".into())
        }
        Err(CodeProblem::Invalid) => {
            return bad(
                "invalid_grant",
                format!("Authorization code invalid: {code}"),
            )
        }
        Err(CodeProblem::RedirectMissing) => {
            return bad("invalid_request", "Missing parameters: redirect_uri".into())
        }
        Err(CodeProblem::RedirectMismatch(uri)) => {
            return bad("invalid_request", format!("Redirect_uri mismatch: {uri}"))
        }
        Err(CodeProblem::VerifierMissing) => {
            return bad(
                "invalid_request",
                "Missing parameters: code_verifier".into(),
            )
        }
        Err(CodeProblem::VerifierInvalid) => {
            return bad("invalid_grant", "Code verifier invalid".into())
        }
    };
    // One active refresh token per user and app: a new authorization replaces the old one.
    for grant in inner.refresh.values_mut() {
        if grant.dialect == Dialect::Fitbit
            && grant.client_id == app.client_id
            && grant.user == user
        {
            grant.state = RefreshState::Revoked;
        }
    }
    let (access, refresh, body) = fitbit_pair(inner, app.client_id, &user, &scopes, lifetime);
    if let Some(g) = inner.codes.get_mut(&code) {
        g.minted = vec![access, refresh];
    }
    let rate = ratelimit::peek(inner, &user, app.client_id);
    with_headers((StatusCode::OK, axum::Json(body)).into_response(), rate)
}

/// The access token's lifetime a code exchange or refresh asks for: `expires_in` 28800 (the
/// default) or 3600, the two values Fitbit's token reference has listed
/// (<https://dev.fitbit.com/build/reference/web-api/authorization/oauth2-token/>,
/// <https://dev.fitbit.com/build/reference/web-api/authorization/refresh-token/>).
fn pair_lifetime(form: &HashMap<String, String>) -> Result<Option<i64>, String> {
    match form.get("expires_in").map(String::as_str) {
        None => Ok(None),
        Some("28800") => Ok(Some(28_800)),
        Some("3600") => Ok(Some(3_600)),
        Some(other) => Err(format!("Invalid expires_in parameter value: {other}")),
    }
}

fn fitbit_pair(
    inner: &mut Inner,
    client_id: &str,
    user: &str,
    scopes: &[String],
    asked: Option<i64>,
) -> (String, String, Value) {
    // The test-time override (`access_token_ttl_secs`) wins over what the client asked for.
    let lifetime = match (inner.settings.access_token_ttl_secs, asked) {
        (None, Some(asked)) => asked,
        _ => inner.access_lifetime(FITBIT_ACCESS_LIFETIME),
    };
    let access = mint_access(
        inner,
        Dialect::Fitbit,
        client_id,
        Some(user),
        scopes,
        lifetime,
    );
    let refresh = mint_refresh(inner, Dialect::Fitbit, client_id, user, scopes);
    let body = json!({
        "access_token": access, "expires_in": lifetime, "refresh_token": refresh,
        "scope": scopes.join(" "), "token_type": "Bearer", "user_id": user,
    });
    (access, refresh, body)
}

fn fitbit_refresh(inner: &mut Inner, app: &App, form: &HashMap<String, String>) -> Response {
    let Some(token) = form.get("refresh_token").filter(|t| !t.is_empty()) else {
        return fitbit_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameters: refresh_token",
        );
    };
    let invalid = || {
        fitbit_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            &format!("Refresh token invalid: {token}"),
        )
    };
    let lifetime = match pair_lifetime(form) {
        Ok(l) => l,
        Err(e) => return fitbit_error(StatusCode::BAD_REQUEST, "invalid_request", &e),
    };
    let Some(grant) = inner
        .refresh
        .get(token)
        .filter(|g| g.dialect == Dialect::Fitbit && g.client_id == app.client_id)
        .cloned()
    else {
        inner.refresh_stats.count(Presented::Unknown);
        return invalid();
    };
    let now = inner.now();
    match grant.state {
        RefreshState::Revoked => {
            inner.refresh_stats.count(Presented::Revoked);
            invalid()
        }
        RefreshState::Rotated {
            at,
            response,
            new_access,
            new_refresh,
        } => {
            // The duplicate-request grace: the same answer, until the new pair is used.
            let access_unused = inner
                .access
                .get(&new_access)
                .is_some_and(|a| !a.used && !a.revoked);
            let refresh_unused = inner
                .refresh
                .get(&new_refresh)
                .is_some_and(|r| matches!(r.state, RefreshState::Active));
            if now.saturating_sub(at)
                <= i64::try_from(inner.settings.grace_secs).unwrap_or(i64::MAX)
                && access_unused
                && refresh_unused
            {
                inner.refresh_stats.count(Presented::WithinGrace);
                let rate = ratelimit::peek(inner, &grant.user, app.client_id);
                with_headers((StatusCode::OK, axum::Json(response)).into_response(), rate)
            } else {
                inner.refresh_stats.count(Presented::Stale);
                invalid()
            }
        }
        RefreshState::Active => {
            inner.refresh_stats.count(Presented::Active);
            let (access, refresh, body) =
                fitbit_pair(inner, app.client_id, &grant.user, &grant.scopes, lifetime);
            if let Some(g) = inner.refresh.get_mut(token) {
                g.state = RefreshState::Rotated {
                    at: now,
                    response: body.clone(),
                    new_access: access,
                    new_refresh: refresh,
                };
            }
            let rate = ratelimit::peek(inner, &grant.user, app.client_id);
            with_headers((StatusCode::OK, axum::Json(body)).into_response(), rate)
        }
    }
}

fn fitbit_client_credentials(
    inner: &mut Inner,
    client: &FitbitClient,
    form: &HashMap<String, String>,
) -> Response {
    if !client.used_basic || client.app.kind == AppKind::Client {
        return fitbit_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "The client is not authorized to request an access token using this method.",
        );
    }
    let lifetime = match form.get("expires_in") {
        None => 28_800,
        Some(v) => match v
            .parse::<i64>()
            .ok()
            .filter(|e| CLIENT_CREDENTIALS_LIFETIMES.contains(e))
        {
            Some(e) => e,
            None => {
                return fitbit_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    &format!("Invalid expires_in parameter value: {v}"),
                )
            }
        },
    };
    let access = mint_access(
        inner,
        Dialect::Fitbit,
        client.app.client_id,
        None,
        &[],
        lifetime,
    );
    let body = json!({ "access_token": access, "expires_in": lifetime, "token_type": "Bearer" });
    // An app token has no user: the client's own bucket.
    let who = format!("client:{}", client.app.client_id);
    let rate = ratelimit::peek(inner, &who, client.app.client_id);
    with_headers((StatusCode::OK, axum::Json(body)).into_response(), rate)
}

/// Google client authentication: `client_secret_post` or `client_secret_basic`.
fn google_client(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<&'static App, Response> {
    let (id, secret) = match basic(headers) {
        Err(()) => {
            return Err(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Unauthorized",
            ))
        }
        Ok(Some((id, secret))) => (id, Some(secret)),
        Ok(None) => {
            let id = form.get("client_id").cloned().ok_or_else(|| {
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing required parameter: client_id",
                )
            })?;
            (id, form.get("client_secret").cloned())
        }
    };
    let app = clients::app(Dialect::Google, &id).ok_or_else(|| {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        )
    })?;
    let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_secret is missing.",
        )
    })?;
    if !secret_matches(app, &secret) {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unauthorized",
        ));
    }
    Ok(app)
}

pub async fn google_token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form_map(&body);
    let app = match google_client(&headers, &form) {
        Ok(a) => a,
        Err(response) => return response,
    };
    let mut inner = shared.lock();
    let lifetime = inner.access_lifetime(GOOGLE_ACCESS_LIFETIME);
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let (user, scopes) = match redeem(&mut inner, Dialect::Google, app, &form) {
                Ok(ok) => ok,
                Err(CodeProblem::RedirectMismatch(_)) | Err(CodeProblem::RedirectMissing) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "redirect_uri_mismatch",
                        "Bad Request",
                    )
                }
                Err(CodeProblem::Missing) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "Missing required parameter: code",
                    )
                }
                Err(CodeProblem::VerifierMissing) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "Missing code verifier.",
                    )
                }
                Err(_) => {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request")
                }
            };
            let access = mint_access(
                &mut inner,
                Dialect::Google,
                app.client_id,
                Some(&user),
                &scopes,
                lifetime,
            );
            let refresh = mint_refresh(&mut inner, Dialect::Google, app.client_id, &user, &scopes);
            if let Some(code) = form.get("code") {
                if let Some(g) = inner.codes.get_mut(code) {
                    g.minted = vec![access.clone(), refresh.clone()];
                }
            }
            let mut body = json!({
                "access_token": access, "expires_in": lifetime, "refresh_token": refresh,
                "scope": scopes.join(" "), "token_type": "Bearer",
            });
            if let Some(id_token) = google_id_token(&inner, app.client_id, &user, &scopes) {
                body["id_token"] = json!(id_token);
            }
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Some("refresh_token") => {
            let token = form.get("refresh_token").cloned().unwrap_or_default();
            let grant = inner
                .refresh
                .get(&token)
                .filter(|g| g.dialect == Dialect::Google && g.client_id == app.client_id)
                .cloned();
            let presented = match grant.as_ref().map(|g| &g.state) {
                None => Presented::Unknown,
                Some(RefreshState::Active) => Presented::Active,
                Some(RefreshState::Revoked) => Presented::Revoked,
                // Google never rotates; a rotated token here would be one kept too long.
                Some(RefreshState::Rotated { .. }) => Presented::Stale,
            };
            if !token.is_empty() {
                inner.refresh_stats.count(presented);
            }
            let Some(grant) = grant.filter(|_| presented == Presented::Active) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                );
            };
            // Google does not rotate: no refresh_token in the answer, the old one stays valid.
            let access = mint_access(
                &mut inner,
                Dialect::Google,
                app.client_id,
                Some(&grant.user),
                &grant.scopes,
                lifetime,
            );
            let mut body = json!({
                "access_token": access, "expires_in": lifetime, "scope": grant.scopes.join(" "), "token_type": "Bearer",
            });
            // Google's refresh answers may carry a fresh ID token too.
            if let Some(id_token) =
                google_id_token(&inner, app.client_id, &grant.user, &grant.scopes)
            {
                body["id_token"] = json!(id_token);
            }
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Invalid grant_type",
        ),
    }
}
