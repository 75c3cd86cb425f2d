//! Pages of the 12345 hotline: the agent's desk (a call typed in, classified while typing), the
//! answering unit's tickets, a request's steps with the actions its state allows, the public
//! form and progress page, and the weekly ranking (public, with its workbook).

use crate::charts::{Chart, ChartKind};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minsheng_app::hotline::{
    self, IntakeResult, PublicRequest, RequestRow, RequestSubmission, outside_actor,
};
use minsheng_app::{Actor, AppError};
use minsheng_domain::Action;
use minsheng_domain::time_util::format_millis;
use minsheng_i18n::msg;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Info, RequestInfo};
use crate::error::WebError;
use crate::html::{
    Chrome, OrWeb, WebResult, chrome, deadline_text, is_form_error, refusal, render, render_status,
    xlsx_response,
};
use crate::i18n::Lang;

/// The words for a request's state.
pub fn state_word(lang: Lang, state: &str) -> &str {
    minsheng_i18n::word(lang, "hotline", state)
}

/// One line of a queue.
pub struct QueueLine {
    pub id: i64,
    pub summary: String,
    pub category: String,
    pub region: String,
    pub unit: String,
    pub state: String,
    pub state_code: String,
    pub due: String,
    pub overdue: bool,
    pub transfers: i64,
    /// Waits at the centre because the model was unsure of its category (待复核).
    pub review: bool,
    pub confidence: String,
}

/// (code, label) of every subcategory, grouped under its category's name.
type SubcategoryGroups = Vec<(String, Vec<(String, String)>)>;

fn subcategory_groups(s: &AppState, lang: Lang) -> SubcategoryGroups {
    s.app
        .hotline()
        .taxonomy()
        .categories
        .iter()
        .map(|c| {
            let name = match lang {
                Lang::Zh => c.name_zh.clone(),
                Lang::En => c.name_en.clone(),
            };
            let subs = c
                .sub
                .iter()
                .map(|s| (s.code.clone(), s.name_zh.clone()))
                .collect();
            (name, subs)
        })
        .collect()
}

fn type_options(s: &AppState, lang: Lang) -> Vec<(String, String)> {
    s.app
        .hotline()
        .taxonomy()
        .types
        .iter()
        .map(|t| {
            let name = match lang {
                Lang::Zh => t.name_zh.clone(),
                Lang::En => t.name_en.clone(),
            };
            (t.code.clone(), name)
        })
        .collect()
}

/// A category code, subcategory code or type code in words.
fn label(s: &AppState, lang: Lang, code: &str) -> String {
    let taxonomy = s.app.hotline().taxonomy();
    if let Some((_, sub)) = taxonomy.subcategory(code) {
        return sub.name_zh.clone();
    }
    if let Some(c) = taxonomy.categories.iter().find(|c| c.code == code) {
        return match lang {
            Lang::Zh => c.name_zh.clone(),
            Lang::En => c.name_en.clone(),
        };
    }
    if let Some(t) = taxonomy.request_type(code) {
        return match lang {
            Lang::Zh => t.name_zh.clone(),
            Lang::En => t.name_en.clone(),
        };
    }
    code.to_string()
}

fn queue_lines(s: &AppState, lang: Lang, rows: &[RequestRow]) -> Vec<QueueLine> {
    let now = s.app.now();
    rows.iter()
        .map(|r| QueueLine {
            id: r.id,
            summary: r.description.chars().take(60).collect(),
            category: format!(
                "{} · {} · {}",
                label(s, lang, &r.category),
                label(s, lang, &r.subcategory),
                label(s, lang, &r.request_type)
            ),
            region: r.region_name.clone(),
            unit: r.unit_name.clone().unwrap_or_default(),
            state: state_word(lang, &r.state).to_string(),
            overdue: matches!(r.state.as_str(), "dispatched" | "accepted") && r.due_at < now,
            state_code: r.state.clone(),
            due: deadline_text(&s.app, lang, r.due_at),
            transfers: r.transfers,
            review: s.app.hotline().awaits_review(r),
            confidence: format!("{:.0}%", r.confidence * 100.0),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "hotline_desk.html")]
struct DeskPage {
    c: Chrome,
    agent: bool,
    form: RequestSubmission,
    groups: SubcategoryGroups,
    types: Vec<(String, String)>,
    rows: Vec<QueueLine>,
    /// How many of the rows await review.
    reviews: usize,
    message: String,
    chased: String,
}

async fn desk_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    form: RequestSubmission,
    refused: Option<AppError>,
    chased: String,
) -> WebResult {
    let rows = s.app.hotline_queue(actor).await.web(info)?;
    let (status, message) = refusal(refused.as_ref(), info.lang);
    render_status(
        &DeskPage {
            c: chrome(actor, info),
            agent: actor.may(Action::TakeCalls),
            form,
            groups: subcategory_groups(s, info.lang),
            types: type_options(s, info.lang),
            reviews: rows
                .iter()
                .filter(|r| s.app.hotline().awaits_review(r))
                .count(),
            rows: queue_lines(s, info.lang, &rows),
            message,
            chased,
        },
        info,
        status,
    )
}

