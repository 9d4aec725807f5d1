//! Azure Blob Storage through object_store: building the client from our settings,
//! a listing page, and the calls object_store lacks: creating the container, and a
//! delete conditional on the blob's version.

use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::{
    BackoffConfig, ClientOptions, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
    azure::{AzureAuthorizer, MicrosoftAzure, MicrosoftAzureBuilder, split_sas},
    client::{HttpConnector, HttpRequestBody, HttpResponse, ReqwestConnector},
    path::Path,
};

use super::SnippetName;
use crate::config::{AzureCredentials, AzureStorage};

/// Bounded retries for transient failures (5xx, 429, connection errors): a tool call
/// should fail with a clear message within seconds, not object_store's default of
/// ten retries over three minutes.
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: Duration::from_secs(15),
    }
}

fn client_options(config: &AzureStorage) -> ClientOptions {
    ClientOptions::new()
        // http only when the settings say so (Azurite, a local stand-in).
        .with_allow_http(config.endpoint.starts_with("http://"))
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(20))
}

/// Builds the client. Cheap and offline: nothing is sent until the first request.
pub(super) fn build(config: &AzureStorage) -> object_store::Result<MicrosoftAzure> {
    let builder = MicrosoftAzureBuilder::new()
        .with_account(&config.account)
        .with_container_name(&config.container)
        .with_endpoint(config.endpoint.clone())
        .with_retry(retry_config())
        .with_client_options(client_options(config));
    // The credential type is forced so `AZURE_*` variables in the environment
    // cannot silently pick another one.
    let builder = match &config.credential {
        AzureCredentials::AccessKey(key) => builder
            .with_access_key(key.expose())
            .with_credential_type("access_key"),
        AzureCredentials::Sas(sas) => builder
            .with_sas_authorization(split_sas(sas.expose())?)
            .with_credential_type("sas_token"),
        AzureCredentials::ManagedIdentity {
            client_id,
            endpoint,
        } => {
            let mut builder = builder.with_credential_type("managed_identity");
            if let Some(client_id) = client_id {
                builder = builder.with_client_id(client_id);
            }
            // `MicrosoftAzureBuilder::new()` does not read IDENTITY_ENDPOINT; without
            // it the token request goes to the VM metadata address, which Functions
            // does not serve. IDENTITY_HEADER is read by object_store per request.
            if let Some(endpoint) = endpoint {
                builder = builder.with_msi_endpoint(endpoint);
            }
            builder
        }
        AzureCredentials::AzureCli => builder
            .with_use_azure_cli(true)
            .with_credential_type("azure_cli"),
    };
    builder.build()
}

/// Creates the container (`PUT ?restype=container`), signed with the store's own
/// credential. "Already exists" (409) counts as success: another instance won the race.
pub(super) async fn create_container(
    store: &MicrosoftAzure,
    config: &AzureStorage,
) -> object_store::Result<()> {
    let url = format!("{}/{}?restype=container", config.endpoint, config.container);
    let response = send_signed(
        store,
        config,
        http::Request::builder().method(http::Method::PUT).uri(&url),
    )
    .await?;
    let status = response.status();
    if status == http::StatusCode::CREATED || status == http::StatusCode::CONFLICT {
        tracing::info!(container = %config.container, "created the snippet container");
        return Ok(());
    }
    // Worded like object_store's own errors ("status code: 403 Forbidden"), so the
    // caller's text can name the status and code (see `error::storage_failure`).
    let code = error_code(&response)
        .map(|code| format!(", error code: {code}"))
        .unwrap_or_default();
    Err(generic(format!(
        "the container {:?} does not exist, and creating it was refused (status code: \
         {status}{code})",
        config.container
    )))
}

