//! The distribution load flow: a backward/forward sweep over each radial feeder, in per unit on
//! the network's `sn_mva` and each bus's `vn_kv`, with pandapower's branch models (lines as pi
//! sections with their charging, transformers with their tap ratio, short-circuit impedance and
//! magnetising branch split to both sides) and constant-power loads. Voltage magnitudes and
//! loadings only: transformer phase shifts turn angles, not magnitudes, in a radial network.

use std::collections::BTreeMap;
use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::network::{Network, SwitchElement};

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
    fn abs(self) -> f64 {
        self.re.hypot(self.im)
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

/// A conducting branch of the tree, seen from its parent bus.
#[derive(Debug, Clone, Copy)]
struct Branch {
    parent: usize,
    child: usize,
    /// Series impedance, per unit on the child side.
    z: C,
    /// Off-nominal ratio seen from the parent (1 for lines): V_child = V_parent / a − z·I.
    a: f64,
    /// Index in `lines` or `transformers`, and which.
    element: usize,
    is_line: bool,
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

const MAX_ITERATIONS: usize = 100;
const TOLERANCE: f64 = 1e-10;

/// Runs the load flow on the network as switched.
pub fn run(net: &Network) -> Result<Flow, FlowError> {
    let index: BTreeMap<&str, usize> = net
        .buses
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.as_str(), i))
        .collect();
    let n = net.buses.len();
    let base = |bus: usize| net.buses[bus].vn_kv * net.buses[bus].vn_kv / net.sn_mva;
    // Edges: (bus a, bus b, element, is_line).
    let mut adjacency: Vec<Vec<(usize, usize, bool)>> = vec![Vec::new(); n];
    for (i, l) in net.lines.iter().enumerate() {
        if l.in_service && !net.line_opened(&l.id) {
            let (a, b) = (index[l.from.as_str()], index[l.to.as_str()]);
            adjacency[a].push((b, i, true));
            adjacency[b].push((a, i, true));
        }
    }
    for (i, t) in net.transformers.iter().enumerate() {
        if t.in_service && !net.transformer_opened(&t.id) {
            let (a, b) = (index[t.hv_bus.as_str()], index[t.lv_bus.as_str()]);
            adjacency[a].push((b, i, false));
            adjacency[b].push((a, i, false));
        }
    }
    // The trees: breadth first from every source.
    let mut v = vec![C::default(); n];
    let mut reached = vec![false; n];
    let mut order: Vec<usize> = Vec::new();
    let mut branches: Vec<Branch> = Vec::new();
    let mut parent_branch: Vec<Option<usize>> = vec![None; n];
    let mut roots: Vec<(usize, f64)> = Vec::new();
    for s in &net.sources {
        let root = index[s.bus.as_str()];
        if reached[root] {
            return Err(FlowError::NotRadial(format!("source {}", s.id)));
        }
        reached[root] = true;
        roots.push((root, s.vm_pu));
        let mut queue = std::collections::VecDeque::from([root]);
        while let Some(bus) = queue.pop_front() {
            order.push(bus);
            for &(other, element, is_line) in &adjacency[bus] {
                if parent_branch[bus].is_some_and(|b| {
                    branches[b].element == element && branches[b].is_line == is_line
                }) {
                    continue;
                }
                if reached[other] {
                    let name = if is_line {
                        &net.lines[element].id
                    } else {
                        &net.transformers[element].id
                    };
                    return Err(FlowError::NotRadial(name.clone()));
                }
                reached[other] = true;
                branches.push(branch(net, bus, other, element, is_line, &base));
                parent_branch[other] = Some(branches.len() - 1);
                queue.push_back(other);
            }
        }
    }
    // Lines hanging from one end behind an open switch still draw their charging current.
    let mut hanging = vec![C::default(); n];
    for l in net
        .lines
        .iter()
        .filter(|l| l.in_service && net.line_opened(&l.id))
    {
        let (a, b) = (index[l.from.as_str()], index[l.to.as_str()]);
        let y = line_shunt(net, l, base(a));
        let closed_end = |bus: &str| {
            !net.switches.iter().any(|s| {
                !s.closed
                    && s.bus == bus
                    && matches!(&s.element, SwitchElement::Line(x) if *x == l.id)
            })
        };
        // Half the charging at the open end, seen through the series impedance, is small:
        // both halves are taken at the live end.
        if closed_end(&l.from) && reached[a] {
            hanging[a] = hanging[a] + y;
        } else if closed_end(&l.to) && reached[b] {
            hanging[b] = hanging[b] + y;
        }
    }
    let mut load = vec![C::default(); n];
    for d in &net.loads {
        let bus = index[d.bus.as_str()];
        load[bus] = load[bus] + C::new(d.p_kw, d.q_kvar).scale(1.0 / 1000.0 / net.sn_mva);
    }
    let mut shunt = hanging;
    for b in &branches {
        shunt[b.parent] = shunt[b.parent] + b.y_parent;
        shunt[b.child] = shunt[b.child] + b.y_child;
    }
    for (root, vm) in &roots {
        v[*root] = C::new(*vm, 0.0);
    }
    for &bus in &order {
        if let Some(b) = parent_branch[bus] {
            let br = branches[b];
            v[bus] = v[br.parent].scale(1.0 / br.a);
        }
    }
    let mut current = vec![C::default(); branches.len()];
    let mut iterations = 0;
    loop {
        iterations += 1;
        // Backward: what every subtree draws.
        let mut draw = vec![C::default(); n];
        for &bus in order.iter().rev() {
            let own = (load[bus] / v[bus]).conj() + shunt[bus] * v[bus];
            draw[bus] = draw[bus] + own;
            if let Some(b) = parent_branch[bus] {
                current[b] = draw[bus];
                let parent = branches[b].parent;
                draw[parent] = draw[parent] + draw[bus].scale(1.0 / branches[b].a);
            }
        }
        // Forward: voltages down every feeder.
        let mut change: f64 = 0.0;
        for &bus in &order {
            if let Some(b) = parent_branch[bus] {
                let br = branches[b];
                let new = v[br.parent].scale(1.0 / br.a) - br.z * current[b];
                change = change.max((new - v[bus]).abs());
                v[bus] = new;
            }
        }
        if change < TOLERANCE {
            break;
        }
        if iterations >= MAX_ITERATIONS || !change.is_finite() {
            return Err(FlowError::NoConvergence);
        }
    }
    let mut flow = Flow {
        iterations,
        ..Flow::default()
    };
    for &bus in &order {
        flow.vm_pu.insert(net.buses[bus].id.clone(), v[bus].abs());
    }
    for (b, br) in branches.iter().enumerate() {
        // Terminal currents: the series current plus or minus the branch's own shunts.
        let child_end = current[b] - br.y_child * v[br.child];
        let parent_end = (current[b]).scale(1.0 / br.a) + br.y_parent * v[br.parent];
        let i_base = |bus: usize| net.sn_mva / (3f64.sqrt() * net.buses[bus].vn_kv);
        let i_parent = parent_end.abs() * i_base(br.parent);
        let i_child = child_end.abs() * i_base(br.child);
        if br.is_line {
            let l = &net.lines[br.element];
            let limit = l.max_i_ka * l.df * f64::from(l.parallel.max(1));
            flow.line_loading
                .insert(l.id.clone(), i_parent.max(i_child) / limit * 100.0);
        } else {
            let t = &net.transformers[br.element];
            let (hv, lv) = if t.hv_bus == net.buses[br.parent].id {
                (i_parent, i_child)
            } else {
                (i_child, i_parent)
            };
            let s = (hv * t.vn_hv_kv).max(lv * t.vn_lv_kv) * 3f64.sqrt();
            flow.trafo_loading.insert(
                t.id.clone(),
                s / (t.sn_mva * f64::from(t.parallel.max(1)) * t.df) * 100.0,
            );
        }
    }
    Ok(flow)
}

