//! The authorize endpoints and their consent page: Fitbit's `/oauth2/authorize` and Google's
//! `/o/oauth2/v2/auth`. Invalid requests get an error page and never a redirect (providers do not
//! help phishing); a decision redirects with a code, an implicit-grant token, or `error=`.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::clients::{self, AppKind, Dialect, OWNER, USERS};
use crate::pkce;
use crate::respond::{error_page, escape, page};
use crate::state::{random_token, CodeGrant, ConsentRequest, Inner, Shared, CODE_LIFETIME};

/// Lifetimes Fitbit allows for implicit-grant tokens.
const IMPLICIT_LIFETIMES: [i64; 4] = [86_400, 604_800, 2_592_000, 31_536_000];

fn params(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub async fn fitbit_authorize(State(shared): State<Shared>, RawQuery(query): RawQuery) -> Response {
    authorize(&shared, Dialect::Fitbit, &query.unwrap_or_default())
}

pub async fn google_authorize(State(shared): State<Shared>, RawQuery(query): RawQuery) -> Response {
    authorize(&shared, Dialect::Google, &query.unwrap_or_default())
}

pub async fn fitbit_decision(State(shared): State<Shared>, body: Bytes) -> Response {
    decision(&shared, Dialect::Fitbit, &body)
}

pub async fn google_decision(State(shared): State<Shared>, body: Bytes) -> Response {
    decision(&shared, Dialect::Google, &body)
}

/// Checks an authorize request the way each provider does; the error is the page's message.
fn validate(dialect: Dialect, p: &[(String, String)], now: i64) -> Result<ConsentRequest, String> {
    let fitbit = dialect == Dialect::Fitbit;
    let err = |fitbit_msg: &str, google_msg: &str| {
        if fitbit {
            fitbit_msg.to_owned()
        } else {
            google_msg.to_owned()
        }
    };

    let client_id = first(p, "client_id")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            err(
                "invalid_request - Missing parameters: client_id",
                "Error 400: invalid_request – Missing required parameter: client_id",
            )
        })?;
    let app = clients::app(dialect, client_id).ok_or_else(|| {
        err(
            "unauthorized_client - Invalid client_id",
            "Error 401: invalid_client – The OAuth client was not found.",
        )
    })?;
    let implicit = match first(p, "response_type") {
        Some("code") => false,
        Some("token") if fitbit => true,
        None | Some("") => {
            return Err(err(
                "invalid_request - Missing response_type parameter value",
                "Error 400: invalid_request – Missing required parameter: response_type",
            ))
        }
        Some(_) => {
            return Err(err(
                "unsupported_response_type - Invalid response_type parameter value",
                "Error 400: invalid_request – Invalid response_type",
            ))
        }
    };
    if implicit && app.kind == AppKind::Server {
        return Err("unauthorized_client - The client is not authorized to request an access token using this method".into());
    }
    let redirect_uri = first(p, "redirect_uri")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            err(
                "invalid_request - Missing redirect_uri parameter value",
                "Error 400: invalid_request – Missing required parameter: redirect_uri",
            )
        })?;
    if !clients::redirect_allowed(dialect, redirect_uri) {
        return Err(if fitbit {
            "invalid_request - Invalid redirect_uri parameter value".into()
        } else if !redirect_uri.starts_with("http") {
            "Error 400: invalid_request – Custom URI scheme is not enabled for your client type"
                .into()
        } else {
            "Error 400: redirect_uri_mismatch".into()
        });
    }
    let scopes: Vec<String> = first(p, "scope")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(err(
            "invalid_request - Missing parameters: scope",
            "Error 400: invalid_request – Missing required parameter: scope",
        ));
    }
    if let Some(unknown) = scopes
        .iter()
        .find(|s| clients::scope_label(dialect, s).is_none())
    {
        return Err(err(
            &format!("invalid_scope - Invalid scope: {unknown}"),
            "Error 400: invalid_scope – Some requested scopes were invalid",
        ));
    }
    let challenge = match first(p, "code_challenge").filter(|c| !c.is_empty()) {
        None => None,
        Some(challenge) => {
            let method = first(p, "code_challenge_method").unwrap_or("plain");
            if method != "S256" && method != "plain" {
                return Err(err(
                    "invalid_request - Unsupported code_challenge_method",
                    "Error 400: invalid_request – Invalid code_challenge_method",
                ));
            }
            if !(43..=128).contains(&challenge.len()) {
                return Err(err(
                    "invalid_request - The code_challenge parameter length must be between 43 and 128",
                    "Error 400: invalid_request – Invalid code_challenge",
                ));
            }
            if !pkce::valid_challenge(challenge) {
                return Err(err(
                    "invalid_request - The code_challenge parameter is invalid",
                    "Error 400: invalid_request – Invalid code_challenge",
                ));
            }
            Some((challenge.to_owned(), method.to_owned()))
        }
    };
    if let Some(prompt) = first(p, "prompt") {
        let allowed: &[&str] = if fitbit {
            &["none", "consent", "login", "login consent", "consent login"]
        } else {
            &[
                "none",
                "consent",
                "select_account",
                "select_account consent",
                "consent select_account",
            ]
        };
        if !allowed.contains(&prompt) {
            return Err(err(
                "invalid_request - Invalid prompt parameter value",
                "Error 400: invalid_request – Invalid prompt",
            ));
        }
    }
    let implicit_lifetime = match first(p, "expires_in") {
        Some(v) if implicit => v
            .parse::<i64>()
            .ok()
            .filter(|e| IMPLICIT_LIFETIMES.contains(e))
            .ok_or_else(|| "invalid_request - Invalid expires_in parameter value".to_owned())?,
        _ => IMPLICIT_LIFETIMES[0],
    };
    Ok(ConsentRequest {
        dialect,
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        redirect_uri_sent: true,
        scopes,
        state: first(p, "state").map(str::to_owned),
        challenge,
        implicit,
        implicit_lifetime,
        prompt: first(p, "prompt").map(str::to_owned),
        created_at: now,
    })
}

