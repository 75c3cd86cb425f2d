//! The distribution load flow: a backward/forward sweep over each radial feeder, in per unit on
//! the network's `sn_mva` and each bus's `vn_kv`, with pandapower's branch models (lines as pi
//! sections with their charging, transformers with their tap ratio, short-circuit impedance and
//! magnetising branch split to both sides) and constant-power loads. Where the closed network
//! has loops (a closed ring, two feeders tied), the same models go into a bus admittance matrix
//! solved by Newton–Raphson in polar form (`newton`). Voltage magnitudes and loadings: phase
//! shifts are left out, which turns angles but no magnitude where every loop's transformers
//! shift alike (as in a substation's parallel transformers).

use std::collections::BTreeMap;
use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::indexed::{BranchKind, Indexed};
use crate::network::Network;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct C {
    re: f64,
    im: f64,
}

impl C {
    const fn new(re: f64, im: f64) -> C {
        C { re, im }
    }
    fn conj(self) -> C {
        C::new(self.re, -self.im)
    }
    /// The magnitude (a plain square root: `hypot`'s overflow care costs a quarter of a
    /// sweep, and per-unit values are nowhere near overflowing).
    fn abs(self) -> f64 {
        self.norm_sqr().sqrt()
    }
    fn norm_sqr(self) -> f64 {
        self.re * self.re + self.im * self.im
    }
    fn scale(self, k: f64) -> C {
        C::new(self.re * k, self.im * k)
    }
}

impl Add for C {
    type Output = C;
    fn add(self, o: C) -> C {
        C::new(self.re + o.re, self.im + o.im)
    }
}
impl Sub for C {
    type Output = C;
    fn sub(self, o: C) -> C {
        C::new(self.re - o.re, self.im - o.im)
    }
}
impl Mul for C {
    type Output = C;
    fn mul(self, o: C) -> C {
        C::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}
impl Div for C {
    type Output = C;
    fn div(self, o: C) -> C {
        let d = o.re * o.re + o.im * o.im;
        C::new(
            (self.re * o.re + self.im * o.im) / d,
            (self.im * o.re - self.re * o.im) / d,
        )
    }
}
impl Neg for C {
    type Output = C;
    fn neg(self) -> C {
        C::new(-self.re, -self.im)
    }
}

/// A branch's model seen from the bus that feeds it (the parent).
#[derive(Debug, Clone, Copy, Default)]
struct Oriented {
    /// Series impedance, per unit on the child side.
    z: C,
    /// Off-nominal ratio seen from the parent (1 for lines): V_child = V_parent / a − z·I.
    a: f64,
    /// Shunt admittance at the parent and child terminals (charging, magnetising), per unit.
    y_parent: C,
    y_child: C,
}

/// The result: voltage magnitude of every bus reached, loading of every conducting element.
#[derive(Debug, Clone, Default)]
pub struct Flow {
    /// Bus id → voltage, per unit (buses no source reaches are left out).
    pub vm_pu: BTreeMap<String, f64>,
    /// Line id → loading, percent of its (derated, parallel) thermal limit.
    pub line_loading: BTreeMap<String, f64>,
    /// Transformer id → loading, percent of its rating.
    pub trafo_loading: BTreeMap<String, f64>,
    pub iterations: usize,
    /// Solved by Newton–Raphson (the network is meshed) rather than by the sweep.
    pub newton: bool,
}

/// Why a load flow could not be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// The closed network has a loop; the sweep needs radial feeders (`Solver::run` then
    /// solves it by Newton–Raphson instead).
    NotRadial(String),
    /// Did not settle within the iterations (a feeder far beyond its limits).
    NoConvergence,
}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowError::NotRadial(at) => write!(f, "the closed network is not radial at {at}"),
            FlowError::NoConvergence => write!(f, "the load flow did not converge"),
        }
    }
}

/// The limits a network in operation must keep.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_loading_percent: f64,
    pub min_vm_pu: f64,
    pub max_vm_pu: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_loading_percent: 100.0,
            min_vm_pu: 0.9,
            max_vm_pu: 1.1,
        }
    }
}

const MAX_ITERATIONS: usize = 100;
const TOLERANCE: f64 = 1e-9;
/// Newton–Raphson stops when no bus's power mismatch exceeds this (per unit: 1e-10 of 1 MVA),
/// or gives up after this many iterations (it converges in a handful or not at all).
const NEWTON_TOLERANCE: f64 = 1e-10;
const NEWTON_ITERATIONS: usize = 30;

