//! The MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! tests/npm) against the server's transport.
//!
//! - 0.1.16's whole active suite runs against the conformance server: the real `/mcp`
//!   transport serving the suite's `test_*` fixtures ([`fixtures`]). What a stateless
//!   server cannot pass under the older revisions is listed, each with its reason, in
//!   `tests/conformance/baseline.yml`; the suite exits 1 on a new failure *and* on a
//!   listed scenario that passes, so the test only asserts exit 0. Its scenarios that
//!   need no fixtures run against the real binary.
//! - 0.2.0-alpha.12's whole 2026-07-28 suite (all [`SCENARIOS_2026_07_28`], one
//!   process) runs against the conformance server, with the SEP-2322 fixtures of
//!   [`input_required`], under the suite's own `--expected-failures`
//!   (`tests/conformance/baseline-2026-07-28.yml`).
//! - The same suite runs once against the real binary; the scenarios that need no
//!   fixture tool ([`BINARY_SCENARIOS`]) are judged against
//!   `tests/conformance/binary-2026-07-28.yml` by [`judge`], which applies the suite's
//!   baseline rules to those scenarios only (the others would fail for want of
//!   fixtures, or pass vacuously).

mod fixtures;
mod input_required;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    process::Command,
    time::Duration,
};

use serde_json::Value;

use crate::helpers::{Handler, ServedHandler, mcp_client, npm_tool, repo_root, run_bounded};

pub use fixtures::{Fixtures, PNG};

/// The suite's active release (0.1.16) and its 0.2 pre-release, which adds the
/// 2026-07-28 revision (installed under the npm alias `conformance-next`).
const SUITE: &str = ".bin/conformance";
const SUITE_NEXT: &str = "conformance-next/dist/index.js";

/// Every server scenario 0.2.0-alpha.12 has for 2026-07-28
/// (`conformance list --server --spec-version 2026-07-28`). `--suite all` is needed to
/// run them: the default `active` suite leaves out the 20 written for the draft.
pub const SCENARIOS_2026_07_28: &[&str] = &[
    "server-stateless",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-error",
    "tools-call-with-progress",
    "json-schema-2020-12",
    "server-sse-multiple-streams",
    "resources-list",
    "resources-read-text",
    "resources-read-binary",
    "resources-templates-read",
    "sep-2164-resource-not-found",
    "prompts-list",
    "prompts-get-simple",
    "prompts-get-with-args",
    "prompts-get-embedded-resource",
    "prompts-get-with-image",
    "dns-rebinding-protection",
    "caching",
    "http-header-validation",
    "http-custom-header-server-validation",
    "input-required-result-basic-elicitation",
    "input-required-result-basic-sampling",
    "input-required-result-basic-list-roots",
    "input-required-result-request-state",
    "input-required-result-multiple-input-requests",
    "input-required-result-multi-round",
    "input-required-result-missing-input-response",
    "input-required-result-non-tool-request",
    "input-required-result-result-type",
    "input-required-result-unsupported-methods",
    "input-required-result-tampered-state",
    "input-required-result-capability-check",
    "input-required-result-ignore-extra-params",
    "input-required-result-validate-input",
];

/// The 2026-07-28 scenarios that call no fixture tool, prompt or resource, so they
/// say something about the real binary. `server-stateless` is among them although
/// four of its checks call diagnostic tools (listed in the binary's baseline).
const BINARY_SCENARIOS: &[&str] = &[
    "server-stateless",
    "tools-list",
    "resources-list",
    "prompts-list",
    "sep-2164-resource-not-found",
    "caching",
    "dns-rebinding-protection",
    "http-header-validation",
    "server-sse-multiple-streams",
    "input-required-result-unsupported-methods",
];

/// Runs a conformance CLI in server mode and returns its output and whether it
/// exited 0.
fn run_suite(bin: &str, url: &str, args: &[&str]) -> (bool, String) {
    let mut command: Command = npm_tool(bin);
    command.args(["server", "--url", url]).args(args);
    let output = run_bounded(command, Duration::from_secs(300));
    let text = format!("{}{}", output.stdout, output.stderr);
    (output.status.success(), text)
}

/// Like [`run_suite`], failing the test (with the output) unless it exits 0.
fn conformance(bin: &str, url: &str, args: &[&str]) -> String {
    let (success, text) = run_suite(bin, url, args);
    assert!(success, "{bin} server {args:?} failed:\n{text}");
    text
}

/// The whole 2026-07-28 suite, one process, its per-scenario `checks.json` written
/// under `out`.
fn run_2026_07_28(url: &str, out: &Path, extra: &[&str]) -> (bool, String) {
    let out = out.to_str().unwrap();
    let mut args = vec![
        "--suite",
        "all",
        "--spec-version",
        "2026-07-28",
        "--output-dir",
        out,
    ];
    args.extend_from_slice(extra);
    run_suite(SUITE_NEXT, url, &args)
}

