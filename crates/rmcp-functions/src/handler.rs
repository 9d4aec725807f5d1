//! [`CustomHandler`]: the settings and the policy a hosted server runs with, and the
//! routes, listener and shutdown sequence the Functions host expects.

use std::{
    borrow::Cow,
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
use hyper::server::conn::http1;
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown, service::TowerToHyperService};
use rmcp::ServerHandler;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{ConfigError, Settings, logging, open_files, transport};

/// The largest request body accepted by default, as rmcp's own default.
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The bytes of request bodies all requests in flight may hold together, by default
/// (`MCP_BODY_BUDGET_BYTES` sets it per deployment): 32 MiB.
///
/// Sized for the smallest Flex Consumption instance, 512 MB, which this process shares
/// with the Functions host (a .NET process of a few hundred MB). The process holds about
/// twice a body's size while rmcp decodes it (the `/mcp` layer's copy and rmcp's, then
/// rmcp's and the decoded message), so 32 MiB of bodies is about 64 MiB of memory at
/// the worst moment; with the idle 8 MiB and about 100 KiB per call in flight (250
/// calls: 25 MiB), the process stays under 128 MiB whatever the callers send
/// (bench/memory.sh measures it). It still lets eight bodies at the 4 MiB limit, or
/// hundreds of ordinary calls, be read at once.
pub const DEFAULT_BODY_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// How long, by default, a request waits for room in the body budget before it is
/// answered `503` with `Retry-After` (`MCP_BODY_BUDGET_WAIT_SECONDS` sets it): 20 s.
///
/// Long enough for a burst to drain: decoding runs at well over 100 MB/s, so in 20 s
/// the budget turns over some 2 GB, a burst of 250 bodies at the 4 MiB limit several
/// times. Short enough that the caller hears back well within MCP clients' usual
/// request timeouts (60 s in the official SDKs) and the Functions front end's 230 s,
/// and can retry, perhaps on another instance.
pub const DEFAULT_BODY_BUDGET_WAIT: Duration = Duration::from_secs(20);

/// The most a connection's read buffer holds, and so the largest request head (request
/// line and headers) accepted; a larger head is answered `431`. 64 KiB is four times
/// what Node.js accepts and twice nginx's default, room for built-in authentication's
/// principal and token headers. hyper's default, 400 KiB, would let 250 calls waiting
/// for room in the body budget hold 100 MB of their bodies in these buffers.
pub const MAX_READ_BUFFER_BYTES: usize = 64 * 1024;

/// How long in-flight requests may run after SIGTERM, by default, before they are
/// cancelled.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How often, by default, an SSE answer carries a keep-alive comment. With JSON answers
/// (the default of a stateless server) rmcp streams nothing, so this matters only to a
/// handler that answers with a stream.
pub const DEFAULT_SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Where built-in authentication's consent flow sends the browser back
/// (`post_login_redirect_uri`): a page that says the sign-in is done.
pub const SIGN_IN_RETURN_PATH: &str = "/authcomplete";

const SIGN_IN_RETURN_PAGE: &str = include_str!("authcomplete.html");

/// A custom handler: its [`Settings`] (from the environment) and its policy (from the
/// code), each policy item with a default that suits a server on Flex Consumption.
///
/// [`run`](Self::run) is all a `main` needs; [`bind`](Self::bind),
/// [`router`](Self::router) and [`serve`](Self::serve) are its parts, for tests and for
/// servers that add routes of their own.
#[derive(Debug, Clone)]
pub struct CustomHandler {
    settings: Settings,
    policy: Policy,
}

/// What the code decides, where the environment has no say.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) max_request_body_bytes: usize,
    pub(crate) shutdown_grace: Duration,
    pub(crate) sse_keep_alive: Option<Duration>,
    pub(crate) sign_in_return_page: Option<Cow<'static, str>>,
    pub(crate) body_budget_bytes: usize,
    pub(crate) body_budget_wait: Duration,
    pub(crate) serialized_tool_list: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            sse_keep_alive: Some(DEFAULT_SSE_KEEP_ALIVE),
            sign_in_return_page: Some(Cow::Borrowed(SIGN_IN_RETURN_PAGE)),
            body_budget_bytes: DEFAULT_BODY_BUDGET_BYTES,
            body_budget_wait: DEFAULT_BODY_BUDGET_WAIT,
            serialized_tool_list: true,
        }
    }
}

