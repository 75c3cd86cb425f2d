//! `minsheng hotline …`: the 12345 hotline's data checks and place finding.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use minsheng_hotline::gazetteer::{self, Gazetteer};
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
    },
    /// Where each request on stdin (one per line) is about: one JSON object per line with the
    /// district, town and zone (null when the text does not say clearly).
    Locate,
}

pub fn hotline_command(command: HotlineCommand) -> Result<ExitCode> {
    match command {
        HotlineCommand::Check { taxonomy, places } => {
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
            match Taxonomy::from_toml(&source) {
                Ok(t) => say!(
                    "{name}: ok — {} categories, {} subcategories, {} request types",
                    t.categories.len(),
                    t.subcategory_count(),
                    t.types.len()
                ),
                Err(e) => {
                    failed = true;
                    for line in e.lines() {
                        eprintln!("{name}: {line}");
                    }
                }
            }
            let (name, source) = read(
                &places,
                ("data/hotline/places.toml", gazetteer::PLACES_TOML),
            )?;
            match Gazetteer::from_data(gazetteer::REGIONS_CSV, gazetteer::ZONES_CSV, &source) {
                Ok(g) => say!(
                    "{name}: ok — {} districts and counties, {} towns, {} landmarks",
                    g.districts().len(),
                    g.town_count(),
                    g.landmark_count()
                ),
                Err(e) => {
                    failed = true;
                    eprintln!("{name}: {e}");
                }
            }
            Ok(if failed {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
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
