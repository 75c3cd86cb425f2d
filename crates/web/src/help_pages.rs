//! Pages of help (帮助): a household's recommendations, plan, referrals, benefits and emergency
//! cases; a receiving unit's referral inbox; a town's reserve fund.

use crate::charts::{Chart, ChartKind};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minsheng_app::assess::catalog;
use minsheng_app::help::{HelpView, ReferralAction};
use minsheng_app::{Actor, AppError};
use minsheng_domain::Action;
use minsheng_domain::time_util::format_millis;
use minsheng_i18n::msg;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, RequestInfo};
use crate::error::WebError;
use crate::html::{
    Chrome, OrWeb, WebResult, chrome, deadline_text, is_form_error, refusal, render, render_status,
};
use crate::i18n::Lang;

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    if lang == Lang::En && !en.is_empty() {
        en
    } else {
        zh
    }
}

/// The interface's word for a plan item or referral state.
pub fn state_word(lang: Lang, code: &str) -> &str {
    minsheng_i18n::word(lang, "help", code)
}

fn item_label(lang: Lang, code: &str) -> String {
    catalog::shipped()
        .ok()
        .and_then(|c| c.item(code))
        .map(|i| pick(lang, &i.label_zh, &i.label_en).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn money(x: Option<f64>) -> String {
    x.map(|v| format!("¥{v:.2}")).unwrap_or_default()
}

pub struct RecommendationLine {
    pub label: String,
    pub category: String,
    pub amount: String,
    pub reason: String,
    pub evidence: String,
    pub deliverer: String,
}

pub struct ItemLine {
    pub id: i64,
    pub label: String,
    pub amount: String,
    pub state: String,
    pub state_code: String,
    pub reason: String,
    pub level: String,
    pub version: i64,
    pub can_decide: bool,
    pub can_approve: bool,
    pub can_deliver: bool,
}

pub struct ReferralLine {
    pub id: i64,
    pub label: String,
    pub receiver: String,
    pub state: String,
    pub state_code: String,
    pub due: String,
    pub overdue: bool,
    pub outcome: String,
}

pub struct FollowupLine {
    pub tier: String,
    pub due_on: String,
    pub done: String,
    pub note: String,
    pub satisfaction: String,
    pub overdue: bool,
}

fn followup_lines(
    lang: Lang,
    today: time::Date,
    rows: &[minsheng_app::help::FollowupRow],
) -> Vec<FollowupLine> {
    let today = today.to_string();
    rows.iter()
        .map(|f| FollowupLine {
            tier: state_word(lang, &f.tier).to_string(),
            due_on: f.due_on.clone(),
            done: f.done_at.map(format_millis).unwrap_or_default(),
            note: f.note.clone(),
            satisfaction: f
                .satisfaction
                .as_deref()
                .map(|s| state_word(lang, s).to_string())
                .unwrap_or_default(),
            overdue: f.done_at.is_none() && f.due_on < today,
        })
        .collect()
}

pub struct CaseLine {
    pub id: i64,
    pub label: String,
    pub started: String,
    pub due: String,
    /// "还剩 5 小时" / "已超时" / paid.
    pub clock: String,
    pub late: bool,
    pub paid: String,
    pub paperwork_pending: bool,
    pub unpaid: bool,
    /// The town whose reserve fund pays it.
    pub town_code: i64,
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    c: Chrome,
    household_id: i64,
    assessment_id: Option<i64>,
    recommendations: Vec<RecommendationLine>,
    undetermined: Vec<String>,
    /// Items whose rule applies but whose amount comes to ¥0: (label, the facts it read).
    zero_amount: Vec<(String, String)>,
    plan_id: Option<i64>,
    items: Vec<ItemLine>,
    referrals: Vec<ReferralLine>,
    benefits: Vec<(String, String, String, String)>,
    cases: Vec<CaseLine>,
    catalog_items: Vec<(String, String)>,
    emergency_items: Vec<(String, String)>,
    followups: Vec<FollowupLine>,
    can_manage: bool,
    /// Pays from the town's reserve fund (town and district officers).
    can_pay: bool,
    message: String,
}

fn clock(lang: Lang, now: i64, due_at: i64, paid_at: Option<i64>) -> (String, bool) {
    let t = lang.texts();
    if let Some(paid) = paid_at {
        return (
            format!("{} {}", t.paid_at, format_millis(paid)),
            paid > due_at,
        );
    }
    let left = due_at - now;
    if left < 0 {
        return (t.overdue.to_string(), true);
    }
    let hours = left / 3_600_000;
    (format!("{} {} {}", t.time_left, hours, t.hours), false)
}

async fn help_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    household_id: i64,
    refused: Option<AppError>,
) -> WebResult {
    let view: HelpView = s.app.help_view(actor, household_id).await.web(info)?;
    let lang = info.lang;
    let catalog = catalog::shipped()
        .map_err(|e| WebError::new(AppError::Internal(format!("{e:?}")), info))?;
    let t = lang.texts();
    let recommendations = view
        .recommendations
        .as_ref()
        .map(|r| {
            r.items
                .iter()
                .map(|i| RecommendationLine {
                    label: pick(lang, &i.label, &i.label_en).to_string(),
                    category: catalog
                        .categories
                        .iter()
                        .find(|c| c.code == i.category)
                        .map(|c| pick(lang, &c.label_zh, &c.label_en).to_string())
                        .unwrap_or_default(),
                    amount: money(i.amount),
                    reason: pick(lang, &i.reason, &i.reason_en).to_string(),
                    evidence: i.evidence_text("，"),
                    deliverer: minsheng_domain::UnitKind::from_code(&i.unit_kind)
                        .map(|k| {
                            if lang == Lang::En {
                                k.label_en()
                            } else {
                                k.label_zh()
                            }
                            .to_string()
                        })
                        .unwrap_or_else(|| i.unit_kind.clone()),
                })
                .collect()
        })
        .unwrap_or_default();
    let undetermined = view
        .recommendations
        .as_ref()
        .map(|r| {
            r.undetermined
                .iter()
                .map(|(item, fact)| {
                    format!("{}：{} {}", item_label(lang, item), t.not_recorded, fact)
                })
                .collect()
        })
        .unwrap_or_default();
    let zero_amount = view
        .recommendations
        .as_ref()
        .map(|r| {
            r.zero_amount
                .iter()
                .map(|z| (item_label(lang, &z.item), z.evidence_text("，")))
                .collect()
        })
        .unwrap_or_default();
    let manage = actor.may(Action::ManageHelp);
    let items = view
        .items
        .iter()
        .map(|i| {
            let civil = catalog.item(&i.item_code).is_some_and(|e| {
                matches!(
                    e.unit_kind.as_str(),
                    "civil_affairs_bureau" | "town_office" | "community_committee"
                )
            });
            ItemLine {
                id: i.id,
                label: item_label(lang, &i.item_code),
                amount: money(i.amount),
                state: state_word(lang, &i.state).to_string(),
                state_code: i.state.clone(),
                reason: if i.state == "declined" {
                    i.decline_reason.clone()
                } else {
                    i.reason.clone()
                },
                level: state_word(lang, &i.approval_level).to_string(),
                version: i.row_version,
                can_decide: manage
                    && matches!(i.state.as_str(), "proposed" | "accepted" | "declined"),
                can_approve: i.state == "accepted"
                    && minsheng_app::help::may_approve_at(actor, &i.approval_level),
                can_deliver: manage && civil && i.state == "approved",
            }
        })
        .collect();
    let now = s.app.now();
    let referrals = view
        .referrals
        .iter()
        .map(|r| ReferralLine {
            id: r.id,
            label: item_label(lang, &r.item_code),
            receiver: r.receiver_name.clone(),
            state: state_word(lang, &r.state).to_string(),
            state_code: r.state.clone(),
            due: deadline_text(&s.app, lang, r.due_at),
            overdue: matches!(r.state.as_str(), "sent" | "accepted" | "in_progress")
                && r.due_at < now,
            outcome: [
                money(r.outcome_amount),
                r.outcome_service.clone(),
                r.return_reason.clone(),
                r.fail_reason.clone(),
            ]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        })
        .collect();
    let benefits = view
        .benefits
        .iter()
        .map(|b| {
            (
                item_label(lang, &b.item_code),
                b.period_key.clone(),
                format!("¥{:.2}", b.amount_cents as f64 / 100.0),
                format_millis(b.paid_at),
            )
        })
        .collect();
    let cases = view
        .emergencies
        .iter()
        .map(|e| {
            let (clock, late) = clock(lang, now, e.due_at, e.paid_at);
            CaseLine {
                id: e.id,
                label: item_label(lang, &e.item_code),
                started: format_millis(e.started_at),
                due: deadline_text(&s.app, lang, e.due_at),
                clock,
                late,
                paid: e
                    .amount_cents
                    .map(|c| format!("¥{:.2}", c as f64 / 100.0))
                    .unwrap_or_default(),
                paperwork_pending: e.paid_at.is_some() && e.paperwork == "pending",
                unpaid: e.paid_at.is_none(),
                town_code: e.town_code,
            }
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), lang);
    let page = HelpPage {
        c: chrome(actor, info),
        household_id,
        assessment_id: view.assessment_id,
        recommendations,
        undetermined,
        zero_amount,
        plan_id: view.plan.as_ref().map(|p| p.id),
        items,
        referrals,
        benefits,
        cases,
        catalog_items: catalog
            .items
            .iter()
            .map(|i| {
                (
                    i.code.clone(),
                    pick(lang, &i.label_zh, &i.label_en).to_string(),
                )
            })
            .collect(),
        followups: followup_lines(lang, s.app.today(), &view.followups),
        emergency_items: catalog
            .items
            .iter()
            .filter(|i| i.emergency)
            .map(|i| {
                (
                    i.code.clone(),
                    pick(lang, &i.label_zh, &i.label_en).to_string(),
                )
            })
            .collect(),
        can_manage: manage,
        can_pay: actor.may(Action::ManageFunds),
        message,
    };
    render_status(&page, info, status)
}

pub async fn help(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    help_page(&s, &actor, &info, id, None).await
}

/// Runs a change of a household's help and returns to its page (or shows why it was refused).
async fn then_back<T>(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    household_id: i64,
    result: Result<T, AppError>,
) -> WebResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/households/{household_id}/help")).into_response()),
        Err(e) if is_form_error(&e) || matches!(e, AppError::Conflict(_) | AppError::Stale) => {
            help_page(s, actor, info, household_id, Some(e)).await
        }
        Err(e) => Err(WebError::new(e, info)),
    }
}

