//! The screening run: every feed read once on every core (a big file is cut into pieces read in
//! parallel; see `scan`), each row matched to a person by packed key, filtered and folded into
//! shared aggregates; then every household's rules, in parallel. Raw rows are never kept — only
//! the line numbers of rows that count as evidence, and those only for warned households.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hashbrown::{HashMap, HashSet};
use minsheng_expr::{Ctx, Record, Val, Value, eval};
use rayon::prelude::*;
use serde::Serialize;

use crate::ScreenError;
use crate::feed::{ColumnType, FeedSchema, parse_days, parse_number};
use crate::idkey;
use crate::population::Population;
use crate::rules::{Of, RuleSet};
use crate::scan;

/// What was read from one feed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedCount {
    pub rows: u64,
    pub matched: u64,
    /// Rows that could not be read (bad ID number, unreadable row): counted and listed.
    pub rejected: u64,
    /// Valid ID numbers of no one in the population.
    #[serde(skip)]
    pub unmatched: u64,
    /// (line, column, reason) of the first 1,000 rejected rows.
    #[serde(skip)]
    pub rejected_lines: Vec<(u64, String, String)>,
}

/// One household's warning: the rules hit and the rows that show it.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub household: u32,
    /// (rule index, explanation).
    pub hits: Vec<(usize, String)>,
    /// (feed, line) of the evidence rows.
    pub evidence: Vec<(String, u64)>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub feeds: BTreeMap<String, FeedCount>,
    pub warnings: Vec<Warning>,
    /// Seconds spent reading feeds and applying rules.
    pub feed_seconds: f64,
    pub rule_seconds: f64,
}

/// How a run reads its feeds.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop a feed with more rejected rows than this.
    pub max_rejected: Option<u64>,
    /// Feeds whose ID column holds keyed hashes.
    pub hashed_feeds: Vec<String>,
    /// Size of the pieces a big file is cut into for parallel reading.
    pub piece_bytes: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_rejected: None,
            hashed_feeds: Vec::new(),
            piece_bytes: 4 << 20,
        }
    }
}

/// One thread's numbers: per household (0) and per person (1), the columns of a target side
/// by side.
type Numbers = [Vec<f64>; 2];

/// Locks spread over targets so threads rarely wait on each other.
const STRIPES: usize = 64;

