//! What clients can read: the weather widget (see [`crate::widget`]) and each saved
//! snippet, `snippet:///{name}`, from the caller's own collection when snippets are
//! private. The list pages through the snippets after the widget.

use std::sync::Arc;

use rmcp::{
    ErrorData as McpError,
    model::{
        ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
        ResourceContents, ResourceTemplate,
    },
};

use crate::{
    cache_hints::{self, Hint},
    config::SnippetsScope,
    fault,
    identity::Caller,
    snippets::{Owner, SnippetError, SnippetInfo, SnippetName, Snippets},
    widget,
};

/// The URI of a saved snippet is this followed by its name.
pub const SNIPPET_URI_PREFIX: &str = "snippet:///";

/// The template of those URIs (RFC 6570), which completions complete too.
pub const SNIPPET_TEMPLATE: &str = "snippet:///{name}";

/// Snippets per page of `resources/list`.
const PAGE_SIZE: usize = 100;

/// The resources, over the snippet store.
#[derive(Clone)]
pub struct Resources {
    pub snippets: Arc<Snippets>,
    pub scope: SnippetsScope,
}

impl Resources {
    /// One page: the widget first, then the caller's snippets by name, read from
    /// storage one page at a time. `cursor` is the name the previous page ended with. A caller who may not see snippets (nobody
    /// signed in while they are private) sees the widget only.
    pub async fn list(
        &self,
        cursor: Option<&str>,
        caller: &Caller,
    ) -> Result<ListResourcesResult, McpError> {
        let after = cursor
            .map(|cursor| {
                SnippetName::parse(cursor).map_err(|_| {
                    McpError::invalid_params("the cursor is not one this server gave", None)
                })
            })
            .transpose()?;
        let mut resources = if after.is_none() {
            widget::resources()
        } else {
            Vec::new()
        };
        let Ok(owner) = Owner::of(self.scope, caller) else {
            return Ok(hinted(ListResourcesResult::with_all_items(resources)));
        };
        let page = self
            .snippets
            .page(&owner, "", after.as_ref(), PAGE_SIZE)
            .await
            .map_err(storage_error)?;
        let (snippets, more) = (page.snippets, page.more);
        let next = more
            .then(|| snippets.last().map(|s| s.name.clone()))
            .flatten();
        resources.extend(snippets.iter().map(snippet_resource));
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = next;
        Ok(hinted(result))
    }

    /// The one template: a snippet by name.
    pub fn templates() -> ListResourceTemplatesResult {
        let template = ResourceTemplate::new(SNIPPET_TEMPLATE, "snippet")
            .with_title("Saved snippet")
            .with_description(
                "The text of a saved snippet, by name (as list_snippets shows it). Its media \
                 type follows the name's extension, e.g. text/x-python for a name ending in .py.",
            );
        let result = ListResourceTemplatesResult::with_all_items(vec![template]);
        let Hint { ttl_ms, scope } = cache_hints::PER_DEPLOYMENT;
        result.with_ttl_ms(ttl_ms).with_cache_scope(scope)
    }

    /// The widget, or a snippet of the caller's collection.
    pub async fn read(&self, uri: &str, caller: &Caller) -> Result<ReadResourceResult, McpError> {
        if let Some(widget) = widget::read(uri) {
            let Hint { ttl_ms, scope } = cache_hints::PER_DEPLOYMENT;
            return Ok(widget.with_ttl_ms(ttl_ms).with_cache_scope(scope));
        }
        let not_found = || {
            McpError::resource_not_found(
                format!("no resource {uri}"),
                Some(serde_json::json!({ "uri": uri })),
            )
        };
        let Some(name) = uri.strip_prefix(SNIPPET_URI_PREFIX) else {
            return Err(not_found());
        };
        let owner = Owner::of(self.scope, caller)
            .map_err(|e| McpError::invalid_request(e.sentence(), None))?;
        let snippet = match self.snippets.get(&owner, name).await {
            Ok(snippet) => snippet,
            Err(SnippetError::NotFound { .. } | SnippetError::InvalidName(_)) => {
                return Err(not_found());
            }
            Err(e) => return Err(storage_error(e)),
        };
        let contents = ResourceContents::TextResourceContents {
            uri: uri.to_owned(),
            mime_type: Some(mime_type(&snippet.name).to_owned()),
            text: snippet.content,
            meta: None,
        };
        let Hint { ttl_ms, scope } = cache_hints::SNIPPETS;
        Ok(ReadResourceResult::new(vec![contents])
            .with_ttl_ms(ttl_ms)
            .with_cache_scope(scope))
    }
}

/// A listing holds snippets, so it has their hint.
fn hinted(result: ListResourcesResult) -> ListResourcesResult {
    let Hint { ttl_ms, scope } = cache_hints::SNIPPETS;
    result.with_ttl_ms(ttl_ms).with_cache_scope(scope)
}

