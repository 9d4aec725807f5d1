//! The settings every hosted server needs, whatever its tools: where to listen, which
//! `Host` and `Origin` values to accept, and how to log. Read once at start-up from the
//! environment the Functions host (or `cargo run`) gives the process.

use std::{fmt, time::Duration};

use url::Url;

/// The port `cargo run` listens on when the Functions host did not choose one. It is
/// the port `func start` serves on, so `http://localhost:7071/mcp` works with both.
pub const DEFAULT_PORT: u16 = 7071;

/// The variable the Functions host passes the handler's port in.
pub const PORT_VAR: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";

/// The log filter when `RUST_LOG` is unset or invalid: our lines at `info`, rmcp's
/// only when something is wrong. `rmcp::` rather than `rmcp`: a directive matches every
/// target that starts with it, and `rmcp` would also silence this crate,
/// `rmcp_functions`.
pub const DEFAULT_LOG_FILTER: &str = "info,rmcp::=warn";

/// The variable that sets the request-body budget ([`Settings::body_budget_bytes`]).
pub const BODY_BUDGET_VAR: &str = "MCP_BODY_BUDGET_BYTES";

/// The variable that sets how long a request may wait for room in the body budget
/// ([`Settings::body_budget_wait`]).
pub const BODY_BUDGET_WAIT_VAR: &str = "MCP_BODY_BUDGET_WAIT_SECONDS";

/// The longest wait `MCP_BODY_BUDGET_WAIT_SECONDS` accepts: the Functions front end
/// answers a request that takes longer than 230 s itself, so waiting longer is moot.
const MAX_BODY_BUDGET_WAIT: Duration = Duration::from_secs(230);