fn authorize(shared: &Shared, dialect: Dialect, query: &str) -> Response {
    let p = params(query);
    let mut inner = shared.lock();
    let request = match validate(dialect, &p, inner.now()) {
        Ok(r) => r,
        Err(message) => return error_page(&message),
    };
    if inner.settings.auto_approve {
        let scopes = request.scopes.clone();
        return decide(&mut inner, request, OWNER, true, scopes);
    }
    let request_id = random_token(16);
    let html = consent_html(&request, &request_id, dialect);
    inner.consents.insert(request_id, request);
    page(StatusCode::OK, "Allow access?", &html)
}

fn consent_html(request: &ConsentRequest, request_id: &str, dialect: Dialect) -> String {
    let app = clients::app(dialect, &request.client_id)
        .map(|a| a.name)
        .unwrap_or("An app");
    let action = match dialect {
        Dialect::Fitbit => "/oauth2/authorize/decision",
        Dialect::Google => "/o/oauth2/v2/auth/decision",
    };
    let users: String = USERS
        .iter()
        .map(|u| {
            let selected = if u.fitbit_id == OWNER {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{0}\"{selected}>{1} ({0})</option>",
                escape(u.fitbit_id),
                escape(u.display_name)
            )
        })
        .collect();
    let boxes: String = request
        .scopes
        .iter()
        .map(|s| {
            let label = clients::scope_label(dialect, s).unwrap_or_default();
            let id = s.rsplit(['.', '/']).take(2).collect::<Vec<_>>().join("-");
            format!(
                "<label for=\"scope-{id}\"><input type=\"checkbox\" name=\"scope\" value=\"{v}\" id=\"scope-{id}\" checked>\
                 <span>{l}<small>{v}</small></span></label>",
                id = escape(&id),
                v = escape(s),
                l = escape(&label)
            )
        })
        .collect();
    let asked = prompt_notice(request.prompt.as_deref());
    format!(
        "<h1>{app} wants to access your data</h1>\
         {asked}<p>Choose what to share. You can change this later by revoking access.</p>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{rid}\">\
         <label for=\"user\" style=\"border:0;display:block\">Signed in as</label>\
         <select name=\"user\" id=\"user\">{users}</select>\
         <fieldset style=\"border:0;padding:0;margin:0\"><legend>Share</legend>{boxes}</fieldset>\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></div></form>",
        app = escape(app),
        rid = escape(request_id),
    )
}

