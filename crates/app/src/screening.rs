//! Data cross-matching in the product: the registry as the population, and a run's warnings
//! filed as clues (channel: data matching) routed to their communities. A household is raised
//! again only when its evidence is new (the clue's key is a fingerprint of the rules hit and their
//! values), and a clue about a household with an open lead merges into it. Each run is recorded:
//! who, why, which feeds, what came of it.

use minsheng_domain::{Action, RegionCode};
use minsheng_i18n::msg;
use minsheng_store::help::{self, NewScreenRun};
use serde::Serialize;

use crate::discovery::ClueSubmission;
use crate::{Actor, App, AppError, AppResult, Subject, reader, write_audit};

/// One warning to file.
#[derive(Debug, Clone)]
pub struct ScreenedWarning {
    /// A member's ID number (the clue is about them and their household).
    pub id_number: String,
    pub region_code: i64,
    /// What the rules found, with the values (the clue's description).
    pub text: String,
    /// Changes only when the evidence does.
    pub fingerprint: String,
    /// Codes of the rules hit (for the per-rule hit rates).
    pub rules: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ScreenRunInput {
    pub purpose: String,
    pub rules_version: String,
    pub feeds: Vec<String>,
    pub summary: serde_json::Value,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FiledRun {
    pub run_id: i64,
    pub filed: usize,
    pub already_raised: usize,
    /// Warnings that could not become clues, and why.
    pub refused: Vec<(String, String)>,
}

impl App {
    /// Every registry person in a household of the actor's area: (ID number, household, region).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn registry_population(&self, actor: &Actor) -> AppResult<Vec<(String, i64, i64)>> {
        self.authorize(actor, Action::RunScreening, Subject::new("screening", ""))
            .await?;
        let rows = help::population_rows(&mut reader(self), actor.scope()).await?;
        self.audit_now(
            actor,
            "screening.population",
            Subject::new("screening", ""),
            true,
            &format!("{} persons", rows.len()),
        )
        .await?;
        Ok(rows)
    }

    /// Files a run's warnings as clues and records the run. The purpose (the authorisation the
    /// run relies on) is required.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn file_screen_warnings(
        &self,
        actor: &Actor,
        run: &ScreenRunInput,
        warnings: &[ScreenedWarning],
    ) -> AppResult<FiledRun> {
        // Deadlines below count with every schedule imported so far.
        self.current_calendar().await?;
        self.authorize(actor, Action::RunScreening, Subject::new("screening", ""))
            .await?;
        if run.purpose.trim().chars().count() < 4 {
            return Err(AppError::invalid("purpose", msg!("screening-purpose")));
        }
        // Every warning is checked and looked up first; then the run, its clues and its hits
        // are written in one transaction, so an interrupted run leaves nothing behind and a
        // second run files the same clues.
        let mut filed = FiledRun::default();
        let mut to_file = Vec::new();
        for warning in warnings {
            let region = RegionCode::from_i64(warning.region_code)
                .map(|c| c.short())
                .unwrap_or_default();
            let key = format!("screen:{}", warning.fingerprint);
            if self.clue_of_key(actor, &key).await?.is_some() {
                filed.already_raised += 1;
                continue;
            }
            let clue = ClueSubmission {
                channel: "screening".into(),
                description: warning.text.clone(),
                region_code: Some(region),
                id_number: Some(warning.id_number.clone()),
                system_key: Some(key),
                source_ref: "data matching".into(),
                ..ClueSubmission::default()
            };
            match self.check_clue(actor, &clue).await {
                Ok(valid) => to_file.push((warning, valid)),
                Err(AppError::Invalid(errors)) => {
                    let why: Vec<String> = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect();
                    filed.refused.push((
                        minsheng_domain::id_number::mask_id_number(&warning.id_number),
                        why.join("; "),
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        let summary = run.summary.to_string();
        let feeds = run.feeds.join(",");
        let mut tx = self.store().begin().await?;
        filed.run_id = help::insert_screen_run(
            &mut tx,
            &NewScreenRun {
                at: self.now(),
                user_id: actor.user_id(),
                username: actor.username(),
                purpose: run.purpose.trim(),
                rules_version: &run.rules_version,
                feeds: &feeds,
                summary: &summary,
                warnings: warnings.len() as i64,
                clues_filed: to_file.len() as i64,
                already_raised: filed.already_raised as i64,
            },
        )
        .await?;
        for (warning, clue) in &to_file {
            let (clue_id, _, _) = self.file_clue(&mut tx, actor, clue).await?;
            filed.filed += 1;
            for rule in &warning.rules {
                help::insert_screen_hit(&mut tx, filed.run_id, clue_id, warning.region_code, rule)
                    .await?;
            }
        }
        write_audit(
            &mut tx,
            actor,
            "screening.run",
            Subject::new("screening", &filed.run_id.to_string()),
            true,
            &format!(
                "{} warnings, {} filed, {} already raised: {}",
                warnings.len(),
                filed.filed,
                filed.already_raised,
                run.purpose.trim()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(filed)
    }
}

/// How right a rule's warnings were: of the clues it raised, how many were confirmed.
#[derive(Debug, Clone, Serialize)]
pub struct HitRate {
    pub rule: String,
    pub warned: i64,
    pub confirmed: i64,
    pub not_in_difficulty: i64,
    pub open: i64,
    /// confirmed / (confirmed + not in difficulty); None before any visit decided.
    pub rate: Option<f64>,
}

impl App {
    /// The per-rule hit rates of data matching in the user's area (district staff).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn screening_hit_rates(&self, actor: &Actor) -> AppResult<Vec<HitRate>> {
        self.authorize(
            actor,
            Action::ViewFigures,
            Subject::new("figures", "screening"),
        )
        .await?;
        let rows = help::screen_hit_rates(&mut reader(self), actor.scope()).await?;
        Ok(rows
            .into_iter()
            .map(
                |(rule, warned, confirmed, not_in_difficulty, open)| HitRate {
                    rate: (confirmed + not_in_difficulty > 0)
                        .then(|| confirmed as f64 / (confirmed + not_in_difficulty) as f64),
                    rule,
                    warned,
                    confirmed,
                    not_in_difficulty,
                    open,
                },
            )
            .collect())
    }

    /// The latest screening runs of the area (who ran them, why, on which feeds, with what
    /// result): district staff and auditors.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn screening_runs(&self, actor: &Actor) -> AppResult<Vec<ScreenRun>> {
        self.authorize(
            actor,
            Action::ViewFigures,
            Subject::new("screening", "runs"),
        )
        .await?;
        let rows = help::screen_runs(&mut reader(self), actor.scope(), 50).await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at, username, purpose, rules_version, feeds, warnings, filed, raised)| {
                    ScreenRun {
                        id,
                        at,
                        username,
                        purpose,
                        rules_version,
                        feeds,
                        warnings,
                        clues_filed: filed,
                        already_raised: raised,
                    }
                },
            )
            .collect())
    }
}

/// A recorded screening run.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenRun {
    pub id: i64,
    pub at: i64,
    pub username: String,
    pub purpose: String,
    pub rules_version: String,
    pub feeds: String,
    pub warnings: i64,
    pub clues_filed: i64,
    pub already_raised: i64,
}
