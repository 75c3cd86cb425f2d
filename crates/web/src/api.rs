//! The JSON API under `/api/v1`: the same use cases as the pages, as JSON.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minsheng_app::AppError;
use minsheng_app::registry::{HouseholdInput, MemberInput};
use minsheng_domain::RegionCode;
use minsheng_i18n::msg;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{Authed, Info, SESSION_COOKIE, SessionToken, set_cookie};
use crate::discovery_pages::FigureParams;
use crate::error::WebError;
use crate::html::{AuditParams, ListParams, OrWeb};
use minsheng_app::discovery::{ClueSubmission, VisitSubmission};

type ApiResult = Result<Response, WebError>;

fn ok(value: impl serde::Serialize) -> ApiResult {
    Ok(Json(value).into_response())
}

/// A use case's answer as JSON, with every deadline (`due_at`, `escalate_…_at`) joined by
/// `…_provisional`: true when it falls in a year whose official working-day schedule is not
/// loaded (counted on weekends only), so a department's system can say so too.
fn answer(s: &AppState, value: impl serde::Serialize) -> ApiResult {
    let Ok(mut value) = serde_json::to_value(value) else {
        return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let calendar = s.app.calendar();
    mark_provisional(&mut value, &|millis| {
        !calendar.covers(minsheng_domain::time_util::date_in_china(millis).year())
    });
    Ok(Json(value).into_response())
}

fn mark_provisional(value: &mut serde_json::Value, provisional: &dyn Fn(i64) -> bool) {
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                mark_provisional(item, provisional);
            }
        }
        serde_json::Value::Object(map) => {
            let deadlines: Vec<(String, bool)> = map
                .iter()
                .filter(|(key, _)| {
                    *key == "due_at" || (key.starts_with("escalate_") && key.ends_with("_at"))
                })
                .filter_map(|(key, v)| {
                    Some((format!("{key}_provisional"), provisional(v.as_i64()?)))
                })
                .collect();
            for v in map.values_mut() {
                mark_provisional(v, provisional);
            }
            for (key, flag) in deadlines {
                map.insert(key, serde_json::Value::Bool(flag));
            }
        }
        _ => {}
    }
}

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(
    State(s): State<AppState>,
    Info(info): Info,
    Json(body): Json<LoginBody>,
) -> ApiResult {
    let session = s
        .app
        .login(&body.username, &body.password, &info.ip)
        .await
        .web(&info)?;
    let max_age = s.app.settings().session_idle_millis / 1000;
    let mut response = Json(json!({
        "username": session.actor.username(),
        "roles": session.actor.roles(),
        "csrf_token": session.csrf_token,
    }))
    .into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &session.token,
            max_age,
            true,
            s.config.secure_cookies,
        ),
    );
    Ok(response)
}

pub async fn logout(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    SessionToken(token): SessionToken,
) -> ApiResult {
    if let Some(token) = token {
        s.app.logout(&token, &actor).await.web(&info)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, true, s.config.secure_cookies),
    );
    Ok(response)
}

pub async fn me(Authed(actor, _): Authed) -> ApiResult {
    ok(json!({
        "username": actor.username(),
        "display_name": actor.display_name(),
        "unit": actor.unit_name(),
        "region_code": RegionCode::from_i64(actor.region_code()).map(|c| c.short()),
        "roles": actor.roles(),
    }))
}

#[derive(Deserialize)]
pub struct TokenBody {
    name: String,
}

pub async fn issue_token(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(body): Json<TokenBody>,
) -> ApiResult {
    let token = s.app.issue_api_token(&actor, &body.name).await.web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({ "token": token }))).into_response())
}

pub async fn tokens(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.own_api_tokens(&actor).await.web(&info)?)
}

