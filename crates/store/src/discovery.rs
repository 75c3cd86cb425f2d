//! Proactive discovery: clues, the leads they merge into, visits, household files, the
//! household timeline and the three-level work groups.
//!
//! Every function that reads or changes a lead, clue or household file by id or key takes the
//! caller's [`Scope`] and applies it in SQL. Appends that only add a line to a record the use
//! case has already reached through a scoped lookup (a clue, a visit, a photo, a timeline line,
//! a count) take its id as given.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, StoreError, vals};

// ---------- leads and clues ----------

/// What a new clue brings to its lead.
#[derive(Debug, Clone)]
pub struct LeadInput<'a> {
    pub match_key: &'a str,
    pub region_code: i64,
    pub person_id: Option<i64>,
    pub household_id: Option<i64>,
    pub subject_name: &'a str,
    pub address: &'a str,
    pub urgency: &'a str,
    pub channel: &'a str,
    pub now: i64,
    pub due_at: i64,
    pub escalate_town_at: i64,
    pub escalate_district_at: i64,
}

fn urgency_rank(u: &str) -> i64 {
    match u {
        "emergency" => 2,
        "urgent" => 1,
        _ => 0,
    }
}

/// Opens a lead for the match key, or merges into the open one: returns (lead id, merged).
/// The partial unique index on open match keys makes this safe under concurrent submissions.
/// The key starts with the lead's region, and the lead merged into must lie in the scope: a
/// clue never joins (nor reveals) another area's lead.
pub async fn open_or_merge_lead(
    c: &mut impl Conn,
    scope: &Scope,
    l: &LeadInput<'_>,
) -> Result<(i64, bool)> {
    if !scope.contains(l.region_code) {
        return Err(StoreError::NotFound);
    }
    let inserted: Option<(i64,)> = c
        .optional(Sql::with(
            "INSERT INTO leads (match_key, is_open, region_code, person_id, household_id, subject_name, address, \
             urgency, sources, channels, status, first_clue_at, due_at, escalate_town_at, escalate_district_at, \
             version, updated_at) \
             VALUES ($1, TRUE, $2, $3, $4, $5, $6, $7, 1, $8, 'open', $9, $10, $11, $12, 1, $9) \
             ON CONFLICT (match_key) WHERE is_open DO NOTHING RETURNING id",
            vals![
                l.match_key,
                l.region_code,
                l.person_id,
                l.household_id,
                l.subject_name,
                l.address,
                l.urgency,
                l.channel,
                l.now,
                l.due_at,
                l.escalate_town_at,
                l.escalate_district_at
            ],
        ))
        .await?;
    if let Some((id,)) = inserted {
        return Ok((id, false));
    }
    let (id, urgency, channels, due_at, town_at, district_at): (
        i64,
        String,
        String,
        i64,
        i64,
        i64,
    ) = {
        let mut sql = Sql::with(
            "SELECT id, urgency, channels, due_at, escalate_town_at, escalate_district_at \
             FROM leads WHERE match_key = $1 AND is_open AND ",
            vals![l.match_key],
        );
        scope.sql_condition(&mut sql, "region_code");
        c.one(sql).await?
    };
    let urgency = if urgency_rank(l.urgency) > urgency_rank(&urgency) {
        l.urgency.to_string()
    } else {
        urgency
    };
    let mut channel_list: Vec<&str> = channels.split(',').filter(|c| !c.is_empty()).collect();
    if !channel_list.contains(&l.channel) {
        channel_list.push(l.channel);
    }
    c.execute(Sql::with(
        "UPDATE leads SET sources = sources + 1, channels = $1, urgency = $2, due_at = $3, escalate_town_at = $4, \
         escalate_district_at = $5, subject_name = CASE WHEN subject_name = '' THEN $6 ELSE subject_name END, \
         address = CASE WHEN address = '' THEN $7 ELSE address END, \
         person_id = COALESCE(person_id, $8), household_id = COALESCE(household_id, $9), \
         version = version + 1, updated_at = $10 WHERE id = $11",
        vals![
            channel_list.join(","),
            urgency,
            due_at.min(l.due_at),
            town_at.min(l.escalate_town_at),
            district_at.min(l.escalate_district_at),
            l.subject_name,
            l.address,
            l.person_id,
            l.household_id,
            l.now,
            id
        ],
    ))
    .await?;
    Ok((id, true))
}

pub struct ClueInput<'a> {
    pub channel: &'a str,
    pub reporter_user_id: Option<i64>,
    pub source_ref: &'a str,
    pub client_key: Option<&'a str>,
    pub description: &'a str,
    pub address: &'a str,
    pub region_code: i64,
    pub person_name: &'a str,
    pub id_number: Option<&'a str>,
    pub urgency: &'a str,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub lead_id: i64,
    pub now: i64,
}

pub async fn insert_clue(c: &mut impl Conn, k: &ClueInput<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO clues (channel, reporter_user_id, source_ref, client_key, description, address, region_code, \
             person_name, id_number, urgency, latitude, longitude, lead_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            vals![
                k.channel,
                k.reporter_user_id,
                k.source_ref,
                k.client_key,
                k.description,
                k.address,
                k.region_code,
                k.person_name,
                k.id_number,
                k.urgency,
                k.latitude,
                k.longitude,
                k.lead_id,
                k.now
            ],
        ))
        .await?;
    Ok(id)
}

