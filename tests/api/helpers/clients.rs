//! The third-party MCP clients `scripts/test.sh` installs, driven through small
//! scripts that print a JSON report: tests/npm/client.mjs (the TypeScript SDK) and
//! tests/python/client.py (the Python SDK, 1.x and 2.x).

use std::{process::Command, time::Duration};

use serde_json::Value;

use super::process::{installed_tool, repo_root, run_bounded};

/// The variables naming the two Python SDK installs.
pub const PYTHON_SDKS: [&str; 2] = ["MCP_TEST_PYTHON_MCP1", "MCP_TEST_PYTHON_MCP2"];

/// Runs a client script and returns its JSON report; fails with its stderr.
pub fn run_client(command: Command) -> Value {
    let description = format!("{command:?}");
    let finished = run_bounded(command, Duration::from_secs(120));
    assert!(
        finished.status.success(),
        "{description} failed ({}):\n{}\n{}",
        finished.status,
        finished.stderr,
        finished.stdout
    );
    serde_json::from_str(finished.stdout.trim())
        .unwrap_or_else(|e| panic!("bad report ({e}): {}", finished.stdout))
}

/// tests/npm/client.mjs: `options` are its flags (`--protocol-version V`,
/// `--header "Name: value"`), `calls` its `TOOL JSON_ARGS` pairs.
pub fn typescript_client(url: &str, options: &[&str], calls: &[String]) -> Value {
    let mut command = Command::new(installed_tool("MCP_TEST_NODE"));
    command
        .arg(repo_root().join("tests/npm/client.mjs"))
        .arg(url)
        .args(options)
        .args(calls);
    run_client(command)
}

/// tests/python/client.py with the venv named by `python_var`; same arguments as
/// [`typescript_client`], plus `--discover` (2.x: the 2026-07-28 lifecycle).
pub fn python_client(python_var: &str, url: &str, options: &[&str], calls: &[String]) -> Value {
    let mut command = Command::new(installed_tool(python_var));
    command
        .arg(repo_root().join("tests/python/client.py"))
        .arg(url)
        .args(options)
        .args(calls);
    run_client(command)
}
