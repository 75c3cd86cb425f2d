//! China's working-day calendar (工作日): weekends, public holidays and the weekend days that
//! become working days (调休). Deadlines "within N working days" are counted with it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::{Date, Duration, Weekday};

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayKind {
    Workday,
    Weekend,
    Holiday,
    AdjustedWorkday,
}

impl DayKind {
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday => "holiday",
            DayKind::AdjustedWorkday => "adjusted-workday",
        }
    }

    pub fn is_workday(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::AdjustedWorkday)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CalendarError {
    pub line: usize,
    pub message: String,
}

/// The calendar: the exceptions to the plain week, and which years they cover.
#[derive(Debug, Clone, Default)]
pub struct WorkdayCalendar {
    exceptions: BTreeMap<Date, (DayKind, String)>,
    years: BTreeSet<i32>,
}

impl WorkdayCalendar {
    /// Parses `date,kind,name` lines (a header line first). Every error names its line.
    pub fn parse(text: &str) -> Result<WorkdayCalendar, Vec<CalendarError>> {
        let mut calendar = WorkdayCalendar::default();
        let mut errors = Vec::new();
        let format = time::macros::format_description!("[year]-[month]-[day]");
        for (i, raw) in text.lines().enumerate().skip(1) {
            let line = i + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let mut fail = |message: String| errors.push(CalendarError { line, message });
            let parts: Vec<&str> = raw.splitn(3, ',').map(str::trim).collect();
            let [date, kind, name] = parts[..] else {
                fail(format!("expected date,kind,name, got '{raw}'"));
                continue;
            };
            let Ok(date) = Date::parse(date, &format) else {
                fail(format!("'{date}' is not a date (YYYY-MM-DD)"));
                continue;
            };
            let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
            let kind = match kind {
                "holiday" => DayKind::Holiday,
                "adjusted-workday" if weekend => DayKind::AdjustedWorkday,
                "adjusted-workday" => {
                    fail(format!(
                        "{date} is a {}, not a weekend day to be worked",
                        date.weekday()
                    ));
                    continue;
                }
                other => {
                    fail(format!(
                        "kind '{other}' must be holiday or adjusted-workday"
                    ));
                    continue;
                }
            };
            if name.is_empty() {
                fail(format!("{date} has no holiday name"));
                continue;
            }
            if calendar
                .exceptions
                .insert(date, (kind, name.to_string()))
                .is_some()
            {
                fail(format!("{date} is listed twice"));
            }
            calendar.years.insert(date.year());
        }
        if errors.is_empty() {
            Ok(calendar)
        } else {
            Err(errors)
        }
    }

    /// The shipped calendar (`data/calendar/china.csv`).
    pub fn china() -> WorkdayCalendar {
        WorkdayCalendar::parse(include_str!("../../../data/calendar/china.csv")).unwrap_or_default()
    }

