//! Social resources (社会资源): providers and their offers, matches of offers to households (with
//! the consent recorded), and deliveries. Staff reads take the caller's `Scope`; a provider's
//! own accounts read only the matches of their offers, and only what the offer needs.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, vals};

/// `(region within the scope OR unit is the caller's)`: staff read by area, a provider's or an
/// organisation's own accounts by their unit.
fn in_scope_or_unit(
    sql: &mut Sql,
    scope: &Scope,
    region: &str,
    unit_column: &str,
    unit: Option<i64>,
) {
    sql.push("(");
    scope.sql_condition(sql, region);
    sql.push(" OR ")
        .push(unit_column)
        .push(" = ")
        .bind(unit.unwrap_or(-1))
        .push(")");
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct ProviderRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: i64,
    pub contact: String,
    pub unit_id: Option<i64>,
    pub created_at: i64,
}

pub struct NewProvider<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub region_code: i64,
    pub contact: &'a str,
    pub unit_id: Option<i64>,
    pub created_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_provider(c: &mut impl Conn, p: &NewProvider<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO resource_providers (name, kind, region_code, contact, unit_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vals![p.name, p.kind, p.region_code, p.contact, p.unit_id, p.created_by, p.now],
        ))
        .await?;
    Ok(id)
}

const PROVIDER_SELECT: &str =
    "SELECT id, name, kind, region_code, contact, unit_id, created_at FROM resource_providers";

/// Providers based in the scope, or the one of a unit.
pub async fn providers(
    c: &mut impl Conn,
    scope: &Scope,
    unit_id: Option<i64>,
) -> Result<Vec<ProviderRow>> {
    let mut sql = Sql::new(PROVIDER_SELECT);
    sql.push(" WHERE ");
    in_scope_or_unit(&mut sql, scope, "region_code", "unit_id", unit_id);
    sql.push(" ORDER BY id");
    c.all(sql).await
}