async fn run_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// The fixture tools the suites call, as the server lists them: a missing tool could
/// otherwise pass vacuously (tools-call-simple-text in 0.1.16; in 2026-07-28,
/// input-required-result-validate-input passes on a "tool not found" error, and
/// missing-input-response and ignore-extra-params only warn).
async fn assert_fixtures_listed(server: &ServedHandler) {
    let client = mcp_client(&server.mcp_url()).await;
    let listed: BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    let expected: BTreeSet<String> = fixtures::all_tools()
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(client.list_all_resources().await.unwrap().len(), 3);
    let prompts: Vec<String> = client
        .list_all_prompts()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(prompts.len(), 5, "{prompts:?}");
    assert!(prompts.iter().any(|p| p == input_required::PROMPT));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Node 22 and the MCP conformance suite: scripts/test.sh"]
async fn active_suite_passes_against_the_conformance_server_with_the_baseline() {
    let server = ServedHandler::start(Fixtures::default()).await;
    assert_fixtures_listed(&server).await;

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
#[ignore = "needs Node 22 and the MCP conformance suite: scripts/test.sh"]
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

/// The 2026-07-28 revision, all 40 scenarios, against the conformance server: the
/// suite itself judges the run against the baseline (exit 1 on a new failure or a
/// listed one that passes); the test also checks that every scenario ran, with
/// checks, and that the fixtures (not a "not found" error) gave the answers.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Node 22 and the MCP conformance suite: scripts/test.sh"]
async fn suite_2026_07_28_passes_against_the_conformance_server_with_its_baseline() {
    let server = ServedHandler::start(Fixtures::default()).await;
    assert_fixtures_listed(&server).await;

    let url = server.mcp_url();
    let out = tempfile::tempdir().unwrap();
    let out_path = out.path().to_owned();
    let baseline = repo_root().join("tests/conformance/baseline-2026-07-28.yml");
    let (success, output) = run_blocking(move || {
        run_2026_07_28(
            &url,
            &out_path,
            &["--expected-failures", baseline.to_str().unwrap()],
        )
    })
    .await;
    assert!(
        success,
        "2026-07-28 suite against the conformance server:\n{output}"
    );
    assert!(
        output.contains("Running all suite (40 scenarios)"),
        "{output}"
    );

    let results = read_results(out.path());
    let ran: BTreeSet<&str> = results.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = SCENARIOS_2026_07_28.iter().copied().collect();
    assert_eq!(ran, expected, "{output}");
    for (scenario, checks) in &results {
        assert!(!checks.is_empty(), "{scenario} ran no checks:\n{output}");
        let text = serde_json::to_string(checks).unwrap();
        assert!(
            !text.contains("not found: test_") && !text.contains("not found: json_schema"),
            "{scenario} met a missing fixture: {text}"
        );
    }
    // The scenario that passes even without its tool: here the tool's own
    // validation refused the malformed input response.
    let validate = serde_json::to_string(&results["input-required-result-validate-input"]).unwrap();
    assert!(
        validate.contains("inputResponses.user_name is not an elicitation result"),
        "{validate}"
    );
}

/// The real binary through the 2026-07-28 scenarios that need no fixture tool, judged
/// against `tests/conformance/binary-2026-07-28.yml`: a failure not listed there, or
/// a listed one that now passes, fails the test and says which.
#[test]
#[ignore = "needs Node 22 and the MCP conformance suite: scripts/test.sh"]
fn suite_2026_07_28_against_the_real_binary_fails_only_its_baseline() {
    let handler = Handler::start(&[]);
    let out = tempfile::tempdir().unwrap();
    // Exit status ignored: the scenarios that need fixtures fail against the binary.
    let (_, output) = run_2026_07_28(&handler.url("/mcp"), out.path(), &[]);
    let results = read_results(out.path());
    let baseline = Baseline::read(&repo_root().join("tests/conformance/binary-2026-07-28.yml"));
    let verdict = judge(&results, BINARY_SCENARIOS, &baseline);
    assert!(
        verdict.unexpected.is_empty() && verdict.stale.is_empty(),
        "the real binary against the 2026-07-28 suite ({}):\n\
         failures not in the baseline: {:#?}\n\
         baseline entries that now pass (remove them): {:#?}\n\n{output}",
        baseline.path,
        verdict.unexpected,
        verdict.stale,
    );
}

/// One scenario's checks, as the suite wrote them to `checks.json`.
type Checks = Vec<Value>;

/// The `checks.json` of every scenario under `out`, by scenario name (the suite
/// names each directory `server-<scenario>-<ISO timestamp>`).
fn read_results(out: &Path) -> BTreeMap<String, Checks> {
    let mut results = BTreeMap::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let scenario = name
            .strip_prefix("server-")
            .and_then(|rest| rest.get(..rest.len().checked_sub(25)?))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| panic!("unexpected result directory {name}"));
        let checks: Checks =
            serde_json::from_str(&std::fs::read_to_string(dir.join("checks.json")).unwrap())
                .unwrap();
        assert!(
            results.insert(scenario.to_owned(), checks).is_none(),
            "{scenario} ran twice"
        );
    }
    results
}

