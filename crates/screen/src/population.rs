//! The population to match against: persons keyed by packed ID number, grouped in households,
//! with the few facts the rules read. Loaded from a population file (`id_number, name,
//! household_id, region_code, relation, monthly_income`) or built from the registry.

use std::path::Path;

use std::sync::atomic::{AtomicU64, Ordering};

use hashbrown::HashMap;
use rayon::prelude::*;

use crate::ScreenError;
use crate::idkey;
use crate::keyindex::KeyIndex;
use crate::scan;

#[derive(Default)]
pub struct Population {
    /// Match key (the packed ID number, or its keyed hash) → (person, household).
    pub index: KeyIndex,
    /// With a key: feeds are matched on keyed hashes of ID numbers (HMAC).
    pub hasher: Option<crate::idkey::Hasher>,
    pub person_key: Vec<u64>,
    pub person_household: Vec<u32>,
    /// Monthly income; NaN when the population does not say.
    pub person_income: Vec<f32>,
    /// Household references one after another (one allocation, not one per household);
    /// household h's ends at `household_end[h]`.
    household_text: String,
    household_end: Vec<u64>,
    pub household_region: Vec<i64>,
    /// Members of every household (person indexes) one after another, filled by `finish`;
    /// household h's are `member_list[member_start[h]..member_start[h + 1]]`.
    member_start: Vec<u32>,
    member_list: Vec<u32>,
    /// Rows refused, with their line and why (the first 1000).
    pub rejected: Vec<(u64, String)>,
    pub rejected_count: u64,
    pub duplicates: u64,
}

impl Population {
    pub fn persons(&self) -> usize {
        self.person_key.len()
    }

    pub fn households(&self) -> usize {
        self.household_end.len()
    }

    /// The reference of household h as the population gave it.
    pub fn household_id(&self, h: usize) -> &str {
        let start = match h {
            0 => 0,
            _ => self.household_end.get(h - 1).copied().unwrap_or(0) as usize,
        };
        let end = self.household_end.get(h).copied().unwrap_or(0) as usize;
        self.household_text.get(start..end).unwrap_or_default()
    }

    /// Every household's reference, in household order.
    pub fn household_ids(&self) -> impl Iterator<Item = &str> {
        (0..self.households()).map(|h| self.household_id(h))
    }

    fn push_household(&mut self, id: &str, region: i64) {
        self.household_text.push_str(id);
        self.household_end.push(self.household_text.len() as u64);
        self.household_region.push(region);
    }

    /// Adds a person; returns false (and counts it) for a bad or repeated ID number.
    pub fn add(&mut self, line: u64, id_number: &[u8], household: u32, income: f32) -> bool {
        match idkey::pack(id_number) {
            Ok(packed) => self.add_packed(line, packed, household, income),
            Err(e) => {
                self.reject(line, e.message().into());
                false
            }
        }
    }

    /// Adds a person by packed ID number; false (counted) when the number is already there.
    fn add_packed(&mut self, line: u64, packed: u64, household: u32, income: f32) -> bool {
        let key = match &self.hasher {
            Some(h) => h.key(packed),
            None => packed,
        };
        let person = self.person_key.len() as u32;
        if self.index.insert_growing(key, person, household) {
            self.person_key.push(packed);
            self.person_household.push(household);
            self.person_income.push(income);
            true
        } else {
            self.duplicates += 1;
            self.reject(line, "the ID number is already in the population".into());
            false
        }
    }

    fn reject(&mut self, line: u64, why: String) {
        self.rejected_count += 1;
        if self.rejected.len() < 1000 {
            self.rejected.push((line, why));
        }
    }

    /// The members of a household (person indexes, in the order they were read).
    pub fn members(&self, household: usize) -> &[u32] {
        match (
            self.member_start.get(household),
            self.member_start.get(household + 1),
        ) {
            (Some(start), Some(end)) => &self.member_list[*start as usize..*end as usize],
            _ => &[],
        }
    }

    /// Indexes the members of every household (a counting sort: no allocation per household).
    pub fn finish(&mut self) {
        let mut start = vec![0u32; self.households() + 1];
        for household in &self.person_household {
            start[*household as usize + 1] += 1;
        }
        for h in 0..self.households() {
            start[h + 1] += start[h];
        }
        let mut next = start.clone();
        let mut list = vec![0u32; self.person_household.len()];
        for (person, household) in self.person_household.iter().enumerate() {
            let slot = &mut next[*household as usize];
            list[*slot as usize] = person as u32;
            *slot += 1;
        }
        self.member_start = start;
        self.member_list = list;
    }

