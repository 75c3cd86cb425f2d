//! Pages of proactive discovery: the phone report form, my clues, the inbox, a lead with its
//! visit form, a household file's state, and the figures dashboard.

use crate::charts::{Chart, ChartKind};
use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect};
use minsheng_app::discovery::{
    ClueSubmission, DiscoveryFigures, Inbox, LeadDetail, VisitSubmission,
};
use minsheng_app::registry::MemberInput;
use minsheng_app::{Actor, AppError};
use minsheng_domain::authz::channels_for;
use minsheng_domain::time_util::format_millis;
use minsheng_domain::{Action, RegionCode};
use minsheng_i18n::msg;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, RequestInfo};
use crate::error::{WebError, status_of};
use crate::html::{
    Chrome, OrWeb, WebResult, chrome, deadline_date, form_message, is_form_error, refusal, render,
    render_status,
};
use crate::i18n::Lang;

/// The interface's word for a code of discovery (channel, urgency, status, reason, state).
pub fn label(lang: Lang, code: &str) -> &str {
    minsheng_i18n::word(lang, "discovery", code)
}

fn options(lang: Lang, codes: &[&'static str]) -> Vec<(&'static str, String)> {
    codes
        .iter()
        .map(|c| (*c, label(lang, c).to_string()))
        .collect()
}

// ---------- reporting ----------

#[derive(Default, Deserialize)]
pub struct ClueForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    person_name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    client_key: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
}

