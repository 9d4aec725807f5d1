//! MCP Inspector's CLI mode (`@modelcontextprotocol/inspector` 2.x `--cli`) against
//! the real binary: list tools, call every tool from [`crate::tool_table`], and one
//! invalid call. Exit codes: 0 ok, 5 tool error (unknown tool or `isError: true`).

use std::time::Duration;

use serde_json::Value;

use crate::{
    helpers::{npm_tool, process::Finished, run_bounded},
    tool_table::{ToolEnv, valid_calls},
};

/// Runs `mcp-inspector --cli URL ARGS` with `HOME` in a temp dir (it writes its
/// catalog under `~/.mcp-inspector`).
fn inspector(url: &str, args: &[&str]) -> Finished {
    let home = tempfile::tempdir().unwrap();
    let mut command = npm_tool(".bin/mcp-inspector");
    command
        .env("HOME", home.path())
        .args(["--cli", url])
        .args(args);
    run_bounded(command, Duration::from_secs(120))
}

fn describe(output: &Finished) -> String {
    format!(
        "exit {}\nstdout: {}\nstderr: {}",
        output.status, output.stdout, output.stderr
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MCP Inspector: scripts/test.sh"]
async fn inspector_lists_tools_and_calls_every_tool() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    let url = handler.url("/mcp");
    tokio::task::spawn_blocking(move || {
        let listed = inspector(&url, &["--method", "tools/list"]);
        assert_eq!(listed.status.code(), Some(0), "{}", describe(&listed));
        let tools: Value = serde_json::from_str(&listed.stdout).unwrap();
        let names: Vec<&str> = tools["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", describe(&listed)))
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let table = valid_calls();
        assert_eq!(names.len(), table.len(), "{names:?}");
        for call in &table {
            assert!(
                names.contains(&call.tool),
                "{} not listed: {names:?}",
                call.tool
            );
        }

        for call in table {
            let arguments = call.arguments.to_string();
            let output = inspector(
                &url,
                &[
                    "--method",
                    "tools/call",
                    "--tool-name",
                    call.tool,
                    "--tool-args-json",
                    &arguments,
                ],
            );
            assert_eq!(
                output.status.code(),
                Some(0),
                "{}: {}",
                call.tool,
                describe(&output)
            );
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MCP Inspector: scripts/test.sh"]
async fn inspector_exits_5_on_an_unknown_tool() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    let url = handler.url("/mcp");
    let output = tokio::task::spawn_blocking(move || {
        inspector(
            &url,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "no_such_tool",
                "--tool-args-json",
                "{}",
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", describe(&output));
    let error: Value = serde_json::from_str(&output.stderr).unwrap();
    assert_eq!(
        error["error"]["code"],
        "tool_not_found",
        "{}",
        describe(&output)
    );
}
