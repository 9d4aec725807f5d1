//! A local stand-in for the National Weather Service API, for the benchmarks.
//!
//! It answers the three requests the weather tools make with real recorded bodies
//! from `tests/fixtures/`: `/alerts/active?area=XX`, `/points/{lat},{lon}` (whose
//! `forecast` URL is rewritten to point back here) and
//! `/gridpoints/{office}/{x},{y}/forecast`.
//!
//! By default it answers at once, so it is never the bottleneck (`bench/run.sh`).
//! With `--delay-ms MIN-MAX` every answer waits between MIN and MAX milliseconds first,
//! like a distant API does, so a load holds many calls in flight at once
//! (`bench/concurrency.sh`). The waits are spread evenly over the range in a fixed
//! order, so two runs see the same waits.
//!
//! `GET /_stats` answers what it saw: requests, the most it held in flight at once, and
//! how many distinct client connections (ports) reached it, which shows how many
//! upstream connections the server under test opened.
//!
//! Run with `cargo run --release --example nws_stub -- tests/fixtures [--delay-ms 1000-2000]`;
//! it prints `listening on http://127.0.0.1:PORT` and serves until killed.

use std::{
    collections::HashSet,
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{ConnectInfo, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};

struct Stub {
    alerts: String,
    points: String,
    forecast: String,
    delay: Delay,
    requests: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    peers: Mutex<HashSet<SocketAddr>>,
}

/// How long each answer waits: `min_ms` plus a step through the range, so that the
/// waits of consecutive requests cover it evenly.
#[derive(Clone, Copy)]
struct Delay {
    min_ms: u64,
    span_ms: u64,
}

impl Delay {
    fn parse(value: &str) -> Result<Self, String> {
        let (min, max) = value.split_once('-').unwrap_or((value, value));
        let parse = |v: &str| {
            v.trim().parse::<u64>().map_err(|_| {
                format!("--delay-ms {value:?}: expected MS or MIN-MAX in milliseconds")
            })
        };
        let (min_ms, max_ms) = (parse(min)?, parse(max)?);
        if max_ms < min_ms {
            return Err(format!("--delay-ms {value:?}: MAX is below MIN"));
        }
        Ok(Self {
            min_ms,
            span_ms: max_ms - min_ms,
        })
    }

    fn for_request(self, n: u64) -> Duration {
        // 7919 is prime, so n * 7919 walks every residue of any span before repeating.
        let step = if self.span_ms == 0 {
            0
        } else {
            n.wrapping_mul(7919) % (self.span_ms + 1)
        };
        Duration::from_millis(self.min_ms + step)
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut dir = PathBuf::from("tests/fixtures");
    let mut delay = Delay {
        min_ms: 0,
        span_ms: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--delay-ms" {
            let value = args.next().unwrap_or_default();
            delay = match Delay::parse(&value) {
                Ok(delay) => delay,
                Err(message) => {
                    eprintln!("error: {message}");
                    std::process::exit(2);
                }
            };
        } else {
            dir = PathBuf::from(arg);
        }
    }
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let points = read("points.json")?.replace("https://api.weather.gov", &format!("http://{addr}"));
    let stub = Arc::new(Stub {
        alerts: read("alerts.json")?,
        points,
        forecast: read("forecast.json")?,
        delay,
        requests: AtomicU64::new(0),
        in_flight: AtomicU64::new(0),
        max_in_flight: AtomicU64::new(0),
        peers: Mutex::new(HashSet::new()),
    });
    let app = Router::new()
        .route("/alerts/active", get(alerts))
        .fallback(get(points_or_forecast))
        .layer(middleware::from_fn_with_state(
            stub.clone(),
            count_and_delay,
        ))
        .route("/_stats", get(stats))
        .with_state(stub);
    println!("listening on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Counts the request and its connection, then waits the configured delay before
/// answering.
async fn count_and_delay(
    State(stub): State<Arc<Stub>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let n = stub.requests.fetch_add(1, Ordering::Relaxed);
    stub.peers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(peer);
    let now = stub.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    stub.max_in_flight.fetch_max(now, Ordering::Relaxed);
    // Even a zero sleep waits for tokio's next timer tick (up to 1 ms): no delay asked
    // for, no sleep.
    let delay = stub.delay.for_request(n);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = next.run(request).await;
    stub.in_flight.fetch_sub(1, Ordering::Relaxed);
    response
}

async fn stats(State(stub): State<Arc<Stub>>) -> Json<serde_json::Value> {
    let connections = stub
        .peers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    Json(serde_json::json!({
        "requests": stub.requests.load(Ordering::Relaxed),
        "in_flight": stub.in_flight.load(Ordering::Relaxed),
        "max_in_flight": stub.max_in_flight.load(Ordering::Relaxed),
        "connections": connections,
    }))
}

fn geojson(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_owned(),
    )
        .into_response()
}

async fn alerts(State(stub): State<Arc<Stub>>) -> Response {
    geojson(&stub.alerts)
}

async fn points_or_forecast(State(stub): State<Arc<Stub>>, request: Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/points/") {
        geojson(&stub.points)
    } else if path.starts_with("/gridpoints/") && path.ends_with("/forecast") {
        geojson(&stub.forecast)
    } else {
        (StatusCode::NOT_FOUND, "not found").into_response()
    }
}
