//! Where snippets are stored, chosen from the same settings the Functions host uses
//! for its own storage (`AzureWebJobsStorage`), so one deployment configures both.
//!
//! Order of precedence:
//! 1. `AzureWebJobsStorage` as a connection string (Azurite or a key/SAS account).
//! 2. Identity-based `AzureWebJobsStorage__blobServiceUri` / `__accountName`, as our
//!    Bicep deploys it on Flex Consumption with shared keys disabled.
//! 3. A local directory (`SNIPPETS_DIR`, default `.snippets` under the working
//!    directory), so `cargo run` needs no Azure. Except on Azure (`WEBSITE_INSTANCE_ID`
//!    set) without an explicit `SNIPPETS_DIR`: an instance's disk is wiped on scale-in,
//!    so the tools refuse with a configuration error instead of losing data.

mod connection_string;

use std::{fmt, path::PathBuf};

use super::{
    ConfigError, Secret,
    platform::{INSTANCE_ID_VAR, Platform},
};

/// The snippet storage backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// A local directory: the embedded default, so `cargo run` needs no Azure.
    Local { dir: PathBuf },
    /// Azure Blob Storage (or Azurite).
    Azure(AzureStorage),
    /// Running on Azure with no storage configured: the tools answer this error.
    Missing { reason: String },
}

/// An Azure Blob Storage account and container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureStorage {
    /// The blob service URL without a trailing `/`, e.g.
    /// `https://acct.blob.core.windows.net` or `http://127.0.0.1:10000/devstoreaccount1`.
    pub endpoint: String,
    /// The account name (used to sign shared-key requests).
    pub account: String,
    /// The container snippets live in (`SNIPPETS_CONTAINER`).
    pub container: String,
    pub credential: AzureCredentials,
    /// The setting the account came from, for the start-up log line.
    pub source: &'static str,
}

/// How requests to Blob Storage are authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AzureCredentials {
    /// The account key from a connection string (Azurite's well-known key included).
    AccessKey(Secret),
    /// A shared access signature from a connection string.
    Sas(Secret),
    /// A managed identity. On App Service and Functions the token comes from
    /// `IDENTITY_ENDPOINT` (with `IDENTITY_HEADER`); elsewhere from the VM metadata
    /// endpoint (`endpoint: None`).
    ManagedIdentity {
        client_id: Option<String>,
        endpoint: Option<String>,
    },
    /// `az login` on a developer machine (`az account get-access-token`).
    AzureCli,
}

pub(crate) const CONNECTION_STRING_VAR: &str = "AzureWebJobsStorage";
const BLOB_SERVICE_URI_VAR: &str = "AzureWebJobsStorage__blobServiceUri";
const ACCOUNT_NAME_VAR: &str = "AzureWebJobsStorage__accountName";
const CREDENTIAL_VAR: &str = "AzureWebJobsStorage__credential";
const CLIENT_ID_VAR: &str = "AzureWebJobsStorage__clientId";
const CONTAINER_VAR: &str = "SNIPPETS_CONTAINER";
/// The container the Azure Functions MCP extension samples use.
pub(crate) const DEFAULT_CONTAINER: &str = "snippets";

impl StorageConfig {
    /// Reads the storage settings, given the platform's, already read.
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        platform: &Platform,
    ) -> Result<Self, ConfigError> {
        let container = container(get)?;
        if let Some(value) = get(CONNECTION_STRING_VAR) {
            return connection_string::parse(&value, container).map(Self::Azure);
        }
        if let Some(azure) = identity_based(get, platform, &container)? {
            return Ok(Self::Azure(azure));
        }
        if let Some(dir) = get("SNIPPETS_DIR") {
            return Ok(Self::Local {
                dir: PathBuf::from(dir.trim()),
            });
        }
        if platform.on_azure {
            return Ok(Self::Missing {
                reason: format!(
                    "snippet storage is not configured: this server runs on Azure \
                     ({INSTANCE_ID_VAR} is set) but neither {CONNECTION_STRING_VAR} nor \
                     {BLOB_SERVICE_URI_VAR} is set, and an instance's local disk would lose \
                     the snippets. Ask the operator to configure Blob Storage."
                ),
            });
        }
        Ok(Self::Local {
            dir: PathBuf::from(".snippets"),
        })
    }
}

