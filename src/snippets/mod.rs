//! Snippet domain: named pieces of text kept in Azure Blob Storage (or Azurite), or
//! in a local directory when no storage is configured. Testable without MCP.
//!
//! Layout, shared with the Azure Functions MCP extension samples so each reads what
//! the other wrote: container `snippets` (`SNIPPETS_CONTAINER`), one blob
//! `<name>.json` per snippet holding the raw text. A user's private collection
//! ([`Owner::User`]) is the same under a prefix of their validated object id:
//! `<oid>/<name>.json`. The local directory uses the same paths. Neither part can
//! hold a `/` or `..` ([`SnippetName`], [`UserId`]), so no name reaches outside its
//! collection. Every write is atomic (Blob Storage's Put Blob; locally a temp file
//! renamed into place by object_store), so a reader never sees half a snippet, and
//! concurrent saves of one name end with one complete version.

mod azure;
mod backend;
mod error;
mod name;

use bytes::Bytes;
use object_store::{ObjectMeta, ObjectStoreExt, PutMode, PutPayload, path::Path};
use schemars::JsonSchema;
use serde::Serialize;

use self::backend::{Backend, PutError};
pub use self::{
    error::SnippetError,
    name::{InvalidName, NAME_RULE, SnippetName},
};
use crate::{
    config::{SnippetsScope, StorageConfig},
    identity::{Caller, UserId},
};

/// Whose collection an operation works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The one collection every caller shares (`SNIPPETS_SCOPE=shared`).
    Shared,
    /// A signed-in user's private collection (`SNIPPETS_SCOPE=user`).
    User(UserId),
}

/// Names the collection, e.g. in what a confirmation is bound to.
impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shared => f.write_str("shared"),
            Self::User(user) => write!(f, "user {user}"),
        }
    }
}

impl Owner {
    /// The collection `caller` works on under `scope`: the shared one, or the
    /// caller's own; in the `user` scope a caller nobody signed in is refused.
    pub fn of(scope: SnippetsScope, caller: &Caller) -> Result<Self, SnippetError> {
        match (scope, caller) {
            (SnippetsScope::Shared, _) => Ok(Self::Shared),
            (SnippetsScope::User, Caller::User(principal)) => {
                Ok(Self::User(principal.user_id.clone()))
            }
            (SnippetsScope::User, Caller::Anonymous(reason)) => Err(SnippetError::SignInRequired {
                reason: reason.message(),
            }),
        }
    }

    /// Where a snippet of this collection is stored.
    fn path(&self, name: &SnippetName) -> Path {
        match self {
            Self::Shared => Path::from(name.object_name()),
            Self::User(user) => Path::from_iter([user.as_str(), &name.object_name()]),
        }
    }

    /// The folder listed for this collection: the root for the shared one, whose
    /// listing therefore never shows users' folders.
    fn folder(&self) -> Option<Path> {
        match self {
            Self::Shared => None,
            Self::User(user) => Some(Path::from(user.as_str())),
        }
    }
}

/// The largest snippet, in bytes of UTF-8: far below Blob Storage's limits, and
/// small enough to return in one tool result.
pub const MAX_SNIPPET_BYTES: usize = 1024 * 1024;

/// At most this many names per `list_snippets` answer; a prefix narrows it.
pub const LIST_LIMIT: usize = 200;

/// A saved snippet's content and metadata.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snippet {
    /// The snippet's name.
    pub name: String,
    /// The saved text, exactly as it was saved.
    pub content: String,
    /// Size of the text in bytes (UTF-8).
    pub size_bytes: u64,
    /// When it was last saved, UTC, RFC 3339 (e.g. 2025-01-31T12:00:00Z).
    pub last_modified: String,
}

/// One entry of a listing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnippetInfo {
    /// The snippet's name.
    pub name: String,
    /// Size of the text in bytes (UTF-8).
    pub size_bytes: u64,
    /// When it was last saved, UTC, RFC 3339.
    pub last_modified: String,
    /// The stored version (the blob's or file's ETag), to tell whether it changed.
    #[serde(skip)]
    pub version: Option<String>,
}

