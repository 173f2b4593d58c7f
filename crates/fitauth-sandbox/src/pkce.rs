//! The server side of PKCE (RFC 7636): checking a verifier against the stored challenge.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A challenge as sent to /authorize: 43–128 characters of the unreserved set.
pub fn valid_challenge(challenge: &str) -> bool {
    (43..=128).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// True when `verifier` matches `challenge` under `method` (`S256` or `plain`).
pub fn verify(method: &str, challenge: &str, verifier: &str) -> bool {
    if !(43..=128).contains(&verifier.len()) {
        return false;
    }
    let computed = match method {
        "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        "plain" => verifier.to_owned(),
        _ => return false,
    };
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc7636_appendix_b() {
        assert!(super::verify(
            "S256",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!super::verify(
            "S256",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            &"a".repeat(43)
        ));
        assert!(!super::verify("S256", "x", "short"));
    }
}
