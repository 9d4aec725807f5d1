//! The MCP endpoint as clients see it: the rmcp client, the stateless behaviour,
//! and the Host and Origin checks. Malformed and refused requests are in
//! `http_edge_cases.rs`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{ACCEPT, TestApp};

#[tokio::test]
async fn rmcp_client_initializes_lists_tools_and_pings() {
    let app = TestApp::spawn().await;
    let client = app.client().await;

    let info = client.peer_info().expect("initialize result");
    let server = info.server_info.as_ref().expect("serverInfo");
    assert_eq!(server.name, "rust-mcp-functions");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    let instructions = info.instructions.as_deref().unwrap_or_default();
    assert!(instructions.contains("get_forecast"), "{instructions}");
    assert!(instructions.contains("save_snippet"), "{instructions}");

    let tools = client.list_all_tools().await.unwrap();
    let names: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names.len(), tools.len(), "tool names must be unique");
    for tool in &tools {
        assert!(
            tool.description.is_some(),
            "{} has no description",
            tool.name
        );
        assert!(
            instructions.contains(&format!("- {}: ", tool.name)),
            "the instructions do not list {}: {instructions}",
            tool.name
        );
    }

    client
        .send_request(rmcp::model::ClientRequest::PingRequest(Default::default()))
        .await
        .unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn requests_work_without_a_handshake() {
    // Scaled-out instances see requests whose initialize went to another instance.
    let app = TestApp::spawn().await;
    let response = app
        .post(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], 7);
    assert!(body["result"]["tools"].is_array(), "{body}");

    let ping = app
        .post(&json!({"jsonrpc": "2.0", "id": "p", "method": "ping"}))
        .await;
    assert_eq!(ping.status(), 200);
    assert_eq!(ping.json::<Value>().await.unwrap()["result"], json!({}));
}

#[tokio::test]
async fn no_session_id_is_issued() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["protocolVersion"], "2025-06-18");
}

#[tokio::test]
async fn readiness_probe_answers_200() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(format!("http://{}/", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("/mcp"));
}

#[tokio::test]
async fn auth_complete_page_tells_the_user_to_close_the_window() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(format!("http://{}/authcomplete", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("Sign-in complete"), "{page}");
    assert!(page.contains("close this window"), "{page}");
}

#[tokio::test]
async fn unknown_hosts_are_refused_and_website_hostname_is_accepted() {
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let send = |app: &TestApp, host: &'static str| {
        app.http
            .post(app.mcp_url())
            .header("host", host)
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .json(&ping)
            .send()
    };

    let plain = TestApp::spawn().await;
    assert_eq!(
        send(&plain, "myapp.azurewebsites.net")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        send(&plain, "evil.example.com").await.unwrap().status(),
        403
    );
    assert_eq!(send(&plain, "localhost:7071").await.unwrap().status(), 200);

    let on_azure = TestApp::spawn_with(&[("WEBSITE_HOSTNAME", "myapp.azurewebsites.net")]).await;
    assert_eq!(
        send(&on_azure, "myapp.azurewebsites.net")
            .await
            .unwrap()
            .status(),
        200
    );
    let refused = send(&on_azure, "evil.example.com").await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Forbidden: Host header is not allowed"
    );
}

#[tokio::test]
async fn foreign_browser_origins_are_refused() {
    let app = TestApp::spawn().await;
    let send = |origin: &'static str| {
        app.http
            .post(app.mcp_url())
            .header("origin", origin)
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            .send()
    };
    assert_eq!(send("http://evil.example.com").await.unwrap().status(), 403);
    assert_eq!(send("http://localhost:6274").await.unwrap().status(), 200);
}

#[tokio::test]
async fn completions_are_declared_and_answered() {
    // Tools, prompts, resources and completions are declared; a completion is
    // answered with values, not "method not found" (-32601), which it answered while
    // the capability was not declared.
    let app = TestApp::spawn().await;
    let body: Value = app
        .post(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"}}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        body["result"]["capabilities"]["completions"].is_object(),
        "{body}"
    );
    let response = app
        .post(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "completion/complete", "params": {
            "ref": {"type": "ref/prompt", "name": "use_snippet"},
            "argument": {"name": "name", "value": "no"}}}),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["result"]["completion"],
        json!({"values": [], "total": 0, "hasMore": false}),
        "{body}"
    );
}