/// The result of a save.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    /// The snippet's name.
    pub name: String,
    /// Size of the saved text in bytes (UTF-8).
    pub size_bytes: u64,
    /// True if a snippet of that name existed and was replaced; false if it is new, or if nothing was saved.
    pub replaced: bool,
    /// True if the user was asked whether to replace the existing snippet and said no: nothing was saved.
    pub declined: bool,
}

/// The snippets whose names start with a prefix, sorted by name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// At most 200 snippets, sorted by name.
    pub snippets: Vec<SnippetInfo>,
    /// How many snippets matched in all; more than listed when `truncated`.
    pub total: usize,
    /// True when only the first 200 are listed: pass a longer prefix to see the rest.
    pub truncated: bool,
    /// The prefix the names were filtered by, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// The result of a delete.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    /// The snippet's name.
    pub name: String,
    /// True if the snippet existed and was deleted; false if there was none, or if the user said no.
    pub deleted: bool,
    /// True if the user was asked to confirm the delete and said no: nothing was deleted.
    pub declined: bool,
}

/// The snippet store shared by all requests. Creating it does no I/O.
pub struct Snippets {
    backend: Backend,
    /// Which backend is in use, for `Debug` (never includes a key).
    description: String,
}

impl std::fmt::Debug for Snippets {
    // Not derived: object_store's Azure credential prints the key in `Debug`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snippets")
            .field("backend", &self.description)
            .finish()
    }
}

impl Snippets {
    pub fn new(config: StorageConfig) -> Self {
        let description = config.to_string();
        Self {
            backend: Backend::new(config),
            description,
        }
    }

    /// Saves `content` under `name` in `owner`'s collection. With `overwrite ==
    /// false` an existing snippet is left untouched and
    /// [`SnippetError::AlreadyExists`] returned.
    pub async fn save(
        &self,
        owner: &Owner,
        name: &str,
        content: String,
        overwrite: bool,
    ) -> Result<Saved, SnippetError> {
        let name = SnippetName::parse(name)?;
        if content.len() > MAX_SNIPPET_BYTES {
            return Err(SnippetError::TooLarge {
                size: content.len(),
            });
        }
        let size_bytes = content.len() as u64;
        let path = owner.path(&name);
        let payload = PutPayload::from(Bytes::from(content));
        // Create first (If-None-Match: *), so the answer can say whether a snippet
        // was replaced, and so overwrite=false is one atomic conditional write.
        let replaced = match self
            .backend
            .put(&path, payload.clone(), PutMode::Create)
            .await
        {
            Ok(()) => false,
            Err(PutError::Store(object_store::Error::AlreadyExists { .. })) if overwrite => {
                self.backend
                    .put(&path, payload, PutMode::Overwrite)
                    .await
                    .map_err(|e| self.put_error(e))?;
                true
            }
            Err(PutError::Store(object_store::Error::AlreadyExists { .. })) => {
                return Err(SnippetError::AlreadyExists {
                    name: name.to_string(),
                });
            }
            Err(e) => return Err(self.put_error(e)),
        };
        Ok(Saved {
            name: name.to_string(),
            size_bytes,
            replaced,
            declined: false,
        })
    }

