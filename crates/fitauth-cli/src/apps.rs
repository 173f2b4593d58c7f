//! `fitauth apps add|list|remove`: app registrations shared with the desktop app.

use clap::{Args, Subcommand};
use fitauth_core::{AppRegistration, AppType, ClientSecret, Error, ProviderKind, RedirectMode};
use serde_json::json;

use crate::Ctx;

#[derive(Subcommand, Debug)]
pub enum AppsCommand {
    /// Add or replace a registration.
    Add(AddArgs),
    /// List registrations (secrets are never shown).
    List,
    /// Remove a registration and its stored secret.
    Remove {
        /// The registration's name.
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// fitbit or google-health.
    #[arg(long)]
    provider: String,
    #[arg(long)]
    client_id: String,
    /// Also read from FITAUTH_CLIENT_SECRET.
    #[arg(long, env = "FITAUTH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    #[arg(long, default_value = "client")]
    app_type: String,
    #[arg(long, default_value = "loopback")]
    redirect: String,
    /// Move every endpoint of the provider to this base URL.
    #[arg(long)]
    base_url: Option<String>,
    /// Name (defaults to the client id).
    #[arg(long)]
    name: Option<String>,
}

pub async fn run(ctx: &Ctx, cmd: AppsCommand) -> Result<(), Error> {
    let store = ctx.store()?;
    match cmd {
        AppsCommand::Add(args) => {
            let kind: ProviderKind = args.provider.parse()?;
            let app = AppRegistration {
                name: args.name.unwrap_or_else(|| args.client_id.clone()),
                provider: kind,
                client_id: args.client_id,
                app_type: args.app_type.parse::<AppType>()?,
                redirect: args.redirect.parse::<RedirectMode>()?,
                base_url: args.base_url,
                endpoints: None,
                has_client_secret: false,
            };
            app.provider()?; // validates base_url
            let secret = args
                .client_secret
                .filter(|s| !s.is_empty())
                .map(ClientSecret::new);
            let app = store.save_app(app, secret.as_ref())?;
            if ctx.json {
                println!("{}", serde_json::to_string_pretty(&app).unwrap_or_default());
            } else {
                println!("Saved app \"{}\".", app.name);
                let redirect = match app.redirect {
                    RedirectMode::Scheme => "fitauth://callback".to_owned(),
                    RedirectMode::Loopback => "http://127.0.0.1/callback (any port)".to_owned(),
                };
                println!("Register this redirect URI with the provider: {redirect}");
            }
        }
        AppsCommand::List => {
            let meta = store.load()?;
            if ctx.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!(meta.apps)).unwrap_or_default()
                );
            } else if meta.apps.is_empty() {
                println!("No app registrations yet. Add one with `fitauth apps add`.");
            } else {
                for app in &meta.apps {
                    let secret = if app.has_client_secret {
                        "secret in keyring"
                    } else {
                        "no secret"
                    };
                    let endpoints = app.base_url.as_deref().unwrap_or("default endpoints");
                    println!(
                        "{}  {} {} app, client id {}, {}, {:?} redirect, {}",
                        app.name,
                        app.provider,
                        app.app_type,
                        app.client_id,
                        secret,
                        app.redirect,
                        endpoints
                    );
                }
            }
        }
        AppsCommand::Remove { name } => {
            store.remove_app(&name)?;
            if !ctx.json {
                println!("Removed app \"{name}\".");
            }
        }
    }
    Ok(())
}
