//! Weather domain: clients for the National Weather Service and Open-Meteo.

use crate::config::WeatherConfig;

/// The weather service shared by all requests.
#[derive(Debug)]
pub struct Weather {
    #[allow(dead_code)]
    config: WeatherConfig,
}

impl Weather {
    pub fn new(config: WeatherConfig) -> Self {
        Self { config }
    }
}
