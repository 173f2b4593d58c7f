//! JWT-shaped access tokens (HS256, signed with a per-process key), as Fitbit issues them, and
//! Google's OpenID Connect ID tokens. Google signs ID tokens RS256 with its published keys; the
//! sandbox signs them HS256 with the same per-process key, which is fine for clients that only
//! decode the claims (an installed app talking to the token endpoint over TLS may skip the check).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::clients::{fitbit_short_code, Dialect, User};
use crate::state::random_token;

pub fn sign(key: &[u8], claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "HS256", "typ": "JWT" }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// The claims of an access token in each provider's style.
pub fn access_claims(
    dialect: Dialect,
    client_id: &str,
    user: Option<&User>,
    scopes: &[String],
    iat: i64,
    exp: i64,
) -> Value {
    match dialect {
        Dialect::Fitbit => {
            let codes: Vec<String> = scopes
                .iter()
                .filter_map(|s| fitbit_short_code(s))
                .map(|c| format!("w{c}"))
                .collect();
            let mut claims = json!({
                "aud": client_id, "iss": "Fitbit", "typ": "access_token",
                "scopes": codes.join(" "), "exp": exp, "iat": iat, "jti": random_token(12),
            });
            if let Some(user) = user {
                claims["sub"] = json!(user.fitbit_id);
            }
            claims
        }
        Dialect::Google => json!({
            "iss": "https://accounts.google.com", "aud": client_id, "azp": client_id,
            "sub": user.map(|u| u.health_id), "scope": scopes.join(" "),
            "exp": exp, "iat": iat, "jti": random_token(12),
        }),
    }
}

/// How long a Google ID token is valid, whatever the access token's lifetime.
pub const ID_TOKEN_LIFETIME: i64 = 3600;

/// The claims of a Google ID token, or `None` when the grant carries no `openid` scope.
///
/// Google returns an ID token whenever an identity scope (`openid`, `email`, `profile`) was
/// requested; the sandbox keeps it simpler and returns one only when `openid` was granted. The
/// `email` claims come only with the `email` scope, so a person who unticked it on the consent
/// page gets an ID token without them.
pub fn id_token_claims(client_id: &str, user: &User, scopes: &[String], iat: i64) -> Option<Value> {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    if !has("openid") {
        return None;
    }
    let mut claims = json!({
        "iss": "https://accounts.google.com", "azp": client_id, "aud": client_id,
        "sub": user.google_sub, "iat": iat, "exp": iat + ID_TOKEN_LIFETIME,
    });
    if has("email") {
        claims["email"] = json!(user.email);
        claims["email_verified"] = json!(true);
    }
    Some(claims)
}
