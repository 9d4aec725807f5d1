//! The one HTTP client every weather request shares (built on first use, see
//! [`crate::upstream`]), and the retry loop around it.

use std::time::{Duration, Instant};

use reqwest::{Client, Response, StatusCode, header};
use serde::de::DeserializeOwned;
use url::Url;

use super::error::{Service, WeatherError};
use crate::upstream::{BodyError, ClientOptions, LazyClient, Transport, read_capped};

/// Bodies larger than this are refused, not read: the largest real answer (a
/// 14-period forecast) is about 20 KiB.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// How long an idle connection to a weather API is kept for the next call.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How hard to try before telling the user an upstream is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Total time for one call, retries and waits included.
    pub deadline: Duration,
    /// Attempts per upstream request, the first included.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Longest a single attempt may take (also bounded by what is left of the deadline).
    pub attempt_timeout: Duration,
}

impl RetryPolicy {
    /// Four attempts, 250 ms then 500 ms then 1 s apart, each at most 10 s, all within
    /// `deadline`.
    pub(crate) fn with_deadline(deadline: Duration) -> Self {
        Self {
            deadline,
            max_attempts: 4,
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            attempt_timeout: Duration::from_secs(10),
        }
    }

    fn backoff(&self, retry: u32) -> Duration {
        self.first_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_backoff)
    }
}

/// A parsed answer and how long it may be reused (its `Cache-Control: max-age`).
pub(crate) struct Fetched<T> {
    pub body: T,
    pub max_age: Option<Duration>,
}

/// Why one attempt failed, when trying again might help.
enum Transient {
    Timeout,
    Status(String),
    Connection(String),
}

/// The shared client and the retry policy.
#[derive(Debug)]
pub(crate) struct Upstream {
    client: LazyClient,
    policy: RetryPolicy,
}

impl Upstream {
    pub(super) fn new(policy: RetryPolicy, user_agent: String) -> Self {
        let options = ClientOptions {
            follow_redirects: true,
            timeout: Some(policy.attempt_timeout),
            pool_idle_timeout: Some(POOL_IDLE_TIMEOUT),
        };
        Self {
            client: LazyClient::new(user_agent, options),
            policy,
        }
    }

    fn client(&self) -> Result<&Client, WeatherError> {
        self.client
            .get()
            .map_err(|e| WeatherError::Client(e.to_owned()))
    }

    /// GETs `url` and parses its JSON body, retrying timeouts, connection failures,
    /// 429 and 5xx answers with backoff until the policy's attempts or deadline run
    /// out. Other 4xx answers come back at once as [`WeatherError::Rejected`].
    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        service: Service,
        url: &Url,
        accept: &'static str,
    ) -> Result<Fetched<T>, WeatherError> {
        let client = self.client()?;
        let deadline = Instant::now() + self.policy.deadline;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let request = client
                .get(url.clone())
                .header(header::ACCEPT, accept)
                .timeout(remaining.min(self.policy.attempt_timeout));
            let (failure, retry_after) = match request.send().await {
                Ok(response) => match classify(service, response).await {
                    Ok(Ok(fetched)) => return Ok(fetched),
                    Ok(Err((failure, retry_after))) => (failure, retry_after),
                    Err(error) => return Err(error),
                },
                Err(error) => (transport_failure(&error), None),
            };
            let wait = self
                .policy
                .backoff(attempt - 1)
                .max(retry_after.unwrap_or_default());
            let out_of_time = Instant::now() + wait >= deadline;
            tracing::warn!(
                service = ?service,
                path = url.path(),
                attempt,
                retrying = !(out_of_time || attempt >= self.policy.max_attempts),
                "upstream request failed: {}",
                failure.describe()
            );
            if out_of_time || attempt >= self.policy.max_attempts {
                return Err(failure.into_error(service));
            }
            tokio::time::sleep(wait).await;
        }
    }
}

type Attempt<T> = Result<Fetched<T>, (Transient, Option<Duration>)>;

/// Sorts one answer into success, a transient failure worth retrying, or a final error.
async fn classify<T: DeserializeOwned>(
    service: Service,
    response: Response,
) -> Result<Attempt<T>, WeatherError> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match read_capped(response, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { max_bytes }) => {
            return Err(WeatherError::InvalidResponse {
                service,
                detail: format!("an answer larger than {max_bytes} bytes"),
            });
        }
        Err(BodyError::Transport(error)) if error.is_timeout() => {
            return Ok(Err((Transient::Timeout, None)));
        }
        Err(BodyError::Transport(error)) => {
            return Ok(Err((Transient::Connection(error.to_string()), None)));
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();

    if status.is_success() {
        return match serde_json::from_slice::<T>(&body) {
            Ok(parsed) => Ok(Ok(Fetched {
                body: parsed,
                max_age: max_age(&headers),
            })),
            Err(error) => Err(WeatherError::InvalidResponse {
                service,
                detail: if content_type.contains("html") {
                    "an HTML page instead of JSON".to_owned()
                } else {
                    format!("malformed JSON: {error}")
                },
            }),
        };
    }
    let detail = error_detail(status, &content_type, &body);
    if is_transient(status) {
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Ok(Err((Transient::Status(detail), retry_after)));
    }
    Err(WeatherError::Rejected {
        service,
        status: status.as_u16(),
        detail,
    })
}

