//! Operations: the runs and leases of timed jobs, imported working-day schedules, and the
//! notification outbox (notifications, the channels units want them on, their deliveries).

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Sql, vals};

// ---- jobs ----

/// Takes the lease of a job until `until` for `holder`, if nobody holds one that is still
/// running — and, for a scheduled run (`due_by` set), if the job is due by then: another
/// instance sharing the database may have run it this interval. True when taken: then only
/// this holder runs the job until it lets go or the lease ends (a crashed holder's lease
/// simply runs out).
pub async fn take_lease(
    c: &mut impl Conn,
    job: &str,
    holder: &str,
    now: i64,
    until: i64,
    due_by: Option<i64>,
) -> Result<bool> {
    c.execute(Sql::with(
        "INSERT INTO job_leases (job, holder, until) VALUES ($1, '', 0) ON CONFLICT (job) DO NOTHING",
        vals![job],
    ))
    .await?;
    let mut sql = Sql::new("UPDATE job_leases SET holder = ");
    sql.bind(holder)
        .push(", until = ")
        .bind(until)
        .push(" WHERE job = ")
        .bind(job)
        .push(" AND (until < ")
        .bind(now)
        .push(" OR holder = ")
        .bind(holder)
        .push(")");
    if let Some(due_by) = due_by {
        sql.push(" AND next_due <= ").bind(due_by);
    }
    Ok(c.execute(sql).await? == 1)
}

/// When a job may next be taken: the later of its lease's end (another instance is running it)
/// and when it is next due (0 when never run).
pub async fn next_free(c: &mut impl Conn, job: &str) -> Result<i64> {
    let row: Option<(i64, i64)> = c
        .optional(Sql::with(
            "SELECT until, next_due FROM job_leases WHERE job = $1",
            vals![job],
        ))
        .await?;
    Ok(row.map_or(0, |(until, due)| until.max(due)))
}

/// Lets go of a lease this holder took; the job is next due at `next_due`.
pub async fn release_lease(
    c: &mut impl Conn,
    job: &str,
    holder: &str,
    next_due: i64,
) -> Result<()> {
    c.execute(Sql::with(
        "UPDATE job_leases SET until = 0, next_due = $3 WHERE job = $1 AND holder = $2",
        vals![job, holder, next_due],
    ))
    .await?;
    Ok(())
}

pub async fn start_run(c: &mut impl Conn, job: &str, instance: &str, now: i64) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO job_runs (job, instance, started_at, outcome) VALUES ($1, $2, $3, 'running') RETURNING id",
            vals![job, instance, now],
        ))
        .await?;
    Ok(id)
}

