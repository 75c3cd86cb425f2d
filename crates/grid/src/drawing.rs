//! What the web page draws: a position for every bus (each feeder a row from its source, its
//! trunk straight and branches below, so ties show as the links between rows) and a plan
//! replayed step by step as frames (which switches are open, which buses and lines are dark).

use std::collections::BTreeSet;

use crate::flisr::Plan;
use crate::indexed::{BranchKind, Indexed};

/// Columns and rows of each bus (unreached buses go in rows of their own at the end).
pub fn layout(ix: &Indexed) -> Vec<(usize, usize)> {
    let n = ix.net.buses.len();
    let normal = ix.normal_state();
    let mut place: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut next_row = 0;
    for &root in &ix.source_bus {
        if place[root].is_some() {
            continue;
        }
        // Depth first, so a trunk keeps its row and each branch opens the next one.
        let mut stack = vec![(root, 0usize, None::<usize>)];
        while let Some((bus, depth, via)) = stack.pop() {
            if place[bus].is_some() {
                continue;
            }
            place[bus] = Some((depth, next_row));
            let children: Vec<usize> = ix.adjacency[bus]
                .iter()
                .filter(|&&br| Some(br) != via && ix.conducts(br, &normal))
                .map(|&br| {
                    let b = &ix.branches[br];
                    if b.a == bus { b.b } else { b.a }
                })
                .filter(|&other| place[other].is_none())
                .collect();
            if children.is_empty() {
                // A leaf ends its row; the next branch starts below.
                next_row += 1;
            }
            let branch_of = |other: usize| {
                ix.adjacency[bus].iter().copied().find(|&br| {
                    let b = &ix.branches[br];
                    (b.a == bus && b.b == other) || (b.b == bus && b.a == other)
                })
            };
            for &child in children.iter().rev() {
                stack.push((child, depth + 1, branch_of(child)));
            }
        }
    }
    place
        .into_iter()
        .map(|p| {
            p.unwrap_or_else(|| {
                next_row += 1;
                (0, next_row - 1)
            })
        })
        .collect()
}

/// What a frame of the replay shows happening (pages say it in the reader's language).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Normal operation before the fault.
    Normal,
    /// The fault, and the switches that tripped.
    Fault { tripped: Vec<String> },
    /// A switch closed or opened, and why.
    Operate {
        close: bool,
        switch: String,
        why: crate::flisr::Why,
    },
    /// The mobile generator connected.
    Generator,
}

/// One step of a replayed plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub step: Step,
    pub open_switches: BTreeSet<usize>,
    pub dark_buses: BTreeSet<usize>,
    pub dark_lines: BTreeSet<usize>,
    /// Buses the mobile generator feeds.
    pub generator_buses: BTreeSet<usize>,
}

/// The plan as frames: normal operation, the fault and the trip, then each operation.
pub fn frames(ix: &Indexed, plan: &Plan) -> Vec<Frame> {
    let zones = ix.zone_count();
    let mut faulted = vec![false; zones];
    for z in &plan.faulted {
        faulted[*z] = true;
    }
    let normal = ix.normal_state();
    let frame = |step: Step, state: &[bool], out: &[bool], generator: &BTreeSet<usize>| {
        let fed = ix.feeding(state, out);
        let dark_zone = |z: usize| !fed.live(z) && !generator.contains(&z);
        let dark_buses = (0..ix.net.buses.len())
            .filter(|&b| dark_zone(ix.bus_zone[b]))
            .collect();
        let dark_lines = ix
            .branches
            .iter()
            .enumerate()
            .filter_map(|(i, br)| match br.kind {
                BranchKind::Line(l) if dark_zone(ix.branch_zone[i]) => Some(l),
                _ => None,
            })
            .collect();
        let generator_buses = (0..ix.net.buses.len())
            .filter(|&b| generator.contains(&ix.bus_zone[b]))
            .collect();
        Frame {
            step,
            open_switches: (0..state.len()).filter(|&s| !state[s]).collect(),
            dark_buses,
            dark_lines,
            generator_buses,
        }
    };
    let none = vec![false; zones];
    let no_generator = BTreeSet::new();
    let mut out = vec![frame(Step::Normal, &normal, &none, &no_generator)];
    let mut state = normal.clone();
    for &s in &plan.tripped {
        state[s] = false;
    }
    let tripped: Vec<String> = plan
        .tripped
        .iter()
        .map(|&s| ix.net.switches[s].id.clone())
        .collect();
    out.push(frame(
        Step::Fault { tripped },
        &state,
        &faulted,
        &no_generator,
    ));
    // The generator's zones light up with its group's first operation (or after the last).
    let generator_zones: BTreeSet<usize> = plan
        .restored_by
        .iter()
        .filter(|(_, g)| Some(**g) == plan.generator_group)
        .map(|(z, _)| *z)
        .collect();
    let mut generator: BTreeSet<usize> = BTreeSet::new();
    for o in &plan.operations {
        state[o.switch] = o.close;
        if Some(o.group) == plan.generator_group {
            generator.clone_from(&generator_zones);
        }
        out.push(frame(
            Step::Operate {
                close: o.close,
                switch: ix.net.switches[o.switch].id.clone(),
                why: o.why,
            },
            &state,
            &faulted,
            &generator,
        ));
    }
    if generator.len() < generator_zones.len() {
        out.push(frame(Step::Generator, &state, &faulted, &generator_zones));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flisr::{Fault, Options, plan};
    use crate::loadflow::Solver;
    use crate::native::{DEMO_ZONE, read};

    #[test]
    fn each_feeder_of_the_demo_zone_is_a_row_and_the_replay_ends_with_every_room_lit() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let at = layout(&ix);
        let bus = |id: &str| at[ix.bus(id).expect("bus")];
        assert_eq!(bus("A10"), (0, 0));
        assert_eq!(bus("P2"), (3, 0));
        assert_eq!(bus("B10").1, bus("P3").1);
        assert_ne!(bus("A10").1, bus("B10").1);
        let solver = Solver::new(&ix);
        let fault = Fault {
            zones: BTreeSet::from([ix.branch_zone[ix.line("L3").expect("L3")]]),
            ..Fault::default()
        };
        let p = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault,
            Options::default(),
        );
        let f = frames(&ix, &p);
        assert_eq!(f.len(), 2 + p.operations.len());
        assert!(f[0].dark_buses.is_empty());
        assert!(f[1].dark_buses.contains(&ix.bus("P2").expect("P2")));
        let last = f.last().expect("frames");
        assert!(last.dark_buses.is_empty(), "{last:?}");
        assert_eq!(
            last.dark_lines,
            BTreeSet::from([ix.line("L3").expect("L3")])
        );
    }
}
