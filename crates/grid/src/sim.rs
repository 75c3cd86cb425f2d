//! The peer-to-peer simulation: one agent per terminal (the automation unit at an automated
//! switch), talking only to its neighbours (the terminals on the zones its switch borders) with
//! GOOSE-like messages that take a set latency and may be lost (each message is repeated at 2,
//! 4, 8, … ms, as GOOSE does, and the first copy that arrives counts). A discrete-event
//! simulation in microseconds prints the timeline from fault to isolation to restoration,
//! beside the same plan carried out by a centralised master and by crews (the manual baseline).
//!
//! What the agents do:
//! 1. At the fault, terminals that see the fault current publish "fault seen"; when the
//!    breaker has tripped, the others in the dark area publish "no fault".
//! 2. Each agent decides on the zones its switch borders once it has heard every neighbour on
//!    them (or its wait has run out): a zone is faulted when its feeding switch saw the fault (or
//!    said nothing) and no onward switch did. It opens its switch on a faulted zone; a switch
//!    that fails to open says so, and the agents one zone further open theirs.
//! 3. Every opening is announced and relayed hop by hop through the dark area; the agent of
//!    each closing switch of the plan (the tripped breaker, each tie) waits for every isolating
//!    switch to be reported open, has the switches that split its section opened (commands
//!    relayed to them and answered), and closes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::flisr::{self, Fault, Options, Plan, Why};
use crate::indexed::{Feeding, Indexed};
use crate::loadflow::Solver;

/// How the terminals and their links behave.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// One message's time on a link, ms.
    pub latency_ms: f64,
    /// The chance that one copy of a message is lost (0–1).
    pub loss: f64,
    /// Time for a terminal to recognise fault current or loss of voltage, ms.
    pub detect_ms: f64,
    /// How long an agent waits for its neighbours before deciding without them, ms.
    pub wait_ms: f64,
    /// Latency between a terminal and the centralised master, ms.
    pub master_latency_ms: f64,
    /// Treat every switch as automated (for files that do not say, like pandapower's).
    pub automate_all: bool,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            latency_ms: 10.0,
            loss: 0.0,
            detect_ms: 20.0,
            wait_ms: 100.0,
            master_latency_ms: 50.0,
            automate_all: false,
            seed: 1,
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at_ms: f64,
    /// The switch whose terminal acts, if one does.
    pub switch: Option<String>,
    pub what: String,
}

/// How one mode of restoration went.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub timeline: Vec<Entry>,
    /// When the last isolating switch was open, ms after the fault.
    pub isolated_ms: Option<f64>,
    /// When each restoration group's closing was done, ms after the fault.
    pub group_ms: BTreeMap<usize, f64>,
    pub messages: usize,
    pub lost_copies: usize,
}

impl Outcome {
    /// When the last healthy section had supply again.
    pub fn restored_ms(&self) -> Option<f64> {
        self.group_ms.values().copied().reduce(f64::max)
    }
}

/// A simulated fault: the plan, and how the peer-to-peer agents, a centralised master and crews
/// carry it out.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub plan: Plan,
    pub peer: Outcome,
    pub central: Outcome,
    /// Crews: every group restored after the manual switching time.
    pub manual_ms: f64,
    /// The switches the agents opened (to compare with the plan's isolation).
    pub peer_opened: BTreeSet<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Message {
    Indication { from: usize, fault: bool },
    Failed { switch: usize },
    Opened { switch: usize },
    Command { switch: usize },
    Done { switch: usize },
}

#[derive(Debug, Clone, PartialEq)]
enum Event {
    /// A terminal publishes its indication.
    Publish {
        terminal: usize,
        fault: bool,
    },
    Deliver {
        to: usize,
        message: Message,
    },
    /// A terminal's wait for its neighbours runs out.
    Decide {
        terminal: usize,
    },
    /// A switch finished operating.
    Operated {
        switch: usize,
        close: bool,
    },
}

