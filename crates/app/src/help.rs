//! Help (帮助): recommendations from the recognised assessment, the assistance plan (accept or
//! decline, add, approve at the item's level), referrals to the bodies that deliver with
//! deadlines in working days, emergency assistance paid from the town's reserve fund within 3
//! working days (help first, paperwork after), and no duplicate benefit.

use minsheng_assess::catalog::{self, AssessmentFacts, Catalog, Item, Recommendations};
use minsheng_assess::survey;
use minsheng_domain::time_util::CHINA_OFFSET;
use minsheng_domain::{Action, RegionCode, Role};
use minsheng_i18n::msg;
use minsheng_store::assessments;
use minsheng_store::discovery::add_timeline;
pub use minsheng_store::help::FollowupRow;
use minsheng_store::help::{
    self, BenefitRow, EmergencyRow, LedgerRow, NewBenefit, NewPlanItem, NewReferral, PlanItemRow,
    PlanRow, ReferralChange, ReferralRow,
};
use minsheng_store::{Conn, Sql, WriteTx, regions, vals};
use serde::Serialize;

use crate::discovery::end_of_day;
use crate::{Actor, App, AppError, AppResult, FieldError, Subject, reader, write_audit};

/// Follow-up tiers: severe monthly, watch every two months, stable quarterly.
pub const TIERS: [&str; 3] = ["severe", "watch", "stable"];

fn tier_months(tier: &str) -> u32 {
    match tier {
        "severe" => 1,
        "watch" => 2,
        _ => 3,
    }
}

/// The tier a conclusion puts a household in.
fn tier_for(conclusion: &str) -> &'static str {
    match conclusion {
        "expenditure_poverty" | "income_poverty" | "recognised_hardship" | "poor" | "severe" => {
            "severe"
        }
        "poverty_risk" | "hardship_risk" | "vulnerable" => "watch",
        _ => "stable",
    }
}

/// The date (China) `months` after `now`.
fn due_on(now: i64, months: u32) -> String {
    let at = crate::assessment::add_months(now, months);
    time::OffsetDateTime::from_unix_timestamp(at / 1000)
        .map(|t| t.to_offset(CHINA_OFFSET).date().to_string())
        .unwrap_or_default()
}

/// Working days from discovery to money in hand for emergency assistance.
pub const EMERGENCY_WORKDAYS: u32 = 3;

pub(crate) fn shipped_catalog() -> AppResult<&'static Catalog> {
    catalog::shipped()
        .map_err(|e| AppError::Internal(format!("the shipped catalog does not load: {e:?}")))
}

fn cents(yuan: f64) -> i64 {
    (yuan * 100.0).round() as i64
}

fn yuan(cents: i64) -> String {
    format!("{:.2}", cents as f64 / 100.0)
}

/// The date in China of a moment.
fn china_date(at: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(at / 1000)
        .map(|t| t.to_offset(CHINA_OFFSET).date())
        .unwrap_or(time::Date::MIN)
}

/// The period a grant of `item` made at `at` belongs to.
pub fn period_key(item: &Item, at: i64) -> String {
    let date = china_date(at);
    match item.period.as_str() {
        "monthly" => format!("{}-{:02}", date.year(), date.month() as u8),
        "yearly" => date.year().to_string(),
        _ => "once".to_string(),
    }
}

