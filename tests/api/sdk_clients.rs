//! Third-party clients against the real binary: the official TypeScript SDK and the
//! official Python SDK (1.x and 2.x), installed by `scripts/test.sh`.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{Handler, installed_tool, repo_root};

/// Runs a client script and returns its JSON report; fails with its stderr.
pub fn run_client(mut command: Command) -> Value {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{stderr}\n{stdout}",
        output.status
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("bad report ({e}): {stdout}"))
}

pub fn typescript_client(url: &str, calls: &[(&str, &str)]) -> Value {
    let mut command = Command::new(installed_tool("MCP_TEST_NODE"));
    command
        .arg(repo_root().join("tests/npm/client.mjs"))
        .arg(url);
    for (tool, args) in calls {
        command.args([tool, args]);
    }
    run_client(command)
}

pub fn python_client(python_var: &str, url: &str, calls: &[(&str, &str)]) -> Value {
    let mut command = Command::new(installed_tool(python_var));
    command
        .arg(repo_root().join("tests/python/client.py"))
        .arg(url);
    for (tool, args) in calls {
        command.args([tool, args]);
    }
    run_client(command)
}

fn tool_names(tools: &Value) -> Vec<String> {
    let mut names: Vec<String> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn typescript_sdk_initializes_and_lists_tools() {
    let handler = Handler::start(&[]);
    let report = typescript_client(&handler.url("/mcp"), &[]);
    assert_eq!(report["serverInfo"]["name"], "rust-mcp-functions");
    assert!(
        report["instructions"]
            .as_str()
            .unwrap()
            .contains("get_weather")
    );
    assert!(report["tools"].is_array(), "{report}");
}

#[test]
fn python_sdk_1x_initializes_and_lists_tools() {
    let handler = Handler::start(&[]);
    let report = python_client("MCP_TEST_PYTHON_MCP1", &handler.url("/mcp"), &[]);
    assert_eq!(
        report["initialize"]["serverInfo"]["name"],
        "rust-mcp-functions"
    );
    assert_eq!(
        tool_names(&report["tools"]).len(),
        report["tools"].as_array().unwrap().len()
    );
}

#[test]
fn python_sdk_2x_initializes_and_lists_tools() {
    let handler = Handler::start(&[]);
    let report = python_client("MCP_TEST_PYTHON_MCP2", &handler.url("/mcp"), &[]);
    assert_eq!(
        report["initialize"]["serverInfo"]["name"],
        "rust-mcp-functions"
    );
}
