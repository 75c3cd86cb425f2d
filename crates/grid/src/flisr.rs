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

    /// Each zone's feeding switch in the normal state: (zone → switch index), by breadth-first
    /// search from the source zones over closed switches.
    fn feeding(&self) -> BTreeMap<usize, usize> {
        let mut fed: BTreeMap<usize, usize> = BTreeMap::new();
        let mut seen: BTreeSet<usize> = self.source_zones.clone();
        let mut queue: VecDeque<usize> = self.source_zones.iter().copied().collect();
        while let Some(z) = queue.pop_front() {
            for (i, (_, a, b, closed)) in self.switches.iter().enumerate() {
                if !closed {
                    continue;
                }
                let other = if *a == z {
                    *b
                } else if *b == z {
                    *a
                } else {
                    continue;
                };
                if seen.insert(other) {
                    fed.insert(other, i);
                    queue.push_back(other);
                }
            }
        }
        fed
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
