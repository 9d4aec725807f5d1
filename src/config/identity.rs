//! Who is calling, and how to ask Microsoft Graph about them.
//!
//! Three groups of settings:
//! - Whether the principal headers App Service forwards can be trusted: only when the
//!   platform says built-in authentication is on (`WEBSITE_AUTH_ENABLED`). See
//!   [`crate::identity`] for why.
//! - The on-behalf-of exchange for the Graph profile, from the settings App Service
//!   and our Bicep give the app: the app registration (`WEBSITE_AUTH_CLIENT_ID`, set by
//!   the platform when built-in authentication is configured), its tenant
//!   (`WEBSITE_AUTH_AAD_ALLOWED_TENANTS`), the managed identity that is its credential
//!   (`OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID`) and the token endpoint of that identity
//!   (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`). Missing pieces are not an error: the
//!   exchange is then unavailable and the tool says so (a laptop has none of them).
//! - `SNIPPETS_SCOPE`: one shared snippet collection, or one per signed-in user.

use std::{fmt, time::Duration};

use url::Url;

use super::{ConfigError, Secret, base_url};

/// The identity settings, parsed and validated.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// `WEBSITE_AUTH_ENABLED` is `true` (any case): App Service built-in authentication
    /// is on, so the platform strips client-sent principal headers and sets its own.
    pub trust_principal_headers: bool,
    /// The on-behalf-of exchange, or what is missing for it.
    pub obo: OboSetup,
    /// How long one Graph profile lookup may take in total: managed-identity token,
    /// token exchange and Graph call (`GRAPH_TIMEOUT_SECONDS`).
    pub graph_timeout: Duration,
    /// Where a user grants the app consent to read their profile:
    /// `https://{WEBSITE_HOSTNAME}/.auth/login/aad?post_login_redirect_uri=/authcomplete`.
    /// `None` off Azure, where there is no such page.
    pub consent_url: Option<String>,
}

/// Whether the Graph profile can be looked up.
#[derive(Debug, Clone)]
pub enum OboSetup {
    Ready(Box<OboConfig>),
    /// The settings named here are not set (normal outside App Service).
    Unavailable {
        missing: Vec<&'static str>,
    },
}

/// Everything the on-behalf-of exchange needs.
#[derive(Debug, Clone)]
pub struct OboConfig {
    /// The app registration built-in authentication validates tokens for
    /// (`WEBSITE_AUTH_CLIENT_ID`): the `client_id` of the exchange.
    pub client_id: String,
    /// The tenant whose token endpoint is called for a caller from a tenant not in
    /// the list (or naming none): the first entry of `WEBSITE_AUTH_AAD_ALLOWED_TENANTS`.
    pub tenant: String,
    /// Every entry of `WEBSITE_AUTH_AAD_ALLOWED_TENANTS`, lowercase: tenant ids or
    /// domains. A caller whose tenant id is one of them is exchanged in that tenant
    /// ([`OboConfig::tenant_for`]).
    pub allowed_tenants: Vec<String>,
    /// The user-assigned managed identity whose token is the app registration's client
    /// assertion (`OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID`; the app registration trusts
    /// it through a federated identity credential).
    pub managed_identity_client_id: String,
    /// App Service's local token endpoint (`IDENTITY_ENDPOINT`).
    pub identity_endpoint: Url,
    /// Sent as `X-IDENTITY-HEADER` to the token endpoint (`IDENTITY_HEADER`).
    pub identity_header: Secret,
    /// The audience of the managed-identity token (`TOKEN_EXCHANGE_AUDIENCE`, default
    /// `api://AzureADTokenExchange`; sovereign clouds use their own).
    pub token_exchange_audience: String,
    /// Entra ID's login host (`AZURE_AUTHORITY_HOST`).
    pub authority_host: Url,
    /// Microsoft Graph (`GRAPH_API_BASE_URL`). The delegated scope is
    /// `{this URL}/User.Read`, so a sovereign cloud's Graph gets a token for itself.
    pub graph_base_url: Url,
}

impl OboConfig {
    /// The tenant to exchange a caller's token in: the caller's own (the `tid` of
    /// their principal) when it is one of the allowed tenants, since a guest's or
    /// another allowed tenant's user can only be exchanged in the tenant that issued
    /// their token; else the first allowed tenant.
    pub fn tenant_for(&self, caller_tenant: Option<&str>) -> &str {
        caller_tenant
            .and_then(|tid| {
                self.allowed_tenants
                    .iter()
                    .find(|allowed| allowed.eq_ignore_ascii_case(tid))
            })
            .unwrap_or(&self.tenant)
    }

