//! Commands on connected accounts: status, token, refresh, introspect, revoke, rename, decode.

use clap::Args;
use fitauth_core::attention::Attention;
use fitauth_core::clock::now_unix;
use fitauth_core::{jwt, Error, Fitauth, TokenKind};

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
    let now = now_unix();
    let needs_you: Vec<String> = accounts
        .iter()
        .filter_map(|a| {
            let attention = Attention::of(a, fitauth.needs_move(a), now)?;
            let next = match attention {
                Attention::MoveToGoogle => format!("Run `fitauth migrate --account {}`.", a.name),
                _ => format!(
                    "Run `fitauth login` again with --account {} (the same --provider).",
                    a.name
                ),
            };
            Some(format!("{} {next}", attention.sentence(a, now)))
        })
        .collect();
    output::status(ctx, &accounts, &needs_you, &fitauth.secrets_location());
    Ok(())
}

pub async fn token(ctx: &Ctx, args: AccountArg) -> Result<(), Error> {
    let fitauth = ctx.fitauth()?;
    let token = match fitauth.fresh_token(args.account.as_deref()).await {
        Ok(token) => token,
        Err(e) => return Err(needs_you(&fitauth, args.account.as_deref(), e).await),
    };
    // The one place a secret is printed, on purpose, and only to stdout.
    println!("{}", token.secret());
    Ok(())
}

/// A token that cannot be had because the account needs its person fails with the sentence
/// `fitauth status` and the desktop's notification say.
async fn needs_you(fitauth: &Fitauth, name: Option<&str>, e: Error) -> Error {
    if !matches!(e.kind(), "reconnect_needed" | "revoked" | "retired") {
        return e;
    }
    let Ok(account) = fitauth.account(name).await else {
        return e;
    };
    let now = now_unix();
    match Attention::of(&account, fitauth.needs_move(&account), now) {
        Some(attention) => Error::NeedsYou {
            sentence: attention.sentence(&account, now),
            move_to_google: attention == Attention::MoveToGoogle,
        },
        None => e,
    }
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

#[derive(Args, Debug)]
pub struct RevokeArgs {
    #[command(flatten)]
    account: AccountArg,
    /// Which token to revoke; either ends the grant, and both are removed here after.
    #[arg(long, value_enum, default_value = "refresh")]
    token: RevokeToken,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum RevokeToken {
    Refresh,
    Access,
}

pub async fn revoke(ctx: &Ctx, args: RevokeArgs) -> Result<(), Error> {
    let which = match args.token {
        RevokeToken::Refresh => TokenKind::Refresh,
        RevokeToken::Access => TokenKind::Access,
    };
    let (account, outcome) = ctx
        .fitauth()?
        .revoke(args.account.account.as_deref(), which)
        .await?;
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
