//! Raw HTTP requests a client library would never send, each with the exact status
//! and (on `/mcp`) the JSON-RPC error body a client can parse.
//!
//! Accept policy: a POST must list both `application/json` and `text/event-stream`
//! (as the specification says clients MUST, and as rmcp and the TypeScript SDK
//! enforce). The answer is usually JSON, but a call that streams notifications is
//! answered with SSE, which a client accepting only JSON could not read.

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::helpers::{ACCEPT, TestApp};

const TOOLS_LIST: &str = r#"{"jsonrpc":"2.0","id":9,"method":"tools/list"}"#;

/// A POST to `/mcp` with the given `Accept` and `Content-Type` (`None` = absent).
fn post(
    app: &TestApp,
    accept: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> RequestBuilder {
    let mut request = app.http.post(app.mcp_url()).body(body.to_owned());
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request
}

/// Asserts the status and a JSON-RPC error body; returns the body.
async fn assert_jsonrpc_error(response: Response, status: u16, code: i64, id: Value) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["id"], id, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn accept_must_list_both_media_types() {
    let app = TestApp::spawn().await;
    for accept in [
        Some("application/json"),
        Some("*/*"),
        None,
        Some("text/event-stream"),
        Some("application/json, text/event-stream;q=0"),
    ] {
        let response = post(&app, accept, Some("application/json"), TOOLS_LIST)
            .send()
            .await
            .unwrap();
        let body = assert_jsonrpc_error(response, 406, -32000, json!(9)).await;
        assert_eq!(
            body["error"]["message"],
            "Not Acceptable: Client must accept both application/json and text/event-stream",
            "{accept:?}"
        );
    }
    for accept in [
        ACCEPT,
        "text/event-stream, application/json",
        "application/json;q=0.9, text/event-stream",
    ] {
        let response = post(&app, Some(accept), Some("application/json"), TOOLS_LIST)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{accept}");
    }
}

#[tokio::test]
async fn content_type_must_be_json() {
    let app = TestApp::spawn().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let response = post(&app, Some(ACCEPT), content_type, TOOLS_LIST)
            .send()
            .await
            .unwrap();
        let body = assert_jsonrpc_error(response, 415, -32000, Value::Null).await;
        assert_eq!(
            body["error"]["message"],
            "Unsupported Media Type: Content-Type must be application/json"
        );
    }
    let with_charset = post(
        &app,
        Some(ACCEPT),
        Some("application/json; charset=utf-8"),
        TOOLS_LIST,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(with_charset.status(), 200);
}

#[tokio::test]
async fn malformed_json_is_a_parse_error_never_an_html_page() {
    let app = TestApp::spawn().await;
    for body in [r#"{"jsonrpc":"2.0","id":1,"method":"#, "", "<html>"] {
        let response = post(&app, Some(ACCEPT), Some("application/json"), body)
            .send()
            .await
            .unwrap();
        let error = assert_jsonrpc_error(response, 400, -32700, Value::Null).await;
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Parse error: "),
            "{error}"
        );
    }
}

#[tokio::test]
async fn json_that_is_not_a_jsonrpc_request_is_invalid() {
    let app = TestApp::spawn().await;
    // Valid JSON, not a JSON-RPC message.
    let response = post(
        &app,
        Some(ACCEPT),
        Some("application/json"),
        r#"{"hello":1}"#,
    )
    .send()
    .await
    .unwrap();
    assert_jsonrpc_error(response, 400, -32600, Value::Null).await;
    // A JSON-RPC response: a stateless server never asked anything.
    let response = post(
        &app,
        Some(ACCEPT),
        Some("application/json"),
        r#"{"jsonrpc":"2.0","id":4,"result":{}}"#,
    )
    .send()
    .await
    .unwrap();
    assert_jsonrpc_error(response, 400, -32600, Value::Null).await;
}

#[tokio::test]
async fn batches_are_refused_with_a_jsonrpc_error() {
    let app = TestApp::spawn().await;
    let response = app
        .post(&json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 2, "method": "ping"}]))
        .await;
    let body = assert_jsonrpc_error(response, 400, -32600, Value::Null).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("batches are not supported"),
        "{body}"
    );
}

#[tokio::test]
async fn notifications_are_accepted_with_202_and_no_body() {
    let app = TestApp::spawn().await;
    for method in [
        "notifications/initialized",
        "notifications/cancelled",
        "notifications/unknown",
    ] {
        let response = app.post(&json!({"jsonrpc": "2.0", "method": method})).await;
        assert_eq!(response.status(), 202, "{method}");
        assert!(response.text().await.unwrap().is_empty(), "{method}");
    }
}

#[tokio::test]
async fn unknown_methods_are_method_not_found() {
    let app = TestApp::spawn().await;
    let response = app
        .post(&json!({"jsonrpc": "2.0", "id": "m", "method": "tools/nope"}))
        .await;
    assert_jsonrpc_error(response, 200, -32601, json!("m")).await;
}

#[tokio::test]
async fn unknown_tools_are_invalid_params() {
    let app = TestApp::spawn().await;
    let response = app
        .post(&json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
            "params": {"name": "no_such_tool", "arguments": {}}}))
        .await;
    let body = assert_jsonrpc_error(response, 200, -32602, json!(4)).await;
    assert_eq!(body["error"]["message"], "tool not found");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(5 * 1024 * 1024);
    let response = app
        .post(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": huge}}))
        .await;
    let body = assert_jsonrpc_error(response, 413, -32600, Value::Null).await;
    assert_eq!(
        body["error"]["message"],
        "Request body exceeds 4194304 bytes"
    );
}

#[tokio::test]
async fn unsupported_protocol_versions_are_400() {
    let app = TestApp::spawn().await;
    for version in ["1999-01-01", "2024-11-05", "latest"] {
        let response = post(&app, Some(ACCEPT), Some("application/json"), TOOLS_LIST)
            .header("mcp-protocol-version", version)
            .send()
            .await
            .unwrap();
        let body = assert_jsonrpc_error(response, 400, -32000, json!(9)).await;
        assert_eq!(
            body["error"]["message"],
            format!("Bad Request: Unsupported MCP-Protocol-Version: {version}")
        );
    }
}

#[tokio::test]
async fn other_methods_on_mcp_are_405_with_allow_post() {
    let app = TestApp::spawn().await;
    for method in [Method::GET, Method::DELETE, Method::PUT, Method::PATCH] {
        for path in ["/mcp", "/mcp/"] {
            let response = app
                .http
                .request(method.clone(), format!("http://{}{path}", app.addr))
                .header("accept", ACCEPT)
                .send()
                .await
                .unwrap();
            assert_eq!(response.headers()["allow"], "POST", "{method} {path}");
            assert_jsonrpc_error(response, 405, -32000, Value::Null).await;
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::GET, "/api/nope"),
        (Method::POST, "/mcpx"),
        (Method::POST, "/mcp/extra"),
        (Method::POST, "/api/mcp"),
    ] {
        let response = app
            .http
            .request(method.clone(), format!("http://{}{path}", app.addr))
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .body(TOOLS_LIST)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
        assert!(
            response.text().await.unwrap().contains("/mcp"),
            "{method} {path}"
        );
    }
}
