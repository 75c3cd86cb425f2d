//! The distribution load flow: a backward/forward sweep over each radial feeder, in per unit on
//! the network's `sn_mva` and each bus's `vn_kv`, with pandapower's branch models (lines as pi
//! sections with their charging, transformers with their tap ratio, short-circuit impedance and
//! magnetising branch split to both sides) and constant-power loads. Voltage magnitudes and
//! loadings only: transformer phase shifts turn angles, not magnitudes, in a radial network.

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
}

/// Why a load flow could not be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// The closed network has a loop; the sweep needs radial feeders.
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

    /// The load flow of the feeders of `sources` in switching state `closed`.
    pub fn run(&self, closed: &[bool], sources: &[usize]) -> Result<Sweep, FlowError> {
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
            // Lines hanging from this bus behind an open switch still draw their charging
            // current (both halves taken here: the open end's half, seen through the series
            // impedance, differs by micro-per-units).
            for &br in &ix.adjacency[bus] {
                let b = &ix.branches[br];
                if let BranchKind::Line(l) = b.kind
                    && b.in_service
                    && !ix.conducts(br, closed)
                    && b.switches
                        .iter()
                        .all(|&s| ix.switch_bus[s] != bus || closed[s])
                {
                    shunt[k] = shunt[k] + self.line_shunt[l];
                }
            }
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

    /// Every source.
    pub fn all_sources(&self) -> Vec<usize> {
        (0..self.ix.net.sources.len()).collect()
    }
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