/// The agent's desk: the call form and the centre's queue.
pub async fn desk(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    queue(&s, &actor, &info).await
}

/// The answering unit's tickets.
pub async fn tickets(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    queue(&s, &actor, &info).await
}

/// The queue page for the centre or a unit (the route has checked the user may act as such).
async fn queue(s: &AppState, actor: &Actor, info: &RequestInfo) -> WebResult {
    desk_page(
        s,
        actor,
        info,
        RequestSubmission::default(),
        None,
        String::new(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct CallForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    subcategory: String,
    #[serde(default)]
    request_type: String,
}

impl CallForm {
    fn submission(self, channel: &str) -> RequestSubmission {
        RequestSubmission {
            channel: channel.into(),
            description: self.description,
            address: self.address,
            contact_name: self.contact_name,
            contact_phone: self.contact_phone,
            contact_email: self.contact_email,
            subcategory: Some(self.subcategory).filter(|c| !c.is_empty()),
            request_type: Some(self.request_type).filter(|c| !c.is_empty()),
            ..RequestSubmission::default()
        }
    }
}

#[derive(Template)]
#[template(path = "hotline_preview.html")]
struct PreviewFragment {
    t: &'static crate::i18n::Texts,
    category: String,
    subcategory: String,
    request_type: String,
    place: String,
    unit: String,
    confidence: String,
    empty: bool,
}

/// The classification of what is typed so far (htmx fragment under the form).
pub async fn preview(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<CallForm>,
) -> WebResult {
    let text = format!("{} {}", f.description, f.address);
    let t = info.lang.texts();
    if f.description.trim().chars().count() < 4 {
        return render(
            &PreviewFragment {
                t,
                category: String::new(),
                subcategory: String::new(),
                request_type: String::new(),
                place: String::new(),
                unit: String::new(),
                confidence: String::new(),
                empty: true,
            },
            &info,
        );
    }
    let c = s.app.classify_request(&actor, &text).await.web(&info)?;
    let place = [c.district.clone(), c.town.clone(), c.zone.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    render(
        &PreviewFragment {
            t,
            category: c.category.clone(),
            subcategory: label(&s, info.lang, &c.subcategory),
            request_type: label(&s, info.lang, &c.type_code),
            place,
            unit: c.unit.clone(),
            confidence: format!("{:.0}%", c.confidence * 100.0),
            empty: false,
        },
        &info,
    )
}

/// Takes the call: creates the ticket and opens it (with any duplicates offered there).
pub async fn take_call(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<CallForm>,
) -> WebResult {
    let submission = f.submission("phone");
    match s.app.submit_request(&actor, &submission).await {
        Ok(taken) => Ok(Redirect::to(&format!("/hotline/requests/{}", taken.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            desk_page(&s, &actor, &info, submission, Some(e), String::new()).await
        }
        Err(e) => Err(WebError::new(e, &info)),
    }
}

/// Chases every overdue ticket now (the centre's daily round).
pub async fn chase(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    let done = s.app.chase_requests(&actor).await.web(&info)?;
    let escalated = done.iter().filter(|(_, e)| *e).count();
    let note = format!("{} / {escalated}", done.len());
    desk_page(&s, &actor, &info, RequestSubmission::default(), None, note).await
}

#[derive(Template)]
#[template(path = "hotline_request.html")]
struct RequestPage {
    c: Chrome,
    r: RequestRow,
    category: String,
    subcategory: String,
    request_type: String,
    state: String,
    created: String,
    due: String,
    overdue: bool,
    events: Vec<(String, String, String, String, String)>,
    agent: bool,
    own_unit: bool,
    contact_visible: bool,
    duplicates: Vec<hotline::DuplicateCandidate>,
    groups: SubcategoryGroups,
    types: Vec<(String, String)>,
    /// Units the request's subcategory names (id, name, region), offered first.
    suggested_units: Vec<(i64, String, String)>,
    /// The other units it may go to.
    other_units: Vec<(i64, String, String)>,
    message: String,
}

async fn request_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    as_role: Action,
    refused: Option<AppError>,
) -> WebResult {
    let lang = info.lang;
    let detail = s.app.hotline_request(actor, id, as_role).await.web(info)?;
    let agent = as_role == Action::TakeCalls;
    let r = detail.request;
    let duplicates = if agent && matches!(r.state.as_str(), "centre" | "dispatched" | "accepted") {
        s.app.duplicates_of(actor, id).await.web(info)?
    } else {
        Vec::new()
    };
    let choices = if agent && r.state == "centre" {
        s.app
            .dispatch_choices(actor, &r.subcategory, r.district_code)
            .await
            .web(info)?
    } else {
        Default::default()
    };
    let unit_line = |u: minsheng_app::hotline::DispatchUnit| (u.id, u.name, u.region_name);
    let suggested_units: Vec<(i64, String, String)> =
        choices.suggested.into_iter().map(unit_line).collect();
    let other_units: Vec<(i64, String, String)> =
        choices.others.into_iter().map(unit_line).collect();
    let events = detail
        .events
        .iter()
        .map(|e| {
            (
                format_millis(e.at),
                minsheng_i18n::word(lang, "hotline_event", &e.kind).to_string(),
                crate::html::who_words(lang, &e.display_name),
                e.unit_name.clone().unwrap_or_default(),
                if e.note.is_empty() {
                    e.public_note.clone()
                } else {
                    e.note.clone()
                },
            )
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), lang);
    render_status(
        &RequestPage {
            c: chrome(actor, info),
            category: label(s, lang, &r.category),
            subcategory: label(s, lang, &r.subcategory),
            request_type: label(s, lang, &r.request_type),
            state: state_word(lang, &r.state).to_string(),
            created: format_millis(r.created_at),
            due: deadline_text(&s.app, lang, r.due_at),
            overdue: matches!(r.state.as_str(), "dispatched" | "accepted")
                && r.due_at < s.app.now(),
            events,
            agent,
            own_unit: r.unit_id.is_some() && r.unit_id == actor.unit_id(),
            contact_visible: detail.contact_visible,
            duplicates,
            groups: subcategory_groups(s, lang),
            types: type_options(s, lang),
            suggested_units,
            other_units,
            message,
            r,
        },
        info,
        status,
    )
}

/// A request as the centre sees it.
pub async fn request(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    request_page(&s, &actor, &info, id, Action::TakeCalls, None).await
}

/// A ticket as its answering unit sees it.
pub async fn ticket(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    request_page(&s, &actor, &info, id, Action::AnswerTickets, None).await
}

#[derive(Deserialize)]
pub struct StepForm {
    version: i64,
    step: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reply: String,
    #[serde(default)]
    resolved: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    grant: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    subcategory: String,
    #[serde(default)]
    request_type: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    into: String,
    #[serde(default)]
    town_code: String,
    #[serde(default)]
    person_name: String,
}

fn number(field: &str, text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, msg!("a-number")))
}

/// A step the centre takes on a request.
pub async fn centre_step(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> WebResult {
    let app = &s.app;
    let v = f.version;
    let done = match f.step.as_str() {
        "correct" => {
            app.correct_request(&actor, id, v, &f.subcategory, &f.request_type)
                .await
        }
        "dispatch" => match number("unit_id", &f.unit_id) {
            Ok(unit) => app.dispatch_request(&actor, id, v, unit).await,
            Err(e) => Err(e),
        },
        "extension" => app.decide_extension(&actor, id, v, f.grant == "yes").await,
        "callback" => {
            app.record_callback(&actor, id, v, &f.satisfaction, &f.reason)
                .await
        }
        "reopen" => app.reopen_request(&actor, id, v, &f.reason).await,
        "merge" => match number("into", &f.into) {
            Ok(into) => app.merge_request(&actor, id, v, into).await,
            Err(e) => Err(e),
        },
        "clue" => app
            .request_to_clue(
                &actor,
                id,
                v,
                Some(f.town_code.as_str()),
                &f.person_name,
                "normal",
            )
            .await
            .map(|_| ()),
        _ => Err(AppError::invalid("step", msg!("centre-step-choices"))),
    };
    after_step(&s, &actor, &info, id, Action::TakeCalls, done).await
}

/// A step the answering unit takes on a request.
pub async fn unit_step(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> WebResult {
    let app = &s.app;
    let v = f.version;
    let done = match f.step.as_str() {
        "accept" => app.accept_request(&actor, id, v).await,
        "return" => app.return_request(&actor, id, v, &f.reason).await,
        "extension" => match number("days", &f.days) {
            Ok(days) => app.request_extension(&actor, id, v, days, &f.reason).await,
            Err(e) => Err(e),
        },
        "reply" => {
            app.reply_request(&actor, id, v, &f.reply, f.resolved == "yes")
                .await
        }
        _ => Err(AppError::invalid("step", msg!("unit-step-choices"))),
    };
    after_step(&s, &actor, &info, id, Action::AnswerTickets, done).await
}

async fn after_step(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    as_role: Action,
    done: Result<(), AppError>,
) -> WebResult {
    let page = if as_role == Action::TakeCalls {
        format!("/hotline/requests/{id}")
    } else {
        format!("/hotline/tickets/{id}")
    };
    match done {
        // A unit that returned a ticket no longer sees it: back to its list.
        Ok(()) if as_role == Action::AnswerTickets => {
            match s.app.hotline_request(actor, id, as_role).await {
                Ok(_) => Ok(Redirect::to(&page).into_response()),
                Err(_) => Ok(Redirect::to("/hotline/tickets").into_response()),
            }
        }
        Ok(()) => Ok(Redirect::to(&page).into_response()),
        Err(e) if is_form_error(&e) => request_page(s, actor, info, id, as_role, Some(e)).await,
        Err(e) => Err(WebError::new(e, info)),
    }
}

// ---------- public pages ----------

/// The frame of a public page: signed in or not, nothing personal.
pub(crate) fn public_chrome(info: &RequestInfo) -> Chrome {
    chrome(&outside_actor("", &info.ip), info)
}

#[derive(Template)]
#[template(path = "hotline_public.html")]
struct PublicFormPage {
    c: Chrome,
    form: RequestSubmission,
    message: String,
    taken: Option<IntakeResult>,
}

pub async fn public_form(Info(info): Info) -> WebResult {
    render(
        &PublicFormPage {
            c: public_chrome(&info),
            form: RequestSubmission::default(),
            message: String::new(),
            taken: None,
        },
        &info,
    )
}

/// A citizen's request from the public form (no sign-in; the contact is kept private).
pub async fn public_submit(
    State(s): State<AppState>,
    Info(info): Info,
    Form(f): Form<CallForm>,
) -> WebResult {
    let mut submission = f.submission("web");
    // Citizens do not classify their own requests; the model and the centre do.
    submission.subcategory = None;
    submission.request_type = None;
    let citizen = outside_actor("public:web", &info.ip);
    match s.app.submit_request(&citizen, &submission).await {
        Ok(taken) => render(
            &PublicFormPage {
                c: public_chrome(&info),
                form: RequestSubmission::default(),
                message: String::new(),
                taken: Some(taken),
            },
            &info,
        ),
        Err(e) if is_form_error(&e) => {
            let (status, message) = refusal(Some(&e), info.lang);
            render_status(
                &PublicFormPage {
                    c: public_chrome(&info),
                    form: submission,
                    message,
                    taken: None,
                },
                &info,
                status,
            )
        }
        Err(e) => Err(WebError::new(e, &info)),
    }
}

#[derive(Template)]
#[template(path = "hotline_status.html")]
struct StatusPage {
    c: Chrome,
    r: PublicRequest,
    state: String,
    created: String,
    updated: String,
}

/// A request's progress as anyone may see it.
pub async fn public_status(
    State(s): State<AppState>,
    Info(info): Info,
    Path(id): Path<i64>,
) -> WebResult {
    let r = s.app.public_request(id).await.web(&info)?;
    render(
        &StatusPage {
            c: public_chrome(&info),
            state: state_word(info.lang, &r.state).to_string(),
            created: format_millis(r.created_at),
            updated: format_millis(r.updated_at),
            r,
        },
        &info,
    )
}

#[derive(Deserialize, Default)]
pub struct WeekParam {
    #[serde(default)]
    week: Option<String>,
}

#[derive(Template)]
#[template(path = "hotline_ranking.html")]
struct RankingPage {
    c: Chrome,
    ranking: hotline::WeeklyRanking,
    bars: Chart,
    previous: String,
    next: String,
}

/// The weekly hot-topic ranking: public, no personal data.
pub async fn ranking(
    State(s): State<AppState>,
    Info(info): Info,
    Query(q): Query<WeekParam>,
) -> WebResult {
    let week = hotline::week_or_this(q.week.as_deref(), s.app.today());
    let ranking = s.app.weekly_ranking(&week).await.web(&info)?;
    let t = info.lang.texts();
    let mut bars = Chart::new(
        "ranking-chart",
        ChartKind::Bar,
        t.hotline_ranking,
        t.category,
        &[t.count, t.share],
    );
    for (i, c) in ranking.categories.iter().enumerate() {
        let name = match info.lang {
            Lang::Zh => &c.name_zh,
            Lang::En => &c.name_en,
        };
        bars = bars.row(
            format!("{}. {name}", i + 1),
            &[
                (c.count as f64, c.count.to_string()),
                (c.share, format!("{:.1}%", c.share)),
            ],
        );
    }
    let monday = hotline::parse_week(&ranking.week).map_err(|_| {
        WebError::new(
            AppError::invalid("week", msg!("not-a-week", text = &ranking.week)),
            &info,
        )
    })?;
    let previous = hotline::week_of(monday - time::Duration::days(7));
    let next = hotline::week_of(monday + time::Duration::days(7));
    render(
        &RankingPage {
            c: public_chrome(&info),
            ranking,
            bars,
            previous,
            next,
        },
        &info,
    )
}

pub async fn ranking_xlsx(
    State(s): State<AppState>,
    Info(info): Info,
    Query(q): Query<WeekParam>,
) -> WebResult {
    let week = hotline::week_or_this(q.week.as_deref(), s.app.today());
    let bytes = s.app.export_weekly_ranking(&week).await.web(&info)?;
    Ok(xlsx_response(bytes, "12345-ranking.xlsx"))
}

/// One retraining as the models page shows it.
struct ModelLine {
    id: i64,
    at: String,
    labels: i64,
    new_labels: i64,
    before_f1: String,
    after_f1: String,
    before_ece: String,
    after_ece: String,
    activated: bool,
    outcome: String,
}

#[derive(Template)]
#[template(path = "hotline_models.html")]
struct ModelsPage {
    c: Chrome,
    rows: Vec<ModelLine>,
}

/// (category macro-F1, calibration error) of stored figures, as shown.
fn figures_text(json: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let f1 = v["reference"]["category"]["macro_f1"].as_f64();
    let ece = v["reference"]["confidence"]["ece"].as_f64();
    (
        f1.map_or_else(String::new, |f| format!("{f:.3}")),
        ece.map_or_else(String::new, |e| format!("{e:.3}")),
    )
}

/// The classifier's retrainings with their held-out figures, and a button to retrain now.
pub async fn models(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    let rows = s.app.hotline_models(&actor).await.web(&info)?;
    // The new model's corrections are those it learned beyond the one before it.
    let lines = rows
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (before_f1, before_ece) = figures_text(&m.before_figures);
            let (after_f1, after_ece) = figures_text(&m.after_figures);
            let previous = rows.get(i + 1).map_or(0, |p| p.labels);
            ModelLine {
                id: m.id,
                at: format_millis(m.trained_at),
                labels: m.labels,
                new_labels: (m.labels - previous).max(0),
                before_f1,
                after_f1,
                before_ece,
                after_ece,
                activated: m.activated,
                outcome: minsheng_i18n::word(info.lang, "retrain_reason", &m.reason).to_string(),
            }
        })
        .collect();
    render(
        &ModelsPage {
            c: chrome(&actor, &info),
            rows: lines,
        },
        &info,
    )
}

/// Retrains now (as the weekly job does) and shows the result.
pub async fn retrain(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    s.app.retrain_classifier(&actor).await.web(&info)?;
    Ok(Redirect::to("/hotline/models").into_response())
}