pub async fn create_plan(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    let result = s.app.create_plan(&actor, id).await;
    then_back(&s, &actor, &info, id, result).await
}

#[derive(Deserialize)]
pub struct AddItemForm {
    item_code: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

pub async fn add_item(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<AddItemForm>,
) -> WebResult {
    let amount = f.amount.trim().parse::<f64>().ok();
    let result = s
        .app
        .add_household_plan_item(&actor, id, &f.item_code, amount, &f.reason)
        .await;
    then_back(&s, &actor, &info, id, result).await
}

#[derive(Deserialize)]
pub struct ItemForm {
    version: i64,
    household_id: i64,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    amount: String,
}

pub async fn decide_item(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<ItemForm>,
) -> WebResult {
    let result = s
        .app
        .decide_plan_item(&actor, id, f.version, f.decision == "accept", &f.reason)
        .await;
    then_back(&s, &actor, &info, f.household_id, result).await
}

pub async fn approve_item(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<ItemForm>,
) -> WebResult {
    let result = s.app.approve_plan_item(&actor, id, f.version).await;
    then_back(&s, &actor, &info, f.household_id, result).await
}

pub async fn deliver_item(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<ItemForm>,
) -> WebResult {
    let amount = f.amount.trim().parse::<f64>().unwrap_or(-1.0);
    let result = s.app.deliver_plan_item(&actor, id, f.version, amount).await;
    then_back(&s, &actor, &info, f.household_id, result).await
}

#[derive(Deserialize)]
pub struct EmergencyForm {
    item_code: String,
    #[serde(default)]
    note: String,
}

pub async fn open_emergency(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<EmergencyForm>,
) -> WebResult {
    let result = s
        .app
        .open_emergency(&actor, id, &f.item_code, &f.note)
        .await;
    then_back(&s, &actor, &info, id, result).await
}

#[derive(Deserialize)]
pub struct PayForm {
    household_id: i64,
    #[serde(default)]
    amount: String,
}

pub async fn pay_emergency(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<PayForm>,
) -> WebResult {
    let amount = f.amount.trim().parse::<f64>().unwrap_or(-1.0);
    let result = s.app.pay_emergency(&actor, id, amount).await;
    then_back(&s, &actor, &info, f.household_id, result).await
}

pub async fn emergency_paperwork(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<PayForm>,
) -> WebResult {
    let result = s.app.complete_emergency_paperwork(&actor, id).await;
    then_back(&s, &actor, &info, f.household_id, result).await
}

#[derive(Deserialize)]
pub struct ResendForm {
    household_id: i64,
}

pub async fn resend_referral(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<ResendForm>,
) -> WebResult {
    let result = s.app.resend_referral(&actor, id).await;
    then_back(&s, &actor, &info, f.household_id, result).await
}

// ---------- the receiver's inbox ----------

pub struct InboxLine {
    pub id: i64,
    pub label: String,
    pub region: String,
    pub facts: String,
    pub state: String,
    pub state_code: String,
    pub due: String,
    pub overdue: bool,
    pub version: i64,
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct ReferralsPage {
    c: Chrome,
    rows: Vec<InboxLine>,
    message: String,
}

async fn referrals_page(
    s: &AppState,
    actor: &Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let lang = info.lang;
    let now = s.app.now();
    let rows = s
        .app
        .my_referrals(actor)
        .await
        .web(info)?
        .into_iter()
        .map(|r| InboxLine {
            id: r.id,
            label: item_label(lang, &r.item_code),
            region: r.region_name.clone(),
            facts: serde_json::from_str::<serde_json::Value>(&r.facts)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .map(|o| {
                    o.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| {
                            format!("{k}: {}", v.as_str().map_or(v.to_string(), str::to_string))
                        })
                        .collect::<Vec<_>>()
                        .join("；")
                })
                .unwrap_or_default(),
            state: state_word(lang, &r.state).to_string(),
            overdue: matches!(r.state.as_str(), "sent" | "accepted" | "in_progress")
                && r.due_at < now,
            state_code: r.state,
            due: deadline_text(&s.app, lang, r.due_at),
            version: r.row_version,
        })
        .collect();
    let (status, message) = refusal(refused.as_ref(), lang);
    render_status(
        &ReferralsPage {
            c: chrome(actor, info),
            rows,
            message,
        },
        info,
        status,
    )
}

pub async fn referrals(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    referrals_page(&s, &actor, &info, None).await
}

#[derive(Deserialize)]
pub struct ReferralForm {
    version: i64,
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    date: String,
}

pub async fn act_on_referral(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<ReferralForm>,
) -> WebResult {
    let action = match f.action.as_str() {
        "accept" => ReferralAction::Accept,
        "return" => ReferralAction::Return { reason: f.reason },
        "start" => ReferralAction::Start,
        "complete" => ReferralAction::Complete {
            amount: f.amount.trim().parse::<f64>().ok(),
            service: f.service,
            date: f.date,
        },
        "fail" => ReferralAction::Fail { reason: f.reason },
        _ => {
            return referrals_page(
                &s,
                &actor,
                &info,
                Some(AppError::invalid("action", msg!("referral-action-choices"))),
            )
            .await;
        }
    };
    match s.app.act_on_referral(&actor, id, f.version, &action).await {
        Ok(()) => Ok(Redirect::to("/referrals").into_response()),
        Err(e) if is_form_error(&e) || matches!(e, AppError::Conflict(_) | AppError::Stale) => {
            referrals_page(&s, &actor, &info, Some(e)).await
        }
        Err(e) => Err(WebError::new(e, &info)),
    }
}

// ---------- the reserve fund ----------

#[derive(Template)]
#[template(path = "fund.html")]
struct FundPage {
    c: Chrome,
    town_code: i64,
    town_name: String,
    balance: String,
    ledger: Vec<(String, String, String, String, String)>,
    can_top_up: bool,
}

fn yuan_text(cents: i64) -> String {
    format!("¥{:.2}", cents as f64 / 100.0)
}

pub async fn fund(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(town): Path<String>,
) -> WebResult {
    let fund = s.app.fund(&actor, &town).await.web(&info)?;
    let lang = info.lang;
    let ledger = fund
        .ledger
        .into_iter()
        .map(|l| {
            (
                format_millis(l.at),
                state_word(lang, &l.kind).to_string(),
                yuan_text(l.amount_cents),
                yuan_text(l.balance_after_cents),
                l.note,
            )
        })
        .collect();
    let page = FundPage {
        c: chrome(&actor, &info),
        town_code: fund.town_code,
        town_name: fund.town_name,
        balance: yuan_text(fund.balance_cents),
        ledger,
        can_top_up: actor.may(Action::ManageFunds),
    };
    render(&page, &info)
}

#[derive(Template)]
#[template(path = "funds.html")]
struct FundsPage {
    c: Chrome,
    /// (town code, town name, balance)
    funds: Vec<(i64, String, String)>,
}

/// The reserve funds of the towns in the caller's area (镇街临时救助备用金).
pub async fn funds(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    let funds = s
        .app
        .funds(&actor)
        .await
        .web(&info)?
        .into_iter()
        .map(|f| (f.town_code, f.town_name, yuan_text(f.balance_cents)))
        .collect();
    render(
        &FundsPage {
            c: chrome(&actor, &info),
            funds,
        },
        &info,
    )
}

#[derive(Deserialize)]
pub struct TopUpForm {
    amount: String,
    #[serde(default)]
    note: String,
}

pub async fn top_up(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(town): Path<String>,
    Form(f): Form<TopUpForm>,
) -> WebResult {
    let amount = f.amount.trim().parse::<f64>().unwrap_or(-1.0);
    s.app
        .top_up_fund(&actor, &town, amount, &f.note)
        .await
        .web(&info)?;
    Ok(Redirect::to(&format!("/funds/{town}")).into_response())
}

#[derive(Deserialize)]
pub struct FollowupForm {
    note: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    tier: String,
}

pub async fn record_followup(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<FollowupForm>,
) -> WebResult {
    let satisfaction = Some(f.satisfaction.as_str()).filter(|x| !x.is_empty());
    let tier = Some(f.tier.as_str()).filter(|x| !x.is_empty());
    let result = s
        .app
        .record_followup(&actor, id, &f.note, satisfaction, tier)
        .await;
    then_back(&s, &actor, &info, id, result).await
}

pub struct DueLine {
    pub household_id: i64,
    pub address: String,
    pub tier: String,
    pub due_on: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "followups.html")]
