//! Sweeps (扫楼 / 过筛子): a community's households visited one by one; coverage shown, and
//! whatever gives concern becomes a clue through the sweep channel.

use minsheng_domain::{Action, RegionCode, RegionLevel};
use minsheng_i18n::msg;
use minsheng_store::registry;
use minsheng_store::sweeps::{self, SweepHouseholdRow, SweepRow, SweepVisit};
use minsheng_store::{Scope, regions};
use serde::{Deserialize, Serialize};

use crate::discovery::ClueSubmission;
use crate::{Actor, App, AppError, AppResult, Subject, reader, write_audit};

pub const FINDINGS: [&str; 3] = ["fine", "concern", "absent"];

#[derive(Debug, Clone, Serialize)]
pub struct SweepDetail {
    pub sweep: SweepRow,
    pub households: Vec<SweepHouseholdRow>,
    pub page: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SweepVisitInput {
    pub household_id: i64,
    pub finding: String,
    #[serde(default)]
    pub note: String,
}

fn sweep_range(region_code: i64) -> (i64, i64) {
    RegionCode::from_i64(region_code).map_or((region_code, region_code), |c| c.subtree())
}

impl App {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_sweep(&self, actor: &Actor, region: &str, name: &str) -> AppResult<i64> {
        self.authorize(actor, Action::RunSweeps, Subject::new("sweep", ""))
            .await?;
        let code =
            RegionCode::parse(region).map_err(|e| AppError::invalid("region_code", e.message()))?;
        if !matches!(code.level(), RegionLevel::Community | RegionLevel::Town) {
            return Err(AppError::invalid("region_code", msg!("sweep-area-level")));
        }
        if !actor.scope().contains(code.as_i64())
            || regions::get(&mut reader(self), code.as_i64())
                .await?
                .is_none()
        {
            return Err(AppError::invalid(
                "region_code",
                msg!("no-such-area-in-scope"),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", msg!("sweep-name-required")));
        }
        let mut tx = self.store().begin().await?;
        let id =
            sweeps::insert_sweep(&mut tx, code.as_i64(), name, actor.user_id(), self.now()).await?;
        write_audit(
            &mut tx,
            actor,
            "sweep.create",
            Subject::new("sweep", &id.to_string()),
            true,
            name,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_sweeps(&self, actor: &Actor) -> AppResult<Vec<SweepRow>> {
        self.authorize(actor, Action::RunSweeps, Subject::new("sweep", ""))
            .await?;
        Ok(sweeps::sweeps_in_scope(&mut reader(self), actor.scope(), 100).await?)
    }

    /// A sweep with a page of its households (name of the head and address: audited).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sweep_detail(&self, actor: &Actor, id: i64, page: i64) -> AppResult<SweepDetail> {
        let subject_id = id.to_string();
        let subject = Subject::new("sweep", &subject_id);
        self.authorize(actor, Action::RunSweeps, subject).await?;
        let sweep = self.sweep_in_area(actor, id, "sweep.read").await?;
        let page = page.max(1);
        let households = sweeps::sweep_households(
            &mut reader(self),
            actor.scope(),
            id,
            sweep_range(sweep.region_code),
            (page - 1) * 100,
            100,
        )
        .await?;
        self.audit_now(actor, "sweep.read", subject, true, &format!("page={page}"))
            .await?;
        Ok(SweepDetail {
            sweep,
            households,
            page,
        })
    }

    async fn sweep_in_area(&self, actor: &Actor, id: i64, action: &str) -> AppResult<SweepRow> {
        if let Some(sweep) = sweeps::sweep(&mut reader(self), actor.scope(), id).await? {
            return Ok(sweep);
        }
        self.audit_now(
            actor,
            action,
            Subject::new("sweep", &id.to_string()),
            false,
            "not found in area",
        )
        .await?;
        Err(AppError::NotFound)
    }

    /// Records what the sweep found at one household; a concern is filed as a clue.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_sweep_visit(
        &self,
        actor: &Actor,
        sweep_id: i64,
        input: &SweepVisitInput,
    ) -> AppResult<Option<i64>> {
        let subject_id = sweep_id.to_string();
        let subject = Subject::new("sweep", &subject_id);
        self.authorize(actor, Action::RunSweeps, subject).await?;
        let sweep = self.sweep_in_area(actor, sweep_id, "sweep.visit").await?;
        if !FINDINGS.contains(&input.finding.as_str()) {
            return Err(AppError::invalid("finding", msg!("finding-choices")));
        }
        let note = input.note.trim();
        if note.chars().count() > 1000 {
            return Err(AppError::invalid("note", msg!("text-too-long", max = 1000)));
        }
        let area = Scope::from_ranges(vec![sweep_range(sweep.region_code)]);
        let household = registry::household(&mut reader(self), &area, input.household_id)
            .await?
            .filter(|h| actor.scope().contains(h.region_code))
            .ok_or_else(|| AppError::invalid("household_id", msg!("household-outside-sweep")))?;
        let clue_id = if input.finding == "concern" {
            let head_id = match household.head_person_id {
                Some(p) => registry::person(&mut reader(self), &area, p)
                    .await?
                    .map(|p| p.id_number),
                None => None,
            };
            let clue = ClueSubmission {
                channel: "sweep".into(),
                description: if note.is_empty() {
                    format!("扫楼发现：{}", sweep.name)
                } else {
                    note.to_string()
                },
                address: household.address.clone(),
                region_code: RegionCode::from_i64(household.region_code).map(|c| c.short()),
                person_name: household.head_name.clone().unwrap_or_default(),
                id_number: head_id,
                source_ref: format!("sweep {sweep_id}"),
                ..ClueSubmission::default()
            };
            Some(self.submit_clue(actor, &clue).await?.clue_id)
        } else {
            None
        };
        let mut tx = self.store().begin().await?;
        sweeps::record_sweep_visit(
            &mut tx,
            &SweepVisit {
                sweep_id,
                household_id: household.id,
                visited_by: actor.user_id(),
                finding: &input.finding,
                note,
                clue_id,
                now: self.now(),
            },
        )
        .await?;
        write_audit(
            &mut tx,
            actor,
            "sweep.visit",
            subject,
            true,
            &format!("household {} {}", household.id, input.finding),
        )
        .await?;
        tx.commit().await?;
        Ok(clue_id)
    }
}
