//! The National Weather Service API (api.weather.gov): active alerts by area, and
//! forecasts by point (`/points/{lat},{lon}`, then the forecast URL it names).
//!
//! Upstream shapes vary between API versions (fields appear, vanish or turn null), so
//! everything optional is an `Option` and unknown fields are ignored.

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, de::DeserializeOwned};
use url::Url;

use super::{
    areas::parse_area,
    cache::TtlCache,
    endpoint,
    error::{Service, WeatherError},
    model::{Alert, AlertList, Forecast, ForecastPeriod},
    upstream::{Fetched, Upstream},
};

/// GeoJSON, the format NWS documents; sent explicitly so a change of default
/// cannot break parsing.
const ACCEPT: &str = "application/geo+json";
const SOURCE: &str = "National Weather Service (api.weather.gov)";
/// `/points` answers kept at most this long, whatever `max-age` says.
const MAX_POINT_TTL: Duration = Duration::from_secs(24 * 3600);
/// How many points' grid lookups one instance remembers.
const POINTS_CACHE_CAPACITY: usize = 1024;

/// The National Weather Service API client.
#[derive(Debug)]
pub(crate) struct Nws {
    upstream: Arc<Upstream>,
    base: Url,
    /// `/points` answers by point: a forecast's grid cell rarely changes.
    points: TtlCache<PointInfo>,
}