/// What `prompt` asked of this page, said on it. Fitbit: `login` makes the person sign in again,
/// `consent` shows the page even for scopes already granted, both together do both, and `none`
/// is the default behaviour
/// (<https://dev.fitbit.com/build/reference/web-api/authorization/authorize/>); Google's
/// `select_account` asks which account, `consent` the same as Fitbit's.
fn prompt_notice(prompt: Option<&str>) -> String {
    let words: Vec<&str> = prompt.unwrap_or_default().split_whitespace().collect();
    let mut said = Vec::new();
    if words.contains(&"login") {
        said.push("The app asked you to sign in again (prompt=login): choose who you are below.");
    }
    if words.contains(&"select_account") {
        said.push("The app asked you to choose an account (prompt=select_account).");
    }
    if words.contains(&"consent") {
        said.push(
            "The app asked to show this page even for what you already shared (prompt=consent).",
        );
    }
    if said.is_empty() {
        return String::new();
    }
    format!(
        "<p id=\"prompt\" class=\"prompt\">{}</p>",
        escape(&said.join(" "))
    )
}

fn decision(shared: &Shared, dialect: Dialect, body: &[u8]) -> Response {
    let p: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut inner = shared.lock();
    let now = inner.now();
    let Some(request) = first(&p, "request_id").and_then(|id| inner.consents.remove(id)) else {
        return error_page(
            "invalid_request - This consent request is unknown or was already answered",
        );
    };
    if request.dialect != dialect || now.saturating_sub(request.created_at) > CODE_LIFETIME {
        return error_page(
            "invalid_request - This consent request has expired; start again from the app",
        );
    }
    let user = first(&p, "user").unwrap_or(OWNER).to_owned();
    if clients::user(&user).is_none() {
        return error_page("invalid_request - Unknown user");
    }
    let allow = first(&p, "decision") == Some("allow");
    let granted: Vec<String> = p
        .iter()
        .filter(|(k, v)| k == "scope" && request.scopes.contains(v))
        .map(|(_, v)| v.clone())
        .collect();
    decide(&mut inner, request, &user, allow, granted)
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// Turns a decision into the redirect the provider would send.
fn decide(
    inner: &mut Inner,
    request: ConsentRequest,
    user: &str,
    allow: bool,
    granted: Vec<String>,
) -> Response {
    let app = clients::app(request.dialect, &request.client_id);
    if app.is_some_and(|a| a.kind == AppKind::Personal) && user != OWNER {
        return error_page(
            "unauthorized_client - A \"Personal\" application is only authorized to request access tokens from the owner of the application.",
        );
    }
    let Ok(mut url) = Url::parse(&request.redirect_uri) else {
        return error_page("invalid_request - Invalid redirect_uri parameter value");
    };
    let fitbit = request.dialect == Dialect::Fitbit;
    if !allow || granted.is_empty() {
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("error", "access_denied");
            if fitbit {
                q.append_pair("error_description", "The user denied the request");
            }
            if let Some(state) = &request.state {
                q.append_pair("state", state);
            }
        }
        if fitbit {
            url.set_fragment(Some("_=_"));
        }
        return redirect(url.as_str());
    }
    let now = inner.now();
    if request.implicit {
        let token = crate::token::mint_access(
            inner,
            request.dialect,
            &request.client_id,
            Some(user),
            &granted,
            request.implicit_lifetime,
        );
        let mut fragment = url::form_urlencoded::Serializer::new(String::new());
        fragment
            .append_pair("access_token", &token)
            .append_pair("user_id", user)
            .append_pair("scope", &granted.join(" "))
            .append_pair("token_type", "Bearer")
            .append_pair("expires_in", &request.implicit_lifetime.to_string());
        if let Some(state) = &request.state {
            fragment.append_pair("state", state);
        }
        // Fitbit glues `_=_` onto the front of implicit fragments.
        url.set_fragment(Some(&format!("_=_{}", fragment.finish())));
        return redirect(url.as_str());
    }
    let code = random_token(20);
    inner.codes.insert(
        code.clone(),
        CodeGrant {
            dialect: request.dialect,
            client_id: request.client_id.clone(),
            user: user.to_owned(),
            scopes: granted.clone(),
            redirect_uri: request
                .redirect_uri_sent
                .then(|| request.redirect_uri.clone()),
            challenge: request.challenge.clone(),
            issued_at: now,
            used: false,
            minted: vec![],
        },
    );
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if !fitbit {
            q.append_pair("scope", &granted.join(" "));
        }
        if let Some(state) = &request.state {
            q.append_pair("state", state);
        }
    }
    if fitbit {
        url.set_fragment(Some("_=_"));
    }
    redirect(url.as_str())
}