pub async fn provider(c: &mut impl Conn, id: i64) -> Result<Option<ProviderRow>> {
    c.optional(Sql::with(
        &format!("{PROVIDER_SELECT} WHERE id = $1"),
        vals![id],
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct OfferRow {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_kind: String,
    pub kind: String,
    pub what: String,
    pub description: String,
    pub region_code: i64,
    pub region_end: i64,
    pub capacity: f64,
    pub remaining: f64,
    pub unit: String,
    pub valid_until: Option<i64>,
    pub created_at: i64,
}

pub struct NewOffer<'a> {
    pub provider_id: i64,
    pub kind: &'a str,
    pub what: &'a str,
    pub description: &'a str,
    pub region_code: i64,
    pub region_end: i64,
    pub capacity: f64,
    pub unit: &'a str,
    pub valid_until: Option<i64>,
    pub created_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_offer(c: &mut impl Conn, o: &NewOffer<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO resource_offers (provider_id, kind, what, description, region_code, region_end, capacity, \
             remaining, unit, valid_until, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11) RETURNING id",
            vals![
                o.provider_id,
                o.kind,
                o.what,
                o.description,
                o.region_code,
                o.region_end,
                Some(o.capacity),
                o.unit,
                o.valid_until,
                o.created_by,
                o.now
            ],
        ))
        .await?;
    Ok(id)
}

const OFFER_SELECT: &str = "SELECT o.id, o.provider_id, p.name AS provider_name, p.kind AS provider_kind, o.kind, \
     o.what, o.description, o.region_code, o.region_end, o.capacity, o.remaining, o.unit, o.valid_until, o.created_at \
     FROM resource_offers o JOIN resource_providers p ON p.id = o.provider_id";

pub async fn offer(c: &mut impl Conn, id: i64) -> Result<Option<OfferRow>> {
    c.optional(Sql::with(
        &format!("{OFFER_SELECT} WHERE o.id = $1"),
        vals![id],
    ))
    .await
}

/// Offers with capacity left, still valid at `now`, that can go to a household of `region`:
/// those of the given kind (any when `None`), the largest remaining first.
pub async fn offers_for(
    c: &mut impl Conn,
    region: i64,
    kind: Option<&str>,
    now: i64,
) -> Result<Vec<OfferRow>> {
    let mut sql = Sql::new(OFFER_SELECT);
    sql.push(" WHERE o.remaining > 0 AND ")
        .bind(region)
        .push(" BETWEEN o.region_code AND o.region_end AND (o.valid_until IS NULL OR o.valid_until >= ")
        .bind(now)
        .push(")");
    if let Some(kind) = kind {
        sql.push(" AND o.kind = ").bind(kind);
    }
    sql.push(" ORDER BY o.remaining DESC, o.id");
    c.all(sql).await
}

/// Offers visible to staff of the scope (where they can go overlaps it) or to a provider's unit.
pub async fn offers(
    c: &mut impl Conn,
    scope: &Scope,
    unit_id: Option<i64>,
) -> Result<Vec<OfferRow>> {
    let mut sql = Sql::new(OFFER_SELECT);
    // Where an offer can go overlaps one of the scope's ranges.
    sql.push(" WHERE (1 = 0");
    for (lo, hi) in scope.ranges() {
        sql.push(" OR (o.region_code <= ")
            .bind(*hi)
            .push(" AND o.region_end >= ")
            .bind(*lo)
            .push(")");
    }
    sql.push(" OR p.unit_id = ")
        .bind(unit_id.unwrap_or(-1))
        .push(") ORDER BY o.id");
    c.all(sql).await
}

/// Takes `quantity` from an offer's remaining capacity; false (nothing changed) when less is
/// left. One guarded UPDATE, so concurrent matches can never overdraw an offer.
pub async fn take_capacity(c: &mut impl Conn, offer_id: i64, quantity: f64) -> Result<bool> {
    let n = c
        .execute(Sql::with(
            "UPDATE resource_offers SET remaining = remaining - $1 WHERE id = $2 AND remaining >= $1",
            vals![Some(quantity), offer_id],
        ))
        .await?;
    Ok(n == 1)
}

/// Gives capacity back (a cancelled match).
pub async fn return_capacity(c: &mut impl Conn, offer_id: i64, quantity: f64) -> Result<()> {
    c.execute(Sql::with(
        "UPDATE resource_offers SET remaining = remaining + $1 WHERE id = $2",
        vals![Some(quantity), offer_id],
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct MatchRow {
    pub id: i64,
    pub offer_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub what: String,
    pub unit: String,
    pub household_id: i64,
    pub address: String,
    pub region_code: i64,
    pub need: String,
    pub quantity: f64,
    pub state: String,
    pub consent_by: String,
    pub consent_at: i64,
    pub created_at: i64,
    pub row_version: i64,
}

const MATCH_SELECT: &str = "SELECT m.id, m.offer_id, o.provider_id, p.name AS provider_name, o.what, o.unit, \
     m.household_id, h.address, m.region_code, m.need, m.quantity, m.state, m.consent_by, m.consent_at, \
     m.created_at, m.row_version FROM resource_matches m JOIN resource_offers o ON o.id = m.offer_id \
     JOIN resource_providers p ON p.id = o.provider_id JOIN households h ON h.id = m.household_id";

pub struct NewMatch<'a> {
    pub offer_id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub need: &'a str,
    pub quantity: f64,
    pub consent_by: &'a str,
    pub consent_at: i64,
    pub confirmed_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_match(c: &mut impl Conn, m: &NewMatch<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO resource_matches (offer_id, household_id, region_code, need, quantity, state, consent_by, \
             consent_at, confirmed_by, created_at) VALUES ($1, $2, $3, $4, $5, 'confirmed', $6, $7, $8, $9) RETURNING id",
            vals![
                m.offer_id,
                m.household_id,
                m.region_code,
                m.need,
                Some(m.quantity),
                m.consent_by,
                m.consent_at,
                m.confirmed_by,
                m.now
            ],
        ))
        .await?;
    Ok(id)
}

/// Matches staff of the scope may see (the household's area), or a provider's unit may see
/// (its offers'; consent is recorded on every match by construction).
pub async fn matches(
    c: &mut impl Conn,
    scope: &Scope,
    provider_unit: Option<i64>,
) -> Result<Vec<MatchRow>> {
    let mut sql = Sql::new(MATCH_SELECT);
    sql.push(" WHERE ");
    in_scope_or_unit(&mut sql, scope, "m.region_code", "p.unit_id", provider_unit);
    sql.push(" ORDER BY m.id DESC");
    c.all(sql).await
}

pub async fn a_match(
    c: &mut impl Conn,
    scope: &Scope,
    provider_unit: Option<i64>,
    id: i64,
) -> Result<Option<MatchRow>> {
    let mut sql = Sql::new(MATCH_SELECT);
    sql.push(" WHERE m.id = ").bind(id).push(" AND ");
    in_scope_or_unit(&mut sql, scope, "m.region_code", "p.unit_id", provider_unit);
    c.optional(sql).await
}

/// Moves a match from `from` to `to` if nobody changed it since `version`.
pub async fn set_match_state(
    c: &mut impl Conn,
    id: i64,
    version: i64,
    from: &str,
    to: &str,
) -> Result<bool> {
    let n = c
        .execute(Sql::with(
            "UPDATE resource_matches SET state = $1, row_version = row_version + 1 \
             WHERE id = $2 AND row_version = $3 AND state = $4",
            vals![to, id, version, from],
        ))
        .await?;
    Ok(n == 1)
}

pub struct NewDelivery<'a> {
    pub match_id: i64,
    pub what: &'a str,
    pub value_yuan: f64,
    pub delivered_on: &'a str,
    pub delivered_by: &'a str,
    pub feedback: &'a str,
    pub recorded_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_delivery(c: &mut impl Conn, d: &NewDelivery<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO resource_deliveries (match_id, what, value_yuan, delivered_on, delivered_by, feedback, \
             recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vals![
                d.match_id,
                d.what,
                Some(d.value_yuan),
                d.delivered_on,
                d.delivered_by,
                d.feedback,
                d.recorded_by,
                d.now
            ],
        ))
        .await?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub match_id: i64,
    pub provider_name: String,
    pub provider_kind: String,
    pub what: String,
    pub value_yuan: f64,
    pub delivered_on: String,
    pub delivered_by: String,
    pub feedback: String,
    pub region_code: i64,
}

/// Deliveries to households of the scope (a household's, when given), newest first.
pub async fn deliveries(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: Option<i64>,
) -> Result<Vec<DeliveryRow>> {
    let mut sql = Sql::new(
        "SELECT d.id, d.match_id, p.name AS provider_name, p.kind AS provider_kind, d.what, d.value_yuan, \
         d.delivered_on, d.delivered_by, d.feedback, m.region_code FROM resource_deliveries d \
         JOIN resource_matches m ON m.id = d.match_id JOIN resource_offers o ON o.id = m.offer_id \
         JOIN resource_providers p ON p.id = o.provider_id WHERE ",
    );
    scope.sql_condition(&mut sql, "m.region_code");
    if let Some(h) = household_id {
        sql.push(" AND m.household_id = ").bind(h);
    }
    sql.push(" ORDER BY d.delivered_on DESC, d.id DESC");
    c.all(sql).await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct AppealRow {
    pub id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub title: String,
    pub target_fen: i64,
    pub ends_on: String,
    pub surplus_rule: String,
    pub state: String,
    pub pledged_fen: i64,
    pub received_fen: i64,
    pub disbursed_fen: i64,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

const APPEAL_SELECT: &str = "SELECT id, household_id, region_code, title, target_fen, ends_on, surplus_rule, state, \
     pledged_fen, received_fen, disbursed_fen, created_at, closed_at FROM appeals";

pub struct NewAppeal<'a> {
    pub household_id: i64,
    pub region_code: i64,
    pub title: &'a str,
    pub target_fen: i64,
    pub ends_on: &'a str,
    pub surplus_rule: &'a str,
    pub created_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_appeal(c: &mut impl Conn, a: &NewAppeal<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO appeals (household_id, region_code, title, target_fen, ends_on, surplus_rule, state, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) RETURNING id",
            vals![
                a.household_id,
                a.region_code,
                a.title,
                a.target_fen,
                a.ends_on,
                a.surplus_rule,
                a.created_by,
                a.now
            ],
        ))
        .await?;
    Ok(id)
}

/// An appeal by id, whoever asks (the app shows the public its figures only).
pub async fn appeal(c: &mut impl Conn, id: i64) -> Result<Option<AppealRow>> {
    c.optional(Sql::with(
        &format!("{APPEAL_SELECT} WHERE id = $1"),
        vals![id],
    ))
    .await
}

/// An appeal of a household within the scope (staff reads).
pub async fn appeal_in(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<AppealRow>> {
    let mut sql = Sql::new(APPEAL_SELECT);
    sql.push(" WHERE id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    c.optional(sql).await
}

/// What a ledger entry does to the appeal's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A registered donor's promise (open appeals only).
    Pledge,
    /// Money received: never more than pledged in all.
    Receipt,
    /// Money paid to the household: never more than received.
    Disbursement,
    /// The balance moved out at closing, by the stated rule.
    Surplus,
}

impl Entry {
    pub fn code(self) -> &'static str {
        match self {
            Entry::Pledge => "pledge",
            Entry::Receipt => "receipt",
            Entry::Disbursement => "disbursement",
            Entry::Surplus => "surplus",
        }
    }
}

/// A ledger entry to add.
pub struct NewEntry<'a> {
    pub appeal_id: i64,
    pub entry: Entry,
    pub provider_id: Option<i64>,
    pub amount_fen: i64,
    pub note: &'a str,
    pub recorded_by: Option<i64>,
    pub at: i64,
}

