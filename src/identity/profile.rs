//! The signed-in user's Microsoft Graph profile, through the on-behalf-of flow the
//! Microsoft custom-handler samples use (Azure-Samples/mcp-sdk-functions-hosting-node,
//! `src/server.ts`), over plain HTTP:
//!
//! 1. The app's managed identity gets a token for the token-exchange audience from App
//!    Service (`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…&client_id=…`
//!    with `X-IDENTITY-HEADER`). The app registration trusts that identity through a
//!    federated identity credential, so this token is its client assertion: no secret
//!    is stored anywhere. It is cached until five minutes before it expires.
//! 2. Entra ID exchanges the caller's own bearer token (issued for this app) for a
//!    Graph token with the delegated `User.Read` permission (`POST
//!    {AZURE_AUTHORITY_HOST}/{tenant}/oauth2/v2.0/token`, `grant_type=jwt-bearer`,
//!    `requested_token_use=on_behalf_of`).
//! 3. `GET {GRAPH_API_BASE_URL}/v1.0/me` with that token, asking only for the five
//!    fields the tool reports.
//!
//! Why not object_store's managed-identity client, which the snippet storage already
//! has: it is crate-private and hard-wired to the storage resource
//! (`https://storage.azure.com`), so it cannot mint a token for another audience. What
//! is shared is the setting (`IDENTITY_ENDPOINT`, parsed once in [`crate::config`]),
//! the request shape (api-version 2019-08-01, `client_id`, `X-IDENTITY-HEADER`) and
//! the [`Secret`] wrapper. The Azure SDK's identity crate would do it, at the cost of a
//! second HTTP stack and a larger binary for one GET.
//!
//! Every failure becomes a [`ProfileError`] whose text tells the model what the user
//! can do. Tokens never reach a log line or an error text: Entra ID and Graph error
//! bodies are reduced to their error code fields, and their descriptions (which can
//! quote user names) are not repeated.

use std::{
    fmt,
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use reqwest::{Client, Response, StatusCode, header};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::principal::Caller;
use crate::{
    config::{IdentityConfig, OboConfig, OboSetup, Secret},
    fault::{self, Fault},
};

/// The profile fields the tool reports, as Graph names them.
const SELECT: &str = "displayName,mail,userPrincipalName,jobTitle,officeLocation";
/// Token and profile answers are a few KiB; anything much larger is not one.
const MAX_BODY_BYTES: usize = 64 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A cached managed-identity token is replaced this long before it expires, so it
/// never expires between the cache check and Entra ID reading it.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// AADSTS700024: "Client assertion is not within its valid time range": our cached
/// managed-identity token expired under us. One retry with a fresh one.
const CLIENT_ASSERTION_EXPIRED: u64 = 700_024;

/// A user's Microsoft Graph profile (the fields of `GET /me` the tool reports).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphProfile {
    /// The name shown in Microsoft 365, e.g. "Adele Vance".
    pub display_name: Option<String>,
    /// The user's primary e-mail address, if they have a mailbox.
    pub mail: Option<String>,
    /// The sign-in name, e.g. "AdeleV@contoso.com".
    pub user_principal_name: Option<String>,
    pub job_title: Option<String>,
    pub office_location: Option<String>,
}

/// Only which fields are present: the values are personal data.
impl fmt::Debug for GraphProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = |v: &Option<String>| if v.is_some() { "<set>" } else { "<none>" };
        f.debug_struct("GraphProfile")
            .field("display_name", &present(&self.display_name))
            .field("mail", &present(&self.mail))
            .field("user_principal_name", &present(&self.user_principal_name))
            .field("job_title", &present(&self.job_title))
            .field("office_location", &present(&self.office_location))
            .finish()
    }
}