/// The event queue: time in microseconds, then order of scheduling.
struct Queue {
    heap: BinaryHeap<Reverse<(u64, u64, usize)>>,
    events: Vec<Event>,
}

impl Queue {
    fn push(&mut self, at_ms: f64, event: Event) {
        let id = self.events.len();
        self.events.push(event);
        self.heap
            .push(Reverse(((at_ms * 1000.0).round() as u64, id as u64, id)));
    }

    fn pop(&mut self) -> Option<(f64, Event)> {
        let Reverse((at, _, id)) = self.heap.pop()?;
        Some((at as f64 / 1000.0, self.events[id].clone()))
    }
}

struct Peer<'a, 'n> {
    ix: &'a Indexed<'n>,
    settings: Settings,
    rng: StdRng,
    queue: Queue,
    out: Outcome,
    /// Switch → has a talking terminal.
    talks: Vec<bool>,
    /// Switch → the terminals it talks to directly.
    neighbours: Vec<Vec<usize>>,
    normal: &'a Feeding,
    failed: &'a BTreeSet<usize>,
    /// Terminal → what it has heard: switch → fault seen.
    heard: Vec<BTreeMap<usize, bool>>,
    decided: Vec<bool>,
    /// Terminal → the switches it has heard are open (each relayed once).
    news: Vec<BTreeSet<usize>>,
    open: Vec<bool>,
    opened: BTreeSet<usize>,
    /// The plan's isolating switches, and each closing switch's group and splits.
    isolating: BTreeSet<usize>,
    closers: BTreeMap<usize, (usize, Vec<usize>)>,
    /// Closing switch → splits confirmed done.
    confirmed: BTreeMap<usize, BTreeSet<usize>>,
    started: BTreeSet<usize>,
    dark: BTreeSet<usize>,
}

impl Peer<'_, '_> {
    fn name(&self, s: usize) -> String {
        self.ix.net.switches[s].id.clone()
    }

    fn log(&mut self, at: f64, switch: Option<usize>, what: String) {
        let switch = switch.map(|s| self.name(s));
        self.out.timeline.push(Entry {
            at_ms: at,
            switch,
            what,
        });
    }

    /// One transmission over one link: the delay of the first copy that is not lost (GOOSE
    /// repeats at 2, 4, 8, … ms), or none when every copy is.
    fn link_delay(&mut self) -> Option<f64> {
        self.out.messages += 1;
        let mut offset = 0.0;
        let mut step = 2.0;
        for _ in 0..12 {
            if self.rng.random::<f64>() >= self.settings.loss {
                return Some(offset + self.settings.latency_ms);
            }
            self.out.lost_copies += 1;
            offset += step;
            step *= 2.0;
        }
        None
    }

    fn send(&mut self, at: f64, to: usize, message: Message) {
        if let Some(delay) = self.link_delay() {
            self.queue.push(at + delay, Event::Deliver { to, message });
        }
    }

    fn broadcast(&mut self, at: f64, from: usize, message: Message) {
        for to in self.neighbours[from].clone() {
            self.send(at, to, message.clone());
        }
    }

    /// Whether the agent of switch `t` judges zone `z` faulted from what it has heard.
    fn faulted(&self, t: usize, z: usize) -> bool {
        let heard = |s: usize| -> Option<bool> {
            if !self.talks[s] {
                None
            } else {
                self.heard[t].get(&s).copied()
            }
        };
        let feed = self.normal.through[z];
        let fed_fault = if feed == flisr::NONE {
            false
        } else {
            heard(feed).unwrap_or(true)
        };
        let onward = self.ix.zone_switches[z]
            .iter()
            .filter(|&&s| s != feed)
            .any(|&s| heard(s) == Some(true));
        fed_fault && !onward
    }

    fn decide(&mut self, at: f64, t: usize) {
        if self.decided[t] || self.open[t] {
            return;
        }
        self.decided[t] = true;
        let (a, b) = self.ix.switch_zones[t];
        let faulted = [a, b]
            .into_iter()
            .any(|z| self.dark.contains(&z) && self.faulted(t, z));
        if faulted {
            self.operate(at, t, false);
        }
    }

