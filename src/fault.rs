//! Failures of what the server depends on (snippet storage, Entra ID, Microsoft
//! Graph), told twice from one place, [`report`]: whole in the log, for the operator,
//! and quietly to the caller.
//!
//! The caller's text is read by the model and lands in the chat transcript, so it
//! says what failed and what to do, and nothing of how the server is built: no
//! account name, endpoint, container, blob path, directory or service message. It
//! ends with the request's invocation id, which finds the log line that holds all of
//! that.

use std::{error::Error, future::Future};

tokio::task_local! {
    /// The invocation id of the request being handled, set by the handler around each
    /// request ([`within`]) so a failure deep in a tool can name it without every
    /// function on the way passing it along.
    static INVOCATION_ID: Option<String>;
}

/// The longest invocation id repeated to a caller. The Functions host sends a GUID
/// (36 characters); anything longer, or with other characters, is not one of its ids.
const MAX_INVOCATION_ID_CHARS: usize = 64;

/// A failure the caller cannot see into. `Display` (or [`Fault::quiet`]) is the
/// caller's text and must hold no internals; [`Fault::detail`] is for the log only.
pub trait Fault: Error {
    /// What failed and what to do, as a sentence for the caller.
    fn quiet(&self) -> String {
        self.to_string()
    }

    /// Everything the operator needs to find the cause: by default the error and its
    /// sources, on one line.
    fn detail(&self) -> String {
        chain(self)
    }
}

/// Logs the failure whole (an error line inside the request's span, which names the
/// tool or method and the invocation id) and returns the caller's text, which ends
/// with the invocation id when the host sent one.
pub fn report(fault: &impl Fault) -> String {
    tracing::error!(error = %fault.detail(), "{}", first_words(&fault.quiet()));
    with_invocation_id(fault.quiet(), invocation_id().as_deref())
}

/// Runs `future` (one request's work) with `invocation_id` where [`report`] finds it.
pub async fn within<F: Future>(invocation_id: Option<String>, future: F) -> F::Output {
    let id = invocation_id.filter(|id| is_plain_id(id));
    INVOCATION_ID.scope(id, future).await
}

fn invocation_id() -> Option<String> {
    INVOCATION_ID.try_with(Clone::clone).ok().flatten()
}

fn with_invocation_id(text: String, invocation_id: Option<&str>) -> String {
    match invocation_id {
        Some(id) => format!("{text} (invocation id: {id})"),
        None => text,
    }
}

/// Whether a value may be repeated as an invocation id: short, and letters, digits
/// and `-` only. The header comes from the host, but a client that reaches the
/// handler directly could send anything in it.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_INVOCATION_ID_CHARS
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The log message: the caller's text up to its first full stop, so the line reads
/// "snippet storage failed (HTTP 403, …)" and the detail follows as a field.
fn first_words(text: &str) -> &str {
    text.split_once(". ").map_or(text, |(first, _)| first)
}

/// An error and its sources on one line, each cause once (many errors repeat their
/// source's text in their own), whitespace collapsed (service bodies are multi-line).
pub fn chain(error: &(impl Error + ?Sized)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the thing failed. Try again.")]
    struct Outer(#[source] std::io::Error);

    impl Fault for Outer {}

    #[tokio::test]
    async fn the_caller_gets_the_quiet_text_and_the_invocation_id() {
        let fault = Outer(std::io::Error::other("secret.example.com:\n 443 refused"));
        assert_eq!(report(&fault), "the thing failed. Try again.");
        let text = within(
            Some("0f8fad5b-d9cb-469f-a165-70867728950e".to_owned()),
            async { report(&fault) },
        )
        .await;
        assert_eq!(
            text,
            "the thing failed. Try again. (invocation id: 0f8fad5b-d9cb-469f-a165-70867728950e)"
        );
        assert_eq!(
            fault.detail(),
            "the thing failed. Try again.: secret.example.com: 443 refused"
        );
    }

    #[tokio::test]
    async fn an_invocation_id_that_is_not_one_is_not_repeated() {
        let fault = Outer(std::io::Error::other("x"));
        for id in ["", "a b", "<Error>", &"a".repeat(65), "id\nInjected: text"] {
            let text = within(Some(id.to_owned()), async { report(&fault) }).await;
            assert_eq!(text, "the thing failed. Try again.", "{id:?}");
        }
    }
}
