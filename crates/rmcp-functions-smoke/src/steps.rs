//! The five steps, and the diagnosis for each way they fail. The README's failure table
//! ("After `azd up`") quotes these diagnoses; `tests/api/smoke.rs` provokes each one.

use std::{
    hash::{BuildHasher, RandomState},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    args::{Args, AuthMode},
    client::{Answer, Http, Mcp, McpError, PROTOCOL_VERSION, SendError},
    report::Failure,
};

/// This server's name in `initialize`.
const SERVER_NAME: &str = "rust-mcp-functions";
/// The tools step 4 calls; `tools/list` must list them.
const TOOLS_CALLED: [&str; 4] = [
    "get_alerts",
    "save_snippet",
    "get_snippet",
    "delete_snippet",
];
/// The azd variable that switches the Flex runtime stack (infra/main.parameters.json).
const RUNTIME_SWITCH: &str = "azd env set FLEX_RUNTIME node";
/// The Azure CLI's client id, which the app must pre-authorize to hand it tokens.
const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

pub enum Auth {
    /// Refused without credentials as configured, and let through with them.
    Through(String),
    /// The unauthenticated half passed; there was no credential to try the other half.
    Unverified { detail: String, why: String },
}

pub struct Check<'a> {
    args: &'a Args,
    http: &'a Http,
    ready_url: String,
    mcp_url: String,
}

impl<'a> Check<'a> {
    pub fn new(args: &'a Args, http: &'a Http, base: &str) -> Self {
        Self {
            args,
            http,
            ready_url: format!("{base}/"),
            mcp_url: format!("{base}/mcp"),
        }
    }

    fn group(&self) -> &str {
        self.args
            .resource_group
            .as_deref()
            .unwrap_or("<resource group>")
    }

    fn app(&self) -> &str {
        self.args.app.as_deref().unwrap_or("<function app>")
    }

    // ---- step 1 -------------------------------------------------------------------