/// Why the profile could not be read. `Display` is a sentence for the model: what
/// happened and what the user (or the operator) can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("The Microsoft Graph profile needs a signed-in user, and this caller is anonymous.")]
    NotSignedIn,
    #[error(
        "The Microsoft Graph profile is not available on this server: it needs App \
         Service built-in authentication with a managed identity, and these settings are \
         not set: {}.", missing.join(", ")
    )]
    NotConfigured { missing: Vec<&'static str> },
    #[error(
        "The request carried no bearer token to exchange for a Microsoft Graph token (a \
         browser session is not enough). Connect with an MCP client that signs in with \
         Microsoft Entra ID and sends its token."
    )]
    NoUserToken,
    #[error("{}", consent_text(consent_url.as_deref()))]
    ConsentRequired { consent_url: Option<String> },
    #[error(
        "Microsoft Entra ID requires another sign-in step (such as multifactor \
         authentication or a Conditional Access policy) before this app may read your \
         profile{}. {}", code_suffix(*code), sign_in_again(consent_url.as_deref())
    )]
    InteractionRequired {
        code: Option<u64>,
        consent_url: Option<String>,
    },
    #[error(
        "Microsoft Entra ID refused your sign-in token for the exchange: it has expired \
         or was not issued for this app{}. Sign in again (reconnect this MCP server in \
         your client) and retry.", code_suffix(*code)
    )]
    UserTokenRejected { code: Option<u64> },
    #[error(
        "Microsoft Entra ID refused this server's own credential (its managed identity \
         as a federated credential of the app registration){}. This is a deployment \
         problem the server's operator must fix; retrying will not help.", code_suffix(*code)
    )]
    AppCredentialRejected { code: Option<u64> },
    #[error(
        "The server's managed identity could not get a token ({detail}). This is a \
         deployment problem the server's operator must fix."
    )]
    ManagedIdentity { detail: String },
    #[error(
        "Microsoft Entra ID is not answering the token exchange right now ({detail}). \
         Try again in a minute."
    )]
    EntraUnavailable { detail: String },
    #[error("The token exchange with Microsoft Entra ID failed ({detail}).")]
    ExchangeFailed { detail: String },
    #[error("Microsoft Graph refused the exchanged token ({detail}). Sign in again and retry.")]
    GraphRejected { detail: String },
    #[error("Microsoft Graph is not answering right now ({detail}). Try again in a minute.")]
    GraphUnavailable { detail: String },
    #[error("Microsoft Graph answered with an error ({detail}).")]
    GraphFailed { detail: String },
    #[error(
        "Looking up the Microsoft Graph profile took longer than {} seconds and was \
         abandoned. Try again in a minute.", limit.as_secs_f64()
    )]
    Timeout { limit: Duration },
}

/// Already quiet: status codes and error names only, never an endpoint, a token or
/// a service's description (which can quote names), so the log line holds the same
/// text after the kind. What went wrong on the wire is logged where it happens
/// ([`transport_error`]).
impl Fault for ProfileError {
    fn detail(&self) -> String {
        format!("{}: {self}", self.kind())
    }
}

fn consent_text(consent_url: Option<&str>) -> String {
    let how = match consent_url {
        Some(url) => format!(
            "Open {url} in a browser, sign in and accept the permissions, then call this \
             tool again."
        ),
        None => "Ask an administrator to grant consent to the app registration for \
                 Microsoft Graph User.Read."
            .to_owned(),
    };
    format!(
        "You are signed in, but you have not yet allowed this app to read your Microsoft \
         Graph profile (consent is missing, Entra ID error AADSTS65001). {how}"
    )
}

fn sign_in_again(consent_url: Option<&str>) -> String {
    match consent_url {
        Some(url) => format!("Open {url} in a browser, complete the sign-in, then retry."),
        None => "Sign in again in a browser, then retry.".to_owned(),
    }
}

fn code_suffix(code: Option<u64>) -> String {
    code.map(|c| format!(" (Entra ID error AADSTS{c})"))
        .unwrap_or_default()
}

