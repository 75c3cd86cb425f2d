//! Help (帮助): assistance plans, referrals, reserve funds, benefits and emergency cases. Queries
//! over households take the user's `Scope`; a receiver sees the referrals addressed to its unit.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, vals};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct PlanRow {
    pub id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub assessment_id: Option<i64>,
    pub catalog_version: String,
    pub created_at: i64,
    pub row_version: i64,
}

const PLAN_COLUMNS: &str = "p.id, p.household_id, p.region_code, p.assessment_id, p.catalog_version, p.created_at, p.row_version";

pub async fn insert_plan(
    c: &mut impl Conn,
    household_id: i64,
    region_code: i64,
    assessment_id: Option<i64>,
    catalog_version: &str,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO assistance_plans (household_id, region_code, assessment_id, catalog_version, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vals![household_id, region_code, assessment_id, catalog_version, created_by, now],
        ))
        .await?;
    Ok(id)
}

/// The household's latest plan.
pub async fn plan_of_household(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Option<PlanRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {PLAN_COLUMNS} FROM assistance_plans p WHERE p.household_id = "
    ));
    sql.bind(household_id).push(" AND ");
    scope.sql_condition(&mut sql, "p.region_code");
    sql.push(" ORDER BY p.id DESC LIMIT 1");
    c.optional(sql).await
}

pub async fn plan(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<PlanRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {PLAN_COLUMNS} FROM assistance_plans p WHERE p.id = "
    ));
    sql.bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "p.region_code");
    c.optional(sql).await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct PlanItemRow {
    pub id: i64,
    pub plan_id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub item_code: String,
    pub category: String,
    pub source: String,
    pub state: String,
    pub amount: Option<f64>,
    pub reason: String,
    pub decline_reason: String,
    pub approval_level: String,
    pub approved_at: Option<i64>,
    pub row_version: i64,
}

const ITEM_SELECT: &str = "SELECT i.id, i.plan_id, p.household_id, p.region_code, i.item_code, i.category, i.source, \
     i.state, i.amount, i.reason, i.decline_reason, i.approval_level, i.approved_at, i.row_version \
     FROM plan_items i JOIN assistance_plans p ON p.id = i.plan_id";

pub struct NewPlanItem<'a> {
    pub plan_id: i64,
    pub item_code: &'a str,
    pub category: &'a str,
    pub source: &'a str,
    pub amount: Option<f64>,
    pub reason: &'a str,
    pub approval_level: &'a str,
}

pub async fn insert_plan_item(c: &mut impl Conn, item: &NewPlanItem<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO plan_items (plan_id, item_code, category, source, state, amount, reason, approval_level) \
             VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7) RETURNING id",
            vals![item.plan_id, item.item_code, item.category, item.source, item.amount, item.reason, item.approval_level],
        ))
        .await?;
    Ok(id)
}

pub async fn plan_items(c: &mut impl Conn, plan_id: i64) -> Result<Vec<PlanItemRow>> {
    c.all(Sql::with(
        &format!("{ITEM_SELECT} WHERE i.plan_id = $1 ORDER BY i.id"),
        vals![plan_id],
    ))
    .await
}

pub async fn plan_item(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<PlanItemRow>> {
    let mut sql = Sql::new(ITEM_SELECT);
    sql.push(" WHERE i.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "p.region_code");
    c.optional(sql).await
}

/// Moves a plan item from one of `from` to `to`; 0 rows when it moved on meanwhile.
pub async fn set_item_state(
    c: &mut impl Conn,
    id: i64,
    expected_version: i64,
    from: &[&str],
    to: &str,
    decline_reason: &str,
    approved: Option<(Option<i64>, i64)>,
) -> Result<u64> {
    let mut sql = Sql::new("UPDATE plan_items SET state = ");
    sql.bind(to)
        .push(", decline_reason = ")
        .bind(decline_reason)
        .push(", row_version = row_version + 1");
    if let Some((by, at)) = approved {
        sql.push(", approved_by = ")
            .bind(by)
            .push(", approved_at = ")
            .bind(at);
    }
    sql.push(" WHERE id = ")
        .bind(id)
        .push(" AND row_version = ")
        .bind(expected_version);
    push_states(&mut sql, from);
    c.execute(sql).await
}

fn push_states(sql: &mut Sql, states: &[&str]) {
    sql.push(" AND state IN (");
    for (i, state) in states.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*state);
    }
    sql.push(")");
}

