//! Assessment (甄别) in the product: model versions as data, and the workflow — assign to an
//! assessor, draft with autosave, submit (scored with the active model version), review by the
//! town (recognise or return), then the household's current result, valid for a set period and
//! shown to every agency that may see the household (互认共享). A new survey of a household with
//! a valid result needs a recorded trigger.

use minsheng_i18n::msg;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use minsheng_assess::model::Model;
use minsheng_assess::shipped::SHIPPED;
use minsheng_assess::survey;
use minsheng_domain::Action;
use minsheng_store::assessments::{self, ListFilter, NewAssessment, NewModel};
pub use minsheng_store::assessments::{AssessmentListRow, AssessmentRow, EventRow, ModelRow};
use minsheng_store::{regions, registry, users};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Actor, App, AppError, AppResult, FieldError, Subject, reader, write_audit};

/// Why a household is (re)surveyed.
pub const TRIGGERS: [&str; 5] = ["first", "expiry", "report", "change", "reviewer"];

/// Months a recognised assessment stays valid (互认 period).
pub const VALID_MONTHS: u32 = 12;

/// Compiled model versions by row id (a version never changes, so the cache never goes stale).
#[derive(Default)]
pub(crate) struct ModelCache {
    installed: tokio::sync::OnceCell<()>,
    compiled: Mutex<HashMap<i64, Arc<Model>>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignInput {
    pub household_id: i64,
    pub model_id: String,
    pub assessor: String,
    pub trigger: String,
    pub note: String,
}

/// What an assessment page shows.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentDetail {
    pub row: AssessmentRow,
    /// The facts as saved (a draft may not be valid yet).
    pub survey: Option<serde_json::Value>,
    /// Problems of the saved facts, by field.
    pub survey_errors: Vec<FieldError>,
    /// For a survey never saved: the members registered in the household (relation, age, sex),
    /// so the assessor confirms rather than retypes them.
    pub prefill: Option<serde_json::Value>,
    /// The explained result stored at submission.
    pub result: Option<serde_json::Value>,
    pub events: Vec<EventRow>,
    pub can_edit: bool,
    pub can_review: bool,
    /// The recognised result has passed its validity date.
    pub expired: bool,
}

/// What an opened survey page sends: the facts on screen (none: the saved draft), the version
/// the page was opened at (none: unconditional, for the API without `version`) and the page's own
/// random key, which tells its own autosaves and resends from another page's saves.
#[derive(Debug, Clone, Copy, Default)]
pub struct SurveyForm<'a> {
    pub survey: Option<&'a serde_json::Value>,
    pub version: Option<i64>,
    pub form_key: &'a str,
}

impl<'a> SurveyForm<'a> {
    /// The saved draft, at the version it was read at.
    pub fn saved(version: i64) -> SurveyForm<'a> {
        SurveyForm {
            survey: None,
            version: Some(version),
            form_key: "",
        }
    }

    /// These facts, whatever was saved before.
    pub fn facts(survey: &'a serde_json::Value) -> SurveyForm<'a> {
        SurveyForm {
            survey: Some(survey),
            version: None,
            form_key: "",
        }
    }

    fn stamp(&self) -> assessments::FormStamp<'a> {
        assessments::FormStamp {
            expected_version: self.version,
            form_key: self.form_key,
        }
    }

    /// This page already submitted the assessment.
    fn is_resend_of(&self, row: &AssessmentRow) -> bool {
        !self.form_key.is_empty() && row.form_key == self.form_key && row.state == "submitted"
    }
}

/// A saved draft: its new version and what is wrong with it so far.
#[derive(Debug, Clone)]
pub struct DraftSaved {
    pub version: i64,
    pub errors: Vec<FieldError>,
}

/// The survey's members from the household's registered persons: the head first, each with the
/// survey's relation (from the national relation code), age today and sex.
fn registered_members(
    members: &[minsheng_store::registry::PersonRow],
    today: time::Date,
) -> serde_json::Value {
    let mut ordered: Vec<&minsheng_store::registry::PersonRow> = members.iter().collect();
    ordered.sort_by_key(|p| survey_relation(p.relation_code.as_deref()) != "self");
    let list: Vec<serde_json::Value> = ordered
        .into_iter()
        .map(|p| {
            let mut member = serde_json::Map::new();
            member.insert(
                "relation".into(),
                survey_relation(p.relation_code.as_deref()).into(),
            );
            if let Ok(birth) = time::Date::parse(
                &p.birth_date,
                time::macros::format_description!("[year]-[month]-[day]"),
            ) {
                member.insert("age".into(), crate::registry::age_on(birth, today).into());
            }
            if matches!(p.sex.as_str(), "male" | "female") {
                member.insert("sex".into(), p.sex.clone().into());
            }
            serde_json::Value::Object(member)
        })
        .collect();
    serde_json::json!({ "members": list })
}

