//! The command line. Credentials never come from it (a command line is visible to every
//! user of the machine in `ps`): they come from the environment or the Azure CLI.

use std::time::Duration;

use url::Url;

pub const USAGE: &str = "\
usage: rmcp-functions-smoke <url> [options]

Checks a deployed MCP server step by step and stops at the first failure with a
diagnosis. Any MCP server must pass steps 1-5: (1) it answers, (2) authentication
behaves as configured, (3) POST /mcp initialize, (4) tools/list, (5) the Host the
platform forwarded. Step 6 is rust-mcp-functions' own round trip (get_alerts and a
snippet save/get/delete): it runs when tools/list lists those tools, or when
--round-trip asks for it, and is skipped otherwise. <url> is the app's base URL or its
/mcp URL.

options:
  --auth none|key|entra   how the deployment authenticates callers (its MCP_AUTH_MODE); default none
  --resource-group NAME   the app's resource group: with --app, the function key is fetched
                          with the Azure CLI (key mode), and log queries name it
  --app NAME              the function app's name (azd: SERVICE_MCP_NAME)
  --scope SCOPE           entra mode: get a token with `az account get-access-token --scope SCOPE`
                          (azd: ENTRA_IDENTIFIER_URI + /user_impersonation)
  --app-insights NAME     the app's Application Insights, named in log queries
  --round-trip            require step 6: fail when the server lacks rust-mcp-functions' tools
  --state XX              step 6: the state get_alerts asks for (default WA)
  --wait SECONDS          cold-start allowance: how long the first request is retried (default 180)
  --timeout SECONDS       how long one request may take (default 60)

environment:
  MCP_FUNCTION_KEY        the function key (key mode), instead of fetching it
  MCP_BEARER_TOKEN        a bearer token (entra mode), instead of fetching one

exit status: 0 when every step passed (or, without credentials, every step that needs
none), 1 at the first failed step, 2 for a bad command line.
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    None,
    Key,
    Entra,
}

impl AuthMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Key => "key",
            Self::Entra => "entra",
        }
    }
}

#[derive(Debug)]
pub struct Args {
    /// The base URL, without a trailing `/mcp` or `/`.
    pub base: Url,
    pub auth: AuthMode,
    pub resource_group: Option<String>,
    pub app: Option<String>,
    pub scope: Option<String>,
    pub app_insights: Option<String>,
    /// Step 6 must run: a server without our tools fails it instead of skipping it.
    pub round_trip: bool,
    pub state: String,
    pub wait: Duration,
    pub timeout: Duration,
}

/// Why the command line was not accepted.
pub enum Usage {
    Help,
    Invalid(String),
}

impl Args {
    pub fn parse(mut words: impl Iterator<Item = String>) -> Result<Self, Usage> {
        let mut url = None;
        let mut args = Self {
            base: Url::parse("http://127.0.0.1/").map_err(|e| Usage::Invalid(e.to_string()))?,
            auth: AuthMode::None,
            resource_group: None,
            app: None,
            scope: None,
            app_insights: None,
            round_trip: false,
            state: "WA".to_owned(),
            wait: Duration::from_secs(180),
            timeout: Duration::from_secs(60),
        };
        while let Some(word) = words.next() {
            let mut value = |name: &str| {
                words
                    .next()
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| Usage::Invalid(format!("{name} needs a value")))
            };
            match word.as_str() {
                "-h" | "--help" => return Err(Usage::Help),
                "--auth" => {
                    args.auth = match value("--auth")?.as_str() {
                        "none" => AuthMode::None,
                        "key" => AuthMode::Key,
                        "entra" => AuthMode::Entra,
                        other => {
                            return Err(Usage::Invalid(format!(
                                "--auth {other:?}: expected none, key or entra"
                            )));
                        }
                    }
                }
                "--resource-group" => args.resource_group = Some(value("--resource-group")?),
                "--app" => args.app = Some(value("--app")?),
                "--scope" => args.scope = Some(value("--scope")?),
                "--app-insights" => args.app_insights = Some(value("--app-insights")?),
                "--round-trip" => args.round_trip = true,
                "--state" => args.state = value("--state")?,
                "--wait" => args.wait = seconds("--wait", &value("--wait")?)?,
                "--timeout" => args.timeout = seconds("--timeout", &value("--timeout")?)?,
                option if option.starts_with('-') => {
                    return Err(Usage::Invalid(format!("unknown option {option}")));
                }
                _ if url.is_some() => {
                    return Err(Usage::Invalid(format!("unexpected argument {word:?}")));
                }
                _ => url = Some(word),
            }
        }
        let url = url.ok_or_else(|| Usage::Invalid("no URL given".to_owned()))?;
        args.base = base_url(&url)?;
        Ok(args)
    }
}

fn seconds(name: &str, text: &str) -> Result<Duration, Usage> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| Usage::Invalid(format!("{name} {text:?}: expected seconds, 0 < s <= 3600")))
}

/// The app's base URL from what a user has at hand: `https://host`, `https://host/`
/// or `https://host/mcp` (what `azd env get-value MCP_URL` prints).
fn base_url(text: &str) -> Result<Url, Usage> {
    // The URL is not echoed: a pasted `?code=` would be a function key.
    let expected = "expected an http(s) URL such as https://<app>.azurewebsites.net/mcp";
    let mut url = Url::parse(text)
        .map_err(|e| Usage::Invalid(format!("the URL does not parse ({e}): {expected}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Usage::Invalid(format!("the URL is not usable: {expected}")));
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(Usage::Invalid(
            "give the URL without a query or user info: credentials go in MCP_FUNCTION_KEY or MCP_BEARER_TOKEN"
                .to_owned(),
        ));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/mcp").unwrap_or(path).to_owned();
    url.set_path(&path);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Args, Usage> {
        Args::parse(words.iter().map(|w| (*w).to_owned()))
    }

    #[test]
    fn the_url_may_be_the_base_or_the_mcp_endpoint() {
        for text in [
            "https://func-mcp-x.azurewebsites.net",
            "https://func-mcp-x.azurewebsites.net/",
            "https://func-mcp-x.azurewebsites.net/mcp",
            "https://func-mcp-x.azurewebsites.net/mcp/",
        ] {
            let args = parse(&[text]).ok().unwrap();
            assert_eq!(args.base.as_str(), "https://func-mcp-x.azurewebsites.net/");
        }
    }

    #[test]
    fn bad_command_lines_are_refused_with_a_reason() {
        for (words, reason) in [
            (vec![], "no URL"),
            (vec!["ftp://x"], "http(s) URL"),
            (vec!["https://x/mcp?code=secret"], "without a query"),
            (vec!["https://x", "--auth", "oauth"], "none, key or entra"),
            (vec!["https://x", "--wait", "0"], "0 < s"),
            (vec!["https://x", "--timeout"], "needs a value"),
            (vec!["https://x", "--key", "k"], "unknown option"),
        ] {
            match parse(&words) {
                Err(Usage::Invalid(message)) => assert!(message.contains(reason), "{message}"),
                _ => panic!("{words:?} was accepted"),
            }
        }
    }
}
