//! Third-party clients against the real binary: the official TypeScript SDK (1.x and
//! 2.x) and the official Python SDK (1.x and 2.x), installed by `scripts/test.sh`.
//! Each one connects, lists tools, calls every tool with the arguments in
//! [`crate::tool_table`] (checking structuredContent against the outputSchema), and
//! reads every resource: the real server's one resource is the weather widget; text
//! and binary resources are proven against the conformance server. The TypeScript
//! SDK 2.x also gets prompts and completions, in both of its handshakes.

use serde_json::{Value, json};

use crate::{
    conformance::Fixtures,
    helpers::{
        PYTHON_SDKS, ServedHandler, clients::typescript2_client, python_client, typescript_client,
    },
    tool_table::{ToolEnv, assert_all_calls_succeeded, call_args},
};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the TypeScript MCP SDK: scripts/test.sh"]
async fn typescript_sdk_calls_every_tool() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    let url = handler.url("/mcp");
    let report = tokio::task::spawn_blocking(move || typescript_client(&url, &[], &call_args()))
        .await
        .unwrap();
    assert_eq!(report["serverInfo"]["name"], "rust-mcp-functions");
    assert!(
        report["instructions"]
            .as_str()
            .unwrap()
            .contains("get_weather")
    );
    assert!(report["tools"].is_array(), "{report}");
    assert_all_calls_succeeded(&report);
    assert_read_the_widget(&report);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Python MCP SDK: scripts/test.sh"]
async fn python_sdks_call_every_tool() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    for python in PYTHON_SDKS {
        let url = handler.url("/mcp");
        let report =
            tokio::task::spawn_blocking(move || python_client(python, &url, &[], &call_args()))
                .await
                .unwrap();
        assert_eq!(
            report["initialize"]["serverInfo"]["name"], "rust-mcp-functions",
            "{python}"
        );
        assert!(report["tools"].is_array(), "{report}");
        assert_all_calls_succeeded(&report);
        assert_read_the_widget(&report);
    }
}

/// The TypeScript SDK 2.x's `versionNegotiation` modes and the revision each one
/// speaks with this server: `legacy` (its default, the 2025 `initialize` handshake)
/// and `auto` (`server/discover`, 2026-07-28). Clients built on it use either.
const NEGOTIATIONS: [(&str, &str); 2] = [("legacy", "2025-11-25"), ("auto", "2026-07-28")];

