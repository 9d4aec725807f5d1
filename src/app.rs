//! The HTTP application: routes, request logging and graceful shutdown.
//!
//! Routes:
//! - `GET /`: readiness. The Functions host polls it (every 25 ms, for at most 30 s)
//!   before it forwards any request, so it answers at once and touches nothing.
//! - `/mcp`: the MCP endpoint ([`crate::server::transport`]).
//! - `GET /authcomplete`: where the Easy Auth consent flow sends the browser back.

use std::{future::Future, io};

use axum::{
    Router,
    http::{HeaderMap, StatusCode, header},
    middleware,
    response::{Html, IntoResponse},
    routing::get,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Config, SHUTDOWN_GRACE, StorageConfig},
    server::{McpServer, transport},
    snippets::Snippets,
    telemetry,
    weather::Weather,
};

const AUTH_COMPLETE_PAGE: &str = include_str!("authcomplete.html");

/// Builds the router. `mcp_cancel` ends in-flight MCP requests when fired.
pub fn router(config: &Config, server: McpServer, mcp_cancel: CancellationToken) -> Router {
    Router::new()
        .route("/", get(ready))
        .route("/authcomplete", get(auth_complete))
        .merge(transport::router(
            server,
            config.allowed_hosts.clone(),
            config.allowed_origins.clone(),
            mcp_cancel,
        ))
        .fallback(not_found)
        .layer(middleware::from_fn(telemetry::log_request))
}

/// Serves on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests run for [`SHUTDOWN_GRACE`], cancels what is left and returns.
///
/// The listener is bound by the caller before anything slow runs, so the host's
/// readiness probe is answered as soon as this starts.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Building the snippet store does no I/O: storage is reached on first use, so
    // a storage outage can neither delay nor fail start-up.
    let snippets = Snippets::new(config.storage.clone());
    match &config.storage {
        StorageConfig::Missing { reason } => tracing::warn!("snippet storage: {reason}"),
        _ => tracing::info!("snippet storage: {}", snippets.description()),
    }
    let server = McpServer::new(Weather::new(config.weather.clone()), snippets);
    let mcp_cancel = CancellationToken::new();
    let app = router(&config, server, mcp_cancel.clone());

    let stop_accepting = CancellationToken::new();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(stop_accepting.clone().cancelled_owned())
        .into_future();
    tokio::pin!(server);

    tokio::select! {
        result = &mut server => return result,
        () = shutdown => {}
    }
    tracing::info!(
        "shutting down: no new connections; in-flight requests have {} s to finish",
        SHUTDOWN_GRACE.as_secs()
    );
    stop_accepting.cancel();
    if let Ok(result) = tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
        return result;
    }
    tracing::warn!("in-flight requests did not finish in time; cancelling them");
    mcp_cancel.cancel();
    // Cancelled MCP requests answer at once; give them a moment to be written.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), server).await;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM (what the host and `func start` send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Readiness, plus the `Host` and `X-Forwarded-Host` this request arrived with (only
/// those two header values, which are not secret). Which `Host` the platform's proxy
/// forwards is not documented; the smoke check (`src/bin/smoke`) reads this line after a
/// deployment, and it names the value `MCP_ALLOWED_HOSTS` needs if `/mcp` refuses it.
async fn ready(headers: HeaderMap) -> String {
    format!(
        "{} {} is running. MCP endpoint: /mcp\nThis request arrived with Host: {}; X-Forwarded-Host: {}\n",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        header_text(&headers, header::HOST.as_str()),
        header_text(&headers, "x-forwarded-host"),
    )
}

/// A header's value as text, `(none)` when absent, `(not printable)` when not visible ASCII.
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    match headers.get(name) {
        None => "(none)",
        Some(value) => value.to_str().unwrap_or("(not printable)"),
    }
}

async fn auth_complete() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(AUTH_COMPLETE_PAGE),
    )
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        "Not found. The MCP endpoint is /mcp\n",
    )
}
