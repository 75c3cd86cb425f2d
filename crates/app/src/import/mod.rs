//! Imports of regions, units, users and persons from CSV (UTF-8 or GB18030, detected) or Excel.
//!
//! All or nothing by default: every row is checked first; if any is bad, the report lists each
//! bad row (line, column, reason) and nothing is written. With `skip_invalid` the good rows are
//! written and the bad ones reported. The write is one transaction, and importing the same file
//! again changes nothing.

use minsheng_i18n::msg;
use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader as _};
use minsheng_domain::{Action, RegionCode, RegionLevel, Role, UnitKind};
use minsheng_store::WriteTx;
use minsheng_store::regions::{self, RegionRow};
use minsheng_store::users::{self, NewUser};
use serde::Serialize;

mod persons;
mod source;

pub use source::{CsvFile, FileSource, Gb18030Reader, RowIter, RowSource};

use crate::auth::{check_password_policy, hash_password};
use crate::{Actor, App, AppError, AppResult, Outside, Subject, write_audit};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    Regions,
    Units,
    Users,
    Persons,
}

impl ImportKind {
    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Regions => "regions",
            ImportKind::Units => "units",
            ImportKind::Users => "users",
            ImportKind::Persons => "persons",
        }
    }
}

/// A problem with the file as a whole: nothing could be read from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{file}: the file is empty")]
    Empty { file: String },
    #[error("{file}: this is a binary file, not CSV text or an Excel workbook")]
    Binary { file: String },
    #[error("{file}: the text is neither UTF-8 nor GB18030 (first bad byte at offset {offset})")]
    Encoding { file: String, offset: usize },
    #[error("{file}:{line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: cannot read the workbook: {message}")]
    Workbook { file: String, message: String },
    #[error("{file}: missing column(s) {missing}; the header row must name {expected}")]
    MissingColumns {
        file: String,
        missing: String,
        expected: String,
    },
}

/// A file read into rows of text cells, each with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub file: String,
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
    pub encoding: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub line: u64,
    pub cells: Vec<String>,
}

/// Reads CSV (UTF-8 with or without BOM, or GB18030) or an Excel workbook (first sheet).
pub fn read_table(file: &str, bytes: &[u8]) -> Result<Table, FileError> {
    let file_name = file.to_string();
    if bytes.is_empty() {
        return Err(FileError::Empty { file: file_name });
    }
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if is_zip || is_ole {
        return read_workbook(file, bytes);
    }
    if bytes.contains(&0) {
        return Err(FileError::Binary { file: file_name });
    }
    let (text, encoding) = decode_text(file, bytes)?;
    read_csv(file, &text, encoding)
}

fn decode_text(file: &str, bytes: &[u8]) -> Result<(String, &'static str), FileError> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(without_bom) {
        Ok(text) => Ok((text.to_string(), "UTF-8")),
        Err(utf8_error) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|text| (text.into_owned(), "GB18030"))
            .ok_or(FileError::Encoding {
                file: file.to_string(),
                offset: utf8_error.valid_up_to(),
            }),
    }
}

fn read_csv(file: &str, text: &str, encoding: &'static str) -> Result<Table, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| source::csv_error(file, e))?
        .iter()
        .map(normalise_header)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(FileError::Empty {
            file: file.to_string(),
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| source::csv_error(file, e))?;
        if let Some(row) = source::table_row(&record) {
            rows.push(row?);
        }
    }
    Ok(Table {
        file: file.to_string(),
        headers,
        rows,
        encoding,
    })
}

fn read_workbook(file: &str, bytes: &[u8]) -> Result<Table, FileError> {
    let workbook_error = |message: String| FileError::Workbook {
        file: file.to_string(),
        message,
    };
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| workbook_error(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| workbook_error("the workbook has no sheet".into()))?
        .map_err(|e| workbook_error(e.to_string()))?;
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let mut iter = range.rows();
    let headers: Vec<String> = iter
        .next()
        .map(|row| {
            row.iter()
                .map(|c| normalise_header(&cell_text(c)))
                .collect()
        })
        .unwrap_or_default();
    if headers.iter().all(String::is_empty) {
        return Err(FileError::Empty {
            file: file.to_string(),
        });
    }
    let mut rows = Vec::new();
    for (i, row) in iter.enumerate() {
        let cells: Vec<String> = row
            .iter()
            .map(|c| cell_text(c).trim().to_string())
            .collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        rows.push(TableRow {
            line: u64::from(first_row) + i as u64 + 2,
            cells,
        });
    }
    Ok(Table {
        file: file.to_string(),
        headers,
        rows,
        encoding: "xlsx",
    })
}

