//! Local stand-ins for the upstream APIs (wiremock servers on 127.0.0.1) answering
//! real recorded bodies from `tests/fixtures/` (provenance in its README), with the
//! content types the real APIs send.

use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, query_param},
};

use super::{app::TestApp, process::repo_root};

/// The contact the tests configure, and the User-Agent it must produce.
pub(crate) const CONTACT: &str = "weather-tests@example.com";
pub(crate) const USER_AGENT: &str = concat!(
    "rust-mcp-functions/",
    env!("CARGO_PKG_VERSION"),
    " (weather-tests@example.com)"
);

/// The upstream APIs, each a local server.
pub(crate) struct Upstreams {
    pub nws: MockServer,
    pub geocoding: MockServer,
    pub forecast: MockServer,
}

impl Upstreams {
    pub(crate) async fn start() -> Self {
        Self {
            nws: MockServer::start().await,
            geocoding: MockServer::start().await,
            forecast: MockServer::start().await,
        }
    }

    /// The settings that point the server at these stand-ins: the one place each
    /// base URL variable is named.
    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NWS_CONTACT", CONTACT.to_owned()),
            ("NWS_API_BASE_URL", self.nws.uri()),
            ("OPEN_METEO_GEOCODING_URL", self.geocoding.uri()),
            ("OPEN_METEO_FORECAST_URL", self.forecast.uri()),
        ]
    }

    /// Our server in the test process, pointed at these stand-ins, with `extra`.
    pub(crate) async fn app(&self, extra: &[(&str, &str)]) -> TestApp {
        let vars = self.vars();
        let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(extra);
        TestApp::spawn_with(&all).await
    }

    /// Answers every call in `tool_table` with recorded bodies: WA alerts, the Cedar
    /// Rapids point and forecast, Berlin's geocoding and current weather.
    pub(crate) async fn mount_happy_paths(&self) {
        Mock::given(method("GET"))
            .and(path("/alerts/active"))
            .respond_with(answer(200, "alerts.json"))
            .mount(&self.nws)
            .await;
        for (route, body) in [
            ("/points/41.978,-91.67", "points.json"),
            ("/gridpoints/DVN/30,86/forecast", "forecast.json"),
            (
                "/gridpoints/DVN/30,86/forecast/hourly",
                "forecast-hourly.json",
            ),
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
    pub(crate) async fn mount_unknown_place(&self, name: &str) {
        Mock::given(path("/v1/search"))
            .and(query_param("name", name))
            .respond_with(answer(200, "geocode-empty.json"))
            .with_priority(1)
            .mount(&self.geocoding)
            .await;
    }
}

/// A recorded body from `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures").join(name)).unwrap()
}

/// A recorded body with the content type its API sends.
pub(crate) fn answer(status: u16, name: &str) -> ResponseTemplate {
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
