//! Pages of the self-healing grid: the network drawn as SVG with a fault replayed step by step
//! (and raised, which alerts the community workers of linked households), the station alarms
//! with acknowledgement, and the community worker's power-dependent households with their
//! outage alerts.

use minsheng_i18n::msg;
use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minsheng_app::AppError;
use minsheng_app::grid::{AlarmRow, AlertRow, LinkRequest, LinkRow, NetworkRow};
use minsheng_domain::time_util::format_millis;
use minsheng_grid::Network;
use minsheng_grid::drawing::{Frame, Step, frames, layout};
use minsheng_grid::flisr::{self, Cause, Fault, Options};
use minsheng_grid::indexed::{BranchKind, Indexed};
use minsheng_grid::loadflow::Solver;
use minsheng_grid::network::SwitchElement;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, RequestInfo};
use crate::html::{Chrome, OrWeb, WebResult, chrome, is_form_error, refusal, render_status};
use crate::i18n::Lang;

/// Networks larger than this are not drawn.
const MAX_DRAWN_BUSES: usize = 400;
const COLUMN: usize = 130;
const ROW: usize = 80;
const MARGIN: usize = 50;

pub struct SvgLine {
    id: String,
    x1: usize,
    y1: usize,
    x2: usize,
    y2: usize,
    tie: bool,
    faulted: bool,
}

pub struct SvgBus {
    id: String,
    label: String,
    load: String,
    x: usize,
    y: usize,
}

pub struct SvgSwitch {
    id: String,
    x: usize,
    y: usize,
    closed: bool,
}

pub struct Drawing {
    width: usize,
    height: usize,
    lines: Vec<SvgLine>,
    buses: Vec<SvgBus>,
    switches: Vec<SvgSwitch>,
}

pub struct PlanView {
    fault: String,
    steps: Vec<String>,
    lost: String,
    restored: String,
    generator: String,
    left: String,
}

