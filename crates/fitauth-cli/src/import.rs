//! `fitauth import`: a token one already has, read from stdin (like `gh auth login
//! --with-token`), becomes an account once the provider says it is active.

use std::io::Read;

use clap::Args;
use fitauth_core::service::import::ImportRequest;
use fitauth_core::{AccessToken, Error, ProviderKind, RefreshToken};

use crate::login::{sandbox_registration, stored_registration};
use crate::{output, Ctx};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// fitbit, google-health, or sandbox: whose token it is.
    #[arg(long)]
    provider: String,
    /// The stored registration the token was issued to (default: the built-in one, else the
    /// first of the provider).
    #[arg(long)]
    app: Option<String>,
    /// Name to store the account under (default: named after the person).
    #[arg(long)]
    account: Option<String>,
}

/// Standard input: the access token on the first line, the refresh token (optional) on the
/// second.
fn read_tokens(input: &str) -> Result<(AccessToken, Option<RefreshToken>), Error> {
    let mut lines = input.lines().map(str::trim).filter(|l| !l.is_empty());
    let access = lines.next().ok_or_else(|| {
        Error::Invalid(
            "no token on standard input: give the access token on the first line (and the \
             refresh token, if you have it, on the second)"
                .into(),
        )
    })?;
    let refresh = lines.next();
    if lines.next().is_some() {
        return Err(Error::Invalid(
            "standard input has more than two lines: the access token, then the refresh token"
                .into(),
        ));
    }
    Ok((AccessToken::new(access), refresh.map(RefreshToken::new)))
}

pub async fn run(ctx: &Ctx, args: ImportArgs) -> Result<(), Error> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| {
        Error::Invalid(format!(
            "the token could not be read from standard input ({e})"
        ))
    })?;
    let (access_token, refresh_token) = read_tokens(&input)?;
    let fitauth = ctx.fitauth()?;
    let (app, _sandbox) = if args.provider == "sandbox" {
        let (app, running) = sandbox_registration(&fitauth).await?;
        (app, Some(running))
    } else {
        let provider: ProviderKind = args.provider.parse()?;
        (
            stored_registration(&fitauth, provider, args.app.as_deref()).await?,
            None,
        )
    };
    let saved = fitauth
        .import(ImportRequest {
            app,
            access_token,
            refresh_token,
            account: args.account,
        })
        .await?;
    output::imported(ctx, &saved.account, saved.updated);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_or_two_lines() {
        let (a, r) = read_tokens("  acc \n\n ref\n").unwrap();
        assert_eq!((a.secret(), r.unwrap().secret()), ("acc", "ref"));
        assert!(read_tokens("acc").unwrap().1.is_none());
        assert_eq!(read_tokens("\n \n").unwrap_err().kind(), "validation");
        assert_eq!(read_tokens("a\nb\nc").unwrap_err().kind(), "validation");
    }
}
