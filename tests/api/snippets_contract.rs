//! One contract for every snippet backend, run against a local directory and real
//! Azurite: what the tools promise must not depend on where snippets live.

use std::{collections::HashMap, sync::Arc};

use rust_mcp_functions::{
    config::Config,
    identity::UserId,
    snippets::{LIST_LIMIT, MAX_SNIPPET_BYTES, Owner, SnippetError, SnippetName, Snippets},
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
    Snippets::new(config.storage, config.snippet_limits)
}

async fn contract(snippets: Arc<Snippets>, owner: &Owner) {
    // Nothing yet (on Azurite the container does not even exist).
    let listing = snippets.list(owner, None, None).await.unwrap();
    assert_eq!(listing.total, Some(0));
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
    let all = snippets.list(owner, None, None).await.unwrap();
    assert_eq!(names(&all), ["Zeta", "alpha.v1", "hello", "help"]);
    assert!(!all.truncated);
    let he = snippets.list(owner, Some("hel"), None).await.unwrap();
    assert_eq!(names(&he), ["hello", "help"]);
    assert_eq!(he.snippets[0].size_bytes, "second ✓".len() as u64);
    let nope = snippets.list(owner, Some("nope"), None).await.unwrap();
    assert_eq!(nope.total, Some(0));
    // After a name, with or without a prefix; a prefix no name can have finds none.
    let after = snippets.list(owner, None, Some("alpha.v1")).await.unwrap();
    assert_eq!(names(&after), ["hello", "help"]);
    let after = snippets
        .list(owner, Some("hel"), Some("hello"))
        .await
        .unwrap();
    assert_eq!(names(&after), ["help"]);
    let after = snippets
        .list(owner, Some("hel"), Some("Zeta"))
        .await
        .unwrap();
    assert_eq!(names(&after), ["hello", "help"]);
    for impossible in ["../", "-", "he llo"] {
        let none = snippets.list(owner, Some(impossible), None).await.unwrap();
        assert_eq!(none.total, Some(0), "{impossible}");
    }
    assert!(matches!(
        snippets.list(owner, None, Some("../x")).await,
        Err(SnippetError::InvalidName(_))
    ));

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
    assert_eq!(
        names(&snippets.list(owner, None, None).await.unwrap()).len(),
        5
    );

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

    conditional_writes(&snippets, owner).await;

    // Many snippets: one page at a time; `after` continues, a prefix narrows. Saved
    // 16 at a time: each save also lists the collection (its caps), and a few hundred
    // at once make Azurite reset connections on a loaded machine.
    let numbers: Vec<usize> = (0..LIST_LIMIT + 5).collect();
    for chunk in numbers.chunks(16) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|i| {
                let (snippets, owner) = (Arc::clone(&snippets), owner.clone());
                let name = format!("bulk-{i:03}");
                tokio::spawn(async move { snippets.save(&owner, &name, "b".into(), true).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    }
    let bulk = snippets.list(owner, Some("bulk-"), None).await.unwrap();
    assert_eq!(bulk.total, None, "not counted past the page");
    assert_eq!(bulk.snippets.len(), LIST_LIMIT);
    assert!(bulk.truncated);
    assert_eq!(bulk.snippets[0].name, "bulk-000");
    let last = format!("bulk-{:03}", LIST_LIMIT - 1);
    assert_eq!(bulk.next_after.as_deref(), Some(last.as_str()));
    let rest = snippets
        .list(owner, Some("bulk-"), Some(&last))
        .await
        .unwrap();
    assert_eq!(rest.total, Some(5));
    assert_eq!(names(&rest)[0], format!("bulk-{LIST_LIMIT:03}"));
    assert!(!rest.truncated && rest.next_after.is_none());
    let narrow = snippets.list(owner, Some("bulk-20"), None).await.unwrap();
    assert_eq!(narrow.total, Some(5));
    assert!(!narrow.truncated);

    // Every page, walked: each snippet once, in order, the last page says no more.
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = snippets.page(owner, "", after.as_ref(), 64).await.unwrap();
        walked.extend(page.snippets.iter().map(|s| s.name.clone()));
        if !page.more {
            break;
        }
        after = Some(SnippetName::parse(walked.last().unwrap()).unwrap());
    }
    let mut sorted = walked.clone();
    sorted.sort_by_key(|name| format!("{name}.json"));
    sorted.dedup();
    assert_eq!(walked, sorted);
    assert_eq!(walked.len(), LIST_LIMIT + 5 + 6, "{walked:?}");
}

/// A change a person confirmed is made only to the version they were shown: a write
/// or delete carrying an older version is refused and changes nothing.
async fn conditional_writes(snippets: &Snippets, owner: &Owner) {
    snippets
        .save(owner, "shown", "v1".into(), true)
        .await
        .unwrap();
    let shown = snippets.stat(owner, "shown").await.unwrap().unwrap();
    let v1 = shown.version.clone();
    assert!(v1.is_some());
    // Another change lands between the question and the confirmed write.
    snippets
        .save(owner, "shown", "v2, saved meanwhile".into(), true)
        .await
        .unwrap();
    let err = snippets
        .replace(owner, "shown", "v3".into(), v1.as_deref())
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::Changed { .. }), "{err}");
    let err = snippets
        .delete_version(owner, "shown", v1.as_deref())
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::Changed { .. }), "{err}");
    assert_eq!(
        snippets.get(owner, "shown").await.unwrap().content,
        "v2, saved meanwhile"
    );
    // No version shown: never written.
    let err = snippets
        .replace(owner, "shown", "v3".into(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::Changed { .. }), "{err}");

    // The version there now: replaced, then deleted.
    let v2 = snippets
        .stat(owner, "shown")
        .await
        .unwrap()
        .unwrap()
        .version;
    let replaced = snippets
        .replace(owner, "shown", "v3".into(), v2.as_deref())
        .await
        .unwrap();
    assert!(replaced.replaced);
    assert_eq!(snippets.get(owner, "shown").await.unwrap().content, "v3");
    let err = snippets
        .delete_version(owner, "shown", v2.as_deref())
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::Changed { .. }), "{err}");
    let v3 = snippets
        .stat(owner, "shown")
        .await
        .unwrap()
        .unwrap()
        .version;
    let deleted = snippets
        .delete_version(owner, "shown", v3.as_deref())
        .await
        .unwrap();
    assert!(deleted.deleted);
    // Gone meanwhile: nothing deleted, nothing recreated by a replace.
    let again = snippets
        .delete_version(owner, "shown", v3.as_deref())
        .await
        .unwrap();
    assert!(!again.deleted);
    let err = snippets
        .replace(owner, "shown", "v4".into(), v3.as_deref())
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::Changed { .. }), "{err}");
    assert!(matches!(
        snippets.get(owner, "shown").await,
        Err(SnippetError::NotFound { .. })
    ));
}