#[derive(Template)]
#[template(path = "grid.html")]
struct NetworkPage {
    c: Chrome,
    networks: Vec<NetworkRow>,
    network: NetworkRow,
    lines: Vec<(String, bool)>,
    channels: Vec<String>,
    /// The fault asked for (a line or a channel), carried to the form that reports it.
    q_fault: String,
    q_channel: String,
    drawing: Option<Drawing>,
    plan: Option<PlanView>,
    frames_json: String,
    message: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct FaultQuery {
    #[serde(default)]
    pub fault: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub alerted: Option<usize>,
}

impl FaultQuery {
    fn cause(&self) -> Option<Cause> {
        if !self.channel.trim().is_empty() {
            Some(Cause::Channel(self.channel.trim().to_string()))
        } else if !self.fault.trim().is_empty() {
            Some(Cause::Line(self.fault.trim().to_string()))
        } else {
            None
        }
    }
}

fn drawing(ix: &Indexed, faulted_lines: &BTreeSet<usize>) -> Option<Drawing> {
    let net = ix.net;
    if net.buses.len() > MAX_DRAWN_BUSES {
        return None;
    }
    let at = layout(ix);
    let xy = |b: usize| (MARGIN + at[b].0 * COLUMN, MARGIN + at[b].1 * ROW);
    let mut lines = Vec::new();
    for br in &ix.branches {
        let BranchKind::Line(l) = br.kind else {
            continue;
        };
        let ((x1, y1), (x2, y2)) = (xy(br.a), xy(br.b));
        lines.push(SvgLine {
            id: net.lines[l].id.clone(),
            x1,
            y1,
            x2,
            y2,
            tie: br.switches.iter().any(|&s| !net.switches[s].closed),
            faulted: faulted_lines.contains(&l),
        });
    }
    let switches = net
        .switches
        .iter()
        .enumerate()
        .map(|(s, sw)| {
            let br = &ix.branches[ix.switch_branch[s]];
            let here = ix.switch_bus[s];
            let other = if br.a == here { br.b } else { br.a };
            let ((x1, y1), (x2, y2)) = (xy(here), xy(other));
            // A quarter of the way along from its bus (a coupler: half way).
            let share = if matches!(sw.element, SwitchElement::Bus(_)) {
                0.5
            } else {
                0.25
            };
            let along = |a: usize, b: usize| (a as f64 + (b as f64 - a as f64) * share) as usize;
            SvgSwitch {
                id: sw.id.clone(),
                x: along(x1, x2),
                y: along(y1, y2),
                closed: sw.closed,
            }
        })
        .collect();
    let buses = net
        .buses
        .iter()
        .enumerate()
        .map(|(b, bus)| {
            let (x, y) = xy(b);
            let (kw, priority) = net
                .loads
                .iter()
                .filter(|l| l.bus == bus.id)
                .fold((0.0, 0), |(kw, p), l| {
                    (kw + l.p_kw, p + l.priority_customers)
                });
            let mut load = if kw != 0.0 {
                format!("{kw:.0} kW")
            } else {
                String::new()
            };
            if priority > 0 {
                load.push_str(&format!(" ♥{priority}"));
            }
            SvgBus {
                id: bus.id.clone(),
                label: if bus.name.is_empty() {
                    bus.id.clone()
                } else {
                    bus.name.clone()
                },
                load,
                x,
                y,
            }
        })
        .collect();
    let columns = at.iter().map(|p| p.0).max().unwrap_or(0) + 1;
    let rows = at.iter().map(|p| p.1).max().unwrap_or(0) + 1;
    Some(Drawing {
        width: 2 * MARGIN + columns * COLUMN,
        height: 2 * MARGIN + rows * ROW,
        lines,
        buses,
        switches,
    })
}

fn tally_text(t: minsheng_grid::indexed::Tally, info: &RequestInfo) -> String {
    let tx = info.lang.texts();
    format!(
        "{:.0} kW · {} {} · {} {}",
        t.kw, t.customers, tx.grid_customers, t.priority, tx.grid_priority
    )
}

/// The frames as JSON for the page's script, with `<` escaped so nothing can end the script
/// element.
/// A replay step in the reader's language.
fn step_text(step: &Step, lang: Lang) -> String {
    match step {
        Step::Normal => minsheng_i18n::text(lang, "grid-step-normal").to_string(),
        Step::Fault { tripped } => minsheng_i18n::format(
            lang,
            "grid-step-fault",
            &[("switches", &tripped.join(", "))],
        ),
        Step::Operate { close, switch, why } => minsheng_i18n::format(
            lang,
            if *close {
                "grid-step-close"
            } else {
                "grid-step-open"
            },
            &[
                ("switch", switch),
                ("why", minsheng_i18n::word(lang, "grid_why", why.as_str())),
            ],
        ),
        Step::Generator => minsheng_i18n::text(lang, "grid-step-generator").to_string(),
    }
}

fn frames_json(ix: &Indexed, frames: &[Frame], lang: Lang) -> String {
    let ids = |set: &BTreeSet<usize>, of: &dyn Fn(usize) -> String| -> Vec<String> {
        set.iter().map(|&i| of(i)).collect()
    };
    let net = ix.net;
    let value: Vec<serde_json::Value> = frames
        .iter()
        .map(|f| {
            serde_json::json!({
                "label": step_text(&f.step, lang),
                "open": ids(&f.open_switches, &|s| net.switches[s].id.clone()),
                "dark_buses": ids(&f.dark_buses, &|b| net.buses[b].id.clone()),
                "dark_lines": ids(&f.dark_lines, &|l| net.lines[l].id.clone()),
                "generator_buses": ids(&f.generator_buses, &|b| net.buses[b].id.clone()),
            })
        })
        .collect();
    serde_json::Value::Array(value)
        .to_string()
        .replace('<', "\\u003c")
}

async fn network_page(
    s: &AppState,
    actor: &minsheng_app::Actor,
    info: &RequestInfo,
    id: i64,
    q: &FaultQuery,
    refused: Option<AppError>,
) -> WebResult {
    let networks = s.app.grid_networks(actor).await.web(info)?;
    let (network, net): (NetworkRow, Network) = s.app.grid_network(actor, id).await.web(info)?;
    let ix = Indexed::new(&net);
    let (status, mut message) = refusal(refused.as_ref(), info.lang);
    let mut plan_view = None;
    let mut frames_text = String::from("[]");
    let mut faulted_lines = BTreeSet::new();
    if let Some(cause) = q.cause() {
        let normal = ix.normal_state();
        let none = BTreeSet::new();
        match flisr::fault_zones(&ix, &normal, &none, &cause, &none) {
            Ok(zones) => {
                let solver = Solver::new(&ix);
                let fault = Fault {
                    zones,
                    ..Fault::default()
                };
                let plan = flisr::plan(&solver, &normal, &none, &fault, Options::default());
                faulted_lines = plan
                    .faulted
                    .iter()
                    .flat_map(|&z| ix.zone_lines[z].iter().copied())
                    .collect();
                let replay = frames(&ix, &plan);
                frames_text = frames_json(&ix, &replay, info.lang);
                let labels: Vec<String> = replay
                    .iter()
                    .map(|f| step_text(&f.step, info.lang))
                    .collect();
                plan_view = Some(PlanView {
                    fault: cause.to_string(),
                    steps: labels,
                    lost: tally_text(plan.lost, info),
                    restored: tally_text(plan.restored, info),
                    generator: tally_text(plan.generator, info),
                    left: tally_text(plan.unrestored(), info),
                });
            }
            Err(e) => message = e,
        }
    }
    if let Some(n) = q.alerted {
        message = minsheng_i18n::format(info.lang, "outage-alerts-sent", &[("n", &n.to_string())]);
    }
    let channels: BTreeSet<String> = net
        .lines
        .iter()
        .map(|l| l.channel.clone())
        .filter(|c| !c.is_empty())
        .collect();
    let page = NetworkPage {
        c: chrome(actor, info),
        networks,
        lines: net
            .lines
            .iter()
            .map(|l| (l.id.clone(), l.id == q.fault.trim()))
            .collect(),
        channels: channels.into_iter().collect(),
        q_fault: q.fault.trim().to_string(),
        q_channel: q.channel.trim().to_string(),
        drawing: drawing(&ix, &faulted_lines),
        plan: plan_view,
        frames_json: frames_text,
        message,
        network,
    };
    render_status(&page, info, status)
}

/// `/grid`: the first network.
pub async fn index(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(q): Query<FaultQuery>,
) -> WebResult {
    let networks = s.app.grid_networks(&actor).await.web(&info)?;
    let Some(first) = networks.first() else {
        return Err(crate::error::WebError::new(AppError::NotFound, &info));
    };
    network_page(&s, &actor, &info, first.id, &q, None).await
}

pub async fn network(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Query(q): Query<FaultQuery>,
) -> WebResult {
    network_page(&s, &actor, &info, id, &q, None).await
}

#[derive(Debug, Deserialize)]
pub struct FaultForm {
    #[serde(default)]
    pub fault: String,
    #[serde(default)]
    pub channel: String,
}

/// Raises a fault for real: the linked households it strands alert their community workers.
pub async fn raise_fault(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<FaultForm>,
) -> WebResult {
    let q = FaultQuery {
        fault: f.fault,
        channel: f.channel,
        alerted: None,
    };
    let Some(cause) = q.cause() else {
        let e = AppError::invalid("fault", msg!("choose-line-or-channel"));
        return network_page(&s, &actor, &info, id, &q, Some(e)).await;
    };
    match s
        .app
        .report_grid_fault(&actor, id, &cause, Options::default())
        .await
    {
        Ok(report) => {
            let (key, value) = match &cause {
                Cause::Channel(c) => ("channel", c.clone()),
                _ => ("fault", q.fault.clone()),
            };
            let target = format!(
                "/grid/{id}?{key}={}&alerted={}",
                crate::error::urlencode(&value),
                report.alerts
            );
            Ok(Redirect::to(&target).into_response())
        }
        Err(e) if is_form_error(&e) => network_page(&s, &actor, &info, id, &q, Some(e)).await,
        Err(e) => Err(crate::error::WebError::new(e, &info)),
    }
}

#[derive(Template)]
#[template(path = "grid_alarms.html")]
struct AlarmsPage {
    c: Chrome,
    /// (alarm, when raised, severity in words).
    open: Vec<(AlarmRow, String, String)>,
    recent: Vec<(AlarmRow, String, String)>,
    message: String,
}

async fn alarms_page(
    s: &AppState,
    actor: &minsheng_app::Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let all = s.app.grid_alarms(actor, false).await.web(info)?;
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let dated = |mut a: AlarmRow| {
        let at = format_millis(a.raised_at);
        a.message = s.app.alarm_message(&a.rule, &a.message, info.lang);
        let severity = minsheng_i18n::word(info.lang, "severity", &a.severity).to_string();
        (a, at, severity)
    };
    let (open, recent): (Vec<AlarmRow>, Vec<AlarmRow>) =
        all.into_iter().partition(|a| a.state == "open");
    let page = AlarmsPage {
        c: chrome(actor, info),
        open: open.into_iter().map(dated).collect(),
        recent: recent.into_iter().take(100).map(dated).collect(),
        message,
    };
    render_status(&page, info, status)
}

pub async fn alarms(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    alarms_page(&s, &actor, &info, None).await
}

#[derive(Debug, Deserialize)]
pub struct AckForm {
    #[serde(default)]
    pub note: String,
}

pub async fn acknowledge_alarm(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Form(f): Form<AckForm>,
) -> WebResult {
    match s.app.acknowledge_alarm(&actor, id, &f.note).await {
        Ok(()) => Ok(Redirect::to("/grid/alarms").into_response()),
        Err(e) if is_form_error(&e) => alarms_page(&s, &actor, &info, Some(e)).await,
        Err(e) => Err(crate::error::WebError::new(e, &info)),
    }
}

#[derive(Template)]
#[template(path = "grid_dependents.html")]
struct DependentsPage {
    c: Chrome,
    networks: Vec<(NetworkRow, Vec<String>)>,
    links: Vec<LinkRow>,
    alerts: Vec<(AlertRow, String)>,
    message: String,
}

async fn dependents_page(
    s: &AppState,
    actor: &minsheng_app::Actor,
    info: &RequestInfo,
    refused: Option<AppError>,
) -> WebResult {
    let links = s.app.power_dependent_links(actor).await.web(info)?;
    let alerts = s.app.power_alerts(actor).await.web(info)?;
    let mut networks = Vec::new();
    for row in s.app.grid_networks(actor).await.web(info)? {
        let (_, net) = s.app.grid_network(actor, row.id).await.web(info)?;
        let loads = net.loads.iter().map(|l| l.id.clone()).collect();
        networks.push((row, loads));
    }
    let (status, message) = refusal(refused.as_ref(), info.lang);
    let page = DependentsPage {
        c: chrome(actor, info),
        networks,
        links,
        alerts: alerts
            .into_iter()
            .map(|a| {
                let at = format_millis(a.raised_at);
                (a, at)
            })
            .collect(),
        message,
    };
    render_status(&page, info, status)
}

pub async fn dependents(State(s): State<AppState>, Authed(actor, info): Authed) -> WebResult {
    dependents_page(&s, &actor, &info, None).await
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    pub network_id: String,
    pub load_id: String,
    pub household_id: String,
    #[serde(default)]
    pub consent_by: String,
    #[serde(default)]
    pub need: String,
}

pub async fn link(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Form(f): Form<LinkForm>,
) -> WebResult {
    let number = |field: &str, text: &str| {
        text.trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid(field, msg!("a-number")))
    };
    let done = match (
        number("network_id", &f.network_id),
        number("household_id", &f.household_id),
    ) {
        (Ok(network_id), Ok(household_id)) => {
            s.app
                .link_power_dependent(
                    &actor,
                    &LinkRequest {
                        network_id,
                        load_id: f.load_id.trim().to_string(),
                        household_id,
                        consent_by: f.consent_by,
                        need: f.need,
                    },
                )
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match done {
        Ok(_) => Ok(Redirect::to("/grid/dependents").into_response()),
        Err(e) if is_form_error(&e) || matches!(e, AppError::NotFound) => {
            dependents_page(&s, &actor, &info, Some(e)).await
        }
        Err(e) => Err(crate::error::WebError::new(e, &info)),
    }
}

pub async fn unlink(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    s.app.unlink_power_dependent(&actor, id).await.web(&info)?;
    Ok(Redirect::to("/grid/dependents").into_response())
}

pub async fn acknowledge_alert(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> WebResult {
    s.app.acknowledge_power_alert(&actor, id).await.web(&info)?;
    Ok(Redirect::to("/grid/dependents").into_response())
}
