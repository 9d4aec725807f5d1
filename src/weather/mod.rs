//! Weather domain: clients for the National Weather Service and Open-Meteo.
//!
//! [`Weather`] is built once at start-up and shared by every request. Building it
//! does no I/O: the HTTP client is created on the first upstream call (see
//! [`upstream`]), so cold start stays fast. Every upstream call retries transient
//! failures within one deadline ([`RetryPolicy`]) and maps the rest to a
//! [`WeatherError`] whose message the model can act on.

mod areas;
mod cache;
mod error;
mod format;
mod model;
mod nws;
mod open_meteo;
mod upstream;

use url::Url;

pub use areas::{Area, parse_area};
pub use error::{Service, WeatherError};
pub use model::{Alert, AlertList, CurrentWeather, Forecast, ForecastPeriod, Place};
pub use upstream::RetryPolicy;

use crate::config::WeatherConfig;

/// How many points' grid lookups one instance remembers.
const POINTS_CACHE_CAPACITY: usize = 1024;

/// The weather service shared by all requests.
#[derive(Debug)]
pub struct Weather {
    config: WeatherConfig,
    upstream: upstream::Upstream,
    points: cache::TtlCache<nws::PointInfo>,
}

impl Weather {
    /// Cheap and infallible: nothing is connected or loaded until first use.
    pub fn new(config: WeatherConfig) -> Self {
        let policy = RetryPolicy::with_deadline(config.timeout);
        Self::with_policy(config, policy)
    }

    /// As [`Weather::new`], with an explicit retry policy.
    pub fn with_policy(config: WeatherConfig, policy: RetryPolicy) -> Self {
        Self {
            upstream: upstream::Upstream::new(policy, config.user_agent.clone()),
            config,
            points: cache::TtlCache::new(POINTS_CACHE_CAPACITY),
        }
    }

    /// Active alerts for a state, territory or marine area code (any case).
    pub async fn alerts(&self, area: &str) -> Result<AlertList, WeatherError> {
        let area = parse_area(area)?;
        nws::alerts(&self.upstream, &self.config.nws_base_url, area).await
    }

    /// The NWS forecast for a US point.
    pub async fn forecast(&self, latitude: f64, longitude: f64) -> Result<Forecast, WeatherError> {
        nws::forecast(
            &self.upstream,
            &self.points,
            &self.config.nws_base_url,
            latitude,
            longitude,
        )
        .await
    }

    /// Current conditions anywhere, by place name.
    pub async fn current(&self, location: &str) -> Result<CurrentWeather, WeatherError> {
        open_meteo::current(
            &self.upstream,
            &self.config.geocoding_base_url,
            &self.config.forecast_base_url,
            location,
        )
        .await
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
