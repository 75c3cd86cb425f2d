//! The working-day calendar in the product: the shipped schedule (`data/calendar/china.csv`)
//! and the years imported into the database after release, which every deadline computation
//! uses as soon as they are imported (a cheap version check before each). A deadline that falls
//! past the loaded years is counted on weekends only and marked provisional (暂定) wherever it
//! shows; from 1 November the `calendar-coverage` job warns administrators while next year's
//! schedule is missing.

use std::sync::{Arc, RwLock};

use minsheng_domain::calendar::CalendarError;
use minsheng_domain::time_util::date_in_china;
use minsheng_domain::{Action, Deadline, WorkdayCalendar};
use minsheng_store::ops;
use serde::Serialize;
use time::Date;

use crate::notify::EventKind;
use crate::{Actor, App, AppError, AppResult, Subject, reader, write_audit};

/// The calendar a process holds, with the version of the imported rows it was built from.
#[derive(Debug, Default)]
pub(crate) struct CalendarCell {
    current: RwLock<(i64, Arc<WorkdayCalendar>)>,
}

impl CalendarCell {
    pub fn new() -> CalendarCell {
        CalendarCell {
            current: RwLock::new((i64::MIN, Arc::new(WorkdayCalendar::china()))),
        }
    }
}

/// What an import loaded.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarImport {
    pub years: Vec<i32>,
    pub rows: usize,
}

impl App {
    /// The calendar as last loaded (see [`App::current_calendar`] for one that is certainly up
    /// to date).
    pub fn calendar(&self) -> Arc<WorkdayCalendar> {
        match self.calendar.current.read() {
            Ok(guard) => guard.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// The calendar with every year imported so far, reloaded when an import (by this process
    /// or any other sharing the database) changed it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current_calendar(&self) -> AppResult<Arc<WorkdayCalendar>> {
        let version = ops::calendar_version(&mut reader(self)).await?;
        let cached = match self.calendar.current.read() {
            Ok(guard) => guard.0,
            Err(poisoned) => poisoned.into_inner().0,
        };
        if cached == version {
            return Ok(self.calendar());
        }
        let (text, version) = ops::calendar_rows(&mut reader(self)).await?;
        let imported = WorkdayCalendar::parse(&text).map_err(|errors| {
            AppError::Internal(format!(
                "the imported calendar does not read back: {}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        let merged = Arc::new(WorkdayCalendar::china().with(&imported));
        let mut guard = match self.calendar.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = (version, merged.clone());
        Ok(merged)
    }

    /// The `n`th working day after `from`, and whether it is provisional, by the calendar as
    /// last loaded (use cases that count deadlines call [`App::current_calendar`] first, before
    /// their transaction).
    pub fn deadline_after(&self, from: Date, n: u32) -> Deadline {
        self.calendar().deadline(from, n)
    }

    /// Whether a deadline (milliseconds) falls in a year whose official schedule is not loaded:
    /// it was counted on weekends only.
    pub fn provisional(&self, millis: i64) -> bool {
        !self.calendar().covers(date_in_china(millis).year())
    }

    /// Next year, when it is 1 November or later and its schedule is not loaded (the banner
    /// administrators see, and the `calendar-coverage` job's warning).
    pub fn missing_next_year(&self) -> Option<i32> {
        let today = self.today();
        let next = today.year() + 1;
        (today.month() >= time::Month::November && !self.calendar().covers(next)).then_some(next)
    }

    /// Loads whole years of the official schedule (`date,kind,name`, as `china.csv`). A file
    /// with any mistake, or a year missing one of the statutory holidays, is refused whole.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn import_calendar(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<CalendarImport, CalendarImportError> {
        self.authorize(actor, Action::ManageRegions, Subject::new("calendar", ""))
            .await?;
        let parsed = WorkdayCalendar::parse(text).map_err(CalendarImportError::File)?;
        parsed
            .check_whole_years()
            .map_err(CalendarImportError::File)?;
        let years = parsed.years();
        if years.is_empty() {
            return Err(CalendarImportError::File(vec![CalendarError {
                line: 1,
                message: "no days in the file".into(),
            }]));
        }
        let now = self.now();
        let mut rows = 0;
        let mut tx = self.store().begin().await?;
        for year in &years {
            let days: Vec<(String, String, String)> = parsed
                .rows_of(*year)
                .into_iter()
                .map(|(d, k, n)| (d.to_string(), k.code().to_string(), n))
                .collect();
            rows += days.len();
            ops::replace_calendar_year(&mut tx, *year, &days, now, actor.username()).await?;
        }
        write_audit(
            &mut tx,
            actor,
            "calendar.import",
            Subject::new("calendar", ""),
            true,
            &format!(
                "{} ({rows} days)",
                years
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .await?;
        tx.commit().await?;
        self.current_calendar().await?;
        Ok(CalendarImport { years, rows })
    }

    /// The `calendar-coverage` job: reloads the imported years; from 1 November, while next
    /// year is missing, tells the administrators' units (once a year) and says so.
    pub(crate) async fn check_calendar_coverage(&self) -> AppResult<String> {
        let calendar = self.current_calendar().await?;
        let covered = calendar
            .years()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let Some(year) = self.missing_next_year() else {
            return Ok(format!("covered={covered}"));
        };
        tracing::warn!(
            year,
            "the working-day schedule of {year} is not loaded: deadlines into {year} are provisional"
        );
        let units = minsheng_store::users::units_of_role(&mut reader(self), "admin").await?;
        let mut tx = self.store().begin().await?;
        let mut told = 0;
        for unit in units {
            told += crate::notify::tell(
                &mut tx,
                unit,
                EventKind::CalendarMissing,
                &format!("calendar-missing:{year}"),
                &format!("{year}年节假日安排尚未导入"),
                &format!(
                    "国务院办公厅公布{year}年部分节假日安排后，请用 minsheng calendar import 导入；在此之前，跨入{year}年的办理期限按周末推算，标注为“暂定”。"
                ),
                "",
                self.now(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(format!(
            "covered={covered} missing={year} deliveries={told}"
        ))
    }
}

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum CalendarImportError {
    /// The file's mistakes, each with its line (0: the whole year).
    #[error("the file has mistakes")]
    File(Vec<CalendarError>),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<minsheng_store::StoreError> for CalendarImportError {
    fn from(e: minsheng_store::StoreError) -> Self {
        CalendarImportError::App(e.into())
    }
}