/// A collection's caps: a new snippet past the count, or any save past the bytes, is
/// refused with the limit and writes nothing; replacing at the count cap works.
async fn caps(snippets: &Snippets, owner: &Owner) {
    for name in ["a", "b", "c"] {
        snippets
            .save(owner, name, "x".repeat(10), true)
            .await
            .unwrap();
    }
    let err = snippets
        .save(owner, "d", "new".into(), true)
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::CollectionFull { .. }), "{err}");
    assert!(
        err.to_string().contains("at most 3 per collection"),
        "{err}"
    );
    assert!(err.to_string().contains("nothing was saved"), "{err}");
    assert!(matches!(
        snippets.get(owner, "d").await,
        Err(SnippetError::NotFound { .. })
    ));
    // At the cap: replacing works, a create-only save over a name says it exists.
    assert!(
        snippets
            .save(owner, "c", "y".repeat(80), true)
            .await
            .unwrap()
            .replaced
    );
    let err = snippets
        .save(owner, "c", "z".into(), false)
        .await
        .unwrap_err();
    assert!(matches!(err, SnippetError::AlreadyExists { .. }), "{err}");
    let version = snippets.stat(owner, "b").await.unwrap().unwrap().version;
    snippets
        .replace(owner, "b", "w".repeat(10), version.as_deref())
        .await
        .unwrap();

    // Bytes: 10 + 10 + 80 = 100 is the cap; one more byte is refused, by a save or
    // a confirmed replace.
    let err = snippets
        .save(owner, "c", "y".repeat(81), true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SnippetError::CollectionTooLarge { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("101 bytes"), "{err}");
    assert!(err.to_string().contains("100 bytes"), "{err}");
    let version = snippets.stat(owner, "c").await.unwrap().unwrap().version;
    let err = snippets
        .replace(owner, "c", "y".repeat(81), version.as_deref())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SnippetError::CollectionTooLarge { .. }),
        "{err}"
    );
    assert_eq!(
        snippets.get(owner, "c").await.unwrap().content,
        "y".repeat(80)
    );

    // A delete makes room.
    assert!(snippets.delete(owner, "a").await.unwrap().deleted);
    snippets
        .save(owner, "d", "x".repeat(10), true)
        .await
        .unwrap();
    let listed = snippets.list(owner, None, None).await.unwrap();
    assert_eq!(listed.total, Some(3));
}