/// Excel stores long digit strings as numbers; an ID or region code must come back whole.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

fn normalise_header(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// One bad row: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// What an import did, or would have done.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub kind: String,
    pub encoding: String,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    /// False when errors stopped an all-or-nothing import.
    pub written: bool,
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// The report of a file whose rows were all checked, and the lines of its bad rows (each
    /// listed in line and column order).
    fn checked(
        source: &dyn RowSource,
        kind: ImportKind,
        rows: usize,
        mut errors: Vec<RowError>,
    ) -> (ImportReport, HashSet<u64>) {
        errors.sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.column.cmp(&b.column)));
        let bad_lines: HashSet<u64> = errors.iter().map(|e| e.line).collect();
        let report = ImportReport {
            file: source.file().to_string(),
            kind: kind.code().to_string(),
            encoding: source.encoding().to_string(),
            rows,
            skipped: bad_lines.len(),
            errors,
            ..ImportReport::default()
        };
        (report, bad_lines)
    }

    /// Whether bad rows stop the import (all or nothing unless `skip_invalid`); then nothing
    /// is skipped, because nothing is written.
    fn stops(&mut self, skip_invalid: bool) -> bool {
        let stops = !self.errors.is_empty() && !skip_invalid;
        if stops {
            self.skipped = 0;
        }
        stops
    }

    /// The report as text lines, `file:line: column: reason` for each bad row.
    pub fn error_lines(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|e| format!("{}:{}: {}: {}", self.file, e.line, e.column, e.reason))
            .collect()
    }
}

/// Which pass an import is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Every row is checked before anything is written.
    Checking,
    Writing,
}

/// How far an import has come: rows done, of how many when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: Option<u64>,
}

/// Lets a row be read by column name, recording errors by line and column.
struct RowReader<'a> {
    columns: &'a HashMap<String, usize>,
    row: &'a TableRow,
    errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    fn get(&self, column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|i| self.row.cells.get(*i))
            .map_or("", String::as_str)
    }

    fn fail(&mut self, column: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            line: self.row.line,
            column: column.to_string(),
            reason: reason.into(),
        });
    }

    fn required(&mut self, column: &str) -> Option<&'a str> {
        let v = self.get(column);
        if v.is_empty() {
            self.fail(column, "is empty");
            None
        } else {
            Some(v)
        }
    }

    fn region(&mut self, column: &str) -> Option<RegionCode> {
        let text = self.required(column)?;
        RegionCode::parse(text)
            .map_err(|e| self.fail(column, e.to_string()))
            .ok()
    }
}

fn column_index(
    file: &str,
    headers: &[String],
    required: &[&str],
    expected: &str,
) -> Result<HashMap<String, usize>, FileError> {
    let columns: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), i))
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !columns.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns {
            file: file.to_string(),
            missing: missing.join(", "),
            expected: expected.to_string(),
        });
    }
    Ok(columns)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<minsheng_store::StoreError> for ImportError {
    fn from(e: minsheng_store::StoreError) -> Self {
        ImportError::App(e.into())
    }
}

/// Counts of what the write did.
#[derive(Default)]
struct Outcome {
    inserted: usize,
    updated: usize,
    unchanged: usize,
}

impl Outcome {
    fn record(&mut self, existed: bool, changed: bool) {
        match (existed, changed) {
            (false, _) => self.inserted += 1,
            (true, true) => self.updated += 1,
            (true, false) => self.unchanged += 1,
        }
    }
}

enum Valid {
    Region(RegionRow),
    ZoneMember {
        zone: i64,
        zone_name: String,
        town: i64,
    },
    Unit {
        name: String,
        kind: UnitKind,
        region: i64,
    },
    User(ValidUser),
}

struct ValidUser {
    username: String,
    display_name: String,
    unit: String,
    roles: Vec<String>,
    password: Option<String>,
}

