//! Assessments (甄别): model versions, assessments through their workflow, and their history.
//! Every query of assessments is scoped by the household's region.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, vals};

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct ModelRow {
    pub id: i64,
    pub model_id: String,
    pub version: String,
    pub name_zh: String,
    pub sha256: String,
    pub status: String,
    pub shipped: bool,
    pub created_at: i64,
    pub used_at: Option<i64>,
}

const MODEL_COLUMNS: &str =
    "id, model_id, version, name_zh, sha256, status, shipped, created_at, used_at";

pub struct NewModel<'a> {
    pub model_id: &'a str,
    pub version: &'a str,
    pub name_zh: &'a str,
    pub source: &'a str,
    pub sha256: &'a str,
    pub status: &'a str,
    pub shipped: bool,
    pub created_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_model(c: &mut impl Conn, m: &NewModel<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO assessment_models (model_id, version, name_zh, source, sha256, status, shipped, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vals![m.model_id, m.version, m.name_zh, m.source, m.sha256, m.status, m.shipped, m.created_by, m.now],
        ))
        .await?;
    Ok(id)
}

pub async fn models(c: &mut impl Conn) -> Result<Vec<ModelRow>> {
    c.all(Sql::new(&format!(
        "SELECT {MODEL_COLUMNS} FROM assessment_models ORDER BY model_id, created_at DESC, id DESC"
    )))
    .await
}

pub async fn model(c: &mut impl Conn, id: i64) -> Result<Option<ModelRow>> {
    c.optional(Sql::with(
        &format!("SELECT {MODEL_COLUMNS} FROM assessment_models WHERE id = $1"),
        vals![id],
    ))
    .await
}

pub async fn model_by_version(
    c: &mut impl Conn,
    model_id: &str,
    version: &str,
) -> Result<Option<ModelRow>> {
    c.optional(Sql::with(
        &format!(
            "SELECT {MODEL_COLUMNS} FROM assessment_models WHERE model_id = $1 AND version = $2"
        ),
        vals![model_id, version],
    ))
    .await
}

/// The version of a model that scores new assessments.
pub async fn active_model(c: &mut impl Conn, model_id: &str) -> Result<Option<ModelRow>> {
    c.optional(Sql::with(
        &format!(
            "SELECT {MODEL_COLUMNS} FROM assessment_models WHERE model_id = $1 AND status = 'active' \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ),
        vals![model_id],
    ))
    .await
}

pub async fn model_source(c: &mut impl Conn, id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = c
        .optional(Sql::with(
            "SELECT source FROM assessment_models WHERE id = $1",
            vals![id],
        ))
        .await?;
    Ok(row.map(|(s,)| s))
}

/// Makes one version the active one; other versions of the model retire.
pub async fn activate_model(c: &mut impl Conn, id: i64, model_id: &str) -> Result<()> {
    c.execute(Sql::with(
        "UPDATE assessment_models SET status = 'retired' WHERE model_id = $1 AND id <> $2 AND status = 'active'",
        vals![model_id, id],
    ))
    .await?;
    c.execute(Sql::with(
        "UPDATE assessment_models SET status = 'active' WHERE id = $1",
        vals![id],
    ))
    .await?;
    Ok(())
}

pub async fn mark_model_used(c: &mut impl Conn, id: i64, now: i64) -> Result<()> {
    c.execute(Sql::with(
        "UPDATE assessment_models SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
        vals![now, id],
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct AssessmentRow {
    pub id: i64,
    pub household_id: i64,
    pub region_code: i64,
    pub region_name: String,
    pub address: String,
    pub head_name: Option<String>,
    pub model_id: String,
    pub model_row: Option<i64>,
    pub model_version: Option<String>,
    pub assessor_id: i64,
    pub assessor_name: String,
    pub assessor_unit: String,
    pub assigned_at: i64,
    pub trigger_kind: String,
    pub trigger_note: String,
    pub state: String,
    pub survey: Option<String>,
    pub saved_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub score: Option<f64>,
    pub conclusion: Option<String>,
    pub conclusion_label: Option<String>,
    pub partial: bool,
    pub result: Option<String>,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_comment: String,
    pub recognised_at: Option<i64>,
    pub valid_until: Option<i64>,
    pub row_version: i64,
    /// The form (an opened page) that last saved the survey.
    #[serde(skip_serializing)]
    pub form_key: String,
}

const ASSESSMENT_SELECT: &str = "SELECT a.id, a.household_id, a.region_code, r.name AS region_name, h.address, \
     p.name AS head_name, a.model_id, a.model_row, m.version AS model_version, a.assessor_id, \
     u.display_name AS assessor_name, un.name AS assessor_unit, a.assigned_at, a.trigger_kind, a.trigger_note, \
     a.state, a.survey, a.saved_at, a.submitted_at, a.score, a.conclusion, a.conclusion_label, a.partial, \
     a.result, rv.display_name AS reviewer_name, a.reviewed_at, a.review_comment, a.recognised_at, \
     a.valid_until, a.row_version, a.form_key \
     FROM assessments a JOIN households h ON h.id = a.household_id JOIN regions r ON r.code = a.region_code \
     LEFT JOIN persons p ON p.id = h.head_person_id LEFT JOIN assessment_models m ON m.id = a.model_row \
     JOIN users u ON u.id = a.assessor_id JOIN units un ON un.id = u.unit_id \
     LEFT JOIN users rv ON rv.id = a.reviewer_id";

/// One row of an assessment list (no survey or result text).
#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct AssessmentListRow {
    pub id: i64,
    pub household_id: i64,
    pub region_name: String,
    pub address: String,
    pub head_name: Option<String>,
    pub model_id: String,
    pub assessor_name: String,
    pub state: String,
    pub assigned_at: i64,
    pub score: Option<f64>,
    pub conclusion_label: Option<String>,
    pub partial: bool,
    pub valid_until: Option<i64>,
}

pub struct NewAssessment<'a> {
    pub household_id: i64,
    pub region_code: i64,
    pub model_id: &'a str,
    pub assessor_id: i64,
    pub assigned_by: Option<i64>,
    pub trigger_kind: &'a str,
    pub trigger_note: &'a str,
    pub now: i64,
}

pub async fn insert_assessment(c: &mut impl Conn, a: &NewAssessment<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO assessments (household_id, region_code, model_id, assessor_id, assigned_by, assigned_at, \
             trigger_kind, trigger_note, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'assigned') RETURNING id",
            vals![a.household_id, a.region_code, a.model_id, a.assessor_id, a.assigned_by, a.now, a.trigger_kind, a.trigger_note],
        ))
        .await?;
    Ok(id)
}

