//! PKCE (RFC 7636, S256 only) and the anti-CSRF `state` value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::PkceVerifier;

/// Characters RFC 7636 allows in a verifier: `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// Length of generated verifiers; any value in 43..=128 is valid.
pub const VERIFIER_LEN: usize = 64;

impl PkceVerifier {
    /// A fresh verifier: 64 characters drawn uniformly from the unreserved set by a CSPRNG
    /// (≈ 390 bits of entropy).
    pub fn generate() -> Self {
        PkceVerifier::new(random_unreserved(VERIFIER_LEN))
    }

    /// The S256 challenge: `base64url(SHA-256(verifier))` without padding.
    pub fn challenge(&self) -> String {
        s256_challenge(self.secret())
    }
}

/// `base64url(SHA-256(verifier))` without padding.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// True when `value` is a well-formed verifier: 43–128 characters from the unreserved set.
pub fn is_valid_verifier(value: &str) -> bool {
    (43..=128).contains(&value.len()) && value.bytes().all(|b| UNRESERVED.contains(&b))
}

/// Random characters from the unreserved set, without modulo bias (rejection sampling on bytes).
fn random_unreserved(len: usize) -> String {
    // 66 symbols; accept bytes below 264 = 4 × 66 → every symbol equally likely.
    const LIMIT: u8 = (256 / UNRESERVED.len() * UNRESERVED.len()) as u8;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 96];
    while out.len() < len {
        rand::fill(&mut buf[..]);
        for &b in buf.iter().filter(|&&b| b < LIMIT) {
            if out.len() == len {
                break;
            }
            out.push(UNRESERVED[(b as usize) % UNRESERVED.len()] as char);
        }
    }
    out
}

/// The `state` parameter: 256 random bits, base64url. Not a credential by itself, but it is what
/// ties a redirect to the authorization this app started, so it is compared in constant time.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct State(String);

impl State {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes[..]);
        State(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn new(value: impl Into<String>) -> Self {
        State(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a value that came back on a redirect.
    pub fn matches(&self, returned: &str) -> bool {
        self.0.as_bytes().ct_eq(returned.as_bytes()).into()
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The first characters are enough to tell states apart in logs.
        write!(f, "State({}…)", &self.0[..self.0.len().min(6)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_verifiers_are_valid_and_distinct() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert!(is_valid_verifier(a.secret()), "{}", a.secret().len());
        assert_ne!(a.secret(), b.secret());
        assert_eq!(a.challenge().len(), 43);
    }

    #[test]
    fn verifier_validation_checks_length_and_alphabet() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"~".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(50))));
    }

    #[test]
    fn state_has_at_least_128_bits_and_compares_exactly() {
        let s = State::generate();
        assert!(s.as_str().len() >= 22); // 22 base64 chars = 132 bits
        assert!(s.matches(s.as_str()));
        assert!(!s.matches(&s.as_str()[1..]));
        assert!(!s.matches(""));
        assert!(!format!("{s:?}").contains(s.as_str()));
    }
}
