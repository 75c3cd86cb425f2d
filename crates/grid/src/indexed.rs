//! The network by index, built once and shared by the load flow, FLISR, the N-1 sweep and the
//! simulation: buses, branches (lines first, in file order, then transformers, then bus couplers)
//! and switches as numbers,
//! and the zones the switches cut the network into. A zone is what stays connected when every
//! switch is taken out, so a switch always joins two zones; a switching state is one `bool` per
//! switch. Nothing here looks an id up twice: at 10,000 buses a plan must take milliseconds.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

use crate::network::{Network, SwitchElement};

/// What a branch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchKind {
    /// Index in `Network::lines`.
    Line(usize),
    /// Index in `Network::transformers`.
    Transformer(usize),
    /// A switch between two buses (its index in `Network::switches`): no impedance.
    Coupler(usize),
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub a: usize,
    pub b: usize,
    pub kind: BranchKind,
    pub in_service: bool,
    /// The switches on it: it conducts when all are closed.
    pub switches: Vec<usize>,
}

/// Load, customers and priority customers added up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub kw: f64,
    pub customers: u32,
    pub priority: u32,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.kw += other.kw;
        self.customers += other.customers;
        self.priority += other.priority;
    }
}

#[derive(Debug, Clone)]
pub struct Indexed<'n> {
    pub net: &'n Network,
    bus_index: HashMap<&'n str, usize>,
    switch_index: HashMap<&'n str, usize>,
    line_index: HashMap<&'n str, usize>,
    pub branches: Vec<Branch>,
    /// Bus → the branches touching it.
    pub adjacency: Vec<Vec<usize>>,
    /// Switch → the branch it sits on (for a coupler, its own branch).
    pub switch_branch: Vec<usize>,
    pub switch_bus: Vec<usize>,
    /// Source → its bus.
    pub source_bus: Vec<usize>,
    /// Zone of each bus and of each branch (couplers belong to no zone: `usize::MAX`).
    pub bus_zone: Vec<usize>,
    pub branch_zone: Vec<usize>,
    /// Switch → (zone on its bus side, zone on its element side).
    pub switch_zones: Vec<(usize, usize)>,
    /// Zone → the switches on its border.
    pub zone_switches: Vec<Vec<usize>>,
    /// Zone → the load in it.
    pub zone_load: Vec<Tally>,
    /// Zone → the sources in it.
    pub zone_sources: Vec<Vec<usize>>,
    /// Zone → the lines in it (by line index).
    pub zone_lines: Vec<Vec<usize>>,
    /// Zone → the buses in it.
    pub zone_buses: Vec<Vec<usize>>,
    /// The normal state's feeding, computed once: every plan of an N-1 sweep starts there.
    normal_feeding: OnceLock<Feeding>,
}

/// What each zone is fed from in a switching state.
#[derive(Debug, Clone)]
pub struct Feeding {
    /// Zone → the source zone whose supply reaches it (`NONE` when dark).
    pub root: Vec<usize>,
    /// Zone → the switch it is fed through (`NONE` for a source zone or a dark zone).
    pub through: Vec<usize>,
}

pub const NONE: usize = usize::MAX;

impl Feeding {
    pub fn live(&self, zone: usize) -> bool {
        self.root[zone] != NONE
    }
}

