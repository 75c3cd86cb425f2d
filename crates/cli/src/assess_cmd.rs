//! `minsheng model check|what-if|list`, `minsheng assess`, `minsheng survey schema`,
//! `minsheng synth surveys`: assessment from the command line, on files.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use minsheng_assess::model::Model;
use minsheng_assess::questions::{QuestionKind, Questions, Subject};
use minsheng_assess::shipped::{SHIPPED, shipped_ids, shipped_model};
use minsheng_assess::survey;
use minsheng_assess::synth::SurveyGenerator;
use rayon::prelude::*;

use crate::progress_bar;

/// Lines scored per parallel batch: big enough to keep both cores busy, small enough that a
/// million households never sit in memory at once.
const BATCH_LINES: usize = 16_384;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Check model files; exit 0 if all are valid, otherwise every error as FILE:LINE:COLUMN: message.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A calibration set (survey fixtures and expect.toml with each one's band and
        /// conclusion): every case outside its band is named; exit 1 if any is.
        #[arg(long)]
        fixtures: Option<PathBuf>,
    },
    /// The shipped models.
    List,
    /// Re-score households under a draft model and show who would change conclusion; nothing is
    /// written anywhere.
    WhatIf {
        /// The draft: a model file or a shipped model id.
        #[arg(long)]
        model: String,
        /// The model the households are judged by now (file or id).
        #[arg(long)]
        baseline: String,
        /// Household surveys, one JSON object per line.
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        json: bool,
        /// How many changed households to list.
        #[arg(long, default_value_t = 50)]
        list: usize,
    },
}

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// Check a catalog file (default: the shipped one); every error as FILE:LINE:COLUMN: message.
    Check { file: Option<PathBuf> },
    /// The items of the shipped catalog, by category.
    List,
}

/// Scores a calibration set with a model and names each case outside its band; true when all
/// land in theirs.
fn check_calibration(file: &std::path::Path, model: &Model, dir: &std::path::Path) -> Result<bool> {
    use minsheng_assess::calibration::{self, EXPECTATIONS};
    let expect = dir.join(EXPECTATIONS);
    let text = std::fs::read_to_string(&expect)
        .with_context(|| format!("cannot read {}", expect.display()))?;
    let outcomes = calibration::check(model, &text, |name| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string())
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let mut ok = true;
    for o in &outcomes {
        match &o.problem {
            None => say!(
                "ok    {:<32} {:>6.2} (points {:>6.2}) in {}–{}  {}",
                o.file,
                o.score,
                o.raw_points,
                o.band.0,
                o.band.1,
                o.conclusion
            ),
            Some(problem) => {
                ok = false;
                eprintln!("{}: {}: {problem} — {}", dir.display(), o.file, o.why);
            }
        }
    }
    say!(
        "{}: {} of {} calibration cases in their bands",
        file.display(),
        outcomes.iter().filter(|o| o.problem.is_none()).count(),
        outcomes.len()
    );
    Ok(ok)
}

