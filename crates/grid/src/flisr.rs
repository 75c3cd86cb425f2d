//! Fault location and isolation (the first two steps of FLISR). The network is cut into zones at
//! its switches: a zone is what stays connected when every switch is taken out, so a switch
//! always joins two zones. A fault on a line lies in that line's zone; the terminals on the path
//! from the source to it see the fault current pass (fault-passage indications). The faulted
//! zone is the one whose feeding switch saw the fault and none of whose onward switches did;
//! isolating it means opening the closed switches around it, and one step further around a
//! switch that fails to open. Restoration comes next.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::network::{Network, SwitchElement};

/// The zones of a network and the switches between them.
#[derive(Debug, Clone)]
pub struct Zones {
    /// Zone of each bus, line and transformer (by id).
    zone_of: BTreeMap<String, usize>,
    /// Each switch: (id, zone on its bus side, zone on its element side, closed).
    switches: Vec<(String, usize, usize, bool)>,
    /// The zones holding a source.
    source_zones: BTreeSet<usize>,
    count: usize,
}

/// What isolating a fault takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolation {
    /// The zones taken out of service (the faulted one, and more if a switch failed).
    pub zones: BTreeSet<usize>,
    /// The switches to open, in order.
    pub open: Vec<String>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

impl Zones {
    pub fn of(net: &Network) -> Zones {
        // Items: buses, then lines, then transformers.
        let nb = net.buses.len();
        let nl = net.lines.len();
        let mut item: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (i, b) in net.buses.iter().enumerate() {
            item.insert(("bus", b.id.as_str()), i);
        }
        for (i, l) in net.lines.iter().enumerate() {
            item.insert(("line", l.id.as_str()), nb + i);
        }
        for (i, t) in net.transformers.iter().enumerate() {
            item.insert(("transformer", t.id.as_str()), nb + nl + i);
        }
        let total = nb + nl + net.transformers.len();
        let mut parent: Vec<usize> = (0..total).collect();
        let switched = |kind: &str, id: &str, bus: &str| {
            net.switches.iter().any(|s| {
                s.bus == bus
                    && match (&s.element, kind) {
                        (SwitchElement::Line(l), "line") => l == id,
                        (SwitchElement::Transformer(t), "transformer") => t == id,
                        _ => false,
                    }
            })
        };
        let join = |a: usize, b: usize, parent: &mut Vec<usize>| {
            let (ra, rb) = (find(parent, a), find(parent, b));
            parent[ra] = rb;
        };
        for l in &net.lines {
            for end in [&l.from, &l.to] {
                if !switched("line", &l.id, end)
                    && let (Some(a), Some(b)) = (
                        item.get(&("line", l.id.as_str())),
                        item.get(&("bus", end.as_str())),
                    )
                {
                    join(*a, *b, &mut parent);
                }
            }
        }
        for t in &net.transformers {
            for end in [&t.hv_bus, &t.lv_bus] {
                if !switched("transformer", &t.id, end)
                    && let (Some(a), Some(b)) = (
                        item.get(&("transformer", t.id.as_str())),
                        item.get(&("bus", end.as_str())),
                    )
                {
                    join(*a, *b, &mut parent);
                }
            }
        }
        // Number the zones densely.
        let mut number: BTreeMap<usize, usize> = BTreeMap::new();
        let mut zone_of = BTreeMap::new();
        for ((_, id), i) in &item {
            let root = find(&mut parent, *i);
            let next = number.len();
            let z = *number.entry(root).or_insert(next);
            zone_of.insert((*id).to_string(), z);
        }
        let switches = net
            .switches
            .iter()
            .filter_map(|s| {
                let a = *zone_of.get(&s.bus)?;
                let target = match &s.element {
                    SwitchElement::Line(id)
                    | SwitchElement::Transformer(id)
                    | SwitchElement::Bus(id) => id,
                };
                let b = *zone_of.get(target)?;
                Some((s.id.clone(), a, b, s.closed))
            })
            .collect();
        let source_zones = net
            .sources
            .iter()
            .filter_map(|s| zone_of.get(&s.bus).copied())
            .collect();
        Zones {
            zone_of,
            switches,
            source_zones,
            count: number.len(),
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The zone of a bus, line or transformer.
    pub fn zone(&self, element: &str) -> Option<usize> {
        self.zone_of.get(element).copied()
    }

    /// Breadth-first search from `starts` over the switches that `conducts` (by index), into
    /// the zones `allowed`: every zone reached, with the switch it was reached through.
    fn spread(
        &self,
        starts: impl IntoIterator<Item = usize>,
        conducts: impl Fn(usize) -> bool,
        allowed: impl Fn(usize) -> bool,
    ) -> BTreeMap<usize, Option<usize>> {
        let mut reached: BTreeMap<usize, Option<usize>> =
            starts.into_iter().map(|z| (z, None)).collect();
        let mut queue: VecDeque<usize> = reached.keys().copied().collect();
        while let Some(z) = queue.pop_front() {
            for (i, (_, a, b, _)) in self.switches.iter().enumerate() {
                let other = if *a == z {
                    *b
                } else if *b == z {
                    *a
                } else {
                    continue;
                };
                if conducts(i) && allowed(other) && !reached.contains_key(&other) {
                    reached.insert(other, Some(i));
                    queue.push_back(other);
                }
            }
        }
        reached
    }

    /// Each zone's feeding switch in the normal state (zone → switch index).
    fn feeding(&self) -> BTreeMap<usize, usize> {
        self.spread(
            self.source_zones.iter().copied(),
            |i| self.switches[i].3,
            |_| true,
        )
        .into_iter()
        .filter_map(|(z, s)| Some((z, s?)))
        .collect()
    }

    /// The switches that see a fault in a zone pass (those between the source and it).
    pub fn indications(&self, faulted: usize) -> BTreeSet<String> {
        let fed = self.feeding();
        let mut out = BTreeSet::new();
        let mut z = faulted;
        while let Some(&s) = fed.get(&z) {
            let (id, a, b, _) = &self.switches[s];
            out.insert(id.clone());
            z = if *a == z { *b } else { *a };
        }
        out
    }

    /// The faulted zone from the switches that saw the fault: fed through an indicating switch,
    /// and no switch it feeds onward indicates.
    pub fn locate(&self, indicating: &BTreeSet<String>) -> Option<usize> {
        if indicating.is_empty() {
            return None;
        }
        let fed = self.feeding();
        let mut candidates = (0..self.count).filter(|z| {
            // Below an indicating switch (a fault in a source's own zone shows no indication).
            let upstream = fed
                .get(z)
                .is_some_and(|&s| indicating.contains(&self.switches[s].0));
            let onward = fed
                .iter()
                .filter(|(child, s)| {
                    let (_, a, b, _) = &self.switches[**s];
                    **child != *z && (*a == *z || *b == *z)
                })
                .any(|(_, s)| indicating.contains(&self.switches[*s].0));
            upstream && !onward
        });
        let first = candidates.next();
        // Indications that point at two places do not locate anything.
        if candidates.next().is_some() {
            return None;
        }
        first
    }

    /// The switches to open to take a zone out, going one zone further around any switch in
    /// `failed` (a switch that did not open).
    pub fn isolate(&self, faulted: usize, failed: &BTreeSet<String>) -> Isolation {
        let mut zones = BTreeSet::from([faulted]);
        loop {
            let boundary: Vec<&(String, usize, usize, bool)> = self
                .switches
                .iter()
                .filter(|(_, a, b, closed)| *closed && (zones.contains(a) != zones.contains(b)))
                .collect();
            let stuck: Vec<usize> = boundary
                .iter()
                .filter(|(id, ..)| failed.contains(id))
                .map(|(_, a, b, _)| if zones.contains(a) { *b } else { *a })
                .collect();
            if stuck.is_empty() {
                let open = boundary.iter().map(|(id, ..)| id.clone()).collect();
                return Isolation { zones, open };
            }
            zones.extend(stuck);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::{DEMO_ZONE, read};

    #[test]
    fn a_cable_fault_is_located_from_the_indications_and_isolated_by_its_two_switches() {
        let net = read(DEMO_ZONE).expect("demo");
        let zones = Zones::of(&net);
        let l3 = zones.zone("L3").expect("zone");
        let seen = zones.indications(l3);
        assert_eq!(
            seen,
            ["K1-1", "K1-2", "P1-1", "P1-2", "QA"]
                .map(String::from)
                .into()
        );
        assert_eq!(zones.locate(&seen), Some(l3));
        let iso = zones.isolate(l3, &BTreeSet::new());
        assert_eq!(iso.open, vec!["P1-2".to_string(), "P2-1".to_string()]);
        assert_eq!(iso.zones.len(), 1);
    }

    #[test]
    fn a_switch_that_fails_to_open_takes_isolation_one_step_further() {
        let net = read(DEMO_ZONE).expect("demo");
        let zones = Zones::of(&net);
        let l3 = zones.zone("L3").expect("zone");
        let iso = zones.isolate(l3, &BTreeSet::from(["P1-2".to_string()]));
        // P1's busbar and L2 go out too: open P1-1 instead (and P2-1 as before).
        assert!(iso.open.contains(&"P1-1".to_string()), "{iso:?}");
        assert!(iso.open.contains(&"P2-1".to_string()), "{iso:?}");
        assert!(!iso.open.contains(&"P1-2".to_string()));
        assert!(iso.zones.contains(&zones.zone("P1").expect("bus zone")));
    }

    #[test]
    fn every_line_fault_is_located_where_it_is() {
        let net = read(DEMO_ZONE).expect("demo");
        let zones = Zones::of(&net);
        for line in net.lines.iter().filter(|l| !net.line_opened(&l.id)) {
            let z = zones.zone(&line.id).expect("zone");
            assert_eq!(zones.locate(&zones.indications(z)), Some(z), "{}", line.id);
        }
    }
}

/// The limits a restored network must keep.
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

/// A restoration plan: isolate, then close ties for the healthy sections left without supply.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub isolation: Isolation,
    /// Ties closed, in order (sections with priority customers first).
    pub close: Vec<String>,
    pub restored_kw: f64,
    pub unrestored_kw: f64,
    pub restored_customers: u32,
    pub unrestored_customers: u32,
    pub restored_priority: u32,
    pub unrestored_priority: u32,
}

/// Whether the network as switched keeps the limits everywhere a source reaches.
fn within(net: &Network, limits: Limits) -> bool {
    let Ok(flow) = crate::loadflow::run(net) else {
        return false;
    };
    flow.vm_pu
        .values()
        .all(|v| (limits.min_vm_pu..=limits.max_vm_pu).contains(v))
        && flow
            .line_loading
            .values()
            .chain(flow.trafo_loading.values())
            .all(|l| *l <= limits.max_loading_percent)
}

fn set_switch(net: &mut Network, id: &str, closed: bool) {
    for s in net.switches.iter_mut().filter(|s| s.id == id) {
        s.closed = closed;
    }
}

impl Zones {
    /// Zones a source reaches over closed switches, given the switches now open.
    fn energised(&self, opened: &BTreeSet<String>, closed: &BTreeSet<String>) -> BTreeSet<usize> {
        self.spread(
            self.source_zones.iter().copied(),
            |i| self.conducts(i, opened, closed),
            |_| true,
        )
        .into_keys()
        .collect()
    }

    /// Whether switch `i` conducts once `opened` are opened and `closed` closed.
    fn conducts(&self, i: usize, opened: &BTreeSet<String>, closed: &BTreeSet<String>) -> bool {
        let (id, _, _, normally_closed) = &self.switches[i];
        (*normally_closed && !opened.contains(id)) || closed.contains(id)
    }
}

/// Plans from a located faulted zone: isolates it (one zone further around `failed` switches),
/// then restores each healthy section left without supply through the tie that keeps every
/// limit with the most margin, sections with priority customers first.
pub fn plan(net: &Network, faulted: usize, failed: &BTreeSet<String>, limits: Limits) -> Plan {
    let zones = Zones::of(net);
    let isolation = zones.isolate(faulted, failed);
    let opened: BTreeSet<String> = isolation.open.iter().cloned().collect();
    let mut closed: BTreeSet<String> = BTreeSet::new();
    let mut working = net.clone();
    for id in &opened {
        set_switch(&mut working, id, false);
    }
    let load_zone = |bus: &str| zones.zone(bus);
    let mut zone_priority: BTreeMap<usize, u32> = BTreeMap::new();
    for l in &net.loads {
        if let Some(z) = load_zone(&l.bus) {
            *zone_priority.entry(z).or_default() += l.priority_customers;
        }
    }
    loop {
        let live = zones.energised(&opened, &closed);
        let dark: BTreeSet<usize> = (0..zones.count)
            .filter(|z| !live.contains(z) && !isolation.zones.contains(z))
            .collect();
        // Ties from a dark section to a live one, the section with most priority customers
        // first.
        let mut candidates: Vec<(u32, String)> = zones
            .switches
            .iter()
            .enumerate()
            .filter(|(_, (id, ..))| !opened.contains(id) && !closed.contains(id))
            .filter_map(|(i, (id, a, b, normally_closed))| {
                let dark_side = match (dark.contains(a), dark.contains(b)) {
                    (true, false) if live.contains(b) => *a,
                    (false, true) if live.contains(a) => *b,
                    _ => return None,
                };
                if *normally_closed {
                    return None;
                }
                let section = zones.spread(
                    [dark_side],
                    |j| j != i && zones.conducts(j, &opened, &closed),
                    |z| dark.contains(&z),
                );
                let priority = section
                    .keys()
                    .map(|z| zone_priority.get(z).copied().unwrap_or(0))
                    .sum();
                Some((priority, id.clone()))
            })
            .collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let feasible = candidates.into_iter().find(|(_, id)| {
            let mut trial = working.clone();
            set_switch(&mut trial, id, true);
            within(&trial, limits)
        });
        match feasible {
            Some((_, id)) => {
                set_switch(&mut working, &id, true);
                closed.insert(id);
            }
            None => break,
        }
    }
    let live = zones.energised(&opened, &closed);
    let normal = zones.energised(&BTreeSet::new(), &BTreeSet::new());
    let feeding = zones.feeding();
    let mut p = Plan {
        isolation,
        close: closed.into_iter().collect(),
        restored_kw: 0.0,
        unrestored_kw: 0.0,
        restored_customers: 0,
        unrestored_customers: 0,
        restored_priority: 0,
        unrestored_priority: 0,
    };
    for l in &net.loads {
        let Some(z) = load_zone(&l.bus) else { continue };
        if !normal.contains(&z) {
            continue;
        }
        let lost_now = !live.contains(&z);
        // The fault took a load out when it sits in the isolated zones or was fed through them.
        let affected = lost_now || {
            let mut zone = z;
            let mut through = false;
            while let Some(&s) = feeding.get(&zone) {
                let (_, a, b, _) = &zones.switches[s];
                zone = if *a == zone { *b } else { *a };
                if p.isolation.zones.contains(&zone) {
                    through = true;
                    break;
                }
            }
            through
        };
        if !affected {
            continue;
        }
        if lost_now {
            p.unrestored_kw += l.p_kw;
            p.unrestored_customers += l.customers;
            p.unrestored_priority += l.priority_customers;
        } else {
            p.restored_kw += l.p_kw;
            p.restored_customers += l.customers;
            p.restored_priority += l.priority_customers;
        }
    }
    p
}

#[cfg(test)]
mod restoration_tests {
    use super::*;
    use crate::native::{DEMO_ZONE, read};

    #[test]
    fn the_healthy_room_behind_a_cable_fault_is_restored_through_the_tie() {
        let net = read(DEMO_ZONE).expect("demo");
        let zones = Zones::of(&net);
        let l3 = zones.zone("L3").expect("zone");
        let p = plan(&net, l3, &BTreeSet::new(), Limits::default());
        assert_eq!(
            p.isolation.open,
            vec!["P1-2".to_string(), "P2-1".to_string()]
        );
        assert_eq!(p.close, vec!["P2-2".to_string()], "{p:?}");
        assert_eq!(p.restored_kw, 650.0);
        assert_eq!(p.restored_customers, 260);
        assert_eq!(p.unrestored_kw, 0.0);
    }

    #[test]
    fn nothing_is_closed_that_would_break_a_limit() {
        let net = read(DEMO_ZONE).expect("demo");
        let zones = Zones::of(&net);
        let l3 = zones.zone("L3").expect("zone");
        let tight = Limits {
            // Feeder B runs at 32 % of its first cable; taking over P2 would bring it to ~40 %.
            max_loading_percent: 35.0,
            ..Limits::default()
        };
        let p = plan(&net, l3, &BTreeSet::new(), tight);
        assert!(p.close.is_empty(), "{p:?}");
        assert_eq!(p.unrestored_kw, 650.0);
    }
}