/// Which zones the supply reaches in state `closed`, with the zones in `out` (isolated, or a
/// lost station's) neither fed nor feeding.
fn spread_supply(ix: &Indexed, closed: &[bool], out: &[bool]) -> Feeding {
    let zones = ix.zone_count();
    let mut root = vec![NONE; zones];
    let mut through = vec![NONE; zones];
    let mut queue = VecDeque::new();
    for (z, sources) in ix.zone_sources.iter().enumerate() {
        if !sources.is_empty() && !out[z] {
            root[z] = z;
            queue.push_back(z);
        }
    }
    while let Some(z) = queue.pop_front() {
        for &s in &ix.zone_switches[z] {
            let other = ix.across(s, z);
            if closed[s] && !out[other] && root[other] == NONE && other != z {
                root[other] = root[z];
                through[other] = s;
                queue.push_back(other);
            }
        }
    }
    Feeding { root, through }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

impl<'n> Indexed<'n> {
    /// Indexes a network that passed `Network::check` (references resolve).
    pub fn new(net: &'n Network) -> Indexed<'n> {
        let bus_index: HashMap<&str, usize> = net
            .buses
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.as_str(), i))
            .collect();
        let switch_index: HashMap<&str, usize> = net
            .switches
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let line_index: HashMap<&str, usize> = net
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.as_str(), i))
            .collect();
        let trafo_index: HashMap<&str, usize> = net
            .transformers
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let bus = |id: &str| bus_index.get(id).copied().unwrap_or(0);
        let mut branches: Vec<Branch> = Vec::new();
        for (i, l) in net.lines.iter().enumerate() {
            branches.push(Branch {
                a: bus(&l.from),
                b: bus(&l.to),
                kind: BranchKind::Line(i),
                in_service: l.in_service,
                switches: Vec::new(),
            });
        }
        let nl = net.lines.len();
        for (i, t) in net.transformers.iter().enumerate() {
            branches.push(Branch {
                a: bus(&t.hv_bus),
                b: bus(&t.lv_bus),
                kind: BranchKind::Transformer(i),
                in_service: t.in_service,
                switches: Vec::new(),
            });
        }
        let mut switch_branch = Vec::with_capacity(net.switches.len());
        let mut switch_bus = Vec::with_capacity(net.switches.len());
        for (i, s) in net.switches.iter().enumerate() {
            let branch = match &s.element {
                SwitchElement::Line(id) => line_index.get(id.as_str()).copied().unwrap_or(0),
                SwitchElement::Transformer(id) => {
                    nl + trafo_index.get(id.as_str()).copied().unwrap_or(0)
                }
                SwitchElement::Bus(other) => {
                    branches.push(Branch {
                        a: bus(&s.bus),
                        b: bus(other),
                        kind: BranchKind::Coupler(i),
                        in_service: true,
                        switches: Vec::new(),
                    });
                    branches.len() - 1
                }
            };
            branches[branch].switches.push(i);
            switch_branch.push(branch);
            switch_bus.push(bus(&s.bus));
        }
        let n = net.buses.len();
        let mut adjacency = vec![Vec::new(); n];
        for (i, br) in branches.iter().enumerate() {
            adjacency[br.a].push(i);
            adjacency[br.b].push(i);
        }
        // Zones: buses and branches joined wherever no switch stands between them.
        let mut parent: Vec<usize> = (0..n + branches.len()).collect();
        for (i, br) in branches.iter().enumerate() {
            if matches!(br.kind, BranchKind::Coupler(_)) || !br.in_service {
                continue;
            }
            for end in [br.a, br.b] {
                let switched = br.switches.iter().any(|&s| switch_bus[s] == end);
                if !switched {
                    let (x, y) = (find(&mut parent, n + i), find(&mut parent, end));
                    parent[x] = y;
                }
            }
        }
        let mut number: HashMap<usize, usize> = HashMap::new();
        let mut zone_of = |item: usize, parent: &mut Vec<usize>| {
            let root = find(parent, item);
            let next = number.len();
            *number.entry(root).or_insert(next)
        };
        let bus_zone: Vec<usize> = (0..n).map(|b| zone_of(b, &mut parent)).collect();
        let branch_zone: Vec<usize> = branches
            .iter()
            .enumerate()
            .map(|(i, br)| match br.kind {
                BranchKind::Coupler(_) => usize::MAX,
                _ => zone_of(n + i, &mut parent),
            })
            .collect();
        let zones = number.len();
        let switch_zones: Vec<(usize, usize)> = (0..net.switches.len())
            .map(|s| {
                let br = &branches[switch_branch[s]];
                let bus_side = bus_zone[switch_bus[s]];
                let element_side = match br.kind {
                    BranchKind::Coupler(_) => {
                        bus_zone[if br.a == switch_bus[s] { br.b } else { br.a }]
                    }
                    _ => branch_zone[switch_branch[s]],
                };
                (bus_side, element_side)
            })
            .collect();
        let mut zone_switches = vec![Vec::new(); zones];
        for (s, (a, b)) in switch_zones.iter().enumerate() {
            zone_switches[*a].push(s);
            if b != a {
                zone_switches[*b].push(s);
            }
        }
        let mut zone_load = vec![Tally::default(); zones];
        for l in &net.loads {
            zone_load[bus_zone[bus(&l.bus)]].add(Tally {
                kw: l.p_kw,
                customers: l.customers,
                priority: l.priority_customers,
            });
        }
        let source_bus: Vec<usize> = net.sources.iter().map(|s| bus(&s.bus)).collect();
        let mut zone_sources = vec![Vec::new(); zones];
        for (i, b) in source_bus.iter().enumerate() {
            zone_sources[bus_zone[*b]].push(i);
        }
        let mut zone_lines = vec![Vec::new(); zones];
        for (i, _) in net.lines.iter().enumerate() {
            zone_lines[branch_zone[i]].push(i);
        }
        let mut zone_buses = vec![Vec::new(); zones];
        for (b, z) in bus_zone.iter().enumerate() {
            zone_buses[*z].push(b);
        }
        Indexed {
            net,
            bus_index,
            switch_index,
            line_index,
            branches,
            adjacency,
            switch_branch,
            switch_bus,
            source_bus,
            bus_zone,
            branch_zone,
            switch_zones,
            zone_switches,
            zone_load,
            zone_sources,
            zone_lines,
            zone_buses,
            normal_feeding: OnceLock::new(),
        }
    }

    /// Which zones the supply reaches in state `closed`, with the zones in `out` neither fed
    /// nor feeding (the normal state's is kept).
    pub fn feeding(&self, closed: &[bool], out: &[bool]) -> Cow<'_, Feeding> {
        let normal = out.iter().all(|o| !o)
            && self
                .net
                .switches
                .iter()
                .zip(closed)
                .all(|(s, c)| s.closed == *c);
        if normal {
            Cow::Borrowed(
                self.normal_feeding
                    .get_or_init(|| spread_supply(self, closed, out)),
            )
        } else {
            Cow::Owned(spread_supply(self, closed, out))
        }
    }

    pub fn bus(&self, id: &str) -> Option<usize> {
        self.bus_index.get(id).copied()
    }

    pub fn switch(&self, id: &str) -> Option<usize> {
        self.switch_index.get(id).copied()
    }

    pub fn line(&self, id: &str) -> Option<usize> {
        self.line_index.get(id).copied()
    }

    pub fn zone_count(&self) -> usize {
        self.zone_load.len()
    }

    /// The normal switching state.
    pub fn normal_state(&self) -> Vec<bool> {
        self.net.switches.iter().map(|s| s.closed).collect()
    }

    /// Whether a branch conducts in a switching state.
    pub fn conducts(&self, branch: usize, closed: &[bool]) -> bool {
        let br = &self.branches[branch];
        br.in_service && br.switches.iter().all(|&s| closed[s])
    }

    /// The zone across switch `s` from zone `z`.
    pub fn across(&self, s: usize, z: usize) -> usize {
        let (a, b) = self.switch_zones[s];
        if a == z { b } else { a }
    }

    /// A short name for a zone: its lines, or its buses when it has none.
    pub fn zone_name(&self, z: usize) -> String {
        let lines: Vec<&str> = self.zone_lines[z]
            .iter()
            .map(|&l| self.net.lines[l].id.as_str())
            .collect();
        if lines.is_empty() {
            self.zone_buses[z]
                .iter()
                .map(|&b| self.net.buses[b].id.as_str())
                .collect::<Vec<_>>()
                .join("+")
        } else {
            lines.join("+")
        }
    }
}
