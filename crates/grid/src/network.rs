//! The network model and its checks: every reference resolves, every bus that carries load can
//! be reached from a source in the normal switching state, and the closed network is radial.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What a bus is in the street.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BusKind {
    /// A substation's 10 kV busbar, where a feeder starts.
    Substation,
    /// 开闭所.
    SwitchingStation,
    /// 配电房.
    DistributionRoom,
    RingMainUnit,
    /// A low-voltage busbar behind a transformer.
    LowVoltage,
    #[default]
    Junction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bus {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub vn_kv: f64,
    #[serde(default)]
    pub kind: BusKind,
}

/// A supply: a substation transformer (or the external grid) feeding a bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: String,
    pub bus: String,
    /// What it can carry, MVA.
    pub capacity_mva: f64,
    /// The substation it belongs to: faults of a whole station take all its sources.
    #[serde(default)]
    pub station: String,
    #[serde(default = "one")]
    pub vm_pu: f64,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

fn one_u32() -> u32 {
    1
}

fn fifty() -> f64 {
    50.0
}

/// A line or cable section between two buses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub id: String,
    pub from: String,
    pub to: String,
    pub length_km: f64,
    pub r_ohm_per_km: f64,
    pub x_ohm_per_km: f64,
    #[serde(default)]
    pub c_nf_per_km: f64,
    /// The thermal limit, kA.
    pub max_i_ka: f64,
    #[serde(default)]
    pub g_us_per_km: f64,
    /// Identical circuits in parallel.
    #[serde(default = "one_u32")]
    pub parallel: u32,
    /// Derating of the thermal limit (1 = none).
    #[serde(default = "one")]
    pub df: f64,
    /// The cable channel (电缆通道) it runs in: a channel lost takes every cable in it.
    #[serde(default)]
    pub channel: String,
    #[serde(default = "yes")]
    pub in_service: bool,
    /// Faults a year on this line; when absent, its length times the network's rate.
    #[serde(default)]
    pub failures_per_year: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwitchKind {
    /// Interrupts fault current.
    Breaker,
    /// Interrupts load current only.
    LoadBreak,
    /// Opens only when no current flows.
    Disconnector,
}

/// What a switch connects its bus to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwitchElement {
    Line(String),
    Transformer(String),
    Bus(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Switch {
    pub id: String,
    pub bus: String,
    pub element: SwitchElement,
    pub kind: SwitchKind,
    /// Its normal state: an open switch between feeders is a tie (联络开关).
    pub closed: bool,
    /// Operated by its terminal (remote or automatic) rather than by a crew on site.
    #[serde(default)]
    pub automated: bool,
    /// How long one operation takes, ms.
    #[serde(default = "default_operate_ms")]
    pub operate_ms: u32,
}

fn default_operate_ms() -> u32 {
    100
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transformer {
    pub id: String,
    pub hv_bus: String,
    pub lv_bus: String,
    pub sn_mva: f64,
    pub vn_hv_kv: f64,
    pub vn_lv_kv: f64,
    pub vk_percent: f64,
    pub vkr_percent: f64,
    #[serde(default)]
    pub pfe_kw: f64,
    #[serde(default)]
    pub i0_percent: f64,
    #[serde(default)]
    pub shift_degree: f64,
    /// Where the tap changer is (`hv` or `lv`), if there is one.
    #[serde(default)]
    pub tap_side: Option<String>,
    #[serde(default)]
    pub tap_neutral: f64,
    #[serde(default)]
    pub tap_pos: f64,
    #[serde(default)]
    pub tap_step_percent: f64,
    #[serde(default = "one_u32")]
    pub parallel: u32,
    #[serde(default = "one")]
    pub df: f64,
    #[serde(default = "yes")]
    pub in_service: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Load {
    pub id: String,
    pub bus: String,
    pub p_kw: f64,
    #[serde(default)]
    pub q_kvar: f64,
    #[serde(default)]
    pub customers: u32,
    /// Customers here who depend on power for life (home dialysis, oxygen): restored first.
    #[serde(default)]
    pub priority_customers: u32,
}

/// An emergency power connection point (应急电源快速接口): where a mobile generator can be
/// plugged in to pick up load that no feeder can.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyPoint {
    pub id: String,
    pub bus: String,
    #[serde(default)]
    pub name: String,
}

/// A monitoring sensor (or an inspection robot's reading point) in a station or room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensor {
    pub id: String,
    pub bus: String,
    /// temperature, humidity, smoke, ozone or air_conditioner (see `alarms::KINDS`).
    pub kind: String,
}

/// What reliability is computed from (IEEE 1366): how often lines fail and how long things take.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliabilityData {
    /// Faults per km of line per year, for lines without their own `failures_per_year`.
    #[serde(default = "default_failure_rate")]
    pub failures_per_km_year: f64,
    /// Hours to repair a faulted section.
    #[serde(default = "default_repair_hours")]
    pub repair_hours: f64,
    /// Minutes from fault to restoration when a crew has to operate switches by hand (the
    /// manual baseline: 46 minutes, DOMAIN.md §3).
    #[serde(default = "default_manual_minutes")]
    pub manual_switching_minutes: f64,
    /// Minutes for a mobile generator to arrive and be connected.
    #[serde(default = "default_generator_minutes")]
    pub generator_minutes: f64,
}

