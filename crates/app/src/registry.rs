//! Household and person use cases: list, read, create, edit, move, reveal an ID number.
//! Every read of personal data and every change leaves an audit row.

use minsheng_domain::{Action, IdNumber, RegionCode, mask_id_number, relation};
use minsheng_i18n::msg;
use minsheng_store::regions;
use minsheng_store::registry::{
    self, HouseholdRow, ListFilter, MembershipRow, NewPerson, PersonRow,
};
use minsheng_store::{StoreError, WriteTx};
use serde::Serialize;

use crate::{Actor, App, AppError, AppResult, FieldError, Outside, Subject, reader, write_audit};

/// The most rows a count walks before it says "more than": exact totals of a whole district
/// would cost more than the page itself, and past a thousand a user narrows the search.
pub const COUNT_CAP: i64 = 1_000;

/// The count cap of a search: a common pinyin syllable (`zhang`) matches thousands, and each
/// match counted is a step through the text index, so a search counts at most 200 — or to
/// just past the page asked for, so the pager always knows whether another page follows.
pub const SEARCH_COUNT_CAP: i64 = 200;

/// How far a list's count walks: the page's own end at least.
fn count_cap(filter: &ListFilter) -> i64 {
    let cap = if filter.text.is_some() {
        SEARCH_COUNT_CAP
    } else {
        COUNT_CAP
    };
    cap.max(filter.offset + filter.limit + 1)
}

/// What a user asked a list for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Free text, or an ID number (then matched exactly).
    pub q: Option<String>,
    /// Narrow to a region (code in any form) inside the user's area.
    pub region: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    /// The number of matches, up to [`COUNT_CAP`] ([`SEARCH_COUNT_CAP`] for a search).
    pub total: i64,
    /// True when there are more than `total` matches.
    pub total_capped: bool,
}

impl<T> Page<T> {
    pub fn has_next(&self) -> bool {
        self.page * self.per_page < self.total || self.total_capped
    }
}

/// A household as shown to a user: ID numbers masked unless revealed.
#[derive(Debug, Clone, Serialize)]
pub struct HouseholdView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    pub head_person_id: Option<i64>,
    pub head_name: Option<String>,
    pub head_id_number: Option<String>,
    pub members: i64,
    pub version: i64,
    pub updated_at: i64,
}