pub async fn finish_run(
    c: &mut impl Conn,
    id: i64,
    now: i64,
    outcome: &str,
    detail: &str,
) -> Result<()> {
    c.execute(Sql::with(
        "UPDATE job_runs SET finished_at = $1, outcome = $2, detail = $3 WHERE id = $4",
        vals![now, outcome, detail, id],
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct JobRunRow {
    pub id: i64,
    pub job: String,
    pub instance: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: String,
    pub detail: String,
}

/// The last run of each job.
pub async fn last_runs(c: &mut impl Conn) -> Result<Vec<JobRunRow>> {
    c.all(Sql::new(
        "SELECT r.id, r.job, r.instance, r.started_at, r.finished_at, r.outcome, r.detail FROM job_runs r \
         JOIN (SELECT job, MAX(id) AS id FROM job_runs GROUP BY job) last ON last.id = r.id ORDER BY r.job",
    ))
    .await
}

/// The last successful run of each job: (job, finished at).
pub async fn last_successes(c: &mut impl Conn) -> Result<Vec<(String, i64)>> {
    c.all(Sql::new(
        "SELECT job, MAX(finished_at) FROM job_runs WHERE outcome = 'ok' AND finished_at IS NOT NULL GROUP BY job",
    ))
    .await
}

/// Runs still marked running that started before `before` (stuck, or their process died).
pub async fn stuck_runs(c: &mut impl Conn, before: i64) -> Result<Vec<JobRunRow>> {
    c.all(Sql::with(
        "SELECT id, job, instance, started_at, finished_at, outcome, detail FROM job_runs \
         WHERE outcome = 'running' AND started_at < $1 ORDER BY id",
        vals![before],
    ))
    .await
}

/// Rows of a table in a state whose deadline (`due_at`) has passed.
pub async fn count_overdue(c: &mut impl Conn, table: &str, open: &str, now: i64) -> Result<i64> {
    let (n,): (i64,) = c
        .one(Sql::with(
            &format!("SELECT COUNT(*) FROM {table} WHERE {open} AND due_at < $1"),
            vals![now],
        ))
        .await?;
    Ok(n)
}

// ---- calendar ----

/// The imported schedule, as the CSV the calendar parser reads, and a version that changes
/// with every import: (rows, version).
pub async fn calendar_rows(c: &mut impl Conn) -> Result<(String, i64)> {
    let rows: Vec<(String, String, String)> = c
        .all(Sql::new(
            "SELECT day, kind, name FROM calendar_days ORDER BY day",
        ))
        .await?;
    let mut text = String::from("date,kind,name\n");
    for (day, kind, name) in rows {
        text.push_str(&format!("{day},{kind},{name}\n"));
    }
    let version = calendar_version(c).await?;
    Ok((text, version))
}

/// Changes with every import (the count and the latest import time together).
pub async fn calendar_version(c: &mut impl Conn) -> Result<i64> {
    let (count, latest): (i64, Option<i64>) = c
        .one(Sql::new(
            "SELECT COUNT(*), MAX(imported_at) FROM calendar_days",
        ))
        .await?;
    Ok(latest.unwrap_or(0).wrapping_mul(31).wrapping_add(count))
}

/// Replaces the imported rows of `year` with these (a year is imported whole).
pub async fn replace_calendar_year(
    c: &mut impl Conn,
    year: i32,
    rows: &[(String, String, String)],
    now: i64,
    by: &str,
) -> Result<()> {
    c.execute(Sql::with(
        "DELETE FROM calendar_days WHERE year = $1",
        vals![i64::from(year)],
    ))
    .await?;
    for (day, kind, name) in rows {
        c.execute(Sql::with(
            "INSERT INTO calendar_days (day, year, kind, name, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6)",
            vals![day.as_str(), i64::from(year), kind.as_str(), name.as_str(), now, by],
        ))
        .await?;
    }
    Ok(())
}

// ---- notifications ----

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct ChannelRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub target: String,
    #[serde(skip)]
    pub secret: String,
    pub events: String,
    pub enabled: bool,
    pub created_at: i64,
}

const CHANNEL_SELECT: &str = "SELECT c.id, c.unit_id, u.name AS unit_name, c.kind, c.target, c.secret, c.events, \
     c.enabled, c.created_at FROM notification_channels c JOIN units u ON u.id = c.unit_id";

pub struct NewChannel<'a> {
    pub unit_id: i64,
    pub kind: &'a str,
    pub target: &'a str,
    pub secret: &'a str,
    pub events: &'a str,
    pub now: i64,
}

pub async fn insert_channel(c: &mut impl Conn, ch: &NewChannel<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO notification_channels (unit_id, kind, target, secret, events, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
            vals![ch.unit_id, ch.kind, ch.target, ch.secret, ch.events, ch.now],
        ))
        .await?;
    Ok(id)
}

/// Channels of units in a region range (an administrator's area), or of one unit.
pub async fn channels(c: &mut impl Conn, scope: &crate::Scope) -> Result<Vec<ChannelRow>> {
    let mut sql = Sql::new(CHANNEL_SELECT);
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "u.region_code");
    sql.push(" ORDER BY u.name, c.id");
    c.all(sql).await
}

/// Turns a channel of a unit in the scope on or off; 0 when there is none in the scope.
pub async fn set_channel_enabled(
    c: &mut impl Conn,
    scope: &crate::Scope,
    id: i64,
    enabled: bool,
) -> Result<u64> {
    let mut sql = Sql::new("UPDATE notification_channels SET enabled = ");
    sql.bind(enabled)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND unit_id IN (SELECT u.id FROM units u WHERE ");
    scope.sql_condition(&mut sql, "u.region_code");
    sql.push(")");
    c.execute(sql).await
}

/// An event to tell a unit about.
pub struct NewNotification<'a> {
    /// The same key twice is one notification (an event is told once).
    pub event_key: &'a str,
    pub kind: &'a str,
    pub unit_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub link: &'a str,
    pub now: i64,
}

