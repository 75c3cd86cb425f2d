//! The registry: households (户) and persons (人员), with membership history.
//!
//! Every function that reads or changes a household or person by id, key or ID number takes
//! the caller's [`Scope`] and applies it in its SQL: a household or person outside the area is
//! simply not found, and a write to one changes nothing. `population_rows` in `help.rs` is the
//! one named city-wide read (data matching, gated by its own action).

use serde::Serialize;
use sqlx::FromRow;

use minsheng_domain::text::{person_search_key, pinyin_of};

use crate::{Conn, Result, Scope, Sql, StoreError, vals};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct HouseholdRow {
    pub id: i64,
    pub external_key: Option<String>,
    pub region_code: i64,
    pub region_name: String,
    pub address: String,
    pub head_person_id: Option<i64>,
    pub head_name: Option<String>,
    pub head_id_number: Option<String>,
    pub members: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const HOUSEHOLD_COLUMNS: &str = "SELECT h.id, h.external_key, h.region_code, r.name AS region_name, h.address, \
     h.head_person_id, p.name AS head_name, p.id_number AS head_id_number, \
     (SELECT COUNT(*) FROM persons m WHERE m.household_id = h.id) AS members, \
     h.version, h.created_at, h.updated_at";

const HOUSEHOLD_JOINS: &str = " JOIN regions r ON r.code = h.region_code \
     LEFT JOIN persons p ON p.id = h.head_person_id";

fn household_select() -> String {
    format!("{HOUSEHOLD_COLUMNS} FROM households h{HOUSEHOLD_JOINS}")
}

/// Search and paging of a list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Free text: name or address contains it.
    pub text: Option<String>,
    /// A canonical ID number: exact match.
    pub id_number: Option<String>,
    /// Narrow to this region's subtree (still inside the user's scope).
    pub within: Option<(i64, i64)>,
    pub offset: i64,
    pub limit: i64,
}

/// The conditions every household list shares: the scope, a region's subtree and an ID number.
/// `column` is the region column of the table the list walks (the household's, or its
/// members' — kept equal by the registry).
fn list_conditions(sql: &mut Sql, scope: &Scope, f: &ListFilter, column: &str, household: &str) {
    scope.sql_condition(sql, column);
    if let Some((lo, hi)) = f.within {
        sql.push(&format!(" AND {column} BETWEEN "))
            .bind(lo)
            .push(" AND ")
            .bind(hi);
    }
    if let Some(id) = &f.id_number {
        sql.push(&format!(
            " AND {household} IN (SELECT household_id FROM persons WHERE id_number = "
        ))
        .bind(id.as_str())
        .push(")");
    }
}

/// The search of a list as it is looked up: trimmed, lower case, at most 64 characters (what a
/// person types, and a bound on the index's work); `None` when there is none.
fn search_text(f: &ListFilter) -> Option<String> {
    let text: String = f.text.as_deref()?.trim().chars().take(64).collect();
    (!text.is_empty()).then(|| text.to_lowercase())
}

/// Whether a search looks like the tail of an ID number (households with a member whose number
/// ends so come first).
fn id_tail(text: &str) -> bool {
    text.len() >= 4 && text.bytes().all(|b| b.is_ascii_digit() || b == b'x')
}

/// How many text-index matches a ranked (ID tail) search sorts at most: as many as a list
/// counts, so a common four-digit tail costs a bounded sort.
const RANKED_CANDIDATES: i64 = 1_000;

/// How a household list is answered. Each plan walks one index in the order it shows, so a
/// page costs about a page of index entries however many households match.
enum HouseholdSearch {
    /// Every household in the scope, in (region, id) order.
    All,
    /// One or two characters: the beginning of a member's name (`宋`), or of their pinyin
    /// initials when the text is Latin (`zs`), through `persons_name_1/2` and
    /// `persons_initials_1/2`, in (region, household) order.
    Prefix { column: &'static str, text: String },
    /// Three characters or more anywhere in the address, a member's name, pinyin or number
    /// tails, through the text index (SQLite FTS5 trigram, PostgreSQL pg_trgm), in id order;
    /// a text that looks like an ID number's tail ranks households with such a member first.
    /// The text is bound, never spliced: FTS syntax (`"`, `*`, `NEAR`, `OR`) is searched for as
    /// written.
    Text { text: String, ranked: bool },
}

impl HouseholdSearch {
    fn of(f: &ListFilter) -> HouseholdSearch {
        let Some(text) = search_text(f) else {
            return HouseholdSearch::All;
        };
        let chars = text.chars().count();
        if chars >= 3 {
            let ranked = id_tail(&text);
            return HouseholdSearch::Text { text, ranked };
        }
        let column = match (text.is_ascii(), chars) {
            (true, 1) => "substr(p.name_initials, 1, 1)",
            (true, _) => "substr(p.name_initials, 1, 2)",
            (false, 1) => "substr(p.name, 1, 1)",
            (false, _) => "substr(p.name, 1, 2)",
        };
        HouseholdSearch::Prefix { column, text }
    }