    /// Reads one snippet of `owner`'s collection.
    pub async fn get(&self, owner: &Owner, name: &str) -> Result<Snippet, SnippetError> {
        let name = SnippetName::parse(name)?;
        let store = self.backend.store().await?;
        let path = owner.path(&name);
        let not_found = || SnippetError::NotFound {
            name: name.to_string(),
        };
        let result = match store.get(&path).await {
            Ok(result) => result,
            // A missing container means no snippets yet.
            Err(object_store::Error::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(self.storage_error(e)),
        };
        let meta = result.meta.clone();
        if meta.size > MAX_SNIPPET_BYTES as u64 {
            return Err(SnippetError::StoredTooLarge {
                name: name.to_string(),
                size: meta.size,
            });
        }
        let bytes = match result.bytes().await {
            Ok(bytes) => bytes,
            // Deleted between the answer's headers and its body (local files).
            Err(object_store::Error::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(self.storage_error(e)),
        };
        let content = String::from_utf8(bytes.to_vec()).map_err(|_| SnippetError::NotText {
            name: name.to_string(),
        })?;
        Ok(Snippet {
            name: name.to_string(),
            size_bytes: content.len() as u64,
            content,
            last_modified: timestamp(&meta),
        })
    }

    /// Lists the snippets of `owner`'s collection whose names start with `prefix`
    /// (all when `None`), sorted, at most [`LIST_LIMIT`].
    pub async fn list(&self, owner: &Owner, prefix: Option<&str>) -> Result<Listing, SnippetError> {
        let prefix = prefix.filter(|p| !p.is_empty());
        let mut snippets = self.all(owner).await?;
        snippets.retain(|s| prefix.is_none_or(|p| s.name.starts_with(p)));
        let total = snippets.len();
        snippets.truncate(LIST_LIMIT);
        Ok(Listing {
            truncated: total > snippets.len(),
            snippets,
            total,
            prefix: prefix.map(str::to_owned),
        })
    }

    /// One page of `owner`'s collection, sorted by name: at most `limit` snippets
    /// after the one named `after`, and whether more follow.
    pub async fn page(
        &self,
        owner: &Owner,
        after: Option<&SnippetName>,
        limit: usize,
    ) -> Result<(Vec<SnippetInfo>, bool), SnippetError> {
        let mut snippets = self.all(owner).await?;
        if let Some(after) = after {
            snippets.retain(|s| s.name.as_str() > after.as_str());
        }
        let more = snippets.len() > limit;
        snippets.truncate(limit);
        Ok((snippets, more))
    }

    /// A snippet's size and last-saved time, without its text; `None` if there is none.
    pub async fn stat(
        &self,
        owner: &Owner,
        name: &str,
    ) -> Result<Option<SnippetInfo>, SnippetError> {
        let name = SnippetName::parse(name)?;
        let store = self.backend.store().await?;
        match store.head(&owner.path(&name)).await {
            Ok(meta) => Ok(Some(SnippetInfo::of(name.to_string(), &meta))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.storage_error(e)),
        }
    }

    /// Every snippet of `owner`'s collection, sorted by name. Blobs that are not
    /// `<valid name>.json` are skipped.
    async fn all(&self, owner: &Owner) -> Result<Vec<SnippetInfo>, SnippetError> {
        let store = self.backend.store().await?;
        // object_store's prefix is a path segment ("he" does not match "hello.json"),
        // so the whole folder is listed and filtered by the callers. Names have no
        // '/', so one level (with a delimiter) is all there is.
        let objects = match store.list_with_delimiter(owner.folder().as_ref()).await {
            Ok(result) => result.objects,
            // A missing container means no snippets yet.
            Err(e) if error::container_missing(&e) => Vec::new(),
            Err(e) => return Err(self.storage_error(e)),
        };
        let mut snippets: Vec<SnippetInfo> = objects
            .iter()
            .filter_map(|meta| {
                let name = SnippetName::from_object_name(meta.location.filename()?)?;
                Some(SnippetInfo::of(name.to_string(), meta))
            })
            .collect();
        snippets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(snippets)
    }

    /// Deletes one snippet of `owner`'s collection. Deleting a missing snippet is not
    /// an error: the result says nothing was deleted.
    pub async fn delete(&self, owner: &Owner, name: &str) -> Result<Deleted, SnippetError> {
        let name = SnippetName::parse(name)?;
        let store = self.backend.store().await?;
        let deleted = match store.delete(&owner.path(&name)).await {
            Ok(()) => true,
            Err(object_store::Error::NotFound { .. }) => false,
            Err(e) => return Err(self.storage_error(e)),
        };
        Ok(Deleted {
            name: name.to_string(),
            deleted,
            declined: false,
        })
    }

    fn storage_error(&self, source: object_store::Error) -> SnippetError {
        SnippetError::Storage {
            backend: self.backend.label(),
            source,
        }
    }

    fn put_error(&self, error: PutError) -> SnippetError {
        match error {
            PutError::Snippet(e) => e,
            PutError::Store(e) => self.storage_error(e),
        }
    }
}

impl SnippetInfo {
    fn of(name: String, meta: &ObjectMeta) -> Self {
        Self {
            name,
            size_bytes: meta.size,
            last_modified: timestamp(meta),
            version: meta.e_tag.clone(),
        }
    }
}

fn timestamp(meta: &ObjectMeta) -> String {
    meta.last_modified.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
