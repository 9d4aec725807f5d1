//! Hosting any rmcp server as an Azure Functions custom handler.
//!
//! Everything here is about the Functions host, nothing about our tools: it takes any
//! [`ServerHandler`] that is `Clone` (rmcp asks for a fresh handler on every stateless
//! request, so cloning should be an `Arc` increment) and serves it the way the host
//! expects:
//!
//! - it listens on `127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT` ([`Settings`]);
//! - `GET /` answers at once: the host polls it before it forwards anything;
//! - `/mcp` is rmcp's stateless streamable-HTTP service behind the `Host` and `Origin`
//!   allow-lists, with every refusal turned into a JSON-RPC error body ([`transport`]);
//! - one log line per request, never a header value ([`logging`]);
//! - a handler that answers `tools/list` through [`ToolList`] has its tool list
//!   serialized once, not on every call ([`tool_list`]);
//! - on SIGTERM it stops accepting, lets in-flight requests finish for
//!   [`SHUTDOWN_GRACE`], then cancels what is left.
//!
//! A whole `main` is four steps, as in `examples/calculator.rs`:
//!
//! ```no_run
//! # use rmcp::{ServerHandler, model::ServerConfig};
//! # #[derive(Clone)] struct MyServer;
//! # impl ServerHandler for MyServer { fn get_info(&self) -> ServerConfig { ServerConfig::default() } }
//! use rust_mcp_functions::hosting;
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let settings = match hosting::Settings::from_env() {
//!         Ok(settings) => settings,
//!         Err(e) => {
//!             eprintln!("error: {e}");
//!             return std::process::ExitCode::FAILURE;
//!         }
//!     };
//!     hosting::init_logging(&settings);
//!     hosting::run(&settings, MyServer).await
//! }
//! ```

mod logging;
mod open_files;
mod settings;
mod tool_list;
mod transport;

use std::{
    future::Future,
    io,
    net::{Ipv4Addr, SocketAddr},
    process::ExitCode,
    time::Duration,
};

use axum::{
    Router,
    http::{HeaderMap, StatusCode, header},
    middleware,
    response::{Html, IntoResponse},
    routing::get,
};
use rmcp::ServerHandler;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use self::{
    logging::{init_logging, invocation_id},
    settings::{
        ConfigError, DEFAULT_LOG_FILTER, DEFAULT_PORT, LogFormat, PORT_VAR, Port, PortSource,
        Settings,
    },
    tool_list::ToolList,
    transport::MAX_REQUEST_BODY_BYTES,
};

/// How long in-flight requests may run after SIGTERM before they are cancelled.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The header the Functions host sends each forwarded request's invocation id in.
pub const INVOCATION_ID_HEADER: &str = "x-azure-functions-invocationid";

const AUTH_COMPLETE_PAGE: &str = include_str!("authcomplete.html");

/// Raises the open-files limit as far as the system allows ([`open_files`]), binds,
/// serves `server` until SIGTERM or Ctrl-C, and says how it went: what a custom
/// handler's `main` does after reading its settings and starting its logs.
pub async fn run<S>(settings: &Settings, server: S) -> ExitCode
where
    S: ServerHandler + Clone + Send + Sync + 'static,
{
    open_files::raise_limit();
    let listener = match bind(settings).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match serve(listener, server, settings, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Listens on the IPv4 loopback address: the host dials `127.0.0.1`, and nothing
/// else should reach the handler. The error names the setting the port came from.
pub async fn bind(settings: &Settings) -> io::Result<TcpListener> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, settings.port.number));
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on {addr} ({}): {e}", settings.port),
        )
    })?;
    match listener.local_addr() {
        Ok(bound) => tracing::info!("listening on http://{bound}/mcp"),
        Err(e) => tracing::warn!("listening, but the bound address is unknown: {e}"),
    }
    Ok(listener)
}

/// The routes: `GET /` (readiness), `/mcp`, `GET /authcomplete` (where the built-in
/// authentication consent flow sends the browser back), and 404 for the rest, all
/// logged. `mcp_cancel` ends in-flight MCP requests when fired.
pub fn router<S>(server: S, settings: &Settings, mcp_cancel: CancellationToken) -> Router
where
    S: ServerHandler + Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(ready))
        .route("/authcomplete", get(auth_complete))
        .merge(transport::router(server, settings, mcp_cancel))
        .fallback(not_found)
        .layer(middleware::from_fn(logging::log_request))
}

/// Serves on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests run for [`SHUTDOWN_GRACE`], cancels what is left and returns.
///
/// The listener is bound by the caller before anything slow runs, so the host's
/// readiness probe is answered as soon as this starts.
pub async fn serve<S>(
    listener: TcpListener,
    server: S,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    S: ServerHandler + Clone + Send + Sync + 'static,
{
    // Cancelling rmcp's token answers in-flight requests with an error at once, so it
    // fires only after the grace period; stopping the accept loop comes first.
    let mcp_cancel = CancellationToken::new();
    let stop_accepting = CancellationToken::new();
    let app = router(server, settings, mcp_cancel.clone());
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
    let _ = tokio::time::timeout(Duration::from_secs(1), server).await;
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

/// The readiness probe. The host polls it every 25 ms for up to 30 s before it
/// forwards anything, so it answers at once and touches nothing.
///
/// It also says which `Host` and `X-Forwarded-Host` the request arrived with (those
/// two values only; neither is secret). Which `Host` the platform's proxy forwards is
/// not documented: the smoke check (`src/bin/smoke`) reads this line after a
/// deployment, and it names the value `MCP_ALLOWED_HOSTS` needs if `/mcp` refuses it.
async fn ready(headers: HeaderMap) -> String {
    format!(
        "MCP custom handler is running. MCP endpoint: /mcp\n\
         This request arrived with Host: {}; X-Forwarded-Host: {}\n",
        header_text(&headers, header::HOST.as_str()),
        header_text(&headers, "x-forwarded-host"),
    )
}

/// A header's value as text: `(none)` when absent, `(not printable)` when it is not
/// visible ASCII.
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