/// A line's whole shunt admittance (charging and conductance), per unit on `z_base`.
fn line_shunt(net: &Network, l: &crate::network::Line, z_base: f64) -> C {
    let parallel = f64::from(l.parallel.max(1));
    C::new(
        l.g_us_per_km * 1e-6,
        2.0 * std::f64::consts::PI * net.f_hz * l.c_nf_per_km * 1e-9,
    )
    .scale(l.length_km * parallel * z_base)
}

fn branch(
    net: &Network,
    parent: usize,
    child: usize,
    element: usize,
    is_line: bool,
    base: &dyn Fn(usize) -> f64,
) -> Branch {
    if is_line {
        let l = &net.lines[element];
        let parallel = f64::from(l.parallel.max(1));
        let z = C::new(l.r_ohm_per_km, l.x_ohm_per_km).scale(l.length_km / parallel / base(parent));
        let y = line_shunt(net, l, base(parent)).scale(0.5);
        return Branch {
            parent,
            child,
            z,
            a: 1.0,
            element,
            is_line,
            y_parent: y,
            y_child: y,
        };
    }
    let t = &net.transformers[element];
    let (hv, lv) = if net.buses[parent].id == t.hv_bus {
        (parent, child)
    } else {
        (child, parent)
    };
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
    let (a, y_parent, y_child) = if hv == parent {
        (ratio, half.scale(1.0 / (ratio * ratio)), half)
    } else {
        (1.0 / ratio, half, half.scale(1.0 / (ratio * ratio)))
    };
    // Fed from the low side, the impedance is referred to the high side's base.
    let z = if hv == parent {
        C::new(r, x)
    } else {
        C::new(r, x).scale(1.0 / (ratio * ratio))
    };
    Branch {
        parent,
        child,
        z,
        a,
        element,
        is_line,
        y_parent,
        y_child,
    }
}