/// Adds a ledger entry and its totals in one guarded update; false (nothing written) when the
/// entry would break the ledger (a receipt above the pledges, a payment above the balance, a
/// pledge to a closed appeal).
pub async fn add_entry(c: &mut impl Conn, e: &NewEntry<'_>) -> Result<bool> {
    let guard = match e.entry {
        Entry::Pledge => {
            "UPDATE appeals SET pledged_fen = pledged_fen + $1 WHERE id = $2 AND state = 'open'"
        }
        Entry::Receipt => {
            "UPDATE appeals SET received_fen = received_fen + $1 WHERE id = $2 AND received_fen + $1 <= pledged_fen"
        }
        Entry::Disbursement | Entry::Surplus => {
            "UPDATE appeals SET disbursed_fen = disbursed_fen + $1 WHERE id = $2 AND disbursed_fen + $1 <= received_fen"
        }
    };
    if c.execute(Sql::with(guard, vals![e.amount_fen, e.appeal_id]))
        .await?
        != 1
    {
        return Ok(false);
    }
    c.execute(Sql::with(
        "INSERT INTO appeal_entries (appeal_id, kind, provider_id, amount_fen, note, recorded_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vals![
            e.appeal_id,
            e.entry.code(),
            e.provider_id,
            e.amount_fen,
            e.note,
            e.recorded_by,
            e.at
        ],
    ))
    .await?;
    Ok(true)
}

