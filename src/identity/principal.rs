//! Reading the caller from the headers App Service built-in authentication forwards.
//!
//! Everything here is a pure function of the request headers and one switch (trust
//! them or not), so it is tested without HTTP. Malformed input of any kind ends as an
//! anonymous caller with a reason, never a panic or an error status.

use std::{
    fmt,
    sync::atomic::{AtomicBool, Ordering},
};

use base64::{
    Engine,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use serde::Deserialize;

use super::user_id::UserId;
use crate::config::Secret;
use crate::config::canonical_guid;

/// The largest `X-MS-CLIENT-PRINCIPAL` accepted, base64 as received: 64 KiB. A
/// principal with a few hundred group and role claims is around 20 KiB (Entra ID
/// stops listing groups in tokens after 200 and sends an overage claim instead), so
/// this leaves room for any real one while bounding the work a request can cause.
pub const MAX_PRINCIPAL_HEADER_BYTES: usize = 64 * 1024;

/// The largest bearer token kept for the on-behalf-of exchange: 32 KiB. Entra ID access
/// tokens are a few KiB; a larger `Authorization` value is not one.
pub const MAX_BEARER_TOKEN_BYTES: usize = 32 * 1024;

/// The largest `X-MS-CLIENT-PRINCIPAL-NAME` / `-IDP` value used; longer ones are ignored.
const MAX_PLAIN_HEADER_BYTES: usize = 1024;

pub(crate) const PRINCIPAL_HEADER: &str = "x-ms-client-principal";
pub(crate) const PRINCIPAL_ID_HEADER: &str = "x-ms-client-principal-id";
pub(crate) const PRINCIPAL_NAME_HEADER: &str = "x-ms-client-principal-name";
pub(crate) const PRINCIPAL_IDP_HEADER: &str = "x-ms-client-principal-idp";

// Claim types as Easy Auth writes them (it maps Entra ID's short JWT claim names to
// these URIs), with the short names accepted too.
const OID_CLAIMS: [&str; 2] = [
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "oid",
];
const TENANT_CLAIMS: [&str; 2] = [
    "http://schemas.microsoft.com/identity/claims/tenantid",
    "tid",
];
const SCOPE_CLAIMS: [&str; 2] = ["http://schemas.microsoft.com/identity/claims/scope", "scp"];
const DEFAULT_ROLE_TYPE: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A user signed in through built-in authentication, with a validated object id.
    User(Principal),
    /// Nobody we can name; the reason tells the model what would change that.
    Anonymous(AnonymousReason),
}

impl Caller {
    /// The user key, for signed-in callers.
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Self::User(principal) => Some(&principal.user_id),
            Self::Anonymous(_) => None,
        }
    }

    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::User(principal) => Some(principal),
            Self::Anonymous(_) => None,
        }
    }
}

/// Why a caller is anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymousReason {
    /// Built-in authentication is off (`WEBSITE_AUTH_ENABLED` is not true), so
    /// principal headers, if any came, were ignored: anyone could have sent them.
    SignInOff,
    /// Built-in authentication is on, but this request carried no signed-in user (the
    /// app lets some requests through unauthenticated, or a key was used).
    NoPrincipal,
    /// A principal arrived but could not be used.
    Unreadable(PrincipalError),
}

impl AnonymousReason {
    /// A sentence for the model: why the caller is anonymous and what would change it.
    pub fn message(&self) -> String {
        match self {
            Self::SignInOff => "Sign-in is not enabled on this server, so every caller is \
                anonymous. To identify users, deploy it with App Service built-in \
                authentication (MCP_AUTH_MODE=entra, the default of `azd up`) and connect \
                with a Microsoft Entra ID account."
                .to_owned(),
            Self::NoPrincipal => "This request carried no signed-in user. Connect to the \
                server with a Microsoft Entra ID sign-in (not a function key) to be \
                identified."
                .to_owned(),
            Self::Unreadable(error) => format!(
                "The sign-in information of this request could not be used ({error}), so \
                 the caller is treated as anonymous. Sign in again; if this persists, the \
                 server's operator can find the reason in its log."
            ),
        }
    }
}

