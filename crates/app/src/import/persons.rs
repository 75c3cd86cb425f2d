//! The registry import (persons): a streaming pipeline for files of a million rows.
//!
//! The file is read twice, never held whole:
//! 1. **Check.** A reader thread reads rows in chunks and checks each chunk's rows in parallel
//!    (rayon); the checks across rows (an ID number twice, a household key with two addresses)
//!    keep a few dozen bytes a person. Every bad row is reported; with any, nothing is written
//!    (unless `skip_invalid`).
//! 2. **Write.** In one transaction, while the reader thread reads and prepares the next chunk
//!    (search keys, pinyin), this one is written: rows of households and persons new to the
//!    registry in multi-row inserts with ids given in advance, every other row through the
//!    scoped, audited [`App::write_person`].
//!
//! One transaction keeps it all or nothing: a `kill -9` leaves nothing written (SQLite's
//! journal and PostgreSQL both roll it back), and running the import again starts it again.
//! Importing the same file twice changes nothing the second time.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use minsheng_domain::text::{person_search_key, pinyin_of};
use minsheng_domain::{IdNumber, relation};
use minsheng_store::registry::{self, BulkHousehold, BulkPerson};
use minsheng_store::{Scope, WriteTx, regions};
use rayon::prelude::*;
use tokio::sync::mpsc;

use super::{
    FileError, ImportError, ImportKind, ImportReport, Outcome, OutsideRow, Phase, Progress,
    RowError, RowReader, RowSource, TableRow, column_index,
};
use crate::{Actor, App, AppError, AppResult, Outside, Subject, write_audit};

/// Rows read, checked and written together: what bounds the memory, and the progress step.
const CHUNK_ROWS: usize = 20_000;

const REQUIRED: [&str; 6] = [
    "id_number",
    "name",
    "region_code",
    "address",
    "household_key",
    "relation_code",
];
const EXPECTED: &str =
    "id_number, name, region_code, address, household_key, relation_code[, phone]";

/// A person row that passed its own checks.
pub(super) struct ValidPerson {
    pub(super) id_number: IdNumber,
    pub(super) name: String,
    pub(super) phone: Option<String>,
    pub(super) region: i64,
    pub(super) address: String,
    pub(super) household_key: String,
    pub(super) relation: String,
    /// Worked out on the reader thread for the write only.
    search_key: String,
    initials: String,
}

/// One row after its own checks: what the checks across rows need, and the person when the
/// row is good.
struct CheckedRow {
    line: u64,
    /// The ID number's first 17 digits (the 18th is their check digit).
    id_key: Option<u64>,
    /// Household key, region and a hash of the address, when all three are readable.
    household: Option<(String, i64, u64)>,
    person: Option<ValidPerson>,
    errors: Vec<RowError>,
}

/// What one row is checked against; shared by the reader thread's workers.
struct RowRules {
    columns: HashMap<String, usize>,
    scope: Scope,
    /// The towns and communities in the importer's area.
    places: HashSet<i64>,
    today: time::Date,
}