#[derive(Template)]
#[template(path = "clue_new.html")]
struct ClueNewPage {
    c: Chrome,
    f: ClueForm,
    channels: Vec<(&'static str, String)>,
    urgencies: Vec<(&'static str, String)>,
    client_key: String,
    message: String,
}

fn own_channels(actor: &Actor) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for role in actor.roles() {
        for ch in channels_for(*role) {
            if !out.contains(ch) {
                out.push(ch);
            }
        }
    }
    out
}

fn clue_page(
    actor: &Actor,
    info: &RequestInfo,
    mut f: ClueForm,
    message: String,
    status: axum::http::StatusCode,
) -> WebResult {
    if f.urgency.is_empty() {
        f.urgency = "normal".into();
    }
    let client_key = if f.client_key.is_empty() {
        minsheng_app::auth::random_token()
    } else {
        f.client_key.clone()
    };
    render_status(
        &ClueNewPage {
            c: chrome(actor, info),
            channels: options(info.lang, &own_channels(actor)),
            urgencies: options(info.lang, &minsheng_app::discovery::URGENCIES),
            client_key,
            message,
            f,
        },
        info,
        status,
    )
}

pub async fn clue_new(Authed(actor, info): Authed) -> WebResult {
    clue_page(
        &actor,
        &info,
        ClueForm::default(),
        String::new(),
        axum::http::StatusCode::OK,
    )
}

/// A submitted form: its text fields and its photo files. Forms with photos come as multipart,
/// the others urlencoded.
pub struct SubmittedForm {
    fields: std::collections::HashMap<String, String>,
    photos: Vec<Vec<u8>>,
}

impl SubmittedForm {
    fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    async fn read(
        s: &AppState,
        request: Request,
        info: &RequestInfo,
    ) -> Result<SubmittedForm, WebError> {
        let multipart = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let bad_form = |detail: String| {
            WebError::new(
                AppError::invalid("form", msg!("form-unreadable", detail = detail)),
                info,
            )
        };
        if !multipart {
            let Form(fields) =
                Form::<std::collections::HashMap<String, String>>::from_request(request, s)
                    .await
                    .map_err(|e| bad_form(e.body_text()))?;
            return Ok(SubmittedForm {
                fields,
                photos: Vec::new(),
            });
        }
        let mut form = Multipart::from_request(request, s)
            .await
            .map_err(|e| bad_form(e.body_text()))?;
        let mut submitted = SubmittedForm {
            fields: std::collections::HashMap::new(),
            photos: Vec::new(),
        };
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| bad_form(e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_string();
            if name == "photos" {
                let bytes = field.bytes().await.map_err(|e| bad_form(e.body_text()))?;
                if !bytes.is_empty() {
                    submitted.photos.push(bytes.to_vec());
                }
            } else {
                let value = field.text().await.map_err(|e| bad_form(e.body_text()))?;
                submitted.fields.insert(name, value);
            }
        }
        Ok(submitted)
    }
}

/// The report, as a plain form or (with photos) as multipart.
pub async fn clue_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    request: Request,
) -> WebResult {
    let form = SubmittedForm::read(&s, request, &info).await?;
    let f = ClueForm {
        channel: form.get("channel"),
        description: form.get("description"),
        address: form.get("address"),
        person_name: form.get("person_name"),
        id_number: form.get("id_number"),
        urgency: form.get("urgency"),
        region_code: form.get("region_code"),
        client_key: form.get("client_key"),
        latitude: form.get("latitude"),
        longitude: form.get("longitude"),
    };
    let photos = form.photos;
    let coordinate = |text: &str| text.trim().parse::<f64>().ok();
    let submission = ClueSubmission {
        channel: f.channel.clone(),
        description: f.description.clone(),
        address: f.address.clone(),
        region_code: Some(f.region_code.clone()),
        person_name: f.person_name.clone(),
        id_number: Some(f.id_number.clone()),
        urgency: f.urgency.clone(),
        client_key: Some(f.client_key.clone()),
        latitude: coordinate(&f.latitude),
        longitude: coordinate(&f.longitude),
        photos,
        ..ClueSubmission::default()
    };
    match s.app.submit_clue(&actor, &submission).await {
        Ok(_) => Ok(Redirect::to("/clues/mine?sent=1").into_response()),
        Err(e) if is_form_error(&e) => {
            let message = form_message(&e, info.lang);
            clue_page(&actor, &info, f, message, status_of(&e))
        }
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub struct MyClueLine {
    pub description: String,
    pub address: String,
    pub status: &'static str,
    pub status_label: String,
    pub time: String,
}

#[derive(Template)]
#[template(path = "my_clues.html")]
struct MyCluesPage {
    c: Chrome,
    clues: Vec<MyClueLine>,
    sent: bool,
    page: u32,
    has_next: bool,
}

#[derive(Deserialize, Default)]
pub struct SentParam {
    #[serde(default)]
    sent: Option<String>,
    #[serde(default)]
    page: Option<u32>,
}

pub async fn my_clues(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(q): Query<SentParam>,
) -> WebResult {
    let mine = s
        .app
        .my_clues(&actor, q.page.unwrap_or(1))
        .await
        .web(&info)?;
    let (page, has_next) = (mine.page, mine.has_next);
    let clues = mine
        .items
        .into_iter()
        .map(|k| MyClueLine {
            status_label: label(info.lang, k.status).to_string(),
            status: k.status,
            description: k.description,
            address: k.address,
            time: format_millis(k.created_at),
        })
        .collect();
    render(
        &MyCluesPage {
            c: chrome(&actor, &info),
            clues,
            sent: q.sent.is_some(),
            page,
            has_next,
        },
        &info,
    )
}

// ---------- inbox and leads ----------

pub struct InboxLine {
    pub id: i64,
    pub title: String,
    pub region_name: String,
    pub urgency: String,
    pub urgency_label: String,
    pub due: String,
    pub overdue: bool,
    pub sources: i64,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<InboxLine>,
    overdue: usize,
    level_note: &'static str,
}

fn lead_title(subject: &str, address: &str, id: i64) -> String {
    match (subject.is_empty(), address.is_empty()) {
        (false, false) => format!("{subject} · {address}"),
        (false, true) => subject.to_string(),
        (true, false) => address.to_string(),
        (true, true) => format!("#{id}"),
    }
}

pub async fn inbox(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    let Inbox {
        level,
        overdue,
        items,
        now,
    } = s.app.inbox(&actor).await.web(&info)?;
    let t = info.lang.texts();
    let rows = items
        .into_iter()
        .map(|l| InboxLine {
            title: lead_title(&l.subject_name, &l.address, l.id),
            urgency_label: label(info.lang, &l.urgency).to_string(),
            due: deadline_date(&s.app, info.lang, l.due_at),
            overdue: l.due_at < now,
            id: l.id,
            region_name: l.region_name,
            urgency: l.urgency,
            sources: l.sources,
        })
        .collect();
    let level_note = match level {
        0 => t.level_community,
        1 => t.level_town,
        _ => t.level_district,
    };
    render(
        &InboxPage {
            c: chrome(&actor, &info),
            rows,
            overdue,
            level_note,
        },
        &info,
    )
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    c: Chrome,
    d: LeadDetail,
    title: String,
    due: String,
    urgency_label: String,
    status_label: String,
    channels_label: String,
    clues: Vec<(String, String, String, String)>,
    photos: Vec<i64>,
    reasons: Vec<(&'static str, String)>,
    can_visit: bool,
    message: String,
}

async fn lead_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    refused: Option<AppError>,
) -> WebResult {
    let d = s.app.lead_detail(actor, id).await.web(info)?;
    let clues = d
        .clues
        .iter()
        .map(|k| {
            (
                format_millis(k.created_at),
                label(info.lang, &k.channel).to_string(),
                k.description.clone(),
                lead_title(&k.person_name, &k.address, k.id),
            )
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = LeadPage {
        title: lead_title(&d.lead.subject_name, &d.lead.address, d.lead.id),
        due: deadline_date(&s.app, info.lang, d.lead.due_at),
        urgency_label: label(info.lang, &d.lead.urgency).to_string(),
        status_label: label(info.lang, &d.lead.status).to_string(),
        channels_label: d
            .lead
            .channels
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| label(info.lang, c))
            .collect::<Vec<_>>()
            .join("、"),
        clues,
        photos: d.photos.iter().map(|p| p.0).collect(),
        reasons: options(info.lang, &minsheng_app::discovery::CLOSE_REASONS),
        can_visit: actor.may(Action::VisitLeads),
        message,
        c: chrome(actor, info),
        d,
    };
    render_status(&page, info, status)
}

pub async fn lead(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    lead_page(&s, &actor, &info, id, None).await
}

/// What the visit form sends.
pub struct VisitForm(SubmittedForm);

impl VisitForm {
    fn submission(self) -> Result<VisitSubmission, AppError> {
        let f = &self.0;
        let version = f
            .get("version")
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid("version", msg!("form-no-version")))?;
        let household_id =
            match f.get("household_id").trim() {
                "" => None,
                text => Some(text.parse::<i64>().map_err(|_| {
                    AppError::invalid("household_id", msg!("household-number-digits"))
                })?),
            };
        let head_id = f.get("head_id_number");
        let head = (!head_id.trim().is_empty()).then(|| MemberInput {
            id_number: head_id.clone(),
            name: f.get("head_name"),
            relation_code: minsheng_domain::relation::HEAD.into(),
            phone: None,
        });
        Ok(VisitSubmission {
            version,
            findings: f.get("findings"),
            outcome: f.get("outcome"),
            close_reason: Some(f.get("close_reason")).filter(|r| !r.is_empty()),
            note: f.get("note"),
            household_id,
            address: f.get("address"),
            head,
            photos: self.0.photos,
        })
    }
}

pub async fn lead_visit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    request: Request,
) -> WebResult {
    let form = VisitForm(SubmittedForm::read(&s, request, &info).await?);
    let result = match form.submission() {
        Ok(visit) => s.app.record_visit(&actor, id, &visit).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(done) => Ok(match done.household_id {
            Some(h) if done.status != "closed" => {
                Redirect::to(&format!("/households/{h}?saved=1")).into_response()
            }
            _ => Redirect::to("/inbox").into_response(),
        }),
        Err(e) if is_form_error(&e) => lead_page(&s, &actor, &info, id, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

#[derive(Deserialize)]
pub struct FileStateForm {
    version: i64,
    household_id: i64,
    state: String,
    #[serde(default)]
    reason: String,
}

pub async fn file_state(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(form): Form<FileStateForm>,
) -> WebResult {
    let reason = Some(form.reason.as_str()).filter(|r| !r.trim().is_empty());
    s.app
        .set_file_state(&actor, id, form.version, &form.state, reason)
        .await
        .web(&info)?;
    Ok(Redirect::to(&format!("/households/{}?saved=1", form.household_id)).into_response())
}

// ---------- figures ----------

#[derive(Deserialize, Default)]
pub struct FigureParams {
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

impl FigureParams {
    /// The region and the period `[from, to]` (inclusive dates), defaulting to this year so far.
    pub fn resolve(
        &self,
        today: time::Date,
    ) -> Result<(Option<RegionCode>, time::Date, time::Date), AppError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let parse =
            |text: &str, field: &str, default: time::Date| -> Result<time::Date, AppError> {
                if text.trim().is_empty() {
                    return Ok(default);
                }
                time::Date::parse(text.trim(), &format)
                    .map_err(|_| AppError::invalid(field, msg!("date-format")))
            };
        let start_of_year =
            time::Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today);
        let from = parse(&self.from, "from", start_of_year)?;
        let to = parse(&self.to, "to", today)?;
        if to < from {
            return Err(AppError::invalid("to", msg!("end-before-start")));
        }
        let region = match self.region.trim() {
            "" => None,
            text => Some(
                RegionCode::parse(text).map_err(|e| AppError::invalid("region", e.message()))?,
            ),
        };
        Ok((region, from, to))
    }
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    c: Chrome,
    f: DiscoveryFigures,
    region: String,
    from: String,
    to: String,
    assisted: i64,
    helped_outside: i64,
    median: String,
    channels: Chart,
    states: Chart,
    closed: Vec<(String, i64)>,
    /// (level in words, groups, staff, volunteers).
    levels: Vec<(String, i64, i64, i64)>,
}

/// Counts by stored code, the codes said in words.
fn counted(chart: Chart, lang: Lang, rows: &[(String, i64)]) -> Chart {
    chart.rows(
        rows.iter()
            .map(|(k, v)| (label(lang, k), *v as f64, v.to_string())),
    )
}

pub async fn figures(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<FigureParams>,
) -> WebResult {
    let (region, from, to) = p.resolve(s.app.today()).web(&info)?;
    let to_exclusive = to.next_day().unwrap_or(to);
    let f = s
        .app
        .discovery_figures(&actor, region, from, to_exclusive)
        .await
        .web(&info)?;
    let state = |name: &str| {
        f.files_by_state
            .iter()
            .find(|(s, _)| s == name)
            .map_or(0, |(_, n)| *n)
    };
    let t = info.lang.texts();
    let page = FiguresPage {
        c: chrome(&actor, &info),
        region: p.region.clone(),
        from: from.to_string(),
        to: to.to_string(),
        assisted: state("assisted"),
        helped_outside: state("not_eligible_helped"),
        median: f
            .median_hours_to_visit
            .map_or_else(|| "—".into(), |h| format!("{h:.1}")),
        channels: counted(
            Chart::new(
                "by-channel",
                ChartKind::Pie,
                t.fig_by_channel,
                t.channel,
                &[t.count],
            ),
            info.lang,
            &f.clues_by_channel,
        ),
        states: counted(
            Chart::new(
                "by-state",
                ChartKind::Bar,
                t.fig_by_state,
                t.state,
                &[t.count],
            ),
            info.lang,
            &f.files_by_state,
        ),
        closed: f
            .closed_by_reason
            .iter()
            .map(|(k, v)| (label(info.lang, k).to_string(), *v))
            .collect(),
        levels: f
            .groups_by_level
            .iter()
            .map(|(level, groups, staff, volunteers)| {
                (
                    label(info.lang, level).to_string(),
                    *groups,
                    *staff,
                    *volunteers,
                )
            })
            .collect(),
        f,
    };
    render(&page, &info)
}

/// The figures as an Excel workbook.
pub async fn figures_export(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<FigureParams>,
) -> WebResult {
    let (region, from, to) = p.resolve(s.app.today()).web(&info)?;
    let to_exclusive = to.next_day().unwrap_or(to);
    let bytes = s
        .app
        .export_discovery_figures(&actor, region, from, to_exclusive)
        .await
        .web(&info)?;
    Ok(crate::html::xlsx_response(bytes, "discovery-figures.xlsx"))
}

// ---------- sweeps ----------

pub struct SweepLine {
    pub id: i64,
    pub name: String,
    pub region_name: String,
    pub visited: i64,
    pub total: i64,
    pub concerns: i64,
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "sweeps.html")]
struct SweepsPage {
    c: Chrome,
    rows: Vec<SweepLine>,
    message: String,
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * 100 / whole).clamp(0, 100)
    }
}

