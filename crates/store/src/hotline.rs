//! The 12345 hotline's requests (工单), their events, agents' corrections (training data) and
//! Open311 client keys. Staff reads take the caller's `Scope` or unit; public and Open311 reads
//! select the same rows and the app leaves the contact out.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, vals};

/// States in which a request is still being worked on.
pub const OPEN_STATES: [&str; 3] = ["centre", "dispatched", "accepted"];

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub token: String,
    pub channel: String,
    pub description: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub attributes: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub category: String,
    pub subcategory: String,
    pub request_type: String,
    pub confidence: f64,
    pub classified_by: String,
    pub region_code: i64,
    pub region_name: String,
    pub district_code: Option<i64>,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub state: String,
    pub transfers: i64,
    pub reworks: i64,
    pub due_at: i64,
    pub chased_at: Option<i64>,
    pub chases: i64,
    pub escalated: bool,
    pub extension_state: Option<String>,
    pub extension_days: Option<i64>,
    pub extension_reason: String,
    pub reply: String,
    pub replied_at: Option<i64>,
    pub resolved: Option<bool>,
    pub satisfaction: Option<String>,
    pub callback_at: Option<i64>,
    pub merged_into: Option<i64>,
    pub clue_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub row_version: i64,
}

const REQUEST_SELECT: &str = "SELECT q.id, q.token, q.channel, q.description, q.address, q.latitude, \
     q.longitude, q.attributes, q.contact_name, q.contact_phone, q.contact_email, q.category, q.subcategory, \
     q.request_type, q.confidence, q.classified_by, q.region_code, r.name AS region_name, q.district_code, \
     q.unit_id, u.name AS unit_name, q.state, q.transfers, q.reworks, q.due_at, q.chased_at, q.chases, \
     q.escalated, q.extension_state, q.extension_days, q.extension_reason, q.reply, q.replied_at, q.resolved, \
     q.satisfaction, q.callback_at, q.merged_into, q.clue_id, q.created_at, q.updated_at, q.closed_at, \
     q.row_version \
     FROM hotline_requests q JOIN regions r ON r.code = q.region_code LEFT JOIN units u ON u.id = q.unit_id";

pub struct NewRequest<'a> {
    pub token: &'a str,
    pub client_key: Option<&'a str>,
    pub channel: &'a str,
    pub description: &'a str,
    pub address: &'a str,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub attributes: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
    pub contact_email: &'a str,
    pub category: &'a str,
    pub subcategory: &'a str,
    pub request_type: &'a str,
    pub confidence: f64,
    pub classified_by: &'a str,
    pub region_code: i64,
    pub district_code: Option<i64>,
    pub unit_id: Option<i64>,
    pub due_at: i64,
    pub created_by: Option<i64>,
    /// The Open311 client application's key that sent it, if one did.
    pub open311_key_id: Option<i64>,
    pub now: i64,
}

pub async fn insert_request(c: &mut impl Conn, r: &NewRequest<'_>) -> Result<i64> {
    let state = if r.unit_id.is_some() {
        "dispatched"
    } else {
        "centre"
    };
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO hotline_requests (token, client_key, channel, description, address, latitude, longitude, \
             attributes, contact_name, contact_phone, contact_email, category, subcategory, request_type, confidence, \
             classified_by, region_code, district_code, unit_id, state, due_at, created_by, created_at, updated_at, \
             open311_key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, $23, $24) RETURNING id",
            vals![
                r.token,
                r.client_key,
                r.channel,
                r.description,
                r.address,
                r.latitude,
                r.longitude,
                r.attributes,
                r.contact_name,
                r.contact_phone,
                r.contact_email,
                r.category,
                r.subcategory,
                r.request_type,
                Some(r.confidence),
                r.classified_by,
                r.region_code,
                r.district_code,
                r.unit_id,
                state,
                r.due_at,
                r.created_by,
                r.now,
                r.open311_key_id
            ],
        ))
        .await?;
    Ok(id)
}