pub async fn revoke_token(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    s.app.revoke_own_api_token(&actor, id).await.web(&info)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn households(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<ListParams>,
) -> ApiResult {
    answer(
        &s,
        s.app
            .list_households(&actor, &p_query(&p))
            .await
            .web(&info)?,
    )
}

fn p_query(p: &ListParams) -> minsheng_app::registry::ListQuery {
    p.to_query()
}

pub async fn household(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    answer(&s, s.app.household_detail(&actor, id).await.web(&info)?)
}

pub async fn household_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(input): Json<HouseholdInput>,
) -> ApiResult {
    let id = s.app.create_household(&actor, &input).await.web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

#[derive(Deserialize)]
pub struct HouseholdBody {
    version: i64,
    region_code: String,
    address: String,
}

pub async fn household_save(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(body): Json<HouseholdBody>,
) -> ApiResult {
    let input = HouseholdInput {
        region_code: body.region_code,
        address: body.address,
    };
    s.app
        .update_household(&actor, id, body.version, &input)
        .await
        .web(&info)?;
    answer(&s, s.app.household_detail(&actor, id).await.web(&info)?)
}

pub async fn household_add_member(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(input): Json<MemberInput>,
) -> ApiResult {
    let person = s.app.add_member(&actor, id, &input).await.web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({ "person_id": person }))).into_response())
}

pub async fn persons(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<ListParams>,
) -> ApiResult {
    answer(
        &s,
        s.app.list_persons(&actor, &p_query(&p)).await.web(&info)?,
    )
}

pub async fn person(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    answer(&s, s.app.person_detail(&actor, id).await.web(&info)?)
}

#[derive(Deserialize)]
pub struct PersonBody {
    version: i64,
    name: String,
    #[serde(default)]
    phone: Option<String>,
}

pub async fn person_save(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(body): Json<PersonBody>,
) -> ApiResult {
    s.app
        .update_person(&actor, id, body.version, &body.name, body.phone.as_deref())
        .await
        .web(&info)?;
    answer(&s, s.app.person_detail(&actor, id).await.web(&info)?)
}

pub async fn person_reveal(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    let full = s.app.reveal_id_number(&actor, id).await.web(&info)?;
    ok(json!({ "id": id, "id_number": full }))
}

pub async fn regions(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.region_children(&actor, None).await.web(&info)?)
}

pub async fn region(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(code): Path<String>,
) -> ApiResult {
    let code = RegionCode::parse(&code).map_err(|_| WebError::new(AppError::NotFound, &info))?;
    answer(
        &s,
        s.app.region_children(&actor, Some(code)).await.web(&info)?,
    )
}

pub async fn units(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.list_units(&actor).await.web(&info)?)
}

pub async fn channels(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.channels(&actor).await.web(&info)?)
}

pub async fn channel_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(body): Json<minsheng_app::notify::ChannelInput>,
) -> ApiResult {
    let id = s.app.add_channel(&actor, &body).await.web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

pub async fn users(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.list_users(&actor).await.web(&info)?)
}

pub async fn audit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<AuditParams>,
) -> ApiResult {
    ok(minsheng_app::search_audit(&s.app, &actor, &p.filter(100))
        .await
        .web(&info)?)
}

pub async fn figures(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.figures(&actor).await.web(&info)?)
}

// ---------- discovery ----------

pub async fn clue_submit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(body): Json<ClueSubmission>,
) -> ApiResult {
    let result = s.app.submit_clue(&actor, &body).await.web(&info)?;
    let status = if result.resent {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(result)).into_response())
}

/// The same as `POST /api/v1/clues`, with the channel in the path: one address per channel
/// for the systems that file clues (hotline, screening, one-stop window, departments, sweeps).
pub async fn clue_submit_channel(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(channel): Path<String>,
    Json(mut body): Json<ClueSubmission>,
) -> ApiResult {
    body.channel = channel;
    let result = s.app.submit_clue(&actor, &body).await.web(&info)?;
    let status = if result.resent {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(result)).into_response())
}

/// The caller's own clues, newest first, 20 a page (`?page=`).
pub async fn my_clues(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    answer(
        &s,
        s.app
            .my_clues(&actor, q.page.unwrap_or(1).clamp(1, 10_000) as u32)
            .await
            .web(&info)?,
    )
}

pub async fn inbox(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.inbox(&actor).await.web(&info)?)
}

pub async fn lead(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    answer(&s, s.app.lead_detail(&actor, id).await.web(&info)?)
}

