//! Fault location, isolation and service restoration (FLISR) on the zones of an indexed network.
//!
//! A fault in a zone makes the nearest breaker above it trip (the feeder is dark below it). The
//! terminals on the path from the source to the fault see the fault current pass (fault-passage
//! indications); the faulted zone is the one below the deepest indicating switch. Isolation opens
//! the closed switches around it — one zone further around a switch that fails to open or whose
//! terminal has stopped talking. Then the tripped breaker recloses and every healthy dark section
//! is given back: whole, through the tie that keeps its new feeder within line, transformer,
//! source and voltage limits (sections with priority customers first), or, when no supply can
//! carry it whole, split zone by zone between ties. What no feeder can carry may be picked up by
//! a mobile generator at an emergency connection point. A plan starts from any switching state,
//! so a second fault during restoration is planned from the first plan's state.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

pub use crate::indexed::{Feeding, NONE};
use crate::indexed::{Indexed, Tally};
pub use crate::loadflow::Limits;
use crate::loadflow::Solver;
use crate::network::SwitchKind;

/// Adds `head` and every zone fed through it (in `fed`) to `found`.
fn below(ix: &Indexed, fed: &Feeding, head: usize, found: &mut BTreeSet<usize>) {
    let mut queue = VecDeque::from([head]);
    found.insert(head);
    while let Some(z) = queue.pop_front() {
        for &s in &ix.zone_switches[z] {
            let child = ix.across(s, z);
            if fed.through[child] == s && child != z && found.insert(child) {
                queue.push_back(child);
            }
        }
    }
}

/// The switches between the source and a zone, nearest first.
pub fn path_up(ix: &Indexed, fed: &Feeding, zone: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut z = zone;
    while fed.through[z] != NONE {
        let s = fed.through[z];
        out.push(s);
        z = ix.across(s, z);
    }
    out
}

/// The switches that see the fault current of a fault in `zone` pass.
pub fn indications(ix: &Indexed, fed: &Feeding, zone: usize) -> BTreeSet<usize> {
    path_up(ix, fed, zone).into_iter().collect()
}

/// The zones the fault can be in, from the switches that indicated and those whose terminals are
/// silent: below the deepest indicating switch, and further down through silent ones. Empty
/// when the indications do not lie on one path from a source (or there are none).
pub fn locate(
    ix: &Indexed,
    fed: &Feeding,
    indicating: &BTreeSet<usize>,
    silent: &BTreeSet<usize>,
) -> Vec<usize> {
    // The zone each indicating switch feeds, and the deepest of them.
    let below = |s: usize| {
        let (a, b) = ix.switch_zones[s];
        if fed.through[a] == s {
            Some(a)
        } else if fed.through[b] == s {
            Some(b)
        } else {
            None
        }
    };
    let mut deepest: Option<(usize, usize)> = None;
    for &s in indicating {
        let Some(z) = below(s) else { return Vec::new() };
        let depth = path_up(ix, fed, z).len();
        if deepest.is_none_or(|(d, _)| depth > d) {
            deepest = Some((depth, z));
        }
    }
    let Some((_, zone)) = deepest else {
        return Vec::new();
    };
    let path: BTreeSet<usize> = path_up(ix, fed, zone).into_iter().collect();
    let heard: BTreeSet<usize> = path.difference(silent).copied().collect();
    let indicated: BTreeSet<usize> = indicating.difference(silent).copied().collect();
    if heard != indicated {
        return Vec::new();
    }
    // Onward through switches that said nothing.
    let mut found = vec![zone];
    let mut next = 0;
    while next < found.len() {
        let z = found[next];
        next += 1;
        for &s in &ix.zone_switches[z] {
            let child = ix.across(s, z);
            if silent.contains(&s) && fed.through[child] == s {
                found.push(child);
            }
        }
    }
    found
}

/// Why a switch is operated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    Isolate,
    /// The breaker that tripped closes again once the fault is isolated.
    Reclose,
    /// A tie closed to give a dark section a new supply.
    Tie,
    /// Opened to split a section that no supply can carry whole.
    Split,
    /// Opened to cut out the part a mobile generator picks up.
    Generator,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Isolate => "isolate",
            Why::Reclose => "reclose",
            Why::Tie => "tie",
            Why::Split => "split",
            Why::Generator => "generator",
        }
    }
}

/// One switch operation of a plan. Operations of one restoration action share a `group`
/// (group 0 is isolation); an action's splits come before its closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub switch: usize,
    pub close: bool,
    pub why: Why,
    pub group: usize,
}