    /// The matching households' ids as `page_id` (and `rank` when ranked), in the plan's
    /// order; `page` adds that order and the page's limits, else the ids are only counted.
    fn push_ids(
        &self,
        sql: &mut Sql,
        scope: &Scope,
        f: &ListFilter,
        backend: crate::Backend,
        page: bool,
    ) {
        match self {
            HouseholdSearch::All => {
                sql.push("SELECT h.id AS page_id FROM households h WHERE ");
                list_conditions(sql, scope, f, "h.region_code", "h.id");
                if page {
                    sql.push(" ORDER BY h.region_code, h.id");
                }
            }
            HouseholdSearch::Prefix { column, text } => {
                sql.push("SELECT DISTINCT p.region_code, p.household_id AS page_id FROM persons p WHERE ")
                    .push(column)
                    .push(" = ")
                    .bind(text.as_str())
                    .push(" AND p.household_id IS NOT NULL AND ");
                list_conditions(sql, scope, f, "p.region_code", "p.household_id");
                if page {
                    sql.push(" ORDER BY p.region_code, p.household_id");
                }
            }
            HouseholdSearch::Text { text, ranked } => {
                // A count needs no rank.
                let ranked = *ranked && page;
                if ranked {
                    sql.push(
                        "SELECT page_id, CASE WHEN EXISTS (SELECT 1 FROM persons t \
                         WHERE t.household_id = page_id AND lower(t.id_number) LIKE ",
                    )
                    .bind(format!("%{text}"))
                    .push(") THEN 0 ELSE 1 END AS rank FROM (");
                }
                match backend {
                    crate::Backend::Sqlite => {
                        sql.push(
                            "SELECT households_fts.rowid AS page_id FROM households_fts \
                             JOIN households h ON h.id = households_fts.rowid \
                             WHERE households_fts MATCH ",
                        )
                        .bind(fts_phrase(text))
                        .push(" AND ");
                    }
                    crate::Backend::Postgres => {
                        sql.push(
                            "SELECT h.id AS page_id FROM households h WHERE h.search_text LIKE ",
                        )
                        .bind(like_pattern(text))
                        .push(" ESCAPE '\\' AND ");
                    }
                }
                list_conditions(sql, scope, f, "h.region_code", "h.id");
                if ranked {
                    sql.push(" ORDER BY page_id LIMIT ")
                        .bind(RANKED_CANDIDATES)
                        .push(") candidates");
                    if page {
                        sql.push(" ORDER BY rank, page_id");
                    }
                } else if page {
                    sql.push(" ORDER BY page_id");
                }
            }
        }
        if page {
            sql.push(" LIMIT ")
                .bind(f.limit.clamp(1, 1000))
                .push(" OFFSET ")
                .bind(f.offset.max(0));
        }
    }

    /// The order of the full rows, as the ids came.
    fn order(&self) -> &'static str {
        match self {
            HouseholdSearch::All | HouseholdSearch::Prefix { .. } => "h.region_code, h.id",
            HouseholdSearch::Text { ranked: true, .. } => "page.rank, h.id",
            HouseholdSearch::Text { ranked: false, .. } => "h.id",
        }
    }
}

/// A text as one FTS5 phrase: quoted, its quotes doubled, so FTS syntax (`*`, `NEAR`, `OR`,
/// `"`) is searched for as written.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `%text%` with LIKE's wildcards escaped, so a user's `%` matches only a `%`.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for ch in text.trim().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// A page of households in the scope, found by a search (see [`HouseholdSearch`]). First the
/// page's ids from one index walk; then the page's rows in full (joins and member counts only
/// for rows that are shown).
pub async fn list_households(
    c: &mut impl Conn,
    scope: &Scope,
    f: &ListFilter,
) -> Result<Vec<HouseholdRow>> {
    let search = HouseholdSearch::of(f);
    let mut sql = Sql::new(HOUSEHOLD_COLUMNS);
    sql.push(" FROM (");
    search.push_ids(&mut sql, scope, f, c.backend(), true);
    sql.push(") page JOIN households h ON h.id = page.page_id")
        .push(HOUSEHOLD_JOINS)
        .push(" ORDER BY ")
        .push(search.order());
    c.all(sql).await
}

/// Counts matching households, stopping at `cap` so a count never scans a whole city.
pub async fn count_households(
    c: &mut impl Conn,
    scope: &Scope,
    f: &ListFilter,
    cap: i64,
) -> Result<i64> {
    let search = HouseholdSearch::of(f);
    let mut sql = Sql::new("SELECT COUNT(*) FROM (");
    search.push_ids(&mut sql, scope, f, c.backend(), false);
    sql.push(" LIMIT ").bind(cap).push(") capped");
    let (n,): (i64,) = c.one(sql).await?;
    Ok(n)
}