fn default_failure_rate() -> f64 {
    0.04
}
fn default_repair_hours() -> f64 {
    4.0
}
fn default_manual_minutes() -> f64 {
    46.0
}
fn default_generator_minutes() -> f64 {
    60.0
}

impl Default for ReliabilityData {
    fn default() -> ReliabilityData {
        ReliabilityData {
            failures_per_km_year: default_failure_rate(),
            repair_hours: default_repair_hours(),
            manual_switching_minutes: default_manual_minutes(),
            generator_minutes: default_generator_minutes(),
        }
    }
}

/// A whole network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Network {
    pub name: String,
    /// The per-unit base power, MVA.
    #[serde(default = "one")]
    pub sn_mva: f64,
    #[serde(default = "fifty")]
    pub f_hz: f64,
    pub buses: Vec<Bus>,
    pub sources: Vec<Source>,
    pub lines: Vec<Line>,
    pub switches: Vec<Switch>,
    pub transformers: Vec<Transformer>,
    pub loads: Vec<Load>,
    #[serde(default)]
    pub emergency_points: Vec<EmergencyPoint>,
    #[serde(default)]
    pub sensors: Vec<Sensor>,
    #[serde(default)]
    pub reliability: ReliabilityData,
}

/// One problem with a network, naming the element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkError {
    /// `line L3`, `switch S12`, …
    pub element: String,
    pub message: String,
}

impl std::fmt::Display for NetworkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.element, self.message)
    }
}

/// Greater than zero (NaN is not).
fn positive(x: f64) -> bool {
    x > 0.0
}

