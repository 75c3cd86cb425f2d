//! Time in the product's own zone: China Standard Time, UTC+8 all year (no daylight saving).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Date, OffsetDateTime, UtcOffset};

pub const CHINA_OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

pub fn today_in_china() -> Date {
    OffsetDateTime::now_utc().to_offset(CHINA_OFFSET).date()
}

/// Milliseconds since the Unix epoch: the form every timestamp is stored in.
pub fn now_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The product's one clock: the system's time, moved by a shift that only tests set (so a test
/// moves time forward instead of backdating rows). Cheap to clone; clones share the shift.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    shift_millis: Arc<AtomicI64>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        now_millis() + self.shift_millis.load(Ordering::Relaxed)
    }

    /// Today in China.
    pub fn today(&self) -> Date {
        date_in_china(self.now_millis())
    }

    /// Moves the clock forward (or back) by `millis`, for everything holding a clone of it.
    pub fn advance(&self, millis: i64) {
        self.shift_millis.fetch_add(millis, Ordering::Relaxed);
    }
}

/// The date in China of a timestamp.
pub fn date_in_china(millis: i64) -> Date {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .map(|t| t.to_offset(CHINA_OFFSET).date())
        .unwrap_or_else(|_| today_in_china())
}

/// `2026-11-29 18:04` in China time, for pages and reports.
pub fn format_millis(millis: i64) -> String {
    let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000) else {
        return String::new();
    };
    let at = at.to_offset(CHINA_OFFSET);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        at.month() as u8,
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// An instant as the API takes it: epoch milliseconds, or an RFC 3339 time with its offset
/// (`2026-12-07T08:00:00+08:00`, `2026-12-07T00:00:00Z`). Returns epoch milliseconds.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(millis);
    }
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            format!(
                "{text:?} is not a time: give epoch milliseconds or RFC 3339 with an offset, such as 2026-12-07T08:00:00+08:00"
            )
        })
}

/// Serde: an instant written as epoch milliseconds (a number or its digits) or RFC 3339.
pub mod instant_millis {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Millis(i64),
        Text(String),
    }

    pub fn deserialize_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<Written>::deserialize(d)? {
            None => Ok(None),
            Some(Written::Millis(m)) => Ok(Some(m)),
            Some(Written::Text(t)) => super::parse_instant(&t)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod instant_tests {
    use super::parse_instant;

    #[test]
    fn instants_read_as_millis_or_rfc3339() {
        assert_eq!(parse_instant("1765065600000"), Ok(1_765_065_600_000));
        assert_eq!(
            parse_instant("2025-12-07T08:00:00+08:00"),
            Ok(1_765_065_600_000)
        );
        assert_eq!(parse_instant("2025-12-07T00:00:00Z"), Ok(1_765_065_600_000));
        assert!(parse_instant("2025-12-07 08:00").is_err());
        assert!(parse_instant("").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,40}") {
            let _ = parse_instant(&text);
        }
    }
}