/// The survey's relation to the head for a national (GB/T 4761) family relation code.
fn survey_relation(code: Option<&str>) -> &'static str {
    let code = code.unwrap_or("");
    match code {
        "01" | "02" => "self",
        "28" | "38" => "child_in_law",
        _ => match code.chars().next() {
            Some('1') => "spouse",
            Some('2' | '3') => "child",
            Some('4') => "grandchild",
            Some('5') if matches!(code, "53" | "54" | "55" | "56") => "parent_in_law",
            Some('5') => "parent",
            Some('6') => "grandparent",
            Some('7') => "sibling",
            _ => "other",
        },
    }
}

/// The survey as stored: the product's envelope (schema, household) around the form's facts.
fn enveloped(
    row: &AssessmentRow,
    survey_json: &serde_json::Value,
) -> AppResult<(serde_json::Value, String)> {
    let mut value = survey_json.clone();
    if let Some(object) = value.as_object_mut() {
        // The envelope is the product's, not the form's.
        object.insert("schema".into(), serde_json::json!(survey::SCHEMA_VERSION));
        object.insert(
            "household".into(),
            serde_json::json!(row.household_id.to_string()),
        );
    }
    let text = serde_json::to_string(&value).map_err(|e| AppError::Internal(e.to_string()))?;
    if text.len() > 512 * 1024 {
        return Err(AppError::invalid("survey", msg!("survey-too-large")));
    }
    Ok((value, text))
}

/// A household's current result, for the household page and other agencies.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentAssessment {
    pub id: i64,
    pub model_id: String,
    pub model_version: Option<String>,
    pub score: Option<f64>,
    pub conclusion: Option<String>,
    pub conclusion_label: Option<String>,
    pub recognised_at: Option<i64>,
    pub valid_until: Option<i64>,
    pub expired: bool,
    pub partial: bool,
    pub open_assessment: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIfRow {
    pub assessment_id: i64,
    pub household_id: i64,
    pub from: String,
    pub to: String,
    pub score_before: Option<f64>,
    pub score_after: f64,
}

/// A draft model version tried on the recognised assessments of the user's area.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    pub model: ModelRow,
    pub households: usize,
    pub changed: usize,
    pub skipped: usize,
    /// "from → to" counts.
    pub transitions: BTreeMap<String, usize>,
    pub changes: Vec<WhatIfRow>,
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The model errors as field errors: the field is "LINE:COLUMN".
fn model_errors(errors: Vec<minsheng_assess::ModelError>) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|e| {
                FieldError::new(
                    &format!("{}:{}", e.line, e.column),
                    msg!("model-error", error = e.message),
                )
            })
            .collect(),
    )
}

/// Records a step of an assessment (id, household): its history event, when there is one, and
/// the audit row against the household, in the caller's transaction.
async fn record_step(
    tx: &mut minsheng_store::WriteTx,
    actor: &Actor,
    (id, household_id): (i64, i64),
    event: Option<&str>,
    action: &str,
    note: &str,
    now: i64,
) -> AppResult<()> {
    if let Some(kind) = event {
        assessments::add_event(tx, id, actor.user_id(), kind, note, now).await?;
        // One chain per household: the assessment's steps are in its timeline too.
        let text = format!(
            "家庭评估 #{id}：{} {note}",
            minsheng_i18n::word(minsheng_i18n::Lang::Zh, "assessment", kind)
        );
        minsheng_store::discovery::add_timeline(
            tx,
            &minsheng_store::discovery::NewTimeline {
                household_id,
                at: now,
                user_id: actor.user_id(),
                username: actor.username(),
                kind: "assessment",
                text: text.trim(),
                record_id: Some(id),
            },
        )
        .await?;
    }
    let detail = format!("assessment {id} {note}");
    write_audit(
        tx,
        actor,
        action,
        Subject::new("household", &household_id.to_string()),
        true,
        detail.trim(),
    )
    .await
}