impl ProfileError {
    /// A short, stable name for log lines and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotSignedIn => "not_signed_in",
            Self::NotConfigured { .. } => "not_configured",
            Self::NoUserToken => "no_user_token",
            Self::ConsentRequired { .. } => "consent_required",
            Self::InteractionRequired { .. } => "interaction_required",
            Self::UserTokenRejected { .. } => "user_token_rejected",
            Self::AppCredentialRejected { .. } => "app_credential_rejected",
            Self::ManagedIdentity { .. } => "managed_identity",
            Self::EntraUnavailable { .. } => "entra_unavailable",
            Self::ExchangeFailed { .. } => "exchange_failed",
            Self::GraphRejected { .. } => "graph_rejected",
            Self::GraphUnavailable { .. } => "graph_unavailable",
            Self::GraphFailed { .. } => "graph_failed",
            Self::Timeout { .. } => "timeout",
        }
    }
}

/// Looks up Graph profiles. One per process: it holds the HTTP client and the cached
/// managed-identity token.
#[derive(Debug)]
pub struct ProfileClient {
    setup: OboSetup,
    timeout: Duration,
    consent_url: Option<String>,
    client: OnceLock<Result<Client, String>>,
    assertion: tokio::sync::Mutex<Option<CachedToken>>,
}

#[derive(Debug)]
struct CachedToken {
    token: Secret,
    refresh_at: SystemTime,
}

impl ProfileClient {
    /// Cheap and offline: nothing is sent, and the HTTP client is built on first use.
    pub fn new(config: &IdentityConfig) -> Self {
        Self {
            setup: config.obo.clone(),
            timeout: config.graph_timeout,
            consent_url: config.consent_url.clone(),
            client: OnceLock::new(),
            assertion: tokio::sync::Mutex::new(None),
        }
    }

    /// The caller's Graph profile, within the configured deadline
    /// (`GRAPH_TIMEOUT_SECONDS`) for all three calls together.
    pub async fn profile(&self, caller: &Caller) -> Result<GraphProfile, ProfileError> {
        let Some(principal) = caller.principal() else {
            return Err(ProfileError::NotSignedIn);
        };
        let obo = match &self.setup {
            OboSetup::Ready(obo) => obo,
            OboSetup::Unavailable { missing } => {
                return Err(ProfileError::NotConfigured {
                    missing: missing.clone(),
                });
            }
        };
        let Some(user_token) = &principal.access_token else {
            return Err(ProfileError::NoUserToken);
        };
        let lookup = self.lookup(obo, principal.tenant_id.as_deref(), user_token);
        let result = match tokio::time::timeout(self.timeout, lookup).await {
            Ok(result) => result,
            Err(_) => Err(ProfileError::Timeout {
                limit: self.timeout,
            }),
        };
        // A failure's error line is the tool's ([`crate::fault::report`]); this one
        // adds whose lookup it was.
        match &result {
            Ok(_) => tracing::debug!(user_id = %principal.user_id, "read the Graph profile"),
            Err(error) => tracing::debug!(
                user_id = %principal.user_id,
                reason = error.kind(),
                "could not read the Graph profile"
            ),
        }
        result
    }

    /// The three calls. `tenant` is the caller's (`tid`), which picks the tenant of
    /// the exchange ([`OboConfig::tenant_for`]).
    async fn lookup(
        &self,
        obo: &OboConfig,
        tenant: Option<&str>,
        user_token: &Secret,
    ) -> Result<GraphProfile, ProfileError> {
        let client = self.client()?;
        let assertion = self.assertion(client, obo).await?;
        let graph_token = match self
            .exchange(client, obo, tenant, &assertion, user_token)
            .await
        {
            Err(ProfileError::AppCredentialRejected {
                code: Some(CLIENT_ASSERTION_EXPIRED),
            }) => {
                tracing::debug!(
                    "the cached managed-identity token was refused as expired; renewing it"
                );
                *self.assertion.lock().await = None;
                let assertion = self.assertion(client, obo).await?;
                self.exchange(client, obo, tenant, &assertion, user_token)
                    .await?
            }
            other => other?,
        };
        self.me(client, obo, &graph_token).await
    }