impl CustomHandler {
    /// A handler with these settings and the default policy.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            policy: Policy::default(),
        }
    }

    /// A handler with the settings the process environment gives ([`Settings::from_env`])
    /// and the default policy.
    pub fn from_env() -> Result<Self, ConfigError> {
        Settings::from_env().map(Self::new)
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The largest request body `/mcp` accepts; a larger one is answered `413` with a
    /// JSON-RPC error. Default: [`DEFAULT_MAX_REQUEST_BODY_BYTES`].
    pub fn max_request_body_bytes(mut self, bytes: usize) -> Self {
        self.policy.max_request_body_bytes = bytes;
        self
    }

    /// How long in-flight requests may run after SIGTERM before they are cancelled.
    /// Default: [`DEFAULT_SHUTDOWN_GRACE`].
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.policy.shutdown_grace = grace;
        self
    }

    /// How often a streamed (SSE) answer carries a keep-alive comment; `None` sends
    /// none. Default: [`DEFAULT_SSE_KEEP_ALIVE`].
    pub fn sse_keep_alive(mut self, interval: Option<Duration>) -> Self {
        self.policy.sse_keep_alive = interval;
        self
    }

    /// The HTML served at [`SIGN_IN_RETURN_PATH`], where built-in authentication's
    /// consent flow returns the browser; `None` serves no such page (404). Default: a
    /// short page saying the sign-in is done and the window can be closed.
    pub fn sign_in_return_page(mut self, html: Option<impl Into<Cow<'static, str>>>) -> Self {
        self.policy.sign_in_return_page = html.map(Into::into);
        self
    }

    /// The bytes of request bodies all requests in flight may hold together: a request
    /// whose body does not fit waits for room (in order of arrival) for
    /// [`body_budget_wait`](Self::body_budget_wait), then is answered `503` with
    /// `Retry-After` and a JSON-RPC error. A body larger than the whole budget (but within
    /// [`max_request_body_bytes`](Self::max_request_body_bytes)) is read alone.
    /// `MCP_BODY_BUDGET_BYTES`, when set, takes precedence. Default:
    /// [`DEFAULT_BODY_BUDGET_BYTES`], whose documentation explains the size.
    pub fn body_budget_bytes(mut self, bytes: usize) -> Self {
        self.policy.body_budget_bytes = bytes;
        self
    }

    /// How long a request may wait for room in the body budget.
    /// `MCP_BODY_BUDGET_WAIT_SECONDS`, when set, takes precedence. Default:
    /// [`DEFAULT_BODY_BUDGET_WAIT`].
    pub fn body_budget_wait(mut self, wait: Duration) -> Self {
        self.policy.body_budget_wait = wait;
        self
    }

    /// Whether a handler that answers `tools/list` through [`ToolList`](crate::ToolList)
    /// has its list serialized once and spliced into rmcp's answer (`true`), or answers
    /// the full list for rmcp to serialize on every call (`false`). The answer's bytes
    /// are the same either way; the switch is there in case an rmcp release changes how
    /// it writes the answer before this crate follows. Default: `true`.
    pub fn serialized_tool_list(mut self, on: bool) -> Self {
        self.policy.serialized_tool_list = on;
        self
    }

    /// Raises the open-files limit as far as the system allows, binds, serves `server`
    /// until SIGTERM or Ctrl-C, and says how it went as an exit status.
    pub async fn run<S>(self, server: S) -> ExitCode
    where
        S: ServerHandler + Clone + Send + Sync + 'static,
    {
        open_files::raise_limit();
        let shutdown = shutdown_signal();
        let listener = match self.bind().await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        match self.serve(listener, server, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("server failed: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// Listens on the IPv4 loopback address: the host dials `127.0.0.1`, and nothing
    /// else should reach the handler. The error names the setting the port came from.
    pub async fn bind(&self) -> io::Result<TcpListener> {
        let port = self.settings.port;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port.number));
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            io::Error::new(e.kind(), format!("cannot listen on {addr} ({port}): {e}"))
        })?;
        match listener.local_addr() {
            Ok(bound) => tracing::info!("listening on http://{bound}/mcp"),
            Err(e) => tracing::warn!("listening, but the bound address is unknown: {e}"),
        }
        Ok(listener)
    }

    /// The routes: `GET /` (readiness), `/mcp`, the sign-in return page, and 404 for the
    /// rest, all logged. `mcp_cancel` ends in-flight MCP requests when fired.
    pub fn router<S>(&self, server: S, mcp_cancel: CancellationToken) -> Router
    where
        S: ServerHandler + Clone + Send + Sync + 'static,
    {
        let mut router = Router::new().route("/", get(ready));
        if let Some(page) = self.policy.sign_in_return_page.clone() {
            router = router.route(
                SIGN_IN_RETURN_PATH,
                get(move || async move { ([(header::CACHE_CONTROL, "no-store")], Html(page)) }),
            );
        }
        router
            .merge(transport::router(
                server,
                &self.settings,
                &self.policy,
                mcp_cancel,
            ))
            .fallback(not_found)
            .layer(middleware::from_fn(logging::log_request))
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, lets
    /// in-flight requests run for the shutdown grace, cancels what is left and returns.
    ///
    /// The listener is bound by the caller before anything slow runs, so the host's
    /// readiness probe is answered as soon as this starts.
    ///
    /// Each connection is served by hyper's HTTP/1 server with a read buffer of at most
    /// [`MAX_READ_BUFFER_BYTES`] (hyper's default is 400 KiB): a connection whose request
    /// waits for room in the body budget holds what hyper has read of its body, so this
    /// is what bounds the memory of the calls the budget keeps waiting.
    pub async fn serve<S>(
        &self,
        listener: TcpListener,
        server: S,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()>
    where
        S: ServerHandler + Clone + Send + Sync + 'static,
    {
        // Cancelling rmcp's token answers in-flight requests with an error at once, so
        // it fires only after the grace period; stopping the accept loop comes first.
        let mcp_cancel = CancellationToken::new();
        let app = self.router(server, mcp_cancel.clone());
        let connections = GracefulShutdown::new();
        let mut http = http1::Builder::new();
        http.max_buf_size(MAX_READ_BUFFER_BYTES);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let service = TowerToHyperService::new(app.clone());
                        let connection = http.serve_connection(TokioIo::new(stream), service);
                        let connection = connections.watch(connection);
                        tokio::spawn(async move {
                            if let Err(e) = connection.await {
                                tracing::debug!("connection ended with an error: {e}");
                            }
                        });
                    }
                    Err(e) => accept_failed(e).await,
                },
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        let grace = self.policy.shutdown_grace;
        tracing::info!(
            "shutting down: no new connections; in-flight requests have {} s to finish",
            grace.as_secs_f64()
        );
        let finished = connections.shutdown();
        tokio::pin!(finished);
        if tokio::time::timeout(grace, &mut finished).await.is_ok() {
            return Ok(());
        }
        tracing::warn!("in-flight requests did not finish in time; cancelling them");
        mcp_cancel.cancel();
        // Cancelled MCP requests answer at once; give them a moment to be written.
        let _ = tokio::time::timeout(Duration::from_secs(1), finished).await;
        Ok(())
    }
}

