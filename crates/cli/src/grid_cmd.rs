//! `minsheng grid …`: the self-healing grid's network files (issue 8; more commands to come).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use minsheng_grid::flisr::{self, Limits, Zones};
use minsheng_grid::{Network, loadflow, native, pandapower};

#[derive(Subcommand)]
pub enum GridCommand {
    /// Check a network file (the native TOML format of docs/grid.md, or pandapower's JSON):
    /// every dangling reference, loop in the normal switching state and load no source reaches
    /// is named.
    Check {
        net: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The load flow of a network as switched (backward/forward sweep on each radial feeder):
    /// lowest and highest bus voltage, most loaded line and transformer; every value with --json.
    Loadflow {
        net: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Fault location, isolation and restoration for a fault on a line: the switches to open,
    /// the ties to close within line, transformer and voltage limits, and what is restored.
    Flisr {
        net: PathBuf,
        /// The faulted line (its id: `L3`, or `l12` in a pandapower file).
        #[arg(long)]
        fault: String,
        /// A switch that fails to open (repeatable): isolation goes one zone further.
        #[arg(long)]
        failed: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Reads a network file: pandapower's JSON (a `.json` file) or the native TOML, checked.
fn load(path: &PathBuf) -> Result<Result<Network, Vec<String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    Ok(if is_json {
        match pandapower::read(&text) {
            Ok(net) => {
                let errors: Vec<String> = net.check().iter().map(ToString::to_string).collect();
                if errors.is_empty() {
                    Ok(net)
                } else {
                    Err(errors)
                }
            }
            Err(e) => Err(vec![e]),
        }
    } else {
        native::read(&text)
    })
}

/// Prints a file's errors; exit code 2.
fn refuse(path: &std::path::Path, errors: &[String], json: bool) -> ExitCode {
    if json {
        say!("{}", serde_json::json!({"ok": false, "errors": errors}));
    }
    for e in errors {
        eprintln!("{}: {e}", path.display());
    }
    ExitCode::from(2)
}

pub fn grid_command(command: GridCommand) -> Result<ExitCode> {
    match command {
        GridCommand::Check { net, json } => match load(&net)? {
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
            Err(errors) => Ok(refuse(&net, &errors, json)),
        },
        GridCommand::Flisr {
            net: path,
            fault,
            failed,
            json,
        } => {
            let net = match load(&path)? {
                Ok(net) => net,
                Err(errors) => return Ok(refuse(&path, &errors, json)),
            };
            let started = std::time::Instant::now();
            let zones = Zones::of(&net);
            let line = net.lines.iter().find(|l| l.id == fault);
            let Some(zone) = line.and_then(|l| zones.zone(&l.id)) else {
                return Ok(refuse(
                    &path,
                    &[format!("--fault {fault}: no such line")],
                    json,
                ));
            };
            // Locate from the indications the fault would give, as the terminals would report.
            let located = zones.locate(&zones.indications(zone)).unwrap_or(zone);
            let failed: std::collections::BTreeSet<String> = failed.into_iter().collect();
            let plan = flisr::plan(&net, located, &failed, Limits::default());
            let plan_ms = started.elapsed().as_secs_f64() * 1000.0;
            if json {
                say!(
                    "{}",
                    serde_json::json!({"fault": fault, "located": located == zone,
                        "open": plan.isolation.open, "close": plan.close,
                        "restored_kw": plan.restored_kw, "unrestored_kw": plan.unrestored_kw,
                        "restored_customers": plan.restored_customers,
                        "unrestored_customers": plan.unrestored_customers,
                        "restored_priority_customers": plan.restored_priority,
                        "unrestored_priority_customers": plan.unrestored_priority,
                        "plan_ms": plan_ms})
                );
            } else {
                say!(
                    "fault on {fault}: located {}",
                    if located == zone {
                        "from the indications"
                    } else {
                        "by its line (indications ambiguous)"
                    }
                );
                say!("  open  {}", plan.isolation.open.join(", "));
                say!(
                    "  close {}",
                    if plan.close.is_empty() {
                        "—".to_string()
                    } else {
                        plan.close.join(", ")
                    }
                );
                say!(
                    "  restored {:.0} kW ({} customers, {} priority); not restored {:.0} kW ({} customers, {} priority); planned in {plan_ms:.2} ms",
                    plan.restored_kw,
                    plan.restored_customers,
                    plan.restored_priority,
                    plan.unrestored_kw,
                    plan.unrestored_customers,
                    plan.unrestored_priority
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        GridCommand::Loadflow { net: path, json } => {
            let net = match load(&path)? {
                Ok(net) => net,
                Err(errors) => return Ok(refuse(&path, &errors, json)),
            };
            let flow = match loadflow::run(&net) {
                Ok(flow) => flow,
                Err(e) => return Ok(refuse(&path, &[e.to_string()], json)),
            };
            let extreme = |map: &std::collections::BTreeMap<String, f64>, lowest: bool| {
                map.iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .reduce(|a, b| if (b.1 < a.1) == lowest { b } else { a })
            };
            let low = extreme(&flow.vm_pu, true);
            let high = extreme(&flow.vm_pu, false);
            let line = extreme(&flow.line_loading, false);
            let trafo = extreme(&flow.trafo_loading, false);
            if json {
                say!(
                    "{}",
                    serde_json::json!({"ok": true, "iterations": flow.iterations,
                        "vm_pu": flow.vm_pu, "line_loading_percent": flow.line_loading,
                        "trafo_loading_percent": flow.trafo_loading})
                );
            } else {
                let show = |x: &Option<(String, f64)>, unit: &str| {
                    x.as_ref()
                        .map_or("—".to_string(), |(k, v)| format!("{v:.4}{unit} at {k}"))
                };
                say!("{}: converged in {} sweeps", net.name, flow.iterations);
                say!("  lowest voltage    {}", show(&low, " pu"));
                say!("  highest voltage   {}", show(&high, " pu"));
                say!("  most loaded line  {}", show(&line, " %"));
                say!("  most loaded trafo {}", show(&trafo, " %"));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