    fn operate(&mut self, at: f64, s: usize, close: bool) {
        if !close && self.failed.contains(&s) {
            self.log(at, Some(s), "fails to open; tells its neighbours".into());
            self.broadcast(at, s, Message::Failed { switch: s });
            return;
        }
        let ms = f64::from(self.ix.net.switches[s].operate_ms);
        self.log(
            at,
            Some(s),
            format!("{} (takes {ms} ms)", if close { "closes" } else { "opens" }),
        );
        self.queue
            .push(at + ms, Event::Operated { switch: s, close });
    }

    /// Starts a closing switch's group once every isolating switch is reported open.
    fn try_start(&mut self, at: f64, t: usize) {
        let Some((_, splits)) = self.closers.get(&t).cloned() else {
            return;
        };
        let isolated = self.isolating.iter().all(|s| self.news[t].contains(s));
        if self.started.contains(&t) || !isolated {
            return;
        }
        self.started.insert(t);
        if splits.is_empty() {
            self.operate(at, t, true);
        } else {
            self.log(
                at,
                Some(t),
                format!("asks {} to open first", names(self.ix, &splits)),
            );
            for s in splits {
                self.relay_to(at, t, s, Message::Command { switch: s });
            }
        }
    }

    /// A message for one terminal, relayed hop by hop along the shortest path of terminals
    /// (each hop a transmission of its own, with its own losses).
    fn relay_to(&mut self, at: f64, from: usize, to: usize, message: Message) {
        let hops = self.hops(from, to).unwrap_or(1).max(1);
        let mut delay = 0.0;
        for _ in 0..hops {
            match self.link_delay() {
                Some(d) => delay += d,
                None => return,
            }
        }
        self.queue.push(at + delay, Event::Deliver { to, message });
    }

    /// Whether a terminal's switch borders the dark area (only those relay news).
    fn in_dark(&self, t: usize) -> bool {
        let (a, b) = self.ix.switch_zones[t];
        self.dark.contains(&a) || self.dark.contains(&b)
    }

    fn hops(&self, from: usize, to: usize) -> Option<usize> {
        let mut seen = BTreeMap::from([(from, 0usize)]);
        let mut queue = VecDeque::from([from]);
        while let Some(t) = queue.pop_front() {
            let d = seen[&t];
            if t == to {
                return Some(d);
            }
            for &n in &self.neighbours[t] {
                if let std::collections::btree_map::Entry::Vacant(e) = seen.entry(n) {
                    e.insert(d + 1);
                    queue.push_back(n);
                }
            }
        }
        None
    }