    /// `{AZURE_AUTHORITY_HOST}/{tenant}/oauth2/v2.0/token`, for a caller from
    /// `caller_tenant` ([`OboConfig::tenant_for`]).
    pub fn token_endpoint(&self, caller_tenant: Option<&str>) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.authority_host.as_str().trim_end_matches('/'),
            self.tenant_for(caller_tenant)
        )
    }

    /// The delegated Graph permission the exchange asks for.
    pub fn graph_scope(&self) -> String {
        format!(
            "{}/User.Read",
            self.graph_base_url.as_str().trim_end_matches('/')
        )
    }

    /// `{GRAPH_API_BASE_URL}/v1.0/me`.
    pub fn graph_me_url(&self) -> String {
        format!(
            "{}/v1.0/me",
            self.graph_base_url.as_str().trim_end_matches('/')
        )
    }
}

/// Whose snippets a caller sees (`SNIPPETS_SCOPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnippetsScope {
    /// One collection every caller shares (`snippets/<name>.json`), as the Azure
    /// Functions MCP extension samples lay it out. The default.
    #[default]
    Shared,
    /// A private collection per signed-in user, under a prefix derived from their
    /// validated object id. Calls without a trusted principal are refused.
    User,
}

pub(crate) const AUTH_ENABLED_VAR: &str = "WEBSITE_AUTH_ENABLED";
const CLIENT_ID_VAR: &str = "WEBSITE_AUTH_CLIENT_ID";
const TENANTS_VAR: &str = "WEBSITE_AUTH_AAD_ALLOWED_TENANTS";
const MI_CLIENT_ID_VAR: &str = "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID";
const IDENTITY_ENDPOINT_VAR: &str = "IDENTITY_ENDPOINT";
const IDENTITY_HEADER_VAR: &str = "IDENTITY_HEADER";
const AUDIENCE_VAR: &str = "TOKEN_EXCHANGE_AUDIENCE";
/// The name Microsoft's custom-handler samples use for the same setting.
const SAMPLES_AUDIENCE_VAR: &str = "TokenExchangeAudience";
const TIMEOUT_VAR: &str = "GRAPH_TIMEOUT_SECONDS";
const SCOPE_VAR: &str = "SNIPPETS_SCOPE";

/// The token-exchange audience of the public cloud.
pub const DEFAULT_TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The default for `GRAPH_TIMEOUT_SECONDS`: three short calls, well within a tool
/// call's patience.
pub const DEFAULT_GRAPH_TIMEOUT: Duration = Duration::from_secs(10);

impl IdentityConfig {
    /// Reads the identity settings; `get` treats empty values as unset.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // Fail closed: anything but `true` means the headers are not the platform's.
        let trust_principal_headers =
            get(AUTH_ENABLED_VAR).is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
        let consent_url = get("WEBSITE_HOSTNAME").map(|host| {
            format!(
                "https://{}/.auth/login/aad?post_login_redirect_uri=/authcomplete",
                host.trim().to_ascii_lowercase()
            )
        });
        Ok(Self {
            trust_principal_headers,
            obo: obo_setup(get)?,
            graph_timeout: graph_timeout(get)?,
            consent_url,
        })
    }
}

impl SnippetsScope {
    /// Reads `SNIPPETS_SCOPE`: `shared` (default) or `user`, in any case.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match get(SCOPE_VAR) {
            None => Ok(Self::Shared),
            Some(value) if value.trim().eq_ignore_ascii_case("shared") => Ok(Self::Shared),
            Some(value) if value.trim().eq_ignore_ascii_case("user") => Ok(Self::User),
            Some(value) => Err(ConfigError::new(
                SCOPE_VAR,
                &value,
                "expected shared (one collection for every caller) or user (a private \
                 collection per signed-in user)",
            )),
        }
    }
}

fn obo_setup(get: &impl Fn(&str) -> Option<String>) -> Result<OboSetup, ConfigError> {
    // Values that are present are validated even when others are missing, so a typo
    // fails start-up rather than hiding behind "unavailable".
    let client_id = get(CLIENT_ID_VAR)
        .map(|v| guid_setting(CLIENT_ID_VAR, &v))
        .transpose()?;
    let tenants = get(TENANTS_VAR).map(|v| allowed_tenants(&v)).transpose()?;
    let managed_identity_client_id = get(MI_CLIENT_ID_VAR)
        .map(|v| guid_setting(MI_CLIENT_ID_VAR, &v))
        .transpose()?;
    let identity_endpoint = get(IDENTITY_ENDPOINT_VAR)
        .map(|v| identity_endpoint(&v))
        .transpose()?;
    let identity_header = get(IDENTITY_HEADER_VAR).map(|v| Secret::new(v.trim()));
    let token_exchange_audience = audience(get)?;
    let authority_host = base_url(
        get,
        "AZURE_AUTHORITY_HOST",
        "https://login.microsoftonline.com",
    )?;
    let graph_base_url = base_url(get, "GRAPH_API_BASE_URL", "https://graph.microsoft.com")?;

    match (
        client_id,
        tenants,
        managed_identity_client_id,
        identity_endpoint,
        identity_header,
    ) {
        (
            Some(client_id),
            Some((tenant, allowed_tenants)),
            Some(managed_identity_client_id),
            Some(identity_endpoint),
            Some(identity_header),
        ) => Ok(OboSetup::Ready(Box::new(OboConfig {
            client_id,
            tenant,
            allowed_tenants,
            managed_identity_client_id,
            identity_endpoint,
            identity_header,
            token_exchange_audience,
            authority_host,
            graph_base_url,
        }))),
        (client_id, tenant, mi, endpoint, header) => {
            let missing = [
                (client_id.is_none(), CLIENT_ID_VAR),
                (tenant.is_none(), TENANTS_VAR),
                (mi.is_none(), MI_CLIENT_ID_VAR),
                (endpoint.is_none(), IDENTITY_ENDPOINT_VAR),
                (header.is_none(), IDENTITY_HEADER_VAR),
            ]
            .into_iter()
            .filter_map(|(absent, name)| absent.then_some(name))
            .collect();
            Ok(OboSetup::Unavailable { missing })
        }
    }
}