/// Closes an appeal (kept closed, with its first closing time); false when there is none. It
/// always writes the row, so it also locks it for the rest of the transaction.
pub async fn close_appeal(c: &mut impl Conn, id: i64, now: i64) -> Result<bool> {
    let n = c
        .execute(Sql::with(
            "UPDATE appeals SET state = 'closed', closed_at = COALESCE(closed_at, $1) WHERE id = $2",
            vals![now, id],
        ))
        .await?;
    Ok(n == 1)
}

/// What a donor pledged to an appeal and has not paid yet, in fen.
pub async fn donor_outstanding(c: &mut impl Conn, appeal_id: i64, provider_id: i64) -> Result<i64> {
    let (owed,): (i64,) = c
        .one(Sql::with(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'pledge' THEN amount_fen ELSE -amount_fen END), 0) AS BIGINT) \
             FROM appeal_entries WHERE appeal_id = $1 AND provider_id = $2 AND kind IN ('pledge', 'receipt')",
            vals![appeal_id, provider_id],
        ))
        .await?;
    Ok(owed)
}

/// The ledger's sums by kind, from the entries themselves: (pledge, receipt, disbursement,
/// surplus) in fen.
pub async fn ledger_sums(c: &mut impl Conn, appeal_id: i64) -> Result<(i64, i64, i64, i64)> {
    let rows: Vec<(String, i64)> = c
        .all(Sql::with(
            "SELECT kind, CAST(SUM(amount_fen) AS BIGINT) FROM appeal_entries WHERE appeal_id = $1 GROUP BY kind",
            vals![appeal_id],
        ))
        .await?;
    let sum = |k: &str| {
        rows.iter()
            .filter(|(kind, _)| kind == k)
            .map(|(_, v)| *v)
            .sum::<i64>()
    };
    Ok((
        sum("pledge"),
        sum("receipt"),
        sum("disbursement"),
        sum("surplus"),
    ))
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct AssignmentRow {
    pub id: i64,
    pub household_id: i64,
    pub address: String,
    pub region_code: i64,
    pub volunteer: String,
    pub service: String,
    pub every_days: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub stipend_fen: Option<i64>,
    pub stipend_payer: String,
    /// Visits logged, their hours and the stipends they earned (fen).
    pub visits: i64,
    pub hours: f64,
    pub stipends_fen: i64,
}

pub struct NewAssignment<'a> {
    pub household_id: i64,
    pub region_code: i64,
    pub volunteer: &'a str,
    pub service: &'a str,
    pub every_days: i64,
    pub starts_on: &'a str,
    pub ends_on: Option<&'a str>,
    pub stipend_fen: Option<i64>,
    pub stipend_payer: &'a str,
    pub created_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_assignment(c: &mut impl Conn, a: &NewAssignment<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO volunteer_assignments (household_id, region_code, volunteer, service, every_days, starts_on, \
             ends_on, stipend_fen, stipend_payer, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            vals![
                a.household_id,
                a.region_code,
                a.volunteer,
                a.service,
                a.every_days,
                a.starts_on,
                a.ends_on,
                a.stipend_fen,
                a.stipend_payer,
                a.created_by,
                a.now
            ],
        ))
        .await?;
    Ok(id)
}

