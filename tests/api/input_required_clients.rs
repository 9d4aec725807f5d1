//! Real SDK clients through SEP-2322 input-required results (2026-07-28), against the
//! conformance server's input-required tools ([`crate::conformance`]): the client
//! declares elicitation, the server answers a tool call with an elicitation request
//! instead of a result, the client asks "the user" (an answer fixed by the test) and
//! retries with the answer and the echoed, sealed `requestState`.
//!
//! Statelessness is shown with two server instances built with one request-state
//! key: the first round goes to one, the retry to the other. A third instance with
//! another key refuses the state.
//!
//! Clients: rmcp 3.9 (its `ClientHandler` answers elicitations, `call_tool` drives the
//! rounds, `call_tool_once` returns one round) and the Python MCP SDK 2.3.0
//! (`tests/python/elicit.py`: `Client(..., mode="2026-07-28", elicitation_callback=...)`).

use rmcp::{
    ServiceExt,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ElicitationAction, InputResponses,
        ProtocolVersion,
    },
    transport::StreamableHttpClientTransport,
};
use serde_json::json;

use crate::{
    conformance::Fixtures,
    helpers::{
        ServedHandler,
        clients::{User, client_2026, python_elicit, result_texts},
        result_text,
    },
};

/// Asks for a name (`user_name`) and answers "Hello, <name>!".
const ELICITATION_TOOL: &str = "test_input_required_result_elicitation";
/// Asks to confirm (`confirm`, `{ok: boolean}`) with a sealed `requestState`.
const STATE_TOOL: &str = "test_input_required_result_request_state";
/// Two elicitations in two rounds, the name carried in the sealed state.
const MULTI_ROUND_TOOL: &str = "test_input_required_result_multi_round";

/// A fresh key per test, so no test can pass on the fixtures' default key.
fn key(tag: &str) -> Vec<u8> {
    format!(
        "input-required-clients-test-key-{tag}-{:?}",
        std::time::SystemTime::now()
    )
    .into_bytes()
}

