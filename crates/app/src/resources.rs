//! Social resources (社会资源) and their delivery to households (issue 9, first part): staff
//! register donors and providers — caring units (爱心单位), companies (爱心企业), individuals
//! (爱心人士), charities — and what they offer; a provider's own account adds its offers too.
//! A household's need that government items do not cover is matched to an offer by kind, place
//! and capacity, only with the household's consent recorded; the offer's capacity is taken in
//! one guarded update, so no two matches can overdraw it. The provider then sees the matched
//! household — its address and the need, never an ID number — and each delivery is recorded.

use minsheng_domain::time_util::now_millis;
use minsheng_domain::{Action, RegionCode};
use minsheng_store::registry;
use minsheng_store::resources::{self as store, NewDelivery, NewMatch, NewOffer, NewProvider};
pub use minsheng_store::resources::{DeliveryRow, MatchRow, OfferRow, ProviderRow};
use serde::Deserialize;

use crate::{Actor, App, AppError, AppResult, FieldError, Subject, reader, write_audit};

pub const PROVIDER_KINDS: [&str; 4] = ["caring_unit", "company", "individual", "charity"];
pub const OFFER_KINDS: [&str; 4] = ["money", "goods", "service", "job"];
pub const UNITS: [&str; 5] = ["yuan", "items", "visits", "places", "hours"];

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
        errors.push(FieldError::new(field, format!("1 to {max} characters")));
    }
}

fn region(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<RegionCode> {
    match RegionCode::parse(value) {
        Ok(code) => Some(code),
        Err(e) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
    }
}

impl App {
    /// Registers a donor or provider based in the caller's area.
    pub async fn register_provider(&self, actor: &Actor, input: &ProviderInput) -> AppResult<i64> {
        self.authorize(actor, Action::ManageResources, Subject::new("provider", ""))
            .await?;
        let mut errors = Vec::new();
        text(&mut errors, "name", &input.name, 100);
        if !PROVIDER_KINDS.contains(&input.kind.as_str()) {
            errors.push(FieldError::new("kind", PROVIDER_KINDS.join(", ")));
        }
        let code = region(&mut errors, "region", &input.region);
        if let Some(code) = code
            && !actor.scope.contains(code.as_i64())
        {
            errors.push(FieldError::new("region", "outside your area"));
        }
        if input.contact.chars().count() > 100 {
            errors.push(FieldError::new("contact", "at most 100 characters"));
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
                created_by: actor.user_id,
                now: now_millis(),
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
    pub async fn providers(&self, actor: &Actor) -> AppResult<Vec<ProviderRow>> {
        if !actor.may(Action::ProvideResources) {
            self.authorize(actor, Action::ManageResources, Subject::new("provider", ""))
                .await?;
        }
        Ok(store::providers(&mut reader(self), &actor.scope, actor.unit_id).await?)
    }

    /// Adds an offer: staff for a provider of their area, or the provider's own account.
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
            (staff && actor.scope.contains(p.region_code))
                || (p.unit_id.is_some() && p.unit_id == actor.unit_id)
        }) else {
            self.audit_now(
                actor,
                "resources.offer",
                Subject::new("provider", &subject),
                false,
                "not found",
            )
            .await?;
            return Err(AppError::NotFound);
        };
        let mut errors = Vec::new();
        if !OFFER_KINDS.contains(&input.kind.as_str()) {
            errors.push(FieldError::new("kind", OFFER_KINDS.join(", ")));
        }
        text(&mut errors, "what", &input.what, 60);
        if input.description.chars().count() > 500 {
            errors.push(FieldError::new("description", "at most 500 characters"));
        }
        if !(input.capacity > 0.0 && input.capacity.is_finite()) {
            errors.push(FieldError::new("capacity", "a number above 0"));
        }
        if !UNITS.contains(&input.unit.as_str()) {
            errors.push(FieldError::new("unit", UNITS.join(", ")));
        }
        if input.kind == "money" && input.unit != "yuan" {
            errors.push(FieldError::new("unit", "money is counted in yuan"));
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
                created_by: actor.user_id,
                now: now_millis(),
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
        let household = registry::household(&mut reader(self), &actor.scope, household_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(store::offers_for(&mut reader(self), household.region_code, kind, now_millis()).await?)
    }

    /// Matches an offer to a household of the caller's area: only with consent recorded, only
    /// where the offer can go, only within what is left of it.
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
                "who in the household agreed to share with the provider: no match without consent",
            ));
        }
        text(&mut errors, "need", &input.need, 200);
        if !(input.quantity > 0.0 && input.quantity.is_finite()) {
            errors.push(FieldError::new("quantity", "a number above 0"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store().begin().await?;
        let Some(household) =
            registry::household(&mut tx, &actor.scope, input.household_id).await?
        else {
            drop(tx);
            self.audit_now(
                actor,
                "resources.match",
                Subject::new("household", &subject),
                false,
                "not found",
            )
            .await?;
            return Err(AppError::NotFound);
        };
        let offer = store::offer(&mut tx, input.offer_id)
            .await?
            .ok_or_else(|| AppError::invalid("offer_id", "no such offer"))?;
        if !(offer.region_code..=offer.region_end).contains(&household.region_code) {
            return Err(AppError::invalid(
                "offer_id",
                "the offer does not reach this household's area",
            ));
        }
        if offer.valid_until.is_some_and(|until| until < now_millis()) {
            return Err(AppError::invalid("offer_id", "the offer has ended"));
        }
        if !store::take_capacity(&mut tx, offer.id, input.quantity).await? {
            let left = store::offer(&mut tx, offer.id)
                .await?
                .map_or(0.0, |o| o.remaining);
            return Err(AppError::invalid(
                "quantity",
                format!(
                    "{} {} asked, {} of {} left",
                    input.quantity, offer.unit, left, offer.capacity
                ),
            ));
        }
        let now = now_millis();
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
                confirmed_by: actor.user_id,
                now,
            },
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
    pub async fn resource_matches(&self, actor: &Actor) -> AppResult<Vec<MatchRow>> {
        let (scope, unit) = self.resource_view(actor).await?;
        let rows = store::matches(&mut reader(self), &scope, unit).await?;
        self.audit_now(
            actor,
            "resources.matches",
            Subject::new("matches", ""),
            true,
            &format!("{} matches", rows.len()),
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
            Ok((actor.scope.clone(), None))
        } else {
            self.authorize(actor, Action::ProvideResources, Subject::new("matches", ""))
                .await?;
            Ok((minsheng_store::Scope::nothing(), actor.unit_id))
        }
    }

    /// Records the delivery of a confirmed match (staff of the area or the provider).
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
            errors.push(FieldError::new("value_yuan", "a number, 0 or more"));
        }
        let date_ok = time::Date::parse(
            input.delivered_on.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_ok();
        if !date_ok {
            errors.push(FieldError::new("delivered_on", "a date, YYYY-MM-DD"));
        }
        if input.feedback.chars().count() > 500 {
            errors.push(FieldError::new("feedback", "at most 500 characters"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store().begin().await?;
        let Some(found) = store::a_match(&mut tx, &scope, unit, match_id).await? else {
            drop(tx);
            self.audit_now(
                actor,
                "resources.deliver",
                Subject::new("match", &subject),
                false,
                "not found",
            )
            .await?;
            return Err(AppError::NotFound);
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
            return Err(AppError::invalid("match", "already delivered or cancelled"));
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
                recorded_by: actor.user_id,
                now: now_millis(),
            },
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

    /// A household's deliveries, for its timeline (staff of its area).
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
        let rows = store::deliveries(&mut reader(self), &actor.scope, Some(household_id)).await?;
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
