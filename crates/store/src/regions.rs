//! The region tree and functional-zone overlays.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, vals};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct RegionRow {
    pub code: i64,
    pub name: String,
    pub parent_code: Option<i64>,
    pub level: String,
    pub official: bool,
}

const COLUMNS: &str = "code, name, parent_code, level, official";

/// Inserts or updates a region; returns whether anything changed (re-imports change nothing).
pub async fn upsert(c: &mut impl Conn, r: &RegionRow) -> Result<bool> {
    let sql = Sql::with(
        "INSERT INTO regions (code, name, parent_code, level, official) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, \
         level = excluded.level, official = excluded.official \
         WHERE regions.name <> excluded.name OR regions.level <> excluded.level \
         OR regions.official <> excluded.official \
         OR regions.parent_code IS DISTINCT FROM excluded.parent_code",
        vals![
            r.code,
            r.name.as_str(),
            r.parent_code,
            r.level.as_str(),
            r.official
        ],
    );
    Ok(c.execute(sql).await? > 0)
}

pub async fn get(c: &mut impl Conn, code: i64) -> Result<Option<RegionRow>> {
    c.optional(Sql::with(
        &format!("SELECT {COLUMNS} FROM regions WHERE code = $1"),
        vals![code],
    ))
    .await
}

pub async fn children(c: &mut impl Conn, code: i64) -> Result<Vec<RegionRow>> {
    c.all(Sql::with(
        &format!("SELECT {COLUMNS} FROM regions WHERE parent_code = $1 ORDER BY code"),
        vals![code],
    ))
    .await
}

pub async fn roots(c: &mut impl Conn) -> Result<Vec<RegionRow>> {
    c.all(Sql::new(&format!(
        "SELECT {COLUMNS} FROM regions WHERE parent_code IS NULL ORDER BY code"
    )))
    .await
}

/// Regions of a level inside a scope (zones are never inside one).
pub async fn in_scope(c: &mut impl Conn, scope: &Scope, level: &str) -> Result<Vec<RegionRow>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM regions WHERE level = "));
    sql.bind(level).push(" AND ");
    scope.sql_condition(&mut sql, "code");
    sql.push(" ORDER BY code");
    c.all(sql).await
}

pub async fn count(c: &mut impl Conn) -> Result<i64> {
    let (n,): (i64,) = c.one(Sql::new("SELECT COUNT(*) FROM regions")).await?;
    Ok(n)
}

pub async fn count_by_level(c: &mut impl Conn) -> Result<Vec<(String, i64)>> {
    c.all(Sql::new(
        "SELECT level, COUNT(*) FROM regions GROUP BY level ORDER BY level",
    ))
    .await
}

/// The chain from the root down to `code` (inclusive).
pub async fn ancestry(c: &mut impl Conn, code: i64) -> Result<Vec<RegionRow>> {
    // Parents contain their children (the import enforces it), so the ancestors are the code's
    // numeric prefixes: one query, in root-to-leaf order.
    let mut chain = Vec::new();
    let mut next = minsheng_domain::RegionCode::from_i64(code);
    while let Some(c) = next {
        chain.push(c.as_i64());
        next = c.numeric_parent();
    }
    if chain.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM regions WHERE code IN ("));
    for (i, code) in chain.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(code);
    }
    sql.push(") ORDER BY code");
    c.all(sql).await
}

pub async fn set_zone_members(c: &mut impl Conn, zone: i64, towns: &[i64]) -> Result<bool> {
    let existing = zone_members(c, zone).await?;
    let mut wanted = towns.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if existing == wanted {
        return Ok(false);
    }
    c.execute(Sql::with(
        "DELETE FROM zone_members WHERE zone_code = $1",
        vals![zone],
    ))
    .await?;
    for town in wanted {
        c.execute(Sql::with(
            "INSERT INTO zone_members (zone_code, town_code) VALUES ($1, $2)",
            vals![zone, town],
        ))
        .await?;
    }
    Ok(true)
}

pub async fn zone_members(c: &mut impl Conn, zone: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = c
        .all(Sql::with(
            "SELECT town_code FROM zone_members WHERE zone_code = $1 ORDER BY town_code",
            vals![zone],
        ))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The area a unit at `code` covers: its subtree, or for a zone the subtrees of its towns.
pub async fn scope_of(c: &mut impl Conn, code: i64) -> Result<Scope> {
    match get(c, code).await? {
        Some(region) => scope_for(c, code, &region.level).await,
        None => Ok(Scope::nothing()),
    }
}

/// [`scope_of`] when the region's level is already known (it comes with the user's row).
pub async fn scope_for(c: &mut impl Conn, code: i64, level: &str) -> Result<Scope> {
    if level == "zone" {
        let towns = zone_members(c, code).await?;
        return Ok(Scope::from_ranges(
            towns.into_iter().filter_map(subtree_of).collect(),
        ));
    }
    Ok(Scope::from_ranges(subtree_of(code).into_iter().collect()))
}

fn subtree_of(code: i64) -> Option<(i64, i64)> {
    minsheng_domain::RegionCode::from_i64(code).map(|c| c.subtree())
}

/// The next free community code under a town, for communities added without an official code.
pub async fn next_free_child_code(c: &mut impl Conn, town: i64) -> Result<Option<i64>> {
    let (max,): (Option<i64>,) = c
        .one(Sql::with(
            "SELECT MAX(code) FROM regions WHERE parent_code = $1",
            vals![town],
        ))
        .await?;
    let next = max.map_or(town + 1, |m| m + 1);
    Ok((next <= town + 999).then_some(next))
}