impl App {
    /// Checks every row, then (unless errors stop it) writes the valid ones in one transaction.
    /// `progress` hears how far the checking and the writing have come.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        source: &dyn RowSource,
        skip_invalid: bool,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<ImportReport, ImportError> {
        let action = match kind {
            ImportKind::Regions => Action::ManageRegions,
            ImportKind::Units => Action::ManageUnits,
            ImportKind::Users => Action::ManageUsers,
            ImportKind::Persons => Action::ImportPersons,
        };
        self.authorize(actor, action, Subject::new("import", kind.code()))
            .await?;
        if kind == ImportKind::Persons {
            return self
                .import_persons(actor, source, skip_invalid, progress)
                .await;
        }
        // Regions, units and users come in files of thousands of rows at most: read whole.
        let table = Table {
            file: source.file().to_string(),
            headers: source.headers().to_vec(),
            rows: source.rows()?.collect::<Result<_, _>>()?,
            encoding: source.encoding(),
        };
        let (valid, errors) = self.validate(actor, kind, &table).await?;
        let (mut report, _) = ImportReport::checked(&table, kind, table.rows.len(), errors);
        if report.stops(skip_invalid) {
            return Ok(report);
        }
        let mut tx = self.store().begin().await?;
        let mut outcome = Outcome::default();
        let mut zones: std::collections::BTreeMap<i64, (String, Vec<i64>)> =
            std::collections::BTreeMap::new();
        let total = valid.len() as u64;
        for (i, (_, record)) in valid.into_iter().enumerate() {
            match record {
                Valid::Region(row) => {
                    let existed = regions::get(&mut tx, row.code).await?.is_some();
                    let changed = regions::upsert(&mut tx, &row).await?;
                    outcome.record(existed, changed);
                }
                Valid::ZoneMember {
                    zone,
                    zone_name,
                    town,
                } => {
                    zones
                        .entry(zone)
                        .or_insert_with(|| (zone_name, Vec::new()))
                        .1
                        .push(town);
                }
                Valid::Unit { name, kind, region } => {
                    let existed = users::unit_by_name(&mut tx, &name).await?.is_some();
                    let (_, changed) =
                        users::upsert_unit(&mut tx, &name, kind.code(), region, self.now())
                            .await
                            .map_err(AppError::from)?;
                    outcome.record(existed, changed);
                }
                Valid::User(user) => {
                    let (existed, changed) = self.write_user(&mut tx, &user).await?;
                    outcome.record(existed, changed);
                }
            }
            progress(Progress {
                phase: Phase::Writing,
                done: i as u64 + 1,
                total: Some(total),
            });
        }
        for (zone, (zone_name, towns)) in zones {
            let row = RegionRow {
                code: zone,
                name: zone_name,
                parent_code: Some(500_000_000_000),
                level: "zone".into(),
                official: false,
            };
            regions::upsert(&mut tx, &row).await?;
            let before: HashSet<i64> = regions::zone_members(&mut tx, zone)
                .await?
                .into_iter()
                .collect();
            regions::set_zone_members(&mut tx, zone, &towns).await?;
            for town in towns {
                let existed = before.contains(&town);
                outcome.record(existed, false);
            }
        }
        report.inserted = outcome.inserted;
        report.updated = outcome.updated;
        report.unchanged = outcome.unchanged;
        self.finish_import(tx, actor, kind, &mut report).await?;
        Ok(report)
    }

    /// Audits the import in its own transaction and commits it.
    async fn finish_import(
        &self,
        mut tx: WriteTx,
        actor: &Actor,
        kind: ImportKind,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        report.written = true;
        let detail = format!(
            "{}: {} rows, {} inserted, {} updated, {} unchanged, {} skipped",
            report.file,
            report.rows,
            report.inserted,
            report.updated,
            report.unchanged,
            report.skipped
        );
        write_audit(
            &mut tx,
            actor,
            &format!("import.{}", kind.code()),
            Subject::new("import", kind.code()),
            true,
            &detail,
        )
        .await?;
        tx.commit().await?;
        if report.rows >= 10_000 {
            self.store().optimize().await?;
        }
        Ok(())
    }