    /// The population of (ID number, household reference, region, monthly income) rows, e.g.
    /// the registry's.
    pub fn from_rows<'r>(
        rows: impl Iterator<Item = (&'r str, String, i64, f32)>,
        hasher: Option<crate::idkey::Hasher>,
    ) -> Population {
        let mut population = Population {
            hasher,
            ..Population::default()
        };
        let mut households: HashMap<String, u32> = HashMap::new();
        for (line, (id, household, region, income)) in rows.enumerate() {
            let next = households.len() as u32;
            let index = *households.entry(household.clone()).or_insert(next);
            if index == next {
                population.push_household(&household, region);
            }
            population.add(line as u64 + 1, id.as_bytes(), index, income);
        }
        population.finish();
        population
    }

    /// Reads a population file (UTF-8 or GB18030 CSV with a header row).
    pub fn read(
        path: &Path,
        progress: &(dyn Fn(u64) + Sync),
        hasher: Option<crate::idkey::Hasher>,
    ) -> Result<Population, ScreenError> {
        Population::read_in_pieces(path, progress, hasher, 4 << 20)
    }

    /// Reads a population file, a UTF-8 one in pieces of `piece_bytes` parsed on every core and
    /// then joined in file order (so persons and households are numbered as read).
    pub fn read_in_pieces(
        path: &Path,
        progress: &(dyn Fn(u64) + Sync),
        hasher: Option<crate::idkey::Hasher>,
        piece_bytes: u64,
    ) -> Result<Population, ScreenError> {
        let (mut reader, gb18030) = crate::feed::open(path, &population_schema())?;
        let headers = reader
            .byte_headers()
            .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?
            .clone();
        let columns = Columns::of(&headers, path)?;
        if gb18030 {
            return Population::read_sequential(reader, &columns, path, progress, hasher);
        }
        let (data_start, first_line) = (reader.position().byte(), reader.position().line());
        drop(reader);
        let io_error = |e: std::io::Error| ScreenError::File(format!("{}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(io_error)?;
        let len = file.metadata().map_err(io_error)?.len();
        let lines_read = AtomicU64::new(0);
        let parts: Vec<PopPart> = scan::pieces(data_start, len, piece_bytes)
            .into_par_iter()
            .map_init(
                scan::Fields::default,
                |fields, piece| -> Result<PopPart, ScreenError> {
                    let part = scan::with_buffer(|buf| {
                        let range = scan::read_piece(&file, piece, data_start, len, buf)?;
                        Ok(PopPart::parse(&buf[range], &columns, fields))
                    })
                    .map_err(io_error)?;
                    progress(lines_read.fetch_add(part.lines, Ordering::Relaxed) + part.lines);
                    Ok(part)
                },
            )
            .collect::<Result<_, _>>()?;
        if parts.iter().any(|p| p.open_quote) {
            let (reader, _) = crate::feed::open(path, &population_schema())?;
            let mut reader = reader;
            reader
                .byte_headers()
                .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?;
            return Population::read_sequential(reader, &columns, path, progress, hasher);
        }
        let persons: usize = parts.iter().map(|p| p.keys.len()).sum();
        let mut base = first_line;
        let mut rejected = Vec::new();
        let mut rejected_count = 0;
        for part in &parts {
            for (line, why) in &part.rejected {
                if rejected.len() < 1000 {
                    rejected.push((base + u64::from(*line), why.clone()));
                }
            }
            rejected_count += part.rejected_count;
            base += part.lines;
        }
        let mut population = match join_contiguous(&parts) {
            Some(population) => population,
            None => join_in_order(&parts),
        };
        population.hasher = hasher;
        population.rejected = rejected;
        population.rejected_count = rejected_count;
        drop(parts);
        // The index, filled on every core; an ID number given twice sends the file to the
        // sequential reader, which refuses the later row with its line.
        let index = KeyIndex::with_capacity(persons);
        let twice = population
            .person_key
            .par_iter()
            .zip(population.person_household.par_iter())
            .enumerate()
            .with_min_len(1 << 16)
            .filter(|(person, (packed, household))| {
                let key = match &population.hasher {
                    Some(h) => h.key(**packed),
                    None => **packed,
                };
                !index.insert(key, *person as u32, **household)
            })
            .count();
        if twice > 0 {
            let (mut reader, _) = crate::feed::open(path, &population_schema())?;
            reader
                .byte_headers()
                .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?;
            return Population::read_sequential(
                reader,
                &columns,
                path,
                progress,
                population.hasher,
            );
        }
        population.index = index;
        population.finish();
        Ok(population)
    }

    /// One sequential reader (GB18030, or a quoted field over several lines).
    fn read_sequential(
        mut reader: crate::feed::CsvReader,
        columns: &Columns,
        path: &Path,
        progress: &(dyn Fn(u64) + Sync),
        hasher: Option<crate::idkey::Hasher>,
    ) -> Result<Population, ScreenError> {
        // Room for every row up front (about 60 bytes a row): no rehashing of a big index.
        let estimate = std::fs::metadata(path).map_or(0, |m| m.len() / 55) as usize;
        let mut population = Population {
            hasher,
            index: KeyIndex::with_capacity(estimate),
            person_key: Vec::with_capacity(estimate),
            person_household: Vec::with_capacity(estimate),
            person_income: Vec::with_capacity(estimate),
            ..Population::default()
        };
        let mut households: HashMap<Vec<u8>, u32> = HashMap::with_capacity(estimate / 2);
        let mut record = csv::ByteRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    population.reject(line, format!("unreadable row: {e}"));
                    continue;
                }
            }
            let line = record.position().map_or(line, |p| p.line());
            if line.is_multiple_of(65_536) {
                progress(line);
            }
            let row = match columns.row(|i| record.get(i)) {
                Ok(row) => row,
                Err(why) => {
                    population.reject(line, why.into());
                    continue;
                }
            };
            // A row whose ID number is refused does not make a household (as in the pieces).
            let packed = match idkey::pack(row.id) {
                Ok(packed) => packed,
                Err(e) => {
                    population.reject(line, e.message().into());
                    continue;
                }
            };
            let next = households.len() as u32;
            let hh_index = *households.entry_ref(row.household).or_insert(next);
            if hh_index == next {
                population.push_household(&String::from_utf8_lossy(row.household), row.region);
            }
            population.add_packed(line, packed, hh_index, row.income);
        }
        population.finish();
        Ok(population)
    }
}

