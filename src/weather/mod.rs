//! Weather domain: clients for the National Weather Service ([`Nws`]) and
//! Open-Meteo ([`OpenMeteo`]), testable without MCP.
//!
//! [`Weather`] is built once at start-up and shared by every request. Building it
//! does no I/O: the HTTP client is created on the first upstream call (see
//! [`upstream`]), so cold start stays fast. Every upstream call retries transient
//! failures within one deadline ([`RetryPolicy`]) and maps the rest to a
//! [`WeatherError`] whose message the model can act on.
//!
//! A new call to an existing API is one method on its client; a new API is one more
//! client module holding its base URL, sharing the [`upstream::Upstream`].

mod areas;
mod cache;
mod error;
mod format;
mod model;
mod nws;
mod open_meteo;
mod upstream;

use std::sync::Arc;

use url::Url;

pub(crate) use error::WeatherError;
pub(crate) use model::{AlertList, CurrentWeather, Forecast};
pub(crate) use nws::Nws;
pub(crate) use open_meteo::OpenMeteo;
pub(crate) use upstream::RetryPolicy;

use crate::config::WeatherConfig;

/// The weather APIs, sharing one HTTP client and retry policy.
#[derive(Debug)]
pub(crate) struct Weather {
    pub nws: Nws,
    pub open_meteo: OpenMeteo,
}

impl Weather {
    /// Cheap and infallible: nothing is connected or loaded until first use.
    pub(crate) fn new(config: WeatherConfig) -> Self {
        let policy = RetryPolicy::with_deadline(config.timeout);
        let upstream = Arc::new(upstream::Upstream::new(policy, config.user_agent));
        Self {
            nws: Nws::new(Arc::clone(&upstream), config.nws_base_url),
            open_meteo: OpenMeteo::new(
                upstream,
                config.geocoding_base_url,
                config.forecast_base_url,
            ),
        }
    }
}

/// `path` under `base`, keeping any path prefix the base has (a proxy such as
/// `https://proxy.example/nws/`).
fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.set_path(&format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    ));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_base_path() {
        let root = Url::parse("https://api.weather.gov").unwrap();
        assert_eq!(
            endpoint(&root, "/points/39.7456,-97.0892").as_str(),
            "https://api.weather.gov/points/39.7456,-97.0892"
        );
        let proxy = Url::parse("http://127.0.0.1:9000/nws/").unwrap();
        assert_eq!(
            endpoint(&proxy, "alerts/active").as_str(),
            "http://127.0.0.1:9000/nws/alerts/active"
        );
    }
}
