//! Private snippets (`SNIPPETS_SCOPE=user`) through the real binary: each signed-in
//! user has a collection of their own, on the local directory and on Azurite, and a
//! caller nobody signed in is refused with nothing written, whatever headers it sends.

use std::path::Path;

use rmcp::{RoleClient, model::ClientConfig, service::RunningService};
use serde_json::{Value, json};

use crate::helpers::{
    AZURITE_KEY, Azurite, Handler, call_tool,
    identity::{ALICE, BOB, SignedIn, client_with, principal_of},
    result_text,
};

/// Built-in authentication on (the platform vouches for the headers), private
/// collections.
const PRIVATE: [(&str, &str); 2] = [("WEBSITE_AUTH_ENABLED", "True"), ("SNIPPETS_SCOPE", "user")];

type Client = RunningService<RoleClient, ClientConfig>;

async fn client_of(handler: &Handler, user: &SignedIn) -> Client {
    client_with(&handler.url("/mcp"), &user.headers()).await
}

async fn structured(client: &Client, tool: &str, arguments: Value) -> Value {
    let result = call_tool(client, tool, arguments).await;
    assert_ne!(
        result.is_error,
        Some(true),
        "{tool}: {}",
        result_text(&result)
    );
    result.structured_content.unwrap()
}

/// Alice saves; Bob can neither list, read, overwrite nor delete it, whatever name
/// he sends, and what he saves under the same name is his own.
async fn alice_and_bob_stay_apart(handler: &Handler) {
    let alice = client_of(handler, &ALICE).await;
    let bob = client_of(handler, &BOB).await;
    let note = json!({"snippetname": "notes", "snippet": "from Alice"});
    structured(&alice, "save_snippet", note).await;

    assert_eq!(
        structured(&bob, "list_snippets", json!({})).await["total"],
        0
    );
    let read = call_tool(&bob, "get_snippet", json!({"snippetname": "notes"})).await;
    assert_eq!(read.is_error, Some(true));
    assert!(result_text(&read).contains("No snippet named \"notes\""));
    let escape = format!("../{}/notes", ALICE.oid);
    let read = call_tool(&bob, "get_snippet", json!({"snippetname": escape})).await;
    assert!(result_text(&read).contains("not a valid snippet name"));

    let bobs = json!({"snippetname": "notes", "snippet": "from Bob", "overwrite": false});
    assert_eq!(
        structured(&bob, "save_snippet", bobs).await["replaced"],
        false
    );
    let gone = structured(&bob, "delete_snippet", json!({"snippetname": "notes"})).await;
    assert_eq!(gone["deleted"], true);
    let again = structured(&bob, "delete_snippet", json!({"snippetname": "notes"})).await;
    assert_eq!(again["deleted"], false);

    let kept = structured(&alice, "get_snippet", json!({"snippetname": "notes"})).await;
    assert_eq!(kept["content"], "from Alice");
    let listed = structured(&alice, "list_snippets", json!({})).await;
    assert_eq!(listed["total"], 1);
    alice.cancel().await.unwrap();
    bob.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn each_user_has_a_private_collection_in_the_local_directory() {
    let handler = Handler::start(&PRIVATE);
    alice_and_bob_stay_apart(&handler).await;

    // The layout, read straight from the disk: <dir>/<oid>/<name>.json.
    let root = handler.dir.path().join(".snippets");
    let alices = root.join(ALICE.oid).join("notes.json");
    assert_eq!(std::fs::read_to_string(alices).unwrap(), "from Alice");
    assert!(!root.join(BOB.oid).join("notes.json").exists());
    assert!(!root.join("notes.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Azurite: scripts/test.sh"]
async fn each_user_has_a_private_collection_on_azurite() {
    let azurite = Azurite::start();
    let cs = azurite.connection_string();
    let mut vars = PRIVATE.to_vec();
    vars.push(("AzureWebJobsStorage", &cs));
    let handler = Handler::start(&vars);
    alice_and_bob_stay_apart(&handler).await;

    // The layout, seen by another client of the account (object_store's own Azure
    // client, not the server's snippet code): snippets/<oid>/<name>.json.
    let account = object_store::azure::MicrosoftAzureBuilder::new()
        .with_account("devstoreaccount1")
        .with_access_key(AZURITE_KEY)
        .with_endpoint(azurite.blob_endpoint())
        .with_allow_http(true)
        .with_container_name("snippets")
        .build()
        .unwrap();
    use object_store::{ObjectStore as _, ObjectStoreExt as _, path::Path as BlobPath};
    let alices = BlobPath::from(format!("{}/notes.json", ALICE.oid));
    let bytes = account.get(&alices).await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes, "from Alice".as_bytes());
    let listed = account.list_with_delimiter(None).await.unwrap();
    assert!(listed.objects.is_empty(), "{:?}", listed.objects);
    let folders: Vec<String> = listed
        .common_prefixes
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(folders, [ALICE.oid], "Bob deleted his only snippet");
}

/// Every snippet tool refuses, and nothing reaches the disk.
async fn refused_with_nothing_written(
    handler: &Handler,
    headers: &[(&str, String)],
    expected: &str,
) {
    let client = client_with(&handler.url("/mcp"), headers).await;
    for (tool, arguments) in [
        ("save_snippet", json!({"snippetname": "x", "snippet": "y"})),
        ("get_snippet", json!({"snippetname": "x"})),
        ("list_snippets", json!({})),
        ("delete_snippet", json!({"snippetname": "x"})),
    ] {
        let result = call_tool(&client, tool, arguments).await;
        assert_eq!(result.is_error, Some(true), "{tool}");
        let text = result_text(&result);
        assert!(
            text.contains("private to each signed-in user"),
            "{tool}: {text}"
        );
        assert!(text.contains(expected), "{tool}: {text}");
    }
    let user = call_tool(&client, "get_current_user", json!({})).await;
    assert_eq!(user.structured_content.unwrap()["authenticated"], false);
    client.cancel().await.unwrap();
    assert!(!snippet_dir(handler).exists(), "something was written");
}

fn snippet_dir(handler: &Handler) -> std::path::PathBuf {
    Path::new(handler.dir.path()).join(".snippets")
}

#[tokio::test(flavor = "multi_thread")]
async fn without_built_in_authentication_the_same_headers_are_ignored() {
    // Anyone can send principal headers when the platform does not strip them.
    let handler = Handler::start(&[("SNIPPETS_SCOPE", "user")]);
    refused_with_nothing_written(&handler, &ALICE.headers(), "Sign-in is not enabled").await;
    let log = handler.output().join("\n");
    assert!(log.contains("every snippet call will be refused"), "{log}");
    assert!(log.contains("ignored"), "{log}");
    assert!(
        !log.contains(ALICE.oid) && !log.contains(ALICE.name),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_principals_are_anonymous_and_write_nothing() {
    let handler = Handler::start(&PRIVATE);
    let oid_claim = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "not base64",
            vec![("x-ms-client-principal", "%%%not base64%%%".into())],
        ),
        (
            "not JSON",
            vec![("x-ms-client-principal", "e25vdCBqc29u".into())], // "{not json"
        ),
        (
            "too large",
            vec![(
                "x-ms-client-principal",
                principal_of(json!([
                    {"typ": oid_claim, "val": ALICE.oid},
                    {"typ": "padding", "val": "x".repeat(70 * 1024)},
                ])),
            )],
        ),
        (
            "an oid that is not a GUID",
            vec![
                (
                    "x-ms-client-principal",
                    principal_of(json!([{"typ": oid_claim, "val": "alice"}])),
                ),
                ("x-ms-client-principal-id", "alice".into()),
            ],
        ),
        (
            "a path for an oid",
            vec![
                (
                    "x-ms-client-principal",
                    principal_of(json!([{"typ": oid_claim, "val": "../../etc"}])),
                ),
                ("x-ms-client-principal-id", format!("../{}", BOB.oid)),
            ],
        ),
        (
            "an ID header naming another user than the oid claim",
            vec![
                ("x-ms-client-principal", ALICE.principal()),
                ("x-ms-client-principal-id", BOB.oid.into()),
            ],
        ),
        ("no principal at all", vec![]),
    ];
    for (case, headers) in cases {
        eprintln!("case: {case}");
        refused_with_nothing_written(&handler, &headers, "").await;
    }
    // Nothing answered 5xx: every call above came back as a tool result.
    let log = handler.output().join("\n");
    assert!(!log.contains("status=5"), "{log}");
}
