//! Peeking into a JWT without verifying it: header and claims decoded for display, clearly
//! marked "decoded, not verified". Fitbit's `scopes` claim short codes are spelled out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::error::Error;
use crate::scopes::{fitbit_short_code, ScopeGrant};

/// Always shown next to decoded claims.
pub const NOT_VERIFIED: &str = "decoded, not verified";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodedJwt {
    pub header: serde_json::Value,
    pub claims: serde_json::Value,
    /// Always [`NOT_VERIFIED`]: the signature was not checked.
    pub verification: &'static str,
    /// Fitbit's `scopes` short codes, decoded (`wact` → activity, READ_WRITE).
    pub fitbit_scopes: Vec<ScopeGrant>,
    /// `exp`, `iat` as Unix seconds, when present.
    pub expires_at: Option<i64>,
    pub issued_at: Option<i64>,
}

fn segment(part: &str, name: &str) -> Result<serde_json::Value, Error> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| Error::NotAJwt(format!("its {name} is not base64url")))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| Error::NotAJwt(format!("its {name} is not JSON")))?;
    if !value.is_object() {
        return Err(Error::NotAJwt(format!("its {name} is not a JSON object")));
    }
    Ok(value)
}

/// Decodes `header.claims.signature`. Opaque tokens (Google's `ya29.…`) are reported as not JWTs.
pub fn decode(token: &str) -> Result<DecodedJwt, Error> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::NotAJwt(
            "it does not have three dot-separated parts".into(),
        ));
    };
    let header = segment(h, "header")?;
    let claims = segment(c, "claims")?;
    let fitbit_scopes = claims
        .get("scopes")
        .and_then(|s| s.as_str())
        .map(|s| {
            s.split_whitespace()
                .map(|code| match fitbit_short_code(code) {
                    Some((scope, perm)) => ScopeGrant {
                        scope: scope.into(),
                        permission: Some(perm.into()),
                    },
                    None => ScopeGrant {
                        scope: code.into(),
                        permission: None,
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let num = |k: &str| claims.get(k).and_then(|v| v.as_i64());
    Ok(DecodedJwt {
        expires_at: num("exp"),
        issued_at: num("iat"),
        header,
        claims,
        verification: NOT_VERIFIED,
        fitbit_scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example token from Fitbit's 2015 documentation.
    const FITBIT_DOC_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE0MzAzNDM3MzUsInNjb3BlcyI6Indwcm8gd2xvYyB3bnV0IHdzbGUgd3NldCB3aHIgd3dlaSB3YWN0IHdzb2MiLCJzdWIiOiJBQkNERUYiLCJhdWQiOiJJSktMTU4iLCJpc3MiOiJGaXRiaXQiLCJ0eXAiOiJhY2Nlc3NfdG9rZW4iLCJpYXQiOjE0MzAzNDAxMzV9.z0VHrIEzjsBnjiNMBey6wtu26yHTnSWz_qlqoEpUlpc";

    #[test]
    fn fitbit_documentation_token_decodes() {
        let d = decode(FITBIT_DOC_TOKEN).unwrap();
        assert_eq!(d.header["alg"], "HS256");
        assert_eq!(d.claims["sub"], "ABCDEF");
        assert_eq!(d.expires_at, Some(1_430_343_735));
        assert_eq!(d.verification, "decoded, not verified");
        let names: Vec<_> = d.fitbit_scopes.iter().map(|s| s.scope.as_str()).collect();
        assert_eq!(
            names,
            [
                "profile",
                "location",
                "nutrition",
                "sleep",
                "settings",
                "heartrate",
                "weight",
                "activity",
                "social"
            ]
        );
    }

    #[test]
    fn non_jwts_are_refused_plainly() {
        assert!(decode("ya29.a0AfH6SM").is_err());
        assert!(decode("a.b.c").is_err());
        assert!(decode("").is_err());
        assert!(decode("W10.W10.x").is_err()); // `[]` is JSON but not an object
    }
}
