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
fn defaults_need_no_azure_and_reach_the_public_apis() {
    let config = parse(&[]).unwrap();
    assert_eq!(config.hosting.port.number, 7071);
    assert_eq!(
        config.storage,
        StorageConfig::Local {
            dir: ".snippets".into()
        }
    );
    assert_eq!(
        config.weather.nws_base_url.as_str(),
        "https://api.weather.gov/"
    );
}

#[test]
fn snippet_limits_are_whole_numbers_within_bounds() {
    let defaults = parse(&[]).unwrap().snippet_limits;
    assert_eq!(
        defaults,
        SnippetLimits {
            max_count: DEFAULT_SNIPPETS_MAX_COUNT,
            max_bytes: DEFAULT_SNIPPETS_MAX_TOTAL_BYTES
        }
    );
    let set = parse(&[
        ("SNIPPETS_MAX_COUNT", " 3 "),
        ("SNIPPETS_MAX_TOTAL_BYTES", "4096"),
    ])
    .unwrap()
    .snippet_limits;
    assert_eq!((set.max_count, set.max_bytes), (3, 4096));
    for (name, bad) in [
        ("SNIPPETS_MAX_COUNT", "0"),
        ("SNIPPETS_MAX_COUNT", "-1"),
        ("SNIPPETS_MAX_COUNT", "1.5"),
        ("SNIPPETS_MAX_COUNT", "100001"),
        ("SNIPPETS_MAX_TOTAL_BYTES", "10MB"),
        ("SNIPPETS_MAX_TOTAL_BYTES", "0"),
    ] {
        let err = parse(&[(name, bad)]).unwrap_err();
        assert_eq!(err.name, name, "{bad}");
        assert!(err.reason.contains("whole number"), "{}", err.reason);
    }
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
    let config = parse(&[("NWS_API_BASE_URL", " "), ("WEATHER_TIMEOUT_SECONDS", "")]).unwrap();
    assert_eq!(
        config.weather.nws_base_url.as_str(),
        "https://api.weather.gov/"
    );
    assert_eq!(config.weather.timeout, DEFAULT_WEATHER_TIMEOUT);
}

#[test]
fn the_request_state_key_is_long_enough_and_never_echoed() {
    assert!(matches!(
        parse(&[]).unwrap().request_state_key,
        RequestStateKey::PerProcess
    ));
    let key = "k".repeat(32);
    assert!(matches!(
        parse(&[("MCP_REQUEST_STATE_KEY", &key)])
            .unwrap()
            .request_state_key,
        RequestStateKey::Shared(_)
    ));
    let err = parse(&[("MCP_REQUEST_STATE_KEY", "short-secret-value")]).unwrap_err();
    assert_eq!(err.name, "MCP_REQUEST_STATE_KEY");
    assert!(!err.to_string().contains("short-secret-value"), "{err}");
    assert!(err.to_string().contains("18 bytes"), "{err}");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Every setting the server reads.
    const SETTINGS: &[&str] = &[
        "FUNCTIONS_CUSTOMHANDLER_PORT",
        "MCP_ALLOWED_HOSTS",
        "MCP_ALLOWED_ORIGINS",
        "LOG_FORMAT",
        "RUST_LOG",
        "NWS_API_BASE_URL",
        "NWS_CONTACT",
        "OPEN_METEO_GEOCODING_URL",
        "OPEN_METEO_FORECAST_URL",
        "WEATHER_TIMEOUT_SECONDS",
        "AzureWebJobsStorage",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "SNIPPETS_CONTAINER",
        "SNIPPETS_DIR",
        "SNIPPETS_SCOPE",
        "SNIPPETS_MAX_COUNT",
        "SNIPPETS_MAX_TOTAL_BYTES",
        "WEBSITE_AUTH_ENABLED",
        "WEBSITE_AUTH_CLIENT_ID",
        "WEBSITE_AUTH_AAD_ALLOWED_TENANTS",
        "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "TOKEN_EXCHANGE_AUDIENCE",
        "TokenExchangeAudience",
        "AZURE_AUTHORITY_HOST",
        "GRAPH_API_BASE_URL",
        "GRAPH_TIMEOUT_SECONDS",
        "WEBSITE_HOSTNAME",
        "WEBSITE_INSTANCE_ID",
        "MCP_REQUEST_STATE_KEY",
    ];

    /// Settings whose values are (or hold) secrets, which an error never quotes.
    /// Other settings' errors quote the value, so the operator sees the typo.
    const SECRET_SETTINGS: &[&str] = &[
        "AzureWebJobsStorage",
        "MCP_REQUEST_STATE_KEY",
        "IDENTITY_HEADER",
    ];

    /// A secret, as an account key or a SAS signature.
    const SECRET: &str = "S3cr3tK3yV4lu3==";

    /// What an operator (or a typo) could put in a setting.
    fn value() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            Just(format!("AccountKey={SECRET}")),
            Just(format!("SharedAccessSignature=sv=2024&sig={SECRET}")),
            "(AccountName|BlobEndpoint|DefaultEndpointsProtocol|EndpointSuffix|UseDevelopmentStorage)=[^;]{0,24}",
            "[^;]{0,12}",
        ];
        prop_oneof![
            proptest::collection::vec(part, 0..5).prop_map(|parts| parts.join(";")),
            "(https?|ftp)://[a-z0-9.:\\[\\]@%/-]{0,30}",
            "-?[0-9]{0,6}(\\.[0-9]{0,4})?",
            "[0-9a-fA-F-]{30,40}(,[a-z.]{0,12})?",
            ".{0,40}",
        ]
    }

    proptest! {
        #![proptest_config(crate::property::config())]

        /// Any settings start the server or stop it naming the setting at fault;
        /// never a panic, and a secret is never quoted back.
        #[test]
        fn fuzz_settings(settings in proptest::collection::btree_map(
            proptest::sample::select(SETTINGS), value(), 0..8,
        )) {
            match Config::from_lookup(|name| settings.get(name).cloned()) {
                Ok(_) => {}
                Err(error) => {
                    prop_assert!(SETTINGS.contains(&error.name), "{}", error.name);
                    if SECRET_SETTINGS.contains(&error.name) {
                        prop_assert!(!error.to_string().contains(SECRET), "{}", error);
                    }
                }
            }
        }
    }
}
