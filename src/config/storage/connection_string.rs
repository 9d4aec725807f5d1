//! `AzureWebJobsStorage` connection strings. object_store has no parser, so this is
//! ours: `Key=Value` pairs separated by `;`, keys case-insensitive, values split at
//! the first `=` (an `AccountKey` ends in `=`).

use std::collections::HashMap;

use object_store::azure::AzureAccessKey;

use super::{AzureCredentials, AzureStorage, CONNECTION_STRING_VAR, Secret, account_from_endpoint};
use crate::config::ConfigError;

/// Azurite's well-known development account, as `UseDevelopmentStorage=true` means.
pub(crate) const DEV_ACCOUNT: &str = "devstoreaccount1";
pub(crate) const DEV_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
pub(crate) const DEV_BLOB_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// Keys whose values are not secret, so an error may quote them. Anything else
/// (`AccountKey`, `SharedAccessSignature`, or a pasted key that is not a pair at
/// all) is replaced by `<redacted>`.
const PUBLIC_KEYS: [&str; 9] = [
    "defaultendpointsprotocol",
    "accountname",
    "blobendpoint",
    "queueendpoint",
    "tableendpoint",
    "fileendpoint",
    "endpointsuffix",
    "usedevelopmentstorage",
    "developmentstorageproxyuri",
];

pub(super) fn parse(value: &str, container: String) -> Result<AzureStorage, ConfigError> {
    let error = |reason: &str| ConfigError::new(CONNECTION_STRING_VAR, &redact(value), reason);
    let mut pairs = HashMap::new();
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, val)) = part.split_once('=') else {
            return Err(error(
                "expected Key=Value pairs separated by ';', e.g. UseDevelopmentStorage=true",
            ));
        };
        pairs.insert(key.trim().to_ascii_lowercase(), val.trim().to_owned());
    }
    let get = |key: &str| pairs.get(key).map(String::as_str).filter(|v| !v.is_empty());

    if get("usedevelopmentstorage").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(AzureStorage {
            endpoint: DEV_BLOB_ENDPOINT.to_owned(),
            account: DEV_ACCOUNT.to_owned(),
            container,
            credential: AzureCredentials::AccessKey(Secret::new(DEV_ACCOUNT_KEY)),
            source: CONNECTION_STRING_VAR,
        });
    }

    let endpoint = match (get("blobendpoint"), get("accountname")) {
        (Some(endpoint), _) => {
            let url = url::Url::parse(endpoint)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if url.is_none() {
                return Err(error("BlobEndpoint is not an http(s) URL"));
            }
            // A trailing '/' would make every blob URL contain "//".
            endpoint.trim_end_matches('/').to_owned()
        }
        (None, Some(account)) => format!(
            "{}://{account}.blob.{}",
            get("defaultendpointsprotocol").unwrap_or("https"),
            get("endpointsuffix").unwrap_or("core.windows.net")
        ),
        (None, None) => {
            return Err(error(
                "expected UseDevelopmentStorage=true, or AccountName (or BlobEndpoint) with AccountKey",
            ));
        }
    };
    let account = get("accountname")
        .map(str::to_owned)
        .unwrap_or_else(|| account_from_endpoint(&endpoint));

    let credential = if let Some(key) = get("accountkey") {
        // Checked now so a pasting mistake fails at start-up. The decoder's own error
        // would quote a byte of the key, so it is not passed on.
        if AzureAccessKey::try_new(key).is_err() {
            return Err(error("AccountKey is not valid base64"));
        }
        AzureCredentials::AccessKey(Secret::new(key))
    } else if let Some(sas) = get("sharedaccesssignature") {
        AzureCredentials::Sas(Secret::new(sas))
    } else {
        return Err(error(
            "expected AccountKey or SharedAccessSignature; for identity-based access set \
             AzureWebJobsStorage__blobServiceUri instead",
        ));
    };

    Ok(AzureStorage {
        endpoint,
        account,
        container,
        credential,
        source: CONNECTION_STRING_VAR,
    })
}

/// The connection string with secret values replaced, for error messages.
pub(crate) fn redact(value: &str) -> String {
    value
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((key, _)) if PUBLIC_KEYS.contains(&key.trim().to_ascii_lowercase().as_str()) => {
                part.to_owned()
            }
            Some((key, _)) if !key.trim().is_empty() && key.trim().len() <= 32 => {
                format!("{key}=<redacted>")
            }
            _ if part.trim().is_empty() => part.to_owned(),
            _ => "<redacted>".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}