async fn sweeps_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let rows = s
        .app
        .list_sweeps(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|r| SweepLine {
            percent: percent(r.visited, r.total),
            id: r.id,
            name: r.name,
            region_name: r.region_name,
            visited: r.visited,
            total: r.total,
            concerns: r.concerns,
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    render_status(
        &SweepsPage {
            c: chrome(actor, info),
            rows,
            message,
        },
        info,
        status,
    )
}

pub async fn sweeps(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    sweeps_page(&s, &actor, &info, None).await
}

#[derive(Deserialize)]
pub struct SweepForm {
    name: String,
    region_code: String,
}

pub async fn sweep_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<SweepForm>,
) -> WebResult {
    match s.app.create_sweep(&actor, &f.region_code, &f.name).await {
        Ok(id) => Ok(Redirect::to(&format!("/sweeps/{id}")).into_response()),
        Err(e) if is_form_error(&e) => sweeps_page(&s, &actor, &info, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub struct SweepHouseholdLine {
    pub id: i64,
    pub address: String,
    pub head: String,
    pub finding: String,
    pub finding_code: String,
}

#[derive(Template)]
#[template(path = "sweep.html")]
struct SweepPage {
    c: Chrome,
    d: minsheng_app::sweeps::SweepDetail,
    rows: Vec<SweepHouseholdLine>,
    findings: Vec<(&'static str, String)>,
    percent: i64,
}

#[derive(Deserialize, Default)]
pub struct PageParam {
    #[serde(default)]
    page: Option<i64>,
}

pub async fn sweep(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Query(p): Query<PageParam>,
) -> WebResult {
    let d = s
        .app
        .sweep_detail(&actor, id, p.page.unwrap_or(1))
        .await
        .web(&info)?;
    let rows = d
        .households
        .iter()
        .map(|h| SweepHouseholdLine {
            id: h.household_id,
            address: h.address.clone(),
            head: h.head_name.clone().unwrap_or_default(),
            finding: h
                .finding
                .as_deref()
                .map(|f| label(info.lang, f).to_string())
                .unwrap_or_default(),
            finding_code: h.finding.clone().unwrap_or_default(),
        })
        .collect();
    let page = SweepPage {
        percent: percent(d.sweep.visited, d.sweep.total),
        findings: options(info.lang, &minsheng_app::sweeps::FINDINGS),
        rows,
        c: chrome(&actor, &info),
        d,
    };
    render(&page, &info)
}

#[derive(Deserialize)]
pub struct SweepVisitForm {
    household_id: i64,
    finding: String,
    #[serde(default)]
    note: String,
}

pub async fn sweep_visit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<SweepVisitForm>,
) -> WebResult {
    let input = minsheng_app::sweeps::SweepVisitInput {
        household_id: f.household_id,
        finding: f.finding,
        note: f.note,
    };
    s.app
        .record_sweep_visit(&actor, id, &input)
        .await
        .web(&info)?;
    Ok(Redirect::to(&format!("/sweeps/{id}")).into_response())
}

// ---------- three-level groups ----------

pub struct GroupLine {
    pub id: i64,
    pub level: String,
    pub name: String,
    pub region_name: String,
    pub staff: i64,
    pub volunteers: i64,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    c: Chrome,
    rows: Vec<GroupLine>,
    message: String,
}

async fn groups_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let rows = s
        .app
        .list_groups(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|g| GroupLine {
            level: label(info.lang, &g.level).to_string(),
            id: g.id,
            name: g.name,
            region_name: g.region_name,
            staff: g.members - g.volunteers,
            volunteers: g.volunteers,
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    render_status(
        &GroupsPage {
            c: chrome(actor, info),
            rows,
            message,
        },
        info,
        status,
    )
}

pub async fn groups(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    groups_page(&s, &actor, &info, None).await
}

pub async fn group_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<SweepForm>,
) -> WebResult {
    match s.app.create_group(&actor, &f.region_code, &f.name).await {
        Ok(id) => Ok(Redirect::to(&format!("/groups/{id}")).into_response()),
        Err(e) if is_form_error(&e) => groups_page(&s, &actor, &info, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    c: Chrome,
    d: minsheng_app::groups::GroupDetail,
    level: String,
    members: Vec<(String, String, String)>,
    positions: Vec<(&'static str, String)>,
    message: String,
}

async fn group_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    refused: Option<AppError>,
) -> WebResult {
    let d = s.app.group_detail(actor, id).await.web(info)?;
    let members = d
        .members
        .iter()
        .map(|m| {
            (
                m.username.clone(),
                m.display_name.clone(),
                label(info.lang, &m.position).to_string(),
            )
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = GroupPage {
        level: label(info.lang, &d.group.level).to_string(),
        members,
        positions: options(info.lang, &minsheng_app::groups::POSITIONS),
        message,
        c: chrome(actor, info),
        d,
    };
    render_status(&page, info, status)
}

pub async fn group(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    group_page(&s, &actor, &info, id, None).await
}

#[derive(Deserialize)]
pub struct MemberForm {
    username: String,
    #[serde(default)]
    position: String,
}

pub async fn group_member_add(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> WebResult {
    match s
        .app
        .add_group_member(&actor, id, &f.username, &f.position)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/groups/{id}")).into_response()),
        Err(e) if is_form_error(&e) => group_page(&s, &actor, &info, id, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub async fn group_member_remove(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> WebResult {
    match s.app.remove_group_member(&actor, id, &f.username).await {
        Ok(()) => Ok(Redirect::to(&format!("/groups/{id}")).into_response()),
        Err(e) if is_form_error(&e) => group_page(&s, &actor, &info, id, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

/// A photo sent with a clue.
pub async fn photo(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    let (kind, data) = s.app.clue_photo(&actor, id).await.web(&info)?;
    let mut response = data.into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&kind) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, value);
    }
    Ok(response)
}
