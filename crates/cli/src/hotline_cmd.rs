//! `minsheng hotline …`: the 12345 hotline's data checks and place finding.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use minsheng_app::hotline::week_or_this;
use minsheng_app::{Actor, App};
use minsheng_hotline::classify::{Classifier, Evaluation, MANUAL_DISPATCH, evaluate};
use minsheng_hotline::gazetteer::{self, Gazetteer};
use minsheng_hotline::routing::{self, Router};
use minsheng_hotline::synth::{self, Labelled};
use minsheng_hotline::taxonomy::{self, Taxonomy};

#[derive(Subcommand)]
pub enum HotlineCommand {
    /// Check the hotline's data (default: the shipped data/hotline/taxonomy.toml and
    /// places.toml, the landmarks checked against the region data); every error is named.
    Check {
        #[arg(long)]
        taxonomy: Option<PathBuf>,
        #[arg(long)]
        places: Option<PathBuf>,
        /// Routing rules to check (default: the shipped data/hotline/routing.toml).
        #[arg(long)]
        routing: Option<PathBuf>,
    },
    /// Where each request on stdin (one per line) is about: one JSON object per line with the
    /// district, town and zone (null when the text does not say clearly).
    Locate,
    /// Classify each request on stdin (one per line): category, type, district, town, unit and
    /// confidence; one JSON object per line with --json.
    Classify {
        #[arg(long)]
        json: bool,
    },
    /// Train on the labelled requests and score the held-out ones (wordings never trained on):
    /// accuracy and macro-F1 of category and type, and classification speed on one core.
    Eval {
        #[arg(long)]
        json: bool,
        /// Phrases to write the requests from instead of the shipped data/hotline/phrases.toml.
        #[arg(long)]
        phrases: Option<PathBuf>,
        /// Also list every held-out request whose subcategory was missed (truth → guess).
        #[arg(long)]
        misses: bool,
    },
    /// The weekly hot-topic ranking (每周热点排行) from the database: category shares of the
    /// requests received that ISO week (merged requests count once), solved and unsolved counts;
    /// `--xlsx FILE` writes the publication with its lists.
    Ranking {
        /// The ISO week, e.g. 2026-W33; default: this week.
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// Chase every overdue ticket (催办); a ticket chased before and still overdue a working
    /// day later is escalated. For a daily cron job; prints what it did.
    Chase {
        #[arg(long)]
        json: bool,
    },
    /// Write the agents' corrections (training data) as JSON lines: text, subcategory, type,
    /// and what the model had said.
    Labels {
        #[arg(long)]
        out: PathBuf,
    },
    /// Retrain the classifier from the shipped phrases plus the agents' confirmed corrections:
    /// held-out figures of the model in use and of the retrained one (category, type,
    /// calibration), and the new one activated only if it is not worse. Also a weekly job
    /// (`hotline-retrain`). Exit 0 whether activated or not; the output says which.
    Retrain {
        #[arg(long)]
        json: bool,
    },
    /// Issue an Open311 api_key for a client application (printed once, stored as a hash).
    Open311Key {
        #[arg(long)]
        client: String,
    },
    /// Write the labelled requests the classifier learns from (JSON lines).
    Synth {
        #[arg(long, default_value_t = 2000)]
        count: usize,
        #[arg(long, default_value_t = 12345)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        phrases: Option<PathBuf>,
    },
}

/// One line of `hotline classify --json` (the CLI contract's fields, in its order).
#[derive(serde::Serialize)]
struct ClassifyLine<'a> {
    category: &'a str,
    #[serde(rename = "type")]
    request_type: &'a str,
    district_code: Option<&'a str>,
    district: Option<&'a str>,
    town: Option<&'a str>,
    unit: Option<&'a str>,
    manual_dispatch: bool,
    confidence: f64,
    subcategory: &'a str,
    /// Below the routing rules' review threshold: intake would hold it for an agent's review.
    review: bool,
}

/// The labelled requests written from the shipped phrases (or those of `phrases_file`).
fn labelled(
    count: usize,
    seed: u64,
    phrases_file: Option<&PathBuf>,
) -> Result<(Taxonomy, Gazetteer, Vec<Labelled>)> {
    let taxonomy = Taxonomy::shipped().map_err(|e| anyhow::anyhow!(e))?;
    let gazetteer = Gazetteer::shipped().map_err(|e| anyhow::anyhow!(e))?;
    let text = match phrases_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => synth::PHRASES_TOML.to_string(),
    };
    let phrases = synth::phrases(&text, &taxonomy).map_err(|e| anyhow::anyhow!(e))?;
    let rows = synth::generate(&taxonomy, &gazetteer, &phrases, count, seed);
    Ok((taxonomy, gazetteer, rows))
}

