//! Readable text for each result: what a user sees in a chat client, next to the
//! `structuredContent` a program reads.

use std::fmt::Write;

use super::model::{AlertList, CurrentWeather, Forecast};

impl AlertList {
    pub(crate) fn to_text(&self) -> String {
        let area = format!("{} ({})", self.area_name, self.area_code);
        if self.alerts.is_empty() {
            return format!(
                "No active weather alerts for {area}.\nSource: {}",
                self.source
            );
        }
        let mut text = format!(
            "{} active weather alert{} for {area}:\n",
            self.count,
            if self.count == 1 { "" } else { "s" }
        );
        for alert in &self.alerts {
            let _ = write!(
                text,
                "\n## {}\nArea: {}\nSeverity: {} · Urgency: {} · Certainty: {} · Status: {}\n",
                alert.event,
                alert.area,
                alert.severity,
                alert.urgency,
                alert.certainty,
                alert.status
            );
            if let Some(headline) = &alert.headline {
                let _ = writeln!(text, "{headline}");
            }
            match (&alert.effective, &alert.expires) {
                (Some(from), Some(to)) => {
                    let _ = writeln!(text, "In effect from {from} until {to}");
                }
                (Some(from), None) => {
                    let _ = writeln!(text, "In effect from {from}");
                }
                (None, Some(to)) => {
                    let _ = writeln!(text, "Expires {to}");
                }
                (None, None) => {}
            }
            if let Some(description) = &alert.description {
                let _ = writeln!(text, "\n{}", description.trim());
            }
            if let Some(instruction) = &alert.instruction {
                let _ = writeln!(text, "\nWhat to do: {}", instruction.trim());
            }
        }
        let _ = write!(text, "\nSource: {}", self.source);
        text
    }
}

impl Forecast {
    pub(crate) fn to_text(&self) -> String {
        let place = match &self.location {
            Some(location) => format!("near {location} ({}, {})", self.latitude, self.longitude),
            None => format!("{}, {}", self.latitude, self.longitude),
        };
        let mut text = format!("Forecast {place}:\n");
        for period in &self.periods {
            let _ = write!(text, "\n{}:", period.name);
            if let Some(temperature) = period.temperature {
                let unit = period.temperature_unit.as_deref().unwrap_or("");
                let _ = write!(text, " {temperature}°{unit}");
            }
            if let Some(short) = &period.short_forecast {
                let _ = write!(text, ", {short}");
            }
            match (&period.wind_direction, &period.wind_speed) {
                (Some(direction), Some(speed)) => {
                    let _ = write!(text, ", wind {direction} {speed}");
                }
                (None, Some(speed)) => {
                    let _ = write!(text, ", wind {speed}");
                }
                _ => {}
            }
            text.push('\n');
            if let Some(detailed) = &period.detailed_forecast {
                let _ = writeln!(text, "{detailed}");
            }
        }
        if self.periods.is_empty() {
            text.push_str("\nNo forecast periods were returned.\n");
        }
        let _ = write!(text, "\nSource: {}", self.source);
        text
    }
}

impl CurrentWeather {
    pub(crate) fn to_text(&self) -> String {
        let place = &self.place;
        let mut text = format!(
            "Current weather in {} ({}, {}): {}",
            place.display_name(),
            place.latitude,
            place.longitude,
            self.condition
        );
        if let (Some(c), Some(f)) = (self.temperature_c, self.temperature_f) {
            let _ = write!(text, ", {c} °C ({f} °F)");
        }
        if let Some(humidity) = self.humidity_percent {
            let _ = write!(text, ", humidity {humidity}%");
        }
        if let Some(speed) = self.wind_speed_kmh {
            let _ = write!(text, ", wind {speed} km/h");
            if let (Some(compass), Some(degrees)) =
                (&self.wind_direction, self.wind_direction_degrees)
            {
                let _ = write!(text, " from {compass} ({degrees}°)");
            }
        }
        let _ = write!(
            text,
            ".\nObserved at {}.\nSource: {}",
            self.observed_at, self.source
        );
        text
    }
}
