//! A one-shot loopback listener for the redirect (RFC 8252 §7.3): Google requires it for desktop
//! apps, and it is Fitbit's fallback when the `fitauth://` link is not registered.
//!
//! It binds `127.0.0.1` on an ephemeral port, answers the browser with a short page that says
//! what happened, and hands back the verified result. Requests for other paths (a browser's
//! `/favicon.ico`) get a 404 and are otherwise ignored. Dropping the future cancels the wait.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::authorize::PendingAuthorization;
use crate::clock::now_unix;
use crate::error::Error;
use crate::redirect::{Authorized, RedirectParams};

/// The path the redirect URI points at.
pub const CALLBACK_PATH: &str = "/callback";

const MAX_REQUEST_HEAD: usize = 16 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound listener waiting for one redirect.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl LoopbackListener {
    /// Binds `127.0.0.1:<port>`; port 0 picks a free one.
    pub async fn bind(port: u16) -> Result<Self, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| Error::Listen {
                address: format!("127.0.0.1:{port}"),
                reason: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| Error::Listen {
            address: format!("127.0.0.1:{port}"),
            reason: e.to_string(),
        })?;
        Ok(LoopbackListener { listener, addr })
    }

    /// `http://127.0.0.1:<port>/callback`, to send as `redirect_uri`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.addr.port())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Waits for the browser to arrive at the callback, verifies the redirect against `pending`
    /// and tells the browser the outcome. Only a redirect that carries this sign-in's `state`
    /// ends the wait (with its code, or with the provider's error such as consent denied); any
    /// other request to the callback — a wrong or missing state, a malformed query, a local
    /// program or web page poking the port — is answered 400 and ignored. Connections are read
    /// side by side, so one slow client cannot stall the real redirect. The wait ends when the
    /// sign-in expires (`AuthorizationExpired`).
    pub async fn accept(&self, pending: &PendingAuthorization) -> Result<Authorized, Error> {
        let left = (pending.expires_at - now_unix()).max(0) as u64;
        match tokio::time::timeout(Duration::from_secs(left), self.serve(pending)).await {
            Ok(result) => result,
            Err(_) => Err(Error::AuthorizationExpired),
        }
    }

    async fn serve(&self, pending: &PendingAuthorization) -> Result<Authorized, Error> {
        let (read_tx, mut read) = tokio::sync::mpsc::channel::<(TcpStream, Option<String>)>(16);
        loop {
            tokio::select! {
                conn = self.listener.accept() => match conn {
                    Ok((mut stream, _peer)) => {
                        let read_tx = read_tx.clone();
                        tokio::spawn(async move {
                            let target = read_request_target(&mut stream).await;
                            let _ = read_tx.send((stream, target)).await;
                        });
                    }
                    Err(e) => tracing::warn!(error = %e, "loopback accept failed"),
                },
                Some((mut stream, target)) = read.recv() => {
                    let Some(target) = target else {
                        respond(&mut stream, 400, "Bad request", "This is not a sign-in response.").await;
                        continue;
                    };
                    let path = target.split(['?', '#']).next().unwrap_or("");
                    if path != CALLBACK_PATH {
                        respond(&mut stream, 404, "Not found", "Nothing here.").await;
                        continue;
                    }
                    let result = RedirectParams::parse(&target).and_then(|p| p.verify(pending));
                    match &result {
                        Err(Error::StateMismatch | Error::MalformedRedirect(_)) => {
                            tracing::warn!("a request to the loopback callback was not this sign-in's; ignored");
                            respond(
                                &mut stream,
                                400,
                                "Not this sign-in",
                                "This address does not belong to the sign-in Fitauth is waiting for, \
                                 so it was ignored. Finish the sign-in in the tab Fitauth opened.",
                            )
                            .await;
                            continue;
                        }
                        Ok(_) => respond(
                            &mut stream,
                            200,
                            "Signed in",
                            "Fitauth received your sign-in. You can close this tab and return to the app.",
                        )
                        .await,
                        Err(e) => respond(&mut stream, 400, "Sign-in not completed", &e.one_line()).await,
                    }
                    tracing::info!("redirect received on the loopback listener");
                    return result;
                }
            }
        }
    }
}

/// Reads the request head (at most 16 KiB, for at most 10 seconds) and returns the request target
/// of a `GET` (RFC 9112 §3: `GET <target> HTTP/1.1`), or `None` for anything else. Public only
/// for the fuzz targets (`fuzz/`), which feed it bytes; the listener is its one real caller.
#[doc(hidden)]
pub async fn read_request_target(stream: &mut (impl AsyncRead + Unpin)) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
                return Some(());
            }
            if buf.len() > MAX_REQUEST_HEAD {
                return None;
            }
        }
    };
    tokio::time::timeout(READ_TIMEOUT, read).await.ok()??;
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next()?.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some("GET"), Some(target), Some(version)) if version.starts_with("HTTP/") => {
            Some(target.to_owned())
        }
        _ => None,
    }
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = page(title, message);
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(e) = stream.write_all(response.as_bytes()).await {
        tracing::debug!(error = %e, "could not answer the browser");
    }
    let _ = stream.shutdown().await;
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fitauth — {t}</title>\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;\
         line-height:1.5;color:#1d2b2c}}h1{{color:#00838a;font-size:1.4rem}}\
         @media(prefers-color-scheme:dark){{body{{background:#111a1b;color:#e6f0f0}}h1{{color:#4fd1d8}}}}</style>\
         </head><body><h1>{t}</h1><p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    )
}
