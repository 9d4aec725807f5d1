//! A local stand-in for the National Weather Service API, for the benchmark.
//!
//! It answers the three requests the weather tools make with real recorded bodies
//! from `tests/fixtures/`, fast enough never to be the bottleneck:
//! `/alerts/active?area=XX`, `/points/{lat},{lon}` (whose `forecast` URL is rewritten
//! to point back here) and `/gridpoints/{office}/{x},{y}/forecast`.
//!
//! Run with `cargo run --release --example nws_stub -- tests/fixtures`; it prints
//! `listening on http://127.0.0.1:PORT` and serves until killed.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};

struct Bodies {
    alerts: String,
    points: String,
    forecast: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/fixtures".into()),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let points = read("points.json")?.replace("https://api.weather.gov", &format!("http://{addr}"));
    let bodies = Arc::new(Bodies {
        alerts: read("alerts.json")?,
        points,
        forecast: read("forecast.json")?,
    });
    let app = Router::new()
        .route("/alerts/active", get(alerts))
        .fallback(get(points_or_forecast))
        .with_state(bodies);
    println!("listening on http://{addr}");
    axum::serve(listener, app).await
}

fn geojson(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_owned(),
    )
        .into_response()
}

async fn alerts(State(bodies): State<Arc<Bodies>>) -> Response {
    geojson(&bodies.alerts)
}

async fn points_or_forecast(State(bodies): State<Arc<Bodies>>, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/points/") {
        geojson(&bodies.points)
    } else if path.starts_with("/gridpoints/") && path.ends_with("/forecast") {
        geojson(&bodies.forecast)
    } else {
        (StatusCode::NOT_FOUND, "not found").into_response()
    }
}
