//! The real binary against Blob Storage: Azurite for scale-out and outages, and
//! local stand-ins for the managed-identity token endpoint and blob endpoint.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

use crate::helpers::{
    ACCEPT, AZURITE_KEY, Azurite, Handler, call_tool, mcp_client, python_client, repo_root,
    result_text, run_handler_to_exit, typescript_client,
};

#[tokio::test]
#[ignore = "needs Azurite: scripts/test.sh"]
async fn two_instances_share_snippets_through_azurite() {
    let azurite = Azurite::start();
    let cs = azurite.connection_string();
    let settings = [("AzureWebJobsStorage", cs.as_str()), ("RUST_LOG", "debug")];
    let first = Handler::start(&settings);
    let second = Handler::start(&settings);
    let one = mcp_client(&first.url("/mcp")).await;
    let two = mcp_client(&second.url("/mcp")).await;

    let saved = call_tool(
        &one,
        "save_snippet",
        json!({"snippetname": "shared", "snippet": "written by one"}),
    )
    .await;
    assert_eq!(saved.is_error, Some(false), "{saved:?}");

    let got = call_tool(&two, "get_snippet", json!({"snippetname": "shared"})).await;
    assert_eq!(got.structured_content.unwrap()["content"], "written by one");
    let listed = call_tool(&two, "list_snippets", json!({})).await;
    assert_eq!(
        listed.structured_content.unwrap()["snippets"][0]["name"],
        "shared"
    );
    let deleted = call_tool(&two, "delete_snippet", json!({"snippetname": "shared"})).await;
    assert_eq!(deleted.structured_content.unwrap()["deleted"], true);
    let gone = call_tool(&one, "get_snippet", json!({"snippetname": "shared"})).await;
    assert_eq!(gone.is_error, Some(true));

    // Create-only through one, conflict seen through the other.
    call_tool(
        &one,
        "save_snippet",
        json!({"snippetname": "k", "snippet": "1", "overwrite": false}),
    )
    .await;
    let conflict = call_tool(
        &two,
        "save_snippet",
        json!({"snippetname": "k", "snippet": "2", "overwrite": false}),
    )
    .await;
    assert_eq!(conflict.is_error, Some(true));
    one.cancel().await.unwrap();
    two.cancel().await.unwrap();

    // The start-up line names the backend; the key never appears, even at debug level.
    let log = first.output().join("\n");
    let endpoint = azurite.blob_endpoint();
    assert!(
        log.contains(&format!(
            "snippet storage: Azure Blob Storage {endpoint}, container \"snippets\", shared key"
        )),
        "{log}"
    );
    for handler in [&first, &second] {
        let log = handler.output().join("\n");
        assert!(!log.contains(AZURITE_KEY), "the account key was logged");
        assert!(
            !log.contains(&AZURITE_KEY[..20]),
            "part of the account key was logged"
        );
    }
}

#[tokio::test]
#[ignore = "needs Azurite: scripts/test.sh"]
async fn a_storage_outage_is_a_tool_error_and_the_server_recovers() {
    let data = tempfile::tempdir().unwrap();
    let mut azurite = Azurite::start_in(data.path());
    azurite.stop();

    // Storage is down at start-up: the server starts and answers anyway.
    let handler = Handler::start(&[("AzureWebJobsStorage", &azurite.connection_string())]);
    let client = mcp_client(&handler.url("/mcp")).await;
    let down = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "n", "snippet": "v1"}),
    )
    .await;
    assert_eq!(down.is_error, Some(true));
    let text = result_text(&down);
    assert!(
        text.contains("Snippet storage is not answering (could not connect)"),
        "{text}"
    );
    assert!(!text.contains(&azurite.port.to_string()), "{text}");

    azurite.restart();
    let saved = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "n", "snippet": "v1"}),
    )
    .await;
    assert_eq!(saved.is_error, Some(false), "{saved:?}");

    // Down mid-run: reads fail clearly, the server stays up.
    azurite.stop();
    let failed = call_tool(&client, "get_snippet", json!({"snippetname": "n"})).await;
    assert_eq!(failed.is_error, Some(true));
    assert!(result_text(&failed).contains("not answering"), "{failed:?}");
    let ready = reqwest::get(handler.url("/")).await.unwrap();
    assert_eq!(ready.status(), 200);

    // Back again, with the same data.
    azurite.restart();
    let got = call_tool(&client, "get_snippet", json!({"snippetname": "n"})).await;
    assert_eq!(got.is_error, Some(false), "{got:?}");
    assert_eq!(got.structured_content.unwrap()["content"], "v1");
    client.cancel().await.unwrap();
    assert!(!handler.output().join("\n").contains(AZURITE_KEY));
}

/// The invocation id the Functions host gives the requests of [`refused_storage`].
const INVOCATION_ID: &str = "b2f6a3c1-7d4e-4f0a-8b9c-1e2d3f4a5b6c";

