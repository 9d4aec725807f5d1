//! The settings App Service sets for the app that more than one part of our
//! configuration uses, read and validated here once and handed to those parts: the
//! app's host name (the `User-Agent` contact, the consent page), whether it runs on
//! Azure (where snippet storage must be configured) and the managed-identity token
//! endpoint (snippet storage and the Graph profile).
//!
//! The hosting crate reads its own settings, `WEBSITE_HOSTNAME` among them, for its
//! allow-lists ([`rmcp_functions::Settings`]): it serves any rmcp server and knows
//! nothing of this configuration.

use url::Url;

use super::ConfigError;

pub(super) const HOSTNAME_VAR: &str = "WEBSITE_HOSTNAME";
pub(super) const INSTANCE_ID_VAR: &str = "WEBSITE_INSTANCE_ID";
pub(super) const IDENTITY_ENDPOINT_VAR: &str = "IDENTITY_ENDPOINT";

/// The platform's settings, parsed.
#[derive(Debug, Clone, Default)]
pub(super) struct Platform {
    /// The app's public host name (`WEBSITE_HOSTNAME`), trimmed and lowercase; `None`
    /// off Azure.
    pub hostname: Option<String>,
    /// `WEBSITE_INSTANCE_ID` is set: this process is an instance on Azure.
    pub on_azure: bool,
    /// App Service's local managed-identity token endpoint (`IDENTITY_ENDPOINT`).
    pub identity_endpoint: Option<Url>,
}

impl Platform {
    /// Reads the settings; `get` treats empty values as unset.
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            hostname: get(HOSTNAME_VAR).map(|host| host.trim().to_ascii_lowercase()),
            on_azure: get(INSTANCE_ID_VAR).is_some(),
            identity_endpoint: get(IDENTITY_ENDPOINT_VAR)
                .map(|v| identity_endpoint(&v))
                .transpose()?,
        })
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