// ---------- referrals ----------

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct ReferralRow {
    pub id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub region_name: String,
    pub plan_item_id: Option<i64>,
    pub item_code: String,
    pub receiver_unit_id: i64,
    pub receiver_name: String,
    pub receiver_kind: String,
    pub state: String,
    pub facts: String,
    pub sent_at: i64,
    pub due_at: i64,
    pub accepted_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub return_reason: String,
    pub fail_reason: String,
    pub outcome_amount: Option<f64>,
    pub outcome_service: String,
    pub outcome_date: Option<String>,
    pub chased_at: Option<i64>,
    pub escalated: bool,
    pub row_version: i64,
}

const REFERRAL_SELECT: &str = "SELECT f.id, f.household_id, f.region_code, r.name AS region_name, f.plan_item_id, \
     f.item_code, f.receiver_unit_id, u.name AS receiver_name, f.receiver_kind, f.state, f.facts, f.sent_at, \
     f.due_at, f.accepted_at, f.closed_at, f.return_reason, f.fail_reason, f.outcome_amount, f.outcome_service, \
     f.outcome_date, f.chased_at, f.escalated, f.row_version \
     FROM referrals f JOIN regions r ON r.code = f.region_code JOIN units u ON u.id = f.receiver_unit_id";

pub struct NewReferral<'a> {
    pub household_id: i64,
    pub region_code: i64,
    pub plan_item_id: Option<i64>,
    pub item_code: &'a str,
    pub receiver_unit_id: i64,
    pub receiver_kind: &'a str,
    pub facts: &'a str,
    pub sent_by: Option<i64>,
    pub now: i64,
    pub due_at: i64,
}

pub async fn insert_referral(c: &mut impl Conn, r: &NewReferral<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO referrals (household_id, region_code, plan_item_id, item_code, receiver_unit_id, receiver_kind, \
             state, facts, sent_by, sent_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7, $8, $9, $10) RETURNING id",
            vals![r.household_id, r.region_code, r.plan_item_id, r.item_code, r.receiver_unit_id, r.receiver_kind, r.facts, r.sent_by, r.now, r.due_at],
        ))
        .await?;
    Ok(id)
}

/// A referral the caller may see: in their area, or addressed to their unit.
pub async fn referral(
    c: &mut impl Conn,
    scope: &Scope,
    unit_id: Option<i64>,
    id: i64,
) -> Result<Option<ReferralRow>> {
    let mut sql = Sql::new(REFERRAL_SELECT);
    sql.push(" WHERE f.id = ").bind(id).push(" AND (");
    scope.sql_condition(&mut sql, "f.region_code");
    sql.push(" OR f.receiver_unit_id = ")
        .bind(unit_id.unwrap_or(-1))
        .push(")");
    c.optional(sql).await
}

/// Referrals addressed to a unit.
pub async fn referrals_to_unit(
    c: &mut impl Conn,
    unit_id: i64,
    limit: i64,
) -> Result<Vec<ReferralRow>> {
    c.all(Sql::with(
        &format!("{REFERRAL_SELECT} WHERE f.receiver_unit_id = $1 ORDER BY f.state IN ('completed', 'failed', 'returned'), f.due_at, f.id LIMIT $2"),
        vals![unit_id, limit.clamp(1, 500)],
    ))
    .await
}

/// Referrals of the households in an area.
pub async fn referrals_in_scope(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: Option<i64>,
    limit: i64,
) -> Result<Vec<ReferralRow>> {
    let mut sql = Sql::new(REFERRAL_SELECT);
    sql.push(" WHERE ");
    scope.sql_condition(&mut sql, "f.region_code");
    if let Some(h) = household_id {
        sql.push(" AND f.household_id = ").bind(h);
    }
    sql.push(" ORDER BY f.sent_at DESC, f.id DESC LIMIT ")
        .bind(limit.clamp(1, 500));
    c.all(sql).await
}

/// What a referral transition writes.
#[derive(Debug, Clone, Default)]
pub struct ReferralChange<'a> {
    pub accepted_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub return_reason: Option<&'a str>,
    pub fail_reason: Option<&'a str>,
    pub outcome_amount: Option<f64>,
    pub outcome_service: Option<&'a str>,
    pub outcome_date: Option<&'a str>,
}

