//! Open-Meteo: a place name to coordinates (geocoding API), then the current
//! conditions there (forecast API). Works worldwide, with no API key.

use std::sync::Arc;

use serde::Deserialize;
use url::Url;

use super::{
    endpoint,
    error::{Service, WeatherError},
    model::{CurrentWeather, Place},
    upstream::Upstream,
};

const ACCEPT: &str = "application/json";
/// Open-Meteo's terms ask for this attribution.
const SOURCE: &str = "Weather data by Open-Meteo.com";
const CURRENT_VARIABLES: &str =
    "temperature_2m,relative_humidity_2m,wind_speed_10m,wind_direction_10m,weather_code";

/// The Open-Meteo client: its geocoding and forecast APIs.
#[derive(Debug)]
pub(crate) struct OpenMeteo {
    upstream: Arc<Upstream>,
    geocoding: Url,
    forecast: Url,
}

impl OpenMeteo {
    pub(super) fn new(upstream: Arc<Upstream>, geocoding: Url, forecast: Url) -> Self {
        Self {
            upstream,
            geocoding,
            forecast,
        }
    }

    /// Current conditions anywhere, by place name.
    pub(crate) async fn current(&self, location: &str) -> Result<CurrentWeather, WeatherError> {
        let query = location.trim();
        if query.is_empty() {
            return Err(WeatherError::InvalidArgument {
                name: "location",
                reason: "it is empty; give a place name such as \"Berlin\" or \"Tokyo\"".to_owned(),
            });
        }
        let place = self.geocode(query).await?;

        let mut url = endpoint(&self.forecast, "v1/forecast");
        url.query_pairs_mut()
            .append_pair("latitude", &place.latitude.to_string())
            .append_pair("longitude", &place.longitude.to_string())
            .append_pair("current", CURRENT_VARIABLES);
        let response: ForecastResponse = self
            .upstream
            .get_json(Service::Forecast, &url, ACCEPT)
            .await?
            .body;
        let current = response
            .current
            .ok_or_else(|| WeatherError::InvalidResponse {
                service: Service::Forecast,
                detail: "the answer has no current conditions".to_owned(),
            })?;
        Ok(CurrentWeather {
            place,
            condition: current.weather_code.map_or_else(
                || "Unknown".to_owned(),
                |code| wmo_condition(code).to_owned(),
            ),
            weather_code: current.weather_code,
            temperature_c: current.temperature_2m,
            temperature_f: current.temperature_2m.map(celsius_to_fahrenheit),
            humidity_percent: current.relative_humidity_2m,
            wind_speed_kmh: current.wind_speed_10m,
            wind_direction_degrees: current.wind_direction_10m,
            wind_direction: current
                .wind_direction_10m
                .map(|d| compass_point(d).to_owned()),
            observed_at: with_offset(&current.time, response.utc_offset_seconds.unwrap_or(0)),
            source: SOURCE.to_owned(),
        })
    }

    async fn geocode(&self, query: &str) -> Result<Place, WeatherError> {
        let mut url = endpoint(&self.geocoding, "v1/search");
        url.query_pairs_mut()
            .append_pair("name", query)
            .append_pair("count", "1")
            .append_pair("language", "en")
            .append_pair("format", "json");
        let response: GeocodeResponse = self
            .upstream
            .get_json(Service::Geocoding, &url, ACCEPT)
            .await?
            .body;
        // When nothing matches, `results` is absent rather than empty.
        let found = response
            .results
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| WeatherError::PlaceNotFound {
                query: query.to_owned(),
            })?;
        Ok(Place {
            name: found.name,
            admin_area: found.admin1,
            country: found.country,
            country_code: found.country_code,
            latitude: found.latitude,
            longitude: found.longitude,
        })
    }
}

