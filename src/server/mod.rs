//! The MCP server: its identity, its capabilities, its tools and its one resource
//! (the weather widget, see [`crate::widget`]).
//!
//! [`McpServer`] is what rmcp calls for every JSON-RPC request. In stateless mode
//! rmcp asks the service factory for a fresh handler on every POST, so cloning one
//! must be cheap: it is a single `Arc` increment. The tool router is built once at
//! start-up and shared, rather than rebuilt per request.

pub mod transport;

use std::{borrow::Cow, sync::Arc};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    handler::server::router::tool::ToolRouter,
    model::{
        ExtensionCapabilities, Implementation, ListPromptsRequestMethod, ListPromptsResult,
        ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams, ProtocolVersion,
        ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
    },
    service::RequestContext,
    tool_handler,
};

use crate::{snippets::Snippets, weather::Weather, widget};

/// What the model reads about this server before it picks a tool.
const INSTRUCTIONS: &str = "\
Weather and snippet tools.
- Weather: get_alerts (active US weather alerts for a state), get_forecast (US forecast \
for a latitude/longitude, from the National Weather Service), get_weather (current \
weather anywhere in the world by place name, from Open-Meteo). For places outside the \
US, use get_weather.
- Snippets: save_snippet, get_snippet, list_snippets and delete_snippet keep named \
pieces of text that persist across conversations.";

/// The protocol revisions this server speaks, all tested with real clients. rmcp
/// also knows 2024-11-05, which is left out on purpose: that revision predates the
/// streamable-HTTP transport (it used HTTP+SSE with a long-lived GET stream, which a
/// stateless server cannot offer), so no correct client of it can reach `/mcp`.
pub const PROTOCOL_VERSIONS: &[ProtocolVersion] = &[
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];

/// The server's identity and capabilities: tools, and resources for the weather
/// widget with the MCP Apps extension that names its media type.
fn server_info() -> ServerConfig {
    let extensions =
        ExtensionCapabilities::from([(widget::EXTENSION_ID.to_owned(), widget::capability())]);
    let capabilities = ServerCapabilities::builder()
        .enable_extensions_with(extensions)
        .enable_tools()
        .enable_resources()
        .build();
    ServerConfig::new(capabilities)
        .with_server_info(
            Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
                .with_title("Weather and snippets (Rust on Azure Functions)"),
        )
        .with_instructions(INSTRUCTIONS)
}

/// The MCP request handler. Cheap to clone: all state is shared behind an `Arc`.
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<Inner>,
}

struct Inner {
    tools: ToolRouter<McpServer>,
    /// rmcp asks for the server's info on every stateless request, not only on
    /// `initialize`, so it is built once here rather than in `get_info`.
    info: ServerConfig,
    weather: Weather,
    snippets: Snippets,
}

impl McpServer {
    pub fn new(weather: Weather, snippets: Snippets) -> Self {
        Self {
            inner: Arc::new(Inner {
                tools: crate::tools::router(),
                info: server_info(),
                weather,
                snippets,
            }),
        }
    }

    pub(crate) fn weather(&self) -> &Weather {
        &self.inner.weather
    }

    pub(crate) fn snippets(&self) -> &Snippets {
        &self.inner.snippets
    }
}

#[tool_handler(router = self.inner.tools)]
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        self.inner.info.clone()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(PROTOCOL_VERSIONS)
    }

    // Prompts are not declared. rmcp's default answers an empty list, which clients
    // (and the 2026-07-28 conformance checks) read as support for a capability that
    // was never declared; the spec's answer is "method not found".
    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Err(McpError::method_not_found::<ListPromptsRequestMethod>())
    }

    // Resources are declared for the MCP App: its widget is the only resource.
    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(widget::resources()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        match widget::read(&request.uri) {
            Some(result) => Ok(result.into()),
            None => Err(McpError::resource_not_found(
                format!("no resource {}", request.uri),
                Some(serde_json::json!({"uri": request.uri})),
            )),
        }
    }

    // `resources/templates/list` belongs to the `resources` capability (there is no
    // separate flag for templates), so with resources declared the honest answer is
    // an empty list, not "method not found".
    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(Vec::new()))
    }
}