struct FollowupsPage {
    c: Chrome,
    rows: Vec<DueLine>,
}

pub async fn followups(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    let lang = info.lang;
    let today = s.app.today().to_string();
    let rows = s
        .app
        .followups_due(&actor)
        .await
        .web(&info)?
        .into_iter()
        .map(|f| DueLine {
            household_id: f.household_id,
            address: f.address,
            tier: state_word(lang, &f.tier).to_string(),
            overdue: f.due_on < today,
            due_on: f.due_on,
        })
        .collect();
    render(
        &FollowupsPage {
            c: chrome(&actor, &info),
            rows,
        },
        &info,
    )
}

// ---------- figures ----------

#[derive(Template)]
#[template(path = "figures_help.html")]
struct HelpFiguresPage {
    c: Chrome,
    region: String,
    from: String,
    to: String,
    f: minsheng_app::help::HelpFigures,
    amounts: Chart,
    counts: Chart,
    referrals: Vec<(String, String, i64)>,
    in_time: String,
    linked: String,
    res: minsheng_app::resources::ResourceFigures,
    /// Social resources delivered by provider kind and by district (¥ and deliveries).
    res_by_kind: Chart,
    res_by_district: Chart,
    /// Contracts: delivery rate and paid of budget.
    res_contracts: Chart,
}