/// The level an approver's roles reach: community < town < district.
fn approval_reach(roles: &[Role]) -> u8 {
    roles
        .iter()
        .map(|r| match r {
            Role::DistrictOfficer => 3,
            Role::TownOfficer => 2,
            Role::CommunityWorker => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Whether the actor's roles reach an item's approval level (community < town < district): the
/// one rule the approval itself and the page's 审批 button both read.
pub fn may_approve_at(actor: &Actor, level: &str) -> bool {
    actor.may(Action::ApproveHelp) && approval_reach(actor.roles()) >= level_rank(level)
}

fn level_rank(level: &str) -> u8 {
    match level {
        "district" => 3,
        "town" => 2,
        _ => 1,
    }
}

/// Items delivered by civil affairs itself are paid, not referred.
fn delivered_by_civil_affairs(unit_kind: &str) -> bool {
    matches!(
        unit_kind,
        "civil_affairs_bureau" | "town_office" | "community_committee"
    )
}

/// A household's plan with its items, and what the catalog recommends now.
#[derive(Debug, Clone, Serialize)]
pub struct HelpView {
    pub recommendations: Option<Recommendations>,
    pub assessment_id: Option<i64>,
    pub plan: Option<PlanRow>,
    pub items: Vec<PlanItemRow>,
    pub referrals: Vec<ReferralRow>,
    pub benefits: Vec<BenefitRow>,
    pub emergencies: Vec<EmergencyRow>,
    pub followups: Vec<help::FollowupRow>,
}

/// A town's reserve fund: the town by name, the balance and the latest ledger lines.
#[derive(Debug, Clone, Serialize)]
pub struct FundView {
    pub town_code: i64,
    pub town_name: String,
    pub balance_cents: i64,
    pub ledger: Vec<LedgerRow>,
}

impl App {
    /// The recommendations for a household, from its recognised assessment.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn recommendations(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> AppResult<Option<(i64, Recommendations)>> {
        let Some(row) =
            assessments::recognised(&mut reader(self), actor.scope(), household_id).await?
        else {
            return Ok(None);
        };
        let Some(text) = row.survey.as_deref() else {
            return Ok(None);
        };
        let survey = survey::read(text)
            .map_err(|e| AppError::Internal(format!("stored survey {}: {e:?}", row.id)))?;
        let facts = AssessmentFacts {
            score: row.score.unwrap_or(0.0),
            conclusion: row.conclusion.clone().unwrap_or_default(),
        };
        Ok(Some((
            row.id,
            shipped_catalog()?.recommend(&survey.facts, &facts),
        )))
    }

    /// Everything about helping one household (the caller may read the household).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn help_view(&self, actor: &Actor, household_id: i64) -> AppResult<HelpView> {
        self.authorize(
            actor,
            Action::ViewHouseholds,
            Subject::new("household", &household_id.to_string()),
        )
        .await?;
        self.household_in_area(actor, household_id, "help.read")
            .await?;
        let recommended = self.recommendations(actor, household_id).await?;
        self.audit_now(
            actor,
            "help.read",
            Subject::new("household", &household_id.to_string()),
            true,
            "",
        )
        .await?;
        let mut c = reader(self);
        let plan = help::plan_of_household(&mut c, actor.scope(), household_id).await?;
        let items = match &plan {
            Some(p) => help::plan_items(&mut c, p.id).await?,
            None => Vec::new(),
        };
        Ok(HelpView {
            assessment_id: recommended.as_ref().map(|(id, _)| *id),
            recommendations: recommended.map(|(_, r)| r),
            plan,
            items,
            referrals: help::referrals_in_scope(&mut c, actor.scope(), Some(household_id), 100)
                .await?,
            benefits: help::benefits_of(&mut c, household_id).await?,
            emergencies: help::emergencies_of(&mut c, actor.scope(), household_id).await?,
            followups: help::followups_of(&mut c, actor.scope(), household_id).await?,
        })
    }

    /// Starts the household's plan from the recommendations of its recognised assessment.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_plan(&self, actor: &Actor, household_id: i64) -> AppResult<i64> {
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("household", &household_id.to_string()),
        )
        .await?;
        let household = self
            .household_in_area(actor, household_id, "plan.create")
            .await?;
        let catalog = shipped_catalog()?;
        let recommended_conclusion =
            assessments::recognised(&mut reader(self), actor.scope(), household_id)
                .await?
                .and_then(|a| a.conclusion)
                .unwrap_or_default();
        let (assessment_id, recommended) = self
            .recommendations(actor, household_id)
            .await?
            .ok_or_else(|| AppError::invalid("household_id", msg!("plan-needs-assessment")))?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let plan = help::insert_plan(
            &mut tx,
            household.id,
            household.region_code,
            Some(assessment_id),
            &catalog.version,
            actor.user_id(),
            now,
        )
        .await?;
        for r in &recommended.items {
            let reason = if r.evidence.is_empty() {
                r.reason.clone()
            } else {
                let facts: Vec<String> = r
                    .evidence
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                format!("{}（{}）", r.reason, facts.join("，"))
            };
            help::insert_plan_item(
                &mut tx,
                &NewPlanItem {
                    plan_id: plan,
                    item_code: &r.item,
                    category: &r.category,
                    source: "recommended",
                    amount: r.amount,
                    reason: &reason,
                    approval_level: &r.decided_by,
                },
            )
            .await?;
        }
        chain(
            &mut tx,
            actor,
            household.id,
            "plan",
            &format!("救助方案 #{plan}：建议 {} 项", recommended.items.len()),
            now,
        )
        .await?;
        if help::open_followup(&mut tx, actor.scope(), household.id)
            .await?
            .is_none()
        {
            let tier = tier_for(&recommended_conclusion);
            help::schedule_followup(
                &mut tx,
                household.id,
                household.region_code,
                tier,
                &due_on(now, tier_months(tier)),
            )
            .await?;
        }
        write_audit(
            &mut tx,
            actor,
            "plan.create",
            Subject::new("household", &household.id.to_string()),
            true,
            &format!("plan {plan}"),
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Adds an item to the household's latest plan (see [`App::add_plan_item`]).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_household_plan_item(
        &self,
        actor: &Actor,
        household_id: i64,
        item_code: &str,
        amount: Option<f64>,
        reason: &str,
    ) -> AppResult<i64> {
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("household", &household_id.to_string()),
        )
        .await?;
        self.household_in_area(actor, household_id, "plan.add_item")
            .await?;
        let plan = help::plan_of_household(&mut reader(self), actor.scope(), household_id)
            .await?
            .ok_or_else(|| AppError::invalid("plan", msg!("make-plan-first")))?;
        self.add_plan_item(actor, plan.id, item_code, amount, reason)
            .await
    }

    /// Adds an item of the catalog the recommendations did not propose.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_plan_item(
        &self,
        actor: &Actor,
        plan_id: i64,
        item_code: &str,
        amount: Option<f64>,
        reason: &str,
    ) -> AppResult<i64> {
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("plan", &plan_id.to_string()),
        )
        .await?;
        let plan = self
            .in_area(
                actor,
                "plan",
                plan_id,
                help::plan(&mut reader(self), actor.scope(), plan_id).await?,
            )
            .await?;
        let reason = crate::bounded("reason", reason, 500)?;
        let reason = reason.as_str();
        let catalog = shipped_catalog()?;
        let item = catalog
            .item(item_code.trim())
            .ok_or_else(|| AppError::invalid("item_code", msg!("no-such-item")))?;
        if reason.trim().is_empty() {
            return Err(AppError::invalid("reason", msg!("say-why-needed")));
        }
        if let Some(a) = amount
            && !(a >= 0.0 && a.is_finite() && item.limit.is_none_or(|l| a <= l))
        {
            return Err(AppError::invalid(
                "amount",
                msg!(
                    "above-item-limit",
                    amount = format!("{a:.2}"),
                    limit = item.limit.map_or("–".into(), |l| format!("{l:.2}"))
                ),
            ));
        }
        let mut tx = self.store().begin().await?;
        let id = help::insert_plan_item(
            &mut tx,
            &NewPlanItem {
                plan_id,
                item_code: &item.code,
                category: &catalog.category_of(item).code,
                source: "added",
                amount,
                reason: reason.trim(),
                approval_level: &item.decided_by,
            },
        )
        .await
        .map_err(|e| match e {
            minsheng_store::StoreError::Conflict(_) => {
                AppError::Conflict(msg!("plan-has-item", item = &item.label_zh))
            }
            other => other.into(),
        })?;
        write_audit(
            &mut tx,
            actor,
            "plan.add_item",
            Subject::new("household", &plan.household_id.to_string()),
            true,
            &item.code,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The caseworker accepts or declines a proposed item (declining needs a reason).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn decide_plan_item(
        &self,
        actor: &Actor,
        item_id: i64,
        version: i64,
        accept: bool,
        reason: &str,
    ) -> AppResult<()> {
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("plan_item", &item_id.to_string()),
        )
        .await?;
        let item = self
            .in_area(
                actor,
                "plan_item",
                item_id,
                help::plan_item(&mut reader(self), actor.scope(), item_id).await?,
            )
            .await?;
        let reason = crate::bounded("reason", reason, 500)?;
        let reason = reason.as_str();
        if !accept && reason.trim().is_empty() {
            return Err(AppError::invalid("reason", msg!("decline-needs-reason")));
        }
        let (to, note) = if accept {
            ("accepted", "")
        } else {
            ("declined", reason.trim())
        };
        let mut tx = self.store().begin().await?;
        if help::set_item_state(
            &mut tx,
            item_id,
            version,
            &["proposed", "accepted", "declined"],
            to,
            note,
            None,
        )
        .await?
            == 0
        {
            return Err(refused_transition(&item.state, to));
        }
        write_audit(
            &mut tx,
            actor,
            &format!("plan.{to}"),
            Subject::new("household", &item.household_id.to_string()),
            true,
            &item.item_code,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Approves an accepted item at the level it requires; an item another body delivers is
    /// referred to it at once, with its deadline in working days.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn approve_plan_item(
        &self,
        actor: &Actor,
        item_id: i64,
        version: i64,
    ) -> AppResult<Option<i64>> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        self.authorize(
            actor,
            Action::ApproveHelp,
            Subject::new("plan_item", &item_id.to_string()),
        )
        .await?;
        let item = self
            .in_area(
                actor,
                "plan_item",
                item_id,
                help::plan_item(&mut reader(self), actor.scope(), item_id).await?,
            )
            .await?;
        if !may_approve_at(actor, &item.approval_level) {
            self.audit_now(
                actor,
                "plan.approve",
                Subject::new("plan_item", &item_id.to_string()),
                false,
                "level too low",
            )
            .await?;
            return Err(AppError::Forbidden);
        }
        let catalog = shipped_catalog()?;
        let entry = catalog
            .item(&item.item_code)
            .ok_or_else(|| AppError::Internal(format!("{} left the catalog", item.item_code)))?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        if help::set_item_state(
            &mut tx,
            item_id,
            version,
            &["accepted"],
            "approved",
            "",
            Some((actor.user_id(), now)),
        )
        .await?
            == 0
        {
            return Err(refused_transition(&item.state, "approved"));
        }
        let referral = if delivered_by_civil_affairs(&entry.unit_kind) {
            None
        } else {
            let receiver = receiver_for(&mut tx, &entry.unit_kind, item.region_code, &[])
                .await?
                .ok_or_else(|| {
                    AppError::invalid(
                        "item",
                        msg!("no-receiver-unit").word("kind", "unit_kind", &entry.unit_kind),
                    )
                })?;
            let facts = serde_json::json!({
                "item": entry.label_zh,
                "amount": item.amount,
                "reason": item.reason,
            })
            .to_string();
            let due = self.deadline(now, entry.deadline_days);
            let id = help::insert_referral(
                &mut tx,
                &NewReferral {
                    household_id: item.household_id,
                    region_code: item.region_code,
                    plan_item_id: Some(item.id),
                    item_code: &item.item_code,
                    receiver_unit_id: receiver.0,
                    receiver_kind: &entry.unit_kind,
                    facts: &facts,
                    sent_by: actor.user_id(),
                    now,
                    due_at: due,
                },
            )
            .await?;
            chain(
                &mut tx,
                actor,
                item.household_id,
                "referral",
                &format!("转介 #{id}：{} → {}", entry.label_zh, receiver.1),
                now,
            )
            .await?;
            Some(id)
        };
        write_audit(
            &mut tx,
            actor,
            "plan.approve",
            Subject::new("household", &item.household_id.to_string()),
            true,
            &item.item_code,
        )
        .await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// Pays an approved item delivered by civil affairs; refuses a second grant in the period.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn deliver_plan_item(
        &self,
        actor: &Actor,
        item_id: i64,
        version: i64,
        amount: f64,
    ) -> AppResult<()> {
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("plan_item", &item_id.to_string()),
        )
        .await?;
        let item = self
            .in_area(
                actor,
                "plan_item",
                item_id,
                help::plan_item(&mut reader(self), actor.scope(), item_id).await?,
            )
            .await?;
        let entry = shipped_catalog()?
            .item(&item.item_code)
            .ok_or(AppError::NotFound)?;
        check_amount(entry, amount)?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        if help::set_item_state(
            &mut tx,
            item_id,
            version,
            &["approved"],
            "delivered",
            "",
            None,
        )
        .await?
            == 0
        {
            return Err(refused_transition(&item.state, "delivered"));
        }
        grant(
            &mut tx,
            entry,
            item.household_id,
            item.region_code,
            cents(amount),
            "plan",
            item.id,
            now,
        )
        .await?;
        chain(
            &mut tx,
            actor,
            item.household_id,
            "benefit",
            &format!("{} ¥{amount:.2}", entry.label_zh),
            now,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "plan.deliver",
            Subject::new("household", &item.household_id.to_string()),
            true,
            &item.item_code,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The household's emergency cases not yet paid, for its page (the caller has read the
    /// household).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn unpaid_emergencies(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> AppResult<Vec<EmergencyRow>> {
        self.authorize(
            actor,
            Action::ViewHouseholds,
            Subject::new("household", &household_id.to_string()),
        )
        .await?;
        Ok(
            help::emergencies_of(&mut reader(self), actor.scope(), household_id)
                .await?
                .into_iter()
                .filter(|e| e.paid_at.is_none())
                .collect(),
        )
    }

    // ---------- follow-ups ----------

    /// Records a follow-up visit (with the household's satisfaction) and schedules the next one
    /// by tier; `tier` changes it (e.g. a household that has stabilised).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_followup(
        &self,
        actor: &Actor,
        household_id: i64,
        note: &str,
        satisfaction: Option<&str>,
        tier: Option<&str>,
    ) -> AppResult<i64> {
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("household", &household_id.to_string()),
        )
        .await?;
        let household = self
            .household_in_area(actor, household_id, "followup.record")
            .await?;
        let note = crate::bounded("note", note, 2000)?;
        let note = note.as_str();
        if note.is_empty() {
            return Err(AppError::invalid("note", msg!("say-what-visit-found")));
        }
        if let Some(s) = satisfaction
            && !["satisfied", "neutral", "unsatisfied"].contains(&s)
        {
            return Err(AppError::invalid(
                "satisfaction",
                msg!("satisfaction-choices"),
            ));
        }
        if let Some(t) = tier
            && !TIERS.contains(&t)
        {
            return Err(AppError::invalid("tier", msg!("tier-choices")));
        }
        let open = help::open_followup(&mut reader(self), actor.scope(), household_id)
            .await?
            .ok_or_else(|| AppError::invalid("household_id", msg!("no-followup-scheduled")))?;
        let now = self.now();
        let next_tier = tier.unwrap_or(&open.tier);
        let mut tx = self.store().begin().await?;
        if help::complete_followup(
            &mut tx,
            open.id,
            actor.user_id(),
            note.trim(),
            satisfaction,
            now,
        )
        .await?
            == 0
        {
            return Err(AppError::Stale);
        }
        let next = help::schedule_followup(
            &mut tx,
            household.id,
            household.region_code,
            next_tier,
            &due_on(now, tier_months(next_tier)),
        )
        .await?;
        chain(
            &mut tx,
            actor,
            household.id,
            "followup",
            &format!(
                "回访：{}{}",
                note.trim(),
                satisfaction.map(|s| format!("（{s}）")).unwrap_or_default()
            ),
            now,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "followup.record",
            Subject::new("household", &household.id.to_string()),
            true,
            next_tier,
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Follow-ups due in the user's area, the most overdue first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn followups_due(&self, actor: &Actor) -> AppResult<Vec<help::FollowupRow>> {
        self.authorize(actor, Action::ManageHelp, Subject::new("followup", ""))
            .await?;
        let rows = help::followups_due(&mut reader(self), actor.scope(), 300).await?;
        self.audit_now(
            actor,
            "followup.list",
            Subject::new("followup", ""),
            true,
            &format!("{} rows", rows.len()),
        )
        .await?;
        Ok(rows)
    }

    // ---------- referrals ----------

    /// The referrals addressed to the caller's unit.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn my_referrals(&self, actor: &Actor) -> AppResult<Vec<ReferralRow>> {
        self.authorize(actor, Action::HandleReferrals, Subject::new("referral", ""))
            .await?;
        let unit = actor.unit_id().unwrap_or(-1);
        let rows = help::referrals_to_unit(&mut reader(self), unit, 300).await?;
        self.audit_now(
            actor,
            "referral.list",
            Subject::new("referral", ""),
            true,
            &format!("{} rows", rows.len()),
        )
        .await?;
        Ok(rows)
    }

    /// One referral: for its receiver (addressed to their unit) or anyone who sees the household.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn referral(&self, actor: &Actor, id: i64) -> AppResult<ReferralRow> {
        if !actor.may(Action::HandleReferrals) {
            self.authorize(
                actor,
                Action::ViewHouseholds,
                Subject::new("referral", &id.to_string()),
            )
            .await?;
        }
        let scope = if actor.may(Action::ViewHouseholds) {
            actor.scope().clone()
        } else {
            minsheng_store::Scope::nothing()
        };
        match help::referral(&mut reader(self), &scope, actor.unit_id(), id).await? {
            Some(r) => {
                self.audit_now(
                    actor,
                    "referral.read",
                    Subject::new("household", &r.household_id.to_string()),
                    true,
                    &format!("referral {id}"),
                )
                .await?;
                Ok(r)
            }
            None => {
                self.audit_now(
                    actor,
                    "referral.read",
                    Subject::new("referral", &id.to_string()),
                    false,
                    "not found",
                )
                .await?;
                Err(AppError::NotFound)
            }
        }
    }

    /// The receiver moves a referral on: accept, return (reason), start, complete (outcome) or
    /// fail (reason). Anything else is refused, naming the state it is in.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn act_on_referral(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        action: &ReferralAction,
    ) -> AppResult<()> {
        self.authorize(
            actor,
            Action::HandleReferrals,
            Subject::new("referral", &id.to_string()),
        )
        .await?;
        let referral = help::referral(
            &mut reader(self),
            &minsheng_store::Scope::nothing(),
            actor.unit_id(),
            id,
        )
        .await?
        .filter(|r| Some(r.receiver_unit_id) == actor.unit_id());
        let Some(referral) = referral else {
            self.audit_now(
                actor,
                "referral.act",
                Subject::new("referral", &id.to_string()),
                false,
                "not addressed to this unit",
            )
            .await?;
            return Err(AppError::NotFound);
        };
        // Texts past their bounds are refused before anything is written.
        match action {
            ReferralAction::Return { reason } | ReferralAction::Fail { reason } => {
                crate::bounded("reason", reason, 500)?;
            }
            ReferralAction::Complete { service, date, .. } => {
                crate::bounded("service", service, 500)?;
                crate::bounded("date", date, 10)?;
            }
            ReferralAction::Accept | ReferralAction::Start => {}
        }
        let now = self.now();
        let (from, to, change): (&[&str], &str, ReferralChange<'_>) = match action {
            ReferralAction::Accept => (
                &["sent"],
                "accepted",
                ReferralChange {
                    accepted_at: Some(now),
                    ..Default::default()
                },
            ),
            ReferralAction::Return { reason } => {
                if reason.trim().is_empty() {
                    return Err(AppError::invalid("reason", msg!("say-why-returned")));
                }
                (
                    &["sent", "accepted"],
                    "returned",
                    ReferralChange {
                        closed_at: Some(now),
                        return_reason: Some(reason.trim()),
                        ..Default::default()
                    },
                )
            }
            ReferralAction::Start => (&["accepted"], "in_progress", ReferralChange::default()),
            ReferralAction::Complete {
                amount,
                service,
                date,
            } => {
                if amount.is_none() && service.trim().is_empty() {
                    return Err(AppError::invalid(
                        "outcome",
                        msg!("outcome-amount-or-service"),
                    ));
                }
                if let Some(a) = amount
                    && !(*a >= 0.0 && a.is_finite())
                {
                    return Err(AppError::invalid("amount", msg!("amount-yuan")));
                }
                if time::Date::parse(
                    date.trim(),
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .is_err()
                {
                    return Err(AppError::invalid("date", msg!("delivery-date")));
                }
                (
                    &["accepted", "in_progress"],
                    "completed",
                    ReferralChange {
                        closed_at: Some(now),
                        outcome_amount: *amount,
                        outcome_service: Some(service.trim()),
                        outcome_date: Some(date.trim()),
                        ..Default::default()
                    },
                )
            }
            ReferralAction::Fail { reason } => {
                if reason.trim().is_empty() {
                    return Err(AppError::invalid("reason", msg!("say-why-failed")));
                }
                (
                    &["accepted", "in_progress"],
                    "failed",
                    ReferralChange {
                        closed_at: Some(now),
                        fail_reason: Some(reason.trim()),
                        ..Default::default()
                    },
                )
            }
        };
        let mut tx = self.store().begin().await?;
        if help::move_referral(&mut tx, id, version, from, to, &change).await? == 0 {
            return Err(if referral.row_version != version {
                AppError::Stale
            } else {
                refused_transition(&referral.state, to)
            });
        }
        if let (
            ReferralAction::Complete {
                amount: Some(a), ..
            },
            Ok(catalog),
        ) = (action, shipped_catalog())
            && let Some(entry) = catalog.item(&referral.item_code)
        {
            grant(
                &mut tx,
                entry,
                referral.household_id,
                referral.region_code,
                cents(*a),
                "referral",
                id,
                now,
            )
            .await?;
        }
        if let (Some(item_id), "completed") = (referral.plan_item_id, to) {
            tx.execute(Sql::with(
                "UPDATE plan_items SET state = 'delivered', row_version = row_version + 1 WHERE id = $1 AND state = 'approved'",
                vals![item_id],
            ))
            .await?;
        }
        chain(
            &mut tx,
            actor,
            referral.household_id,
            "referral",
            &format!("转介 #{id}：{to}"),
            now,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            &format!("referral.{to}"),
            Subject::new("household", &referral.household_id.to_string()),
            true,
            &format!("referral {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refers a returned referral's item again, to another unit of the same kind that covers the
    /// household (not one that returned it).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn resend_referral(&self, actor: &Actor, id: i64) -> AppResult<i64> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("referral", &id.to_string()),
        )
        .await?;
        let found = help::referral(&mut reader(self), actor.scope(), None, id).await?;
        let referral = self.in_area(actor, "referral", id, found).await?;
        if referral.state != "returned" {
            return Err(refused_transition(&referral.state, "re-sent"));
        }
        let entry = shipped_catalog()?
            .item(&referral.item_code)
            .ok_or_else(|| {
                AppError::Internal(format!("{} left the catalog", referral.item_code))
            })?;
        let returned_by: Vec<(i64,)> = reader(self)
            .all(Sql::with(
                "SELECT receiver_unit_id FROM referrals WHERE household_id = $1 AND item_code = $2 AND state = 'returned'",
                vals![referral.household_id, referral.item_code.as_str()],
            ))
            .await?;
        let excluded: Vec<i64> = returned_by.into_iter().map(|(u,)| u).collect();
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let receiver = receiver_for(&mut tx, &entry.unit_kind, referral.region_code, &excluded)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "receiver",
                    msg!("no-other-receiver-unit").word("kind", "unit_kind", &entry.unit_kind),
                )
            })?;
        let due = self.deadline(now, entry.deadline_days);
        let new_id = help::insert_referral(
            &mut tx,
            &NewReferral {
                household_id: referral.household_id,
                region_code: referral.region_code,
                plan_item_id: referral.plan_item_id,
                item_code: &referral.item_code,
                receiver_unit_id: receiver.0,
                receiver_kind: &entry.unit_kind,
                facts: &referral.facts,
                sent_by: actor.user_id(),
                now,
                due_at: due,
            },
        )
        .await?;
        chain(
            &mut tx,
            actor,
            referral.household_id,
            "referral",
            &format!("转介 #{id} 被退回，改派 #{new_id} → {}", receiver.1),
            now,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "referral.resend",
            Subject::new("household", &referral.household_id.to_string()),
            true,
            &format!("referral {id} -> {new_id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(new_id)
    }

    /// Chases the open referrals past their deadline (and escalates those chased before, a
    /// working day or more ago). Run daily by the operator (`minsheng referrals chase`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn chase_referrals(&self, actor: &Actor) -> AppResult<Vec<(i64, bool)>> {
        self.authorize(actor, Action::ManageHelp, Subject::new("referral", ""))
            .await?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let chased = help::chase_overdue(&mut tx, now, now - 24 * 3600 * 1000).await?;
        for (id, household, _, escalated, unit) in &chased {
            let text = if *escalated {
                format!("转介 #{id} 逾期未办结，已升级督办")
            } else {
                format!("转介 #{id} 逾期，已催办")
            };
            chain(&mut tx, actor, *household, "referral", &text, now).await?;
            // The receiving unit is told in the same transaction as the chase.
            crate::notify::tell(
                &mut tx,
                *unit,
                crate::notify::EventKind::ReferralOverdue,
                &format!("referral:{id}:chase:{now}"),
                &text,
                "请尽快受理并办结，或说明退回原因。",
                "/referrals",
                now,
            )
            .await?;
        }
        write_audit(
            &mut tx,
            actor,
            "referral.chase",
            Subject::new("referral", ""),
            true,
            &format!("{} chased", chased.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(chased.into_iter().map(|(id, _, _, e, _)| (id, e)).collect())
    }

    // ---------- emergency assistance and the reserve fund ----------

    /// Tops up a town's reserve fund; returns the balance in yuan.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn top_up_fund(
        &self,
        actor: &Actor,
        town: &str,
        amount: f64,
        note: &str,
    ) -> AppResult<f64> {
        self.authorize(actor, Action::ManageFunds, Subject::new("fund", town))
            .await?;
        let code = self.fund_town(actor, town, "fund.top_up").await?;
        let note = crate::bounded("note", note, 500)?;
        let note = note.as_str();
        if !(amount > 0.0 && amount <= 10_000_000.0) {
            return Err(AppError::invalid("amount", msg!("amount-positive")));
        }
        let mut tx = self.store().begin().await?;
        let balance = help::top_up(
            &mut tx,
            code.as_i64(),
            cents(amount),
            actor.user_id(),
            note.trim(),
            self.now(),
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "fund.top_up",
            Subject::new("fund", town),
            true,
            &format!("+{amount:.2} = {}", yuan(balance)),
        )
        .await?;
        tx.commit().await?;
        Ok(balance as f64 / 100.0)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn fund(&self, actor: &Actor, town: &str) -> AppResult<FundView> {
        self.authorize(actor, Action::ManageFunds, Subject::new("fund", town))
            .await?;
        let code = self.fund_town(actor, town, "fund.read").await?;
        let mut c = reader(self);
        let name = regions::get(&mut c, code.as_i64())
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        Ok(FundView {
            town_code: code.as_i64(),
            town_name: name,
            balance_cents: help::balance(&mut c, code.as_i64()).await?,
            ledger: help::ledger(&mut c, code.as_i64(), 200).await?,
        })
    }

    /// The reserve funds of the towns in the caller's area, with their balances.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn funds(&self, actor: &Actor) -> AppResult<Vec<help::FundLine>> {
        self.authorize(actor, Action::ManageFunds, Subject::new("fund", ""))
            .await?;
        Ok(help::funds_in(&mut reader(self), actor.scope()).await?)
    }

    /// A town of the caller's area that exists, from its code in a path: anything else looks
    /// absent (and the attempt outside the area is audited).
    async fn fund_town(&self, actor: &Actor, town: &str, action: &str) -> AppResult<RegionCode> {
        let code = RegionCode::parse(town).map_err(|_| AppError::NotFound)?;
        self.town_in_area(actor, code, action).await?;
        let known = regions::get(&mut reader(self), code.as_i64()).await?;
        match known {
            Some(region) if region.level == "town" => Ok(code),
            _ => Err(AppError::NotFound),
        }
    }

    /// The record if the scoped lookup found it; otherwise it looks absent, and the attempt is
    /// audited as denied.
    async fn in_area<T>(
        &self,
        actor: &Actor,
        kind: &str,
        id: i64,
        found: Option<T>,
    ) -> AppResult<T> {
        match found {
            Some(row) => Ok(row),
            None => {
                self.audit_now(
                    actor,
                    &format!("{kind}.read"),
                    Subject::new(kind, &id.to_string()),
                    false,
                    "not found in area",
                )
                .await?;
                Err(AppError::NotFound)
            }
        }
    }

    /// The end of the `days`th working day after `now` (China time): a legal deadline.
    /// The end of the `days`th working day after `now`, by the current calendar.
    fn deadline(&self, now: i64, days: u32) -> i64 {
        end_of_day(self.deadline_after(china_date(now), days).date)
    }

    /// A region of the actor's area; otherwise it looks absent and the attempt is audited.
    async fn town_in_area(&self, actor: &Actor, code: RegionCode, action: &str) -> AppResult<()> {
        if actor.scope().contains(code.as_i64()) {
            return Ok(());
        }
        self.audit_now(
            actor,
            action,
            Subject::new("fund", &code.short()),
            false,
            "not in area",
        )
        .await?;
        Err(AppError::NotFound)
    }

    /// Opens an emergency case (急难型临时救助): the clock starts at the household's earliest
    /// open clue (or now) and payment is due within 3 working days.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_emergency(
        &self,
        actor: &Actor,
        household_id: i64,
        item_code: &str,
        note: &str,
    ) -> AppResult<i64> {
        // Deadlines below count with every schedule imported so far (no connection is
        // taken for it inside the transaction).
        self.current_calendar().await?;
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("household", &household_id.to_string()),
        )
        .await?;
        let household = self
            .household_in_area(actor, household_id, "emergency.open")
            .await?;
        let note = crate::bounded("note", note, 2000)?;
        let note = note.as_str();
        let item = shipped_catalog()?
            .item(item_code)
            .filter(|i| i.emergency)
            .ok_or_else(|| AppError::invalid("item_code", msg!("not-emergency-item")))?;
        let started: Option<(Option<i64>,)> = reader(self)
            .optional(Sql::with(
                "SELECT MIN(k.created_at) FROM clues k JOIN leads l ON l.id = k.lead_id \
                 JOIN household_files f ON f.lead_id = l.id WHERE f.household_id = $1",
                vals![household.id],
            ))
            .await
            .unwrap_or(None);
        let now = self.now();
        let started_at = started.and_then(|(at,)| at).unwrap_or(now).min(now);
        let due = self.deadline(started_at, EMERGENCY_WORKDAYS);
        let town = town_of(household.region_code);
        let mut tx = self.store().begin().await?;
        let id = help::open_emergency(
            &mut tx,
            household.id,
            household.region_code,
            town,
            &item.code,
            started_at,
            due,
            actor.user_id(),
            note.trim(),
        )
        .await?;
        chain(
            &mut tx,
            actor,
            household.id,
            "emergency",
            &format!("急难救助 #{id}：{}，须于 3 个工作日内发放", item.label_zh),
            now,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "emergency.open",
            Subject::new("household", &household.id.to_string()),
            true,
            &format!("case {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Pays an emergency case from the town's reserve fund: refused (with the figures) above the
    /// balance or the item's limit, or as a second grant in the period. Help first: the
    /// paperwork is completed afterwards.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn pay_emergency(&self, actor: &Actor, case_id: i64, amount: f64) -> AppResult<f64> {
        // Money leaves the town's reserve fund: the town's (or district's) officers pay.
        self.authorize(
            actor,
            Action::ManageFunds,
            Subject::new("emergency", &case_id.to_string()),
        )
        .await?;
        let case = self
            .in_area(
                actor,
                "emergency",
                case_id,
                help::emergency(&mut reader(self), actor.scope(), case_id).await?,
            )
            .await?;
        let item = shipped_catalog()?
            .item(&case.item_code)
            .ok_or(AppError::NotFound)?;
        check_amount(item, amount)?;
        let now = self.now();
        let amount_cents = cents(amount);
        let mut tx = self.store().begin().await?;
        if help::mark_paid(&mut tx, case_id, amount_cents, now).await? == 0 {
            return Err(AppError::Conflict(msg!(
                "emergency-paid-already",
                id = case_id
            )));
        }
        let Some(balance) = help::disburse(
            &mut tx,
            case.town_code,
            amount_cents,
            case.household_id,
            actor.user_id(),
            &format!("case {case_id}"),
            now,
        )
        .await?
        else {
            let balance = help::balance(&mut tx, case.town_code).await?;
            return Err(AppError::Invalid(vec![FieldError::new(
                "amount",
                msg!(
                    "above-fund-balance",
                    amount = format!("{amount:.2}"),
                    balance = yuan(balance)
                ),
            )]));
        };
        grant(
            &mut tx,
            item,
            case.household_id,
            case.town_code,
            amount_cents,
            "emergency",
            case_id,
            now,
        )
        .await?;
        let late = if now > case.due_at {
            "（已超过3个工作日）"
        } else {
            ""
        };
        chain(
            &mut tx,
            actor,
            case.household_id,
            "benefit",
            &format!("急难救助 #{case_id} 已发放 ¥{amount:.2}{late}"),
            now,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "emergency.pay",
            Subject::new("household", &case.household_id.to_string()),
            true,
            &format!("case {case_id}: {amount:.2}, fund {}", yuan(balance)),
        )
        .await?;
        tx.commit().await?;
        Ok(balance as f64 / 100.0)
    }

    /// The paperwork of a paid emergency case is complete (先救助后审批).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn complete_emergency_paperwork(&self, actor: &Actor, case_id: i64) -> AppResult<()> {
        self.authorize(
            actor,
            Action::ManageHelp,
            Subject::new("emergency", &case_id.to_string()),
        )
        .await?;
        let case = self
            .in_area(
                actor,
                "emergency",
                case_id,
                help::emergency(&mut reader(self), actor.scope(), case_id).await?,
            )
            .await?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        if help::complete_paperwork(&mut tx, case_id, now).await? == 0 {
            return Err(AppError::Conflict(msg!("paperwork-not-due")));
        }
        chain(
            &mut tx,
            actor,
            case.household_id,
            "emergency",
            &format!("急难救助 #{case_id} 补办审批手续完成"),
            now,
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "emergency.paperwork",
            Subject::new("household", &case.household_id.to_string()),
            true,
            &format!("case {case_id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What a receiver does with a referral.
#[derive(Debug, Clone)]
pub enum ReferralAction {
    Accept,
    Return {
        reason: String,
    },
    Start,
    Complete {
        amount: Option<f64>,
        service: String,
        date: String,
    },
    Fail {
        reason: String,
    },
}

fn refused_transition(state: &str, to: &str) -> AppError {
    AppError::Conflict(
        msg!("refused-transition")
            .word("state", "help", state)
            .word("to", "help", to),
    )
}

fn check_amount(item: &Item, amount: f64) -> AppResult<()> {
    if !(amount > 0.0 && amount.is_finite()) {
        return Err(AppError::invalid("amount", msg!("amount-positive")));
    }
    if let Some(limit) = item.limit
        && amount > limit
    {
        return Err(AppError::invalid(
            "amount",
            msg!(
                "above-emergency-limit",
                amount = format!("{amount:.2}"),
                limit = format!("{limit:.2}"),
                item = &item.label_zh
            ),
        ));
    }
    Ok(())
}

/// Records a grant, refusing a second one of the item in its period (naming the first).
#[allow(clippy::too_many_arguments)]
async fn grant(
    tx: &mut WriteTx,
    item: &Item,
    household_id: i64,
    region_code: i64,
    amount_cents: i64,
    source: &str,
    source_id: i64,
    now: i64,
) -> AppResult<()> {
    let period = period_key(item, now);
    if let Some(existing) = help::benefit_in_period(tx, household_id, &item.code, &period).await? {
        return Err(AppError::Conflict(msg!(
            "benefit-granted-already-paid",
            item = &item.label_zh,
            period = &period,
            amount = yuan(existing.amount_cents),
            id = existing.id
        )));
    }
    let category = catalog::shipped()
        .ok()
        .map(|c| c.category_of(item).code.clone())
        .unwrap_or_default();
    help::insert_benefit(
        tx,
        &NewBenefit {
            household_id,
            region_code,
            item_code: &item.code,
            category: &category,
            period_key: &period,
            amount_cents,
            paid_at: now,
            source,
            source_id: Some(source_id),
        },
    )
    .await
    .map_err(|e| match e {
        minsheng_store::StoreError::Conflict(_) => AppError::Conflict(msg!(
            "benefit-granted-already",
            item = &item.label_zh,
            period = &period
        )),
        other => other.into(),
    })?;
    Ok(())
}

/// The household's one chain (一户一条救助链): every step in its timeline.
async fn chain(
    tx: &mut WriteTx,
    actor: &Actor,
    household_id: i64,
    kind: &str,
    text: &str,
    now: i64,
) -> AppResult<()> {
    add_timeline(
        tx,
        &minsheng_store::discovery::NewTimeline {
            household_id,
            at: now,
            user_id: actor.user_id(),
            username: actor.username(),
            kind,
            text,
            record_id: None,
        },
    )
    .await?;
    Ok(())
}

/// The town a region belongs to (a community's town, or the town itself).
fn town_of(region: i64) -> i64 {
    region - region % 1000
}

/// The unit of a kind that covers a region, the most local first.
async fn receiver_for(
    c: &mut impl Conn,
    kind: &str,
    region: i64,
    excluding: &[i64],
) -> AppResult<Option<(i64, String)>> {
    let units: Vec<(i64, String, i64)> = c
        .all(Sql::with(
            "SELECT id, name, region_code FROM units WHERE kind = $1 ORDER BY region_code DESC, id",
            vals![kind],
        ))
        .await?;
    Ok(units
        .into_iter()
        .filter(|(id, _, _)| !excluding.contains(id))
        .filter(|(_, _, code)| {
            RegionCode::from_i64(*code).is_some_and(|c| {
                let (lo, hi) = c.subtree();
                (lo..=hi).contains(&region)
            })
        })
        .map(|(id, name, _)| (id, name))
        .next())
}

/// The figures of help for an area and period (dates, China time; `to` exclusive).
#[derive(Debug, Clone, Serialize)]
pub struct HelpFigures {
    pub assisted_households: i64,
    /// (category code, label, grants, yuan), in catalog order.
    pub by_category: Vec<(String, String, i64, f64)>,
    /// (receiver group, outcome, referrals): 专项救助 (departments), 慈善 (charity), 社工 (social work).
    pub referrals: Vec<(String, String, i64)>,
    pub linked_yuan: f64,
    pub emergency_paid: i64,
    pub emergency_in_time: i64,
    /// Share of emergency payments made within 3 working days (None without payments).
    pub emergency_in_time_share: Option<f64>,
}

/// The group a receiving unit kind belongs to in the figures.
pub fn receiver_group(kind: &str) -> &'static str {
    match kind {
        "charity" => "慈善",
        "social_work_org" => "社工",
        "education_dept" | "health_dept" | "housing_dept" | "human_resources_dept" => "专项救助",
        _ => "民政",
    }
}

impl App {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn help_figures(
        &self,
        actor: &Actor,
        region: Option<RegionCode>,
        from: time::Date,
        to_exclusive: time::Date,
    ) -> AppResult<HelpFigures> {
        self.authorize(actor, Action::ViewFigures, Subject::new("figures", "help"))
            .await?;
        let scope = actor.scope_within(region)?;
        let start = |d: time::Date| {
            d.with_time(time::Time::MIDNIGHT)
                .assume_offset(CHINA_OFFSET)
                .unix_timestamp()
                * 1000
        };
        let raw =
            help::figures(&mut reader(self), &scope, start(from), start(to_exclusive)).await?;
        let catalog = shipped_catalog()?;
        let by_category = catalog
            .categories
            .iter()
            .map(|c| {
                let (n, cents) = raw
                    .by_category
                    .iter()
                    .find(|(code, _, _)| *code == c.code)
                    .map_or((0, 0), |(_, n, cents)| (*n, *cents));
                (c.code.clone(), c.label_zh.clone(), n, cents as f64 / 100.0)
            })
            .collect();
        let mut referrals: Vec<(String, String, i64)> = Vec::new();
        for (kind, state, n) in raw.referrals {
            let group = receiver_group(&kind).to_string();
            match referrals
                .iter_mut()
                .find(|(g, s, _)| *g == group && *s == state)
            {
                Some(row) => row.2 += n,
                None => referrals.push((group, state, n)),
            }
        }
        referrals.sort();
        Ok(HelpFigures {
            assisted_households: raw.assisted_households,
            by_category,
            referrals,
            linked_yuan: raw.linked_yuan,
            emergency_paid: raw.emergency_paid,
            emergency_in_time: raw.emergency_in_time,
            emergency_in_time_share: (raw.emergency_paid > 0)
                .then(|| raw.emergency_in_time as f64 / raw.emergency_paid as f64),
        })
    }
}

/// The recommendations for the facts and result of one assessment (for its report); the caller
/// has read the assessment.
pub fn recommendations_for(
    detail: &crate::assessment::AssessmentDetail,
) -> Option<Recommendations> {
    let survey = survey::from_json(detail.survey.as_ref()?).ok()?;
    let facts = AssessmentFacts {
        score: detail.row.score?,
        conclusion: detail.row.conclusion.clone()?,
    };
    Some(catalog::shipped().ok()?.recommend(&survey.facts, &facts))
}
