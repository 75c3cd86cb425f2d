//! The N-1 sweep and yearly reliability (IEEE 1366). Every section (a zone with a line in it)
//! is faulted in turn, located from its indications and planned; each plan says who was
//! interrupted and for how long: a zone given back by automated switching within five minutes
//! had a momentary interruption (MAIFI), one that needed a crew (the manual baseline) or a
//! generator, or waited for the repair, a sustained one (SAIFI, SAIDI). Weighted by how often
//! each section fails, this gives the yearly indices per customer served.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::flisr::{self, Cause, Fault, Options, Plan, Why};
use crate::indexed::{Indexed, Tally};
use crate::loadflow::Solver;

/// One fault of the sweep and its plan.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The faulted zone's lines (or the cause of a common-cause fault).
    pub name: String,
    pub plan: Plan,
    /// Time to locate and plan, ms.
    pub plan_ms: f64,
    /// Faults a year.
    pub rate: f64,
    /// Lost load still dark after isolation and reclosing: what ties have to give back.
    pub dark_after_reclose: Tally,
    /// Given back by ties (and splits).
    pub by_ties: Tally,
}

/// The sweep's totals (the `grid n1 --json` contract).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub scenarios: usize,
    pub lost: Tally,
    pub restored: Tally,
    pub generator: Tally,
    pub unrestorable: Tally,
    pub isolated: Tally,
    pub mean_switch_operations: f64,
    pub plan_ms_p50: f64,
    pub plan_ms_p99: f64,
    /// Scenarios whose plan leaves a limit broken.
    pub violations: usize,
}

impl Summary {
    /// Share of the lost load given back by switching.
    pub fn restored_share(&self) -> f64 {
        if self.lost.kw > 0.0 {
            self.restored.kw / self.lost.kw
        } else {
            1.0
        }
    }

    /// Share of the healthy lost load (outside the isolated zones) given back by switching.
    pub fn healthy_restored_share(&self) -> f64 {
        let healthy = self.lost.kw - self.isolated.kw;
        if healthy > 0.0 {
            self.restored.kw / healthy
        } else {
            1.0
        }
    }
}

/// Yearly indices per customer served (IEEE 1366).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Indices {
    /// Sustained interruptions a year.
    pub saifi: f64,
    /// Minutes without supply a year.
    pub saidi: f64,
    /// Minutes per sustained interruption.
    pub caidi: f64,
    /// Momentary interruptions (under 5 minutes) a year.
    pub maifi: f64,
    /// Customers served (each load counts as one when the file gives none).
    pub customers: u32,
}

