//! The MCP handler: this server's identity and capabilities, and where each request
//! goes. It owns the state every request shares (the domain services and the tool and
//! prompt routers, built once), and depends on the tools, prompts and resources;
//! nothing depends on it but `main`.
//!
//! In stateless mode rmcp asks for a fresh handler on every POST and for its info on
//! every request, so cloning [`McpServer`] is one `Arc` increment and the info is
//! built once.

use std::{borrow::Cow, sync::Arc};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    handler::server::{
        prompt::PromptContext,
        router::{prompt::PromptRouter, tool::ToolRouter},
        tool::ToolCallContext,
    },
    model::{
        CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
        ExtensionCapabilities, GetPromptRequestParams, GetPromptResponse, Implementation,
        ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
        PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
        ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
};
use tracing::Instrument;

use crate::{
    access::SnippetAccess,
    cache_hints::{self, Hint},
    completions::Completions,
    config::{Config, RequestStateKey, SnippetsScope, StorageConfig},
    fault,
    identity::{Caller, Identity},
    prompts::Prompts,
    resources::Resources,
    snippets::Snippets,
    tools::{Confirmations, KeyError, Tools},
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
    tool_router: ToolRouter<Tools>,
    /// The router's tools, serialized once for `tools/list`.
    tool_list: rmcp_functions::ToolList,
    prompts: Prompts,
    prompt_router: PromptRouter<Prompts>,
    resources: Resources,
    completions: Completions,
    identity: Identity,
    info: ServerConfig,
}

impl McpServer {
    /// Builds the domain services from `config`. No I/O: storage and upstream APIs
    /// are reached on first use, so start-up can neither wait for nor fail on them.
    /// It fails only if the system cannot give a random key for `requestState`.
    pub fn new(config: &Config) -> Result<Self, KeyError> {
        log_settings(config);
        let snippets = SnippetAccess::new(
            Snippets::new(config.storage.clone(), config.snippet_limits),
            config.snippets_scope,
        );
        let identity = Identity::new(&config.identity);
        let tools = Tools {
            weather: Arc::new(Weather::new(config.weather.clone())),
            snippets: snippets.clone(),
            identity: identity.clone(),
            confirmations: Confirmations::new(&config.request_state_key)?,
        };
        let prompts = Prompts {
            snippets: snippets.clone(),
            identity: identity.clone(),
        };
        let tool_router = Tools::router();
        let prompt_router = Prompts::router();
        let tool_list = rmcp_functions::ToolList::new(tool_router.list_all());
        let completions = Completions {
            snippets: snippets.clone(),
            prompts: prompt_router
                .list_all()
                .into_iter()
                .map(|p| p.name)
                .collect(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                info: server_info(tool_list.tools()),
                tool_list,
                tools,
                tool_router,
                prompts,
                prompt_router,
                resources: Resources { snippets },
                completions,
                identity,
            }),
        })
    }

    /// Who sent this request (anonymous unless built-in authentication vouches).
    fn caller(&self, context: &RequestContext<RoleServer>) -> Caller {
        let parts = context.extensions.get::<http::request::Parts>();
        self.inner.identity.caller(parts)
    }
}

/// The start-up lines an operator reads: where snippets go and for whom, whether
/// callers are identified, and anything set up to fail.
fn log_settings(config: &Config) {
    match &config.storage {
        StorageConfig::Missing { reason } => tracing::warn!("snippet storage: {reason}"),
        storage => tracing::info!(
            "snippet storage: {storage}; collections: {}, each at most {} snippets and {} \
             bytes",
            config.snippets_scope,
            config.snippet_limits.max_count,
            config.snippet_limits.max_bytes
        ),
    }
    tracing::info!("identity: {}", config.identity);
    if config.snippets_scope == SnippetsScope::User && !config.identity.trust_principal_headers {
        tracing::warn!(
            "SNIPPETS_SCOPE=user, but built-in authentication is off (WEBSITE_AUTH_ENABLED \
             is not true): no caller is signed in, so every snippet call will be refused"
        );
    }
    if matches!(config.request_state_key, RequestStateKey::PerProcess) {
        tracing::info!(
            "requestState key: random for this process (set MCP_REQUEST_STATE_KEY, the \
             same on every instance, when more than one may answer)"
        );
    }
}