/// What a plan does and what it gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The zones the fault is in.
    pub faulted: BTreeSet<usize>,
    /// The breakers that tripped to clear it (none when a whole source was lost).
    pub tripped: Vec<usize>,
    /// The zones out of service: faulted, and further around switches that could not open.
    pub isolated: BTreeSet<usize>,
    pub operations: Vec<Operation>,
    /// The switching state at the end.
    pub state: Vec<bool>,
    /// Zone → the group of operations that gave it supply back.
    pub restored_by: BTreeMap<usize, usize>,
    /// The group that connected the mobile generator, if one did.
    pub generator_group: Option<usize>,
    /// The emergency point the generator was connected at.
    pub generator_point: Option<usize>,
    /// The zones the fault took out: below the breakers that tripped, or a lost source's.
    pub lost_zones: BTreeSet<usize>,
    /// What the fault took out.
    pub lost: Tally,
    /// Given back by switching (reclosing, ties, splits).
    pub restored: Tally,
    /// Picked up by the mobile generator.
    pub generator: Tally,
    /// In the isolated zones (waits for repair).
    pub isolated_load: Tally,
    /// Healthy but left dark: no supply could carry it within limits.
    pub stranded: Tally,
    /// Lines, transformers, sources and buses the plan leaves outside the limits that were
    /// within them before the fault (in the feeders it changed).
    pub violations: usize,
}

impl Plan {
    /// Lost and not given back by switching or the generator: isolated plus stranded.
    pub fn unrestored(&self) -> Tally {
        let mut t = self.isolated_load;
        t.add(self.stranded);
        t
    }

    pub fn switches(&self, ix: &Indexed, close: bool) -> Vec<String> {
        self.operations
            .iter()
            .filter(|o| o.close == close)
            .map(|o| ix.net.switches[o.switch].id.clone())
            .collect()
    }
}

/// Options of a plan.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub limits: Limits,
    /// The mobile generator available, kW (0: none).
    pub generator_kw: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            limits: Limits::default(),
            generator_kw: 0.0,
        }
    }
}

/// The planner's working state.
struct Work<'a, 'i, 'n> {
    ix: &'a Indexed<'n>,
    solver: &'a Solver<'i, 'n>,
    opts: Options,
    /// Switches that cannot be operated remotely now (failed, or their terminal silent).
    stuck: &'a BTreeSet<usize>,
    state: Vec<bool>,
    out: Vec<bool>,
    /// Zone → the source zone feeding it now (`NONE` when dark), kept as switches operate.
    root: Vec<usize>,
    operations: Vec<Operation>,
    restored_by: BTreeMap<usize, usize>,
    groups: usize,
}

