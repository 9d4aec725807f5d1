//! One contract for every snippet backend, run against a local directory and real
//! Azurite: what the tools promise must not depend on where snippets live.

use std::{collections::HashMap, sync::Arc};

use rust_mcp_functions::{
    config::Config,
    identity::UserId,
    snippets::{LIST_LIMIT, MAX_SNIPPET_BYTES, Owner, SnippetError, Snippets},
};

use crate::helpers::Azurite;

/// Names that must be refused: traversal, a separator, an encoded traversal, a hidden
/// file, a trailing dot, and one character too many.
pub fn invalid_names() -> Vec<String> {
    ["../x", "a/b", "%2e%2e", ".hidden", "trailing."]
        .map(str::to_owned)
        .into_iter()
        .chain(["x".repeat(129)])
        .collect()
}

pub fn snippets_with(vars: &[(&str, &str)]) -> Snippets {
    let vars: HashMap<&str, &str> = vars.iter().copied().collect();
    let config = Config::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())).unwrap();
    Snippets::new(config.storage)
}

async fn contract(snippets: Arc<Snippets>, owner: &Owner) {
    // Nothing yet (on Azurite the container does not even exist).
    let listing = snippets.list(owner, None).await.unwrap();
    assert_eq!(listing.total, 0);
    assert!(matches!(
        snippets.get(owner, "hello").await,
        Err(SnippetError::NotFound { .. })
    ));

    // Create, then replace.
    let saved = snippets
        .save(owner, "hello", "first".into(), true)
        .await
        .unwrap();
    assert!(!saved.replaced);
    assert_eq!(saved.size_bytes, 5);
    let saved = snippets
        .save(owner, "hello", "second ✓".into(), true)
        .await
        .unwrap();
    assert!(saved.replaced);
    let got = snippets.get(owner, "hello").await.unwrap();
    assert_eq!(got.content, "second ✓");
    assert_eq!(got.size_bytes, "second ✓".len() as u64);
    assert_eq!(got.last_modified.len(), "2025-01-31T12:00:00Z".len());
    assert!(got.last_modified.ends_with('Z'), "{}", got.last_modified);

    // Create-only: an existing snippet is left alone; a new one is created.
    let err = snippets
        .save(owner, "hello", "third".into(), false)
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("overwrite=true"), "{err}");
    assert_eq!(
        snippets.get(owner, "hello").await.unwrap().content,
        "second ✓"
    );
    assert!(
        !snippets
            .save(owner, "help", String::new(), false)
            .await
            .unwrap()
            .replaced
    );
    assert_eq!(snippets.get(owner, "help").await.unwrap().content, "");

    // Listing: sorted, with a plain string prefix ("he" matches "hello").
    snippets
        .save(owner, "Zeta", "z".into(), true)
        .await
        .unwrap();
    snippets
        .save(owner, "alpha.v1", "a".into(), true)
        .await
        .unwrap();
    let names = |l: &rust_mcp_functions::snippets::Listing| {
        l.snippets
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    let all = snippets.list(owner, None).await.unwrap();
    assert_eq!(names(&all), ["Zeta", "alpha.v1", "hello", "help"]);
    assert!(!all.truncated);
    let he = snippets.list(owner, Some("hel")).await.unwrap();
    assert_eq!(names(&he), ["hello", "help"]);
    assert_eq!(he.snippets[0].size_bytes, "second ✓".len() as u64);
    assert_eq!(snippets.list(owner, Some("nope")).await.unwrap().total, 0);

    // Bad input is refused before anything is written.
    for bad in &invalid_names() {
        let bad = bad.as_str();
        let err = snippets
            .save(owner, bad, "x".into(), true)
            .await
            .unwrap_err();
        assert!(matches!(err, SnippetError::InvalidName(_)), "{bad}: {err}");
        assert!(matches!(
            snippets.get(owner, bad).await,
            Err(SnippetError::InvalidName(_))
        ));
        assert!(matches!(
            snippets.delete(owner, bad).await,
            Err(SnippetError::InvalidName(_))
        ));
    }
    let err = snippets
        .save(owner, "big", "x".repeat(MAX_SNIPPET_BYTES + 1), true)
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::TooLarge { .. }), "{err}");
    assert!(matches!(
        snippets.get(owner, "big").await,
        Err(SnippetError::NotFound { .. })
    ));
    let max = snippets
        .save(owner, "max", "y".repeat(MAX_SNIPPET_BYTES), true)
        .await
        .unwrap();
    assert_eq!(max.size_bytes, MAX_SNIPPET_BYTES as u64);
    assert_eq!(
        snippets.get(owner, "max").await.unwrap().content.len(),
        MAX_SNIPPET_BYTES
    );
    assert_eq!(names(&snippets.list(owner, None).await.unwrap()).len(), 5);

    // Concurrent saves of one name end with one complete version, never a mix.
    let versions: Vec<String> = (0..8)
        .map(|i| char::from(b'a' + i).to_string().repeat(256 * 1024))
        .collect();
    let tasks: Vec<_> = versions
        .iter()
        .map(|content| {
            let (snippets, owner) = (Arc::clone(&snippets), owner.clone());
            let content = content.clone();
            tokio::spawn(async move { snippets.save(&owner, "race", content, true).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let winner = snippets.get(owner, "race").await.unwrap().content;
    assert!(
        versions.contains(&winner),
        "a mixed or partial version was stored"
    );

    // Concurrent create-only saves: exactly one wins.
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let (snippets, owner) = (Arc::clone(&snippets), owner.clone());
            tokio::spawn(async move { snippets.save(&owner, "once", format!("v{i}"), false).await })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(SnippetError::AlreadyExists { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(created, 1);

    // Delete, and delete again.
    assert!(snippets.delete(owner, "hello").await.unwrap().deleted);
    assert!(!snippets.delete(owner, "hello").await.unwrap().deleted);
    assert!(matches!(
        snippets.get(owner, "hello").await,
        Err(SnippetError::NotFound { .. })
    ));

    // Many snippets: capped, with the total, and a prefix narrows it.
    let tasks: Vec<_> = (0..LIST_LIMIT + 5)
        .map(|i| {
            let (snippets, owner) = (Arc::clone(&snippets), owner.clone());
            tokio::spawn(async move {
                snippets
                    .save(&owner, &format!("bulk-{i:03}"), "b".into(), true)
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let bulk = snippets.list(owner, Some("bulk-")).await.unwrap();
    assert_eq!(bulk.total, LIST_LIMIT + 5);
    assert_eq!(bulk.snippets.len(), LIST_LIMIT);
    assert!(bulk.truncated);
    assert_eq!(bulk.snippets[0].name, "bulk-000");
    let narrow = snippets.list(owner, Some("bulk-20")).await.unwrap();
    assert_eq!(narrow.total, 5);
    assert!(!narrow.truncated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_directory_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("not-yet-created");
    let snippets = Arc::new(snippets_with(&[("SNIPPETS_DIR", root.to_str().unwrap())]));
    for owner in owners() {
        contract(Arc::clone(&snippets), &owner).await;
    }

    // Same layout as Blob Storage: <dir>/<name>.json holding the raw text, a user's
    // under <dir>/<oid>/, and no temporary files left behind.
    assert_eq!(std::fs::read_to_string(root.join("help.json")).unwrap(), "");
    assert_eq!(
        std::fs::read_to_string(root.join("Zeta.json")).unwrap(),
        "z"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(USER_A).join("Zeta.json")).unwrap(),
        "z"
    );
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [USER_B, USER_A],
        "only the users' folders besides snippets"
    );
    for user in [USER_A, USER_B] {
        let stray: Vec<_> = std::fs::read_dir(root.join(user))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.ends_with(".json"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }
}

const USER_A: &str = "d5e979c7-3d2d-42af-8f30-727dd4c2d383";
const USER_B: &str = "0b7e8a2c-91f4-4c4e-b3a5-6f0a1e2d3c4b";

/// The shared collection, then two users' private ones on the same store: each run
/// starts with "nothing yet", so no collection sees another's snippets.
fn owners() -> [Owner; 3] {
    [
        Owner::Shared,
        Owner::User(UserId::parse(USER_A).unwrap()),
        Owner::User(UserId::parse(USER_B).unwrap()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azurite_keeps_the_contract() {
    let azurite = Azurite::start();
    let snippets = Arc::new(snippets_with(&[(
        "AzureWebJobsStorage",
        &azurite.connection_string(),
    )]));
    for owner in owners() {
        contract(Arc::clone(&snippets), &owner).await;
    }

    // The stored layout, seen by another client of the account (object_store's own
    // Azure client, not the server's snippet code): `<name>.json` at the root of the
    // container and `<oid>/<name>.json` for each user.
    let account = object_store::azure::MicrosoftAzureBuilder::new()
        .with_account("devstoreaccount1")
        .with_access_key(crate::helpers::AZURITE_KEY)
        .with_endpoint(azurite.blob_endpoint())
        .with_allow_http(true)
        .with_container_name("snippets")
        .build()
        .unwrap();
    use object_store::ObjectStoreExt as _;
    for (path, content) in [
        ("Zeta.json", "z"),
        (&format!("{USER_A}/Zeta.json"), "z"),
        (&format!("{USER_B}/help.json"), ""),
    ] {
        let blob = account.get(&object_store::path::Path::from(path)).await;
        let bytes = blob.unwrap().bytes().await.unwrap();
        assert_eq!(bytes, content.as_bytes(), "{path}");
    }
}

#[tokio::test]
async fn files_that_are_not_snippets_are_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["notes.txt", ".hidden.json", "bad name.json", "ok.json"] {
        std::fs::write(dir.path().join(file), "x").unwrap();
    }
    let snippets = snippets_with(&[("SNIPPETS_DIR", dir.path().to_str().unwrap())]);
    let listing = snippets.list(&Owner::Shared, None).await.unwrap();
    let names: Vec<_> = listing.snippets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ok"]);
}

#[tokio::test]
async fn a_snippet_saved_as_a_blob_by_another_app_is_read_as_is() {
    // The Functions samples write `<name>.json` holding the raw text; so do we.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("from-sample.json"), "print('hi')\n").unwrap();
    let snippets = snippets_with(&[("SNIPPETS_DIR", dir.path().to_str().unwrap())]);
    assert_eq!(
        snippets
            .get(&Owner::Shared, "from-sample")
            .await
            .unwrap()
            .content,
        "print('hi')\n"
    );
}

#[tokio::test]
async fn a_refused_request_names_the_status() {
    let azurite = Azurite::start();
    let wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmc=";
    let cs = azurite
        .connection_string()
        .replace(crate::helpers::AZURITE_KEY, wrong_key);
    let snippets = snippets_with(&[("AzureWebJobsStorage", &cs)]);
    let err = snippets
        .save(&Owner::Shared, "x", "y".into(), true)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, SnippetError::Storage { .. }), "{message}");
    assert!(message.contains("403"), "{message}");
    assert!(message.contains("AuthorizationFailure"), "{message}");
    assert!(!message.contains(wrong_key), "{message}");
}

#[tokio::test]
async fn a_local_failure_names_neither_the_directory_nor_the_system_text() {
    // The snippet directory cannot be created: a file is in its way.
    let root = tempfile::tempdir().unwrap();
    let blocked = root.path().join("in-the-way");
    std::fs::write(&blocked, "a file").unwrap();
    let dir = blocked.join("snippets");
    let snippets = snippets_with(&[("SNIPPETS_DIR", dir.to_str().unwrap())]);
    let err = snippets
        .save(&Owner::Shared, "x", "y".into(), true)
        .await
        .unwrap_err();
    let message = err.sentence();
    assert!(matches!(err, SnippetError::Storage { .. }), "{message}");
    assert!(message.starts_with("Snippet storage failed ("), "{message}");
    assert!(!message.contains("in-the-way"), "{message}");
    assert!(!message.contains("os error"), "{message}");
    // The log line has both.
    let detail = rust_mcp_functions::fault::Fault::detail(&err);
    assert!(detail.contains(dir.to_str().unwrap()), "{detail}");
    assert!(detail.contains("os error"), "{detail}");
}
