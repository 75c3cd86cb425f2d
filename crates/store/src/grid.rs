//! The self-healing grid's stored part: networks (the native TOML kept whole), station sensors,
//! their readings and alarms, and households linked with consent to the loads that feed them,
//! with outage alerts. Links and alerts are read within the caller's `Scope` (the household's
//! area), so grid operators never reach a household through them.

use serde::Serialize;
use sqlx::FromRow;

use crate::{Conn, Result, Scope, Sql, vals};

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct NetworkRow {
    pub id: i64,
    pub name: String,
    pub source: String,
    pub created_at: i64,
}

pub async fn insert_network(
    c: &mut impl Conn,
    name: &str,
    source: &str,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO grid_networks (name, source, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            vals![name, source, created_by, now],
        ))
        .await?;
    Ok(id)
}

pub async fn networks(c: &mut impl Conn) -> Result<Vec<NetworkRow>> {
    c.all(Sql::new(
        "SELECT id, name, source, created_at FROM grid_networks ORDER BY id",
    ))
    .await
}

pub async fn network(c: &mut impl Conn, id: i64) -> Result<Option<NetworkRow>> {
    c.optional(Sql::with(
        "SELECT id, name, source, created_at FROM grid_networks WHERE id = $1",
        vals![id],
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct SensorRow {
    pub id: i64,
    pub network_id: i64,
    pub code: String,
    pub bus: String,
    pub kind: String,
    pub last_value: Option<f64>,
    pub last_at: Option<i64>,
}

const SENSOR_SELECT: &str =
    "SELECT id, network_id, code, bus, kind, last_value, last_at FROM grid_sensors";

pub async fn insert_sensor(
    c: &mut impl Conn,
    network_id: i64,
    code: &str,
    bus: &str,
    kind: &str,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO grid_sensors (network_id, code, bus, kind) VALUES ($1, $2, $3, $4) RETURNING id",
            vals![network_id, code, bus, kind],
        ))
        .await?;
    Ok(id)
}

pub async fn sensors(c: &mut impl Conn, network_id: i64) -> Result<Vec<SensorRow>> {
    c.all(Sql::with(
        &format!("{SENSOR_SELECT} WHERE network_id = $1 ORDER BY code"),
        vals![network_id],
    ))
    .await
}

pub async fn all_sensors(c: &mut impl Conn) -> Result<Vec<SensorRow>> {
    c.all(Sql::new(&format!("{SENSOR_SELECT} ORDER BY id")))
        .await
}

/// Records a reading and makes it the sensor's latest (when it is not older).
pub async fn insert_reading(
    c: &mut impl Conn,
    sensor_id: i64,
    at: i64,
    value: f64,
    source: &str,
) -> Result<()> {
    c.execute(Sql::with(
        "INSERT INTO grid_readings (sensor_id, at, value, source) VALUES ($1, $2, $3, $4)",
        vals![sensor_id, at, Some(value), source],
    ))
    .await?;
    c.execute(Sql::with(
        "UPDATE grid_sensors SET last_value = $1, last_at = $2 WHERE id = $3 AND (last_at IS NULL OR last_at <= $2)",
        vals![Some(value), at, sensor_id],
    ))
    .await?;
    Ok(())
}

/// A sensor's readings from `from` (ms) up to `to`, oldest first.
pub async fn readings(
    c: &mut impl Conn,
    sensor_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, f64)>> {
    c.all(Sql::with(
        "SELECT at, value FROM grid_readings WHERE sensor_id = $1 AND at >= $2 AND at <= $3 ORDER BY at, id",
        vals![sensor_id, from, to],
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct AlarmRow {
    pub id: i64,
    pub sensor_id: i64,
    pub sensor_code: String,
    pub bus: String,
    pub kind: String,
    pub network_id: i64,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub value: Option<f64>,
    pub raised_at: i64,
    pub state: String,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub note: String,
}

const ALARM_SELECT: &str = "SELECT a.id, a.sensor_id, s.code AS sensor_code, s.bus, s.kind, s.network_id, \
     a.rule, a.severity, a.message, a.value, a.raised_at, a.state, a.acknowledged_by, a.acknowledged_at, a.note \
     FROM grid_alarms a JOIN grid_sensors s ON s.id = a.sensor_id";

/// Whether an open alarm of this rule stands for the sensor (one at a time).
pub async fn open_alarm(c: &mut impl Conn, sensor_id: i64, rule: &str) -> Result<bool> {
    let row: Option<(i64,)> = c
        .optional(Sql::with(
            "SELECT id FROM grid_alarms WHERE sensor_id = $1 AND rule = $2 AND state = 'open'",
            vals![sensor_id, rule],
        ))
        .await?;
    Ok(row.is_some())
}

pub struct NewAlarm<'a> {
    pub sensor_id: i64,
    pub rule: &'a str,
    pub severity: &'a str,
    pub message: &'a str,
    pub value: Option<f64>,
    pub raised_at: i64,
}

pub async fn insert_alarm(c: &mut impl Conn, a: &NewAlarm<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO grid_alarms (sensor_id, rule, severity, message, value, raised_at, state) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open') RETURNING id",
            vals![
                a.sensor_id,
                a.rule,
                a.severity,
                a.message,
                a.value,
                a.raised_at
            ],
        ))
        .await?;
    Ok(id)
}

/// Alarms, newest first: open ones only, or all.
pub async fn alarms(c: &mut impl Conn, open_only: bool, limit: i64) -> Result<Vec<AlarmRow>> {
    let mut sql = Sql::new(ALARM_SELECT);
    if open_only {
        sql.push(" WHERE a.state = 'open'");
    }
    sql.push(" ORDER BY a.raised_at DESC, a.id DESC LIMIT ")
        .bind(limit);
    c.all(sql).await
}

/// Acknowledges an open alarm; false when it is not open (or not there).
pub async fn acknowledge_alarm(
    c: &mut impl Conn,
    id: i64,
    user_id: Option<i64>,
    note: &str,
    now: i64,
) -> Result<bool> {
    let n = c
        .execute(Sql::with(
            "UPDATE grid_alarms SET state = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2, note = $3 \
             WHERE id = $4 AND state = 'open'",
            vals![user_id, now, note, id],
        ))
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct LinkRow {
    pub id: i64,
    pub network_id: i64,
    pub network_name: String,
    pub load_id: String,
    pub household_id: i64,
    pub address: String,
    pub region_code: i64,
    pub consent_by: String,
    pub consent_at: i64,
    pub need: String,
    pub created_at: i64,
}

const LINK_SELECT: &str = "SELECT k.id, k.network_id, n.name AS network_name, k.load_id, k.household_id, \
     h.address, k.region_code, k.consent_by, k.consent_at, k.need, k.created_at \
     FROM grid_links k JOIN grid_networks n ON n.id = k.network_id JOIN households h ON h.id = k.household_id";

pub struct NewLink<'a> {
    pub network_id: i64,
    pub load_id: &'a str,
    pub household_id: i64,
    pub region_code: i64,
    pub consent_by: &'a str,
    pub consent_at: i64,
    pub need: &'a str,
    pub linked_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_link(c: &mut impl Conn, l: &NewLink<'_>) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO grid_links (network_id, load_id, household_id, region_code, consent_by, consent_at, need, \
             linked_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vals![
                l.network_id,
                l.load_id,
                l.household_id,
                l.region_code,
                l.consent_by,
                l.consent_at,
                l.need,
                l.linked_by,
                l.now
            ],
        ))
        .await?;
    Ok(id)
}