impl RowRules {
    fn check(&self, row: &TableRow, prepare: bool) -> CheckedRow {
        let mut r = RowReader {
            columns: &self.columns,
            row,
            errors: Vec::new(),
        };
        let id_number = r.required("id_number").and_then(|t| {
            IdNumber::parse_on(t, self.today)
                .map_err(|e| r.fail("id_number", e.to_string()))
                .ok()
        });
        let name = r.required("name").and_then(|n| {
            crate::registry::validate_name(n)
                .map_err(|_| r.fail("name", "must be 1 to 50 printable characters"))
                .ok()
        });
        let phone = crate::registry::validate_phone(Some(r.get("phone")))
            .map_err(|e| {
                if let AppError::Invalid(list) = e {
                    for fe in list {
                        r.fail("phone", fe.message.to_string());
                    }
                }
            })
            .ok()
            .flatten();
        let region = r.region("region_code").map(|code| code.as_i64());
        if let Some(region) = region {
            if !self.scope.contains(region) {
                r.fail("region_code", "this region is outside your area");
            } else if !self.places.contains(&region) {
                r.fail(
                    "region_code",
                    format!("{region} is not a town or community in the region table"),
                );
            }
        }
        let address = r.required("address").map(str::to_string);
        let household_key = r.required("household_key").map(str::to_string);
        let relation = r.required("relation_code").map(str::to_string);
        if let Some(rel) = &relation
            && !relation::is_relation_code(rel)
        {
            r.fail(
                "relation_code",
                format!("'{rel}' is not a GB/T 4761 relation code"),
            );
        }
        let id_key = id_number.as_ref().map(id_key);
        let household = match (&household_key, region, &address) {
            (Some(key), Some(region), Some(address)) => {
                Some((key.clone(), region, text_hash(address)))
            }
            _ => None,
        };
        let errors = std::mem::take(&mut r.errors);
        let person = match (id_number, name, region, address, household_key, relation) {
            (Some(id_number), Some(name), Some(region), Some(address), Some(key), Some(rel))
                if errors.is_empty() =>
            {
                let (search_key, initials) = if prepare {
                    (
                        person_search_key(&name, id_number.as_str(), phone.as_deref()),
                        pinyin_of(&name).1,
                    )
                } else {
                    (String::new(), String::new())
                };
                Some(ValidPerson {
                    id_number,
                    name,
                    phone,
                    region,
                    address,
                    household_key: key,
                    relation: rel,
                    search_key,
                    initials,
                })
            }
            _ => None,
        };
        CheckedRow {
            line: row.line,
            id_key,
            household,
            person,
            errors,
        }
    }
}

fn id_key(id: &IdNumber) -> u64 {
    id.as_str()
        .bytes()
        .take(17)
        .fold(0u64, |k, b| k * 10 + u64::from(b.wrapping_sub(b'0') % 10))
}

