//! The `timestamp` option: a point in time to read a Delta table as of.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Milliseconds since the epoch, from RFC 3339 (`2024-05-01T12:00:00Z`, a space
/// in place of the `T` as Python's `str(datetime)` writes it), a date and time
/// without a zone (UTC), or a date alone (its midnight, UTC).
pub fn parse_millis(value: &str) -> Option<i64> {
    let text = value.trim();
    let with_t = text.replacen(' ', "T", 1);
    if let Ok(time) = DateTime::parse_from_rfc3339(&with_t) {
        return Some(time.timestamp_millis());
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(&with_t, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc().timestamp_millis());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::parse_millis;

    #[test]
    fn zones_spaces_and_dates() {
        assert_eq!(parse_millis("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_millis("1970-01-01 01:00:01.5+01:00"), Some(1500));
        assert_eq!(parse_millis("1970-01-01 00:00:02"), Some(2000));
        assert_eq!(parse_millis("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_millis("yesterday"), None);
        assert_eq!(parse_millis("5"), None);
    }
}