/// Moves a referral from one of `from` to `to`; 0 rows when it is not in such a state (or
/// moved on meanwhile).
pub async fn move_referral(
    c: &mut impl Conn,
    id: i64,
    expected_version: i64,
    from: &[&str],
    to: &str,
    change: &ReferralChange<'_>,
) -> Result<u64> {
    let mut sql = Sql::new("UPDATE referrals SET state = ");
    sql.bind(to).push(", row_version = row_version + 1");
    if let Some(at) = change.accepted_at {
        sql.push(", accepted_at = ").bind(at);
    }
    if let Some(at) = change.closed_at {
        sql.push(", closed_at = ").bind(at);
    }
    if let Some(reason) = change.return_reason {
        sql.push(", return_reason = ").bind(reason);
    }
    if let Some(reason) = change.fail_reason {
        sql.push(", fail_reason = ").bind(reason);
    }
    if let Some(amount) = change.outcome_amount {
        sql.push(", outcome_amount = ").bind(Some(amount));
    }
    if let Some(service) = change.outcome_service {
        sql.push(", outcome_service = ").bind(service);
    }
    if let Some(date) = change.outcome_date {
        sql.push(", outcome_date = ").bind(date);
    }
    sql.push(" WHERE id = ")
        .bind(id)
        .push(" AND row_version = ")
        .bind(expected_version);
    push_states(&mut sql, from);
    c.execute(sql).await
}

/// Open referrals past their deadline and not chased since `chased_before`: chases them (and
/// escalates those already chased); returns (id, household, region, escalated).
/// Marks overdue referrals chased (escalated when chased before): (id, household, region,
/// escalated, receiving unit).
pub async fn chase_overdue(
    c: &mut impl Conn,
    now: i64,
    chased_before: i64,
) -> Result<Vec<(i64, i64, i64, bool, i64)>> {
    let overdue: Vec<(i64, i64, i64, Option<i64>, i64)> = c
        .all(Sql::with(
            "SELECT id, household_id, region_code, chased_at, receiver_unit_id FROM referrals \
             WHERE state IN ('sent', 'accepted', 'in_progress') AND due_at < $1 \
             AND (chased_at IS NULL OR chased_at < $2) ORDER BY id",
            vals![now, chased_before],
        ))
        .await?;
    let mut out = Vec::new();
    for (id, household, region, chased_at, unit) in overdue {
        let escalate = chased_at.is_some();
        c.execute(Sql::with(
            "UPDATE referrals SET chased_at = $1, escalated = $2 WHERE id = $3",
            vals![now, escalate, id],
        ))
        .await?;
        out.push((id, household, region, escalate, unit));
    }
    Ok(out)
}

// ---------- reserve funds ----------

/// Adds money to a town's fund; returns the balance after.
pub async fn top_up(
    c: &mut impl Conn,
    town: i64,
    cents: i64,
    user_id: Option<i64>,
    note: &str,
    now: i64,
) -> Result<i64> {
    c.execute(Sql::with(
        "INSERT INTO reserve_funds (town_code, balance_cents) VALUES ($1, 0) ON CONFLICT (town_code) DO NOTHING",
        vals![town],
    ))
    .await?;
    let (balance,): (i64,) = c
        .one(Sql::with(
            "UPDATE reserve_funds SET balance_cents = balance_cents + $1 WHERE town_code = $2 RETURNING balance_cents",
            vals![cents, town],
        ))
        .await?;
    ledger_row(c, town, "top_up", cents, balance, None, user_id, note, now).await?;
    Ok(balance)
}

/// Pays from a town's fund when the balance covers it; `None` (and nothing written) when it
/// does not. One conditional UPDATE, so two payments at once cannot overdraw it.
#[allow(clippy::too_many_arguments)]
pub async fn disburse(
    c: &mut impl Conn,
    town: i64,
    cents: i64,
    household_id: i64,
    user_id: Option<i64>,
    note: &str,
    now: i64,
) -> Result<Option<i64>> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "UPDATE reserve_funds SET balance_cents = balance_cents - $1 WHERE town_code = $2 AND balance_cents >= $1 \
             RETURNING balance_cents",
            vals![cents, town],
        ))
        .await?;
    let Some((balance,)) = row else {
        return Ok(None);
    };
    ledger_row(
        c,
        town,
        "disbursement",
        cents,
        balance,
        Some(household_id),
        user_id,
        note,
        now,
    )
    .await?;
    Ok(Some(balance))
}