pub async fn figures(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    axum::extract::Query(p): axum::extract::Query<crate::discovery_pages::FigureParams>,
) -> WebResult {
    let (region, from, to) = p.resolve(s.app.today()).web(&info)?;
    let to_exclusive = to.next_day().unwrap_or(to);
    let f = s
        .app
        .help_figures(&actor, region, from, to_exclusive)
        .await
        .web(&info)?;
    let lang = info.lang;
    let label = |code: &str, zh: &str| {
        catalog::shipped()
            .ok()
            .and_then(|c| {
                c.categories
                    .iter()
                    .find(|x| x.code == code)
                    .map(|x| pick(lang, &x.label_zh, &x.label_en).to_string())
            })
            .unwrap_or_else(|| zh.to_string())
    };
    let t = lang.texts();
    let amounts = Chart::new(
        "amount-chart",
        ChartKind::Bar,
        t.fig_amount_by_category,
        t.category,
        &[t.amount],
    )
    .rows(
        f.by_category
            .iter()
            .map(|(code, zh, _, y)| (label(code, zh), *y, format!("¥{y:.2}"))),
    );
    let counts = Chart::new(
        "count-chart",
        ChartKind::Bar,
        t.fig_items_by_category,
        t.category,
        &[t.count],
    )
    .rows(
        f.by_category
            .iter()
            .map(|(code, zh, n, _)| (label(code, zh), *n as f64, n.to_string())),
    );
    let referrals = f
        .referrals
        .iter()
        .map(|(group, state, n)| (group.clone(), state_word(lang, state).to_string(), *n))
        .collect();
    let res = s
        .app
        .resource_figures(&actor, region, Some((from, to)))
        .await
        .web(&info)?;
    let delivered = |id, caption, heading| {
        Chart::new(
            id,
            ChartKind::Bar,
            caption,
            heading,
            &[t.amount, t.res_deliveries],
        )
    };
    let mut res_by_kind = delivered("res-by-kind", t.res_by_kind, t.res_kind);
    for (kind, n, y) in &res.delivered {
        let word = crate::resource_pages::provider_kind(lang, kind);
        res_by_kind = res_by_kind.row(
            word,
            &[(*y, format!("¥{y:.2}")), (*n as f64, n.to_string())],
        );
    }
    let mut res_by_district = delivered("res-by-district", t.res_by_district, t.district);
    for (_, name, n, y) in &res.by_district {
        res_by_district = res_by_district.row(
            name,
            &[(*y, format!("¥{y:.2}")), (*n as f64, n.to_string())],
        );
    }
    let mut res_contracts = Chart::new(
        "res-contracts",
        ChartKind::Bar,
        t.res_contracts,
        t.res_contract,
        &[t.res_delivery_rate, t.res_paid],
    );
    for (name, rate, paid, budget) in &res.contracts {
        let percent = (rate * 100.0).round();
        res_contracts = res_contracts.row(
            name,
            &[
                (percent, format!("{percent}%")),
                (*paid, format!("¥{paid:.2} / ¥{budget:.2}")),
            ],
        );
    }
    let page = HelpFiguresPage {
        res,
        res_by_kind,
        res_by_district,
        res_contracts,
        c: chrome(&actor, &info),
        region: p.region.clone(),
        from: from.to_string(),
        to: to.to_string(),
        amounts,
        counts,
        referrals,
        in_time: f
            .emergency_in_time_share
            .map_or_else(|| "—".to_string(), |x| format!("{:.1}%", x * 100.0)),
        linked: format!("¥{:.2}", f.linked_yuan),
        f,
    };
    render(&page, &info)
}