/// One sweep's result, by index: the buses reached with their voltage, the conducting lines and
/// transformers with their loading, and what each source supplies.
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    pub buses: Vec<usize>,
    pub vm_pu: Vec<f64>,
    /// Branches (lines and transformers; couplers have no limit) and their loading, percent.
    pub branches: Vec<usize>,
    pub loading: Vec<f64>,
    /// Sources and their apparent power, MVA.
    pub sources: Vec<usize>,
    pub source_mva: Vec<f64>,
    pub iterations: usize,
    /// Solved by Newton–Raphson rather than by the sweep.
    pub newton: bool,
}

impl Sweep {
    /// The buses, branches and sources outside the limits (or above their capacity), as
    /// (0 bus | 1 branch | 2 source, index).
    pub fn violating(&self, solver: &Solver, limits: Limits) -> Vec<(u8, usize)> {
        let buses = self
            .buses
            .iter()
            .zip(&self.vm_pu)
            .filter(|(_, v)| !(limits.min_vm_pu..=limits.max_vm_pu).contains(*v))
            .map(|(b, _)| (0, *b));
        let branches = self
            .branches
            .iter()
            .zip(&self.loading)
            .filter(|(_, l)| **l > limits.max_loading_percent)
            .map(|(b, _)| (1, *b));
        let sources = self
            .sources
            .iter()
            .zip(&self.source_mva)
            .filter(|(s, mva)| **mva > solver.ix.net.sources[**s].capacity_mva)
            .map(|(s, _)| (2, *s));
        buses.chain(branches).chain(sources).collect()
    }

    /// How many buses, branches and sources break the limits (or their capacity).
    pub fn violations(&self, solver: &Solver, limits: Limits) -> usize {
        self.violating(solver, limits).len()
    }
}

/// The per-unit models of a network's branches and loads, computed once.
pub struct Solver<'i, 'n> {
    pub ix: &'i Indexed<'n>,
    /// Branch → its model fed from end a, and fed from end b.
    models: Vec<[Oriented; 2]>,
    /// Line → its whole shunt admittance (charging and conductance), per unit.
    line_shunt: Vec<C>,
    /// Bus → its load, per unit.
    load: Vec<C>,
}

