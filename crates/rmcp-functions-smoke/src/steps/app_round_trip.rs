//! Step 6: rust-mcp-functions' own round trip, one real call per tool family:
//! `get_alerts`, and a snippet saved, read back and deleted. It runs when `tools/list`
//! shows those tools, or when `--round-trip` asks for it; any other server skips it.

use std::{
    hash::{BuildHasher, RandomState},
    time::Instant,
};

use serde_json::json;

use super::{Check, initialize::Server, one_line};
use crate::{
    args::Args,
    client::{Answer, Mcp},
    report::{Failure, Step},
};

pub const STEP: Step = Step {
    number: 6,
    name: "round-trip",
};

/// The server whose round trip this is, by its name in `initialize`.
const SERVER_NAME: &str = "rust-mcp-functions";
/// The tools the round trip calls; `tools/list` must list them.
const TOOLS_CALLED: [&str; 4] = [
    "get_alerts",
    "save_snippet",
    "get_snippet",
    "delete_snippet",
];

/// Whether the round trip runs.
pub enum Plan {
    Run,
    /// Another server, and the round trip was not asked for: why it does not run.
    Skip(String),
    /// The round trip is due (asked for, or the server is ours by name or by some of
    /// its tools) but tools it calls are missing.
    Lacking(Failure),
}

pub fn plan(args: &Args, server: &Server, tools: &[String]) -> Plan {
    let missing: Vec<&str> = TOOLS_CALLED
        .into_iter()
        .filter(|called| !tools.iter().any(|t| t == called))
        .collect();
    if missing.is_empty() {
        return Plan::Run;
    }
    let ours = server.name == SERVER_NAME;
    let some_of_ours = missing.len() < TOOLS_CALLED.len();
    if !args.round_trip && !ours && !some_of_ours {
        return Plan::Skip(format!(
            "{server} lists none of the round trip's tools ({SERVER_NAME}: {}); --round-trip requires them",
            TOOLS_CALLED.join(", ")
        ));
    }
    let listed = if tools.is_empty() {
        "(none)".to_owned()
    } else {
        tools.join(", ")
    };
    let lacks = format!(
        "tools/list lacks {}; it lists: {listed}",
        missing.join(", ")
    );
    Plan::Lacking(if ours {
        Failure::new(
            lacks,
            &["This endpoint runs a build without these tools: redeploy with azd deploy."],
        )
    } else {
        let mut fix = Vec::new();
        if args.round_trip {
            fix.push(format!("--round-trip asks for the round trip of {SERVER_NAME} (get_alerts and a snippet save/get/delete), which needs these tools."));
        }
        fix.push("If this URL should serve rust-mcp-functions, it points at another app or another package was deployed to it: check the URL (azd env get-value MCP_URL) and redeploy (azd deploy).".to_owned());
        fix.push("For any other MCP server, run the check without --round-trip: steps 1-5 check what every MCP server must pass.".to_owned());
        Failure::with_fix(
            format!("the MCP server {server} is not {SERVER_NAME}: {lacks}"),
            fix,
        )
    })
}