    async fn validate(
        &self,
        actor: &Actor,
        kind: ImportKind,
        table: &Table,
    ) -> Result<(Vec<(u64, Valid)>, Vec<RowError>), ImportError> {
        let mut valid = Vec::new();
        let mut errors = Vec::new();
        let mut c = self.store().reader();
        match kind {
            ImportKind::Regions if table.headers.iter().any(|h| h == "zone_code") => {
                let columns = column_index(
                    &table.file,
                    &table.headers,
                    &["zone_code", "zone_name", "town_code"],
                    "zone_code, zone_name, town_code",
                )?;
                for row in &table.rows {
                    let mut r = RowReader {
                        columns: &columns,
                        row,
                        errors: Vec::new(),
                    };
                    let zone = r.region("zone_code");
                    let zone_name = r.required("zone_name").map(str::to_string);
                    let town = r.region("town_code");
                    if let Some(town) = town {
                        if town.level() != RegionLevel::Town {
                            r.fail("town_code", "a zone is made of towns (9-digit codes)");
                        } else if regions::get(&mut c, town.as_i64()).await?.is_none() {
                            r.fail(
                                "town_code",
                                format!("town {town} is not in the region table; import it first"),
                            );
                        }
                    }
                    if let (Some(zone), Some(zone_name), Some(town), true) =
                        (zone, zone_name, town, r.errors.is_empty())
                    {
                        valid.push((
                            row.line,
                            Valid::ZoneMember {
                                zone: zone.as_i64(),
                                zone_name,
                                town: town.as_i64(),
                            },
                        ));
                    }
                    errors.append(&mut r.errors);
                }
            }
            ImportKind::Regions => {
                let columns = column_index(
                    &table.file,
                    &table.headers,
                    &["code", "name", "parent_code", "level"],
                    "code, name, parent_code, level",
                )?;
                let mut in_file: HashSet<i64> = HashSet::new();
                for row in &table.rows {
                    let mut r = RowReader {
                        columns: &columns,
                        row,
                        errors: Vec::new(),
                    };
                    let code = r.region("code");
                    let name = r.required("name").map(str::to_string);
                    let level_text = r.required("level").unwrap_or("");
                    let level = RegionLevel::from_code(level_text);
                    if level.is_none() && !level_text.is_empty() {
                        r.fail(
                            "level",
                            format!(
                                "'{level_text}' is not one of province, district, town, community"
                            ),
                        );
                    }
                    if let (Some(code), Some(level)) = (code, level)
                        && code.level() != level
                    {
                        r.fail(
                            "level",
                            format!(
                                "code {code} is a {} code, not {}",
                                code.level().code(),
                                level.code()
                            ),
                        );
                    }
                    if let Some(code) = code
                        && !actor.scope().contains(code.as_i64())
                    {
                        r.fail("code", "this region is outside your area");
                    }
                    let parent_text = r.get("parent_code");
                    let parent = if parent_text.is_empty() {
                        None
                    } else {
                        match RegionCode::parse(parent_text) {
                            Ok(p) => {
                                let known = in_file.contains(&p.as_i64())
                                    || regions::get(&mut c, p.as_i64()).await?.is_some();
                                if !known {
                                    r.fail("parent_code", format!("parent {p} is neither in the region table nor earlier in this file"));
                                }
                                if let Some(code) = code
                                    && (!p.contains(code)
                                        || !is_parent_level(p.level(), code.level()))
                                {
                                    r.fail(
                                        "parent_code",
                                        format!("{code} does not lie directly under {p}"),
                                    );
                                }
                                Some(p.as_i64())
                            }
                            Err(e) => {
                                r.fail("parent_code", e.to_string());
                                None
                            }
                        }
                    };
                    if let (Some(code), Some(name), Some(level), true) =
                        (code, name, level, r.errors.is_empty())
                    {
                        in_file.insert(code.as_i64());
                        valid.push((
                            row.line,
                            Valid::Region(RegionRow {
                                code: code.as_i64(),
                                name,
                                parent_code: parent,
                                level: level.code().to_string(),
                                official: true,
                            }),
                        ));
                    }
                    errors.append(&mut r.errors);
                }
            }
            ImportKind::Units => {
                let columns = column_index(
                    &table.file,
                    &table.headers,
                    &["name", "kind", "region_code"],
                    "name, kind, region_code",
                )?;
                let mut seen: HashSet<String> = HashSet::new();
                for row in &table.rows {
                    let mut r = RowReader {
                        columns: &columns,
                        row,
                        errors: Vec::new(),
                    };
                    let name = r.required("name").map(str::to_string);
                    if let Some(n) = &name
                        && !seen.insert(n.clone())
                    {
                        r.fail("name", "this unit appears twice in the file");
                    }
                    let kind_text = r.required("kind").unwrap_or("");
                    let kind = UnitKind::from_code(kind_text).or_else(|| {
                        UnitKind::ALL
                            .into_iter()
                            .find(|k| k.label_zh() == kind_text)
                    });
                    if kind.is_none() && !kind_text.is_empty() {
                        r.fail("kind", format!("'{kind_text}' is not a unit kind"));
                    }
                    let region = r.region("region_code");
                    if let Some(region) = region {
                        if !actor.scope().contains(region.as_i64()) {
                            r.fail("region_code", "this region is outside your area");
                        } else if regions::get(&mut c, region.as_i64()).await?.is_none() {
                            r.fail(
                                "region_code",
                                format!("region {region} is not in the region table"),
                            );
                        }
                    }
                    if let (Some(name), Some(kind), Some(region), true) =
                        (name, kind, region, r.errors.is_empty())
                    {
                        valid.push((
                            row.line,
                            Valid::Unit {
                                name,
                                kind,
                                region: region.as_i64(),
                            },
                        ));
                    }
                    errors.append(&mut r.errors);
                }
            }
            ImportKind::Users => {
                let columns = column_index(
                    &table.file,
                    &table.headers,
                    &["username", "display_name", "unit", "roles"],
                    "username, display_name, unit, roles[, password]",
                )?;
                let mut seen: HashSet<String> = HashSet::new();
                for row in &table.rows {
                    let mut r = RowReader {
                        columns: &columns,
                        row,
                        errors: Vec::new(),
                    };
                    let username = match crate::admin::validate_username(r.get("username")) {
                        Ok(u) => Some(u),
                        Err(_) => {
                            r.fail(
                                "username",
                                "must be 3 to 40 letters, digits, '.', '_' or '-'",
                            );
                            None
                        }
                    };
                    if let Some(u) = &username
                        && !seen.insert(u.to_lowercase())
                    {
                        r.fail("username", "this user appears twice in the file");
                    }
                    let display_name = r.required("display_name").map(str::to_string);
                    let unit = r.required("unit").map(str::to_string);
                    if let Some(unit) = &unit {
                        match users::unit_by_name(&mut c, unit).await? {
                            Some(u) if actor.scope().contains(u.region_code) => {}
                            Some(_) => r.fail("unit", "this unit is outside your area"),
                            None => r.fail("unit", format!("no unit named '{unit}'")),
                        }
                    }
                    let mut roles = Vec::new();
                    for part in r
                        .get("roles")
                        .split([';', ',', '|'])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                    {
                        match Role::from_code(part)
                            .or_else(|| Role::ALL.into_iter().find(|x| x.label_zh() == part))
                        {
                            Some(role) => roles.push(role.code().to_string()),
                            None => r.fail("roles", format!("'{part}' is not a role")),
                        }
                    }
                    if roles.is_empty() {
                        r.fail("roles", "give at least one role");
                    }
                    let password = Some(r.get("password"))
                        .filter(|p| !p.is_empty())
                        .map(str::to_string);
                    if let (Some(u), Some(p)) = (&username, &password)
                        && let Err(AppError::Invalid(list)) = check_password_policy(u, p)
                    {
                        for e in list {
                            r.fail("password", e.message.to_string());
                        }
                    }
                    if let Some(u) = &username
                        && password.is_none()
                        && users::user_by_name(&mut c, u).await?.is_none()
                    {
                        r.fail("password", "a new user needs a password");
                    }
                    if let (Some(username), Some(display_name), Some(unit), true) =
                        (username, display_name, unit, r.errors.is_empty())
                    {
                        valid.push((
                            row.line,
                            Valid::User(ValidUser {
                                username,
                                display_name,
                                unit,
                                roles,
                                password,
                            }),
                        ));
                    }
                    errors.append(&mut r.errors);
                }
            }
            ImportKind::Persons => {}
        }
        Ok((valid, errors))
    }