pub fn catalog_command(command: CatalogCommand) -> Result<ExitCode> {
    use minsheng_assess::catalog::{self, Catalog};
    match command {
        CatalogCommand::Check { file } => {
            let (name, source) = match &file {
                Some(path) => (
                    path.display().to_string(),
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                None => (
                    "data/catalog/assistance.toml".to_string(),
                    catalog::SHIPPED_SOURCE.to_string(),
                ),
            };
            match Catalog::from_toml(&source) {
                Ok(c) => {
                    say!(
                        "{name}: ok — {} {} ({} categories, {} items)",
                        c.name_zh,
                        c.version,
                        c.categories.len(),
                        c.items.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    for e in errors {
                        eprintln!("{name}:{e}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        CatalogCommand::List => {
            let c = catalog::shipped()
                .map_err(|e| anyhow::anyhow!("the shipped catalog does not load: {e:?}"))?;
            for category in &c.categories {
                say!("{} {}", category.code, category.label_zh);
                for item in c
                    .items
                    .iter()
                    .filter(|i| c.category_of(i).code == category.code)
                {
                    say!(
                        "  {:<32} {:<8} {:<22} {:<9} {:>3} 工作日 {}",
                        item.code,
                        item.kind,
                        item.unit_kind,
                        item.decided_by,
                        item.deadline_days,
                        item.label_zh
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Subcommand)]
pub enum SurveyCommand {
    /// Print the JSON Schema of the household survey.
    Schema,
    /// Check survey files (one JSON object per line); every error as FILE:LINE: field: message.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check a district questions file (default: the questions in effect) and list its
    /// questions; every mistake as FILE:LINE:COLUMN: message.
    Questions {
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum SynthCommand {
    /// A synthetic city: DIR/population.csv, DIR/feeds/NAME.csv, DIR/rules.toml, DIR/planted.csv.
    Population {
        #[arg(long)]
        persons: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Synthetic household surveys, one JSON object per line (for benchmarks and what-if runs).
    Surveys {
        #[arg(long)]
        households: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Share of surveys that leave some facts out.
        #[arg(long, default_value_t = 0.05)]
        partial_share: f64,
    },
}

/// A model given as a file path or a shipped id.
pub fn load_model(spec: &str) -> Result<Model> {
    let path = Path::new(spec);
    if path.is_file() {
        let source =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {spec}"))?;
        return Model::from_toml(&source).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| format!("{spec}:{e}")).collect();
            anyhow::anyhow!("{} is not a valid model:\n{}", spec, lines.join("\n"))
        });
    }
    match shipped_model(spec) {
        Some(Ok(model)) => Ok(model),
        Some(Err(errors)) => bail!("shipped model {spec} is broken: {errors:?}"),
        None => bail!(
            "no model file or shipped model '{spec}' (shipped: {})",
            shipped_ids().join(", ")
        ),
    }
}

pub fn model_command(command: ModelCommand) -> Result<ExitCode> {
    match command {
        ModelCommand::Check { files, fixtures } => {
            let mut ok = true;
            for file in files {
                let source = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                match Model::from_toml(&source) {
                    Ok(model) if fixtures.is_some() => {
                        let dir = fixtures.as_deref().unwrap_or(std::path::Path::new("."));
                        ok &= check_calibration(&file, &model, dir)?;
                    }
                    Ok(model) => say!(
                        "{}: ok — {} {} ({} dimensions, {} indicators, {} vetoes, {} conclusions)",
                        file.display(),
                        model.id,
                        model.version,
                        model.dimensions.len(),
                        model.indicators.len(),
                        model.vetoes.len(),
                        model.conclusions.len()
                    ),
                    Err(errors) => {
                        ok = false;
                        for error in errors {
                            eprintln!("{}:{error}", file.display());
                        }
                    }
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ModelCommand::List => {
            for (file, source) in SHIPPED {
                match Model::from_toml(source) {
                    Ok(m) => say!(
                        "{}\t{}\t{}\t{} indicators\tmodels/{file}",
                        m.id,
                        m.version,
                        m.name_zh,
                        m.indicators.len()
                    ),
                    Err(_) => say!("?\t?\tbroken\tmodels/{file}"),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelCommand::WhatIf {
            model,
            baseline,
            input,
            json,
            list,
        } => what_if(&model, &baseline, &input, json, list),
    }
}

/// Reads a JSONL file in batches and hands each batch of (line number, text) to `each`. A
/// reader thread fills the next batch while `each` works on the current one.
fn for_each_batch(
    input: &Path,
    mut each: impl FnMut(&[(usize, String)]) -> Result<()>,
) -> Result<()> {
    let file =
        std::fs::File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(size, "households");
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Vec<(usize, String)>>>(2);
    let name = input.display().to_string();
    let reader_bar = bar.clone();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut batch: Vec<(usize, String)> = Vec::with_capacity(BATCH_LINES);
        let mut line_number = 0;
        loop {
            let mut line = String::with_capacity(4096);
            let read = match reader.read_line(&mut line) {
                Ok(read) => read,
                Err(e) => {
                    let _ = sender.send(Err(anyhow::anyhow!(
                        "{name}: line {} cannot be read: {e}",
                        line_number + 1
                    )));
                    return;
                }
            };
            if read == 0 {
                break;
            }
            line_number += 1;
            reader_bar.inc(read as u64);
            if !line.trim().is_empty() {
                batch.push((line_number, line));
            }
            if batch.len() == BATCH_LINES {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_LINES));
                if sender.send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = sender.send(Ok(batch));
        }
    });
    for batch in receiver {
        each(&batch?)?;
    }
    let _ = reader.join();
    bar.finish_and_clear();
    Ok(())
}

/// `minsheng assess`: score every survey of a JSONL file.
pub fn assess_command(
    model_spec: &str,
    input: &Path,
    json: bool,
    explain: bool,
    recommend: bool,
) -> Result<ExitCode> {
    let model = load_model(model_spec)?;
    let catalog = if recommend {
        Some(
            minsheng_assess::catalog::shipped()
                .map_err(|e| anyhow::anyhow!("the shipped catalog does not load: {e:?}"))?,
        )
    } else {
        None
    };
    let started = Instant::now();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut invalid = 0usize;
    let mut scored = 0usize;
    let mut partial = 0usize;
    let mut by_conclusion: BTreeMap<String, usize> = BTreeMap::new();
    for_each_batch(input, |batch| {
        let results: Vec<std::result::Result<(String, usize, bool), String>> = batch
            .par_iter()
            .map(|(line, text)| match survey::read(text) {
                Ok(survey) => {
                    let result = if explain {
                        model.score(&survey.facts)
                    } else {
                        model.score_batch(&survey.facts)
                    };
                    let recommendations = catalog.map(|catalog| {
                        let facts = minsheng_assess::catalog::AssessmentFacts {
                            score: result.total,
                            conclusion: model.conclusions[result.conclusion].code.clone(),
                        };
                        catalog.recommend(&survey.facts, &facts)
                    });
                    // What would move the household to another conclusion (as on the report).
                    let changes = explain.then(|| model.what_would_change(&survey.facts, 2));
                    let text = if json {
                        let mut value = model.result_json(&survey.household, &result, explain);
                        value.partial |= survey.is_partial();
                        let mut line = serde_json::to_value(&value).unwrap_or_default();
                        if let Some(object) = line.as_object_mut() {
                            if let Some(r) = &recommendations {
                                object.insert(
                                    "recommendations".into(),
                                    r.items.iter().map(recommendation_json).collect(),
                                );
                                // Rules that fired with nothing to pay: not recommended.
                                object.insert(
                                    "zero_amount".into(),
                                    r.zero_amount.iter().map(recommendation_json).collect(),
                                );
                            }
                            if let Some(changes) = &changes {
                                object.insert(
                                    "changes".into(),
                                    serde_json::to_value(changes).unwrap_or_default(),
                                );
                            }
                        }
                        line.to_string()
                    } else if recommendations.is_some() || changes.is_some() {
                        household_text(
                            &survey.household,
                            &model,
                            &result,
                            recommendations.as_ref(),
                            changes.as_deref().unwrap_or_default(),
                        )
                    } else {
                        String::new()
                    };
                    Ok((
                        text,
                        result.conclusion,
                        result.is_partial() || survey.is_partial(),
                    ))
                }
                Err(errors) => {
                    let detail: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    Err(format!("{}:{line}: {}", input.display(), detail.join("; ")))
                }
            })
            .collect();
        for result in results {
            match result {
                Ok((text, conclusion, is_partial)) => {
                    scored += 1;
                    partial += usize::from(is_partial);
                    *by_conclusion
                        .entry(model.conclusions[conclusion].code.clone())
                        .or_default() += 1;
                    if json {
                        out.write_all(text.as_bytes())?;
                        out.write_all(b"\n")?;
                    } else if !text.is_empty() {
                        out.write_all(text.as_bytes())?;
                    }
                }
                Err(message) => {
                    invalid += 1;
                    eprintln!("{message}");
                }
            }
        }
        Ok(())
    })?;
    out.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    let summary = format!(
        "{scored} households scored with {} {} in {seconds:.2} s ({:.0} households/s); {partial} partial; {invalid} invalid",
        model.id,
        model.version,
        scored as f64 / seconds.max(1e-9)
    );
    if json {
        eprintln!("{summary}");
    } else {
        say!("{summary}");
        for conclusion in &model.conclusions {
            let n = by_conclusion.get(&conclusion.code).copied().unwrap_or(0);
            say!(
                "  {:<24} {:>9}  {:5.1} %",
                format!("{} {}", conclusion.code, conclusion.label_zh),
                n,
                100.0 * n as f64 / scored.max(1) as f64
            );
        }
    }
    Ok(if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// A recommended item as the JSON line carries it: what, how much, by when (working days), by
/// whom, whether it is on the emergency path, and the rule with the facts it read.
fn recommendation_json(r: &minsheng_assess::catalog::Recommendation) -> serde_json::Value {
    let evidence: serde_json::Map<String, serde_json::Value> = r
        .evidence
        .iter()
        .map(|(fact, value)| (fact.clone(), serde_json::Value::String(value.clone())))
        .collect();
    serde_json::json!({
        "item": r.item, "category": r.category, "label": r.label, "reason": r.reason,
        "amount": r.amount, "period": r.period, "kind": r.kind, "decided_by": r.decided_by,
        "deadline_days": r.deadline_days, "emergency": r.emergency,
        "rule": r.rule, "evidence": evidence,
    })
}

/// A household's result for a person reading the terminal: the conclusion, each recommended
/// item with its amount, deadline, path and the facts its rule read, and what would change the
/// conclusion.
fn household_text(
    household: &str,
    model: &Model,
    result: &minsheng_assess::score::Scored,
    recommendations: Option<&minsheng_assess::catalog::Recommendations>,
    changes: &[minsheng_assess::score::Change],
) -> String {
    let (items, zero) = recommendations.map_or((&[][..], &[][..]), |r| {
        (r.items.as_slice(), r.zero_amount.as_slice())
    });
    use std::fmt::Write as _;
    let conclusion = &model.conclusions[result.conclusion];
    let mut out = format!(
        "{household}: {} {} ({:.1})\n",
        conclusion.code, conclusion.label_zh, result.total
    );
    for r in items {
        let amount = r.amount.map_or(String::new(), |a| format!(" ¥{a:.2}"));
        let path = if r.emergency {
            ", emergency path (先行救助)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} {}{amount} — within {} working days{path}; decided by {}",
            r.item, r.label, r.deadline_days, r.decided_by
        );
        let _ = writeln!(out, "      because {} ({})", r.rule, r.evidence_text(", "));
    }
    for r in zero {
        let _ = writeln!(
            out,
            "  not recommended: {} {} — its amount comes to ¥0 with these facts ({})",
            r.item,
            r.label,
            r.evidence_text(", ")
        );
    }
    for c in changes {
        let _ = writeln!(
            out,
            "  would become {} {} if {} were {} (now {})",
            c.conclusion, c.conclusion_label, c.fact, c.to, c.from
        );
    }
    out
}

/// A household's (id, conclusion and score now, conclusion and score under the draft).
type Transition = (String, usize, f64, usize, f64);

fn what_if(
    draft_spec: &str,
    baseline_spec: &str,
    input: &Path,
    json: bool,
    list: usize,
) -> Result<ExitCode> {
    let draft = load_model(draft_spec)?;
    let baseline = load_model(baseline_spec)?;
    let mut transitions: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut changed: Vec<serde_json::Value> = Vec::new();
    let mut households = 0usize;
    let mut changed_count = 0usize;
    let mut invalid = 0usize;
    for_each_batch(input, |batch| {
        let results: Vec<Option<Transition>> = batch
            .par_iter()
            .map(|(_, text)| {
                let survey = survey::read(text).ok()?;
                let before = baseline.score_batch(&survey.facts);
                let after = draft.score_batch(&survey.facts);
                Some((
                    survey.household,
                    before.conclusion,
                    before.total,
                    after.conclusion,
                    after.total,
                ))
            })
            .collect();
        for result in results {
            let Some((household, before, score_before, after, score_after)) = result else {
                invalid += 1;
                continue;
            };
            households += 1;
            let from = baseline.conclusions[before].code.clone();
            let to = draft.conclusions[after].code.clone();
            if from != to {
                changed_count += 1;
                if changed.len() < list {
                    changed.push(serde_json::json!({"household": household, "from": from, "to": to,
                        "score_before": (score_before * 100.0).round() / 100.0, "score_after": (score_after * 100.0).round() / 100.0}));
                }
            }
            *transitions.entry((from, to)).or_default() += 1;
        }
        Ok(())
    })?;
    if json {
        let table: BTreeMap<String, usize> = transitions
            .iter()
            .map(|((f, t), n)| (format!("{f}->{t}"), *n))
            .collect();
        say!(
            "{}",
            serde_json::json!({"households": households, "changed": changed_count, "invalid": invalid,
                "baseline": {"model": baseline.id, "version": baseline.version},
                "draft": {"model": draft.id, "version": draft.version},
                "transitions": table, "changes": changed})
        );
    } else {
        say!(
            "{households} households: {changed_count} would change conclusion under {} {} (baseline {} {}); {invalid} invalid lines skipped",
            draft.id,
            draft.version,
            baseline.id,
            baseline.version
        );
        say!(
            "{:<28} {:<28} {:>9}",
            "now",
            "under the draft",
            "households"
        );
        for ((from, to), n) in &transitions {
            let mark = if from == to { " " } else { "*" };
            say!("{mark}{from:<27} {to:<28} {n:>9}");
        }
        for c in &changed {
            say!(
                "  {} {} ({}) → {} ({})",
                c["household"].as_str().unwrap_or(""),
                c["from"].as_str().unwrap_or(""),
                c["score_before"],
                c["to"].as_str().unwrap_or(""),
                c["score_after"]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks a district questions file; its mistakes, each with file, line and column.
pub fn read_questions(path: &Path) -> Result<Questions> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Questions::from_toml(&source).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{e}", path.display()))
            .collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })
}

fn list_questions(questions: &Questions, json: bool) -> Result<()> {
    for q in &questions.questions {
        let subject = match q.subject {
            Subject::Household => "household",
            Subject::Member => "member",
        };
        let (kind, range, choices) = match &q.kind {
            QuestionKind::Bool => ("bool", String::new(), Vec::new()),
            QuestionKind::Money => ("money", String::new(), Vec::new()),
            QuestionKind::Int { min, max } => ("int", format!("{min}..{max}"), Vec::new()),
            QuestionKind::Number { min, max } => ("number", format!("{min}..{max}"), Vec::new()),
            QuestionKind::Choice(answers) => (
                "choice",
                String::new(),
                answers.iter().map(|(code, _, _)| code.as_str()).collect(),
            ),
        };
        let path = match q.subject {
            Subject::Household => format!("local.{}", q.name),
            Subject::Member => format!("m.local.{}", q.name),
        };
        if json {
            say!(
                "{}",
                serde_json::json!({"name": q.name, "record": subject, "type": kind, "path": path,
                    "range": range, "choices": choices, "label_zh": q.zh, "label_en": q.en,
                    "district": q.district})
            );
        } else {
            say!(
                "{path:<32} {kind:<7} {:<12} {} / {}{}",
                range,
                q.zh,
                q.en,
                if choices.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", choices.join(", "))
                }
            );
        }
    }
    Ok(())
}

pub fn survey_command(command: SurveyCommand) -> Result<ExitCode> {
    match command {
        SurveyCommand::Questions { file, json } => {
            let questions = match file {
                Some(file) => match read_questions(&file) {
                    Ok(questions) => questions,
                    Err(e) => {
                        eprintln!("{e}");
                        return Ok(ExitCode::FAILURE);
                    }
                },
                None => survey::questions().clone(),
            };
            list_questions(&questions, json)?;
            if !json {
                say!("{} questions: ok", questions.questions.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        SurveyCommand::Schema => {
            say!("{}", serde_json::to_string_pretty(&survey::json_schema())?);
            Ok(ExitCode::SUCCESS)
        }
        SurveyCommand::Check { files } => {
            let mut bad = 0usize;
            let mut good = 0usize;
            for file in files {
                for_each_batch(&file, |batch| {
                    for (line, text) in batch {
                        match survey::read(text) {
                            Ok(_) => good += 1,
                            Err(errors) => {
                                bad += 1;
                                for e in errors {
                                    eprintln!("{}:{line}: {e}", file.display());
                                }
                            }
                        }
                    }
                    Ok(())
                })?;
            }
            say!("{good} valid, {bad} invalid");
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

pub fn synth_command(command: SynthCommand) -> Result<ExitCode> {
    match command {
        SynthCommand::Population { persons, out, seed } => {
            crate::screen_cmd::synth_population(persons, &out, seed)
        }
        SynthCommand::Surveys {
            households,
            out,
            seed,
            partial_share,
        } => {
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            let mut writer = BufWriter::with_capacity(1 << 20, file);
            let mut generator = SurveyGenerator::new(seed);
            generator.share_partial = partial_share;
            let bar = progress_bar(households as u64, "surveys");
            // Spread the households over Chongqing's main-city districts.
            let regions = [
                "500103", "500105", "500106", "500107", "500108", "500112", "500113",
            ];
            for i in 0..households {
                let region = regions[i % regions.len()];
                let survey = generator.next_survey(&format!("{region}001001"));
                serde_json::to_writer(&mut writer, &survey)?;
                writer.write_all(b"\n")?;
                if i % 4096 == 0 {
                    bar.set_position(i as u64);
                }
            }
            bar.finish_and_clear();
            writer.flush()?;
            if !std::io::stderr().is_terminal() || households > 0 {
                eprintln!("wrote {households} surveys to {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
