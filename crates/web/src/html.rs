//! HTML pages. Each handler calls one use case and renders one template; htmx requests get
//! only the fragment they replace.

use crate::charts::{Chart, ChartKind};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minsheng_app::AuditFilter;
use minsheng_app::admin::NewUserInput;
use minsheng_app::export::ExportFormat;
use minsheng_app::registry::{
    DistrictFigures, HouseholdDetail, HouseholdInput, HouseholdView, ListQuery, MemberInput, Page,
    PersonDetail, PersonView,
};
use minsheng_app::{Actor, AppError};
use minsheng_domain::time_util::format_millis;
use minsheng_domain::{Action, RegionCode, Role, UnitKind, relation};
use minsheng_i18n::msg;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{
    Authed, Info, LANG_COOKIE, LOGIN_CSRF_COOKIE, RequestInfo, SESSION_COOKIE, SessionToken,
    cookie, set_cookie,
};
use crate::error::{WebError, status_of, urlencode};
use crate::i18n::{Lang, Texts};

pub(crate) type WebResult = Result<Response, WebError>;

/// Turns a use-case error into the web error of this request.
pub(crate) trait OrWeb<T> {
    fn web(self, info: &RequestInfo) -> Result<T, WebError>;
}

impl<T> OrWeb<T> for Result<T, AppError> {
    fn web(self, info: &RequestInfo) -> Result<T, WebError> {
        self.map_err(|e| WebError::new(e, info))
    }
}

/// A workbook download.
pub(crate) fn xlsx_response(bytes: Vec<u8>, filename: &'static str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(minsheng_app::export::ExportFormat::Xlsx.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

pub(crate) fn render<T: Template>(template: &T, info: &RequestInfo) -> WebResult {
    render_status(template, info, StatusCode::OK)
}

pub(crate) fn render_status<T: Template>(
    template: &T,
    info: &RequestInfo,
    status: StatusCode,
) -> WebResult {
    let html = template
        .render()
        .map_err(|e| WebError::new(AppError::Internal(e.to_string()), info))?;
    Ok((status, Html(html)).into_response())
}

/// The frame around every signed-in page.
pub struct Chrome {
    pub t: &'static Texts,
    pub lang: Lang,
    pub html_lang: &'static str,
    pub user_display: String,
    pub unit_name: String,
    pub csrf: String,
    pub nav: Vec<(&'static str, &'static str, bool)>,
    pub path_encoded: String,
    pub english: bool,
    /// The banner of a missing working-day schedule, for those who may import it.
    pub calendar_banner: String,
}

impl Chrome {
    /// A stored code's word in the page's language (`words.ftl`), for templates.
    pub fn word<'a>(&self, group: &str, code: &'a str) -> &'a str {
        minsheng_i18n::word(self.lang, group, code)
    }
}

pub(crate) fn chrome(actor: &Actor, info: &RequestInfo) -> Chrome {
    let t = info.lang.texts();
    let entries: [(&str, &str, Action); 28] = [
        ("/", t.home, Action::UseAccount),
        ("/hotline", t.hotline_desk, Action::TakeCalls),
        ("/hotline/tickets", t.hotline_tickets, Action::AnswerTickets),
        ("/clues/new", t.report_clue, Action::ReportClue),
        ("/clues/mine", t.my_clues, Action::ReportClue),
        ("/inbox", t.inbox, Action::ViewLeads),
        ("/sweeps", t.sweeps, Action::RunSweeps),
        ("/groups", t.groups, Action::ManageGroups),
        ("/figures", t.figures, Action::ViewFigures),
        ("/assessments", t.assessments, Action::ViewHouseholds),
        ("/referrals", t.referral_inbox, Action::HandleReferrals),
        ("/followups", t.followups, Action::ManageHelp),
        ("/funds", t.reserve_funds, Action::ManageFunds),
        ("/resources", t.res_nav, Action::ManageResources),
        ("/provider", t.res_provider_nav, Action::ProvideResources),
        ("/grid", t.grid_network, Action::OperateGrid),
        ("/grid/alarms", t.grid_alarms, Action::OperateGrid),
        (
            "/grid/dependents",
            t.grid_dependents,
            Action::LinkPowerDependents,
        ),
        ("/households", t.households, Action::ViewHouseholds),
        ("/persons", t.persons, Action::ViewHouseholds),
        ("/regions", t.regions, Action::ViewRegions),
        ("/units", t.units, Action::ViewUnits),
        ("/units/channels", t.channels, Action::ManageUnits),
        ("/users", t.users, Action::ManageUsers),
        (
            "/hotline/models",
            t.hotline_models,
            Action::RetrainClassifier,
        ),
        ("/audit", t.audit, Action::ViewAudit),
        ("/models", t.models, Action::UseAccount),
        ("/account", t.account, Action::UseAccount),
    ];
    let nav = entries
        .into_iter()
        .filter(|(_, _, action)| actor.may(*action))
        .map(|(href, label, _)| {
            let active = if href == "/" {
                info.path == "/"
            } else {
                info.path.starts_with(href)
            };
            (href, label, active)
        })
        .collect();
    Chrome {
        lang: info.lang,
        t,
        html_lang: info.lang.html_lang(),
        user_display: actor.display_name().to_string(),
        unit_name: actor.unit_name().to_string(),
        csrf: actor.csrf_token().to_string(),
        nav,
        path_encoded: if info.query.is_empty() {
            urlencode(&info.path)
        } else {
            urlencode(&format!("{}?{}", info.path, info.query))
        },
        english: info.lang == Lang::En,
        calendar_banner: match info.calendar_missing {
            Some(year) if actor.may(Action::ManageRegions) => {
                format!("{year}{}", t.calendar_missing_banner)
            }
            _ => String::new(),
        },
    }
}