/// A request the caller may see: the centre's staff see every one in their area; a unit sees
/// those addressed to it.
pub async fn request(
    c: &mut impl Conn,
    scope: &Scope,
    unit_id: Option<i64>,
    id: i64,
) -> Result<Option<RequestRow>> {
    let mut sql = Sql::new(REQUEST_SELECT);
    sql.push(" WHERE q.id = ").bind(id).push(" AND (");
    scope.sql_condition(&mut sql, "q.region_code");
    sql.push(" OR q.unit_id = ")
        .bind(unit_id.unwrap_or(-1))
        .push(")");
    c.optional(sql).await
}

/// A request by id whoever asks (public and Open311 reads; the app strips the contact).
pub async fn request_public(c: &mut impl Conn, id: i64) -> Result<Option<RequestRow>> {
    c.optional(Sql::with(
        &format!("{REQUEST_SELECT} WHERE q.id = $1"),
        vals![id],
    ))
    .await
}

pub async fn request_by_token(c: &mut impl Conn, token: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT id FROM hotline_requests WHERE token = $1",
            vals![token],
        ))
        .await?;
    Ok(row.map(|(id,)| id))
}

pub async fn request_by_client_key(c: &mut impl Conn, key: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT id FROM hotline_requests WHERE client_key = $1",
            vals![key],
        ))
        .await?;
    Ok(row.map(|(id,)| id))
}

/// Which requests a list wants.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Staff lists: the caller's area (or `unit_id`); `None` for public and Open311 lists.
    pub scope: Option<Scope>,
    pub unit_id: Option<i64>,
    pub ids: Vec<i64>,
    pub states: Vec<String>,
    pub subcategories: Vec<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub overdue_at: Option<i64>,
    pub limit: i64,
}

pub async fn requests(c: &mut impl Conn, q: &RequestQuery) -> Result<Vec<RequestRow>> {
    let mut sql = Sql::new(REQUEST_SELECT);
    sql.push(" WHERE 1 = 1");
    match (&q.scope, q.unit_id) {
        (Some(scope), Some(unit)) => {
            sql.push(" AND (");
            scope.sql_condition(&mut sql, "q.region_code");
            sql.push(" OR q.unit_id = ").bind(unit).push(")");
        }
        (Some(scope), None) => {
            sql.push(" AND ");
            scope.sql_condition(&mut sql, "q.region_code");
        }
        (None, Some(unit)) => {
            sql.push(" AND q.unit_id = ").bind(unit);
        }
        (None, None) => {}
    }
    push_in(
        &mut sql,
        "q.id",
        q.ids.iter().map(|id| crate::Value::from(*id)),
    );
    push_in(
        &mut sql,
        "q.state",
        q.states.iter().map(|s| crate::Value::from(s.as_str())),
    );
    push_in(
        &mut sql,
        "q.subcategory",
        q.subcategories
            .iter()
            .map(|s| crate::Value::from(s.as_str())),
    );
    if let Some(from) = q.created_from {
        sql.push(" AND q.created_at >= ").bind(from);
    }
    if let Some(to) = q.created_to {
        sql.push(" AND q.created_at < ").bind(to);
    }
    if let Some(now) = q.overdue_at {
        sql.push(" AND q.due_at < ").bind(now);
    }
    sql.push(" ORDER BY q.created_at DESC, q.id DESC LIMIT ")
        .bind(q.limit.clamp(1, 1000));
    c.all(sql).await
}

/// `AND column IN (…)` when there are values.
fn push_in(sql: &mut Sql, column: &str, values: impl Iterator<Item = crate::Value>) {
    let mut first = true;
    for value in values {
        sql.push(if first { " AND " } else { ", " });
        if first {
            sql.push(column).push(" IN (");
        }
        sql.bind(value);
        first = false;
    }
    if !first {
        sql.push(")");
    }
}

