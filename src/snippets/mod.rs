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
//! concurrent saves of one name end with one complete version. A change a person
//! confirmed ([`Snippets::replace`], [`Snippets::delete_version`]) happens only to
//! the version they were shown (`If-Match` on Blob Storage, a lock locally).
//!
//! A collection is capped ([`SnippetLimits`]): a save that would add a snippet past
//! the count, or bytes past the total, is refused before anything is written. The
//! caps keep the count a save starts with cheap. Listings read one page from storage,
//! never the whole collection.

mod azure;
mod backend;
mod error;
mod local;
mod name;

use bytes::Bytes;
use object_store::{ObjectMeta, ObjectStoreExt, PutMode, PutPayload, UpdateVersion, path::Path};
use schemars::JsonSchema;
use serde::Serialize;

use self::backend::{Backend, BackendError};
pub use self::{
    error::SnippetError,
    name::{InvalidName, NAME_RULE, SnippetName},
};
use crate::{
    config::{SnippetLimits, SnippetsScope, StorageConfig},
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

    /// The folder of this collection: the root for the shared one, whose listing
    /// therefore never shows users' folders.
    fn folder(&self) -> Path {
        match self {
            Self::Shared => Path::default(),
            Self::User(user) => Path::from(user.as_str()),
        }
    }
}

/// The largest snippet, in bytes of UTF-8: far below Blob Storage's limits, and
/// small enough to return in one tool result.
pub const MAX_SNIPPET_BYTES: usize = 1024 * 1024;

/// At most this many names per `list_snippets` answer; `after` pages on, a prefix
/// narrows it.
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

/// One page of the snippets whose names start with a prefix, in name order.
///
/// Only one page is read from storage, so the number of snippets past the page is
/// not known: `total` is given when the answer holds every match, and left out when
/// `truncated`; `nextAfter` then continues.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// At most 200 snippets, in name order (as storage sorts them: a '-' sorts before the end of a name, so "a-b" comes before "a").
    pub snippets: Vec<SnippetInfo>,
    /// How many snippets matched (after `after`, if given). Given when all of them are listed; left out when `truncated`, because the rest were not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// True when more snippets follow the ones listed: list again with `after` set to `nextAfter` to see them, or pass a longer prefix.
    pub truncated: bool,
    /// When `truncated`: the last name listed, to pass as `after` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
    /// The prefix the names were filtered by, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The name the listing started after, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// One page of a collection, in storage order (see [`Snippets::page`]).
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub snippets: Vec<SnippetInfo>,
    /// Whether more snippets follow the last one.
    pub more: bool,
}