pub async fn figures_export(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    axum::extract::Query(p): axum::extract::Query<crate::discovery_pages::FigureParams>,
) -> WebResult {
    let (region, from, to) = p.resolve(s.app.today()).web(&info)?;
    let to_exclusive = to.next_day().unwrap_or(to);
    let bytes = s
        .app
        .export_help_figures(&actor, region, from, to_exclusive)
        .await
        .web(&info)?;
    Ok(crate::html::xlsx_response(bytes, "help-figures.xlsx"))
}

// ---------- data matching: are the warnings right? ----------

#[derive(Template)]
#[template(path = "figures_screening.html")]
struct ScreeningFiguresPage {
    c: Chrome,
    rows: Vec<(String, i64, i64, i64, i64, String, i64)>,
    /// (when, who, purpose, feeds, warnings, filed, raised before).
    runs: Vec<(String, String, String, String, i64, i64, i64)>,
}

pub async fn screening_figures(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
) -> WebResult {
    let rows = s
        .app
        .screening_hit_rates(&actor)
        .await
        .web(&info)?
        .into_iter()
        .map(|r| {
            let percent = r.rate.map_or(0, |x| (x * 100.0).round() as i64);
            (
                r.rule,
                r.warned,
                r.confirmed,
                r.not_in_difficulty,
                r.open,
                r.rate
                    .map_or_else(|| "—".to_string(), |x| format!("{:.0}%", x * 100.0)),
                percent,
            )
        })
        .collect();
    let runs = s
        .app
        .screening_runs(&actor)
        .await
        .web(&info)?
        .into_iter()
        .map(|r| {
            (
                format_millis(r.at),
                r.username,
                r.purpose,
                r.feeds,
                r.warnings,
                r.clues_filed,
                r.already_raised,
            )
        })
        .collect();
    render(
        &ScreeningFiguresPage {
            c: chrome(&actor, &info),
            rows,
            runs,
        },
        &info,
    )
}
