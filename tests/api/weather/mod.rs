//! The weather tools end to end: a real MCP client calls the server, whose upstream
//! APIs are local wiremock servers answering real recorded bodies
//! (`tests/fixtures/`, provenance in its README) with the real content types.

use rmcp::model::{CallToolRequestParams, CallToolResult};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, method, path, query_param},
};

use crate::helpers::{TestApp, repo_root};

mod alerts;
mod current;
mod forecast;

/// A short deadline, so the "down until the deadline" and timeout cases take ~1 s.
const SHORT_DEADLINE: (&str, &str) = ("WEATHER_TIMEOUT_SECONDS", "1");
const CURRENT: &str =
    "temperature_2m,relative_humidity_2m,wind_speed_10m,wind_direction_10m,weather_code";

/// The three upstream APIs, each a local server.
pub struct Upstreams {
    nws: MockServer,
    geocoding: MockServer,
    forecast: MockServer,
}

impl Upstreams {
    pub async fn start() -> Self {
        Self {
            nws: MockServer::start().await,
            geocoding: MockServer::start().await,
            forecast: MockServer::start().await,
        }
    }

    /// Answers every call in `tool_table` with recorded bodies: WA alerts, the Cedar
    /// Rapids point and forecast, Berlin's geocoding and current weather.
    pub async fn mount_happy_paths(&self) {
        Mock::given(method("GET"))
            .and(path("/alerts/active"))
            .respond_with(answer(200, "alerts.json"))
            .mount(&self.nws)
            .await;
        for (route, body) in [
            ("/points/41.978,-91.67", "points.json"),
            ("/gridpoints/DVN/30,86/forecast", "forecast.json"),
        ] {
            Mock::given(method("GET"))
                .and(path(route))
                .respond_with(answer(200, body))
                .mount(&self.nws)
                .await;
        }
        Mock::given(path("/v1/search"))
            .respond_with(answer(200, "geocode.json"))
            .mount(&self.geocoding)
            .await;
        Mock::given(path("/v1/forecast"))
            .respond_with(answer(200, "current.json"))
            .mount(&self.forecast)
            .await;
    }

    /// Open-Meteo's recorded "nothing found" answer to a search for `name`, ahead of
    /// (higher priority than) the happy path's answer to every search.
    pub async fn mount_unknown_place(&self, name: &str) {
        Mock::given(path("/v1/search"))
            .and(query_param("name", name))
            .respond_with(answer(200, "geocode-empty.json"))
            .with_priority(1)
            .mount(&self.geocoding)
            .await;
    }

    /// The settings that point the server at these upstreams.
    pub fn vars(&self) -> Vec<(String, String)> {
        [
            ("NWS_CONTACT", CONTACT.to_owned()),
            ("NWS_API_BASE_URL", self.nws.uri()),
            ("OPEN_METEO_GEOCODING_URL", self.geocoding.uri()),
            ("OPEN_METEO_FORECAST_URL", self.forecast.uri()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The server under test, pointed at these upstreams, with `extra` settings.
    async fn app(&self, extra: &[(&str, &str)]) -> TestApp {
        let (nws, geocoding, forecast) =
            (self.nws.uri(), self.geocoding.uri(), self.forecast.uri());
        let mut vars = vec![
            ("NWS_CONTACT", CONTACT),
            ("NWS_API_BASE_URL", nws.as_str()),
            ("OPEN_METEO_GEOCODING_URL", geocoding.as_str()),
            ("OPEN_METEO_FORECAST_URL", forecast.as_str()),
        ];
        vars.extend_from_slice(extra);
        TestApp::spawn_with(&vars).await
    }
}

/// The contact the tests configure, and the User-Agent it must produce.
const CONTACT: &str = "weather-tests@example.com";
const USER_AGENT: &str = concat!(
    "rust-mcp-functions/",
    env!("CARGO_PKG_VERSION"),
    " (weather-tests@example.com)"
);

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures").join(name)).unwrap()
}

/// A recorded body with the content type its API sends.
fn answer(status: u16, name: &str) -> ResponseTemplate {
    let content_type = match name {
        n if n.ends_with(".html") => "text/html",
        n if n.starts_with("nws-error") => "application/problem+json",
        n if n.starts_with("geocode") || n.starts_with("current") || n.starts_with("openmeteo") => {
            "application/json"
        }
        _ => "application/geo+json",
    };
    ResponseTemplate::new(status).set_body_raw(fixture(name), content_type)
}

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

#[tokio::test]
async fn tools_list_snapshot() {
    let app = TestApp::spawn().await;
    let response = app
        .post(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    let body: Value = response.json().await.unwrap();
    insta::assert_json_snapshot!("tools_list", body["result"]);
}
