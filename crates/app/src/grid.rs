//! The self-healing grid in the product: networks operators install, station monitoring
//! (readings → the alarm rules of `data/grid/alarm-rules.toml` → alarms acknowledged by an
//! operator), and the link to social assistance: a community worker links a household whose
//! member depends on power for life to the load that feeds it, with the consent recorded; a
//! fault that leaves that load dark, or gives it back slowly, alerts the household's community
//! workers. Operators never see the households: links and alerts are read within the area of
//! the person who asks.

use minsheng_i18n::msg;
use std::collections::{BTreeMap, BTreeSet};

use minsheng_domain::Action;
use minsheng_grid::alarms::{self, Reading, Rule};
use minsheng_grid::flisr::{self, Cause, Fault, Options};
use minsheng_grid::indexed::Indexed;
use minsheng_grid::loadflow::Solver;
use minsheng_grid::{Network, native, reliability};
use minsheng_store::WriteTx;
use minsheng_store::grid::{self as store, NewAlarm, NewLink};
pub use minsheng_store::grid::{AlarmRow, AlertRow, LinkRow, NetworkRow, SensorRow};
use serde::Deserialize;

use crate::{Actor, App, AppError, AppResult, FieldError, Subject, reader, write_audit};

/// Below this many minutes an interruption is momentary (IEEE 1366): no alert.
pub const MOMENTARY_MINUTES: f64 = 5.0;

/// One reading as sensors and robots send it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReadingIn {
    /// The sensor's id in the network file.
    pub sensor: String,
    /// When: epoch milliseconds or an RFC 3339 time with its offset (now when absent).
    #[serde(
        default,
        deserialize_with = "minsheng_domain::time_util::instant_millis::deserialize_option"
    )]
    pub at: Option<i64>,
    pub value: f64,
    /// `sensor` (default) or `robot`.
    #[serde(default)]
    pub source: Option<String>,
}

/// A link to record.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkRequest {
    pub network_id: i64,
    pub load_id: String,
    pub household_id: i64,
    /// Who agreed (the person, or their guardian), as they gave it.
    pub consent_by: String,
    /// What the power is needed for (home dialysis, oxygen concentrator, …).
    #[serde(default)]
    pub need: String,
}

/// What a fault did to the linked households, as the operator sees it (no household data).
#[derive(Debug, Clone)]
pub struct FaultReport {
    pub plan: flisr::Plan,
    pub alerts: usize,
    /// Linked loads whose interruption was momentary (no alert).
    pub momentary: usize,
}

/// The shipped alarm rules, read once (every batch of readings runs them).
fn rules() -> AppResult<&'static [Rule]> {
    static RULES: std::sync::OnceLock<Result<Vec<Rule>, String>> = std::sync::OnceLock::new();
    RULES
        .get_or_init(|| alarms::read(alarms::SHIPPED).map_err(|e| e.join("; ")))
        .as_deref()
        .map_err(|e| AppError::Internal(format!("alarm rules: {e}")))
}

impl App {
    /// What an alarm of a rule says in a language: the rule's text, or the stored message when
    /// the rule is gone or has no text in that language.
    pub fn alarm_message(&self, rule: &str, stored: &str, lang: crate::Lang) -> String {
        let found = rules().ok().and_then(|r| r.iter().find(|x| x.id == rule));
        match (found, lang) {
            (Some(r), crate::Lang::En) if !r.message_en.is_empty() => r.message_en.clone(),
            (Some(r), _) => r.message.clone(),
            (None, _) => stored.to_string(),
        }
    }
}

/// Reads a stored network's source again (it was checked when installed).
fn parse(row: &NetworkRow) -> AppResult<Network> {
    native::read(&row.source)
        .map_err(|e| AppError::Internal(format!("network {}: {}", row.id, e.join("; "))))
}

