//! Snippet tools: save, get, list and delete named pieces of text.
//!
//! Wire names and argument names (`snippetname`, `snippet`) match the Azure
//! Functions MCP extension samples, so a client written for them works here.

use rmcp::{
    ErrorData as McpError, RoleServer,
    handler::server::{
        common::schema_for_output,
        tool::{InputResponses, RequestState},
        wrapper::Parameters,
    },
    model::{CallToolResponse, CallToolResult},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    Tools,
    confirm::{ANSWER_WITHIN, Answer, Confirmations, Reply, call_binding},
    failure, success,
};
use crate::{
    fault,
    identity::Caller,
    snippets::{Deleted, Listing, Owner, Saved, Snippet, SnippetError, SnippetInfo},
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
    /// List the snippets after this name: the nextAfter of the previous answer, to see the next page. Omit to start at the beginning.
    #[serde(default)]
    after: Option<String>,
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
        context: RequestContext<RoleServer>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        Parameters(args): Parameters<SaveArgs>,
    ) -> Result<CallToolResponse, McpError> {
        let owner = match self.owner(&caller) {
            Ok(owner) => owner,
            Err(refusal) => return Ok(refusal.into()),
        };
        let call = call_binding(
            "save_snippet",
            &owner.to_string(),
            &args.snippetname,
            args.snippet.as_bytes(),
        );
        if let Some(state) = state {
            let reply = self.confirmations.read(&state, responses.as_ref(), &call)?;
            return self.save_after(reply, &owner, args, &call).await;
        }
        // An explicit overwrite never asks, and neither can an older client:
        // replacing stays the default there.
        if args.overwrite.is_some() || !Confirmations::can_ask(&context) {
            let overwrite = args.overwrite.unwrap_or(true);
            let result = self
                .snippets
                .save(&owner, &args.snippetname, args.snippet, overwrite)
                .await;
            return Ok(respond(result, saved_text).into());
        }
        match self.snippets.stat(&owner, &args.snippetname).await {
            Ok(Some(existing)) => self.ask_to_replace(&existing, args.snippet.len(), &call),
            Ok(None) => {
                let result = self
                    .snippets
                    .save(&owner, &args.snippetname, args.snippet, false)
                    .await;
                Ok(respond(result, saved_text).into())
            }
            Err(e) => Ok(refuse(e).into()),
        }
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

    /// List saved snippets (names, sizes, last-saved times), sorted by name. Shows at most 200 at a time; pass after to see the next ones, or a prefix to narrow the list.
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
        let result = self
            .snippets
            .list(&owner, args.prefix.as_deref(), args.after.as_deref())
            .await;
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
        context: RequestContext<RoleServer>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        Parameters(args): Parameters<NameArgs>,
    ) -> Result<CallToolResponse, McpError> {
        let owner = match self.owner(&caller) {
            Ok(owner) => owner,
            Err(refusal) => return Ok(refusal.into()),
        };
        let call = call_binding("delete_snippet", &owner.to_string(), &args.snippetname, b"");
        if let Some(state) = state {
            let reply = self.confirmations.read(&state, responses.as_ref(), &call)?;
            return self
                .delete_after(reply, &owner, &args.snippetname, &call)
                .await;
        }
        if !Confirmations::can_ask(&context) {
            let result = self.snippets.delete(&owner, &args.snippetname).await;
            return Ok(respond(result, deleted_text).into());
        }
        match self.snippets.stat(&owner, &args.snippetname).await {
            Ok(Some(existing)) => self.ask_to_delete(&existing, &call),
            // Nothing to confirm: the answer says there was nothing to delete.
            Ok(None) => {
                let result = self.snippets.delete(&owner, &args.snippetname).await;
                Ok(respond(result, deleted_text).into())
            }
            Err(e) => Ok(refuse(e).into()),
        }
    }
}

/// What the person was shown of an existing snippet, sealed in the request state so
/// the retry acts only on that same version.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Seen {
    size_bytes: u64,
    last_modified: String,
    version: Option<String>,
}

impl From<&SnippetInfo> for Seen {
    fn from(info: &SnippetInfo) -> Self {
        Self {
            size_bytes: info.size_bytes,
            last_modified: info.last_modified.clone(),
            version: info.version.clone(),
        }
    }
}

/// The retries of the two confirmations.
impl Tools {
    fn ask_to_replace(
        &self,
        existing: &SnippetInfo,
        new_size: usize,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        let question = format!(
            "Replace the snippet {:?} ({} bytes, last saved {}) with the new text ({new_size} \
             bytes)? The old text will be lost.",
            existing.name, existing.size_bytes, existing.last_modified
        );
        Ok(self
            .confirmations
            .ask(question, &Seen::from(existing), call)?
            .into())
    }

    fn ask_to_delete(
        &self,
        existing: &SnippetInfo,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        let question = format!(
            "Delete the snippet {:?} ({} bytes, last saved {})? This cannot be undone.",
            existing.name, existing.size_bytes, existing.last_modified
        );
        Ok(self
            .confirmations
            .ask(question, &Seen::from(existing), call)?
            .into())
    }

