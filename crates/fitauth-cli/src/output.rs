//! What the commands print: a readable form for people and `--json` for scripts. Neither ever
//! contains a secret; only `fitauth token` prints one, by design, outside this module.

use fitauth_core::api::ApiAnswer;
use fitauth_core::clock::{local_hh_mm, now_unix, relative, rfc3339};
use fitauth_core::jwt::DecodedJwt;
use fitauth_core::service::migrate::Migrated;
use fitauth_core::{scopes, Account, Introspection, Revoked};
use serde_json::{json, Value};

use crate::Ctx;

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// "in 7h 12m (14:03)".
fn when(unix: i64, now: i64) -> String {
    format!("{} ({})", relative(unix, now), local_hh_mm(unix))
}

/// The JSON shape of an account (the `status --json` contract).
pub fn account_json(account: &Account, now: i64) -> Value {
    json!({
        "account": account.name,
        "provider": account.provider.as_str(),
        "app": account.app,
        "user_id": account.user_id,
        "display_name": account.display_name,
        "email": account.email,
        "scopes_requested": account.scopes_requested,
        "scopes_granted": account.scopes_granted,
        "scopes_denied": account.scopes_denied(),
        "token_type": account.token_type,
        "issued_at": rfc3339(account.issued_at),
        "expires_at": account.expires_at.map(rfc3339),
        "expires_in_seconds": account.expires_at.map(|e| e - now),
        "has_refresh_token": account.has_refresh_token,
        "refresh_token_expires_at": account.refresh_token_expires_at.map(rfc3339),
        "state": account.effective_state(now).as_str(),
    })
}