    fn handle(&mut self, at: f64, event: Event) {
        match event {
            Event::Publish { terminal, fault } => {
                self.heard[terminal].insert(terminal, fault);
                self.log(
                    at,
                    Some(terminal),
                    if fault {
                        "saw the fault current pass; tells its neighbours".into()
                    } else {
                        "lost voltage, saw no fault current; tells its neighbours".into()
                    },
                );
                self.broadcast(
                    at,
                    terminal,
                    Message::Indication {
                        from: terminal,
                        fault,
                    },
                );
                self.queue
                    .push(at + self.settings.wait_ms, Event::Decide { terminal });
            }
            Event::Decide { terminal } => self.decide(at, terminal),
            Event::Deliver { to, message } => match message {
                Message::Indication { from, fault } => {
                    self.heard[to].insert(from, fault);
                    let all = self.neighbours[to]
                        .iter()
                        .all(|n| self.heard[to].contains_key(n));
                    if all && self.heard[to].contains_key(&to) {
                        self.decide(at, to);
                    }
                }
                Message::Failed { switch } => {
                    // The zone beyond the stuck switch (the one this agent does not judge
                    // faulted) goes out too: open onto it.
                    let (a, b) = self.ix.switch_zones[switch];
                    let mine = self.ix.switch_zones[to];
                    let beyond = [a, b]
                        .into_iter()
                        .any(|z| (mine.0 == z || mine.1 == z) && !self.faulted(to, z));
                    if beyond && !self.open[to] && to != switch {
                        self.operate(at, to, false);
                    }
                }
                Message::Opened { switch } => {
                    if self.news[to].insert(switch) {
                        if self.in_dark(to) {
                            self.broadcast(at, to, Message::Opened { switch });
                        }
                        self.try_start(at, to);
                    }
                }
                Message::Command { switch } => {
                    if switch == to {
                        self.operate(at, to, false);
                    }
                }
                Message::Done { switch } => {
                    let waiting: Vec<usize> = self
                        .closers
                        .iter()
                        .filter(|(c, (_, splits))| **c == to && splits.contains(&switch))
                        .map(|(c, _)| *c)
                        .collect();
                    for c in waiting {
                        let done = self.confirmed.entry(c).or_default();
                        done.insert(switch);
                        let all = self.closers[&c].1.iter().all(|s| done.contains(s));
                        if all {
                            self.operate(at, c, true);
                        }
                    }
                }
            },
            Event::Operated { switch, close } => {
                self.open[switch] = !close;
                if close {
                    if let Some((group, _)) = self.closers.get(&switch) {
                        let group = *group;
                        self.out.group_ms.insert(group, at);
                        self.log(at, Some(switch), "closed: supply is back".into());
                    }
                    return;
                }
                self.opened.insert(switch);
                self.log(at, Some(switch), "open".into());
                if self.isolating.iter().all(|s| self.opened.contains(s))
                    && self.out.isolated_ms.is_none()
                {
                    self.out.isolated_ms = Some(at);
                    self.log(at, None, "the fault is isolated".into());
                }
                // A split done at a command: answer the closing switch that asked.
                let asker: Vec<usize> = self
                    .closers
                    .iter()
                    .filter(|(_, (_, splits))| splits.contains(&switch))
                    .map(|(c, _)| *c)
                    .collect();
                for c in asker {
                    self.relay_to(at, switch, c, Message::Done { switch });
                }
                self.news[switch].insert(switch);
                self.broadcast(at, switch, Message::Opened { switch });
                self.try_start(at, switch);
            }
        }
    }
}

