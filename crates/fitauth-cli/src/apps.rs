//! `fitauth apps add|list|remove`: app registrations shared with the desktop app, built and
//! checked by the same builder as the desktop's Apps form.

use clap::{Args, Subcommand};
use fitauth_core::service::apps::{redirect_uris, RegistrationInput};
use fitauth_core::{ClientSecret, Error, ProviderKind};
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
    /// Google: the project's OAuth consent screen is in Testing, so refresh tokens end seven
    /// days after consent (Fitauth warns a day before).
    #[arg(long)]
    testing: bool,
}

impl AddArgs {
    fn input(self) -> Result<RegistrationInput, Error> {
        Ok(RegistrationInput {
            name: self.name.unwrap_or_else(|| self.client_id.clone()),
            provider: self.provider.parse::<ProviderKind>()?,
            client_id: self.client_id,
            app_type: self.app_type.parse()?,
            redirect: self.redirect.parse()?,
            base_url: self.base_url,
            client_secret: self.client_secret.map(ClientSecret::new),
            testing: self.testing,
        })
    }
}

pub async fn run(ctx: &Ctx, cmd: AppsCommand) -> Result<(), Error> {
    let fitauth = ctx.fitauth()?;
    match cmd {
        AppsCommand::Add(args) => {
            let app = fitauth.save_registration(args.input()?).await?;
            let advice = redirect_uris(&app);
            if ctx.json {
                let mut value = json!(app);
                value["redirect_uris"] = json!(advice.uris);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            } else {
                println!("Saved app \"{}\".", app.name);
                match advice.uris.as_slice() {
                    [] => {}
                    [one] => println!("Register this redirect URL with the provider: {one}"),
                    many => {
                        println!("Register these redirect URLs with the provider:");
                        for uri in many {
                            println!("  {uri}");
                        }
                    }
                }
                println!("{}", advice.note);
            }
        }
        AppsCommand::List => {
            let apps = fitauth.registrations().await?;
            if ctx.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!(apps)).unwrap_or_default()
                );
            } else if apps.is_empty() {
                println!("No app registrations yet. Add one with `fitauth apps add`.");
            } else {
                for app in &apps {
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
            fitauth.remove_registration(&name).await?;
            if !ctx.json {
                println!("Removed app \"{name}\".");
            }
        }
    }
    Ok(())
}