/// The commands that read or write the database.
pub async fn hotline_db_command(app: &App, command: HotlineCommand) -> Result<ExitCode> {
    match command {
        HotlineCommand::Ranking { week, json, xlsx } => {
            let week = week_or_this(week.as_deref(), app.today());
            let ranking = app
                .weekly_ranking(&week)
                .await
                .map_err(|e| anyhow::anyhow!("{e}: {week}"))?;
            if let Some(path) = &xlsx {
                let bytes = app
                    .export_weekly_ranking(&week)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                std::fs::write(path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if json {
                let categories: Vec<_> = ranking
                    .categories
                    .iter()
                    .map(|c| {
                        serde_json::json!({"category": c.name_zh, "code": c.code,
                            "count": c.count, "share": c.share})
                    })
                    .collect();
                say!(
                    "{}",
                    serde_json::json!({"week": ranking.week, "from": ranking.from, "to": ranking.to,
                        "total": ranking.total, "categories": categories,
                        "solved": ranking.solved.len(), "unsolved": ranking.unsolved.len()})
                );
            } else {
                say!(
                    "12345 每周热点排行 {} ({} – {}): {} requests",
                    ranking.week,
                    ranking.from,
                    ranking.to,
                    ranking.total
                );
                for (i, c) in ranking.categories.iter().enumerate() {
                    let bar = "█".repeat((c.share / 2.0).round() as usize);
                    say!(
                        "{:>2}. {}\t{:>5}  {:>5.1}%  {bar}",
                        i + 1,
                        c.name_zh,
                        c.count,
                        c.share
                    );
                }
                say!(
                    "solved {}, unsolved {}",
                    ranking.solved.len(),
                    ranking.unsolved.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HotlineCommand::Chase { json } => {
            let actor =
                Actor::command_line(app.everything().await.map_err(|e| anyhow::anyhow!("{e}"))?);
            let done = app
                .chase_requests(&actor)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let escalated: Vec<i64> = done.iter().filter(|(_, e)| *e).map(|(id, _)| *id).collect();
            let chased: Vec<i64> = done
                .iter()
                .filter(|(_, e)| !*e)
                .map(|(id, _)| *id)
                .collect();
            if json {
                say!(
                    "{}",
                    serde_json::json!({"chased": chased, "escalated": escalated})
                );
            } else {
                say!(
                    "chased {} overdue tickets, escalated {}",
                    chased.len(),
                    escalated.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HotlineCommand::Retrain { json } => {
            let actor =
                Actor::command_line(app.everything().await.map_err(|e| anyhow::anyhow!("{e}"))?);
            let report = app
                .retrain_classifier(&actor)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                say!("{}", serde_json::to_string(&report)?);
            } else {
                say!(
                    "{} confirmed corrections, {} new since the model in use",
                    report.labels,
                    report.new_labels
                );
                for (name, f) in [
                    ("before (the model in use)", &report.before),
                    ("after (retrained)", &report.after),
                ] {
                    say!("{name}, on the held-out wordings:");
                    print_evaluation(&f.reference);
                    if let Some(c) = &f.corrections {
                        say!(
                            "  and on {} corrections kept aside: category accuracy {:.3}",
                            c.n,
                            c.category.accuracy
                        );
                    }
                }
                say!(
                    "{}",
                    match report.reason.as_str() {
                        "not_worse" => "activated: not worse on the held-out requests",
                        "worse" => "kept the model in use: the retrained one is worse",
                        _ => "kept the model in use: no new confirmed corrections",
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HotlineCommand::Labels { out } => {
            let actor =
                Actor::command_line(app.everything().await.map_err(|e| anyhow::anyhow!("{e}"))?);
            let labels = app
                .hotline_labels(&actor)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut text = String::new();
            for l in &labels {
                text.push_str(&serde_json::to_string(l)?);
                text.push('\n');
            }
            // Citizens' own words: readable by the operator only.
            std::io::Write::write_all(&mut crate::private_file(&out)?, text.as_bytes())
                .with_context(|| format!("cannot write {}", out.display()))?;
            say!("{} corrections written to {}", labels.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        HotlineCommand::Open311Key { client } => {
            let actor =
                Actor::command_line(app.everything().await.map_err(|e| anyhow::anyhow!("{e}"))?);
            let key = app
                .issue_open311_key(&actor, &client)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            say!("open311 api_key: {key}");
            Ok(ExitCode::SUCCESS)
        }
        other => hotline_command(other),
    }
}

/// Whether the command needs the database.
pub fn needs_database(command: &HotlineCommand) -> bool {
    matches!(
        command,
        HotlineCommand::Ranking { .. }
            | HotlineCommand::Open311Key { .. }
            | HotlineCommand::Chase { .. }
            | HotlineCommand::Labels { .. }
            | HotlineCommand::Retrain { .. }
    )
}

pub fn hotline_command(command: HotlineCommand) -> Result<ExitCode> {
    match command {
        HotlineCommand::Ranking { .. }
        | HotlineCommand::Open311Key { .. }
        | HotlineCommand::Chase { .. }
        | HotlineCommand::Labels { .. }
        | HotlineCommand::Retrain { .. } => {
            anyhow::bail!("this command needs the database")
        }
        HotlineCommand::Check {
            taxonomy,
            places,
            routing,
        } => {
            let read =
                |file: &Option<PathBuf>, shipped: (&str, &str)| -> Result<(String, String)> {
                    Ok(match file {
                        Some(path) => (
                            path.display().to_string(),
                            std::fs::read_to_string(path)
                                .with_context(|| format!("cannot read {}", path.display()))?,
                        ),
                        None => (shipped.0.to_string(), shipped.1.to_string()),
                    })
                };
            let mut failed = false;
            let (name, source) = read(
                &taxonomy,
                ("data/hotline/taxonomy.toml", taxonomy::SHIPPED_TOML),
            )?;
            let checked_taxonomy = match Taxonomy::from_toml(&source) {
                Ok(t) => {
                    say!(
                        "{name}: ok — {} categories, {} subcategories, {} request types",
                        t.categories.len(),
                        t.subcategory_count(),
                        t.types.len()
                    );
                    Some(t)
                }
                Err(e) => {
                    failed = true;
                    for line in e.lines() {
                        eprintln!("{name}: {line}");
                    }
                    None
                }
            };
            let (name, source) = read(
                &places,
                ("data/hotline/places.toml", gazetteer::PLACES_TOML),
            )?;
            let checked_gazetteer =
                match Gazetteer::from_data(gazetteer::REGIONS_CSV, gazetteer::ZONES_CSV, &source) {
                    Ok(g) => {
                        say!(
                            "{name}: ok — {} districts and counties, {} towns, {} landmarks",
                            g.districts().len(),
                            g.town_count(),
                            g.landmark_count()
                        );
                        Some(g)
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("{name}: {e}");
                        None
                    }
                };
            let (name, source) = read(
                &routing,
                ("data/hotline/routing.toml", routing::ROUTING_TOML),
            )?;
            if let (Some(t), Some(g)) = (&checked_taxonomy, &checked_gazetteer) {
                match Router::from_toml(&source, t, g) {
                    Ok(r) => say!("{name}: ok — {} routing rules", r.rules().len()),
                    Err(e) => {
                        failed = true;
                        for line in e.lines() {
                            eprintln!("{name}: {line}");
                        }
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        HotlineCommand::Classify { json } => {
            let (taxonomy, gazetteer, rows) =
                labelled(synth::TRAINING_COUNT, synth::TRAINING_SEED, None)?;
            let router = Router::shipped(&taxonomy, &gazetteer).map_err(|e| anyhow::anyhow!(e))?;
            let classifier = Classifier::train(taxonomy, gazetteer, &rows).with_router(router);
            // One buffered writer: a line per request without a system call each.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in std::io::stdin().lock().lines() {
                let line = line.context("cannot read stdin")?;
                if line.trim().is_empty() {
                    continue;
                }
                let c = classifier.classify(&line);
                let written = if json {
                    let manual = c.unit == MANUAL_DISPATCH;
                    serde_json::to_writer(
                        &mut out,
                        &ClassifyLine {
                            category: &c.category,
                            request_type: &c.request_type,
                            district_code: c.district_code.as_deref(),
                            district: c.district.as_deref(),
                            town: c.town.as_deref(),
                            unit: (!manual).then_some(c.unit.as_str()),
                            manual_dispatch: manual,
                            confidence: c.confidence,
                            subcategory: &c.subcategory,
                            review: classifier.needs_review(&c),
                        },
                    )
                    .map_err(std::io::Error::from)
                    .and_then(|()| writeln!(out))
                } else {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{:.2}{}",
                        c.category,
                        c.request_type,
                        c.district.as_deref().unwrap_or("—"),
                        c.unit,
                        c.confidence,
                        if classifier.needs_review(&c) {
                            "\treview"
                        } else {
                            ""
                        }
                    )
                };
                if let Err(e) = written {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(ExitCode::SUCCESS);
                    }
                    return Err(e.into());
                }
            }
            match out.flush() {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        HotlineCommand::Eval {
            json,
            phrases,
            misses,
        } => {
            let (taxonomy, gazetteer, rows) = labelled(
                synth::TRAINING_COUNT,
                synth::TRAINING_SEED,
                phrases.as_ref(),
            )?;
            let (held, train): (Vec<Labelled>, Vec<Labelled>) =
                rows.into_iter().partition(|r| r.held_out);
            let router = Router::shipped(&taxonomy, &gazetteer).map_err(|e| anyhow::anyhow!(e))?;
            let classifier = Classifier::train(taxonomy, gazetteer, &train).with_router(router);
            let started = std::time::Instant::now();
            let evaluation = evaluate(&classifier, &held);
            let per_second = held.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
            if misses {
                for r in &held {
                    let c = classifier.classify(&r.text);
                    if r.subcategory != c.subcategory {
                        eprintln!(
                            "{} → {} ({:.2})\t{}",
                            r.subcategory, c.subcategory, c.confidence, r.text
                        );
                    }
                }
            }
            if json {
                say!(
                    "{}",
                    serde_json::json!({"train": train.len(), "held_out": held.len(),
                        "category": evaluation.category, "type": evaluation.request_type,
                        "confidence": evaluation.confidence, "per_second": per_second.round()})
                );
            } else {
                say!(
                    "trained on {} requests, scored on {} held-out ones (wordings never trained on)",
                    train.len(),
                    held.len()
                );
                print_evaluation(&evaluation);
                say!("speed:    {per_second:.0} requests/s on one core");
            }
            Ok(ExitCode::SUCCESS)
        }
        HotlineCommand::Synth {
            count,
            seed,
            out,
            phrases,
        } => {
            let (_, _, rows) = labelled(count, seed, phrases.as_ref())?;
            let mut text = String::new();
            for row in &rows {
                text.push_str(&serde_json::to_string(row)?);
                text.push('\n');
            }
            std::fs::write(&out, text)
                .with_context(|| format!("cannot write {}", out.display()))?;
            say!(
                "{} labelled requests written to {}",
                rows.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        HotlineCommand::Locate => {
            let g = Gazetteer::shipped().map_err(|e| anyhow::anyhow!(e))?;
            for line in std::io::stdin().lock().lines() {
                let line = line.context("cannot read stdin")?;
                let place = g.locate(&line);
                let value = match place {
                    Some(p) => serde_json::json!({
                        "district_code": p.district.code,
                        "district": p.district.name,
                        "town_code": p.town.as_ref().map(|t| t.code.clone()),
                        "town": p.town.map(|t| t.name),
                        "zone": p.zone.map(|z| z.name),
                        "evidence": p.evidence,
                    }),
                    None => {
                        serde_json::json!({"district_code": null, "district": null, "town_code": null, "town": null, "zone": null, "evidence": []})
                    }
                };
                say!("{value}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Category, type and confidence figures of an evaluation, for a person.
fn print_evaluation(e: &Evaluation) {
    say!(
        "category:   accuracy {:.3}, macro-F1 {:.3}",
        e.category.accuracy,
        e.category.macro_f1
    );
    say!(
        "type:       accuracy {:.3}, macro-F1 {:.3}",
        e.request_type.accuracy,
        e.request_type.macro_f1
    );
    let c = &e.confidence;
    say!(
        "confidence: expected calibration error {:.3}; {} of {} below {:.2} go to review \
         (right {:.1} % of those, {:.1} % of the ones routed)",
        c.ece,
        c.reviewed,
        e.n,
        c.review_below,
        c.reviewed_accuracy * 100.0,
        c.routed_accuracy * 100.0
    );
}
