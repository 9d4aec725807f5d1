//! Step 2: the auth layer in front of the server behaves as the deployment's
//! `MCP_AUTH_MODE` says, without credentials and with them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Check, is_gateway_error, is_host_refusal};
use crate::{
    args::AuthMode,
    client::{Answer, initialize_params},
    report::{Failure, Step},
};

pub const STEP: Step = Step {
    number: 2,
    name: "auth",
};

/// The Azure CLI's client id, which the app must pre-authorize to hand it tokens.
const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

pub enum Auth {
    /// Refused without credentials as configured, and let through with them.
    Through(String),
    /// The unauthenticated half passed; there was no credential to try the other half.
    Unverified { detail: String, why: String },
}

/// POSTs `initialize` without credentials and judges the answer by the auth mode;
/// then, with credentials, checks that the auth layer lets the same request through.
pub async fn check(
    check: &Check<'_>,
    ready: &Answer,
    missing: Option<&str>,
) -> Result<Auth, Failure> {
    let anonymous = post_initialize(check, false).await?;
    let status = anonymous.status;
    if status.is_redirection() {
        return Err(redirected(&anonymous));
    }
    if is_gateway_error(status) || status == StatusCode::NOT_FOUND || is_host_refusal(&anonymous) {
        return Err(check.status_failure("POST /mcp without credentials", &anonymous, ready));
    }
    let detail = match check.args.auth {
        AuthMode::None => {
            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                return Err(closed_in_none_mode(check, &anonymous));
            }
            return Ok(Auth::Through(format!(
                "open: POST /mcp without credentials answered HTTP {status}, as MCP_AUTH_MODE=none intends (anyone with the URL can call the tools)"
            )));
        }
        AuthMode::Key => {
            if status != StatusCode::UNAUTHORIZED {
                return Err(key_not_enforced(check, &anonymous));
            }
            "without a key: 401".to_owned()
        }
        AuthMode::Entra => resource_metadata(check, &anonymous).await?,
    };
    let Some(credential) = check.http.credential() else {
        return Ok(Auth::Unverified {
            detail,
            why: missing.unwrap_or("no credential").to_owned(),
        });
    };
    let answer = post_initialize(check, true).await?;
    if matches!(
        answer.status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    ) && !is_host_refusal(&answer)
    {
        return Err(credential_refused(check, &answer));
    }
    Ok(Auth::Through(format!(
        "{detail}; with {}: through (HTTP {})",
        credential.describe(),
        answer.status
    )))
}

async fn post_initialize(check: &Check<'_>, authenticated: bool) -> Result<Answer, Failure> {
    let message = json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize_params(),
    });
    check
        .http
        .post_mcp(&check.mcp_url, &message, None, authenticated)
        .await
        .map_err(|e| {
            Failure::new(
                format!("no answer to POST /mcp: {e}"),
                &["GET / answered, but POST /mcp did not: run the check again; if it persists, the host's log says why (Application Insights, table traces)."],
            )
        })
}

/// Entra mode: 401 whose `WWW-Authenticate` names the Protected Resource Metadata,
/// and that document names an authorization server. Returns the step's detail.
async fn resource_metadata(check: &Check<'_>, anonymous: &Answer) -> Result<String, Failure> {
    let status = anonymous.status;
    if status != StatusCode::UNAUTHORIZED {
        return Err(Failure::with_fix(
            format!("POST /mcp without a token answered HTTP {status}, not 401: built-in authentication is not in effect"),
            vec![
                "MCP_AUTH_MODE=entra turns on App Service built-in authentication, which answers 401 to a request without a token.".to_owned(),
                format!("Is it on? az webapp auth show -g {} -n {} --query platform.enabled", check.group(), check.app()),
                "If not: azd env set MCP_AUTH_MODE entra, then azd provision.".to_owned(),
            ],
        ));
    }
    let challenge = anonymous.header("www-authenticate").unwrap_or("");
    let Some(metadata_url) = resource_metadata_url(challenge) else {
        let seen = if challenge.is_empty() {
            "no WWW-Authenticate header".to_owned()
        } else {
            format!("WWW-Authenticate: {challenge}")
        };
        return Err(Failure::with_fix(
            format!("401 without a token, but without resource_metadata ({seen}): MCP clients cannot find where to sign in"),
            vec![
                "Built-in authentication names the Protected Resource Metadata (resource_metadata=\".../.well-known/oauth-protected-resource\") in WWW-Authenticate when the app setting WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES is set.".to_owned(),
                format!("Check it: az functionapp config appsettings list -g {} -n {} --query \"[?name=='WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES']\"", check.group(), check.app()),
                "Missing: azd provision (with MCP_AUTH_MODE=entra) sets it.".to_owned(),
                "Present: the 401 comes from elsewhere, e.g. the function-key check of MCP_AUTH_MODE=key (AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel=function) is still set.".to_owned(),
            ],
        ));
    };
    let document = check.http.get(&metadata_url, false).await;
    let servers = document.as_ref().ok().and_then(|answer| {
        let json: Value = serde_json::from_str(&answer.body).ok()?;
        let first = json["authorization_servers"]
            .as_array()?
            .first()?
            .as_str()?;
        Some(first.to_owned())
    });
    match (document, servers) {
        (Ok(_), Some(server)) => Ok(format!(
            "without a token: 401, WWW-Authenticate names {metadata_url} (authorization server {server})"
        )),
        (Ok(answer), None) => Err(Failure::new(
            format!(
                "the resource metadata {metadata_url} answered HTTP {} without authorization_servers: {}",
                answer.status,
                answer.excerpt()
            ),
            &[
                "Built-in authentication serves this document from WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES: check that setting, then azd provision.",
            ],
        )),
        (Err(e), _) => Err(Failure::new(
            format!("the resource metadata {metadata_url} did not answer: {e}"),
            &["MCP clients fetch this document to sign in: it must be reachable without a token."],
        )),
    }
}