/// Assignments of the scope (one when `id` is given), with their visits summed.
pub async fn assignments(
    c: &mut impl Conn,
    scope: &Scope,
    id: Option<i64>,
) -> Result<Vec<AssignmentRow>> {
    let mut sql = Sql::new(
        "SELECT a.id, a.household_id, h.address, a.region_code, a.volunteer, a.service, a.every_days, a.starts_on, \
         a.ends_on, a.stipend_fen, a.stipend_payer, COUNT(v.id) AS visits, \
         CAST(COALESCE(SUM(v.hours), 0) AS DOUBLE PRECISION) AS hours, \
         CAST(COALESCE(SUM(v.stipend_fen), 0) AS BIGINT) AS stipends_fen \
         FROM volunteer_assignments a JOIN households h ON h.id = a.household_id \
         LEFT JOIN volunteer_visits v ON v.assignment_id = a.id WHERE ",
    );
    scope.sql_condition(&mut sql, "a.region_code");
    if let Some(id) = id {
        sql.push(" AND a.id = ").bind(id);
    }
    sql.push(
        " GROUP BY a.id, a.household_id, h.address, a.region_code, a.volunteer, a.service, a.every_days, \
         a.starts_on, a.ends_on, a.stipend_fen, a.stipend_payer ORDER BY a.id",
    );
    c.all(sql).await
}

pub struct NewVisit<'a> {
    pub assignment_id: i64,
    pub visited_on: &'a str,
    pub hours: f64,
    pub note: &'a str,
    pub stipend_fen: Option<i64>,
    pub recorded_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_visit(c: &mut impl Conn, v: &NewVisit<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO volunteer_visits (assignment_id, visited_on, hours, note, stipend_fen, recorded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vals![
                v.assignment_id,
                v.visited_on,
                Some(v.hours),
                v.note,
                v.stipend_fen,
                v.recorded_by,
                v.now
            ],
        ))
        .await?;
    Ok(id)
}