pub async fn assessment(
    c: &mut impl Conn,
    scope: &Scope,
    id: i64,
) -> Result<Option<AssessmentRow>> {
    let mut sql = Sql::new(ASSESSMENT_SELECT);
    sql.push(" WHERE a.id = ").bind(id).push(" AND ");
    scope.sql_condition(&mut sql, "a.region_code");
    c.optional(sql).await
}

/// Which assessments a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only those assigned to this assessor.
    pub assessor_id: Option<i64>,
    pub states: Vec<String>,
    pub household_id: Option<i64>,
}

pub async fn list(
    c: &mut impl Conn,
    scope: &Scope,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<AssessmentListRow>> {
    let mut sql = Sql::new(
        "SELECT a.id, a.household_id, r.name AS region_name, h.address, p.name AS head_name, a.model_id, \
         u.display_name AS assessor_name, a.state, a.assigned_at, a.score, a.conclusion_label, a.partial, a.valid_until \
         FROM assessments a JOIN households h ON h.id = a.household_id JOIN regions r ON r.code = a.region_code \
         LEFT JOIN persons p ON p.id = h.head_person_id JOIN users u ON u.id = a.assessor_id WHERE ",
    );
    scope.sql_condition(&mut sql, "a.region_code");
    if let Some(assessor) = filter.assessor_id {
        sql.push(" AND a.assessor_id = ").bind(assessor);
    }
    if let Some(household) = filter.household_id {
        sql.push(" AND a.household_id = ").bind(household);
    }
    if !filter.states.is_empty() {
        sql.push(" AND a.state IN (");
        for (i, state) in filter.states.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(state.as_str());
        }
        sql.push(")");
    }
    sql.push(" ORDER BY a.assigned_at DESC, a.id DESC LIMIT ")
        .bind(limit.clamp(1, 500));
    c.all(sql).await
}

/// The household's assessment that is still being worked on, if any.
pub async fn open_assessment(c: &mut impl Conn, household_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT id FROM assessments WHERE household_id = $1 AND state IN ('assigned', 'draft', 'submitted', 'returned') \
             ORDER BY id DESC LIMIT 1",
            vals![household_id],
        ))
        .await?;
    Ok(row.map(|(id,)| id))
}