/// Writes a notification and one delivery per enabled channel of its unit that takes its
/// kind, in the caller's transaction. Returns the deliveries made (0 when the event was told
/// before, or the unit has no channel for it).
pub async fn notify(c: &mut impl Conn, n: &NewNotification<'_>) -> Result<u64> {
    let inserted: Option<(i64,)> = c
        .optional(Sql::with(
            "INSERT INTO notifications (event_key, kind, unit_id, title, body, link, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_key, unit_id) DO NOTHING RETURNING id",
            vals![n.event_key, n.kind, n.unit_id, n.title, n.body, n.link, n.now],
        ))
        .await?;
    let Some((id,)) = inserted else {
        return Ok(0);
    };
    c.execute(Sql::with(
        "INSERT INTO deliveries (notification_id, channel_id, state, attempts, next_attempt_at) \
         SELECT $1, c.id, 'pending', 0, $2 FROM notification_channels c \
         WHERE c.unit_id = $3 AND c.enabled AND (c.events = '*' OR ',' || c.events || ',' LIKE '%,' || $4 || ',%')",
        vals![id, n.now, n.unit_id, n.kind],
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DueDelivery {
    pub id: i64,
    pub attempts: i64,
    pub notification_id: i64,
    pub event_key: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: i64,
    pub channel_id: i64,
    pub channel_kind: String,
    pub target: String,
    pub secret: String,
}

/// Deliveries due now, oldest first.
pub async fn due_deliveries(c: &mut impl Conn, now: i64, limit: i64) -> Result<Vec<DueDelivery>> {
    c.all(Sql::with(
        "SELECT d.id, d.attempts, n.id AS notification_id, n.event_key, n.kind, n.title, n.body, n.link, n.created_at, \
         c.id AS channel_id, c.kind AS channel_kind, c.target, c.secret \
         FROM deliveries d JOIN notifications n ON n.id = d.notification_id \
         JOIN notification_channels c ON c.id = d.channel_id \
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at, d.id LIMIT $2",
        vals![now, limit.clamp(1, 1000)],
    ))
    .await
}

/// Marks a delivery sent (once: a delivery already sent is left as it is).
pub async fn delivered(c: &mut impl Conn, id: i64, status: &str, now: i64) -> Result<u64> {
    c.execute(Sql::with(
        "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, last_status = $1, sent_at = $2 \
         WHERE id = $3 AND state = 'pending'",
        vals![status, now, id],
    ))
    .await
}

/// Records a failed attempt: tried again at `next` or, when `give_up`, failed for good.
pub async fn attempt_failed(
    c: &mut impl Conn,
    id: i64,
    status: &str,
    next: i64,
    give_up: bool,
) -> Result<u64> {
    c.execute(Sql::with(
        "UPDATE deliveries SET attempts = attempts + 1, last_status = $1, next_attempt_at = $2, \
         state = CASE WHEN $3 THEN 'failed' ELSE state END WHERE id = $4 AND state = 'pending'",
        vals![status, next, give_up, id],
    ))
    .await
}

/// Deliveries still to make (the outbox's depth).
pub async fn pending_deliveries(c: &mut impl Conn) -> Result<i64> {
    let (n,): (i64,) = c
        .one(Sql::new(
            "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'",
        ))
        .await?;
    Ok(n)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub channel_id: i64,
    pub channel_kind: String,
    pub state: String,
    pub attempts: i64,
    pub last_status: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The latest deliveries to the channels of units in the scope.
pub async fn deliveries(
    c: &mut impl Conn,
    scope: &crate::Scope,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let mut sql = Sql::new(
        "SELECT d.id, n.kind, n.title, c.id AS channel_id, c.kind AS channel_kind, d.state, d.attempts, \
         d.last_status, n.created_at, d.sent_at FROM deliveries d JOIN notifications n ON n.id = d.notification_id \
         JOIN notification_channels c ON c.id = d.channel_id JOIN units u ON u.id = c.unit_id WHERE ",
    );
    scope.sql_condition(&mut sql, "u.region_code");
    sql.push(" ORDER BY d.id DESC LIMIT ")
        .bind(limit.clamp(1, 1000));
    c.all(sql).await
}