fn text_hash(text: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// A chunk from the reader thread: how many rows it read, and each row checked.
type Chunk = Result<(u64, Vec<CheckedRow>), FileError>;

/// Reads `rows` on a thread of its own, checking each chunk in parallel; skips the lines in
/// `skip`. At most two chunks wait in the channel, which bounds the memory.
fn read_chunks(
    rows: super::RowIter,
    rules: Arc<RowRules>,
    skip: Arc<HashSet<u64>>,
    prepare: bool,
) -> mpsc::Receiver<Chunk> {
    let (sender, receiver) = mpsc::channel::<Chunk>(2);
    std::thread::spawn(move || {
        let mut rows = rows.peekable();
        while rows.peek().is_some() {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let mut read = 0u64;
            for row in rows.by_ref().take(CHUNK_ROWS) {
                match row {
                    Ok(row) => {
                        read += 1;
                        if !skip.contains(&row.line) {
                            chunk.push(row);
                        }
                    }
                    Err(e) => {
                        let _ = sender.blocking_send(Err(e));
                        return;
                    }
                }
            }
            let checked = chunk
                .par_iter()
                .map(|row| rules.check(row, prepare))
                .collect();
            if sender.blocking_send(Ok((read, checked))).is_err() {
                return;
            }
        }
    });
    receiver
}

/// The checks across rows: each ID number once, each household one region and address.
#[derive(Default)]
struct FileChecks {
    first_line_of_id: HashMap<u64, u64>,
    households: HashMap<String, (i64, u64, u64)>,
}

impl FileChecks {
    fn check(&mut self, row: CheckedRow, errors: &mut Vec<RowError>) {
        let mut row_errors = row.errors;
        if let Some(key) = row.id_key {
            match self.first_line_of_id.entry(key) {
                Entry::Occupied(first) => row_errors.push(RowError {
                    line: row.line,
                    column: "id_number".into(),
                    reason: format!("the same person is already on line {}", first.get()),
                }),
                Entry::Vacant(slot) => {
                    slot.insert(row.line);
                }
            }
        }
        if let Some((key, region, address)) = row.household {
            match self.households.get(&key) {
                Some((first_region, first_address, first_line))
                    if *first_region != region || *first_address != address =>
                {
                    row_errors.push(RowError {
                        line: row.line,
                        column: "household_key".into(),
                        reason: format!(
                            "household {key} has another region or address on line {first_line}"
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    self.households.insert(key, (region, address, row.line));
                }
            }
        }
        errors.append(&mut row_errors);
    }
}

impl App {
    /// The persons import: check every row, then (unless errors stop it) write in one
    /// transaction, a chunk at a time.
    pub(super) async fn import_persons(
        &self,
        actor: &Actor,
        source: &dyn RowSource,
        skip_invalid: bool,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<ImportReport, ImportError> {
        let columns = column_index(source.file(), source.headers(), &REQUIRED, EXPECTED)?;
        let mut places = HashSet::new();
        {
            let mut c = self.store().reader();
            for level in ["town", "community"] {
                places.extend(
                    regions::in_scope(&mut c, actor.scope(), level)
                        .await?
                        .into_iter()
                        .map(|r| r.code),
                );
            }
        }
        let rules = Arc::new(RowRules {
            columns,
            scope: actor.scope().clone(),
            places,
            today: self.today(),
        });

        // Pass 1: check.
        let mut errors = Vec::new();
        let mut rows = 0u64;
        {
            let mut checks = FileChecks::default();
            let mut chunks = read_chunks(
                source.rows()?,
                Arc::clone(&rules),
                Arc::new(HashSet::new()),
                false,
            );
            while let Some(chunk) = chunks.recv().await {
                let (read, checked) = chunk?;
                rows += read;
                for row in checked {
                    checks.check(row, &mut errors);
                }
                progress(Progress {
                    phase: Phase::Checking,
                    done: rows,
                    total: None,
                });
            }
        }
        let (mut report, bad_lines) =
            ImportReport::checked(source, ImportKind::Persons, rows as usize, errors);
        if report.stops(skip_invalid) {
            return Ok(report);
        }

        // Pass 2: write, while the reader thread prepares the next chunk.
        let good = rows - bad_lines.len() as u64;
        let mut tx = self.store().begin().await?;
        let mut load = BulkLoad {
            first_load: registry::is_empty(&mut tx).await?,
            ..BulkLoad::default()
        };
        let set_aside = if load.first_load {
            registry::set_aside_indexes(&mut tx).await?
        } else {
            None
        };
        let mut chunks = read_chunks(source.rows()?, rules, Arc::new(bad_lines), true);
        while let Some(chunk) = chunks.recv().await {
            let (_, checked) = chunk?;
            let persons: Vec<(u64, ValidPerson)> = checked
                .into_iter()
                .filter_map(|row| row.person.map(|p| (row.line, p)))
                .collect();
            if let Err((line, outside)) =
                self.write_chunk(&mut tx, actor, &mut load, persons).await?
            {
                drop(tx);
                let message = format!("{}: {}", outside.field, outside.message);
                self.refuse_outside(actor, "import.persons", outside.refusal)
                    .await;
                return Err(ImportError::File(FileError::Csv {
                    file: source.file().to_string(),
                    line,
                    message,
                }));
            }
            progress(Progress {
                phase: Phase::Writing,
                done: load.done,
                total: Some(good),
            });
        }
        if let Some(set_aside) = set_aside {
            registry::build_set_aside(&mut tx, set_aside).await?;
        }
        load.finish(&mut tx, actor.scope(), self.now()).await?;
        report.inserted = load.outcome.inserted;
        report.updated = load.outcome.updated;
        report.unchanged = load.outcome.unchanged;
        self.finish_import(tx, actor, ImportKind::Persons, &mut report)
            .await?;
        Ok(report)
    }

    /// Writes one chunk. Rows of a household new to the registry whose person is new too (a
    /// registry's first load: nearly all of them) go in bulk; every other row (a person or
    /// household already registered, here or in another area) goes through
    /// [`App::write_person`] after them, so it finds their households.
    async fn write_chunk(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        load: &mut BulkLoad,
        persons: Vec<(u64, ValidPerson)>,
    ) -> AppResult<Result<(), (u64, OutsideRow)>> {
        if persons.is_empty() {
            return Ok(Ok(()));
        }
        let now = self.now();
        let fresh_keys: Vec<&str> = {
            let mut keys: Vec<&str> = persons
                .iter()
                .map(|(_, p)| p.household_key.as_str())
                .filter(|k| !load.created.contains_key(*k))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            keys
        };
        // A first load's registry was empty, and the check pass found each ID number once.
        let (taken_keys, registered) = if load.first_load {
            Default::default()
        } else {
            let id_numbers: Vec<&str> = persons.iter().map(|(_, p)| p.id_number.as_str()).collect();
            (
                registry::taken_household_keys(tx, &fresh_keys).await?,
                registry::registered_id_numbers(tx, &id_numbers).await?,
            )
        };
        // Read again each chunk: the scoped path may have added rows since.
        let (mut next_household, mut next_person) = registry::reserve_bulk_ids(tx).await?;
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut households: Vec<BulkHousehold> = Vec::new();
        let mut bulk: Vec<BulkPerson> = Vec::new();
        let mut slow: Vec<(u64, &ValidPerson)> = Vec::new();
        for (line, p) in &persons {
            if taken_keys.contains(&p.household_key) || registered.contains(p.id_number.as_str()) {
                slow.push((*line, p));
                continue;
            }
            let is_head = p.relation == relation::HEAD;
            let household_id = if let Some(&i) = index.get(p.household_key.as_str()) {
                let household = &mut households[i];
                if is_head && household.head_person_id.is_none() {
                    household.head_person_id = Some(next_person);
                }
                household.id
            } else if let Some(earlier) = load.created.get_mut(&p.household_key) {
                // A household of an earlier chunk: its search text and head follow at the end.
                load.given_members.insert(earlier.id);
                if is_head && !earlier.has_head {
                    earlier.has_head = true;
                    load.heads.push((earlier.id, next_person));
                }
                earlier.id
            } else {
                index.insert(p.household_key.as_str(), households.len());
                households.push(BulkHousehold {
                    id: next_household,
                    external_key: Some(p.household_key.clone()),
                    region_code: p.region,
                    address: p.address.clone(),
                    head_person_id: is_head.then_some(next_person),
                    search_text: String::new(),
                });
                next_household += 1;
                next_household - 1
            };
            bulk.push(BulkPerson {
                id: next_person,
                id_number: p.id_number.as_str().to_string(),
                name: p.name.clone(),
                initials: p.initials.clone(),
                sex: p.id_number.sex().code(),
                birth_date: p.id_number.birth_date().to_string(),
                phone: p.phone.clone(),
                household_id,
                relation_code: p.relation.clone(),
                region_code: p.region,
                search_key: p.search_key.clone(),
            });
            next_person += 1;
            load.outcome.record(false, true);
        }
        // Each new household's search text: its address and its members' keys.
        let mut member_keys: Vec<Vec<&str>> = vec![Vec::new(); households.len()];
        let first_id = households.first().map_or(0, |h| h.id);
        for person in &bulk {
            if let Some(keys) = person
                .household_id
                .checked_sub(first_id)
                .and_then(|i| member_keys.get_mut(i as usize))
            {
                keys.push(&person.search_key);
            }
        }
        for (household, keys) in households.iter_mut().zip(&member_keys) {
            household.search_text =
                registry::household_search_text(&household.address, keys.iter().copied());
        }
        drop(member_keys);
        for h in &households {
            if let Some(key) = &h.external_key {
                load.created.insert(
                    key.clone(),
                    CreatedHousehold {
                        id: h.id,
                        has_head: h.head_person_id.is_some(),
                    },
                );
            }
        }
        load.done += bulk.len() as u64;
        registry::insert_bulk_households(tx, households, now).await?;
        registry::insert_bulk_persons(tx, bulk, "import", now).await?;
        for (line, p) in slow {
            match self.write_person(tx, actor, p).await? {
                Ok((existed, changed)) => load.outcome.record(existed, changed),
                Err(outside) => return Ok(Err((line, outside))),
            }
            load.done += 1;
        }
        Ok(Ok(()))
    }

    /// Writes one person row inside the importer's area: a household key or ID number that
    /// belongs to another area is refused (the unique indexes say so), never taken over.
    async fn write_person(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        p: &ValidPerson,
    ) -> AppResult<Result<(bool, bool), OutsideRow>> {
        let now = self.now();
        let mut changed = false;
        let scope = actor.scope();
        let household_id = match registry::household_by_key(tx, scope, &p.household_key).await? {
            Some(h) => {
                if h.region_code != p.region || h.address != p.address {
                    registry::update_household(
                        tx, scope, h.id, h.version, p.region, &p.address, now,
                    )
                    .await?;
                    changed = true;
                }
                h.id
            }
            None => {
                changed = true;
                match registry::insert_household(
                    tx,
                    Some(&p.household_key),
                    p.region,
                    &p.address,
                    now,
                )
                .await
                {
                    Ok(id) => id,
                    Err(minsheng_store::StoreError::Conflict(_)) => {
                        return Ok(Err(OutsideRow {
                            field: "household_key",
                            message: "this household key belongs to a household outside your area",
                            refusal: Outside {
                                kind: "household",
                                id: p.household_key.clone(),
                                why: "household key of another area in an import",
                                answer: AppError::NotFound,
                            },
                        }));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let (person_id, existed) =
            match registry::person_by_id_number(tx, scope, p.id_number.as_str()).await? {
                Some(existing) => {
                    if existing.name != p.name || existing.phone != p.phone {
                        registry::update_person(
                            tx,
                            scope,
                            existing.id,
                            existing.version,
                            &p.name,
                            p.phone.as_deref(),
                            now,
                        )
                        .await?;
                        changed = true;
                    }
                    (existing.id, true)
                }
                None => {
                    let member = crate::registry::ValidMember {
                        id_number: p.id_number.clone(),
                        name: p.name.clone(),
                        relation: p.relation.clone(),
                        phone: p.phone.clone(),
                    };
                    match self
                        .person_here_or_new(tx, actor, &member, p.region, now)
                        .await?
                    {
                        Ok(id) => (id, false),
                        Err(refusal) => {
                            return Ok(Err(OutsideRow {
                                field: "id_number",
                                message: "this ID number is registered outside your area",
                                refusal,
                            }));
                        }
                    }
                }
            };
        let moved = registry::move_person(
            tx,
            scope,
            person_id,
            Some((household_id, &p.relation)),
            now,
            "import",
        )
        .await?;
        if let Some(m) = moved {
            changed = true;
            // A move between existing households is audited like any other; a new person's
            // first household is the import itself.
            if m.from_household.is_some() {
                write_audit(
                    tx,
                    actor,
                    "person.move",
                    Subject::new("person", &person_id.to_string()),
                    true,
                    &format!(
                        "from household {} ({}) to household {household_id} ({}): import",
                        m.from_household.unwrap_or_default(),
                        m.from_region,
                        m.to_region
                    ),
                )
                .await?;
            }
        }
        if p.relation == relation::HEAD {
            let head = registry::household(tx, scope, household_id)
                .await?
                .and_then(|h| h.head_person_id);
            if head != Some(person_id) {
                registry::set_head(tx, scope, household_id, Some(person_id), now).await?;
                changed = true;
            }
        }
        Ok(Ok((existed, changed)))
    }
}

/// A household this import created, as later chunks need it.
struct CreatedHousehold {
    id: i64,
    has_head: bool,
}

/// What the write pass carries from chunk to chunk.
#[derive(Default)]
struct BulkLoad {
    created: HashMap<String, CreatedHousehold>,
    /// Households of an earlier chunk that later chunks gave members: their search text is
    /// made again at the end.
    given_members: BTreeSet<i64>,
    /// Heads that came in a later chunk than their household: (household, person).
    heads: Vec<(i64, i64)>,
    outcome: Outcome,
    done: u64,
    /// The registry was empty when the write began (SQLite set its indexes aside).
    /// Looking registered keys up is then needless, and on PostgreSQL, whose statistics still
    /// say the tables are empty, each lookup scanned the rows of the chunks before it.
    first_load: bool,
}

impl BulkLoad {
    async fn finish(&mut self, tx: &mut WriteTx, scope: &Scope, now: i64) -> AppResult<()> {
        for household in std::mem::take(&mut self.given_members) {
            registry::refresh_search(tx, household).await?;
        }
        for (household, person) in std::mem::take(&mut self.heads) {
            registry::set_head(tx, scope, household, Some(person), now).await?;
        }
        Ok(())
    }
}
