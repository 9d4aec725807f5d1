//! The tools the model can call. Each is thin: it takes its arguments, calls the
//! domain code ([`crate::weather`], [`crate::snippets`]) and maps the outcome to what
//! the model sees: `structuredContent` matching the tool's output schema plus a text
//! block a person can read, or `isError: true` with a message the model can act on.
//! Only protocol misuse becomes a JSON-RPC error.
//!
//! The tools are methods of [`Tools`], which holds the domain services; the MCP
//! handler ([`crate::server`]) owns a `Tools` and routes calls to it. To add a tool,
//! add a `#[tool]` method to the family's file (`weather.rs`, `snippets/mod.rs`); a new
//! family is a new file whose router joins [`Tools::router`].

mod confirm;
pub(crate) use confirm::{Confirmations, KeyError};
mod identity;
mod portable_schema;
mod snippets;
mod weather;

use std::sync::Arc;

use rmcp::{
    handler::server::router::tool::ToolRouter,
    model::{CallToolResult, ContentBlock},
};
use serde::Serialize;

use crate::{
    access::SnippetAccess,
    identity::{HasIdentity, Identity},
    weather::Weather,
};

/// What the tools work with: the domain services, built once at start-up and shared
/// by every request (cloning is a few `Arc` increments).
#[derive(Clone)]
pub(crate) struct Tools {
    pub weather: Arc<Weather>,
    /// The caller's snippets.
    pub snippets: SnippetAccess,
    /// Who is calling (a tool takes `caller: Caller`), and their Graph profile.
    pub identity: Identity,
    /// Seals and opens the state of the questions the snippet tools ask.
    pub confirmations: Confirmations,
}

impl Tools {
    /// Every tool, to be built once and kept by the handler, with schemas every JSON
    /// Schema validator reads alike ([`portable_schema`]).
    pub(crate) fn router() -> ToolRouter<Self> {
        let mut router = Self::weather_tools() + Self::snippet_tools() + Self::identity_tools();
        for route in router.map.values_mut() {
            portable_schema::make_portable(&mut route.attr);
        }
        router
    }
}

impl HasIdentity for Tools {
    fn identity(&self) -> &Identity {
        &self.identity
    }
}

/// A success: `value` as `structuredContent` and `text` for people.
fn success<T: Serialize>(value: &T, text: String) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(structured) => {
            let mut result = CallToolResult::structured(structured);
            result.content = vec![ContentBlock::text(text)];
            result
        }
        Err(e) => failure(format!("The result could not be encoded: {e}")),
    }
}

/// A failure the model can act on: `isError: true` and what went wrong.
fn failure(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}
