//! The MCP App for `get_weather` (extension `io.modelcontextprotocol/ui`): how the
//! server declares and serves it, and the widget itself in a real browser (Debian's
//! chromium driven by playwright-core) inside a host built on the MCP Apps SDK's host
//! side (`AppBridge` from `@modelcontextprotocol/ext-apps`, in `tests/browser/host.js`,
//! driven by `tests/npm/widget-driver.mjs`), showing real `get_weather` results from
//! the real binary.

use std::{path::PathBuf, process::Command};

use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

use crate::{
    helpers::{
        TestApp, Upstreams, call_tool, clients::run_client, installed_tool, mcp_client, repo_root,
    },
    tool_table::ToolEnv,
};

pub const URI: &str = "ui://weather/index.html";
pub const MIME: &str = "text/html;profile=mcp-app";

async fn rpc(app: &TestApp, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    app.post(&body).await.json().await.unwrap()
}

#[tokio::test]
async fn capabilities_declare_prompts_resources_and_the_ui_extension() {
    let app = TestApp::spawn().await;
    let body = rpc(
        &app,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {},
               "clientInfo": {"name": "raw", "version": "0"}}),
    )
    .await;
    let capabilities = &body["result"]["capabilities"];
    assert!(capabilities["resources"].is_object(), "{body}");
    assert!(capabilities["tools"].is_object(), "{body}");
    assert!(capabilities["prompts"].is_object(), "{body}");
    assert_eq!(
        capabilities["extensions"]["io.modelcontextprotocol/ui"],
        json!({"mimeTypes": [MIME]}),
        "{body}"
    );
}

#[tokio::test]
async fn get_weather_links_the_widget_and_no_other_tool_does() {
    let app = TestApp::spawn().await;
    let body = rpc(&app, "tools/list", json!({})).await;
    for tool in body["result"]["tools"].as_array().unwrap() {
        let expected = if tool["name"] == "get_weather" {
            json!({"ui": {"resourceUri": URI}})
        } else {
            Value::Null
        };
        assert_eq!(tool["_meta"], expected, "{}", tool["name"]);
    }
}

#[tokio::test]
async fn the_widget_is_listed_and_read_and_unknown_uris_are_not_found() {
    let app = TestApp::spawn().await;

    // With no snippets saved, the widget is the one resource.
    let list = rpc(&app, "resources/list", json!({})).await;
    assert_eq!(
        list["result"]["resources"],
        json!([{"uri": URI, "name": "Weather Widget",
                "description": "Interactive weather display for MCP Apps",
                "mimeType": MIME, "_meta": {"ui": {"prefersBorder": true}}}]),
        "{list}"
    );

    let read = rpc(&app, "resources/read", json!({"uri": URI})).await;
    let contents = read["result"]["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 1, "{read}");
    assert_eq!(contents[0]["uri"], URI);
    assert_eq!(contents[0]["mimeType"], MIME);
    assert_eq!(contents[0]["_meta"], json!({"ui": {"prefersBorder": true}}));
    let html = contents[0]["text"].as_str().unwrap();
    assert!(html.starts_with("<!doctype html>"), "{html}");
    // Self-contained: nothing for the host's CSP to block.
    for external in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(external), "the widget loads {external}…");
    }

    let unknown = rpc(
        &app,
        "resources/read",
        json!({"uri": "ui://weather/nope.html"}),
    )
    .await;
    assert_eq!(unknown["error"]["code"], -32002, "{unknown}");
    assert_eq!(unknown["error"]["data"]["uri"], "ui://weather/nope.html");
}

/// Relative luminance (0 black to 1 white) of a CSS `rgb(r, g, b)` colour.
fn luminance(css: &Value) -> f64 {
    let css = css.as_str().unwrap();
    let channels: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .map(|c| c.trim().parse::<f64>().unwrap() / 255.0)
        .map(|c| {
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        })
        .collect();
    assert_eq!(channels.len(), 3, "not an rgb colour: {css}");
    0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
}

