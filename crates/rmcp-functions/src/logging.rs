//! Logging to stdout, which the Functions host collects into its own logs (and so
//! into Application Insights).
//!
//! Request logging writes chosen fields only, never headers: `x-functions-key`,
//! `Authorization`, cookies and built-in authentication's principal headers all
//! arrive as headers, so the safest rule is that no header value is ever written
//! out, except the host's invocation id, the trace id of a valid `traceparent` (and,
//! once, the `Host` the proxy sends).
//!
//! Values a caller chooses (the JSON-RPC method, a tool name, a resource URI, a snippet
//! name) are cut with [`clip`] before they are logged, and no line is longer than
//! [`MAX_LOG_LINE_BYTES`](crate::MAX_LOG_LINE_BYTES) whatever the request ([`crate::log_format`]).

use std::{
    borrow::Cow,
    io::IsTerminal,
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use axum::{extract::Request, middleware::Next, response::Response};
use http::HeaderMap;
use rmcp::{RoleServer, service::RequestContext};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::{
    DEFAULT_LOG_FILTER, LogFormat, Settings,
    log_format::{BoundedStdout, Line, floor_char_boundary},
};

/// The header the Functions host sends each forwarded request's invocation id in.
pub const INVOCATION_ID_HEADER: &str = "x-azure-functions-invocationid";

/// The W3C Trace Context header. Its trace id is what Application Insights shows as
/// the request's operation id.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// How much of a value a caller chose is logged; the rest is replaced by a marker
/// saying how many bytes were cut ([`clip`]).
pub const MAX_LOGGED_VALUE_BYTES: usize = 256;

/// A value a caller chose (a method, tool name, resource URI, snippet name), cut for a
/// log line: at most [`MAX_LOGGED_VALUE_BYTES`] of it, at a character boundary, and
/// `…[N bytes cut]` when there was more. Such values have no length limit of their own
/// but the request body's, and a log line is billed by its bytes.
pub fn clip(value: &str) -> Cow<'_, str> {
    if value.len() <= MAX_LOGGED_VALUE_BYTES {
        return Cow::Borrowed(value);
    }
    let end = floor_char_boundary(value, MAX_LOGGED_VALUE_BYTES);
    Cow::Owned(format!(
        "{}…[{} bytes cut]",
        &value[..end],
        value.len() - end
    ))
}

/// The trace id (32 lowercase hex digits) of the request's `traceparent` header, when
/// it has exactly one valid one ([`trace_id_in`]); for a tool's log lines, as
/// [`invocation_id`] is.
pub fn trace_id(context: &RequestContext<RoleServer>) -> Option<&str> {
    trace_id_in(&context.extensions.get::<http::request::Parts>()?.headers)
}

/// The trace id of the one `traceparent` header in `headers`, if it is valid by W3C
/// Trace Context level 1: version `00`, then a trace id of 32 and a parent id of 16
/// lowercase hex digits, neither all zeros, and two hex digits of flags, separated by
/// `-`, 55 characters in all. Anything else (another version, upper case, two headers)
/// is ignored, as the recommendation says a receiver should, rather than logged: the
/// value comes from the caller.
pub(crate) fn trace_id_in(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(TRACEPARENT_HEADER).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    parse_traceparent(value.to_str().ok()?)
}

fn parse_traceparent(value: &str) -> Option<&str> {
    let bytes = value.as_bytes();
    let is_hex = |part: &[u8]| {
        part.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    };
    let not_zero = |part: &[u8]| part.iter().any(|b| *b != b'0');
    let valid = bytes.len() == 55
        && &bytes[..3] == b"00-"
        && bytes[35] == b'-'
        && bytes[52] == b'-'
        && is_hex(&bytes[3..35])
        && not_zero(&bytes[3..35])
        && is_hex(&bytes[36..52])
        && not_zero(&bytes[36..52])
        && is_hex(&bytes[53..55]);
    valid.then(|| &value[3..35])
}

/// Installs the global subscriber. An invalid `RUST_LOG` falls back to the default
/// filter with a warning rather than stopping the server.
pub fn init_logging(settings: &Settings) {
    let (filter, filter_error) = match EnvFilter::try_new(without_payloads(&settings.log_filter)) {
        Ok(filter) => (filter, None),
        Err(e) => (EnvFilter::new(DEFAULT_LOG_FILTER), Some(e)),
    };
    // Span fields (a tool call's invocation id) come out as `"span": {...}` in JSON.
    let line = match settings.log_format {
        LogFormat::Json => Line::json(),
        LogFormat::Text => Line::text(std::io::stdout().is_terminal()),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .event_format(line)
                .fmt_fields(line.fields())
                .with_writer(BoundedStdout),
        )
        .init();
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
///
/// The Functions host sets it, but a caller reaching the handler directly can send any
/// value: a span field of it is cut like any other value, at
/// [`MAX_LOG_LINE_BYTES`](crate::MAX_LOG_LINE_BYTES)-bounded length.
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
/// through the response's extensions. Both values come from the caller: they are
/// [`clip`]ped.
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
/// tool, the host's invocation id for correlation with its own logs, and the trace id
/// of the request's `traceparent`, which is the operation id Application Insights
/// gives the host's record of the same request.
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    log_first_request_hosts(&request);
    let started = Instant::now();
    let method = request.method().clone();
    // The path only: a query string could carry `?code=<function key>`.
    let path = clip(request.uri().path()).into_owned();
    let invocation_id = request
        .headers()
        .get(INVOCATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|id| clip(id).into_owned());
    let trace_id = trace_id_in(request.headers()).map(str::to_owned);

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
        trace_id = trace_id.as_deref(),
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::EnvFilter;

    use super::{MAX_LOGGED_VALUE_BYTES, clip, parse_traceparent, without_payloads};
    use crate::DEFAULT_LOG_FILTER;

    #[test]
    fn a_long_value_is_clipped_with_a_marker() {
        assert_eq!(clip("tools/call"), "tools/call");
        let long = "é".repeat(1000);
        let clipped = clip(&long);
        let (kept, marker) = clipped.split_once('…').unwrap();
        assert!(kept.len() <= MAX_LOGGED_VALUE_BYTES && long.starts_with(kept));
        assert_eq!(marker, format!("[{} bytes cut]", long.len() - kept.len()));
    }

    #[test]
    fn only_a_valid_version_00_traceparent_gives_a_trace_id() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            parse_traceparent(valid),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for invalid in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-0",
        ] {
            assert_eq!(parse_traceparent(invalid), None, "{invalid}");
        }
    }

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
