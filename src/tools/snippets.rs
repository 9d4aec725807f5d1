//! Snippet tools: save, get, list and delete named pieces of text.
//!
//! Wire names and argument names (`snippetname`, `snippet`) match the Azure
//! Functions MCP extension samples, so a client written for them works here.

use rmcp::{
    handler::server::{common::schema_for_output, wrapper::Parameters},
    model::CallToolResult,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tools, failure, success};
use crate::{
    identity::Caller,
    snippets::{Deleted, Listing, Owner, Saved, Snippet, SnippetError},
};

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct SaveArgs {
    /// The snippet's name: 1 to 128 characters, letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. "build-notes"). Case-sensitive.
    snippetname: String,
    /// The text to save (at most 1 MiB).
    snippet: String,
    /// Replace a snippet that already has this name (default true). With false, an existing snippet is left unchanged and the call reports it.
    #[serde(default)]
    overwrite: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct NameArgs {
    /// The snippet's name, as saved (case-sensitive).
    snippetname: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ListArgs {
    /// Only list snippets whose names start with this text (case-sensitive). Omit to list all.
    #[serde(default)]
    prefix: Option<String>,
}

#[tool_router(router = snippet_tools, vis = "pub(super)")]
impl Tools {
    /// Save a piece of text under a name so it can be retrieved later, in this or another conversation. Replaces a snippet with the same name unless overwrite is false.
    #[tool(
        title = "Save snippet",
        output_schema = schema_for_output::<Saved>(),
        // Destructive: by default it replaces an existing snippet. Annotations are
        // static, so overwrite=false (which never replaces) cannot lower this.
        annotations(
            title = "Save snippet",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn save_snippet(
        &self,
        caller: Caller,
        Parameters(args): Parameters<SaveArgs>,
    ) -> CallToolResult {
        let overwrite = args.overwrite.unwrap_or(true);
        let owner = match self.owner(&caller) {
            Ok(owner) => owner,
            Err(refusal) => return refusal,
        };
        let result = self
            .snippets
            .save(&owner, &args.snippetname, args.snippet, overwrite)
            .await;
        respond(result, |saved| {
            let verb = if saved.replaced {
                "Replaced"
            } else {
                "Saved new"
            };
            format!(
                "{verb} snippet {:?} ({} bytes).",
                saved.name, saved.size_bytes
            )
        })
    }

    /// Get the text of a saved snippet by name, with its size and when it was last saved.
    #[tool(
        title = "Get snippet",
        output_schema = schema_for_output::<Snippet>(),
        annotations(title = "Get snippet", read_only_hint = true, open_world_hint = false)
    )]
    async fn get_snippet(
        &self,
        caller: Caller,
        Parameters(args): Parameters<NameArgs>,
    ) -> CallToolResult {
        let owner = match self.owner(&caller) {
            Ok(owner) => owner,
            Err(refusal) => return refusal,
        };
        let result = self.snippets.get(&owner, &args.snippetname).await;
        respond(result, |snippet| {
            format!(
                "Snippet {:?} ({} bytes, last saved {}):\n\n{}",
                snippet.name, snippet.size_bytes, snippet.last_modified, snippet.content
            )
        })
    }

    /// List saved snippets (names, sizes, last-saved times), sorted by name. Shows at most 200; pass a prefix to narrow the list.
    #[tool(
        title = "List snippets",
        output_schema = schema_for_output::<Listing>(),
        annotations(title = "List snippets", read_only_hint = true, open_world_hint = false)
    )]
    async fn list_snippets(
        &self,
        caller: Caller,
        Parameters(args): Parameters<ListArgs>,
    ) -> CallToolResult {
        let owner = match self.owner(&caller) {
            Ok(owner) => owner,
            Err(refusal) => return refusal,
        };
        let result = self.snippets.list(&owner, args.prefix.as_deref()).await;
        respond(result, listing_text)
    }

    /// Delete a saved snippet by name. Deleting a snippet that does not exist changes nothing and says so.
    #[tool(
        title = "Delete snippet",
        output_schema = schema_for_output::<Deleted>(),
        annotations(
            title = "Delete snippet",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn delete_snippet(
        &self,
        caller: Caller,
        Parameters(args): Parameters<NameArgs>,
    ) -> CallToolResult {
        let owner = match self.owner(&caller) {
            Ok(owner) => owner,
            Err(refusal) => return refusal,
        };
        let result = self.snippets.delete(&owner, &args.snippetname).await;
        respond(result, |deleted| {
            if deleted.deleted {
                format!("Deleted snippet {:?}.", deleted.name)
            } else {
                format!(
                    "No snippet named {:?} exists; nothing was deleted.",
                    deleted.name
                )
            }
        })
    }
}

impl Tools {
    /// The collection this caller's snippet calls work on (see [`Owner::of`]), or
    /// the tool result that refuses the call.
    fn owner(&self, caller: &Caller) -> Result<Owner, CallToolResult> {
        Owner::of(self.scope, caller).map_err(refuse)
    }
}

/// Maps a domain result to a tool result. Storage failures are also logged (within
/// the call's span, so with its invocation id): the model sees the message, the
/// operator needs the line.
fn respond<T: Serialize>(
    result: Result<T, SnippetError>,
    text: impl FnOnce(&T) -> String,
) -> CallToolResult {
    match result {
        Ok(value) => {
            let text = text(&value);
            success(&value, text)
        }
        Err(e) => refuse(e),
    }
}

fn refuse(error: SnippetError) -> CallToolResult {
    if matches!(
        error,
        SnippetError::Storage { .. } | SnippetError::NotConfigured(_)
    ) {
        tracing::warn!(%error, "snippet storage failed");
    }
    failure(capitalize(&error.to_string()))
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn listing_text(listing: &Listing) -> String {
    if listing.total == 0 {
        return match &listing.prefix {
            Some(prefix) => format!("No snippet names start with {prefix:?}."),
            None => "No snippets are saved yet.".to_owned(),
        };
    }
    let mut text = match &listing.prefix {
        Some(prefix) => format!("{} snippets start with {prefix:?}", listing.total),
        None => format!("{} snippets", listing.total),
    };
    if listing.truncated {
        text.push_str(&format!(
            "; the first {} are listed. Pass a longer prefix to see the others",
            listing.snippets.len()
        ));
    }
    text.push_str(":\n");
    for snippet in &listing.snippets {
        text.push_str(&format!(
            "- {} ({} bytes, last saved {})\n",
            snippet.name, snippet.size_bytes, snippet.last_modified
        ));
    }
    text
}