fn names(ix: &Indexed, switches: &[usize]) -> String {
    switches
        .iter()
        .map(|&s| ix.net.switches[s].id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Simulates a fault: plans it, then plays it out peer to peer, centrally and by hand.
pub fn simulate(solver: &Solver, fault: &Fault, opts: Options, settings: Settings) -> Simulation {
    let ix = solver.ix;
    let normal_state = ix.normal_state();
    let plan = flisr::plan(solver, &normal_state, &BTreeSet::new(), fault, opts);
    let normal = ix.feeding(&normal_state, &vec![false; ix.zone_count()]);
    let talks: Vec<bool> = ix
        .net
        .switches
        .iter()
        .enumerate()
        .map(|(i, s)| (s.automated || settings.automate_all) && !fault.silent.contains(&i))
        .collect();
    let neighbours: Vec<Vec<usize>> = (0..ix.net.switches.len())
        .map(|s| {
            let (a, b) = ix.switch_zones[s];
            let mut n: Vec<usize> = ix.zone_switches[a]
                .iter()
                .chain(&ix.zone_switches[b])
                .copied()
                .filter(|&o| o != s && talks[o])
                .collect();
            n.sort_unstable();
            n.dedup();
            n
        })
        .collect();
    let isolating: BTreeSet<usize> = plan
        .operations
        .iter()
        .filter(|o| o.why == Why::Isolate)
        .map(|o| o.switch)
        .collect();
    let mut closers: BTreeMap<usize, (usize, Vec<usize>)> = BTreeMap::new();
    for o in plan.operations.iter().filter(|o| o.close) {
        let splits = plan
            .operations
            .iter()
            .filter(|p| p.group == o.group && p.why == Why::Split)
            .map(|p| p.switch)
            .collect();
        closers.insert(o.switch, (o.group, splits));
    }
    let n = ix.net.switches.len();
    let dark = plan.lost_zones.clone();
    let mut peer = Peer {
        ix,
        settings,
        rng: StdRng::seed_from_u64(settings.seed),
        queue: Queue {
            heap: BinaryHeap::new(),
            events: Vec::new(),
        },
        out: Outcome::default(),
        talks: talks.clone(),
        neighbours,
        normal: &normal,
        failed: &fault.failed,
        heard: vec![BTreeMap::new(); n],
        decided: vec![false; n],
        news: vec![BTreeSet::new(); n],
        open: normal_state.iter().map(|c| !c).collect(),
        opened: BTreeSet::new(),
        isolating,
        closers,
        confirmed: BTreeMap::new(),
        started: BTreeSet::new(),
        dark: dark.clone(),
    };
    peer.log(
        0.0,
        None,
        format!(
            "fault in {}",
            plan.faulted
                .iter()
                .map(|&z| ix.zone_name(z))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    // Protection: the tripped breakers open after detection and their operating time.
    let seen: BTreeSet<usize> = plan
        .faulted
        .iter()
        .flat_map(|&z| flisr::path_up(ix, &normal, z))
        .collect();
    let mut trip_done: f64 = settings.detect_ms;
    for &s in &plan.tripped {
        let at = settings.detect_ms + f64::from(ix.net.switches[s].operate_ms);
        trip_done = trip_done.max(at);
        peer.log(settings.detect_ms, Some(s), "protection trips".into());
        peer.queue.push(
            at,
            Event::Operated {
                switch: s,
                close: false,
            },
        );
    }
    // Terminals around the dark area publish: fault current at detection, loss of voltage
    // once the breaker is open.
    let mut publishing: BTreeSet<usize> = BTreeSet::new();
    for &z in &dark {
        for &s in &ix.zone_switches[z] {
            if talks[s] {
                publishing.insert(s);
            }
        }
    }
    for &s in &publishing {
        let fault_seen = seen.contains(&s);
        let at = if fault_seen {
            settings.detect_ms
        } else {
            trip_done + settings.detect_ms
        };
        peer.queue.push(
            at,
            Event::Publish {
                terminal: s,
                fault: fault_seen,
            },
        );
    }
    let mut steps = 0usize;
    while let Some((at, event)) = peer.queue.pop() {
        peer.handle(at, event);
        steps += 1;
        if steps > 1_000_000 {
            break;
        }
    }
    let peer_opened = peer.opened.clone();
    let peer_out = peer.out;
    let central = centralised(ix, &plan, settings, trip_done);
    let manual_ms = ix.net.reliability.manual_switching_minutes * 60_000.0;
    Simulation {
        plan,
        peer: peer_out,
        central,
        manual_ms,
        peer_opened,
    }
}

/// The same plan carried out by a centralised master: every terminal reports over the wide
/// area network, the master plans and commands isolation, waits for the confirmations, then
/// commands each group (splits, then the closing) and waits for each answer.
fn centralised(ix: &Indexed, plan: &Plan, settings: Settings, trip_done: f64) -> Outcome {
    let mut out = Outcome::default();
    let wan = settings.master_latency_ms;
    let op = |s: usize| f64::from(ix.net.switches[s].operate_ms);
    let reports_in = trip_done + settings.detect_ms + wan;
    out.timeline.push(Entry {
        at_ms: reports_in,
        switch: None,
        what: "the master has the terminals' reports and plans".into(),
    });
    let isolating: Vec<usize> = plan
        .operations
        .iter()
        .filter(|o| o.why == Why::Isolate)
        .map(|o| o.switch)
        .collect();
    let isolated = isolating
        .iter()
        .map(|&s| reports_in + wan + op(s))
        .fold(reports_in, f64::max);
    out.isolated_ms = Some(isolated);
    out.timeline.push(Entry {
        at_ms: isolated,
        switch: None,
        what: "the fault is isolated".into(),
    });
    out.messages += plan.operations.len() * 2;
    let confirmed = isolated + wan;
    let mut groups: BTreeMap<usize, Vec<&flisr::Operation>> = BTreeMap::new();
    for o in plan.operations.iter().filter(|o| o.group > 0) {
        groups.entry(o.group).or_default().push(o);
    }
    for (g, ops) in groups {
        if Some(g) == plan.generator_group {
            continue;
        }
        let splits = ops
            .iter()
            .filter(|o| !o.close)
            .map(|o| confirmed + wan + op(o.switch) + wan)
            .fold(confirmed, f64::max);
        let done = ops
            .iter()
            .filter(|o| o.close)
            .map(|o| splits + wan + op(o.switch))
            .fold(splits, f64::max);
        for o in ops.iter().filter(|o| o.close) {
            out.timeline.push(Entry {
                at_ms: done,
                switch: Some(ix.net.switches[o.switch].id.clone()),
                what: "closed: supply is back".into(),
            });
        }
        out.group_ms.insert(g, done);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::{DEMO_ZONE, read};

    fn fault_on(ix: &Indexed, line: &str) -> Fault {
        Fault {
            zones: BTreeSet::from([ix.branch_zone[ix.line(line).expect("line")]]),
            ..Fault::default()
        }
    }

    #[test]
    fn peers_isolate_as_planned_and_restore_within_a_second_at_10_ms_latency() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let sim = simulate(
            &solver,
            &fault_on(&ix, "L3"),
            Options::default(),
            Settings::default(),
        );
        let expected: BTreeSet<usize> = ["QA", "P1-2", "P2-1"]
            .iter()
            .map(|s| ix.switch(s).expect("switch"))
            .collect();
        assert_eq!(sim.peer_opened, expected, "{:#?}", sim.peer.timeline);
        let restored = sim.peer.restored_ms().expect("restored");
        assert!(restored < 1000.0, "{restored} ms: {:#?}", sim.peer.timeline);
        assert_eq!(sim.peer.group_ms.len(), 2, "reclose and tie");
        let central = sim.central.restored_ms().expect("central");
        assert!(restored < central, "{restored} vs {central}");
        assert!(central < sim.manual_ms);
        // The timeline runs forward.
        assert!(
            sim.peer
                .timeline
                .windows(2)
                .all(|w| w[0].at_ms <= w[1].at_ms)
        );
    }

    #[test]
    fn lost_messages_slow_restoration_down_but_do_not_stop_it() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let clean = simulate(
            &solver,
            &fault_on(&ix, "L3"),
            Options::default(),
            Settings::default(),
        );
        let lossy = simulate(
            &solver,
            &fault_on(&ix, "L3"),
            Options::default(),
            Settings {
                loss: 0.3,
                seed: 7,
                ..Settings::default()
            },
        );
        assert!(lossy.peer.lost_copies > 0);
        assert_eq!(lossy.peer_opened, clean.peer_opened);
        let (a, b) = (
            clean.peer.restored_ms().expect("clean"),
            lossy.peer.restored_ms().expect("lossy"),
        );
        assert!(b >= a, "{a} {b}");
    }

    #[test]
    fn a_switch_that_fails_to_open_is_isolated_around_by_its_neighbours() {
        let net = read(DEMO_ZONE).expect("demo");
        let ix = Indexed::new(&net);
        let solver = Solver::new(&ix);
        let mut fault = fault_on(&ix, "L3");
        fault.failed.insert(ix.switch("P1-2").expect("switch"));
        let sim = simulate(&solver, &fault, Options::default(), Settings::default());
        let p1_1 = ix.switch("P1-1").expect("switch");
        assert!(sim.peer_opened.contains(&p1_1), "{:#?}", sim.peer.timeline);
        assert!(sim.peer.restored_ms().is_some(), "{:#?}", sim.peer.timeline);
    }
}
