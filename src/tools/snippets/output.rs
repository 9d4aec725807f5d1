//! What the snippet tools answer: `structuredContent` of the output types, and the
//! text a person reads.

use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::Serialize;

use crate::{
    access::tool_error,
    snippets::{self, Listing, SnippetError},
    tools::success,
};

/// The result of a save.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Saved {
    /// The snippet's name.
    pub name: String,
    /// Size of the saved text in bytes (UTF-8).
    pub size_bytes: u64,
    /// True if a snippet of that name existed and was replaced; false if it is new, or if nothing was saved.
    pub replaced: bool,
    /// True if the user was asked whether to replace the existing snippet and said no: nothing was saved.
    pub declined: bool,
}

impl From<snippets::Saved> for Saved {
    fn from(saved: snippets::Saved) -> Self {
        Self {
            name: saved.name,
            size_bytes: saved.size_bytes,
            replaced: saved.replaced,
            declined: false,
        }
    }
}

/// The result of a delete.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Deleted {
    /// The snippet's name.
    pub name: String,
    /// True if the snippet existed and was deleted; false if there was none, or if the user said no.
    pub deleted: bool,
    /// True if the user was asked to confirm the delete and said no: nothing was deleted.
    pub declined: bool,
}

impl From<snippets::Deleted> for Deleted {
    fn from(deleted: snippets::Deleted) -> Self {
        Self {
            name: deleted.name,
            deleted: deleted.deleted,
            declined: false,
        }
    }
}

/// The tool result of a save.
pub(super) fn saved(result: Result<snippets::Saved, SnippetError>) -> CallToolResult {
    respond(result.map(Saved::from), saved_text)
}

/// The tool result of a delete.
pub(super) fn deleted(result: Result<snippets::Deleted, SnippetError>) -> CallToolResult {
    respond(result.map(Deleted::from), deleted_text)
}

/// Maps a domain result to a tool result.
pub(super) fn respond<T: Serialize>(
    result: Result<T, SnippetError>,
    text: impl FnOnce(&T) -> String,
) -> CallToolResult {
    match result {
        Ok(value) => {
            let text = text(&value);
            success(&value, text)
        }
        Err(e) => tool_error(e),
    }
}

fn saved_text(saved: &Saved) -> String {
    let verb = if saved.replaced {
        "Replaced"
    } else {
        "Saved new"
    };
    format!(
        "{verb} snippet {:?} ({} bytes).",
        saved.name, saved.size_bytes
    )
}

fn deleted_text(deleted: &Deleted) -> String {
    if deleted.deleted {
        format!("Deleted snippet {:?}.", deleted.name)
    } else {
        format!(
            "No snippet named {:?} exists; nothing was deleted.",
            deleted.name
        )
    }
}

pub(super) fn listing_text(listing: &Listing) -> String {
    let mut which = String::new();
    if let Some(prefix) = &listing.prefix {
        which.push_str(&format!(" whose names start with {prefix:?}"));
    }
    if let Some(after) = &listing.after {
        which.push_str(&format!(" after {after:?}"));
    }
    let mut text = match listing.total {
        Some(0) if which.is_empty() => return "No snippets are saved yet.".to_owned(),
        Some(0) if listing.after.is_none() => {
            let prefix = listing.prefix.as_deref().unwrap_or_default();
            return format!("No snippet names start with {prefix:?}.");
        }
        Some(0) => return format!("No snippets{which}."),
        Some(total) => format!("{total} snippets{which}:\n"),
        None => format!(
            "The first {} snippets{which}; more follow (list again with after={:?} to see \
             them, or pass a longer prefix):\n",
            listing.snippets.len(),
            listing.next_after.as_deref().unwrap_or_default()
        ),
    };
    for snippet in &listing.snippets {
        text.push_str(&format!(
            "- {} ({} bytes, last saved {})\n",
            snippet.name, snippet.size_bytes, snippet.last_modified
        ));
    }
    text
}
