//! Completions (`completion/complete`) of snippet names as a person types them: the
//! `name` argument of the `use_snippet` prompt and of the `snippet:///{name}`
//! resource template, from the caller's own collection.
//!
//! Values are the names that start with what was typed, in name order, at most
//! [`MAX_VALUES`] (the spec's limit), read as one page from storage. `total` is given
//! when every match is listed; with more, `hasMore` says so and the person types on.
//! A completion result has no cache hints of its own in the protocol (SEP-2549 puts
//! `ttlMs` and `cacheScope` on lists and reads), and needs none: clients ask again as
//! the text changes.

use std::sync::Arc;

use rmcp::{
    ErrorData as McpError,
    model::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference},
};

use crate::{
    access::{SnippetAccess, rpc_error},
    identity::Caller,
    resources::SNIPPET_TEMPLATE,
};

/// The most values one answer carries, as the spec allows.
pub(crate) const MAX_VALUES: usize = CompletionInfo::MAX_VALUES;

/// The prompt whose argument is completed, and that argument.
const PROMPT: &str = "use_snippet";
const ARGUMENT: &str = "name";

/// Completions over the caller's snippets.
#[derive(Clone)]
pub(crate) struct Completions {
    pub snippets: SnippetAccess,
    /// Every prompt's name: those other than [`PROMPT`] have nothing to complete.
    pub prompts: Arc<[String]>,
}

impl Completions {
    /// Completes `request` for `caller`. A snippet name is completed from the
    /// caller's collection; any other argument of a known prompt or template has no
    /// suggestions; an unknown prompt or template is the client's error (-32602, as
    /// the spec asks).
    pub(crate) async fn complete(
        &self,
        request: &CompleteRequestParams,
        caller: &Caller,
    ) -> Result<CompleteResult, McpError> {
        let names_a_snippet = match &request.r#ref {
            Reference::Prompt(prompt) if prompt.name == PROMPT => true,
            Reference::Resource(template) if template.uri == SNIPPET_TEMPLATE => true,
            Reference::Prompt(prompt) if self.prompts.contains(&prompt.name) => false,
            _ => {
                return Err(McpError::invalid_params(
                    format!(
                        "nothing to complete for {}: this server completes the {ARGUMENT:?} \
                         argument of the {PROMPT} prompt and of {SNIPPET_TEMPLATE}",
                        request.r#ref.reference_type()
                    ),
                    None,
                ));
            }
        };
        if !names_a_snippet || request.argument.name != ARGUMENT {
            return Ok(CompleteResult::default());
        }
        // Nobody signed in while snippets are private: nothing to suggest, as the
        // resource list shows such a caller no snippets.
        let Ok(collection) = self.snippets.collection(caller) else {
            return Ok(CompleteResult::default());
        };
        let page = collection
            .page(&request.argument.value, None, MAX_VALUES)
            .await
            .map_err(rpc_error)?;
        let values: Vec<String> = page.snippets.into_iter().map(|s| s.name).collect();
        let total = (!page.more).then(|| u32::try_from(values.len()).unwrap_or(u32::MAX));
        let completion = CompletionInfo::with_pagination(values, total, page.more)
            .map_err(|e| McpError::internal_error(e, None))?;
        Ok(CompleteResult::new(completion))
    }
}