/// The days an assignment's visits were logged, in order.
pub async fn visit_days(c: &mut impl Conn, assignment_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = c
        .all(Sql::with(
            "SELECT visited_on FROM volunteer_visits WHERE assignment_id = $1 ORDER BY visited_on",
            vals![assignment_id],
        ))
        .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

/// Deliveries summed by provider kind within the scope: (kind, deliveries, fen).
/// Days from–to (YYYY-MM-DD, both included) a figure counts, or all when `None`.
pub type Days<'a> = Option<(&'a str, &'a str)>;

fn within_days(sql: &mut Sql, column: &str, days: Days<'_>) {
    if let Some((from, to)) = days {
        sql.push(" AND ")
            .push(column)
            .push(" BETWEEN ")
            .bind(from)
            .push(" AND ")
            .bind(to);
    }
}

pub async fn delivered_by_kind(
    c: &mut impl Conn,
    scope: &Scope,
    days: Days<'_>,
) -> Result<Vec<(String, i64, i64)>> {
    let mut sql = Sql::new(
        "SELECT p.kind, COUNT(d.id), CAST(COALESCE(SUM(ROUND(d.value_yuan * 100)), 0) AS BIGINT) \
         FROM resource_deliveries d JOIN resource_matches m ON m.id = d.match_id \
         JOIN resource_offers o ON o.id = m.offer_id JOIN resource_providers p ON p.id = o.provider_id WHERE ",
    );
    scope.sql_condition(&mut sql, "m.region_code");
    within_days(&mut sql, "d.delivered_on", days);
    sql.push(" GROUP BY p.kind ORDER BY p.kind");
    c.all(sql).await
}

/// Volunteer visits and hours within the scope: (visits, hours, stipends in fen).
pub async fn volunteer_totals(
    c: &mut impl Conn,
    scope: &Scope,
    days: Days<'_>,
) -> Result<(i64, f64, i64)> {
    let mut sql = Sql::new(
        "SELECT COUNT(v.id), CAST(COALESCE(SUM(v.hours), 0) AS DOUBLE PRECISION), \
         CAST(COALESCE(SUM(v.stipend_fen), 0) AS BIGINT) FROM volunteer_visits v \
         JOIN volunteer_assignments a ON a.id = v.assignment_id WHERE ",
    );
    scope.sql_condition(&mut sql, "a.region_code");
    within_days(&mut sql, "v.visited_on", days);
    c.one(sql).await
}

/// Appeals within the scope: (appeals, open, target, received, disbursed) in fen.
pub async fn appeal_totals(c: &mut impl Conn, scope: &Scope) -> Result<(i64, i64, i64, i64, i64)> {
    let mut sql = Sql::new(
        "SELECT COUNT(id), CAST(COALESCE(SUM(CASE WHEN state = 'open' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(target_fen), 0) AS BIGINT), CAST(COALESCE(SUM(received_fen), 0) AS BIGINT), \
         CAST(COALESCE(SUM(disbursed_fen), 0) AS BIGINT) FROM appeals WHERE ",
    );
    scope.sql_condition(&mut sql, "region_code");
    c.one(sql).await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct ContractRow {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub region_code: i64,
    pub region_end: i64,
    pub budget_fen: i64,
    pub paid_fen: i64,
    pub starts_on: String,
    pub ends_on: String,
}

pub struct NewContract<'a> {
    pub unit_id: i64,
    pub name: &'a str,
    pub region_code: i64,
    pub region_end: i64,
    pub budget_fen: i64,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub created_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_contract(c: &mut impl Conn, k: &NewContract<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO service_contracts (unit_id, name, region_code, region_end, budget_fen, starts_on, ends_on, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vals![
                k.unit_id,
                k.name,
                k.region_code,
                k.region_end,
                k.budget_fen,
                k.starts_on,
                k.ends_on,
                k.created_by,
                k.now
            ],
        ))
        .await?;
    Ok(id)
}

pub async fn insert_deliverable(
    c: &mut impl Conn,
    contract_id: i64,
    kind: &str,
    target: i64,
) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO contract_deliverables (contract_id, kind, target) VALUES ($1, $2, $3)",
        vals![contract_id, kind, target],
    ))
    .await?;
    Ok(())
}

pub async fn insert_milestone(
    c: &mut impl Conn,
    contract_id: i64,
    name: &str,
    amount_fen: i64,
    needs_share: f64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO contract_milestones (contract_id, name, amount_fen, needs_share) VALUES ($1, $2, $3, $4) RETURNING id",
            vals![contract_id, name, amount_fen, Some(needs_share)],
        ))
        .await?;
    Ok(id)
}

const CONTRACT_SELECT: &str = "SELECT id, unit_id, name, region_code, region_end, budget_fen, paid_fen, starts_on, \
     ends_on FROM service_contracts";

/// One contract, if the scope or the unit may see it.
pub async fn contract(
    c: &mut impl Conn,
    scope: &Scope,
    unit_id: Option<i64>,
    id: i64,
) -> Result<Option<ContractRow>> {
    let mut sql = Sql::new(CONTRACT_SELECT);
    sql.push(" WHERE id = ").bind(id).push(" AND ");
    in_scope_or_unit(&mut sql, scope, "region_code", "unit_id", unit_id);
    c.optional(sql).await
}

/// A unit's contracts covering a household region on a day (YYYY-MM-DD).
pub async fn covering(
    c: &mut impl Conn,
    unit_id: i64,
    region: i64,
    day: &str,
) -> Result<Vec<ContractRow>> {
    c.all(Sql::with(
        &format!(
            "{CONTRACT_SELECT} WHERE unit_id = $1 AND $2 BETWEEN region_code AND region_end \
             AND starts_on <= $3 AND ends_on >= $3 ORDER BY id"
        ),
        vals![unit_id, region, day],
    ))
    .await
}

