//! The native network file (TOML), documented in `docs/grid.md`: one table per element kind.
//! Syntax and type errors name their line; everything else is checked by `Network::check`.

use serde::{Deserialize, Serialize};

use crate::network::{
    Bus, EmergencyPoint, Line, Load, Network, NetworkError, ReliabilityData, Sensor, Source,
    Switch, SwitchElement, SwitchKind, Transformer,
};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sn_mva: Option<f64>,
}

/// A switch as written: on a line, a transformer, or between two buses.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SwitchSpec {
    id: String,
    bus: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transformer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to_bus: Option<String>,
    kind: SwitchKind,
    closed: bool,
    #[serde(default)]
    automated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operate_ms: Option<u32>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct File {
    network: Header,
    #[serde(default, rename = "bus")]
    buses: Vec<Bus>,
    #[serde(default, rename = "source")]
    sources: Vec<Source>,
    #[serde(default, rename = "line")]
    lines: Vec<Line>,
    #[serde(default, rename = "switch")]
    switches: Vec<SwitchSpec>,
    #[serde(default, rename = "transformer")]
    transformers: Vec<Transformer>,
    #[serde(default, rename = "load")]
    loads: Vec<Load>,
    #[serde(default, rename = "emergency_point")]
    emergency_points: Vec<EmergencyPoint>,
    #[serde(default, rename = "sensor")]
    sensors: Vec<Sensor>,
    #[serde(default)]
    reliability: ReliabilityData,
}

/// Reads a native network file; every error names its line or its element.
pub fn read(text: &str) -> Result<Network, Vec<String>> {
    read_checked(text, true)
}

/// As `read`, for a load flow alone: loops and sources in parallel are allowed
/// (`Network::check_for_flow`).
pub fn read_for_flow(text: &str) -> Result<Network, Vec<String>> {
    read_checked(text, false)
}

fn read_checked(text: &str, radial: bool) -> Result<Network, Vec<String>> {
    let file: File = toml::from_str(text).map_err(|e| vec![crate::toml_error(text, &e)])?;
    let mut errors = Vec::new();
    let mut switches = Vec::with_capacity(file.switches.len());
    for s in file.switches {
        let element = match (s.line, s.transformer, s.to_bus) {
            (Some(l), None, None) => SwitchElement::Line(l),
            (None, Some(t), None) => SwitchElement::Transformer(t),
            (None, None, Some(b)) => SwitchElement::Bus(b),
            _ => {
                errors.push(format!(
                    "switch {}: give exactly one of line, transformer or to_bus",
                    s.id
                ));
                continue;
            }
        };
        switches.push(Switch {
            id: s.id,
            bus: s.bus,
            element,
            kind: s.kind,
            closed: s.closed,
            automated: s.automated,
            operate_ms: s.operate_ms.unwrap_or(100),
        });
    }
    let network = Network {
        name: file.network.name,
        sn_mva: file.network.sn_mva.unwrap_or(1.0),
        f_hz: 50.0,
        buses: file.buses,
        sources: file.sources,
        lines: file.lines,
        switches,
        transformers: file.transformers,
        loads: file.loads,
        emergency_points: file.emergency_points,
        sensors: file.sensors,
        reliability: file.reliability,
    };
    let problems = if radial {
        network.check()
    } else {
        network.check_for_flow()
    };
    errors.extend(problems.iter().map(NetworkError::to_string));
    if errors.is_empty() {
        Ok(network)
    } else {
        Err(errors)
    }
}

/// Writes a network in the native format (what `read` reads back).
pub fn write(net: &Network) -> Result<String, String> {
    let file = File {
        network: Header {
            name: net.name.clone(),
            sn_mva: (net.sn_mva != 1.0).then_some(net.sn_mva),
        },
        buses: net.buses.clone(),
        sources: net.sources.clone(),
        lines: net.lines.clone(),
        switches: net
            .switches
            .iter()
            .map(|s| {
                let (line, transformer, to_bus) = match &s.element {
                    SwitchElement::Line(l) => (Some(l.clone()), None, None),
                    SwitchElement::Transformer(t) => (None, Some(t.clone()), None),
                    SwitchElement::Bus(b) => (None, None, Some(b.clone())),
                };
                SwitchSpec {
                    id: s.id.clone(),
                    bus: s.bus.clone(),
                    line,
                    transformer,
                    to_bus,
                    kind: s.kind,
                    closed: s.closed,
                    automated: s.automated,
                    operate_ms: Some(s.operate_ms),
                }
            })
            .collect(),
        transformers: net.transformers.clone(),
        loads: net.loads.clone(),
        emergency_points: net.emergency_points.clone(),
        sensors: net.sensors.clone(),
        reliability: net.reliability,
    };
    toml::to_string(&file).map_err(|e| e.to_string())
}