/// An aggregate's values while feeds are read, shared by the threads reading pieces.
enum SharedAcc {
    /// Count, sum, max: column `column` of the plan's block of numbers per household (block 0)
    /// or per person (block 1).
    Numbers { block: usize, column: usize },
    /// (order date, value) for `latest`, striped: target t is at `[t % STRIPES][t / STRIPES]`.
    Latest(Vec<Mutex<Vec<(i32, f64)>>>),
    /// Distinct value hashes per target, striped by target.
    Distinct(Vec<Mutex<HashMap<u32, HashSet<u64>>>>),
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave these values half-written: each update is one assignment.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A row that counted toward an aggregate: its household, its line within its part, and which of
/// the feed's aggregates took it (bit i = the feed's i-th aggregate).
#[derive(Debug, Clone, Copy)]
struct Evidence {
    household: u32,
    line: u32,
    aggregates: u32,
}

/// What one piece (or one stretch of a sequential read) of a feed yielded.
#[derive(Default)]
struct Part {
    rows: u64,
    matched: u64,
    unmatched: u64,
    rejected: u64,
    /// (line within the part, reason).
    rejected_lines: Vec<(u32, String, String)>,
    evidence: Vec<Evidence>,
    /// Physical lines the part spans.
    lines: u64,
    /// A quoted field runs over a line end: the file is read again sequentially.
    open_quote: bool,
    /// The absolute line number of the part's line 0.
    base: u64,
}

impl Part {
    fn starting_at(base: u64) -> Part {
        Part {
            base,
            ..Part::default()
        }
    }
}

/// Everything needed to fold one feed's rows.
struct FeedPlan<'a> {
    rules: &'a RuleSet,
    population: &'a Population,
    name: &'a str,
    schema: &'a FeedSchema,
    /// Aggregates of this feed (indexes into `rules.aggregates`).
    mine: Vec<usize>,
    /// Columns some aggregate reads (schema order).
    used: Vec<bool>,
    id_column: usize,
    hashed: bool,
    /// Each reading thread's numbers (made on first use): a thread adds to its own with plain
    /// stores, no atomic instruction waiting on each cache miss; they are merged at the end.
    numbers: Vec<Mutex<Numbers>>,
    /// The starting value of each column of the numbers per household (0) and per person (1).
    starts: [Vec<f64>; 2],
    /// For each aggregate, an earlier one of the feed with the same filter (evaluated once).
    same_filter: Vec<Option<usize>>,
    accs: Vec<SharedAcc>,
    rejected: AtomicU64,
    max_rejected: Option<u64>,
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl<'a> FeedPlan<'a> {
    fn new(
        rules: &'a RuleSet,
        population: &'a Population,
        name: &'a str,
        hashed: bool,
        max_rejected: Option<u64>,
    ) -> Result<FeedPlan<'a>, ScreenError> {
        let (schema, _) = rules
            .feeds
            .get(name)
            .ok_or_else(|| ScreenError::File(format!("no rule reads a feed named {name}")))?;
        let hashed = hashed || schema.hashed;
        if hashed && population.hasher.is_none() {
            return Err(ScreenError::File(format!(
                "feed {name} carries hashed ID numbers: give the shared key (--hmac-key-file)"
            )));
        }
        let mine: Vec<usize> = rules
            .aggregates
            .iter()
            .enumerate()
            .filter(|(_, a)| a.feed == name)
            .map(|(i, _)| i)
            .collect();
        if mine.len() > 32 {
            return Err(ScreenError::File(format!(
                "feed {name}: more than 32 aggregates read it"
            )));
        }
        // Only the columns some aggregate of this feed reads are converted.
        let mut used = vec![false; schema.columns.len()];
        for a in &mine {
            let aggregate = &rules.aggregates[*a];
            if !aggregate.distinct_persons {
                for compiled in [&aggregate.filter, &aggregate.value].into_iter().flatten() {
                    for (_, field) in &compiled.facts {
                        used[*field] = true;
                    }
                }
            } else if let Some(filter) = &aggregate.filter {
                for (_, field) in &filter.facts {
                    used[*field] = true;
                }
            }
            if let Some(order) = aggregate.order {
                used[order] = true;
            }
        }
        // The numbers of a target sit side by side: a row updating two of them touches one
        // cache line, not two (at city scale each is a miss).
        let mut starts: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        let accs = mine
            .iter()
            .map(|a| {
                let aggregate = &rules.aggregates[*a];
                let slots = if aggregate.per_person {
                    population.persons()
                } else {
                    population.households()
                };
                let block = usize::from(aggregate.per_person);
                let mut numbers = |start: f64| {
                    starts[block].push(start);
                    SharedAcc::Numbers {
                        block,
                        column: starts[block].len() - 1,
                    }
                };
                match aggregate.of {
                    Of::Latest => SharedAcc::Latest(
                        (0..STRIPES)
                            .map(|s| {
                                let n = slots / STRIPES + usize::from(s < slots % STRIPES);
                                Mutex::new(vec![(i32::MIN, 0.0); n])
                            })
                            .collect(),
                    ),
                    Of::Distinct => SharedAcc::Distinct(
                        (0..STRIPES).map(|_| Mutex::new(HashMap::new())).collect(),
                    ),
                    Of::Max => numbers(f64::NEG_INFINITY),
                    Of::Count | Of::Sum => numbers(0.0),
                }
            })
            .collect();
        let filters: Vec<Option<String>> = mine
            .iter()
            .map(|a| {
                rules.aggregates[*a]
                    .filter
                    .as_ref()
                    .map(|f| format!("{f:?}"))
            })
            .collect();
        let same_filter = filters
            .iter()
            .enumerate()
            .map(|(i, f)| {
                f.as_ref()
                    .and_then(|f| filters[..i].iter().position(|g| g.as_ref() == Some(f)))
            })
            .collect();
        let numbers = (0..=rayon::current_num_threads())
            .map(|_| Mutex::new(Numbers::default()))
            .collect();
        Ok(FeedPlan {
            numbers,
            starts,
            same_filter,
            rules,
            population,
            name,
            schema,
            id_column: schema.column_index(&schema.id_column).unwrap_or(0),
            mine,
            used,
            hashed,
            accs,
            rejected: AtomicU64::new(0),
            max_rejected,
        })
    }

    /// Forgets what was folded, for a second read of the feed.
    fn reset(&self) {
        for numbers in &self.numbers {
            *lock(numbers) = Numbers::default();
        }
        for acc in &self.accs {
            match acc {
                SharedAcc::Numbers { .. } => {}
                SharedAcc::Latest(stripes) => {
                    for stripe in stripes {
                        lock(stripe).fill((i32::MIN, 0.0));
                    }
                }
                SharedAcc::Distinct(stripes) => {
                    for stripe in stripes {
                        lock(stripe).clear();
                    }
                }
            }
        }
        self.rejected.store(0, Ordering::Relaxed);
    }

