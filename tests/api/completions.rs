//! Completions (`completion/complete`): the `name` argument of the `use_snippet`
//! prompt and of the `snippet:///{name}` template, completed from the caller's own
//! collection by prefix, at most 100 values, through real clients (rmcp's and the
//! Python SDK 2.x against the binary).

use rmcp::{
    RoleClient,
    model::{ClientConfig, CompletionInfo},
    service::RunningService,
};
use serde_json::json;

use crate::helpers::{
    Handler, PYTHON_SDKS, TestApp, call_tool,
    identity::{ALICE, BOB, client_with},
    python_client,
};

type Client = RunningService<RoleClient, ClientConfig>;

const TEMPLATE: &str = "snippet:///{name}";

async fn save(client: &Client, name: &str) {
    let saved = call_tool(
        client,
        "save_snippet",
        json!({"snippetname": name, "snippet": "x"}),
    )
    .await;
    assert_eq!(saved.is_error, Some(false), "{saved:?}");
}

async fn prompt_names(client: &Client, typed: &str) -> CompletionInfo {
    client
        .complete_prompt_argument("use_snippet", "name", typed, None)
        .await
        .unwrap()
}

#[tokio::test]
async fn snippet_names_complete_by_prefix_for_the_prompt_and_the_template() {
    let app = TestApp::spawn().await;
    let client = app.client().await;
    let declared = client.peer_info().unwrap().capabilities.completions.clone();
    assert!(declared.is_some(), "completions are declared");
    for name in ["alpha", "alpine.md", "beta", "Alpha"] {
        save(&client, name).await;
    }

    let al = prompt_names(&client, "al").await;
    assert_eq!(al.values, ["alpha", "alpine.md"]);
    assert_eq!((al.total, al.has_more), (Some(2), Some(false)));
    let all = client
        .complete_resource_argument(TEMPLATE, "name", "", None)
        .await
        .unwrap();
    assert_eq!(all.values, ["Alpha", "alpha", "alpine.md", "beta"]);
    // Case-sensitive, as names are; nothing starts with a prefix no name can have.
    for typed in ["ALP", "../", "-"] {
        let none = prompt_names(&client, typed).await;
        assert!(none.values.is_empty(), "{typed}: {none:?}");
        assert_eq!(none.total, Some(0));
    }

    // The other prompt's argument has nothing to complete; an unknown prompt or
    // template is the client's error.
    let location = client
        .complete_prompt_argument("weather_briefing", "location", "Se", None)
        .await
        .unwrap();
    assert!(location.values.is_empty());
    for error in [
        client
            .complete_prompt_argument("nope", "name", "a", None)
            .await,
        client
            .complete_resource_argument("file:///{path}", "path", "a", None)
            .await,
    ] {
        let error = error.unwrap_err().to_string();
        assert!(
            error.contains("-32602") || error.contains("nothing to complete"),
            "{error}"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn at_most_100_values_and_more_is_said() {
    let app = TestApp::spawn().await;
    let client = app.client().await;
    for i in 0..105 {
        save(&client, &format!("n{i:03}")).await;
    }
    let first = prompt_names(&client, "n").await;
    assert_eq!(first.values.len(), 100);
    assert_eq!(first.values[0], "n000");
    assert_eq!((first.total, first.has_more), (None, Some(true)));
    let narrower = prompt_names(&client, "n10").await;
    assert_eq!(narrower.values, ["n100", "n101", "n102", "n103", "n104"]);
    assert_eq!(narrower.total, Some(5));
    client.cancel().await.unwrap();
}

/// With private snippets each signed-in user is offered their own names only, and a
/// caller nobody signed in none.
#[tokio::test(flavor = "multi_thread")]
async fn each_user_is_offered_their_own_names() {
    let handler = Handler::start(&[("WEBSITE_AUTH_ENABLED", "True"), ("SNIPPETS_SCOPE", "user")]);
    let url = handler.url("/mcp");
    let alice = client_with(&url, &ALICE.headers()).await;
    let bob = client_with(&url, &BOB.headers()).await;
    let nobody = client_with(&url, &[]).await;
    save(&alice, "alices-notes").await;
    save(&bob, "bobs-notes").await;
    assert_eq!(prompt_names(&alice, "").await.values, ["alices-notes"]);
    assert_eq!(prompt_names(&bob, "").await.values, ["bobs-notes"]);
    assert!(prompt_names(&bob, "alice").await.values.is_empty());
    assert!(prompt_names(&nobody, "").await.values.is_empty());
    for client in [alice, bob, nobody] {
        client.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Python MCP SDK: scripts/test.sh"]
async fn the_python_sdk_completes_snippet_names() {
    let handler = Handler::start(&[]);
    let client = crate::helpers::mcp_client(&handler.url("/mcp")).await;
    for name in ["query.sql", "queue", "notes"] {
        save(&client, name).await;
    }
    client.cancel().await.unwrap();
    let url = handler.url("/mcp");
    let report = tokio::task::spawn_blocking(move || {
        let options = [
            "--discover",
            "--complete",
            "ref/prompt",
            "use_snippet",
            "name",
            "que",
            "--complete",
            "ref/resource",
            TEMPLATE,
            "name",
            "n",
        ];
        python_client(PYTHON_SDKS[1], &url, &options, &[])
    })
    .await
    .unwrap();
    assert!(
        report["discover"]["capabilities"]["completions"].is_object(),
        "{report}"
    );
    let completions = &report["completions"];
    assert_eq!(
        completions[0]["completion"],
        json!({"values": ["query.sql", "queue"], "total": 2, "hasMore": false}),
        "{report}"
    );
    assert_eq!(
        completions[1]["completion"]["values"],
        json!(["notes"]),
        "{report}"
    );
}