    fn client(&self) -> Result<&Client, ProfileError> {
        self.client
            .get_or_init(|| {
                Client::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    // Never follow a redirect with a token on board.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!(
                        env!("CARGO_PKG_NAME"),
                        "/",
                        env!("CARGO_PKG_VERSION")
                    ))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| ProfileError::ManagedIdentity {
                detail: format!("the HTTP client could not be built: {e}"),
            })
    }

    /// The managed-identity token for the token-exchange audience, cached.
    async fn assertion(&self, client: &Client, obo: &OboConfig) -> Result<Secret, ProfileError> {
        let mut cached = self.assertion.lock().await;
        if let Some(token) = cached.as_ref()
            && SystemTime::now() < token.refresh_at
        {
            return Ok(token.token.clone());
        }
        let mut url = obo.identity_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("api-version", "2019-08-01")
            .append_pair("resource", &obo.token_exchange_audience)
            .append_pair("client_id", &obo.managed_identity_client_id);
        tracing::debug!(audience = %obo.token_exchange_audience, "requesting a managed-identity token");
        let fail = |detail: String| ProfileError::ManagedIdentity { detail };
        let response = client
            .get(url)
            .header("X-IDENTITY-HEADER", obo.identity_header.expose())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fail(transport_error(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("HTTP {}", status.as_u16())));
        }
        let body: ManagedIdentityToken = read_json(response)
            .await
            .map_err(|e| fail(format!("unreadable answer: {e}")))?;
        let token = Secret::new(body.access_token);
        // Cached only with a usable expiry that is not already close.
        *cached = body
            .expires_on
            .as_ref()
            .and_then(Timestamp::to_system_time)
            .and_then(|expires| expires.checked_sub(REFRESH_MARGIN))
            .filter(|refresh_at| SystemTime::now() < *refresh_at)
            .map(|refresh_at| CachedToken {
                token: token.clone(),
                refresh_at,
            });
        Ok(token)
    }

    /// The on-behalf-of exchange: the caller's token for a delegated Graph token, in
    /// the caller's `tenant` when it is an allowed one.
    async fn exchange(
        &self,
        client: &Client,
        obo: &OboConfig,
        tenant: Option<&str>,
        assertion: &Secret,
        user_token: &Secret,
    ) -> Result<Secret, ProfileError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &obo.client_id)
            .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
            .append_pair("client_assertion", assertion.expose())
            .append_pair("grant_type", JWT_BEARER)
            .append_pair("assertion", user_token.expose())
            .append_pair("requested_token_use", "on_behalf_of")
            .append_pair("scope", &obo.graph_scope())
            .finish();
        tracing::debug!(tenant = %obo.tenant_for(tenant), scope = %obo.graph_scope(), "exchanging the caller's token (on-behalf-of)");
        let response = client
            .post(obo.token_endpoint(tenant))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(form)
            .send()
            .await
            .map_err(|e| ProfileError::EntraUnavailable {
                detail: transport_error(&e),
            })?;
        let status = response.status();
        if status.is_success() {
            let body: TokenResponse =
                read_json(response)
                    .await
                    .map_err(|e| ProfileError::ExchangeFailed {
                        detail: format!("unreadable answer: {e}"),
                    })?;
            return Ok(Secret::new(body.access_token));
        }
        let error: EntraError = read_json(response).await.unwrap_or_default();
        Err(self.classify_exchange_error(status, &error))
    }

    fn classify_exchange_error(&self, status: StatusCode, error: &EntraError) -> ProfileError {
        let code = error.code();
        let name = error.error.as_deref().filter(|e| is_code_name(e));
        let has = |c: u64| error.error_codes.contains(&c) || code == Some(c);
        let named = |n: &str| name == Some(n) || error.suberror.as_deref() == Some(n);
        let detail = || {
            let mut parts = vec![format!("HTTP {}", status.as_u16())];
            parts.extend(name.map(str::to_owned));
            parts.extend(code.map(|c| format!("AADSTS{c}")));
            parts.join(", ")
        };
        if has(65_001) || named("consent_required") {
            ProfileError::ConsentRequired {
                consent_url: self.consent_url.clone(),
            }
        } else if named("interaction_required")
            || [50_076, 50_079, 50_074, 50_158, 53_003]
                .into_iter()
                .any(has)
        {
            ProfileError::InteractionRequired {
                code,
                consent_url: self.consent_url.clone(),
            }
        } else if name == Some("invalid_client")
            || [
                700_024, 7_000_215, 700_016, 70_021, 700_211, 700_212, 700_213,
            ]
            .into_iter()
            .any(has)
        {
            ProfileError::AppCredentialRejected { code }
        } else if name == Some("invalid_grant") {
            // AADSTS500133 (expired), 50013 (bad signature or audience), 50173, ...
            ProfileError::UserTokenRejected { code }
        } else if status.is_server_error()
            || matches!(name, Some("temporarily_unavailable" | "server_error"))
        {
            ProfileError::EntraUnavailable { detail: detail() }
        } else {
            ProfileError::ExchangeFailed { detail: detail() }
        }
    }

    /// `GET /v1.0/me` with the delegated token.
    async fn me(
        &self,
        client: &Client,
        obo: &OboConfig,
        graph_token: &Secret,
    ) -> Result<GraphProfile, ProfileError> {
        let response = client
            .get(format!("{}?$select={SELECT}", obo.graph_me_url()))
            .bearer_auth(graph_token.expose())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| ProfileError::GraphUnavailable {
                detail: transport_error(&e),
            })?;
        let status = response.status();
        if status.is_success() {
            return read_json(response)
                .await
                .map_err(|e| ProfileError::GraphFailed {
                    detail: format!("unreadable profile: {e}"),
                });
        }
        let error: GraphErrorBody = read_json(response).await.unwrap_or_default();
        let mut detail = format!("HTTP {}", status.as_u16());
        if let Some(code) = error.error.code.as_deref().filter(|c| is_code_name(c)) {
            detail.push_str(", ");
            detail.push_str(code);
        }
        Err(match status {
            StatusCode::UNAUTHORIZED => ProfileError::GraphRejected { detail },
            StatusCode::TOO_MANY_REQUESTS => ProfileError::GraphUnavailable { detail },
            s if s.is_server_error() => ProfileError::GraphUnavailable { detail },
            _ => ProfileError::GraphFailed { detail },
        })
    }
}

