//! The server behind a real reverse proxy (Debian's nginx) configured like the
//! Azure Functions host's forwarder (`tests/nginx/functions-host.conf.template`).

use std::{sync::Arc, time::Duration};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
        PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
};
use serde_json::json;
use tokio::sync::Notify;

use crate::{
    helpers::{
        ACCEPT, Handler, Nginx, PUBLIC_HOST, PYTHON_SDKS, ServedHandler, python_client,
        typescript_client,
    },
    tool_table::{ToolEnv, assert_all_calls_succeeded, call_args},
};

const FUNCTION_KEY: &str = "fk-2f9c1d7e-secret-function-key";
const BEARER: &str = "eyJ0b2tlbi1zZWNyZXQtOTk4NyJ9";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx: scripts/test.sh"]
async fn the_proxy_forwards_headers_like_the_functions_host() {
    // The upstream records what reaches it.
    let upstream = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&upstream)
        .await;
    let upstream_host = upstream.address().to_string();
    let nginx = Nginx::start(upstream.address().port(), &upstream_host);
    let response = reqwest::Client::new()
        .post(nginx.url("/mcp?code=abc"))
        .header("x-functions-key", FUNCTION_KEY)
        .header("authorization", format!("Bearer {BEARER}"))
        .header("mcp-protocol-version", "2025-06-18")
        .header("x-forwarded-host", "spoofed.example.com")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = upstream.received_requests().await.unwrap();
    let seen = &received[0].headers;
    let header = |name: &str| seen.get(name).and_then(|v| v.to_str().ok()).unwrap_or("-");
    assert_eq!(header("host"), upstream_host, "{seen:?}");
    assert_eq!(header("x-forwarded-host"), PUBLIC_HOST, "{seen:?}");
    assert_eq!(header("x-forwarded-proto"), "https", "{seen:?}");
    assert_eq!(header("x-functions-key"), FUNCTION_KEY, "{seen:?}");
    assert_eq!(
        header("authorization"),
        format!("Bearer {BEARER}"),
        "{seen:?}"
    );
    assert_eq!(header("mcp-protocol-version"), "2025-06-18", "{seen:?}");
    assert_eq!(received[0].url.query(), Some("code=abc"));
}

/// The secrets clients send, as client flags.
fn secret_headers() -> Vec<String> {
    vec![
        "--header".into(),
        format!("x-functions-key: {FUNCTION_KEY}"),
        "--header".into(),
        format!("Authorization: Bearer {BEARER}"),
    ]
}

/// Runs the TypeScript and both Python SDK clients through `url`, calling every tool.
async fn run_sdk_clients(url: String) {
    tokio::task::spawn_blocking(move || {
        let headers = secret_headers();
        let options: Vec<&str> = headers.iter().map(String::as_str).collect();
        let report = typescript_client(&url, &options, &call_args());
        assert_eq!(report["serverInfo"]["name"], "rust-mcp-functions");
        assert_all_calls_succeeded(&report);
        for python in PYTHON_SDKS {
            let report = python_client(python, &url, &options, &call_args());
            assert_eq!(
                report["initialize"]["serverInfo"]["name"], "rust-mcp-functions",
                "{python}"
            );
            assert_all_calls_succeeded(&report);
        }
    })
    .await
    .unwrap();
}

fn assert_no_secrets_logged(handler: &Handler) {
    let output = handler.output();
    // The request lines are there (so the check is not vacuous)...
    assert!(
        output.iter().any(|l| l.contains("tools/list")),
        "{output:#?}"
    );
    // ...and the secrets are not.
    for line in &output {
        assert!(
            !line.contains(FUNCTION_KEY) && !line.contains(BEARER),
            "secret in log: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx and the MCP SDKs: scripts/test.sh"]
async fn sdk_clients_work_through_the_proxy_with_the_loopback_host() {
    let env = ToolEnv::start().await;
    // Debug logging: not even rmcp's debug output may carry the secrets.
    let handler = env.handler(&[("RUST_LOG", "debug")]);
    let nginx = Nginx::start(handler.addr.port(), &handler.addr.to_string());
    run_sdk_clients(nginx.url("/mcp")).await;
    assert_no_secrets_logged(&handler);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx and the MCP SDKs: scripts/test.sh"]
async fn sdk_clients_work_through_the_proxy_with_the_public_host_and_website_hostname() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[("WEBSITE_HOSTNAME", PUBLIC_HOST), ("RUST_LOG", "debug")]);
    let nginx = Nginx::start(handler.addr.port(), PUBLIC_HOST);
    run_sdk_clients(nginx.url("/mcp")).await;
    assert_no_secrets_logged(&handler);

    // Without WEBSITE_HOSTNAME the public Host is refused: the setting is what works.
    let bare = env.handler(&[]);
    let nginx = Nginx::start(bare.addr.port(), PUBLIC_HOST);
    let response = reqwest::Client::new()
        .post(nginx.url("/mcp"))
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

/// A tool that reports progress, then waits until the test has *received* that
/// notification before it returns. A proxy that buffered the response would hold
/// the notification back until the end, and the test would time out.
#[derive(Clone)]
struct StreamProbe(Arc<Notify>);

impl ServerHandler for StreamProbe {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(vec![
            self.get_tool("probe").unwrap(),
        ]))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        (name == "probe").then(|| {
            serde_json::from_value(json!({"name": "probe", "description": "streams",
                "inputSchema": {"type": "object"}}))
            .unwrap()
        })
    }

    async fn call_tool(
        &self,
        _request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let token = context.meta.get_progress_token().unwrap();
        context
            .peer
            .notify_progress(ProgressNotificationParam::new(token, 1.0))
            .await
            .unwrap();
        self.0.notified().await;
        Ok(CallToolResult::success(vec![ContentBlock::text("done")]).into())
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx: scripts/test.sh"]
async fn sse_responses_stream_through_the_proxy() {
    let release = Arc::new(Notify::new());
    let server = ServedHandler::start(StreamProbe(Arc::clone(&release))).await;
    let nginx = Nginx::start(server.addr.port(), &server.addr.to_string());
    let mut response = reqwest::Client::new()
        .post(nginx.url("/mcp"))
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "probe", "arguments": {}, "_meta": {"progressToken": "p"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");

    let mut received = String::new();
    while !received.contains("notifications/progress") {
        let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the notification did not stream through: {received:?}\n{}",
                    nginx.error_log()
                )
            })
            .unwrap()
            .expect("stream ended before the notification");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    release.notify_one();
    let rest = tokio::time::timeout(Duration::from_secs(30), response.text())
        .await
        .unwrap()
        .unwrap();
    assert!(rest.contains(r#""text":"done""#), "{rest}");
}