/// Describes the backend for the start-up log line. Never includes a key or SAS.
impl fmt::Display for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local { dir } => write!(f, "local directory {}", dir.display()),
            Self::Missing { .. } => f.write_str("none (not configured on Azure)"),
            Self::Azure(azure) => {
                let auth = match &azure.credential {
                    AzureCredentials::AccessKey(_) => "shared key",
                    AzureCredentials::Sas(_) => "shared access signature",
                    AzureCredentials::ManagedIdentity {
                        client_id: Some(_), ..
                    } => "user-assigned managed identity",
                    AzureCredentials::ManagedIdentity {
                        client_id: None, ..
                    } => "managed identity",
                    AzureCredentials::AzureCli => "Azure CLI login",
                };
                write!(
                    f,
                    "Azure Blob Storage {}, container {:?}, {auth} (from {})",
                    azure.endpoint, azure.container, azure.source
                )
            }
        }
    }
}

/// `SNIPPETS_CONTAINER`, checked against Azure's container naming rule so a typo
/// fails at start-up rather than on the first save.
fn container(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let Some(value) = get(CONTAINER_VAR) else {
        return Ok(DEFAULT_CONTAINER.to_owned());
    };
    let name = value.trim();
    let valid = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        Ok(name.to_owned())
    } else {
        Err(ConfigError::new(
            CONTAINER_VAR,
            &value,
            "a container name is 3 to 63 lowercase letters, digits and single hyphens, \
             starting and ending with a letter or digit",
        ))
    }
}

/// The identity-based settings the Functions host understands. With
/// `__credential=managedidentity`, or on Azure, the token comes from the managed
/// identity; otherwise (a developer machine) from the Azure CLI, as the host's own
/// `DefaultAzureCredential` would do.
fn identity_based(
    get: &impl Fn(&str) -> Option<String>,
    platform: &Platform,
    container: &str,
) -> Result<Option<AzureStorage>, ConfigError> {
    let (endpoint, source) = if let Some(value) = get(BLOB_SERVICE_URI_VAR) {
        let url = url::Url::parse(value.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if url.is_none() {
            return Err(ConfigError::new(
                BLOB_SERVICE_URI_VAR,
                &value,
                "expected the blob service URL, e.g. https://myaccount.blob.core.windows.net",
            ));
        }
        (
            value.trim().trim_end_matches('/').to_owned(),
            BLOB_SERVICE_URI_VAR,
        )
    } else if let Some(value) = get(ACCOUNT_NAME_VAR) {
        let name = value.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ConfigError::new(
                ACCOUNT_NAME_VAR,
                &value,
                "expected a storage account name (letters and digits)",
            ));
        }
        (
            format!("https://{name}.blob.core.windows.net"),
            ACCOUNT_NAME_VAR,
        )
    } else {
        return Ok(None);
    };

    let account = match get(ACCOUNT_NAME_VAR) {
        Some(name) => name.trim().to_owned(),
        None => account_from_endpoint(&endpoint),
    };
    let client_id = get(CLIENT_ID_VAR).map(|id| id.trim().to_owned());
    let identity_endpoint = platform
        .identity_endpoint
        .as_ref()
        .map(|url| url.as_str().to_owned());
    let managed_identity = AzureCredentials::ManagedIdentity {
        client_id,
        endpoint: identity_endpoint.clone(),
    };
    let credential = match get(CREDENTIAL_VAR) {
        Some(value) if value.trim().eq_ignore_ascii_case("managedidentity") => managed_identity,
        Some(value) => {
            return Err(ConfigError::new(
                CREDENTIAL_VAR,
                &value,
                "expected managedidentity, or unset (managed identity on Azure, the Azure CLI login elsewhere)",
            ));
        }
        None if identity_endpoint.is_some() || platform.on_azure => managed_identity,
        None => AzureCredentials::AzureCli,
    };
    Ok(Some(AzureStorage {
        endpoint,
        account,
        container: container.to_owned(),
        credential,
        source,
    }))
}

/// `https://acct.blob.core.windows.net` → `acct`. Only used to sign shared-key
/// requests, which identity-based access does not send; any value works for tokens.
pub(crate) fn account_from_endpoint(endpoint: &str) -> String {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.split('.').next().unwrap_or(h).to_owned())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
