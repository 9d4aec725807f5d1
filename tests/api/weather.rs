//! The weather tools end to end: a real MCP client calls the server, whose upstream
//! APIs are local wiremock servers answering real recorded bodies
//! (`tests/fixtures/`, provenance in its README) with the real content types.

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rust_mcp_functions::weather::USER_AGENT;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, header, method, path, query_param},
};

use crate::{
    helpers::{TestApp, repo_root},
    sdk_clients::typescript_client,
};

/// A short deadline, so the "down until the deadline" and timeout cases take ~1 s.
const SHORT_DEADLINE: (&str, &str) = ("WEATHER_TIMEOUT_SECONDS", "1");
const CURRENT: &str =
    "temperature_2m,relative_humidity_2m,wind_speed_10m,wind_direction_10m,weather_code";

/// The three upstream APIs, each a local server.
struct Upstreams {
    nws: MockServer,
    geocoding: MockServer,
    forecast: MockServer,
}

impl Upstreams {
    async fn start() -> Self {
        Self {
            nws: MockServer::start().await,
            geocoding: MockServer::start().await,
            forecast: MockServer::start().await,
        }
    }

    /// The server under test, pointed at these upstreams, with `extra` settings.
    async fn app(&self, extra: &[(&str, &str)]) -> TestApp {
        let (nws, geocoding, forecast) =
            (self.nws.uri(), self.geocoding.uri(), self.forecast.uri());
        let mut vars = vec![
            ("NWS_API_BASE_URL", nws.as_str()),
            ("OPEN_METEO_GEOCODING_URL", geocoding.as_str()),
            ("OPEN_METEO_FORECAST_URL", forecast.as_str()),
        ];
        vars.extend_from_slice(extra);
        TestApp::spawn_with(&vars).await
    }
}

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

// ---- get_alerts ----

#[tokio::test]
async fn alerts_for_a_state_in_any_case() {
    let up = Upstreams::start().await;
    Mock::given(method("GET"))
        .and(path("/alerts/active"))
        .and(query_param("area", "WA"))
        .and(header("user-agent", USER_AGENT))
        .and(header("accept", "application/geo+json"))
        .respond_with(answer(200, "alerts.json"))
        .expect(1)
        .mount(&up.nws)
        .await;
    let app = up.app(&[]).await;

    let result = call(&app, "get_alerts", json!({"state": "wa"})).await;

    let out = structured(&result);
    assert_eq!(out["area_code"], "WA");
    assert_eq!(out["area_name"], "Washington");
    assert_eq!(out["count"], 1);
    let alert = &out["alerts"][0];
    assert_eq!(alert["event"], "Special Weather Statement");
    assert_eq!(alert["area"], "Moses Lake Area; Upper Columbia Basin");
    assert_eq!(alert["severity"], "Moderate");
    assert_eq!(alert["urgency"], "Expected");
    assert_eq!(alert["certainty"], "Observed");
    assert_eq!(alert["status"], "Actual");
    assert_eq!(alert["expires"], "2024-12-09T13:00:00-08:00");
    assert_eq!(alert["instruction"], Value::Null);
    assert!(
        alert["description"]
            .as_str()
            .unwrap()
            .starts_with("Patchy dense freezing fog")
    );
    let shown = text(&result);
    assert!(
        shown.starts_with("1 active weather alert for Washington (WA):"),
        "{shown}"
    );
    assert!(shown.contains("## Special Weather Statement"), "{shown}");
    assert!(shown.contains("Severity: Moderate"), "{shown}");
    assert!(
        shown.contains("In effect from 2024-12-09T09:53:00-08:00 until 2024-12-09T13:00:00-08:00"),
        "{shown}"
    );

    let requests = up.nws.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/alerts/active");
    assert_eq!(requests[0].url.query(), Some("area=WA"));
    assert!(USER_AGENT.starts_with(concat!(
        "rust-mcp-functions/",
        env!("CARGO_PKG_VERSION"),
        " ("
    )));
}

#[tokio::test]
async fn no_alerts_is_a_normal_answer() {
    let up = Upstreams::start().await;
    Mock::given(path("/alerts/active"))
        .respond_with(answer(200, "alerts-empty.json"))
        .mount(&up.nws)
        .await;
    let app = up.app(&[]).await;

    let result = call(&app, "get_alerts", json!({"state": "WA"})).await;

    let out = structured(&result);
    assert_eq!(out["count"], 0);
    assert_eq!(out["alerts"], json!([]));
    assert!(text(&result).starts_with("No active weather alerts for Washington (WA)."));
}

