//! The `tools/list` answer with its tool list serialized once (`hosting::ToolList`) is
//! byte for byte what rmcp writes when it serializes the list itself, at every claimed
//! revision, and rmcp still checks and dispatches every such request.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, object,
    },
    service::RequestContext,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
    },
};
use rmcp_functions as hosting;
use rust_mcp_functions::{config::Config, server::McpServer};
use serde_json::{Value, json};

use crate::helpers::{ACCEPT, ServedHandler, TestApp};

/// rmcp's stateless service with `server` and nothing around it: the same settings as
/// the hosting layer's, so rmcp serializes every answer itself.
async fn bare_rmcp<S>(server: S) -> ServedHandler
where
    S: ServerHandler + Clone + Send + Sync + 'static,
{
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(Some(Duration::from_secs(15)));
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    ServedHandler::start_router(axum::Router::new().route_service("/mcp", service)).await
}

/// A `tools/list` request as a client of `revision` sends it (`None`: no version
/// header, which means 2025-03-26).
fn tools_list(revision: Option<&str>, id: &Value) -> (Vec<(&'static str, String)>, Value) {
    let mut headers = vec![
        ("content-type", "application/json".to_owned()),
        ("accept", ACCEPT.to_owned()),
    ];
    let mut body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"});
    if let Some(revision) = revision {
        headers.push(("mcp-protocol-version", revision.to_owned()));
    }
    if revision == Some("2026-07-28") {
        headers.push(("mcp-method", "tools/list".to_owned()));
        body["params"] = json!({"_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
        }});
    }
    (headers, body)
}