    /// This thread's numbers, made with their starting values on first use.
    fn numbers(&self) -> std::sync::MutexGuard<'_, Numbers> {
        let last = self.numbers.len() - 1;
        let slot = rayon::current_thread_index().map_or(last, |i| i.min(last));
        let mut numbers = lock(&self.numbers[slot]);
        let targets = [self.population.households(), self.population.persons()];
        for (block, starts) in self.starts.iter().enumerate() {
            if numbers[block].is_empty() && !starts.is_empty() {
                numbers[block] = (0..targets[block] * starts.len())
                    .map(|i| starts[i % starts.len()])
                    .collect();
            }
        }
        numbers
    }

    /// The threads' numbers of one block added up (counts and sums) or their largest (max).
    fn merged_numbers(&self, block: usize) -> Vec<f64> {
        let starts = &self.starts[block];
        let stride = starts.len();
        let mut total: Vec<f64> = Vec::new();
        for numbers in &self.numbers {
            let mine = std::mem::take(&mut lock(numbers)[block]);
            if mine.is_empty() {
                continue;
            }
            if total.is_empty() {
                total = mine;
                continue;
            }
            total
                .par_chunks_mut(stride * 4096)
                .zip(mine.par_chunks(stride * 4096))
                .for_each(|(into, from)| {
                    for (i, (a, b)) in into.iter_mut().zip(from).enumerate() {
                        if starts[i % stride] == f64::NEG_INFINITY {
                            *a = a.max(*b);
                        } else {
                            *a += b;
                        }
                    }
                });
        }
        if total.is_empty() && stride > 0 {
            let targets = [self.population.households(), self.population.persons()];
            total = (0..targets[block] * stride)
                .map(|i| starts[i % stride])
                .collect();
        }
        total
    }

    /// A fresh row record for a reading thread.
    fn row(&self) -> Record {
        Record {
            fields: vec![Value::Missing; self.schema.columns.len()].into(),
            index: 0,
        }
    }

    fn reject(
        &self,
        part: &mut Part,
        line: u32,
        column: &str,
        why: String,
    ) -> Result<(), ScreenError> {
        part.rejected += 1;
        if part.rejected_lines.len() < 1000 {
            part.rejected_lines.push((line, column.to_string(), why));
        }
        let total = self.rejected.fetch_add(1, Ordering::Relaxed) + 1;
        match self.max_rejected {
            Some(max) if total > max => Err(ScreenError::TooManyRejected {
                feed: self.name.to_string(),
                rejected: total,
                max,
            }),
            _ => Ok(()),
        }
    }

    /// The match key of a row's ID cell.
    fn key_of(&self, id: &[u8]) -> Result<u64, idkey::KeyError> {
        match (self.hashed, &self.population.hasher) {
            (true, _) => idkey::hashed_key(id),
            (false, Some(hasher)) => idkey::pack(id).map(|packed| hasher.key(packed)),
            (false, None) => idkey::pack(id),
        }
    }

    fn reject_key(
        &self,
        part: &mut Part,
        line: u32,
        error: idkey::KeyError,
    ) -> Result<(), ScreenError> {
        self.reject(
            part,
            line,
            &self.schema.id_column,
            format!("{}: {}", self.schema.id_column, error.message()),
        )
    }

    /// Folds one row: `cell(i)` gives the bytes of the schema's column i.
    fn fold<'c>(
        &self,
        part: &mut Part,
        numbers: &mut Numbers,
        row: &mut Record,
        line: u32,
        cell: impl Fn(usize) -> &'c [u8],
    ) -> Result<(), ScreenError> {
        part.rows += 1;
        match self.key_of(cell(self.id_column)) {
            Ok(key) => match self.population.index.get(key) {
                Some((person, household)) => {
                    if let Err((column, why)) = self.read_values(row, &cell) {
                        return self.reject(part, line, &column, why);
                    }
                    self.fold_matched(part, numbers, row, line, (person, household));
                    Ok(())
                }
                None => {
                    part.unmatched += 1;
                    Ok(())
                }
            },
            Err(e) => self.reject_key(part, line, e),
        }
    }

    /// Reads the row's values, typed by the schema: an empty cell is missing; a
    /// cell that is not empty but cannot be read refuses the whole row with the column and why
    /// (a ¥50,000 stay written `5万` must not vanish as "missing").
    fn read_values<'c>(
        &self,
        row: &mut Record,
        cell: &impl Fn(usize) -> &'c [u8],
    ) -> Result<(), (String, String)> {
        for (i, column) in self.schema.columns.iter().enumerate() {
            // Texts no rule reads are skipped; numbers and dates are all checked, so a row
            // never passes with a cell nobody could read.
            if !self.used[i] && column.kind == ColumnType::Text {
                continue;
            }
            let bytes = cell(i);
            let field = &mut row.fields[i];
            match column.kind {
                ColumnType::Text => {
                    let text = String::from_utf8_lossy(bytes);
                    let text = text.trim();
                    // Coded columns repeat their values: keep the last one when it is the same.
                    if !matches!(field, Value::Str(old) if **old == *text) {
                        *field = Value::Str(text.into());
                    }
                }
                ColumnType::Number | ColumnType::Date if bytes.trim_ascii().is_empty() => {
                    *field = Value::Missing;
                }
                ColumnType::Number => match parse_number(bytes) {
                    Some(n) => *field = Value::Num(n),
                    None => return Err(unreadable(column, bytes, "a number")),
                },
                ColumnType::Date => match parse_days(bytes) {
                    Some(d) => *field = Value::Num(f64::from(d)),
                    None => return Err(unreadable(column, bytes, "a date")),
                },
            }
        }
        Ok(())
    }

    /// Folds a row matched to a person, its values read, into the aggregates.
    fn fold_matched(
        &self,
        part: &mut Part,
        numbers: &mut Numbers,
        row: &Record,
        line: u32,
        (person, household): (u32, u32),
    ) {
        part.matched += 1;
        let mut ctx = Ctx::new(row);
        let mut took = 0u32;
        // Bit i: the filter of the feed's i-th aggregate passed.
        let mut passed = 0u32;
        for (slot, a) in self.mine.iter().enumerate() {
            let aggregate = &self.rules.aggregates[*a];
            let pass = match (&aggregate.filter, self.same_filter[slot]) {
                (None, _) => true,
                (Some(_), Some(earlier)) => passed & (1 << earlier) != 0,
                (Some(filter), None) => eval(filter, &mut ctx) == Ok(Val::Bool(true)),
            };
            if !pass {
                continue;
            }
            passed |= 1 << slot;
            let target = if aggregate.per_person {
                person
            } else {
                household
            };
            let t = target as usize;
            let value = if aggregate.distinct_persons {
                Some(Ok(Val::Num(f64::from(person))))
            } else {
                aggregate.value.as_ref().map(|v| eval(v, &mut ctx))
            };
            match (&self.accs[slot], aggregate.of, value) {
                (SharedAcc::Numbers { block, column }, of, value) => {
                    let cell = &mut numbers[*block][t * self.starts[*block].len() + column];
                    match (of, value) {
                        (Of::Count, _) => *cell += 1.0,
                        (Of::Sum, Some(Ok(Val::Num(x)))) => *cell += x,
                        (Of::Max, Some(Ok(Val::Num(x)))) => *cell = cell.max(x),
                        _ => continue,
                    }
                }
                (SharedAcc::Latest(stripes), Of::Latest, Some(Ok(Val::Num(x)))) => {
                    let at = aggregate
                        .order
                        .and_then(|o| match &row.fields[o] {
                            Value::Num(d) => Some(*d as i32),
                            _ => None,
                        })
                        .unwrap_or(i32::MIN);
                    let mut stripe = lock(&stripes[t % STRIPES]);
                    let cell = &mut stripe[t / STRIPES];
                    if at >= cell.0 {
                        *cell = (at, x);
                    }
                }
                (SharedAcc::Distinct(stripes), Of::Distinct, Some(Ok(value))) => {
                    let hash = match value {
                        Val::Num(x) => x.to_bits(),
                        Val::Str(s) => fnv(s.as_bytes()),
                        Val::Bool(b) => u64::from(b),
                        _ => 0,
                    };
                    lock(&stripes[t % STRIPES])
                        .entry(target)
                        .or_default()
                        .insert(hash);
                }
                _ => continue,
            }
            took |= 1 << slot;
        }
        if took != 0 {
            part.evidence.push(Evidence {
                household,
                line,
                aggregates: took,
            });
        }
    }

    /// The aggregates' final values per target (households, or persons for per-person ones).
    fn values(self) -> Vec<(usize, Column)> {
        let merged = [0, 1].map(|block| std::sync::Arc::new(self.merged_numbers(block)));
        self.mine
            .iter()
            .zip(self.accs)
            .map(|(a, acc)| {
                let aggregate = &self.rules.aggregates[*a];
                let n = if aggregate.per_person {
                    self.population.persons()
                } else {
                    self.population.households()
                };
                let values = match acc {
                    // Read in place from the merged numbers: no copy of each column.
                    SharedAcc::Numbers { block, column } => Column {
                        data: merged[block].clone(),
                        stride: self.starts[block].len(),
                        offset: column,
                    },
                    SharedAcc::Latest(stripes) => {
                        let stripes: Vec<Vec<(i32, f64)>> = stripes
                            .into_iter()
                            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
                            .collect();
                        Column::of(
                            (0..n)
                                .map(|t| stripes[t % STRIPES][t / STRIPES].1)
                                .collect(),
                        )
                    }
                    SharedAcc::Distinct(stripes) => {
                        let mut v = vec![0.0; n];
                        for stripe in stripes {
                            let map = stripe.into_inner().unwrap_or_else(|p| p.into_inner());
                            for (k, set) in map {
                                v[k as usize] = set.len() as f64;
                            }
                        }
                        Column::of(v)
                    }
                };
                (*a, values)
            })
            .collect()
    }
}

