//! The built-in sandbox provider: `fitauth sandbox` runs it in the foreground, and
//! `fitauth login --provider sandbox` uses a running one or starts one in-process.

use clap::Args;
use fitauth_core::Error;
use fitauth_sandbox::{Sandbox, SandboxConfig};

/// Where `fitauth sandbox` listens unless told otherwise, and where logins look for it.
pub const DEFAULT_PORT: u16 = 8765;

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Skip the consent page: every authorization is approved at once.
    #[arg(long)]
    auto_approve: bool,
}

pub async fn run(args: SandboxArgs) -> Result<(), Error> {
    let sandbox = Sandbox::start(SandboxConfig {
        port: args.port,
        auto_approve: args.auto_approve,
        ..Default::default()
    })
    .await
    .map_err(|e| Error::Listen {
        address: format!("127.0.0.1:{}", args.port),
        reason: e.to_string(),
    })?;
    println!("fitauth sandbox listening on {}", sandbox.base_url());
    println!("Log in against it from another terminal: fitauth login --provider sandbox");
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    Ok(())
}

/// A sandbox to log in against: the one at `FITAUTH_SANDBOX_URL` or on the default port if it
/// answers, else a new one in this process (it lives until the login ends).
pub async fn ensure_running() -> Result<RunningSandbox, Error> {
    let candidate = std::env::var("FITAUTH_SANDBOX_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("http://127.0.0.1:{DEFAULT_PORT}"));
    if answers(&candidate).await {
        return Ok(RunningSandbox::External(
            candidate.trim_end_matches('/').to_owned(),
        ));
    }
    let sandbox = Sandbox::start_embedded()
        .await
        .map_err(|e| Error::SandboxUnavailable {
            reason: e.to_string(),
        })?;
    eprintln!(
        "Started the built-in sandbox at {} for this login. To keep using the account afterwards, \
         run `fitauth sandbox` and log in again.",
        sandbox.base_url()
    );
    Ok(RunningSandbox::Embedded(sandbox))
}

/// True when `base` is a Fitauth sandbox: its `/_sandbox/health` answers `{"ok":true}`.
async fn answers(base: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(host) = base.trim_end_matches('/').strip_prefix("http://") else {
        return false;
    };
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
        let request =
            format!("GET /_sandbox/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        let text = String::from_utf8_lossy(&response);
        Some(text.starts_with("HTTP/1.1 200") && text.contains("\"ok\":true"))
    };
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(1), probe).await,
        Ok(Some(true))
    )
}

pub enum RunningSandbox {
    External(String),
    Embedded(Sandbox),
}

impl RunningSandbox {
    pub fn base_url(&self) -> &str {
        match self {
            RunningSandbox::External(url) => url,
            RunningSandbox::Embedded(s) => s.base_url(),
        }
    }
}