fn is_transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// A request that got no answer. The weather APIs' own words for other failures are
/// kept: their URLs carry only coordinates and zone ids.
fn transport_failure(error: &reqwest::Error) -> Transient {
    match Transport::of(error) {
        Transport::TimedOut => Transient::Timeout,
        Transport::CouldNotConnect => {
            Transient::Connection(Transport::CouldNotConnect.describe().to_owned())
        }
        Transport::Failed => Transient::Connection(error.to_string()),
    }
}

impl Transient {
    fn describe(&self) -> &str {
        match self {
            Self::Timeout => "timed out",
            Self::Status(detail) | Self::Connection(detail) => detail,
        }
    }

    fn into_error(self, service: Service) -> WeatherError {
        match self {
            Self::Timeout => WeatherError::Timeout { service },
            Self::Status(detail) | Self::Connection(detail) => {
                WeatherError::Unavailable { service, detail }
            }
        }
    }
}

/// The fields of an error body worth showing: NWS sends problem+json (`title`,
/// `detail`, `type`), Open-Meteo `{"error": true, "reason": ...}`.
#[derive(serde::Deserialize)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    reason: Option<String>,
}

/// "HTTP 503: The resource you requested is currently unavailable." An HTML page
/// (a CDN or proxy error) is named as such rather than pasted into the answer.
fn error_detail(status: StatusCode, content_type: &str, body: &[u8]) -> String {
    let message = serde_json::from_slice::<Problem>(body)
        .ok()
        .and_then(|p| p.detail.or(p.reason).or(p.title))
        .map(|m| truncate(m.trim(), 300));
    match message {
        Some(message) if !message.is_empty() => format!("HTTP {}: {message}", status.as_u16()),
        _ if content_type.contains("html") => {
            format!("HTTP {}, an HTML error page", status.as_u16())
        }
        _ => format!("HTTP {}", status.as_u16()),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The `max-age` of a `Cache-Control` header, unless caching is forbidden.
pub(crate) fn max_age(headers: &header::HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    for value in headers.get_all(header::CACHE_CONTROL) {
        for directive in value.to_str().ok()?.split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if matches!(directive.as_str(), "no-store" | "no-cache" | "private") {
                return None;
            }
            if let Some(seconds) = directive.strip_prefix("max-age=") {
                max_age = seconds
                    .trim_matches('"')
                    .parse()
                    .ok()
                    .map(Duration::from_secs);
            }
        }
    }
    max_age.filter(|age| !age.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_control(value: &str) -> header::HeaderMap {
        let mut headers = header::HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, value.parse().unwrap());
        headers
    }

    #[test]
    fn max_age_is_read_and_s_maxage_ignored() {
        assert_eq!(
            max_age(&cache_control("public, max-age=749, s-maxage=3600")),
            Some(Duration::from_secs(749))
        );
        assert_eq!(max_age(&cache_control("s-maxage=3600")), None);
        assert_eq!(max_age(&cache_control("no-store")), None);
        assert_eq!(max_age(&cache_control("max-age=0")), None);
        assert_eq!(max_age(&header::HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::with_deadline(Duration::from_secs(20));
        assert_eq!(policy.backoff(0), Duration::from_millis(250));
        assert_eq!(policy.backoff(2), Duration::from_secs(1));
        assert_eq!(policy.backoff(30), Duration::from_secs(4));
    }

    #[test]
    fn error_details_quote_problem_json_but_not_html() {
        let problem = br#"{"title":"Unexpected Problem","detail":"An unexpected problem has occurred.","status":500}"#;
        assert_eq!(
            error_detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "application/problem+json",
                problem
            ),
            "HTTP 500: An unexpected problem has occurred."
        );
        assert_eq!(
            error_detail(
                StatusCode::BAD_REQUEST,
                "application/json",
                br#"{"error":true,"reason":"Latitude must be in range"}"#
            ),
            "HTTP 400: Latitude must be in range"
        );
        assert_eq!(
            error_detail(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/html",
                b"<html>down</html>"
            ),
            "HTTP 503, an HTML error page"
        );
    }
}