impl<'i, 'n> Solver<'i, 'n> {
    pub fn new(ix: &'i Indexed<'n>) -> Solver<'i, 'n> {
        let net = ix.net;
        let base = |bus: usize| net.buses[bus].vn_kv * net.buses[bus].vn_kv / net.sn_mva;
        let line_shunt: Vec<C> = net
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let parallel = f64::from(l.parallel.max(1));
                C::new(
                    l.g_us_per_km * 1e-6,
                    2.0 * std::f64::consts::PI * net.f_hz * l.c_nf_per_km * 1e-9,
                )
                .scale(l.length_km * parallel * base(ix.branches[i].a))
            })
            .collect();
        let models = ix
            .branches
            .iter()
            .map(|br| match br.kind {
                BranchKind::Line(i) => {
                    let l = &net.lines[i];
                    let parallel = f64::from(l.parallel.max(1));
                    let z = C::new(l.r_ohm_per_km, l.x_ohm_per_km)
                        .scale(l.length_km / parallel / base(br.a));
                    let y = line_shunt[i].scale(0.5);
                    let m = Oriented {
                        z,
                        a: 1.0,
                        y_parent: y,
                        y_child: y,
                    };
                    [m, m]
                }
                BranchKind::Transformer(i) => {
                    // Transformers run from hv (a) to lv (b).
                    [
                        transformer(net, i, br.a, br.b, true),
                        transformer(net, i, br.a, br.b, false),
                    ]
                }
                BranchKind::Coupler(_) => {
                    let m = Oriented {
                        a: 1.0,
                        ..Oriented::default()
                    };
                    [m, m]
                }
            })
            .collect();
        let mut load = vec![C::default(); net.buses.len()];
        for d in &net.loads {
            if let Some(bus) = ix.bus(&d.bus) {
                load[bus] = load[bus] + C::new(d.p_kw, d.q_kvar).scale(1.0 / 1000.0 / net.sn_mva);
            }
        }
        Solver {
            ix,
            models,
            line_shunt,
            load,
        }
    }

    /// The load flow of the feeders of `sources` in switching state `closed`: the sweep where
    /// they are radial, Newton–Raphson where they close a loop.
    pub fn run(&self, closed: &[bool], sources: &[usize]) -> Result<Sweep, FlowError> {
        match self.sweep(closed, sources) {
            Err(FlowError::NotRadial(_)) => self.newton(closed, sources),
            other => other,
        }
    }

    /// The backward/forward sweep over radial feeders (`NotRadial` at the first loop).
    pub fn sweep(&self, closed: &[bool], sources: &[usize]) -> Result<Sweep, FlowError> {
        let ix = self.ix;
        let net = ix.net;
        const UNSEEN: u32 = u32::MAX;
        let mut local = vec![UNSEEN; net.buses.len()];
        // The trees, breadth first from every source: buses in order, each with the branch from
        // its parent (branch, parent's position, which end feeds).
        let mut order: Vec<usize> = Vec::new();
        let mut parent: Vec<Option<(usize, usize, usize)>> = Vec::new();
        let mut roots: Vec<(usize, usize)> = Vec::new();
        for &s in sources {
            let root = ix.source_bus[s];
            if local[root] != UNSEEN {
                return Err(FlowError::NotRadial(format!(
                    "source {}",
                    net.sources[s].id
                )));
            }
            local[root] = order.len() as u32;
            roots.push((order.len(), s));
            order.push(root);
            parent.push(None);
            let mut head = order.len() - 1;
            while head < order.len() {
                let bus = order[head];
                for &br in &ix.adjacency[bus] {
                    if parent[head].is_some_and(|p| p.0 == br) || !ix.conducts(br, closed) {
                        continue;
                    }
                    let b = &ix.branches[br];
                    let (other, end) = if b.a == bus { (b.b, 0) } else { (b.a, 1) };
                    if local[other] != UNSEEN {
                        return Err(FlowError::NotRadial(branch_name(ix, br)));
                    }
                    local[other] = order.len() as u32;
                    order.push(other);
                    parent.push(Some((br, head, end)));
                }
                head += 1;
            }
        }
        let m = order.len();
        let mut shunt = vec![C::default(); m];
        let mut load = vec![C::default(); m];
        for (k, &bus) in order.iter().enumerate() {
            load[k] = self.load[bus];
            shunt[k] = self.open_line_charging(bus, closed);
        }
        for (k, p) in parent.iter().enumerate() {
            if let Some((br, up, end)) = *p {
                let model = self.models[br][end];
                shunt[up] = shunt[up] + model.y_parent;
                shunt[k] = shunt[k] + model.y_child;
            }
        }
        let mut v = vec![C::default(); m];
        for &(k, s) in &roots {
            v[k] = C::new(net.sources[s].vm_pu, 0.0);
        }
        for k in 0..m {
            if let Some((br, up, end)) = parent[k] {
                v[k] = v[up].scale(1.0 / self.models[br][end].a);
            }
        }
        // current[k]: the series current into bus k from its parent.
        let mut current = vec![C::default(); m];
        let mut draw = vec![C::default(); m];
        let mut iterations = 0;
        loop {
            iterations += 1;
            // Backward: what every subtree draws.
            draw.iter_mut().for_each(|d| *d = C::default());
            for k in (0..m).rev() {
                let own = (load[k] / v[k]).conj() + shunt[k] * v[k];
                draw[k] = draw[k] + own;
                if let Some((br, up, end)) = parent[k] {
                    current[k] = draw[k];
                    draw[up] = draw[up] + draw[k].scale(1.0 / self.models[br][end].a);
                }
            }
            // Forward: voltages down every feeder.
            let mut change: f64 = 0.0;
            for k in 0..m {
                if let Some((br, up, end)) = parent[k] {
                    let model = self.models[br][end];
                    let new = v[up].scale(1.0 / model.a) - model.z * current[k];
                    change = change.max((new - v[k]).norm_sqr());
                    v[k] = new;
                }
            }
            if change < TOLERANCE * TOLERANCE {
                break;
            }
            if iterations >= MAX_ITERATIONS || !change.is_finite() {
                return Err(FlowError::NoConvergence);
            }
        }
        let mut sweep = Sweep {
            buses: order.clone(),
            vm_pu: v.iter().map(|x| x.abs()).collect(),
            iterations,
            ..Sweep::default()
        };
        let i_base = |bus: usize| net.sn_mva / (3f64.sqrt() * net.buses[bus].vn_kv);
        for k in 0..m {
            let Some((br, up, end)) = parent[k] else {
                continue;
            };
            let model = self.models[br][end];
            // Terminal currents: the series current plus or minus the branch's own shunts.
            let child_end = current[k] - model.y_child * v[k];
            let parent_end = current[k].scale(1.0 / model.a) + model.y_parent * v[up];
            let i_parent = parent_end.abs() * i_base(order[up]);
            let i_child = child_end.abs() * i_base(order[k]);
            let loading = match ix.branches[br].kind {
                BranchKind::Line(l) => {
                    let l = &net.lines[l];
                    let limit = l.max_i_ka * l.df * f64::from(l.parallel.max(1));
                    i_parent.max(i_child) / limit * 100.0
                }
                BranchKind::Transformer(t) => {
                    let t = &net.transformers[t];
                    // end 0: fed from hv.
                    let (hv, lv) = if end == 0 {
                        (i_parent, i_child)
                    } else {
                        (i_child, i_parent)
                    };
                    let s = (hv * t.vn_hv_kv).max(lv * t.vn_lv_kv) * 3f64.sqrt();
                    s / (t.sn_mva * f64::from(t.parallel.max(1)) * t.df) * 100.0
                }
                BranchKind::Coupler(_) => continue,
            };
            sweep.branches.push(br);
            sweep.loading.push(loading);
        }
        for &(k, s) in &roots {
            sweep.sources.push(s);
            sweep
                .source_mva
                .push((v[k] * draw[k].conj()).abs() * net.sn_mva);
        }
        Ok(sweep)
    }

    /// Newton–Raphson over the bus admittance matrix of what `sources` reach in switching state
    /// `closed`: any topology, loops included. Closed couplers join their buses into one node;
    /// every source's bus is a slack node at its set voltage and angle 0; loads are constant
    /// power. Dense (the matrices of a feeder or a substation's few hundred buses); the sweep
    /// stays the path for radial feeders and the N-1 scans.
    pub fn newton(&self, closed: &[bool], sources: &[usize]) -> Result<Sweep, FlowError> {
        let ix = self.ix;
        let net = ix.net;
        let n_bus = net.buses.len();
        // Buses joined by closed couplers are one node.
        let mut joined: Vec<usize> = (0..n_bus).collect();
        fn find(joined: &mut [usize], mut x: usize) -> usize {
            while joined[x] != x {
                joined[x] = joined[joined[x]];
                x = joined[x];
            }
            x
        }
        // A closed coupler, or a branch without impedance, joins its buses (its admittance
        // would be infinite).
        let joins = |br: usize| {
            let m = self.models[br][0];
            matches!(ix.branches[br].kind, BranchKind::Coupler(_))
                || (m.z.norm_sqr() == 0.0 && m.a == 1.0)
        };
        for (br, b) in ix.branches.iter().enumerate() {
            if joins(br) && ix.conducts(br, closed) {
                let (ra, rb) = (find(&mut joined, b.a), find(&mut joined, b.b));
                joined[ra] = rb;
            }
        }
        // What the sources reach, breadth first.
        let mut reached = vec![false; n_bus];
        let mut queue: Vec<usize> = Vec::new();
        for &s in sources {
            let bus = ix.source_bus[s];
            if !reached[bus] {
                reached[bus] = true;
                queue.push(bus);
            }
        }
        let mut head = 0;
        while head < queue.len() {
            let bus = queue[head];
            head += 1;
            for &br in &ix.adjacency[bus] {
                if !ix.conducts(br, closed) {
                    continue;
                }
                let b = &ix.branches[br];
                let other = if b.a == bus { b.b } else { b.a };
                if !reached[other] {
                    reached[other] = true;
                    queue.push(other);
                }
            }
        }
        let buses = queue;
        // Node of each reached bus.
        let mut node_of_root: BTreeMap<usize, usize> = BTreeMap::new();
        let mut node = vec![usize::MAX; n_bus];
        for &bus in &buses {
            let root = find(&mut joined, bus);
            let next = node_of_root.len();
            node[bus] = *node_of_root.entry(root).or_insert(next);
        }
        let n = node_of_root.len();
        let mut y = vec![C::default(); n * n];
        let mut load = vec![C::default(); n];
        for &bus in &buses {
            let k = node[bus];
            load[k] = load[k] + self.load[bus];
            y[k * n + k] = y[k * n + k] + self.open_line_charging(bus, closed);
        }
        for (br, b) in ix.branches.iter().enumerate() {
            if joins(br) || !ix.conducts(br, closed) || !reached[b.a] {
                continue;
            }
            let (i, k) = (node[b.a], node[b.b]);
            for (row, col, value) in branch_admittance(self.models[br][0], i, k) {
                y[row * n + col] = y[row * n + col] + value;
            }
        }
        // Slack nodes: the sources' buses, at the set voltage of the first source on each.
        let mut slack: Vec<Option<f64>> = vec![None; n];
        for &s in sources {
            let k = node[ix.source_bus[s]];
            slack[k].get_or_insert(net.sources[s].vm_pu);
        }
        let pq: Vec<usize> = (0..n).filter(|k| slack[*k].is_none()).collect();
        let mut vm: Vec<f64> = (0..n).map(|k| slack[k].unwrap_or(1.0)).collect();
        let mut va = vec![0.0f64; n];
        let np = pq.len();
        let mut iterations = 0;
        let mut v: Vec<C> = vec![C::default(); n];
        let mut current = vec![C::default(); n];
        loop {
            for k in 0..n {
                v[k] = C::new(vm[k] * va[k].cos(), vm[k] * va[k].sin());
            }
            for (i, c) in current.iter_mut().enumerate() {
                *c = (0..n).fold(C::default(), |acc, k| acc + y[i * n + k] * v[k]);
            }
            // Mismatch: injected power computed − specified (the loads drawn, negated).
            let mismatch: Vec<C> = (0..n).map(|i| v[i] * current[i].conj() + load[i]).collect();
            let worst = pq
                .iter()
                .map(|&i| mismatch[i].re.abs().max(mismatch[i].im.abs()))
                .fold(0.0, f64::max);
            if worst < NEWTON_TOLERANCE {
                break;
            }
            if iterations >= NEWTON_ITERATIONS || !worst.is_finite() {
                return Err(FlowError::NoConvergence);
            }
            iterations += 1;
            // The Jacobian of the mismatch in angle and magnitude (MATPOWER's dSbus_dV).
            let size = 2 * np;
            let mut jacobian = vec![0.0f64; size * size];
            for (r, &i) in pq.iter().enumerate() {
                for (c, &k) in pq.iter().enumerate() {
                    let yik = y[i * n + k];
                    let unit_k = C::new(va[k].cos(), va[k].sin());
                    let mut d_vm = v[i] * (yik * unit_k).conj();
                    let mut d_va_inner = (yik * v[k]).neg();
                    if i == k {
                        d_vm = d_vm + current[i].conj() * unit_k;
                        d_va_inner = d_va_inner + current[i];
                    }
                    // j · V_i · conj(inner)
                    let t = v[i] * d_va_inner.conj();
                    let d_va = C::new(-t.im, t.re);
                    jacobian[r * size + c] = d_va.re;
                    jacobian[r * size + np + c] = d_vm.re;
                    jacobian[(np + r) * size + c] = d_va.im;
                    jacobian[(np + r) * size + np + c] = d_vm.im;
                }
            }
            let mut step: Vec<f64> = pq
                .iter()
                .map(|&i| -mismatch[i].re)
                .chain(pq.iter().map(|&i| -mismatch[i].im))
                .collect();
            if !solve_dense(&mut jacobian, size, &mut step) {
                return Err(FlowError::NoConvergence);
            }
            for (r, &i) in pq.iter().enumerate() {
                va[i] += step[r];
                vm[i] += step[np + r];
            }
        }
        let mut sweep = Sweep {
            vm_pu: buses.iter().map(|&b| vm[node[b]]).collect(),
            buses: buses.clone(),
            iterations,
            newton: true,
            ..Sweep::default()
        };
        let i_base = |bus: usize| net.sn_mva / (3f64.sqrt() * net.buses[bus].vn_kv);
        for (br, b) in ix.branches.iter().enumerate() {
            if joins(br) || !ix.conducts(br, closed) || !reached[b.a] {
                continue;
            }
            let model = self.models[br][0];
            let (va_, vb_) = (v[node[b.a]], v[node[b.b]]);
            let (at_a, at_b) = terminal_currents(model, va_, vb_);
            let (i_a, i_b) = (at_a.abs() * i_base(b.a), at_b.abs() * i_base(b.b));
            let loading = match b.kind {
                BranchKind::Line(l) => {
                    let l = &net.lines[l];
                    let limit = l.max_i_ka * l.df * f64::from(l.parallel.max(1));
                    i_a.max(i_b) / limit * 100.0
                }
                BranchKind::Transformer(t) => {
                    // End a is the high-voltage side.
                    let t = &net.transformers[t];
                    let s = (i_a * t.vn_hv_kv).max(i_b * t.vn_lv_kv) * 3f64.sqrt();
                    s / (t.sn_mva * f64::from(t.parallel.max(1)) * t.df) * 100.0
                }
                BranchKind::Coupler(_) => continue,
            };
            sweep.branches.push(br);
            sweep.loading.push(loading);
        }
        // A slack node's supply (its own load included), shared by the sources on it.
        for &s in sources {
            let k = node[ix.source_bus[s]];
            let on_node = sources
                .iter()
                .filter(|&&o| node[ix.source_bus[o]] == k)
                .count()
                .max(1);
            let supply = v[k] * current[k].conj() + load[k];
            sweep.sources.push(s);
            sweep
                .source_mva
                .push(supply.abs() * net.sn_mva / on_node as f64);
        }
        Ok(sweep)
    }

    /// The charging of the lines hanging from `bus` behind a switch open at their far end: they
    /// still draw it (both halves taken here: the open end's half, seen through the series
    /// impedance, differs by micro-per-units).
    fn open_line_charging(&self, bus: usize, closed: &[bool]) -> C {
        let ix = self.ix;
        ix.adjacency[bus]
            .iter()
            .filter_map(|&br| {
                let b = &ix.branches[br];
                match b.kind {
                    BranchKind::Line(l)
                        if b.in_service
                            && !ix.conducts(br, closed)
                            && b.switches
                                .iter()
                                .all(|&s| ix.switch_bus[s] != bus || closed[s]) =>
                    {
                        Some(self.line_shunt[l])
                    }
                    _ => None,
                }
            })
            .fold(C::default(), |acc, y| acc + y)
    }

    /// Every source.
    pub fn all_sources(&self) -> Vec<usize> {
        (0..self.ix.net.sources.len()).collect()
    }
}

