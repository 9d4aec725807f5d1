//! Confirmations in the real snippet tools (SEP-2322, protocol 2026-07-28):
//! `delete_snippet`, and `save_snippet` over an existing snippet without `overwrite`,
//! ask the person behind a client that can ask before anything changes. The answer
//! and the sealed `requestState` come back in a retry that any instance sharing
//! `MCP_REQUEST_STATE_KEY` can take. Older clients are never asked.

use std::path::Path;

use rmcp::{
    ClientServiceExt, ServiceExt,
    model::{
        CallToolRequestParams, CallToolResponse, ClientCapabilities, ClientConfig,
        ElicitationAction, Implementation, InputRequiredResult,
    },
    transport::StreamableHttpClientTransport,
};
use serde_json::{Value, json};

use crate::helpers::{
    ACCEPT, Azurite, Handler, call_tool,
    clients::{User, client_2026, python_elicit, result_texts, typescript_elicit},
    result_text,
};

const KEY: &str = "confirmations-test-key-shared-by-instances";

/// An instance whose snippets live in `dir`, sealing with `key`: several started on
/// one directory and one key are one scaled-out app.
fn instance(dir: &Path, key: &str) -> Handler {
    Handler::start(&[
        ("SNIPPETS_DIR", dir.to_str().unwrap()),
        ("MCP_REQUEST_STATE_KEY", key),
    ])
}

fn call(tool: &str, arguments: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(tool.to_owned())
        .with_arguments(arguments.as_object().unwrap().clone())
}

fn stored(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(format!("{name}.json"))).ok()
}

fn yes() -> User {
    User::new(ElicitationAction::Accept, json!({"confirm": true}))
}

/// Saves `content` as `name`, as an older client would (no question asked).
async fn save(handler: &Handler, name: &str, content: &str) {
    let client = crate::helpers::mcp_client(&handler.url("/mcp")).await;
    let saved = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": name, "snippet": content}),
    )
    .await;
    assert_eq!(saved.is_error, Some(false), "{}", result_text(&saved));
    client.cancel().await.unwrap();
}

/// The first round of `tool`: the question, not a result.
async fn first_round(
    handler: &Handler,
    user: &User,
    tool: &str,
    arguments: Value,
) -> InputRequiredResult {
    let client = client_2026(&handler.url("/mcp"), user.clone()).await;
    let response = client.call_tool_once(call(tool, arguments)).await.unwrap();
    client.cancel().await.unwrap();
    match response {
        CallToolResponse::InputRequired(asked) => asked,
        other => panic!("{tool} did not ask: {other:?}"),
    }
}

/// The retry of `tool` carrying `user`'s answers to `asked`, on `handler`.
async fn retry(
    handler: &Handler,
    user: &User,
    tool: &str,
    arguments: Value,
    asked: InputRequiredResult,
) -> CallToolResponse {
    let params = call(tool, arguments)
        .with_input_responses(user.answers(asked.input_requests.unwrap()))
        .with_request_state(asked.request_state.unwrap());
    let client = client_2026(&handler.url("/mcp"), user.clone()).await;
    let response = client.call_tool_once(params).await.unwrap();
    client.cancel().await.unwrap();
    response
}

