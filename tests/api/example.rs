//! `examples/calculator.rs`: a plain rmcp server hosted through the hosting layer,
//! started as the Functions host starts the real binary.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{ACCEPT, Handler, call_tool, example_binary, mcp_client, result_text};

#[tokio::test]
async fn the_calculator_example_is_hosted_like_the_handler() {
    let handler = Handler::start_binary(
        &example_binary("calculator"),
        tempfile::tempdir().unwrap(),
        &[],
    );

    let client = mcp_client(&handler.url("/mcp")).await;
    let info = client.peer_info().expect("initialize result");
    assert_eq!(info.server_info.as_ref().unwrap().name, "calculator");
    let tools: BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert_eq!(tools, BTreeSet::from(["sub".to_owned(), "sum".to_owned()]));
    let sum = call_tool(&client, "sum", json!({"a": 2, "b": 3.5})).await;
    assert_eq!(result_text(&sum), "5.5");
    client.cancel().await.unwrap();

    // The hosting layer's HTTP behaviour comes with it.
    let http = reqwest::Client::new();
    let ready = http.get(handler.url("/")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let get = http
        .get(handler.url("/mcp"))
        .header("accept", ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let body: Value = get.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    let rebinding = http
        .post(handler.url("/mcp"))
        .header("host", "evil.example.com")
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), 403);
}