impl Work<'_, '_, '_> {
    fn operate(&mut self, switch: usize, close: bool, why: Why, group: usize) {
        self.state[switch] = close;
        self.operations.push(Operation {
            switch,
            close,
            why,
            group,
        });
    }

    /// After closing switch `s`: the dark zones it connects to supply get their source, and
    /// `group` as what restored them.
    fn energise_across(&mut self, s: usize, group: usize) {
        let (a, b) = self.ix.switch_zones[s];
        let (from, start) = match (self.root[a] != NONE, self.root[b] != NONE) {
            (true, false) => (a, b),
            (false, true) => (b, a),
            _ => return,
        };
        if self.out[start] {
            return;
        }
        let source = self.root[from];
        self.root[start] = source;
        self.restored_by.insert(start, group);
        let mut queue = VecDeque::from([start]);
        while let Some(z) = queue.pop_front() {
            for &sw in &self.ix.zone_switches[z] {
                let next = self.ix.across(sw, z);
                if self.state[sw] && self.root[next] == NONE && !self.out[next] {
                    self.root[next] = source;
                    self.restored_by.insert(next, group);
                    queue.push_back(next);
                }
            }
        }
    }

    /// The lost zones still dark (and not isolated).
    fn dark(&self, lost: &BTreeSet<usize>) -> BTreeSet<usize> {
        lost.iter()
            .copied()
            .filter(|&z| self.root[z] == NONE && !self.out[z])
            .collect()
    }

    /// Whether the feeder of source zone `root` keeps the limits in state `closed`.
    fn keeps_limits(&self, closed: &[bool], root: usize) -> bool {
        self.solver
            .run(closed, &self.ix.zone_sources[root])
            .is_ok_and(|sweep| sweep.violations(self.solver, self.opts.limits) == 0)
    }

    /// The dark sections among `dark` zones: connected through switches closed now.
    fn sections(&self, dark: &BTreeSet<usize>) -> Vec<BTreeSet<usize>> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for &start in dark {
            if seen.contains(&start) {
                continue;
            }
            let section = self.grow(start, |z| dark.contains(&z));
            seen.extend(section.iter().copied());
            out.push(section);
        }
        out
    }

    /// The zones reached from `start` over closed switches, within `allowed`.
    fn grow(&self, start: usize, allowed: impl Fn(usize) -> bool) -> BTreeSet<usize> {
        let mut found = BTreeSet::from([start]);
        let mut queue = VecDeque::from([start]);
        while let Some(z) = queue.pop_front() {
            for &s in &self.ix.zone_switches[z] {
                let other = self.ix.across(s, z);
                if self.state[s] && allowed(other) && found.insert(other) {
                    queue.push_back(other);
                }
            }
        }
        found
    }

    /// The closed switches between `part` and the rest of `section`.
    fn cuts(&self, part: &BTreeSet<usize>, section: &BTreeSet<usize>) -> Vec<usize> {
        let mut cuts: Vec<usize> = part
            .iter()
            .flat_map(|&z| self.ix.zone_switches[z].iter().map(move |&s| (z, s)))
            .filter(|&(z, s)| {
                let other = self.ix.across(s, z);
                self.state[s] && section.contains(&other) && !part.contains(&other)
            })
            .map(|(_, s)| s)
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        cuts
    }

    fn load(&self, zones: &BTreeSet<usize>) -> Tally {
        let mut t = Tally::default();
        for z in zones {
            t.add(self.ix.zone_load[*z]);
        }
        t
    }

    /// Open ties from a section to a live zone: (tie, the live zone's source zone, the
    /// section's zone at the tie).
    fn ties(&self, section: &BTreeSet<usize>) -> Vec<(usize, usize, usize)> {
        let mut ties = Vec::new();
        for &z in section {
            for &s in &self.ix.zone_switches[z] {
                let other = self.ix.across(s, z);
                if !self.state[s] && !self.stuck.contains(&s) && self.root[other] != NONE {
                    ties.push((s, self.root[other], z));
                }
            }
        }
        ties.sort_unstable();
        ties.dedup();
        ties
    }

    /// Gives back dark sections, whole or split, until nothing more can be. Loads only grow
    /// on a feeder as sections join it, so a tie that could not carry a set of zones never
    /// will: such trials are remembered and not run again.
    fn restore(&mut self, lost: &BTreeSet<usize>) {
        let mut failed: HashSet<(usize, Vec<usize>)> = HashSet::new();
        for _ in 0..=self.ix.zone_count() {
            let dark = self.dark(lost);
            if dark.is_empty() {
                return;
            }
            let mut sections = self.sections(&dark);
            // Priority customers first, then load.
            sections.sort_by(|a, b| {
                let (la, lb) = (self.load(a), self.load(b));
                (lb.priority, lb.kw)
                    .partial_cmp(&(la.priority, la.kw))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            // Whole sections first.
            let mut whole = None;
            'sections: for section in &sections {
                let key: Vec<usize> = section.iter().copied().collect();
                for (tie, root, _) in self.ties(section) {
                    if failed.contains(&(tie, key.clone())) {
                        continue;
                    }
                    let mut trial = self.state.clone();
                    trial[tie] = true;
                    if self.keeps_limits(&trial, root) {
                        whole = Some(tie);
                        break 'sections;
                    }
                    failed.insert((tie, key.clone()));
                }
            }
            if let Some(tie) = whole {
                self.groups += 1;
                let group = self.groups;
                self.operate(tie, true, Why::Tie, group);
                self.energise_across(tie, group);
                continue;
            }
            // No section fits whole anywhere: split the first that has ties between them.
            let mut best: Option<(Tally, usize, BTreeSet<usize>, Vec<usize>)> = None;
            for section in &sections {
                for (tie, root, entry) in self.ties(section) {
                    let (part, cuts) = self.largest_part(section, tie, root, entry);
                    if part.is_empty() {
                        continue;
                    }
                    let load = self.load(&part);
                    if best.as_ref().is_none_or(|(b, ..)| better(load, *b)) {
                        best = Some((load, tie, part, cuts));
                    }
                }
                if best.is_some() {
                    break;
                }
            }
            let Some((_, tie, part, cuts)) = best else {
                return;
            };
            self.groups += 1;
            let group = self.groups;
            for s in cuts {
                self.operate(s, false, Why::Split, group);
            }
            self.operate(tie, true, Why::Tie, group);
            self.energise_across(tie, group);
            debug_assert!(part.iter().all(|z| self.root[*z] != NONE));
        }
    }

    /// The part of `section` a tie can carry: the longest run of the section's zones in
    /// breadth-first order from the tie that keeps the feeder within its limits (found by
    /// bisection: more zones never carry more easily), then a few more zones tried one by one.
    /// The part, and the switches that cut it from the rest.
    fn largest_part(
        &self,
        section: &BTreeSet<usize>,
        tie: usize,
        root: usize,
        entry: usize,
    ) -> (BTreeSet<usize>, Vec<usize>) {
        let mut order = vec![entry];
        let mut seen = BTreeSet::from([entry]);
        let mut next = 0;
        while next < order.len() {
            let z = order[next];
            next += 1;
            for &s in &self.ix.zone_switches[z] {
                let other = self.ix.across(s, z);
                if self.state[s] && section.contains(&other) && seen.insert(other) {
                    order.push(other);
                }
            }
        }
        let carries = |part: &BTreeSet<usize>| -> Option<Vec<usize>> {
            let cuts = self.cuts(part, section);
            if cuts.iter().any(|s| self.stuck.contains(s)) {
                return None;
            }
            let mut trial = self.state.clone();
            for &s in &cuts {
                trial[s] = false;
            }
            trial[tie] = true;
            self.keeps_limits(&trial, root).then_some(cuts)
        };
        let (mut lo, mut hi) = (0, order.len());
        let mut cuts = Vec::new();
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let part: BTreeSet<usize> = order[..mid].iter().copied().collect();
            match carries(&part) {
                Some(c) => {
                    lo = mid;
                    cuts = c;
                }
                None => hi = mid - 1,
            }
        }
        let mut part: BTreeSet<usize> = order[..lo].iter().copied().collect();
        if part.is_empty() {
            return (part, cuts);
        }
        // Beyond the first zone that did not fit, a smaller one further on may still.
        let mut tries = 0;
        for &z in order.iter().skip(lo + 1) {
            if tries == 8 {
                break;
            }
            let joined = self.ix.zone_switches[z]
                .iter()
                .any(|&s| self.state[s] && part.contains(&self.ix.across(s, z)));
            if !joined {
                continue;
            }
            tries += 1;
            let mut grown = part.clone();
            grown.insert(z);
            if let Some(c) = carries(&grown) {
                part = grown;
                cuts = c;
            }
        }
        (part, cuts)
    }

    /// Connects the mobile generator where it gives back the most: at an emergency point in a
    /// dark healthy zone, growing over closed switches while the load stays within its size.
    fn generator(&mut self, lost: &BTreeSet<usize>) -> Option<usize> {
        if self.opts.generator_kw <= 0.0 {
            return None;
        }
        let dark = self.dark(lost);
        let mut best: Option<(Tally, usize, BTreeSet<usize>, Vec<usize>)> = None;
        for (p, point) in self.ix.net.emergency_points.iter().enumerate() {
            let Some(bus) = self.ix.bus(&point.bus) else {
                continue;
            };
            let start = self.ix.bus_zone[bus];
            if !dark.contains(&start) {
                continue;
            }
            let section = self.grow(start, |z| dark.contains(&z));
            let mut part = BTreeSet::new();
            let mut kw = 0.0;
            let mut queue = VecDeque::from([start]);
            let mut tried = BTreeSet::from([start]);
            while let Some(z) = queue.pop_front() {
                let zone_kw = self.ix.zone_load[z].kw;
                if kw + zone_kw > self.opts.generator_kw {
                    continue;
                }
                let mut grown = part.clone();
                grown.insert(z);
                if self
                    .cuts(&grown, &section)
                    .iter()
                    .any(|s| self.stuck.contains(s))
                {
                    continue;
                }
                kw += zone_kw;
                part = grown;
                for &s in &self.ix.zone_switches[z] {
                    let next = self.ix.across(s, z);
                    if self.state[s] && section.contains(&next) && tried.insert(next) {
                        queue.push_back(next);
                    }
                }
            }
            if part.is_empty() {
                continue;
            }
            let load = self.load(&part);
            if best.as_ref().is_none_or(|(b, ..)| better(load, *b)) {
                let cuts = self.cuts(&part, &section);
                best = Some((load, p, part, cuts));
            }
        }
        let (_, point, part, cuts) = best?;
        self.groups += 1;
        let group = self.groups;
        for s in cuts {
            self.operate(s, false, Why::Generator, group);
        }
        for z in part {
            self.restored_by.insert(z, group);
        }
        Some(point)
    }
}

