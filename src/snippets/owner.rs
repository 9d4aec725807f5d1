//! Whose collection an operation works on, and where its snippets are stored.

use object_store::path::Path;

use super::{SnippetError, SnippetName};
use crate::{
    config::SnippetsScope,
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

/// Names the collection, e.g. for what a caller's request is bound to.
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
    pub(super) fn path(&self, name: &SnippetName) -> Path {
        match self {
            Self::Shared => Path::from(name.object_name()),
            Self::User(user) => Path::from_iter([user.as_str(), &name.object_name()]),
        }
    }

    /// The folder of this collection: the root for the shared one, whose listing
    /// therefore never shows users' folders.
    pub(super) fn folder(&self) -> Path {
        match self {
            Self::Shared => Path::default(),
            Self::User(user) => Path::from(user.as_str()),
        }
    }
}