/// A fault's rate a year: each line's own, or its length times the network's rate.
fn zone_rate(ix: &Indexed, zone: usize) -> f64 {
    let r = &ix.net.reliability;
    ix.zone_lines[zone]
        .iter()
        .map(|&l| {
            let line = &ix.net.lines[l];
            line.failures_per_year
                .unwrap_or(line.length_km * r.failures_per_km_year)
        })
        .sum()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Plans one cause from the normal state, timed.
pub fn scenario(solver: &Solver, cause: &Cause, opts: Options) -> Result<Scenario, String> {
    let ix = solver.ix;
    let normal = ix.normal_state();
    let none = BTreeSet::new();
    let started = Instant::now();
    let zones = flisr::fault_zones(ix, &normal, &none, cause, &none)?;
    let plan = flisr::plan(
        solver,
        &normal,
        &none,
        &Fault {
            zones,
            ..Fault::default()
        },
        opts,
    );
    let plan_ms = started.elapsed().as_secs_f64() * 1000.0;
    let rate = plan.faulted.iter().map(|&z| zone_rate(ix, z)).sum();
    let reclose: BTreeSet<usize> = plan
        .operations
        .iter()
        .filter(|o| o.why == Why::Reclose)
        .map(|o| o.group)
        .collect();
    let mut dark_after_reclose = plan.lost;
    let mut by_ties = Tally::default();
    for (z, g) in &plan.restored_by {
        let load = ix.zone_load[*z];
        if reclose.contains(g) {
            dark_after_reclose.kw -= load.kw;
            dark_after_reclose.customers -= load.customers;
            dark_after_reclose.priority -= load.priority;
        } else if Some(*g) != plan.generator_group {
            by_ties.add(load);
        }
    }
    let name = match cause {
        Cause::Line(_) => plan
            .faulted
            .iter()
            .map(|&z| ix.zone_name(z))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    Ok(Scenario {
        name,
        plan,
        plan_ms,
        rate,
        dark_after_reclose,
        by_ties,
    })
}

/// The sections of the N-1 sweep: each zone with an in-service line that the supply reaches
/// in the normal state, named by its first line.
pub fn sections(ix: &Indexed) -> Vec<Cause> {
    let fed = ix.feeding(&ix.normal_state(), &vec![false; ix.zone_count()]);
    (0..ix.zone_count())
        .filter(|&z| fed.live(z))
        .filter_map(|z| {
            ix.zone_lines[z]
                .iter()
                .find(|&&l| ix.net.lines[l].in_service)
        })
        .map(|&l| Cause::Line(ix.net.lines[l].id.clone()))
        .collect()
}

/// Every section faulted in turn.
pub fn n1(solver: &Solver, opts: Options) -> Vec<Scenario> {
    sections(solver.ix)
        .iter()
        .filter_map(|cause| scenario(solver, cause, opts).ok())
        .collect()
}

/// Every common-cause fault: each cable channel and each station lost whole.
pub fn common_causes(solver: &Solver, opts: Options) -> Vec<Scenario> {
    let net = solver.ix.net;
    let channels: BTreeSet<&str> = net
        .lines
        .iter()
        .map(|l| l.channel.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    let stations: BTreeSet<&str> = net
        .sources
        .iter()
        .map(|s| s.station.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    channels
        .into_iter()
        .map(|c| Cause::Channel(c.to_string()))
        .chain(stations.into_iter().map(|s| Cause::Station(s.to_string())))
        .filter_map(|cause| scenario(solver, &cause, opts).ok())
        .collect()
}

pub fn summarise(scenarios: &[Scenario]) -> Summary {
    let mut s = Summary {
        scenarios: scenarios.len(),
        ..Summary::default()
    };
    let mut times: Vec<f64> = Vec::with_capacity(scenarios.len());
    let mut operations = 0usize;
    for sc in scenarios {
        s.lost.add(sc.plan.lost);
        s.restored.add(sc.plan.restored);
        s.generator.add(sc.plan.generator);
        s.unrestorable.add(sc.plan.unrestored());
        s.isolated.add(sc.plan.isolated_load);
        operations += sc.plan.operations.len();
        if sc.plan.violations > 0 {
            s.violations += 1;
        }
        times.push(sc.plan_ms);
    }
    times.sort_by(f64::total_cmp);
    s.plan_ms_p50 = percentile(&times, 50.0);
    s.plan_ms_p99 = percentile(&times, 99.0);
    if !scenarios.is_empty() {
        s.mean_switch_operations = operations as f64 / scenarios.len() as f64;
    }
    s
}

/// How long each group of a plan's operations takes to give supply back, minutes: isolation
/// (its switches at once) and then the group's own operations one after another. When any of
/// them is not automated a crew does the job: the manual time.
fn group_minutes(ix: &Indexed, plan: &Plan, all_manual: bool) -> BTreeMap<usize, f64> {
    let r = &ix.net.reliability;
    let manual = |s: usize| all_manual || !ix.net.switches[s].automated;
    let minutes = |s: usize| f64::from(ix.net.switches[s].operate_ms) / 60_000.0;
    let isolation = plan.operations.iter().filter(|o| o.group == 0);
    let isolation_manual = isolation.clone().any(|o| manual(o.switch));
    let isolation_minutes = isolation.map(|o| minutes(o.switch)).fold(0.0, f64::max);
    let mut out: BTreeMap<usize, (bool, f64)> = BTreeMap::new();
    for o in plan.operations.iter().filter(|o| o.group > 0) {
        let entry = out
            .entry(o.group)
            .or_insert((isolation_manual, isolation_minutes));
        entry.0 |= manual(o.switch);
        entry.1 += minutes(o.switch);
    }
    let mut out: BTreeMap<usize, f64> = out
        .into_iter()
        .map(|(g, (by_hand, automatic))| {
            (
                g,
                if by_hand {
                    r.manual_switching_minutes
                } else {
                    automatic
                },
            )
        })
        .collect();
    if let Some(g) = plan.generator_group {
        out.insert(g, r.generator_minutes);
    }
    out
}

/// How long each zone a plan's fault took out stays without supply, minutes: until its group
/// of operations is done, the generator arrives, or (isolated or left dark) the repair.
pub fn outage_minutes(ix: &Indexed, plan: &Plan, all_manual: bool) -> BTreeMap<usize, f64> {
    let times = group_minutes(ix, plan, all_manual);
    let repair = ix.net.reliability.repair_hours * 60.0;
    plan.lost_zones
        .iter()
        .map(|&z| {
            let minutes = plan
                .restored_by
                .get(&z)
                .and_then(|g| times.get(g))
                .copied()
                .unwrap_or(repair);
            (z, minutes)
        })
        .collect()
}

/// The yearly indices over a sweep. With `all_manual`, every switch waits for a crew: the
/// baseline without automation.
pub fn indices(ix: &Indexed, scenarios: &[Scenario], all_manual: bool) -> Indices {
    let served: u32 = ix.net.loads.iter().map(|l| l.customers).sum();
    // A file without customer counts (pandapower's) counts each load as one customer.
    let count_loads = served == 0;
    let mut customers: Vec<f64> = ix
        .zone_load
        .iter()
        .map(|t| f64::from(t.customers))
        .collect();
    if count_loads {
        customers.iter_mut().for_each(|c| *c = 0.0);
        for l in &ix.net.loads {
            if let Some(b) = ix.bus(&l.bus) {
                customers[ix.bus_zone[b]] += 1.0;
            }
        }
    }
    let total = if count_loads {
        ix.net.loads.len() as u32
    } else {
        served
    };
    let mut sustained = 0.0;
    let mut minutes = 0.0;
    let mut momentary = 0.0;
    for sc in scenarios {
        for (z, duration) in outage_minutes(ix, &sc.plan, all_manual) {
            let n = customers[z];
            if duration < 5.0 {
                momentary += sc.rate * n;
            } else {
                sustained += sc.rate * n;
                minutes += sc.rate * n * duration;
            }
        }
    }
    let per = |x: f64| if total > 0 { x / f64::from(total) } else { 0.0 };
    let saifi = per(sustained);
    let saidi = per(minutes);
    Indices {
        saifi,
        saidi,
        caidi: if saifi > 0.0 { saidi / saifi } else { 0.0 },
        maifi: per(momentary),
        customers: total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::{DEMO_ZONE, read};

    #[test]
    fn the_demo_zones_sweep_restores_every_healthy_room_and_automation_makes_outages_momentary() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let scenarios = n1(&solver, Options::default());
        // Seven cables, each its own section.
        assert_eq!(scenarios.len(), 7);
        let s = summarise(&scenarios);
        assert_eq!(s.violations, 0);
        assert!((s.healthy_restored_share() - 1.0).abs() < 1e-9, "{s:?}");
        let automated = indices(&ix, &scenarios, false);
        let manual = indices(&ix, &scenarios, true);
        // Cable faults isolate no load here (loads sit on busbars between switches): with
        // automation every interruption is momentary; by hand each lasts the 46 minutes.
        assert_eq!(automated.saifi, 0.0);
        assert!(automated.maifi > 0.0);
        assert!(
            manual.saidi > 20.0 * automated.saidi.max(0.01),
            "{manual:?} {automated:?}"
        );
        assert!((manual.caidi - 46.0).abs() < 1e-9, "{manual:?}");
        assert!(
            automated.saidi < 5.0,
            "the 零停电 target: under 5 minutes a customer a year"
        );
        assert_eq!(automated.customers, 2010);
    }

    #[test]
    fn a_lost_channel_strands_more_than_a_lost_cable() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let common = common_causes(&solver, Options::default());
        let names: Vec<&str> = common.iter().map(|s| s.name.as_str()).collect();
        assert!(
            names.contains(&"channel 东通道") && names.contains(&"station 甲站"),
            "{names:?}"
        );
        let station = common
            .iter()
            .find(|s| s.name == "station 甲站")
            .expect("station");
        // Feeder A's rooms all come back from 乙站 through the tie (异站).
        assert_eq!(station.plan.stranded.kw, 0.0, "{:?}", station.plan);
        assert_eq!(station.plan.restored.kw, 2650.0);
        let channel = common
            .iter()
            .find(|s| s.name == "channel 东通道")
            .expect("channel");
        assert_eq!(channel.plan.stranded.kw, 2000.0);
    }

    #[test]
    fn percentiles_take_the_rank_above() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