/// An aggregate's value for each target, possibly one column of a block shared with the other
/// aggregates of its feed (`data[t * stride + offset]`); a value never set reads as 0.
#[derive(Clone, Default)]
struct Column {
    data: std::sync::Arc<Vec<f64>>,
    stride: usize,
    offset: usize,
}

impl Column {
    fn of(values: Vec<f64>) -> Column {
        Column {
            data: std::sync::Arc::new(values),
            stride: 1,
            offset: 0,
        }
    }

    fn at(&self, target: usize) -> f64 {
        match self.data.get(target * self.stride + self.offset) {
            Some(x) if x.is_finite() => *x,
            _ => 0.0,
        }
    }
}

/// The column positions in the file of the schema's columns, from the header (or schema order).
fn positions(
    schema: &FeedSchema,
    headers: Option<&csv::ByteRecord>,
    path: &Path,
) -> Result<Vec<usize>, ScreenError> {
    let Some(headers) = headers else {
        return Ok((0..schema.columns.len()).collect());
    };
    let names: Vec<&[u8]> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
            } else {
                h
            };
            h.trim_ascii()
        })
        .collect();
    schema
        .columns
        .iter()
        .map(|c| {
            names
                .iter()
                .position(|h| *h == c.name.as_bytes())
                .ok_or_else(|| {
                    ScreenError::File(format!(
                        "{}: no column '{}' ({})",
                        path.display(),
                        c.name,
                        schema.name
                    ))
                })
        })
        .collect()
}