/// Union-find over bus indexes.
struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn new(n: usize) -> Components {
        Components {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins two sets; false when they were one already (the edge closes a loop).
    fn join(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        self.parent[ra] = rb;
        true
    }
}

impl Network {
    /// Whether an open switch sits on the line: then it does not conduct.
    pub fn line_opened(&self, id: &str) -> bool {
        self.switches
            .iter()
            .any(|s| !s.closed && matches!(&s.element, SwitchElement::Line(l) if l == id))
    }

    /// Whether an open switch sits on the transformer.
    pub fn transformer_opened(&self, id: &str) -> bool {
        self.switches
            .iter()
            .any(|s| !s.closed && matches!(&s.element, SwitchElement::Transformer(t) if t == id))
    }

    /// Every problem of the network, or none.
    pub fn check(&self) -> Vec<NetworkError> {
        self.check_operation(true)
    }

    /// As `check`, for a load flow alone: loops and sources in parallel are allowed (the load
    /// flow solves meshed operation by Newton–Raphson); fault isolation and restoration need
    /// `check`'s radial operation.
    pub fn check_for_flow(&self) -> Vec<NetworkError> {
        self.check_operation(false)
    }

    fn check_operation(&self, radial: bool) -> Vec<NetworkError> {
        let mut errors = Vec::new();
        let mut error =
            |element: String, message: String| errors.push(NetworkError { element, message });
        let mut ids: BTreeSet<(&str, &str)> = BTreeSet::new();
        let kinds: [(&str, Vec<&str>); 6] = [
            ("bus", self.buses.iter().map(|b| b.id.as_str()).collect()),
            (
                "source",
                self.sources.iter().map(|s| s.id.as_str()).collect(),
            ),
            ("line", self.lines.iter().map(|l| l.id.as_str()).collect()),
            (
                "switch",
                self.switches.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "transformer",
                self.transformers.iter().map(|t| t.id.as_str()).collect(),
            ),
            ("load", self.loads.iter().map(|l| l.id.as_str()).collect()),
        ];
        for (kind, list) in &kinds {
            for id in list {
                if !ids.insert((kind, id)) {
                    error(format!("{kind} {id}"), "the id is used twice".into());
                }
            }
        }
        let bus_index: BTreeMap<&str, usize> = self
            .buses
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.as_str(), i))
            .collect();
        let bus = |id: &str| bus_index.get(id).copied();
        for b in &self.buses {
            if !positive(b.vn_kv) {
                error(
                    format!("bus {}", b.id),
                    format!("vn_kv must be positive, not {}", b.vn_kv),
                );
            }
        }
        for s in &self.sources {
            if bus(&s.bus).is_none() {
                error(format!("source {}", s.id), format!("no bus {:?}", s.bus));
            }
            if !positive(s.capacity_mva) {
                error(
                    format!("source {}", s.id),
                    "capacity_mva must be positive".into(),
                );
            }
        }
        for l in &self.lines {
            for end in [&l.from, &l.to] {
                if bus(end).is_none() {
                    error(format!("line {}", l.id), format!("no bus {end:?}"));
                }
            }
            if l.from == l.to {
                error(format!("line {}", l.id), "both ends on the same bus".into());
            }
            if !positive(l.length_km)
                || !positive(l.max_i_ka)
                || l.r_ohm_per_km < 0.0
                || l.x_ohm_per_km < 0.0
            {
                error(
                    format!("line {}", l.id),
                    "length_km and max_i_ka must be positive, r and x not negative".into(),
                );
            }
            if let (Some(a), Some(b)) = (bus(&l.from), bus(&l.to))
                && (self.buses[a].vn_kv - self.buses[b].vn_kv).abs() > 1e-6
            {
                error(
                    format!("line {}", l.id),
                    format!(
                        "joins {} kV to {} kV (a transformer is needed)",
                        self.buses[a].vn_kv, self.buses[b].vn_kv
                    ),
                );
            }
        }
        for t in &self.transformers {
            for end in [&t.hv_bus, &t.lv_bus] {
                if bus(end).is_none() {
                    error(format!("transformer {}", t.id), format!("no bus {end:?}"));
                }
            }
            if !positive(t.sn_mva)
                || !positive(t.vk_percent)
                || t.vkr_percent < 0.0
                || t.vkr_percent > t.vk_percent
            {
                error(
                    format!("transformer {}", t.id),
                    "sn_mva and vk_percent must be positive, 0 <= vkr_percent <= vk_percent".into(),
                );
            }
        }
        for l in &self.loads {
            if bus(&l.bus).is_none() {
                error(format!("load {}", l.id), format!("no bus {:?}", l.bus));
            }
            if l.priority_customers > l.customers {
                error(
                    format!("load {}", l.id),
                    format!(
                        "{} priority customers but only {} customers",
                        l.priority_customers, l.customers
                    ),
                );
            }
        }
        for p in &self.emergency_points {
            if bus(&p.bus).is_none() {
                error(
                    format!("emergency_point {}", p.id),
                    format!("no bus {:?}", p.bus),
                );
            }
        }
        let mut sensor_ids = BTreeSet::new();
        for x in &self.sensors {
            if !sensor_ids.insert(x.id.as_str()) {
                error(format!("sensor {}", x.id), "the id is used twice".into());
            }
            if bus(&x.bus).is_none() {
                error(format!("sensor {}", x.id), format!("no bus {:?}", x.bus));
            }
            if !crate::alarms::KINDS.iter().any(|(k, _)| *k == x.kind) {
                error(
                    format!("sensor {}", x.id),
                    format!("kind {:?} is not a sensor kind", x.kind),
                );
            }
        }
        for l in &self.lines {
            if l.failures_per_year
                .is_some_and(|f| !(f >= 0.0 && f.is_finite()))
            {
                error(
                    format!("line {}", l.id),
                    "failures_per_year must be a number 0 or more".into(),
                );
            }
        }
        let r = &self.reliability;
        if ![
            r.failures_per_km_year,
            r.repair_hours,
            r.manual_switching_minutes,
            r.generator_minutes,
        ]
        .iter()
        .all(|x| *x >= 0.0 && x.is_finite())
        {
            error(
                "reliability".into(),
                "rates and times must be numbers 0 or more".into(),
            );
        }
        let line_ids: BTreeSet<&str> = self.lines.iter().map(|l| l.id.as_str()).collect();
        let trafo_ids: BTreeSet<&str> = self.transformers.iter().map(|t| t.id.as_str()).collect();
        for s in &self.switches {
            if bus(&s.bus).is_none() {
                error(format!("switch {}", s.id), format!("no bus {:?}", s.bus));
            }
            let (kind, target, known) = match &s.element {
                SwitchElement::Line(id) => ("line", id, line_ids.contains(id.as_str())),
                SwitchElement::Transformer(id) => {
                    ("transformer", id, trafo_ids.contains(id.as_str()))
                }
                SwitchElement::Bus(id) => ("bus", id, bus(id).is_some()),
            };
            if !known {
                error(format!("switch {}", s.id), format!("no {kind} {target:?}"));
            }
        }
        if errors.is_empty() {
            errors.extend(self.topology_errors(&bus_index, radial));
        }
        errors
    }

    /// In the normal switching state: loops (when it must be operated radially), and buses with
    /// load that no source reaches.
    fn topology_errors(
        &self,
        bus_index: &BTreeMap<&str, usize>,
        radial: bool,
    ) -> Vec<NetworkError> {
        let mut errors = Vec::new();
        let n = self.buses.len();
        // A branch conducts when it is in service and every switch on it is closed.
        let mut edges: Vec<(usize, usize, String)> = Vec::new();
        for l in self
            .lines
            .iter()
            .filter(|l| l.in_service && !self.line_opened(&l.id))
        {
            edges.push((
                bus_index[l.from.as_str()],
                bus_index[l.to.as_str()],
                format!("line {}", l.id),
            ));
        }
        for t in self
            .transformers
            .iter()
            .filter(|t| t.in_service && !self.transformer_opened(&t.id))
        {
            edges.push((
                bus_index[t.hv_bus.as_str()],
                bus_index[t.lv_bus.as_str()],
                format!("transformer {}", t.id),
            ));
        }
        for s in self.switches.iter().filter(|s| s.closed) {
            if let SwitchElement::Bus(other) = &s.element {
                edges.push((
                    bus_index[s.bus.as_str()],
                    bus_index[other.as_str()],
                    format!("switch {}", s.id),
                ));
            }
        }
        // Every source bus belongs to one virtual root, so two sources tied together are a loop.
        let root = n;
        let mut components = Components::new(n + 1);
        for s in &self.sources {
            if !components.join(bus_index[s.bus.as_str()], root) && radial {
                errors.push(NetworkError {
                    element: format!("source {}", s.id),
                    message: "its bus is fed by another source already: two sources in parallel"
                        .into(),
                });
            }
        }
        for (a, b, name) in &edges {
            if !components.join(*a, *b) && radial {
                errors.push(NetworkError {
                    element: name.clone(),
                    message: "closes a loop in the normal switching state; radial operation needs an open switch on it or on the loop".into(),
                });
            }
        }
        let fed = components.find(root);
        let mut unfed: BTreeSet<&str> = BTreeSet::new();
        for l in &self.loads {
            let i = bus_index[l.bus.as_str()];
            if components.find(i) != fed {
                unfed.insert(l.bus.as_str());
            }
        }
        if !unfed.is_empty() {
            errors.push(NetworkError {
                element: "network".into(),
                message: format!(
                    "no source reaches the load(s) on bus(es) {} in the normal switching state",
                    unfed.into_iter().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        errors
    }
}