pub async fn lead_visit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(body): Json<VisitSubmission>,
) -> ApiResult {
    answer(&s, s.app.record_visit(&actor, id, &body).await.web(&info)?)
}

#[derive(Deserialize)]
pub struct FileStateBody {
    version: i64,
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

pub async fn file_state(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(body): Json<FileStateBody>,
) -> ApiResult {
    s.app
        .set_file_state(
            &actor,
            id,
            body.version,
            &body.state,
            body.reason.as_deref(),
        )
        .await
        .web(&info)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn discovery_figures(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(p): Query<FigureParams>,
) -> ApiResult {
    let (region, from, to) = p.resolve(s.app.today()).web(&info)?;
    let to = to.next_day().unwrap_or(to);
    answer(
        &s,
        s.app
            .discovery_figures(&actor, region, from, to)
            .await
            .web(&info)?,
    )
}

// ---------- sweeps ----------

pub async fn sweeps(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.list_sweeps(&actor).await.web(&info)?)
}

#[derive(Deserialize)]
pub struct SweepBody {
    name: String,
    region_code: String,
}

pub async fn sweep_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(b): Json<SweepBody>,
) -> ApiResult {
    let id = s
        .app
        .create_sweep(&actor, &b.region_code, &b.name)
        .await
        .web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
}

pub async fn sweep(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    answer(
        &s,
        s.app
            .sweep_detail(&actor, id, q.page.unwrap_or(1))
            .await
            .web(&info)?,
    )
}

pub async fn sweep_visit(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(b): Json<minsheng_app::sweeps::SweepVisitInput>,
) -> ApiResult {
    let clue = s.app.record_sweep_visit(&actor, id, &b).await.web(&info)?;
    ok(json!({ "clue_id": clue }))
}

// ---------- groups ----------

pub async fn groups(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.list_groups(&actor).await.web(&info)?)
}

pub async fn group_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(b): Json<SweepBody>,
) -> ApiResult {
    let id = s
        .app
        .create_group(&actor, &b.region_code, &b.name)
        .await
        .web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

pub async fn group(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    answer(&s, s.app.group_detail(&actor, id).await.web(&info)?)
}

#[derive(Deserialize)]
pub struct MemberBody {
    username: String,
    position: String,
}

pub async fn group_member_add(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(b): Json<MemberBody>,
) -> ApiResult {
    s.app
        .add_group_member(&actor, id, &b.username, &b.position)
        .await
        .web(&info)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------- assessments ----------

pub async fn assessment(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    answer(&s, s.app.assessment_detail(&actor, id).await.web(&info)?)
}

/// The JSON Schema of the household survey in effect (the district's questions included), so a
/// tablet app or a department's system builds its form from it.
pub async fn survey_schema(Authed(_actor, _info): Authed) -> ApiResult {
    ok(minsheng_app::assess::survey::json_schema())
}

/// Saves a survey draft (a tablet app's autosave); answers with the mistakes found so far.
pub async fn assessment_survey(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(survey): Json<serde_json::Value>,
) -> ApiResult {
    let saved = s
        .app
        .save_assessment_draft(
            &actor,
            id,
            &minsheng_app::assessment::SurveyForm::facts(&survey),
        )
        .await
        .web(&info)?;
    ok(json!({ "saved": true, "version": saved.version, "errors": saved.errors }))
}

/// The household's current recognised assessment (互认共享), or null.
pub async fn household_assessment(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    // Reading the household checks the area and audits the read.
    s.app.household_detail(&actor, id).await.web(&info)?;
    answer(&s, s.app.current_assessment(&actor, id).await.web(&info)?)
}

// ---------- the 12345 hotline ----------

/// A call taken through another system (the telephony desk): classified, routed, with the
/// duplicates it may be.
pub async fn hotline_create(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(mut body): Json<minsheng_app::hotline::RequestSubmission>,
) -> ApiResult {
    body.channel = "phone".into();
    let taken = s.app.submit_request(&actor, &body).await.web(&info)?;
    Ok((StatusCode::CREATED, Json(taken)).into_response())
}

pub async fn hotline_request(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
) -> ApiResult {
    answer(
        &s,
        s.app
            .hotline_request(&actor, id, minsheng_domain::Action::TakeCalls)
            .await
            .web(&info)?,
    )
}

#[derive(Deserialize)]
pub struct WeekQuery {
    #[serde(default)]
    week: Option<String>,
}

/// The weekly ranking (public: no personal data).
pub async fn hotline_ranking(
    State(s): State<AppState>,
    Info(info): Info,
    Query(q): Query<WeekQuery>,
) -> ApiResult {
    let week = minsheng_app::hotline::week_or_this(q.week.as_deref(), s.app.today());
    answer(&s, s.app.weekly_ranking(&week).await.web(&info)?)
}

/// Readings from a network's sensors and inspection robots, all or none; the alarms raised.
pub async fn grid_readings(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(body): Json<Vec<minsheng_app::grid::ReadingIn>>,
) -> ApiResult {
    let raised = s.app.record_readings(&actor, id, &body).await.web(&info)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"readings": body.len(), "alarms": raised})),
    )
        .into_response())
}

