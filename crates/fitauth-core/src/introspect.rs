//! Asking the provider what it thinks of a token: Fitbit's RFC 7662 introspection
//! (`/1.1/oauth2/introspect`) and Google's `tokeninfo`, read into one [`Introspection`].

use serde::{Deserialize, Serialize};

use crate::client::OAuthClient;
use crate::clock::seconds_from_secs_or_millis;
use crate::error::{Error, Operation};
use crate::http::Request;
use crate::provider::ProviderKind;
use crate::ratelimit::RateLimit;
use crate::scopes::{parse_introspect_scopes, ScopeGrant};
use crate::secret::AccessToken;

/// The provider's verdict on a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Introspection {
    pub active: bool,
    /// `introspect` (Fitbit) or `tokeninfo` (Google).
    pub source: String,
    pub scopes: Vec<ScopeGrant>,
    pub client_id: Option<String>,
    pub user_id: Option<String>,
    pub token_type: Option<String>,
    /// Unix seconds (Fitbit's milliseconds are converted).
    pub expires_at: Option<i64>,
    pub issued_at: Option<i64>,
    /// Google: `online` or `offline`.
    pub access_type: Option<String>,
    pub email: Option<String>,
    pub rate_limit: Option<RateLimit>,
    /// Every field the provider returned, by name, as it came (strings unquoted, other
    /// values as JSON; from the redacted answer) — for the developer who wants it all.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    /// When this verdict was given (Unix seconds).
    #[serde(default)]
    pub checked_at: i64,
}

/// Every top-level field of an answer, as it came.
fn fields_of(body: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        _ => vec![],
    }
}

impl Introspection {
    /// This verdict with the answer's fields and the time it was given.
    fn with_answer(mut self, redacted_body: &str) -> Self {
        self.fields = fields_of(redacted_body);
        self.checked_at = crate::clock::now_unix();
        self
    }

    fn inactive(source: &str, rate_limit: Option<RateLimit>) -> Self {
        Introspection {
            active: false,
            source: source.into(),
            scopes: vec![],
            client_id: None,
            user_id: None,
            token_type: None,
            expires_at: None,
            issued_at: None,
            access_type: None,
            email: None,
            rate_limit,
            fields: vec![],
            checked_at: 0,
        }
    }
}

/// Reads a JSON number or numeric string.
fn int(v: Option<&serde_json::Value>) -> Option<i64> {
    match v? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads Fitbit's introspect body. `active` may be a boolean, or 1/0 as in the retired 1.0.
pub fn parse_fitbit_introspection(
    body: &serde_json::Value,
    rate_limit: Option<RateLimit>,
) -> Introspection {
    let active = match body.get("active") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::Number(n)) => n.as_i64() == Some(1),
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    };
    if !active {
        return Introspection::inactive("introspect", rate_limit);
    }
    Introspection {
        active,
        source: "introspect".into(),
        scopes: body
            .get("scope")
            .and_then(|s| s.as_str())
            .map(parse_introspect_scopes)
            .unwrap_or_default(),
        client_id: text(body.get("client_id")),
        user_id: text(body.get("user_id")),
        token_type: text(body.get("token_type")),
        expires_at: int(body.get("exp")).map(seconds_from_secs_or_millis),
        issued_at: int(body.get("iat")).map(seconds_from_secs_or_millis),
        access_type: None,
        email: None,
        rate_limit,
        fields: vec![],
        checked_at: 0,
    }
}

