//! Weather tools: NWS alerts and forecasts, and worldwide current weather.

use rmcp::{
    handler::server::{tool::schema_for_output, wrapper::Parameters},
    model::CallToolResult,
    schemars::{self, JsonSchema},
    tool, tool_router,
};
use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::Value;

use super::{Tools, failure, success};
use crate::{
    weather::{AlertList, CurrentWeather, Forecast, WeatherError},
    widget,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct AlertsArgs {
    /// Two-letter code of a US state or territory, e.g. "CA", "NY", "PR" (any case). NWS marine area codes such as "GM" (Gulf of Mexico) also work.
    #[serde(deserialize_with = "state")]
    state: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct PointArgs {
    /// Latitude in decimal degrees, from -90 (south) to 90 (north), e.g. 40.7128 for New York City. Must be in the United States or its territories.
    #[serde(deserialize_with = "latitude")]
    #[schemars(range(min = -90.0, max = 90.0))]
    latitude: f64,
    /// Longitude in decimal degrees, from -180 (west) to 180 (east), e.g. -74.006 for New York City. US longitudes are negative.
    #[serde(deserialize_with = "longitude")]
    #[schemars(range(min = -180.0, max = 180.0))]
    longitude: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct HourlyArgs {
    #[serde(flatten)]
    point: PointArgs,
    /// How many hours ahead to forecast, from 1 to 156 (default 24).
    #[serde(default = "a_day", deserialize_with = "hours")]
    #[schemars(range(min = 1, max = 156))]
    hours: u16,
}

fn a_day() -> u16 {
    24
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct WeatherArgs {
    /// A place name anywhere in the world, e.g. "Berlin", "Tokyo" or "Seattle". A bare city name works best.
    #[serde(deserialize_with = "location")]
    location: String,
}

#[tool_router(router = weather_tools, vis = "pub(super)")]
impl Tools {
    /// Get the active weather alerts (watches, warnings, advisories) the US National Weather Service has issued for a US state or territory, given its two-letter code. Each alert has its event, affected area, severity, urgency, certainty, effective and expiry times, description and instructions. An empty list means no alerts are active.
    #[tool(
        title = "Weather alerts (US)",
        output_schema = schema_for_output::<AlertList>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_alerts(&self, Parameters(args): Parameters<AlertsArgs>) -> CallToolResult {
        answer(
            self.weather.nws.alerts(&args.state).await,
            AlertList::to_text,
        )
    }

    /// Get the weather forecast for the next 7 days at a location in the United States or its territories, from the US National Weather Service, given its latitude and longitude. Returns day and night periods (e.g. "Tonight", "Saturday") with temperature, wind, and a short and a detailed forecast. For places outside the US, use get_weather instead.
    #[tool(
        title = "Weather forecast (US)",
        output_schema = schema_for_output::<Forecast>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_forecast(&self, Parameters(args): Parameters<PointArgs>) -> CallToolResult {
        let forecast = self.weather.nws.forecast(args.latitude, args.longitude);
        answer(forecast.await, Forecast::to_text)
    }

    /// Get the hour-by-hour weather forecast for up to the next 156 hours at a location in the United States or its territories, from the US National Weather Service, given its latitude and longitude. Each hour has its temperature, chance of precipitation, wind and a short forecast. Use get_forecast for a summary of the coming days; for places outside the US, use get_weather.
    #[tool(
        title = "Hourly forecast (US)",
        output_schema = schema_for_output::<Forecast>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_hourly_forecast(
        &self,
        Parameters(args): Parameters<HourlyArgs>,
    ) -> CallToolResult {
        let PointArgs {
            latitude,
            longitude,
        } = args.point;
        let hours = usize::from(args.hours);
        let forecast = self.weather.nws.hourly_forecast(latitude, longitude, hours);
        answer(forecast.await, Forecast::to_text)
    }

    /// Get the current weather anywhere in the world by place name, from Open-Meteo: the place found, the condition (e.g. "Partly cloudy"), temperature in °C and °F, humidity, wind speed and direction, and the observation time. Use this for places outside the US, or when only a place name is known.
    #[tool(
        title = "Current weather (worldwide)",
        output_schema = schema_for_output::<CurrentWeather>(),
        meta = widget::weather_tool_meta(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_weather(&self, Parameters(args): Parameters<WeatherArgs>) -> CallToolResult {
        let current = self.weather.open_meteo.current(&args.location);
        answer(current.await, CurrentWeather::to_text)
    }
}

/// A success carries the value and its text rendering; a failure is an `isError`
/// result whose text says what went wrong and what to do.
fn answer<T: serde::Serialize>(
    result: Result<T, WeatherError>,
    to_text: fn(&T) -> String,
) -> CallToolResult {
    match result {
        Ok(value) => success(&value, to_text(&value)),
        Err(error) => failure(error.to_string()),
    }
}

// Argument parsers. serde's own message for a wrong type ("invalid type: string,
// expected f64") does not say which argument was wrong; these do. Numbers sent as
// numeric strings ("40.7") are accepted, as some models send them that way.

fn latitude<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    number(d, "latitude", "a number from -90 to 90")
}

fn longitude<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    number(d, "longitude", "a number from -180 to 180")
}

fn hours<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let expected = "a whole number of hours from 1 to 156";
    let hours = number(d, "hours", expected)?;
    if hours.fract() == 0.0 && (1.0..=156.0).contains(&hours) {
        Ok(hours as u16)
    } else {
        Err(D::Error::custom(format!(
            "`hours` must be {expected}, not {hours}"
        )))
    }
}

fn state<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string(d, "state", "a two-letter code such as \"CA\"")
}

fn location<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string(d, "location", "a place name such as \"Berlin\"")
}

fn number<'de, D: Deserializer<'de>>(d: D, name: &str, expected: &str) -> Result<f64, D::Error> {
    let value = Value::deserialize(d)?;
    let number = match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    };
    number.ok_or_else(|| D::Error::custom(format!("`{name}` must be {expected}, not {value}")))
}

fn string<'de, D: Deserializer<'de>>(d: D, name: &str, expected: &str) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        other => Err(D::Error::custom(format!(
            "`{name}` must be {expected}, not {other}"
        ))),
    }
}