/// Why a forwarded principal was not used. The texts name the problem, never the
/// value, because the value came from a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    #[error("the X-MS-CLIENT-PRINCIPAL header is larger than {} KiB", MAX_PRINCIPAL_HEADER_BYTES / 1024)]
    TooLarge,
    #[error("the X-MS-CLIENT-PRINCIPAL header was sent more than once")]
    Repeated,
    #[error("the X-MS-CLIENT-PRINCIPAL header is not base64")]
    NotBase64,
    #[error("the X-MS-CLIENT-PRINCIPAL header is not a client principal in JSON")]
    NotJson,
    #[error("the principal names no object id (oid)")]
    NoUserId,
    #[error("the principal's object id is not a GUID")]
    InvalidUserId,
    #[error(
        "the X-MS-CLIENT-PRINCIPAL-ID header names another user than the principal's \
         object id (oid)"
    )]
    IdMismatch,
}

impl PrincipalError {
    const COUNT: usize = 7;

    fn index(self) -> usize {
        match self {
            Self::TooLarge => 0,
            Self::Repeated => 1,
            Self::NotBase64 => 2,
            Self::NotJson => 3,
            Self::NoUserId => 4,
            Self::InvalidUserId => 5,
            Self::IdMismatch => 6,
        }
    }
}

/// A signed-in user as built-in authentication describes them.
///
/// `Debug` shows the object id and tenant only: names, roles and tokens stay out of
/// any log line a stray `{:?}` could produce.
#[derive(Clone)]
pub struct Principal {
    /// The object id (`oid` claim, else `X-MS-CLIENT-PRINCIPAL-ID`): the user key.
    pub user_id: UserId,
    /// The display name (`name` claim, else the principal's name claim, else
    /// `X-MS-CLIENT-PRINCIPAL-NAME`). Never logged.
    pub name: Option<String>,
    /// The tenant id (`tid`), when it is a GUID.
    pub tenant_id: Option<String>,
    /// The identity provider (`X-MS-CLIENT-PRINCIPAL-IDP`, else `auth_typ`), e.g. `aad`.
    pub identity_provider: Option<String>,
    /// App roles (claims of the principal's `role_typ`).
    pub roles: Vec<String>,
    /// Delegated scopes (`scp`), one entry per scope.
    pub scopes: Vec<String>,
    /// The caller's bearer token (`Authorization: Bearer …`), the assertion of the
    /// on-behalf-of exchange. `Debug` redacts it.
    pub access_token: Option<Secret>,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("user_id", &self.user_id)
            .field("tenant_id", &self.tenant_id)
            .field("identity_provider", &self.identity_provider)
            .field("roles", &self.roles.len())
            .field("scopes", &self.scopes.len())
            .field("access_token", &self.access_token)
            .finish_non_exhaustive()
    }
}

/// Turns request headers into a [`Caller`], and remembers what it has already logged:
/// one instance per process (inside [`super::Identity`]).
#[derive(Debug)]
pub struct IdentityPolicy {
    trust_principal_headers: bool,
    ignored_logged: AtomicBool,
    unreadable_logged: [AtomicBool; PrincipalError::COUNT],
}

impl IdentityPolicy {
    /// `trust_principal_headers` is [`crate::config::IdentityConfig::trust_principal_headers`].
    pub fn new(trust_principal_headers: bool) -> Self {
        Self {
            trust_principal_headers,
            ignored_logged: AtomicBool::new(false),
            unreadable_logged: Default::default(),
        }
    }

    pub fn trusts_principal_headers(&self) -> bool {
        self.trust_principal_headers
    }

    /// The caller of a request, from its HTTP parts (`None` outside HTTP, e.g. in-process
    /// tests: anonymous).
    pub fn caller(&self, parts: Option<&http::request::Parts>) -> Caller {
        match parts {
            Some(parts) => self.caller_from_headers(&parts.headers),
            None if self.trust_principal_headers => Caller::Anonymous(AnonymousReason::NoPrincipal),
            None => Caller::Anonymous(AnonymousReason::SignInOff),
        }
    }