#[allow(clippy::too_many_arguments)]
async fn ledger_row(
    c: &mut impl Conn,
    town: i64,
    kind: &str,
    cents: i64,
    balance: i64,
    household_id: Option<i64>,
    user_id: Option<i64>,
    note: &str,
    now: i64,
) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO fund_ledger (town_code, at, kind, amount_cents, balance_after_cents, household_id, user_id, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vals![town, now, kind, cents, balance, household_id, user_id, note],
    ))
    .await?;
    Ok(())
}

pub async fn balance(c: &mut impl Conn, town: i64) -> Result<i64> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT balance_cents FROM reserve_funds WHERE town_code = $1",
            vals![town],
        ))
        .await?;
    Ok(row.map_or(0, |(b,)| b))
}

/// A town's reserve fund as listed: the town, its name and balance (0 before the first top-up).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct FundLine {
    pub town_code: i64,
    pub town_name: String,
    pub balance_cents: i64,
}

/// The reserve funds of the towns inside the scope, by town code.
pub async fn funds_in(c: &mut impl Conn, scope: &Scope) -> Result<Vec<FundLine>> {
    let mut sql = Sql::new(
        "SELECT r.code AS town_code, r.name AS town_name, COALESCE(f.balance_cents, 0) AS balance_cents \
         FROM regions r LEFT JOIN reserve_funds f ON f.town_code = r.code WHERE r.level = 'town' AND ",
    );
    scope.sql_condition(&mut sql, "r.code");
    sql.push(" ORDER BY r.code");
    c.all(sql).await
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct LedgerRow {
    pub at: i64,
    pub kind: String,
    pub amount_cents: i64,
    pub balance_after_cents: i64,
    pub household_id: Option<i64>,
    pub note: String,
}

pub async fn ledger(c: &mut impl Conn, town: i64, limit: i64) -> Result<Vec<LedgerRow>> {
    c.all(Sql::with(
        "SELECT at, kind, amount_cents, balance_after_cents, household_id, note FROM fund_ledger \
         WHERE town_code = $1 ORDER BY at DESC, id DESC LIMIT $2",
        vals![town, limit.clamp(1, 1000)],
    ))
    .await
}

// ---------- benefits ----------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct BenefitRow {
    pub id: i64,
    pub household_id: i64,
    pub item_code: String,
    pub category: String,
    pub period_key: String,
    pub amount_cents: i64,
    pub paid_at: i64,
    pub source: String,
}

pub struct NewBenefit<'a> {
    pub household_id: i64,
    pub region_code: i64,
    pub item_code: &'a str,
    pub category: &'a str,
    pub period_key: &'a str,
    pub amount_cents: i64,
    pub paid_at: i64,
    pub source: &'a str,
    pub source_id: Option<i64>,
}

pub async fn benefit_in_period(
    c: &mut impl Conn,
    household_id: i64,
    item_code: &str,
    period_key: &str,
) -> Result<Option<BenefitRow>> {
    c.optional(Sql::with(
        "SELECT id, household_id, item_code, category, period_key, amount_cents, paid_at, source FROM benefits \
         WHERE household_id = $1 AND item_code = $2 AND period_key = $3",
        vals![household_id, item_code, period_key],
    ))
    .await
}

/// Records a benefit; the unique key refuses a second grant of the item in the period.
pub async fn insert_benefit(c: &mut impl Conn, b: &NewBenefit<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO benefits (household_id, region_code, item_code, category, period_key, amount_cents, paid_at, source, source_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vals![b.household_id, b.region_code, b.item_code, b.category, b.period_key, b.amount_cents, b.paid_at, b.source, b.source_id],
        ))
        .await?;
    Ok(id)
}

pub async fn benefits_of(c: &mut impl Conn, household_id: i64) -> Result<Vec<BenefitRow>> {
    c.all(Sql::with(
        "SELECT id, household_id, item_code, category, period_key, amount_cents, paid_at, source FROM benefits \
         WHERE household_id = $1 ORDER BY paid_at DESC, id DESC",
        vals![household_id],
    ))
    .await
}

