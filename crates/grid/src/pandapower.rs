//! pandapower's JSON (what `pandapower.to_json` writes, versions 2.x and 3.x) read unchanged into
//! a `Network`. Each table is a pandas DataFrame serialised as a JSON string (orient "split"),
//! read by column name; references use pandapower's index labels. Element ids become the
//! table's letter and the label (`b12` bus 12, `l3` line 3, `t114` transformer 114, `s14` switch
//! 14, `d0` load 0, `g0` static generator 0 as a negative load, `x0` external grid 0).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::network::{
    Bus, BusKind, Line, Load, Network, Source, Switch, SwitchElement, SwitchKind, Transformer,
};

/// One row of a table: column → value.
type Row = BTreeMap<String, Value>;

/// A table's rows with their index labels; an absent table is empty.
fn table(net: &serde_json::Map<String, Value>, name: &str) -> Result<Vec<(i64, Row)>, String> {
    let Some(frame) = net.get(name) else {
        return Ok(Vec::new());
    };
    let text = frame
        .get("_object")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("table {name}: no DataFrame (_object) in it"))?;
    let split: Value = serde_json::from_str(text).map_err(|e| format!("table {name}: {e}"))?;
    let columns: Vec<String> = split
        .get("columns")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    let index = split
        .get("index")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let data = split
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if index.len() != data.len() {
        return Err(format!(
            "table {name}: {} labels for {} rows",
            index.len(),
            data.len()
        ));
    }
    let mut rows = Vec::with_capacity(data.len());
    for (label, row) in index.iter().zip(data) {
        let label = label
            .as_i64()
            .ok_or_else(|| format!("table {name}: index label {label} is not a number"))?;
        let values = row.as_array().cloned().unwrap_or_default();
        rows.push((label, columns.iter().cloned().zip(values).collect()));
    }
    Ok(rows)
}

fn number(row: &Row, column: &str) -> Option<f64> {
    row.get(column).and_then(Value::as_f64)
}

fn text<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.get(column).and_then(Value::as_str)
}

fn flag(row: &Row, column: &str, default: bool) -> bool {
    row.get(column).and_then(Value::as_bool).unwrap_or(default)
}

/// A number a row must have.
fn need(row: &Row, table: &str, label: i64, column: &str) -> Result<f64, String> {
    number(row, column).ok_or_else(|| format!("{table} {label}: no number in column {column}"))
}