/// One real call per tool family: `get_alerts`, and a snippet round trip under a
/// random name, so storage access is proven (the snippet is deleted even when reading
/// it back fails).
pub async fn check(check: &Check<'_>, mcp: &Mcp<'_>, ready: &Answer) -> Result<String, Failure> {
    let state = &check.args.state;
    let alerts = mcp
        .call_tool("get_alerts", json!({"state": state}))
        .await
        .map_err(|e| check.mcp_failure("tools/call get_alerts", e, ready))?;
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
        .map_err(|e| check.mcp_failure("tools/call save_snippet", e, ready))?;
    if saved.is_error {
        return Err(storage_failure(check, "save_snippet", &saved.text));
    }
    let read = mcp
        .call_tool("get_snippet", json!({"snippetname": name}))
        .await;
    let deleted = mcp
        .call_tool("delete_snippet", json!({"snippetname": name}))
        .await;
    let read = read.map_err(|e| check.mcp_failure("tools/call get_snippet", e, ready))?;
    if read.is_error {
        return Err(storage_failure(check, "get_snippet", &read.text));
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
    let deleted = deleted.map_err(|e| check.mcp_failure("tools/call delete_snippet", e, ready))?;
    if deleted.is_error {
        return Err(storage_failure(check, "delete_snippet", &deleted.text));
    }
    Ok(format!(
        "get_alerts {state} answered; snippet {name} saved, read back and deleted"
    ))
}

fn storage_failure(check: &Check<'_>, tool: &str, message: &str) -> Failure {
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
                "Snippets live in the storage account that AzureWebJobsStorage__blobServiceUri names, container SNIPPETS_CONTAINER; the message says what failed (docs/tools.md, \"Snippet storage\").",
            ],
        );
    };
    Failure::with_fix(
        format!("{tool} failed ({code}): {}", one_line(message)),
        vec![
            "Storage refused the app (HTTP 403). The app reaches Blob Storage as its managed identity, which needs a data role on the storage account (Storage Blob Data Contributor, assigned by infra/modules/rbac.bicep).".to_owned(),
            "AuthorizationPermissionMismatch: the role is missing or not in effect yet; a new role assignment can take up to 10 minutes, so run the check again (scripts/smoke.sh) before anything else.".to_owned(),
            format!("Still refused: az role assignment list --all --assignee $(az identity list -g {} --query [0].principalId -o tsv) -o table, then azd provision to restore the assignment.", check.group()),
            "AuthorizationFailure: a network rule refused the request; with VNET_ENABLED=true the account is reachable only through its private endpoint.".to_owned(),
        ],
    )
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

    fn args(extra: &[&str]) -> Args {
        let words = ["https://x"].iter().chain(extra).map(|w| (*w).to_owned());
        Args::parse(words).ok().unwrap()
    }

    fn server(name: &str) -> Server {
        Server {
            name: name.to_owned(),
            version: "1.0.0".to_owned(),
            has_tools: true,
        }
    }

    fn names(tools: &[&str]) -> Vec<String> {
        tools.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn the_round_trip_runs_for_our_tools_and_is_skipped_or_required_otherwise() {
        let ours = names(&[
            "delete_snippet",
            "get_alerts",
            "get_snippet",
            "get_weather",
            "save_snippet",
        ]);
        assert!(matches!(
            plan(&args(&[]), &server("renamed"), &ours),
            Plan::Run
        ));

        let other = names(&["sub", "sum"]);
        match plan(&args(&[]), &server("calculator"), &other) {
            Plan::Skip(why) => assert!(why.starts_with("calculator 1.0.0 lists none"), "{why}"),
            _ => panic!("another server's round trip is skipped"),
        }
        let lacking = |plan| match plan {
            Plan::Lacking(failure) => failure.summary,
            _ => panic!("the round trip is due and cannot run"),
        };
        let asked = lacking(plan(
            &args(&["--round-trip"]),
            &server("calculator"),
            &other,
        ));
        assert!(
            asked.starts_with("the MCP server calculator 1.0.0 is not rust-mcp-functions: tools/list lacks get_alerts, save_snippet, get_snippet, delete_snippet; it lists: sub, sum"),
            "{asked}"
        );
        // Ours by name, or by some of the tools: an older build.
        let older = lacking(plan(
            &args(&[]),
            &server(SERVER_NAME),
            &names(&["get_alerts"]),
        ));
        assert_eq!(
            older,
            "tools/list lacks save_snippet, get_snippet, delete_snippet; it lists: get_alerts"
        );
        let partial = lacking(plan(
            &args(&[]),
            &server("renamed"),
            &names(&["get_alerts"]),
        ));
        assert!(
            partial.contains("is not rust-mcp-functions: tools/list lacks save_snippet"),
            "{partial}"
        );
    }

    #[test]
    fn snippet_names_are_valid_and_differ() {
        let (a, b) = (random_snippet_name(), random_snippet_name());
        assert_ne!(a, b);
        assert_eq!(a.len(), "smoke-".len() + 16);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