    async fn write_user(&self, tx: &mut WriteTx, user: &ValidUser) -> AppResult<(bool, bool)> {
        let unit = users::unit_by_name(tx, &user.unit)
            .await?
            .ok_or(AppError::NotFound)?;
        match users::user_by_name(tx, &user.username).await? {
            Some(existing) => {
                let mut changed = users::update_user_profile(
                    tx,
                    existing.id,
                    &user.display_name,
                    unit.id,
                    &user.roles,
                )
                .await?;
                if let Some(password) = &user.password {
                    let same = verify(password, &existing.password_hash).await;
                    if !same {
                        let hash = hash_password(password.clone()).await?;
                        users::set_password(tx, existing.id, &hash, self.now()).await?;
                        crate::auth::end_credentials(tx, existing.id, None, self.now()).await?;
                        changed = true;
                    }
                }
                Ok((true, changed))
            }
            None => {
                let password = user
                    .password
                    .clone()
                    .ok_or(AppError::invalid("password", msg!("new-user-password")))?;
                let hash = hash_password(password).await?;
                users::insert_user(
                    tx,
                    &NewUser {
                        username: &user.username,
                        display_name: &user.display_name,
                        unit_id: unit.id,
                        password_hash: &hash,
                        roles: &user.roles,
                        now: self.now(),
                    },
                )
                .await?;
                Ok((false, true))
            }
        }
    }
}