/// `millis` plus whole calendar months (China time), at the end of that day.
pub fn add_months(millis: i64, months: u32) -> i64 {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(millis / 1000) else {
        return millis;
    };
    let date = at.to_offset(offset).date();
    let total = date.year() * 12 + (date.month() as i32 - 1) + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let Ok(month) = time::Month::try_from(month0 as u8 + 1) else {
        return millis;
    };
    let day = date.day().min(month.length(year));
    let Ok(target) = time::Date::from_calendar_date(year, month, day) else {
        return millis;
    };
    let end = target.with_hms(23, 59, 59).map(|d| d.assume_offset(offset));
    end.map_or(millis, |d| d.unix_timestamp() * 1000)
}

impl App {
    /// Puts the shipped models in the database once (active), so assessments can name them.
    async fn models_ready(&self) -> AppResult<()> {
        self.models
            .installed
            .get_or_try_init(|| async {
                for (file, source) in SHIPPED {
                    let model = Model::from_toml(source).map_err(|e| {
                        AppError::Internal(format!("shipped model {file} does not load: {e:?}"))
                    })?;
                    let sha = sha256_hex(source);
                    let existing =
                        assessments::model_by_version(&mut reader(self), &model.id, &model.version)
                            .await?;
                    match existing {
                        Some(row) if row.sha256 != sha => tracing::warn!(
                            "shipped model {} {} differs from the stored version; the stored one stays (versions are immutable)",
                            model.id,
                            model.version
                        ),
                        Some(_) => {}
                        None => {
                            let mut tx = self.store().begin().await?;
                            let inserted = assessments::insert_model(
                                &mut tx,
                                &NewModel {
                                    model_id: &model.id,
                                    version: &model.version,
                                    name_zh: &model.name_zh,
                                    source,
                                    sha256: &sha,
                                    status: "active",
                                    shipped: true,
                                    created_by: None,
                                    now: self.now(),
                                },
                            )
                            .await;
                            match inserted {
                                Ok(_) => tx.commit().await?,
                                // Another process installed it first.
                                Err(minsheng_store::StoreError::Conflict(_)) => {}
                                Err(e) => return Err(e.into()),
                            }
                        }
                    }
                }
                Ok::<(), AppError>(())
            })
            .await?;
        Ok(())
    }

