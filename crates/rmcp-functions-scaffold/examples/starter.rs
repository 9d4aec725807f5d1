//! An MCP server with one tool, written the way rmcp's own examples are, and a `main`
//! that hands it to rmcp-functions, which hosts it as an Azure Functions custom handler.
//! Nothing in the server knows about Azure.
//!
//! `cargo run` serves it at http://localhost:7071/mcp; `azd up` deploys it. Add tools as
//! methods with `#[tool]`: their doc comments are the descriptions the model reads.

use std::{process::ExitCode, sync::Arc};

use rmcp::{
    ServerHandler,
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{Implementation, ServerCapabilities, ServerConfig},
    schemars, tool, tool_handler, tool_router,
};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Operands {
    /// The first number.
    a: f64,
    /// The second number.
    b: f64,
}

/// Stateless, as a scaled-out server must be: rmcp clones it for every request, so the
/// router is built once and shared.
#[derive(Clone)]
struct Server {
    tool_router: Arc<ToolRouter<Self>>,
}

#[tool_router]
impl Server {
    fn new() -> Self {
        Self {
            tool_router: Arc::new(Self::tool_router()),
        }
    }

    /// Add two numbers and return the sum.
    #[tool(annotations(read_only_hint = true))]
    fn sum(&self, Parameters(Operands { a, b }): Parameters<Operands>) -> String {
        (a + b).to_string()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions("Adds numbers: sum.")
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    rmcp_functions::run(Server::new()).await
}