fn snippet_resource(info: &SnippetInfo) -> Resource {
    Resource::new(format!("{SNIPPET_URI_PREFIX}{}", info.name), &info.name)
        .with_title(format!("Snippet {}", info.name))
        .with_description(format!(
            "A saved snippet, last saved {}.",
            info.last_modified
        ))
        .with_mime_type(mime_type(&info.name))
        .with_size(info.size_bytes)
}

/// The media type of a snippet, from its name's extension; plain text otherwise.
pub fn mime_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("md" | "markdown") => "text/markdown",
        Some("json") => "application/json",
        Some("py") => "text/x-python",
        Some("rs") => "text/x-rust",
        Some("js" | "mjs") => "text/javascript",
        Some("ts") => "text/x-typescript",
        Some("html" | "htm") => "text/html",
        Some("css") => "text/css",
        Some("csv") => "text/csv",
        Some("xml") => "application/xml",
        Some("yaml" | "yml") => "application/yaml",
        Some("toml") => "application/toml",
        Some("sh") => "text/x-shellscript",
        Some("sql") => "application/sql",
        _ => "text/plain",
    }
}

/// A failure to read storage: a JSON-RPC internal error, told through
/// [`fault::report`] like the tools' storage failures.
fn storage_error(error: SnippetError) -> McpError {
    McpError::internal_error(fault::report(&error), None)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rmcp::model::ErrorCode;

    use super::*;
    use crate::{
        config::{
            DEFAULT_SNIPPETS_MAX_COUNT, DEFAULT_SNIPPETS_MAX_TOTAL_BYTES, SnippetLimits,
            StorageConfig,
        },
        identity::AnonymousReason,
    };

    /// A snippet collection with one snippet, `a`, and a file next to the collection
    /// that no URI may reach.
    fn collection() -> (tempfile::TempDir, Resources) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("snippets");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.json"), "inside").unwrap();
        std::fs::write(root.path().join("secret.json"), "outside").unwrap();
        let limits = SnippetLimits {
            max_count: DEFAULT_SNIPPETS_MAX_COUNT,
            max_bytes: DEFAULT_SNIPPETS_MAX_TOTAL_BYTES,
        };
        let snippets = Arc::new(Snippets::new(StorageConfig::Local { dir }, limits));
        let resources = Resources {
            snippets,
            scope: SnippetsScope::Shared,
        };
        (root, resources)
    }

    /// A URI as a client could send it: ours with any tail, path tricks, or anything.
    fn uri() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,40}".prop_map(|tail| format!("{SNIPPET_URI_PREFIX}{tail}")),
            "(\\.\\./|%2e|/|a|secret|\\.json|\\\\){0,6}"
                .prop_map(|tail| format!("{SNIPPET_URI_PREFIX}{tail}")),
            Just(format!("{SNIPPET_URI_PREFIX}a")),
            Just(format!("{SNIPPET_URI_PREFIX}../secret")),
            ".{0,60}",
        ]
    }

    /// Any URI reads the one snippet it names in the collection, or is not found;
    /// never anything outside, never a panic. Any cursor pages or is refused as
    /// invalid. (A plain runner rather than `proptest!`: the collection and the
    /// runtime are built once, not per case.)
    #[test]
    fn fuzz_resource_uris_and_cursors() {
        let (_root, resources) = collection();
        let caller = Caller::Anonymous(AnonymousReason::SignInOff);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut config = crate::property::config();
        config.source_file = Some(file!());
        let mut runner = proptest::test_runner::TestRunner::new(config);
        let inputs = (uri(), proptest::option::of(".{0,40}"));
        let outcome = runner.run(&inputs, |(uri, cursor)| {
            match runtime.block_on(resources.read(&uri, &caller)) {
                Ok(read) => {
                    let ours = uri == format!("{SNIPPET_URI_PREFIX}a");
                    prop_assert!(ours || widget::read(&uri).is_some(), "{}", uri);
                    let text = serde_json::to_string(&read).unwrap();
                    prop_assert!(!text.contains("outside"));
                }
                Err(error) => prop_assert_eq!(error.code, ErrorCode::RESOURCE_NOT_FOUND, "{}", uri),
            }
            match runtime.block_on(resources.list(cursor.as_deref(), &caller)) {
                Ok(list) => prop_assert!(list.resources.len() <= 2),
                Err(error) => prop_assert_eq!(error.code, ErrorCode::INVALID_PARAMS),
            }
            Ok(())
        });
        if let Err(failure) = outcome {
            panic!("{failure}");
        }
    }

    #[test]
    fn the_extension_names_the_media_type() {
        assert_eq!(mime_type("notes"), "text/plain");
        assert_eq!(mime_type("build.PY"), "text/x-python");
        assert_eq!(mime_type("v1.2_release.md"), "text/markdown");
        assert_eq!(mime_type("data.unknown"), "text/plain");
    }
}
