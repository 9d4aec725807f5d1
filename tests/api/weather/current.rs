//! get_weather: Open-Meteo geocoding, then current conditions.

use serde_json::json;
use wiremock::{
    Mock,
    matchers::{header, method, path, query_param},
};

use crate::helpers::{USER_AGENT, Upstreams, answer};

use super::{CURRENT, assert_error, call, expect_no_requests, structured, text};

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
        json!({"name": "Berlin", "adminArea": "Land Berlin", "country": "Germany",
               "countryCode": "DE", "latitude": 52.52437, "longitude": 13.41053})
    );
    assert_eq!(out["condition"], "Moderate rain");
    assert_eq!(out["weatherCode"], 63);
    assert_eq!(out["temperatureC"], 8.8);
    assert_eq!(out["temperatureF"], 47.8);
    assert_eq!(out["humidityPercent"], 87.0);
    assert_eq!(out["windSpeedKmh"], 28.8);
    assert_eq!(out["windDirectionDegrees"], 326.0);
    assert_eq!(out["windDirection"], "NW");
    assert_eq!(out["observedAt"], "2025-02-25T15:45+01:00");
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
