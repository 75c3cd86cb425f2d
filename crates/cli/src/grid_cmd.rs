//! `minsheng grid …`: the self-healing grid's network files (issue 8; more commands to come).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use std::collections::BTreeSet;

use minsheng_grid::flisr::{self, Cause, Fault, Options, Plan, fault_zones};
use minsheng_grid::indexed::{Indexed, Tally};
use minsheng_grid::loadflow::Solver;
use minsheng_grid::{Network, loadflow, native, pandapower, reliability, sim, synth};

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
    /// The N-1 sweep: every section faulted in turn, located, isolated and restored; what was
    /// lost, restored and left, switch operations, planning time, and the yearly reliability
    /// indices (IEEE 1366) with automation and by hand.
    N1 {
        net: PathBuf,
        /// Also every common-cause fault: each cable channel and each station lost whole.
        #[arg(long)]
        common_cause: bool,
        /// A mobile generator of this size (kW) for emergency connection points.
        #[arg(long, default_value_t = 0.0)]
        generator_kw: f64,
        /// Every scenario's figures in the JSON (`details`).
        #[arg(long)]
        details: bool,
        #[arg(long)]
        json: bool,
    },
    /// Plays a fault out in a discrete-event simulation: one agent per terminal talking only to
    /// its neighbours (GOOSE-like messages with latency and loss), a millisecond timeline from
    /// fault to isolation to restoration, beside a centralised master and crews by hand.
    Simulate {
        net: PathBuf,
        #[command(flatten)]
        fault: FaultArgs,
        /// One message's time on a link between neighbouring terminals, ms.
        #[arg(long, default_value_t = 10.0)]
        latency_ms: f64,
        /// The chance that one copy of a message is lost (0–1).
        #[arg(long, default_value_t = 0.0)]
        loss: f64,
        /// Latency between a terminal and the centralised master, ms.
        #[arg(long, default_value_t = 50.0)]
        master_latency_ms: f64,
        /// Treat every switch as automated (pandapower files do not say which are).
        #[arg(long)]
        automate_all: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Checks a station-monitoring alarm rule file (data/grid/alarm-rules.toml) and lists its
    /// rules; every error names its line or rule (exit code 2).
    Rules { file: PathBuf },
    /// Writes a synthetic city network (substations, cable feeders of ring main units and
    /// distribution rooms, ties between neighbouring substations) of about N buses.
    Synth {
        #[arg(long, default_value_t = 10_000)]
        buses: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The native TOML file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// The load flow of a network as switched (backward/forward sweep on each radial feeder,
    /// Newton–Raphson where closed loops mesh it): lowest and highest bus voltage, most loaded
    /// line and transformer; every value with --json.
    Loadflow {
        net: PathBuf,
        #[arg(long)]
        json: bool,
        /// Solve this many times and report the time per solve (for benchmarks).
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// Fault location, isolation and restoration: the breaker that trips, the switches to open,
    /// the ties to close (splitting sections when no supply carries them whole) within line,
    /// transformer, source and voltage limits, and what is restored.
    Flisr {
        net: PathBuf,
        #[command(flatten)]
        fault: FaultArgs,
        /// A second fault during restoration (a line), planned from the first plan's state.
        #[arg(long)]
        then: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// A fault as operators name it, and what goes wrong around it.
#[derive(clap::Args, Debug, Clone)]
pub struct FaultArgs {
    /// The faulted line or cable section (its id: `L3`, or `l12` in a pandapower file).
    #[arg(long, required_unless_present_any = ["channel", "station"])]
    fault: Option<String>,
    /// A common-cause fault: every cable in this cable channel.
    #[arg(long, conflicts_with_all = ["fault", "station"])]
    channel: Option<String>,
    /// A common-cause fault: this whole substation (all its sources).
    #[arg(long, conflicts_with_all = ["fault", "channel"])]
    station: Option<String>,
    /// A switch that fails to open (repeatable): isolation goes one zone further.
    #[arg(long)]
    failed: Vec<String>,
    /// A switch whose terminal has stopped talking (repeatable): its indication is unknown and
    /// it is not operated remotely.
    #[arg(long)]
    silent: Vec<String>,
    /// A mobile generator of this size (kW) for an emergency connection point.
    #[arg(long, default_value_t = 0.0)]
    generator_kw: f64,
}

impl FaultArgs {
    fn cause(&self) -> Cause {
        match (&self.fault, &self.channel, &self.station) {
            (_, Some(c), _) => Cause::Channel(c.clone()),
            (_, _, Some(s)) => Cause::Station(s.clone()),
            (Some(l), ..) => Cause::Line(l.clone()),
            (None, None, None) => Cause::Line(String::new()),
        }
    }

    /// The switches named, by index; an unknown name is an error naming the option.
    fn switches(ix: &Indexed, names: &[String], option: &str) -> Result<BTreeSet<usize>, String> {
        names
            .iter()
            .map(|n| {
                ix.switch(n)
                    .ok_or_else(|| format!("--{option} {n}: no such switch"))
            })
            .collect()
    }

    /// The fault to plan for, from state `start`.
    pub fn fault(
        &self,
        ix: &Indexed,
        start: &[bool],
        out: &BTreeSet<usize>,
    ) -> Result<Fault, String> {
        let failed = Self::switches(ix, &self.failed, "failed")?;
        let silent = Self::switches(ix, &self.silent, "silent")?;
        let cause = self.cause();
        let zones = fault_zones(ix, start, out, &cause, &silent).map_err(|e| match cause {
            Cause::Line(_) => format!("--fault: {e}"),
            Cause::Channel(_) => format!("--channel: {e}"),
            Cause::Station(_) => format!("--station: {e}"),
        })?;
        Ok(Fault {
            zones,
            failed,
            silent,
        })
    }

    pub fn options(&self) -> Options {
        Options {
            generator_kw: self.generator_kw.max(0.0),
            ..Options::default()
        }
    }
}

fn tally(t: Tally) -> serde_json::Value {
    serde_json::json!({"kw": t.kw, "customers": t.customers, "priority_customers": t.priority})
}

/// A plan as JSON: every operation in order, and what was lost, restored and left.
pub fn plan_json(ix: &Indexed, plan: &Plan) -> serde_json::Value {
    let name = |s: usize| ix.net.switches[s].id.clone();
    let unrestored = plan.unrestored();
    serde_json::json!({
        "faulted": plan.faulted.iter().map(|&z| ix.zone_name(z)).collect::<Vec<_>>(),
        "isolated": plan.isolated.iter().map(|&z| ix.zone_name(z)).collect::<Vec<_>>(),
        "tripped": plan.tripped.iter().map(|&s| name(s)).collect::<Vec<_>>(),
        "operations": plan.operations.iter().map(|o| serde_json::json!({
            "switch": name(o.switch), "action": if o.close { "close" } else { "open" },
            "why": o.why.as_str(), "group": o.group})).collect::<Vec<_>>(),
        "open": plan.switches(ix, false),
        "close": plan.switches(ix, true),
        "generator_point": plan.generator_point.map(|p| ix.net.emergency_points[p].id.clone()),
        "lost": tally(plan.lost), "restored": tally(plan.restored),
        "generator": tally(plan.generator), "isolated_load": tally(plan.isolated_load),
        "stranded": tally(plan.stranded),
        "restored_kw": plan.restored.kw, "unrestored_kw": unrestored.kw,
        "restored_customers": plan.restored.customers,
        "unrestored_customers": unrestored.customers,
        "restored_priority_customers": plan.restored.priority,
        "unrestored_priority_customers": unrestored.priority,
        "violations": plan.violations,
    })
}

fn print_plan(ix: &Indexed, plan: &Plan) {
    let name = |s: usize| ix.net.switches[s].id.clone();
    let zones = |z: &BTreeSet<usize>| {
        z.iter()
            .map(|&z| ix.zone_name(z))
            .collect::<Vec<_>>()
            .join(", ")
    };
    say!("  fault in      {}", zones(&plan.faulted));
    if !plan.tripped.is_empty() {
        say!(
            "  tripped       {}",
            plan.tripped
                .iter()
                .map(|&s| name(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if plan.isolated != plan.faulted {
        say!("  isolated      {}", zones(&plan.isolated));
    }
    for o in &plan.operations {
        say!(
            "  {:>2}. {:<5} {:<10} ({})",
            o.group,
            if o.close { "close" } else { "open" },
            name(o.switch),
            o.why.as_str()
        );
    }
    let line = tally_line;
    line("lost", plan.lost);
    line("restored", plan.restored);
    if let Some(p) = plan.generator_point {
        line(
            &format!("generator {}", ix.net.emergency_points[p].id),
            plan.generator,
        );
    }
    line("to repair", plan.isolated_load);
    line("left dark", plan.stranded);
    if plan.violations > 0 {
        say!(
            "  {} limit violation(s) in the feeders changed (there before the fault)",
            plan.violations
        );
    }
}

/// One line of a plan's figures: load, customers and those who depend on power for life.
fn tally_line(label: &str, t: Tally) {
    say!(
        "  {label:<13} {:.0} kW, {} customers, {} who depend on power for life",
        t.kw,
        t.customers,
        t.priority
    );
}

/// Reads a network file: pandapower's JSON (a `.json` file) or the native TOML, checked.
fn load(path: &PathBuf) -> Result<Result<Network, Vec<String>>> {
    load_checked(path, true)
}

/// Reads a network file, checked for radial operation (fault isolation and restoration) or for
/// a load flow alone (loops allowed).
fn load_checked(path: &PathBuf, radial: bool) -> Result<Result<Network, Vec<String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    Ok(if is_json {
        match pandapower::read(&text) {
            Ok(net) => {
                let problems = if radial {
                    net.check()
                } else {
                    net.check_for_flow()
                };
                let errors: Vec<String> = problems.iter().map(ToString::to_string).collect();
                if errors.is_empty() {
                    Ok(net)
                } else {
                    Err(errors)
                }
            }
            Err(e) => Err(vec![e]),
        }
    } else if radial {
        native::read(&text)
    } else {
        native::read_for_flow(&text)
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
            then,
            json,
        } => {
            let net = match load(&path)? {
                Ok(net) => net,
                Err(errors) => return Ok(refuse(&path, &errors, json)),
            };
            let started = std::time::Instant::now();
            let ix = Indexed::new(&net);
            let solver = Solver::new(&ix);
            let normal = ix.normal_state();
            let first = match fault.fault(&ix, &normal, &BTreeSet::new()) {
                Ok(f) => f,
                Err(e) => return Ok(refuse(&path, &[e], json)),
            };
            let plan = flisr::plan(&solver, &normal, &BTreeSet::new(), &first, fault.options());
            let plan_ms = started.elapsed().as_secs_f64() * 1000.0;
            let second = match &then {
                Some(line) => {
                    let cause = Cause::Line(line.clone());
                    let zones = match fault_zones(
                        &ix,
                        &plan.state,
                        &plan.isolated,
                        &cause,
                        &first.silent,
                    ) {
                        Ok(z) => z,
                        Err(e) => return Ok(refuse(&path, &[format!("--then: {e}")], json)),
                    };
                    let f = Fault {
                        zones,
                        failed: first.failed.clone(),
                        silent: first.silent.clone(),
                    };
                    Some(flisr::plan(
                        &solver,
                        &plan.state,
                        &plan.isolated,
                        &f,
                        fault.options(),
                    ))
                }
                None => None,
            };
            if json {
                let mut v = plan_json(&ix, &plan);
                v["fault"] = serde_json::json!(fault.cause().to_string());
                v["plan_ms"] = serde_json::json!(plan_ms);
                if let Some(second) = &second {
                    v["then"] = plan_json(&ix, second);
                }
                say!("{v}");
            } else {
                say!(
                    "{}: {} — planned in {plan_ms:.2} ms",
                    net.name,
                    fault.cause()
                );
                print_plan(&ix, &plan);
                if let (Some(second), Some(line)) = (&second, &then) {
                    say!("then line {line}, during restoration:");
                    print_plan(&ix, second);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        GridCommand::N1 {
            net: path,
            common_cause,
            generator_kw,
            details,
            json,
        } => {
            let net = match load(&path)? {
                Ok(net) => net,
                Err(errors) => return Ok(refuse(&path, &errors, json)),
            };
            let ix = Indexed::new(&net);
            let solver = Solver::new(&ix);
            let opts = Options {
                generator_kw: generator_kw.max(0.0),
                ..Options::default()
            };
            let causes = reliability::sections(&ix);
            let bar = crate::progress_bar(causes.len() as u64, "faults");
            let mut scenarios = Vec::with_capacity(causes.len());
            for cause in &causes {
                if let Ok(s) = reliability::scenario(&solver, cause, opts) {
                    scenarios.push(s);
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            let summary = reliability::summarise(&scenarios);
            let automated = reliability::indices(&ix, &scenarios, false);
            let manual = reliability::indices(&ix, &scenarios, true);
            let common = if common_cause {
                reliability::common_causes(&solver, opts)
            } else {
                Vec::new()
            };
            if json {
                let indices = |i: reliability::Indices| {
                    serde_json::json!({"saifi": i.saifi, "saidi_minutes": i.saidi,
                        "caidi_minutes": i.caidi, "maifi": i.maifi})
                };
                let mut v = serde_json::json!({
                    "scenarios": summary.scenarios,
                    "load_lost_kw": summary.lost.kw,
                    "load_restored_kw": summary.restored.kw,
                    "load_unrestorable_kw": summary.unrestorable.kw,
                    "restored_share": summary.restored_share(),
                    "mean_switch_operations": summary.mean_switch_operations,
                    "plan_ms_p50": summary.plan_ms_p50,
                    "plan_ms_p99": summary.plan_ms_p99,
                    "violations": summary.violations,
                    "load_generator_kw": summary.generator.kw,
                    "load_isolated_kw": summary.isolated.kw,
                    "healthy_restored_share": summary.healthy_restored_share(),
                    "customers_lost": summary.lost.customers,
                    "customers_restored": summary.restored.customers,
                    "priority_customers_lost": summary.lost.priority,
                    "priority_customers_restored": summary.restored.priority,
                    "buses": net.buses.len(),
                    "reliability": {"customers": automated.customers,
                        "automated": indices(automated), "manual": indices(manual)},
                });
                if common_cause {
                    v["common_cause"] = common
                        .iter()
                        .map(|s| {
                            serde_json::json!({
                        "fault": s.name, "lost": tally(s.plan.lost),
                        "restored": tally(s.plan.restored), "generator": tally(s.plan.generator),
                        "isolated_load": tally(s.plan.isolated_load),
                        "stranded": tally(s.plan.stranded)})
                        })
                        .collect();
                }
                if details {
                    v["details"] = scenarios.iter().map(|s| serde_json::json!({
                        "fault": s.name,
                        "isolate": s.plan.operations.iter().filter(|o| o.why == flisr::Why::Isolate)
                            .map(|o| net.switches[o.switch].id.clone()).collect::<Vec<_>>(),
                        "faulted_lines": s.plan.faulted.iter()
                            .flat_map(|&z| ix.zone_lines[z].iter().map(|&l| net.lines[l].id.clone()))
                            .collect::<Vec<_>>(),
                        "lost_kw": s.plan.lost.kw,
                        "dark_after_reclose_kw": s.dark_after_reclose.kw,
                        "restored_by_ties_kw": s.by_ties.kw,
                        "restored_kw": s.plan.restored.kw,
                        "switch_operations": s.plan.operations.len(),
                        "violations": s.plan.violations,
                        "plan_ms": s.plan_ms})).collect();
                }
                say!("{v}");
            } else {
                say!(
                    "{}: {} buses, {} section faults",
                    net.name,
                    net.buses.len(),
                    summary.scenarios
                );
                say!(
                    "  lost {:.0} kW in all; restored {:.0} kW ({:.1} %; {:.1} % of the healthy part); left {:.0} kW ({:.0} kW in the faulted sections){}",
                    summary.lost.kw,
                    summary.restored.kw,
                    100.0 * summary.restored_share(),
                    100.0 * summary.healthy_restored_share(),
                    summary.unrestorable.kw,
                    summary.isolated.kw,
                    if summary.generator.kw > 0.0 {
                        format!("; generator {:.0} kW", summary.generator.kw)
                    } else {
                        String::new()
                    }
                );
                say!(
                    "  priority customers: {} lost, {} restored",
                    summary.lost.priority,
                    summary.restored.priority
                );
                say!(
                    "  {:.1} switch operations a fault; planned in {:.2} ms (p50), {:.2} ms (p99); {} plan(s) outside the limits",
                    summary.mean_switch_operations,
                    summary.plan_ms_p50,
                    summary.plan_ms_p99,
                    summary.violations
                );
                for (label, i) in [("automated", automated), ("by hand", manual)] {
                    say!(
                        "  {label:<10} SAIFI {:.4}/yr  SAIDI {:.2} min/yr  CAIDI {:.1} min  MAIFI {:.4}/yr  ({} customers)",
                        i.saifi,
                        i.saidi,
                        i.caidi,
                        i.maifi,
                        i.customers
                    );
                }
                // The worst first: most priority customers, then most load left dark.
                let mut worst: Vec<&reliability::Scenario> = common.iter().collect();
                worst.sort_by(|a, b| {
                    let (ua, ub) = (a.plan.unrestored(), b.plan.unrestored());
                    (ub.priority, ub.kw)
                        .partial_cmp(&(ua.priority, ua.kw))
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
                if !common.is_empty() {
                    say!("  common-cause faults ({}), worst first:", common.len());
                }
                for s in worst.iter().take(12) {
                    say!(
                        "  {}: lost {:.0} kW, restored {:.0} kW, generator {:.0} kW, left dark {:.0} kW ({} priority customers)",
                        s.name,
                        s.plan.lost.kw,
                        s.plan.restored.kw,
                        s.plan.generator.kw,
                        s.plan.unrestored().kw,
                        s.plan.unrestored().priority
                    );
                }
                if common.len() > 12 {
                    say!("  … {} more (--json lists them all)", common.len() - 12);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        GridCommand::Simulate {
            net: path,
            fault,
            latency_ms,
            loss,
            master_latency_ms,
            automate_all,
            seed,
            json,
        } => {
            let net = match load(&path)? {
                Ok(net) => net,
                Err(errors) => return Ok(refuse(&path, &errors, json)),
            };
            if !(0.0..1.0).contains(&loss)
                || !(0.0..=f64::MAX).contains(&latency_ms)
                || !(0.0..=f64::MAX).contains(&master_latency_ms)
            {
                return Ok(refuse(
                    &path,
                    &["--loss must be in [0, 1), latencies 0 or more".to_string()],
                    json,
                ));
            }
            let ix = Indexed::new(&net);
            let solver = Solver::new(&ix);
            let f = match fault.fault(&ix, &ix.normal_state(), &BTreeSet::new()) {
                Ok(f) => f,
                Err(e) => return Ok(refuse(&path, &[e], json)),
            };
            let settings = sim::Settings {
                latency_ms,
                loss,
                master_latency_ms,
                automate_all,
                seed,
                ..sim::Settings::default()
            };
            let run = sim::simulate(&solver, &f, fault.options(), settings);
            let entries = |o: &sim::Outcome| {
                o.timeline
                    .iter()
                    .map(|e| serde_json::json!({"ms": e.at_ms, "switch": e.switch, "what": e.what}))
                    .collect::<Vec<_>>()
            };
            if json {
                say!(
                    "{}",
                    serde_json::json!({
                        "fault": fault.cause().to_string(),
                        "plan": plan_json(&ix, &run.plan),
                        "peer": {"isolated_ms": run.peer.isolated_ms, "restored_ms": run.peer.restored_ms(),
                            "messages": run.peer.messages, "lost_copies": run.peer.lost_copies,
                            "timeline": entries(&run.peer)},
                        "central": {"isolated_ms": run.central.isolated_ms,
                            "restored_ms": run.central.restored_ms(), "timeline": entries(&run.central)},
                        "manual": {"restored_ms": run.manual_ms},
                        // What the times above give back, and what none of them does.
                        "restored": tally(run.plan.restored),
                        "not_restored": tally(run.plan.unrestored()),
                    })
                );
            } else {
                say!(
                    "{}: {} — peer to peer, {latency_ms} ms a message{}",
                    net.name,
                    fault.cause(),
                    if loss > 0.0 {
                        format!(", {:.0} % of copies lost", loss * 100.0)
                    } else {
                        String::new()
                    }
                );
                for e in &run.peer.timeline {
                    say!(
                        "  {:>9.1} ms  {:<10} {}",
                        e.at_ms,
                        e.switch.as_deref().unwrap_or(""),
                        e.what
                    );
                }
                let show = |x: Option<f64>| x.map_or("—".to_string(), |ms| format!("{ms:.0} ms"));
                say!(
                    "  {} messages ({} copies lost)",
                    run.peer.messages,
                    run.peer.lost_copies
                );
                say!("  isolated      healthy sections back");
                say!(
                    "  peer to peer  {:>9}  {:>9}",
                    show(run.peer.isolated_ms),
                    show(run.peer.restored_ms())
                );
                say!(
                    "  centralised   {:>9}  {:>9}",
                    show(run.central.isolated_ms),
                    show(run.central.restored_ms())
                );
                say!(
                    "  by hand       {:>9}  {:>9}",
                    "",
                    format!("{:.0} min", run.manual_ms / 60_000.0)
                );
                // "Back" covers only what the plan gives back: say what stays dark, and why.
                tally_line("back", run.plan.restored);
                if let Some(p) = run.plan.generator_point {
                    tally_line(
                        &format!("generator {}", ix.net.emergency_points[p].id),
                        run.plan.generator,
                    );
                }
                let dark = run.plan.unrestored();
                if dark.kw > 0.0 || dark.customers > 0 {
                    tally_line("still dark", dark);
                    tally_line("  to repair", run.plan.isolated_load);
                    tally_line("  left dark", run.plan.stranded);
                } else {
                    say!("  nothing stays dark");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        GridCommand::Rules { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            match minsheng_grid::alarms::read(&text) {
                Ok(rules) => {
                    say!("{}: ok — {} rules", file.display(), rules.len());
                    for r in rules {
                        say!(
                            "  {:<22} {:<16} {:<8} {}",
                            r.id,
                            r.kind,
                            r.severity,
                            r.message
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => Ok(refuse(&file, &errors, false)),
            }
        }
        GridCommand::Synth { buses, seed, out } => {
            let net = synth::synthetic(buses, seed);
            let text = native::write(&net).map_err(anyhow::Error::msg)?;
            std::fs::write(&out, text)
                .with_context(|| format!("cannot write {}", out.display()))?;
            say!(
                "{}: {} buses, {} lines, {} switches, {} loads ({:.0} kW)",
                out.display(),
                net.buses.len(),
                net.lines.len(),
                net.switches.len(),
                net.loads.len(),
                net.loads.iter().map(|l| l.p_kw).sum::<f64>()
            );
            Ok(ExitCode::SUCCESS)
        }
        GridCommand::Loadflow {
            net: path,
            json,
            repeat,
        } => {
            let net = match load_checked(&path, false)? {
                Ok(net) => net,
                Err(errors) => return Ok(refuse(&path, &errors, json)),
            };
            let started = std::time::Instant::now();
            let mut solved = loadflow::run(&net);
            for _ in 1..repeat.max(1) {
                solved = loadflow::run(&net);
            }
            let seconds_per_flow = started.elapsed().as_secs_f64() / f64::from(repeat.max(1));
            let flow = match solved {
                Ok(flow) => flow,
                Err(e) => return Ok(refuse(&path, &[e.to_string()], json)),
            };
            let method = if flow.newton { "newton" } else { "sweep" };
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
                        "method": method, "seconds_per_flow": seconds_per_flow,
                        "vm_pu": flow.vm_pu, "line_loading_percent": flow.line_loading,
                        "trafo_loading_percent": flow.trafo_loading})
                );
            } else {
                let show = |x: &Option<(String, f64)>, unit: &str| {
                    x.as_ref()
                        .map_or("—".to_string(), |(k, v)| format!("{v:.4}{unit} at {k}"))
                };
                say!(
                    "{}: converged in {} {}",
                    net.name,
                    flow.iterations,
                    if flow.newton {
                        "Newton–Raphson iterations (meshed)"
                    } else {
                        "sweeps"
                    }
                );
                say!("  lowest voltage    {}", show(&low, " pu"));
                say!("  highest voltage   {}", show(&high, " pu"));
                say!("  most loaded line  {}", show(&line, " %"));
                say!("  most loaded trafo {}", show(&trafo, " %"));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
