//! Snippet tools: save, get, list and delete named pieces of text.

use rmcp::tool_router;

use crate::server::McpServer;

#[tool_router(router = snippets_router, vis = "pub(crate)", allow_empty)]
impl McpServer {}