/// One JSON-RPC request to `handler` as the Functions host forwards it, with
/// [`INVOCATION_ID`]; its answer.
async fn forwarded(handler: &Handler, method: &str, params: Value) -> Value {
    reqwest::Client::new()
        .post(handler.url("/mcp"))
        .header("accept", ACCEPT)
        .header("x-azure-functions-invocationid", INVOCATION_ID)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn refused_storage_is_quiet_to_the_caller_and_whole_in_the_log() {
    // Blob Storage refusing the app, with the service's recorded answer.
    const ACCOUNT: &str = "quietacct7";
    const CONTAINER: &str = "hidden-container";
    let blobs = MockServer::start().await;
    let refusal =
        std::fs::read(repo_root().join("tests/fixtures/storage-error-403-permission-mismatch.xml"))
            .unwrap();
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ms-error-code", "AuthorizationPermissionMismatch")
                .set_body_raw(refusal, "application/xml"),
        )
        .mount(&blobs)
        .await;
    let storage = format!(
        "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={AZURITE_KEY};BlobEndpoint={}/{ACCOUNT}/;",
        blobs.uri()
    );
    let mut handler = Handler::start(&[
        ("AzureWebJobsStorage", &storage),
        ("SNIPPETS_CONTAINER", CONTAINER),
    ]);
    let port = blobs.address().port().to_string();
    let internals = [
        ACCOUNT,
        CONTAINER,
        "127.0.0.1",
        &port,
        ".json",
        "<",
        "RequestId",
        "not authorized",
        "PUT",
    ];

    let call = |tool: &str, arguments: Value| json!({"name": tool, "arguments": arguments});
    let mut texts = Vec::new();
    for (method, params) in [
        (
            "tools/call",
            call(
                "save_snippet",
                json!({"snippetname": "notes", "snippet": "x", "overwrite": true}),
            ),
        ),
        (
            "tools/call",
            call("get_snippet", json!({"snippetname": "notes"})),
        ),
        ("tools/call", call("list_snippets", json!({}))),
        (
            "tools/call",
            call("delete_snippet", json!({"snippetname": "notes"})),
        ),
    ] {
        let answer = forwarded(&handler, method, params).await;
        assert_eq!(answer["result"]["isError"], true, "{answer}");
        texts.push(
            answer["result"]["content"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for (method, params) in [
        ("resources/read", json!({"uri": "snippet:///notes"})),
        ("resources/list", json!({})),
        (
            "prompts/get",
            json!({"name": "use_snippet", "arguments": {"name": "notes"}}),
        ),
    ] {
        let answer = forwarded(&handler, method, params).await;
        assert_eq!(answer["error"]["code"], -32603, "{answer}");
        texts.push(answer["error"]["message"].as_str().unwrap().to_owned());
    }
    for text in &texts {
        assert!(
            text.starts_with("Snippet storage refused this server (HTTP 403"),
            "{text}"
        );
        assert!(text.contains("operator"), "{text}");
        assert!(
            text.ends_with(&format!("(invocation id: {INVOCATION_ID})")),
            "{text}"
        );
        for internal in internals {
            assert!(!text.contains(internal), "{internal:?} shown:\n{text}");
        }
    }
    // With a body, the service's error code too (the smoke check acts on it).
    assert!(
        texts[0].contains("HTTP 403, AuthorizationPermissionMismatch"),
        "{}",
        texts[0]
    );

    // The log: an error line per failure, with the invocation id and the whole story.
    handler.wait_for_output("use_snippet");
    let log = handler.output().join("\n");
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains(INVOCATION_ID))
        .collect();
    assert_eq!(errors.len(), texts.len(), "{log}");
    assert!(
        errors.iter().any(|l| l.contains(ACCOUNT)
            && l.contains(CONTAINER)
            && l.contains("AuthorizationPermissionMismatch")
            && l.contains(&port)),
        "{log}"
    );
    assert!(!log.contains(AZURITE_KEY), "{log}");
}

#[test]
fn a_bad_connection_string_stops_start_up_without_echoing_the_key() {
    let secret = "c2VjcmV0!not-base64";
    let (status, output) = run_handler_to_exit(&[(
        "AzureWebJobsStorage",
        &format!("AccountName=acct;AccountKey={secret}"),
    )]);
    assert!(!status.success());
    assert!(output.contains("AzureWebJobsStorage"), "{output}");
    assert!(output.contains("AccountKey=<redacted>"), "{output}");
    assert!(!output.contains(secret), "{output}");
}

#[tokio::test]
async fn managed_identity_gets_a_token_from_identity_endpoint() {
    const CLIENT_ID: &str = "7e2f0c7c-0000-4000-8000-00000000c11d";
    const IDENTITY_HEADER: &str = "identity-header-from-app-service";
    const TOKEN: &str = "stand-in-access-token";

    // The token endpoint, checking the request the way App Service does.
    let identity = MockServer::start().await;
    let expires_on = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    Mock::given(method("GET"))
        .and(path("/msi/token"))
        .and(query_param("api-version", "2019-08-01"))
        .and(query_param("resource", "https://storage.azure.com"))
        .and(query_param("client_id", CLIENT_ID))
        .and(header("x-identity-header", IDENTITY_HEADER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": TOKEN,
            "expires_on": expires_on.to_string(),
            "resource": "https://storage.azure.com",
            "token_type": "Bearer",
            "client_id": CLIENT_ID,
        })))
        .expect(1..)
        .mount(&identity)
        .await;

    // The blob endpoint: answers only requests that carry the token.
    let blobs = MockServer::start().await;
    // A save counts the collection first (its caps): an empty container.
    Mock::given(method("GET"))
        .and(path("/snippets"))
        .and(query_param("comp", "list"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs/>\
             <NextMarker/></EnumerationResults>",
        ))
        .expect(1)
        .mount(&blobs)
        .await;
    Mock::given(method("PUT"))
        .and(path("/snippets/from-identity.json"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("etag", "\"0x8DC0FFEE\"")
                .insert_header("last-modified", "Mon, 27 Jan 2025 10:00:00 GMT"),
        )
        .expect(1)
        .mount(&blobs)
        .await;

    let token_url = format!("{}/msi/token", identity.uri());
    let handler = Handler::start(&[
        ("AzureWebJobsStorage__blobServiceUri", &blobs.uri()),
        ("AzureWebJobsStorage__credential", "managedidentity"),
        ("AzureWebJobsStorage__clientId", CLIENT_ID),
        ("IDENTITY_ENDPOINT", &token_url),
        ("IDENTITY_HEADER", IDENTITY_HEADER),
    ]);
    let client = mcp_client(&handler.url("/mcp")).await;
    let saved = call_tool(
        &client,
        "save_snippet",
        json!({"snippetname": "from-identity", "snippet": "hello"}),
    )
    .await;
    assert_eq!(
        saved.is_error,
        Some(false),
        "{saved:?} {:#?}",
        handler.output()
    );
    client.cancel().await.unwrap();
    let log = handler.output().join("\n");
    assert!(log.contains("user-assigned managed identity"), "{log}");
    assert!(
        !log.contains(TOKEN) && !log.contains(IDENTITY_HEADER),
        "{log}"
    );
    // `expect` counts are verified when the mock servers drop.
}

/// The four tools through the official TypeScript and Python SDKs, which check each
/// `structuredContent` against the tool's output schema.
fn sdk_round_trips(url: &str) {
    let run = |client: &str, calls: &[(&str, &str)]| {
        let calls: Vec<String> = calls
            .iter()
            .flat_map(|(tool, args)| [(*tool).to_owned(), (*args).to_owned()])
            .collect();
        match client {
            "ts" => typescript_client(url, &[], &calls),
            python => python_client(python, url, &[], &calls),
        }
    };
    for (client, name) in [
        ("ts", "from-ts"),
        ("MCP_TEST_PYTHON_MCP1", "from-py1"),
        ("MCP_TEST_PYTHON_MCP2", "from-py2"),
    ] {
        let save =
            json!({"snippetname": name, "snippet": format!("saved by {client}")}).to_string();
        let by_name = json!({"snippetname": name}).to_string();
        let prefix = json!({"prefix": name}).to_string();
        let report = run(
            client,
            &[
                ("save_snippet", &save),
                ("get_snippet", &by_name),
                ("list_snippets", &prefix),
                ("delete_snippet", &by_name),
                ("get_snippet", &by_name),
            ],
        );
        let results: Vec<&Value> = report["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["result"])
            .collect();
        assert_eq!(
            results[0]["structuredContent"]["replaced"], false,
            "{client}: {report}"
        );
        assert_eq!(
            results[1]["structuredContent"]["content"],
            format!("saved by {client}"),
            "{client}"
        );
        assert_eq!(results[2]["structuredContent"]["total"], 1, "{client}");
        assert_eq!(results[3]["structuredContent"]["deleted"], true, "{client}");
        assert_eq!(results[4]["isError"], true, "{client}");
    }
}

#[test]
#[ignore = "needs Azurite and the MCP SDKs: scripts/test.sh"]
fn official_sdks_use_the_tools_on_azurite_and_on_the_local_directory() {
    let azurite = Azurite::start();
    let on_azurite = Handler::start(&[("AzureWebJobsStorage", &azurite.connection_string())]);
    sdk_round_trips(&on_azurite.url("/mcp"));
    let local = Handler::start(&[]);
    sdk_round_trips(&local.url("/mcp"));
}
