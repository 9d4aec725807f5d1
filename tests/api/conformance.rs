//! The MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! tests/npm) against the server's transport.
//!
//! - The whole active suite runs against the conformance server: the real
//!   `/mcp` transport serving the suite's `test_*` fixtures ([`fixtures`]). What a
//!   stateless server cannot pass is listed, each with its reason, in
//!   `tests/conformance/baseline.yml`; the suite exits 1 on a new failure *and* on a
//!   listed scenario that passes, so the test only asserts exit 0.
//! - The scenarios that need no fixtures run against the real binary.
//! - The 2026-07-28 revision's `server-stateless` scenario (suite 0.2 pre-release)
//!   runs against both.

mod fixtures;

use std::{collections::BTreeSet, process::Command, time::Duration};

use crate::helpers::{Handler, ServedHandler, mcp_client, npm_tool, repo_root, run_bounded};

pub use fixtures::{Fixtures, PNG};

/// The suite's active release (0.1.16) and its 0.2 pre-release, which adds the
/// 2026-07-28 revision (installed under the npm alias `conformance-next`).
const SUITE: &str = ".bin/conformance";
const SUITE_NEXT: &str = "conformance-next/dist/index.js";

/// Runs a conformance CLI in server mode and fails the test, printing its output,
/// unless it exits 0.
fn conformance(bin: &str, url: &str, args: &[&str]) -> String {
    let mut command: Command = npm_tool(bin);
    command.args(["server", "--url", url]).args(args);
    let output = run_bounded(command, Duration::from_secs(300));
    let text = format!("{}{}", output.stdout, output.stderr);
    assert!(
        output.status.success(),
        "{bin} server {args:?} exited with {}:\n{text}",
        output.status
    );
    text
}

async fn run_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

#[tokio::test(flavor = "multi_thread")]
async fn active_suite_passes_against_the_conformance_server_with_the_baseline() {
    let server = ServedHandler::start(Fixtures).await;

    // Guard against vacuous passes: a missing tool can satisfy tools-call-simple-text.
    let client = mcp_client(&server.mcp_url()).await;
    let listed: BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    let expected: BTreeSet<String> = fixtures::TOOLS.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(listed, expected);
    assert_eq!(client.list_all_resources().await.unwrap().len(), 3);
    assert_eq!(client.list_all_prompts().await.unwrap().len(), 4);
    client.cancel().await.unwrap();

    let url = server.mcp_url();
    let baseline = repo_root().join("tests/conformance/baseline.yml");
    let output = run_blocking(move || {
        conformance(
            SUITE,
            &url,
            &["--expected-failures", baseline.to_str().unwrap()],
        )
    })
    .await;
    // The run really happened: the summary names every active scenario.
    assert!(output.contains("=== SUMMARY ==="), "{output}");
    assert!(output.contains("✓ tools-call-with-progress"), "{output}");
    assert!(output.contains("✓ dns-rebinding-protection"), "{output}");
}

#[test]
fn fixture_free_scenarios_pass_against_the_real_binary() {
    let handler = Handler::start(&[]);
    for scenario in [
        "server-initialize",
        "ping",
        "tools-list",
        "dns-rebinding-protection",
    ] {
        let output = conformance(SUITE, &handler.url("/mcp"), &["--scenario", scenario]);
        assert_all_checks_passed(scenario, &output);
    }
}

/// A single-scenario run ends with `Passed: N/N, 0 failed, ...`; N = 0 would be a
/// vacuous pass.
fn assert_all_checks_passed(scenario: &str, output: &str) {
    let line = output
        .lines()
        .find_map(|line| line.strip_prefix("Passed: "))
        .unwrap_or_else(|| panic!("{scenario}: no result line:\n{output}"));
    let (passed, rest) = line.split_once('/').unwrap();
    let total = rest.split(',').next().unwrap();
    assert!(
        passed == total && passed != "0" && rest.contains(" 0 failed"),
        "{scenario}: {line}\n{output}"
    );
}

/// The 2026-07-28 revision (SEP-2575: no initialize, `server/discover`, per-request
/// `_meta`), which rmcp serves on the same endpoint as the older revisions.
#[tokio::test(flavor = "multi_thread")]
async fn stateless_2026_07_28_scenario_passes_against_the_conformance_server() {
    let fixtures = ServedHandler::start(Fixtures).await;
    let url = fixtures.mcp_url();
    let output =
        run_blocking(move || conformance(SUITE_NEXT, &url, &["--scenario", "server-stateless"]))
            .await;
    assert_all_checks_passed("server-stateless", &output);
}

/// The real binary fails exactly these checks of `server-stateless`; any other
/// failure, or one of these starting to pass, fails the test.
const BINARY_2026_07_28_FAILURES: &[(&str, &str)] = &[
    (
        "sep-2575-server-rejects-undeclared-capability",
        "needs the diagnostic tool test_missing_capability, which only the conformance server has",
    ),
    (
        "sep-2575-missing-capability-http-400",
        "needs the diagnostic tool test_missing_capability",
    ),
    (
        "sep-2575-http-server-no-independent-requests-on-stream",
        "needs the diagnostic tool test_streaming_elicitation",
    ),
    (
        "sep-2575-server-no-log-without-loglevel",
        "needs the diagnostic tool test_logging_tool",
    ),
];

#[test]
fn stateless_2026_07_28_scenario_against_the_real_binary_fails_only_untestable_checks() {
    let handler = Handler::start(&[]);
    let mut command = npm_tool(SUITE_NEXT);
    command.args([
        "server",
        "--url",
        &handler.url("/mcp"),
        "--scenario",
        "server-stateless",
    ]);
    let output = run_bounded(command, Duration::from_secs(300));
    let text = output.stdout;
    // Check lines look like `<time> [<check id>   ] SUCCESS|FAILURE|SKIPPED <text>`.
    let status_of = |line: &str| -> Option<(String, String)> {
        let line = strip_ansi(line);
        let (_, rest) = line.split_once('[')?;
        let (id, rest) = rest.split_once(']')?;
        let status = rest.split_whitespace().next()?.to_owned();
        Some((id.trim().to_owned(), status))
    };
    let checks: Vec<(String, String)> = text.lines().filter_map(status_of).collect();
    let failed: BTreeSet<&str> = checks
        .iter()
        .filter(|(_, status)| status == "FAILURE")
        .map(|(id, _)| id.as_str())
        .collect();
    let expected: BTreeSet<&str> = BINARY_2026_07_28_FAILURES
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(failed, expected, "{text}");
    let passed = checks.iter().filter(|(_, s)| s == "SUCCESS").count();
    assert!(passed >= 20, "only {passed} checks passed:\n{text}");
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}