/// Reads the header row (when the schema has one) and finds the schema's columns in it.
fn read_header(
    reader: &mut crate::feed::CsvReader,
    schema: &FeedSchema,
    path: &Path,
) -> Result<(Option<csv::ByteRecord>, Vec<usize>), ScreenError> {
    let headers = if schema.header {
        Some(
            reader
                .byte_headers()
                .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?
                .clone(),
        )
    } else {
        None
    };
    let positions = positions(schema, headers.as_ref(), path)?;
    Ok((headers, positions))
}

/// What reading one feed gave: its counts, aggregate values and evidence by part.
struct FeedRead {
    name: String,
    count: FeedCount,
    values: Vec<(usize, Column)>,
    /// (absolute line of the part's line 0, its evidence).
    evidence: Vec<(u64, Vec<Evidence>)>,
}

/// Reads one feed: a UTF-8 CSV in parallel pieces; GB18030 (or a quoted field over several
/// lines) with one sequential reader; an `.xlsx` workbook streamed row by row.
fn read_feed(
    rules: &RuleSet,
    population: &Population,
    name: &str,
    path: &Path,
    progress: &(dyn Fn(&str, u64) + Sync),
    options: &Options,
) -> Result<FeedRead, ScreenError> {
    let hashed = options.hashed_feeds.iter().any(|n| n == name);
    let plan = FeedPlan::new(rules, population, name, hashed, options.max_rejected)?;
    let is_xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let parts = if is_xlsx {
        read_xlsx(&plan, path, progress)?
    } else {
        match read_pieces(&plan, path, progress, options.piece_bytes)? {
            Some(parts) => parts,
            None => read_sequential(&plan, path, progress)?,
        }
    };
    let mut count = FeedCount::default();
    let mut evidence = Vec::with_capacity(parts.len());
    for part in parts {
        count.rows += part.rows;
        count.matched += part.matched;
        count.unmatched += part.unmatched;
        count.rejected += part.rejected;
        for (line, column, why) in part.rejected_lines {
            if count.rejected_lines.len() < 1000 {
                count
                    .rejected_lines
                    .push((part.base + u64::from(line), column, why));
            }
        }
        evidence.push((part.base, part.evidence));
    }
    progress(name, count.rows);
    Ok(FeedRead {
        name: name.to_string(),
        count,
        values: plan.values(),
        evidence,
    })
}