/// What a step of a request changes. `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct RequestChange<'a> {
    pub state: Option<&'a str>,
    /// `Some(None)` hands the request back to the centre.
    pub unit_id: Option<Option<i64>>,
    pub add_transfer: bool,
    pub add_rework: bool,
    pub due_at: Option<i64>,
    pub category: Option<(&'a str, &'a str, &'a str)>,
    pub classified_by_agent: bool,
    pub chased_at: Option<i64>,
    pub escalated: Option<bool>,
    pub extension: Option<(&'a str, Option<i64>, &'a str)>,
    pub extension_decided: Option<&'a str>,
    pub reply: Option<(&'a str, bool)>,
    /// Forget the reply and the call-back: the request is handled again (重办).
    pub clear_reply: bool,
    pub satisfaction: Option<&'a str>,
    pub merged_into: Option<i64>,
    pub clue_id: Option<i64>,
    pub closed: bool,
}

/// Applies a change to a request in one of the `from` states at the expected version; 0 rows when
/// it moved on meanwhile.
pub async fn change_request(
    c: &mut impl Conn,
    id: i64,
    expected_version: i64,
    from: &[&str],
    change: &RequestChange<'_>,
    now: i64,
) -> Result<u64> {
    let mut sql =
        Sql::new("UPDATE hotline_requests SET row_version = row_version + 1, updated_at = ");
    sql.bind(now);
    if let Some(state) = change.state {
        sql.push(", state = ").bind(state);
    }
    if let Some(unit) = change.unit_id {
        sql.push(", unit_id = ").bind(unit);
    }
    if change.add_transfer {
        sql.push(", transfers = transfers + 1");
    }
    if change.add_rework {
        sql.push(", reworks = reworks + 1, chased_at = NULL, chases = 0, escalated = ")
            .bind(false);
    }
    if let Some(due) = change.due_at {
        sql.push(", due_at = ").bind(due);
    }
    if let Some((category, subcategory, request_type)) = change.category {
        sql.push(", category = ")
            .bind(category)
            .push(", subcategory = ")
            .bind(subcategory)
            .push(", request_type = ")
            .bind(request_type);
    }
    if change.classified_by_agent {
        sql.push(", classified_by = 'agent'");
    }
    if let Some(at) = change.chased_at {
        sql.push(", chased_at = ")
            .bind(at)
            .push(", chases = chases + 1");
    }
    if let Some(escalated) = change.escalated {
        sql.push(", escalated = ").bind(escalated);
    }
    if let Some((state, days, reason)) = change.extension {
        sql.push(", extension_state = ")
            .bind(state)
            .push(", extension_days = ")
            .bind(days)
            .push(", extension_reason = ")
            .bind(reason);
    }
    if let Some(decision) = change.extension_decided {
        sql.push(", extension_state = ").bind(decision);
    }
    if let Some((reply, resolved)) = change.reply {
        sql.push(", reply = ")
            .bind(reply)
            .push(", resolved = ")
            .bind(resolved)
            .push(", replied_at = ")
            .bind(now);
    }
    if change.clear_reply {
        sql.push(
            ", reply = '', resolved = NULL, replied_at = NULL, satisfaction = NULL, callback_at = NULL, closed_at = NULL",
        );
    }
    if let Some(satisfaction) = change.satisfaction {
        sql.push(", satisfaction = ")
            .bind(satisfaction)
            .push(", callback_at = ")
            .bind(now);
    }
    if let Some(into) = change.merged_into {
        sql.push(", merged_into = ").bind(into);
    }
    if let Some(clue) = change.clue_id {
        sql.push(", clue_id = ").bind(clue);
    }
    if change.closed {
        sql.push(", closed_at = ").bind(now);
    }
    sql.push(" WHERE id = ")
        .bind(id)
        .push(" AND row_version = ")
        .bind(expected_version);
    push_in(
        &mut sql,
        "state",
        from.iter().map(|s| crate::Value::from(*s)),
    );
    c.execute(sql).await
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub request_id: i64,
    pub at: i64,
    pub username: String,
    /// The display name of who took the step (the login name when the user is gone).
    pub display_name: String,
    pub unit_name: Option<String>,
    pub kind: String,
    pub note: String,
    pub public_note: String,
}

pub struct NewEvent<'a> {
    pub request_id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub unit_id: Option<i64>,
    pub kind: &'a str,
    pub note: &'a str,
    pub public_note: &'a str,
}

