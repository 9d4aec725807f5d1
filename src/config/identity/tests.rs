use std::collections::HashMap;

use super::*;
use crate::config::Config;

/// Parses like `Config::from_lookup` does: empty values count as unset.
fn identity(vars: &[(&str, &str)]) -> Result<IdentityConfig, ConfigError> {
    let vars: HashMap<&str, &str> = vars.iter().copied().collect();
    IdentityConfig::from_lookup(&|name: &str| {
        vars.get(name)
            .map(|v| (*v).to_owned())
            .filter(|v| !v.trim().is_empty())
    })
}

const CLIENT_ID: &str = "535fb089-9ff3-47b6-9bfb-4f1264799865";
const MI_CLIENT_ID: &str = "7e2f0c7c-0000-4000-8000-00000000c11d";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// What App Service and our Bicep set on a deployed app in entra mode.
fn deployed() -> Vec<(&'static str, &'static str)> {
    vec![
        ("WEBSITE_AUTH_ENABLED", "True"),
        ("WEBSITE_AUTH_CLIENT_ID", CLIENT_ID),
        ("WEBSITE_AUTH_AAD_ALLOWED_TENANTS", TENANT),
        ("OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID", MI_CLIENT_ID),
        ("IDENTITY_ENDPOINT", "http://localhost:4141/msi/token"),
        ("IDENTITY_HEADER", "853b9a84-5bfa-4b22-a3f3-0b9a43d9ad8a"),
        ("WEBSITE_HOSTNAME", "MyApp.azurewebsites.net"),
    ]
}

fn ready(vars: &[(&str, &str)]) -> OboConfig {
    match identity(vars).unwrap().obo {
        OboSetup::Ready(obo) => *obo,
        OboSetup::Unavailable { missing } => panic!("unavailable, missing {missing:?}"),
    }
}

#[test]
fn locally_nothing_is_trusted_and_graph_is_unavailable() {
    let config = identity(&[]).unwrap();
    assert!(!config.trust_principal_headers);
    assert_eq!(config.graph_timeout, DEFAULT_GRAPH_TIMEOUT);
    assert_eq!(config.consent_url, None);
    let OboSetup::Unavailable { missing } = &config.obo else {
        panic!("{config:?}");
    };
    assert_eq!(
        missing,
        &[
            "WEBSITE_AUTH_CLIENT_ID",
            "WEBSITE_AUTH_AAD_ALLOWED_TENANTS",
            "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID",
            "IDENTITY_ENDPOINT",
            "IDENTITY_HEADER",
        ]
    );
    assert!(config.to_string().contains("principal headers ignored"));
}

#[test]
fn headers_are_trusted_only_when_auth_is_enabled() {
    for (value, trusted) in [
        ("True", true),
        ("true", true),
        (" TRUE ", true),
        ("False", false),
        ("1", false),
        ("yes", false),
    ] {
        let config = identity(&[("WEBSITE_AUTH_ENABLED", value)]).unwrap();
        assert_eq!(config.trust_principal_headers, trusted, "{value:?}");
    }
}