/// Whose photo it is.
#[derive(Debug, Clone, Copy)]
pub enum PhotoOwner {
    Clue(i64),
    Visit(i64),
}

pub async fn insert_photo(
    c: &mut impl Conn,
    owner: PhotoOwner,
    uploaded_by: Option<i64>,
    content_type: &str,
    data: &[u8],
    now: i64,
) -> Result<i64> {
    let (clue, visit) = match owner {
        PhotoOwner::Clue(id) => (Some(id), None),
        PhotoOwner::Visit(id) => (None, Some(id)),
    };
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO photos (clue_id, visit_id, content_type, size, data, created_at, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vals![
                clue,
                visit,
                content_type,
                data.len() as i64,
                data.to_vec(),
                now,
                uploaded_by
            ],
        ))
        .await?;
    Ok(id)
}

/// The bytes of photos a user uploaded since `since` (the daily upload quota).
pub async fn uploaded_bytes_since(c: &mut impl Conn, user_id: i64, since: i64) -> Result<i64> {
    let (n,): (Option<i64>,) = c
        .one(Sql::with(
            "SELECT CAST(SUM(size) AS BIGINT) FROM photos WHERE uploaded_by = $1 AND created_at >= $2",
            vals![user_id, since],
        ))
        .await?;
    Ok(n.unwrap_or(0))
}

/// The photos of a lead in the scope, from its clues and its visit: (photo id, content type, size).
pub async fn photos_of_lead(
    c: &mut impl Conn,
    scope: &Scope,
    lead_id: i64,
) -> Result<Vec<(i64, String, i64)>> {
    // The lead is checked by its key, the photos found through their clues' and visit's
    // indexes: no plan may start from the area's leads.
    let mut sql = Sql::with(
        "SELECT p.id, p.content_type, p.size FROM photos p \
         WHERE (p.clue_id IN (SELECT id FROM clues WHERE lead_id = $1) \
         OR p.visit_id IN (SELECT id FROM visits WHERE lead_id = $1)) \
         AND EXISTS (SELECT 1 FROM leads l WHERE l.id = $1 AND ",
        vals![lead_id],
    );
    scope.sql_condition(&mut sql, "l.region_code");
    sql.push(") ORDER BY p.id");
    c.all(sql).await
}

/// A photo, if its lead lies in the scope: (content type, bytes).
pub async fn photo(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<(String, Vec<u8>)>> {
    let mut sql = Sql::new(
        "SELECT p.content_type, p.data FROM photos p \
         LEFT JOIN clues k ON k.id = p.clue_id LEFT JOIN visits v ON v.id = p.visit_id \
         JOIN leads l ON l.id = COALESCE(k.lead_id, v.lead_id) WHERE p.id = ",
    );
    sql.bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "l.region_code");
    c.optional(sql).await
}

