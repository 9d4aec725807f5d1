//! Every protocol revision the server claims, spoken by a client that speaks it.
//!
//! The server claims 2025-03-26, 2025-06-18 and 2025-11-25 (negotiated with
//! `initialize`) and 2026-07-28 (`server/discover`, per-request `_meta`); see
//! `rust_mcp_functions::server::PROTOCOL_VERSIONS` for why 2024-11-05 is not claimed.

use rmcp::{
    ClientLifecycleMode, ClientServiceExt, model::ProtocolVersion,
    transport::StreamableHttpClientTransport,
};
use rust_mcp_functions::server::PROTOCOL_VERSIONS;
use serde_json::{Value, json};

use crate::{
    helpers::{ACCEPT, PYTHON_SDKS, TestApp, python_client, typescript_client},
    tool_table::{ToolEnv, assert_all_calls_succeeded, call_args},
};

const INITIALIZE_REVISIONS: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];

#[test]
fn claimed_revisions_are_exactly_these() {
    let claimed: Vec<&str> = PROTOCOL_VERSIONS
        .iter()
        .map(ProtocolVersion::as_str)
        .collect();
    assert_eq!(
        claimed,
        ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the TypeScript and Python MCP SDKs: scripts/test.sh"]
async fn sdks_negotiate_each_initialize_revision_and_call_every_tool() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    let url = handler.url("/mcp");
    tokio::task::spawn_blocking(move || {
        for revision in INITIALIZE_REVISIONS {
            let options = ["--protocol-version", revision];
            let report = typescript_client(&url, &options, &call_args());
            // The SDK sends the negotiated revision as MCP-Protocol-Version afterwards.
            assert_eq!(report["protocolVersion"], revision, "typescript: {report}");
            assert_all_calls_succeeded(&report);
            for python in PYTHON_SDKS {
                let report = python_client(python, &url, &options, &call_args());
                assert_eq!(
                    report["initialize"]["protocolVersion"], revision,
                    "{python}: {report}"
                );
                assert_all_calls_succeeded(&report);
            }
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Python MCP SDK: scripts/test.sh"]
async fn python_sdk_2x_speaks_2026_07_28_through_server_discover() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    let url = handler.url("/mcp");
    let report = tokio::task::spawn_blocking(move || {
        python_client("MCP_TEST_PYTHON_MCP2", &url, &["--discover"], &call_args())
    })
    .await
    .unwrap();
    assert_eq!(report["protocolVersion"], "2026-07-28", "{report}");
    assert_eq!(
        report["discover"]["supportedVersions"],
        json!(["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"])
    );
    assert!(report["tools"].is_array(), "{report}");
    assert_all_calls_succeeded(&report);
}

#[tokio::test]
async fn rmcp_client_speaks_2026_07_28_through_server_discover() {
    let app = TestApp::spawn().await;
    let transport = StreamableHttpClientTransport::from_uri(app.mcp_url());
    let client = ()
        .serve_with_lifecycle(
            transport,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap();
    let info = client.peer_info().unwrap();
    assert_eq!(info.protocol_version, ProtocolVersion::V_2026_07_28);
    assert_eq!(
        info.server_info.as_ref().unwrap().name,
        "rust-mcp-functions"
    );
    client.list_all_tools().await.unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn raw_requests_carry_each_claimed_revision_header() {
    let app = TestApp::spawn().await;
    for revision in INITIALIZE_REVISIONS {
        let response = app
            .http
            .post(app.mcp_url())
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .header("mcp-protocol-version", revision)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{revision}");
        let body: Value = response.json().await.unwrap();
        assert!(body["result"]["tools"].is_array(), "{revision}: {body}");
    }
}

#[tokio::test]
async fn revision_2024_11_05_is_not_offered() {
    let app = TestApp::spawn().await;
    // initialize proposing it gets the newest initialize revision instead.
    let response = app
        .post(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {},
            "clientInfo": {"name": "old", "version": "0"}}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["protocolVersion"], "2025-11-25", "{body}");

    // A request that says it speaks it is refused.
    let response = app
        .http
        .post(app.mcp_url())
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .header("mcp-protocol-version", "2024-11-05")
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Bad Request: Unsupported MCP-Protocol-Version: 2024-11-05"
    );
}
