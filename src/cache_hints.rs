//! How long clients may reuse what this server lists and reads (SEP-2549: `ttlMs` and
//! `cacheScope` on every list result and `resources/read`), decided in one place.
//!
//! A stateless server cannot tell clients that a list changed (there is no session to
//! send `notifications/*/list_changed` on), so the hint is the whole contract: long
//! enough that clients stop asking for what only a deployment changes, short enough
//! that a new deployment reaches them within the hour.

use rmcp::model::CacheScope;

/// A freshness hint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hint {
    pub ttl_ms: u64,
    pub scope: CacheScope,
}

/// The tool list, the prompt list, the resource templates and the weather widget:
/// the same for every caller, and changed only by deploying another version.
pub(crate) const PER_DEPLOYMENT: Hint = Hint {
    ttl_ms: 60 * 60 * 1000,
    scope: CacheScope::Public,
};

/// Saved snippets (the resource list, which names them, and their contents): changed
/// by any save or delete, and private to their owner when `SNIPPETS_SCOPE=user`, so
/// fresh for a few seconds and only for the client that asked.
pub(crate) const SNIPPETS: Hint = Hint {
    ttl_ms: 5 * 1000,
    scope: CacheScope::Private,
};