    /// `GET /` (with credentials, if any), retried while the app cold-starts: on no
    /// answer, a timeout, or 502/503/504 from the platform, until `--wait` runs out.
    /// The answer is kept: step 5 reads the Host line the handler put in it.
    pub async fn reachable(&self) -> Result<(Answer, String), Failure> {
        let started = Instant::now();
        let deadline = started + self.args.wait;
        let mut pause = (self.args.wait / 4).min(Duration::from_secs(1));
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = self.http.get(&self.ready_url, true).await;
            let retry = match &outcome {
                Ok(answer) => is_gateway_error(answer.status),
                Err(_) => true,
            };
            let now = Instant::now();
            if !retry || now >= deadline {
                let spent = format!(
                    "{attempts} attempt{} over {:.1} s",
                    if attempts == 1 { "" } else { "s" },
                    now.duration_since(started).as_secs_f64()
                );
                return match outcome {
                    Ok(answer) if !retry => {
                        let detail = format!("GET / answered HTTP {} ({spent})", answer.status);
                        Ok((answer, detail))
                    }
                    Ok(answer) => Err(self.handler_not_started("GET /", &answer, &spent)),
                    Err(error) => Err(self.unreachable(&error, &spent)),
                };
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    }

    fn unreachable(&self, error: &SendError, spent: &str) -> Failure {
        let wait = self.args.wait.as_secs_f64();
        match error {
            SendError::Timeout => Failure::with_fix(
                format!(
                    "no answer to GET / within {} s per request ({spent}; cold-start allowance {wait} s)",
                    self.args.timeout.as_secs_f64()
                ),
                vec![
                    "The app accepted no request in time: it may be stopped, still starting, or out of reach from here (a firewall, a proxy, private networking).".to_owned(),
                    format!("Is it running? az functionapp show -g {} -n {} --query state -o tsv", self.group(), self.app()),
                    "A slower first start than the allowance: run the check again, or raise it with --wait SECONDS.".to_owned(),
                    format!("Still nothing: look at the host's log (Application Insights, table traces): {}", self.log_query()),
                ],
            ),
            SendError::Failed(reason) => Failure::with_fix(
                format!("cannot connect ({spent}): {reason}"),
                vec![
                    "Check the URL: azd env get-value MCP_URL prints the deployed one.".to_owned(),
                    "A DNS error means no app has this name (deleted, or another azd environment is selected: azd env list); a refused or reset connection means nothing listens there.".to_owned(),
                ],
            ),
        }
    }

    // ---- step 2 -------------------------------------------------------------------

    /// POSTs `initialize` without credentials and judges the answer by the auth mode;
    /// then, with credentials, checks that the auth layer lets the same request through.
    pub async fn auth(&self, ready: &Answer, missing: Option<&str>) -> Result<Auth, Failure> {
        let anonymous = self.post_initialize(false).await?;
        let status = anonymous.status;
        if status.is_redirection() {
            return Err(self.redirected(&anonymous));
        }
        if is_gateway_error(status)
            || status == StatusCode::NOT_FOUND
            || is_host_refusal(&anonymous)
        {
            return Err(self.status_failure("POST /mcp without credentials", &anonymous, ready));
        }
        let detail = match self.args.auth {
            AuthMode::None => {
                if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                    return Err(self.closed_in_none_mode(&anonymous));
                }
                return Ok(Auth::Through(format!(
                    "open: POST /mcp without credentials answered HTTP {status}, as MCP_AUTH_MODE=none intends (anyone with the URL can call the tools)"
                )));
            }
            AuthMode::Key => {
                if status != StatusCode::UNAUTHORIZED {
                    return Err(self.key_not_enforced(&anonymous));
                }
                "without a key: 401".to_owned()
            }
            AuthMode::Entra => self.resource_metadata(&anonymous).await?,
        };
        let Some(credential) = self.http.credential() else {
            return Ok(Auth::Unverified {
                detail,
                why: missing.unwrap_or("no credential").to_owned(),
            });
        };
        let answer = self.post_initialize(true).await?;
        if matches!(
            answer.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) && !is_host_refusal(&answer)
        {
            return Err(self.credential_refused(&answer));
        }
        Ok(Auth::Through(format!(
            "{detail}; with {}: through (HTTP {})",
            credential.describe(),
            answer.status
        )))
    }

