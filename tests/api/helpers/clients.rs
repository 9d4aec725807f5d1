//! The third-party MCP clients `scripts/test.sh` installs, driven through small
//! scripts that print a JSON report: tests/npm/client.mjs (the TypeScript SDK 1.x),
//! tests/npm/sdk2-client.mjs and sdk2-elicit.mjs (the TypeScript SDK 2.x, answering
//! elicitations in the latter), tests/python/client.py (the Python SDK, 1.x and 2.x)
//! and tests/python/elicit.py (the Python SDK 2.x answering elicitations); and an rmcp
//! client that answers elicitations as a person would ([`User`]).

use std::{
    process::Command,
    sync::{Arc, Mutex},
    time::Duration,
};

use rmcp::{
    ClientHandler, ClientLifecycleMode, ClientServiceExt, ErrorData as McpError, RoleClient,
    model::{
        ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
        Implementation, InputRequests, InputResponses, ProtocolVersion,
    },
    service::{RequestContext, RunningService},
    transport::StreamableHttpClientTransport,
};
use serde_json::{Value, json};

use super::process::{installed_tool, repo_root, run_bounded};

/// The variables naming the two Python SDK installs.
pub(crate) const PYTHON_SDKS: [&str; 2] = ["MCP_TEST_PYTHON_MCP1", "MCP_TEST_PYTHON_MCP2"];

/// Runs a client script and returns its JSON report; fails with its stderr.
pub(crate) fn run_client(command: Command) -> Value {
    run_client_with_stderr(command).0
}

/// Like [`run_client`], also returning what the script printed on stderr.
pub(crate) fn run_client_with_stderr(command: Command) -> (Value, String) {
    let description = format!("{command:?}");
    let finished = run_bounded(command, Duration::from_secs(120));
    assert!(
        finished.status.success(),
        "{description} failed ({}):\n{}\n{}",
        finished.status,
        finished.stderr,
        finished.stdout
    );
    let report = serde_json::from_str(finished.stdout.trim())
        .unwrap_or_else(|e| panic!("bad report ({e}): {}", finished.stdout));
    (report, finished.stderr)
}

/// tests/npm/client.mjs: `options` are its flags (`--protocol-version V`,
/// `--header "Name: value"`), `calls` its `TOOL JSON_ARGS` pairs.
pub(crate) fn typescript_client(url: &str, options: &[&str], calls: &[String]) -> Value {
    let mut command = Command::new(installed_tool("MCP_TEST_NODE"));
    command
        .arg(repo_root().join("tests/npm/client.mjs"))
        .arg(url)
        .args(options)
        .args(calls);
    run_client(command)
}

/// tests/npm/sdk2-client.mjs (the TypeScript SDK 2.x): `options` are its flags
/// (`--negotiation legacy|auto`, `--prompt NAME JSON_ARGS`, `--complete JSON`),
/// `calls` its `TOOL JSON_ARGS` pairs. Returns its report and its stderr, where the
/// SDK prints what it thinks of the server's schemas.
pub(crate) fn typescript2_client(url: &str, options: &[&str], calls: &[String]) -> (Value, String) {
    let mut command = Command::new(installed_tool("MCP_TEST_NODE"));
    command
        .arg(repo_root().join("tests/npm/sdk2-client.mjs"))
        .arg(url)
        .args(options)
        .args(calls);
    run_client_with_stderr(command)
}

/// tests/python/client.py with the venv named by `python_var`; same arguments as
/// [`typescript_client`], plus `--discover` (2.x: the 2026-07-28 lifecycle).
pub(crate) fn python_client(
    python_var: &str,
    url: &str,
    options: &[&str],
    calls: &[String],
) -> Value {
    let mut command = Command::new(installed_tool(python_var));
    command
        .arg(repo_root().join("tests/python/client.py"))
        .arg(url)
        .args(options)
        .args(calls);
    run_client(command)
}