/// Runs one request's work inside `span`, with its invocation id where a failure
/// reported to the caller ([`fault::report`]) finds it.
async fn traced<F: Future>(
    span: tracing::Span,
    invocation_id: Option<String>,
    work: F,
) -> F::Output {
    fault::within(invocation_id, work.instrument(span)).await
}

/// The span of a resources request: the method, the invocation id and the trace id
/// (not the URI, which names a snippet).
fn resource_span(
    method: &'static str,
    context: &RequestContext<RoleServer>,
) -> (tracing::Span, Option<String>) {
    let invocation_id = rmcp_functions::invocation_id(context).map(str::to_owned);
    let span = tracing::info_span!(
        "resources",
        method,
        invocation_id = invocation_id.as_deref(),
        trace_id = rmcp_functions::trace_id(context),
    );
    (span, invocation_id)
}

/// The server's identity and capabilities: tools, prompts, resources (the weather
/// widget, with the MCP Apps extension that names its media type, and the saved
/// snippets), and completions of snippet names.
fn server_info(tools: &[Tool]) -> ServerConfig {
    let extensions =
        ExtensionCapabilities::from([(widget::EXTENSION_ID.to_owned(), widget::capability())]);
    let capabilities = ServerCapabilities::builder()
        .enable_extensions_with(extensions)
        .enable_tools()
        .enable_prompts()
        .enable_resources()
        .enable_completions()
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

    /// Routes the call to its tool inside a span naming the tool (cut, as any name a
    /// caller chooses), the host's invocation id and the request's trace id, so whatever
    /// the tool logs (an upstream retry, a storage error) can be followed back to the
    /// request.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let invocation_id = rmcp_functions::invocation_id(&context).map(str::to_owned);
        let span = tracing::info_span!(
            "tool",
            tool = %rmcp_functions::clip(&request.name),
            invocation_id = invocation_id.as_deref(),
            trace_id = rmcp_functions::trace_id(&context),
        );
        let call = ToolCallContext::new(&self.inner.tools, request, context);
        traced(span, invocation_id, self.inner.tool_router.call(call)).await
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let Hint { ttl_ms, scope } = cache_hints::PER_DEPLOYMENT;
        Ok(
            ListToolsResult::with_all_items(self.inner.tool_list.for_request(&context))
                .with_ttl_ms(ttl_ms)
                .with_cache_scope(scope),
        )
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.tool_router.get(name).cloned()
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let Hint { ttl_ms, scope } = cache_hints::PER_DEPLOYMENT;
        Ok(
            ListPromptsResult::with_all_items(self.inner.prompt_router.list_all())
                .with_ttl_ms(ttl_ms)
                .with_cache_scope(scope),
        )
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let invocation_id = rmcp_functions::invocation_id(&context).map(str::to_owned);
        let span = tracing::info_span!(
            "prompt",
            prompt = %request.name,
            invocation_id = invocation_id.as_deref(),
        );
        let prompt = PromptContext::new(
            &self.inner.prompts,
            request.name,
            request.arguments,
            context,
        );
        traced(
            span,
            invocation_id,
            self.inner.prompt_router.get_prompt(prompt),
        )
        .await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let cursor = request.and_then(|r| r.cursor);
        let caller = self.caller(&context);
        let (span, invocation_id) = resource_span("resources/list", &context);
        let list = self.inner.resources.list(cursor.as_deref(), &caller);
        traced(span, invocation_id, list).await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let caller = self.caller(&context);
        let (span, invocation_id) = resource_span("resources/read", &context);
        let read = self.inner.resources.read(&request.uri, &caller);
        Ok(traced(span, invocation_id, read).await?.into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let caller = self.caller(&context);
        self.inner.completions.complete(&request, &caller).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(Resources::templates())
    }
}
