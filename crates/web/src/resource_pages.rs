//! Pages of social resources (社会资源): the staff's matching desk (needs, donors, offers,
//! matches and deliveries), a household's offers with the consent form, volunteer services,
//! emergency appeals with their ledger and public page, purchased-services contracts, and the
//! provider's own page (its offers, the households matched to it, open appeals).
//!
//! Every handler checks its route's action first, so a provider never reaches a staff page
//! through a use case both may call, and the reverse.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minsheng_app::resources::{
    AppealInput, AppealView, AssignmentInput, AssignmentRow, ContractInput, ContractProgress,
    DeliveryInput, DeliveryRow, MatchInput, MatchRow, Need, OfferInput, OfferRow, ProviderInput,
    ProviderRow, PublicAppeal, VisitInput,
};
use minsheng_app::resources::{Entry, EntryRow};
use minsheng_app::{Actor, AppError, AppResult};
use minsheng_domain::time_util::format_millis;
use minsheng_i18n::msg;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Info, RequestInfo};
use crate::error::WebError;
use crate::html::{Chrome, OrWeb, WebResult, chrome, is_form_error, refusal, render_status};
use crate::i18n::Lang;

/// After a form: to `to` when done; the page again with the reason when the form was wrong.
async fn answer<T, F, Fut>(
    done: AppResult<T>,
    to: String,
    info: &RequestInfo,
    again: F,
) -> WebResult
where
    F: FnOnce(AppError) -> Fut,
    Fut: std::future::Future<Output = WebResult>,
{
    match done {
        Ok(_) => Ok(Redirect::to(&to).into_response()),
        Err(e) if is_form_error(&e) => again(e).await,
        Err(e) => Err(WebError::new(e, info)),
    }
}

/// A number typed in a form field; empty or unreadable is refused naming the field.
fn number(field: &str, text: &str) -> AppResult<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| AppError::invalid(field, msg!("a-number")))
}

fn whole(field: &str, text: &str) -> AppResult<i64> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid(field, msg!("a-whole-number")))
}

/// The codes of the kinds and units the resource pages name (their words are in the catalog).
const PROVIDER_KINDS: &[&str] = &minsheng_app::resources::PROVIDER_KINDS;
const OFFER_KINDS: &[&str] = &minsheng_app::resources::OFFER_KINDS;

pub fn provider_kind(lang: Lang, kind: &str) -> &str {
    minsheng_i18n::word(lang, "provider_kind", kind)
}

fn offer_kind(lang: Lang, kind: &str) -> &str {
    minsheng_i18n::word(lang, "offer_kind", kind)
}

fn unit_word(lang: Lang, unit: &str) -> &str {
    minsheng_i18n::word(lang, "offer_unit", unit)
}

/// The (code, word) choices of a group of the catalog, for a form's select.
fn kinds(
    codes: &'static [&'static str],
    group: &str,
    lang: Lang,
) -> Vec<(&'static str, &'static str)> {
    codes
        .iter()
        .map(|code| (*code, minsheng_i18n::word(lang, group, code)))
        .collect()
}

/// An offer as a line: what, kind, provider, what is left.
pub struct OfferLine {
    pub id: i64,
    pub text: String,
    pub left: String,
    pub reach: String,
}

fn offer_line(lang: Lang, o: &OfferRow) -> OfferLine {
    OfferLine {
        id: o.id,
        text: format!(
            "{}（{}）· {}（{}）",
            o.what,
            offer_kind(lang, &o.kind),
            o.provider_name,
            provider_kind(lang, &o.provider_kind)
        ),
        left: format!(
            "{} / {} {}",
            o.remaining,
            o.capacity,
            unit_word(lang, &o.unit)
        ),
        reach: o.region_code.to_string(),
    }
}

/// A match as a line (address and need: nothing else of the household).
pub struct MatchLine {
    pub m: MatchRow,
    pub at: String,
    pub amount: String,
    pub open: bool,
    pub state: &'static str,
}

