//! Snippet access for one caller, shared by the tools, prompts, resources and
//! completions: whose collection a caller works on ([`SnippetAccess::collection`]),
//! and how a [`SnippetError`] reaches each of them ([`tool_error`], [`rpc_error`]).
//! A storage failure is told through [`fault::report`] from here only, so it is
//! logged once, whole, and the caller reads the quiet text.

use std::sync::Arc;

use rmcp::{
    ErrorData as McpError,
    model::{CallToolResult, ContentBlock},
};

use crate::{
    config::SnippetsScope,
    fault,
    identity::Caller,
    snippets::{
        Deleted, Listing, Owner, Page, Saved, Snippet, SnippetError, SnippetInfo, SnippetName,
        Snippets,
    },
};

/// The snippet store and whose snippets a caller sees. Built once by the server;
/// cloning is one `Arc` increment.
#[derive(Clone)]
pub(crate) struct SnippetAccess {
    snippets: Arc<Snippets>,
    scope: SnippetsScope,
}

impl SnippetAccess {
    pub(crate) fn new(snippets: Snippets, scope: SnippetsScope) -> Self {
        Self {
            snippets: Arc::new(snippets),
            scope,
        }
    }

    /// The collection `caller` works on (see [`Owner::of`]): refused with
    /// [`SnippetError::SignInRequired`] when snippets are private and nobody signed in.
    pub(crate) fn collection(&self, caller: &Caller) -> Result<Collection, SnippetError> {
        Ok(Collection {
            snippets: Arc::clone(&self.snippets),
            owner: Owner::of(self.scope, caller)?,
        })
    }
}

/// One caller's collection: the store's operations, with the owner resolved once.
pub(crate) struct Collection {
    snippets: Arc<Snippets>,
    owner: Owner,
}

impl Collection {
    /// Whose collection this is.
    pub(crate) fn owner(&self) -> &Owner {
        &self.owner
    }

    /// See [`Snippets::save`].
    pub(crate) async fn save(
        &self,
        name: &str,
        content: String,
        overwrite: bool,
    ) -> Result<Saved, SnippetError> {
        self.snippets
            .save(&self.owner, name, content, overwrite)
            .await
    }

    /// See [`Snippets::replace`].
    pub(crate) async fn replace(
        &self,
        name: &str,
        content: String,
        version: Option<&str>,
    ) -> Result<Saved, SnippetError> {
        self.snippets
            .replace(&self.owner, name, content, version)
            .await
    }

    /// See [`Snippets::get`].
    pub(crate) async fn get(&self, name: &str) -> Result<Snippet, SnippetError> {
        self.snippets.get(&self.owner, name).await
    }

    /// See [`Snippets::list`].
    pub(crate) async fn list(
        &self,
        prefix: Option<&str>,
        after: Option<&str>,
    ) -> Result<Listing, SnippetError> {
        self.snippets.list(&self.owner, prefix, after).await
    }

    /// See [`Snippets::page`].
    pub(crate) async fn page(
        &self,
        prefix: &str,
        after: Option<&SnippetName>,
        limit: usize,
    ) -> Result<Page, SnippetError> {
        self.snippets.page(&self.owner, prefix, after, limit).await
    }

    /// See [`Snippets::stat`].
    pub(crate) async fn stat(&self, name: &str) -> Result<Option<SnippetInfo>, SnippetError> {
        self.snippets.stat(&self.owner, name).await
    }

    /// See [`Snippets::delete`].
    pub(crate) async fn delete(&self, name: &str) -> Result<Deleted, SnippetError> {
        self.snippets.delete(&self.owner, name).await
    }

    /// See [`Snippets::delete_version`].
    pub(crate) async fn delete_version(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Deleted, SnippetError> {
        self.snippets
            .delete_version(&self.owner, name, version)
            .await
    }
}

/// A failure of what the server depends on (storage, or storage not set up), rather
/// than something the caller asked for.
fn is_fault(error: &SnippetError) -> bool {
    matches!(
        error,
        SnippetError::Storage { .. } | SnippetError::NotConfigured(_)
    )
}

/// A tool's refusal, `isError: true`, the model can act on: what went wrong, or for
/// a storage failure the quiet text of [`fault::report`].
pub(crate) fn tool_error(error: SnippetError) -> CallToolResult {
    let text = if is_fault(&error) {
        fault::report(&error)
    } else {
        error.sentence()
    };
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The JSON-RPC error of a prompt, resource or completion: the client's error for a
/// caller who must sign in (-32600) or a name that is not there (-32602); anything
/// else is the server's (-32603), told through [`fault::report`].
pub(crate) fn rpc_error(error: SnippetError) -> McpError {
    match error {
        SnippetError::SignInRequired { .. } => McpError::invalid_request(error.sentence(), None),
        SnippetError::NotFound { .. } | SnippetError::InvalidName(_) => {
            McpError::invalid_params(error.sentence(), None)
        }
        error => McpError::internal_error(fault::report(&error), None),
    }
}