/// Reads a pandapower JSON network; errors name the table, row and column.
pub fn read(json: &str) -> Result<Network, String> {
    let root: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let net = root
        .get("_object")
        .and_then(Value::as_object)
        .filter(|_| root.get("_class").and_then(Value::as_str) == Some("pandapowerNet"))
        .ok_or("not a pandapower network (no pandapowerNet object)")?;
    let sn_mva = net.get("sn_mva").and_then(Value::as_f64).unwrap_or(1.0);
    let f_hz = net.get("f_hz").and_then(Value::as_f64).unwrap_or(50.0);
    let mut network = Network {
        name: net
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or("pandapower network")
            .to_string(),
        sn_mva,
        f_hz,
        ..Network::default()
    };
    let ext_grids = table(net, "ext_grid")?;
    let source_buses: Vec<i64> = ext_grids
        .iter()
        .filter(|(_, r)| flag(r, "in_service", true))
        .filter_map(|(_, r)| number(r, "bus").map(|b| b as i64))
        .collect();
    for (label, row) in table(net, "bus")? {
        network.buses.push(Bus {
            id: format!("b{label}"),
            name: text(&row, "name").unwrap_or_default().to_string(),
            vn_kv: need(&row, "bus", label, "vn_kv")?,
            kind: if source_buses.contains(&label) {
                BusKind::Substation
            } else {
                BusKind::Junction
            },
        });
    }
    for (label, row) in ext_grids
        .iter()
        .filter(|(_, r)| flag(r, "in_service", true))
    {
        let bus = need(row, "ext_grid", *label, "bus")? as i64;
        network.sources.push(Source {
            id: format!("x{label}"),
            bus: format!("b{bus}"),
            // The external grid's capacity is not in the file: its short-circuit power, or
            // unlimited.
            capacity_mva: number(row, "s_sc_max_mva").unwrap_or(f64::MAX),
            station: text(row, "name").unwrap_or_default().to_string(),
            vm_pu: number(row, "vm_pu").unwrap_or(1.0),
        });
    }
    for (label, row) in table(net, "line")? {
        network.lines.push(Line {
            id: format!("l{label}"),
            from: format!("b{}", need(&row, "line", label, "from_bus")? as i64),
            to: format!("b{}", need(&row, "line", label, "to_bus")? as i64),
            length_km: need(&row, "line", label, "length_km")?,
            r_ohm_per_km: need(&row, "line", label, "r_ohm_per_km")?,
            x_ohm_per_km: need(&row, "line", label, "x_ohm_per_km")?,
            c_nf_per_km: number(&row, "c_nf_per_km").unwrap_or(0.0),
            g_us_per_km: number(&row, "g_us_per_km").unwrap_or(0.0),
            max_i_ka: need(&row, "line", label, "max_i_ka")?,
            parallel: number(&row, "parallel").unwrap_or(1.0) as u32,
            df: number(&row, "df").unwrap_or(1.0),
            channel: String::new(),
            in_service: flag(&row, "in_service", true),
            failures_per_year: None,
        });
    }
    for (label, row) in table(net, "trafo")? {
        let t = "trafo";
        let tap_type = text(&row, "tap_changer_type");
        // 2.x files have no tap_changer_type: a tap side means a ratio changer.
        let has_tap = tap_type.is_none_or(|k| k == "Ratio" || k == "Symmetrical")
            && text(&row, "tap_side").is_some()
            && number(&row, "tap_pos").is_some();
        network.transformers.push(Transformer {
            id: format!("t{label}"),
            hv_bus: format!("b{}", need(&row, t, label, "hv_bus")? as i64),
            lv_bus: format!("b{}", need(&row, t, label, "lv_bus")? as i64),
            sn_mva: need(&row, t, label, "sn_mva")?,
            vn_hv_kv: need(&row, t, label, "vn_hv_kv")?,
            vn_lv_kv: need(&row, t, label, "vn_lv_kv")?,
            vk_percent: need(&row, t, label, "vk_percent")?,
            vkr_percent: need(&row, t, label, "vkr_percent")?,
            pfe_kw: number(&row, "pfe_kw").unwrap_or(0.0),
            i0_percent: number(&row, "i0_percent").unwrap_or(0.0),
            shift_degree: number(&row, "shift_degree").unwrap_or(0.0),
            tap_side: if has_tap {
                text(&row, "tap_side").map(str::to_string)
            } else {
                None
            },
            tap_neutral: number(&row, "tap_neutral").unwrap_or(0.0),
            tap_pos: number(&row, "tap_pos").unwrap_or(0.0),
            tap_step_percent: number(&row, "tap_step_percent").unwrap_or(0.0),
            parallel: number(&row, "parallel").unwrap_or(1.0) as u32,
            df: number(&row, "df").unwrap_or(1.0),
            in_service: flag(&row, "in_service", true),
        });
    }
    for (label, row) in table(net, "switch")? {
        let bus = need(&row, "switch", label, "bus")? as i64;
        let element = need(&row, "switch", label, "element")? as i64;
        let element = match text(&row, "et") {
            Some("l") => SwitchElement::Line(format!("l{element}")),
            Some("t") => SwitchElement::Transformer(format!("t{element}")),
            Some("b") => SwitchElement::Bus(format!("b{element}")),
            other => {
                return Err(format!(
                    "switch {label}: element type {other:?} is not l, t or b"
                ));
            }
        };
        network.switches.push(Switch {
            id: format!("s{label}"),
            bus: format!("b{bus}"),
            element,
            kind: match text(&row, "type") {
                Some("CB") => SwitchKind::Breaker,
                Some("DS") => SwitchKind::Disconnector,
                _ => SwitchKind::LoadBreak,
            },
            closed: flag(&row, "closed", true),
            automated: false,
            operate_ms: 100,
        });
    }
    // Loads and static generators (as negative loads), with their scaling, in kW.
    for (kind, prefix, sign) in [("load", "d", 1.0), ("sgen", "g", -1.0)] {
        for (label, row) in table(net, kind)? {
            if !flag(&row, "in_service", true) {
                continue;
            }
            let scaling = number(&row, "scaling").unwrap_or(1.0);
            network.loads.push(Load {
                id: format!("{prefix}{label}"),
                bus: format!("b{}", need(&row, kind, label, "bus")? as i64),
                p_kw: sign * need(&row, kind, label, "p_mw")? * 1000.0 * scaling,
                q_kvar: sign * number(&row, "q_mvar").unwrap_or(0.0) * 1000.0 * scaling,
                customers: 0,
                priority_customers: 0,
            });
        }
    }
    Ok(network)
}
