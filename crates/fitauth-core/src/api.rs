//! A request to the provider's API with an account's access token: the developer's "try a
//! request" (`fitauth api`, like `gh api`; Inspect's request panel). Only paths under the
//! provider's API base are taken, so the token is never sent to another host; what comes back
//! is redacted like every logged exchange.

use serde::Serialize;
use url::Url;

use crate::client::OAuthClient;
use crate::error::{Error, Operation};
use crate::http::{Method, Request};
use crate::ratelimit::RateLimit;
use crate::secret::AccessToken;

/// What to ask: a method, a path under the API base (with its query), an optional JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCall {
    pub method: String,
    pub path: String,
    pub body: Option<String>,
}

impl ApiCall {
    /// A `GET` of `path`.
    pub fn get(path: &str) -> Self {
        ApiCall {
            method: "GET".into(),
            path: path.into(),
            body: None,
        }
    }
}

/// What came back, secrets redacted.
#[derive(Debug, Clone, Serialize)]
pub struct ApiAnswer {
    pub method: String,
    /// The full address asked.
    pub url: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub duration_ms: u64,
    pub rate_limit: Option<RateLimit>,
    /// The first answer was `401`; the account was refreshed and the request sent again.
    pub retried_after_refresh: bool,
}

impl ApiAnswer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as pretty JSON when it is JSON, else as it came.
    pub fn pretty_body(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| self.body.clone())
    }
}

/// `text` as one shell word (POSIX single quotes).
fn shell_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The request as a `curl` command to run in a shell, the token left as
/// `$(fitauth token --account NAME)`, so copying it copies no secret.
pub fn curl_command(method: &str, url: &str, account: &str, body: Option<&str>) -> String {
    let mut parts = vec!["curl".to_owned()];
    if !method.eq_ignore_ascii_case("GET") {
        parts.push(format!("-X {}", method.to_ascii_uppercase()));
    }
    parts.push(shell_word(url));
    parts.push(format!(
        "-H \"Authorization: Bearer $(fitauth token --account {})\"",
        shell_word(account)
    ));
    if let Some(body) = body.filter(|b| !b.trim().is_empty()) {
        parts.push("-H 'Content-Type: application/json'".into());
        // --data-raw: a body starting with @ is text, not a file to read.
        parts.push(format!("--data-raw {}", shell_word(body)));
    }
    parts.join(" ")
}

fn method(name: &str) -> Result<Method, Error> {
    match name.trim().to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::Get),
        "POST" => Ok(Method::Post),
        "PUT" => Ok(Method::Put),
        "PATCH" => Ok(Method::Patch),
        "DELETE" => Ok(Method::Delete),
        other => Err(Error::Invalid(format!(
            "\"{other}\" is not a method Fitauth sends; use GET, POST, PUT, PATCH or DELETE"
        ))),
    }
}

/// The address of `path` under `base` (the origin of the provider's API). Anything that would
/// leave it — a full URL, `//host`, a path climbing out — is refused before a token is sent.
pub fn address(base: &Url, path: &str) -> Result<Url, Error> {
    let path = path.trim();
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(Error::Invalid(format!(
            "\"{path}\" is not a path under the provider's API ({}); give one that starts with \
             a single /, such as /1/user/-/profile.json",
            base.origin().ascii_serialization()
        )));
    }
    let url = base
        .join(path)
        .map_err(|e| Error::Invalid(format!("\"{path}\" is not a valid path ({e})")))?;
    if url.origin() != base.origin() {
        return Err(Error::Invalid(format!(
            "\"{path}\" leaves the provider's API; the token is only sent to {}",
            base.origin().ascii_serialization()
        )));
    }
    Ok(url)
}

/// Refuses a call that could not be sent (an unknown method, a path off the API), before any
/// token is fetched for it.
pub fn check(base: &Url, call: &ApiCall) -> Result<(), Error> {
    method(&call.method)?;
    address(base, &call.path).map(drop)
}

impl OAuthClient {
    /// The origin of this provider's API: where its identity endpoint lives
    /// (`https://api.fitbit.com`, `https://health.googleapis.com`, or the sandbox).
    pub fn api_base(&self) -> Url {
        let identity = &self.config.provider.endpoints.identity;
        let mut base = identity.clone();
        base.set_path("/");
        base.set_query(None);
        base.set_fragment(None);
        base
    }

    /// Sends `call` with `token`, whatever the answer (a non-2xx is an answer to show).
    pub async fn api(&self, token: &AccessToken, call: &ApiCall) -> Result<ApiAnswer, Error> {
        let method = method(&call.method)?;
        let url = address(&self.api_base(), &call.path)?;
        let mut request = Request::get(Operation::ApiRequest, &url).bearer(token);
        request.method = method;
        request.body = call.body.clone().filter(|b| !b.trim().is_empty());
        let reply = self.send(request).await?;
        Ok(ApiAnswer {
            method: method.as_str().into(),
            url: url.to_string(),
            status: reply.status,
            headers: reply.headers,
            body: reply.redacted_body,
            duration_ms: reply.duration_ms,
            rate_limit: reply.rate_limit,
            retried_after_refresh: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_under_the_api_base_are_taken() {
        let base = Url::parse("https://api.fitbit.com/").unwrap();
        assert_eq!(
            address(&base, "/1/user/-/profile.json?x=1")
                .unwrap()
                .as_str(),
            "https://api.fitbit.com/1/user/-/profile.json?x=1"
        );
        for bad in [
            "https://evil.example/steal",
            "//evil.example/steal",
            "1/user/-/profile.json",
            "",
        ] {
            assert_eq!(
                address(&base, bad).unwrap_err().kind(),
                "validation",
                "{bad}"
            );
        }
        // Climbing out of the path stays on the host (the token's only destination).
        assert_eq!(address(&base, "/../../x").unwrap().origin(), base.origin());
        assert_eq!(method("delete").unwrap(), Method::Delete);
        assert_eq!(method("TRACE").unwrap_err().kind(), "validation");
    }

    #[test]
    fn copy_as_curl_leaves_the_token_to_fitauth_and_quotes_for_the_shell() {
        assert_eq!(
            curl_command(
                "GET",
                "https://api.fitbit.com/1/user/-/profile.json",
                "sam",
                None
            ),
            "curl 'https://api.fitbit.com/1/user/-/profile.json' \
             -H \"Authorization: Bearer $(fitauth token --account 'sam')\""
        );
        assert_eq!(
            curl_command("post", "https://h/x?a=1&b=2", "it's", Some("{\"a\":1}")),
            "curl -X POST 'https://h/x?a=1&b=2' -H \"Authorization: Bearer $(fitauth token \
             --account 'it'\\''s')\" -H 'Content-Type: application/json' --data-raw '{\"a\":1}'"
        );
    }

    #[test]
    fn json_bodies_are_shown_pretty_and_others_as_they_came() {
        let answer = |body: &str| ApiAnswer {
            method: "GET".into(),
            url: "https://api.fitbit.com/x".into(),
            status: 200,
            headers: vec![],
            body: body.into(),
            duration_ms: 1,
            rate_limit: None,
            retried_after_refresh: false,
        };
        assert_eq!(answer("{\"a\":1}").pretty_body(), "{\n  \"a\": 1\n}");
        assert_eq!(answer("<html>").pretty_body(), "<html>");
    }
}