/// What to do when `accept` fails: a connection that failed before it was accepted is
/// the client's business; anything else (out of file descriptors) is logged, and the
/// loop pauses a moment rather than spin, as axum's own server does.
async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("cannot accept a connection: {error}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Completes on Ctrl-C or SIGTERM (what the host and `func start` send).
///
/// The signals are caught from the moment this is called, not from the first poll:
/// [`CustomHandler::run`] calls it before it binds, so a SIGTERM that arrives as soon as
/// the "listening" line is out still shuts down gracefully rather than killing the
/// process.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            tokio::select! {
                () = first_of(interrupt, "Ctrl-C") => {}
                () = first_of(terminate, "SIGTERM") => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    }
}

/// Completes when `listener` receives its signal; never, when it could not be set up.
#[cfg(unix)]
async fn first_of(listener: io::Result<tokio::signal::unix::Signal>, name: &str) {
    match listener {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(e) => {
            tracing::warn!("cannot listen for {name}: {e}");
            std::future::pending::<()>().await;
        }
    }
}

/// The readiness probe. The host polls it every 25 ms for up to 30 s before it
/// forwards anything, so it answers at once and touches nothing.
///
/// It also says which `Host` and `X-Forwarded-Host` the request arrived with (those
/// two values only; neither is secret). Which `Host` the platform's proxy forwards is
/// not documented: the smoke check reads this line after a deployment, and it names
/// the value `MCP_ALLOWED_HOSTS` needs if `/mcp` refuses it.
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

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        "Not found. The MCP endpoint is /mcp\n",
    )
}