fn call(name: &str) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_owned()).with_arguments(serde_json::Map::new())
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_client_answers_an_elicitation_with_accept_or_decline() {
    let server = ServedHandler::start(Fixtures::with_request_state_key(&key("rmcp"))).await;
    for (action, expected) in [
        (ElicitationAction::Accept, "Hello, Ada!"),
        (
            ElicitationAction::Decline,
            "No name given: the user chose decline.",
        ),
        (
            ElicitationAction::Cancel,
            "No name given: the user chose cancel.",
        ),
    ] {
        let user = User::new(action.clone(), json!({"name": "Ada"}));
        let client = client_2026(&server.mcp_url(), user.clone()).await;
        let result = client.call_tool(call(ELICITATION_TOOL)).await.unwrap();
        assert_eq!(result_text(&result), expected, "{action:?}");
        assert_eq!(user.asked(), ["What is your name?"], "{action:?}");
        client.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_client_retries_on_another_instance_with_the_shared_key() {
    let shared = key("shared");
    let first = ServedHandler::start(Fixtures::with_request_state_key(&shared)).await;
    let second = ServedHandler::start(Fixtures::with_request_state_key(&shared)).await;
    let foreign = ServedHandler::start(Fixtures::with_request_state_key(&key("foreign"))).await;
    let user = User::new(ElicitationAction::Accept, json!({"ok": true}));
    let on_first = client_2026(&first.mcp_url(), user.clone()).await;
    let on_second = client_2026(&second.mcp_url(), user.clone()).await;
    let on_foreign = client_2026(&foreign.mcp_url(), user.clone()).await;

    // Round 1 on the first instance.
    let CallToolResponse::InputRequired(asked) =
        on_first.call_tool_once(call(STATE_TOOL)).await.unwrap()
    else {
        panic!("{STATE_TOOL} completed without asking");
    };
    let state = asked.request_state.clone().expect("a sealed requestState");
    let requests = asked.input_requests.clone().unwrap();
    assert_eq!(requests.keys().collect::<Vec<_>>(), ["confirm"]);
    let answers = user.answers(requests);
    let retry = call(STATE_TOOL)
        .with_input_responses(answers)
        .with_request_state(state.clone());

    // The retry on the second instance completes: nothing was kept on the first.
    let CallToolResponse::Complete(done) = on_second.call_tool_once(retry.clone()).await.unwrap()
    else {
        panic!("the retry on the second instance asked again");
    };
    assert!(
        result_text(&done).starts_with("state-ok: requestState verified"),
        "{done:?}"
    );

    // An instance with another key refuses the state; so does a tampered state.
    assert_refused(&on_foreign, retry.clone()).await;
    let tampered = retry.clone().with_request_state(format!("{state}x"));
    assert_refused(&on_second, tampered).await;
    // State sealed for one tool is refused by another.
    let mut other_tool = retry;
    other_tool.name = MULTI_ROUND_TOOL.into();
    assert_refused(&on_second, other_tool).await;

    // rmcp's own driver through two rounds, alternating instances by hand.
    let mut params = call(MULTI_ROUND_TOOL);
    let mut rounds = 0;
    let result: CallToolResult = loop {
        let client = if rounds % 2 == 0 {
            &on_first
        } else {
            &on_second
        };
        match client.call_tool_once(params.clone()).await.unwrap() {
            CallToolResponse::Complete(result) => break result,
            CallToolResponse::InputRequired(asked) => {
                let answers: InputResponses = asked
                    .input_requests
                    .unwrap()
                    .into_iter()
                    .map(|(key, request)| {
                        let params = serde_json::to_value(&request).unwrap()["params"].clone();
                        let content = if key == "step1" {
                            json!({"name": "Ada"})
                        } else {
                            json!({"color": "green"})
                        };
                        let answer = User::new(ElicitationAction::Accept, content)
                            .answer(&serde_json::from_value(params).unwrap());
                        (key, serde_json::to_value(answer).unwrap())
                    })
                    .collect();
                params = call(MULTI_ROUND_TOOL)
                    .with_input_responses(answers)
                    .with_request_state(asked.request_state.unwrap());
            }
            other => panic!("unexpected {other:?}"),
        }
        rounds += 1;
        assert!(rounds <= 3, "more rounds than the tool has");
    };
    assert_eq!(rounds, 2);
    assert_eq!(
        result_text(&result),
        "Multi-round complete for Ada who likes green"
    );
    for client in [on_first, on_second, on_foreign] {
        client.cancel().await.unwrap();
    }
}

/// A client that negotiated an older revision (`initialize`) is never asked: on a
/// stateless server its capabilities, declared once at `initialize`, are unknown to
/// the POST that calls the tool, so the fixtures answer -32021 (missing client
/// capability) instead of an input-required result. (rmcp would refuse to send one to
/// such a client anyway: "InputRequiredResult requires negotiated protocol version
/// 2026-07-28 or newer".)
#[tokio::test(flavor = "multi_thread")]
async fn clients_older_than_2026_07_28_never_receive_an_input_required_result() {
    let server = ServedHandler::start(Fixtures::default()).await;
    let user = User::new(ElicitationAction::Accept, json!({"name": "Ada"}));
    let client = user
        .clone()
        .serve(StreamableHttpClientTransport::from_uri(server.mcp_url()))
        .await
        .unwrap();
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2025_11_25
    );
    let error = client
        .call_tool(call(ELICITATION_TOOL))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("-32021") && error.contains("elicitation"),
        "{error}"
    );
    assert!(user.asked().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Python MCP SDK: scripts/test.sh"]
async fn python_sdk_answers_an_elicitation_with_accept_or_decline() {
    let server = ServedHandler::start(Fixtures::with_request_state_key(&key("python"))).await;
    let url = server.mcp_url();
    let runs = tokio::task::spawn_blocking(move || {
        [
            python_elicit(
                &url,
                ELICITATION_TOOL,
                &json!({}),
                &["--action", "accept", "--content", r#"{"name": "Ada"}"#],
            ),
            python_elicit(&url, ELICITATION_TOOL, &json!({}), &["--action", "decline"]),
            python_elicit(
                &url,
                MULTI_ROUND_TOOL,
                &json!({}),
                &[
                    "--action",
                    "accept",
                    "--content",
                    r#"{"name": "Ada", "color": "green"}"#,
                ],
            ),
        ]
    })
    .await
    .unwrap();
    let expected = [
        ("Hello, Ada!", vec!["What is your name?"]),
        (
            "No name given: the user chose decline.",
            vec!["What is your name?"],
        ),
        (
            "Multi-round complete for Ada who likes green",
            vec![
                "Step 1: What is your name?",
                "Step 2: What is your favorite color?",
            ],
        ),
    ];
    for ((ok, report, stderr), (text, asked)) in runs.iter().zip(expected) {
        assert!(ok, "{stderr}");
        assert_eq!(report["protocolVersion"], "2026-07-28", "{report}");
        assert_eq!(result_texts(report), text, "{report}");
        let messages: Vec<&str> = report["elicitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap())
            .collect();
        assert_eq!(messages, asked, "{report}");
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Python MCP SDK: scripts/test.sh"]
async fn python_sdk_retries_on_another_instance_with_the_shared_key() {
    let shared = key("python-shared");
    let first = ServedHandler::start(Fixtures::with_request_state_key(&shared)).await;
    let second = ServedHandler::start(Fixtures::with_request_state_key(&shared)).await;
    let foreign =
        ServedHandler::start(Fixtures::with_request_state_key(&key("python-foreign"))).await;
    let (a, b, c) = (first.mcp_url(), second.mcp_url(), foreign.mcp_url());
    let (shared_run, foreign_run) = tokio::task::spawn_blocking(move || {
        let accept = ["--action", "accept", "--content", r#"{"ok": true}"#];
        (
            python_elicit(
                &a,
                STATE_TOOL,
                &json!({}),
                &[&accept[..], &["--retry-url", &b]].concat(),
            ),
            python_elicit(
                &a,
                STATE_TOOL,
                &json!({}),
                &[&accept[..], &["--retry-url", &c]].concat(),
            ),
        )
    })
    .await
    .unwrap();

    let (ok, report, stderr) = shared_run;
    assert!(ok, "{stderr}");
    assert_eq!(
        report["firstRound"]["resultType"], "input_required",
        "{report}"
    );
    assert!(report["firstRound"]["requestState"].is_string(), "{report}");
    assert!(
        result_texts(&report).starts_with("state-ok: requestState verified"),
        "{report}"
    );

    let (ok, _, stderr) = foreign_run;
    assert!(!ok, "an instance with another key accepted the state");
    assert!(
        stderr.contains("requestState integrity check failed"),
        "{stderr}"
    );
}

/// The call fails at the protocol level: its `requestState` does not open.
async fn assert_refused(
    client: &rmcp::service::RunningService<rmcp::RoleClient, User>,
    params: CallToolRequestParams,
) {
    let refused = client.call_tool_once(params).await.unwrap_err().to_string();
    assert!(
        refused.contains("requestState integrity check failed"),
        "{refused}"
    );
}