/// A branch's entries in the bus admittance matrix, from its model fed from end a at node `i`
/// to end b at node `k`: with t = 1/a and y = 1/z, the current into the branch at a is
/// (t²y + y_a)·V_a − t·y·V_b, and at b −t·y·V_a + (y + y_b)·V_b.
fn branch_admittance(m: Oriented, i: usize, k: usize) -> [(usize, usize, C); 4] {
    let y = C::new(1.0, 0.0) / m.z;
    let t = 1.0 / m.a;
    [
        (i, i, y.scale(t * t) + m.y_parent),
        (i, k, y.scale(-t)),
        (k, i, y.scale(-t)),
        (k, k, y + m.y_child),
    ]
}

/// The currents into a branch at its ends a and b (the models' two-port, as above).
fn terminal_currents(m: Oriented, va: C, vb: C) -> (C, C) {
    let y = C::new(1.0, 0.0) / m.z;
    let t = 1.0 / m.a;
    let series = y * (va.scale(t) - vb);
    (series.scale(t) + m.y_parent * va, m.y_child * vb - series)
}

/// Solves `a · x = b` in place (`a` row-major, `n`×`n`; `b` becomes x) by Gaussian elimination
/// with partial pivoting; false when `a` is singular. Kept here rather than a linear-algebra
/// crate: twenty lines against a dependency tree's compile time, for matrices of a few hundred.
fn solve_dense(a: &mut [f64], n: usize, b: &mut [f64]) -> bool {
    for col in 0..n {
        let Some(pivot) =
            (col..n).max_by(|&r, &s| a[r * n + col].abs().total_cmp(&a[s * n + col].abs()))
        else {
            return false;
        };
        if a[pivot * n + col].abs() < 1e-14 {
            return false;
        }
        if pivot != col {
            for c in 0..n {
                a.swap(pivot * n + c, col * n + c);
            }
            b.swap(pivot, col);
        }
        let diagonal = a[col * n + col];
        for row in col + 1..n {
            let factor = a[row * n + col] / diagonal;
            if factor == 0.0 {
                continue;
            }
            for c in col..n {
                a[row * n + c] -= factor * a[col * n + c];
            }
            b[row] -= factor * b[col];
        }
    }
    for row in (0..n).rev() {
        let mut sum = b[row];
        for c in row + 1..n {
            sum -= a[row * n + c] * b[c];
        }
        b[row] = sum / a[row * n + row];
    }
    true
}

