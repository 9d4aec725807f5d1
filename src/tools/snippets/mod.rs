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
use serde::Deserialize;

mod output;
mod replies;

use self::output::{Deleted, Saved, deleted, listing_text, respond, saved};
use super::{
    Tools,
    confirm::{Confirmations, call_binding},
};
use crate::{
    access::tool_error,
    identity::Caller,
    snippets::{Listing, Snippet},
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
        let collection = match self.snippets.collection(&caller) {
            Ok(collection) => collection,
            Err(e) => return Ok(tool_error(e).into()),
        };
        let call = call_binding(
            "save_snippet",
            &collection.owner().to_string(),
            &args.snippetname,
            args.snippet.as_bytes(),
        );
        if let Some(state) = state {
            let reply = self.confirmations.read(&state, responses.as_ref(), &call)?;
            return self.save_after(reply, &collection, args, &call).await;
        }
        // An explicit overwrite never asks, and neither can an older client:
        // replacing stays the default there.
        if args.overwrite.is_some() || !Confirmations::can_ask(&context) {
            let overwrite = args.overwrite.unwrap_or(true);
            let result = collection
                .save(&args.snippetname, args.snippet, overwrite)
                .await;
            return Ok(saved(result).into());
        }
        match collection.stat(&args.snippetname).await {
            Ok(Some(existing)) => self.ask_to_replace(&existing, args.snippet.len(), &call),
            Ok(None) => {
                let result = collection
                    .save(&args.snippetname, args.snippet, false)
                    .await;
                Ok(saved(result).into())
            }
            Err(e) => Ok(tool_error(e).into()),
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
        let collection = match self.snippets.collection(&caller) {
            Ok(collection) => collection,
            Err(e) => return tool_error(e),
        };
        let result = collection.get(&args.snippetname).await;
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
        let collection = match self.snippets.collection(&caller) {
            Ok(collection) => collection,
            Err(e) => return tool_error(e),
        };
        let result = collection
            .list(args.prefix.as_deref(), args.after.as_deref())
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
        let collection = match self.snippets.collection(&caller) {
            Ok(collection) => collection,
            Err(e) => return Ok(tool_error(e).into()),
        };
        let call = call_binding(
            "delete_snippet",
            &collection.owner().to_string(),
            &args.snippetname,
            b"",
        );
        if let Some(state) = state {
            let reply = self.confirmations.read(&state, responses.as_ref(), &call)?;
            return self
                .delete_after(reply, &collection, &args.snippetname, &call)
                .await;
        }
        if !Confirmations::can_ask(&context) {
            let result = collection.delete(&args.snippetname).await;
            return Ok(deleted(result).into());
        }
        match collection.stat(&args.snippetname).await {
            Ok(Some(existing)) => self.ask_to_delete(&existing, &call),
            // Nothing to confirm: the answer says there was nothing to delete.
            Ok(None) => {
                let result = collection.delete(&args.snippetname).await;
                Ok(deleted(result).into())
            }
            Err(e) => Ok(tool_error(e).into()),
        }
    }
}
