//! Valid arguments for every tool the server lists: the one table from which the
//! Inspector, TypeScript SDK and Python SDK tests call each tool.
//!
//! Adding a tool means adding a row here; `every_listed_tool_has_a_row` fails until
//! then. A tool that needs a server setting (a local stand-in for an upstream API,
//! a storage directory) gets it in [`ToolEnv::start`], which every client test uses
//! to start the binary.

use std::{any::Any, collections::BTreeSet};

use serde_json::{Value, json};

use crate::helpers::{Handler, TestApp, Upstreams, mcp_client};

/// One valid call: the tool and arguments it must accept without `isError`.
pub(crate) struct ToolCall {
    pub tool: &'static str,
    pub arguments: Value,
}

/// Every tool with valid arguments, one row per tool, in an order that works on one
/// server: the snippet is saved before it is read, listed and deleted.
pub(crate) fn valid_calls() -> Vec<ToolCall> {
    let row = |tool, arguments| ToolCall { tool, arguments };
    vec![
        row("get_alerts", json!({"state": "WA"})),
        row(
            "get_forecast",
            json!({"latitude": 41.978, "longitude": -91.67}),
        ),
        row(
            "get_hourly_forecast",
            json!({"latitude": 41.978, "longitude": -91.67, "hours": 2}),
        ),
        row("get_weather", json!({"location": "Berlin"})),
        row(
            "save_snippet",
            json!({"snippetname": "table-row", "snippet": "fn main() {}"}),
        ),
        row("get_snippet", json!({"snippetname": "table-row"})),
        row("list_snippets", json!({"prefix": "table"})),
        row("delete_snippet", json!({"snippetname": "table-row"})),
        row("get_current_user", json!({})),
    ]
}

/// The server settings the table's calls need, and whatever serves them (local
/// upstream stand-ins), kept alive as long as this value.
pub(crate) struct ToolEnv {
    vars: Vec<(String, String)>,
    _stand_ins: Vec<Box<dyn Any + Send>>,
}

impl ToolEnv {
    /// Starts the stand-ins the tools need and collects the matching settings: local
    /// NWS and Open-Meteo servers answering recorded bodies. Snippets go to the
    /// default directory under the handler's own temporary working directory.
    pub(crate) async fn start() -> Self {
        let upstreams = Upstreams::start().await;
        upstreams.mount_happy_paths().await;
        Self::with(upstreams)
    }

    /// Like [`ToolEnv::start`], with upstreams the caller has set up (e.g. the happy
    /// paths plus an unknown place).
    pub(crate) fn with(upstreams: Upstreams) -> Self {
        Self {
            vars: upstreams
                .vars()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            _stand_ins: vec![Box::new(upstreams)],
        }
    }

    /// The real binary with these settings plus `extra`.
    pub(crate) fn handler(&self, extra: &[(&str, &str)]) -> Handler {
        let mut vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        vars.extend_from_slice(extra);
        Handler::start(&vars)
    }
}

/// The table as `TOOL JSON_ARGS` pairs, the command line of tests/npm/client.mjs
/// and tests/python/client.py.
pub(crate) fn call_args() -> Vec<String> {
    valid_calls()
        .into_iter()
        .flat_map(|c| [c.tool.to_owned(), c.arguments.to_string()])
        .collect()
}

/// Asserts a client's report holds one successful result per table row, in order.
pub(crate) fn assert_all_calls_succeeded(report: &Value) {
    let calls = report["calls"].as_array().expect("calls in the report");
    let table = valid_calls();
    assert_eq!(calls.len(), table.len(), "{report}");
    for (call, row) in calls.iter().zip(&table) {
        assert_eq!(call["name"], row.tool);
        let result = &call["result"];
        assert_ne!(result["isError"], true, "{}: {call}", row.tool);
        // Every tool declares an outputSchema: the clients checked the structured
        // content against it; a person reads the text block.
        assert!(
            result["structuredContent"].is_object(),
            "{}: {call}",
            row.tool
        );
        assert_eq!(result["content"][0]["type"], "text", "{}: {call}", row.tool);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_listed_tool_has_a_row() {
    let env = ToolEnv::start().await;
    let handler = env.handler(&[]);
    let client = mcp_client(&handler.url("/mcp")).await;
    let listed: BTreeSet<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    client.cancel().await.unwrap();
    let rows: BTreeSet<String> = valid_calls().iter().map(|c| c.tool.to_owned()).collect();
    assert_eq!(
        listed, rows,
        "tests/api/tool_table.rs must have one row per listed tool"
    );
}

/// What the model reads about every tool. After changing a tool, regenerate it with
/// `INSTA_UPDATE=always scripts/test.sh tool_table::` and review the diff.
#[tokio::test]
async fn tools_list_snapshot() {
    let app = TestApp::spawn().await;
    let response = app
        .post(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    let body: Value = response.json().await.unwrap();
    let tools = &body["result"]["tools"];
    assert_one_wire_style(tools, "tools");
    assert_portable_formats(tools, "tools");
    insta::assert_json_snapshot!("tools_list", body["result"]);
}

/// Every key the model sees in a schema's `properties` is camelCase, and no
/// description carries a hard line break (doc comments are written one sentence
/// after another on one line, as the model reads them).
fn assert_one_wire_style(value: &Value, at: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}.{key}");
                if key == "description" {
                    let text = child.as_str().unwrap_or_default();
                    assert!(!text.contains('\n'), "{here} has a line break: {text:?}");
                }
                if key == "properties" {
                    for name in child.as_object().into_iter().flat_map(|p| p.keys()) {
                        assert!(
                            !name.contains('_') || name.starts_with('_'),
                            "{here}.{name} is not camelCase"
                        );
                    }
                }
                assert_one_wire_style(child, &here);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_one_wire_style(item, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}

/// The formats JSON Schema 2020-12 defines (Validation, section 7.3).
const JSON_SCHEMA_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Every `format` in the tools' schemas is one JSON Schema defines: validators warn
/// about others (schemars' `uint64`, `double`) or, when strict, refuse the schema.
fn assert_portable_formats(value: &Value, at: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}.{key}");
                if let ("format", Value::String(format)) = (key.as_str(), child) {
                    assert!(
                        JSON_SCHEMA_FORMATS.contains(&format.as_str()),
                        "{here} is {format:?}, which JSON Schema does not define"
                    );
                }
                assert_portable_formats(child, &here);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_portable_formats(item, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}