/// A region's parent is one level up; districts may hang straight under the province
/// (Chongqing's tree leaves out the statistical groupings 5001 and 5002).
fn is_parent_level(parent: RegionLevel, child: RegionLevel) -> bool {
    use RegionLevel as L;
    matches!(
        (parent, child),
        (L::Province, L::City)
            | (L::Province | L::City, L::District)
            | (L::District, L::Town)
            | (L::Town, L::Community)
    )
}

async fn verify(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A row that would reach a household or person outside the importer's area.
struct OutsideRow {
    field: &'static str,
    message: &'static str,
    refusal: Outside,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_utf8_with_bom_and_gb18030() {
        let utf8 = "\u{feff}code,name\n50,重庆市\n";
        let table = read_table("a.csv", utf8.as_bytes()).expect("utf8");
        assert_eq!(table.headers, vec!["code", "name"]);
        assert_eq!(table.rows[0].cells, vec!["50", "重庆市"]);
        assert_eq!(table.rows[0].line, 2);
        assert_eq!(table.encoding, "UTF-8");

        let (gbk, _, _) = encoding_rs::GB18030.encode("code,name\n50,重庆市\n");
        let table = read_table("b.csv", &gbk).expect("gb18030");
        assert_eq!(table.rows[0].cells, vec!["50", "重庆市"]);
        assert_eq!(table.encoding, "GB18030");
    }

    #[test]
    fn binary_and_empty_files_are_named() {
        assert!(matches!(
            read_table("x.bin", &[1, 2, 0, 3]),
            Err(FileError::Binary { .. })
        ));
        assert!(matches!(
            read_table("x.csv", b""),
            Err(FileError::Empty { .. })
        ));
        assert!(matches!(
            read_table("x.xlsx", b"PK\x03\x04garbage"),
            Err(FileError::Workbook { .. })
        ));
    }

    #[test]
    fn reads_an_xlsx_sheet_with_long_numbers_intact() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "id_number").expect("write");
        sheet.write_string(0, 1, "region_code").expect("write");
        sheet
            .write_string(1, 0, "11010519491231002X")
            .expect("write");
        sheet.write_number(1, 1, 500_113_001_001.0).expect("write");
        let bytes = book.save_to_buffer().expect("save");
        let table = read_table("p.xlsx", &bytes).expect("xlsx");
        assert_eq!(table.headers, vec!["id_number", "region_code"]);
        assert_eq!(
            table.rows[0].cells,
            vec!["11010519491231002X", "500113001001"]
        );
        assert_eq!(table.rows[0].line, 2);
    }

    proptest! {
        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read_table("fuzz.csv", &bytes);
        }

        #[test]
        fn reading_arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = read_table("fuzz.csv", text.as_bytes());
        }

        #[test]
        fn reading_zip_prefixed_garbage_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut bytes = b"PK\x03\x04".to_vec();
            bytes.extend(tail);
            let _ = read_table("fuzz.xlsx", &bytes);
        }
    }
}