#[test]
fn a_deployed_app_is_ready_for_the_exchange() {
    let config = identity(&deployed()).unwrap();
    assert!(config.trust_principal_headers);
    assert_eq!(
        config.consent_url.as_deref(),
        Some(
            "https://myapp.azurewebsites.net/.auth/login/aad?post_login_redirect_uri=/authcomplete"
        )
    );
    let OboSetup::Ready(obo) = &config.obo else {
        panic!("{config:?}");
    };
    assert_eq!(obo.client_id, CLIENT_ID);
    assert_eq!(obo.tenant, TENANT);
    assert_eq!(obo.managed_identity_client_id, MI_CLIENT_ID);
    assert_eq!(obo.token_exchange_audience, "api://AzureADTokenExchange");
    assert_eq!(
        obo.token_endpoint(None),
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(obo.graph_scope(), "https://graph.microsoft.com/User.Read");
    assert_eq!(obo.graph_me_url(), "https://graph.microsoft.com/v1.0/me");
    // The start-up line names the app and tenant, never the identity header.
    let line = config.to_string();
    assert!(line.contains(CLIENT_ID), "{line}");
    assert!(!line.contains("853b9a84"), "{line}");
    assert!(!format!("{config:?}").contains("853b9a84"));
}

#[test]
fn sovereign_clouds_set_their_own_hosts_and_audience() {
    let mut vars = deployed();
    vars.extend([
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"),
        ("GRAPH_API_BASE_URL", "https://graph.microsoft.us"),
        ("TOKEN_EXCHANGE_AUDIENCE", "api://AzureADTokenExchangeUSGov"),
    ]);
    let obo = ready(&vars);
    assert_eq!(
        obo.token_endpoint(None),
        format!("https://login.microsoftonline.us/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(obo.graph_scope(), "https://graph.microsoft.us/User.Read");
    assert_eq!(obo.graph_me_url(), "https://graph.microsoft.us/v1.0/me");
    assert_eq!(
        obo.token_exchange_audience,
        "api://AzureADTokenExchangeUSGov"
    );
}

#[test]
fn the_samples_audience_setting_is_understood() {
    let mut vars = deployed();
    vars.push(("TokenExchangeAudience", "api://AzureADTokenExchangeChina"));
    assert_eq!(
        ready(&vars).token_exchange_audience,
        "api://AzureADTokenExchangeChina"
    );
}

#[test]
fn a_caller_is_exchanged_in_their_own_tenant_when_it_is_allowed() {
    const OTHER: &str = "3b0e2b5a-6c55-4c83-9d54-8e6d2f1a7b90";
    let mut vars: Vec<(&str, &str)> = deployed();
    vars.retain(|(k, _)| *k != "WEBSITE_AUTH_AAD_ALLOWED_TENANTS");
    let allowed = format!(" Contoso.onmicrosoft.com, {}", OTHER.to_ascii_uppercase());
    vars.push(("WEBSITE_AUTH_AAD_ALLOWED_TENANTS", &allowed));
    let obo = ready(&vars);
    assert_eq!(obo.tenant, "contoso.onmicrosoft.com");
    assert_eq!(obo.tenant_for(Some(OTHER)), OTHER);
    assert!(
        obo.token_endpoint(Some(OTHER))
            .ends_with(&format!("/{OTHER}/oauth2/v2.0/token"))
    );
    // A tenant not in the list, or none: the first.
    assert_eq!(obo.tenant_for(Some(TENANT)), "contoso.onmicrosoft.com");
    assert_eq!(obo.tenant_for(None), "contoso.onmicrosoft.com");
}

#[test]
fn bad_values_name_their_variable() {
    for (name, bad) in [
        ("WEBSITE_AUTH_CLIENT_ID", "not-a-guid"),
        (
            "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID",
            "{7e2f0c7c-0000-4000-8000-00000000c11d}",
        ),
        ("WEBSITE_AUTH_AAD_ALLOWED_TENANTS", "../common"),
        ("WEBSITE_AUTH_AAD_ALLOWED_TENANTS", ","),
        ("WEBSITE_AUTH_AAD_ALLOWED_TENANTS", "contoso.com, ../common"),
        ("IDENTITY_ENDPOINT", "localhost:4141"),
        ("TOKEN_EXCHANGE_AUDIENCE", "api://Azure AD"),
        ("TokenExchangeAudience", "no-scheme"),
        ("AZURE_AUTHORITY_HOST", "login.microsoftonline.com"),
        ("GRAPH_API_BASE_URL", "ftp://graph.microsoft.com"),
        ("GRAPH_TIMEOUT_SECONDS", "0"),
        ("GRAPH_TIMEOUT_SECONDS", "61"),
        ("GRAPH_TIMEOUT_SECONDS", "soon"),
    ] {
        let err = identity(&[(name, bad)]).unwrap_err();
        assert_eq!(err.name, name, "{bad:?}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
    }
}

#[test]
fn the_graph_timeout_is_configurable() {
    let config = identity(&[("GRAPH_TIMEOUT_SECONDS", "0.5")]).unwrap();
    assert_eq!(config.graph_timeout, Duration::from_millis(500));
}

#[test]
fn client_ids_are_kept_in_lowercase() {
    let mut vars = deployed();
    vars.retain(|(k, _)| *k != "WEBSITE_AUTH_CLIENT_ID");
    let upper = CLIENT_ID.to_ascii_uppercase();
    vars.push(("WEBSITE_AUTH_CLIENT_ID", &upper));
    assert_eq!(ready(&vars).client_id, CLIENT_ID);
}

#[test]
fn snippets_scope_is_shared_or_user() {
    let scope = |vars: &[(&str, &str)]| {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        SnippetsScope::from_lookup(&|name: &str| vars.get(name).map(|v| (*v).to_owned()))
    };
    assert_eq!(scope(&[]).unwrap(), SnippetsScope::Shared);
    assert_eq!(
        scope(&[("SNIPPETS_SCOPE", "shared")]).unwrap(),
        SnippetsScope::Shared
    );
    assert_eq!(
        scope(&[("SNIPPETS_SCOPE", " User ")]).unwrap(),
        SnippetsScope::User
    );
    let err = scope(&[("SNIPPETS_SCOPE", "private")]).unwrap_err();
    assert_eq!(err.name, "SNIPPETS_SCOPE");
    assert!(err.to_string().contains("\"private\""), "{err}");
}

#[test]
fn config_carries_the_scope_and_identity() {
    let vars: HashMap<&str, &str> = [("SNIPPETS_SCOPE", "user"), ("WEBSITE_AUTH_ENABLED", "True")]
        .into_iter()
        .collect();
    let config = Config::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())).unwrap();
    assert_eq!(config.snippets_scope, SnippetsScope::User);
    assert!(config.identity.trust_principal_headers);
    let defaults = Config::from_lookup(|_| None).unwrap();
    assert_eq!(defaults.snippets_scope, SnippetsScope::Shared);
    assert!(!defaults.identity.trust_principal_headers);
}
