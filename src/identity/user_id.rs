//! The user key: an Entra ID object id, validated once.

use std::fmt;

use serde::Serialize;

use crate::guid;

/// A signed-in user's object id (`oid`) in canonical form: a GUID written as 36
/// lowercase characters, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, never the nil GUID.
///
/// The only way to get one is [`UserId::parse`], so a value of this type is always
/// safe to log (an object id is an opaque identifier, not a name or an address) and
/// safe as a storage path segment: it holds only `0-9`, `a-f` and `-`, so no `/`,
/// `..`, `%` or anything a blob or file path would interpret. Two spellings of the same
/// GUID (upper and lower case) give equal values, so one user gets one key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

/// The value is not a GUID in the 8-4-4-4-12 hexadecimal form (or is the nil GUID).
/// It carries no copy of the value: it may have come from a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an object id (a GUID such as {})", guid::NIL)]
pub struct InvalidUserId;

impl UserId {
    /// Accepts a GUID in the hyphenated 8-4-4-4-12 form, in any letter case. Braces,
    /// URNs, surrounding whitespace and the nil GUID are refused.
    pub fn parse(value: &str) -> Result<Self, InvalidUserId> {
        guid::canonical(value)
            .filter(|id| id != guid::NIL)
            .map(Self)
            .ok_or(InvalidUserId)
    }

    /// The canonical lowercase form, also the storage path segment.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Prints the id itself: object ids may be logged (see the module notes).
impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({})", self.0)
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