// ---------- emergency cases ----------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct EmergencyRow {
    pub id: i64,
    pub household_id: i64,
    pub town_code: i64,
    pub item_code: String,
    pub started_at: i64,
    pub due_at: i64,
    pub paid_at: Option<i64>,
    pub amount_cents: Option<i64>,
    pub paperwork: String,
    pub paperwork_at: Option<i64>,
    pub note: String,
}

const EMERGENCY_COLUMNS: &str = "id, household_id, town_code, item_code, started_at, due_at, paid_at, amount_cents, paperwork, paperwork_at, note";

/// Emergency cases not paid whose deadline fell in `(from, to]` (the `overdue-scan` job).
pub async fn overdue_emergencies(
    c: &mut impl Conn,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<EmergencyRow>> {
    c.all(Sql::with(
        &format!(
            "SELECT {EMERGENCY_COLUMNS} FROM emergency_cases WHERE paid_at IS NULL AND due_at > $1 \
             AND due_at <= $2 ORDER BY due_at, id LIMIT $3"
        ),
        vals![from, to, limit.clamp(1, 10_000)],
    ))
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn open_emergency(
    c: &mut impl Conn,
    household_id: i64,
    region_code: i64,
    town: i64,
    item_code: &str,
    started_at: i64,
    due_at: i64,
    opened_by: Option<i64>,
    note: &str,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO emergency_cases (household_id, region_code, town_code, item_code, started_at, due_at, opened_by, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vals![household_id, region_code, town, item_code, started_at, due_at, opened_by, note],
        ))
        .await?;
    Ok(id)
}

pub async fn emergency(c: &mut impl Conn, scope: &Scope, id: i64) -> Result<Option<EmergencyRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {EMERGENCY_COLUMNS} FROM emergency_cases WHERE id = "
    ));
    sql.bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "town_code");
    c.optional(sql).await
}

/// A household's emergency cases, of the scope.
pub async fn emergencies_of(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Vec<EmergencyRow>> {
    let mut sql = Sql::with(
        &format!("SELECT {EMERGENCY_COLUMNS} FROM emergency_cases WHERE household_id = $1 AND "),
        vals![household_id],
    );
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" ORDER BY started_at DESC, id DESC");
    c.all(sql).await
}

/// Marks a case paid; 0 rows if it was paid already.
pub async fn mark_paid(c: &mut impl Conn, id: i64, cents: i64, now: i64) -> Result<u64> {
    c.execute(Sql::with(
        "UPDATE emergency_cases SET paid_at = $1, amount_cents = $2 WHERE id = $3 AND paid_at IS NULL",
        vals![now, cents, id],
    ))
    .await
}

pub async fn complete_paperwork(c: &mut impl Conn, id: i64, now: i64) -> Result<u64> {
    c.execute(Sql::with(
        "UPDATE emergency_cases SET paperwork = 'completed', paperwork_at = $1 WHERE id = $2 AND paid_at IS NOT NULL AND paperwork = 'pending'",
        vals![now, id],
    ))
    .await
}

// ---------- follow-ups ----------

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct FollowupRow {
    pub id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub address: String,
    pub tier: String,
    pub due_on: String,
    pub done_at: Option<i64>,
    pub note: String,
    pub satisfaction: Option<String>,
}

const FOLLOWUP_SELECT: &str = "SELECT f.id, f.household_id, f.region_code, h.address, f.tier, f.due_on, f.done_at, \
     f.note, f.satisfaction FROM followups f JOIN households h ON h.id = f.household_id";

pub async fn schedule_followup(
    c: &mut impl Conn,
    household_id: i64,
    region_code: i64,
    tier: &str,
    due_on: &str,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO followups (household_id, region_code, tier, due_on) VALUES ($1, $2, $3, $4) RETURNING id",
            vals![household_id, region_code, tier, due_on],
        ))
        .await?;
    Ok(id)
}