impl HouseholdView {
    pub(crate) fn from_row(r: HouseholdRow) -> HouseholdView {
        HouseholdView {
            id: r.id,
            region_code: short_code(r.region_code),
            region_name: r.region_name,
            address: r.address,
            head_person_id: r.head_person_id,
            head_name: r.head_name,
            head_id_number: r.head_id_number.as_deref().map(mask_id_number),
            members: r.members,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub id: i64,
    /// Masked: `500101********123X`.
    pub id_number: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub household_id: Option<i64>,
    pub relation_code: Option<String>,
    pub relation_label: Option<String>,
    pub relation_label_en: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub version: i64,
    pub updated_at: i64,
}

impl PersonView {
    fn from_row(r: PersonRow) -> PersonView {
        PersonView {
            id: r.id,
            id_number: mask_id_number(&r.id_number),
            name: r.name,
            sex: r.sex,
            birth_date: r.birth_date,
            phone: r.phone.as_deref().map(mask_phone),
            household_id: r.household_id,
            relation_label: r
                .relation_code
                .as_deref()
                .and_then(relation::relation_label_zh)
                .map(str::to_string),
            relation_label_en: r
                .relation_code
                .as_deref()
                .and_then(relation::relation_label_en)
                .map(str::to_string),
            relation_code: r.relation_code,
            region_code: short_code(r.region_code),
            region_name: r.region_name,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

/// A phone number keeps its first three and last four digits in views.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 7));
    out.extend(&chars[chars.len() - 4..]);
    out
}

fn short_code(code: i64) -> String {
    RegionCode::from_i64(code).map_or_else(|| code.to_string(), |c| c.short())
}

#[derive(Debug, Clone, Serialize)]
pub struct HouseholdDetail {
    pub household: HouseholdView,
    pub members: Vec<PersonView>,
    /// Region names from the municipality down to the household's community.
    pub region_path: Vec<String>,
    /// The household's file (建档), if it has one, and everything that happened to it.
    pub file: Option<minsheng_store::discovery::FileRow>,
    pub timeline: Vec<minsheng_store::discovery::TimelineRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonDetail {
    pub person: PersonView,
    pub age: i64,
    pub history: Vec<MembershipRow>,
}

fn list_filter(q: &ListQuery) -> AppResult<ListFilter> {
    let limit = if q.per_page <= 0 {
        20
    } else {
        q.per_page.min(100)
    };
    let mut filter = ListFilter {
        limit,
        offset: (q.page.max(1) - 1) * limit,
        ..ListFilter::default()
    };
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() > 100 {
            return Err(AppError::invalid("q", msg!("search-too-long")));
        }
        // Something that parses as an ID number is searched exactly, never by substring.
        match IdNumber::parse(text) {
            Ok(id) => filter.id_number = Some(id.as_str().to_string()),
            Err(_) => filter.text = Some(text.to_string()),
        }
    }
    if let Some(region) = q.region.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let code =
            RegionCode::parse(region).map_err(|e| AppError::invalid("region", e.message()))?;
        filter.within = Some(code.subtree());
    }
    Ok(filter)
}

/// The store filter of a query, without the interface's page-size limit.
pub(crate) fn list_filter_for_export(q: &ListQuery) -> AppResult<ListFilter> {
    let mut filter = list_filter(q)?;
    filter.limit = q.per_page.clamp(1, 1000);
    filter.offset = (q.page.max(1) - 1) * filter.limit;
    Ok(filter)
}

fn page_of<T>(items: Vec<T>, q: &ListQuery, filter: &ListFilter, total: i64) -> Page<T> {
    Page {
        items,
        page: q.page.max(1),
        per_page: filter.limit,
        total,
        total_capped: total >= count_cap(filter),
    }
}

impl App {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_households(
        &self,
        actor: &Actor,
        q: &ListQuery,
    ) -> AppResult<Page<HouseholdView>> {
        self.authorize(actor, Action::ViewHouseholds, Subject::new("household", ""))
            .await?;
        let filter = list_filter(q)?;
        let mut c = reader(self);
        let rows = registry::list_households(&mut c, actor.scope(), &filter).await?;
        let total =
            registry::count_households(&mut c, actor.scope(), &filter, count_cap(&filter)).await?;
        let detail = format!(
            "q={} page={} shown={}",
            q.q.as_deref().unwrap_or(""),
            q.page.max(1),
            rows.len()
        );
        self.audit_now(
            actor,
            "household.list",
            Subject::new("household", ""),
            true,
            &detail,
        )
        .await?;
        let items = rows.into_iter().map(HouseholdView::from_row).collect();
        Ok(page_of(items, q, &filter, total))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn household_detail(&self, actor: &Actor, id: i64) -> AppResult<HouseholdDetail> {
        let subject_id = id.to_string();
        let subject = Subject::new("household", &subject_id);
        self.authorize(actor, Action::ViewHouseholds, subject)
            .await?;
        let row = self.household_in_area(actor, id, "household.read").await?;
        let mut c = reader(self);
        let members = registry::members(&mut c, actor.scope(), id).await?;
        let file = minsheng_store::discovery::file_of_household(&mut c, actor.scope(), id).await?;
        let timeline = minsheng_store::discovery::timeline(&mut c, actor.scope(), id).await?;
        let region_path = regions::ancestry(&mut c, row.region_code)
            .await?
            .into_iter()
            .map(|r| r.name)
            .collect();
        self.audit_now(actor, "household.read", subject, true, "")
            .await?;
        Ok(HouseholdDetail {
            household: HouseholdView::from_row(row),
            members: members.into_iter().map(PersonView::from_row).collect(),
            region_path,
            file,
            timeline,
        })
    }

    /// The household if it lies in the actor's area. Otherwise it looks absent, and the attempt
    /// is audited as denied.
    pub(crate) async fn household_in_area(
        &self,
        actor: &Actor,
        id: i64,
        action: &str,
    ) -> AppResult<HouseholdRow> {
        if let Some(row) = registry::household(&mut reader(self), actor.scope(), id).await? {
            return Ok(row);
        }
        let subject_id = id.to_string();
        Err(self
            .not_found_audited(
                actor,
                action,
                Subject::new("household", &subject_id),
                "not found in area",
            )
            .await)
    }

    /// The person with this ID number in the actor's area, or a new person registered in
    /// `region`. A number registered outside the area is an [`Outside`] refusal: a person is
    /// moved between areas only by their own area's officers, never taken over.
    pub(crate) async fn person_here_or_new(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        member: &ValidMember,
        region: i64,
        now: i64,
    ) -> AppResult<Result<i64, Outside>> {
        let id_number = member.id_number.as_str();
        if let Some(p) = registry::person_by_id_number(tx, actor.scope(), id_number).await? {
            return Ok(Ok(p.id));
        }
        let inserted = registry::insert_person(
            tx,
            &NewPerson {
                id_number,
                name: &member.name,
                sex: member.id_number.sex().code(),
                birth_date: &member.id_number.birth_date().to_string(),
                phone: member.phone.as_deref(),
                region_code: region,
                now,
            },
        )
        .await;
        match inserted {
            Ok(id) => Ok(Ok(id)),
            Err(StoreError::Conflict(_)) => Ok(Err(Outside {
                kind: "person",
                id: minsheng_domain::id_number::mask_id_number(id_number),
                why: "ID number registered outside the caller's area",
                answer: AppError::invalid("id_number", msg!("id-number-outside-area")),
            })),
            Err(e) => Err(e.into()),
        }
    }

    /// Moves a person between households inside the actor's area and audits the move with
    /// both households and both areas, in the caller's transaction. The only way a use case
    /// moves a person.
    pub(crate) async fn move_person_audited(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        person: i64,
        to: Option<(i64, &str)>,
        now: i64,
        note: &str,
    ) -> AppResult<()> {
        let moved = registry::move_person(tx, actor.scope(), person, to, now, note).await?;
        if let Some(m) = moved {
            let place = |h: Option<i64>, region: i64| match h {
                Some(h) => format!("household {h} ({region})"),
                None => format!("no household ({region})"),
            };
            write_audit(
                tx,
                actor,
                "person.move",
                Subject::new("person", &person.to_string()),
                true,
                &format!(
                    "from {} to {}{}",
                    place(m.from_household, m.from_region),
                    place(m.to_household, m.to_region),
                    if note.is_empty() {
                        String::new()
                    } else {
                        format!(": {note}")
                    }
                ),
            )
            .await?;
        }
        Ok(())
    }

    /// The person if they live in the actor's area; see [`App::household_in_area`].
    async fn person_in_area(&self, actor: &Actor, id: i64, action: &str) -> AppResult<PersonRow> {
        if let Some(row) = registry::person(&mut reader(self), actor.scope(), id).await? {
            return Ok(row);
        }
        let subject_id = id.to_string();
        Err(self
            .not_found_audited(
                actor,
                action,
                Subject::new("person", &subject_id),
                "not found in area",
            )
            .await)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_persons(&self, actor: &Actor, q: &ListQuery) -> AppResult<Page<PersonView>> {
        self.authorize(actor, Action::ViewHouseholds, Subject::new("person", ""))
            .await?;
        let filter = list_filter(q)?;
        let mut c = reader(self);
        let rows = registry::list_persons(&mut c, actor.scope(), &filter).await?;
        let total =
            registry::count_persons(&mut c, actor.scope(), &filter, count_cap(&filter)).await?;
        let detail = format!(
            "q={} page={} shown={}",
            q.q.as_deref().unwrap_or(""),
            q.page.max(1),
            rows.len()
        );
        self.audit_now(
            actor,
            "person.list",
            Subject::new("person", ""),
            true,
            &detail,
        )
        .await?;
        let items = rows.into_iter().map(PersonView::from_row).collect();
        Ok(page_of(items, q, &filter, total))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn person_detail(&self, actor: &Actor, id: i64) -> AppResult<PersonDetail> {
        let subject_id = id.to_string();
        let subject = Subject::new("person", &subject_id);
        self.authorize(actor, Action::ViewHouseholds, subject)
            .await?;
        let row = self.person_in_area(actor, id, "person.read").await?;
        let history = registry::membership_history(&mut reader(self), actor.scope(), id).await?;
        self.audit_now(actor, "person.read", subject, true, "")
            .await?;
        let age = IdNumber::parse(&row.id_number)
            .map(|id| age_on(id.birth_date(), self.today()))
            .unwrap_or(0);
        Ok(PersonDetail {
            person: PersonView::from_row(row),
            age,
            history,
        })
    }

    /// The full ID number, for a role that needs it; every reveal is audited.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reveal_id_number(&self, actor: &Actor, person_id: i64) -> AppResult<String> {
        let subject_id = person_id.to_string();
        let subject = Subject::new("person", &subject_id);
        self.authorize(actor, Action::RevealIdNumber, subject)
            .await?;
        let row = self
            .person_in_area(actor, person_id, "person.reveal_id")
            .await?;
        self.audit_now(actor, "person.reveal_id", subject, true, "")
            .await?;
        Ok(row.id_number)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_household(&self, actor: &Actor, input: &HouseholdInput) -> AppResult<i64> {
        self.authorize(actor, Action::EditHouseholds, Subject::new("household", ""))
            .await?;
        let (region, address) = self.validate_household(actor, input).await?;
        let mut tx = self.store().begin().await?;
        let id = registry::insert_household(&mut tx, None, region, &address, self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "household.create",
            Subject::new("household", &id.to_string()),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves a household if nobody else saved it since `expected_version` was read.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_household(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        input: &HouseholdInput,
    ) -> AppResult<()> {
        let subject_id = id.to_string();
        let subject = Subject::new("household", &subject_id);
        self.authorize(actor, Action::EditHouseholds, subject)
            .await?;
        // Area before input: outside the area, a household looks absent whatever is sent.
        self.household_in_area(actor, id, "household.update")
            .await?;
        let (region, address) = self.validate_household(actor, input).await?;
        let mut tx = self.store().begin().await?;
        let old_region = registry::update_household(
            &mut tx,
            actor.scope(),
            id,
            expected_version,
            region,
            &address,
            self.now(),
        )
        .await?;
        // A move to another area is said in the log with both areas (its members and records
        // moved with it).
        let detail = if old_region == region {
            String::new()
        } else {
            format!("moved from {old_region} to {region}, with its members and records")
        };
        write_audit(&mut tx, actor, "household.update", subject, true, &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn validate_household(
        &self,
        actor: &Actor,
        input: &HouseholdInput,
    ) -> AppResult<(i64, String)> {
        let mut errors = Vec::new();
        let address = input.address.trim().to_string();
        if address.is_empty() {
            errors.push(FieldError::new("address", msg!("address-required")));
        } else if address.chars().count() > 200 {
            errors.push(FieldError::new("address", msg!("address-too-long")));
        }
        let region = match RegionCode::parse(&input.region_code) {
            Ok(code) if !actor.scope().contains(code.as_i64()) => {
                errors.push(FieldError::new("region_code", msg!("region-outside-area")));
                None
            }
            Ok(code) => match regions::get(&mut reader(self), code.as_i64()).await? {
                Some(r) if r.level == "community" || r.level == "town" => Some(code.as_i64()),
                Some(_) => {
                    errors.push(FieldError::new(
                        "region_code",
                        msg!("choose-town-or-community"),
                    ));
                    None
                }
                None => {
                    errors.push(FieldError::new("region_code", msg!("no-such-region")));
                    None
                }
            },
            Err(e) => {
                errors.push(FieldError::new("region_code", e.message()));
                None
            }
        };
        match region {
            Some(region) if errors.is_empty() => Ok((region, address)),
            _ => Err(AppError::Invalid(errors)),
        }
    }

    /// Registers a person (or finds them by ID number) and puts them in a household.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_member(
        &self,
        actor: &Actor,
        household_id: i64,
        input: &MemberInput,
    ) -> AppResult<i64> {
        let subject_id = household_id.to_string();
        let subject = Subject::new("household", &subject_id);
        self.authorize(actor, Action::EditHouseholds, subject)
            .await?;
        let household = self
            .household_in_area(actor, household_id, "household.add_member")
            .await?;
        let member = validate_member(input)?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let person_id = match self
            .person_here_or_new(&mut tx, actor, &member, household.region_code, now)
            .await?
        {
            Ok(id) => id,
            Err(outside) => {
                drop(tx);
                return Err(self
                    .refuse_outside(actor, "household.add_member", outside)
                    .await);
            }
        };
        self.move_person_audited(
            &mut tx,
            actor,
            person_id,
            Some((household_id, &member.relation)),
            now,
            "",
        )
        .await?;
        if member.relation == relation::HEAD {
            registry::set_head(&mut tx, actor.scope(), household_id, Some(person_id), now).await?;
        }
        write_audit(
            &mut tx,
            actor,
            "household.add_member",
            subject,
            true,
            &format!("person {person_id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(person_id)
    }

    /// Saves a person's name and phone if nobody else saved since `expected_version`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_person(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        name: &str,
        phone: Option<&str>,
    ) -> AppResult<()> {
        let subject_id = id.to_string();
        let subject = Subject::new("person", &subject_id);
        self.authorize(actor, Action::EditHouseholds, subject)
            .await?;
        self.person_in_area(actor, id, "person.update").await?;
        let name = validate_name(name)?;
        let phone = validate_phone(phone)?;
        let mut tx = self.store().begin().await?;
        registry::update_person(
            &mut tx,
            actor.scope(),
            id,
            expected_version,
            &name,
            phone.as_deref(),
            self.now(),
        )
        .await?;
        write_audit(&mut tx, actor, "person.update", subject, true, "").await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Age in whole years on a date.
pub fn age_on(birth: time::Date, today: time::Date) -> i64 {
    let mut age = i64::from(today.year() - birth.year());
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct HouseholdInput {
    pub region_code: String,
    pub address: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MemberInput {
    pub id_number: String,
    pub name: String,
    pub relation_code: String,
    #[serde(default)]
    pub phone: Option<String>,
}

pub(crate) struct ValidMember {
    pub id_number: IdNumber,
    pub name: String,
    pub relation: String,
    pub phone: Option<String>,
}

pub(crate) fn validate_member(input: &MemberInput) -> AppResult<ValidMember> {
    let mut errors = Vec::new();
    let id_number = IdNumber::parse(&input.id_number)
        .map_err(|e| errors.push(FieldError::new("id_number", e.message())))
        .ok();
    let name = validate_name(&input.name)
        .map_err(|e| push_invalid(&mut errors, e))
        .ok();
    let relation = input.relation_code.trim().to_string();
    if !relation::is_relation_code(&relation) {
        errors.push(FieldError::new(
            "relation_code",
            msg!("not-a-relation-code", code = relation),
        ));
    }
    let phone = validate_phone(input.phone.as_deref())
        .map_err(|e| push_invalid(&mut errors, e))
        .ok()
        .flatten();
    match (id_number, name) {
        (Some(id_number), Some(name)) if errors.is_empty() => Ok(ValidMember {
            id_number,
            name,
            relation,
            phone,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

fn push_invalid(errors: &mut Vec<FieldError>, e: AppError) {
    if let AppError::Invalid(mut list) = e {
        errors.append(&mut list);
    }
}

pub(crate) fn validate_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", msg!("name-required")));
    }
    if name.chars().count() > 50 {
        return Err(AppError::invalid("name", msg!("name-too-long")));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", msg!("name-control-chars")));
    }
    Ok(name.to_string())
}

pub(crate) fn validate_phone(phone: Option<&str>) -> AppResult<Option<String>> {
    let Some(phone) = phone.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let ok = phone.len() <= 20
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ');
    if !ok {
        return Err(AppError::invalid(
            "phone",
            msg!("not-a-phone", phone = phone),
        ));
    }
    Ok(Some(phone.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn ages_count_whole_years() {
        use time::macros::date;
        assert_eq!(age_on(date!(1980 - 06 - 15), date!(2026 - 06 - 14)), 45);
        assert_eq!(age_on(date!(1980 - 06 - 15), date!(2026 - 06 - 15)), 46);
    }
}

/// Households and persons per district in the user's area: figures without personal data.
#[derive(Debug, Clone, Serialize)]
pub struct DistrictFigures {
    pub region_code: String,
    pub name: String,
    pub households: i64,
    pub persons: i64,
}

impl App {
    pub async fn figures(&self, actor: &Actor) -> AppResult<Vec<DistrictFigures>> {
        self.authorize(actor, Action::ViewFigures, Subject::new("figures", ""))
            .await?;
        let mut c = reader(self);
        let rows = registry::counts_by_district(&mut c, actor.scope()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (code, households, persons) in rows {
            let name = regions::get(&mut c, code)
                .await?
                .map(|r| r.name)
                .unwrap_or_default();
            out.push(DistrictFigures {
                region_code: short_code(code),
                name,
                households,
                persons,
            });
        }
        Ok(out)
    }

    /// The names of the regions that make up the actor's area, for their home page.
    pub async fn area_label(&self, actor: &Actor) -> AppResult<String> {
        let mut c = reader(self);
        let name = regions::get(&mut c, actor.region_code())
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        Ok(name)
    }
}
