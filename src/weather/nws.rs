//! The National Weather Service API (api.weather.gov): active alerts by area, and
//! forecasts by point (`/points/{lat},{lon}`, then the forecast URL it names).
//!
//! Upstream shapes vary between API versions (fields appear, vanish or turn null), so
//! everything optional is an `Option` and unknown fields are ignored.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::{
    areas::Area,
    cache::TtlCache,
    endpoint,
    error::{Service, WeatherError},
    model::{Alert, AlertList, Forecast, ForecastPeriod},
    upstream::Upstream,
};

/// GeoJSON, the format NWS documents; sent explicitly so a change of default
/// cannot break parsing.
const ACCEPT: &str = "application/geo+json";
pub(crate) const SOURCE: &str = "National Weather Service (api.weather.gov)";
/// `/points` answers kept at most this long, whatever `max-age` says.
const MAX_POINT_TTL: Duration = Duration::from_secs(24 * 3600);

/// Formats a coordinate as NWS wants it: at most 4 decimals and no trailing zeros
/// (`39.7456`, `35.5`, `-95`). Anything else is answered with a 301.
pub fn format_coordinate(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Checks a coordinate's range, naming the argument in the error.
pub fn check_range(name: &'static str, value: f64, limit: f64) -> Result<f64, WeatherError> {
    if value.is_finite() && (-limit..=limit).contains(&value) {
        Ok(value)
    } else {
        Err(WeatherError::InvalidArgument {
            name,
            reason: format!("{value} is out of range; expected a number from -{limit} to {limit}"),
        })
    }
}

pub(crate) async fn alerts(
    upstream: &Upstream,
    base: &Url,
    area: Area,
) -> Result<AlertList, WeatherError> {
    let mut url = endpoint(base, "alerts/active");
    url.query_pairs_mut().append_pair("area", area.code);
    let collection: AlertCollection = upstream.get_json(Service::Nws, &url, ACCEPT).await?.body;
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

/// What a forecast needs from a `/points` answer; cached per point.
#[derive(Debug, Clone)]
pub(crate) struct PointInfo {
    forecast_path: String,
    location: Option<String>,
    time_zone: Option<String>,
}

pub(crate) async fn forecast(
    upstream: &Upstream,
    points: &TtlCache<PointInfo>,
    base: &Url,
    latitude: f64,
    longitude: f64,
) -> Result<Forecast, WeatherError> {
    let lat = format_coordinate(check_range("latitude", latitude, 90.0)?);
    let lon = format_coordinate(check_range("longitude", longitude, 180.0)?);
    let key = format!("{lat},{lon}");
    let point = match points.get(&key) {
        Some(point) => point,
        None => {
            let point = lookup_point(upstream, base, &key).await?;
            if let Some(ttl) = point.1 {
                points.insert(key.clone(), point.0.clone(), ttl.min(MAX_POINT_TTL));
            }
            point.0
        }
    };

    // The forecast URL is absolute (https://api.weather.gov/gridpoints/...). Only its
    // path is used, against the configured base: requests stay on the configured host
    // (a proxy, a test server), and a tampered body cannot send this server elsewhere.
    let url = endpoint(base, &point.forecast_path);
    let response: ForecastResponse = upstream.get_json(Service::Nws, &url, ACCEPT).await?.body;
    let properties = response.properties;
    Ok(Forecast {
        latitude: lat.parse().unwrap_or(latitude),
        longitude: lon.parse().unwrap_or(longitude),
        location: point.location,
        time_zone: point.time_zone,
        updated: properties.updated.or(properties.generated_at),
        periods: properties.periods.into_iter().map(Into::into).collect(),
        source: SOURCE.to_owned(),
    })
}

async fn lookup_point(
    upstream: &Upstream,
    base: &Url,
    key: &str,
) -> Result<(PointInfo, Option<Duration>), WeatherError> {
    let url = endpoint(base, &format!("points/{key}"));
    let fetched = match upstream
        .get_json::<PointResponse>(Service::Nws, &url, ACCEPT)
        .await
    {
        Ok(fetched) => fetched,
        Err(WeatherError::Rejected { status: 404, .. }) => {
            return Err(WeatherError::PointNotCovered {
                point: key.to_owned(),
            });
        }
        Err(error) => return Err(error),
    };
    let properties = fetched.body.properties;
    let forecast_path = properties
        .forecast
        .as_deref()
        .and_then(|forecast| Url::parse(forecast).ok())
        .map(|forecast| forecast.path().to_owned())
        .ok_or_else(|| WeatherError::PointNotCovered {
            point: key.to_owned(),
        })?;
    let location = properties
        .relative_location
        .map(|place| place.properties)
        .and_then(|place| match (place.city, place.state) {
            (Some(city), Some(state)) => Some(format!("{city}, {state}")),
            (city, state) => city.or(state),
        });
    let info = PointInfo {
        forecast_path,
        location,
        time_zone: properties.time_zone,
    };
    Ok((info, fetched.max_age))
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
