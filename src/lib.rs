//! A stateless streamable-HTTP MCP server that runs as an Azure Functions custom
//! handler: weather tools (US National Weather Service, Open-Meteo) and snippet
//! tools (Azure Blob Storage, or a local directory).
//!
//! # Layout
//! Dependencies point down this list, never up:
//! - `main.rs`: config → logging → the handler → `rmcp_functions::CustomHandler::run`.
//! - the `rmcp-functions` crate (crates/rmcp-functions): the custom-handler layer, for
//!   any rmcp `ServerHandler`: port, readiness, `/mcp` with its Host/Origin allow-lists
//!   and JSON-RPC errors, request logs, graceful shutdown. Knows nothing of our tools.
//! - [`server`]: our MCP handler: identity, capabilities, routing to the tools and
//!   resources.
//! - [`tools`], [`prompts`], [`resources`], [`completions`]: what the server offers,
//!   thin wrappers over the domain code; [`cache_hints`]: how long clients may reuse lists and reads.
//! - [`weather`], [`snippets`], [`identity`], [`widget`]: the domain code, testable
//!   without MCP.
//! - [`config`]: every setting, parsed once from the environment.
//! - [`fault`]: how a failure of storage, Entra ID or Graph reaches the caller
//!   (quietly, with the invocation id) and the log (whole).

pub mod cache_hints;
pub mod completions;
pub mod config;
pub mod fault;
pub mod identity;
pub mod prompts;
#[cfg(test)]
mod property;
pub mod resources;
pub mod server;
pub mod snippets;
pub mod tools;
pub mod weather;
pub mod widget;
