//! `minsheng screen`, `minsheng rules check` and `minsheng synth population`: data
//! cross-matching on files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use minsheng_screen::engine;
use minsheng_screen::population::Population;
use minsheng_screen::rules::RuleSet;

use crate::progress_bar;

fn rule_set(path: &Path, as_of: Option<time::Date>) -> Result<RuleSet> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    RuleSet::from_toml(&source, &minsheng_screen::schema_of, as_of).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{e}", path.display()))
            .collect();
        anyhow::anyhow!(
            "{} is not a valid rule set:\n{}",
            path.display(),
            lines.join("\n")
        )
    })
}

pub fn rules_check(files: &[PathBuf]) -> Result<ExitCode> {
    let mut ok = true;
    for file in files {
        let source = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        match RuleSet::from_toml(&source, &minsheng_screen::schema_of, None) {
            Ok(r) => say!(
                "{}: ok — {} aggregates, {} rules over {} feeds",
                file.display(),
                r.aggregates.len(),
                r.rules.len(),
                r.feeds.len()
            ),
            Err(errors) => {
                ok = false;
                for e in errors {
                    eprintln!("{}:{e}", file.display());
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

pub struct ScreenArgs {
    pub rules: PathBuf,
    pub population: PathBuf,
    pub feeds: Vec<String>,
    pub out: PathBuf,
    pub commit: bool,
    pub json: bool,
    pub as_of: Option<String>,
    pub max_rejected: Option<u64>,
    pub purpose: Option<String>,
    pub hmac_key_file: Option<PathBuf>,
    pub hashed_feeds: Vec<String>,
}

pub async fn screen(args: &ScreenArgs, app: Option<&minsheng_app::App>) -> Result<ExitCode> {
    let operator = match app {
        Some(app) => Some(minsheng_app::Actor::command_line(
            app.everything().await.map_err(|e| anyhow::anyhow!("{e}"))?,
        )),
        None => None,
    };
    if args.commit && args.purpose.as_deref().is_none_or(|p| p.trim().is_empty()) {
        bail!(
            "--commit needs --purpose: the purpose and authorisation of the run, recorded with it"
        );
    }
    let as_of = match &args.as_of {
        Some(text) => Some(
            time::Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .with_context(|| format!("--as-of {text}: a date YYYY-MM-DD"))?,
        ),
        None => None,
    };
    let rules = rule_set(&args.rules, as_of)?;
    let mut feeds: Vec<(String, PathBuf)> = Vec::new();
    for spec in &args.feeds {
        let Some((name, path)) = spec.split_once('=') else {
            bail!("--feed {spec}: write NAME=PATH");
        };
        feeds.push((name.to_string(), PathBuf::from(path)));
    }
    let started = Instant::now();
    let quiet = args.json;
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        progress_bar(0, "population")
    };
    let hasher = match &args.hmac_key_file {
        Some(path) => {
            let key = std::fs::read(path)
                .with_context(|| format!("cannot read the key {}", path.display()))?;
            if key.len() < 16 {
                bail!("{}: a key of at least 16 bytes", path.display());
            }
            Some(minsheng_screen::idkey::Hasher::new(&key))
        }
        None => None,
    };
    for spec in &args.hashed_feeds {
        let Some((name, path)) = spec.split_once('=') else {
            bail!("--hashed-feed {spec}: write NAME=PATH");
        };
        feeds.push((name.to_string(), PathBuf::from(path)));
    }
    let hashed_names: Vec<String> = args
        .hashed_feeds
        .iter()
        .filter_map(|s| s.split_once('=').map(|(n, _)| n.to_string()))
        .collect();
    let population = match (app, &operator) {
        (Some(app), Some(operator)) if args.population.as_os_str() == "registry" => {
            let rows = app
                .registry_population(operator)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Population::from_rows(
                rows.iter().map(|(id, household, region)| {
                    (id.as_str(), household.to_string(), *region, f32::NAN)
                }),
                hasher,
            )
        }
        _ => Population::read(&args.population, &|n| bar.set_position(n), hasher)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    bar.finish_and_clear();
    let loaded = started.elapsed().as_secs_f64();
    let bars = indicatif::MultiProgress::new();
    let feed_bars: BTreeMap<String, indicatif::ProgressBar> = feeds
        .iter()
        .map(|(name, _)| {
            let bar = if quiet {
                indicatif::ProgressBar::hidden()
            } else {
                bars.add(progress_bar(0, name))
            };
            (name.clone(), bar)
        })
        .collect();
    let outcome = engine::run(
        &rules,
        &population,
        &feeds,
        &|name, rows| {
            if let Some(bar) = feed_bars.get(name) {
                bar.set_position(rows);
            }
        },
        &engine::Options {
            max_rejected: args.max_rejected,
            hashed_feeds: hashed_names,
            ..engine::Options::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    for bar in feed_bars.values() {
        bar.finish_and_clear();
    }
    let writing = Instant::now();
    write_outputs(&args.out, &rules, &population, &outcome)?;
    let write_seconds = writing.elapsed().as_secs_f64();
    let mut by_rule: BTreeMap<String, usize> =
        rules.rules.iter().map(|r| (r.code.clone(), 0)).collect();
    for w in &outcome.warnings {
        for (r, _) in &w.hits {
            *by_rule.entry(rules.rules[*r].code.clone()).or_default() += 1;
        }
    }
    let filed = match (args.commit, app, &operator) {
        (true, Some(app), Some(operator)) => {
            let warnings: Vec<minsheng_app::screening::ScreenedWarning> = outcome
                .warnings
                .iter()
                .filter_map(|w| {
                    let h = w.household as usize;
                    let first = *population.members(h).first()?;
                    let codes: Vec<&str> = w
                        .hits
                        .iter()
                        .map(|(r, _)| rules.rules[*r].code.as_str())
                        .collect();
                    let text: Vec<String> = w
                        .hits
                        .iter()
                        .map(|(r, e)| {
                            format!(
                                "{}：{e}（{}）",
                                rules.rules[*r].label_zh, rules.rules[*r].action
                            )
                        })
                        .collect();
                    let fingerprint = format!(
                        "{}:{:016x}",
                        population.household_id(h),
                        fnv(format!("{}|{}", codes.join(";"), text.join(";")).as_bytes())
                    );
                    Some(minsheng_app::screening::ScreenedWarning {
                        id_number: minsheng_screen::idkey::unpack(
                            population.person_key[first as usize],
                        ),
                        region_code: population.household_region[h],
                        text: format!("大数据比对预警：{}", text.join("；")),
                        fingerprint,
                        rules: codes.iter().map(|c| (*c).to_string()).collect(),
                    })
                })
                .collect();
            let run = minsheng_app::screening::ScreenRunInput {
                purpose: args.purpose.clone().unwrap_or_default(),
                rules_version: rules.version.clone(),
                feeds: args
                    .feeds
                    .iter()
                    .map(|f| f.split('=').next().unwrap_or("").to_string())
                    .collect(),
                summary: serde_json::json!({"warnings": outcome.warnings.len(), "by_rule": by_rule}),
            };
            Some(
                app.file_screen_warnings(operator, &run, &warnings)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            )
        }
        _ => None,
    };
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let feeds: BTreeMap<&String, serde_json::Value> = outcome
            .feeds
            .iter()
            .map(|(n, c)| (n, serde_json::json!({"rows": c.rows, "matched": c.matched, "rejected": c.rejected, "unmatched": c.unmatched})))
            .collect();
        say!(
            "{}",
            serde_json::json!({"persons": population.persons(), "households": population.households(),
                "population_rejected": population.rejected_count,
                "feeds": feeds, "warnings": outcome.warnings.len(), "by_rule": by_rule,
                "seconds": (seconds * 1000.0).round() / 1000.0, "population_seconds": (loaded * 1000.0).round() / 1000.0,
                "feed_seconds": (outcome.feed_seconds * 1000.0).round() / 1000.0, "rule_seconds": (outcome.rule_seconds * 1000.0).round() / 1000.0,
                "write_seconds": (write_seconds * 1000.0).round() / 1000.0,
                "committed": filed.as_ref().map(|f| serde_json::json!({"run": f.run_id, "clues_filed": f.filed, "already_raised": f.already_raised, "refused": f.refused.len()}))})
        );
    } else {
        say!(
            "{} persons in {} households ({} rows rejected); read in {loaded:.2} s",
            population.persons(),
            population.households(),
            population.rejected_count
        );
        for (name, c) in &outcome.feeds {
            say!(
                "  {name:<14} {:>11} rows {:>11} matched {:>9} not in the population {:>7} rejected",
                c.rows,
                c.matched,
                c.unmatched,
                c.rejected
            );
        }
        say!(
            "{} households warned in {seconds:.2} s; files in {}",
            outcome.warnings.len(),
            args.out.display()
        );
        for (rule, n) in &by_rule {
            say!("  {rule:<28} {n:>9}");
        }
        if let Some(f) = &filed {
            say!(
                "run #{} recorded: {} clues filed, {} households raised before with the same evidence, {} refused",
                f.run_id,
                f.filed,
                f.already_raised,
                f.refused.len()
            );
            for (who, why) in f.refused.iter().take(20) {
                say!("  refused {who}: {why}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `warnings.csv` (one row per household), `evidence.csv` and `rejected.csv`, written to temporary
/// names and renamed, so an interrupted run leaves no partial report.
/// The rules a warning hit, and its severity (the highest of theirs).
fn hits_and_severity<'r>(
    rules: &'r RuleSet,
    warning: &engine::Warning,
) -> (Vec<&'r minsheng_screen::rules::Rule>, &'static str) {
    let hits: Vec<&minsheng_screen::rules::Rule> =
        warning.hits.iter().map(|(r, _)| &rules.rules[*r]).collect();
    let severity = ["high", "medium", "low"]
        .into_iter()
        .find(|s| hits.iter().any(|r| r.severity == *s))
        .unwrap_or("low");
    (hits, severity)
}

fn write_outputs(
    out: &Path,
    rules: &RuleSet,
    population: &Population,
    outcome: &engine::Outcome,
) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let write = |name: &str, body: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<()> {
        let tmp = out.join(format!(".{name}.tmp"));
        // Warnings name households: the files are the operator's alone.
        let mut w = std::io::BufWriter::new(crate::private_file(&tmp)?);
        body(&mut w)?;
        w.flush()?;
        drop(w);
        std::fs::rename(&tmp, out.join(name))?;
        Ok(())
    };
    // Every cell quoted and kept from starting a formula: household ids come from the
    // population file as the department wrote them.
    let quote = |s: &str| {
        format!(
            "\"{}\"",
            minsheng_domain::text::csv_cell(s).replace('"', "\"\"")
        )
    };
    // The workbook is built on its own thread while the CSV files are written.
    std::thread::scope(|scope| -> Result<()> {
        let xlsx =
            scope.spawn(|| write_xlsx(&out.join("warnings.xlsx"), rules, population, outcome));
        write("warnings.csv", &|w| {
            writeln!(
                w,
                "household_id,region_code,severity,rules,explanations,actions"
            )?;
            for warning in &outcome.warnings {
                let h = warning.household as usize;
                let (hits, severity) = hits_and_severity(rules, warning);
                let codes: Vec<&str> = hits.iter().map(|r| r.code.as_str()).collect();
                let explanations: Vec<&str> =
                    warning.hits.iter().map(|(_, e)| e.as_str()).collect();
                let actions: Vec<&str> = hits.iter().map(|r| r.action.as_str()).collect();
                writeln!(
                    w,
                    "{},{},{severity},{},{},{}",
                    quote(population.household_id(h)),
                    population.household_region[h],
                    quote(&codes.join(";")),
                    quote(&explanations.join("；")),
                    quote(&actions.join("；"))
                )?;
            }
            Ok(())
        })?;
        write("evidence.csv", &|w| {
            writeln!(w, "household_id,feed,line")?;
            for warning in &outcome.warnings {
                for (feed, line) in &warning.evidence {
                    writeln!(
                        w,
                        "{},{},{line}",
                        quote(population.household_id(warning.household as usize)),
                        quote(feed)
                    )?;
                }
            }
            Ok(())
        })?;
        write("rejected.csv", &|w| {
            writeln!(w, "file,line,column,reason")?;
            for (line, why) in &population.rejected {
                writeln!(w, "population,{line},,{}", quote(why))?;
            }
            for (feed, count) in &outcome.feeds {
                for (line, column, why) in &count.rejected_lines {
                    writeln!(w, "{},{line},{},{}", quote(feed), quote(column), quote(why))?;
                }
            }
            Ok(())
        })?;
        xlsx.join()
            .map_err(|_| anyhow::anyhow!("the warnings.xlsx writer stopped"))??;
        Ok(())
    })
}

pub fn synth_population(persons: u64, out: &Path, seed: u64) -> Result<ExitCode> {
    let bar = progress_bar(persons, "persons");
    let summary = minsheng_screen::synth::write_city(out, persons, seed, &|n| bar.set_position(n))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    eprintln!(
        "wrote {} persons in {} households, {} feed rows, {} planted cases and {} near misses to {}",
        summary.persons,
        summary.households,
        summary.feed_rows,
        summary.planted,
        summary.near_misses,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The same warnings as a workbook (the report staff open in Excel).
fn write_xlsx(
    path: &Path,
    rules: &RuleSet,
    population: &Population,
    outcome: &engine::Outcome,
) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    // A city-wide run has a six-figure number of rows: fast compression (a few percent bigger).
    book.set_zip_compression_level(1);
    let sheet = book.add_worksheet();
    sheet.set_name("预警")?;
    let bold = Format::new().set_bold();
    for (col, header) in [
        "家庭编号",
        "区划代码",
        "级别",
        "预警规则",
        "说明",
        "建议措施",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, *header, &bold)?;
    }
    for (i, warning) in outcome.warnings.iter().enumerate() {
        let row = i as u32 + 1;
        let h = warning.household as usize;
        let (hits, severity) = hits_and_severity(rules, warning);
        sheet.write_string(row, 0, population.household_id(h))?;
        sheet.write_string(row, 1, population.household_region[h].to_string())?;
        sheet.write_string(row, 2, severity)?;
        sheet.write_string(
            row,
            3,
            hits.iter()
                .map(|r| r.label_zh.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        )?;
        sheet.write_string(
            row,
            4,
            warning
                .hits
                .iter()
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        )?;
        sheet.write_string(
            row,
            5,
            hits.iter()
                .map(|r| r.action.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        )?;
        if row >= 1_048_000 {
            break;
        }
    }
    sheet.set_column_width(3, 30)?;
    sheet.set_column_width(4, 60)?;
    let tmp = path.with_extension("xlsx.tmp");
    drop(crate::private_file(&tmp)?);
    book.save(&tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}