/// A deadline as pages show it: its date and time, marked provisional (暂定) when it falls in
/// a year whose official working-day schedule is not loaded (counted on weekends only).
pub(crate) fn deadline_text(app: &minsheng_app::App, lang: Lang, millis: i64) -> String {
    marked(app, lang, millis, format_millis(millis))
}

/// A deadline's date alone (a visit's), marked provisional like [`deadline_text`].
pub(crate) fn deadline_date(app: &minsheng_app::App, lang: Lang, millis: i64) -> String {
    marked(app, lang, millis, minsheng_app::discovery::due_date(millis))
}

fn marked(app: &minsheng_app::App, lang: Lang, millis: i64, mut text: String) -> String {
    if app.provisional(millis) {
        text.push_str(lang.texts().provisional);
    }
    text
}

/// A message for a form that was refused, in the user's language.
pub(crate) fn form_message(e: &AppError, lang: Lang) -> String {
    let t = lang.texts();
    match e {
        AppError::Invalid(fields) => {
            let list: Vec<String> = fields
                .iter()
                .map(|f| {
                    let (field, message) = crate::error::field_line(f, lang);
                    format!("{field}{}{message}", t.colon)
                })
                .collect();
            format!("{}{}", t.invalid, list.join(t.list_separator))
        }
        AppError::Stale => t.stale.to_string(),
        AppError::Conflict(message) => message.render(lang),
        other => crate::error::WebError::message_for(other, lang),
    }
}

/// Only same-origin paths may be redirect targets: one leading `/` not followed by another
/// `/` or `\`, no backslash, no control or space character anywhere (browsers drop tabs and
/// line breaks from URLs, so `/\t/evil.example` would become `//evil.example`), and bounded.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    const MAX_NEXT: usize = 2048;
    match next {
        Some(n)
            if n.len() <= MAX_NEXT
                && n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

// ---------- home, sign-in, language ----------

/// Households and persons by region of the reader's area.
fn chart(lang: Lang, figures: Vec<DistrictFigures>) -> Chart {
    let t = lang.texts();
    let mut chart = Chart::new(
        "households-by-region",
        ChartKind::Bar,
        t.households_by_region,
        t.region,
        &[t.households, t.persons],
    );
    for f in figures {
        chart = chart.row(
            f.name,
            &[
                (f.households as f64, f.households.to_string()),
                (f.persons as f64, f.persons.to_string()),
            ],
        );
    }
    chart
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    roles: String,
    area: String,
    can_see_households: bool,
    can_report_clues: bool,
    figures: Option<Chart>,
}

pub async fn home(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    let figures = if actor.may(Action::ViewFigures) {
        Some(chart(info.lang, s.app.figures(&actor).await.web(&info)?))
    } else {
        None
    };
    let roles: Vec<&str> = actor.roles().iter().map(|r| r.label(info.lang)).collect();
    let page = HomePage {
        roles: roles.join("、"),
        area: s.app.area_label(&actor).await.web(&info)?,
        can_see_households: actor.may(Action::ViewHouseholds),
        can_report_clues: actor.may(Action::ReportClue),
        figures,
        c: chrome(&actor, &info),
    };
    render(&page, &info)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: &'a Texts,
    html_lang: &'a str,
    csrf: String,
    next: String,
    username: String,
    message: String,
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

fn login_page_response(
    info: &RequestInfo,
    next: String,
    username: String,
    message: String,
    status: StatusCode,
    secure: bool,
) -> WebResult {
    let csrf = minsheng_app::auth::random_token();
    let page = LoginPage {
        t: info.lang.texts(),
        html_lang: info.lang.html_lang(),
        csrf: csrf.clone(),
        next,
        username,
        message,
    };
    let mut response = render_status(&page, info, status)?;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, true, secure),
    );
    Ok(response)
}

