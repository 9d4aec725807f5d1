//! The server's settings, parsed once at start-up from the environment: the hosting
//! layer's own ([`hosting::Settings`]: port, allowed hosts, logs) and those of our
//! tools (upstream weather APIs, snippet storage).
//!
//! Every setting the server reads is named in this module or in
//! [`hosting::Settings`], so the README's table can be checked against them.
//! Parsing goes through [`Config::from_lookup`], which takes any
//! `Fn(&str) -> Option<String>`: tests pass a map instead of touching the process
//! environment (which is shared by every test thread, and `unsafe` to change in
//! edition 2024).

mod identity;
mod platform;
mod storage;

use std::time::Duration;

use url::Url;

pub use identity::{
    DEFAULT_TOKEN_EXCHANGE_AUDIENCE, IdentityConfig, OboConfig, OboSetup, SnippetsScope,
};
pub use storage::{AzureCredentials, AzureStorage, StorageConfig};

pub use crate::secret::Secret;

use rmcp_functions::{self as hosting, ConfigError};

use crate::upstream;
use platform::Platform;

/// Everything the server needs to know, parsed and validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Port, allowed hosts and origins, logs.
    pub hosting: hosting::Settings,
    /// Upstream weather APIs.
    pub weather: WeatherConfig,
    /// Where snippets are kept.
    pub storage: StorageConfig,
    /// Whose snippets a caller sees (`SNIPPETS_SCOPE`).
    pub snippets_scope: SnippetsScope,
    /// How much one collection of snippets may hold.
    pub snippet_limits: SnippetLimits,
    /// Who is calling: when principal headers are trusted, and the Graph profile.
    pub identity: IdentityConfig,
    /// The key that seals `requestState` (`MCP_REQUEST_STATE_KEY`).
    pub request_state_key: RequestStateKey,
}

/// The key every instance seals and opens `requestState` with, so a client's retry
/// may land on any instance.
#[derive(Debug, Clone)]
pub enum RequestStateKey {
    /// `MCP_REQUEST_STATE_KEY`: at least 32 bytes, the same on every instance.
    Shared(Secret),
    /// None configured: a random key for this process only, fine for one instance
    /// (`cargo run`, tests); with several, a retry on another instance is refused.
    PerProcess,
}

/// How much one collection of snippets (the shared one, or a user's) may hold, so
/// one caller cannot fill the storage account, and counting a collection before a
/// save stays cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnippetLimits {
    /// Snippets per collection (`SNIPPETS_MAX_COUNT`).
    pub max_count: usize,
    /// Bytes of text per collection, all snippets together (`SNIPPETS_MAX_TOTAL_BYTES`).
    pub max_bytes: u64,
}

/// The default `SNIPPETS_MAX_COUNT`.
pub(crate) const DEFAULT_SNIPPETS_MAX_COUNT: usize = 1_000;
/// The default `SNIPPETS_MAX_TOTAL_BYTES`: 100 MiB.
pub(crate) const DEFAULT_SNIPPETS_MAX_TOTAL_BYTES: u64 = 100 * 1024 * 1024;

impl SnippetLimits {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // The count is bounded because every save counts the collection first.
        let max_count = whole_number(
            get,
            "SNIPPETS_MAX_COUNT",
            DEFAULT_SNIPPETS_MAX_COUNT as u64,
            100_000,
        )?;
        Ok(Self {
            max_count: usize::try_from(max_count).unwrap_or(usize::MAX),
            max_bytes: whole_number(
                get,
                "SNIPPETS_MAX_TOTAL_BYTES",
                DEFAULT_SNIPPETS_MAX_TOTAL_BYTES,
                1 << 40,
            )?,
        })
    }
}

/// A whole-number setting, from 1 to `max`.
fn whole_number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(value) = get(name) else {
        return Ok(default);
    };
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            ConfigError::new(
                name,
                &value,
                format!("expected a whole number from 1 to {max}"),
            )
        })
}

/// The shortest `MCP_REQUEST_STATE_KEY` accepted, as rmcp's codec requires.
pub(crate) const MIN_REQUEST_STATE_KEY_BYTES: usize = 32;