/// The clue a client key already delivered (a resend after a lost answer), if its lead lies
/// in the scope. Keys are stored with their sender (`u{user}:…`, or a system's own prefix), so
/// one sender's key never finds another's clue.
pub async fn clue_by_client_key(
    c: &mut impl Conn,
    scope: &Scope,
    key: &str,
) -> Result<Option<(i64, i64)>> {
    // Found by its key's unique index; its lead's area checked by the lead's id.
    let mut sql = Sql::with(
        "SELECT k.id, k.lead_id FROM clues k WHERE k.client_key = $1 \
         AND EXISTS (SELECT 1 FROM leads l WHERE l.id = k.lead_id AND ",
        vals![key],
    );
    scope.sql_condition(&mut sql, "l.region_code");
    sql.push(")");
    c.optional(sql).await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct LeadRow {
    pub id: i64,
    pub region_code: i64,
    pub region_name: String,
    pub person_id: Option<i64>,
    pub household_id: Option<i64>,
    pub subject_name: String,
    pub address: String,
    pub urgency: String,
    pub sources: i64,
    pub channels: String,
    pub status: String,
    pub first_clue_at: i64,
    pub due_at: i64,
    pub escalate_town_at: i64,
    pub escalate_district_at: i64,
    pub visited_at: Option<i64>,
    pub close_reason: Option<String>,
    pub household_file_id: Option<i64>,
    pub version: i64,
}

const LEAD_SELECT: &str = "SELECT l.id, l.region_code, r.name AS region_name, l.person_id, l.household_id, \
     l.subject_name, l.address, l.urgency, l.sources, l.channels, l.status, l.first_clue_at, l.due_at, \
     l.escalate_town_at, l.escalate_district_at, l.visited_at, l.close_reason, l.household_file_id, l.version \
     FROM leads l JOIN regions r ON r.code = l.region_code";

pub async fn lead(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<LeadRow>> {
    let mut sql = Sql::new(LEAD_SELECT);
    sql.push(" WHERE l.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "l.region_code");
    c.optional(sql).await
}

/// Open leads in the scope, most urgent deadline first. `escalated_at_least`: 0 for everything,
/// 1 for leads overdue at the community (the town's view), 2 for the district's.
pub async fn inbox(
    c: &mut impl Conn,
    scope: &Scope,
    escalated_at_least: u8,
    now: i64,
    limit: i64,
) -> Result<Vec<LeadRow>> {
    let mut sql = Sql::new(LEAD_SELECT);
    // `is_open = TRUE`, not `is_open`: the bare term would let SQLite pick the partial unique
    // index (all open leads of the city) over the area's own index.
    sql.push(" WHERE l.is_open = TRUE AND ");
    scope.sql_condition(&mut sql, "l.region_code");
    match escalated_at_least {
        0 => {}
        1 => {
            sql.push(" AND l.escalate_town_at <= ").bind(now);
        }
        _ => {
            sql.push(" AND l.escalate_district_at <= ").bind(now);
        }
    }
    sql.push(" ORDER BY l.due_at, l.id LIMIT ")
        .bind(limit.clamp(1, 500));
    c.all(sql).await
}

/// Open leads whose visit deadline fell in `(from, to]` (the `overdue-scan` job looks a week
/// back, so the escalations that follow a deadline are seen too).
pub async fn overdue_leads(
    c: &mut impl Conn,
    scope: &Scope,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<LeadRow>> {
    let mut sql = Sql::new(LEAD_SELECT);
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "l.region_code");
    sql.push(" AND l.is_open = TRUE AND l.due_at > ")
        .bind(from)
        .push(" AND l.due_at <= ")
        .bind(to)
        .push(" ORDER BY l.due_at, l.id LIMIT ")
        .bind(limit.clamp(1, 10_000));
    c.all(sql).await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct ClueRow {
    pub id: i64,
    pub channel: String,
    pub reporter_user_id: Option<i64>,
    pub source_ref: String,
    pub description: String,
    pub address: String,
    pub person_name: String,
    pub id_number: Option<String>,
    pub urgency: String,
    pub lead_id: i64,
    pub created_at: i64,
}

/// The clues of a lead in the scope.
pub async fn clues_of_lead(c: &mut impl Conn, scope: &Scope, lead_id: i64) -> Result<Vec<ClueRow>> {
    let mut sql = Sql::with(
        "SELECT k.id, k.channel, k.reporter_user_id, k.source_ref, k.description, k.address, k.person_name, \
         k.id_number, k.urgency, k.lead_id, k.created_at FROM clues k JOIN leads l ON l.id = k.lead_id \
         WHERE k.lead_id = $1 AND l.id = $1 AND ",
        vals![lead_id],
    );
    scope.sql_condition(&mut sql, "l.region_code");
    sql.push(" ORDER BY k.id");
    c.all(sql).await
}

/// A reporter's own clues with what became of them (no household data).
#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct MyClueRow {
    pub id: i64,
    pub description: String,
    pub address: String,
    pub urgency: String,
    pub created_at: i64,
    pub lead_status: String,
    pub visited_at: Option<i64>,
    pub file_state: Option<String>,
}

pub async fn clues_of_reporter(
    c: &mut impl Conn,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<MyClueRow>> {
    c.all(Sql::with(
        "SELECT k.id, k.description, k.address, k.urgency, k.created_at, l.status AS lead_status, l.visited_at, \
         f.state AS file_state FROM clues k JOIN leads l ON l.id = k.lead_id \
         LEFT JOIN household_files f ON f.id = l.household_file_id \
         WHERE k.reporter_user_id = $1 ORDER BY k.id DESC LIMIT $2 OFFSET $3",
        vals![user_id, limit.clamp(1, 500), offset.max(0)],
    ))
    .await
}

/// Closes a lead in the scope after its visit: `registered`, `merged` or `closed` (with a reason).
#[allow(clippy::too_many_arguments)]
pub async fn finish_lead(
    c: &mut impl Conn,
    scope: &Scope,
    lead_id: i64,
    expected_version: i64,
    status: &str,
    household_file_id: Option<i64>,
    close_reason: Option<&str>,
    now: i64,
) -> Result<()> {
    let mut sql = Sql::with(
        "UPDATE leads SET is_open = FALSE, status = $1, household_file_id = $2, close_reason = $3, \
         visited_at = COALESCE(visited_at, $4), closed_at = $4, version = version + 1, updated_at = $4 \
         WHERE id = $5 AND version = $6 AND is_open AND ",
        vals![
            status,
            household_file_id,
            close_reason,
            now,
            lead_id,
            expected_version
        ],
    );
    scope.sql_condition(&mut sql, "region_code");
    let n = c.execute(sql).await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    Ok(())
}

pub struct VisitInput<'a> {
    pub lead_id: i64,
    pub visitor_user_id: Option<i64>,
    pub visited_at: i64,
    pub findings: &'a str,
    pub outcome: &'a str,
    pub household_file_id: Option<i64>,
    pub close_reason: Option<&'a str>,
    pub note: &'a str,
    pub now: i64,
}

pub async fn insert_visit(c: &mut impl Conn, v: &VisitInput<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO visits (lead_id, visitor_user_id, visited_at, findings, outcome, household_file_id, \
             close_reason, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vals![
                v.lead_id,
                v.visitor_user_id,
                v.visited_at,
                v.findings,
                v.outcome,
                v.household_file_id,
                v.close_reason,
                v.note,
                v.now
            ],
        ))
        .await?;
    Ok(id)
}

// ---------- household files and timeline ----------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct FileRow {
    pub id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub state: String,
    pub registered_at: i64,
    pub close_reason: Option<String>,
    pub version: i64,
}

const FILE_SELECT: &str = "SELECT f.id, f.household_id, f.region_code, f.state, f.registered_at, \
     f.close_reason, f.version FROM household_files f";

/// A household's file, if the household lies in the scope.
pub async fn file_of_household(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Option<FileRow>> {
    let mut sql = Sql::new(FILE_SELECT);
    sql.push(" JOIN households h ON h.id = f.household_id WHERE f.household_id = ")
        .bind(household_id)
        .push(" AND h.id = ")
        .bind(household_id)
        .push(" AND ");
    scope.sql_condition(&mut sql, "h.region_code");
    c.optional(sql).await
}

/// A file by id, if it lies in the scope.
pub async fn file(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<FileRow>> {
    let mut sql = Sql::new(FILE_SELECT);
    sql.push(" WHERE f.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "f.region_code");
    c.optional(sql).await
}

/// Opens the file of a household in the scope, in the household's own region; a household
/// outside the scope is `NotFound`, one that has a file already gets `Conflict`.
pub async fn insert_file(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
    lead_id: Option<i64>,
    registered_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let mut sql = Sql::with(
        "INSERT INTO household_files (household_id, region_code, state, lead_id, registered_at, registered_by, \
         version, updated_at) SELECT h.id, h.region_code, 'watch', $2, $3, $4, 1, $3 FROM households h \
         WHERE h.id = $1 AND ",
        vals![household_id, lead_id, now, registered_by],
    );
    scope.sql_condition(&mut sql, "h.region_code");
    sql.push(" RETURNING id");
    let inserted: Option<(i64,)> = c.optional(sql).await?;
    Ok(inserted.ok_or(StoreError::NotFound)?.0)
}

#[allow(clippy::too_many_arguments)]
pub async fn set_file_state(
    c: &mut impl Conn,
    scope: &Scope,
    file_id: i64,
    expected_version: i64,
    state: &str,
    close_reason: Option<&str>,
    now: i64,
) -> Result<()> {
    let mut sql = Sql::with(
        "UPDATE household_files SET state = $1, close_reason = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5 AND ",
        vals![state, close_reason, now, file_id, expected_version],
    );
    scope.sql_condition(&mut sql, "region_code");
    let n = c.execute(sql).await?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct TimelineRow {
    pub at: i64,
    pub username: String,
    /// Who, by the name people know them by (the login name if the account is gone).
    pub who: String,
    pub kind: String,
    pub text: String,
    /// The record it tells of: the lead of a clue or visit, the assessment of its steps.
    pub record_id: Option<i64>,
}

/// A line to add to a household's timeline, with the change it tells of.
pub struct NewTimeline<'a> {
    pub household_id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub kind: &'a str,
    pub text: &'a str,
    pub record_id: Option<i64>,
}

pub async fn add_timeline(c: &mut impl Conn, line: &NewTimeline<'_>) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO timeline (household_id, at, user_id, username, kind, text, record_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vals![
            line.household_id,
            line.at,
            line.user_id,
            line.username,
            line.kind,
            line.text,
            line.record_id
        ],
    ))
    .await?;
    Ok(())
}

/// Puts a lead's clues into the timeline of the household it was filed as, at their own times
/// (those reported before the household was known had no household to go to). Once per clue.
pub async fn add_lead_clues_to_timeline(
    c: &mut impl Conn,
    scope: &Scope,
    lead_id: i64,
    household_id: i64,
) -> Result<()> {
    let mut sql = Sql::with(
        "INSERT INTO timeline (household_id, at, user_id, username, kind, text, record_id) \
         SELECT h.id, k.created_at, k.reporter_user_id, COALESCE(u.username, ''), 'clue', \
                '线索：' || substr(k.description, 1, 80), k.lead_id \
         FROM clues k JOIN households h ON h.id = $1 LEFT JOIN users u ON u.id = k.reporter_user_id \
         WHERE k.lead_id = $2 AND NOT EXISTS (SELECT 1 FROM timeline t WHERE t.household_id = h.id \
               AND t.kind = 'clue' AND t.record_id = k.lead_id AND t.at = k.created_at) AND ",
        vals![household_id, lead_id],
    );
    scope.sql_condition(&mut sql, "h.region_code");
    c.execute(sql).await?;
    Ok(())
}

/// A household's timeline, if the household lies in the scope.
pub async fn timeline(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Vec<TimelineRow>> {
    let mut sql = Sql::with(
        "SELECT t.at, t.username, COALESCE(u.display_name, t.username) AS who, t.kind, t.text, \
         t.record_id FROM timeline t JOIN households h ON h.id = t.household_id \
         LEFT JOIN users u ON u.id = t.user_id \
         WHERE t.household_id = $1 AND h.id = $1 AND ",
        vals![household_id],
    );
    scope.sql_condition(&mut sql, "h.region_code");
    sql.push(" ORDER BY t.at, t.id");
    c.all(sql).await
}

// ---------- work groups ----------

pub async fn upsert_group(
    c: &mut impl Conn,
    level: &str,
    region_code: i64,
    name: &str,
    now: i64,
) -> Result<i64> {
    if let Some((id,)) = c
        .optional::<(i64,)>(Sql::with(
            "SELECT id FROM work_groups WHERE region_code = $1 AND level = $2",
            vals![region_code, level],
        ))
        .await?
    {
        return Ok(id);
    }
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO work_groups (level, region_code, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            vals![level, region_code, name, now],
        ))
        .await?;
    Ok(id)
}

pub async fn add_group_member(
    c: &mut impl Conn,
    group_id: i64,
    user_id: i64,
    position: &str,
    now: i64,
) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO group_members (group_id, user_id, position, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (group_id, user_id) DO UPDATE SET position = excluded.position",
        vals![group_id, user_id, position, now],
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct GroupRow {
    pub id: i64,
    pub level: String,
    pub region_code: i64,
    pub region_name: String,
    pub name: String,
    pub members: i64,
    pub volunteers: i64,
}

const GROUP_SELECT: &str = "SELECT g.id, g.level, g.region_code, r.name AS region_name, g.name, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id AND m.position = 'volunteer') AS volunteers \
     FROM work_groups g JOIN regions r ON r.code = g.region_code";

/// Groups in the scope that have members or are above community level (the ~11,000
/// community groups of a city would drown the list otherwise), then the rest, up to `limit`.
pub async fn groups_in_scope(
    c: &mut impl Conn,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<GroupRow>> {
    let mut sql = Sql::new(GROUP_SELECT);
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "g.region_code");
    sql.push(
        " ORDER BY CASE g.level WHEN 'district' THEN 0 WHEN 'town' THEN 1 ELSE 2 END, \
         (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) DESC, g.region_code LIMIT ",
    )
    .bind(limit.clamp(1, 1000));
    c.all(sql).await
}

pub async fn group(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<GroupRow>> {
    let mut sql = Sql::new(GROUP_SELECT);
    sql.push(" WHERE g.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "g.region_code");
    c.optional(sql).await
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct MemberRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub position: String,
    pub joined_at: i64,
}

pub async fn group_members(c: &mut impl Conn, group_id: i64) -> Result<Vec<MemberRow>> {
    c.all(Sql::with(
        "SELECT m.user_id, u.username, u.display_name, m.position, m.joined_at FROM group_members m \
         JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY m.position, u.username",
        vals![group_id],
    ))
    .await
}

pub async fn remove_group_member(c: &mut impl Conn, group_id: i64, user_id: i64) -> Result<u64> {
    c.execute(Sql::with(
        "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
        vals![group_id, user_id],
    ))
    .await
}

// ---------- figures ----------

/// Counts for an area and a period `[from, to)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiscoveryFigures {
    pub clues_by_channel: Vec<(String, i64)>,
    pub leads_opened: i64,
    pub registered: i64,
    pub files_by_state: Vec<(String, i64)>,
    pub closed_by_reason: Vec<(String, i64)>,
    pub median_hours_to_visit: Option<f64>,
    pub visited: i64,
    pub open_overdue: i64,
    pub groups_by_level: Vec<(String, i64, i64, i64)>,
}

/// The middle value of `(hour, count)` buckets, as the bucket's middle (hour + 0.5).
fn median_of_histogram(buckets: &[(i64, i64)], total: i64) -> Option<f64> {
    if total == 0 {
        return None;
    }
    let middle = (total + 1) / 2;
    let mut seen = 0;
    for (hours, count) in buckets {
        seen += count;
        if seen >= middle {
            return Some(*hours as f64 + 0.5);
        }
    }
    None
}

pub async fn figures(
    c: &mut impl Conn,
    scope: &Scope,
    from: i64,
    to: i64,
    now: i64,
) -> Result<DiscoveryFigures> {
    let mut f = DiscoveryFigures::default();
    let mut sql = Sql::new("SELECT channel, COUNT(*) FROM clues WHERE ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" AND created_at >= ")
        .bind(from)
        .push(" AND created_at < ")
        .bind(to);
    sql.push(" GROUP BY channel ORDER BY channel");
    f.clues_by_channel = c.all(sql).await?;

    let mut sql = Sql::new("SELECT COUNT(*) FROM leads WHERE ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" AND first_clue_at >= ")
        .bind(from)
        .push(" AND first_clue_at < ")
        .bind(to);
    f.leads_opened = c.one::<(i64,)>(sql).await?.0;

    let mut sql = Sql::new("SELECT COUNT(*) FROM household_files WHERE ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" AND registered_at >= ")
        .bind(from)
        .push(" AND registered_at < ")
        .bind(to);
    f.registered = c.one::<(i64,)>(sql).await?.0;

    let mut sql = Sql::new("SELECT state, COUNT(*) FROM household_files WHERE ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" AND registered_at < ")
        .bind(to)
        .push(" GROUP BY state ORDER BY state");
    f.files_by_state = c.all(sql).await?;

    // Only closed leads have a reason; testing it keeps the count inside the index.
    let mut sql =
        Sql::new("SELECT close_reason, COUNT(*) FROM leads WHERE close_reason IS NOT NULL AND ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" AND closed_at >= ")
        .bind(from)
        .push(" AND closed_at < ")
        .bind(to);
    sql.push(" GROUP BY close_reason ORDER BY close_reason");
    let closed: Vec<(Option<String>, i64)> = c.all(sql).await?;
    f.closed_by_reason = closed
        .into_iter()
        .map(|(r, n)| (r.unwrap_or_default(), n))
        .collect();

    // The median from an hourly histogram: one aggregate pass, no sort, and SQLite has no
    // percentile function anyway. Precise to the hour, which is what a deadline cares about.
    let mut sql = Sql::new(
        "SELECT (visited_at - first_clue_at) / 3600000 AS hours, COUNT(*) FROM leads \
         WHERE visited_at IS NOT NULL AND ",
    );
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" AND visited_at >= ")
        .bind(from)
        .push(" AND visited_at < ")
        .bind(to);
    sql.push(" GROUP BY (visited_at - first_clue_at) / 3600000 ORDER BY hours");
    let buckets: Vec<(i64, i64)> = c.all(sql).await?;
    f.visited = buckets.iter().map(|b| b.1).sum();
    f.median_hours_to_visit = median_of_histogram(&buckets, f.visited);

    let files_by_state = std::mem::take(&mut f.files_by_state);
    current_counts(c, scope, now, &mut f).await?;
    // The raw path reports files registered up to the end of the period.
    f.files_by_state = files_by_state;
    Ok(f)
}

// ---------- daily rollups behind the figures ----------

const DAY_MILLIS: i64 = 86_400_000;
const CHINA_OFFSET_MILLIS: i64 = 8 * 3_600_000;

/// The China-time day number of a timestamp.
pub fn day_of(millis: i64) -> i64 {
    (millis + CHINA_OFFSET_MILLIS).div_euclid(DAY_MILLIS)
}

/// The town a region code lies in (a town's own code for a town).
pub fn town_of(region_code: i64) -> i64 {
    region_code / 1000 * 1000
}

/// Hours from clue to visit, bucketed: each hour of the first day, then whole days up to ten,
/// then "ten days or more". The bucket's value is its first hour.
pub fn visit_bucket(hours: i64) -> i64 {
    match hours {
        h if h < 24 => h.max(0),
        h if h < 240 => h / 24 * 24,
        _ => 240,
    }
}

/// The width in hours of the bucket starting at `start`.
fn bucket_width(start: i64) -> f64 {
    match start {
        s if s < 24 => 1.0,
        s if s < 240 => 24.0,
        _ => 24.0,
    }
}

/// The month number (year * 12 + month - 1) of a day number.
pub fn month_of_day(day: i64) -> i64 {
    let date = time::Date::from_julian_day((day + UNIX_EPOCH_JULIAN_DAY) as i32)
        .unwrap_or(time::Date::MIN);
    i64::from(date.year()) * 12 + i64::from(date.month() as u8) - 1
}

/// The first day number of a month number.
pub fn first_day_of_month(month: i64) -> i64 {
    let (year, m) = (month.div_euclid(12), month.rem_euclid(12) + 1);
    time::Month::try_from(m as u8)
        .ok()
        .and_then(|m| time::Date::from_calendar_date(year as i32, m, 1).ok())
        .map_or(0, |d| i64::from(d.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
}

const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Adds `n` to the daily and monthly counts of a metric, in the caller's transaction.
pub async fn bump(
    c: &mut impl Conn,
    region_code: i64,
    at: i64,
    metric: &str,
    n: i64,
) -> Result<()> {
    let (town, day) = (town_of(region_code), day_of(at));
    c.execute(Sql::with(
        "INSERT INTO discovery_daily (town_code, day, metric, n) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (town_code, day, metric) DO UPDATE SET n = discovery_daily.n + excluded.n",
        vals![town, day, metric, n],
    ))
    .await?;
    c.execute(Sql::with(
        "INSERT INTO discovery_monthly (town_code, month, metric, n) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (town_code, month, metric) DO UPDATE SET n = discovery_monthly.n + excluded.n",
        vals![town, month_of_day(day), metric, n],
    ))
    .await?;
    Ok(())
}

/// Moves one household file of a town from one state to another in the current counts
/// (`from` is `None` for a new file).
pub async fn move_file_state(
    c: &mut impl Conn,
    region_code: i64,
    from: Option<&str>,
    to: &str,
) -> Result<()> {
    let town = town_of(region_code);
    for (state, delta) in [(from, -1i64), (Some(to), 1)] {
        let Some(state) = state else { continue };
        c.execute(Sql::with(
            "INSERT INTO file_state_counts (town_code, state, n) VALUES ($1, $2, $3) \
             ON CONFLICT (town_code, state) DO UPDATE SET n = file_state_counts.n + excluded.n",
            vals![town, state, delta],
        ))
        .await?;
    }
    Ok(())
}

/// A file counted in one town's states moves to another's (its household moved).
pub(crate) async fn move_file_town(
    c: &mut impl Conn,
    from_region: i64,
    to_region: i64,
    state: &str,
) -> Result<()> {
    let (from, to) = (town_of(from_region), town_of(to_region));
    if from == to {
        return Ok(());
    }
    for (town, delta) in [(from, -1i64), (to, 1)] {
        c.execute(Sql::with(
            "INSERT INTO file_state_counts (town_code, state, n) VALUES ($1, $2, $3) \
             ON CONFLICT (town_code, state) DO UPDATE SET n = file_state_counts.n + excluded.n",
            vals![town, state, delta],
        ))
        .await?;
    }
    Ok(())
}

/// Recomputes every daily count from the rows (after a bulk load).
pub async fn rebuild_rollups(c: &mut impl Conn) -> Result<()> {
    c.execute(Sql::new("DELETE FROM discovery_daily")).await?;
    let day = |col: &str| format!("({col} + {CHINA_OFFSET_MILLIS}) / {DAY_MILLIS}");
    let statements = [
        format!(
            "INSERT INTO discovery_daily (town_code, day, metric, n) \
             SELECT region_code / 1000 * 1000, {}, 'clue:' || channel, COUNT(*) FROM clues \
             GROUP BY region_code / 1000 * 1000, {}, channel",
            day("created_at"),
            day("created_at")
        ),
        format!(
            "INSERT INTO discovery_daily (town_code, day, metric, n) \
             SELECT region_code / 1000 * 1000, {}, 'lead', COUNT(*) FROM leads \
             GROUP BY region_code / 1000 * 1000, {}",
            day("first_clue_at"),
            day("first_clue_at")
        ),
        format!(
            "INSERT INTO discovery_daily (town_code, day, metric, n) \
             SELECT region_code / 1000 * 1000, {}, 'file', COUNT(*) FROM household_files \
             GROUP BY region_code / 1000 * 1000, {}",
            day("registered_at"),
            day("registered_at")
        ),
        format!(
            "INSERT INTO discovery_daily (town_code, day, metric, n) \
             SELECT region_code / 1000 * 1000, {}, 'closed:' || close_reason, COUNT(*) FROM leads \
             WHERE close_reason IS NOT NULL GROUP BY region_code / 1000 * 1000, {}, close_reason",
            day("closed_at"),
            day("closed_at")
        ),
    ];
    for statement in statements {
        c.execute(Sql::new(&statement)).await?;
    }
    // Visit buckets: computed row by row in Rust would be slow; the CASE mirrors visit_bucket.
    let hours = "((visited_at - first_clue_at) / 3600000)";
    let bucket = format!(
        "CASE WHEN {hours} < 0 THEN 0 WHEN {hours} < 24 THEN {hours} WHEN {hours} < 240 THEN {hours} / 24 * 24 ELSE 240 END"
    );
    c.execute(Sql::new(&format!(
        "INSERT INTO discovery_daily (town_code, day, metric, n) \
         SELECT region_code / 1000 * 1000, {}, 'visit:' || {bucket}, COUNT(*) FROM leads \
         WHERE visited_at IS NOT NULL GROUP BY region_code / 1000 * 1000, {}, {bucket}",
        day("visited_at"),
        day("visited_at")
    )))
    .await?;
    // Months from the days, added up here: month arithmetic differs between the databases.
    c.execute(Sql::new("DELETE FROM discovery_monthly")).await?;
    let days: Vec<(i64, i64, String, i64)> = c
        .all(Sql::new(
            "SELECT town_code, day, metric, n FROM discovery_daily",
        ))
        .await?;
    let mut months: std::collections::HashMap<(i64, i64, String), i64> =
        std::collections::HashMap::new();
    for (town, day, metric, n) in days {
        *months.entry((town, month_of_day(day), metric)).or_default() += n;
    }
    let rows = months
        .into_iter()
        .map(|((town, month, metric), n)| {
            vec![
                crate::Value::Int(town),
                crate::Value::Int(month),
                crate::Value::Text(metric),
                crate::Value::Int(n),
            ]
        })
        .collect();
    crate::insert_rows(
        c,
        "discovery_monthly",
        &["town_code", "month", "metric", "n"],
        rows,
    )
    .await?;
    c.execute(Sql::new("DELETE FROM file_state_counts")).await?;
    c.execute(Sql::new(
        "INSERT INTO file_state_counts (town_code, state, n) \
         SELECT region_code / 1000 * 1000, state, COUNT(*) FROM household_files GROUP BY region_code / 1000 * 1000, state",
    ))
    .await?;
    Ok(())
}

/// The figures from the daily counts: for scopes made of whole towns (districts, towns, zones,
/// the city). `from` and `to` are day numbers, `to` exclusive.
pub async fn figures_from_rollups(
    c: &mut impl Conn,
    scope: &Scope,
    from_day: i64,
    to_day: i64,
    now: i64,
) -> Result<DiscoveryFigures> {
    let mut f = DiscoveryFigures::default();
    // Whole months from the monthly counts, the days at either end from the daily ones.
    let first_month =
        month_of_day(from_day) + i64::from(first_day_of_month(month_of_day(from_day)) != from_day);
    let end_month = month_of_day(to_day);
    let mut sums: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    let parts = if first_month < end_month {
        let (inner_from, inner_to) = (
            first_day_of_month(first_month),
            first_day_of_month(end_month),
        );
        vec![
            ("discovery_monthly", "month", first_month, end_month),
            ("discovery_daily", "day", from_day, inner_from),
            ("discovery_daily", "day", inner_to, to_day),
        ]
    } else {
        vec![("discovery_daily", "day", from_day, to_day)]
    };
    for (table, column, from, to) in parts {
        for (metric, n) in sum_metrics(c, scope, table, column, from, to).await? {
            *sums.entry(metric).or_default() += n;
        }
    }
    let rows: Vec<(String, i64)> = sums.into_iter().collect();
    let mut visits: Vec<(i64, i64)> = Vec::new();
    for (metric, n) in rows {
        match metric.split_once(':') {
            Some(("clue", channel)) => f.clues_by_channel.push((channel.to_string(), n)),
            Some(("closed", reason)) => f.closed_by_reason.push((reason.to_string(), n)),
            Some(("visit", bucket)) => visits.push((bucket.parse().unwrap_or(0), n)),
            _ if metric == "lead" => f.leads_opened = n,
            _ if metric == "file" => f.registered = n,
            _ => {}
        }
    }
    visits.sort_unstable();
    f.visited = visits.iter().map(|v| v.1).sum();
    f.median_hours_to_visit = median_of_histogram(&visits, f.visited).map(|start_plus_half| {
        let start = (start_plus_half - 0.5) as i64;
        start as f64 + bucket_width(start) / 2.0
    });
    current_counts(c, scope, now, &mut f).await?;
    Ok(f)
}

async fn sum_metrics(
    c: &mut impl Conn,
    scope: &Scope,
    table: &str,
    column: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64)>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT metric, CAST(SUM(n) AS BIGINT) FROM {table} WHERE "
    ));
    scope.sql_condition(&mut sql, "town_code");
    sql.push(&format!(" AND {column} >= "))
        .bind(from)
        .push(&format!(" AND {column} < "))
        .bind(to);
    sql.push(" GROUP BY metric");
    c.all(sql).await
}

/// Figures that are states now, not events in the period: files by state, overdue leads, groups.
async fn current_counts(
    c: &mut impl Conn,
    scope: &Scope,
    now: i64,
    f: &mut DiscoveryFigures,
) -> Result<()> {
    let mut sql = Sql::new("SELECT state, CAST(SUM(n) AS BIGINT) FROM file_state_counts WHERE ");
    scope.sql_condition(&mut sql, "town_code");
    sql.push(" GROUP BY state HAVING SUM(n) > 0 ORDER BY state");
    f.files_by_state = c.all(sql).await?;

    let mut sql = Sql::new("SELECT COUNT(*) FROM leads WHERE is_open = TRUE AND due_at < ");
    sql.bind(now).push(" AND ");
    // `+region_code`: read the open, due leads off leads_open_due rather than every lead of the area.
    scope.sql_condition(&mut sql, "+region_code");
    f.open_overdue = c.one::<(i64,)>(sql).await?.0;

    let mut sql = Sql::new(
        "SELECT g.level, COUNT(DISTINCT g.id), \
         COUNT(m.user_id) - SUM(CASE WHEN m.position = 'volunteer' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN m.position = 'volunteer' THEN 1 ELSE 0 END) \
         FROM work_groups g LEFT JOIN group_members m ON m.group_id = g.id WHERE ",
    );
    scope.sql_condition(&mut sql, "g.region_code");
    sql.push(" GROUP BY g.level ORDER BY g.level");
    let groups: Vec<(String, i64, Option<i64>, Option<i64>)> = c.all(sql).await?;
    f.groups_by_level = groups
        .into_iter()
        .map(|(l, g, s, v)| (l, g, s.unwrap_or(0), v.unwrap_or(0)))
        .collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::median_of_histogram;

    #[test]
    fn months_and_days() {
        use super::{day_of, first_day_of_month, month_of_day};
        assert_eq!(month_of_day(0), 1970 * 12);
        assert_eq!(first_day_of_month(1970 * 12), 0);
        // 2026-02-01 is day 20485; China time runs eight hours ahead of UTC.
        let feb = 2026 * 12 + 1;
        assert_eq!(first_day_of_month(feb), 20485);
        assert_eq!(month_of_day(20485), feb);
        assert_eq!(month_of_day(20484), feb - 1);
        assert_eq!(day_of(20485 * 86_400_000 - 8 * 3_600_000), 20485);
        for month in (2025 * 12)..(2027 * 12) {
            assert_eq!(month_of_day(first_day_of_month(month)), month);
            assert_eq!(month_of_day(first_day_of_month(month) - 1), month - 1);
        }
    }

    #[test]
    fn median_of_an_hourly_histogram() {
        assert_eq!(median_of_histogram(&[], 0), None);
        assert_eq!(median_of_histogram(&[(3, 1)], 1), Some(3.5));
        assert_eq!(median_of_histogram(&[(1, 2), (5, 1), (9, 2)], 5), Some(5.5));
        assert_eq!(median_of_histogram(&[(0, 10), (40, 1)], 11), Some(0.5));
    }
}