pub async fn login_page(
    State(s): State<AppState>,
    Info(info): Info,
    Query(q): Query<NextParam>,
) -> WebResult {
    login_page_response(
        &info,
        safe_next(q.next.as_deref()),
        String::new(),
        String::new(),
        StatusCode::OK,
        s.config.secure_cookies,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login_submit(
    State(s): State<AppState>,
    Info(info): Info,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> WebResult {
    let next = safe_next(form.next.as_deref());
    let secure = s.config.secure_cookies;
    // Double-submit check against login CSRF (someone signing you in as them).
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || expected != form.csrf_token {
        let t = info.lang.texts();
        return login_page_response(
            &info,
            next,
            form.username,
            t.csrf_failed.into(),
            StatusCode::FORBIDDEN,
            secure,
        );
    }
    match s.app.login(&form.username, &form.password, &info.ip).await {
        Ok(session) => {
            let mut response = see_other(&next);
            let max_age = s.app.settings().session_idle_millis / 1000;
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.token, max_age, true, secure),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", 0, true, secure),
            );
            Ok(response)
        }
        Err(e @ (AppError::Unauthenticated | AppError::Locked(_))) => {
            let t = info.lang.texts();
            let (message, status) = match e {
                AppError::Locked(seconds) => (
                    format!("{}{seconds}", t.locked),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                _ => (t.login_failed.to_string(), StatusCode::UNAUTHORIZED),
            };
            // Whatever was sent, the page shows back a name of bounded length.
            let shown: String = form
                .username
                .chars()
                .take(minsheng_app::auth::MAX_USERNAME_CHARS)
                .collect();
            login_page_response(&info, next, shown, message, status, secure)
        }
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub async fn logout(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    SessionToken(token): SessionToken,
) -> WebResult {
    if let Some(token) = token {
        s.app.logout(&token, &actor).await.web(&info)?;
    }
    let mut response = see_other("/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, true, s.config.secure_cookies),
    );
    Ok(response)
}

pub async fn switch_language(Path(code): Path<String>, Query(q): Query<NextParam>) -> Response {
    let lang = Lang::from_code(&code);
    let mut response = see_other(&safe_next(q.next.as_deref()));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, lang.code(), 365 * 86_400, false, false),
    );
    response
}

// ---------- households and persons ----------

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    per_page: Option<i64>,
}

impl ListParams {
    pub fn to_query(&self) -> ListQuery {
        ListQuery {
            q: Some(self.q.clone()),
            region: Some(self.region.clone()),
            page: self.page.unwrap_or(1),
            per_page: self.per_page.unwrap_or(20),
        }
    }
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    c: Chrome,
    q: String,
    q_encoded: String,
    region: String,
    page: Page<HouseholdView>,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "households_results.html")]
struct HouseholdsResults {
    c: Chrome,
    q_encoded: String,
    region: String,
    page: Page<HouseholdView>,
}

pub async fn households(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<ListParams>,
) -> WebResult {
    let page = s
        .app
        .list_households(&actor, &p.to_query())
        .await
        .web(&info)?;
    let c = chrome(&actor, &info);
    if info.is_htmx {
        return render(
            &HouseholdsResults {
                c,
                q_encoded: urlencode(&p.q),
                region: p.region,
                page,
            },
            &info,
        );
    }
    render(
        &HouseholdsPage {
            c,
            q_encoded: urlencode(&p.q),
            q: p.q,
            region: p.region,
            page,
            can_edit: actor.may(Action::EditHouseholds),
        },
        &info,
    )
}

#[derive(Deserialize, Default)]
pub struct ExportParams {
    #[serde(default)]
    format: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    region: String,
}

/// The list as a download: the same households as the list shows, masked, audited.
pub async fn households_export(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<ExportParams>,
) -> WebResult {
    let format = ExportFormat::from_code(&p.format)
        .ok_or_else(|| WebError::new(AppError::invalid("format", msg!("export-format")), &info))?;
    let query = ListQuery {
        q: Some(p.q),
        region: Some(p.region),
        ..ListQuery::default()
    };
    let bytes = s
        .app
        .export_households(&actor, &query, format)
        .await
        .web(&info)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let disposition = format!("attachment; filename=\"households.{}\"", format.extension());
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    c: Chrome,
    d: HouseholdDetail,
    updated_at: String,
    saved: bool,
    message: String,
    can_edit: bool,
    can_reveal: bool,
    relations: Vec<(&'static str, &'static str)>,
    file: Option<minsheng_app::discovery::FileRow>,
    file_state_label: String,
    file_states: Vec<(&'static str, String)>,
    can_manage_file: bool,
    /// (time, who, what kind of line, text, the record it links to)
    timeline: Vec<(String, String, String, String, String)>,
    assessment: Option<minsheng_app::assessment::CurrentAssessment>,
    assessment_valid_until: String,
    can_assign: bool,
    can_manage_resources: bool,
    /// Unpaid emergency cases: (label, time left or overdue, overdue).
    emergencies: Vec<(String, String, bool)>,
}

#[derive(Deserialize, Default)]
pub struct SavedParam {
    #[serde(default)]
    saved: Option<String>,
}

async fn household_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    saved: bool,
    refused: Option<AppError>,
) -> WebResult {
    let d = s.app.household_detail(actor, id).await.web(info)?;
    let assessment = s.app.current_assessment(actor, id).await.web(info)?;
    let now = s.app.now();
    let emergencies = s
        .app
        .unpaid_emergencies(actor, id)
        .await
        .web(info)?
        .into_iter()
        .map(|e| {
            let left = e.due_at - now;
            let t = info.lang.texts();
            let clock = if left < 0 {
                format!("{} #{}：{}", t.emergency_aid, e.id, t.overdue)
            } else {
                format!(
                    "{} #{}：{} {} {}",
                    t.emergency_aid,
                    e.id,
                    t.time_left,
                    left / 3_600_000,
                    t.hours
                )
            };
            (e.item_code, clock, left < 0)
        })
        .collect();
    let (file, timeline) = (d.file.clone(), d.timeline.clone());
    let lang = info.lang;
    let timeline = timeline
        .into_iter()
        .map(|t| {
            let kind = minsheng_i18n::word(lang, "timeline", &t.kind).to_string();
            let link = timeline_link(d.household.id, &t.kind, t.record_id);
            (
                format_millis(t.at),
                who_words(lang, &t.who),
                kind,
                t.text,
                link,
            )
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = HouseholdPage {
        updated_at: format_millis(d.household.updated_at),
        d,
        saved,
        message,
        can_edit: actor.may(Action::EditHouseholds),
        can_reveal: actor.may(Action::RevealIdNumber),
        relations: relation::RELATIONS.iter().map(|r| (r.0, r.1)).collect(),
        file_state_label: file
            .as_ref()
            .map(|f| crate::discovery_pages::label(lang, &f.state).to_string())
            .unwrap_or_default(),
        file_states: minsheng_app::discovery::FILE_STATES
            .iter()
            .map(|st| (*st, crate::discovery_pages::label(lang, st).to_string()))
            .collect(),
        can_manage_file: actor.may(Action::ManageFiles),
        file,
        timeline,
        assessment_valid_until: assessment
            .as_ref()
            .and_then(|a| a.valid_until)
            .map(format_millis)
            .unwrap_or_default(),
        assessment,
        can_assign: actor.may(Action::AssignAssessments),
        can_manage_resources: actor.may(Action::ManageResources),
        emergencies,
        c: chrome(actor, info),
    };
    render_status(&page, info, status)
}

/// How a page answers a refused form: the status, and the message shown above the form.
pub(crate) fn refusal(refused: Option<&AppError>, lang: Lang) -> (StatusCode, String) {
    match refused {
        Some(e) => (status_of(e), form_message(e, lang)),
        None => (StatusCode::OK, String::new()),
    }
}

/// Who wrote a record, in words: a person's display name as it is; the demo generator and
/// the command line (which are no signed-in person) by the catalog's word.
pub(crate) fn who_words(lang: Lang, who: &str) -> String {
    if who == "demo" {
        return minsheng_i18n::word(lang, "actor", "demo").to_string();
    }
    if who.starts_with("cli:") {
        return minsheng_i18n::word(lang, "actor", "command_line").to_string();
    }
    who.to_string()
}

/// Where a household's timeline line leads: the lead of a clue or visit, the assessment, the
/// help page for plans, referrals, payments and follow-ups, the resources page for matches.
fn timeline_link(household: i64, kind: &str, record: Option<i64>) -> String {
    match (kind, record) {
        ("clue" | "visit", Some(lead)) => format!("/leads/{lead}"),
        ("assessment", Some(id)) => format!("/assessments/{id}"),
        ("plan" | "referral" | "benefit" | "emergency" | "followup", _) => {
            format!("/households/{household}/help")
        }
        ("resources", _) => format!("/households/{household}/resources"),
        _ => String::new(),
    }
}

/// Form errors are shown on the page they came from; anything else is an error page.
pub(crate) fn is_form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid(_) | AppError::Stale | AppError::Conflict(_)
    )
}

