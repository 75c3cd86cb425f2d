//! `minsheng grid …`: the self-healing grid's network files (issue 8; more commands to come).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use minsheng_grid::native;

#[derive(Subcommand)]
pub enum GridCommand {
    /// Check a network file (the native TOML format of docs/grid.md): every dangling reference,
    /// loop in the normal switching state and load no source reaches is named.
    Check {
        net: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub fn grid_command(command: GridCommand) -> Result<ExitCode> {
    match command {
        GridCommand::Check { net, json } => {
            let text = std::fs::read_to_string(&net)
                .with_context(|| format!("cannot read {}", net.display()))?;
            match native::read(&text) {
                Ok(n) => {
                    let loads_kw: f64 = n.loads.iter().map(|l| l.p_kw).sum();
                    let customers: u32 = n.loads.iter().map(|l| l.customers).sum();
                    let priority: u32 = n.loads.iter().map(|l| l.priority_customers).sum();
                    let ties = n.switches.iter().filter(|s| !s.closed).count();
                    if json {
                        say!(
                            "{}",
                            serde_json::json!({"ok": true, "name": n.name, "buses": n.buses.len(),
                                "sources": n.sources.len(), "lines": n.lines.len(),
                                "switches": n.switches.len(), "open_switches": ties,
                                "transformers": n.transformers.len(), "loads": n.loads.len(),
                                "load_kw": loads_kw, "customers": customers,
                                "priority_customers": priority})
                        );
                    } else {
                        say!(
                            "{}: ok — {}: {} buses, {} sources, {} lines, {} switches ({} open), {} transformers, {} loads ({:.0} kW, {} customers, {} who depend on power for life)",
                            net.display(),
                            n.name,
                            n.buses.len(),
                            n.sources.len(),
                            n.lines.len(),
                            n.switches.len(),
                            ties,
                            n.transformers.len(),
                            n.loads.len(),
                            loads_kw,
                            customers,
                            priority
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    if json {
                        say!("{}", serde_json::json!({"ok": false, "errors": errors}));
                    }
                    for e in &errors {
                        eprintln!("{}: {e}", net.display());
                    }
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
