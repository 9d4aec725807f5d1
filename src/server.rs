//! The MCP handler: this server's identity and capabilities, and where each request
//! goes. It owns the state every request shares (the domain services and the tool
//! router, built once), and depends on the tools and the widget; nothing depends on
//! it but `main`.
//!
//! In stateless mode rmcp asks for a fresh handler on every POST and for its info on
//! every request, so cloning [`McpServer`] is one `Arc` increment and the info is
//! built once.

use std::{borrow::Cow, sync::Arc};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    handler::server::{router::tool::ToolRouter, tool::ToolCallContext},
    model::{
        CallToolRequestParams, CallToolResponse, ExtensionCapabilities, Implementation,
        ListPromptsRequestMethod, ListPromptsResult, ListResourceTemplatesResult,
        ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
        ReadResourceRequestParams, ReadResourceResponse, RequestStateError, ServerCapabilities,
        ServerConfig, Tool,
    },
    service::RequestContext,
};
use tracing::Instrument;

use crate::{
    config::{Config, RequestStateKey, SnippetsScope, StorageConfig},
    hosting,
    identity::Identity,
    snippets::Snippets,
    tools::{Confirmations, Tools},
    weather::Weather,
    widget,
};

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

/// What the model reads about this server before it picks a tool; the list of tools
/// that follows it is made from the router.
const INSTRUCTIONS: &str = "Weather in the US (National Weather Service) and anywhere in the \
world (Open-Meteo), and named snippets of text that persist across conversations.";

/// The MCP request handler. Cheap to clone: all state is shared behind an `Arc`.
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<Inner>,
}

struct Inner {
    tools: Tools,
    router: ToolRouter<Tools>,
    info: ServerConfig,
}

impl McpServer {
    /// Builds the domain services from `config`. No I/O: storage and upstream APIs
    /// are reached on first use, so start-up can neither wait for nor fail on them.
    /// It fails only if the system cannot give a random key for `requestState`.
    pub fn new(config: &Config) -> Result<Self, RequestStateError> {
        let snippets = Snippets::new(config.storage.clone());
        match &config.storage {
            StorageConfig::Missing { reason } => tracing::warn!("snippet storage: {reason}"),
            _ => tracing::info!(
                "snippet storage: {}; collections: {}",
                snippets.description(),
                config.snippets_scope
            ),
        }
        tracing::info!("identity: {}", config.identity);
        if config.snippets_scope == SnippetsScope::User && !config.identity.trust_principal_headers
        {
            tracing::warn!(
                "SNIPPETS_SCOPE=user, but built-in authentication is off (WEBSITE_AUTH_ENABLED \
                 is not true): no caller is signed in, so every snippet call will be refused"
            );
        }
        let tools = Tools {
            weather: Arc::new(Weather::new(config.weather.clone())),
            snippets: Arc::new(snippets),
            scope: config.snippets_scope,
            identity: Identity::new(&config.identity),
            confirmations: Confirmations::new(&config.request_state_key)?,
        };
        if matches!(config.request_state_key, RequestStateKey::PerProcess) {
            tracing::info!(
                "requestState key: random for this process (set MCP_REQUEST_STATE_KEY, the \
                 same on every instance, when more than one may answer)"
            );
        }
        let router = Tools::router();
        Ok(Self {
            inner: Arc::new(Inner {
                info: server_info(&router.list_all()),
                tools,
                router,
            }),
        })
    }
}

/// The server's identity and capabilities: tools, and resources for the weather
/// widget with the MCP Apps extension that names its media type.
fn server_info(tools: &[Tool]) -> ServerConfig {
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
        .with_instructions(instructions(tools))
}

/// [`INSTRUCTIONS`] and one line per tool: its name and title.
fn instructions(tools: &[Tool]) -> String {
    let mut text = format!("{INSTRUCTIONS}\nTools:");
    for tool in tools {
        let title = tool.title.as_deref().unwrap_or_default();
        text.push_str(&format!("\n- {}: {title}", tool.name));
    }
    text
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        self.inner.info.clone()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(PROTOCOL_VERSIONS)
    }

    /// Routes the call to its tool inside a span naming the tool and the host's
    /// invocation id, so whatever the tool logs (an upstream retry, a storage error)
    /// can be followed back to the request.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let span = tracing::info_span!(
            "tool",
            name = %request.name,
            invocation_id = hosting::invocation_id(&context),
        );
        let call = ToolCallContext::new(&self.inner.tools, request, context);
        self.inner.router.call(call).instrument(span).await
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(
            self.inner.router.list_all(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.router.get(name).cloned()
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
