//! What the snippet store answers: snippets, listings, pages, and the outcome of a
//! save or a delete.

use object_store::ObjectMeta;
use schemars::JsonSchema;
use serde::Serialize;

/// The largest snippet, in bytes of UTF-8: far below Blob Storage's limits, and
/// small enough to return in one tool result.
pub const MAX_SNIPPET_BYTES: usize = 1024 * 1024;

/// At most this many names per `list_snippets` answer; `after` pages on, a prefix
/// narrows it.
pub const LIST_LIMIT: usize = 200;

/// A saved snippet's content and metadata.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snippet {
    /// The snippet's name.
    pub name: String,
    /// The saved text, exactly as it was saved.
    pub content: String,
    /// Size of the text in bytes (UTF-8).
    pub size_bytes: u64,
    /// When it was last saved, UTC, RFC 3339 (e.g. 2025-01-31T12:00:00Z).
    pub last_modified: String,
}

/// One entry of a listing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnippetInfo {
    /// The snippet's name.
    pub name: String,
    /// Size of the text in bytes (UTF-8).
    pub size_bytes: u64,
    /// When it was last saved, UTC, RFC 3339.
    pub last_modified: String,
    /// The stored version (the blob's or file's ETag), to tell whether it changed.
    #[serde(skip)]
    pub version: Option<String>,
}

/// The result of a save.
#[derive(Debug, Clone)]
pub struct Saved {
    pub name: String,
    /// Size of the saved text in bytes (UTF-8).
    pub size_bytes: u64,
    /// Whether a snippet of that name existed and was replaced.
    pub replaced: bool,
}

/// One page of the snippets whose names start with a prefix, in name order.
///
/// Only one page is read from storage, so the number of snippets past the page is
/// not known: `total` is given when the answer holds every match, and left out when
/// `truncated`; `nextAfter` then continues.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// At most 200 snippets, in name order (as storage sorts them: a '-' sorts before the end of a name, so "a-b" comes before "a").
    pub snippets: Vec<SnippetInfo>,
    /// How many snippets matched (after `after`, if given). Given when all of them are listed; left out when `truncated`, because the rest were not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// True when more snippets follow the ones listed: list again with `after` set to `nextAfter` to see them, or pass a longer prefix.
    pub truncated: bool,
    /// When `truncated`: the last name listed, to pass as `after` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
    /// The prefix the names were filtered by, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The name the listing started after, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// One page of a collection, in storage order (see [`super::Snippets::page`]).
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub snippets: Vec<SnippetInfo>,
    /// Whether more snippets follow the last one.
    pub more: bool,
}

/// The result of a delete.
#[derive(Debug, Clone)]
pub struct Deleted {
    pub name: String,
    /// Whether the snippet existed and was deleted.
    pub deleted: bool,
}

impl SnippetInfo {
    pub(super) fn of(name: String, meta: &ObjectMeta) -> Self {
        Self {
            name,
            size_bytes: meta.size,
            last_modified: timestamp(meta),
            version: meta.e_tag.clone(),
        }
    }
}

pub(super) fn timestamp(meta: &ObjectMeta) -> String {
    meta.last_modified.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