/// What the SDK prints when a schema uses a `format` JSON Schema does not define
/// (ajv: `unknown format "uint64" ignored in schema at path ...`), or anything else
/// about a schema.
fn assert_no_schema_warnings(stderr: &str, negotiation: &str) {
    for warning in ["unknown format", "schema"] {
        assert!(
            !stderr.contains(warning),
            "{negotiation}: the SDK warned about a schema:\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the TypeScript SDK 2.x (tests/npm): scripts/test.sh"]
async fn typescript_sdk_2_calls_every_tool_gets_prompts_and_reads_resources() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    for (negotiation, revision) in NEGOTIATIONS {
        let url = handler.url("/mcp");
        let options = [
            "--negotiation",
            negotiation,
            "--prompt",
            "weather_briefing",
            r#"{"location": "Berlin"}"#,
        ];
        let (report, stderr) =
            tokio::task::spawn_blocking(move || typescript2_client(&url, &options, &call_args()))
                .await
                .unwrap();
        assert_eq!(
            report["protocolVersion"], revision,
            "{negotiation}: {report}"
        );
        assert_eq!(report["serverInfo"]["name"], "rust-mcp-functions");
        assert_no_schema_warnings(&stderr, negotiation);
        assert_all_calls_succeeded(&report);
        assert_read_the_widget(&report);

        let prompts: Vec<&str> = report["prompts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            prompts,
            ["use_snippet", "weather_briefing"],
            "{negotiation}"
        );
        let briefing = &report["promptResults"][0]["result"]["messages"][0];
        assert_eq!(briefing["role"], "user", "{negotiation}: {report}");
        assert!(
            briefing["content"]["text"]
                .as_str()
                .unwrap()
                .starts_with("Give me a weather briefing for Berlin."),
            "{negotiation}: {briefing}"
        );
        assert_eq!(
            report["templates"][0]["uriTemplate"], "snippet:///{name}",
            "{negotiation}: {report}"
        );
    }
}

/// Completion of a snippet's name, for `use_snippet`'s `name` and for the
/// `snippet:///{name}` template: the names saved that start with what was typed.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the TypeScript SDK 2.x (tests/npm): scripts/test.sh"]
async fn typescript_sdk_2_completes_snippet_names() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    let saves: Vec<String> = ["alpha-notes", "alpha-plan", "beta"]
        .iter()
        .flat_map(|name| {
            [
                "save_snippet".to_owned(),
                json!({"snippetname": name, "snippet": "text", "overwrite": true}).to_string(),
            ]
        })
        .collect();
    let prompt = json!({"ref": {"type": "ref/prompt", "name": "use_snippet"},
                        "argument": {"name": "name", "value": "alp"}});
    let template = json!({"ref": {"type": "ref/resource", "uri": "snippet:///{name}"},
                          "argument": {"name": "name", "value": "alp"}});
    for (negotiation, revision) in NEGOTIATIONS {
        let url = handler.url("/mcp");
        let options = [
            "--negotiation".to_owned(),
            negotiation.to_owned(),
            "--complete".to_owned(),
            prompt.to_string(),
            "--complete".to_owned(),
            template.to_string(),
        ];
        let saves = saves.clone();
        let (report, stderr) = tokio::task::spawn_blocking(move || {
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            typescript2_client(&url, &options, &saves)
        })
        .await
        .unwrap();
        assert_eq!(
            report["protocolVersion"], revision,
            "{negotiation}: {report}"
        );
        assert_no_schema_warnings(&stderr, negotiation);
        assert!(
            report["capabilities"]["completions"].is_object(),
            "{negotiation}: {report}"
        );
        let completions = report["completions"].as_array().unwrap();
        assert_eq!(completions.len(), 2, "{negotiation}: {report}");
        for completion in completions {
            let mut values: Vec<&str> = completion["result"]["completion"]["values"]
                .as_array()
                .unwrap_or_else(|| panic!("{negotiation}: {completion}"))
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            values.sort_unstable();
            assert_eq!(
                values,
                ["alpha-notes", "alpha-plan"],
                "{negotiation}: {completion}"
            );
        }
    }
}

/// The client listed and read the real server's one resource, the widget's HTML.
fn assert_read_the_widget(report: &Value) {
    let reads = reads(report);
    assert_eq!(reads.len(), 1, "{report}");
    let (uri, contents) = &reads[0];
    assert_eq!(uri, crate::widget::URI);
    assert_eq!(contents["mimeType"], crate::widget::MIME);
    assert!(
        contents["text"].as_str().unwrap().contains("</html>"),
        "{contents}"
    );
}

/// The resources a client read, as `uri -> contents[0]`.
fn reads(report: &Value) -> Vec<(String, Value)> {
    report["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["uri"].as_str().unwrap().to_owned(),
                r["contents"][0].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the TypeScript and Python MCP SDKs: scripts/test.sh"]
async fn sdks_read_every_resource_through_the_transport() {
    let server = ServedHandler::start(Fixtures::default()).await;
    let url = server.mcp_url();
    let reports = tokio::task::spawn_blocking(move || {
        let mut reports = vec![("typescript", typescript_client(&url, &[], &[]))];
        for python in PYTHON_SDKS {
            reports.push((python, python_client(python, &url, &[], &[])));
        }
        reports
    })
    .await
    .unwrap();
    for (client, report) in reports {
        let reads = reads(&report);
        assert_eq!(reads.len(), 3, "{client}: {report}");
        let text = &reads
            .iter()
            .find(|(uri, _)| uri == "test://static-text")
            .unwrap()
            .1;
        assert_eq!(
            text["text"], "This is the content of the static text resource.",
            "{client}"
        );
        let binary = &reads
            .iter()
            .find(|(uri, _)| uri == "test://static-binary")
            .unwrap()
            .1;
        assert_eq!(binary["mimeType"], "image/png", "{client}");
        assert_eq!(binary["blob"], crate::conformance::PNG, "{client}");
    }
}