fn complete(response: CallToolResponse) -> rmcp::model::CallToolResult {
    match response {
        CallToolResponse::Complete(result) => result,
        other => panic!("expected a result: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_asks_first_and_deletes_only_on_yes() {
    let dir = tempfile::tempdir().unwrap();
    let handler = instance(dir.path(), KEY);
    for (user, deleted) in [
        (
            User::new(ElicitationAction::Accept, json!({"confirm": false})),
            false,
        ),
        (User::new(ElicitationAction::Decline, json!({})), false),
        (User::new(ElicitationAction::Cancel, json!({})), false),
        (yes(), true),
    ] {
        save(&handler, "notes", "some text").await;
        let client = client_2026(&handler.url("/mcp"), user.clone()).await;
        let result = client
            .call_tool(call("delete_snippet", json!({"snippetname": "notes"})))
            .await
            .unwrap();
        client.cancel().await.unwrap();

        let asked = user.asked();
        assert_eq!(asked.len(), 1, "{asked:?}");
        assert!(asked[0].contains("\"notes\" (9 bytes"), "{asked:?}");
        let out = result.structured_content.clone().unwrap();
        assert_eq!(out["deleted"], deleted, "{out}");
        assert_eq!(out["declined"], !deleted, "{out}");
        assert_eq!(stored(dir.path(), "notes").is_some(), !deleted);
        if !deleted {
            assert!(
                result_text(&result).contains("Nothing was deleted"),
                "{result:?}"
            );
        }
    }

    // Nothing to delete: nothing to ask.
    let user = yes();
    let client = client_2026(&handler.url("/mcp"), user.clone()).await;
    let result = client
        .call_tool(call("delete_snippet", json!({"snippetname": "notes"})))
        .await
        .unwrap();
    assert_eq!(result.structured_content.unwrap()["deleted"], false);
    assert!(user.asked().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn another_instance_takes_the_retry_and_a_foreign_or_edited_state_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (instance(dir.path(), KEY), instance(dir.path(), KEY));
    let foreign = instance(dir.path(), "another-deployment-key-of-32-bytes-or-more");
    save(&first, "notes", "some text").await;
    let args = json!({"snippetname": "notes"});
    let user = yes();

    // Another server's key, and an edited state: refused alike, nothing deleted.
    let asked = first_round(&first, &user, "delete_snippet", args.clone()).await;
    let refused = complete(retry(&foreign, &user, "delete_snippet", args.clone(), asked).await);
    assert_eq!(refused.is_error, Some(true));
    assert!(
        result_text(&refused).contains("no longer valid"),
        "{refused:?}"
    );
    let mut asked = first_round(&first, &user, "delete_snippet", args.clone()).await;
    asked.request_state = asked.request_state.map(|s| format!("{s}x"));
    let refused = complete(retry(&second, &user, "delete_snippet", args.clone(), asked).await);
    assert!(
        result_text(&refused).contains("no longer valid"),
        "{refused:?}"
    );
    // A state issued for one snippet does not delete another.
    save(&first, "other", "x").await;
    let asked = first_round(&first, &user, "delete_snippet", args.clone()).await;
    let other = json!({"snippetname": "other"});
    let refused = complete(retry(&second, &user, "delete_snippet", other, asked).await);
    assert!(
        result_text(&refused).contains("no longer valid"),
        "{refused:?}"
    );
    assert!(stored(dir.path(), "notes").is_some() && stored(dir.path(), "other").is_some());

    // The first round on one instance, the retry on the other.
    let asked = first_round(&first, &user, "delete_snippet", args.clone()).await;
    let done = complete(retry(&second, &user, "delete_snippet", args, asked).await);
    assert_eq!(done.structured_content.unwrap()["deleted"], true);
    assert!(stored(dir.path(), "notes").is_none());
    // The refusals were logged without the state's value.
    assert!(foreign.output().join("\n").contains("did not open"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snippet_changed_since_the_question_is_asked_about_again() {
    let dir = tempfile::tempdir().unwrap();
    let handler = instance(dir.path(), KEY);
    save(&handler, "notes", "v1").await;
    let args = json!({"snippetname": "notes"});
    let user = yes();
    let asked = first_round(&handler, &user, "delete_snippet", args.clone()).await;
    save(&handler, "notes", "a longer second version").await;

    let again = retry(&handler, &user, "delete_snippet", args, asked).await;
    let CallToolResponse::InputRequired(again) = again else {
        panic!("deleted a version the person never saw: {again:?}");
    };
    let question = serde_json::to_value(&again.input_requests.unwrap()["confirm"]).unwrap();
    assert!(
        question["params"]["message"]
            .as_str()
            .unwrap()
            .contains("(23 bytes"),
        "{question}"
    );
    assert_eq!(
        stored(dir.path(), "notes").unwrap(),
        "a longer second version"
    );
}

/// A change between the question and the confirmed retry, on both backends: the
/// retry asks again about the version there now, and the change is not lost. (A
/// change between the retry's check and its write is refused by storage itself:
/// `conditional_writes` in snippets_contract.rs.)
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Azurite: scripts/test.sh"]
async fn a_change_after_the_question_is_never_lost_on_either_backend() {
    let dir = tempfile::tempdir().unwrap();
    let azurite = Azurite::start();
    let connection = azurite.connection_string();
    let key = ("MCP_REQUEST_STATE_KEY", KEY);
    let local = Handler::start(&[("SNIPPETS_DIR", dir.path().to_str().unwrap()), key]);
    let blobs = Handler::start(&[("AzureWebJobsStorage", connection.as_str()), key]);
    for handler in [&local, &blobs] {
        let user = yes();
        for (tool, arguments) in [
            (
                "save_snippet",
                json!({"snippetname": "notes", "snippet": "new"}),
            ),
            ("delete_snippet", json!({"snippetname": "notes"})),
        ] {
            save(handler, "notes", "v1").await;
            let asked = first_round(handler, &user, tool, arguments.clone()).await;
            save(handler, "notes", "changed meanwhile").await;
            let again = retry(handler, &user, tool, arguments, asked).await;
            let CallToolResponse::InputRequired(again) = again else {
                panic!("{tool} acted on a version the person never saw: {again:?}");
            };
            let question = serde_json::to_value(&again.input_requests.unwrap()["confirm"]);
            assert!(
                question.unwrap()["params"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("(17 bytes"),
                "{tool}"
            );
            let client = crate::helpers::mcp_client(&handler.url("/mcp")).await;
            let got = call_tool(&client, "get_snippet", json!({"snippetname": "notes"})).await;
            client.cancel().await.unwrap();
            let content = &got.structured_content.unwrap()["content"];
            assert_eq!(content, "changed meanwhile", "{tool}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn saving_over_a_snippet_asks_unless_overwrite_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let handler = instance(dir.path(), KEY);
    let save_as = |user: &User, text: &str, overwrite: Option<bool>| {
        let mut args = json!({"snippetname": "notes", "snippet": text});
        if let Some(overwrite) = overwrite {
            args["overwrite"] = json!(overwrite);
        }
        let (url, user) = (handler.url("/mcp"), user.clone());
        async move {
            let client = client_2026(&url, user).await;
            let result = client.call_tool(call("save_snippet", args)).await.unwrap();
            client.cancel().await.unwrap();
            result
        }
    };

    // A new name: nothing to ask.
    let user = yes();
    save_as(&user, "first", None).await;
    assert!(user.asked().is_empty());

    // Over it, without overwrite: asked, with both sizes; yes replaces.
    let saved = save_as(&user, "second!", None).await;
    let asked = user.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].starts_with("Replace the snippet \"notes\" (5 bytes, last saved 20"),
        "{asked:?}"
    );
    assert!(
        asked[0].ends_with("with the new text (7 bytes)? The old text will be lost."),
        "{asked:?}"
    );
    assert_eq!(saved.structured_content.unwrap()["replaced"], true);
    assert_eq!(stored(dir.path(), "notes").unwrap(), "second!");

    // Declined: kept.
    let user = User::new(ElicitationAction::Decline, json!({}));
    let kept = save_as(&user, "third", None).await;
    let out = kept.structured_content.unwrap();
    assert_eq!(
        (out["replaced"].clone(), out["declined"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(stored(dir.path(), "notes").unwrap(), "second!");

    // An explicit overwrite never asks.
    let user = yes();
    save_as(&user, "fourth", Some(true)).await;
    let refused = save_as(&user, "fifth", Some(false)).await;
    assert!(user.asked().is_empty());
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(stored(dir.path(), "notes").unwrap(), "fourth");
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_older_than_2026_07_28_are_never_asked() {
    let dir = tempfile::tempdir().unwrap();
    let handler = instance(dir.path(), KEY);
    save(&handler, "notes", "v1").await;

    // 2025-11-25, declaring elicitation at initialize: today's behaviour, no question.
    let user = yes();
    let client = user
        .clone()
        .serve(StreamableHttpClientTransport::from_uri(handler.url("/mcp")))
        .await
        .unwrap();
    let saved = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "notes", "snippet": "v2"}),
    )
    .await;
    assert_eq!(saved.structured_content.unwrap()["replaced"], true);
    let deleted = call_tool(&client, "delete_snippet", json!({"snippetname": "notes"})).await;
    assert_eq!(deleted.structured_content.unwrap()["deleted"], true);
    assert!(user.asked().is_empty());
    client.cancel().await.unwrap();

    // A legacy request replaying a state without its answer would be asked again:
    // rmcp refuses to send an input-required result to that revision.
    save(&handler, "notes", "v3").await;
    let asked = first_round(
        &handler,
        &yes(),
        "delete_snippet",
        json!({"snippetname": "notes"}),
    )
    .await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "delete_snippet", "arguments": {"snippetname": "notes"},
        "requestState": asked.request_state.unwrap()}});
    let response: Value = reqwest::Client::new()
        .post(handler.url("/mcp"))
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("requires negotiated protocol version 2026-07-28"),
        "{response}"
    );
    assert_eq!(stored(dir.path(), "notes").unwrap(), "v3");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_that_is_not_an_elicitation_result_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let handler = instance(dir.path(), KEY);
    save(&handler, "notes", "v1").await;
    let args = json!({"snippetname": "notes"});
    let asked = first_round(&handler, &yes(), "delete_snippet", args.clone()).await;
    let params = call("delete_snippet", args)
        .with_input_responses([("confirm".to_owned(), json!({"action": "maybe"}))].into())
        .with_request_state(asked.request_state.unwrap());
    let client = client_2026(&handler.url("/mcp"), yes()).await;
    let error = client.call_tool_once(params).await.unwrap_err().to_string();
    assert!(
        error.contains("inputResponses.confirm is not an elicitation result"),
        "{error}"
    );
    client.cancel().await.unwrap();
    assert_eq!(stored(dir.path(), "notes").unwrap(), "v1");
}

/// The Python SDK 2.x and the TypeScript SDK 2.x each take the question from one
/// instance and send the answer to another.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Python SDK 2.x and the TypeScript SDK 2.x: scripts/test.sh"]
async fn the_python_and_typescript_sdks_confirm_a_delete_across_two_instances() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (instance(dir.path(), KEY), instance(dir.path(), KEY));
    type Elicit = fn(&str, &str, &Value, &[&str]) -> (bool, Value, String);
    let sdks: [(&str, Elicit); 2] = [("python", python_elicit), ("typescript", typescript_elicit)];
    for (sdk, elicit) in sdks {
        for (options, deleted) in [
            (vec!["--action", "decline"], false),
            (
                vec!["--action", "accept", "--content", r#"{"confirm": true}"#],
                true,
            ),
        ] {
            save(&first, "notes", "some text").await;
            let (a, b) = (first.url("/mcp"), second.url("/mcp"));
            let (ok, report, stderr) = tokio::task::spawn_blocking(move || {
                let options = [&options[..], &["--retry-url", &b]].concat();
                elicit(
                    &a,
                    "delete_snippet",
                    &json!({"snippetname": "notes"}),
                    &options,
                )
            })
            .await
            .unwrap();
            assert!(ok, "{sdk}: {stderr}");
            assert_eq!(report["protocolVersion"], "2026-07-28", "{sdk}: {report}");
            assert_eq!(
                report["firstRound"]["resultType"], "input_required",
                "{sdk}: {report}"
            );
            let message = report["elicitations"][0]["message"].as_str().unwrap();
            assert!(
                message.contains("Delete the snippet \"notes\""),
                "{sdk}: {report}"
            );
            assert_eq!(
                report["result"]["structuredContent"]["deleted"], deleted,
                "{sdk}: {report}"
            );
            assert_eq!(
                stored(dir.path(), "notes").is_none(),
                deleted,
                "{sdk}: {}",
                result_texts(&report)
            );
        }
    }
}

/// rmcp's `ClientConfig` alone (no handler) declares no elicitation: never asked.
#[tokio::test(flavor = "multi_thread")]
async fn a_2026_07_28_client_without_elicitation_is_not_asked() {
    let dir = tempfile::tempdir().unwrap();
    let handler = instance(dir.path(), KEY);
    save(&handler, "notes", "v1").await;
    let client = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("no-elicitation", "0"),
    )
    .serve_with_lifecycle(
        StreamableHttpClientTransport::from_uri(handler.url("/mcp")),
        rmcp::ClientLifecycleMode::Discover {
            preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .unwrap();
    let deleted = call_tool(&client, "delete_snippet", json!({"snippetname": "notes"})).await;
    assert_eq!(deleted.structured_content.unwrap()["deleted"], true);
    client.cancel().await.unwrap();
}