pub async fn household(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Query(q): Query<SavedParam>,
) -> WebResult {
    household_page(&s, &actor, &info, id, q.saved.is_some(), None).await
}

#[derive(Template)]
#[template(path = "household_new.html")]
struct HouseholdNewPage {
    c: Chrome,
    address: String,
    region_code: String,
    message: String,
}

pub async fn household_new(Authed(actor, info): Authed) -> WebResult {
    render(
        &HouseholdNewPage {
            c: chrome(&actor, &info),
            address: String::new(),
            region_code: String::new(),
            message: String::new(),
        },
        &info,
    )
}

pub async fn household_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(input): Form<HouseholdInput>,
) -> WebResult {
    match s.app.create_household(&actor, &input).await {
        Ok(id) => Ok(see_other(&format!("/households/{id}?saved=1"))),
        Err(e) if is_form_error(&e) => {
            let status = status_of(&e);
            render_status(
                &HouseholdNewPage {
                    c: chrome(&actor, &info),
                    address: input.address,
                    region_code: input.region_code,
                    message: form_message(&e, info.lang),
                },
                &info,
                status,
            )
        }
        Err(e) => Err(WebError::new(e, &info)),
    }
}

#[derive(Deserialize)]
pub struct HouseholdForm {
    version: i64,
    address: String,
    region_code: String,
}