/// Priority customers first, then load.
fn better(a: Tally, b: Tally) -> bool {
    (a.priority, a.kw) > (b.priority, b.kw)
}

/// What is known of a fault when planning.
#[derive(Debug, Clone, Default)]
pub struct Fault {
    /// The zones it is in (one for a section fault; a whole cable channel or station is many).
    pub zones: BTreeSet<usize>,
    /// Switches that fail to open.
    pub failed: BTreeSet<usize>,
    /// Switches whose terminals have stopped talking: not operated remotely, and their
    /// indications unknown.
    pub silent: BTreeSet<usize>,
}

/// Plans from switching state `start`, with the zones in `out_before` already out of service
/// (a first fault being restored), for a fault in `fault.zones`.
pub fn plan(
    solver: &Solver,
    start: &[bool],
    out_before: &BTreeSet<usize>,
    fault: &Fault,
    opts: Options,
) -> Plan {
    let ix = solver.ix;
    let zones = ix.zone_count();
    let mut out = vec![false; zones];
    for z in out_before {
        out[*z] = true;
    }
    let before = ix.feeding(start, &out);
    let stuck: BTreeSet<usize> = fault.failed.union(&fault.silent).copied().collect();
    // Protection: the nearest breaker above each faulted zone that does not fail trips; with
    // none, the switch at the head of the feeder. A faulted source zone loses its supply.
    let mut tripped: Vec<usize> = Vec::new();
    for &z in &fault.zones {
        if !before.live(z) {
            continue;
        }
        let path = path_up(ix, &before, z);
        let breaker = path.iter().copied().find(|&s| {
            ix.net.switches[s].kind == SwitchKind::Breaker && !fault.failed.contains(&s)
        });
        if let Some(s) = breaker.or_else(|| path.last().copied()) {
            tripped.push(s);
        }
    }
    tripped.sort_unstable();
    tripped.dedup();
    let mut state = start.to_vec();
    for &s in &tripped {
        state[s] = false;
    }
    // Isolation: the closed switches around the faulted zones, going one zone further around
    // a switch that cannot be opened.
    let mut isolated: BTreeSet<usize> = fault.zones.clone();
    loop {
        let border: Vec<(usize, usize)> = isolated
            .iter()
            .flat_map(|&z| ix.zone_switches[z].iter().map(move |&s| (z, s)))
            .filter(|&(z, s)| {
                let other = ix.across(s, z);
                start[s] && !isolated.contains(&other) && !out[other]
            })
            .collect();
        let further: Vec<usize> = border
            .iter()
            .filter(|(_, s)| stuck.contains(s) && !(tripped.contains(s)))
            .map(|&(z, s)| ix.across(s, z))
            .collect();
        if further.is_empty() {
            break;
        }
        isolated.extend(further);
    }
    for z in &isolated {
        out[*z] = true;
    }
    // Lost: everything below the switches that tripped, and all a faulted source zone fed.
    let mut heads: Vec<usize> = tripped
        .iter()
        .filter_map(|&s| {
            let (a, b) = ix.switch_zones[s];
            [a, b].into_iter().find(|&z| before.through[z] == s)
        })
        .collect();
    heads.extend(
        fault
            .zones
            .iter()
            .filter(|&&z| before.live(z) && before.through[z] == NONE),
    );
    let mut lost: BTreeSet<usize> = BTreeSet::new();
    for head in heads {
        below(ix, &before, head, &mut lost);
    }
    lost.extend(isolated.iter().filter(|&&z| before.live(z)));
    let mut root = before.root.clone();
    for &z in &lost {
        root[z] = NONE;
    }
    let mut work = Work {
        ix,
        solver,
        opts,
        stuck: &stuck,
        state,
        out,
        root,
        operations: Vec::new(),
        restored_by: BTreeMap::new(),
        groups: 0,
    };
    let mut border: Vec<usize> = isolated
        .iter()
        .flat_map(|&z| ix.zone_switches[z].iter().map(move |&s| (z, s)))
        .filter(|&(z, s)| work.state[s] && !isolated.contains(&ix.across(s, z)))
        .map(|(_, s)| s)
        .collect();
    border.sort_unstable();
    border.dedup();
    for s in border {
        work.operate(s, false, Why::Isolate, 0);
    }
    // Reclose what tripped, unless it is on the isolation's border.
    for &s in &tripped {
        let (a, b) = ix.switch_zones[s];
        if work.out[a] || work.out[b] {
            continue;
        }
        work.groups += 1;
        let group = work.groups;
        work.operate(s, true, Why::Reclose, group);
        work.energise_across(s, group);
    }
    work.restore(&lost);
    let generator_point = work.generator(&lost);
    let generator_group = generator_point.map(|_| work.groups);
    // Count.
    let mut plan = Plan {
        faulted: fault.zones.clone(),
        tripped,
        isolated: isolated.clone(),
        operations: Vec::new(),
        state: Vec::new(),
        restored_by: BTreeMap::new(),
        generator_group,
        generator_point,
        lost_zones: BTreeSet::new(),
        lost: Tally::default(),
        restored: Tally::default(),
        generator: Tally::default(),
        isolated_load: Tally::default(),
        stranded: Tally::default(),
        violations: 0,
    };
    let mut touched: BTreeSet<usize> = BTreeSet::new();
    for &z in &lost {
        let load = ix.zone_load[z];
        plan.lost.add(load);
        if isolated.contains(&z) {
            plan.isolated_load.add(load);
        } else if work.root[z] != NONE {
            plan.restored.add(load);
            touched.insert(work.root[z]);
        } else if generator_group.is_some_and(|g| work.restored_by.get(&z) == Some(&g)) {
            plan.generator.add(load);
        } else {
            plan.stranded.add(load);
        }
    }
    // Limits broken in the feeders changed, that were not broken before the fault (the
    // flow before the fault only when the one after finds anything).
    plan.violations = touched
        .iter()
        .map(|&root| {
            let sources = &ix.zone_sources[root];
            let Ok(after) = solver.run(&work.state, sources) else {
                return 1;
            };
            let broken = after.violating(solver, opts.limits);
            if broken.is_empty() {
                return 0;
            }
            let before: BTreeSet<(u8, usize)> = solver
                .run(start, sources)
                .map(|s| s.violating(solver, opts.limits).into_iter().collect())
                .unwrap_or_default();
            broken.iter().filter(|v| !before.contains(v)).count()
        })
        .sum();
    plan.lost_zones = lost;
    plan.operations = work.operations;
    plan.state = work.state;
    plan.restored_by = work.restored_by;
    plan
}