pub async fn add_event(c: &mut impl Conn, e: &NewEvent<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO hotline_events (request_id, at, user_id, username, unit_id, kind, note, public_note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vals![
                e.request_id,
                e.at,
                e.user_id,
                e.username,
                e.unit_id,
                e.kind,
                e.note,
                e.public_note
            ],
        ))
        .await?;
    Ok(id)
}

const EVENT_SELECT: &str = "SELECT e.id, e.request_id, e.at, e.username, \
     COALESCE(us.display_name, e.username) AS display_name, u.name AS unit_name, e.kind, e.note, \
     e.public_note FROM hotline_events e LEFT JOIN units u ON u.id = e.unit_id \
     LEFT JOIN users us ON us.id = e.user_id";

pub async fn events(c: &mut impl Conn, request_id: i64) -> Result<Vec<EventRow>> {
    c.all(Sql::with(
        &format!("{EVENT_SELECT} WHERE e.request_id = $1 ORDER BY e.id"),
        vals![request_id],
    ))
    .await
}

/// Events with a public note in a time window (Open311 `servicerequestupdates`).
pub async fn public_events(
    c: &mut impl Conn,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<EventRow>> {
    c.all(Sql::with(
        &format!(
            "{EVENT_SELECT} WHERE e.at >= $1 AND e.at < $2 AND e.public_note <> '' ORDER BY e.at, e.id LIMIT $3"
        ),
        vals![from, to, limit.clamp(1, 1000)],
    ))
    .await
}

/// Open requests created since `since` in a district (or with none, for requests the centre
/// holds): the candidates a new request may duplicate.
pub async fn open_near(
    c: &mut impl Conn,
    district_code: Option<i64>,
    since: i64,
    except: i64,
) -> Result<Vec<RequestRow>> {
    let mut sql = Sql::new(REQUEST_SELECT);
    sql.push(" WHERE q.created_at >= ")
        .bind(since)
        .push(" AND q.id <> ")
        .bind(except);
    match district_code {
        Some(d) => sql.push(" AND q.district_code = ").bind(d),
        None => sql.push(" AND q.district_code IS NULL"),
    };
    push_in(
        &mut sql,
        "q.state",
        OPEN_STATES.iter().map(|s| crate::Value::from(*s)),
    );
    sql.push(" ORDER BY q.id DESC LIMIT 200");
    c.all(sql).await
}

/// Requests created in a window by category, merged ones left out (they count once, as the
/// request they were merged into).
pub async fn category_counts(c: &mut impl Conn, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    c.all(Sql::with(
        "SELECT category, COUNT(*) FROM hotline_requests WHERE created_at >= $1 AND created_at < $2 \
         AND state <> 'merged' GROUP BY category ORDER BY category",
        vals![from, to],
    ))
    .await
}

pub struct NewLabel<'a> {
    pub request_id: i64,
    pub text: &'a str,
    pub subcategory: &'a str,
    pub request_type: &'a str,
    pub model_subcategory: &'a str,
    pub model_type: &'a str,
    pub user_id: Option<i64>,
    pub at: i64,
}

pub async fn insert_label(c: &mut impl Conn, l: &NewLabel<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO hotline_labels (request_id, text, subcategory, request_type, model_subcategory, model_type, \
             user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vals![
                l.request_id,
                l.text,
                l.subcategory,
                l.request_type,
                l.model_subcategory,
                l.model_type,
                l.user_id,
                l.at
            ],
        ))
        .await?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct LabelRow {
    pub id: i64,
    pub request_id: i64,
    pub text: String,
    pub subcategory: String,
    pub request_type: String,
    pub model_subcategory: String,
    pub model_type: String,
    pub at: i64,
}

/// Agents' corrections, oldest first (the latest for a request wins when training).
pub async fn labels(c: &mut impl Conn) -> Result<Vec<LabelRow>> {
    c.all(Sql::new(
        "SELECT id, request_id, text, subcategory, request_type, model_subcategory, model_type, at \
         FROM hotline_labels ORDER BY id",
    ))
    .await
}

