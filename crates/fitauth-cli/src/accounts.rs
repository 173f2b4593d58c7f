//! Commands on connected accounts: status, token, refresh, introspect, revoke, rename, decode.

use clap::Args;
use fitauth_core::{jwt, Error};

use crate::{output, Ctx};

#[derive(Args, Debug)]
pub struct AccountArg {
    /// The account to use (optional when only one is connected).
    #[arg(long)]
    account: Option<String>,
}

pub async fn status(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let fitauth = ctx.fitauth()?;
    let accounts = match &args.account {
        Some(name) => vec![fitauth.account(Some(name)).await?],
        None => fitauth.accounts().await?,
    };
    let to_move: Vec<&str> = accounts
        .iter()
        .filter(|a| fitauth.needs_move(a))
        .map(|a| a.name.as_str())
        .collect();
    output::status(ctx, &accounts, &to_move, &fitauth.secrets_location());
    Ok(())
}

pub async fn token(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let token = ctx.fitauth()?.fresh_token(args.account.as_deref()).await?;
    // The one place a secret is printed, on purpose, and only to stdout.
    println!("{}", token.secret());
    Ok(())
}

pub async fn refresh(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let account = ctx.fitauth()?.refresh(args.account.as_deref()).await?;
    output::refreshed(ctx, &account);
    Ok(())
}

pub async fn introspect(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let (account, verdict) = ctx.fitauth()?.introspect(args.account.as_deref()).await?;
    output::introspection(ctx, &account, &verdict);
    Ok(())
}

pub async fn revoke(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let (account, outcome) = ctx.fitauth()?.revoke(args.account.as_deref()).await?;
    output::revoked(ctx, &account, outcome);
    Ok(())
}

pub async fn rename(ctx: &Ctx, account: &str, new_name: &str) -> Result<(), Error> {
    let account = ctx.fitauth()?.rename_account(account, new_name).await?;
    output::renamed(ctx, &account);
    Ok(())
}

pub fn decode(ctx: &Ctx, token: &str) -> Result<(), Error> {
    let token = if token == "-" {
        let mut buf = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf).map_err(|e| {
            Error::Invalid(format!(
                "the token could not be read from standard input ({e})"
            ))
        })?;
        buf
    } else {
        token.to_owned()
    };
    let decoded = jwt::decode(&token)?;
    output::decoded(ctx, &decoded);
    Ok(())
}
