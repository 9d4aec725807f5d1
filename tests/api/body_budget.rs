//! The request-body budget: calls whose bodies do not fit wait for room and are then
//! answered; a call that waits past the bound is answered `503` with `Retry-After`;
//! the room comes back when an answer is ready. A tool that holds every call until
//! the test lets it go shows how many calls are past the budget at once.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ServerCapabilities,
        ServerConfig,
    },
    service::RequestContext,
};
use rmcp_functions::CustomHandler;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::{Semaphore, watch},
};

use crate::helpers::{ACCEPT, ServedHandler};

/// How long a test waits for something that must happen.
const DEADLINE: Duration = Duration::from_secs(30);
/// The padding in each call's arguments: the budgets below are multiples of it.
const PADDING: usize = 100 * 1024;

/// A server with one tool that counts the calls inside it and holds each until the
/// test adds a permit to its gate.
#[derive(Clone)]
struct Gated {
    inside: Arc<watch::Sender<usize>>,
    most_inside: Arc<AtomicUsize>,
    /// Calls that left the tool.
    done: Arc<watch::Sender<usize>>,
    gate: Arc<Semaphore>,
}

impl Gated {
    fn new() -> Self {
        Self {
            inside: Arc::new(watch::channel(0).0),
            most_inside: Arc::default(),
            done: Arc::new(watch::channel(0).0),
            gate: Arc::new(Semaphore::new(0)),
        }
    }

    /// Waits until exactly `n` calls are inside the tool.
    async fn wait_inside(&self, n: usize) {
        wait_for(&self.inside, n, "calls inside at once").await;
    }

    /// Waits until `n` calls have left the tool.
    async fn wait_done(&self, n: usize) {
        wait_for(&self.done, n, "calls done").await;
    }

    /// Lets `n` held calls finish.
    fn release(&self, n: usize) {
        self.gate.add_permits(n);
    }
}

impl ServerHandler for Gated {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn call_tool(
        &self,
        _request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.inside.send_modify(|n| *n += 1);
        self.most_inside
            .fetch_max(*self.inside.borrow(), Ordering::SeqCst);
        let permit = self.gate.acquire().await;
        self.inside.send_modify(|n| *n -= 1);
        self.done.send_modify(|n| *n += 1);
        permit
            .map_err(|_| McpError::internal_error("gate closed", None))?
            .forget();
        Ok(CallToolResult::success(vec![ContentBlock::text("done")]).into())
    }
}

async fn wait_for(value: &watch::Sender<usize>, n: usize, what: &str) {
    let mut value = value.subscribe();
    tokio::time::timeout(DEADLINE, value.wait_for(|&now| now == n))
        .await
        .unwrap_or_else(|_| panic!("never {n} {what}"))
        .unwrap();
}

/// A `tools/call` whose body is a little over [`PADDING`] bytes.
fn big_call(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "hold", "arguments": {"padding": "x".repeat(PADDING)}}})
}

/// Sends `body` to `/mcp` in the background; the handle gives status, `Retry-After`
/// and body.
fn send(
    served: &ServedHandler,
    body: Value,
) -> tokio::task::JoinHandle<(u16, Option<String>, Value)> {
    let url = served.mcp_url();
    tokio::spawn(async move {
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .json(&body)
            .timeout(DEADLINE)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, retry_after, response.json().await.unwrap())
    })
}

fn handler(budget: usize, wait: Duration) -> CustomHandler {
    let settings = rmcp_functions::Settings::from_lookup(|_| None).unwrap();
    CustomHandler::new(settings)
        .body_budget_bytes(budget)
        .body_budget_wait(wait)
}

#[tokio::test]
async fn calls_beyond_the_budget_wait_their_turn_and_are_all_answered() {
    let server = Gated::new();
    // Room for two bodies, not three.
    let served = ServedHandler::start_custom(
        server.clone(),
        handler(5 * PADDING / 2, Duration::from_secs(60)),
    )
    .await;
    let calls: Vec<_> = (0..6).map(|id| send(&served, big_call(id))).collect();

    // One at a time: two calls inside, one let go; when it is done, the next body
    // gets its room and two are inside again, until the last.
    for done in 0..6 {
        server.wait_inside((6 - done).min(2)).await;
        server.release(1);
        server.wait_done(done + 1).await;
    }
    for call in calls {
        let (status, _, body) = call.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["result"]["content"][0]["text"], "done", "{body}");
    }
    assert_eq!(
        server.most_inside.load(Ordering::SeqCst),
        2,
        "the budget let more bodies in than it has room for"
    );
}

#[tokio::test]
async fn a_call_that_waits_past_the_bound_gets_503_with_retry_after() {
    let server = Gated::new();
    let served =
        ServedHandler::start_custom(server.clone(), handler(5 * PADDING / 2, Duration::ZERO)).await;
    let held = [send(&served, big_call(1)), send(&served, big_call(2))];
    server.wait_inside(2).await;

    let (status, retry_after, body) = send(&served, big_call(3)).await.unwrap();
    assert_eq!(status, 503, "{body}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!(seconds >= 1);
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], Value::Null, "its body was never read: {body}");
    assert_eq!(body["error"]["code"], -32000);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Try again in"),
        "{body}"
    );
    // Answers give the room back.
    server.release(2);
    for call in held {
        assert_eq!(call.await.unwrap().0, 200);
    }
    server.release(1);
    let (status, _, body) = send(&served, big_call(5)).await.unwrap();
    assert_eq!(status, 200, "{body}");
}

/// A body without `Content-Length` (chunked) reserves a little and grows its
/// reservation as it arrives, so it is held to the budget too.
#[tokio::test]
async fn a_chunked_body_is_held_to_the_budget_as_it_arrives() {
    let server = Gated::new();
    // Two held bodies leave a little under one body's room: enough for a chunked
    // body's first reservation (64 KiB), not for all of it.
    let served =
        ServedHandler::start_custom(server.clone(), handler(3 * PADDING - 1024, Duration::ZERO))
            .await;
    let held = [send(&served, big_call(1)), send(&served, big_call(2))];
    server.wait_inside(2).await;

    let (status, head) = post_chunked(&served, &big_call(3)).await;
    assert_eq!(status, 503, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: "),
        "{head}"
    );

    server.release(3);
    for call in held {
        assert_eq!(call.await.unwrap().0, 200);
    }
    let (status, head) = post_chunked(&served, &big_call(4)).await;
    assert_eq!(status, 200, "{head}");
}

/// POSTs `body` with `Transfer-Encoding: chunked`, in 16 KiB chunks; returns the status
/// and the head of the answer.
async fn post_chunked(served: &ServedHandler, body: &Value) -> (u16, String) {
    let body = serde_json::to_vec(body).unwrap();
    let mut stream = TcpStream::connect(served.addr).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: {ACCEPT}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut request = head.into_bytes();
    for chunk in body.chunks(16 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer 503 before it reads the rest: a failed write is fine.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .ok();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer}"));
    (status, head)
}