fn match_line(lang: Lang, m: MatchRow) -> MatchLine {
    let zh = lang == Lang::Zh;
    MatchLine {
        state: match m.state.as_str() {
            "confirmed" if zh => "已对接，待送达",
            "confirmed" => "Matched, to deliver",
            "delivered" if zh => "已送达",
            "delivered" => "Delivered",
            _ if zh => "已取消",
            _ => "Cancelled",
        },
        at: format_millis(m.consent_at),
        amount: format!("{} {}", m.quantity, unit_word(lang, &m.unit)),
        open: m.state == "confirmed",
        m,
    }
}

// ---------- the staff's desk ----------

#[derive(Template)]
#[template(path = "resources.html")]
struct DeskPage {
    c: Chrome,
    /// Each need with its text URL-encoded for the link to the household's offers.
    needs: Vec<(Need, String)>,
    r: Lists,
    provider_kinds: Vec<(&'static str, &'static str)>,
    message: String,
}

/// What the staff's desk and the provider's page both show: providers, offers, matches (with
/// the delivery form) and the offer form's choices, posting to the caller's own routes.
pub struct Lists {
    providers: Vec<(ProviderRow, String)>,
    offers: Vec<OfferLine>,
    matches: Vec<MatchLine>,
    offer_kinds: Vec<(&'static str, &'static str)>,
    units: Vec<(&'static str, &'static str)>,
    today: String,
    offer_action: &'static str,
    deliver_base: &'static str,
}

async fn lists(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    base: &'static str,
) -> Result<Lists, WebError> {
    let lang = info.lang;
    let providers = s.app.providers(actor).await.web(info)?;
    let offers = s.app.offers(actor).await.web(info)?;
    let matches = s.app.resource_matches(actor).await.web(info)?;
    Ok(Lists {
        providers: providers
            .into_iter()
            .map(|p| {
                let kind = provider_kind(lang, &p.kind).to_string();
                (p, kind)
            })
            .collect(),
        offers: offers.iter().map(|o| offer_line(lang, o)).collect(),
        matches: matches.into_iter().map(|m| match_line(lang, m)).collect(),
        offer_kinds: kinds(OFFER_KINDS, "offer_kind", lang),
        units: kinds(&minsheng_app::resources::UNITS, "offer_unit", lang),
        today: s.app.today().to_string(),
        offer_action: if base == "/provider" {
            "/provider/offers"
        } else {
            "/resources/offers"
        },
        deliver_base: base,
    })
}

async fn desk_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let needs = s.app.unmet_needs(actor).await.web(info)?;
    let r = lists(s, actor, info, "/resources").await?;
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = DeskPage {
        c: chrome(actor, info),
        needs: needs
            .into_iter()
            .map(|n| {
                let encoded = crate::error::urlencode(&n.text);
                (n, encoded)
            })
            .collect(),
        r,
        provider_kinds: kinds(PROVIDER_KINDS, "provider_kind", info.lang),
        message,
    };
    render_status(&page, info, status)
}

pub async fn desk(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    desk_page(&s, &actor, &info, None).await
}

#[derive(Debug, Deserialize)]
pub struct ProviderForm {
    pub name: String,
    pub kind: String,
    pub region: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub unit_id: String,
}

