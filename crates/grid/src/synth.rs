//! A synthetic city network of any size, for benchmarks: substations with two 10 kV busbar
//! sections, four cable feeders on each, every feeder a trunk of ring main units with a
//! distribution room on each, automated load-break switches at both ends of every trunk cable,
//! and ties between feeders of neighbouring substations (手拉手, 异站): one at the feeders' ends
//! and one between their middles, normally open. The first two cables out of a section share
//! the section's cable channel; further out a feeder's trunk runs in channels of four cables. A share of feeders runs heavy, so that a neighbour cannot always
//! take a whole dark section and restoration must split it. Deterministic for a seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::network::{
    Bus, BusKind, EmergencyPoint, Line, Load, Network, ReliabilityData, Source, Switch,
    SwitchElement, SwitchKind,
};

const FEEDERS_PER_SECTION: usize = 4;
const TRUNK_UNITS: usize = 10;
/// Buses per busbar section: the busbar, and a ring main unit and a room per trunk position.
const BUSES_PER_SECTION: usize = 1 + FEEDERS_PER_SECTION * TRUNK_UNITS * 2;

struct Builder {
    net: Network,
    rng: StdRng,
}

impl Builder {
    fn bus(&mut self, id: String, name: String, kind: BusKind) -> String {
        self.net.buses.push(Bus {
            id: id.clone(),
            name,
            vn_kv: 10.0,
            kind,
        });
        id
    }

    /// A YJV22-8.7/15 3×300 mm² cable.
    fn cable(&mut self, id: &str, from: &str, to: &str, km: f64, channel: String) {
        self.net.lines.push(Line {
            id: id.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            length_km: km,
            r_ohm_per_km: 0.062,
            x_ohm_per_km: 0.08,
            c_nf_per_km: 370.0,
            max_i_ka: 0.51,
            g_us_per_km: 0.0,
            parallel: 1,
            df: 1.0,
            channel,
            in_service: true,
            failures_per_year: None,
        });
    }

    fn switch(&mut self, id: String, bus: &str, line: &str, kind: SwitchKind, closed: bool) {
        self.net.switches.push(Switch {
            id,
            bus: bus.to_string(),
            element: SwitchElement::Line(line.to_string()),
            kind,
            closed,
            automated: true,
            operate_ms: if kind == SwitchKind::Breaker { 60 } else { 120 },
        });
    }

    /// A normally open tie cable between two ring main units.
    fn tie(&mut self, id: String, a: &str, b: &str) {
        let km = self.rng.random_range(0.4..1.2);
        self.cable(&id, a, b, km, String::new());
        self.switch(format!("{id}-1"), a, &id, SwitchKind::LoadBreak, true);
        self.switch(format!("{id}-2"), b, &id, SwitchKind::LoadBreak, false);
    }
}

/// Ring main units of one feeder, from the substation out.
type Feeder = Vec<String>;