const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// What the hosting layer needs, parsed and validated.
#[derive(Debug, Clone)]
pub struct Settings {
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
    /// `MCP_BODY_BUDGET_BYTES`: the bytes of request bodies all requests in flight may
    /// hold together. When set, it takes precedence over the code's
    /// [`CustomHandler::body_budget_bytes`](crate::CustomHandler::body_budget_bytes), so
    /// an operator can resize it without a rebuild.
    pub body_budget_bytes: Option<usize>,
    /// `MCP_BODY_BUDGET_WAIT_SECONDS`: how long a request may wait for room in the body
    /// budget before it is answered `503`. When set, it takes precedence over
    /// [`CustomHandler::body_budget_wait`](crate::CustomHandler::body_budget_wait).
    pub body_budget_wait: Option<Duration>,
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
    /// The variable was not set: [`DEFAULT_PORT`].
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
    pub fn new(name: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            name,
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, which returns a variable's value if it is set.
    /// Empty values count as unset, as they do in the Functions portal.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let public_hosts = public_hosts(&get)?;
        Ok(Self {
            port: port(&get)?,
            allowed_hosts: LOOPBACK_HOSTS
                .iter()
                .map(|h| (*h).to_owned())
                .chain(public_hosts.iter().cloned())
                .collect(),
            allowed_origins: allowed_origins(&get, &public_hosts)?,
            log_format: log_format(&get)?,
            log_filter: get("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned()),
            body_budget_bytes: body_budget_bytes(&get)?,
            body_budget_wait: body_budget_wait(&get)?,
        })
    }
}

fn port(get: &impl Fn(&str) -> Option<String>) -> Result<Port, ConfigError> {
    let Some(value) = get(PORT_VAR) else {
        return Ok(Port {
            number: DEFAULT_PORT,
            source: PortSource::Default,
        });
    };
    let number = value.trim().parse().map_err(|_| {
        ConfigError::new(PORT_VAR, &value, "expected a port number from 0 to 65535")
    })?;
    Ok(Port {
        number,
        source: PortSource::Environment,
    })
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

/// Loopback origins (any port), `https://` + each public host, and
/// `MCP_ALLOWED_ORIGINS`.
fn allowed_origins(
    get: &impl Fn(&str) -> Option<String>,
    public_hosts: &[String],
) -> Result<Vec<String>, ConfigError> {
    const VAR: &str = "MCP_ALLOWED_ORIGINS";
    let mut origins: Vec<String> = LOOPBACK_ORIGINS.iter().map(|o| (*o).to_owned()).collect();
    origins.extend(public_hosts.iter().map(|host| format!("https://{host}")));
    let Some(value) = get(VAR) else {
        return Ok(origins);
    };
    for origin in split_list(&value) {
        let url = Url::parse(origin).map_err(|_| {
            ConfigError::new(
                VAR,
                &value,
                format!("{origin:?} is not an origin such as https://app.example.com"),
            )
        })?;
        if url.host_str().is_none() {
            return Err(ConfigError::new(
                VAR,
                &value,
                format!("{origin:?} has no host"),
            ));
        }
        origins.push(origin.trim_end_matches('/').to_owned());
    }
    Ok(origins)
}

fn body_budget_bytes(get: &impl Fn(&str) -> Option<String>) -> Result<Option<usize>, ConfigError> {
    let Some(value) = get(BODY_BUDGET_VAR) else {
        return Ok(None);
    };
    match value.trim().parse::<usize>() {
        Ok(bytes) if bytes > 0 => Ok(Some(bytes)),
        _ => Err(ConfigError::new(
            BODY_BUDGET_VAR,
            &value,
            "expected a whole number of bytes greater than 0, e.g. 33554432 for 32 MiB",
        )),
    }
}

fn body_budget_wait(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Duration>, ConfigError> {
    let Some(value) = get(BODY_BUDGET_WAIT_VAR) else {
        return Ok(None);
    };
    let max = MAX_BODY_BUDGET_WAIT.as_secs();
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| (0.0..=max as f64).contains(seconds))
        .map(|seconds| Some(Duration::from_secs_f64(seconds)))
        .ok_or_else(|| {
            ConfigError::new(
                BODY_BUDGET_WAIT_VAR,
                &value,
                format!("expected seconds from 0 to {max}, decimals allowed"),
            )
        })
}

fn log_format(get: &impl Fn(&str) -> Option<String>) -> Result<LogFormat, ConfigError> {
    match get("LOG_FORMAT").as_deref().map(str::trim) {
        None => Ok(LogFormat::Text),
        Some(v) if v.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
        Some(v) if v.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
        Some(v) => Err(ConfigError::new("LOG_FORMAT", v, "expected text or json")),
    }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        Settings::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
    }

    #[test]
    fn defaults_listen_on_7071_with_loopback_hosts_only() {
        let settings = parse(&[]).unwrap();
        assert_eq!(settings.port.number, 7071);
        assert_eq!(settings.port.source, PortSource::Default);
        assert_eq!(settings.allowed_hosts, ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(settings.log_format, LogFormat::Text);
        assert_eq!(settings.log_filter, "info,rmcp::=warn");
    }

    #[test]
    fn the_host_chosen_port_is_used() {
        let settings = parse(&[("FUNCTIONS_CUSTOMHANDLER_PORT", "40123")]).unwrap();
        assert_eq!(settings.port.number, 40123);
        assert_eq!(
            settings.port.to_string(),
            "FUNCTIONS_CUSTOMHANDLER_PORT=40123"
        );
    }

    #[test]
    fn an_invalid_port_names_the_variable_and_the_value() {
        for bad in ["abc", "65536", "-1", "80.5"] {
            let message = parse(&[("FUNCTIONS_CUSTOMHANDLER_PORT", bad)])
                .unwrap_err()
                .to_string();
            assert!(
                message.contains("FUNCTIONS_CUSTOMHANDLER_PORT"),
                "{message}"
            );
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
    }

    #[test]
    fn website_hostname_and_custom_domains_are_allowed_hosts_and_origins() {
        let settings = parse(&[
            ("WEBSITE_HOSTNAME", "MyApp.azurewebsites.net"),
            ("MCP_ALLOWED_HOSTS", "mcp.contoso.com, api.contoso.com:8443"),
        ])
        .unwrap();
        assert_eq!(
            settings.allowed_hosts[3..],
            [
                "myapp.azurewebsites.net",
                "mcp.contoso.com",
                "api.contoso.com:8443"
            ]
        );
        assert!(
            settings
                .allowed_origins
                .contains(&"https://myapp.azurewebsites.net".to_owned())
        );
    }

    #[test]
    fn a_pasted_url_is_not_mistaken_for_a_host() {
        let err = parse(&[("MCP_ALLOWED_HOSTS", "https://mcp.contoso.com/mcp")]).unwrap_err();
        assert_eq!(err.name, "MCP_ALLOWED_HOSTS");
    }

    #[test]
    fn allowed_origins_need_a_scheme_and_a_host() {
        let settings = parse(&[("MCP_ALLOWED_ORIGINS", "https://app.contoso.com/")]).unwrap();
        assert!(
            settings
                .allowed_origins
                .contains(&"https://app.contoso.com".to_owned())
        );
        let err = parse(&[("MCP_ALLOWED_ORIGINS", "app.contoso.com")]).unwrap_err();
        assert_eq!(err.name, "MCP_ALLOWED_ORIGINS");
    }

    #[test]
    fn log_format_is_text_or_json() {
        assert_eq!(
            parse(&[("LOG_FORMAT", "JSON")]).unwrap().log_format,
            LogFormat::Json
        );
        assert_eq!(
            parse(&[("LOG_FORMAT", "xml")]).unwrap_err().name,
            "LOG_FORMAT"
        );
    }

    #[test]
    fn the_body_budget_and_its_wait_are_read_and_checked() {
        let settings = parse(&[]).unwrap();
        assert_eq!(settings.body_budget_bytes, None);
        assert_eq!(settings.body_budget_wait, None);
        let settings = parse(&[
            ("MCP_BODY_BUDGET_BYTES", "1048576"),
            ("MCP_BODY_BUDGET_WAIT_SECONDS", "2.5"),
        ])
        .unwrap();
        assert_eq!(settings.body_budget_bytes, Some(1_048_576));
        assert_eq!(settings.body_budget_wait, Some(Duration::from_millis(2500)));
        for bad in ["0", "-1", "32MiB"] {
            let err = parse(&[("MCP_BODY_BUDGET_BYTES", bad)]).unwrap_err();
            assert_eq!(err.name, "MCP_BODY_BUDGET_BYTES");
        }
        for bad in ["-1", "231", "soon", "NaN"] {
            let err = parse(&[("MCP_BODY_BUDGET_WAIT_SECONDS", bad)]).unwrap_err();
            assert_eq!(err.name, "MCP_BODY_BUDGET_WAIT_SECONDS", "{bad}");
        }
    }

    #[test]
    fn empty_values_count_as_unset() {
        let settings = parse(&[
            ("FUNCTIONS_CUSTOMHANDLER_PORT", ""),
            ("WEBSITE_HOSTNAME", " "),
        ])
        .unwrap();
        assert_eq!(settings.port.source, PortSource::Default);
        assert_eq!(settings.allowed_hosts.len(), 3);
    }
}