pub async fn household(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<HouseholdRow>> {
    let mut sql = Sql::new(&household_select());
    sql.push(" WHERE h.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "h.region_code");
    c.optional(sql).await
}

/// A household by the key an import gave it, inside the scope.
pub async fn household_by_key(
    c: &mut impl Conn,
    scope: &Scope,
    key: &str,
) -> Result<Option<HouseholdRow>> {
    let mut sql = Sql::new(&household_select());
    sql.push(" WHERE h.external_key = ").bind(key).push(" AND ");
    scope.sql_condition(&mut sql, "h.region_code");
    c.optional(sql).await
}

pub async fn insert_household(
    c: &mut impl Conn,
    external_key: Option<&str>,
    region_code: i64,
    address: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO households (external_key, region_code, address, search_text, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
            vals![external_key, region_code, address, address.to_lowercase(), now],
        ))
        .await?;
    Ok(id)
}

/// The SQL that joins the members' search keys with spaces, in each backend's words.
fn keys_joined(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Sqlite => "group_concat(search_key, ' ')",
        crate::Backend::Postgres => "string_agg(search_key, ' ')",
    }
}

/// Recomputes a household's search text from its address and its members' keys (in the
/// writing transaction; SQLite's FTS index follows by trigger, PostgreSQL's trigram index by
/// itself). Every change to an address, a member's name or phone, or who the members are
/// calls it.
pub async fn refresh_search(c: &mut impl Conn, household_id: i64) -> Result<()> {
    let aggregate = keys_joined(c.backend());
    c.execute(Sql::with(
        &format!(
            "UPDATE households SET search_text = lower(address) || ' ' || \
             COALESCE((SELECT {aggregate} FROM persons WHERE household_id = $1), '') WHERE id = $1"
        ),
        vals![household_id],
    ))
    .await?;
    Ok(())
}

/// The search text of a household written in bulk: as [`refresh_search`] makes it.
pub fn household_search_text<'a>(address: &str, keys: impl Iterator<Item = &'a str>) -> String {
    let keys: Vec<&str> = keys.collect();
    format!("{} {}", address.to_lowercase(), keys.join(" "))
}

/// The tables whose rows follow their household to a new area (their `region_code` is the
/// household's). Money ledgers (`benefits`, `fund_ledger`, emergency cases' fund town) keep
/// where the money came from, and open leads the place their clues were about.
const FOLLOWS_ITS_HOUSEHOLD: [&str; 9] = [
    "household_files",
    "followups",
    "assessments",
    "assistance_plans",
    "referrals",
    "grid_links",
    "resource_matches",
    "appeals",
    "volunteer_assignments",
];

/// Saves a household's editable fields if nobody saved since `expected_version` was read.
/// The household must lie in the scope now and the new region too (else `NotFound`). When its
/// region changes, its members and its own records (files, follow-ups, assessments, plans,
/// referrals, grid links, matches, appeals, volunteer assignments) move with it, so only its
/// new area's officers reach them. Returns the region it had.
#[allow(clippy::too_many_arguments)]
pub async fn update_household(
    c: &mut impl Conn,
    scope: &Scope,
    id: i64,
    expected_version: i64,
    region_code: i64,
    address: &str,
    now: i64,
) -> Result<i64> {
    if !scope.contains(region_code) {
        return Err(StoreError::NotFound);
    }
    let mut sql = Sql::new("SELECT region_code FROM households WHERE id = ");
    sql.bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    let before: Option<(i64,)> = c.optional(sql).await?;
    let Some((old_region,)) = before else {
        return Err(StoreError::NotFound);
    };
    let mut sql = Sql::with(
        "UPDATE households SET region_code = $1, address = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5 AND ",
        vals![region_code, address, now, id, expected_version],
    );
    scope.sql_condition(&mut sql, "region_code");
    let n = c.execute(sql).await?;
    if n == 0 {
        return Err(stale_or_missing(c, scope, "households", id).await?);
    }
    refresh_search(c, id).await?;
    if old_region == region_code {
        return Ok(old_region);
    }
    // Members live where their household lives, and its records go with it.
    c.execute(Sql::with(
        "UPDATE persons SET region_code = $1 WHERE household_id = $2 AND region_code <> $1",
        vals![region_code, id],
    ))
    .await?;
    for table in FOLLOWS_ITS_HOUSEHOLD {
        c.execute(Sql::with(
            &format!("UPDATE {table} SET region_code = $1 WHERE household_id = $2"),
            vals![region_code, id],
        ))
        .await?;
    }
    // The file's state is counted in its new town (the figures' counts follow their rows).
    let file_state: Option<(String,)> = c
        .optional(Sql::with(
            "SELECT state FROM household_files WHERE household_id = $1",
            vals![id],
        ))
        .await?;
    if let Some((state,)) = file_state {
        crate::discovery::move_file_town(c, old_region, region_code, &state).await?;
    }
    Ok(old_region)
}