/// Base URLs of the upstream weather APIs. Configurable so tests can point them at
/// local servers, and so sovereign clouds or proxies can be used.
#[derive(Debug, Clone)]
pub struct WeatherConfig {
    pub nws_base_url: Url,
    pub geocoding_base_url: Url,
    pub forecast_base_url: Url,
    /// How long one weather tool call may spend upstream, retries included
    /// (`WEATHER_TIMEOUT_SECONDS`).
    pub timeout: Duration,
    /// The `User-Agent` sent upstream: the app, its version and, when known, a
    /// contact. NWS requires a User-Agent and asks for a way to reach whoever runs
    /// the client: `NWS_CONTACT` (an email or URL), else the app's public URL.
    pub user_agent: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, which returns a variable's value if it is set.
    /// Empty values count as unset, as they do in the Functions portal.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let platform = Platform::from_lookup(&get)?;
        let user_agent = user_agent(&get, &platform)?;
        let weather = WeatherConfig {
            nws_base_url: base_url(&get, "NWS_API_BASE_URL", "https://api.weather.gov")?,
            geocoding_base_url: base_url(
                &get,
                "OPEN_METEO_GEOCODING_URL",
                "https://geocoding-api.open-meteo.com",
            )?,
            forecast_base_url: base_url(
                &get,
                "OPEN_METEO_FORECAST_URL",
                "https://api.open-meteo.com",
            )?,
            timeout: weather_timeout(&get)?,
            user_agent: user_agent.clone(),
        };
        let identity = IdentityConfig::parse(&get, &platform, user_agent)?;
        Ok(Self {
            hosting: hosting::Settings::from_lookup(get)?,
            weather,
            storage: StorageConfig::from_lookup(&get, &platform)?,
            snippets_scope: SnippetsScope::from_lookup(&get)?,
            snippet_limits: SnippetLimits::from_lookup(&get)?,
            identity,
            request_state_key: request_state_key(&get)?,
        })
    }
}

fn request_state_key(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<RequestStateKey, ConfigError> {
    const NAME: &str = "MCP_REQUEST_STATE_KEY";
    let Some(value) = get(NAME) else {
        return Ok(RequestStateKey::PerProcess);
    };
    if value.len() < MIN_REQUEST_STATE_KEY_BYTES {
        // The value is a secret: the message names its length, never the value.
        return Err(ConfigError::new(
            NAME,
            "<redacted>",
            format!(
                "it is {} bytes long; use at least {MIN_REQUEST_STATE_KEY_BYTES} random bytes, \
                 e.g. the output of `openssl rand -base64 32`",
                value.len()
            ),
        ));
    }
    Ok(RequestStateKey::Shared(Secret::new(value)))
}

fn base_url(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<Url, ConfigError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    let url = Url::parse(value.trim())
        .map_err(|e| ConfigError::new(name, &value, format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ConfigError::new(
            name,
            &value,
            "expected an http(s) base URL",
        ));
    }
    Ok(url)
}

/// Builds the `User-Agent` every upstream client sends from `NWS_CONTACT`, or the
/// app's public URL on Azure. With neither (a laptop), it names just the app and its
/// version ([`upstream::APP`]).
fn user_agent(
    get: &impl Fn(&str) -> Option<String>,
    platform: &Platform,
) -> Result<String, ConfigError> {
    let app = upstream::APP;
    let contact = match get("NWS_CONTACT") {
        Some(value) => {
            let contact = value.trim();
            if !contact.chars().all(|c| c.is_ascii_graphic() || c == ' ')
                || contact.contains(['(', ')'])
            {
                return Err(ConfigError::new(
                    "NWS_CONTACT",
                    &value,
                    "expected an email address or URL in printable ASCII, without parentheses",
                ));
            }
            Some(contact.to_owned())
        }
        None => platform
            .hostname
            .as_ref()
            .map(|host| format!("https://{host}")),
    };
    Ok(match contact {
        Some(contact) => format!("{app} ({contact})"),
        None => app.to_owned(),
    })
}

/// Parses `WEATHER_TIMEOUT_SECONDS`. The ceiling stays well under the Functions
/// host's 230 s request limit, so a slow upstream is reported by the tool rather than
/// cut off by the host.
fn weather_timeout(get: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    seconds(
        get,
        "WEATHER_TIMEOUT_SECONDS",
        DEFAULT_WEATHER_TIMEOUT,
        120.0,
    )
}

/// A duration setting in seconds (decimals allowed), from 0.1 to `max`.
fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
    max: f64,
) -> Result<Duration, ConfigError> {
    let Some(value) = get(name) else {
        return Ok(default);
    };
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| (0.1..=max).contains(seconds))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            ConfigError::new(
                name,
                &value,
                format!("expected a number of seconds from 0.1 to {max}"),
            )
        })
}

/// The default for `WEATHER_TIMEOUT_SECONDS`.
pub(crate) const DEFAULT_WEATHER_TIMEOUT: Duration = Duration::from_secs(20);

#[cfg(test)]
mod tests;