/// The parallel read of a UTF-8 CSV; `None` when the file must be read sequentially (GB18030,
/// or a quoted field running over a line end — the aggregates are then reset).
fn read_pieces(
    plan: &FeedPlan,
    path: &Path,
    progress: &(dyn Fn(&str, u64) + Sync),
    piece_bytes: u64,
) -> Result<Option<Vec<Part>>, ScreenError> {
    let schema = plan.schema;
    let io_error = |e: std::io::Error| ScreenError::File(format!("{}: {e}", path.display()));
    let (mut reader, gb18030) = crate::feed::open(path, schema)?;
    if gb18030 {
        return Ok(None);
    }
    let (headers, positions) = read_header(&mut reader, schema, path)?;
    // Where the rows start: after the header, or after a byte-order mark.
    let (data_start, first_line) = match &headers {
        Some(_) => (reader.position().byte(), reader.position().line()),
        None => (0, 1),
    };
    drop(reader);
    let file = File::open(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    let delimiter = schema.delimiter.as_bytes()[0];
    // The last column any rule reads (the rest of a line is not split).
    let last_needed = positions
        .iter()
        .enumerate()
        .filter(|(i, _)| plan.used[*i] || *i == plan.id_column)
        .map(|(_, p)| *p)
        .max()
        .unwrap_or(0);
    let open_quote = AtomicBool::new(false);
    let rows_read = AtomicU64::new(0);
    let mut parts: Vec<Part> = scan::pieces(data_start, len, piece_bytes)
        .into_par_iter()
        .map_init(
            || {
                let split: Vec<scan::Fields> =
                    (0..BATCH).map(|_| scan::Fields::default()).collect();
                (split, plan.row(), Vec::new(), Vec::new(), Vec::new())
            },
            |(split, row, batch, keys, found), piece| -> Result<Part, ScreenError> {
                if open_quote.load(Ordering::Relaxed) {
                    return Ok(Part::default());
                }
                let part = scan::with_buffer(|buf| -> Result<Part, ScreenError> {
                    let mut numbers = plan.numbers();
                    let mut part = Part::default();
                    let range =
                        scan::read_piece(&file, piece, data_start, len, buf).map_err(io_error)?;
                    let text = &buf[range];
                    part.lines = scan::line_count(text);
                    // Room for a row of evidence per line: no regrowing and copying (memory
                    // not written is never touched).
                    part.evidence.reserve(part.lines as usize);
                    // Rows go in batches: split and key them all, look them all up (the lookups'
                    // memory fetches overlap), then fold the matched ones.
                    let mut lines = scan::lines(text).peekable();
                    while lines.peek().is_some() {
                        batch.clear();
                        keys.clear();
                        for (n, line) in lines.by_ref().take(BATCH) {
                            let fields = &mut split[batch.len()];
                            part.rows += 1;
                            match fields.split_upto(line, delimiter, last_needed) {
                                Ok(()) => {}
                                Err(scan::SplitError::OpenQuote) => {
                                    open_quote.store(true, Ordering::Relaxed);
                                    part.open_quote = true;
                                    return Ok(part);
                                }
                                Err(scan::SplitError::Bad(why)) => {
                                    plan.reject(
                                        &mut part,
                                        n,
                                        "",
                                        format!("unreadable row: {why}"),
                                    )?;
                                    continue;
                                }
                            }
                            match plan.key_of(fields.get(line, positions[plan.id_column])) {
                                Ok(key) => {
                                    keys.push(key);
                                    let start = line.as_ptr() as usize - text.as_ptr() as usize;
                                    batch.push((n, start, start + line.len()));
                                }
                                Err(e) => plan.reject_key(&mut part, n, e)?,
                            }
                        }
                        plan.population.index.get_many(keys, found);
                        // Touch the numbers the rows will add to, so those misses overlap too.
                        let mut touched = 0.0;
                        for (person, household) in found.iter().flatten() {
                            for (block, target) in [*household, *person].into_iter().enumerate() {
                                let stride = plan.starts[block].len();
                                if let Some(x) = numbers[block].get(target as usize * stride) {
                                    touched += x;
                                }
                            }
                        }
                        std::hint::black_box(touched);
                        for (i, ((n, start, end), hit)) in
                            batch.iter().zip(found.iter()).enumerate()
                        {
                            match hit {
                                Some((person, household)) => {
                                    let fields = &split[i];
                                    let line = &text[*start..*end];
                                    let cell = |c| fields.get(line, positions[c]);
                                    if let Err((column, why)) = plan.read_values(row, &cell) {
                                        plan.reject(&mut part, *n, &column, why)?;
                                        continue;
                                    }
                                    plan.fold_matched(
                                        &mut part,
                                        &mut numbers,
                                        row,
                                        *n,
                                        (*person, *household),
                                    );
                                }
                                None => part.unmatched += 1,
                            }
                        }
                    }
                    Ok(part)
                })?;
                let total = rows_read.fetch_add(part.rows, Ordering::Relaxed) + part.rows;
                progress(plan.name, total);
                Ok(part)
            },
        )
        .collect::<Result<_, _>>()?;
    if open_quote.load(Ordering::Relaxed) {
        plan.reset();
        return Ok(None);
    }
    let mut base = first_line;
    for part in &mut parts {
        part.base = base;
        base += part.lines;
    }
    Ok(Some(parts))
}

/// Rows looked up together.
const BATCH: usize = 32;

/// Lines of a sequential read are kept relative to a part that starts every so often, so a
/// line within a part always fits 32 bits.
const LINES_PER_PART: u64 = 1 << 30;

/// One sequential reader over the whole file (GB18030 is transcoded as it streams).
fn read_sequential(
    plan: &FeedPlan,
    path: &Path,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<Vec<Part>, ScreenError> {
    let schema = plan.schema;
    let (mut reader, _) = crate::feed::open(path, schema)?;
    let (_, positions) = read_header(&mut reader, schema, path)?;
    let mut parts = vec![Part::starting_at(reader.position().line())];
    let mut row = plan.row();
    let mut numbers = plan.numbers();
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        let line = reader.position().line();
        let read = reader.read_byte_record(&mut record);
        let part = match parts.last_mut() {
            Some(part) if line - part.base < LINES_PER_PART => part,
            _ => {
                parts.push(Part::starting_at(line));
                parts
                    .last_mut()
                    .ok_or_else(|| ScreenError::File("no part".into()))?
            }
        };
        let at = (line - part.base) as u32;
        match read {
            Ok(false) => break,
            Ok(true) => {
                // The record's own line (blank lines before it are skipped by the reader).
                let at = record
                    .position()
                    .map_or(at, |p| (p.line() - part.base) as u32);
                plan.fold(part, &mut numbers, &mut row, at, |i| {
                    record.get(positions[i]).unwrap_or_default()
                })?;
            }
            Err(e) => {
                part.rows += 1;
                plan.reject(part, at, "", format!("unreadable row: {e}"))?;
            }
        }
        rows += 1;
        if rows.is_multiple_of(262_144) {
            progress(plan.name, rows);
        }
    }
    Ok(parts)
}

/// An `.xlsx` feed: the first sheet, streamed cell by cell (the sheet is never held whole).
fn read_xlsx(
    plan: &FeedPlan,
    path: &Path,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<Vec<Part>, ScreenError> {
    let schema = plan.schema;
    let mut positions: Option<Vec<usize>> = if schema.header {
        None
    } else {
        Some(self::positions(schema, None, path)?)
    };
    let mut part = Part::starting_at(0);
    let mut row = plan.row();
    let mut numbers = plan.numbers();
    crate::xlsx::for_each_row(path, &mut |line, cells| {
        let Some(positions) = &positions else {
            let headers: csv::ByteRecord = cells.iter().map(|c| c.as_bytes()).collect();
            positions = Some(self::positions(schema, Some(&headers), path)?);
            return Ok(());
        };
        let at = u32::try_from(line)
            .map_err(|_| ScreenError::File(format!("{}: too many rows", path.display())))?;
        plan.fold(&mut part, &mut numbers, &mut row, at, |i| {
            cells.get(positions[i]).map_or(&[][..], |c| c.as_bytes())
        })?;
        if part.rows.is_multiple_of(65_536) {
            progress(plan.name, part.rows);
        }
        Ok(())
    })?;
    Ok(vec![part])
}

/// Writes a household's facts (in the order of `rules::HOUSEHOLD_FACTS`) into `record`, reused
/// from one household to the next.
fn household_facts(
    population: &Population,
    household: usize,
    as_of_year: i32,
    record: &mut Record,
) {
    let (mut elderly, mut children, mut working, mut income) = (0.0, 0.0, 0.0, 0.0f64);
    let (mut youngest, mut oldest) = (200.0f64, 0.0f64);
    let members = population.members(household);
    for p in members {
        let age = f64::from(as_of_year - idkey::birth(population.person_key[*p as usize]).0);
        elderly += f64::from(u8::from(age >= 60.0));
        children += f64::from(u8::from(age < 18.0));
        working += f64::from(u8::from((16.0..60.0).contains(&age)));
        income += f64::from(population.person_income[*p as usize]);
        youngest = youngest.min(age);
        oldest = oldest.max(age);
    }
    let values = [
        members.len() as f64,
        elderly,
        children,
        working,
        income * 12.0,
        youngest,
        oldest,
    ];
    for (field, value) in record.fields.iter_mut().zip(values) {
        // An unknown income (NaN) leaves the household's income not recorded: rules that need
        // it do not fire on a guess.
        *field = if value.is_nan() {
            Value::Missing
        } else {
            Value::Num(value)
        };
    }
    record.index = household as u32;
}

/// Fills `{name}` placeholders of an explanation with the values the household had (`value`
/// gives a name's value; a name it does not know is left as written).
fn explain(template: &str, value: &dyn Fn(&str) -> Option<f64>) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (close, value(&after[..close]))) {
            Some((close, Some(x))) => {
                let _ = if x.fract() == 0.0 {
                    write!(out, "{}", x as i64)
                } else {
                    write!(out, "{x:.2}")
                };
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The rules one household hits, with their explanations.
fn household_hits(
    rules: &RuleSet,
    values: &[Column],
    facts: &Record,
    h: usize,
    spare: &mut Slots<'static>,
) -> Vec<(usize, String)> {
    let mut ctx = Ctx::new(facts);
    // The slots' memory is reused from one household to the next.
    ctx.slots = recycle(std::mem::take(spare));
    // The lets' slots (filled below), then the aggregates' values, written once.
    let offset = rules.agg_offset;
    ctx.slots.extend(
        (0..offset)
            .map(|_| Ok(Val::Num(0.0)))
            .chain(values.iter().map(|v| Ok(Val::Num(v.at(h))))),
    );
    for (i, (_, compiled)) in rules.lets.iter().enumerate() {
        let value = eval(compiled, &mut ctx);
        ctx.slots[i] = value;
    }
    let mut hits = Vec::new();
    for (r, rule) in rules.rules.iter().enumerate() {
        if eval(&rule.when, &mut ctx) != Ok(Val::Bool(true)) {
            continue;
        }
        if let Some(unless) = &rule.unless
            && eval(unless, &mut ctx) == Ok(Val::Bool(true))
        {
            continue;
        }
        let value = |name: &str| {
            if let Some(a) = rules.aggregates.iter().position(|a| a.name == name) {
                return Some(values[a].at(h));
            }
            if let Some(i) = rules.lets.iter().position(|(n, _)| n == name) {
                return match ctx.slots[i] {
                    Ok(Val::Num(x)) => Some(x),
                    _ => None,
                };
            }
            let i = crate::rules::HOUSEHOLD_FACTS
                .iter()
                .position(|f| *f == name)?;
            match facts.fields[i] {
                Value::Num(x) => Some(x),
                _ => None,
            }
        };
        hits.push((r, explain(&rule.explain, &value)));
    }
    *spare = recycle(std::mem::take(&mut ctx.slots));
    hits
}

/// The values of an expression context's slots.
type Slots<'a> = Vec<Result<Val<'a>, minsheng_expr::EvalError>>;

/// An emptied vector of slots for another lifetime, keeping its memory (collecting an empty
/// iterator in place reuses the allocation).
fn recycle<'b>(mut slots: Slots<'_>) -> Slots<'b> {
    slots.clear();
    slots.into_iter().map(|_| Ok(Val::Num(0.0))).collect()
}

/// The reason a cell is refused: its column (and Chinese label), what it holds, what was expected.
fn unreadable(column: &crate::feed::Column, bytes: &[u8], expected: &str) -> (String, String) {
    let held: String = String::from_utf8_lossy(bytes).chars().take(40).collect();
    let label = if column.label_zh.is_empty() {
        String::new()
    } else {
        format!("（{}）", column.label_zh)
    };
    (
        column.name.clone(),
        format!(
            "{}{label}: '{}' is not {expected}",
            column.name,
            held.trim()
        ),
    )
}

/// Runs the rules over the population and the feeds.
pub fn run(
    rules: &RuleSet,
    population: &Population,
    feeds: &[(String, PathBuf)],
    progress: &(dyn Fn(&str, u64) + Sync),
    options: &Options,
) -> Result<Outcome, ScreenError> {
    for (name, _) in feeds {
        if !rules.feeds.contains_key(name) {
            return Err(ScreenError::File(format!(
                "feed {name}: no rule reads it (the rule set reads {})",
                rules.feeds.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let started = std::time::Instant::now();
    // Feeds side by side, each cut into pieces: the threads take whatever work is left.
    let results: Vec<FeedRead> = feeds
        .par_iter()
        .map(|(name, path)| read_feed(rules, population, name, path, progress, options))
        .collect::<Result<_, _>>()?;
    let feed_seconds = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let households = population.households();
    // Aggregate values per household: person aggregates take the largest member value.
    let mut values: Vec<Column> = vec![Column::default(); rules.aggregates.len()];
    let mut outcome = Outcome::default();
    let mut evidence = Vec::with_capacity(results.len());
    for result in results {
        for (a, v) in result.values {
            values[a] = if rules.aggregates[a].per_person {
                let mut per_household = vec![0.0f64; households];
                for person in 0..population.persons() {
                    let h = population.person_household[person] as usize;
                    per_household[h] = per_household[h].max(v.at(person));
                }
                Column::of(per_household)
            } else {
                v
            };
        }
        outcome.feeds.insert(result.name.clone(), result.count);
        evidence.push((result.name, result.evidence));
    }
    let as_of_year = rules.as_of.map_or(2026, |d| d.year());
    let mut warnings: Vec<Warning> = (0..households)
        .into_par_iter()
        .map_init(
            || {
                let facts = Record {
                    fields: vec![Value::Num(0.0); crate::rules::HOUSEHOLD_FACTS.len()].into(),
                    index: 0,
                };
                (facts, Slots::new())
            },
            |(facts, spare), h| {
                household_facts(population, h, as_of_year, facts);
                let hits = household_hits(rules, &values, facts, h, spare);
                (!hits.is_empty()).then_some(Warning {
                    household: h as u32,
                    hits,
                    evidence: Vec::new(),
                })
            },
        )
        .flatten()
        .collect();
    attach_evidence(rules, &mut warnings, &evidence, households);
    outcome.warnings = warnings;
    outcome.feed_seconds = feed_seconds;
    outcome.rule_seconds = started.elapsed().as_secs_f64();
    Ok(outcome)
}

/// Evidence by feed: (feed name, parts of (first line, rows)).
type EvidenceByFeed = Vec<(String, Vec<(u64, Vec<Evidence>)>)>;

/// Gives each warning the rows of the aggregates its rules read, in feed and line order.
fn attach_evidence(
    rules: &RuleSet,
    warnings: &mut [Warning],
    evidence: &EvidenceByFeed,
    households: usize,
) {
    // Which of each feed's aggregates (as bits) each warned household's rules read.
    let mut wanted: HashMap<u32, usize> = HashMap::with_capacity(warnings.len());
    for (i, w) in warnings.iter().enumerate() {
        wanted.insert(w.household, i);
    }
    let mut warned = vec![false; households];
    for w in warnings.iter() {
        warned[w.household as usize] = true;
    }
    for (feed, parts) in evidence {
        let bit_of: HashMap<usize, u32> = rules
            .aggregates
            .iter()
            .enumerate()
            .filter(|(_, a)| &a.feed == feed)
            .enumerate()
            .map(|(bit, (a, _))| (a, 1u32 << bit))
            .collect();
        let masks: Vec<u32> = warnings
            .iter()
            .map(|w| {
                w.hits
                    .iter()
                    .flat_map(|(r, _)| rules.rules[*r].reads.iter())
                    .filter_map(|a| bit_of.get(a))
                    .fold(0, |m, b| m | b)
            })
            .collect();
        let found: Vec<Vec<(usize, u64)>> = parts
            .par_iter()
            .map(|(base, rows)| {
                rows.iter()
                    .filter(|e| warned[e.household as usize])
                    .filter_map(|e| {
                        let w = *wanted.get(&e.household)?;
                        (masks[w] & e.aggregates != 0).then_some((w, base + u64::from(e.line)))
                    })
                    .collect()
            })
            .collect();
        for (w, line) in found.into_iter().flatten() {
            warnings[w].evidence.push((feed.clone(), line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations_show_the_values_they_name() {
        let value = |name: &str| match name {
            "self_pay_12m" => Some(38_000.0),
            "share" => Some(0.456),
            _ => None,
        };
        assert_eq!(
            explain("自付{self_pay_12m}元，占{share}；{unknown}", &value),
            "自付38000元，占0.46；{unknown}"
        );
        assert_eq!(explain("{ 不成对 {self_pay_12m}", &value), "{ 不成对 38000");
        assert_eq!(explain("末尾{", &value), "末尾{");
    }
}