/// What a household's page shows of its assessments: the latest recognised one (valid or
/// expired) and the open one, if any. `None` when the household is not in the scope.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AssessmentSummaryRow {
    pub recognised_id: Option<i64>,
    pub model_id: Option<String>,
    pub model_version: Option<String>,
    pub score: Option<f64>,
    pub conclusion: Option<String>,
    pub conclusion_label: Option<String>,
    pub recognised_at: Option<i64>,
    pub valid_until: Option<i64>,
    pub partial: Option<bool>,
    pub open_id: Option<i64>,
}

/// The household page's assessment summary in one read (it is on every household page).
pub async fn assessment_summary(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Option<AssessmentSummaryRow>> {
    let mut sql = Sql::new(
        "SELECT r.id AS recognised_id, r.model_id, m.version AS model_version, r.score, \
         r.conclusion, r.conclusion_label, r.recognised_at, r.valid_until, r.partial, \
         (SELECT o.id FROM assessments o WHERE o.household_id = h.id \
          AND o.state IN ('assigned', 'draft', 'submitted', 'returned') AND ",
    );
    scope.sql_condition(&mut sql, "o.region_code");
    sql.push(
        " ORDER BY o.id DESC LIMIT 1) AS open_id \
         FROM households h LEFT JOIN assessments r ON r.id = (SELECT a.id FROM assessments a \
         WHERE a.household_id = h.id AND a.state = 'recognised' AND ",
    );
    scope.sql_condition(&mut sql, "a.region_code");
    sql.push(
        " ORDER BY a.recognised_at DESC, a.id DESC LIMIT 1) \
         LEFT JOIN assessment_models m ON m.id = r.model_row WHERE h.id = ",
    )
    .bind(household_id)
    .push(" AND ");
    scope.sql_condition(&mut sql, "h.region_code");
    c.optional(sql).await
}

/// The household's recognised assessment (valid or expired), the latest.
pub async fn recognised(
    c: &mut impl Conn,
    scope: &Scope,
    household_id: i64,
) -> Result<Option<AssessmentRow>> {
    let mut sql = Sql::new(ASSESSMENT_SELECT);
    sql.push(" WHERE a.household_id = ")
        .bind(household_id)
        .push(" AND a.state = 'recognised' AND ");
    scope.sql_condition(&mut sql, "a.region_code");
    sql.push(" ORDER BY a.recognised_at DESC, a.id DESC LIMIT 1");
    c.optional(sql).await
}

/// Where a survey comes from: the version its page was opened at and the page's own key. The
/// write is accepted when the row is still at that version or was last written by the same page
/// (its own autosave), so only another page's save is a conflict. No version: unconditional.
pub struct FormStamp<'a> {
    pub expected_version: Option<i64>,
    pub form_key: &'a str,
}

impl FormStamp<'_> {
    fn push_condition(&self, sql: &mut Sql) {
        if let Some(version) = self.expected_version {
            sql.push(" AND (row_version = ").bind(version);
            if !self.form_key.is_empty() {
                sql.push(" OR form_key = ").bind(self.form_key.to_string());
            }
            sql.push(")");
        }
    }
}

/// Saves a draft; the new row version, or `None` when the assessment cannot be edited or another
/// page saved it meanwhile.
pub async fn save_survey(
    c: &mut impl Conn,
    id: i64,
    survey: &str,
    now: i64,
    stamp: &FormStamp<'_>,
) -> Result<Option<i64>> {
    let mut sql = Sql::new("UPDATE assessments SET survey = ");
    sql.bind(survey.to_string())
        .push(", saved_at = ")
        .bind(now)
        .push(", state = 'draft', row_version = row_version + 1, form_key = ")
        .bind(stamp.form_key.to_string())
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND state IN ('assigned', 'draft', 'returned')");
    stamp.push_condition(&mut sql);
    if c.execute(sql).await? == 0 {
        return Ok(None);
    }
    let version: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT row_version FROM assessments WHERE id = $1",
            vals![id],
        ))
        .await?;
    Ok(version.map(|v| v.0))
}

pub struct Submission<'a> {
    pub id: i64,
    pub stamp: FormStamp<'a>,
    pub survey: &'a str,
    pub model_row: i64,
    pub score: f64,
    pub conclusion: &'a str,
    pub conclusion_label: &'a str,
    pub partial: bool,
    pub result: &'a str,
    pub now: i64,
}