/// An rmcp client handler that answers every elicitation with `action` (and, on
/// accept, `content`), and records the messages it was shown.
#[derive(Clone)]
pub(crate) struct User {
    action: ElicitationAction,
    content: Value,
    asked: Arc<Mutex<Vec<String>>>,
}

impl User {
    pub(crate) fn new(action: ElicitationAction, content: Value) -> Self {
        Self {
            action,
            content,
            asked: Arc::default(),
        }
    }

    pub(crate) fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    pub(crate) fn answer(&self, request: &ElicitRequestParams) -> ElicitResult {
        let message = match request {
            ElicitRequestParams::FormElicitationParams { message, .. }
            | ElicitRequestParams::UrlElicitationParams { message, .. } => message.clone(),
            _ => String::new(),
        };
        self.asked.lock().unwrap().push(message);
        let result = ElicitResult::new(self.action.clone());
        if self.action == ElicitationAction::Accept {
            result.with_content(self.content.clone())
        } else {
            result
        }
    }
}

impl User {
    /// This user's answers to an input-required result's requests, as a client sends
    /// them back in `inputResponses`.
    pub(crate) fn answers(&self, requests: InputRequests) -> InputResponses {
        requests
            .into_iter()
            .map(|(key, request)| {
                let params = serde_json::to_value(&request).unwrap()["params"].clone();
                let answer = self.answer(&serde_json::from_value(params).unwrap());
                (key, serde_json::to_value(answer).unwrap())
            })
            .collect()
    }
}

impl ClientHandler for User {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        Ok(self.answer(&request))
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            serde_json::from_value::<ClientCapabilities>(json!({"elicitation": {"form": {}}}))
                .unwrap(),
            Implementation::new("rust-mcp-functions-tests", "0"),
        )
    }
}

/// An rmcp client on 2026-07-28 (`server/discover`, no initialize).
pub(crate) async fn client_2026(url: &str, user: User) -> RunningService<RoleClient, User> {
    user.serve_with_lifecycle(
        StreamableHttpClientTransport::from_uri(url.to_owned()),
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .unwrap()
}

/// Runs `tests/python/elicit.py` with the Python MCP SDK 2.x: `tool` with
/// `arguments`, answering elicitations as `options` say. Returns whether it exited 0,
/// its report and its stderr.
pub(crate) fn python_elicit(
    url: &str,
    tool: &str,
    arguments: &Value,
    options: &[&str],
) -> (bool, Value, String) {
    let mut command = Command::new(installed_tool("MCP_TEST_PYTHON_MCP2"));
    command.arg(repo_root().join("tests/python/elicit.py"));
    elicit(command, url, tool, arguments, options)
}

/// [`python_elicit`] with the TypeScript SDK 2.x (`tests/npm/sdk2-elicit.mjs`, same
/// arguments and report).
pub(crate) fn typescript_elicit(
    url: &str,
    tool: &str,
    arguments: &Value,
    options: &[&str],
) -> (bool, Value, String) {
    let mut command = Command::new(installed_tool("MCP_TEST_NODE"));
    command.arg(repo_root().join("tests/npm/sdk2-elicit.mjs"));
    elicit(command, url, tool, arguments, options)
}

/// Runs an elicitation script (`command`, the interpreter and the script) with its
/// arguments; returns whether it exited 0, its report and its stderr.
fn elicit(
    mut command: Command,
    url: &str,
    tool: &str,
    arguments: &Value,
    options: &[&str],
) -> (bool, Value, String) {
    command
        .args([url, tool, &arguments.to_string()])
        .args(options);
    let output = run_bounded(command, Duration::from_secs(60));
    let stderr = output.stderr;
    let report = serde_json::from_str(&output.stdout).unwrap_or(Value::Null);
    (output.status.success(), report, stderr)
}

/// The text blocks of a report's result, joined.
pub(crate) fn result_texts(report: &Value) -> String {
    report["result"]["content"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}
