//! The product's timed duties, run by `serve` itself: each job once at start and then on its
//! interval, with a run record (started, finished, outcome, what it did), a bounded duration,
//! and a lease so that only one of several `serve` processes sharing a database runs a job at
//! a time. `minsheng jobs run` runs them by hand (for cron and tests).

use minsheng_i18n::msg;
use std::time::Duration;

use minsheng_domain::UnitKind;
use minsheng_store::ops;
use serde::Serialize;
use tokio::sync::watch;

use crate::notify::EventKind;
use crate::{Actor, App, AppError, AppResult, reader};

/// A timed job: its name, how often it runs, and the longest a run may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct JobSpec {
    pub name: &'static str,
    pub every_secs: u64,
    pub max_secs: u64,
    pub summary: &'static str,
}

/// Every job, with its default interval (the config file's `[jobs]` changes them).
pub const JOBS: [JobSpec; 9] = [
    JobSpec {
        name: "referrals-chase",
        every_secs: 3600,
        max_secs: 300,
        summary: "chase referrals past their deadline, escalate those chased a day before",
    },
    JobSpec {
        name: "hotline-chase",
        every_secs: 3600,
        max_secs: 300,
        summary: "chase hotline tickets past their deadline, escalate those chased a day before",
    },
    JobSpec {
        name: "appeals-close-due",
        every_secs: 3600,
        max_secs: 300,
        summary: "close emergency appeals past their end date, moving the surplus by their rule",
    },
    JobSpec {
        name: "sensors-silence",
        every_secs: 60,
        max_secs: 60,
        summary: "raise the alarm of station sensors that went silent",
    },
    JobSpec {
        name: "overdue-scan",
        every_secs: 300,
        max_secs: 120,
        summary: "tell units of leads overdue or escalated and emergency cases awaiting payment",
    },
    JobSpec {
        name: "sessions-cleanup",
        every_secs: 3600,
        max_secs: 120,
        summary: "delete expired sessions and sign-in throttle rows that hold nobody back",
    },
    JobSpec {
        name: "calendar-coverage",
        every_secs: 3600,
        max_secs: 60,
        summary: "reload imported schedules; from 1 November warn admins when next year is missing",
    },
    JobSpec {
        name: "notifications-deliver",
        every_secs: 30,
        max_secs: 120,
        summary: "deliver the outbox to WeCom, DingTalk, e-mail and webhooks, with retries",
    },
    JobSpec {
        name: "hotline-retrain",
        every_secs: 7 * 86_400,
        max_secs: 600,
        summary: "retrain the hotline classifier with agents' corrections; activate it if not worse",
    },
];

const DAY: i64 = 86_400_000;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobReport {
    pub job: String,
    /// `ok`, `failed`, `timeout`, or `skipped` (another instance held the job).
    pub outcome: String,
    pub detail: String,
    pub started_at: i64,
    pub finished_at: i64,
}

/// A job as `minsheng jobs list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub name: String,
    pub every_secs: u64,
    pub summary: String,
    pub last_started_at: Option<i64>,
    pub last_finished_at: Option<i64>,
    pub last_outcome: Option<String>,
    pub last_detail: Option<String>,
    pub last_success_at: Option<i64>,
}

/// What `/readyz` checks.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub database: bool,
    pub migrations_current: bool,
    /// Jobs running for longer than twice their bound.
    pub stuck_jobs: Vec<String>,
}

/// What the metrics read from the database when scraped.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct OpsGauges {
    pub outbox_pending: i64,
    pub overdue_leads: i64,
    pub overdue_referrals: i64,
    pub overdue_tickets: i64,
}

