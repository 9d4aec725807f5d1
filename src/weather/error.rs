//! What can go wrong when asking for weather, worded for the model and the user
//! behind it: every message says what failed and what to do next.

use std::fmt;

/// The upstream API a request went to, named the way a user would recognise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Nws,
    Geocoding,
    Forecast,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Nws => "The National Weather Service (api.weather.gov)",
            Self::Geocoding => "The Open-Meteo geocoding service",
            Self::Forecast => "The Open-Meteo weather service",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum WeatherError {
    /// An argument the schema cannot express precisely (a range, an empty string).
    #[error("Invalid argument `{name}`: {reason}")]
    InvalidArgument { name: &'static str, reason: String },

    /// `get_alerts` with a code the NWS `area` parameter does not accept.
    #[error("{input:?} is not a US state, territory or marine area code. Use one of: {valid}.")]
    UnknownArea { input: String, valid: String },

    /// NWS answered 404 `InvalidPoint`: outside the US and its territories.
    #[error(
        "The National Weather Service has no forecast for {point}: it covers only the \
         United States and its territories. For places elsewhere, use get_weather with \
         the place name."
    )]
    PointNotCovered { point: String },

    #[error(
        "No place found for {query:?}. Check the spelling, or try the name of a nearby \
         city or town."
    )]
    PlaceNotFound { query: String },

    /// Every attempt timed out, or the deadline ran out while waiting.
    #[error("{service} did not answer in time; try again in a minute.")]
    Timeout { service: Service },

    /// Server errors or connection failures that persisted through every retry.
    #[error("{service} is not available right now ({detail}); try again in a few minutes.")]
    Unavailable { service: Service, detail: String },

    /// A 4xx answer (never retried).
    #[error("{service} refused the request ({detail}).")]
    Rejected {
        service: Service,
        status: u16,
        detail: String,
    },

    /// A success status with a body that is not the JSON expected.
    #[error("{service} sent an answer this server could not read ({detail}); try again later.")]
    InvalidResponse { service: Service, detail: String },

    /// The HTTP client could not be built (no usable TLS roots, for example).
    #[error("The weather tools cannot make HTTP requests on this server: {0}")]
    Client(String),
}
