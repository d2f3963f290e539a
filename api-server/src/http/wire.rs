//! Wire formats shared by several endpoints: wallabag's dates.

use chrono::{DateTime, FixedOffset, Utc};

/// `YYYY-MM-DDTHH:MM:SS+HHMM`: no colon in the offset, no fraction, never
/// `Z` (wallabag-api.md §1.4). The server zone is UTC.
pub fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// The same format in a given offset, to echo a date as it was sent.
pub fn date_in(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%z")
        .to_string()
}

/// ISO 8601 with a colon in the offset (`+00:00`): the dates of the
/// exports, whose serializer wallabag builds apart from the API's (§1.4).
pub fn iso_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The same in a given offset.
pub fn iso_date_in(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// An RFC 3339 timestamp (as introspection sends them) in wallabag's format.
pub fn date_from_rfc3339(value: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|at| date(at.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn offsets_have_no_colon() {
        let at = Utc.with_ymd_and_hms(2016, 9, 8, 9, 55, 58).unwrap();
        assert_eq!(date(at), "2016-09-08T09:55:58+0000");
        let plus_two = FixedOffset::east_opt(7200).unwrap();
        assert_eq!(date_in(at, plus_two), "2016-09-08T11:55:58+0200");
        assert_eq!(
            date_from_rfc3339("2026-01-02T03:04:05.123456+00:00").unwrap(),
            "2026-01-02T03:04:05+0000"
        );
        assert_eq!(iso_date(at), "2016-09-08T09:55:58+00:00");
        assert_eq!(iso_date_in(at, plus_two), "2016-09-08T11:55:58+02:00");
    }
}