/// Tells the grid company's units of alarms just raised, in the transaction that raised them.
async fn tell_alarms(tx: &mut WriteTx, raised: &[i64], now: i64) -> AppResult<()> {
    if raised.is_empty() {
        return Ok(());
    }
    let units =
        minsheng_store::users::units_of_kind(tx, minsheng_domain::UnitKind::GridCompany.code())
            .await?;
    for alarm in raised {
        for unit in &units {
            crate::notify::tell(
                tx,
                *unit,
                crate::notify::EventKind::StationAlarm,
                &format!("alarm:{alarm}"),
                &format!("站房告警 #{alarm}"),
                "请在电网运行页查看并确认。",
                "/grid",
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// The most readings one post may carry (a minute of a large station's sensors).
pub const MAX_READINGS_PER_POST: usize = 10_000;

impl App {
    /// Installs a network (native TOML) and its sensors; the file is checked first and refused
    /// whole with every error.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn install_network(&self, actor: &Actor, name: &str, source: &str) -> AppResult<i64> {
        self.authorize(
            actor,
            Action::OperateGrid,
            Subject::new("grid_network", name),
        )
        .await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", msg!("text-length", max = 100)));
        }
        let net = native::read(source).map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError::new("source", msg!("grid-cause", error = e)))
                    .collect(),
            )
        })?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let id = store::insert_network(&mut tx, name, source, actor.user_id(), now).await?;
        for s in &net.sensors {
            store::insert_sensor(&mut tx, id, &s.id, &s.bus, &s.kind).await?;
        }
        write_audit(
            &mut tx,
            actor,
            "grid.install",
            Subject::new("grid_network", &id.to_string()),
            true,
            name,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Installs the demonstration zone (`minsheng demo`), unless a network of its name is there.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn install_demo_network(&self) -> AppResult<i64> {
        let net = native::read(native::DEMO_ZONE)
            .map_err(|e| AppError::Internal(format!("demo zone: {}", e.join("; "))))?;
        if let Some(existing) = store::networks(&mut reader(self))
            .await?
            .into_iter()
            .find(|n| n.name == net.name)
        {
            return Ok(existing.id);
        }
        let mut tx = self.store().begin().await?;
        let id =
            store::insert_network(&mut tx, &net.name, native::DEMO_ZONE, None, self.now()).await?;
        for s in &net.sensors {
            store::insert_sensor(&mut tx, id, &s.id, &s.bus, &s.kind).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The networks: operators run them; community workers pick a load from them to link.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grid_networks(&self, actor: &Actor) -> AppResult<Vec<NetworkRow>> {
        if !actor.may(Action::LinkPowerDependents) {
            self.authorize(actor, Action::OperateGrid, Subject::new("grid", ""))
                .await?;
        }
        Ok(store::networks(&mut reader(self)).await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grid_network(&self, actor: &Actor, id: i64) -> AppResult<(NetworkRow, Network)> {
        if !actor.may(Action::LinkPowerDependents) {
            self.authorize(
                actor,
                Action::OperateGrid,
                Subject::new("grid_network", &id.to_string()),
            )
            .await?;
        }
        let row = store::network(&mut reader(self), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let net = parse(&row)?;
        Ok((row, net))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grid_sensors(&self, actor: &Actor, network_id: i64) -> AppResult<Vec<SensorRow>> {
        self.authorize(
            actor,
            Action::OperateGrid,
            Subject::new("grid_network", &network_id.to_string()),
        )
        .await?;
        Ok(store::sensors(&mut reader(self), network_id).await?)
    }

    /// Records readings of a network's sensors, all or none, and raises the alarms their rules
    /// call for (one open alarm per sensor and rule). Returns the alarms raised.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_readings(
        &self,
        actor: &Actor,
        network_id: i64,
        readings: &[ReadingIn],
    ) -> AppResult<Vec<i64>> {
        self.authorize(
            actor,
            Action::OperateGrid,
            Subject::new("grid_network", &network_id.to_string()),
        )
        .await?;
        if readings.len() > MAX_READINGS_PER_POST {
            return Err(AppError::invalid(
                "readings",
                msg!("too-many-readings", max = MAX_READINGS_PER_POST),
            ));
        }
        let rules = rules()?;
        let sensors: BTreeMap<String, SensorRow> = store::sensors(&mut reader(self), network_id)
            .await?
            .into_iter()
            .map(|s| (s.code.clone(), s))
            .collect();
        let now = self.now();
        let mut errors = Vec::new();
        for (i, r) in readings.iter().enumerate() {
            if !sensors.contains_key(&r.sensor) {
                errors.push(FieldError::new(
                    &format!("readings[{i}].sensor"),
                    msg!("no-such-sensor", sensor = &r.sensor, network = network_id),
                ));
            }
            if !r.value.is_finite() {
                errors.push(FieldError::new(
                    &format!("readings[{i}].value"),
                    msg!("reading-finite"),
                ));
            }
            if r.source
                .as_deref()
                .is_some_and(|s| s != "sensor" && s != "robot")
            {
                errors.push(FieldError::new(
                    &format!("readings[{i}].source"),
                    msg!("reading-source"),
                ));
            }
            if r.at.is_some_and(|at| at <= 0 || at > now + 3_600_000) {
                errors.push(FieldError::new(
                    &format!("readings[{i}].at"),
                    msg!("reading-time"),
                ));
            }
        }
        if readings.is_empty() {
            errors.push(FieldError::new("readings", msg!("readings-required")));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store().begin().await?;
        let mut raised = Vec::new();
        for r in readings {
            let Some(sensor) = sensors.get(&r.sensor) else {
                continue;
            };
            let at = r.at.unwrap_or(now);
            let reading = Reading { at, value: r.value };
            for rule in rules
                .iter()
                .filter(|rule| rule.watches(&sensor.kind) && !rule.is_silence())
            {
                let earlier: Vec<Reading> = if rule.window_ms() > 0 {
                    store::readings(&mut tx, sensor.id, at - rule.window_ms(), at - 1)
                        .await?
                        .into_iter()
                        .map(|(at, value)| Reading { at, value })
                        .collect()
                } else {
                    Vec::new()
                };
                if rule.breaks(reading, &earlier)
                    && !store::open_alarm(&mut tx, sensor.id, &rule.id).await?
                {
                    raised.push(
                        store::insert_alarm(
                            &mut tx,
                            &NewAlarm {
                                sensor_id: sensor.id,
                                rule: &rule.id,
                                severity: &rule.severity,
                                message: &rule.message,
                                value: Some(r.value),
                                raised_at: at,
                            },
                        )
                        .await?,
                    );
                }
            }
            store::insert_reading(
                &mut tx,
                sensor.id,
                at,
                r.value,
                r.source.as_deref().unwrap_or("sensor"),
            )
            .await?;
        }
        tell_alarms(&mut tx, &raised, self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "grid.readings",
            Subject::new("grid_network", &network_id.to_string()),
            true,
            &format!("{} readings, {} alarms", readings.len(), raised.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(raised)
    }

    /// Raises an alarm for every sensor that has gone silent (a daily or minutely job).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sweep_silent_sensors(&self, actor: &Actor, now: i64) -> AppResult<Vec<i64>> {
        self.authorize(actor, Action::OperateGrid, Subject::new("grid", ""))
            .await?;
        let rules: Vec<&Rule> = rules()?.iter().filter(|r| r.is_silence()).collect();
        let networks: BTreeMap<i64, i64> = store::networks(&mut reader(self))
            .await?
            .into_iter()
            .map(|n| (n.id, n.created_at))
            .collect();
        let mut tx = self.store().begin().await?;
        let mut raised = Vec::new();
        for sensor in store::all_sensors(&mut tx).await? {
            let last = sensor
                .last_at
                .or_else(|| networks.get(&sensor.network_id).copied())
                .unwrap_or(now);
            for rule in rules.iter().filter(|r| r.watches(&sensor.kind)) {
                if rule.silent(last, now)
                    && !store::open_alarm(&mut tx, sensor.id, &rule.id).await?
                {
                    raised.push(
                        store::insert_alarm(
                            &mut tx,
                            &NewAlarm {
                                sensor_id: sensor.id,
                                rule: &rule.id,
                                severity: &rule.severity,
                                message: &rule.message,
                                value: None,
                                raised_at: now,
                            },
                        )
                        .await?,
                    );
                }
            }
        }
        tell_alarms(&mut tx, &raised, now).await?;
        write_audit(
            &mut tx,
            actor,
            "grid.silence",
            Subject::new("grid", ""),
            true,
            &format!("{} alarms", raised.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(raised)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grid_alarms(&self, actor: &Actor, open_only: bool) -> AppResult<Vec<AlarmRow>> {
        self.authorize(actor, Action::OperateGrid, Subject::new("grid", ""))
            .await?;
        Ok(store::alarms(&mut reader(self), open_only, 500).await?)
    }

    /// Acknowledges an open alarm, with what was done about it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn acknowledge_alarm(&self, actor: &Actor, id: i64, note: &str) -> AppResult<()> {
        let subject = id.to_string();
        self.authorize(
            actor,
            Action::OperateGrid,
            Subject::new("grid_alarm", &subject),
        )
        .await?;
        if note.chars().count() > 500 {
            return Err(AppError::invalid("note", msg!("text-too-long", max = 500)));
        }
        let mut tx = self.store().begin().await?;
        if !store::acknowledge_alarm(&mut tx, id, actor.user_id(), note.trim(), self.now()).await? {
            drop(tx);
            return Err(self
                .not_found_audited(
                    actor,
                    "grid.acknowledge",
                    Subject::new("grid_alarm", &subject),
                    "not open",
                )
                .await);
        }
        write_audit(
            &mut tx,
            actor,
            "grid.acknowledge",
            Subject::new("grid_alarm", &subject),
            true,
            note.trim(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links a household in the worker's area to the load that feeds it, with the consent of
    /// the person who gave it. Refused without consent, for a load the network does not have,
    /// or a household outside the area (which looks like one that does not exist).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn link_power_dependent(&self, actor: &Actor, link: &LinkRequest) -> AppResult<i64> {
        let subject = link.household_id.to_string();
        self.authorize(
            actor,
            Action::LinkPowerDependents,
            Subject::new("household", &subject),
        )
        .await?;
        let consent = link.consent_by.trim();
        let mut errors = Vec::new();
        if consent.is_empty() || consent.chars().count() > 100 {
            errors.push(FieldError::new("consent_by", msg!("link-consent-required")));
        }
        if link.need.chars().count() > 200 {
            errors.push(FieldError::new("need", msg!("text-too-long", max = 200)));
        }
        let row = store::network(&mut reader(self), link.network_id).await?;
        match &row {
            None => errors.push(FieldError::new("network_id", msg!("no-such-network"))),
            Some(row) => {
                let net = parse(row)?;
                if !net.loads.iter().any(|l| l.id == link.load_id) {
                    errors.push(FieldError::new(
                        "load_id",
                        msg!("no-such-load", load = &link.load_id, network = &row.name),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let household = self
            .household_in_area(actor, link.household_id, "grid.link")
            .await?;
        let mut tx = self.store().begin().await?;
        let now = self.now();
        let id = store::insert_link(
            &mut tx,
            &NewLink {
                network_id: link.network_id,
                load_id: &link.load_id,
                household_id: household.id,
                region_code: household.region_code,
                consent_by: consent,
                consent_at: now,
                need: link.need.trim(),
                linked_by: actor.user_id(),
                now,
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "grid.link",
            Subject::new("household", &subject),
            true,
            &format!("load {} (consent: {consent})", link.load_id),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn power_dependent_links(&self, actor: &Actor) -> AppResult<Vec<LinkRow>> {
        self.authorize(
            actor,
            Action::LinkPowerDependents,
            Subject::new("grid_links", ""),
        )
        .await?;
        let links = store::links(&mut reader(self), actor.scope()).await?;
        self.audit_now(
            actor,
            "grid.links",
            Subject::new("grid_links", ""),
            true,
            &format!("{} links", links.len()),
        )
        .await?;
        Ok(links)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn unlink_power_dependent(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let subject = id.to_string();
        self.authorize(
            actor,
            Action::LinkPowerDependents,
            Subject::new("grid_link", &subject),
        )
        .await?;
        let mut tx = self.store().begin().await?;
        if !store::remove_link(&mut tx, actor.scope(), id, self.now()).await? {
            drop(tx);
            return Err(self
                .not_found_audited(
                    actor,
                    "grid.unlink",
                    Subject::new("grid_link", &subject),
                    "not found",
                )
                .await);
        }
        write_audit(
            &mut tx,
            actor,
            "grid.unlink",
            Subject::new("grid_link", &subject),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Plans a fault on a stored network and alerts the community workers of every linked
    /// household whose load it leaves dark, or gives back only after the momentary limit.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn report_grid_fault(
        &self,
        actor: &Actor,
        network_id: i64,
        cause: &Cause,
        options: Options,
    ) -> AppResult<FaultReport> {
        let subject = network_id.to_string();
        self.authorize(
            actor,
            Action::OperateGrid,
            Subject::new("grid_network", &subject),
        )
        .await?;
        let row = store::network(&mut reader(self), network_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let net = parse(&row)?;
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let normal = ix.normal_state();
        let none = BTreeSet::new();
        let zones = flisr::fault_zones(&ix, &normal, &none, cause, &none)
            .map_err(|e| AppError::invalid("fault", msg!("grid-cause", error = e)))?;
        let fault = Fault {
            zones,
            ..Fault::default()
        };
        let plan = flisr::plan(&solver, &normal, &none, &fault, options);
        let minutes = reliability::outage_minutes(&ix, &plan, false);
        let links = store::links_of_network(&mut reader(self), network_id).await?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let (mut alerts, mut momentary) = (0, 0);
        for (link_id, load_id, region_code) in links {
            let Some(zone) = net
                .loads
                .iter()
                .find(|l| l.id == load_id)
                .and_then(|l| ix.bus(&l.bus))
                .map(|b| ix.bus_zone[b])
            else {
                continue;
            };
            let Some(&out_minutes) = minutes.get(&zone) else {
                continue;
            };
            if out_minutes < MOMENTARY_MINUTES {
                momentary += 1;
                continue;
            }
            let kind = if plan.restored_by.contains_key(&zone) {
                "slow"
            } else {
                "outage"
            };
            let alert = store::insert_alert(
                &mut tx,
                link_id,
                region_code,
                kind,
                &cause.to_string(),
                out_minutes,
                now,
            )
            .await?;
            // The household's community is told at once (no address in the message: the link
            // takes a worker to it, within their area).
            for unit in crate::notify::units_at(
                &mut tx,
                region_code,
                &[
                    minsheng_domain::UnitKind::CommunityCommittee,
                    minsheng_domain::UnitKind::TownOffice,
                ],
            )
            .await?
            {
                crate::notify::tell(
                    &mut tx,
                    unit,
                    crate::notify::EventKind::OutageAlert,
                    &format!("outage:{alert}"),
                    "依赖电力维持生命的家庭停电",
                    &format!("预计停电约 {out_minutes:.0} 分钟，请立即上门或联系家属。"),
                    "/grid/alerts",
                    now,
                )
                .await?;
            }
            alerts += 1;
        }
        write_audit(
            &mut tx,
            actor,
            "grid.fault",
            Subject::new("grid_network", &subject),
            true,
            &format!("{cause}: {alerts} alerts"),
        )
        .await?;
        tx.commit().await?;
        Ok(FaultReport {
            plan,
            alerts,
            momentary,
        })
    }

    /// Outage alerts of the households in the caller's area, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn power_alerts(&self, actor: &Actor) -> AppResult<Vec<AlertRow>> {
        self.authorize(
            actor,
            Action::LinkPowerDependents,
            Subject::new("grid_alerts", ""),
        )
        .await?;
        let alerts = store::alerts(&mut reader(self), actor.scope(), 200).await?;
        self.audit_now(
            actor,
            "grid.alerts",
            Subject::new("grid_alerts", ""),
            true,
            &format!("{} alerts", alerts.len()),
        )
        .await?;
        Ok(alerts)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn acknowledge_power_alert(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let subject = id.to_string();
        self.authorize(
            actor,
            Action::LinkPowerDependents,
            Subject::new("grid_alert", &subject),
        )
        .await?;
        let mut tx = self.store().begin().await?;
        if !store::acknowledge_alert(&mut tx, actor.scope(), id, actor.user_id(), self.now())
            .await?
        {
            drop(tx);
            return Err(self
                .not_found_audited(
                    actor,
                    "grid.alert_ack",
                    Subject::new("grid_alert", &subject),
                    "not found",
                )
                .await);
        }
        write_audit(
            &mut tx,
            actor,
            "grid.alert_ack",
            Subject::new("grid_alert", &subject),
            true,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