/// Joins the pieces of a file whose households are each one run of rows (a registry export is
/// grouped by household): the households are the runs, numbered in file order, and the work is
/// spread over every core. `None` when a household comes back later in the file.
fn join_contiguous(parts: &[PopPart]) -> Option<Population> {
    // A run cut by a piece boundary continues in the next piece.
    let mut continues = vec![false; parts.len()];
    let mut last: Option<&[u8]> = None;
    for (k, part) in parts.iter().enumerate() {
        if part.keys.is_empty() {
            continue;
        }
        continues[k] = last == Some(part.household(0));
        last = Some(part.household(part.keys.len() - 1));
    }
    // Household number of each piece's first run.
    let mut first_run = Vec::with_capacity(parts.len());
    let mut runs = 0usize;
    for (k, part) in parts.iter().enumerate() {
        first_run.push(runs - usize::from(continues[k]));
        runs += part.run_starts.len() - usize::from(continues[k]);
    }
    // Every run a different household. A file sorted by household reference shows it by its
    // order alone; otherwise the runs' hashes must all differ (equal text, equal hash).
    let head = |k: usize, r: usize| parts[k].household(parts[k].run_starts[r] as usize);
    let sorted = parts.par_iter().enumerate().all(|(k, part)| {
        let skip = usize::from(continues[k]);
        (skip + 1..part.run_starts.len()).all(|r| head(k, r - 1) < head(k, r))
    }) && {
        // Across pieces: each piece's first new run after the last run before it.
        let mut last: Option<&[u8]> = None;
        parts.iter().enumerate().all(|(k, part)| {
            let skip = usize::from(continues[k]);
            let ordered = match (last, part.run_starts.get(skip)) {
                (Some(before), Some(_)) => before < head(k, skip),
                _ => true,
            };
            if let Some(r) = part.run_starts.len().checked_sub(1) {
                last = Some(head(k, r));
            }
            ordered
        })
    };
    if !sorted {
        let seen = KeyIndex::with_capacity(runs);
        let repeated = parts.par_iter().enumerate().any(|(k, part)| {
            (usize::from(continues[k])..part.run_starts.len()).any(|r| {
                use std::hash::{Hash, Hasher};
                let mut hasher = std::hash::DefaultHasher::new();
                head(k, r).hash(&mut hasher);
                !seen.insert(hasher.finish(), (first_run[k] + r) as u32, 0)
            })
        });
        if repeated {
            return None;
        }
    }
    let mut population = Population::default();
    // Each piece's references and regions, then joined (one copy, no allocation per household).
    let ids: Vec<(String, Vec<u64>, Vec<i64>)> = parts
        .par_iter()
        .enumerate()
        .map(|(k, part)| {
            let mut text = String::new();
            let mut ends = Vec::new();
            let mut regions = Vec::new();
            for start in part.run_starts.iter().skip(usize::from(continues[k])) {
                let i = *start as usize;
                text.push_str(&String::from_utf8_lossy(part.household(i)));
                ends.push(text.len() as u64);
                regions.push(part.regions[i]);
            }
            (text, ends, regions)
        })
        .collect();
    population.household_end.reserve(runs);
    population.household_region.reserve(runs);
    for (text, ends, regions) in ids {
        let offset = population.household_text.len() as u64;
        population.household_text.push_str(&text);
        population
            .household_end
            .extend(ends.iter().map(|e| e + offset));
        population.household_region.extend(regions);
    }
    let households: Vec<Vec<u32>> = parts
        .par_iter()
        .enumerate()
        .map(|(k, part)| {
            let mut out = Vec::with_capacity(part.keys.len());
            // Run r of the piece is household first_run + r.
            let mut run = first_run[k] as u32;
            let mut next = part.run_starts.iter().skip(1).peekable();
            for i in 0..part.keys.len() {
                if next.peek().is_some_and(|s| **s as usize == i) {
                    next.next();
                    run += 1;
                }
                out.push(run);
            }
            out
        })
        .collect();
    let persons: usize = parts.iter().map(|p| p.keys.len()).sum();
    population.person_key.reserve(persons);
    population.person_income.reserve(persons);
    population.person_household.reserve(persons);
    for (part, households) in parts.iter().zip(households) {
        population.person_key.extend_from_slice(&part.keys);
        population.person_income.extend_from_slice(&part.incomes);
        population.person_household.extend_from_slice(&households);
    }
    Some(population)
}

