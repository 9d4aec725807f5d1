//! Logging to stdout, which the Functions host collects into its own logs (and so
//! into Application Insights).
//!
//! Request logging writes chosen fields only, never headers: `x-functions-key`,
//! `Authorization`, cookies and built-in authentication's principal headers all
//! arrive as headers, so the safest rule is that no header value is ever written
//! out, except the host's invocation id (and, once, the `Host` the proxy sends).

use std::{
    io::IsTerminal,
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use axum::{extract::Request, middleware::Next, response::Response};
use rmcp::{RoleServer, service::RequestContext};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::{DEFAULT_LOG_FILTER, LogFormat, Settings};

/// The header the Functions host sends each forwarded request's invocation id in.
pub const INVOCATION_ID_HEADER: &str = "x-azure-functions-invocationid";

/// Installs the global subscriber. An invalid `RUST_LOG` falls back to the default
/// filter with a warning rather than stopping the server.
pub fn init_logging(settings: &Settings) {
    let (filter, filter_error) = match EnvFilter::try_new(without_payloads(&settings.log_filter)) {
        Ok(filter) => (filter, None),
        Err(e) => (EnvFilter::new(DEFAULT_LOG_FILTER), Some(e)),
    };
    let registry = tracing_subscriber::registry().with(filter);
    match settings.log_format {
        // Span fields (a tool call's invocation id) come out as `"span": {...}`.
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .init(),
        LogFormat::Text => registry
            .with(fmt::layer().with_ansi(std::io::stdout().is_terminal()))
            .init(),
    }
    if let Some(e) = filter_error {
        tracing::warn!("RUST_LOG is not a valid filter ({e}); using {DEFAULT_LOG_FILTER}");
    }
}

/// rmcp writes whole messages at debug level: tool arguments and results, which hold
/// snippet texts and users' names. A filter that does not name rmcp (`RUST_LOG=debug`
/// to look at this server) keeps rmcp at `info`; naming it (`rmcp=debug`) is how an
/// operator asks for the messages on purpose.
fn without_payloads(filter: &str) -> String {
    if names_rmcp(filter) {
        filter.to_owned()
    } else {
        format!("{filter},rmcp::=info")
    }
}

/// Whether a directive of `filter` is about rmcp's own targets (`rmcp`, `rmcp::…`), not
/// merely about a target that starts with the same letters, such as `rmcp_functions`.
fn names_rmcp(filter: &str) -> bool {
    filter.split(',').any(|directive| {
        let target = directive.split(['=', '[']).next().unwrap_or("").trim();
        target == "rmcp" || target.starts_with("rmcp::")
    })
}

/// The Functions host's invocation id of the HTTP request behind an MCP request, for
/// log lines written while handling it (rmcp hands the handler the request's parts).
pub fn invocation_id(context: &RequestContext<RoleServer>) -> Option<&str> {
    context
        .extensions
        .get::<http::request::Parts>()?
        .headers
        .get(INVOCATION_ID_HEADER)?
        .to_str()
        .ok()
}

/// What the MCP layer learned about a request, passed back to the request log
/// through the response's extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct McpCall {
    /// The JSON-RPC method, e.g. `tools/call`.
    pub method: Option<String>,
    /// The tool name, for `tools/call`.
    pub tool: Option<String>,
}

/// Set once the first proxied request has been described.
static FIRST_REQUEST_LOGGED: AtomicBool = AtomicBool::new(false);

/// Logs, once per process, the `Host` and `X-Forwarded-*` headers of the first request
/// other than the readiness probe. Which `Host` the Functions host's proxy sends is
/// not documented, and the allow-list depends on it: this line answers the question
/// on the first deployment. None of these headers carries a secret.
fn log_first_request_hosts(request: &Request) {
    if request.uri().path() == "/" || FIRST_REQUEST_LOGGED.swap(true, Ordering::Relaxed) {
        return;
    }
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned()
    };
    tracing::info!(
        host = header("host"),
        x_forwarded_host = header("x-forwarded-host"),
        x_forwarded_proto = header("x-forwarded-proto"),
        "first request: the Host this server sees (allowed hosts must include it)"
    );
}

/// Writes one line per request: method, path, status, latency, MCP method and
/// tool, and the host's invocation id for correlation with its own logs.
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    log_first_request_hosts(&request);
    let started = Instant::now();
    let method = request.method().clone();
    // The path only: a query string could carry `?code=<function key>`.
    let path = request.uri().path().to_owned();
    let invocation_id = request
        .headers()
        .get(INVOCATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let response = next.run(request).await;

    let call = response.extensions().get::<McpCall>();
    // Rounded to 10 µs: a number in JSON logs, short in text logs.
    let latency_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms,
        mcp_method = call.and_then(|c| c.method.as_deref()),
        tool = call.and_then(|c| c.tool.as_deref()),
        invocation_id = invocation_id.as_deref(),
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::EnvFilter;

    use super::without_payloads;
    use crate::DEFAULT_LOG_FILTER;

    /// The default must parse, or every server would start on the fallback with a
    /// warning.
    #[test]
    fn the_default_filter_is_valid() {
        assert!(EnvFilter::try_new(without_payloads(DEFAULT_LOG_FILTER)).is_ok());
    }

    #[test]
    fn rmcp_messages_stay_out_unless_rmcp_is_named() {
        assert_eq!(without_payloads("debug"), "debug,rmcp::=info");
        assert_eq!(
            without_payloads("debug,rmcp_functions=trace"),
            "debug,rmcp_functions=trace,rmcp::=info"
        );
        assert_eq!(without_payloads("info,rmcp=warn"), "info,rmcp=warn");
        assert_eq!(without_payloads("info,rmcp::=warn"), "info,rmcp::=warn");
        assert_eq!(
            without_payloads("rmcp::service=debug"),
            "rmcp::service=debug"
        );
    }
}
