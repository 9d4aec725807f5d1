//! get_forecast and get_hourly_forecast: /points, then the forecast; redirects, the
//! cache, retries, timeouts.

use rmcp::model::CallToolResult;
use serde_json::json;
use wiremock::{Mock, matchers::path};

use crate::helpers::{TestApp, USER_AGENT, Upstreams, answer};

use super::{SHORT_DEADLINE, assert_error, call, mount_cedar_rapids, structured, text};

#[tokio::test]
async fn hourly_forecast_for_a_us_point() {
    let up = Upstreams::start().await;
    up.mount_happy_paths().await;
    let app = up.app(&[]).await;

    let result = call(
        &app,
        "get_hourly_forecast",
        json!({"latitude": 41.978, "longitude": -91.67, "hours": 2}),
    )
    .await;

    let out = structured(&result);
    assert_eq!(out["location"], "Cedar Rapids, IA");
    let periods = out["periods"].as_array().unwrap();
    assert_eq!(
        periods.len(),
        2,
        "the recorded answer has 3 hours; 2 were asked"
    );
    assert_eq!(periods[0]["name"], "2024-05-21 14:00");
    assert_eq!(periods[1]["temperature"], 85.0);
    assert_eq!(periods[1]["precipitationChancePercent"], 15.0);
    assert!(
        text(&result).contains("2024-05-21 15:00: 85°F, Slight Chance Showers"),
        "{}",
        text(&result)
    );
    let paths: Vec<String> = up
        .nws
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/points/41.978,-91.67",
            "/gridpoints/DVN/30,86/forecast/hourly"
        ]
    );
}

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
    assert_eq!(out["timeZone"], "America/Chicago");
    let periods = out["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 3);
    assert_eq!(periods[0]["name"], "This Afternoon");
    assert_eq!(periods[0]["temperature"], 85.0);
    assert_eq!(periods[0]["temperatureUnit"], "F");
    assert_eq!(periods[0]["windSpeed"], "20 to 25 mph");
    assert_eq!(periods[0]["windDirection"], "S");
    assert_eq!(periods[0]["precipitationChancePercent"], 50.0);
    assert_eq!(periods[0]["startTime"], "2024-05-21T14:00:00-05:00");
    assert_eq!(
        periods[0]["shortForecast"],
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

/// Asks for the same forecast twice; `/points` must be fetched `points_fetches` times
/// (`.expect` is checked when the mock server drops).
async fn forecast_twice(points_cache_control: Option<&str>, points_fetches: u64) {
    let up = Upstreams::start().await;
    mount_cedar_rapids(&up.nws, points_cache_control, points_fetches).await;
    let app = up.app(&[]).await;

    for _ in 0..2 {
        let result = forecast_cedar_rapids(&app).await;
        assert_eq!(structured(&result)["location"], "Cedar Rapids, IA");
    }
}

#[tokio::test]
async fn a_cached_point_is_not_fetched_twice() {
    forecast_twice(Some("public, max-age=3600"), 1).await;
}

#[tokio::test]
async fn a_point_without_max_age_is_fetched_again() {
    forecast_twice(None, 2).await;
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

    let result = forecast_cedar_rapids(&app).await;

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

    let result = forecast_cedar_rapids(&app).await;

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

    let result = forecast_cedar_rapids(&app).await;

    assert_error(
        &result,
        &["The National Weather Service (api.weather.gov) did not answer in time; try again"],
    );
}

/// `get_forecast` for the point the recorded `points.json` describes.
async fn forecast_cedar_rapids(app: &TestApp) -> CallToolResult {
    call(
        app,
        "get_forecast",
        json!({"latitude": 41.978, "longitude": -91.67}),
    )
    .await
}