impl App {
    /// Whether this process can take traffic.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn readiness(&self) -> Readiness {
        let database = self.healthy().await;
        let migrations_current =
            database && self.store().migrations_current().await.unwrap_or(false);
        let longest = JOBS.iter().map(|j| j.max_secs).max().unwrap_or(300) as i64;
        let stuck_jobs = if database {
            ops::stuck_runs(&mut reader(self), self.now() - 2 * longest * 1000)
                .await
                .map(|runs| {
                    runs.into_iter()
                        .map(|r| format!("{} ({})", r.job, r.instance))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Readiness {
            ready: database && migrations_current && stuck_jobs.is_empty(),
            database,
            migrations_current,
            stuck_jobs,
        }
    }

    /// The outbox's depth and what is overdue now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ops_gauges(&self) -> AppResult<OpsGauges> {
        let now = self.now();
        let mut c = reader(self);
        Ok(OpsGauges {
            outbox_pending: ops::pending_deliveries(&mut c).await?,
            overdue_leads: ops::count_overdue(&mut c, "leads", "is_open = TRUE", now).await?,
            overdue_referrals: ops::count_overdue(
                &mut c,
                "referrals",
                "state IN ('sent', 'accepted', 'in_progress')",
                now,
            )
            .await?,
            overdue_tickets: ops::count_overdue(
                &mut c,
                "hotline_requests",
                "state IN ('dispatched', 'accepted')",
                now,
            )
            .await?,
        })
    }

    /// The jobs with the intervals this installation runs them at.
    pub fn job_specs(&self) -> Vec<JobSpec> {
        JOBS.iter()
            .map(|j| JobSpec {
                every_secs: self
                    .settings()
                    .job_intervals
                    .get(j.name)
                    .copied()
                    .unwrap_or(j.every_secs),
                ..*j
            })
            .collect()
    }

    /// Each job with its last run.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn job_status(&self) -> AppResult<Vec<JobStatus>> {
        let mut c = reader(self);
        let last = ops::last_runs(&mut c).await?;
        let successes = ops::last_successes(&mut c).await?;
        Ok(self
            .job_specs()
            .into_iter()
            .map(|spec| {
                let run = last.iter().find(|r| r.job == spec.name);
                JobStatus {
                    name: spec.name.to_string(),
                    every_secs: spec.every_secs,
                    summary: spec.summary.to_string(),
                    last_started_at: run.map(|r| r.started_at),
                    last_finished_at: run.and_then(|r| r.finished_at),
                    last_outcome: run.map(|r| r.outcome.clone()),
                    last_detail: run.map(|r| r.detail.clone()),
                    last_success_at: successes
                        .iter()
                        .find(|(job, _)| job == spec.name)
                        .map(|(_, at)| *at),
                }
            })
            .collect())
    }

