//! `minsheng hotline …`: the 12345 hotline's data checks and place finding.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use minsheng_hotline::gazetteer::{self, Gazetteer};

#[derive(Subcommand)]
pub enum HotlineCommand {
    /// Check a landmarks file (default: the shipped data/hotline/places.toml) against the region
    /// data; every error names its place.
    Check { places: Option<PathBuf> },
    /// Where each request on stdin (one per line) is about: one JSON object per line with the
    /// district, town and zone (null when the text does not say clearly).
    Locate,
}

pub fn hotline_command(command: HotlineCommand) -> Result<ExitCode> {
    match command {
        HotlineCommand::Check { places } => {
            let (name, source) = match &places {
                Some(path) => (
                    path.display().to_string(),
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                None => (
                    "data/hotline/places.toml".to_string(),
                    gazetteer::PLACES_TOML.to_string(),
                ),
            };
            match Gazetteer::from_data(gazetteer::REGIONS_CSV, gazetteer::ZONES_CSV, &source) {
                Ok(g) => {
                    say!(
                        "{name}: ok — {} districts and counties, {} towns, {} landmarks",
                        g.districts().len(),
                        g.town_count(),
                        g.landmark_count()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{name}: {e}");
                    Ok(ExitCode::from(2))
                }
            }
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