/// Joins the pieces one row after another, households looked up by their reference.
fn join_in_order(parts: &[PopPart]) -> Population {
    let persons: usize = parts.iter().map(|p| p.keys.len()).sum();
    let mut population = Population {
        person_key: Vec::with_capacity(persons),
        person_household: Vec::with_capacity(persons),
        person_income: Vec::with_capacity(persons),
        ..Population::default()
    };
    let mut households: HashMap<&[u8], u32> = HashMap::with_capacity(persons / 2);
    for part in parts {
        // Members of a household usually follow each other: one lookup per household.
        let mut previous: Option<(&[u8], u32)> = None;
        for i in 0..part.keys.len() {
            let id = part.household(i);
            let index = match previous {
                Some((last, index)) if last == id => index,
                _ => {
                    let next = households.len() as u32;
                    let index = *households.entry(id).or_insert(next);
                    if index == next {
                        population.push_household(&String::from_utf8_lossy(id), part.regions[i]);
                    }
                    index
                }
            };
            previous = Some((id, index));
            population.person_key.push(part.keys[i]);
            population.person_household.push(index);
            population.person_income.push(part.incomes[i]);
        }
    }
    population
}

fn population_schema() -> crate::feed::FeedSchema {
    crate::feed::FeedSchema {
        name: "population".into(),
        label_zh: "人口".into(),
        id_column: "id_number".into(),
        hashed: false,
        delimiter: ",".into(),
        header: true,
        encoding: "auto".into(),
        columns: Vec::new(),
    }
}

/// Where the population file's columns are.
struct Columns {
    id: usize,
    household: usize,
    region: usize,
    income: Option<usize>,
}

/// One population row, read but not yet checked against the others.
struct PopRow<'r> {
    id: &'r [u8],
    household: &'r [u8],
    region: i64,
    income: f32,
}