/// The demonstration zone shipped with minsheng (`data/grid/demo-zone.toml`).
pub const DEMO_ZONE: &str = include_str!("../../../data/grid/demo-zone.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_zone_is_a_valid_radial_network_with_ties_and_two_stations() {
        let net = read(DEMO_ZONE).expect("the demo zone checks");
        let stations: std::collections::BTreeSet<&str> =
            net.sources.iter().map(|s| s.station.as_str()).collect();
        assert_eq!(stations.len(), 2, "two substations (异站)");
        assert!(
            net.switches.iter().any(|s| !s.closed),
            "a normally open tie"
        );
        assert!(net.loads.iter().any(|l| l.priority_customers > 0));
        let channels: std::collections::BTreeSet<&str> =
            net.lines.iter().map(|l| l.channel.as_str()).collect();
        assert!(channels.len() >= 2, "different channels (异通道)");
    }

    #[test]
    fn closing_the_tie_makes_a_loop_and_opening_a_feeder_leaves_loads_unfed() {
        let tie = DEMO_ZONE.replace("closed = false # tie", "closed = true # tie");
        let errors = read(&tie).expect_err("a loop");
        assert!(
            errors.iter().any(|e| e.contains("closes a loop")),
            "{errors:?}"
        );
        let open = DEMO_ZONE.replace("closed = true # feeder A", "closed = false # feeder A");
        let errors = read(&open).expect_err("an island");
        assert!(
            errors.iter().any(|e| e.contains("no source reaches")),
            "{errors:?}"
        );
    }

    #[test]
    fn bad_references_and_syntax_are_named() {
        let text = "[network]\nname = \"x\"\n\n[[bus]]\nid = \"B1\"\nvn_kv = 10.0\n\n[[load]]\nid = \"D1\"\nbus = \"B9\"\np_kw = 100.0\n\n[[line]]\nid = \"L1\"\nfrom = \"B1\"\nto = \"B2\"\nlength_km = 1.0\nr_ohm_per_km = 0.1\nx_ohm_per_km = 0.1\nmax_i_ka = 0.3\n";
        let errors = read(text).expect_err("dangling");
        assert!(
            errors.contains(&"load D1: no bus \"B9\"".to_string()),
            "{errors:?}"
        );
        assert!(
            errors.contains(&"line L1: no bus \"B2\"".to_string()),
            "{errors:?}"
        );
        let errors = read("[network]\nname = \"x\"\n[[bus]]\nid = \"B1\"\nvn_kv = \"ten\"\n")
            .expect_err("type");
        assert!(errors[0].starts_with("line 5:"), "{errors:?}");
        let errors = read("[network]\nname = \"x\"\ncolour = 1\n").expect_err("unknown key");
        assert!(errors[0].starts_with("line 3:"), "{errors:?}");
    }

    #[test]
    fn a_written_network_reads_back_the_same() {
        let net = read(DEMO_ZONE).expect("demo");
        let text = write(&net).expect("writes");
        assert_eq!(read(&text).expect("reads back"), net);
    }

    proptest::proptest! {
        /// Any text, and any edit of the demo file, is read or refused, never a panic.
        #[test]
        fn any_text_is_read_without_panicking(text in "\\PC{0,400}") {
            let _ = read(&text);
        }

        #[test]
        fn any_cut_of_the_demo_zone_is_read_without_panicking(cut in 0usize..6000, insert in "\\PC{0,20}") {
            let at = DEMO_ZONE.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(DEMO_ZONE.len());
            let text = format!("{}{insert}", &DEMO_ZONE[..at]);
            let _ = read(&text);
        }
    }
}