/// Live links within the scope.
pub async fn links(c: &mut impl Conn, scope: &Scope) -> Result<Vec<LinkRow>> {
    let mut sql = Sql::new(LINK_SELECT);
    sql.push(" WHERE k.removed_at IS NULL AND ");
    scope.sql_condition(&mut sql, "k.region_code");
    sql.push(" ORDER BY k.id");
    c.all(sql).await
}

/// Live links of a network's loads, whoever asks: for raising alerts (nothing of the household
/// is shown to the caller).
pub async fn links_of_network(
    c: &mut impl Conn,
    network_id: i64,
) -> Result<Vec<(i64, String, i64)>> {
    c.all(Sql::with(
        "SELECT id, load_id, region_code FROM grid_links WHERE network_id = $1 AND removed_at IS NULL ORDER BY id",
        vals![network_id],
    ))
    .await
}

/// Ends a link within the scope; false when there is none.
pub async fn remove_link(c: &mut impl Conn, scope: &Scope, id: i64, now: i64) -> Result<bool> {
    let mut sql = Sql::new("UPDATE grid_links SET removed_at = ");
    sql.bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND removed_at IS NULL AND ");
    scope.sql_condition(&mut sql, "region_code");
    Ok(c.execute(sql).await? == 1)
}

#[derive(Debug, Clone, PartialEq, FromRow, Serialize)]
pub struct AlertRow {
    pub id: i64,
    pub link_id: i64,
    pub household_id: i64,
    pub address: String,
    pub load_id: String,
    pub need: String,
    pub kind: String,
    pub fault: String,
    pub expected_minutes: f64,
    pub raised_at: i64,
    pub acknowledged_at: Option<i64>,
}

pub async fn insert_alert(
    c: &mut impl Conn,
    link_id: i64,
    region_code: i64,
    kind: &str,
    fault: &str,
    expected_minutes: f64,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = c
        .one(Sql::with(
            "INSERT INTO grid_alerts (link_id, region_code, kind, fault, expected_minutes, raised_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vals![link_id, region_code, kind, fault, Some(expected_minutes), now],
        ))
        .await?;
    Ok(id)
}

/// Alerts within the scope, newest first.
pub async fn alerts(c: &mut impl Conn, scope: &Scope, limit: i64) -> Result<Vec<AlertRow>> {
    let mut sql = Sql::new(
        "SELECT a.id, a.link_id, k.household_id, h.address, k.load_id, k.need, a.kind, a.fault, \
         a.expected_minutes, a.raised_at, a.acknowledged_at FROM grid_alerts a \
         JOIN grid_links k ON k.id = a.link_id JOIN households h ON h.id = k.household_id WHERE ",
    );
    scope.sql_condition(&mut sql, "a.region_code");
    sql.push(" ORDER BY a.raised_at DESC, a.id DESC LIMIT ")
        .bind(limit);
    c.all(sql).await
}

/// Acknowledges an alert within the scope; false when there is none to acknowledge.
pub async fn acknowledge_alert(
    c: &mut impl Conn,
    scope: &Scope,
    id: i64,
    user_id: Option<i64>,
    now: i64,
) -> Result<bool> {
    let mut sql = Sql::new("UPDATE grid_alerts SET acknowledged_by = ");
    sql.bind(user_id)
        .push(", acknowledged_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND acknowledged_at IS NULL AND ");
    scope.sql_condition(&mut sql, "region_code");
    Ok(c.execute(sql).await? == 1)
}