/// Sends a bodiless request that object_store has no call for, signed with the store's
/// own credential, through a client with the store's options.
async fn send_signed(
    store: &MicrosoftAzure,
    config: &AzureStorage,
    request: http::request::Builder,
) -> object_store::Result<HttpResponse> {
    let credential = store.credentials().get_credential().await?;
    let mut request = request
        .header(http::header::CONTENT_LENGTH, "0")
        .body(HttpRequestBody::empty())
        .map_err(generic)?;
    AzureAuthorizer::new(&credential, &config.account).try_authorize(&mut request)?;
    let client = ReqwestConnector::default().connect(&client_options(config))?;
    client.execute(request).await.map_err(generic)
}

/// Blob Storage's own error code (`x-ms-error-code`), when the answer names one.
fn error_code(response: &HttpResponse) -> Option<&str> {
    response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
}

fn generic(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> object_store::Error {
    object_store::Error::Generic {
        store: "MicrosoftAzure",
        source: source.into(),
    }
}

/// Deletes the blob at `path` only if it is still `e_tag` (`If-Match`), which
/// object_store cannot do: its deletes go through the batch API without conditions.
/// A different version is `Precondition`, a missing blob (or container) `NotFound`,
/// as for object_store's own calls.
pub(super) async fn delete_if_match(
    store: &MicrosoftAzure,
    config: &AzureStorage,
    path: &Path,
    e_tag: &str,
) -> object_store::Result<()> {
    // Snippet paths are names and user ids only: nothing to percent-encode.
    let url = format!("{}/{}/{}", config.endpoint, config.container, path);
    let request = http::Request::builder()
        .method(http::Method::DELETE)
        .uri(&url)
        .header(http::header::IF_MATCH, e_tag);
    let response = send_signed(store, config, request).await?;
    let status = response.status();
    let code = || error_code(&response).unwrap_or("no error code").to_owned();
    match status {
        http::StatusCode::ACCEPTED | http::StatusCode::OK => Ok(()),
        // Azurite answers 412, not 404, for a blob that is gone: tell them apart.
        http::StatusCode::PRECONDITION_FAILED => match store.head(path).await {
            Err(e @ object_store::Error::NotFound { .. }) => Err(e),
            _ => Err(object_store::Error::Precondition {
                path: path.to_string(),
                source: code().into(),
            }),
        },
        http::StatusCode::NOT_FOUND => Err(object_store::Error::NotFound {
            path: path.to_string(),
            source: code().into(),
        }),
        _ => Err(generic(format!(
            "deleting the snippet was refused: {status} {}",
            code()
        ))),
    }
}

/// One page of `folder`'s snippets in Blob Storage's order (see
/// [`super::backend::Backend::page`]): the listing starts after `start_after` and stops
/// at the first name past `prefix`, or once `limit + 1` snippets are read. The
/// shared collection is the container's root, whose listing also walks users'
/// folders; their blobs are skipped.
pub(super) async fn page(
    store: &MicrosoftAzure,
    folder: &Path,
    prefix: &str,
    start_after: &str,
    limit: usize,
) -> object_store::Result<Vec<(SnippetName, ObjectMeta)>> {
    let folder_prefix = if folder.as_ref().is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let list_prefix = (!folder.as_ref().is_empty()).then_some(folder);
    let mut listing = if start_after.is_empty() {
        store.list(list_prefix)
    } else {
        let offset = Path::from(format!("{folder_prefix}{start_after}"));
        store.list_with_offset(list_prefix, &offset)
    };
    let mut page = Vec::new();
    while page.len() <= limit {
        let meta = match listing.try_next().await {
            Ok(Some(meta)) => meta,
            Ok(None) => break,
            // A missing container means no snippets yet.
            Err(e) if super::error::container_missing(&e) => break,
            Err(e) => return Err(e),
        };
        let Some(object) = meta.location.as_ref().strip_prefix(&folder_prefix) else {
            continue;
        };
        // Azurite ignores `startFrom` and lists from the start.
        if object <= start_after {
            continue;
        }
        if !object.starts_with(prefix) {
            break;
        }
        if object.contains('/') {
            continue;
        }
        if let Some(name) = SnippetName::from_object_name(object) {
            page.push((name, meta));
        }
    }
    Ok(page)
}