/// The confirmed labels up to a label id: the latest correction of each request, where the
/// request still carries that subcategory (a later change by the centre overturns it), oldest
/// first.
pub async fn confirmed_labels(c: &mut impl Conn, up_to: i64) -> Result<Vec<LabelRow>> {
    c.all(Sql::with(
        "SELECT l.id, l.request_id, l.text, l.subcategory, l.request_type, l.model_subcategory, \
         l.model_type, l.at FROM hotline_labels l JOIN hotline_requests q ON q.id = l.request_id \
         WHERE l.id <= $1 AND q.subcategory = l.subcategory \
         AND l.id = (SELECT MAX(m.id) FROM hotline_labels m WHERE m.request_id = l.request_id AND m.id <= $1) \
         ORDER BY l.id",
        vals![up_to],
    ))
    .await
}

/// The newest label's id (0 when there is none).
pub async fn last_label_id(c: &mut impl Conn) -> Result<i64> {
    let (id,): (Option<i64>,) = c
        .one(Sql::new("SELECT MAX(id) FROM hotline_labels"))
        .await?;
    Ok(id.unwrap_or(0))
}

/// One retraining of the classifier.
#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct ModelRow {
    pub id: i64,
    pub trained_at: i64,
    pub label_cutoff: i64,
    pub labels: i64,
    /// The held-out figures (JSON) of the model in use before, and of the retrained one.
    pub before_figures: String,
    pub after_figures: String,
    pub activated: bool,
    pub reason: String,
}

pub struct NewModel<'a> {
    pub trained_at: i64,
    pub label_cutoff: i64,
    pub labels: i64,
    pub before_figures: &'a str,
    pub after_figures: &'a str,
    pub activated: bool,
    pub reason: &'a str,
}

pub async fn insert_model(c: &mut impl Conn, m: &NewModel<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO hotline_models (trained_at, label_cutoff, labels, before_figures, after_figures, \
             activated, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vals![
                m.trained_at,
                m.label_cutoff,
                m.labels,
                m.before_figures,
                m.after_figures,
                m.activated,
                m.reason
            ],
        ))
        .await?;
    Ok(id)
}

/// The label cutoff of the classifier in use: the latest activated retraining's (0, the shipped
/// phrases alone, before any).
pub async fn active_label_cutoff(c: &mut impl Conn) -> Result<i64> {
    let row: Option<(i64,)> = c
        .optional(Sql::new(
            "SELECT label_cutoff FROM hotline_models WHERE activated ORDER BY id DESC LIMIT 1",
        ))
        .await?;
    Ok(row.map_or(0, |(cutoff,)| cutoff))
}

/// Retrainings, newest first.
pub async fn models(c: &mut impl Conn, limit: i64) -> Result<Vec<ModelRow>> {
    c.all(Sql::with(
        "SELECT id, trained_at, label_cutoff, labels, before_figures, after_figures, activated, reason \
         FROM hotline_models ORDER BY id DESC LIMIT $1",
        vals![limit],
    ))
    .await
}

pub async fn insert_open311_key(
    c: &mut impl Conn,
    key_hash: &str,
    client_name: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO open311_keys (key_hash, client_name, created_at) VALUES ($1, $2, $3) RETURNING id",
            vals![key_hash, client_name, now],
        ))
        .await?;
    Ok(id)
}

/// The client a key belongs to, unless revoked: (key id, client name).
pub async fn open311_client(c: &mut impl Conn, key_hash: &str) -> Result<Option<(i64, String)>> {
    c.optional(Sql::with(
        "SELECT id, client_name FROM open311_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        vals![key_hash],
    ))
    .await
}

/// Whether a request was sent by this Open311 client key (a client updates its own only).
pub async fn sent_by_open311_key(c: &mut impl Conn, request_id: i64, key_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT id FROM hotline_requests WHERE id = $1 AND open311_key_id = $2",
            vals![request_id, key_id],
        ))
        .await?;
    Ok(row.is_some())
}
