//! What the weather tools return: the `structuredContent` of each result. The doc
//! comments become the tools' `outputSchema`, which the model reads; keys are
//! camelCase, as in MCP itself.

use schemars::JsonSchema;
use serde::Serialize;

/// Active weather alerts for one area.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AlertList {
    /// The two-letter area code asked for, upper-case.
    pub area_code: String,
    /// The area's name, e.g. "Washington".
    pub area_name: String,
    /// How many alerts are active (0 is a normal answer).
    pub count: usize,
    pub alerts: Vec<Alert>,
    /// When NWS last updated this list (ISO 8601).
    pub updated: Option<String>,
    pub source: String,
}

/// One active alert (watch, warning, advisory or statement).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Alert {
    /// The kind of alert, e.g. "Winter Storm Warning".
    pub event: String,
    /// The affected areas, e.g. "Moses Lake Area; Upper Columbia Basin".
    pub area: String,
    /// Extreme, Severe, Moderate, Minor or Unknown.
    pub severity: String,
    /// Immediate, Expected, Future, Past or Unknown.
    pub urgency: String,
    /// Observed, Likely, Possible, Unlikely or Unknown.
    pub certainty: String,
    /// Actual, Exercise, System, Test or Draft.
    pub status: String,
    pub headline: Option<String>,
    /// When the alert takes effect (ISO 8601 with offset).
    pub effective: Option<String>,
    /// When this version of the alert expires (ISO 8601 with offset).
    pub expires: Option<String>,
    pub description: Option<String>,
    /// What people should do, when the alert says.
    pub instruction: Option<String>,
}

/// A US forecast for a point, in periods of about 12 hours (day and night).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Forecast {
    /// The latitude as sent to NWS (at most 4 decimals).
    pub latitude: f64,
    /// The longitude as sent to NWS (at most 4 decimals).
    pub longitude: f64,
    /// The nearest place NWS names, e.g. "Cedar Rapids, IA".
    pub location: Option<String>,
    /// IANA time zone of the point, e.g. "America/Chicago".
    pub time_zone: Option<String>,
    /// When the forecast was last updated (ISO 8601).
    pub updated: Option<String>,
    pub periods: Vec<ForecastPeriod>,
    pub source: String,
}

/// One forecast period, e.g. "Tonight" or "Wednesday".
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ForecastPeriod {
    pub name: String,
    /// ISO 8601 with the point's UTC offset.
    pub start_time: String,
    /// ISO 8601 with the point's UTC offset.
    pub end_time: String,
    pub is_daytime: Option<bool>,
    /// The high (day) or low (night) temperature.
    pub temperature: Option<f64>,
    /// "F" or "C".
    pub temperature_unit: Option<String>,
    /// Chance of precipitation in percent.
    pub precipitation_chance_percent: Option<f64>,
    /// e.g. "10 to 15 mph".
    pub wind_speed: Option<String>,
    /// Compass direction the wind blows from, e.g. "SW".
    pub wind_direction: Option<String>,
    /// e.g. "Chance Showers And Thunderstorms".
    pub short_forecast: Option<String>,
    pub detailed_forecast: Option<String>,
}

/// Current conditions at a place found by name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CurrentWeather {
    pub place: Place,
    /// Plain-language condition from the WMO weather code, e.g. "Moderate rain".
    pub condition: String,
    /// The WMO weather interpretation code (0 to 99).
    #[schemars(range(min = 0, max = 99))]
    pub weather_code: Option<u16>,
    pub temperature_c: Option<f64>,
    pub temperature_f: Option<f64>,
    /// Relative humidity at 2 m, in percent.
    pub humidity_percent: Option<f64>,
    /// Wind speed at 10 m, in km/h.
    pub wind_speed_kmh: Option<f64>,
    /// Direction the wind blows from, in degrees (0 = north, 90 = east).
    pub wind_direction_degrees: Option<f64>,
    /// The same direction on a 16-point compass, e.g. "NW".
    pub wind_direction: Option<String>,
    /// When the values were observed (ISO 8601 with offset).
    pub observed_at: String,
    pub source: String,
}

/// A place resolved from the name asked for.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Place {
    pub name: String,
    /// First-level administrative area (state, region), when known.
    pub admin_area: Option<String>,
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2 code, e.g. "DE".
    pub country_code: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
}

impl Place {
    /// "Berlin, Land Berlin, Germany": the parts that are known, deduplicated.
    pub(crate) fn display_name(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.name];
        for part in [&self.admin_area, &self.country].into_iter().flatten() {
            if !part.is_empty() && !parts.contains(&part.as_str()) {
                parts.push(part);
            }
        }
        parts.join(", ")
    }
}