    /// Runs one job now, if no other instance is running it: records the run, bounds its
    /// duration, and lets go of the job when done. `instance` names this process.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn run_job(&self, name: &str, instance: &str) -> AppResult<JobReport> {
        self.run_job_when(name, instance, false).await
    }

    /// Runs one job if it is due: as [`App::run_job`], unless an instance sharing the database
    /// ran it less than its interval ago (then "skipped"). The scheduler's way, so that several
    /// `serve` processes run each job once an interval between them.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn run_due_job(&self, name: &str, instance: &str) -> AppResult<JobReport> {
        self.run_job_when(name, instance, true).await
    }

    async fn run_job_when(
        &self,
        name: &str,
        instance: &str,
        only_if_due: bool,
    ) -> AppResult<JobReport> {
        let spec = self
            .job_specs()
            .into_iter()
            .find(|j| j.name == name)
            .ok_or_else(|| {
                AppError::invalid(
                    "job",
                    msg!(
                        "no-such-job",
                        name = name,
                        jobs = JOBS.map(|j| j.name).join(", ")
                    ),
                )
            })?;
        let asked_at = self.now();
        // The lease outlives the run's bound a little, so a run that overstays is not joined
        // by another instance before it is stopped.
        let until = asked_at + (spec.max_secs as i64 + 30) * 1000;
        let mut tx = self.store().begin().await?;
        let due_by = only_if_due.then_some(asked_at);
        let taken = ops::take_lease(&mut tx, name, instance, asked_at, until, due_by).await?;
        // The run starts once the lease is held (taking it may have waited for another
        // instance's transaction), so its record never overlaps another instance's run.
        let started_at = self.now();
        let run_id = if taken {
            Some(ops::start_run(&mut tx, name, instance, started_at).await?)
        } else {
            None
        };
        tx.commit().await?;
        let Some(run_id) = run_id else {
            return Ok(JobReport {
                job: name.to_string(),
                outcome: "skipped".into(),
                detail: "another instance is running it, or ran it this interval".into(),
                started_at,
                finished_at: self.now(),
            });
        };
        let body = self.job_body(name);
        let result = tokio::time::timeout(Duration::from_secs(spec.max_secs), body).await;
        let (outcome, detail) = match result {
            Ok(Ok(detail)) => ("ok", detail),
            Ok(Err(e)) => ("failed", e.to_string()),
            Err(_) => ("timeout", format!("stopped after {} s", spec.max_secs)),
        };
        let finished_at = self.now();
        let mut tx = self.store().begin().await?;
        ops::finish_run(&mut tx, run_id, finished_at, outcome, &detail).await?;
        let next_due = started_at + spec.every_secs as i64 * 1000;
        ops::release_lease(&mut tx, name, instance, next_due).await?;
        tx.commit().await?;
        if outcome != "ok" {
            tracing::warn!(job = name, outcome, detail = %detail, "job did not finish well");
        }
        if let Some(metrics) = self.job_observer() {
            metrics(name, outcome, finished_at);
        }
        Ok(JobReport {
            job: name.to_string(),
            outcome: outcome.to_string(),
            detail,
            started_at,
            finished_at,
        })
    }

    /// What a job does; returns what it did, in words and counts.
    async fn job_body(&self, name: &str) -> AppResult<String> {
        let actor = Actor::job(name, self.everything().await?);
        match name {
            "referrals-chase" => {
                let chased = self.chase_referrals(&actor).await?;
                let escalated = chased.iter().filter(|(_, e)| *e).count();
                Ok(format!("chased={} escalated={escalated}", chased.len()))
            }
            "hotline-chase" => {
                let chased = self.chase_requests(&actor).await?;
                let escalated = chased.iter().filter(|(_, e)| *e).count();
                Ok(format!("chased={} escalated={escalated}", chased.len()))
            }
            "appeals-close-due" => {
                let closed = self.close_due_appeals(&actor).await?;
                Ok(format!("closed={}", closed.len()))
            }
            "sensors-silence" => {
                let raised = self.sweep_silent_sensors(&actor, self.now()).await?;
                Ok(format!("alarms={}", raised.len()))
            }
            "overdue-scan" => self.scan_overdue().await,
            "sessions-cleanup" => {
                let now = self.now();
                let mut tx = self.store().begin().await?;
                let sessions = minsheng_store::users::delete_expired_sessions(&mut tx, now).await?;
                let throttle = minsheng_store::users::purge_throttle(
                    &mut tx,
                    now - self.settings().throttle_window_millis,
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(format!("sessions={sessions} throttle_rows={throttle}"))
            }
            "calendar-coverage" => self.check_calendar_coverage().await,
            "notifications-deliver" => {
                let done = self.deliver_notifications(200).await?;
                Ok(format!(
                    "sent={} retried={} failed={}",
                    done.sent, done.retried, done.failed
                ))
            }
            "hotline-retrain" => {
                let r = self.retrain_classifier(&actor).await?;
                Ok(format!(
                    "{} macro_f1={:.3}->{:.3} labels={} new={}",
                    r.reason,
                    r.before.reference.category.macro_f1,
                    r.after.reference.category.macro_f1,
                    r.labels,
                    r.new_labels
                ))
            }
            other => Err(AppError::Internal(format!("no body for job {other}"))),
        }
    }

    /// Tells units what time has made overdue: leads past their visit deadline (the
    /// community), escalated to the town and to the district, and emergency cases not paid
    /// within their three working days (the town). Each event is told once.
    async fn scan_overdue(&self) -> AppResult<String> {
        let everywhere = self.everything().await?;
        let now = self.now();
        // Deadlines that passed since the last scan (a day back the first time), and a week
        // before that for the escalations that follow them; told events are not told again.
        let last = ops::last_successes(&mut reader(self))
            .await?
            .into_iter()
            .find(|(job, _)| job == "overdue-scan")
            .map_or(now - DAY, |(_, at)| at);
        let since = last.min(now) - 7 * DAY;
        let leads = minsheng_store::discovery::overdue_leads(
            &mut reader(self),
            &everywhere,
            since,
            now,
            5000,
        )
        .await?;
        let emergencies =
            minsheng_store::help::overdue_emergencies(&mut reader(self), since, now, 5000).await?;
        let mut told = 0;
        let mut tx = self.store().begin().await?;
        for lead in &leads {
            let town = lead.region_code / 1000 * 1000;
            let district = lead.region_code / 1_000_000 * 1_000_000;
            let stages: [(bool, i64, &[UnitKind], EventKind, &str); 3] = [
                (
                    lead.due_at < now,
                    lead.region_code,
                    &[UnitKind::CommunityCommittee, UnitKind::TownOffice],
                    EventKind::LeadOverdue,
                    "overdue",
                ),
                (
                    lead.escalate_town_at <= now,
                    town,
                    &[UnitKind::TownOffice],
                    EventKind::LeadEscalated,
                    "town",
                ),
                (
                    lead.escalate_district_at <= now,
                    district,
                    &[UnitKind::CivilAffairsBureau],
                    EventKind::LeadEscalated,
                    "district",
                ),
            ];
            for (reached, region, kinds, kind, stage) in stages {
                if !reached || told_before(lead, stage, last) {
                    continue;
                }
                for unit in crate::notify::units_at(&mut tx, region, kinds).await? {
                    told += crate::notify::tell(
                        &mut tx,
                        unit,
                        kind,
                        &format!("lead:{}:{stage}", lead.id),
                        &format!("线索 #{} 逾期未走访", lead.id),
                        &format!(
                            "{} {}：应于 {} 前走访核实。",
                            lead.region_name,
                            lead.address,
                            minsheng_domain::time_util::format_millis(lead.due_at)
                        ),
                        &format!("/leads/{}", lead.id),
                        now,
                    )
                    .await?;
                }
            }
        }
        for case in &emergencies {
            for unit in
                crate::notify::units_at(&mut tx, case.town_code, &[UnitKind::TownOffice]).await?
            {
                told += crate::notify::tell(
                    &mut tx,
                    unit,
                    EventKind::EmergencyUnpaid,
                    &format!("emergency:{}:overdue", case.id),
                    &format!("急难救助 #{} 超过3个工作日未支付", case.id),
                    &format!(
                        "项目 {}，应于 {} 前从备用金支付。",
                        case.item_code,
                        minsheng_domain::time_util::format_millis(case.due_at)
                    ),
                    &format!("/households/{}/help", case.household_id),
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(format!(
            "leads={} emergencies={} deliveries={told}",
            leads.len(),
            emergencies.len()
        ))
    }

    /// When a job may next be taken: after the running instance's lease and once it is due.
    async fn job_next_free(&self, name: &str) -> AppResult<i64> {
        Ok(ops::next_free(&mut reader(self), name).await?)
    }

    /// Runs every job once at start and then on its interval until `shutdown` turns true; a
    /// job running when it does is let finish. Returns when every job has stopped.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn run_jobs(&self, instance: String, mut shutdown: watch::Receiver<bool>) {
        let mut tasks = tokio::task::JoinSet::new();
        for spec in self.job_specs() {
            let app = self.clone();
            let instance = instance.clone();
            let mut stop = shutdown.clone();
            tasks.spawn(async move {
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    let every = Duration::from_secs(spec.every_secs.max(1));
                    let mut wait = every;
                    match app.run_due_job(spec.name, &instance).await {
                        // Another instance runs it or ran it: try again when it may be taken
                        // (not every second while a long run holds it).
                        Ok(report) if report.outcome == "skipped" => {
                            if let Ok(due) = app.job_next_free(spec.name).await {
                                let until_due = u64::try_from(due - app.now()).unwrap_or(0);
                                wait = Duration::from_millis(until_due)
                                    .clamp(Duration::from_secs(1), every);
                            }
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(job = spec.name, "job could not run: {e}"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => {}
                    }
                }
            });
        }
        // Wait for the signal, then for the jobs (each finishes the run it is in).
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                break;
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// Whether a lead's stage was reached before the last scan (and so was told then).
fn told_before(lead: &minsheng_store::discovery::LeadRow, stage: &str, last_scan: i64) -> bool {
    let at = match stage {
        "overdue" => lead.due_at,
        "town" => lead.escalate_town_at,
        _ => lead.escalate_district_at,
    };
    at <= last_scan - DAY
}