/// A network of about `buses` buses (at least two substations).
pub fn synthetic(buses: usize, seed: u64) -> Network {
    let stations = buses.div_ceil(2 * BUSES_PER_SECTION).max(2);
    let mut b = Builder {
        net: Network {
            name: format!("synthetic city network, {stations} substations, seed {seed}"),
            sn_mva: 1.0,
            f_hz: 50.0,
            reliability: ReliabilityData::default(),
            ..Network::default()
        },
        rng: StdRng::seed_from_u64(seed),
    };
    // feeders[station][section][feeder]
    let mut feeders: Vec<[Vec<Feeder>; 2]> = Vec::new();
    for st in 0..stations {
        let mut sections: [Vec<Feeder>; 2] = [Vec::new(), Vec::new()];
        for (sec, feeders_of_section) in sections.iter_mut().enumerate() {
            let busbar = b.bus(
                format!("S{st}-{sec}"),
                format!("{st}号变电站10kV{}段母线", sec + 1),
                BusKind::Substation,
            );
            b.net.sources.push(Source {
                id: format!("G{st}-{sec}"),
                bus: busbar.clone(),
                capacity_mva: 40.0,
                station: format!("{st}号变电站"),
                vm_pu: 1.02,
            });
            for f in 0..FEEDERS_PER_SECTION {
                let tag = format!("{st}-{sec}-{f}");
                let heavy: f64 = if b.rng.random_bool(0.3) { 1.6 } else { 1.0 };
                let mut previous = busbar.clone();
                let mut units = Vec::with_capacity(TRUNK_UNITS);
                for k in 0..TRUNK_UNITS {
                    let unit = b.bus(
                        format!("R{tag}-{k}"),
                        format!("环网柜{tag}-{k}"),
                        BusKind::RingMainUnit,
                    );
                    let line = format!("L{tag}-{k}");
                    let km = b.rng.random_range(0.3..0.8);
                    let channel = if k < 2 {
                        format!("{st}号站{}段出线通道", sec + 1)
                    } else {
                        format!("{tag}通道{}", k / 4)
                    };
                    b.cable(&line, &previous, &unit, km, channel);
                    let head = if k == 0 {
                        SwitchKind::Breaker
                    } else {
                        SwitchKind::LoadBreak
                    };
                    b.switch(format!("Q{tag}-{k}a"), &previous, &line, head, true);
                    b.switch(
                        format!("Q{tag}-{k}b"),
                        &unit,
                        &line,
                        SwitchKind::LoadBreak,
                        true,
                    );
                    let room = b.bus(
                        format!("P{tag}-{k}"),
                        format!("配电房{tag}-{k}"),
                        BusKind::DistributionRoom,
                    );
                    let lateral = format!("M{tag}-{k}");
                    let km = b.rng.random_range(0.1..0.3);
                    b.cable(&lateral, &unit, &room, km, String::new());
                    b.switch(
                        format!("Q{tag}-{k}c"),
                        &unit,
                        &lateral,
                        SwitchKind::LoadBreak,
                        true,
                    );
                    let p_kw = (b.rng.random_range(150.0..450.0_f64) * heavy).round();
                    let customers = (p_kw / 3.0).round() as u32;
                    let priority = if b.rng.random_bool(0.03) {
                        b.rng.random_range(1..=2)
                    } else {
                        0
                    };
                    b.net.loads.push(Load {
                        id: format!("D{tag}-{k}"),
                        bus: room.clone(),
                        p_kw,
                        q_kvar: (p_kw * 0.33).round(),
                        customers,
                        priority_customers: priority,
                    });
                    if b.rng.random_bool(0.02) {
                        b.net.emergency_points.push(EmergencyPoint {
                            id: format!("E{tag}-{k}"),
                            bus: room,
                            name: String::new(),
                        });
                    }
                    units.push(unit.clone());
                    previous = unit;
                }
                feeders_of_section.push(units);
            }
        }
        feeders.push(sections);
    }
    // Ties between neighbouring stations: station 2k with 2k+1 (and the last, when odd, with
    // station 0 through the middles only, whose ends are taken).
    let mut ties: Vec<(String, &str, &str)> = Vec::new();
    for st in (0..stations).step_by(2) {
        let (partner, ends) = if st + 1 < stations {
            (st + 1, true)
        } else {
            (0, false)
        };
        for (sec, (mine, theirs)) in feeders[st].iter().zip(&feeders[partner]).enumerate() {
            for (f, feeder) in mine.iter().enumerate() {
                if ends {
                    ties.push((
                        format!("T{st}-{sec}-{f}"),
                        &feeder[TRUNK_UNITS - 1],
                        &theirs[f][TRUNK_UNITS - 1],
                    ));
                }
                ties.push((
                    format!("U{st}-{sec}-{f}"),
                    &feeder[TRUNK_UNITS / 2],
                    &theirs[(f + 1) % FEEDERS_PER_SECTION][TRUNK_UNITS / 2],
                ));
            }
        }
    }
    for (id, a, c) in ties {
        b.tie(id, a, c);
    }
    b.net
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synthetic_network_is_valid_radial_and_of_the_size_asked() {
        let net = synthetic(1000, 7);
        assert!(net.check().is_empty(), "{:?}", net.check());
        assert!(
            net.buses.len() >= 1000 && net.buses.len() < 1200,
            "{}",
            net.buses.len()
        );
        assert!(net.switches.iter().any(|s| !s.closed));
        assert_eq!(synthetic(1000, 7), net, "deterministic");
        let flow = crate::loadflow::run(&net).expect("converges");
        assert!(flow.vm_pu.values().all(|v| *v > 0.95));
        assert!(flow.line_loading.values().all(|l| *l < 100.0));
    }
}