fn closed_in_none_mode(check: &Check<'_>, answer: &Answer) -> Failure {
    Failure::with_fix(
        format!(
            "POST /mcp without credentials answered HTTP {}, but --auth none expects it open",
            answer.status
        ),
        vec![
            "Deployed with MCP_AUTH_MODE key or entra? Run the check with --auth key or --auth entra (scripts/smoke.sh reads the mode from azd).".to_owned(),
            format!("Deployed with none: built-in authentication from an earlier entra deployment is still on (a redeployment does not remove it): az webapp auth update -g {} -n {} --enabled false", check.group(), check.app()),
        ],
    )
}

fn key_not_enforced(check: &Check<'_>, answer: &Answer) -> Failure {
    Failure::with_fix(
        format!(
            "POST /mcp without a function key answered HTTP {}, not 401: the key check is not in effect",
            answer.status
        ),
        vec![
            "Key mode sets the app setting AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel=function, which must override host.json's anonymous level.".to_owned(),
            format!("Check it: az functionapp config appsettings list -g {} -n {} --query \"[?name=='AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel']\"", check.group(), check.app()),
            "Missing: azd env set MCP_AUTH_MODE key, then azd provision. Present but not enforced: this host does not honour the override; use MCP_AUTH_MODE=entra.".to_owned(),
        ],
    )
}

/// 401 or 403 to a request that carried the credential (at this step or a later one).
pub(super) fn credential_refused(check: &Check<'_>, answer: &Answer) -> Failure {
    let status = answer.status;
    match check.args.auth {
        AuthMode::Key => Failure::with_fix(
            format!("POST /mcp with the function key answered HTTP {status}: the key was refused"),
            vec![
                "The key may be stale or belong to another app. Fetch the current one (or unset MCP_FUNCTION_KEY and let the check fetch it):".to_owned(),
                format!("az functionapp keys list -g {} -n {} --query functionKeys.default -o tsv", check.group(), check.app()),
            ],
        ),
        _ if status == StatusCode::FORBIDDEN => Failure::with_fix(
            "POST /mcp with the bearer token answered HTTP 403: the token's client is not allowed to call the app",
            vec![
                "Built-in authentication accepts tokens from the app itself and from the clients in PRE_AUTHORIZED_CLIENT_IDS and ALLOWED_CLIENT_APP_IDS.".to_owned(),
                format!("Add the client (the Azure CLI is {AZURE_CLI_CLIENT_ID}), e.g. azd env set PRE_AUTHORIZED_CLIENT_IDS aebc6443-996d-45c2-90f0-388ff96faa56,{AZURE_CLI_CLIENT_ID}, then azd provision."),
            ],
        ),
        _ => Failure::with_fix(
            format!(
                "POST /mcp with the bearer token answered HTTP {status}: the token was refused ({})",
                answer.header("www-authenticate").unwrap_or("no WWW-Authenticate")
            ),
            vec![
                "The token must be for this app: scope $(azd env get-value ENTRA_IDENTIFIER_URI)/user_impersonation, from this tenant, and not expired.".to_owned(),
                "Get one with: az account get-access-token --scope \"$(azd env get-value ENTRA_IDENTIFIER_URI)/user_impersonation\" --query accessToken -o tsv".to_owned(),
            ],
        ),
    }
}

pub(super) fn redirected(answer: &Answer) -> Failure {
    Failure::new(
        format!(
            "POST /mcp answered HTTP {} (a redirect to {}), where MCP clients need 401",
            answer.status,
            answer.header("location").unwrap_or("nowhere")
        ),
        &[
            "Built-in authentication redirects to a sign-in page instead of answering 401: set its unauthenticated action to Return401 (infra/modules/function-app.bicep does), then azd provision.",
        ],
    )
}

/// `resource_metadata="..."` from a `WWW-Authenticate` challenge (RFC 9728).
fn resource_metadata_url(challenge: &str) -> Option<String> {
    let rest = challenge.split("resource_metadata=").nth(1)?;
    let url = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split([',', ' ']).next()?,
    };
    (!url.is_empty()).then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_metadata_url_is_read_from_the_challenge() {
        for (challenge, expected) in [
            (
                r#"Bearer resource_metadata="https://a.example/.well-known/oauth-protected-resource""#,
                Some("https://a.example/.well-known/oauth-protected-resource"),
            ),
            (
                r#"Bearer realm="a", resource_metadata="https://a.example/prm", scope="x""#,
                Some("https://a.example/prm"),
            ),
            (
                "Bearer resource_metadata=https://a.example/prm, error=x",
                Some("https://a.example/prm"),
            ),
            ("Bearer realm=\"a\"", None),
            ("", None),
        ] {
            assert_eq!(
                resource_metadata_url(challenge).as_deref(),
                expected,
                "{challenge}"
            );
        }
    }
}