/// App Service's managed-identity answer (only what is used).
#[derive(Deserialize)]
struct ManagedIdentityToken {
    access_token: String,
    #[serde(default)]
    expires_on: Option<Timestamp>,
}

/// `expires_on`: seconds since the Unix epoch, as a string (2019-08-01) or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Timestamp {
    Number(u64),
    Text(String),
}

impl Timestamp {
    fn to_system_time(&self) -> Option<SystemTime> {
        let seconds = match self {
            Self::Number(n) => *n,
            Self::Text(text) => text.trim().parse().ok()?,
        };
        UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

/// The fields of an Entra ID error answer that are safe to act on: names and numbers.
/// `error_description` is read only for its leading `AADSTS<n>` code.
#[derive(Default, Deserialize)]
struct EntraError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_codes: Vec<u64>,
    #[serde(default)]
    suberror: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl EntraError {
    fn code(&self) -> Option<u64> {
        self.error_codes.first().copied().or_else(|| {
            let description = self.error_description.as_deref()?;
            let digits: String = description
                .strip_prefix("AADSTS")?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
    }
}

#[derive(Default, Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    error: GraphError,
}

#[derive(Default, Deserialize)]
struct GraphError {
    #[serde(default)]
    code: Option<String>,
}

/// Error names worth repeating: short identifiers, nothing a service could smuggle
/// text (or a token) through.
fn is_code_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// What went wrong on the wire, for the caller: without the URL or the system's
/// words. The whole error goes to the log (inside the tool's span, so with the
/// invocation id the caller is given); its URLs carry no secret (the identity
/// header and the tokens travel in headers and the form body).
fn transport_error(error: &reqwest::Error) -> String {
    tracing::warn!(error = %fault::chain(error), "a request for the Graph profile failed");
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed".to_owned()
    }
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`].
async fn read_json<T: serde::de::DeserializeOwned>(mut response: Response) -> Result<T, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "the answer was cut off".to_owned())?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("larger than {} KiB", MAX_BODY_BYTES / 1024));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|_| "not the expected JSON".to_owned())
}