fn branch_name(ix: &Indexed, br: usize) -> String {
    match ix.branches[br].kind {
        BranchKind::Line(l) => ix.net.lines[l].id.clone(),
        BranchKind::Transformer(t) => ix.net.transformers[t].id.clone(),
        BranchKind::Coupler(s) => ix.net.switches[s].id.clone(),
    }
}

/// Runs the load flow on the network as switched.
pub fn run(net: &Network) -> Result<Flow, FlowError> {
    let ix = Indexed::new(net);
    let solver = Solver::new(&ix);
    let sweep = solver.run(&ix.normal_state(), &solver.all_sources())?;
    let mut flow = Flow {
        iterations: sweep.iterations,
        newton: sweep.newton,
        ..Flow::default()
    };
    for (bus, vm) in sweep.buses.iter().zip(&sweep.vm_pu) {
        flow.vm_pu.insert(net.buses[*bus].id.clone(), *vm);
    }
    for (br, loading) in sweep.branches.iter().zip(&sweep.loading) {
        match ix.branches[*br].kind {
            BranchKind::Line(l) => {
                flow.line_loading.insert(net.lines[l].id.clone(), *loading);
            }
            BranchKind::Transformer(t) => {
                flow.trafo_loading
                    .insert(net.transformers[t].id.clone(), *loading);
            }
            BranchKind::Coupler(_) => {}
        }
    }
    Ok(flow)
}

