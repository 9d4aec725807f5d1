//! Any rmcp server, hosted as an Azure Functions custom handler: a two-tool
//! calculator written the way rmcp's own examples are, and a `main` that hands it to
//! the hosting crate, `rmcp-functions`. Nothing in the server knows about Azure.
//!
//! Run it with `cargo run --example calculator` and connect a client to
//! `http://localhost:7071/mcp`; deploy it by pointing `host.json` at its binary
//! (README: "Host your own rmcp server").

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

/// Stateless, as a scaled-out server must be. rmcp clones it for every request, so
/// the router is built once and shared.
#[derive(Clone)]
struct Calculator {
    tool_router: Arc<ToolRouter<Self>>,
}

#[tool_router]
impl Calculator {
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

    /// Subtract the second number from the first and return the difference.
    #[tool(annotations(read_only_hint = true))]
    fn sub(&self, Parameters(Operands { a, b }): Parameters<Operands>) -> String {
        (a - b).to_string()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Calculator {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("calculator", "1.0.0"))
            .with_instructions("A calculator: sum and sub.")
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    rmcp_functions::run(Calculator::new()).await
}
