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

mod entra;
mod error;

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use reqwest::{Client, Response, StatusCode, header};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use error::ProfileError;

use super::principal::Caller;
use crate::{
    config::{IdentityConfig, OboConfig, OboSetup},
    fault,
    secret::Secret,
    upstream::{BodyError, ClientOptions, LazyClient, Transport, read_capped},
};
use entra::{EntraError, aadsts, is_code_name};

/// The profile fields the tool reports, as Graph names them.
const SELECT: &str = "displayName,mail,userPrincipalName,jobTitle,officeLocation";
/// Token and profile answers are a few KiB; anything much larger is not one.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// A cached managed-identity token is replaced this long before it expires, so it
/// never expires between the cache check and Entra ID reading it.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

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

/// Looks up Graph profiles. One per process: it holds the HTTP client and the cached
/// managed-identity token.
#[derive(Debug)]
pub(crate) struct ProfileClient {
    setup: OboSetup,
    timeout: Duration,
    consent_url: Option<String>,
    client: LazyClient,
    assertion: tokio::sync::Mutex<Option<CachedToken>>,
}

#[derive(Debug)]
struct CachedToken {
    token: Secret,
    refresh_at: SystemTime,
}

impl ProfileClient {
    /// Cheap and offline: nothing is sent, and the HTTP client is built on first use.
    pub(crate) fn new(config: &IdentityConfig) -> Self {
        Self {
            setup: config.obo.clone(),
            timeout: config.graph_timeout,
            consent_url: config.consent_url.clone(),
            // The default options: no redirect is followed (never with a token on
            // board), and the lookup has its own deadline rather than a per-request one.
            client: LazyClient::new(config.user_agent.clone(), ClientOptions::default()),
            assertion: tokio::sync::Mutex::new(None),
        }
    }

    /// The caller's Graph profile, within the configured deadline
    /// (`GRAPH_TIMEOUT_SECONDS`) for all three calls together.
    pub(crate) async fn profile(&self, caller: &Caller) -> Result<GraphProfile, ProfileError> {
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
            // The cached managed-identity token expired under us: one retry with a
            // fresh one.
            Err(ProfileError::AppCredentialRejected {
                code: Some(aadsts::CLIENT_ASSERTION_EXPIRED),
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
            .get()
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
        Err(error.classify(status, self.consent_url.as_deref()))
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

/// What went wrong on the wire, for the caller: without the URL or the system's
/// words. The whole error goes to the log (inside the tool's span, so with the
/// invocation id the caller is given); its URLs carry no secret (the identity
/// header and the tokens travel in headers and the form body).
fn transport_error(error: &reqwest::Error) -> String {
    tracing::warn!(error = %fault::chain(error), "a request for the Graph profile failed");
    Transport::of(error).describe().to_owned()
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`].
async fn read_json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, String> {
    let body = read_capped(response, MAX_BODY_BYTES)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge { max_bytes } => format!("larger than {} KiB", max_bytes / 1024),
            BodyError::Transport(_) => "the answer was cut off".to_owned(),
        })?;
    serde_json::from_slice(&body).map_err(|_| "not the expected JSON".to_owned())
}