/// A transformer's model fed from its hv side (`from_hv`) or its lv side.
fn transformer(net: &Network, i: usize, hv: usize, lv: usize, from_hv: bool) -> Oriented {
    let t = &net.transformers[i];
    let du = (t.tap_pos - t.tap_neutral) * t.tap_step_percent / 100.0;
    let (vn_hv, vn_lv) = match t.tap_side.as_deref() {
        Some("hv") => (t.vn_hv_kv * (1.0 + du), t.vn_lv_kv),
        Some("lv") => (t.vn_hv_kv, t.vn_lv_kv * (1.0 + du)),
        _ => (t.vn_hv_kv, t.vn_lv_kv),
    };
    let ratio = (vn_hv / vn_lv) / (net.buses[hv].vn_kv / net.buses[lv].vn_kv);
    let parallel = f64::from(t.parallel.max(1));
    let k = (vn_lv / net.buses[lv].vn_kv).powi(2) * net.sn_mva;
    let z_abs = t.vk_percent / 100.0 / t.sn_mva * k / parallel;
    let r = t.vkr_percent / 100.0 / t.sn_mva * k / parallel;
    let x = (z_abs * z_abs - r * r).max(0.0).sqrt();
    let pfe = t.pfe_kw / 1000.0;
    let ym = t.i0_percent / 100.0 * t.sn_mva;
    let y_m = C::new(pfe, -(ym * ym - pfe * pfe).max(0.0).sqrt())
        .scale(parallel / net.sn_mva * (net.buses[lv].vn_kv / vn_lv).powi(2));
    // The magnetising branch split to both sides (pandapower's pi model; its default T model
    // differs by micro-per-units).
    let half = y_m.scale(0.5);
    if from_hv {
        Oriented {
            z: C::new(r, x),
            a: ratio,
            y_parent: half.scale(1.0 / (ratio * ratio)),
            y_child: half,
        }
    } else {
        // Fed from the low side, the impedance is referred to the high side's base.
        Oriented {
            z: C::new(r, x).scale(1.0 / (ratio * ratio)),
            a: 1.0 / ratio,
            y_parent: half,
            y_child: half.scale(1.0 / (ratio * ratio)),
        }
    }
}