    async fn save_after(
        &self,
        reply: Reply<Seen>,
        owner: &Owner,
        args: SaveArgs,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        let name = args.snippetname;
        let current = match self.snippets.stat(owner, &name).await {
            Ok(current) => current,
            Err(e) => return Ok(refuse(e).into()),
        };
        match (reply, current) {
            (Reply::Invalid, _) => Ok(stale("save_snippet", "saved").into()),
            (Reply::Answered(_, answer), _) if answer != Answer::Yes => {
                let kept = Saved {
                    size_bytes: args.snippet.len() as u64,
                    name,
                    replaced: false,
                    declined: true,
                };
                Ok(success(
                    &kept,
                    format!("{} Nothing was saved.", kept_text(&kept.name, answer)),
                )
                .into())
            }
            // Confirmed, and still the version the person saw: replaced only if it
            // still is when written.
            (Reply::Answered(seen, _), Some(now)) if seen == Seen::from(&now) => {
                let version = seen.version.as_deref();
                let replaced = self
                    .snippets
                    .replace(owner, &name, args.snippet.clone(), version)
                    .await;
                match replaced {
                    Err(SnippetError::Changed { .. }) => {
                        self.ask_again_to_replace(owner, &name, args.snippet, call)
                            .await
                    }
                    result => Ok(respond(result, saved_text).into()),
                }
            }
            // Gone meanwhile: nothing is replaced, so nothing needs asking.
            (Reply::Answered(..) | Reply::Unanswered(_), None) => {
                let result = self.snippets.save(owner, &name, args.snippet, false).await;
                Ok(respond(result, saved_text).into())
            }
            // Unanswered, or changed since the question: ask again, about what is there now.
            (_, Some(now)) => self.ask_to_replace(&now, args.snippet.len(), call),
        }
    }

    async fn delete_after(
        &self,
        reply: Reply<Seen>,
        owner: &Owner,
        name: &str,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        let current = match self.snippets.stat(owner, name).await {
            Ok(current) => current,
            Err(e) => return Ok(refuse(e).into()),
        };
        match (reply, current) {
            (Reply::Invalid, _) => Ok(stale("delete_snippet", "deleted").into()),
            (Reply::Answered(_, answer), _) if answer != Answer::Yes => {
                let kept = Deleted {
                    name: name.to_owned(),
                    deleted: false,
                    declined: true,
                };
                Ok(success(
                    &kept,
                    format!("{} Nothing was deleted.", kept_text(name, answer)),
                )
                .into())
            }
            // Confirmed, and still the version the person saw: deleted only if it
            // still is when deleted.
            (Reply::Answered(seen, _), Some(now)) if seen == Seen::from(&now) => {
                let version = seen.version.as_deref();
                match self.snippets.delete_version(owner, name, version).await {
                    Err(SnippetError::Changed { .. }) => {
                        self.ask_again_to_delete(owner, name, call).await
                    }
                    result => Ok(respond(result, deleted_text).into()),
                }
            }
            // Gone meanwhile: the delete reports that nothing was there.
            (Reply::Answered(..) | Reply::Unanswered(_), None) => {
                let result = self.snippets.delete(owner, name).await;
                Ok(respond(result, deleted_text).into())
            }
            (_, Some(now)) => self.ask_to_delete(&now, call),
        }
    }
}

/// A confirmed change that found another version when it was written: nothing was
/// changed, and the person is asked about the version there now.
impl Tools {
    async fn ask_again_to_replace(
        &self,
        owner: &Owner,
        name: &str,
        content: String,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        match self.snippets.stat(owner, name).await {
            Ok(Some(now)) => self.ask_to_replace(&now, content.len(), call),
            // Gone meanwhile: nothing is replaced, so nothing needs asking.
            Ok(None) => {
                let result = self.snippets.save(owner, name, content, false).await;
                Ok(respond(result, saved_text).into())
            }
            Err(e) => Ok(refuse(e).into()),
        }
    }

    async fn ask_again_to_delete(
        &self,
        owner: &Owner,
        name: &str,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        match self.snippets.stat(owner, name).await {
            Ok(Some(now)) => self.ask_to_delete(&now, call),
            Ok(None) => {
                let result = self.snippets.delete(owner, name).await;
                Ok(respond(result, deleted_text).into())
            }
            Err(e) => Ok(refuse(e).into()),
        }
    }
}

/// A retry whose confirmation no longer holds: nothing changed, and calling the tool
/// afresh asks again.
fn stale(tool: &str, verb: &str) -> CallToolResult {
    failure(format!(
        "The confirmation for this call is no longer valid: it expired (after {} minutes) \
         or was not issued by this server for this call. Nothing was {verb}. Call {tool} \
         again, without requestState, to ask again.",
        ANSWER_WITHIN.as_secs() / 60
    ))
}

fn kept_text(name: &str, answer: Answer) -> String {
    match answer {
        Answer::Declined => format!("The user declined to change the snippet {name:?}."),
        Answer::Cancelled => format!("The user cancelled; the snippet {name:?} is unchanged."),
        _ => format!("The user chose to keep the snippet {name:?} as it is."),
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

impl Tools {
    /// The collection this caller's snippet calls work on (see [`Owner::of`]), or
    /// the tool result that refuses the call.
    fn owner(&self, caller: &Caller) -> Result<Owner, CallToolResult> {
        Owner::of(self.scope, caller).map_err(refuse)
    }
}

/// Maps a domain result to a tool result.
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

/// A refusal the model can act on. Storage failures go through [`fault::report`]:
/// the model sees what failed and the invocation id, the operator's log the rest.
fn refuse(error: SnippetError) -> CallToolResult {
    if matches!(
        error,
        SnippetError::Storage { .. } | SnippetError::NotConfigured(_)
    ) {
        return failure(fault::report(&error));
    }
    failure(error.sentence())
}

fn listing_text(listing: &Listing) -> String {
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