#[tokio::test]
async fn an_unknown_state_lists_the_valid_codes_without_asking_nws() {
    let up = Upstreams::start().await;
    expect_no_requests(&up.nws).await;
    let app = up.app(&[]).await;

    let result = call(&app, "get_alerts", json!({"state": "Washington"})).await;

    assert_error(
        &result,
        &["\"Washington\" is not a US state", "AL, AK", "WA", "WY"],
    );
}

#[tokio::test]
async fn malformed_upstream_json_is_an_error_result() {
    let up = Upstreams::start().await;
    // The recorded body, cut off mid-way, as a dropped connection would leave it.
    let truncated = fixture("alerts.json")[..600].to_owned();
    Mock::given(path("/alerts/active"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(truncated, "application/geo+json"))
        .expect(1)
        .mount(&up.nws)
        .await;
    let app = up.app(&[]).await;

    let result = call(&app, "get_alerts", json!({"state": "WA"})).await;

    assert_error(
        &result,
        &[
            "National Weather Service",
            "could not read",
            "malformed JSON",
        ],
    );
}

#[tokio::test]
async fn an_html_error_page_is_named_not_pasted() {
    let up = Upstreams::start().await;
    Mock::given(path("/alerts/active"))
        .respond_with(answer(503, "nws-error-503-nginx.html"))
        .mount(&up.nws)
        .await;
    let app = up.app(&[SHORT_DEADLINE]).await;

    let result = call(&app, "get_alerts", json!({"state": "WA"})).await;

    assert_error(
        &result,
        &[
            "not available right now",
            "HTTP 503, an HTML error page",
            "try again",
        ],
    );
    assert!(!text(&result).contains('<'), "{}", text(&result));
}

// ---- get_forecast ----

#[tokio::test]
async fn forecast_for_a_us_point() {
    let up = Upstreams::start().await;
    mount_cedar_rapids(&up.nws, Some("public, max-age=3600"), 1).await;
    let app = up.app(&[]).await;

    // More than 4 decimals: rounded before NWS sees them.
    let result = call(
        &app,
        "get_forecast",
        json!({"latitude": 41.97801, "longitude": -91.67004}),
    )
    .await;

    let out = structured(&result);
    assert_eq!(out["latitude"], 41.978);
    assert_eq!(out["longitude"], -91.67);
    assert_eq!(out["location"], "Cedar Rapids, IA");
    assert_eq!(out["time_zone"], "America/Chicago");
    let periods = out["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 3);
    assert_eq!(periods[0]["name"], "This Afternoon");
    assert_eq!(periods[0]["temperature"], 85.0);
    assert_eq!(periods[0]["temperature_unit"], "F");
    assert_eq!(periods[0]["wind_speed"], "20 to 25 mph");
    assert_eq!(periods[0]["wind_direction"], "S");
    assert_eq!(periods[0]["precipitation_chance_percent"], 50.0);
    assert_eq!(periods[0]["start_time"], "2024-05-21T14:00:00-05:00");
    assert_eq!(
        periods[0]["short_forecast"],
        "Chance Showers And Thunderstorms"
    );
    let shown = text(&result);
    assert!(
        shown.starts_with("Forecast near Cedar Rapids, IA (41.978, -91.67):"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "This Afternoon: 85°F, Chance Showers And Thunderstorms, wind S 20 to 25 mph"
        ),
        "{shown}"
    );
    assert!(shown.contains("Tonight: 52°F"), "{shown}");

    let requests = up.nws.received_requests().await.unwrap();
    let paths: Vec<_> = requests.iter().map(|r| r.url.path().to_owned()).collect();
    assert_eq!(
        paths,
        ["/points/41.978,-91.67", "/gridpoints/DVN/30,86/forecast"]
    );
    for request in &requests {
        assert_eq!(request.url.query(), None);
        assert_eq!(request.headers["user-agent"], USER_AGENT);
        assert_eq!(request.headers["accept"], "application/geo+json");
    }
}

#[tokio::test]
async fn a_cached_point_is_not_fetched_twice() {
    let up = Upstreams::start().await;
    mount_cedar_rapids(&up.nws, Some("public, max-age=3600"), 1).await;
    let app = up.app(&[]).await;

    for _ in 0..2 {
        let result = call(
            &app,
            "get_forecast",
            json!({"latitude": 41.978, "longitude": -91.67}),
        )
        .await;
        assert_eq!(structured(&result)["location"], "Cedar Rapids, IA");
    }
    // `.expect(1)` on /points is checked when the mock server drops.
}

#[tokio::test]
async fn a_point_without_max_age_is_fetched_again() {
    let up = Upstreams::start().await;
    mount_cedar_rapids(&up.nws, None, 2).await;
    let app = up.app(&[]).await;

    for _ in 0..2 {
        let result = call(
            &app,
            "get_forecast",
            json!({"latitude": 41.978, "longitude": -91.67}),
        )
        .await;
        assert_eq!(structured(&result)["location"], "Cedar Rapids, IA");
    }
}

#[tokio::test]
async fn a_301_with_a_relative_location_is_followed() {
    let up = Upstreams::start().await;
    Mock::given(path("/points/39.7456,-97.0892"))
        .respond_with(
            answer(301, "nws-error-301-adjust-precision.json")
                .insert_header("location", "/points/41.978,-91.67"),
        )
        .expect(1)
        .mount(&up.nws)
        .await;
    mount_cedar_rapids(&up.nws, None, 1).await;
    let app = up.app(&[]).await;

    let result = call(
        &app,
        "get_forecast",
        json!({"latitude": 39.7456, "longitude": -97.0892}),
    )
    .await;

    assert_eq!(structured(&result)["location"], "Cedar Rapids, IA");
}

#[tokio::test]
async fn a_point_outside_the_us_suggests_get_weather() {
    let up = Upstreams::start().await;
    Mock::given(path("/points/48.8566,2.3522"))
        .respond_with(answer(404, "nws-error-404-invalid-point.json"))
        .expect(1) // a 4xx is not retried
        .mount(&up.nws)
        .await;
    let app = up.app(&[]).await;

    let result = call(
        &app,
        "get_forecast",
        json!({"latitude": 48.8566, "longitude": 2.3522}),
    )
    .await;

    assert_error(
        &result,
        &[
            "no forecast for 48.8566,2.3522",
            "United States",
            "use get_weather",
        ],
    );
}

#[tokio::test]
async fn a_500_is_retried_and_then_succeeds() {
    let up = Upstreams::start().await;
    Mock::given(path("/points/41.978,-91.67"))
        .respond_with(answer(500, "nws-error-500-unexpected.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&up.nws)
        .await;
    mount_cedar_rapids(&up.nws, None, 1).await;
    let app = up.app(&[("WEATHER_TIMEOUT_SECONDS", "5")]).await;

    let result = call(
        &app,
        "get_forecast",
        json!({"latitude": 41.978, "longitude": -91.67}),
    )
    .await;

    assert_eq!(structured(&result)["periods"][0]["name"], "This Afternoon");
}

#[tokio::test]
async fn a_503_until_the_deadline_says_nws_is_unavailable_and_the_server_stays_up() {
    let up = Upstreams::start().await;
    Mock::given(path("/points/41.978,-91.67"))
        .respond_with(answer(503, "nws-error-503-unavailable.json"))
        .expect(2..=4) // retried, but boundedly
        .mount(&up.nws)
        .await;
    let app = up.app(&[SHORT_DEADLINE]).await;

    let result = call(
        &app,
        "get_forecast",
        json!({"latitude": 41.978, "longitude": -91.67}),
    )
    .await;

    assert_error(
        &result,
        &[
            "The National Weather Service (api.weather.gov) is not available right now",
            "HTTP 503: The resource you requested is currently unavailable.",
            "try again",
        ],
    );
    let list = app
        .post(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    assert_eq!(list.status(), 200);
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_in_time() {
    let up = Upstreams::start().await;
    Mock::given(path("/points/41.978,-91.67"))
        .respond_with(answer(200, "points.json").set_delay(std::time::Duration::from_secs(10)))
        .mount(&up.nws)
        .await;
    let app = up.app(&[SHORT_DEADLINE]).await;

    let result = call(
        &app,
        "get_forecast",
        json!({"latitude": 41.978, "longitude": -91.67}),
    )
    .await;

    assert_error(
        &result,
        &["The National Weather Service (api.weather.gov) did not answer in time; try again"],
    );
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

// ---- get_weather ----

#[tokio::test]
async fn current_weather_by_place_name() {
    let up = Upstreams::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/search"))
        .and(query_param("name", "Berlin"))
        .and(header("user-agent", USER_AGENT))
        .respond_with(answer(200, "geocode.json"))
        .expect(1)
        .mount(&up.geocoding)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/forecast"))
        .and(header("user-agent", USER_AGENT))
        .respond_with(answer(200, "current.json"))
        .expect(1)
        .mount(&up.forecast)
        .await;
    let app = up.app(&[]).await;

    let result = call(&app, "get_weather", json!({"location": "Berlin"})).await;

    let out = structured(&result);
    assert_eq!(
        out["place"],
        json!({"name": "Berlin", "admin_area": "Land Berlin", "country": "Germany",
               "country_code": "DE", "latitude": 52.52437, "longitude": 13.41053})
    );
    assert_eq!(out["condition"], "Moderate rain");
    assert_eq!(out["weather_code"], 63);
    assert_eq!(out["temperature_c"], 8.8);
    assert_eq!(out["temperature_f"], 47.8);
    assert_eq!(out["humidity_percent"], 87.0);
    assert_eq!(out["wind_speed_kmh"], 28.8);
    assert_eq!(out["wind_direction_degrees"], 326.0);
    assert_eq!(out["wind_direction"], "NW");
    assert_eq!(out["observed_at"], "2025-02-25T15:45+01:00");
    assert_eq!(out["source"], "Weather data by Open-Meteo.com");
    assert_eq!(
        text(&result),
        "Current weather in Berlin, Land Berlin, Germany (52.52437, 13.41053): Moderate rain, \
         8.8 °C (47.8 °F), humidity 87%, wind 28.8 km/h from NW (326°).\n\
         Observed at 2025-02-25T15:45+01:00.\nSource: Weather data by Open-Meteo.com"
    );

    let search = &up.geocoding.received_requests().await.unwrap()[0];
    assert_eq!(
        search.url.query(),
        Some("name=Berlin&count=1&language=en&format=json")
    );
    assert_eq!(search.headers["accept"], "application/json");
    let forecast = &up.forecast.received_requests().await.unwrap()[0];
    assert_eq!(
        forecast.url.query().unwrap(),
        format!(
            "latitude=52.52437&longitude=13.41053&current={}",
            CURRENT.replace(',', "%2C")
        )
    );
}

#[tokio::test]
async fn an_unknown_place_is_a_clear_no_place_found() {
    let up = Upstreams::start().await;
    Mock::given(path("/v1/search"))
        .respond_with(answer(200, "geocode-empty.json"))
        .expect(1)
        .mount(&up.geocoding)
        .await;
    expect_no_requests(&up.forecast).await;
    let app = up.app(&[]).await;

    let result = call(&app, "get_weather", json!({"location": "Atlantis"})).await;

    assert_error(&result, &["No place found for \"Atlantis\""]);
}

#[tokio::test]
async fn a_4xx_from_open_meteo_is_reported_and_not_retried() {
    let up = Upstreams::start().await;
    Mock::given(path("/v1/search"))
        .respond_with(answer(200, "geocode.json"))
        .mount(&up.geocoding)
        .await;
    Mock::given(path("/v1/forecast"))
        .respond_with(answer(400, "openmeteo-error-400.json"))
        .expect(1)
        .mount(&up.forecast)
        .await;
    let app = up.app(&[]).await;

    let result = call(&app, "get_weather", json!({"location": "Berlin"})).await;

    assert_error(
        &result,
        &["Open-Meteo weather service refused the request (HTTP 400: Latitude must be in range"],
    );
}

// ---- what the model sees ----

#[tokio::test]
async fn tools_list_snapshot() {
    let app = TestApp::spawn().await;
    let response = app
        .post(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    let body: Value = response.json().await.unwrap();
    insta::assert_json_snapshot!("tools_list", body["result"]);
}

#[tokio::test]
async fn the_typescript_sdk_accepts_every_result_against_its_output_schema() {
    let up = Upstreams::start().await;
    Mock::given(path("/alerts/active"))
        .respond_with(answer(200, "alerts.json"))
        .mount(&up.nws)
        .await;
    mount_cedar_rapids(&up.nws, None, 1).await;
    Mock::given(path("/v1/search"))
        .respond_with(answer(200, "geocode.json"))
        .mount(&up.geocoding)
        .await;
    Mock::given(path("/v1/forecast"))
        .respond_with(answer(200, "current.json"))
        .mount(&up.forecast)
        .await;
    let app = up.app(&[]).await;
    let url = app.mcp_url();

    // The SDK throws when structuredContent does not match the tool's outputSchema.
    let report = tokio::task::spawn_blocking(move || {
        typescript_client(
            &url,
            &[
                ("get_alerts", r#"{"state":"WA"}"#),
                ("get_forecast", r#"{"latitude":41.978,"longitude":-91.67}"#),
                ("get_weather", r#"{"location":"Berlin"}"#),
            ],
        )
    })
    .await
    .unwrap();

    let calls = report["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3, "{report}");
    for call in calls {
        let result = &call["result"];
        assert_eq!(result["isError"], false, "{call}");
        assert!(result["structuredContent"].is_object(), "{call}");
        assert_eq!(result["content"][0]["type"], "text", "{call}");
    }
    assert_eq!(
        calls[2]["result"]["structuredContent"]["condition"],
        "Moderate rain"
    );
}