/// Submits for review; 0 rows when the assessment moved on meanwhile.
pub async fn submit(c: &mut impl Conn, s: &Submission<'_>) -> Result<u64> {
    let mut sql = Sql::new("UPDATE assessments SET survey = ");
    sql.bind(s.survey.to_string())
        .push(", saved_at = ")
        .bind(s.now)
        .push(", submitted_at = ")
        .bind(s.now)
        .push(", model_row = ")
        .bind(s.model_row)
        .push(", score = ")
        .bind(Some(s.score))
        .push(", conclusion = ")
        .bind(s.conclusion.to_string())
        .push(", conclusion_label = ")
        .bind(s.conclusion_label.to_string())
        .push(", partial = ")
        .bind(s.partial)
        .push(", result = ")
        .bind(s.result.to_string())
        .push(", state = 'submitted', row_version = row_version + 1, form_key = ")
        .bind(s.stamp.form_key.to_string())
        .push(" WHERE id = ")
        .bind(s.id)
        .push(" AND state IN ('assigned', 'draft', 'returned')");
    s.stamp.push_condition(&mut sql);
    c.execute(sql).await
}

pub struct Review<'a> {
    pub id: i64,
    pub expected_version: i64,
    pub reviewer_id: Option<i64>,
    pub approve: bool,
    pub comment: &'a str,
    pub valid_until: i64,
    pub now: i64,
}

pub async fn review(c: &mut impl Conn, r: &Review<'_>) -> Result<u64> {
    let (state, recognised_at, valid_until) = if r.approve {
        ("recognised", Some(r.now), Some(r.valid_until))
    } else {
        ("returned", None, None)
    };
    c.execute(Sql::with(
        "UPDATE assessments SET state = $1, reviewer_id = $2, reviewed_at = $3, review_comment = $4, \
         recognised_at = $5, valid_until = $6, row_version = row_version + 1 \
         WHERE id = $7 AND row_version = $8 AND state = 'submitted'",
        vals![state, r.reviewer_id, r.now, r.comment, recognised_at, valid_until, r.id, r.expected_version],
    ))
    .await
}

/// Earlier recognised assessments of the household give way to a newly recognised one.
pub async fn supersede_others(c: &mut impl Conn, household_id: i64, except: i64) -> Result<u64> {
    c.execute(Sql::with(
        "UPDATE assessments SET state = 'superseded', row_version = row_version + 1 \
         WHERE household_id = $1 AND id <> $2 AND state = 'recognised'",
        vals![household_id, except],
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct EventRow {
    pub at: i64,
    pub user_name: Option<String>,
    pub kind: String,
    pub note: String,
}

pub async fn add_event(
    c: &mut impl Conn,
    assessment_id: i64,
    user_id: Option<i64>,
    kind: &str,
    note: &str,
    now: i64,
) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO assessment_events (assessment_id, at, user_id, kind, note) VALUES ($1, $2, $3, $4, $5)",
        vals![assessment_id, now, user_id, kind, note],
    ))
    .await?;
    Ok(())
}

pub async fn events(c: &mut impl Conn, assessment_id: i64) -> Result<Vec<EventRow>> {
    c.all(Sql::with(
        "SELECT e.at, u.display_name AS user_name, e.kind, e.note FROM assessment_events e \
         LEFT JOIN users u ON u.id = e.user_id WHERE e.assessment_id = $1 ORDER BY e.at, e.id",
        vals![assessment_id],
    ))
    .await
}

/// The surveys of the recognised assessments in an area (a cohort for what-if runs).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CohortRow {
    pub id: i64,
    pub household_id: i64,
    pub model_id: String,
    pub conclusion: Option<String>,
    pub score: Option<f64>,
    pub survey: Option<String>,
}

pub async fn recognised_cohort(
    c: &mut impl Conn,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<CohortRow>> {
    let mut sql = Sql::new(
        "SELECT a.id, a.household_id, a.model_id, a.conclusion, a.score, a.survey FROM assessments a \
         WHERE a.state = 'recognised' AND ",
    );
    scope.sql_condition(&mut sql, "a.region_code");
    sql.push(" ORDER BY a.id LIMIT ")
        .bind(limit.clamp(1, 1_000_000));
    c.all(sql).await
}