pub async fn household_save(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(form): Form<HouseholdForm>,
) -> WebResult {
    let input = HouseholdInput {
        region_code: form.region_code,
        address: form.address,
    };
    match s
        .app
        .update_household(&actor, id, form.version, &input)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/households/{id}?saved=1"))),
        Err(e) if is_form_error(&e) => household_page(&s, &actor, &info, id, false, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub async fn household_add_member(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(input): Form<MemberInput>,
) -> WebResult {
    match s.app.add_member(&actor, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/households/{id}?saved=1"))),
        Err(e) if is_form_error(&e) => household_page(&s, &actor, &info, id, false, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

#[derive(Template)]
#[template(path = "persons.html")]
struct PersonsPage {
    c: Chrome,
    q: String,
    q_encoded: String,
    region: String,
    page: Page<PersonView>,
}

pub async fn persons(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<ListParams>,
) -> WebResult {
    let page = s.app.list_persons(&actor, &p.to_query()).await.web(&info)?;
    render(
        &PersonsPage {
            c: chrome(&actor, &info),
            q_encoded: urlencode(&p.q),
            q: p.q,
            region: p.region,
            page,
        },
        &info,
    )
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    c: Chrome,
    d: PersonDetail,
    history: Vec<(i64, String, String, String, String)>,
    saved: bool,
    message: String,
    can_edit: bool,
    can_reveal: bool,
}

async fn person_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    saved: bool,
    refused: Option<AppError>,
) -> WebResult {
    let d = s.app.person_detail(actor, id).await.web(info)?;
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let history = d
        .history
        .iter()
        .map(|h| {
            let label = match info.lang {
                Lang::Zh => relation::relation_label_zh(&h.relation_code),
                Lang::En => relation::relation_label_en(&h.relation_code),
            };
            (
                h.household_id,
                h.address.clone(),
                label.unwrap_or(&h.relation_code).to_string(),
                format_millis(h.joined_at),
                h.left_at.map(format_millis).unwrap_or_default(),
            )
        })
        .collect();
    let page = PersonPage {
        d,
        history,
        saved,
        message,
        can_edit: actor.may(Action::EditHouseholds),
        can_reveal: actor.may(Action::RevealIdNumber),
        c: chrome(actor, info),
    };
    render_status(&page, info, status)
}

pub async fn person(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Query(q): Query<SavedParam>,
) -> WebResult {
    person_page(&s, &actor, &info, id, q.saved.is_some(), None).await
}

#[derive(Deserialize)]
pub struct PersonForm {
    version: i64,
    name: String,
    #[serde(default)]
    phone: Option<String>,
}

pub async fn person_save(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(form): Form<PersonForm>,
) -> WebResult {
    match s
        .app
        .update_person(&actor, id, form.version, &form.name, form.phone.as_deref())
        .await
    {
        Ok(()) => Ok(see_other(&format!("/persons/{id}?saved=1"))),
        Err(e) if is_form_error(&e) => person_page(&s, &actor, &info, id, false, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

/// Answers an htmx click with the full number in place of the masked one.
pub async fn person_reveal(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    let full = s.app.reveal_id_number(&actor, id).await.web(&info)?;
    let escaped: String = full.chars().filter(char::is_ascii_alphanumeric).collect();
    Ok(Html(format!(
        "<span id=\"id-{id}\" class=\"mono revealed\">{escaped}</span>"
    ))
    .into_response())
}

// ---------- regions, units, users ----------

#[derive(Template)]
#[template(path = "regions.html")]
struct RegionsPage {
    c: Chrome,
    b: minsheng_app::admin::RegionBranch,
    node_code: String,
    can_add_community: bool,
    message: String,
}

async fn region_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    code: Option<RegionCode>,
) -> WebResult {
    let b = s.app.region_children(actor, code).await.web(info)?;
    let is_town = code.is_some_and(|c| c.level() == minsheng_domain::RegionLevel::Town);
    render(
        &RegionsPage {
            c: chrome(actor, info),
            node_code: code.map(|c| c.short()).unwrap_or_default(),
            can_add_community: is_town && actor.may(Action::ManageRegions),
            message: String::new(),
            b,
        },
        info,
    )
}

pub async fn regions(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    region_page(&s, &actor, &info, None).await
}

fn parse_region(code: &str, info: &RequestInfo) -> Result<RegionCode, WebError> {
    RegionCode::parse(code).map_err(|_| WebError::new(AppError::NotFound, info))
}

pub async fn region(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(code): Path<String>,
) -> WebResult {
    let code = parse_region(&code, &info)?;
    region_page(&s, &actor, &info, Some(code)).await
}

#[derive(Deserialize)]
pub struct CommunityForm {
    name: String,
    #[serde(default)]
    code: String,
}

pub async fn region_add_community(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(code): Path<String>,
    Form(form): Form<CommunityForm>,
) -> WebResult {
    let town = parse_region(&code, &info)?;
    let community = if form.code.trim().is_empty() {
        None
    } else {
        Some(
            RegionCode::parse(&form.code)
                .map_err(|e| WebError::new(AppError::invalid("code", e.message()), &info))?,
        )
    };
    let created = s
        .app
        .add_community(&actor, town, &form.name, community)
        .await
        .web(&info)?;
    let created = RegionCode::from_i64(created)
        .map(|c| c.short())
        .unwrap_or_default();
    Ok(see_other(&format!("/regions/{created}")))
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    c: Chrome,
    units: Vec<(String, String, String)>,
}

pub async fn units(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    let rows = s.app.list_units(&actor).await.web(&info)?;
    let units = rows
        .into_iter()
        .map(|u| {
            let kind = UnitKind::from_code(&u.kind).map_or(u.kind.clone(), |k| match info.lang {
                Lang::Zh => k.label_zh().to_string(),
                Lang::En => k.label_en().to_string(),
            });
            (u.name, kind, u.region_name)
        })
        .collect();
    render(
        &UnitsPage {
            c: chrome(&actor, &info),
            units,
        },
        &info,
    )
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    c: Chrome,
    channels: Vec<ChannelLine>,
    /// (time, event, channel kind, state code, state, attempts, last result).
    deliveries: Vec<(String, String, String, String, String, i64, String)>,
    units: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    events: Vec<(&'static str, &'static str)>,
    form: minsheng_app::notify::ChannelInput,
    saved: bool,
    message: String,
}

struct ChannelLine {
    id: i64,
    unit: String,
    kind: String,
    target: String,
    events: String,
    enabled: bool,
}

/// The words of the kinds of event a unit may be told about.
pub(crate) fn event_words(lang: Lang) -> Vec<(&'static str, &'static str)> {
    use minsheng_app::notify::EventKind as E;
    let t = lang.texts();
    E::ALL
        .into_iter()
        .map(|k| {
            let word = match k {
                E::LeadOverdue => t.ev_lead_overdue,
                E::LeadEscalated => t.ev_lead_escalated,
                E::ReferralOverdue => t.ev_referral_overdue,
                E::EmergencyUnpaid => t.ev_emergency_unpaid,
                E::OutageAlert => t.ev_outage_alert,
                E::StationAlarm => t.ev_station_alarm,
                E::HotlineOverdue => t.ev_hotline_overdue,
                E::CalendarMissing => t.ev_calendar_missing,
            };
            (k.code(), word)
        })
        .collect()
}

fn channel_kind_word(lang: Lang, kind: &str) -> &'static str {
    match (kind, lang) {
        ("wecom", Lang::Zh) => "企业微信群机器人",
        ("wecom", Lang::En) => "WeCom group robot",
        ("dingtalk", Lang::Zh) => "钉钉群机器人",
        ("dingtalk", Lang::En) => "DingTalk group robot",
        ("email", Lang::Zh) => "电子邮件",
        ("email", Lang::En) => "E-mail",
        (_, Lang::Zh) => "签名回调（Webhook）",
        (_, Lang::En) => "Signed webhook",
    }
}

async fn channels_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    form: minsheng_app::notify::ChannelInput,
    saved: bool,
    refused: Option<AppError>,
) -> WebResult {
    let lang = info.lang;
    let t = lang.texts();
    let view = s.app.channels(actor).await.web(info)?;
    let units = s
        .app
        .list_units(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|u| u.name)
        .collect();
    let events = event_words(lang);
    let event_word = |code: &str| {
        events
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(code.to_string(), |(_, w)| w.to_string())
    };
    let channels = view
        .channels
        .into_iter()
        .map(|ch| ChannelLine {
            id: ch.id,
            unit: ch.unit_name,
            kind: channel_kind_word(lang, &ch.kind).to_string(),
            target: ch.target,
            events: if ch.events == "*" {
                "*".to_string()
            } else {
                ch.events
                    .split(',')
                    .map(&event_word)
                    .collect::<Vec<_>>()
                    .join("、")
            },
            enabled: ch.enabled,
        })
        .collect();
    let deliveries = view
        .deliveries
        .into_iter()
        .map(|d| {
            let state = match d.state.as_str() {
                "sent" => t.delivery_sent,
                "failed" => t.delivery_failed,
                _ => t.delivery_pending,
            };
            (
                format_millis(d.sent_at.unwrap_or(d.created_at)),
                d.title,
                channel_kind_word(lang, &d.channel_kind).to_string(),
                d.state.clone(),
                state.to_string(),
                d.attempts,
                d.last_status,
            )
        })
        .collect();
    let kinds = minsheng_app::notify::CHANNEL_KINDS
        .into_iter()
        .map(|k| (k, channel_kind_word(lang, k)))
        .collect();
    let (status, message) = refusal(refused.as_ref(), lang);
    render_status(
        &ChannelsPage {
            c: chrome(actor, info),
            channels,
            deliveries,
            units,
            kinds,
            events,
            form,
            saved,
            message,
        },
        info,
        status,
    )
}

pub async fn channels(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(q): Query<SavedParam>,
) -> WebResult {
    channels_page(
        &s,
        &actor,
        &info,
        Default::default(),
        q.saved.is_some(),
        None,
    )
    .await
}

pub async fn channel_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(form): Form<minsheng_app::notify::ChannelInput>,
) -> WebResult {
    match s.app.add_channel(&actor, &form).await {
        Ok(_) => Ok(see_other("/units/channels?saved=1")),
        Err(e) if is_form_error(&e) => {
            let kept = minsheng_app::notify::ChannelInput {
                secret: String::new(),
                ..form
            };
            channels_page(&s, &actor, &info, kept, false, Some(e)).await
        }
        Err(e) => Err(WebError::new(e, &info)),
    }
}

async fn set_channel(s: AppState, actor: Actor, info: RequestInfo, id: i64, on: bool) -> WebResult {
    match s.app.set_channel_enabled(&actor, id, on).await {
        Ok(()) => Ok(see_other("/units/channels?saved=1")),
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub async fn channel_enable(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    set_channel(s, actor, info, id, true).await
}

pub async fn channel_disable(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    set_channel(s, actor, info, id, false).await
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<(String, String, String, String, bool)>,
    /// Role grants waiting for a second administrator: (id, user, role, asked by, when).
    grants: Vec<(i64, String, String, String, String)>,
    units: Vec<String>,
    roles: Vec<(&'static str, &'static str)>,
    saved: bool,
    message: String,
}

async fn users_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    saved: bool,
    refused: Option<AppError>,
) -> WebResult {
    let list = s.app.list_users(actor).await.web(info)?;
    let units = s.app.list_units(actor).await.web(info)?;
    let grants = s
        .app
        .pending_role_grants(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|g| {
            let role =
                Role::from_code(&g.role).map_or(g.role.clone(), |r| r.label(info.lang).to_string());
            (
                g.id,
                format!("{}（{}）", g.display_name, g.username),
                role,
                g.requested_by_name,
                format_millis(g.requested_at),
            )
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = UsersPage {
        users: list
            .into_iter()
            .map(|u| {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.label(info.lang)).collect();
                (
                    u.username,
                    u.display_name,
                    u.unit_name,
                    roles.join("、"),
                    u.disabled,
                )
            })
            .collect(),
        units: units.into_iter().map(|u| u.name).collect(),
        grants,
        roles: Role::ALL
            .iter()
            .map(|r| (r.code(), r.label(info.lang)))
            .collect(),
        saved,
        message,
        c: chrome(actor, info),
    };
    render_status(&page, info, status)
}

pub async fn users(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(q): Query<SavedParam>,
) -> WebResult {
    users_page(&s, &actor, &info, q.saved.is_some(), None).await
}

#[derive(Deserialize)]
pub struct UserForm {
    username: String,
    display_name: String,
    unit: String,
    role: String,
    password: String,
}

pub async fn user_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(form): Form<UserForm>,
) -> WebResult {
    let input = NewUserInput {
        username: form.username,
        display_name: form.display_name,
        unit: form.unit,
        roles: Role::from_code(&form.role).into_iter().collect(),
        password: form.password,
    };
    match s.app.add_user(&actor, &input).await {
        Ok(_) => Ok(see_other("/users?saved=1")),
        Err(e) if is_form_error(&e) => users_page(&s, &actor, &info, false, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

async fn set_disabled(
    s: AppState,
    actor: Actor,
    info: RequestInfo,
    username: String,
    disabled: bool,
) -> WebResult {
    match s.app.set_user_disabled(&actor, &username, disabled).await {
        Ok(()) => Ok(see_other("/users?saved=1")),
        Err(e) if is_form_error(&e) => users_page(&s, &actor, &info, false, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub async fn user_disable(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(username): Path<String>,
) -> WebResult {
    set_disabled(s, actor, info, username, true).await
}

pub async fn user_enable(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(username): Path<String>,
) -> WebResult {
    set_disabled(s, actor, info, username, false).await
}

async fn decide_grant(
    s: AppState,
    actor: Actor,
    info: RequestInfo,
    id: i64,
    approve: bool,
) -> WebResult {
    match s.app.decide_role_grant(&actor, id, approve).await {
        Ok(()) => Ok(see_other("/users?saved=1")),
        Err(e) if is_form_error(&e) => users_page(&s, &actor, &info, false, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

pub async fn grant_approve(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    decide_grant(s, actor, info, id, true).await
}

pub async fn grant_refuse(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    decide_grant(s, actor, info, id, false).await
}

#[derive(Deserialize)]
pub struct ResetForm {
    username: String,
    password: String,
}

pub async fn user_reset_password(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(form): Form<ResetForm>,
) -> WebResult {
    match s
        .app
        .reset_password(&actor, &form.username, &form.password)
        .await
    {
        Ok(()) => Ok(see_other("/users?saved=1")),
        Err(e) if is_form_error(&e) => users_page(&s, &actor, &info, false, Some(e)).await,
        Err(e) => Err(WebError::new(e, &info)),
    }
}

// ---------- audit, account ----------

#[derive(Deserialize, Default)]
pub struct AuditParams {
    #[serde(default)]
    username: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    subject_kind: String,
    #[serde(default)]
    subject_id: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    before: Option<i64>,
}

impl AuditParams {
    pub fn filter(&self, limit: i64) -> AuditFilter {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        AuditFilter {
            username: some(&self.username),
            action: some(&self.action),
            subject_kind: some(&self.subject_kind),
            subject_id: some(&self.subject_id),
            outcome: some(&self.outcome),
            before_id: self.before,
            limit,
            ..AuditFilter::default()
        }
    }
}

pub struct AuditLine {
    pub time: String,
    pub username: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub outcome: String,
    pub outcome_code: String,
    pub ip: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<AuditLine>,
    next_before: Option<i64>,
    f_username: String,
    f_action: String,
    f_subject_kind: String,
    f_subject_id: String,
    f_outcome: String,
    /// (code, word) of what audit rows can be about, for the filter.
    subject_kinds: Vec<(&'static str, &'static str)>,
}

pub async fn audit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<AuditParams>,
) -> WebResult {
    const PER_PAGE: i64 = 100;
    let rows = minsheng_app::search_audit(&s.app, &actor, &p.filter(PER_PAGE))
        .await
        .web(&info)?;
    let next_before = (rows.len() as i64 == PER_PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let rows = rows
        .into_iter()
        .map(|r| AuditLine {
            time: format_millis(r.at),
            username: r.username,
            action: minsheng_i18n::word(info.lang, "audit", &r.action.replace('.', "_"))
                .to_string(),
            subject_kind: minsheng_i18n::word(info.lang, "subject", &r.subject_kind).to_string(),
            subject_id: r.subject_id,
            outcome: minsheng_i18n::word(info.lang, "audit_outcome", &r.outcome).to_string(),
            outcome_code: r.outcome,
            ip: r.ip,
            detail: r.detail,
        })
        .collect();
    render(
        &AuditPage {
            c: chrome(&actor, &info),
            rows,
            next_before,
            f_username: p.username,
            f_action: p.action,
            f_subject_kind: p.subject_kind,
            subject_kinds: minsheng_i18n::ids(info.lang)
                .filter_map(|(id, _)| id.strip_prefix("subject-"))
                .map(|code| (code, minsheng_i18n::word(info.lang, "subject", code)))
                .collect(),
            f_subject_id: p.subject_id,
            f_outcome: p.outcome,
        },
        &info,
    )
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    message: String,
    notice: String,
    token: String,
    tokens: Vec<TokenLine>,
}

/// One of the user's API tokens on the account page.
struct TokenLine {
    id: i64,
    name: String,
    created: String,
    expires: String,
    /// Empty while it works; else when it was revoked or that it expired.
    ended: String,
}

async fn account_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    message: String,
    notice: String,
    token: String,
    status: StatusCode,
) -> WebResult {
    let t = info.lang.texts();
    let now = s.app.now();
    let tokens = s
        .app
        .own_api_tokens(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|row| TokenLine {
            id: row.id,
            name: row.name,
            created: format_millis(row.created_at),
            expires: format_millis(row.expires_at),
            ended: match row.revoked_at {
                Some(at) => format!("{} {}", t.token_revoked, format_millis(at)),
                None if row.expires_at <= now => t.token_expired.to_string(),
                None => String::new(),
            },
        })
        .collect();
    render_status(
        &AccountPage {
            c: chrome(actor, info),
            message,
            notice,
            token,
            tokens,
        },
        info,
        status,
    )
}

pub async fn account(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    account_page(
        &s,
        &actor,
        &info,
        String::new(),
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    old_password: String,
    new_password: String,
}

pub async fn account_password(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    SessionToken(token): SessionToken,
    Form(form): Form<PasswordForm>,
) -> WebResult {
    let outcome = s
        .app
        .change_own_password(
            &actor,
            token.as_deref(),
            &form.old_password,
            &form.new_password,
        )
        .await
        .map(|()| {
            (
                info.lang.texts().password_changed.to_string(),
                String::new(),
            )
        });
    account_outcome(&s, &actor, &info, outcome).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn account_token(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(form): Form<TokenForm>,
) -> WebResult {
    let outcome = s
        .app
        .issue_api_token(&actor, &form.name)
        .await
        .map(|token| (String::new(), token));
    account_outcome(&s, &actor, &info, outcome).await
}

/// Revokes one of the user's own tokens from the account page.
pub async fn account_token_revoke(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    let outcome = s
        .app
        .revoke_own_api_token(&actor, id)
        .await
        .map(|()| (info.lang.texts().token_revoked.to_string(), String::new()));
    account_outcome(&s, &actor, &info, outcome).await
}

/// The account page after one of its forms: a notice or a new token, or why it was refused.
async fn account_outcome(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    outcome: Result<(String, String), AppError>,
) -> WebResult {
    match outcome {
        Ok((notice, token)) => {
            account_page(s, actor, info, String::new(), notice, token, StatusCode::OK).await
        }
        Err(e) if is_form_error(&e) => {
            account_page(
                s,
                actor,
                info,
                form_message(&e, info.lang),
                String::new(),
                String::new(),
                status_of(&e),
            )
            .await
        }
        Err(e) => Err(WebError::new(e, info)),
    }
}

// ---------- plumbing ----------

pub async fn healthz(State(s): State<AppState>) -> Response {
    if s.app.healthy().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// Ready to take traffic: the database answers, its migrations are this build's, and no job
/// is stuck. Answers the checks as JSON (200, or 503 naming what is not).
pub async fn readyz(State(s): State<AppState>) -> Response {
    let ready = s.app.readiness().await;
    let status = if ready.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(ready)).into_response()
}

const APP_CSS: &str = include_str!("../static/app.css");
const HTMX_JS: &str = include_str!("../static/htmx.min.js");
const REPORT_JS: &str = include_str!("../static/report.js");
const REPORT_CSS: &str = include_str!("../static/report.css");
const GRID_JS: &str = include_str!("../static/grid.js");
const SURVEY_JS: &str = include_str!("../static/survey.js");
const PICKER_JS: &str = include_str!("../static/picker.js");
const CARDS_JS: &str = include_str!("../static/cards.js");
const CHARTS_JS: &str = include_str!("../static/charts.js");
/// Apache ECharts 5.6.0's "common" build, unchanged from npm (`scripts/vendor-echarts.sh`).
const ECHARTS_JS: &str = include_str!("../static/echarts.common.min.js");

pub async fn static_file(Info(info): Info, Path(file): Path<String>) -> WebResult {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX_JS, "text/javascript; charset=utf-8"),
        "report.js" => (REPORT_JS, "text/javascript; charset=utf-8"),
        "report.css" => (REPORT_CSS, "text/css; charset=utf-8"),
        "grid.js" => (GRID_JS, "text/javascript; charset=utf-8"),
        "survey.js" => (SURVEY_JS, "text/javascript; charset=utf-8"),
        "picker.js" => (PICKER_JS, "text/javascript; charset=utf-8"),
        "cards.js" => (CARDS_JS, "text/javascript; charset=utf-8"),
        "charts.js" => (CHARTS_JS, "text/javascript; charset=utf-8"),
        "echarts.min.js" => (ECHARTS_JS, "text/javascript; charset=utf-8"),
        _ => return Err(WebError::new(AppError::NotFound, &info)),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}

pub async fn not_found(Info(info): Info) -> WebError {
    WebError::new(AppError::NotFound, &info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_site() {
        assert_eq!(safe_next(Some("/households")), "/households");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
        // The reported one: a tab the browser drops, leaving `//evil.example`.
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/a\\b")), "/");
        assert_eq!(
            safe_next(Some("/households?q=%E5%BC%A0")),
            "/households?q=%E5%BC%A0"
        );
    }

    proptest::proptest! {
        /// Whatever `next` holds, the target is a path of this site, also after a browser has
        /// dropped the tabs, line breaks and spaces it ignores, and a valid header value.
        #[test]
        fn next_is_always_a_path_of_this_site(next in "\\PC{0,40}|/[\t\n\r /\\\\a-z.:@%]{0,20}") {
            let target = safe_next(Some(&next));
            let seen: String = target.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
            let seen = seen.trim_start();
            proptest::prop_assert!(seen.starts_with('/'));
            proptest::prop_assert!(!seen[1..].starts_with(['/', '\\']));
            proptest::prop_assert!(!seen.contains('\\'));
            proptest::prop_assert!(HeaderValue::from_str(&target).is_ok());
        }
    }
}