/// A client id: a GUID, kept in canonical lowercase form.
fn guid_setting(name: &'static str, value: &str) -> Result<String, ConfigError> {
    canonical_guid(value.trim()).ok_or_else(|| {
        ConfigError::new(
            name,
            value,
            "expected a client id (a GUID such as 00000000-0000-0000-0000-000000000000)",
        )
    })
}

/// `WEBSITE_AUTH_AAD_ALLOWED_TENANTS`: the first entry (the default tenant) and
/// every entry, tenant ids or domains, lowercase. Any of them can become a path
/// segment of the token endpoint, so each may hold only letters, digits, `.` and `-`.
fn allowed_tenants(value: &str) -> Result<(String, Vec<String>), ConfigError> {
    let tenants: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let valid = |tenant: &String| {
        tenant.len() <= 256
            && tenant
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    match tenants.first() {
        Some(first) if tenants.iter().all(valid) => Ok((first.clone(), tenants)),
        _ => Err(ConfigError::new(
            TENANTS_VAR,
            value,
            "expected a comma-separated list of tenant ids or domains (e.g. \
             contoso.onmicrosoft.com); a caller from one of them is exchanged there, \
             anyone else in the first",
        )),
    }
}

fn identity_endpoint(value: &str) -> Result<Url, ConfigError> {
    Url::parse(value.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
        .ok_or_else(|| {
            ConfigError::new(
                IDENTITY_ENDPOINT_VAR,
                value,
                "expected the managed-identity token URL App Service sets, e.g. \
                 http://localhost:4141/msi/token",
            )
        })
}

/// `TOKEN_EXCHANGE_AUDIENCE`, else the samples' `TokenExchangeAudience`, else the
/// public cloud's. It is sent as a query value and becomes `{audience}/.default`, so
/// whitespace is refused.
fn audience(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let (name, value) = match (get(AUDIENCE_VAR), get(SAMPLES_AUDIENCE_VAR)) {
        (Some(value), _) => (AUDIENCE_VAR, value),
        (None, Some(value)) => (SAMPLES_AUDIENCE_VAR, value),
        (None, None) => return Ok(DEFAULT_TOKEN_EXCHANGE_AUDIENCE.to_owned()),
    };
    let audience = value.trim().trim_end_matches('/');
    let valid = !audience.is_empty()
        && audience.len() <= 512
        && audience.contains(':')
        && audience.chars().all(|c| c.is_ascii_graphic());
    if valid {
        Ok(audience.to_owned())
    } else {
        Err(ConfigError::new(
            name,
            &value,
            "expected a token-exchange audience URI such as api://AzureADTokenExchange",
        ))
    }
}

fn graph_timeout(get: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    super::seconds(get, TIMEOUT_VAR, DEFAULT_GRAPH_TIMEOUT, 60.0)
}

/// One line for the start-up log. Names settings, never secrets.
impl fmt::Display for IdentityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.trust_principal_headers {
            f.write_str("principal headers trusted (built-in authentication is on)")?;
        } else {
            f.write_str(
                "principal headers ignored (built-in authentication is off: \
                 WEBSITE_AUTH_ENABLED is not true)",
            )?;
        }
        match &self.obo {
            OboSetup::Ready(obo) => write!(
                f,
                "; Graph profile through on-behalf-of for app {} in tenant {}",
                obo.client_id, obo.tenant
            ),
            OboSetup::Unavailable { missing } => write!(
                f,
                "; Graph profile unavailable (not set: {})",
                missing.join(", ")
            ),
        }
    }
}

impl fmt::Display for SnippetsScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Shared => "shared",
            Self::User => "user",
        })
    }
}

/// The lowercase form of a hyphenated GUID, or `None` if `value` is not one: the
/// form of client, tenant and user object ids, in settings and in principals alike.
pub(crate) fn canonical_guid(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let well_formed = bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    well_formed.then(|| value.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
