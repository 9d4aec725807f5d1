//! get_alerts: active NWS alerts for a state.

use serde_json::{Value, json};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

use crate::helpers::{USER_AGENT, Upstreams, answer, fixture};

use super::{SHORT_DEADLINE, assert_error, call, expect_no_requests, structured, text};

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
    assert_eq!(out["areaCode"], "WA");
    assert_eq!(out["areaName"], "Washington");
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
