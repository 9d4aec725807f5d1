//! The area codes the NWS `/alerts/active?area=` parameter accepts: the
//! `StateTerritoryCode` and `MarineAreaCode` enums of the api.weather.gov OpenAPI
//! specification. Checking locally means a typo gets the list of valid codes at
//! once instead of a round trip and a terse 400.

use super::error::WeatherError;

/// A valid alert area: its code and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Area {
    pub code: &'static str,
    pub name: &'static str,
}

const STATES_AND_TERRITORIES: [(&str, &str); 59] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AS", "American Samoa"),
    ("AR", "Arkansas"),
    ("AZ", "Arizona"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("GU", "Guam"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VI", "U.S. Virgin Islands"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("MP", "Northern Mariana Islands"),
    ("PW", "Palau"),
    ("FM", "Federated States of Micronesia"),
    ("MH", "Marshall Islands"),
];

const MARINE_AREAS: [(&str, &str); 15] = [
    (
        "AM",
        "Western North Atlantic Ocean, U.S. East Coast south of Currituck Beach Light NC, and the Caribbean",
    ),
    (
        "AN",
        "Western North Atlantic Ocean, U.S. East Coast north of Currituck Beach Light NC",
    ),
    ("GM", "Gulf of Mexico"),
    ("LC", "Lake St. Clair"),
    ("LE", "Lake Erie"),
    ("LH", "Lake Huron"),
    ("LM", "Lake Michigan"),
    ("LO", "Lake Ontario"),
    ("LS", "Lake Superior"),
    ("PH", "Central Pacific Ocean, including Hawaiian waters"),
    ("PK", "North Pacific Ocean near Alaska"),
    (
        "PM",
        "Western Pacific Ocean, including Mariana Islands waters",
    ),
    (
        "PS",
        "South Central Pacific Ocean, including American Samoa waters",
    ),
    ("PZ", "Eastern North Pacific Ocean and the U.S. West Coast"),
    ("SL", "St. Lawrence River"),
];

/// Looks up a code in any case, ignoring surrounding spaces.
pub(super) fn parse_area(input: &str) -> Result<Area, WeatherError> {
    let code = input.trim().to_ascii_uppercase();
    STATES_AND_TERRITORIES
        .iter()
        .chain(MARINE_AREAS.iter())
        .find(|(c, _)| *c == code)
        .map(|(code, name)| Area { code, name })
        .ok_or_else(|| WeatherError::UnknownArea {
            input: input.to_owned(),
            valid: valid_codes(),
        })
}

/// "AL, AK, … (states and territories); AM, AN, … (marine areas)".
fn valid_codes() -> String {
    let join = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(code, _)| *code)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{} (states and territories); {} (marine areas)",
        join(&STATES_AND_TERRITORIES),
        join(&MARINE_AREAS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_accepted_in_any_case() {
        assert_eq!(parse_area("wa").unwrap().code, "WA");
        assert_eq!(parse_area(" Ny ").unwrap().name, "New York");
        assert_eq!(parse_area("PR").unwrap().name, "Puerto Rico");
        assert_eq!(parse_area("gm").unwrap().name, "Gulf of Mexico");
    }

    #[test]
    fn unknown_codes_list_the_valid_ones() {
        for bad in ["XX", "Washington", "", "W"] {
            let message = parse_area(bad).unwrap_err().to_string();
            assert!(message.contains(&format!("{bad:?}")), "{message}");
            assert!(message.contains("AL, AK, AS"), "{message}");
            assert!(message.contains("WY"), "{message}");
            assert!(message.contains("SL (marine areas)"), "{message}");
        }
    }

    #[test]
    fn no_code_is_listed_twice() {
        let mut codes: Vec<_> = STATES_AND_TERRITORIES
            .iter()
            .chain(MARINE_AREAS.iter())
            .map(|(c, _)| *c)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 74);
    }
}