    /// The caller of a request, from its headers.
    ///
    /// Logging, so that a misconfiguration is visible without one line per request:
    /// principal headers ignored because built-in authentication is off are reported
    /// once per process (a warning: either the app is misconfigured or someone is
    /// trying to pass as a user); an unreadable principal is a warning the first time
    /// for each [`PrincipalError`] kind and a debug line after that. No line carries a
    /// header value.
    pub fn caller_from_headers(&self, headers: &HeaderMap) -> Caller {
        if !self.trust_principal_headers {
            if has_principal_headers(headers) && !self.ignored_logged.swap(true, Ordering::Relaxed)
            {
                tracing::warn!(
                    "principal headers (X-MS-CLIENT-PRINCIPAL*) arrived, but built-in \
                     authentication is off (WEBSITE_AUTH_ENABLED is not true), so anyone \
                     could have sent them: they are ignored and callers are anonymous. \
                     Logged once per process."
                );
            }
            return Caller::Anonymous(AnonymousReason::SignInOff);
        }
        match read_principal(headers) {
            Ok(Some(principal)) => Caller::User(principal),
            Ok(None) => Caller::Anonymous(AnonymousReason::NoPrincipal),
            Err(error) => {
                if self.unreadable_logged[error.index()].swap(true, Ordering::Relaxed) {
                    tracing::debug!(reason = %error, "unusable principal; caller is anonymous");
                } else {
                    tracing::warn!(
                        reason = %error,
                        "unusable principal from built-in authentication; caller is \
                         anonymous. Later occurrences of this reason are logged at debug level."
                    );
                }
                Caller::Anonymous(AnonymousReason::Unreadable(error))
            }
        }
    }
}

fn has_principal_headers(headers: &HeaderMap) -> bool {
    [
        PRINCIPAL_HEADER,
        PRINCIPAL_ID_HEADER,
        PRINCIPAL_NAME_HEADER,
        PRINCIPAL_IDP_HEADER,
    ]
    .iter()
    .any(|name| headers.contains_key(*name))
}

/// The client principal JSON (`X-MS-CLIENT-PRINCIPAL`, base64).
#[derive(Deserialize)]
struct ClientPrincipal {
    #[serde(default)]
    auth_typ: Option<String>,
    #[serde(default)]
    name_typ: Option<String>,
    #[serde(default)]
    role_typ: Option<String>,
    #[serde(default)]
    claims: Vec<Claim>,
}

#[derive(Deserialize)]
struct Claim {
    typ: String,
    /// A string in every principal App Service writes; anything else is skipped.
    val: serde_json::Value,
}

impl ClientPrincipal {
    fn values<'a>(&'a self, types: &'a [&'a str]) -> impl Iterator<Item = &'a str> + 'a {
        self.claims
            .iter()
            .filter(|claim| types.contains(&claim.typ.as_str()))
            .filter_map(|claim| claim.val.as_str())
    }

    fn first(&self, types: &[&str]) -> Option<String> {
        self.values(types).next().map(str::to_owned)
    }
}