async fn post(url: &str, headers: &[(&str, String)], body: &Value) -> (u16, Vec<u8>) {
    let mut request = reqwest::Client::new().post(url).json(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Fails naming where two answers first differ, with a little of each around it.
fn assert_same_bytes(ours: &[u8], rmcps: &[u8], what: &str) {
    let Some(at) = (0..ours.len().max(rmcps.len())).find(|&i| ours.get(i) != rmcps.get(i)) else {
        return;
    };
    let around = |bytes: &[u8]| {
        String::from_utf8_lossy(
            &bytes[at.saturating_sub(60).min(bytes.len())..(at + 60).min(bytes.len())],
        )
        .into_owned()
    };
    panic!(
        "{what}: the answers differ from byte {at} (ours {} bytes, rmcp's {}):\n ours: …{}…\nrmcp's: …{}…",
        ours.len(),
        rmcps.len(),
        around(ours),
        around(rmcps)
    );
}

/// Every revision a client may name, `None` being no version header (2025-03-26).
const REVISIONS: [Option<&str>; 5] = [
    None,
    Some("2025-03-26"),
    Some("2025-06-18"),
    Some("2025-11-25"),
    Some("2026-07-28"),
];

#[tokio::test]
async fn tools_list_is_byte_for_byte_rmcps_own_at_every_revision() {
    let dir = tempfile::tempdir().unwrap();
    let env = HashMap::from([("SNIPPETS_DIR".to_owned(), dir.path().display().to_string())]);
    let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    let reference = bare_rmcp(McpServer::new(&config).unwrap()).await;
    let app = TestApp::spawn().await;

    let ids = [
        json!(1),
        json!(9_007_199_254_740_993_u64),
        json!(r#"a "tools":[]}} é"#),
    ];
    for revision in REVISIONS {
        for id in &ids {
            let (headers, body) = tools_list(revision, id);
            let (status, ours) = post(&app.mcp_url(), &headers, &body).await;
            let (reference_status, rmcps) = post(&reference.mcp_url(), &headers, &body).await;
            let text = String::from_utf8_lossy(&ours);
            assert_eq!(
                (status, reference_status),
                (200, 200),
                "{revision:?}: {text}"
            );
            assert_same_bytes(&ours, &rmcps, &format!("{revision:?}, id {id}"));
            let answer: Value = serde_json::from_slice(&ours).unwrap();
            assert_eq!(answer["id"], *id);
            assert!(!answer["result"]["tools"].as_array().unwrap().is_empty());
            // 2026-07-28 results say they are complete; older revisions never did.
            assert_eq!(
                answer["result"].get("resultType").is_some(),
                revision == Some("2026-07-28"),
                "{revision:?}: {text}"
            );
        }
    }
}

/// A server with one tool that counts how often its `list_tools` ran and how often the
/// hosting layer took the list off its hands.
#[derive(Clone)]
struct Counting {
    tools: hosting::ToolList,
    calls: Arc<AtomicUsize>,
    spliced: Arc<AtomicUsize>,
    /// Fail after taking the tools, as a handler may (e.g. its storage is down).
    fail: bool,
}

impl Counting {
    fn new() -> Self {
        let tool = Tool::new(
            "echo",
            "Echoes \"text\" back.",
            object(json!({"type": "object", "properties": {"text": {"type": "string"}}})),
        );
        Self::with_tools(vec![tool])
    }

    fn with_tools(tools: Vec<Tool>) -> Self {
        Self {
            tools: hosting::ToolList::new(tools),
            calls: Arc::default(),
            spliced: Arc::default(),
            fail: false,
        }
    }
}

impl ServerHandler for Counting {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let tools = self.tools.for_request(&context);
        if tools.is_empty() {
            self.spliced.fetch_add(1, Ordering::SeqCst);
        }
        if self.fail {
            return Err(McpError::internal_error("the tool registry is down", None));
        }
        Ok(ListToolsResult::with_all_items(tools))
    }
}

#[tokio::test]
async fn the_handler_runs_for_every_tools_list_and_only_the_hosting_layer_splices() {
    let hosted = Counting::new();
    let served = ServedHandler::start(hosted.clone()).await;
    let bare = Counting::new();
    let reference = bare_rmcp(bare.clone()).await;
    let (headers, body) = tools_list(Some("2025-11-25"), &json!(7));

    let (status, ours) = post(&served.mcp_url(), &headers, &body).await;
    let (_, rmcps) = post(&reference.mcp_url(), &headers, &body).await;
    assert_eq!(status, 200);
    assert_same_bytes(&ours, &rmcps, "echo");
    assert!(String::from_utf8_lossy(&ours).contains(r#"Echoes \"text\" back."#));
    assert_eq!(hosted.calls.load(Ordering::SeqCst), 1);
    assert_eq!(hosted.spliced.load(Ordering::SeqCst), 1);
    assert_eq!(bare.calls.load(Ordering::SeqCst), 1);
    assert_eq!(bare.spliced.load(Ordering::SeqCst), 0);

    // rmcp still refuses what it refuses: a disallowed Host never reaches the handler.
    let (mut headers, body) = tools_list(Some("2025-11-25"), &json!(8));
    headers.push(("host", "evil.example".to_owned()));
    let (status, answer) = post(&served.mcp_url(), &headers, &body).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&answer));
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["id"], 8);
    assert_eq!(hosted.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_error_after_taking_the_tools_reaches_the_client_as_the_handler_said_it() {
    let failing = Counting {
        fail: true,
        ..Counting::new()
    };
    let served = ServedHandler::start(failing.clone()).await;
    let reference = bare_rmcp(failing.clone()).await;
    let (headers, body) = tools_list(Some("2025-11-25"), &json!(9));

    let (status, ours) = post(&served.mcp_url(), &headers, &body).await;
    let (_, rmcps) = post(&reference.mcp_url(), &headers, &body).await;
    assert_eq!(status, 200);
    assert_same_bytes(&ours, &rmcps, "error");
    let answer: Value = serde_json::from_slice(&ours).unwrap();
    assert_eq!(answer["id"], 9);
    assert_eq!(answer["error"]["message"], "the tool registry is down");
    assert_eq!(failing.spliced.load(Ordering::SeqCst), 1);
}

/// With the splice turned off, the handler answers the full list and rmcp writes it:
/// the same bytes, and the hosting layer offers no slot.
#[tokio::test]
async fn with_the_splice_off_rmcp_writes_the_list_itself() {
    let hosted = Counting::new();
    let settings = hosting::Settings::from_lookup(|_| None).unwrap();
    let served = ServedHandler::start_custom(
        hosted.clone(),
        hosting::CustomHandler::new(settings).serialized_tool_list(false),
    )
    .await;
    let reference = bare_rmcp(Counting::new()).await;
    for revision in REVISIONS {
        let (headers, body) = tools_list(revision, &json!(3));
        let (status, ours) = post(&served.mcp_url(), &headers, &body).await;
        let (_, rmcps) = post(&reference.mcp_url(), &headers, &body).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&ours));
        assert_same_bytes(&ours, &rmcps, &format!("{revision:?}"));
        let answer: Value = serde_json::from_slice(&ours).unwrap();
        assert_eq!(answer["result"]["tools"][0]["name"], "echo");
    }
    assert_eq!(hosted.calls.load(Ordering::SeqCst), REVISIONS.len());
    assert_eq!(
        hosted.spliced.load(Ordering::SeqCst),
        0,
        "no slot was offered"
    );
}

/// rmcp drops an `outputSchema` that is not an object schema from the list it writes
/// for clients older than 2026-07-28; a list with such a tool is not spliced, so the
/// answer stays rmcp's own at every revision.
#[tokio::test]
async fn a_list_with_a_non_object_output_schema_is_rmcps_own_at_every_revision() {
    let tools = || {
        let input = object(json!({"type": "object"}));
        vec![
            Tool::new("names", "Lists names.", input.clone()).with_raw_output_schema(Arc::new(
                object(json!({"type": "array", "items": {"type": "string"}})),
            )),
            Tool::new("count", "Counts.", input).with_raw_output_schema(Arc::new(object(
                json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
            ))),
        ]
    };
    let hosted = Counting::with_tools(tools());
    let served = ServedHandler::start(hosted.clone()).await;
    let reference = bare_rmcp(Counting::with_tools(tools())).await;
    for revision in REVISIONS {
        let (headers, body) = tools_list(revision, &json!(4));
        let (status, ours) = post(&served.mcp_url(), &headers, &body).await;
        let (_, rmcps) = post(&reference.mcp_url(), &headers, &body).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&ours));
        assert_same_bytes(&ours, &rmcps, &format!("{revision:?}"));
        let answer: Value = serde_json::from_slice(&ours).unwrap();
        assert_eq!(
            answer["result"]["tools"][0].get("outputSchema").is_some(),
            revision == Some("2026-07-28"),
            "{revision:?}: the array schema is for 2026-07-28 clients only"
        );
    }
    assert_eq!(hosted.spliced.load(Ordering::SeqCst), 0);
}
