//! Typed configuration, parsed once at start-up from the environment.
//!
//! Every setting the server reads is named here, so the README's table and this
//! module can be checked against each other. Parsing goes through
//! [`Config::from_lookup`], which takes any `Fn(&str) -> Option<String>`: tests pass a
//! map instead of touching the process environment (which is shared by every test
//! thread, and `unsafe` to change in edition 2024).

mod identity;
mod storage;

use std::{fmt, time::Duration};

use url::Url;

pub use identity::{
    DEFAULT_GRAPH_TIMEOUT, DEFAULT_TOKEN_EXCHANGE_AUDIENCE, IdentityConfig, OboConfig, OboSetup,
    SnippetsScope,
};
pub use storage::{AzureCredentials, AzureStorage, Secret, StorageConfig};

/// The port `cargo run` listens on when the Functions host did not choose one.
/// It is the port `func start` serves on, so `http://localhost:7071/mcp` works with both.
pub const DEFAULT_PORT: u16 = 7071;

/// Everything the server needs to know, parsed and validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; see [`PortSource`] for why it remembers where it came from.
    pub port: Port,
    /// `Host` header values accepted on `/mcp` (DNS-rebinding protection).
    pub allowed_hosts: Vec<String>,
    /// `Origin` header values accepted on `/mcp` from browsers.
    pub allowed_origins: Vec<String>,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// The `tracing` filter directive (`RUST_LOG`).
    pub log_filter: String,
    /// Upstream weather APIs.
    pub weather: WeatherConfig,
    /// Where snippets are kept.
    pub storage: StorageConfig,
    /// Whose snippets a caller sees (`SNIPPETS_SCOPE`).
    pub snippets_scope: SnippetsScope,
    /// Who is calling: when principal headers are trusted, and the Graph profile.
    pub identity: IdentityConfig,
}

/// The listening port and where it came from, so errors can name the variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    pub number: u16,
    pub source: PortSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSource {
    /// `FUNCTIONS_CUSTOMHANDLER_PORT`, set by the Functions host.
    Environment,
    /// Neither variable was set: [`DEFAULT_PORT`].
    Default,
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            PortSource::Environment => write!(f, "{PORT_VAR}={}", self.number),
            PortSource::Default => write!(
                f,
                "the default port {} ({PORT_VAR} is not set)",
                self.number
            ),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal and `func start`.
    Text,
    /// One JSON object per line, for Application Insights and log queries.
    Json,
}

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

/// A setting that is present but unusable. The message names the variable and the
/// value, because it is the one line an operator sees in the host's log.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(name: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            name,
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

pub(crate) const PORT_VAR: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];
const DEFAULT_LOG_FILTER: &str = "info,rmcp=warn";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, which returns a variable's value if it is set.
    /// Empty values count as unset, as they do in the Functions portal.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let port = match get(PORT_VAR) {
            Some(value) => Port {
                number: value.trim().parse().map_err(|_| {
                    ConfigError::new(PORT_VAR, &value, "expected a port number from 0 to 65535")
                })?,
                source: PortSource::Environment,
            },
            None => Port {
                number: DEFAULT_PORT,
                source: PortSource::Default,
            },
        };

        let public_hosts = public_hosts(&get)?;
        let mut allowed_hosts: Vec<String> =
            LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        allowed_hosts.extend(public_hosts.iter().cloned());

        let mut allowed_origins: Vec<String> =
            LOOPBACK_ORIGINS.iter().map(|o| (*o).to_owned()).collect();
        allowed_origins.extend(public_hosts.iter().map(|host| format!("https://{host}")));
        if let Some(value) = get("MCP_ALLOWED_ORIGINS") {
            for origin in split_list(&value) {
                let url = Url::parse(origin).map_err(|_| {
                    ConfigError::new(
                        "MCP_ALLOWED_ORIGINS",
                        &value,
                        format!("{origin:?} is not an origin such as https://app.example.com"),
                    )
                })?;
                if url.host_str().is_none() {
                    return Err(ConfigError::new(
                        "MCP_ALLOWED_ORIGINS",
                        &value,
                        format!("{origin:?} has no host"),
                    ));
                }
                allowed_origins.push(origin.trim_end_matches('/').to_owned());
            }
        }

        let log_format = match get("LOG_FORMAT").as_deref().map(str::trim) {
            None => LogFormat::Text,
            Some(v) if v.eq_ignore_ascii_case("text") => LogFormat::Text,
            Some(v) if v.eq_ignore_ascii_case("json") => LogFormat::Json,
            Some(v) => return Err(ConfigError::new("LOG_FORMAT", v, "expected text or json")),
        };
        let log_filter = get("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned());

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
            user_agent: user_agent(&get)?,
        };

        Ok(Self {
            port,
            allowed_hosts,
            allowed_origins,
            log_format,
            log_filter,
            weather,
            storage: StorageConfig::from_lookup(&get)?,
            snippets_scope: SnippetsScope::from_lookup(&get)?,
            identity: IdentityConfig::from_lookup(&get)?,
        })
    }
}

/// Public host names the server answers to: the app's own (`WEBSITE_HOSTNAME`, set by
/// App Service and Functions) and custom domains (`MCP_ALLOWED_HOSTS`).
fn public_hosts(get: &impl Fn(&str) -> Option<String>) -> Result<Vec<String>, ConfigError> {
    let mut hosts = Vec::new();
    if let Some(value) = get("WEBSITE_HOSTNAME") {
        hosts.push(host_name("WEBSITE_HOSTNAME", &value, value.trim())?);
    }
    if let Some(value) = get("MCP_ALLOWED_HOSTS") {
        for host in split_list(&value) {
            hosts.push(host_name("MCP_ALLOWED_HOSTS", &value, host)?);
        }
    }
    Ok(hosts)
}

/// Validates one `host` or `host:port` entry. A scheme or path is a common mistake
/// (pasting the app URL), and would silently never match, so it is refused.
fn host_name(var: &'static str, value: &str, host: &str) -> Result<String, ConfigError> {
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if valid {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(ConfigError::new(
            var,
            value,
            format!(
                "{host:?} is not a host name such as myapp.azurewebsites.net (no scheme or path)"
            ),
        ))
    }
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
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

/// Builds the upstream `User-Agent` from `NWS_CONTACT`, or the app's public URL on
/// Azure. With neither (a laptop), it names just the app and its version.
fn user_agent(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let app = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));
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
        None => get("WEBSITE_HOSTNAME")
            .map(|host| format!("https://{}", host.trim().to_ascii_lowercase())),
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
    const NAME: &str = "WEATHER_TIMEOUT_SECONDS";
    let Some(value) = get(NAME) else {
        return Ok(DEFAULT_WEATHER_TIMEOUT);
    };
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| (0.1..=120.0).contains(seconds))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            ConfigError::new(NAME, &value, "expected a number of seconds from 0.1 to 120")
        })
}

/// The default for `WEATHER_TIMEOUT_SECONDS`.
pub const DEFAULT_WEATHER_TIMEOUT: Duration = Duration::from_secs(20);

/// How long in-flight requests may run after SIGTERM before they are cancelled.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests;
