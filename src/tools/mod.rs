//! The tools the model can call. Each tool is thin: it parses its arguments, calls
//! the domain code in [`crate::weather`] or [`crate::snippets`], and maps the result
//! to what the model sees. Failures the model can act on come back as tool results
//! with `isError: true`; only protocol misuse becomes a JSON-RPC error.

mod snippets;
mod weather;

use rmcp::handler::server::router::tool::ToolRouter;

use crate::server::McpServer;

/// All tools, built once at start-up.
pub(crate) fn router() -> ToolRouter<McpServer> {
    McpServer::weather_router() + McpServer::snippets_router()
}