/// Formats a coordinate as NWS wants it: at most 4 decimals and no trailing zeros
/// (`39.7456`, `35.5`, `-95`). Anything else is answered with a 301.
pub(super) fn format_coordinate(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Checks a coordinate's range, naming the argument in the error.
pub(super) fn check_range(name: &'static str, value: f64, limit: f64) -> Result<f64, WeatherError> {
    if value.is_finite() && (-limit..=limit).contains(&value) {
        Ok(value)
    } else {
        Err(WeatherError::InvalidArgument {
            name,
            reason: format!("{value} is out of range; expected a number from -{limit} to {limit}"),
        })
    }
}

impl Nws {
    pub(super) fn new(upstream: Arc<Upstream>, base: Url) -> Self {
        Self {
            upstream,
            base,
            points: TtlCache::new(POINTS_CACHE_CAPACITY),
        }
    }

    /// Active alerts for a state, territory or marine area code (any case).
    pub(crate) async fn alerts(&self, area: &str) -> Result<AlertList, WeatherError> {
        let area = parse_area(area)?;
        let mut url = endpoint(&self.base, "alerts/active");
        url.query_pairs_mut().append_pair("area", area.code);
        let collection: AlertCollection = self.get(&url).await?.body;
        let alerts: Vec<Alert> = collection
            .features
            .into_iter()
            .map(|feature| feature.properties.into())
            .collect();
        Ok(AlertList {
            area_code: area.code.to_owned(),
            area_name: area.name.to_owned(),
            count: alerts.len(),
            alerts,
            updated: collection.updated,
            source: SOURCE.to_owned(),
        })
    }

    /// The forecast for a US point, in periods of about 12 hours.
    pub(crate) async fn forecast(
        &self,
        latitude: f64,
        longitude: f64,
    ) -> Result<Forecast, WeatherError> {
        let (lat, lon, point) = self.point(latitude, longitude).await?;
        let url = endpoint(&self.base, &point.forecast_path);
        let response: ForecastResponse = self.get(&url).await?.body;
        Ok(response.into_forecast(lat, lon, point))
    }

    /// The hour-by-hour forecast for a US point, for the next `hours` hours.
    pub(crate) async fn hourly_forecast(
        &self,
        latitude: f64,
        longitude: f64,
        hours: usize,
    ) -> Result<Forecast, WeatherError> {
        let (lat, lon, point) = self.point(latitude, longitude).await?;
        let url = endpoint(&self.base, &point.hourly_path);
        let response: ForecastResponse = self.get(&url).await?.body;
        let mut forecast = response.into_forecast(lat, lon, point);
        forecast.periods.truncate(hours);
        // NWS leaves hourly periods unnamed: name each by its local start,
        // "2024-05-21 14:00".
        for period in &mut forecast.periods {
            if period.name.is_empty() {
                let start = period.start_time.as_str();
                period.name = match (start.get(..10), start.get(11..16)) {
                    (Some(date), Some(time)) => format!("{date} {time}"),
                    _ => start.to_owned(),
                };
            }
        }
        Ok(forecast)
    }

    /// The grid lookup (`/points/{lat},{lon}`) for a point, cached for as long as
    /// NWS says (at most a day), with the coordinates as sent.
    async fn point(
        &self,
        latitude: f64,
        longitude: f64,
    ) -> Result<(f64, f64, PointInfo), WeatherError> {
        let lat = format_coordinate(check_range("latitude", latitude, 90.0)?);
        let lon = format_coordinate(check_range("longitude", longitude, 180.0)?);
        let key = format!("{lat},{lon}");
        let coordinates = (
            lat.parse().unwrap_or(latitude),
            lon.parse().unwrap_or(longitude),
        );
        if let Some(point) = self.points.get(&key) {
            return Ok((coordinates.0, coordinates.1, point));
        }
        let (point, max_age) = self.lookup_point(&key).await?;
        if let Some(ttl) = max_age {
            self.points
                .insert(key, point.clone(), ttl.min(MAX_POINT_TTL));
        }
        Ok((coordinates.0, coordinates.1, point))
    }

    async fn lookup_point(&self, key: &str) -> Result<(PointInfo, Option<Duration>), WeatherError> {
        let url = endpoint(&self.base, &format!("points/{key}"));
        let fetched = match self.get::<PointResponse>(&url).await {
            Ok(fetched) => fetched,
            Err(WeatherError::Rejected { status: 404, .. }) => {
                return Err(WeatherError::PointNotCovered {
                    point: key.to_owned(),
                });
            }
            Err(error) => return Err(error),
        };
        let properties = fetched.body.properties;
        let not_covered = || WeatherError::PointNotCovered {
            point: key.to_owned(),
        };
        let location = properties
            .relative_location
            .map(|place| place.properties)
            .and_then(|place| match (place.city, place.state) {
                (Some(city), Some(state)) => Some(format!("{city}, {state}")),
                (city, state) => city.or(state),
            });
        let info = PointInfo {
            forecast_path: url_path(properties.forecast.as_deref()).ok_or_else(not_covered)?,
            hourly_path: url_path(properties.forecast_hourly.as_deref()).ok_or_else(not_covered)?,
            location,
            time_zone: properties.time_zone,
        };
        Ok((info, fetched.max_age))
    }

    async fn get<T: DeserializeOwned>(&self, url: &Url) -> Result<Fetched<T>, WeatherError> {
        self.upstream.get_json(Service::Nws, url, ACCEPT).await
    }
}

/// The path of an absolute URL from an NWS answer (`https://api.weather.gov/gridpoints/...`).
/// Only the path is used, against the configured base: requests stay on the configured
/// host (a proxy, a test server), and a tampered body cannot send this server elsewhere.
fn url_path(url: Option<&str>) -> Option<String> {
    Url::parse(url?).ok().map(|url| url.path().to_owned())
}

/// What a forecast needs from a `/points` answer; cached per point.
#[derive(Debug, Clone)]
struct PointInfo {
    forecast_path: String,
    hourly_path: String,
    location: Option<String>,
    time_zone: Option<String>,
}

#[derive(Deserialize)]
struct AlertCollection {
    #[serde(default)]
    features: Vec<AlertFeature>,
    updated: Option<String>,
}

#[derive(Deserialize)]
struct AlertFeature {
    properties: AlertProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlertProperties {
    event: Option<String>,
    area_desc: Option<String>,
    severity: Option<String>,
    urgency: Option<String>,
    certainty: Option<String>,
    status: Option<String>,
    headline: Option<String>,
    effective: Option<String>,
    expires: Option<String>,
    description: Option<String>,
    instruction: Option<String>,
}

impl From<AlertProperties> for Alert {
    fn from(p: AlertProperties) -> Self {
        let or_unknown = |value: Option<String>| value.unwrap_or_else(|| "Unknown".to_owned());
        Self {
            event: p.event.unwrap_or_else(|| "Alert".to_owned()),
            area: p.area_desc.unwrap_or_default(),
            severity: or_unknown(p.severity),
            urgency: or_unknown(p.urgency),
            certainty: or_unknown(p.certainty),
            status: or_unknown(p.status),
            headline: p.headline,
            effective: p.effective,
            expires: p.expires,
            description: p.description,
            instruction: p.instruction,
        }
    }
}

#[derive(Deserialize)]
struct PointResponse {
    properties: PointProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PointProperties {
    forecast: Option<String>,
    forecast_hourly: Option<String>,
    relative_location: Option<RelativeLocation>,
    time_zone: Option<String>,
}

#[derive(Deserialize)]
struct RelativeLocation {
    properties: RelativePlace,
}

#[derive(Deserialize)]
struct RelativePlace {
    city: Option<String>,
    state: Option<String>,
}

#[derive(Deserialize)]
struct ForecastResponse {
    properties: ForecastProperties,
}

impl ForecastResponse {
    fn into_forecast(self, latitude: f64, longitude: f64, point: PointInfo) -> Forecast {
        let properties = self.properties;
        Forecast {
            latitude,
            longitude,
            location: point.location,
            time_zone: point.time_zone,
            updated: properties.updated.or(properties.generated_at),
            periods: properties.periods.into_iter().map(Into::into).collect(),
            source: SOURCE.to_owned(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForecastProperties {
    updated: Option<String>,
    generated_at: Option<String>,
    periods: Vec<Period>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Period {
    #[serde(default)]
    name: String,
    start_time: String,
    end_time: String,
    is_daytime: Option<bool>,
    temperature: Option<f64>,
    temperature_unit: Option<String>,
    probability_of_precipitation: Option<QuantitativeValue>,
    wind_speed: Option<String>,
    wind_direction: Option<String>,
    short_forecast: Option<String>,
    detailed_forecast: Option<String>,
}

#[derive(Deserialize)]
struct QuantitativeValue {
    value: Option<f64>,
}

impl From<Period> for ForecastPeriod {
    fn from(p: Period) -> Self {
        let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        Self {
            name: p.name,
            start_time: p.start_time,
            end_time: p.end_time,
            is_daytime: p.is_daytime,
            temperature: p.temperature,
            temperature_unit: p.temperature_unit,
            precipitation_chance_percent: p.probability_of_precipitation.and_then(|q| q.value),
            wind_speed: non_empty(p.wind_speed),
            wind_direction: non_empty(p.wind_direction),
            short_forecast: non_empty(p.short_forecast),
            detailed_forecast: non_empty(p.detailed_forecast),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_have_at_most_four_decimals_and_no_trailing_zeros() {
        assert_eq!(format_coordinate(39.7456), "39.7456");
        assert_eq!(format_coordinate(-97.0892), "-97.0892");
        assert_eq!(format_coordinate(35.5), "35.5");
        assert_eq!(format_coordinate(-95.0), "-95");
        assert_eq!(format_coordinate(45.458), "45.458");
        assert_eq!(format_coordinate(47.655_34), "47.6553");
        assert_eq!(format_coordinate(41.978_04), "41.978");
        assert_eq!(format_coordinate(0.0), "0");
        assert_eq!(format_coordinate(-0.000_01), "0");
        assert_eq!(format_coordinate(90.0), "90");
    }

    #[test]
    fn out_of_range_coordinates_name_the_argument() {
        assert_eq!(check_range("latitude", -90.0, 90.0).unwrap(), -90.0);
        let message = check_range("latitude", 91.0, 90.0).unwrap_err().to_string();
        assert!(message.contains("`latitude`"), "{message}");
        assert!(message.contains("-90 to 90"), "{message}");
        let message = check_range("longitude", f64::NAN, 180.0)
            .unwrap_err()
            .to_string();
        assert!(message.contains("`longitude`"), "{message}");
    }

    #[test]
    fn both_forecast_shapes_parse() {
        for body in [
            include_str!("../../tests/fixtures/forecast.json"),
            include_str!("../../tests/fixtures/forecast-variant-2025.json"),
        ] {
            let response: ForecastResponse = serde_json::from_str(body).unwrap();
            let period: ForecastPeriod = response
                .properties
                .periods
                .into_iter()
                .next()
                .unwrap()
                .into();
            assert!(period.temperature.is_some());
            assert!(period.short_forecast.is_some());
        }
    }
}