/// The fault of one line, located from the indications its terminals would give (silent ones
/// say nothing): the zones to plan for, or the line's own zone when the indications do not
/// point anywhere.
pub fn located(
    ix: &Indexed,
    start: &[bool],
    out: &BTreeSet<usize>,
    line: usize,
    silent: &BTreeSet<usize>,
) -> BTreeSet<usize> {
    let mut out_mask = vec![false; ix.zone_count()];
    for z in out {
        out_mask[*z] = true;
    }
    let fed = ix.feeding(start, &out_mask);
    let zone = ix.branch_zone[line];
    let seen: BTreeSet<usize> = indications(ix, &fed, zone)
        .difference(silent)
        .copied()
        .collect();
    let found = locate(ix, &fed, &seen, silent);
    if found.is_empty() {
        BTreeSet::from([zone])
    } else {
        found.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::{DEMO_ZONE, read};

    fn ids(ix: &Indexed, switches: &[usize]) -> Vec<String> {
        switches
            .iter()
            .map(|&s| ix.net.switches[s].id.clone())
            .collect()
    }

    fn fault_on(ix: &Indexed, line: &str) -> Fault {
        Fault {
            zones: BTreeSet::from([ix.branch_zone[ix.line(line).expect("line")]]),
            ..Fault::default()
        }
    }

    #[test]
    fn a_cable_fault_is_located_from_the_indications_and_isolated_by_its_two_switches() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let normal = ix.normal_state();
        let fed = ix.feeding(&normal, &vec![false; ix.zone_count()]);
        let l3 = ix.branch_zone[ix.line("L3").expect("L3")];
        let seen = indications(&ix, &fed, l3);
        let mut names = ids(&ix, &seen.iter().copied().collect::<Vec<_>>());
        names.sort();
        assert_eq!(names, ["K1-1", "K1-2", "P1-1", "P1-2", "QA"]);
        assert_eq!(locate(&ix, &fed, &seen, &BTreeSet::new()), vec![l3]);
        let solver = Solver::new(&ix);
        let p = plan(
            &solver,
            &normal,
            &BTreeSet::new(),
            &fault_on(&ix, "L3"),
            Options::default(),
        );
        assert_eq!(ids(&ix, &p.tripped), ["QA"]);
        assert_eq!(p.switches(&ix, false), ["P1-2", "P2-1"]);
        assert_eq!(p.isolated.len(), 1);
    }

    #[test]
    fn every_line_fault_is_located_where_it_is() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let normal = ix.normal_state();
        for (i, line) in net.lines.iter().enumerate() {
            if net.line_opened(&line.id) {
                continue;
            }
            let found = located(&ix, &normal, &BTreeSet::new(), i, &BTreeSet::new());
            assert_eq!(found, BTreeSet::from([ix.branch_zone[i]]), "{}", line.id);
        }
    }

    #[test]
    fn a_switch_that_fails_to_open_takes_isolation_one_step_further() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let mut fault = fault_on(&ix, "L3");
        fault.failed.insert(ix.switch("P1-2").expect("switch"));
        let p = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault,
            Options::default(),
        );
        // P1's busbar and L2 go out too: open P1-1 instead (and P2-1 as before).
        let opened = p.switches(&ix, false);
        assert!(opened.contains(&"P1-1".to_string()), "{opened:?}");
        assert!(opened.contains(&"P2-1".to_string()), "{opened:?}");
        assert!(!opened.contains(&"P1-2".to_string()));
        assert!(
            p.isolated
                .contains(&ix.bus_zone[ix.bus("P1").expect("bus")])
        );
        assert_eq!(p.isolated_load.kw, 800.0, "P1's load waits for the repair");
    }

    #[test]
    fn the_healthy_room_behind_a_cable_fault_is_restored_through_the_tie() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let p = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault_on(&ix, "L3"),
            Options::default(),
        );
        assert_eq!(p.switches(&ix, true), ["QA", "P2-2"], "{p:?}");
        // QA tripped: K1, P1 and P2 went dark; K1 and P1 come back by reclosing, P2 by the tie.
        assert_eq!(p.lost.kw, 2650.0);
        assert_eq!(p.restored.kw, 2650.0);
        assert_eq!(p.restored.customers, 420 + 310 + 260);
        assert_eq!(p.unrestored().kw, 0.0);
        assert_eq!(p.violations, 0);
    }

    #[test]
    fn nothing_is_closed_that_would_break_a_limit() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let tight = Options {
            // Feeder B runs at 32 % of its first cable; taking over P2 would bring it to ~40 %.
            limits: Limits {
                max_loading_percent: 35.0,
                ..Limits::default()
            },
            ..Options::default()
        };
        let p = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault_on(&ix, "L3"),
            tight,
        );
        assert_eq!(p.switches(&ix, true), ["QA"], "{p:?}");
        assert_eq!(p.stranded.kw, 650.0);
    }

    #[test]
    fn a_section_no_supply_can_carry_whole_is_split_and_priority_customers_come_first() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        // A fault on L1 takes out K1, P1 and P2 (2650 kW); feeder B (2700 kW, 32 % of L7) may
        // take ~1.5 MW more under a 55 % limit: P2 and P1, not K1.
        let opts = Options {
            limits: Limits {
                max_loading_percent: 55.0,
                ..Limits::default()
            },
            ..Options::default()
        };
        let p = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault_on(&ix, "L1"),
            opts,
        );
        let split: Vec<&Operation> = p
            .operations
            .iter()
            .filter(|o| o.why == Why::Split)
            .collect();
        assert!(!split.is_empty(), "{p:?}");
        assert_eq!(p.switches(&ix, false), ["K1-1", "K1-2"], "{p:?}");
        assert_eq!(
            (p.restored.kw, p.stranded.kw),
            (650.0 + 800.0, 1200.0),
            "{p:?}"
        );
        // P1's priority customer is among those restored, and the limits hold.
        assert_eq!(p.restored.priority, 1, "{p:?}");
        assert_eq!(p.violations, 0);
        let whole = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault_on(&ix, "L1"),
            Options::default(),
        );
        assert!(whole.operations.iter().all(|o| o.why != Why::Split));
        assert_eq!(whole.stranded.kw, 0.0);
    }

    #[test]
    fn a_silent_terminal_widens_location_and_isolation_by_one_zone() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let normal = ix.normal_state();
        let silent = BTreeSet::from([ix.switch("P1-2").expect("switch")]);
        let l2 = ix.line("L2").expect("L2");
        let l3 = ix.line("L3").expect("L3");
        // A fault on L3 with P1-2 silent: the deepest indication is P1-1, so the fault is in
        // P1's zone or beyond the silent switch, on L3.
        let zones = located(&ix, &normal, &BTreeSet::new(), l3, &silent);
        assert!(zones.contains(&ix.branch_zone[l3]), "{zones:?}");
        assert!(zones.contains(&ix.bus_zone[ix.bus("P1").expect("P1")]));
        assert!(!zones.contains(&ix.branch_zone[l2]));
        let fault = Fault {
            zones,
            silent,
            ..Fault::default()
        };
        let p = plan(
            &solver,
            &normal,
            &BTreeSet::new(),
            &fault,
            Options::default(),
        );
        let opened = p.switches(&ix, false);
        assert!(
            !opened.contains(&"P1-2".to_string()),
            "a silent terminal is not operated"
        );
        assert!(opened.contains(&"P1-1".to_string()) && opened.contains(&"P2-1".to_string()));
        assert_eq!(
            p.restored.kw,
            1200.0 + 650.0,
            "K1 by reclosing, P2 by the tie"
        );
    }

    #[test]
    fn a_second_fault_during_restoration_is_planned_from_the_first_plans_state() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let first = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault_on(&ix, "L3"),
            Options::default(),
        );
        // Now L5 fails, with P2 fed from feeder B through the tie.
        let l5 = ix.line("L5").expect("L5");
        let zones = located(&ix, &first.state, &first.isolated, l5, &BTreeSet::new());
        assert_eq!(zones, BTreeSet::from([ix.branch_zone[l5]]));
        let second = plan(
            &solver,
            &first.state,
            &first.isolated,
            &Fault {
                zones,
                ..Fault::default()
            },
            Options::default(),
        );
        assert_eq!(ids(&ix, &second.tripped), ["QB"]);
        let opened = second.switches(&ix, false);
        assert!(opened.contains(&"P3-2".to_string()) && opened.contains(&"P4-1".to_string()));
        // P3 and P2 (fed through P3 now) are cut off from both supplies: L3 is still out.
        assert_eq!(second.stranded.kw, 900.0 + 650.0, "{second:?}");
        assert_eq!(
            second.restored.kw,
            700.0 + 1100.0,
            "P4 and K2 by reclosing QB"
        );
        assert!(second.isolated.is_superset(&first.isolated) || !second.isolated.is_empty());
    }

    #[test]
    fn a_mobile_generator_picks_up_what_a_lost_cable_channel_strands() {
        let mut net = read(DEMO_ZONE).expect("demo");
        net.emergency_points.push(crate::network::EmergencyPoint {
            id: "E1".into(),
            bus: "P1".into(),
            name: String::new(),
        });
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        // The east channel carries L1, L2 and L3: K1 and P1 are cut off from both feeders.
        let zones: BTreeSet<usize> = net
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.channel == "东通道")
            .map(|(i, _)| ix.branch_zone[i])
            .collect();
        let fault = Fault {
            zones,
            ..Fault::default()
        };
        let without = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault,
            Options::default(),
        );
        assert_eq!(without.stranded.kw, 1200.0 + 800.0);
        assert_eq!(without.restored.kw, 650.0, "P2 through the tie");
        let with = plan(
            &solver,
            &ix.normal_state(),
            &BTreeSet::new(),
            &fault,
            Options {
                generator_kw: 1000.0,
                ..Options::default()
            },
        );
        assert_eq!(with.generator.kw, 800.0, "P1, with its priority customer");
        assert_eq!(with.generator.priority, 1);
        assert_eq!(with.stranded.kw, 1200.0);
    }
}