/// An expected-failures file in the suite's format (`server:` entries, each
/// `<scenario>` or `<scenario>:<check-id>`), where every entry carries its reason
/// as a `# ...` comment on its line.
struct Baseline {
    path: String,
    entries: Vec<(String, Option<String>)>,
}

impl Baseline {
    fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
        let entries = docs[0]["server"]
            .as_vec()
            .unwrap_or_else(|| panic!("{}: no `server:` list", path.display()))
            .iter()
            .map(|entry| {
                let entry = entry.as_str().unwrap().to_owned();
                let line = text
                    .lines()
                    .find(|l| {
                        l.trim_start()
                            .strip_prefix("- ")
                            .and_then(|rest| rest.split(" #").next())
                            .is_some_and(|written| written.trim() == entry)
                    })
                    .unwrap_or_else(|| {
                        panic!("{}: cannot find the line of {entry}", path.display())
                    });
                assert!(
                    line.split_once(" # ")
                        .is_some_and(|(_, reason)| !reason.trim().is_empty()),
                    "{}: `{entry}` has no `# reason`",
                    path.display()
                );
                match entry.split_once(':') {
                    Some((scenario, check)) => (scenario.to_owned(), Some(check.to_owned())),
                    None => (entry, None),
                }
            })
            .collect();
        Self {
            path: path
                .strip_prefix(repo_root())
                .unwrap_or(path)
                .display()
                .to_string(),
            entries,
        }
    }
}

#[derive(Debug, Default)]
struct Verdict {
    /// `scenario` or `scenario:check-id`, with the suite's message.
    unexpected: Vec<String>,
    /// Baseline entries that passed.
    stale: Vec<String>,
}

/// The suite's baseline rules (`src/expected-failures.ts`, `evaluateBaseline`),
/// applied to `scenarios` only: FAILURE and WARNING are failures; a whole-scenario
/// entry is stale when nothing in it failed; a per-check entry is stale when that
/// check succeeded; every other failing check is unexpected.
fn judge(results: &BTreeMap<String, Checks>, scenarios: &[&str], baseline: &Baseline) -> Verdict {
    for (scenario, _) in &baseline.entries {
        assert!(
            scenarios.contains(&scenario.as_str()),
            "{}: {scenario} is not among the scenarios judged here: {scenarios:?}",
            baseline.path
        );
    }
    let failed = |c: &Value| matches!(c["status"].as_str(), Some("FAILURE" | "WARNING"));
    let mut verdict = Verdict::default();
    for scenario in scenarios {
        let checks = results
            .get(*scenario)
            .unwrap_or_else(|| panic!("{scenario} did not run"));
        assert!(!checks.is_empty(), "{scenario} ran no checks");
        let listed: Vec<&Option<String>> = baseline
            .entries
            .iter()
            .filter(|(s, _)| s == scenario)
            .map(|(_, check)| check)
            .collect();
        if listed.iter().any(|check| check.is_none()) {
            if !checks.iter().any(failed) {
                verdict.stale.push((*scenario).to_owned());
            }
            continue;
        }
        let listed: BTreeSet<&str> = listed.iter().filter_map(|c| c.as_deref()).collect();
        for check in checks.iter().filter(|c| failed(c)) {
            let id = check["id"].as_str().unwrap_or_default();
            if !listed.contains(id) {
                verdict.unexpected.push(format!(
                    "{scenario}:{id} ({}): {}",
                    check["status"].as_str().unwrap_or_default(),
                    check["errorMessage"].as_str().unwrap_or_default()
                ));
            }
        }
        for id in listed {
            let statuses: Vec<&str> = checks
                .iter()
                .filter(|c| c["id"] == id)
                .filter_map(|c| c["status"].as_str())
                .collect();
            if statuses.contains(&"SUCCESS") && !checks.iter().any(|c| c["id"] == id && failed(c)) {
                verdict.stale.push(format!("{scenario}:{id}"));
            }
        }
    }
    verdict
}
