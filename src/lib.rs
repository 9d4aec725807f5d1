//! A stateless streamable-HTTP MCP server that runs as an Azure Functions custom
//! handler: weather tools (US National Weather Service, Open-Meteo) and snippet
//! tools (Azure Blob Storage, or a local directory).
//!
//! # Layout
//! - [`config`]: every setting, parsed once from the environment.
//! - [`telemetry`]: logging to stdout, one line per request.
//! - [`app`]: routes (`/`, `/mcp`, `/authcomplete`), serving and graceful shutdown.
//! - [`server`]: the MCP handler and the `/mcp` transport.
//! - `tools`: the tools the model calls, thin wrappers over the domain modules.
//! - [`weather`], [`snippets`], [`identity`]: the domain code, testable without MCP.
//! - [`widget`]: the MCP App (HTML view) hosts show for `get_weather` results.
//!
//! The binary (`src/main.rs`) is config → telemetry → bind → [`app::serve`].

pub mod app;
pub mod config;
pub mod identity;
pub mod server;
pub mod snippets;
pub mod telemetry;
mod tools;
pub mod weather;
pub mod widget;