/// Standard base64, with or without padding, as the principal header has been seen
/// both ways in the wild.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Reads the principal from trusted headers. `Ok(None)`: there is none.
pub(crate) fn read_principal(headers: &HeaderMap) -> Result<Option<Principal>, PrincipalError> {
    let mut encoded = headers.get_all(PRINCIPAL_HEADER).iter();
    let decoded = match (encoded.next(), encoded.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => return Err(PrincipalError::Repeated),
        (Some(value), None) => Some(decode(value)?),
    };
    let header_ids = headers.get_all(PRINCIPAL_ID_HEADER);
    if decoded.is_none() && header_ids.iter().next().is_none() {
        return Ok(None);
    }
    let user_id = user_id(decoded.as_ref(), header_ids)?;

    let name = decoded
        .as_ref()
        .and_then(|p| {
            p.first(&["name"]).or_else(|| {
                p.name_typ
                    .as_deref()
                    .and_then(|typ| p.values(&[typ]).next().map(str::to_owned))
            })
        })
        .or_else(|| plain_header(headers, PRINCIPAL_NAME_HEADER));
    let tenant_id = decoded
        .as_ref()
        .and_then(|p| p.values(&TENANT_CLAIMS).find_map(canonical_guid));
    let identity_provider = plain_header(headers, PRINCIPAL_IDP_HEADER)
        .or_else(|| decoded.as_ref().and_then(|p| p.auth_typ.clone()));
    let (roles, scopes) = match &decoded {
        Some(p) => {
            let role_type = p.role_typ.as_deref().unwrap_or(DEFAULT_ROLE_TYPE);
            let mut roles = Vec::new();
            for role in p.values(&[role_type, "roles"]) {
                push_unique(&mut roles, role);
            }
            let mut scopes = Vec::new();
            for scope in p.values(&SCOPE_CLAIMS).flat_map(str::split_whitespace) {
                push_unique(&mut scopes, scope);
            }
            (roles, scopes)
        }
        None => (Vec::new(), Vec::new()),
    };

    Ok(Some(Principal {
        user_id,
        name,
        tenant_id,
        identity_provider,
        roles,
        scopes,
        access_token: bearer_token(headers),
    }))
}

/// The user key. The oid claim is the key, and every oid claim must name the same
/// user; the ID header stands in when there is no claim. Where both are present they
/// must agree: the platform writes both from one token, so a disagreement means one
/// of them did not come from it, and neither is believed.
fn user_id(
    principal: Option<&ClientPrincipal>,
    header_ids: http::header::GetAll<'_, HeaderValue>,
) -> Result<UserId, PrincipalError> {
    let mut claimed = None;
    for oid in principal.into_iter().flat_map(|p| p.values(&OID_CLAIMS)) {
        let oid = UserId::parse(oid).map_err(|_| PrincipalError::InvalidUserId)?;
        match &claimed {
            None => claimed = Some(oid),
            Some(first) if *first == oid => {}
            Some(_) => return Err(PrincipalError::InvalidUserId),
        }
    }
    let mut user_id = claimed;
    for value in header_ids {
        let parsed = value.to_str().ok().map(UserId::parse);
        match (parsed, &user_id) {
            (Some(Ok(id)), None) => user_id = Some(id),
            (Some(Ok(id)), Some(known)) if id == *known => {}
            // Unreadable, or another user than the claim or an earlier header.
            (_, Some(_)) => return Err(PrincipalError::IdMismatch),
            (_, None) => return Err(PrincipalError::InvalidUserId),
        }
    }
    user_id.ok_or(PrincipalError::NoUserId)
}

fn decode(value: &HeaderValue) -> Result<ClientPrincipal, PrincipalError> {
    if value.len() > MAX_PRINCIPAL_HEADER_BYTES {
        return Err(PrincipalError::TooLarge);
    }
    let json = BASE64
        .decode(value.as_bytes().trim_ascii())
        .map_err(|_| PrincipalError::NotBase64)?;
    serde_json::from_slice(&json).map_err(|_| PrincipalError::NotJson)
}

/// A short header's value as text, or `None` when absent, empty, too long or not text.
fn plain_header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .filter(|v| v.len() <= MAX_PLAIN_HEADER_BYTES)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `Authorization: Bearer <token>`: the scheme in any case, a token of visible ASCII.
fn bearer_token(headers: &HeaderMap) -> Option<Secret> {
    let value = headers.get(AUTHORIZATION)?;
    if value.len() > MAX_BEARER_TOKEN_BYTES + "Bearer ".len() {
        tracing::debug!("the Authorization header is too long to be an access token; ignored");
        return None;
    }
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_graphic()))
    .then(|| Secret::new(token))
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    let value = value.trim();
    if !value.is_empty() && !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}
