use std::collections::HashMap;

use super::*;

fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn defaults_listen_on_7071_with_loopback_hosts_only() {
    let config = parse(&[]).unwrap();
    assert_eq!(config.port.number, 7071);
    assert_eq!(config.port.source, PortSource::Default);
    assert_eq!(config.allowed_hosts, ["localhost", "127.0.0.1", "::1"]);
    assert_eq!(config.log_format, LogFormat::Text);
    assert_eq!(config.log_filter, "info,rmcp=warn");
    assert_eq!(
        config.weather.nws_base_url.as_str(),
        "https://api.weather.gov/"
    );
}

#[test]
fn the_host_chosen_port_is_used() {
    let config = parse(&[("FUNCTIONS_CUSTOMHANDLER_PORT", "40123")]).unwrap();
    assert_eq!(config.port.number, 40123);
    assert_eq!(
        config.port.to_string(),
        "FUNCTIONS_CUSTOMHANDLER_PORT=40123"
    );
}

#[test]
fn an_invalid_port_names_the_variable_and_the_value() {
    for bad in ["abc", "65536", "-1", "80.5"] {
        let err = parse(&[("FUNCTIONS_CUSTOMHANDLER_PORT", bad)]).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("FUNCTIONS_CUSTOMHANDLER_PORT"),
            "{message}"
        );
        assert!(message.contains(&format!("{bad:?}")), "{message}");
    }
}

#[test]
fn website_hostname_and_custom_domains_are_allowed_hosts_and_origins() {
    let config = parse(&[
        ("WEBSITE_HOSTNAME", "MyApp.azurewebsites.net"),
        ("MCP_ALLOWED_HOSTS", "mcp.contoso.com, api.contoso.com:8443"),
    ])
    .unwrap();
    assert_eq!(
        config.allowed_hosts[3..],
        [
            "myapp.azurewebsites.net",
            "mcp.contoso.com",
            "api.contoso.com:8443"
        ]
    );
    assert!(
        config
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
fn upstream_urls_must_be_http_base_urls() {
    let config = parse(&[("NWS_API_BASE_URL", "http://127.0.0.1:9000")]).unwrap();
    assert_eq!(
        config.weather.nws_base_url.as_str(),
        "http://127.0.0.1:9000/"
    );
    let err = parse(&[("OPEN_METEO_FORECAST_URL", "ftp://example.com")]).unwrap_err();
    assert_eq!(err.name, "OPEN_METEO_FORECAST_URL");
}

#[test]
fn weather_timeout_is_seconds_within_bounds() {
    assert_eq!(parse(&[]).unwrap().weather.timeout, DEFAULT_WEATHER_TIMEOUT);
    assert_eq!(
        parse(&[("WEATHER_TIMEOUT_SECONDS", "1.5")])
            .unwrap()
            .weather
            .timeout,
        Duration::from_millis(1500)
    );
    for bad in ["0", "-1", "121", "soon"] {
        let err = parse(&[("WEATHER_TIMEOUT_SECONDS", bad)]).unwrap_err();
        assert_eq!(err.name, "WEATHER_TIMEOUT_SECONDS", "{bad}");
    }
}

#[test]
fn the_user_agent_names_a_contact_when_one_is_known() {
    let app = concat!("rust-mcp-functions/", env!("CARGO_PKG_VERSION"));
    assert_eq!(parse(&[]).unwrap().weather.user_agent, app);
    assert_eq!(
        parse(&[("WEBSITE_HOSTNAME", "MyApp.azurewebsites.net")])
            .unwrap()
            .weather
            .user_agent,
        format!("{app} (https://myapp.azurewebsites.net)")
    );
    assert_eq!(
        parse(&[
            ("NWS_CONTACT", "ops@contoso.com"),
            ("WEBSITE_HOSTNAME", "myapp.azurewebsites.net")
        ])
        .unwrap()
        .weather
        .user_agent,
        format!("{app} (ops@contoso.com)")
    );
    assert_eq!(
        parse(&[("NWS_CONTACT", "a\tb")]).unwrap_err().name,
        "NWS_CONTACT"
    );
}

#[test]
fn empty_values_count_as_unset() {
    let config = parse(&[
        ("FUNCTIONS_CUSTOMHANDLER_PORT", ""),
        ("WEBSITE_HOSTNAME", " "),
    ])
    .unwrap();
    assert_eq!(config.port.source, PortSource::Default);
    assert_eq!(config.allowed_hosts.len(), 3);
}
