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
