//! `fitauth api`: a request to the provider's API with an account's token, like `gh api`
//! (<https://cli.github.com/manual/gh_api>): the body on stdout (pretty when it is JSON), with
//! `-i` the status line and headers first; a non-2xx answer is printed, then fails.

use std::io::Read;

use clap::Args;
use fitauth_core::api::ApiCall;
use fitauth_core::Error;

use crate::{output, Ctx};

#[derive(Args, Debug)]
pub struct ApiArgs {
    /// The path under the provider's API, with its query: `/1/user/-/profile.json` (Fitbit,
    /// the sandbox), `/v4/users/me/identity` (Google Health).
    path: String,
    /// The HTTP method (default: GET, or POST when a body is given, as `gh api` does).
    #[arg(short = 'X', long = "method")]
    method: Option<String>,
    /// A JSON body to send; `-` reads it from stdin.
    #[arg(short = 'd', long = "data")]
    data: Option<String>,
    /// Print the status line and the response headers before the body.
    #[arg(short = 'i', long = "include")]
    include: bool,
    /// The account whose token is sent (optional when only one is connected).
    #[arg(long)]
    account: Option<String>,
}

pub async fn run(ctx: &Ctx, args: ApiArgs) -> Result<(), Error> {
    let body = match args.data.as_deref() {
        Some("-") => {
            let mut buf = String::new();
            std::io::stdin().read_to_string(&mut buf).map_err(|e| {
                Error::Invalid(format!(
                    "the body could not be read from standard input ({e})"
                ))
            })?;
            Some(buf)
        }
        other => other.map(str::to_owned),
    };
    let method = args
        .method
        .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.to_owned());
    let call = ApiCall {
        method,
        path: args.path,
        body,
    };
    let (account, answer) = ctx.fitauth()?.api(args.account.as_deref(), &call).await?;
    if answer.retried_after_refresh {
        eprintln!(
            "The provider refused the token of \"{}\" (HTTP 401); Fitauth refreshed it and asked \
             again.",
            account.name
        );
    }
    output::api_answer(ctx, &account, &answer, args.include);
    if answer.is_success() {
        Ok(())
    } else {
        Err(Error::ApiStatus {
            method: answer.method,
            path: call.path,
            status: answer.status,
        })
    }
}
