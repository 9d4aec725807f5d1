//! What can go wrong with a snippet, worded for the model: each message says what
//! failed and what to do next.

use super::{MAX_SNIPPET_BYTES, name::InvalidName};

#[derive(Debug, thiserror::Error)]
pub enum SnippetError {
    #[error(transparent)]
    InvalidName(#[from] InvalidName),

    #[error(
        "the snippet is {size} bytes, over the limit of {MAX_SNIPPET_BYTES} bytes (1 MiB); \
         nothing was saved. Save a shorter text, or split it into several snippets."
    )]
    TooLarge { size: usize },

    #[error("no snippet named {name:?} exists. Call list_snippets to see the saved names.")]
    NotFound { name: String },

    #[error(
        "a snippet named {name:?} already exists and was left unchanged (overwrite=false). \
         Choose another name, or save again with overwrite=true to replace it."
    )]
    AlreadyExists { name: String },

    #[error(
        "the snippet {name:?} is stored as {size} bytes, over the {MAX_SNIPPET_BYTES}-byte \
         limit this server reads"
    )]
    StoredTooLarge { name: String, size: u64 },

    #[error("the snippet {name:?} is stored as binary data, not UTF-8 text")]
    NotText { name: String },

    #[error("{0}")]
    NotConfigured(String),

    #[error(
        "snippets on this server are private to each signed-in user, and this request has \
         no signed-in user; nothing was read or written. {reason}"
    )]
    SignInRequired { reason: String },

    #[error(
        "this collection is full: it holds {count} snippets, and this server keeps at \
         most {max_count} per collection; nothing was saved. Delete snippets that are no longer needed \
         (list_snippets shows them), or save over an existing name."
    )]
    CollectionFull { count: usize, max_count: usize },

    #[error(
        "saving this text ({size} bytes) would bring this collection's snippets to {total} \
         bytes, over the {max_bytes} bytes this server keeps; nothing was saved. Delete \
         snippets that are no longer needed (list_snippets shows their sizes), or save a \
         shorter text."
    )]
    CollectionTooLarge {
        size: u64,
        total: u64,
        max_bytes: u64,
    },

    #[error(
        "the snippet {name:?} changed since it was read; nothing was changed. Read it \
         again before changing it."
    )]
    Changed { name: String },

    #[error(
        "{backend} failed: {}. Transient errors were retried; if storage is down, try again later.",
        chain(source)
    )]
    Storage {
        backend: String,
        #[source]
        source: object_store::Error,
    },
}

impl SnippetError {
    /// The message as a sentence, capitalized, for a tool result or a JSON-RPC error.
    pub fn sentence(&self) -> String {
        let text = self.to_string();
        let mut chars = text.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
}

/// Whether a failed request found no container. object_store maps most 404s to
/// `NotFound`, but not a listing's, and its error types are private, so the Blob
/// service's error code (in the response body it quotes) is matched.
pub(super) fn container_missing(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::NotFound { .. })
        || chain(error).contains("ContainerNotFound")
}

/// The error and its causes on one line, so "connection refused" or a 403's error
/// code is visible, not only "Generic MicrosoftAzure error".
fn chain(error: &object_store::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    // Error bodies are multi-line XML; one line reads better in a tool result and a log.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
