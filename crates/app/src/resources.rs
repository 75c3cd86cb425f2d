//! Social resources (社会资源) and their delivery to households (issue 9, first part): staff
//! register donors and providers — caring units (爱心单位), companies (爱心企业), individuals
//! (爱心人士), charities — and what they offer; a provider's own account adds its offers too.
//! A household's need that government items do not cover is matched to an offer by kind, place
//! and capacity, only with the household's consent recorded; the offer's capacity is taken in
//! one guarded update, so no two matches can overdraw it. The provider then sees the matched
//! household — its address and the need, never an ID number — and each delivery is recorded.

use minsheng_domain::{Action, RegionCode};
use minsheng_i18n::msg;
use minsheng_store::resources::{self as store, NewDelivery, NewMatch, NewOffer, NewProvider};
pub use minsheng_store::resources::{
    DeliveryRow, Entry, EntryRow, MatchRow, NeedRow, OfferRow, ProviderRow,
};
use serde::Deserialize;

use crate::{Actor, App, AppError, AppResult, FieldError, Subject, reader, write_audit};

pub const PROVIDER_KINDS: [&str; 4] = ["caring_unit", "company", "individual", "charity"];
pub const OFFER_KINDS: [&str; 4] = ["money", "goods", "service", "job"];
pub const UNITS: [&str; 5] = ["yuan", "items", "visits", "places", "hours"];
/// The kinds of unit whose accounts may act for a provider (and see its matches).
const PROVIDER_UNIT_KINDS: [&str; 2] = ["charity", "social_work_org"];
/// The kinds of unit a purchased-services contract can be given to.
const CONTRACTOR_KINDS: [&str; 2] = ["social_work_org", "assessment_org"];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProviderInput {
    pub name: String,
    pub kind: String,
    /// Where it is based (a region code in any form).
    pub region: String,
    #[serde(default)]
    pub contact: String,
    /// The provider's own unit, when it has accounts.
    #[serde(default)]
    pub unit_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OfferInput {
    pub provider_id: i64,
    pub kind: String,
    pub what: String,
    #[serde(default)]
    pub description: String,
    /// Where it can go (a region code in any form): households of its subtree.
    pub region: String,
    pub capacity: f64,
    pub unit: String,
    #[serde(default)]
    pub valid_until: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MatchInput {
    pub offer_id: i64,
    pub household_id: i64,
    /// The need it answers (a declined or unavailable plan item, or "not eligible but helped").
    pub need: String,
    pub quantity: f64,
    /// Who in the household agreed to share what the offer needs with the provider.
    pub consent_by: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeliveryInput {
    pub what: String,
    pub value_yuan: f64,
    /// YYYY-MM-DD.
    pub delivered_on: String,
    pub delivered_by: String,
    #[serde(default)]
    pub feedback: String,
}

fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        errors.push(FieldError::new(field, msg!("text-length", max = max)));
    }
}

fn region(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<RegionCode> {
    match RegionCode::parse(value) {
        Ok(code) => Some(code),
        Err(e) => {
            errors.push(FieldError::new(field, e.message()));
            None
        }
    }
}

/// A line in the household's timeline, written with the change it records.
async fn timeline(
    tx: &mut minsheng_store::WriteTx,
    actor: &Actor,
    household_id: i64,
    text: &str,
    now: i64,
) -> AppResult<()> {
    minsheng_store::discovery::add_timeline(
        tx,
        &minsheng_store::discovery::NewTimeline {
            household_id,
            at: now,
            user_id: actor.user_id(),
            username: actor.username(),
            kind: "resources",
            text,
            record_id: None,
        },
    )
    .await?;
    Ok(())
}

impl App {
    /// Registers a donor or provider based in the caller's area.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn register_provider(&self, actor: &Actor, input: &ProviderInput) -> AppResult<i64> {
        self.authorize(actor, Action::ManageResources, Subject::new("provider", ""))
            .await?;
        let mut errors = Vec::new();
        text(&mut errors, "name", &input.name, 100);
        if !PROVIDER_KINDS.contains(&input.kind.as_str()) {
            errors.push(FieldError::new(
                "kind",
                msg!("choose-one-of", choices = PROVIDER_KINDS.join(", ")),
            ));
        }
        let code = region(&mut errors, "region", &input.region);
        if let Some(code) = code
            && !actor.scope().contains(code.as_i64())
        {
            errors.push(FieldError::new("region", msg!("region-outside-area")));
        }
        if input.contact.chars().count() > 100 {
            errors.push(FieldError::new("contact", msg!("text-too-long", max = 100)));
        }
        if let Some(unit_id) = input.unit_id {
            let unit = minsheng_store::users::unit(&mut reader(self), unit_id).await?;
            if !unit.is_some_and(|u| PROVIDER_UNIT_KINDS.contains(&u.kind.as_str())) {
                errors.push(FieldError::new("unit_id", msg!("not-charity-unit")));
            }
        }
        let Some(code) = code.filter(|_| errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let mut tx = self.store().begin().await?;
        let id = store::insert_provider(
            &mut tx,
            &NewProvider {
                name: input.name.trim(),
                kind: &input.kind,
                region_code: code.as_i64(),
                contact: input.contact.trim(),
                unit_id: input.unit_id,
                created_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "resources.provider",
            Subject::new("provider", &id.to_string()),
            true,
            input.name.trim(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Providers the caller may work with: based in their area, or their own.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn providers(&self, actor: &Actor) -> AppResult<Vec<ProviderRow>> {
        if !actor.may(Action::ProvideResources) {
            self.authorize(actor, Action::ManageResources, Subject::new("provider", ""))
                .await?;
        }
        // A provider's own accounts see their own providers only, never other donors.
        let scope = if actor.may(Action::ManageResources) {
            actor.scope().clone()
        } else {
            minsheng_store::Scope::nothing()
        };
        Ok(store::providers(&mut reader(self), &scope, actor.unit_id()).await?)
    }

    /// Adds an offer: staff for a provider of their area, or the provider's own account.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_offer(&self, actor: &Actor, input: &OfferInput) -> AppResult<i64> {
        let subject = input.provider_id.to_string();
        let staff = actor.may(Action::ManageResources);
        if !staff {
            self.authorize(
                actor,
                Action::ProvideResources,
                Subject::new("provider", &subject),
            )
            .await?;
        }
        let provider = store::provider(&mut reader(self), input.provider_id).await?;
        let Some(provider) = provider.filter(|p| {
            (staff && actor.scope().contains(p.region_code))
                || (p.unit_id.is_some() && p.unit_id == actor.unit_id())
        }) else {
            return Err(self
                .not_found_audited(
                    actor,
                    "resources.offer",
                    Subject::new("provider", &subject),
                    "not found",
                )
                .await);
        };
        let mut errors = Vec::new();
        if !OFFER_KINDS.contains(&input.kind.as_str()) {
            errors.push(FieldError::new(
                "kind",
                msg!("choose-one-of", choices = OFFER_KINDS.join(", ")),
            ));
        }
        text(&mut errors, "what", &input.what, 60);
        if input.description.chars().count() > 500 {
            errors.push(FieldError::new(
                "description",
                msg!("text-too-long", max = 500),
            ));
        }
        if !(input.capacity > 0.0 && input.capacity.is_finite()) {
            errors.push(FieldError::new("capacity", msg!("number-above-zero")));
        }
        if !UNITS.contains(&input.unit.as_str()) {
            errors.push(FieldError::new(
                "unit",
                msg!("choose-one-of", choices = UNITS.join(", ")),
            ));
        }
        if input.kind == "money" && input.unit != "yuan" {
            errors.push(FieldError::new("unit", msg!("money-in-yuan")));
        }
        let code = region(&mut errors, "region", &input.region);
        let Some(code) = code.filter(|_| errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let (from, to) = code.subtree();
        let mut tx = self.store().begin().await?;
        let id = store::insert_offer(
            &mut tx,
            &NewOffer {
                provider_id: provider.id,
                kind: &input.kind,
                what: input.what.trim(),
                description: input.description.trim(),
                region_code: from,
                region_end: to,
                capacity: input.capacity,
                unit: &input.unit,
                valid_until: input.valid_until,
                created_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "resources.offer",
            Subject::new("offer", &id.to_string()),
            true,
            &format!("{} {} {}", input.what.trim(), input.capacity, input.unit),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Offers that can go to a household of the caller's area (by place, with capacity left,
    /// still valid), of one kind or all.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn offers_for_household(
        &self,
        actor: &Actor,
        household_id: i64,
        kind: Option<&str>,
    ) -> AppResult<Vec<OfferRow>> {
        let subject = household_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("household", &subject),
        )
        .await?;
        let household = self
            .household_in_area(actor, household_id, "resources.offers")
            .await?;
        Ok(store::offers_for(&mut reader(self), household.region_code, kind, self.now()).await?)
    }

    /// Matches an offer to a household of the caller's area: only with consent recorded, only
    /// where the offer can go, only within what is left of it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn match_offer(&self, actor: &Actor, input: &MatchInput) -> AppResult<i64> {
        let subject = input.household_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("household", &subject),
        )
        .await?;
        let mut errors = Vec::new();
        let consent = input.consent_by.trim();
        if consent.is_empty() || consent.chars().count() > 100 {
            errors.push(FieldError::new(
                "consent_by",
                msg!("match-consent-required"),
            ));
        }
        text(&mut errors, "need", &input.need, 200);
        if !(input.quantity > 0.0 && input.quantity.is_finite()) {
            errors.push(FieldError::new("quantity", msg!("number-above-zero")));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let household = self
            .household_in_area(actor, input.household_id, "resources.match")
            .await?;
        let mut tx = self.store().begin().await?;
        let offer = store::offer(&mut tx, input.offer_id)
            .await?
            .ok_or_else(|| AppError::invalid("offer_id", msg!("no-such-offer")))?;
        if !(offer.region_code..=offer.region_end).contains(&household.region_code) {
            return Err(AppError::invalid("offer_id", msg!("offer-outside-area")));
        }
        if offer.valid_until.is_some_and(|until| until < self.now()) {
            return Err(AppError::invalid("offer_id", msg!("offer-ended")));
        }
        if !store::take_capacity(&mut tx, offer.id, input.quantity).await? {
            let left = store::offer(&mut tx, offer.id)
                .await?
                .map_or(0.0, |o| o.remaining);
            return Err(AppError::invalid(
                "quantity",
                msg!(
                    "offer-capacity",
                    asked = input.quantity,
                    unit = &offer.unit,
                    left = left,
                    capacity = offer.capacity
                ),
            ));
        }
        let now = self.now();
        let id = store::insert_match(
            &mut tx,
            &NewMatch {
                offer_id: offer.id,
                household_id: household.id,
                region_code: household.region_code,
                need: input.need.trim(),
                quantity: input.quantity,
                consent_by: consent,
                consent_at: now,
                confirmed_by: actor.user_id(),
                now,
            },
        )
        .await?;
        timeline(
            &mut tx,
            actor,
            household.id,
            &format!(
                "社会资源对接 #{id}：{}（{}）{} {}，同意人：{consent}",
                offer.what,
                offer.provider_name,
                input.quantity,
                crate::i18n::word(crate::Lang::Zh, "offer_unit", &offer.unit)
            ),
            self.now(),
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "resources.match",
            Subject::new("household", &subject),
            true,
            &format!(
                "offer {} ({}), {} {}, consent: {consent}",
                offer.id, offer.what, input.quantity, offer.unit
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Matches the caller may see: staff, their area's; a provider, its offers' (consent is on
    /// every match; no ID numbers are in a match).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn resource_matches(&self, actor: &Actor) -> AppResult<Vec<MatchRow>> {
        let (scope, unit) = self.resource_view(actor).await?;
        let rows = store::matches(&mut reader(self), &scope, unit).await?;
        // Which households' addresses were read, not just how many.
        let households: Vec<String> = rows
            .iter()
            .map(|m| m.household_id.to_string())
            .take(200)
            .collect();
        self.audit_now(
            actor,
            "resources.matches",
            Subject::new("matches", ""),
            true,
            &format!(
                "{} matches; households {}",
                rows.len(),
                households.join(",")
            ),
        )
        .await?;
        Ok(rows)
    }

    /// What the caller reads matches through: staff their area, a provider its unit.
    async fn resource_view(
        &self,
        actor: &Actor,
    ) -> AppResult<(minsheng_store::Scope, Option<i64>)> {
        if actor.may(Action::ManageResources) {
            Ok((actor.scope().clone(), None))
        } else {
            self.authorize(actor, Action::ProvideResources, Subject::new("matches", ""))
                .await?;
            Ok((minsheng_store::Scope::nothing(), actor.unit_id()))
        }
    }

    /// Records the delivery of a confirmed match (staff of the area or the provider).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_delivery(
        &self,
        actor: &Actor,
        match_id: i64,
        input: &DeliveryInput,
    ) -> AppResult<i64> {
        let subject = match_id.to_string();
        let (scope, unit) = self.resource_view(actor).await?;
        let mut errors = Vec::new();
        text(&mut errors, "what", &input.what, 200);
        text(&mut errors, "delivered_by", &input.delivered_by, 100);
        if !(input.value_yuan >= 0.0 && input.value_yuan.is_finite()) {
            errors.push(FieldError::new("value_yuan", msg!("number-not-negative")));
        }
        if date(&input.delivered_on).is_none() {
            errors.push(FieldError::new("delivered_on", msg!("date-format")));
        }
        if input.feedback.chars().count() > 500 {
            errors.push(FieldError::new(
                "feedback",
                msg!("text-too-long", max = 500),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store().begin().await?;
        let Some(found) = store::a_match(&mut tx, &scope, unit, match_id).await? else {
            drop(tx);
            return Err(self
                .not_found_audited(
                    actor,
                    "resources.deliver",
                    Subject::new("match", &subject),
                    "not found",
                )
                .await);
        };
        if !store::set_match_state(
            &mut tx,
            found.id,
            found.row_version,
            "confirmed",
            "delivered",
        )
        .await?
        {
            return Err(AppError::invalid("match", msg!("match-already-done")));
        }
        let id = store::insert_delivery(
            &mut tx,
            &NewDelivery {
                match_id,
                what: input.what.trim(),
                value_yuan: input.value_yuan,
                delivered_on: input.delivered_on.trim(),
                delivered_by: input.delivered_by.trim(),
                feedback: input.feedback.trim(),
                recorded_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await?;
        let thanks = if input.feedback.trim().is_empty() {
            String::new()
        } else {
            format!("；反馈：{}", input.feedback.trim())
        };
        timeline(
            &mut tx,
            actor,
            found.household_id,
            &format!(
                "社会资源送达：{} ¥{:.2}（{}，{}）{thanks}",
                input.what.trim(),
                input.value_yuan,
                found.provider_name,
                input.delivered_by.trim()
            ),
            self.now(),
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "resources.deliver",
            Subject::new("household", &found.household_id.to_string()),
            true,
            &format!("{} ¥{:.2}", input.what.trim(), input.value_yuan),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Cancels a match not yet delivered (the household changed its mind, the provider cannot
    /// come): what it took goes back to the offer. Staff of the household's area.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn cancel_match(&self, actor: &Actor, match_id: i64, reason: &str) -> AppResult<()> {
        let subject = match_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("match", &subject),
        )
        .await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(AppError::invalid("reason", msg!("text-length", max = 200)));
        }
        let mut tx = self.store().begin().await?;
        let Some(found) = store::a_match(&mut tx, actor.scope(), None, match_id).await? else {
            drop(tx);
            return Err(self
                .not_found_audited(
                    actor,
                    "resources.cancel",
                    Subject::new("match", &subject),
                    "not found",
                )
                .await);
        };
        if !store::set_match_state(
            &mut tx,
            found.id,
            found.row_version,
            "confirmed",
            "cancelled",
        )
        .await?
        {
            return Err(AppError::invalid("match", msg!("match-already-done")));
        }
        store::return_capacity(&mut tx, found.offer_id, found.quantity).await?;
        timeline(
            &mut tx,
            actor,
            found.household_id,
            &format!("社会资源对接 #{match_id} 取消：{reason}"),
            self.now(),
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "resources.cancel",
            Subject::new("household", &found.household_id.to_string()),
            true,
            &format!("match {match_id}: {reason}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A household's deliveries, for its timeline (staff of its area).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn household_deliveries(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> AppResult<Vec<DeliveryRow>> {
        let subject = household_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("household", &subject),
        )
        .await?;
        let rows = store::deliveries(&mut reader(self), actor.scope(), Some(household_id)).await?;
        self.audit_now(
            actor,
            "resources.deliveries",
            Subject::new("household", &subject),
            true,
            &format!("{} deliveries", rows.len()),
        )
        .await?;
        Ok(rows)
    }
}

/// What staff give to open an emergency appeal (急难众筹).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppealInput {
    pub household_id: i64,
    /// The public title: no names, addresses or numbers of the household.
    pub title: String,
    pub target_yuan: f64,
    /// The last day (YYYY-MM-DD).
    pub ends_on: String,
    /// Where what is received above the target goes at closing (stated, public).
    pub surplus_rule: String,
}

/// An appeal's figures as the public sees them: no personal data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PublicAppeal {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub ends_on: String,
    pub surplus_rule: String,
    pub target_yuan: f64,
    pub pledged_yuan: f64,
    pub received_yuan: f64,
    pub disbursed_yuan: f64,
    pub balance_yuan: f64,
}

/// Yuan as typed → fen (分), exactly; refused when not a positive amount of at most two
/// decimals.
pub fn fen(field: &str, yuan: f64) -> AppResult<i64> {
    let fen = (yuan * 100.0).round();
    if !(yuan > 0.0 && yuan.is_finite() && fen < 1e13 && ((yuan * 100.0) - fen).abs() < 1e-6) {
        return Err(AppError::invalid(field, msg!("amount-two-decimals")));
    }
    Ok(fen as i64)
}

/// Yuan → fen, or the reason added to `errors`.
fn fen_or_note(errors: &mut Vec<FieldError>, field: &str, yuan: f64) -> Option<i64> {
    match fen(field, yuan) {
        Ok(f) => Some(f),
        Err(AppError::Invalid(mut f)) => {
            errors.append(&mut f);
            None
        }
        Err(_) => None,
    }
}

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

impl From<store::AppealRow> for PublicAppeal {
    fn from(a: store::AppealRow) -> PublicAppeal {
        PublicAppeal {
            id: a.id,
            // Checked when typed, and scrubbed again as it leaves: a public page never shows
            // a number or name, however the title was written.
            title: minsheng_domain::scrub::scrub_public(&a.title),
            state: a.state,
            ends_on: a.ends_on,
            surplus_rule: minsheng_domain::scrub::scrub_public(&a.surplus_rule),
            target_yuan: yuan(a.target_fen),
            pledged_yuan: yuan(a.pledged_fen),
            received_yuan: yuan(a.received_fen),
            disbursed_yuan: yuan(a.disbursed_fen),
            balance_yuan: yuan(a.received_fen - a.disbursed_fen),
        }
    }
}

impl App {
    /// An appeal of the caller's area, for staff; refused (audited) otherwise.
    async fn staff_appeal(
        &self,
        actor: &Actor,
        appeal_id: i64,
        action: &str,
    ) -> AppResult<store::AppealRow> {
        let subject = appeal_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("appeal", &subject),
        )
        .await?;
        match store::appeal_in(&mut reader(self), actor.scope(), appeal_id).await? {
            Some(appeal) => Ok(appeal),
            None => Err(self
                .not_found_audited(actor, action, Subject::new("appeal", &subject), "not found")
                .await),
        }
    }

    /// Opens an appeal for a household of the caller's area.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_appeal(&self, actor: &Actor, input: &AppealInput) -> AppResult<i64> {
        let subject = input.household_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("household", &subject),
        )
        .await?;
        let mut errors = Vec::new();
        text(&mut errors, "title", &input.title, 60);
        if minsheng_domain::scrub::longest_number(&input.title) >= 7 {
            errors.push(FieldError::new("title", msg!("public-title-no-numbers")));
        }
        text(&mut errors, "surplus_rule", &input.surplus_rule, 200);
        let target = fen_or_note(&mut errors, "target_yuan", input.target_yuan);
        if date(&input.ends_on).is_none() {
            errors.push(FieldError::new("ends_on", msg!("date-format")));
        }
        let Some(target) = target.filter(|_| errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let household = self
            .household_in_area(actor, input.household_id, "appeal.open")
            .await?;
        let mut tx = self.store().begin().await?;
        let id = store::insert_appeal(
            &mut tx,
            &store::NewAppeal {
                household_id: household.id,
                region_code: household.region_code,
                title: input.title.trim(),
                target_fen: target,
                ends_on: input.ends_on.trim(),
                surplus_rule: input.surplus_rule.trim(),
                created_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await?;
        timeline(
            &mut tx,
            actor,
            household.id,
            &format!(
                "急难众筹 #{id}：{}，目标 ¥{:.2}，截止 {}",
                input.title.trim(),
                yuan(target),
                input.ends_on.trim()
            ),
            self.now(),
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "appeal.open",
            Subject::new("household", &subject),
            true,
            input.title.trim(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An appeal's public figures (no sign-in needed).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn public_appeal(&self, id: i64) -> AppResult<PublicAppeal> {
        let appeal = store::appeal(&mut reader(self), id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(appeal.into())
    }

    /// Records a ledger entry: a registered donor's pledge (staff of the appeal's area, or the
    /// donor's own account), a payment received from a donor or a disbursement to the household
    /// (staff only). Refused with the figures when it would break the ledger. A receipt that
    /// meets the target closes the appeal.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn appeal_entry(
        &self,
        actor: &Actor,
        appeal_id: i64,
        entry: store::Entry,
        provider_id: Option<i64>,
        yuan_amount: f64,
        note: &str,
    ) -> AppResult<PublicAppeal> {
        let subject = appeal_id.to_string();
        let staff = actor.may(Action::ManageResources);
        // A donor's own account pledges; money counts as received only when the appeal's
        // staff confirm it arrived (a donor cannot declare its own payment received).
        if !staff && actor.may(Action::ProvideResources) && entry == store::Entry::Receipt {
            self.audit_now(
                actor,
                "appeal.entry",
                Subject::new("appeal", &subject),
                false,
                "a donor declared its own payment received",
            )
            .await?;
            return Err(AppError::invalid("kind", msg!("receipt-by-staff")));
        }
        let donor_self = actor.may(Action::ProvideResources) && entry == store::Entry::Pledge;
        if !staff && !donor_self {
            self.authorize(
                actor,
                Action::ManageResources,
                Subject::new("appeal", &subject),
            )
            .await?;
        }
        let amount = fen("amount_yuan", yuan_amount)?;
        if note.chars().count() > 200 {
            return Err(AppError::invalid("note", msg!("text-too-long", max = 200)));
        }
        let mut tx = self.store().begin().await?;
        // Staff reach the appeals of their area; a donor's own account any open appeal's
        // public figures.
        let appeal = if staff {
            store::appeal_in(&mut tx, actor.scope(), appeal_id).await?
        } else {
            store::appeal(&mut tx, appeal_id).await?
        };
        let Some(appeal) = appeal else {
            drop(tx);
            return Err(self
                .not_found_audited(
                    actor,
                    "appeal.entry",
                    Subject::new("appeal", &subject),
                    "not found",
                )
                .await);
        };
        let donor = match (entry, provider_id) {
            (store::Entry::Pledge | store::Entry::Receipt, Some(p)) => {
                let provider = store::provider(&mut tx, p).await?.ok_or_else(|| {
                    AppError::invalid("provider_id", msg!("not-registered-donor"))
                })?;
                if !staff && (provider.unit_id.is_none() || provider.unit_id != actor.unit_id()) {
                    return Err(AppError::invalid(
                        "provider_id",
                        msg!("not-your-organisation"),
                    ));
                }
                Some(provider.id)
            }
            (store::Entry::Pledge | store::Entry::Receipt, None) => {
                return Err(AppError::invalid(
                    "provider_id",
                    msg!("registered-donor-required"),
                ));
            }
            _ => None,
        };
        if let (store::Entry::Receipt, Some(donor)) = (entry, donor) {
            let owed = store::donor_outstanding(&mut tx, appeal_id, donor).await?;
            if amount > owed {
                return Err(AppError::invalid(
                    "amount_yuan",
                    msg!(
                        "donor-owes",
                        amount = format!("{yuan_amount:.2}"),
                        owed = format!("{:.2}", yuan(owed))
                    ),
                ));
            }
        }
        let now = self.now();
        let written = store::add_entry(
            &mut tx,
            &store::NewEntry {
                appeal_id,
                entry,
                provider_id: donor,
                amount_fen: amount,
                note: note.trim(),
                recorded_by: actor.user_id(),
                at: now,
            },
        )
        .await?;
        if !written {
            let why = match entry {
                store::Entry::Pledge => "closed",
                store::Entry::Receipt => "over_pledged",
                _ => "over_balance",
            };
            return Err(AppError::invalid(
                "amount_yuan",
                msg!(
                    "appeal-entry-refused",
                    amount = format!("{yuan_amount:.2}"),
                    pledged = format!("{:.2}", yuan(appeal.pledged_fen)),
                    received = format!("{:.2}", yuan(appeal.received_fen)),
                    disbursed = format!("{:.2}", yuan(appeal.disbursed_fen)),
                    balance = format!("{:.2}", yuan(appeal.received_fen - appeal.disbursed_fen)),
                )
                .word("why", "appeal_refusal", why),
            ));
        }
        let after = store::appeal(&mut tx, appeal_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if entry == store::Entry::Receipt && after.received_fen >= after.target_fen {
            store::close_appeal(&mut tx, appeal_id, now).await?;
        }
        write_audit(
            &mut tx,
            actor,
            "appeal.entry",
            Subject::new("appeal", &subject),
            true,
            &format!("{} ¥{yuan_amount:.2}", entry.code()),
        )
        .await?;
        tx.commit().await?;
        self.public_appeal(appeal_id).await
    }

    /// Closes an appeal (met, or at its end date): what was received above the target (and
    /// above what was already paid out) leaves by the stated rule as a surplus entry.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close_appeal(&self, actor: &Actor, appeal_id: i64) -> AppResult<PublicAppeal> {
        let subject = appeal_id.to_string();
        self.staff_appeal(actor, appeal_id, "appeal.close").await?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        // Closing first locks the row, so two closings (or a closing and the daily sweep) read
        // the figures one after the other and move a surplus once.
        store::close_appeal(&mut tx, appeal_id, now).await?;
        let appeal = store::appeal_in(&mut tx, actor.scope(), appeal_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (_, _, paid_out, moved) = store::ledger_sums(&mut tx, appeal_id).await?;
        // What was received above the target (and above what the household was paid), less
        // any surplus already moved: closing again moves nothing twice.
        let surplus = appeal.received_fen - appeal.target_fen.max(paid_out) - moved;
        if surplus > 0 {
            store::add_entry(
                &mut tx,
                &store::NewEntry {
                    appeal_id,
                    entry: store::Entry::Surplus,
                    provider_id: None,
                    amount_fen: surplus,
                    note: &appeal.surplus_rule,
                    recorded_by: actor.user_id(),
                    at: now,
                },
            )
            .await?;
        }
        write_audit(
            &mut tx,
            actor,
            "appeal.close",
            Subject::new("appeal", &subject),
            true,
            &format!("surplus ¥{:.2}", yuan(surplus.max(0))),
        )
        .await?;
        tx.commit().await?;
        self.public_appeal(appeal_id).await
    }
}

/// A volunteer assigned to a household for recurring visits (e.g. 互助养老).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssignmentInput {
    pub household_id: i64,
    pub volunteer: String,
    pub service: String,
    /// A visit every so many days (1–90).
    pub every_days: i64,
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: Option<String>,
    /// The stipend a visit earns, when the village committee pays one.
    #[serde(default)]
    pub stipend_yuan: Option<f64>,
    #[serde(default)]
    pub stipend_payer: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitInput {
    pub visited_on: String,
    pub hours: f64,
    #[serde(default)]
    pub note: String,
}

pub use minsheng_store::resources::AssignmentRow;

/// A day typed as YYYY-MM-DD, in the years the product deals with (2000–2100), so no date
/// arithmetic on it can overflow.
fn date(value: &str) -> Option<time::Date> {
    time::Date::parse(
        value.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
    .filter(|d| (2000..=2100).contains(&d.year()))
}

/// The periods of a recurring assignment that ended before `today` with no visit in them: the
/// first day of each. Period k runs from `start + k·every` for `every` days; an end date stops
/// the periods.
pub fn missed_periods(
    start: time::Date,
    end: Option<time::Date>,
    every_days: i64,
    visits: &[time::Date],
    today: time::Date,
) -> Vec<time::Date> {
    let step = time::Duration::days(every_days.clamp(1, 90));
    let mut missed = Vec::new();
    let mut from = start;
    while let Some(to) = from.checked_add(step)
        && to <= today
        && end.is_none_or(|e| from <= e)
    {
        if !visits.iter().any(|v| (from..to).contains(v)) {
            missed.push(from);
        }
        from = to;
    }
    missed
}

impl App {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn assign_volunteer(&self, actor: &Actor, input: &AssignmentInput) -> AppResult<i64> {
        let subject = input.household_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("household", &subject),
        )
        .await?;
        let mut errors = Vec::new();
        text(&mut errors, "volunteer", &input.volunteer, 50);
        text(&mut errors, "service", &input.service, 60);
        if !(1..=90).contains(&input.every_days) {
            errors.push(FieldError::new("every_days", msg!("every-days-range")));
        }
        let start = date(&input.starts_on);
        if start.is_none() {
            errors.push(FieldError::new("starts_on", msg!("date-format")));
        }
        let end = input.ends_on.as_deref().filter(|e| !e.trim().is_empty());
        if let Some(e) = end
            && (date(e).is_none() || date(e) < start)
        {
            errors.push(FieldError::new("ends_on", msg!("end-not-before-start")));
        }
        let stipend = input
            .stipend_yuan
            .and_then(|y| fen_or_note(&mut errors, "stipend_yuan", y));
        if stipend.is_some() && input.stipend_payer.trim().is_empty() {
            errors.push(FieldError::new(
                "stipend_payer",
                msg!("stipend-payer-required"),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let household = self
            .household_in_area(actor, input.household_id, "volunteer.assign")
            .await?;
        let mut tx = self.store().begin().await?;
        let id = store::insert_assignment(
            &mut tx,
            &store::NewAssignment {
                household_id: household.id,
                region_code: household.region_code,
                volunteer: input.volunteer.trim(),
                service: input.service.trim(),
                every_days: input.every_days,
                starts_on: input.starts_on.trim(),
                ends_on: end.map(str::trim),
                stipend_fen: stipend,
                stipend_payer: input.stipend_payer.trim(),
                created_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await?;
        timeline(
            &mut tx,
            actor,
            household.id,
            &format!(
                "志愿服务：{} {}，每 {} 天一次",
                input.volunteer.trim(),
                input.service.trim(),
                input.every_days
            ),
            self.now(),
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "volunteer.assign",
            Subject::new("household", &subject),
            true,
            &format!("{} every {} days", input.service.trim(), input.every_days),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Logs a visit of an assignment of the caller's area (once a day), with its stipend.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_volunteer_visit(
        &self,
        actor: &Actor,
        assignment_id: i64,
        input: &VisitInput,
    ) -> AppResult<i64> {
        let subject = assignment_id.to_string();
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("assignment", &subject),
        )
        .await?;
        let found = store::assignments(&mut reader(self), actor.scope(), Some(assignment_id))
            .await?
            .pop();
        let Some(assignment) = found else {
            return Err(self
                .not_found_audited(
                    actor,
                    "volunteer.visit",
                    Subject::new("assignment", &subject),
                    "not found",
                )
                .await);
        };
        let mut errors = Vec::new();
        let day = date(&input.visited_on);
        let today = self.today();
        match day {
            None => errors.push(FieldError::new("visited_on", msg!("date-format"))),
            Some(d) if d > today || Some(d) < date(&assignment.starts_on) => {
                errors.push(FieldError::new("visited_on", msg!("visit-date-range")))
            }
            Some(d)
                if assignment
                    .ends_on
                    .as_deref()
                    .and_then(date)
                    .is_some_and(|e| d > e) =>
            {
                errors.push(FieldError::new("visited_on", msg!("visit-after-end")));
            }
            _ => {}
        }
        if !(input.hours > 0.0 && input.hours <= 24.0) {
            errors.push(FieldError::new("hours", msg!("hours-range")));
        }
        if input.note.chars().count() > 500 {
            errors.push(FieldError::new("note", msg!("text-too-long", max = 500)));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store().begin().await?;
        let id = store::insert_visit(
            &mut tx,
            &store::NewVisit {
                assignment_id,
                visited_on: input.visited_on.trim(),
                hours: input.hours,
                note: input.note.trim(),
                stipend_fen: assignment.stipend_fen,
                recorded_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await
        .map_err(|e| match e {
            minsheng_store::StoreError::Conflict(_) => {
                AppError::invalid("visited_on", msg!("visit-already-logged"))
            }
            other => other.into(),
        })?;
        write_audit(
            &mut tx,
            actor,
            "volunteer.visit",
            Subject::new("household", &assignment.household_id.to_string()),
            true,
            &format!("{} h", input.hours),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The assignments of the caller's area with their visits, hours and stipends, and the
    /// periods each has missed up to `today`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn volunteer_assignments(
        &self,
        actor: &Actor,
        today: time::Date,
    ) -> AppResult<Vec<(AssignmentRow, Vec<time::Date>)>> {
        self.authorize(
            actor,
            Action::ManageResources,
            Subject::new("assignments", ""),
        )
        .await?;
        let rows = store::assignments(&mut reader(self), actor.scope(), None).await?;
        let mut out = Vec::with_capacity(rows.len());
        for a in rows {
            let visits: Vec<time::Date> = store::visit_days(&mut reader(self), a.id)
                .await?
                .iter()
                .filter_map(|d| date(d))
                .collect();
            let missed = match date(&a.starts_on) {
                Some(start) => missed_periods(
                    start,
                    a.ends_on.as_deref().and_then(date),
                    a.every_days,
                    &visits,
                    today,
                ),
                None => Vec::new(),
            };
            out.push((a, missed));
        }
        self.audit_now(
            actor,
            "volunteer.list",
            Subject::new("assignments", ""),
            true,
            &format!("{} assignments", out.len()),
        )
        .await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minsheng_domain::scrub::longest_number;
    use time::macros::date;

    #[test]
    fn numbers_are_found_however_they_are_written() {
        assert_eq!(longest_number("突发火灾家庭重建急难众筹"), 0);
        assert_eq!(longest_number("2026年第3号众筹"), 4);
        assert_eq!(longest_number("张伟 13800001111"), 11);
        // Chinese numerals are digits too: 三 right before a number makes it one longer.
        assert_eq!(longest_number("张三 13800001111"), 12);
        assert_eq!(longest_number("电话一三八零零零零一一一一"), 11);
        assert_eq!(longest_number("联系 138 0000 1111"), 11);
        assert_eq!(longest_number("１３８－００００－１１１１"), 11);
    }

    #[test]
    fn a_period_without_a_visit_is_missed_once_it_is_over() {
        let start = date!(2026 - 11 - 02);
        let visits = [date!(2026 - 11 - 03), date!(2026 - 11 - 17)];
        // Weekly: 11-02..09 visited, 09..16 missed, 16..23 visited, 23..30 not over yet.
        let missed = missed_periods(start, None, 7, &visits, date!(2026 - 11 - 29));
        assert_eq!(missed, vec![date!(2026 - 11 - 09)]);
        // Ended on the 10th: only the periods that began by then count.
        let missed = missed_periods(
            start,
            Some(date!(2026 - 11 - 10)),
            7,
            &[],
            date!(2026 - 11 - 29),
        );
        assert_eq!(missed, vec![date!(2026 - 11 - 02), date!(2026 - 11 - 09)]);
        assert!(missed_periods(start, None, 7, &[], start).is_empty());
    }
}

/// Social-resource figures of an area (no personal data).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ResourceFigures {
    /// By provider kind: (kind, deliveries, ¥).
    pub delivered: Vec<(String, i64, f64)>,
    /// By district: (district code, name, deliveries, ¥).
    pub by_district: Vec<(i64, String, i64, f64)>,
    /// Contracts: (name, delivery rate 0–1, paid ¥, budget ¥).
    pub contracts: Vec<(String, f64, f64, f64)>,
    pub delivered_yuan: f64,
    pub volunteer_visits: i64,
    pub volunteer_hours: f64,
    pub stipends_yuan: f64,
    pub appeals: i64,
    pub appeals_open: i64,
    pub appeals_target_yuan: f64,
    pub appeals_received_yuan: f64,
    pub appeals_disbursed_yuan: f64,
}

impl App {
    /// Resources linked (¥ and count by provider kind), volunteer hours and stipends, appeals and
    /// the funds they raised, within the caller's area.
    /// `region` narrows it to one region of the caller's area; `days` (both included) the
    /// deliveries and volunteer visits counted (appeals and contracts are as they stand).
    pub async fn resource_figures(
        &self,
        actor: &Actor,
        region: Option<RegionCode>,
        days: Option<(time::Date, time::Date)>,
    ) -> AppResult<ResourceFigures> {
        if !actor.may(Action::ViewFigures) {
            self.authorize(
                actor,
                Action::ManageResources,
                Subject::new("figures", "resources"),
            )
            .await?;
        }
        let scope = actor.scope_within(region)?;
        let mut c = reader(self);
        let texts = days.map(|(from, to)| (from.to_string(), to.to_string()));
        let days = texts.as_ref().map(|(f, t)| (f.as_str(), t.as_str()));
        let delivered: Vec<(String, i64, f64)> = store::delivered_by_kind(&mut c, &scope, days)
            .await?
            .into_iter()
            .map(|(kind, n, fen)| (kind, n, yuan(fen)))
            .collect();
        let mut by_district = Vec::new();
        for (code, n, fen) in store::delivered_by_district(&mut c, &scope, days).await? {
            let name = minsheng_store::regions::get(&mut c, code)
                .await?
                .map_or_else(|| code.to_string(), |r| r.name);
            by_district.push((code, name, n, yuan(fen)));
        }
        let mut contracts = Vec::new();
        for k in store::contracts(&mut c, &scope, None).await? {
            let progress = self.progress_of(k).await?;
            contracts.push((
                progress.contract.name.clone(),
                progress.delivery_rate,
                yuan(progress.contract.paid_fen),
                yuan(progress.contract.budget_fen),
            ));
        }
        let (visits, hours, stipends) = store::volunteer_totals(&mut c, &scope, days).await?;
        let (appeals, open, target, received, disbursed) =
            store::appeal_totals(&mut c, &scope).await?;
        Ok(ResourceFigures {
            delivered_yuan: delivered.iter().map(|d| d.2).sum(),
            delivered,
            by_district,
            contracts,
            volunteer_visits: visits,
            volunteer_hours: hours,
            stipends_yuan: yuan(stipends),
            appeals,
            appeals_open: open,
            appeals_target_yuan: yuan(target),
            appeals_received_yuan: yuan(received),
            appeals_disbursed_yuan: yuan(disbursed),
        })
    }
}

/// A purchased-services contract (政府购买服务) to record.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContractInput {
    /// The organisation's unit (a social-work or third-party assessment organisation).
    pub unit_id: i64,
    pub name: String,
    /// The area it covers (a region code in any form).
    pub region: String,
    pub budget_yuan: f64,
    pub starts_on: String,
    pub ends_on: String,
    /// (assessments | service_visits, how many).
    pub deliverables: Vec<(String, i64)>,
    /// (name, amount in yuan, share of every deliverable done before it is paid, 0–1).
    pub milestones: Vec<(String, f64, f64)>,
}

/// A contract with its progress counted from the product's records.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContractProgress {
    pub contract: store::ContractRow,
    /// (kind, target, done, share done).
    pub deliverables: Vec<(String, i64, i64, f64)>,
    /// The smallest share done over the deliverables (the delivery rate).
    pub delivery_rate: f64,
    pub milestones: Vec<store::MilestoneRow>,
}

/// Midnight of a day in China, ms (the start of a contract's period).
fn day_start_ms(day: time::Date) -> i64 {
    let at = day
        .midnight()
        .assume_offset(minsheng_domain::time_util::CHINA_OFFSET);
    at.unix_timestamp() * 1000
}

impl App {
    /// Records a contract with its deliverables and milestones (staff of the area it covers).
    pub async fn create_contract(&self, actor: &Actor, input: &ContractInput) -> AppResult<i64> {
        // Contracts spend public money: town and district officers, as for the reserve fund.
        self.authorize(actor, Action::ManageFunds, Subject::new("contract", ""))
            .await?;
        let mut errors = Vec::new();
        text(&mut errors, "name", &input.name, 100);
        let code = region(&mut errors, "region", &input.region);
        if let Some(code) = code
            && !actor.scope().contains(code.as_i64())
        {
            errors.push(FieldError::new("region", msg!("region-outside-area")));
        }
        let budget = fen_or_note(&mut errors, "budget_yuan", input.budget_yuan);
        let (start, end) = (date(&input.starts_on), date(&input.ends_on));
        if start.is_none() || end.is_none() || end < start {
            errors.push(FieldError::new("ends_on", msg!("date-range")));
        }
        if input.deliverables.is_empty() {
            errors.push(FieldError::new("deliverables", msg!("at-least-one")));
        }
        for (i, (kind, target)) in input.deliverables.iter().enumerate() {
            if !["assessments", "service_visits"].contains(&kind.as_str()) || *target <= 0 {
                errors.push(FieldError::new(
                    &format!("deliverables[{i}]"),
                    msg!("deliverable-rule"),
                ));
            }
        }
        if input.milestones.len() > 50 || input.deliverables.len() > 10 {
            errors.push(FieldError::new("milestones", msg!("contract-limits")));
        }
        let mut milestones = Vec::new();
        for (i, (name, amount, share)) in input.milestones.iter().enumerate().take(50) {
            let field = format!("milestones[{i}]");
            let amount = fen_or_note(&mut errors, &field, *amount);
            if name.trim().is_empty() || !(0.0..=1.0).contains(share) {
                errors.push(FieldError::new(&field, msg!("milestone-rule")));
            }
            milestones.push((name.trim(), amount.unwrap_or(0), *share));
        }
        if let Some(budget) = budget
            && milestones.iter().map(|m| m.1).sum::<i64>() > budget
        {
            errors.push(FieldError::new(
                "milestones",
                msg!("milestones-over-budget"),
            ));
        }
        let unit = minsheng_store::users::unit(&mut reader(self), input.unit_id).await?;
        if !unit.is_some_and(|u| CONTRACTOR_KINDS.contains(&u.kind.as_str())) {
            errors.push(FieldError::new("unit_id", msg!("not-social-work-org")));
        }
        let (Some(code), Some(budget)) = (code, budget) else {
            return Err(AppError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (lo, hi) = code.subtree();
        let mut tx = self.store().begin().await?;
        let id = store::insert_contract(
            &mut tx,
            &store::NewContract {
                unit_id: input.unit_id,
                name: input.name.trim(),
                region_code: lo,
                region_end: hi,
                budget_fen: budget,
                starts_on: input.starts_on.trim(),
                ends_on: input.ends_on.trim(),
                created_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await?;
        for (kind, target) in &input.deliverables {
            store::insert_deliverable(&mut tx, id, kind, *target).await?;
        }
        for (name, amount, share) in milestones {
            store::insert_milestone(&mut tx, id, name, amount, share).await?;
        }
        write_audit(
            &mut tx,
            actor,
            "contract.create",
            Subject::new("contract", &id.to_string()),
            true,
            input.name.trim(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A contract's progress against its deliverables, counted from the work its organisation's
    /// staff recorded in its area and period (staff of the area, or the organisation itself).
    pub async fn contract_progress(&self, actor: &Actor, id: i64) -> AppResult<ContractProgress> {
        let scope = if actor.may(Action::ManageResources) {
            actor.scope().clone()
        } else {
            minsheng_store::Scope::nothing()
        };
        let found = store::contract(&mut reader(self), &scope, actor.unit_id(), id).await?;
        let Some(contract) = found else {
            return Err(self
                .not_found_audited(
                    actor,
                    "contract.view",
                    Subject::new("contract", &id.to_string()),
                    "not found",
                )
                .await);
        };
        self.progress_of(contract).await
    }

    /// A contract's deliverables counted from the records, its delivery rate and milestones.
    async fn progress_of(&self, contract: store::ContractRow) -> AppResult<ContractProgress> {
        let id = contract.id;
        let from = date(&contract.starts_on).map_or(0, day_start_ms);
        let to = date(&contract.ends_on)
            .map_or(i64::MAX, |d| day_start_ms(d + time::Duration::days(1)) - 1);
        let mut deliverables = Vec::new();
        for (kind, target) in store::deliverables(&mut reader(self), id).await? {
            let done =
                store::contract_progress(&mut reader(self), &contract, &kind, from, to).await?;
            let share = (done as f64 / target as f64).min(1.0);
            deliverables.push((kind, target, done, share));
        }
        let delivery_rate = deliverables.iter().map(|d| d.3).fold(1.0, f64::min);
        let milestones = store::milestones(&mut reader(self), id).await?;
        Ok(ContractProgress {
            contract,
            deliverables,
            delivery_rate,
            milestones,
        })
    }

    /// Pays a milestone: only when the delivery rate reaches its share, within the budget.
    pub async fn pay_milestone(
        &self,
        actor: &Actor,
        contract_id: i64,
        milestone_id: i64,
    ) -> AppResult<()> {
        self.authorize(
            actor,
            Action::ManageFunds,
            Subject::new("contract", &contract_id.to_string()),
        )
        .await?;
        let progress = self.contract_progress(actor, contract_id).await?;
        let Some(milestone) = progress.milestones.iter().find(|m| m.id == milestone_id) else {
            return Err(AppError::NotFound);
        };
        if milestone.paid_at.is_some() {
            return Err(AppError::invalid("milestone", msg!("milestone-paid")));
        }
        if progress.delivery_rate + 1e-9 < milestone.needs_share {
            return Err(AppError::invalid(
                "milestone",
                msg!(
                    "milestone-not-reached",
                    delivered = format!("{:.0}", progress.delivery_rate * 100.0),
                    needed = format!("{:.0}", milestone.needs_share * 100.0)
                ),
            ));
        }
        let mut tx = self.store().begin().await?;
        if !store::pay_milestone(&mut tx, milestone, actor.user_id(), self.now()).await? {
            return Err(AppError::invalid(
                "milestone",
                msg!("milestone-over-budget"),
            ));
        }
        write_audit(
            &mut tx,
            actor,
            "contract.pay",
            Subject::new("contract", &contract_id.to_string()),
            true,
            &format!("{} ¥{:.2}", milestone.name, yuan(milestone.amount_fen)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether an organisation's staff may work on a household of `region` today: an
    /// organisation with purchased-service contracts only within one of them; others always.
    pub async fn contract_allows(&self, unit_id: i64, region: i64) -> AppResult<bool> {
        if !store::has_contracts(&mut reader(self), unit_id).await? {
            return Ok(true);
        }
        let today = self.today().to_string();
        Ok(!store::covering(&mut reader(self), unit_id, region, &today)
            .await?
            .is_empty())
    }
}

/// A need of a household that government items do not cover, as the matching worklist shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Need {
    pub row: store::NeedRow,
    /// What the need is, in words (the catalog item's name and why it is unmet); a match made
    /// from the worklist records it as its need.
    pub text: String,
}

/// An appeal as its staff see it: figures, and whether its end date has passed while open.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AppealView {
    pub appeal: PublicAppeal,
    pub household_id: i64,
    pub overdue: bool,
}

impl App {
    /// Offers the caller works with: staff, those that reach into their area; a provider, its
    /// own.
    pub async fn offers(&self, actor: &Actor) -> AppResult<Vec<OfferRow>> {
        let (scope, unit) = self.resource_view(actor).await?;
        Ok(store::offers(&mut reader(self), &scope, unit).await?)
    }

    /// The matching worklist of the caller's area: declined plan items, referrals no unit
    /// could take, and "not eligible but helped" households, less those already matched.
    pub async fn unmet_needs(&self, actor: &Actor) -> AppResult<Vec<Need>> {
        self.authorize(actor, Action::ManageResources, Subject::new("needs", ""))
            .await?;
        let rows = store::unmet_needs(&mut reader(self), actor.scope(), 5_000).await?;
        let matched = store::matches(&mut reader(self), actor.scope(), None).await?;
        let catalog = crate::help::shipped_catalog()?;
        let needs: Vec<Need> = rows
            .into_iter()
            .map(|row| {
                let item = catalog
                    .items
                    .iter()
                    .find(|i| i.code == row.item_code)
                    .map_or_else(|| row.item_code.clone(), |i| i.label_zh.clone());
                let text = match row.source.as_str() {
                    // The reason stays with staff (shown beside it): the text goes to the
                    // provider with a match.
                    "declined" => format!("{item}（方案未获批）"),
                    "unavailable" => format!("{item}（转介未落实）"),
                    _ => "不符合救助条件但需帮扶".to_string(),
                };
                Need { row, text }
            })
            .filter(|n| {
                !matched.iter().any(|m| {
                    m.household_id == n.row.household_id
                        && m.need == n.text
                        && m.state != "cancelled"
                })
            })
            .take(500)
            .collect();
        self.audit_now(
            actor,
            "resources.needs",
            Subject::new("needs", ""),
            true,
            &format!("{} needs", needs.len()),
        )
        .await?;
        Ok(needs)
    }

    /// Appeals of the caller's area, with those past their end date flagged for closing.
    pub async fn appeals(&self, actor: &Actor) -> AppResult<Vec<AppealView>> {
        self.authorize(actor, Action::ManageResources, Subject::new("appeals", ""))
            .await?;
        let today = self.today();
        let rows: Vec<AppealView> = store::appeals(&mut reader(self), actor.scope())
            .await?
            .into_iter()
            .map(|a| AppealView {
                overdue: a.state == "open" && date(&a.ends_on).is_some_and(|d| d < today),
                household_id: a.household_id,
                appeal: a.into(),
            })
            .collect();
        self.audit_now(
            actor,
            "appeal.list",
            Subject::new("appeals", ""),
            true,
            &format!("{} appeals", rows.len()),
        )
        .await?;
        Ok(rows)
    }

    /// Closes the open appeals of the caller's area whose end date has passed (run daily), each
    /// with its surplus moved by its rule; the appeals after closing.
    pub async fn close_due_appeals(&self, actor: &Actor) -> AppResult<Vec<PublicAppeal>> {
        let due: Vec<i64> = self
            .appeals(actor)
            .await?
            .into_iter()
            .filter(|a| a.overdue)
            .map(|a| a.appeal.id)
            .collect();
        let mut closed = Vec::with_capacity(due.len());
        for id in due {
            closed.push(self.close_appeal(actor, id).await?);
        }
        Ok(closed)
    }

    /// Open appeals, as a registered donor sees them (public figures only).
    pub async fn open_appeals(&self, actor: &Actor) -> AppResult<Vec<PublicAppeal>> {
        if !actor.may(Action::ManageResources) {
            self.authorize(actor, Action::ProvideResources, Subject::new("appeals", ""))
                .await?;
        }
        Ok(store::open_appeals(&mut reader(self))
            .await?
            .into_iter()
            .map(PublicAppeal::from)
            .collect())
    }

    /// The ledgers of the appeals of the caller's area (staff): every entry with its donor.
    pub async fn appeal_ledgers(&self, actor: &Actor) -> AppResult<Vec<store::EntryRow>> {
        self.authorize(actor, Action::ManageResources, Subject::new("appeals", ""))
            .await?;
        Ok(store::appeal_entries(&mut reader(self), actor.scope()).await?)
    }

    /// Contracts with their progress: staff, those of their area; an organisation, its own.
    pub async fn contracts(&self, actor: &Actor) -> AppResult<Vec<ContractProgress>> {
        let scope = if actor.may(Action::ManageResources) {
            actor.scope().clone()
        } else {
            minsheng_store::Scope::nothing()
        };
        let rows = store::contracts(&mut reader(self), &scope, actor.unit_id()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for k in rows {
            out.push(self.progress_of(k).await?);
        }
        Ok(out)
    }

    /// The organisations a contract can be given to (staff who record contracts).
    pub async fn service_organisations(
        &self,
        actor: &Actor,
    ) -> AppResult<Vec<minsheng_store::users::UnitRow>> {
        self.authorize(actor, Action::ManageResources, Subject::new("contract", ""))
            .await?;
        Ok(minsheng_store::users::service_organisations(&mut reader(self)).await?)
    }
}
