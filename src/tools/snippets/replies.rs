//! The retries of the snippet tools' confirmations: the person's answer read, and
//! the change made only to the version they were shown, or asked about again.

use rmcp::{
    ErrorData as McpError,
    model::{CallToolResponse, CallToolResult},
};
use serde::{Deserialize, Serialize};

use super::{
    SaveArgs,
    output::{Deleted, Saved, deleted, saved},
};
use crate::{
    access::{Collection, tool_error},
    snippets::{SnippetError, SnippetInfo},
    tools::{
        Tools,
        confirm::{ANSWER_WITHIN, Answer, Reply},
        failure, success,
    },
};

/// What the person was shown of an existing snippet, sealed in the request state so
/// the retry acts only on that same version.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Seen {
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
    pub(super) fn ask_to_replace(
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

    pub(super) fn ask_to_delete(
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

    pub(super) async fn save_after(
        &self,
        reply: Reply<Seen>,
        collection: &Collection,
        args: SaveArgs,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        let name = args.snippetname;
        let current = match collection.stat(&name).await {
            Ok(current) => current,
            Err(e) => return Ok(tool_error(e).into()),
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
                let replaced = collection
                    .replace(&name, args.snippet.clone(), version)
                    .await;
                match replaced {
                    Err(SnippetError::Changed { .. }) => {
                        self.ask_again_to_replace(collection, &name, args.snippet, call)
                            .await
                    }
                    result => Ok(saved(result).into()),
                }
            }
            // Gone meanwhile: nothing is replaced, so nothing needs asking.
            (Reply::Answered(..) | Reply::Unanswered(_), None) => {
                let result = collection.save(&name, args.snippet, false).await;
                Ok(saved(result).into())
            }
            // Unanswered, or changed since the question: ask again, about what is there now.
            (_, Some(now)) => self.ask_to_replace(&now, args.snippet.len(), call),
        }
    }

    pub(super) async fn delete_after(
        &self,
        reply: Reply<Seen>,
        collection: &Collection,
        name: &str,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        let current = match collection.stat(name).await {
            Ok(current) => current,
            Err(e) => return Ok(tool_error(e).into()),
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
                match collection.delete_version(name, version).await {
                    Err(SnippetError::Changed { .. }) => {
                        self.ask_again_to_delete(collection, name, call).await
                    }
                    result => Ok(deleted(result).into()),
                }
            }
            // Gone meanwhile: the delete reports that nothing was there.
            (Reply::Answered(..) | Reply::Unanswered(_), None) => {
                let result = collection.delete(name).await;
                Ok(deleted(result).into())
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
        collection: &Collection,
        name: &str,
        content: String,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        match collection.stat(name).await {
            Ok(Some(now)) => self.ask_to_replace(&now, content.len(), call),
            // Gone meanwhile: nothing is replaced, so nothing needs asking.
            Ok(None) => {
                let result = collection.save(name, content, false).await;
                Ok(saved(result).into())
            }
            Err(e) => Ok(tool_error(e).into()),
        }
    }

    async fn ask_again_to_delete(
        &self,
        collection: &Collection,
        name: &str,
        call: &[u8],
    ) -> Result<CallToolResponse, McpError> {
        match collection.stat(name).await {
            Ok(Some(now)) => self.ask_to_delete(&now, call),
            Ok(None) => {
                let result = collection.delete(name).await;
                Ok(deleted(result).into())
            }
            Err(e) => Ok(tool_error(e).into()),
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
