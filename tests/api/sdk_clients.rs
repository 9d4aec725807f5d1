//! Third-party clients against the real binary: the official TypeScript SDK and the
//! official Python SDK (1.x and 2.x), installed by `scripts/test.sh`. Each one
//! initializes, lists tools, calls every tool with the arguments in
//! [`crate::tool_table`] (checking structuredContent against the outputSchema), and
//! reads every resource: the real server's one resource is the weather widget; text
//! and binary resources are proven against the conformance server.

use serde_json::Value;

use crate::{
    conformance::Fixtures,
    helpers::{PYTHON_SDKS, ServedHandler, python_client, typescript_client},
    tool_table::{ToolEnv, assert_all_calls_succeeded, call_args},
};

#[tokio::test(flavor = "multi_thread")]
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