/// The household's open (not yet done) follow-up, if any.
/// A household's follow-up not yet done, if the household lies in the scope.
pub async fn open_followup(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Option<FollowupRow>> {
    let mut sql = Sql::with(
        &format!("{FOLLOWUP_SELECT} WHERE f.household_id = $1 AND f.done_at IS NULL AND "),
        vals![household_id],
    );
    scope.sql_condition(&mut sql, "f.region_code");
    sql.push(" ORDER BY f.id DESC LIMIT 1");
    c.optional(sql).await
}

/// A household's follow-ups, if the household lies in the scope.
pub async fn followups_of(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Vec<FollowupRow>> {
    let mut sql = Sql::with(
        &format!("{FOLLOWUP_SELECT} WHERE f.household_id = $1 AND "),
        vals![household_id],
    );
    scope.sql_condition(&mut sql, "f.region_code");
    sql.push(" ORDER BY f.id DESC LIMIT 50");
    c.all(sql).await
}

/// Follow-ups of an area not yet done, soonest (most overdue) first.
pub async fn followups_due(
    c: &mut impl Conn,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<FollowupRow>> {
    let mut sql = Sql::new(FOLLOWUP_SELECT);
    sql.push(" WHERE f.done_at IS NULL AND ");
    scope.sql_condition(&mut sql, "f.region_code");
    sql.push(" ORDER BY f.due_on, f.id LIMIT ")
        .bind(limit.clamp(1, 500));
    c.all(sql).await
}

/// Records the visit; 0 rows when it was recorded already.
pub async fn complete_followup(
    c: &mut impl Conn,
    id: i64,
    by: Option<i64>,
    note: &str,
    satisfaction: Option<&str>,
    now: i64,
) -> Result<u64> {
    c.execute(Sql::with(
        "UPDATE followups SET done_at = $1, done_by = $2, note = $3, satisfaction = $4 WHERE id = $5 AND done_at IS NULL",
        vals![now, by, note, satisfaction, id],
    ))
    .await
}

/// Ends the watch of a household (its file closed with a reason): open follow-ups are dropped.
pub async fn drop_open_followups(c: &mut impl Conn, household_id: i64) -> Result<u64> {
    c.execute(Sql::with(
        "DELETE FROM followups WHERE household_id = $1 AND done_at IS NULL",
        vals![household_id],
    ))
    .await
}

// ---------- figures ----------

/// The figures of help in an area and period `[from, to)` (milliseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HelpFiguresRaw {
    pub assisted_households: i64,
    /// (category, grants, cents).
    pub by_category: Vec<(String, i64, i64)>,
    /// (receiver kind, state, referrals sent in the period).
    pub referrals: Vec<(String, String, i64)>,
    /// Yuan of completed charity and social-work referrals (resources linked).
    pub linked_yuan: f64,
    pub emergency_paid: i64,
    pub emergency_in_time: i64,
}

pub async fn figures(
    c: &mut impl Conn,
    scope: &Scope,
    from: i64,
    to: i64,
) -> Result<HelpFiguresRaw> {
    let mut sql =
        Sql::new("SELECT COUNT(*) FROM (SELECT household_id FROM benefits WHERE paid_at >= ");
    sql.bind(from)
        .push(" AND paid_at < ")
        .bind(to)
        .push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(
        " UNION SELECT household_id FROM referrals WHERE state = 'completed' AND closed_at >= ",
    )
    .bind(from)
    .push(" AND closed_at < ")
    .bind(to)
    .push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(") assisted");
    let (assisted_households,): (i64,) = c.one(sql).await?;

    let mut sql = Sql::new(
        "SELECT category, COUNT(*), CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM benefits WHERE paid_at >= ",
    );
    sql.bind(from)
        .push(" AND paid_at < ")
        .bind(to)
        .push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" GROUP BY category ORDER BY category");
    let by_category: Vec<(String, i64, i64)> = c.all(sql).await?;

    let mut sql =
        Sql::new("SELECT receiver_kind, state, COUNT(*) FROM referrals WHERE sent_at >= ");
    sql.bind(from)
        .push(" AND sent_at < ")
        .bind(to)
        .push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    sql.push(" GROUP BY receiver_kind, state ORDER BY receiver_kind, state");
    let referrals: Vec<(String, String, i64)> = c.all(sql).await?;

    let mut sql = Sql::new(
        "SELECT CAST(COALESCE(SUM(outcome_amount), 0) AS DOUBLE PRECISION) FROM referrals WHERE state = 'completed' \
         AND receiver_kind IN ('charity', 'social_work_org') AND closed_at >= ",
    );
    sql.bind(from)
        .push(" AND closed_at < ")
        .bind(to)
        .push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    let (linked_yuan,): (f64,) = c.one(sql).await?;

    let mut sql = Sql::new(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN paid_at <= due_at THEN 1 ELSE 0 END), 0) AS BIGINT) FROM emergency_cases \
         WHERE paid_at >= ",
    );
    sql.bind(from)
        .push(" AND paid_at < ")
        .bind(to)
        .push(" AND ");
    scope.sql_condition(&mut sql, "region_code");
    let (emergency_paid, emergency_in_time): (i64, i64) = c.one(sql).await?;
    Ok(HelpFiguresRaw {
        assisted_households,
        by_category,
        referrals,
        linked_yuan,
        emergency_paid,
        emergency_in_time,
    })
}