    async fn post_initialize(&self, authenticated: bool) -> Result<Answer, Failure> {
        let message = json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "rust-mcp-functions-smoke", "version": env!("CARGO_PKG_VERSION")},
            },
        });
        self.http
            .post_mcp(&self.mcp_url, &message, None, authenticated)
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
    async fn resource_metadata(&self, anonymous: &Answer) -> Result<String, Failure> {
        let status = anonymous.status;
        if status != StatusCode::UNAUTHORIZED {
            return Err(Failure::with_fix(
                format!("POST /mcp without a token answered HTTP {status}, not 401: built-in authentication is not in effect"),
                vec![
                    "MCP_AUTH_MODE=entra turns on App Service built-in authentication, which answers 401 to a request without a token.".to_owned(),
                    format!("Is it on? az webapp auth show -g {} -n {} --query platform.enabled", self.group(), self.app()),
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
                    format!("Check it: az functionapp config appsettings list -g {} -n {} --query \"[?name=='WEBSITE_AUTH_PRM_DEFAULT_WITH_SCOPES']\"", self.group(), self.app()),
                    "Missing: azd provision (with MCP_AUTH_MODE=entra) sets it.".to_owned(),
                    "Present: the 401 comes from elsewhere, e.g. the function-key check of MCP_AUTH_MODE=key (AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel=function) is still set.".to_owned(),
                ],
            ));
        };
        let document = self.http.get(&metadata_url, false).await;
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
                &[
                    "MCP clients fetch this document to sign in: it must be reachable without a token.",
                ],
            )),
        }
    }

    fn closed_in_none_mode(&self, answer: &Answer) -> Failure {
        Failure::with_fix(
            format!(
                "POST /mcp without credentials answered HTTP {}, but --auth none expects it open",
                answer.status
            ),
            vec![
                "Deployed with MCP_AUTH_MODE key or entra? Run the check with --auth key or --auth entra (scripts/smoke.sh reads the mode from azd).".to_owned(),
                format!("Deployed with none: built-in authentication from an earlier entra deployment is still on (a redeployment does not remove it): az webapp auth update -g {} -n {} --enabled false", self.group(), self.app()),
            ],
        )
    }

    fn key_not_enforced(&self, answer: &Answer) -> Failure {
        Failure::with_fix(
            format!(
                "POST /mcp without a function key answered HTTP {}, not 401: the key check is not in effect",
                answer.status
            ),
            vec![
                "Key mode sets the app setting AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel=function, which must override host.json's anonymous level.".to_owned(),
                format!("Check it: az functionapp config appsettings list -g {} -n {} --query \"[?name=='AzureFunctionsJobHost__customHandler__http__defaultAuthorizationLevel']\"", self.group(), self.app()),
                "Missing: azd env set MCP_AUTH_MODE key, then azd provision. Present but not enforced: this host does not honour the override; use MCP_AUTH_MODE=entra.".to_owned(),
            ],
        )
    }

    fn credential_refused(&self, answer: &Answer) -> Failure {
        let status = answer.status;
        match self.args.auth {
            AuthMode::Key => Failure::with_fix(
                format!("POST /mcp with the function key answered HTTP {status}: the key was refused"),
                vec![
                    "The key may be stale or belong to another app. Fetch the current one (or unset MCP_FUNCTION_KEY and let the check fetch it):".to_owned(),
                    format!("az functionapp keys list -g {} -n {} --query functionKeys.default -o tsv", self.group(), self.app()),
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

    fn redirected(&self, answer: &Answer) -> Failure {
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

    // ---- step 3 -------------------------------------------------------------------

    pub fn mcp_session(&self) -> Mcp<'a> {
        Mcp::new(self.http, self.mcp_url.clone())
    }

    /// `initialize` and `tools/list` with credentials: this server, and the tools
    /// step 4 calls.
    pub async fn handshake(&self, mcp: &mut Mcp<'_>, ready: &Answer) -> Result<String, Failure> {
        let info = mcp
            .initialize()
            .await
            .map_err(|e| self.mcp_failure("initialize", e, ready))?;
        let name = info["serverInfo"]["name"].as_str().unwrap_or("(no name)");
        let version = info["serverInfo"]["version"].as_str().unwrap_or("?");
        if name != SERVER_NAME {
            return Err(Failure::new(
                format!("this endpoint is the MCP server {name:?} {version}, not {SERVER_NAME}"),
                &[
                    "The URL points at another app, or another package was deployed to this one.",
                    "Check the URL (azd env get-value MCP_URL) and redeploy this server: azd deploy (it uploads build/mcp-app.zip, built by scripts/package.sh).",
                ],
            ));
        }
        let listed = mcp
            .request("tools/list", json!({}))
            .await
            .map_err(|e| self.mcp_failure("tools/list", e, ready))?;
        let names: Vec<&str> = listed["tools"]
            .as_array()
            .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default();
        let missing: Vec<&str> = TOOLS_CALLED
            .into_iter()
            .filter(|tool| !names.contains(tool))
            .collect();
        if !missing.is_empty() {
            return Err(Failure::new(
                format!(
                    "tools/list lacks {}; it lists: {}",
                    missing.join(", "),
                    names.join(", ")
                ),
                &["This endpoint runs a build without these tools: redeploy with azd deploy."],
            ));
        }
        Ok(format!(
            "{name} {version} over {}; {} tools: {}",
            mcp.version(),
            names.len(),
            names.join(", ")
        ))
    }

    fn mcp_failure(&self, method: &str, error: McpError, ready: &Answer) -> Failure {
        match error {
            McpError::Send(e) => Failure::new(
                format!("no answer to {method}: {e}"),
                &[
                    "The endpoint answered before but not now: run the check again; if it persists, look at the host's log (Application Insights, table traces).",
                ],
            ),
            McpError::Status(answer) => {
                self.status_failure(&format!("POST /mcp {method}"), &answer, ready)
            }
            McpError::Rpc { code, message } => Failure::new(
                format!("{method} answered JSON-RPC error {code}: {message}"),
                &[
                    "The endpoint speaks MCP but refused the request: is it this server, and this version? azd deploy redeploys it.",
                ],
            ),
            McpError::Malformed(reason) => Failure::new(
                format!("{method}: {reason}"),
                &[
                    "Something other than the handler answers /mcp (a proxy, or another app): check the URL (azd env get-value MCP_URL).",
                ],
            ),
        }
    }

    /// The diagnosis for an HTTP status that stops the check at any step. `ready` is
    /// step 1's answer, which names the Host the handler saw.
    fn status_failure(&self, what: &str, answer: &Answer, ready: &Answer) -> Failure {
        let status = answer.status;
        if is_host_refusal(answer) {
            let seen = hosts_seen(&ready.body).map(|(host, _)| host);
            let value = seen.clone().unwrap_or_else(|| {
                self.ready_url
                    .split("://")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or("<host>")
                    .to_owned()
            });
            let source = if seen.is_some() {
                "the Host the handler saw (its GET / answer names it)"
            } else {
                "the URL's host; the handler did not report the Host it saw"
            };
            return Failure::with_fix(
                format!("{what} answered 403 \"Host header is not allowed\": the handler refused Host {value}"),
                vec![
                    format!("Allow it ({source}): azd env set MCP_ALLOWED_HOSTS {value}, then azd provision."),
                    "MCP_ALLOWED_HOSTS takes several values, comma-separated (host or host:port), e.g. for custom domains.".to_owned(),
                ],
            );
        }
        match status {
            StatusCode::NOT_FOUND => {
                let mut fix = vec![
                    "The Functions host does not route /mcp to the handler: the mcp-custom-handler configuration profile or the MCP preview flag is not in effect.".to_owned(),
                    "The deployed host.json must say \"configurationProfile\": \"mcp-custom-handler\": rebuild the package (scripts/package.sh) and azd deploy.".to_owned(),
                    format!("The app setting AzureWebJobsFeatureFlags must contain EnableMcpCustomHandlerPreview: az functionapp config appsettings list -g {} -n {} --query \"[?name=='AzureWebJobsFeatureFlags']\"; azd provision sets it.", self.group(), self.app()),
                ];
                if !ready.body.contains(SERVER_NAME) {
                    fix.push(format!(
                        "GET / did not come from the handler either (HTTP {}: {}).",
                        ready.status,
                        ready.excerpt()
                    ));
                }
                Failure::with_fix(format!("{what} answered 404 Not Found"), fix)
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => self.credential_refused(answer),
            status if is_gateway_error(status) => {
                self.handler_not_started(what, answer, "after step 1 succeeded")
            }
            status if status.is_redirection() => self.redirected(answer),
            status => Failure::new(
                format!("{what} answered HTTP {status}: {}", answer.excerpt()),
                &[
                    "Not an answer this server gives: something else answers this URL, or the handler failed. The host's log says more (Application Insights, table traces).",
                ],
            ),
        }
    }

    /// 502/503/504 from the platform: the host could not start the handler, or could
    /// not reach it.
    fn handler_not_started(&self, what: &str, answer: &Answer, spent: &str) -> Failure {
        Failure::with_fix(
            format!(
                "{what} answered HTTP {} ({spent}): the Functions host could not start the handler or reach it",
                answer.status
            ),
            vec![
                "The host's log says why: Application Insights, table traces (portal: the function app, Monitoring, Logs). From a shell:".to_owned(),
                self.log_query(),
                "Look for the host starting `handler` and what it wrote. \"Permission denied\" or \"Exec format error\": the package lost its mode 0755 or is not the static musl build (scripts/package.sh builds it).".to_owned(),
                format!("The host never starts the custom handler on the `custom` runtime stack: switch the stack, {RUNTIME_SWITCH}, then azd provision and azd deploy (the mcp-custom-handler profile runs the handler on any stack; README, \"Runtime stack\")."),
            ],
        )
    }

    fn log_query(&self) -> String {
        format!(
            "az monitor app-insights query --app {} --resource-group {} --offset 1h --analytics-query \"traces | project timestamp, severityLevel, message | order by timestamp desc | take 50\"",
            self.args
                .app_insights
                .as_deref()
                .unwrap_or("<Application Insights name>"),
            self.group()
        )
    }

    // ---- step 4 -------------------------------------------------------------------

    /// One real call per tool family: `get_alerts`, and a snippet round trip under a
    /// random name, so storage access is proven (the snippet is deleted even when
    /// reading it back fails).
    pub async fn tools(&self, mcp: &Mcp<'_>, ready: &Answer) -> Result<String, Failure> {
        let state = &self.args.state;
        let alerts = mcp
            .call_tool("get_alerts", json!({"state": state}))
            .await
            .map_err(|e| self.mcp_failure("tools/call get_alerts", e, ready))?;
        if alerts.is_error || !alerts.has_content {
            return Err(Failure::new(
                format!(
                    "get_alerts {state} answered an error: {}",
                    one_line(&alerts.text)
                ),
                &[
                    "The tool's message says which upstream failed (api.weather.gov) and why; an outage passes, so run the check again later. A refused state code: pass another with --state.",
                ],
            ));
        }

        let name = random_snippet_name();
        let text = format!("smoke check {name}");
        let saved = mcp
            .call_tool(
                "save_snippet",
                json!({"snippetname": name, "snippet": text, "overwrite": false}),
            )
            .await
            .map_err(|e| self.mcp_failure("tools/call save_snippet", e, ready))?;
        if saved.is_error {
            return Err(self.storage_failure("save_snippet", &saved.text));
        }
        let read = mcp
            .call_tool("get_snippet", json!({"snippetname": name}))
            .await;
        let deleted = mcp
            .call_tool("delete_snippet", json!({"snippetname": name}))
            .await;
        let read = read.map_err(|e| self.mcp_failure("tools/call get_snippet", e, ready))?;
        if read.is_error {
            return Err(self.storage_failure("get_snippet", &read.text));
        }
        if !read.text.contains(&text) {
            return Err(Failure::new(
                format!(
                    "get_snippet {name} did not return the text just saved: {}",
                    one_line(&read.text)
                ),
                &[
                    "Another instance read other storage than the one that wrote: every instance must use the same storage account (AzureWebJobsStorage__blobServiceUri) and container (SNIPPETS_CONTAINER).",
                ],
            ));
        }
        let deleted =
            deleted.map_err(|e| self.mcp_failure("tools/call delete_snippet", e, ready))?;
        if deleted.is_error {
            return Err(self.storage_failure("delete_snippet", &deleted.text));
        }
        Ok(format!(
            "get_alerts {state} answered; snippet {name} saved, read back and deleted"
        ))
    }

    fn storage_failure(&self, tool: &str, message: &str) -> Failure {
        let refused = [
            "AuthorizationPermissionMismatch",
            "AuthorizationFailure",
            "403",
        ]
        .into_iter()
        .find(|code| message.contains(code));
        let Some(code) = refused else {
            return Failure::new(
                format!("{tool} failed: {}", one_line(message)),
                &[
                    "Snippets live in the storage account that AzureWebJobsStorage__blobServiceUri names, container SNIPPETS_CONTAINER; the message says what failed (README, \"Snippet storage\").",
                ],
            );
        };
        Failure::with_fix(
            format!("{tool} failed ({code}): {}", one_line(message)),
            vec![
                "Storage refused the app (HTTP 403). The app reaches Blob Storage as its managed identity, which needs a data role on the storage account (Storage Blob Data Owner, assigned by infra/modules/rbac.bicep).".to_owned(),
                "AuthorizationPermissionMismatch: the role is missing or not in effect yet; a new role assignment can take up to 10 minutes, so run the check again (scripts/smoke.sh) before anything else.".to_owned(),
                format!("Still refused: az role assignment list --all --assignee $(az identity list -g {} --query [0].principalId -o tsv) -o table, then azd provision to restore the assignment.", self.group()),
                "AuthorizationFailure: a network rule refused the request; with VNET_ENABLED=true the account is reachable only through its private endpoint.".to_owned(),
            ],
        )
    }

    // ---- step 5 -------------------------------------------------------------------

    /// The Host and X-Forwarded-Host the handler saw, from its `GET /` answer.
    pub fn host_seen(&self, ready: &Answer) -> String {
        match hosts_seen(&ready.body) {
            Some((host, forwarded)) => {
                let name = host.rsplit_once(':').map_or(host.as_str(), |(n, _)| n);
                let note = if matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
                    " (loopback: always allowed)"
                } else {
                    ""
                };
                format!("the handler saw Host: {host}{note}; X-Forwarded-Host: {forwarded}")
            }
            None => {
                "not reported: the GET / answer has no Host line (a build older than this check)"
                    .to_owned()
            }
        }
    }
}

fn is_gateway_error(status: StatusCode) -> bool {
    matches!(status.as_u16(), 502..=504)
}

/// rmcp's refusal of a Host not on the allow-list (wrapped in a JSON-RPC error body).
fn is_host_refusal(answer: &Answer) -> bool {
    answer.status == StatusCode::FORBIDDEN && answer.body.contains("Host header is not allowed")
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

/// `(Host, X-Forwarded-Host)` from the handler's `GET /` answer (crates/rmcp-functions/src/handler.rs, `ready`).
fn hosts_seen(body: &str) -> Option<(String, String)> {
    let line = body
        .lines()
        .find_map(|l| l.strip_prefix("This request arrived with Host: "))?;
    let (host, forwarded) = line.split_once("; X-Forwarded-Host: ")?;
    Some((host.to_owned(), forwarded.to_owned()))
}

/// A tool message on one line, at most 400 characters.
fn one_line(text: &str) -> String {
    let text = text
        .replace('\u{feff}', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() > 400 {
        format!("{}…", text.chars().take(400).collect::<String>())
    } else {
        text
    }
}

/// `smoke-` and 16 hex digits from the standard library's per-process random hash
/// keys: no name a user would pick, and no clash between two checks running at once.
fn random_snippet_name() -> String {
    let seed = (std::process::id(), Instant::now());
    let bits = RandomState::new().hash_one(format!("{seed:?}"));
    format!("smoke-{bits:016x}")
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

    #[test]
    fn the_hosts_are_read_from_the_ready_answer() {
        let body = "MCP custom handler is running. MCP endpoint: /mcp\nThis request arrived with Host: 127.0.0.1:7071; X-Forwarded-Host: (none)\n";
        assert_eq!(
            hosts_seen(body),
            Some(("127.0.0.1:7071".to_owned(), "(none)".to_owned()))
        );
        assert_eq!(hosts_seen("MCP custom handler is running.\n"), None);
    }

    #[test]
    fn snippet_names_are_valid_and_differ() {
        let (a, b) = (random_snippet_name(), random_snippet_name());
        assert_ne!(a, b);
        assert_eq!(a.len(), "smoke-".len() + 16);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