pub async fn register_provider(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<ProviderForm>,
) -> WebResult {
    let done = async {
        let unit_id = match f.unit_id.trim() {
            "" => None,
            text => Some(whole("unit_id", text)?),
        };
        let input = ProviderInput {
            name: f.name,
            kind: f.kind,
            region: f.region,
            contact: f.contact,
            unit_id,
        };
        s.app.register_provider(&actor, &input).await
    }
    .await;
    answer(done, "/resources".into(), &info, |e| {
        desk_page(&s, &actor, &info, Some(e))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct OfferForm {
    pub provider_id: String,
    pub kind: String,
    pub what: String,
    #[serde(default)]
    pub description: String,
    pub region: String,
    pub capacity: String,
    pub unit: String,
    #[serde(default)]
    pub valid_until: String,
}

impl OfferForm {
    fn input(self) -> AppResult<OfferInput> {
        let valid_until = match self.valid_until.trim() {
            "" => None,
            day => Some(
                time::Date::parse(
                    day,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| AppError::invalid("valid_until", msg!("date-format")))?
                .next_day()
                .map_or(i64::MAX, |d| {
                    d.midnight()
                        .assume_offset(minsheng_domain::time_util::CHINA_OFFSET)
                        .unix_timestamp()
                        * 1000
                        - 1
                }),
            ),
        };
        Ok(OfferInput {
            provider_id: whole("provider_id", &self.provider_id)?,
            kind: self.kind,
            what: self.what,
            description: self.description,
            region: self.region,
            capacity: number("capacity", &self.capacity)?,
            unit: self.unit,
            valid_until,
        })
    }
}

pub async fn add_offer(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<OfferForm>,
) -> WebResult {
    let done = match f.input() {
        Ok(input) => s.app.add_offer(&actor, &input).await,
        Err(e) => Err(e),
    };
    answer(done, "/resources".into(), &info, |e| {
        desk_page(&s, &actor, &info, Some(e))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct DeliveryForm {
    pub what: String,
    pub value_yuan: String,
    pub delivered_on: String,
    pub delivered_by: String,
    #[serde(default)]
    pub feedback: String,
}

impl DeliveryForm {
    fn input(self) -> AppResult<DeliveryInput> {
        Ok(DeliveryInput {
            what: self.what,
            value_yuan: number("value_yuan", &self.value_yuan)?,
            delivered_on: self.delivered_on,
            delivered_by: self.delivered_by,
            feedback: self.feedback,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    pub reason: String,
}

pub async fn cancel_match(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> WebResult {
    let done = s.app.cancel_match(&actor, id, &f.reason).await;
    answer(done, "/resources".into(), &info, |e| {
        desk_page(&s, &actor, &info, Some(e))
    })
    .await
}

/// A delivery as typed, recorded (by staff or the provider's own account).
async fn record_delivery(s: &AppState, actor: &Actor, id: i64, f: DeliveryForm) -> AppResult<i64> {
    let input = f.input()?;
    s.app.record_delivery(actor, id, &input).await
}

pub async fn deliver(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<DeliveryForm>,
) -> WebResult {
    let done = record_delivery(&s, &actor, id, f).await;
    answer(done, "/resources".into(), &info, |e| {
        desk_page(&s, &actor, &info, Some(e))
    })
    .await
}

// ---------- one household ----------

#[derive(Template)]
#[template(path = "household_resources.html")]
struct HouseholdPage {
    c: Chrome,
    household_id: i64,
    address: String,
    need: String,
    /// The need URL-encoded, for the kind filter's links.
    need_encoded: String,
    kind: String,
    offer_kinds: Vec<(&'static str, &'static str)>,
    offers: Vec<OfferLine>,
    deliveries: Vec<DeliveryRow>,
    today: String,
    in_month: String,
    message: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NeedQuery {
    #[serde(default)]
    pub need: String,
    /// One kind of offer (money, goods, service, job); all when empty.
    #[serde(default)]
    pub kind: String,
}

async fn household_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    id: i64,
    q: &NeedQuery,
    refused: Option<AppError>,
) -> WebResult {
    let kind = Some(q.kind.trim()).filter(|k| !k.is_empty());
    let offers = s
        .app
        .offers_for_household(actor, id, kind)
        .await
        .web(info)?;
    let deliveries = s.app.household_deliveries(actor, id).await.web(info)?;
    let detail = s.app.household_detail(actor, id).await.web(info)?;
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let today = s.app.today();
    let page = HouseholdPage {
        c: chrome(actor, info),
        household_id: id,
        address: detail.household.address,
        need: q.need.clone(),
        need_encoded: crate::error::urlencode(&q.need),
        kind: q.kind.trim().to_string(),
        offer_kinds: kinds(OFFER_KINDS, "offer_kind", info.lang),
        offers: offers.iter().map(|o| offer_line(info.lang, o)).collect(),
        deliveries,
        today: today.to_string(),
        in_month: (today + time::Duration::days(30)).to_string(),
        message,
    };
    render_status(&page, info, status)
}

pub async fn household(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Query(q): Query<NeedQuery>,
) -> WebResult {
    household_page(&s, &actor, &info, id, &q, None).await
}

#[derive(Debug, Deserialize)]
pub struct MatchForm {
    pub offer_id: String,
    #[serde(default)]
    pub need: String,
    pub quantity: String,
    #[serde(default)]
    pub consent_by: String,
}

pub async fn match_offer(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<MatchForm>,
) -> WebResult {
    let again = NeedQuery {
        need: f.need.clone(),
        kind: String::new(),
    };
    let done = async {
        let input = MatchInput {
            offer_id: whole("offer_id", &f.offer_id)?,
            household_id: id,
            need: f.need,
            quantity: number("quantity", &f.quantity)?,
            consent_by: f.consent_by,
        };
        s.app.match_offer(&actor, &input).await
    }
    .await;
    answer(done, "/resources".into(), &info, |e| {
        household_page(&s, &actor, &info, id, &again, Some(e))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    pub volunteer: String,
    pub service: String,
    pub every_days: String,
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub stipend_yuan: String,
    #[serde(default)]
    pub stipend_payer: String,
}

pub async fn assign_volunteer(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> WebResult {
    let blank = NeedQuery::default();
    let done = async {
        let stipend_yuan = match f.stipend_yuan.trim() {
            "" => None,
            text => Some(number("stipend_yuan", text)?),
        };
        let input = AssignmentInput {
            household_id: id,
            volunteer: f.volunteer,
            service: f.service,
            every_days: whole("every_days", &f.every_days)?,
            starts_on: f.starts_on,
            ends_on: Some(f.ends_on).filter(|e| !e.trim().is_empty()),
            stipend_yuan,
            stipend_payer: f.stipend_payer,
        };
        s.app.assign_volunteer(&actor, &input).await
    }
    .await;
    answer(done, "/volunteers".into(), &info, |e| {
        household_page(&s, &actor, &info, id, &blank, Some(e))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct AppealForm {
    pub title: String,
    pub target_yuan: String,
    pub ends_on: String,
    pub surplus_rule: String,
}

pub async fn open_appeal(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<AppealForm>,
) -> WebResult {
    let blank = NeedQuery::default();
    let done = async {
        let input = AppealInput {
            household_id: id,
            title: f.title,
            target_yuan: number("target_yuan", &f.target_yuan)?,
            ends_on: f.ends_on,
            surplus_rule: f.surplus_rule,
        };
        s.app.open_appeal(&actor, &input).await
    }
    .await;
    answer(done, "/appeals".into(), &info, |e| {
        household_page(&s, &actor, &info, id, &blank, Some(e))
    })
    .await
}

// ---------- volunteer services ----------

#[derive(Template)]
#[template(path = "volunteers.html")]
struct VolunteersPage {
    c: Chrome,
    /// (assignment, its figures line, missed periods).
    rows: Vec<(AssignmentRow, String, Vec<String>)>,
    today: String,
    message: String,
}

async fn volunteers_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let today = s.app.today();
    let t = info.lang.texts();
    let rows = s
        .app
        .volunteer_assignments(actor, today)
        .await
        .web(info)?
        .into_iter()
        .map(|(a, missed)| {
            let figures = format!(
                "{} {} · {:.1} {} · {} ¥{:.2}",
                a.visits,
                t.res_visits,
                a.hours,
                t.res_hours,
                t.res_stipends,
                a.stipends_fen as f64 / 100.0
            );
            (a, figures, missed.iter().map(|d| d.to_string()).collect())
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = VolunteersPage {
        c: chrome(actor, info),
        rows,
        today: today.to_string(),
        message,
    };
    render_status(&page, info, status)
}

pub async fn volunteers(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    volunteers_page(&s, &actor, &info, None).await
}

#[derive(Debug, Deserialize)]
pub struct VisitForm {
    pub visited_on: String,
    pub hours: String,
    #[serde(default)]
    pub note: String,
}

pub async fn log_visit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<VisitForm>,
) -> WebResult {
    let done = async {
        let input = VisitInput {
            visited_on: f.visited_on,
            hours: number("hours", &f.hours)?,
            note: f.note,
        };
        s.app.record_volunteer_visit(&actor, id, &input).await
    }
    .await;
    answer(done, "/volunteers".into(), &info, |e| {
        volunteers_page(&s, &actor, &info, Some(e))
    })
    .await
}

// ---------- appeals ----------

/// An appeal's figures as bars (shares of the target) and words.
pub struct AppealLine {
    pub a: PublicAppeal,
    /// Open or closed, in words.
    pub state: &'static str,
    pub household_id: Option<i64>,
    pub overdue: bool,
    pub received_share: u32,
    pub pledged_share: u32,
    pub ledger: Vec<(EntryRow, String, String)>,
}

fn share(part: f64, whole: f64) -> u32 {
    if whole <= 0.0 {
        return 0;
    }
    ((part / whole * 100.0).round() as u32).min(100)
}

fn appeal_line(lang: Lang, a: PublicAppeal) -> AppealLine {
    let open = a.state == "open";
    AppealLine {
        state: match (open, lang) {
            (true, Lang::Zh) => "进行中",
            (true, Lang::En) => "Open",
            (false, Lang::Zh) => "已结束",
            (false, Lang::En) => "Closed",
        },
        received_share: share(a.received_yuan, a.target_yuan),
        pledged_share: share(a.pledged_yuan, a.target_yuan),
        household_id: None,
        overdue: false,
        ledger: Vec::new(),
        a,
    }
}

fn entry_word(lang: Lang, kind: &str) -> &'static str {
    let t = lang.texts();
    match kind {
        "pledge" => t.res_pledge,
        "receipt" => t.res_receipt,
        "disbursement" => t.res_disbursement,
        _ => t.res_surplus,
    }
}

#[derive(Template)]
#[template(path = "appeals.html")]
struct AppealsPage {
    c: Chrome,
    appeals: Vec<AppealLine>,
    donors: Vec<ProviderRow>,
    message: String,
}

async fn appeals_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let mut entries = s.app.appeal_ledgers(actor).await.web(info)?;
    let mut appeals = Vec::new();
    for AppealView {
        appeal,
        household_id,
        overdue,
    } in s.app.appeals(actor).await.web(info)?
    {
        let ledger = entries
            .extract_if(.., |e| e.appeal_id == appeal.id)
            .map(|e| {
                let (word, at) = (entry_word(info.lang, &e.kind), format_millis(e.at));
                (e, word.to_string(), at)
            })
            .collect();
        appeals.push(AppealLine {
            household_id: Some(household_id),
            overdue,
            ledger,
            ..appeal_line(info.lang, appeal)
        });
    }
    let donors = s.app.providers(actor).await.web(info)?;
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = AppealsPage {
        c: chrome(actor, info),
        appeals,
        donors,
        message,
    };
    render_status(&page, info, status)
}

pub async fn appeals(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    appeals_page(&s, &actor, &info, None).await
}

#[derive(Debug, Deserialize)]
pub struct EntryForm {
    pub kind: String,
    pub amount_yuan: String,
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub note: String,
}

/// A ledger entry as typed: its kind, donor and amount.
fn entry_of(f: &EntryForm) -> AppResult<(Entry, Option<i64>, f64)> {
    let entry = match f.kind.as_str() {
        "pledge" => Entry::Pledge,
        "receipt" => Entry::Receipt,
        "disbursement" => Entry::Disbursement,
        _ => {
            return Err(AppError::invalid("kind", msg!("entry-kind-choices")));
        }
    };
    let donor = match f.provider_id.trim() {
        "" => None,
        text => Some(whole("provider_id", text)?),
    };
    Ok((entry, donor, number("amount_yuan", &f.amount_yuan)?))
}

/// A ledger entry as typed, recorded (by staff or a donor's own account).
async fn record_entry(
    s: &AppState,
    actor: &Actor,
    id: i64,
    f: &EntryForm,
) -> AppResult<PublicAppeal> {
    let (entry, donor, amount) = entry_of(f)?;
    s.app
        .appeal_entry(actor, id, entry, donor, amount, &f.note)
        .await
}

pub async fn appeal_entry(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<EntryForm>,
) -> WebResult {
    let done = record_entry(&s, &actor, id, &f).await;
    answer(done, "/appeals".into(), &info, |e| {
        appeals_page(&s, &actor, &info, Some(e))
    })
    .await
}

pub async fn close_appeal(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    let done = s.app.close_appeal(&actor, id).await;
    answer(done, "/appeals".into(), &info, |e| {
        appeals_page(&s, &actor, &info, Some(e))
    })
    .await
}

#[derive(Template)]
#[template(path = "appeal_public.html")]
struct PublicAppealPage {
    c: Chrome,
    line: AppealLine,
}

/// The appeal's public page: title and figures, nothing personal.
pub async fn public_appeal(
    State(s): State<AppState>,
    Info(info): Info,
    Path(id): Path<i64>,
) -> WebResult {
    let appeal = s.app.public_appeal(id).await.web(&info)?;
    let page = PublicAppealPage {
        c: crate::hotline_pages::public_chrome(&info),
        line: appeal_line(info.lang, appeal),
    };
    render_status(&page, &info, axum::http::StatusCode::OK)
}

// ---------- contracts ----------

pub struct ContractLine {
    pub p: ContractProgress,
    /// (deliverable in words, done of target, share 0–100).
    pub deliverables: Vec<(String, String, u32)>,
    pub rate: u32,
    pub budget: String,
    pub paid: String,
    /// (id, name, amount, needs share %, paid).
    pub milestones: Vec<(i64, String, String, u32, bool)>,
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ContractsPage {
    c: Chrome,
    contracts: Vec<ContractLine>,
    units: Vec<(i64, String)>,
    year: i32,
    message: String,
}

fn contract_line(lang: Lang, p: ContractProgress) -> ContractLine {
    let t = lang.texts();
    let yuan = |fen: i64| format!("¥{:.2}", fen as f64 / 100.0);
    ContractLine {
        deliverables: p
            .deliverables
            .iter()
            .map(|(kind, target, done, share)| {
                let word = if kind == "assessments" {
                    t.res_assessments
                } else {
                    t.res_service_visits
                };
                (
                    word.to_string(),
                    format!("{done} / {target}"),
                    (share * 100.0).round() as u32,
                )
            })
            .collect(),
        rate: (p.delivery_rate * 100.0).round() as u32,
        budget: yuan(p.contract.budget_fen),
        paid: yuan(p.contract.paid_fen),
        milestones: p
            .milestones
            .iter()
            .map(|m| {
                (
                    m.id,
                    m.name.clone(),
                    yuan(m.amount_fen),
                    (m.needs_share * 100.0).round() as u32,
                    m.paid_at.is_some(),
                )
            })
            .collect(),
        p,
    }
}

async fn contracts_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let contracts = s
        .app
        .contracts(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|p| contract_line(info.lang, p))
        .collect();
    let units = s
        .app
        .service_organisations(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = ContractsPage {
        c: chrome(actor, info),
        contracts,
        units,
        year: s.app.today().year(),
        message,
    };
    render_status(&page, info, status)
}

pub async fn contracts(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    contracts_page(&s, &actor, &info, None).await
}

#[derive(Debug, Deserialize)]
pub struct ContractForm {
    pub unit_id: String,
    pub name: String,
    pub region: String,
    pub budget_yuan: String,
    pub starts_on: String,
    pub ends_on: String,
    pub deliverable_kind: String,
    pub deliverable_target: String,
    #[serde(default)]
    pub milestones: String,
}

/// Milestones typed one a line as `name,amount,share`; a bad line is named by its number.
fn milestones(text: &str) -> AppResult<Vec<(String, f64, f64)>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let parts: Vec<&str> = line.split([',', '，']).map(str::trim).collect();
            let field = format!("milestones line {}", i + 1);
            match parts.as_slice() {
                [name, amount, share] => Ok((
                    name.to_string(),
                    number(&field, amount)?,
                    number(&field, share)?,
                )),
                _ => Err(AppError::invalid(&field, msg!("milestone-line"))),
            }
        })
        .collect()
}

pub async fn create_contract(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<ContractForm>,
) -> WebResult {
    let done = async {
        let input = ContractInput {
            unit_id: whole("unit_id", &f.unit_id)?,
            name: f.name,
            region: f.region,
            budget_yuan: number("budget_yuan", &f.budget_yuan)?,
            starts_on: f.starts_on,
            ends_on: f.ends_on,
            deliverables: vec![(
                f.deliverable_kind,
                whole("deliverable_target", &f.deliverable_target)?,
            )],
            milestones: milestones(&f.milestones)?,
        };
        s.app.create_contract(&actor, &input).await
    }
    .await;
    answer(done, "/contracts".into(), &info, |e| {
        contracts_page(&s, &actor, &info, Some(e))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct PayForm {
    pub milestone_id: String,
}

pub async fn pay_milestone(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<PayForm>,
) -> WebResult {
    let done = match whole("milestone_id", &f.milestone_id) {
        Ok(milestone) => s.app.pay_milestone(&actor, id, milestone).await,
        Err(e) => Err(e),
    };
    answer(done, "/contracts".into(), &info, |e| {
        contracts_page(&s, &actor, &info, Some(e))
    })
    .await
}

// ---------- the provider's own page ----------

#[derive(Template)]
#[template(path = "provider.html")]
struct ProviderPage {
    c: Chrome,
    r: Lists,
    appeals: Vec<AppealLine>,
    message: String,
}

async fn provider_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let r = lists(s, actor, info, "/provider").await?;
    let appeals = s.app.open_appeals(actor).await.web(info)?;
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = ProviderPage {
        c: chrome(actor, info),
        r,
        appeals: appeals
            .into_iter()
            .map(|a| appeal_line(info.lang, a))
            .collect(),
        message,
    };
    render_status(&page, info, status)
}

pub async fn provider(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    provider_page(&s, &actor, &info, None).await
}

pub async fn provider_offer(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<OfferForm>,
) -> WebResult {
    let done = match f.input() {
        Ok(input) => s.app.add_offer(&actor, &input).await,
        Err(e) => Err(e),
    };
    answer(done, "/provider".into(), &info, |e| {
        provider_page(&s, &actor, &info, Some(e))
    })
    .await
}

pub async fn provider_deliver(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<DeliveryForm>,
) -> WebResult {
    let done = record_delivery(&s, &actor, id, f).await;
    answer(done, "/provider".into(), &info, |e| {
        provider_page(&s, &actor, &info, Some(e))
    })
    .await
}

pub async fn provider_give(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<EntryForm>,
) -> WebResult {
    let done = record_entry(&s, &actor, id, &f).await;
    answer(done, "/provider".into(), &info, |e| {
        provider_page(&s, &actor, &info, Some(e))
    })
    .await
}
