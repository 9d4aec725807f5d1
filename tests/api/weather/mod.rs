//! The weather tools end to end: a real MCP client calls the server, whose upstream
//! APIs are local wiremock servers answering real recorded bodies
//! (`tests/fixtures/`, provenance in its README) with the real content types.

use rmcp::model::{CallToolRequestParams, CallToolResult};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, method, path},
};

use crate::helpers::{TestApp, Upstreams, answer};

mod alerts;
mod current;
mod forecast;

/// A short deadline, so the "down until the deadline" and timeout cases take ~1 s.
const SHORT_DEADLINE: (&str, &str) = ("WEATHER_TIMEOUT_SECONDS", "1");
const CURRENT: &str =
    "temperature_2m,relative_humidity_2m,wind_speed_10m,wind_direction_10m,weather_code";

/// The point the recorded `points.json` describes, and its forecast.
async fn mount_cedar_rapids(nws: &MockServer, points_cache_control: Option<&str>, times: u64) {
    let mut points = answer(200, "points.json");
    if let Some(value) = points_cache_control {
        points = points.insert_header("cache-control", value);
    }
    Mock::given(method("GET"))
        .and(path("/points/41.978,-91.67"))
        .respond_with(points)
        .expect(times)
        .mount(nws)
        .await;
    Mock::given(method("GET"))
        .and(path("/gridpoints/DVN/30,86/forecast"))
        .respond_with(
            answer(200, "forecast.json")
                .insert_header("cache-control", "public, max-age=749, s-maxage=3600"),
        )
        .mount(nws)
        .await;
}

/// Any request to this server fails the test when the server is dropped.
async fn expect_no_requests(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

async fn call(app: &TestApp, tool: &str, arguments: Value) -> CallToolResult {
    let client = app.client().await;
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap();
    client.cancel().await.unwrap();
    result
}

fn text(result: &CallToolResult) -> &str {
    &result.content[0].as_text().expect("a text block").text
}

fn assert_error(result: &CallToolResult, fragments: &[&str]) {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(result.structured_content.is_none(), "{result:?}");
    for fragment in fragments {
        assert!(
            text(result).contains(fragment),
            "{:?} lacks {fragment:?}",
            text(result)
        );
    }
}

fn structured(result: &CallToolResult) -> &Value {
    assert_eq!(result.is_error, Some(false), "{}", text(result));
    result
        .structured_content
        .as_ref()
        .expect("structuredContent")
}

#[tokio::test]
async fn invalid_arguments_name_the_argument_and_never_reach_upstream() {
    let up = Upstreams::start().await;
    expect_no_requests(&up.nws).await;
    expect_no_requests(&up.geocoding).await;
    expect_no_requests(&up.forecast).await;
    let app = up.app(&[]).await;

    let cases = [
        (
            "get_forecast",
            json!({"latitude": 91, "longitude": 0}),
            "`latitude`",
        ),
        (
            "get_forecast",
            json!({"latitude": 0, "longitude": -180.5}),
            "`longitude`",
        ),
        (
            "get_forecast",
            json!({"latitude": "north", "longitude": 0}),
            "`latitude` must be a number",
        ),
        (
            "get_forecast",
            json!({"latitude": 40}),
            "missing field `longitude`",
        ),
        (
            "get_alerts",
            json!({"state": 5}),
            "`state` must be a two-letter code",
        ),
        ("get_alerts", json!({}), "missing field `state`"),
        (
            "get_hourly_forecast",
            json!({"latitude": 40, "longitude": -74, "hours": 500}),
            "`hours` must be a whole number of hours from 1 to 156",
        ),
        ("get_weather", json!({"location": "  "}), "`location`"),
        (
            "get_weather",
            json!({"location": null}),
            "`location` must be a place name",
        ),
    ];
    for (tool, arguments, expected) in cases {
        let result = call(&app, tool, arguments.clone()).await;
        assert_eq!(result.is_error, Some(true), "{tool} {arguments}");
        assert!(
            text(&result).contains(expected),
            "{tool} {arguments}: {}",
            text(&result)
        );
    }
}
