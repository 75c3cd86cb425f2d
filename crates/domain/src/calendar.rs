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

/// A deadline counted in working days, and the years it crossed whose official schedule is not
/// loaded: those were counted on weekends only, so the date is provisional (暂定) until the
/// State Council publishes the year and it is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub date: Date,
    pub missing_years: Vec<i32>,
}

impl Deadline {
    pub fn provisional(&self) -> bool {
        !self.missing_years.is_empty()
    }
}

/// The public holidays every year's official schedule has; a year without one of them is
/// partial (the names as the State Council writes them; a row may name two, `国庆节、中秋节`).
pub const STATUTORY_HOLIDAYS: [&str; 7] = [
    "元旦",
    "春节",
    "清明节",
    "劳动节",
    "端午节",
    "中秋节",
    "国庆节",
];

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

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The rows of one year, in order: (date, kind, name).
    pub fn rows_of(&self, year: i32) -> Vec<(Date, DayKind, String)> {
        self.exceptions
            .iter()
            .filter(|(d, _)| d.year() == year)
            .map(|(d, (k, n))| (*d, *k, n.clone()))
            .collect()
    }

    /// Checks that every year of a file to import is whole: each of the statutory holidays
    /// named at least once. Errors name the year (the line numbers are the parser's).
    pub fn check_whole_years(&self) -> Result<(), Vec<CalendarError>> {
        let mut errors = Vec::new();
        for year in &self.years {
            let names: BTreeSet<&str> = self
                .exceptions
                .iter()
                .filter(|(d, _)| d.year() == *year)
                .flat_map(|(_, (_, name))| name.split(['、', ',', '/']))
                .map(str::trim)
                .collect();
            let missing: Vec<&str> = STATUTORY_HOLIDAYS
                .iter()
                .copied()
                .filter(|h| !names.contains(h))
                .collect();
            if !missing.is_empty() {
                errors.push(CalendarError {
                    line: 0,
                    message: format!(
                        "{year} is partial: no {} (a year is imported whole)",
                        missing.join("、")
                    ),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// This calendar with another's years added; a year both have is taken from `other` (an
    /// imported schedule corrects the shipped one).
    pub fn with(&self, other: &WorkdayCalendar) -> WorkdayCalendar {
        let mut merged = WorkdayCalendar {
            exceptions: self
                .exceptions
                .iter()
                .filter(|(d, _)| !other.years.contains(&d.year()))
                .map(|(d, v)| (*d, v.clone()))
                .collect(),
            years: self.years.clone(),
        };
        merged
            .exceptions
            .extend(other.exceptions.iter().map(|(d, v)| (*d, v.clone())));
        merged.years.extend(other.years.iter().copied());
        merged
    }

    /// [`WorkdayCalendar::add_workdays`], saying which years it counted without their official
    /// schedule (weekends only).
    pub fn deadline(&self, date: Date, n: u32) -> Deadline {
        let end = self.add_workdays(date, n);
        // The days looked at: from the day after `date` (from `date` itself when n is 0).
        let first = if n == 0 {
            date
        } else {
            date.saturating_add(Duration::days(1))
        };
        let missing_years = (first.year()..=end.year())
            .filter(|y| !self.years.contains(y))
            .collect();
        Deadline {
            date: end,
            missing_years,
        }
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
    fn a_deadline_past_the_loaded_years_is_provisional_and_names_the_year() {
        let c = WorkdayCalendar::parse("date,kind,name\n2026-10-01,holiday,国庆节\n")
            .expect("calendar");
        let d = c.deadline(date!(2026 - 12 - 28), 5);
        // 29, 30, 31 Dec, then 1 and 4 Jan 2027 on weekends only.
        assert_eq!(d.date, date!(2027 - 01 - 04));
        assert_eq!(d.missing_years, vec![2027]);
        assert!(!c.deadline(date!(2026 - 12 - 20), 3).provisional());
        // Once 2027 is imported (元旦 a holiday), the same count says so and moves.
        let y2027 = WorkdayCalendar::parse(
            "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n",
        )
        .expect("2027");
        let both = c.with(&y2027);
        let d = both.deadline(date!(2026 - 12 - 28), 5);
        assert_eq!(d.date, date!(2027 - 01 - 05));
        assert!(!d.provisional());
    }

    #[test]
    fn a_partial_year_is_refused_naming_what_it_lacks() {
        let partial =
            WorkdayCalendar::parse("date,kind,name\n2027-01-01,holiday,元旦\n").expect("parses");
        let errors = partial.check_whole_years().expect_err("partial");
        assert!(errors[0].message.contains("2027 is partial"), "{errors:?}");
        assert!(errors[0].message.contains("春节"));
        assert!(WorkdayCalendar::china().check_whole_years().is_ok());
    }

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
        assert!(!c.deadline(date!(2026 - 02 - 13), 3).provisional());
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