/// The caps, on a store limited to 3 snippets and 100 bytes per collection.
const CAPS: [(&str, &str); 2] = [
    ("SNIPPETS_MAX_COUNT", "3"),
    ("SNIPPETS_MAX_TOTAL_BYTES", "100"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_directory_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("not-yet-created");
    let snippets = Arc::new(snippets_with(&[("SNIPPETS_DIR", root.to_str().unwrap())]));
    for owner in owners() {
        contract(Arc::clone(&snippets), &owner).await;
    }
    let capped = tempfile::tempdir().unwrap();
    let dir = [("SNIPPETS_DIR", capped.path().to_str().unwrap())];
    let limited = snippets_with(&[&dir[..], &CAPS[..]].concat());
    for owner in owners() {
        caps(&limited, &owner).await;
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
        [".lock", USER_B, USER_A],
        "only the lock and the users' folders besides snippets"
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
#[ignore = "needs Azurite: scripts/test.sh"]
async fn azurite_keeps_the_contract() {
    let azurite = Azurite::start();
    let snippets = Arc::new(snippets_with(&[(
        "AzureWebJobsStorage",
        &azurite.connection_string(),
    )]));
    for owner in owners() {
        contract(Arc::clone(&snippets), &owner).await;
    }
    let connection = azurite.connection_string();
    let capped = [
        ("AzureWebJobsStorage", connection.as_str()),
        ("SNIPPETS_CONTAINER", "capped"),
    ];
    let limited = snippets_with(&[&capped[..], &CAPS[..]].concat());
    for owner in owners() {
        caps(&limited, &owner).await;
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
    std::fs::create_dir(dir.path().join("folder.json")).unwrap();
    let snippets = snippets_with(&[("SNIPPETS_DIR", dir.path().to_str().unwrap())]);
    let listing = snippets.list(&Owner::Shared, None, None).await.unwrap();
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
#[ignore = "needs Azurite: scripts/test.sh"]
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

/// A page on Blob Storage is one List Blobs request that starts after the last name
/// of the previous page (`startFrom`, which Azurite ignores: hence a stand-in), not
/// a listing of the whole collection.
#[tokio::test]
async fn a_page_on_blob_storage_starts_after_the_previous_one() {
    use wiremock::{
        Mock, MockServer, ResponseTemplate,
        matchers::{method, path, query_param},
    };
    let blob = |name: &str| {
        format!(
            "<Blob><Name>{name}</Name><Properties>\
             <Last-Modified>Mon, 27 Jan 2025 10:00:00 GMT</Last-Modified>\
             <Etag>0x8DC0FFEE</Etag><Content-Length>1</Content-Length>\
             <Content-Type>application/octet-stream</Content-Type>\
             <BlobType>BlockBlob</BlobType></Properties></Blob>"
        )
    };
    let after: String = ["n3.json", "n4.json", "n5.json", "n6.json"]
        .map(blob)
        .concat();
    let blobs = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/devstoreaccount1/snippets"))
        .and(query_param("comp", "list"))
        .and(query_param("startFrom", "n2.json"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults>\
             <Blobs>{after}</Blobs><NextMarker/></EnumerationResults>"
        )))
        .expect(1)
        .mount(&blobs)
        .await;
    let connection = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={};\
         BlobEndpoint={}/devstoreaccount1;",
        crate::helpers::AZURITE_KEY,
        blobs.uri()
    );
    let snippets = snippets_with(&[("AzureWebJobsStorage", &connection)]);
    let after = SnippetName::parse("n2").unwrap();
    let page = snippets
        .page(&Owner::Shared, "", Some(&after), 2)
        .await
        .unwrap();
    let names: Vec<_> = page.snippets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["n3", "n4"]);
    assert!(page.more);
}