/// Station alarms, open ones unless `?all=true`.
pub async fn grid_alarms(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(q): Query<AllQuery>,
) -> ApiResult {
    answer(&s, s.app.grid_alarms(&actor, !q.all).await.web(&info)?)
}

#[derive(Deserialize)]
pub struct AllQuery {
    #[serde(default)]
    all: bool,
}

/// Offers that reach into the caller's area.
pub async fn resource_offers(State(s): State<AppState>, Authed(actor, info): Authed) -> ApiResult {
    answer(&s, s.app.offers(&actor).await.web(&info)?)
}

/// Matches an offer to a household, with the consent recorded.
pub async fn resource_match(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Json(body): Json<minsheng_app::resources::MatchInput>,
) -> ApiResult {
    let id = s.app.match_offer(&actor, &body).await.web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

/// Records a match's delivery.
pub async fn resource_delivery(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(body): Json<minsheng_app::resources::DeliveryInput>,
) -> ApiResult {
    let delivery = s.app.record_delivery(&actor, id, &body).await.web(&info)?;
    Ok((StatusCode::CREATED, Json(json!({"id": delivery}))).into_response())
}

/// An appeal's public figures.
pub async fn public_appeal(
    State(s): State<AppState>,
    Info(info): Info,
    Path(id): Path<i64>,
) -> ApiResult {
    answer(&s, s.app.public_appeal(id).await.web(&info)?)
}

#[derive(Deserialize)]
pub struct EntryBody {
    kind: String,
    amount_yuan: f64,
    #[serde(default)]
    provider_id: Option<i64>,
    #[serde(default)]
    note: String,
}

/// A ledger entry of an appeal (pledge, receipt, disbursement); the appeal's figures after it.
pub async fn appeal_entry(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Path(id): Path<i64>,
    Json(body): Json<EntryBody>,
) -> ApiResult {
    use minsheng_app::resources::Entry;
    let entry = match body.kind.as_str() {
        "pledge" => Entry::Pledge,
        "receipt" => Entry::Receipt,
        "disbursement" => Entry::Disbursement,
        _ => {
            return Err(WebError::new(
                AppError::invalid("kind", msg!("entry-kind-choices")),
                &info,
            ));
        }
    };
    let after = s
        .app
        .appeal_entry(
            &actor,
            id,
            entry,
            body.provider_id,
            body.amount_yuan,
            &body.note,
        )
        .await
        .web(&info)?;
    Ok((StatusCode::CREATED, Json(after)).into_response())
}

#[derive(Deserialize)]
pub struct RegionQuery {
    #[serde(default)]
    region: String,
}

/// Social-resource figures of the caller's area or one region of it.
pub async fn resource_figures(
    State(s): State<AppState>,
    Authed(actor, info): Authed,
    Query(q): Query<RegionQuery>,
) -> ApiResult {
    let region = match q.region.trim() {
        "" => None,
        code => Some(
            RegionCode::parse(code)
                .map_err(|e| AppError::invalid("region", e.message()))
                .web(&info)?,
        ),
    };
    answer(
        &s,
        s.app
            .resource_figures(&actor, region, None)
            .await
            .web(&info)?,
    )
}