/// Scopes by their short names ("Sleep, Heart rate"), unknown ones as they are.
pub fn labels(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|s| scopes::lookup(s).map(|i| i.label).unwrap_or(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn who(account: &Account) -> String {
    let label = account.label();
    match &account.user_id {
        Some(id) if *id != label => format!("{label} ({id})"),
        _ => label,
    }
}

/// After a sign-in; `updated` when the person's existing account was updated in place.
pub fn connected(ctx: &Ctx, account: &Account, updated: bool) {
    let now = now_unix();
    if ctx.json {
        let mut value = account_json(account, now);
        value["updated"] = json!(updated);
        return print_json(&value);
    }
    println!("Connected as {}.", who(account));
    if updated {
        println!("Updated the existing account \"{}\".", account.name);
    } else {
        println!("Saved as account \"{}\".", account.name);
    }
    println!("Shared: {}.", labels(&account.scopes_granted));
    let denied = account.scopes_denied();
    if !denied.is_empty() {
        println!("Not shared: {}.", denied.join(", "));
    }
    if let Some(exp) = account.expires_at {
        let renews = if account.has_refresh_token {
            "; access renews automatically"
        } else {
            ""
        };
        println!("Access expires {}{renews}.", when(exp, now));
    }
    if account.is_app_token() {
        println!(
            "It is an app token with no refresh token: get a new one with \
             `fitauth login --grant client-credentials` when it expires."
        );
    } else if !account.has_refresh_token {
        println!("It has no refresh token: connect again when it expires.");
    }
}

/// After `fitauth import`: as a connection, and whether the account can renew itself.
pub fn imported(ctx: &Ctx, account: &Account, updated: bool) {
    connected(ctx, account, updated);
    if !ctx.json && !account.has_refresh_token {
        println!(
            "Without a refresh token it cannot renew itself: import it again, or run `fitauth \
             login`, when it expires."
        );
    }
}

/// After a move to Google Health: the Google connection, then how the move ended. When it was
/// not moved, the error that follows says why (stderr).
pub fn migrated(ctx: &Ctx, account: &Account, updated: bool, migration: &Migrated) {
    if ctx.json {
        let mut value = account_json(account, now_unix());
        value["updated"] = json!(updated);
        value["migration"] = json!({
            "moved": migration.moved(),
            "from": migration.legacy.name,
            "same_account": migration.same_account,
            "legacy_token": migration.legacy_token,
            "unmapped_scopes": migration.unmapped,
            "merged_from": migration.merged_from,
        });
        return print_json(&value);
    }
    if migration.moved() {
        println!("Connected as {}.", who(account));
        println!(
            "{}",
            migration.same_account.sentence(&migration.legacy.name)
        );
        println!("{}", migration.legacy_token.sentence());
        if let Some(merged) = migration.merged_sentence() {
            println!("{merged}");
        }
        if !migration.unmapped.is_empty() {
            println!(
                "Not available on Google Health: {}.",
                migration.unmapped.join(", ")
            );
        }
        println!("Shared: {}.", labels(&account.scopes_granted));
    } else {
        connected(ctx, account, updated);
    }
}

/// `needs_you`: what each account that needs its person needs, and the command that does it.
pub fn status(ctx: &Ctx, accounts: &[Account], needs_you: &[String], secrets_location: &str) {
    let now = now_unix();
    if ctx.json {
        return print_json(&Value::Array(
            accounts.iter().map(|a| account_json(a, now)).collect(),
        ));
    }
    if accounts.is_empty() {
        println!("No account is connected. Connect one with `fitauth login`.");
        return;
    }
    let rows: Vec<[String; 6]> = accounts
        .iter()
        .map(|a| {
            [
                a.name.clone(),
                a.provider.as_str().to_owned(),
                who(a),
                a.effective_state(now).as_str().replace('_', " "),
                a.expires_at
                    .map(|e| when(e, now))
                    .unwrap_or_else(|| "—".into()),
                a.scopes_granted.join(" "),
            ]
        })
        .collect();
    let header = ["ACCOUNT", "PROVIDER", "USER", "STATE", "EXPIRES", "SCOPES"];
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 6]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == 5 {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
    }
    for sentence in needs_you {
        println!("\n{sentence}");
    }
    println!("\nTokens are kept in: {secrets_location}.");
}

pub fn renamed(ctx: &Ctx, account: &Account) {
    if ctx.json {
        return print_json(&account_json(account, now_unix()));
    }
    println!("Renamed to \"{}\".", account.name);
}

pub fn refreshed(ctx: &Ctx, account: &Account) {
    let now = now_unix();
    if ctx.json {
        return print_json(&account_json(account, now));
    }
    match account.expires_at {
        Some(exp) => println!("Refreshed. Access expires {}.", when(exp, now)),
        None => println!("Refreshed."),
    }
}

pub fn introspection(ctx: &Ctx, account: &Account, i: &Introspection) {
    let now = now_unix();
    if ctx.json {
        return print_json(&json!({
            "account": account.name,
            "source": i.source,
            "active": i.active,
            "scopes": i.scopes.iter().map(|s| s.scope.clone()).collect::<Vec<_>>(),
            "permissions": i.scopes.iter().map(|s| json!({"scope": s.scope, "permission": s.permission})).collect::<Vec<_>>(),
            "exp": i.expires_at,
            "iat": i.issued_at,
            "expires_at": i.expires_at.map(rfc3339),
            "issued_at": i.issued_at.map(rfc3339),
            "client_id": i.client_id,
            "user_id": i.user_id,
            "token_type": i.token_type,
            "access_type": i.access_type,
            "rate_limit": i.rate_limit,
            "fields": i.fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        }));
    }
    if !i.active {
        println!("The provider says this token is not active.");
        return;
    }
    println!("Active ({}).", i.source);
    if let Some(user) = &i.user_id {
        println!("User:    {user}");
    }
    if let Some(client) = &i.client_id {
        println!("Client:  {client}");
    }
    if let Some(exp) = i.expires_at {
        println!("Expires: {}", when(exp, now));
    }
    if let Some(iat) = i.issued_at {
        println!("Issued:  {}", rfc3339(iat));
    }
    println!("Scopes:");
    for s in &i.scopes {
        let perm = s
            .permission
            .as_deref()
            .map(|p| format!(" [{p}]"))
            .unwrap_or_default();
        println!("  {}{perm} — {}", s.scope, scopes::describe(&s.scope));
    }
    if let Some(rl) = i.rate_limit {
        if let (Some(remaining), Some(limit)) = (rl.remaining, rl.limit) {
            println!("Rate limit: {remaining} of {limit} requests left this hour.");
        }
    }
    if !i.fields.is_empty() {
        println!("As the provider said it:");
        for (name, value) in &i.fields {
            println!("  {name}: {value}");
        }
    }
}

pub fn revoked(ctx: &Ctx, account: &Account, outcome: Revoked) {
    if ctx.json {
        return print_json(
            &json!({ "account": account.name, "revoked": outcome, "state": account.state.as_str() }),
        );
    }
    println!("{}", outcome.sentence(&account.name));
}

pub fn decoded(ctx: &Ctx, d: &DecodedJwt) {
    if ctx.json {
        return print_json(&json!({
            "verification": d.verification,
            "header": d.header,
            "claims": d.claims,
            "fitbit_scopes": d.fitbit_scopes,
        }));
    }
    println!("JWT ({}):", d.verification);
    println!(
        "header: {}",
        serde_json::to_string_pretty(&d.header).unwrap_or_default()
    );
    println!(
        "claims: {}",
        serde_json::to_string_pretty(&d.claims).unwrap_or_default()
    );
    let now = now_unix();
    if let Some(exp) = d.expires_at {
        println!("expires: {} — {}", rfc3339(exp), relative(exp, now));
    }
    if !d.fitbit_scopes.is_empty() {
        println!("Fitbit scopes:");
        for s in &d.fitbit_scopes {
            println!("  {} [{}]", s.scope, s.permission.as_deref().unwrap_or("?"));
        }
    }
}

/// An API answer: with `include`, `HTTP 200 (84 ms)` and the headers first; then the body,
/// pretty when it is JSON (redacted like every logged exchange).
pub fn api_answer(ctx: &Ctx, account: &Account, answer: &ApiAnswer, include: bool) {
    if ctx.json {
        let body: serde_json::Value = serde_json::from_str(&answer.body)
            .unwrap_or_else(|_| serde_json::Value::String(answer.body.clone()));
        return print_json(&json!({
            "account": account.name,
            "method": answer.method,
            "url": answer.url,
            "status": answer.status,
            "duration_ms": answer.duration_ms,
            "headers": answer.headers,
            "body": body,
            "retried_after_refresh": answer.retried_after_refresh,
        }));
    }
    if include {
        println!("HTTP {} ({} ms)", answer.status, answer.duration_ms);
        for (name, value) in &answer.headers {
            println!("{name}: {value}");
        }
        println!();
    }
    println!("{}", answer.pretty_body());
}
