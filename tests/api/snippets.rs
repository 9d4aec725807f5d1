//! The snippet tools as an MCP client sees them, on the local-directory backend.

use serde_json::json;

use crate::helpers::{Handler, TestApp, call_tool, mcp_client, result_text};

#[tokio::test]
async fn the_four_tools_are_described_for_the_model() {
    let app = TestApp::spawn().await;
    let client = app.client().await;
    let tools = client.list_all_tools().await.unwrap();
    let tool = |name: &str| {
        let tool = tools.iter().find(|t| t.name == name).unwrap();
        serde_json::to_value(tool).unwrap()
    };

    let save = tool("save_snippet");
    assert_eq!(save["title"], "Save snippet");
    assert_eq!(save["annotations"]["destructiveHint"], true);
    assert_eq!(save["annotations"]["readOnlyHint"], false);
    assert_eq!(
        save["inputSchema"]["required"],
        json!(["snippetname", "snippet"])
    );
    assert!(save["inputSchema"]["properties"]["overwrite"].is_object());
    assert!(
        save["outputSchema"]["properties"]["replaced"].is_object(),
        "{save}"
    );

    for name in ["get_snippet", "list_snippets"] {
        let tool = tool(name);
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
        assert!(tool["outputSchema"].is_object(), "{tool}");
        assert!(tool["title"].is_string(), "{tool}");
    }
    assert!(tool("list_snippets")["inputSchema"]["properties"]["prefix"].is_object());

    let delete = tool("delete_snippet");
    assert_eq!(delete["annotations"]["destructiveHint"], true);
    assert_eq!(delete["annotations"]["idempotentHint"], true);
    assert!(delete["outputSchema"]["properties"]["deleted"].is_object());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn save_get_list_delete_through_an_mcp_client() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(&[("SNIPPETS_DIR", dir.path().to_str().unwrap())]).await;
    let client = app.client().await;

    let saved = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "greeting", "snippet": "Hello, world!"}),
    )
    .await;
    assert_eq!(saved.is_error, Some(false), "{saved:?}");
    assert_eq!(
        saved.structured_content,
        Some(json!({"name": "greeting", "sizeBytes": 13, "replaced": false, "declined": false}))
    );
    assert_eq!(
        result_text(&saved),
        "Saved new snippet \"greeting\" (13 bytes)."
    );
    // The file users can look at: <dir>/<name>.json holding the raw text.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("greeting.json")).unwrap(),
        "Hello, world!"
    );

    let got = call_tool(&client, "get_snippet", json!({"snippetname": "greeting"})).await;
    let structured = got.structured_content.clone().unwrap();
    assert_eq!(structured["content"], "Hello, world!");
    assert_eq!(structured["sizeBytes"], 13);
    assert!(structured["lastModified"].as_str().unwrap().ends_with('Z'));
    let text = result_text(&got);
    assert!(
        text.starts_with("Snippet \"greeting\" (13 bytes, last saved "),
        "{text}"
    );
    assert!(text.ends_with("\n\nHello, world!"), "{text}");

    let listed = call_tool(&client, "list_snippets", json!({"prefix": "gr"})).await;
    let structured = listed.structured_content.clone().unwrap();
    assert_eq!(structured["total"], 1);
    assert_eq!(structured["snippets"][0]["name"], "greeting");
    assert!(
        result_text(&listed).contains("- greeting (13 bytes"),
        "{listed:?}"
    );
    let none = call_tool(&client, "list_snippets", json!({"prefix": "zz"})).await;
    assert_eq!(result_text(&none), "No snippet names start with \"zz\".");

    let deleted = call_tool(
        &client,
        "delete_snippet",
        json!({"snippetname": "greeting"}),
    )
    .await;
    assert_eq!(
        deleted.structured_content,
        Some(json!({"name": "greeting", "deleted": true, "declined": false}))
    );
    let again = call_tool(
        &client,
        "delete_snippet",
        json!({"snippetname": "greeting"}),
    )
    .await;
    assert_eq!(again.is_error, Some(false));
    assert_eq!(
        result_text(&again),
        "No snippet named \"greeting\" exists; nothing was deleted."
    );
    assert!(!dir.path().join("greeting.json").exists());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn mistakes_the_model_can_fix_are_tool_errors_that_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(&[("SNIPPETS_DIR", dir.path().to_str().unwrap())]).await;
    let client = app.client().await;

    for bad in crate::snippets_contract::invalid_names() {
        let result = call_tool(
            &client,
            "save_snippet",
            json!({"snippetname": bad, "snippet": "x"}),
        )
        .await;
        assert_eq!(result.is_error, Some(true), "{bad}");
        let text = result_text(&result);
        assert!(text.contains("is not a valid snippet name"), "{text}");
        assert!(text.contains("1 to 128 characters"), "{text}");
    }
    let big = "x".repeat(1024 * 1024 + 1);
    let result = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "big", "snippet": big}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        result_text(&result).contains("over the limit of 1048576 bytes"),
        "{result:?}"
    );

    let missing = call_tool(
        &client,
        "get_snippet",
        json!({"snippetname": "nothing-here"}),
    )
    .await;
    assert_eq!(missing.is_error, Some(true));
    assert!(
        result_text(&missing).contains("\"nothing-here\""),
        "{missing:?}"
    );

    call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "keep", "snippet": "original"}),
    )
    .await;
    let conflict = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "keep", "snippet": "new", "overwrite": false}),
    )
    .await;
    assert_eq!(conflict.is_error, Some(true));
    assert!(
        result_text(&conflict).contains("already exists"),
        "{conflict:?}"
    );

    // Nothing but the snippet and the directory's lock (see src/snippets/local.rs).
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, [".lock", "keep.json"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.json")).unwrap(),
        "original"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_missing_required_argument_names_the_argument() {
    let app = TestApp::spawn().await;
    let client = app.client().await;
    let result = call_tool(&client, "save_snippet", json!({"snippetname": "x"})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        result_text(&result).contains("missing field `snippet`"),
        "{result:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn on_azure_without_storage_the_tools_refuse_and_write_nothing() {
    let handler = Handler::start(&[("WEBSITE_INSTANCE_ID", "0123abcd")]);
    let client = mcp_client(&handler.url("/mcp")).await;
    for (tool, args) in [
        ("save_snippet", json!({"snippetname": "a", "snippet": "x"})),
        ("list_snippets", json!({})),
    ] {
        let result = call_tool(&client, tool, args).await;
        assert_eq!(result.is_error, Some(true), "{tool}");
        let text = result_text(&result);
        assert!(
            text.starts_with("Snippet storage is not configured"),
            "{text}"
        );
        assert!(text.contains("AzureWebJobsStorage"), "{text}");
    }
    client.cancel().await.unwrap();
    let written: Vec<_> = std::fs::read_dir(handler.dir.path()).unwrap().collect();
    assert!(written.is_empty(), "{written:?}");
    assert!(
        handler
            .output()
            .iter()
            .any(|l| l.contains("snippet storage is not configured")),
        "{:#?}",
        handler.output()
    );
}

/// A collection at its cap refuses a new snippet with the limit in the message and
/// writes nothing; replacing one still works.
#[tokio::test]
async fn a_full_collection_refuses_a_new_snippet_and_says_the_limit() {
    let app = TestApp::spawn_with(&[("SNIPPETS_MAX_COUNT", "1")]).await;
    let client = app.client().await;
    let save = |name: &'static str, text: &'static str| {
        let client = &client;
        async move {
            call_tool(
                client,
                "save_snippet",
                json!({"snippetname": name, "snippet": text, "overwrite": true}),
            )
            .await
        }
    };
    assert_eq!(save("first", "one").await.is_error, Some(false));
    let refused = save("second", "two").await;
    assert_eq!(refused.is_error, Some(true));
    let text = result_text(&refused);
    assert!(
        text.starts_with(
            "This collection is full: it holds 1 snippets, and this server keeps at most 1 \
             per collection; nothing was saved."
        ),
        "{text}"
    );
    let listed = call_tool(&client, "list_snippets", json!({})).await;
    assert_eq!(listed.structured_content.unwrap()["total"], 1);
    let replaced = save("first", "one, again").await;
    assert_eq!(replaced.structured_content.unwrap()["replaced"], true);
    client.cancel().await.unwrap();
}