    /// The years whose holidays the calendar knows.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    pub fn kind(&self, date: Date) -> DayKind {
        if let Some((kind, _)) = self.exceptions.get(&date) {
            return *kind;
        }
        match date.weekday() {
            Weekday::Saturday | Weekday::Sunday => DayKind::Weekend,
            _ => DayKind::Workday,
        }
    }

    pub fn name(&self, date: Date) -> Option<&str> {
        self.exceptions.get(&date).map(|(_, name)| name.as_str())
    }

    pub fn is_workday(&self, date: Date) -> bool {
        self.kind(date).is_workday()
    }

    /// The `n`th working day strictly after `date`: the deadline of "within n working days".
    /// With `n == 0`, `date` itself if it is a working day, else the next one.
    pub fn add_workdays(&self, date: Date, n: u32) -> Date {
        let mut day = date;
        if n == 0 {
            while !self.is_workday(day) {
                day = day.saturating_add(Duration::days(1));
            }
            return day;
        }
        let mut left = n;
        while left > 0 {
            day = day.saturating_add(Duration::days(1));
            if self.is_workday(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days in `(from, to]`: how many working days have passed since `from`.
    pub fn workdays_between(&self, from: Date, to: Date) -> i64 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.saturating_add(Duration::days(1));
            if self.is_workday(day) {
                count += 1;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_2026_spring_festival() {
        let c = WorkdayCalendar::china();
        assert_eq!(c.kind(date!(2026 - 02 - 14)), DayKind::AdjustedWorkday);
        assert_eq!(c.name(date!(2026 - 02 - 14)), Some("春节"));
        assert_eq!(c.kind(date!(2026 - 02 - 16)), DayKind::Holiday);
        assert_eq!(c.kind(date!(2026 - 02 - 24)), DayKind::Workday);
        // Friday 13 Feb + 3 working days: Sat 14 (worked), then the holiday, then 24 and 25 Feb.
        assert_eq!(
            c.add_workdays(date!(2026 - 02 - 13), 3),
            date!(2026 - 02 - 25)
        );
        assert_eq!(
            c.workdays_between(date!(2026 - 02 - 13), date!(2026 - 02 - 25)),
            3
        );
    }

    #[test]
    fn national_day_2025_and_plain_weeks() {
        let c = WorkdayCalendar::china();
        assert_eq!(c.kind(date!(2025 - 09 - 28)), DayKind::AdjustedWorkday);
        assert_eq!(
            c.add_workdays(date!(2025 - 09 - 30), 1),
            date!(2025 - 10 - 09)
        );
        assert_eq!(c.kind(date!(2027 - 03 - 06)), DayKind::Weekend);
        assert_eq!(
            c.add_workdays(date!(2027 - 03 - 05), 1),
            date!(2027 - 03 - 08)
        );
        assert_eq!(
            c.add_workdays(date!(2027 - 03 - 06), 0),
            date!(2027 - 03 - 08)
        );
        assert_eq!(c.years(), vec![2025, 2026]);
    }

    /// The State Council's schedules (国办发明电〔2024〕12号 for 2025, 〔2025〕7号 for 2026).
    #[test]
    fn the_official_2025_and_2026_schedules() {
        let c = WorkdayCalendar::china();
        let days = |year: i32, kind: DayKind| -> Vec<String> {
            let mut day = Date::from_calendar_date(year, time::Month::January, 1).expect("date");
            let mut out = Vec::new();
            while day.year() == year {
                if c.kind(day) == kind {
                    out.push(day.to_string());
                }
                day = day.saturating_add(Duration::days(1));
            }
            out
        };
        assert_eq!(days(2025, DayKind::Holiday).len(), 28);
        assert_eq!(days(2026, DayKind::Holiday).len(), 33);
        assert_eq!(
            days(2025, DayKind::AdjustedWorkday),
            [
                "2025-01-26",
                "2025-02-08",
                "2025-04-27",
                "2025-09-28",
                "2025-10-11"
            ]
        );
        assert_eq!(
            days(2026, DayKind::AdjustedWorkday),
            [
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10"
            ]
        );
        // Deadlines across the National Day week of 2026: a Friday's next working day is the
        // worked Sunday before it; the last day of September's is 8 October.
        assert_eq!(
            c.add_workdays(date!(2026 - 09 - 18), 1),
            date!(2026 - 09 - 20)
        );
        assert_eq!(
            c.add_workdays(date!(2026 - 09 - 30), 1),
            date!(2026 - 10 - 08)
        );
        assert_eq!(
            c.add_workdays(date!(2026 - 09 - 30), 3),
            date!(2026 - 10 - 10)
        );
    }

    proptest::proptest! {
        /// The nth working day after a date is a working day, n working days away; and the
        /// count of working days is additive.
        #[test]
        fn adding_and_counting_working_days_agree(offset in 0i64..760, n in 0u32..40, split in 0i64..60) {
            let c = WorkdayCalendar::china();
            let start = date!(2025 - 01 - 01).saturating_add(Duration::days(offset));
            let due = c.add_workdays(start, n);
            proptest::prop_assert!(c.is_workday(due));
            if n > 0 {
                proptest::prop_assert_eq!(c.workdays_between(start, due), i64::from(n));
                proptest::prop_assert!(c.add_workdays(start, n + 1) > due);
            }
            let middle = start.saturating_add(Duration::days(split.min((due - start).whole_days())));
            proptest::prop_assert_eq!(
                c.workdays_between(start, due),
                c.workdays_between(start, middle) + c.workdays_between(middle, due)
            );
        }
    }

    #[test]
    fn errors_name_the_line() {
        let text = "date,kind,name\n2026-02-30,holiday,x\n2026-02-16,adjusted-workday,y\n2026-02-17,party,z\n";
        let errors = WorkdayCalendar::parse(text).expect_err("invalid");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }
}
