//! Host any [rmcp](https://crates.io/crates/rmcp) server as an Azure Functions custom
//! handler.
//!
//! The Functions host starts the handler's binary with `FUNCTIONS_CUSTOMHANDLER_PORT`,
//! polls `GET /` until it answers, then forwards every request to it. This crate does
//! that part for any [`ServerHandler`] that is `Clone` (rmcp asks for a fresh handler on
//! every stateless request, so cloning should be an `Arc` increment):
//!
//! - it listens on `127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT`, 7071 without it, the port
//!   `func start` serves on ([`Settings`]);
//! - `GET /` answers at once: the host polls it before it forwards anything;
//! - `/mcp` is rmcp's stateless streamable-HTTP service (JSON answers, no session) behind
//!   the `Host` and `Origin` allow-lists, with every refusal a JSON-RPC error body;
//! - one log line per request, never a header value, with the trace id of a
//!   `traceparent`; values callers choose are cut, and no line exceeds 4 KB;
//! - request bodies in flight share a byte budget: a request waits for room, then is
//!   answered `503` rather than letting the process run out of memory;
//! - a handler that answers `tools/list` through [`ToolList`] has its tool list
//!   serialized once, not on every call;
//! - on SIGTERM it stops accepting, lets in-flight requests finish for a grace period,
//!   then cancels what is left.
//!
//! The whole `main` of a hosted server:
//!
//! ```no_run
//! # use rmcp::{ServerHandler, model::ServerConfig};
//! # #[derive(Clone)] struct MyServer;
//! # impl ServerHandler for MyServer { fn get_info(&self) -> ServerConfig { ServerConfig::default() } }
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     rmcp_functions::run(MyServer).await
//! }
//! ```
//!
//! [`CustomHandler`] is the same with a say in what is policy (body limit, body budget,
//! shutdown grace, SSE keep-alive, the sign-in return page, the serialized tool list),
//! for a `main` that reads its own
//! settings first:
//!
//! ```no_run
//! # use rmcp::{ServerHandler, model::ServerConfig};
//! # #[derive(Clone)] struct MyServer;
//! # impl ServerHandler for MyServer { fn get_info(&self) -> ServerConfig { ServerConfig::default() } }
//! use std::{process::ExitCode, time::Duration};
//!
//! use rmcp_functions::CustomHandler;
//!
//! #[tokio::main]
//! async fn main() -> ExitCode {
//!     let handler = match CustomHandler::from_env() {
//!         Ok(handler) => handler,
//!         Err(e) => {
//!             eprintln!("error: {e}");
//!             return ExitCode::FAILURE;
//!         }
//!     };
//!     rmcp_functions::init_logging(handler.settings());
//!     handler
//!         .max_request_body_bytes(1024 * 1024)
//!         .shutdown_grace(Duration::from_secs(10))
//!         .run(MyServer)
//!         .await
//! }
//! ```

mod budget;
mod handler;
mod log_format;
mod logging;
mod open_files;
mod settings;
mod tool_list;
mod transport;

use std::process::ExitCode;

use rmcp::ServerHandler;

pub use self::{
    handler::{
        CustomHandler, DEFAULT_BODY_BUDGET_BYTES, DEFAULT_BODY_BUDGET_WAIT,
        DEFAULT_MAX_REQUEST_BODY_BYTES, DEFAULT_SHUTDOWN_GRACE, DEFAULT_SSE_KEEP_ALIVE,
        MAX_READ_BUFFER_BYTES, SIGN_IN_RETURN_PATH, shutdown_signal,
    },
    log_format::MAX_LOG_LINE_BYTES,
    logging::{
        INVOCATION_ID_HEADER, MAX_LOGGED_VALUE_BYTES, TRACEPARENT_HEADER, clip, init_logging,
        invocation_id, trace_id,
    },
    settings::{
        BODY_BUDGET_VAR, BODY_BUDGET_WAIT_VAR, ConfigError, DEFAULT_LOG_FILTER, DEFAULT_PORT,
        LogFormat, PORT_VAR, Port, PortSource, Settings,
    },
    tool_list::ToolList,
};

/// Serves `server` as a custom handler with the settings the environment gives and the
/// default policy: reads [`Settings`], starts the logs ([`init_logging`]), serves until
/// SIGTERM or Ctrl-C, and returns the exit status. A setting that is present but
/// unusable ends the process at once with one line naming it, which is the line an
/// operator sees in the Functions host's log.
pub async fn run<S>(server: S) -> ExitCode
where
    S: ServerHandler + Clone + Send + Sync + 'static,
{
    let handler = match CustomHandler::from_env() {
        Ok(handler) => handler,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(handler.settings());
    handler.run(server).await
}