impl Columns {
    fn of(headers: &csv::ByteRecord, path: &Path) -> Result<Columns, ScreenError> {
        let column = |name: &str| {
            headers.iter().enumerate().position(|(i, h)| {
                let h = if i == 0 {
                    h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
                } else {
                    h
                };
                h.trim_ascii() == name.as_bytes()
            })
        };
        let (Some(id), Some(household), Some(region)) = (
            column("id_number"),
            column("household_id"),
            column("region_code"),
        ) else {
            return Err(ScreenError::File(format!(
                "{}: the population file needs the columns id_number, household_id and region_code",
                path.display()
            )));
        };
        Ok(Columns {
            id,
            household,
            region,
            income: column("monthly_income"),
        })
    }

    /// The last column read.
    fn last(&self) -> usize {
        [self.id, self.household, self.region]
            .into_iter()
            .chain(self.income)
            .max()
            .unwrap_or(0)
    }

    /// The row's values, or why it is refused.
    fn row<'r>(
        &self,
        cell: impl Fn(usize) -> Option<&'r [u8]>,
    ) -> Result<PopRow<'r>, &'static str> {
        let (Some(id), Some(household), Some(region)) =
            (cell(self.id), cell(self.household), cell(self.region))
        else {
            return Err("missing columns");
        };
        let region = region
            .trim_ascii()
            .iter()
            .try_fold(0i64, |n, b| {
                b.is_ascii_digit()
                    .then(|| n.checked_mul(10)?.checked_add(i64::from(b - b'0')))
                    .flatten()
            })
            .filter(|_| !region.trim_ascii().is_empty())
            .ok_or("region_code is not a number")?;
        let income = self
            .income
            .and_then(&cell)
            .and_then(crate::feed::parse_number)
            .map_or(f32::NAN, |v| v as f32);
        Ok(PopRow {
            id,
            household,
            region,
            income,
        })
    }
}

/// The rows of one piece of a population file, checked and packed.
#[derive(Default)]
struct PopPart {
    keys: Vec<u64>,
    /// Line of each person within the piece.
    lines_of: Vec<u32>,
    /// Household references one after another; person i's ends at `household_end[i]`.
    households: Vec<u8>,
    household_end: Vec<u32>,
    /// Persons (indexes in the piece) where a run of rows of one household starts.
    run_starts: Vec<u32>,
    regions: Vec<i64>,
    incomes: Vec<f32>,
    rejected: Vec<(u32, String)>,
    rejected_count: u64,
    lines: u64,
    open_quote: bool,
}

impl PopPart {
    /// The household reference of person i of the piece.
    fn household(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.household_end[i - 1] as usize
        };
        &self.households[start..self.household_end[i] as usize]
    }

    fn parse(text: &[u8], columns: &Columns, fields: &mut scan::Fields) -> PopPart {
        let mut part = PopPart {
            lines: scan::line_count(text),
            ..PopPart::default()
        };
        let reject = |part: &mut PopPart, line: u32, why: String| {
            part.rejected_count += 1;
            if part.rejected.len() < 1000 {
                part.rejected.push((line, why));
            }
        };
        for (n, line) in scan::lines(text) {
            match fields.split_upto(line, b',', columns.last()) {
                Ok(()) => {}
                Err(scan::SplitError::OpenQuote) => {
                    part.open_quote = true;
                    return part;
                }
                Err(scan::SplitError::Bad(why)) => {
                    reject(&mut part, n, format!("unreadable row: {why}"));
                    continue;
                }
            }
            let row = match columns.row(|i| (i < fields.len()).then(|| fields.get(line, i))) {
                Ok(row) => row,
                Err(why) => {
                    reject(&mut part, n, why.into());
                    continue;
                }
            };
            match idkey::pack(row.id) {
                Ok(key) => {
                    if part.keys.is_empty() || part.household(part.keys.len() - 1) != row.household
                    {
                        part.run_starts.push(part.keys.len() as u32);
                    }
                    part.keys.push(key);
                    part.lines_of.push(n);
                    part.households.extend_from_slice(row.household);
                    part.household_end.push(part.households.len() as u32);
                    part.regions.push(row.region);
                    part.incomes.push(row.income);
                }
                Err(e) => reject(&mut part, n, e.message().into()),
            }
        }
        part
    }
}
