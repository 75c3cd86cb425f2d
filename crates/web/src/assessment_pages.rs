//! Pages of assessment (甄别): the assessor's list and survey form (autosaved), the town's
//! review, the printable A4 report, and the model versions with their what-if runs.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect};
use minsheng_app::assess::model::Model;
use minsheng_app::assess::survey::{self, Kind, RecordSpec};
use minsheng_app::assessment::{AssessmentDetail, AssignInput, SurveyForm, TRIGGERS, WhatIf};
use minsheng_app::{Actor, AppError};
use minsheng_domain::Action;
use minsheng_domain::time_util::format_millis;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::AppState;
use crate::auth::{Authed, RequestInfo};
use crate::html::{
    Chrome, OrWeb, WebResult, chrome, is_form_error, refusal, render, render_status,
};
use crate::i18n::Lang;

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    if lang == Lang::En && !en.is_empty() {
        en
    } else {
        zh
    }
}

/// A survey fact's path in words (`members[0].income` as 成员1 月收入), or the path when the
/// survey has no such field.
fn fact_words(path: &str, lang: Lang) -> String {
    survey::path_label(path, lang == Lang::Zh).unwrap_or_else(|| path.to_string())
}

/// Why an indicator has no value, in words: the fact not recorded, or the model's rule that
/// failed (as the scorer stored it, `not recorded: PATH` or `failed: WHY`).
fn gap_words(stored: &str, lang: Lang) -> String {
    let t = lang.texts();
    if let Some(path) = stored.strip_prefix("not recorded: ") {
        return format!("{}{}{}", t.not_recorded, t.colon, fact_words(path, lang));
    }
    if let Some(why) = stored.strip_prefix("failed: ") {
        return format!("{}{}{why}", t.rule_failed, t.colon);
    }
    stored.to_string()
}

/// The interface's word for an assessment state or trigger.
pub fn word(lang: Lang, code: &str) -> &str {
    minsheng_i18n::word(lang, "assessment", code)
}

// ---------- list ----------

pub struct ListLine {
    pub id: i64,
    pub household_id: i64,
    pub address: String,
    pub head: String,
    pub region: String,
    pub model: String,
    pub assessor: String,
    pub state: String,
    pub state_code: String,
    pub score: String,
    pub conclusion: String,
    pub assigned: String,
}

