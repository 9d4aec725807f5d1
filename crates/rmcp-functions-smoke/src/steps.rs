//! The steps, one module each, in the order the check runs them, and the diagnoses
//! several of them share. Steps 1-5 hold for any MCP server hosted on Azure Functions;
//! step 6 is rust-mcp-functions' own round trip. The failure table in rust-mcp-functions'
//! docs/deploy.md ("After `azd up`") quotes these diagnoses; its `tests/api/smoke.rs`
//! provokes each one.

pub mod app_round_trip;
pub mod auth;
pub mod forwarded_host;
pub mod initialize;
pub mod reachability;
pub mod tools_list;

use reqwest::StatusCode;

use crate::{
    args::Args,
    client::{Answer, Http, Mcp, McpError},
    report::Failure,
};

/// The azd variable that switches the Flex runtime stack (infra/main.parameters.json).
const RUNTIME_SWITCH: &str = "azd env set FLEX_RUNTIME node";

/// What every step works with: the command line, the HTTP client and the two URLs.
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

    /// A stateless MCP session with the endpoint (steps 3, 4 and 6).
    pub fn mcp_session(&self) -> Mcp<'a> {
        Mcp::new(self.http, self.mcp_url.clone())
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

    /// The diagnosis for an MCP request that got no usable answer.
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
                    "The endpoint speaks MCP but refused the request: is it the server you deployed, and its current build? azd deploy redeploys it.",
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
            let seen = forwarded_host::hosts_seen(&ready.body).map(|(host, _)| host);
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
                if !forwarded_host::from_hosting_crate(&ready.body) {
                    fix.push(format!(
                        "GET / did not come from the handler either (HTTP {}: {}).",
                        ready.status,
                        ready.excerpt()
                    ));
                }
                Failure::with_fix(format!("{what} answered 404 Not Found"), fix)
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                auth::credential_refused(self, answer)
            }
            status if is_gateway_error(status) => {
                self.handler_not_started(what, answer, "after step 1 succeeded")
            }
            status if status.is_redirection() => auth::redirected(answer),
            status => Failure::new(
                format!("{what} answered HTTP {status}: {}", answer.excerpt()),
                &[
                    "Not an answer an MCP endpoint gives: something else answers this URL, or the handler failed. The host's log says more (Application Insights, table traces).",
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
                "Look for the host starting the handler and what it wrote. \"Permission denied\" or \"Exec format error\": the package lost its mode 0755 or is not the static musl build (scripts/package.sh builds it).".to_owned(),
                format!("The host never starts the custom handler on the `custom` runtime stack: switch the stack, {RUNTIME_SWITCH}, then azd provision and azd deploy (the mcp-custom-handler profile runs the handler on any stack; docs/deploy.md, \"Runtime stack\")."),
            ],
        )
    }
}

fn is_gateway_error(status: StatusCode) -> bool {
    matches!(status.as_u16(), 502..=504)
}

/// rmcp's refusal of a Host not on the allow-list (wrapped in a JSON-RPC error body).
fn is_host_refusal(answer: &Answer) -> bool {
    answer.status == StatusCode::FORBIDDEN && answer.body.contains("Host header is not allowed")
}

/// A server's message on one line, at most 400 characters.
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