/// How much of a collection is used, and how much of it one name takes.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    count: usize,
    bytes: u64,
    /// The size of the snippet being saved, if it exists.
    existing: Option<u64>,
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
    limits: SnippetLimits,
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
    pub fn new(config: StorageConfig, limits: SnippetLimits) -> Self {
        let description = config.to_string();
        Self {
            backend: Backend::new(config),
            limits,
            description,
        }
    }

    /// Saves `content` under `name` in `owner`'s collection. With `overwrite ==
    /// false` an existing snippet is left untouched and
    /// [`SnippetError::AlreadyExists`] returned. A save past the collection's caps is
    /// refused, and nothing written. The caps are checked against a count taken just
    /// before the write: saves of new names racing at the cap can each pass it.
    pub async fn save(
        &self,
        owner: &Owner,
        name: &str,
        content: String,
        overwrite: bool,
    ) -> Result<Saved, SnippetError> {
        let name = SnippetName::parse(name)?;
        let size_bytes = Self::check_size(&content)?;
        let usage = self.usage(owner, &name).await?;
        if overwrite || usage.existing.is_none() {
            self.check_room(&usage, size_bytes)?;
        }
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
            Err(BackendError::Store(object_store::Error::AlreadyExists { .. })) if overwrite => {
                self.backend
                    .put(&path, payload, PutMode::Overwrite)
                    .await
                    .map_err(|e| self.backend_error(e))?;
                true
            }
            Err(BackendError::Store(object_store::Error::AlreadyExists { .. })) => {
                return Err(SnippetError::AlreadyExists {
                    name: name.to_string(),
                });
            }
            Err(e) => return Err(self.backend_error(e)),
        };
        Ok(Saved {
            name: name.to_string(),
            size_bytes,
            replaced,
            declined: false,
        })
    }

    /// Replaces the snippet `name` of `owner`'s collection with `content`, only if it
    /// is still `version` (the [`SnippetInfo::version`] a person was shown);
    /// otherwise nothing is written and [`SnippetError::Changed`] returned.
    pub async fn replace(
        &self,
        owner: &Owner,
        name: &str,
        content: String,
        version: Option<&str>,
    ) -> Result<Saved, SnippetError> {
        let name = SnippetName::parse(name)?;
        let size_bytes = Self::check_size(&content)?;
        let changed = || SnippetError::Changed {
            name: name.to_string(),
        };
        let version = version.ok_or_else(changed)?;
        self.check_room(&self.usage(owner, &name).await?, size_bytes)?;
        let mode = PutMode::Update(UpdateVersion {
            e_tag: Some(version.to_owned()),
            version: None,
        });
        let payload = PutPayload::from(Bytes::from(content));
        match self.backend.put(&owner.path(&name), payload, mode).await {
            Ok(()) => Ok(Saved {
                name: name.to_string(),
                size_bytes,
                replaced: true,
                declined: false,
            }),
            Err(BackendError::Store(
                object_store::Error::Precondition { .. } | object_store::Error::NotFound { .. },
            )) => Err(changed()),
            Err(e) => Err(self.backend_error(e)),
        }
    }

    fn check_size(content: &str) -> Result<u64, SnippetError> {
        if content.len() > MAX_SNIPPET_BYTES {
            return Err(SnippetError::TooLarge {
                size: content.len(),
            });
        }
        Ok(content.len() as u64)
    }

    /// Refuses a save of `size` bytes that would take the collection past its caps: a
    /// new snippet past the count, or any save past the total bytes. Replacing a
    /// snippet at the count cap is fine.
    fn check_room(&self, usage: &Usage, size: u64) -> Result<(), SnippetError> {
        let SnippetLimits {
            max_count,
            max_bytes,
        } = self.limits;
        if usage.existing.is_none() && usage.count >= max_count {
            return Err(SnippetError::CollectionFull {
                count: usage.count,
                max_count,
            });
        }
        let total = usage.bytes - usage.existing.unwrap_or(0) + size;
        if total > max_bytes {
            return Err(SnippetError::CollectionTooLarge {
                size,
                total,
                max_bytes,
            });
        }
        Ok(())
    }

    /// How many snippets `owner`'s collection holds, their bytes, and the size of
    /// `name` among them. One listing of the collection's folder: bounded, since the
    /// caps bound the collection.
    async fn usage(&self, owner: &Owner, name: &SnippetName) -> Result<Usage, SnippetError> {
        let store = self.backend.store().await?;
        let objects = match store.list_with_delimiter(Some(&owner.folder())).await {
            Ok(result) => result.objects,
            // A missing container means no snippets yet.
            Err(e) if error::container_missing(&e) => Vec::new(),
            Err(e) => return Err(self.storage_error(e)),
        };
        let mut usage = Usage::default();
        for meta in &objects {
            let Some(found) = meta
                .location
                .filename()
                .and_then(SnippetName::from_object_name)
            else {
                continue;
            };
            usage.count += 1;
            usage.bytes += meta.size;
            if &found == name {
                usage.existing = Some(meta.size);
            }
        }
        Ok(usage)
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

    /// Lists one page of the snippets of `owner`'s collection whose names start with
    /// `prefix` (all when `None`), after the name `after` if given: at most
    /// [`LIST_LIMIT`], in name order.
    pub async fn list(
        &self,
        owner: &Owner,
        prefix: Option<&str>,
        after: Option<&str>,
    ) -> Result<Listing, SnippetError> {
        let prefix = prefix.filter(|p| !p.is_empty());
        let after = after
            .filter(|a| !a.is_empty())
            .map(SnippetName::parse)
            .transpose()?;
        let page = self
            .page(
                owner,
                prefix.unwrap_or_default(),
                after.as_ref(),
                LIST_LIMIT,
            )
            .await?;
        Ok(Listing {
            total: (!page.more).then_some(page.snippets.len()),
            truncated: page.more,
            next_after: page
                .more
                .then(|| page.snippets.last().map(|s| s.name.clone()))
                .flatten(),
            snippets: page.snippets,
            prefix: prefix.map(str::to_owned),
            after: after.map(|a| a.to_string()),
        })
    }

    /// One page of `owner`'s collection, in name order as storage lists it
    /// (`<name>.json`): at most `limit` snippets whose names start with `prefix`,
    /// after the one named `after`, and whether more follow. Reads that page from
    /// storage, not the collection.
    pub async fn page(
        &self,
        owner: &Owner,
        prefix: &str,
        after: Option<&SnippetName>,
        limit: usize,
    ) -> Result<Page, SnippetError> {
        if !SnippetName::could_start_with(prefix) {
            return Ok(Page::default());
        }
        // Both bounds as object names; whichever starts later.
        let after = after.map(SnippetName::object_name).unwrap_or_default();
        let start_after = if after.as_str() > prefix {
            after
        } else {
            prefix.to_owned()
        };
        let found = self
            .backend
            .page(&owner.folder(), prefix, &start_after, limit)
            .await
            .map_err(|e| self.backend_error(e))?;
        let mut snippets: Vec<SnippetInfo> = found
            .iter()
            .map(|(name, meta)| SnippetInfo::of(name.to_string(), meta))
            .collect();
        let more = snippets.len() > limit;
        snippets.truncate(limit);
        Ok(Page { snippets, more })
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

    /// Deletes one snippet of `owner`'s collection. Deleting a missing snippet is not
    /// an error: the result says nothing was deleted.
    pub async fn delete(&self, owner: &Owner, name: &str) -> Result<Deleted, SnippetError> {
        let name = SnippetName::parse(name)?;
        let deleted = match self.backend.delete(&owner.path(&name), None).await {
            Ok(()) => true,
            Err(BackendError::Store(object_store::Error::NotFound { .. })) => false,
            Err(e) => return Err(self.backend_error(e)),
        };
        Ok(Deleted {
            name: name.to_string(),
            deleted,
            declined: false,
        })
    }

    /// Deletes the snippet `name` of `owner`'s collection only if it is still
    /// `version` (the [`SnippetInfo::version`] a person was shown); otherwise nothing
    /// is deleted and [`SnippetError::Changed`] returned. A snippet gone meanwhile is
    /// not an error: the result says nothing was deleted.
    pub async fn delete_version(
        &self,
        owner: &Owner,
        name: &str,
        version: Option<&str>,
    ) -> Result<Deleted, SnippetError> {
        let name = SnippetName::parse(name)?;
        let changed = || SnippetError::Changed {
            name: name.to_string(),
        };
        let version = version.ok_or_else(changed)?;
        let deleted = match self.backend.delete(&owner.path(&name), Some(version)).await {
            Ok(()) => true,
            Err(BackendError::Store(object_store::Error::NotFound { .. })) => false,
            Err(BackendError::Store(object_store::Error::Precondition { .. })) => {
                return Err(changed());
            }
            Err(e) => return Err(self.backend_error(e)),
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

    fn backend_error(&self, error: BackendError) -> SnippetError {
        match error {
            BackendError::Snippet(e) => e,
            BackendError::Store(e) => self.storage_error(e),
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
