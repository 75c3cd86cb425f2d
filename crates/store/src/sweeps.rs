//! Sweeps (扫楼 / 过筛子): campaigns over a community's households, with coverage.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, vals};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct SweepRow {
    pub id: i64,
    pub region_code: i64,
    pub region_name: String,
    pub name: String,
    pub created_at: i64,
    /// Households of the sweep's area.
    pub total: i64,
    /// Households visited in this sweep.
    pub visited: i64,
    pub concerns: i64,
}

const SWEEP_SELECT: &str = "SELECT s.id, s.region_code, r.name AS region_name, s.name, s.created_at, \
     (SELECT COUNT(*) FROM households h WHERE h.region_code BETWEEN s.region_code AND s.region_code + \
        CASE WHEN s.region_code % 1000 = 0 THEN 999 ELSE 0 END) AS total, \
     (SELECT COUNT(*) FROM sweep_visits v WHERE v.sweep_id = s.id) AS visited, \
     (SELECT COUNT(*) FROM sweep_visits v WHERE v.sweep_id = s.id AND v.finding = 'concern') AS concerns \
     FROM sweeps s JOIN regions r ON r.code = s.region_code";

pub async fn insert_sweep(
    c: &mut impl Conn,
    region_code: i64,
    name: &str,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO sweeps (region_code, name, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            vals![region_code, name, created_by, now],
        ))
        .await?;
    Ok(id)
}

pub async fn sweeps_in_scope(
    c: &mut impl Conn,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<SweepRow>> {
    let mut sql = Sql::new(SWEEP_SELECT);
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "s.region_code");
    sql.push(" ORDER BY s.created_at DESC LIMIT ")
        .bind(limit.clamp(1, 500));
    c.all(sql).await
}

pub async fn sweep(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<SweepRow>> {
    let mut sql = Sql::new(SWEEP_SELECT);
    sql.push(" WHERE s.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "s.region_code");
    c.optional(sql).await
}

/// A household of a sweep's area with what the sweep found there (if visited).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct SweepHouseholdRow {
    pub household_id: i64,
    pub address: String,
    pub head_name: Option<String>,
    pub finding: Option<String>,
    pub visited_at: Option<i64>,
}

/// The households of a sweep's area that lie in the caller's scope, with what the sweep found.
pub async fn sweep_households(
    c: &mut impl Conn,
    scope: &Scope,
    sweep_id: i64,
    region: (i64, i64),
    offset: i64,
    limit: i64,
) -> Result<Vec<SweepHouseholdRow>> {
    let mut sql = Sql::with(
        "SELECT h.id AS household_id, h.address, p.name AS head_name, v.finding, v.visited_at \
         FROM households h LEFT JOIN persons p ON p.id = h.head_person_id \
         LEFT JOIN sweep_visits v ON v.household_id = h.id AND v.sweep_id = $1 \
         WHERE h.region_code BETWEEN $2 AND $3 AND ",
        vals![sweep_id, region.0, region.1],
    );
    scope.sql_condition(&mut sql, "h.region_code");
    sql.push(" ORDER BY h.region_code, h.id LIMIT ")
        .bind(limit.clamp(1, 500))
        .push(" OFFSET ")
        .bind(offset.max(0));
    c.all(sql).await
}

pub struct SweepVisit<'a> {
    pub sweep_id: i64,
    pub household_id: i64,
    pub visited_by: Option<i64>,
    pub finding: &'a str,
    pub note: &'a str,
    pub clue_id: Option<i64>,
    pub now: i64,
}

/// Records (or corrects) the visit of one household in a sweep.
pub async fn record_sweep_visit(c: &mut impl Conn, v: &SweepVisit<'_>) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO sweep_visits (sweep_id, household_id, visited_by, visited_at, finding, note, clue_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sweep_id, household_id) DO UPDATE SET \
         visited_by = excluded.visited_by, visited_at = excluded.visited_at, finding = excluded.finding, \
         note = excluded.note, clue_id = COALESCE(excluded.clue_id, sweep_visits.clue_id)",
        vals![v.sweep_id, v.household_id, v.visited_by, v.now, v.finding, v.note, v.clue_id],
    ))
    .await?;
    Ok(())
}