// ---------- screening runs ----------

pub struct NewScreenRun<'a> {
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub purpose: &'a str,
    pub rules_version: &'a str,
    pub feeds: &'a str,
    pub summary: &'a str,
    pub warnings: i64,
    pub clues_filed: i64,
    pub already_raised: i64,
}

pub async fn insert_screen_run(c: &mut impl Conn, r: &NewScreenRun<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO screen_runs (at, user_id, username, purpose, rules_version, feeds, summary, warnings, clues_filed, already_raised) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            vals![r.at, r.user_id, r.username, r.purpose, r.rules_version, r.feeds, r.summary, r.warnings, r.clues_filed, r.already_raised],
        ))
        .await?;
    Ok(id)
}

/// A recorded screening run: (id, at, who, purpose, rules version, feeds, warnings, clues
/// filed, raised before).
pub type ScreenRunRow = (i64, i64, String, String, String, String, i64, i64, i64);

/// The latest screening runs made by users of units in the scope, newest first.
pub async fn screen_runs(
    c: &mut impl Conn,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<ScreenRunRow>> {
    let mut sql = Sql::new(
        "SELECT r.id, r.at, r.username, r.purpose, r.rules_version, r.feeds, r.warnings, \
         r.clues_filed, r.already_raised FROM screen_runs r \
         JOIN users u ON u.id = r.user_id JOIN units n ON n.id = u.unit_id WHERE ",
    );
    scope.sql_condition(&mut sql, "n.region_code");
    sql.push(" ORDER BY r.at DESC, r.id DESC LIMIT ")
        .bind(limit.clamp(1, 500));
    c.all(sql).await
}

/// Every person of the registry who belongs to a household: (ID number, household, region).
/// Every person in a household of the scope: (ID number, household, region), for matching.
pub async fn population_rows(c: &mut impl Conn, scope: &Scope) -> Result<Vec<(String, i64, i64)>> {
    let mut sql = Sql::new(
        "SELECT p.id_number, p.household_id, h.region_code FROM persons p \
         JOIN households h ON h.id = p.household_id WHERE ",
    );
    scope.sql_condition(&mut sql, "h.region_code");
    sql.push(" ORDER BY p.household_id, p.id");
    c.all(sql).await
}

pub async fn insert_screen_hit(
    c: &mut impl Conn,
    run_id: i64,
    clue_id: i64,
    region_code: i64,
    rule: &str,
) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO screen_hits (run_id, clue_id, region_code, rule) VALUES ($1, $2, $3, $4)",
        vals![run_id, clue_id, region_code, rule],
    ))
    .await?;
    Ok(())
}

/// Per rule: warnings filed as clues, and how their leads ended — (rule, warned, confirmed as
/// hardship (a file registered or merged), found not in difficulty, still open).
pub async fn screen_hit_rates(
    c: &mut impl Conn,
    scope: &Scope,
) -> Result<Vec<(String, i64, i64, i64, i64)>> {
    let mut sql = Sql::new(
        "SELECT h.rule, COUNT(*), \
         CAST(COALESCE(SUM(CASE WHEN l.status IN ('registered', 'merged') THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN l.status = 'closed' AND l.close_reason = 'not_in_difficulty' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN l.status = 'open' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM screen_hits h JOIN clues k ON k.id = h.clue_id JOIN leads l ON l.id = k.lead_id WHERE ",
    );
    scope.sql_condition(&mut sql, "h.region_code");
    sql.push(" GROUP BY h.rule ORDER BY h.rule");
    c.all(sql).await
}
