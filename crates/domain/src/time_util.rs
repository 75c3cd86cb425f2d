//! Time in the product's own zone: China Standard Time, UTC+8 all year (no daylight saving).

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