/// Makes a member the household's head (or none). Both must lie in the scope.
pub async fn set_head(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
    person_id: Option<i64>,
    now: i64,
) -> Result<()> {
    let mut sql = Sql::with(
        "UPDATE households SET head_person_id = $1, version = version + 1, updated_at = $2 WHERE id = $3 \
         AND ($1 IS NULL OR EXISTS (SELECT 1 FROM persons p WHERE p.id = $1 AND p.household_id = $3)) AND ",
        vals![person_id, now, household_id],
    );
    scope.sql_condition(&mut sql, "region_code");
    if c.execute(sql).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// After a guarded write changed nothing: `Stale` when the record is there (in the scope) but
/// was saved since, `NotFound` when it is not there for this caller.
async fn stale_or_missing(
    c: &mut impl Conn,
    scope: &Scope,
    table: &str,
    id: i64,
) -> Result<StoreError> {
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE id = "));
    sql.bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    let found: Option<(i64,)> = c.optional(sql).await?;
    Ok(if found.is_some() {
        StoreError::Stale
    } else {
        StoreError::NotFound
    })
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct PersonRow {
    pub id: i64,
    pub id_number: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub household_id: Option<i64>,
    pub relation_code: Option<String>,
    pub region_code: i64,
    pub region_name: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const PERSON_SELECT: &str = "SELECT p.id, p.id_number, p.name, p.sex, p.birth_date, p.phone, p.household_id, \
     p.relation_code, p.region_code, r.name AS region_name, p.version, p.created_at, p.updated_at \
     FROM persons p JOIN regions r ON r.code = p.region_code";

/// The conditions of a person list: the scope, a subtree, an ID number and a search — found by
/// any part of the name, pinyin (full or initials) or the tails of the ID number and phone
/// (`persons.search_key`): one or two characters at the beginning of the name or initials
/// through their prefix indexes; three or more through the households' text index (the search
/// text holds the members' keys) and, for the few persons in no household, their own key.
fn person_conditions(sql: &mut Sql, scope: &Scope, f: &ListFilter, backend: crate::Backend) {
    sql.push(" WHERE ");
    scope.sql_condition(sql, "p.region_code");
    if let Some((lo, hi)) = f.within {
        sql.push(" AND p.region_code BETWEEN ")
            .bind(lo)
            .push(" AND ")
            .bind(hi);
    }
    if let Some(id) = &f.id_number {
        sql.push(" AND p.id_number = ").bind(id.as_str());
    }
    match HouseholdSearch::of(f) {
        HouseholdSearch::All => {}
        HouseholdSearch::Prefix { column, text } => {
            sql.push(" AND ").push(column).push(" = ").bind(text);
        }
        HouseholdSearch::Text { text, .. } => {
            sql.push(" AND p.search_key LIKE ")
                .bind(like_pattern(&text))
                .push(" ESCAPE '\\' AND (p.household_id IS NULL OR p.household_id IN (");
            match backend {
                crate::Backend::Sqlite => {
                    sql.push("SELECT rowid FROM households_fts WHERE households_fts MATCH ")
                        .bind(fts_phrase(&text));
                }
                crate::Backend::Postgres => {
                    sql.push("SELECT id FROM households WHERE search_text LIKE ")
                        .bind(like_pattern(&text))
                        .push(" ESCAPE '\\'");
                }
            }
            sql.push("))");
        }
    }
}

/// The order of a person list: a search that looks like an ID number's tail puts the persons
/// whose number ends so first.
fn person_order(sql: &mut Sql, f: &ListFilter) {
    sql.push(" ORDER BY ");
    if let Some(tail) = search_text(f).filter(|t| id_tail(t)) {
        sql.push("CASE WHEN lower(p.id_number) LIKE ")
            .bind(format!("%{tail}"))
            .push(" THEN 0 ELSE 1 END, ");
    }
    sql.push("p.region_code, p.id");
}

pub async fn list_persons(
    c: &mut impl Conn,
    scope: &Scope,
    f: &ListFilter,
) -> Result<Vec<PersonRow>> {
    let mut sql = Sql::new(PERSON_SELECT);
    person_conditions(&mut sql, scope, f, c.backend());
    person_order(&mut sql, f);
    sql.push(" LIMIT ")
        .bind(f.limit.clamp(1, 1000))
        .push(" OFFSET ")
        .bind(f.offset.max(0));
    c.all(sql).await
}

pub async fn count_persons(
    c: &mut impl Conn,
    scope: &Scope,
    f: &ListFilter,
    cap: i64,
) -> Result<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM persons p");
    person_conditions(&mut sql, scope, f, c.backend());
    sql.push(" LIMIT ").bind(cap).push(") capped");
    let (n,): (i64,) = c.one(sql).await?;
    Ok(n)
}

pub async fn person(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<PersonRow>> {
    let mut sql = Sql::new(PERSON_SELECT);
    sql.push(" WHERE p.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "p.region_code");
    c.optional(sql).await
}

/// A person by ID number, inside the scope. A number registered outside it is not found; an
/// insert of it then fails on the unique index, which the caller turns into a refusal.
pub async fn person_by_id_number(
    c: &mut impl Conn,
    scope: &Scope,
    id_number: &str,
) -> Result<Option<PersonRow>> {
    let mut sql = Sql::new(PERSON_SELECT);
    sql.push(" WHERE p.id_number = ")
        .bind(id_number)
        .push(" AND ");
    scope.sql_condition(&mut sql, "p.region_code");
    c.optional(sql).await
}

/// The members of a household inside the scope (members live where their household lives).
pub async fn members(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Vec<PersonRow>> {
    let mut sql = Sql::new(PERSON_SELECT);
    sql.push(" WHERE p.household_id = ")
        .bind(household_id)
        .push(" AND ");
    scope.sql_condition(&mut sql, "p.region_code");
    sql.push(" ORDER BY p.relation_code, p.birth_date");
    c.all(sql).await
}

/// Persons of a name inside the scope with their household's address and their region:
/// `(person, household, address, region)`.
pub async fn persons_named(
    c: &mut impl Conn,
    scope: &Scope,
    name: &str,
    limit: i64,
) -> Result<Vec<(i64, Option<i64>, Option<String>, i64)>> {
    let mut sql = Sql::with(
        "SELECT p.id, p.household_id, h.address, p.region_code FROM persons p \
         LEFT JOIN households h ON h.id = p.household_id WHERE p.name = $1 AND ",
        vals![name],
    );
    scope.sql_condition(&mut sql, "p.region_code");
    sql.push(" LIMIT ").bind(limit.clamp(1, 1000));
    c.all(sql).await
}

pub struct NewPerson<'a> {
    pub id_number: &'a str,
    pub name: &'a str,
    pub sex: &'a str,
    pub birth_date: &'a str,
    pub phone: Option<&'a str>,
    pub region_code: i64,
    pub now: i64,
}

pub async fn insert_person(c: &mut impl Conn, p: &NewPerson<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO persons (id_number, name, sex, birth_date, phone, region_code, name_initials, search_key, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING id",
            vals![p.id_number, p.name, p.sex, p.birth_date, p.phone, p.region_code,
                pinyin_of(p.name).1, person_search_key(p.name, p.id_number, p.phone), p.now],
        ))
        .await?;
    Ok(id)
}

/// Saves a person's editable fields if nobody saved since `expected_version` was read; a person
/// outside the scope is `NotFound`.
pub async fn update_person(
    c: &mut impl Conn,
    scope: &Scope,
    id: i64,
    expected_version: i64,
    name: &str,
    phone: Option<&str>,
    now: i64,
) -> Result<()> {
    let mut sql = Sql::with(
        "UPDATE persons SET name = $1, phone = $2, name_initials = $3, version = version + 1, \
         updated_at = $4 WHERE id = $5 AND version = $6 AND ",
        vals![name, phone, pinyin_of(name).1, now, id, expected_version],
    );
    scope.sql_condition(&mut sql, "region_code");
    let n = c.execute(sql).await?;
    if n == 0 {
        return Err(stale_or_missing(c, scope, "persons", id).await?);
    }
    // In the scope (the update found it): its search key, and its household's search text.
    let (id_number, household): (String, Option<i64>) = c
        .one(Sql::with(
            "SELECT id_number, household_id FROM persons WHERE id = $1",
            vals![id],
        ))
        .await?;
    c.execute(Sql::with(
        "UPDATE persons SET search_key = $1 WHERE id = $2",
        vals![person_search_key(name, &id_number, phone), id],
    ))
    .await?;
    if let Some(household) = household {
        refresh_search(c, household).await?;
    }
    Ok(())
}

/// A person's move between households, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonMove {
    pub person_id: i64,
    pub from_household: Option<i64>,
    pub from_region: i64,
    pub to_household: Option<i64>,
    pub to_region: i64,
}

/// Moves a person into a household (or out of any), closing the previous membership so the
/// history stays whole. The person and the target household must both lie in the scope
/// (else `NotFound`): nobody moves a person out of, or into, another area. Returns the move,
/// or `None` when they already belong there with that relation.
pub async fn move_person(
    c: &mut impl Conn,
    scope: &Scope,
    person_id: i64,
    to: Option<(i64, &str)>,
    now: i64,
    note: &str,
) -> Result<Option<PersonMove>> {
    let mut sql =
        Sql::new("SELECT household_id, relation_code, region_code FROM persons WHERE id = ");
    sql.bind(person_id).push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    let current: Option<(Option<i64>, Option<String>, i64)> = c.optional(sql).await?;
    let Some((current_household, current_relation, from_region)) = current else {
        return Err(StoreError::NotFound);
    };
    let to_region = match to {
        Some((household, _)) => {
            let mut sql = Sql::new("SELECT region_code FROM households WHERE id = ");
            sql.bind(household).push(" AND ");
            scope.sql_condition(&mut sql, "region_code");
            let found: Option<(i64,)> = c.optional(sql).await?;
            found.ok_or(StoreError::NotFound)?.0
        }
        None => from_region,
    };
    let target = to.map(|(h, r)| (h, r.to_string()));
    if current_household.zip(current_relation) == target {
        return Ok(None);
    }
    c.execute(Sql::with(
        "UPDATE household_memberships SET left_at = $1 WHERE person_id = $2 AND left_at IS NULL",
        vals![now, person_id],
    ))
    .await?;
    if let Some(old) = current_household {
        // A head who leaves stops being head.
        c.execute(Sql::with(
            "UPDATE households SET head_person_id = NULL, version = version + 1, updated_at = $1 \
             WHERE id = $2 AND head_person_id = $3",
            vals![now, old, person_id],
        ))
        .await?;
    }
    match to {
        Some((household_id, relation)) => {
            c.execute(Sql::with(
                "INSERT INTO household_memberships (person_id, household_id, relation_code, joined_at, note) \
                 VALUES ($1, $2, $3, $4, $5)",
                vals![person_id, household_id, relation, now, note],
            ))
            .await?;
            c.execute(Sql::with(
                "UPDATE persons SET household_id = $1, relation_code = $2, \
                 region_code = (SELECT region_code FROM households WHERE id = $1), \
                 version = version + 1, updated_at = $3 WHERE id = $4",
                vals![household_id, relation, now, person_id],
            ))
            .await?;
        }
        None => {
            c.execute(Sql::with(
                "UPDATE persons SET household_id = NULL, relation_code = NULL, version = version + 1, \
                 updated_at = $1 WHERE id = $2",
                vals![now, person_id],
            ))
            .await?;
        }
    }
    // Both households' search texts follow who their members are.
    for household in current_household.into_iter().chain(to.map(|(h, _)| h)) {
        refresh_search(c, household).await?;
    }
    Ok(Some(PersonMove {
        person_id,
        from_household: current_household,
        from_region,
        to_household: to.map(|(h, _)| h),
        to_region,
    }))
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct MembershipRow {
    pub household_id: i64,
    pub address: String,
    pub relation_code: String,
    pub joined_at: i64,
    pub left_at: Option<i64>,
    pub note: String,
}

/// A person's households over time, for a person inside the scope. The address of a past
/// household outside the scope is left empty: where someone lived in another area is that
/// area's to tell.
pub async fn membership_history(
    c: &mut impl Conn,
    scope: &Scope,
    person_id: i64,
) -> Result<Vec<MembershipRow>> {
    let mut sql = Sql::new("SELECT m.household_id, CASE WHEN ");
    scope.sql_condition(&mut sql, "h.region_code");
    sql.push(
        " THEN h.address ELSE '' END AS address, m.relation_code, m.joined_at, m.left_at, m.note \
         FROM household_memberships m JOIN households h ON h.id = m.household_id \
         JOIN persons p ON p.id = m.person_id WHERE m.person_id = ",
    )
    .bind(person_id)
    .push(" AND ");
    scope.sql_condition(&mut sql, "p.region_code");
    sql.push(" ORDER BY m.joined_at, m.id");
    c.all(sql).await
}

pub async fn count_all(c: &mut impl Conn) -> Result<(i64, i64)> {
    let (h,): (i64,) = c.one(Sql::new("SELECT COUNT(*) FROM households")).await?;
    let (p,): (i64,) = c.one(Sql::new("SELECT COUNT(*) FROM persons")).await?;
    Ok((h, p))
}

/// Households and persons per district inside a scope: `(district code, households, persons)`.
pub async fn counts_by_district(c: &mut impl Conn, scope: &Scope) -> Result<Vec<(i64, i64, i64)>> {
    let mut households_sql = Sql::new(
        "SELECT (h.region_code / 1000000) * 1000000 AS district, COUNT(*) FROM households h WHERE ",
    );
    scope.sql_condition(&mut households_sql, "h.region_code");
    households_sql.push(" GROUP BY (h.region_code / 1000000) * 1000000");
    let households: Vec<(i64, i64)> = c.all(households_sql).await?;
    let mut persons_sql = Sql::new(
        "SELECT (p.region_code / 1000000) * 1000000 AS district, COUNT(*) FROM persons p WHERE ",
    );
    scope.sql_condition(&mut persons_sql, "p.region_code");
    persons_sql.push(" GROUP BY (p.region_code / 1000000) * 1000000");
    let persons: std::collections::HashMap<i64, i64> = c
        .all::<(i64, i64)>(persons_sql)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<(i64, i64, i64)> = households
        .into_iter()
        .map(|(d, n)| (d, n, persons.get(&d).copied().unwrap_or(0)))
        .collect();
    out.sort_unstable();
    Ok(out)
}

// ---- bulk import ------------------------------------------------------------------------------

/// Keys per lookup statement: SQLite finds numbered parameters by a linear scan, so a few
/// hundred per statement keeps the lookup linear in the file.
const LOOKUP_CHUNK: usize = 200;

async fn taken(
    c: &mut impl Conn,
    select: &str,
    column: &str,
    values: &[&str],
) -> Result<std::collections::HashSet<String>> {
    let mut found = std::collections::HashSet::new();
    for chunk in values.chunks(LOOKUP_CHUNK) {
        let mut sql = Sql::new(select);
        sql.push(" WHERE ").push(column).push(" IN (");
        for (i, value) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*value);
        }
        sql.push(")");
        let rows: Vec<(String,)> = c.all(sql).await?;
        found.extend(rows.into_iter().map(|(v,)| v));
    }
    Ok(found)
}

/// Which of these household keys are taken, in any area: only whether, as the unique index
/// would tell an insert, never the household. An import sends the rows of new households and
/// new persons down its bulk path and every other row through the scoped, audited one.
pub async fn taken_household_keys(
    c: &mut impl Conn,
    keys: &[&str],
) -> Result<std::collections::HashSet<String>> {
    taken(
        c,
        "SELECT external_key FROM households",
        "external_key",
        keys,
    )
    .await
}

/// Which of these ID numbers are registered, in any area: only whether (see
/// [`taken_household_keys`]).
pub async fn registered_id_numbers(
    c: &mut impl Conn,
    id_numbers: &[&str],
) -> Result<std::collections::HashSet<String>> {
    taken(c, "SELECT id_number FROM persons", "id_number", id_numbers).await
}

/// A household new to the registry, written by the bulk path with an id given in advance.
#[derive(Debug, Clone)]
pub struct BulkHousehold {
    pub id: i64,
    pub external_key: Option<String>,
    pub region_code: i64,
    pub address: String,
    pub head_person_id: Option<i64>,
    /// As [`household_search_text`] makes it from the address and the members' keys.
    pub search_text: String,
}

/// A person new to the registry, joining a household of the same load.
#[derive(Debug, Clone)]
pub struct BulkPerson {
    pub id: i64,
    pub id_number: String,
    pub name: String,
    /// The name's pinyin initials (`minsheng_domain::text::pinyin_of`), worked out by the
    /// caller where it has threads to spare.
    pub initials: String,
    pub sex: &'static str,
    pub birth_date: String,
    pub phone: Option<String>,
    pub household_id: i64,
    pub relation_code: String,
    pub region_code: i64,
    /// `minsheng_domain::text::person_search_key` of the person.
    pub search_key: String,
}

/// The first free household and person ids for a bulk load in this transaction. On
/// PostgreSQL other writers of the registry wait until it ends (the ids stay free); SQLite's
/// write transaction already excludes them.
pub async fn reserve_bulk_ids(tx: &mut crate::WriteTx) -> Result<(i64, i64)> {
    if tx.backend() == crate::Backend::Postgres {
        tx.execute(Sql::new(
            "LOCK TABLE households, persons, household_memberships IN SHARE ROW EXCLUSIVE MODE",
        ))
        .await?;
    }
    let (household,): (i64,) = tx
        .one(Sql::new("SELECT COALESCE(MAX(id), 0) + 1 FROM households"))
        .await?;
    let (person,): (i64,) = tx
        .one(Sql::new("SELECT COALESCE(MAX(id), 0) + 1 FROM persons"))
        .await?;
    Ok((household, person))
}

/// Indexes set aside for a registry's first load on SQLite: the statements that make them
/// again.
#[derive(Debug)]
pub struct SetAside {
    statements: Vec<String>,
}

/// Whether the registry holds no household and no person: an import into it is a first load.
pub async fn is_empty(c: &mut impl Conn) -> Result<bool> {
    let (taken,): (bool,) = c
        .one(Sql::new(
            "SELECT EXISTS (SELECT 1 FROM persons) OR EXISTS (SELECT 1 FROM households)",
        ))
        .await?;
    Ok(!taken)
}

/// For a first load ([`is_empty`]) on SQLite: drops, inside the load's transaction, the
/// registry tables' non-unique indexes and the trigger that feeds the full-text index, so the
/// rows go in without a random index insert each; [`build_set_aside`] makes them again from
/// their own stored SQL before the transaction ends. Readers never see the tables without
/// them (the drop and the build commit together). The unique keys stay. PostgreSQL answers
/// `None` and changes nothing.
pub async fn set_aside_indexes(tx: &mut crate::WriteTx) -> Result<Option<SetAside>> {
    if tx.backend() != crate::Backend::Sqlite {
        return Ok(None);
    }
    let objects: Vec<(String, String, String)> = tx
        .all(Sql::new(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL \
             AND tbl_name IN ('households', 'persons', 'household_memberships') \
             AND (type = 'index' OR (type = 'trigger' AND name = 'households_fts_insert')) \
             ORDER BY type, name",
        ))
        .await?;
    let mut statements = Vec::with_capacity(objects.len());
    for (kind, name, sql) in objects {
        let drop = if kind == "index" { "INDEX" } else { "TRIGGER" };
        tx.execute(Sql::new(&format!("DROP {drop} {name}"))).await?;
        statements.push(sql);
    }
    Ok(Some(SetAside { statements }))
}

/// Fills the full-text index from the households written and makes the set-aside indexes and
/// trigger again.
pub async fn build_set_aside(tx: &mut crate::WriteTx, set_aside: SetAside) -> Result<()> {
    tx.execute(Sql::new(
        "INSERT INTO households_fts (rowid, search_text) SELECT id, search_text FROM households",
    ))
    .await?;
    for sql in set_aside.statements {
        tx.execute(Sql::new(&sql)).await?;
    }
    Ok(())
}

/// Writes households new to the registry with multi-row inserts (ids from
/// [`reserve_bulk_ids`]; a head may be a person of the same load not written yet).
pub async fn insert_bulk_households(
    tx: &mut crate::WriteTx,
    households: Vec<BulkHousehold>,
    now: i64,
) -> Result<()> {
    use crate::Value;
    let rows = households
        .into_iter()
        .map(|h| {
            vec![
                Value::Int(h.id),
                Value::OptText(h.external_key),
                Value::Int(h.region_code),
                Value::Text(h.address),
                Value::OptInt(h.head_person_id),
                Value::Text(h.search_text),
                Value::Int(1),
                Value::Int(now),
                Value::Int(now),
            ]
        })
        .collect();
    crate::bulk_insert(
        tx,
        "households",
        &[
            "id",
            "external_key",
            "region_code",
            "address",
            "head_person_id",
            "search_text",
            "version",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    crate::sync_identity(tx, "households").await
}

/// Writes persons new to the registry and their first memberships with multi-row inserts.
pub async fn insert_bulk_persons(
    tx: &mut crate::WriteTx,
    persons: Vec<BulkPerson>,
    note: &str,
    now: i64,
) -> Result<()> {
    use crate::Value;
    let mut memberships = Vec::with_capacity(persons.len());
    let mut person_rows = Vec::with_capacity(persons.len());
    for p in persons {
        memberships.push(vec![
            Value::Int(p.id),
            Value::Int(p.household_id),
            Value::Text(p.relation_code.clone()),
            Value::Int(now),
            Value::Text(note.to_string()),
        ]);
        person_rows.push(vec![
            Value::Int(p.id),
            Value::Text(p.id_number),
            Value::Text(p.initials),
            Value::Text(p.search_key),
            Value::Text(p.name),
            Value::Text(p.sex.to_string()),
            Value::Text(p.birth_date),
            Value::OptText(p.phone),
            Value::Int(p.household_id),
            Value::Text(p.relation_code),
            Value::Int(p.region_code),
            Value::Int(1),
            Value::Int(now),
            Value::Int(now),
        ]);
    }
    crate::bulk_insert(
        tx,
        "persons",
        &[
            "id",
            "id_number",
            "name_initials",
            "search_key",
            "name",
            "sex",
            "birth_date",
            "phone",
            "household_id",
            "relation_code",
            "region_code",
            "version",
            "created_at",
            "updated_at",
        ],
        person_rows,
    )
    .await?;
    crate::bulk_insert(
        tx,
        "household_memberships",
        &[
            "person_id",
            "household_id",
            "relation_code",
            "joined_at",
            "note",
        ],
        memberships,
    )
    .await?;
    crate::sync_identity(tx, "persons").await
}

/// Fills the search columns of rows written before they existed (a database migrated to
/// version 20): every person without a key, then every household without search text.
/// Returns how many persons it keyed; nothing to do costs two indexed queries.
pub async fn backfill_search(tx: &mut crate::WriteTx) -> Result<u64> {
    let mut keyed = 0u64;
    loop {
        let rows: Vec<(i64, String, String, Option<String>)> = tx
            .all(Sql::new(
                "SELECT id, name, id_number, phone FROM persons WHERE search_key = '' LIMIT 5000",
            ))
            .await?;
        if rows.is_empty() {
            break;
        }
        for (id, name, id_number, phone) in &rows {
            tx.execute(Sql::with(
                "UPDATE persons SET search_key = $1, name_initials = $2 WHERE id = $3",
                vals![
                    person_search_key(name, id_number, phone.as_deref()),
                    pinyin_of(name).1,
                    *id
                ],
            ))
            .await?;
        }
        keyed += rows.len() as u64;
    }
    let aggregate = keys_joined(tx.backend());
    tx.execute(Sql::new(&format!(
        "UPDATE households SET search_text = lower(address) || ' ' || \
         COALESCE((SELECT {aggregate} FROM persons WHERE household_id = households.id), '') \
         WHERE search_text = ''"
    )))
    .await?;
    Ok(keyed)
}
