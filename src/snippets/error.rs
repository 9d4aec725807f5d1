//! What can go wrong with a snippet, worded for the model: each message says what
//! failed and what to do next, and a storage failure says it without internals.

use object_store::client::{HttpError, HttpErrorKind};

use super::{MAX_SNIPPET_BYTES, name::InvalidName};
use crate::fault::{self, Fault};

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

    /// The caller reads only what kind of failure it was ([`storage_failure`]); the
    /// backend (account, container or directory) and the service's answer are for the
    /// log ([`Fault::detail`]).
    #[error("{}", storage_failure(source))]
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

/// Storage failures are told through [`crate::fault::report`]: quietly to the caller,
/// whole in the log. The other errors are the caller's to act on, and said as they are.
impl Fault for SnippetError {
    fn quiet(&self) -> String {
        self.sentence()
    }

    fn detail(&self) -> String {
        match self {
            Self::Storage { backend, source } => format!("{backend}: {}", fault::chain(source)),
            other => fault::chain(other),
        }
    }
}

/// Whether a failed request found no container. object_store maps most 404s to
/// `NotFound`, but not a listing's, and its error types are private, so the Blob
/// service's error code (in the response body it quotes) is matched.
pub(super) fn container_missing(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::NotFound { .. })
        || fault::chain(error).contains("ContainerNotFound")
}

/// What the caller reads of a storage failure: its kind, the HTTP status and the
/// Blob service's error code (e.g. `HTTP 403, AuthorizationPermissionMismatch`, which
/// the smoke check and an operator act on), and what to do. Never the account, the
/// endpoint, the container, the blob path, the directory or the service's message.
fn storage_failure(error: &object_store::Error) -> String {
    match Cause::of(error) {
        Cause::Refused(what) => format!(
            "snippet storage refused this server ({what}): its credentials, its data role on \
             the storage account or the account's network rules do not let it in. The \
             server's operator must fix this; a role assigned minutes ago can take up to 10 \
             minutes to apply."
        ),
        Cause::Unavailable(what) => format!(
            "snippet storage is not answering ({what}). Transient errors were retried; try \
             again in a minute."
        ),
        Cause::Other(what) => format!(
            "snippet storage failed ({what}). Try again; if it keeps failing, the server's \
             operator can find the cause in the server's log."
        ),
    }
}

/// A storage failure, in words safe to show.
enum Cause {
    /// 401 or 403: credentials, role or network rules.
    Refused(String),
    /// No answer, or a 5xx, 408 or 429: retried already, may pass.
    Unavailable(String),
    Other(String),
}

impl Cause {
    /// object_store keeps its HTTP error types private, so the status and the
    /// service's error code are read from the text they print (status from the
    /// variant where it implies one); what went wrong on the wire, from the one
    /// public error type, [`HttpError`]; a local disk's failure, from its `io::Error`.
    fn of(error: &object_store::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = source {
            if let Some(http) = cause.downcast_ref::<HttpError>() {
                return Self::Unavailable(transport(http.kind()).to_owned());
            }
            source = cause.source();
        }
        let text = fault::chain(error);
        if let Some(status) = status(error, &text) {
            let mut what = format!("HTTP {status}");
            if let Some(code) = error_code(&text) {
                what.push_str(", ");
                what.push_str(code);
            }
            return match status {
                401 | 403 => Self::Refused(what),
                408 | 429 | 500..=599 => Self::Unavailable(what),
                _ => Self::Other(what),
            };
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = source {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                return Self::Other(io.kind().to_string());
            }
            source = cause.source();
        }
        Self::Other("an unexpected error".to_owned())
    }
}

fn transport(kind: HttpErrorKind) -> &'static str {
    match kind {
        HttpErrorKind::Connect => "could not connect",
        HttpErrorKind::Timeout => "timed out",
        HttpErrorKind::Request | HttpErrorKind::Interrupted => "the connection failed",
        _ => "the answer could not be read",
    }
}

/// The HTTP status of a failed request: implied by the variant, else the one
/// object_store prints (`… status code: 403 Forbidden: …`).
fn status(error: &object_store::Error, text: &str) -> Option<u16> {
    use object_store::Error as E;
    match error {
        E::PermissionDenied { .. } => Some(403),
        E::Unauthenticated { .. } => Some(401),
        E::NotFound { .. } => Some(404),
        E::AlreadyExists { .. } => Some(409),
        E::Precondition { .. } => Some(412),
        _ => {
            let (_, rest) = text.split_once("status code: ")?;
            rest.get(..3)?
                .parse()
                .ok()
                .filter(|s| (100..=599).contains(s))
        }
    }
}

/// The Blob service's error code: `<Code>…</Code>` of its XML answer, or our own
/// `error code: …` (see `azure::create_container`), if it is a plain identifier.
fn error_code(text: &str) -> Option<&str> {
    let code = match text.split_once("<Code>") {
        Some((_, rest)) => rest.split_once("</Code>")?.0,
        None => text
            .split_once("error code: ")?
            .1
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()?,
    };
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(code)
}