/// Plain-language text for a WMO weather interpretation code (WMO 4677, as
/// Open-Meteo documents it).
pub(super) fn wmo_condition(code: u16) -> &'static str {
    match code {
        0 => "Clear sky",
        1 => "Mainly clear",
        2 => "Partly cloudy",
        3 => "Overcast",
        45 => "Fog",
        48 => "Depositing rime fog",
        51 => "Light drizzle",
        53 => "Moderate drizzle",
        55 => "Dense drizzle",
        56 => "Light freezing drizzle",
        57 => "Dense freezing drizzle",
        61 => "Slight rain",
        63 => "Moderate rain",
        65 => "Heavy rain",
        66 => "Light freezing rain",
        67 => "Heavy freezing rain",
        71 => "Slight snowfall",
        73 => "Moderate snowfall",
        75 => "Heavy snowfall",
        77 => "Snow grains",
        80 => "Slight rain showers",
        81 => "Moderate rain showers",
        82 => "Violent rain showers",
        85 => "Slight snow showers",
        86 => "Heavy snow showers",
        95 => "Thunderstorm",
        96 => "Thunderstorm with slight hail",
        99 => "Thunderstorm with heavy hail",
        _ => "Unknown",
    }
}

/// The 16-point compass direction nearest to `degrees` (0 = N, 90 = E).
pub(super) fn compass_point(degrees: f64) -> &'static str {
    const POINTS: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let sector = (degrees.rem_euclid(360.0) / 22.5).round() as usize % 16;
    POINTS.get(sector).copied().unwrap_or("N")
}

/// °C to °F, rounded to one decimal like the input.
pub(super) fn celsius_to_fahrenheit(celsius: f64) -> f64 {
    ((celsius * 9.0 / 5.0 + 32.0) * 10.0).round() / 10.0
}

/// Open-Meteo's times carry no offset (they are local to the answer's `timezone`);
/// this appends it so the time is unambiguous: `2025-02-25T15:45+01:00`.
fn with_offset(local_time: &str, offset_seconds: i64) -> String {
    if offset_seconds == 0 {
        return format!("{local_time}Z");
    }
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let minutes = offset_seconds.unsigned_abs() / 60;
    format!("{local_time}{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[derive(Deserialize)]
struct GeocodeResponse {
    results: Option<Vec<GeocodeResult>>,
}

#[derive(Deserialize)]
struct GeocodeResult {
    name: String,
    latitude: f64,
    longitude: f64,
    country: Option<String>,
    country_code: Option<String>,
    admin1: Option<String>,
}

#[derive(Deserialize)]
struct ForecastResponse {
    utc_offset_seconds: Option<i64>,
    current: Option<Current>,
}

#[derive(Deserialize)]
struct Current {
    time: String,
    temperature_2m: Option<f64>,
    relative_humidity_2m: Option<f64>,
    wind_speed_10m: Option<f64>,
    wind_direction_10m: Option<f64>,
    weather_code: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wmo_codes_have_plain_names() {
        assert_eq!(wmo_condition(0), "Clear sky");
        assert_eq!(wmo_condition(3), "Overcast");
        assert_eq!(wmo_condition(63), "Moderate rain");
        assert_eq!(wmo_condition(99), "Thunderstorm with heavy hail");
        assert_eq!(wmo_condition(4), "Unknown");
    }

    #[test]
    fn compass_points_round_to_the_nearest_of_sixteen() {
        assert_eq!(compass_point(0.0), "N");
        assert_eq!(compass_point(11.2), "N");
        assert_eq!(compass_point(11.3), "NNE");
        assert_eq!(compass_point(90.0), "E");
        assert_eq!(compass_point(326.0), "NW");
        assert_eq!(compass_point(349.0), "N");
        assert_eq!(compass_point(360.0), "N");
        assert_eq!(compass_point(-90.0), "W");
    }

    #[test]
    fn celsius_converts_to_fahrenheit() {
        assert_eq!(celsius_to_fahrenheit(0.0), 32.0);
        assert_eq!(celsius_to_fahrenheit(100.0), 212.0);
        assert_eq!(celsius_to_fahrenheit(-40.0), -40.0);
        assert_eq!(celsius_to_fahrenheit(8.8), 47.8);
    }

    #[test]
    fn observation_times_get_their_offset() {
        assert_eq!(
            with_offset("2025-02-25T15:45", 3600),
            "2025-02-25T15:45+01:00"
        );
        assert_eq!(with_offset("2024-03-22T14:15", 0), "2024-03-22T14:15Z");
        assert_eq!(
            with_offset("2024-03-22T09:15", -16200),
            "2024-03-22T09:15-04:30"
        );
    }
}
