//! The server inside the test process: ours ([`TestApp`]) or any rmcp handler
//! ([`ServedHandler`]), each served through the real hosting layer on an ephemeral
//! loopback port, and an MCP client for them.

use std::{collections::HashMap, net::SocketAddr};

use rmcp::{
    RoleClient, ServerHandler,
    model::{CallToolRequestParams, CallToolResult, ClientConfig},
    service::RunningService,
};
use rmcp_functions as hosting;
use rust_mcp_functions::{config::Config, server::McpServer};
use serde_json::Value;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// The media types every streamable-HTTP client must accept.
pub(crate) const ACCEPT: &str = "application/json, text/event-stream";

/// Our server in the test process, with snippets in a temporary directory.
/// Stopped when dropped.
pub(crate) struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    _served: ServedHandler,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub(crate) async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts with these settings on top of the test default (snippets in a temp dir).
    pub(crate) async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = HashMap::from([(
            "SNIPPETS_DIR".to_owned(),
            dir.path().join("snippets").display().to_string(),
        )]);
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        let served =
            ServedHandler::start_with(McpServer::new(&config).unwrap(), &config.hosting).await;
        Self {
            addr: served.addr,
            http: reqwest::Client::new(),
            _served: served,
            _dir: dir,
        }
    }

    pub(crate) fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// An rmcp client that has completed the initialize handshake.
    pub(crate) async fn client(&self) -> RunningService<RoleClient, ClientConfig> {
        mcp_client(&self.mcp_url()).await
    }

    /// POSTs one JSON-RPC message with the headers a conforming client sends.
    pub(crate) async fn post(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(self.mcp_url())
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// Any rmcp handler served through the hosting layer ([`hosting::CustomHandler::serve`]), exactly
/// as the binary serves ours. Stopped when dropped.
pub(crate) struct ServedHandler {
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl ServedHandler {
    /// With the default settings (loopback hosts and origins only).
    pub(crate) async fn start<S>(server: S) -> Self
    where
        S: ServerHandler + Clone + Send + Sync + 'static,
    {
        let settings = hosting::Settings::from_lookup(|_| None).unwrap();
        Self::start_with(server, &settings).await
    }

    pub(crate) async fn start_with<S>(server: S, settings: &hosting::Settings) -> Self
    where
        S: ServerHandler + Clone + Send + Sync + 'static,
    {
        Self::start_custom(server, hosting::CustomHandler::new(settings.clone())).await
    }

    /// With a handler whose policy the test chose (the builder's methods).
    pub(crate) async fn start_custom<S>(server: S, handler: hosting::CustomHandler) -> Self
    where
        S: ServerHandler + Clone + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let shutdown = stop.clone().cancelled_owned();
        let task = tokio::spawn(async move { handler.serve(listener, server, shutdown).await });
        Self { addr, stop, task }
    }

    /// Serves a plain router (a stand-in for the platform in front of the server)
    /// the same way, without the hosting layer.
    pub(crate) async fn start_router(router: axum::Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let task = tokio::spawn(
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.clone().cancelled_owned())
                .into_future(),
        );
        Self { addr, stop, task }
    }

    pub(crate) fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }
}

impl Drop for ServedHandler {
    fn drop(&mut self) {
        self.stop.cancel();
        self.task.abort();
    }
}

/// An rmcp client at `url` that has completed the initialize handshake.
pub(crate) async fn mcp_client(url: &str) -> RunningService<RoleClient, ClientConfig> {
    super::identity::client_with(url, &[]).await
}

/// Calls a tool through an MCP client and returns its result.
pub(crate) async fn call_tool<H: rmcp::ClientHandler>(
    client: &RunningService<RoleClient, H>,
    name: &str,
    arguments: Value,
) -> CallToolResult {
    let arguments = arguments.as_object().cloned().expect("arguments object");
    client
        .call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{name} failed at the protocol level: {e}"))
}

/// The text blocks of a tool result, joined.
pub(crate) fn result_text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}