/// What a fault takes out, as an operator names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// One line or cable section.
    Line(String),
    /// Every cable in a cable channel (电缆通道) at once.
    Channel(String),
    /// A whole substation: all its sources.
    Station(String),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Line(id) => write!(f, "line {id}"),
            Cause::Channel(name) => write!(f, "channel {name}"),
            Cause::Station(name) => write!(f, "station {name}"),
        }
    }
}

/// The zones a cause faults in state `start`: a line's is located from the indications its
/// terminals give (silent ones say nothing); a channel's and a station's are all theirs.
pub fn fault_zones(
    ix: &Indexed,
    start: &[bool],
    out: &BTreeSet<usize>,
    cause: &Cause,
    silent: &BTreeSet<usize>,
) -> Result<BTreeSet<usize>, String> {
    let zones: BTreeSet<usize> = match cause {
        Cause::Line(id) => {
            let line = ix.line(id).ok_or_else(|| format!("no line {id:?}"))?;
            return Ok(located(ix, start, out, line, silent));
        }
        Cause::Channel(name) => ix
            .net
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.channel == *name && l.in_service)
            .map(|(i, _)| ix.branch_zone[i])
            .collect(),
        Cause::Station(name) => ix
            .net
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.station == *name)
            .map(|(i, _)| ix.bus_zone[ix.source_bus[i]])
            .collect(),
    };
    if zones.is_empty() {
        return Err(format!("no {cause} in the network"));
    }
    Ok(zones)
}