#[derive(Template)]
#[template(path = "assessments.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<ListLine>,
    filters: Vec<(String, String, bool)>,
    mine: bool,
    state: String,
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    mine: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<ListParams>,
) -> WebResult {
    let state = p.state.unwrap_or_default();
    let states: Vec<String> = match state.as_str() {
        "" => vec![],
        "open" => ["assigned", "draft", "returned"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        other => vec![other.to_string()],
    };
    // Whoever surveys but does not assign starts on their own assessments, when they have any;
    // otherwise (a community worker with none) on the whole area, and the tab says which.
    let surveyor_only =
        actor.may(Action::SurveyHouseholds) && !actor.may(Action::AssignAssessments);
    let (rows, mine) = match p.mine.as_deref() {
        Some(m) => (
            s.app
                .assessments(&actor, &states, m == "1")
                .await
                .web(&info)?,
            m == "1",
        ),
        None if surveyor_only => {
            let own = s.app.assessments(&actor, &states, true).await.web(&info)?;
            if own.is_empty() {
                (
                    s.app.assessments(&actor, &states, false).await.web(&info)?,
                    false,
                )
            } else {
                (own, true)
            }
        }
        None => (
            s.app.assessments(&actor, &states, false).await.web(&info)?,
            false,
        ),
    };
    let lang = info.lang;
    let rows = rows
        .into_iter()
        .map(|r| ListLine {
            id: r.id,
            household_id: r.household_id,
            address: r.address,
            head: r.head_name.unwrap_or_default(),
            region: r.region_name,
            model: r.model_id,
            assessor: r.assessor_name,
            state: word(lang, &r.state).to_string(),
            state_code: r.state,
            score: r.score.map(|x| format!("{x:.1}")).unwrap_or_default(),
            conclusion: r.conclusion_label.unwrap_or_default(),
            assigned: format_millis(r.assigned_at),
        })
        .collect();
    let t = info.lang.texts();
    let filters = [
        ("", t.all),
        ("open", t.open_work),
        ("submitted", word(lang, "submitted")),
        ("recognised", word(lang, "recognised")),
    ]
    .iter()
    .map(|(code, label)| (code.to_string(), label.to_string(), *code == state))
    .collect();
    render(
        &ListPage {
            c: chrome(&actor, &info),
            rows,
            filters,
            mine,
            state,
        },
        &info,
    )
}

// ---------- assign ----------

#[derive(Template)]
#[template(path = "assessment_new.html")]
struct AssignPage {
    c: Chrome,
    household_id: i64,
    address: String,
    head: String,
    current: String,
    models: Vec<(String, String)>,
    triggers: Vec<(&'static str, String)>,
    message: String,
    form: AssignForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct AssignForm {
    #[serde(default)]
    model_id: String,
    #[serde(default)]
    assessor: String,
    #[serde(default)]
    trigger: String,
    #[serde(default)]
    note: String,
}

async fn assign_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    household_id: i64,
    form: AssignForm,
    refused: Option<AppError>,
) -> WebResult {
    let d = s
        .app
        .household_detail(actor, household_id)
        .await
        .web(info)?;
    let current = s
        .app
        .current_assessment(actor, household_id)
        .await
        .web(info)?;
    let lang = info.lang;
    let current = match current {
        Some(c) if c.conclusion.is_some() => format!(
            "{} {:.1}（{}）{}",
            c.conclusion_label.unwrap_or_default(),
            c.score.unwrap_or(0.0),
            c.valid_until.map(format_millis).unwrap_or_default(),
            if c.expired { word(lang, "expiry") } else { "" }
        ),
        _ => String::new(),
    };
    let models = s
        .app
        .list_models(actor)
        .await
        .web(info)?
        .into_iter()
        .filter(|m| m.status == "active")
        .map(|m| (m.model_id.clone(), format!("{} {}", m.name_zh, m.version)))
        .collect();
    let (status, message) = refusal(refused.as_ref(), lang);
    let page = AssignPage {
        c: chrome(actor, info),
        household_id,
        address: d.household.address.clone(),
        head: d.household.head_name.clone().unwrap_or_default(),
        current,
        models,
        triggers: TRIGGERS
            .iter()
            .map(|t| (*t, word(lang, t).to_string()))
            .collect(),
        message,
        form,
    };
    render_status(&page, info, status)
}

pub async fn assign_form(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(household_id): Path<i64>,
) -> WebResult {
    let form = AssignForm {
        model_id: "cq-7d82".into(),
        trigger: "first".into(),
        ..AssignForm::default()
    };
    assign_page(&s, &actor, &info, household_id, form, None).await
}

pub async fn assign(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(household_id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> WebResult {
    let input = AssignInput {
        household_id,
        model_id: f.model_id.clone(),
        assessor: f.assessor.clone(),
        trigger: f.trigger.clone(),
        note: f.note.clone(),
    };
    match s.app.assign_assessment(&actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/assessments/{id}")).into_response()),
        Err(e) if is_form_error(&e) => {
            assign_page(&s, &actor, &info, household_id, f, Some(e)).await
        }
        Err(e) => Err(crate::error::WebError::new(e, &info)),
    }
}

// ---------- the survey form ----------

pub struct FormField {
    pub name: String,
    pub label: String,
    /// "number", "select" (choices and yes/no).
    pub input: &'static str,
    pub value: String,
    pub options: Vec<(String, String, bool)>,
    pub step: &'static str,
    pub min: String,
    pub max: String,
    pub error: String,
}

pub struct FormSection {
    pub id: String,
    pub title: String,
    pub fields: Vec<FormField>,
    pub error: String,
}

fn json_text(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn section(
    lang: Lang,
    spec: &RecordSpec,
    data: Option<&Json>,
    prefix: &str,
    path: &str,
    title: String,
    errors: &BTreeMap<String, String>,
) -> FormSection {
    let mut fields = Vec::new();
    // A member's district questions (its `local` record) are asked inside the member's block;
    // the household's own records get sections of their own.
    form_fields(
        lang,
        spec,
        data,
        prefix,
        path,
        !path.is_empty(),
        errors,
        &mut fields,
    );
    FormSection {
        id: prefix.trim_end_matches('.').replace('.', "-"),
        title,
        fields,
        error: errors.get(path).cloned().unwrap_or_default(),
    }
}

/// The inputs of a record's facts (and, with `nested`, of the records inside it).
#[allow(clippy::too_many_arguments)]
fn form_fields(
    lang: Lang,
    spec: &RecordSpec,
    data: Option<&Json>,
    prefix: &str,
    path: &str,
    nested: bool,
    errors: &BTreeMap<String, String>,
    out: &mut Vec<FormField>,
) {
    let t = lang.texts();
    for f in spec.fields {
        let error_path = if path.is_empty() {
            f.name.to_string()
        } else {
            format!("{path}.{}", f.name)
        };
        let (input, options, step, min, max) = match f.kind {
            Kind::Object(inner) => {
                if nested {
                    form_fields(
                        lang,
                        inner,
                        data.and_then(|d| d.get(f.name)),
                        &format!("{prefix}{}.", f.name),
                        &error_path,
                        nested,
                        errors,
                        out,
                    );
                }
                continue;
            }
            Kind::List(..) => continue,
            Kind::Choice(choices) => {
                let value = json_text(data.and_then(|d| d.get(f.name)));
                let mut options =
                    vec![(String::new(), t.not_recorded.to_string(), value.is_empty())];
                options.extend(choices.iter().map(|c| {
                    (
                        c.code.to_string(),
                        pick(lang, c.zh, c.en).to_string(),
                        c.code == value,
                    )
                }));
                ("select", options, "", String::new(), String::new())
            }
            Kind::Bool => {
                let value = json_text(data.and_then(|d| d.get(f.name)));
                (
                    "select",
                    vec![
                        (String::new(), t.not_recorded.to_string(), value.is_empty()),
                        ("true".to_string(), t.yes.to_string(), value == "true"),
                        ("false".to_string(), t.no.to_string(), value == "false"),
                    ],
                    "",
                    String::new(),
                    String::new(),
                )
            }
            Kind::Int { min, max } => ("number", vec![], "1", min.to_string(), max.to_string()),
            Kind::Money => ("number", vec![], "0.01", "0".to_string(), String::new()),
            Kind::Number { min, max } => {
                ("number", vec![], "0.1", min.to_string(), max.to_string())
            }
        };
        out.push(FormField {
            name: format!("{prefix}{}", f.name),
            label: pick(lang, f.zh, f.en).to_string(),
            input,
            value: json_text(data.and_then(|d| d.get(f.name))),
            options,
            step,
            min,
            max,
            error: errors.get(&error_path).cloned().unwrap_or_default(),
        });
    }
}

/// The survey form: household facts, one block per member (and one empty for a new member),
/// the sections, and the recent shocks.
fn survey_sections(
    lang: Lang,
    survey: Option<&Json>,
    errors: &[minsheng_app::FieldError],
) -> Vec<FormSection> {
    let t = lang.texts();
    let errors: BTreeMap<String, String> = errors
        .iter()
        .map(|e| (e.field.clone(), e.message.render(lang)))
        .collect();
    let mut sections = Vec::new();
    let members = survey
        .and_then(|s| s.get("members"))
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    for i in 0..=members.len() {
        let title = if i == members.len() {
            t.new_member.to_string()
        } else {
            format!("{} {}", t.member, i + 1)
        };
        sections.push(section(
            lang,
            survey::member_spec(),
            members.get(i),
            &format!("members.{i}."),
            &format!("members[{i}]"),
            title,
            &errors,
        ));
    }
    for field in survey::household_spec().fields {
        if let Kind::Object(spec) = field.kind {
            let data = survey.and_then(|s| s.get(field.name));
            sections.push(section(
                lang,
                spec,
                data,
                &format!("{}.", field.name),
                field.name,
                pick(lang, field.zh, field.en).to_string(),
                &errors,
            ));
        }
    }
    let shocks = survey
        .and_then(|s| s.get("shocks"))
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    for i in 0..=shocks.len() {
        let title = format!(
            "{} {}",
            pick(lang, survey::SHOCK.zh, survey::SHOCK.en),
            i + 1
        );
        sections.push(section(
            lang,
            &survey::SHOCK,
            shocks.get(i),
            &format!("shocks.{i}."),
            &format!("shocks[{i}]"),
            title,
            &errors,
        ));
    }
    // The household's own scalar facts.
    sections.push(section(
        lang,
        survey::household_spec(),
        survey,
        "",
        "",
        t.other_facts.to_string(),
        &errors,
    ));
    sections
}

/// Builds the survey JSON from the form. Typed values are converted; what does not convert is
/// kept as typed, so the reader names the mistake and nothing is lost. Empty member and shock
/// blocks are left out; an empty field is "not recorded".
pub fn survey_from_form(pairs: &[(String, String)]) -> Json {
    let value_of = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let record = |spec: &RecordSpec, prefix: &str| form_record(spec, prefix, &value_of);
    let mut root = record(survey::household_spec(), "");
    for (list, spec) in [
        ("members", survey::member_spec()),
        ("shocks", &survey::SHOCK),
    ] {
        let count = pairs
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(&format!("{list}.")))
            .filter_map(|rest| rest.split('.').next()?.parse::<usize>().ok())
            .max()
            .map_or(0, |m| m + 1)
            .min(survey::MAX_MEMBERS + 1);
        let items: Vec<Json> = (0..count)
            .map(|i| record(spec, &format!("{list}.{i}.")))
            .filter(|m| !m.is_empty())
            .map(Json::Object)
            .collect();
        let recorded = pairs.iter().any(|(k, _)| k == &format!("{list}.recorded"));
        if !items.is_empty() || (list == "shocks" && recorded) {
            root.insert(list.to_string(), Json::Array(items));
        }
    }
    for field in survey::household_spec().fields {
        if let Kind::Object(spec) = field.kind {
            let map = record(spec, &format!("{}.", field.name));
            if !map.is_empty() {
                root.insert(field.name.to_string(), Json::Object(map));
            }
        }
    }
    Json::Object(root)
}

/// One record's facts from the form (with a member's `local` record inside it; the household's
/// own records are read by the caller).
fn form_record(
    spec: &RecordSpec,
    prefix: &str,
    value_of: &dyn Fn(&str) -> Option<String>,
) -> Map<String, Json> {
    let mut map = Map::new();
    for f in spec.fields {
        if let Kind::Object(inner) = f.kind {
            if !prefix.is_empty() {
                let inner_map = form_record(inner, &format!("{prefix}{}.", f.name), value_of);
                if !inner_map.is_empty() {
                    map.insert(f.name.to_string(), Json::Object(inner_map));
                }
            }
            continue;
        }
        let Some(text) = value_of(&format!("{prefix}{}", f.name)) else {
            continue;
        };
        if text.is_empty() {
            continue;
        }
        let json = match f.kind {
            Kind::Int { .. } | Kind::Money | Kind::Number { .. } => match text.parse::<f64>() {
                Ok(n) if n.fract() == 0.0 && n.abs() < 9e15 => Json::from(n as i64),
                Ok(n) => Json::from(n),
                Err(_) => Json::from(text),
            },
            Kind::Bool => match text.as_str() {
                "true" => Json::Bool(true),
                "false" => Json::Bool(false),
                _ => Json::from(text),
            },
            _ => Json::from(text),
        };
        map.insert(f.name.to_string(), json);
    }
    map
}

// ---------- the assessment page ----------

pub struct DimensionLine {
    pub label: String,
    pub points: String,
    pub max: String,
    pub percent: i64,
    pub deduct: bool,
}

pub struct IndicatorLine {
    /// Of a deducted dimension (self-help capacity): not a reason of hardship.
    pub deduct: bool,
    pub label: String,
    pub dimension: String,
    pub value: String,
    pub points: String,
    pub weight: String,
    pub missing: String,
    pub help: String,
}

pub struct Explained {
    pub score: String,
    pub conclusion: String,
    pub model: String,
    pub deduction: String,
    pub partial: bool,
    pub could_change: bool,
    pub vetoes: Vec<String>,
    pub dimensions: Vec<DimensionLine>,
    /// Indicators that scored, largest first.
    pub top: Vec<IndicatorLine>,
    pub missing: Vec<(String, bool)>,
    pub changes: Vec<String>,
    pub chart_svg: String,
}

fn num(value: &Json) -> f64 {
    value.as_f64().unwrap_or(0.0)
}

/// The stored result, with the model's labels.
fn explain(lang: Lang, result: &Json, model: Option<&Model>) -> Explained {
    let t = lang.texts();
    let dims_json = result.get("dimensions").cloned().unwrap_or_default();
    let dimensions: Vec<DimensionLine> = match model {
        Some(m) => m
            .dimensions
            .iter()
            .map(|d| {
                let points = num(&dims_json[&d.code]);
                DimensionLine {
                    label: pick(lang, &d.label_zh, &d.label_en).to_string(),
                    points: format!("{points:.1}"),
                    max: format!("{:.0}", d.max_points),
                    percent: if d.max_points > 0.0 {
                        (points / d.max_points * 100.0).round().clamp(0.0, 100.0) as i64
                    } else {
                        0
                    },
                    deduct: d.deduct,
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let indicator_label = |code: &str| -> (String, String, String, bool) {
        model
            .and_then(|m| {
                m.indicators.iter().find(|i| i.code == code).map(|i| {
                    let dim = &m.dimensions[i.dimension];
                    (
                        pick(lang, &i.label_zh, &i.label_en).to_string(),
                        pick(lang, &dim.label_zh, &dim.label_en).to_string(),
                        pick(lang, &i.help_zh, &i.help_en).to_string(),
                        dim.deduct,
                    )
                })
            })
            .unwrap_or_else(|| (code.to_string(), String::new(), String::new(), false))
    };
    let mut top: Vec<(f64, IndicatorLine)> = result
        .get("indicators")
        .and_then(Json::as_array)
        .map(|list| {
            list.iter()
                .filter(|i| num(&i["points"]) > 0.0 || i["missing"].is_string())
                .map(|i| {
                    let (label, dimension, help, deduct) =
                        indicator_label(i["code"].as_str().unwrap_or(""));
                    (
                        num(&i["points"]),
                        IndicatorLine {
                            deduct,
                            label,
                            dimension,
                            value: match json_text(i.get("value")).as_str() {
                                "true" => t.yes.to_string(),
                                "false" => t.no.to_string(),
                                other => survey::choice_word(other, lang == Lang::Zh)
                                    .map_or_else(|| other.to_string(), str::to_string),
                            },
                            points: format!("{:.2}", num(&i["points"])),
                            weight: format!("{:.1}", num(&i["weight"])),
                            missing: gap_words(&json_text(i.get("missing")), lang),
                            help,
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    top.sort_by(|a, b| b.0.total_cmp(&a.0));
    let vetoes = result
        .get("vetoes")
        .and_then(Json::as_array)
        .map(|v| v.iter().map(|x| json_text(x.get("reason"))).collect())
        .unwrap_or_default();
    let missing = result
        .get("missing")
        .and_then(Json::as_array)
        .map(|v| {
            v.iter()
                .map(|x| {
                    (
                        fact_words(&json_text(x.get("fact")), lang),
                        x["could_change_conclusion"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let changes = result
        .get("changes")
        .and_then(Json::as_array)
        .map(|v| {
            v.iter()
                .map(|c| {
                    let fact = json_text(c.get("fact"));
                    let chinese = lang == Lang::Zh;
                    format!(
                        "{}{}{} → {} ⇒ {}",
                        fact_words(&fact, lang),
                        t.colon,
                        survey::value_label(&fact, &json_text(c.get("from")), chinese),
                        survey::value_label(&fact, &json_text(c.get("to")), chinese),
                        json_text(c.get("conclusion_label"))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let chart_svg = chart(&dimensions, t.points);
    Explained {
        score: format!("{:.1}", num(&result["score"])),
        conclusion: json_text(result.get("conclusion_label")),
        model: format!(
            "{} {}",
            json_text(result.get("model")),
            json_text(result.get("model_version"))
        ),
        deduction: format!("{:.1}", num(&result["deduction"])),
        partial: result["partial"].as_bool().unwrap_or(false),
        could_change: result["could_change"].as_bool().unwrap_or(false),
        vetoes,
        dimensions,
        top: top.into_iter().map(|(_, line)| line).collect(),
        missing,
        changes,
        chart_svg,
    }
}

/// Horizontal bars of each dimension's points against its maximum, as inline SVG (prints
/// sharply on A4 and needs no script).
fn chart(dimensions: &[DimensionLine], points_word: &str) -> String {
    let row = 26;
    let height = row * dimensions.len() as i64 + 10;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 {height}\" width=\"100%\" role=\"img\" aria-label=\"{points_word}\" class=\"dim-chart\">"
    );
    for (i, d) in dimensions.iter().enumerate() {
        let y = 5 + row * i as i64;
        let width = d.percent * 360 / 100;
        let colour = if d.deduct { "#2e7d32" } else { "#c62828" };
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text><rect x=\"200\" y=\"{y}\" width=\"360\" height=\"16\" fill=\"#eee\"/><rect x=\"200\" y=\"{y}\" width=\"{width}\" height=\"16\" fill=\"{colour}\"/><text x=\"568\" y=\"{}\" font-size=\"12\">{} / {}</text>",
            y + 13,
            askama_escape(&d.label),
            y + 13,
            d.points,
            d.max
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn askama_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct AssessmentPage {
    c: Chrome,
    d: AssessmentDetail,
    state: String,
    trigger: String,
    assigned: String,
    valid_until: String,
    sections: Vec<FormSection>,
    explained: Option<Explained>,
    events: Vec<(String, String, String, String)>,
    message: String,
    saved_at: String,
    error_count: usize,
    survey_errors: Vec<(String, String)>,
    /// This page's own key: its autosaves and its submission are one line of edits.
    form_key: String,
    /// The members were filled in from the household's register (never saved yet).
    prefilled: bool,
    /// When another page saved first: each fact that differs, as (fact, saved there, on this page).
    conflict: Vec<(String, String, String)>,
}

/// What a survey page had on screen when it was sent.
struct OnPage {
    survey: Json,
    form_key: String,
}

async fn assessment_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    refused: Option<AppError>,
    on_page: Option<OnPage>,
) -> WebResult {
    let d = s.app.assessment_detail(actor, id).await.web(info)?;
    let lang = info.lang;
    let model = match d.row.model_row {
        Some(row) => Some(s.app.compiled_model(row).await.web(info)?),
        None => None,
    };
    let explained = d
        .result
        .as_ref()
        .map(|r| explain(lang, r, model.as_deref()));
    // A conflict shows what this page had (nothing typed is lost) beside what was saved.
    let conflict = match (&on_page, &refused) {
        (Some(p), Some(AppError::Stale)) => differences(lang, d.survey.as_ref(), &p.survey),
        _ => Vec::new(),
    };
    let shown = match &on_page {
        Some(p) if !conflict.is_empty() => Some(&p.survey),
        _ => d.survey.as_ref().or(d.prefill.as_ref()),
    };
    let sections = if d.can_edit {
        survey_sections(lang, shown, &d.survey_errors)
    } else {
        Vec::new()
    };
    let prefilled = d.survey.is_none() && d.prefill.is_some();
    let form_key = match on_page {
        Some(p) if !p.form_key.is_empty() => p.form_key,
        _ => minsheng_app::auth::random_token(),
    };
    let events = d
        .events
        .iter()
        .map(|e| {
            (
                format_millis(e.at),
                e.user_name.clone().unwrap_or_default(),
                word(lang, &e.kind).to_string(),
                e.note.clone(),
            )
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), lang);
    let page = AssessmentPage {
        c: chrome(actor, info),
        state: word(lang, &d.row.state).to_string(),
        trigger: word(lang, &d.row.trigger_kind).to_string(),
        assigned: format_millis(d.row.assigned_at),
        valid_until: d.row.valid_until.map(format_millis).unwrap_or_default(),
        saved_at: d.row.saved_at.map(format_millis).unwrap_or_default(),
        error_count: d.survey_errors.len(),
        survey_errors: error_lines(&d.survey_errors, lang),
        form_key,
        prefilled,
        conflict,
        sections,
        explained,
        events,
        message,
        d,
    };
    render_status(&page, info, status)
}

pub async fn detail(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    assessment_page(&s, &actor, &info, id, None, None).await
}

#[derive(Template)]
#[template(path = "autosave.html")]
struct AutosaveFragment {
    t: &'static crate::i18n::Texts,
    saved_at: String,
    version: i64,
    /// (the fact in words, what is wrong), in the reader's language.
    errors: Vec<(String, String)>,
}

/// Survey errors in the reader's language: the fact in words and what is wrong with it.
fn error_lines(errors: &[minsheng_app::FieldError], lang: Lang) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (fact_words(&e.field, lang), e.message.render(lang)))
        .collect()
}

/// The survey page's fields: the facts, the version it was opened at and its own key.
fn survey_form_of(pairs: &[(String, String)]) -> (Json, Option<i64>, String) {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let version = field("version").parse::<i64>().ok();
    (survey_from_form(pairs), version, field("form_key"))
}

/// Saves the draft. From htmx (autosave) it answers with the save status and the new version
/// (swapped into the form, so the next save and the submission carry it); from a plain form
/// post it returns to the page. Another page's save meanwhile shows both versions.
pub async fn save_draft(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let (survey, version, form_key) = survey_form_of(&pairs);
    let form = SurveyForm {
        survey: Some(&survey),
        version,
        form_key: &form_key,
    };
    let saved = match s.app.save_assessment_draft(&actor, id, &form).await {
        Ok(saved) => saved,
        Err(AppError::Stale) if !info.is_htmx => {
            let on_page = OnPage { survey, form_key };
            return assessment_page(&s, &actor, &info, id, Some(AppError::Stale), Some(on_page))
                .await;
        }
        Err(e) => return Err(crate::error::WebError::new(e, &info)),
    };
    if info.is_htmx {
        let fragment = AutosaveFragment {
            t: info.lang.texts(),
            saved_at: format_millis(s.app.now()),
            version: saved.version,
            errors: error_lines(&saved.errors, info.lang),
        };
        return Ok(Html(fragment.render().map_err(|e| {
            crate::error::WebError::new(AppError::Internal(e.to_string()), &info)
        })?)
        .into_response());
    }
    Ok(Redirect::to(&format!("/assessments/{id}")).into_response())
}

/// Submits with the facts on the page (the survey form's own submit button), or, from a form
/// without facts, the saved draft at its version.
pub async fn submit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let (survey, version, form_key) = survey_form_of(&pairs);
    let has_facts = pairs.iter().any(|(k, _)| k.contains('.'));
    let form = SurveyForm {
        survey: has_facts.then_some(&survey),
        version,
        form_key: &form_key,
    };
    match s.app.submit_assessment(&actor, id, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/assessments/{id}")).into_response()),
        Err(e) if is_form_error(&e) => {
            let on_page = has_facts.then_some(OnPage { survey, form_key });
            assessment_page(&s, &actor, &info, id, Some(e), on_page).await
        }
        Err(e) => Err(crate::error::WebError::new(e, &info)),
    }
}

/// The facts that differ between the saved survey and the page's, as words:
/// (fact, saved, on this page).
fn differences(lang: Lang, saved: Option<&Json>, on_page: &Json) -> Vec<(String, String, String)> {
    let mut left = BTreeMap::new();
    let mut right = BTreeMap::new();
    if let Some(saved) = saved {
        flatten("", saved, &mut left);
    }
    flatten("", on_page, &mut right);
    let mut paths: Vec<&String> = left.keys().chain(right.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| left.get(*p) != right.get(*p))
        .map(|p| {
            let label = fact_words(p, lang);
            let text = |m: &BTreeMap<String, String>| match m.get(p) {
                Some(v) => survey::value_label(p, v, lang == Lang::Zh),
                None => "—".to_string(),
            };
            (label, text(&left), text(&right))
        })
        .collect()
}

/// Every fact of a survey by its path (`members[0].age`), leaving out the product's envelope.
fn flatten(prefix: &str, value: &Json, out: &mut BTreeMap<String, String>) {
    match value {
        Json::Object(map) => {
            for (key, inner) in map {
                if prefix.is_empty() && matches!(key.as_str(), "schema" | "household") {
                    continue;
                }
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, inner, out);
            }
        }
        Json::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), inner, out);
            }
        }
        Json::String(text) => {
            out.insert(prefix.to_string(), text.clone());
        }
        Json::Null => {}
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    version: i64,
    decision: String,
    #[serde(default)]
    comment: String,
}

pub async fn review(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> WebResult {
    let approve = f.decision == "approve";
    match s
        .app
        .review_assessment(&actor, id, f.version, approve, &f.comment)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/assessments/{id}")).into_response()),
        Err(e) if is_form_error(&e) || matches!(e, AppError::Stale | AppError::Conflict(_)) => {
            assessment_page(&s, &actor, &info, id, Some(e), None).await
        }
        Err(e) => Err(crate::error::WebError::new(e, &info)),
    }
}

// ---------- the A4 report ----------

pub struct MemberLine {
    pub relation: String,
    pub sex: String,
    pub age: String,
    pub health: String,
    pub work: String,
}

#[derive(Template)]
#[template(path = "assessment_report.html")]
struct ReportPage {
    t: &'static crate::i18n::Texts,
    recommendations: Vec<(String, String, String)>,
    html_lang: &'static str,
    d: AssessmentDetail,
    explained: Option<Explained>,
    members: Vec<MemberLine>,
    trigger: String,
    assigned: String,
    submitted: String,
    reviewed: String,
    valid_until: String,
    printed: String,
    state: String,
}

fn choice_label(lang: Lang, spec: &RecordSpec, field: &str, value: Option<&Json>) -> String {
    let code = json_text(value);
    spec.fields
        .iter()
        .find(|f| f.name == field)
        .and_then(|f| match f.kind {
            Kind::Choice(choices) => choices
                .iter()
                .find(|c| c.code == code)
                .map(|c| pick(lang, c.zh, c.en).to_string()),
            _ => None,
        })
        .unwrap_or(code)
}

/// What the HTML and PDF reports show.
struct ReportParts {
    d: AssessmentDetail,
    explained: Option<Explained>,
    members: Vec<MemberLine>,
    /// (item, amount, reason) of each recommended item.
    recommendations: Vec<(String, String, String)>,
}

async fn report_parts(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
) -> Result<ReportParts, crate::error::WebError> {
    let d = s.app.assessment_detail(actor, id).await.web(info)?;
    let lang = info.lang;
    let model = match d.row.model_row {
        Some(row) => Some(s.app.compiled_model(row).await.web(info)?),
        None => None,
    };
    let members = d
        .survey
        .as_ref()
        .and_then(|sv| sv.get("members"))
        .and_then(Json::as_array)
        .map(|list| {
            list.iter()
                .map(|m| {
                    let mut health = Vec::new();
                    if m["serious_illness"] == Json::Bool(true) {
                        health.push(pick(lang, "重特大疾病", "serious illness").to_string());
                    }
                    if num(&m["chronic_illnesses"]) > 0.0 {
                        health.push(format!(
                            "{}{}",
                            pick(lang, "慢性病", "chronic illnesses: "),
                            num(&m["chronic_illnesses"])
                        ));
                    }
                    if m["disability"].as_str().is_some_and(|d| d != "none") {
                        health.push(format!(
                            "{} {}",
                            choice_label(
                                lang,
                                survey::member_spec(),
                                "disability",
                                m.get("disability")
                            ),
                            json_text(m.get("disability_grade"))
                        ));
                    }
                    MemberLine {
                        relation: choice_label(
                            lang,
                            survey::member_spec(),
                            "relation",
                            m.get("relation"),
                        ),
                        sex: choice_label(lang, survey::member_spec(), "sex", m.get("sex")),
                        age: json_text(m.get("age")),
                        health: health.join("，"),
                        work: choice_label(
                            lang,
                            survey::member_spec(),
                            "employment",
                            m.get("employment"),
                        ),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let explained = d
        .result
        .as_ref()
        .map(|r| explain(lang, r, model.as_deref()));
    let recommendations = minsheng_app::help::recommendations_for(&d)
        .map(|r| {
            r.items
                .into_iter()
                .map(|i| {
                    (
                        pick(lang, &i.label, &i.label_en).to_string(),
                        i.amount.map(|a| format!("¥{a:.2}")).unwrap_or_default(),
                        pick(lang, &i.reason, &i.reason_en).to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ReportParts {
        d,
        explained,
        members,
        recommendations,
    })
}

pub async fn report(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    let ReportParts {
        d,
        explained,
        members,
        recommendations,
    } = report_parts(&s, &actor, &info, id).await?;
    let lang = info.lang;
    let page = ReportPage {
        recommendations,
        t: lang.texts(),
        html_lang: lang.html_lang(),
        explained,
        members,
        trigger: word(lang, &d.row.trigger_kind).to_string(),
        assigned: format_millis(d.row.assigned_at),
        submitted: d.row.submitted_at.map(format_millis).unwrap_or_default(),
        reviewed: d.row.reviewed_at.map(format_millis).unwrap_or_default(),
        valid_until: d.row.valid_until.map(format_millis).unwrap_or_default(),
        printed: format_millis(s.app.now()),
        state: word(lang, &d.row.state).to_string(),
        d,
    };
    render(&page, &info)
}

/// The report as PDF (A4, CJK fonts subset and embedded).
pub async fn report_pdf(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    use axum::http::{HeaderValue, header};
    use minsheng_report::{AssessmentReport, Bar, Block, Table};
    let ReportParts {
        d,
        explained,
        members,
        recommendations,
    } = report_parts(&s, &actor, &info, id).await?;
    let t = info.lang.texts();
    let row = &d.row;
    let mut report = AssessmentReport {
        title: t.report_title.into(),
        subtitle: format!(
            "{} PG-{} · {} {} · {}",
            t.report_number,
            row.id,
            t.printed_at,
            format_millis(s.app.now()),
            word(info.lang, &row.state)
        ),
        household_title: t.household_summary.into(),
        household: vec![
            (
                t.address.into(),
                format!("{} {}", row.region_name, row.address),
            ),
            (t.head.into(), row.head_name.clone().unwrap_or_default()),
            (t.assigned_at.into(), format_millis(row.assigned_at)),
            (
                t.trigger.into(),
                format!(
                    "{} {}",
                    word(info.lang, &row.trigger_kind),
                    row.trigger_note
                ),
            ),
        ],
        members: Table {
            header: [t.relation, t.sex, t.age, t.health, t.employment]
                .iter()
                .map(|h| h.to_string())
                .collect(),
            rows: members
                .iter()
                .map(|m| {
                    vec![
                        m.relation.clone(),
                        m.sex.clone(),
                        m.age.clone(),
                        m.health.clone(),
                        m.work.clone(),
                    ]
                })
                .collect(),
        },
        privacy_note: t.report_privacy_note.into(),
        result_title: t.result.into(),
        language: info.lang.html_lang().into(),
        ..AssessmentReport::default()
    };
    if let Some(x) = &explained {
        report.verdict = format!("{} · {} {}", x.conclusion, x.score, t.points);
        report.verdict_note = t.score_meaning.into();
        report.meta = format!(
            "{} {} · {} {}{}",
            t.model,
            x.model,
            t.deduction,
            x.deduction,
            if x.partial {
                format!(" · {}", t.partial_survey)
            } else {
                String::new()
            }
        );
        report.chart_title = t.dimension_scores.into();
        report.bars = x
            .dimensions
            .iter()
            .map(|dl| Bar {
                label: dl.label.clone(),
                points: dl.points.parse().unwrap_or(0.0),
                max: dl.max.parse().unwrap_or(0.0),
                deduct: dl.deduct,
            })
            .collect();
        report.reasons_title = t.main_reasons.into();
        report.reasons = Table {
            header: [t.indicator, t.dimension, t.value, t.points]
                .iter()
                .map(|h| h.to_string())
                .collect(),
            rows: x
                .top
                .iter()
                .filter(|i| !i.deduct)
                .take(12)
                .map(|i| {
                    vec![
                        i.label.clone(),
                        i.dimension.clone(),
                        if i.missing.is_empty() {
                            i.value.clone()
                        } else {
                            t.not_recorded.to_string()
                        },
                        i.points.clone(),
                    ]
                })
                .collect(),
        };
        report.lists = vec![
            Block {
                title: t.veto.into(),
                lines: x.vetoes.clone(),
            },
            Block {
                title: t.missing_facts.into(),
                lines: x
                    .missing
                    .iter()
                    .map(|(f, could)| {
                        if *could {
                            format!("{f}（{}）", t.could_change)
                        } else {
                            f.clone()
                        }
                    })
                    .collect(),
            },
            Block {
                title: t.what_would_change.into(),
                lines: x.changes.clone(),
            },
            Block {
                title: t.recommendations.into(),
                lines: if recommendations.is_empty() {
                    vec![t.recommendations_none.into()]
                } else {
                    recommendations
                        .iter()
                        .map(|(item, amount, _)| format!("{item} {amount}").trim().to_string())
                        .collect()
                },
            },
        ];
    }
    report.signatures = vec![
        Block {
            title: t.assessor.into(),
            lines: vec![
                format!("{}（{}）", row.assessor_name, row.assessor_unit),
                format!(
                    "{} {}",
                    t.submitted_at,
                    row.submitted_at.map(format_millis).unwrap_or_default()
                ),
                t.signature.into(),
            ],
        },
        Block {
            title: t.reviewer.into(),
            lines: vec![
                row.reviewer_name.clone().unwrap_or_default(),
                format!(
                    "{} {}",
                    t.reviewed_at,
                    row.reviewed_at.map(format_millis).unwrap_or_default()
                ),
                format!(
                    "{} {}",
                    t.valid_until,
                    row.valid_until.map(format_millis).unwrap_or_default()
                ),
                t.signature.into(),
            ],
        },
    ];
    let Some(fonts) = pdf_fonts() else {
        return Ok((
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            t.report_fonts_missing,
        )
            .into_response());
    };
    let pdf = tokio::task::spawn_blocking(move || minsheng_report::assessment_pdf(&report, fonts))
        .await
        .map_err(|e| crate::error::WebError::new(AppError::Internal(e.to_string()), &info))?
        .map_err(|e| crate::error::WebError::new(AppError::Internal(e), &info))?;
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"assessment-{id}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The CJK fonts, read once (`MINSHENG_FONTS_DIR`, else the system's); None, said once in the
/// log, when there are none.
fn pdf_fonts() -> Option<&'static minsheng_report::Fonts> {
    static FONTS: std::sync::OnceLock<Option<minsheng_report::Fonts>> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let dir = std::env::var_os("MINSHENG_FONTS_DIR").map(std::path::PathBuf::from);
            minsheng_report::load_fonts(dir.as_deref())
                .inspect_err(|e| tracing::warn!("PDF reports unavailable: {e}"))
                .ok()
        })
        .as_ref()
}

// ---------- models ----------

pub struct ModelLine {
    pub id: i64,
    pub model_id: String,
    pub version: String,
    pub name: String,
    pub status: String,
    pub status_code: String,
    pub shipped: bool,
    pub used: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "models.html")]
struct ModelsPage {
    c: Chrome,
    rows: Vec<ModelLine>,
    can_manage: bool,
    message: String,
    source: String,
}

async fn models_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    source: String,
    refused: Option<AppError>,
) -> WebResult {
    let lang = info.lang;
    let rows = s
        .app
        .list_models(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|m| ModelLine {
            id: m.id,
            model_id: m.model_id,
            version: m.version,
            name: m.name_zh,
            status: word(lang, &m.status).to_string(),
            status_code: m.status,
            shipped: m.shipped,
            used: m.used_at.is_some(),
            created: format_millis(m.created_at),
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), lang);
    render_status(
        &ModelsPage {
            c: chrome(actor, info),
            rows,
            can_manage: actor.may(Action::ManageModels),
            message,
            source,
        },
        info,
        status,
    )
}

pub async fn models(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    models_page(&s, &actor, &info, String::new(), None).await
}

#[derive(Deserialize)]
pub struct UploadForm {
    source: String,
}

pub async fn upload_model(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<UploadForm>,
) -> WebResult {
    match s.app.upload_model(&actor, &f.source).await {
        Ok(id) => Ok(Redirect::to(&format!("/models/{id}")).into_response()),
        Err(e) if is_form_error(&e) || matches!(e, AppError::Conflict(_)) => {
            models_page(&s, &actor, &info, f.source, Some(e)).await
        }
        Err(e) => Err(crate::error::WebError::new(e, &info)),
    }
}

pub struct IndicatorDoc {
    pub code: String,
    pub label: String,
    pub weight: String,
    pub value: String,
    pub help: String,
    pub rationale: String,
}

pub struct DimensionDoc {
    pub label: String,
    pub max: String,
    pub deduct: bool,
    pub indicators: Vec<IndicatorDoc>,
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage {
    c: Chrome,
    row: minsheng_app::assessment::ModelRow,
    status: String,
    name: String,
    description: String,
    dimensions: Vec<DimensionDoc>,
    vetoes: Vec<(String, String)>,
    conclusions: Vec<(String, String)>,
    params: Vec<(String, String)>,
    can_manage: bool,
    what_if: Option<WhatIf>,
}

async fn model_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    what_if: Option<WhatIf>,
) -> WebResult {
    let (row, model) = s.app.model_detail(actor, id).await.web(info)?;
    let lang = info.lang;
    let dimensions = model
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, d)| DimensionDoc {
            label: pick(lang, &d.label_zh, &d.label_en).to_string(),
            max: format!("{:.1}", d.max_points),
            deduct: d.deduct,
            indicators: model
                .indicators
                .iter()
                .filter(|ind| ind.dimension == i)
                .map(|ind| IndicatorDoc {
                    code: ind.code.clone(),
                    label: pick(lang, &ind.label_zh, &ind.label_en).to_string(),
                    weight: format!("{:.2}", ind.weight),
                    value: ind.value_source.clone(),
                    help: pick(lang, &ind.help_zh, &ind.help_en).to_string(),
                    rationale: ind.rationale.clone(),
                })
                .collect(),
        })
        .collect();
    let page = ModelPage {
        c: chrome(actor, info),
        status: word(lang, &row.status).to_string(),
        name: pick(lang, &model.name_zh, &model.name_en).to_string(),
        description: model.description.clone(),
        dimensions,
        vetoes: model
            .vetoes
            .iter()
            .map(|v| {
                (
                    pick(lang, &v.reason_zh, &v.reason_en).to_string(),
                    v.when_source.clone(),
                )
            })
            .collect(),
        conclusions: model
            .conclusions
            .iter()
            .map(|c| {
                (
                    pick(lang, &c.label_zh, &c.label_en).to_string(),
                    c.when_source
                        .clone()
                        .unwrap_or_else(|| lang.texts().otherwise.to_string()),
                )
            })
            .collect(),
        params: model.params.clone(),
        can_manage: actor.may(Action::ManageModels),
        what_if,
        row,
    };
    render(&page, info)
}

pub async fn model(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    model_page(&s, &actor, &info, id, None).await
}

pub async fn activate_model(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    s.app.activate_model(&actor, id).await.web(&info)?;
    Ok(Redirect::to(&format!("/models/{id}")).into_response())
}

pub async fn what_if(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    let result = s.app.what_if(&actor, id).await.web(&info)?;
    model_page(&s, &actor, &info, id, Some(result)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_survey_json_and_keeps_what_does_not_convert() {
        let pairs: Vec<(String, String)> = [
            ("members.0.relation", "self"),
            ("members.0.age", "67"),
            ("members.0.serious_illness", "true"),
            ("members.0.monthly_income", "1500.5"),
            ("members.1.relation", ""),
            ("members.1.age", ""),
            ("income.wages", "12000"),
            ("income.pensions", "abc"),
            ("housing.tenure", "rented"),
            ("shocks.0.kind", ""),
            ("shocks.recorded", "1"),
            ("child_deaths_5y", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let json = survey_from_form(&pairs);
        assert_eq!(
            json["members"].as_array().map(Vec::len),
            Some(1),
            "the empty new-member block is left out"
        );
        assert_eq!(json["members"][0]["age"], 67);
        assert_eq!(json["members"][0]["serious_illness"], true);
        assert_eq!(json["members"][0]["monthly_income"], 1500.5);
        assert_eq!(
            json["income"]["pensions"], "abc",
            "kept as typed, for the reader to name"
        );
        assert_eq!(
            json["shocks"],
            serde_json::json!([]),
            "no shocks, recorded as none"
        );
        assert_eq!(json["child_deaths_5y"], 0);
        assert!(
            json.get("assets").is_none(),
            "an untouched section is not recorded"
        );
    }
}
