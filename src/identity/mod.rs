//! Who is calling: the signed-in user behind a request, and their Microsoft Graph
//! profile.
//!
//! # What is trusted, and when
//!
//! With App Service built-in authentication ("Easy Auth", `MCP_AUTH_MODE=entra`), the
//! platform signs every caller in before the request reaches this server and forwards
//! who they are in headers: `X-MS-CLIENT-PRINCIPAL` (base64 JSON: `auth_typ`,
//! `name_typ`, `role_typ`, `claims[{typ, val}]`), `X-MS-CLIENT-PRINCIPAL-ID`, `-NAME`,
//! `-IDP`, and the caller's own `Authorization: Bearer` token. Those headers are only
//! worth something because the platform removes any copy a client sent. It does that
//! only while built-in authentication is on, which it tells the app with
//! `WEBSITE_AUTH_ENABLED=True`. Without it (`key` or `none` mode, `func start`, `cargo
//! run`), any client can write `X-MS-CLIENT-PRINCIPAL-ID: <someone else's id>`. So:
//!
//! - The headers are read only when `WEBSITE_AUTH_ENABLED` is `true` (any case; any
//!   other value fails closed). Otherwise every caller is anonymous, and the first
//!   request that carries principal headers anyway is logged once (names of headers,
//!   never values).
//! - Even trusted headers are decoded defensively: at most 64 KiB
//!   ([`MAX_PRINCIPAL_HEADER_BYTES`]), base64 then JSON, each step able to fail into
//!   "anonymous, with a reason" ([`AnonymousReason::Unreadable`]); never a panic or an
//!   error status. The first failure of each kind is a warning, later ones are debug
//!   lines, so a broken deployment is visible without one line per request.
//!
//! # The user key
//!
//! A user is their Entra ID object id: the `oid` claim
//! (`http://schemas.microsoft.com/identity/claims/objectidentifier`), else
//! `X-MS-CLIENT-PRINCIPAL-ID`. It is the one identifier that is stable (names and
//! e-mail addresses change), unique within the tenant and not personal data in
//! itself. It is validated as a GUID and kept in canonical lowercase form by
//! [`UserId`], the only way to hold one, so it is safe as a storage path segment
//! (`snippets/<oid>/<name>.json`) and safe to log. Names, e-mail addresses, claims
//! and tokens are never logged; the `Debug` output of [`Principal`],
//! [`GraphProfile`] and the token wrapper leaves them out.
//!
//! # Using it from a tool
//!
//! The handler owns one [`Identity`] and implements [`HasIdentity`]; a tool then takes
//! the caller as an argument, like rmcp's own extractors:
//!
//! ```text
//! impl HasIdentity for McpServer {
//!     fn identity(&self) -> &Identity { &self.inner.identity }
//! }
//!
//! #[tool(description = "...")]
//! async fn get_current_user(&self, caller: Caller) -> CallToolResult {
//!     let mut user = CurrentUser::from_caller(&caller);
//!     match self.identity().profile(&caller).await { ... }
//! }
//! ```
//!
//! The extractor is implemented for [`ToolCallContext`] rather than for every
//! `C: AsRequestContext` (which the orphan rule would also allow: `Caller` is local):
//! a generic `C` only sees the request context, so the trust setting would have to
//! travel in request extensions, put there by some router layer, and a missing layer
//! would surface only at run time. Through the tool context it comes from the handler
//! itself, checked by the compiler.

mod current_user;
mod principal;
mod profile;
mod user_id;

use std::sync::Arc;

use rmcp::{
    ErrorData,
    handler::server::{common::FromContextPart, tool::ToolCallContext},
};

pub use current_user::CurrentUser;
pub(crate) use principal::IdentityPolicy;
pub use principal::{AnonymousReason, Caller, Principal, PrincipalError};
pub(crate) use profile::ProfileClient;
pub use profile::{GraphProfile, ProfileError};
pub use user_id::{InvalidUserId, UserId};

use crate::config::IdentityConfig;

/// The process's identity services: who is calling, and their Graph profile. Cheap to
/// clone (one `Arc`); build it once from [`IdentityConfig`].
#[derive(Debug, Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    policy: IdentityPolicy,
    profiles: ProfileClient,
}

impl Identity {
    /// Offline: nothing is sent until the first profile lookup.
    pub fn new(config: &IdentityConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                policy: IdentityPolicy::new(config.trust_principal_headers),
                profiles: ProfileClient::new(config),
            }),
        }
    }

    /// The caller of a request, from the HTTP parts rmcp attaches to it
    /// (`RequestContext::extensions`); `None` outside HTTP.
    pub fn caller(&self, parts: Option<&http::request::Parts>) -> Caller {
        self.inner.policy.caller(parts)
    }

    /// The caller's Microsoft Graph profile through the on-behalf-of exchange.
    pub async fn profile(&self, caller: &Caller) -> Result<GraphProfile, ProfileError> {
        self.inner.profiles.profile(caller).await
    }
}

/// A handler that knows the process's [`Identity`], so its tools can take a [`Caller`].
pub(crate) trait HasIdentity {
    fn identity(&self) -> &Identity;
}

/// Lets a tool take `caller: Caller` as an argument. Never fails: a request without
/// usable identity gives [`Caller::Anonymous`], and the tool decides what that means.
impl<S: HasIdentity> FromContextPart<ToolCallContext<'_, S>> for Caller {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let parts = context
            .request_context
            .extensions
            .get::<http::request::Parts>();
        Ok(context.service.identity().caller(parts))
    }
}

#[cfg(test)]
mod tests;
