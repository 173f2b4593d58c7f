//! Refreshing an access token, and retrying a refresh whose answer was lost.
//!
//! Fitbit refresh tokens are single-use, but an identical request within the grace interval
//! gets the same new pair back, so a timeout or a dropped connection is retried with the same
//! refresh token. Google refresh tokens do not rotate: an answer without `refresh_token` keeps the
//! old one.

use std::time::{Duration, Instant};

use crate::client::OAuthClient;
use crate::clock::now_unix;
use crate::error::{Error, Operation};
use crate::http::Request;
use crate::secret::RefreshToken;
use crate::token::{parse_token_response, TokenSet};

/// How often and how patiently to retry a refresh whose answer did not arrive.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

impl OAuthClient {
    /// One refresh request.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenSet, Error> {
        let mut request = Request::post(Operation::Refresh, &self.config.provider.endpoints.token)
            .field("grant_type", "refresh_token")
            .field("refresh_token", refresh_token.secret());
        if let Some(lifetime) = self.refresh_lifetime {
            request = request.field("expires_in", lifetime.to_string());
        }
        let reply = self.call(self.authenticate(request)?).await?;
        let mut tokens =
            parse_token_response(reply.status, &reply.body, &reply.redacted_body, now_unix())?;
        if tokens.refresh_token.is_none() {
            // Google does not rotate refresh tokens: the one we sent stays valid.
            tokens.refresh_token = Some(refresh_token.clone());
        }
        tracing::info!(provider = %self.kind(), "access token refreshed");
        Ok(tokens)
    }

    /// A refresh that survives a lost answer: transient failures (timeout, connection error, 5xx,
    /// 409) are retried with the *same* refresh token. Any other error is returned at once. The
    /// whole operation, retries and waits included, ends within the HTTP client's total timeout
    /// (the person's `--timeout`), or the deadline of the operation it is part of
    /// ([`crate::HttpClient::within`]): each attempt gets its share of what is left, so a lost answer
    /// is still retried and a dead network is reported, not waited out three times.
    pub async fn refresh_with_retry(
        &self,
        refresh_token: &RefreshToken,
        policy: RetryPolicy,
    ) -> Result<TokenSet, Error> {
        let mut deadline = Instant::now() + self.http.timeouts().total;
        if let Some(operation) = crate::http::deadline() {
            deadline = deadline.min(operation);
        }
        let timed_out = || Error::Timeout {
            host: self
                .config
                .provider
                .endpoints
                .token
                .host_str()
                .unwrap_or("the provider")
                .to_owned(),
        };
        let attempts = policy.attempts.max(1);
        let mut delay = policy.backoff;
        let mut attempt = 1;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let share = left / (attempts - attempt + 1);
            let result = match tokio::time::timeout(share, self.refresh(refresh_token)).await {
                Ok(result) => result,
                Err(_) => Err(timed_out()),
            };
            match result {
                Err(e) if e.is_transient() && attempt < attempts => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left <= delay {
                        return Err(e);
                    }
                    tracing::warn!(attempt, error = %e, "refresh failed; retrying with the same refresh token");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}