/// WCAG contrast ratio of a scenario's text on its background.
fn contrast(scenario: &Value) -> f64 {
    let (a, b) = (
        luminance(&scenario["color"]),
        luminance(&scenario["background"]),
    );
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// Where screenshots go: `WIDGET_SCREENSHOTS` to keep them, else a temp dir.
fn screenshot_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("WIDGET_SCREENSHOTS") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            (PathBuf::from(dir), None)
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            (dir.path().to_owned(), Some(dir))
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and Node: scripts/test.sh"]
async fn chromium_shows_real_get_weather_results_and_follows_the_host_theme() {
    let upstreams = Upstreams::start().await;
    upstreams.mount_unknown_place("Atlantis").await;
    upstreams.mount_happy_paths().await;
    let env = ToolEnv::with(upstreams);
    let handler = env.handler(&[]);

    // What a host does: read the widget, call the tool, hand both to the view.
    let client = mcp_client(&handler.url("/mcp")).await;
    let read = client
        .read_resource(ReadResourceRequestParams::new(URI))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text: html, .. } = &read.contents[0] else {
        panic!("the widget is not text: {read:?}")
    };
    let mut calls = Vec::new();
    for place in ["Berlin", "Atlantis"] {
        let arguments = json!({"location": place});
        let result = call_tool(&client, "get_weather", arguments.clone()).await;
        calls.push(json!({"arguments": arguments, "result": result}));
    }
    client.cancel().await.unwrap();
    assert_eq!(calls[0]["result"]["isError"], false, "{}", calls[0]);
    assert_eq!(calls[1]["result"]["isError"], true, "{}", calls[1]);

    let work = tempfile::tempdir().unwrap();
    let (screenshots, _keep) = screenshot_dir();
    let input = work.path().join("input.json");
    let data = json!({"html": html, "call": calls[0], "errorCall": calls[1],
                      "screenshotDir": screenshots});
    std::fs::write(&input, data.to_string()).unwrap();
    let mut command = Command::new(installed_tool("MCP_TEST_NODE"));
    command
        .arg(repo_root().join("tests/npm/widget-driver.mjs"))
        .arg(&input);
    // Killed by PID if it overruns; playwright closes chromium in a `finally`.
    let report = tokio::task::spawn_blocking(move || run_client(command))
        .await
        .unwrap();
    assert_eq!(report["errors"], json!([]), "console or page errors");
    assert_eq!(report["sdkWarnings"], json!([]), "the MCP Apps SDK warned");

    // The Berlin result, as the user reads it.
    let light = &report["scenarios"]["light"];
    // Compared case-insensitively: labels are upper-cased by CSS, which innerText applies.
    let text = light["text"].as_str().unwrap().to_lowercase();
    for shown in [
        "Berlin",
        "Land Berlin, Germany",
        "Moderate rain",
        "8.8 °C 47.8 °F",
        "Humidity",
        "87%",
        "Wind",
        "28.8 km/h from NW",
        "Observed",
        "25 Feb 2025, 15:45 (UTC+01:00)",
        "Weather data by Open-Meteo.com",
    ] {
        let shown = shown.to_lowercase();
        assert!(text.contains(&shown), "{shown:?} not shown in:\n{text}");
    }
    assert!(!text.contains("waiting"), "{text}");

    // The handshake happened in the order the SDK expects (the AppBridge checked every
    // message against its schemas), the widget sized itself, and it answered the
    // host's teardown.
    let methods: Vec<&str> = light["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(
        methods[..2],
        ["ui/initialize", "ui/notifications/initialized"]
    );
    assert!(
        methods.contains(&"ui/notifications/size-changed"),
        "{methods:?}"
    );
    assert_eq!(light["initialize"]["protocolVersion"], "2026-01-26");
    assert_eq!(light["teardown"], json!({}), "{light}");

    // Light, then dark when the host switches, and dark when the host starts dark;
    // readable in both.
    let dark = &report["scenarios"]["dark"];
    let switched = &report["scenarios"]["switchedToDark"];
    assert!(luminance(&light["background"]) > 0.8, "{light}");
    assert!(luminance(&dark["background"]) < 0.05, "{dark}");
    assert!(luminance(&switched["background"]) < 0.05, "{switched}");
    assert_eq!(dark["text"], light["text"]);
    for scenario in [light, dark, switched] {
        assert!(contrast(scenario) > 7.0, "low contrast: {scenario}");
    }

    // The failed call: its message, in an alert, and no stale weather.
    let error = &report["scenarios"]["error"];
    let alert = error["alert"].as_str().unwrap();
    assert!(alert.contains("No place found for \"Atlantis\""), "{alert}");
    assert!(!error["text"].as_str().unwrap().contains("°C"), "{error}");
}