/// Reads Google's tokeninfo body (all values are strings there).
pub fn parse_tokeninfo(body: &serde_json::Value) -> Introspection {
    Introspection {
        active: true,
        source: "tokeninfo".into(),
        scopes: body
            .get("scope")
            .and_then(|s| s.as_str())
            .map(|s| {
                s.split_whitespace()
                    .map(|scope| ScopeGrant {
                        scope: scope.into(),
                        permission: None,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        client_id: text(body.get("azp")).or_else(|| text(body.get("aud"))),
        user_id: text(body.get("sub")),
        token_type: Some("access_token".into()),
        expires_at: int(body.get("exp")),
        issued_at: None,
        access_type: text(body.get("access_type")),
        email: text(body.get("email")),
        rate_limit: None,
        fields: vec![],
        checked_at: 0,
    }
}

impl OAuthClient {
    /// Fitbit introspection of `token`, authorized by the (valid) access token `bearer`. A 401
    /// here means the *bearer* is bad, not that `token` is inactive.
    pub async fn introspect(
        &self,
        bearer: &AccessToken,
        token: &AccessToken,
    ) -> Result<Introspection, Error> {
        let url = self
            .config
            .provider
            .endpoints
            .introspect
            .as_ref()
            .ok_or_else(|| Error::Setup("this provider has no introspection endpoint".into()))?;
        let request = Request::post(Operation::Introspect, url)
            .bearer(bearer)
            .field("token", token.secret());
        let reply = self.call(request).await?;
        Ok(parse_fitbit_introspection(&reply.json()?, reply.rate_limit)
            .with_answer(&reply.redacted_body))
    }

    /// Google tokeninfo for an access token (sent in the POST body, never in the URL). Google
    /// answers 400 `invalid_token` for a dead token: that is a verdict, not a failure.
    pub async fn tokeninfo(&self, token: &AccessToken) -> Result<Introspection, Error> {
        let url = self
            .config
            .provider
            .endpoints
            .tokeninfo
            .as_ref()
            .ok_or_else(|| Error::Setup("this provider has no tokeninfo endpoint".into()))?;
        let request =
            Request::post(Operation::TokenInfo, url).field("access_token", token.secret());
        let reply = self.send(request).await?;
        if reply.is_success() {
            return Ok(parse_tokeninfo(&reply.json()?).with_answer(&reply.redacted_body));
        }
        let error = reply.error(false);
        if reply.status == 400 && matches!(error, Error::InvalidToken { .. } | Error::Http { .. }) {
            return Ok(Introspection::inactive("tokeninfo", reply.rate_limit)
                .with_answer(&reply.redacted_body));
        }
        Err(error)
    }

    /// The provider's verdict on an access token, whichever way this provider offers.
    pub async fn inspect(&self, access_token: &AccessToken) -> Result<Introspection, Error> {
        match self.kind() {
            ProviderKind::Fitbit => self.introspect(access_token, access_token).await,
            ProviderKind::GoogleHealth => self.tokeninfo(access_token).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fitbit_active_answer_with_millisecond_times() {
        let body = json!({"active":true,"scope":"{ACTIVITY=READ_WRITE, SLEEP=READ}","client_id":"23ABC","user_id":"26FWFL","token_type":"access_token","exp":1_700_028_800_000_i64,"iat":1_700_000_000_000_i64});
        let i = parse_fitbit_introspection(&body, None);
        assert!(i.active);
        assert_eq!(i.expires_at, Some(1_700_028_800));
        assert_eq!(i.issued_at, Some(1_700_000_000));
        assert_eq!(
            i.scopes[1],
            ScopeGrant {
                scope: "sleep".into(),
                permission: Some("READ".into())
            }
        );
        assert_eq!(i.client_id.as_deref(), Some("23ABC"));
    }

    #[test]
    fn every_field_is_kept_as_it_came() {
        let body = r#"{"active":true,"scope":"{SLEEP=READ}","exp":1700028800000,"iat":1700000000000,"token_type":"access_token","extra":{"a":1}}"#;
        let i = parse_fitbit_introspection(&serde_json::from_str(body).unwrap(), None)
            .with_answer(body);
        let names: Vec<&str> = i.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names.len(), 6, "{names:?}");
        assert!(i.fields.contains(&("active".into(), "true".into())));
        assert!(i
            .fields
            .contains(&("token_type".into(), "access_token".into())));
        assert!(i.fields.contains(&("iat".into(), "1700000000000".into())));
        assert!(i.fields.contains(&("extra".into(), "{\"a\":1}".into())));
        assert!(i.checked_at > 0);
        assert!(fields_of("<html>").is_empty());
    }

    #[test]
    fn fitbit_inactive_and_legacy_numeric_active() {
        assert!(!parse_fitbit_introspection(&json!({"active":false}), None).active);
        assert!(!parse_fitbit_introspection(&json!({"active":0}), None).active);
        assert!(
            parse_fitbit_introspection(&json!({"active":1, "exp": 1_700_000_000}), None).active
        );
        assert!(!parse_fitbit_introspection(&json!("nonsense"), None).active);
    }

    #[test]
    fn google_tokeninfo_strings() {
        let i = parse_tokeninfo(
            &json!({"azp":"c.apps","aud":"c.apps","sub":"42","scope":"a b","exp":"1700003599","expires_in":"3599","access_type":"offline"}),
        );
        assert_eq!(i.expires_at, Some(1_700_003_599));
        assert_eq!(i.scopes.len(), 2);
        assert_eq!(i.access_type.as_deref(), Some("offline"));
    }
}