    /// The compiled model of a stored version.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn compiled_model(&self, row: i64) -> AppResult<Arc<Model>> {
        if let Ok(cache) = self.models.compiled.lock()
            && let Some(model) = cache.get(&row)
        {
            return Ok(model.clone());
        }
        let source = assessments::model_source(&mut reader(self), row)
            .await?
            .ok_or(AppError::NotFound)?;
        let model = Arc::new(Model::from_toml(&source).map_err(|e| {
            AppError::Internal(format!("stored model version {row} does not load: {e:?}"))
        })?);
        if let Ok(mut cache) = self.models.compiled.lock() {
            cache.insert(row, model.clone());
        }
        Ok(model)
    }

    /// Model versions are public policy: any signed-in user may read them.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_models(&self, actor: &Actor) -> AppResult<Vec<ModelRow>> {
        self.authorize(actor, Action::UseAccount, Subject::new("model", ""))
            .await?;
        self.models_ready().await?;
        Ok(assessments::models(&mut reader(self)).await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn model_detail(&self, actor: &Actor, row: i64) -> AppResult<(ModelRow, Arc<Model>)> {
        self.authorize(
            actor,
            Action::UseAccount,
            Subject::new("model", &row.to_string()),
        )
        .await?;
        self.models_ready().await?;
        let model_row = assessments::model(&mut reader(self), row)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((model_row, self.compiled_model(row).await?))
    }

    /// Adds a model version as a draft. Invalid models are refused with every error
    /// ("LINE:COLUMN": message); an existing id and version is a conflict.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn upload_model(&self, actor: &Actor, source: &str) -> AppResult<i64> {
        self.authorize(actor, Action::ManageModels, Subject::new("model", ""))
            .await?;
        self.models_ready().await?;
        if source.len() > 2 * 1024 * 1024 {
            return Err(AppError::invalid("source", msg!("model-file-too-large")));
        }
        let model = Model::from_toml(source).map_err(model_errors)?;
        if assessments::model_by_version(&mut reader(self), &model.id, &model.version)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict(msg!(
                "model-version-exists",
                model = &model.id,
                version = &model.version
            )));
        }
        let mut tx = self.store().begin().await?;
        let id = assessments::insert_model(
            &mut tx,
            &NewModel {
                model_id: &model.id,
                version: &model.version,
                name_zh: &model.name_zh,
                source,
                sha256: &sha256_hex(source),
                status: "draft",
                shipped: false,
                created_by: actor.user_id(),
                now: self.now(),
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "model.upload",
            Subject::new("model", &id.to_string()),
            true,
            &format!("{} {}", model.id, model.version),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Makes a version the one new assessments are scored with.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn activate_model(&self, actor: &Actor, row: i64) -> AppResult<()> {
        let id = row.to_string();
        self.authorize(actor, Action::ManageModels, Subject::new("model", &id))
            .await?;
        let model_row = assessments::model(&mut reader(self), row)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut tx = self.store().begin().await?;
        assessments::activate_model(&mut tx, row, &model_row.model_id).await?;
        write_audit(
            &mut tx,
            actor,
            "model.activate",
            Subject::new("model", &id),
            true,
            &format!("{} {}", model_row.model_id, model_row.version),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Re-scores the recognised assessments of the user's area under a model version and shows
    /// who would change conclusion. Nothing is written but the audit row.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn what_if(&self, actor: &Actor, row: i64) -> AppResult<WhatIf> {
        let id = row.to_string();
        self.authorize(actor, Action::ManageModels, Subject::new("model", &id))
            .await?;
        let (model_row, model) = self.model_detail(actor, row).await?;
        let cohort =
            assessments::recognised_cohort(&mut reader(self), actor.scope(), 200_000).await?;
        let mut result = WhatIf {
            model: model_row,
            households: 0,
            changed: 0,
            skipped: 0,
            transitions: BTreeMap::new(),
            changes: Vec::new(),
        };
        // The draft is tried on the assessments made with the same model (another version).
        for item in cohort.iter().filter(|c| c.model_id == model.id) {
            let Some(Ok(survey)) = item.survey.as_deref().map(survey::read) else {
                result.skipped += 1;
                continue;
            };
            let scored = model.score_batch(&survey.facts);
            let to = model.conclusions[scored.conclusion].code.clone();
            let from = item.conclusion.clone().unwrap_or_default();
            result.households += 1;
            *result
                .transitions
                .entry(format!("{from} → {to}"))
                .or_default() += 1;
            if from != to {
                result.changed += 1;
                if result.changes.len() < 500 {
                    result.changes.push(WhatIfRow {
                        assessment_id: item.id,
                        household_id: item.household_id,
                        from,
                        to,
                        score_before: item.score,
                        score_after: (scored.total * 100.0).round() / 100.0,
                    });
                }
            }
        }
        self.audit_now(
            actor,
            "model.what_if",
            Subject::new("model", &id),
            true,
            &format!(
                "{} households re-scored, {} would change",
                result.households, result.changed
            ),
        )
        .await?;
        Ok(result)
    }

    /// Assigns a household's assessment to an assessor. A household with a valid recognised
    /// result needs a trigger (a report, a change of circumstances, a reviewer's decision).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn assign_assessment(&self, actor: &Actor, input: &AssignInput) -> AppResult<i64> {
        self.authorize(
            actor,
            Action::AssignAssessments,
            Subject::new("household", &input.household_id.to_string()),
        )
        .await?;
        self.models_ready().await?;
        let household = self
            .household_in_area(actor, input.household_id, "assessment.assign")
            .await?;
        let mut errors = Vec::new();
        if assessments::active_model(&mut reader(self), &input.model_id)
            .await?
            .is_none()
        {
            errors.push(FieldError::new("model_id", msg!("no-active-model")));
        }
        let assessor = users::user_by_name(&mut reader(self), input.assessor.trim()).await?;
        let assessor = match assessor {
            Some(user) if !user.disabled => {
                let roles = users::user_roles(&mut reader(self), user.id).await?;
                let area =
                    regions::scope_for(&mut reader(self), user.region_code, &user.region_level)
                        .await?;
                if !roles
                    .iter()
                    .any(|r| r == "assessor" || r == "community_worker")
                {
                    errors.push(FieldError::new("assessor", msg!("not-an-assessor")));
                    None
                } else if !area.contains(household.region_code) {
                    errors.push(FieldError::new(
                        "assessor",
                        msg!("household-outside-assessor-area"),
                    ));
                    None
                } else if !self
                    .contract_allows(user.unit_id, household.region_code)
                    .await?
                {
                    // A purchased-services organisation's assessors work within its contracts.
                    errors.push(FieldError::new(
                        "assessor",
                        msg!("household-outside-assessor-contracts"),
                    ));
                    None
                } else {
                    Some(user)
                }
            }
            _ => {
                errors.push(FieldError::new("assessor", msg!("no-such-active-user")));
                None
            }
        };
        let trigger = input.trigger.trim();
        if !TRIGGERS.contains(&trigger) {
            errors.push(FieldError::new("trigger", msg!("trigger-choices")));
        }
        let note = input.note.trim();
        if note.chars().count() > 1000 {
            errors.push(FieldError::new("note", msg!("text-too-long", max = 1000)));
        }
        if let Some(open) = assessments::open_assessment(&mut reader(self), household.id).await? {
            errors.push(FieldError::new(
                "household_id",
                msg!("assessment-still-open", open = open),
            ));
        }
        let now = self.now();
        let current =
            assessments::recognised(&mut reader(self), actor.scope(), household.id).await?;
        match (&current, trigger) {
            (None, "first") | (None, "report") | (None, "change") | (None, "reviewer") => {}
            (None, _) => errors.push(FieldError::new("trigger", msg!("trigger-use-first"))),
            (Some(c), _) if c.valid_until.is_some_and(|v| v < now) => {
                if trigger == "first" {
                    errors.push(FieldError::new("trigger", msg!("trigger-use-expiry")));
                }
            }
            (Some(_), "first" | "expiry") => {
                errors.push(FieldError::new("trigger", msg!("trigger-result-valid")))
            }
            (Some(_), _) => {}
        }
        if matches!(trigger, "report" | "change" | "reviewer") && note.is_empty() {
            errors.push(FieldError::new("note", msg!("say-what-changed")));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let assessor = assessor.ok_or(AppError::Internal("assessor checked above".into()))?;
        let mut tx = self.store().begin().await?;
        let id = assessments::insert_assessment(
            &mut tx,
            &NewAssessment {
                household_id: household.id,
                region_code: household.region_code,
                model_id: &input.model_id,
                assessor_id: assessor.id,
                assigned_by: actor.user_id(),
                trigger_kind: trigger,
                trigger_note: note,
                now,
            },
        )
        .await?;
        let event_note = format!("{} → {} {note}", input.model_id, assessor.display_name);
        record_step(
            &mut tx,
            actor,
            (id, household.id),
            Some("assigned"),
            "assessment.assign",
            event_note.trim(),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Assessments in the user's area (results are shared with every agency that sees the
    /// household); `mine` narrows to those assigned to the user.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn assessments(
        &self,
        actor: &Actor,
        states: &[String],
        mine: bool,
    ) -> AppResult<Vec<AssessmentListRow>> {
        self.authorize(
            actor,
            Action::ViewHouseholds,
            Subject::new("assessment", ""),
        )
        .await?;
        let filter = ListFilter {
            assessor_id: if mine {
                actor.user_id().or(Some(-1))
            } else {
                None
            },
            states: states.to_vec(),
            household_id: None,
        };
        let rows = assessments::list(&mut reader(self), actor.scope(), &filter, 300).await?;
        self.audit_now(
            actor,
            "assessment.list",
            Subject::new("assessment", ""),
            true,
            &format!("{} rows", rows.len()),
        )
        .await?;
        Ok(rows)
    }

    /// An assessment in the user's area; for changes by a surveyor, one assigned to them.
    async fn assessment_for(
        &self,
        actor: &Actor,
        id: i64,
        action: &str,
        own: bool,
    ) -> AppResult<AssessmentRow> {
        let subject_id = id.to_string();
        let row = assessments::assessment(&mut reader(self), actor.scope(), id)
            .await?
            .filter(|row| !own || Some(row.assessor_id) == actor.user_id());
        match row {
            Some(row) => Ok(row),
            None => {
                self.audit_now(
                    actor,
                    action,
                    Subject::new("assessment", &subject_id),
                    false,
                    "not found in area",
                )
                .await?;
                Err(AppError::NotFound)
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn assessment_detail(&self, actor: &Actor, id: i64) -> AppResult<AssessmentDetail> {
        self.authorize(
            actor,
            Action::ViewHouseholds,
            Subject::new("assessment", &id.to_string()),
        )
        .await?;
        let row = self
            .assessment_for(actor, id, "assessment.read", false)
            .await?;
        let survey: Option<serde_json::Value> = row
            .survey
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        let survey_errors = match &survey {
            Some(value) => match survey::from_json(value) {
                Ok(_) => Vec::new(),
                Err(errors) => errors
                    .into_iter()
                    .map(|e| FieldError::new(&e.field, e.message))
                    .collect(),
            },
            None => Vec::new(),
        };
        let result = row
            .result
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        let events = assessments::events(&mut reader(self), id).await?;
        let editable = matches!(row.state.as_str(), "assigned" | "draft" | "returned");
        let can_edit = editable
            && Some(row.assessor_id) == actor.user_id()
            && actor.may(Action::SurveyHouseholds);
        let can_review = row.state == "submitted" && actor.may(Action::ReviewAssessments);
        let expired = row.state == "recognised" && row.valid_until.is_some_and(|v| v < self.now());
        let prefill = if survey.is_none() && can_edit {
            let members =
                registry::members(&mut reader(self), actor.scope(), row.household_id).await?;
            Some(registered_members(&members, self.today()))
        } else {
            None
        };
        self.audit_now(
            actor,
            "assessment.read",
            Subject::new("household", &row.household_id.to_string()),
            true,
            &format!("assessment {id}"),
        )
        .await?;
        Ok(AssessmentDetail {
            row,
            survey,
            survey_errors,
            prefill,
            result,
            events,
            can_edit,
            can_review,
            expired,
        })
    }

    /// Saves the assessor's draft as it is (even with mistakes: nothing typed is lost) and
    /// returns the new version and what is wrong with it so far. A save from the page that saved
    /// last is never a conflict (its own autosave); one from another page opened before that
    /// save is [`AppError::Stale`] and writes nothing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_assessment_draft(
        &self,
        actor: &Actor,
        id: i64,
        form: &SurveyForm<'_>,
    ) -> AppResult<DraftSaved> {
        self.authorize(
            actor,
            Action::SurveyHouseholds,
            Subject::new("assessment", &id.to_string()),
        )
        .await?;
        let row = self
            .assessment_for(actor, id, "assessment.save", true)
            .await?;
        if form.is_resend_of(&row) {
            // A late autosave of the page that has already submitted: the submission stands.
            return Ok(DraftSaved {
                version: row.row_version,
                errors: Vec::new(),
            });
        }
        if !matches!(row.state.as_str(), "assigned" | "draft" | "returned") {
            return Err(AppError::Conflict(
                msg!("assessment-not-editable", id = id).word("state", "assessment", &row.state),
            ));
        }
        let Some(survey_json) = form.survey else {
            return Err(AppError::invalid("survey", msg!("nothing-recorded")));
        };
        let (value, text) = enveloped(&row, survey_json)?;
        let errors = match survey::from_json(&value) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| FieldError::new(&e.field, e.message))
                .collect(),
        };
        let mut tx = self.store().begin().await?;
        let Some(version) =
            assessments::save_survey(&mut tx, id, &text, self.now(), &form.stamp()).await?
        else {
            return Err(AppError::Stale);
        };
        record_step(
            &mut tx,
            actor,
            (id, row.household_id),
            None,
            "assessment.save",
            "",
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(DraftSaved { version, errors })
    }

    /// Submits for review with the facts on the page (or, without them, the saved draft): the
    /// result is scored and stored. The same page's resend of a submission that went through is
    /// answered as done, so a phone that sends it again makes one submission. Facts that do not
    /// read are kept as the draft (nothing typed is lost) and named.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn submit_assessment(
        &self,
        actor: &Actor,
        id: i64,
        form: &SurveyForm<'_>,
    ) -> AppResult<()> {
        self.authorize(
            actor,
            Action::SurveyHouseholds,
            Subject::new("assessment", &id.to_string()),
        )
        .await?;
        let row = self
            .assessment_for(actor, id, "assessment.submit", true)
            .await?;
        if form.is_resend_of(&row) {
            return Ok(());
        }
        let stamp = form.stamp();
        if let Some(expected) = stamp.expected_version
            && row.row_version != expected
            && (form.form_key.is_empty() || row.form_key != form.form_key)
        {
            return Err(AppError::Stale);
        }
        let value: serde_json::Value = match form.survey {
            Some(on_page) => enveloped(&row, on_page)?.0,
            None => {
                let Some(text) = row.survey.as_deref() else {
                    return Err(AppError::invalid("survey", msg!("nothing-recorded")));
                };
                serde_json::from_str(text).map_err(|e| AppError::Internal(e.to_string()))?
            }
        };
        let read = match survey::from_json(&value) {
            Ok(read) => read,
            Err(errors) => {
                if form.survey.is_some() {
                    // Keep what was typed as the draft before naming its mistakes.
                    self.save_assessment_draft(actor, id, form).await?;
                }
                return Err(AppError::Invalid(
                    errors
                        .into_iter()
                        .map(|e| FieldError::new(&e.field, e.message))
                        .collect(),
                ));
            }
        };
        let model_row = assessments::active_model(&mut reader(self), &row.model_id)
            .await?
            .ok_or_else(|| AppError::invalid("model_id", msg!("model-no-active-version")))?;
        let model = self.compiled_model(model_row.id).await?;
        let scored = model.score(&read.facts);
        let household = row.household_id.to_string();
        let mut result = serde_json::to_value(model.result_json(&household, &scored, true))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let changes = model.what_would_change(&read.facts, 2);
        if let Some(object) = result.as_object_mut() {
            object.insert(
                "partial".into(),
                serde_json::json!(scored.is_partial() || read.is_partial()),
            );
            object.insert("not_recorded".into(), serde_json::json!(read.not_recorded));
            object.insert(
                "changes".into(),
                serde_json::to_value(&changes).unwrap_or_default(),
            );
            object.insert(
                "total_range".into(),
                serde_json::json!([scored.range.0, scored.range.1]),
            );
        }
        let conclusion = &model.conclusions[scored.conclusion];
        let now = self.now();
        let result_text = result.to_string();
        let survey_text = survey::to_json(&read).to_string();
        let mut tx = self.store().begin().await?;
        let updated = assessments::submit(
            &mut tx,
            &assessments::Submission {
                id,
                stamp,
                survey: &survey_text,
                model_row: model_row.id,
                score: (scored.total * 100.0).round() / 100.0,
                conclusion: &conclusion.code,
                conclusion_label: &conclusion.label_zh,
                partial: scored.is_partial() || read.is_partial(),
                result: &result_text,
                now,
            },
        )
        .await?;
        if updated == 0 {
            return Err(AppError::Stale);
        }
        assessments::mark_model_used(&mut tx, model_row.id, now).await?;
        let note = format!(
            "{} {:.2} {}",
            model_row.version, scored.total, conclusion.label_zh
        );
        record_step(
            &mut tx,
            actor,
            (id, row.household_id),
            Some("submitted"),
            "assessment.submit",
            &note,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The town's review: recognise (valid for [`VALID_MONTHS`]) or return with comments.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn review_assessment(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        approve: bool,
        comment: &str,
    ) -> AppResult<()> {
        self.authorize(
            actor,
            Action::ReviewAssessments,
            Subject::new("assessment", &id.to_string()),
        )
        .await?;
        let row = self
            .assessment_for(actor, id, "assessment.review", false)
            .await?;
        let comment = comment.trim();
        if !approve && comment.is_empty() {
            return Err(AppError::invalid("comment", msg!("say-what-to-correct")));
        }
        if comment.chars().count() > 2000 {
            return Err(AppError::invalid(
                "comment",
                msg!("text-too-long", max = 2000),
            ));
        }
        if Some(row.assessor_id) == actor.user_id() {
            return Err(AppError::Conflict(msg!("no-self-review")));
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let updated = assessments::review(
            &mut tx,
            &assessments::Review {
                id,
                expected_version,
                reviewer_id: actor.user_id(),
                approve,
                comment,
                valid_until: add_months(now, VALID_MONTHS),
                now,
            },
        )
        .await?;
        if updated == 0 {
            return Err(AppError::Stale);
        }
        if approve {
            assessments::supersede_others(&mut tx, row.household_id, id).await?;
        }
        let kind = if approve { "recognised" } else { "returned" };
        record_step(
            &mut tx,
            actor,
            (id, row.household_id),
            Some(kind),
            &format!("assessment.{kind}"),
            comment,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The household's current recognised result. The caller has already authorised reading
    /// the household (every agency that may see it sees its result).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current_assessment(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> AppResult<Option<CurrentAssessment>> {
        let Some(summary) =
            assessments::assessment_summary(&mut reader(self), actor.scope(), household_id).await?
        else {
            return Ok(None);
        };
        let now = self.now();
        let open = summary.open_id;
        Ok(match summary.recognised_id {
            Some(id) => Some(CurrentAssessment {
                id,
                model_id: summary.model_id.unwrap_or_default(),
                model_version: summary.model_version,
                score: summary.score,
                conclusion: summary.conclusion,
                conclusion_label: summary.conclusion_label,
                recognised_at: summary.recognised_at,
                valid_until: summary.valid_until,
                expired: summary.valid_until.is_some_and(|v| v < now),
                partial: summary.partial.unwrap_or(false),
                open_assessment: open,
            }),
            None => open.map(|id| CurrentAssessment {
                id,
                model_id: String::new(),
                model_version: None,
                score: None,
                conclusion: None,
                conclusion_label: None,
                recognised_at: None,
                valid_until: None,
                expired: false,
                partial: false,
                open_assessment: Some(id),
            }),
        })
    }
}

impl App {
    /// Demo assessments in 巴南区: most households of the focus community recognised (a spread of
    /// conclusions), a few waiting for the town's review, one draft and one just assigned to the
    /// demo assessor.
    pub(crate) async fn create_demo_assessments(
        &self,
        households: &[crate::demo::DemoHousehold],
        seed: u64,
        count: usize,
    ) -> AppResult<usize> {
        let operator = Actor::command_line(self.everything().await?);
        let Some(user) = users::user_by_name(&mut reader(self), "assessor").await? else {
            return Ok(0);
        };
        let assessor =
            crate::auth::actor_for(&mut reader(self), &user, "demo", "", self.today()).await?;
        let mut generator = minsheng_assess::synth::SurveyGenerator::new(seed);
        generator.share_partial = 0.1;
        // The demo shows households in every kind of hardship, not the city's average.
        generator.share_hardship = 0.6;
        let banan: Vec<&crate::demo::DemoHousehold> = households
            .iter()
            .filter(|h| assessor.scope().contains(h.region_code))
            .take(count)
            .collect();
        let mut made = 0;
        for (i, household) in banan.iter().enumerate() {
            let id = self
                .assign_assessment(
                    &operator,
                    &AssignInput {
                        household_id: household.id,
                        model_id: if i % 10 == 9 {
                            "three-grade".into()
                        } else {
                            "cq-7d82".into()
                        },
                        assessor: "assessor".into(),
                        trigger: "first".into(),
                        note: String::new(),
                    },
                )
                .await?;
            made += 1;
            if i + 1 == banan.len() {
                continue; // just assigned
            }
            let mut survey = generator.next_survey(&household.region_code.to_string());
            if let Some(object) = survey.as_object_mut() {
                object.remove("region_code");
            }
            self.save_assessment_draft(&assessor, id, &SurveyForm::facts(&survey))
                .await?;
            if i + 2 == banan.len() {
                continue; // a draft
            }
            let version = assessments::assessment(&mut reader(self), operator.scope(), id)
                .await?
                .map_or(0, |a| a.row_version);
            self.submit_assessment(&assessor, id, &SurveyForm::saved(version))
                .await?;
            if i % 7 == 3 {
                continue; // waiting for review
            }
            let version = assessments::assessment(&mut reader(self), operator.scope(), id)
                .await?
                .map_or(0, |a| a.row_version);
            self.review_assessment(&operator, id, version, true, "")
                .await?;
        }
        Ok(made)
    }
}

impl App {
    /// Installs the shipped models and compiles every stored version; the server refuses to
    /// start when one does not load (a model that cannot be read must not score anyone).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn check_models(&self) -> AppResult<usize> {
        self.models_ready().await?;
        let rows = assessments::models(&mut reader(self)).await?;
        for row in &rows {
            self.compiled_model(row.id).await?;
        }
        Ok(rows.len())
    }
}