pub async fn has_contracts(c: &mut impl Conn, unit_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT id FROM service_contracts WHERE unit_id = $1 LIMIT 1",
            vals![unit_id],
        ))
        .await?;
    Ok(row.is_some())
}

pub async fn deliverables(c: &mut impl Conn, contract_id: i64) -> Result<Vec<(String, i64)>> {
    c.all(Sql::with(
        "SELECT kind, target FROM contract_deliverables WHERE contract_id = $1 ORDER BY id",
        vals![contract_id],
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct MilestoneRow {
    pub id: i64,
    pub contract_id: i64,
    pub name: String,
    pub amount_fen: i64,
    pub needs_share: f64,
    pub paid_at: Option<i64>,
}

pub async fn milestones(c: &mut impl Conn, contract_id: i64) -> Result<Vec<MilestoneRow>> {
    c.all(Sql::with(
        "SELECT id, contract_id, name, amount_fen, needs_share, paid_at FROM contract_milestones \
         WHERE contract_id = $1 ORDER BY id",
        vals![contract_id],
    ))
    .await
}

/// Work done for a contract by its organisation's staff, in its area and period (ms bounds):
/// assessments submitted, or service visits recorded.
pub async fn contract_progress(
    c: &mut impl Conn,
    contract: &ContractRow,
    kind: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<i64> {
    let sql = if kind == "assessments" {
        "SELECT COUNT(a.id) FROM assessments a JOIN users u ON u.id = a.assessor_id \
         WHERE u.unit_id = $1 AND a.submitted_at IS NOT NULL AND a.submitted_at BETWEEN $2 AND $3 \
         AND a.region_code BETWEEN $4 AND $5"
    } else {
        "SELECT COUNT(v.id) FROM volunteer_visits v JOIN users u ON u.id = v.recorded_by \
         JOIN volunteer_assignments a ON a.id = v.assignment_id \
         WHERE u.unit_id = $1 AND v.created_at BETWEEN $2 AND $3 AND a.region_code BETWEEN $4 AND $5"
    };
    let (n,): (i64,) = c
        .one(Sql::with(
            sql,
            vals![
                contract.unit_id,
                from_ms,
                to_ms,
                contract.region_code,
                contract.region_end
            ],
        ))
        .await?;
    Ok(n)
}

/// Pays a milestone within the budget; false when it was paid or the budget would be passed.
pub async fn pay_milestone(
    c: &mut impl Conn,
    milestone: &MilestoneRow,
    user_id: Option<i64>,
    now: i64,
) -> Result<bool> {
    let budget = c
        .execute(Sql::with(
            "UPDATE service_contracts SET paid_fen = paid_fen + $1 WHERE id = $2 AND paid_fen + $1 <= budget_fen",
            vals![milestone.amount_fen, milestone.contract_id],
        ))
        .await?;
    if budget != 1 {
        return Ok(false);
    }
    let paid = c
        .execute(Sql::with(
            "UPDATE contract_milestones SET paid_at = $1, paid_by = $2 WHERE id = $3 AND paid_at IS NULL",
            vals![now, user_id, milestone.id],
        ))
        .await?;
    Ok(paid == 1)
}

/// The areas a unit's staff may work in today when it holds purchased-service contracts: the
/// ranges of the contracts running on `day` (none running: an empty list). `None` when the
/// unit has no contracts at all (its staff keep their unit's area).
pub async fn contract_ranges(
    c: &mut impl Conn,
    unit_id: i64,
    day: &str,
) -> Result<Option<Vec<(i64, i64)>>> {
    // One query (it runs with every request of a signed-in user): every contract of the unit,
    // running or not, so "no contracts" and "none running" are told apart.
    let rows: Vec<(i64, i64, String, String)> = c
        .all(Sql::with(
            "SELECT region_code, region_end, starts_on, ends_on FROM service_contracts \
             WHERE unit_id = $1 ORDER BY region_code",
            vals![unit_id],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .filter(|(_, _, from, to)| from.as_str() <= day && to.as_str() >= day)
            .map(|(lo, hi, _, _)| (lo, hi))
            .collect(),
    ))
}

/// Contracts staff of the scope (the area they cover starts in it) or the organisation sees.
pub async fn contracts(
    c: &mut impl Conn,
    scope: &Scope,
    unit_id: Option<i64>,
) -> Result<Vec<ContractRow>> {
    let mut sql = Sql::new(CONTRACT_SELECT);
    sql.push(" WHERE ");
    in_scope_or_unit(&mut sql, scope, "region_code", "unit_id", unit_id);
    sql.push(" ORDER BY id DESC");
    c.all(sql).await
}

/// Deliveries within the scope by district: (district code, deliveries, fen).
pub async fn delivered_by_district(
    c: &mut impl Conn,
    scope: &Scope,
    days: Days<'_>,
) -> Result<Vec<(i64, i64, i64)>> {
    let mut sql = Sql::new(
        "SELECT (m.region_code / 1000000) * 1000000 AS district, COUNT(d.id), \
         CAST(COALESCE(SUM(ROUND(d.value_yuan * 100)), 0) AS BIGINT) \
         FROM resource_deliveries d JOIN resource_matches m ON m.id = d.match_id WHERE ",
    );
    scope.sql_condition(&mut sql, "m.region_code");
    within_days(&mut sql, "d.delivered_on", days);
    sql.push(" GROUP BY (m.region_code / 1000000) * 1000000 ORDER BY district");
    c.all(sql).await
}

/// Appeals of the scope, the open ones first.
pub async fn appeals(c: &mut impl Conn, scope: &Scope) -> Result<Vec<AppealRow>> {
    let mut sql = Sql::new(APPEAL_SELECT);
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" ORDER BY state DESC, id DESC");
    c.all(sql).await
}

/// Open appeals anywhere (their public figures are what a donor sees).
pub async fn open_appeals(c: &mut impl Conn) -> Result<Vec<AppealRow>> {
    c.all(Sql::new(&format!(
        "{APPEAL_SELECT} WHERE state = 'open' ORDER BY id DESC"
    )))
    .await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct EntryRow {
    pub id: i64,
    pub appeal_id: i64,
    pub kind: String,
    pub provider_name: Option<String>,
    pub amount_fen: i64,
    pub note: String,
    pub at: i64,
}

/// The ledgers of the appeals of the scope, each oldest first (one query for a page of them).
pub async fn appeal_entries(c: &mut impl Conn, scope: &Scope) -> Result<Vec<EntryRow>> {
    let mut sql = Sql::new(
        "SELECT e.id, e.appeal_id, e.kind, p.name AS provider_name, e.amount_fen, e.note, e.at \
         FROM appeal_entries e JOIN appeals a ON a.id = e.appeal_id \
         LEFT JOIN resource_providers p ON p.id = e.provider_id WHERE ",
    );
    scope.sql_condition(&mut sql, "a.region_code");
    sql.push(" ORDER BY e.appeal_id, e.id");
    c.all(sql).await
}

/// A need government items do not cover, of a household of the scope.
#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct NeedRow {
    pub household_id: i64,
    pub address: String,
    pub region_code: i64,
    /// declined (a plan item declined), unavailable (a referral failed or returned), or
    /// not_eligible_helped (the household's file).
    pub source: String,
    /// The catalog item (empty for not_eligible_helped).
    pub item_code: String,
    pub detail: String,
}

/// Needs within the scope: declined plan items, referrals that failed or came back, and the
/// households whose file says "not eligible but helped".
pub async fn unmet_needs(c: &mut impl Conn, scope: &Scope, limit: i64) -> Result<Vec<NeedRow>> {
    let mut sql = Sql::new(
        "SELECT * FROM (\
         SELECT p.household_id, h.address, p.region_code, 'declined' AS source, i.item_code, i.decline_reason AS detail \
         FROM plan_items i JOIN assistance_plans p ON p.id = i.plan_id JOIN households h ON h.id = p.household_id \
         WHERE i.state = 'declined' AND ",
    );
    scope.sql_condition(&mut sql, "p.region_code");
    sql.push(
        " UNION SELECT f.household_id, h.address, f.region_code, 'unavailable', f.item_code, '' \
         FROM referrals f JOIN households h ON h.id = f.household_id WHERE f.state IN ('failed', 'returned') AND ",
    );
    scope.sql_condition(&mut sql, "f.region_code");
    sql.push(
        " UNION SELECT f.household_id, h.address, f.region_code, 'not_eligible_helped', '', '' \
         FROM household_files f JOIN households h ON h.id = f.household_id WHERE f.state = 'not_eligible_helped' AND ",
    );
    scope.sql_condition(&mut sql, "f.region_code");
    sql.push(") needs ORDER BY household_id, source, item_code LIMIT ")
        .bind(limit);
    c.all(sql).await
}
